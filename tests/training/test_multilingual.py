"""The multilingual training set: texts, jobs, universal phone classes and the grown phone head."""
import numpy as np
import pytest

from lipsync.inference.classes import ENGLISH_CLASSES, PHONE_CLASSES, UNIVERSAL_CLASSES
from lipsync.phonemes import phoneset
from lipsync.training import multilingual as M
from lipsync.training.labels import IGNORE, phone_class

WORDS = ["maison", "rouge", "pomme", "une", "bonjour", "lune", "peur", "fleur"]


def test_the_inventory_keeps_english_first_and_every_class_is_a_known_phone():
    assert PHONE_CLASSES[: len(ENGLISH_CLASSES)] == ENGLISH_CLASSES and len(ENGLISH_CLASSES) == 40
    assert len(set(PHONE_CLASSES)) == len(PHONE_CLASSES) == 40 + len(UNIVERSAL_CLASSES)
    for p in UNIVERSAL_CLASSES:
        assert phoneset.features(p) is not None and phoneset.normalize(p) == p, p
        assert p not in ENGLISH_CLASSES


@pytest.mark.parametrize("phone, cls", [
    ("y", "y"), ("ø", "ø"), ("ʁ", "ʁ"), ("x", "x"), ("ts", "ts"),  # universal classes of their own
    ("aː", "a"), ("eː", "e"), ("t̪", "t"), ("kʰ", "k"), ("ɔ̃", "ɔ"), ("ɛ̃", "ɛ"), ("ʈʰ", "ʈ"),  # marks dropped
    ("ʏ", "y"), ("ɵ", "ø"), ("ʑ", "ɕ"), ("dʑ", "tɕ"), ("ɦ", "h"), ("ai", "aɪ"), ("ɑu", "aʊ"),  # neighbours
    ("ə", "ʌ"), ("əʊ", "oʊ"), ("ɡ", "ɡ"), ("m", "m"),  # English as before
    ("bʱ", "b"), ("d̪ʱ", "d"), ("ɱ", "m"),  # breathy release dropped; the labiodental nasal is a nasal
])
def test_phone_class_of_phones_of_many_languages(phone, cls):
    assert PHONE_CLASSES[phone_class(phone)] == cls


def test_phones_without_a_counterpart_teach_nothing():
    assert phone_class("ʘ") == IGNORE and phone_class("iə") == IGNORE


def test_texts_mix_isolated_words_phrases_and_pauses():
    texts = M.make_texts("fr", 400, seed=3, words=WORDS)
    assert texts == M.make_texts("fr", 400, seed=3, words=WORDS)  # reproducible
    assert texts != M.make_texts("fr", 400, seed=4, words=WORDS)
    n_words = np.array([len(t.replace(",", " ").split()) for t in texts])
    assert n_words.min() == 1 and n_words.max() <= 9
    assert 0.35 < np.mean(n_words == 1) < 0.55  # isolated words, as in citation forms
    assert 0.1 < np.mean(n_words >= 5) < 0.3
    assert any("," in t for t in texts)
    assert all(w in WORDS for t in texts for w in t.replace(",", " ").split())
    zh = M.make_texts("zh", 50, seed=1, words=["你好", "世界", "学生"])
    assert all(" " not in t for t in zh)  # Chinese is written without spaces


def test_text_needs_words():
    with pytest.raises(RuntimeError, match="no words"):
        M.make_texts("fr", 3, words=[])


def test_usable_words_are_letters_of_any_script():
    assert M._usable("maison") and M._usable("привет") and M._usable("नमस्ते") and M._usable("学")
    assert not M._usable("a") and not M._usable("42") and not M._usable("l'eau") and not M._usable("NATO")


def test_jobs_give_each_utterance_a_voice_variant_and_rate():
    jobs = M.multi_jobs(["fr", "zh"], per_lang=30, seed=5, words_for=lambda lang: ["你好", "世界"] if lang == "zh"
                        else WORDS)
    assert len(jobs) == 60 and all(kind == "synth" for kind, _ in jobs)
    voices = [item[1] for _, item in jobs]
    assert all(v.startswith(("espeak:fr", "espeak:cmn")) for v in voices)
    rates = [int(v.rsplit("@", 1)[1]) for v in voices]
    assert all(M.RATE_RANGE[0] <= r <= M.RATE_RANGE[1] for r in rates) and len(set(rates)) > 10
    assert len({v.split("@")[0] for v in voices}) > 10  # many variants
    assert len({item[2] for _, item in jobs}) == 60  # ids unique
    with pytest.raises(ValueError, match="no espeak-ng voice"):
        M.multi_jobs(["xx"], per_lang=1, words_for=lambda lang: WORDS)


def test_held_out_languages_are_never_trained_and_the_check_set_languages_stay_out():
    assert not set(M.HELD_OUT) & set(M.TRAIN_LANGS)
    assert set(M.HELD_OUT) | set(M.TRAIN_LANGS) == set(M.ESPEAK_VOICE)
    voices = {M.ESPEAK_VOICE[lang] for lang in M.TRAIN_LANGS}
    assert not voices & {"gd", "haw", "ml"}  # voxangeles_dev languages espeak-ng speaks


def test_extra_languages_are_new_and_never_a_check_set_or_held_out_language():
    assert len(M.EXTRA_LANGS) == len(set(M.EXTRA_LANGS)) >= 30
    assert not set(M.EXTRA_LANGS) & (set(M.LANGS) | set(M.HELD_OUT))
    voices = set(M.EXTRA_VOICE.values())
    assert not voices & {"gd", "haw", "ml"} and M.EXTRA_VOICE["yue"] == "yue" and M.EXTRA_VOICE["ka"] == "ka"
    jobs = M.extra_jobs(per_lang=4, seed=2, langs=("ka", "sw"), words_for=lambda lang: WORDS)
    assert [item[2] for _, item in jobs][:5] == ["extra_ka_00000", "extra_ka_00001", "extra_ka_00002",
                                                  "extra_ka_00003", "extra_sw_00000"]
    assert all(item[1].startswith(("espeak:ka", "espeak:sw")) for _, item in jobs)
    with pytest.raises(ValueError, match="held-out"):
        M.extra_jobs(per_lang=1, langs=("ka", "hu"), words_for=lambda lang: WORDS)


def test_cldr_words_are_in_the_locales_own_script():
    pytest.importorskip("babel", reason="optional: babel is a training extra (tools/setup_train.sh)")
    ka = M.cldr_words("ka", 300)
    assert len(ka) == 300 and len(set(ka)) == 300 and all(M._script(w) == "GEORGIAN" for w in ka)
    yue = M.cldr_words("yue")
    assert len(yue) > 500 and {M._script(w) for w in yue} == {"CJK"}  # Latin acronyms left out
    sw = M.cldr_words("sw")
    assert "kiswahili" in sw and all(w == w.lower() for w in sw)


def test_festival_jobs_give_each_voice_its_language_and_refuse_held_out_ones():
    voices = {"festival:lp": "it", "festival:nsh": "ru"}
    jobs = M.festival_jobs(voices, per_voice=20, seed=3, words_for=lambda lang: WORDS)
    assert len(jobs) == 40 and {item[1] for _, item in jobs} == set(voices)
    assert len({item[2] for _, item in jobs}) == 40 and jobs[0][1][2].startswith("fest_lp_")
    assert jobs == M.festival_jobs(voices, per_voice=20, seed=3, words_for=lambda lang: WORDS)  # reproducible
    with pytest.raises(ValueError, match="held-out"):
        M.festival_jobs({"festival:x": "hu"}, per_voice=1, words_for=lambda lang: WORDS)


def test_word_list_from_wordfreq():
    pytest.importorskip("wordfreq", reason="optional: wordfreq is a training extra (tools/setup_train.sh)")
    words = M.word_list("fr", 500)
    assert len(words) == 500 and "maison" in words and all(M._usable(w) for w in words)


def test_espeak_speaks_french_with_its_own_vowels_and_a_given_rate():
    from lipsync.training.synth import espeak

    espeak.use_bundled(True)
    try:
        slow, segs = espeak.synthesize("une pomme rouge", "fr@120")
        fast, _ = espeak.synthesize("une pomme rouge", "fr@220")
    finally:
        espeak.use_bundled(False)
    assert len(fast) < 0.8 * len(slow)
    classes = {PHONE_CLASSES[phone_class(p)] for _s, _e, p in segs if phone_class(p) != IGNORE}
    assert {"y", "ʁ", "m", "p"} <= classes


def test_heldout_speech_speaks_each_held_out_language_with_exact_phones():
    pytest.importorskip("wordfreq", reason="optional: wordfreq is a training extra (tools/setup_train.sh)")
    from lipsync.training.synth import espeak

    got = list(M.heldout_speech(1, langs=("hu", "he")))
    assert [lang for lang, _a, _r in got] == ["hu", "he"]
    for _lang, audio, ref in got:
        assert audio.sample_rate == 16000 and audio.duration > 0.2
        assert ref and all(s < e for s, e, _p in ref) and ref[-1][1] <= audio.duration + 0.05
    assert not espeak._state.get("bundled", False)  # the system engine is back for whoever synthesises next
    again = list(M.heldout_speech(1, langs=("hu",)))
    assert [p for _s, _e, p in again[0][2]] == [p for _s, _e, p in got[0][2]]  # the same draw every time


def test_grown_head_keeps_the_old_outputs():
    torch = pytest.importorskip("torch")
    from lipsync.inference.model import VisemeNet
    from lipsync.training.train import grow_phone_head

    torch.manual_seed(0)
    old = list(ENGLISH_CLASSES)
    m0 = VisemeNet(hidden=16, channels=16, n_phones=len(old)).eval()
    state, config = grow_phone_head(m0.state_dict(), m0.config, old, PHONE_CLASSES)
    m1 = VisemeNet(**config).eval()
    m1.load_state_dict(state)
    x = torch.randn(1, 30, 80)
    with torch.no_grad():
        p0, v0, c0 = m0(x)
        p1, v1, c1 = m1(x)
    assert p1.shape[-1] == len(PHONE_CLASSES)
    assert torch.allclose(v0, v1) and torch.allclose(c0, c1) and torch.allclose(p0, p1[..., : len(old)])
    # each new class starts as a copy of one old class, one unit of log-odds lower: a vowel for y, a consonant
    # for ts
    src = {}
    for k in range(len(old), len(PHONE_CLASSES)):
        same = [j for j in range(len(old)) if torch.allclose(p1[..., k], p1[..., j] - 1.0, atol=1e-5)]
        assert same, PHONE_CLASSES[k]
        src[PHONE_CLASSES[k]] = old[same[0]]
    assert phoneset.features(src["y"]).kind == "vowel" and phoneset.features(src["ts"]).kind == "consonant"
    assert src["ʁ"] != "sil"
    with pytest.raises(ValueError, match="start with the old ones"):
        grow_phone_head(m0.state_dict(), m0.config, old[::-1], PHONE_CLASSES)


def test_two_letter_language_codes_read_like_three_letter_ones():
    from lipsync.phonemes import g2p

    assert g2p.text_to_phones("une pomme rouge", "fr") == g2p.text_to_phones("une pomme rouge", "fra")
    assert g2p.espeak_voice("zh") == g2p.espeak_voice("cmn") and g2p.espeak_voice("pt") == g2p.espeak_voice("por")
    with pytest.raises(g2p.UnsupportedLanguageError, match="639-3 \\(or 639-1\\)"):
        g2p.espeak_voice("xq")
