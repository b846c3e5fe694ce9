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

Long clips run window by window (``phonemes.chunked``): every recogniser's ``recognize`` runs on
each window; a posterior recogniser also computes a window's posteriors
(:meth:`PosteriorRecognizer.window_posteriors`) and aligns pre-split transcript words over them
(:meth:`PosteriorRecognizer.align_words`, open-ended inside the clip). ``chunk_grid`` and
``chunk_context`` tell the driver where a recogniser's windows may start and how much audio they
read beyond their frames.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import replace

from ...errors import RecognizerError
from ..types import Audio, FramePosteriors, PhoneTrack


class Recognizer(ABC):
    """Audio (+ optional transcript) -> a PhoneTrack covering the whole clip."""

    name: str = ""
    # long clips (phonemes.chunked): windows start on multiples of chunk_grid seconds (0: anywhere) and
    # read chunk_context seconds of audio beyond their frames on each side
    chunk_grid: float = 0.0
    chunk_context: float = 0.0

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

    @abstractmethod
    def align_words(self, post: FramePosteriors, words: list[tuple[str, list[str]]], language: str = "eng",
                    duration: float | None = None, open_end: bool = False, units_out: list | None = None) -> PhoneTrack:
        """Forced alignment of ``words`` ((text, IPA phones) each) over ``post``: ``recognize_posteriors`` with
        a transcript, its words already split. ``open_end``: the frames stop inside the transcript (a window
        of a long clip); ``units_out`` as in ``align.forced_align``."""

    def recognize(self, audio: Audio, transcript: str | None = None, language: str = "eng") -> PhoneTrack:
        post = self.posteriors(audio)
        track = self.recognize_posteriors(post, transcript, language, duration=audio.duration)
        track.source = audio.source
        return track

    def window_posteriors(self, window, first: int, count: int) -> FramePosteriors:
        """Posteriors of frames ``first .. first + count - 1`` of a long clip from one
        ``phonemes.audio.AudioWindow`` (frames of the clip, ``hop`` apart). Default: the posteriors of
        the window's audio, cut to those frames; a recogniser whose numbers depend on where a chunk
        starts computes them on the clip's own grid instead (the model)."""
        post = self.posteriors(window.audio)
        o = first - int(round(window.offset / post.hop))
        if o < 0 or o + count > post.n_frames + 1:
            raise ValueError(f"window {window.index} does not cover frames {first}..{first + count}")

        def cut(a):
            return None if a is None else a[o: o + count]

        return replace(post, log_probs=cut(post.log_probs), controls=cut(post.controls),
                       viseme_log_probs=cut(post.viseme_log_probs))

    def finish_segment(self, track: PhoneTrack, audio: Audio, language: str = "eng") -> PhoneTrack:
        """Run on each stretch of a long clip once its transcript alignment is final (times from the
        stretch's start, ``audio`` its samples): the fused recogniser refines boundaries with pocketsphinx
        here. Default: the track unchanged."""
        return track


__all__ = ["Recognizer", "PosteriorRecognizer", "RecognizerError"]
