"""The log-mel features' parts, each against hand-computed values (fast: no librosa, no torch).

tests/inference/test_features.py checks the whole against librosa; these check what librosa cannot see: the
settings the shipped model was trained with, the VTLP warp, frame counts and spans, window-by-window features.
"""
import math

import numpy as np
import pytest

from lipsync.inference import features as F


def test_the_settings_the_model_was_trained_with():
    """16 kHz, 25 ms Hann window, 10 ms hop, 512-point FFT, 80 mel bands from 20 to 7600 Hz, log floor 1e-6."""
    assert (F.SAMPLE_RATE, F.HOP, F.WIN, F.N_FFT, F.N_MELS) == (16000, 160, 400, 512, 80)
    assert (F.FMIN, F.FMAX, F.LOG_FLOOR) == (20.0, 7600.0, 1e-6)
    fb = F.mel_filterbank()
    assert fb.shape == (257, 80) and fb.dtype == np.float32
    # the lowest band starts above 20 Hz (bin 0 = 0 Hz is outside every band), the highest ends at 7600 Hz:
    # bins are 31.25 Hz apart, so bin 243 (7593.75 Hz) is in the top band and bin 244 (7625 Hz) in none
    assert not fb[0].any() and fb[1, 0] > 0
    assert fb[243, 79] > 0 and not fb[244:].any()


def test_mel_scale_is_htk():
    assert float(F.hz_to_mel(700.0)) == pytest.approx(2595.0 * math.log10(2.0))
    assert float(F.hz_to_mel(0.0)) == 0.0
    assert float(F.mel_to_hz(2595.0)) == pytest.approx(700.0 * 9.0)
    f = np.array([20.0, 440.0, 7600.0])
    assert np.allclose(F.mel_to_hz(F.hz_to_mel(f)), f)


def test_window_is_a_400_sample_hann_at_the_start_of_the_frame():
    w = F._window()
    assert w.shape == (512,) and w.dtype == np.float32
    assert not w[400:].any() and w[0] > 0 and w[399] > 0
    assert np.allclose(w[:400], w[:400][::-1])
    n = np.arange(400)
    assert np.allclose(w[:400], 0.5 - 0.5 * np.cos(2 * np.pi * (n + 1) / 401), atol=1e-7)


def test_vtlp_warp_is_piecewise_linear():
    f = np.array([0.0, 1000.0, 4000.0, 6400.0, 8000.0])
    assert F._vtlp_warp(f, 1.0, 8000.0) is f
    # alpha 0.9: cut-off 4800 * 0.9 / 0.9 = 4800 Hz; above it a line from (4800, 4320) to (8000, 8000)
    assert np.allclose(F._vtlp_warp(f, 0.9, 8000.0), [0.0, 900.0, 3600.0, 8000.0 - 3680.0 * 1600.0 / 3200.0, 8000.0])
    # alpha 1.1: cut-off 4800 / 1.1 Hz, which maps to 4800 Hz; then a line to (8000, 8000)
    cut = 4800.0 / 1.1
    g = np.array([1000.0, cut, 0.5 * (cut + 8000.0), 8000.0])
    assert np.allclose(F._vtlp_warp(g, 1.1, 8000.0), [1100.0, 4800.0, 0.5 * (4800.0 + 8000.0), 8000.0])
    # the f_hi argument moves the cut-off
    assert np.allclose(F._vtlp_warp(np.array([2000.0, 4000.0]), 0.5, 8000.0, f_hi=2000.0),
                       [1000.0, 8000.0 - (8000.0 - 1000.0) * 4000.0 / 6000.0])


def test_vtlp_moves_the_filters():
    plain, warped = F.mel_filterbank(), F.mel_filterbank(vtlp=1.1)
    # warping the analysis frequencies up by 10 % moves each band's peak to a lower FFT bin
    assert warped.shape == plain.shape and not np.array_equal(plain, warped)
    peaks_plain, peaks_warped = plain.argmax(0), warped.argmax(0)
    assert np.all(peaks_warped[10:60] < peaks_plain[10:60])
    assert np.array_equal(F.mel_filterbank(vtlp=1.0), plain)


def test_filter_triangles_and_area_normalisation():
    """Band m rises from edge m to edge m + 1 and falls to edge m + 2, scaled by 2 / (edge m+2 - edge m)."""
    fb = F.mel_filterbank(n_mels=4, n_fft=16, sr=16000, fmin=0.0, fmax=8000.0)
    edges = F.mel_to_hz(np.linspace(0.0, F.hz_to_mel(8000.0), 6))
    bins = np.arange(9) * 1000.0
    for m in range(4):
        lo, c, hi = edges[m:m + 3]
        tri = np.clip(np.minimum((bins - lo) / (c - lo), (hi - bins) / (hi - c)), 0, None)
        assert np.allclose(fb[:, m], tri * 2.0 / (hi - lo), rtol=1e-6)
    # VTLP 1.1 evaluates the same triangles at warped bin frequencies: below the cut-off 4800 / 1.1 Hz times 1.1,
    # above it a line from (4800 / 1.1, 4800) to (8000, 8000) (the Nyquist frequency stays put)
    warped = np.array([0.0, 1100.0, 2200.0, 3300.0, 4400.0]
                      + [8000.0 - 3200.0 * (8000.0 - f) / (8000.0 - 4800.0 / 1.1) for f in (5000.0, 6000.0, 7000.0)]
                      + [8000.0])
    assert np.allclose(warped[5:8], [5360.0, 6240.0, 7120.0])
    fbw = F.mel_filterbank(n_mels=4, n_fft=16, sr=16000, fmin=0.0, fmax=8000.0, vtlp=1.1)
    for m in range(4):
        lo, c, hi = edges[m:m + 3]
        tri = np.clip(np.minimum((warped - lo) / (c - lo), (hi - warped) / (hi - c)), 0, None)
        assert np.allclose(fbw[:, m], tri * 2.0 / (hi - lo), rtol=1e-5, atol=1e-9)


def test_frame_counts_and_padding():
    assert [F.n_frames(n) for n in (0, 1, 160, 161, 320, 16000)] == [0, 1, 1, 2, 2, 100]
    x = np.arange(1, 321, dtype=np.float32)
    p = F._pad(x)
    # 120 zeros on the left (half a window minus half a hop), then the samples, zeros up to (2 - 1) * 160 + 512
    assert len(p) == 672 and not p[:120].any() and np.array_equal(p[120:440], x) and not p[440:].any()
    assert len(F._pad(np.ones(2000, np.float32))) == 12 * 160 + 512 + 0 * 1  # 13 frames; 2120 <= 2432: no clip


def test_frame_span():
    assert F.frame_span(0, 1, 100000) == (0, 392)  # frame 0 reads samples -120 .. 392
    assert F.frame_span(10, 5, 100000) == (1480, 14 * 160 - 120 + 512)
    assert F.frame_span(10, 5, 2000) == (1480, 2000)


def test_silence_is_the_log_floor():
    out = F.log_mel(np.zeros(1600, np.float32))
    assert out.shape == (10, 80) and out.dtype == np.float32
    assert np.all(out == np.float32(np.log(1e-6)))
    assert F.log_mel(np.zeros(0, np.float32)).shape == (0, 80)
    assert F.log_mel_frames(np.zeros(100), 0, 0, 0, 100, n_mels=7).shape == (0, 7)


def test_a_tone_lights_the_band_around_its_frequency():
    t = np.arange(16000) / 16000.0
    out = F.log_mel(np.sin(2 * np.pi * 1000.0 * t).astype(np.float32))
    band = int(out[50].argmax())
    edges = F.mel_to_hz(np.linspace(F.hz_to_mel(20.0), F.hz_to_mel(7600.0), 82))
    assert edges[band] < 1000.0 < edges[band + 2]
    # features are log power: twice the amplitude adds log 4 wherever the tone is far above the floor
    louder = F.log_mel((2.0 * np.sin(2 * np.pi * 1000.0 * t)).astype(np.float32))
    lit = out[50] > math.log(1e-6) + 12
    assert lit.sum() >= 3 and np.allclose(louder[50, lit] - out[50, lit], math.log(4.0), atol=1e-3)


def test_window_by_window_equals_the_whole_clip():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(4100 * 160 + 37).astype(np.float32)  # more frames than one 4096-frame block
    whole = F.log_mel(x)
    assert whole.shape == (4101, 80)
    for first, count in ((0, 7), (100, 50), (4090, 11), (0, 4101)):
        a, b = F.frame_span(first, count, len(x))
        part = F.log_mel_frames(x[a:b], a, first, count, len(x))
        assert np.allclose(part, whole[first:first + count], atol=1e-4), (first, count)
    # one frame; a segment reaching beyond the samples the frames read
    a, b = F.frame_span(2000, 1, len(x))
    assert np.allclose(F.log_mel_frames(x[a:b], a, 2000, 1, len(x)), whole[2000:2001], atol=1e-4)
    a, b = F.frame_span(100, 50, len(x))
    assert np.allclose(F.log_mel_frames(x[a - 300:b + 1000], a - 300, 100, 50, len(x)), whole[100:150], atol=1e-4)
    # no frames need no samples
    assert F.log_mel_frames(np.zeros(0, np.float32), 500, 10, 0, len(x)).shape == (0, 80)
    # a segment that does not hold every sample the frames read
    a, b = F.frame_span(100, 50, len(x))
    with pytest.raises(ValueError) as e:
        F.log_mel_frames(x[a + 1:b], a + 1, 100, 50, len(x))
    assert str(e.value) == f"frames 100..150 read samples {a}..{b}, outside the given {a + 1}..{b}"
    with pytest.raises(ValueError):
        F.log_mel_frames(x[a:b - 1], a, 100, 50, len(x))
    # vtlp reaches the filterbank
    assert np.allclose(F.log_mel_frames(x[:b], 0, 100, 50, len(x), vtlp=1.1), F.log_mel(x[:b + 5000], vtlp=1.1)[100:150],
                       atol=1e-4)
