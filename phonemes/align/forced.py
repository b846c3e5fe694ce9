"""Forced alignment: Viterbi alignment of a known IPA phone sequence over frame posteriors.

Optional silences between words, a minimum duration per phone, a beam over a sliding
window of states (memory follows the active window, not the transcript), sub-frame
boundary refinement, and pronunciation variants (the CMU dictionary's other
pronunciations, rescored per word). A target phone the inventory lacks is scored by its
most similar labels (``similarity.similar_labels``).
"""
from __future__ import annotations


import numpy as np

from ...errors import AlignmentError
from ..phoneset import normalize
from ..types import SIL, FramePosteriors, PhoneTrack, TimedPhone, TimedWord
from .similarity import NEG, emission_matrix, mouth_confidence, mouth_probs

REFINE_STRENGTH = 1.0  # sub-frame boundary refinement (see refine_boundaries)


def forced_align(
    post: FramePosteriors,
    phones: list[str],
    words: list[tuple[str, int]] | None = None,
    optional_silence: bool = True,
    *,
    min_duration: float = 0.03,
    silence_penalty: float = 1.0,
    beam: float = 300.0,
    duration: float | None = None,
    recognizer: str = "",
    language: str = "eng",
    refine: float = REFINE_STRENGTH,
    variants="auto",
    open_end: bool = False,
    units_out: list | None = None,
) -> PhoneTrack:
    """Viterbi alignment of the IPA ``phones`` over ``post``.

    ``words``: (text, number of phones) per word, in order, covering ``phones``;
    silence may be inserted between words (and always at the start and end)
    when ``optional_silence``. Without ``words`` the phones are one word.
    ``SIL`` entries in ``phones`` are silences that must be there.
    ``min_duration``: shortest phone in seconds (reduced automatically when the
    clip is too short for it). ``silence_penalty``: log-score cost of entering
    an optional silence (fewer spurious short pauses). ``beam``: states whose
    score falls this far (log units) below the best are dropped, which keeps
    memory proportional to the active window, not to the whole transcript
    (widened automatically if the alignment does not reach the end).
    ``refine``: move each boundary off the 10 ms frame grid to where the two
    phones' scores cross (:func:`refine_boundaries`; 0 keeps the grid).
    ``variants``: other pronunciations per word, ``{word: [[IPA phones], ...]}``;
    "auto" (English only) takes them from the CMU dictionary for the words whose
    phones are the dictionary's first pronunciation; None: no variants. After a
    first alignment, each such word's frames are rescored with every variant
    (:func:`pronunciation_score`) and the clip realigned with the best ones
    (chosen when better by more than ``VARIANT_MARGIN``).
    ``open_end``: the frames end somewhere inside the transcript (a window of a long clip): the
    alignment may stop in any phone, and the phones need not all fit. ``units_out``: a list that
    receives, per returned phone, ``(word index, index of the phone in that word)`` (``(-1, -1)`` for
    an optional silence), so a caller can tell where in the transcript each phone lies.
    Returns a PhoneTrack with phones (SIL in pauses), words, and a confidence
    per phone from the posteriors.
    """
    kw = dict(optional_silence=optional_silence, min_duration=min_duration, silence_penalty=silence_penalty,
              beam=beam, duration=duration, recognizer=recognizer, language=language, refine=refine,
              open_end=open_end)
    track = _forced_align_once(post, phones, words, units_out=units_out, **kw)
    if variants is None or not words or not any(w for w, _ in words):
        return track
    if isinstance(variants, str):
        if variants != "auto":
            raise AlignmentError(f"variants must be 'auto', None or a dict, not {variants!r}")
        if (language or "").lower() not in ("eng", "en", "en-us", "english"):
            return track
        variants = _dictionary_variants(words, [normalize(p) for p in phones])
    if not variants:
        return track
    new_phones, new_words = _choose_variants(post, [normalize(p) for p in phones], words, track, variants)
    if new_phones is None:
        return track
    if units_out is not None:
        units_out.clear()
    return _forced_align_once(post, new_phones, new_words, units_out=units_out, **kw)


VARIANT_MARGIN = 2.0  # log-score a pronunciation variant must win by (chosen on train data)


def pronunciation_score(E: np.ndarray) -> float:
    """Best score of a left-to-right path through the columns of ``E`` [frames, phones] (each phone >= 1 frame)."""
    L, n = E.shape
    if n == 0 or n > L:
        return NEG
    d = np.full(n, NEG, dtype=np.float64)
    d[0] = E[0, 0]
    for t in range(1, L):
        d[1:] = np.maximum(d[1:], d[:-1])
        d += E[t]
    return float(d[-1])


def _cmu_variants(word: str) -> tuple[tuple[str, ...], ...]:
    """The word's pronunciations (IPA) when the CMU dictionary has more than one; () otherwise or without it."""
    from ..g2p import cmu_pronunciations

    vs = cmu_pronunciations(word)
    return vs if len(vs) > 1 else ()


def _dictionary_variants(words, phones) -> dict[str, list[list[str]]]:
    out, pos = {}, 0
    for w, n in words:
        key = (w or "").lower()
        try:
            vs = _cmu_variants(key) or _cmu_variants(key.strip("'"))
        except Exception:  # noqa: BLE001 - no dictionary: no variants
            return {}
        if vs and [normalize(p) for p in vs[0]] == list(phones[pos:pos + n]):
            out[w] = [list(v) for v in vs]
        pos += n
    return out


def _choose_variants(post, phones, words, track, variants):
    """Per word with variants, the pronunciation scoring best over the word's aligned frames."""
    hop = float(post.hop)
    spans = iter(track.words)
    new_phones, new_words, pos, changed = [], [], 0, False
    cur = next(spans, None)
    for w, n in words:
        ph = list(phones[pos:pos + n])
        pos += n
        span = None
        if w and cur is not None and cur.text == w:
            span, cur = cur, next(spans, None)
        vs = variants.get(w) if span is not None else None
        if vs and SIL not in ph:
            # half frames round up whatever the float error (refined boundaries often sit on one), so a
            # window of a long clip picks what the whole clip picks
            a = int(np.floor(span.start / hop + 0.5 + 1e-6))
            b = max(a + 1, int(np.floor(span.end / hop + 0.5 + 1e-6)))
            cands = [ph] + [[normalize(p) for p in v] for v in vs if [normalize(p) for p in v] != ph]
            scores = [pronunciation_score(emission_matrix(post, c)[a:b]) for c in cands]
            j = int(np.argmax(scores))
            if j > 0 and scores[j] > scores[0] + VARIANT_MARGIN:
                ph, changed = cands[j], True
        new_phones.extend(ph)
        new_words.append((w, len(ph)))
    return (new_phones, new_words) if changed else (None, None)


def _forced_align_once(post, phones, words, *, optional_silence, min_duration, silence_penalty, beam, duration,
                       recognizer, language, refine, open_end=False, units_out=None) -> PhoneTrack:
    lp = np.asarray(post.log_probs, dtype=np.float32)
    if lp.ndim != 2 or lp.shape[1] != len(post.labels):
        raise AlignmentError(f"log_probs must be [frames, {len(post.labels)}], got {lp.shape}")
    T = lp.shape[0]
    hop = float(post.hop)
    dur = float(duration) if duration is not None else T * hop
    phones = [normalize(p) for p in phones]
    if words is None:
        words = [("", len(phones))]
    if sum(n for _, n in words) != len(phones):
        raise AlignmentError(
            f"words cover {sum(n for _, n in words)} phones but {len(phones)} phones were given; "
            "pass (word, number of phones) for every word")
    speech = [p for p in phones if p != SIL]
    if T == 0:
        raise AlignmentError("no frames to align to: the audio is empty")
    if not speech:
        if units_out is not None:
            units_out.append((-1, -1))
        return PhoneTrack([TimedPhone(0.0, dur, SIL, 1.0)], dur, recognizer=recognizer,
                          language=language, source=post.source)

    # ---- units: (phone, optional?, word index) ----
    units: list[tuple[str, bool, int]] = []
    where: list[tuple[int, int]] = []  # per unit: (word index, phone index in the word), (-1, -1) for silences
    pos = 0
    for wi, (_, n) in enumerate(words):
        if optional_silence and (not units or units[-1][0] != SIL):
            units.append((SIL, True, -1))
            where.append((-1, -1))
        for k, p in enumerate(phones[pos:pos + n]):
            if p == SIL:
                if units and units[-1][0] == SIL:
                    units[-1] = (SIL, False, -1)
                else:
                    units.append((SIL, False, -1))
                    where.append((-1, -1))
            else:
                units.append((p, False, wi))
                where.append((wi, k))
        pos += n
    if optional_silence and units[-1][0] != SIL:
        units.append((SIL, True, -1))
        where.append((-1, -1))
    U = len(units)

    n_required = sum(1 for _, opt, _ in units if not opt)
    if n_required > T and not open_end:
        raise AlignmentError(
            f"{n_required} phones cannot fit in {T} frames ({dur:.2f} s): the transcript is much longer "
            "than the audio; check that the transcript belongs to this clip")
    m = max(1, int(round(min_duration / hop)))
    while m > 1 and n_required * m > T and not open_end:
        m -= 1
    m_sil = max(m, 2) if n_required * m + 2 <= T or open_end else m
    lens = np.array([m_sil if (ph == SIL and opt) else m for ph, opt, _ in units], dtype=np.int64)

    # ---- emissions per unit ----
    targets = sorted({ph for ph, _, _ in units})
    col = {ph: j for j, ph in enumerate(targets)}
    E = emission_matrix(post, targets)  # [T, n_targets]
    unit_col = np.array([col[ph] for ph, _, _ in units], dtype=np.int64)

    # ---- states ----
    S = int(lens.sum())
    first = np.concatenate([[0], np.cumsum(lens)[:-1]])
    last = first + lens - 1
    state_unit = np.repeat(np.arange(U), lens)
    state_col = unit_col[state_unit]
    can_stay = np.zeros(S, dtype=bool)
    can_stay[last] = True
    optional = np.array([opt for _, opt, _ in units], dtype=bool)
    entry_pen = np.zeros(S, dtype=np.float32)
    entry_pen[first[optional]] = -float(silence_penalty)
    # skip over an optional unit: first state of unit u <- last state of unit u-2
    skip_src = np.full(S, -1, dtype=np.int64)
    for u in range(2, U):
        if optional[u - 1]:
            skip_src[first[u]] = last[u - 2]
    has_skip = skip_src >= 0

    # ---- Viterbi (beam-pruned window of states, so long clips fit in memory) ----
    end_states = [S - 1]
    if optional[-1] and U > 1:
        end_states.append(int(last[U - 2]))
    if open_end:
        end_states = list(range(S))
    path = None
    for bw in (beam, beam * 4, float("inf")):
        path = _viterbi_window(E, state_col, can_stay, entry_pen, skip_src, has_skip, first, optional,
                               end_states, float(bw))
        if path is not None or not np.isfinite(beam):
            break
    if path is None:
        raise AlignmentError("no alignment found: the transcript does not fit the audio; "
                             "check that the transcript belongs to this clip")
    upath = state_unit[path]

    # ---- segments ----
    change = np.flatnonzero(np.diff(upath)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [T]])
    seg_cols = unit_col[upath[starts]]
    btimes = change * hop
    if refine and change.size:
        btimes = refine_boundaries(E, change, seg_cols, hop, strength=refine)
    pv = mouth_probs(lp, post.labels)
    out: list[TimedPhone] = []
    wspans: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(zip(starts, ends)):
        u = int(upath[a])
        ph, _, wi = units[u]
        conf = mouth_confidence(pv[a:b], ph)
        t0 = float(btimes[k - 1]) if k > 0 else 0.0
        t1 = float(btimes[k]) if b < T else dur
        word = words[wi][0] if wi >= 0 and words[wi][0] else None
        if out and out[-1].phone == SIL and ph == SIL:
            out[-1].end = t1
            continue
        out.append(TimedPhone(t0, t1, ph, conf, word))
        if units_out is not None:
            units_out.append(where[u])
        if wi >= 0:
            wspans.setdefault(wi, []).append(len(out) - 1)
    if out:
        out[-1].end = max(out[-1].end, dur)
        out[0].start = 0.0
    tw = []
    for wi in sorted(wspans):
        idx = wspans[wi]
        text = words[wi][0]
        if not text:
            continue
        conf = float(min(out[i].confidence for i in idx))
        tw.append(TimedWord(out[idx[0]].start, out[idx[-1]].end, text, conf))
    track = PhoneTrack(out, dur, words=tw, recognizer=recognizer, language=language, source=post.source)
    speech_conf = [p.confidence for p in out if p.phone != SIL]
    if speech_conf and float(np.mean(speech_conf)) < 0.25:
        track.warnings.append(
            f"the transcript fits the audio poorly (mean phone confidence {np.mean(speech_conf):.2f}); "
            "check that the transcript matches what is said, or run without a transcript")
    return track


def refine_boundaries(E: np.ndarray, change: np.ndarray, seg_cols: np.ndarray, hop: float,
                      strength: float = 1.0) -> np.ndarray:
    """Sub-frame boundary times (seconds) for a frame-level segmentation.

    ``change[i]`` is the first frame of segment ``i + 1``; ``seg_cols[i]`` the
    column of ``E`` ([T, K] log-scores) that scores segment ``i``. On the grid
    the boundary sits at ``change * hop``, between the centres of frames
    ``b - 1`` and ``b``. The score difference left - right is taken as linear
    between those two centres and the boundary moved to its zero crossing
    (times ``strength``), at most half a frame either way, and never past the
    middle of a neighbouring segment (segments keep their order and a positive
    length). Where the scores do not cross in that direction the grid time is kept.
    """
    change = np.asarray(change, dtype=np.int64)
    t = change.astype(np.float64) * hop
    if change.size == 0 or strength <= 0:
        return t
    left = np.asarray(seg_cols[:-1], dtype=np.int64)
    right = np.asarray(seg_cols[1:], dtype=np.int64)
    E = np.asarray(E, dtype=np.float64)
    d0 = E[change - 1, left] - E[change - 1, right]
    d1 = E[change, left] - E[change, right]
    ok = (d0 > d1) & np.isfinite(d0) & np.isfinite(d1)
    frac = np.where(ok, d0 / np.where(ok, d0 - d1, 1.0), 0.5)
    frac = np.clip(frac, 0.0, 1.0)
    shift = (frac - 0.5) * hop * float(min(strength, 1.0))
    # keep every segment at least half its frames long
    seg_start = np.concatenate([[0], change[:-1]])
    seg_end = np.concatenate([change[1:], [np.iinfo(np.int64).max // 4]])
    lo = -0.5 * (change - seg_start) * hop
    hi = 0.5 * (seg_end - change) * hop
    return t + np.clip(shift, np.maximum(lo, -0.5 * hop), np.minimum(hi, 0.5 * hop))


def _viterbi_window(E, state_col, can_stay, entry_pen, skip_src, has_skip, first, optional,
                    end_states, beam):
    """Left-to-right Viterbi over expanded states; returns the state path or None if the end is unreachable."""
    T = E.shape[0]
    S = state_col.shape[0]
    sk_dst_all = np.flatnonzero(has_skip)
    sk_src_all = skip_src[sk_dst_all]
    sk_pen_all = entry_pen[sk_dst_all]
    jump = int(max(1, (sk_dst_all - sk_src_all).max())) if sk_dst_all.size else 1
    not_stay = ~can_stay
    delta = np.full(S, NEG, dtype=np.float32)
    delta[0] = E[0, state_col[0]] + entry_pen[0]
    lo, hi = 0, 0
    if optional[0] and len(first) > 1:
        delta[first[1]] = E[0, state_col[first[1]]] + entry_pen[first[1]]
        hi = int(first[1])
    rows: list[np.ndarray] = [np.zeros(1, np.int8)]
    los = np.zeros(T, dtype=np.int64)
    neg1 = np.array([NEG], dtype=np.float32)
    for t in range(1, T):
        nlo, nhi = lo, min(S - 1, hi + jump)
        w = slice(nlo, nhi + 1)
        cur = delta[w].copy()
        cur[not_stay[w]] = NEG
        adv = delta[nlo - 1:nhi] if nlo > 0 else np.concatenate([neg1, delta[0:nhi]])
        adv = adv + entry_pen[w]
        c1 = adv > cur
        np.maximum(adv, cur, out=cur)
        row = c1.astype(np.int8)
        if sk_dst_all.size:
            i0, i1 = np.searchsorted(sk_dst_all, [nlo, nhi + 1])
            if i1 > i0:
                d = sk_dst_all[i0:i1]
                sv = delta[sk_src_all[i0:i1]] + sk_pen_all[i0:i1]
                c2 = sv > cur[d - nlo]
                if c2.any():
                    dd = d[c2] - nlo
                    cur[dd] = sv[c2]
                    row[dd] = 2
        cur += E[t, state_col[w]]
        delta[lo:hi + 1] = NEG
        best = cur.max()
        if best <= NEG / 2:
            return None
        if np.isfinite(beam):
            keep = np.flatnonzero(cur >= best - beam)
            klo, khi = int(keep[0]), int(keep[-1])
        else:
            alive = np.flatnonzero(cur > NEG / 2)
            klo, khi = int(alive[0]), int(alive[-1])
        lo, hi = nlo + klo, nlo + khi
        delta[lo:hi + 1] = cur[klo:khi + 1]
        rows.append(row)
        los[t] = nlo
    cand = [e for e in end_states if lo <= e <= hi and delta[e] > NEG / 2]
    if not cand:
        return None
    s = max(cand, key=lambda i: delta[i])
    path = np.empty(T, dtype=np.int64)
    for t in range(T - 1, -1, -1):
        path[t] = s
        if t == 0:
            break
        c = rows[t][s - los[t]]
        if c == 1:
            s -= 1
        elif c == 2:
            s = int(skip_src[s])
    return path


__all__ = ["REFINE_STRENGTH", "VARIANT_MARGIN", "forced_align", "pronunciation_score", "refine_boundaries"]
