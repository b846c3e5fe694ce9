"""The trainer runs end to end on tiny data (cache build, a few steps, pseudo-labels, dev metrics, weights)."""
import json
import os
import shutil

import pytest

torch = pytest.importorskip("torch")

from lipsync.phonemes.datasets import data_root  # noqa: E402

needs_data = pytest.mark.skipif(not os.path.isdir(os.path.join(data_root(), "cathy")), reason="shared data missing")


@needs_data
@pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed")
def test_training_runs_a_few_steps(tmp_path):
    from lipsync.inference.recognizer import ModelRecognizer
    from lipsync.inference.train import train
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
    post = rec.posteriors(load_audio(os.path.join(os.path.dirname(__file__), "..", "sample_scenes", "dialogue.wav")))
    assert post.log_probs.shape[1] == len(post.labels) and post.controls.shape[0] == post.n_frames
