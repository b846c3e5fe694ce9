"""What every synthesis engine shares: the error, phone-name conversion, per-text values, row fitting,
and the onset measurement behind each engine's label offset (``training/synth_offsets.py``)."""
from __future__ import annotations

import hashlib

import numpy as np

from ...errors import LipSyncError
from ...phonemes import phoneset
from ...phonemes.types import SIL


class SynthError(LipSyncError, RuntimeError):
    """A synthesis engine or voice that cannot run here; the message says what to install."""


def festival_phone_to_ipa(p: str) -> str:
    """A phone of festival's ARPAbet-like set (flite and festival voices) -> IPA (pauses -> SIL)."""
    p = p.strip().lower()
    if p in ("pau", "h#", "brth", ""):
        return SIL
    if p == "ax":
        return "ə"
    return phoneset.arpabet_to_ipa(p.upper())


def per_text_value(text: str, lo_hi: tuple[float, float], byte: int = 0) -> float:
    """A value in [lo, hi] drawn from byte ``byte`` of the text's SHA-1: the same text always gets the same
    speaking rate / noise setting, different texts spread over the range (no global random state)."""
    lo, hi = lo_hi
    return lo + (hi - lo) * (hashlib.sha1(text.encode("utf-8")).digest()[byte] / 255.0)


def fit_segments(segs, offset: float, duration: float) -> list[tuple[float, float, str]]:
    """Shift engine rows by ``offset`` seconds and make them cover exactly [0, ``duration``].

    Rows pushed outside the audio are clipped (empty ones dropped), neighbouring pauses merged, gaps closed
    by extending the earlier row; a tail of 20 ms or more after a phone becomes a pause."""
    out = []
    for s, e, p in segs:
        s, e = min(max(s + offset, 0.0), duration), min(max(e + offset, 0.0), duration)
        if e <= s:
            continue
        if out and out[-1][2] == p == SIL:
            out[-1][1] = e
        else:
            out.append([s, e, p])
    if not out:
        return [(0.0, duration, SIL)]
    out[0][0] = 0.0
    for a, b in zip(out, out[1:]):
        b[0] = a[1]
    if out[-1][1] < duration:
        if out[-1][2] == SIL or duration - out[-1][1] < 0.02:
            out[-1][1] = duration
        else:
            out.append([out[-1][1], duration, SIL])
    return [tuple(r) for r in out]


def onset_lags(samples: np.ndarray, segs, sr: int = 16000) -> list[float]:
    """For each silence->speech boundary (pause >= 50 ms; NaN when not found): acoustic onset (energy rises 20 dB over the pause floor) minus label time."""
    hop = sr // 1000  # 1 ms
    n = len(samples) // hop
    if n == 0:
        return []
    e = 10 * np.log10(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-10)
    # smooth over 5 ms
    e = np.convolve(e, np.ones(5) / 5, mode="same")
    peak = np.percentile(e, 95)
    lags = []
    for (s0, e0, p0), (s1, e1, p1) in zip(segs, segs[1:]):
        if p0 != SIL or p1 == SIL or e0 - s0 < 0.05:
            continue
        b = int(round(e0 * 1000))
        lo, hi = max(b - 40, 0), min(b + 60, n)
        if hi <= lo:
            lags.append(float("nan"))
            continue
        thr = max(np.median(e[max(int(s0 * 1000), 0): b]) + 20.0, peak - 30.0)
        above = np.nonzero(e[lo:hi] > thr)[0]
        lags.append((lo + above[0]) / 1000.0 - e0 if len(above) else float("nan"))
    return lags


__all__ = ["SynthError", "festival_phone_to_ipa", "per_text_value", "fit_segments", "onset_lags"]
