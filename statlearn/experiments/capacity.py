r"""Fraction of random instances a perceptron can store, measured at finite N.

Instances follow the theory (Gardner 1988; Gardner & Derrida 1988): :math:`P = \alpha N`
patterns :math:`x^\mu \sim \mathcal N(0, I_N)` with labels :math:`y^\mu = \pm1` uniform. Only
:math:`z^\mu = y^\mu x^\mu` enters, and it is again :math:`\mathcal N(0, I_N)`, so ``z`` is drawn
directly. Each instance is solved once; its maximal margin answers every :math:`\kappa` at once.

* :func:`spherical_capacity_counts`: :math:`|w|^2 = N`, margin :math:`\ge\kappa`, via
  :func:`~statlearn.experiments.separability.spherical_max_margin`. At :math:`\kappa = 0` the
  fraction is Cover's (1965) :math:`2^{1-P}\sum_{k<N}\binom{P-1}{k}`; the capacity is
  :math:`\alpha_c(\kappa)` of Gardner (1988).
* :func:`binary_capacity_counts`: :math:`w\in\{\pm1\}^N`, margin :math:`>\kappa`, by exact
  enumeration (:func:`~statlearn.experiments.enumeration.binary_max_margin`, early exit); the
  capacity is Krauth & Mézard's (1989).

Seeding: the instances at one :math:`(N, P)` come from ``numpy.random.default_rng([seed, N, P])``,
so they depend on nothing else (not on the rest of the grid, nor on the order of evaluation) and
counts at different :math:`P` are independent binomials, as the fits in
:mod:`statlearn.experiments.finite_size` assume. The spherical and binary functions see the same
instances for the same ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.experiments.enumeration import MAX_ENUMERATION_N, binary_max_margin
from statlearn.experiments.separability import spherical_max_margin
from statlearn.numerics import as_count, as_real_array, as_real_scalar, freeze_arrays

__all__ = ["CapacityCounts", "spherical_capacity_counts", "binary_capacity_counts"]


@dataclass(frozen=True)
class CapacityCounts:
    r"""Solvable instances out of ``n_samples`` on a grid of :math:`\alpha` and :math:`\kappa`.

    Attributes
    ----------
    N
        Input dimension.
    P
        Numbers of patterns, shape ``(n_alpha,)``: ``round(alpha * N)``.
    alpha
        The loads actually simulated, ``P / N`` (shape ``(n_alpha,)``).
    kappa
        Margins, shape ``(n_kappa,)``.
    n_solvable
        ``(n_alpha, n_kappa)`` int64: instances certified solvable at each margin.
    n_undecided
        ``(n_alpha, n_kappa)`` int64: instances whose certified bracket for the maximal margin
        contained :math:`\kappa` (counted as not solvable; always 0 for exact enumeration).
    n_samples
        Instances per :math:`P`.
    seed
        The seed the instances were drawn from.
    converged
        True: a count is a simulation run to its end (undecided instances are counted, not failed).
    iterations
        Instances decided, ``len(P) * n_samples``.
    residual
        ``nan``: no equation is solved.
    message
        What was counted, and how many instances stayed undecided.

    Arrays are read-only.
    """

    N: int
    P: np.ndarray
    alpha: np.ndarray
    kappa: np.ndarray
    n_solvable: np.ndarray
    n_undecided: np.ndarray
    n_samples: int
    seed: int
    converged: bool = True
    iterations: int = 0
    residual: float = float("nan")
    message: str = ""

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def fraction(self) -> np.ndarray:
        """Fraction of solvable instances, ``(n_alpha, n_kappa)``."""
        return self.n_solvable / self.n_samples

    @property
    def stderr(self) -> np.ndarray:
        """Binomial standard error of :attr:`fraction`, :math:`\\sqrt{f(1-f)/n}`."""
        f = self.fraction
        return np.sqrt(f * (1.0 - f) / self.n_samples)

    def table(self) -> dict[str, np.ndarray]:
        """One row per (alpha, kappa), as a dict of equal-length columns ready for CSV."""
        shape = self.n_solvable.shape
        return {
            "N": np.full(self.n_solvable.size, self.N),
            "P": np.repeat(self.P, shape[1]),
            "alpha": np.repeat(self.alpha, shape[1]),
            "kappa": np.tile(self.kappa, shape[0]),
            "n_samples": np.full(self.n_solvable.size, self.n_samples),
            "n_solvable": self.n_solvable.ravel(),
            "n_undecided": self.n_undecided.ravel(),
            "fraction": self.fraction.ravel(),
            "stderr": self.stderr.ravel(),
        }


MAX_INSTANCE_ENTRIES = 10**8
"""Largest instance ``P * N`` drawn (800 MB), refused up front."""

MAX_INSTANCES = 10**7
"""Largest number of instances a count decides (each is a solve), refused up front."""

MAX_TOTAL_ENTRIES = 10**11
"""Largest total number of pattern entries a count draws (hours of work), refused up front."""

# decide(z, kappa) -> (solvable, undecided), boolean arrays over kappa
Decider = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _validate(alpha: ArrayLike, N: object, kappa: ArrayLike, n_samples: object, seed: object, kappa_min: float | None):
    """Checked ``(P, N, kappa, n_samples, seed)``, with ``P = round(alpha * N)`` (half up)."""
    N = as_count("N", N, minimum=1)
    alpha = np.atleast_1d(as_real_array("alpha", alpha, minimum=0.0, strict_minimum=True, allow_empty=False))
    kappa = np.atleast_1d(as_real_array("kappa", kappa, minimum=kappa_min, allow_empty=False))
    if alpha.ndim != 1 or kappa.ndim != 1:
        raise ValueError(f"alpha and kappa must be scalars or 1-D, got shapes {alpha.shape} and {kappa.shape}")
    P = np.floor(alpha * N + 0.5).astype(np.int64)
    if np.any(P < 1):
        raise ValueError(f"alpha must give at least one pattern (alpha * N >= 0.5), got alpha={alpha[P < 1][0]!r}")
    if len(np.unique(P)) != len(P):
        raise ValueError(f"alpha values must give distinct P = round(alpha * N) at N={N}, got P={P.tolist()}")
    n_samples = as_count("n_samples", n_samples, minimum=1)
    entries = int(P.sum()) * N * n_samples
    if len(P) * n_samples > MAX_INSTANCES:
        raise ValueError(
            f"alpha and n_samples ask for {len(P) * n_samples:.3g} instances; the bound is {MAX_INSTANCES:.0e}"
        )
    if int(P.max()) * N > MAX_INSTANCE_ENTRIES or entries > MAX_TOTAL_ENTRIES:
        raise ValueError(
            f"alpha, N and n_samples ask for {entries:.3g} Gaussian entries (largest instance {int(P.max()) * N:.3g}); "
            f"the bounds are {MAX_TOTAL_ENTRIES:.0e} in all and {MAX_INSTANCE_ENTRIES:.0e} per instance"
        )
    return P, N, kappa, n_samples, as_count("seed", seed, minimum=0)


def _count(P: np.ndarray, N: int, kappa: np.ndarray, n_samples: int, seed: int, decide: Decider) -> CapacityCounts:
    n_solvable = np.zeros((len(P), len(kappa)), dtype=np.int64)
    n_undecided = np.zeros_like(n_solvable)
    for row, p in enumerate(P):
        rng = np.random.default_rng([seed, N, int(p)])
        for _ in range(n_samples):
            solvable, undecided = decide(rng.standard_normal((int(p), N)), kappa)
            n_solvable[row] += solvable
            n_undecided[row] += undecided
    instances = len(P) * n_samples
    message = (
        f"counted {instances} instances ({n_samples} per load) at {len(kappa)} margin(s); "
        f"{int(n_undecided.sum())} (instance, margin) pairs undecided"
    )
    return CapacityCounts(
        N, P, P / N, kappa, n_solvable, n_undecided, n_samples, seed, iterations=instances, message=message
    )


def spherical_capacity_counts(
    alpha: ArrayLike, *, N: int, kappa: ArrayLike = 0.0, n_samples: int, seed: int, tol: float = 1e-9
) -> CapacityCounts:
    r"""Count instances separable with margin :math:`\ge\kappa` by spherical weights.

    For each :math:`P = \mathrm{round}(\alpha N)`, ``n_samples`` instances are drawn and the
    maximal margin :math:`\gamma^*` is computed once
    (:func:`~statlearn.experiments.separability.spherical_max_margin`). An instance counts as
    solvable at :math:`\kappa` when certified (:math:`\gamma^* > 0` and its lower bound
    :math:`\ge\kappa`); as *undecided* when its certified bracket contains :math:`\kappa` (or, at
    :math:`\kappa = 0`, when separability itself is uncertain). Expect
    :math:`\alpha_{1/2} \to \alpha_c(\kappa)` (Gardner 1988), :math:`= 2` at :math:`\kappa = 0`
    (Cover 1965).

    Parameters
    ----------
    alpha
        Loads :math:`P/N > 0`, giving distinct ``P``.
    N
        Input dimension, ``>= 1``.
    kappa
        Margins :math:`\ge 0` (the problem is convex there).
    n_samples
        Instances per load, ``>= 1``.
    seed
        Non-negative integer; see the module docstring.
    tol
        Relative bracket width passed to ``spherical_max_margin``.

    Returns
    -------
    CapacityCounts
    """
    P, N, kappa, n_samples, seed = _validate(alpha, N, kappa, n_samples, seed, kappa_min=0.0)
    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True)

    def decide(z: np.ndarray, kappa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        result = spherical_max_margin(z, tol=tol)
        solvable = result.separable & (result.margin >= kappa)
        certainly_not = (result.upper_bound < kappa) | (result.converged and not result.separable)
        return solvable, ~solvable & ~certainly_not

    return _count(P, N, kappa, n_samples, seed, decide)


def binary_capacity_counts(
    alpha: ArrayLike, *, N: int, kappa: ArrayLike = 0.0, n_samples: int, seed: int
) -> CapacityCounts:
    r"""Count instances solvable by binary weights with every field :math:`> \kappa`.

    Exact enumeration of :math:`\{\pm1\}^N` per instance, stopping at the first vector whose margin
    exceeds the largest :math:`\kappa`; the best margin met decides every :math:`\kappa` at once.
    Expect :math:`\alpha_{1/2} \to 0.833` at :math:`\kappa = 0` (Krauth & Mézard 1989), with strong
    finite-size corrections (Krauth & Opper 1989).

    Parameters
    ----------
    alpha
        Loads :math:`P/N > 0`, giving distinct ``P``.
    N
        Input dimension, ``1 <= N <= 30``; the cost grows as :math:`2^N`.
    kappa
        Margins (any real; negative values are allowed for binary weights).
    n_samples
        Instances per load, ``>= 1``.
    seed
        Non-negative integer; see the module docstring.

    Returns
    -------
    CapacityCounts
        ``n_undecided`` is zero: enumeration is exact.
    """
    P, N, kappa, n_samples, seed = _validate(alpha, N, kappa, n_samples, seed, kappa_min=None)
    if N > MAX_ENUMERATION_N:
        raise ValueError(f"N must be <= {MAX_ENUMERATION_N} for exact enumeration, got {N}")

    def decide(z: np.ndarray, kappa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        margin = binary_max_margin(z, stop_above=float(kappa.max()))
        return margin > kappa, np.zeros(kappa.shape, dtype=bool)

    return _count(P, N, kappa, n_samples, seed, decide)
