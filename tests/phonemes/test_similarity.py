"""Articulatory phone similarity, stand-in labels, emission scores and mouth-level probabilities.

The similarity is a designed score (docstring of phonemes.align.similarity); the values below are worked out by
hand from its definition for pairs an aligner meets: a voicing difference costs 15 %, a manner in the same group
30 %, another group 60 %, each place step 1/6; vowels lose by height, backness, rounding and r-colouring."""
import itertools

import numpy as np
import pytest

from lipsync.errors import AlignmentError
from lipsync.phonemes.align import similarity as S
from lipsync.phonemes.types import SIL, FramePosteriors
from lipsync.phonemes.visemes import VISEMES

PAIRS = {
    # consonants
    ("p", "b"): 0.85,  # voicing
    ("p", "t"): 0.5,  # bilabial -> alveolar: three place steps
    ("p", "k"): 1 / 3,  # far apart: the place distance is capped at four steps
    ("m", "ŋ"): 1 / 3,
    ("p", "m"): 0.4 * 0.85,  # stop / nasal: other manner group, and voicing
    ("t", "s"): 0.7,  # stop / fricative: same group
    ("t", "ts"): 0.7,  # stop / affricate
    ("s", "ts"): 0.7,  # fricative / affricate
    ("s", "ʃ"): (1 - 1 / 6) * 0.9,  # one place step; ʃ is lip-rounded
    ("f", "θ"): 1 - 1 / 6,
    ("k", "x"): 0.7,
    ("ɹ", "l"): 0.7 * 0.9 * 0.8,  # approximant / lateral (same group), rounding, r-colouring
    ("ɾ", "r"): 0.7,  # tap / trill
    # vowels: d = 1.2 |dh| + 0.8 |db| + 0.35 round + 0.5 rhotic + 0.05 nasal; similarity 1 - d / 1.5
    ("i", "ɪ"): 0.8,
    ("i", "u"): 1 - 1.15 / 1.5,
    ("a", "ɑ"): 1 - 0.8 / 1.5,
    ("e", "ø"): 1 - 0.35 / 1.5,
    ("ə", "ɚ"): 1 - 0.5 / 1.5,
    ("a", "ã"): 1 - 0.05 / 1.5,
    ("a", "i"): 0.2,
    ("a", "u"): 0.0,
    # vowels and glides
    ("j", "i"): 0.5,  # a palatal glide next to a close front vowel
    ("w", "u"): 0.5,  # both rounded
    ("ɹ", "ɝ"): 0.55,  # both r-coloured
    ("j", "a"): 0.35,
    ("w", "i"): 0.35,
    ("l", "u"): 0.2,  # dark l and back vowels
    ("l", "i"): 0.02,
    ("p", "a"): 0.02,  # other consonants are not vowels
    # silence and the unknown
    (SIL, SIL): 1.0, (SIL, "a"): 0.0, ("m", SIL): 0.0, ("☃", "a"): 0.0, ("☃", "☃"): 1.0,
    # a diphthong is described by its onset, and loses against a plain vowel
    ("aɪ", "a"): 0.97 * 0.85, ("aɪ", "aʊ"): 0.97, ("ɡ", "g"): 1.0, ("ˈa", "a"): 1.0,
}


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_similarity_values(pair):
    a, b = pair
    assert S.phone_similarity(a, b) == pytest.approx(PAIRS[pair], abs=1e-9)
    assert S.phone_similarity(b, a) == pytest.approx(PAIRS[pair], abs=1e-9)  # symmetric


def test_similarity_is_a_score_in_0_1_and_1_only_for_the_same_sound():
    phones = ["p", "b", "m", "f", "v", "θ", "t", "d", "s", "z", "ʃ", "tʃ", "n", "l", "ɹ", "j", "w", "k", "ɡ", "ŋ",
              "h", "ʔ", "i", "ɪ", "e", "ɛ", "æ", "a", "ɑ", "ɔ", "o", "ʊ", "u", "ə", "ʌ", "ɝ", "y", "ø"]
    for a, b in itertools.combinations(phones, 2):
        s = S.phone_similarity(a, b)
        assert 0.0 <= s < 1.0, (a, b, s)
    # the nearer the place, the more alike
    assert S.phone_similarity("p", "f") > S.phone_similarity("p", "t") > S.phone_similarity("p", "k")


def test_similar_labels():
    labels = ["sil", "p", "t", "k", "a", "i"]
    assert S.similar_labels("t", labels) == [(2, 1.0)]  # in the inventory: itself
    assert S.similar_labels("ˈt", labels) == [(2, 1.0)]  # after normalising
    got = S.similar_labels("b", labels)  # not there: its look-alikes, the best dominating
    idx = [i for i, _ in got]
    assert idx[0] == 1 and set(idx) <= {1, 2, 3} and sum(w for _, w in got) == pytest.approx(1.0)
    w = dict(got)
    # weights are similarity ** 4, normalised: p (0.85) vs t (0.5 * 0.85)
    assert w[1] / w[2] == pytest.approx((0.85 / (0.5 * 0.85)) ** 4, rel=1e-6)
    assert S.similar_labels("b", labels, top=1) == [(1, 1.0)]
    # nothing is similar enough: the single best label stands in anyway
    only = S.similar_labels("ʕ", ["a", "i"], min_similarity=0.9)
    assert len(only) == 1 and only[0][1] == pytest.approx(1.0)
    with pytest.raises(AlignmentError, match="the posteriors have no labels"):
        S.similar_labels("a", [])


def test_emission_matrix_scores_missing_phones_by_their_stand_ins():
    labels = ["sil", "p", "t", "a"]
    lp = np.log(np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.6, 0.2, 0.1]], np.float32))
    post = FramePosteriors(labels, lp)
    E = S.emission_matrix(post, ["p", "b", "a"])
    assert E.shape == (2, 3) and E.dtype == np.float32
    assert np.allclose(E[:, 0], lp[:, 1]) and np.allclose(E[:, 2], lp[:, 3])
    stand = S.similar_labels("b", labels)
    want = np.log(sum(w * np.exp(lp[:, i]) for i, w in stand))  # a weighted mixture of the stand-ins
    assert np.allclose(E[:, 1], want, atol=1e-5)


def test_mouth_probs_pool_labels_that_look_alike():
    labels = ["m", "b", "a", "sil"]
    p = np.array([[0.3, 0.3, 0.3, 0.1]])
    pv = S.mouth_probs(np.log(p).astype(np.float32), labels)
    assert pv.shape == (1, len(VISEMES))
    assert pv[0, VISEMES.index("A")] == pytest.approx(0.6, abs=1e-6)  # m and b: both closed lips
    assert pv[0, VISEMES.index("D")] == pytest.approx(0.3, abs=1e-6) and pv[0, VISEMES.index("X")] == pytest.approx(0.1)
    assert S.mouth_probs(np.array([[0.5, -1e30, -1e30, -1e30]], np.float32), labels)[0, 0] == 1.0  # log p capped at 0


def test_mouth_confidence():
    A = VISEMES.index("A")
    pv = np.zeros((4, len(VISEMES)), np.float32)
    pv[:, A] = [0.9, 0.6, 0.4, 0.1]
    pv[:, VISEMES.index("D")] = [0.1, 0.4, 0.6, 0.9]
    # mean of A's probability (0.5), blended with how often A is within a factor 2 of the best (3 of 4 frames)
    assert S.mouth_confidence(pv, "m") == pytest.approx(0.5 * 0.5 + 0.5 * 0.75)
    assert S.mouth_confidence(pv[:0], "m") == 0.0
    assert S.mouth_confidence(pv, "b") == S.mouth_confidence(pv, "m")  # the same mouth


def test_an_unknown_symbol_is_like_nothing_but_itself(monkeypatch):
    """Without panphon's table (9 s to load; the mutation run deselects the panphon case above) an unknown symbol
    has no features: 0 against any phone or silence, 1 only against itself."""
    from lipsync.phonemes import phoneset

    monkeypatch.setattr(phoneset, "_panphon_table", lambda: None)
    assert S.phone_similarity("☂", "a") == 0.0 and S.phone_similarity("t", "☂") == 0.0
    assert S.phone_similarity("☂", SIL) == 0.0 and S.phone_similarity("☂", "☂") == 1.0
    assert S._feature_similarity(None, phoneset.features("a")) == 0.0
    assert S._feature_similarity(phoneset.features("a"), None) == 0.0


# every place on the scale, and the manner groups, by pairs closer than the four-step cap (worked out by hand)
PLACE_PAIRS = {
    ("ʈ", "t"): 1 - 1.5 / 6,  # retroflex 4.5, alveolar 3
    ("c", "k"): 1 - 1 / 6,  # palatal 5, velar 6
    ("w", "j"): (1 - 1.5 / 6) * 0.9,  # labial-velar 6.5, palatal 5 (both approximants); w is rounded
    ("q", "k"): 1 - 1 / 6,  # uvular 7
    ("q", "ʔ"): 1 - 2 / 6,  # glottal 9
    ("ʔ", "k"): 1 - 3 / 6,
    ("ħ", "χ"): 1 - 1 / 6,  # pharyngeal 8 (fricatives)
    ("n", "l"): 0.7,  # nasal / lateral: both sonorants
    ("f", "n"): (1 - 2 / 6) * 0.4 * 0.85,  # other manner group times the place factor, and voicing
    ("t", "tʃ"): (1 - 1 / 6) * 0.7 * 0.9,  # stop / affricate, one step; tʃ is rounded
    ("j", "ɝ"): 0.35,  # a glide and an r-coloured vowel: only the vowel is rhotic
    ("j", "u"): 0.35,  # a palatal glide and a back vowel: no palatal bonus
}


@pytest.mark.parametrize("pair", sorted(PLACE_PAIRS))
def test_place_scale_and_manner_groups(pair):
    assert S.phone_similarity(*pair) == pytest.approx(PLACE_PAIRS[pair], abs=1e-9)


def test_two_silences_are_the_same_sound():
    from lipsync.phonemes.phoneset import features

    assert S._feature_similarity(features(SIL), features(SIL)) == 1.0


def test_similar_labels_top_three_threshold_inclusive_and_a_positive_floor():
    # b against p .85, v .5833, d .5, m .4, ɡ .3333: the three best by default
    got = S.similar_labels("b", ["p", "m", "d", "ɡ", "v"])
    assert [i for i, _ in got] == [0, 4, 2]
    s = np.array([0.85, 7 / 12, 0.5]) ** 4
    assert [w for _, w in got] == pytest.approx(list(s / s.sum()), rel=1e-6)
    # a label exactly at the minimum similarity (d: 0.5) is kept
    assert [i for i, _ in S.similar_labels("b", ["p", "d"], min_similarity=0.5)] == [0, 1]
    # a stand-in with similarity 0 keeps a tiny positive weight (1e-9 before normalising): its log is defined
    (i0, w0), (i1, w1) = S.similar_labels("a", ["i", SIL], min_similarity=0.0)
    assert (i0, i1) == (0, 1) and w1 == pytest.approx(1e-9 / (0.2 ** 4 + 2e-9), rel=1e-6)
    with pytest.raises(AlignmentError) as e:
        S.similar_labels("a", [])
    assert str(e.value) == "the posteriors have no labels; cannot score any phone"


def test_mouth_confidence_counts_exactly_half_the_best_and_stays_within_one():
    A, D = VISEMES.index("A"), VISEMES.index("D")
    pv = np.zeros((2, len(VISEMES)), np.float32)
    pv[:, A], pv[:, D] = [0.25, 0.5], [0.5, 0.5]  # frame 0: A is exactly half the best
    assert S.mouth_confidence(pv, "m") == pytest.approx(0.5 * 0.375 + 0.5 * 1.0)
    # pooled posteriors of unnormalised scores can exceed 1: the confidence is clipped to 1
    assert S.mouth_confidence(np.full((2, len(VISEMES)), 1.5, np.float32), "m") == 1.0


def test_pooled_labels_add_near_twins_to_a_phone_with_its_own_label():
    labels = ["sil", "p", "b", "t", "e", "eɪ", "a", "æ", "ɑ"]
    # p's twin b (similarity 0.85 >= 0.7) adds its mass at 0.85 ** 4; t (0.5) does not
    assert S.pooled_labels("p", labels) == [(1, 1.0), (2, pytest.approx(0.85 ** 4))]
    got = dict(S.pooled_labels("e", labels))  # a pure e and English's eɪ
    assert got[4] == 1.0 and got[5] == pytest.approx(S.phone_similarity("e", "eɪ") ** 4)
    assert S.phone_similarity("e", "eɪ") >= S.POOL_SIMILARITY and 0 not in got
    # silence pools with nothing and nothing pools with silence
    assert S.pooled_labels("sil", labels) == [(0, 1.0)]
    assert all(i != 0 for i, _ in S.pooled_labels("a", labels))
    # a phone without a label of its own keeps its normalised stand-ins
    assert S.pooled_labels("β", labels) == S.similar_labels("β", labels)
    # only labels at least POOL_SIMILARITY alike join
    for phone in ("p", "e", "a"):
        own = labels.index(phone)
        for i, w in S.pooled_labels(phone, labels):
            if i != own:
                sim = S.phone_similarity(phone, labels[i])
                assert sim >= S.POOL_SIMILARITY and w == pytest.approx(sim ** 4)


def test_emission_of_a_phone_counts_the_mass_its_twin_took():
    labels = ["sil", "e", "eɪ", "t"]
    # a voice the model never heard: the frame's mass sits on the English twin eɪ, not on e
    lp = np.log(np.array([[0.05, 0.05, 0.85, 0.05]], np.float32))
    E = S.emission_matrix(FramePosteriors(labels, lp), ["e", "t"])
    w = S.phone_similarity("e", "eɪ") ** 4
    assert E[0, 0] == pytest.approx(np.log(0.05 + w * 0.85), abs=1e-5)
    assert E[0, 0] > E[0, 1]  # e now beats t there, which its own column alone (0.05 each) could not tell apart
