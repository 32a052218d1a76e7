r"""Gaussian tail function and its stable logarithms and ratios.

Notation of the field (Engel & Van den Broeck, *Statistical Mechanics of Learning*, 2001):

.. math::
    Dz = \frac{e^{-z^2/2}}{\sqrt{2\pi}}\,dz, \qquad
    H(x) = \int_x^\infty Dz = \tfrac12 \operatorname{erfc}(x/\sqrt2).

``H`` underflows for ``x > 38.5`` (it is below the smallest double); every formula that needs
it in a tail must use :func:`log_H` or :func:`gaussian_hazard` instead, which are accurate to a
few ulp for ``|x|`` far beyond 40.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from statlearn.numerics.validation import brief

__all__ = [
    "as_elementwise",
    "H",
    "arccos_kernel",
    "log_H",
    "gaussian_pdf",
    "log_gaussian_pdf",
    "gaussian_hazard",
    "gaussian_hazard_gap",
    "log2cosh",
]

_SQRT2 = np.sqrt(2.0)
_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def as_elementwise(name: str, x: ArrayLike) -> np.ndarray:
    """``x`` as a float array for an elementwise (ufunc-like) function, or ``TypeError`` naming ``name`` for
    non-numeric input (None, strings, objects, complex numbers). NaN and infinities pass, as in numpy: the
    elementwise functions of the package return NaN for NaN (``docs/theory/numerics.md``)."""
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be real numbers, got {brief(x)}")
    return array.astype(float, copy=False)


def H(x: ArrayLike) -> np.ndarray | float:
    r"""Gaussian tail probability :math:`H(x) = \int_x^\infty Dz = \Phi(-x)` (elementwise: NaN gives NaN)."""
    return special.ndtr(-as_elementwise("x", x))[()]


def log_H(x: ArrayLike) -> np.ndarray | float:
    r""":math:`\ln H(x)`, finite for every finite ``x`` (``-x^2/2 - \ln(x\sqrt{2\pi})`` tail); NaN gives NaN."""
    return special.log_ndtr(-as_elementwise("x", x))[()]


def gaussian_pdf(x: ArrayLike) -> np.ndarray | float:
    r"""Standard normal density :math:`\varphi(x) = e^{-x^2/2}/\sqrt{2\pi}` (NaN gives NaN)."""
    x = as_elementwise("x", x)
    return np.exp(-0.5 * x * x - _LOG_SQRT_2PI)[()]


def log_gaussian_pdf(x: ArrayLike) -> np.ndarray | float:
    r""":math:`\ln\varphi(x)` (NaN gives NaN)."""
    x = as_elementwise("x", x)
    return (-0.5 * x * x - _LOG_SQRT_2PI)[()]


def gaussian_hazard(x: ArrayLike) -> np.ndarray | float:
    r"""The ratio :math:`R(x) = \varphi(x)/H(x) = -\frac{d}{dx}\ln H(x)` (inverse Mills ratio).

    Computed as :math:`\sqrt{2/\pi}/\operatorname{erfcx}(x/\sqrt2)`, which has no cancellation:
    :math:`R(x) \to x + 1/x` for :math:`x\to+\infty` and :math:`R(x)\to 0` (not NaN) for
    :math:`x \to -\infty`. Its derivative is :math:`R'(x) = R(x)\,(R(x) - x)`. NaN gives NaN.
    """
    x = as_elementwise("x", x)
    with np.errstate(over="ignore"):
        return (_SQRT_2_OVER_PI / special.erfcx(x / _SQRT2))[()]


_GAP_SWITCH = 4.0  # above it R(x) - x by the continued fraction (40 terms: full precision for x > 4)
_GAP_TERMS = 40


def gaussian_hazard_gap(x: ArrayLike, hazard: ArrayLike | None = None) -> np.ndarray | float:
    r""":math:`R(x) - x` without cancellation for large ``x`` (``hazard`` = :math:`R(x)` if already computed).

    :math:`R(x)(R(x) - x) = R'(x)` is the curvature of :math:`-\ln H`; computed as a difference it
    loses every digit once :math:`x \gtrsim 10^8` (where it is :math:`\approx 1/x`), which message
    passing meets when a variance goes to zero. For :math:`x > 4` Laplace's continued fraction
    :math:`R(x) - x = 1/(x + 2/(x + 3/(x + \dots)))`, evaluated backwards; below, the difference
    (relative error ~1e-14). NaN gives NaN.
    """
    x = as_elementwise("x", x)
    r = gaussian_hazard(x) if hazard is None else as_elementwise("hazard", hazard)
    gap = np.array(r - x, dtype=float)
    large = x > _GAP_SWITCH
    if np.any(large):
        xl = x[large]
        t = xl
        for k in range(_GAP_TERMS, 1, -1):
            t = xl + k / t
        gap[large] = 1.0 / t
    return gap[()]


def log2cosh(x: ArrayLike) -> np.ndarray | float:
    r""":math:`\ln 2\cosh x` without overflow (``|x| + log1p(exp(-2|x|))``); NaN gives NaN."""
    size = np.abs(as_elementwise("x", x))
    return (size + np.log1p(np.exp(-2.0 * size)))[()]


def arccos_kernel(c: ArrayLike) -> np.ndarray | float:
    r"""The degree-one arc-cosine kernel :math:`k(c) = [\sqrt{1-c^2} + c\,(\pi - \arccos c)]/(2\pi)`.

    For unit-variance Gaussians :math:`x, y` with correlation :math:`c \in [-1, 1]`,
    :math:`k(c) = \mathbb{E}\,\mathrm{relu}(x)\,\mathrm{relu}(y)` (Cho & Saul, NIPS 2009); :math:`k(1) = 1/2`,
    :math:`k(0) = 1/(2\pi)`, :math:`k(-1) = 0`. NaN, and ``c`` outside :math:`[-1, 1]`, give NaN (as ``np.arccos``,
    but without its warning).
    """
    cos = as_elementwise("c", c)
    with np.errstate(invalid="ignore"):
        return ((np.sqrt((1.0 - cos) * (1.0 + cos)) + cos * (np.pi - np.arccos(cos))) / (2.0 * np.pi))[()]
