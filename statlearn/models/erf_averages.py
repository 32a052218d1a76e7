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

__all__ = ["contraction_gradients", "i2", "i3", "i4", "i4_quadratic", "j2"]

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


# ------------------------------------------------------------------ derivatives (the ODE's Jacobian)
#
# The gradients below are of the contractions the overlap ODEs use, with respect to the entries of a
# symmetric C: ``X_C[..., p, q]`` is such that dX = sum_pq X_C[..., p, q] dC_pq for a symmetric dC,
# so X_C is symmetric in (p, q); a formula's argument C_xy (x != y) puts half of its partial
# derivative at (x, y) and half at (y, x), an argument 1 + C_xx all of it at (x, x). Repeated
# indices (a = b, c = d, ...) are handled by this scatter: every argument slot adds its share.


@njit(cache=True, error_model="numpy")
def _scatter(G: np.ndarray, x: int, y: int, value: float) -> None:
    """Add the partial derivative ``value`` of the argument C_xy to the symmetric gradient G (n, n)."""
    if x == y:
        G[x, x] += value
    else:
        G[x, y] += 0.5 * value
        G[y, x] += 0.5 * value


@njit(cache=True, error_model="numpy")
def _i4_entry_gradient(
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
) -> tuple:
    """(I4, and its partial derivatives in the order of the arguments) of :func:`_i4_entry`.

    With I4 = k asin(L0 / sqrt(L1 L2)) / sqrt(L4): dI4 = k [d(arg) / sqrt(1 - arg^2) - asin(arg) dL4 / (2 L4)]
    / sqrt(L4), d(arg) = arg (dL0 / L0 - dL1 / (2 L1) - dL2 / (2 L2)), written without dividing by L0.
    """
    L4 = daa * dbb - cab * cab
    L0 = L4 * ccd - cbc * cbd * daa - cac * cad * dbb + cab * cac * cbd + cab * cad * cbc
    L1 = L4 * dcc - cbc * cbc * daa - cac * cac * dbb + 2.0 * cab * cac * cbc
    L2 = L4 * ddd - cbd * cbd * daa - cad * cad * dbb + 2.0 * cab * cad * cbd
    root = math.sqrt(L1 * L2)
    arg = min(1.0, max(-1.0, L0 / root))
    k = 4.0 / (math.pi * math.pi) / math.sqrt(L4)
    angle = math.asin(arg)
    slope = 1.0 - arg * arg
    slope = 1.0 / math.sqrt(slope) if slope > 0.0 else 0.0  # at |arg| = 1 (degenerate fields) no finite slope
    u = k * slope / root  # coefficient of dL0
    w1 = -0.5 * k * slope * arg / L1  # of dL1
    w2 = -0.5 * k * slope * arg / L2  # of dL2
    w4 = -0.5 * k * angle / L4  # of dL4
    # the L4 terms of L0, L1, L2 (L4 ccd, L4 dcc, L4 ddd) folded into one coefficient of dL4
    c4 = w4 + u * ccd + w1 * dcc + w2 * ddd
    g_daa = c4 * dbb + u * (-cbc * cbd) + w1 * (-cbc * cbc) + w2 * (-cbd * cbd)
    g_dbb = c4 * daa + u * (-cac * cad) + w1 * (-cac * cac) + w2 * (-cad * cad)
    g_dcc = w1 * L4
    g_ddd = w2 * L4
    g_cab = c4 * (-2.0 * cab) + u * (cac * cbd + cad * cbc) + w1 * 2.0 * cac * cbc + w2 * 2.0 * cad * cbd
    g_cac = u * (-cad * dbb + cab * cbd) + w1 * (-2.0 * cac * dbb + 2.0 * cab * cbc)
    g_cad = u * (-cac * dbb + cab * cbc) + w2 * (-2.0 * cad * dbb + 2.0 * cab * cbd)
    g_cbc = u * (-cbd * daa + cab * cad) + w1 * (-2.0 * cbc * daa + 2.0 * cab * cac)
    g_cbd = u * (-cbc * daa + cab * cac) + w2 * (-2.0 * cbd * daa + 2.0 * cab * cad)
    g_ccd = u * L4
    return k * angle, g_daa, g_dbb, g_dcc, g_ddd, g_cab, g_cac, g_cad, g_cbc, g_cbd, g_ccd


@njit(cache=True, error_model="numpy")
def _i4_quadratic_gradient(C: np.ndarray, rows: int, s: np.ndarray) -> tuple:
    n = C.shape[0]
    value = np.zeros((rows, rows))
    by_c = np.zeros((rows, rows, n, n))
    by_s = np.zeros((rows, rows, n))
    for a in range(rows):
        for b in range(a, rows):
            G = by_c[a, b]
            for c in range(n):
                for d in range(c, n):
                    e, g_aa, g_bb, g_cc, g_dd, g_ab, g_ac, g_ad, g_bc, g_bd, g_cd = _i4_entry_gradient(
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
                    weight = s[c] * s[d] * (1.0 if c == d else 2.0)
                    value[a, b] += weight * e
                    if c == d:
                        by_s[a, b, c] += 2.0 * s[c] * e
                    else:
                        by_s[a, b, c] += 2.0 * s[d] * e
                        by_s[a, b, d] += 2.0 * s[c] * e
                    _scatter(G, a, a, weight * g_aa)
                    _scatter(G, b, b, weight * g_bb)
                    _scatter(G, c, c, weight * g_cc)
                    _scatter(G, d, d, weight * g_dd)
                    _scatter(G, a, b, weight * g_ab)
                    _scatter(G, a, c, weight * g_ac)
                    _scatter(G, a, d, weight * g_ad)
                    _scatter(G, b, c, weight * g_bc)
                    _scatter(G, b, d, weight * g_bd)
                    _scatter(G, c, d, weight * g_cd)
            value[b, a] = value[a, b]
            by_c[b, a] = G
            by_s[b, a] = by_s[a, b]
    return value, by_c, by_s


@njit(cache=True, error_model="numpy")
def _i3s_gradient(C: np.ndarray, rows: int, s: np.ndarray) -> np.ndarray:
    """d/dC of I3s[a, b] = sum_c I3[a, b, c] s_c, shape (rows, n, n, n), from the formula of :func:`i3`.

    I3 = k P / D with P = C_bc d_a - C_ab C_ac, D = d_a sqrt(L3), L3 = d_a d_c - C_ac^2.
    """
    n = C.shape[0]
    out = np.zeros((rows, n, n, n))
    for a in range(rows):
        daa = 1.0 + C[a, a]
        for b in range(n):
            G = out[a, b]
            cab = C[a, b]
            for c in range(n):
                dcc, cac, cbc = 1.0 + C[c, c], C[a, c], C[b, c]
                root = math.sqrt(daa * dcc - cac * cac)
                D = daa * root
                P = cbc * daa - cab * cac
                k = _TWO_OVER_PI * s[c] / D
                q = k * P / D  # coefficient of -dD
                _scatter(G, b, c, k * daa)
                _scatter(G, a, b, -k * cac)
                _scatter(G, a, c, -k * cab - q * (-daa * cac / root))
                _scatter(G, a, a, k * cbc - q * (root + 0.5 * daa * dcc / root))
                _scatter(G, c, c, -q * 0.5 * daa * daa / root)
    return out


@njit(cache=True, error_model="numpy")
def _j2_gradient(C: np.ndarray, rows: int) -> np.ndarray:
    """d/dC of J2[a, b] = k (d_a d_b - C_ab^2)^(-1/2), shape (rows, rows, n, n)."""
    n = C.shape[0]
    out = np.zeros((rows, rows, n, n))
    for a in range(rows):
        for b in range(rows):
            daa, dbb, cab = 1.0 + C[a, a], 1.0 + C[b, b], C[a, b]
            L = daa * dbb - cab * cab
            k = _TWO_OVER_PI / (L * math.sqrt(L))
            G = out[a, b]
            _scatter(G, a, a, -0.5 * k * dbb)
            _scatter(G, b, b, -0.5 * k * daa)
            _scatter(G, a, b, k * cab)
    return out


@njit(cache=True, error_model="numpy")
def _i2s_gradient(C: np.ndarray, rows: int, s: np.ndarray) -> np.ndarray:
    """d/dC of I2s[a] = sum_c I2[a, c] s_c, I2 = k asin(C_ac / sqrt(d_a d_c)), shape (rows, n, n)."""
    n = C.shape[0]
    out = np.zeros((rows, n, n))
    for a in range(rows):
        G = out[a]
        for c in range(n):
            daa, dcc = 1.0 + C[a, a], 1.0 + C[c, c]
            z = C[a, c] / math.sqrt(daa * dcc)
            slope = 1.0 - z * z
            k = _TWO_OVER_PI * s[c] / math.sqrt(slope) if slope > 0.0 else 0.0
            _scatter(G, a, c, k / math.sqrt(daa * dcc))
            _scatter(G, a, a, -0.5 * k * z / daa)
            _scatter(G, c, c, -0.5 * k * z / dcc)
    return out


def contraction_gradients(
    C: np.ndarray, rows: int, s: np.ndarray, with_i2: bool
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The derivatives of the contractions I2s, I3s, I4ss, J2 (:mod:`statlearn.models.activations`).

    For one covariance C (n, n) and s (n,): ``(I2s_C, I3s_C, I4ss_C, I4ss_s, J2_C)``, the gradients
    with respect to a symmetric C (section comment above), of shapes (rows, n, n), (rows, n, n, n),
    (rows, rows, n, n), (rows, rows, n, n), and ``I4ss_s[a, b, c] = 2 sum_d I4[a, b, c, d] s_d``
    (rows, rows, n); ``I2s_C`` is None unless ``with_i2``.
    """
    C = np.ascontiguousarray(C, dtype=float)
    s = np.ascontiguousarray(s, dtype=float)
    _, I4ss_C, I4ss_s = _i4_quadratic_gradient(C, rows, s)
    I2s_C = _i2s_gradient(C, rows, s) if with_i2 else None
    return I2s_C, _i3s_gradient(C, rows, s), I4ss_C, I4ss_s, _j2_gradient(C, rows)
