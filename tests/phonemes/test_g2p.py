"""Text -> phones: the English dictionary with an espeak-ng fallback, other languages, errors."""
import pytest

from lipsync.phonemes import g2p


def test_g2p_english_dictionary_and_fallback():
    out = g2p.text_to_phones("Mom, maybe bring the map! Zorblaxian")
    assert [w for w, _ in out] == ["Mom", "maybe", "bring", "the", "map", "Zorblaxian"]
    assert out[0][1] == ["m", "ɑ", "m"]
    assert out[4][1] == ["m", "æ", "p"]
    assert out[5][1][0] == "z" and len(out[5][1]) >= 7  # not in the dictionary: espeak-ng spelled it


@pytest.mark.parametrize("lang,text,first", [("deu", "Guten Tag", ["ɡ", "uː", "t", "ə", "n"]),
                                             ("spa", "perro", ["p", "e", "r", "o"]),
                                             ("fra", "bonjour", ["b", "ɔ̃", "ʒ", "u", "ʁ"])])
def test_g2p_other_languages(lang, text, first):
    assert g2p.text_to_phones(text, lang)[0][1] == first


def test_g2p_errors():
    with pytest.raises(g2p.G2PError, match="transcript is empty"):
        g2p.text_to_phones("   ")
    with pytest.raises(g2p.G2PError, match="no words"):
        g2p.text_to_phones("?!")
    with pytest.raises(g2p.G2PError, match="unknown language 'xyz'"):
        g2p.text_to_phones("hello", "xyz")
