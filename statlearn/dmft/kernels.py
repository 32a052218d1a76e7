r"""Compiled steps of the causal population scheme of :mod:`statlearn.dmft.solver`.

One call of :func:`population_step` advances a population of :math:`N` effective single-sample processes
from step :math:`k` to :math:`k+1` and returns the population averages that close the theory at step
:math:`k`; :func:`deterministic_step` then advances the deterministic objects (the magnetisation, the weight
propagator :math:`R_w` and the self-overlap). The equations are those of ``docs/dmft.md``:

.. math::
    h^k = m_k h_0 + \sqrt\Delta\,\phi^k,\qquad g^k = s^k\ell'(y, h^k),\qquad D^k = s^k\ell''(y, h^k),

    \Gamma_{kj} = D^k\Big(\delta_{kj} - \eta\Delta\sum_{j\le i<k} R_w(k, i)\,\Gamma_{ij}\Big),
    \qquad K_{kj} = \alpha\,\mathbb E\,\Gamma_{kj},\qquad M_C(k, l) = \alpha\,\mathbb E\,g^kg^l,

    \phi^{k+1} = \phi^k - \eta\Big[\lambda\phi^k + \Delta\sum_{j\le k}K_{kj}\phi^j + \sqrt\Delta\,(g^k - \Xi^k)\Big],
    \qquad \Xi^k = \sum_{j\le k} L_{kj}\zeta^j,\quad LL^\top = M_C.

**Layout.** Per-sample histories are sample-major, ``(N, T)``; the per-sample response
:math:`\Gamma_{ij}` (:math:`j\le i`) is packed row by row, entry ``(i, j)`` at ``i (i + 1) / 2 + j``, so
that one sample's triangle is contiguous. The population is processed in fixed chunks of :data:`CHUNK`
samples on all threads (``prange``); each chunk writes its own partial sums, which are then added in chunk
order, so the result does not depend on the number of threads: a seed gives the same trajectory bit for
bit. No ``fastmath`` (it would reorder the sums).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from statlearn.models.loss_kernels import loss_terms

__all__ = ["CHUNK", "cholesky_row", "deterministic_step", "population_step"]

CHUNK = 256
"""Samples per chunk of the parallel loops (fixed, so that sums do not depend on the thread count)."""

# partial sums per chunk: loss, training errors, h0 g, and the rows of M_C and of the response
_LOSS, _ERRORS, _DRIFT, _SCALARS = 0, 1, 2, 3


@njit(cache=True, parallel=True)
def population_step(
    k: int,
    kind: int,
    smoothing: float,
    m_k: float,
    delta: float,
    eta: float,
    h0: np.ndarray,
    y: np.ndarray,
    phi: np.ndarray,
    mask: np.ndarray,
    rw_row: np.ndarray,
    gamma: np.ndarray,
    g: np.ndarray,
) -> np.ndarray:
    r"""Fields, gradients and the response row :math:`\Gamma_{k\cdot}` of every process at step ``k``.

    Writes ``g[:, k]`` and the packed row ``k`` of ``gamma`` (when ``gamma`` has room for it: at the last
    step, where only the observables are needed, it may be empty) and returns the sums over the population
    of :math:`\ell`, :math:`[y h \le 0]`, :math:`h_0 g^k`, :math:`g^kg^l` (:math:`l \le k`) and
    :math:`\Gamma_{kl}` (:math:`l\le k`), as a vector ``[loss, errors, drift, MC row (k+1), K row (k+1)]``
    (the caller divides by :math:`N` and multiplies by :math:`\alpha`). ``rw_row`` is
    :math:`R_w(k, 0..k-1)`.
    """
    n = h0.shape[0]
    chunks = (n + CHUNK - 1) // CHUNK
    width = _SCALARS + 2 * (k + 1)
    partial = np.zeros((chunks, width))
    respond = gamma.shape[1] > 0
    offset = k * (k + 1) // 2
    sqrt_delta = math.sqrt(delta)
    scale = eta * delta
    for c in prange(chunks):
        out = partial[c]
        acc = np.empty(k + 1)
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            h = m_k * h0[i] + sqrt_delta * phi[i, k]
            value, first, second = loss_terms(kind, y[i], h, smoothing)
            s = mask[i]
            gi = s * first
            di = s * second
            out[_LOSS] += value
            if y[i] * h <= 0.0:
                out[_ERRORS] += 1.0
            out[_DRIFT] += h0[i] * gi
            if not respond:
                continue
            g[i, k] = gi
            for l in range(k + 1):
                out[_SCALARS + l] += gi * g[i, l]
            row = gamma[i]
            if di != 0.0:
                for j in range(k):
                    acc[j] = 0.0
                for r in range(k):  # acc_j = sum_{j <= r < k} R_w(k, r) Gamma_rj
                    weight = rw_row[r]
                    base = r * (r + 1) // 2
                    for j in range(r + 1):
                        acc[j] += weight * row[base + j]
                for j in range(k):
                    row[offset + j] = -scale * di * acc[j]
                    out[_SCALARS + k + 1 + j] += row[offset + j]
            else:
                for j in range(k):
                    row[offset + j] = 0.0
            row[offset + k] = di
            out[_SCALARS + 2 * k + 1] += di
    total = np.zeros(width)
    for c in range(chunks):  # in chunk order: independent of the thread count
        total += partial[c]
    return total


@njit(cache=True)
def cholesky_row(k: int, covariance: np.ndarray, factor: np.ndarray) -> None:
    r"""Row ``k`` of the lower Cholesky factor :math:`L` of ``covariance`` (rows ``< k`` of ``factor`` done).

    A pivot that is not positive (the population covariance is singular within rounding, e.g. when the
    gradients vanish on interpolated data) gives a zero column, so that the noise keeps the covariance it
    can represent instead of dividing by rounding noise.
    """
    floor = 1e-13 * max(covariance[k, k], 1e-300)
    norm = 0.0
    for j in range(k):
        value = covariance[k, j]
        for i in range(j):
            value -= factor[k, i] * factor[j, i]
        factor[k, j] = value / factor[j, j] if factor[j, j] > 0.0 else 0.0
        norm += factor[k, j] * factor[k, j]
    pivot = covariance[k, k] - norm
    factor[k, k] = math.sqrt(pivot) if pivot > floor else 0.0


@njit(cache=True, parallel=True)
def advance_processes(
    k: int,
    lam: float,
    delta: float,
    eta: float,
    kernel_row: np.ndarray,
    factor_row: np.ndarray,
    zeta: np.ndarray,
    phi: np.ndarray,
    g: np.ndarray,
) -> None:
    r""":math:`\phi^{k+1}` of every process from its history, the memory row :math:`K_{k\cdot}` and the
    noise :math:`\Xi^k = \sum_{j\le k}L_{kj}\zeta^j` (``factor_row`` is :math:`L_{k, 0..k}`)."""
    n = phi.shape[0]
    sqrt_delta = math.sqrt(delta)
    for i in prange(n):
        memory = 0.0
        noise = 0.0
        for j in range(k + 1):
            memory += kernel_row[j] * phi[i, j]
            noise += factor_row[j] * zeta[i, j]
        phi[i, k + 1] = phi[i, k] - eta * (lam * phi[i, k] + delta * memory + sqrt_delta * (g[i, k] - noise))


@njit(cache=True)
def deterministic_step(
    k: int,
    lam: float,
    delta: float,
    eta: float,
    kernel: np.ndarray,
    rw: np.ndarray,
    r0: np.ndarray,
) -> None:
    r"""Row ``k + 1`` of the weight propagator and :math:`r_0^{k+1}` from the memory rows ``<= k``.

    :math:`R_w(k, j)` is the response of :math:`x^k` to a unit source injected into :math:`x^{j+1}` in
    :math:`x^{k+1} = x^k - \eta[\lambda x^k + \Delta\sum_{i\le k}K_{ki}x^i]`, and :math:`r_0` propagates
    :math:`x^0 = 1` without source.
    """
    for j in range(k):
        memory = 0.0
        for i in range(j + 1, k + 1):
            memory += kernel[k, i] * rw[i, j]
        rw[k + 1, j] = rw[k, j] - eta * (lam * rw[k, j] + delta * memory)
    rw[k + 1, k] = 1.0
    memory = 0.0
    for i in range(k + 1):
        memory += kernel[k, i] * r0[i]
    r0[k + 1] = r0[k] - eta * (lam * r0[k] + delta * memory)
