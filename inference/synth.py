"""Synthetic speech with exact phone timings (flite voices), for training data.

``flite -psdur`` prints every phone with its end time; we convert the phones
(festival's ARPAbet-like set) to IPA through ``phonemes.phoneset`` and correct
each engine's label offset (``ENGINE_OFFSETS``, seconds added to the engine's
times; measured with ``tools/synth_offsets.py``: the median lag between the
engine's pause->speech boundaries and the acoustic onset of speech).
No torch here.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np

from ..phonemes import phoneset
from ..phonemes.types import SIL

FLITE_VOICES = ("slt", "rms", "awb", "kal16")
# seconds added to each engine's reported times (see tools/synth_offsets.py for the measurement)
# measured 2026-11-24 (30 ARCTIC prompts per voice): slt +6, rms +5, awb +5, kal16 +10 ms median lag
ENGINE_OFFSETS = {"flite:slt": 0.005, "flite:rms": 0.005, "flite:awb": 0.005, "flite:kal16": 0.010}


class SynthError(RuntimeError):
    pass


def flite_available() -> bool:
    return shutil.which("flite") is not None


def festival_phone_to_ipa(p: str) -> str:
    p = p.strip().lower()
    if p in ("pau", "h#", "brth", ""):
        return SIL
    if p == "ax":
        return "ə"
    return phoneset.arpabet_to_ipa(p.upper())


def parse_psdur(text: str) -> list[tuple[float, float, str]]:
    """``pau:0.184 dh:0.246 ...`` -> [(start, end, ipa)] (engine times, no offset)."""
    segs = []
    t = 0.0
    for tok in text.split():
        if ":" not in tok:
            continue
        name, end = tok.rsplit(":", 1)
        try:
            e = float(end)
        except ValueError:
            continue
        segs.append((t, e, festival_phone_to_ipa(name)))
        t = e
    return segs


def per_text_value(text: str, lo_hi: tuple[float, float], byte: int = 0) -> float:
    """A value in [lo, hi] drawn from byte ``byte`` of the text's SHA-1: the same text always gets the same
    speaking rate / noise setting, different texts spread over the range (no global random state)."""
    import hashlib

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


def synthesize_flite(text: str, voice: str = "slt", apply_offset: bool = True):
    """Speak ``text`` with a flite voice. Returns (samples float32 at 16 kHz, [(start, end, ipa)])."""
    import soundfile as sf

    from ..phonemes.audio import resample

    if not flite_available():
        raise SynthError("flite is not installed: `apt-get install flite` (needed only to make synthetic training data).")
    if voice not in FLITE_VOICES:
        raise SynthError(f"unknown flite voice {voice!r}; use one of {FLITE_VOICES}")
    with tempfile.TemporaryDirectory() as d:
        wav = os.path.join(d, "x.wav")
        res = subprocess.run(["flite", "-voice", voice, "-psdur", "-t", text, "-o", wav],
                             capture_output=True, text=True, timeout=60)
        if res.returncode != 0 or not os.path.exists(wav):
            raise SynthError(f"flite failed: {res.stderr.strip()[:300]}")
        x, sr = sf.read(wav, dtype="float32")
    if x.ndim == 2:
        x = x.mean(axis=1)
    if sr != 16000:
        x = resample(x, sr, 16000).astype(np.float32)
    segs = parse_psdur(res.stdout)
    if apply_offset:
        off = ENGINE_OFFSETS.get(f"flite:{voice}", 0.0)
        segs = [(max(s + off, 0.0), e + off, p) for s, e, p in segs]
    dur = len(x) / 16000.0
    if segs:
        segs[-1] = (segs[-1][0], max(segs[-1][1], dur), segs[-1][2])
    return x, segs


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


# ---------------------------------------------------------------- all engines
# A voice is named "engine:voice" (e.g. "flite:slt", "espeak:en-us+m3", "piper:joe", "festival:slt_hts").
# Each engine module gives VOICES, OFFSETS ("engine:voice" -> seconds added), available() and
# synthesize(text, voice, apply_offset=True) -> (float32 samples at 16 kHz, [(start, end, ipa)]).
ENGINES = ("flite", "espeak", "piper", "festival")


def _engine(name: str):
    if name == "flite":
        import sys

        return sys.modules[__name__]
    if name == "espeak":
        from . import synth_espeak as m
    elif name == "piper":
        from . import synth_piper as m
    elif name == "festival":
        from . import synth_festival as m
    else:
        raise SynthError(f"unknown synthesis engine {name!r}; use one of {ENGINES}")
    return m


VOICES = tuple(f"flite:{v}" for v in FLITE_VOICES)
OFFSETS = ENGINE_OFFSETS


def available() -> bool:
    return flite_available()


def synthesize(text: str, voice: str, apply_offset: bool = True):
    """Speak ``text`` with ``voice`` ("engine:voice"); (float32 samples at 16 kHz, [(start, end, ipa)])."""
    if voice.startswith("flite:"):
        return synthesize_flite(text, voice.split(":", 1)[1], apply_offset)
    engine, _, name = voice.partition(":")
    return _engine(engine).synthesize(text, name, apply_offset)


def engine_voices(engine: str) -> tuple:
    """The voices ("engine:voice") of an engine, or () when the engine is not installed here."""
    m = _engine(engine)
    try:
        ok = m.available()
    except Exception:
        ok = False
    return tuple(m.VOICES) if ok else ()


__all__ = ["FLITE_VOICES", "ENGINE_OFFSETS", "SynthError", "synthesize_flite", "parse_psdur", "onset_lags",
           "flite_available", "festival_phone_to_ipa", "ENGINES", "synthesize", "engine_voices", "VOICES",
           "OFFSETS", "available", "fit_segments", "per_text_value"]
