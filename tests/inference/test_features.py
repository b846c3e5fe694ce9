"""The runtime's numpy log-mel features are librosa's mel spectrogram with the same settings."""
import os

import numpy as np
import pytest

from lipsync.inference import features as F
from lipsync.phonemes.audio import load_audio

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
librosa = pytest.importorskip("librosa", reason="librosa is a training extra (requirements.txt installs it)")


def test_log_mel_matches_librosa():
    x = load_audio(os.path.join(ROOT, "sample_scenes", "dialogue.wav")).samples
    ours = F.log_mel(x)
    # librosa on the same padded signal: frames start every HOP samples, our window (400-sample Hann at the
    # start of a 512-point frame), power spectrum, HTK mel scale, Slaney area normalisation, log(+floor)
    mel = librosa.feature.melspectrogram(y=F._pad(x), sr=F.SAMPLE_RATE, n_fft=F.N_FFT, hop_length=F.HOP,
                                         window=F._window(), center=False, power=2.0, n_mels=F.N_MELS,
                                         fmin=F.FMIN, fmax=F.FMAX, htk=True, norm="slaney")
    ref = np.log(mel.T + F.LOG_FLOOR)
    assert ours.shape == ref.shape == (F.n_frames(len(x)), F.N_MELS)
    assert float(np.abs(ours - ref).max()) < 1e-4


def test_filterbank_matches_librosa():
    fb = librosa.filters.mel(sr=F.SAMPLE_RATE, n_fft=F.N_FFT, n_mels=F.N_MELS, fmin=F.FMIN, fmax=F.FMAX, htk=True,
                             norm="slaney")
    assert float(np.abs(fb.T - F.mel_filterbank()).max()) < 1e-6


def test_torch_features_match_numpy():
    torch = pytest.importorskip("torch")
    x = load_audio(os.path.join(ROOT, "sample_scenes", "dialogue.wav")).samples[:48000]
    assert float((F.log_mel_torch(x) - torch.from_numpy(F.log_mel(x))).abs().max()) < 1e-3
    assert tuple(F.log_mel_torch(np.zeros(0, np.float32)).shape) == (0, F.N_MELS)
    one = F.log_mel_torch(x[:100])  # 100 samples: one frame
    assert tuple(one.shape) == (1, F.N_MELS) and float((one - torch.from_numpy(F.log_mel(x[:100]))).abs().max()) < 1e-3
