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
