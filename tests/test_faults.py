"""Bad input to the command line: one clear line and exit status 2, nothing half-written."""
import os
import subprocess
import sys

import pytest

from lipsync.errors import OutputError
from lipsync.outputs import atomic_output, check_output, leftover_parts, write_text

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAV = os.path.join(ROOT, "sample_scenes", "dialogue.wav")
SCENE = os.path.join(ROOT, "sample_scenes", "cartoon_head.blend")


def lipsync(*args):
    return subprocess.run([sys.executable, "-m", "lipsync", *args], capture_output=True, text=True, timeout=300)


def one_clear_line(proc, *words):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if "error" in ln]
    assert len(errors) == 1, proc.stderr
    for w in words:
        assert w in errors[0], errors[0]


def test_output_under_an_existing_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("not a folder")
    one_clear_line(lipsync("analyze", WAV, "-o", str(f / "cues.json")), "notes.txt is a file, not a folder")
    one_clear_line(lipsync("animate", SCENE, "--audio", WAV, "--object", "CartoonHead", "-o", str(f / "x.blend")),
                   "is a file, not a folder")
    one_clear_line(lipsync("preview", SCENE, "-o", str(f / "p.mp4")), "is a file, not a folder")
    one_clear_line(lipsync("analyze", WAV, "-o", str(tmp_path)), "it is a folder")


@pytest.mark.parametrize("opt,value,says", [("--lead-frames", "-5", "Lead (Anticipation) must be between 0 and 10"),
                                            ("--intensity", "3", "Intensity must be between 0 and 2"),
                                            ("--smoothing", "nan", "Smoothing (Co-articulation) must be between 0 and 1")])
def test_out_of_range_animator_options(tmp_path, opt, value, says):
    one_clear_line(lipsync("animate", SCENE, "--audio", WAV, "--object", "CartoonHead", "-o",
                           str(tmp_path / "o.blend"), opt, value), says)
    assert not os.listdir(tmp_path)


CORRUPT = """
import contextlib, io, json, sys
from lipsync.cli import main
out = {}
for name, args in json.loads(sys.argv[1]).items():
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = main(args)
    out[name] = [rc, err.getvalue()]
print("RESULT" + json.dumps(out))
"""


@pytest.mark.bpy
def test_corrupt_blend(tmp_path, run_bpy):
    """Empty, foreign and truncated .blend files, given to animate and preview (one bpy process for all)."""
    import json

    good = open(SCENE, "rb").read()
    cases = {}
    for name, content in [("empty", b""), ("foreign", b"this is not a blend file" * 40), ("truncated", good[:30000])]:
        bad = tmp_path / f"{name}.blend"
        bad.write_bytes(content)
        cases[f"animate-{name}"] = ["animate", str(bad), "--audio", WAV, "--object", "CartoonHead", "--recognizer",
                                    "pocketsphinx", "-o", str(tmp_path / "out" / f"{name}.blend")]
        cases[f"preview-{name}"] = ["preview", str(bad), "-o", str(tmp_path / "out" / f"{name}.mp4")]
    res = run_bpy(CORRUPT, json.dumps(cases), timeout=300)
    for case, (rc, err) in res.items():
        name = case.split("-")[1]
        proc = subprocess.CompletedProcess([], rc, "", err)
        one_clear_line(proc, f"Could not open {name}.blend as a Blender scene")
    assert not os.path.exists(tmp_path / "out") or not os.listdir(tmp_path / "out")


def test_atomic_output_leaves_the_old_file_or_none(tmp_path):
    out = tmp_path / "cues.json"
    write_text(str(out), "old")
    with pytest.raises(RuntimeError):
        with atomic_output(str(out)) as tmp:
            with open(tmp, "w") as fh:
                fh.write("half of the new")
            raise RuntimeError("killed mid-write")
    assert out.read_text() == "old" and not leftover_parts(str(out))
    with pytest.raises(OutputError, match="Nothing was written"):
        with atomic_output(str(tmp_path / "empty.json")):
            pass
    assert os.listdir(tmp_path) == ["cues.json"]
    with pytest.raises(OutputError, match="it is a folder"):
        check_output(str(tmp_path))
