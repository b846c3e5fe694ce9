"""bench/bench_channel.py's channels do what its docstring says (the figures it prints depend on it)."""
import importlib.util
import os

import numpy as np
import pytest

pytest.importorskip("scipy")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _bench():
    spec = importlib.util.spec_from_file_location("bench_channel", os.path.join(ROOT, "bench", "bench_channel.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _band_db(x, sr, lo, hi):
    f = np.abs(np.fft.rfft(x)) ** 2
    hz = np.fft.rfftfreq(len(x), 1 / sr)
    return 10 * np.log10(f[(hz >= lo) & (hz < hi)].sum() / f.sum())


def test_channels_shape_the_spectrum_keep_the_level_and_repeat():
    b = _bench()
    sr = 16000
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(sr) * 0.1).astype(np.float32)  # white: equal energy per Hz
    assert np.array_equal(b.play(x, sr, "clean", 0), x)
    rms = np.sqrt(np.mean(x.astype(np.float64) ** 2))
    for ch in b.CHANNELS[1:]:
        y = b.play(x, sr, ch, seed=5)
        assert y.shape == x.shape and y.dtype == np.float32
        assert np.sqrt(np.mean(y.astype(np.float64) ** 2)) == pytest.approx(rms, rel=0.02)
        assert np.array_equal(y, b.play(x, sr, ch, seed=5))  # seeded: every run hears the same audio
    phone = b.play(x, sr, "phone", 0)
    assert _band_db(phone, sr, 300, 3400) > -0.5 and _band_db(phone, sr, 5000, 8000) < -30
    muffled, hiss, tape = (b.play(x, sr, c, 0) for c in ("muffled", "muffled+hiss", "old tape"))
    assert _band_db(muffled, sr, 0, 1200) > -0.5 and _band_db(muffled, sr, 3000, 8000) < -40
    # the hiss fills the top bands back in (35 dB under the speech; tape: 30 dB, with a lower cut-off)
    assert -32 < _band_db(hiss, sr, 3000, 8000) < -22 and -26 < _band_db(tape, sr, 3000, 8000) < -15
    assert _band_db(tape, sr, 1000, 3000) < _band_db(hiss, sr, 1000, 3000)
    with pytest.raises(ValueError, match="unknown channel"):
        b.play(x, sr, "radio", 0)
