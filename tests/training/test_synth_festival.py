"""Festival synthetic speech with phone timings (training/synth/festival.py).

Parsing and quoting are tested without festival; the synthesis tests need
`apt-get install festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k`
(tools/setup_train.sh) and skip without them.
"""
import numpy as np
import pytest

from lipsync.training import synth
from lipsync.training.synth.common import festival_phone_to_ipa
from lipsync.training.synth import festival as synth_festival
from lipsync.phonemes import phoneset
from lipsync.phonemes.types import SIL


def test_parse_segs():
    text = "#\n0.1750 100 pau\n0.2400 100 m\n0.3350 100 aa\n0.3350 100 pau\n0.4000 100 m\n0.6000 100 pau\n0.7000 100 pau\n"
    segs = synth_festival.parse_segs(text)
    assert segs == [(0.0, 0.175, SIL), (0.175, 0.24, "m"), (0.24, 0.335, "ɑ"), (0.335, 0.4, "m"), (0.4, 0.7, SIL)]


def test_text_is_quoted_for_scheme():
    s = synth_festival._scheme_string('He said "no" \\ it\u2019s fine\n')
    assert s == '"He said \\"no\\" \\\\ it\'s fine"'


def _needs(voice):
    return pytest.mark.skipif(
        f"festival:{voice}" not in synth_festival.VOICES,
        reason=f"optional: festival voice {voice} not installed (training extra, tools/setup_train.sh: "
               f"apt-get install festival {synth_festival.KNOWN[voice][2]})")


@pytest.mark.parametrize("voice", [pytest.param(v, marks=_needs(v)) for v in synth_festival.KNOWN])
def test_festival_voice(voice, synth_checks):
    x, segs = synth.synthesize("map", f"festival:{voice}")
    synth_checks.track(x, segs)
    assert [p for _, _, p in segs if p != SIL] == ["m", "æ", "p"]
    text = "Mom, maybe bring the \"big\" blue map."
    x, segs = synth.synthesize(text, f"festival:{voice}")
    synth_checks.track(x, segs)
    synth_checks.pause_and_vowels(x, segs)
    names = [p for _, _, p in segs if p != SIL]
    assert names[:3] == ["m", "ɑ", "m"] and "eɪ" in names and names[-3:] == ["m", "æ", "p"]
    x2, raw = synth.synthesize(text, f"festival:{voice}", apply_offset=False)
    assert np.array_equal(x, x2)
    off = synth_festival.OFFSETS[f"festival:{voice}"]
    assert segs[1][0] == pytest.approx(raw[1][0] + off, abs=1e-9)


def test_language_voice_phones_map_to_ipa_and_to_a_training_class():
    from lipsync.training.labels import phone_class

    assert synth_festival.lang_phone_to_ipa("O1", "italian") == ["ɔ"]  # stress digit dropped
    assert synth_festival.lang_phone_to_ipa("t:", "finnish") == ["tː"]  # geminate
    assert synth_festival.lang_phone_to_ipa("ksh", "hindi") == ["k", "ʃ"]
    assert synth_festival.lang_phone_to_ipa("pau", "russian") == [SIL]
    with pytest.raises(KeyError):
        synth_festival.lang_phone_to_ipa("qq", "czech")
    for name, table in synth_festival.LANG_PHONES.items():
        for sym, ipa in table.items():
            for p in ipa.split():
                assert phoneset.features(p) is not None and phone_class(p) >= 0, (name, sym, p)
    assert {spec[6] for spec in synth_festival.LANG_VOICES.values()} <= set(synth_festival.LANG_PHONES)


def test_a_two_phone_segment_is_split_in_half():
    segs = synth_festival.parse_segs("#\n0.1 100 pau\n0.3 100 ksh\n0.4 100 a1\n", "hindi")
    assert segs == [(0.0, 0.1, SIL), (0.1, pytest.approx(0.2), "k"), (pytest.approx(0.2), 0.3, "ʃ"), (0.3, 0.4, "ə")]
    with pytest.raises(synth.SynthError, match="cannot map"):
        synth_festival.parse_segs("#\n0.1 100 zzz\n", "italian")


def test_text_a_voice_cannot_read_is_a_clear_error():
    assert synth_festival._native_string('perché "sì"', "iso-8859-1") == '"perché \\"sì\\""'
    with pytest.raises(synth.SynthError, match="cannot read"):
        synth_festival._native_string("привет", "iso-8859-1")


_LANG_VOICES = synth_festival.installed_lang_voices()


# each voice speaks a word of its language: (text, the phones expected)
@pytest.mark.parametrize("voice, text, phones", [
    ("lp", "mamma", ["m", "a", "m", "m", "a"]),
    ("dita", "máma", ["m", "aː", "m", "a"]),
    ("lj", "äiti", ["æ", "i", "t", "i"]),
    ("nsh", "мама", ["m", "a", "m", "ɐ"]),
    ("ona", "mare", ["m", "a", "ɾ", "ə"]),
    ("nsk", "माँ", None),
])
def test_language_voices_speak_their_language(voice, text, phones, synth_checks):
    if f"festival:{voice}" not in _LANG_VOICES:
        pytest.skip(f"optional: festival voice {voice} not installed (training extra, tools/setup_train.sh: "
                    f"apt-get install festival {synth_festival.LANG_VOICES[voice][2]})")
    x, segs = synth.synthesize(text, f"festival:{voice}")
    synth_checks.track(x, segs)
    names = [p for _, _, p in segs if p != SIL]
    if phones is None:  # Hindi: the nasal vowel's letter rules vary; it starts with m and an open vowel
        assert names[0] == "m" and names[1] in ("aː", "ə"), names
    else:
        assert names == phones
    assert segs[0][2] == SIL and segs[-1][2] == SIL


def test_unknown_voice_is_a_clear_error():
    with pytest.raises(synth.SynthError, match="unknown festival voice"):
        synth.synthesize("map", "festival:nobody")
    names = "aa ae ah ao aw ax ay b ch d dh eh er ey f g hh ih iy jh k l m n ng ow oy p r s sh t th uh uw v w y z zh"
    assert all(phoneset.features(festival_phone_to_ipa(p)) is not None for p in names.split())
