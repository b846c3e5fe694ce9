"""The whole analysis, stage by stage, without Blender.

    audio file --load_audio--> Audio
      --recogniser (model / pocketsphinx / allosaurus; transcript optional)--> PhoneTrack
      --phones_to_visemes--> VisemeTrack (+ per-frame controls and loudness)

``rigging`` then turns the VisemeTrack into curves and keyframes. Every stage is
a plain function of typed values (phonemes.types), so each can be swapped.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import AudioError, Cancelled, TranscriptError
from .phonemes.audio import load_audio, rms_envelope
from .phonemes.types import FRAME_HOP, Audio, PhoneTrack, VisemeTrack
from .phonemes.visemes import phones_to_visemes

Progress = Callable[[float, str], None]


@dataclass
class Analysis:
    audio: Audio
    phones: PhoneTrack
    visemes: VisemeTrack
    loudness: np.ndarray  # per FRAME_HOP frame, 0..1 (1 = loud speech)
    recognizer: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return self.audio.duration


def read_transcript(path_or_text: str | None) -> str | None:
    """A transcript argument: None, a path to a UTF-8 text file, or the text itself."""
    if path_or_text is None:
        return None
    if os.path.exists(path_or_text) and os.path.isfile(path_or_text):
        with open(path_or_text, encoding="utf-8-sig", errors="replace") as f:
            text = f.read()
        if not text.strip():
            raise TranscriptError(f"The transcript file {path_or_text} is empty. Add the spoken words or leave the transcript out.")
        return text.strip()
    return path_or_text


def loudness_curve(audio: Audio, hop: float = FRAME_HOP) -> np.ndarray:
    """Frame loudness scaled so typical loud speech is 1.0 (silence stays near 0)."""
    rms = rms_envelope(audio, hop=hop)
    if rms.size == 0:
        return rms
    voiced = rms[rms > 1e-4]
    ref = float(np.percentile(voiced, 95)) if voiced.size else 0.0
    if ref <= 1e-6:
        return np.zeros_like(rms)
    return np.clip(rms / ref, 0.0, 1.0).astype(np.float32)


def analyze(
    source: str | Audio,
    transcript: str | None = None,
    recognizer="auto",
    language: str = "eng",
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Analysis:
    """Audio (a path or Audio) [+ transcript text] -> timed phones, visemes, controls, loudness.

    ``recognizer`` is a name (``phonemes.recognizers.RECOGNIZER_NAMES``) or a recogniser
    object (load it once and pass it in for batches).
    Raises a ``LipSyncError`` (AudioError, TranscriptError, Cancelled, RecognizerError,
    AlignmentError, ...) with a message that says what to do.
    """
    from .phonemes.recognizers import PosteriorRecognizer, get_recognizer

    def step(frac, msg):
        if cancel is not None and cancel():
            raise Cancelled("Lip sync cancelled.")
        if progress is not None:
            progress(frac, msg)

    timings = {}
    t0 = time.perf_counter()
    step(0.0, "Loading audio")
    audio = source if isinstance(source, Audio) else load_audio(source)
    if audio.duration <= 0:
        raise AudioError(f"{audio.source or 'The audio'} has no samples.")
    if transcript is not None and not transcript.strip():
        raise TranscriptError("The transcript is empty. Type the spoken words, or leave the transcript out.")
    timings["load_s"] = time.perf_counter() - t0

    step(0.1, "Loading recogniser")
    t1 = time.perf_counter()
    rec = get_recognizer(recognizer) if isinstance(recognizer, str) else recognizer
    timings["recognizer_load_s"] = time.perf_counter() - t1

    step(0.2, f"Finding phones ({rec.name})")
    t2 = time.perf_counter()
    controls = None
    control_names: tuple[str, ...] = ()
    if isinstance(rec, PosteriorRecognizer):
        post = rec.posteriors(audio)
        step(0.6, "Decoding")
        phones = rec.recognize_posteriors(post, transcript=transcript, language=language, duration=audio.duration)
        controls, control_names = post.controls, tuple(post.control_names)
    else:
        phones = rec.recognize(audio, transcript=transcript, language=language)
    timings["recognize_s"] = time.perf_counter() - t2

    step(0.85, "Choosing mouth shapes")
    visemes = phones_to_visemes(phones)
    visemes.controls, visemes.control_names = controls, control_names
    visemes.source = audio.source
    loud = loudness_curve(audio)
    timings["total_s"] = time.perf_counter() - t0
    step(1.0, "Done")
    return Analysis(audio, phones, visemes, loud, rec.name, timings)
