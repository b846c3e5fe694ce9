"""The phone set's articulatory tables against the IPA chart, one stated fact per symbol.

The expected values are the IPA chart's categories (close, close-mid, ... / front, central, back / voiced,
place, manner), turned into numbers by the scale ``phoneset.Features`` documents: height 0 (close) .. 1 (open)
and backness 0 (front) .. 1 (back), with the chart's seven heights and five backnesses evenly placed.
"""
import dataclasses
import unicodedata

import pytest

from lipsync.phonemes import phoneset
from lipsync.phonemes.types import SIL

# The IPA vowel chart's rows and columns on the module's 0..1 scale (coarse: two decimals).
HEIGHT = {"close": 0.0, "near-close": 0.15, "close-mid": 0.33, "mid": 0.5, "open-mid": 0.66, "near-open": 0.85,
          "open": 1.0}
BACKNESS = {"front": 0.0, "near-front": 0.15, "central": 0.5, "near-back": 0.85, "back": 1.0}

# Every vowel of the IPA chart (2020), as the chart names it: height, backness, rounding.
CHART_VOWELS = [
    ("i", "close front unrounded"), ("y", "close front rounded"),
    ("ɨ", "close central unrounded"), ("ʉ", "close central rounded"),
    ("ɯ", "close back unrounded"), ("u", "close back rounded"),
    ("ɪ", "near-close near-front unrounded"), ("ʏ", "near-close near-front rounded"),
    ("ʊ", "near-close near-back rounded"),
    ("e", "close-mid front unrounded"), ("ø", "close-mid front rounded"),
    ("ɘ", "close-mid central unrounded"), ("ɵ", "close-mid central rounded"),
    ("ɤ", "close-mid back unrounded"), ("o", "close-mid back rounded"),
    ("ə", "mid central unrounded"),
    ("ɛ", "open-mid front unrounded"), ("œ", "open-mid front rounded"),
    ("ɜ", "open-mid central unrounded"), ("ɞ", "open-mid central rounded"),
    ("ʌ", "open-mid back unrounded"), ("ɔ", "open-mid back rounded"),
    ("æ", "near-open front unrounded"), ("ɐ", "near-open central unrounded"),
    ("a", "open front unrounded"), ("ɶ", "open front rounded"),
    ("ä", "open central unrounded"),  # a with the centralising diaeresis
    ("ɑ", "open back unrounded"), ("ɒ", "open back rounded"),
]
# The r-coloured vowels (hooks): schwa and open-mid central ɜ with rhoticity.
RHOTIC_VOWELS = [("ɚ", "ə"), ("ɝ", "ɜ")]


def _vowel(description):
    height, backness, rounding = description.split()
    return HEIGHT[height], BACKNESS[backness], rounding == "rounded"


@pytest.mark.parametrize("seg,description", CHART_VOWELS)
def test_vowel_chart_cell(seg, description):
    height, backness, rnd = _vowel(description)
    f = phoneset.features(seg)
    assert f is phoneset.VOWELS[seg]
    assert f.kind == "vowel"
    assert f.height == pytest.approx(height, abs=0.01), "height"
    assert f.backness == pytest.approx(backness, abs=0.01), "backness"
    assert f.round is rnd, "rounding"
    # vowels are voiced; a plain vowel symbol is oral, short and not r-coloured, and has no consonant place
    assert f.voiced is True and f.rhotic is False and f.nasalised is False and f.long is False
    assert f.place == "" and f.manner == ""


@pytest.mark.parametrize("seg,plain", RHOTIC_VOWELS)
def test_r_coloured_vowels(seg, plain):
    f, p = phoneset.features(seg), phoneset.VOWELS[plain]
    assert f is phoneset.VOWELS[seg] and f.kind == "vowel" and f.rhotic is True and f.voiced is True
    assert f.backness == p.backness == 0.5 and f.round is p.round is False  # central unrounded, like ə and ɜ
    # height: ɚ is schwa's (mid); ɝ lies between mid and ɜ's open-mid (the r-colouring raises it a little)
    assert HEIGHT["mid"] <= f.height <= p.height
    assert not f.nasalised and not f.long and f.place == "" and f.manner == ""


def test_vowel_inventory_is_the_chart():
    assert set(phoneset.VOWELS) == {s for s, _ in CHART_VOWELS} | {s for s, _ in RHOTIC_VOWELS}
    for seg in phoneset.VOWELS:
        assert phoneset.BASE[seg] is phoneset.VOWELS[seg]


def test_vowel_scales_and_their_order():
    v = phoneset.VOWELS
    for f in v.values():
        assert 0.0 <= f.height <= 1.0 and 0.0 <= f.backness <= 1.0
    # down the chart's columns: close < near-close < close-mid < mid < open-mid < near-open < open
    for column in (["i", "ɪ", "e", "ɛ", "æ", "a"], ["y", "ʏ", "ø", "œ", "ɶ"], ["ɨ", "ɘ", "ə", "ɜ", "ɐ", "ä"],
                   ["ʉ", "ɵ", "ɞ"], ["u", "ʊ", "o", "ɔ", "ɒ"], ["ɯ", "ɤ", "ʌ", "ɑ"]):
        heights = [v[s].height for s in column]
        assert all(a < b for a, b in zip(heights, heights[1:])), column
    # across the rows: front < near-front < central < near-back < back
    for row in (["i", "ɨ", "u"], ["y", "ʏ", "ʉ", "ʊ", "u"], ["e", "ɘ", "o"], ["ø", "ɵ", "ɤ"], ["ɛ", "ɜ", "ʌ"],
                ["œ", "ɞ", "ɔ"], ["æ", "ɐ"], ["a", "ä", "ɑ"], ["ɶ", "ɒ"], ["ɪ", "ʊ"]):
        backs = [v[s].backness for s in row]
        assert all(a < b for a, b in zip(backs, backs[1:])), row
    # a rounded/unrounded pair shares its cell
    for unrounded, rounded in (("i", "y"), ("ɨ", "ʉ"), ("ɯ", "u"), ("ɪ", "ʏ"), ("e", "ø"), ("ɘ", "ɵ"),
                               ("ɤ", "o"), ("ɛ", "œ"), ("ɜ", "ɞ"), ("ʌ", "ɔ"), ("a", "ɶ"), ("ɑ", "ɒ")):
        assert (v[unrounded].height, v[unrounded].backness) == (v[rounded].height, v[rounded].backness)
        assert not v[unrounded].round and v[rounded].round


# ---------------------------------------------------------------- consonants
# The pulmonic consonant chart plus "other symbols" and affricates, as the IPA names them.
# The module's manners are coarser than the chart's: every lateral (fricative or approximant) is "lateral",
# tap and flap are "tap", and the alveolo-palatal column is counted as "palatal".
CHART_CONSONANTS = [
    ("p", "voiceless bilabial plosive"), ("b", "voiced bilabial plosive"),
    ("t", "voiceless alveolar plosive"), ("d", "voiced alveolar plosive"),
    ("ʈ", "voiceless retroflex plosive"), ("ɖ", "voiced retroflex plosive"),
    ("c", "voiceless palatal plosive"), ("ɟ", "voiced palatal plosive"),
    ("k", "voiceless velar plosive"), ("ɡ", "voiced velar plosive"),
    ("q", "voiceless uvular plosive"), ("ɢ", "voiced uvular plosive"),
    ("ʔ", "voiceless glottal plosive"),
    ("m", "voiced bilabial nasal"), ("ɱ", "voiced labiodental nasal"), ("n", "voiced alveolar nasal"),
    ("ɳ", "voiced retroflex nasal"), ("ɲ", "voiced palatal nasal"), ("ŋ", "voiced velar nasal"),
    ("ɴ", "voiced uvular nasal"),
    ("ʙ", "voiced bilabial trill"), ("r", "voiced alveolar trill"), ("ʀ", "voiced uvular trill"),
    ("ⱱ", "voiced labiodental flap"), ("ɾ", "voiced alveolar tap"), ("ɽ", "voiced retroflex flap"),
    ("ɸ", "voiceless bilabial fricative"), ("β", "voiced bilabial fricative"),
    ("f", "voiceless labiodental fricative"), ("v", "voiced labiodental fricative"),
    ("θ", "voiceless dental fricative"), ("ð", "voiced dental fricative"),
    ("s", "voiceless alveolar fricative"), ("z", "voiced alveolar fricative"),
    ("ʃ", "voiceless postalveolar fricative"), ("ʒ", "voiced postalveolar fricative"),
    ("ʂ", "voiceless retroflex fricative"), ("ʐ", "voiced retroflex fricative"),
    ("ç", "voiceless palatal fricative"), ("ʝ", "voiced palatal fricative"),
    ("ɕ", "voiceless alveolo-palatal fricative"), ("ʑ", "voiced alveolo-palatal fricative"),
    ("x", "voiceless velar fricative"), ("ɣ", "voiced velar fricative"),
    ("χ", "voiceless uvular fricative"), ("ʁ", "voiced uvular fricative"),
    ("ħ", "voiceless pharyngeal fricative"), ("ʕ", "voiced pharyngeal fricative"),
    ("h", "voiceless glottal fricative"), ("ɦ", "voiced glottal fricative"),
    ("ɬ", "voiceless alveolar lateral fricative"), ("ɮ", "voiced alveolar lateral fricative"),
    ("ʋ", "voiced labiodental approximant"), ("ɹ", "voiced alveolar approximant"),
    ("ɻ", "voiced retroflex approximant"), ("j", "voiced palatal approximant"), ("ɰ", "voiced velar approximant"),
    ("l", "voiced alveolar lateral approximant"), ("ɭ", "voiced retroflex lateral approximant"),
    ("ʎ", "voiced palatal lateral approximant"), ("ʟ", "voiced velar lateral approximant"),
    ("ɫ", "voiced velarized alveolar lateral approximant"),
    ("w", "voiced labial-velar approximant"), ("ʍ", "voiceless labial-velar fricative"),
    ("ɥ", "voiced labial-palatal approximant"),
    ("kp", "voiceless labial-velar plosive"), ("ɡb", "voiced labial-velar plosive"),
    ("ŋm", "voiced labial-velar nasal"),
    ("ts", "voiceless alveolar affricate"), ("dz", "voiced alveolar affricate"),
    ("tʃ", "voiceless postalveolar affricate"), ("dʒ", "voiced postalveolar affricate"),
    ("tɕ", "voiceless alveolo-palatal affricate"), ("dʑ", "voiced alveolo-palatal affricate"),
    ("ʈʂ", "voiceless retroflex affricate"), ("ɖʐ", "voiced retroflex affricate"),
    ("pf", "voiceless labiodental affricate"),
]
CHART_PLACES = ["bilabial", "labiodental", "dental", "alveolar", "postalveolar", "retroflex", "palatal", "velar",
                "uvular", "pharyngeal", "glottal", "labial-velar"]
CHART_MANNERS = ["stop", "nasal", "fricative", "affricate", "approximant", "lateral", "trill", "tap"]
# r sounds: the trills and taps of r, the approximants ɹ ɻ and the uvular ʁ (French, German r); not the
# bilabial trill ʙ nor the labiodental flap ⱱ
RHOTIC_CONSONANTS = {"r", "ʀ", "ɾ", "ɽ", "ɹ", "ɻ", "ʁ"}
# lip rounding on English sh/zh/ch/j and r, and the labial-velar/labial-palatal glides
ROUNDED_CONSONANTS = {"ʃ", "ʒ", "tʃ", "dʒ", "w", "ʍ", "ɥ", "ɹ"}


def _consonant(description):
    words = description.replace("labial-palatal", "palatal").replace("alveolo-palatal", "palatal").split()
    voiced = {"voiced": True, "voiceless": False}[words[0]]
    place = next(w for w in words if w in CHART_PLACES)
    if "lateral" in words:
        manner = "lateral"
    else:
        manner = {"plosive": "stop", "flap": "tap"}.get(words[-1], words[-1])
    return place, manner, voiced


@pytest.mark.parametrize("seg,description", CHART_CONSONANTS)
def test_consonant_chart_cell(seg, description):
    place, manner, voiced = _consonant(description)
    f = phoneset.features(seg)
    assert f is phoneset.CONSONANTS[seg]
    assert (f.kind, f.place, f.manner, f.voiced) == ("consonant", place, manner, voiced)
    assert f.rhotic is (seg in RHOTIC_CONSONANTS), "rhotic"
    assert f.round is (seg in ROUNDED_CONSONANTS), "rounding"
    assert f.nasalised is False and f.long is False


def test_consonant_inventory_is_the_chart():
    chart = {s for s, _ in CHART_CONSONANTS}
    assert set(phoneset.CONSONANTS) == chart | {"g"}  # and the ASCII g, the same sound as ɡ
    assert phoneset.CONSONANTS["g"] == phoneset.CONSONANTS["ɡ"]
    assert set(phoneset.BASE) == chart | {"g"} | set(phoneset.VOWELS)
    for seg in phoneset.CONSONANTS:
        assert phoneset.BASE[seg] is phoneset.CONSONANTS[seg]


def test_places_and_manners_are_those_the_consonants_use():
    assert list(phoneset.PLACES) == CHART_PLACES and list(phoneset.MANNERS) == CHART_MANNERS
    assert {f.place for f in phoneset.CONSONANTS.values()} == set(phoneset.PLACES)
    assert {f.manner for f in phoneset.CONSONANTS.values()} == set(phoneset.MANNERS)


def test_consonant_classes():
    c = phoneset.CONSONANTS
    assert all(c[s].voiced for s in c if c[s].manner in ("nasal", "approximant", "trill", "tap")
               or (c[s].manner == "lateral" and s != "ɬ"))  # sonorants are voiced (ɬ: a lateral fricative)
    assert [s for s in ("p", "b", "m", "ɸ", "β", "ʙ") if c[s].place == "bilabial"] == ["p", "b", "m", "ɸ", "β", "ʙ"]
    assert c["b"].voiced and not c["p"].voiced and c["m"].manner == "nasal"
    assert (c["w"].place, c["w"].manner, c["w"].round) == ("labial-velar", "approximant", True)
    assert c["ɹ"].rhotic and c["ɹ"].manner == "approximant" and c["tʃ"].manner == "affricate"
    assert (c["h"].place, c["ʔ"].place) == ("glottal", "glottal")


def test_segments_without_vowel_quality_sit_at_schwa():
    """A consonant or silence has no vowel quality: it keeps the neutral tract, the mid central position of ə."""
    schwa = phoneset.VOWELS["ə"]
    for seg in ("p", "k", "s", "l", "w"):
        f = phoneset.features(seg)
        assert (f.height, f.backness) == (schwa.height, schwa.backness) == (0.5, 0.5)
    assert phoneset.features(SIL) is phoneset.SILENCE
    s = phoneset.SILENCE
    assert s.kind == "silence" and (s.height, s.backness) == (0.5, 0.5)
    assert (s.round, s.voiced, s.rhotic, s.nasalised, s.long) == (False,) * 5 and s.place == "" and s.manner == ""
    assert all(type(getattr(s, k)) is bool for k in ("round", "voiced", "rhotic", "nasalised", "long"))


def test_table_entries_cannot_be_changed():
    """The tables' entries are shared by every caller: frozen (and so hashable) values."""
    f = phoneset.features("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.height = 0.0
    assert hash(f) == hash(phoneset.VOWELS["a"]) and len({f, phoneset.VOWELS["a"], phoneset.SILENCE}) == 2


# panphon's binary features (hi, lo, tense, back, round) name four heights and front/back: on the vowels whose
# chart cell they can express, the panphon route gives the chart's values
@pytest.mark.parametrize("seg,description", [(s, d) for s, d in CHART_VOWELS
                                             if s in "iyueøɤoɛœɔɑɒ"])
def test_panphon_route_for_vowels(seg, description):
    pytest.importorskip("panphon")
    height, backness, rnd = _vowel(description)
    assert phoneset._panphon_features(seg) == phoneset.VOWELS[seg] == phoneset.Features(
        "vowel", height=height, backness=backness, round=rnd, voiced=True)


@pytest.mark.parametrize("seg,front", [("ɪ", True), ("ʏ", True), ("ʊ", False)])
def test_panphon_route_for_near_close_vowels(seg, front):
    pytest.importorskip("panphon")
    f = phoneset._panphon_features(seg)
    assert f.kind == "vowel" and f.height == HEIGHT["near-close"] and f.round is phoneset.VOWELS[seg].round
    assert (f.backness <= BACKNESS["near-front"]) if front else (f.backness >= BACKNESS["near-back"])


# ---------------------------------------------------------------- diacritics and modifier letters
@pytest.mark.parametrize("phone,base", [("aː", "a"), ("a:", "a"), ("aˑ", "a"), ("iː", "i"), ("uˑ", "u"),
                                        ("nː", "n")])
def test_length_marks(phone, base):
    """ː long, ˑ half-long (and the ASCII colon): the same segment, marked long."""
    f = phoneset.features(phone)
    assert f.long is True and f == phoneset.replace(phoneset.features(base), long=True)
    assert phoneset.tokenize(phone + "t") == [phoneset.normalize(phone), "t"]  # the mark stays on its segment


def test_labialisation_nasalisation_and_r_colouring():
    kw = phoneset.features("kʷ")
    assert kw == phoneset.replace(phoneset.CONSONANTS["k"], round=True)  # ʷ: labialised velar, lips rounded
    assert phoneset.tokenize("kʷa") == ["kʷ", "a"] and phoneset.ipa_to_arpabet("kʷ") == "K"
    e = phoneset.features("e\u0303")
    assert e == phoneset.replace(phoneset.VOWELS["e"], nasalised=True)  # ̃: nasalised e
    assert phoneset.tokenize("e\u0303t") == ["\u1ebd", "t"]  # one token, ẽ (composed)
    schwa_r = phoneset.features("ə˞")
    assert schwa_r == phoneset.replace(phoneset.VOWELS["ə"], rhotic=True)  # ˞: rhoticity
    assert phoneset.tokenize("ə˞t") == ["ə˞", "t"] and phoneset.ipa_to_arpabet("ə˞") == "AH"


# Diacritics that do not change the mouth's shape: the segment keeps its base's features and ARPAbet phone,
# and stays one token. (mark, IPA name, example)
NEUTRAL_DIACRITICS = [
    ("ʰ", "aspirated", "tʰ"), ("ʲ", "palatalised", "tʲ"), ("ˠ", "velarised", "tˠ"), ("ˤ", "pharyngealised", "tˤ"),
    ("ʼ", "ejective", "tʼ"), ("\u0325", "voiceless", "n\u0325"), ("\u030a", "voiceless (ring above)", "ŋ\u030a"),
    ("\u0329", "syllabic", "n\u0329"), ("\u032f", "non-syllabic", "ɪ\u032f"), ("\u0324", "breathy voiced", "b\u0324"),
    ("\u0330", "creaky voiced", "b\u0330"), ("\u033a", "apical", "t\u033a"), ("\u033b", "laminal", "t\u033b"),
    ("\u031a", "no audible release", "t\u031a"), ("\u0318", "advanced tongue root", "e\u0318"),
    ("\u0319", "retracted tongue root", "e\u0319"), ("\u031d", "raised", "e\u031d"), ("\u031e", "lowered", "e\u031e"),
    ("\u031f", "advanced", "u\u031f"), ("\u0320", "retracted", "i\u0320"),
    ("\u033d", "mid-centralised", "e\u033d"), ("\u032a", "dental", "t\u032a"), ("\u032c", "voiced", "s\u032c"),
    ("\u0339", "more rounded", "ɔ\u0339"), ("\u031c", "less rounded", "ɔ\u031c"), ("ⁿ", "nasal release", "dⁿ"),
    ("ˡ", "lateral release", "dˡ"), ("\u0306", "extra-short", "ə\u0306"),
]


@pytest.mark.parametrize("mark,name,example", NEUTRAL_DIACRITICS)
def test_diacritics_that_keep_the_base(mark, name, example):
    base = example.replace(mark, "")
    assert phoneset.features(example) == phoneset.features(base), name
    assert phoneset.tokenize(example + "a") == [phoneset.normalize(example), "a"], name
    assert phoneset.ipa_to_arpabet(example) == phoneset.ipa_to_arpabet(base), name


def test_tone_marks_keep_the_vowel_and_alone_are_no_sound():
    # á (high tone): still the open front a; a tone letter (˥) or a breathy release (ʱ) on its own is no segment
    assert phoneset.features("a\u0301") == phoneset.VOWELS["a"] and phoneset.features("o\u0300") == phoneset.VOWELS["o"]
    assert phoneset.features("a˥") == phoneset.VOWELS["a"]
    assert phoneset.features("˥") is None and phoneset.features("ʱ") is None


@pytest.mark.parametrize("tie", ["\u0361", "\u035c"])
def test_tie_bars_join_an_affricate(tie):
    assert phoneset.normalize(f"t{tie}s") == "ts" and phoneset.normalize(f"d{tie}ʒ") == "dʒ"
    assert phoneset.tokenize(f"t{tie}sa") == ["ts", "a"]
    assert phoneset.features(f"t{tie}s") is phoneset.CONSONANTS["ts"]


@pytest.mark.parametrize("mark", ["ˈ", "ˌ", "'", ","])  # primary, secondary stress (and their ASCII stand-ins)
def test_stress_marks_are_dropped(mark):
    assert phoneset.normalize(mark + "a") == "a" and phoneset.normalize("a" + mark) == "a"
    assert phoneset.tokenize(f"{mark}ta") == ["t", "a"]


def test_clusters_are_described_by_their_first_part():
    # German pfl (Pflaume): the affricate pf; a triphthong aʊə: its onset a
    assert phoneset.features("pfl") == phoneset.CONSONANTS["pf"]
    assert phoneset.features("tsv") == phoneset.CONSONANTS["ts"]
    assert phoneset.features("aʊə") == phoneset.VOWELS["a"]


def test_marks_after_an_ignored_one_still_count():
    # dental affricate t̪s̪ (the module's coarse places: alveolar ts); long syllabic n̩ː; aspirated labialised kʰʷ
    assert phoneset.features("t\u032as\u032a") == phoneset.CONSONANTS["ts"]
    assert phoneset.features("n\u0329ː") == phoneset.replace(phoneset.CONSONANTS["n"], long=True)
    assert phoneset.features("kʰʷ") == phoneset.replace(phoneset.CONSONANTS["k"], round=True)


# ---------------------------------------------------------------- silence labels of the common corpora and tools
@pytest.mark.parametrize("token", ["sil", "SIL", "sp", "spn", "", "_", "#", "h#", "H#", "pau", "PAU", "<sil>",
                                   "<blank>", "[SIL]", "NSN", "+NSN+", "+SPN+"])
def test_silence_labels(token):
    assert token in phoneset.SILENCE_TOKENS
    assert phoneset.normalize(token) == SIL and phoneset.is_silence(token)
    assert phoneset.features(token) is phoneset.SILENCE and phoneset.xsampa_to_ipa(token) == SIL


def test_not_silence():
    for phone in ("a", "s", "h", "ʔ"):
        assert not phoneset.is_silence(phone)
    assert phoneset.normalize(None) == SIL
    assert unicodedata.normalize("NFC", phoneset.normalize("ɡ")) == "ɡ"


def test_the_centralising_diaeresis_moves_a_vowel_halfway_to_central():
    f = phoneset.features
    # a centralised vowel keeps its height and rounding and sits between its column and the centre
    for vowel in ("e", "o", "i", "u", "ɛ", "ɔ"):
        plain, central = f(vowel), f(vowel + "\u0308")
        assert (central.height, central.round) == (plain.height, plain.round), vowel
        assert central.backness == pytest.approx((plain.backness + BACKNESS["central"]) / 2), vowel
    # ä is a symbol of its own (open central): marks after it keep it central, not a's front
    assert f("äː") == dataclasses.replace(f("ä"), long=True) and f("ä").backness == BACKNESS["central"]
    assert f("a\u0308\u0303") == dataclasses.replace(f("ä"), nasalised=True)
    # on a consonant the mark changes nothing
    assert f("t\u0308") == f("t")
