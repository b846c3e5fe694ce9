"""`lipsync analyze` on many files: the words are heard in a background thread and each line is aligned as soon as
its words are final; errors in the words stage still reach the user as one line, and stopping early stops the
transcription."""
import threading
import time

import numpy as np
import pytest

from lipsync import cli
from lipsync.errors import Cancelled, RecognizerError
from lipsync.phonemes.types import Audio, Transcript

SR = 16000


def _group(n, scripted=()):
    return [(f"l{i}.wav", "a script" if i in scripted else None, Audio(np.zeros(SR, np.float32), SR, f"l{i}"))
            for i in range(n)]


class _Stand:
    """transcribe_many that hands lines over in a fixed order, optionally failing after ``fail_after`` lines."""

    def __init__(self, order, fail_after=None, pause=0.0):
        self.order, self.fail_after, self.pause = order, fail_after, pause
        self.got = None
        self.stopped = threading.Event()

    def transcribe_many(self, audios, progress=None, cancel=None, done=None):
        self.got = [a.source for a in audios]
        for n, j in enumerate(self.order):
            if cancel is not None and cancel():
                self.stopped.set()
                raise Cancelled("Transcription cancelled.")
            if self.fail_after is not None and n == self.fail_after:
                raise RecognizerError("the speech model is damaged")
            time.sleep(self.pause)
            done(j, Transcript([], 1.0, "eng", "stand-in", source=audios[j].source))
        return []


def test_lines_needing_no_words_come_first_then_in_the_order_their_words_are_final():
    stand = _Stand(order=[2, 0, 1])  # indices among the lines without a script: l1, l3, l4
    got = [(i, t.source if t is not None else None) for i, t in cli._in_order_of_words(stand, _group(5, {0, 2}))]
    assert stand.got == ["l1", "l3", "l4"]
    assert got == [(0, None), (2, None), (4, "l4"), (1, "l1"), (3, "l3")]


def test_no_transcriber_means_no_words_for_anyone():
    assert list(cli._in_order_of_words(None, _group(3))) == [(0, None), (1, None), (2, None)]


def test_a_words_stage_error_comes_after_the_lines_already_heard():
    stand = _Stand(order=[0, 1, 2], fail_after=2)
    seen = []
    with pytest.raises(RecognizerError, match="damaged"):
        for i, _t in cli._in_order_of_words(stand, _group(3)):
            seen.append(i)
    assert seen == [0, 1]


def test_stopping_early_stops_the_transcription():
    stand = _Stand(order=list(range(50)), pause=0.02)
    it = cli._in_order_of_words(stand, _group(50))
    assert next(it)[0] == 0
    t0 = time.perf_counter()
    it.close()  # what an exception in the caller's loop does
    assert stand.stopped.is_set() and time.perf_counter() - t0 < 0.5


def test_the_warm_up_runs_once_while_the_first_words_are_awaited():
    stand = _Stand(order=[0, 1, 2], pause=0.2)
    calls = []
    got = []
    for i, _t in cli._in_order_of_words(stand, _group(4, {3}), meanwhile=lambda: calls.append(list(got))):
        got.append(i)
    assert got == [3, 0, 1, 2]
    assert calls == [[3]]  # after the line that needed no words, before the first heard one


def test_no_warm_up_without_lines_to_hear():
    calls = []
    assert [i for i, _t in cli._in_order_of_words(_Stand([]), _group(2, {0, 1}), meanwhile=lambda: calls.append(1))] \
        == [0, 1]
    assert calls == []


def test_warm_up_never_raises():
    from lipsync.phonemes.recognizers import PosteriorRecognizer

    class Bad(PosteriorRecognizer):
        name = "bad"

        def posteriors(self, audio):
            raise RecognizerError("no weights")

        def recognize_posteriors(self, *a, **k):
            raise AssertionError

        align_words = recognize_posteriors

    cli._warm_up(Bad())  # the first line reports it, not the warm-up
