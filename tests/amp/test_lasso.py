"""AMP, ISTA and FISTA for the LASSO: the KKT conditions, scikit-learn's Lasso, and the state evolution."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Lasso

from statlearn.amp import ista, lasso_amp, lasso_kkt_violation, lipschitz_constant
from statlearn.numerics import ConvergenceWarning, SolverResult
from statlearn.replica import lasso


def _instance(N: int, delta: float, rho: float, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(round(delta * N))
    k = int(round(rho * n))
    A = rng.standard_normal((n, N)) / np.sqrt(n)
    x0 = np.zeros(N)
    x0[rng.choice(N, k, replace=False)] = rng.standard_normal(k)
    return A, A @ x0 + noise * rng.standard_normal(n), x0


@pytest.fixture(scope="module")
def noisy() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _instance(600, 0.5, 0.2, 0.1, 3)


def test_amp_fixed_point_solves_the_lasso_at_the_calibrated_lambda(noisy) -> None:
    A, y, _ = noisy
    result = lasso_amp(A, y, threshold=float(lasso.minimax_threshold(0.5)), tol=1e-12, max_iter=3000)
    assert isinstance(result, SolverResult) and result.converged
    support = np.count_nonzero(result.x)
    assert result.lam == pytest.approx(result.theta[-1] * (1 - support / A.shape[0]))
    assert lasso_kkt_violation(A, y, result.x, result.lam) < 1e-7
    # and not at a different lambda
    assert lasso_kkt_violation(A, y, result.x, 1.1 * result.lam) > 1e-2


def test_amp_at_lambda_agrees_with_scikit_learn_and_the_thresholding_solvers(noisy) -> None:
    A, y, _ = noisy
    n = A.shape[0]
    lam = 0.05
    amp = lasso_amp(A, y, lam=lam, tol=1e-13, max_iter=5000)
    assert amp.converged and amp.lam == pytest.approx(lam, rel=1e-9)
    assert lasso_kkt_violation(A, y, amp.x, lam) < 1e-8
    # scikit-learn minimises |y - A x|^2 / (2 n) + alpha |x|_1: alpha = lam / n
    reference = Lasso(alpha=lam / n, fit_intercept=False, tol=1e-14, max_iter=200_000).fit(A, y).coef_
    assert np.linalg.norm(amp.x - reference) / np.linalg.norm(reference) < 1e-6
    L = lipschitz_constant(A)
    assert L == pytest.approx(np.linalg.norm(A, 2) ** 2, rel=1e-8)
    for accelerated in (False, True):
        for homotopy in (None, 0.8):
            run = ista(A, y, lam, accelerated=accelerated, homotopy=homotopy, lipschitz=L, tol=1e-12)
            assert run.converged, run.message
            assert np.linalg.norm(run.x - amp.x) / np.linalg.norm(amp.x) < 1e-8
            assert lasso_kkt_violation(A, y, run.x, lam) < 1e-6
            if homotopy is None:
                assert np.all(np.diff(run.cost) <= 1e-12 * run.cost[0]) or accelerated  # ISTA decreases the cost


def test_kkt_violation_detects_a_non_minimiser(noisy) -> None:
    A, y, x0 = noisy
    assert lasso_kkt_violation(A, y, x0, 0.05) > 0.1


def test_amp_mse_follows_state_evolution_at_n_2000() -> None:
    delta, rho, N = 0.5, 0.2, 2000
    tau = float(lasso.minimax_threshold(delta))
    steps = 8
    theory = lasso.state_evolution(delta, rho, tau, n_iter=steps, tol=1.0).mse
    runs = []
    for seed in range(6):
        A, y, x0 = _instance(N, delta, rho, 0.0, seed)
        with pytest.warns(ConvergenceWarning):
            result = lasso_amp(A, y, threshold=tau, max_iter=steps, reference=x0)
        # the SE has mse_0 = eps = rho delta; the instance has k / N, equal here (k = rho n exactly)
        runs.append(result.distance)
    runs = np.array(runs)
    mean = runs.mean(axis=0)
    stderr = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    # finite-N error: 4 standard errors of the mean over instances, plus the O(1/N) bias (relative 1/sqrt(n) margin)
    tolerance = 4.0 * stderr + theory / np.sqrt(delta * N)
    assert np.all(np.abs(mean - theory) <= tolerance), (mean, theory, tolerance)
    assert mean[-1] < 0.2 * mean[0]


def test_non_convergence_warns_and_says_why(noisy) -> None:
    A, y, _ = noisy
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        result = lasso_amp(A, y, lam=0.05, max_iter=3)
    assert not result.converged and result.iterations == 3 and "budget" in result.message
    with pytest.warns(ConvergenceWarning):
        run = ista(A, y, 0.05, max_iter=3)
    assert not run.converged and run.iterations == 3


def test_amp_beyond_its_range_stops_with_a_warning() -> None:
    A, y, _ = _instance(200, 0.5, 0.2, 0.1, 1)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        result = lasso_amp(A, y, threshold=1e-6, max_iter=50)
    assert not result.converged


def test_bad_threshold_choice() -> None:
    A, y, _ = _instance(50, 0.5, 0.2, 0.1, 1)
    with pytest.raises(ValueError, match="threshold and lam"):
        lasso_amp(A, y)
    with pytest.raises(ValueError, match="threshold and lam"):
        lasso_amp(A, y, threshold=1.0, lam=0.1)
    with pytest.raises(ValueError, match="homotopy"):
        ista(A, y, 0.1, homotopy=1.0)


def test_results_are_deterministic_and_read_only(noisy) -> None:
    A, y, _ = noisy
    first = lasso_amp(A, y, threshold=1.5)
    second = lasso_amp(A, y, threshold=1.5)
    np.testing.assert_array_equal(first.x, second.x)
    with pytest.raises(ValueError):
        first.x[0] = 1.0
