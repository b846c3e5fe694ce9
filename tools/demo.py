"""Run Lip Sync end to end on the bundled sample; results go to out/.

    .venv/bin/python tools/demo.py [--out out] [--no-preview]

1. `lipsync analyze` the sample dialogue -> out/dialogue.json (Rhubarb JSON) and
   out/dialogue.phones.tsv (timed phones);
2. `lipsync animate` each sample rig with the dialogue -> out/<rig>_lipsync.blend (the 2D
   Grease Pencil character toon_2d on twos, with word and phone markers on its timeline);
3. `lipsync preview` the cartoon head -> out/cartoon_head_preview.mp4 and the 2D character ->
   out/toon_2d_preview.mp4 (H.264 + AAC, frame number / word / phone / mouth shape burnt in).
Each step is the real command line, run in-process.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "sample_scenes")
# (blend file, character object, extra options) for each sample rig
RIGS = [
    ("cartoon_head.blend", "CartoonHead", []),
    ("bone_head.blend", "BoneHead", []),
    ("arkit_head.blend", "ArkitHead", []),
    ("avatar.blend", "Avatar_Head", []),  # head picked: its teeth and tongue are keyed with it
    ("toon_2d.blend", "ToonHead", ["--step", "2", "--markers", "words,phones"]),  # 2D: Grease Pencil, on twos
]


def run(argv):
    from lipsync.cli import main

    print("$ lipsync " + " ".join(argv), flush=True)
    t0 = time.perf_counter()
    rc = main(argv)
    print(f"  ({time.perf_counter() - t0:.1f} s)", flush=True)
    if rc:
        sys.exit(f"demo: step failed with exit code {rc}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "out"))
    ap.add_argument("--no-preview", action="store_true", help="skip the MP4 preview")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    wav = os.path.join(SAMPLES, "dialogue.wav")
    txt = os.path.join(SAMPLES, "dialogue.txt")
    run(["analyze", wav, "--transcript", txt, "-o", os.path.join(args.out, "dialogue.json")])
    run(["analyze", wav, "--transcript", txt, "--format", "phones-tsv", "-o",
         os.path.join(args.out, "dialogue.phones.tsv")])
    for blend, obj, extra in RIGS:
        path = os.path.join(SAMPLES, blend)
        if not os.path.exists(path):
            print(f"demo: {blend} not found, skipped", file=sys.stderr)
            continue
        out_blend = os.path.join(args.out, blend.replace(".blend", "_lipsync.blend"))
        run(["animate", path, "--audio", wav, "--transcript", txt, "--object", obj, "-o", out_blend, *extra])
    if not args.no_preview:
        run(["preview", os.path.join(args.out, "cartoon_head_lipsync.blend"), "-o",
             os.path.join(args.out, "cartoon_head_preview.mp4")])
        run(["preview", os.path.join(args.out, "toon_2d_lipsync.blend"), "-o",
             os.path.join(args.out, "toon_2d_preview.mp4"), "--resolution", "35"])
    print(f"demo: done; see {args.out}")


if __name__ == "__main__":
    main()
