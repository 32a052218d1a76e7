r"""The two products of a gradient step of a perceptron on a batch, compiled with a fixed order of summation.

For a batch :math:`X` (n, d) and weights :math:`w` the fields are :math:`h_\mu = x_\mu\cdot w/\sqrt d` and the
step of (stochastic) gradient descent with weight decay (Mignacco, Krzakala, Urbani & Zdeborová, NeurIPS 2020)
is

.. math:: w' = (1 - \eta\lambda)\, w - \frac{\eta}{\sqrt d}\sum_\mu s_\mu\, \ell'(y_\mu, h_\mu)\, x_\mu .

Both are written with :func:`statlearn.online.lane_dot.dot_rows` and
:func:`statlearn.online.lane_dot.scale_add_row`, single-threaded: the result is the same bit for bit on any
CPU and whatever the BLAS threading (a multi-threaded BLAS matrix-vector product also runs 10-50 times
slower than this on a loaded two-core machine, where its threads wait for each other).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from statlearn.online.lane_dot import SLOTS, dot_rows, scale_add_row

__all__ = ["batch_fields", "descent_step"]


@njit(cache=True, nogil=True)
def _fields(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    n, d = X.shape
    scale = 1.0 / math.sqrt(d)
    out = np.empty(n)
    for first in range(0, n, SLOTS):
        values = dot_rows(X, first, w, d)
        for s in range(SLOTS):
            if first + s < n:
                out[first + s] = values[s] * scale
    return out


@njit(cache=True, nogil=True)
def _step(X: np.ndarray, w: np.ndarray, coef: np.ndarray, decay: float) -> np.ndarray:
    n, d = X.shape
    out = np.empty((1, d))
    for i in range(d):
        out[0, i] = decay * w[i]
    for mu in range(n):
        if coef[mu] != 0.0:
            scale_add_row(out, 0, 1.0, coef[mu], X[mu], d)
    return out[0]


def batch_fields(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    r"""The fields :math:`h_\mu = x_\mu\cdot w/\sqrt d` of the rows of ``X`` (n, d) (float64 arrays, unchecked)."""
    return _fields(np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(w, dtype=float))


def descent_step(
    w: np.ndarray, X: np.ndarray, slope: np.ndarray, *, eta: float, lam: float, mask: np.ndarray | None = None
) -> np.ndarray:
    r"""The next weights (module docstring) from the loss slopes :math:`\ell'(y_\mu, h_\mu)` at the current
    fields; ``mask`` holds the selection :math:`s_\mu` (``None``: every sample). Arrays unchecked."""
    coef = (-eta / math.sqrt(w.shape[0])) * np.asarray(slope, dtype=float)
    if mask is not None:
        coef = np.where(mask, coef, 0.0)
    return _step(np.ascontiguousarray(X, dtype=float), np.ascontiguousarray(w, dtype=float), coef, 1.0 - eta * lam)
