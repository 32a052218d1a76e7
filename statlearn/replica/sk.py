r"""The Sherrington-Kirkpatrick spin glass by the replica method: RS, the AT line and k-step RSB.

Model (Sherrington & Kirkpatrick, Phys. Rev. Lett. 35, 1792 (1975)):
:math:`H = -\sum_{i<j} J_{ij} s_i s_j - h\sum_i s_i` with :math:`s_i = \pm1` and
:math:`J_{ij} \sim N(0, 1/N)`; ``T`` is the temperature, :math:`\beta = 1/T`. All quantities are per
spin in the limit :math:`N\to\infty`.

**Replica symmetry (RS).** With :math:`\xi = \beta(\sqrt q\, z + h)`, :math:`z \sim N(0,1)`,

.. math:: -\beta f = \tfrac{\beta^2}{4}(1-q)^2 + \mathbb{E}_z \ln 2\cosh\xi, \qquad
   q = \mathbb{E}_z \tanh^2\xi,

energy :math:`e = \partial_\beta(\beta f) = -\tfrac\beta2(1-q^2) - h\,m` with
:math:`m = \mathbb{E}_z\tanh\xi`, entropy :math:`s = \beta(e - f)`. As :math:`T\to0` at
:math:`h=0`: :math:`e \to -\sqrt{2/\pi}` and :math:`s\to -1/(2\pi)` (negative: RS is wrong there).

**de Almeida-Thouless line** (de Almeida & Thouless, J. Phys. A 11, 983 (1978)): the RS saddle
is stable while :math:`\lambda = \beta^2\,\mathbb{E}_z\,\mathrm{sech}^4\xi < 1`; :func:`at_line`
solves :math:`\lambda = 1` for ``T`` at given ``h``. Near :math:`h = 0`,
:math:`h^2 \simeq \tfrac43 (1 - T)^3`.

**k-step replica symmetry breaking** (Parisi, J. Phys. A 13, L115 (1980)). Parameters
:math:`0\le q_0\le\dots\le q_k\le1` and :math:`0 = m_0 < m_1\le\dots\le m_k < m_{k+1} = 1`;
with :math:`L_k(y) = \ln 2\cosh\beta y` and

.. math:: L_{l-1}(y) = \frac1{m_l}\ln\mathbb{E}_z\, e^{m_l L_l(y + z\sqrt{q_l - q_{l-1}})},
   \qquad l = k, \dots, 1,

the Parisi functional is

.. math:: P = \tfrac{\beta^2}4\Big[1 - 2q_k + \sum_{l=0}^k (m_{l+1} - m_l) q_l^2\Big]
   + \mathbb{E}_z L_0(h + z\sqrt{q_0}),

(k = 0 is RS). By Guerra's bound (Commun. Math. Phys. 233, 1 (2003)) every admissible choice gives
:math:`P \ge -\beta f`, so :func:`rsb` **minimises** ``P`` over the parameters (``f`` is maximised),
on an unconstrained parametrisation that keeps the orderings, by Nelder-Mead then BFGS. The Gaussian
averages are nested Gauss-Hermite rules. The energy :math:`e = \partial_\beta(\beta f)` is the partial
derivative at fixed optimal parameters (envelope theorem), by a central difference.

**Zero temperature.** With :math:`q_k\to1` and :math:`\mu_l = \beta m_l` fixed, :math:`\varphi_k(y)
= |y|`, :math:`\varphi_{l-1}(y) = \mu_l^{-1}\ln\mathbb{E}_z e^{\mu_l\varphi_l(y + z\sqrt{q_l - q_{l-1}})}`,
and the ground-state energy is

.. math:: e_0 = \max\Big[\frac{\mu_k}4 - \frac14\sum_{l=0}^{k-1}(\mu_{l+1} - \mu_l) q_l^2
   - \mathbb{E}_z \varphi_0(h + z\sqrt{q_0})\Big].

The innermost level is done in closed form,
:math:`\mu^{-1}\ln\mathbb{E}e^{\mu|y+\sigma z|} = \tfrac{\mu\sigma^2}2 + \mu^{-1}\ln[e^{\mu y}
\Phi(y/\sigma + \mu\sigma) + e^{-\mu y}\Phi(-y/\sigma + \mu\sigma)]`, which removes the kink of
:math:`|y|`; the levels above are smooth. Published values: 1RSB :math:`-0.7652`, approaching the
full-RSB :math:`-0.763166` (Crisanti & Rizzo, Phys. Rev. E 65, 046137 (2002)) from below.

**Full RSB at T = 0.** :math:`e_0 = -\min_\gamma [\Psi_\gamma(0, h) - \tfrac12\int_0^1 q\gamma(q)\,dq]` over
non-decreasing :math:`\gamma = \lim\beta x`, with :math:`\partial_q\Psi = -\tfrac12[\partial_y^2\Psi +
\gamma(\partial_y\Psi)^2]`, :math:`\Psi(1, y) = |y|` (Auffinger & Chen, Ann. Probab. 45, 4617 (2017); the minimiser is unique: Chen,
Handschy & Lerman, Probab. Theory Relat. Fields 171, 53 (2018)):
``ground_state_energy(steps=None)``, on a fixed grid of :data:`FULL_RSB_LEVELS` intervals (see
:class:`_ParisiFunctional`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike
from scipy import optimize, special

from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.gaussian import crossover_width, gaussian_expectation, hermite_rule
from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.roots import bracket_root
from statlearn.numerics.special import log2cosh
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar

__all__ = [
    "SKReplicaSymmetric",
    "SKReplicaBreaking",
    "replica_symmetric",
    "at_line",
    "rsb",
    "ground_state_energy",
    "SKParisi",
    "parisi",
]

MAX_STEPS = 3
"""Largest number of RSB steps of :func:`rsb` and :func:`ground_state_energy` (the nested rules grow as
``nodes**(steps + 1)``)."""

_T_MIN = 1e-3  # lowest temperature accepted: below, the RS crossovers are narrower than the kink rule resolves
_AT_T_MIN = 1e-3  # lowest T_AT searched by at_line (h up to about 3.6)
_NODES = {1: 64, 2: 90, 3: 34}  # Gauss-Hermite nodes per level of the nested k-RSB rules at T = 0
_NODES_FINITE_T = {1: 64, 2: 48, 3: 24}  # and at T > 0 (smooth top level ln 2cosh(beta y))
FULL_RSB_LEVELS = 10
"""Number of intervals of the fixed overlap grid of the T = 0 full-RSB solver (:func:`ground_state_energy`)."""
_FULL_RSB_DY = 0.03  # spacing of the y grid of the full-RSB solver
_FULL_RSB_REACH = 8.0  # half-width of the y grid (the tilted process stays well inside)
PARISI_INTERVALS = 20
"""Default number of intervals of the overlap grid of the finite-temperature full-RSB solver (:func:`parisi`)."""
_PARISI_T_MIN = 0.05  # lowest T of parisi(): the y grid spacing resolves ln 2cosh(y / T) down to there
_X_FLOOR = 1e-6  # smallest x on an interval: the folds divide by gamma = beta x
_PARISI_GAP = 5e-8  # Frank-Wolfe gap (a bound on F - min F) accepted as converged


@dataclass(frozen=True)
class SKReplicaSymmetric:
    """RS solution of the SK model at ``(T, h)`` (from :func:`replica_symmetric`).

    Attributes
    ----------
    T, h
        Temperature and field.
    q, magnetization
        Edwards-Anderson overlap :math:`\\mathbb{E}\\tanh^2\\xi` and :math:`m = \\mathbb{E}\\tanh\\xi`.
    free_energy, energy, entropy
        Per spin.
    stability
        :math:`\\lambda = \\beta^2\\mathbb{E}\\,\\mathrm{sech}^4\\xi` (RS is stable while ``< 1``).
    converged, iterations, residual, message
        The overlap equation's root finding (:class:`statlearn.numerics.SolverResult`; ``residual`` is
        :math:`|\\mathbb{E}\\tanh^2\\xi - q|`).
    """

    T: float
    h: float
    q: float
    magnetization: float
    free_energy: float
    energy: float
    entropy: float
    stability: float
    converged: bool
    iterations: int
    residual: float
    message: str = ""


@dataclass(frozen=True)
class SKReplicaBreaking:
    """k-step RSB solution (from :func:`rsb` and :func:`ground_state_energy`).

    Attributes
    ----------
    T, h, steps
        Temperature (0 for the ground state), field and number of steps ``k`` (for the full-RSB ground state, the
        number of intervals of its overlap grid).
    q
        Overlaps :math:`q_0\\le\\dots\\le q_k` (at ``T = 0``, :math:`q_k = 1`; full RSB: the grid points).
    m
        Breakpoints :math:`m_1\\le\\dots\\le m_k` in (0, 1); at ``T = 0`` the scaled :math:`\\mu_l = \\beta m_l` (full RSB: :math:`\\gamma` on each interval).
    free_energy, energy
        Per spin (equal at ``T = 0``).
    converged, iterations, residual, message
        The optimisation (:class:`statlearn.numerics.SolverResult`): ``iterations`` counts evaluations of the
        Parisi functional, ``residual`` is the gradient norm in the unconstrained parameters.
    """

    T: float
    h: float
    steps: int
    q: np.ndarray
    m: np.ndarray
    free_energy: float
    energy: float
    converged: bool
    iterations: int
    residual: float
    message: str = ""

    def __post_init__(self) -> None:
        freeze_arrays(self)


@dataclass(frozen=True)
class SKParisi:
    """Full-RSB (Parisi) solution of the SK model at ``T > 0`` (from :func:`parisi`).

    Attributes
    ----------
    T, h, intervals
        Temperature, field and the number of intervals of the overlap grid.
    q, x
        The Parisi order parameter as a step function: ``x[j]`` is :math:`x(q)` on ``[q[j], q[j+1])`` and the
        last entry, 1, holds on ``[q[-1], 1]``. ``x`` is the cumulative distribution of the overlap.
    q_min, q_max
        Lower and upper ends of the support of the overlap distribution (:math:`x = 0` below ``q_min``,
        :math:`x = 1` above ``q_max``), located inside their grid intervals by the mean of ``x`` there.
    free_energy, energy, entropy, magnetization
        Per spin.
    converged, iterations, residual, message
        The optimisation (:class:`statlearn.numerics.SolverResult`): ``iterations`` counts evaluations of the
        functional, ``residual`` is the Frank-Wolfe gap, an upper bound on the distance of the Parisi functional
        (units of ``-f``) to its minimum on the grid.
    """

    T: float
    h: float
    intervals: int
    q: np.ndarray
    x: np.ndarray
    q_min: float
    q_max: float
    free_energy: float
    energy: float
    entropy: float
    magnetization: float
    converged: bool
    iterations: int
    residual: float
    message: str = ""

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def x_of_q(self) -> tuple[np.ndarray, np.ndarray]:
        """``(q, x)``: the grid points and :math:`x` from each of them to the next (the last up to ``q = 1``)."""
        return self.q, self.x


# --------------------------------------------------------------------------------------------- RS


def _rs_average(f, beta: np.ndarray, q: np.ndarray, h: np.ndarray) -> np.ndarray:
    """:math:`\\mathbb{E}_z f(\\beta(\\sqrt q z + h))`, graded at the crossover ``z = -h/sqrt(q)`` of width ``T/sqrt(q)``."""
    root = np.sqrt(np.maximum(q, 1e-300))
    slope = beta * root
    return np.asarray(
        gaussian_expectation(
            lambda z, b, r, hh: f(b * (r * z + hh)),
            beta,
            root,
            h,
            kink=np.clip(-h / root, -50.0, 50.0),
            width=crossover_width(slope),
        )
    )


def _tanh2(x: np.ndarray) -> np.ndarray:
    return np.tanh(x) ** 2


def _sech4(x: np.ndarray) -> np.ndarray:
    decay = np.exp(-2.0 * np.abs(x))
    return (2.0 * np.sqrt(decay) / (1.0 + decay)) ** 4


def _rs_overlap(beta: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """RS overlap q(beta, h) (arrays), whether each root converged, and the evaluations used."""
    beta, h = np.broadcast_arrays(np.asarray(beta, dtype=float), np.asarray(h, dtype=float))
    paramagnet = (h == 0) & (beta <= 1.0)
    # h = 0 below T = 1: q = 0 is a spurious root; start the bracket where E tanh^2 - q > 0, i.e. below
    # q ~ (beta^2 - 1) / (2 beta^4) (expansion tanh^2 x = x^2 - 2x^4/3 + ...).
    b = np.where(paramagnet, 2.0, beta)
    lo = np.where(h == 0, 0.05 * (b**2 - 1.0) / (2.0 * b**4), 0.0)

    def g(q: np.ndarray) -> np.ndarray:
        return _rs_average(_tanh2, b, q, h) - q

    found = bracket_root(g, lo, np.ones_like(lo), xtol=1e-15, rtol=1e-14, warn=False)
    q = np.where(paramagnet, 0.0, np.asarray(found.root))
    converged = np.asarray(found.converged) | paramagnet
    return q, converged, found.iterations


def _check_temperature(T: object, *, allow_zero: bool = False) -> float:
    value = as_real_scalar("T", T, minimum=0.0, strict_minimum=not allow_zero)
    if not allow_zero and value < _T_MIN:
        raise ValueError(f"T must be >= {_T_MIN} (the T -> 0 limit is ground_state_energy), got {value!r}")
    return value


def replica_symmetric(T: float, h: float = 0.0) -> SKReplicaSymmetric:
    r"""Replica-symmetric solution of the SK model at temperature ``T`` and field ``h``.

    Solves :math:`q = \mathbb{E}_z\tanh^2\beta(\sqrt q z + h)` by bracketing (the non-trivial root at
    ``h = 0``, ``T < 1``) and returns :math:`f`, :math:`e = -\frac\beta2(1-q^2) - hm`, :math:`s = \beta(e-f)`
    (formulas in the module docstring; Sherrington & Kirkpatrick 1975).

    Parameters
    ----------
    T
        Temperature, ``T >= 1e-3`` (the integrands are graded at the crossover of width ``T``).
    h
        Uniform field (any real; the solution is even in ``h`` up to the sign of ``magnetization``).
    """
    T = _check_temperature(T)
    h = as_real_scalar("h", h)
    beta = 1.0 / T
    qa, conv, iterations = _rs_overlap(np.asarray(beta), np.asarray(h))
    q = float(qa)
    beta_a, q_a, h_a = np.asarray(beta), np.asarray(q), np.asarray(h)
    residual = abs(float(_rs_average(_tanh2, beta_a, q_a, h_a)) - q)
    m = float(_rs_average(np.tanh, beta_a, q_a, h_a))
    log_z = 0.25 * beta**2 * (1.0 - q) ** 2 + float(_rs_average(log2cosh, beta_a, q_a, h_a))
    free_energy = -T * log_z
    energy = -0.5 * beta * (1.0 - q * q) - h * m
    stability = beta**2 * float(_rs_average(_sech4, beta_a, q_a, h_a))
    converged = bool(conv)
    if not converged:
        warnings.warn(
            f"replica_symmetric: the overlap equation did not converge at T={T}, h={h}",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SKReplicaSymmetric(
        T=T,
        h=h,
        q=q,
        magnetization=m,
        free_energy=free_energy,
        energy=energy,
        entropy=beta * (energy - free_energy),
        stability=stability,
        converged=converged,
        iterations=iterations,
        residual=residual,
        message=stop_message(converged, iterations, residual, unit="evaluations"),
    )


# ---------------------------------------------------------------------------------------- AT line


def _at_gap(T: np.ndarray, h: np.ndarray) -> np.ndarray:
    beta = 1.0 / T
    q, _, _ = _rs_overlap(beta, h)
    return beta**2 * _rs_average(_sech4, beta, q, h) - 1.0


def at_line(h: ArrayLike) -> np.ndarray | float:
    r"""de Almeida-Thouless temperature :math:`T_{AT}(h)`: where :math:`\beta^2\mathbb{E}_z\mathrm{sech}^4
    \beta(\sqrt q z + h) = 1` with the RS overlap ``q`` (de Almeida & Thouless 1978).

    Below :math:`T_{AT}` the RS saddle is unstable (replicon eigenvalue). ``T_AT(0) = 1``; for small ``h``,
    :math:`T_{AT} \simeq 1 - (3h^2/4)^{1/3}`.

    Parameters
    ----------
    h
        Field(s), an array or a number with :math:`|T_{AT}(h)| \ge 10^{-3}` (about ``|h| <= 3.6``).

    Returns
    -------
    float or ndarray
        :math:`T_{AT}`, with the shape of ``h``; a :class:`ConvergenceWarning` if a root did not converge.
    """
    field = np.abs(as_real_array("h", h, allow_empty=False))
    positive = field > 0
    hp = np.where(positive, field, 1.0)
    lo = np.full(hp.shape, _AT_T_MIN)
    hi = np.ones(hp.shape)
    gap_lo = _at_gap(lo, hp)
    if np.any(gap_lo[positive] <= 0):
        bad = field[positive & (gap_lo <= 0)].ravel()[0]
        raise ValueError(f"h must have T_AT(h) >= {_AT_T_MIN} (|h| <= about 3.6), got {bad!r}")
    found = bracket_root(lambda t: _at_gap(t, hp), lo, hi, xtol=1e-13, rtol=1e-12, warn=False)
    converged = np.asarray(found.converged) | ~positive
    if not np.all(converged):
        warnings.warn(f"at_line: {found.message}", ConvergenceWarning, stacklevel=2)
    return np.where(positive, found.root, 1.0)[()]


# ------------------------------------------------------------------------------------------ k-RSB


def _weighted_logmeanexp(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """:math:`\\ln\\sum_i w_i e^{v_{\\ldots i}}` over the last axis."""
    top = np.max(values, axis=-1, keepdims=True)
    return top[..., 0] + np.log(np.exp(values - top) @ weights)


def _fold_abs(y: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    """Closed form of :math:`\\mu^{-1}\\ln\\mathbb{E}_z e^{\\mu|y + \\sigma z|}`."""
    if sigma <= 0.0:
        return np.abs(y)
    a = mu * y + special.log_ndtr(y / sigma + mu * sigma)
    b = -mu * y + special.log_ndtr(-y / sigma + mu * sigma)
    return 0.5 * mu * sigma**2 + np.logaddexp(a, b) / mu


def _fold_abs_tilted_mean(y: np.ndarray, mu: float, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_fold_abs` and the mean of :math:`|y + \\sigma z|` under the tilt :math:`e^{\\mu|y + \\sigma z|}`."""
    a = y / sigma + mu * sigma
    b = -y / sigma + mu * sigma
    log_a = mu * y + special.log_ndtr(a)
    log_b = -mu * y + special.log_ndtr(b)
    log_sum = np.logaddexp(log_a, log_b)
    ratio_a = np.exp(-0.5 * a * a - special.log_ndtr(a)) / math.sqrt(2.0 * math.pi)
    ratio_b = np.exp(-0.5 * b * b - special.log_ndtr(b)) / math.sqrt(2.0 * math.pi)
    mean = (
        mu * sigma**2
        + np.exp(log_a - log_sum) * (y + sigma * ratio_a)
        + np.exp(log_b - log_sum) * (-y + sigma * ratio_b)
    )
    return 0.5 * mu * sigma**2 + log_sum / mu, mean


def _level(
    y: np.ndarray, l: int, beta: float, q: np.ndarray, m: np.ndarray, z: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """:math:`L_l(y)` of the recursion (finite ``beta``) or :math:`\\varphi_l(y)` (``beta = inf``, ``m`` = mu)."""
    k = q.size - 1
    if l == k:
        return np.asarray(log2cosh(beta * y)) if math.isfinite(beta) else np.abs(y)
    sigma = math.sqrt(max(q[l + 1] - q[l], 0.0))
    mu = m[l]  # m[l] is m_{l+1}
    if not math.isfinite(beta) and l == k - 1:
        return _fold_abs(y, mu, sigma)
    inner = _level(y[..., None] + sigma * z, l + 1, beta, q, m, z, w)
    return _weighted_logmeanexp(mu * inner, w) / mu


def _parisi_functional(beta: float, h: float, q: np.ndarray, m: np.ndarray, nodes: int) -> float:
    """``P`` at finite ``beta`` (including ln 2 through ``L_k = ln 2cosh``), or ``-e0``'s bracket at ``beta = inf``."""
    z, w = hermite_rule(nodes)
    k = q.size - 1
    outer = h + math.sqrt(max(q[0], 0.0)) * z
    average = float(w @ _level(outer, 0, beta, q, m, z, w))
    mm = np.concatenate(([0.0], m, [1.0]))
    if math.isfinite(beta):
        return 0.25 * beta**2 * (1.0 - 2.0 * q[k] + float(np.sum(np.diff(mm) * q**2))) + average
    # T = 0: returns -e0 for these parameters (mu = m, q_k = 1).
    return -(0.25 * m[-1] - 0.25 * float(np.sum(np.diff(mm[:-1]) * q[:-1] ** 2)) - average)


def _unpack(u: np.ndarray, k: int, zero_temperature: bool) -> tuple[np.ndarray, np.ndarray]:
    """Unconstrained ``u`` -> ordered (q_0..q_k, m_1..m_k); at T = 0, q_k = 1 and m holds mu > 0."""
    nq = k if zero_temperature else k + 1
    s = special.expit(u[:nq])
    q = np.empty(k + 1)
    prev = 0.0
    for i in range(nq):
        prev = prev + (1.0 - prev) * s[i]
        q[i] = prev
    if zero_temperature:
        q[k] = 1.0
        m = np.cumsum(np.exp(u[nq:]))
    else:
        t = special.expit(u[nq:])
        m = np.empty(k)
        prev = 0.0
        for i in range(k):
            prev = prev + (1.0 - prev) * t[i]
            m[i] = prev
    return q, m


def _start(k: int, zero_temperature: bool, beta: float, h: float) -> np.ndarray:
    """A start in the basin of the usual k-RSB solution: q's spread around the RS overlap (over (0.3, 0.95) at
    T = 0), m's (mu's at T = 0) increasing."""
    nq = k if zero_temperature else k + 1
    if zero_temperature:
        q_target = np.linspace(0.3, 0.95, nq) if nq > 1 else np.array([0.45])
    else:
        q_rs = float(_rs_overlap(np.asarray(min(beta, 1.0 / _T_MIN)), np.asarray(h))[0])
        q_target = np.clip(q_rs * np.linspace(0.4, 1.2, nq), 1e-3, 0.999)
    prev, uq = 0.0, []
    for value in q_target:
        uq.append(special.logit(min(max((value - prev) / (1.0 - prev), 1e-3), 0.999)))
        prev = value
    if zero_temperature:
        mu = np.geomspace(0.7, 4.0, k) if k > 1 else np.array([1.3])
        return np.concatenate((np.array(uq), np.log(np.diff(np.concatenate(([0.0], mu))))))
    m_target = np.linspace(0.2, 0.5, k) * min(1.0, 1.0 / beta) if k > 1 else np.array([0.4 * min(1.0, 1.0 / beta)])
    prev, um = 0.0, []
    for value in m_target:
        um.append(special.logit((value - prev) / (1.0 - prev)))
        prev = value
    return np.concatenate((np.array(uq), np.array(um)))


def _optimise(beta: float, h: float, k: int) -> tuple[np.ndarray, np.ndarray, float, bool, int, float]:
    zero_temperature = not math.isfinite(beta)
    nodes = (_NODES if zero_temperature else _NODES_FINITE_T)[k]

    def objective(u: np.ndarray) -> float:
        q, m = _unpack(u, k, zero_temperature)
        return _parisi_functional(beta, h, q, m, nodes)

    u0 = _start(k, zero_temperature, beta, h)
    first = optimize.minimize(
        objective, u0, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-13, "maxiter": 4000}
    )
    second = optimize.minimize(objective, first.x, method="BFGS", options={"gtol": 1e-9, "maxiter": 500})
    best = second if second.fun <= first.fun else first
    grad = optimize.approx_fprime(best.x, objective, 1e-7)
    residual = float(np.max(np.abs(grad)))
    q, m = _unpack(best.x, k, zero_temperature)
    converged = bool(residual < 1e-5)
    return q, m, float(best.fun), converged, int(first.nfev + second.nfev), residual


class _ParisiFunctional:
    r"""The Parisi functional on a fixed overlap grid, with its gradient, at ``T = 0`` or ``T > 0``.

    In the field variable :math:`y` of the ``T = 0`` limit, with :math:`\gamma = \beta x` constant
    (:math:`\gamma_j`) on :math:`[t_j, t_{j+1})`, :math:`\varphi_{j}(y) = \gamma_j^{-1}\ln\mathbb{E}_z
    e^{\gamma_j\varphi_{j+1}(y + z\sqrt{t_{j+1} - t_j})}` and
    :math:`F(\gamma) = \varphi_0(h) - \frac14\sum_j \gamma_j (t_{j+1}^2 - t_j^2) - \frac\beta4(1 - t_n^2)`.
    At ``T = 0`` (``beta = inf``) :math:`t_n = 1`, :math:`\varphi_n(y) = |y|` and :math:`e_0 = -\min F` (Auffinger &
    Chen, Ann. Probab. 45, 4617 (2017): F is convex in :math:`\gamma`); the top fold is done in closed form.
    At ``T > 0``, :math:`x = 1` on :math:`[t_n, 1]`, whose fold is exact:
    :math:`\varphi_n(y) = \beta^{-1}\ln 2\cosh\beta y + \frac\beta2(1 - t_n)`, and :math:`-f = \min F`
    (Guerra's bound; strictly convex in :math:`x`, Auffinger & Chen, Commun. Math. Phys. 335, 1429 (2015)). :math:`\varphi`
    lives on a uniform y grid; the numerical folds are banded Gaussian convolutions in log space. The gradient
    follows from the tilted forward measure :math:`\rho_{j+1}(y') = \int\rho_j(y)\, g_{\sigma_j}(y' - y)\,
    e^{\gamma_j(\varphi_{j+1}(y') - \varphi_j(y))}dy`: :math:`\partial\varphi_0(h)/\partial\gamma_j =
    \gamma_j^{-1}\mathbb{E}_{\rho_j}[\langle\varphi_{j+1}\rangle - \varphi_j]`.
    """

    def __init__(self, t: np.ndarray, h: float, beta: float = math.inf) -> None:
        self.t = t
        self.beta = beta
        dy = _FULL_RSB_DY if h == 0 else abs(h) / math.ceil(abs(h) / _FULL_RSB_DY)
        half = int(math.ceil((_FULL_RSB_REACH + abs(h)) / dy))
        self.y = dy * np.arange(-half, half + 1)
        self.dy = dy
        self.start = half + int(round(h / dy))
        self.sigma = np.sqrt(np.diff(self.t))
        self.closed_top = not math.isfinite(beta)
        self.bands = []
        for s in self.sigma[:-1] if self.closed_top else self.sigma:
            width = int(math.ceil(8.0 * s / dy))
            log_kernel = -0.5 * (dy * np.arange(-width, width + 1) / s) ** 2
            self.bands.append((width, log_kernel - special.logsumexp(log_kernel)))
        if not self.closed_top:
            self.top = np.asarray(log2cosh(beta * self.y)) / beta + 0.5 * beta * (1.0 - t[-1])

    def _fold(self, j: int, upper: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        width, log_kernel = self.bands[j]
        ramp = self.dy * np.arange(1, width + 1)
        padded = np.concatenate((upper[0] + ramp[::-1], upper, upper[-1] + ramp))  # asymptote |y| + c
        exponent = sliding_window_view(gamma * padded, 2 * width + 1) + log_kernel
        log_sum = special.logsumexp(exponent, axis=1)
        tilt = np.exp(exponent - log_sum[:, None])
        mean = np.einsum("ij,ij->i", tilt, sliding_window_view(padded, 2 * width + 1))
        return log_sum / gamma, mean, tilt

    def value_and_gradient(self, gamma: np.ndarray) -> tuple[float, np.ndarray]:
        r""":math:`F(\gamma)` and :math:`\partial F/\partial\gamma_j`."""
        value, gradient, _ = self.solve(gamma)
        return value, gradient

    def solve(self, gamma: np.ndarray) -> tuple[float, np.ndarray, float]:
        r""":math:`F(\gamma)`, its gradient and the magnetisation :math:`\partial_y\varphi_0(h)`."""
        n = gamma.size
        phi: list[np.ndarray] = [np.empty(0)] * (n + 1)
        mean: list[np.ndarray] = [np.empty(0)] * n
        tilts: list[np.ndarray] = [np.empty(0)] * n
        if self.closed_top:
            phi[n - 1], mean[n - 1] = _fold_abs_tilted_mean(self.y, float(gamma[n - 1]), float(self.sigma[n - 1]))
            below = n - 2
        else:
            phi[n], below = self.top, n - 1
        for j in range(below, -1, -1):
            phi[j], mean[j], tilts[j] = self._fold(j, phi[j + 1], float(gamma[j]))
        area = np.diff(self.t**2) / 4.0
        value = float(phi[0][self.start]) - float(gamma @ area)
        if not self.closed_top:
            value -= 0.25 * self.beta * (1.0 - self.t[-1] ** 2)
        magnetization = float(phi[0][self.start + 1] - phi[0][self.start - 1]) / (2.0 * self.dy)
        rho = np.zeros(self.y.size)
        rho[self.start] = 1.0
        gradient = np.empty(n)
        for j in range(n):
            gradient[j] = float(rho @ (mean[j] - phi[j])) / gamma[j]
            if j < n - 1:
                width = self.bands[j][0]
                flow = rho[:, None] * tilts[j]
                moved = np.zeros(self.y.size + 2 * width)
                for shift in range(2 * width + 1):
                    moved[shift : shift + self.y.size] += flow[:, shift]
                rho = moved[width : width + self.y.size]
        return value, gradient - area, magnetization


def _full_rsb_ground_state(h: float, levels: int) -> tuple[np.ndarray, np.ndarray, float, bool, int, float]:
    functional = _ParisiFunctional(1.0 - (1.0 - np.arange(levels + 1) / levels) ** 2, h)
    middle = 0.5 * (functional.t[1:] + functional.t[:-1])
    increments = np.diff(np.concatenate(([0.0], 0.5 + 1.0 / np.sqrt(1.0 - middle))))

    def objective(d: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = functional.value_and_gradient(np.cumsum(d))
        return value, np.cumsum(gradient[::-1])[::-1]  # gamma_j = sum_{i <= j} d_i

    floor = 1e-8
    found = optimize.minimize(
        objective,
        increments,
        jac=True,
        method="L-BFGS-B",
        bounds=[(floor, None)] * levels,
        options={"maxiter": 3000, "ftol": 1e-15, "gtol": 1e-9},
    )
    _, gradient = objective(found.x)
    free = found.x > 10 * floor
    projected = np.where(free, gradient, np.minimum(gradient, 0.0))  # KKT: d = floor needs gradient >= 0
    residual = float(np.max(np.abs(projected)))
    return functional.t, np.cumsum(found.x), float(found.fun), bool(residual < 1e-6), int(found.nfev), residual


def _check_steps(steps: object) -> int:
    return as_count("steps", steps, minimum=1, maximum=MAX_STEPS)


def rsb(T: float, h: float = 0.0, steps: int = 1) -> SKReplicaBreaking:
    r"""k-step RSB solution of the SK model at ``(T, h)``, ``steps = k`` in 1..3.

    Minimises the Parisi functional ``P`` (module docstring) over :math:`q_0\le\dots\le q_k` and
    :math:`m_1\le\dots\le m_k` (Guerra's bound makes the minimum the best estimate of :math:`-\beta f`); the
    recursion uses nested Gauss-Hermite rules. Above :math:`T_{AT}` the optimum collapses onto RS
    (:math:`q_0 = \dots = q_k`, the ``m``'s then arbitrary).

    Parameters
    ----------
    T
        Temperature, ``T >= 1e-3``; for ``T = 0`` use :func:`ground_state_energy`.
    h
        Field.
    steps
        Number of RSB steps ``k``.
    """
    T = _check_temperature(T)
    h = as_real_scalar("h", h)
    k = _check_steps(steps)
    beta = 1.0 / T
    q, m, value, converged, iterations, residual = _optimise(beta, h, k)
    nodes = _NODES_FINITE_T[k]
    step = 1e-5 * beta
    up = _parisi_functional(beta + step, h, q, m, nodes)
    down = _parisi_functional(beta - step, h, q, m, nodes)
    energy = -(up - down) / (2.0 * step)
    if not converged:
        warnings.warn(
            f"rsb: optimisation not converged at T={T}, h={h}, steps={k} (gradient {residual:.3g})",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SKReplicaBreaking(
        T=T,
        h=h,
        steps=k,
        q=q,
        m=m,
        free_energy=-T * value,
        energy=energy,
        converged=converged,
        iterations=iterations,
        residual=residual,
        message=stop_message(converged, iterations, residual, 1e-5, unit="evaluations"),
    )


def ground_state_energy(steps: int | None = None, h: float = 0.0) -> SKReplicaBreaking:
    r"""Ground-state energy per spin of the SK model (``T = 0``) from the Parisi functional.

    ``steps = k`` in 1..3: k-step RSB, :math:`e_0` maximised over :math:`q_0\le\dots\le q_{k-1}` and
    :math:`\mu_1\le\dots\le\mu_k` (scaled breakpoints :math:`\mu_l = \beta m_l`; formula in the module
    docstring). ``steps = None``: full RSB, the convex T = 0 Parisi functional (Auffinger & Chen 2017) minimised
    over a non-decreasing :math:`\gamma(q) = \lim \beta x(q)`, piecewise constant on a fixed grid of
    :data:`FULL_RSB_LEVELS` intervals refined near ``q = 1`` (L-BFGS-B with the exact gradient); then ``.q`` are
    the grid points and ``.m`` the values of :math:`\gamma` on the intervals. ``.energy`` (= ``.free_energy``)
    is the ground-state energy; the k-RSB values rise monotonically towards the full-RSB
    :math:`-0.763166` of Crisanti & Rizzo (2002).

    Parameters
    ----------
    steps
        ``None`` (full RSB) or the number of RSB steps ``k`` in 1..3.
    h
        Field.
    """
    h = as_real_scalar("h", h)
    if steps is None:
        q, m, value, converged, iterations, residual = _full_rsb_ground_state(h, FULL_RSB_LEVELS)
        k, tol = FULL_RSB_LEVELS, 1e-6
    else:
        k, tol = _check_steps(steps), 1e-5
        q, m, value, converged, iterations, residual = _optimise(math.inf, h, k)
    if not converged:
        warnings.warn(
            f"ground_state_energy: optimisation not converged (steps={steps}, gradient {residual:.3g})",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SKReplicaBreaking(
        T=0.0,
        h=h,
        steps=k,
        q=q,
        m=m,
        free_energy=-value,
        energy=-value,
        converged=converged,
        iterations=iterations,
        residual=residual,
        message=stop_message(converged, iterations, residual, tol, unit="evaluations"),
    )


def _optimise_x(functional: _ParisiFunctional, x0: np.ndarray) -> tuple[np.ndarray, float, float, int]:
    """Minimise the finite-T functional over non-decreasing ``x`` in ``[_X_FLOOR, 1]``: L-BFGS-B in the box, then
    SLSQP with the ordering from its non-decreasing envelope (both with the exact gradient); returns ``x``, the
    minimum, the Frank-Wolfe gap and the evaluations."""
    beta, n = functional.beta, x0.size

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = functional.value_and_gradient(beta * x)
        return value, beta * gradient

    bounds = [(_X_FLOOR, 1.0)] * n
    box = optimize.minimize(
        objective,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 3000, "ftol": 1e-16, "gtol": 1e-12, "maxcor": 30},
    )
    ordering = np.eye(n, k=1)[:-1] - np.eye(n)[:-1]  # x[j+1] - x[j] >= 0
    found = optimize.minimize(
        objective,
        np.maximum.accumulate(box.x),
        jac=True,
        method="SLSQP",
        bounds=bounds,
        constraints=[{"type": "ineq", "fun": lambda x: ordering @ x, "jac": lambda x: ordering}],
        options={"maxiter": 1000, "ftol": 1e-16},
    )
    x = np.maximum.accumulate(np.clip(found.x, _X_FLOOR, 1.0))
    value, gradient = objective(x)
    # x is the cumulative of the weights d (x_j = sum_{i <= j} d_i, d_n = 1 - x_{n-1}) on the simplex; F is convex
    # in d, so sum_i d_i dF/dd_i - min_i dF/dd_i bounds F - min F.
    weights = np.diff(np.concatenate(([0.0], x, [1.0])))
    slopes = np.concatenate((np.cumsum(gradient[::-1])[::-1], [0.0]))
    gap = float(weights @ slopes - slopes.min())
    return x, value, gap, int(box.nfev + found.nfev) + 1


def _support_edge(x: np.ndarray, level: float) -> int:
    """Index of the first interval with ``x >= level`` (``x.size`` if none)."""
    return int(np.searchsorted(x, level - 1e-7))


def parisi(T: float, h: float = 0.0, *, intervals: int = PARISI_INTERVALS) -> SKParisi:
    r"""Full-RSB (Parisi) solution of the SK model at temperature ``T > 0`` and field ``h``.

    Minimises the Parisi functional (Parisi, J. Phys. A 13, L115 (1980); Guerra, Commun. Math. Phys. 233, 1
    (2003): an upper bound on :math:`-\beta f` for every admissible ``x``; Talagrand, Ann. Math. 163, 221 (2006):
    the minimum is :math:`-\beta f`) over a non-decreasing :math:`x(q) \in [0, 1]`, piecewise constant on
    ``intervals`` equal intervals of ``[0, q_top]`` and 1 on ``[q_top, 1]``. With :math:`\gamma = \beta x`, on the
    field variable :math:`y`,

    .. math:: -f = \min_x\Big[\varphi(0, h) - \tfrac12\int_0^1 \gamma(q)\, q\, dq\Big], \qquad
       \partial_q\varphi = -\tfrac12\big[\partial_y^2\varphi + \gamma(q)(\partial_y\varphi)^2\big], \qquad
       \varphi(1, y) = \beta^{-1}\ln 2\cosh\beta y,

    solved interval by interval as :math:`\varphi_j = \gamma_j^{-1}\ln\mathbb{E}_z\, e^{\gamma_j
    \varphi_{j+1}(y + z\sqrt{\Delta q})}` (log-space convolutions on a y grid, shared with the ``T = 0`` solver of
    :func:`ground_state_energy`); the functional is strictly convex in ``x`` (Auffinger & Chen, Commun. Math.
    Phys. 335, 1429 (2015): the minimiser is unique), minimised by L-BFGS-B in the box, then SLSQP under the
    ordering, with the exact gradient; ``residual`` is the Frank-Wolfe gap (a bound on the distance to the
    minimum). ``q_top`` starts a little above the RS overlap and moves up until ``x = 1`` on the last interval.
    The energy is :math:`e = \partial_\beta(\beta f)` at the optimal ``x`` (envelope theorem, central
    difference); at the exact optimum it equals Gaussian integration by parts,
    :math:`e = -\frac\beta2(1 - \int_0^1 q(x)^2 dx) - h m = -\int_0^1 \gamma(q)\, q\, dq - hm` with
    :math:`m = \partial_y\varphi(0, h)`; :math:`s = \beta(e - f)`.

    Parameters
    ----------
    T
        Temperature, ``T >= 0.05`` (the y grid resolves :math:`\ln 2\cosh(y/T)` there).
    h
        Field, ``|h| <= 5`` (the y grid reaches 8 beyond ``h``).
    intervals
        Number of intervals of the overlap grid (docs/sk.md gives the measured convergence: at ``T = 0.5``,
        ``f`` changes by 2e-9 from 20 to 40 intervals; at ``T = 0.1`` by 1e-4).
    """
    T = as_real_scalar("T", T, minimum=_PARISI_T_MIN)
    h = as_real_scalar("h", h, minimum=-5.0, maximum=5.0)
    n = as_count("intervals", intervals, minimum=2, maximum=1000)
    beta = 1.0 / T
    q_rs = float(_rs_overlap(np.asarray(beta), np.asarray(h))[0])
    q_top = min(1.0, math.ceil(20.0 * (1.25 * q_rs + 0.05)) / 20.0)  # on a 0.05 lattice: one grid for nearby T
    evaluations = 0
    while True:
        t = q_top * np.arange(n + 1) / n
        functional = _ParisiFunctional(t, h, beta)
        middle = 0.5 * (t[1:] + t[:-1])
        x0 = np.clip(middle / max(q_rs, 1e-3), _X_FLOOR, 1.0)
        x, value, gap, used = _optimise_x(functional, x0)
        evaluations += used
        if x[-1] >= 1.0 - 1e-7 or q_top >= 1.0:
            break
        q_top = min(1.0, q_top + 0.5 * (1.0 - q_top))
    _, _, magnetization = functional.solve(beta * x)
    step = 1e-4 * beta  # e = d(beta f)/d beta at fixed x (envelope theorem), central difference
    up = (beta + step) * _ParisiFunctional(t, h, beta + step).solve((beta + step) * x)[0]
    down = (beta - step) * _ParisiFunctional(t, h, beta - step).solve((beta - step) * x)[0]
    energy = -(up - down) / (2.0 * step)
    free_energy = -value
    top = _support_edge(x, 1.0)  # x = 1 from interval `top` on; the jump to 1 lies in interval top - 1
    if top == 0:
        q_max = 0.0
    else:
        below = x[top - 2] if top >= 2 else 0.0
        q_max = float(t[top - 1] + (t[top] - t[top - 1]) * (1.0 - x[top - 1]) / (1.0 - below))
    q_min = float(t[_support_edge(x, 2.0 * _X_FLOOR)])
    converged = bool(gap <= _PARISI_GAP)
    if not converged:
        warnings.warn(
            f"parisi: optimisation not converged at T={T}, h={h} (Frank-Wolfe gap {gap:.3g})",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SKParisi(
        T=T,
        h=h,
        intervals=n,
        q=t,
        x=np.concatenate((x, [1.0])),
        q_min=q_min,
        q_max=q_max,
        free_energy=free_energy,
        energy=energy,
        entropy=beta * (energy - free_energy),
        magnetization=magnetization,
        converged=converged,
        iterations=evaluations,
        residual=gap,
        message=stop_message(converged, evaluations, gap, _PARISI_GAP, unit="evaluations"),
    )
