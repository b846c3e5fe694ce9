"""The words stage on a long clip (an AudioSource): window by window, each word once, at its clip time.

A stand-in transcriber "hears" a word at every tone burst of its window (window-relative times, as the
real one reports them), so the expected clip times are the bursts' own, known independently.
"""
import numpy as np
import pytest

from lipsync.errors import Cancelled
from lipsync.phonemes import words as W
from lipsync.phonemes.audio import ArraySource
from lipsync.phonemes.types import Audio, TimedWord, Transcript

RATE = 16000
DURATION = 300.0  # three 120 s cores: windows [0, 125), [115, 245), [235, 300)
BURSTS = [10.0, 119.9, 124.0, 240.05, 299.5]  # clip times; 119.9 s and 124 s lie in two windows each
BURST_LEN = 0.2


def _clip(bursts=BURSTS, length=BURST_LEN):
    x = np.zeros(int(DURATION * RATE), np.float32)
    t = np.arange(int(length * RATE)) / RATE
    for s in bursts:
        i = int(round(s * RATE))
        seg = 0.5 * np.sin(2 * np.pi * 440 * t[: len(x) - i]).astype(np.float32)
        x[i: i + len(seg)] = seg
    return ArraySource(Audio(x, RATE, "long.wav"))


def _runs(audio):
    on = np.abs(audio.samples) > 0.05
    d = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    # the sine crosses zero: join runs closer than 10 ms
    out = []
    for a, b in zip(starts, stops):
        if out and a - out[-1][1] < RATE // 100:
            out[-1][1] = b
        else:
            out.append([a, b])
    return [(a / RATE, b / RATE) for a, b in out]


class Hearer:
    """Hears one word per burst; says it detected French; warns about its window's first second."""
    language = "eng"

    def __init__(self):
        self.calls = []

    def transcribe(self, audio, progress=None, cancel=None):
        self.calls.append(audio.duration)
        runs = _runs(audio)
        if progress is not None:
            progress(0.5, "Hearing")
            progress(1.0, "Heard")
        return Transcript([TimedWord(a, b, f"w{len(self.calls)}", 0.9) for a, b in runs], audio.duration,
                          "fra" if runs else "deu", "stand-in", 0.8 if runs else 0.3, list(runs),
                          ["1.00 s: something odd"])


def test_each_word_once_at_its_clip_time():
    src = _clip()
    hearer = Hearer()
    t = W.transcribe_source(hearer, src)
    assert len(hearer.calls) == 3
    assert [round(c, 3) for c in hearer.calls] == [125.0, 130.0, 65.0]  # one window in memory at a time
    assert len(t.words) == len(BURSTS)
    np.testing.assert_allclose([w.start for w in t.words], BURSTS, atol=1e-3)
    np.testing.assert_allclose([w.end for w in t.words], [b + BURST_LEN for b in BURSTS], atol=1e-3)
    # the burst whose midpoint is the 120 s seam belongs to the second window, 124 s too (its core)
    assert [w.text for w in t.words] == ["w1", "w2", "w2", "w3", "w3"]
    assert t.duration == pytest.approx(DURATION) and t.source == "long.wav"
    assert t.language == "fra" and t.language_probability == 0.8


def test_speech_and_warnings_in_clip_time():
    t = W.transcribe_source(Hearer(), _clip())
    # each burst once (the overlapping windows' copies are clipped to their cores and merged)
    assert len(t.speech) == len(BURSTS)
    np.testing.assert_allclose([s for s, _ in t.speech], BURSTS, atol=1e-3)
    # window-time warnings shifted to clip time: window starts 0, 115, 235 s
    assert t.warnings == ["1.00 s: something odd", "116.00 s: something odd", "236.00 s: something odd"]


def test_language_from_the_first_window_with_words():
    t = W.transcribe_source(Hearer(), _clip(bursts=[250.0]))
    assert t.language == "fra" and t.language_probability == 0.8
    assert [round(w.start, 3) for w in t.words] == [250.0]
    silent = W.transcribe_source(Hearer(), _clip(bursts=[]))
    assert silent.words == [] and silent.language == "eng"  # nothing heard: the transcriber's own language


def test_progress_goes_forward_to_the_end_and_cancel_stops():
    seen = []
    W.transcribe_source(Hearer(), _clip(), progress=lambda f, msg: seen.append((f, msg)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and 0 < fractions[0] < 0.5
    assert any("of 5 min" in msg for _, msg in seen)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 1

    hearer = Hearer()
    with pytest.raises(Cancelled):
        W.transcribe_source(hearer, _clip(), cancel=cancel)
    assert len(hearer.calls) == 1  # stopped before the second window


def test_speech_regions_of_a_long_clip_are_joined_across_a_seam(monkeypatch):
    # a stretch of speech across the 120 s seam is heard by two windows; it comes back as one region
    monkeypatch.setattr(W, "speech_regions", lambda audio: _runs(audio))
    src = _clip(bursts=[30.0, 117.0], length=6.0)
    regions = W.speech_regions_source(src)
    assert len(regions) == 2
    np.testing.assert_allclose(regions, [(30.0, 36.0), (117.0, 123.0)], atol=1e-3)
