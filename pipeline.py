"""The whole analysis, stage by stage, without Blender.

    audio file --load_audio--> Audio
      [--words.Transcriber (no transcript, recogniser auto)--> Transcript: the words heard]
      --recogniser (model / pocketsphinx / allosaurus; transcript or heard words optional)--> PhoneTrack
      --phones_to_visemes--> VisemeTrack (+ per-frame controls and loudness)

Without a transcript and with the ``auto`` recogniser, a speech recogniser supplies the words
(``phonemes.words``) and they are aligned like a script; where they do not fit the audio, free
phone decoding takes over for that stretch (``align.fit``). Every path without a transcript
rests (X) outside the stretches where voice-activity detection hears speech.
A clip longer than ``chunk_seconds + overlap_seconds`` (130 s by default) is read as an
``AudioSource`` and analysed window by window (``phonemes.chunked``), so memory stays bounded
whatever its length.

``rigging`` then turns the VisemeTrack into curves and keyframes. Every stage is
a plain function of typed values (phonemes.types), so each can be swapped.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import AudioError, Cancelled, RecognizerError, TranscriptError
from .phonemes.audio import ArraySource, AudioSource, load_audio, open_audio, rms_envelope
from .phonemes.chunked import DEFAULT_CHUNK, DEFAULT_OVERLAP, analyze_long, needs_chunking
from .phonemes.types import FRAME_HOP, Audio, PhoneTrack, Transcript, VisemeTrack
from .phonemes.visemes import phones_to_visemes

Progress = Callable[[float, str], None]


@dataclass
class Analysis:
    audio: Audio | AudioSource  # an AudioSource for a long clip (its samples were never all in memory)
    phones: PhoneTrack
    visemes: VisemeTrack
    loudness: np.ndarray  # per FRAME_HOP frame, 0..1 (1 = loud speech)
    recognizer: str
    timings: dict[str, float] = field(default_factory=dict)
    heard: Transcript | None = None  # the words a speech recogniser heard (no transcript given)

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
    return scale_loudness(rms_envelope(audio, hop=hop))


def scale_loudness(rms: np.ndarray) -> np.ndarray:
    """Frame RMS -> 0..1, 1 at the 95th percentile of the voiced frames."""
    if rms.size == 0:
        return rms
    voiced = rms[rms > 1e-4]
    ref = float(np.percentile(voiced, 95)) if voiced.size else 0.0
    if ref <= 1e-6:
        return np.zeros_like(rms)
    return np.clip(rms / ref, 0.0, 1.0).astype(np.float32)


def analyze(
    source: str | Audio | AudioSource,
    transcript: str | None = None,
    recognizer="auto",
    language: str = "eng",
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    *,
    words=None,
    speech_model: str | None = None,
    chunk_seconds: float = DEFAULT_CHUNK,
    overlap_seconds: float = DEFAULT_OVERLAP,
) -> Analysis:
    """Audio (a path, Audio or AudioSource) [+ transcript text] -> timed phones, visemes, controls, loudness.

    ``recognizer`` is a name (``phonemes.recognizers.RECOGNIZER_NAMES``) or a recogniser
    object (load it once and pass it in for batches).
    ``words`` (used only without a transcript): None = automatic (the ``auto`` recogniser by name
    uses a speech model when one is installed for ``language``), False = never (today's
    model-only path), a ``words.Transcriber`` (loaded once for a batch) or a ``Transcript``
    (words already recognised, e.g. packed for a batch). ``speech_model``: its name or folder.
    ``language`` "auto" lets a multilingual speech model detect it (the phones use it too).
    A clip longer than ``chunk_seconds + overlap_seconds`` runs window by window
    (``phonemes.chunked``; the same result as the whole clip away from the seams between
    windows); its words are heard window by window too (``words.transcribe_source``).
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
    if isinstance(source, Audio):
        audio = source
        if needs_chunking(audio.duration, chunk_seconds, overlap_seconds):
            audio = ArraySource(audio)
    else:
        src = source if isinstance(source, AudioSource) else open_audio(source)
        if needs_chunking(src.duration, chunk_seconds, overlap_seconds):
            audio = src
        else:
            # a short clip is read whole, as it always was (an in-memory source is already whole)
            audio = src.load() if isinstance(src, ArraySource) or not isinstance(source, (str, os.PathLike)) \
                else load_audio(source)
    long_clip = isinstance(audio, AudioSource)
    if audio.duration <= 0:
        raise AudioError(f"{audio.source or 'The audio'} has no samples.")
    if transcript is not None and not transcript.strip():
        raise TranscriptError("The transcript is empty. Type the spoken words, or leave the transcript out.")
    timings["load_s"] = time.perf_counter() - t0

    notes: list[str] = []
    heard = None
    if transcript is None:
        if words is None and recognizer == "auto":
            words = words_for(language, speech_model, notes)
        if words:
            t1 = time.perf_counter()
            hear = lambda f, m: step(0.05 + 0.4 * f, m)  # noqa: E731
            try:
                if isinstance(words, Transcript):
                    heard = words
                elif long_clip:
                    from .phonemes.words import transcribe_source

                    heard = transcribe_source(words, audio, progress=hear, cancel=cancel)
                else:
                    heard = words.transcribe(audio, progress=hear, cancel=cancel)
            except RecognizerError as exc:  # e.g. a damaged speech model: the model's phones, and say why
                notes.append(f"no words from the audio ({exc}); the model's phones are used")
            timings["words_s"] = time.perf_counter() - t1
            if heard is not None and (language or "").lower() == "auto":
                language = heard.language
    if (language or "").lower() == "auto":
        language = "eng"
        notes.append("the language was not detected (that needs a multilingual speech model with no transcript); "
                     "English is assumed")

    step(0.45 if heard is not None else 0.1, "Loading recogniser")
    t1 = time.perf_counter()
    rec = get_recognizer(recognizer, language=language) if isinstance(recognizer, str) else recognizer
    timings["recognizer_load_s"] = time.perf_counter() - t1

    start = 0.5 if heard is not None else 0.2
    step(start, f"Finding phones ({rec.name})")
    t2 = time.perf_counter()
    controls = None
    control_names: tuple[str, ...] = ()
    loud = None
    if long_clip:
        text = transcript if transcript is not None else (heard.text if heard is not None and heard.words else None)
        script = None
        if text is not None:
            from .phonemes.g2p import text_to_phones

            script = text_to_phones(text, language)
        long = analyze_long(audio, rec, script, language, chunk_seconds, overlap_seconds,
                            step=lambda f, m: step(start + (0.8 - start) * f, f"Finding phones ({rec.name}), {m}"))
        phones, controls, control_names = long.phones, long.controls, long.control_names
        loud = scale_loudness(long.rms)
        timings["windows"] = long.windows
    elif heard is not None and heard.words:
        phones, controls, control_names = _align_heard(rec, audio, heard, language, step)
    elif isinstance(rec, PosteriorRecognizer):
        post = rec.posteriors(audio)
        step(0.6, "Decoding")
        phones = rec.recognize_posteriors(post, transcript=transcript, language=language, duration=audio.duration)
        controls, control_names = post.controls, tuple(post.control_names)
    else:
        phones = rec.recognize(audio, transcript=transcript, language=language)
    if transcript is None:
        _rest_outside_speech(phones, audio, heard)
    phones.warnings[:0] = notes + (heard.warnings if heard is not None else [])
    timings["recognize_s"] = time.perf_counter() - t2

    step(0.85, "Choosing mouth shapes")
    visemes = phones_to_visemes(phones)
    visemes.controls, visemes.control_names = controls, control_names
    visemes.source = audio.source
    if loud is None:
        loud = loudness_curve(audio)
    timings["total_s"] = time.perf_counter() - t0
    step(1.0, "Done")
    return Analysis(audio, phones, visemes, loud, phones.recognizer or rec.name, timings, heard)


# The aligner behind recognised words: "model" (the model's own forced alignment) or "fused" (the model's and
# pocketsphinx's alignments combined, as with a script). See README "Accuracy and speed" for the measurement.
WORDS_ALIGNER = "model"


def words_for(language: str, speech_model: str | None = None, notes: list | None = None):
    """A ``words.Transcriber`` for ``language`` when a speech model for it is installed, else None (the reason is
    appended to ``notes``: e.g. which model to download for a language the English-only ones cannot hear)."""
    from .phonemes import speech_models, words

    ok, why = speech_models.status()
    if not ok:
        if notes is not None and speech_model:
            notes.append(f"no words from the audio: {why}")
        return None
    try:
        return words.Transcriber(speech_model, language)
    except RecognizerError as exc:
        if notes is not None:
            notes.append(f"no words from the audio ({exc}); the model's phones are used meanwhile")
        return None


def _align_heard(rec, audio: Audio, heard: Transcript, language: str, step):
    """Align the words heard like a script; free decoding where they do not fit. (phones, controls, names)."""
    from .phonemes.align.fit import align_by_region, fit_words
    from .phonemes.recognizers import PosteriorRecognizer
    from .phonemes.recognizers.fused import FusedRecognizer

    text = heard.text
    if isinstance(rec, FusedRecognizer) and WORDS_ALIGNER == "model":
        rec = rec.model
    if not isinstance(rec, PosteriorRecognizer):
        return rec.recognize(audio, transcript=text, language=language), None, ()
    post = rec.posteriors(audio)
    step(0.65, "Aligning the words")
    free = rec.recognize_posteriors(post, transcript=None, language=language, duration=audio.duration)
    if isinstance(rec, FusedRecognizer):  # pocketsphinx aligns the whole clip's audio: one alignment
        forced = rec.recognize_posteriors(post, transcript=text, language=language, duration=audio.duration)
    else:  # stretch by stretch of speech: bounded memory and time on long clips
        forced = align_by_region(post, heard.words, heard.speech or [(0.0, audio.duration)],
                                 lambda p, t, d: rec.recognize_posteriors(p, transcript=t, language=language,
                                                                          duration=d), free, audio.duration)
        forced.recognizer = rec.name
    track = fit_words(forced, free, post, heard.words)
    return track, post.controls, tuple(post.control_names)


def _rest_outside_speech(phones: PhoneTrack, audio: Audio | AudioSource, heard: Transcript | None) -> None:
    """No transcript: rest wherever voice-activity detection hears no speech (noise, music, breath)."""
    from .phonemes import words
    from .phonemes.align.fit import rest_outside

    if heard is not None:
        regions = heard.speech
    elif words.vad_available():
        regions = (words.speech_regions_source(audio) if isinstance(audio, AudioSource)
                   else words.speech_regions(audio))
    else:
        return
    rest_outside(phones, regions)
