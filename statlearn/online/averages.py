"""Gaussian averages of the hidden-unit activation that close the online-SGD overlap equations.

The local fields u = (lambda_1 .. lambda_K, nu_1 .. nu_M) of the K student and M teacher hidden
units are jointly Gaussian with zero mean and covariance C = [[Q, R], [R^T, T]] (the overlaps).
The overlap ODEs (Saad & Solla, PRE 52, 4225, 1995; Biehl & Schwarze, J. Phys. A 28, 643, 1995;
Goldt et al., NeurIPS 2019) need four averages over these fields, for an activation g:

- ``I2[a, b]       = E g(u_a) g(u_b)``
- ``I3[a, b, c]    = E g'(u_a) u_b g(u_c)``
- ``I4[a, b, c, d] = E g'(u_a) g'(u_b) g(u_c) g(u_d)``
- ``J2[a, b]       = E g'(u_a) g'(u_b)``

Every function below takes C with any leading batch axes, shape ``(..., n, n)``, and returns the
averages for all index combinations, except that the indices carrying g' (``a`` and ``b`` in I3,
I4, J2) run over the first ``rows`` fields only (the student units): I3 has shape
``(..., rows, n, n)``, I4 ``(..., rows, rows, n, n)``, J2 ``(..., rows, rows)``.

Closed forms:

- ``erf``: g(x) = erf(x / sqrt 2), g'(x) = sqrt(2/pi) exp(-x^2/2); all four averages in closed
  form (Saad & Solla 1995, appendix; written out in PHYSICS.md section 4).
- ``linear``: g(x) = x; I2 = C_ab, I3 = C_bc, I4 = C_cd, J2 = 1.
- ``relu``: see :mod:`statlearn.online.relu` (I2, I3, J2 in closed form, I4 by quadrature).

The generalisation error of a student with second layer v against a teacher with second layer
v_star, eps_g = E (y - yhat)^2 / 2 without label noise, is ``s^T I2 s / 2`` with
s = (-v, v_star) (:meth:`Activation.generalisation_error`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import NamedTuple

import numpy as np
from numba import float64, njit, vectorize
from numpy.typing import ArrayLike
from scipy.special import erf

from statlearn.models.naming import lookup

__all__ = [
    "Activation",
    "Averages",
    "Erf",
    "Linear",
    "ACTIVATIONS",
    "get_activation",
    "erf_averages",
    "overlap_matrix",
]

_TWO_OVER_PI = 2.0 / np.pi


class Averages(NamedTuple):
    """The four Gaussian averages I2, I3, I4, J2 on one covariance (shapes in the module docstring)."""

    I2: np.ndarray
    I3: np.ndarray
    I4: np.ndarray
    J2: np.ndarray


def overlap_matrix(R: ArrayLike, Q: ArrayLike, T: ArrayLike) -> np.ndarray:
    """Covariance of the local fields (lambda, nu): ``C = [[Q, R], [R^T, T]]``, batched over leading axes.

    ``R`` has shape ``(..., K, M)``, ``Q`` ``(..., K, K)``, ``T`` ``(M, M)`` or ``(..., M, M)``.
    """
    R, Q, T = np.asarray(R, dtype=float), np.asarray(Q, dtype=float), np.asarray(T, dtype=float)
    batch = np.broadcast_shapes(R.shape[:-2], Q.shape[:-2], T.shape[:-2])
    K, M = R.shape[-2:]
    C = np.empty(batch + (K + M, K + M))
    C[..., :K, :K] = Q
    C[..., :K, K:] = R
    C[..., K:, :K] = np.swapaxes(R, -1, -2)
    C[..., K:, K:] = T
    return C


def _diag(C: np.ndarray) -> np.ndarray:
    return np.diagonal(C, axis1=-2, axis2=-1)


class Activation(ABC):
    """A hidden-unit activation g with its derivative and the Gaussian averages I2, I3, I4, J2.

    Subclasses set ``name`` and ``code`` (the integer the numba simulation kernels switch on) and
    implement :meth:`g`, :meth:`dg` and the four averages.
    """

    name: str = ""
    code: int = -1

    @abstractmethod
    def g(self, x: ArrayLike) -> np.ndarray:
        """The activation g(x), elementwise."""

    @abstractmethod
    def dg(self, x: ArrayLike) -> np.ndarray:
        """Its derivative g'(x), elementwise."""

    @abstractmethod
    def i2(self, C: np.ndarray) -> np.ndarray:
        """I2[..., a, b] = E g(u_a) g(u_b)."""

    @abstractmethod
    def i3(self, C: np.ndarray, rows: int) -> np.ndarray:
        """I3[..., a, b, c] = E g'(u_a) u_b g(u_c), a < rows."""

    @abstractmethod
    def i4(self, C: np.ndarray, rows: int) -> np.ndarray:
        """I4[..., a, b, c, d] = E g'(u_a) g'(u_b) g(u_c) g(u_d), a, b < rows."""

    @abstractmethod
    def j2(self, C: np.ndarray, rows: int) -> np.ndarray:
        """J2[..., a, b] = E g'(u_a) g'(u_b), a, b < rows."""

    def i4_quadratic(self, C: np.ndarray, rows: int, s: np.ndarray) -> np.ndarray:
        """sum_cd I4[a, b, c, d] s_c s_d, shape (rows, rows), for one covariance C: the Delta^2 term."""
        return np.einsum("abcd,c,d->ab", self.i4(C, rows), s, s)

    def averages(self, C: ArrayLike, rows: int | None = None) -> Averages:
        """All four averages on the covariance ``C`` (``rows`` defaults to every field)."""
        C = np.asarray(C, dtype=float)
        rows = C.shape[-1] if rows is None else rows
        return Averages(self.i2(C), self.i3(C, rows), self.i4(C, rows), self.j2(C, rows))

    def generalisation_error(
        self, R: ArrayLike, Q: ArrayLike, T: ArrayLike, v: ArrayLike, v_star: ArrayLike
    ) -> np.ndarray:
        """eps_g = E (y - yhat)^2 / 2 without label noise, from the overlaps (batched over leading axes).

        eps_g = (1/2) sum_{a,b} s_a s_b I2[a, b], s = (-v, v_star); for erf this is Saad & Solla's
        (1/pi) [sum_kl v_k v_l arcsin(.) + sum_mn v*_m v*_n arcsin(.) - 2 sum_km v_k v*_m arcsin(.)].
        """
        C = overlap_matrix(R, Q, T)
        v = np.asarray(v, dtype=float)
        v_star = np.broadcast_to(np.asarray(v_star, dtype=float), C.shape[:-2] + (C.shape[-1] - v.shape[-1],))
        s = np.concatenate([-np.broadcast_to(v, C.shape[:-2] + v.shape[-1:]), v_star], axis=-1)
        # A quadratic form in the PSD matrix I2: >= 0 up to rounding, which is clipped (log plots).
        return np.maximum(0.5 * np.einsum("...a,...ab,...b->...", s, self.i2(C), s), 0.0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _erf_i4_entry(daa, dbb, dcc, ddd, cab, cac, cad, cbc, cbd, ccd):
    """One I4 entry of erf units from the entries of 1 + C (diagonal) and C (Saad & Solla 1995).

    Written once and compiled twice: a numpy ufunc (:meth:`Erf.i4`) and a scalar for the loops of
    :func:`_erf_i4_quadratic`.
    """
    L4 = daa * dbb - cab * cab
    L0 = L4 * ccd - cbc * cbd * daa - cac * cad * dbb + cab * cac * cbd + cab * cad * cbc
    L1 = L4 * dcc - cbc * cbc * daa - cac * cac * dbb + 2.0 * cab * cac * cbc
    L2 = L4 * ddd - cbd * cbd * daa - cad * cad * dbb + 2.0 * cab * cad * cbd
    arg = min(1.0, max(-1.0, L0 / math.sqrt(L1 * L2)))
    return 4.0 / (math.pi * math.pi) * math.asin(arg) / math.sqrt(L4)


_erf_i4_ufunc = vectorize([float64(*([float64] * 10))], cache=True)(_erf_i4_entry)
_erf_i4_scalar = njit(cache=True)(_erf_i4_entry)


@njit(cache=True)
def _erf_i4_quadratic(C: np.ndarray, rows: int, s: np.ndarray) -> np.ndarray:
    n = C.shape[0]
    out = np.empty((rows, rows))
    for a in range(rows):
        for b in range(a, rows):
            acc = 0.0
            for c in range(n):
                for d in range(c, n):
                    weight = s[c] * s[d] * (1.0 if c == d else 2.0)
                    acc += weight * _erf_i4_scalar(
                        1.0 + C[a, a],
                        1.0 + C[b, b],
                        1.0 + C[c, c],
                        1.0 + C[d, d],
                        C[a, b],
                        C[a, c],
                        C[a, d],
                        C[b, c],
                        C[b, d],
                        C[c, d],
                    )
            out[a, b] = out[b, a] = acc
    return out


class Erf(Activation):
    """g(x) = erf(x / sqrt 2) (the soft committee machine of Saad & Solla 1995); all averages closed form."""

    name = "erf"
    code = 0

    def g(self, x: ArrayLike) -> np.ndarray:
        return erf(np.asarray(x, dtype=float) / np.sqrt(2.0))

    def dg(self, x: ArrayLike) -> np.ndarray:
        return np.sqrt(_TWO_OVER_PI) * np.exp(-0.5 * np.square(np.asarray(x, dtype=float)))

    def i2(self, C: np.ndarray) -> np.ndarray:
        """I2 = (2/pi) arcsin( C_ab / sqrt((1 + C_aa)(1 + C_bb)) )."""
        d = 1.0 + _diag(C)
        arg = C / np.sqrt(d[..., :, None] * d[..., None, :])
        return _TWO_OVER_PI * np.arcsin(np.clip(arg, -1.0, 1.0))

    def i3(self, C: np.ndarray, rows: int) -> np.ndarray:
        """I3 = (2/pi) (C_bc (1 + C_aa) - C_ab C_ac) / ((1 + C_aa) sqrt(L3)), L3 = (1 + C_aa)(1 + C_cc) - C_ac^2."""
        d = 1.0 + _diag(C)
        daa = d[..., :rows, None, None]
        dcc = d[..., None, None, :]
        cab = C[..., :rows, :, None]
        cac = C[..., :rows, None, :]
        cbc = C[..., None, :, :]
        L3 = daa * dcc - cac**2
        return _TWO_OVER_PI * (cbc * daa - cab * cac) / (daa * np.sqrt(L3))

    def i4(self, C: np.ndarray, rows: int) -> np.ndarray:
        """I4 = (4/pi^2) arcsin( L0 / sqrt(L1 L2) ) / sqrt(L4) (Saad & Solla 1995; L's in PHYSICS.md)."""
        d = 1.0 + _diag(C)
        return _erf_i4_ufunc(
            d[..., :rows, None, None, None],
            d[..., None, :rows, None, None],
            d[..., None, None, :, None],
            d[..., None, None, None, :],
            C[..., :rows, :rows, None, None],
            C[..., :rows, None, :, None],
            C[..., :rows, None, None, :],
            C[..., None, :rows, :, None],
            C[..., None, :rows, None, :],
            C[..., None, None, :, :],
        )

    def i4_quadratic(self, C: np.ndarray, rows: int, s: np.ndarray) -> np.ndarray:
        """sum_cd I4[a, b, c, d] s_c s_d by a compiled loop over a <= b, c <= d (I4 is symmetric in both pairs)."""
        return _erf_i4_quadratic(np.ascontiguousarray(C, dtype=float), rows, np.ascontiguousarray(s, dtype=float))

    def j2(self, C: np.ndarray, rows: int) -> np.ndarray:
        """J2 = (2/pi) / sqrt((1 + C_aa)(1 + C_bb) - C_ab^2)."""
        d = 1.0 + _diag(C)[..., :rows]
        cab = C[..., :rows, :rows]
        return _TWO_OVER_PI / np.sqrt(d[..., :, None] * d[..., None, :] - cab**2)


class Linear(Activation):
    """g(x) = x (the linear perceptron and linear committee); all averages are moments of C."""

    name = "linear"
    code = 1

    def g(self, x: ArrayLike) -> np.ndarray:
        return np.asarray(x, dtype=float).copy()

    def dg(self, x: ArrayLike) -> np.ndarray:
        return np.ones_like(np.asarray(x, dtype=float))

    def i2(self, C: np.ndarray) -> np.ndarray:
        return np.array(C, dtype=float)

    def i3(self, C: np.ndarray, rows: int) -> np.ndarray:
        n = C.shape[-1]
        return np.broadcast_to(C[..., None, :, :], C.shape[:-2] + (rows, n, n)).copy()

    def i4(self, C: np.ndarray, rows: int) -> np.ndarray:
        n = C.shape[-1]
        return np.broadcast_to(C[..., None, None, :, :], C.shape[:-2] + (rows, rows, n, n)).copy()

    def j2(self, C: np.ndarray, rows: int) -> np.ndarray:
        return np.ones(C.shape[:-2] + (rows, rows))


ACTIVATIONS: dict[str, Activation] = {"erf": Erf(), "linear": Linear()}


def get_activation(activation: str | Activation) -> Activation:
    """The activation called ``activation`` (``"erf"``, ``"linear"``, ``"relu"``), or the instance itself."""
    return lookup("activation", activation, Activation, ACTIVATIONS, {})


def erf_averages(C: ArrayLike, rows: int | None = None) -> Averages:
    """I2, I3, I4, J2 of g(x) = erf(x / sqrt 2) on the covariance ``C`` (Saad & Solla 1995, closed form).

    Parameters
    ----------
    C
        Covariance of the local fields, shape ``(..., n, n)``, positive semi-definite.
    rows
        Number of leading fields (the student units) over which the indices carrying g' run;
        default all ``n``.
    """
    return ACTIVATIONS["erf"].averages(C, rows)


from statlearn.online.relu import Relu  # noqa: E402  (imported last: relu.py builds on Activation above)

ACTIVATIONS["relu"] = Relu()
