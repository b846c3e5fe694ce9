"""Synthetic speech with exact phone timings from espeak-ng (``libespeak-ng`` through ctypes).

The library's synchronous mode hands every buffer of 16-bit samples to a callback
together with its events; phoneme events (asked for with IPA names at
``espeak_Initialize``) carry the sample position where the phoneme starts, so a
phone lasts until the next phoneme event. Pause phonemes have an empty IPA
name and become ``SIL``. A phoneme that is more than one of our phones (``ɑːɹ``
in "car", the triphthong ``aɪɚ`` in "fire") is split into its parts, vowels
keeping the larger share of the time; diphthongs (``aɪ``, ``oʊ``, ...) and
affricates stay one row, as in the flite path. Audio is resampled from the
engine's 22050 Hz to 16 kHz, after ``LEAD_SILENCE`` of silence (espeak starts
speaking at once; its own end pause closes the utterance).

Two kinds of event do not sit on the acoustic boundary and are moved onto it
(``refine_events``): a stop's closure is generated before its event, and a vowel
after a nasal gets its event only after its onset transition. Pause onsets are
exact (``OFFSETS``: 1-2 ms, the resolution of the measurement).

The engine keeps state between utterances (pitch flutter, randomness), so the
same text can come out a few samples different from one call to the next; the
labels always describe the audio returned with them.

The library is initialised lazily once per process (again in a forked child, so
a fork pool's workers each own a copy) and a lock serialises synthesis between
threads.
Only the shared library (Debian ``libespeak-ng1``, pulled in by ``espeak-ng``)
is needed at run time. No torch here.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading

import numpy as np

from ...phonemes import phoneset
from ...phonemes.types import SIL
from .common import SynthError

# voice -> speech rate (words per minute; espeak's default is 175). Mixed accents, sexes, pitches and
# both of espeak's synthesisers (the default formant one and klatt). Mostly variants without espeak's
# echo, whose closures and pauses are digital silence, so stop closures are found exactly.
_VOICE_RATES = {
    "en-us": 175,               # US male (espeak's default variant)
    "en-us+f1": 165,            # US female
    "en-us+m3": 155,            # US male, low pitch
    "en-us+klatt": 185,         # US male, klatt synthesiser
    "en-us+Andrea": 180,        # US female, high pitch
    "en-gb": 170,               # British male
    "en-gb-x-rp+f4": 160,       # RP female (this variant adds an echo)
    "en-gb-scotland+m7": 150,   # Scottish male, low
}
VOICES = tuple(f"espeak:{v}" for v in _VOICE_RATES)

# seconds added to espeak's phone times (python -m lipsync.training.synth_offsets: median acoustic onset after a pause
# minus the labelled pause end; a positive value means the engine's labels run early).
# measured 2026-11-29 with `.venv/bin/python -m lipsync.training.synth_offsets --n 30 --voices espeak`
# (55-57 pause->speech boundaries per voice), median lag (IQR):
#   en-us +1.5 ms (+1.1..+2.0), en-us+f1 +1.0 (+0.8..+1.3), en-us+m3 +1.5 (+1.3..+2.0),
#   en-us+klatt +1.0 (+0.7..+1.2), en-us+Andrea +1.0 (+0.8..+1.5), en-gb +1.6 (+1.0..+2.0),
#   en-gb-x-rp+f4 +1.0 (+1.0..+1.7), en-gb-scotland+m7 +1.8 (+1.1..+2.0)
# i.e. espeak's sample positions are exact to about the measurement's own resolution (1 ms frames,
# 5 ms smoothing); flite measures +5..+10 ms the same way.
OFFSETS = {
    "espeak:en-us": 0.002, "espeak:en-us+f1": 0.001, "espeak:en-us+m3": 0.002, "espeak:en-us+klatt": 0.001,
    "espeak:en-us+Andrea": 0.001, "espeak:en-gb": 0.002, "espeak:en-gb-x-rp+f4": 0.001,
    "espeak:en-gb-scotland+m7": 0.002,
}

# names espeak-ng's command line accepts (it falls back to the language) but espeak_SetVoiceByName does not
_ALIASES = {"en-gb": "en", "en-uk": "en"}

LEAD_SILENCE = 0.1  # seconds of silence put before the speech (espeak starts speaking at once)
SR = 16000

# libespeak-ng API (speak_lib.h)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_INIT_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_PARAM_RATE = 1
_EE_OK = 0


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms
        ("sample", ctypes.c_int),  # samples since the start of this synthesis
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),  # union: number / name pointer / phoneme name (UTF-8, maybe unterminated)
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))

_lock = threading.Lock()
_state: dict = {"pid": None, "lib": None, "sr": None, "cb": None, "voice": None, "rate": None,
                "chunks": [], "events": [], "error": None}


def _after_fork():
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _synth_error(msg: str):
    return SynthError(msg)


def use_bundled(on: bool = True) -> None:
    """Synthesise with the libespeak-ng bundled by ``espeakng-loader`` (espeak-ng 1.52: full Mandarin and
    Cantonese dictionaries, the same engine the G2P uses) instead of the system's (Debian's 1.51, the one the
    shipped model's synthetic training data came from). Takes effect at the next synthesis."""
    if bool(on) != _state.get("bundled", False):
        with _lock:
            _state.update(bundled=bool(on), lib=None, pid=None)


def _load_library():
    if _state.get("bundled"):
        try:
            import espeakng_loader

            return ctypes.CDLL(espeakng_loader.get_library_path())
        except Exception as exc:
            raise _synth_error(f"the bundled espeak-ng (pip install espeakng-loader) cannot be loaded: {exc}")
    names = [ctypes.util.find_library("espeak-ng"), "libespeak-ng.so.1", "libespeak-ng.so", "libespeak-ng.dylib",
             "libespeak-ng.dll"]
    err = None
    for name in names:
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError as exc:
            err = exc
    raise _synth_error("espeak-ng is not installed: `apt-get install espeak-ng` (libespeak-ng; needed only to "
                       f"make synthetic training data) [{err}]")


def _on_audio(wav, n, events):
    try:
        if wav and n > 0:
            _state["chunks"].append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == _EVENT_PHONEME:
                name = bytes(ev.id).split(b"\0", 1)[0].decode("utf-8", "replace")
                _state["events"].append((ev.sample, name))
            i += 1
    except Exception as exc:  # never let an exception cross the C boundary
        _state["error"] = exc
        return 1
    return 0


def _init():
    """Load and initialise libespeak-ng once per process (again in a forked child that never used it)."""
    if _state["lib"] is not None and _state["pid"] == os.getpid():
        return _state["lib"]
    lib = _load_library()
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                 ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Synchronize.restype = ctypes.c_int
    data_dir = None
    if _state.get("bundled"):
        import espeakng_loader

        data_dir = os.path.dirname(espeakng_loader.get_data_path()).encode()
    sr = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_dir,
                               _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA | _INIT_DONT_EXIT)
    if sr <= 0:
        raise _synth_error("libespeak-ng could not be initialised (its data, espeak-ng-data, is missing?): "
                           "`apt-get install espeak-ng`")
    cb = _CALLBACK(_on_audio)
    lib.espeak_SetSynthCallback(cb)
    _state.update(lib=lib, sr=sr, cb=cb, pid=os.getpid(), voice=None, rate=None)
    return lib


def available() -> bool:
    """True when libespeak-ng (and its data) can be loaded here."""
    try:
        with _lock:
            _init()
        return True
    except Exception:
        return False


# ------------------------------------------------------------------ phones
_WEIGHT_VOWEL, _WEIGHT_CONSONANT = 1.5, 1.0


def _kind(seg: str) -> str:
    f = phoneset.features(seg)
    return f.kind if f is not None else "consonant"


def _whole(p: str) -> bool:
    """One of our phones as it is: a base segment (affricates included), or a diphthong of ARPAbet's."""
    if p in phoneset.BASE:
        return True
    try:
        phoneset.ipa_to_arpabet(p)
        return True
    except KeyError:
        return False


# espeak's symbols outside the IPA chart: its reduced vowel (I#, "roses", "wanted": CMU has IH there)
# and a palatal glide written as a lone modifier letter (British "new")
_FIX = {"ᵻ": "ɪ", "ʲ": "j", "\ufffd": ""}


def split_phoneme(name: str) -> list[tuple[float, str]]:
    """espeak's IPA name of one phoneme -> [(fraction of its duration, IPA phone)].

    ``""`` (a pause) -> SIL; ``ɑːɹ`` -> ɑː + ɹ; ``aɪɚ`` -> aɪ + ɚ; ``aɪ``, ``tʃ``, ``n̩`` stay whole.
    A phone ``phoneset.features`` does not know comes back as None (the caller joins it to its neighbour).
    """
    fixed = name
    for a, b in _FIX.items():
        fixed = fixed.replace(a, b)
    if name and not fixed.strip():
        return [(1.0, None)]
    p = phoneset.normalize(fixed)
    if p == SIL:
        return [(1.0, SIL)]
    if _whole(p):
        return [(1.0, p)]
    if len(p) == 1 and phoneset.features(p) is None:
        return [(1.0, None)]
    toks = phoneset.tokenize(p)
    # group: runs of vowels form one (diphthong) part, but a run longer than an ARPAbet diphthong is split
    # after its first two; consonants stand alone except for known affricates
    parts: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if _kind(t) == "vowel":
            j = i + 1
            while j < len(toks) and _kind(toks[j]) == "vowel":
                j += 1
            run = toks[i:j]
            while run:
                if len(run) >= 2 and _whole(run[0] + run[1]):
                    parts.append(run[0] + run[1])
                    run = run[2:]
                elif len(run) >= 2 and len(run) != 3 and phoneset.features(run[0] + run[1]) is not None:
                    parts.append(run[0] + run[1])  # a diphthong ARPAbet lacks (e.g. British əʊ): keep whole
                    run = run[2:]
                else:
                    parts.append(run[0])
                    run = run[1:]
            i = j
        else:
            if i + 1 < len(toks) and (t + toks[i + 1]) in phoneset.BASE:
                parts.append(t + toks[i + 1])
                i += 2
            else:
                parts.append(t)
                i += 1
    if len(parts) <= 1:
        return [(1.0, p if phoneset.features(p) is not None else None)]
    w = [(_WEIGHT_VOWEL if _kind(x) == "vowel" else _WEIGHT_CONSONANT) * len(phoneset.tokenize(x)) for x in parts]
    tot = sum(w)
    return [(wi / tot, x if phoneset.features(x) is not None else None) for wi, x in zip(w, parts)]


# ------------------------------------------------------------------ event times -> phone boundaries
# espeak places two kinds of phoneme event away from the acoustic boundary (synthesize.c, Generate):
# - a phoneme's "prepause" (the closure before a stop, a short gap at a word boundary) is generated
#   before its event, so the closure silence would be labelled with the phone before it;
# - a vowel after a nasal or liquid gets its event after the vowel's start (its transition frames), so
#   the first part of the vowel would be labelled with the consonant (an "m" would hold the lips shut
#   10-40 ms into the vowel).
# ``refine_events`` moves those boundaries to what the audio shows: the start of the silent run right
# before a consonant, and the steep energy rise where a nasal's murmur gives way to its vowel. After a
# liquid (l, ɹ, w, j) the formants glide with no acoustic edge; there the engine's time (which lies
# inside the glide) is kept.
_QUIET_DB = 20.0  # below the previous phone's loud part (its 90th percentile frame energy) = closure/silence
_RISE_DB = 3.0  # smallest energy step (over 10 ms) taken as the consonant -> vowel boundary
_KEEP = 0.3  # a phone keeps at least this share of its reported duration


def _frame_db(x: np.ndarray, hop: int) -> np.ndarray:
    n = len(x) // hop
    if n == 0:
        return np.zeros(0)
    return 10 * np.log10(np.mean(x[: n * hop].reshape(n, hop).astype(np.float64) ** 2, axis=1) + 1e-10)


def refine_events(x: np.ndarray, events, sr: int):
    """[(sample, ipa_name)] phoneme starts -> the same with boundaries moved onto the audio (see above)."""
    ev = sorted(((int(s), n) for s, n in events), key=lambda r: r[0])  # stable: same-sample events keep their order
    hop = max(sr // 1000, 1)  # 1 ms frames
    e = _frame_db(x, hop)
    if len(e) < 20 or len(ev) < 2:
        return ev
    # 10 ms moving power average, for the consonant -> vowel energy rise
    p = np.convolve(10 ** (e / 10), np.ones(10) / 10, mode="same")
    sm = 10 * np.log10(p + 1e-10)
    out = list(ev)
    for i in range(1, len(ev)):
        (s0, n0), (s1, n1) = out[i - 1], ev[i]
        f0, f1 = phoneset.features(n0) if n0 else None, phoneset.features(n1) if n1 else None
        if f0 is None or f1 is None or f0.kind == "silence" or s1 <= s0:
            continue
        a, b = s0 // hop, min(s1 // hop, len(e))
        lo = (s0 + int(_KEEP * (s1 - s0))) // hop
        if b - a < 4:
            continue
        new = None
        if f1.kind == "consonant":
            thr = np.percentile(e[a:b], 90) - _QUIET_DB
            j = b - 1
            if j > lo and e[j] >= thr:  # the frame holding the event may already contain the burst
                j -= 1
            k = j
            while k >= lo and e[k] < thr:
                k -= 1
            if j - k >= 3:
                new = (k + 1) * hop
        elif f1.kind == "vowel" and f0.kind == "consonant" and f0.manner == "nasal":
            lag = 5
            t = np.arange(max(lo, a + lag), min(b + 1, len(sm) - lag))
            if len(t):
                rise = sm[t + lag] - sm[t - lag]
                k = int(np.argmax(rise))
                if rise[k] >= _RISE_DB:
                    new = int(t[k]) * hop
        if new is not None and s0 < new < s1:
            out[i] = (new, n1)
    return out


def events_to_segments(events, n_samples: int, sr: int):
    """[(sample, ipa_name)] phoneme starts -> contiguous [(start_s, end_s, ipa)] over ``n_samples``."""
    ev = sorted(((min(max(int(s), 0), n_samples), n) for s, n in events), key=lambda r: r[0])
    if not ev or ev[0][0] > 0:
        ev.insert(0, (0, ""))
    rows = []
    for (s, name), nxt in zip(ev, ev[1:] + [(n_samples, None)]):
        e = nxt[0]
        if e <= s:
            continue
        t0, t1 = s / sr, e / sr
        pos = t0
        for frac, ph in split_phoneme(name):
            q = pos + frac * (t1 - t0)
            if ph is None and rows:  # a symbol we cannot name: its time goes to the phone before it
                rows[-1][1] = q
            else:
                rows.append([pos, q, ph if ph is not None else SIL])
            pos = q
        rows[-1][1] = t1
    segs: list[tuple[float, float, str]] = []
    for s, e, p in rows:
        if segs and p == SIL and segs[-1][2] == SIL:
            segs[-1] = (segs[-1][0], e, SIL)
        else:
            segs.append((s, e, p))
    return segs


# ------------------------------------------------------------------ synthesis
def _raw(text: str, voice: str):
    """int16 samples at the engine's rate and [(sample, ipa_name)] phoneme starts (call with _lock held)."""
    lib = _init()
    voice, _, rate_s = voice.partition("@")
    if voice != _state["voice"]:
        base, plus, variant = voice.partition("+")
        name = _ALIASES.get(base.lower(), base) + plus + variant
        if lib.espeak_SetVoiceByName(name.encode("utf-8")) != _EE_OK:
            _state["voice"] = None
            raise _synth_error(f"espeak-ng has no voice {voice!r} here (see `espeak-ng --voices=en`)")
        _state["voice"], _state["rate"] = voice, None
    rate = int(rate_s) if rate_s.isdigit() else _VOICE_RATES.get(voice, 175)
    if rate != _state["rate"]:
        lib.espeak_SetParameter(_PARAM_RATE, rate, 0)
        _state["rate"] = rate
    _state["chunks"], _state["events"], _state["error"] = [], [], None
    data = text.encode("utf-8") + b"\0"
    rc = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None)
    lib.espeak_Synchronize()
    chunks, events, err = _state["chunks"], _state["events"], _state["error"]
    _state["chunks"], _state["events"] = [], []
    if rc != _EE_OK or err is not None:
        raise _synth_error(f"espeak-ng failed on {text[:60]!r} (code {rc}{', ' + repr(err) if err else ''})")
    x = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return x, events


def synthesize(text: str, voice: str = "en-us", apply_offset: bool = True):
    """Speak ``text`` with an espeak-ng voice (``en-us``, ``en-gb+f4``, ...; any name espeak-ng knows), optionally
    with a speaking rate in words per minute after an ``@`` (``fr+m3@160``; default: the voice's own rate).

    Returns (float32 samples at 16 kHz mono, [(start_s, end_s, ipa)]) with segments covering the audio.
    """
    from ...phonemes.audio import resample

    if not text or not text.strip():
        raise _synth_error("nothing to say: empty text")
    with _lock:
        raw, events = _raw(text, voice)
        sr = _state["sr"]
    segs = events_to_segments(refine_events(raw, events, sr), len(raw), sr)
    x = resample(raw.astype(np.float32) / 32768.0, sr, SR).astype(np.float32)
    lead = int(round(LEAD_SILENCE * SR))
    x = np.concatenate([np.zeros(lead, np.float32), x])
    dur = len(x) / SR
    off = (OFFSETS.get(f"espeak:{voice.partition('@')[0]}", 0.0) if apply_offset else 0.0) + lead / SR
    out = []
    for s, e, p in segs:
        s, e = max(s + off, 0.0), min(e + off, dur)
        if e <= s:
            continue
        if out and p == SIL and out[-1][2] == SIL:
            out[-1] = (out[-1][0], e, SIL)
        else:
            out.append((s, e, p))
    if not out:  # nothing spoken (e.g. only punctuation)
        return x, [(0.0, dur, SIL)]
    if out[0][2] == SIL:
        out[0] = (0.0, out[0][1], SIL)
    elif out[0][0] > 0:
        out.insert(0, (0.0, out[0][0], SIL))
    out[-1] = (out[-1][0], dur, out[-1][2])
    return x, out


__all__ = ["VOICES", "OFFSETS", "available", "synthesize", "use_bundled", "split_phoneme", "events_to_segments", "refine_events"]
