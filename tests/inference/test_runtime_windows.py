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
def tiny(tmp_path_factory):
    from lipsync.training.train import save

    torch.manual_seed(3)
    net = VisemeNet(hidden=8, channels=8)
    path = tmp_path_factory.mktemp("w") / "tiny.pt"
    save(net, str(path), {"step": 1})
    return str(path)


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
