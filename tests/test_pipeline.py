"""The whole bpy-free analysis: stages connected, controls kept, cancel and progress, bad input."""
import os

import numpy as np
import pytest

from lipsync.phonemes.audio import AudioError
from lipsync.phonemes.types import Audio
from lipsync.phonemes.visemes import CONTROLS
from lipsync.errors import Cancelled, TranscriptError
from lipsync.pipeline import analyze, loudness_curve, read_transcript

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WAV = os.path.join(ROOT, "sample_scenes", "dialogue.wav")


def test_pocketsphinx_analysis_covers_the_clip():
    seen = []
    a = analyze(WAV, recognizer="pocketsphinx", progress=lambda f, m: seen.append(f))
    assert a.recognizer == "pocketsphinx"
    assert abs(a.phones.phones[-1].end - a.duration) < 0.02 and a.phones.phones[0].start == 0.0
    assert a.visemes.cues[0].start == 0.0 and abs(a.visemes.cues[-1].end - a.duration) < 0.02
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    assert len(a.loudness) == pytest.approx(a.duration / 0.01, abs=2)


def test_model_analysis_keeps_the_mouth_controls():
    from lipsync.inference.runtime import weights_status

    assert weights_status()[0], weights_status()[1]  # the set-up installs torch and the weights ship
    a = analyze(WAV, recognizer="model")
    assert a.visemes.control_names == CONTROLS
    assert a.visemes.controls.shape == (a.loudness.shape[0], len(CONTROLS)) or \
        abs(a.visemes.controls.shape[0] - a.loudness.shape[0]) <= 2
    assert 0.0 <= a.visemes.controls.min() and a.visemes.controls.max() <= 1.0
    # the jaw opens during speech more than in the lead-in silence
    jaw = a.visemes.controls[:, CONTROLS.index("jaw_open")]
    assert jaw[100:300].mean() > jaw[:30].mean() + 0.05


def test_the_default_is_the_shipped_model():
    """With torch, the shipped weights and pocketsphinx installed (what the set-up installs), the default
    recogniser is the model fused with pocketsphinx: never a silent fall back to pocketsphinx alone."""
    a = analyze(WAV)  # no script: the speech model's words, aligned by our model
    assert a.recognizer == "model" and len(a.phones.words) >= 20
    assert a.visemes.control_names == CONTROLS  # the model's mouth controls came along
    with open(os.path.join(ROOT, "sample_scenes", "dialogue.txt"), encoding="utf-8") as f:
        assert analyze(WAV, transcript=f.read()).recognizer == "fused"  # a script: model + pocketsphinx


def test_cancel_stops_before_recognition():
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > 1

    with pytest.raises(Cancelled):
        analyze(WAV, recognizer="pocketsphinx", cancel=cancel)


def test_bad_inputs_have_clear_errors(tmp_path):
    with pytest.raises(TranscriptError, match="empty"):
        analyze(WAV, transcript="   ", recognizer="pocketsphinx")
    empty = tmp_path / "t.txt"
    empty.write_text("\n")
    with pytest.raises(TranscriptError, match="empty"):
        read_transcript(str(empty))
    with pytest.raises(AudioError):
        analyze(str(tmp_path / "missing.wav"), recognizer="pocketsphinx")


def test_loudness_is_scaled_to_speech_and_silence_is_zero():
    sr = 16000
    x = np.zeros(sr * 2, np.float32)
    x[sr:] = 0.3 * np.sin(np.arange(sr) * 2 * np.pi * 200 / sr)
    loud = loudness_curve(Audio(x, sr))
    assert loud[:90].max() == 0.0 and loud[110:190].min() > 0.9
    assert not loudness_curve(Audio(np.zeros(sr, np.float32), sr)).any()
