r"""ERM on sampled two-cluster Gaussian mixtures: the finite-d counterpart of
:mod:`statlearn.replica.mixture`.

A sample is :math:`x = c\,v^*/\sqrt d + \sqrt\Delta\,z`, :math:`y = c = \pm1` with :math:`P(+1) = \rho`,
:math:`v^*` uniform on the sphere :math:`|v^*|^2 = d` (Mignacco, Krzakala, Lu, Urbani & Zdeborová,
ICML 2020). The estimator is :func:`statlearn.experiments.erm.train` (no bias); given :math:`w` the test
error is exact, :math:`\rho H(m/\sqrt{\Delta q}) + (1-\rho)H(m/\sqrt{\Delta q}) = H(m/\sqrt{\Delta q})`
with :math:`m = w\cdot v^*/d`, :math:`q = |w|^2/d`, so no test set is drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from statlearn.experiments.erm import train
from statlearn.models.losses import Loss, get_loss
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import check_seed
from statlearn.numerics.special import H
from statlearn.numerics.validation import as_count, as_real_scalar

__all__ = ["MixtureSimulation", "sample_mixture", "simulate_mixture"]


def sample_mixture(
    n: int, d: int, *, delta: float, rho: float = 0.5, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X (n, d), y (n,), v* (d,)) of the mixture (module docstring), from an integer seed."""
    n, d = as_count("n", n, minimum=1), as_count("d", d, minimum=1)
    delta = as_real_scalar("delta", delta, minimum=0.0, strict_minimum=True)
    rho = as_real_scalar("rho", rho, minimum=0.0, strict_minimum=True)
    if rho >= 1.0:
        raise ValueError(f"rho must lie in (0, 1), got {rho!r}")
    rng = np.random.default_rng(check_seed(seed))
    v = rng.standard_normal(d)
    v *= math.sqrt(d) / np.linalg.norm(v)
    y = np.where(rng.random(n) < rho, 1.0, -1.0)
    X = np.outer(y, v / math.sqrt(d)) + math.sqrt(delta) * rng.standard_normal((n, d))
    return X, y, v


@dataclass(frozen=True)
class MixtureSimulation:
    """Observables of ERM over seeds: one entry per seed (read-only arrays); ``converged`` of every fit."""

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


def simulate_mixture(
    loss: str | Loss, lam: float, *, alpha: float, delta: float, d: int, seeds: range | list[int], rho: float = 0.5
) -> MixtureSimulation:
    """Train on one sampled mixture per seed (n = round(alpha d)) and measure m, q, the exact test error,
    the training loss and the training error (the fraction of y (x . w / sqrt d) <= 0)."""
    loss = get_loss(loss)
    alpha = as_real_scalar("alpha", alpha, minimum=0.0, strict_minimum=True)
    d = as_count("d", d, minimum=1)
    n = max(1, round(alpha * d))
    rows = []
    residual, iterations, converged = 0.0, 0, True
    for seed in seeds:
        X, y, v = sample_mixture(n, d, delta=delta, rho=rho, seed=seed)
        fit = train(X, y, loss, lam)
        m, q = float(fit.w @ v) / d, float(fit.w @ fit.w) / d
        z = X @ fit.w / math.sqrt(d)
        error = float(H(m / math.sqrt(delta * q)))
        rows.append((m, q, error, fit.training_loss, float(np.mean(y * z <= 0))))
        residual, iterations, converged = (
            max(residual, fit.residual),
            iterations + fit.iterations,
            converged and fit.converged,
        )
    columns = np.array(rows).T
    message = f"{len(rows)} fits, {'all converged' if converged else 'some not converged'}; largest KKT residual {residual:.3g}"
    return MixtureSimulation(*columns, converged=converged, iterations=iterations, residual=residual, message=message)
