r"""Regularised empirical risk minimisation at finite size: the estimators the ERM theory describes.

Given features X (n x p) and labels y, with the convention of Loureiro et al. (NeurIPS 2021) that
the pre-activations are z = X w / sqrt(p),

.. math:: \hat w = \operatorname{argmin}_w \sum_{\mu=1}^n \ell(y_\mu, z_\mu) + \frac{\lambda}{2}|w|^2 .

- square loss: the normal equations (X^T X / p + lambda I) w = X^T y / sqrt(p), solved in the
  smaller of the primal and dual forms; lambda = 0 gives the minimum-norm least-squares solution
  (the interpolator when p > n), by an SVD;
- logistic loss (lambda > 0): L-BFGS (scipy) on the smooth, strongly convex objective, with its
  analytic gradient, to a gradient norm of ``tol`` times the scale of the data term;
- hinge loss (lambda > 0): exact dual coordinate ascent (Hsieh, Chang, Lin, Keerthi & Sundararajan,
  ICML 2008): maximise sum_mu a_mu - |sum_mu a_mu y_mu x_mu|^2 / (2 lambda p) over 0 <= a_mu <= 1,
  w = sum_mu a_mu y_mu x_mu / (lambda sqrt p), until the largest projected-gradient violation is
  below ``tol``.

Every fit returns its KKT residual and ``converged``, and warns (ConvergenceWarning) when a solver
stops short.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from statlearn.models.losses import Loss, get_loss
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.validation import as_real_array, as_real_scalar

__all__ = ["ERMFit", "train"]


@dataclass(frozen=True)
class ERMFit:
    """A trained estimator.

    Attributes
    ----------
    w : (p,) weights; pre-activations are X w / sqrt(p).
    training_loss : mean loss (1/n) sum_mu l(y_mu, z_mu), without the penalty.
    converged, iterations : of the solver (iterations: L-BFGS iterations for the logistic loss, dual
        coordinate-descent sweeps for the hinge, 1 for the closed-form square loss).
    residual : KKT residual: |gradient| / (1 + |X^T y| / sqrt p) for square and logistic, the largest
        projected-gradient violation of the dual for the hinge.
    message : why the solver stopped. ``w`` is read-only.
    """

    w: np.ndarray
    training_loss: float
    converged: bool
    iterations: int
    residual: float
    message: str = ""

    def __post_init__(self) -> None:
        freeze_arrays(self)


def train(
    X: ArrayLike, y: ArrayLike, loss: str | Loss, lam: float, *, tol: float = 1e-8, max_iter: int = 10_000
) -> ERMFit:
    """Minimise sum_mu loss(y_mu, x_mu . w / sqrt p) + lam |w|^2 / 2 (module docstring).

    Parameters
    ----------
    X
        (n, p) features.
    y
        (n,) labels (+-1 for the logistic and hinge losses).
    loss
        ``"square"``, ``"logistic"``, ``"hinge"`` or a :class:`~statlearn.models.losses.Loss`.
    lam
        Ridge penalty >= 0 (> 0 for the logistic and hinge losses, whose minimiser may not exist
        without it on separable data).
    tol, max_iter
        Stopping tolerance (on the relative KKT residual) and iteration cap of the iterative
        solvers. L-BFGS cannot certify much below 1e-9: there the objective's decrease along the
        gradient is below its rounding error.
    """
    X = as_real_array("X", X)
    y = as_real_array("y", y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, p) and y (n,), got shapes {X.shape} and {y.shape}")
    loss = get_loss(loss)
    lam = as_real_scalar("lam", lam, minimum=0.0)
    loss.value(y, 0.0)  # validates the labels for this loss
    p = X.shape[1]
    if loss.name == "square":
        w, iterations = _ridge(X, y, lam), 1
    elif lam <= 0:
        raise ValueError(f"lam must be > 0 for the {loss.name} loss, got {lam}")
    elif loss.name == "logistic":
        w, iterations = _lbfgs(X, y, loss, lam, tol, max_iter)
    elif loss.name == "hinge":
        _, w, iterations, residual = _hinge_dual(np.ascontiguousarray(X), y, lam, tol, max_iter)
    else:
        raise ValueError(f"no solver for the loss {loss.name!r}")
    z = X @ w / math.sqrt(p)
    if loss.name != "hinge":  # the hinge's residual is its dual projected-gradient violation
        gradient = X.T @ loss.derivative(y, z) / math.sqrt(p) + lam * w
        residual = float(np.linalg.norm(gradient) / (1.0 + np.linalg.norm(X.T @ y) / math.sqrt(p)))
    converged = loss.name == "square" or residual <= tol
    if not converged:
        warnings.warn(
            f"ERM with the {loss.name} loss stopped after {iterations} iterations with KKT residual "
            f"{residual:.3g} > tol = {tol:g}",
            ConvergenceWarning,
            stacklevel=2,
        )
    message = stop_message(bool(converged), int(iterations), float(residual), None if loss.name == "square" else tol)
    return ERMFit(w, float(np.mean(loss.value(y, z))), bool(converged), int(iterations), float(residual), message)


def _ridge(X: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    n, p = X.shape
    if lam == 0:  # minimum-norm least squares (the interpolator for p > n)
        return np.linalg.lstsq(X / math.sqrt(p), y, rcond=None)[0]
    if p <= n:
        return np.linalg.solve(X.T @ X / p + lam * np.eye(p), X.T @ y / math.sqrt(p))
    return X.T @ np.linalg.solve(X @ X.T / p + lam * np.eye(n), y) / math.sqrt(p)


def _lbfgs(X: np.ndarray, y: np.ndarray, loss: Loss, lam: float, tol: float, max_iter: int):
    p = X.shape[1]
    scale = 1.0 + np.linalg.norm(X.T @ y) / math.sqrt(p)

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = X @ w / math.sqrt(p)
        value = float(np.sum(loss.value(y, z))) + 0.5 * lam * float(w @ w)
        return value, X.T @ loss.derivative(y, z) / math.sqrt(p) + lam * w

    result = minimize(
        objective,
        np.zeros(p),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tol * scale / math.sqrt(p), "ftol": 0.0, "maxcor": 30},
    )
    return result.x, int(result.nit)  # convergence is judged by the KKT residual in train()


@njit(cache=True)
def _hinge_dual(X: np.ndarray, y: np.ndarray, lam: float, tol: float, max_iter: int):
    """Dual coordinate ascent for the hinge loss with an l2 penalty; cyclic sweeps (deterministic)."""
    n, p = X.shape
    scale = 1.0 / (lam * math.sqrt(p))
    a = np.zeros(n)
    w = np.zeros(p)
    q = np.empty(n)  # curvature of each coordinate: |x_mu|^2 / (lam p)
    for mu in range(n):
        q[mu] = (X[mu] @ X[mu]) / (lam * p)
    violation = np.inf
    sweep = 0
    while sweep < max_iter:
        sweep += 1
        violation = 0.0
        for mu in range(n):
            g = y[mu] * (X[mu] @ w) / math.sqrt(p) - 1.0  # gradient of the negated dual in a_mu
            if a[mu] <= 0.0:
                pg = min(g, 0.0)
            elif a[mu] >= 1.0:
                pg = max(g, 0.0)
            else:
                pg = g
            violation = max(violation, abs(pg))
            if pg != 0.0 and q[mu] > 0.0:
                new = min(max(a[mu] - g / q[mu], 0.0), 1.0)
                step = (new - a[mu]) * y[mu] * scale
                for i in range(p):
                    w[i] += step * X[mu, i]
                a[mu] = new
        if violation <= tol:
            break
    return a, w, sweep, violation
