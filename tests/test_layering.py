"""The layout's rules, read from the code's own imports (every import statement, lazy ones included).

- only ``addon/`` and ``rigging/blender/`` import bpy (or Blender's other modules);
- nothing the extension ships imports ``training/``;
- every relative import names a module or package that exists;
- no import circle among the project's modules;
- no shipped source file is over 600 lines;
- the built zip holds no training file and no run log.
"""
import ast
import os
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = ("addon", "phonemes", "inference", "rigging")  # plus the root modules
# Blender's Python API. (Blender's audio library ``aud`` is not in it: phonemes.audio may read a file
# through it, when it can be imported, as a last resort.)
BLENDER_MODULES = {"bpy", "bpy_extras", "bmesh", "mathutils", "gpu", "blf", "idprop", "bl_math", "bl_ui"}
BPY_ALLOWED = ("addon", "rigging.blender")
MAX_LINES = 600


def _module_name(path: str) -> str:
    rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
    return rel[: -len(".__init__")] if rel.endswith(".__init__") else ("" if rel == "__init__" else rel)


def project_files() -> dict[str, str]:
    """Project module name ('' for the package root, 'phonemes.align', ...) -> file path."""
    out = {}
    for entry in sorted(os.listdir(ROOT)):
        full = os.path.join(ROOT, entry)
        if entry.endswith(".py") and os.path.isfile(full):
            out[_module_name(full)] = full
        elif entry in SHIPPED + ("training",) and os.path.isdir(full):
            for dirpath, dirnames, filenames in os.walk(full):
                dirnames[:] = [d for d in dirnames if d != "__pycache__"]
                for fn in filenames:
                    if fn.endswith(".py"):
                        p = os.path.join(dirpath, fn)
                        out[_module_name(p)] = p
    return out


FILES = project_files()


def _is_package(mod: str) -> bool:
    return mod == "" or FILES.get(mod, "").endswith("__init__.py")


def imports_of(mod: str) -> tuple[set[str], set[str], list[str]]:
    """(project modules ``mod`` imports, top-level third-party/stdlib names, unresolved relative imports)."""
    tree = ast.parse(open(FILES[mod], encoding="utf-8").read(), FILES[mod])
    package = mod if _is_package(mod) else mod.rpartition(".")[0]
    internal, external, broken = set(), set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "lipsync" or a.name.startswith("lipsync."):
                    broken.append(f"absolute import of {a.name} (the extension must use relative imports)")
                external.add(a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.split(".")[0] == "lipsync":
                    broken.append(f"absolute import from {node.module} (the extension must use relative imports)")
                external.add((node.module or "").split(".")[0])
                continue
            parts = package.split(".") if package else []
            if node.level - 1 > len(parts):
                broken.append(f"line {node.lineno}: relative import above the package root")
                continue
            base = parts[: len(parts) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            if target not in FILES:
                broken.append(f"line {node.lineno}: from {'.' * node.level}{node.module or ''} -> {target!r} "
                              "does not exist")
                continue
            if not _is_package(target):
                internal.add(target)
                continue
            # from PACKAGE import name: a submodule, or a name the package's __init__ defines. A submodule
            # of a package that is already loading (an ancestor of this module) does not depend on its
            # __init__; any other name, or a package that is not an ancestor, does.
            subs = [f"{target}.{a.name}" if target else a.name for a in node.names]
            internal.update(x for x in subs if x in FILES)
            ancestor = target == "" or mod == target or mod.startswith(target + ".")
            if not ancestor or any(x not in FILES for x in subs):
                internal.add(target)
    internal.discard(mod)
    return internal, external, broken


GRAPH = {m: imports_of(m) for m in FILES}


def _in(mod: str, pkg: str) -> bool:
    return mod == pkg or mod.startswith(pkg + ".")


def _shipped(mod: str) -> bool:
    return not _in(mod, "training")


def test_relative_imports_resolve():
    bad = {m: b for m, (_, _, b) in GRAPH.items() if b}
    assert not bad, bad


def test_only_blender_side_imports_bpy():
    offenders = {m: sorted(ext & BLENDER_MODULES) for m, (_, ext, _) in GRAPH.items()
                 if ext & BLENDER_MODULES and not any(_in(m, p) for p in BPY_ALLOWED)}
    assert not offenders, f"bpy outside addon/ and rigging/blender/: {offenders}"


def test_nothing_shipped_imports_training():
    offenders = {m: sorted(t for t in internal if _in(t, "training"))
                 for m, (internal, _, _) in GRAPH.items() if _shipped(m)}
    offenders = {m: t for m, t in offenders.items() if t}
    assert not offenders, f"shipped modules importing training/: {offenders}"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circles():
    graph = {m: internal for m, (internal, _, _) in GRAPH.items()}
    cycles = _cycles(graph)
    assert not cycles, f"import circles: {cycles}"


def test_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_shipped_file_over_600_lines():
    long = {m: n for m, p in FILES.items() if _shipped(m)
            and (n := sum(1 for _ in open(p, encoding="utf-8"))) > MAX_LINES}
    assert not long, long


def test_zip_has_no_training_file_and_no_log(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    try:
        import build_extension
    finally:
        sys.path.pop(0)
    names = zipfile.ZipFile(build_extension.build(str(tmp_path))).namelist()
    assert not [n for n in names if n.startswith("training/")]
    assert not [n for n in names if n.endswith((".log", ".txt")) and not n.startswith("wheels/")
                and n != "addon/constraints.txt"]  # the pinned dependency versions Install Dependencies uses
    assert "addon/constraints.txt" in names and "phonemes/recognizers/model_sums.json" in names
    weights = sorted(n for n in names if n.startswith("inference/weights/"))
    assert weights == ["inference/weights/MODEL_CARD.md", "inference/weights/model_config.json",
                       "inference/weights/visemenet.pt"]


@pytest.mark.parametrize("mod", ["phonemes.recognizers.registry", "pipeline", "cli", "batch"])
def test_light_imports(mod):
    """What the add-on reads at registration, and the CLI's start, import no third-party package but numpy."""
    import subprocess

    code = (
        "import sys, importlib.abc\n"
        "BLOCK = {'scipy', 'soundfile', 'torch', 'pocketsphinx', 'allosaurus', 'bpy', 'librosa', 'dask', 'distributed'}\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in BLOCK: raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"import lipsync.{mod} as m\n"
        "if hasattr(m, 'available_recognizers'): print(m.available_recognizers())\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
