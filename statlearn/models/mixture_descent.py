r"""Gradient steps of a perceptron on the two-cluster Gaussian mixture: the pieces shared by the multi-pass
simulations (:mod:`statlearn.experiments.mixture_dynamics`) and the one-pass ones (:mod:`statlearn.online.mixture`).

Data (Mignacco, Krzakala, Urbani & Zdeborová, NeurIPS 2020, "Dynamical mean-field theory for stochastic
gradient descent in Gaussian mixture classification"): :math:`x = c\,v^*/\sqrt d + \sqrt\Delta\,z`,
:math:`y = c = \pm1` with :math:`P(+1) = \rho`, :math:`|v^*|^2 = d`; field :math:`h = w\cdot x/\sqrt d`, no
bias. The step of (stochastic) gradient descent itself is compiled in
:mod:`statlearn.online.descent_kernel`. The order parameters are :math:`m = w\cdot v^*/d`, :math:`q = |w|^2/d`, and
the test error is exact given them, :math:`H(m/\sqrt{\Delta q})` (:func:`mixture_test_error`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from statlearn.models.loss_kernels import loss_terms
from statlearn.numerics.special import H
from statlearn.numerics.validation import as_real_scalar

__all__ = [
    "check_start",
    "initial_weights",
    "loss_values",
    "mean_and_error",
    "SeedStatistics",
    "mixture_batch",
    "mixture_test_error",
]


@njit(cache=True)
def loss_values(kind: int, y: np.ndarray, h: np.ndarray, smoothing: float) -> tuple[np.ndarray, np.ndarray]:
    r"""(:math:`\ell(y_\mu, h_\mu)`, :math:`\ell'(y_\mu, h_\mu)`) elementwise over 1-d arrays, for the loss with
    code ``kind`` (:func:`statlearn.models.loss_kernels.loss_terms`; compiled)."""
    value = np.empty(h.shape[0])
    slope = np.empty(h.shape[0])
    for i in range(h.shape[0]):
        value[i], slope[i], _ = loss_terms(kind, y[i], h[i], smoothing)
    return value, slope


def mixture_batch(
    rng: np.random.Generator, v: np.ndarray, n: int, *, delta: float, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """(X (n, d), y (n,)): ``n`` fresh samples of the mixture with centre direction ``v`` (unchecked), drawn
    from ``rng`` (labels first, then the noise)."""
    d = v.shape[0]
    y = np.where(rng.random(n) < rho, 1.0, -1.0)
    X = np.outer(y, v / math.sqrt(d)) + math.sqrt(delta) * rng.standard_normal((n, d))
    return X, y


def check_start(m0: float, q0: float) -> tuple[float, float]:
    """The initial overlaps (m0, q0) validated: finite, q0 > 0 and q0 >= m0**2 (ValueError naming them)."""
    m0 = as_real_scalar("m0", m0)
    q0 = as_real_scalar("q0", q0, minimum=0.0, strict_minimum=True)
    if q0 < m0 * m0:
        raise ValueError(f"q0 must be >= m0**2 = {m0 * m0!r}, got q0 = {q0!r}")
    return m0, q0


def initial_weights(rng: np.random.Generator, v: np.ndarray, m0: float, q0: float) -> np.ndarray:
    r""":math:`w_0 = m_0 v^* + w_\perp` with :math:`w_\perp` Gaussian, projected orthogonal to :math:`v^*` and
    rescaled so that :math:`|w_\perp|^2/d = q_0 - m_0^2` exactly (so :math:`m = m_0`, :math:`q = q_0` up to
    rounding); ``v`` of norm :math:`\sqrt d` and (m0, q0) from :func:`check_start` (unchecked)."""
    d = v.shape[0]
    perp = rng.standard_normal(d)
    perp -= (perp @ v) / d * v
    perp *= math.sqrt(d * (q0 - m0 * m0)) / np.linalg.norm(perp)
    return m0 * v + perp


def mixture_test_error(m: np.ndarray, q: np.ndarray, delta: float) -> np.ndarray:
    r""":math:`H(m/\sqrt{\Delta q})`, elementwise (NaN where m or q is): the field of a new sample of cluster
    :math:`c` is :math:`N(c m, \Delta q)`, wrong with probability :math:`H(m/\sqrt{\Delta q})` for either
    cluster, so without a bias the error does not depend on :math:`\rho` (it is
    :math:`\rho H((m+b)/\sqrt{\Delta q}) + (1-\rho) H((m-b)/\sqrt{\Delta q})` at bias :math:`b = 0`)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.asarray(m, dtype=float) / np.sqrt(delta * np.asarray(q, dtype=float))
    return np.asarray(H(ratio))


def mean_and_error(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over seeds (axis 0) and its standard error (sample standard deviation / sqrt(seeds); NaN for one
    seed)."""
    count = values.shape[0]
    mean = values.mean(axis=0)
    if count < 2:
        return mean, np.full_like(mean, np.nan)
    return mean, values.std(axis=0, ddof=1) / math.sqrt(count)


class SeedStatistics:
    """Mean and standard error over seeds of a simulation result's per-seed observables (a mixin for frozen result
    dataclasses whose observables, listed in ``observables``, are arrays of shape (n_seeds, steps + 1))."""

    observables: tuple[str, ...] = ()

    def mean(self, observable: str) -> np.ndarray:
        """Mean over seeds of one observable, shape (steps + 1,)."""
        return mean_and_error(self._values(observable))[0]

    def standard_error(self, observable: str) -> np.ndarray:
        """Standard error of :meth:`mean` (sample standard deviation over seeds / sqrt(seeds); NaN for one seed)."""
        return mean_and_error(self._values(observable))[1]

    def _values(self, observable: str) -> np.ndarray:
        if observable not in self.observables:
            raise ValueError(f"observable must be one of {self.observables}, got {observable!r}")
        values: np.ndarray = getattr(self, observable)
        return values
