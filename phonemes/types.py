"""Plain typed values passed between the pipeline's stages.

audio (Audio) [-> words (Transcript)] -> frame posteriors (FramePosteriors) -> timed phones (PhoneTrack)
-> visemes (VisemeTrack) -> curves (rigging.curves) -> keyframes (rigging.blender)

Every stage takes and returns these; none of them needs Blender.
Times are in seconds from the start of the audio. Phones are IPA strings
(see phonemes.phoneset); silence is the phone ``SIL``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SIL = "sil"  # the silence / pause phone (also used for noise and breath)
INTERNAL_RATE = 16000  # every recogniser reads audio at this rate
FRAME_HOP = 0.01  # 10 ms frames for posteriors and controls


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] at ``sample_rate`` (INTERNAL_RATE after loading)."""

    samples: np.ndarray
    sample_rate: int
    source: str = ""  # file path or a description, for messages and metadata

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)


@dataclass
class FramePosteriors:
    """Per-frame outputs of an acoustic model, ``hop`` seconds apart.

    ``log_probs[t, k]`` is the log-probability of phone ``labels[k]`` (IPA or SIL)
    at frame t. ``controls`` (optional) holds continuous mouth controls per frame,
    columns named by ``control_names`` (see phonemes.visemes.CONTROLS).
    """

    labels: list[str]
    log_probs: np.ndarray  # [T, K] float32
    hop: float = FRAME_HOP
    controls: np.ndarray | None = None  # [T, C] float32 in [0, 1]
    control_names: tuple[str, ...] = ()
    viseme_log_probs: np.ndarray | None = None  # [T, V] over phonemes.visemes.VISEMES
    source: str = ""

    @property
    def n_frames(self) -> int:
        return int(self.log_probs.shape[0])


@dataclass
class TimedPhone:
    start: float
    end: float
    phone: str  # IPA segment, or SIL
    confidence: float = 1.0  # 0..1; low values are flagged for review
    word: str | None = None  # the word this phone belongs to, when known

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class TimedWord:
    start: float
    end: float
    text: str
    confidence: float = 1.0


@dataclass
class Transcript:
    """The words a speech recogniser heard in one clip (``phonemes.words``), times in seconds."""

    words: list[TimedWord]
    duration: float
    language: str = "eng"  # ISO 639-3 (detected when asked for "auto")
    model: str = ""  # the speech model's name
    language_probability: float = 1.0
    speech: list[tuple[float, float]] = field(default_factory=list)  # where voice-activity detection heard speech
    warnings: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class PhoneTrack:
    """The timed phones of one clip, covering [0, duration] without gaps."""

    phones: list[TimedPhone]
    duration: float
    words: list[TimedWord] = field(default_factory=list)
    recognizer: str = ""
    language: str = "eng"
    source: str = ""
    warnings: list[str] = field(default_factory=list)

    def review_spans(self, threshold: float = 0.5) -> list[tuple[float, float]]:
        """Merged (start, end) spans whose phones have confidence below ``threshold``."""
        spans: list[tuple[float, float]] = []
        for p in self.phones:
            if p.confidence < threshold:
                if spans and abs(spans[-1][1] - p.start) < 1e-6:
                    spans[-1] = (spans[-1][0], p.end)
                else:
                    spans.append((p.start, p.end))
        return spans


@dataclass
class VisemeCue:
    start: float
    end: float
    viseme: str  # a Preston Blair shape A-H or X (see phonemes.visemes)
    confidence: float = 1.0
    detail: str = ""  # the finer viseme class (Oculus 15: PP, FF, aa, ...)


@dataclass
class VisemeTrack:
    cues: list[VisemeCue]
    duration: float
    source: str = ""
    # Optional per-frame continuous controls (from the model or from phones).
    controls: np.ndarray | None = None
    control_names: tuple[str, ...] = ()
    hop: float = FRAME_HOP
