"""Spherical perceptron: the maximal margin solver and its certified bracket."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog, minimize

from statlearn.experiments import spherical_max_margin
from statlearn.numerics import ConvergenceWarning


def _lp_separable(z: np.ndarray) -> bool:
    """Independent kappa = 0 test: is {w : Z w >= 1} non-empty? (HiGHS)"""
    result = linprog(np.zeros(z.shape[1]), A_ub=-z, b_ub=-np.ones(len(z)), bounds=(None, None), method="highs")
    assert result.status in (0, 2), result.message
    return result.status == 0


def _slsqp_margin(z: np.ndarray) -> float:
    """Independent max margin: 1/|w| for min |w|^2 s.t. Z w >= 1, started from an LP-feasible w."""
    start = linprog(np.zeros(z.shape[1]), A_ub=-z, b_ub=-np.ones(len(z)), bounds=(None, None), method="highs").x
    scale = start @ start  # SLSQP's ftol is absolute: keep the objective O(1)
    result = minimize(
        lambda w: w @ w / scale,
        start,
        jac=lambda w: 2.0 * w / scale,
        constraints=[{"type": "ineq", "fun": lambda w: z @ w - 1.0, "jac": lambda w: z}],
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 1000},
    )
    assert result.success, result.message
    return 1.0 / np.linalg.norm(result.x)


def test_separability_agrees_with_linear_programming():
    rng = np.random.default_rng(11)
    verdicts = []
    for _ in range(300):
        N = int(rng.integers(3, 20))
        z = rng.standard_normal((int(rng.integers(int(1.6 * N), int(2.6 * N) + 1)), N))
        result = spherical_max_margin(z)
        assert result.converged
        assert result.separable == _lp_separable(z)
        verdicts.append(result.separable)
    assert 0.2 < np.mean(verdicts) < 0.8  # both outcomes were exercised


@pytest.mark.parametrize("seed", range(8))
def test_max_margin_matches_slsqp_and_kkt(seed):
    rng = np.random.default_rng(seed)
    N = 3 + seed % 5
    while True:
        z = rng.standard_normal((N + 1 + seed % N, N))
        if _lp_separable(z):
            break
    result = spherical_max_margin(z)
    gamma = _slsqp_margin(z)
    assert result.separable and result.converged
    assert result.margin == pytest.approx(gamma, rel=1e-9)
    u, a = result.direction, result.coefficients
    # the returned direction achieves the margin; the bracket is certified and tight
    assert np.linalg.norm(u) == pytest.approx(1.0, abs=1e-14)
    assert np.min(z @ u) == pytest.approx(result.margin, rel=1e-12)
    assert result.margin <= result.upper_bound <= result.margin * (1 + 1e-9)
    # KKT of min |x| over the hull: a in the simplex, x = Z^T a parallel to u with |x| = gamma,
    # and every support vector (a_mu > 0) on the margin: z^mu . u = gamma
    assert np.all(a >= 0) and a.sum() == pytest.approx(1.0, abs=1e-14)
    x = z.T @ a
    np.testing.assert_allclose(x, gamma * u, atol=1e-8 * gamma)
    support = a > 1e-12 * a.max()
    np.testing.assert_allclose(z[support] @ u, gamma, rtol=1e-8)


def test_closed_forms():
    rng = np.random.default_rng(3)
    # one pattern: gamma = |z|
    z = rng.standard_normal((1, 6))
    assert spherical_max_margin(z).margin == pytest.approx(np.linalg.norm(z), rel=1e-12)
    # P orthogonal patterns of length c: the hull's nearest point is the centroid, gamma = c / sqrt(P)
    q, _ = np.linalg.qr(rng.standard_normal((7, 7)))
    for P in (2, 4, 7):
        assert spherical_max_margin(3.0 * q[:P]).margin == pytest.approx(3.0 / np.sqrt(P), rel=1e-12)
    # two patterns: distance from the origin to the segment [z1, z2]
    z1, z2 = np.array([2.0, 1.0, 0.0]), np.array([-1.0, 3.0, 1.0])
    t = np.clip(-(z1 @ (z2 - z1)) / ((z2 - z1) @ (z2 - z1)), 0.0, 1.0)
    nearest = z1 + t * (z2 - z1)
    assert spherical_max_margin(np.array([z1, z2])).margin == pytest.approx(np.linalg.norm(nearest), rel=1e-12)


def test_non_separable_instance():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((3, 5))
    result = spherical_max_margin(np.vstack([z, -z[0]]))  # z and -z: the origin is in the hull
    assert not result.separable and result.converged
    assert result.margin == 0.0 and result.direction is None
    assert result.upper_bound < 1e-12
    # Cover's certificate: a convex combination of the patterns that vanishes
    assert np.linalg.norm(np.vstack([z, -z[0]]).T @ result.coefficients) < 1e-12


def test_unconverged_bracket_warns():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((30, 20))
    assert _lp_separable(z)
    reference = spherical_max_margin(z)
    # an unreachable tolerance forces the refinement on the support, here with every pattern
    # doubled (a singular support matrix), and must end in a warning, not in silence or NaN
    with pytest.warns(ConvergenceWarning, match="bracket"):
        result = spherical_max_margin(np.vstack([z, z]), tol=1e-300)
    assert not result.converged
    assert result.margin <= result.upper_bound
    assert result.margin == pytest.approx(reference.margin, rel=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"patterns": np.ones(3)}, "patterns"),
        ({"patterns": np.zeros((0, 3))}, "patterns"),
        ({"patterns": np.array([[1.0, np.nan]])}, "patterns"),
        ({"patterns": np.ones((2, 2)), "tol": 0.0}, "tol"),
        ({"patterns": np.ones((2, 2)), "tol": np.nan}, "tol"),
    ],
)
def test_validation(kwargs, name):
    with pytest.raises(ValueError, match=name):
        spherical_max_margin(**kwargs)
