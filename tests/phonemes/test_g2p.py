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


def test_every_language_maps_to_an_installed_espeak_voice():
    import re

    voices = g2p._espeak_voices()
    assert len(voices) > 100  # espeak-ng ships over a hundred voices
    for iso, voice in g2p.ISO639_3_TO_ESPEAK.items():
        assert re.fullmatch("[a-z]{3}", iso), iso
        assert voice in voices, (iso, voice)
    langs = g2p.supported_languages()
    assert langs["eng"] == "en-us (CMU dictionary)" and langs["fra"] == "fr-fr" and langs["zho"] == "cmn"
    assert set(langs) == set(g2p.ISO639_3_TO_ESPEAK)
    # a few codes checked by hand against ISO 639-3
    for iso, voice in {"deu": "de", "ell": "el", "jpn": "ja", "kor": "ko", "rus": "ru", "hin": "hi", "ara": "ar",
                       "spa": "es", "nld": "nl", "swe": "sv", "tur": "tr", "vie": "vi", "heb": "he"}.items():
        assert g2p.espeak_voice(iso) == voice


def test_voice_names_and_errors():
    assert g2p.espeak_voice("FRA") == "fr-fr" and g2p.espeak_voice("de") == "de"  # a voice name works too
    with pytest.raises(g2p.G2PError, match="no language given"):
        g2p.espeak_voice("  ")
    with pytest.raises(g2p.G2PError, match=r"unknown language 'klingon'.*supported here: .*eng"):
        g2p.espeak_voice("klingon")


def test_words_of_keeps_apostrophes_inside_words():
    assert g2p.words_of("We’ll bring him, Mom's map -- OK?") == ["We'll", "bring", "him", "Mom's", "map", "OK"]
    assert g2p.words_of("'quoted' _under_ 42") == ["quoted", "under", "42"]
    assert g2p.words_of(None) == [] and g2p.words_of("?!") == []


def test_espeak_phones_per_word():
    words = g2p.espeak_phones("mama papa", "es")
    assert words == [["m", "a", "m", "a"], ["p", "a", "p", "a"]]  # stress marks and separators removed


def test_numbers_expand_and_keep_their_word():
    out = g2p.text_to_phones("Tengo 21 gatos", "spa")  # 21 -> "veintiuno": one word, several espeak words
    assert [w for w, _ in out] == ["Tengo", "21", "gatos"]
    assert len(out[1][1]) > 6 and out[1][1][-3:] == ["u", "n", "o"]
    eng = g2p.text_to_phones("I'm here", "eng")
    assert eng[0] == ("I'm", ["aɪ", "m"]) and g2p.text_to_phones("'em", "en")[0][0] == "em"  # outer quotes dropped


def test_library_backend_and_forty_languages():
    from lipsync.errors import LipSyncError

    assert g2p.backend_name() == "library"  # phonemizer + espeakng-loader (requirements.txt)
    langs = g2p.supported_languages()
    assert len(langs) >= 40
    for iso in ("fra", "deu", "rus", "ell", "ara", "hin", "kor", "jpn", "cmn", "heb", "tha", "vie"):
        assert iso in langs
    with pytest.raises(g2p.UnsupportedLanguageError) as e:
        g2p.text_to_phones("hello", "tlh")
    msg = str(e.value)
    assert isinstance(e.value, LipSyncError) and "\n" not in msg and "fra" in msg and "kor" in msg


def test_espeak_ipa_is_cleaned_into_our_phones():
    out = g2p.text_to_phones("吃饭 是", "cmn")  # chī fàn shì: tones dropped, espeak's "ts.h" / "s." / "i." as IPA
    assert out[0][1][:2] == ["ʈʂʰ", "ɨ"] and out[1][1] == ["ʂ", "ɨ"]
    assert g2p.text_to_phones("ばあば", "jpn")[0][1] == ["b", "äː", "b", "ä"]  # a doubled vowel is one long one
    assert g2p.text_to_phones("en hund", "dan")[1][1] == ["h", "u", "n"]  # stød is no mouth shape
    assert g2p.text_to_phones("नमस्ते", "hin")[0][0] == "नमस्ते"  # vowel signs and virama stay in the word


def test_unreadable_characters_get_one_clear_line():
    with pytest.raises(g2p.G2PError, match="cannot read '東京'.*kana"):
        g2p.text_to_phones("東京", "jpn")  # espeak-ng's Japanese voice reads kana only
    # a Latin-script word espeak switches to English for is kept
    assert g2p.text_to_phones("le weekend", "fra")[1][1][0] == "w"


def test_numbers_and_abbreviations_expand_in_other_scripts():
    out = g2p.text_to_phones("Мне 25 лет", "rus")
    assert [w for w, _ in out] == ["Мне", "25", "лет"] and len(out[1][1]) >= 10  # двадцать пять


def test_command_fallback_without_the_library(monkeypatch):
    import shutil

    if shutil.which("espeak-ng") is None:
        pytest.skip("optional: the espeak-ng command (fallback engine) is not installed")
    monkeypatch.setattr(g2p, "_library", lambda: False)
    g2p._espeak_voices.cache_clear()
    try:
        assert g2p.backend_name() == "command"
        assert g2p.text_to_phones("perro", "spa")[0][1] == ["p", "e", "r", "o"]
    finally:
        g2p._espeak_voices.cache_clear()


def test_cmu_dictionary_lookup_keeps_order_and_leaves_out_unknown_symbols(tmp_path, monkeypatch):
    d = tmp_path / "tiny.dict"
    d.write_text("read R EH D\nread(2) R IY D\nread(3) R QQ D\nzap Z AE P\n'cause K AH Z\n", encoding="utf-8")
    monkeypatch.setattr(g2p, "cmudict_path", lambda: str(d))
    g2p._cmu_lines.cache_clear()
    g2p.cmu_pronunciations.cache_clear()
    try:
        assert g2p.cmu_pronunciations("read") == (("ɹ", "ɛ", "d"), ("ɹ", "i", "d"))  # QQ is no phone: left out
        assert g2p.cmu_pronunciations("zap") == (("z", "æ", "p"),)
        assert g2p.cmu_pronunciations("nope") == ()
        assert g2p.text_to_phones("Read zap", "eng") == [("Read", ["ɹ", "ɛ", "d"]), ("zap", ["z", "æ", "p"])]
        from lipsync.phonemes.align import forced

        assert forced._cmu_variants("read") == (("ɹ", "ɛ", "d"), ("ɹ", "i", "d")) and forced._cmu_variants("zap") == ()
    finally:
        g2p._cmu_lines.cache_clear()
        g2p.cmu_pronunciations.cache_clear()


# ---------------------------------------------------------------- espeak's notation, token by token
@pytest.mark.parametrize("voice", ["cmn", "yue", "hak", "th", "vi", "vi-vn-x-central", "vi-vn-x-south", "my", "pa",
                                   "cmn-latn-pinyin"])
def test_tone_letters_of_tonal_languages_are_not_phones(voice):
    # Mandarin, Cantonese, Hakka, Thai, Vietnamese, Burmese, Punjabi: espeak writes tone 3 as ɜ after the vowel
    assert g2p._clean("aɜ", voice) == ["a"] and g2p._clean("iɜ", voice) == ["i"]
    assert g2p._clean("ɜ", voice) == ["ɜ"] and g2p._clean("sɜ", voice) == ["sɜ"]  # a lone ɜ is a vowel


@pytest.mark.parametrize("voice", ["en", "fr", "de", "ta", "vie"])
def test_other_languages_keep_their_open_mid_vowel(voice):
    assert g2p._clean("aɜ", voice) == ["aɜ"]


@pytest.mark.parametrize("tok,want", [
    ("ε", "ɛ"), ("A", "a"), ("s.", "ʂ"), ("z.", "ʐ"), ("ts.", "ʈʂ"), ("ts.h", "ʈʂʰ"), ("i.", "ɨ"), ("I", "ɪ"),
    ("ɐɐ", "ɐː"), ("aa", "aː"), ("ee", "eː"), ("oo", "oː"), ("ii", "iː"), ("uu", "uː"),  # espeak's own spellings
    ("ph", "pʰ"), ("th", "tʰ"), ("kh", "kʰ"), ("ch", "cʰ"), ("qh", "qʰ"), ("tsh", "tsʰ"), ("tɕh", "tɕʰ"),
    ("tʃh", "tʃʰ"), ("ʈʂh", "ʈʂʰ"),  # aspiration written as h
    ("ää", "äː"), ("ʕʕ", "ʕː"),  # a doubled letter: one long segment
    ("ʔa", "a"), ("ʔ", "ʔ"), ("ʔs", "ʔs"),  # Danish stød before a vowel is not a mouth shape
    ("a1", "a"), ("a\u200d", "a"), ("-a", "a"),  # stress digits, joiners, hyphens
])
def test_espeak_tokens_become_our_phones(tok, want):
    assert g2p._clean(tok, "en") == [want]


def test_marks_alone_are_no_phone():
    assert g2p._clean("1", "en") == [] and g2p._clean("-", "en") == [] and g2p._clean("", "en") == []


def test_mandarin_c_and_ch_stay_apart():
    # 擦 cā [tsʰa] (alveolar) and 茶 chá [ʈʂʰa] (retroflex): espeak writes "tsh" and "ts.h"
    assert g2p.text_to_phones("擦", "cmn")[0][1][0] == "tsʰ"
    assert g2p.text_to_phones("茶", "cmn")[0][1][0] == "ʈʂʰ"
