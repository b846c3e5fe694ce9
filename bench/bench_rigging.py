"""Benchmark: write 10 minutes of dialogue onto a 15-target rig (Oculus visemes), bulk writes.

    .venv/bin/python bench/bench_rigging.py [--minutes 10] [--fps 24] [--repeat 3]

The dialogue is the sample clip's real phone timings (sample_scenes/dialogue.phones.tsv)
repeated to the length asked for. Prints, per style, the first (cold) and best-of-N wall time of
``generate_take`` (curves + simplification + keyframe writes), the part spent in
``build_curves``, and the number of keys before (one per frame and channel) and after
simplification (counted back from the written F-curves). Target: <= 2 s for 10 minutes.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import bpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(ROOT))

from lipsync.phonemes.types import PhoneTrack, TimedPhone  # noqa: E402
from lipsync.phonemes.visemes import phones_to_visemes  # noqa: E402
from lipsync.rigging.blender import compat, takes as rtakes, targets as rtargets  # noqa: E402
from lipsync.rigging.curves import build_curves  # noqa: E402
from lipsync.rigging.settings import AnimSettings  # noqa: E402

OCULUS = ["viseme_" + d for d in "sil PP FF TH DD kk CH SS nn RR aa E I O U".split()]


def long_track(minutes: float):
    rows = [l.split("\t") for l in open(os.path.join(ROOT, "sample_scenes", "dialogue.phones.tsv"), encoding="utf-8")
            .read().strip().splitlines()]
    clip = [(float(a), float(b), c.strip()) for a, b, c in rows]
    dur = clip[-1][1]
    phones, t = [], 0.0
    while t < minutes * 60:
        phones += [TimedPhone(t + a, t + b, c) for a, b, c in clip]
        t += dur
    return phones_to_visemes(PhoneTrack(phones, t))


def rig():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    me = bpy.data.meshes.new("Face")
    me.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("Face", me)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for n in OCULUS:
        obj.shape_key_add(name=n).value = 0.0
    return obj


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--fps", type=float, default=24.0)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    track = long_track(a.minutes)
    print(f"dialogue: {track.duration / 60:.2f} min, {len(track.cues)} viseme cues, {a.fps:g} fps, "
          f"15 shape-key targets (Oculus)")
    styles = {
        "smooth 3D (Bezier, tol 0.02)": AnimSettings(),
        "on twos (constant, tol 0.05)": AnimSettings(step=2, interpolation="CONSTANT", simplify_tolerance=0.05),
        "no simplification (tol 0)": AnimSettings(simplify_tolerance=0.0),
    }
    for name, s in styles.items():
        best = best_curves = float("inf")
        first = None
        for _ in range(a.repeat):
            obj = rig()
            t0 = time.perf_counter()
            m = rtargets.bind_mapping(obj, None)[0]
            build_curves(track, m, s, a.fps, 1.0)
            best_curves = min(best_curves, time.perf_counter() - t0)
            obj = rig()
            t0 = time.perf_counter()
            res = rtakes.generate_take(obj, track, s, fps=a.fps, start_frame=1, take_name="bench")
            took = time.perf_counter() - t0
            first = took if first is None else first
            best = min(best, took)
            written = sum(len(fc.keyframe_points) for fc in compat.action_fcurves(bpy.data.actions[res.take_name]))
            assert written == res.total_keys, (written, res.total_keys)
        ok = "OK" if max(best, first) <= 2.0 else "OVER 2 s"
        print(f"{name:32s} generate_take best {best:6.3f} s, first {first:6.3f} s ({ok}; curves {best_curves:.3f} s)"
              f" | keys before "
              f"{res.keys_dense:7d}  after {res.total_keys:7d}  ({100.0 * res.total_keys / res.keys_dense:.1f}%)")


if __name__ == "__main__":
    main()
