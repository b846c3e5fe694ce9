"""The pipeline's own logic, stage by stage, with recognisers written here that record what they were given
(fast: no model, no pocketsphinx). tests/test_pipeline.py runs the real recognisers on the sample."""
import numpy as np
import pytest

from lipsync import pipeline
from lipsync.errors import AudioError, Cancelled, RecognizerError, TranscriptError
from lipsync.phonemes import speech_models, words
from lipsync.phonemes.audio import ArraySource
from lipsync.phonemes.recognizers.base import PosteriorRecognizer, Recognizer
from lipsync.phonemes.types import SIL, Audio, FramePosteriors, PhoneTrack, TimedPhone, TimedWord, Transcript

SR = 16000


def clip(seconds=1.0, source="clip.wav"):
    """Silence, then a 200 Hz tone from 0.5 s on."""
    x = np.zeros(int(SR * seconds), np.float32)
    x[SR // 2:] = 0.3 * np.sin(np.arange(len(x) - SR // 2) * 2 * np.pi * 200 / SR)
    return Audio(x, SR, source)


class Fixed(Recognizer):
    """Always the same phones: /m/ from 0.5 to 0.7 s, /a/ to 0.9 s, rest around; records its calls."""

    name = "fixed"

    def __init__(self):
        self.calls = []

    def recognize(self, audio, transcript=None, language="eng"):
        self.calls.append((audio, transcript, language))
        d = audio.duration
        return PhoneTrack([TimedPhone(0.0, 0.5, SIL), TimedPhone(0.5, 0.7, "m", 0.8, "ma"),
                           TimedPhone(0.7, 0.9, "a", 0.9, "ma"), TimedPhone(0.9, d, SIL)], d,
                          words=[TimedWord(0.5, 0.9, "ma")], language=language)


class WithPosteriors(PosteriorRecognizer):
    """Frame posteriors with one mouth control that counts frames; decoding returns Fixed's phones."""

    name = "posteriors"

    def __init__(self):
        self.calls = []

    def posteriors(self, audio):
        t = int(round(audio.duration / 0.01))
        return FramePosteriors([SIL, "m", "a"], np.zeros((t, 3), np.float32),
                               controls=np.arange(t, dtype=np.float32)[:, None] / t, control_names=("jaw_open",))

    def recognize_posteriors(self, post, transcript=None, language="eng", duration=None):
        self.calls.append((post.n_frames, transcript, language, duration))
        return Fixed().recognize(Audio(np.zeros(int(round(duration * SR)), np.float32), SR), transcript, language)

    def align_words(self, *a, **k):
        raise AssertionError("not used here")


class Hears:
    """A speech recogniser that hears "ma" at 0.5 .. 0.9 s (or fails); reports progress halfway."""

    def __init__(self, fail=False):
        self.fail = fail

    def transcribe(self, audio, progress=None, cancel=None):
        progress(0.5, "Hearing")
        if self.fail:
            raise RecognizerError("the speech model is damaged")
        return Transcript([TimedWord(0.5, 0.9, "ma")], audio.duration, speech=[(0.5, 1.0)])


def run(audio, **kw):
    seen = []
    a = pipeline.analyze(audio, progress=lambda f, m: seen.append((f, m)), **kw)
    return a, seen


def test_a_recogniser_with_a_transcript(monkeypatch):
    rec = Fixed()
    audio = clip()
    a, seen = run(audio, transcript="ma", recognizer=rec, language="deu")
    assert rec.calls == [(audio, "ma", "deu")]
    assert seen == [(0.0, "Loading audio"), (0.1, "Loading recogniser"), (0.2, "Finding phones (fixed)"),
                    (0.85, "Choosing mouth shapes"), (1.0, "Done")]
    assert a.audio is audio and a.duration == 1.0 and a.recognizer == "fixed" and a.heard is None
    assert [(c.start, c.end, c.viseme) for c in a.visemes.cues][1:3] == [(0.5, 0.7, "A"), (0.7, 0.9, "D")]
    assert a.visemes.source == "clip.wav" and a.visemes.controls is None and a.visemes.control_names == ()
    assert set(a.timings) == {"load_s", "recognizer_load_s", "recognize_s", "total_s"}
    assert all(v >= 0 for v in a.timings.values()) and a.timings["total_s"] >= a.timings["recognize_s"]
    # loudness: 100 frames, silent in the first half, about 1 in the tone
    assert len(a.loudness) == 100 and a.loudness[:45].max() == 0.0 and a.loudness[55:].min() > 0.9
    assert a.phones.warnings == []


def test_a_posterior_recogniser_keeps_its_mouth_controls():
    rec = WithPosteriors()
    a, seen = run(clip(), transcript="ma", recognizer=rec)
    assert rec.calls == [(100, "ma", "eng", 1.0)]
    assert (0.6, "Decoding") in seen and seen.index((0.6, "Decoding")) == 3
    assert a.visemes.control_names == ("jaw_open",) and a.visemes.controls.shape == (100, 1)
    assert a.visemes.controls[50, 0] == pytest.approx(0.5)


def test_no_transcript_rests_outside_the_speech_that_was_heard(monkeypatch):
    monkeypatch.setattr(words, "vad_available", lambda: True)
    monkeypatch.setattr(words, "speech_regions", lambda audio: [(0.6, 1.0)])
    rec = Fixed()
    a, _ = run(clip(), recognizer=rec, words=False)
    assert rec.calls[0][1] is None
    # the /m/ before 0.6 s is rest now: voice-activity detection heard nothing there
    assert [(p.start, p.end, p.phone) for p in a.phones.phones][:3] == [(0.0, 0.6, SIL), (0.6, 0.7, "m"),
                                                                         (0.7, 0.9, "a")]
    monkeypatch.setattr(words, "vad_available", lambda: False)
    b, _ = run(clip(), recognizer=Fixed(), words=False)
    assert [(p.start, p.phone) for p in b.phones.phones][:2] == [(0.0, SIL), (0.5, "m")]  # no VAD: as recognised


def test_a_long_in_memory_clip_is_read_window_by_window(monkeypatch):
    monkeypatch.setattr(words, "vad_available", lambda: False)
    audio = clip(5.0)
    a, seen = run(audio, transcript=None, recognizer=Fixed(), words=False, chunk_seconds=2.0, overlap_seconds=1.0)
    assert isinstance(a.audio, ArraySource) and a.timings["windows"] >= 2
    assert any(m.startswith("Finding phones (fixed), ") for _, m in seen)
    assert len(a.loudness) == 500 and a.loudness[:45].max() == 0.0 and a.loudness[60:].min() > 0.9
    short, _ = run(audio, recognizer=Fixed(), words=False, chunk_seconds=3.0, overlap_seconds=2.0)
    assert short.audio is audio and "windows" not in short.timings  # 5 s is not longer than 3 + 2


def test_words_heard_are_aligned_like_a_script(monkeypatch):
    heard = Transcript([TimedWord(0.5, 0.9, "ma")], 1.0, language="fra", speech=[(0.55, 1.0)],
                       warnings=["heard faintly"])
    rec = Fixed()
    a, seen = run(clip(), recognizer=rec, words=heard, language="auto")
    assert rec.calls[0][1:] == ("ma", "fra")  # the heard words as the script; their language detected
    assert a.heard is heard and "words_s" in a.timings
    assert seen[1] == (0.45, "Loading recogniser") and seen[2] == (0.5, "Finding phones (fixed)")
    assert a.phones.phones[0].phone == SIL and a.phones.phones[0].end == 0.55  # rest outside heard speech
    assert a.phones.warnings == ["heard faintly"]


def test_a_transcriber_hears_the_words_and_its_failure_is_a_note(monkeypatch):
    a, seen = run(clip(), recognizer=Fixed(), words=Hears())
    assert (0.25, "Hearing") in seen and a.heard.text == "ma"
    monkeypatch.setattr(words, "vad_available", lambda: False)
    b, _ = run(clip(), recognizer=Fixed(), words=Hears(fail=True))
    assert b.heard is None
    assert b.phones.warnings == ["no words from the audio (the speech model is damaged); the model's phones are used"]


def test_auto_language_without_words_is_english_and_says_so(monkeypatch):
    monkeypatch.setattr(words, "vad_available", lambda: False)
    rec = Fixed()
    a, _ = run(clip(), recognizer=rec, words=False, language="AUTO")
    assert rec.calls[0][2] == "eng"
    assert a.phones.warnings == ["the language was not detected (that needs a multilingual speech model with no "
                                 "transcript); English is assumed"]


def test_auto_recogniser_asks_for_a_speech_model(monkeypatch):
    asked = []
    monkeypatch.setattr(pipeline, "words_for", lambda lang, model, notes: asked.append((lang, model)) or None)
    monkeypatch.setattr(words, "vad_available", lambda: False)
    import lipsync.phonemes.recognizers as recs

    monkeypatch.setattr(recs, "get_recognizer", lambda name, language: Fixed())
    a, _ = run(clip(), language="deu", speech_model="tiny")
    assert asked == [("deu", "tiny")] and a.recognizer == "fixed"
    run(clip(), transcript="ma", language="deu")
    run(clip(), recognizer=Fixed(), language="deu")
    assert asked == [("deu", "tiny")]  # with a script, or a recogniser object: no speech model


def test_words_for_says_why_there_are_no_words(monkeypatch):
    monkeypatch.setattr(speech_models, "status", lambda: (False, "no speech model installed"))
    notes = []
    assert pipeline.words_for("eng", None, notes) is None and notes == []
    assert pipeline.words_for("eng", "tiny", notes) is None
    assert notes == ["no words from the audio: no speech model installed"]
    monkeypatch.setattr(speech_models, "status", lambda: (True, ""))

    def broken(model, language):
        raise RecognizerError("cannot load tiny")

    monkeypatch.setattr(words, "Transcriber", broken)
    notes = []
    assert pipeline.words_for("eng", "tiny", notes) is None
    assert notes == ["no words from the audio (cannot load tiny); the model's phones are used meanwhile"]
    monkeypatch.setattr(words, "Transcriber", lambda model, language: ("transcriber", model, language))
    assert pipeline.words_for("deu", "tiny") == ("transcriber", "tiny", "deu")


def test_cancel_and_bad_input():
    polls = []

    def cancel():
        polls.append(1)
        return len(polls) >= 3

    rec = Fixed()
    with pytest.raises(Cancelled) as e:
        pipeline.analyze(clip(), transcript="ma", recognizer=rec, cancel=cancel)
    assert str(e.value) == "Lip sync cancelled." and rec.calls == []  # before "Finding phones"
    with pytest.raises(AudioError) as e:
        pipeline.analyze(Audio(np.zeros(0, np.float32), SR, "empty.wav"), transcript="ma", recognizer=Fixed())
    assert str(e.value) == "empty.wav has no samples."
    with pytest.raises(AudioError) as e:
        pipeline.analyze(Audio(np.zeros(0, np.float32), SR), transcript="ma", recognizer=Fixed())
    assert str(e.value) == "The audio has no samples."
    with pytest.raises(TranscriptError) as e:
        pipeline.analyze(clip(), transcript=" \n", recognizer=Fixed())
    assert str(e.value) == "The transcript is empty. Type the spoken words, or leave the transcript out."


def test_a_file_is_read_whole_unless_long(tmp_path, monkeypatch):
    import soundfile as sf

    monkeypatch.setattr(words, "vad_available", lambda: False)
    p = tmp_path / "c.wav"
    sf.write(p, clip(3.0).samples, SR)
    a, _ = run(str(p), transcript="ma", recognizer=Fixed())
    assert isinstance(a.audio, Audio) and a.duration == 3.0 and a.visemes.source == str(p)
    b, _ = run(str(p), recognizer=Fixed(), words=False, chunk_seconds=1.0, overlap_seconds=0.5)
    assert not isinstance(b.audio, Audio) and b.timings["windows"] >= 2 and b.duration == 3.0
    c, _ = run(ArraySource(clip(3.0)), transcript="ma", recognizer=Fixed())
    assert isinstance(c.audio, Audio) and c.duration == 3.0


def test_read_transcript(tmp_path):
    assert pipeline.read_transcript(None) is None
    assert pipeline.read_transcript("hello there") == "hello there"
    f = tmp_path / "t.txt"
    f.write_bytes("\ufeff  Hello, caf\u00e9.\n\n".encode("utf-8"))
    assert pipeline.read_transcript(str(f)) == "Hello, caf\u00e9."
    assert pipeline.read_transcript(str(tmp_path)) == str(tmp_path)  # a folder is not a transcript file
    f.write_text(" \n")
    with pytest.raises(TranscriptError) as e:
        pipeline.read_transcript(str(f))
    assert str(e.value) == (f"The transcript file {f} is empty. Add the spoken words or leave the transcript out.")


def test_scale_loudness():
    assert pipeline.scale_loudness(np.zeros(0)).size == 0
    rms = np.array([0.0, 5e-5] + [0.1] * 18 + [0.2, 0.4], np.float32)
    # voiced frames (above 1e-4): eighteen 0.1, a 0.2 and a 0.4; their 95th percentile lies 0.95 * 19 = 18.05
    # places up the sorted list: 0.2 + 0.05 * (0.4 - 0.2)
    ref = 0.21
    out = pipeline.scale_loudness(rms)
    assert out.dtype == np.float32 and np.allclose(out, np.clip(rms / ref, 0, 1), atol=1e-6)
    assert out[-1] == 1.0 and out[2] == pytest.approx(0.1 / ref)
    assert not pipeline.scale_loudness(np.full(5, 5e-5, np.float32)).any()  # nothing voiced
    assert np.allclose(pipeline.scale_loudness(np.array([0.0, 2e-4, 1e-4], np.float32)), [0.0, 1.0, 0.5])


def test_heard_words_on_a_posterior_recogniser_are_aligned_stretch_by_stretch():
    rec = WithPosteriors()
    heard = Transcript([TimedWord(0.5, 0.9, "ma")], 1.0, speech=[(0.4, 1.0)])
    a, seen = run(clip(), recognizer=rec, words=heard)
    # free decoding of the whole clip, then the words forced over the stretch of speech (0.4 .. 1.0 s: 60 frames)
    assert rec.calls == [(100, None, "eng", 1.0), (60, "ma", "eng", 0.6)]
    assert seen == [(0.0, "Loading audio"), (0.45, "Loading recogniser"), (0.5, "Finding phones (posteriors)"),
                    (0.65, "Aligning the words"), (0.85, "Choosing mouth shapes"), (1.0, "Done")]
    assert a.visemes.control_names == ("jaw_open",) and a.visemes.controls.shape == (100, 1)
    assert a.recognizer == a.phones.recognizer == "posteriors"  # the forced alignment names its recogniser
    # no speech stretches heard: the whole clip is one stretch
    rec = WithPosteriors()
    run(clip(), recognizer=rec, words=Transcript([TimedWord(0.5, 0.9, "ma")], 1.0))
    assert rec.calls == [(100, None, "eng", 1.0), (100, "ma", "eng", 1.0)]


def test_heard_words_with_the_fused_recogniser_use_its_model_alone():
    from lipsync.phonemes.recognizers.fused import FusedRecognizer

    model = WithPosteriors()
    model.weights = None  # the shipped release's fusion settings
    fused = FusedRecognizer(model, pocketsphinx=Fixed())
    heard = Transcript([TimedWord(0.5, 0.9, "ma")], 1.0, speech=[(0.4, 1.0)])
    run(clip(), recognizer=fused, words=heard)
    assert model.calls == [(100, None, "eng", 1.0), (60, "ma", "eng", 0.6)] and fused.pocketsphinx.calls == []



def test_analysis_defaults():
    a = pipeline.Analysis(clip(), PhoneTrack([], 1.0), None, np.zeros(0), "x")
    b = pipeline.Analysis(clip(), PhoneTrack([], 1.0), None, np.zeros(0), "x")
    assert a.timings == {} and a.timings is not b.timings and a.heard is None


def test_timings_are_seconds_of_this_call(monkeypatch):
    import time

    monkeypatch.setattr(words, "vad_available", lambda: False)
    t0 = time.perf_counter()
    a, _ = run(clip(), recognizer=Fixed(), words=Transcript([TimedWord(0.5, 0.9, "ma")], 1.0))
    wall = time.perf_counter() - t0
    assert set(a.timings) == {"load_s", "words_s", "recognizer_load_s", "recognize_s", "total_s"}
    assert all(isinstance(v, float) and 0 <= v <= wall for v in a.timings.values()), a.timings


def test_an_undecodable_transcript_file_is_read_with_replacement_characters(tmp_path):
    f = tmp_path / "t.txt"
    f.write_bytes(b"caf\xe9 au lait\n")  # Latin-1, not UTF-8
    assert pipeline.read_transcript(str(f)) == "caf\ufffd au lait"


def test_loudness_of_one_frame():
    assert np.array_equal(pipeline.scale_loudness(np.array([0.5], np.float32)), [1.0])


def test_an_opened_audio_file_is_read_whole(tmp_path, monkeypatch):
    import soundfile as sf

    from lipsync.phonemes.audio import open_audio

    monkeypatch.setattr(words, "vad_available", lambda: False)
    p = tmp_path / "c.wav"
    sf.write(p, clip(2.0).samples, SR)
    a, _ = run(open_audio(str(p)), transcript="ma", recognizer=Fixed())
    assert isinstance(a.audio, Audio) and a.duration == 2.0 and np.allclose(a.audio.samples, clip(2.0).samples,
                                                                            atol=1e-4)


def test_a_failed_transcriber_with_auto_language_assumes_english(monkeypatch):
    monkeypatch.setattr(words, "vad_available", lambda: False)
    rec = Fixed()
    a, _ = run(clip(), recognizer=rec, words=Hears(fail=True), language="auto")
    assert rec.calls[0][2] == "eng" and a.heard is None
    assert a.phones.warnings == [
        "no words from the audio (the speech model is damaged); the model's phones are used",
        "the language was not detected (that needs a multilingual speech model with no transcript); English is "
        "assumed"]


def test_notes_come_before_the_recognisers_own_warnings(monkeypatch):
    class Warns(Fixed):
        def recognize(self, audio, transcript=None, language="eng"):
            track = super().recognize(audio, transcript, language)
            track.warnings = ["the recogniser's own warning"]
            return track

    monkeypatch.setattr(words, "vad_available", lambda: False)
    a, _ = run(clip(), recognizer=Warns(), words=False, language="auto")
    assert a.phones.warnings[1:] == ["the recogniser's own warning"] and a.phones.warnings[0].startswith(
        "the language was not detected")


def test_a_long_clip_hears_its_words_window_by_window(monkeypatch):
    a, _ = run(clip(5.0), recognizer=Fixed(), words=Hears(), chunk_seconds=2.0, overlap_seconds=1.0)
    assert a.heard is not None and "ma" in a.heard.text and a.timings["windows"] >= 2


def test_a_long_clip_with_a_script_aligns_it_window_by_window(monkeypatch):
    monkeypatch.setattr(words, "vad_available", lambda: False)
    rec = Fixed()
    a, seen = run(clip(5.0), transcript="ma ma", recognizer=rec, chunk_seconds=2.0, overlap_seconds=1.0)
    scripts = [c[1] for c in rec.calls]
    assert any(scripts) and all(t is None or set(t.split()) == {"ma"} for t in scripts)
    # the windows' progress runs from 0.2 to 0.8: the window at 2 s of 5 s is at 0.2 + 0.6 * 0.4
    windows = [f for f, m in seen if m.startswith("Finding phones (fixed), ")]
    assert windows[0] == pytest.approx(0.2) and windows[1] == pytest.approx(0.44)
    assert windows == sorted(windows) and max(windows) <= 0.8
