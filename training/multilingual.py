"""Multilingual synthetic training speech: espeak-ng speaking word lists of many languages.

The English corpora teach the model English phones only. This set adds what other languages sound
like: espeak-ng's library (the one bundled by ``espeakng-loader``, version 1.52, which also reads
Mandarin and Cantonese) speaks words of each language, with exact phone timings from its phoneme
events (``training.synth.espeak``). The words come from ``wordfreq`` (PyPI; its wheel ships
frequency lists of 40+ languages, nothing is downloaded): common words of the language, so the
phonotactics are the language's own.

Utterances mimic what dialogue and word lists sound like: a share of isolated words (silence
before and after, as in citation forms), short phrases and longer runs, some with commas (pauses).
Each utterance gets a voice variant of espeak-ng (male, female, klatt, different pitches) and a
speaking rate drawn from its text, so no two languages share one voice.

Languages are split into TRAIN_LANGS and HELD_OUT (never trained on, for a synthetic check of
languages the model has not heard; ``bench/bench_synth_languages.py``). Languages of the
``voxangeles_dev`` check set that espeak-ng speaks (Scottish Gaelic, Hawaiian, Malayalam) are
left out of training so that its figures stay a test on unheard languages.

No torch here; ``training.prepare.prepare_synth_multi`` builds the feature cache from these jobs.
"""
from __future__ import annotations

import unicodedata

import numpy as np

from ..phonemes.g2p import ISO639_1_TO_3, ISO639_3_TO_ESPEAK

# the wordfreq languages used (ISO 639-1 codes, and "sh" for Serbo-Croatian)
LANGS = ("ar", "bg", "bn", "ca", "cs", "da", "de", "el", "es", "fa", "fi", "fr", "he", "hi", "hu", "id", "is",
         "it", "ja", "ko", "lt", "lv", "mk", "ms", "nb", "nl", "pl", "pt", "ro", "ru", "sh", "sk", "sl", "sv", "ta",
         "tr", "uk", "ur", "vi", "zh")
# voices not the G2P's: Serbo-Croatian is spoken by the Serbian voice; French by espeak's "fr" (the name the v1.4
# training set was spoken with; the G2P's "fr-fr" is the same voice)
_VOICE_OVERRIDES = {"sh": "sr", "fr": "fr"}
# wordfreq language code -> espeak-ng voice (language) name, as the G2P maps the code (phonemes.g2p)
ESPEAK_VOICE = {lang: _VOICE_OVERRIDES.get(lang) or ISO639_3_TO_ESPEAK[ISO639_1_TO_3[lang]] for lang in LANGS}
# never trained on: a synthetic check of unheard languages (Uralic, Baltic, Dravidian, Semitic)
HELD_OUT = ("hu", "lv", "ta", "he")
TRAIN_LANGS = tuple(sorted(k for k in ESPEAK_VOICE if k not in HELD_OUT))

# More languages espeak-ng speaks that wordfreq has no list for: their words come from the CLDR names (languages,
# territories, scripts, currencies, months, days) that ``babel`` ships for each locale (``cldr_words``). Caucasus,
# South Asian, Turkic, Celtic, Ethiopic, Bantu, Andean ... so more of the world's phones are heard in training.
# Not Scottish Gaelic or Malayalam (voxangeles_dev languages), nor the held-out ones.
EXTRA_LANGS = ("af", "am", "as", "az", "ba", "be", "cy", "eo", "et", "eu", "ga", "gu", "hy", "ka", "kk", "kn", "ky",
               "lb", "mi", "mr", "mt", "my", "ne", "om", "or", "pa", "qu", "sd", "si", "sq", "sw", "te", "th", "tk",
               "tt", "ug", "uz", "yue")
# Cantonese has no two-letter code: espeak-ng's voice is "yue"
EXTRA_VOICE = {lang: "yue" if lang == "yue" else ISO639_3_TO_ESPEAK[ISO639_1_TO_3[lang]] for lang in EXTRA_LANGS}

# espeak-ng voice variants (``lang+variant``): sexes, pitches and both synthesisers
VARIANTS = ("", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2",
            "klatt4", "Andrea", "Alex", "belinda", "benjamin", "david", "linda", "max", "michel")
RATE_RANGE = (130, 200)  # words per minute
TOP_WORDS = 4000  # the most frequent words of each language taken
# utterance shapes: (share, fewest words, most words)
SHAPES = ((0.45, 1, 1), (0.35, 2, 4), (0.20, 5, 9))


def _usable(word: str) -> bool:
    """A word made of letters (any script), not an abbreviation or a number."""
    if not word or not all(unicodedata.category(c)[0] in "LM" for c in word):
        return False
    if word.isupper() and len(word) > 1:
        return False
    wide = any(unicodedata.east_asian_width(c) == "W" for c in word)
    return wide or len(word) >= 2


def word_list(lang: str, n: int = TOP_WORDS) -> list[str]:
    """The ``n`` most frequent usable words of ``lang`` (wordfreq's "best" list)."""
    try:
        import wordfreq
    except ImportError as exc:
        raise RuntimeError("wordfreq is needed to make the multilingual training set: "
                           "`bash tools/setup_train.sh` installs it") from exc
    words = [w for w in wordfreq.top_n_list(lang, n * 2, wordlist="best") if _usable(w)]
    return words[:n]


def cldr_words(lang: str, n: int = TOP_WORDS) -> list[str]:
    """Up to ``n`` distinct words of the CLDR display names of locale ``lang`` (``babel``, a training extra:
    ``tools/setup_train.sh``): the names of languages, territories, scripts and currencies, months and days, in
    the language's own script and spelling, lower-cased, split at spaces and punctuation."""
    import re

    from babel import Locale

    loc = Locale.parse(lang)
    names = []
    for table in (loc.languages, loc.territories, loc.scripts, loc.currencies):
        names += [v for _k, v in sorted(table.items())]
    names += list(loc.months["format"]["wide"].values()) + list(loc.days["format"]["wide"].values())
    words, seen = [], set()
    for name in names:
        for w in re.split(r"[\s()\[\],.;:/'’\"«»“”–-]+", name):
            w = w.lower()
            if w and w not in seen and _usable(w):
                seen.add(w)
                words.append(w)
    # keep the locale's own script: acronyms and Latin loans in a Han or Ethiopic list are not its sounds
    scripts = [_script(w) for w in words]
    main = max(set(scripts), key=scripts.count) if scripts else None
    return [w for w, sc in zip(words, scripts) if sc == main][:n]


def _script(word: str) -> str:
    """The script of a word's first letter, as the first word of its Unicode name (LATIN, CJK, ETHIOPIC ...)."""
    for ch in word:
        if ch.isalpha():
            return unicodedata.name(ch, "?").split()[0]
    return "?"


def make_texts(lang: str, n: int, seed: int = 0, words: list[str] | None = None) -> list[str]:
    """``n`` utterance texts in ``lang``: isolated words, short phrases and longer runs (some with commas)."""
    words = words if words is not None else word_list(lang)
    if not words:
        raise RuntimeError(f"no words for language {lang!r}")
    rng = np.random.default_rng(seed)
    shares = np.array([s for s, _a, _b in SHAPES])
    sep = "" if lang in ("zh", "ja") else " "
    out = []
    for _ in range(n):
        _s, lo, hi = SHAPES[int(rng.choice(len(SHAPES), p=shares / shares.sum()))]
        k = int(rng.integers(lo, hi + 1))
        picked = [words[int(i)] for i in rng.integers(0, len(words), size=k)]
        text = ""
        for j, w in enumerate(picked):
            if j:
                text += ("，" if sep == "" else ", ") if rng.random() < 0.2 else sep
            text += w
        out.append(text)
    return out


def multi_jobs(langs=TRAIN_LANGS, per_lang: int = 200, seed: int = 0, words_for=word_list,
               voices=ESPEAK_VOICE, prefix: str = "multi") -> list:
    """(kind, item) jobs for ``training.data.build_cache``: ``per_lang`` utterances per language, each with its
    own espeak-ng voice variant and speaking rate ("espeak:LANG+VARIANT@RATE"); ``words_for(lang)`` gives the
    words to draw from (default: wordfreq's most frequent); ``voices``: language -> espeak-ng voice; ids
    ``PREFIX_LANG_NNNNN``."""
    jobs = []
    for li, lang in enumerate(langs):
        if lang not in voices:
            raise ValueError(f"no espeak-ng voice listed for {lang!r}; use one of {', '.join(sorted(voices))}")
        voice = voices[lang]
        texts = make_texts(lang, per_lang, seed=seed + 1000 * li, words=words_for(lang))
        rng = np.random.default_rng(seed + 7 + 1000 * li)
        for i, text in enumerate(texts):
            var = VARIANTS[int(rng.integers(len(VARIANTS)))]
            v = f"{voice}+{var}" if var else voice
            v += f"@{int(rng.integers(RATE_RANGE[0], RATE_RANGE[1] + 1))}"
            jobs.append(("synth", (text, f"espeak:{v}", f"{prefix}_{lang}_{i:05d}")))
    return jobs


def extra_jobs(per_lang: int = 150, seed: int = 0, langs=EXTRA_LANGS, words_for=cldr_words) -> list:
    """``multi_jobs`` for the languages wordfreq has no list for (``EXTRA_LANGS``), their words from CLDR names;
    ids ``extra_LANG_NNNNN``. Held-out languages are refused."""
    held = sorted(set(langs) & set(HELD_OUT))
    if held:
        raise ValueError(f"{', '.join(held)}: held-out languages are never trained on")
    return multi_jobs(langs, per_lang, seed, words_for=words_for, voices=EXTRA_VOICE, prefix="extra")


def festival_jobs(voices: dict, per_voice: int = 150, seed: int = 0, words_for=word_list) -> list:
    """(kind, item) jobs for ``training.data.build_cache``: ``per_voice`` utterances for each festival voice of
    another language (``voices``: {"festival:name": ISO 639-1 language}, e.g. ``synth.festival.installed_lang_voices()``),
    texts made like ``multi_jobs``' from the language's words. Voices of held-out languages are refused."""
    jobs = []
    for vi, (voice, lang) in enumerate(sorted(voices.items())):
        if lang in HELD_OUT:
            raise ValueError(f"{voice} speaks {lang}, a held-out language")
        texts = make_texts(lang, per_voice, seed=seed + 1000 * vi, words=words_for(lang))
        name = voice.split(":", 1)[1]
        jobs += [("synth", (text, voice, f"fest_{name}_{i:05d}")) for i, text in enumerate(texts)]
    return jobs


TUNE_SEED = 4242  # the tuning scripts' draw of held-out speech (bench_synth_languages checks with another)


def heldout_speech(n: int = 60, seed: int = TUNE_SEED, langs=HELD_OUT):
    """Yield (language, Audio, reference phone rows) for ``n`` espeak-ng utterances of each held-out language
    (never trained on), made like the training set's, spoken by the bundled libespeak-ng: the tuning set of
    ``training.priors --tune`` and ``training.tune_decode --heldout``."""
    from ..phonemes.types import Audio
    from .synth import espeak

    espeak.use_bundled(True)
    try:
        for lang in langs:
            for _kind, (text, voice, _uid) in multi_jobs([lang], per_lang=n, seed=seed):
                x, ref = espeak.synthesize(text, voice.split(":", 1)[1])
                yield lang, Audio(x, 16000), ref
    finally:
        espeak.use_bundled(False)


__all__ = ["LANGS", "ESPEAK_VOICE", "HELD_OUT", "TRAIN_LANGS", "EXTRA_LANGS", "EXTRA_VOICE", "VARIANTS", "TUNE_SEED",
           "word_list", "cldr_words", "make_texts", "multi_jobs", "extra_jobs", "festival_jobs", "heldout_speech"]
