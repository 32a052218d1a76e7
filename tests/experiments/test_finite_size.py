"""Crossing-point estimate and extrapolation in 1/N, on synthetic data with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

from statlearn.experiments import crossing_point, extrapolate_to_infinite_N

ALPHA = np.linspace(1.6, 2.4, 9)
TRUE_CROSSING, TRUE_WIDTH, N_SAMPLES = 2.03, 0.12, 300


def _synthetic_counts(seed: int) -> np.ndarray:
    p = expit(-(ALPHA - TRUE_CROSSING) / TRUE_WIDTH)
    return np.random.default_rng(seed).binomial(N_SAMPLES, p)


@pytest.mark.parametrize("degree", [1, 2])
def test_crossing_recovers_known_logistic(degree):
    estimate = crossing_point(ALPHA, _synthetic_counts(0), N_SAMPLES, degree=degree)
    assert abs(estimate.alpha_half - TRUE_CROSSING) < 3.0 * estimate.stderr
    assert estimate.stderr < 0.02
    assert estimate.width == pytest.approx(TRUE_WIDTH, rel=0.3)
    assert estimate.dof == len(ALPHA) - degree - 1


@pytest.mark.parametrize("degree", [1, 2])
def test_crossing_error_bar_has_nominal_coverage(degree):
    pulls = []
    for seed in range(400):
        estimate = crossing_point(ALPHA, _synthetic_counts(seed), N_SAMPLES, degree=degree)
        pulls.append((estimate.alpha_half - TRUE_CROSSING) / estimate.stderr)
    pulls = np.abs(pulls)
    # 68.3% and 95.4% within 1 and 2 standard errors; +-0.07 and +-0.035 are ~3 binomial sigmas
    assert abs(np.mean(pulls < 1.0) - 0.683) < 0.07
    assert abs(np.mean(pulls < 2.0) - 0.954) < 0.035


def test_crossing_alpha_range_and_increasing_curves():
    counts = _synthetic_counts(1)
    inside = crossing_point(ALPHA, counts, N_SAMPLES, alpha_range=(1.8, 2.3))
    assert abs(inside.alpha_half - TRUE_CROSSING) < 3.0 * inside.stderr
    assert inside.dof == 3
    mirrored = crossing_point(-ALPHA, counts, N_SAMPLES)  # a rising curve crossing at -2.03
    assert mirrored.alpha_half == pytest.approx(-crossing_point(ALPHA, counts, N_SAMPLES).alpha_half, abs=1e-9)


def test_crossing_of_the_exact_cover_curve():
    # noise-free counts from Cover's P(Bin(P-1, 1/2) <= N-1), which is exactly 1/2 at P = 2N; the
    # curve is skewed, which the quadratic logit absorbs and the plain logistic does not
    N = 50
    P = np.arange(80, 121, 5)
    exact = np.array([sum(math.comb(int(p) - 1, j) for j in range(N)) / 2.0 ** (p - 1) for p in P])
    n = 10**9
    quadratic = crossing_point(P / N, np.round(n * exact), n)
    linear = crossing_point(P / N, np.round(n * exact), n, degree=1)
    assert quadratic.alpha_half == pytest.approx(2.0, abs=1e-3)
    assert linear.alpha_half - 2.0 > 3e-3


def test_crossing_exact_for_symmetric_data():
    # counts symmetric about 2.0 (k and n - k mirrored): the MLE crossing is exactly 2.0
    alpha = np.array([1.8, 1.9, 2.0, 2.1, 2.2])
    for degree in (1, 2):
        estimate = crossing_point(alpha, [95, 80, 50, 20, 5], 100, degree=degree)
        assert estimate.alpha_half == pytest.approx(2.0, abs=1e-12)


def test_crossing_validation():
    with pytest.raises(ValueError, match="two loads"):
        crossing_point([1.0, 2.0, 3.0], [10, 5, 0], 10)
    with pytest.raises(ValueError, match="n_solvable"):
        crossing_point([1.0, 2.0], [11, 5], 10)
    with pytest.raises(ValueError, match="n_samples"):
        crossing_point([1.0, 2.0], [1, 0], 0)
    with pytest.raises(ValueError, match="alpha"):
        crossing_point([1.0, np.nan], [5, 3], 10)
    with pytest.raises(ValueError, match="degree"):
        crossing_point([1.0, 2.0], [7, 3], 10)  # two loads cannot fix a quadratic
    with pytest.raises(ValueError, match="degree"):
        crossing_point([1.0, 2.0], [7, 3], 10, degree=0)


def test_extrapolation_of_exact_data():
    N = np.array([25.0, 50.0, 100.0, 200.0])
    linear = extrapolate_to_infinite_N(N, 2.0 - 3.0 / N, np.full(4, 0.01))
    assert linear.value == pytest.approx(2.0, abs=1e-12)
    np.testing.assert_allclose(linear.coefficients, [2.0, -3.0], atol=1e-10)
    assert linear.chi2 == pytest.approx(0.0, abs=1e-18) and linear.dof == 2
    quadratic = extrapolate_to_infinite_N(N, 0.83 + 1.5 / N - 20.0 / N**2, [0.01, 0.02, 0.01, 0.03], degree=2)
    assert quadratic.value == pytest.approx(0.83, abs=1e-12)
    # the standard error of the intercept is that of weighted least squares
    design = np.column_stack([np.ones(4), 1.0 / N])
    weights = np.diag(1.0 / np.full(4, 0.01) ** 2)
    assert linear.stderr == pytest.approx(np.sqrt(np.linalg.inv(design.T @ weights @ design)[0, 0]), rel=1e-10)


def test_extrapolation_error_bar_has_nominal_coverage():
    N = np.array([12.0, 16.0, 20.0, 25.0])
    sigma = np.array([0.004, 0.005, 0.006, 0.008])
    rng = np.random.default_rng(0)
    pulls = []
    for _ in range(2000):
        fit = extrapolate_to_infinite_N(N, 0.83 + 0.9 / N + rng.normal(0.0, sigma), sigma)
        pulls.append((fit.value - 0.83) / fit.stderr)
    assert np.std(pulls) == pytest.approx(1.0, abs=0.05)
    assert abs(np.mean(pulls)) < 0.07


def test_extrapolation_validation():
    with pytest.raises(ValueError, match="stderr"):
        extrapolate_to_infinite_N([10, 20], [1.0, 1.1], [0.1, 0.0])
    with pytest.raises(ValueError, match="distinct"):
        extrapolate_to_infinite_N([10, 10, 20], [1.0, 1.1, 1.2], [0.1, 0.1, 0.1], degree=2)
    with pytest.raises(ValueError, match="N"):
        extrapolate_to_infinite_N([0, 20], [1.0, 1.1], [0.1, 0.1])
