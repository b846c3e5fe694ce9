"""Measure each synthetic voice's label offset (label time vs acoustic onset after a pause).

Usage: .venv/bin/python -m lipsync.training.synth_offsets [--n 40] [--voices espeak:en-us,flite:slt | espeak ...]
Prints, per voice ("engine:voice"; an engine name alone means all its voices), the median
of (acoustic onset - labelled pause end) over many prompts, measured on the engine's own
times (``synth.synthesize(..., apply_offset=False)``). The medians go into the engine's
OFFSETS (``training/synth/<engine>.py``).
By default every voice of every engine installed here is measured; engines whose module or
program is missing are skipped with a note.
Stop-initial words have a silent closure before the burst, so only phones that start with
voicing/frication right away are counted (vowels, fricatives, nasals, approximants).
"""
import argparse
import glob
import os
import sys

import numpy as np

from ..phonemes.phoneset import features
from ..phonemes.types import SIL
from . import synth
from .data import DEFAULT_DATA as DATA
from .synth.common import SynthError, onset_lags



def engine_voices(engine: str) -> tuple:
    """All voices of ``engine`` here; () with a note on stderr when its module or program is missing."""
    try:
        voices = synth.engine_voices(engine)
    except (SynthError, ImportError) as exc:
        print(f"# {engine}: skipped ({exc})", file=sys.stderr)
        return ()
    if not voices:
        print(f"# {engine}: skipped (not installed here)", file=sys.stderr)
    return voices


def resolve_voices(spec: str | None) -> list[str]:
    if not spec:
        names = list(synth.ENGINES)
    else:
        names = [v.strip() for v in spec.replace(" ", ",").split(",") if v.strip()]
    out: list[str] = []
    for name in names:
        out += list(engine_voices(name)) if ":" not in name else [name]
    return out


def _starts_at_once(phone: str) -> bool:
    """Phones with energy from their first moment (not stops/affricates, whose closure is silent)."""
    f = features(phone)
    if f is None or f.kind == "silence":
        return False
    return not (f.kind == "consonant" and f.manner in ("stop", "affricate"))


def voice_lags(voice: str, texts) -> np.ndarray:
    lags = []
    for t in texts:
        # put pauses inside the utterance too: commas give silence->speech boundaries
        x, segs = synth.synthesize(t.replace(" the ", ", the ").replace(" a ", ", a "), voice, apply_offset=False)
        lag = onset_lags(x, segs)
        # the boundaries onset_lags measured, in its order
        pairs = [(a, b) for a, b in zip(segs, segs[1:]) if a[2] == SIL and b[2] != SIL and a[1] - a[0] >= 0.05]
        lags += [v for v, (_a, b) in zip(lag, pairs) if _starts_at_once(b[2])]
    lags = np.array(lags, dtype=float)
    return lags[np.isfinite(lags)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40, help="prompts per voice (every third cathy prompt)")
    ap.add_argument("--voices", default=None,
                    help="comma-separated voices (engine:voice) or engine names; default: all installed")
    args = ap.parse_args()
    texts = []
    for f in sorted(glob.glob(os.path.join(DATA, "cathy", "text", "*.txt")))[: args.n * 3: 3]:
        with open(f) as fh:
            texts.append(fh.read().strip())
    if not texts:
        sys.exit(f"no prompts found under {DATA}/cathy/text (set LIPSYNC_DATA)")
    medians = {}
    for voice in resolve_voices(args.voices):
        try:
            lags = voice_lags(voice, texts)
        except SynthError as exc:
            print(f"# {voice}: skipped ({exc})", file=sys.stderr)
            continue
        if not len(lags):
            print(f"{voice}: no pause->speech boundaries measured")
            continue
        medians[voice] = round(float(np.median(lags)), 3)
        print(f"{voice}: n={len(lags)} median lag {np.median(lags) * 1000:+.1f} ms "
              f"(IQR {np.percentile(lags, 25) * 1000:+.1f}..{np.percentile(lags, 75) * 1000:+.1f} ms)", flush=True)
    if medians:
        print("# OFFSETS (seconds added to the engine's times):")
        print("{" + ", ".join(f'"{v}": {m:.3f}' for v, m in medians.items()) + "}")


if __name__ == "__main__":
    main()
