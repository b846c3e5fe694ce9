#!/usr/bin/env python3
"""Run the built extension on several Blender versions (PyPI's ``bpy``), each in a throw-away venv.

    .venv/bin/python tools/version_matrix.py [--versions 4.2.23 4.5.15 5.0.1] [--venvs DIR] [--no-torch]
                                             [--out out/version_matrix]

For each version: a venv with ``bpy==VERSION``, ``numpy<2``, scipy, soundfile, pocketsphinx and
``torch==2.13.0`` (the CPU build, from local disk); the sample scenes rebuilt by that Blender
(``sample_scenes/make_cartoon_head.py``, ``make_avatar.py``: a .blend saved by 5.0 is not a 4.2
file); the extension zip (``tools/build_extension.py``) installed the way Blender installs it, into
a fresh ``$HOME``; then ``tools/matrix_scenario.py`` through the installed copy only: Generate from
an audio file, Generate from a sound strip, two takes and switching, a range regeneration, the
multi-mesh avatar, Generate All, a short preview. Prints a Markdown table (the README's) and
writes ``OUT.json`` / ``OUT.md`` (and each version's preview, ``preview-VERSION.mp4`` / ``.png``, beside them). Too slow for CI (a few minutes per version, most of it pip);
CI runs 5.0 through the test suite. ``--venvs DIR`` keeps the venvs there for the next run
(default: a temporary folder, removed afterwards).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import build_extension  # noqa: E402

VERSIONS = ("4.2.23", "4.5.15", "5.0.1")
PACKAGES = ("numpy>=1.26,<2", "scipy", "soundfile", "pocketsphinx>=5")
TORCH = "torch==2.13.0"  # the CPU build; other specs pull gigabytes of CUDA wheels
STEPS = (("install", "zip installs"), ("generate_file", "Generate (audio file)"),
         ("generate_strip", "Generate (sound strip)"), ("switch_takes", "2 takes, switch"),
         ("regenerate_range", "range regeneration"), ("multi_mesh_avatar", "avatar: head + teeth + tongue"),
         ("generate_all", "Generate All"), ("preview", "preview movie"))


def ensure_venv(where: str, version: str, torch: bool) -> str:
    py = os.path.join(where, "bin", "python")
    stamp = os.path.join(where, f".lipsync-{version}{'-torch' if torch else ''}")
    if os.path.exists(stamp):
        return py
    print(f"matrix: venv for bpy {version} in {where}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", where], check=True)
    pkgs = [f"bpy=={version}", *PACKAGES, *([TORCH] if torch else [])]
    subprocess.run([py, "-m", "pip", "install", "-q", *pkgs], check=True)
    open(stamp, "w").close()
    return py


def run_version(version: str, venvs: str, zpath: str, torch: bool, work: str, out_dir: str) -> dict:
    t0 = time.perf_counter()
    py = ensure_venv(os.path.join(venvs, f"bpy-{version}"), version, torch)
    t_setup = time.perf_counter() - t0
    home = os.path.join(work, f"home-{version}")
    scenes = os.path.join(work, f"scenes-{version}")
    tmp = os.path.join(work, f"tmp-{version}")
    for d in (home, scenes, tmp):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BLENDER_USER", "PYTHONPATH", "VIRTUAL_ENV"))}
    env["HOME"] = home
    for script, blend in (("make_cartoon_head.py", "cartoon_head.blend"), ("make_avatar.py", "avatar.blend")):
        proc = subprocess.run([py, os.path.join(ROOT, "sample_scenes", script), os.path.join(scenes, blend)],
                              capture_output=True, text=True, env=env, cwd=tmp, timeout=600)
        if proc.returncode:
            return {"version": version, "error": f"{script} failed: {proc.stderr[-800:]}"}
    wav = os.path.join(ROOT, "sample_scenes", "dialogue.wav")
    recognizer = "auto" if torch else "pocketsphinx"
    proc = subprocess.run([py, os.path.join(ROOT, "tools", "matrix_scenario.py"), zpath, scenes, wav, tmp,
                           recognizer], capture_output=True, text=True, env=env, cwd=tmp, timeout=1200)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    if not lines:
        return {"version": version, "error": f"scenario crashed (exit {proc.returncode}): {proc.stderr[-1500:]}"}
    res = json.loads(lines[-1][6:])
    movie = os.path.join(tmp, "preview.mp4")
    if os.path.exists(movie):  # keep the preview, and one frame of it to look at
        keep = os.path.join(out_dir, f"preview-{version}.mp4")
        shutil.copy(movie, keep)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", "0.5", "-i", keep, "-frames:v", "1",
                        keep[:-4] + ".png"], check=False)
    res.update(pypi=version, recognizer=recognizer, setup_s=round(t_setup, 1),
               run_s=round(time.perf_counter() - t0 - t_setup, 1))
    if proc.returncode or any(s["ok"] is False for s in res["steps"].values()):
        res["log"] = proc.stderr[-3000:]
    return res


def _cell(step: dict | None) -> str:
    if step is None:
        return "not run"
    mark = {True: "yes", False: "**FAILED**", None: "n/a"}[step["ok"]]
    return f"{mark}: {step['detail']}" if step["ok"] is not True else "yes"


def table(results: list[dict]) -> str:
    head = "| | " + " | ".join(f"bpy {r.get('pypi', r['version'])}" for r in results) + " |"
    rows = [head, "|---" * (len(results) + 1) + "|"]
    rows.append("| Blender | " + " | ".join(r.get("version", "?") for r in results) + " |")
    rows.append("| Audaspace (sound strips) | " + " | ".join(
        ("yes" if r.get("audaspace") else "no") if "steps" in r else "?" for r in results) + " |")
    for key, label in STEPS:
        rows.append(f"| {label} | " + " | ".join(
            _cell(r.get("steps", {}).get(key)) if "steps" in r else f"**error**: {r['error'][:80]}"
            for r in results) + " |")
    rows.append("| recogniser; time (venv set-up + run) | " + " | ".join(
        f"{r.get('recognizer', '?')}; {r.get('setup_s', 0):.0f} s + {r.get('run_s', 0):.0f} s" for r in results) + " |")
    return "\n".join(rows)


def details(results: list[dict]) -> str:
    """What each step found, per version."""
    out = []
    for r in results:
        out.append(f"- bpy {r.get('pypi', r['version'])}: " + ("; ".join(
            f"{k} ({s['seconds']} s): {s['detail']}" for k, s in r.get("steps", {}).items()) or r.get("error", "")))
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--versions", nargs="+", default=list(VERSIONS), help="PyPI bpy versions (default: %(default)s)")
    ap.add_argument("--venvs", help="keep the venvs in this folder and reuse them (default: a temporary folder)")
    ap.add_argument("--no-torch", action="store_true", help="no torch: pocketsphinx instead of the default recogniser")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "version_matrix"), help="OUT.json and OUT.md")
    args = ap.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    work = tempfile.mkdtemp(prefix="lipsync-matrix-")
    venvs = os.path.abspath(args.venvs) if args.venvs else os.path.join(work, "venvs")
    try:
        zpath = build_extension.build(os.path.join(work, "dist"))
        results = []
        for v in args.versions:
            print(f"matrix: bpy {v}", flush=True)
            r = run_version(v, venvs, zpath, not args.no_torch, work, os.path.dirname(os.path.abspath(args.out)))
            results.append(r)
            for key, _ in STEPS:
                s = r.get("steps", {}).get(key)
                if s is not None:
                    print(f"  {key:18s} {_cell(s)} ({s['seconds']} s)", flush=True)
            if "error" in r or "log" in r:
                print(r.get("error") or r["log"], file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    md = table(results) + "\n\n" + details(results)
    print(md)
    with open(args.out + ".json", "w", encoding="utf-8") as fh:
        json.dump(results, fh, indent=1)
    with open(args.out + ".md", "w", encoding="utf-8") as fh:
        fh.write(md + "\n")
    ok = all("steps" in r and all(s["ok"] is not False for s in r["steps"].values()) for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
