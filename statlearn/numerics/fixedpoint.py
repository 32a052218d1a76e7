r"""Fixed points :math:`x = F(x)` of saddle-point equations, and continuation along a parameter.

Saddle-point (replica) equations and state evolution are fixed-point problems for a few order
parameters. :func:`fixed_point` solves them by damped iteration

.. math:: x_{k+1} = x_k + \beta\,(F(x_k) - x_k), \qquad 0 < \beta \le 1,

optionally accelerated by Anderson mixing of depth ``m`` (type II, Walker & Ni, SIAM J. Numer.
Anal. 49, 1715 (2011)): the step combines the last ``m`` residuals :math:`g_k = F(x_k) - x_k`
with the least-squares coefficients that minimise the combined residual. An Anderson step that
leaves the domain (non-finite, or rejected by ``project``) is replaced by the damped step.

Every call returns a :class:`FixedPointResult`; a solve that does not reach the tolerance emits a
:class:`ConvergenceWarning` and has ``converged=False``. Nothing is returned silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar

__all__ = ["ConvergenceWarning", "FixedPointResult", "fixed_point", "continuation"]


MAX_ITER = 10**7
"""Largest ``max_iter`` of :func:`fixed_point` (bounded up front)."""


class ConvergenceWarning(RuntimeWarning):
    """A solver stopped before reaching its tolerance; its result has ``converged=False``."""


@dataclass(frozen=True)
class FixedPointResult:
    """Outcome of :func:`fixed_point`.

    Attributes
    ----------
    x
        Last iterate (same shape as the initial point).
    converged
        Whether ``residual <= tol``.
    iterations
        Number of evaluations of ``F``.
    residual
        :math:`\\max_i |F(x)_i - x_i| / \\max(1, \\max_i |x_i|)` at the returned ``x``.
    message
        Why the iteration stopped (:func:`statlearn.numerics.result.stop_message`).

    ``x`` is read-only.
    """

    x: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str = ""

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _residual(x: np.ndarray, fx: np.ndarray) -> float:
    return float(np.max(np.abs(fx - x)) / max(1.0, float(np.max(np.abs(x)))))


def fixed_point(
    F: Callable[[np.ndarray], ArrayLike],
    x0: ArrayLike,
    *,
    mixing: float = 1.0,
    anderson: int = 0,
    tol: float = 1e-12,
    max_iter: int = 10_000,
    project: Callable[[np.ndarray], np.ndarray] | None = None,
    warn: bool = True,
) -> FixedPointResult:
    """Solve ``x = F(x)`` by damped (and optionally Anderson-accelerated) iteration.

    Parameters
    ----------
    F
        The map; takes and returns a float array of the shape of ``x0``.
    x0
        Starting point.
    mixing
        Damping factor beta in (0, 1]: the fraction of the new iterate taken at each step.
    anderson
        Anderson depth m >= 0 (0 means plain damped iteration).
    tol
        Tolerance on the scaled residual (see :class:`FixedPointResult`).
    max_iter
        Maximum number of evaluations of ``F``.
    project
        Optional map of an iterate into the domain of ``F`` (e.g. clip an overlap into [0, 1)).
    warn
        Emit :class:`ConvergenceWarning` when not converged (default). Callers that report
        non-convergence themselves (e.g. along a curve) may pass ``False``.
    """
    mixing = as_real_scalar("mixing", mixing, minimum=0.0, strict_minimum=True, maximum=1.0)
    anderson = as_count("anderson", anderson)
    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True)
    max_iter = as_count("max_iter", max_iter, minimum=1, maximum=MAX_ITER)
    x = np.array(as_real_array("x0", x0, allow_empty=False), dtype=float)
    shape = x.shape
    proj = project if project is not None else (lambda y: y)
    x = np.asarray(proj(x), dtype=float).ravel()

    def G(y: np.ndarray) -> np.ndarray:
        return np.asarray(F(y.reshape(shape)), dtype=float).ravel()

    fx = G(x)
    iterations = 1
    residual = _residual(x, fx)
    dx_hist: list[np.ndarray] = []
    dg_hist: list[np.ndarray] = []
    while residual > tol and iterations < max_iter and np.isfinite(residual):
        g = fx - x
        x_new = x + mixing * g
        if anderson and dg_hist:
            dG = np.stack(dg_hist, axis=1)
            dX = np.stack(dx_hist, axis=1)
            gamma, *_ = np.linalg.lstsq(dG, g, rcond=None)
            candidate = x + mixing * g - (dX + mixing * dG) @ gamma
            candidate = np.asarray(proj(candidate), dtype=float)
            if np.all(np.isfinite(candidate)):
                x_new = candidate
        x_new = np.asarray(proj(x_new), dtype=float)
        fx_new = G(x_new)
        iterations += 1
        if anderson:
            dx_hist.append(x_new - x)
            dg_hist.append((fx_new - x_new) - g)
            if len(dx_hist) > anderson:
                dx_hist.pop(0)
                dg_hist.pop(0)
        x, fx = x_new, fx_new
        residual = _residual(x, fx)
    converged = bool(residual <= tol)
    if not converged and warn:
        warnings.warn(
            f"fixed_point did not converge: residual {residual:.3g} > tol {tol:.3g} after {iterations} iterations",
            ConvergenceWarning,
            stacklevel=2,
        )
    message = stop_message(converged, iterations, residual, tol)
    return FixedPointResult(
        x=x.reshape(shape), converged=converged, iterations=iterations, residual=residual, message=message
    )


def continuation(
    solve: Callable[[float, np.ndarray], FixedPointResult],
    values: Sequence[float] | np.ndarray,
    x0: ArrayLike,
) -> list[FixedPointResult]:
    """Solve along a grid of a control parameter, starting each point from the previous solution.

    ``solve(value, start)`` returns a :class:`FixedPointResult`. When a point fails to converge
    the next one starts again from the last *converged* solution (or ``x0``), so one bad point
    does not poison the rest of the curve.
    """
    start = np.array(x0, dtype=float)
    results: list[FixedPointResult] = []
    for value in np.asarray(values, dtype=float):
        res = solve(float(value), start)
        results.append(res)
        if res.converged:
            start = np.array(res.x, dtype=float)
    return results
