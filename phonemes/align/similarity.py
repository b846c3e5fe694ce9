"""How well frames fit a phone: articulatory similarity, stand-in labels, emission scores, mouth shapes.

- :func:`phone_similarity`: two IPA phones in [0, 1] by articulatory features (place,
  manner, voicing, rounding, vowel height and backness);
- :func:`similar_labels`: the labels of an inventory that stand in for a phone it lacks;
- :func:`emission_matrix`: per-frame log-scores of target phones from ``FramePosteriors``;
- :func:`mouth_probs` / :func:`mouth_confidence`: the same posteriors pooled over labels
  that look alike on the lips, for confidences that do not drop on m/b/p-type confusions.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ...errors import AlignmentError
from ..phoneset import Features, features, normalize, split_diphthong
from ..types import SIL as SIL_LABEL
from ..types import FramePosteriors

NEG = -1e30  # log-score of an impossible path

_PLACE_POS = {
    "bilabial": 0.0, "labiodental": 1.0, "dental": 2.0, "alveolar": 3.0, "postalveolar": 4.0,
    "retroflex": 4.5, "palatal": 5.0, "velar": 6.0, "labial-velar": 6.5, "uvular": 7.0,
    "pharyngeal": 8.0, "glottal": 9.0,
}
_MANNER_GROUP = {
    "stop": "obstruent", "affricate": "obstruent", "fricative": "obstruent",
    "nasal": "sonorant", "approximant": "sonorant", "lateral": "sonorant", "trill": "sonorant",
    "tap": "sonorant",
}


def _feature_similarity(a: Features | None, b: Features | None) -> float:
    if a is None or b is None:
        return 0.0
    if a.kind == "silence" or b.kind == "silence":
        return 1.0 if a.kind == b.kind else 0.0
    if a.kind != b.kind:
        # vowels vs glides / rhotics are close; other consonants are not
        c, v = (a, b) if a.kind == "consonant" else (b, a)
        if c.manner == "approximant":
            s = 0.35
            if c.round and v.round:
                s += 0.15
            if c.rhotic and v.rhotic:
                s += 0.2
            if c.place == "palatal" and v.height < 0.3 and v.backness < 0.3:
                s += 0.15
            return s
        if c.manner == "lateral" and v.backness > 0.6:
            return 0.2
        return 0.02
    if a.kind == "vowel":
        d = abs(a.height - b.height) * 1.2 + abs(a.backness - b.backness) * 0.8
        d += 0.35 * (a.round != b.round) + 0.5 * (a.rhotic != b.rhotic) + 0.05 * (a.nasalised != b.nasalised)
        return float(max(0.0, 1.0 - d / 1.5))
    # consonants
    pd = abs(_PLACE_POS.get(a.place, 5.0) - _PLACE_POS.get(b.place, 5.0))
    s = 1.0 - min(pd, 4.0) / 6.0
    if a.manner != b.manner:
        same_group = _MANNER_GROUP.get(a.manner) == _MANNER_GROUP.get(b.manner)
        s *= 0.7 if same_group else 0.4
        if {a.manner, b.manner} == {"stop", "affricate"} or {a.manner, b.manner} == {"fricative", "affricate"}:
            s = max(s, 0.7 * (1.0 - min(pd, 4.0) / 6.0))
    if a.voiced != b.voiced:
        s *= 0.85
    if a.round != b.round:
        s *= 0.9
    if a.rhotic != b.rhotic:
        s *= 0.8
    return float(max(0.0, min(1.0, s)))


@lru_cache(maxsize=65536)
def phone_similarity(a: str, b: str) -> float:
    """Articulatory similarity of two IPA phones in [0, 1] (1 = same sound)."""
    na, nb = normalize(a), normalize(b)
    if na == nb:
        return 1.0
    fa, fb = features(na), features(nb)
    if fa is not None and fb is not None and fa == fb:
        sim = 0.97
    else:
        sim = _feature_similarity(fa, fb)
    # a diphthong is described by its onset: prefer a plain vowel for a plain vowel
    if (len(split_diphthong(na)) > 1) != (len(split_diphthong(nb)) > 1):
        sim *= 0.85
    return sim


def similar_labels(phone: str, labels: list[str] | tuple[str, ...], top: int = 3,
                   min_similarity: float = 0.3) -> list[tuple[int, float]]:
    """Indices and weights (summing to 1) of the labels that stand in for ``phone``.

    The label itself when present; otherwise the ``top`` most similar labels by
    articulatory features (at least ``min_similarity``; the single best one if
    none reach it).
    """
    return list(_similar_labels(phone, tuple(labels), top, min_similarity))


@lru_cache(maxsize=65536)
def _similar_labels(phone: str, labels: tuple[str, ...], top: int, min_similarity: float):
    # the same few phones against the same label set, thousands of times per batch: computed once each
    target = normalize(phone)
    norm = [normalize(x) for x in labels]
    if target in norm:
        return ((norm.index(target), 1.0),)
    sims = [(i, phone_similarity(target, x)) for i, x in enumerate(norm)]
    sims.sort(key=lambda p: -p[1])
    chosen = [p for p in sims[:top] if p[1] >= min_similarity] or sims[:1]
    if not chosen:
        raise AlignmentError("the posteriors have no labels; cannot score any phone")
    # sharpen: the best match dominates
    w = np.array([s for _, s in chosen], dtype=np.float64) ** 4 + 1e-9
    w = w / w.sum()
    return tuple((i, float(x)) for (i, _), x in zip(chosen, w))


# Labels at least this similar to a target phone that has a label of its own add their posterior mass to it,
# weighted by similarity ** 4 (1.0 for the label itself). An inventory with both a language's phone and its
# near twin (a and ɑ, r and ɹ, e and eɪ) splits one sound's mass between them: a voice the model never heard
# often puts it on the twin. Chosen on voxangeles_dev (IPA as phones, 10 words per language; thresholds 0.6,
# 0.7, 0.8 with weight factors 0.5-2 tried): see the README.
POOL_SIMILARITY = 0.7


def pooled_labels(phone: str, labels: list[str] | tuple[str, ...]) -> list[tuple[int, float]]:
    """Indices and weights of the labels whose posterior mass scores ``phone``: its own label (weight 1) and the
    labels of nearly the same sound (similarity >= POOL_SIMILARITY, weight similarity ** 4); for a phone without a
    label, its stand-ins (``similar_labels``)."""
    return list(_pooled_labels(phone, tuple(labels)))


@lru_cache(maxsize=65536)
def _pooled_labels(phone: str, labels: tuple[str, ...]):
    target = normalize(phone)
    norm = [normalize(x) for x in labels]
    if target not in norm:
        return tuple(similar_labels(phone, labels))
    own = norm.index(target)
    out = [(own, 1.0)]
    if target == SIL_LABEL:
        return tuple(out)
    for i, x in enumerate(norm):
        if i != own and x != SIL_LABEL:
            sim = phone_similarity(target, x)
            if sim >= POOL_SIMILARITY:
                out.append((i, sim ** 4))
    return tuple(out)


def emission_matrix(post: FramePosteriors, targets: list[str]) -> np.ndarray:
    """[T, len(targets)] log-scores: each target phone scored by its label and its near twins, or by its
    stand-ins when it has no label (``pooled_labels``)."""
    lp = np.asarray(post.log_probs, dtype=np.float32)
    T = lp.shape[0]
    out = np.empty((T, len(targets)), dtype=np.float32)
    for j, ph in enumerate(targets):
        sl = pooled_labels(ph, post.labels)
        if len(sl) == 1:
            out[:, j] = lp[:, sl[0][0]]
        else:
            idx = np.array([i for i, _ in sl])
            lw = np.log(np.array([w for _, w in sl], dtype=np.float32))
            cols = lp[:, idx] + lw[None, :]
            m = cols.max(axis=1)
            out[:, j] = m + np.log(np.exp(cols - m[:, None]).sum(axis=1))
    return out


def mouth_probs(lp: np.ndarray, labels: list[str]) -> np.ndarray:
    """Per-frame probability of each mouth shape (VISEMES): the posterior mass of the labels
    that look alike on the lips. [T, len(VISEMES)]."""
    from ..visemes import VISEMES, viseme_for_phone

    group = np.zeros((len(labels), len(VISEMES)), dtype=np.float32)
    for k, lab in enumerate(labels):
        group[k, VISEMES.index(viseme_for_phone(lab))] = 1.0
    return np.exp(np.minimum(lp, 0.0)).astype(np.float32) @ group


def mouth_confidence(pv_seg: np.ndarray, phone: str) -> float:
    """How sure the mouth shape of one segment is: the mean probability of its shape, blended
    with how often that shape is (within a factor 2 of) the likeliest one. Confusions that
    look alike on the lips (m/b/p, t/d/n) do not lower it: the animation would not change."""
    from ..visemes import VISEMES, viseme_for_phone

    if pv_seg.size == 0:
        return 0.0
    col = pv_seg[:, VISEMES.index(viseme_for_phone(phone))]
    top_share = np.mean(col >= 0.5 * pv_seg.max(axis=1))
    return float(np.clip(0.5 * col.mean() + 0.5 * top_share, 0.0, 1.0))


__all__ = ["NEG", "POOL_SIMILARITY", "phone_similarity", "similar_labels", "pooled_labels", "emission_matrix", "mouth_probs", "mouth_confidence"]
