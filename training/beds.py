"""Synthetic sounds without a voice, and beds to mix under dialogue (benchmarks and tests).

Everything is generated here (no recordings, nothing to license), deterministic per seed, 16 kHz
float32 mono:

- :func:`white_noise`, :func:`pink_noise`, :func:`room_tone` (brown rumble + mains hum + hiss);
- :func:`tone`, :func:`chord` (sustained harmonic tones), :func:`clicks` (silence with clicks);
- :func:`breathing` (band-passed noise swelling in and out, ~4 s cycles);
- :func:`music` (a pad of harmonic chords changing every bar, a bass note, kick and hi-hat on
  the beat: a temp score);
- :func:`noise_and_music_bed` = room tone + pink noise + music, and :func:`mix_at_snr` (speech
  level over the bed, measured on the speech's loud frames).
"""
from __future__ import annotations

import numpy as np

SR = 16000


def _rng(seed):
    return np.random.default_rng(seed)


def _norm(x: np.ndarray, peak: float = 0.3) -> np.ndarray:
    m = float(np.max(np.abs(x))) if x.size else 0.0
    return (x * (peak / m) if m > 0 else x).astype(np.float32)


def white_noise(seconds: float, seed=0, level: float = 0.1) -> np.ndarray:
    return (_rng(seed).standard_normal(int(seconds * SR)) * level).astype(np.float32)


def _coloured(seconds, seed, power) -> np.ndarray:
    n = int(seconds * SR)
    spec = np.fft.rfft(_rng(seed).standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SR)
    spec[1:] /= f[1:] ** (power / 2.0)
    spec[0] = 0
    return np.fft.irfft(spec, n)


def pink_noise(seconds: float, seed=0, peak: float = 0.3) -> np.ndarray:
    return _norm(_coloured(seconds, seed, 1.0), peak)


def room_tone(seconds: float, seed=0, peak: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    rumble = _norm(_coloured(seconds, seed, 2.0), 1.0)
    hum = 0.3 * np.sin(2 * np.pi * 50 * t) + 0.1 * np.sin(2 * np.pi * 100 * t)
    hiss = 0.05 * _rng(seed + 1).standard_normal(t.size)
    return _norm(rumble + hum + hiss, peak)


def _harmonic(freq: float, t: np.ndarray, n_harm: int = 6) -> np.ndarray:
    return sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, n_harm + 1) if freq * k < SR / 2)


def tone(seconds: float, freq: float = 440.0, peak: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return _norm(np.sin(2 * np.pi * freq * t), peak)


def chord(seconds: float, freqs=(261.63, 329.63, 392.0), harmonics: int = 6, peak: float = 0.3) -> np.ndarray:
    """A sustained chord (C major by default) of harmonic tones."""
    t = np.arange(int(seconds * SR)) / SR
    return _norm(sum(_harmonic(f, t, harmonics) for f in freqs), peak)


def clicks(seconds: float, every: float = 0.5, seed=0, peak: float = 0.8) -> np.ndarray:
    """Silence (a faint hiss) with short clicks at irregular intervals around ``every`` s."""
    rng = _rng(seed)
    x = (rng.standard_normal(int(seconds * SR)) * 1e-4).astype(np.float32)
    t = rng.uniform(0, every)
    while t < seconds - 0.01:
        i = int(t * SR)
        n = int(0.003 * SR)
        x[i:i + n] += (rng.standard_normal(n) * np.exp(-np.arange(n) / (0.0005 * SR)) * peak).astype(np.float32)
        t += every * rng.uniform(0.5, 1.5)
    return x


def breathing(seconds: float, seed=0, peak: float = 0.2) -> np.ndarray:
    """In- and out-breaths: noise band-passed to 500-2500 Hz, swelling over ~1.5 s, every ~4 s."""
    from scipy.signal import butter, sosfilt

    n = int(seconds * SR)
    t = np.arange(n) / SR
    sos = butter(4, [500, 2500], btype="band", fs=SR, output="sos")
    noise = sosfilt(sos, _rng(seed).standard_normal(n))
    env = np.clip(np.sin(2 * np.pi * t / 4.0), 0, None) ** 2
    return _norm(noise * env, peak)


CHORDS = ((220.0, 277.18, 329.63), (196.0, 246.94, 293.66), (174.61, 220.0, 261.63), (164.81, 207.65, 246.94))


def music(seconds: float, seed=0, bpm: float = 96.0, peak: float = 0.3) -> np.ndarray:
    """A temp score: chord pads changing every bar, a bass note, kick and hi-hat on the beat (seeded order)."""
    rng = _rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    beat = 60.0 / bpm
    bar = 4 * beat
    out = np.zeros(n)
    order = rng.permutation(len(CHORDS))
    for b in range(int(np.ceil(seconds / bar))):
        a, e = int(b * bar * SR), min(n, int((b + 1) * bar * SR))
        if a >= n:
            break
        tt = t[a:e] - b * bar
        freqs = CHORDS[order[b % len(CHORDS)]]
        env = np.minimum(1.0, tt / 0.3) * np.minimum(1.0, (bar - tt) / 0.3)
        out[a:e] += env * sum(_harmonic(f, tt, 5) for f in freqs) * 0.5
        out[a:e] += env * _harmonic(freqs[0] / 2, tt, 3) * 0.6
    for k in range(int(seconds / beat) + 1):
        i = int(k * beat * SR)
        m = min(n - i, int(0.15 * SR))
        if m <= 0:
            break
        tk = np.arange(m) / SR
        out[i:i + m] += 1.2 * np.sin(2 * np.pi * (50 + 80 * np.exp(-tk / 0.03)) * tk) * np.exp(-tk / 0.08)
        j = int((k + 0.5) * beat * SR)
        h = min(n - j, int(0.05 * SR))
        if h > 0:
            out[j:j + h] += 0.3 * rng.standard_normal(h) * np.exp(-np.arange(h) / (0.01 * SR))
    return _norm(out, peak)


def noise_and_music_bed(seconds: float, seed=0) -> np.ndarray:
    """A location recording under a temp score: room tone, pink noise and music (music the loudest)."""
    return _norm(0.5 * room_tone(seconds, seed) + 0.3 * pink_noise(seconds, seed + 2) + music(seconds, seed + 3), 0.3)


def mix_at_snr(speech: np.ndarray, bed: np.ndarray, snr_db: float) -> np.ndarray:
    """``speech`` + ``bed`` scaled so that the speech's loud frames are ``snr_db`` above the bed's mean level."""
    speech = np.asarray(speech, np.float32)
    bed = np.resize(np.asarray(bed, np.float32), speech.shape)
    hop = int(0.02 * SR)
    frames = speech[: len(speech) // hop * hop].reshape(-1, hop) if len(speech) >= hop else speech[None]
    e = np.mean(frames.astype(np.float64) ** 2, axis=1)
    loud = e[e >= 0.1 * e.max()] if e.size and e.max() > 0 else e
    p_speech = float(np.mean(loud)) if loud.size else 0.0
    p_bed = float(np.mean(bed.astype(np.float64) ** 2)) or 1e-12
    gain = np.sqrt(p_speech / p_bed / 10 ** (snr_db / 10.0)) if p_speech > 0 else 0.0
    mix = speech + gain * bed
    m = float(np.max(np.abs(mix)))
    return (mix / m * 0.95 if m > 0.99 else mix).astype(np.float32)


__all__ = ["SR", "white_noise", "pink_noise", "room_tone", "tone", "chord", "clicks", "breathing", "music",
           "noise_and_music_bed", "mix_at_snr"]
