"""English phones with the acoustic model shipped inside the PyPI ``pocketsphinx`` package.

Without a transcript: phone recognition with pocketsphinx's phone language
model (allphone search). With one: pocketsphinx's own forced alignment
(``Decoder.set_align_text`` + ``set_alignment`` + ``get_alignment``), words it
lacks spelled by :mod:`.g2p`. The confidence of each aligned phone is how well
it agrees with the free phone recognition over the same frames (articulatory
similarity), so a transcript that does not match the audio shows up as low
confidence and a warning rather than a crash.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from ..align import phone_similarity
from ..audio import resample
from ..phoneset import ARPABET_39, ARPABET_TO_IPA, arpabet_to_ipa, ipa_to_arpabet, tokenize
from ..types import INTERNAL_RATE, SIL, Audio, PhoneTrack, TimedPhone, TimedWord
from .base import Recognizer, RecognizerError

FRAME = 0.01  # pocketsphinx frames are 10 ms
QUIET_RMS = 1e-3  # below this the clip is treated as silence (about -60 dBFS)

__all__ = ["PocketsphinxRecognizer", "model_dir", "ipa_word_to_arpabet", "status"]


def model_dir() -> str:
    import pocketsphinx

    return os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us")


def status() -> tuple[bool, str]:
    """(ready, message): the pocketsphinx package and its English model are installed."""
    import importlib.util

    if importlib.util.find_spec("pocketsphinx") is None:
        return False, "pocketsphinx is not installed (pip install pocketsphinx)"
    if not os.path.isdir(model_dir()):
        return False, f"the pocketsphinx package has no en-us model at {model_dir()}"
    return True, "ready (English only)"


def ipa_word_to_arpabet(phones: list[str]) -> list[str]:
    """IPA phones -> ARPAbet-39 (nearest phone by articulatory features when there is no direct match)."""
    out = []
    for p in phones:
        try:
            out.append(ipa_to_arpabet(p))
            continue
        except KeyError:
            pass
        parts = tokenize(p)
        for seg in parts if len(parts) > 1 else [p]:
            try:
                out.append(ipa_to_arpabet(seg))
            except KeyError:
                best = max(ARPABET_39, key=lambda a: phone_similarity(seg, ARPABET_TO_IPA[a]))
                out.append(best)
    return [a for a in out if a != "SIL"]


def _ps_phone(name: str) -> str:
    try:
        return arpabet_to_ipa(name)
    except KeyError:
        return SIL  # +NSN+, +SPN+, ... noise models


def _missing(names: list[str], heard: list[str]) -> list[str]:
    """Words of ``names`` left out of ``heard`` (an in-order subsequence)."""
    out, j = [], 0
    for n in names:
        if j < len(heard) and heard[j] == n:
            j += 1
        else:
            out.append(n)
    return out


def _fill(segs: list[tuple[float, float, str, float]], duration: float) -> list[TimedPhone]:
    """Contiguous phones over [0, duration]: SIL in gaps, neighbours with the same phone merged."""
    out: list[TimedPhone] = []
    t = 0.0
    for s, e, p, c in sorted(segs):
        s, e = max(s, t), min(e, duration)
        if e <= s + 1e-9:
            continue
        if s > t + 1e-9:
            out.append(TimedPhone(t, s, SIL, 1.0))
        if out and out[-1].phone == p == SIL:
            out[-1].end = e
        else:
            out.append(TimedPhone(s, e, p, c))
        t = e
    if t < duration - 1e-9 or not out:
        if out and out[-1].phone == SIL:
            out[-1].end = duration
        else:
            out.append(TimedPhone(t, duration, SIL, 1.0))
    return out


class PocketsphinxRecognizer(Recognizer):
    """Phone recognition and forced alignment with pocketsphinx's en-us model."""

    name = "pocketsphinx"
    languages = ("eng",)

    def __init__(self, lw: float = 2.0, pip: float = 0.3, beam: float = 1e-20):
        try:
            import pocketsphinx  # noqa: F401
        except ImportError as e:
            raise RecognizerError("pocketsphinx is not installed; install it with: pip install pocketsphinx") from e
        self.lw, self.pip, self.beam = lw, pip, beam
        self._lock = threading.Lock()
        self._phone_dec = None
        self._align_dec = None

    # -- decoders (created once, reused) --
    def _phone_decoder(self):
        if self._phone_dec is None:
            from pocketsphinx import Decoder

            self._phone_dec = Decoder(
                samprate=INTERNAL_RATE, allphone=os.path.join(model_dir(), "en-us-phone.lm.bin"),
                lw=self.lw, pip=self.pip, beam=self.beam, pbeam=self.beam, loglevel="FATAL")
        return self._phone_dec

    def _aligner(self):
        if self._align_dec is None:
            from pocketsphinx import Decoder

            self._align_dec = Decoder(samprate=INTERNAL_RATE, bestpath=False, lm=None, beam=1e-80, wbeam=1e-60,
                                      pbeam=1e-80, loglevel="FATAL")
        return self._align_dec

    @staticmethod
    def _pcm(audio: Audio) -> bytes:
        x = audio.samples
        if audio.sample_rate != INTERNAL_RATE:
            x = resample(x, audio.sample_rate, INTERNAL_RATE)
        return (np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()

    # -- public --
    def recognize(self, audio: Audio, transcript: str | None = None, language: str = "eng") -> PhoneTrack:
        lang = (language or "eng").lower()
        if lang not in ("eng", "en", "en-us"):
            raise RecognizerError(
                f"pocketsphinx only has an English model, not {language!r}; "
                "use the 'model' or 'allosaurus' recogniser for other languages")
        dur = audio.duration
        src = audio.source
        x = np.asarray(audio.samples, dtype=np.float32)
        if x.size == 0 or float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) < QUIET_RMS:
            return PhoneTrack([TimedPhone(0.0, dur, SIL, 1.0)], dur, recognizer=self.name, source=src,
                              warnings=["the audio is silent"] if x.size else ["the audio is empty"])
        pcm = self._pcm(audio)
        with self._lock:
            free = self._recognize_phones(pcm, dur)
            if transcript is None or not transcript.strip():
                return PhoneTrack(free, dur, recognizer=self.name, source=src)
            return self._align(pcm, dur, transcript, free, src)

    def _recognize_phones(self, pcm: bytes, dur: float) -> list[TimedPhone]:
        d = self._phone_decoder()
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        segs = []
        for s in d.seg():
            p = _ps_phone(s.word)
            segs.append((s.start_frame * FRAME, (s.end_frame + 1) * FRAME, p, float(np.clip(s.prob, 0, 1))))
        phones = _fill(segs, dur)
        # the phone loop gives no usable per-phone posterior (seg().prob is 1
        # without a lattice), so confidence is a weak duration prior: very short
        # segments are doubtful; recognition without a transcript never exceeds 0.8
        for p in phones:
            if p.phone != SIL:
                p.confidence = float(np.clip(p.duration / 0.05, 0.2, 1.0)) * 0.8
        return phones

    @staticmethod
    def _align_words(d, pcm: bytes, names: list[str]):
        d.set_align_text(" ".join(names))
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        d.set_alignment()
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        aligned, word_spans = [], []
        for w in d.get_alignment() or []:
            wname = w.name.split("(")[0]
            is_word = wname not in ("<sil>", "<s>", "</s>") and not wname.startswith("+")
            if is_word:
                word_spans.append(TimedWord(w.start * FRAME, (w.start + w.duration) * FRAME, wname))
            for p in w:
                aligned.append((p.start * FRAME, (p.start + p.duration) * FRAME, _ps_phone(p.name),
                                wname if is_word else None))
        return aligned, word_spans

    @staticmethod
    def _heard_words(d, pcm: bytes, names: list[str]) -> list[str]:
        """The transcript's words that a grammar with every word optional finds, in order."""
        safe = [n for n in names if all(ch.isalnum() or ch in "'-_" for ch in n)]
        if not safe:
            return []
        grammar = "#JSGF V1.0;\ngrammar transcript;\npublic <s> = " + " ".join(f"[ {w} ]" for w in safe) + " ;\n"
        try:
            d.add_jsgf_string("transcript", grammar)
            d.activate_search("transcript")
            d.start_utt()
            d.process_raw(pcm, full_utt=True)
            d.end_utt()
            hyp = d.hyp()
        except RuntimeError:
            return []
        return hyp.hypstr.split() if hyp is not None and hyp.hypstr else []

    def _align(self, pcm: bytes, dur: float, transcript: str, free: list[TimedPhone], src: str) -> PhoneTrack:
        from ..g2p import text_to_phones

        words = text_to_phones(transcript, "eng")
        d = self._aligner()
        names = []
        for w, phones in words:
            key = w.lower()
            if d.lookup_word(key) is None:
                arpa = ipa_word_to_arpabet(phones)
                if not arpa:
                    continue
                d.add_word(key, " ".join(arpa), True)
            names.append(key)
        warnings: list[str] = []
        aligned: list[tuple[float, float, str, str | None]] = []
        word_spans: list[TimedWord] = []
        try:
            aligned, word_spans = self._align_words(d, pcm, names)
        except RuntimeError:
            # some words were not said (or not recognisably): find the ones that
            # were with a grammar where every word is optional, then align those
            heard = self._heard_words(d, pcm, names)
            missing = _missing(names, heard)
            try:
                if not heard:
                    raise RuntimeError("no word of the transcript was heard")
                aligned, word_spans = self._align_words(d, pcm, heard)
                warnings.append(
                    "the transcript does not fully match the audio: not heard: " + ", ".join(missing[:12])
                    + ("..." if len(missing) > 12 else "") + "; check the transcript")
            except RuntimeError as e:
                aligned = []
                warnings.append(f"pocketsphinx could not align the transcript ({e}); "
                                "phones were recognised without it")
        if not any(p != SIL for _, _, p, _ in aligned):
            if not warnings:
                warnings.append("the transcript could not be aligned to the audio (does it match what is said?); "
                                "phones were recognised without it")
            for p in free:
                p.confidence = min(p.confidence, 0.3)
            return PhoneTrack(free, dur, recognizer=self.name, source=src, warnings=warnings)
        # confidence: agreement with the free phone recognition, frame by frame
        n = int(np.ceil(dur / FRAME)) + 1
        free_idx = np.zeros(n, dtype=np.int64)
        free_names = []
        for p in free:
            free_names.append(p.phone)
            free_idx[int(round(p.start / FRAME)):int(round(p.end / FRAME))] = len(free_names) - 1
        segs = []
        for s, e, ph, wname in aligned:
            a, b = int(round(s / FRAME)), max(int(round(e / FRAME)), int(round(s / FRAME)) + 1)
            sims = [phone_similarity(ph, free_names[i]) for i in free_idx[a:min(b, n)]]
            conf = float(np.mean(sims)) if sims else 0.5
            segs.append((s, e, ph, conf))
        phones = _fill(segs, dur)
        # word labels back onto phones
        wi = 0
        for p in phones:
            while wi < len(word_spans) and word_spans[wi].end <= p.start + 1e-9:
                wi += 1
            if p.phone != SIL and wi < len(word_spans) and word_spans[wi].start <= p.start + 1e-9:
                p.word = word_spans[wi].text
        for w in word_spans:
            cs = [p.confidence for p in phones if p.phone != SIL and p.start >= w.start - 1e-9 and p.end <= w.end + 1e-9]
            w.confidence = float(min(cs)) if cs else 0.0
        speech = [p.confidence for p in phones if p.phone != SIL]
        mean_conf = float(np.mean(speech)) if speech else 0.0
        if mean_conf < 0.45:
            warnings.append(
                f"the transcript fits the audio poorly (agreement with what was heard {mean_conf:.2f}); "
                "check that it matches what is said, or run without a transcript")
        return PhoneTrack(phones, dur, words=word_spans, recognizer=self.name, source=src, warnings=warnings)
