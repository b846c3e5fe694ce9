"""Recognised words over the audio: where they do not fit, free decoding; outside speech, rest.

The words a speech recogniser heard are aligned like a script (``forced``). Two checks per word,
on the frames the alignment gave it:

- **fit**: the mean per-frame log-score of the aligned phones against the free decoding's phones
  over the same frames (:func:`word_gaps`); a word scoring clearly worse than free decoding
  (more than :data:`MAX_GAP` per frame) was probably not said;
- **probability**: the recogniser's own probability for the word below :data:`MIN_PROB`.

Stretches of such words take the free decoding's phones instead (:func:`fit_words`), with
their confidence capped at :data:`REVIEW_CONFIDENCE` so they are marked for review, and a
warning naming the stretch. :func:`rest_outside` turns everything outside voice-activity
regions into rest (SIL), which is what keeps noise, music and breathing from mouthing words.
"""
from __future__ import annotations

import numpy as np

from dataclasses import replace
from typing import Callable

from ...errors import LipSyncError
from ..types import SIL, FramePosteriors, PhoneTrack, TimedPhone, TimedWord
from .similarity import emission_matrix

MAX_GAP = 1.5  # log-score per frame a word may lose against free decoding (bench_words.py --tune, train data)
MIN_PROB = 0.1  # below this recogniser probability a word is not trusted
REVIEW_CONFIDENCE = 0.3  # confidence cap of the free-decoded stretches (below the panel's 0.5 default)


def _frame_labels(track: PhoneTrack, n: int, hop: float) -> list[str]:
    out = [SIL] * n
    centres = (np.arange(n) + 0.5) * hop
    for p in track.phones:
        a, b = np.searchsorted(centres, [p.start, p.end])
        out[a:b] = [p.phone] * (b - a)
    return out


def word_gaps(forced: PhoneTrack, free: PhoneTrack, post: FramePosteriors) -> list[float]:
    """Per word of ``forced``: mean per-frame (free - forced) log-score over the word's frames (>= 0 when the
    free decoding explains the frames better)."""
    n, hop = post.n_frames, float(post.hop)
    fa, fb = _frame_labels(forced, n, hop), _frame_labels(free, n, hop)
    targets = sorted(set(fa) | set(fb))
    col = {p: j for j, p in enumerate(targets)}
    E = emission_matrix(post, targets)
    rows = np.arange(n)
    sa = E[rows, [col[p] for p in fa]]
    sb = E[rows, [col[p] for p in fb]]
    out = []
    for w in forced.words:
        a, b = int(np.floor(w.start / hop + 0.5)), int(np.floor(w.end / hop + 0.5))
        b = max(b, a + 1)
        seg = slice(max(0, a), min(n, b))
        out.append(float(np.mean(sb[seg] - sa[seg])) if b > a and seg.stop > seg.start else 0.0)
    return out


def fit_words(forced: PhoneTrack, free: PhoneTrack, post: FramePosteriors, heard: list[TimedWord] | None = None,
              max_gap: float = MAX_GAP, min_prob: float = MIN_PROB) -> PhoneTrack:
    """``forced`` (aligned recognised words) with free decoding where words do not fit (in place; returned).

    ``heard``: the recogniser's words in the order aligned (their ``confidence`` is its probability).
    """
    if not forced.words:
        return forced
    gaps = word_gaps(forced, free, post)
    probs = _probabilities(forced.words, heard)
    bad = [g > max_gap or p < min_prob for g, p in zip(gaps, probs)]
    if not any(bad):
        return forced
    stretches: list[list[int]] = []
    for i, b in enumerate(bad):
        if b:
            if stretches and stretches[-1][-1] == i - 1:
                stretches[-1].append(i)
            else:
                stretches.append([i])
    spans = [(forced.words[s[0]].start, forced.words[s[-1]].end) for s in stretches]
    forced.phones = _splice(forced.phones, free.phones, spans)
    for s, (t0, t1) in zip(stretches, spans):
        text = " ".join(forced.words[i].text for i in s)
        why = []
        if any(gaps[i] > max_gap for i in s):
            why.append("the sounds do not match")
        if any(probs[i] < min_prob for i in s):
            why.append(f"the recogniser was unsure (p {min(probs[i] for i in s):.2f})")
        forced.warnings.append(f"{t0:.2f}-{t1:.2f} s: the recognised words {text!r} do not fit the audio "
                               f"({' and '.join(why)}); free phone decoding is used there: check this stretch, "
                               "or give the transcript")
        for i in s:
            forced.words[i].confidence = min(forced.words[i].confidence, REVIEW_CONFIDENCE)
    return forced


def _probabilities(aligned: list[TimedWord], heard: list[TimedWord] | None) -> list[float]:
    """The recogniser's probability of each aligned word (matched in order by text; 1 where unknown)."""
    if not heard:
        return [1.0] * len(aligned)
    out, j = [], 0
    for w in aligned:
        k = j
        while k < len(heard) and heard[k].text != w.text:
            k += 1
        if k < len(heard):
            out.append(float(heard[k].confidence))
            j = k + 1
        else:
            out.append(1.0)
    return out


def _splice(base: list[TimedPhone], other: list[TimedPhone], spans: list[tuple[float, float]]) -> list[TimedPhone]:
    """``base``'s phones with ``other``'s inside ``spans`` (clipped at the span edges; capped confidence)."""
    out: list[TimedPhone] = []

    def put(p: TimedPhone, s: float, e: float, review: bool):
        if e - s <= 1e-9:
            return
        conf = min(p.confidence, REVIEW_CONFIDENCE) if review and p.phone != SIL else p.confidence
        if out and out[-1].phone == p.phone == SIL:
            out[-1].end = e
            return
        out.append(TimedPhone(s, e, p.phone, conf, None if review else p.word))

    edges = [0.0]
    for s, e in spans:
        edges += [s, e]
    edges.append(float("inf"))
    for k in range(0, len(edges) - 1):
        lo, hi = edges[k], edges[k + 1]
        review = k % 2 == 1
        for p in (other if review else base):
            s, e = max(p.start, lo), min(p.end, hi)
            put(p, s, e, review)
    return out


def slice_posteriors(post: FramePosteriors, a: int, b: int) -> FramePosteriors:
    """Frames [a, b) of ``post`` (phone and viseme log-probabilities and controls)."""
    cut = (lambda x: None if x is None else x[a:b])
    return replace(post, log_probs=post.log_probs[a:b], controls=cut(post.controls),
                   viseme_log_probs=cut(post.viseme_log_probs))


def align_by_region(post: FramePosteriors, words: list[TimedWord], regions: list[tuple[float, float]],
                    align: Callable[[FramePosteriors, str, float], PhoneTrack], free: PhoneTrack,
                    duration: float) -> PhoneTrack:
    """Align ``words`` stretch by stretch of speech (``regions``): each region's words over its own frames
    (``align(posteriors, text, seconds)``), so a long clip never needs one alignment of all its words and a
    region that cannot be aligned falls back to ``free`` decoding alone (with a warning). Between regions: rest."""
    hop = float(post.hop)
    groups: list[list[TimedWord]] = [[] for _ in regions]
    for w in words:
        mid = 0.5 * (w.start + w.end)
        k = min(range(len(regions)), key=lambda i: max(regions[i][0] - mid, mid - regions[i][1], 0.0))
        groups[k].append(w)
    phones: list[TimedPhone] = []
    out_words: list[TimedWord] = []
    warnings: list[str] = []

    def put(p: TimedPhone):
        if p.end - p.start <= 1e-9:
            return
        if phones and phones[-1].phone == p.phone == SIL:
            phones[-1].end = p.end
        else:
            phones.append(p)

    t = 0.0
    for (r0, r1), ws in zip(regions, groups):
        if not ws:
            continue
        a, b = int(round(r0 / hop)), min(post.n_frames, int(round(r1 / hop)))
        if b - a < 2:
            continue
        s0, s1 = a * hop, b * hop if b < post.n_frames else duration
        put(TimedPhone(t, s0, SIL))
        text = " ".join(w.text for w in ws)
        try:
            tr = align(slice_posteriors(post, a, b), text, s1 - s0)
        except LipSyncError as exc:
            warnings.append(f"{s0:.2f}-{s1:.2f} s: the recognised words {text!r} could not be aligned ({exc}); "
                            "free phone decoding is used there: check this stretch, or give the transcript")
            for p in free.phones:
                lo, hi = max(p.start, s0), min(p.end, s1)
                if hi > lo:
                    put(TimedPhone(lo, hi, p.phone, min(p.confidence, REVIEW_CONFIDENCE) if p.phone != SIL
                                   else p.confidence))
            t = s1
            continue
        for p in tr.phones:
            put(TimedPhone(p.start + s0, p.end + s0, p.phone, p.confidence, p.word))
        out_words += [TimedWord(w.start + s0, w.end + s0, w.text, w.confidence) for w in tr.words]
        warnings += [f"{s0:.2f}-{s1:.2f} s: {w}" for w in tr.warnings]
        t = s1
    put(TimedPhone(t, duration, SIL))
    if phones:
        phones[0].start = 0.0
        phones[-1].end = duration
    else:
        phones = [TimedPhone(0.0, duration, SIL)]
    return PhoneTrack(phones, duration, words=out_words, recognizer=free.recognizer, language=free.language,
                      source=free.source, warnings=warnings)


def rest_outside(track: PhoneTrack, regions: list[tuple[float, float]]) -> PhoneTrack:
    """Rest (SIL) wherever no region of speech is (in place; returned). Words wholly outside are dropped."""
    keep: list[TimedPhone] = []
    cuts = sorted(regions)

    def add(s, e, phone, conf, word):
        if e - s <= 1e-9:
            return
        if keep and keep[-1].phone == phone == SIL:
            keep[-1].end = e
        else:
            keep.append(TimedPhone(s, e, phone, conf, word))

    for p in track.phones:
        if p.phone == SIL:
            add(p.start, p.end, SIL, p.confidence, None)
            continue
        t = p.start
        for a, b in cuts:
            if b <= t or a >= p.end:
                continue
            if a > t:
                add(t, a, SIL, 1.0, None)
            add(max(a, t), min(b, p.end), p.phone, p.confidence, p.word)
            t = min(b, p.end)
        if t < p.end:
            add(t, p.end, SIL, 1.0, None)
    track.phones = keep
    track.words = [w for w in track.words if any(a < w.end and b > w.start for a, b in cuts)]
    return track


__all__ = ["fit_words", "word_gaps", "rest_outside", "align_by_region", "slice_posteriors", "MAX_GAP", "MIN_PROB",
           "REVIEW_CONFIDENCE"]
