"""Calibrate the model's phone confidences on TRAIN data, so that 0.5 means "right half the time".

    .venv/bin/python -m lipsync.training.calibrate_confidence [--n 60] [--weights inference/weights/visemenet.pt]

For every phone the model gives (free decoding, and forced alignment to the transcript) we
record its raw mouth-level confidence (phonemes.align) and whether its mouth shape is right:
at least half of its frames show the reference's Preston Blair shape. A monotone (isotonic)
curve P(right | raw) is fitted per mode (each stretch shrunk towards the overall rate by 3 pseudo-phones, so
a few phones never make it claim 0 or 100 %), read off at 21 knots and written into the model config
beside the weights (``calibration`` in ``weights/model_config.json``); the runtime interpolates it.
Train splits of cathy and speechocean762 only (never dev sets).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

KNOTS = np.linspace(0.0, 1.0, 21)


def _pav(vals: list[float], wts: list[float], ends: list[int]):
    """Pool adjacent violators: merge neighbouring blocks until their values strictly rise (equal neighbours are
    merged too, so a block is a whole stretch of one fitted value and its weight counts all its phones)."""
    out_v, out_w, out_e = [], [], []
    for v, w, e in zip(vals, wts, ends):
        out_v.append(v)
        out_w.append(w)
        out_e.append(e)
        while len(out_v) > 1 and out_v[-2] >= out_v[-1]:
            w2 = out_w[-2] + out_w[-1]
            v2 = (out_v[-2] * out_w[-2] + out_v[-1] * out_w[-1]) / w2
            out_v[-2:], out_w[-2:], out_e[-2:] = [v2], [w2], [out_e[-1]]
    return out_v, out_w, out_e


def fit_isotonic(x: np.ndarray, y: np.ndarray, prior: float = 3.0) -> list[float]:
    """Monotone (pool-adjacent-violators) fit of P(right | raw), read off at KNOTS.

    Each block of the fit is shrunk towards the overall rate by ``prior`` pseudo-phones (then made monotone again),
    so a stretch backed by a handful of phones (the lowest raw confidences are rare) never claims 0 % or 100 %."""
    order = np.argsort(x)
    xs, ys = x[order], y[order].astype(float)
    if len(ys) == 0:
        return [float("nan")] * len(KNOTS)
    vals, wts, ends = _pav(list(ys), [1.0] * len(ys), list(range(len(ys))))
    rate = float(ys.mean())
    if prior > 0:
        vals = [(v * w + rate * prior) / (w + prior) for v, w in zip(vals, wts)]
        vals, wts, ends = _pav(vals, [w + prior for w in wts], ends)
    fitted = np.empty_like(ys)
    start = 0
    for v, e in zip(vals, ends):
        fitted[start:e + 1] = v
        start = e + 1
    return [float(v) for v in np.interp(KNOTS, xs, fitted)]


def collect(rec, split: str, n: int) -> dict:
    """(raw confidences, mouth shape right) per mode ("free", "forced") of every phone of ``n`` utterances per
    corpus (every k-th) of cathy and speechocean762's ``split``."""
    from ..phonemes.audio import load_audio
    from ..phonemes.types import SIL
    from . import metrics
    from .datasets import load_corpus

    rows = {"free": ([], []), "forced": ([], [])}
    for corpus in ("cathy", "speechocean762"):
        utts = load_corpus(corpus, split)
        utts = utts[:: max(1, len(utts) // n)][:n]
        for u in utts:
            audio = load_audio(u.audio_path)
            post = rec.posteriors(audio)
            frames = post.n_frames
            ref = metrics.frame_visemes(u.phones, frames)
            for mode, text in (("free", None), ("forced", u.text)):
                try:
                    track = rec.recognize_posteriors(post, text, duration=audio.duration, calibrate=False)
                except Exception as exc:  # a prompt the speaker misread: skip it
                    print(f"skip {u.id} ({mode}): {exc}", file=sys.stderr)
                    continue
                hyp = metrics.frame_visemes(track.phones, frames)
                for p in track.phones:
                    a, b = int(p.start / 0.01), max(int(p.start / 0.01) + 1, int(p.end / 0.01))
                    if p.phone == SIL or a >= frames:
                        continue
                    rows[mode][0].append(p.confidence)
                    rows[mode][1].append(float(np.mean(hyp[a:b] == ref[a:b])) >= 0.5)
    return {m: (np.asarray(x, float), np.asarray(y, float)) for m, (x, y) in rows.items()}


def calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[float, float]:
    """(Brier score, expected calibration error over ``bins`` equal-width bins) of probabilities ``p``."""
    brier = float(np.mean((p - y) ** 2))
    idx = np.minimum((p * bins).astype(int), bins - 1)
    ece = sum(abs(p[idx == b].mean() - y[idx == b].mean()) * (idx == b).mean() for b in range(bins) if (idx == b).any())
    return brier, float(ece)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=60, help="utterances per corpus (every k-th of the train split)")
    ap.add_argument("--weights", default=None, help="weights to calibrate (default: the shipped ones); the curve "
                    "goes into the model config beside them")
    ap.add_argument("--prior", type=float, default=3.0,
                    help="pseudo-phones at the overall rate each stretch of the curve is shrunk towards (3: the best "
                         "of 0, 3 and 10 on the dev splits for v1.6)")
    ap.add_argument("--dev", type=int, default=0, metavar="N",
                    help="also score the curve on N dev utterances per corpus (never fitted on): Brier score and "
                         "expected calibration error, raw and calibrated")
    ap.add_argument("--no-write", action="store_true", help="print the fit, leave the model config as it is")
    args = ap.parse_args(argv)
    if args.n < 1 or args.dev < 0 or args.prior < 0:
        ap.error("--n must be at least 1, --dev and --prior at least 0")
    import torch

    torch.set_num_threads(1)
    from ..inference.config import write_section
    from ..phonemes.recognizers.model import ModelRecognizer

    rec = ModelRecognizer(weights=args.weights)
    rows = collect(rec, "train", args.n)
    out = {"about": "isotonic calibration of the model's phone confidences: P(mouth shape right) at raw "
                    "confidence = knots; python -m lipsync.training.calibrate_confidence on train splits",
           "knots": [float(k) for k in KNOTS]}
    dev = collect(rec, "dev", args.dev) if args.dev else None
    for mode, (x, y) in rows.items():
        values = fit_isotonic(x, y, args.prior)
        p = np.interp(x, KNOTS, values)
        out[mode] = {"values": values, "phones": int(x.size), "share_right": float(y.mean())}
        print(f"{mode:6s}: {x.size} phones, {y.mean():.3f} right")
        for lo, hi in ((0, .2), (.2, .4), (.4, .6), (.6, .8), (.8, 1.01)):
            m = (p >= lo) & (p < hi)
            if m.any():
                print(f"   calibrated {lo:.1f}-{min(hi, 1):.1f}: {m.sum():5d} phones, {y[m].mean():.3f} right "
                      f"(raw mean {x[m].mean():.2f})")
        if dev is not None:
            dx, dy = dev[mode]
            raw, cal = calibration_error(dx, dy), calibration_error(np.interp(dx, KNOTS, values), dy)
            print(f"   dev ({dx.size} phones, {dy.mean():.3f} right): Brier raw {raw[0]:.4f} calibrated {cal[0]:.4f}; "
                  f"ECE raw {raw[1]:.4f} calibrated {cal[1]:.4f}")
    if args.no_write:
        return
    print(f"wrote the calibration into {write_section('calibration', out, args.weights)}")


if __name__ == "__main__":
    main()
