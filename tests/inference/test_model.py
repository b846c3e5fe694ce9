"""The shipped model: loads from inference/weights, gives sane output on the sample dialogue."""
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lipsync.errors import ModelError  # noqa: E402
from lipsync.inference.runtime import DEFAULT_WEIGHTS, load_model, run_network  # noqa: E402
from lipsync.phonemes.recognizers.model import ModelRecognizer  # noqa: E402
from lipsync.training import metrics  # noqa: E402
from lipsync.phonemes.audio import load_audio  # noqa: E402
from lipsync.phonemes.types import SIL, Audio  # noqa: E402
from lipsync.phonemes.visemes import CONTROLS, VISEMES, phones_to_visemes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WAV = os.path.join(HERE, "..", "..", "sample_scenes", "dialogue.wav")
REF = os.path.join(HERE, "..", "..", "sample_scenes", "dialogue.phones.tsv")
TXT = os.path.join(HERE, "..", "..", "sample_scenes", "dialogue.txt")


def _ref():
    rows = []
    with open(REF, encoding="utf-8") as f:
        for line in f:
            a, b, p = line.rstrip("\n").split("\t")
            rows.append((float(a), float(b), p))
    return rows


@pytest.fixture(scope="module")
def rec():
    return ModelRecognizer()


@pytest.fixture(scope="module")
def post(rec):
    return rec.posteriors(load_audio(WAV))


def test_shipped_weights_load(rec):
    assert os.path.exists(DEFAULT_WEIGHTS) and os.path.getsize(DEFAULT_WEIGHTS) < 10 * 1024 * 1024
    model, info = load_model()
    assert load_model()[0] is model  # cached per process
    assert info["phone_classes"][0] == SIL and len(info["phone_classes"]) == model.n_phones


def test_posteriors_are_well_formed(post):
    T = post.n_frames
    assert T == int(np.ceil(load_audio(WAV).duration / 0.01))
    assert post.log_probs.shape == (T, len(post.labels)) and post.viseme_log_probs.shape == (T, len(VISEMES))
    assert np.allclose(np.exp(post.log_probs).sum(1), 1, atol=1e-3)
    assert np.allclose(np.exp(post.viseme_log_probs).sum(1), 1, atol=1e-3)
    assert post.control_names == CONTROLS and post.controls.shape == (T, len(CONTROLS))
    assert post.controls.min() >= 0 and post.controls.max() <= 1


def test_closed_lips_on_m_b_p(post):
    ref = _ref()
    vis = np.array(VISEMES)[post.viseme_log_probs.argmax(1)]
    lip = post.controls[:, CONTROLS.index("lip_close")]
    bil = [(s, e) for s, e, p in ref if p in ("m", "b", "p")]
    assert len(bil) >= 15
    hit = sum(any(vis[t] == "A" for t in range(max(int(s / 0.01) - 2, 0), int(e / 0.01) + 2)) for s, e in bil)
    assert hit / len(bil) >= 0.8  # shipped v1.3: 18 of 20, v1.2 and v1.1: 17, v1: 16 (the sample is a voice it never heard)
    inside = np.zeros(len(lip), bool)
    for s, e in bil:
        inside[int(s / 0.01): int(e / 0.01)] = True
    assert lip[inside].mean() > lip[~inside].mean() + 0.3
    # silence at the start of the clip is rest
    assert vis[:20].tolist().count("X") >= 15


def test_recognize_free_and_forced(rec):
    audio = load_audio(WAV)
    ref = _ref()
    free = rec.recognize(audio)
    assert free.recognizer == "model" and free.phones[0].start == 0.0
    assert free.phones[-1].end == pytest.approx(audio.duration)
    assert all(p.end - p.start >= 0.0299 for p in free.phones[:-1])  # no single-frame flicker
    clo = metrics.bilabial_closure(ref, free.phones, audio.duration)
    assert clo["ref_hit"] / clo["ref"] >= 0.8 and clo["hyp_good"] / clo["hyp"] >= 0.85  # v1.3 and v1.2: 16/20, 16/16; v1.1: 17/20, 17/17 (v1 15/20)
    acc = metrics.viseme_accuracy(ref, free.phones, audio.duration)
    assert acc["acc5"] >= 0.7  # v1.3: 0.755, v1.2: 0.752; v1.1: 0.740 (v1 0.745)
    forced = rec.recognize(audio, open(TXT, encoding="utf-8").read())
    words = [w.text.lower() for w in forced.words]
    assert "supper" in " ".join(words)
    err = metrics.summarize_boundaries(metrics.boundary_errors(ref, forced.phones))
    assert err["median_ms"] < 25  # v1.3: 18 ms, v1.2 and v1.1: 17 ms (v1 15 ms)
    clo = metrics.bilabial_closure(ref, forced.phones, audio.duration)
    assert clo["ref_hit"] == clo["ref"] and clo["hyp_good"] == clo["hyp"]  # every M/B/P closes, nothing else
    assert phones_to_visemes(forced).cues


def test_chunked_equals_whole_clip_away_from_edges():
    model, info = load_model()
    from lipsync.inference.features import log_mel

    f = log_mel(load_audio(WAV).samples)
    whole = run_network(model, f, chunk=100000)
    chunked = run_network(model, f, chunk=500, context=100, batch=2)
    agree = (whole[1].argmax(1) == chunked[1].argmax(1)).mean()
    assert agree > 0.97  # shipped: 0.983 (1 s of context each side)


def test_chunked_inference_runs_each_chunk_with_its_context():
    """Long clips run chunk by chunk: each chunk of output frames comes from the network run on that chunk
    plus ``context`` frames each side (padded past the clip's edges), several chunks per forward pass."""
    import torch

    model, _ = load_model()
    from lipsync.inference.features import log_mel

    f = log_mel(load_audio(WAV).samples)  # 1,068 frames
    T = len(f)
    calls = []

    class Spy(torch.nn.Module):
        n_phones, n_visemes, n_controls = model.n_phones, model.n_visemes, model.n_controls

        def forward(self, x):
            calls.append(tuple(x.shape))
            return model(x)

    out = run_network(Spy(), f, chunk=400, context=100, batch=2)
    assert [c[:2] for c in calls] == [(2, 600), (1, 600)]  # three chunks of 400 (+2 x 100 context), batched 2 + 1
    pad = float(f.min())
    with torch.inference_mode():
        for s in (0, 400, 800):
            lo, hi = s - 100, s + 500
            x = np.full((600, f.shape[1]), pad, np.float32)
            x[max(lo, 0) - lo: min(hi, T) - lo] = f[max(lo, 0): min(hi, T)]
            p, v, c = model(torch.from_numpy(x)[None])
            e = min(s + 400, T)
            want = torch.log_softmax(v[0, 100: 100 + e - s], -1).numpy()
            assert np.allclose(out[1][s:e], want, atol=1e-4), s
    # one chunk when the clip fits: the whole clip in one pass, no padding
    calls.clear()
    run_network(Spy(), f, chunk=5000)
    assert calls == [(1, T, f.shape[1])]


def test_silence_and_bad_input(rec, tmp_path):
    silent = Audio(np.zeros(16000, np.float32), 16000, "silence")
    tr = rec.recognize(silent)
    assert [p.phone for p in tr.phones] == [SIL]
    short = rec.posteriors(Audio(np.zeros(50, np.float32), 16000, "tiny"))
    assert short.n_frames == 1
    with pytest.raises(ModelError, match="not found"):
        ModelRecognizer(weights=str(tmp_path / "missing.pt")).posteriors(silent)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="Reinstall"):
        ModelRecognizer(weights=str(bad)).posteriors(silent)
