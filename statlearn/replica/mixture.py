r"""Empirical risk minimisation on a two-cluster Gaussian mixture: the replica saddle point, the
Bayes-optimal error and the separability threshold (the theory page is ``docs/mixture.md``).

**The model** (Mignacco, Krzakala, Lu, Urbani & Zdeborová, ICML 2020, "The role of regularization
in classification of high-dimensional noisy Gaussian mixture"). Samples
:math:`x_\mu = c_\mu v^*/\sqrt d + \sqrt\Delta\, z_\mu`, :math:`z_\mu\sim N(0, I_d)`,
:math:`|v^*|^2 = d`, labels :math:`y_\mu = c_\mu = \pm1` with :math:`P(+1) = \rho`, :math:`n = \alpha d`;
the estimator minimises :math:`\sum_\mu \ell(y_\mu, w\cdot x_\mu/\sqrt d + b) + \frac\lambda2|w|^2`,
with the bias :math:`b` trained or fixed at 0. With :math:`m = w\cdot v^*/d` and :math:`q = |w|^2/d`
the field of a fresh sample of cluster :math:`c` is :math:`c\,m + b + \sqrt{\Delta q}\,\zeta`, so

.. math:: \varepsilon_g = \rho\,H\Big(\frac{m+b}{\sqrt{\Delta q}}\Big)
          + (1-\rho)\,H\Big(\frac{m-b}{\sqrt{\Delta q}}\Big).

**The saddle point** (Loureiro, Sicuro, Gerbelot, Pacco, Krzakala & Zdeborová, NeurIPS 2021,
"Learning Gaussian mixtures with generalized linear models", ridge penalty, covariance
:math:`\Delta I`; derived again for this module). With :math:`\omega = y\,m + b + \sqrt{\Delta q}\,\xi`,
:math:`\xi\sim N(0,1)`, the output function :math:`f_{out}(y,\omega,V)` of
:meth:`statlearn.models.losses.Loss.output` and :math:`\mathbb E` over :math:`y` and :math:`\xi`:

.. math::
    \hat V = -\alpha\,\mathbb E\,\partial_\omega f_{out},\quad
    \hat q = \alpha\,\mathbb E\,f_{out}^2,\quad
    \hat m = \alpha\,\mathbb E\,y f_{out},\qquad
    V = \frac{\Delta}{\lambda + \Delta\hat V},\quad
    m = \frac{\hat m}{\lambda + \Delta\hat V},\quad
    q = \frac{\hat m^2 + \Delta\hat q}{(\lambda + \Delta\hat V)^2},

and a trained bias solves :math:`\mathbb E f_{out} = 0` (:math:`b = 0` at :math:`\rho = 1/2` by
symmetry). The training loss is :math:`\mathbb E\,\ell(y, \mathrm{prox})` and the training error
:math:`P(y\,\mathrm{prox} < 0) = \rho H((m + b - t_0)/\sqrt{\Delta q}) + (1-\rho)H((m - b - t_0)/\sqrt{\Delta q})`
with :math:`t_0 = V\,\partial_z\ell(1, 0)` (the prox is monotone in :math:`\omega` and vanishes at
:math:`y\omega = t_0`). For the square loss at :math:`\rho = 1/2` the equations close: :math:`V` is the
positive root of :math:`\lambda V^2 + (\lambda + \Delta(\alpha-1))V - \Delta = 0` (the Marchenko-Pastur
Stieltjes transform), :math:`m = \kappa/(1+\kappa)` with
:math:`\kappa = \alpha/[(1+V)(\lambda + \alpha\Delta/(1+V))]`.

**Numerics.** The averages are quadratures in :math:`\xi` for each label (a graded rule with panel
edges at the loss's kinks, :func:`statlearn.models.student.loss_kinks`); the fixed point of
:math:`(m/\sqrt q, \ln q, \ln V)` is found by the ERM solver's driver
(:func:`statlearn.replica.erm.solve_map`: chord-Newton from the last point of a curve, damped
Anderson iteration, Newton polish), with continuation in :math:`\lambda` from the regularised side
when it fails.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq, minimize, minimize_scalar

from statlearn.models.losses import Loss, get_loss
from statlearn.models.student import loss_kinks
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.gaussian import graded_rule
from statlearn.numerics.special import H, gaussian_pdf
from statlearn.numerics.validation import as_real_array, as_real_scalar
from statlearn.replica.curve_state import CurveState
from statlearn.replica.erm import BoundaryWarning, solve_map

__all__ = [
    "MixtureState",
    "bayes_optimal_error",
    "learning_curve",
    "optimal_lambda",
    "positive_in_range",
    "rho_in_range",
    "ridge_closed_form",
    "saddle_point",
    "separability_threshold",
]

_LADDER = (1e4, 1e3, 1e2, 1e1, 1.0)  # continuation in lambda from the regularised side


@dataclass(frozen=True)
class MixtureState(CurveState):
    r"""The ERM saddle point on the Gaussian mixture at one point or along a curve (array fields).

    ``q`` is :math:`|w|^2/d` (the variance of the field of a fresh sample is :math:`\Delta q`), ``V``
    the channel's :math:`\Delta/(\lambda + \Delta\hat V)`, ``bias`` the trained bias (0 when not
    trained). ``test_error``, ``train_loss`` (per sample, without the penalty) and ``train_error``
    as in the module docstring. ``iterations`` counts evaluations of the saddle-point map;
    ``residual`` is the last Newton step on :math:`(m/\sqrt q, \ln q, \ln V)`. Arrays are read-only.
    """

    alpha: np.ndarray | float
    lam: np.ndarray | float
    delta: np.ndarray | float
    rho: np.ndarray | float
    m: np.ndarray | float
    q: np.ndarray | float
    V: np.ndarray | float
    mhat: np.ndarray | float
    qhat: np.ndarray | float
    Vhat: np.ndarray | float
    bias: np.ndarray | float
    test_error: np.ndarray | float
    train_loss: np.ndarray | float
    train_error: np.ndarray | float
    converged: np.ndarray | bool
    iterations: np.ndarray | int
    residual: np.ndarray | float
    message: str

    POINT = ("alpha", "lam")


def _mixture_error(m: float, q: float, bias: float, delta: float, rho: float, shift: float = 0.0) -> float:
    r""":math:`\rho H((m+b-s)/\sqrt{\Delta q}) + (1-\rho) H((m-b-s)/\sqrt{\Delta q})`: the test error
    (``shift`` s = 0) or the training error (s = :math:`t_0`)."""
    scale = math.sqrt(max(delta * q, 1e-300))
    return float(rho * H((m + bias - shift) / scale) + (1.0 - rho) * H((m - bias - shift) / scale))


class _Problem:
    """One (loss, alpha, delta, rho, bias) at any lambda: the channel and prior sides."""

    def __init__(self, loss: Loss, alpha: float, delta: float, rho: float, bias: bool):
        self.loss, self.alpha, self.delta, self.rho, self.train_bias = loss, alpha, delta, rho, bias
        self._last: tuple[tuple[float, float, float], tuple[float, float, float, float]] | None = None

    def _nodes(self, m: float, q: float, V: float, b: float) -> list[tuple[float, np.ndarray, np.ndarray, float]]:
        """Per label y: (y, omega at the nodes, weights, label probability)."""
        scale = math.sqrt(max(self.delta * q, 1e-300))
        # loss_kinks gives kinks in omega / scale at y omega = k for both labels; shift them to omega = y m + b
        out = []
        for y, weight in ((1.0, self.rho), (-1.0, 1.0 - self.rho)):
            centre = (y * m + b) / scale
            kinks = [(k - centre, w) for k, w in loss_kinks(self.loss, self.delta * q, V)] + [(0.0, 1.0)]
            xi, w = graded_rule(kinks)
            out.append((y, y * m + b + scale * xi, w, weight))
        return out

    def _mean_output(self, m: float, q: float, V: float, b: float) -> float:
        return sum(p * float(w @ self.loss.output(y, om, V)[0]) for y, om, w, p in self._nodes(m, q, V, b))

    def bias(self, m: float, q: float, V: float) -> float:
        """The trained bias: the root of E f_out = 0 (decreasing in b), or 0 when not trained."""
        if not self.train_bias:
            return 0.0
        f0 = self._mean_output(m, q, V, 0.0)
        if f0 == 0.0:
            return 0.0
        direction = 1.0 if f0 > 0 else -1.0
        reach = 1.0 + abs(m) + V + math.sqrt(self.delta * q)
        for _ in range(60):
            if self._mean_output(m, q, V, direction * reach) * f0 <= 0:
                break
            reach *= 2.0
        lo, hi = sorted((0.0, direction * reach))
        # disp=False: at extreme overlaps the root may not be bracketed to the tolerance within maxiter;
        # the last iterate is used then (the outer fixed point reports whether the whole map converged)
        root = brentq(
            lambda b: self._mean_output(m, q, V, b),
            lo,
            hi,
            xtol=1e-14,
            rtol=1e-13,
            maxiter=200,
            full_output=True,
            disp=False,
        )
        return float(root[0])

    def conjugates(self, m: float, q: float, V: float) -> tuple[float, float, float, float]:
        """(mhat, qhat, Vhat, bias) of the channel side (the last evaluation is remembered)."""
        if self._last is not None and self._last[0] == (m, q, V):
            return self._last[1]
        b = self.bias(m, q, V)
        mhat = qhat = vhat = 0.0
        for y, omega, w, p in self._nodes(m, q, V, b):
            f, df = self.loss.output(y, omega, V)
            mhat += p * y * float(w @ f)
            qhat += p * float(w @ (f * f))
            vhat -= p * float(w @ df)
        hats = (self.alpha * mhat, self.alpha * qhat, self.alpha * vhat, b)
        self._last = ((m, q, V), hats)
        return hats

    def overlaps(self, lam: float, mhat: float, qhat: float, Vhat: float) -> tuple[float, float, float]:
        """(m, q, V) of the prior side (the ridge penalty, covariance Delta I)."""
        a = lam + self.delta * Vhat
        return mhat / a, (mhat * mhat + self.delta * qhat) / (a * a), self.delta / a

    def train_loss(self, m: float, q: float, V: float, b: float) -> float:
        total = 0.0
        for y, omega, w, p in self._nodes(m, q, V, b):
            total += p * float(w @ self.loss.value(y, self.loss.proximal(y, omega, V)))
        return total

    # -- the fixed point of x = (m / sqrt q, ln q, ln V) --------------------------------------

    @staticmethod
    def state(m: float, q: float, V: float) -> np.ndarray:
        q = max(q, 1e-300)
        return np.array([m / math.sqrt(q), math.log(q), math.log(V)])

    @staticmethod
    def unpack(x: np.ndarray) -> tuple[float, float, float]:
        q = math.exp(x[1])
        return x[0] * math.sqrt(q), q, math.exp(x[2])

    @staticmethod
    def project(x: np.ndarray) -> np.ndarray:
        y = np.minimum(np.maximum(x, -200.0), 200.0)
        y[0] = min(max(x[0], -1.0 + 1e-15), 1.0 - 1e-15)
        return y

    def _map(self, lam: float):
        def step(x: np.ndarray) -> np.ndarray:
            mhat, qhat, vhat, _ = self.conjugates(*self.unpack(x))
            return self.state(*self.overlaps(lam, mhat, qhat, vhat))

        return step

    def solve(self, lam: float, start: np.ndarray, tol: float, max_iter: int, memory: dict) -> MixtureState:
        result = solve_map(self._map(lam), start, tol, max_iter, anderson=5, project=self.project, memory=memory)
        iterations, message = result.iterations, result.message
        if not result.converged:  # continuation from the regularised side
            x = np.array(start, dtype=float)
            for factor in _LADDER:
                result = solve_map(
                    self._map(lam * factor), x, tol, max_iter, anderson=5, project=self.project, memory=memory
                )
                iterations += result.iterations
                if result.converged:
                    x = result.x
            message = f"{result.message} (lambda continuation)"
        m, q, V = self.unpack(result.x)
        mhat, qhat, vhat, b = self.conjugates(m, q, V)
        t0 = V * float(self.loss.derivative(1.0, 0.0))
        return MixtureState(
            alpha=self.alpha,
            lam=lam,
            delta=self.delta,
            rho=self.rho,
            m=m,
            q=q,
            V=V,
            mhat=mhat,
            qhat=qhat,
            Vhat=vhat,
            bias=b,
            test_error=_mixture_error(m, q, b, self.delta, self.rho),
            train_loss=self.train_loss(m, q, V, b),
            train_error=_mixture_error(m, q, b, self.delta, self.rho, t0),
            converged=result.converged,
            iterations=iterations,
            residual=result.residual,
            message=message,
        )


_RANGE = (1e-12, 1e12)


def positive_in_range(name: str, value: float) -> float:
    """A positive parameter (alpha, delta, lam) validated: within [1e-12, 1e12]."""
    value = as_real_scalar(name, value, minimum=0.0, strict_minimum=True)
    if not _RANGE[0] <= value <= _RANGE[1]:
        raise ValueError(f"{name} must lie in [{_RANGE[0]:g}, {_RANGE[1]:g}], got {value!r}")
    return value


def rho_in_range(rho: float) -> float:
    """``rho`` = P(y = +1) validated: within [1e-6, 1 - 1e-6] (a rarer class leaves the averages at the
    quadrature's resolution and the bias's root far out)."""
    rho = as_real_scalar("rho", rho)
    if not 1e-6 <= rho <= 1.0 - 1e-6:
        raise ValueError(f"rho must lie in [1e-6, 1 - 1e-6], got {rho!r}")
    return rho


def _common(
    loss: str | Loss, lam: float, delta: float, rho: float, bias: bool, tol: float, max_iter: int
) -> tuple[Loss, float, float, float, bool, float, int]:
    loss = get_loss(loss)
    lam = as_real_scalar("lam", lam, minimum=0.0, strict_minimum=True)
    if lam > _RANGE[1] or lam < _RANGE[0]:
        raise ValueError(f"lam must lie in [{_RANGE[0]:g}, {_RANGE[1]:g}], got {lam!r}")
    delta = positive_in_range("delta", delta)
    rho = rho_in_range(rho)
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be a bool, got {type(bias).__name__}")
    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)):
        raise TypeError(f"max_iter must be an integer, got {type(max_iter).__name__}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter!r}")
    return loss, lam, delta, rho, bool(bias), tol, int(max_iter)


def _start(problem: _Problem) -> np.ndarray:
    return problem.state(0.3, 0.5, 1.0)


def _warn(points: list[MixtureState]) -> None:
    bad = [p for p in points if not p.converged]
    if bad:
        where = ", ".join(f"(alpha={p.alpha:g}, lam={p.lam:g}; residual {p.residual:.2g})" for p in bad[:5])
        warnings.warn(
            f"the mixture saddle point did not converge at {len(bad)} point(s): {where}{' ...' if len(bad) > 5 else ''}",
            ConvergenceWarning,
            stacklevel=3,
        )


def saddle_point(
    loss: str | Loss,
    lam: float,
    *,
    alpha: float,
    delta: float,
    rho: float = 0.5,
    bias: bool = False,
    tol: float = 1e-11,
    max_iter: int = 3000,
    warn: bool = True,
) -> MixtureState:
    r"""The ERM saddle point on the two-cluster Gaussian mixture (module docstring).

    Parameters
    ----------
    loss
        ``"square"``, ``"logistic"``, ``"hinge"`` or a :class:`~statlearn.models.losses.Loss`.
    lam
        Ridge penalty :math:`\lambda > 0` (in [1e-12, 1e12]).
    alpha, delta
        Samples per dimension n/d and the cluster variance :math:`\Delta` (both > 0, in [1e-12, 1e12]).
    rho
        :math:`P(y = +1)` in (0, 1).
    bias
        Train a bias (it solves :math:`\mathbb E f_{out} = 0`) or fix it at 0.
    tol, max_iter
        Tolerance on the last Newton step of :math:`(m/\sqrt q, \ln q, \ln V)` and the cap on
        evaluations of the map.
    warn
        Emit :class:`~statlearn.numerics.ConvergenceWarning` if not converged.
    """
    loss, lam, delta, rho, bias, tol, max_iter = _common(loss, lam, delta, rho, bias, tol, max_iter)
    alpha = positive_in_range("alpha", alpha)
    problem = _Problem(loss, alpha, delta, rho, bias)
    point = problem.solve(lam, _start(problem), tol, max_iter, {})
    if warn:
        _warn([point])
    return point


def learning_curve(
    loss: str | Loss,
    lam: float,
    *,
    alpha: ArrayLike,
    delta: float,
    rho: float = 0.5,
    bias: bool = False,
    tol: float = 1e-11,
    max_iter: int = 3000,
) -> MixtureState:
    """:func:`saddle_point` along a grid of alpha, each point started from the last converged one
    (with the driver's inverse Jacobian); failures are kept, flagged and reported in one warning."""
    loss, lam, delta, rho, bias, tol, max_iter = _common(loss, lam, delta, rho, bias, tol, max_iter)
    grid = np.atleast_1d(as_real_array("alpha", alpha, minimum=0.0, strict_minimum=True))
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(f"alpha must be a number or a non-empty one-dimensional grid, got shape {grid.shape}")
    for a in grid:
        positive_in_range("alpha", float(a))
    memory: dict = {}
    points: list[MixtureState] = []
    start: np.ndarray | None = None
    for a in grid.tolist():
        problem = _Problem(loss, a, delta, rho, bias)
        point = problem.solve(lam, _start(problem) if start is None else start, tol, max_iter, memory)
        if point.converged:
            start = problem.state(float(point.m), float(point.q), float(point.V))
        points.append(point)
    _warn(points)
    return MixtureState.stack(points)


def optimal_lambda(
    loss: str | Loss,
    *,
    alpha: float,
    delta: float,
    rho: float = 0.5,
    bias: bool = False,
    bounds: tuple[float, float] = (1e-4, 1e2),
) -> MixtureState:
    r"""The saddle point at the penalty minimising the test error, searched in :math:`\ln\lambda`
    within ``bounds`` (bounded Brent); the point's ``lam`` is the optimum. At :math:`\rho = 1/2` the
    error decreases to the Bayes-optimal one as :math:`\lambda\to\infty` (:math:`w\propto\sum_\mu y_\mu x_\mu`,
    Mignacco et al. 2020), so the optimum is the upper bound, reported with a
    :class:`~statlearn.replica.erm.BoundaryWarning` (as at either edge)."""
    loss, _, delta, rho, bias, tol, max_iter = _common(loss, 1.0, delta, rho, bias, 1e-11, 3000)
    alpha = positive_in_range("alpha", alpha)
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise ValueError(f"bounds must be a pair (low, high), got {bounds!r}")
    low, high = (positive_in_range("bounds", b) for b in bounds)
    if not low < high:
        raise ValueError(f"bounds must be increasing, got {bounds!r}")
    problem = _Problem(loss, alpha, delta, rho, bias)
    memory: dict = {}
    start = [_start(problem)]

    def error(log_lam: float) -> float:
        point = problem.solve(math.exp(log_lam), start[0], tol, max_iter, memory)
        if point.converged:
            start[0] = problem.state(float(point.m), float(point.q), float(point.V))
        return float(point.test_error)

    found = minimize_scalar(error, bounds=(math.log(low), math.log(high)), method="bounded", options={"xatol": 1e-4})
    best = problem.solve(math.exp(found.x), start[0], tol, max_iter, memory)
    _warn([best])
    if min(found.x - math.log(low), math.log(high) - found.x) < 1e-3:
        warnings.warn(
            f"optimal lambda {best.lam:.3g} sits at the edge of bounds {bounds}", BoundaryWarning, stacklevel=2
        )
    return best


def ridge_closed_form(lam: float, *, alpha: float, delta: float) -> tuple[float, float, float]:
    r"""(m, q, V) of the square loss at :math:`\rho = 1/2` without bias in closed form (module
    docstring): :math:`V` from the Marchenko-Pastur quadratic, :math:`m = \kappa/(1+\kappa)`,
    :math:`q = (\hat m^2 + \Delta\hat q)/A^2` with :math:`\hat q = \alpha[(1-m)^2 + \Delta q]/(1+V)^2`
    solved for q (it is linear)."""
    lam = positive_in_range("lam", lam)
    alpha, delta = positive_in_range("alpha", alpha), positive_in_range("delta", delta)
    B = lam + delta * (alpha - 1.0)
    V = 2.0 * delta / (B + math.sqrt(B * B + 4.0 * lam * delta))  # the positive root, without cancellation
    A = lam + alpha * delta / (1.0 + V)
    kappa = alpha / ((1.0 + V) * A)
    m = kappa / (1.0 + kappa)
    c = alpha / (1.0 + V) ** 2
    # A^2 q = mhat^2 + Delta c [(1-m)^2 + Delta q]
    q = ((m * A) ** 2 + delta * c * (1.0 - m) ** 2) / (A * A - delta * delta * c)
    return m, q, V


def bayes_optimal_error(alpha: float, delta: float, rho: float = 0.5) -> float:
    r"""The Bayes-optimal test error on the mixture with a standard Gaussian prior on :math:`v^*`.

    The labels carry no information on :math:`v^*`, and :math:`\sum_\mu y_\mu x_\mu/n` is sufficient:
    the posterior mean :math:`\hat w` has :math:`m = q = \alpha/(\alpha + \Delta)`, and the predictive law
    of a fresh field :math:`\hat w\cdot x/\sqrt d` given :math:`y` is :math:`N(y q, \Delta q)`, so the
    Bayes classifier is a sign with bias :math:`b = (\Delta/2)\ln(\rho/(1-\rho))`:
    :math:`\varepsilon_{BO} = \rho H((q + b)/\sqrt{\Delta q}) + (1-\rho)H((q - b)/\sqrt{\Delta q})`,
    which is :math:`H(\sqrt{\alpha/(\Delta(\alpha+\Delta))})` at :math:`\rho = 1/2`
    (Mignacco et al. 2020)."""
    alpha, delta, rho = positive_in_range("alpha", alpha), positive_in_range("delta", delta), rho_in_range(rho)
    q = alpha / (alpha + delta)
    return _mixture_error(q, q, 0.5 * delta * math.log(rho / (1.0 - rho)), delta, rho)


def _gardner_cost(a: np.ndarray | float) -> np.ndarray | float:
    r""":math:`F(a) = \mathbb E(\xi - a)_+^2 = (1 + a^2)H(a) - a\varphi(a)`."""
    return (1.0 + a * a) * H(a) - a * gaussian_pdf(a)


def separability_threshold(delta: float, rho: float = 0.5) -> float:
    r"""The separability threshold :math:`\alpha^*(\Delta, \rho)`: below it the mixture is linearly
    separable (with a bias) with probability 1 as :math:`d\to\infty`.

    Gardner's volume of the separating :math:`(w, b)` at fixed :math:`m` (with :math:`q = 1`) vanishes at
    :math:`\alpha = (1 - m^2)/[\rho F((m+b)/\sqrt\Delta) + (1-\rho)F((m-b)/\sqrt\Delta)]`,
    :math:`F(a) = (1+a^2)H(a) - a\varphi(a)`, and :math:`\alpha^*` is its maximum over :math:`(m, b)`
    (the bias is free, so the threshold is that of a classifier with a trained bias; at
    :math:`\rho = 1/2` the optimum has :math:`b = 0`). As :math:`\Delta\to\infty`, :math:`\alpha^*\to2`
    (Cover)."""
    delta, rho = positive_in_range("delta", delta), rho_in_range(rho)
    root = math.sqrt(delta)

    def minus_capacity(x: np.ndarray) -> float:
        m, b = math.tanh(x[0]), x[1]
        cost = rho * _gardner_cost((m + b) / root) + (1.0 - rho) * _gardner_cost((m - b) / root)
        return -(1.0 - m * m) / float(cost)

    candidates = []
    for m0 in (0.3, 0.7, 0.95):
        found = minimize(
            minus_capacity,
            np.array([math.atanh(m0), 0.0]),
            method="Nelder-Mead",
            options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 4000},
        )
        candidates.append(-float(found.fun))
    return max(candidates)
