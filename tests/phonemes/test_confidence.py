"""Confidence is about the mouth: look-alike confusions (m/b/p) keep it, visible ones lower it."""

import numpy as np

from lipsync.phonemes import align
from lipsync.phonemes.types import FramePosteriors


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
