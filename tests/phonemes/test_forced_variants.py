"""Forced alignment's pronunciation variants frame by frame (which frames a word's rescoring reads, the
margin a variant must win by, which words get dictionary variants) and its documented defaults."""
from types import SimpleNamespace

import numpy as np
import pytest

from lipsync.errors import AlignmentError
from lipsync.phonemes.align import forced_align
from lipsync.phonemes.align import forced as F
from lipsync.phonemes.types import SIL, FramePosteriors, TimedWord

LABELS = ["sil", "a", "i"]


def _post(rows):
    """rows: per frame (log score of sil, a, i)."""
    return FramePosteriors(list(LABELS), np.array(rows, dtype=np.float32))


def _track(*words):
    return SimpleNamespace(words=[TimedWord(s, e, t) for s, e, t in words])


def _lean(n_frames, lean):
    """Frames where "i" scores ``lean`` above "a" at each frame (negative: "a" above "i")."""
    rows = np.full((n_frames, 3), -3.0)
    rows[:, 1] = -1.0
    rows[:, 2] = -1.0 + lean
    return rows


def _word_frames_post(inside, outside=-10.0, n=20, first=5, last=9):
    """Frames first..last lean to "i" by ``inside`` each; the frames just outside lean to "a" by 10."""
    rows = _lean(n, 0.0)
    rows[first:last + 1] = _lean(last - first + 1, inside)
    rows[first - 1] = _lean(1, outside)[0]
    rows[last + 1] = _lean(1, outside)[0]
    return _post(rows)


def test_a_variant_is_scored_over_exactly_the_frames_of_its_word():
    # the word spans 45..95 ms: frames 5..9 (half frames round up); frames 4 and 10 would cost it 10 each
    post = _word_frames_post(0.5)  # "i" wins by 5 x 0.5 = 2.5 > the margin of 2
    phones, words = F._choose_variants(post, ["a"], [("w", 1)], _track((0.045, 0.095, "w")), {"w": [["i"]]})
    assert (phones, words) == (["i"], [("w", 1)])


def test_one_frame_more_or_less_changes_the_choice():
    # 4 frames x 0.5 = 2.0 is not more than the margin: a span one frame short would keep "a"
    short = _word_frames_post(0.5, first=5, last=8)
    assert F._choose_variants(short, ["a"], [("w", 1)], _track((0.045, 0.085, "w")), {"w": [["i"]]}) == (None, None)
    # 2.5 < 3: the margin is 2 log units, not 3
    assert F.VARIANT_MARGIN == 2.0
    # a word shorter than a frame is scored on the one frame it starts in (4.5 -> 5; its end 4.9 -> 5)
    rows = _lean(20, 0.0)
    rows[5] = _lean(1, 2.5)[0]
    rows[4] = rows[6] = _lean(1, -10.0)[0]
    got = F._choose_variants(_post(rows), ["a"], [("w", 1)], _track((0.045, 0.049, "w")), {"w": [["i"]]})
    assert got == (["i"], [("w", 1)])


def test_unchanged_words_give_no_new_alignment():
    post = _word_frames_post(-1.0)  # "a" fits better: nothing to realign
    assert F._choose_variants(post, ["a"], [("w", 1)], _track((0.045, 0.095, "w")), {"w": [["i"]]}) == (None, None)
    # a variant that is the given pronunciation itself is no candidate
    same = _word_frames_post(0.5)
    assert F._choose_variants(same, ["a"], [("w", 1)], _track((0.045, 0.095, "w")), {"w": [["a"]]}) == (None, None)


def test_variants_follow_the_timed_words_in_order():
    post = _word_frames_post(0.5)
    # "x" was not timed (the track has only "w"): x keeps its phones, w is rescored on its own span
    phones, words = F._choose_variants(post, ["a", "a"], [("x", 1), ("w", 1)], _track((0.045, 0.095, "w")),
                                       {"w": [["i"]], "x": [["i"]]})
    assert (phones, words) == (["a", "i"], [("x", 1), ("w", 1)])
    # a word with variants that the track never timed is left alone (no span to score)
    assert F._choose_variants(post, ["a"], [("w", 1)], _track((0.045, 0.095, "other")),
                              {"w": [["i"]]}) == (None, None)
    # phones are sliced per word: the second word's phones follow the first word's two
    phones, words = F._choose_variants(post, ["i", "i", "a"], [("x", 2), ("w", 1)],
                                       _track((0.0, 0.04, "x"), (0.045, 0.095, "w")), {"w": [["i"]]})
    assert (phones, words) == (["i", "i", "i"], [("x", 2), ("w", 1)])


def test_dictionary_variants_for_the_words_said_as_the_first_pronunciation():
    the_phones = ["k", "æ", "t", "d", "ɔ", "ɡ", "i", "ð", "ɝ"]
    out = F._dictionary_variants([("cat", 3), ("dog", 3), ("either", 3)], the_phones)
    assert out == {"either": [["i", "ð", "ɝ"], ["aɪ", "ð", "ɝ"]]}  # cat and dog have one pronunciation
    # quotes around a word are not part of it
    assert F._dictionary_variants([("'either'", 3)], ["i", "ð", "ɝ"]) == {"'either'": [["i", "ð", "ɝ"],
                                                                                         ["aɪ", "ð", "ɝ"]]}
    # given the other pronunciation: no variants (the phones were chosen by someone)
    assert F._dictionary_variants([("either", 3)], ["aɪ", "ð", "ɝ"]) == {}
    assert F._cmu_variants("cat") == () and len(F._cmu_variants("either")) == 2


def test_documented_defaults():
    rows = [[0.0, -9.0, -9.0]] * 10 + [[-9.0, 0.0, -9.0]] * 10 + [[-1.0, -1.5, -1.5]] * 3 \
        + [[-9.0, -9.0, 0.0]] * 10 + [[0.0, -9.0, -9.0]] * 10
    post = _post(rows)
    words = [("a", 1), ("i", 1)]
    # a 3-frame pause that beats both phones by 0.5 a frame (1.5 in all) is worth more than the default
    # entry cost of one log unit, not more than two
    tr = forced_align(post, ["a", "i"], words=words, variants=None)
    assert [p.phone for p in tr.phones] == [SIL, "a", SIL, "i", SIL]
    assert tr.recognizer == "" and tr.language == "eng"
    costly = forced_align(post, ["a", "i"], words=words, variants=None, silence_penalty=2.0)
    assert [p.phone for p in costly.phones] == [SIL, "a", "i", SIL]
    with pytest.raises(AlignmentError, match=r"^variants must be 'auto', None or a dict, not 'cmu'$"):
        forced_align(post, ["a"], words=[("a", 1)], variants="cmu")
