"""Festival synthetic speech with exact phone timings, for training data.

Voices (Debian packages, all in main):
  "festival:slt_hts"  festvox-us-slt-hts   US English female, HTS (32 kHz)
  "festival:kal"      festvox-kallpc16k    US English male, diphone (16 kHz)
  "festival:ked"      festvox-kdlpc16k     US English male, diphone (16 kHz)
Voices of other languages (``LANG_VOICES``, Debian main; ``training.multilingual.festival_jobs``):
  Italian lp (female) / pc (male) diphones, Czech dita / machac / krb (a child) / ph, Finnish lj (female) /
  mv (male) diphones, Russian nsh (clunits), Catalan ona (HTS) and Hindi nsk (diphone). Unlike espeak-ng's
  formant voices these are cut from (or trained on) recordings of real speakers, so they carry a real
  voice's vowel qualities of the language. Each voice has its own phone set, mapped to IPA by
  ``LANG_PHONES`` (from the phone-set definitions the packages ship), and its own text encoding.
Festival runs as a subprocess in batch mode on a small Scheme script that
synthesises the text and saves the segments (``utt.save.segs``: each phone's
end time) and the wave. Phone names are festival's ARPAbet-like set
(``synth.common.festival_phone_to_ipa``). Pauses follow the punctuation
(a punctuation phrasing tree instead of the voices' statistical
phrasing, which ignores commas and sentence ends inside one utterance). The
speaking rate varies with a hash of the text (x0.9-1.15 duration), so a text
always gives the same audio. ``OFFSETS`` are added to festival's times.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unicodedata

import numpy as np

from ...phonemes.types import SIL
from .common import SynthError, festival_phone_to_ipa, fit_segments, per_text_value

VOICE_DIR = os.environ.get("LIPSYNC_FESTIVAL_VOICES", "/usr/share/festival/voices")
# voice -> (festival's voice function, its directory under VOICE_DIR, Debian package, HTS?)
KNOWN = {
    "slt_hts": ("voice_cmu_us_slt_arctic_hts", "us/cmu_us_slt_arctic_hts", "festvox-us-slt-hts", True),
    "kal": ("voice_kal_diphone", "english/kal_diphone", "festvox-kallpc16k", False),
    "ked": ("voice_ked_diphone", "english/ked_diphone", "festvox-kdlpc16k", False),
}
# voices of other languages: voice -> (voice function, directory, Debian package, HTS?, text encoding,
# ISO 639-1 language, phone set (a key of LANG_PHONES))
LANG_VOICES = {
    "lp": ("voice_lp_diphone", "italian/lp_diphone", "festvox-italp16k", False, "iso-8859-1", "it", "italian"),
    "pc": ("voice_pc_diphone", "italian/pc_diphone", "festvox-itapc16k", False, "iso-8859-1", "it", "italian"),
    "dita": ("voice_czech_dita", "czech/czech_dita", "festvox-czech-dita", False, "iso-8859-2", "cs", "czech"),
    "machac": ("voice_czech_machac", "czech/czech_machac", "festvox-czech-machac", False, "iso-8859-2", "cs",
               "czech"),
    "krb": ("voice_czech_krb", "czech/czech_krb", "festvox-czech-krb", False, "iso-8859-2", "cs", "czech"),
    "ph": ("voice_czech_ph", "czech/czech_ph", "festvox-czech-ph", False, "iso-8859-2", "cs", "czech"),
    "lj": ("voice_suo_fi_lj_diphone", "finnish/suo_fi_lj_diphone", "festvox-suopuhe-lj", False, "iso-8859-1", "fi",
           "finnish"),
    "mv": ("voice_hy_fi_mv_diphone", "finnish/hy_fi_mv_diphone", "festvox-suopuhe-mv", False, "iso-8859-1", "fi",
           "finnish"),
    "nsh": ("voice_msu_ru_nsh_clunits", "russian/msu_ru_nsh_clunits", "festvox-ru", False, "utf-8", "ru",
            "russian"),
    "ona": ("voice_upc_ca_ona_hts", "catalan/upc_ca_ona_hts", "festvox-ca-ona-hts", True, "iso-8859-1", "ca",
            "catalan"),
    "nsk": ("voice_hindi_NSK_diphone", "hindi/hindi_NSK_diphone", "festvox-hi-nsk", False, "utf-8", "hi", "hindi"),
}
_SIL_NAMES = ("#", "##", "pau", "_pau", "sil", "brth", "ssil")
# each voice's phone set -> IPA (stress digits are dropped first; a value with a space is two phones that share
# the segment). From the packages' phone-set files (italian_phoneset.scm, czech.scm, finnish_phones.scm,
# msu_ru_nsh_phoneset.scm, upc_catalan_phones-central.scm, hindi_phones.scm) and their features.
LANG_PHONES = {
    "italian": {"i": "i", "e": "e", "E": "ɛ", "a": "a", "o": "o", "O": "ɔ", "u": "u", "j": "j", "w": "w",
                "p": "p", "t": "t", "k": "k", "b": "b", "d": "d", "g": "ɡ", "f": "f", "s": "s", "S": "ʃ",
                "v": "v", "z": "z", "Z": "ʒ", "ts": "ts", "tS": "tʃ", "dz": "dz", "dZ": "dʒ", "m": "m", "n": "n",
                "J": "ɲ", "ng": "ŋ", "nf": "ɱ", "l": "l", "L": "ʎ", "r": "r"},
    "czech": {"a": "a", "a:": "aː", "e": "ɛ", "e:": "ɛː", "i": "ɪ", "i:": "iː", "o": "o", "o:": "oː", "u": "u",
              "u:": "uː", "b": "b", "c": "ts", "c~": "tʃ", "ch": "x", "d": "d", "d~": "ɟ", "dz": "dz",
              "dz~": "dʒ", "f": "f", "g": "ɡ", "h": "ɦ", "j": "j", "k": "k", "l": "l", "m": "m", "n": "n",
              "n*": "ŋ", "n~": "ɲ", "p": "p", "r": "r", "r~": "r̝", "r~*": "r̝̊", "s": "s", "s~": "ʃ", "t": "t",
              "t~": "c", "v": "v", "z": "z", "z~": "ʒ", "_": "ʔ", "@": "ə", "mg": "ɱ"},
    # "&" is the front open vowel (ä); the voices' letter rules write it "@" and ö "7"
    "finnish": {"a": "ɑ", "e": "e", "i": "i", "o": "o", "u": "u", "y": "y", "&": "æ", "@": "æ", "7": "ø",
                "p": "p", "t": "t", "k": "k", "b": "b", "d": "d", "g": "ɡ", "f": "f", "T": "θ", "D": "ð",
                "s": "s", "z": "z", "S": "ʃ", "Z": "ʒ", "h": "h", "v": "ʋ", "m": "m", "n": "n", "N": "ŋ",
                "l": "l", "L": "l", "r": "r", "j": "j", "w": "w"},
    # doubled vowels are stressed, doubled consonants palatalised
    "russian": {"ii": "i", "i": "ɪ", "yy": "ɨ", "y": "ɨ", "uu": "u", "u": "ʊ", "ee": "e", "e": "ɪ", "oo": "o",
                "aa": "a", "a": "ɐ", "ae": "ə", "ay": "ə", "ur": "ɵ", "p": "p", "pp": "pʲ", "b": "b", "bb": "bʲ",
                "t": "t", "tt": "tʲ", "d": "d", "dd": "dʲ", "k": "k", "kk": "kʲ", "g": "ɡ", "gg": "ɡʲ",
                "c": "ts", "ch": "tɕ", "f": "f", "ff": "fʲ", "v": "v", "vv": "vʲ", "s": "s", "ss": "sʲ",
                "z": "z", "zz": "zʲ", "sh": "ʂ", "sch": "ɕː", "zh": "ʐ", "h": "x", "hh": "xʲ", "m": "m",
                "mm": "mʲ", "n": "n", "nn": "nʲ", "l": "ɫ", "ll": "lʲ", "r": "r", "rr": "rʲ", "j": "j"},
    "catalan": {"ax": "ə", "a": "a", "e": "e", "E": "ɛ", "i": "i", "o": "o", "O": "ɔ", "u": "u", "j": "j",
                "w": "w", "b": "b", "d": "d", "g": "ɡ", "B": "β", "D": "ð", "G": "ɣ", "f": "f", "k": "k",
                "l": "l", "L": "ʎ", "m": "m", "n": "n", "J": "ɲ", "N": "ŋ", "p": "p", "r": "ɾ", "rr": "r",
                "s": "s", "S": "ʃ", "t": "t", "z": "z", "Z": "ʒ", "tS": "tʃ", "dZ": "dʒ", "ts": "ts",
                "dz": "dz"},
    "hindi": {"a": "ə", "aa": "aː", "ih": "ɪ", "iy": "iː", "uh": "ʊ", "uw": "uː", "eh": "e", "ee": "eː",
              "ay": "ɛ", "oh": "o", "oo": "oː", "aw": "ɔ", "@": "ə", "f": "f", "ph": "pʰ", "k": "k", "kh": "kʰ",
              "g": "ɡ", "gh": "ɡʱ", "ch": "tʃ", "chh": "tʃʰ", "j": "dʒ", "jh": "dʒʱ", "T": "ʈ", "Th": "ʈʰ",
              "td": "ʈʰ", "D": "ɖ", "Dh": "ɖʱ", "N": "ɳ", "th": "t̪", "tth": "t̪ʰ", "dh": "d̪", "ddh": "d̪ʱ",
              "n": "n", "p": "p", "b": "b", "bh": "bʱ", "m": "m", "y": "j", "r": "ɾ", "l": "l", "v": "ʋ",
              "w": "ʋ", "L": "ɭ", "R": "ɽ", "s": "s", "sh": "ʃ", "h": "ɦ", "zh": "ʒ", "x": "x", "ng": "ŋ",
              "ksh": "k ʃ", "sri": "ʃ ɾ"},
}
PACKAGES = ("festival",) + tuple(v[2] for v in KNOWN.values())
INSTALL = (f"`apt-get install {' '.join(PACKAGES)}` (or tools/setup_train.sh as root); "
           "needed only to make synthetic training data.")

# seconds added to festival's phone times (acoustic onset after a pause minus the labelled pause end).
# Measured 2026-11-29 on 30 ARCTIC prompts (cathy/text, every 3rd) with pauses put in (", the", ", a"),
# the measurement of python -m lipsync.training.synth_offsets (synth.common.onset_lags on synthesize(..., apply_offset=False),
# boundaries into stops/affricates left out); the same figures from a scratch script and from
#   .venv/bin/python -m lipsync.training.synth_offsets --n 30 --voices piper,festival
#   festival:slt_hts: n=41 (+8 not found) median lag +13.0 ms (IQR +10.0..+40.0 ms)
#   festival:kal: n=49 (+3 not found) median lag +12.5 ms (IQR +6.2..+18.7 ms)
#   festival:ked: n=49 (+3 not found) median lag +25.8 ms (IQR +14.4..+33.0 ms)
OFFSETS = {"festival:slt_hts": 0.013, "festival:kal": 0.0125, "festival:ked": 0.0258}
# The voices of other languages, measured 2026-12-03 the same way on 20 ARCTIC prompts read by each voice's own
# letter rules (the onset after a pause does not depend on the language), Hindi on 20 Hindi texts with commas
# (multilingual.make_texts("hi", seed=9)):
#   .venv/bin/python -m lipsync.training.synth_offsets --n 20 --voices festival:lp,festival:pc,...,festival:ona
#   lp +4.1 ms (n=24), pc +4.3 (25), dita -5.0 (28), machac +2.0 (26), krb -0.0 (28), ph +12.1 (28),
#   lj +12.4 (11), mv +15.4 (9), nsh +13.4 (25), ona +12.5 (22), nsk +15.7 (25)
OFFSETS.update({"festival:lp": 0.004, "festival:pc": 0.004, "festival:dita": -0.005, "festival:machac": 0.002,
                "festival:krb": 0.0, "festival:ph": 0.012, "festival:lj": 0.012, "festival:mv": 0.015,
                "festival:nsh": 0.013, "festival:ona": 0.012, "festival:nsk": 0.016})

# pauses: a long one after . ? ! : and the utterance's end, a short one after , ; (quotes: none)
_PHRASE_TREE = ('((lisp_token_end_punc in ("?" "." ":" "!")) ((BB)) ((lisp_token_end_punc in ("," ";")) ((B)) '
                '((n.name is 0) ((BB)) ((NB)))))')
STRETCH = (0.9, 1.15)  # duration factor, from a hash of the text


def installed_voices() -> tuple:
    """The voices ("festival:name") installed here (festival itself and the voice's files)."""
    if shutil.which("festival") is None:
        return ()
    return tuple(f"festival:{v}" for v, (_, d, _, _) in KNOWN.items() if os.path.isdir(os.path.join(VOICE_DIR, d)))


VOICES = installed_voices()  # what engine_voices("festival") offers (English); synthesize() knows all of KNOWN


def installed_lang_voices() -> dict:
    """The voices of other languages installed here: {"festival:name": ISO 639-1 language}."""
    if shutil.which("festival") is None:
        return {}
    return {f"festival:{v}": spec[5] for v, spec in LANG_VOICES.items()
            if os.path.isdir(os.path.join(VOICE_DIR, spec[1]))}


def available() -> bool:
    return bool(VOICES)


def _scheme_string(text: str) -> str:
    """``text`` as a Scheme string literal festival reads (ASCII, quotes and backslashes escaped)."""
    t = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    t = t.replace("\u2014", ", ").replace("\u2013", ", ")
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii")
    t = " ".join(t.split())
    return '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _native_string(text: str, encoding: str) -> str:
    """``text`` as a Scheme string literal for a voice that reads ``encoding`` (quotes and backslashes escaped)."""
    t = unicodedata.normalize("NFC", text).replace("\u2019", "'").replace("\u2018", "'")
    t = " ".join(t.replace("\u201c", '"').replace("\u201d", '"').split())
    try:
        t.encode(encoding)
    except UnicodeEncodeError:
        raise SynthError(f"festival: {text[:40]!r} has characters the voice cannot read ({encoding})") from None
    return '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lang_phone_to_ipa(name: str, phoneset_name: str) -> list[str]:
    """A phone of a language voice's set -> its IPA phones (usually one; pauses -> [SIL]); KeyError if unknown."""
    if name in _SIL_NAMES:
        return [SIL]
    table = LANG_PHONES[phoneset_name]
    base = name.rstrip("0123456789") or name
    if base in table:
        return table[base].split()
    if phoneset_name == "finnish" and base.endswith(":") and base[:-1] in table:  # long vowel or geminate
        return [table[base[:-1]] + "ː"]
    raise KeyError(name)


def stretch_for(text: str) -> float:
    return per_text_value(text, STRETCH, 0)


def parse_segs(text: str, phoneset_name: str | None = None) -> list[tuple[float, float, str]]:
    """``utt.save.segs`` output (``#`` then ``END 100 NAME`` lines) -> contiguous [(start, end, ipa)] from 0.

    ``phoneset_name``: a key of LANG_PHONES (a language voice); None: festival's English set. A phone mapped to
    two IPA phones gets half the segment each."""
    segs: list[list] = []
    t = 0.0
    body = text.split("#", 1)[1] if "#" in text else text
    for line in body.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        try:
            end = float(parts[0])
        except ValueError:
            continue
        name = parts[-1]
        try:
            phones = [festival_phone_to_ipa(name)] if phoneset_name is None else lang_phone_to_ipa(name, phoneset_name)
        except KeyError:
            p = _EXTRA.get(name.lower()) if phoneset_name is None else None
            if p is None:
                raise SynthError(f"festival gave a phone we cannot map to IPA: {name!r}") from None
            phones = [p]
        if end <= t:
            continue  # zero-length segment
        step = (end - t) / len(phones)
        for i, p in enumerate(phones):
            e = end if i == len(phones) - 1 else t + step * (i + 1)
            if segs and segs[-1][2] == p == SIL:
                segs[-1][1] = e
            else:
                segs.append([t + step * i, e, p])
        t = end
    return [tuple(s) for s in segs]


_EXTRA = {"hv": "h", "brth": SIL, "ssil": SIL, "#": SIL}


def synthesize(text: str, voice: str = "slt_hts", apply_offset: bool = True):
    """Speak ``text`` with a festival voice. Returns (samples float32 at 16 kHz, [(start, end, ipa)])."""
    import soundfile as sf

    from ...phonemes.audio import resample

    if voice in KNOWN:
        func, vdir, pkg, hts = KNOWN[voice]
        encoding, phones, literal = "ascii", None, _scheme_string(text)
    elif voice in LANG_VOICES:
        func, vdir, pkg, hts, encoding, _lang, phones = LANG_VOICES[voice]
        literal = _native_string(text, encoding)
    else:
        raise SynthError(f"unknown festival voice {voice!r}; use one of "
                         f"{tuple('festival:' + v for v in list(KNOWN) + list(LANG_VOICES))}")
    if shutil.which("festival") is None:
        raise SynthError("festival is not installed: " + INSTALL)
    if not os.path.isdir(os.path.join(VOICE_DIR, vdir)):
        raise SynthError(f"the festival voice {voice!r} is not installed: `apt-get install {pkg}` ({INSTALL})")
    stretch = stretch_for(text)
    if hts:  # HTS ignores Duration_Stretch; hts_engine's speed (-r) is a rate
        rate = (f"(set! hts_engine_params (append hts_engine_params (list (list \"-r\" {1.0 / stretch:.4f}))))")
    else:
        rate = f"(Parameter.set 'Duration_Stretch {stretch:.4f})"
    with tempfile.TemporaryDirectory(prefix="lipsync_festival_") as d:
        segs_path, wav_path, scm = (os.path.join(d, n) for n in ("x.segs", "x.wav", "x.scm"))
        script = "\n".join([
            f"({func})",
            "(Parameter.set 'Phrase_Method 'cart_tree)",
            f"(set! phrase_cart_tree '{_PHRASE_TREE})",
            rate,
            f"(set! u (utt.synth (Utterance Text {literal})))",
            f'(utt.save.segs u "{segs_path}")',
            f'(utt.save.wave u "{wav_path}" \'riff)',
            "",
        ])
        with open(scm, "w", encoding=encoding) as f:
            f.write(script)
        try:
            res = subprocess.run(["festival", "-b", scm], capture_output=True, text=True, timeout=120, cwd=d)
        except subprocess.TimeoutExpired:
            raise SynthError(f"festival timed out on {text[:60]!r}") from None
        if not (os.path.exists(wav_path) and os.path.exists(segs_path)):
            raise SynthError(f"festival failed (voice {voice}): {(res.stderr or res.stdout).strip()[-300:]}")
        x, sr = sf.read(wav_path, dtype="float32")
        with open(segs_path, encoding="latin-1") as f:
            segs = parse_segs(f.read(), phones)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if sr != 16000:
        x = resample(x, sr, 16000)
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not segs or len(x) == 0:
        raise SynthError(f"festival produced no speech for {text!r}")
    off = OFFSETS.get(f"festival:{voice}", 0.0) if apply_offset else 0.0
    return x, fit_segments(segs, off, len(x) / 16000.0)


__all__ = ["VOICES", "KNOWN", "LANG_VOICES", "LANG_PHONES", "OFFSETS", "available", "installed_voices",
           "installed_lang_voices", "lang_phone_to_ipa", "synthesize", "parse_segs"]
