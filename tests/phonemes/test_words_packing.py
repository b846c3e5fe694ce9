"""Packing many short lines into Whisper windows: words mapped back to their line, and the lines Whisper loses
its place on run again (packed together first, then alone). Whisper is replaced by a scripted stand-in that
answers each window from the pieces it was given, so every rule is checked with hand-made word times."""
import numpy as np
import pytest

from lipsync.phonemes import words as W
from lipsync.phonemes.types import Audio, TimedWord

SR = 16000


def _piece(clip, start, end, offset):
    return W._Piece(clip, start, end, offset)


def test_a_word_in_the_gap_between_two_pieces_of_one_line_is_no_slip():
    a, b = _piece(0, 0.0, 1.0, 0.0), _piece(0, 2.0, 3.0, 2.0)  # one line, 1 s gap inside it
    placed = W._place([a, b], [TimedWord(0.5, 1.8, "long", 0.9)])  # reaches 0.8 s into the gap
    assert [(p is a, [w.text for w in ws], slipped) for p, ws, slipped in placed] == \
        [(True, ["long"], False), (False, [], False)]
    assert placed[0][1][0].end == 1.0  # clipped to its piece


def test_a_word_stretched_into_the_gap_stays_with_its_line_and_is_no_slip():
    a, b = _piece(0, 0.0, 1.0, 0.0), _piece(1, 5.0, 6.0, 2.0)  # two lines, 1 s gap between them
    b_word = TimedWord(2.2, 2.8, "b", 0.9)
    # Whisper stretches a last word into the silence after it: its centre (1.2 s) is in the gap, but it overlaps
    # only a: a's word, nothing slipped
    placed = W._place([a, b], [TimedWord(0.6, 1.8, "late", 0.9), b_word])
    assert [(slipped, [w.text for w in ws]) for _p, ws, slipped in placed] == [(False, ["late"]), (False, ["b"])]
    # and starts a first word a little early: it overlaps only b
    placed = W._place([a, b], [TimedWord(0.2, 0.8, "a", 0.9), TimedWord(1.65, 2.4, "early", 0.9)])
    assert [(slipped, [w.text for w in ws]) for _p, ws, slipped in placed] == [(False, ["a"]), (False, ["early"])]
    assert [(round(w.start, 6), round(w.end, 6)) for w in placed[1][1]] == [(5.0, 5.4)]  # in b's clip time


def test_a_word_starting_far_back_in_the_gap_after_another_line_flags_both():
    a, b = _piece(0, 0.0, 1.0, 0.0), _piece(1, 5.0, 6.0, 2.0)
    # a's last word "door" timed late, lying mostly in b: b's by overlap, but 0.55 s before b's start
    placed = W._place([a, b], [TimedWord(0.2, 0.9, "by the", 0.9), TimedWord(1.45, 2.3, "door", 0.9)])
    assert [(slipped, [w.text for w in ws]) for _p, ws, slipped in placed] == [(True, ["by the"]), (True, ["door"])]
    placed = W._place([a, b], [TimedWord(0.2, 0.9, "by the", 0.9), TimedWord(1.65, 2.3, "door", 0.9)])  # 0.35 s
    assert [slipped for _p, _ws, slipped in placed] == [False, False]
    c = _piece(0, 3.0, 4.0, 2.0)  # the same gap inside one line: no doubt
    placed = W._place([a, c], [TimedWord(0.2, 0.9, "by the", 0.9), TimedWord(1.45, 2.3, "door", 0.9)])
    assert [slipped for _p, _ws, slipped in placed] == [False, False]


def test_words_reaching_towards_a_line_left_without_words_flag_both_lines():
    a, b, c = _piece(0, 0.0, 1.0, 0.0), _piece(1, 5.0, 6.0, 2.0), _piece(2, 0.0, 1.0, 4.0)
    # b's words were moved onto a (reaching 0.45 s into the gap towards b): a and b are heard again, c is fine
    placed = W._place([a, b, c], [TimedWord(0.2, 1.45, "moved", 0.9), TimedWord(4.2, 4.8, "c", 0.9)])
    assert [slipped for _p, _ws, slipped in placed] == [True, True, False]
    placed = W._place([a, b, c], [TimedWord(0.2, 1.35, "moved", 0.9), TimedWord(4.2, 4.8, "c", 0.9)])  # 0.35 s
    assert [slipped for _p, _ws, slipped in placed] == [False, False, False]
    # the same from the right: c's first word starts 0.45 s early, towards the empty b
    placed = W._place([a, b, c], [TimedWord(0.2, 0.8, "a", 0.9), TimedWord(3.55, 4.8, "c", 0.9)])
    assert [slipped for _p, _ws, slipped in placed] == [False, True, True]
    # an empty piece shorter than MIN_HEARD is no lost line
    short = _piece(1, 5.0, 5.4, 2.0)
    placed = W._place([a, short], [TimedWord(0.2, 1.45, "moved", 0.9)])
    assert [slipped for _p, _ws, slipped in placed] == [False, False]


def test_a_word_over_two_lines_flags_both_and_goes_to_the_larger_overlap():
    a, b = _piece(0, 0.0, 1.0, 0.0), _piece(1, 5.0, 6.0, 2.0)
    placed = W._place([a, b], [TimedWord(0.98, 2.1, "Eight", 0.9)])  # 0.02 s in a, 0.1 s in b
    assert [(slipped, [w.text for w in ws]) for _p, ws, slipped in placed] == [(True, []), (True, ["Eight"])]
    c = _piece(0, 3.0, 4.0, 2.0)  # a second piece of line 0: a word over both pieces of one line is no slip
    placed = W._place([a, c], [TimedWord(0.5, 2.6, "long", 0.9)])
    assert [(slipped, [w.text for w in ws]) for _p, ws, slipped in placed] == [(False, []), (False, ["long"])]


def test_a_word_without_duration_in_the_gap_goes_to_the_nearer_piece():
    a, b = _piece(0, 0.0, 1.0, 0.0), _piece(1, 5.0, 6.0, 2.0)
    placed = W._place([a, b], [TimedWord(1.3, 1.3, "x", 0.5), TimedWord(1.8, 1.8, "y", 0.5)])
    assert [[w.text for w in ws] for _p, ws, _s in placed] == [["x"], ["y"]]
    assert [slipped for _p, _ws, slipped in placed] == [False, False]


def test_after_the_last_piece_is_no_slip_and_past_a_gap_is_invented():
    a = _piece(0, 0.0, 1.0, 0.0)
    placed = W._place([a], [TimedWord(0.6, 1.7, "end", 0.9), TimedWord(2.5, 2.9, "ghost", 0.2)])
    assert [(slipped, [w.text for w in ws]) for _p, ws, slipped in placed] == [(False, ["end"])]


class _Scripted:
    """Stands in for Transcriber._run: answers a window from its pieces. ``lost`` clips come back shifted by
    ``shift`` s while they share a window with another line (Whisper losing its place: the words reach into the
    next line's piece); alone they are right."""

    def __init__(self, lost, shift=2.5, lost_in_retry=()):
        self.lost, self.shift, self.lost_in_retry = set(lost), shift, set(lost_in_retry)
        self.windows: list[list[int]] = []
        self.pieces = None
        self.retrying = False  # set once the lost lines are packed again (with the retry gap)

    def __call__(self, x, code):
        pieces = self.pieces.pop(0)
        clips = [p.clip for p in pieces]
        shared = len(set(clips)) > 1
        self.windows.append(clips)
        out = []
        for p in pieces:
            lost = shared and p.clip in (self.lost_in_retry if self.retrying else self.lost)
            d = self.shift if lost else 0.0
            out.append(TimedWord(p.offset + 0.1 + d, p.offset + p.end - p.start - 0.1 + d, f"w{p.clip}", 0.9))
        return out, None, []


def _run_batch(monkeypatch, n, lost, lost_in_retry=()):
    t = W.Transcriber.__new__(W.Transcriber)
    t.language, t.code, t.model = "eng", "en", type("M", (), {"name": "stand-in"})()
    fake = _Scripted(lost, lost_in_retry=lost_in_retry)
    packs = []
    real_pack = W._pack

    def pack(pieces, window=W.WINDOW, gap=W.GAP):
        out = real_pack(pieces, window, gap)
        if gap == W.RETRY_GAP:
            fake.retrying = True
        packs.extend(out)
        return out

    monkeypatch.setattr(W, "_pack", pack)
    monkeypatch.setattr(W, "speech_regions", lambda a: [(0.2, a.duration - 0.2)])
    monkeypatch.setattr(W, "_samples16k", lambda a: a.samples)
    orig_window = W._window_samples

    def window_samples(samples, pieces):
        fake.pieces = (fake.pieces or []) + [pieces]
        return orig_window(samples, pieces)

    monkeypatch.setattr(W, "_window_samples", window_samples)
    t._run = fake
    audios = [Audio(np.zeros(3 * SR, np.float32), SR, f"line{i}") for i in range(n)]
    return t.transcribe_many(audios), fake.windows


def test_lost_lines_are_packed_again_together_not_one_window_each(monkeypatch):
    got, windows = _run_batch(monkeypatch, 12, lost={1, 4, 9})
    # 12 lines of 2.6 s speech, 1 s gaps: 8 a window -> 2 windows; a lost line's words reach into the next line,
    # so both are heard again: the 6 of them in ONE more window (2 s gaps)
    assert windows == [list(range(8)), list(range(8, 12)), [1, 2, 4, 5, 9, 10]]
    for i, tr in enumerate(got):
        assert [w.text for w in tr.words] == [f"w{i}"]
        assert abs(tr.words[0].start - 0.3) < 1e-6  # the retry's right times, not the shifted ones


def test_lines_lost_again_in_the_retry_run_alone(monkeypatch):
    got, windows = _run_batch(monkeypatch, 12, lost={1, 4, 9}, lost_in_retry={4})
    assert windows == [list(range(8)), list(range(8, 12)), [1, 2, 4, 5, 9, 10], [4], [5]]
    assert [[w.text for w in tr.words] for tr in got] == [[f"w{i}"] for i in range(12)]
    assert all(abs(tr.words[0].start - 0.3) < 1e-6 for tr in got)


def test_no_lost_line_means_no_extra_window(monkeypatch):
    _got, windows = _run_batch(monkeypatch, 12, lost=())
    assert windows == [list(range(8)), list(range(8, 12))]


@pytest.mark.parametrize("n", [1, 2])
def test_a_line_alone_has_nobody_to_lose_its_place_to(monkeypatch, n):
    got, windows = _run_batch(monkeypatch, n, lost={0})
    assert windows == [list(range(n))] + ([[0, 1]] if n > 1 else [])  # two lines: heard again, then right
    assert [w.text for w in got[0].words] == ["w0"]


def test_each_line_is_handed_over_once_as_soon_as_its_words_are_final(monkeypatch):
    t = W.Transcriber.__new__(W.Transcriber)
    t.language, t.code, t.model = "eng", "en", type("M", (), {"name": "stand-in"})()
    fake = _Scripted(lost={2, 9})
    real_pack = W._pack

    def pack(pieces, window=W.WINDOW, gap=W.GAP):
        fake.retrying = fake.retrying or gap == W.RETRY_GAP
        return real_pack(pieces, window, gap)

    monkeypatch.setattr(W, "_pack", pack)
    monkeypatch.setattr(W, "speech_regions", lambda a: [(0.2, a.duration - 0.2)] if a.duration > 0.5 else [])
    monkeypatch.setattr(W, "_samples16k", lambda a: a.samples)
    orig_window = W._window_samples
    monkeypatch.setattr(W, "_window_samples",
                        lambda s, p: (setattr(fake, "pieces", (fake.pieces or []) + [p]), orig_window(s, p))[1])
    t._run = fake
    audios = [Audio(np.zeros(3 * SR, np.float32), SR, f"line{i}") for i in range(12)]
    audios[5] = Audio(np.zeros(SR // 4, np.float32), SR, "blip")  # no speech: no window at all
    handed = []
    out = t.transcribe_many(audios, done=lambda i, tr: handed.append((i, len(fake.windows), tr)))
    order = [(i, n) for i, n, _tr in handed]
    # window 1 holds 0-4, 6-8 (8 lines); window 2: 9-11; the lost 2 and 9 (and 3 and 10, which their words reach
    # into): one retry window; the blip last
    assert order == [(0, 1), (1, 1), (4, 1), (6, 1), (7, 1), (8, 1), (11, 2), (2, 3), (3, 3), (9, 3), (10, 3),
                     (5, 3)]
    assert all(tr is out[i] for i, _n, tr in handed)
    assert [w.text for w in out[2].words] == ["w2"] and out[5].words == []
