"""One phone set for the whole pipeline: IPA segments with articulatory features.

Every recogniser, aligner and file format converts to IPA strings here
(``SIL`` for silence). Visemes and mouth-control targets are derived from the
articulatory features of a segment (place, manner, rounding, vowel height), so
a phone of any language lands on a sensible mouth shape without a hand table
per language. ``panphon`` (installed with allosaurus) is consulted for segments
the built-in inventory does not know.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from functools import lru_cache

from .types import SIL

# --------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------

PLACES = (
    "bilabial", "labiodental", "dental", "alveolar", "postalveolar", "retroflex",
    "palatal", "velar", "uvular", "pharyngeal", "glottal", "labial-velar",
)
MANNERS = ("stop", "nasal", "fricative", "affricate", "approximant", "lateral", "trill", "tap")


@dataclass(frozen=True)
class Features:
    """Articulatory description of one segment.

    kind: "vowel", "consonant" or "silence".
    Vowels: height 0 (close) .. 1 (open), backness 0 (front) .. 1 (back), round.
    Consonants: place, manner, voiced; ``round`` also marks labialisation (kʷ, w).
    ``rhotic`` marks r-coloured vowels and r sounds.
    """

    kind: str
    height: float = 0.5
    backness: float = 0.5
    round: bool = False
    place: str = ""
    manner: str = ""
    voiced: bool = False
    rhotic: bool = False
    nasalised: bool = False
    long: bool = False


def _v(height, backness, rnd, rhotic=False):
    return Features("vowel", height=height, backness=backness, round=rnd, rhotic=rhotic, voiced=True)


def _c(place, manner, voiced, rnd=False, rhotic=False):
    return Features("consonant", place=place, manner=manner, voiced=voiced, round=rnd, rhotic=rhotic)


# Base inventory: the IPA chart's common symbols. Diacritics are handled by
# ``features`` (length, aspiration, labialisation, nasalisation, ...).
VOWELS: dict[str, Features] = {
    "i": _v(0.0, 0.0, False), "y": _v(0.0, 0.0, True), "ɨ": _v(0.0, 0.5, False),
    "ʉ": _v(0.0, 0.5, True), "ɯ": _v(0.0, 1.0, False), "u": _v(0.0, 1.0, True),
    "ɪ": _v(0.15, 0.15, False), "ʏ": _v(0.15, 0.15, True), "ʊ": _v(0.15, 0.85, True),
    "e": _v(0.33, 0.0, False), "ø": _v(0.33, 0.0, True), "ɘ": _v(0.33, 0.5, False),
    "ɵ": _v(0.33, 0.5, True), "ɤ": _v(0.33, 1.0, False), "o": _v(0.33, 1.0, True),
    "ə": _v(0.5, 0.5, False), "ɛ": _v(0.66, 0.0, False), "œ": _v(0.66, 0.0, True),
    "ɜ": _v(0.66, 0.5, False), "ɞ": _v(0.66, 0.5, True), "ʌ": _v(0.66, 1.0, False),
    "ɔ": _v(0.66, 1.0, True), "æ": _v(0.85, 0.0, False), "ɐ": _v(0.85, 0.5, False),
    "a": _v(1.0, 0.0, False), "ɶ": _v(1.0, 0.0, True), "ä": _v(1.0, 0.5, False),
    "ɑ": _v(1.0, 1.0, False), "ɒ": _v(1.0, 1.0, True),
    "ɝ": _v(0.6, 0.5, False, rhotic=True), "ɚ": _v(0.5, 0.5, False, rhotic=True),
}

CONSONANTS: dict[str, Features] = {
    # stops
    "p": _c("bilabial", "stop", False), "b": _c("bilabial", "stop", True),
    "t": _c("alveolar", "stop", False), "d": _c("alveolar", "stop", True),
    "ʈ": _c("retroflex", "stop", False), "ɖ": _c("retroflex", "stop", True),
    "c": _c("palatal", "stop", False), "ɟ": _c("palatal", "stop", True),
    "k": _c("velar", "stop", False), "ɡ": _c("velar", "stop", True), "g": _c("velar", "stop", True),
    "q": _c("uvular", "stop", False), "ɢ": _c("uvular", "stop", True),
    "ʔ": _c("glottal", "stop", False),
    # nasals
    "m": _c("bilabial", "nasal", True), "ɱ": _c("labiodental", "nasal", True),
    "n": _c("alveolar", "nasal", True), "ɳ": _c("retroflex", "nasal", True),
    "ɲ": _c("palatal", "nasal", True), "ŋ": _c("velar", "nasal", True), "ɴ": _c("uvular", "nasal", True),
    # trills and taps
    "ʙ": _c("bilabial", "trill", True), "r": _c("alveolar", "trill", True, rhotic=True),
    "ʀ": _c("uvular", "trill", True, rhotic=True), "ɾ": _c("alveolar", "tap", True, rhotic=True),
    "ɽ": _c("retroflex", "tap", True, rhotic=True), "ⱱ": _c("labiodental", "tap", True),
    # fricatives
    "ɸ": _c("bilabial", "fricative", False), "β": _c("bilabial", "fricative", True),
    "f": _c("labiodental", "fricative", False), "v": _c("labiodental", "fricative", True),
    "θ": _c("dental", "fricative", False), "ð": _c("dental", "fricative", True),
    "s": _c("alveolar", "fricative", False), "z": _c("alveolar", "fricative", True),
    "ʃ": _c("postalveolar", "fricative", False, rnd=True), "ʒ": _c("postalveolar", "fricative", True, rnd=True),
    "ʂ": _c("retroflex", "fricative", False), "ʐ": _c("retroflex", "fricative", True),
    "ɕ": _c("palatal", "fricative", False), "ʑ": _c("palatal", "fricative", True),
    "ç": _c("palatal", "fricative", False), "ʝ": _c("palatal", "fricative", True),
    "x": _c("velar", "fricative", False), "ɣ": _c("velar", "fricative", True),
    "χ": _c("uvular", "fricative", False), "ʁ": _c("uvular", "fricative", True, rhotic=True),
    "ħ": _c("pharyngeal", "fricative", False), "ʕ": _c("pharyngeal", "fricative", True),
    "h": _c("glottal", "fricative", False), "ɦ": _c("glottal", "fricative", True),
    "ɬ": _c("alveolar", "lateral", False), "ɮ": _c("alveolar", "lateral", True),
    "ʍ": _c("labial-velar", "fricative", False, rnd=True),
    # affricates (written as two letters, optionally with a tie bar)
    "ts": _c("alveolar", "affricate", False), "dz": _c("alveolar", "affricate", True),
    "tʃ": _c("postalveolar", "affricate", False, rnd=True), "dʒ": _c("postalveolar", "affricate", True, rnd=True),
    "tɕ": _c("palatal", "affricate", False), "dʑ": _c("palatal", "affricate", True),
    "ʈʂ": _c("retroflex", "affricate", False), "ɖʐ": _c("retroflex", "affricate", True),
    "pf": _c("labiodental", "affricate", False),
    # labial-velar stops and nasal (k͡p ɡ͡b ŋ͡m, West Africa): the lips close (visemes: a bilabial's mouth)
    "kp": _c("labial-velar", "stop", False), "ɡb": _c("labial-velar", "stop", True),
    "ŋm": _c("labial-velar", "nasal", True),
    # approximants
    "ʋ": _c("labiodental", "approximant", True), "ɹ": _c("alveolar", "approximant", True, rnd=True, rhotic=True),
    "ɻ": _c("retroflex", "approximant", True, rhotic=True), "j": _c("palatal", "approximant", True),
    "ɰ": _c("velar", "approximant", True), "w": _c("labial-velar", "approximant", True, rnd=True),
    "ɥ": _c("palatal", "approximant", True, rnd=True),
    # laterals
    "l": _c("alveolar", "lateral", True), "ɭ": _c("retroflex", "lateral", True),
    "ʎ": _c("palatal", "lateral", True), "ʟ": _c("velar", "lateral", True),
    "ɫ": _c("alveolar", "lateral", True),
}

BASE: dict[str, Features] = {**VOWELS, **CONSONANTS}
SILENCE = Features("silence")

# Combining marks and modifier letters that change a base segment.
_LONG = {"ː", "ˑ", ":"}
_LABIALISED = {"ʷ"}
_NASALISED = {"\u0303"}
_RHOTIC = {"˞"}
_TIE = {"\u0361", "\u035c"}
_STRESS = {"ˈ", "ˌ", "'", ","}
_CENTRALISED = "\u0308"  # the diaeresis: a vowel nearer the centre
_IGNORED = {"ʰ", "ʲ", "ˠ", "ˤ", "ʼ", "\u0325", "\u030a", "\u0329", "\u032f", "\u0324", "\u0330",
            "\u033a", "\u033b", "\u031a", "\u0318", "\u0319", "\u031d", "\u031e", "\u031f",
            "\u0320", "\u0308", "\u033d", "\u032a", "\u032c", "\u0339", "\u031c", "ⁿ", "ˡ", "\u0306"}

SILENCE_TOKENS = {SIL, "SIL", "sil", "sp", "spn", "", "_", "#", "h#", "H#", "pau", "PAU", "<sil>", "<blank>", "[SIL]", "NSN", "+NSN+", "+SPN+"}


def normalize(phone: str) -> str:
    """Canonical form of an IPA segment: NFD, no stress marks, ``g`` -> ``ɡ``; silence -> SIL."""
    if phone is None or phone.strip() in SILENCE_TOKENS:
        return SIL
    s = unicodedata.normalize("NFD", phone.strip())
    s = "".join(ch for ch in s if ch not in _STRESS and ch not in _TIE)
    s = s.replace("g", "ɡ").replace(":", "ː")
    s = unicodedata.normalize("NFC", s)
    return s or SIL


def is_silence(phone: str) -> bool:
    return normalize(phone) == SIL


@lru_cache(maxsize=4096)
def _features_cached(phone: str) -> Features | None:
    if phone == SIL:
        return SILENCE
    if phone in BASE:
        return BASE[phone]
    # Strip modifiers, remembering the ones that matter for the mouth.
    decomposed = unicodedata.normalize("NFD", phone)
    base_chars = []
    long = labial = nasal = rhotic = central = False
    for ch in decomposed:
        if ch == _CENTRALISED:
            central = True
        elif ch in _LONG:
            long = True
        elif ch in _LABIALISED:
            labial = True
        elif ch in _NASALISED:
            nasal = True
        elif ch in _RHOTIC:
            rhotic = True
        elif ch in _IGNORED or unicodedata.category(ch) in ("Mn", "Lm", "Sk"):
            continue
        else:
            base_chars.append(ch)
    base = unicodedata.normalize("NFC", "".join(base_chars)).replace("g", "ɡ")
    # a centralised symbol of its own (ä): its entry already says where it is
    own = BASE.get(unicodedata.normalize("NFC", base + _CENTRALISED)) if central else None
    feats = own or BASE.get(base)
    if feats is None and len(base) > 1:
        # A diphthong or a cluster: describe it by its first (onset) part;
        # ``split_diphthong`` gives the full trajectory for visemes.
        feats = BASE.get(base[:2]) or BASE.get(base[0])
    if feats is None:
        feats = _panphon_features(base)
    if feats is None:
        return None
    if central and own is None and feats.kind == "vowel":  # centralised (ë, ö): halfway to the centre
        feats = replace(feats, backness=(feats.backness + 0.5) / 2)
    return replace(
        feats,
        long=feats.long or long,
        round=feats.round or labial,
        nasalised=feats.nasalised or nasal,
        rhotic=feats.rhotic or rhotic,
    )


def features(phone: str) -> Features | None:
    """Articulatory features of an IPA segment, or None when it is not a speech sound we know."""
    return _features_cached(normalize(phone))


def is_known(phone: str) -> bool:
    return features(phone) is not None


@lru_cache(maxsize=1)
def _panphon_table():
    try:
        import panphon  # noqa: F401
        from panphon.featuretable import FeatureTable
    except Exception:  # panphon is optional (it comes with allosaurus)
        return None
    return FeatureTable()


def _panphon_features(seg: str) -> Features | None:
    """Features of a segment the built-in inventory lacks, from panphon's feature table (clicks, implosives,
    rare places): panphon's binary features (lab, cor, ant, distr, hi, lo, back, ...) mapped onto our places and
    manners. Only the first segment of ``seg`` is described."""
    ft = _panphon_table()
    if ft is None or not seg:
        return None
    try:
        vecs = ft.word_fts(seg)
    except Exception:
        return None
    if not vecs:
        return None
    v = vecs[0]

    def f(name):
        try:
            return v[name]
        except Exception:
            return 0

    if f("syl") > 0 and f("cons") < 0:
        if f("hi") > 0:
            height = 0.0 if f("tense") > 0 else 0.15
        elif f("lo") > 0:
            height = 1.0
        else:
            height = 0.33 if f("tense") > 0 else 0.66
        back = 1.0 if f("back") > 0 else (0.0 if f("back") < 0 else 0.5)
        return _v(height, back, f("round") > 0)
    click = f("velaric") > 0  # clicks: the place is the front closure (the back one is always velar)
    if f("lab") > 0:
        if f("hi") > 0 and not click:
            place = "labial-velar" if f("back") > 0 else "palatal"  # w ʍ; ɥ (a rounded palatal)
        elif f("strid") > 0 or (f("hi") == 0 and f("lo") == 0):
            place = "labiodental"  # f v (strident), ɱ ʋ
        else:
            place = "bilabial"
    elif f("cor") > 0:
        if f("ant") > 0:
            place = "dental" if f("distr") > 0 else "alveolar"
        elif f("hi") > 0:
            place = "palatal"  # ɕ ʑ ʎ (alveolo-palatal, palatal lateral)
        else:
            place = "postalveolar" if f("distr") > 0 else "retroflex"
    elif f("son") > 0 and ((f("cons") < 0 and f("cont") < 0)
                           or (f("cont") > 0 and f("delrel") < 0 and f("hi") <= 0 and f("lo") <= 0)):
        place = "glottal"  # ʔ; h ɦ (sonorant in panphon, unlike the uvular fricatives; ʀ differs by delrel)
    elif f("lo") > 0:
        place = "pharyngeal"
    elif f("hi") > 0:
        place = "velar" if f("back") > 0 else "palatal"
    elif f("back") > 0:
        place = "uvular"
    else:
        place = "glottal"
    if f("nas") > 0:
        manner = "nasal"
    elif f("lat") > 0:
        manner = "lateral"
    elif f("delrel") > 0:
        manner = "affricate"
    elif f("cont") > 0 and f("son") > 0 and place != "glottal":
        manner = "approximant"
    elif f("cont") > 0:
        manner = "fricative"
    else:
        manner = "stop"
    return _c(place, manner, f("voi") > 0, rnd=f("round") > 0)


# --------------------------------------------------------------------------
# Diphthongs and tokenising IPA strings
# --------------------------------------------------------------------------

def split_diphthong(phone: str) -> list[tuple[float, str]]:
    """The articulatory targets inside one phone, as (fraction of duration, segment).

    ``aɪ`` -> [(0.6, "a"), (0.4, "ɪ")]; a simple segment -> [(1.0, segment)].
    """
    p = normalize(phone)
    if p == SIL or p in BASE:
        return [(1.0, p)]
    parts = tokenize(p)
    vowels = [x for x in parts if (features(x) or SILENCE).kind == "vowel"]
    if len(parts) >= 2 and len(vowels) == len(parts):
        first = 0.6
        rest = (1.0 - first) / (len(parts) - 1)
        return [(first, parts[0])] + [(rest, x) for x in parts[1:]]
    return [(1.0, p)]


_MODIFIERS = _LONG | _LABIALISED | _NASALISED | _RHOTIC | _IGNORED


def tokenize(ipa: str) -> list[str]:
    """Split an IPA string into segments (affricates kept together when tied or known)."""
    s = unicodedata.normalize("NFD", ipa.replace(" ", ""))
    out: list[str] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch in _STRESS:
            i += 1
            continue
        if ch in _TIE and out:
            # tie bar joins the previous and next segments
            if i + 1 < len(s):
                out[-1] += s[i + 1]
                i += 2
                continue
            i += 1
            continue
        if out and (ch in _MODIFIERS or unicodedata.category(ch) == "Mn"):
            out[-1] += ch
        else:
            out.append(ch)
        i += 1
    return [normalize(unicodedata.normalize("NFC", t)) for t in out if t]


# --------------------------------------------------------------------------
# Converters: ARPAbet, SAMPA / X-SAMPA
# --------------------------------------------------------------------------

ARPABET_TO_IPA: dict[str, str] = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AX": "ə", "AXR": "ɚ", "AY": "aɪ",
    "B": "b", "CH": "tʃ", "D": "d", "DH": "ð", "DX": "ɾ", "EH": "ɛ", "EL": "l", "EM": "m",
    "EN": "n", "ER": "ɝ", "EY": "eɪ", "F": "f", "G": "ɡ", "HH": "h", "H": "h", "IH": "ɪ",
    "IX": "ɨ", "IY": "i", "JH": "dʒ", "K": "k", "L": "l", "M": "m", "N": "n", "NG": "ŋ",
    "NX": "n", "OW": "oʊ", "OY": "ɔɪ", "P": "p", "Q": "ʔ", "R": "ɹ", "S": "s", "SH": "ʃ",
    "T": "t", "TH": "θ", "UH": "ʊ", "UW": "u", "UX": "ʉ", "V": "v", "W": "w", "WH": "ʍ",
    "Y": "j", "Z": "z", "ZH": "ʒ",
}
# The 39 ARPAbet phones of the CMU dictionary (no stress), plus SIL.
ARPABET_39 = (
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH "
    "UH UW V W Y Z ZH"
).split()
IPA_TO_ARPABET: dict[str, str] = {ARPABET_TO_IPA[a]: a for a in ARPABET_39}
IPA_TO_ARPABET.update({"ə": "AH", "ɚ": "ER", "ɾ": "T", "a": "AA", "e": "EY", "o": "OW",
                       "r": "R", "ɡ": "G", "ɫ": "L", "ʔ": "T", "ɒ": "AA", "ɐ": "AH", "ɜ": "ER"})


def arpabet_to_ipa(phone: str) -> str:
    """ARPAbet (any case, optional stress digit) -> IPA; ``AH0`` -> schwa. Raises KeyError if unknown."""
    p = phone.strip().upper()
    if p in {"SIL", "SP", "SPN", "", "NSN", "+NSN+", "+SPN+", "<SIL>", "</S>", "<S>", "[SIL]", "PAU", "H#"}:
        return SIL
    stress = p[-1] if p[-1:].isdigit() else ""
    base = p.rstrip("012")
    if base == "AH" and stress == "0":
        return "ə"
    if base == "ER" and stress == "0":
        return "ɚ"
    return ARPABET_TO_IPA[base]


def ipa_to_arpabet(phone: str) -> str:
    """IPA -> the nearest ARPAbet-39 phone (or SIL). Raises KeyError if unknown."""
    p = normalize(phone)
    if p == SIL:
        return "SIL"
    if p in IPA_TO_ARPABET:
        return IPA_TO_ARPABET[p]
    base = "".join(ch for ch in unicodedata.normalize("NFD", p) if ch not in _MODIFIERS)
    base = unicodedata.normalize("NFC", base)
    if base in IPA_TO_ARPABET:
        return IPA_TO_ARPABET[base]
    raise KeyError(phone)


# X-SAMPA (a superset of SAMPA for the symbols below). Longest match first.
XSAMPA_TO_IPA: dict[str, str] = {
    "a": "a", "b": "b", "b_<": "ɓ", "c": "c", "d": "d", "d`": "ɖ", "d_<": "ɗ", "e": "e", "f": "f",
    "g": "ɡ", "g_<": "ɠ", "h": "h", "h\\": "ɦ", "i": "i", "j": "j", "j\\": "ʝ", "k": "k", "l": "l",
    "l`": "ɭ", "l\\": "ɺ", "m": "m", "n": "n", "n`": "ɳ", "o": "o", "p": "p", "p\\": "ɸ", "q": "q",
    "r": "r", "r`": "ɽ", "r\\": "ɹ", "r\\`": "ɻ", "s": "s", "s`": "ʂ", "s\\": "ɕ", "t": "t",
    "t`": "ʈ", "u": "u", "v": "v", "v\\": "ʋ", "P": "ʋ", "w": "w", "x": "x", "x\\": "ɧ", "y": "y",
    "z": "z", "z`": "ʐ", "z\\": "ʑ", "A": "ɑ", "B": "β", "B\\": "ʙ", "C": "ç", "D": "ð", "E": "ɛ",
    "F": "ɱ", "G": "ɣ", "G\\": "ɢ", "H": "ɥ", "I": "ɪ", "J": "ɲ", "J\\": "ɟ", "K": "ɬ", "K\\": "ɮ",
    "L": "ʎ", "L\\": "ʟ", "M": "ɯ", "M\\": "ɰ", "N": "ŋ", "N\\": "ɴ", "O": "ɔ", "Q": "ɒ", "R": "ʁ",
    "R\\": "ʀ", "S": "ʃ", "T": "θ", "U": "ʊ", "V": "ʌ", "W": "ʍ", "X": "χ", "X\\": "ħ", "Y": "ʏ",
    "Z": "ʒ", "?": "ʔ", "?\\": "ʕ", "@": "ə", "@`": "ɚ", "{": "æ", "}": "ʉ", "1": "ɨ", "2": "ø",
    "3": "ɜ", "3`": "ɝ", "6": "ɐ", "7": "ɤ", "8": "ɵ", "9": "œ", "&": "ɶ", "4": "ɾ", ":": "ː",
    "_h": "ʰ", "_w": "ʷ", "~": "\u0303", "_~": "\u0303", "=": "\u0329", "_j": "ʲ", "'": "ˈ", "\"": "ˈ", "%": "ˌ",
    "tS": "tʃ", "dZ": "dʒ", "ts": "ts", "dz": "dz",
}
_XSAMPA_KEYS = sorted(XSAMPA_TO_IPA, key=len, reverse=True)


def xsampa_to_ipa(text: str) -> str:
    """Convert an X-SAMPA (or SAMPA) string to IPA. Unknown symbols raise ValueError."""
    t = text.strip()
    if t in SILENCE_TOKENS or t in {"<p:>", "<p>", "H#", "h#"}:
        return SIL
    out = []
    i = 0
    while i < len(t):
        for k in _XSAMPA_KEYS:
            if t.startswith(k, i):
                out.append(XSAMPA_TO_IPA[k])
                i += len(k)
                break
        else:
            if t[i] == " ":
                i += 1
                continue
            raise ValueError(f"unknown X-SAMPA symbol {t[i]!r} in {text!r}")
    return normalize("".join(out))


sampa_to_ipa = xsampa_to_ipa


def to_ipa(phone: str, alphabet: str = "ipa") -> str:
    """Convert one phone from ``alphabet`` ("ipa", "arpabet", "sampa", "xsampa") to canonical IPA."""
    alphabet = alphabet.lower()
    if alphabet == "ipa":
        return normalize(phone)
    if alphabet == "arpabet":
        return arpabet_to_ipa(phone)
    if alphabet in ("sampa", "xsampa", "x-sampa"):
        return xsampa_to_ipa(phone)
    raise ValueError(f"unknown phone alphabet {alphabet!r}; use ipa, arpabet, sampa or xsampa")
