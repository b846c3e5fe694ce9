"""Free decoding: frame posteriors -> timed phones without a transcript.

Duration-aware Viterbi: every segment lasts at least a minimum number of frames and a change
of phone costs a switch penalty, so there is no single-frame flicker.
"""
from __future__ import annotations

import numpy as np

from ...errors import AlignmentError
from ..phoneset import normalize
from ..types import SIL, FramePosteriors, PhoneTrack, TimedPhone
from .similarity import NEG, mouth_confidence, mouth_probs


def _decode_path(lp: np.ndarray, mk: np.ndarray, pen: float) -> np.ndarray:
    """Best label per frame with segments of label k lasting at least mk[k] frames, switch cost ``pen``.

    D[t, k]: best score of a path whose segment of label k ends at or after t
    having lasted at least mk[k] frames. A segment is entered all at once:
    D[t, k] = max(D[t-1, k] + lp[t, k], max_j D[t - mk[k], j] - pen + sum lp[t-mk[k]+1 .. t, k]).
    Re-entering the same label is never better than staying (pen >= 0), so the
    max over j needs no j != k exclusion: one argmax per frame.
    """
    T, K = lp.shape
    lp = np.asarray(lp, dtype=np.float32)
    mk = np.asarray(mk, dtype=np.int64)
    C = np.zeros((T + 1, K), np.float64)
    np.cumsum(lp, axis=0, out=C[1:])
    cols = np.arange(K)[None, :]
    t_idx = np.arange(T)[:, None]
    first = t_idx - mk[None, :] + 1
    W = (C[t_idx + 1, cols] - C[np.maximum(first, 0), cols]).astype(np.float32)
    W[first < 0] = NEG
    ms = sorted({int(m) for m in mk})
    groups = [np.flatnonzero(mk == m) for m in ms]
    gidx = np.zeros(K, dtype=np.int64)
    for gi, g in enumerate(groups):
        gidx[g] = gi
    D = np.full((T, K), NEG, np.float32)
    stay_ch = np.zeros((T, K), dtype=bool)
    src = np.full((T, len(ms)), -1, dtype=np.int64)
    enter = np.empty(K, np.float32)
    stay = np.empty(K, np.float32)
    pen32 = np.float32(max(0.0, pen))
    single = len(ms) == 1
    for t in range(T):
        if single:
            tp = t - ms[0]
            if tp >= 0:
                row = D[tp]
                j = int(row.argmax())
                src[t, 0] = j
                np.add(W[t], row[j] - pen32, out=enter)
            elif tp == -1:
                enter[:] = W[t]
            else:
                enter[:] = NEG
        else:
            for gi, (m, g) in enumerate(zip(ms, groups)):
                tp = t - m
                if tp >= 0:
                    row = D[tp]
                    j = int(row.argmax())
                    src[t, gi] = j
                    enter[g] = W[t, g] + (row[j] - pen32)
                elif tp == -1:
                    enter[g] = W[t, g]
                else:
                    enter[g] = NEG
        if t > 0:
            np.add(D[t - 1], lp[t], out=stay)
            np.greater_equal(stay, enter, out=stay_ch[t])
            np.maximum(stay, enter, out=D[t])
        else:
            D[0] = enter
    path = np.empty(T, dtype=np.int64)
    k = int(D[T - 1].argmax())
    t = T - 1
    while t >= 0:
        if t > 0 and stay_ch[t, k]:
            path[t] = k
            t -= 1
            continue
        m = int(mk[k])
        path[max(0, t - m + 1):t + 1] = k
        j = int(src[t, gidx[k]])
        t -= m
        k = j
    return path


def decode(
    post: FramePosteriors,
    min_frames: int = 3,
    switch_penalty: float = 1.0,
    *,
    silence_min_frames: int | None = None,
    duration: float | None = None,
    recognizer: str = "",
    language: str = "eng",
    path_log_probs: np.ndarray | None = None,
) -> PhoneTrack:
    """Duration-aware Viterbi free decoding of ``post`` into timed phones.

    Every segment lasts at least ``min_frames`` frames (shortened for clips
    shorter than that), a change of phone costs ``switch_penalty`` (log
    score), so there is no single-frame flicker. Confidence per phone: its
    mean posterior blended with how often it is the best label, always from
    ``post.log_probs``; ``path_log_probs`` (same shape), when given, are the
    scores the path is chosen on instead (e.g. with mouth classes pooled).
    """
    lp = np.asarray(post.log_probs, dtype=np.float32)
    T, K = lp.shape if lp.ndim == 2 else (0, 0)
    hop = float(post.hop)
    dur = float(duration) if duration is not None else T * hop
    if K == 0 or lp.shape[1] != len(post.labels):
        raise AlignmentError(f"log_probs must be [frames, {len(post.labels)}], got {lp.shape}")
    names = [normalize(x) for x in post.labels]
    if T == 0:
        return PhoneTrack([TimedPhone(0.0, max(dur, 0.0), SIL, 1.0)], max(dur, 0.0),
                          recognizer=recognizer, language=language, source=post.source)
    m = int(max(1, min(min_frames, T)))
    # per-label minimum: silence may need longer
    mk = np.full(K, m, dtype=np.int64)
    if silence_min_frames is not None:
        mk[[i for i, n in enumerate(names) if n == SIL]] = max(1, min(int(silence_min_frames), T))
    if path_log_probs is not None and np.shape(path_log_probs) != lp.shape:
        raise AlignmentError(f"path_log_probs must be {list(lp.shape)}, got {list(np.shape(path_log_probs))}")
    scores = lp if path_log_probs is None else np.asarray(path_log_probs, dtype=np.float32)
    labels_path = _decode_path(scores, mk, float(switch_penalty))

    change = np.flatnonzero(np.diff(labels_path)) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [T]])
    pv = mouth_probs(lp, post.labels)
    out: list[TimedPhone] = []
    for a, b in zip(starts, ends):
        kk = int(labels_path[a])
        ph = names[kk]
        conf = mouth_confidence(pv[a:b], ph)
        t1 = b * hop if b < T else dur
        if out and out[-1].phone == ph:  # two labels with the same IPA form
            out[-1].end = t1
            continue
        out.append(TimedPhone(a * hop, t1, ph, conf))
    out[-1].end = max(out[-1].end, dur)
    return PhoneTrack(out, dur, recognizer=recognizer, language=language, source=post.source)


__all__ = ["decode"]
