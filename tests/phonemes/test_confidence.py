"""Confidence is about the mouth: look-alike confusions (m/b/p) keep it, visible ones lower it."""

import numpy as np
import pytest

from lipsync.phonemes import align
from lipsync.phonemes.types import FramePosteriors, PhoneTrack, TimedPhone


def post_for(frames):
    """Posteriors over m, b, n, a, sil where each frame row gives the probabilities."""
    labels = ["m", "b", "n", "a", "sil"]
    p = np.asarray(frames, dtype=np.float64) + 1e-4
    p /= p.sum(axis=1, keepdims=True)
    return FramePosteriors(labels, np.log(p).astype(np.float32))


def test_look_alike_confusions_keep_confidence_and_visible_ones_lower_it():
    # 10 frames of sil, 10 frames split between m and b (same closed lips), 10 frames of a, 10 of sil
    sil, mb, a = [0, 0, 0, 0, 1], [0.5, 0.5, 0, 0, 0], [0, 0, 0, 1, 0]
    track = align.forced_align(post_for([sil] * 10 + [mb] * 10 + [a] * 10 + [sil] * 10), ["m", "a"], refine=0)
    m = [p for p in track.phones if p.phone == "m"][0]
    assert m.confidence > 0.9
    # the same closure heard as n (open teeth, tongue up): the mouth really is in doubt
    nb = [0.2, 0, 0.8, 0, 0]
    track = align.forced_align(post_for([sil] * 10 + [nb] * 10 + [a] * 10 + [sil] * 10), ["m", "a"], refine=0)
    m = [p for p in track.phones if p.phone == "m"][0]
    assert m.confidence < 0.5


# ---------------------------------------------------------------- phonemes.confidence
from lipsync.phonemes import confidence as C  # noqa: E402
from lipsync.phonemes.types import SIL  # noqa: E402


def _track(rows, duration):
    return PhoneTrack([TimedPhone(a, b, p, c) for a, b, p, c in rows], duration)


def test_frame_phones():
    t = _track([(0.0, 0.02, SIL, 1), (0.02, 0.05, "m", 1), (0.05, 0.051, "a", 1)], 0.07)
    assert C.frame_phones(t) == [SIL, SIL, "m", "m", "m", "a", SIL]  # a phone gets at least one frame
    assert C.frame_phones(t, hop=0.02) == [SIL, "m", "a", SIL]  # 0.05 s is frame 2.5: rounds to 2 (half to even)


def test_agreement_is_about_the_mouth():
    a = _track([(0.0, 0.04, "m", 1), (0.04, 0.08, "s", 1), (0.08, 0.1, "a", 1)], 0.1)
    b = _track([(0.0, 0.04, "b", 1), (0.04, 0.08, "t", 1), (0.08, 0.1, "u", 1)], 0.1)
    ag = C.agreement(a, b)
    assert ag.dtype == np.float32 and len(ag) == 10
    assert (ag[:4] == 1.0).all()  # m / b: the same closed lips
    assert (ag[4:8] == 1.0).all()  # s / t: both B
    assert (ag[8:] < 0.7).all()  # a (open) / u (rounded): different classes, low similarity
    c = _track([(0.0, 0.1, "e", 1)], 0.1)
    d = _track([(0.0, 0.1, "i", 1)], 0.1)  # e is B, i is B too: agree fully
    assert (C.agreement(c, d) == 1.0).all()
    e = _track([(0.0, 0.1, "ɛ", 1)], 0.1)
    f = _track([(0.0, 0.1, "ɑ", 1)], 0.1)  # C vs D: both "open": at least 0.7
    assert (C.agreement(e, f) >= 0.7).all() and (C.agreement(e, f) < 1.0).all()
    short = _track([(0.0, 0.05, "m", 1)], 0.05)
    assert len(C.agreement(a, short)) == 5


def test_mark_disagreement_scales_by_the_mean_agreement():
    a = _track([(0.0, 0.04, "m", 0.8), (0.04, 0.1, "a", 0.9)], 0.1)
    b = _track([(0.0, 0.04, "p", 1.0), (0.04, 0.07, "a", 1.0), (0.07, 0.1, "u", 1.0)], 0.1)
    ag = C.agreement(a, b)
    C.mark_disagreement(a, b, weight=0.5)
    assert a.phones[0].confidence == pytest.approx(0.8)  # full agreement: unchanged
    want = 0.9 * (0.5 + 0.5 * float(ag[4:10].mean()))  # half the frames disagree
    assert a.phones[1].confidence == pytest.approx(want) and want < 0.9
    g = _track([(0.0, 0.1, "a", 1.0)], 0.1)
    C.mark_disagreement(g, _track([(0.0, 0.1, "u", 1.0)], 0.1), weight=1.0)
    assert g.phones[0].confidence == pytest.approx(float(C.agreement(_track([(0, 0.1, "a", 1)], 0.1),
                                                                     _track([(0, 0.1, "u", 1)], 0.1)).mean()))


def test_flatness_and_flat_posteriors():
    sure = np.log(np.array([[0.98, 0.01, 0.01]] * 5))
    flat = np.log(np.full((5, 3), 1 / 3))
    post = FramePosteriors(["a", "b", "c"], np.concatenate([sure, flat]).astype(np.float32))
    fl = C.flatness(post)
    assert fl.dtype == np.float32 and fl[:5].max() < 0.15 and np.allclose(fl[5:], 1.0, atol=1e-5)
    assert (C.flatness(FramePosteriors(["a"], np.zeros((3, 1), np.float32))) == 0).all()
    t = _track([(0.0, 0.05, "a", 0.9), (0.05, 0.1, "b", 0.9)], 0.1)
    C.mark_flat_posteriors(t, post)
    assert t.phones[0].confidence == 0.9  # certain frames: kept
    assert t.phones[1].confidence == pytest.approx(1.0 - float(fl[5:].mean()), abs=1e-6)  # ~0: flat
    t2 = _track([(0.0, 0.05, "a", 0.05), (0.05, 0.1, "b", 0.9)], 0.1)
    C.mark_flat_posteriors(t2, post, threshold=1.5)  # nothing is that flat: nothing changes
    assert [p.confidence for p in t2.phones] == [0.05, 0.9]


def test_mark_boundary_agreement_lowers_speech_next_to_a_disputed_boundary():
    t = _track([(0.0, 0.1, SIL, 1.0), (0.1, 0.2, "m", 1.0), (0.2, 0.3, "a", 1.0), (0.3, 0.4, "p", 1.0)], 0.4)
    C.mark_boundary_agreement(t, [False, True, False], factor=0.5)
    assert [p.confidence for p in t.phones] == [1.0, 0.5, 0.5, 0.5]  # silence untouched; m and a once each
    C.mark_boundary_agreement(t, [True, False, False, False, False])  # extra entries are ignored
    assert [p.confidence for p in t.phones] == [1.0, pytest.approx(0.4), pytest.approx(0.32), pytest.approx(0.4)]


def test_mark_disagreement_by_default_halves_the_doubt():
    """weight 0.5 by default: a phone whose every frame shows another mouth keeps half its confidence plus half
    of the (low) agreement; one that agrees everywhere keeps all of it."""
    a = _track([(0.0, 0.05, "m", 0.8), (0.05, 0.1, "a", 1.0)], 0.1)
    b = _track([(0.0, 0.05, "b", 1.0), (0.05, 0.1, "u", 1.0)], 0.1)
    s = float(C.agreement(_track([(0, 0.1, "a", 1)], 0.1), _track([(0, 0.1, "u", 1)], 0.1))[0])
    assert s < 0.7
    C.mark_disagreement(a, b)
    assert a.phones[0].confidence == pytest.approx(0.8)
    assert a.phones[1].confidence == pytest.approx(0.5 + 0.5 * s)


def test_a_phone_shorter_than_a_frame_is_judged_on_its_one_frame():
    # the last phone, "a", lasts 2 ms (frame 5 only); the other track shows "u" on frame 5, then silence as here
    a = _track([(0.0, 0.05, SIL, 1.0), (0.05, 0.052, "a", 1.0)], 0.1)
    b = _track([(0.0, 0.05, SIL, 1.0), (0.05, 0.06, "u", 1.0), (0.06, 0.1, SIL, 1.0)], 0.1)
    s = float(C.agreement(_track([(0, 0.01, "a", 1)], 0.01), _track([(0, 0.01, "u", 1)], 0.01))[0])
    assert s < 0.5  # open a against rounded u
    C.mark_disagreement(a, b, weight=1.0)
    assert a.phones[1].confidence == pytest.approx(s)  # frame 5 alone (frame 6 agrees, it is not the phone's)


def _post(flat_frames, n=10, k=3):
    """n frames over k labels: certain (0.98 on one label) except the frames in ``flat_frames`` (uniform)."""
    rows = []
    for i in range(n):
        if i in flat_frames:
            rows.append([1.0 / k] * k)
        else:
            rows.append([0.98] + [0.02 / (k - 1)] * (k - 1))
    return FramePosteriors([f"l{j}" for j in range(k)], np.log(np.array(rows)).astype(np.float32))


def test_flatness_with_two_labels_and_one():
    two = FramePosteriors(["a", "b"], np.log(np.array([[0.5, 0.5], [0.99, 0.01]])).astype(np.float32))
    # by hand: a coin flip is 1 bit of 1; 0.99/0.01 is -(0.99 log2 0.99 + 0.01 log2 0.01) = 0.0808 bit
    assert C.flatness(two) == pytest.approx([1.0, 0.0808], abs=1e-4)
    one = C.flatness(FramePosteriors(["a"], np.zeros((3, 1), np.float32)))
    assert one.shape == (3,) and (one == 0).all()  # one label: nothing to confuse, one value per frame


def test_flatness_ignores_a_constant_offset_per_frame():
    """Unnormalised log scores (here 800 below the log-probabilities) give the same flatness, with no underflow."""
    post = _post({4, 5, 6})
    low = FramePosteriors(post.labels, (post.log_probs.astype(np.float64) - 800.0).astype(np.float32))
    assert np.allclose(C.flatness(low), C.flatness(post), atol=1e-5)
    assert C.flatness(post)[5] == pytest.approx(1.0, abs=1e-5)


def test_flat_posteriors_cap_only_phones_mostly_over_flat_frames():
    post = _post({4, 5, 6, 7, 8, 9})  # frames 0-3 certain, 4-9 flat
    fl = C.flatness(post)
    t = _track([(0.0, 0.02, "a", 0.9), (0.02, 0.1, "b", 0.9)], 0.1)
    C.mark_flat_posteriors(t, post)
    assert t.phones[0].confidence == 0.9  # frames 0-1: certain
    assert t.phones[1].confidence == pytest.approx(1.0 - float(fl[2:10].mean()), abs=1e-6)  # 6 of 8 flat
    # exactly half the frames flat is not "mostly": kept
    half = _track([(0.0, 0.03, "a", 0.9), (0.03, 0.05, "b", 0.9), (0.05, 0.1, "c", 0.9)], 0.1)
    C.mark_flat_posteriors(half, _post({4, 5, 6, 7, 8, 9}))
    assert half.phones[1].confidence == 0.9  # frames 3 (certain) and 4 (flat)


def test_flat_posteriors_judge_a_sub_frame_phone_on_its_one_frame():
    post = _post({6, 8, 9})  # frame 6 flat, frame 7 certain
    fl = C.flatness(post)
    t = _track([(0.0, 0.06, SIL, 1.0), (0.06, 0.062, "m", 0.9), (0.062, 0.1, SIL, 1.0)], 0.1)
    C.mark_flat_posteriors(t, post)
    assert t.phones[1].confidence == pytest.approx(1.0 - float(fl[6]), abs=1e-6)


def test_boundary_agreement_on_a_single_phone_has_nothing_to_lower():
    t = _track([(0.0, 0.1, "m", 1.0)], 0.1)
    C.mark_boundary_agreement(t, [False])  # no boundary inside one phone: a stray entry is ignored
    assert t.phones[0].confidence == 1.0
