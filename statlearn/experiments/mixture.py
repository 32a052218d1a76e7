r"""ERM on sampled two-cluster Gaussian mixtures: the finite-d counterpart of
:mod:`statlearn.replica.mixture`.

A sample is :math:`x = c\,v^*/\sqrt d + \sqrt\Delta\,z`, :math:`y = c = \pm1` with :math:`P(+1) = \rho`,
:math:`v^*` uniform on the sphere :math:`|v^*|^2 = d` (Mignacco, Krzakala, Lu, Urbani & Zdeborová,
ICML 2020). The estimator is :func:`statlearn.experiments.erm.train`; a trained bias :math:`b` is the weight
of an extra constant feature (scaled so that it adds :math:`b` to the field): its penalty
:math:`\lambda b^2/2` is O(1) against the O(d) objective, a 1/d correction. Given :math:`(w, b)` the test
error is exact, :math:`\rho H((m+b)/\sqrt{\Delta q}) + (1-\rho)H((m-b)/\sqrt{\Delta q})` with
:math:`m = w\cdot v^*/d`, :math:`q = |w|^2/d`, so no test set is drawn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from statlearn.experiments.erm import train
from statlearn.models.losses import Loss, get_loss
from statlearn.models.mixture_descent import mixture_batch
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import check_seed
from statlearn.numerics.special import H
from statlearn.numerics.validation import as_count, as_real_scalar
from statlearn.replica.mixture import positive_in_range, rho_in_range

__all__ = ["MixtureSimulation", "sample_mixture", "simulate_mixture"]


def sample_mixture(
    n: int, d: int, *, delta: float, rho: float = 0.5, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X (n, d), y (n,), v* (d,)) of the mixture (module docstring), from an integer seed."""
    n, d = as_count("n", n, minimum=1), as_count("d", d, minimum=1)
    delta, rho = positive_in_range("delta", delta), rho_in_range(rho)
    rng = np.random.default_rng(check_seed(seed))
    v = rng.standard_normal(d)
    v *= math.sqrt(d) / np.linalg.norm(v)
    X, y = mixture_batch(rng, v, n, delta=delta, rho=rho)
    return X, y, v


@dataclass(frozen=True)
class MixtureSimulation:
    """Observables of ERM over seeds: one entry per seed (read-only arrays); ``converged`` of every fit."""

    m: np.ndarray
    q: np.ndarray
    bias: np.ndarray
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
    loss: str | Loss,
    lam: float,
    *,
    alpha: float,
    delta: float,
    d: int,
    seeds: range | list[int],
    rho: float = 0.5,
    bias: bool = False,
    max_iter: int = 10_000,
) -> MixtureSimulation:
    """Train on one sampled mixture per seed (n = round(alpha d)), with or without a bias, and measure m,
    q, b, the exact test error, the training loss and the training error (the fraction of y z <= 0 with
    z = x . w / sqrt d + b); ``max_iter`` goes to :func:`~statlearn.experiments.erm.train`."""
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be a bool, got {type(bias).__name__}")
    loss = get_loss(loss)
    alpha = positive_in_range("alpha", alpha)
    lam = as_real_scalar("lam", lam, minimum=0.0)
    if lam > 0:
        positive_in_range("lam", lam)
    d = as_count("d", d, minimum=1)
    n = max(1, round(alpha * d))
    rows = []
    residual, iterations, converged = 0.0, 0, True
    for seed in seeds:
        X, y, v = sample_mixture(n, d, delta=delta, rho=rho, seed=seed)
        # with a bias: features (x sqrt((d+1)/d), sqrt(d+1)), so that train's field x . w / sqrt(d+1) is
        # x . w / sqrt d + b with b the last weight, and its penalty lam |w|^2 / 2 + lam b^2 / 2
        features = np.hstack([X * math.sqrt((d + 1) / d), np.full((n, 1), math.sqrt(d + 1))]) if bias else X
        fit = train(features, y, loss, lam, max_iter=max_iter)
        w, b = (fit.w[:d], float(fit.w[d])) if bias else (fit.w, 0.0)
        m, q = float(w @ v) / d, float(w @ w) / d
        z = X @ w / math.sqrt(d) + b
        scale = math.sqrt(max(delta * q, 1e-300))
        error = float(rho * H((m + b) / scale) + (1 - rho) * H((m - b) / scale))
        training_loss = float(np.mean(loss.value(y, z)))
        rows.append((m, q, b, error, training_loss, float(np.mean(y * z <= 0))))
        residual, iterations, converged = (
            max(residual, fit.residual),
            iterations + fit.iterations,
            converged and fit.converged,
        )
    columns = np.array(rows).T
    message = f"{len(rows)} fits, {'all converged' if converged else 'some not converged'}; largest KKT residual {residual:.3g}"
    return MixtureSimulation(*columns, converged=converged, iterations=iterations, residual=residual, message=message)
