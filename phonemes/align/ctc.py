"""CTC output (peaky one-frame "spikes" with blanks in between, e.g. allosaurus) -> proper phone segments."""
from __future__ import annotations

import numpy as np

from ..phoneset import normalize
from ..types import SIL, FramePosteriors, PhoneTrack, TimedPhone
from .forced import forced_align


def ctc_greedy(post: FramePosteriors, blank: str = "<blk>") -> list[tuple[int, str]]:
    """Best-path CTC decoding: (frame of the spike, IPA phone) per recognised phone."""
    lp = np.asarray(post.log_probs)
    best = lp.argmax(axis=1)
    out = []
    prev = -1
    b = post.labels.index(blank) if blank in post.labels else -1
    for t, k in enumerate(best):
        if k != prev and k != b:
            out.append((t, normalize(post.labels[k])))
        prev = k
    return [(t, p) for t, p in out if p != SIL]


def spikes_to_segments(
    post: FramePosteriors,
    phones: list[str] | None = None,
    blank: str = "<blk>",
    silence_evidence: np.ndarray | None = None,
    *,
    duration: float | None = None,
    min_duration: float = 0.03,
    recognizer: str = "",
    language: str = "eng",
) -> PhoneTrack:
    """Turn CTC output into timed phone segments.

    CTC models put a one-frame spike per phone and ``blank`` everywhere else,
    so spike times are not boundaries. Here the blank is removed, the phone
    probabilities renormalised per frame, a silence score built from the blank
    probability (and ``silence_evidence``, per frame in [0, 1], e.g. from a
    quiet-audio detector, when given), and the recognised sequence (``phones``,
    or the greedy CTC decoding) is force-aligned over those frames.
    """
    lp = np.asarray(post.log_probs, dtype=np.float64)
    T = lp.shape[0]
    if blank in post.labels:
        bi = post.labels.index(blank)
        p_blank = np.exp(lp[:, bi])
        keep = [i for i in range(len(post.labels)) if i != bi]
    else:
        p_blank = np.zeros(T)
        keep = list(range(len(post.labels)))
    if phones is None:
        phones = [p for _, p in ctc_greedy(post, blank)]
    phones = [normalize(p) for p in phones if normalize(p) != SIL]
    dur = float(duration) if duration is not None else T * post.hop
    if not phones:
        return PhoneTrack([TimedPhone(0.0, dur, SIL, 1.0)], dur, recognizer=recognizer,
                          language=language, source=post.source)
    sub = lp[:, keep]
    sub = sub - sub.max(axis=1, keepdims=True)
    sub = sub - np.log(np.exp(sub).sum(axis=1, keepdims=True))
    labels = [normalize(post.labels[i]) for i in keep]
    # silence: a blank between two spikes is still speech, so a frame counts as
    # speech when a spike (non-blank mass) lies within ~60 ms of it
    from scipy.ndimage import maximum_filter1d

    w = max(1, int(round(0.06 / post.hop)))
    p_speech = maximum_filter1d(1.0 - p_blank, size=2 * w + 1, mode="nearest")
    p_sil = 1.0 - p_speech
    if silence_evidence is not None:
        ev = np.asarray(silence_evidence, dtype=np.float64)[:T]
        if ev.shape[0] < T:
            ev = np.pad(ev, (0, T - ev.shape[0]), mode="edge")
        p_sil = 0.5 * p_sil + 0.5 * np.clip(ev, 0.0, 1.0)
    p_sil = np.clip(p_sil, 1e-4, 1 - 1e-4)
    if SIL in labels:
        si = labels.index(SIL)
        sub[:, si] = np.log(p_sil)
        others = [i for i in range(len(labels)) if i != si]
        sub[:, others] += np.log1p(-p_sil)[:, None]
        new_lp, new_labels = sub, labels
    else:
        new_lp = np.concatenate([sub + np.log1p(-p_sil)[:, None], np.log(p_sil)[:, None]], axis=1)
        new_labels = labels + [SIL]
    fp = FramePosteriors(new_labels, new_lp.astype(np.float32), hop=post.hop, source=post.source)
    return forced_align(fp, phones, [("", 1)] * len(phones), optional_silence=True, min_duration=min_duration,
                        duration=dur, recognizer=recognizer, language=language,
                        silence_penalty=1.0)


__all__ = ["ctc_greedy", "spikes_to_segments"]
