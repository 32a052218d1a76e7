"""Tests of statlearn.replica.random_features (Mei & Montanari 2019 random-features ridge risk)."""

from __future__ import annotations

import numpy as np
import pytest

from statlearn.models.activations import gaussian_equivalence, get_activation_function
from statlearn.replica.ridge import (
    RandomFeaturesRisk,
    _nu_mei_montanari,
    marchenko_pastur_stieltjes,
    random_features_ridge,
    ridge_isotropic,
)


def _simulate(alpha, gamma, lam, activation, noise, *, D=200, draws=20, ntest=4000, seed=0):
    """Mean and standard error over draws of the test risk of ridge on real features sigma(Fx/sqrt D)."""
    rng = np.random.default_rng(seed)
    sigma = get_activation_function(activation)
    N, P = int(round(alpha * D)), int(round(gamma * D))
    risks = []
    for _ in range(draws):
        theta = rng.standard_normal(D)
        F = rng.standard_normal((P, D))
        X = rng.standard_normal((N, D))
        Xt = rng.standard_normal((ntest, D))
        y = X @ theta / np.sqrt(D) + np.sqrt(noise) * rng.standard_normal(N)
        V = sigma(X @ F.T / np.sqrt(D))
        Vt = sigma(Xt @ F.T / np.sqrt(D))
        w = np.linalg.solve(V.T @ V / P + lam * np.eye(P), V.T @ y / np.sqrt(P))
        risks.append(np.mean((Xt @ theta / np.sqrt(D) - Vt @ w / np.sqrt(P)) ** 2))
    risks = np.asarray(risks)
    return risks.mean(), risks.std(ddof=1) / np.sqrt(draws)


# (alpha, gamma, lam, noise): a strongly regularised point where the lam <-> alpha normalisation
# matters most, the interpolation peak P = N with small lam and noise, an overparametrised one,
# and a noiseless underparametrised one.
SIM_POINTS = [
    (3.0, 1.5, 0.5, 0.3),
    (1.0, 1.0, 0.01, 0.5),
    (0.5, 2.0, 0.1, 0.2),
    (2.0, 1.0, 0.1, 0.0),
]
D_SIM = 200
# Finite-size allowance c / D. Measured sim - theory (seed 12345; separate from the seeds below):
#   D = 200, 100 draws: relu +0.009, +0.064, -0.010, +0.008; erf +0.003, -0.002, -0.022, +0.003
#     (points in SIM_POINTS order; all within 2.4 standard errors, no systematic sign);
#   D = 100, 200 draws: relu +0.006, +0.076, +0.037, +0.002; erf +0.001, +0.014, +0.011, -0.001;
#     the largest, relu at (0.5, 2.0, 0.1, 0.2) (N = 50), is +0.037 +- 0.009, i.e. ~ 4 / D;
#     the same point at D = 200 gave -0.010 +- 0.010 and +0.010 +- 0.009 (two seeds), at
#     D = 400 +0.018 +- 0.011. So the finite-size bias is <~ 4 / D: c = 4 (0.02 at D = 200).
# With the test seeds every point below is within 1.8 standard errors of the theory.
FINITE_SIZE_C = 4.0


@pytest.mark.parametrize("activation", ["relu", "erf"])
@pytest.mark.parametrize("alpha, gamma, lam, noise", SIM_POINTS)
def test_matches_finite_size_simulation(activation, alpha, gamma, lam, noise):
    mean, stderr = _simulate(alpha, gamma, lam, activation, noise, D=D_SIM, draws=20, seed=7)
    theory = float(random_features_ridge(alpha, gamma, lam, activation, noise=noise).risk)
    assert abs(mean - theory) <= 4.0 * stderr + FINITE_SIZE_C / D_SIM, (mean, stderr, theory)


def test_linear_activation_matches_simulation():
    """mu_star = 0 (zeta = infinity): Gaussian features exactly; the formula stays finite."""
    linear = lambda z: z  # noqa: E731
    mean, stderr = _simulate(1.0, 0.5, 0.05, linear, 0.3, D=D_SIM, draws=20, seed=3)
    theory = float(random_features_ridge(1.0, 0.5, 0.05, linear, noise=0.3).risk)
    assert abs(mean - theory) <= 4.0 * stderr + FINITE_SIZE_C / D_SIM, (mean, stderr, theory)


@pytest.mark.parametrize("activation", ["relu", "erf", "tanh", "sign"])
@pytest.mark.parametrize("alpha, lam, noise", [(0.5, 0.1, 0.3), (2.0, 0.0, 0.3), (1.0, 1e-3, 1.0)])
def test_kernel_limit_infinitely_many_features(activation, alpha, lam, noise):
    """gamma -> infinity: kernel ridge with K = mu1^2 X X^T / D + mu_star^2 I (+ mu0^2 11^T, negligible).

    The predictor is then f(x) = x . b / sqrt D with b = (X^T X / D + lam') X^T y / sqrt D,
    lam' = (lam + mu_star^2) / mu1^2: isotropic ridge with Hastie et al.'s p / n = 1 / alpha and
    penalty lam' / alpha (statlearn.replica.erm.ridge_isotropic). The gap closes like 1 / gamma.
    """
    _, mu1, mu_star = gaussian_equivalence(activation)
    kernel = ridge_isotropic(1.0 / alpha, (lam + mu_star**2) / (mu1**2 * alpha), 1.0, noise)
    gaps = []
    for gamma in (1e4, 1e6):
        rf = random_features_ridge(alpha, gamma, lam, activation, noise=noise)
        gaps.append(rf.risk - kernel.risk)
        assert rf.bias == pytest.approx(kernel.bias, abs=20.0 / gamma)
        assert rf.variance == pytest.approx(kernel.variance, abs=20.0 / gamma)
    assert gaps[1] == pytest.approx(gaps[0] / 100.0, rel=0.05)  # O(1/gamma) approach


@pytest.mark.parametrize("activation", ["relu", "erf"])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_infinite_sample_limit_is_the_approximation_error(activation, gamma):
    """alpha -> infinity at fixed lam: population least squares on the Gaussian-equivalent features.

    Risk -> 1 - theta^T A (A + mu_star^2)^{-1} theta / D with A = mu1^2 F^T F / D, i.e.
    lam' m(-lam') with lam' = mu_star^2 / mu1^2 and m the Stieltjes transform of F^T F / D,
    m = marchenko_pastur_stieltjes(1 / gamma, lam' / gamma)[0] / gamma. Noise drops out.
    """
    _, mu1, mu_star = gaussian_equivalence(activation)
    lp = mu_star**2 / mu1**2
    m, _ = marchenko_pastur_stieltjes(1.0 / gamma, lp / gamma)
    approximation = lp * float(m) / gamma
    rf = random_features_ridge(1e7, gamma, 0.3, activation, noise=0.5)
    assert rf.risk == pytest.approx(approximation, rel=1e-5)


@pytest.mark.parametrize("zeta", [0.3, 1.7, 5.0])
@pytest.mark.parametrize(
    "psi1, psi2, lambda_bar", [(0.5, 2.0, 0.1), (3.0, 3.0, 1e-4), (10.0, 0.2, 5.0), (1.0, 4.0, 1e-8)]
)
def test_nu_solve_definition_1(zeta, psi1, psi2, lambda_bar):
    nu1, nu2 = _nu_mei_montanari(psi1, psi2, zeta, lambda_bar)
    xi = 1j * np.sqrt(psi1 * psi2 * lambda_bar)
    assert nu1.imag > 0 and nu2.imag > 0
    d = 1.0 - zeta**2 * nu1 * nu2
    assert abs(nu1 - psi1 / (-xi - nu2 - zeta**2 * nu2 / d)) <= 1e-12 * abs(nu1)
    assert abs(nu2 - psi2 / (-xi - nu1 - zeta**2 * nu1 / d)) <= 1e-12 * abs(nu2)


def test_large_ridge_gives_null_predictor():
    """lam -> infinity: w -> 0, risk -> E (theta.x / sqrt D)^2 = 1, variance -> 0."""
    r = random_features_ridge(1.5, 0.7, 1e9, "relu", noise=1.0)
    assert r.bias == pytest.approx(1.0, abs=1e-8)
    assert r.variance == pytest.approx(0.0, abs=1e-8)


@pytest.mark.parametrize("activation", ["relu", "erf"])
@pytest.mark.parametrize("alpha, gamma", [(1.0, 2.0), (2.0, 1.0), (0.3, 0.8)])
def test_ridgeless_is_the_limit_lam_to_zero(activation, alpha, gamma):
    r0 = random_features_ridge(alpha, gamma, 0.0, activation, noise=0.5)
    r = random_features_ridge(alpha, gamma, 1e-11, activation, noise=0.5)
    assert np.isfinite(r0.risk)
    assert r.risk == pytest.approx(r0.risk, rel=1e-7)


def test_ridgeless_peak_diverges():
    r = random_features_ridge(1.0, 1.0, 0.0, "relu", noise=0.5)
    assert np.isinf(r.risk) and np.isinf(r.variance)
    near = random_features_ridge(1.0, 1.0, np.array([1e-4, 1e-6, 1e-8]), "relu", noise=0.5).risk
    assert np.all(np.diff(near) > 0) and near[-1] > 1e3
    # ... and only at gamma = alpha: both sides finite and large.
    sides = random_features_ridge(1.0, np.array([1.0 - 1e-4, 1.0 + 1e-4]), 0.0, "relu", noise=0.5).risk
    assert np.all(np.isfinite(sides)) and np.all(sides > 1e3)


def test_broadcasting_and_signs():
    alpha = np.linspace(0.2, 4.0, 7)[:, None, None]
    gamma = np.linspace(0.2, 4.0, 5)[None, :, None]
    lam = np.array([1e-3, 0.1, 1.0])
    r = random_features_ridge(alpha, gamma, lam, "tanh", noise=0.2)
    assert isinstance(r, RandomFeaturesRisk)
    assert r.risk.shape == (7, 5, 3)
    assert np.all(r.bias > 0) and np.all(r.variance > 0)
    np.testing.assert_allclose(r.risk, r.bias + r.variance)
    assert isinstance(random_features_ridge(1.0, 2.0, 0.1, "erf").risk, float)
    assert random_features_ridge(1.0, 2.0, 0.1, "erf").variance == 0.0


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(alpha=0.0), "alpha"),
        (dict(alpha=-1.0), "alpha"),
        (dict(gamma=0.0), "gamma"),
        (dict(gamma=np.nan), "gamma"),
        (dict(lam=-0.1), "lam"),
        (dict(noise=-1.0), "noise"),
    ],
)
def test_bad_input_names_parameter(kwargs, name):
    args = dict(alpha=1.0, gamma=1.0, lam=0.1, noise=0.0) | kwargs
    with pytest.raises(ValueError, match=name):
        random_features_ridge(args["alpha"], args["gamma"], args["lam"], "relu", noise=args["noise"])


def test_bad_activation():
    with pytest.raises(ValueError, match="activation"):
        random_features_ridge(1.0, 1.0, 0.1, "softsign")
    with pytest.raises(ValueError, match="mu_star"):
        random_features_ridge(1.0, 1.0, 0.0, lambda z: 2.0 * z)  # linear and ridgeless
    with pytest.raises(ValueError, match="mu1 = mu_star = 0"):
        random_features_ridge(1.0, 1.0, 0.1, lambda z: np.ones_like(z))
