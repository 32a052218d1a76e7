r"""State evolution of AMP for the LASSO and the :math:`\ell_1` (Donoho-Tanner) phase transition.

Compressed sensing: :math:`y = A x_0 + w`, :math:`A\in\mathbb R^{n\times N}` with i.i.d. entries
:math:`N(0, 1/n)`, undersampling :math:`\delta = n/N` and sparsity :math:`\rho = k/n`; the signal has
:math:`k = \rho\delta N` non-zero entries (fraction :math:`\varepsilon = \rho\delta`), here drawn
:math:`N(0, 1)` (the Gauss-Bernoulli signal of :class:`statlearn.models.GaussBernoulliPrior` with density
:math:`\varepsilon`), and the noise has variance :math:`\sigma_w^2`.

**State evolution** (Donoho, Maleki & Montanari, PNAS 106, 18914 (2009); proved by Bayati & Montanari,
IEEE Trans. Inf. Theory 57, 764 (2011)). AMP with the threshold :math:`\theta_t = \tau\sigma_t`
(:func:`statlearn.amp.lasso_amp`) sees at step :math:`t` the signal in Gaussian noise of variance

.. math::
    \sigma_{t+1}^2 = \sigma_w^2 + \frac1\delta\,\mathbb E\big[(\eta(X + \sigma_t Z;\tau\sigma_t) - X)^2\big]
    = \sigma_w^2 + \frac{\sigma_t^2}{\delta}\Big[2(1-\varepsilon)M(\tau)
      + \varepsilon\,\mathbb E_{X\sim N(0,1)}\, r(X/\sigma_t;\tau)\Big],

from :math:`\sigma_0^2 = \sigma_w^2 + \varepsilon/\delta` (the start :math:`x^0 = 0`), with the risk
:math:`r` and :math:`M` of :mod:`statlearn.models.sparsity`; the mean squared error of the iterate is
:math:`\|x^{t+1} - x_0\|^2/N \to \mathrm{mse}_{t+1} = \delta(\sigma_{t+1}^2 - \sigma_w^2)`.

**Phase transition.** Without noise, :math:`\sigma = 0` is a fixed point; it attracts iff the slope of
the map at 0 is below one. Every non-zero entry contributes at most the least-favourable risk
:math:`1+\tau^2` (reached for :math:`|X|/\sigma\to\infty`, i.e. at :math:`\sigma\to 0` for any amplitude
distribution), every zero :math:`2M(\tau)`, so recovery holds for all signals of the class iff

.. math::
    \frac1\delta\big[\rho\delta\,(1+\tau^2) + (1-\rho\delta)\,2M(\tau)\big] < 1
    \iff \rho < \frac{1 - \frac2\delta M(\tau)}{1+\tau^2 - 2M(\tau)} .

The minimax threshold :math:`\tau_*(\delta)` maximises the right-hand side, and its value is the curve
:math:`\rho_{DT}(\delta)`, which coincides with Donoho & Tanner's weak threshold of the cross-polytope
(Donoho & Tanner, PNAS 102, 9446 (2005); DMM 2009). With :math:`M'(\tau) = -2[\varphi(\tau) - \tau\Phi(-\tau)]`
the maximiser is the root of the derivative of the ratio, bracketed on :math:`[0, \tau_{max}]`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.models.sparsity import soft_threshold_risk, zero_signal_risk
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.gaussian import gaussian_expectation
from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.roots import bracket_root
from statlearn.numerics.special import H, gaussian_pdf
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar

__all__ = ["LassoStateEvolution", "minimax_threshold", "phase_transition", "state_evolution", "stability_slope"]

TAU_MAX = 20.0
"""Upper end of the bracket of the minimax threshold (the maximiser is 3.4 at delta = 1e-3)."""

DELTA_MIN = 1e-3
"""Smallest undersampling ratio accepted (1/delta must stay moderate)."""

MAX_ITER = 10**5
"""Largest ``n_iter`` of :func:`state_evolution`."""


def _ratio_parts(tau: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Numerator, denominator of rho(tau) and their tau-derivatives."""
    M = np.asarray(zero_signal_risk(tau))
    dM = -2.0 * (np.asarray(gaussian_pdf(tau)) - tau * np.asarray(H(tau)))
    num = 1.0 - 2.0 / delta * M
    den = 1.0 + tau * tau - 2.0 * M
    return num, den, -2.0 / delta * dM, 2.0 * tau - 2.0 * dM


def _check_delta(delta: ArrayLike) -> np.ndarray:
    d = as_real_array("delta", delta, minimum=DELTA_MIN, allow_empty=False)
    if np.any(d >= 1.0):
        raise ValueError(f"delta must be < 1 (n < N measurements), got {d[d >= 1.0].ravel()[0].item()!r}")
    return d


def minimax_threshold(delta: ArrayLike) -> np.ndarray | float:
    r"""The minimax threshold :math:`\tau_*(\delta)` maximising the ratio of the module docstring, for
    ``delta`` in ``[1e-3, 1)`` (elementwise)."""
    d = _check_delta(delta)

    def slope(tau: np.ndarray) -> np.ndarray:
        num, den, dnum, dden = _ratio_parts(tau, d)
        return dnum * den - num * dden

    root = bracket_root(slope, np.zeros_like(d), np.full_like(d, TAU_MAX), xtol=1e-15, rtol=1e-14)
    return np.asarray(root.root)[()]


def phase_transition(delta: ArrayLike) -> np.ndarray | float:
    r""":math:`\rho_{DT}(\delta) = \max_{\tau\ge0}\frac{1 - (2/\delta)M(\tau)}{1+\tau^2-2M(\tau)}`, the
    :math:`\ell_1` phase transition of compressed sensing from the stability of AMP's state evolution
    (module docstring), for ``delta`` in ``[1e-3, 1)``, elementwise. At the maximiser the ratio is
    stationary, so the error of :math:`\tau_*` enters squared: the value is exact to rounding."""
    d = _check_delta(delta)
    tau = np.asarray(minimax_threshold(d))
    num, den, _, _ = _ratio_parts(tau, d)
    return (num / den)[()]


def stability_slope(delta: float, rho: float, tau: float) -> float:
    r"""The slope :math:`\frac1\delta[\rho\delta(1+\tau^2) + (1-\rho\delta)2M(\tau)]` of the noiseless state
    evolution at :math:`\sigma = 0` under the least-favourable signal: AMP recovers iff it is below 1."""
    delta = as_real_scalar("delta", delta, minimum=DELTA_MIN, maximum=1.0)
    rho = as_real_scalar("rho", rho, minimum=0.0, maximum=1.0 / delta)
    tau = as_real_scalar("tau", tau, minimum=0.0, maximum=1e3)
    eps = rho * delta
    return (eps * (1.0 + tau * tau) + (1.0 - eps) * 2.0 * float(zero_signal_risk(tau))) / delta


@dataclass(frozen=True)
class LassoStateEvolution:
    r"""Outcome of :func:`state_evolution`.

    Attributes
    ----------
    sigma2
        :math:`\sigma_t^2`, ``t = 0 ... n_iter``.
    mse
        :math:`\mathrm{mse}_t = \delta(\sigma_t^2 - \sigma_w^2)`, the limit of :math:`\|x^t - x_0\|^2/N`,
        ``t = 0 ... n_iter`` (``mse[0]`` = :math:`\varepsilon`, the start :math:`x^0 = 0`).
    converged
        Whether the last relative change of :math:`\sigma_t^2`, or :math:`\sigma_t^2` itself, is at most ``tol``.
    iterations
        ``n_iter``, the steps of the recursion.
    residual
        :math:`\min(|\sigma_T^2 - \sigma_{T-1}^2|/\sigma_{T-1}^2,\ \sigma_T^2)`.
    message
        Why it stopped.

    Arrays are read-only.
    """

    sigma2: np.ndarray
    mse: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _slab_risk(z: np.ndarray, sigma: np.ndarray, tau: np.ndarray) -> np.ndarray:
    return np.asarray(soft_threshold_risk(z / sigma, tau))


def state_evolution(
    delta: float,
    rho: float,
    tau: float,
    *,
    noise: float = 0.0,
    n_iter: int = 50,
    tol: float = 1e-10,
) -> LassoStateEvolution:
    r"""The state evolution of AMP with threshold :math:`\tau\sigma_t` (module docstring) for ``n_iter`` steps.

    Parameters
    ----------
    delta
        :math:`n/N` in [1e-3, 1].
    rho
        :math:`k/n` in [0, 1/delta] (the non-zero fraction of the signal is :math:`\rho\delta`).
    tau
        Threshold in units of the effective noise, >= 0.
    noise
        :math:`\sigma_w^2 \ge 0`.
    n_iter
        Steps; all are done (the trajectory is the point).
    tol
        Relative change of :math:`\sigma_t^2` (or its value, when it decays to 0) of a converged run.

    Warns
    -----
    ConvergenceWarning
        When not converged after ``n_iter`` steps (near the transition the decay is slow).
    """
    delta = as_real_scalar("delta", delta, minimum=DELTA_MIN, maximum=1.0)
    rho = as_real_scalar("rho", rho, minimum=0.0, maximum=1.0 / delta)
    tau = as_real_scalar("tau", tau, minimum=0.0, maximum=1e3)
    noise = as_real_scalar("noise", noise, minimum=0.0, maximum=1e100)
    n_iter = as_count("n_iter", n_iter, minimum=1, maximum=MAX_ITER)
    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True)
    eps = rho * delta
    zero = 2.0 * float(zero_signal_risk(tau))
    sigma2 = np.empty(n_iter + 1)
    sigma2[0] = noise + eps / delta
    for t in range(n_iter):
        s2 = sigma2[t]
        if s2 <= 0.0:
            sigma2[t + 1] = 0.0
            continue
        s = math.sqrt(s2)
        slab = 0.0
        if eps > 0.0:  # r(x / s) turns over at |x| ~ tau s on the scale s: resolved when s < 1
            kinks = [(tau * s, s), (-tau * s, s)] if s < 1.0 else None
            slab = float(gaussian_expectation(_slab_risk, s, tau, kinks=kinks))
        sigma2[t + 1] = noise + s2 / delta * ((1.0 - eps) * zero + eps * slab)
    last, before = sigma2[-1], sigma2[-2]
    residual = min(abs(last - before) / before if before > 0 else 0.0, last)
    converged = residual <= tol
    if not converged:
        warnings.warn(
            f"lasso state_evolution: residual {residual:.3g} > tol {tol:.3g} after {n_iter} steps",
            ConvergenceWarning,
            stacklevel=2,
        )
    return LassoStateEvolution(
        sigma2=sigma2,
        mse=delta * (sigma2 - noise),
        converged=converged,
        iterations=n_iter,
        residual=float(residual),
        message=stop_message(converged, n_iter, float(residual), tol, unit="steps"),
    )
