"""Choose the free-decoding settings on TRAIN data (never dev): ``python -m lipsync.training.tune_decode``.

Uses the augmented (noisy, reverberant, re-pitched ...) copies of cathy / speechocean762
train utterances from the feature cache: the model has seen the clean versions, the
degraded ones are closer to unseen audio. ``--multi N`` adds N of the multilingual synthetic
training set, ``--heldout N`` N synthetic utterances of each held-out language
(``multilingual.heldout_speech``, never trained on; decoded as an unknown language, "und").
Grid over the minimum phone length (frames), the phone-switch penalty, the weight of the
viseme head fused into the phone scores, a log-score bonus for closed-lips phones and the
weight of the mouth-class pooling (``runtime.pool_classes``); scores 5-class viseme accuracy
plus bilabial closure F1 (training.metrics), and prints the 5-class accuracy within one film
frame per source. ``--write`` stores the best settings in the model config
beside the weights (``decode`` in ``weights/model_config.json``), which the runtime reads.
"""
from __future__ import annotations

import argparse
import itertools
import os

import numpy as np

from ..phonemes.types import FRAME_HOP
from ..inference.classes import PHONE_CLASSES
from ..inference.config import write_section
from ..inference.runtime import decode_posteriors, feature_posteriors
from . import metrics
from .data import DEFAULT_CACHE


def _rows(phone_idx: np.ndarray):
    change = np.flatnonzero(np.diff(phone_idx)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(phone_idx)]])
    return [(a * FRAME_HOP, b * FRAME_HOP, PHONE_CLASSES[int(phone_idx[a])]) for a, b in zip(starts, ends)]


def load_items(n: int, weights=None, cache_dir: str = DEFAULT_CACHE, multi: int = 0,
               multi_cache: str = "synth_multi_200"):
    """``n`` augmented train utterances of cathy and of speechocean762 each, and ``multi`` of the multilingual
    synthetic set (``training.multilingual``; its cache ``multi_cache``), with the model's posteriors."""
    items = []
    for name, count in (("cathy_train", n), ("so762_train", n), (multi_cache, multi)):
        if count <= 0:
            continue
        z = np.load(os.path.join(cache_dir, f"{name}.npz"))
        starts, descs = z["starts"], z["descs"]
        aug = [i for i in range(len(descs)) if descs[i] != "clean"]
        for i in aug[:: max(len(aug) // count, 1)][:count]:
            s, e = int(starts[i]), int(starts[i + 1])
            f = z["feats"][s:e].astype(np.float32)
            ph = z["phone"][s:e].astype(int)
            if (ph < 0).any():
                continue
            post = feature_posteriors(f, weights)
            items.append((_rows(ph), len(f) * FRAME_HOP, post, "eng" if name != multi_cache else "multi"))
    return items


def heldout_items(n: int, weights=None):
    """``n`` synthetic utterances of each held-out language with the model's posteriors (source "und")."""
    from ..phonemes.recognizers.model import ModelRecognizer
    from .multilingual import heldout_speech

    rec = ModelRecognizer(weights=weights)
    return [(ref, audio.duration, rec.posteriors(audio), "und") for _lang, audio, ref in heldout_speech(n)]


def score(items, **kw):
    """(summary over all items, closure F1, {source: acc5 within a film frame})."""
    tal = metrics.Tally()
    per: dict[str, metrics.Tally] = {}
    for ref, dur, post, source in items:
        tr = decode_posteriors(post, dur, language="und" if source == "und" else "eng", **kw)
        tal.add(ref, tr.phones, dur)
        per.setdefault(source, metrics.Tally()).add(ref, tr.phones, dur)
    s = tal.summary()
    f1 = 2 * s["closure_recall"] * s["closure_precision"] / max(s["closure_recall"] + s["closure_precision"], 1e-9)
    return s, f1, {k: t.summary()["acc5_tol"] for k, t in per.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=40, help="augmented utterances per corpus")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--multi", type=int, default=0,
                    help="also this many augmented utterances of the multilingual synthetic set (train data)")
    ap.add_argument("--min-frames", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--penalty", type=float, nargs="+", default=[0.0, 1.0, 2.0])
    ap.add_argument("--viseme-weight", type=float, nargs="+", default=[0.0, 0.5, 1.0])
    ap.add_argument("--closure-bias", type=float, nargs="+", default=[0.0, 1.0, 2.0, 3.0])
    ap.add_argument("--class-pool", type=float, nargs="+", default=[0.0],
                    help="weights of the mouth-class pooling to try (0..1; default 0: off)")
    ap.add_argument("--heldout", type=int, default=0,
                    help="also this many synthetic utterances of each held-out language (never trained on)")
    ap.add_argument("--write", action="store_true",
                    help="store the best settings in the model config beside --weights (default: print only)")
    a = ap.parse_args(argv)
    bad = [w for w in a.class_pool if not 0.0 <= w <= 1.0]
    if bad:
        ap.error(f"--class-pool takes weights from 0 to 1, not {bad[0]}")
    try:
        items = load_items(a.n, a.weights, a.cache, a.multi)
    except FileNotFoundError as exc:
        ap.exit(2, f"tune_decode: {exc.filename} is missing: build the training caches first "
                   "(python -m lipsync.training.prepare)\n")
    print(f"{len(items)} augmented train utterances ({a.n} cathy, {a.n} speechocean762, {a.multi} multilingual "
          "asked; those with unlabelled frames left out)")
    if a.heldout:
        items += heldout_items(a.heldout, a.weights)
        print(f"+ {a.heldout} synthetic utterances of each held-out language")
    rows = []
    grid = itertools.product(a.min_frames, a.penalty, a.viseme_weight, a.closure_bias, a.class_pool)
    for mf, pen, vw, cb, cp in grid:
        s, f1, per = score(items, min_frames=mf, switch_penalty=pen, viseme_weight=vw, closure_bias=cb,
                           class_pool=cp)
        rows.append((s["acc5"] + f1, mf, pen, vw, cb, cp))
        print(f"min_frames {mf} penalty {pen:.1f} viseme_weight {vw:.1f} closure_bias {cb:.1f} class_pool {cp:.2f}: "
              f"acc5 {s['acc5']:.3f} acc9 {s['acc9']:.3f} closure R {s['closure_recall']:.3f} "
              f"P {s['closure_precision']:.3f} F1 {f1:.3f} bnd {s['boundary_median_ms']:.1f} ms; acc5 ±1f "
              + " ".join(f"{k} {v:.4f}" for k, v in per.items()), flush=True)
    best = max(rows, key=lambda r: r[0])
    print(f"best: min_frames {best[1]} penalty {best[2]} viseme_weight {best[3]} closure_bias {best[4]} "
          f"class_pool {best[5]}")
    if a.write:
        path = write_section("decode", {
            "min_frames": int(best[1]), "switch_penalty": float(best[2]), "viseme_weight": float(best[3]),
            "closure_bias": float(best[4]), "class_pool": float(best[5]),
            "about": f"python -m lipsync.training.tune_decode --n {a.n} --multi {a.multi} --heldout {a.heldout} "
                     f"(best acc5 + closure F1 {best[0]:.3f} on {len(items)} utterances)"}, a.weights)
        print(f"wrote the decode settings into {path}")


if __name__ == "__main__":
    main()
