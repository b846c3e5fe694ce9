"""Phone boundary accuracy of every recogniser, with and without the transcript, side by side.

For each dev_real group (hand-labelled or checked timings; see the data
README) and a held-out part of cathy (the dev split by prompt id, first
``--cathy`` utterances), every recogniser runs on every clip twice: with the
transcript (forced alignment) and without it (phone recognition). Printed per
group and recogniser: the median distance from each reference boundary to the
nearest hypothesised one (ms), the share within 20 ms and within 50 ms, the
number of boundaries (hyp/ref) and the real-time factor.

    .venv/bin/python bench/bench_alignment.py [--cathy 40] [--recognizers pocketsphinx,model,fused,allosaurus]

Caveat printed with the results: dev_real/alsa's reference timings ARE a pocketsphinx
alignment, so pocketsphinx (and "fused", which uses it) is favoured there; the pooled
figures are given with and without alsa.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    pass

HERE = os.path.dirname(os.path.abspath(__file__))

from lipsync.phonemes.audio import load_audio  # noqa: E402
from lipsync.training.datasets import load_corpus  # noqa: E402
from lipsync.training.metrics import boundaries, boundary_errors, summarize_boundaries  # noqa: E402
from lipsync.phonemes.recognizers import available_recognizers, get_recognizer  # noqa: E402

GROUPS = ["dev_real/emu_ae", "dev_real/praatio", "dev_real/north_wind", "dev_real/alsa", "cathy"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cathy", type=int, default=40, help="how many cathy dev utterances (0: none)")
    ap.add_argument("--recognizers", default="pocketsphinx,model,fused,allosaurus")
    ap.add_argument("--groups", default=",".join(GROUPS))
    args = ap.parse_args(argv)

    status = available_recognizers()
    recs = {}
    for name in args.recognizers.split(","):
        name = name.strip()
        if not status.get(name, "").startswith("ready"):
            print(f"# {name}: skipped ({status.get(name, 'unknown recogniser')})")
            continue
        recs[name] = get_recognizer(name)
    if not recs:
        print("no recogniser can run", file=sys.stderr)
        return 1

    groups = []
    for g in args.groups.split(","):
        if g == "cathy":
            if args.cathy > 0:
                groups.append(("cathy/dev", load_corpus("cathy", "dev")[: args.cathy]))
        else:
            groups.append((g, load_corpus(g)))

    rows = []
    all_err: dict[tuple[str, str], list[np.ndarray]] = {}
    for gname, utts in groups:
        clips = []
        for u in utts:
            a = load_audio(u.audio_path)
            clips.append((u, a))
        for rname, rec in recs.items():
            for mode in ("transcript", "no transcript"):
                errs, nh, nr, wall, audio_s, warn = [], 0, 0, 0.0, 0.0, 0
                for u, a in clips:
                    text = u.text if mode == "transcript" else None
                    if mode == "transcript" and not (text or "").strip():
                        continue
                    t0 = time.perf_counter()
                    tr = rec.recognize(a, text)
                    wall += time.perf_counter() - t0
                    audio_s += a.duration
                    hyp = [(p.start, p.end, p.phone) for p in tr.phones]
                    e = boundary_errors(u.phones, hyp)
                    errs.append(e)
                    nh += len(boundaries(hyp))
                    nr += len(boundaries(u.phones))
                    warn += bool(tr.warnings)
                e = np.concatenate(errs) if errs else np.zeros(0)
                if gname.startswith("dev_real"):
                    all_err.setdefault((rname, mode), []).append((gname, e))
                s = summarize_boundaries(e)
                rows.append((gname, rname, mode, len(errs), s, nh, nr, wall / max(audio_s, 1e-9), warn))
                print(f"{gname:22s} {rname:13s} {mode:14s} clips={len(errs):3d} "
                      f"median={s['median_ms']:6.1f} ms  <=20ms={s['within20']:.2f}  <=50ms={s['within50']:.2f}  "
                      f"bounds hyp/ref={nh}/{nr}  RTF={wall / max(audio_s, 1e-9):.3f}  warned={warn}", flush=True)
    print()
    print("dev_real, all groups pooled (boundary-weighted):")
    for (rname, mode), es in all_err.items():
        s = summarize_boundaries(np.concatenate([e for _, e in es]))
        print(f"  {rname:13s} {mode:14s} n={s['n']:4d} median={s['median_ms']:6.1f} ms  "
              f"<=20ms={s['within20']:.2f}  <=50ms={s['within50']:.2f}")
    if any(g == "dev_real/alsa" for es in all_err.values() for g, _ in es):
        print("NOTE: dev_real/alsa's reference timings are a pocketsphinx alignment, so pocketsphinx (and "
              "'fused', which uses it) are favoured there. Pooled without alsa:")
        for (rname, mode), es in all_err.items():
            rest = [e for g, e in es if g != "dev_real/alsa"]
            if not rest:
                continue
            s = summarize_boundaries(np.concatenate(rest))
            print(f"  {rname:13s} {mode:14s} n={s['n']:4d} median={s['median_ms']:6.1f} ms  "
                  f"<=20ms={s['within20']:.2f}  <=50ms={s['within50']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
