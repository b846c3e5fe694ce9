"""Phone priors of free decoding in other languages (inference.runtime.prior_bias, training.priors)."""
import numpy as np
import pytest

from lipsync.inference import config, runtime
from lipsync.inference.classes import PHONE_CLASSES
from lipsync.phonemes.types import FramePosteriors
from lipsync.training import priors as P

# English heard "ɝ" often, the language almost never; "a" the other way round
PRIORS = config.PhonePriors(train={"sil": 0.3, "a": 0.02, "ɝ": 0.02, "m": 0.03},
                            universal={"sil": 0.3, "a": 0.08, "ɝ": 0.0, "m": 0.03},
                            languages={"fr": {"sil": 0.3, "a": 0.06, "ɝ": 0.0, "m": 0.04}}, scale=1.0, floor=1e-3)


@pytest.mark.parametrize("code, key", [
    ("eng", None), ("en", None), ("en-us", None), ("EN_GB", None),  # English keeps the training prior
    ("fr", "fr"), ("fra", "fr"), ("fr-fr", "fr"),  # a language with a prior of its own, however written
    ("und", "universal"), ("", "universal"), (None, "universal"), ("hun", "universal"), ("xq", "universal"),
])
def test_which_prior_a_language_gets(code, key):
    assert runtime.prior_language(code, PRIORS.languages) == key


def test_aliases_reach_the_training_languages():
    langs = {"zh": {}, "sh": {}, "nb": {}}
    assert runtime.prior_language("cmn", langs) == "zh" and runtime.prior_language("srp", langs) == "sh"
    assert runtime.prior_language("hrv", langs) == "sh" and runtime.prior_language("nob", langs) == "nb"


def test_a_language_with_its_own_prior_gets_its_own_scale():
    labels = ["sil", "a", "ɝ"]
    two = config.PhonePriors(**{**PRIORS.__dict__, "scale": 2.0, "language_scale": 0.5})
    assert runtime.prior_bias(labels, "und", priors=two)[1] == pytest.approx(2.0 * np.log(0.081 / 0.021))
    assert runtime.prior_bias(labels, "fr", priors=two)[1] == pytest.approx(0.5 * np.log(0.061 / 0.021))
    off = config.PhonePriors(**{**PRIORS.__dict__, "language_scale": 0.0})
    assert runtime.prior_bias(labels, "fr", priors=off) is None and runtime.prior_bias(labels, "und", priors=off) is not None


def test_bias_is_the_scaled_log_ratio_and_leaves_silence():
    labels = ["sil", "a", "ɝ", "m", "q"]
    b = runtime.prior_bias(labels, "und", priors=PRIORS)
    assert b[0] == 0.0 and b[4] == 0.0  # silence, and a class the priors do not list
    assert b[1] == pytest.approx(np.log(0.081 / 0.021)) and b[2] == pytest.approx(np.log(0.001 / 0.021))
    assert b[3] == pytest.approx(0.0, abs=1e-6)
    half = runtime.prior_bias(labels, "fra", priors=config.PhonePriors(**{**PRIORS.__dict__, "scale": 0.5}))
    assert half[1] == pytest.approx(0.5 * np.log(0.061 / 0.021))
    assert runtime.prior_bias(labels, "eng", priors=PRIORS) is None
    assert runtime.prior_bias(labels, "und", priors=config.PhonePriors(**{**PRIORS.__dict__, "scale": 0.0})) is None


def test_another_language_decodes_its_own_vowel_where_english_heard_its_own():
    labels = ["sil", "a", "ɝ"]
    lp = np.log(np.array([[0.9, 0.05, 0.05]] * 5 + [[0.02, 0.43, 0.55]] * 12 + [[0.9, 0.05, 0.05]] * 5,
                         np.float32))
    post = FramePosteriors(labels, lp)
    eng = runtime.decode_posteriors(post, 0.22, language="eng", priors=PRIORS)
    und = runtime.decode_posteriors(post, 0.22, language="und", priors=PRIORS)
    off = runtime.decode_posteriors(post, 0.22, language="und", priors=PRIORS, use_prior=False)
    assert [p.phone for p in eng.phones] == ["sil", "ɝ", "sil"] == [p.phone for p in off.phones]
    assert [p.phone for p in und.phones] == ["sil", "a", "sil"]


def test_shipped_release_has_priors_for_its_training_languages():
    pr = config.load_config().priors
    assert pr is not None and 0 < pr.scale <= 4 and 0 < pr.language_scale <= 4 and pr.floor > 0
    assert {"fr", "de", "es", "ru", "hi", "ar", "zh", "it", "cs"} <= set(pr.languages)
    assert {"ka", "hy", "pa", "mr", "sw", "yue", "am"} <= set(pr.languages)  # the extra languages (CLDR words)
    assert not {"gd", "ml"} & set(pr.languages)  # voxangeles_dev languages
    assert not {"hu", "lv", "ta", "he"} & set(pr.languages)  # held out: they get the universal prior
    for shares in [pr.train, pr.universal] + list(pr.languages.values()):
        assert set(shares) == set(PHONE_CLASSES) and sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert pr.universal["ɝ"] < 0.2 * pr.train["ɝ"] and pr.universal["a"] > 2 * pr.train["a"]


def _cache(path, phones, ids):
    starts = np.cumsum([0] + [len(p) for p in phones[:-1]])
    np.savez(path, phone=np.concatenate(phones).astype(np.int64), starts=starts, ids=np.array(ids))


def test_priors_from_the_training_caches(tmp_path):
    a, r, m = PHONE_CLASSES.index("a"), PHONE_CLASSES.index("ɝ"), PHONE_CLASSES.index("m")
    _cache(tmp_path / "cathy_train.npz", [np.array([0, r, r, m, -100])], ["c1"])
    _cache(tmp_path / "synth_multi_200.npz", [np.array([0, a, a, a]), np.array([m, m])],
           ["multi_fr_00000", "multi_de_00000"])
    _cache(tmp_path / "synth_fest_200.npz", [np.array([a, m])], ["fest_lp_00000"])
    pr = P.compute(str(tmp_path), {"cathy": 0.5, "synth_multi": 0.25, "synth_fest": 0.25}, targets=())
    assert set(pr["languages"]) == {"fr", "de", "it"}
    assert pr["languages"]["fr"]["a"] == pytest.approx(0.75) and pr["languages"]["it"]["m"] == pytest.approx(0.5)
    assert pr["train"]["ɝ"] == pytest.approx(0.5 * 0.5)  # IGNORE frames are not counted
    # universal: the mean of fr, de, it and English
    assert pr["universal"]["ɝ"] == pytest.approx(0.5 / 4)
    with pytest.raises(ValueError, match="no multilingual source"):
        P.compute(str(tmp_path), {"cathy": 1.0}, targets=())
    with pytest.raises(FileNotFoundError, match="training caches"):
        P.compute(str(tmp_path), {"synth_more": 1.0}, targets=())
    with pytest.raises(FileNotFoundError, match="training caches"):  # the default target, synth_extra, is missing
        P.compute(str(tmp_path), {"cathy": 0.5, "synth_multi": 0.5})
    # a target cache gives its languages priors and joins the universal mean, but not the training shares
    _cache(tmp_path / "synth_extra_150.npz", [np.array([r, r]), np.array([a, 0])], ["extra_ka_00000", "extra_sw_00000"])
    both = P.compute(str(tmp_path), {"cathy": 0.5, "synth_multi": 0.25, "synth_fest": 0.25})
    assert set(both["languages"]) == {"fr", "de", "it", "ka", "sw"}
    assert both["train"] == pr["train"]
    assert both["languages"]["ka"]["ɝ"] == pytest.approx(1.0) and both["languages"]["sw"]["a"] == pytest.approx(0.5)
    assert both["universal"]["ɝ"] == pytest.approx((0.5 + 1.0) / 6)


def test_language_of_training_ids():
    assert P.language_of("multi_fr_00012") == "fr" and P.language_of("fest_nsh_00001") == "ru"
    assert P.language_of("extra_ka_00003") == "ka"
    assert P.language_of("c1") is None and P.language_of("fest_nobody_1") is None
