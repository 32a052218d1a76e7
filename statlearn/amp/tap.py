r"""The Thouless-Anderson-Palmer equations and free energy of a Sherrington-Kirkpatrick instance.

For :math:`H(s) = -\sum_{i<j}J_{ij}s_is_j - h\sum_i s_i` with :math:`J_{ij}\sim N(0, 1/N)` (Thouless,
Anderson & Palmer, Phil. Mag. 35, 593 (1977); as the second order of Plefka's expansion, J. Phys. A 15,
1971 (1982)) the TAP free energy per spin of magnetisations :math:`m\in(-1,1)^N` is

.. math::
    -\beta f_{TAP}(m) = \frac1N\Big[\sum_i S(m_i) + \frac\beta2\, m^\top J m + \beta h\sum_i m_i\Big]
    + \frac{\beta^2}{4}(1 - q)^2,\qquad q = \frac{\|m\|^2}{N},

with :math:`S(m) = -\frac{1+m}2\ln\frac{1+m}2 - \frac{1-m}2\ln\frac{1-m}2`. The Onsager reaction term
:math:`\frac{\beta^2}{4}(1-q)^2` is Plefka's :math:`\frac{\beta^2}{2N}\sum_{i<j}J_{ij}^2(1-m_i^2)(1-m_j^2)`
with :math:`J_{ij}^2` replaced by its mean :math:`1/N` (the difference vanishes for
:math:`N\to\infty`). Its stationary points solve the TAP equations

.. math::
    m_i = \tanh\!\Big(\beta h + \beta\sum_j J_{ij} m_j - \beta^2 (1 - q)\, m_i\Big),

solved here by damped iteration (:func:`statlearn.numerics.fixed_point`). Above the de Almeida-Thouless
line the solution reached from a uniform start is the one whose free energy tends to the
replica-symmetric :math:`f_{RS}`; below it the damped iteration need not converge.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.amp.sk import MAX_ITER, check_beta_and_field, check_couplings, sk_amp
from statlearn.numerics.fixedpoint import ConvergenceWarning, fixed_point
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar

__all__ = ["TAPResult", "tap", "tap_free_energy"]


@dataclass(frozen=True)
class TAPResult:
    """Outcome of :func:`tap`.

    Attributes
    ----------
    m
        The magnetisations at the last iterate.
    q
        Their self-overlap :math:`\\|m\\|^2/N`.
    free_energy
        :math:`f_{TAP}(m)` per spin (:func:`tap_free_energy`).
    converged, iterations, residual, message
        As for :func:`statlearn.numerics.fixed_point` (iterations: evaluations of the TAP map).

    ``m`` is read-only.
    """

    m: np.ndarray
    q: float
    free_energy: float
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _entropy(m: np.ndarray) -> np.ndarray:
    plus, minus = (1.0 + m) / 2.0, (1.0 - m) / 2.0
    return -(plus * np.log(np.where(plus > 0, plus, 1.0)) + minus * np.log(np.where(minus > 0, minus, 1.0)))


def _free_energy(J: np.ndarray, beta: float, h: float, m: np.ndarray) -> float:
    N = m.size
    q = float(m @ m) / N
    minus_beta_f = (np.sum(_entropy(m)) + 0.5 * beta * m @ (J @ m) + beta * h * np.sum(m)) / N
    return float(-(minus_beta_f + 0.25 * beta**2 * (1.0 - q) ** 2) / beta)


def tap_free_energy(J: ArrayLike, beta: float, h: float, m: ArrayLike) -> float:
    """The TAP free energy per spin :math:`f_{TAP}(m)` of the module docstring at magnetisations ``m``."""
    J = check_couplings(J)
    beta, h = check_beta_and_field(beta, h)
    m = as_real_array("m", m, minimum=-1.0, maximum=1.0)
    if m.shape != (J.shape[0],):
        raise ValueError(f"m must have shape ({J.shape[0]},) to match J, got {m.shape}")
    return _free_energy(J, beta, h, m)


def tap(
    J: ArrayLike,
    beta: float,
    h: float = 0.0,
    *,
    m0: ArrayLike | None = None,
    amp_steps: int = 200,
    damping: float = 0.5,
    tol: float = 1e-10,
    max_iter: int = 5000,
) -> TAPResult:
    """Solve the TAP equations of the SK instance ``J`` by damped iteration and evaluate :math:`f_{TAP}`.

    Parameters
    ----------
    J
        Symmetric couplings with a zero diagonal (:func:`statlearn.amp.sk.check_couplings`).
    beta, h
        Inverse temperature (> 0) and uniform field.
    m0
        Starting magnetisations in [-1, 1]. Default: the iterate of ``amp_steps`` steps of
        :func:`statlearn.amp.sk.sk_amp` from its uninformative start. A fixed point of AMP solves the TAP
        equations, and AMP reaches it wherever the state evolution converges (above the AT line),
        where the plain damped iteration of the TAP map often oscillates (it does at N = 2000,
        beta = 1.5, h = 0.5 with damping 0.5).
    damping
        Weight of the old iterate, in [0, 1): ``m <- (1 - damping) F(m) + damping m``.
    tol, max_iter
        Stop when :math:`\\max_i|F(m)_i - m_i| \\le` ``tol``, or after ``max_iter`` evaluations
        (then warn with :class:`~statlearn.numerics.ConvergenceWarning`).
    """
    J = check_couplings(J)
    beta, h = check_beta_and_field(beta, h)
    damping = as_real_scalar("damping", damping, minimum=0.0, maximum=0.99)
    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True)
    max_iter = as_count("max_iter", max_iter, minimum=1, maximum=MAX_ITER)
    N = J.shape[0]
    amp_steps = as_count("amp_steps", amp_steps, minimum=2, maximum=MAX_ITER)
    if m0 is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # judged below, on the TAP residual
            start = np.array(sk_amp(J, beta, h, n_iter=amp_steps, tol=tol).m)
    else:
        start = as_real_array("m0", m0, minimum=-1.0, maximum=1.0)
        if start.shape != (N,):
            raise ValueError(f"m0 must have shape ({N},) to match J, got {start.shape}")

    def tap_map(m: np.ndarray) -> np.ndarray:
        q = float(m @ m) / N
        return np.tanh(beta * (h + J @ m) - beta**2 * (1.0 - q) * m)

    result = fixed_point(tap_map, start, mixing=1.0 - damping, tol=tol, max_iter=max_iter, warn=False)
    m = np.asarray(result.x)
    if not result.converged:
        warnings.warn(f"tap: {result.message}", ConvergenceWarning, stacklevel=2)
    return TAPResult(
        m=m,
        q=float(m @ m) / N,
        free_energy=_free_energy(J, beta, h, m),
        converged=result.converged,
        iterations=result.iterations,
        residual=result.residual,
        message=result.message,
    )
