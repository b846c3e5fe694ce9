"""Speed and peak memory of `lipsync analyze` on a long clip (default 60 s), per recogniser.

    .venv/bin/python bench/bench_analyze.py [--seconds 60] [--recognizer auto pocketsphinx ...]

Builds the clip from the sample dialogue (repeated to length), then runs the real
command line in a fresh process for each recogniser, with and without the
transcript, and prints wall seconds (whole command: start-up, model load,
analysis, writing) and peak resident memory (from the kernel's rusage).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_clip(seconds: float, folder: str) -> tuple[str, str]:
    x, sr = sf.read(os.path.join(ROOT, "sample_scenes", "dialogue.wav"), dtype="float32")
    text = open(os.path.join(ROOT, "sample_scenes", "dialogue.txt"), encoding="utf-8").read().strip()
    reps = int(np.ceil(seconds * sr / len(x)))
    clip = np.tile(x, reps)[: int(seconds * sr)]
    wav = os.path.join(folder, f"clip{int(seconds)}.wav")
    sf.write(wav, clip, sr)
    # the transcript of the repeated clip: the full text per complete repetition
    full = int(seconds * sr) // len(x)
    txt = os.path.join(folder, f"clip{int(seconds)}.txt")
    with open(txt, "w", encoding="utf-8") as f:
        f.write(" ".join([text] * max(full, 1)))
    return wav, txt


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--recognizer", nargs="+", default=["model", "pocketsphinx"])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wav, txt = make_clip(args.seconds, tmp)
        print(f"clip: {args.seconds:.0f} s (sample dialogue repeated), {os.cpu_count()} CPU cores")
        print(f"{'recogniser':14s} {'transcript':10s} {'wall s':>8s} {'x real time':>12s} {'peak MB':>9s}")
        for rec in args.recognizer:
            for use_t in (False, True):
                cmd = [sys.executable, "-c",
                       "import sys,resource; from lipsync.cli import main; rc=main(sys.argv[1:]); "
                       "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(rc)",
                       "analyze", wav, "--recognizer", rec, "-o", os.path.join(tmp, "out.json")]
                if use_t:
                    cmd += ["--transcript", txt]
                t0 = time.perf_counter()
                proc = subprocess.run(cmd, capture_output=True, text=True)
                wall = time.perf_counter() - t0
                peak = [l for l in proc.stderr.splitlines() if l.startswith("PEAK")]
                if proc.returncode != 0 or not peak:
                    print(f"{rec:14s} {str(use_t):10s} failed: {proc.stderr.strip()[-300:]}")
                    continue
                mb = int(peak[-1].split()[1]) / 1024.0
                print(f"{rec:14s} {'yes' if use_t else 'no':10s} {wall:8.2f} {args.seconds / wall:12.1f} {mb:9.0f}")


if __name__ == "__main__":
    main()
