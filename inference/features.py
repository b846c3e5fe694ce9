"""Log-mel features for the audio-to-viseme model (numpy and torch; no torchaudio).

16 kHz audio, 25 ms Hann window, 10 ms hop, 512-point FFT, 80 mel bands
(HTK mel scale, triangular filters built here). Frame ``t`` covers the
samples around ``t * hop + hop / 2`` (the signal is padded by half a window
minus half a hop on each side), so frame ``t`` describes the interval
``[t * 0.01, (t + 1) * 0.01)`` seconds and a clip of N samples gives
``ceil(N / hop)`` frames.

``vtlp`` warps the filterbank's frequency axis (vocal tract length
perturbation, piecewise linear as in Jaitly & Hinton 2013) for augmentation.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16000
HOP = 160
WIN = 400
N_FFT = 512
N_MELS = 80
FMIN = 20.0
FMAX = 7600.0
LOG_FLOOR = 1e-6


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def _vtlp_warp(freqs: np.ndarray, alpha: float, fmax: float, f_hi: float = 4800.0) -> np.ndarray:
    """Piecewise-linear frequency warp: f*alpha below a cut-off, then linear to fmax."""
    if alpha == 1.0:
        return freqs
    cut = f_hi * min(alpha, 1.0) / alpha
    out = np.where(
        freqs <= cut,
        freqs * alpha,
        fmax - (fmax - alpha * cut) * (fmax - freqs) / max(fmax - cut, 1e-6),
    )
    return out


@lru_cache(maxsize=32)
def mel_filterbank(n_mels: int = N_MELS, n_fft: int = N_FFT, sr: int = SAMPLE_RATE,
                   fmin: float = FMIN, fmax: float = FMAX, vtlp: float = 1.0) -> np.ndarray:
    """Triangular mel filters, shape [n_fft // 2 + 1, n_mels] (float32)."""
    bin_hz = np.arange(n_fft // 2 + 1) * sr / n_fft
    # warp the analysis frequencies (equivalently, move the filters the other way)
    warped = _vtlp_warp(bin_hz, vtlp, sr / 2.0)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fb = np.zeros((len(bin_hz), n_mels), dtype=np.float64)
    for m in range(n_mels):
        lo, c, hi = edges[m], edges[m + 1], edges[m + 2]
        up = (warped - lo) / max(c - lo, 1e-9)
        down = (hi - warped) / max(hi - c, 1e-9)
        fb[:, m] = np.clip(np.minimum(up, down), 0.0, None)
    # Slaney-style area normalisation keeps band energies comparable
    fb *= (2.0 / (edges[2:] - edges[:-2]))[None, :]
    return fb.astype(np.float32)


@lru_cache(maxsize=1)
def _window() -> np.ndarray:
    w = np.zeros(N_FFT, dtype=np.float32)
    w[:WIN] = np.hanning(WIN + 2)[1:-1].astype(np.float32)
    return w


def n_frames(n_samples: int) -> int:
    return int(math.ceil(n_samples / HOP))


def _pad(samples: np.ndarray) -> np.ndarray:
    left = (WIN - HOP) // 2
    n = n_frames(len(samples))
    total = (n - 1) * HOP + N_FFT
    right = max(total - left - len(samples), 0)
    return np.pad(samples.astype(np.float32, copy=False), (left, right))


def log_mel(samples: np.ndarray, vtlp: float = 1.0, n_mels: int = N_MELS) -> np.ndarray:
    """Log-mel features [T, n_mels] float32 of 16 kHz mono samples (numpy, chunked for bounded memory)."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    return log_mel_frames(x, 0, 0, n_frames(len(x)), len(x), vtlp=vtlp, n_mels=n_mels)


def frame_span(first: int, count: int, n_samples: int) -> tuple[int, int]:
    """The clip samples ``[a, b)`` that frames ``first .. first + count - 1`` read (within the clip)."""
    left = (WIN - HOP) // 2
    return max(first * HOP - left, 0), min((first + count - 1) * HOP - left + N_FFT, n_samples)


def log_mel_frames(segment: np.ndarray, seg_start: int, first: int, count: int, n_samples: int,
                   vtlp: float = 1.0, n_mels: int = N_MELS) -> np.ndarray:
    """Frames ``first .. first + count - 1`` of :func:`log_mel` of a clip of ``n_samples`` samples, from
    ``segment`` = the clip's samples from index ``seg_start`` on, which must hold every sample of the
    clip those frames read (:func:`frame_span`). The same numbers as the whole clip's features: this is
    how a long clip is featurised window by window."""
    if count <= 0:
        return np.zeros((0, n_mels), np.float32)
    x = np.asarray(segment, dtype=np.float32).reshape(-1)
    left = (WIN - HOP) // 2
    lo = first * HOP - left  # clip index of the padded signal's first sample
    a, b = frame_span(first, count, n_samples)
    if a < seg_start or b > seg_start + len(x):
        raise ValueError(f"frames {first}..{first + count} read samples {a}..{b}, outside the given "
                         f"{seg_start}..{seg_start + len(x)}")
    xp = np.zeros((count - 1) * HOP + N_FFT, np.float32)
    if b > a:
        xp[a - lo: b - lo] = x[a - seg_start: b - seg_start]
    fb = mel_filterbank(n_mels, vtlp=float(vtlp))
    win = _window()
    out = np.empty((count, n_mels), np.float32)
    step = 4096  # frames per block: ~8 MB of spectra at a time
    for s in range(0, count, step):
        e = min(count, s + step)
        idx = (np.arange(s, e) * HOP)[:, None] + np.arange(N_FFT)[None, :]
        frames = xp[idx] * win
        spec = np.fft.rfft(frames, n=N_FFT, axis=1)
        power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
        out[s:e] = np.log(power @ fb + LOG_FLOOR)
    return out


def log_mel_torch(samples, n_mels: int = N_MELS):
    """The same features computed with torch (``samples``: 1-D tensor or array); returns a [T, n_mels] tensor."""
    import torch

    x = torch.as_tensor(np.asarray(samples, dtype=np.float32)).reshape(-1)
    T = n_frames(x.numel())
    if T == 0:
        return torch.zeros((0, n_mels))
    xp = torch.from_numpy(_pad(x.numpy()))
    frames = xp.unfold(0, N_FFT, HOP)[:T] * torch.from_numpy(_window())
    spec = torch.fft.rfft(frames, n=N_FFT, dim=1)
    power = spec.real ** 2 + spec.imag ** 2
    return torch.log(power @ torch.from_numpy(mel_filterbank(n_mels)) + LOG_FLOOR)


__all__ = ["log_mel", "log_mel_frames", "frame_span", "log_mel_torch", "mel_filterbank", "n_frames", "hz_to_mel", "mel_to_hz",
           "SAMPLE_RATE", "HOP", "WIN", "N_FFT", "N_MELS"]
