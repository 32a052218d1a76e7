r"""Closed-form Gaussian averages of the scaled error function G(x) = erf(x / sqrt 2) (Saad & Solla 1995).

For zero-mean jointly Gaussian fields u with covariance C (any leading batch axes, shape
``(..., n, n)``), G(x) = erf(x / sqrt 2) and G'(x) = sqrt(2 / pi) exp(-x^2 / 2), the four averages of
:mod:`statlearn.models.activations` have closed forms (Saad & Solla, PRE 52, 4225, 1995, appendix;
Goldt et al., NeurIPS 2019, appendix). With the shorthand ``d_a = 1 + C_aa``:

.. math::

    I_2[a, b] &= \frac{2}{\pi} \arcsin \frac{C_{ab}}{\sqrt{d_a d_b}}, \qquad
    J_2[a, b] = \frac{2}{\pi} \frac{1}{\sqrt{d_a d_b - C_{ab}^2}}, \\
    I_3[a, b, c] &= \frac{2}{\pi} \frac{C_{bc} d_a - C_{ab} C_{ac}}{d_a \sqrt{L_3}}, \qquad
    L_3 = d_a d_c - C_{ac}^2, \\
    I_4[a, b, c, d] &= \frac{4}{\pi^2} \frac{1}{\sqrt{L_4}} \arcsin \frac{L_0}{\sqrt{L_1 L_2}},

with

.. math::

    L_4 &= d_a d_b - C_{ab}^2, \\
    L_0 &= L_4 C_{cd} - C_{bc} C_{bd} d_a - C_{ac} C_{ad} d_b + C_{ab} C_{ac} C_{bd} + C_{ab} C_{ad} C_{bc}, \\
    L_1 &= L_4 d_c - C_{bc}^2 d_a - C_{ac}^2 d_b + 2 C_{ab} C_{ac} C_{bc}, \\
    L_2 &= L_4 d_d - C_{bd}^2 d_a - C_{ad}^2 d_b + 2 C_{ab} C_{ad} C_{bd}.

The indices carrying G' (``a`` in I3, ``a`` and ``b`` in I4 and J2) run over the first ``rows``
fields only. The derivation and the notation are in ``docs/theory/online.md``.

The error function without the scale, erf(c x), reduces to these by y = sqrt 2 c x:
:class:`statlearn.models.activations.Erf` rescales C and the factors of G'.
"""

from __future__ import annotations

import math

import numpy as np
from numba import float64, njit, vectorize

__all__ = ["i2", "i3", "i4", "i4_quadratic", "j2"]

_TWO_OVER_PI = 2.0 / np.pi


def _diag(C: np.ndarray) -> np.ndarray:
    return np.diagonal(C, axis1=-2, axis2=-1)


def _i4_entry(
    daa: float,
    dbb: float,
    dcc: float,
    ddd: float,
    cab: float,
    cac: float,
    cad: float,
    cbc: float,
    cbd: float,
    ccd: float,
) -> float:
    """One I4 entry from the entries of 1 + C (diagonal, ``d..``) and C (``c..``), module docstring.

    Written once and compiled twice: a numpy ufunc (:func:`i4`) and a scalar for the loops of
    :func:`i4_quadratic`.
    """
    L4 = daa * dbb - cab * cab
    L0 = L4 * ccd - cbc * cbd * daa - cac * cad * dbb + cab * cac * cbd + cab * cad * cbc
    L1 = L4 * dcc - cbc * cbc * daa - cac * cac * dbb + 2.0 * cab * cac * cbc
    L2 = L4 * ddd - cbd * cbd * daa - cad * cad * dbb + 2.0 * cab * cad * cbd
    arg = min(1.0, max(-1.0, L0 / math.sqrt(L1 * L2)))
    return 4.0 / (math.pi * math.pi) * math.asin(arg) / math.sqrt(L4)


_i4_ufunc = vectorize([float64(*([float64] * 10))], cache=True)(_i4_entry)
_i4_scalar = njit(cache=True, error_model="numpy")(_i4_entry)  # 0 / 0 gives NaN, as in the ufunc


@njit(cache=True, error_model="numpy")
def _i4_quadratic(C: np.ndarray, rows: int, s: np.ndarray) -> np.ndarray:
    n = C.shape[0]
    out = np.empty((rows, rows))
    for a in range(rows):
        for b in range(a, rows):
            acc = 0.0
            for c in range(n):
                for d in range(c, n):
                    weight = s[c] * s[d] * (1.0 if c == d else 2.0)
                    acc += weight * _i4_scalar(
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


def i2(C: np.ndarray) -> np.ndarray:
    """I2 = (2/pi) arcsin( C_ab / sqrt((1 + C_aa)(1 + C_bb)) )."""
    d = 1.0 + _diag(C)
    arg = C / np.sqrt(d[..., :, None] * d[..., None, :])
    return _TWO_OVER_PI * np.arcsin(np.clip(arg, -1.0, 1.0))


def i3(C: np.ndarray, rows: int) -> np.ndarray:
    """I3 = (2/pi) (C_bc (1 + C_aa) - C_ab C_ac) / ((1 + C_aa) sqrt(L3)), L3 = (1 + C_aa)(1 + C_cc) - C_ac^2."""
    d = 1.0 + _diag(C)
    daa = d[..., :rows, None, None]
    dcc = d[..., None, None, :]
    cab = C[..., :rows, :, None]
    cac = C[..., :rows, None, :]
    cbc = C[..., None, :, :]
    L3 = daa * dcc - cac**2
    return _TWO_OVER_PI * (cbc * daa - cab * cac) / (daa * np.sqrt(L3))


def i4(C: np.ndarray, rows: int) -> np.ndarray:
    """I4 = (4/pi^2) arcsin( L0 / sqrt(L1 L2) ) / sqrt(L4) (module docstring)."""
    d = 1.0 + _diag(C)
    return np.asarray(
        _i4_ufunc(
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
    )


def i4_quadratic(C: np.ndarray, rows: int, s: np.ndarray) -> np.ndarray:
    """sum_cd I4[a, b, c, d] s_c s_d for one covariance C, by a compiled loop over a <= b, c <= d."""
    return np.asarray(_i4_quadratic(np.ascontiguousarray(C, dtype=float), rows, np.ascontiguousarray(s, dtype=float)))


def j2(C: np.ndarray, rows: int) -> np.ndarray:
    """J2 = (2/pi) / sqrt((1 + C_aa)(1 + C_bb) - C_ab^2)."""
    d = 1.0 + _diag(C)[..., :rows]
    cab = C[..., :rows, :rows]
    return _TWO_OVER_PI / np.sqrt(d[..., :, None] * d[..., None, :] - cab**2)
