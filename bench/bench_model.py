"""Our model vs pocketsphinx, side by side, on the dev sets (never trained on).

    .venv/bin/python bench/bench_model.py [--limit 150] [--corpora ...] [--no-speed] [--compare-weights OLD.pt]

Systems: pocketsphinx phone recognition (``ps-phones``), pocketsphinx forced
alignment with the transcript (``ps-align``), our model without transcript
(``model``: duration-aware Viterbi) and with it (``model+text``: forced alignment
on the model's posteriors).
Corpora: cathy dev, speechocean762 dev, librispeech_dev, ravdess_dev (silver labels)
and each dev_real group (hand labels; alsa is silver). ``--limit N`` takes every
k-th utterance so that at most N per corpus are used (0 = all).
Measures (training.metrics): Preston Blair 9-shape and 5-class frame accuracy,
bilabial closure recall / precision, phone boundary error (median ms, share within
20 ms), real-time factor (analysis seconds / audio seconds; model load excluded).
``--compare-weights OLD.pt`` adds ``old`` / ``old+text``: another weights file (e.g. the previous release),
decoded with the same settings, and a summary of 5-class accuracy and closure F1 averaged over the five dev
sets (cathy, speechocean762, librispeech_dev, ravdess_dev, dev_real = mean of its groups).
Then speed: load time, a 60 s clip forward + decode, and peak memory of a 30-minute
clip in a fresh process.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPORA = ["cathy", "speechocean762", "librispeech_dev", "ravdess_dev", "dev_real/emu_ae", "dev_real/praatio",
           "dev_real/north_wind", "dev_real/alsa"]
SYSTEMS = ["ps-phones", "ps-align", "model", "model+text"]


def subsample(utts, limit):
    if not limit or len(utts) <= limit:
        return utts
    step = len(utts) / limit
    return [utts[int(i * step)] for i in range(limit)]


def run_corpora(corpora, limit, systems, log=print, compare_weights=None):
    from lipsync.phonemes.recognizers.model import ModelRecognizer
    from lipsync.phonemes.audio import load_audio
    from lipsync.training.datasets import load_corpus
    from lipsync.training.metrics import Tally
    from lipsync.phonemes.recognizers.pocketsphinx import PocketsphinxRecognizer

    model = ModelRecognizer()
    old = ModelRecognizer(weights=compare_weights) if compare_weights else None
    ps = PocketsphinxRecognizer() if any(s.startswith("ps") for s in systems) else None
    fns = {
        "ps-phones": lambda a, t: ps.recognize(a),
        "ps-align": lambda a, t: ps.recognize(a, t),
        "model": lambda a, t: model.recognize(a),
        "model+text": lambda a, t: model.recognize(a, t),
        "old": lambda a, t: old.recognize(a),
        "old+text": lambda a, t: old.recognize(a, t),
    }
    model.posteriors(load_audio(os.path.join(ROOT, "sample_scenes", "dialogue.wav")))  # load once, not timed
    if old is not None:
        old.posteriors(load_audio(os.path.join(ROOT, "sample_scenes", "dialogue.wav")))
    results = {}
    for name in corpora:
        utts = subsample(load_corpus(name, "dev"), limit)
        tallies = {s: Tally() for s in systems}
        failures = {s: 0 for s in systems}
        for u in utts:
            audio = load_audio(u.audio_path)
            ref = u.phones
            for s in systems:
                t0 = time.perf_counter()
                try:
                    track = fns[s](audio, u.text if u.text else None)
                except Exception as exc:  # a failed alignment counts as all-rest
                    failures[s] += 1
                    if failures[s] <= 2:
                        log(f"  {s} failed on {u.id}: {exc}")
                    track = None
                wall = time.perf_counter() - t0
                hyp = track.phones if track is not None else [(0.0, audio.duration, "sil")]
                tallies[s].add(ref, hyp, audio.duration, wall)
        results[name] = {s: {**tallies[s].summary(), "n": len(utts), "failures": failures[s]} for s in systems}
        print_table(name, results[name])
    return results


def print_table(name, res):
    n = next(iter(res.values()))["n"]
    print(f"\n{name} ({n} utterances)")
    print(f"  {'system':11s} {'acc9':>6s} {'acc5':>6s} {'closR':>6s} {'closP':>6s} {'bnd ms':>7s} {'<=20ms':>7s} "
          f"{'RTF':>7s} {'fail':>4s}")
    for s, r in res.items():
        print(f"  {s:11s} {r['acc9']:6.3f} {r['acc5']:6.3f} {r['closure_recall']:6.3f} {r['closure_precision']:6.3f} "
              f"{r['boundary_median_ms']:7.1f} {r['within20']:7.3f} {r['rtf']:7.4f} {r['failures']:4d}", flush=True)


def dev_average(corpora_results: dict, system: str) -> dict:
    """5-class accuracy and closure F1 averaged over the dev sets (dev_real groups averaged first)."""
    def f1(r):
        rec, pre = r["closure_recall"], r["closure_precision"]
        if not (np.isfinite(rec) and np.isfinite(pre)) or rec + pre <= 0:
            return float("nan")
        return 2 * rec * pre / (rec + pre)

    groups: dict = {}
    for name, res in corpora_results.items():
        if system not in res:
            continue
        key = "dev_real" if name.startswith("dev_real") else name
        groups.setdefault(key, []).append((res[system]["acc5"], f1(res[system])))
    acc = [np.mean([a for a, _ in v]) for v in groups.values()]
    f1s = [np.nanmean([f for _, f in v]) for v in groups.values() if any(np.isfinite(f) for _, f in v)]
    return {"sets": sorted(groups), "acc5": float(np.mean(acc)) if acc else float("nan"),
            "closure_f1": float(np.mean(f1s)) if f1s else float("nan")}


def tiled_clip(seconds: float):
    from lipsync.phonemes.audio import load_audio
    from lipsync.phonemes.types import Audio

    a = load_audio(os.path.join(ROOT, "sample_scenes", "dialogue.wav"))
    n = int(seconds * a.sample_rate)
    return Audio(np.tile(a.samples, n // len(a.samples) + 1)[:n].copy(), a.sample_rate, f"dialogue x{seconds:.0f}s")


def speed(threads: int = 2) -> dict:
    import torch

    from lipsync.inference import runtime as R
    from lipsync.phonemes.recognizers.model import ModelRecognizer

    torch.set_num_threads(threads)
    R._CACHE.clear()  # time a cold load from the shipped file (torch itself is already imported)
    t0 = time.perf_counter()
    R.load_model()
    load_s = time.perf_counter() - t0
    rec = ModelRecognizer()
    clip = tiled_clip(60.0)
    rec.recognize(clip)  # warm-up
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        rec.recognize(clip)
        runs.append((time.perf_counter() - t0, dict(rec.last_timing)))
    best = min(runs, key=lambda r: r[0])
    return {"threads": threads, "load_s": load_s, "clip_s": 60.0, "forward_decode_s": best[0],
            "x_real_time": 60.0 / best[0], **{k: v for k, v in best[1].items() if k != "load_s"}}


def peak_memory_30min() -> dict:
    code = (
        "import sys, time, resource; sys.path.insert(0, %r)\n"
        "from bench.bench_model import tiled_clip\n"
        "from lipsync.phonemes.recognizers.model import ModelRecognizer\n"
        "import torch; torch.set_num_threads(2)\n"
        "clip = tiled_clip(1800.0); t = time.perf_counter(); tr = ModelRecognizer().recognize(clip)\n"
        "print(time.perf_counter() - t, len(tr.phones), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n" % ROOT)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=1200)
    if res.returncode != 0:
        return {"error": res.stderr[-500:]}
    wall, n, rss = res.stdout.split()[-3:]
    return {"clip_s": 1800.0, "wall_s": float(wall), "phones": int(n), "peak_rss_mb": int(rss) / 1024.0}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=150, help="utterances per corpus (every k-th); 0 = all")
    ap.add_argument("--corpora", nargs="+", default=CORPORA)
    ap.add_argument("--systems", nargs="+", default=SYSTEMS, choices=SYSTEMS)
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="also write all figures to this file")
    ap.add_argument("--compare-weights", help="also run this weights file as systems old / old+text")
    a = ap.parse_args(argv)
    import torch

    torch.set_num_threads(a.threads)
    print(f"bench_model: limit {a.limit or 'all'} per corpus, torch threads {a.threads}, {os.cpu_count()} CPUs")
    systems = list(a.systems)
    if a.compare_weights:
        systems += [s for s in ("old", "old+text") if s not in systems]
    out = {"corpora": run_corpora(a.corpora, a.limit, systems, compare_weights=a.compare_weights)}
    print("\ndev average (5-class accuracy / closure F1 over " + ", ".join(
        dev_average(out["corpora"], systems[0])["sets"]) + ")")
    out["dev_average"] = {}
    for s in systems:
        d = dev_average(out["corpora"], s)
        out["dev_average"][s] = d
        print(f"  {s:11s} acc5 {d['acc5']:.4f}  closure F1 {d['closure_f1']:.4f}")
    if not a.no_speed:
        sp = speed(a.threads)
        print(f"\nspeed (model, {a.threads} threads): load {sp['load_s']:.2f} s (once per process); 60 s clip "
              f"forward+decode {sp['forward_decode_s']:.3f} s = {sp['x_real_time']:.0f}x real time "
              f"(features {sp['features_s']:.3f} s, network {sp['network_s']:.3f} s, decode {sp['decode_s']:.3f} s)")
        mem = peak_memory_30min()
        if "error" in mem:
            print(f"30-minute clip failed: {mem['error']}")
        else:
            print(f"30-minute clip: {mem['wall_s']:.1f} s, peak memory {mem['peak_rss_mb']:.0f} MB (whole process)")
        out["speed"], out["memory"] = sp, mem
    if "ps-phones" in a.systems and "model" in a.systems:
        print("\ncriteria: model 5-class accuracy minus pocketsphinx phone recognition, per dev_real group")
        for name, res in out["corpora"].items():
            if name.startswith("dev_real"):
                d = res["model"]["acc5"] - res["ps-phones"]["acc5"]
                extra = ""
                for ceil in ("ps-align", "model+text"):  # what knowing the words gives, for scale
                    if ceil in res:
                        extra += f"; {ceil} {(res[ceil]['acc5'] - res['ps-phones']['acc5']) * 100:+.1f}"
                print(f"  {name:22s} {d * 100:+6.1f} points {'OK' if d >= 0.10 else 'BELOW 10'}"
                      + (f"  (with the transcript{extra})" if extra else ""))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
