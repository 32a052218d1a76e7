"""Shared machinery of the capacity reproductions: counts on a sweep, crossings, 1/N extrapolation.

Both `capacity` (spherical weights) and `binary-capacity` measure the same thing: the fraction of
random instances that a perceptron can store, against the load alpha, at several sizes N. The
transition alpha_{1/2}(N) (fraction = 1/2) is located per N by a binomial maximum-likelihood fit
and extrapolated linearly in 1/N to compare with the replica capacity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

from statlearn.experiments import crossing_point, extrapolate_to_infinite_N
from statlearn.plotting import simulation_points
from statlearn.reproductions.registry import Check
from statlearn.sweep import sweep, write_csv

__all__ = [
    "TransitionData",
    "binomial_chi2",
    "crossings",
    "extrapolation_check",
    "extrapolation_legend",
    "measure",
    "plot_extrapolation",
]


@dataclass(frozen=True)
class TransitionData:
    """Counts of solvable instances: ``n_solvable[N]`` has shape ``(len(P[N]), len(kappa))``."""

    sizes: tuple[int, ...]
    kappa: np.ndarray
    P: dict[int, np.ndarray]
    n_solvable: dict[int, np.ndarray]
    n_samples: int

    def alpha(self, N: int) -> np.ndarray:
        return self.P[N] / N

    def fraction(self, N: int) -> np.ndarray:
        return self.n_solvable[N] / self.n_samples

    def stderr(self, N: int) -> np.ndarray:
        f = self.fraction(N)
        return np.sqrt(f * (1.0 - f) / self.n_samples)


def measure(
    point_func: Callable[..., dict[str, Any]],
    loads: dict[int, np.ndarray],
    kappa: Sequence[float],
    n_samples: int,
    seed: int,
    out_dir: Path,
    executor: Any,
    desc: str,
) -> TransitionData:
    """Run ``point_func(N, P, kappa, n_samples, seed)`` over every (N, P) on a resumable sweep.

    ``loads[N]`` lists the pattern counts P at size N. Finished points are kept in
    ``out_dir/sweep.jsonl``, so an interrupted reproduction resumes where it stopped. Writes
    ``out_dir/counts.csv``.
    """
    grid = [
        {"N": int(N), "P": int(P), "kappa": [float(k) for k in kappa], "n_samples": int(n_samples), "seed": int(seed)}
        for N in sorted(loads)
        for P in loads[N]
    ]
    table = sweep(point_func, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc=desc)
    kappa = np.asarray(kappa, dtype=float)
    sizes = tuple(sorted(loads))
    P, counts = {}, {}
    for N in sizes:
        rows = table["N"] == N
        P[N] = table["P"][rows].astype(int)
        counts[N] = np.asarray(table["n_solvable"][rows], dtype=int).reshape(-1, len(kappa))
    data = TransitionData(sizes, kappa, P, counts, int(n_samples))
    csv = {"N": [], "P": [], "alpha": [], "kappa": [], "n_samples": [], "n_solvable": [], "fraction": [], "stderr": []}
    for N in sizes:
        for i, p in enumerate(P[N]):
            for j, k in enumerate(kappa):
                csv["N"].append(N)
                csv["P"].append(p)
                csv["alpha"].append(p / N)
                csv["kappa"].append(k)
                csv["n_samples"].append(n_samples)
                csv["n_solvable"].append(counts[N][i, j])
                csv["fraction"].append(data.fraction(N)[i, j])
                csv["stderr"].append(data.stderr(N)[i, j])
    write_csv(csv, out_dir / "counts.csv")
    return data


def crossings(data: TransitionData, j: int, window: Callable[[int], tuple[float, float]], degree: int = 2):
    """alpha_{1/2}(N) and its standard error at every size, for margin ``kappa[j]``.

    ``window(N)`` is the range of loads used by the fit, fixed in advance from the theory (not
    from the counts, which would bias the estimate).
    """
    values, errors = [], []
    for N in data.sizes:
        fit = crossing_point(
            data.alpha(N), data.n_solvable[N][:, j], data.n_samples, degree=degree, alpha_range=window(N)
        )
        values.append(fit.alpha_half)
        errors.append(fit.stderr)
    return np.array(values), np.array(errors)


def extrapolation_check(
    quantity: str, sizes: Sequence[int], values: np.ndarray, errors: np.ndarray, theory: float, n_sigma: float = 3.0
):
    """Linear fit in 1/N, and the Check of its intercept against ``theory`` at ``n_sigma`` errors."""
    fit = extrapolate_to_infinite_N(np.asarray(sizes, dtype=float), values, errors, degree=1)
    note = (
        f"weighted fit alpha_1/2(N) = a + b/N over N = {', '.join(map(str, sizes))}; "
        f"chi2/dof = {fit.chi2:.2f}/{fit.dof}; tolerance {n_sigma:g} standard errors of a"
    )
    return fit, Check(quantity, theory, fit.value, fit.stderr, n_sigma * fit.stderr, note)


def plot_extrapolation(ax, sizes, values, errors, fit, theory: float, color: str, label: str) -> None:
    """alpha_{1/2}(N)/alpha_c against 1/N, the linear fit down to 1/N = 0 and the theory (= 1)."""
    inv = 1.0 / np.asarray(sizes, dtype=float)
    simulation_points(ax, inv, values / theory, errors / theory, label=label, color=color)
    x = np.linspace(0.0, inv.max() * 1.05, 50)
    ax.plot(x, (fit.coefficients[0] + fit.coefficients[1] * x) / theory, color=color, lw=1.0, ls="--")
    ax.errorbar([0.0], [fit.value / theory], yerr=[fit.stderr / theory], fmt="s", color=color, ms=6, capsize=3)
    ax.xaxis.set_major_locator(MaxNLocator(4))


def extrapolation_legend(ax, **kwargs: Any) -> None:
    """The legend of a :func:`plot_extrapolation` panel, with grey entries for the fit and the
    extrapolated squares (their colour is that of the curve above them)."""
    ax.plot([], [], color="0.35", lw=1.0, ls="--", label=r"fit $a + b/N$")
    ax.errorbar([], [], yerr=[], fmt="s", color="0.35", ms=6, capsize=3, label=r"extrapolated $N \to \infty$")
    ax.legend(**kwargs)


def binomial_chi2(observed: np.ndarray, n: int, p: np.ndarray, min_expected_var: float = 5.0):
    """Pearson chi^2 of binomial counts against exact probabilities, over points with n p (1-p) >= 5."""
    var = n * p * (1.0 - p)
    use = var >= min_expected_var
    chi2 = float(np.sum((observed[use] - n * p[use]) ** 2 / var[use]))
    return chi2, int(np.sum(use))
