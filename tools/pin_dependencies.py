#!/usr/bin/env python3
"""Write ``addon/constraints.txt``: the exact versions Install Dependencies may install.

    .venv/bin/python tools/pin_dependencies.py [--check]

Takes the add-on's dependencies (``addon.preferences.DEPENDENCIES``, read from its source so bpy
is not needed) and every package they pull in, at the versions installed in this environment (the
ones the test suite ran with), and writes them as ``name==version`` lines. numpy is left out: the
add-on always keeps the numpy that ships with Blender (Install Dependencies pins it to Blender's
own version). ``--check`` only compares and exits 1 when the file is out of date.
"""
from __future__ import annotations

import argparse
import ast
import importlib.metadata as md
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "addon", "constraints.txt")
NEVER = {"numpy"}  # Blender's own
HEADER = """\
# Exact versions Preferences -> Add-ons -> Lip Sync -> Install Dependencies installs (pip --constraint).
# numpy is not here: the add-on keeps Blender's own numpy (pinned to it at install time).
# Made by tools/pin_dependencies.py from the environment the tests ran in; edit there, not here.
# Offline studios: pip download -r <(the requirements) -c addon/constraints.txt (see README).
"""


def dependency_requirements() -> list[str]:
    """The pip requirements of addon/preferences.py's DEPENDENCIES (parsed, not imported: it needs bpy)."""
    tree = ast.parse(open(os.path.join(ROOT, "addon", "preferences.py"), encoding="utf-8").read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DEPENDENCIES" for t in node.targets):
            deps = ast.literal_eval(node.value)
            return [req for _mod, (req, _what, _required) in deps.items()]
    raise SystemExit("DEPENDENCIES not found in addon/preferences.py")


def _name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def closure(names: list[str]) -> dict[str, str]:
    """name -> installed version for ``names`` and everything they require (no extras, this platform's markers)."""
    from packaging.requirements import Requirement

    out, todo = {}, list(names)
    while todo:
        n = _name(todo.pop())
        if n in out or n in NEVER:
            continue
        try:
            dist = md.distribution(n)
        except md.PackageNotFoundError:
            raise SystemExit(f"{n} is not installed here; run tools/setup_env.sh first")
        out[n] = dist.version.split("+")[0]  # torch's "+cpu" local label: the index decides the build
        for r in dist.requires or []:
            req = Requirement(r)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            todo.append(req.name)
    return out


def render(pins: dict[str, str]) -> str:
    return HEADER + "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when addon/constraints.txt is out of date")
    args = ap.parse_args(argv)
    text = render(closure(dependency_requirements()))
    if args.check:
        current = open(OUT, encoding="utf-8").read() if os.path.exists(OUT) else ""
        if current != text:
            print("addon/constraints.txt is out of date; run tools/pin_dependencies.py", file=sys.stderr)
            return 1
        return 0
    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"{OUT}: {text.count('==')} pins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
