"""Time and peak memory of `lipsync analyze` on long clips (default: one hour and two hours).

    .venv/bin/python bench/bench_long.py [--minutes 60 120] [--recognizer model auto] [--rate 48000]
        [--channels 2] [--transcript] [--whole] [--keep DIR]

Builds each clip from the sample dialogue (repeated with half a second between repetitions, written
block by block as 16-bit PCM at ``--rate`` Hz with ``--channels`` channels: a feature's dialogue
track as a studio exports it), then runs the real command line in a fresh process per recogniser and
prints wall seconds, CPU seconds (user + system: what the command cost on a shared machine), peak
resident memory (the kernel's rusage) and the machine's load average before the run. ``--whole``
also runs the analysis without windows (``pipeline.analyze(..., chunk_seconds=inf)``, the way main
analysed every clip) for comparison; ``--transcript`` adds runs with the clip's script.
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

CHILD = r"""
import resource, sys, time
whole = sys.argv[1] == "whole"
args = sys.argv[2:]
if whole:
    from lipsync.phonemes.formats import export
    from lipsync.pipeline import analyze, read_transcript
    wav, rec, out = args[0], args[1], args[2]
    tr = read_transcript(args[3]) if len(args) > 3 else None
    res = analyze(wav, transcript=tr, recognizer=rec, chunk_seconds=float("inf"))
    open(out, "w").write(export("rhubarb-json", res.phones, res.visemes, wav))
    rc = 0
else:
    from lipsync.cli import main
    rc = main(args)
print("PEAK", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(rc)
"""


def make_clip(minutes: float, rate: int, channels: int, folder: str) -> tuple[str, str, float]:
    """(wav, transcript, seconds): the sample dialogue repeated (0.5 s apart) to about ``minutes``."""
    from lipsync.phonemes.audio import resample

    x, sr = sf.read(os.path.join(ROOT, "sample_scenes", "dialogue.wav"), dtype="float32")
    text = open(os.path.join(ROOT, "sample_scenes", "dialogue.txt"), encoding="utf-8").read().strip()
    rep = np.concatenate([resample(x, sr, rate), np.zeros(rate // 2, np.float32)])
    n = max(1, int(round(minutes * 60 * rate / len(rep))))
    wav = os.path.join(folder, f"long{minutes:g}min_{rate}_{channels}ch.wav")
    txt = wav[:-4] + ".txt"
    if not (os.path.exists(wav) and os.path.exists(txt)):
        frame = np.repeat(rep[:, None], channels, axis=1) * 0.9
        with sf.SoundFile(wav + ".part", "w", samplerate=rate, channels=channels, subtype="PCM_16",
                          format="WAV") as f:
            for i in range(n):
                f.write(frame * (0.8 + 0.2 * ((i * 7) % 5) / 4))  # a little level variation per line
        os.replace(wav + ".part", wav)
        with open(txt, "w", encoding="utf-8") as f:
            f.write(" ".join([text] * n))
    return wav, txt, n * len(rep) / rate


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def run(mode: str, wav: str, rec: str, out: str, txt: str | None) -> tuple[float, float, float, int]:
    if mode == "whole":
        cmd = [sys.executable, "-c", CHILD, "whole", wav, rec, out] + ([txt] if txt else [])
    else:
        cmd = [sys.executable, "-c", CHILD, "cli", "analyze", wav, "--recognizer", rec, "-q", "-o", out]
        cmd += ["--transcript", txt] if txt else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = [ln for ln in proc.stderr.splitlines() if ln.startswith("PEAK")]
    if proc.returncode != 0 or not peak:
        raise RuntimeError(proc.stderr.strip()[-600:])
    return wall, cpu, int(peak[-1].split()[1]) / 1024.0, proc.returncode


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, nargs="+", default=[60.0, 120.0])
    ap.add_argument("--recognizer", nargs="+", default=["model", "auto"])
    ap.add_argument("--rate", type=int, default=48000)
    ap.add_argument("--channels", type=int, default=2)
    ap.add_argument("--transcript", action="store_true", help="also run with the clip's script")
    ap.add_argument("--whole", action="store_true", help="also run without windows, for comparison")
    ap.add_argument("--keep", metavar="DIR", help="build (and reuse) the clips in DIR instead of a temporary folder")
    args = ap.parse_args(argv)
    tmp = tempfile.TemporaryDirectory() if not args.keep else None
    folder = args.keep or tmp.name
    os.makedirs(folder, exist_ok=True)
    print(f"{os.cpu_count()} CPU cores; clips: the sample dialogue repeated, {args.rate} Hz, {args.channels} ch, PCM 16")
    print(f"{'clip':>9s} {'recogniser':12s} {'script':6s} {'mode':8s} {'wall s':>8s} {'CPU s':>8s} {'x real':>7s} "
          f"{'peak MB':>8s}  load before")
    try:
        for minutes in args.minutes:
            wav, txt, seconds = make_clip(minutes, args.rate, args.channels, folder)
            for rec in args.recognizer:
                for use_t in ([False, True] if args.transcript else [False]):
                    for mode in (["windows", "whole"] if args.whole else ["windows"]):
                        ld = load()
                        try:
                            wall, cpu, mb, _ = run(mode, wav, rec, os.path.join(folder, "out.json"),
                                                   txt if use_t else None)
                        except RuntimeError as exc:
                            print(f"{seconds / 60:7.1f}mn {rec:12s} {'yes' if use_t else 'no':6s} {mode:8s} failed: {exc}")
                            continue
                        print(f"{seconds / 60:7.1f}mn {rec:12s} {'yes' if use_t else 'no':6s} {mode:8s} {wall:8.1f} "
                              f"{cpu:8.1f} {seconds / wall:7.1f} {mb:8.0f}  {ld}", flush=True)
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
