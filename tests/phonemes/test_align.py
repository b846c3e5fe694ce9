"""Forced alignment, free decoding and CTC spikes over frame posteriors."""
import itertools

import numpy as np
import pytest

from lipsync.errors import AlignmentError
from lipsync.phonemes.align import (
    decode, emission_matrix, forced_align, fuse_tracks, phone_similarity, refine_boundaries, similar_labels, spikes_to_segments,
)
from lipsync.phonemes.types import SIL, FramePosteriors, PhoneTrack, TimedPhone

LABELS = ["sil", "p", "a", "t", "i", "s", "m", "u", "k", "ɛ", "n", "l"]


def _post_from_truth(truth, labels=LABELS, noise=0.0, seed=0, peak=-0.1, floor=-5.0):
    """truth: list of (label, n_frames) -> normalised log posteriors."""
    rng = np.random.default_rng(seed)
    lab = np.concatenate([[labels.index(p)] * n for p, n in truth])
    T, K = len(lab), len(labels)
    lp = np.full((T, K), floor, np.float32)
    lp[np.arange(T), lab] = peak
    if noise:
        lp += rng.normal(0, noise, lp.shape).astype(np.float32)
    lp -= np.log(np.exp(lp).sum(1, keepdims=True))
    return FramePosteriors(list(labels), lp)


def _starts(truth, hop=0.01):
    out, t = [], 0
    for p, n in truth:
        out.append((p, round(t * hop, 4)))
        t += n
    return out


def test_forced_align_recovers_exact_boundaries_and_words():
    truth = [("sil", 10), ("m", 6), ("a", 12), ("p", 5), ("sil", 8), ("s", 9), ("i", 7), ("sil", 10)]
    post = _post_from_truth(truth, noise=0.3)
    tr = forced_align(post, ["m", "a", "p", "s", "i"], words=[("map", 3), ("see", 2)])
    want = _starts(truth)
    assert [p.phone for p in tr.phones] == [p for p, _ in want]
    # sub-frame refinement moves boundaries by at most half a frame (here only noise moves them)
    assert [p.start for p in tr.phones] == pytest.approx([t for _, t in want], abs=0.003)
    assert [w.text for w in tr.words] == ["map", "see"]
    assert tr.words[0].start == pytest.approx(0.10, abs=0.003) and tr.words[1].start == pytest.approx(0.41, abs=0.003)
    grid = forced_align(post, ["m", "a", "p", "s", "i"], words=[("map", 3), ("see", 2)], refine=0)
    assert [(p.phone, round(p.start, 4)) for p in grid.phones] == want
    assert tr.phones[-1].end == pytest.approx(tr.duration)
    assert all(p.confidence > 0.5 for p in tr.phones)
    assert not tr.warnings


def test_forced_align_no_silence_between_phones_of_a_word():
    # silence in the middle of one word is not allowed: the aligner must absorb it
    truth = [("m", 10), ("sil", 10), ("a", 10)]
    post = _post_from_truth(truth)
    tr = forced_align(post, ["m", "a"], words=[("ma", 2)])
    assert [p.phone for p in tr.phones] == ["m", "a"]
    tr2 = forced_align(post, ["m", "a"], words=[("m", 1), ("a", 1)])
    assert [p.phone for p in tr2.phones] == ["m", SIL, "a"]


def _brute_force_best(E, n):
    T = E.shape[0]
    best = -np.inf
    for cuts in itertools.combinations(range(1, T), n - 1):
        b = (0,) + cuts + (T,)
        s = sum(E[b[i]:b[i + 1], i].sum() for i in range(n))
        best = max(best, s)
    return best


def test_forced_align_is_the_optimal_path():
    rng = np.random.default_rng(3)
    for trial in range(5):
        T, seq = 11, ["p", "a", "t", "i"]
        lp = rng.normal(0, 2, (T, len(LABELS))).astype(np.float32)
        lp -= np.log(np.exp(lp).sum(1, keepdims=True))
        post = FramePosteriors(LABELS, lp)
        tr = forced_align(post, seq, optional_silence=False, min_duration=0.01, refine=0)
        # the aligner's emission scores (a phone's own label plus its near twins: similarity.pooled_labels)
        E = emission_matrix(post, seq)
        got = sum(E[int(round(p.start / 0.01)):int(round(p.end / 0.01)), seq.index(p.phone)].sum()
                  for p in tr.phones)
        assert got == pytest.approx(_brute_force_best(E, len(seq)), abs=1e-3)


def test_missing_phone_is_scored_by_similar_labels():
    # "b" is not in the inventory: it must be aligned where "p"/"m" (bilabials) are likely
    truth = [("sil", 10), ("a", 10), ("p", 10), ("a", 10), ("sil", 10)]
    post = _post_from_truth(truth, noise=0.2)
    tr = forced_align(post, ["a", "b", "a"])
    b = [p for p in tr.phones if p.phone == "b"][0]
    assert b.start == pytest.approx(0.20, abs=0.003) and b.end == pytest.approx(0.30, abs=0.003)
    assert similar_labels("b", LABELS)[0][0] == LABELS.index("p")
    assert phone_similarity("b", "p") > phone_similarity("b", "s") > phone_similarity("b", "a")
    assert phone_similarity("ɪ", "i") > phone_similarity("ɪ", "u")


def test_mismatched_transcript_is_warned_not_crashed():
    truth = [("sil", 10), ("s", 10), ("i", 10), ("sil", 10)] * 4
    post = _post_from_truth(truth, noise=0.2)
    tr = forced_align(post, ["m", "u", "p", "u", "m", "u", "p", "u"], words=[("moo", 2), ("poo", 2)] * 2)
    assert tr.warnings and "transcript" in tr.warnings[0]
    assert tr.review_spans()


def test_transcript_longer_than_audio_is_a_clear_error():
    post = _post_from_truth([("a", 5)])
    with pytest.raises(AlignmentError, match="transcript"):
        forced_align(post, ["a", "p", "a", "p", "a", "p", "a"])


def _brute_force_decode(lp, m, pen, m_sil=None):
    T, K = lp.shape
    best = -np.inf
    for path in itertools.product(range(K), repeat=T):
        runs = [(k, len(list(g))) for k, g in itertools.groupby(path)]
        if any(n < (m_sil if (k == 0 and m_sil) else m) for k, n in runs):
            continue
        s = lp[np.arange(T), path].sum() - pen * (len(runs) - 1)
        best = max(best, s)
    return best


def test_decode_is_optimal_with_minimum_duration():
    rng = np.random.default_rng(7)
    labels = ["sil", "a", "p"]
    for trial in range(4):
        lp = rng.normal(0, 2, (9, 3)).astype(np.float32)
        lp -= np.log(np.exp(lp).sum(1, keepdims=True))
        post = FramePosteriors(labels, lp)
        tr = decode(post, min_frames=3, switch_penalty=0.5)
        path = np.zeros(9, int)
        for p in tr.phones:
            path[int(round(p.start / 0.01)):int(round(p.end / 0.01))] = labels.index(p.phone)
        runs = [len(list(g)) for _, g in itertools.groupby(path)]
        assert min(runs) >= 3
        got = lp[np.arange(9), path].sum() - 0.5 * (len(runs) - 1)
        assert got == pytest.approx(_brute_force_decode(lp, 3, 0.5), abs=1e-3)


def test_decode_with_longer_silence_minimum_is_optimal():
    rng = np.random.default_rng(11)
    labels = ["sil", "a", "p"]
    for trial in range(3):
        lp = rng.normal(0, 2, (9, 3)).astype(np.float32)
        lp -= np.log(np.exp(lp).sum(1, keepdims=True))
        tr = decode(FramePosteriors(labels, lp), min_frames=2, switch_penalty=0.3, silence_min_frames=4)
        path = np.zeros(9, int)
        for p in tr.phones:
            path[int(round(p.start / 0.01)):int(round(p.end / 0.01))] = labels.index(p.phone)
        runs = [(k, len(list(g))) for k, g in itertools.groupby(path)]
        assert all(n >= (4 if k == 0 else 2) for k, n in runs)
        got = lp[np.arange(9), path].sum() - 0.3 * (len(runs) - 1)
        assert got == pytest.approx(_brute_force_decode(lp, 2, 0.3, m_sil=4), abs=1e-3)


def test_decode_removes_flicker():
    truth = [("sil", 20), ("a", 15), ("p", 1), ("a", 15), ("sil", 20)]
    post = _post_from_truth(truth, peak=-0.5, floor=-2.0)
    tr = decode(post, min_frames=3)
    assert [p.phone for p in tr.phones] == [SIL, "a", SIL]
    assert all(p.duration >= 0.03 - 1e-9 for p in tr.phones)


def test_beam_gives_the_unpruned_path_on_60s():
    """The beam only saves memory and time (measured in bench/bench_model.py, not here): same path as the
    unpruned search, on a 60 s clip."""
    rng = np.random.default_rng(0)
    labels = LABELS + ["o", "f", "v", "ð", "ʃ", "e", "ə", "ɹ", "w", "j", "b", "d", "ɡ", "z", "ʊ", "ɪ"]
    T, K = 6000, len(labels)
    lab = np.repeat(rng.integers(0, K, 600), 10)
    lp = np.full((T, K), -4.0, np.float32)
    lp[np.arange(T), lab] = -0.2
    lp += rng.normal(0, 1, lp.shape).astype(np.float32)
    lp -= np.log(np.exp(lp).sum(1, keepdims=True))
    post = FramePosteriors(labels, lp)
    phones = [labels[k] for k in lab[::10] if k != 0]
    tr = forced_align(post, phones, [("w", 1)] * len(phones))
    full = forced_align(post, phones, [("w", 1)] * len(phones), beam=float("inf"))
    assert [(p.start, p.phone) for p in tr.phones] == [(p.start, p.phone) for p in full.phones]


def test_spikes_to_segments_gives_full_segments():
    # CTC-like: blank everywhere, one spike per phone, but the phone identity is
    # visible (second best) across the whole phone
    labels = ["<blk>", "m", "a", "s"]
    truth = [(None, 20), ("m", 10), ("a", 20), ("s", 15), (None, 20)]
    T = sum(n for _, n in truth)
    lp = np.full((T, 4), -6.0, np.float32)
    t = 0
    for p, n in truth:
        lp[t:t + n, 0] = -0.05
        if p is not None:
            lp[t:t + n, labels.index(p)] = -3.0
            lp[t + n // 2, labels.index(p)] = -0.01  # the spike
            lp[t + n // 2, 0] = -5.0
        t += n
    post = FramePosteriors(labels, lp)
    tr = spikes_to_segments(post)
    speech = [(p.phone, p.start, p.end) for p in tr.phones if p.phone != SIL]
    assert [p for p, _, _ in speech] == ["m", "a", "s"]
    want = [(0.2, 0.3), (0.3, 0.5), (0.5, 0.65)]
    for (_, a, b), (wa, wb) in zip(speech, want):
        # inner boundaries come from the posteriors, outer ones from spike distance
        assert a == pytest.approx(wa, abs=0.05) and b == pytest.approx(wb, abs=0.05)
    assert speech[1][1] == pytest.approx(0.3, abs=0.015) and speech[2][1] == pytest.approx(0.5, abs=0.015)


def test_review_spans_where_recognisers_disagree_or_posteriors_are_flat():
    from lipsync.phonemes.confidence import agreement, flatness, mark_disagreement, mark_flat_posteriors
    from lipsync.phonemes.types import PhoneTrack, TimedPhone

    a = PhoneTrack([TimedPhone(0, 0.2, SIL), TimedPhone(0.2, 0.4, "m"), TimedPhone(0.4, 0.6, "a"),
                    TimedPhone(0.6, 0.8, SIL)], 0.8)
    b = PhoneTrack([TimedPhone(0, 0.2, SIL), TimedPhone(0.2, 0.4, "b"), TimedPhone(0.4, 0.6, "u"),
                    TimedPhone(0.6, 0.8, SIL)], 0.8)
    ag = agreement(a, b)
    assert ag[:20].min() == 1.0 and ag[25] == 1.0 and ag[45] < 0.5  # m/b: same mouth; a/u: not
    mark_disagreement(a, b, weight=1.0)
    assert a.review_spans() == [(0.4, 0.6)]
    # flat posteriors in the middle of a clip
    truth = [("sil", 20), ("a", 20), ("sil", 20)]
    post = _post_from_truth(truth)
    post.log_probs[20:40] = np.log(1.0 / len(LABELS))
    fl = flatness(post)
    assert fl[:20].max() < 0.2 and fl[25] == pytest.approx(1.0, abs=1e-5)
    tr = PhoneTrack([TimedPhone(0, 0.2, SIL), TimedPhone(0.2, 0.4, "a"), TimedPhone(0.4, 0.6, SIL)], 0.6)
    mark_flat_posteriors(tr, post)
    assert tr.review_spans() == [(0.2, 0.4)]


@pytest.mark.parametrize("x", [9.6, 10.0, 10.3])
def test_refinement_finds_sub_frame_boundary(x):
    # two phones whose log-odds fall linearly through zero at frame-centre coordinate x (frames)
    T = 20
    centres = np.arange(T) + 0.5
    d = 3.0 * (x - centres)
    la = -np.logaddexp(0, -d)  # log sigmoid(d)
    lb = -np.logaddexp(0, d)
    post = FramePosteriors(["a", "s"], np.stack([la, lb], 1).astype(np.float32))
    tr = forced_align(post, ["a", "s"], optional_silence=False, min_duration=0.01)
    assert [p.phone for p in tr.phones] == ["a", "s"]
    assert tr.phones[1].start == pytest.approx(x * 0.01, abs=5e-4)
    grid = forced_align(post, ["a", "s"], optional_silence=False, min_duration=0.01, refine=0)
    assert round(grid.phones[1].start / 0.01) == round(grid.phones[1].start / 0.01, 6)  # on the grid


def test_refine_boundaries_bounds():
    E = np.log(np.full((6, 2), 0.5))
    E[:3, 0], E[3:, 1] = 0.0, 0.0
    E[:3, 1], E[3:, 0] = -9.0, -9.0
    t = refine_boundaries(E, np.array([3]), np.array([0, 1]), 0.01)
    assert t[0] == pytest.approx(0.03)  # symmetric step: stays on the grid
    # scores that do not cross where the path switches: the grid time is kept
    t = refine_boundaries(-E, np.array([3]), np.array([0, 1]), 0.01)
    assert t[0] == pytest.approx(0.03)
    # a one-frame segment cannot be pushed past its middle
    E2 = np.array([[0, -9, -9], [-9, 0, -9], [-9, -9, 0]], dtype=float)
    t = refine_boundaries(E2, np.array([1, 2]), np.array([0, 1, 2]), 0.01)
    assert np.all(np.diff(t) > 0) and np.all(np.abs(t - [0.01, 0.02]) <= 0.005 + 1e-12)


def _track(rows, words=()):
    return PhoneTrack([TimedPhone(s, e, p, 0.9, w) for s, e, p, w in rows], rows[-1][1])


def test_fuse_tracks_averages_agreeing_boundaries_only():
    a = _track([(0, .10, "sil", None), (.10, .20, "m", "ma"), (.20, .30, "a", "ma"), (.30, .50, "sil", None)])
    b = _track([(0, .12, "sil", None), (.12, .24, "m", None), (.24, .40, "ɛ", None), (.40, .50, "sil", None)])
    out, agreed = fuse_tracks(a, b, weight=0.5, secondary_offset=0.0, max_gap=0.06)
    assert [p.phone for p in out.phones] == ["sil", "m", "a", "sil"]
    # sil|m and m|a? m|a borders a mismatched vowel, so only sil|m is averaged
    assert agreed.tolist() == [True, False, False]
    assert out.phones[1].start == pytest.approx(0.11) and out.phones[0].end == pytest.approx(0.11)
    assert out.phones[2].start == pytest.approx(0.20) and out.phones[3].start == pytest.approx(0.30)
    assert a.phones[1].start == pytest.approx(0.10)  # the input is not modified
    # far-apart boundaries are not averaged; an offset shifts the secondary's times
    out, agreed = fuse_tracks(a, b, weight=1.0, secondary_offset=-0.02, max_gap=0.01)
    assert agreed.tolist() == [True, False, False] and out.phones[1].start == pytest.approx(0.10)
    out, agreed = fuse_tracks(a, b, weight=0.5, secondary_offset=0.1, max_gap=0.06)
    assert not agreed.any() and out.phones[1].start == pytest.approx(0.10)


def test_pronunciation_variants_from_the_dictionary():
    labels = ["sil", "ð", "ʌ", "i", "aɪ", "ɝ"]
    truth = [("sil", 8), ("aɪ", 12), ("ð", 6), ("ɝ", 10), ("sil", 8)]  # "either" said the other way
    post = _post_from_truth(truth, labels=labels, noise=0.2)
    first = ["i", "ð", "ɝ"]  # the dictionary's first pronunciation
    plain = forced_align(post, first, words=[("either", 3)], variants=None)
    assert [p.phone for p in plain.phones if p.phone != SIL] == first
    tr = forced_align(post, first, words=[("either", 3)])
    assert [p.phone for p in tr.phones if p.phone != SIL] == ["aɪ", "ð", "ɝ"]
    assert [p.word for p in tr.phones if p.phone != SIL] == ["either"] * 3
    assert tr.phones[1].start == pytest.approx(0.08, abs=0.005)
    # given phones that are not the dictionary's first pronunciation are left alone; other languages too
    assert [p.phone for p in forced_align(post, ["ʌ", "ð", "ɝ"], words=[("either", 3)]).phones
            if p.phone != SIL] == ["ʌ", "ð", "ɝ"]
    assert [p.phone for p in forced_align(post, first, words=[("either", 3)], language="fra").phones
            if p.phone != SIL] == first
    # explicit variants
    tr = forced_align(post, ["ʌ", "ð", "ɝ"], words=[("x", 3)], variants={"x": [["aɪ", "ð", "ɝ"]]})
    assert [p.phone for p in tr.phones if p.phone != SIL] == ["aɪ", "ð", "ɝ"]


# ---------------------------------------------------------------- decode: the details
def _onehot(frames, labels, sure=0.9):
    K = len(labels)
    p = np.full((len(frames), K), (1 - sure) / (K - 1))
    p[np.arange(len(frames)), [labels.index(f) for f in frames]] = sure
    return FramePosteriors(labels, np.log(p).astype(np.float32), source="clip.wav")


def test_decode_segments_times_and_fields():
    labels = ["sil", "m", "a"]
    post = _onehot(["sil"] * 5 + ["m"] * 4 + ["a"] * 6, labels)
    tr = decode(post, min_frames=2, switch_penalty=0.0, duration=0.2, recognizer="model", language="fra")
    assert [(round(p.start, 6), round(p.end, 6), p.phone) for p in tr.phones] == \
        [(0.0, 0.05, SIL), (0.05, 0.09, "m"), (0.09, 0.2, "a")]  # the last phone runs to the clip's end
    assert (tr.recognizer, tr.language, tr.source, tr.duration) == ("model", "fra", "clip.wav", 0.2)
    assert all(0.9 < p.confidence <= 1.0 for p in tr.phones)  # sure posteriors: sure mouths
    assert decode(post, min_frames=2, switch_penalty=0.0).duration == pytest.approx(0.15)  # T * hop


def test_decode_minimums_and_penalty():
    labels = ["sil", "m", "a"]
    post = _onehot(["sil"] * 6 + ["m"] * 2 + ["a"] * 6 + ["sil"] * 6, labels, sure=0.6)
    assert [p.phone for p in decode(post, min_frames=2, switch_penalty=0.0).phones] == [SIL, "m", "a", SIL]
    # m may borrow a frame to last 3 (gain 2 log 3 - log 3 > 0), not 3 frames to last 5 (2 log 3 - 3 log 3 < 0)
    assert [p.phone for p in decode(post, min_frames=3, switch_penalty=0.0).phones] == [SIL, "m", "a", SIL]
    assert "m" not in [p.phone for p in decode(post, min_frames=5, switch_penalty=0.0).phones]
    # each change costs the penalty: 2 frames of m gain 2 log 3 = 2.2 < 3, and 6 of a gain 6.6 < 2 x 5
    assert [p.phone for p in decode(post, min_frames=2, switch_penalty=3.0).phones] == [SIL, "a", SIL]
    assert [p.phone for p in decode(post, min_frames=2, switch_penalty=5.0).phones] == [SIL]
    # silence may have to last longer than speech
    gap = _onehot(["a"] * 6 + ["sil"] * 3 + ["a"] * 6, labels, sure=0.6)
    assert [p.phone for p in decode(gap, min_frames=2, switch_penalty=0.0).phones] == ["a", SIL, "a"]
    assert [p.phone for p in decode(gap, min_frames=2, switch_penalty=0.0, silence_min_frames=7).phones] == ["a"]
    # a clip shorter than the minimum still decodes (the minimum shrinks to the clip)
    tiny = decode(_onehot(["a", "a"], labels), min_frames=5)
    assert [p.phone for p in tiny.phones] == ["a"] and tiny.phones[0].end == pytest.approx(0.02)


def test_decode_joins_labels_with_the_same_ipa_and_rejects_bad_shapes():
    post = _onehot(["g"] * 3 + ["ɡ"] * 3, ["sil", "g", "ɡ"])  # ASCII g and IPA ɡ: one phone
    assert [(p.phone, round(p.end, 6)) for p in decode(post, min_frames=1, switch_penalty=0.0).phones] == [("ɡ", 0.06)]
    with pytest.raises(AlignmentError, match=r"log_probs must be \[frames, 3\], got \(4, 2\)"):
        decode(FramePosteriors(["a", "b", "c"], np.zeros((4, 2), np.float32)))
    empty = decode(FramePosteriors(["sil", "a"], np.zeros((0, 2), np.float32)), duration=0.5)
    assert [(p.start, p.end, p.phone, p.confidence) for p in empty.phones] == [(0.0, 0.5, SIL, 1.0)]
    assert decode(FramePosteriors(["sil", "a"], np.zeros((0, 2), np.float32))).duration == 0.0


@pytest.mark.parametrize("seed", range(12))
def test_decode_is_optimal_on_many_small_cases(seed):
    """Against brute force over every path: clip lengths from 1 frame, minimums of 1-4 frames (and longer
    silences), with and without a switch penalty."""
    rng = np.random.default_rng(100 + seed)
    labels = ["sil", "a", "p"]
    T = int(rng.integers(1, 9))
    m = int(rng.integers(1, 5))
    pen = float(rng.choice([0.0, 0.7]))
    m_sil = int(m + rng.integers(0, 3)) if seed % 2 else None
    lp = rng.normal(0, 2, (T, 3)).astype(np.float32)
    lp -= np.log(np.exp(lp).sum(1, keepdims=True))
    tr = decode(FramePosteriors(labels, lp), min_frames=m, switch_penalty=pen, silence_min_frames=m_sil)
    path = np.zeros(T, int)
    for p in tr.phones:
        path[int(round(p.start / 0.01)):int(round(p.end / 0.01))] = labels.index(p.phone)
    runs = [(k, len(list(g))) for k, g in itertools.groupby(path)]
    mm, ms = min(m, T), min(m_sil, T) if m_sil else min(m, T)
    assert all(n >= (ms if k == 0 else mm) for k, n in runs), runs
    got = lp[np.arange(T), path].sum() - pen * (len(runs) - 1)
    assert got == pytest.approx(_brute_force_decode(lp, mm, pen, m_sil=ms), abs=1e-3)
    assert tr.phones[0].start == 0.0 and tr.phones[-1].end == pytest.approx(T * 0.01)


# ---------------------------------------------------------------- fusion: the details
def test_fused_words_follow_their_phones_and_boundaries_keep_order():
    from lipsync.phonemes.types import TimedWord

    a = _track([(0, .10, "sil", None), (.10, .20, "m", "ma"), (.20, .30, "a", "ma"), (.30, .35, "sil", None),
                (.35, .45, "p", "pa"), (.45, .60, "a", "pa"), (.60, .70, "sil", None)])
    a.words = [TimedWord(.10, .30, "ma"), TimedWord(.35, .60, "pa")]
    b = _track([(0, .12, "sil", None), (.12, .22, "m", None), (.22, .30, "a", None), (.30, .37, "sil", None),
                (.37, .47, "p", None), (.47, .64, "a", None), (.64, .70, "sil", None)])
    out, agreed = fuse_tracks(a, b, weight=0.5, max_gap=0.06)
    assert agreed.all() and len(agreed) == 6
    ends = [p.end for p in out.phones]
    assert ends[:-1] == pytest.approx([0.11, 0.21, 0.30, 0.36, 0.46, 0.62])
    assert [(round(w.start, 6), round(w.end, 6), w.text) for w in out.words] == [(0.11, 0.30, "ma"), (0.36, 0.62, "pa")]
    assert [(p.start, p.end) for p in a.phones][1] == (0.10, 0.20)  # the input stays as it was
    # exactly max_gap apart still counts as agreeing
    edge = _track([(0, .75, "sil", None), (.75, 1.5, "m", None), (1.5, 2.0, "a", None)])
    base = _track([(0, .5, "sil", None), (.5, 1.5, "m", None), (1.5, 2.0, "a", None)])
    _, ag = fuse_tracks(base, edge, weight=0.5, max_gap=0.25)  # 0.75 - 0.5 == 0.25 exactly
    assert ag.tolist() == [True, True]
    _, ag = fuse_tracks(base, edge, weight=0.5, max_gap=0.125)
    assert ag.tolist() == [False, True]


def test_fusion_never_reorders_or_empties_a_phone():
    a = _track([(0, .10, "sil", None), (.10, .11, "t", None), (.11, .30, "a", None)])
    b = _track([(0, .16, "sil", None), (.16, .17, "t", None), (.17, .30, "a", None)])
    out, _ = fuse_tracks(a, b, weight=1.0, max_gap=0.1)  # pulled past each other: clipped to keep the order
    ends = [p.end for p in out.phones]
    assert all(p.end > p.start for p in out.phones) and ends == sorted(ends)
    assert out.phones[0].start == 0.0 and out.phones[-1].end == pytest.approx(0.30)
    one = _track([(0, .3, "a", None)])
    o1, g1 = fuse_tracks(one, b)
    assert len(g1) == 0 and [(p.start, p.end) for p in o1.phones] == [(0, .3)]
    o2, g2 = fuse_tracks(a, PhoneTrack([], 0.3))
    assert not g2.any() and [(p.start, p.end) for p in o2.phones] == [(p.start, p.end) for p in a.phones]


# ---------------------------------------------------------------- CTC: the details
def test_ctc_greedy_collapses_repeats_and_drops_blanks_and_silence():
    from lipsync.phonemes.align import ctc_greedy

    labels = ["<blk>", "m", "a", "sil"]
    best = [0, 1, 1, 0, 1, 2, 2, 3, 0, 2]
    lp = np.full((len(best), 4), -5.0, np.float32)
    lp[np.arange(len(best)), best] = -0.1
    assert ctc_greedy(FramePosteriors(labels, lp)) == [(1, "m"), (4, "m"), (5, "a"), (9, "a")]
    # another blank symbol, or none at all (then nothing is dropped but silence)
    assert ctc_greedy(FramePosteriors(["_", "m", "a", "sil"], lp), blank="_") == [(1, "m"), (4, "m"), (5, "a"), (9, "a")]
    no_blank = FramePosteriors(["x", "m", "a", "sil"], lp)
    assert ctc_greedy(no_blank)[0] == (0, "x")


def test_spikes_to_segments_with_silence_evidence_and_given_phones():
    labels = ["<blk>", "m", "a"]
    T = 60
    lp = np.full((T, 3), -6.0, np.float32)
    lp[:, 0] = -0.05
    lp[10:25, 1], lp[25:40, 2] = -3.0, -3.0
    lp[17, 1], lp[17, 0] = -0.01, -5.0
    lp[32, 2], lp[32, 0] = -0.01, -5.0
    post = FramePosteriors(labels, lp, source="c.wav")
    quiet = np.ones(20)  # shorter than the clip: padded with its last value (quiet)
    quiet[8:] = 0.0
    tr = spikes_to_segments(post, silence_evidence=quiet, duration=0.62, recognizer="allosaurus", language="xyz")
    assert [p.phone for p in tr.phones if p.phone != SIL] == ["m", "a"]
    assert (tr.recognizer, tr.language, tr.source) == ("allosaurus", "xyz", "c.wav")
    assert tr.phones[-1].end == pytest.approx(0.62) and tr.phones[0].phone == SIL
    # the phones to place can be given (a transcript), and an empty list rests
    given = spikes_to_segments(post, ["a", "m", "sil"], duration=0.6)
    assert [p.phone for p in given.phones if p.phone != SIL] == ["a", "m"]
    rest = spikes_to_segments(post, [SIL], recognizer="r")
    assert [(p.start, p.end, p.phone, p.confidence) for p in rest.phones] == [(0.0, 0.6, SIL, 1.0)]
    assert rest.recognizer == "r"
    # an inventory with its own silence label and no blank works too
    with_sil = FramePosteriors(["sil", "m", "a"], np.log(np.full((T, 3), 1 / 3, np.float32)))
    assert spikes_to_segments(with_sil, ["m"]).phones  # aligns without error


# ---------------------------------------------------------------- forced alignment against brute force
def _compositions(T, mins):
    """Every way to split T frames into len(mins) runs, run i at least mins[i] long."""
    if not mins:
        if T == 0:
            yield ()
        return
    for n in range(mins[0], T - sum(mins[1:]) + 1):
        for rest in _compositions(T - n, mins[1:]):
            yield (n,) + rest


def _brute_force_align(E, cols, words, m, m_sil, pen):
    """Best score over every path: optional silences before, between and after words (each costs ``pen``)."""
    units = [("S", None)]
    for w in words:
        units += [("P", c) for c in w] + [("S", None)]
    opt = [i for i, u in enumerate(units) if u[0] == "S"]
    best = -np.inf
    T = E.shape[0]
    for keep in itertools.product([False, True], repeat=len(opt)):
        chosen = [u for i, u in enumerate(units) if u[0] == "P" or keep[opt.index(i)]]
        mins = [m_sil if u[0] == "S" else m for u in chosen]
        for lens in _compositions(T, mins):
            t, s = 0, 0.0
            for (kind, c), n in zip(chosen, lens):
                s += E[t:t + n, cols["sil"] if kind == "S" else c].sum() - (pen if kind == "S" else 0.0)
                t += n
            best = max(best, s)
    return best


@pytest.mark.parametrize("seed", range(10))
def test_forced_align_is_optimal_against_brute_force(seed):
    from lipsync.phonemes.align.similarity import emission_matrix

    rng = np.random.default_rng(200 + seed)
    labels = ["sil", "p", "a", "t", "i"]
    T = int(rng.integers(7, 11))
    words = [[str(rng.choice(labels[1:]))] for _ in range(int(rng.integers(1, 3)))]
    if seed % 3 == 0:
        words[0].append(str(rng.choice(labels[1:])))
    pen = float(rng.choice([0.0, 1.5]))
    lp = rng.normal(0, 2, (T, len(labels))).astype(np.float32)
    lp -= np.log(np.exp(lp).sum(1, keepdims=True))
    post = FramePosteriors(labels, lp)
    phones = [p for w in words for p in w]
    tr = forced_align(post, phones, [(f"w{i}", len(w)) for i, w in enumerate(words)], min_duration=0.02,
                      silence_penalty=pen, refine=0.0, variants=None)
    targets = sorted(set(phones) | {"sil"})
    E = emission_matrix(post, targets)
    cols = {p: j for j, p in enumerate(targets)}
    n_req = len(phones)
    m = 2 if n_req * 2 <= T else 1
    m_sil = max(m, 2) if n_req * m + 2 <= T else m
    got = 0.0
    for p in tr.phones:
        a, b = int(round(p.start / 0.01)), int(round(p.end / 0.01))
        got += E[a:b, cols[p.phone]].sum() - (pen if p.phone == SIL else 0.0)
    want = _brute_force_align(E, cols, [[cols[p] for p in w] for w in words], m, m_sil, pen)
    assert got == pytest.approx(want, abs=1e-3)
    assert [p.phone for p in tr.phones if p.phone != SIL] == phones
    assert [w.text for w in tr.words] == [f"w{i}" for i in range(len(words))]


def test_pronunciation_score_is_the_best_monotone_path():
    from lipsync.phonemes.align.forced import pronunciation_score

    rng = np.random.default_rng(3)
    for L, n in ((1, 1), (4, 2), (6, 3), (5, 5)):
        E = rng.normal(size=(L, n))
        want = max(sum(E[t, k] for k, (a, b) in enumerate(zip((0,) + tuple(np.cumsum(c)[:-1]), np.cumsum(c)))
                       for t in range(a, b)) for c in _compositions(L, [1] * n))
        assert pronunciation_score(E) == pytest.approx(want)
    assert pronunciation_score(np.zeros((2, 3))) < -1e29 and pronunciation_score(np.zeros((2, 0))) < -1e29


def test_forced_align_errors_say_what_to_do():
    post = _post_from_truth([("sil", 5), ("a", 5)])
    with pytest.raises(AlignmentError, match=r"words cover 2 phones but 1 phones were given; pass \(word, number"):
        forced_align(post, ["a"], words=[("a", 2)])
    with pytest.raises(AlignmentError, match="variants must be 'auto', None or a dict, not 'cmu'"):
        forced_align(post, ["a"], words=[("a", 1)], variants="cmu")
    with pytest.raises(AlignmentError, match=r"log_probs must be \[frames, 12\]"):
        forced_align(FramePosteriors(LABELS, np.zeros((3, 2), np.float32)), ["a"])
    with pytest.raises(AlignmentError, match="no frames to align to: the audio is empty"):
        forced_align(FramePosteriors(LABELS, np.zeros((0, len(LABELS)), np.float32)), ["a"])
    with pytest.raises(AlignmentError, match="4 phones cannot fit in 3 frames"):
        forced_align(FramePosteriors(LABELS, np.zeros((3, len(LABELS)), np.float32)), ["a", "p", "a", "p"])
    only_sil = forced_align(post, [SIL], duration=0.12, recognizer="r")
    assert [(p.start, p.end, p.phone) for p in only_sil.phones] == [(0.0, 0.12, SIL)] and only_sil.recognizer == "r"


def test_minimum_duration_shrinks_to_fit_and_silences_need_two_frames():
    post = _post_from_truth([("a", 2), ("p", 2), ("a", 2)])
    tr = forced_align(post, ["a", "p", "a"], min_duration=0.05, refine=0.0)  # 3 x 5 frames do not fit in 6
    assert [(round(p.start, 3), p.phone) for p in tr.phones] == [(0.0, "a"), (0.02, "p"), (0.04, "a")]
    # a required silence inside the phones stays (and merges with an optional one beside it)
    post2 = _post_from_truth([("sil", 4), ("a", 4), ("sil", 4), ("p", 4), ("sil", 4)])
    tr2 = forced_align(post2, ["a", SIL, "p"], refine=0.0)
    assert [p.phone for p in tr2.phones] == [SIL, "a", SIL, "p", SIL]
    no_opt = forced_align(post2, ["a", "p"], optional_silence=False, refine=0.0)
    assert [p.phone for p in no_opt.phones] == ["a", "p"] and no_opt.phones[0].start == 0.0


def test_a_poor_fit_warns_and_word_confidence_is_its_lowest_phone():
    good = forced_align(_post_from_truth([("sil", 5), ("m", 5), ("a", 5), ("sil", 5)]), ["m", "a"],
                        words=[("ma", 2)], refine=0.0)
    assert not good.warnings
    assert good.words[0].confidence == min(p.confidence for p in good.phones if p.word == "ma")
    bad = forced_align(_post_from_truth([("sil", 5), ("i", 10), ("sil", 5)]), ["m", "u", "p"],
                       words=[("mup", 3)])
    assert bad.warnings and bad.warnings[0].startswith("the transcript fits the audio poorly (mean phone confidence")
    unnamed = forced_align(_post_from_truth([("sil", 5), ("a", 5)]), ["a"], words=[("", 1)])
    assert unnamed.words == [] and all(p.word is None for p in unnamed.phones)


def test_refine_boundaries_by_hand():
    from lipsync.phonemes.align.forced import refine_boundaries

    E = np.array([[0.0, -4.0], [0.0, -4.0], [-1.0, -3.0], [-3.0, -1.0], [-4.0, 0.0], [-4.0, 0.0]])
    # boundary at frame 3: left-minus-right score is +2 at frame 2 and -2 at frame 3: it crosses halfway
    assert refine_boundaries(E, np.array([3]), np.array([0, 1]), 0.01)[0] == pytest.approx(0.03)
    E2 = E.copy()
    E2[3] = [-1.5, -2.5]  # +2 at frame 2, +1 at frame 3: crossing beyond frame 3: moved the most, half a frame
    assert refine_boundaries(E2, np.array([3]), np.array([0, 1]), 0.01)[0] == pytest.approx(0.035)
    assert refine_boundaries(E2, np.array([3]), np.array([0, 1]), 0.01, strength=0.5)[0] == pytest.approx(0.0325)
    E3 = E.copy()
    E3[2] = [-3.0, -1.0]  # already right of left at frame 2: no crossing in the right direction: grid time
    assert refine_boundaries(E3, np.array([3]), np.array([0, 1]), 0.01)[0] == pytest.approx(0.03)
    assert refine_boundaries(E, np.array([3]), np.array([0, 1]), 0.01, strength=0.0)[0] == pytest.approx(0.03)
    assert len(refine_boundaries(E, np.array([], int), np.array([0]), 0.01)) == 0
    # a one-frame segment cannot be moved past its own middle
    Ek = np.array([[0.0, -9.0, -9.0], [-9.0, 0.0, -9.0], [-9.0, -9.0, 0.0]])
    t = refine_boundaries(Ek, np.array([1, 2]), np.array([0, 1, 2]), 0.01)
    assert 0.01 - 0.005 <= t[0] < t[1] <= 0.02 + 0.005 and t[1] - t[0] >= 0.005 - 1e-12


def test_variants_in_the_middle_of_a_sentence_and_the_margin():
    labels = ["sil", "m", "a", "ð", "ʌ", "i", "aɪ", "ɝ"]
    truth = [("sil", 6), ("m", 6), ("a", 8), ("sil", 4), ("aɪ", 12), ("ð", 6), ("ɝ", 10), ("sil", 6)]
    post = _post_from_truth(truth, labels=labels, noise=0.1)
    words = [("ma", 2), ("either", 3)]
    phones = ["m", "a", "i", "ð", "ɝ"]
    for lang in ("eng", "en", "en-us", "English"):
        tr = forced_align(post, phones, words=words, language=lang)
        assert [p.phone for p in tr.phones if p.phone != SIL] == ["m", "a", "aɪ", "ð", "ɝ"], lang
        assert [w.text for w in tr.words] == ["ma", "either"]
    # a variant has to win by the margin: a barely better one is not taken
    close = _post_from_truth([("sil", 6), ("i", 12), ("ð", 6), ("ɝ", 10), ("sil", 6)], labels=labels)
    keep = forced_align(close, ["i", "ð", "ɝ"], words=[("x", 3)], variants={"x": [["i", "ð", "ɝ"], ["ɪ", "ð", "ɝ"]]})
    assert [p.phone for p in keep.phones if p.phone != SIL] == ["i", "ð", "ɝ"]
    # a word with a silence in its phones is not rescored
    sil_word = forced_align(post, ["m", "a", SIL, "i", "ð", "ɝ"], words=[("ma", 3), ("either", 3)])
    assert [p.phone for p in sil_word.phones if p.phone != SIL] == ["m", "a", "aɪ", "ð", "ɝ"]
