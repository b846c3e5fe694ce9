"""A model release's tuned values live in weights/model_config.json, beside the weights, and are read at load."""
import json
import os

import numpy as np
import pytest

from lipsync.errors import ModelError
from lipsync.inference import config, runtime
from lipsync.phonemes.types import FramePosteriors, PhoneTrack, TimedPhone, TimedWord


def _release(tmp_path, **sections):
    """A weights folder with a config made from the shipped one, some sections replaced."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    weights = tmp_path / "visemenet.pt"
    weights.write_bytes(b"")
    for name, values in sections.items():
        config.write_section(name, values, str(weights))
    return str(weights)


def test_shipped_config_is_complete():
    cfg = config.load_config()
    assert cfg.path == os.path.join(config.WEIGHTS_DIR, config.CONFIG_NAME)
    assert cfg.decode.min_frames >= 1 and cfg.decode.switch_penalty >= 0
    assert 0 < cfg.fusion.weight < 1 and 0 < cfg.fusion.max_gap < 0.5
    for mode in ("free", "forced"):
        v = np.asarray(cfg.calibration.curves[mode])
        assert len(v) == len(cfg.calibration.knots)
        assert np.all(np.diff(v) >= -1e-12) and v.min() >= 0 and v.max() <= 1


def test_calibration_maps_raw_to_measured(tmp_path):
    weights = _release(tmp_path, calibration={"knots": [0.0, 0.5, 1.0], "free": {"values": [0.1, 0.3, 0.9]},
                                              "forced": {"values": [0.7, 0.8, 0.99]}})
    track = PhoneTrack([TimedPhone(0, 1, "m", 0.25), TimedPhone(1, 2, "a", 1.0)], 2.0, words=[TimedWord(0, 2, "ma")])
    runtime.calibrate_confidences(track, "free", weights)
    assert [round(p.confidence, 3) for p in track.phones] == [0.2, 0.9]  # 0.1 + (0.3 - 0.1) * 0.5, and the top knot
    assert track.words[0].confidence == track.phones[0].confidence
    forced = PhoneTrack([TimedPhone(0, 1, "m", 0.75)], 1.0)
    runtime.calibrate_confidences(forced, "forced", weights)
    assert forced.phones[0].confidence == pytest.approx(0.895)  # halfway between 0.8 and 0.99


def test_a_release_without_a_calibration_keeps_raw_confidences(tmp_path):
    weights = _release(tmp_path, calibration={})
    track = PhoneTrack([TimedPhone(0, 1, "m", 0.25)], 1.0)
    runtime.calibrate_confidences(track, "free", weights)
    assert track.phones[0].confidence == 0.25


def test_decode_settings_come_from_the_release(tmp_path):
    """Changing the config changes decoding, with no code edit: a long minimum phone drops the short phone."""
    labels = ["sil", "m", "a"]
    frames = [0] * 10 + [1] * 3 + [2] * 20 + [0] * 10  # a 30 ms /m/
    lp = np.full((len(frames), 3), np.log(0.02), np.float32)
    lp[np.arange(len(frames)), frames] = np.log(0.96)
    post = FramePosteriors(labels, lp)
    short = _release(tmp_path / "a", decode={"min_frames": 2, "switch_penalty": 0.0, "viseme_weight": 0.0,
                                             "closure_bias": 0.0})
    long = _release(tmp_path / "b", decode={"min_frames": 6, "switch_penalty": 0.0, "viseme_weight": 0.0,
                                            "closure_bias": 0.0})
    assert "m" in [p.phone for p in runtime.decode_posteriors(post, weights=short).phones]
    assert "m" not in [p.phone for p in runtime.decode_posteriors(post, weights=long).phones]
    # explicit settings (the tuning script's grid) win over the config
    assert "m" in [p.phone for p in runtime.decode_posteriors(post, weights=long, min_frames=2).phones]


def test_fusion_settings_come_from_the_release(tmp_path):
    from lipsync.phonemes.recognizers.fused import FusedRecognizer
    from lipsync.phonemes.recognizers.model import ModelRecognizer

    weights = _release(tmp_path, fusion={"weight": 0.25, "offset": 0.002, "max_gap": 0.04})
    f = FusedRecognizer(ModelRecognizer(weights=weights), pocketsphinx=None)
    assert (f.weight, f.offset, f.max_gap) == (0.25, 0.002, 0.04)
    shipped = config.load_config().fusion
    g = FusedRecognizer(ModelRecognizer(), pocketsphinx=None)
    assert (g.weight, g.offset, g.max_gap) == (shipped.weight, shipped.offset, shipped.max_gap)


def test_weights_elsewhere_without_a_config_use_the_shipped_one(tmp_path):
    assert config.config_path(str(tmp_path / "w.pt")) == os.path.join(config.WEIGHTS_DIR, config.CONFIG_NAME)


def test_a_broken_config_says_what_to_do(tmp_path):
    weights = tmp_path / "visemenet.pt"
    (tmp_path / config.CONFIG_NAME).write_text("{not json")
    with pytest.raises(ModelError, match="Reinstall"):
        config.load_config(str(weights))
    (tmp_path / config.CONFIG_NAME).write_text(json.dumps({"format": config.FORMAT, "decode": {}}))
    with pytest.raises(ModelError, match="lacks"):
        config.load_config(str(weights))
    ok, why = runtime.weights_status(str(weights))
    assert not ok


def test_default_weights_are_the_shipped_file_the_config_names():
    assert config.DEFAULT_WEIGHTS == os.path.join(config.WEIGHTS_DIR, "visemenet.pt")
    assert os.path.isfile(config.DEFAULT_WEIGHTS)
    assert config.read_raw(config.config_path())["weights"] == "visemenet.pt"
    assert config.config_path() == os.path.join(os.path.dirname(config.__file__), "weights", "model_config.json")


def test_loaded_settings_cannot_be_changed_in_place():
    """load_config hands every caller the same cached object: none of its parts may be edited by one of them."""
    import dataclasses

    cfg = config.load_config()
    for obj, name in ((cfg, "path"), (cfg.decode, "min_frames"), (cfg.fusion, "weight"), (cfg.calibration, "knots")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, None)


def test_config_is_cached_until_the_file_changes(tmp_path):
    weights = _release(tmp_path, fusion={"weight": 0.25, "offset": 0.0, "max_gap": 0.04})
    path = str(tmp_path / config.CONFIG_NAME)
    os.utime(path, (1_000_000, 1_000_000))
    first = config.load_config(weights)
    assert first.fusion.weight == 0.25 and first.path == path
    assert config.load_config(weights) is first  # unchanged file: the cached object
    config.write_section("fusion", {"weight": 0.75, "offset": 0.0, "max_gap": 0.04}, weights)
    os.utime(path, (2_000_000, 2_000_000))
    second = config.load_config(weights)
    assert second.fusion.weight == 0.75 and second is not first
    assert config.load_config(weights) is second


def test_each_unreadable_config_says_what_is_wrong_and_what_to_do(tmp_path, monkeypatch):
    weights = str(tmp_path / "visemenet.pt")
    path = str(tmp_path / config.CONFIG_NAME)
    with open(path, "w") as f:
        f.write("{not json")
    with pytest.raises(ModelError) as e:
        config.load_config(weights)
    assert str(e.value).startswith(f"Could not read the model config {path} (")
    assert str(e.value).endswith("). Reinstall the extension.")
    for raw in ({"format": "other"}, ["lipsync-model-config-1"], {}):
        with open(path, "w") as f:
            json.dump(raw, f)
        with pytest.raises(ModelError) as e:
            config.read_raw(path)
        assert str(e.value) == f"{path} is not a Lip Sync model config (format lipsync-model-config-1)."
    with open(path, "w") as f:
        json.dump({"format": config.FORMAT, "decode": {"min_frames": 2}, "fusion": {}}, f)
    with pytest.raises(ModelError) as e:
        config.load_config(weights)
    assert str(e.value) == (f"The model config {path} lacks 'switch_penalty' or has a wrong value there. Reinstall "
                            "the extension, or re-run the tuning scripts for these weights.")
    # no config beside the weights and none shipped
    monkeypatch.setattr(config, "WEIGHTS_DIR", str(tmp_path / "gone"))
    elsewhere = str(tmp_path / "other" / "w.pt")
    with pytest.raises(ModelError) as e:
        config.load_config(elsewhere)
    missing = os.path.join(str(tmp_path / "gone"), config.CONFIG_NAME)
    assert str(e.value) == (f"The model config {missing} is missing. Reinstall the extension (it ships with the "
                            "weights).")
