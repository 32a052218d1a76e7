"""ERM closed forms: ridge regression on isotropic data (Hastie et al. 2019)."""

import numpy as np
import pytest

from statlearn.experiments import train
from statlearn.replica.ridge import marchenko_pastur_stieltjes, ridge_isotropic

GAMMAS = np.array([0.2, 0.5, 0.9, 1.1, 2.0, 5.0])


def test_ridgeless_limit_is_hastie_theorems_1_and_2():
    snr, noise = 1.3, 0.4
    exact = np.where(GAMMAS < 1, noise * GAMMAS / (1 - GAMMAS), snr * (1 - 1 / GAMMAS) + noise / (GAMMAS - 1))
    assert ridge_isotropic(GAMMAS, 0.0, snr, noise).risk == pytest.approx(exact, rel=1e-14)
    assert ridge_isotropic(GAMMAS, 1e-10, snr, noise).risk == pytest.approx(exact, rel=1e-6)
    assert np.isinf(ridge_isotropic(1.0, 0.0, snr, noise).risk)


def test_stieltjes_transform_solves_its_equation_and_its_derivative_is_right():
    gamma, lam = np.meshgrid([0.1, 0.9, 1.0, 1.5, 10.0], [1e-6, 0.01, 1.0, 100.0])
    m, dm = marchenko_pastur_stieltjes(gamma, lam)
    b = 1 - gamma + lam  # m is the positive root of gamma lam m^2 + b m - 1 = 0
    terms = np.abs(gamma * lam * m * m) + np.abs(b * m) + 1.0
    assert np.all(m > 0) and np.all(np.abs(gamma * lam * m * m + b * m - 1.0) <= 1e-14 * terms)
    h = 1e-3 * lam  # m'(z) at z = -lam is -d m(-lam) / d lam
    numeric = -(marchenko_pastur_stieltjes(gamma, lam + h)[0] - marchenko_pastur_stieltjes(gamma, lam - h)[0]) / (2 * h)
    assert dm == pytest.approx(numeric, rel=1e-5)  # central differences: O((h / lam)^2) = 1e-6


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_optimal_ridge_is_gamma_noise_over_snr(gamma):
    """Dobriban & Wager: the risk is stationary (a minimum) at lambda* = gamma sigma^2 / r^2."""
    snr, noise = 1.0, 0.3
    star, h = gamma * noise / snr, 1e-5
    r = ridge_isotropic(gamma, np.array([star - h, star, star + h]), snr, noise).risk
    assert (r[2] - r[0]) / (2 * h) == pytest.approx(0.0, abs=1e-8)
    assert r[1] < r[0] and r[1] < r[2]


@pytest.mark.parametrize("gamma, lam", [(0.5, 0.1), (2.0, 0.05), (1.0, 0.2)])
def test_against_ridge_regression_at_finite_size(gamma, lam):
    """Mean excess risk |beta_hat - beta|^2 over 40 draws at p = 300: within 4 standard errors plus
    a 3/p relative allowance for the O(1/p) finite-size correction."""
    snr, noise, p, seeds = 1.0, 0.25, 300, 40
    n = int(round(p / gamma))
    rng = np.random.default_rng(7)
    risks = []
    for _ in range(seeds):
        beta = rng.standard_normal(p)
        beta *= np.sqrt(snr) / np.linalg.norm(beta)
        X = rng.standard_normal((n, p))
        y = X @ beta + np.sqrt(noise) * rng.standard_normal(n)
        # beta_hat = (X^T X / n + lam)^-1 X^T y / n is train()'s w / sqrt(p) with ridge lam n / p
        w = train(X, y, "square", lam * n / p).w
        risks.append(np.sum((w / np.sqrt(p) - beta) ** 2))
    mean, se = np.mean(risks), np.std(risks, ddof=1) / np.sqrt(seeds)
    theory = ridge_isotropic(p / n, lam, snr, noise).risk
    assert abs(mean - theory) <= 4 * se + 3 / p * theory


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"gamma": 0.0}, "gamma must be > 0"),
        ({"lam": -0.1}, "lam must be >= 0"),
        ({"snr": float("nan")}, "snr must be finite"),
        ({"noise": -1.0}, "noise must be >= 0"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    args = {"gamma": 0.5, "lam": 0.1, "snr": 1.0, "noise": 0.1, **kwargs}
    with pytest.raises(ValueError, match=match):
        ridge_isotropic(**args)
