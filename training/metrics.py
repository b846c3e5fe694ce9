"""Accuracy measures shared by the benchmarks (bpy- and torch-free).

Phone lists are (start, end, phone) rows or TimedPhone objects, phones in IPA.
- viseme frame accuracy: per 10 ms frame, Preston Blair shape (9 classes) and
  visual class (5: closed, lip-to-teeth, rounded, open, narrow) of reference vs
  hypothesis (diphthongs split into their targets, as the animation does);
- bilabial closure: recall = share of reference M/B/P segments with a closed-lips
  frame (shape A) inside them (widened by ``tol``); precision = share of the
  hypothesis's closed-lips runs that touch a reference M/B/P (same tolerance);
- boundary error: for each reference phone boundary, the distance to the
  nearest hypothesis boundary (seconds).
"""
from __future__ import annotations

import numpy as np

from ..phonemes.types import FRAME_HOP, SIL
from ..phonemes.visemes import VISEME_TO_CLASS, viseme_sequence

CLOSED = "A"


def _rows(phones) -> list[tuple[float, float, str]]:
    out = []
    for p in phones:
        if isinstance(p, tuple):
            out.append((float(p[0]), float(p[1]), p[2]))
        else:
            out.append((float(p.start), float(p.end), p.phone))
    return out


def frame_visemes(phones, n_frames: int, hop: float = FRAME_HOP) -> np.ndarray:
    """Preston Blair shape per frame (frame centres), rest (X) where nothing is labelled."""
    out = np.full(n_frames, "X", dtype="<U1")
    centres = (np.arange(n_frames) + 0.5) * hop
    for s, e, p in _rows(phones):
        t0 = s
        for frac, vis, _det in viseme_sequence(p):
            t1 = t0 + frac * (e - s)
            i0, i1 = np.searchsorted(centres, [t0, t1])
            out[i0:i1] = vis
            t0 = t1
    return out


def to_classes(vis: np.ndarray) -> np.ndarray:
    return np.array([VISEME_TO_CLASS[v] for v in vis], dtype=object)


def viseme_accuracy(ref, hyp, duration: float, hop: float = FRAME_HOP) -> dict:
    n = max(1, int(round(duration / hop)))
    r, h = frame_visemes(ref, n, hop), frame_visemes(hyp, n, hop)
    rc, hc = to_classes(r), to_classes(h)
    return {"frames": n, "acc9": float(np.mean(r == h)), "acc5": float(np.mean(rc == hc)),
            "correct9": int(np.sum(r == h)), "correct5": int(np.sum(rc == hc))}


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    if not mask.any():
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def bilabial_closure(ref, hyp, duration: float, hop: float = FRAME_HOP, tol: float = 0.02) -> dict:
    """Counts for closure recall/precision (sum the counts over clips, then divide)."""
    n = max(1, int(round(duration / hop)))
    hv = frame_visemes(hyp, n, hop) == CLOSED
    ref_rows = [(s, e) for s, e, p in _rows(ref) if p != SIL and viseme_sequence(p)[0][1] == CLOSED]
    pad = int(round(tol / hop))
    hit = 0
    for s, e in ref_rows:
        i0 = max(0, int(np.floor(s / hop)) - pad)
        i1 = min(n, int(np.ceil(e / hop)) + pad)
        hit += bool(hv[i0:i1].any())
    runs = _runs(hv)
    rmask = np.zeros(n, bool)
    for s, e in ref_rows:
        rmask[max(0, int(np.floor(s / hop)) - pad): min(n, int(np.ceil(e / hop)) + pad)] = True
    good = sum(bool(rmask[a:b].any()) for a, b in runs)
    return {"ref": len(ref_rows), "ref_hit": hit, "hyp": len(runs), "hyp_good": good}


def boundaries(phones) -> np.ndarray:
    rows = _rows(phones)
    merged: list[list] = []
    for s, e, p in rows:
        if merged and merged[-1][2] == p == SIL:
            merged[-1][1] = e
        else:
            merged.append([s, e, p])
    return np.array([r[0] for r in merged[1:]], dtype=np.float64)


def boundary_errors(ref, hyp) -> np.ndarray:
    """Distance (s) from each internal reference boundary to the nearest hypothesis boundary."""
    rb, hb = boundaries(ref), boundaries(hyp)
    if rb.size == 0:
        return np.zeros(0)
    if hb.size == 0:
        return np.full(rb.size, np.inf)
    idx = np.clip(np.searchsorted(hb, rb), 1, hb.size - 1) if hb.size > 1 else np.zeros(rb.size, int)
    d = np.abs(hb[idx] - rb)
    if hb.size > 1:
        d = np.minimum(d, np.abs(hb[idx - 1] - rb))
    return d


def summarize_boundaries(errors: np.ndarray) -> dict:
    e = np.asarray(errors, dtype=np.float64)
    if e.size == 0:
        return {"n": 0, "median_ms": float("nan"), "within20": float("nan"), "within50": float("nan")}
    return {"n": int(e.size), "median_ms": float(np.median(e) * 1000.0),
            "within20": float(np.mean(e <= 0.02)), "within50": float(np.mean(e <= 0.05))}


class Tally:
    """Accumulates the measures over many clips (frame- and event-weighted)."""

    def __init__(self):
        self.frames = self.c9 = self.c5 = 0
        self.ref = self.ref_hit = self.hyp = self.hyp_good = 0
        self.errors: list[np.ndarray] = []
        self.audio_s = self.wall_s = 0.0

    def add(self, ref, hyp, duration: float, wall_s: float = 0.0):
        a = viseme_accuracy(ref, hyp, duration)
        b = bilabial_closure(ref, hyp, duration)
        self.frames += a["frames"]
        self.c9 += a["correct9"]
        self.c5 += a["correct5"]
        for k in ("ref", "ref_hit", "hyp", "hyp_good"):
            setattr(self, k, getattr(self, k) + b[k])
        self.errors.append(boundary_errors(ref, hyp))
        self.audio_s += duration
        self.wall_s += wall_s

    def summary(self) -> dict:
        be = summarize_boundaries(np.concatenate(self.errors) if self.errors else np.zeros(0))
        return {
            "acc9": self.c9 / self.frames if self.frames else float("nan"),
            "acc5": self.c5 / self.frames if self.frames else float("nan"),
            "closure_recall": self.ref_hit / self.ref if self.ref else float("nan"),
            "closure_precision": self.hyp_good / self.hyp if self.hyp else float("nan"),
            "boundary_median_ms": be["median_ms"], "within20": be["within20"], "within50": be["within50"],
            "rtf": self.wall_s / self.audio_s if self.audio_s else float("nan"),
        }
