"""Accuracy measures shared by the benchmarks (bpy- and torch-free).

Phone lists are (start, end, phone) rows or TimedPhone objects, phones in IPA.
- viseme frame accuracy: per 10 ms frame, Preston Blair shape (9 classes) and
  visual class (5: closed, lip-to-teeth, rounded, open, narrow) of reference vs
  hypothesis (diphthongs split into their targets, as the animation does);
- bilabial closure: recall = share of reference M/B/P segments with a closed-lips
  frame (shape A) inside them (widened by ``tol``); precision = share of the
  hypothesis's closed-lips runs that touch a reference M/B/P (same tolerance);
- boundary error: for each reference phone boundary, the distance to the
  nearest hypothesis boundary (seconds);
- tolerant 5-class accuracy (:func:`tolerant_class_hits`): a frame counts as right when
  the hypothesis's class occurs in the reference within ``tol`` (default one film frame
  at 24 fps) of it; balanced accuracy = the mean over the 5 classes of that share;
- word error rate (:func:`word_errors`): substitutions + deletions + insertions over
  reference words, after lower-casing, dropping punctuation and spelling out numbers.
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


FILM_FRAME = 1.0 / 24.0
CLASSES = ("closed", "lip-to-teeth", "rounded", "open", "narrow")


def tolerant_class_hits(ref, hyp, duration: float, hop: float = FRAME_HOP, tol: float = FILM_FRAME) -> dict:
    """Per visual class: reference frames, and those whose hypothesis class occurs in the reference within
    ``tol`` seconds (sum the counts over clips)."""
    n = max(1, int(round(duration / hop)))
    rc, hc = to_classes(frame_visemes(ref, n, hop)), to_classes(frame_visemes(hyp, n, hop))
    k = int(round(tol / hop))
    ok = rc == hc
    for d in range(1, k + 1):
        ok[d:] |= hc[d:] == rc[:-d]
        ok[:-d] |= hc[:-d] == rc[d:]
    return {c: (int(np.sum(rc == c)), int(np.sum(ok & (rc == c)))) for c in CLASSES}


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def _spell(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10 - 2] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + _spell(n % 100))
    if n < 1_000_000:
        return _spell(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + _spell(n % 1000))
    return str(n)


def normalize_words(text: str) -> list[str]:
    """Lower-case words without punctuation, numbers spelt out (for a fair word error rate)."""
    import re

    out = []
    for tok in re.findall(r"[a-z0-9']+", (text or "").lower().replace("-", " ")):
        tok = tok.strip("'")
        if tok.isdigit():
            out.extend(_spell(int(tok)).split())
        elif tok:
            out.append(tok)
    return out


def word_errors(ref_text: str, hyp_text: str) -> tuple[int, int]:
    """(edit distance in words, reference words) between two texts (normalised by :func:`normalize_words`)."""
    r, h = normalize_words(ref_text), normalize_words(hyp_text)
    d = np.arange(len(h) + 1)
    for i in range(1, len(r) + 1):
        prev, d = d, np.empty_like(d)
        d[0] = i
        for j in range(1, len(h) + 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r[i - 1] != h[j - 1]))
    return int(d[len(h)]), len(r)


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
        self.class_frames = {c: [0, 0] for c in CLASSES}  # reference frames, right within one film frame
        self.class_exact = {c: [0, 0] for c in CLASSES}  # reference frames, right on the frame
        self.word_edits = self.ref_words = 0

    def add(self, ref, hyp, duration: float, wall_s: float = 0.0, ref_text: str | None = None,
            hyp_text: str | None = None):
        a = viseme_accuracy(ref, hyp, duration)
        b = bilabial_closure(ref, hyp, duration)
        for c, (n, hit) in tolerant_class_hits(ref, hyp, duration).items():
            self.class_frames[c][0] += n
            self.class_frames[c][1] += hit
        for c, (n, hit) in tolerant_class_hits(ref, hyp, duration, tol=0.0).items():
            self.class_exact[c][0] += n
            self.class_exact[c][1] += hit
        if ref_text is not None and hyp_text is not None:
            e, n = word_errors(ref_text, hyp_text)
            self.word_edits += e
            self.ref_words += n
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
            "acc5_tol": (sum(h for _, h in self.class_frames.values()) / self.frames) if self.frames else float("nan"),
            "balanced_tol": float(np.mean([h / n for n, h in self.class_frames.values() if n]))
            if any(n for n, _ in self.class_frames.values()) else float("nan"),
            "balanced": float(np.mean([h / n for n, h in self.class_exact.values() if n]))
            if any(n for n, _ in self.class_exact.values()) else float("nan"),
            "wer": self.word_edits / self.ref_words if self.ref_words else float("nan"),
        }
