"""Per-language accuracy on voxangeles_dev: isolated words in 47 languages, hand-corrected IPA timings (checking
only, never trained on).

    .venv/bin/python bench/bench_languages.py [--data ../shared/data/voxangeles_dev] [--langs fub aka ...]
        [--weights inference/weights/visemenet.pt] [--limit 0] [--language und] [--pipeline]

Systems, on the shipped model's posteriors:
- ``audio``: audio only (free decoding, as with no script; told ``--language``, default "und": the universal phone
  prior of ``training.priors``); with ``--pipeline`` through ``lipsync.pipeline.analyze`` instead (adds the
  voice-activity detection that rests the mouth where no speech is heard);
- ``ipa``: the word's IPA given as phones (the phone rows' labels, no times; ``ModelRecognizer.align_words``,
  what a script becomes after the G2P), aligned by the model.
Measures (``training.metrics``): 5-class accuracy within one film frame (24 fps) (``acc5±1f``), its balanced
mean over the classes, exact 5-class accuracy, bilabial closure recall / precision. One row per language, then
the mean over languages and the pooled frames. The reference phones map to mouths by articulatory features
(``phonemes.phoneset``: labels NFC-normalised, tie bars and diacritics read).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
def default_data() -> str:
    """``voxangeles_dev`` in the shared data folder (``$LIPSYNC_DATA`` or ``shared/data`` beside the repository)."""
    from lipsync.training.datasets import data_root

    return os.path.join(data_root(), "voxangeles_dev")


def read_rows(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 3:
                rows.append((float(cols[0]), float(cols[1]), cols[2]))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.environ.get("LIPSYNC_VOXANGELES") or default_data())
    ap.add_argument("--langs", nargs="*", default=None)
    ap.add_argument("--weights", default=None)
    ap.add_argument("--limit", type=int, default=0, help="at most N words per language (0 = all)")
    ap.add_argument("--language", default="und",
                    help="language code free decoding is told (default und: unknown, the universal phone prior; "
                         "eng: the training prior, as before v1.5)")
    ap.add_argument("--pipeline", action="store_true",
                    help="audio only through the whole pipeline (lipsync.pipeline.analyze, no words stage): also "
                         "voice-activity detection, which rests the mouth where it hears no speech")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from lipsync.phonemes.audio import load_audio
    from lipsync.phonemes.phoneset import normalize
    from lipsync.phonemes.recognizers.model import ModelRecognizer
    from lipsync.phonemes.types import SIL
    from lipsync.training.metrics import Tally
    from lipsync import pipeline

    rec = ModelRecognizer(weights=args.weights)
    langs = args.langs or sorted(d for d in os.listdir(args.data) if os.path.isdir(os.path.join(args.data, d)))
    systems = ("audio", "ipa")
    table = {}
    pooled = {s: Tally() for s in systems}
    t0 = time.perf_counter()
    for lang in langs:
        d = os.path.join(args.data, lang)
        ids = sorted(f[:-len(".phones.tsv")] for f in os.listdir(d) if f.endswith(".phones.tsv"))
        if args.limit:
            ids = ids[:: max(1, len(ids) // args.limit)][: args.limit]
        acc = {s: Tally() for s in systems}
        for uid in ids:
            ref = read_rows(os.path.join(d, uid + ".phones.tsv"))
            audio = load_audio(os.path.join(d, uid + ".opus"))
            post = rec.posteriors(audio)
            if args.pipeline:
                hyp = {"audio": pipeline.analyze(audio, recognizer=rec, language=args.language, words=False).phones}
            else:
                hyp = {"audio": rec.recognize_posteriors(post, None, language=args.language, duration=audio.duration)}
            phones = [normalize(p) for _s, _e, p in ref if normalize(p) != SIL]
            hyp["ipa"] = rec.align_words(post, [(uid, phones)], "und", audio.duration)
            for s in systems:
                rows = [(p.start, p.end, p.phone) for p in hyp[s].phones]
                acc[s].add(ref, rows, audio.duration)
                pooled[s].add(ref, rows, audio.duration)
        table[lang] = ({s: acc[s].summary() for s in systems}, len(ids))
        r = table[lang][0]
        print(f"{lang}  {len(ids):3d}  audio {r['audio']['acc5_tol']:.3f}  ipa {r['ipa']['acc5_tol']:.3f}",
              file=sys.stderr, flush=True)

    print(f"\nvoxangeles_dev: {len(langs)} languages, {sum(n for _r, n in table.values())} words, "
          f"{time.perf_counter() - t0:.0f} s")
    print("| language | words | audio only: acc5 ±1f / balanced / exact / closure R / P | "
          "IPA as phones: acc5 ±1f / balanced / exact / closure R / P |")
    print("|---|---|---|---|")

    def cells(r):
        return (f"{r['acc5_tol']:.3f} / {r['balanced_tol']:.3f} / {r['acc5']:.3f} / "
                f"{r['closure_recall']:.3f} / {r['closure_precision']:.3f}")

    for lang, (r, n) in table.items():
        print(f"| {lang} | {n} | {cells(r['audio'])} | {cells(r['ipa'])} |")
    for s in systems:
        vals = np.array([r[s]["acc5_tol"] for r, _n in table.values()])
        print(f"{s}: mean over languages acc5 ±1f {vals.mean():.3f} (min {vals.min():.3f} {list(table)[vals.argmin()]},"
              f" max {vals.max():.3f}); languages >= 0.85: {int((vals >= 0.85).sum())}/{len(vals)}; pooled "
              f"{cells(pooled[s].summary())}")


if __name__ == "__main__":
    main()
