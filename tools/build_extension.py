#!/usr/bin/env python3
"""Pack the Blender extension zip: ``dist/lip_sync-<version>.zip``.

Pure Python (zipfile), no Blender binary needed. The zip holds the package files
at its root, the way ``blender --command extension build`` lays them out:
``blender_manifest.toml``, ``__init__.py``, the root modules, ``addon/``,
``phonemes/``, ``inference/`` (with its weights), ``rigging/`` and ``LICENSE`` /
``README.md`` when present. The manifest's ``[build] paths_exclude_pattern``
is honoured (tests, bench, tools, caches never go in).

Dependencies: by default no wheels are bundled; the add-on's Preferences install
what is missing into the extension's user directory. ``--wheels DIR`` bundles
every ``*.whl`` in DIR (under ``wheels/``) and lists them in the packed manifest;
``--download-wheels`` first fills DIR with pip for the supported platforms
(the light dependencies only: torch is far too large for an extension zip).

Usage:
    python tools/build_extension.py [--out dist] [--wheels DIR] [--download-wheels]
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import re
import subprocess
import sys
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Top-level entries that make up the extension (plus every root-level *.py).
INCLUDE_DIRS = ("addon", "phonemes", "inference", "rigging")
INCLUDE_FILES = ("blender_manifest.toml", "LICENSE", "LICENSE.txt", "README.md")

# Wheels the add-on can bundle (pure analysis dependencies; numpy ships with Blender).
BUNDLED_REQUIREMENTS = ("scipy", "soundfile", "pocketsphinx")
# Blender 4.2 - 5.0 all embed CPython 3.11.
WHEEL_PLATFORMS = {
    "linux-x64": "manylinux_2_28_x86_64",
    "windows-x64": "win_amd64",
    "macos-arm64": "macosx_11_0_arm64",
    "macos-x64": "macosx_10_13_x86_64",
}


def read_manifest(root: str = ROOT) -> dict:
    path = os.path.join(root, "blender_manifest.toml")
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _excluded(rel: str, is_dir: bool, patterns: list[str]) -> bool:
    """gitignore-like match of ``rel`` (posix, relative to the root) against the manifest patterns."""
    name = rel.rsplit("/", 1)[-1]
    for pat in patterns:
        dir_only = pat.endswith("/")
        p = pat.rstrip("/")
        if dir_only and not is_dir:
            continue
        if p.startswith("/"):
            if fnmatch.fnmatchcase(rel, p[1:]):
                return True
        elif "/" in p:
            if fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(rel, "*/" + p):
                return True
        elif fnmatch.fnmatchcase(name, p):
            return True
    return False


def collect_files(root: str = ROOT, manifest: dict | None = None) -> list[tuple[str, str]]:
    """(absolute path, archive name) of every file that goes into the zip, sorted."""
    manifest = manifest or read_manifest(root)
    patterns = list(manifest.get("build", {}).get("paths_exclude_pattern", []))
    out: list[tuple[str, str]] = []
    for entry in sorted(os.listdir(root)):
        full = os.path.join(root, entry)
        if os.path.isfile(full) and (entry in INCLUDE_FILES or entry.endswith(".py")):
            if not _excluded(entry, False, patterns):
                out.append((full, entry))
        elif os.path.isdir(full) and entry in INCLUDE_DIRS:
            for dirpath, dirnames, filenames in os.walk(full):
                rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
                dirnames[:] = sorted(d for d in dirnames if not _excluded(f"{rel_dir}/{d}", True, patterns))
                for fn in sorted(filenames):
                    rel = f"{rel_dir}/{fn}"
                    if not _excluded(rel, False, patterns):
                        out.append((os.path.join(dirpath, fn), rel))
    return out


def _wheel_platform(wheel_name: str) -> set[str]:
    tag = wheel_name[:-4].split("-")[-1]
    if tag == "any":
        return set(WHEEL_PLATFORMS)
    found = set()
    for t in tag.split("."):
        if "linux" in t and "x86_64" in t:
            found.add("linux-x64")
        elif t == "win_amd64":
            found.add("windows-x64")
        elif t.startswith("macosx") and ("arm64" in t or "universal2" in t):
            found.add("macos-arm64")
        if t.startswith("macosx") and ("x86_64" in t or "universal2" in t or "intel" in t):
            found.add("macos-x64")
    return found


def download_wheels(dest: str, platforms=tuple(WHEEL_PLATFORMS)) -> None:
    os.makedirs(dest, exist_ok=True)
    for plat in platforms:
        cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--python-version", "3.11",
               "--platform", WHEEL_PLATFORMS[plat], "--dest", dest,
               "--constraint", os.path.join(ROOT, "addon", "constraints.txt"),  # the pinned versions
               *BUNDLED_REQUIREMENTS]
        print("+", " ".join(cmd))
        subprocess.run(cmd, check=True)
    # numpy comes with Blender: never bundle a second copy.
    for fn in os.listdir(dest):
        if fn.startswith("numpy-"):
            os.remove(os.path.join(dest, fn))


def _manifest_with_wheels(text: str, wheels: list[str], platforms: list[str]) -> str:
    lines = [ln for ln in text.splitlines() if not re.match(r"\s*(wheels|platforms)\s*=", ln)]
    # Top-level keys must come before the first [table].
    first_table = next((i for i, ln in enumerate(lines) if ln.strip().startswith("[")), len(lines))
    extra = ["platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]",
             "wheels = [", *[f'  "./wheels/{w}",' for w in wheels], "]", ""]
    return "\n".join(lines[:first_table] + extra + lines[first_table:]) + "\n"


def build(out_dir: str = os.path.join(ROOT, "dist"), wheels_dir: str | None = None, root: str = ROOT) -> str:
    """Write the extension zip and return its path."""
    manifest = read_manifest(root)
    for key in ("schema_version", "id", "version", "name", "type", "blender_version_min", "license"):
        if key not in manifest:
            raise SystemExit(f"blender_manifest.toml lacks '{key}'")
    files = collect_files(root, manifest)
    names = {arc for _, arc in files}
    if "__init__.py" not in names or "blender_manifest.toml" not in names:
        raise SystemExit("the extension needs __init__.py and blender_manifest.toml at the repository root")
    os.makedirs(out_dir, exist_ok=True)
    zpath = os.path.join(out_dir, f"{manifest['id']}-{manifest['version']}.zip")
    wheels = sorted(fn for fn in os.listdir(wheels_dir) if fn.endswith(".whl")) if wheels_dir else []
    tmp = zpath + ".part"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for full, arc in files:
            if arc == "blender_manifest.toml" and wheels:
                plats = sorted(set.union(*(_wheel_platform(w) for w in wheels)))
                with open(full, encoding="utf-8") as fh:
                    zf.writestr(arc, _manifest_with_wheels(fh.read(), wheels, plats))
            else:
                zf.write(full, arc)
        for w in wheels:
            zf.write(os.path.join(wheels_dir, w), f"wheels/{w}", compress_type=zipfile.ZIP_STORED)
    os.replace(tmp, zpath)
    return zpath


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "dist"), help="output folder (default: dist/)")
    ap.add_argument("--wheels", default=None, help="bundle every *.whl in this folder")
    ap.add_argument("--download-wheels", action="store_true",
                    help="pip-download the light dependencies for all supported platforms into --wheels first")
    args = ap.parse_args(argv)
    if args.download_wheels:
        if not args.wheels:
            ap.error("--download-wheels needs --wheels DIR")
        download_wheels(args.wheels)
    path = build(args.out, args.wheels)
    with zipfile.ZipFile(path) as zf:
        n = len(zf.namelist())
    print(f"{path}  ({n} files, {os.path.getsize(path) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
