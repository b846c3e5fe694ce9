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


# ---------------------------------------------------------------- details
from lipsync.phonemes import audio as A  # noqa: E402
from lipsync.phonemes.types import Audio  # noqa: E402


def test_messages_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(AudioError) as e:
        load_audio(str(tmp_path))
    assert str(e.value) == f"{tmp_path} is a folder, not an audio file."
    p = tmp_path / "e.wav"
    p.write_bytes(b"")
    with pytest.raises(AudioError) as e:
        load_audio(str(p))
    assert str(e.value) == f"Audio file is empty (0 bytes): {p}. Re-export the dialogue and try again."
    with pytest.raises(AudioError) as e:
        load_audio(str(tmp_path / "gone.wav"))
    assert str(e.value).startswith(f"Audio file not found: {tmp_path / 'gone.wav'}. Check the path")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + b"\x00" * 100)
    with pytest.raises(AudioError) as e:
        load_audio(str(bad))
    assert str(e.value).startswith("Could not read bad.wav as audio (corrupt or unsupported format). Convert it to "
                                   "WAV or FLAC (e.g. `ffmpeg -i INPUT output.wav`) and try again. Details: soundfile:")


def test_integer_and_unnormalised_data_is_scaled_and_nan_cleaned(tmp_path, monkeypatch):
    x = np.array([0.0, 2.0, -4.0, np.nan, np.inf, -np.inf, 1.0], np.float32)
    monkeypatch.setattr(A, "_read_soundfile", lambda path: (x[:, None], INTERNAL_RATE))
    p = tmp_path / "x.wav"
    p.write_bytes(b"x")
    a = load_audio(str(p))
    # NaN -> 0, +-inf -> +-1 first, then the peak (4) scales everything into [-1, 1]
    assert np.allclose(a.samples, [0.0, 0.5, -1.0, 0.0, 0.25, -0.25, 0.25]) and a.source == str(p)
    monkeypatch.setattr(A, "_read_soundfile", lambda path: (np.zeros((10, 0), np.float32), INTERNAL_RATE))
    with pytest.raises(AudioError, match="has no samples"):
        load_audio(str(p))


def test_resample_and_its_fallback(monkeypatch):
    x = np.sin(np.arange(4800) / 48000 * 2 * np.pi * 440).astype(np.float32)
    y = A.resample(x, 48000, 16000)
    assert len(y) == 1600 and y.dtype == np.float32
    assert A.resample(x, 16000, 16000) is not None and len(A.resample(x, 16000, 16000)) == 4800
    assert len(A.resample(np.zeros(0, np.float32), 48000, 16000)) == 0
    with pytest.raises(AudioError, match="Invalid sample rate 0 Hz in the audio file; re-export it"):
        A.resample(x, 0, 16000)
    import builtins

    real_import = builtins.__import__

    def no_scipy(name, *args, **kw):
        if name.startswith("scipy"):
            raise ImportError(name)
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_scipy)  # inside Blender without scipy: linear interpolation
    z = A.resample(np.array([0.0, 1.0, 2.0, 3.0], np.float32), 2, 4)
    assert np.allclose(z, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.0]) and z.dtype == np.float32


def test_from_array():
    a = A.from_array(np.stack([np.ones(4800), np.zeros(4800)], 1), 48000, source="mic")
    assert a.sample_rate == INTERNAL_RATE and len(a.samples) == 1600 and a.source == "mic"
    assert np.allclose(a.samples[100:1500], 0.5, atol=1e-3)  # the two channels averaged
    with pytest.raises(AudioError, match="Invalid sample rate -1"):
        A.from_array(np.zeros(10), -1)


def test_rms_envelope_values():
    sr = 1000
    x = np.zeros(100, np.float32)
    x[50:] = 0.5
    env = rms_envelope(Audio(x, sr), hop=0.01, win=0.02)
    assert len(env) == 10 and env.dtype == np.float32
    # frame k averages x[k*10 - 10 : k*10 + 10] (window centred on the frame's start)
    assert env[0] == 0.0 and env[3] == 0.0 and env[5] == pytest.approx(np.sqrt(0.125), abs=1e-6)
    assert env[7] == pytest.approx(0.5, abs=1e-6)
    assert len(rms_envelope(Audio(np.zeros(0, np.float32), sr))) == 0


def test_blenders_audio_module_is_the_last_reader(tmp_path, monkeypatch):
    import sys
    import types

    class Sound:
        def __init__(self, path):
            self.path = path

        @property
        def specs(self):
            return (44100, 2)

        def rechannel(self, n):
            assert n == 1
            return self

        def resample(self, rate, quality):
            assert rate == INTERNAL_RATE
            return self

        def data(self):
            return np.full((800, 1), 0.25, np.float32)

    monkeypatch.setitem(sys.modules, "aud", types.SimpleNamespace(Sound=Sound))
    def _read_soundfile(path):
        raise RuntimeError("no libsndfile")

    monkeypatch.setattr(A, "_read_soundfile", _read_soundfile)
    monkeypatch.setattr(A, "_read_ffmpeg", lambda p: None)
    p = tmp_path / "x.m4a"
    p.write_bytes(b"x")
    a = load_audio(str(p))
    assert len(a.samples) == 800 and np.allclose(a.samples, 0.25)
    monkeypatch.setitem(sys.modules, "aud", None)  # not in Blender: no aud module
    with pytest.raises(AudioError, match="soundfile: no libsndfile"):
        load_audio(str(p))


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_ffmpeg_reader_errors(tmp_path):
    p = tmp_path / "junk.mp4"
    p.write_bytes(b"\x00" * 1000)
    with pytest.raises(RuntimeError):
        A._read_ffmpeg(str(p))
