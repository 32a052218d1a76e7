"""Tests of wirg.statistics: integrated autocorrelation times and the Binder cumulant with its jackknife."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from wirg.lattice_phi4 import phi4
from wirg.statistics import AutocorrelationWarning, binder_cumulant, integrated_autocorrelation_time

# ------------------------------------------------------------------------------ autocorrelation


def test_autocorrelation_time_of_ar1() -> None:
    a = 0.8  # rho(t) = a^t, tau_int = 1/2 + a / (1 - a) = (1 + a) / (2 (1 - a)) = 4.5
    noise = np.random.default_rng(0).standard_normal(100_000)
    x = signal.lfilter([np.sqrt(1 - a * a)], [1.0, -a], noise)
    result = integrated_autocorrelation_time(x)
    assert abs(result.tau - 4.5) < 4.0 * result.error
    assert result.window >= 6.0 * result.tau and result.n == x.size
    white = integrated_autocorrelation_time(noise)
    assert abs(white.tau - 0.5) < 4.0 * white.error


def test_autocorrelation_time_warnings_and_bad_input() -> None:
    x = signal.lfilter([1.0], [1.0, -0.99], np.random.default_rng(1).standard_normal(300))
    with pytest.warns(AutocorrelationWarning):
        integrated_autocorrelation_time(x)
    with pytest.raises(ValueError, match="constant"):
        integrated_autocorrelation_time(np.ones(10))
    with pytest.raises(ValueError, match="length"):
        integrated_autocorrelation_time([1.0, 2.0])
    with pytest.raises(ValueError, match="c"):
        integrated_autocorrelation_time(x, c=0.0)


# ------------------------------------------------------------------------------ Binder cumulant


def test_binder_cumulant_limits_and_jackknife() -> None:
    rng = np.random.default_rng(3)
    ordered = np.where(rng.random(100) < 0.5, -1.0, 1.0)[:, None, None] * np.ones((100, 4, 4))
    result = binder_cumulant(ordered)
    assert np.isclose(result.value, 2.0 / 3.0) and result.error < 1e-12
    gaussian = rng.standard_normal((20000, 1, 1))
    result = binder_cumulant(gaussian)
    assert abs(result.value) < 4.0 * result.error and 0.005 < result.error < 0.02
    blocked = binder_cumulant(gaussian, n_blocks=50)
    assert blocked.value == result.value and 0.5 < blocked.error / result.error < 2.0
    # the jackknife error matches the spread over independent sets
    replicas = [binder_cumulant(rng.standard_normal((2000, 1, 1))) for _ in range(200)]
    spread = np.std([r.value for r in replicas])
    assert 0.8 < spread / np.mean([r.error for r in replicas]) < 1.25
    with pytest.raises(ValueError, match="n_blocks"):
        binder_cumulant(gaussian[:10], n_blocks=11)
    with pytest.raises(ValueError, match="samples"):
        binder_cumulant(np.ones((1, 4, 4)))


def test_binder_cumulant_of_phi4_orders_with_beta() -> None:
    disordered = binder_cumulant(phi4(8, 0.5, 1000, seed=1))
    ordered = binder_cumulant(phi4(8, 0.76, 1000, seed=1))
    assert disordered.value < 0.4 < 0.6 < ordered.value
