"""Speed and memory of the whole `lipsync analyze` command: a batch of short lines, one 60 s clip, 30 minutes.

    .venv/bin/python bench/bench_speed.py [--files 160] [--runs 3] [--recognizer auto model] [--long 60] [--memory 1800]

The batch is ``--files`` short dev lines (default: cathy and speechocean762 dev utterances of at most
``--max-seconds``, interleaved: different sentences and voices, as in a dubbing batch; ``--corpora
ravdess_dev`` gives 2 sentences said over and over, the worst case for packing), written as WAV and
analysed by one command (`lipsync analyze *.wav -o DIR`, no transcripts) in a fresh process: start-up,
model loads, transcription (default path: ``auto``), alignment and writing all included. ``--long`` is one clip of
the sample dialogue repeated to that length; ``--memory`` the same for the peak-memory run (30 minutes).
Prints, per recogniser: best-of-``--runs`` wall seconds, the process's CPU seconds (user + system),
x real time (audio seconds / wall seconds) and peak resident memory. The machine's load average is
printed before each run (colleagues share the cores).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = ("import sys, resource; from lipsync.cli import main; rc = main(sys.argv[1:]); "
          "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(rc)")


def batch_files(n: int, folder: str, corpora=("cathy", "speechocean762"), max_seconds: float = 6.0):
    from lipsync.phonemes.audio import load_audio
    from lipsync.training.datasets import load_corpus

    lists = [load_corpus(c, "dev") for c in corpora]
    order = [u for group in zip(*lists) for u in group] + [u for l in lists for u in l[min(map(len, lists)):]]
    paths, total = [], 0.0
    for u in order:
        if len(paths) >= n:
            break
        a = load_audio(u.audio_path)
        if a.duration > max_seconds:
            continue
        p = os.path.join(folder, f"{len(paths):03d}_{u.id}.wav")
        sf.write(p, a.samples, a.sample_rate)
        paths.append(p)
        total += a.duration
    return paths, total


def long_clip(seconds: float, folder: str) -> str:
    x, sr = sf.read(os.path.join(ROOT, "sample_scenes", "dialogue.wav"), dtype="float32")
    clip = np.tile(x, int(np.ceil(seconds * sr / len(x))))[: int(seconds * sr)]
    p = os.path.join(folder, f"clip{int(seconds)}.wav")
    sf.write(p, clip, sr)
    return p


def run_once(args: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RUNNER, *args], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = [ln for ln in proc.stderr.splitlines() if ln.startswith("PEAK")]
    if proc.returncode != 0 or not peak:
        return {"error": proc.stderr.strip()[-400:]}
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_mb": int(peak[-1].split()[1]) / 1024.0}


def measure(label: str, audio_s: float, args: list[str], runs: int) -> None:
    results = []
    for _ in range(runs):
        load = os.getloadavg()[0]
        r = run_once(args)
        if "error" in r:
            print(f"  {label:34s} failed: {r['error']}")
            return
        r["load"] = load
        results.append(r)
    best = min(results, key=lambda r: r["wall"])
    walls = ", ".join(f"{r['wall']:.1f}" for r in results)
    print(f"  {label:34s} {best['wall']:7.2f} s wall (runs {walls}; load {best['load']:.2f})  "
          f"{best['cpu']:7.2f} s CPU  {audio_s / best['wall']:6.1f}x real time  "
          f"({audio_s / best['cpu']:5.1f}x per CPU second)  peak {best['peak_mb']:.0f} MB", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=160)
    ap.add_argument("--corpora", nargs="+", default=["cathy", "speechocean762"], help="dev sets the lines come from")
    ap.add_argument("--max-seconds", type=float, default=6.0, help="longest line in the batch")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--recognizer", nargs="+", default=["auto", "model"])
    ap.add_argument("--long", type=float, default=60.0, help="one clip of this many seconds (0: skip)")
    ap.add_argument("--memory", type=float, default=1800.0, help="peak memory on a clip this long (0: skip)")
    a = ap.parse_args(argv)
    print(f"bench_speed: {os.cpu_count()} CPU cores, load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        if a.files:
            paths, total = batch_files(a.files, tmp, a.corpora, a.max_seconds)
            print(f"batch: {len(paths)} files from {', '.join(a.corpora)} dev, {total:.0f} s of audio "
                  f"({total / len(paths):.1f} s each)")
            for rec in a.recognizer:
                measure(f"{rec}", total, ["analyze", *paths, "--recognizer", rec, "-q", "-o",
                                          os.path.join(tmp, "out_" + rec)], a.runs)
        for seconds, runs, what in ((a.long, a.runs, "clip"), (a.memory, 1, "long clip")):
            if not seconds:
                continue
            p = long_clip(seconds, tmp)
            print(f"{what}: {seconds:.0f} s (the sample dialogue repeated)")
            for rec in a.recognizer:
                measure(f"{rec}", seconds, ["analyze", p, "--recognizer", rec, "-q", "-o",
                                            os.path.join(tmp, f"{rec}.json")], runs)


if __name__ == "__main__":
    main()
