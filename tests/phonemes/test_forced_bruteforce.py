"""forced_align against an exhaustive search on small random cases: optional silences before, between and after
words (each one entered costs the silence penalty), required silences in the transcript, minimum durations
(silences at least 2 frames when the clip has room), open ends. The expected best score comes from enumerating
every segmentation, not from the aligner's own code; the aligner's path must score exactly that."""
import itertools

import numpy as np
import pytest

from lipsync.phonemes.align import forced_align
from lipsync.phonemes.types import SIL, FramePosteriors

LABELS = [SIL, "p", "a", "t", "i", "m"]
HOP = 0.01


def _units(words, phones, optional_silence):
    """The transcript as units [(label, optional?)]: an optional silence in every gap between words and at both
    ends, none next to a silence the transcript itself has."""
    out, pos = [], 0
    for _, n in words:
        if optional_silence and not (out and out[-1][0] == SIL):
            out.append((SIL, True))
        for p in phones[pos:pos + n]:
            if p == SIL and out and out[-1][0] == SIL:
                out[-1] = (SIL, False)
            else:
                out.append((p, False))
        pos += n
    if optional_silence and out[-1][0] != SIL:
        out.append((SIL, True))
    return out


def _best(lp, units, m, m_sil, pen):
    """Best score over every choice of the optional units and every duration (>= the minimum), by enumeration."""
    T = lp.shape[0]
    cum = np.vstack([np.zeros((1, lp.shape[1])), np.cumsum(lp.astype(np.float64), 0)])
    opt = [i for i, (_, o) in enumerate(units) if o]
    best = -np.inf
    for keep in itertools.product([False, True], repeat=len(opt)):
        drop = {i for i, k in zip(opt, keep) if not k}
        seq = [u for i, u in enumerate(units) if i not in drop]
        mins = [m_sil if o else m for _, o in seq]
        cols = [LABELS.index(p) for p, _ in seq]

        def rec(i, t):
            if i == len(seq):
                return 0.0 if t == T else -np.inf
            top = -np.inf
            for d in range(mins[i], T - t - sum(mins[i + 1:]) + 1):
                top = max(top, cum[t + d, cols[i]] - cum[t, cols[i]] + rec(i + 1, t + d))
            return top
        best = max(best, rec(0, 0) - pen * sum(keep))
    return best


def _score(lp, track, n_required_sil, pen):
    total = 0.0
    n_sil = 0
    for p in track.phones:
        a, b = int(round(p.start / HOP)), int(round(p.end / HOP))
        assert b > a and abs(p.start - a * HOP) < 1e-9 and abs(p.end - b * HOP) < 1e-9  # refine=0: on the grid
        total += float(lp[a:b, LABELS.index(p.phone)].astype(np.float64).sum())
        n_sil += p.phone == SIL
    return total - pen * (n_sil - n_required_sil)


def _random_post(rng, T):
    lp = rng.normal(0, 2, (T, len(LABELS))).astype(np.float32)
    lp -= np.log(np.exp(lp).sum(1, keepdims=True))
    return lp, FramePosteriors(LABELS, lp, hop=HOP)


CASES = [
    # words, phones, optional_silence, min_duration, silence penalty, frames
    ([("pa", 2), ("ti", 2)], ["p", "a", "t", "i"], True, 0.01, 1.0, 11),
    ([("pa", 2), ("ti", 2)], ["p", "a", "t", "i"], True, 0.02, 0.0, 12),
    ([("pa", 2), ("ti", 2)], ["p", "a", "t", "i"], True, 0.02, 3.0, 12),
    ([("ma", 2), ("", 1), ("ti", 2)], ["m", "a", SIL, "t", "i"], True, 0.01, 0.5, 11),  # a silence that must be
    ([("ma", 3), ("ti", 2)], ["m", "a", SIL, "t", "i"], False, 0.01, 0.0, 10),  # a silence inside a word
    ([("a", 1), ("pa", 2), ("i", 1)], ["a", "p", "a", "i"], True, 0.03, 1.0, 10),  # 3 frames do not fit: reduced
    ([("pat", 3)], ["p", "a", "t"], True, 0.01, 2.0, 4),  # no room for 2-frame silences: they take 1
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_forced_align_finds_the_best_segmentation(case):
    words, phones, opt, min_dur, pen, T = CASES[case]
    rng = np.random.default_rng(100 + case)
    n_required = sum(p != SIL for p in phones) + sum(p == SIL for p in phones)
    m = max(1, int(round(min_dur / HOP)))
    while m > 1 and n_required * m > T:
        m -= 1
    m_sil = max(m, 2) if n_required * m + 2 <= T else m
    units = _units(words, phones, opt)
    for trial in range(8):
        lp, post = _random_post(rng, T)
        tr = forced_align(post, phones, words, optional_silence=opt, min_duration=min_dur, silence_penalty=pen,
                          refine=0, variants=None)
        want = _best(lp, units, m, m_sil, pen)
        assert _score(lp, tr, phones.count(SIL), pen) == pytest.approx(want, abs=1e-3), (case, trial)
        # the phones are the transcript's, in order, silences aside; each word spans exactly its phones
        assert [p.phone for p in tr.phones if p.phone != SIL] == [p for p in phones if p != SIL]
        assert tr.phones[0].start == 0.0 and tr.phones[-1].end == pytest.approx(T * HOP)
        assert all(a.end == b.start for a, b in zip(tr.phones, tr.phones[1:]))
        texts = [w for w, _ in words if w]
        assert [w.text for w in tr.words] == texts
        for w in tr.words:
            inside = [p for p in tr.phones if p.word == w.text]
            assert (w.start, w.end) == (inside[0].start, inside[-1].end)
            assert w.confidence == min(p.confidence for p in inside)


def test_forced_align_with_a_narrow_beam_still_finds_the_best_path():
    rng = np.random.default_rng(9)
    words, phones = [("pa", 2), ("ti", 2)], ["p", "a", "t", "i"]
    units = _units(words, phones, True)
    for trial in range(4):
        lp, post = _random_post(rng, 12)
        # a beam too narrow at first is widened (x4, then unlimited) until the end is reached
        tr = forced_align(post, phones, words, min_duration=0.01, silence_penalty=1.0, refine=0, variants=None,
                          beam=0.5)
        wide = forced_align(post, phones, words, min_duration=0.01, silence_penalty=1.0, refine=0, variants=None,
                            beam=float("inf"))
        best = _best(lp, units, 1, 2, 1.0)
        assert _score(lp, wide, 0, 1.0) == pytest.approx(best, abs=1e-3)
        assert _score(lp, tr, 0, 1.0) <= best + 1e-3
        assert [p.phone for p in tr.phones if p.phone != SIL] == phones


def test_units_out_says_where_each_phone_lies():
    lp, post = _random_post(np.random.default_rng(4), 14)
    where: list = []
    phones = ["m", "a", SIL, "t", "i"]
    tr = forced_align(post, phones, [("ma", 2), ("", 1), ("ti", 2)], min_duration=0.01, refine=0, variants=None,
                      units_out=where)
    assert len(where) == len(tr.phones)
    starts = [0, 2, 3]  # each word's first phone in the transcript
    for p, (wi, k) in zip(tr.phones, where):
        if p.phone == SIL:
            assert (wi, k) == (-1, -1)
        else:
            assert phones[starts[wi] + k] == p.phone
    assert sum(wi >= 0 for wi, _ in where) == 4
