r"""Gradient descent, SGD and persistent SGD of a perceptron on sampled two-cluster Gaussian mixtures: the
finite-d simulations that the dynamical mean-field theory is checked against.

Model and conventions of Mignacco, Krzakala, Urbani & Zdeborová (NeurIPS 2020, "Dynamical mean-field theory
for stochastic gradient descent in Gaussian mixture classification"). The data are :math:`n = \mathrm{round}(\alpha d)`
samples :math:`x_\mu = c_\mu v^*/\sqrt d + \sqrt\Delta z_\mu`, :math:`y_\mu = c_\mu = \pm1`
(:func:`statlearn.experiments.mixture.sample_mixture`), kept for the whole run. From
:math:`w_0 = m_0 v^* + w_\perp` (:math:`|w_\perp|^2/d = q_0 - m_0^2`) the step :math:`k = 0, 1, \dots`
(time :math:`t_k = k\eta`) is

.. math:: w_{k+1} = w_k - \eta\Big[\lambda w_k + \sum_\mu s^k_\mu\,\ell'(y_\mu, h^k_\mu)\,x_\mu/\sqrt d\Big],
   \qquad h^k_\mu = w_k\cdot x_\mu/\sqrt d .

The selection :math:`s^k_\mu\in\{0,1\}` has :math:`P(s = 1) = b` (``batch_fraction``). Without persistence it
is drawn afresh every step (SGD; :math:`b = 1` is GD). Persistent SGD with persistence time
:math:`\tau \ge \eta` makes each :math:`s_\mu` a two-state Markov chain: :math:`s^0 \sim` Bernoulli(b), and
each step a 0 becomes 1 with probability :math:`b\eta/\tau`, a 1 becomes 0 with probability
:math:`(1-b)\eta/\tau`; the chain is stationary with lag-one autocorrelation :math:`1 - \eta/\tau`, so
:math:`\tau = \eta` is SGD.

Recorded at every :math:`k = 0..` ``steps``: :math:`m = w\cdot v^*/d`, :math:`q = |w|^2/d`, the exact test
error from (m, q), the training loss (mean of :math:`\ell(y_\mu, h^k_\mu)` over all n samples) and the
training error (fraction of :math:`y_\mu h^k_\mu \le 0`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from statlearn.experiments.mixture import sample_mixture
from statlearn.models.loss_kernels import loss_code, smoothing_for
from statlearn.models.losses import Loss
from statlearn.models.mixture_descent import (
    SeedStatistics,
    check_start,
    initial_weights,
    loss_values,
    mixture_test_error,
)
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import SEED_LIMIT, check_seed
from statlearn.numerics.validation import as_count, as_real_scalar
from statlearn.online.descent_kernel import batch_fields, descent_step
from statlearn.replica.mixture import positive_in_range, rho_in_range

__all__ = ["DynamicsInstance", "DynamicsSimulation", "dynamics_instance", "selection_masks", "simulate_dynamics"]

OBSERVABLES = ("m", "q", "test_error", "train_loss", "train_error")


@dataclass(frozen=True)
class DynamicsInstance:
    """What one seed draws: the data ``X`` (n, d), ``y`` (n,), the centre ``v`` (d,), the initial weights
    ``w0`` (d,) and the selection ``masks`` (steps, n) (``None`` for GD, b = 1); read-only arrays."""

    X: np.ndarray
    y: np.ndarray
    v: np.ndarray
    w0: np.ndarray
    masks: np.ndarray | None

    def __post_init__(self) -> None:
        freeze_arrays(self)


@dataclass(frozen=True)
class DynamicsSimulation(SeedStatistics):
    """Trajectories of (S)GD over seeds (read-only arrays).

    ``t`` (steps + 1,) holds :math:`t_k = k\\eta`; ``m``, ``q``, ``test_error``, ``train_loss``,
    ``train_error`` have shape (n_seeds, steps + 1), one row per seed in the order given. ``iterations`` counts
    the gradient steps done over all seeds; ``residual`` is NaN (no equation is solved); ``converged`` is
    False if a trajectory became non-finite (its remaining entries are NaN).
    """

    observables = OBSERVABLES
    t: np.ndarray
    m: np.ndarray
    q: np.ndarray
    test_error: np.ndarray
    train_loss: np.ndarray
    train_error: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


@dataclass(frozen=True)
class _Draw:
    """Validated parameters of what a seed draws (n samples, selections for ``steps`` steps)."""

    n: int
    d: int
    delta: float
    rho: float
    m0: float
    q0: float
    steps: int
    eta: float
    batch_fraction: float
    flip_rate: float  # eta / tau, 1 without persistence


def _draw(
    alpha: float,
    delta: float,
    d: int,
    steps: int,
    eta: float,
    batch_fraction: float,
    persistence: float | None,
    rho: float,
    m0: float,
    q0: float,
) -> _Draw:
    alpha, delta, rho = positive_in_range("alpha", alpha), positive_in_range("delta", delta), rho_in_range(rho)
    d, steps = as_count("d", d, minimum=1), as_count("steps", steps, minimum=1)
    eta = as_real_scalar("eta", eta, minimum=0.0, strict_minimum=True)
    b = as_real_scalar("batch_fraction", batch_fraction, minimum=0.0, strict_minimum=True, maximum=1.0)
    flip_rate = 1.0
    if persistence is not None:
        tau = as_real_scalar("persistence", persistence)
        if tau < eta:
            raise ValueError(f"persistence must be >= eta = {eta!r}, got {tau!r}")
        flip_rate = eta / tau
    m0, q0 = check_start(m0, q0)
    return _Draw(max(1, round(alpha * d)), d, delta, rho, m0, q0, steps, eta, b, flip_rate)


def selection_masks(
    rng: np.random.Generator, n: int, steps: int, *, batch_fraction: float, flip_rate: float
) -> np.ndarray | None:
    r"""The selections :math:`s^k_\mu`, k < ``steps``, as a boolean array (steps, n) (module docstring), or
    ``None`` when ``batch_fraction`` is 1 (GD: no random number is drawn). ``flip_rate`` is
    :math:`\eta/\tau \in (0, 1]` (1: fresh selections every step); inputs unchecked."""
    b = batch_fraction
    if b == 1.0:
        return None
    up = np.array([b * flip_rate, 1.0 - (1.0 - b) * flip_rate])  # P(s' = 1 | s = 0), P(s' = 1 | s = 1)
    masks = np.empty((steps, n), dtype=bool)
    masks[0] = rng.random(n) < b
    for k in range(1, steps):
        masks[k] = rng.random(n) < up[masks[k - 1].astype(np.intp)]
    return masks


def _streams(seed: int) -> tuple[int, np.random.Generator, np.random.Generator]:
    """Independent streams of one seed (numpy SeedSequence.spawn): the data's integer seed, the initial
    weights' generator, the selections' generator."""
    data, init, masks = np.random.SeedSequence(seed).spawn(3)
    data_seed = int(data.generate_state(1, np.uint64)[0]) % SEED_LIMIT
    return data_seed, np.random.default_rng(init), np.random.default_rng(masks)


def dynamics_instance(
    seed: int,
    *,
    alpha: float,
    delta: float,
    d: int,
    steps: int,
    eta: float,
    batch_fraction: float = 1.0,
    persistence: float | None = None,
    rho: float = 0.5,
    m0: float = 0.0,
    q0: float = 1.0,
) -> DynamicsInstance:
    """The data, initial weights and selections that :func:`simulate_dynamics` uses for ``seed`` (the same
    arrays, bit for bit)."""
    draw = _draw(alpha, delta, d, steps, eta, batch_fraction, persistence, rho, m0, q0)
    return _instance(check_seed(seed), draw)


def _instance(seed: int, draw: _Draw) -> DynamicsInstance:
    data_seed, init_rng, mask_rng = _streams(seed)
    X, y, v = sample_mixture(draw.n, draw.d, delta=draw.delta, rho=draw.rho, seed=data_seed)
    w0 = initial_weights(init_rng, v, draw.m0, draw.q0)
    masks = selection_masks(mask_rng, draw.n, draw.steps, batch_fraction=draw.batch_fraction, flip_rate=draw.flip_rate)
    return DynamicsInstance(X, y, v, w0, masks)


def _trajectory(
    instance: DynamicsInstance, kind: int, smoothing: float, eta: float, lam: float, steps: int
) -> tuple[np.ndarray, int]:
    """Rows (m, q, train_loss, train_error) at k = 0..steps, NaN after a non-finite state; and the steps done."""
    X, y, v = instance.X, instance.y, instance.v
    d = v.shape[0]
    rows = np.full((4, steps + 1), np.nan)
    w = np.array(instance.w0)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps + 1):
            h = batch_fields(X, w)
            m, q = float(w @ v) / d, float(w @ w) / d
            if not (math.isfinite(m) and math.isfinite(q) and np.all(np.isfinite(h))):
                return rows, k
            value, slope = loss_values(kind, y, h, smoothing)
            rows[:, k] = m, q, value.mean(), np.mean(y * h <= 0.0)
            if k < steps:
                mask = None if instance.masks is None else instance.masks[k]
                w = descent_step(w, X, slope, eta=eta, lam=lam, mask=mask)
    return rows, steps


def simulate_dynamics(
    loss: str | Loss,
    *,
    alpha: float,
    delta: float,
    lam: float,
    eta: float,
    steps: int,
    d: int,
    seeds: Iterable[int],
    batch_fraction: float = 1.0,
    persistence: float | None = None,
    rho: float = 0.5,
    m0: float = 0.0,
    q0: float = 1.0,
    smoothing: float = 0.0,
) -> DynamicsSimulation:
    r"""Run GD, SGD or persistent SGD (module docstring) on one sampled mixture per seed.

    Parameters
    ----------
    loss
        ``"square"``, ``"logistic"`` or ``"hinge"`` (:func:`statlearn.models.loss_kernels.loss_code`).
    alpha, delta, lam, eta
        Samples per dimension :math:`n/d`, cluster variance :math:`\Delta > 0`, weight decay
        :math:`\lambda \ge 0`, learning rate :math:`\eta > 0`.
    steps, d
        Number of gradient steps (>= 1) and dimension (>= 1).
    seeds
        Integer seeds; each one draws fresh data, centre, initial weights and selections from independent
        streams spawned from it (:func:`dynamics_instance`), so a seed gives the same trajectory bit for bit.
    batch_fraction, persistence
        :math:`b \in (0, 1]` and the persistence time :math:`\tau \ge \eta` (``None``: fresh selections each
        step, which is :math:`\tau = \eta`).
    rho, m0, q0
        :math:`P(y = +1)`; initial overlaps, :math:`q_0 > 0`, :math:`q_0 \ge m_0^2`.
    smoothing
        Softplus width of the hinge (0: exact hinge with its subgradient); ignored by the other losses.

    Returns
    -------
    DynamicsSimulation
        A non-finite trajectory sets ``converged`` to False and emits a ``RuntimeWarning``.
    """
    kind = loss_code(loss)
    smoothing = smoothing_for(loss, smoothing)
    lam = as_real_scalar("lam", lam, minimum=0.0)
    draw = _draw(alpha, delta, d, steps, eta, batch_fraction, persistence, rho, m0, q0)
    steps = draw.steps
    seeds = [check_seed(seed) for seed in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    trajectories, done, diverged = [], 0, []
    for seed in seeds:
        rows, steps_done = _trajectory(_instance(seed, draw), kind, smoothing, draw.eta, lam, steps)
        trajectories.append(rows)
        done += steps_done
        if steps_done < steps or not np.all(np.isfinite(rows)):
            diverged.append(seed)
    m, q, train_loss, train_error = np.stack(trajectories, axis=1)
    converged = not diverged
    if converged:
        message = f"{len(seeds)} trajectories of {steps} steps, all finite"
    else:
        message = f"non-finite weights or fields for seeds {diverged} (learning rate too large?)"
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    return DynamicsSimulation(
        t=draw.eta * np.arange(steps + 1),
        m=m,
        q=q,
        test_error=mixture_test_error(m, q, draw.delta),
        train_loss=train_loss,
        train_error=train_error,
        converged=converged,
        iterations=done,
        residual=math.nan,
        message=message,
    )
