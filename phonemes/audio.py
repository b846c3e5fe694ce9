"""Audio in: any common file (WAV, FLAC, OGG/Opus, MP3, AIFF, ...) -> mono 16 kHz float32.

soundfile (libsndfile) reads the file; when it cannot (an unusual container,
or inside Blender without soundfile) we fall back to ffmpeg on the PATH, then
to Blender's own ``aud`` module. Resampling is a polyphase filter (scipy) or,
without scipy, linear interpolation.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from fractions import Fraction

import numpy as np

from .types import INTERNAL_RATE, Audio
from ..errors import AudioError


SUPPORTED = ".wav .flac .ogg .oga .opus .mp3 .aif .aiff .au .caf .w64 .m4a .aac .mp4 .mov .mkv .webm"


def load_audio(path: str, rate: int = INTERNAL_RATE) -> Audio:
    """Read ``path`` as mono float32 at ``rate`` Hz.

    Raises AudioError with an actionable message when the file is missing,
    unreadable, corrupt or empty. Silence is valid and returned as is.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioError(f"Audio file not found: {path}. Check the path (or the sound strip's file) and try again.")
    if os.path.isdir(path):
        raise AudioError(f"{path} is a folder, not an audio file.")
    if os.path.getsize(path) == 0:
        raise AudioError(f"Audio file is empty (0 bytes): {path}. Re-export the dialogue and try again.")
    errors = []
    data = sr = None
    for reader in (_read_soundfile, _read_ffmpeg, _read_aud):
        try:
            res = reader(path)
        except Exception as exc:  # each reader fails in its own way; keep the reasons
            errors.append(f"{reader.__name__[6:]}: {exc}")
            continue
        if res is not None:
            data, sr = res
            break
    if data is None:
        raise AudioError(
            f"Could not read {os.path.basename(path)} as audio (corrupt or unsupported format). "
            f"Convert it to WAV or FLAC (e.g. `ffmpeg -i INPUT output.wav`) and try again."
            + (f" Details: {'; '.join(errors)}" if errors else "")
        )
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 2:
        data = data.mean(axis=1) if data.shape[1] > 0 else np.zeros(0, np.float32)
    if data.size == 0:
        raise AudioError(f"Audio file has no samples: {path}. Re-export the dialogue and try again.")
    if not np.all(np.isfinite(data)):
        data = np.nan_to_num(data, nan=0.0, posinf=1.0, neginf=-1.0)
    peak = float(np.max(np.abs(data))) if data.size else 0.0
    if peak > 1.0:  # integer or unnormalised float data
        data = data / peak
    return Audio(resample(data, int(sr), rate), rate, path)


def from_array(samples, sample_rate: int, rate: int = INTERNAL_RATE, source: str = "") -> Audio:
    """Wrap samples already in memory (mono or [n, channels]) as internal-rate Audio."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if sample_rate <= 0:
        raise AudioError(f"Invalid sample rate {sample_rate}.")
    return Audio(resample(x, int(sample_rate), rate), rate, source)


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    if sr_in <= 0:
        raise AudioError(f"Invalid sample rate {sr_in} Hz in the audio file; re-export it at 16, 44.1 or 48 kHz.")
    if sr_in == sr_out or x.size == 0:
        return x.astype(np.float32, copy=False)
    frac = Fraction(sr_out, sr_in).limit_denominator(1000)
    try:
        from scipy.signal import resample_poly

        y = resample_poly(x, frac.numerator, frac.denominator)
    except ImportError:
        n_out = int(round(len(x) * sr_out / sr_in))
        y = np.interp(np.arange(n_out) * (sr_in / sr_out), np.arange(len(x)), x)
    return y.astype(np.float32)


def _read_soundfile(path):
    import soundfile as sf

    data, sr = sf.read(path, dtype="float32", always_2d=True)
    return data, sr


def _read_ffmpeg(path):
    exe = shutil.which("ffmpeg")
    if exe is None:
        return None
    proc = subprocess.run(
        [exe, "-v", "error", "-nostdin", "-i", path, "-f", "f32le", "-ac", "1", "-ar", str(INTERNAL_RATE), "-"],
        capture_output=True, timeout=600,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or "ffmpeg failed")
    data = np.frombuffer(proc.stdout, dtype=np.float32)
    if data.size == 0:
        raise RuntimeError("no audio stream")
    return data, INTERNAL_RATE


def _read_aud(path):
    try:
        import aud  # Blender's audio module (ffmpeg inside Blender)
    except ImportError:
        return None
    src = aud.Sound(path)
    src.specs  # raises aud.error on an unreadable file (data() would abort the process instead)
    snd = src.rechannel(1).resample(INTERNAL_RATE, False)
    data = np.asarray(snd.data(), dtype=np.float32).reshape(-1)
    if data.size == 0:
        raise RuntimeError("no audio stream")
    return data, INTERNAL_RATE


def rms_envelope(audio: Audio, hop: float = 0.01, win: float = 0.025) -> np.ndarray:
    """Frame-level RMS loudness (linear), one value per ``hop`` seconds."""
    sr = audio.sample_rate
    h = max(1, int(round(hop * sr)))
    w = max(h, int(round(win * sr)))
    x = audio.samples.astype(np.float32)
    n = int(np.ceil(len(x) / h)) if len(x) else 0
    if n == 0:
        return np.zeros(0, np.float32)
    pad = np.pad(x, (w // 2, w))
    c = np.concatenate([[0.0], np.cumsum(pad.astype(np.float64) ** 2)])
    starts = np.arange(n) * h
    e = (c[starts + w] - c[starts]) / w
    return np.sqrt(np.maximum(e, 0)).astype(np.float32)
