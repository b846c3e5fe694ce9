"""Phones -> mouth shapes and mouth controls, checked against what an animator's mouth chart says."""
import pytest

from lipsync.phonemes.types import SIL, PhoneTrack, TimedPhone
from lipsync.phonemes.visemes import (CONTROLS, DETAIL_TO_VISEME, DETAIL_VISEMES, VISEME_TO_CLASS, VISEMES,
                                      VISUAL_CLASSES, control_targets, detail_viseme_for_phone, phones_to_visemes,
                                      viseme_for_phone, viseme_sequence, visual_class_for_phone)

# phone: (Preston Blair shape, Oculus detail viseme), from the mouth charts (Rhubarb's shape guide, Oculus' visemes)
CHART = {
    SIL: ("X", "sil"),
    # lips together / lip to teeth
    "m": ("A", "PP"), "b": ("A", "PP"), "p": ("A", "PP"), "ɸ": ("A", "PP"), "β": ("A", "PP"),
    "f": ("G", "FF"), "v": ("G", "FF"), "ʋ": ("G", "FF"),
    # tongue behind the teeth for a long L
    "l": ("H", "nn"), "ɫ": ("H", "nn"), "ɭ": ("H", "nn"), "ɬ": ("H", "nn"),
    # rounded glides
    "w": ("F", "U"), "ʍ": ("F", "U"), "ɥ": ("F", "I"),
    # other consonants: slightly open, teeth together
    "θ": ("B", "TH"), "ð": ("B", "TH"), "s": ("B", "SS"), "z": ("B", "SS"), "ç": ("B", "SS"), "ʂ": ("B", "SS"),
    "ts": ("B", "SS"), "ʃ": ("B", "CH"), "tʃ": ("B", "CH"), "dʒ": ("B", "CH"), "n": ("B", "nn"), "ɳ": ("B", "nn"),
    "ɲ": ("B", "nn"), "t": ("B", "DD"), "d": ("B", "DD"), "ʈ": ("B", "DD"), "j": ("B", "I"), "k": ("B", "kk"),
    "ŋ": ("B", "kk"), "x": ("B", "kk"), "q": ("B", "kk"), "ʔ": ("B", "kk"), "h": ("B", "kk"), "ħ": ("B", "kk"),
    "ɹ": ("B", "RR"), "ɻ": ("B", "RR"), "r": ("B", "RR"), "ɾ": ("B", "RR"), "ʁ": ("B", "RR"),
    # vowels by height and rounding
    "a": ("D", "aa"), "ɑ": ("D", "aa"), "æ": ("D", "aa"), "ʌ": ("C", "aa"), "ɛ": ("C", "E"), "ə": ("C", "E"),
    "e": ("B", "E"), "ɪ": ("B", "I"), "i": ("B", "I"),
    "u": ("F", "U"), "ʊ": ("F", "U"), "y": ("F", "U"), "o": ("F", "O"), "ø": ("F", "O"), "ɔ": ("E", "O"),
    "ɒ": ("E", "O"), "ɝ": ("E", "RR"),
}


@pytest.mark.parametrize("phone", sorted(CHART))
def test_mouth_chart(phone):
    shape, detail = CHART[phone]
    assert viseme_for_phone(phone) == shape
    assert detail_viseme_for_phone(phone) == detail
    assert visual_class_for_phone(phone) == VISEME_TO_CLASS[shape]


def test_unknown_phones_rest():
    assert viseme_for_phone("☃") == "X" and detail_viseme_for_phone("☃") == "sil"
    assert control_targets("☃") == dict.fromkeys(CONTROLS, 0.0)


def test_vocabularies():
    assert VISEMES == ("A", "B", "C", "D", "E", "F", "G", "H", "X")
    assert set(VISEME_TO_CLASS) == set(VISEMES) and set(VISEME_TO_CLASS.values()) == set(VISUAL_CLASSES)
    assert VISEME_TO_CLASS["A"] == "closed" and VISEME_TO_CLASS["G"] == "lip-to-teeth"
    assert {v for v, c in VISEME_TO_CLASS.items() if c == "rounded"} == {"E", "F"}
    assert {v for v, c in VISEME_TO_CLASS.items() if c == "open"} == {"C", "D"}
    assert set(DETAIL_TO_VISEME) == set(DETAIL_VISEMES) and len(DETAIL_VISEMES) == 15
    assert set(DETAIL_TO_VISEME.values()) <= set(VISEMES)
    assert [DETAIL_TO_VISEME[d] for d in ("sil", "PP", "FF", "aa", "O", "U")] == ["X", "A", "G", "D", "E", "F"]


# control targets, worked out by hand from the phone's features (vowel height: 0 close .. 1 open)
@pytest.mark.parametrize("phone,want", [
    ("a", {"jaw_open": 0.9}),  # 0.15 + 0.75 * 1.0; open front: no spread left
    ("i", {"jaw_open": 0.15, "spread": 0.7}),  # close front unrounded: spread 0.7 * 1 * 1
    ("u", {"jaw_open": 0.12, "pucker": 0.95}),  # rounded: jaw x 0.8, pucker 0.95 - 0.45 * 0
    ("o", {"jaw_open": 0.318, "pucker": 0.8015}),  # (0.15 + 0.75 * 0.33) * 0.8 ; 0.95 - 0.45 * 0.33
    ("ɝ", {"jaw_open": 0.6, "spread": 0.14, "pucker": 0.45, "tongue_up": 0.4}),  # rhotic mid central
    ("m", {"jaw_open": 0.03, "lip_close": 1.0}),
    ("f", {"jaw_open": 0.08, "lip_teeth": 1.0}),
    ("t", {"jaw_open": 0.1, "tongue_up": 1.0}),
    ("l", {"jaw_open": 0.22, "tongue_up": 1.0}),
    ("s", {"jaw_open": 0.12, "tongue_up": 0.5, "spread": 0.35}),
    ("θ", {"jaw_open": 0.12, "tongue_up": 1.0}),  # dental: the tongue shows
    ("ʃ", {"jaw_open": 0.12, "pucker": 0.55, "tongue_up": 0.5}),
    ("j", {"jaw_open": 0.2, "spread": 0.45}),
    ("k", {"jaw_open": 0.25}),
    ("h", {"jaw_open": 0.3}),
    ("w", {"jaw_open": 0.2, "pucker": 1.0}),
    ("ɹ", {"jaw_open": 0.2, "tongue_up": 0.5, "pucker": 0.5}),
    ("ɾ", {"jaw_open": 0.18, "tongue_up": 1.0, "pucker": 0.35}),
    ("r", {"jaw_open": 0.2, "tongue_up": 1.0, "pucker": 0.35}),
    ("ʁ", {"jaw_open": 0.25}),  # uvular r: no lip rounding
    ("ʔ", {"jaw_open": 0.3}),
    (SIL, {}),
])
def test_control_targets(phone, want):
    got = control_targets(phone)
    assert set(got) == set(CONTROLS)
    assert got == pytest.approx({c: want.get(c, 0.0) for c in CONTROLS}, abs=1e-9)


def test_diphthongs_have_two_targets():
    assert viseme_sequence("aɪ") == [(0.6, "D", "aa"), (0.4, "B", "I")]
    assert viseme_sequence("m") == [(1.0, "A", "PP")]
    assert viseme_for_phone("oʊ") == "F"  # a diphthong's own shape is its onset's


def test_phones_to_visemes_splits_merges_and_keeps_the_lowest_confidence():
    track = PhoneTrack([TimedPhone(0.0, 0.2, SIL, 1.0), TimedPhone(0.2, 0.3, "m", 0.9),
                        TimedPhone(0.3, 0.4, "b", 0.4),  # same shape as m: one cue, the lower confidence
                        TimedPhone(0.4, 0.9, "aɪ", 0.8),  # 60 % a (D), 40 % ɪ (B)
                        TimedPhone(0.9, 1.0, "t", 0.7)], 1.0, source="x.wav")  # t is also B: joined
    v = phones_to_visemes(track)
    got = [(round(c.start, 6), round(c.end, 6), c.viseme, c.confidence, c.detail) for c in v.cues]
    assert got == [(0.0, 0.2, "X", 1.0, "sil"), (0.2, 0.4, "A", 0.4, "PP"), (0.4, 0.7, "D", 0.8, "aa"),
                   (0.7, 1.0, "B", 0.7, "I")]
    assert v.duration == 1.0 and v.source == "x.wav"
    # not joined across a gap
    gap = phones_to_visemes(PhoneTrack([TimedPhone(0.0, 0.1, "m"), TimedPhone(0.2, 0.3, "b")], 0.3))
    assert [c.viseme for c in gap.cues] == ["A", "A"]


def test_an_empty_track_rests():
    v = phones_to_visemes(PhoneTrack([], 2.0, source="s"))
    assert [(c.start, c.end, c.viseme) for c in v.cues] == [(0.0, 2.0, "X")] and v.source == "s"
    z = phones_to_visemes(PhoneTrack([TimedPhone(0.0, 0.0, "m")], 0.0))
    assert [(c.start, c.end, c.viseme) for c in z.cues] == [(0.0, 0.0, "X")]


def test_labial_velar_stops_close_the_lips_and_w_only_rounds_them():
    from lipsync.phonemes.visemes import control_targets, detail_viseme_for_phone, viseme_for_phone

    for p in ("k͡p", "ɡ͡b", "ŋ͡m"):
        assert viseme_for_phone(p) == "A" and detail_viseme_for_phone(p) == "PP" and control_targets(p)["lip_close"] == 1
    assert viseme_for_phone("w") == "F" and control_targets("w")["lip_close"] == 0


def test_unknown_symbols_rest_without_panphon(monkeypatch):
    """The same as test_unknown_phones_rest with panphon's table (9 s to load) left out, for the mutation run."""
    from lipsync.phonemes import phoneset

    monkeypatch.setattr(phoneset, "_panphon_table", lambda: None)
    assert viseme_for_phone("☂") == "X" and detail_viseme_for_phone("☂") == "sil"
    assert control_targets("☂") == dict.fromkeys(CONTROLS, 0.0)


def test_viseme_descriptions_name_the_preston_blair_shapes():
    from lipsync.phonemes.visemes import VISEME_DESCRIPTIONS

    assert VISEME_DESCRIPTIONS == {
        "A": "Closed mouth for M, B, P",
        "B": "Slightly open, clenched teeth: most consonants (K, S, T), EE",
        "C": "Open mouth: EH, AE",
        "D": "Wide open mouth: AA",
        "E": "Slightly rounded: AO, ER",
        "F": "Puckered lips: UW, OW, W",
        "G": "Upper teeth on lower lip: F, V",
        "H": "Tongue raised behind teeth: long L",
        "X": "Rest: silence and pauses",
    }


def test_palatal_and_retroflex_affricates_are_ch_not_ss():
    for p in ("tɕ", "dʑ", "ʈʂ", "ɖʐ"):
        assert detail_viseme_for_phone(p) == "CH", p
    assert detail_viseme_for_phone("ɕ") == "SS" and detail_viseme_for_phone("ʂ") == "SS"  # the fricatives alone


def test_detail_visemes_of_palatal_and_velar_consonants():
    # only a palatal approximant is I: a palatal stop and a velar approximant are kk
    assert [detail_viseme_for_phone(p) for p in ("j", "c", "ɰ")] == ["I", "kk", "kk"]


@pytest.mark.parametrize("phone,want", [
    ("n", {"jaw_open": 0.1, "tongue_up": 1.0}),  # nasal: jaw 0.1, tongue on the ridge
    ("ŋ", {"jaw_open": 0.25}),  # velar: the jaw at least 0.25
    ("ʈ", {"jaw_open": 0.1, "tongue_up": 1.0}),  # retroflex stop
    ("ts", {"jaw_open": 0.12, "tongue_up": 0.5, "spread": 0.35}),  # alveolar affricate
    ("tʃ", {"jaw_open": 0.12, "tongue_up": 0.5, "pucker": 0.55}),  # postalveolar affricate
    ("ħ", {"jaw_open": 0.3}),  # pharyngeal
])
def test_consonant_control_targets_by_hand(phone, want):
    assert control_targets(phone) == pytest.approx({**dict.fromkeys(CONTROLS, 0.0), **want})


def test_merged_neighbours_keep_the_lowest_confidence():
    one = PhoneTrack([TimedPhone(0.0, 0.1, "m", 0.9), TimedPhone(0.1, 0.2, "b", 0.5)], 0.2)
    assert [(c.start, c.end, c.viseme, c.confidence) for c in phones_to_visemes(one).cues] == [(0.0, 0.2, "A", 0.5)]
    after = PhoneTrack([TimedPhone(0.0, 0.1, SIL, 0.2), TimedPhone(0.1, 0.2, "m", 0.9),
                        TimedPhone(0.2, 0.3, "b", 0.6)], 0.3)
    assert [(c.viseme, c.confidence) for c in phones_to_visemes(after).cues] == [("X", 0.2), ("A", 0.6)]


def test_a_labialised_schwa_is_a_mid_rounded_mouth():
    # ə has height 0.5; the labialisation mark rounds it: rounded vowels below 0.5 pucker (F), from 0.5 on E
    assert viseme_for_phone("əʷ") == "E" and viseme_for_phone("eʷ") == "F"
