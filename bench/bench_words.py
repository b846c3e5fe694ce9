"""Words from the audio: the default path without a transcript vs the model alone vs the true script.

    .venv/bin/python bench/bench_words.py [--limit 100] [--corpora ...] [--bed-db 10] [--json out.json]
    .venv/bin/python bench/bench_words.py --tune [--limit 150]     # choose the fit thresholds on TRAIN data

Systems (all through ``pipeline.analyze``, as ``lipsync analyze`` runs them):
- ``words``: the default without a transcript: the speech model's words (embedded tiny.en, windows packed
  as in a batch), aligned by the model (``pipeline.WORDS_ALIGNER``), free decoding where they do not fit,
  rest outside speech;
- ``words+fused``: the same words aligned by ``fused`` (model + pocketsphinx), to choose the aligner;
- ``model``: ``--recognizer model`` (no words stage; rest outside speech);
- ``model-raw``: the model's free decoding without the voice-activity gate (before this change);
- ``script``: the true transcript with the default recogniser (``fused``).
Measures (``training.metrics``): word error rate of the words heard, 5-class frame accuracy and balanced
accuracy (mean of the 5 classes' frame recall), each exact (``acc5``, ``bal``) and within one film frame
at 24 fps (``acc5±1f``, ``bal±1f``), bilabial closure recall / precision. ``--bed-db 10`` mixes a noise-and-music bed (``training.beds``: room tone,
pink noise, a chord/bass/drums temp score) under every utterance at that speech-to-bed level.
Corpora: the dev sets (never trained on); ``--tune`` uses train splits of cathy and speechocean762.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_model import subsample  # noqa: E402

CORPORA = ["cathy", "speechocean762", "librispeech_dev", "ravdess_dev", "dev_real/emu_ae", "dev_real/praatio",
           "dev_real/north_wind", "dev_real/alsa"]
SYSTEMS = ["words", "words+fused", "model", "model-raw", "script"]
GROUP_S = 240.0  # seconds of audio per packed transcription group, as the command line does


def load(utts, bed_db):
    from lipsync.phonemes.audio import load_audio
    from lipsync.phonemes.types import Audio
    from lipsync.training import beds

    out = []
    for k, u in enumerate(utts):
        a = load_audio(u.audio_path)
        if bed_db is not None:
            bed = beds.noise_and_music_bed(a.duration + 0.1, seed=k)
            a = Audio(beds.mix_at_snr(a.samples, bed, bed_db), a.sample_rate, a.source + f" +bed {bed_db} dB")
        out.append(a)
    return out


def heard_words(transcriber, audios):
    out, group, total = [], [], 0.0
    t0 = time.perf_counter()
    for a in audios:
        group.append(a)
        total += a.duration
        if total >= GROUP_S:
            out += transcriber.transcribe_many(group)
            group, total = [], 0.0
    if group:
        out += transcriber.transcribe_many(group)
    return out, time.perf_counter() - t0


def run(corpora, limit, systems, bed_db, split="dev"):
    from lipsync import pipeline
    from lipsync.phonemes.recognizers import get_recognizer
    from lipsync.phonemes.words import Transcriber
    from lipsync.training.datasets import load_corpus
    from lipsync.training.metrics import Tally

    fused, model = get_recognizer("fused"), get_recognizer("model")
    transcriber = Transcriber()
    results, pooled = {}, {s: Tally() for s in systems}
    for name in corpora:
        utts = [u for u in subsample(load_corpus(name, split), limit) if u.text]
        audios = load(utts, bed_db)
        heard, words_s = heard_words(transcriber, audios)
        tallies = {s: Tally() for s in systems}
        for u, a, h in zip(utts, audios, heard):
            for s in systems:
                t0 = time.perf_counter()
                if s == "words":
                    track = pipeline.analyze(a, recognizer=fused, words=h).phones
                elif s == "words+fused":
                    pipeline.WORDS_ALIGNER = "fused"
                    try:
                        track = pipeline.analyze(a, recognizer=fused, words=h).phones
                    finally:
                        pipeline.WORDS_ALIGNER = "model"
                elif s == "model":
                    track = pipeline.analyze(a, recognizer=model, words=False).phones
                elif s == "model-raw":
                    track = model.recognize(a)
                else:
                    track = pipeline.analyze(a, transcript=u.text, recognizer=fused).phones
                wall = time.perf_counter() - t0
                text = h.text if s.startswith("words") else None
                for t in (tallies[s], pooled[s]):
                    t.add(u.phones, track.phones, a.duration, wall, ref_text=u.text if text is not None else None,
                          hyp_text=text)
        results[name] = {s: {**tallies[s].summary(), "n": len(utts)} for s in systems}
        results[name]["words_s"] = words_s
        print_table(name, results[name], systems, words_s)
    results["all (pooled frames and events)"] = {s: {**pooled[s].summary(), "n": 0} for s in systems}
    print_table("all dev sets pooled", results["all (pooled frames and events)"], systems, None)
    return results


def print_table(name, res, systems, words_s):
    n = res[systems[0]]["n"]
    print(f"\n{name}" + (f" ({n} utterances; transcription {words_s:.1f} s)" if n else ""))
    print(f"  {'system':12s} {'WER':>6s} {'acc5':>6s} {'bal':>6s} {'acc5±1f':>8s} {'bal±1f':>7s} {'closR':>6s} "
          f"{'closP':>6s}")
    for s in systems:
        r = res[s]
        wer = f"{r['wer']:6.3f}" if np.isfinite(r["wer"]) else f"{'':6s}"
        print(f"  {s:12s} {wer} {r['acc5']:6.3f} {r['balanced']:6.3f} {r['acc5_tol']:8.3f} {r['balanced_tol']:7.3f} "
              f"{r['closure_recall']:6.3f} {r['closure_precision']:6.3f}", flush=True)


def tune(limit):
    """Grid over the fit thresholds (align.fit.MAX_GAP, MIN_PROB) on train utterances (never dev)."""
    from lipsync.phonemes.align.fit import fit_words, rest_outside
    from lipsync.phonemes.recognizers import get_recognizer
    from lipsync.phonemes.words import Transcriber
    from lipsync.training.datasets import load_corpus
    from lipsync.training.metrics import Tally

    model = get_recognizer("model")
    transcriber = Transcriber()
    cases = []
    for name in ("cathy", "speechocean762"):
        for bed in (None, 10):
            utts = [u for u in subsample(load_corpus(name, "train"), limit) if u.text]
            audios = load(utts, bed)
            heard, _ = heard_words(transcriber, audios)
            for u, a, h in zip(utts, audios, heard):
                if not h.words:
                    continue
                post = model.posteriors(a)
                forced = model.recognize_posteriors(post, h.text, duration=a.duration)
                free = model.recognize_posteriors(post, None, duration=a.duration)
                cases.append((u, a, h, post, forced, free))
    print(f"tune: {len(cases)} train utterances (cathy, speechocean762; clean and under a 10 dB bed)")
    for gap in (0.5, 1.0, 1.5, 2.0, 3.0, 1e9):
        for p in (0.0, 0.05, 0.1, 0.2, 0.3):
            t = Tally()
            for u, a, h, post, forced, free in cases:
                tr = fit_words(copy.deepcopy(forced), free, post, h.words, max_gap=gap, min_prob=p)
                rest_outside(tr, h.speech)
                t.add(u.phones, tr.phones, a.duration)
            r = t.summary()
            f1 = 2 * r["closure_recall"] * r["closure_precision"] / (r["closure_recall"] + r["closure_precision"])
            print(f"  max_gap {gap:5.1f} min_prob {p:4.2f}: acc5±1f {r['acc5_tol']:.4f} bal±1f {r['balanced_tol']:.4f} "
                  f"closure {r['closure_recall']:.3f}/{r['closure_precision']:.3f} F1 {f1:.4f}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=100, help="utterances per corpus (every k-th); 0 = all")
    ap.add_argument("--corpora", nargs="+", default=CORPORA)
    ap.add_argument("--systems", nargs="+", default=SYSTEMS, choices=SYSTEMS)
    ap.add_argument("--bed-db", type=float, default=None, help="mix a noise-and-music bed at this SNR (dB)")
    ap.add_argument("--tune", action="store_true", help="grid over the fit thresholds on train data")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="also write all figures to this file")
    a = ap.parse_args(argv)
    import torch

    torch.set_num_threads(a.threads)
    print(f"bench_words: limit {a.limit or 'all'} per corpus, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
          + (f", noise-and-music bed at {a.bed_db:g} dB" if a.bed_db is not None else ""))
    if a.tune:
        tune(a.limit)
        return
    out = run(a.corpora, a.limit, a.systems, a.bed_db)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
