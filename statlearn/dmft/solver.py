r"""Dynamical mean-field theory of (S)GD on the two-cluster Gaussian mixture, by a causal population scheme.

The model (Mignacco, Krzakala, Urbani & Zdeborová, NeurIPS 2020, "Dynamical mean-field theory for stochastic
gradient descent in Gaussian mixture classification"): data :math:`x_\mu = c_\mu v^*/\sqrt d +
\sqrt\Delta\,z_\mu`, labels :math:`y_\mu = c_\mu = \pm1` with :math:`P(+1)=\rho`, :math:`n = \alpha d`,
field :math:`h_\mu = w\cdot x_\mu/\sqrt d`, and the discrete dynamics

.. math::
    w_{k+1} = w_k - \eta\Big[\lambda w_k + \sum_\mu s^k_\mu\,\ell'(y_\mu, h^k_\mu)\,\frac{x_\mu}{\sqrt d}\Big],

with :math:`s^k_\mu\in\{0, 1\}` selecting the mini-batch: i.i.d. with :math:`P(s = 1) = b` (SGD with batch
fraction :math:`b`; :math:`b = 1` is gradient descent), or, for *persistent* SGD with persistence time
:math:`\tau\ge\eta`, a two-state Markov chain per sample that switches on with probability :math:`b\eta/\tau`
and off with probability :math:`(1-b)\eta/\tau` per step (stationary :math:`P(s=1) = b`, correlation time
:math:`\tau`; :math:`\tau = \eta` is i.i.d. SGD). Time is :math:`t = k\eta`; :math:`\eta\to0` at fixed
:math:`t` is gradient flow (or the stochastic gradient flow at fixed :math:`\tau`).

As :math:`d\to\infty` the overlaps :math:`m = w\cdot v^*/d` and :math:`q = |w|^2/d` become deterministic and
a sample's field follows an effective single-sample process driven by a Gaussian noise and memory kernels,
closed self-consistently by population averages (``docs/dmft.md`` derives it; the same structure is in
Agoritsas, Biroli, Urbani & Zamponi, J. Phys. A 51, 085002 (2018), and in the algebraic form of Celentano,
Cheng & Montanari, arXiv 2112.07572; Gerbelot, Troiani, Mignacco, Krzakala & Zdeborová, arXiv 2210.06591
prove it for SGD). Every quantity at step :math:`k` depends on steps :math:`\le k` only, so
:func:`solve` integrates it *causally*: a population of :math:`N` processes is advanced step by step, each
step's kernels estimated from the population at that step, with no fixed-point iteration (the usual damped
iteration of whole trajectories diverges at long horizons). The cost is dominated by the per-sample
response, :math:`O(NT^3/3)` operations and :math:`8NT^2/2` bytes.

**Statistical error.** The population averages carry a sampling error that the causal scheme propagates
(and that grows with time). :func:`solve` runs ``replicas`` independent populations of
``n_samples // replicas`` processes and returns their mean, with the standard error from their spread; the
finite-population bias is :math:`O(\text{replicas}/N)`, far below that error at the sizes used here.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from statlearn.dmft.kernels import advance_processes, cholesky_row, deterministic_step, population_step
from statlearn.models.loss_kernels import loss_code, smoothing_for
from statlearn.models.losses import Loss, get_loss
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import check_seed
from statlearn.numerics.special import H
from statlearn.numerics.validation import as_count, as_real_scalar
from statlearn.sweep import CheckpointWarning, bars_hidden

__all__ = ["DMFTProblem", "DMFTTrajectory", "build_trajectory", "check_problem", "memory_bytes", "solve"]

DEFAULT_MEMORY_LIMIT = 4 * 2**30
"""Largest working set :func:`solve` allocates unless told otherwise (bytes)."""

DIVERGENCE = 1e12
r"""A run whose :math:`q` exceeds this multiple of :math:`\max(1, q_0)` has diverged."""

_OBSERVABLES = ("m", "q", "test_error", "train_loss", "train_error")


@dataclass(frozen=True)
class DMFTProblem:
    """The validated parameters of one DMFT run (see :func:`solve` for their meaning)."""

    loss: str
    alpha: float
    delta: float
    lam: float
    eta: float
    steps: int
    batch_fraction: float
    persistence: float
    rho: float
    m0: float
    q0: float
    smoothing: float

    @property
    def kind(self) -> int:
        """The compiled loss code."""
        return loss_code(self.loss)

    def switch_rates(self) -> tuple[float, float]:
        """Per-step probabilities that a sample's selection switches on and off (persistent SGD)."""
        ratio = self.eta / self.persistence
        return self.batch_fraction * ratio, (1.0 - self.batch_fraction) * ratio

    def test_error(self, m: np.ndarray, q: np.ndarray) -> np.ndarray:
        r"""Exact generalisation error of a weight with overlaps :math:`(m, q)`: :math:`H(m/\sqrt{\Delta q})`
        for both clusters (no bias)."""
        return np.asarray(H(m / np.sqrt(np.maximum(self.delta * q, 1e-300))), dtype=float)


@dataclass(frozen=True)
class DMFTTrajectory:
    r"""Observables of the DMFT against time :math:`t = k\eta`, :math:`k = 0..T`.

    ``m``, ``q``, ``test_error``, ``train_loss``, ``train_error`` are means over the independent
    populations (replicas) and the ``*_err`` fields their standard errors (``nan`` with one replica);
    ``replica_values`` holds every replica's curves, shape ``(replicas, 5, T + 1)`` in that order.
    ``memory_kernel`` (:math:`K_{kj}`, lower-triangular, :math:`K_{kk}` the instantaneous friction),
    ``noise_covariance`` (:math:`M_C`) and ``propagator`` (:math:`R_w`) are the replicas' means.
    ``iterations`` counts steps times replicas; ``residual`` is ``nan`` (nothing is solved iteratively).
    """

    problem: DMFTProblem
    t: np.ndarray
    m: np.ndarray
    q: np.ndarray
    test_error: np.ndarray
    train_loss: np.ndarray
    train_error: np.ndarray
    m_err: np.ndarray
    q_err: np.ndarray
    test_error_err: np.ndarray
    train_loss_err: np.ndarray
    train_error_err: np.ndarray
    replica_values: np.ndarray
    memory_kernel: np.ndarray
    noise_covariance: np.ndarray
    propagator: np.ndarray
    n_samples: int
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def table(self) -> dict[str, np.ndarray]:
        """Columns ``t``, every observable and its ``*_err`` (for CSV output)."""
        columns = {"t": self.t}
        for name in _OBSERVABLES:
            columns[name] = getattr(self, name)
            columns[f"{name}_err"] = getattr(self, f"{name}_err")
        return columns


def memory_bytes(n_samples: int, steps: int) -> int:
    """Bytes :func:`solve` allocates for ``n_samples`` processes over ``steps`` steps (all replicas run one
    after the other, so this is for the largest replica: pass ``n_samples // replicas``)."""
    per_sample = steps * (steps + 1) // 2 + 3 * steps + 4
    return 8 * (n_samples * per_sample + 5 * (steps + 1) ** 2)


def _run_population(
    problem: DMFTProblem, n: int, seed_sequence: np.random.SeedSequence, bar: tqdm
) -> dict[str, np.ndarray]:
    """One population of ``n`` processes integrated over the horizon (the algorithm of the module docstring)."""
    p, T = problem, problem.steps
    rng = np.random.default_rng(seed_sequence)
    y = np.where(rng.random(n) < p.rho, 1.0, -1.0)
    h0 = y + math.sqrt(p.delta) * rng.standard_normal(n)
    q_perp0 = p.q0 - p.m0**2
    phi = np.zeros((n, T + 1))
    phi[:, 0] = math.sqrt(q_perp0) * rng.standard_normal(n)
    g = np.zeros((n, T))
    zeta = np.zeros((n, T))
    gamma = np.zeros((n, T * (T + 1) // 2))
    kernel = np.zeros((T, T))
    covariance = np.zeros((T, T))
    factor = np.zeros((T, T))
    rw = np.zeros((T + 1, T))
    r0 = np.zeros(T + 1)
    r0[0] = 1.0
    m = np.zeros(T + 1)
    q = np.zeros(T + 1)
    m[0], q[0] = p.m0, p.q0
    loss = np.zeros(T + 1)
    errors = np.zeros(T + 1)
    on, off = p.switch_rates()
    mask = (rng.random(n) < p.batch_fraction).astype(float)
    empty = np.zeros((n, 0))
    for k in range(T + 1):  # a diverging run overflows to inf/nan: reported once by build_trajectory
        last = k == T
        sums = population_step(
            k, p.kind, p.smoothing, m[k], p.delta, p.eta, h0, y, phi, mask, rw[k], empty if last else gamma, g
        )
        loss[k], errors[k] = sums[0] / n, sums[1] / n
        if last:
            break
        drift = p.alpha * sums[2] / n
        covariance[k, : k + 1] = p.alpha * sums[3 : 4 + k] / n
        covariance[: k + 1, k] = covariance[k, : k + 1]
        kernel[k, : k + 1] = p.alpha * sums[4 + k : 5 + 2 * k] / n
        cholesky_row(k, covariance, factor)
        zeta[:, k] = rng.standard_normal(n)
        advance_processes(k, p.lam, p.delta, p.eta, kernel[k], factor[k], zeta, phi, g)
        deterministic_step(k, p.lam, p.delta, p.eta, kernel, rw, r0)
        m[k + 1] = m[k] - p.eta * (p.lam * m[k] + drift)
        row = rw[k + 1, : k + 1]
        q[k + 1] = (
            m[k + 1] ** 2 + q_perp0 * r0[k + 1] ** 2 + p.eta**2 * p.delta * row @ covariance[: k + 1, : k + 1] @ row
        )
        u = rng.random(n)
        mask = np.where(mask > 0.5, (u >= off).astype(float), (u < on).astype(float))
        bar.update(1)
    values = np.array([m, q, problem.test_error(m, q), loss, errors])
    return {"values": values, "kernel": kernel, "covariance": covariance, "propagator": rw}


def check_problem(
    loss: str | Loss,
    alpha: float,
    delta: float,
    lam: float,
    eta: float,
    steps: int,
    batch_fraction: float,
    persistence: float | None,
    rho: float,
    m0: float,
    q0: float,
    smoothing: float,
) -> DMFTProblem:
    """Validate the parameters of :func:`solve` (errors name the parameter)."""
    name = get_loss(loss).name
    loss_code(name)
    alpha = as_real_scalar("alpha", alpha, minimum=0.0, strict_minimum=True)
    delta = as_real_scalar("delta", delta, minimum=0.0, strict_minimum=True)
    lam = as_real_scalar("lam", lam, minimum=0.0)
    eta = as_real_scalar("eta", eta, minimum=0.0, strict_minimum=True)
    steps = as_count("steps", steps, minimum=1)
    b = as_real_scalar("batch_fraction", batch_fraction, minimum=0.0, strict_minimum=True)
    if b > 1.0:
        raise ValueError(f"batch_fraction must be in (0, 1], got {b}")
    tau = eta if persistence is None else as_real_scalar("persistence", persistence, minimum=0.0, strict_minimum=True)
    if tau < eta * (1 - 1e-12):
        raise ValueError(
            f"persistence must be >= eta = {eta} (a selection cannot switch more than once per step), got {tau}"
        )
    rho = as_real_scalar("rho", rho, minimum=0.0, strict_minimum=True)
    if rho >= 1.0:
        raise ValueError(f"rho must be in (0, 1), got {rho}")
    m0 = as_real_scalar("m0", m0)
    q0 = as_real_scalar("q0", q0, minimum=0.0)
    if q0 < m0**2:
        raise ValueError(f"q0 must be >= m0**2 = {m0**2} (q0 = |w0|^2/d includes m0^2), got {q0}")
    smoothing = smoothing_for(name, smoothing)
    if name == "hinge" and smoothing == 0.0:
        raise ValueError(
            "smoothing must be > 0 for the hinge: its l'' is a delta function, which the response needs pointwise"
        )
    return DMFTProblem(name, alpha, delta, lam, eta, steps, b, max(tau, eta), rho, m0, q0, smoothing)


def solve(
    loss: str | Loss,
    *,
    alpha: float,
    delta: float,
    lam: float,
    eta: float,
    steps: int,
    batch_fraction: float = 1.0,
    persistence: float | None = None,
    n_samples: int = 20_000,
    seed: int,
    replicas: int = 4,
    rho: float = 0.5,
    m0: float = 0.0,
    q0: float = 1.0,
    smoothing: float = 0.05,
    memory_limit: int = DEFAULT_MEMORY_LIMIT,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> DMFTTrajectory:
    r"""Integrate the DMFT of (S)GD on the Gaussian mixture over ``steps`` steps (module docstring).

    Parameters
    ----------
    loss : ``"square"``, ``"logistic"`` or ``"hinge"`` (a :class:`~statlearn.models.losses.Loss` of those
        types). The hinge's :math:`\ell''` is a delta function, which the response needs pointwise: it is
        replaced by its softplus smoothing of width ``smoothing``
        (:mod:`statlearn.models.loss_kernels`); compare with simulations of the same smoothed loss.
    alpha, delta : samples per dimension :math:`n/d > 0` and cluster variance :math:`\Delta > 0`.
    lam : ridge penalty :math:`\lambda \ge 0` (the penalty is :math:`\tfrac\lambda2|w|^2`).
    eta : step :math:`\eta > 0`; time is :math:`t = k\eta`.
    steps : number of steps :math:`T \ge 1` (observables at :math:`k = 0..T`).
    batch_fraction : :math:`b\in(0, 1]`, the probability that a sample is in a step's mini-batch.
    persistence : :math:`\tau \ge \eta` for persistent SGD; ``None`` (or :math:`\eta`) for i.i.d. selection.
    n_samples : total number of processes :math:`N`, split evenly over ``replicas`` independent populations.
    seed : integer seed; the same seed gives the same result bit for bit.
    rho : :math:`P(y = +1)`; m0, q0 : initial :math:`m` and :math:`q` (:math:`q_0\ge m_0^2`).
    memory_limit : bytes; a run that would need more is refused before anything is allocated.
    checkpoint : a directory; every finished replica is saved there, and a rerun with the same
        parameters loads the finished ones instead of recomputing them.
    progress : show a tqdm bar over steps and replicas.

    Returns
    -------
    DMFTTrajectory
    """
    problem = check_problem(loss, alpha, delta, lam, eta, steps, batch_fraction, persistence, rho, m0, q0, smoothing)
    seed = check_seed(seed)
    replicas = as_count("replicas", replicas, minimum=1)
    n_samples = as_count("n_samples", n_samples, minimum=2 * replicas)
    size = n_samples // replicas
    needed = memory_bytes(size, problem.steps)
    limit = as_count("memory_limit", memory_limit, minimum=1)
    if needed > limit:
        raise ValueError(
            f"steps = {problem.steps} with n_samples = {n_samples} over {replicas} replicas needs {needed / 2**30:.2f} GiB "
            f"(8 N T^2 / 2 bytes for the response), more than memory_limit = {limit / 2**30:.2f} GiB: use fewer steps, "
            "fewer samples or more replicas, or raise memory_limit"
        )
    store = _Checkpoint(checkpoint, problem, seed, n_samples, replicas) if checkpoint is not None else None
    children = np.random.SeedSequence(seed).spawn(replicas)
    runs: list[dict[str, np.ndarray]] = []
    hide = {"disable": True} if bars_hidden(progress) else {"file": sys.stderr}
    with tqdm(total=replicas * problem.steps, desc=f"DMFT {problem.loss}", unit="step", **hide) as bar:
        for r, child in enumerate(children):
            run = store.load(r) if store is not None else None
            if run is None:
                with np.errstate(over="ignore", invalid="ignore"):
                    run = _run_population(problem, size, child, bar)
                if store is not None:
                    store.save(r, run)
            else:
                bar.update(problem.steps)
            runs.append(run)
    return _trajectory(problem, runs, size * replicas)


def _trajectory(problem: DMFTProblem, runs: list[dict[str, np.ndarray]], n_samples: int) -> DMFTTrajectory:
    """Combine the replicas' curves into means and standard errors."""
    values = np.array([run["values"] for run in runs])
    count = len(runs)
    with np.errstate(over="ignore", invalid="ignore"):
        err = values.std(axis=0, ddof=1) / math.sqrt(count) if count > 1 else np.full(values.shape[1:], np.nan)
    averaged = [np.mean([run[key] for run in runs], axis=0) for key in ("kernel", "covariance", "propagator")]
    label = f"{count} populations of {n_samples // count} processes over {problem.steps} steps (t = {problem.eta * problem.steps:.4g})"
    return build_trajectory(problem, values, err, *averaged, n_samples=n_samples, residual=math.nan, label=label)


def build_trajectory(
    problem: DMFTProblem,
    values: np.ndarray,
    errors: np.ndarray,
    kernel: np.ndarray,
    covariance: np.ndarray,
    propagator: np.ndarray,
    *,
    n_samples: int,
    residual: float,
    label: str,
) -> DMFTTrajectory:
    """A :class:`DMFTTrajectory` from the replicas' curves ``values`` (shape ``(R, 5, T + 1)``), the standard
    errors of their mean and the kernels; not converged (with a message saying so) if anything is not finite."""
    # q grown a trillionfold is a divergence long before it overflows
    finite = bool(np.all(np.isfinite(values)) and np.max(values[:, 1]) < DIVERGENCE * max(1.0, problem.q0))
    if not finite:
        warnings.warn(
            f"DMFT {problem.loss}: non-finite values, the dynamics diverged (eta = {problem.eta})",
            ConvergenceWarning,
            stacklevel=3,
        )
    columns = dict(zip(_OBSERVABLES, values.mean(axis=0), strict=True))
    columns.update({f"{name}_err": row for name, row in zip(_OBSERVABLES, errors, strict=True)})
    return DMFTTrajectory(
        problem=problem,
        t=problem.eta * np.arange(problem.steps + 1),
        **columns,
        replica_values=values,
        memory_kernel=kernel,
        noise_covariance=covariance,
        propagator=propagator,
        n_samples=n_samples,
        converged=finite,
        iterations=problem.steps * values.shape[0],
        residual=residual,
        message=label if finite else "non-finite values: the dynamics diverged (eta too large?)",
    )


def _code_stamp() -> str:
    """A hash of the source of the population scheme (this module, its kernels, the compiled losses): a checkpoint
    written by other code is refused rather than mixed with new results."""
    from statlearn.dmft import kernels
    from statlearn.models import loss_kernels

    digest = hashlib.sha256()
    for module in (sys.modules[__name__], kernels, loss_kernels):
        digest.update(Path(inspect.getfile(module)).read_bytes())
    return digest.hexdigest()[:16]


class _Checkpoint:
    """Finished replicas of one run on disk (``replica-R.npz`` plus ``problem.json`` to refuse a mismatch)."""

    def __init__(
        self, directory: str | os.PathLike[str], problem: DMFTProblem, seed: int, n_samples: int, replicas: int
    ) -> None:
        self.path = Path(directory)
        self.path.mkdir(parents=True, exist_ok=True)
        key = {**problem.__dict__, "seed": seed, "n_samples": n_samples, "replicas": replicas}
        code = _code_stamp()
        stamp = self.path / "problem.json"
        if stamp.exists():
            old = json.loads(stamp.read_text())
            if {k: v for k, v in old.items() if k != "code"} != key:
                raise ValueError(f"checkpoint {self.path} holds a different run ({stamp}); use another directory")
            if old.get("code") != code:
                warnings.warn(
                    f"checkpoint {self.path} was written by other code: its replicas are recomputed",
                    CheckpointWarning,
                    stacklevel=3,
                )
                for file in self.path.glob("replica-*.npz"):
                    file.unlink()
        stamp.write_text(json.dumps({**key, "code": code}, indent=1))

    def load(self, replica: int) -> dict[str, np.ndarray] | None:
        """The saved replica, or ``None``."""
        file = self.path / f"replica-{replica}.npz"
        if not file.exists():
            return None
        with np.load(file) as data:
            return {key: data[key] for key in data.files}

    def save(self, replica: int, run: dict[str, np.ndarray]) -> None:
        """Write atomically (a temporary file renamed), so an interruption never leaves a half file."""
        file = self.path / f"replica-{replica}.npz"
        temporary = file.with_suffix(".tmp.npz")
        np.savez(
            temporary,
            values=run["values"],
            kernel=run["kernel"],
            covariance=run["covariance"],
            propagator=run["propagator"],
        )
        temporary.replace(file)
