"""inference.runtime on long clips (the clip's own 10 s chunks, window by window) and its error messages,
on a tiny network saved the way training saves one. Expected values are computed independently: the
network run by hand on the frames a chunk reads, the sample spans from inference.features.frame_span."""
import math
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lipsync.errors import ModelError  # noqa: E402
from lipsync.inference import runtime  # noqa: E402
from lipsync.inference.features import frame_span  # noqa: E402
from lipsync.inference.model import VisemeNet  # noqa: E402
from lipsync.phonemes.audio import AudioWindow  # noqa: E402
from lipsync.phonemes.types import Audio  # noqa: E402

RATE = 16000


@pytest.fixture(scope="module")
def clip():
    """23 s (2300 frames): 0.5 s of digital silence first (the clip's feature minimum lies in the first
    window, as the windowed padding value requires), then modulated noise."""
    rng = np.random.default_rng(7)
    n = 23 * RATE
    t = np.arange(n) / RATE
    x = (rng.normal(size=n) * 0.1 * (1.2 + np.sin(2 * np.pi * 0.7 * t))).astype(np.float32)
    x[: RATE // 2] = 0.0
    return x


def _by_hand(model, feats, lo, hi, pad):
    """The network on clip frames lo..hi-1 (padded with ``pad`` outside the clip): log-probs, controls."""
    T = len(feats)
    x = np.full((hi - lo, feats.shape[1]), pad, np.float32)
    a, b = max(lo, 0), min(hi, T)
    x[a - lo: b - lo] = feats[a:b]
    with torch.inference_mode():
        p, v, c = model(torch.from_numpy(x)[None])
    return (torch.log_softmax(p[0], -1).numpy(), torch.log_softmax(v[0], -1).numpy(), c[0].numpy())


def test_whole_clip_is_computed_in_10s_chunks_with_1s_of_context(tiny, clip):
    model, _ = runtime.load_model(tiny, "cpu")
    post = runtime.posteriors(Audio(clip, RATE, "long.wav"), tiny, "cpu")
    feats = runtime.features(Audio(clip, RATE))
    assert post.n_frames == 2300 == len(feats)
    pad = float(feats.min())
    # frames 1000..1999 come from the chunk that reads frames 900..2099; frames 2000..2299 from 1900..2299
    p, v, c = _by_hand(model, feats, 900, 2100, pad)
    assert np.allclose(post.log_probs[1000:2000], p[100:1100], atol=1e-5)
    assert np.allclose(post.viseme_log_probs[1000:2000], v[100:1100], atol=1e-5)
    assert np.allclose(post.controls[1000:2000], c[100:1100], atol=1e-5)
    p, v, c = _by_hand(model, feats, 1900, 3100, pad)  # the last chunk runs past the clip's end, padded
    assert np.allclose(post.log_probs[2000:], p[100:400], atol=1e-5)
    p, v, c = _by_hand(model, feats, -100, 1100, pad)  # the first one starts before it
    assert np.allclose(post.log_probs[:1000], p[100:1100], atol=1e-5)
    assert 0.0 < post.controls.min() and post.controls.max() < 1.0  # the network's own values, not clipped flat


def test_a_clip_of_exactly_one_chunk_is_run_whole_and_unpadded(tiny, clip):
    model, _ = runtime.load_model(tiny, "cpu")
    audio = Audio(clip[RATE: RATE + 1000 * 160], RATE)
    feats = runtime.features(audio)
    assert len(feats) == 1000
    post = runtime.posteriors(audio, tiny, "cpu")
    p, v, c = _by_hand(model, feats, 0, 1000, 0.0)
    assert np.allclose(post.log_probs, p, atol=1e-5) and np.allclose(post.viseme_log_probs, v, atol=1e-5)


def _window(x, start, stop, clip_dict, index=0):
    return AudioWindow(audio=Audio(x[start:stop], RATE, "long.wav"), start=start, index=index,
                       at_end=stop >= len(x), clip=clip_dict)


def test_windows_give_the_whole_clips_numbers(tiny, clip):
    whole = runtime.posteriors(Audio(clip, RATE, "long.wav"), tiny, "cpu")
    ctx = int(math.ceil(runtime.WINDOW_CONTEXT * RATE))
    shared: dict = {}
    spans = [(0, 1000), (1000, 1000), (1500, 300), (2000, 300)]  # the third starts inside a chunk
    timing: dict = {}
    for i, (first, count) in enumerate(spans):
        g0, g1 = first // 1000 * 1000, -(-(first + count) // 1000) * 1000  # the chunks the frames lie in
        start, stop = max(g0 * 160 - ctx, 0), min(g1 * 160 + ctx, len(clip))
        win = _window(clip, start, stop, shared, i)
        post = runtime.window_posteriors(win, first, count, tiny, "cpu", timing=timing)
        assert post.n_frames == count and post.source == "long.wav"
        sl = slice(first, first + count)
        assert np.allclose(post.log_probs, whole.log_probs[sl], atol=1e-5), (first, count)
        assert np.allclose(post.viseme_log_probs, whole.viseme_log_probs[sl], atol=1e-5)
        assert np.allclose(post.controls, whole.controls[sl], atol=1e-5)
    assert shared["pad_value"] == pytest.approx(float(runtime.features(Audio(clip, RATE)).min()))
    assert set(timing) == {"features_s", "network_s", "load_s"} and min(timing.values()) >= 0


def test_a_window_short_of_the_samples_its_chunks_read_says_so(tiny, clip):
    # frames 1000..1999: the chunk reads frames 900..2099, so samples frame_span(900, 1200) of the clip
    need0, need1 = frame_span(900, 1200, len(clip))
    ok = runtime.window_posteriors(_window(clip, need0, need1, {}), 1000, 1000, tiny, "cpu")
    assert ok.n_frames == 1000
    with pytest.raises(ValueError, match=rf"^the window ends at sample {need1 - 1}, before the samples of frame "
                                         rf"2100; give it {runtime.WINDOW_CONTEXT:.3f} s of audio beyond its frames$"):
        runtime.window_posteriors(_window(clip, need0, need1 - 1, {}), 1000, 1000, tiny, "cpu")
    with pytest.raises(ValueError, match=rf"^the window starts at sample {need0 + 1}, after the samples of frame 900$"):
        runtime.window_posteriors(_window(clip, need0 + 1, need1, {}), 1000, 1000, tiny, "cpu")
    # the documented margin is enough either side of frames that start a chunk
    assert need1 - 2000 * 160 <= runtime.WINDOW_CONTEXT * RATE and 1000 * 160 - need0 <= runtime.WINDOW_CONTEXT * RATE
    assert runtime.WINDOW_CONTEXT < 1.1  # and not much more than the 1 s of context (windows stay small)
    with pytest.raises(ValueError, match=r"^window_posteriors\(\) needs 16 kHz windows \(phonemes.audio.AudioSource "
                                         r"gives them\)$"):
        win = AudioWindow(audio=Audio(clip[:48000], 48000), start=0, index=0, at_end=True, clip={})
        runtime.window_posteriors(win, 0, 100, tiny, "cpu")


def test_run_network_checks_the_features_it_is_given(tiny, clip):
    model, _ = runtime.load_model(tiny, "cpu")
    feats = runtime.features(Audio(clip, RATE))
    with pytest.raises(ValueError, match="^a clip of one chunk needs all its features$"):
        runtime.run_network(model, feats[:50], total=100)
    with pytest.raises(ValueError, match=re.escape("chunk 1000 reads frames 900..2100, outside the given features "
                                                   "900..2000") + "$"):
        runtime.run_network(model, feats[900:2000], offset=900, total=2300, frames=(1000, 2000))
    p, v, c = runtime.run_network(model, feats[900:2100], offset=900, total=2300, frames=(1000, 2000))
    assert p.shape[0] == v.shape[0] == c.shape[0] == 1000


def test_model_errors_are_one_exact_line(tiny, tmp_path, monkeypatch):
    import sys

    with pytest.raises(ModelError, match=r"^Model weights not found: .*gone\.pt\. Reinstall the extension, or train "
                                         r"them with `python -m lipsync.training.train`\.$"):
        runtime.load_model(str(tmp_path / "gone.pt"), "cpu")
    other = tmp_path / "other.pt"
    torch.save({"format": "something-else"}, other)
    with pytest.raises(ModelError, match=r"^.*other\.pt is not a Lip Sync model file \(format lipsync-visemenet-1\)\.$"):
        runtime.load_model(str(other), "cpu")
    # a pickle with code in it is refused (weights only), with torch's first line as the reason
    evil = tmp_path / "evil.pt"
    torch.save({"format": "lipsync-visemenet-1", "payload": _NotAWeight()}, evil)
    with pytest.raises(ModelError, match=r"^Could not read the model weights .*evil\.pt \(Weights only load failed\. "
                                         r"[^\n]*\)\. Reinstall the extension\.$"):
        runtime.load_model(str(evil), "cpu")
    # torch's reason: its first line, at most 160 characters; the error's type when it says nothing
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("y" * 300 + "\nmore")))
    with pytest.raises(ModelError) as e:
        runtime.load_model(str(evil), "cpu")
    assert f"({'y' * 160})" in str(e.value)
    monkeypatch.setattr(torch, "load", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("  ")))
    with pytest.raises(ModelError, match=r"\(RuntimeError\)\. Reinstall"):
        runtime.load_model(str(evil), "cpu")
    monkeypatch.setattr(torch, "load", real_load)
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(ModelError, match=r"^The built-in model needs PyTorch, which is not installed\. Install it with "
                                         r"`pip install torch==2\.13\.0` \(CPU build\), or choose the pocketsphinx "
                                         r"recogniser instead\.$"):
        runtime.load_model(tiny, "cpu")


class _NotAWeight:
    pass


def test_device_defaults_to_cuda_when_there_is_one(tiny, monkeypatch):
    import os

    model, info = runtime.load_model(tiny)
    assert info["device"] == "cpu" or torch.cuda.is_available()
    assert 0 <= info["load_seconds"] < 60
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    marker = ("model on cuda", {"device": "cuda"})
    monkeypatch.setitem(runtime._CACHE, (os.path.abspath(tiny), "cuda"), marker)
    assert runtime.load_model(tiny) is marker


def test_timing_is_the_seconds_each_step_took(tiny, clip):
    import time

    timing: dict = {}
    t0 = time.perf_counter()
    runtime.posteriors(Audio(clip[: 3 * RATE], RATE), tiny, "cpu", timing=timing)
    wall = time.perf_counter() - t0
    assert 0 <= timing["features_s"] <= wall and 0 <= timing["network_s"] <= wall
    assert timing["features_s"] + timing["network_s"] <= wall


def test_more_windows_and_feature_slices(tiny):
    rng = np.random.default_rng(11)
    x = (rng.normal(size=23 * RATE) * 0.1).astype(np.float32)  # no silence: frame 0 is no padding
    model, _ = runtime.load_model(tiny, "cpu")
    feats = runtime.features(Audio(x, RATE))
    whole = runtime.posteriors(Audio(x, RATE), tiny, "cpu")
    p, _, _ = _by_hand(model, feats, -100, 1100, float(feats.min()))
    assert np.allclose(whole.log_probs[:1000], p[100:1100], atol=1e-5)
    # features beyond what the chunks read are fine (the slice is the chunks' own)
    got, _, _ = runtime.run_network(model, feats[900:2300], offset=900, total=2300, frames=(1000, 2000))
    assert np.allclose(got, whole.log_probs[1000:2000], atol=1e-5)
    # one window over two chunks, and timing summed over windows
    import time

    timing: dict = {}
    t0 = time.perf_counter()
    shared = {"pad_value": float(feats.min())}
    a = runtime.window_posteriors(_window(x, 0, 11 * RATE + 400 * 16, shared), 0, 1000, tiny, "cpu", timing=timing)
    first = dict(timing)
    b = runtime.window_posteriors(_window(x, 1000 * 160 - 16392, len(x), shared), 1000, 1300, tiny, "cpu",
                                  timing=timing)
    wall = time.perf_counter() - t0
    assert np.allclose(a.log_probs, whole.log_probs[:1000], atol=1e-5)
    assert np.allclose(b.log_probs, whole.log_probs[1000:], atol=1e-5)
    assert timing["features_s"] > first["features_s"] and timing["network_s"] > first["network_s"]
    assert timing["features_s"] + timing["network_s"] <= wall


def test_fusing_the_viseme_head_by_hand():
    from lipsync.phonemes.types import FramePosteriors
    from lipsync.phonemes.visemes import VISEMES

    labels = ["sil", "m", "a", "i"]
    rng = np.random.default_rng(5)
    lp = np.log(rng.dirichlet(np.ones(4), size=6)).astype(np.float32)
    vlp = np.log(rng.dirichlet(np.ones(len(VISEMES)), size=6)).astype(np.float32)
    post = FramePosteriors(labels, lp, viseme_log_probs=vlp)
    from lipsync.phonemes.visemes import viseme_for_phone

    cols = [VISEMES.index(viseme_for_phone(p)) for p in labels]
    x = 0.7 * lp.astype(np.float64) + 0.3 * vlp[:, cols]
    want = x - np.log(np.exp(x).sum(1, keepdims=True))
    assert np.allclose(runtime.fuse_visemes(post, 0.3), want, atol=1e-5)
    base = lp - np.log(np.exp(lp.astype(np.float64)).sum(1, keepdims=True))
    assert np.allclose(runtime.fuse_visemes(post), base, atol=1e-5)  # default: no fusion


def test_decode_arguments_override_the_config_and_default_names(tiny, tmp_path):
    from lipsync.inference import config
    from lipsync.phonemes.types import FramePosteriors, PhoneTrack, TimedPhone, TimedWord
    from lipsync.phonemes.visemes import VISEMES

    w = tmp_path / "visemenet.pt"
    w.write_bytes(open(tiny, "rb").read())
    config.write_section("decode", {"min_frames": 1, "switch_penalty": 0.0, "viseme_weight": 0.0,
                                    "closure_bias": 0.0}, str(w))
    labels = ["sil", "m", "a"]
    lp = np.log(np.tile([[0.2, 0.3, 0.5]], (4, 1))).astype(np.float32)  # "a" wins on phones alone
    vlp = np.full((4, len(VISEMES)), np.log(1e-4), np.float32)
    vlp[:, VISEMES.index("A")] = np.log(0.999)  # the viseme head is sure the lips are closed
    post = FramePosteriors(labels, lp, viseme_log_probs=vlp)
    tr = runtime.decode_posteriors(post, 0.04, weights=str(w))
    assert [p.phone for p in tr.phones] == ["a"] and (tr.recognizer, tr.language) == ("model", "eng")
    assert [p.phone for p in runtime.decode_posteriors(post, 0.04, weights=str(w), viseme_weight=0.8).phones] == ["m"]
    plain = FramePosteriors(labels, lp)
    assert [p.phone for p in runtime.decode_posteriors(plain, 0.04, weights=str(w), closure_bias=1.0).phones] == ["m"]
    # word confidences: the lowest phone wholly inside the word (edges included), after calibration
    config.write_section("calibration", {"knots": [0.0, 1.0], "free": {"values": [0.0, 1.0]},
                                         "forced": {"values": [0.0, 1.0]}}, str(w))
    track = PhoneTrack([TimedPhone(0.0, 0.1, "m", 0.9), TimedPhone(0.1, 0.2, "a", 0.6),
                        TimedPhone(0.2, 0.3, "m", 0.3)], 0.3, words=[TimedWord(0.0, 0.2, "ma", 0.0)])
    runtime.calibrate_confidences(track, "free", str(w))
    assert track.words[0].confidence == pytest.approx(0.6)
    track = PhoneTrack([TimedPhone(0.0, 0.1, "m", 0.9), TimedPhone(0.1, 0.2, "a", 0.6),
                        TimedPhone(0.2, 0.3, "m", 0.3)], 0.3, words=[TimedWord(0.1 + 5e-7, 0.3 - 5e-7, "am", 0.0)])
    runtime.calibrate_confidences(track, "free", str(w))
    assert track.words[0].confidence == pytest.approx(0.3)


def test_weights_status_with_a_broken_config(tiny, tmp_path):
    w = tmp_path / "visemenet.pt"
    w.write_bytes(open(tiny, "rb").read())
    (tmp_path / "model_config.json").write_text("{ not json")
    ok, why = runtime.weights_status(str(w))
    assert not ok and "model_config.json" in why


def test_other_type_and_inventory_errors_are_exact(tmp_path):
    from lipsync.inference.classes import PHONE_CLASSES
    from lipsync.phonemes.visemes import CONTROLS, VISEMES

    with pytest.raises(TypeError, match=r"^features\(\) takes a phonemes\.types\.Audio \(use "
                                        r"phonemes\.audio\.load_audio\(path\)\)$"):
        runtime.features(np.zeros(10))
    net = VisemeNet(hidden=8, channels=8)
    old = tmp_path / "old.pt"
    torch.save({"format": "lipsync-visemenet-1", "config": net.config, "state": net.state_dict(),
                "phone_classes": list(PHONE_CLASSES), "visemes": list(VISEMES)[:-1] + ["Z"],
                "controls": list(CONTROLS)}, old)
    with pytest.raises(ModelError, match=r"^.*old\.pt was trained for other visemes/controls; retrain it for this "
                                         r"version\.$"):
        runtime.load_model(str(old), "cpu")
