"""`lipsync transcribe` in-process with a stand-in speech model: files written, kept, forced, messages, status."""
import os

import numpy as np
import pytest
import soundfile as sf

from lipsync import cli
from lipsync.phonemes import words as words_mod
from lipsync.phonemes.types import TimedWord, Transcript


class _Model:
    name = "stand-in.en"


class _Transcriber:
    """Hears "hello there" in every clip longer than 0.5 s, nothing in shorter ones; a warning on the first."""

    made: list = []

    def __init__(self, model=None, language="eng"):
        self.model, self.language = _Model(), language
        _Transcriber.made.append((model, language))

    def transcribe_many(self, audios, progress=None, cancel=None, done=None):
        out = []
        for k, a in enumerate(audios):
            ws = [TimedWord(0.1, 0.3, "hello"), TimedWord(0.3, 0.5, "there")] if a.duration > 0.5 else []
            out.append(Transcript(ws, a.duration, "fra" if self.language == "auto" else "eng", "stand-in",
                                  warnings=["music under the voice"] if k == 0 else [], source=a.source))
        return out


@pytest.fixture()
def clips(tmp_path, monkeypatch):
    monkeypatch.setattr(words_mod, "Transcriber", _Transcriber)
    _Transcriber.made = []
    sr = 16000
    rng = np.random.default_rng(0)
    sf.write(tmp_path / "a.wav", (0.1 * rng.normal(size=sr)).astype(np.float32), sr)
    sf.write(tmp_path / "quiet.wav", np.zeros(sr // 4, np.float32), sr)
    return tmp_path


def test_transcribe_writes_text_beside_each_file_and_reports(clips, capsys):
    a, q = str(clips / "a.wav"), str(clips / "quiet.wav")
    assert cli.main(["transcribe", a, q, "--speech-model", "tiny.en"]) == 0
    assert open(clips / "a.txt", encoding="utf-8").read().strip() == "hello there"
    assert open(clips / "quiet.txt", encoding="utf-8").read() == ""
    assert _Transcriber.made == [("tiny.en", "eng")]
    err = capsys.readouterr().err.splitlines()
    assert f"lipsync: warning: {a}: music under the voice" in err
    assert f"{a}: 2 words (stand-in.en) -> {clips / 'a.txt'}" in err
    assert f"{q}: 0 words (stand-in.en) -> {clips / 'quiet.txt'} (no speech heard: empty)" in err


def test_an_existing_text_is_kept_unless_forced(clips, capsys):
    a = str(clips / "a.wav")
    (clips / "a.txt").write_text("Hello there, corrected.", encoding="utf-8")
    assert cli.main(["transcribe", a, "-q"]) == cli.EXIT_BAD_INPUT
    assert (clips / "a.txt").read_text(encoding="utf-8") == "Hello there, corrected."
    err = capsys.readouterr().err
    assert err == (f"lipsync: error: {a}: {clips / 'a.txt'} exists (perhaps a corrected transcript); it is kept. "
                   "Use --force to replace it, or -o DIR to write elsewhere.\n")
    assert cli.main(["transcribe", a, "-q", "--force"]) == 0
    assert (clips / "a.txt").read_text(encoding="utf-8").strip() == "hello there"
    assert "words" not in capsys.readouterr().err  # --quiet: no progress line


def test_output_folder_language_auto_and_bad_files(clips, tmp_path, capsys):
    out = clips / "texts"
    a = str(clips / "a.wav")
    missing = str(clips / "gone.wav")
    assert cli.main(["transcribe", a, missing, "-o", str(out), "--language", "auto"]) == cli.EXIT_BAD_INPUT
    assert (out / "a.txt").read_text(encoding="utf-8").strip() == "hello there"
    assert not os.path.exists(clips / "a.txt") and not os.path.exists(out / "gone.txt")
    err = capsys.readouterr().err.splitlines()
    assert f"{a}: 2 words (stand-in.en, fra) -> {out / 'a.txt'}" in err
    assert any(line.startswith(f"lipsync: error: {missing}: Audio file not found") for line in err)
    f = clips / "afile"
    f.write_text("x")
    assert cli.main(["transcribe", a, "-o", str(f)]) == cli.EXIT_BAD_INPUT
    assert f"-o {f} is a file; -o names the folder the .txt files go into." in capsys.readouterr().err
