r"""The LASSO by approximate message passing, and by iterated soft thresholding (ISTA, FISTA, homotopy).

All solvers here minimise the LASSO cost

.. math::
    \mathcal C(x) = \tfrac12\|y - A x\|^2 + \lambda\|x\|_1

for a measurement matrix :math:`A\in\mathbb R^{n\times N}` (the argument ``F``) and measurements :math:`y`,
through the soft threshold :math:`\eta(x;\theta) = \operatorname{sign}(x)(|x|-\theta)_+` of
:mod:`statlearn.models.sparsity` (scikit-learn's ``Lasso(alpha)`` minimises :math:`\mathcal C/n` with
:math:`\lambda = n\,\alpha`). A minimiser is characterised by the KKT conditions
:math:`A^T(y - Ax) = \lambda\operatorname{sign}(x)` on the support and :math:`|A^T(y-Ax)|\le\lambda` off it,
equivalently by :math:`x = \eta(x + s A^T(y - Ax); s\lambda)` for any :math:`s > 0`.

**AMP** (Donoho, Maleki & Montanari, PNAS 106, 18914 (2009)), for :math:`A` with i.i.d. entries of
variance :math:`1/n` (unit-norm columns on average), from :math:`x^0 = 0`, :math:`z^0 = y`:

.. math::
    x^{t+1} = \eta(x^t + A^T z^t;\theta_t),\qquad
    z^{t+1} = y - A x^{t+1} + b_{t+1} z^t,\qquad b_{t+1} = \frac{\|x^{t+1}\|_0}{n}.

The Onsager term :math:`b z^t` (:math:`\|x\|_0/n` is :math:`\frac1\delta\langle\eta'\rangle`) makes
:math:`x^t + A^T z^t - x_0` Gaussian with the variance of the state evolution
(:mod:`statlearn.replica.lasso`). Two threshold policies:

- ``threshold=tau``: :math:`\theta_t = \tau\hat\sigma_t`, :math:`\hat\sigma_t = \|z^t\|/\sqrt n`, the
  policy of the state evolution and of the phase transition;
- ``lam=lambda``: :math:`\theta_{t+1} = \lambda + b_{t+1}\theta_t`, whose fixed point is
  :math:`\theta = \lambda/(1-b)`, from :math:`\theta_0 = \max(\lambda, \|y\|/\sqrt n)` (a first
  threshold at :math:`\lambda`, small, would keep almost every entry and make :math:`b \ge 1`).

At a fixed point :math:`(1 - b) z = y - Ax` and :math:`x = \eta(x + A^T(y-Ax)/(1-b);\theta)`, which is the
KKT condition above with :math:`s = 1/(1-b)`: AMP's fixed point is the LASSO minimiser at
:math:`\lambda = \theta(1 - \|x\|_0/n)` (Bayati & Montanari, IEEE Trans. Inf. Theory 58, 1997 (2012)),
the calibration reported as :attr:`LassoAMPResult.lam`; with ``lam=`` it is the requested
:math:`\lambda` exactly.

**ISTA** (Daubechies, Defrise & De Mol, Commun. Pure Appl. Math. 57, 1413 (2004)):
:math:`x^{k+1} = \eta(x^k + A^T(y - Ax^k)/L;\lambda/L)` with :math:`L = \|A\|_2^2`, cost gap
:math:`O(1/k)`. **FISTA** (Beck & Teboulle, SIAM J. Imaging Sci. 2, 183 (2009)) applies the same step at
the extrapolated point :math:`x^k + \frac{t_{k-1} - 1}{t_k}(x^k - x^{k-1})`,
:math:`t_k = (1 + \sqrt{1 + 4t_{k-1}^2})/2`, cost gap :math:`O(1/k^2)`. **Decreasing thresholds**
(``homotopy=r``, the iterated thresholding with decreasing thresholds of Mallat's sparse coding,
a continuation as in Hale, Yin & Zhang, SIAM J. Optim. 19, 1107 (2008)): the step uses
:math:`\lambda_k = \max(\lambda, r^k\|A^Ty\|_\infty)`; once :math:`\lambda_k = \lambda` it is plain
ISTA/FISTA (the momentum restarted there), so the limit is the same minimiser and only the speed changes.

Every solver stops, converged, at the first iteration whose relative change
:math:`\|x^{k+1}-x^k\|/\|x^{k+1}\|` is at most ``tol`` (at the final threshold); otherwise it warns with
:class:`~statlearn.numerics.ConvergenceWarning`. Given a ``reference`` (the true signal, or a
minimiser), the results record :math:`\|x^k - x_{ref}\|^2/N` at every iteration.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.sparse.linalg import svds

from statlearn.models.sparsity import soft_threshold
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar, brief

__all__ = ["LassoAMPResult", "ISTAResult", "lasso_amp", "ista", "lasso_kkt_violation", "lipschitz_constant"]

MAX_ITER = 10**6
"""Largest ``max_iter`` (bounded up front)."""

MAGNITUDE_LIMIT = 1e30
"""Largest ``|F|`` and ``|y|`` entry accepted (their products and squares must stay in the double range)."""


_DENSE_SVD = 200  # smaller matrices: the full SVD; larger: Lanczos


def _problem(F: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    A = np.ascontiguousarray(as_real_array("F", F, minimum=-MAGNITUDE_LIMIT, maximum=MAGNITUDE_LIMIT))
    y = as_real_array("y", y, minimum=-MAGNITUDE_LIMIT, maximum=MAGNITUDE_LIMIT)
    if A.ndim != 2 or A.shape[0] < 1 or A.shape[1] < 1:
        raise ValueError(f"F must be a non-empty 2-D (n, N) matrix, got shape {A.shape}")
    if y.shape != (A.shape[0],):
        raise ValueError(f"y must have shape (n,) = ({A.shape[0]},) to match F of shape {A.shape}, got {y.shape}")
    return A, y


def _reference(reference: ArrayLike | None, N: int) -> np.ndarray | None:
    if reference is None:
        return None
    ref = as_real_array("reference", reference, minimum=-MAGNITUDE_LIMIT, maximum=MAGNITUDE_LIMIT)
    if ref.shape != (N,):
        raise ValueError(f"reference must have shape (N,) = ({N},) to match F, got shape {ref.shape}")
    return ref


def _budget(max_iter: object, tol: object) -> tuple[int, float]:
    return (
        as_count("max_iter", max_iter, minimum=1, maximum=MAX_ITER),
        as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True),
    )


def _relative_change(new: np.ndarray, old: np.ndarray) -> float:
    norm = math.sqrt(float(new @ new))
    change = math.sqrt(float((new - old) @ (new - old)))
    return change / norm if norm > 0 else (0.0 if change == 0 else math.inf)


def _outcome(solver: str, converged: bool, failure: str | None, deltas: list[float], tol: float) -> tuple[float, str]:
    """The residual (last relative change) and message of a run; warns when it did not converge."""
    residual = deltas[-1] if deltas else math.inf
    if not converged:
        reason = failure or f"relative change {residual:.3g} > tol {tol:.3g} after {len(deltas)} iterations"
        warnings.warn(f"{solver} did not converge: {reason}", ConvergenceWarning, stacklevel=3)
    return residual, stop_message(converged, len(deltas), residual, tol, reason=failure)


def lasso_kkt_violation(F: ArrayLike, y: ArrayLike, x: ArrayLike, lam: float) -> float:
    r"""How far ``x`` is from minimising :math:`\tfrac12\|y-Fx\|^2 + \lambda\|x\|_1`, relative to :math:`\lambda`:
    :math:`\max\big(\max_{x_i\ne0}|g_i - \lambda\operatorname{sign}x_i|,\ \max_{x_i=0}(|g_i| - \lambda)_+\big)/\lambda`,
    :math:`g = F^T(y - Fx)`. Zero exactly at a minimiser."""
    A, y = _problem(F, y)
    estimate = as_real_array("x", x, minimum=-MAGNITUDE_LIMIT, maximum=MAGNITUDE_LIMIT)
    if estimate.shape != (A.shape[1],):
        raise ValueError(f"x must have shape (N,) = ({A.shape[1]},) to match F, got shape {estimate.shape}")
    lam = as_real_scalar("lam", lam, minimum=0.0, strict_minimum=True)
    g = A.T @ (y - A @ estimate)
    on = estimate != 0
    worst = np.max(np.abs(g[on] - lam * np.sign(estimate[on])), initial=0.0)
    worst = max(worst, float(np.max(np.abs(g[~on]) - lam, initial=0.0)))
    return float(worst) / lam


def lipschitz_constant(F: ArrayLike) -> float:
    r""":math:`L = \|F\|_2^2`, the Lipschitz constant of the gradient of :math:`\tfrac12\|y - Fx\|^2` (largest
    singular value by Lanczos, raised by 1e-10 relative so that the step :math:`1/L` stays admissible)."""
    A = as_real_array("F", F, minimum=-MAGNITUDE_LIMIT, maximum=MAGNITUDE_LIMIT)
    if A.ndim != 2 or A.shape[0] < 1 or A.shape[1] < 1:
        raise ValueError(f"F must be a non-empty 2-D (n, N) matrix, got shape {A.shape}")
    if not np.any(A):
        raise ValueError("F must have a non-zero entry (the step 1/L of ISTA is undefined for F = 0)")
    if min(A.shape) <= _DENSE_SVD:
        top = float(np.linalg.norm(A, 2))
    else:
        top = float(svds(A, k=1, return_singular_vectors=False, tol=1e-12, random_state=0)[0])
    return top * top * (1.0 + 1e-10)


@dataclass(frozen=True)
class LassoAMPResult:
    r"""Outcome of :func:`lasso_amp`.

    Attributes
    ----------
    x
        The last iterate.
    lam
        :math:`\lambda = \theta(1 - \|x\|_0/n)` of the last iterate: the LASSO penalty whose minimiser
        AMP's fixed point is (the requested ``lam`` at convergence, in that mode).
    theta
        Thresholds :math:`\theta_t`, one per iteration.
    delta
        Relative changes :math:`\|x^{t+1}-x^t\|/\|x^{t+1}\|`, one per iteration.
    distance
        :math:`\|x^t - x_{ref}\|^2/N` for ``t = 0, 1, ...`` (``t = 0``: :math:`x^0 = 0`) when a ``reference``
        was given, else None.
    converged, iterations, residual, message
        As everywhere (:mod:`statlearn.numerics.result`); ``iterations`` counts AMP steps (two
        products with ``F`` each) and ``residual`` is the last relative change.

    Arrays are read-only.
    """

    x: np.ndarray
    lam: float
    theta: np.ndarray
    delta: np.ndarray
    distance: np.ndarray | None
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def lasso_amp(
    F: ArrayLike,
    y: ArrayLike,
    *,
    threshold: float | None = None,
    lam: float | None = None,
    max_iter: int = 1000,
    tol: float = 1e-10,
    reference: ArrayLike | None = None,
) -> LassoAMPResult:
    r"""AMP with soft thresholding for the LASSO (module docstring).

    Parameters
    ----------
    F
        ``(n, N)`` measurement matrix, i.i.d. entries of variance :math:`1/n`.
    y
        ``(n,)`` measurements.
    threshold, lam
        Exactly one: ``threshold`` = :math:`\tau > 0` for :math:`\theta_t = \tau\|z^t\|/\sqrt n`, or
        ``lam`` = :math:`\lambda > 0` for the calibrated policy whose fixed point minimises the LASSO
        at :math:`\lambda`.
    max_iter, tol
        Iteration budget and relative change of a converged run.
    reference
        ``(N,)`` vector (the signal, or a minimiser): records ``distance``.

    Warns
    -----
    ConvergenceWarning
        When not converged within ``max_iter`` steps, or when an iterate becomes non-finite. (The support
        may exceed :math:`n` on the way, :math:`b_t > 1`; with ``lam=`` the threshold then grows and shrinks it.)
    """
    A, y = _problem(F, y)
    n, N = A.shape
    if (threshold is None) == (lam is None):
        raise ValueError(f"give exactly one of threshold and lam, got threshold={brief(threshold)}, lam={brief(lam)}")
    tau = None if threshold is None else as_real_scalar("threshold", threshold, minimum=0.0, strict_minimum=True)
    penalty = None if lam is None else as_real_scalar("lam", lam, minimum=0.0, strict_minimum=True)
    max_iter, tol = _budget(max_iter, tol)
    ref = _reference(reference, N)
    sqrt_n = math.sqrt(n)

    x = np.zeros(N)
    z = y.copy()
    scale = math.sqrt(float(z @ z)) / sqrt_n
    theta = max(penalty, scale) if penalty is not None else tau * scale  # type: ignore[operator]
    thetas: list[float] = []
    deltas: list[float] = []
    distances = [] if ref is None else [float(ref @ ref) / N]
    converged = False
    failure = None
    onsager = 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite iterate is reported below
        for _ in range(max_iter):
            thetas.append(theta)
            new = np.asarray(soft_threshold(x + A.T @ z, theta))
            onsager = np.count_nonzero(new) / n
            if not math.isfinite(float(new @ new)):
                failure = "iterate became non-finite"
                break
            deltas.append(_relative_change(new, x))
            x = new
            if ref is not None:
                d = x - ref
                distances.append(float(d @ d) / N)
            z = y - A @ x + onsager * z
            if deltas[-1] <= tol:
                converged = True
                break
            if penalty is not None:
                theta = penalty + onsager * theta
            else:
                theta = tau * math.sqrt(float(z @ z)) / sqrt_n  # type: ignore[operator]
    residual, message = _outcome("lasso_amp", converged, failure, deltas, tol)
    return LassoAMPResult(
        x=x,
        lam=thetas[-1] * (1.0 - onsager) if thetas else math.nan,
        theta=np.array(thetas),
        delta=np.array(deltas),
        distance=None if ref is None else np.array(distances),
        converged=converged,
        iterations=len(deltas),
        residual=residual,
        message=message,
    )


@dataclass(frozen=True)
class ISTAResult:
    r"""Outcome of :func:`ista`.

    Attributes
    ----------
    x
        The last iterate.
    cost
        The LASSO cost :math:`\tfrac12\|y-Ax^k\|^2 + \lambda\|x^k\|_1` (at the final :math:`\lambda`), one per iteration.
    delta
        Relative changes :math:`\|x^{k+1}-x^k\|/\|x^{k+1}\|`, one per iteration.
    distance
        :math:`\|x^k - x_{ref}\|^2/N` for ``k = 0, 1, ...`` when a ``reference`` was given, else None.
    converged, iterations, residual, message
        As everywhere; ``iterations`` counts gradient steps (two products with ``F`` each) and
        ``residual`` is the last relative change.

    Arrays are read-only.
    """

    x: np.ndarray
    cost: np.ndarray
    delta: np.ndarray
    distance: np.ndarray | None
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def ista(
    F: ArrayLike,
    y: ArrayLike,
    lam: float,
    *,
    accelerated: bool = False,
    homotopy: float | None = None,
    lipschitz: float | None = None,
    max_iter: int = 100_000,
    tol: float = 1e-10,
    reference: ArrayLike | None = None,
) -> ISTAResult:
    r"""ISTA, or FISTA (``accelerated=True``), for the LASSO at ``lam``, optionally with decreasing
    thresholds (module docstring).

    Parameters
    ----------
    F, y
        ``(n, N)`` matrix and ``(n,)`` measurements (any scaling).
    lam
        :math:`\lambda > 0`.
    accelerated
        Beck & Teboulle's momentum (FISTA).
    homotopy
        None (a fixed threshold) or the factor :math:`r\in(0,1)` of the decreasing thresholds
        :math:`\lambda_k = \max(\lambda, r^k\|A^Ty\|_\infty)`.
    lipschitz
        :math:`L \ge \|F\|_2^2` if known (else :func:`lipschitz_constant`).
    max_iter, tol, reference
        As in :func:`lasso_amp`.

    Every iteration costs two products with ``F``, as one of AMP: the product at the extrapolated point is the
    same combination of the stored products at the last two iterates.

    Warns
    -----
    ConvergenceWarning
        When not converged within ``max_iter`` steps.
    """
    A, y = _problem(F, y)
    N = A.shape[1]
    lam = as_real_scalar("lam", lam, minimum=0.0, strict_minimum=True)
    if not isinstance(accelerated, bool | np.bool_):
        raise TypeError(f"accelerated must be a bool, got {brief(accelerated)}")
    ratio = None
    if homotopy is not None:
        ratio = as_real_scalar("homotopy", homotopy, minimum=0.0, strict_minimum=True)
        if ratio >= 1.0:
            raise ValueError(f"homotopy must be < 1 (the factor of the decreasing thresholds), got {ratio!r}")
    L = (
        lipschitz_constant(A)
        if lipschitz is None
        else as_real_scalar("lipschitz", lipschitz, minimum=0.0, strict_minimum=True)
    )
    max_iter, tol = _budget(max_iter, tol)
    ref = _reference(reference, N)

    start = float(np.max(np.abs(A.T @ y)))
    level = max(lam, start) if ratio is not None else lam
    x = np.zeros(N)
    point = x
    Ax = np.zeros(A.shape[0])  # A x and A point, carried along: two products with A per iteration
    Apoint = Ax
    momentum = 1.0
    costs: list[float] = []
    deltas: list[float] = []
    distances = [] if ref is None else [float(ref @ ref) / N]
    converged = False
    failure = None
    with np.errstate(over="ignore", invalid="ignore"):  # a non-finite iterate is reported below
        for _ in range(max_iter):
            new = np.asarray(soft_threshold(point + A.T @ (y - Apoint) / L, level / L))
            if not math.isfinite(float(new @ new)):
                failure = "iterate became non-finite"
                break
            deltas.append(_relative_change(new, x))
            Anew = A @ new
            r = y - Anew
            costs.append(0.5 * float(r @ r) + lam * float(np.sum(np.abs(new))))
            if ref is not None:
                d = new - ref
                distances.append(float(d @ d) / N)
            if level == lam and deltas[-1] <= tol:
                x = new
                converged = True
                break
            if ratio is not None and level > lam:
                level = max(lam, level * ratio)
                if level == lam:
                    momentum = 1.0  # restart the momentum at the final threshold
            if accelerated:
                following = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * momentum * momentum))
                weight = (momentum - 1.0) / following
                point = new + weight * (new - x)
                Apoint = Anew + weight * (Anew - Ax)
                momentum = following
            else:
                point, Apoint = new, Anew
            x, Ax = new, Anew
    residual, message = _outcome("ista", converged, failure, deltas, tol)
    return ISTAResult(
        x=x,
        cost=np.array(costs),
        delta=np.array(deltas),
        distance=None if ref is None else np.array(distances),
        converged=converged,
        iterations=len(deltas),
        residual=residual,
        message=message,
    )
