"""Our trained audio-to-viseme network as a recogniser: phones, visemes and mouth controls every 10 ms.

Free decoding without a transcript (duration-aware Viterbi with the release's decode
settings), forced alignment with one; confidences calibrated to P(mouth shape right).
The network, its weights and its tuned values are ``inference``'s (``runtime``, ``config``);
torch is imported only when the weights are first loaded.
"""
from __future__ import annotations

import time

from ...inference import runtime
from ..types import Audio, FramePosteriors, PhoneTrack
from .base import PosteriorRecognizer


def status() -> tuple[bool, str]:
    """(ready, message): torch importable, shipped weights and their config present."""
    return runtime.weights_status()


class ModelRecognizer(PosteriorRecognizer):
    """Our trained network (phones, visemes and mouth controls every 10 ms)."""

    name = "model"
    chunk_grid = runtime.CHUNK * 0.01  # windows of a long clip start on the network's 10 s chunks
    chunk_context = runtime.WINDOW_CONTEXT  # and read its 1 s of context either side

    def __init__(self, weights: str | None = None, device: str | None = None):
        self.weights = weights
        self.device = device
        self.last_timing: dict = {}

    def posteriors(self, audio: Audio) -> FramePosteriors:
        self.last_timing = {}
        return runtime.posteriors(audio, self.weights, self.device, timing=self.last_timing)

    def window_posteriors(self, window, first: int, count: int) -> FramePosteriors:
        """The whole clip's posteriors for these frames (the network's own chunks, real context)."""
        return runtime.window_posteriors(window, first, count, self.weights, self.device, timing=self.last_timing)

    def align_words(self, post: FramePosteriors, words, language: str = "eng", duration: float | None = None,
                    open_end: bool = False, units_out: list | None = None, calibrate: bool = True) -> PhoneTrack:
        from .. import align

        phones = [p for _w, ph in words for p in ph]
        track = align.forced_align(post, phones, words=[(w, len(ph)) for w, ph in words], duration=duration,
                                   recognizer=self.name, language=language, open_end=open_end, units_out=units_out)
        if calibrate:
            runtime.calibrate_confidences(track, "forced", self.weights)
        return track

    def recognize_posteriors(self, post: FramePosteriors, transcript: str | None = None, language: str = "eng",
                             duration: float | None = None, calibrate: bool = True) -> PhoneTrack:
        """Decode posteriors already computed (the pipeline keeps their mouth controls for the rigging
        stage). ``calibrate`` maps the raw confidences to the probability that the phone's mouth shape is
        right (``runtime.calibrate_confidences``)."""
        from ..g2p import text_to_phones

        t0 = time.perf_counter()
        if transcript is not None and bool(transcript.strip()):
            track = self.align_words(post, text_to_phones(transcript, language), language, duration,
                                     calibrate=calibrate)
        else:
            track = runtime.decode_posteriors(post, duration, weights=self.weights, recognizer=self.name,
                                              language=language)
            if calibrate:
                runtime.calibrate_confidences(track, "free", self.weights)
        self.last_timing["decode_s"] = time.perf_counter() - t0
        track.source = post.source
        return track


__all__ = ["ModelRecognizer", "status"]
