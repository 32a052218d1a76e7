r"""Storage capacity of the perceptron: Gardner volume, binary perceptron, Cover's theorem.

Setting (Gardner 1988; Engel & Van den Broeck 2001, ch. 6): ``P = alpha N`` patterns
:math:`x^\mu \in \mathbb{R}^N` with i.i.d. :math:`N(0,1)` entries and random labels
:math:`y^\mu=\pm1`; a weight vector ``w`` stores them with margin ``kappa`` if
:math:`y^\mu w\cdot x^\mu/\sqrt N \ge \kappa` for all :math:`\mu`.

Names used throughout: ``alpha`` = P/N (load), ``kappa`` = margin (stability), ``q`` =
:math:`w^a\cdot w^b/N`, the typical overlap of two solutions, ``epsilon`` = 1 - q, and
:math:`u(t) = (\kappa + \sqrt q\, t)/\sqrt{1-q}`, the argument of every channel integral.
:math:`R(u) = \varphi(u)/H(u)` is the Gaussian hazard (:func:`statlearn.numerics.gaussian_hazard`).

**Spherical weights** (:math:`|w|^2 = N`). The replica-symmetric (RS) free entropy per weight,
the log of the typical fractional volume of solutions (Gardner, J. Phys. A 21, 257 (1988)), is

.. math:: f(q) = \tfrac12\ln(1-q) + \frac{q}{2(1-q)} + \alpha\int Dt\,\ln H(u(t)),

stationary at :math:`q/(1-q) = \alpha \int Dt\, R(u)^2` (obtained from :math:`\partial_q f = 0`
with Stein's lemma and :math:`R' = R(R-u)`). As :math:`q\to1`,
:math:`(1-q)R(u)^2 \to (\kappa+t)_+^2`, which gives the capacity

.. math:: \alpha_c(\kappa) = \Big[\int_{-\kappa}^\infty Dt\,(t+\kappa)^2\Big]^{-1},
   \qquad \alpha_c(0) = 2.

For :math:`\kappa\ge0` the set of solutions is convex and the RS result is exact. For
:math:`\kappa<0` it is not (replica symmetry breaks near capacity; Franz & Parisi, J. Phys. A
49, 385001 (2016)): the functions here still evaluate the RS formulas, and say so with a
:class:`ReplicaSymmetryWarning`.

**Binary weights** (:math:`w_i=\pm1`; Gardner & Derrida, J. Phys. A 21, 271 (1988)). RS entropy

.. math:: s(\alpha) = \operatorname{extr}_{q,\hat q}\Big[-\tfrac{\hat q}{2}(1-q)
   + \int Dz \ln 2\cosh(\sqrt{\hat q} z) + \alpha\int Dt\,\ln H(u(t))\Big],

stationary at :math:`q = \int Dz \tanh^2(\sqrt{\hat q}z)`,
:math:`\hat q = \alpha (1-q)^{-1}\int Dt\, R(u)^2`. Its zero is the capacity of Krauth & Mézard
(J. Phys. France 50, 3057 (1989)), :math:`\alpha_c(0)\simeq 0.83`. Two standard bounds that are
*not* the capacity: the annealed bound :math:`\alpha_{ann}=\ln2/(-\ln H(\kappa))` (where the
annealed entropy :math:`\ln 2 + \alpha\ln H(\kappa)` vanishes; 1 at :math:`\kappa=0`), and the RS
divergence :math:`q\to1`, which happens at :math:`\alpha_{RS}=2\alpha_c^{sph}(\kappa)/\pi`
(:math:`4/\pi` at :math:`\kappa=0`), where the RS entropy is already negative.

**Cover's theorem** (Cover, IEEE Trans. Electron. Comput. 14, 326 (1965)): ``P`` points in
general position in :math:`\mathbb{R}^N` with random labels are linearly separable through the
origin with probability :math:`2^{1-P}\sum_{k=0}^{N-1}\binom{P-1}{k}`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.gaussian import gaussian_expectation
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.roots import bracket_root
from statlearn.numerics.special import gaussian_hazard, log2cosh, log_H
from statlearn.numerics.validation import as_real_array

__all__ = [
    "ReplicaSymmetryWarning",
    "GardnerState",
    "BinaryPerceptronState",
    "gardner_capacity",
    "gardner_overlap",
    "gardner_free_entropy",
    "binary_overlap",
    "binary_entropy",
    "binary_capacity",
    "binary_annealed_capacity",
    "binary_rs_divergence",
    "cover_probability",
]

EPSILON_MIN = 1e-20
"""Smallest 1 - q resolved by the overlap solvers (loads closer to the divergence are flagged)."""

_LOG_EPS_MIN = float(np.log(EPSILON_MIN))
_LOGIT_MIN = -700.0  # q = 1e-304: smaller overlaps are reported as 0
_AT_DIVERGENCE = 1e-13  # loads within this relative distance of a q -> 1 divergence count as at it


class ReplicaSymmetryWarning(UserWarning):
    """A replica-symmetric formula was evaluated where replica symmetry is not exact."""


@dataclass(frozen=True)
class GardnerState:
    """RS saddle point of the spherical perceptron (arrays of the broadcast shape, or floats).

    ``q`` is the typical overlap of two solutions; it is 1 and ``free_entropy`` is ``-inf`` at and
    above capacity (no solutions). ``converged`` is per point; ``iterations`` counts the
    evaluations of the saddle-point equation by the bracketed root finder in logit(q) (one count
    for the whole vectorised solve); ``residual`` is ``|q - alpha (1-q) int Dt R(u)^2|`` at the
    returned ``q`` (0 at and above capacity, where nothing is solved); ``message`` says why it
    stopped. Arrays are read-only.
    """

    alpha: np.ndarray | float
    kappa: np.ndarray | float
    q: np.ndarray | float
    free_entropy: np.ndarray | float
    converged: np.ndarray | bool
    iterations: int
    residual: np.ndarray | float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


@dataclass(frozen=True)
class BinaryPerceptronState:
    """RS saddle point of the binary perceptron.

    ``conjugate`` is :math:`\\hat q`; ``entropy`` is the RS entropy s(alpha) (negative above the
    Krauth-Mézard capacity, where RS is no longer the right description but is still what the
    zero-entropy criterion uses). ``q`` is the typical overlap of two solutions; at and above the
    RS divergence it is 1 and ``entropy`` is ``-inf``. ``converged`` is per point; ``iterations``
    counts the evaluations of the saddle-point equation by the bracketed root finder in logit(q);
    ``residual`` is :math:`|\\int Dz\\,\\mathrm{sech}^2(\\sqrt{\\hat q}z)/(1-q) - 1|` at the returned ``q``
    (0 at and above the divergence); ``message`` says why it stopped. Arrays are read-only.
    """

    alpha: np.ndarray | float
    kappa: np.ndarray | float
    q: np.ndarray | float
    conjugate: np.ndarray | float
    entropy: np.ndarray | float
    converged: np.ndarray | bool
    iterations: int
    residual: np.ndarray | float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


# --------------------------------------------------------------------------- validation


KAPPA_MAX = 1e3
"""Largest margin accepted (the capacity is then about ``1/kappa**2``)."""

KAPPA_MIN = -30.0
"""Most negative margin accepted: below it the solution volume leaves the double range (:math:`H(-\\kappa) < 10^{-197}`)."""


def _margin(kappa: ArrayLike) -> np.ndarray:
    kappa = as_real_array("kappa", kappa, minimum=KAPPA_MIN, maximum=KAPPA_MAX, allow_empty=False)
    if np.any(kappa < 0):
        warnings.warn(
            "kappa < 0: the perceptron problem is non-convex and the replica-symmetric result is "
            "only an approximation (an upper estimate of the true capacity)",
            ReplicaSymmetryWarning,
            stacklevel=3,
        )
    return kappa


def _load(alpha: ArrayLike) -> np.ndarray:
    return as_real_array("alpha", alpha, minimum=0.0, allow_empty=False)


# --------------------------------------------------------------------------- channel integrals


def _channel_average(fn: Callable[[np.ndarray, np.ndarray], np.ndarray], epsilon: np.ndarray, kappa: np.ndarray):
    r""":math:`\int Dt\, fn(u(t), \epsilon)` with the kink of ``fn`` at :math:`u=0` resolved.

    The kink sits at :math:`t_0 = -\kappa/\sqrt q` with width :math:`\sqrt{\epsilon/q}` (capped at 1,
    where the integrand is smooth on the scale of the Gaussian).
    """
    q = 1.0 - epsilon
    sq = np.sqrt(q)
    t0 = np.divide(-kappa, sq, out=np.zeros(np.broadcast_shapes(kappa.shape, sq.shape)), where=sq > 0)
    width = np.minimum(np.sqrt(epsilon / np.maximum(q, 1e-300)), 1.0)

    def integrand(t, eps, k):
        return fn((k + np.sqrt(1.0 - eps) * t) / np.sqrt(eps), eps)

    return np.asarray(gaussian_expectation(integrand, epsilon, kappa, kink=t0, width=width))


def _scaled_hazard_moment(epsilon: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    r""":math:`(1-q)\int Dt\, R(u)^2`, bounded as :math:`q\to1` (limit :math:`1/\alpha_c^{sph}(\kappa)`)."""
    return _channel_average(lambda u, eps: eps * gaussian_hazard(u) ** 2, epsilon, kappa)


def _log_volume_term(epsilon: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    r""":math:`\int Dt\, \ln H(u)`."""
    return _channel_average(lambda u, eps: np.asarray(log_H(u)), epsilon, kappa)


def _solve_overlap(residual: Callable[[np.ndarray, np.ndarray], np.ndarray], shape: tuple[int, ...], what: str):
    """Root of ``residual(q, 1 - q)`` in ``y = logit(q)``, which resolves both ``q -> 0`` and ``q -> 1``.

    ``residual`` must be negative for small ``q`` and positive near ``q = 1`` below the divergence.
    Elements still non-positive at ``1 - q = EPSILON_MIN`` lie closer to the divergence than
    resolved: they return ``q = 1 - EPSILON_MIN`` and ``converged = False``. Elements already
    non-negative at ``q = 1e-304`` (zero load) return ``q = 0``. Returns ``(q, 1 - q, converged,
    iterations)`` with ``1 - q`` computed without cancellation.
    """

    def of_logit(y: np.ndarray) -> np.ndarray:
        return residual(special.expit(y), special.expit(-y))

    lo = np.full(shape, _LOGIT_MIN)
    hi = np.full(shape, -_LOG_EPS_MIN)
    unresolved = of_logit(hi) <= 0
    trivial = of_logit(lo) >= 0
    skip = unresolved | trivial
    y = np.where(trivial, -np.inf, hi)
    converged = trivial.copy()
    iterations = 0
    if not np.all(skip):
        mid = 0.5 * (_LOGIT_MIN - _LOG_EPS_MIN)
        res = bracket_root(lambda v: np.where(skip, v - mid, of_logit(v)), lo, hi, xtol=1e-13, rtol=1e-14, warn=False)
        y = np.where(skip, y, res.root)
        converged = trivial | (np.asarray(res.converged) & ~unresolved)
        iterations = res.iterations
    if not np.all(converged):
        warnings.warn(
            f"{what}: {int(np.sum(~converged))} point(s) lie closer to the q -> 1 divergence than "
            f"1 - q = {EPSILON_MIN:g} (or did not converge); their overlap is reported as "
            f"1 - {EPSILON_MIN:g} with converged=False",
            ConvergenceWarning,
            stacklevel=3,
        )
    return special.expit(y), special.expit(-y), converged, iterations


def _message(converged: np.ndarray, iterations: int, residual: np.ndarray) -> str:
    n = np.size(converged)
    worst = float(np.max(residual)) if n else 0.0
    if np.all(converged):
        return (
            f"converged: root bracketed to 1e-13 in logit(q), max residual {worst:.3g}, after {iterations} iterations"
        )
    return (
        f"not converged at {int(np.sum(~np.asarray(converged)))} of {n} point(s): closer to the q -> 1 divergence "
        f"than 1 - q = {EPSILON_MIN:g}, or the root finder ran out of iterations ({iterations})"
    )


# --------------------------------------------------------------------------- spherical perceptron


def gardner_capacity(kappa: ArrayLike = 0.0) -> np.ndarray | float:
    r"""Capacity :math:`\alpha_c(\kappa) = [\int_{-\kappa}^\infty Dt\,(t+\kappa)^2]^{-1}` (Gardner 1988).

    Vectorised over ``kappa`` (half-line Gaussian quadrature, relative accuracy ~1e-15).
    Exact for ``kappa >= 0``; for ``kappa < 0`` the RS value, with a warning.

    Examples
    --------
    >>> round(gardner_capacity(0.0), 12)
    2.0
    """
    kappa = _margin(kappa)
    moment = np.asarray(gaussian_expectation(lambda t, k: (t + k) ** 2, kappa, lower=-kappa))
    return (1.0 / moment)[()]


def gardner_free_entropy(alpha: ArrayLike, kappa: ArrayLike = 0.0) -> np.ndarray | float:
    """RS free entropy (log fractional volume of solutions per weight) at its saddle point."""
    return gardner_overlap(alpha, kappa).free_entropy


def gardner_overlap(alpha: ArrayLike, kappa: ArrayLike = 0.0) -> GardnerState:
    r"""Typical overlap :math:`q(\alpha,\kappa)` of two solutions of the spherical perceptron.

    Solves :math:`q = \alpha(1-q)\int Dt\,R(u)^2` for :math:`\alpha<\alpha_c(\kappa)` by a
    bracketed root in :math:`\mathrm{logit}(q)` (the root is unique; the variable resolves both
    :math:`q\to0` and :math:`q\to1`), vectorised over broadcast ``alpha`` and ``kappa``.
    At and above capacity (within a relative 1e-13, the accuracy of :math:`\alpha_c`) the
    volume of solutions is zero: ``overlap = 1``, ``free_entropy = -inf``.
    """
    alpha = _load(alpha)
    kappa = _margin(kappa)
    alpha, kappa = (np.array(x) for x in np.broadcast_arrays(alpha, kappa))
    capacity = 1.0 / gaussian_expectation(lambda t, k: (t + k) ** 2, kappa, lower=-kappa)
    below = alpha < capacity * (1.0 - _AT_DIVERGENCE)
    a = np.where(below, alpha, 0.0)  # points at/above capacity are solved trivially, then replaced

    def residual(q: np.ndarray, eps: np.ndarray) -> np.ndarray:
        return q - a * _scaled_hazard_moment(eps, kappa)

    q, eps, converged, iterations = _solve_overlap(residual, alpha.shape, "gardner_overlap")
    f = 0.5 * np.log(eps) + q / (2.0 * eps) + a * _log_volume_term(eps, kappa)
    res = np.abs(residual(q, eps))
    return GardnerState(
        alpha=alpha[()],
        kappa=kappa[()],
        q=np.where(below, q, 1.0)[()],
        free_entropy=np.where(below, f, -np.inf)[()],
        converged=(converged | ~below)[()],
        iterations=iterations,
        residual=np.where(below, res, 0.0)[()],
        message=_message(converged | ~below, iterations, np.where(below, res, 0.0)),
    )


# --------------------------------------------------------------------------- binary perceptron


def binary_rs_divergence(kappa: ArrayLike = 0.0) -> np.ndarray | float:
    r"""Load where the RS overlap of the binary perceptron reaches 1: :math:`2\alpha_c^{sph}(\kappa)/\pi`.

    From :math:`1-q \simeq \sqrt{2/\pi}/\sqrt{\hat q}` and
    :math:`\hat q \simeq \alpha/(\alpha_c^{sph}(1-q)^2)` as :math:`q\to1`; :math:`4/\pi` at
    ``kappa = 0`` (Gardner & Derrida 1988). Not the capacity: the RS entropy is negative there.
    """
    return (2.0 / np.pi * np.asarray(gardner_capacity(kappa)))[()]


def binary_annealed_capacity(kappa: ArrayLike = 0.0) -> np.ndarray | float:
    r"""Annealed upper bound :math:`\ln 2/(-\ln H(\kappa))` on the binary capacity (1 at ``kappa = 0``)."""
    kappa = _margin(kappa)
    return (np.log(2.0) / -np.asarray(log_H(kappa)))[()]


def _sech2(x: np.ndarray) -> np.ndarray:
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


def _binary_conjugate(alpha: np.ndarray, eps: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    r""":math:`\hat q = \alpha (1-q)^{-1}\int Dt\, R(u)^2`."""
    return alpha * _scaled_hazard_moment(eps, kappa) / eps**2


def _weight_average(fn: Callable[[np.ndarray], np.ndarray], qhat: np.ndarray) -> np.ndarray:
    r""":math:`\int Dz\, fn(\sqrt{\hat q} z)` with the kink at z = 0 of width :math:`1/\sqrt{\hat q}` resolved."""
    root = np.sqrt(qhat)
    width = np.minimum(1.0 / np.maximum(root, 1e-300), 1.0)
    return np.asarray(gaussian_expectation(lambda z, r: fn(r * z), root, kink=np.zeros_like(root), width=width))


def _binary_state(alpha: np.ndarray, kappa: np.ndarray) -> BinaryPerceptronState:
    alpha, kappa = (np.array(x) for x in np.broadcast_arrays(alpha, kappa))
    divergence = 2.0 / np.pi / gaussian_expectation(lambda t, k: (t + k) ** 2, kappa, lower=-kappa)
    below = alpha < divergence * (1.0 - _AT_DIVERGENCE)
    a = np.where(below, alpha, 0.0)

    def residual(q: np.ndarray, eps: np.ndarray) -> np.ndarray:
        # 1 - q = int Dz sech^2(sqrt(qhat) z), written relative to 1 - q (no cancellation near q = 1)
        return _weight_average(_sech2, _binary_conjugate(a, eps, kappa)) / eps - 1.0

    q, eps, converged, iterations = _solve_overlap(residual, alpha.shape, "binary_overlap")
    qhat = _binary_conjugate(a, eps, kappa)
    entropy = (
        -0.5 * qhat * eps + _weight_average(lambda x: np.asarray(log2cosh(x)), qhat) + a * _log_volume_term(eps, kappa)
    )
    res = np.where(below, np.abs(residual(q, eps)), 0.0)
    return BinaryPerceptronState(
        alpha=alpha[()],
        kappa=kappa[()],
        q=np.where(below, q, 1.0)[()],
        conjugate=np.where(below, qhat, np.inf)[()],
        entropy=np.where(below, entropy, -np.inf)[()],
        converged=(converged | ~below)[()],
        iterations=iterations,
        residual=res[()],
        message=_message(converged | ~below, iterations, res),
    )


def binary_overlap(alpha: ArrayLike, kappa: ArrayLike = 0.0) -> BinaryPerceptronState:
    """RS saddle point (overlap, conjugate, entropy) of the binary perceptron, vectorised."""
    return _binary_state(_load(alpha), _margin(kappa))


def binary_entropy(alpha: ArrayLike, kappa: ArrayLike = 0.0) -> np.ndarray | float:
    """RS entropy s(alpha, kappa) of the binary perceptron (Gardner & Derrida 1988)."""
    return binary_overlap(alpha, kappa).entropy


BINARY_KAPPA_MAX = 500.0
"""Largest margin :func:`binary_capacity` accepts: the zero of the RS entropy approaches the RS divergence
as the margin grows (relative gap 6e-7 at ``kappa = 100``) and merges with it, in double precision, near
``kappa = 579``, where no bracket separates the two."""


def binary_capacity(kappa: ArrayLike = 0.0) -> np.ndarray | float:
    r"""Capacity of the binary perceptron: the load where the RS entropy vanishes (Krauth & Mézard 1989).

    Bracketed between a small load (entropy near ln 2) and the smaller of the annealed bound and
    the RS divergence, where the RS entropy is negative. Vectorised over ``kappa`` in
    ``[KAPPA_MIN, BINARY_KAPPA_MAX]``.
    """
    kappa_in = kappa = _margin(kappa)
    if np.any(kappa > BINARY_KAPPA_MAX):
        raise ValueError(
            f"kappa must be <= {BINARY_KAPPA_MAX:g} for the binary capacity (beyond, the root merges with the "
            f"RS divergence in double precision), got {float(np.max(kappa)):g}"
        )
    kappa = np.atleast_1d(kappa)
    hi = np.minimum(binary_annealed_capacity(kappa), binary_rs_divergence(kappa) * (1.0 - 1e-9))
    # The RS entropy is below the annealed one, which vanishes at the annealed bound; it is >= 0 there
    # only by rounding, for kappa below about -8, where the capacity equals the annealed bound in float64.
    capacity = hi.copy()
    open_ = _binary_state(hi, kappa).entropy < 0.0
    if np.any(open_):
        root = bracket_root(
            lambda a: _binary_state(a, kappa[open_]).entropy, 1e-3 * hi[open_], hi[open_], xtol=1e-14, rtol=1e-13
        ).root
        capacity[open_] = root
    return capacity.reshape(np.shape(kappa_in))[()]


# --------------------------------------------------------------------------- Cover's theorem


def cover_probability(P: ArrayLike, N: ArrayLike) -> np.ndarray | float:
    r"""Probability that ``P`` random points in general position in dimension ``N`` with random
    labels are linearly separable through the origin (Cover 1965):

    .. math:: C(P,N)/2^P = 2^{1-P}\sum_{k=0}^{N-1}\binom{P-1}{k} = \Pr[\mathrm{Bin}(P-1, 1/2) \le N-1],

    evaluated as a binomial distribution function (regularised incomplete beta), so it neither
    overflows nor loses relative accuracy for large ``P`` and ``N``. ``P = 0`` gives 1. Exactly
    1/2 at ``P = 2N``.
    """
    P_arr = as_real_array("P", P, minimum=0)
    N_arr = as_real_array("N", N, minimum=1)
    if np.any(P_arr != np.round(P_arr)):
        raise ValueError(f"P must be a whole number of patterns, got {P!r}")
    if np.any(N_arr != np.round(N_arr)):
        raise ValueError(f"N must be a whole number (the dimension), got {N!r}")
    P_arr, N_arr = np.broadcast_arrays(P_arr, N_arr)
    trials = np.maximum(P_arr - 1.0, 0.0)
    # Pr[Bin(n, 1/2) <= k] = I_{1/2}(n - k, k + 1), with n = P - 1, k = N - 1
    prob = special.betainc(np.maximum(trials - N_arr + 1.0, 1.0), N_arr, 0.5)
    prob = np.where(N_arr - 1.0 >= trials, 1.0, prob)
    return np.where(P_arr == 0, 1.0, prob)[()]
