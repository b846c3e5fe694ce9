"""Choose the free-decoding settings on TRAIN utterances (never dev): ``python -m lipsync.inference.tune_decode``.

Grid over the minimum phone length (frames), the phone-switch penalty and the weight of
the viseme head fused into the phone scores; scores 5-class viseme accuracy and bilabial
closure F1 (phonemes.metrics) on every k-th cathy / speechocean762 train utterance.
"""
from __future__ import annotations

import argparse
import itertools

import numpy as np

from ..phonemes import metrics
from ..phonemes.audio import load_audio
from ..phonemes.datasets import load_corpus
from .recognizer import ModelRecognizer, decode_posteriors


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40, help="utterances per corpus")
    ap.add_argument("--weights", default=None)
    a = ap.parse_args(argv)
    rec = ModelRecognizer(a.weights)
    items = []
    for name in ("cathy", "speechocean762"):
        utts = load_corpus(name, "train")
        for u in utts[:: max(len(utts) // a.n, 1)][: a.n]:
            audio = load_audio(u.audio_path)
            items.append((u.phones, audio.duration, rec.posteriors(audio)))
    grid = itertools.product((2, 3, 4), (0.0, 1.0, 3.0), (0.0, 0.5, 1.0))
    rows = []
    for mf, pen, vw in grid:
        tal = metrics.Tally()
        for ref, dur, post in items:
            tr = decode_posteriors(post, dur, min_frames=mf, switch_penalty=pen, viseme_weight=vw)
            tal.add(ref, tr.phones, dur)
        s = tal.summary()
        f1 = 2 * s["closure_recall"] * s["closure_precision"] / max(s["closure_recall"] + s["closure_precision"], 1e-9)
        rows.append((s["acc5"] + f1, mf, pen, vw, s))
        print(f"min_frames {mf} penalty {pen:.1f} viseme_weight {vw:.1f}: acc5 {s['acc5']:.3f} acc9 {s['acc9']:.3f} "
              f"closure R {s['closure_recall']:.3f} P {s['closure_precision']:.3f} bnd {s['boundary_median_ms']:.1f} ms",
              flush=True)
    best = max(rows, key=lambda r: r[0])
    print(f"best: min_frames {best[1]} penalty {best[2]} viseme_weight {best[3]}")


if __name__ == "__main__":
    main()
