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
