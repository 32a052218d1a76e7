"""The LASSO state evolution and the Donoho-Tanner curve, against computations that share no code with them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from statlearn.models.sparsity import soft_threshold, soft_threshold_risk, zero_signal_risk
from statlearn.numerics import ConvergenceWarning
from statlearn.replica import lasso


def _quad_risk(mu: float, tau: float) -> float:
    """E_z (eta(mu + z; tau) - mu)^2 by adaptive quadrature, split at the kinks z = -mu +- tau."""

    def integrand(z: float) -> float:
        return (float(soft_threshold(mu + z, tau)) - mu) ** 2 * stats.norm.pdf(z)

    cuts = np.clip([-13.0, -mu - tau, -mu + tau, 13.0], -13.0, 13.0)  # the Gaussian weight beyond 13 is < 1e-37
    return sum(integrate.quad(integrand, a, b, epsabs=1e-14, epsrel=1e-13)[0] for a, b in zip(cuts[:-1], cuts[1:]))


@pytest.mark.parametrize(("mu", "tau"), [(0.0, 1.0), (0.7, 1.3), (3.0, 0.5), (-2.0, 2.0), (0.1, 0.0)])
def test_soft_threshold_risk_matches_quadrature(mu: float, tau: float) -> None:
    assert float(soft_threshold_risk(mu, tau)) == pytest.approx(_quad_risk(mu, tau), abs=1e-11)


def test_zero_signal_risk_is_half_the_risk_at_zero() -> None:
    tau = np.linspace(0.0, 4.0, 9)
    np.testing.assert_allclose(2.0 * np.asarray(zero_signal_risk(tau)), soft_threshold_risk(0.0, tau), atol=1e-15)


def _independent_rho(delta: float) -> float:
    """max over tau of the root in rho of the SE stability condition slope(rho, tau) = 1, with the zero risk
    by adaptive quadrature and the least-favourable risk as the limit |mu| -> infinity taken numerically."""

    def root(tau: float) -> float:
        zero = _quad_risk(0.0, tau)
        far = _quad_risk(60.0, tau)  # = 1 + tau^2 to double precision

        def slope(rho: float) -> float:
            eps = rho * delta
            return (eps * far + (1.0 - eps) * zero) / delta - 1.0

        return optimize.brentq(slope, 0.0, 1.0 / delta, xtol=1e-15, rtol=1e-15) if slope(0.0) < 0 else 0.0

    best = optimize.minimize_scalar(lambda t: -root(t), bounds=(0.05, 4.0), method="bounded", options={"xatol": 1e-9})
    return -float(best.fun)


@pytest.mark.parametrize("delta", [0.1, 0.25, 0.5, 0.75])
def test_phase_transition_matches_the_root_of_the_stability_condition(delta: float) -> None:
    assert float(lasso.phase_transition(delta)) == pytest.approx(_independent_rho(delta), abs=1e-6)


def test_phase_transition_is_where_the_slope_is_one_and_maximal() -> None:
    for delta in (0.1, 0.5, 0.9):
        tau = float(lasso.minimax_threshold(delta))
        rho = float(lasso.phase_transition(delta))
        assert lasso.stability_slope(delta, rho, tau) == pytest.approx(1.0, abs=1e-12)
        for other in (tau - 0.05, tau + 0.05):  # any other threshold is unstable at rho_DT
            assert lasso.stability_slope(delta, rho, other) > 1.0


def test_phase_transition_limits_and_vectorisation() -> None:
    deltas = np.array([0.01, 0.1, 0.5, 0.9, 0.99])
    rho = np.asarray(lasso.phase_transition(deltas))
    assert rho.shape == deltas.shape
    assert np.all(np.diff(rho) > 0) and np.all((rho > 0) & (rho < 1))
    # small delta: rho ~ 1 / (2 ln(1/delta)) to leading order (Donoho & Tanner 2005)
    assert float(lasso.phase_transition(1e-3)) * 2.0 * math.log(1e3) == pytest.approx(1.0, abs=0.5)


def test_state_evolution_recovers_below_and_stalls_above_the_line() -> None:
    delta = 0.5
    tau = float(lasso.minimax_threshold(delta))
    rho_dt = float(lasso.phase_transition(delta))
    below = lasso.state_evolution(delta, 0.8 * rho_dt, tau, n_iter=400)
    assert below.converged and below.mse[-1] < 1e-12
    with pytest.warns(ConvergenceWarning):
        lasso.state_evolution(delta, 0.8 * rho_dt, tau, n_iter=5)
    above = lasso.state_evolution(delta, 1.2 * rho_dt, tau, n_iter=2000, tol=1e-9)
    assert above.converged and above.mse[-1] > 1e-3
    # first step from x = 0 by quadrature: mse_1 = delta (sigma_1^2), sigma_0^2 = eps / delta
    eps = 0.8 * rho_dt * delta
    s0 = math.sqrt(eps / delta)
    slab = integrate.quad(lambda x: _quad_risk(x / s0, tau) * stats.norm.pdf(x), -12, 12, epsabs=1e-12)[0]
    expected = s0**2 * ((1 - eps) * _quad_risk(0.0, tau) + eps * slab)
    assert below.mse[1] == pytest.approx(expected, rel=1e-9)


def test_state_evolution_with_noise_reaches_a_positive_fixed_point() -> None:
    result = lasso.state_evolution(0.5, 0.2, 1.5, noise=0.01, n_iter=300)
    assert result.converged
    assert result.sigma2[-1] > 0.01
    assert result.mse[0] == pytest.approx(0.1)
