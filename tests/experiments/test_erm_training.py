"""Finite-size ERM solvers: optimality conditions, independent solutions, bad input."""

import math

import numpy as np
import pytest

from statlearn.experiments.erm import _hinge_dual, train


def data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = np.sign(X @ rng.standard_normal(p))
    return X, y


@pytest.mark.parametrize("n, p", [(120, 80), (80, 120)])
def test_ridge_solves_the_normal_equations(n, p):
    X, y = data(n, p)
    fit = train(X, y, "square", 0.3)
    direct = np.linalg.solve(X.T @ X / p + 0.3 * np.eye(p), X.T @ y / math.sqrt(p))
    assert fit.w == pytest.approx(direct, abs=1e-12) and fit.converged


def test_ridgeless_is_the_minimum_norm_interpolator():
    X, y = data(60, 150)
    fit = train(X, y, "square", 0.0)
    assert np.allclose(X @ fit.w / math.sqrt(150), y, atol=1e-12)
    assert fit.w == pytest.approx(np.linalg.pinv(X / math.sqrt(150)) @ y, abs=1e-12)
    assert fit.training_loss == pytest.approx(0.0, abs=1e-24)


def test_logistic_matches_an_independent_newton_solve():
    X, y = data(150, 60, seed=1)
    lam, p = 0.05, 60
    fit = train(X, y, "logistic", lam)
    w = np.zeros(p)
    for _ in range(30):  # Newton on the same objective, written out here
        z = X @ w / math.sqrt(p)
        s = 1.0 / (1.0 + np.exp(y * z))  # sigma(-y z)
        grad = -X.T @ (y * s) / math.sqrt(p) + lam * w
        hess = (X.T * (s * (1 - s))) @ X / p + lam * np.eye(p)
        w -= np.linalg.solve(hess, grad)
    assert fit.converged and fit.residual <= 1e-8
    assert fit.w == pytest.approx(w, abs=1e-6)


def test_hinge_satisfies_the_dual_optimality_conditions():
    X, y = data(200, 50, seed=2)
    lam, p = 0.1, 50
    a, w, sweeps, violation = _hinge_dual(X, y, lam, 1e-10, 100_000)
    margins = y * (X @ w) / math.sqrt(p)
    assert violation <= 1e-10
    assert np.all(margins[a <= 0] >= 1 - 1e-9) and np.all(margins[a >= 1] <= 1 + 1e-9)
    inner = (a > 1e-12) & (a < 1 - 1e-12)
    assert np.all(np.abs(margins[inner] - 1) <= 1e-9)
    primal = np.sum(np.maximum(0, 1 - margins)) + 0.5 * lam * w @ w
    dual = np.sum(a) - 0.5 * lam * w @ w  # w = sum a y x / (lam sqrt p)
    assert primal - dual <= 1e-7 * primal
    fit = train(X, y, "hinge", lam, tol=1e-10)
    assert fit.w == pytest.approx(w, abs=1e-12) and fit.converged


def test_logistic_and_hinge_need_a_ridge():
    X, y = data(30, 10)
    for loss in ("logistic", "hinge"):
        with pytest.raises(ValueError, match="lam must be > 0"):
            train(X, y, loss, 0.0)


@pytest.mark.parametrize(
    "args, error, match",
    [
        ((np.ones((5, 3)), np.ones(4), "square", 0.1), ValueError, "X must be"),
        ((np.ones((5, 3)), np.ones(5), "square", -1.0), ValueError, "lam must be >= 0"),
        ((np.ones((5, 3)), np.full(5, 0.5), "logistic", 0.1), ValueError, "y must be -1 or"),
        ((np.ones((5, 3)), np.ones(5), "absolute", 0.1), ValueError, "unknown loss"),
        ((np.full((5, 3), np.nan), np.ones(5), "square", 0.1), ValueError, "X must be finite"),
    ],
)
def test_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        train(*args)
