"""Frame posteriors -> timed phones: forced alignment, free decoding, CTC spikes, fusion of two alignments.

All work on :class:`~..types.FramePosteriors` (``labels`` = any phone inventory written in
IPA, ``log_probs`` [T, K]) and return a :class:`~..types.PhoneTrack` covering
``[0, duration]`` without gaps. One module per concern:

- ``similarity``: articulatory phone similarity, stand-in labels, emission scores, mouth shapes;
- ``forced``: :func:`forced_align` (Viterbi alignment of a known phone sequence, optional
  silences, pronunciation variants, sub-frame boundary refinement);
- ``decode``: :func:`decode` (free decoding with a minimum duration and a switch penalty);
- ``ctc``: :func:`spikes_to_segments` (CTC spikes -> segments, e.g. allosaurus);
- ``fusion``: :func:`fuse_tracks` (two alignments of one transcript -> one).

Everything is vectorised numpy: the Python loops run once per frame and do a handful of
array operations over all states.
"""
from .ctc import ctc_greedy, spikes_to_segments
from .decode import decode
from .forced import forced_align, pronunciation_score, refine_boundaries
from .fusion import fuse_tracks
from .similarity import emission_matrix, mouth_confidence, mouth_probs, phone_similarity, similar_labels

__all__ = [
    "forced_align", "decode", "spikes_to_segments", "ctc_greedy", "phone_similarity", "similar_labels",
    "emission_matrix", "mouth_probs", "mouth_confidence", "refine_boundaries", "fuse_tracks", "pronunciation_score",
]
