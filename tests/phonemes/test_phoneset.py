"""Phone alphabets (ARPAbet, SAMPA, X-SAMPA -> IPA) and visemes for the phones of many languages."""
import pytest

from lipsync.phonemes import g2p
from lipsync.phonemes.phoneset import arpabet_to_ipa, ipa_to_arpabet, to_ipa, xsampa_to_ipa
from lipsync.phonemes.types import SIL
from lipsync.phonemes.visemes import viseme_for_phone


def test_alphabet_conversion():
    assert arpabet_to_ipa("AH0") == "ə" and arpabet_to_ipa("ah1") == "ʌ" and arpabet_to_ipa("CH") == "tʃ"
    assert ipa_to_arpabet("tʃ") == "CH" and ipa_to_arpabet("ɑː") == "AA"
    assert xsampa_to_ipa("tS") == "tʃ" and xsampa_to_ipa("{") == "æ" and xsampa_to_ipa("@:") == "əː"
    assert to_ipa("H#", "sampa") == SIL and to_ipa("Q", "xsampa") == "ɒ"
    for a in ("AA", "B", "CH", "DH", "ER", "NG", "SH", "ZH", "OY"):
        assert ipa_to_arpabet(arpabet_to_ipa(a)) == a
    with pytest.raises(ValueError):
        to_ipa("x", "klingon")


@pytest.mark.parametrize("lang,word", [("eng", "map"), ("deu", "Mama"), ("fra", "maman"),
                                       ("spa", "mapa"), ("ita", "mamma"), ("pol", "mama"),
                                       ("rus", "мама"), ("jpn", "まま")])
def test_visemes_for_phones_of_many_languages(lang, word):
    phones = [p for _, ps in g2p.text_to_phones(word, lang) for p in ps]
    vis = [viseme_for_phone(p) for p in phones]
    assert vis[0] == "A", (phones, vis)  # m / p: closed lips
    assert any(v in ("C", "D") for v in vis), (phones, vis)  # an open vowel
    assert "X" not in vis, (phones, vis)  # every phone is known to the phone set


def test_visemes_of_language_specific_phones():
    assert viseme_for_phone("y") == "F"  # French/German rounded front vowel
    assert viseme_for_phone("ø") == "F" or viseme_for_phone("ø") == "E"
    assert viseme_for_phone("ɸ") == "A"  # Japanese bilabial fricative
    assert viseme_for_phone("ʋ") == "G"  # Hindi / Dutch labiodental approximant
    assert viseme_for_phone("ɲ") == "B" and viseme_for_phone("ʁ") == "B"


# ---------------------------------------------------------------- the inventory against panphon (independent)
from lipsync.phonemes import phoneset  # noqa: E402

# Where our table deliberately differs from panphon's reading of the symbol (and why).
OUR_READING = {
    # k͡p ɡ͡b ŋ͡m (tie bar dropped by normalize): panphon reads the untied pair as its first segment
    "kp": ("labial-velar", "stop"), "ɡb": ("labial-velar", "stop"), "ŋm": ("labial-velar", "nasal"),
    "ʙ": ("bilabial", "trill"), "r": ("alveolar", "trill"), "ʀ": ("uvular", "trill"),  # panphon: no trill feature
    "ɾ": ("alveolar", "tap"), "ɽ": ("retroflex", "tap"),  # nor a tap feature
    "ɕ": ("palatal", "fricative"), "ʑ": ("palatal", "fricative"),  # alveolo-palatal fricatives (not affricates)
    "ɮ": ("alveolar", "lateral"), "ʍ": ("labial-velar", "fricative"),  # the IPA chart's cells
    "ts": ("alveolar", "affricate"), "dz": ("alveolar", "affricate"), "tʃ": ("postalveolar", "affricate"),
    "dʒ": ("postalveolar", "affricate"), "tɕ": ("palatal", "affricate"), "dʑ": ("palatal", "affricate"),
    "ʈʂ": ("retroflex", "affricate"), "ɖʐ": ("retroflex", "affricate"), "pf": ("labiodental", "affricate"),
}
ROUNDED_CONSONANTS = {"ʃ", "ʒ", "tʃ", "dʒ", "w", "ʍ", "ɥ", "ɹ"}  # English lip-rounding on sh/zh/ch/j and r


def _panphon(seg):
    pytest.importorskip("panphon")
    return phoneset._panphon_features(seg)


@pytest.mark.parametrize("seg", sorted(s for s, f in phoneset.CONSONANTS.items() if s != "g"))
def test_consonant_table_agrees_with_panphon(seg):
    ours = phoneset.CONSONANTS[seg]
    assert ours.kind == "consonant"
    assert ours.round == (seg in ROUNDED_CONSONANTS)
    if seg == "ⱱ":  # the labiodental flap: not in panphon
        assert (ours.place, ours.manner, ours.voiced) == ("labiodental", "tap", True)
        return
    pp = _panphon(seg)
    assert ours.voiced == pp.voiced, "voicing"
    assert (ours.place, ours.manner) == OUR_READING.get(seg, (pp.place, pp.manner))


@pytest.mark.parametrize("seg", sorted(s for s in phoneset.VOWELS if s not in ("ɝ", "ɚ")))
def test_vowel_table_agrees_with_panphon(seg):
    ours = phoneset.VOWELS[seg]
    pp = _panphon(seg)
    assert ours.kind == "vowel" and ours.voiced and not ours.rhotic and ours.round == pp.round
    if pp.height <= 0.15:  # panphon +high: close (0) or, on the IPA chart, near-close ɪ ʏ ʊ (0.15)
        assert ours.height == (0.15 if seg in ("ɪ", "ʏ", "ʊ") else 0.0)
    elif pp.height == 1.0:  # +low
        assert ours.height >= 0.85
    elif seg != "ɐ":  # mid (ɐ, near-open, is +low to the IPA chart and mid to panphon)
        assert 0.33 <= ours.height <= 0.66
    if ours.backness <= 0.15:
        assert pp.backness == 0.0 or seg in ("a",)  # panphon reads a as back; the IPA chart's a is front
    elif ours.backness >= 0.85:
        assert pp.backness == 1.0
    else:
        assert ours.backness == 0.5  # central


def test_rhotic_vowels_and_the_unknown():
    assert phoneset.VOWELS["ɝ"] == phoneset.Features("vowel", 0.6, 0.5, voiced=True, rhotic=True)
    assert phoneset.VOWELS["ɚ"] == phoneset.Features("vowel", 0.5, 0.5, voiced=True, rhotic=True)
    assert phoneset.features("g") == phoneset.features("ɡ")  # the ASCII g is the IPA ɡ
    assert phoneset.features("☃") is None and not phoneset.is_known("☃") and phoneset.is_known("m")


@pytest.mark.parametrize("seg,place,manner,voiced", [
    ("ʘ", "bilabial", "stop", False), ("ǀ", "dental", "stop", False), ("ǃ", "alveolar", "stop", False),
    ("ǁ", "alveolar", "lateral", False), ("ɓ", "bilabial", "stop", True), ("ɗ", "alveolar", "stop", True),
    ("ʄ", "palatal", "stop", True), ("ɠ", "velar", "stop", True), ("ʛ", "uvular", "stop", True),
])
def test_segments_outside_the_table_come_from_panphon(seg, place, manner, voiced):
    """Clicks and implosives (Zulu, Xhosa, Sindhi, Vietnamese, ...) get their place from panphon."""
    f = phoneset.features(seg)
    assert (f.kind, f.place, f.manner, f.voiced) == ("consonant", place, manner, voiced)


# ---------------------------------------------------------------- normalising, diacritics, tokenising
@pytest.mark.parametrize("raw,norm", [
    ("ˈa", "a"), ("a\u0361", "a"), ("g", "ɡ"), ("a:", "aː"), (" sil ", SIL), ("SIL", SIL), ("", SIL), ("pau", SIL),
    ("+NSN+", SIL), ("e\u0301", "é"), ("t͡ʃ", "tʃ"),
])
def test_normalize(raw, norm):
    assert phoneset.normalize(raw) == norm
    assert phoneset.is_silence(raw) == (norm == SIL)


def test_diacritics_keep_the_base_and_mark_what_shows():
    long = phoneset.features("aː")
    assert long.long and long.height == 1.0 and not long.nasalised
    assert phoneset.features("kʷ").round and phoneset.features("kʷ").place == "velar"  # labialised
    assert phoneset.features("ã").nasalised and phoneset.features("ã").kind == "vowel"
    assert phoneset.features("ə˞").rhotic
    assert phoneset.features("tʰ") == phoneset.features("t") and phoneset.features("k'") == phoneset.features("k")
    assert phoneset.features("ɪ̯").height == 0.15  # non-syllabic: the same vowel
    assert phoneset.features("aɪ") == phoneset.features("a")  # a diphthong: its onset
    assert phoneset.features("mb").place == "bilabial"  # a cluster: its first part


def test_split_diphthongs_and_tokenize():
    assert phoneset.split_diphthong("aɪ") == [(0.6, "a"), (0.4, "ɪ")]
    assert phoneset.split_diphthong("aʊə") == [(0.6, "a"), (0.2, "ʊ"), (0.2, "ə")]
    assert phoneset.split_diphthong("tʃ") == [(1.0, "tʃ")] and phoneset.split_diphthong(SIL) == [(1.0, SIL)]
    assert phoneset.split_diphthong("mb") == [(1.0, "mb")]  # not all vowels: one target
    assert phoneset.tokenize("ˈt͡ʃaːmˌpʰ") == ["tʃ", "aː", "m", "pʰ"]
    assert phoneset.tokenize("ã i") == ["ã", "i"]


# ---------------------------------------------------------------- alphabets
ARPABET = {  # the CMU dictionary's 39 phones in IPA (stress-free), as its documentation lists them
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "B": "b", "CH": "tʃ", "D": "d", "DH": "ð",
    "EH": "ɛ", "ER": "ɝ", "EY": "eɪ", "F": "f", "G": "ɡ", "HH": "h", "IH": "ɪ", "IY": "i", "JH": "dʒ", "K": "k",
    "L": "l", "M": "m", "N": "n", "NG": "ŋ", "OW": "oʊ", "OY": "ɔɪ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ",
    "T": "t", "TH": "θ", "UH": "ʊ", "UW": "u", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}
ARPABET_EXTRA = {"AX": "ə", "AXR": "ɚ", "DX": "ɾ", "EL": "l", "EM": "m", "EN": "n", "H": "h", "IX": "ɨ", "NX": "n",
                 "Q": "ʔ", "UX": "ʉ", "WH": "ʍ"}  # TIMIT's extra symbols


def test_arpabet_both_ways():
    assert sorted(phoneset.ARPABET_39) == sorted(ARPABET)
    for a, ipa in {**ARPABET, **ARPABET_EXTRA}.items():
        assert phoneset.arpabet_to_ipa(a) == ipa and phoneset.arpabet_to_ipa(a.lower() + "1") == ipa
    for a, ipa in ARPABET.items():
        assert phoneset.ipa_to_arpabet(ipa) == a
    assert phoneset.arpabet_to_ipa("AH0") == "ə" and phoneset.arpabet_to_ipa("ER0") == "ɚ"
    assert phoneset.arpabet_to_ipa("AH2") == "ʌ" and phoneset.arpabet_to_ipa("er2") == "ɝ"
    for s in ("sil", "SP", "spn", "+NSN+", "<s>", "</s>", "pau", "h#", ""):
        assert phoneset.arpabet_to_ipa(s) == SIL
    near = {"ə": "AH", "ɚ": "ER", "ɾ": "T", "a": "AA", "e": "EY", "o": "OW", "r": "R", "ɫ": "L", "ʔ": "T",
            "ɒ": "AA", "ɐ": "AH", "ɜ": "ER", "aː": "AA", "ã": "AA", SIL: "SIL"}
    for ipa, a in near.items():
        assert phoneset.ipa_to_arpabet(ipa) == a, ipa
    with pytest.raises(KeyError):
        phoneset.ipa_to_arpabet("ʘ")
    with pytest.raises(KeyError):
        phoneset.arpabet_to_ipa("XX")


# X-SAMPA symbols where panphon's converter reads differently from the X-SAMPA chart we follow
XSAMPA_CHART = {"v\\": "ʋ", "x\\": "ɧ", "_j": "ʲ", "'": "ˈ"}  # ' is stress in the SAMPA corpora we read


def test_xsampa_table_agrees_with_panphon():
    xs = pytest.importorskip("panphon.xsampa").XSampa()
    marks = {"_h", "_w", "~", "_~", "=", ":", '"', "%"}  # diacritics and stress: compared as they are
    for k, v in phoneset.XSAMPA_TO_IPA.items():
        if k in XSAMPA_CHART:
            assert v == XSAMPA_CHART[k], k
        elif k in marks:
            assert v == xs.convert(k), k
        else:
            assert phoneset.normalize(v) == phoneset.normalize(xs.convert(k)), k


def test_xsampa_strings():
    assert phoneset.xsampa_to_ipa("tSA:r\\") == "tʃɑːɹ"  # longest symbols first: r\ is ɹ, not r + \
    assert phoneset.xsampa_to_ipa("r\\`") == "ɻ" and phoneset.xsampa_to_ipa("b_<") == "ɓ"
    assert phoneset.xsampa_to_ipa("<p:>") == SIL and phoneset.xsampa_to_ipa(" a i ") == "ai"
    with pytest.raises(ValueError, match="unknown X-SAMPA symbol '\\^' in 'a\\^'"):
        phoneset.xsampa_to_ipa("a^")
    assert phoneset.sampa_to_ipa is phoneset.xsampa_to_ipa
    assert phoneset.to_ipa("AH0", "ARPAbet") == "ə" and phoneset.to_ipa("E", "x-sampa") == "ɛ"
    assert phoneset.to_ipa("ˈa", "ipa") == "a"
