r"""Training an RBM by contrastive divergence (CD-k), persistent contrastive divergence (PCD) or the TAP free energy.

The gradient of the mean log-likelihood is :math:`\partial_W \langle \log p(v) \rangle = \langle v\,\bar h(v)
\rangle_{\rm data} - \langle v h \rangle_{\rm model}` (likewise for the biases, :math:`\bar h(v) = E[h \mid v]`).
CD-k (Hinton, Neural Comput. 14, 1771 (2002)) estimates the model term from k block-Gibbs sweeps started at the
minibatch; PCD (Tieleman, ICML 2008) from persistent chains (one per minibatch row, started at random data rows)
that advance k sweeps per update, their state kept as the hidden units drawn at the end of the last update. The negative phase uses :math:`\bar h` at the chains' last visible state.
EMF training (``"tap2"``, ``"tap3"``; Gabrie, Tramel & Krzakala, NeurIPS 2015) replaces the model term by the
gradient of the TAP estimate of :math:`\log Z` (:mod:`statlearn.rbm.tap`) at persistent magnetisations, one per
minibatch row, started at random data rows (hidden: their conditional means) and moved by k damped alternating
sweeps of the TAP equations per update (the paper uses 3).
The update, with momentum :math:`\mu`, learning rate :math:`\eta` and a penalty on the weights only,

.. math:: \Delta \leftarrow \mu \Delta + \eta \left(g - \lambda\, \partial R(W)\right), \qquad
    R = 0,\quad \tfrac12 \|W\|_2^2 \ (\text{``l2''}),\quad \|W\|_1 \ (\text{``l1''}, \partial R = \mathrm{sign}\, W),

is BLAS matrix products on float64 arrays, seeded by one generator (minibatch order, chains, draws): the same
seed and data give the same parameters bit for bit on the same machine. A non-finite parameter stops the
training with a :class:`~statlearn.numerics.ConvergenceWarning`, keeping the parameters of the last complete
epoch (also the last checkpoint written).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, as_real_scalar, brief
from statlearn.rbm.tap import DAMPING, TAP_METHODS, machine_gradient, tap_sweep
from statlearn.rbm.units import MAX_ENUMERATED, MAX_PARAMETER, check_machine, spin_parameters

__all__ = ["METHODS", "MONITORS", "PENALTIES", "TrainingHistory", "check_penalty", "train"]

METHODS = ("cd", "pcd", "tap2", "tap3")
PENALTIES = (None, "l1", "l2")
MONITORS = ("pseudo_likelihood", "reconstruction_error", "log_likelihood")
MONITOR_SAMPLES = 1000
"""The data rows (a fixed random subset) on which the pseudo-likelihood and reconstruction error are monitored."""


@dataclass(frozen=True)
class TrainingHistory:
    """Per-epoch monitors of :func:`train` (an empty array for a monitor not asked for).

    ``pseudo_likelihood``: mean log pseudo-likelihood per sample (every site when n_visible <= 100, else one
    random site per sample scaled by n_visible, as scikit-learn does); ``reconstruction_error``: mean-field
    squared error per unit; ``log_likelihood``: exact mean log-likelihood (enumeration); all on a fixed subset of
    at most :data:`MONITOR_SAMPLES` data rows (the log-likelihood on all rows). ``iterations`` counts completed
    epochs, ``updates`` parameter updates.
    """

    epochs: np.ndarray
    pseudo_likelihood: np.ndarray
    reconstruction_error: np.ndarray
    log_likelihood: np.ndarray
    seconds: np.ndarray
    method: str
    k: int
    updates: int
    converged: bool
    message: str
    residual: float = float("nan")
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def iterations(self) -> int:
        return int(len(self.epochs))

    def rows(self) -> dict[str, list[float]]:
        """The history as columns (for CSV/JSON): epoch, seconds and every monitored quantity."""
        out: dict[str, list[float]] = {"epoch": self.epochs.tolist(), "seconds": self.seconds.tolist()}
        for name in MONITORS:
            values = getattr(self, name)
            if len(values):
                out[name] = values.tolist()
        return out


def check_penalty(penalty: object) -> str | None:
    """``penalty`` if it is None, ``"none"`` (as None), ``"l1"`` or ``"l2"``; an error naming it otherwise."""
    if penalty is None:
        return None
    if not isinstance(penalty, str):
        raise TypeError(f"penalty must be None, 'l1' or 'l2', got {brief(penalty)}")
    if penalty == "none":
        return None
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be None, 'l1' or 'l2', got {penalty!r}")
    return penalty


def _check_monitor(monitor: object) -> tuple[str, ...]:
    if isinstance(monitor, str):
        monitor = (monitor,)
    if not isinstance(monitor, Sequence) or not all(isinstance(m, str) for m in monitor):
        raise TypeError(f"monitor must be a sequence of names from {MONITORS}, got {brief(monitor)}")
    unknown = [m for m in monitor if m not in MONITORS]
    if unknown:
        raise ValueError(f"monitor: unknown quantity {unknown[0]!r}; known: {', '.join(MONITORS)}")
    return tuple(monitor)


def _contrastive_steps(
    rbm: Any,
    v_data: np.ndarray,
    h_data: np.ndarray,
    field_data: np.ndarray,
    chains: np.ndarray | None,
    k: int,
    eta: float,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """eta times the CD-k (``chains`` None) or PCD gradient of (W, b_v, b_h); for PCD, the chains' new state
    appended as a fourth item."""
    h = rbm.draw(field_data, rng) if chains is None else chains
    for step in range(k):
        v_model = rbm.draw(rbm.visible_field(h), rng)
        field_model = rbm.hidden_field(v_model)
        if step < k - 1:
            h = rbm.draw(field_model, rng)
    h_model = rbm.mean(field_model)
    step_data, step_model = eta / v_data.shape[0], eta / v_model.shape[0]
    # eta times the weight gradient as one matrix product: [v_data; v_model]^T [h_data; -h_model]
    both_h = np.concatenate([step_data * h_data, -step_model * h_model])
    steps = [
        np.concatenate([v_data, v_model]).T @ both_h,
        step_data * v_data.sum(axis=0) - step_model * v_model.sum(axis=0),
        both_h.sum(axis=0),
    ]
    if chains is not None:
        steps.append(rbm.draw(field_model, rng))
    return steps


def _emf_steps(
    rbm: Any, v_data: np.ndarray, h_data: np.ndarray, magnetisations: np.ndarray, order: int, k: int, eta: float
) -> list[np.ndarray]:
    """eta times the EMF gradient of (W, b_v, b_h): data term minus the TAP gradient at the persistent
    magnetisations, which first move by k damped alternating sweeps (in place)."""
    J, a, c, _ = spin_parameters(rbm)
    for _ in range(k):
        magnetisations += DAMPING * (tap_sweep(J, a, c, magnetisations, order) - magnetisations)
    n_v = rbm.n_visible
    model = machine_gradient(rbm, magnetisations[:, :n_v], magnetisations[:, n_v:], order)
    step_data = eta / v_data.shape[0]
    return [
        step_data * (v_data.T @ h_data) - eta * model[0],
        step_data * v_data.sum(axis=0) - eta * model[1],
        step_data * h_data.sum(axis=0) - eta * model[2],
    ]


def train(
    rbm: Any,
    data: ArrayLike,
    *,
    method: str = "cd",
    k: int = 1,
    penalty: str | None = None,
    strength: float = 0.0,
    learning_rate: float = 0.01,
    momentum: float = 0.5,
    batch_size: int | None = None,
    epochs: int = 10,
    seed: Any = 0,
    monitor: Sequence[str] = ("pseudo_likelihood", "reconstruction_error"),
    callback: Callable[[int, Any], None] | None = None,
    checkpoint: str | None = None,
    progress: bool = False,
) -> TrainingHistory:
    """Train ``rbm`` in place on ``data`` by CD-k or PCD with minibatches (module docstring).

    Parameters
    ----------
    data
        (n_samples, n_visible), binary in the machine's convention.
    method, k
        ``"cd"``, ``"pcd"``, ``"tap2"`` or ``"tap3"``; k Gibbs sweeps (TAP: damped fixed-point sweeps) per
        update (>= 1).
    penalty, strength
        ``None``/``"none"``, ``"l1"`` or ``"l2"`` on the weights, with coefficient ``strength`` >= 0.
    learning_rate, momentum, batch_size, epochs, seed
        Step :math:`\\eta > 0`, momentum in [0, 1), rows per update (default: 100, or all rows if fewer),
        passes over the data, seed or Generator.
    monitor
        Names from :data:`MONITORS` measured after every epoch (``"log_likelihood"`` is exact: small machines).
    callback
        Called as ``callback(epoch, rbm)`` after every epoch (e.g. an AIS estimate).
    checkpoint
        A directory where the parameters are saved (:meth:`RBM.save`) after every good epoch.
    progress
        Show a progress bar over the epochs.

    Returns
    -------
    TrainingHistory
        ``converged`` is False (with a warning) if the parameters became non-finite.
    """
    check_machine(rbm)
    v_all = rbm.check_data(data)
    if not isinstance(method, str):
        raise TypeError(f"method must be one of {', '.join(METHODS)}, got {brief(method)}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    k = as_count("k", k, minimum=1, maximum=10**4)
    penalty = check_penalty(penalty)
    strength = as_real_scalar("strength", strength, minimum=0.0, maximum=1e6)
    eta = as_real_scalar("learning_rate", learning_rate, minimum=0.0, strict_minimum=True, maximum=1e6)
    mu = as_real_scalar("momentum", momentum, minimum=0.0)
    if mu >= 1.0:
        raise ValueError(f"momentum must be in [0, 1), got {mu!r}")
    n = v_all.shape[0]
    batch = min(100, n) if batch_size is None else as_count("batch_size", batch_size, minimum=1, maximum=n)
    n_epochs = as_count("epochs", epochs, minimum=1, maximum=10**6)
    monitors = _check_monitor(monitor)
    if "log_likelihood" in monitors:
        if min(rbm.n_visible, rbm.n_hidden) > MAX_ENUMERATED:
            raise ValueError(
                f"monitor 'log_likelihood' is exact: the smaller layer must have <= {MAX_ENUMERATED} units"
            )
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {brief(callback)}")
    rng = as_generator(seed)

    subset = v_all[np.sort(rng.permutation(n)[: min(n, MONITOR_SAMPLES)])]
    sites = None if rbm.n_visible <= 100 else 1
    # PCD's persistent state: the chains' hidden units, drawn at the end of each update (as scikit-learn keeps them)
    chains = rbm.draw(rbm.hidden_field(v_all[rng.integers(n, size=batch)]), rng) if method == "pcd" else None
    # EMF's persistent state: +-1 magnetisations [m, mu] of both layers, one row per minibatch row
    tap_order = TAP_METHODS.get(method, 0)
    if tap_order:
        v_start = v_all[rng.integers(n, size=batch)]
        magnetisations = (
            2.0 * (np.concatenate([v_start, rbm.mean(rbm.hidden_field(v_start))], axis=1) - rbm.low) / (1.0 - rbm.low)
            - 1.0
        )
    velocity = [np.zeros_like(rbm.W), np.zeros_like(rbm.b_visible), np.zeros_like(rbm.b_hidden)]
    good = rbm.copy()
    values: dict[str, list[float]] = {m: [] for m in MONITORS}
    seconds: list[float] = []
    updates = 0
    message = f"trained {n_epochs} epochs of {method.upper()}-{k}"
    converged = True
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_epochs, unit="epoch", desc=f"{method.upper()}-{k}")
    try:
        for epoch in range(1, n_epochs + 1):
            start = time.perf_counter()
            order = rng.permutation(n)
            with np.errstate(over="ignore", invalid="ignore"):
                for first in range(0, n, batch):
                    v_data = v_all[order[first : first + batch]]
                    field_data = rbm.hidden_field(v_data)
                    h_data = rbm.mean(field_data)
                    if tap_order:
                        steps = _emf_steps(rbm, v_data, h_data, magnetisations, tap_order, k, eta)
                    else:
                        steps = _contrastive_steps(rbm, v_data, h_data, field_data, chains, k, eta, rng)
                        if chains is not None:
                            chains = steps.pop()
                    if penalty == "l2":
                        steps[0] -= (eta * strength) * rbm.W
                    elif penalty == "l1":
                        steps[0] -= (eta * strength) * np.sign(rbm.W)
                    for velocity_i, step_i in zip(velocity, steps):
                        velocity_i *= mu
                        velocity_i += step_i
                    rbm.W += velocity[0]
                    rbm.b_visible += velocity[1]
                    rbm.b_hidden += velocity[2]
                    updates += 1
                finite = all(np.abs(x).max() <= MAX_PARAMETER for x in (rbm.W, rbm.b_visible, rbm.b_hidden))
            if not finite:
                rbm.W, rbm.b_visible, rbm.b_hidden = good.W, good.b_visible, good.b_hidden
                converged = False
                message = (
                    f"training diverged in epoch {epoch}: the parameters became non-finite or exceeded {MAX_PARAMETER:g} (lower learning_rate or "
                    f"strength: eta * strength must stay below 2 for 'l2'); kept the parameters of epoch {epoch - 1}"
                )
                warnings.warn(message, ConvergenceWarning, stacklevel=3)
                break
            good = rbm.copy()
            seconds.append(time.perf_counter() - start)
            if "pseudo_likelihood" in monitors:
                values["pseudo_likelihood"].append(rbm.pseudo_likelihood(subset, n_sites=sites, seed=epoch))
            if "reconstruction_error" in monitors:
                values["reconstruction_error"].append(rbm.reconstruction_error(subset))
            if "log_likelihood" in monitors:
                values["log_likelihood"].append(rbm.log_likelihood(v_all))
            if checkpoint is not None:
                try:
                    rbm.save(checkpoint)
                except OSError as exc:
                    raise ValueError(f"checkpoint: cannot write {checkpoint!r}: {exc.strerror or exc}") from None
            if callback is not None:
                callback(epoch, rbm)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return TrainingHistory(
        epochs=np.arange(1, len(seconds) + 1),
        pseudo_likelihood=np.asarray(values["pseudo_likelihood"]),
        reconstruction_error=np.asarray(values["reconstruction_error"]),
        log_likelihood=np.asarray(values["log_likelihood"]),
        seconds=np.asarray(seconds),
        method=method,
        k=k,
        updates=updates,
        converged=converged,
        message=message,
        settings={
            "method": method,
            "k": k,
            "penalty": penalty,
            "strength": strength,
            "learning_rate": eta,
            "momentum": mu,
            "batch_size": batch,
            "epochs": n_epochs,
            "spins": rbm.spins,
        },
    )
