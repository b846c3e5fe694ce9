"""The trainer runs end to end on tiny data (cache build, a few steps, pseudo-labels, dev metrics, weights)."""
import json
import os
import shutil

import pytest

torch = pytest.importorskip("torch")

from lipsync.training.datasets import data_root  # noqa: E402

needs_data = pytest.mark.skipif(not os.path.isdir(os.path.join(data_root(), "cathy")),
                                reason=f"no data: the shared data folder {data_root()} is not here (set LIPSYNC_DATA)")


@needs_data
@pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed")
def test_training_runs_a_few_steps(tmp_path):
    from lipsync.phonemes.recognizers.model import ModelRecognizer
    from lipsync.training.train import train
    from lipsync.phonemes.audio import load_audio

    out = tmp_path / "w"
    model, final = train(cache_dir=str(tmp_path / "cache"), out_dir=str(out), steps=4, pseudo_steps=2, batch=2,
                         crop=120, hidden=16, channels=16, eval_every=3, dev_limit=1, prepare_limit=2, threads=1)
    assert (out / "visemenet.pt").exists() and (out / "train_log.txt").exists()
    metrics = json.loads((out / "dev_metrics.json").read_text())
    assert metrics["final"]["step"] == 6
    for name in ("cathy", "speechocean762"):
        assert 0.0 <= metrics["final"][name]["five_class_acc"] <= 1.0
    log = (out / "train_log.txt").read_text()
    assert "pseudo-labels on librispeech_unlabelled" in log and "step 5/6" in log
    # the saved file loads through the recogniser and gives outputs of the right shape
    rec = ModelRecognizer(weights=str(out / "visemenet.pt"), device="cpu")
    post = rec.posteriors(load_audio(os.path.join(os.path.dirname(__file__), "..", "..", "sample_scenes", "dialogue.wav")))
    assert post.log_probs.shape[1] == len(post.labels) and post.controls.shape[0] == post.n_frames


@needs_data
@pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed")
def test_training_lowers_the_loss(tmp_path):
    """Forty steps on a tiny cache: the logged loss at the end is clearly below the loss at the start."""
    import re

    from lipsync.training.train import train

    out = tmp_path / "w"
    train(cache_dir=str(tmp_path / "cache"), out_dir=str(out), steps=40, pseudo_steps=0, batch=4, crop=150,
          hidden=16, channels=16, eval_every=100, dev_limit=1, prepare_limit=2, threads=1, lr=3e-3, warmup=5)
    losses = [float(m) for m in re.findall(r"step \d+/40 loss ([0-9.]+)", (out / "train_log.txt").read_text())]
    assert len(losses) >= 2 and losses[-1] < 0.9 * losses[0], losses  # without updates it stays at ~6.8 +- 0.1


@needs_data
@pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed")
def test_warm_start_second_augmented_copy_and_lip_boost(tmp_path):
    """Stage B of the recipe: --init loads stage A's weights exactly (lr 0 leaves them unchanged), --aug2 builds a
    second augmented copy that differs from the first, --lip-boost runs."""
    import numpy as np

    from lipsync.training.train import main, train

    cache = str(tmp_path / "cache")
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    train(cache_dir=cache, out_dir=str(a_dir), steps=2, pseudo_steps=0, batch=2, crop=120, hidden=16, channels=16,
          eval_every=2, dev_limit=1, prepare_limit=2, threads=1)
    train(cache_dir=cache, out_dir=str(b_dir), steps=2, pseudo_steps=1, batch=2, crop=120, lr=0.0, eval_every=3,
          dev_limit=1, prepare_limit=2, threads=1, init=str(a_dir / "visemenet.pt"), aug2=True, lip_boost=2.0)
    a = torch.load(a_dir / "visemenet.pt", weights_only=True)
    b = torch.load(b_dir / "visemenet.pt", weights_only=True)
    assert a["config"] == b["config"] and b["meta"]["init"] == "visemenet.pt"
    for k, v in a["state"].items():
        assert torch.equal(v, b["state"][k]), k
    log = (b_dir / "train_log.txt").read_text()
    assert "warm start from" in log and "cathy_aug2" in log and "lip_boost=2.0" in log
    first = np.load(os.path.join(cache, "cathy_train.npz"))
    second = np.load(os.path.join(cache, "cathy_train_aug2.npz"))
    assert "clean" not in set(second["descs"].tolist())
    n1 = int(second["starts"][1])
    aug1 = [i for i, d in enumerate(first["descs"]) if d != "clean" and first["ids"][i] == second["ids"][0]][0]
    s1 = int(first["starts"][aug1])
    f1 = first["feats"][s1: s1 + n1].astype(np.float32)
    f2 = second["feats"][:n1].astype(np.float32)
    assert f1.shape != f2.shape or np.abs(f1 - f2).mean() > 0.1  # a different augmentation draw
    with pytest.raises(SystemExit):  # refusing to overwrite the file it starts from
        main(["--init", str(b_dir / "visemenet.pt"), "--out", str(b_dir)])


def test_channel_augment_muffles_the_high_bands_and_keeps_the_rest():
    import numpy as np

    from lipsync.training.train import _band_hz, channel_augment, channel_curve

    rng = np.random.default_rng(3)
    hz = _band_hz()
    assert hz.shape == (80,) and np.all(np.diff(hz) > 0) and 20 < hz[0] < 100 and 7000 < hz[-1] < 7600
    # a curve: the low-pass wins far above the cut-off, whatever the tilt and resonances do
    for _ in range(20):
        g = channel_curve(rng, cutoff=(1000.0, 1000.0), slope=(24.0, 24.0), tilt=(0.0, 0.0), bumps=0)
        assert g.shape == (80,) and np.all(g[hz <= 1000] == 0)
        # 24 dB per octave, in natural-log power: 2 octaves above 1 kHz = -48 dB
        k = int(np.argmin(np.abs(hz - 4000)))
        assert g[k] == pytest.approx(-48 * np.log(10) / 10 * np.log2(hz[k] / 1000) / 2, rel=1e-6)
    feats = torch.full((12, 50, 80), -2.0)
    feats[:, :, :20] = 3.0  # loud low bands
    feats[:, 1::2] -= 10.0  # every other frame much quieter
    same = channel_augment(feats.clone(), rng, p=0.0)
    assert torch.equal(same, feats)
    out = channel_augment(feats.clone(), np.random.default_rng(0), p=1.0)
    assert out.shape == feats.shape and torch.isfinite(out).all()
    floored = 0
    for b in range(12):
        d = out[b] - feats[b]
        assert not torch.equal(out[b], feats[b])
        # the top bands lost more than the bottom ones (low-pass)
        assert float(d[0, -5:].mean()) < float(d[0, :5].mean())
        if torch.allclose(d, d[:1].expand_as(d), atol=1e-5):
            continue  # a channel alone: every frame gets the same gain
        # a noise floor: lifts the quiet frames more than the loud ones, and sits 30-60 dB under the loudest band
        floored += 1
        assert float((d[1::2] - d[0::2]).min()) >= -1e-5
        lo = float(out[b].min())
        assert float(feats[b].max()) - 60 * np.log(10) / 10 - 1e-4 <= lo
    assert 2 <= floored <= 10  # about half of them


@pytest.mark.parametrize("args, msg", [
    (["--channel", "1.5"], "--channel is a share of the crops, 0 to 1 (got 1.5)"),
    (["--extra", "1"], "--extra is a sampling share, 0 to below 1 (got 1.0)"),
    (["--extra", "-0.2"], "--extra is a sampling share, 0 to below 1 (got -0.2)"),
])
def test_shares_out_of_range_are_refused_in_one_line(args, msg, capsys):
    from lipsync.training import train as T

    with pytest.raises(SystemExit) as exc:
        T.main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith(msg) and not any("Traceback" in line for line in err)


@needs_data
def test_the_extra_languages_cache_builds_with_the_bundled_engine(tmp_path):
    pytest.importorskip("babel", reason="optional: babel is a training extra (tools/setup_train.sh)")
    import numpy as np

    from lipsync.training import multilingual as M
    from lipsync.training.prepare import prepare_synth_extra
    from lipsync.training.synth import espeak

    logs = []
    path = prepare_synth_extra(cache_dir=str(tmp_path), limit=1, workers=1, log=logs.append)["synth_extra"]
    assert path.endswith("synth_extra_1.npz") and not espeak._state.get("bundled", False)
    z = np.load(path, allow_pickle=True)
    langs = {str(u).split("_")[1] for u in z["ids"]}
    assert langs == set(M.EXTRA_LANGS) and (z["phone"] >= 0).mean() > 0.8  # nearly every frame labelled
    assert any("extra languages: 38 x 1 utterances" in line for line in logs)
