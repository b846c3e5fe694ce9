"""The pocketsphinx recogniser: alignment with a transcript, phone recognition, mismatches, silence."""
import os

import numpy as np
import pytest

from lipsync.phonemes.audio import load_audio
from lipsync.training.metrics import boundary_errors
from lipsync.phonemes.recognizers import RecognizerError, get_recognizer
from lipsync.phonemes.types import SIL, Audio
from lipsync.phonemes.visemes import viseme_for_phone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DIALOGUE = os.path.join(ROOT, "sample_scenes", "dialogue.wav")


@pytest.fixture(scope="module")
def ps():
    return get_recognizer("pocketsphinx")


@pytest.fixture(scope="module")
def dialogue():
    return load_audio(DIALOGUE)


def test_pocketsphinx_alignment_with_transcript(ps, dialogue, contiguous, sample):
    text = sample.text
    tr = ps.recognize(dialogue, text)
    contiguous(tr)
    assert not tr.warnings
    assert [w.text for w in tr.words][:3] == ["mom", "maybe", "bring"]
    err = boundary_errors(sample.rows, [(p.start, p.end, p.phone) for p in tr.phones])
    assert np.median(err) < 0.03 and np.mean(err <= 0.05) > 0.8
    assert np.mean([p.confidence for p in tr.phones if p.phone != SIL]) > 0.5


def test_pocketsphinx_phone_recognition(ps, dialogue, contiguous, sample):
    tr = ps.recognize(dialogue)
    contiguous(tr)
    speech = [p for p in tr.phones if p.phone != SIL]
    assert len(speech) > 60
    # the dialogue has many m/b/p: most should be recognised as bilabial (closed mouth)
    ref_bilabial = [(s, e) for s, e, p in sample.rows if p in ("m", "b", "p")]
    hits = sum(any(viseme_for_phone(p.phone) == "A" and p.start < e and p.end > s for p in speech)
               for s, e in ref_bilabial)
    assert hits / len(ref_bilabial) > 0.6


def test_pocketsphinx_mismatched_transcript_is_reported(ps, dialogue, contiguous):
    tr = ps.recognize(dialogue, "the quick brown fox jumps over the lazy dog near the river bank today")
    contiguous(tr)
    assert tr.warnings and "transcript" in tr.warnings[0]
    assert tr.review_spans()


def test_pocketsphinx_words_not_said_are_named(ps, dialogue, contiguous, sample):
    text = sample.text
    tr = ps.recognize(dialogue, text.replace("big blue map", "big blue zorblaxian map"))
    contiguous(tr)
    assert tr.warnings and "not heard: zorblaxian" in tr.warnings[0]
    words = [w.text for w in tr.words]
    assert "zorblaxian" not in words and "map" in words and len(words) == 25
    err = boundary_errors(sample.rows, [(p.start, p.end, p.phone) for p in tr.phones])
    assert np.median(err) < 0.03


def test_pocketsphinx_silence_and_language(ps):
    silent = Audio(np.zeros(16000, np.float32), 16000, "silence")
    tr = ps.recognize(silent)
    assert [p.phone for p in tr.phones] == [SIL] and tr.duration == pytest.approx(1.0)
    with pytest.raises(RecognizerError, match="only has an English model"):
        ps.recognize(silent, language="fra")
