"""The confidence calibration's curve: monotone, exact without a prior, never 0 / 100 % on a handful of phones."""
import numpy as np
import pytest

from lipsync.training.calibrate_confidence import KNOTS, calibration_error, fit_isotonic


def test_without_a_prior_it_is_the_isotonic_fit():
    x = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 0.9])
    y = np.array([0, 1, 0, 0, 1, 1, 1], float)
    v = np.array(fit_isotonic(x, y, prior=0))
    # pool-adjacent-violators: (1, 0, 0) at 0.2-0.4 pool to 1/3; then 1 from 0.6
    assert np.interp(0.1, KNOTS, v) == pytest.approx(0.0)
    assert np.interp(0.3, KNOTS, v) == pytest.approx(1 / 3)
    assert np.interp(0.9, KNOTS, v) == pytest.approx(1.0)
    assert np.all(np.diff(v) >= -1e-12)


def test_a_prior_keeps_sparse_stretches_off_0_and_1_and_the_curve_monotone():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(0.0, 0.1, 4), rng.uniform(0.5, 1.0, 400)])
    y = np.concatenate([np.zeros(4), rng.random(400) < 0.5 + 0.5 * (x[4:] - 0.5)]).astype(float)
    v = np.array(fit_isotonic(x, y, prior=3))
    assert np.all(np.diff(v) >= -1e-12) and len(v) == len(KNOTS)
    assert 0.0 < v[0] < 0.5  # four wrong phones: low, but not "certainly wrong"
    assert v[-1] < 1.0
    assert fit_isotonic(x, y, prior=0)[0] == 0.0


def test_calibration_error():
    y = np.array([1, 0, 1, 1], float)
    assert calibration_error(y.copy(), y) == (0.0, 0.0)
    brier, ece = calibration_error(np.full(4, 0.75), y)
    assert brier == pytest.approx(0.1875) and ece == pytest.approx(0.0)
    brier, ece = calibration_error(np.full(4, 0.95), y)
    assert ece == pytest.approx(0.2)
