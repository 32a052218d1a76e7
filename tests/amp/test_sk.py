"""Bolthausen AMP, its state evolution and the TAP equations on Sherrington-Kirkpatrick instances.

Independent references: scipy's adaptive quadrature for the state-evolution integrals, the exact
paramagnetic solution (h = 0, T > 1: q = 0, lambda = beta^2, f = -T ln 2 - 1/(4T)), the replica-symmetric
free energy computed here with scipy, finite differences of the TAP free energy, and the spread of
AMP over independent instances for its agreement with the state evolution.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from statlearn.amp import at_stability, rs_overlap, sk_amp, sk_couplings, sk_state_evolution, tap, tap_free_energy
from statlearn.numerics import ConvergenceWarning, SolverResult


def _gauss(f):
    return integrate.quad(
        lambda z: f(z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -12, 12, limit=400, epsabs=1e-14, epsrel=1e-13
    )[0]


def _rs_free_energy(beta: float, h: float) -> float:
    """-beta f_RS = beta^2/4 (1-q)^2 + E ln 2 cosh beta(sqrt(q) z + h), with q solved by scipy (brentq)."""
    from scipy.optimize import brentq

    q = brentq(lambda q: _gauss(lambda z: math.tanh(beta * (math.sqrt(q) * z + h)) ** 2) - q, 1e-9, 1.0)
    lncosh = _gauss(lambda z: math.log(2 * math.cosh(beta * (math.sqrt(q) * z + h))))
    return -(beta**2 / 4 * (1 - q) ** 2 + lncosh) / beta


def test_couplings_are_symmetric_gaussian_and_reproducible():
    J = sk_couplings(300, 7)
    assert np.array_equal(J, J.T) and not np.any(np.diag(J))
    assert np.array_equal(J, sk_couplings(300, 7)) and not np.array_equal(J, sk_couplings(300, 8))
    upper = J[np.triu_indices(300, 1)] * math.sqrt(300)
    n = upper.size
    assert abs(upper.mean()) < 5 / math.sqrt(n)
    assert abs(upper.var() - 1) < 5 * math.sqrt(2 / n)


@pytest.mark.parametrize(("beta", "h"), [(0.7, 0.4), (2.0, 0.3), (1.3, 0.0)])
def test_state_evolution_steps_against_adaptive_quadrature(beta, h):
    se = sk_state_evolution(beta, h, n_iter=6, tol=1.0)
    for t in (1, 3, 5):
        q = se.q[t]
        expected = _gauss(lambda z: math.tanh(beta * (h + math.sqrt(q) * z)) ** 2)
        assert se.q[t + 1] == pytest.approx(expected, abs=1e-10)
    assert isinstance(se, SolverResult)
    if h == 0.0:
        return  # q_t = 0 for all t from the uninformative start: nothing more to integrate
    # C_{t,t+1} from a 2-d adaptive quadrature over the Gaussian pair (g^{t-1}, g^t)
    t = 4
    a, c, b = se.q[t - 1], se.correlation[t - 1], se.q[t]
    slope, rest = c / math.sqrt(a), math.sqrt(max(b - c * c / a, 0.0))

    def integrand(z2, z1):
        u, v = math.sqrt(a) * z1, slope * z1 + rest * z2
        weight = math.exp(-(z1 * z1 + z2 * z2) / 2) / (2 * math.pi)
        return math.tanh(beta * (h + u)) * math.tanh(beta * (h + v)) * weight

    expected = integrate.dblquad(integrand, -9, 9, -9, 9, epsabs=1e-11)[0]
    assert se.correlation[t] == pytest.approx(expected, abs=1e-8)


def test_paramagnet_exact():
    beta = 0.6
    assert rs_overlap(beta, 0.0) == pytest.approx(0.0, abs=1e-10)
    assert at_stability(beta, 0.0) == pytest.approx(beta**2, rel=1e-8)
    J = sk_couplings(200, 3)
    result = tap(J, beta, 0.0)
    assert result.converged and np.all(result.m == 0.0)
    assert result.free_energy == pytest.approx(-math.log(2) / beta - beta / 4, rel=1e-14)


def test_rs_overlap_against_root_finding_below_the_critical_temperature():
    beta, h = 2.0, 0.0
    from scipy.optimize import brentq

    expected = brentq(lambda q: _gauss(lambda z: math.tanh(beta * math.sqrt(q) * z) ** 2) - q, 0.05, 1.0)
    assert rs_overlap(beta, h) == pytest.approx(expected, abs=1e-9)
    assert at_stability(beta, h) > 1  # h = 0, T < 1 is below the AT line


def test_bolthausen_start_keeps_the_self_overlap_at_its_fixed_point():
    se = sk_state_evolution(1.2, 0.4, n_iter=20, init="bolthausen", tol=1.0)
    np.testing.assert_allclose(se.q[1:], se.q_star, atol=1e-10)


def test_amp_follows_state_evolution_above_the_at_line():
    """The mean over instances of q_t and of the increments agrees with the state evolution within
    4 standard errors of the mean (their spread over 6 instances at N = 1000)."""
    beta, h, steps = 1.0, 0.5, 12
    se = sk_state_evolution(beta, h, n_iter=steps, tol=1.0)
    runs = [sk_amp(sk_couplings(1000, 100 + s), beta, h, n_iter=steps, tol=1.0) for s in range(6)]
    for name in ("q", "increment"):
        values = np.array([getattr(r, name) for r in runs])[:, 2:]
        mean, err = values.mean(0), values.std(0, ddof=1) / math.sqrt(len(runs))
        expected = getattr(se, name)[2:]
        assert np.all(np.abs(mean - expected) <= 4 * err + 1e-12), (name, mean, expected, err)


def test_amp_converges_to_a_tap_solution_and_is_reproducible():
    J = sk_couplings(800, 5)
    beta, h = 0.5, 0.5
    result = sk_amp(J, beta, h, n_iter=60)
    assert result.converged and result.residual < 1e-10
    m, q = np.asarray(result.m), result.q[-1]
    residual = m - np.tanh(beta * (h + J @ m) - beta**2 * (1 - q) * m)
    assert np.max(np.abs(residual)) < 1e-5
    assert np.array_equal(sk_amp(J, beta, h, n_iter=60).m, result.m)


def test_amp_fails_below_the_at_line():
    J = sk_couplings(1000, 11)
    beta, h = 2.5, 0.3
    assert at_stability(beta, h) > 1
    with pytest.warns(ConvergenceWarning, match="increment"):
        result = sk_amp(J, beta, h, n_iter=40)
    assert not result.converged and np.min(result.increment[20:]) > 0.3
    with pytest.warns(ConvergenceWarning, match="below the AT line"):
        se = sk_state_evolution(beta, h, n_iter=40)
    assert se.increment[-1] > 0.5


def test_tap_free_energy_is_stationary_at_the_tap_solution():
    J = sk_couplings(300, 2)
    beta, h = 0.8, 0.3
    result = tap(J, beta, h)
    assert result.converged
    m = np.array(result.m)
    eps = 1e-5
    for i in (0, 17, 299):
        step = np.zeros_like(m)
        step[i] = eps
        grad = (tap_free_energy(J, beta, h, m + step) - tap_free_energy(J, beta, h, m - step)) / (2 * eps)
        assert abs(grad) < 1e-8
    step = np.zeros_like(m)
    step[0] = 0.1  # a point that is not stationary
    moved = m + step
    grad = (tap_free_energy(J, beta, h, moved + step / 1e4) - tap_free_energy(J, beta, h, moved - step / 1e4)) / 2e-5
    assert abs(grad) > 1e-5


def test_tap_free_energy_against_replica_symmetric_at_high_temperature():
    """Mean over 8 instances at N = 1000 within 3 standard errors plus 1/N (an O(1/N) finite-size bias)."""
    beta, h, N = 0.5, 0.5, 1000
    values = np.array([tap(sk_couplings(N, s), beta, h).free_energy for s in range(8)])
    f_rs = _rs_free_energy(beta, h)
    assert abs(values.mean() - f_rs) <= 3 * values.std(ddof=1) / math.sqrt(8) + 1 / N


@pytest.mark.parametrize(
    ("J", "message"),
    [
        (np.ones((3, 4)), "square"),
        (np.array([[0.0, 1.0], [2.0, 0.0]]), "symmetric"),
        (np.eye(3), "diagonal"),
        (np.array([[0.0, np.nan], [np.nan, 0.0]]), "finite"),
    ],
)
def test_bad_couplings(J, message):
    with pytest.raises(ValueError, match=message):
        sk_amp(J, 1.0)
    with pytest.raises(ValueError, match=message):
        tap(J, 1.0)


@pytest.mark.parametrize("beta", [0.0, -1.0, math.nan])
def test_bad_temperature(beta):
    J = sk_couplings(4, 0)
    with pytest.raises(ValueError, match="beta"):
        sk_amp(J, beta)
    with pytest.raises(ValueError, match="beta"):
        tap(J, beta)
    with pytest.raises(ValueError, match="beta"):
        sk_state_evolution(beta)


def test_parallel_tempering_against_exact_enumeration():
    """N = 10: the mean energy per spin at every temperature within 5 standard errors of the exact
    Boltzmann average over the 2^10 states, the ground state found, the run reproducible per seed."""
    import itertools

    from statlearn.amp import sk_parallel_tempering

    N, h = 10, 0.2
    J = sk_couplings(N, 3)
    states = np.array(list(itertools.product([-1.0, 1.0], repeat=N)))
    energy = -0.5 * np.einsum("ai,ij,aj->a", states, J, states) - h * states.sum(1)
    betas = np.array([0.3, 0.8, 1.5, 2.5])
    result = sk_parallel_tempering(J, betas, h, n_sweeps=4000, thermalization=200, seed=1)
    for k, beta in enumerate(betas):
        weight = np.exp(-beta * (energy - energy.min()))
        exact = weight @ energy / weight.sum() / N
        assert abs(result.energy[k] - exact) <= 5 * result.energy_stderr[k]
    assert result.min_energy == pytest.approx(energy.min() / N, abs=1e-12)
    again = sk_parallel_tempering(J, betas, h, n_sweeps=4000, thermalization=200, seed=1)
    assert np.array_equal(again.energies, result.energies) and np.array_equal(again.overlaps, result.overlaps)
    assert np.all(np.abs(result.overlaps) <= 1.0) and np.all(result.swap_acceptance > 0)


def test_parallel_tempering_quench_finds_the_ground_state_from_a_hot_ladder():
    """N = 14 at T >= 20, 20 recorded steps: Metropolis alone stays far above the ground state, but the
    zero-temperature quench of the coldest replicas reaches the exact ground state (enumeration of 2^14
    states) and min_energy is a single-flip local minimum's energy."""
    import itertools

    from statlearn.amp import sk_parallel_tempering

    N = 14
    J = sk_couplings(N, 5)
    states = np.array(list(itertools.product([-1.0, 1.0], repeat=N)))
    fields = states @ J
    energy = -0.5 * np.einsum("ai,ai->a", states, fields)
    stable = np.all(states * fields >= 0.0, axis=1)  # no single flip lowers the energy
    result = sk_parallel_tempering(J, [0.02, 0.05], 0.0, n_sweeps=20, thermalization=0, seed=2)
    assert result.energies.min() > energy.min() / N + 0.05
    assert np.isclose(result.min_energy * N, energy[stable]).any()
    assert result.min_energy == pytest.approx(energy.min() / N, abs=1e-12)
