"""Text -> words with IPA phones, in any of the languages espeak-ng speaks.

English: the CMU pronouncing dictionary shipped inside the ``pocketsphinx``
package; words it lacks go through espeak-ng's letter-to-sound rules. Other
languages: espeak-ng with the voice for the language (ISO 639-3 codes such as
``fra``, ``deu``, ``rus``, ``ell``, ``ara``, ``hin``, ``kor``, ``jpn``, ``cmn``;
espeak voice names such as ``fr`` or ``pt-br`` work too). :func:`supported_languages`
lists them.

espeak-ng is reached through its library, the way Blender users on Windows,
macOS and Linux all have it: ``phonemizer`` with ``espeakng-loader`` (PyPI wheels
that bundle libespeak-ng and its data). One phonemizer backend is kept per
voice (loaded once, reused for every line); numbers and abbreviations are
expanded by espeak-ng and stay inside the word they were written as. Without
those packages the ``espeak-ng`` command is used when it is installed.

espeak's IPA is cleaned into our phone set (``phoneset``): tone numbers dropped,
its ASCII marks for retroflex (``s.``) and aspiration (``th``) written as IPA,
Danish stød dropped. Words espeak-ng cannot read in the voice's language (e.g.
kanji for the Japanese voice, which reads kana only: espeak names them
"Chinese letter" in English) raise G2PError instead of giving a wrong mouth.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
import unicodedata
from functools import lru_cache

from .phoneset import arpabet_to_ipa, normalize
from .types import SIL
from ..errors import G2PError

__all__ = [
    "G2PError", "UnsupportedLanguageError", "text_to_phones", "words_of", "espeak_voice", "supported_languages",
    "cmudict_path", "espeak_phones", "backend_name",
]


class UnsupportedLanguageError(G2PError):
    """A language code espeak-ng has no voice for (the message lists the supported codes)."""


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
# ISO 639-1 (two letters, what most people type: "fr", "de") -> ISO 639-3, for the languages above
ISO639_1_TO_3 = {
    "af": "afr", "am": "amh", "an": "arg", "ar": "ara", "as": "asm", "az": "aze", "ba": "bak", "be": "bel",
    "bg": "bul", "bn": "ben", "bs": "bos", "ca": "cat", "zh": "cmn", "cs": "ces", "cv": "chv", "cy": "cym",
    "da": "dan", "de": "deu", "el": "ell", "en": "eng", "eo": "epo", "es": "spa", "et": "est", "eu": "eus",
    "fa": "fas", "fi": "fin", "fr": "fra", "ga": "gle", "gd": "gla", "gn": "grn", "gu": "guj", "he": "heb",
    "hi": "hin", "hr": "hrv", "ht": "hat", "hu": "hun", "hy": "hye", "ia": "ina", "id": "ind", "io": "ido",
    "is": "isl", "it": "ita", "ja": "jpn", "ka": "kat", "kk": "kaz", "kl": "kal", "kn": "kan", "ko": "kor",
    "ku": "kur", "ky": "kir", "la": "lat", "lb": "ltz", "lt": "lit", "lv": "lav", "mi": "mri", "mk": "mkd",
    "ml": "mal", "mr": "mar", "ms": "msa", "mt": "mlt", "my": "mya", "nb": "nob", "no": "nor", "ne": "nep",
    "nl": "nld", "om": "orm", "or": "ori", "pa": "pan", "pl": "pol", "pt": "por", "qu": "que", "ro": "ron",
    "ru": "rus", "sd": "snd", "si": "sin", "sk": "slk", "sl": "slv", "sq": "sqi", "sr": "srp", "sv": "swe",
    "sw": "swa", "ta": "tam", "te": "tel", "th": "tha", "tk": "tuk", "tn": "tsn", "tr": "tur", "tt": "tat",
    "ug": "uig", "uk": "ukr", "ur": "urd", "uz": "uzb", "vi": "vie",
}


def cmudict_path() -> str:
    import pocketsphinx

    return os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us", "cmudict-en-us.dict")


@lru_cache(maxsize=1)
def _cmu_lines() -> dict[str, list[str]]:
    """word -> the ARPAbet text of each of its pronunciations, in the dictionary's order ("word" first, then
    "word(2)", ...). Only split into words here (135,000 lines, ~0.2 s); converted to IPA per word on first use."""
    out: dict[str, list[str]] = {}
    with open(cmudict_path(), encoding="utf-8") as f:
        for line in f:
            word, _, pron = line.strip().partition(" ")
            if word and pron.strip():
                out.setdefault(word.split("(")[0], []).append(pron)
    return out


@lru_cache(maxsize=None)
def cmu_pronunciations(word: str) -> tuple[tuple[str, ...], ...]:
    """Every pronunciation of ``word`` (lower case) in the CMU dictionary, in IPA and in the dictionary's order
    (the first is its main one); () when it is not there. Pronunciations with a symbol the phone set does not know
    are left out. Raises OSError / ImportError without the dictionary (pocketsphinx ships it)."""
    out = []
    for pron in _cmu_lines().get(word, ()):
        try:
            out.append(tuple(arpabet_to_ipa(p) for p in pron.split()))
        except KeyError:
            continue
    return tuple(out)



# --------------------------------------------------------------------------- the engine
_LOCK = threading.RLock()  # phonemizer's espeak backends are not thread-safe (the add-on analyses in threads)


@lru_cache(maxsize=1)
def _library() -> bool:
    """True when espeak-ng is reachable through phonemizer (its bundled library from espeakng-loader, or the
    system's libespeak-ng)."""
    try:
        from phonemizer.backend.espeak.wrapper import EspeakWrapper
    except Exception:
        return False
    try:
        import espeakng_loader
    except Exception:
        espeakng_loader = None
    try:
        if espeakng_loader is not None:
            EspeakWrapper.set_library(espeakng_loader.get_library_path())
            EspeakWrapper.set_data_path(espeakng_loader.get_data_path())
        from phonemizer.backend import EspeakBackend

        return bool(EspeakBackend.is_available())
    except Exception:
        return False


def backend_name() -> str:
    """How espeak-ng is reached here: "library" (phonemizer), "command" (espeak-ng), or "none"."""
    if _library():
        return "library"
    return "command" if _espeak_binary() else "none"


_QUIET = logging.getLogger("lipsync.g2p.phonemizer")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@lru_cache(maxsize=None)
def _backend(voice: str):
    """One phonemizer backend per voice, loaded once (each holds its own copy of the library)."""
    from phonemizer.backend import EspeakBackend

    return EspeakBackend(voice, preserve_punctuation=False, with_stress=False, language_switch="keep-flags",
                         words_mismatch="ignore", logger=_QUIET)


@lru_cache(maxsize=1)
def _espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


@lru_cache(maxsize=1)
def _espeak_voices() -> frozenset[str]:
    """The espeak-ng voices (language identifiers) available here."""
    if _library():
        from phonemizer.backend import EspeakBackend

        try:
            return frozenset(EspeakBackend.supported_languages())
        except Exception:
            pass
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
    """ISO 639-3 code -> espeak-ng voice, for the voices available here (English always works)."""
    voices = _espeak_voices()
    out = {"eng": "en-us (CMU dictionary)"}
    for iso, v in ISO639_3_TO_ESPEAK.items():
        if v in voices:
            out.setdefault(iso, v)
    return out


def _no_engine(lang: str) -> G2PError:
    return G2PError(
        f"espeak-ng is needed for language {lang!r} but is not installed; install the Python packages "
        "phonemizer and espeakng-loader (pip install phonemizer espeakng-loader; in Blender: Preferences -> "
        "Add-ons -> Lip Sync -> Install Dependencies)")


def espeak_voice(language: str) -> str:
    """The espeak-ng voice for ``language`` (ISO 639-3, ISO 639-1 or an espeak voice name)."""
    lang = (language or "").strip()
    if not lang:
        raise G2PError("no language given; use an ISO 639-3 code such as 'eng', 'fra' or 'deu'")
    voices = _espeak_voices()
    if not voices:
        raise _no_engine(lang)
    iso3 = ISO639_1_TO_3.get(lang.lower(), lang.lower())
    v = ISO639_3_TO_ESPEAK.get(iso3, lang)
    for cand in (v, lang, lang.lower()):
        if cand in voices:
            return cand
    raise UnsupportedLanguageError(
        f"unknown language {language!r}: use an ISO 639-3 (or 639-1) code (supported here: "
        f"{', '.join(sorted(supported_languages()))}) or an espeak-ng voice name")


# --------------------------------------------------------------------------- espeak IPA -> our phone set
_TONAL = {"cmn", "yue", "hak", "th", "vi", "vi-vn-x-central", "vi-vn-x-south", "my", "pa"}
_FIXES = {"ε": "ɛ", "A": "a", "s.": "ʂ", "z.": "ʐ", "ts.": "ʈʂ", "ts.h": "ʈʂʰ", "i.": "ɨ", "I": "ɪ", "ɐɐ": "ɐː",
          "aa": "aː", "ee": "eː", "oo": "oː", "ii": "iː", "uu": "uː"}
_ASPIRATED = re.compile(r"^([ptkcq]|ts|tɕ|tʃ|ʈʂ)h$")
_VOWEL_CHARS = set("aeiouyæøœɐɑɒɔəɘɛɜɞɤɨɪɯɵɶʉʊʌʏ")


def _clean(tok: str, voice: str) -> list[str]:
    """One espeak phone token -> our phones (usually one; none for marks)."""
    tok = re.sub(r"[0-9\u200d\-]", "", tok)
    if voice.split("-")[0] in _TONAL or voice in _TONAL:
        # tone 3 is written with the letter ɜ after the vowel
        if len(tok) > 1 and tok.endswith("ɜ") and any(c in _VOWEL_CHARS for c in tok[:-1]):
            tok = tok[:-1]
    tok = _FIXES.get(tok, tok)
    m = _ASPIRATED.match(tok)
    if m:
        tok = m.group(1) + "ʰ"  # "tsh" is Mandarin c [tsʰ]; the retroflex ch is written "ts.h" (in _FIXES)
    half = len(tok) // 2
    if len(tok) >= 2 and len(tok) % 2 == 0 and tok[:half] == tok[half:]:  # "ää", "ʕʕ": one long segment
        tok = tok[:half] + "ː"
    if len(tok) > 1 and tok[0] == "ʔ" and tok[1] in _VOWEL_CHARS:  # Danish stød: not a mouth shape
        tok = tok[1:]
    if not tok:
        return []
    p = normalize(tok)
    return [] if p == SIL else [p]


_FLAG = re.compile(r"\(([a-z][a-z0-9-]*)\)")


def _words_of_output(line: str, voice: str, source_words: list[str] | None = None) -> list[tuple[list[str], str]]:
    """phonemizer's output for one text -> (phones, language) per espeak word. ``language`` is the voice's
    unless espeak switched (its "(en)...(fr)" flags) for that word."""
    out: list[tuple[list[str], str]] = []
    lang = voice
    for chunk in line.split(" "):
        # flags may sit inside a chunk: "(en)tʃaɪniːz(ja)"
        pieces = _FLAG.split(chunk)
        phones: list[str] = []
        word_lang = lang
        for k, piece in enumerate(pieces):
            if k % 2 == 1:
                lang = piece
                if not phones:
                    word_lang = lang
                continue
            if lang != voice:
                word_lang = lang
            for tok in piece.split("_"):
                phones.extend(_clean(tok, voice))
        if phones:
            out.append((phones, word_lang))
    return out


def _switched(voice: str, lang: str) -> bool:
    return lang != voice and lang.split("-")[0] != voice.split("-")[0]


def _check_readable(word: str, lang: str, voice: str) -> None:
    """A word espeak read in another language although it has no Latin letters: espeak could not read it (it
    names the character instead, e.g. kanji with the Japanese voice)."""
    if _switched(voice, lang) and not re.search(r"[A-Za-z]", word):
        raise G2PError(
            f"espeak-ng's {voice!r} voice cannot read {word[:20]!r} (it would say the character's name in "
            f"{lang!r}); write it as it is pronounced (for Japanese: in kana)")


def _phonemize(texts: list[str], voice: str) -> list[str]:
    from phonemizer.separator import Separator

    with _LOCK:
        return _backend(voice).phonemize(list(texts), separator=Separator(phone="_", word=" ", syllable=""),
                                         strip=True)


_ESPEAK_MARK = re.compile(r"\(([^)]*)\)")


def _command_phones(text: str, voice: str) -> list[tuple[list[str], str]]:
    exe = _espeak_binary()
    if exe is None:
        raise _no_engine(voice)
    try:
        res = subprocess.run([exe, "-v", voice, "-q", "--ipa", "--sep=_", text],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        raise G2PError(f"espeak-ng failed on {text[:40]!r}: {e}") from e
    if res.returncode != 0:
        raise G2PError(f"espeak-ng failed for voice {voice!r}: {res.stderr.strip()[:200]}")
    return _words_of_output(" ".join(res.stdout.split()), voice)


def _espeak_words(text: str, voice: str) -> list[tuple[list[str], str]]:
    if _library():
        return _words_of_output(_phonemize([text], voice)[0], voice)
    return _command_phones(text, voice)


def espeak_phones(text: str, voice: str) -> list[list[str]]:
    """IPA phones per word as espeak-ng says ``text`` with ``voice``."""
    return [p for p, _lang in _espeak_words(text, voice)]


def _espeak_per_word(words: list[str], voice: str) -> list[list[str]]:
    """Phones of each word on its own (a number expands to several espeak words: they stay one word)."""
    if _library():
        lines = _phonemize(words, voice)
    else:
        lines = None
    out = []
    for i, w in enumerate(words):
        got = _words_of_output(lines[i], voice) if lines is not None else _command_phones(w, voice)
        for _p, lang in got:
            _check_readable(w, lang, voice)
        out.append([p for ps, _l in got for p in ps])
    return out


def _word_char(ch: str) -> bool:
    """Letters, digits and combining marks (Devanagari vowel signs and virama, Arabic harakat, ...)."""
    return ch != "_" and (ch.isalnum() or unicodedata.category(ch)[0] == "M")


def words_of(text: str) -> list[str]:
    """The words of a transcript, in order (punctuation dropped, apostrophes kept inside words)."""
    s = (text or "").replace("’", "'")
    out, cur = [], []
    for i, ch in enumerate(s):
        if _word_char(ch) and (cur or unicodedata.category(ch)[0] != "M"):
            cur.append(ch)
        elif ch == "'" and cur and i + 1 < len(s) and _word_char(s[i + 1]):
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def text_to_phones(text: str, language: str = "eng") -> list[tuple[str, list[str]]]:
    """Words of ``text`` with their IPA phones: ``[("hello", ["h", "ʌ", "l", "oʊ"]), ...]``.

    English uses the CMU dictionary with espeak-ng for unknown words; other
    languages use espeak-ng. Raises G2PError for an empty transcript, words
    espeak-ng cannot read, or an unknown language (UnsupportedLanguageError).
    """
    if text is None or not text.strip():
        raise G2PError("the transcript is empty; type what is said, or leave it out to recognise phones from audio")
    words = words_of(text)
    if not words:
        raise G2PError(f"the transcript {text[:60]!r} has no words; type what is said, or leave it out")
    lang = (language or "").strip().lower()
    if lang in ("eng", "en", "en-us", "english"):
        found = {w: cmu_pronunciations(w.lower()) or cmu_pronunciations(w.lower().strip("'")) for w in words}
        out = []
        missing = [w for w in words if not found[w]]
        spelled = {}
        if missing:
            if not _espeak_voices():
                raise G2PError(
                    f"the word {missing[0]!r} is not in the dictionary and espeak-ng (needed to spell it out) "
                    "is not installed; install phonemizer and espeakng-loader, or respell the word")
            spelled = dict(zip(missing, _espeak_per_word(missing, "en-us")))
        for w in words:
            phones = found[w][0] if found[w] else spelled[w]
            if phones:
                out.append((w, list(phones)))
        if not out:
            raise G2PError(f"no pronounceable words in {text[:60]!r}")
        return out
    voice = espeak_voice(language)
    out = []
    # one espeak call for the whole line (keeps liaison and sandhi); word by word when the word count does not
    # match (numbers and abbreviations expand to several espeak words) or espeak switched language
    per_line = _espeak_words(" ".join(words), voice)
    if len(per_line) == len(words) and not any(_switched(voice, lg) for _p, lg in per_line):
        out = [(w, p) for w, (p, _lg) in zip(words, per_line)]
    else:
        out = [(w, p) for w, p in zip(words, _espeak_per_word(words, voice)) if p]
    if not out:
        raise G2PError(f"espeak-ng produced no phones for {text[:60]!r} in {language!r}")
    return out
