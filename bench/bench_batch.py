"""Lines per minute of `lipsync batch` on a dubbing manifest: one worker, local workers, a Dask LocalCluster.

    .venv/bin/python bench/bench_batch.py [--lines 100] [--recognizer model] [--transcripts]
        [--configs 1 2 cluster2] [--threads N]

Builds ``--lines`` dialogue lines (cuts of 2.5 to 4.5 s from the sample dialogue, a script each when
``--transcripts``) and a manifest of cue lines, then runs the real command line once per
configuration, ``--force`` so every line is analysed:

- ``1``: this process (``--workers 1``);
- ``N``: N local worker processes (``--workers N``);
- ``clusterN``: a Dask ``LocalCluster`` of N single-threaded worker processes on this machine
  (``--scheduler``); the cluster is started before the clock starts, as a studio's is already up.

Every worker runs one torch thread (the batch default) unless ``--threads`` says otherwise.

Prints wall seconds, lines per minute, audio seconds per wall second, the CPU seconds the run cost
(this process's children: not the cluster's workers, which are reported as "-"), and the load
average before each run (the machine is shared: compare runs made at similar load).
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


def make_lines(folder: str, n: int, transcripts: bool) -> tuple[str, float]:
    x, sr = sf.read(os.path.join(ROOT, "sample_scenes", "dialogue.wav"), dtype="float32")
    words = open(os.path.join(ROOT, "sample_scenes", "dialogue.txt"), encoding="utf-8").read().split()
    rng = np.random.default_rng(0)
    rows, total = ["audio,transcript,output"], 0.0
    for i in range(n):
        dur = float(rng.uniform(2.5, 4.5))
        a = float(rng.uniform(0, len(x) / sr - dur))
        clip = x[int(a * sr): int((a + dur) * sr)] * float(rng.uniform(0.6, 1.0))
        wav = os.path.join(folder, f"line{i:03d}.wav")
        sf.write(wav, clip, sr)
        total += len(clip) / sr
        tr = ""
        if transcripts:  # the words of roughly that stretch (the sample's words are spread evenly)
            w0, w1 = int(a / (len(x) / sr) * len(words)), int((a + dur) / (len(x) / sr) * len(words)) + 1
            with open(wav[:-4] + ".txt", "w", encoding="utf-8") as fh:
                fh.write(" ".join(words[w0:w1]))
            tr = os.path.basename(wav[:-4] + ".txt")
        rows.append(f"{os.path.basename(wav)},{tr},out/line{i:03d}.json")
    manifest = os.path.join(folder, "lines.csv")
    with open(manifest, "w", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")
    return manifest, total


def run(manifest: str, extra: list[str], recognizer: str) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "lipsync", "batch", manifest, "--recognizer", recognizer, "--force",
                           "-q", *extra], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-1500:])
    return wall, cpu, proc.stderr


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=100)
    ap.add_argument("--recognizer", default="model")
    ap.add_argument("--transcripts", action="store_true", help="give every line its script")
    ap.add_argument("--configs", nargs="+", default=["1", "2", "cluster2"])
    ap.add_argument("--threads", type=int, default=None, help="torch threads per worker for every configuration")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        manifest, audio = make_lines(tmp, args.lines, args.transcripts)
        print(f"{args.lines} lines, {audio:.0f} s of audio, recogniser {args.recognizer}"
              f"{', with scripts' if args.transcripts else ''}; {os.cpu_count()} CPU cores")
        print(f"{'configuration':22s} {'wall s':>8s} {'lines/min':>10s} {'x real':>7s} {'CPU s':>8s}  load before")
        for cfg in args.configs:
            extra = ["--threads", str(args.threads)] if args.threads else []
            cluster = None
            if cfg.startswith("cluster"):
                from distributed import LocalCluster

                n = int(cfg[len("cluster"):] or 2)
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
                extra += ["--scheduler", cluster.scheduler_address]
                name = f"LocalCluster, {n} workers"
            else:
                extra += ["--workers", cfg]
                name = f"{cfg} local worker{'s' if cfg != '1' else ''}"
            load = " ".join(f"{v:.2f}" for v in os.getloadavg())
            try:
                wall, cpu, _ = run(manifest, extra, args.recognizer)
            finally:
                if cluster is not None:
                    cluster.close()
            cpu_s = "-" if cluster is not None else f"{cpu:.0f}"
            print(f"{name:22s} {wall:8.1f} {args.lines / wall * 60:10.1f} {audio / wall:7.1f} {cpu_s:>8s}  {load}",
                  flush=True)


if __name__ == "__main__":
    main()
