"""The words stage: Audio -> Transcript (timed words, each with the recogniser's probability).

Whisper through ``faster-whisper`` (CTranslate2: int8 on the CPU, float16 on CUDA where present),
with the speech model from ``speech_models`` (the embedded tiny.en by default). How it runs:

1. **Voice activity** (:func:`speech_probability`, Silero VAD, the ONNX file faster-whisper ships):
   a speech probability every 32 ms, turned into padded speech regions (:func:`speech_regions`).
   Only those are transcribed, so silence, noise, breathing and music without a voice get no words;
   the same regions gate the audio-only phone paths (``pipeline``).
2. **Packing**: Whisper's encoder always reads a 30 s window, so the speech regions (of one clip,
   or of many short clips in a batch, :func:`Transcriber.transcribe_many`) are packed into windows
   of up to :data:`WINDOW` seconds, :data:`GAP` seconds of silence between pieces; each window is
   transcribed on its own (memory stays bounded on long clips; progress and cancel per window)
   and every word is mapped back to its clip and time.
3. **Guards against invented words**: segments whose no-speech probability is high and whose
   mean log-probability is low, or that repeat themselves (compression ratio), are dropped; so are
   words outside the speech regions. What remains carries Whisper's word probability for the
   aligner's fit check (``word_fit``).

Languages: ISO 639-3 codes (``eng``, ``fra``, ...) or ``auto`` (detected by a multilingual model,
and returned as ISO 639-3 so the phones use it too). An English-only model is never asked for
another language (RecognizerError naming the model to download).
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import Cancelled, RecognizerError
from .g2p import ISO639_3_TO_ESPEAK, words_of
from .speech_models import DOWNLOAD_COMMAND, SUGGESTED_MULTILINGUAL, SpeechModel, find_model
from .types import INTERNAL_RATE, Audio, TimedWord, Transcript

VAD_HOP = 512 / INTERNAL_RATE  # Silero VAD: one probability per 32 ms
VAD_THRESHOLD = 0.5
VAD_PAD = 0.2  # s added around each speech region
VAD_MIN_GAP = 0.3  # s: shorter pauses stay inside one region
VAD_MIN_SPEECH = 0.1  # s: shorter blips are not speech
WINDOW = 28.0  # s of packed speech per Whisper window (its encoder reads 30 s)
GAP = 1.0  # s of silence between packed pieces
RETRY_GAP = 2.0  # s between the pieces packed again after Whisper lost its place among them
MIN_HEARD = 0.5  # s: a packed piece this long that gets no word is transcribed again on its own
DRIFT = 0.4  # s: words reaching this far into the gap towards a line left without words were moved off it
NO_SPEECH = 0.6  # a segment with no-speech probability above this ...
LOW_LOGPROB = -1.0  # ... and mean token log-probability below this is dropped (Whisper's own rule)
MAX_COMPRESSION = 2.4  # a segment whose text compresses better than this repeats itself: dropped
ENGLISH = ("eng", "en", "en-us", "english")

Progress = Callable[[float, str], None]

_WHISPER_OVERRIDES = {"cmn": "zh", "zho": "zh", "yue": "yue", "nob": "no", "nor": "no", "haw": "haw"}
_ISO3_PREFERRED = {"zh": "cmn", "no": "nob", "ms": "msa", "en": "eng"}


def _whisper_codes() -> frozenset[str]:
    try:
        from faster_whisper.tokenizer import _LANGUAGE_CODES
    except ImportError:
        return frozenset()
    return frozenset(_LANGUAGE_CODES)


def whisper_language(language: str) -> str | None:
    """Whisper's code for an ISO 639-3 code (or a Whisper code); None for ``auto``. RecognizerError if unknown."""
    lang = (language or "eng").strip().lower()
    if lang == "auto":
        return None
    if lang in ENGLISH:
        return "en"
    codes = _whisper_codes()
    code = _WHISPER_OVERRIDES.get(lang) or ISO639_3_TO_ESPEAK.get(lang, lang).split("-")[0]
    if code in codes or (not codes and len(code) == 2):
        return code
    raise RecognizerError(f"the speech recogniser does not know the language {language!r}; give an ISO 639-3 "
                          "code it supports (eng, fra, deu, spa, ita, por, nld, rus, cmn, jpn, ...) or 'auto'")


def iso639_3(whisper_code: str) -> str:
    """The ISO 639-3 code the phones use for a language Whisper detected (its own code when unknown)."""
    if whisper_code in _ISO3_PREFERRED:
        return _ISO3_PREFERRED[whisper_code]
    for iso3, voice in ISO639_3_TO_ESPEAK.items():
        if voice.split("-")[0] == whisper_code:
            return iso3
    for iso3, code in _WHISPER_OVERRIDES.items():
        if code == whisper_code:
            return iso3
    return whisper_code


# ---------------------------------------------------------------- voice activity
_VAD = {}
_VAD_LOCK = threading.Lock()


def vad_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("faster_whisper", "onnxruntime"))


def _samples16k(audio: Audio) -> np.ndarray:
    x = np.asarray(audio.samples, dtype=np.float32).reshape(-1)
    if audio.sample_rate != INTERNAL_RATE:
        from .audio import resample

        x = resample(x, int(audio.sample_rate), INTERNAL_RATE).astype(np.float32)
    return x


def speech_probability(audio: Audio, block: float = 600.0) -> np.ndarray:
    """Silero VAD's speech probability per :data:`VAD_HOP` (32 ms) of ``audio``, in blocks of ``block`` s."""
    try:
        from faster_whisper.vad import get_vad_model
    except ImportError as exc:
        raise RecognizerError("voice-activity detection needs faster-whisper and onnxruntime "
                              "(pip install faster-whisper)") from exc
    with _VAD_LOCK:
        if "model" not in _VAD:
            _VAD["model"] = get_vad_model()
        model = _VAD["model"]
    x = _samples16k(audio)
    n = int(np.ceil(len(x) / 512)) * 512
    step = int(block * INTERNAL_RATE) // 512 * 512
    out = []
    for a in range(0, max(n, 1), step):
        seg = np.zeros(min(step, n - a), np.float32)
        part = x[a:a + len(seg)]
        seg[:len(part)] = part
        if len(seg):
            out.append(np.asarray(model(seg), dtype=np.float32).reshape(-1))
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def speech_regions(audio: Audio, probs: np.ndarray | None = None, threshold: float = VAD_THRESHOLD,
                   pad: float = VAD_PAD, min_gap: float = VAD_MIN_GAP,
                   min_speech: float = VAD_MIN_SPEECH) -> list[tuple[float, float]]:
    """(start, end) seconds of speech: frames above ``threshold`` (hysteresis down to threshold - 0.15),
    blips shorter than ``min_speech`` dropped, pauses shorter than ``min_gap`` bridged, ``pad`` added."""
    p = speech_probability(audio) if probs is None else np.asarray(probs)
    dur = audio.duration
    if p.size == 0:
        return []
    on = np.zeros(p.size, bool)
    state = False
    low = threshold - 0.15
    for i, v in enumerate(p):
        state = v >= threshold or (state and v >= low)
        on[i] = state
    d = np.diff(np.concatenate([[0], on.astype(np.int8), [0]]))
    runs = [(a * VAD_HOP, b * VAD_HOP) for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1))]
    runs = [(a, b) for a, b in runs if b - a >= min_speech]
    merged: list[list[float]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < min_gap:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out: list[tuple[float, float]] = []
    for a, b in merged:
        a, b = max(0.0, a - pad), min(dur, b + pad)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


# ---------------------------------------------------------------- the recogniser
_MODELS: dict = {}
_MODELS_LOCK = threading.Lock()


def _device(device: str | None) -> str:
    if device:
        return device
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:  # noqa: BLE001 - no CUDA runtime: the CPU
        return "cpu"


def load_whisper(model: SpeechModel, device: str | None = None, compute_type: str | None = None,
                 threads: int | None = None):
    """faster-whisper's WhisperModel for ``model`` (cached per process)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise RecognizerError("the words stage needs faster-whisper (pip install faster-whisper), or choose the "
                              "'model' recogniser") from exc
    dev = _device(device)
    ct = compute_type or ("int8" if dev == "cpu" else "float16")
    threads = threads or min(os.cpu_count() or 1, 8)
    key = (model.path, dev, ct, threads)
    with _MODELS_LOCK:
        if key not in _MODELS:
            try:
                _MODELS[key] = WhisperModel(model.path, device=dev, compute_type=ct, cpu_threads=threads)
            except Exception as exc:  # noqa: BLE001 - a damaged folder or an unsupported device
                raise RecognizerError(f"could not load the speech model {model.name} from {model.path} "
                                      f"({type(exc).__name__}: {str(exc)[:160]}); download it again with "
                                      f"{DOWNLOAD_COMMAND} {model.name}") from exc
        return _MODELS[key]


@dataclass
class _Piece:
    clip: int  # index of the clip in the batch
    start: float  # seconds in the clip
    end: float
    offset: float = 0.0  # where it starts in its window


class Transcriber:
    """A loaded speech model: :meth:`transcribe` one clip, :meth:`transcribe_many` a batch (packed windows)."""

    def __init__(self, model: str | SpeechModel | None = None, language: str = "eng", device: str | None = None,
                 compute_type: str | None = None, beam_size: int = 1, threads: int | None = None):
        lang = (language or "eng").strip().lower()
        self.model = model if isinstance(model, SpeechModel) else find_model(model, lang)
        if self.model.english_only and lang not in ENGLISH:
            what = "detect the language" if lang == "auto" else f"hear {language!r}"
            raise RecognizerError(f"the speech model {self.model.name} is English-only and cannot {what}; "
                                  f"download a multilingual one with: {DOWNLOAD_COMMAND} {SUGGESTED_MULTILINGUAL}")
        self.language = lang
        self.code = whisper_language(lang)
        self.device, self.compute_type, self.threads = device, compute_type, threads
        self.beam_size = int(beam_size)
        self._whisper = None

    @property
    def whisper(self):
        if self._whisper is None:
            self._whisper = load_whisper(self.model, self.device, self.compute_type, self.threads)
        return self._whisper

    def transcribe(self, audio: Audio, progress: Progress | None = None,
                   cancel: Callable[[], bool] | None = None) -> Transcript:
        return self.transcribe_many([audio], progress, cancel)[0]

    def transcribe_many(self, audios: list[Audio], progress: Progress | None = None,
                        cancel: Callable[[], bool] | None = None,
                        done: Callable[[int, Transcript], None] | None = None) -> list[Transcript]:
        """One Transcript per clip. Short clips share windows (fixed language); with ``auto`` each clip is
        packed on its own so that each gets its own detected language. ``done(index, transcript)`` is called
        as soon as a clip's words are final (after its last window, retries included), so a caller can align
        the first clips while later windows are still being transcribed."""
        samples = [_samples16k(a) for a in audios]
        regions = [speech_regions(a) for a in audios]
        groups = [list(range(len(audios)))] if self.code is not None else [[i] for i in range(len(audios))]
        # (pieces, attempt): 0 packed as they come; 1 the pieces Whisper lost its place on, packed again together
        # (one more encoder pass for all of them, not one per clip); 2 alone, when that failed too
        windows = [(w, 0) for g in groups for w in _pack([(i, s, e) for i in g for s, e in regions[i]])]
        retry: list[tuple[int, float, float]] = []
        words: list[list[TimedWord]] = [[] for _ in audios]
        warnings: list[list[str]] = [[] for _ in audios]
        lang = {i: (self.language if self.code is not None else None) for i in range(len(audios))}
        lang_p = {i: 1.0 for i in range(len(audios))}
        finished: dict[int, Transcript] = {}

        def transcript(i: int) -> Transcript:
            a = audios[i]
            return Transcript(sorted(words[i], key=lambda w: w.start), a.duration, lang[i] or self.language,
                              self.model.name, lang_p[i], regions[i], warnings[i], a.source)

        k = 0
        while k < len(windows) or retry:
            if k == len(windows):  # the first pass is done: its lost pieces again, together
                windows.extend((w, 1) for w in _pack(retry, gap=RETRY_GAP))
                retry = []
            pieces, attempt = windows[k]
            if cancel is not None and cancel():
                raise Cancelled("Transcription cancelled.")
            if progress is not None:
                progress(k / max(1, len(windows)), f"Transcribing ({k + 1}/{len(windows)})")
            k += 1
            clip0 = pieces[0].clip
            code = self.code if self.code is not None else (
                whisper_language(lang[clip0]) if lang[clip0] is not None else None)
            got, info, dropped = self._run(_window_samples(samples, pieces), code)
            placed = _place(pieces, got)
            redo = sorted({p.clip for p, ws, slipped in placed
                           if slipped or (not ws and p.end - p.start >= MIN_HEARD)})
            if redo and len({p.clip for p in pieces}) > 1:
                # Whisper lost its place among the packed lines (repeated lines do this, or it numbers the lines
                # like a list): those clips again, packed with the other lost ones, then each alone
                lost = [(p.clip, p.start, p.end) for p in pieces if p.clip in redo]
                if attempt == 0:
                    retry.extend(lost)
                else:
                    for c in redo:
                        windows.extend((w, 2) for w in _pack([x for x in lost if x[0] == c]))
                placed = [x for x in placed if x[0].clip not in redo]
            if code is None and info is not None:
                lang[clip0], lang_p[clip0] = iso639_3(info.language), float(info.language_probability)
            for p, ws, _slipped in placed:
                words[p.clip].extend(ws)
            for seg_text, t0, t1 in dropped:
                p = _piece_at(pieces, 0.5 * (t0 + t1)) or pieces[0]
                if p.clip not in redo:
                    at = p.start + max(0.0, t0 - p.offset)
                    warnings[p.clip].append(f"{at:.2f} s: ignored {seg_text!r}: it sounds like no speech (noise or "
                                            "music)")
            if done is not None:
                for c in sorted({p.clip for p in pieces}):
                    if c not in finished and c not in {x[0] for x in retry} and \
                            not any(q.clip == c for w, _a in windows[k:] for q in w):
                        finished[c] = transcript(c)
                        done(c, finished[c])
        if progress is not None:
            progress(1.0, "Transcribed")
        out = [finished[i] if i in finished else transcript(i) for i in range(len(audios))]
        if done is not None:
            for i, t in enumerate(out):
                if i not in finished:  # no speech heard: no window
                    done(i, t)
        return out

    def _run(self, x: np.ndarray, code: str | None):
        """Words (window times) of one window, the transcription info, and the texts of dropped segments."""
        segments, info = self.whisper.transcribe(
            x, language=code, task="transcribe", beam_size=self.beam_size, temperature=0.0,
            word_timestamps=True, condition_on_previous_text=False, vad_filter=False,
            no_speech_threshold=NO_SPEECH, log_prob_threshold=LOW_LOGPROB,
            compression_ratio_threshold=None)  # judged per segment below (a window packs many lines)
        words, dropped = [], []
        for seg in segments:
            if (seg.no_speech_prob > NO_SPEECH and seg.avg_logprob < LOW_LOGPROB) or \
                    compression_ratio(seg.text) > MAX_COMPRESSION:
                if seg.text.strip():
                    dropped.append((seg.text.strip(), float(seg.start), float(seg.end)))
                continue
            for w in seg.words or []:
                for part in words_of(w.word):
                    words.append(TimedWord(float(w.start), float(w.end), part, float(w.probability)))
        return words, info, dropped


def compression_ratio(text: str) -> float:
    """len(text) / len(zlib-compressed text): above ~2.4 a segment repeats itself (a Whisper hallucination)."""
    import zlib

    b = text.strip().encode("utf-8")
    return len(b) / len(zlib.compress(b)) if b else 0.0


def _pack(pieces: list[tuple[int, float, float]], window: float = WINDOW, gap: float = GAP) -> list[list[_Piece]]:
    """Speech pieces (clip, start, end) -> windows of at most ``window`` s (long pieces cut into parts)."""
    out: list[list[_Piece]] = []
    cur: list[_Piece] = []
    used = 0.0
    for clip, s, e in pieces:
        while e - s > 1e-3:
            part = min(e - s, window)
            if cur and used + gap + part > window:
                out.append(cur)
                cur, used = [], 0.0
            off = used + (gap if cur else 0.0)
            cur.append(_Piece(clip, s, s + part, off))
            used = off + part
            s += part
    if cur:
        out.append(cur)
    return out


def _window_samples(samples: list[np.ndarray], pieces: list[_Piece]) -> np.ndarray:
    n = int(np.ceil((pieces[-1].offset + pieces[-1].end - pieces[-1].start) * INTERNAL_RATE))
    x = np.zeros(n, np.float32)
    for p in pieces:
        a, b = int(round(p.start * INTERNAL_RATE)), int(round(p.end * INTERNAL_RATE))
        o = int(round(p.offset * INTERNAL_RATE))
        seg = samples[p.clip][a:b][: n - o]
        x[o:o + len(seg)] = seg
    return x


def _place(pieces: list[_Piece], got: list[TimedWord]) -> list[tuple[_Piece, list[TimedWord], bool]]:
    """Words of one window (window times) -> per piece: its words in clip times, and whether Whisper lost its place.

    A word goes to the piece it overlaps most (Whisper stretches a line's last word into the silence after it and
    starts the first one early, so its centre may lie in the gap); one that overlaps no piece (no duration, or all
    in a gap) to the nearest within a gap; past the last piece by more than a gap it is invented and dropped. A word
    that overlaps the pieces of two different lines means the window's timing slipped: which line said it is a
    guess, so both lines are flagged (and heard again); so is a word that starts more than DRIFT back in the gap
    after another line (that line's last word, timed late: repeated lines do this), and a line that got no word
    with the neighbour whose words reach more than DRIFT into the gap towards it."""
    out = {id(p): [] for p in pieces}
    slipped = {id(p): False for p in pieces}
    reach = {id(p): (np.inf, -np.inf) for p in pieces}  # window times its words span
    for w in got:
        over = [(min(w.end, p.offset + p.end - p.start) - max(w.start, p.offset), p) for p in pieces]
        over = [(o, p) for o, p in over if o > 0.0]
        if over:
            p = max(over, key=lambda x: x[0])[1]
            if len({q.clip for _o, q in over}) > 1:
                for _o, q in over:
                    slipped[id(q)] = True
        else:
            p = _piece_at(pieces, 0.5 * (w.start + w.end))
            if p is None:
                continue  # past the end of the last piece: invented
        j = next(i for i, q in enumerate(pieces) if q is p)
        if w.start < p.offset - DRIFT and j > 0 and pieces[j - 1].clip != p.clip:
            # starts far back in the gap after another line: perhaps that line's last word, timed late
            slipped[id(p)] = slipped[id(pieces[j - 1])] = True
        s = min(p.end, p.start + max(0.0, w.start - p.offset))
        e = min(p.end, max(s, p.start + w.end - p.offset))  # Whisper may give a word no duration
        out[id(p)].append(TimedWord(s, e, w.text, w.confidence))
        reach[id(p)] = (min(reach[id(p)][0], w.start), max(reach[id(p)][1], w.end))
    # a line that got no word next to one whose words reach far into the gap towards it: its words were moved
    # onto the neighbour (Whisper lost its place), so both lines are heard again
    for j, p in enumerate(pieces):
        if out[id(p)] or p.end - p.start < MIN_HEARD:
            continue
        for k, toward in ((j - 1, lambda q: reach[id(q)][1] > q.offset + q.end - q.start + DRIFT),
                          (j + 1, lambda q: reach[id(q)][0] < q.offset - DRIFT)):
            if 0 <= k < len(pieces) and pieces[k].clip != p.clip and out[id(pieces[k])] and toward(pieces[k]):
                slipped[id(p)] = slipped[id(pieces[k])] = True
    return [(p, out[id(p)], slipped[id(p)]) for p in pieces]


def _piece_at(pieces: list[_Piece], t: float) -> _Piece | None:
    """The piece a window time belongs to; one in the gap goes to the nearer neighbour (Whisper's word times
    drift at the end of a segment); None past the last piece's end by more than a gap."""
    best, dist = None, GAP
    for p in pieces:
        d = max(p.offset - t, t - (p.offset + p.end - p.start), 0.0)
        if d < dist or (d == 0.0 and best is None):
            best, dist = p, d
    return best


# ---------------------------------------------------------------- long clips (an AudioSource), window by window
SOURCE_CORE = 120.0  # seconds of a long clip each window answers for
SOURCE_PAD = 5.0  # heard on each side of a window's core, so no word is cut at a window's edge


def _source_windows(source, core: float = SOURCE_CORE, pad: float = SOURCE_PAD):
    """(window, core start s, core end s) over an ``audio.AudioSource``: windows of ``core`` seconds plus
    ``pad`` on each side; the cores tile the clip. Only one window's samples are in memory at a time."""
    rate = source.rate
    c, p = int(round(core * rate)), int(round(pad * rate))
    for win in source.windows(lambda k: (max(0, k * c - p), (k + 1) * c + p)):
        lo = win.index * core
        hi = win.stop / rate if win.at_end else (win.index + 1) * core
        yield win, lo, hi


def _in_core(regions, offset: float, lo: float, hi: float) -> list[tuple[float, float]]:
    """Window-time (start, end) regions -> clip time, clipped to the core [lo, hi]."""
    out = []
    for s, e in regions:
        s, e = max(lo, s + offset), min(hi, e + offset)
        if e > s:
            out.append((s, e))
    return out


def _merged(regions: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in sorted(regions):
        if out and s <= out[-1][1] + 1e-6:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _shifted_warning(text: str, offset: float) -> str:
    """A warning that starts with "T s:" (window time) -> clip time."""
    head, sep, rest = text.partition(" s: ")
    try:
        return f"{float(head) + offset:.2f} s: {rest}" if sep else text
    except ValueError:
        return text


def speech_regions_source(source) -> list[tuple[float, float]]:
    """:func:`speech_regions` of a long clip (an ``audio.AudioSource``), window by window."""
    out: list[tuple[float, float]] = []
    for win, lo, hi in _source_windows(source):
        out += _in_core(speech_regions(win.audio), win.offset, lo, hi)
    return _merged(out)


def transcribe_source(transcriber: "Transcriber", source, progress: Progress | None = None,
                      cancel: Callable[[], bool] | None = None) -> Transcript:
    """The words of a long clip (an ``audio.AudioSource``: never loaded whole), heard window by window.

    Each window (``SOURCE_CORE`` s plus ``SOURCE_PAD`` s each side) is transcribed on its own; a word is
    kept by the window whose core holds its midpoint, so the overlap gives each word once. With
    ``language`` auto, the language is the one detected in the first window that had words."""
    est = max(source.duration, 1e-9)
    words: list[TimedWord] = []
    speech: list[tuple[float, float]] = []
    warnings: list[str] = []
    language, lang_p = None, 1.0
    for win, lo, hi in _source_windows(source):
        if cancel is not None and cancel():
            raise Cancelled("Transcription cancelled.")
        sub = None
        if progress is not None:
            def sub(f, msg, lo=lo, hi=hi):
                progress(min(1.0, (lo + f * (hi - lo)) / est), f"{msg}, {lo / 60:.0f} of {est / 60:.0f} min")
        t = transcriber.transcribe(win.audio, sub, cancel)
        off = win.offset
        kept = [TimedWord(w.start + off, w.end + off, w.text, w.confidence) for w in t.words
                if lo <= 0.5 * (w.start + w.end) + off < hi or (win.at_end and 0.5 * (w.start + w.end) + off >= hi)]
        words += kept
        speech += _in_core(t.speech, off, lo, hi)
        warnings += [_shifted_warning(w, off) for w in t.warnings]
        if language is None and kept:
            language, lang_p = t.language, t.language_probability
    if progress is not None:
        progress(1.0, "Transcribed")
    name = getattr(getattr(transcriber, "model", None), "name", "")
    return Transcript(sorted(words, key=lambda w: w.start), source.duration, language or transcriber.language, name,
                      lang_p, _merged(speech), list(dict.fromkeys(warnings)), source.source)


def transcribe(audio: Audio, model: str | SpeechModel | None = None, language: str = "eng",
               progress: Progress | None = None, cancel: Callable[[], bool] | None = None) -> Transcript:
    """The words of ``audio`` (one call; load a :class:`Transcriber` once for many clips)."""
    return Transcriber(model, language).transcribe(audio, progress, cancel)


def transcript_text(t: Transcript, width: int = 80) -> str:
    """The words as plain text for a person to correct: one line per stretch of speech, wrapped."""
    lines, cur, last_end = [], [], None
    for w in t.words:
        if cur and last_end is not None and w.start - last_end > 1.0:
            lines.append(" ".join(cur))
            cur = []
        cur.append(w.text)
        last_end = w.end
    if cur:
        lines.append(" ".join(cur))
    import textwrap

    return "\n".join(textwrap.fill(line, width) for line in lines) + ("\n" if lines else "")


__all__ = ["Transcriber", "transcribe", "transcript_text", "speech_probability", "speech_regions", "vad_available",
           "whisper_language", "iso639_3", "load_whisper", "VAD_HOP"]
