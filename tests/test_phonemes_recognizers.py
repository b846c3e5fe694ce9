"""pocketsphinx recogniser, recogniser registry, g2p, phone-set conversion, visemes across languages."""
import dataclasses
import os

import numpy as np
import pytest

from lipsync.phonemes import g2p
from lipsync.phonemes.audio import load_audio
from lipsync.phonemes.metrics import boundary_errors
from lipsync.phonemes.phoneset import arpabet_to_ipa, ipa_to_arpabet, to_ipa, xsampa_to_ipa
from lipsync.phonemes.recognizers import RecognizerError, available_recognizers, get_recognizer
from lipsync.phonemes.types import SIL, Audio
from lipsync.phonemes.visemes import viseme_for_phone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIALOGUE = os.path.join(ROOT, "sample_scenes", "dialogue.wav")


def _ref_rows():
    rows = []
    with open(os.path.join(ROOT, "sample_scenes", "dialogue.phones.tsv"), encoding="utf-8") as f:
        for line in f:
            s, e, p = line.rstrip("\n").split("\t")
            rows.append((float(s), float(e), p))
    return rows


@pytest.fixture(scope="module")
def ps():
    return get_recognizer("pocketsphinx")


@pytest.fixture(scope="module")
def dialogue():
    return load_audio(DIALOGUE)


def _contiguous(track):
    assert track.phones[0].start == 0.0
    assert track.phones[-1].end == pytest.approx(track.duration)
    for a, b in zip(track.phones, track.phones[1:]):
        assert a.end == pytest.approx(b.start) and a.end > a.start


def test_pocketsphinx_alignment_with_transcript(ps, dialogue):
    text = open(os.path.join(ROOT, "sample_scenes", "dialogue.txt")).read()
    tr = ps.recognize(dialogue, text)
    _contiguous(tr)
    assert not tr.warnings
    assert [w.text for w in tr.words][:3] == ["mom", "maybe", "bring"]
    err = boundary_errors(_ref_rows(), [(p.start, p.end, p.phone) for p in tr.phones])
    assert np.median(err) < 0.03 and np.mean(err <= 0.05) > 0.8
    assert np.mean([p.confidence for p in tr.phones if p.phone != SIL]) > 0.5


def test_pocketsphinx_phone_recognition(ps, dialogue):
    tr = ps.recognize(dialogue)
    _contiguous(tr)
    speech = [p for p in tr.phones if p.phone != SIL]
    assert len(speech) > 60
    # the dialogue has many m/b/p: most should be recognised as bilabial (closed mouth)
    ref_bilabial = [(s, e) for s, e, p in _ref_rows() if p in ("m", "b", "p")]
    hits = sum(any(viseme_for_phone(p.phone) == "A" and p.start < e and p.end > s for p in speech)
               for s, e in ref_bilabial)
    assert hits / len(ref_bilabial) > 0.6


def test_pocketsphinx_mismatched_transcript_is_reported(ps, dialogue):
    tr = ps.recognize(dialogue, "the quick brown fox jumps over the lazy dog near the river bank today")
    _contiguous(tr)
    assert tr.warnings and "transcript" in tr.warnings[0]
    assert tr.review_spans()


def test_pocketsphinx_words_not_said_are_named(ps, dialogue):
    text = open(os.path.join(ROOT, "sample_scenes", "dialogue.txt")).read()
    tr = ps.recognize(dialogue, text.replace("big blue map", "big blue zorblaxian map"))
    _contiguous(tr)
    assert tr.warnings and "not heard: zorblaxian" in tr.warnings[0]
    words = [w.text for w in tr.words]
    assert "zorblaxian" not in words and "map" in words and len(words) == 25
    err = boundary_errors(_ref_rows(), [(p.start, p.end, p.phone) for p in tr.phones])
    assert np.median(err) < 0.03


def test_pocketsphinx_silence_and_language(ps):
    silent = Audio(np.zeros(16000, np.float32), 16000, "silence")
    tr = ps.recognize(silent)
    assert [p.phone for p in tr.phones] == [SIL] and tr.duration == pytest.approx(1.0)
    with pytest.raises(RecognizerError, match="only has an English model"):
        ps.recognize(silent, language="fra")


def test_registry():
    av = available_recognizers()
    assert set(av) == {"auto", "model", "pocketsphinx", "allosaurus", "fused"}
    assert av["pocketsphinx"].startswith("ready")
    assert av["auto"].startswith("ready")
    with pytest.raises(RecognizerError, match="unknown recogniser 'nope'"):
        get_recognizer("nope")
    both = av["model"].startswith("ready") and av["pocketsphinx"].startswith("ready")
    assert av["fused"].startswith("ready") == both
    assert get_recognizer("auto").name == ("fused" if both else "model" if av["model"].startswith("ready")
                                           else "pocketsphinx")


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


def test_fused_recognizer(dialogue):
    av = available_recognizers()
    if not av["fused"].startswith("ready"):
        pytest.skip(av["fused"])
    from lipsync.phonemes.recognizers import FusedRecognizer

    fused = get_recognizer("fused")
    assert isinstance(fused, FusedRecognizer) and fused.name == "fused"
    text = open(os.path.join(ROOT, "sample_scenes", "dialogue.txt")).read()
    post = fused.posteriors(dialogue)  # the pipeline's path: posteriors, then decoding
    tr = fused.recognize_posteriors(post, text, duration=dialogue.duration)
    _contiguous(tr)
    assert tr.recognizer == "fused" and [w.text.lower() for w in tr.words][:3] == ["mom", "maybe", "bring"]
    model_tr = fused.model.recognize_posteriors(post, text, duration=dialogue.duration)
    ps_tr = fused.pocketsphinx.recognize(dialogue, text)
    assert [p.phone for p in tr.phones] == [p.phone for p in model_tr.phones]  # phones are the model's
    # most boundaries were fused with pocketsphinx's (the two agree on this clean clip)
    moved = [(a.end, b.end) for a, b in zip(tr.phones[:-1], model_tr.phones[:-1]) if abs(a.end - b.end) > 1e-9]
    assert len(moved) > len(tr.phones) // 2
    ref = _ref_rows()
    err = boundary_errors(ref, [(p.start, p.end, p.phone) for p in tr.phones])
    assert np.median(err) < 0.03 and np.mean(err <= 0.05) > 0.8
    assert all(0.0 <= p.confidence <= 1.0 for p in tr.phones)
    assert not any(p.confidence > q.confidence + 1e-9 for p, q in zip(tr.phones, model_tr.phones))
    # without a transcript: the model alone
    free = fused.recognize_posteriors(post, None, duration=dialogue.duration)
    assert [p.phone for p in free.phones] == [p.phone for p in fused.model.recognize_posteriors(
        post, None, duration=dialogue.duration).phones]
    # posteriors whose audio is unknown: the model's alignment, with a warning that says so
    other = dataclasses.replace(post)  # same values, but not the object posteriors() returned
    tr2 = fused.recognize_posteriors(other, text, duration=dialogue.duration)
    assert any("pocketsphinx was not run" in w for w in tr2.warnings)
    assert [p.end for p in tr2.phones] == pytest.approx([p.end for p in model_tr.phones])
    assert ps_tr.words  # pocketsphinx did align this clip
