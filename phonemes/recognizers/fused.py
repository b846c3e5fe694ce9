"""``fused``: the model's forced alignment with boundary times refined by pocketsphinx's alignment.

Both align the transcript; where their phone sequences agree and a boundary lies within
``max_gap`` in both, the boundary moves to a weighted mean of the two
(``align.fuse_tracks``). Phones, words and the mouth controls are the model's. Confidence
drops where the two disagree (different mouths over the same frames, or boundaries far
apart). Without a transcript, for a language other than English, or when pocketsphinx
cannot align, the model's result is returned unchanged (with pocketsphinx's warning, if
any). The weight, offset and largest gap are the model release's (``fusion`` in
``inference/weights/model_config.json``).
"""
from __future__ import annotations

import time

from ...inference.config import load_config
from ..types import SIL, Audio, FramePosteriors, PhoneTrack
from . import model as model_rec
from . import pocketsphinx as pocketsphinx_rec
from .base import PosteriorRecognizer, Recognizer

ENGLISH = ("eng", "en", "en-us")


def status() -> tuple[bool, str]:
    """(ready, message): needs both the model and pocketsphinx."""
    parts = {"model": model_rec.status(), "pocketsphinx": pocketsphinx_rec.status()}
    missing = [f"{n}: {why}" for n, (ok, why) in parts.items() if not ok]
    if missing:
        return False, "needs both the model and pocketsphinx (" + "; ".join(missing) + ")"
    return True, "ready (model + pocketsphinx with a transcript; the model alone without one)"


class FusedRecognizer(PosteriorRecognizer):
    """The model's alignment, boundary times averaged with pocketsphinx's where the two agree."""

    name = "fused"
    chunk_grid = model_rec.ModelRecognizer.chunk_grid
    chunk_context = model_rec.ModelRecognizer.chunk_context

    def __init__(self, model: model_rec.ModelRecognizer, pocketsphinx: Recognizer, weight: float | None = None,
                 offset: float | None = None, max_gap: float | None = None):
        self.model, self.pocketsphinx = model, pocketsphinx
        f = load_config(model.weights).fusion
        self.weight = float(f.weight if weight is None else weight)
        self.offset = float(f.offset if offset is None else offset)
        self.max_gap = float(f.max_gap if max_gap is None else max_gap)
        self._last = None  # (posteriors, audio) of the latest posteriors() call
        self.last_timing: dict = {}

    def posteriors(self, audio: Audio) -> FramePosteriors:
        post = self.model.posteriors(audio)
        self._last = (post, audio)
        self.last_timing = dict(self.model.last_timing)
        return post

    def window_posteriors(self, window, first: int, count: int) -> FramePosteriors:
        return self.model.window_posteriors(window, first, count)

    def align_words(self, post: FramePosteriors, words, language: str = "eng", duration: float | None = None,
                    open_end: bool = False, units_out: list | None = None) -> PhoneTrack:
        """The model's alignment (pocketsphinx joins in :meth:`finish_segment`, once a stretch is final)."""
        track = self.model.align_words(post, words, language, duration, open_end=open_end, units_out=units_out)
        track.recognizer = self.name
        return track

    def finish_segment(self, track: PhoneTrack, audio: Audio, language: str = "eng") -> PhoneTrack:
        """Fuse a final stretch of a long clip with pocketsphinx's alignment of its words (whole words only)."""
        if not track.words or any(p.word is None and p.phone != SIL for p in track.phones):
            return track
        return self._fuse(track, audio, " ".join(w.text for w in track.words), language)

    def recognize_posteriors(self, post: FramePosteriors, transcript: str | None = None, language: str = "eng",
                             duration: float | None = None) -> PhoneTrack:
        """Decode posteriors from :meth:`posteriors` (pocketsphinx needs their audio, kept from that call)."""
        track = self.model.recognize_posteriors(post, transcript, language, duration=duration)
        track.recognizer = self.name
        if transcript is None or not transcript.strip():
            return track
        audio = self._last[1] if self._last is not None and self._last[0] is post else None
        if audio is None:
            if (language or "eng").lower() in ENGLISH:
                track.warnings.append("pocketsphinx was not run (the audio of these posteriors is unknown); "
                                      "the model's alignment alone is used")
            return track
        return self._fuse(track, audio, transcript, language)

    def _fuse(self, track: PhoneTrack, audio: Audio, transcript: str, language: str) -> PhoneTrack:
        from ..align import fuse_tracks
        from ..confidence import mark_boundary_agreement, mark_disagreement

        if (language or "eng").lower() not in ENGLISH:
            return track  # pocketsphinx is English only: the model's alignment alone
        t0 = time.perf_counter()
        other = self.pocketsphinx.recognize(audio, transcript, language)
        self.last_timing["pocketsphinx_s"] = time.perf_counter() - t0
        if not other.words:  # pocketsphinx fell back to phone recognition: nothing to fuse with
            track.warnings.extend(f"pocketsphinx: {w}" for w in other.warnings)
            return track
        fused, agreed = fuse_tracks(track, other, self.weight, self.offset, self.max_gap)
        fused.recognizer = self.name
        mark_disagreement(fused, other, weight=0.3)
        mark_boundary_agreement(fused, agreed)
        for w in fused.words:
            cs = [p.confidence for p in fused.phones
                  if p.phone != SIL and p.start >= w.start - 1e-9 and p.end <= w.end + 1e-9]
            if cs:
                w.confidence = float(min(cs))
        return fused


__all__ = ["FusedRecognizer", "status"]
