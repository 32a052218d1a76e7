r"""Annealed importance sampling of an RBM's partition function (Salakhutdinov & Murray, ICML 2008).

The chains anneal from a base-rate model :math:`p_A(v) \propto e^{b_A^\top v}` (independent visible units;
:math:`b_A` from the data's unit means, or 0) to the machine through the intermediate machines

.. math:: p^*_\beta(v) = e^{(1 - \beta) b_A^\top v + \beta b_v^\top v}
    \prod_j \sum_{h_j} e^{\beta h_j (b_{h,j} + (v^\top W)_j)},

that is RBMs with parameters :math:`(\beta W, (1-\beta) b_A + \beta b_v, \beta b_h)`, whose partition function at
:math:`\beta = 0` is :math:`Z_0 = 2^{n_h} \prod_i \sum_{v_i} e^{b_{A,i} v_i}`. Each chain starts from an exact draw of
:math:`p_A`, adds :math:`\log p^*_{\beta_k}(v_k) - \log p^*_{\beta_{k-1}}(v_k)` to its log weight and moves by one
block-Gibbs sweep at :math:`\beta_k`. :math:`\hat Z = Z_0 \langle w \rangle`; the error bar of
:math:`\log \hat Z` is the delta-method standard error :math:`\mathrm{sd}(w) / (\sqrt{M}\langle w\rangle)` over the
M chains. The estimate of :math:`\log Z` is biased low by about half its variance (Jensen), negligible when the
error bar is small; a small effective sample size :math:`(\sum w)^2 / \sum w^2` means the error bar cannot be
trusted and warns.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count
from statlearn.rbm.units import check_machine

__all__ = ["LogPartition", "ais_log_partition", "beta_schedule"]

MIN_EFFECTIVE_CHAINS = 10.0
"""Below this effective number of chains the AIS error bar is not trusted and a warning is raised."""


@dataclass(frozen=True)
class LogPartition:
    """The log partition function of an RBM with its error bar.

    ``log_z`` and ``stderr`` (0 for ``method="exact"``); for AIS, ``n_chains``, ``n_betas``, the per-chain
    ``log_weights`` (so that :math:`\\log Z = \\log Z_0 + \\log \\langle e^{\\rm log\\_weights}\\rangle`),
    ``log_z_base`` and ``effective_chains``. ``iterations`` counts the annealing steps (0 when exact).
    """

    log_z: float
    stderr: float
    method: str
    n_chains: int
    n_betas: int
    log_weights: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    log_z_base: float = 0.0
    effective_chains: float = 0.0
    converged: bool = True
    message: str = ""

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def iterations(self) -> int:
        return self.n_betas

    @property
    def residual(self) -> float:
        return self.stderr


def beta_schedule(n_betas: int) -> np.ndarray:
    """Inverse temperatures 0 = beta_0 < ... < beta_K = 1, K = ``n_betas``: Salakhutdinov & Murray's proportions
    (500 steps on [0, 0.5], 4 000 on [0.5, 0.9], 10 000 on [0.9, 1], scaled to ``n_betas``)."""
    n = as_count("n_betas", n_betas, minimum=3, maximum=10**7)
    counts = np.maximum(1, np.round(n * np.array([500, 4000, 10000]) / 14500).astype(int))
    counts[-1] = n - counts[:-1].sum()
    edges = (0.0, 0.5, 0.9, 1.0)
    parts = [np.linspace(edges[i], edges[i + 1], counts[i], endpoint=False) for i in range(3)]
    return np.concatenate([*parts, [1.0]])


def _log_unnormalised(rbm: Any, v: np.ndarray, field: np.ndarray, beta: float, b_base: np.ndarray) -> np.ndarray:
    """:math:`\\log p^*_\\beta(v)` given the hidden field :math:`a = b_h + v^\\top W` of every chain."""
    low = rbm.low
    return v @ ((1.0 - beta) * b_base + beta * rbm.b_visible) + np.logaddexp(low * beta * field, beta * field).sum(
        axis=1
    )


def ais_log_partition(
    rbm: Any, *, n_chains: int = 100, n_betas: int = 10_000, seed: Any = 0, base_data: ArrayLike | None = None
) -> LogPartition:
    """:math:`\\log Z` of ``rbm`` by annealed importance sampling (module docstring).

    Parameters
    ----------
    n_chains
        Independent annealing runs M (>= 2, for the error bar).
    n_betas
        Annealing steps (:func:`beta_schedule`).
    seed
        Integer seed or ``numpy.random.Generator``.
    base_data
        Visible configurations whose unit means set the base-rate biases :math:`b_A` (a pseudo-count of 0.5
        keeps them finite), as Salakhutdinov & Murray do; ``None``: :math:`b_A = 0` (uniform).
    """
    check_machine(rbm)
    M = as_count("n_chains", n_chains, minimum=2, maximum=10**6)
    betas = beta_schedule(n_betas)
    rng = as_generator(seed)
    low = rbm.low
    if base_data is None:
        b_base = np.zeros(rbm.n_visible)
    else:
        data = rbm.check_data(base_data, "base_data")
        p_on = ((data == 1.0).sum(axis=0) + 0.5) / (data.shape[0] + 1.0)
        b_base = np.log(p_on / (1.0 - p_on)) / (1.0 - low)
    log_z_base = float(np.logaddexp(low * b_base, b_base).sum() + rbm.n_hidden * np.log(2.0))
    v = rbm.draw(np.broadcast_to(b_base, (M, rbm.n_visible)), rng)
    log_w = np.zeros(M)
    W = rbm.W
    for k in range(1, len(betas)):
        beta, previous = float(betas[k]), float(betas[k - 1])
        field = v @ W + rbm.b_hidden
        log_w += _log_unnormalised(rbm, v, field, beta, b_base) - _log_unnormalised(rbm, v, field, previous, b_base)
        if k < len(betas) - 1:  # the last transition would not change the weights
            h = rbm.draw(beta * field, rng)
            v = rbm.draw(beta * (h @ W.T) + (1.0 - beta) * b_base + beta * rbm.b_visible, rng)
    top = log_w.max()
    w = np.exp(log_w - top)
    mean = w.mean()
    log_z = float(log_z_base + top + np.log(mean))
    stderr = float(w.std(ddof=1) / (np.sqrt(M) * mean))
    effective = float(w.sum() ** 2 / (w**2).sum())
    converged = effective >= MIN_EFFECTIVE_CHAINS and np.isfinite(log_z)
    message = f"AIS over {M} chains and {len(betas) - 1} annealing steps: effective chains {effective:.1f}" + (
        "" if converged else f" < {MIN_EFFECTIVE_CHAINS:g}: the error bar is not reliable (more n_betas)"
    )
    if not converged:
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    return LogPartition(
        log_z=log_z,
        stderr=stderr,
        method="ais",
        n_chains=M,
        n_betas=len(betas) - 1,
        log_weights=log_w,
        log_z_base=log_z_base,
        effective_chains=effective,
        converged=bool(converged),
        message=message,
    )
