"""The command line in-process (``cli.main``): options, outputs, messages and exit statuses, fast.

test_cli.py runs the real command as a subprocess; these call ``main(argv)`` with short clips, and stand-ins
for the Blender side (``addon.headless``), so every branch is checked in a second or two.
"""
import json
import os
import sys
import types

import numpy as np
import pytest
import soundfile as sf

from lipsync import cli
from lipsync.errors import LipSyncError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAV = os.path.join(ROOT, "sample_scenes", "dialogue.wav")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Two short clips of the sample ("Mom, maybe bring the big blue map." is in the first 2.3 s), with scripts."""
    d = tmp_path_factory.mktemp("clips")
    x, sr = sf.read(WAV, dtype="float32")
    sf.write(d / "one.wav", x[: int(2.3 * sr)], sr)
    sf.write(d / "two.wav", x[: int(1.2 * sr)], sr)
    (d / "one.txt").write_text("Mom, maybe bring the big blue map.", encoding="utf-8")
    return d


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_no_command_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        cli.main(["analyze", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for word in ("--transcript", "--format", "--recognizer", "--language", "rhubarb-json", "pocketsphinx", "fused"):
        assert word in out


def test_analyze_to_stdout_and_file(capsys, clips, tmp_path):
    code, out, err = run(capsys, "analyze", str(clips / "one.wav"), "--recognizer", "pocketsphinx")
    assert code == 0 and err == ""  # stdout holds the cues, nothing else is said
    doc = json.loads(out)
    assert doc["metadata"]["soundFile"] == str(clips / "one.wav") and doc["metadata"]["duration"] == 2.3
    target = tmp_path / "deep" / "cues.tsv"  # folders are made
    code, out, err = run(capsys, "analyze", str(clips / "one.wav"), "--recognizer", "pocketsphinx", "--format", "tsv",
                         "--transcript", str(clips / "one.txt"), "-o", str(target))
    assert code == 0 and out == "" and target.read_text().splitlines()[-1] == "2.30\tX"
    assert err.startswith(f"{clips / 'one.wav'}: 2.30 s of audio in ") and "(pocketsphinx, transcript) ->" in err
    code, out, err = run(capsys, "analyze", str(clips / "one.wav"), "--recognizer", "pocketsphinx", "-q",
                         "-o", str(tmp_path / "q.json"))
    assert code == 0 and err == "" and (tmp_path / "q.json").exists()


def test_analyze_many_into_a_folder_with_auto_transcripts(capsys, clips, tmp_path):
    out_dir = tmp_path / "cues"
    code, out, err = run(capsys, "analyze", str(clips / "one.wav"), str(clips / "two.wav"), "--transcript", "auto",
                         "--recognizer", "pocketsphinx", "--format", "phones-tsv", "-o", str(out_dir))
    assert code == 0 and sorted(os.listdir(out_dir)) == ["one.phones.tsv", "two.phones.tsv"]
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "(pocketsphinx, transcript)" in lines[0] and "(pocketsphinx)" in lines[1]


def test_analyze_many_without_o_writes_here(capsys, clips, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, _ = run(capsys, "analyze", str(clips / "one.wav"), str(clips / "two.wav"), "--recognizer",
                     "pocketsphinx")
    assert code == 0 and sorted(os.listdir(tmp_path)) == ["one.json", "two.json"]


def test_analyze_usage_errors(capsys, clips, tmp_path):
    a_file = tmp_path / "x.json"
    a_file.write_text("{}")
    code, _, err = run(capsys, "analyze", str(clips / "one.wav"), str(clips / "two.wav"), "-o", str(a_file))
    assert code == 2 and err == f"lipsync: error: -o {a_file} is a file; with several inputs -o names a folder.\n"
    code, _, err = run(capsys, "analyze", str(clips / "one.wav"), str(clips / "two.wav"),
                       "--transcript", str(clips / "one.txt"))
    assert code == 2 and "--transcript FILE takes one audio file" in err
    code, _, err = run(capsys, "analyze", str(clips / "one.wav"), "--recognizer", "allosaurus", "--language", "eng")
    assert code == 2 and err.startswith("lipsync: error:") and "allosaurus" in err


def test_a_bad_file_in_a_batch_is_named_and_the_rest_done(capsys, clips, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio" * 40)
    out_dir = tmp_path / "o"
    code, _, err = run(capsys, "analyze", str(bad), str(clips / "two.wav"), "--recognizer", "pocketsphinx",
                       "-o", str(out_dir))
    assert code == 2 and os.listdir(out_dir) == ["two.json"]
    assert err.splitlines()[0].startswith(f"lipsync: error: {bad}: Could not read bad.wav")


def test_warnings_are_printed_per_file(capsys, clips):
    code, _, err = run(capsys, "analyze", str(clips / "two.wav"), "--recognizer", "pocketsphinx", "--transcript",
                       "the quick brown fox jumps over the lazy dog again and again", "-q")
    assert code == 0 and f"lipsync: warning: {clips / 'two.wav'}:" in err


@pytest.fixture
def audio_here(tmp_path, monkeypatch):
    """animate checks its --audio file exists before starting Blender: run in a folder holding a.wav."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    return tmp_path


def _fake_headless(monkeypatch, calls, review=()):
    import tempfile

    here = tempfile.mkdtemp()  # the command checks that the audio exists before any (faked) Blender work
    open(os.path.join(here, "a.wav"), "wb").close()
    monkeypatch.chdir(here)
    fake = types.ModuleType("lipsync.addon.headless")

    def animate_file(blend, audio, obj, out, **kw):
        calls.append(("animate", blend, audio, obj, out, kw))
        return {"object": obj, "take": "dialogue", "n_keys": 12, "review_threshold": 0.5,
                "review": [dict(r) for r in review]}

    def preview_file(blend, out, **kw):
        calls.append(("preview", blend, out, kw))
        return "/abs/" + os.path.basename(out)

    fake.animate_file, fake.preview_file = animate_file, preview_file
    monkeypatch.setitem(sys.modules, "lipsync.addon.headless", fake)


def test_animate_passes_only_the_controls_given(capsys, monkeypatch, clips, audio_here):
    calls = []
    _fake_headless(monkeypatch, calls)
    code, _, err = run(capsys, "animate", "s.blend", "--audio", "a.wav", "--object", "Head", "-o", "o.blend",
                       "--lead-frames", "2", "--no-ensure-closure", "--interpolation", "CONSTANT",
                       "--transcript", str(clips / "one.txt"), "--review-threshold", "0.3")
    assert code == 0
    _, blend, audio, obj, out, kw = calls[0]
    assert (blend, audio, obj, out) == ("s.blend", "a.wav", "Head", "o.blend")
    assert kw["setting_overrides"] == {"lead_frames": 2.0, "ensure_closure": False, "interpolation": "CONSTANT"}
    assert kw["transcript"] == "Mom, maybe bring the big blue map." and kw["recognizer"] == "auto"
    assert kw["review_threshold"] == 0.3
    assert "object: Head\n" in err and "take: dialogue\n" in err and "review: no stretch needs review" in err


def test_animate_lists_review_stretches(capsys, monkeypatch, audio_here):
    calls = []
    _fake_headless(monkeypatch, calls, review=[{"frame_start": 10, "frame_end": 14, "label": "map (0.31)"}])
    code, _, err = run(capsys, "animate", "s.blend", "--audio", "a.wav", "--object", "Head", "-o", "o.blend")
    assert code == 0 and calls[0][5]["setting_overrides"] == {}
    assert "review: 1 stretch(es) below confidence 0.5:\n  frames 10-14: map (0.31)\n" in err


@pytest.mark.parametrize("opt,value", [("--intensity", "9"), ("--step", "0"), ("--interpolation", "WOBBLY"),
                                        ("--smoothing", "-1")])
def test_animate_rejects_bad_controls_before_any_work(capsys, monkeypatch, opt, value, audio_here):
    calls = []
    _fake_headless(monkeypatch, calls)
    code, _, err = run(capsys, "animate", "s.blend", "--audio", "a.wav", "--object", "H", "-o", "o.blend", opt, value)
    assert code == 2 and calls == [] and err.startswith("lipsync: error:") and len(err.splitlines()) == 1


def test_animate_names_a_missing_audio_file_before_starting_blender(capsys, monkeypatch, tmp_path):
    calls = []
    _fake_headless(monkeypatch, calls)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "animate", "s.blend", "--audio", "gone.wav", "--object", "H", "-o", "o.blend")
    assert code == 2 and calls == []
    assert err == f"lipsync: error: Audio file not found: {tmp_path / 'gone.wav'}. Check the path.\n"


def test_preview_frames_and_resolution(capsys, monkeypatch):
    calls = []
    _fake_headless(monkeypatch, calls)
    code, _, err = run(capsys, "preview", "s.blend", "-o", "p.mp4", "--frames", "5-40", "--resolution", "25",
                       "--engine", "EEVEE")
    assert code == 0 and err == "preview: /abs/p.mp4\n"
    assert calls[0][3] == {"engine": "EEVEE", "scale": 25, "frame_range": (5, 40), "burn_in": True, "stats": {}}
    code, _, _ = run(capsys, "preview", "s.blend", "-o", "p.mp4", "--no-burn-in")
    assert code == 0 and calls[1][3] == {"engine": "AUTO", "scale": 50, "frame_range": None, "burn_in": False,
                                         "stats": {}}
    code, _, err = run(capsys, "preview", "s.blend", "-o", "p.mp4", "--frames", "five")
    assert code == 2 and "--frames 'five': give FIRST-LAST" in err and len(calls) == 2


def test_errors_from_the_blender_side_are_one_line(capsys, monkeypatch, audio_here):
    fake = types.ModuleType("lipsync.addon.headless")

    def animate_file(*a, **kw):
        raise LipSyncError("No object called 'Hed' in s.blend. Meshes and armatures there: Head.")

    fake.animate_file = animate_file
    monkeypatch.setitem(sys.modules, "lipsync.addon.headless", fake)
    _fake_headless(monkeypatch, [])  # a folder with a.wav (the command checks the audio first)
    monkeypatch.setitem(sys.modules, "lipsync.addon.headless", fake)
    code, _, err = run(capsys, "animate", "s.blend", "--audio", "a.wav", "--object", "Hed", "-o", "o.blend")
    assert code == 2 and err == "lipsync: error: No object called 'Hed' in s.blend. Meshes and armatures there: Head.\n"


def test_interrupt_exits_130(capsys, monkeypatch):
    def stop(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_preview", stop)
    parser = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _with_func(parser(), "preview", stop))
    code, _, err = run(capsys, "preview", "s.blend", "-o", "p.mp4")
    assert code == 130 and err == "lipsync: interrupted\n"


def _with_func(parser, name, fn):
    sub = next(a for a in parser._actions if a.dest == "command").choices
    sub[name].set_defaults(func=fn)
    return parser


def test_models_list_and_download_messages(capsys, monkeypatch, tmp_path):
    code, out, _ = run(capsys, "models", "list")
    names = [ln.split()[0] for ln in out.splitlines() if not ln.startswith(" ")]
    assert code == 0 and names[:5] == ["auto", "model", "pocketsphinx", "allosaurus", "fused"]
    assert out.splitlines()[2].split(None, 1)[1].startswith("ready")
    with pytest.raises(SystemExit) as e:  # the model ships with Lip Sync: nothing to download
        cli.main(["models", "download", "model"])
    assert e.value.code == 2 and "invalid choice: 'model'" in capsys.readouterr().err
    from lipsync.phonemes.recognizers import allosaurus

    asked = []
    monkeypatch.setattr(allosaurus, "download_model", lambda name, sha256=None: asked.append(sha256) or tmp_path / name)
    code, out, _ = run(capsys, "models", "download", "allosaurus", "--name", "eng2102")
    assert code == 0 and out == f"allosaurus model eng2102 is in {tmp_path / 'eng2102'} (SHA-256 checked)\n"
    code, _, _ = run(capsys, "models", "download", "allosaurus", "--name", "eng2102", "--sha256", "ab12")
    assert code == 0 and asked == [None, "ab12"]  # a sum given on the command line reaches the download


def test_silence_gives_one_rest_cue(capsys, tmp_path):
    p = tmp_path / "quiet.wav"
    sf.write(p, np.zeros(16000, np.float32), 16000)
    code, out, _ = run(capsys, "analyze", str(p), "--recognizer", "pocketsphinx", "--format", "tsv")
    assert code == 0 and out == "0.00\tX\n1.00\tX\n"
