"""Supply chain: exact pinned dependency versions for Install Dependencies, and no network in analysis."""
import os
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAV = os.path.join(ROOT, "sample_scenes", "dialogue.wav")
CONSTRAINTS = os.path.join(ROOT, "addon", "constraints.txt")


def _tool():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    try:
        import pin_dependencies
    finally:
        sys.path.pop(0)
    return pin_dependencies


def test_constraints_pin_every_dependency_exactly_and_never_numpy():
    pins = {}
    for line in open(CONSTRAINTS, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-z0-9][a-z0-9._-]*)==([0-9][0-9a-z.]*)", line)
        assert m, f"not an exact pin: {line!r}"
        pins[m.group(1)] = m.group(2)
    assert "numpy" not in pins  # Blender's own numpy stays
    tool = _tool()
    for req in tool.dependency_requirements():
        name = tool._name(req)
        if name != "numpy":
            assert name in pins, f"{name} (from addon/preferences.py) has no pin in addon/constraints.txt"
    assert pins["torch"] == "2.13.0"


@pytest.mark.bpy
def test_install_dependencies_uses_the_pins_and_an_offline_wheels_folder():
    pytest.importorskip("bpy")
    code = textwrap.dedent("""
        import json
        from lipsync.addon import preferences as p
        online = p.pip_command("/t", ["scipy", "torch==2.13.0"], "/tmp/numpy.txt")
        offline = p.pip_command("/t", ["scipy", "torch==2.13.0"], "/tmp/numpy.txt", wheels_dir="/w")
        print("RESULT" + json.dumps([online, offline, p.CONSTRAINTS]))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert line, proc.stderr[-2000:]
    import json

    online, offline, constraints = json.loads(line[0][6:])
    assert os.path.samefile(constraints, CONSTRAINTS)
    for cmd in (online, offline):
        i = cmd.index("--constraint")
        assert cmd[i + 1] == constraints and "/tmp/numpy.txt" in cmd
    assert "--extra-index-url" in online and "--no-index" not in online
    assert offline[offline.index("--find-links") + 1] == "/w" and "--no-index" in offline
    assert "--extra-index-url" not in offline


@pytest.mark.slow
def test_analysis_never_uses_the_network(tmp_path):
    """Every recogniser that ships runs with every socket refused (the only network use is on request)."""
    code = textwrap.dedent("""
        import socket, sys
        def refuse(*a, **k):
            raise OSError("network use during analysis: " + repr(a[:2]))
        socket.socket.connect = socket.socket.connect_ex = refuse
        socket.create_connection = socket.getaddrinfo = refuse
        from lipsync.cli import main
        out = sys.argv[1]
        rc = [main(["analyze", sys.argv[2], "--recognizer", r, "-q", "-o", f"{out}/{r}.json"] + extra)
              for r, extra in [("model", []), ("pocketsphinx", []), ("fused", ["--transcript", sys.argv[3]])]]
        sys.exit(max(rc))
    """)
    import soundfile as sf

    x, sr = sf.read(WAV, dtype="float32")
    sf.write(tmp_path / "line.wav", x[: int(3.5 * sr)], sr)
    (tmp_path / "line.txt").write_text("Mom, maybe bring the big blue")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", code, str(out), str(tmp_path / "line.wav"), str(tmp_path / "line.txt")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert sorted(os.listdir(out)) == ["fused.json", "model.json", "pocketsphinx.json"]
