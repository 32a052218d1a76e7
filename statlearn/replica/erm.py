r"""Empirical risk minimisation in high dimensions: the replica saddle point of the Gaussian covariate
model (the closed forms it reproduces are in :mod:`statlearn.replica.ridge`; the theory page is
``docs/theory/erm.md``).

**The saddle point** (Loureiro, Gerbelot, Cui, Goldt, Krzakala, Mézard & Zdeborová, NeurIPS 2021,
"Learning curves of generic features maps for realistic datasets with a teacher-student model",
eqs. (9)-(10) for the ridge penalty; Gerace et al., ICML 2020; Aubin, Krzakala, Lu & Zdeborová,
NeurIPS 2020). A student :math:`w\in\mathbb R^p` is trained on :math:`n` samples,

.. math:: \hat w = \operatorname*{argmin}_w \sum_{\mu=1}^n \ell\big(y^\mu, w\cdot v^\mu/\sqrt p\big)
          + \frac\lambda2 |w|^2 ,

with labels from a teacher channel :math:`y\sim P_0(\cdot|\nu)`, :math:`\nu = \theta\cdot u/\sqrt d`.
As :math:`n, p, d\to\infty` at fixed :math:`\alpha_p = n/p` the pre-activations of a fresh sample,
:math:`(\nu, \lambda = \hat w\cdot v/\sqrt p)`, are jointly Gaussian with :math:`\mathbb E\nu^2 =
\rho`, :math:`\mathbb E\nu\lambda = m`, :math:`\mathbb E\lambda^2 = q`, where :math:`(m, q, V)` and
their conjugates solve, in terms of the spectrum :math:`(\pi_k, \omega_k, \tau_k)` of
:mod:`statlearn.models.covariates`,

.. math::
    V = \sum_k \frac{\pi_k\,\omega_k}{\lambda + \hat V\omega_k},\qquad
    m = \hat m \sum_k \frac{\pi_k\,\tau_k}{\lambda + \hat V\omega_k},\qquad
    q = \sum_k \pi_k\,\omega_k\,\frac{\hat m^2\tau_k + \hat q\,\omega_k}{(\lambda + \hat V\omega_k)^2}
    \qquad\text{(prior side)},

.. math::
    \hat V = -\alpha_p\,\mathbb E\,\partial_\omega f_{out},\qquad
    \hat q = \alpha_p\,\mathbb E\, f_{out}^2,\qquad
    \hat m = \alpha_p\,\mathbb E\, g_0\, f_{out}
    \qquad\text{(channel side)},

with :math:`f_{out}(y,\omega,V) = (\mathrm{prox}_{V\ell(y,\cdot)}(\omega) - \omega)/V`
(:meth:`statlearn.models.losses.Loss.output`), :math:`g_0 = \partial_\mu \ln Z_0(y,\mu,V_0)` the
teacher's output function (:meth:`statlearn.models.channels.Channel.output`; the channel side is
:func:`statlearn.models.student.output_averages`), and the expectation
over :math:`\omega\sim N(0,q)`, :math:`\nu|\omega\sim N(m\omega/q,\ V_0 = \rho - m^2/q)`,
:math:`y\sim P_0(\cdot|\nu)`, with :math:`g_0` evaluated at :math:`\mu = m\omega/q`. (Loureiro et al.
write :math:`\hat m` with a factor :math:`1/\sqrt\gamma` and :math:`\Phi^\top\theta` unscaled; the
teacher weights :math:`\tau` here absorb it, so that :math:`m = \mathbb E\nu\lambda` exactly.)

Outputs, against the clean teacher: regression :math:`\varepsilon_g = \rho + q - 2m` (add the label
noise :math:`\Delta` for the error on a noisy label); classification
:math:`\varepsilon_g = \arccos(m/\sqrt{\rho q})/\pi`; the training loss per sample
:math:`\mathbb E\,\ell(y, \mathrm{prox}(y,\omega,V))`.

**Numerics.** The channel averages are quadratures over :math:`\xi = \omega/\sqrt q` (labels
:math:`\pm1`: a graded Gauss-Legendre rule with panel edges at the teacher's crossover
:math:`\xi = 0`, of width :math:`\sqrt{V_0 q}/|m|`, and at the loss's kinks; continuous labels: a
tensor Gauss-Hermite rule in :math:`(\omega, y)`): :meth:`statlearn.models.channels.Channel.teacher_average`
and :func:`statlearn.models.student.output_averages` (one compiled loop for a threshold teacher and
a built-in loss). A loss whose channel averages close in the teacher's moments gives them in closed
form instead (:meth:`statlearn.models.losses.Loss.moment_averages`: the square loss, from
:math:`\mathbb E y^2` and :math:`b = \mathbb E[y\nu]/\rho`, for any teacher; the ridgeless
interpolator's averages are the same at :math:`V = 0`). Any teacher with labels :math:`\pm1` (or the
Gaussian one) and any loss can be passed as objects. The prior side is a sum over the spectrum's nodes. The fixed point is found by damped Anderson-accelerated iteration of
:math:`(m/\sqrt{\rho q}, \ln q, \ln V)` (scale-free, so the residual stays relative when
:math:`q, V\sim 1/\lambda` near interpolation),
continued along the curve: each point first takes chord-Newton steps from the secant predictor with
the previous point's inverse Jacobian (Broyden-updated), and falls back to the iteration and the
Newton polish if they do not contract; a point that fails is solved again by continuation in :math:`\lambda`
from the regularised side (:math:`10^4\lambda, 10^3\lambda, \dots, \lambda`), and is flagged
``converged=False`` (with a warning) if that fails too. The ridgeless square loss
(:math:`\lambda = 0`) is the exact limit :math:`\lambda\to0^+`: above the interpolation threshold
(:math:`\alpha_p` > the rank fraction of :math:`\Omega`) the equations hold at :math:`\lambda = 0`;
below it :math:`V\sim v/\lambda`, :math:`\hat V\sim\lambda h`, :math:`\hat m\sim\lambda\tilde m`,
:math:`\hat q\sim\lambda^2\tilde q`, and the rescaled equations
:math:`\sum_k\pi_k h\omega_k/(1+h\omega_k) = \alpha_p`,
:math:`\tilde m = h\,\mathbb E g_0(y-\omega)`, :math:`\tilde q = h^2\,\mathbb E(y-\omega)^2/\alpha_p`,
:math:`m = \tilde m\sum_k\pi_k\tau_k/(1+h\omega_k)`,
:math:`q = \sum_k\pi_k\omega_k(\tilde m^2\tau_k+\tilde q\omega_k)/(1+h\omega_k)^2` are solved instead.

"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq, minimize_scalar

from statlearn.models.channels import Channel, GaussianChannel, get_channel, sign_error
from statlearn.models.covariates import CovariateModel, Spectrum
from statlearn.models.losses import Loss, Square, get_loss
from statlearn.models.student import expected_loss, output_averages
from statlearn.numerics.fixedpoint import ConvergenceWarning, FixedPointResult, fixed_point
from statlearn.numerics.validation import as_real_array, as_real_scalar
from statlearn.replica.curve_state import CurveState

__all__ = ["BoundaryWarning", "ERMState", "saddle_point", "learning_curve", "optimal_lambda"]


class BoundaryWarning(ConvergenceWarning):
    """:func:`optimal_lambda` found its optimum at an end of the search interval: the true optimum may
    be outside it (the returned point is the saddle point at that end)."""


_LAMBDA_LADDER = (1e4, 1e3, 1e2, 1e1, 1.0)  # continuation from the regularised side


@dataclass(frozen=True)
class ERMState(CurveState):
    r"""The ERM saddle point at one point or along a learning curve (array fields for a curve, as
    :class:`~statlearn.replica.glm.GLMState`).

    ``ratio`` is n/p; ``gamma`` is NaN for models without it; ``V = inf`` (and the conjugates 0) for
    the ridgeless interpolator, whose ``training_loss`` is 0. ``generalization_error`` is against the
    clean teacher (module docstring). ``iterations`` counts evaluations of the saddle-point map (summed
    over the lambda ladder when it was climbed); ``residual`` is the fixed-point residual of
    :math:`(m/\sqrt{\rho q}, \ln q, \ln V)` (the max norm) after the final Newton step,
    at the returned point; ``message`` says why it stopped (for a curve: how many points converged and
    where the first failure is). Arrays are read-only.
    """

    alpha: np.ndarray | float
    gamma: np.ndarray | float
    lam: np.ndarray | float
    ratio: np.ndarray | float
    m: np.ndarray | float
    q: np.ndarray | float
    V: np.ndarray | float
    mhat: np.ndarray | float
    qhat: np.ndarray | float
    Vhat: np.ndarray | float
    rho: np.ndarray | float
    generalization_error: np.ndarray | float
    training_loss: np.ndarray | float
    converged: np.ndarray | bool
    iterations: np.ndarray | int
    residual: np.ndarray | float
    message: str

    POINT = ("alpha", "gamma")


class _Problem:
    """One (model, teacher, loss) at fixed (alpha, gamma): the two sides of the saddle point."""

    def __init__(
        self,
        model: CovariateModel,
        teacher: Channel,
        loss: Loss,
        alpha: float,
        gamma: float | None,
        shared: dict[Any, Any] | None = None,
    ):
        # ``shared``, kept along a curve: the spectrum per gamma, the teacher's moments per rho, and the
        # last inverse Jacobian of the map (solve_map)
        shared = {} if shared is None else shared
        self._shared = shared
        if ("spectrum", gamma) not in shared:
            shared["spectrum", gamma] = model.spectrum(gamma)
        self.spectrum: Spectrum = shared["spectrum", gamma]
        self.ratio = model.ratio(alpha, gamma)
        self.teacher, self.loss = teacher, loss
        self.rho = self.spectrum.rho
        sp = self.spectrum
        self._pos = sp.omega > 0
        self._omega, self._weight, self._tau = sp.omega[self._pos], sp.weight[self._pos], sp.teacher[self._pos]
        wo = self._weight * self._omega
        self._products = (wo, self._weight * self._tau, wo * self._tau, wo * self._omega)
        self._moments: tuple[float, float] | None = None
        if _has_moment_averages(loss):
            if ("moments", self.rho) not in shared:
                shared["moments", self.rho] = _teacher_moments(teacher, self.rho)
            self._moments = shared["moments", self.rho]
        self._last: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None

    # -- channel side (statlearn.models.student, or the loss's closed form) ----------------------

    def conjugates(self, m: float, q: float, V: float) -> tuple[float, float, float]:
        """(mhat, qhat, Vhat) of the channel side; the last evaluation is remembered (the Newton polish
        starts at the iteration's last point, and the solution's conjugates are those of its last step)."""
        if self._last is not None and self._last[0] == (m, q, V):
            return self._last[1]
        if self._moments is not None:
            g0f, f2, df, _ = self.loss.moment_averages(*self._moments, m, q, V)  # type: ignore[misc]
        else:
            g0f, f2, df = output_averages(self.teacher, self.loss, m, q, V, self.rho)
        hats = (self.ratio * g0f, self.ratio * f2, -self.ratio * df)
        self._last = ((m, q, V), hats)
        return hats

    def training_loss(self, m: float, q: float, V: float) -> float:
        if self._moments is not None:
            return self.loss.moment_averages(*self._moments, m, q, V)[3]  # type: ignore[index]
        return expected_loss(self.teacher, self.loss, m, q, V, self.rho)

    # -- prior side ---------------------------------------------------------------------------

    def overlaps(self, lam: float, mhat: float, qhat: float, Vhat: float) -> tuple[float, float, float]:
        """(m, q, V) of the prior side."""
        inverse = 1.0 / (lam + Vhat * self._omega)
        squared = inverse * inverse
        wo, wt, wot, wo2 = self._products  # (weight omega, weight tau, weight omega tau, weight omega^2)
        return (
            float(mhat * (wt @ inverse)),
            float(mhat * mhat * (wot @ squared) + qhat * (wo2 @ squared)),
            float(wo @ inverse),
        )

    def generalization_error(self, m: float, q: float) -> float:
        if self.teacher.discrete_labels:
            return float(sign_error(m, q, self.rho))
        return float(self.rho + q - 2.0 * m)

    # -- the fixed point ----------------------------------------------------------------------

    # The iterated state is (c, ln q, ln V) with c = m / sqrt(rho q) the teacher-student cosine:
    # every component is O(1) and scale-free, an absolute error on c and a relative one on q and V,
    # even when q, V ~ 1/lam near interpolation. Near the interpolation peak the map contracts slowly
    # (its Jacobian has an eigenvalue 1 - O(lam^(1/2))), so a small residual F(x) - x is not a small
    # error x - x*: the iteration is stopped at a coarse tolerance and the point is then polished by
    # Newton's method on F(x) - x, whose step is the error estimate compared with ``tol``.

    def state(self, m: float, q: float, V: float | None = None) -> np.ndarray:
        q = max(q, 1e-300)
        cosine = m / math.sqrt(self.rho * q)
        return np.array([cosine, math.log(q)] + ([] if V is None else [math.log(V)]))

    def unpack(self, x: np.ndarray) -> tuple[float, ...]:
        """(m, q) or (m, q, V) from a state."""
        q = math.exp(x[1])
        return (x[0] * math.sqrt(self.rho * q), q) + tuple(math.exp(v) for v in x[2:])

    @staticmethod
    def project(x: np.ndarray) -> np.ndarray:
        y = np.minimum(np.maximum(x, -200.0), 200.0)
        y[0] = min(max(x[0], -1.0 + 1e-15), 1.0 - 1e-15)
        return y

    def _map(self, lam: float):
        def step(x: np.ndarray) -> np.ndarray:
            m, q, V = self.overlaps(lam, *self.conjugates(*self.unpack(x)))
            return self.state(m, q, V)

        return step

    def solve(self, lam: float, start: np.ndarray, tol: float, max_iter: int) -> tuple[FixedPointResult, tuple]:
        """Fixed point at penalty ``lam`` from a state ``start``: (FixedPointResult, conjugates)."""
        result = solve_map(self._map(lam), start, tol, max_iter, anderson=5, project=self.project, memory=self._shared)
        return result, self.conjugates(*self.unpack(result.x))

    def solve_interpolator(self, start: np.ndarray, tol: float, max_iter: int) -> FixedPointResult:
        """The ridgeless square-loss interpolator (module docstring): FixedPointResult of (c, ln q)."""
        omega, weight, tau = self._omega, self._weight, self._tau
        alpha = self.ratio
        log_h = brentq(lambda t: np.sum(weight * omega / (math.exp(-t) + omega)) - alpha, -690.0, 60.0, xtol=1e-14)
        h = math.exp(log_h)
        inverse = 1.0 / (1.0 + h * omega)
        second_moment, gain = self._moments or _teacher_moments(self.teacher, self.rho)

        def step(x: np.ndarray) -> np.ndarray:
            m, q = self.unpack(x)
            # E g0 (y - omega) and E (y - omega)^2: the square loss's averages at V = 0
            a, b, _, _ = Square().moment_averages(second_moment, gain, m, q, 0.0)  # type: ignore[misc]
            mt, qt = h * a, h * h * b / alpha
            return self.state(
                mt * np.sum(weight * tau * inverse),
                np.sum(weight * omega * (mt * mt * tau + qt * omega) * inverse * inverse),
            )

        return solve_map(step, start, tol, max_iter, anderson=3, project=self.project, memory=self._shared)


def _has_moment_averages(loss: Loss) -> bool:
    """Whether the loss gives its channel averages in closed form (:meth:`Loss.moment_averages`)."""
    return loss.moment_averages(1.0, 0.0, 0.0, 1.0, 1.0) is not None


def _teacher_moments(teacher: Channel, rho: float) -> tuple[float, float]:
    r"""The teacher's :math:`(\mathbb E y^2,\ b = \mathbb E\,g_0 y = \mathbb E[y\nu]/\rho)`, :math:`\nu\sim N(0,\rho)`,
    for :meth:`Loss.moment_averages`: the average of :math:`(y^2, g_0 y)` at :math:`m = 0`, where the
    student's field carries no information (:math:`\mu = 0`, :math:`V_0 = \rho`) and the label weights
    are the same at every node (so the rule adds them up exactly), for any channel."""
    second_moment, gain = teacher.teacher_average(lambda y, omega, z0, slope: (z0 * y * y, slope * y), 0.0, rho, rho)
    return float(second_moment), float(gain)


_COARSE_TOL = 1e-6  # the iteration's tolerance before the Newton polish
_NEWTON_STEPS = 6  # chord-Newton steps of the polish (one Jacobian)


def solve_map(
    step, start: np.ndarray, tol: float, max_iter: int, *, anderson: int, project, memory: dict | None = None
) -> FixedPointResult:
    """x = step(x): chord-Newton steps from ``start`` with the inverse Jacobian remembered in ``memory``
    from the last point solved (:func:`_chord`); if there is none or they do not contract, damped Anderson
    iteration to a coarse tolerance (a plain damped retry if that fails), then :func:`_polish`, which
    leaves its inverse Jacobian in ``memory``; if the polish fails, the iteration is continued to ``tol``
    as before."""
    memory = {} if memory is None else memory
    key = ("chord", np.size(start))
    spent = 0  # evaluations of a chord attempt that did not contract
    if key in memory:
        chorded = _chord(step, np.array(start, dtype=float), memory, key, tol, project)
        if chorded.converged:
            return chorded
        spent = chorded.iterations
    result = _iterate(step, start, tol, max_iter, anderson=anderson, project=project, memory=memory, key=key)
    if not spent:
        return result
    return FixedPointResult(result.x, result.converged, spent + result.iterations, result.residual, result.message)


def _iterate(
    step, start: np.ndarray, tol: float, max_iter: int, *, anderson: int, project, memory: dict, key: tuple
) -> FixedPointResult:
    """The iteration and polish of :func:`solve_map`."""
    coarse = max(tol, _COARSE_TOL)
    result = fixed_point(
        step, start, mixing=0.5, anderson=anderson, tol=coarse, max_iter=max_iter, project=project, warn=False
    )
    if not result.converged:  # plain damped iteration is slower but safer
        result = fixed_point(step, start, mixing=0.3, tol=coarse, max_iter=max_iter, project=project, warn=False)
    if not result.converged:
        return result
    polished = _polish(step, result, tol, project, memory, key)
    if polished is not None:
        return polished
    rest = fixed_point(
        step, result.x, mixing=0.5, anderson=anderson, tol=tol, max_iter=max_iter, project=project, warn=False
    )
    return FixedPointResult(rest.x, rest.converged, result.iterations + rest.iterations, rest.residual, rest.message)


_CHORD_STEPS = 12  # chord-Newton steps from a curve's predictor before falling back to the iteration
_CHORD_CONTRACTION = 0.5  # each step must be at most this fraction of the last


def _chord(step, x: np.ndarray, memory: dict, key: tuple, tol: float, project) -> FixedPointResult:
    r"""Chord-Newton steps :math:`x \leftarrow x - H(F(x) - x)` from a predicted start, with
    :math:`H\approx(J - I)^{-1}` the inverse Jacobian of the last point solved, refreshed by Broyden's
    (good) update after every step that is large enough to measure it, and once by finite differences
    (:func:`_inverse_jacobian`) when a step does not contract by :data:`_CHORD_CONTRACTION`: converged, as
    :func:`_polish`, when the step is at most ``tol``; not converged (at the start, with the evaluations
    spent) if a step is not finite or the refreshed steps do not contract either (the caller then
    iterates from the start)."""
    start = x
    inverse = np.array(memory[key], dtype=float)
    fx = np.asarray(step(x), dtype=float)
    g = fx - x
    evaluations = 1
    previous = np.inf
    refreshed = False
    for _ in range(_CHORD_STEPS):
        delta = -inverse @ g
        size = float(np.max(np.abs(delta)))
        if not (np.isfinite(size) and size <= _CHORD_CONTRACTION * previous):
            if refreshed:
                break
            fresh = _inverse_jacobian(step, x, fx, project)
            evaluations += x.size
            if fresh is None:
                break
            inverse, refreshed, previous = fresh, True, np.inf
            delta = -inverse @ g
            size = float(np.max(np.abs(delta)))
            if not np.isfinite(size):
                break
        x_new = np.asarray(project(x + delta), dtype=float)
        fx_new = np.asarray(step(x_new), dtype=float)
        evaluations += 1
        g_new = fx_new - x_new
        residual = float(np.max(np.abs(g_new)))
        if size <= tol:
            memory[key] = inverse
            message = f"converged: Newton step {size:.3g} <= tol {tol:.3g} (residual {residual:.3g}) after {evaluations} evaluations"
            return FixedPointResult(x_new, True, evaluations, residual, message)
        s, y = x_new - x, g_new - g
        hy = inverse @ y
        denominator = float(s @ hy)
        if size > 1e-8 and abs(denominator) > 1e-12 * float(np.linalg.norm(s) * np.linalg.norm(hy)):
            inverse += np.outer(s - hy, s @ inverse) / denominator
        x, fx, g, previous = x_new, fx_new, g_new, size
    return FixedPointResult(start, False, evaluations, np.inf, "chord-Newton steps did not contract")


def _inverse_jacobian(step, x: np.ndarray, fx: np.ndarray, project) -> np.ndarray | None:
    """:math:`(J - I)^{-1}` at ``x`` (where the map is ``fx``), with :math:`J` by forward differences (one
    evaluation of the map per component); None if :math:`J - I` is singular."""
    jacobian = np.empty((x.size, x.size))
    for j in range(x.size):
        shifted = x.copy()
        shifted[j] += 1e-7 * max(1.0, abs(x[j]))
        shifted = np.asarray(project(shifted), dtype=float)
        if shifted[j] == x[j]:  # at the domain's edge (a cosine of 1): step inward
            shifted[j] = x[j] - 1e-7 * max(1.0, abs(x[j]))
        jacobian[:, j] = (np.asarray(step(shifted), dtype=float) - fx) / (shifted[j] - x[j])
    try:
        return np.linalg.inv(jacobian - np.eye(x.size))
    except np.linalg.LinAlgError:
        return None


def _polish(step, result: FixedPointResult, tol: float, project, memory: dict, key: tuple) -> FixedPointResult | None:
    r"""Chord-Newton steps :math:`x \leftarrow x - (J - I)^{-1}(F(x) - x)` from a converged iterate, with
    the Jacobian :math:`J` of the map by forward differences (one evaluation per component): converged
    when the step, the estimate of the distance to the fixed point, is at most ``tol``; the inverse is
    left in ``memory[key]`` for the next point (:func:`_chord`). None if a step is not finite or stops
    shrinking."""
    x = np.array(result.x, dtype=float)
    fx = np.asarray(step(x), dtype=float)
    evaluations = result.iterations + 1 + x.size
    lu = _inverse_jacobian(step, x, fx, project)
    if lu is None:
        return None
    previous = np.inf
    for _ in range(_NEWTON_STEPS):
        delta = -lu @ (fx - x)
        size = float(np.max(np.abs(delta)))
        if not (np.isfinite(size) and size < previous):
            return None
        x = np.asarray(project(x + delta), dtype=float)
        fx = np.asarray(step(x), dtype=float)
        evaluations += 1
        residual = float(np.max(np.abs(fx - x)))
        if size <= tol:
            memory[key] = lu
            message = f"converged: Newton step {size:.3g} <= tol {tol:.3g} (residual {residual:.3g}) after {evaluations} evaluations"
            return FixedPointResult(x, True, evaluations, residual, message)
        previous = size
    return None


def _grid(name: str, value: ArrayLike | None) -> np.ndarray | None:
    """A one-dimensional grid of positive values (a scalar is a grid of one)."""
    if value is None:
        return None
    grid = as_real_array(name, value, minimum=0.0, strict_minimum=True)
    if grid.ndim > 1 or grid.size == 0:
        raise ValueError(f"{name} must be a number or a non-empty one-dimensional grid, got shape {grid.shape}")
    _in_range(name, grid)
    return np.atleast_1d(grid)


def _scalar(name: str, value: float, *, minimum: float, strict: bool) -> float:
    value = as_real_scalar(name, value, minimum=minimum, strict_minimum=strict)
    _in_range(name, value)
    return value


_RANGE = (1e-30, 1e30)
"""alpha, gamma and a positive lam are refused outside it: the iterated logarithms of q and V (which
scale like powers of them) would leave the solver's state range |ln q|, |ln V| <= 200."""


def _in_range(name: str, value: float | np.ndarray) -> None:
    values = np.atleast_1d(value)
    outside = (values != 0) & ((values < _RANGE[0]) | (values > _RANGE[1]))
    if np.any(outside):
        raise ValueError(
            f"{name} must lie in [{_RANGE[0]:g}, {_RANGE[1]:g}] (or be 0 where allowed), got {values[outside][0]!r}"
        )


def _settings(tol: float, max_iter: int) -> tuple[float, int]:
    tol = _scalar("tol", tol, minimum=0.0, strict=True)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)):
        raise TypeError(f"max_iter must be an integer, got {type(max_iter).__name__}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter!r}")
    return tol, int(max_iter)


def _check_model(model: CovariateModel) -> None:
    if not isinstance(model, CovariateModel):
        raise TypeError(
            f"model must be a CovariateModel (e.g. BlockCovariates.isotropic()), got {type(model).__name__}"
        )


def _resolve(teacher: str | Channel, loss: str | Loss, **teacher_params: float) -> tuple[Channel, Loss]:
    for name, value in teacher_params.items():
        if isinstance(value, (int, float)) and abs(value) > _RANGE[1]:
            raise ValueError(f"{name} must be at most {_RANGE[1]:g} in size, got {value!r}")
    try:
        teacher = get_channel(teacher, **teacher_params)
    except (TypeError, ValueError) as error:
        raise type(error)(f"teacher: {error}") from None
    loss = get_loss(loss)
    if not (teacher.discrete_labels or isinstance(teacher, GaussianChannel)):
        raise ValueError(
            f"teacher {teacher.name!r} is not supported: use a label teacher (sign, noisy-sign, "
            "probit, or a Channel with labels +-1) or the linear teacher (gaussian, delta >= 0)"
        )
    if loss.discrete_labels and not teacher.discrete_labels:
        raise ValueError(f"the {loss.name} loss needs labels +-1: use a sign, noisy-sign or probit teacher")
    return teacher, loss


def saddle_point(
    model: CovariateModel,
    teacher: str | Channel,
    loss: str | Loss,
    lam: float,
    *,
    alpha: float,
    gamma: float | None = None,
    start: tuple[float, float, float] | None = None,
    tol: float = 1e-11,
    max_iter: int = 3000,
    warn: bool = True,
    **teacher_params: float,
) -> ERMState:
    r"""The saddle point of ERM in the Gaussian covariate model at one point (module docstring).

    Parameters
    ----------
    model
        A :class:`~statlearn.models.covariates.CovariateModel` (isotropic or block covariates,
        random features).
    teacher
        Label channel: ``"sign"``, ``"noisy-sign"`` (``delta`` = flip probability), ``"probit"`` or
        ``"gaussian"`` (linear teacher, ``delta`` = label-noise variance), or a Channel.
    loss
        ``"square"``, ``"logistic"``, ``"hinge"`` or a :class:`~statlearn.models.losses.Loss`.
    lam
        Ridge penalty :math:`\lambda\ge0`; 0 only for the square loss (the ridgeless limit).
        ``delta`` may be 0 for the gaussian teacher (the noiseless linear teacher).
    alpha, gamma
        alpha = n/d samples per input dimension (> 0); gamma = P/D features per input dimension,
        for random features only.
        alpha, gamma and a positive lam must lie in [1e-30, 1e30], and teacher parameters be at most
        1e30 (the solver iterates ln q and ln V within [-200, 200]).
    start
        Starting overlaps (m, q, V); by default a small informative guess.
    tol, max_iter
        Tolerance on the estimated error (the last Newton step) of (m / sqrt(rho q), ln q, ln V), and
        the cap on iterations of the map.
    warn
        Emit :class:`~statlearn.numerics.ConvergenceWarning` if not converged (the point is
        returned with ``converged=False`` either way).

    Returns
    -------
    ERMState
        Scalar fields.
    """
    _check_model(model)
    lam = _scalar("lam", lam, minimum=0.0, strict=False)
    alpha = _scalar("alpha", alpha, minimum=0.0, strict=True)
    if gamma is not None:
        gamma = _scalar("gamma", gamma, minimum=0.0, strict=True)
    tol, max_iter = _settings(tol, max_iter)
    teacher, loss = _resolve(teacher, loss, **teacher_params)
    if lam == 0 and not isinstance(loss, Square):
        raise ValueError(f"lam must be > 0 for the {loss.name} loss (lam = 0 only for the square loss)")
    problem = _problem(model, teacher, loss, alpha, gamma)
    point = _solve_point(problem, lam, alpha, gamma, _start(problem, start), tol, max_iter)
    if warn and not point.converged:
        _warn_unconverged([point])
    return point


def _start(problem: _Problem, start: tuple[float, float, float] | None) -> np.ndarray:
    if start is None:
        return problem.state(0.1 * problem.rho, 0.2 * problem.rho, 1.0)
    if not isinstance(start, (tuple, list, np.ndarray)) or np.shape(start) != (3,):
        raise ValueError(f"start must be three overlaps (m, q, V), got shape {np.shape(start)}")
    m, q, V = (float(as_real_array("start", v)) for v in start)
    if not (q > 0 and V > 0 and m * m < problem.rho * q):
        raise ValueError(f"start must have q > 0, V > 0 and m^2 < rho q, got {start!r}")
    return problem.state(m, q, V)


def _solve_point(
    problem: _Problem, lam: float, alpha: float, gamma: float | None, start: np.ndarray, tol: float, max_iter: int
) -> ERMState:
    common = dict(alpha=alpha, gamma=np.nan if gamma is None else gamma, lam=lam, ratio=problem.ratio, rho=problem.rho)
    if lam == 0 and abs(problem.ratio - problem.spectrum.rank) <= 1e-12 * problem.ratio:
        # the interpolation threshold itself: q and V diverge as lam -> 0+
        return ERMState(
            m=np.nan,
            q=np.inf,
            V=np.inf,
            mhat=0.0,
            qhat=0.0,
            Vhat=0.0,
            generalization_error=np.inf,
            training_loss=0.0,
            converged=False,
            iterations=0,
            residual=np.inf,
            message="not converged: the ridgeless interpolation threshold, where q and V diverge",
            **common,
        )
    if lam == 0 and problem.ratio < problem.spectrum.rank:  # the ridgeless interpolator
        result = problem.solve_interpolator(start[:2], tol, max_iter)
        m, q = problem.unpack(result.x)
        return ERMState(
            m=m,
            q=q,
            V=np.inf,
            mhat=0.0,
            qhat=0.0,
            Vhat=0.0,
            generalization_error=problem.generalization_error(m, q),
            training_loss=0.0,
            converged=result.converged,
            iterations=result.iterations,
            residual=result.residual,
            message=result.message,
            **common,
        )
    result, hats = problem.solve(lam, start, tol, max_iter)
    iterations = result.iterations
    if not result.converged and lam > 0:  # continuation from the regularised side
        x = np.array(start, dtype=float)
        for factor in _LAMBDA_LADDER:
            result, hats = problem.solve(lam * factor, x, tol, max_iter)
            iterations += result.iterations
            if result.converged:
                x = result.x
    m, q, V = problem.unpack(result.x)
    return ERMState(
        m=m,
        q=q,
        V=V,
        mhat=hats[0],
        qhat=hats[1],
        Vhat=hats[2],
        generalization_error=problem.generalization_error(m, q),
        training_loss=problem.training_loss(m, q, V),
        converged=result.converged,
        iterations=iterations,
        residual=result.residual,
        message=result.message if iterations == result.iterations else f"{result.message} (lambda continuation)",
        **common,
    )


def _problem(
    model: CovariateModel,
    teacher: Channel,
    loss: Loss,
    alpha: float,
    gamma: float | None,
    shared: dict[Any, Any] | None = None,
) -> _Problem:
    """The problem at one point; the model's own checks (e.g. gamma required) as ValueError/TypeError."""
    problem = _Problem(model, teacher, loss, alpha, gamma, shared)
    if not (np.isfinite(problem.ratio) and problem.ratio > 0):
        raise ValueError(f"alpha = {alpha!r} gives the sample ratio n/p = {problem.ratio!r}: it must be finite and > 0")
    return problem


def _warn_unconverged(points: list[ERMState]) -> None:
    bad = [p for p in points if not p.converged]
    if bad:
        where = ", ".join(
            f"(alpha={p.alpha:g}, gamma={p.gamma:g}, lam={p.lam:g}; residual {p.residual:.2g})" for p in bad[:5]
        )
        warnings.warn(
            f"the ERM saddle point did not converge at {len(bad)} point(s): {where}{' ...' if len(bad) > 5 else ''}",
            ConvergenceWarning,
            stacklevel=3,
        )


def _predict(problem: _Problem, solved: list[tuple[float, np.ndarray]], t: float) -> np.ndarray:
    """Start of the next point of a curve: the default with no solution yet, the last solution
    after one, else the secant through the last two (in the log of the swept parameter), projected."""
    if not solved:
        return _start(problem, None)
    (t1, x1) = solved[-1]
    if len(solved) == 1 or solved[-2][0] == t1 or len(x1) != len(solved[-2][1]):
        return x1
    t0, x0 = solved[-2]
    return problem.project(x1 + (x1 - x0) * (t - t1) / (t1 - t0))


def learning_curve(
    model: CovariateModel,
    teacher: str | Channel,
    loss: str | Loss,
    lam: float,
    *,
    alpha: ArrayLike,
    gamma: ArrayLike | None = None,
    tol: float = 1e-11,
    max_iter: int = 3000,
    progress: bool = False,
    **teacher_params: float,
) -> ERMState:
    r"""The ERM learning curve along a grid of alpha or of gamma (:func:`saddle_point` for the
    parameters).

    ``alpha`` and ``gamma`` broadcast against each other (one of them is typically the grid); each
    point starts from the secant extrapolation of the last two converged ones (continuation),
    falling back to continuation in lambda (module docstring). Points that still fail are kept, flagged ``converged=False``, and
    reported in one :class:`~statlearn.numerics.ConvergenceWarning`. ``progress`` shows a tqdm bar.
    Returns an :class:`ERMState` with one array entry per point.
    """
    _check_model(model)
    lam = _scalar("lam", lam, minimum=0.0, strict=False)
    alphas = _grid("alpha", alpha)
    gammas = _grid("gamma", gamma)
    tol, max_iter = _settings(tol, max_iter)
    teacher, loss = _resolve(teacher, loss, **teacher_params)
    if lam == 0 and not isinstance(loss, Square):
        raise ValueError(f"lam must be > 0 for the {loss.name} loss (lam = 0 only for the square loss)")
    if alphas is None:
        raise TypeError("alpha is required (a number or a one-dimensional grid)")
    pairs: list[tuple[float, float | None]]
    if gammas is None:
        pairs = [(a, None) for a in alphas.tolist()]
    else:
        try:
            a_grid, g_grid = np.broadcast_arrays(alphas, gammas)
        except ValueError:
            raise ValueError(f"alpha and gamma must broadcast, got {alphas.size} and {gammas.size} values") from None
        pairs = list(zip(a_grid.tolist(), g_grid.tolist()))
    points: list[ERMState] = []
    solved: list[tuple[float, np.ndarray]] = []  # (log of the control parameter, state) of converged points
    shared: dict[Any, Any] = {}  # spectra and teacher moments along the curve (_Problem)
    iterator = pairs
    if progress:
        from tqdm import tqdm

        iterator = tqdm(pairs, desc="saddle point", unit="pt")
    for a, g in iterator:
        problem = _problem(model, teacher, loss, a, g, shared)
        t = math.log(a) + (0.0 if g is None else math.log(g))
        point = _solve_point(problem, lam, a, g, _predict(problem, solved, t), tol, max_iter)
        if point.converged:
            m, q, V = float(point.m), float(point.q), float(point.V)
            solved.append((t, problem.state(m, q, V if math.isfinite(V) else 1.0)))
        points.append(point)
    _warn_unconverged(points)
    return ERMState.stack(points)


_TIE_SLOPE = 1e-10  # optimal_lambda: ties in the error go to the larger penalty


def optimal_lambda(
    model: CovariateModel,
    teacher: str | Channel,
    loss: str | Loss,
    *,
    alpha: float,
    gamma: float | None = None,
    bounds: tuple[float, float] = (1e-8, 1e2),
    **teacher_params: float,
) -> ERMState:
    r"""The saddle point at the penalty that minimises the generalisation error, searched in log lambda
    within ``bounds`` (Brent); the returned point's ``lam`` is the optimum. Where the error does not
    depend on lambda (to rounding; e.g. the hinge loss's max-margin plateau on separable data) ties go
    to the larger penalty: the searched function is the error minus :data:`_TIE_SLOPE` times
    :math:`\ln\lambda`, which moves a true minimum by about :data:`_TIE_SLOPE` over its curvature, far
    below the search's tolerance (without it Brent's method followed rounding noise on a plateau). An
    optimum at a bound is reported with a :class:`BoundaryWarning` (the true optimum may be 0 or
    beyond)."""
    _check_model(model)
    if not isinstance(bounds, (tuple, list, np.ndarray)) or len(bounds) != 2:
        raise ValueError(f"bounds must be a pair (low, high), got {bounds!r}")
    low, high = (_scalar("bounds", b, minimum=0.0, strict=True) for b in bounds)
    if not low < high:
        raise ValueError(f"bounds must be increasing, got {bounds!r}")
    alpha = _scalar("alpha", alpha, minimum=0.0, strict=True)
    if gamma is not None:
        gamma = _scalar("gamma", gamma, minimum=0.0, strict=True)
    teacher, loss = _resolve(teacher, loss, **teacher_params)
    problem = _problem(model, teacher, loss, alpha, gamma)
    start = [_start(problem, None)]

    def error(log_lam: float) -> float:
        point = _solve_point(problem, math.exp(log_lam), alpha, gamma, start[0], 1e-12, 3000)
        if point.converged:
            start[0] = problem.state(float(point.m), float(point.q), float(point.V))
        return float(point.generalization_error) - _TIE_SLOPE * log_lam

    result = minimize_scalar(error, bounds=(math.log(low), math.log(high)), method="bounded", options={"xatol": 1e-6})
    best = _solve_point(problem, math.exp(result.x), alpha, gamma, start[0], 1e-12, 3000)
    if min(result.x - math.log(low), math.log(high) - result.x) < 1e-3:
        warnings.warn(
            f"optimal lambda {best.lam:.3g} sits at the edge of bounds {bounds}", BoundaryWarning, stacklevel=2
        )
    return best
