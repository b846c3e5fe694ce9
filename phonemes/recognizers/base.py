"""What every recogniser is: audio (+ optional transcript) -> timed IPA phones.

Two kinds, as nominal base classes (the pipeline asks ``isinstance``, never ``hasattr``):

- :class:`Recognizer`: ``recognize(audio, transcript=None, language="eng") -> PhoneTrack``
  (pocketsphinx, allosaurus);
- :class:`PosteriorRecognizer`: an acoustic model that also exposes its frame posteriors
  (``posteriors(audio) -> FramePosteriors``, with the continuous mouth controls the
  rigging stage uses) and decodes them (``recognize_posteriors``); ``recognize`` is the two
  in a row (our model, and the model fused with pocketsphinx).

A recogniser that cannot run here raises ``RecognizerError`` with a message that says what
to install or download.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

from ...errors import RecognizerError
from ..types import Audio, FramePosteriors, PhoneTrack


class Recognizer(ABC):
    """Audio (+ optional transcript) -> a PhoneTrack covering the whole clip."""

    name: str = ""

    @abstractmethod
    def recognize(self, audio: Audio, transcript: str | None = None, language: str = "eng") -> PhoneTrack:
        """Timed phones: recognised from the audio, or the transcript's phones aligned to it."""


class PosteriorRecognizer(Recognizer):
    """A recogniser whose acoustic model gives frame posteriors the pipeline keeps (mouth controls)."""

    @abstractmethod
    def posteriors(self, audio: Audio) -> FramePosteriors:
        """Per-frame log-probabilities (and mouth controls) for the whole clip."""

    @abstractmethod
    def recognize_posteriors(self, post: FramePosteriors, transcript: str | None = None, language: str = "eng",
                             duration: float | None = None) -> PhoneTrack:
        """The decoding half of ``recognize``, on posteriors from :meth:`posteriors`."""

    def recognize(self, audio: Audio, transcript: str | None = None, language: str = "eng") -> PhoneTrack:
        post = self.posteriors(audio)
        track = self.recognize_posteriors(post, transcript, language, duration=audio.duration)
        track.source = audio.source
        return track


__all__ = ["Recognizer", "PosteriorRecognizer", "RecognizerError"]
