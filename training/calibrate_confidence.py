"""Calibrate the model's phone confidences on TRAIN data, so that 0.5 means "right half the time".

    .venv/bin/python -m lipsync.training.calibrate_confidence [--n 60] [--weights inference/weights/visemenet.pt]

For every phone the model gives (free decoding, and forced alignment to the transcript) we
record its raw mouth-level confidence (phonemes.align) and whether its mouth shape is right:
at least half of its frames show the reference's Preston Blair shape. A monotone (isotonic)
curve P(right | raw) is fitted per mode, read off at 21 knots and written into the model config
beside the weights (``calibration`` in ``weights/model_config.json``); the runtime interpolates it.
Train splits of cathy and speechocean762 only (never dev sets).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

KNOTS = np.linspace(0.0, 1.0, 21)


def fit_isotonic(x: np.ndarray, y: np.ndarray) -> list[float]:
    """Monotone (pool-adjacent-violators) fit of P(right | raw), read off at KNOTS."""
    order = np.argsort(x)
    xs, ys = x[order], y[order].astype(float)
    vals, wts, ends = [], [], []
    for i, v in enumerate(ys):
        vals.append(v)
        wts.append(1.0)
        ends.append(i)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            w = wts[-2] + wts[-1]
            v2 = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / w
            vals[-2:], wts[-2:], ends[-2:] = [v2], [w], [ends[-1]]
    fitted = np.empty_like(ys)
    start = 0
    for v, e in zip(vals, ends):
        fitted[start:e + 1] = v
        start = e + 1
    # a little smoothing towards the overall rate where there are few phones
    return [float(v) for v in np.interp(KNOTS, xs, fitted)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=60, help="utterances per corpus (every k-th of the train split)")
    ap.add_argument("--weights", default=None, help="weights to calibrate (default: the shipped ones); the curve "
                    "goes into the model config beside them")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    from ..inference.config import write_section
    from ..phonemes.recognizers.model import ModelRecognizer
    from ..phonemes.audio import load_audio
    from ..phonemes.types import SIL
    from . import metrics
    from .datasets import load_corpus

    rec = ModelRecognizer(weights=args.weights)
    rows = {"free": ([], []), "forced": ([], [])}
    for corpus in ("cathy", "speechocean762"):
        utts = load_corpus(corpus, "train")
        utts = utts[:: max(1, len(utts) // args.n)][: args.n]
        for u in utts:
            audio = load_audio(u.audio_path)
            post = rec.posteriors(audio)
            n = post.n_frames
            ref = metrics.frame_visemes(u.phones, n)
            for mode, text in (("free", None), ("forced", u.text)):
                try:
                    track = rec.recognize_posteriors(post, text, duration=audio.duration, calibrate=False)
                except Exception as exc:  # a prompt the speaker misread: skip it
                    print(f"skip {u.id} ({mode}): {exc}", file=sys.stderr)
                    continue
                hyp = metrics.frame_visemes(track.phones, n)
                for p in track.phones:
                    a, b = int(p.start / 0.01), max(int(p.start / 0.01) + 1, int(p.end / 0.01))
                    if p.phone == SIL or a >= n:
                        continue
                    right = float(np.mean(hyp[a:b] == ref[a:b])) >= 0.5
                    rows[mode][0].append(p.confidence)
                    rows[mode][1].append(right)
    out = {"about": "isotonic calibration of the model's phone confidences: P(mouth shape right) at raw "
                    "confidence = knots; python -m lipsync.training.calibrate_confidence on train splits",
           "knots": [float(k) for k in KNOTS]}
    for mode, (x, y) in rows.items():
        x, y = np.asarray(x, float), np.asarray(y, float)
        values = fit_isotonic(x, y)
        p = np.interp(x, KNOTS, values)
        out[mode] = {"values": values, "phones": int(x.size), "share_right": float(y.mean())}
        print(f"{mode:6s}: {x.size} phones, {y.mean():.3f} right")
        for lo, hi in ((0, .2), (.2, .4), (.4, .6), (.6, .8), (.8, 1.01)):
            m = (p >= lo) & (p < hi)
            if m.any():
                print(f"   calibrated {lo:.1f}-{min(hi, 1):.1f}: {m.sum():5d} phones, {y[m].mean():.3f} right "
                      f"(raw mean {x[m].mean():.2f})")
    print(f"wrote the calibration into {write_section('calibration', out, args.weights)}")


if __name__ == "__main__":
    main()
