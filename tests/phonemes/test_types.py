"""The plain values passed between the stages."""
import numpy as np
import pytest

from lipsync.phonemes.types import (FRAME_HOP, INTERNAL_RATE, SIL, Audio, FramePosteriors, PhoneTrack, TimedPhone,
                                    TimedWord, VisemeCue, VisemeTrack)


def test_constants():
    assert SIL == "sil" and INTERNAL_RATE == 16000 and FRAME_HOP == 0.01


def test_durations_and_frames():
    assert Audio(np.zeros(24000, np.float32), 16000).duration == 1.5
    assert Audio(np.zeros(0, np.float32), 16000).duration == 0.0
    with pytest.raises(AttributeError):
        Audio(np.zeros(1), 16000).sample_rate = 8000  # frozen: a stage cannot change another's input
    post = FramePosteriors(["a", "b"], np.zeros((7, 2), np.float32))
    assert post.n_frames == 7 and post.hop == FRAME_HOP and post.controls is None and post.control_names == ()
    assert TimedPhone(0.25, 0.5, "m").duration == 0.25
    p = TimedPhone(0, 1, "m")
    assert p.confidence == 1.0 and p.word is None
    assert TimedWord(0, 1, "ma").confidence == 1.0
    c = VisemeCue(0, 1, "A")
    assert c.confidence == 1.0 and c.detail == ""
    v = VisemeTrack([c], 1.0)
    assert v.hop == FRAME_HOP and v.controls is None and v.source == ""
    t = PhoneTrack([p], 1.0)
    assert t.words == [] and t.warnings == [] and t.language == "eng" and t.recognizer == "" and t.source == ""
    assert PhoneTrack([p], 1.0).warnings is not t.warnings  # each track its own lists


def test_review_spans_merge_touching_low_phones_only():
    t = PhoneTrack([TimedPhone(0.0, 0.1, SIL, 0.9), TimedPhone(0.1, 0.2, "m", 0.3), TimedPhone(0.2, 0.3, "a", 0.2),
                    TimedPhone(0.3, 0.4, "p", 0.8), TimedPhone(0.4, 0.5, "a", 0.1), TimedPhone(0.6, 0.7, "i", 0.1),
                    TimedPhone(0.7, 0.8, "n", 0.5)], 0.8)
    assert t.review_spans() == [(0.1, 0.3), (0.4, 0.5), (0.6, 0.7)]  # 0.5 itself is not below 0.5
    assert t.review_spans(0.95) == [(0.0, 0.5), (0.6, 0.8)]  # a gap (0.5-0.6) splits a span
    assert t.review_spans(0.1) == []


def test_transcript_text_and_defaults():
    from lipsync.phonemes.types import Transcript

    t = Transcript([TimedWord(0.0, 0.4, "Mom,"), TimedWord(0.5, 0.9, "maybe")], 1.0)
    assert t.text == "Mom, maybe"  # the words as one line, one space apart (shown to the animator, fed to G2P)
    assert Transcript([], 1.0).text == ""
    # words heard without asking for a language are English, from an unnamed model, with full certainty
    assert (t.language, t.model, t.language_probability, t.source) == ("eng", "", 1.0, "")
    assert t.speech == [] and t.warnings == []
    u = Transcript([], 1.0)
    u.warnings.append("x")
    u.speech.append((0.0, 1.0))
    assert t.warnings == [] and t.speech == []  # each transcript its own lists


def test_audio_and_posteriors_have_no_source_unless_given():
    assert Audio(np.zeros(4, np.float32), 16000).source == ""
    post = FramePosteriors(["a"], np.zeros((2, 1), np.float32))
    assert post.source == "" and post.viseme_log_probs is None
    assert Audio(np.zeros(4, np.float32), 16000, "take3.wav").source == "take3.wav"
    # a track of cues alone carries no per-frame controls
    v = VisemeTrack([VisemeCue(0, 1, "A")], 1.0)
    assert v.controls is None and v.control_names == () and len(v.control_names) == 0
