"""Audio loading: formats, rates, channels, bad input."""
import os
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from lipsync.phonemes.audio import AudioError, load_audio, rms_envelope
from lipsync.phonemes.types import INTERNAL_RATE


def tone(sr, seconds=0.5, freq=440.0, channels=1):
    t = np.arange(int(sr * seconds)) / sr
    x = 0.5 * np.sin(2 * np.pi * freq * t).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


@pytest.mark.parametrize("ext,subtype", [("wav", "PCM_16"), ("flac", "PCM_24"), ("ogg", "VORBIS"), ("wav", "FLOAT")])
@pytest.mark.parametrize("sr", [8000, 22050, 44100, 48000])
def test_formats_and_rates(tmp_path, ext, subtype, sr):
    p = tmp_path / f"x.{ext}"
    sf.write(p, tone(sr, channels=2), sr, subtype=subtype)
    a = load_audio(str(p))
    assert a.sample_rate == INTERNAL_RATE
    assert abs(a.duration - 0.5) < 0.01
    assert a.samples.dtype == np.float32 and a.samples.ndim == 1
    # the tone survives resampling: dominant frequency stays 440 Hz
    spec = np.abs(np.fft.rfft(a.samples))
    f = np.argmax(spec) * INTERNAL_RATE / len(a.samples)
    assert abs(f - 440) < 5


def test_mp3(tmp_path):
    p = tmp_path / "x.mp3"
    try:
        sf.write(p, tone(44100), 44100, format="MP3")
    except Exception:
        pytest.skip("this libsndfile cannot write MP3")
    a = load_audio(str(p))
    assert abs(a.duration - 0.5) < 0.06


def test_many_channels_are_mixed_down(tmp_path):
    p = tmp_path / "six.wav"
    sf.write(p, tone(48000, channels=6), 48000)
    a = load_audio(str(p))
    assert a.samples.ndim == 1 and abs(a.duration - 0.5) < 0.01


@pytest.mark.parametrize("ext", ["wav", "flac"])
def test_stereo_mixes_both_channels(tmp_path, ext):
    """Dialogue on one channel only (a common two-mic recording): the mono mix carries it, at half level, and
    carries what is only on the other channel too."""
    sr = 16000
    left = tone(sr, freq=440.0)
    right = np.zeros_like(left)
    right[: sr // 4] = tone(sr, seconds=0.25, freq=1000.0)
    p = tmp_path / f"lr.{ext}"
    sf.write(p, np.stack([right, left], axis=1), sr)  # dialogue on the SECOND channel
    a = load_audio(str(p))
    spec = np.abs(np.fft.rfft(a.samples))
    freqs = np.fft.rfftfreq(len(a.samples), 1 / sr)
    assert spec[np.argmin(np.abs(freqs - 440))] > 0.2 * spec.max()
    assert spec[np.argmin(np.abs(freqs - 1000))] > 0.2 * spec.max()
    # second half: only the 440 Hz channel, mixed at half its level (peak 0.5 -> 0.25)
    assert np.max(np.abs(a.samples[sr // 4 + 100:])) == pytest.approx(0.25, abs=0.02)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_ffmpeg_fallback_reads_m4a(tmp_path):
    src = tmp_path / "a.wav"
    sf.write(src, tone(44100), 44100)
    dst = tmp_path / "a.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-c:a", "aac", str(dst)], check=True)
    a = load_audio(str(dst))
    assert abs(a.duration - 0.5) < 0.1


def test_missing_file():
    with pytest.raises(AudioError, match="not found"):
        load_audio("/nonexistent/dialogue.wav")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        load_audio(str(p))


def test_corrupt_file(tmp_path):
    p = tmp_path / "corrupt.wav"
    p.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + os.urandom(2000))
    with pytest.raises(AudioError, match="Could not read"):
        load_audio(str(p))


def test_zero_samples(tmp_path):
    p = tmp_path / "nothing.wav"
    sf.write(p, np.zeros(0, np.float32), 16000)
    with pytest.raises(AudioError):
        load_audio(str(p))


def test_silence_is_valid(tmp_path):
    p = tmp_path / "silence.wav"
    sf.write(p, np.zeros(16000, np.float32), 16000)
    a = load_audio(str(p))
    assert a.duration == 1.0 and not a.samples.any()
    env = rms_envelope(a)
    assert len(env) == 100 and env.max() == 0
