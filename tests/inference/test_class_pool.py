"""Mouth-class pooling in free decoding (inference.runtime.pool_classes, the decode setting class_pool)."""
import json
import os
from dataclasses import replace

import numpy as np
import pytest

from lipsync.inference import config, runtime
from lipsync.phonemes.types import FramePosteriors

LABELS = ["sil", "m", "n", "ŋ", "t", "a"]  # classes: narrow (sil), closed (m), narrow (n ŋ t), open (a)


def test_zero_weight_leaves_the_scores():
    lp = np.log(np.array([[0.1, 0.4, 0.2, 0.2, 0.05, 0.05]], np.float32))
    assert np.array_equal(runtime.pool_classes(lp, LABELS, 0.0), lp)


def test_each_phone_gets_its_class_mass_mixed_in():
    p = np.array([[0.1, 0.4, 0.2, 0.2, 0.05, 0.05]], np.float32)
    out = runtime.pool_classes(np.log(p), LABELS, 0.5)
    narrow = 0.1 + 0.2 + 0.2 + 0.05  # silence rests the mouth with the narrow shapes
    raw = np.array([0.5 * np.log(x) + 0.5 * np.log(c) for x, c in
                    zip(p[0], [narrow, 0.4, narrow, narrow, narrow, 0.05])])
    want = raw - np.log(np.exp(raw).sum())
    assert out[0] == pytest.approx(want, abs=1e-5)
    assert np.exp(out).sum() == pytest.approx(1.0, abs=1e-5)
    assert out[0, 2] > out[0, 4]  # inside a class the order of the phones is kept
    assert out[0, 1] > out[0, 2]  # m 0.4 against n 0.2 of a 0.55 class: at w = 0.5 the phone still wins ...
    strong = runtime.pool_classes(np.log(p), LABELS, 0.9)
    assert strong[0, 2] > strong[0, 1]  # ... at 0.9 the likelier class does
    full = runtime.pool_classes(np.log(p), LABELS, 1.0)
    assert full[0, 2] == pytest.approx(full[0, 3]) == pytest.approx(full[0, 4])  # w = 1: the class alone


def test_very_unlikely_rows_stay_finite():
    lp = np.full((2, len(LABELS)), -200.0, np.float32)
    lp[:, 0] = 0.0
    out = runtime.pool_classes(lp, LABELS, 0.7)
    assert np.isfinite(out).all() and out[:, 0].max() == pytest.approx(0.0, abs=1e-5)


def _post():
    # 8 frames where the model hesitates: m alone 0.40 against n 0.25 + ŋ 0.2 + t 0.1 (narrow 0.55 in all)
    rest = [0.94, 0.02, 0.01, 0.01, 0.01, 0.01]
    mid = [0.05, 0.40, 0.25, 0.20, 0.10, 0.0]
    lp = np.log(np.maximum(np.array([rest] * 5 + [mid] * 8 + [rest] * 5, np.float32), 1e-6))
    return FramePosteriors(LABELS, lp)


def test_decoding_follows_the_likelier_mouth_class():
    post = _post()
    off = runtime.decode_posteriors(post, 0.18, class_pool=0.0, min_frames=2, use_prior=False)
    on = runtime.decode_posteriors(post, 0.18, class_pool=0.7, min_frames=2, use_prior=False)
    assert [p.phone for p in off.phones] == ["sil", "m", "sil"]  # the phone vote: closed lips
    assert [p.phone for p in on.phones] == ["sil", "n", "sil"]  # the class vote: narrow, its likeliest phone


def test_the_setting_comes_from_the_config_and_old_configs_pool_nothing(tmp_path):
    raw = config.read_raw(config.load_config().path)
    raw["decode"] = {**raw["decode"], "class_pool": 0.7, "min_frames": 2}
    (tmp_path / config.CONFIG_NAME).write_text(json.dumps(raw), encoding="utf-8")
    w = str(tmp_path / "visemenet.pt")
    assert config.load_config(w).decode.class_pool == 0.7
    track = runtime.decode_posteriors(_post(), 0.18, weights=w, use_prior=False)
    assert [p.phone for p in track.phones] == ["sil", "n", "sil"]
    del raw["decode"]["class_pool"]
    (tmp_path / config.CONFIG_NAME).write_text(json.dumps(raw), encoding="utf-8")
    os.utime(tmp_path / config.CONFIG_NAME, (1, 1))  # a new mtime: the cached config is re-read
    assert config.load_config(w).decode.class_pool == 0.0
    track = runtime.decode_posteriors(_post(), 0.18, weights=w, use_prior=False)
    assert [p.phone for p in track.phones] == ["sil", "m", "sil"]


def test_pooling_chooses_the_path_but_confidences_come_from_the_unpooled_posteriors():
    from lipsync.phonemes.align import decode, mouth_confidence, mouth_probs
    from lipsync.errors import AlignmentError

    post = _post()
    pooled = runtime.pool_classes(post.log_probs, LABELS, 0.7)
    track = decode(post, min_frames=2, switch_penalty=0.0, path_log_probs=pooled)
    assert [p.phone for p in track.phones] == ["sil", "n", "sil"]
    pv = mouth_probs(np.asarray(post.log_probs), LABELS)
    assert track.phones[1].confidence == pytest.approx(mouth_confidence(pv[5:13], "n"))
    squashed = decode(replace(post, log_probs=pooled), min_frames=2, switch_penalty=0.0)
    assert [p.phone for p in squashed.phones] == ["sil", "n", "sil"]
    assert squashed.phones[1].confidence != pytest.approx(track.phones[1].confidence)
    with pytest.raises(AlignmentError, match="path_log_probs must be"):
        decode(post, path_log_probs=pooled[:3])


def test_a_pooling_weight_outside_0_to_1_in_a_config_is_one_clear_error(tmp_path):
    from lipsync.errors import ModelError

    raw = config.read_raw(config.load_config().path)
    raw["decode"] = {**raw["decode"], "class_pool": 1.5}
    (tmp_path / config.CONFIG_NAME).write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ModelError, match=r"decode.class_pool = 1.5 \(a weight from 0 to 1\).*re-run the tuning"):
        config.load_config(str(tmp_path / "visemenet.pt"))
