"""Measure each synthetic engine's label offset (label time vs acoustic onset after a pause).

Usage: .venv/bin/python tools/synth_offsets.py [--n 40]
Prints, per flite voice, the median of (acoustic onset - labelled pause end) over
many prompts. The values go into lipsync.inference.synth.ENGINE_OFFSETS.
Stop-initial words have a silent closure before the burst, so only phones that
start with voicing/frication right away are counted (vowels, fricatives, nasals,
approximants).
"""
import argparse
import glob
import os

import numpy as np

from lipsync.inference.synth import FLITE_VOICES, onset_lags, synthesize_flite
from lipsync.phonemes.phoneset import features

DATA = os.environ.get("LIPSYNC_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    args = ap.parse_args()
    texts = []
    for f in sorted(glob.glob(os.path.join(DATA, "cathy", "text", "*.txt")))[: args.n * 3: 3]:
        texts.append(open(f).read().strip())
    for voice in FLITE_VOICES:
        lags = []
        for t in texts:
            # put pauses inside the utterance too: commas give silence->speech boundaries
            x, segs = synthesize_flite(t.replace(" the ", ", the ").replace(" a ", ", a "), voice, apply_offset=False)
            segs2 = segs
            lag = onset_lags(x, segs2)
            # drop boundaries into stops (silent closure)
            pairs = [(a, b) for a, b in zip(segs2, segs2[1:]) if a[2] == "sil" and b[2] != "sil" and a[1] - a[0] >= 0.05]
            lags += [l for l, (a, b) in zip(lag, pairs)
                     if not ((features(b[2]) or features("a")).kind == "consonant"
                             and (features(b[2]).manner in ("stop", "affricate")))]
        lags = np.array(lags)
        lags = lags[np.isfinite(lags)]
        print(f"flite:{voice}: n={len(lags)} median lag {np.median(lags) * 1000:+.1f} ms "
              f"(IQR {np.percentile(lags, 25) * 1000:+.1f}..{np.percentile(lags, 75) * 1000:+.1f} ms)")


if __name__ == "__main__":
    main()
