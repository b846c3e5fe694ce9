"""Text -> words with IPA phones.

English: the CMU pronouncing dictionary shipped inside the ``pocketsphinx``
package; words it lacks go through espeak-ng's letter-to-sound rules
(``espeak-ng --ipa``). Other languages: espeak-ng with the voice for the
language (ISO 639-3 codes such as ``fra``, ``deu``, ``spa``; espeak voice
names such as ``fr`` or ``pt-br`` work too).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import lru_cache

from .phoneset import arpabet_to_ipa, normalize
from .types import SIL
from ..errors import G2PError

__all__ = [
    "G2PError", "text_to_phones", "words_of", "espeak_voice", "supported_languages", "cmudict_path",
    "espeak_phones",
]


# ISO 639-3 -> espeak-ng voice. Only languages espeak-ng ships a voice for.
ISO639_3_TO_ESPEAK = {
    "afr": "af", "amh": "am", "arg": "an", "ara": "ar", "asm": "as", "aze": "az", "bak": "ba",
    "bel": "be", "bul": "bg", "ben": "bn", "bos": "bs", "cat": "ca", "cmn": "cmn", "zho": "cmn",
    "ces": "cs", "chv": "cv", "cym": "cy", "dan": "da", "deu": "de", "ell": "el", "eng": "en-us",
    "epo": "eo", "spa": "es", "est": "et", "eus": "eu", "fas": "fa", "fin": "fi", "fra": "fr-fr",
    "gle": "ga", "gla": "gd", "grn": "gn", "guj": "gu", "hak": "hak", "haw": "haw", "heb": "he",
    "hin": "hi", "hrv": "hr", "hat": "ht", "hun": "hu", "hye": "hy", "ina": "ia", "ind": "id",
    "ido": "io", "isl": "is", "ita": "it", "jpn": "ja", "kat": "ka", "kaz": "kk", "kal": "kl",
    "kan": "kn", "kor": "ko", "kok": "kok", "kur": "ku", "kir": "ky", "lat": "la", "ltz": "lb",
    "lit": "lt", "lav": "lv", "mri": "mi", "mkd": "mk", "mal": "ml", "mar": "mr", "msa": "ms",
    "zsm": "ms", "mlt": "mt", "mya": "my", "nob": "nb", "nor": "nb", "nep": "ne", "nld": "nl",
    "orm": "om", "ori": "or", "pan": "pa", "pap": "pap", "pol": "pl", "por": "pt", "que": "qu",
    "ron": "ro", "rus": "ru", "snd": "sd", "sin": "si", "slk": "sk", "slv": "sl", "sqi": "sq",
    "srp": "sr", "swe": "sv", "swa": "sw", "tam": "ta", "tel": "te", "tha": "th", "tuk": "tk",
    "tsn": "tn", "tur": "tr", "tat": "tt", "uig": "ug", "ukr": "uk", "urd": "ur", "uzb": "uz",
    "vie": "vi", "yue": "yue",
}


def cmudict_path() -> str:
    import pocketsphinx

    return os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "cmudict-en-us.dict")


@lru_cache(maxsize=1)
def _cmudict() -> dict[str, list[str]]:
    """word -> IPA phones (first pronunciation)."""
    out: dict[str, list[str]] = {}
    with open(cmudict_path(), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            word = parts[0]
            if word.endswith(")"):  # alternative pronunciation "word(2)"
                continue
            try:
                out[word] = [arpabet_to_ipa(p) for p in parts[1:]]
            except KeyError:
                continue
    return out


@lru_cache(maxsize=1)
def _espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


@lru_cache(maxsize=1)
def _espeak_voices() -> frozenset[str]:
    exe = _espeak_binary()
    if exe is None:
        return frozenset()
    try:
        res = subprocess.run([exe, "--voices"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    voices = set()
    for line in res.stdout.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 2:
            voices.add(cols[1])
    return frozenset(voices)


def supported_languages() -> dict[str, str]:
    """ISO 639-3 code -> espeak-ng voice, for the voices installed here (English always works)."""
    voices = _espeak_voices()
    out = {"eng": "en-us (CMU dictionary)"}
    for iso, v in ISO639_3_TO_ESPEAK.items():
        if v in voices:
            out.setdefault(iso, v)
    return out


def espeak_voice(language: str) -> str:
    """The espeak-ng voice for ``language`` (ISO 639-3 or an espeak voice name)."""
    lang = (language or "").strip()
    if not lang:
        raise G2PError("no language given; use an ISO 639-3 code such as 'eng', 'fra' or 'deu'")
    if _espeak_binary() is None:
        raise G2PError(
            f"espeak-ng is needed for language {lang!r} but is not installed; "
            "install it (Debian/Ubuntu: sudo apt install espeak-ng; macOS: brew install espeak-ng)")
    voices = _espeak_voices()
    v = ISO639_3_TO_ESPEAK.get(lang.lower(), lang)
    if v in voices:
        return v
    if lang in voices:
        return lang
    raise G2PError(
        f"unknown language {language!r}: use an ISO 639-3 code such as 'eng', 'fra', 'deu', 'spa' "
        f"(supported here: {', '.join(sorted(supported_languages()))})")


_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def words_of(text: str) -> list[str]:
    """The words of a transcript, in order (punctuation dropped, apostrophes kept inside words)."""
    return [w.replace("’", "'") for w in _WORD_RE.findall(text or "")]


_ESPEAK_MARK = re.compile(r"\([^)]*\)")


def espeak_phones(text: str, voice: str) -> list[list[str]]:
    """IPA phones per word as espeak-ng says ``text`` with ``voice``."""
    exe = _espeak_binary()
    if exe is None:
        raise G2PError("espeak-ng is not installed; install it (Debian/Ubuntu: sudo apt install espeak-ng)")
    try:
        res = subprocess.run([exe, "-v", voice, "-q", "--ipa", "--sep=_", text],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        raise G2PError(f"espeak-ng failed on {text[:40]!r}: {e}") from e
    if res.returncode != 0:
        raise G2PError(f"espeak-ng failed for voice {voice!r}: {res.stderr.strip()[:200]}")
    out: list[list[str]] = []
    for chunk in res.stdout.split():
        chunk = _ESPEAK_MARK.sub("", chunk)
        phones = []
        for p in chunk.split("_"):
            p = re.sub(r"[0-9\u200d-]", "", p)
            p = normalize(p) if p else SIL
            if p != SIL:
                phones.append(p)
        if phones:
            out.append(phones)
    return out


def _espeak_word(word: str, voice: str) -> list[str]:
    parts = espeak_phones(word, voice)
    return [p for w in parts for p in w]


def text_to_phones(text: str, language: str = "eng") -> list[tuple[str, list[str]]]:
    """Words of ``text`` with their IPA phones: ``[("hello", ["h", "ʌ", "l", "oʊ"]), ...]``.

    English uses the CMU dictionary with espeak-ng for unknown words; other
    languages use espeak-ng. Raises G2PError for an empty transcript or an
    unknown language.
    """
    if text is None or not text.strip():
        raise G2PError("the transcript is empty; type what is said, or leave it out to recognise phones from audio")
    words = words_of(text)
    if not words:
        raise G2PError(f"the transcript {text[:60]!r} has no words; type what is said, or leave it out")
    lang = (language or "").strip().lower()
    if lang in ("eng", "en", "en-us", "english"):
        d = _cmudict()
        out = []
        for w in words:
            key = w.lower()
            phones = d.get(key) or d.get(key.strip("'"))
            if phones is None:
                if _espeak_binary() is None:
                    raise G2PError(
                        f"the word {w!r} is not in the dictionary and espeak-ng (needed to spell it out) "
                        "is not installed; install espeak-ng or respell the word")
                phones = _espeak_word(w, "en-us")
            if phones:
                out.append((w, list(phones)))
        if not out:
            raise G2PError(f"no pronounceable words in {text[:60]!r}")
        return out
    voice = espeak_voice(language)
    out = []
    # one espeak call for the whole text; fall back to word by word when the
    # word count does not match (numbers and abbreviations expand to several)
    per_word = espeak_phones(" ".join(words), voice)
    if len(per_word) == len(words):
        out = [(w, p) for w, p in zip(words, per_word)]
    else:
        for w in words:
            phones = _espeak_word(w, voice)
            if phones:
                out.append((w, phones))
    if not out:
        raise G2PError(f"espeak-ng produced no phones for {text[:60]!r} in {language!r}")
    return out
