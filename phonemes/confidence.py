"""Where to look twice: confidence from disagreement between recognisers and from flat posteriors.

Every TimedPhone carries a confidence in [0, 1]; ``PhoneTrack.review_spans``
merges the low ones into spans an animator should check. The functions here
lower confidences where

- two recognisers (or a recogniser and a forced alignment) put different
  mouths on the same stretch of time (:func:`mark_disagreement`), or
- two alignments of the same transcript put a boundary far apart
  (:func:`mark_boundary_agreement`), or
- the frame posteriors are flat, i.e. the model could not tell phones apart
  (:func:`mark_flat_posteriors`).
"""
from __future__ import annotations

import numpy as np

from .align import phone_similarity
from .types import SIL, FramePosteriors, PhoneTrack
from .visemes import VISEME_TO_CLASS, viseme_for_phone

__all__ = ["frame_phones", "agreement", "mark_disagreement", "flatness", "mark_flat_posteriors",
           "mark_boundary_agreement"]


def frame_phones(track: PhoneTrack, hop: float = 0.01) -> list[str]:
    """The phone at each ``hop``-spaced frame of ``track``."""
    n = int(np.ceil(round(track.duration / hop, 6)))  # 0.07 / 0.01 is 7.000000000000001: 7 frames, not 8
    out = [SIL] * n
    for p in track.phones:
        a, b = int(round(p.start / hop)), min(n, max(int(round(p.end / hop)), int(round(p.start / hop)) + 1))
        out[a:b] = [p.phone] * (b - a)
    return out


def _visual_agreement(x: str, y: str) -> float:
    """1 for the same mouth shape, 0.7 for the same visual class, else articulatory similarity."""
    if x == y:
        return 1.0
    vx, vy = viseme_for_phone(x), viseme_for_phone(y)
    if vx == vy:
        return 1.0
    if VISEME_TO_CLASS[vx] == VISEME_TO_CLASS[vy]:
        return max(0.7, phone_similarity(x, y))
    return phone_similarity(x, y)


def agreement(track: PhoneTrack, other: PhoneTrack, hop: float = 0.01) -> np.ndarray:
    """Per-frame agreement (0..1) of the mouths two tracks of the same clip show."""
    fa, fb = frame_phones(track, hop), frame_phones(other, hop)
    n = min(len(fa), len(fb))
    cache: dict[tuple[str, str], float] = {}
    out = np.empty(n, dtype=np.float32)
    for i, (x, y) in enumerate(zip(fa[:n], fb[:n])):
        k = (x, y)
        if k not in cache:
            cache[k] = _visual_agreement(x, y)
        out[i] = cache[k]
    return out


def mark_disagreement(track: PhoneTrack, other: PhoneTrack, hop: float = 0.01,
                      weight: float = 0.5) -> PhoneTrack:
    """Lower each phone's confidence by how much ``other`` disagrees over its frames (in place; returned).

    new confidence = confidence * ((1 - weight) + weight * mean agreement).
    """
    ag = agreement(track, other, hop)
    for p in track.phones:
        a = int(round(p.start / hop))
        b = max(a + 1, int(round(p.end / hop)))
        seg = ag[a:b]
        if seg.size:
            p.confidence = float(p.confidence * ((1.0 - weight) + weight * float(seg.mean())))
    return track


def flatness(post: FramePosteriors) -> np.ndarray:
    """Per-frame normalised entropy of the posteriors: 0 = certain, 1 = uniform (no idea)."""
    lp = np.asarray(post.log_probs, dtype=np.float64)
    K = lp.shape[1]
    if K < 2:
        return np.zeros(lp.shape[0], dtype=np.float32)
    p = np.exp(lp - lp.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    h = -(p * np.log(np.maximum(p, 1e-12))).sum(axis=1)
    return (h / np.log(K)).astype(np.float32)


def mark_flat_posteriors(track: PhoneTrack, post: FramePosteriors, threshold: float = 0.6) -> PhoneTrack:
    """Cap the confidence of phones whose frames are mostly flat (entropy above ``threshold``)."""
    fl = flatness(post)
    hop = post.hop
    for p in track.phones:
        a = int(round(p.start / hop))
        b = max(a + 1, int(round(p.end / hop)))
        seg = fl[a:b]
        if seg.size and float(np.mean(seg > threshold)) > 0.5:
            p.confidence = min(p.confidence, float(1.0 - seg.mean()))
    return track


def mark_boundary_agreement(track: PhoneTrack, agreed, factor: float = 0.8) -> PhoneTrack:
    """Lower the confidence of speech phones next to a boundary two aligners did not agree on.

    ``agreed[i]`` is for the boundary between phone i and i + 1 (as returned by
    ``align.fuse_tracks``); each phone's confidence is multiplied by ``factor``
    once per disagreeing boundary it touches (in place; returned).
    """
    agreed = np.asarray(agreed, dtype=bool)
    ph = track.phones
    for i, ok in enumerate(agreed[: max(0, len(ph) - 1)]):
        if ok:
            continue
        for p in (ph[i], ph[i + 1]):
            if p.phone != SIL:
                p.confidence = float(p.confidence * factor)
    return track
