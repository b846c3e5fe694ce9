"""How the model holds up when the recording channel is poor: muffled, band-limited, hissy.

    .venv/bin/python bench/bench_channel.py [--limit 60] [--weights NEW.pt] [--compare-weights OLD.pt]

Dialogue does not always come from a studio microphone: field and archive recordings, a lavalier under clothes,
a phone line. Each dev utterance (cathy dev, speechocean762 dev: never trained on) is played through fixed
waveform channels (scipy filters and seeded noise, so every run hears the same audio) and decoded by the model
without and with the script. Channels:

- ``clean``: as recorded;
- ``phone``: 300-3400 Hz band-pass (8 kHz telephone band);
- ``muffled``: 1 kHz low-pass, 4th order (24 dB per octave);
- ``muffled+hiss``: the same over white noise 35 dB below the speech;
- ``old tape``: 700 Hz low-pass, 8th order, over hiss 30 dB below the speech (like the worst archive
  recordings of ``bench_languages``).

Printed per weights file and channel: 5-class frame accuracy (exact and within one frame) and bilabial closure
recall / precision, audio only and with the script (``training.metrics.Tally``).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
CHANNELS = ("clean", "phone", "muffled", "muffled+hiss", "old tape")


def play(x: np.ndarray, sr: int, channel: str, seed: int) -> np.ndarray:
    """``x`` through ``channel`` (see the module docstring), same level."""
    from scipy.signal import butter, sosfilt

    x = np.asarray(x, np.float64)
    if channel == "clean":
        return x.astype(np.float32)
    if channel == "phone":
        y = sosfilt(butter(4, [300, 3400], btype="band", fs=sr, output="sos"), x)
    elif channel.startswith("muffled"):
        y = sosfilt(butter(4, 1000, fs=sr, output="sos"), x)
    elif channel == "old tape":
        y = sosfilt(butter(8, 700, fs=sr, output="sos"), x)
    else:
        raise ValueError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
    snr = {"muffled+hiss": 35.0, "old tape": 30.0}.get(channel)
    if snr is not None:
        loud = x[np.abs(x) > 0.1 * np.abs(x).max()] if np.abs(x).max() > 0 else x
        level = np.sqrt(np.mean(loud ** 2) + 1e-12)
        y = y + np.random.default_rng(seed).standard_normal(len(y)) * level * 10 ** (-snr / 20)
    y *= np.sqrt((np.mean(x ** 2) + 1e-12) / (np.mean(y ** 2) + 1e-12))  # the same loudness as before
    return np.clip(y, -1, 1).astype(np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=60, help="utterances per dev set (every k-th; 0 = all)")
    ap.add_argument("--corpora", nargs="*", default=["cathy", "speechocean762"])
    ap.add_argument("--channels", nargs="*", default=list(CHANNELS), choices=CHANNELS)
    ap.add_argument("--weights", default=None, help="weights to check (default: the shipped ones)")
    ap.add_argument("--compare-weights", default=None, help="another weights file, e.g. the previous release")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    from bench.bench_model import subsample
    from lipsync.phonemes.types import Audio
    from lipsync.phonemes.audio import load_audio
    from lipsync.phonemes.recognizers.model import ModelRecognizer
    from lipsync.training.datasets import load_corpus
    from lipsync.training.metrics import Tally

    recs = {"new": ModelRecognizer(weights=args.weights)}
    if args.compare_weights:
        recs["old"] = ModelRecognizer(weights=args.compare_weights)
    utts = [u for c in args.corpora for u in subsample(load_corpus(c, "dev"), args.limit)]
    tallies = {(w, ch, m): Tally() for w in recs for ch in args.channels for m in ("audio", "text")}
    t0 = time.perf_counter()
    for k, u in enumerate(utts):
        audio = load_audio(u.audio_path)
        for ch in args.channels:
            heard = Audio(play(audio.samples, audio.sample_rate, ch, seed=k), audio.sample_rate, audio.source)
            for w, rec in recs.items():
                post = rec.posteriors(heard)
                hyps = {"audio": rec.recognize_posteriors(post, None, duration=heard.duration)}
                if u.text:
                    hyps["text"] = rec.recognize_posteriors(post, u.text, duration=heard.duration)
                for m, track in hyps.items():
                    tallies[(w, ch, m)].add(u.phones, [(p.start, p.end, p.phone) for p in track.phones],
                                            heard.duration)
    print(f"channels: {len(utts)} utterances of {', '.join(args.corpora)} dev, {time.perf_counter() - t0:.0f} s")
    names = {"new": args.weights or "shipped", "old": args.compare_weights}
    print("| weights | channel | audio only: acc5 / ±1f / closure R / P | with script: acc5 / ±1f / closure R / P |")
    print("|---|---|---|---|")
    for w in recs:
        for ch in args.channels:
            cells = []
            for m in ("audio", "text"):
                r = tallies[(w, ch, m)].summary()
                cells.append(f"{r['acc5']:.3f} / {r['acc5_tol']:.3f} / {r['closure_recall']:.3f} / "
                             f"{r['closure_precision']:.3f}")
            label = names[w] if names[w] == "shipped" else os.path.join(*os.path.normpath(names[w]).split(os.sep)[-2:])
            print(f"| {label} | {ch} | "
                  f"{cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
