"""flite voices with exact phone timings: ``flite -psdur`` prints every phone with its end time.

The phones (festival's ARPAbet-like set) become IPA through ``phonemes.phoneset``, and each
voice's label offset (``OFFSETS``, seconds added to the engine's times; measured with
``python -m lipsync.training.synth_offsets``: the median lag between the engine's
pause->speech boundaries and the acoustic onset of speech) is applied. No torch here.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np

from .common import SynthError, festival_phone_to_ipa

FLITE_VOICES = ("slt", "rms", "awb", "kal16")
VOICES = tuple(f"flite:{v}" for v in FLITE_VOICES)
# seconds added to each voice's reported times (python -m lipsync.training.synth_offsets)
# measured 2026-11-24 (30 ARCTIC prompts per voice): slt +6, rms +5, awb +5, kal16 +10 ms median lag
OFFSETS = {"flite:slt": 0.005, "flite:rms": 0.005, "flite:awb": 0.005, "flite:kal16": 0.010}


def available() -> bool:
    return shutil.which("flite") is not None


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


def synthesize(text: str, voice: str = "slt", apply_offset: bool = True):
    """Speak ``text`` with a flite voice. Returns (samples float32 at 16 kHz, [(start, end, ipa)])."""
    import soundfile as sf

    from ...phonemes.audio import resample

    if not available():
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
        off = OFFSETS.get(f"flite:{voice}", 0.0)
        segs = [(max(s + off, 0.0), e + off, p) for s, e, p in segs]
    dur = len(x) / 16000.0
    if segs:
        segs[-1] = (segs[-1][0], max(segs[-1][1], dur), segs[-1][2])
    return x, segs


__all__ = ["FLITE_VOICES", "VOICES", "OFFSETS", "available", "parse_psdur", "synthesize"]
