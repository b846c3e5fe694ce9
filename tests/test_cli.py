"""The lipsync command line, run as a user runs it (a subprocess)."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAV = os.path.join(ROOT, "sample_scenes", "dialogue.wav")
TXT = os.path.join(ROOT, "sample_scenes", "dialogue.txt")


def lipsync(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "lipsync", *args], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"lipsync {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def check_rhubarb(doc, duration):
    assert set(doc) == {"metadata", "mouthCues"}
    assert set(doc["metadata"]) == {"soundFile", "duration"}
    assert abs(doc["metadata"]["duration"] - duration) <= 0.01
    cues = doc["mouthCues"]
    assert cues[0]["start"] == 0.0
    assert abs(cues[-1]["end"] - duration) <= 0.01
    for a, b in zip(cues, cues[1:]):
        assert a["end"] == b["start"], "cues must be contiguous"
    for c in cues:
        assert set(c) == {"start", "end", "value"}
        assert c["value"] in "ABCDEFGHX" and len(c["value"]) == 1
        assert c["end"] > c["start"]
    return cues


@pytest.mark.parametrize("cmd", [[], ["analyze"], ["animate"], ["preview"], ["models"], ["transcribe"]])
def test_help(cmd):
    out = lipsync(*cmd, "--help").stdout
    assert "usage: lipsync" in out


def test_analyze_sample_with_transcript(tmp_path):
    out = tmp_path / "cues.json"
    lipsync("analyze", WAV, "--transcript", TXT, "--recognizer", "pocketsphinx", "-o", str(out))
    doc = json.loads(out.read_text())
    dur = sf.info(WAV).duration
    cues = check_rhubarb(doc, dur)
    assert doc["metadata"]["soundFile"].endswith("dialogue.wav")
    shapes = {c["value"] for c in cues}
    assert {"A", "X"} <= shapes and len(shapes) >= 6
    # closed lips (A) at the sample's M/B/P, from the synthesiser's own phone timings
    mbp = [tuple(map(float, l.split("\t")[:2])) for l in open(WAV.replace(".wav", ".phones.tsv"))
           if l.split("\t")[2].strip() in ("m", "b", "p")]
    hit = sum(any(c["value"] == "A" and c["start"] < e + 0.02 and c["end"] > s - 0.02 for c in cues) for s, e in mbp)
    assert hit / len(mbp) >= 0.9


def test_batch_with_auto_transcripts(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("one", "two"):
        shutil.copy(WAV, src / f"{name}.wav")
    shutil.copy(TXT, src / "one.txt")  # two.wav has no transcript: recognised freely
    out = tmp_path / "cues"
    lipsync("analyze", str(src / "one.wav"), str(src / "two.wav"), "--transcript", "auto",
            "--recognizer", "pocketsphinx", "--format", "textgrid", "-o", str(out))
    assert sorted(os.listdir(out)) == ["one.TextGrid", "two.TextGrid"]
    from lipsync.phonemes.formats import load

    one, _ = load(str(out / "one.TextGrid"))
    two, _ = load(str(out / "two.TextGrid"))
    assert one.phones[0].start == 0.0 and abs(one.phones[-1].end - sf.info(WAV).duration) < 0.02
    # one.wav was aligned to one.txt: its words are the script's, in order; two.wav had no script
    script = [w.strip(",.!?").lower() for w in open(TXT, encoding="utf-8").read().split()]
    assert [w.text.lower() for w in one.words] == script
    assert not two.words


def test_silence_rests(tmp_path):
    p = tmp_path / "silence.wav"
    sf.write(p, np.zeros(3 * 22050, np.float32), 22050)
    proc = lipsync("analyze", str(p))
    cues = check_rhubarb(json.loads(proc.stdout), 3.0)
    assert [c["value"] for c in cues] == ["X"]


@pytest.mark.parametrize("content", [b"", b"RIFF\x10\x00\x00\x00WAVEfmt nonsense" * 20])
def test_bad_audio_is_one_clear_line(tmp_path, content):
    p = tmp_path / "broken.wav"
    p.write_bytes(content)
    proc = lipsync("analyze", str(p), check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "broken.wav" in proc.stderr and "error" in proc.stderr


def test_missing_file_and_empty_transcript(tmp_path):
    proc = lipsync("analyze", str(tmp_path / "nope.wav"), check=False)
    assert proc.returncode == 2 and "not found" in proc.stderr and "Traceback" not in proc.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    proc = lipsync("analyze", WAV, "--transcript", str(empty), check=False)
    assert proc.returncode == 2 and "empty" in proc.stderr and "Traceback" not in proc.stderr


def test_batch_keeps_going_after_a_bad_file(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 50)
    out = tmp_path / "o"
    proc = lipsync("analyze", str(bad), WAV, "--recognizer", "pocketsphinx", "-o", str(out), check=False)
    assert proc.returncode == 2
    assert os.listdir(out) == ["dialogue.json"]


@pytest.mark.parametrize("args,says", [
    (["--transcript", "hello there", "--language", "xyz"], "unknown language 'xyz'"),  # G2PError
    (["--transcript", " ".join(["supercalifragilistic"] * 200)], "transcript is much longer than the audio"),  # AlignmentError
])
def test_every_error_of_the_family_is_one_line(tmp_path, args, says):
    """Errors raised deep in the pipeline (text -> phones, alignment) reach the user as one line, exit 2."""
    short = tmp_path / "short.wav"
    x, sr = sf.read(WAV, dtype="float32")
    sf.write(short, x[: sr // 2], sr)
    proc = lipsync("analyze", str(short), "--recognizer", "model", *args, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_animate_and_preview_end_to_end(tmp_path):
    """The Generate button and the preview, headless, on a sample rig: a new take in a copy of the .blend (the
    input is not touched), then a short H.264 + AAC playblast of it."""
    import hashlib

    src = os.path.join(ROOT, "sample_scenes", "cartoon_head.blend")
    digest = hashlib.sha256(open(src, "rb").read()).hexdigest()
    out = tmp_path / "animated.blend"
    proc = lipsync("animate", src, "--audio", WAV, "--object", "CartoonHead", "--transcript", TXT,
                   "--recognizer", "pocketsphinx", "--lead-frames", "2", "-o", str(out))
    assert out.exists() and hashlib.sha256(open(src, "rb").read()).hexdigest() == digest
    info = dict(line.split(": ", 1) for line in proc.stderr.splitlines() if ": " in line and not line.startswith(" "))
    assert info["object"] == "CartoonHead" and int(info["n_keys"]) > 100 and info["recognizer"] == "pocketsphinx"
    check = subprocess.run([sys.executable, "-c", (
        "import bpy, json, sys; bpy.ops.wm.open_mainfile(filepath=sys.argv[-1]); "
        "o = bpy.data.objects['CartoonHead']; ad = o.data.shape_keys.animation_data; "
        "print('R' + json.dumps([ad.action.name, ad.action.get('lipsync_take'), "
        "ad.action.get('lipsync_settings', '')]))"), str(out)], capture_output=True, text=True, timeout=120)
    take, owner, settings = json.loads(next(ln for ln in check.stdout.splitlines() if ln.startswith("R"))[1:])
    assert owner == "CartoonHead" and take == info["take"] and "'lead_frames': 2.0" in settings
    mp4 = tmp_path / "p.mp4"
    lipsync("preview", str(out), "-o", str(mp4), "--frames", "20-31", "--resolution", "20")
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,nb_frames", "-of", "json",
                            str(mp4)], capture_output=True, text=True)
    streams = json.loads(probe.stdout)["streams"]
    assert {s["codec_name"] for s in streams} == {"h264", "aac"}
    assert [int(s["nb_frames"]) for s in streams if s["codec_name"] == "h264"] == [12]
    bad = lipsync("preview", str(out), "-o", str(mp4), "--frames", "31-20", check=False)
    assert bad.returncode == 2 and "reversed" in bad.stderr and "Traceback" not in bad.stderr


def test_transcribe_then_analyze_with_the_words(tmp_path):
    """`lipsync transcribe` writes NAME.txt (never over an existing one); analyze without a transcript uses the
    words (recogniser auto; `--recognizer model` staying the model-only path is in tests/phonemes/test_words.py)."""
    from lipsync.phonemes import speech_models

    if not speech_models.status()[0]:
        pytest.skip("no speech model installed")
    a, b = tmp_path / "line1.wav", tmp_path / "line2.wav"
    shutil.copy(WAV, a)
    shutil.copy(WAV, b)
    (tmp_path / "line2.txt").write_text("my corrected words")
    proc = lipsync("transcribe", str(a), str(b), check=False)
    assert proc.returncode == 2 and "line2.txt exists" in proc.stderr and "--force" in proc.stderr
    assert (tmp_path / "line2.txt").read_text() == "my corrected words"
    words = (tmp_path / "line1.txt").read_text().lower()
    assert "bring the big blue map" in words and "supper" in words
    lipsync("transcribe", str(a), "-o", str(tmp_path / "txt"))
    assert (tmp_path / "txt" / "line1.txt").read_text() == (tmp_path / "line1.txt").read_text()
    (tmp_path / "line1.txt").unlink()
    (tmp_path / "line2.txt").unlink()
    proc = lipsync("analyze", str(a), str(b), "-o", str(tmp_path / "cues"))
    assert proc.stderr.count("words by tiny.en") == 2
    check_rhubarb(json.loads((tmp_path / "cues" / "line1.json").read_text()), sf.info(WAV).duration)
