"""The model at run time, on a tiny network saved the way training saves one (fast: no shipped weights needed)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lipsync.errors import ModelError  # noqa: E402
from lipsync.inference import runtime  # noqa: E402
from lipsync.inference.classes import PHONE_CLASSES  # noqa: E402
from lipsync.inference.model import VisemeNet  # noqa: E402
from lipsync.phonemes.types import FRAME_HOP, Audio, FramePosteriors  # noqa: E402
from lipsync.phonemes.visemes import CONTROLS, VISEMES  # noqa: E402


def test_load_model_reads_and_caches(tiny):
    model, info = runtime.load_model(tiny, "cpu")
    assert runtime.load_model(tiny, "cpu")[0] is model
    assert info["phone_classes"] == list(PHONE_CLASSES) and info["device"] == "cpu" and info["path"] == tiny
    assert info["meta"] == {"step": 1} and info["load_seconds"] >= 0 and not model.training


def test_bad_weight_files_say_what_to_do(tmp_path):
    with pytest.raises(ModelError, match="Model weights not found: .*Reinstall the extension"):
        runtime.load_model(str(tmp_path / "none.pt"), "cpu")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not torch")
    with pytest.raises(ModelError, match="Could not read the model weights .*Reinstall the extension") as e:
        runtime.load_model(str(junk), "cpu")
    assert "\n" not in str(e.value)  # one line for the panel, not torch's whole explanation
    other = tmp_path / "other.pt"
    torch.save({"format": "something-else"}, other)
    with pytest.raises(ModelError, match="is not a Lip Sync model file"):
        runtime.load_model(str(other), "cpu")
    net = VisemeNet(hidden=8, channels=8)
    old = tmp_path / "old.pt"
    torch.save({"format": "lipsync-visemenet-1", "config": net.config, "state": net.state_dict(),
                "phone_classes": list(PHONE_CLASSES), "visemes": list(VISEMES)[:-1] + ["Z"],
                "controls": list(CONTROLS)}, old)
    with pytest.raises(ModelError, match="trained for other visemes/controls"):
        runtime.load_model(str(old), "cpu")


def test_run_network_shapes_and_chunks(tiny):
    model, _ = runtime.load_model(tiny, "cpu")
    rng = np.random.default_rng(1)
    f = rng.normal(size=(250, 80)).astype(np.float32)
    p, v, c = runtime.run_network(model, f)
    assert p.shape == (250, len(PHONE_CLASSES)) and v.shape == (250, len(VISEMES)) and c.shape == (250, len(CONTROLS))
    assert np.allclose(np.exp(p).sum(1), 1, atol=1e-4) and np.allclose(np.exp(v).sum(1), 1, atol=1e-4)
    assert c.min() >= 0 and c.max() <= 1
    # chunks of 60 with 40 frames of context each side: far from the edges every frame sees its whole window
    pc, vc, cc = runtime.run_network(model, f, chunk=60, context=40, batch=3)
    with torch.inference_mode():
        lo, hi = 60 - 40, 120 + 40
        _, vv, _ = model(torch.from_numpy(f[lo:hi])[None])
        want = torch.log_softmax(vv[0, 40:100], -1).numpy()
    assert np.allclose(vc[60:120], want, atol=1e-5)
    e = runtime.run_network(model, np.zeros((0, 80), np.float32))
    assert [x.shape for x in e] == [(0, len(PHONE_CLASSES)), (0, len(VISEMES)), (0, len(CONTROLS))]


def test_posteriors_from_audio(tiny):
    x = (np.random.default_rng(2).normal(size=16000) * 0.1).astype(np.float32)
    timing = {}
    post = runtime.posteriors(Audio(x, 16000, "a.wav"), tiny, "cpu", timing=timing)
    assert isinstance(post, FramePosteriors) and post.n_frames == 100 and post.hop == FRAME_HOP
    assert post.labels == list(PHONE_CLASSES) and post.control_names == CONTROLS and post.source == "a.wav"
    assert post.viseme_log_probs.shape == (100, len(VISEMES)) and set(timing) == {"features_s", "network_s", "load_s"}
    # any sample rate: resampled to 16 kHz first
    from lipsync.phonemes.audio import resample

    x48 = resample(x, 16000, 48000)
    assert np.allclose(runtime.features(Audio(x48, 48000)), runtime.features(Audio(resample(x48, 48000, 16000), 16000)))
    with pytest.raises(TypeError, match="takes a phonemes.types.Audio"):
        runtime.features(x)


def test_fuse_visemes():
    labels = ["sil", "m", "a"]  # visemes X, A, D
    lp = np.log(np.array([[0.2, 0.3, 0.5]], np.float32))
    vlp = np.full((1, len(VISEMES)), np.log(1e-3), np.float32)
    vlp[0, VISEMES.index("A")] = np.log(0.99)
    post = FramePosteriors(labels, lp, viseme_log_probs=vlp)
    same = runtime.fuse_visemes(post, 0.0)
    assert np.allclose(same, lp, atol=1e-6)  # no fusion: the phone scores (renormalised)
    fused = runtime.fuse_visemes(post, 0.5)
    assert fused[0].argmax() == 1 and np.exp(fused).sum() == pytest.approx(1.0, abs=1e-5)  # the viseme head wins m
    biased = runtime.fuse_visemes(FramePosteriors(labels, lp), 0.0, closure_bias=2.0)
    assert biased[0, 1] - biased[0, 0] == pytest.approx(lp[0, 1] - lp[0, 0] + 2.0, abs=1e-5)
    assert np.allclose(runtime.fuse_visemes(FramePosteriors(labels, lp), 1.0), lp, atol=1e-6)  # no viseme head


def test_decode_posteriors_and_calibration(tiny, tmp_path):
    from lipsync.inference import config

    w = tmp_path / "visemenet.pt"
    w.write_bytes(open(tiny, "rb").read())
    config.write_section("decode", {"min_frames": 1, "switch_penalty": 0.0, "viseme_weight": 0.0,
                                    "closure_bias": 0.0}, str(w))
    config.write_section("calibration", {"knots": [0.0, 1.0], "free": {"values": [0.25, 0.25]},
                                         "forced": {"values": [0.9, 0.9]}}, str(w))
    labels = ["sil", "m", "a"]
    frames = [0, 1, 2, 2]
    lp = np.full((4, 3), np.log(0.05), np.float32)
    lp[np.arange(4), frames] = np.log(0.9)
    # use_prior=False: the copied config's phone priors would push a language "x" towards the universal prior's
    # vowels (tests/inference/test_priors.py); this checks the decode settings and the calibration
    tr = runtime.decode_posteriors(FramePosteriors(labels, lp), 0.04, weights=str(w), recognizer="r", language="x",
                                   use_prior=False)
    assert [p.phone for p in tr.phones] == ["sil", "m", "a"] and (tr.recognizer, tr.language) == ("r", "x")
    runtime.calibrate_confidences(tr, "free", str(w))
    assert {p.confidence for p in tr.phones} == {0.25}
    runtime.calibrate_confidences(tr, "forced", str(w))
    assert {p.confidence for p in tr.phones} == {0.9}
    runtime.calibrate_confidences(tr, "nonsense", str(w))  # an unknown mode leaves them
    assert {p.confidence for p in tr.phones} == {0.9}


def test_weights_status(tiny, tmp_path, monkeypatch):
    assert runtime.weights_status()[0] and runtime.weights_status()[1].startswith("ready (")
    ok, why = runtime.weights_status(str(tmp_path / "gone.pt"))
    assert not ok and why.startswith("model weights are missing") and "reinstall" in why
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    ok, why = runtime.weights_status()
    assert not ok and why == "torch is not installed (pip install torch==2.13.0, CPU build)"
