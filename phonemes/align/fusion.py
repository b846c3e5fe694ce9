"""Two alignments of the same transcript -> one, boundary times averaged where they agree."""
from __future__ import annotations

import numpy as np

from ..phoneset import normalize
from ..types import SIL, PhoneTrack


def fuse_tracks(primary: PhoneTrack, secondary: PhoneTrack, weight: float = 0.5,
                secondary_offset: float = 0.0, max_gap: float = 0.06) -> tuple[PhoneTrack, np.ndarray]:
    """Combine the boundary times of two alignments of the same clip.

    The phone sequences are matched (``difflib``); a boundary of ``primary``
    between two phones that both match consecutive phones of ``secondary``
    moves to ``(1 - weight) * t_primary + weight * (t_secondary + secondary_offset)``
    when the two times are within ``max_gap`` seconds (farther apart, one of
    them is wrong and the primary's is kept). Every other boundary, and all
    phones, labels, words and confidences are the primary's. Returns the new
    track (a copy) and, per boundary of the primary, whether it was fused.
    """
    import copy
    from difflib import SequenceMatcher

    out = copy.deepcopy(primary)
    ph = out.phones
    nb = max(0, len(ph) - 1)
    fused = np.zeros(nb, dtype=bool)
    if nb == 0 or not secondary.phones:
        return out, fused
    a = [normalize(p.phone) for p in ph]
    b = [normalize(p.phone) for p in secondary.phones]
    sm = SequenceMatcher(a=a, b=b, autojunk=False)
    times = np.array([p.end for p in ph[:-1]], dtype=np.float64)
    new = times.copy()
    for blk in sm.get_matching_blocks():
        for k in range(blk.size - 1):
            i, j = blk.a + k, blk.b + k  # boundary after phone i (primary) / j (secondary)
            ts = secondary.phones[j].end + secondary_offset
            if abs(ts - times[i]) <= max_gap:
                new[i] = (1.0 - weight) * times[i] + weight * ts
                fused[i] = True
    # keep the order and a positive length for every phone
    eps = 1e-3
    for i in range(nb):
        lo = (new[i - 1] if i > 0 else ph[0].start) + eps
        hi = (times[i + 1] if i + 1 < nb else out.duration) - eps
        new[i] = float(np.clip(new[i], lo, max(lo, hi)))
    for i in range(nb):
        ph[i].end = float(new[i])
        ph[i + 1].start = float(new[i])
    wi = 0
    for w in out.words:  # words follow their phones
        inside = [p for p in ph if p.word == w.text and p.phone != SIL]
        while wi < len(ph) and not (ph[wi].word == w.text and ph[wi].phone != SIL):
            wi += 1
        if inside and wi < len(ph):
            w.start = ph[wi].start
            j = wi
            while j + 1 < len(ph) and ph[j + 1].word == w.text and ph[j + 1].phone != SIL:
                j += 1
            w.end = ph[j].end
            wi = j + 1
    return out, fused


__all__ = ["fuse_tracks"]
