"""`lipsync batch`: a dubbing manifest end to end, resumable, on worker processes and on a Dask cluster.

The lines are short cuts of the sample dialogue analysed by the model with one torch thread, so a
line takes a fraction of a second and most of each test is process start-up.
"""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf

from lipsync import batch
from lipsync.errors import ManifestError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAV = os.path.join(ROOT, "sample_scenes", "dialogue.wav")
TXT = os.path.join(ROOT, "sample_scenes", "dialogue.txt")
SCENE = os.path.join(ROOT, "sample_scenes", "cartoon_head.blend")


def lipsync(*args, cwd=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "lipsync", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd)


def cut(src, dst, a, b):
    x, sr = sf.read(src, dtype="float32")
    sf.write(dst, x[int(a * sr): int(b * sr)], sr)


@pytest.fixture
def lines(tmp_path):
    """A folder with three good lines, one corrupt file, and a manifest naming them (relative paths)."""
    d = tmp_path / "fr"
    d.mkdir()
    for i, (a, b) in enumerate([(0, 3.5), (3.5, 7), (7, 10.7)]):
        cut(WAV, d / f"l{i}.wav", a, b)
    (d / "l0.txt").write_text("Mom, maybe bring the big blue")  # a script for the first line
    (d / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt not really audio" * 30)
    m = tmp_path / "lines.csv"
    m.write_text("audio,transcript,language,output\n"
                 "fr/l0.wav,fr/l0.txt,eng,cues/l0.json\n"
                 "fr/broken.wav,,,cues/broken.json\n"
                 "fr/l1.wav,,,cues/l1.tsv\n"
                 "fr/l2.wav,,,\n")
    return tmp_path, m


ARGS = ["--recognizer", "model", "--threads", "1"]


def test_manifest_with_a_corrupt_file_names_it_and_does_the_rest(lines):
    pytest.importorskip("torch")
    tmp, m = lines
    proc = lipsync("batch", str(m), *ARGS, "--report", str(tmp / "report.csv"))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "line 3 (broken.wav) failed: Could not read broken.wav" in proc.stderr
    doc = json.loads((tmp / "cues" / "l0.json").read_text())
    assert doc["mouthCues"] and doc["mouthCues"][-1]["end"] == pytest.approx(3.5, abs=0.02)
    assert (tmp / "cues" / "l1.tsv").read_text().startswith("0.00\t")  # Rhubarb TSV from the extension
    assert (tmp / "l2.json").exists()  # no output column: beside the manifest, in --format
    assert not (tmp / "cues" / "broken.json").exists()
    assert not [f for f in os.listdir(tmp / "cues") if f.startswith(".")]  # no temporary files left
    # the summary table: done, skipped, failed, audio seconds, wall time
    table = proc.stderr[proc.stderr.index("lines   audio s"):]
    assert "done          3" in table and "failed        1" in table and "wall time" in table
    report = (tmp / "report.csv").read_text().splitlines()
    assert len(report) == 5 and ",failed," in report[2]

    # resumable: what is up to date is skipped; a newer input is redone; force redoes everything
    opts = batch.Options(recognizer="model", threads=1)

    def statuses(**kw):
        return {r.row: r.status for r in batch.run_batch(str(m), options=opts, **kw)}

    assert statuses() == {2: "skipped", 3: "failed", 4: "skipped", 5: "skipped"}
    old = os.path.getmtime(tmp / "cues" / "l1.tsv")
    future = time.time() + 5
    os.utime(tmp / "fr" / "l1.wav", (future, future))
    assert statuses() == {2: "skipped", 3: "failed", 4: "done", 5: "skipped"}
    assert os.path.getmtime(tmp / "cues" / "l1.tsv") > old
    assert statuses(force=True) == {2: "done", 3: "failed", 4: "done", 5: "done"}


def test_manifest_errors_and_line_checks(tmp_path):
    with pytest.raises(ManifestError, match="no 'audio' column"):
        (tmp_path / "a.csv").write_text("file,text\nx.wav,hi\n")
        batch.read_manifest(str(tmp_path / "a.csv"))
    with pytest.raises(ManifestError, match="not found"):
        batch.read_manifest(str(tmp_path / "nope.csv"))
    (tmp_path / "t.txt").write_text("hello")
    m = tmp_path / "m.csv"
    m.write_text("Audio,Transcript,Blend,Object,Output,notes\n"
                 "a.wav,t.txt,,,,take 1\n"
                 "# a comment row\n"
                 "b.wav,missing.txt,,,,\n"
                 "c.wav,,,Head,,\n"
                 "d.wav,,scene.blend,,,\n"
                 "e.wav,,scene.blend,Head,e.json,\n"
                 "f.wav,,scene.blend,Head,,\n"
                 "g.wav,just the words,,,x.phones.tsv,\n"
                 "h.wav,,,,x.phones.tsv,\n"
                 ",,,,,\n")
    good, bad = batch.read_manifest(str(m), output_dir=str(tmp_path / "out"))
    assert [(l.row, os.path.basename(l.output), l.fmt) for l in good] == [
        (2, "a.json", "rhubarb-json"), (8, "scene_f.blend", None), (9, "x.phones.tsv", "phones-tsv")]
    assert good[0].transcript == str(tmp_path / "t.txt") and good[2].transcript == "just the words"
    assert good[1].blend == str(tmp_path / "scene.blend") and good[1].object == "Head"
    reasons = {r.row: r.reason for r in bad}
    assert "transcript file not found" in reasons[4]
    assert "without a 'blend'" in reasons[5] and "needs both" in reasons[6]
    assert "must be a .blend" in reasons[7] and "also line 9's" in reasons[10]


def test_progress_lines_and_summary_table():
    import io

    out = io.StringIO()
    prog = batch.Progress(2, out)
    prog(batch.Result(2, "line 2 (a.wav)", "done", audio_seconds=3.0, wall_seconds=0.5))
    prog(batch.Result(3, "line 3 (b.wav)", "failed", reason="bad"))
    assert out.getvalue().splitlines() == ["[1/2] line 2 (a.wav): done (3.0 s of audio in 0.5 s)",
                                           "[2/2] line 3 (b.wav): failed"]
    table = batch.summary_table([batch.Result(2, "", "done", audio_seconds=3.0, wall_seconds=0.5),
                                 batch.Result(3, "", "skipped"), batch.Result(4, "", "failed", wall_seconds=0.1)], 2.0)
    assert "done          1       3.0      0.5" in table and "skipped       1" in table and "1.5x real time" in table


@pytest.mark.slow
def test_same_lines_on_a_local_dask_cluster(lines):
    pytest.importorskip("torch")
    distributed = pytest.importorskip("distributed")
    tmp, m = lines
    batch.run_batch(str(m), options=batch.Options(recognizer="model", threads=1), output_dir=str(tmp / "local"))
    cm = tmp / "cluster.csv"
    cm.write_text(m.read_text().replace("cues/", "ccues/"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        proc = lipsync("batch", str(cm), *ARGS, "--scheduler", cl.scheduler_address, "-o", str(tmp / "cl"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "line 3 (broken.wav) failed: Could not read broken.wav" in proc.stderr
    assert "done          3" in proc.stderr
    for a, b in [("cues/l0.json", "ccues/l0.json"), ("cues/l1.tsv", "ccues/l1.tsv"), ("local/l2.json", "cl/l2.json")]:
        assert (tmp / a).read_text() == (tmp / b).read_text()  # the same result on the cluster


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers")
def test_killed_worker_fails_only_its_lines_and_leaves_no_partial_file(lines):
    pytest.importorskip("pocketsphinx")
    tmp, m = lines
    x, sr = sf.read(WAV, dtype="float32")
    sf.write(tmp / "fr" / "long.wav", np.tile(x, 3), sr)  # half a minute: still running when the kill comes
    m.write_text("audio,output\nfr/long.wav,cues/long.json\n" + "".join(
        f"fr/l{i}.wav,cues/l{i}.json\n" for i in range(3)))
    proc = subprocess.Popen([sys.executable, "-m", "lipsync", "batch", str(m), "--recognizer", "pocketsphinx",
                             "--workers", "2"], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and not (tmp / "cues" / "l2.json").exists() \
            and not (tmp / "cues" / "l0.json").exists():
        time.sleep(0.2)
    killed = _children(proc.pid)
    assert killed, "no worker processes found"
    for pid in killed:  # every worker, mid-line: the long line is certainly one of theirs
        os.kill(pid, signal.SIGKILL)
    err = proc.communicate(timeout=600)[1]
    assert proc.returncode == 1, err
    assert "line 2 (long.wav) failed: the worker running it stopped (killed by signal 9)" in err
    assert "Traceback" not in err
    assert not (tmp / "cues" / "long.json").exists()
    assert not [f for f in os.listdir(tmp / "cues") if f.startswith(".")]  # no partial / temporary file
    for f in os.listdir(tmp / "cues"):
        json.loads((tmp / "cues" / f).read_text())  # whatever was written is complete
    again = batch.run_batch(str(m), options=batch.Options(recognizer="pocketsphinx"))  # the same command, resumed
    assert {r.row: r.status for r in again}[2] == "done" and all(r.status != "failed" for r in again)
    assert json.loads((tmp / "cues" / "long.json").read_text())["mouthCues"]


@pytest.mark.bpy
@pytest.mark.slow
def test_scene_lines_write_animated_copies(tmp_path):
    pytest.importorskip("bpy")
    cut(WAV, tmp_path / "a.wav", 0, 4)
    (tmp_path / "broken.blend").write_bytes(open(SCENE, "rb").read()[:20000])  # truncated
    m = tmp_path / "scenes.csv"
    m.write_text("audio,blend,object,output\n"
                 f"a.wav,{SCENE},CartoonHead,shots/a.blend\n"
                 "a.wav,broken.blend,CartoonHead,shots/b.blend\n"
                 f"a.wav,{SCENE},NoSuchHead,shots/c.blend\n")
    proc = lipsync("batch", str(m), "--recognizer", "pocketsphinx", "--lead-frames", "2")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert os.path.isfile(tmp_path / "shots" / "a.blend")
    assert "line 3 (a.wav) failed: Could not open broken.blend as a Blender scene" in proc.stderr
    assert "line 4 (a.wav) failed: No object called 'NoSuchHead'" in proc.stderr
    assert sorted(os.listdir(tmp_path / "shots")) == ["a.blend"]
    check = subprocess.run([sys.executable, "-c", (
        "import bpy, sys; bpy.ops.wm.open_mainfile(filepath=sys.argv[1]); "
        "o = bpy.data.objects['CartoonHead']; ad = o.data.shape_keys.animation_data; "
        "print('TAKE', ad.action.name)"),
        str(tmp_path / "shots" / "a.blend")], capture_output=True, text=True, timeout=120)
    assert "TAKE" in check.stdout, check.stderr[-2000:]
    assert check.stdout.split("TAKE")[1].strip()  # a take (action) on the character's shape keys


def test_language_per_line_reaches_the_g2p_and_the_speech_model(tmp_path):
    """A French and a Russian line (espeak-ng speaks them) with their scripts, and a French line without one: the
    scripts are read in each line's language (bilabials close the mouth), and the unscripted French line says the
    embedded speech model is English-only and falls back to the model's phones."""
    pytest.importorskip("torch")
    from lipsync.training.synth import espeak

    espeak.use_bundled(True)
    rows = ["audio,transcript,language,output"]
    for name, voice, lang, text in [("fr", "fr", "fra", "Une bonne pomme pour papa"),
                                    ("ru", "ru", "rus", "Мама мыла раму"),
                                    ("fr2", "fr", "fra", "")]:
        x, _segs = espeak.synthesize(text or "Bonjour maman", voice)
        sf.write(tmp_path / f"{name}.wav", x, 16000)
        if text:
            (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
        rows.append(f"{name}.wav,{name + '.txt' if text else ''},{lang},{name}.tsv")
    m = tmp_path / "lines.csv"
    m.write_text("\n".join(rows) + "\n", encoding="utf-8")
    results = batch.run_batch(str(m), options=batch.Options(recognizer="auto", threads=1), default_format="tsv")
    by = {os.path.basename(r.output): r for r in results}
    assert all(r.status == "done" for r in results), [(r.output, r.reason) for r in results]
    for name in ("fr", "ru"):
        shapes = [ln.split("\t")[1] for ln in (tmp_path / f"{name}.tsv").read_text().splitlines() if ln.strip()]
        assert shapes.count("A") >= 3, shapes  # p b m m / m m m: closed mouths from the script's phones
    assert any("English-only" in w for w in by["fr2.tsv"].warnings), by["fr2.tsv"].warnings
