"""tools/mutation_server.py (the fork server mutmut's runner talks to) and tools/mutation_report.py (the score)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "tools" / "mutation_server.py"


@pytest.fixture()
def server(tmp_path):
    sock = str(tmp_path / "s.sock")
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    proc = subprocess.Popen([sys.executable, str(SERVER), "serve", sock], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield sock
    finally:
        proc.kill()
        proc.wait()


def _project(tmp_path: Path, body: str) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir(exist_ok=True)
    (proj / "mod.py").write_text(body)
    (proj / "test_mod.py").write_text("import mod\n\ndef test_value():\n    assert mod.value() == 3\n")
    return proj


def _run(sock: str, cwd: Path, *args: str, timeout: float = 60) -> int:
    return subprocess.run([sys.executable, "-S", str(SERVER), "run", sock, "-q", "-p", "no:cacheprovider", *args],
                          cwd=cwd, timeout=timeout).returncode


def test_server_reports_pass_fail_and_broken_import_and_reads_each_mutant_fresh(server, tmp_path):
    proj = _project(tmp_path, "def value():\n    return 1 + 2\n")
    assert _run(server, proj, "test_mod.py") == 0
    # a mutant of the same size written right after: it must be read from disk again, not from a cache
    (proj / "mod.py").write_text("def value():\n    return 1 - 2\n")
    assert _run(server, proj, "test_mod.py") == 1
    (proj / "mod.py").write_text("def value(:\n    return 3\n")  # collection error: pytest exits 2, we say 1
    assert _run(server, proj, "test_mod.py") == 1
    (proj / "mod.py").write_text("def value():\n    return 1 + 2\n")
    assert _run(server, proj, "test_mod.py") == 0
    assert not list(proj.rglob("*.pyc"))  # no byte-code written


def test_a_killed_client_kills_its_tests(server, tmp_path):
    proj = _project(tmp_path, "def value():\n    return 3\n")
    marker = tmp_path / "still-running"
    (proj / "test_slow.py").write_text(
        "import time, pathlib\n\ndef test_slow():\n    time.sleep(3)\n"
        f"    pathlib.Path({str(marker)!r}).write_text('x')\n")
    client = subprocess.Popen([sys.executable, "-S", str(SERVER), "run", server, "-q", "-p", "no:cacheprovider",
                               "test_slow.py"], cwd=proj)
    time.sleep(1.0)
    client.kill()  # what mutmut does on a timeout
    client.wait()
    time.sleep(3.5)
    assert not marker.exists()
    assert _run(server, proj, "test_mod.py") == 0  # the server still serves


def _cache(path: Path, module: str, rows):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE SourceFile (id INTEGER PRIMARY KEY, filename TEXT)")
    db.execute("CREATE TABLE Line (id INTEGER PRIMARY KEY, sourcefile INTEGER, line TEXT, line_number INTEGER)")
    db.execute('CREATE TABLE Mutant (id INTEGER PRIMARY KEY, line INTEGER, "index" INTEGER, status TEXT)')
    db.execute("INSERT INTO SourceFile VALUES (1, ?)", (module,))
    for i, (line, number, index, status) in enumerate(rows, 1):
        db.execute("INSERT INTO Line VALUES (?, 1, ?, ?)", (i, line, number))
        db.execute("INSERT INTO Mutant VALUES (?, ?, ?, ?)", (i, i, index, status))
    db.commit()
    db.close()


def test_report_counts_killed_survivors_equivalents_and_totals(tmp_path, monkeypatch, capsys):
    pytest.importorskip("mutmut")
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import mutation_report
    finally:
        sys.path.remove(str(ROOT / "tools"))
    monkeypatch.chdir(tmp_path)
    Path("m.py").write_text("from __future__ import annotations\n\n\ndef f(x: int) -> int:\n    return x + 1\n"
                            "\n\ndef g():\n    return 2 * 3\n")
    _cache(tmp_path / "c.sqlite", "m.py", [
        ("def f(x: int) -> int:", 3, 0, "bad_survived"),   # annotation only: equivalent
        ("    return x + 1", 4, 0, "ok_killed"),
        ("    return 2 * 3", 8, 0, "bad_survived"),        # listed as equivalent below
        ("    return 2 * 3", 8, 1, "bad_survived"),        # a real survivor
        ("    return x + 1", 4, 1, "untested"),
    ])
    from mutmut import Context, RelativeMutationID, mutate

    src = Path("m.py").read_text()
    mutated = mutate(Context(source=src, mutation_id=RelativeMutationID("    return 2 * 3", 0, 8)))[0]
    eq_line = mutated.splitlines()[8].strip()
    (tmp_path / "eq.tsv").write_text(f"m.py\treturn 2 * 3\t{eq_line}\tsame value\n")
    mutation_report.module_report("m.py", str(tmp_path / "c.sqlite"), str(tmp_path / "eq.tsv"),
                                  str(tmp_path / "surv.txt"), 12, str(tmp_path / "scores.tsv"))
    row = json.loads((tmp_path / "scores.tsv").read_text())
    assert row == {"module": "m.py", "killed": 1, "survived": 1, "equivalent": 2, "untested": 1, "seconds": 12}
    assert (tmp_path / "surv.txt").read_text().startswith("m.py:9\n  - return 2 * 3\n")
    with open(tmp_path / "scores.tsv", "a") as f:
        f.write(json.dumps({"module": "other.py", "killed": 9, "survived": 1, "equivalent": 0, "untested": 0,
                            "seconds": 1}) + "\n")
        f.write(json.dumps({"module": "m.py", "killed": 3, "survived": 1, "equivalent": 0, "untested": 0,
                            "seconds": 1}) + "\n")  # a later run of m.py replaces the first
    mutation_report.total(str(tmp_path))
    mutation_report.total(str(tmp_path), ["m.py"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "m.py: 1/2 killed (50.0%), 2 equivalent, 1 not run, 12 s"
    assert lines[1] == "mutation score: 12/14 killed (85.7%)"
    assert lines[2] == "mutation score: 3/4 killed (75.0%)"
