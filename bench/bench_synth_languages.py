"""Per-language accuracy on synthetic speech: espeak-ng (the bundled library) speaking common words of each
language, with its exact phone timings as the reference.

    .venv/bin/python bench/bench_synth_languages.py [--langs hu lv ta he ...] [--n 40] [--extra]
        [--weights inference/weights/visemenet.pt] [--compare-weights OLD.pt]

By default: the languages held out of training (``training.multilingual.HELD_OUT``: never heard by the model)
and, for scale, eight trained ones. The texts are drawn with another seed than the training set's, each
utterance with its own voice variant and rate (``training.multilingual.multi_jobs``); needs wordfreq
(``tools/setup_train.sh``). Synthetic speech is not real speech: this checks that unheard languages are not far
behind heard ones, not how good the mouths are on a real voice (``bench/bench_languages.py`` does that).
Systems: ``audio`` (free decoding) and ``script`` (the text through ``phonemes.g2p`` in that language, then forced
alignment). Measures as in bench_languages: acc5 within one film frame, balanced, exact, closure recall / precision.
``--extra``: the 38 languages of ``training.multilingual.EXTRA_LANGS`` instead (Georgian, Punjabi, Amharic, Swahili,
Cantonese ...; words from babel's CLDR names), which the shipped weights never trained on. Their own phone priors
come from the same engine's speech, so audio only is told "und" (the universal prior) there, not the language.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

TRAINED_SAMPLE = ("fr", "de", "es", "ru", "hi", "ar", "zh", "tr")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--langs", nargs="*", default=None)
    ap.add_argument("--n", type=int, default=40, help="utterances per language")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--compare-weights", default=None, help="also score these weights on the same audio")
    ap.add_argument("--seed", type=int, default=9001)
    ap.add_argument("--extra", action="store_true",
                    help="the 38 extra languages (never trained on; audio only told und) instead of the default set")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    from lipsync.phonemes.types import Audio
    from lipsync.phonemes.recognizers.model import ModelRecognizer
    from lipsync.training import multilingual as M
    from lipsync.training.metrics import Tally
    from lipsync.training.synth import espeak

    langs = args.langs or (list(M.EXTRA_LANGS) if args.extra else list(M.HELD_OUT) + list(TRAINED_SAMPLE))
    unknown = [g for g in langs if g not in M.ESPEAK_VOICE and g not in M.EXTRA_VOICE]
    if unknown:
        ap.error(f"--langs: no espeak-ng voice listed for {', '.join(unknown)}; use one of "
                 f"{', '.join(sorted(set(M.ESPEAK_VOICE) | set(M.EXTRA_VOICE)))}")
    models = {"new": ModelRecognizer(weights=args.weights)}
    if args.compare_weights:
        models["old"] = ModelRecognizer(weights=args.compare_weights)
    systems = [(m, s) for m in models for s in ("audio", "script")]
    espeak.use_bundled(True)
    t0 = time.perf_counter()
    table = {}
    for lang in langs:
        acc = {k: Tally() for k in systems}
        extra = lang in M.EXTRA_VOICE
        jobs = (M.extra_jobs(args.n, args.seed, langs=[lang]) if extra
                else M.multi_jobs([lang], per_lang=args.n, seed=args.seed))
        for _kind, (text, voice, _uid) in jobs:
            x, ref = espeak.synthesize(text, voice.split(":", 1)[1])
            audio = Audio(x, 16000)
            for m, rec in models.items():
                post = rec.posteriors(audio)
                hyp = {"audio": rec.recognize_posteriors(post, None, language="und" if extra else lang,
                                                         duration=audio.duration)}
                try:
                    hyp["script"] = rec.recognize_posteriors(post, text, language=lang, duration=audio.duration)
                except Exception as exc:  # noqa: BLE001 - a line the G2P cannot read is reported, not fatal
                    print(f"{lang}: {text[:40]!r}: {exc}", file=sys.stderr)
                    hyp["script"] = hyp["audio"]
                for s in ("audio", "script"):
                    acc[(m, s)].add(ref, [(p.start, p.end, p.phone) for p in hyp[s].phones], audio.duration)
        table[lang] = {k: acc[k].summary() for k in systems}
        print(lang, " ".join(f"{m}-{s} {table[lang][(m, s)]['acc5_tol']:.3f}" for m, s in systems),
              file=sys.stderr, flush=True)

    def cells(r):
        return (f"{r['acc5_tol']:.3f} / {r['balanced_tol']:.3f} / {r['closure_recall']:.3f} / "
                f"{r['closure_precision']:.3f}")

    print(f"\nsynthetic espeak-ng speech, {args.n} utterances per language, {time.perf_counter() - t0:.0f} s")
    print("| language | held out | " + " | ".join(f"{m} {s}: acc5 ±1f / balanced / closure R / P"
                                               for m, s in systems) + " |")
    print("|---" * (2 + len(systems)) + "|")
    for lang, r in table.items():
        print(f"| {lang} | {'yes' if lang in M.HELD_OUT or lang in M.EXTRA_VOICE else 'no'} | "
              + " | ".join(cells(r[k]) for k in systems) + " |")
    for group, members in (("held out", [g for g in langs if g in M.HELD_OUT]),
                           ("extra, never trained on", [g for g in langs if g in M.EXTRA_VOICE]),
                           ("trained", [g for g in langs if g not in M.HELD_OUT and g not in M.EXTRA_VOICE])):
        if members:
            print(f"{group} ({' '.join(members)}): mean acc5 ±1f " + ", ".join(
                f"{m} {s} {np.mean([table[g][(m, s)]['acc5_tol'] for g in members]):.3f}" for m, s in systems))


if __name__ == "__main__":
    main()
