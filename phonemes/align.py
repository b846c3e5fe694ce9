"""Frame posteriors -> timed phones: forced alignment, free decoding, CTC spikes.

All three work on :class:`~.types.FramePosteriors` (``labels`` = any phone
inventory written in IPA, ``log_probs`` [T, K]) and return a
:class:`~.types.PhoneTrack` covering ``[0, duration]`` without gaps.

- :func:`forced_align`: Viterbi alignment of a known IPA phone sequence, with
  optional silences between words. A target phone the inventory lacks is
  scored by the labels most similar to it by articulatory features
  (:func:`similar_labels`).
- :func:`decode`: free decoding with a minimum duration per segment and a
  switch penalty (no single-frame flicker).
- :func:`spikes_to_segments`: CTC output (peaky "spikes" with blanks in
  between, e.g. allosaurus) -> proper segments, by forced alignment of the
  recognised sequence over the per-frame phone probabilities.

Everything is vectorised numpy: the Python loop runs once per frame and does a
handful of array operations over all states.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .phoneset import Features, features, normalize, split_diphthong
from .types import SIL, FramePosteriors, PhoneTrack, TimedPhone, TimedWord
from ..errors import AlignmentError

NEG = -1e30
REFINE_STRENGTH = 1.0  # sub-frame boundary refinement (see refine_boundaries)

__all__ = [
    "AlignmentError", "forced_align", "decode", "spikes_to_segments", "ctc_greedy",
    "phone_similarity", "similar_labels", "emission_matrix",
    "refine_boundaries", "fuse_tracks", "pronunciation_score",
]


# --------------------------------------------------------------------------
# Similarity between phones (articulatory features)
# --------------------------------------------------------------------------

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
    target = normalize(phone)
    norm = [normalize(x) for x in labels]
    if target in norm:
        return [(norm.index(target), 1.0)]
    sims = [(i, phone_similarity(target, x)) for i, x in enumerate(norm)]
    sims.sort(key=lambda p: -p[1])
    chosen = [p for p in sims[:top] if p[1] >= min_similarity] or sims[:1]
    if not chosen:
        raise AlignmentError("the posteriors have no labels; cannot score any phone")
    # sharpen: the best match dominates
    w = np.array([s for _, s in chosen], dtype=np.float64) ** 4 + 1e-9
    w = w / w.sum()
    return [(i, float(x)) for (i, _), x in zip(chosen, w)]


def emission_matrix(post: FramePosteriors, targets: list[str]) -> np.ndarray:
    """[T, len(targets)] log-scores: each target phone scored by its label or its stand-ins."""
    lp = np.asarray(post.log_probs, dtype=np.float32)
    T = lp.shape[0]
    out = np.empty((T, len(targets)), dtype=np.float32)
    for j, ph in enumerate(targets):
        sl = similar_labels(ph, post.labels)
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
    from .visemes import VISEMES, viseme_for_phone

    group = np.zeros((len(labels), len(VISEMES)), dtype=np.float32)
    for k, lab in enumerate(labels):
        group[k, VISEMES.index(viseme_for_phone(lab))] = 1.0
    return np.exp(np.minimum(lp, 0.0)).astype(np.float32) @ group


def _mouth_confidence(pv_seg: np.ndarray, phone: str) -> float:
    """How sure the mouth shape of one segment is: the mean probability of its shape, blended
    with how often that shape is (within a factor 2 of) the likeliest one. Confusions that
    look alike on the lips (m/b/p, t/d/n) do not lower it: the animation would not change."""
    from .visemes import VISEMES, viseme_for_phone

    if pv_seg.size == 0:
        return 0.0
    col = pv_seg[:, VISEMES.index(viseme_for_phone(phone))]
    top_share = np.mean(col >= 0.5 * pv_seg.max(axis=1))
    return float(np.clip(0.5 * col.mean() + 0.5 * top_share, 0.0, 1.0))


# --------------------------------------------------------------------------
# Forced alignment
# --------------------------------------------------------------------------

def forced_align(
    post: FramePosteriors,
    phones: list[str],
    words: list[tuple[str, int]] | None = None,
    optional_silence: bool = True,
    *,
    min_duration: float = 0.03,
    silence_penalty: float = 1.0,
    beam: float = 300.0,
    duration: float | None = None,
    recognizer: str = "",
    language: str = "eng",
    refine: float = REFINE_STRENGTH,
    variants="auto",
) -> PhoneTrack:
    """Viterbi alignment of the IPA ``phones`` over ``post``.

    ``words``: (text, number of phones) per word, in order, covering ``phones``;
    silence may be inserted between words (and always at the start and end)
    when ``optional_silence``. Without ``words`` the phones are one word.
    ``SIL`` entries in ``phones`` are silences that must be there.
    ``min_duration``: shortest phone in seconds (reduced automatically when the
    clip is too short for it). ``silence_penalty``: log-score cost of entering
    an optional silence (fewer spurious short pauses). ``beam``: states whose
    score falls this far (log units) below the best are dropped, which keeps
    memory proportional to the active window, not to the whole transcript
    (widened automatically if the alignment does not reach the end).
    ``refine``: move each boundary off the 10 ms frame grid to where the two
    phones' scores cross (:func:`refine_boundaries`; 0 keeps the grid).
    ``variants``: other pronunciations per word, ``{word: [[IPA phones], ...]}``;
    "auto" (English only) takes them from the CMU dictionary for the words whose
    phones are the dictionary's first pronunciation; None: no variants. After a
    first alignment, each such word's frames are rescored with every variant
    (:func:`pronunciation_score`) and the clip realigned with the best ones
    (chosen when better by more than ``VARIANT_MARGIN``).
    Returns a PhoneTrack with phones (SIL in pauses), words, and a confidence
    per phone from the posteriors.
    """
    kw = dict(optional_silence=optional_silence, min_duration=min_duration, silence_penalty=silence_penalty,
              beam=beam, duration=duration, recognizer=recognizer, language=language, refine=refine)
    track = _forced_align_once(post, phones, words, **kw)
    if variants is None or not words or not any(w for w, _ in words):
        return track
    if isinstance(variants, str):
        if variants != "auto":
            raise AlignmentError(f"variants must be 'auto', None or a dict, not {variants!r}")
        if (language or "").lower() not in ("eng", "en", "en-us", "english"):
            return track
        variants = _dictionary_variants(words, [normalize(p) for p in phones])
    if not variants:
        return track
    new_phones, new_words = _choose_variants(post, [normalize(p) for p in phones], words, track, variants)
    if new_phones is None:
        return track
    return _forced_align_once(post, new_phones, new_words, **kw)


VARIANT_MARGIN = 2.0  # log-score a pronunciation variant must win by (chosen on train data)


def pronunciation_score(E: np.ndarray) -> float:
    """Best score of a left-to-right path through the columns of ``E`` [frames, phones] (each phone >= 1 frame)."""
    L, n = E.shape
    if n == 0 or n > L:
        return NEG
    d = np.full(n, NEG, dtype=np.float64)
    d[0] = E[0, 0]
    for t in range(1, L):
        d[1:] = np.maximum(d[1:], d[:-1])
        d += E[t]
    return float(d[-1])


@lru_cache(maxsize=1)
def _cmu_all() -> dict[str, tuple[tuple[str, ...], ...]]:
    from .g2p import cmudict_path
    from .phoneset import arpabet_to_ipa

    out: dict[str, list] = {}
    try:
        f = open(cmudict_path(), encoding="utf-8")
    except (OSError, ImportError):
        return {}
    with f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            try:
                pron = tuple(arpabet_to_ipa(p) for p in parts[1:])
            except KeyError:
                continue
            out.setdefault(parts[0].split("(")[0], []).append(pron)
    return {w: tuple(v) for w, v in out.items() if len(v) > 1}


def _dictionary_variants(words, phones) -> dict[str, list[list[str]]]:
    try:
        d = _cmu_all()
    except Exception:  # noqa: BLE001 - no dictionary: no variants
        return {}
    out, pos = {}, 0
    for w, n in words:
        key = (w or "").lower()
        vs = d.get(key) or d.get(key.strip("'"))
        if vs and [normalize(p) for p in vs[0]] == list(phones[pos:pos + n]):
            out[w] = [list(v) for v in vs]
        pos += n
    return out


def _choose_variants(post, phones, words, track, variants):
    """Per word with variants, the pronunciation scoring best over the word's aligned frames."""
    hop = float(post.hop)
    spans = iter(track.words)
    new_phones, new_words, pos, changed = [], [], 0, False
    cur = next(spans, None)
    for w, n in words:
        ph = list(phones[pos:pos + n])
        pos += n
        span = None
        if w and cur is not None and cur.text == w:
            span, cur = cur, next(spans, None)
        vs = variants.get(w) if span is not None else None
        if vs and SIL not in ph:
            a = int(round(span.start / hop))
            b = max(a + 1, int(round(span.end / hop)))
            cands = [ph] + [[normalize(p) for p in v] for v in vs if [normalize(p) for p in v] != ph]
            scores = [pronunciation_score(emission_matrix(post, c)[a:b]) for c in cands]
            j = int(np.argmax(scores))
            if j > 0 and scores[j] > scores[0] + VARIANT_MARGIN:
                ph, changed = cands[j], True
        new_phones.extend(ph)
        new_words.append((w, len(ph)))
    return (new_phones, new_words) if changed else (None, None)


def _forced_align_once(post, phones, words, *, optional_silence, min_duration, silence_penalty, beam, duration,
                       recognizer, language, refine) -> PhoneTrack:
    lp = np.asarray(post.log_probs, dtype=np.float32)
    if lp.ndim != 2 or lp.shape[1] != len(post.labels):
        raise AlignmentError(f"log_probs must be [frames, {len(post.labels)}], got {lp.shape}")
    T = lp.shape[0]
    hop = float(post.hop)
    dur = float(duration) if duration is not None else T * hop
    phones = [normalize(p) for p in phones]
    if words is None:
        words = [("", len(phones))]
    if sum(n for _, n in words) != len(phones):
        raise AlignmentError(
            f"words cover {sum(n for _, n in words)} phones but {len(phones)} phones were given; "
            "pass (word, number of phones) for every word")
    speech = [p for p in phones if p != SIL]
    if T == 0:
        raise AlignmentError("no frames to align to: the audio is empty")
    if not speech:
        return PhoneTrack([TimedPhone(0.0, dur, SIL, 1.0)], dur, recognizer=recognizer,
                          language=language, source=post.source)

    # ---- units: (phone, optional?, word index) ----
    units: list[tuple[str, bool, int]] = []
    pos = 0
    for wi, (_, n) in enumerate(words):
        if optional_silence and (not units or units[-1][0] != SIL):
            units.append((SIL, True, -1))
        for p in phones[pos:pos + n]:
            if p == SIL:
                if units and units[-1][0] == SIL:
                    units[-1] = (SIL, False, -1)
                else:
                    units.append((SIL, False, -1))
            else:
                units.append((p, False, wi))
        pos += n
    if optional_silence and units[-1][0] != SIL:
        units.append((SIL, True, -1))
    U = len(units)

    n_required = sum(1 for _, opt, _ in units if not opt)
    if n_required > T:
        raise AlignmentError(
            f"{n_required} phones cannot fit in {T} frames ({dur:.2f} s): the transcript is much longer "
            "than the audio; check that the transcript belongs to this clip")
    m = max(1, int(round(min_duration / hop)))
    while m > 1 and n_required * m > T:
        m -= 1
    m_sil = max(m, 2) if n_required * m + 2 <= T else m
    lens = np.array([m_sil if (ph == SIL and opt) else m for ph, opt, _ in units], dtype=np.int64)

    # ---- emissions per unit ----
    targets = sorted({ph for ph, _, _ in units})
    col = {ph: j for j, ph in enumerate(targets)}
    E = emission_matrix(post, targets)  # [T, n_targets]
    unit_col = np.array([col[ph] for ph, _, _ in units], dtype=np.int64)

    # ---- states ----
    S = int(lens.sum())
    first = np.concatenate([[0], np.cumsum(lens)[:-1]])
    last = first + lens - 1
    state_unit = np.repeat(np.arange(U), lens)
    state_col = unit_col[state_unit]
    can_stay = np.zeros(S, dtype=bool)
    can_stay[last] = True
    optional = np.array([opt for _, opt, _ in units], dtype=bool)
    entry_pen = np.zeros(S, dtype=np.float32)
    entry_pen[first[optional]] = -float(silence_penalty)
    # skip over an optional unit: first state of unit u <- last state of unit u-2
    skip_src = np.full(S, -1, dtype=np.int64)
    for u in range(2, U):
        if optional[u - 1]:
            skip_src[first[u]] = last[u - 2]
    has_skip = skip_src >= 0
    skip_idx = np.where(has_skip, skip_src, 0)

    # ---- Viterbi (beam-pruned window of states, so long clips fit in memory) ----
    end_states = [S - 1]
    if optional[-1] and U > 1:
        end_states.append(int(last[U - 2]))
    path = None
    for bw in (beam, beam * 4, float("inf")):
        path = _viterbi_window(E, state_col, can_stay, entry_pen, skip_src, has_skip, first, optional,
                               end_states, float(bw))
        if path is not None or not np.isfinite(beam):
            break
    if path is None:
        raise AlignmentError("no alignment found: the transcript does not fit the audio; "
                             "check that the transcript belongs to this clip")
    upath = state_unit[path]

    # ---- segments ----
    change = np.flatnonzero(np.diff(upath)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [T]])
    seg_cols = unit_col[upath[starts]]
    btimes = change * hop
    if refine and change.size:
        btimes = refine_boundaries(E, change, seg_cols, hop, strength=refine)
    pv = mouth_probs(lp, post.labels)
    out: list[TimedPhone] = []
    wspans: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(zip(starts, ends)):
        u = int(upath[a])
        ph, _, wi = units[u]
        conf = _mouth_confidence(pv[a:b], ph)
        t0 = float(btimes[k - 1]) if k > 0 else 0.0
        t1 = float(btimes[k]) if b < T else dur
        word = words[wi][0] if wi >= 0 and words[wi][0] else None
        if out and out[-1].phone == SIL and ph == SIL:
            out[-1].end = t1
            continue
        out.append(TimedPhone(t0, t1, ph, conf, word))
        if wi >= 0:
            wspans.setdefault(wi, []).append(len(out) - 1)
    if out:
        out[-1].end = max(out[-1].end, dur)
        out[0].start = 0.0
    tw = []
    for wi in sorted(wspans):
        idx = wspans[wi]
        text = words[wi][0]
        if not text:
            continue
        conf = float(min(out[i].confidence for i in idx))
        tw.append(TimedWord(out[idx[0]].start, out[idx[-1]].end, text, conf))
    track = PhoneTrack(out, dur, words=tw, recognizer=recognizer, language=language, source=post.source)
    speech_conf = [p.confidence for p in out if p.phone != SIL]
    if speech_conf and float(np.mean(speech_conf)) < 0.25:
        track.warnings.append(
            f"the transcript fits the audio poorly (mean phone confidence {np.mean(speech_conf):.2f}); "
            "check that the transcript matches what is said, or run without a transcript")
    return track


def refine_boundaries(E: np.ndarray, change: np.ndarray, seg_cols: np.ndarray, hop: float,
                      strength: float = 1.0) -> np.ndarray:
    """Sub-frame boundary times (seconds) for a frame-level segmentation.

    ``change[i]`` is the first frame of segment ``i + 1``; ``seg_cols[i]`` the
    column of ``E`` ([T, K] log-scores) that scores segment ``i``. On the grid
    the boundary sits at ``change * hop``, between the centres of frames
    ``b - 1`` and ``b``. The score difference left - right is taken as linear
    between those two centres and the boundary moved to its zero crossing
    (times ``strength``), at most half a frame either way, and never past the
    middle of a neighbouring segment (segments keep their order and a positive
    length). Where the scores do not cross in that direction the grid time is kept.
    """
    change = np.asarray(change, dtype=np.int64)
    t = change.astype(np.float64) * hop
    if change.size == 0 or strength <= 0:
        return t
    left = np.asarray(seg_cols[:-1], dtype=np.int64)
    right = np.asarray(seg_cols[1:], dtype=np.int64)
    E = np.asarray(E, dtype=np.float64)
    d0 = E[change - 1, left] - E[change - 1, right]
    d1 = E[change, left] - E[change, right]
    ok = (d0 > d1) & np.isfinite(d0) & np.isfinite(d1)
    frac = np.where(ok, d0 / np.where(ok, d0 - d1, 1.0), 0.5)
    frac = np.clip(frac, 0.0, 1.0)
    shift = (frac - 0.5) * hop * float(min(strength, 1.0))
    # keep every segment at least half its frames long
    seg_start = np.concatenate([[0], change[:-1]])
    seg_end = np.concatenate([change[1:], [np.iinfo(np.int64).max // 4]])
    lo = -0.5 * (change - seg_start) * hop
    hi = 0.5 * (seg_end - change) * hop
    return t + np.clip(shift, np.maximum(lo, -0.5 * hop), np.minimum(hi, 0.5 * hop))


def _viterbi_window(E, state_col, can_stay, entry_pen, skip_src, has_skip, first, optional,
                    end_states, beam):
    """Left-to-right Viterbi over expanded states; returns the state path or None if the end is unreachable."""
    T = E.shape[0]
    S = state_col.shape[0]
    sk_dst_all = np.flatnonzero(has_skip)
    sk_src_all = skip_src[sk_dst_all]
    sk_pen_all = entry_pen[sk_dst_all]
    jump = int(max(1, (sk_dst_all - sk_src_all).max())) if sk_dst_all.size else 1
    not_stay = ~can_stay
    delta = np.full(S, NEG, dtype=np.float32)
    delta[0] = E[0, state_col[0]] + entry_pen[0]
    lo, hi = 0, 0
    if optional[0] and len(first) > 1:
        delta[first[1]] = E[0, state_col[first[1]]] + entry_pen[first[1]]
        hi = int(first[1])
    rows: list[np.ndarray] = [np.zeros(1, np.int8)]
    los = np.zeros(T, dtype=np.int64)
    neg1 = np.array([NEG], dtype=np.float32)
    for t in range(1, T):
        nlo, nhi = lo, min(S - 1, hi + jump)
        w = slice(nlo, nhi + 1)
        cur = delta[w].copy()
        cur[not_stay[w]] = NEG
        adv = delta[nlo - 1:nhi] if nlo > 0 else np.concatenate([neg1, delta[0:nhi]])
        adv = adv + entry_pen[w]
        c1 = adv > cur
        np.maximum(adv, cur, out=cur)
        row = c1.astype(np.int8)
        if sk_dst_all.size:
            i0, i1 = np.searchsorted(sk_dst_all, [nlo, nhi + 1])
            if i1 > i0:
                d = sk_dst_all[i0:i1]
                sv = delta[sk_src_all[i0:i1]] + sk_pen_all[i0:i1]
                c2 = sv > cur[d - nlo]
                if c2.any():
                    dd = d[c2] - nlo
                    cur[dd] = sv[c2]
                    row[dd] = 2
        cur += E[t, state_col[w]]
        delta[lo:hi + 1] = NEG
        best = cur.max()
        if best <= NEG / 2:
            return None
        if np.isfinite(beam):
            keep = np.flatnonzero(cur >= best - beam)
            klo, khi = int(keep[0]), int(keep[-1])
        else:
            alive = np.flatnonzero(cur > NEG / 2)
            klo, khi = int(alive[0]), int(alive[-1])
        lo, hi = nlo + klo, nlo + khi
        delta[lo:hi + 1] = cur[klo:khi + 1]
        rows.append(row)
        los[t] = nlo
    cand = [e for e in end_states if lo <= e <= hi and delta[e] > NEG / 2]
    if not cand:
        return None
    s = max(cand, key=lambda i: delta[i])
    path = np.empty(T, dtype=np.int64)
    for t in range(T - 1, -1, -1):
        path[t] = s
        if t == 0:
            break
        c = rows[t][s - los[t]]
        if c == 1:
            s -= 1
        elif c == 2:
            s = int(skip_src[s])
    return path


def _decode_path(lp: np.ndarray, mk: np.ndarray, pen: float) -> np.ndarray:
    """Best label per frame with segments of label k lasting at least mk[k] frames, switch cost ``pen``.

    D[t, k]: best score of a path whose segment of label k ends at or after t
    having lasted at least mk[k] frames. A segment is entered all at once:
    D[t, k] = max(D[t-1, k] + lp[t, k], max_j D[t - mk[k], j] - pen + sum lp[t-mk[k]+1 .. t, k]).
    Re-entering the same label is never better than staying (pen >= 0), so the
    max over j needs no j != k exclusion: one argmax per frame.
    """
    T, K = lp.shape
    lp = np.asarray(lp, dtype=np.float32)
    mk = np.asarray(mk, dtype=np.int64)
    C = np.zeros((T + 1, K), np.float64)
    np.cumsum(lp, axis=0, out=C[1:])
    cols = np.arange(K)[None, :]
    t_idx = np.arange(T)[:, None]
    first = t_idx - mk[None, :] + 1
    W = (C[t_idx + 1, cols] - C[np.maximum(first, 0), cols]).astype(np.float32)
    W[first < 0] = NEG
    ms = sorted({int(m) for m in mk})
    groups = [np.flatnonzero(mk == m) for m in ms]
    gidx = np.zeros(K, dtype=np.int64)
    for gi, g in enumerate(groups):
        gidx[g] = gi
    D = np.full((T, K), NEG, np.float32)
    stay_ch = np.zeros((T, K), dtype=bool)
    src = np.full((T, len(ms)), -1, dtype=np.int64)
    enter = np.empty(K, np.float32)
    stay = np.empty(K, np.float32)
    pen32 = np.float32(max(0.0, pen))
    single = len(ms) == 1
    for t in range(T):
        if single:
            tp = t - ms[0]
            if tp >= 0:
                row = D[tp]
                j = int(row.argmax())
                src[t, 0] = j
                np.add(W[t], row[j] - pen32, out=enter)
            elif tp == -1:
                enter[:] = W[t]
            else:
                enter[:] = NEG
        else:
            for gi, (m, g) in enumerate(zip(ms, groups)):
                tp = t - m
                if tp >= 0:
                    row = D[tp]
                    j = int(row.argmax())
                    src[t, gi] = j
                    enter[g] = W[t, g] + (row[j] - pen32)
                elif tp == -1:
                    enter[g] = W[t, g]
                else:
                    enter[g] = NEG
        if t > 0:
            np.add(D[t - 1], lp[t], out=stay)
            np.greater_equal(stay, enter, out=stay_ch[t])
            np.maximum(stay, enter, out=D[t])
        else:
            D[0] = enter
    path = np.empty(T, dtype=np.int64)
    k = int(D[T - 1].argmax())
    t = T - 1
    while t >= 0:
        if t > 0 and stay_ch[t, k]:
            path[t] = k
            t -= 1
            continue
        m = int(mk[k])
        path[max(0, t - m + 1):t + 1] = k
        j = int(src[t, gidx[k]])
        t -= m
        k = j
    return path


# --------------------------------------------------------------------------
# Free decoding
# --------------------------------------------------------------------------

def decode(
    post: FramePosteriors,
    min_frames: int = 3,
    switch_penalty: float = 1.0,
    *,
    silence_min_frames: int | None = None,
    duration: float | None = None,
    recognizer: str = "",
    language: str = "eng",
) -> PhoneTrack:
    """Duration-aware Viterbi free decoding of ``post`` into timed phones.

    Every segment lasts at least ``min_frames`` frames (shortened for clips
    shorter than that), a change of phone costs ``switch_penalty`` (log
    score), so there is no single-frame flicker. Confidence per phone: its
    mean posterior blended with how often it is the best label.
    """
    lp = np.asarray(post.log_probs, dtype=np.float32)
    T, K = lp.shape if lp.ndim == 2 else (0, 0)
    hop = float(post.hop)
    dur = float(duration) if duration is not None else T * hop
    if K == 0 or lp.shape[1] != len(post.labels):
        raise AlignmentError(f"log_probs must be [frames, {len(post.labels)}], got {lp.shape}")
    names = [normalize(x) for x in post.labels]
    if T == 0:
        return PhoneTrack([TimedPhone(0.0, max(dur, 0.0), SIL, 1.0)], max(dur, 0.0),
                          recognizer=recognizer, language=language, source=post.source)
    m = int(max(1, min(min_frames, T)))
    # per-label minimum: silence may need longer
    mk = np.full(K, m, dtype=np.int64)
    if silence_min_frames is not None:
        mk[[i for i, n in enumerate(names) if n == SIL]] = max(1, min(int(silence_min_frames), T))
    labels_path = _decode_path(lp, mk, float(switch_penalty))

    change = np.flatnonzero(np.diff(labels_path)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [T]])
    pv = mouth_probs(lp, post.labels)
    out: list[TimedPhone] = []
    for a, b in zip(starts, ends):
        kk = int(labels_path[a])
        ph = names[kk]
        conf = _mouth_confidence(pv[a:b], ph)
        t1 = b * hop if b < T else dur
        if out and out[-1].phone == ph:  # two labels with the same IPA form
            out[-1].end = t1
            continue
        out.append(TimedPhone(a * hop, t1, ph, conf))
    out[-1].end = max(out[-1].end, dur)
    return PhoneTrack(out, dur, recognizer=recognizer, language=language, source=post.source)


# --------------------------------------------------------------------------
# CTC spikes -> segments
# --------------------------------------------------------------------------

def ctc_greedy(post: FramePosteriors, blank: str = "<blk>") -> list[tuple[int, str]]:
    """Best-path CTC decoding: (frame of the spike, IPA phone) per recognised phone."""
    lp = np.asarray(post.log_probs)
    best = lp.argmax(axis=1)
    out = []
    prev = -1
    b = post.labels.index(blank) if blank in post.labels else -1
    for t, k in enumerate(best):
        if k != prev and k != b:
            out.append((t, normalize(post.labels[k])))
        prev = k
    return [(t, p) for t, p in out if p != SIL]


def spikes_to_segments(
    post: FramePosteriors,
    phones: list[str] | None = None,
    blank: str = "<blk>",
    silence_evidence: np.ndarray | None = None,
    *,
    duration: float | None = None,
    min_duration: float = 0.03,
    recognizer: str = "",
    language: str = "eng",
) -> PhoneTrack:
    """Turn CTC output into timed phone segments.

    CTC models put a one-frame spike per phone and ``blank`` everywhere else,
    so spike times are not boundaries. Here the blank is removed, the phone
    probabilities renormalised per frame, a silence score built from the blank
    probability (and ``silence_evidence``, per frame in [0, 1], e.g. from a
    quiet-audio detector, when given), and the recognised sequence (``phones``,
    or the greedy CTC decoding) is force-aligned over those frames.
    """
    lp = np.asarray(post.log_probs, dtype=np.float64)
    T = lp.shape[0]
    if blank in post.labels:
        bi = post.labels.index(blank)
        p_blank = np.exp(lp[:, bi])
        keep = [i for i in range(len(post.labels)) if i != bi]
    else:
        p_blank = np.zeros(T)
        keep = list(range(len(post.labels)))
    if phones is None:
        phones = [p for _, p in ctc_greedy(post, blank)]
    phones = [normalize(p) for p in phones if normalize(p) != SIL]
    dur = float(duration) if duration is not None else T * post.hop
    if not phones:
        return PhoneTrack([TimedPhone(0.0, dur, SIL, 1.0)], dur, recognizer=recognizer,
                          language=language, source=post.source)
    sub = lp[:, keep]
    sub = sub - sub.max(axis=1, keepdims=True)
    sub = sub - np.log(np.exp(sub).sum(axis=1, keepdims=True))
    labels = [normalize(post.labels[i]) for i in keep]
    # silence: a blank between two spikes is still speech, so a frame counts as
    # speech when a spike (non-blank mass) lies within ~60 ms of it
    from scipy.ndimage import maximum_filter1d

    w = max(1, int(round(0.06 / post.hop)))
    p_speech = maximum_filter1d(1.0 - p_blank, size=2 * w + 1, mode="nearest")
    p_sil = 1.0 - p_speech
    if silence_evidence is not None:
        ev = np.asarray(silence_evidence, dtype=np.float64)[:T]
        if ev.shape[0] < T:
            ev = np.pad(ev, (0, T - ev.shape[0]), mode="edge")
        p_sil = 0.5 * p_sil + 0.5 * np.clip(ev, 0.0, 1.0)
    p_sil = np.clip(p_sil, 1e-4, 1 - 1e-4)
    if SIL in labels:
        si = labels.index(SIL)
        sub[:, si] = np.log(p_sil)
        others = [i for i in range(len(labels)) if i != si]
        sub[:, others] += np.log1p(-p_sil)[:, None]
        new_lp, new_labels = sub, labels
    else:
        new_lp = np.concatenate([sub + np.log1p(-p_sil)[:, None], np.log(p_sil)[:, None]], axis=1)
        new_labels = labels + [SIL]
    fp = FramePosteriors(new_labels, new_lp.astype(np.float32), hop=post.hop, source=post.source)
    return forced_align(fp, phones, [("", 1)] * len(phones), optional_silence=True, min_duration=min_duration,
                        duration=dur, recognizer=recognizer, language=language,
                        silence_penalty=1.0)


# --------------------------------------------------------------------------
# Two alignments of the same transcript -> one
# --------------------------------------------------------------------------

def fuse_tracks(primary: PhoneTrack, secondary: PhoneTrack, weight: float = 0.5,
                secondary_offset: float = 0.0, max_gap: float = 0.06) -> tuple[PhoneTrack, np.ndarray]:
    """Combine the boundary times of two alignments of the same clip.

    The phone sequences are matched (``difflib``); a boundary of ``primary``
    between two phones that both match consecutive phones of ``secondary``
    moves to ``(1 - weight) * t_primary + weight * (t_secondary + secondary_offset)``
    when the two times are within ``max_gap`` seconds (farther apart, one of
    them is wrong and the primary's is kept). Every other boundary, and all
    phones, labels, words and confidences are the primary's. Returns the new
    track (a copy) and, per boundary of the primary, whether it was fused.
    """
    import copy
    from difflib import SequenceMatcher

    out = copy.deepcopy(primary)
    ph = out.phones
    nb = max(0, len(ph) - 1)
    fused = np.zeros(nb, dtype=bool)
    if nb == 0 or not secondary.phones:
        return out, fused
    a = [normalize(p.phone) for p in ph]
    b = [normalize(p.phone) for p in secondary.phones]
    sm = SequenceMatcher(a=a, b=b, autojunk=False)
    times = np.array([p.end for p in ph[:-1]], dtype=np.float64)
    new = times.copy()
    for blk in sm.get_matching_blocks():
        for k in range(blk.size - 1):
            i, j = blk.a + k, blk.b + k  # boundary after phone i (primary) / j (secondary)
            ts = secondary.phones[j].end + secondary_offset
            if abs(ts - times[i]) <= max_gap:
                new[i] = (1.0 - weight) * times[i] + weight * ts
                fused[i] = True
    # keep the order and a positive length for every phone
    eps = 1e-3
    for i in range(nb):
        lo = (new[i - 1] if i > 0 else ph[0].start) + eps
        hi = (times[i + 1] if i + 1 < nb else out.duration) - eps
        new[i] = float(np.clip(new[i], lo, max(lo, hi)))
    for i in range(nb):
        ph[i].end = float(new[i])
        ph[i + 1].start = float(new[i])
    wi = 0
    for w in out.words:  # words follow their phones
        inside = [p for p in ph if p.word == w.text and p.phone != SIL]
        while wi < len(ph) and not (ph[wi].word == w.text and ph[wi].phone != SIL):
            wi += 1
        if inside and wi < len(ph):
            w.start = ph[wi].start
            j = wi
            while j + 1 < len(ph) and ph[j + 1].word == w.text and ph[j + 1].phone != SIL:
                j += 1
            w.end = ph[j].end
            wi = j + 1
    return out, fused
