r"""Exact results for the 2-D Ising model (:math:`J = 1`, weight :math:`e^{-\beta E}`, :math:`E = -\sum_{\langle xy\rangle}s_xs_y`).

**Critical point** (Kramers & Wannier 1941; Onsager 1944): :math:`\sinh 2\beta_c = 1`,
:math:`\beta_c = \tfrac12\ln(1+\sqrt2)\approx 0.440687`, :math:`T_c = 2/\ln(1+\sqrt2)\approx 2.269185`.

**Onsager's energy per site** of the infinite lattice (Phys. Rev. 65, 117, 1944),

.. math::
    u(\beta) = -\coth 2\beta\left[1 + \frac2\pi\left(2\tanh^2 2\beta - 1\right)K(k)\right],\qquad
    k = \frac{2\sinh 2\beta}{\cosh^2 2\beta},

with :math:`K(k) = \int_0^{\pi/2}(1 - k^2\sin^2\theta)^{-1/2}d\theta` the complete elliptic integral of
the first kind (``scipy.special.ellipk`` takes the parameter :math:`k^2`; near :math:`\beta_c`,
:math:`1 - k^2 = (1 - \sinh^2 2\beta)^2/\cosh^4 2\beta` is passed to ``ellipkm1`` without cancellation).
At :math:`\beta_c` the logarithmic divergence of :math:`K` is cancelled and :math:`u = -\sqrt2`.

**Yang's spontaneous magnetisation** (Phys. Rev. 85, 808, 1952):
:math:`m_0(\beta) = (1 - \sinh^{-4}2\beta)^{1/8}` for :math:`\beta > \beta_c`, 0 otherwise.

**The finite periodic lattice** (Kaufman, Phys. Rev. 76, 1232, 1949): on the :math:`m\times n` torus

.. math::
    Z = \tfrac12(2\sinh 2\beta)^{mn/2}\Big[\prod_{r=0}^{n-1}2\cosh\tfrac m2\gamma_{2r+1}
    + \prod_{r=0}^{n-1}2\sinh\tfrac m2\gamma_{2r+1} + \prod_{r=0}^{n-1}2\cosh\tfrac m2\gamma_{2r}
    + \prod_{r=0}^{n-1}2\sinh\tfrac m2\gamma_{2r}\Big],

:math:`\cosh\gamma_l = \cosh 2\beta\coth 2\beta - \cos(\pi l/n)` with :math:`\gamma_l > 0` for
:math:`l\ne0` and :math:`\gamma_0 = 2\beta + \ln\tanh\beta` (negative above :math:`T_c`, which makes the
last product change sign). The four terms are the four boundary-condition sectors of the Pfaffian
(fermion) solution. :func:`kaufman_log_partition` evaluates it in ``mpmath`` at 50 significant digits
(the four terms nearly cancel in pairs for large lattices), and :func:`kaufman_energy` its derivative
:math:`\langle E\rangle/L^2 = -L^{-2}\,\partial_\beta\ln Z` (``mpmath.diff``): the *exact* energy per
site of the finite lattice, which is what a Monte Carlo run at that size must reproduce. (Its
convergence to Onsager's :math:`u` is fast away from :math:`T_c` and of order :math:`L^{-1}` at it.)

**Exact enumeration** (:func:`ising_enumeration`): the :math:`2^{L^2}` states of an :math:`L\le4`
lattice (65 536 at :math:`L = 4`) give the joint density of states of :math:`(E, M)` and hence
:math:`Z`, :math:`\langle E\rangle`, :math:`\langle|m|\rangle`, :math:`\langle m^2\rangle`,
:math:`\langle m^4\rangle` and the Binder cumulant at any :math:`\beta`.

References
----------
H. A. Kramers & G. H. Wannier, Phys. Rev. 60, 252 (1941); L. Onsager, Phys. Rev. 65, 117 (1944);
B. Kaufman, Phys. Rev. 76, 1232 (1949); C. N. Yang, Phys. Rev. 85, 808 (1952);
P. D. Beale, "Exact distribution of energies in the two-dimensional Ising model", Phys. Rev. Lett. 76, 78 (1996).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ellipkm1, logsumexp

from statlearn.numerics.result import freeze_arrays
from wirg.checks import check_scalar, count, real_array

__all__ = [
    "BETA_C",
    "T_C",
    "IsingEnumeration",
    "ising_enumeration",
    "kaufman_energy",
    "kaufman_log_partition",
    "onsager_energy",
    "yang_magnetization",
]

#: The critical coupling :math:`\beta_c = \tfrac12\ln(1+\sqrt2)`.
BETA_C = 0.5 * math.log1p(math.sqrt(2.0))
#: The critical temperature :math:`T_c = 1/\beta_c = 2/\ln(1+\sqrt2)`.
T_C = 1.0 / BETA_C

_MAX_ENUMERATION = 4  # 2^16 states
_MAX_KAUFMAN = 4096  # 2 L factors per product, in 50-digit arithmetic
_HIGH_TEMPERATURE = 0.01  # below it, onsager_energy uses the high-temperature series
_DIGITS = 50  # working precision of the Kaufman formula


def _betas(beta: ArrayLike) -> np.ndarray:
    """``beta`` as a float array of finite values > 0 (``ValueError`` naming beta otherwise)."""
    b = real_array("beta", beta)
    if not np.all(b > 0.0):
        raise ValueError("beta must be > 0 (a positive temperature)")
    return b


def onsager_energy(beta: ArrayLike) -> np.ndarray:
    r"""Onsager's energy per site :math:`u(\beta)` of the infinite square lattice (module docstring).

    ``beta`` > 0, any shape; returns a float array of that shape (0-d for a scalar). For
    :math:`\beta < 0.01`, where the bracket cancels to :math:`O(\beta^2)`, the high-temperature
    (closed-polygon) expansion :math:`-\beta f = \ln 2 + 2\ln\cosh\beta + t^4 + 2t^6 + O(t^8)`,
    :math:`t = \tanh\beta`, is used instead: :math:`u = -2t - (4t^3 + 12t^5)(1 - t^2)`, relative error
    below :math:`10^{-10}`.
    """
    b = _betas(beta)
    with np.errstate(over="ignore"):  # 2 beta overflows to inf for beta near the float64 maximum: tanh(inf) = 1
        t = np.tanh(2.0 * b)
    m1 = (1.0 - 2.0 * t * t) ** 2  # 1 - k^2 = (1 - sinh^2 2b)^2 / cosh^4 2b, without overflow
    with np.errstate(divide="ignore", invalid="ignore"):
        elliptic = (2.0 / np.pi) * (2.0 * t * t - 1.0) * ellipkm1(m1)
        u = -(1.0 + np.where(m1 > 0.0, elliptic, 0.0)) / t
    th = np.tanh(b)  # high temperature: the bracket cancels to O(beta^2); use the loop expansion instead
    series = -2.0 * th - (4.0 * th**3 + 12.0 * th**5) * (1.0 - th * th)
    u = np.where(b < _HIGH_TEMPERATURE, series, u)
    return np.asarray(u)


def yang_magnetization(beta: ArrayLike) -> np.ndarray:
    r"""Yang's spontaneous magnetisation :math:`(1 - \sinh^{-4}2\beta)^{1/8}` above :math:`\beta_c`, 0 below."""
    b = _betas(beta)
    with np.errstate(over="ignore"):
        inverse = np.sinh(2.0 * b) ** -4.0
    return np.asarray(np.where(b > BETA_C, np.clip(1.0 - inverse, 0.0, None) ** 0.125, 0.0))


def _kaufman(beta: mpmath.mpf, m: int, n: int) -> mpmath.mpf:
    """ln Z of the m x n torus by Kaufman's four products, in the current mpmath precision."""
    t = 2 * beta
    c = mpmath.cosh(t) * mpmath.coth(t)
    gammas = [2 * beta + mpmath.log(mpmath.tanh(beta))] + [
        mpmath.acosh(c - mpmath.cos(mpmath.pi * l / n)) for l in range(1, 2 * n)
    ]
    odd, even = gammas[1::2], gammas[0::2]
    terms = [
        mpmath.fprod(2 * mpmath.cosh(m * g / 2) for g in odd),
        mpmath.fprod(2 * mpmath.sinh(m * g / 2) for g in odd),
        mpmath.fprod(2 * mpmath.cosh(m * g / 2) for g in even),
        mpmath.fprod(2 * mpmath.sinh(m * g / 2) for g in even),
    ]
    return mpmath.log(mpmath.fsum(terms) / 2) + m * n * mpmath.log(2 * mpmath.sinh(t)) / 2


def _digits(beta: float) -> int:
    """Working digits: 50, plus twice the decades of a small beta (ln Z - L^2 ln 2 is O(beta^2) there)."""
    return _DIGITS + 2 * max(0, math.ceil(-math.log10(beta)))


def _kaufman_size(L: object) -> int:
    """The lattice size of the Kaufman functions: an integer in [2, 4096]."""
    L = count("L", L, minimum=2)
    if L > _MAX_KAUFMAN:
        raise ValueError(f"L must be <= {_MAX_KAUFMAN} for Kaufman's formula (use onsager_energy beyond), got {L}")
    return L


def kaufman_log_partition(L: int, beta: float) -> float:
    r"""Exact :math:`\ln Z` of the periodic :math:`L\times L` Ising lattice (Kaufman 1949), :math:`L\ge2`, :math:`\beta>0`."""
    L = _kaufman_size(L)
    beta = check_scalar("beta", beta, minimum=0.0, strict=True)
    with mpmath.workdps(_digits(beta)):
        return float(_kaufman(mpmath.mpf(beta), L, L))


def kaufman_energy(L: int, beta: float) -> float:
    r"""Exact energy per site :math:`\langle E\rangle/L^2 = -L^{-2}\partial_\beta\ln Z` of the periodic
    :math:`L\times L` lattice, from Kaufman's :math:`Z` differentiated in ``mpmath``."""
    L = _kaufman_size(L)
    beta = check_scalar("beta", beta, minimum=0.0, strict=True)
    with mpmath.workdps(_digits(beta)):
        b = mpmath.mpf(beta)  # central difference of step 1e-15 beta (error 1e-30 beta^2 relative), so b - h > 0
        derivative = mpmath.diff(lambda x: _kaufman(x, L, L), b, h=b / 10**15)
    return float(-derivative / (L * L))


@dataclass(frozen=True)
class IsingEnumeration:
    r"""Exact thermodynamics of a small periodic lattice by enumeration (:func:`ising_enumeration`).

    Attributes
    ----------
    L, beta
        Lattice size and inverse temperature.
    log_partition
        :math:`\ln Z = \ln\sum_s e^{-\beta E(s)}`.
    energy
        :math:`\langle E\rangle/L^2`, the energy per site.
    energy_variance
        :math:`\operatorname{Var}(E)/L^2` (the specific heat is :math:`\beta^2` times it).
    abs_m, m2, m4
        :math:`\langle|m|\rangle`, :math:`\langle m^2\rangle`, :math:`\langle m^4\rangle`, :math:`m = L^{-2}\sum_x s_x`.
    binder
        :math:`U_L = 1 - \langle m^4\rangle/(3\langle m^2\rangle^2)`.
    converged, iterations, residual, message
        The result protocol: an exact sum (``converged`` True, ``iterations`` the number of states,
        ``residual`` 0).
    """

    L: int
    beta: float
    log_partition: float
    energy: float
    energy_variance: float
    abs_m: float
    m2: float
    m4: float
    binder: float
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _states(L: int) -> tuple[np.ndarray, np.ndarray]:
    """E and M of all 2^(L^2) configurations (bit x of the state index is spin x: 1 -> +1)."""
    n = L * L
    index = np.arange(2**n, dtype=np.int64)
    spins = (((index[:, None] >> np.arange(n)) & 1) * 2 - 1).astype(np.int8).reshape(-1, L, L)
    energy = -np.sum(spins * (np.roll(spins, -1, axis=1) + np.roll(spins, -1, axis=2)), axis=(1, 2), dtype=np.int64)
    return energy, spins.sum(axis=(1, 2), dtype=np.int64)


def ising_enumeration(L: int, beta: float) -> IsingEnumeration:
    r"""Exact :math:`Z`, :math:`\langle E\rangle`, :math:`\langle|m|\rangle`, :math:`\langle m^2\rangle`,
    :math:`\langle m^4\rangle` of the periodic :math:`L\times L` lattice by summing over its :math:`2^{L^2}`
    states (:math:`2\le L\le4`, module docstring)."""
    L = count("L", L, minimum=2)
    if L > _MAX_ENUMERATION:
        raise ValueError(f"L must be <= {_MAX_ENUMERATION} for exact enumeration (2^(L^2) states), got {L}")
    beta = check_scalar("beta", beta, minimum=0.0, strict=True)
    if beta > 1e300:
        raise ValueError(f"beta must be <= 1e300 (beta E stays in the float64 range), got {beta!r}")
    energy, magnetization = _states(L)
    log_weight = -beta * energy.astype(float)
    log_z = float(logsumexp(log_weight))
    p = np.exp(log_weight - log_z)
    n = L * L
    e, m = energy / n, magnetization / n
    mean_e = float(p @ e)
    m2, m4 = float(p @ m**2), float(p @ m**4)
    return IsingEnumeration(
        L=L,
        beta=beta,
        log_partition=log_z,
        energy=mean_e,
        energy_variance=float(p @ (e - mean_e) ** 2) * n,
        abs_m=float(p @ np.abs(m)),
        m2=m2,
        m4=m4,
        binder=1.0 - m4 / (3.0 * m2 * m2),
        converged=True,
        iterations=2**n,
        residual=0.0,
        message=f"summed all {2**n} states of the {L} x {L} lattice",
    )
