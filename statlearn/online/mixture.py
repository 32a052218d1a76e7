r"""One-pass (online) SGD of a perceptron on the two-cluster Gaussian mixture: the exact large-d recursion of
its overlaps, its continuous limit, and the finite-d simulation they describe.

Model of Mignacco, Krzakala, Urbani & Zdeborová (NeurIPS 2020) (:mod:`statlearn.models.mixture_descent`), with
a FRESH batch of :math:`B = \mathrm{round}(\beta d)` samples at every step (:math:`\beta` = ``batch``) and the
update :math:`w' = (1-\eta\lambda) w - \eta\sum_{\mu\le B} \ell'(y_\mu, h_\mu)\, x_\mu/\sqrt d` (a sum, no
:math:`1/B`). Time is :math:`t_{SS}` = samples seen / d = :math:`k\beta` after k steps.

**Fields.** With :math:`m = w\cdot v^*/d`, :math:`q = |w|^2/d` and :math:`w = m v^* + w_\perp`, a fresh sample
of cluster :math:`c` has :math:`h_0 = x\cdot v^*/\sqrt d = c + \sqrt\Delta\, u` (the field along the centre) and
:math:`\zeta = x\cdot w_\perp/|w_\perp|` :math:`\sim N(0, \Delta)` (the field along the rest of ``w``), with
:math:`u \sim N(0, 1)` independent of :math:`\zeta`, and

.. math:: h = w\cdot x/\sqrt d = m h_0 + \sqrt{q - m^2}\,\zeta , \qquad g = \ell'(c, h) .

**Recursion** (exact as :math:`d\to\infty` at fixed :math:`\beta`; the fluctuations are :math:`O(d^{-1/2})`):

.. math::
   m' &= (1-\eta\lambda) m - \eta\beta\,E[h_0 g] \\
   q' &= (1-\eta\lambda)^2 q - 2\eta(1-\eta\lambda)\beta\,E[h g]
        + \eta^2\big(\beta\Delta E[g^2] + \beta^2 (E[g h_0]^2 + E[g\zeta]^2)\big).

The last term is :math:`|\sum_\mu g_\mu x_\mu|^2/d^2` split along :math:`v^*/\sqrt d`, along
:math:`w_\perp/|w_\perp|` (coherent over the batch: :math:`(B E[g h_0])^2` and :math:`(B E[g\zeta])^2`) and over
the :math:`d-2` other directions, where :math:`x_\mu` is :math:`\sqrt\Delta` times a standard Gaussian vector
independent of :math:`g_\mu` (:math:`B\Delta d\,E[g^2]`).

**Averages.** Given :math:`c` the field is :math:`h = c m + \sqrt{\Delta q}\,t`, :math:`t\sim N(0,1)`, and
:math:`h_0 - c`, :math:`\zeta` regress on :math:`h - cm` with slopes :math:`m/q` and :math:`\sqrt{q-m^2}/q`
(their covariances with it are :math:`m\Delta` and :math:`\sqrt{q-m^2}\,\Delta`, its variance :math:`\Delta q`).
So with :math:`G_0 = E_t[g]`, :math:`G_1 = E_t[g\sqrt{\Delta q}\,t]`, :math:`G_2 = E_t[g^2]` for each cluster,

.. math::
   E[g h_0] = E_c[c G_0 + (m/q) G_1], \quad E[g h] = E_c[c m G_0 + G_1], \quad
   E[g\zeta] = E_c[G_1]\sqrt{q-m^2}/q, \quad E[g^2] = E_c[G_2],

one-dimensional averages: Gauss-Hermite for the square and logistic losses, the graded rule of
:func:`statlearn.numerics.gaussian.graded_rule` with an edge at the hinge's kink :math:`c h = 1` for the hinge.

**Continuous limit** :math:`\beta\to0` in the time :math:`t_{SS}`, with the weight decay per sample
:math:`\lambda_{SS} = \lambda/\beta` held fixed (otherwise it would act :math:`1/\beta` times per unit
:math:`t_{SS}`):

.. math:: \frac{dm}{dt_{SS}} = -\eta(\lambda_{SS} m + E[h_0 g]), \qquad
   \frac{dq}{dt_{SS}} = -2\eta(\lambda_{SS} q + E[h g]) + \eta^2\Delta E[g^2]

(the recursion is one Euler step of size :math:`\beta` of these equations plus :math:`O(\beta^2)`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from statlearn.models.loss_kernels import loss_code, smoothing_for
from statlearn.models.losses import Loss
from statlearn.models.mixture_descent import (
    SeedStatistics,
    check_start,
    initial_weights,
    loss_values,
    mixture_batch,
    mixture_test_error,
)
from statlearn.numerics.gaussian import graded_rule, hermite_rule
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import check_seed
from statlearn.numerics.validation import as_count, as_real_scalar
from statlearn.online.descent_kernel import batch_fields, descent_step

__all__ = ["OnePassSimulation", "OnePassTrajectory", "one_pass_ode", "one_pass_recursion", "simulate_one_pass"]


@dataclass(frozen=True)
class OnePassTrajectory:
    """Overlaps of one-pass SGD from the large-d theory at the times ``t`` (samples seen / d); read-only arrays.

    ``iterations`` counts recursion steps (:func:`one_pass_recursion`) or right-hand-side evaluations
    (:func:`one_pass_ode`); ``residual`` is NaN; ``converged`` is False if the overlaps became non-finite or
    the integrator failed (the remaining entries are NaN).
    """

    t: np.ndarray
    m: np.ndarray
    q: np.ndarray
    test_error: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


@dataclass(frozen=True)
class OnePassSimulation(SeedStatistics, OnePassTrajectory):
    """One-pass SGD simulated over seeds: the fields of :class:`OnePassTrajectory`, with ``m``, ``q``,
    ``test_error`` of shape (n_seeds, steps + 1); ``iterations`` counts the steps done over all seeds, ``residual``
    is NaN."""

    observables = ("m", "q", "test_error")


@dataclass(frozen=True)
class _Setup:
    """Validated parameters shared by the theory and the simulation."""

    kind: int
    smoothing: float
    hinge: bool
    delta: float
    eta: float
    lam: float
    rho: float
    m0: float
    q0: float


def _setup(
    loss: str | Loss,
    delta: float,
    eta: float,
    lam: float,
    rho: float,
    m0: float,
    q0: float,
    smoothing: float,
) -> _Setup:
    kind = loss_code(loss)
    rho = as_real_scalar("rho", rho, minimum=0.0, strict_minimum=True)
    if rho >= 1.0:
        raise ValueError(f"rho must be < 1, got {rho!r}")
    m0, q0 = check_start(m0, q0)
    return _Setup(
        kind=kind,
        smoothing=smoothing_for(loss, smoothing),
        hinge=kind == loss_code("hinge"),
        delta=as_real_scalar("delta", delta, minimum=0.0, strict_minimum=True),
        eta=as_real_scalar("eta", eta, minimum=0.0, strict_minimum=True),
        lam=as_real_scalar("lam", lam, minimum=0.0),
        rho=rho,
        m0=m0,
        q0=q0,
    )


_HERMITE_ORDER = 121


def _averages(setup: _Setup, m: float, q: float) -> tuple[float, float, float, float]:
    r"""(:math:`E[g h_0]`, :math:`E[g h]`, :math:`E[g\zeta]`, :math:`E[g^2]`) at (m, q) (module docstring)."""
    scale = math.sqrt(setup.delta * q)
    clusters = np.array([1.0, -1.0])
    if setup.hinge:  # panels with an edge at the kink c h = 1 of each cluster, graded at the smoothing's width
        width = min(1.0, setup.smoothing / scale) if setup.smoothing > 0 else 1.0
        t, weights = graded_rule([(c * (1.0 - m) / scale, width) for c in clusters])
    else:
        t, weights = hermite_rule(_HERMITE_ORDER)
    fields = clusters[:, None] * m + scale * t[None, :]
    labels = np.repeat(clusters, t.size)
    _, slope = loss_values(setup.kind, labels, fields.ravel(), setup.smoothing)
    g = slope.reshape(fields.shape)
    G0, G1, G2 = g @ weights, (g * (scale * t)) @ weights, (g * g) @ weights
    p = np.array([setup.rho, 1.0 - setup.rho])
    g_h0 = float(p @ (clusters * G0 + (m / q) * G1))
    g_h = float(p @ (clusters * m * G0 + G1))
    g_zeta = float(p @ G1) * math.sqrt(max(q - m * m, 0.0)) / q
    return g_h0, g_h, g_zeta, float(p @ G2)


def _trajectory(
    t: np.ndarray, m: np.ndarray, q: np.ndarray, delta: float, iterations: int, failure: str | None, unit: str
) -> OnePassTrajectory:
    if failure is None:
        message = f"integrated to t = {t[-1]:.6g} after {iterations} {unit}"
    else:
        message = f"stopped: {failure}"
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    return OnePassTrajectory(
        t=t,
        m=m,
        q=q,
        test_error=mixture_test_error(m, q, delta),
        converged=failure is None,
        iterations=iterations,
        residual=math.nan,
        message=message,
    )


def one_pass_recursion(
    loss: str | Loss,
    *,
    delta: float,
    eta: float,
    batch: float,
    steps: int,
    lam: float = 0.0,
    rho: float = 0.5,
    m0: float = 0.0,
    q0: float = 1.0,
    smoothing: float = 0.0,
) -> OnePassTrajectory:
    r"""The large-d recursion of (m, q) for one-pass SGD with batches of :math:`\beta d` samples (module
    docstring), at :math:`t_{SS} = k\beta`, k = 0..``steps``.

    Parameters
    ----------
    loss
        ``"square"``, ``"logistic"`` or ``"hinge"``; ``smoothing`` is the hinge's softplus width.
    delta, eta, batch, lam
        Cluster variance :math:`\Delta > 0`, learning rate :math:`\eta > 0`, batch size per dimension
        :math:`\beta > 0`, weight decay per step :math:`\lambda \ge 0`.
    steps
        Number of steps (>= 1).
    rho, m0, q0
        :math:`P(y = +1)`; initial overlaps (:math:`q_0 > 0`, :math:`q_0 \ge m_0^2`).
    """
    setup = _setup(loss, delta, eta, lam, rho, m0, q0, smoothing)
    beta = as_real_scalar("batch", batch, minimum=0.0, strict_minimum=True)
    steps = as_count("steps", steps, minimum=1)
    m, q = np.full(steps + 1, np.nan), np.full(steps + 1, np.nan)
    m[0], q[0] = setup.m0, setup.q0
    decay, eta = 1.0 - setup.eta * setup.lam, setup.eta
    failure, done = None, steps
    for k in range(steps):
        g_h0, g_h, g_zeta, g2 = _averages(setup, m[k], q[k])
        m_next = decay * m[k] - eta * beta * g_h0
        q_next = (
            decay**2 * q[k]
            - 2.0 * eta * decay * beta * g_h
            + eta**2 * (beta * setup.delta * g2 + beta**2 * (g_h0**2 + g_zeta**2))
        )
        if not (math.isfinite(m_next) and math.isfinite(q_next) and q_next > 0.0):
            failure = f"non-finite or non-positive overlaps after {k + 1} steps (learning rate too large?)"
            done = k
            break
        m[k + 1], q[k + 1] = m_next, q_next
    return _trajectory(beta * np.arange(steps + 1), m, q, setup.delta, done, failure, "steps")


def one_pass_ode(
    loss: str | Loss,
    *,
    delta: float,
    eta: float,
    samples_per_dim: float,
    lam: float = 0.0,
    rho: float = 0.5,
    m0: float = 0.0,
    q0: float = 1.0,
    smoothing: float = 0.0,
    points: int = 101,
    rtol: float = 1e-10,
) -> OnePassTrajectory:
    r"""The :math:`\beta\to0` limit of :func:`one_pass_recursion`: the ODEs of the module docstring in
    :math:`t_{SS}` from 0 to ``samples_per_dim``, reported at ``points`` equally spaced times.

    ``lam`` is the weight decay per sample :math:`\lambda_{SS}` (the recursion's :math:`\lambda = \beta
    \lambda_{SS}`); the other parameters are those of :func:`one_pass_recursion`. Integrated with scipy's
    RK45 at relative tolerance ``rtol`` (absolute ``rtol * 1e-2``).
    """
    setup = _setup(loss, delta, eta, lam, rho, m0, q0, smoothing)
    horizon = as_real_scalar("samples_per_dim", samples_per_dim, minimum=0.0, strict_minimum=True)
    points = as_count("points", points, minimum=2)
    rtol = as_real_scalar("rtol", rtol, minimum=1e-13, maximum=1e-2)
    eta, lam, calls = setup.eta, setup.lam, [0]

    def rhs(_: float, state: np.ndarray) -> np.ndarray:
        calls[0] += 1
        m, q = state
        if not (np.isfinite(state).all() and q > 0.0):
            return np.full(2, np.nan)
        g_h0, g_h, _, g2 = _averages(setup, m, q)
        return np.array([-eta * (lam * m + g_h0), -2.0 * eta * (lam * q + g_h) + eta**2 * setup.delta * g2])

    times = np.linspace(0.0, horizon, points)
    solution = solve_ivp(rhs, (0.0, horizon), [setup.m0, setup.q0], t_eval=times, rtol=rtol, atol=rtol * 1e-2)
    m, q = np.full(points, np.nan), np.full(points, np.nan)
    reached = solution.y.shape[1]
    m[:reached], q[:reached] = solution.y
    ok = solution.success and reached == points and bool(np.isfinite(solution.y).all())
    failure = None if ok else f"integration failed ({solution.message})"
    return _trajectory(times, m, q, setup.delta, calls[0], failure, "right-hand-side evaluations")


def simulate_one_pass(
    loss: str | Loss,
    *,
    delta: float,
    eta: float,
    batch: float,
    steps: int,
    d: int,
    seeds: Iterable[int],
    lam: float = 0.0,
    rho: float = 0.5,
    m0: float = 0.0,
    q0: float = 1.0,
    smoothing: float = 0.0,
) -> OnePassSimulation:
    r"""One-pass SGD at dimension ``d``: each of ``steps`` steps draws a fresh batch of
    :math:`B = \max(1, \mathrm{round}(\beta d))` samples (parameters of :func:`one_pass_recursion`).

    Each seed draws its centre, its initial weights and its batches from streams spawned from it
    (numpy SeedSequence), so a seed gives the same trajectory bit for bit. ``t`` is k B / d. A non-finite
    trajectory sets ``converged`` to False (with a ``RuntimeWarning``) and NaN from there on.
    """
    setup = _setup(loss, delta, eta, lam, rho, m0, q0, smoothing)
    beta = as_real_scalar("batch", batch, minimum=0.0, strict_minimum=True)
    steps, d = as_count("steps", steps, minimum=1), as_count("d", d, minimum=1)
    seeds = [check_seed(seed) for seed in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    size = max(1, round(beta * d))
    m, q = np.full((len(seeds), steps + 1), np.nan), np.full((len(seeds), steps + 1), np.nan)
    done, diverged = 0, []
    for row, seed in enumerate(seeds):
        data_stream, init_stream = np.random.SeedSequence(seed).spawn(2)
        rng = np.random.default_rng(data_stream)
        v = rng.standard_normal(d)
        v *= math.sqrt(d) / np.linalg.norm(v)
        w = initial_weights(np.random.default_rng(init_stream), v, setup.m0, setup.q0)
        with np.errstate(over="ignore", invalid="ignore"):
            for k in range(steps + 1):
                m[row, k], q[row, k] = float(w @ v) / d, float(w @ w) / d
                if not (math.isfinite(m[row, k]) and math.isfinite(q[row, k])):
                    m[row, k] = q[row, k] = np.nan
                    diverged.append(seed)
                    break
                if k == steps:
                    break
                X, y = mixture_batch(rng, v, size, delta=setup.delta, rho=setup.rho)
                _, slope = loss_values(setup.kind, y, batch_fields(X, w), setup.smoothing)
                w = descent_step(w, X, slope, eta=setup.eta, lam=setup.lam)
                done += 1
    if diverged:
        message = f"non-finite weights for seeds {diverged} (learning rate too large?)"
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    else:
        message = f"{len(seeds)} trajectories of {steps} steps of {size} fresh samples, all finite"
    return OnePassSimulation(
        t=size / d * np.arange(steps + 1),
        m=m,
        q=q,
        test_error=mixture_test_error(m, q, setup.delta),
        converged=not diverged,
        iterations=done,
        residual=math.nan,
        message=message,
    )
