r"""Finite-size analysis of a capacity: where the solvable fraction crosses 1/2, and N -> infinity.

At finite N the fraction of solvable instances falls from 1 to 0 over a window of width
:math:`O(N^{-1/2})` around :math:`\alpha_{1/2}(N)`, which tends to the capacity :math:`\alpha_c`
(Gardner 1988; for the binary perceptron Krauth & Opper 1989 extrapolate such exhaustive-search
results in 1/N to the :math:`\alpha_c \approx 0.83` of Krauth & Mézard 1989).

1. :func:`crossing_point` fits the counts :math:`k_i \sim \mathrm{Bin}(n_i, p(\alpha_i))` by
   maximum likelihood with :math:`\operatorname{logit} p(\alpha) = \eta(\alpha) = \sum_{j\le d}
   b_j x^j`, :math:`x` the standardised load (Newton on the concave log-likelihood);
   :math:`\alpha_{1/2}` is the root of :math:`\eta` in the data range. Its standard error comes from
   the inverse Fisher information by the delta method, :math:`\partial r/\partial b_j =
   -r^j/\eta'(r)`. ``degree = 1`` is the plain logistic
   :math:`p = 1/(1 + e^{(\alpha - \alpha_{1/2})/s})`; but the finite-N curves are skewed (Cover's
   is a binomial tail whose width grows with :math:`P`), and on exact Cover curves (N = 25-100,
   loads 1.6-2.4) the plain logistic misplaces the crossing by +0.005 to +0.012, the quadratic
   ``degree = 2`` (the default) by at most 5e-4. Read ``deviance`` (about :math:`\chi^2` with
   ``dof`` degrees of freedom when the model fits) to check the model, and restrict
   ``alpha_range`` to the transition region if it does not.
2. :func:`extrapolate_to_infinite_N` fits :math:`\alpha_{1/2}(N) = \sum_{k\le d} c_k N^{-k}` by
   weighted least squares with weights :math:`1/\sigma_N^2`; :math:`c_0` is the
   :math:`N\to\infty` value and its standard error is :math:`\sqrt{[(X^\top W X)^{-1}]_{00}}`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, xlogy

from statlearn.numerics import ConvergenceWarning, as_count, as_real_array, brief, freeze_arrays, stop_message

__all__ = ["Crossing", "crossing_point", "Extrapolation", "extrapolate_to_infinite_N"]


@dataclass(frozen=True)
class Crossing:
    r"""Maximum-likelihood estimate of the load where the solvable fraction is 1/2.

    Attributes
    ----------
    alpha_half
        :math:`\alpha_{1/2}`.
    stderr
        Its standard error (inverse Fisher information, delta method).
    width
        Local logistic scale :math:`s = 1/|d\eta/d\alpha|` at the crossing (the fraction goes from
        0.73 to 0.27 over about :math:`2s`).
    deviance
        Likelihood-ratio statistic against the saturated model.
    dof
        Points used minus ``degree + 1``.
    converged
        Whether the Newton iteration of the fit met its step tolerance (:math:`10^{-10}` relative).
    iterations
        Newton steps taken.
    residual
        :math:`\\max_k |\\Delta\\beta_k|` of the last Newton step (the quantity compared with the tolerance).
    message
        Why the fit stopped.
    """

    alpha_half: float
    stderr: float
    width: float
    deviance: float
    dof: int
    converged: bool = True
    iterations: int = 0
    residual: float = 0.0
    message: str = ""


@dataclass(frozen=True)
class Extrapolation:
    r"""Weighted least-squares fit :math:`y(N) = \sum_{k=0}^{d} c_k N^{-k}`.

    Attributes
    ----------
    value
        :math:`c_0`, the :math:`N\to\infty` limit.
    stderr
        Standard error of :math:`c_0` from the given errors (not rescaled by ``chi2 / dof``).
    coefficients
        :math:`(c_0, \dots, c_d)`.
    covariance
        Their covariance matrix.
    chi2
        Weighted sum of squared residuals.
    dof
        Points minus ``d + 1``.
    converged, iterations, residual, message
        A closed form (QR least squares): ``True``, 0, 0.0 and a one-line summary.

    Arrays are read-only.
    """

    value: float
    stderr: float
    coefficients: np.ndarray
    covariance: np.ndarray
    chi2: float
    dof: int
    converged: bool = True
    iterations: int = 0
    residual: float = 0.0
    message: str = "closed form: weighted least squares by QR"

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _log_likelihood(eta: np.ndarray, k: np.ndarray, n: np.ndarray) -> float:
    return float(np.sum(k * eta - n * np.logaddexp(0.0, eta)))


def crossing_point(
    alpha: ArrayLike,
    n_solvable: ArrayLike,
    n_samples: ArrayLike,
    *,
    degree: int = 2,
    alpha_range: tuple[float, float] | None = None,
    max_iter: int = 100,
) -> Crossing:
    r"""Estimate :math:`\alpha_{1/2}` from binomial counts by a logistic maximum-likelihood fit.

    Parameters
    ----------
    alpha
        Loads, shape ``(m,)``.
    n_solvable
        Solvable instances at each load, integers in ``[0, n_samples]``.
    n_samples
        Instances at each load (scalar or ``(m,)``), ``>= 1``.
    degree
        Degree of the logit polynomial in :math:`\alpha`: 1 = logistic, 2 = logistic with skew.
    alpha_range
        ``(low, high)``: use only loads in this closed interval (chosen without looking at the
        counts, so the selection does not bias them). Default: all.
    max_iter
        Newton iterations before giving up.

    Returns
    -------
    Crossing

    Raises
    ------
    ValueError
        Fewer than two loads with ``0 < n_solvable < n_samples`` (the maximum-likelihood slope is
        then infinite: the grid does not resolve the crossing), fewer than ``degree + 1`` loads, or
        a fitted curve that does not cross 1/2 exactly once within the loads.
    """
    alpha = np.atleast_1d(as_real_array("alpha", alpha))
    k = np.atleast_1d(as_real_array("n_solvable", n_solvable, minimum=0.0))
    n_arr = as_real_array("n_samples", n_samples, minimum=1.0)
    if n_arr.ndim != 0 and n_arr.shape != alpha.shape:
        raise ValueError(f"n_samples must be a scalar or of the shape of alpha {alpha.shape}, got {n_arr.shape}")
    n = np.broadcast_to(n_arr, alpha.shape)
    if alpha.ndim != 1 or k.shape != alpha.shape:
        raise ValueError(f"alpha and n_solvable must be 1-D of equal length, got {alpha.shape} and {k.shape}")
    if np.any(k != np.round(k)) or np.any(n != np.round(n)) or np.any(k > n):
        raise ValueError("n_solvable and n_samples must be integer counts with n_solvable <= n_samples")
    degree = as_count("degree", degree, minimum=1)
    max_iter = as_count("max_iter", max_iter, minimum=1)
    if alpha_range is not None:
        bounds = as_real_array("alpha_range", alpha_range)
        if bounds.shape != (2,) or bounds[0] > bounds[1]:
            raise ValueError(f"alpha_range must be a pair (low, high) with low <= high, got {brief(alpha_range)}")
        low, high = bounds
        keep = (alpha >= low) & (alpha <= high)
        alpha, k, n = alpha[keep], k[keep], n[keep]
    if np.unique(alpha[(k > 0) & (k < n)]).size < 2:
        raise ValueError("need at least two loads with 0 < n_solvable < n_samples to locate the crossing")
    if np.unique(alpha).size < degree + 1:
        raise ValueError(f"need at least degree + 1 = {degree + 1} distinct loads, got {np.unique(alpha).size}")

    centre, spread = alpha.mean(), alpha.std()
    x = (alpha - centre) / spread
    design = np.vander(x, degree + 1, increasing=True)
    beta = np.zeros(degree + 1)
    loglik = _log_likelihood(design @ beta, k, n)
    converged, steps, size = False, 0, float("inf")
    for _ in range(max_iter):
        p = expit(design @ beta)
        fisher = design.T @ ((n * p * (1.0 - p))[:, None] * design)
        step = np.linalg.solve(fisher, design.T @ (k - n * p))
        steps += 1
        size = float(np.max(np.abs(step)))
        if size <= 1e-10 * (1.0 + np.max(np.abs(beta))):
            beta = beta + step
            converged = True
            break
        # Newton ascent with step halving; the allowance absorbs rounding of the log-likelihood
        allowance = 1e-12 * (1.0 + abs(loglik))
        new = _log_likelihood(design @ (beta + step), k, n)
        while new < loglik - allowance:
            step = 0.5 * step
            new = _log_likelihood(design @ (beta + step), k, n)
        beta, loglik = beta + step, new
    message = stop_message(converged, steps, size, 1e-10, unit="Newton steps")
    if not converged:
        warnings.warn(f"crossing_point: logistic fit {message}", ConvergenceWarning, stacklevel=2)

    roots = np.roots(beta[::-1])
    roots = roots[(np.abs(roots.imag) <= 1e-9) & (roots.real >= x.min()) & (roots.real <= x.max())].real
    if roots.size != 1:
        raise ValueError(
            f"the curve fitted to n_solvable/n_samples crosses 1/2 {roots.size} times within the loads, not once"
        )
    root = roots[0]
    slope = np.polyval(np.polyder(beta[::-1]), root)  # d eta / dx at the crossing
    p = expit(design @ beta)
    covariance = np.linalg.inv(design.T @ ((n * p * (1.0 - p))[:, None] * design))
    gradient = -(root ** np.arange(degree + 1)) / slope
    deviance = 2.0 * np.sum(xlogy(k, k / (n * p)) + xlogy(n - k, (n - k) / (n * (1.0 - p))))
    return Crossing(
        alpha_half=float(centre + spread * root),
        stderr=float(spread * np.sqrt(gradient @ covariance @ gradient)),
        width=float(spread / abs(slope)),
        deviance=float(deviance),
        dof=int(alpha.size - degree - 1),
        converged=converged,
        iterations=steps,
        residual=size,
        message=message,
    )


def extrapolate_to_infinite_N(N: ArrayLike, value: ArrayLike, stderr: ArrayLike, *, degree: int = 1) -> Extrapolation:
    r"""Extrapolate finite-N estimates to :math:`N\to\infty`, polynomially in :math:`1/N`.

    Parameters
    ----------
    N
        Sizes, shape ``(m,)``, ``>= 1``; at least ``degree + 1`` distinct.
    value
        Estimates at each N (e.g. :attr:`Crossing.alpha_half`).
    stderr
        Their standard errors, ``> 0``.
    degree
        Degree ``d`` of the polynomial in :math:`1/N` (1: linear, 2: quadratic).

    Returns
    -------
    Extrapolation
    """
    N = np.atleast_1d(as_real_array("N", N, minimum=1.0))
    y = np.atleast_1d(as_real_array("value", value))
    sigma = np.atleast_1d(as_real_array("stderr", stderr, minimum=0.0, strict_minimum=True))
    degree = as_count("degree", degree, minimum=0)
    if N.ndim != 1 or y.shape != N.shape or sigma.shape != N.shape:
        raise ValueError(f"N, value and stderr must be 1-D of equal length, got {N.shape}, {y.shape}, {sigma.shape}")
    if np.unique(N).size < degree + 1:
        raise ValueError(f"N must have at least degree + 1 = {degree + 1} distinct sizes, got {np.unique(N).size}")
    design = (1.0 / N[:, None]) ** np.arange(degree + 1) / sigma[:, None]
    q, r = np.linalg.qr(design)
    coefficients = np.linalg.solve(r, q.T @ (y / sigma))
    r_inv = np.linalg.inv(r)
    covariance = r_inv @ r_inv.T
    residual = design @ coefficients - y / sigma
    return Extrapolation(
        value=float(coefficients[0]),
        stderr=float(np.sqrt(covariance[0, 0])),
        coefficients=coefficients,
        covariance=covariance,
        chi2=float(residual @ residual),
        dof=int(N.size - degree - 1),
    )
