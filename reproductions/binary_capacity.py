"""`binary-capacity`: capacity of the binary (Ising) perceptron by exhaustive enumeration.

Lecture figure (Gardner & Derrida 1988; Krauth & Mézard 1989; Krauth & Opper 1989). For every
instance (Gaussian patterns, random labels) all 2^N weight vectors w in {-1,+1}^N are enumerated
(numba), which decides exactly whether the instance can be stored (kappa = 0) and counts its
solutions.

- Panel a: fraction of storable instances against alpha for every N, with the Krauth-Mézard
  capacity (zero of the replica-symmetric entropy), the annealed bound and the RS divergence.
- Panel b: alpha_{1/2}(N) / alpha_KM against 1/N with the linear extrapolation to N = infinity.
- Panel c: the entropy (1/N) <ln #solutions> against alpha at each N with the RS entropy s(alpha)
  and the annealed entropy ln 2 + alpha ln(1/2).

Checks: (1) the mean number of solutions at the smallest N against its exact finite-N value
2^N H(kappa)^P (each w with |w|^2 = N has Gaussian fields, independent across patterns), which
tests the enumeration; (2) the extrapolated alpha_{1/2}(infinity) against alpha_KM within 3
standard errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.experiments import binary_capacity_counts, count_binary_solutions
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.replica import binary_annealed_capacity, binary_capacity, binary_entropy, binary_rs_divergence
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.reproductions.transition import (
    crossings,
    extrapolation_check,
    extrapolation_legend,
    measure,
    plot_extrapolation,
)
from statlearn.sweep import sweep, write_csv

QUICK = {
    "sizes": [11, 13, 15, 17, 19],
    "n_samples": 400,
    "window": 2.0,
    "entropy_samples": 100,
    "entropy_alpha": [0.2, 0.3, 0.4, 0.5, 0.6],
    "seed": 2,
}
FULL = {
    "sizes": [13, 15, 17, 19, 21, 23, 25],
    "n_samples": 1000,
    "window": 2.0,
    "entropy_samples": 200,
    "entropy_alpha": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
    "seed": 2,
}


def count_point(N: int, P: int, kappa: list[float], n_samples: int, seed: int) -> dict[str, Any]:
    """Storable instances out of ``n_samples`` at one (N, P) (sweep worker)."""
    counts = binary_capacity_counts(P / N, N=N, kappa=kappa, n_samples=n_samples, seed=seed)
    return {"n_solvable": counts.n_solvable[0].tolist()}


def solution_counts(N: int, P: int, n_samples: int, seed: int) -> dict[str, Any]:
    """Number of solutions of ``n_samples`` instances at one (N, P) (sweep worker)."""
    rng = np.random.default_rng([seed, N, P, 1])
    return {"counts": [count_binary_solutions(rng.standard_normal((P, N))) for _ in range(n_samples)]}


def _loads(N: int, alpha_c: float, window: float) -> np.ndarray:
    """Every P with P/N within alpha_c (1 +- window / sqrt N)."""
    lo, hi = alpha_c * (1 - window / np.sqrt(N)), alpha_c * (1 + window / np.sqrt(N))
    return np.arange(max(1, int(np.ceil(lo * N))), int(np.floor(hi * N)) + 1)


@register(
    "binary-capacity",
    "Capacity of the binary perceptron by exact enumeration (Krauth-Mézard)",
    quick=QUICK,
    full=FULL,
    cost=25,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(n) for n in settings["sizes"]]
    window = float(settings["window"])
    seed = int(settings["seed"])
    alpha_km = float(binary_capacity(0.0))
    loads = {N: _loads(N, alpha_km, window) for N in sizes}
    data = measure(count_point, loads, [0.0], int(settings["n_samples"]), seed, out_dir, executor, "binary-capacity")
    values, errors = crossings(
        data, 0, lambda N: (alpha_km * (1 - window / np.sqrt(N)), alpha_km * (1 + window / np.sqrt(N)))
    )
    fit, check = extrapolation_check("alpha_KM from alpha_1/2(N -> inf)", sizes, values, errors, alpha_km)
    write_csv({"N": sizes, "alpha_half": values, "stderr": errors}, out_dir / "crossings.csv")

    # solution counts: entropy panel and the exact first-moment check
    entropy_alpha = np.asarray(settings["entropy_alpha"], dtype=float)
    grid = [
        {"N": N, "P": P, "n_samples": int(settings["entropy_samples"]), "seed": seed}
        for N in sizes
        for P in sorted({max(1, int(round(a * N))) for a in entropy_alpha})
    ]
    table = sweep(solution_counts, grid, executor=executor, checkpoint=out_dir / "solutions.jsonl", desc="solutions")
    counts = np.asarray(table["counts"], dtype=float)
    all_storable = np.all(counts > 0, axis=1)
    # ln of the counts of the rows where every instance has a solution; a row with an unsolvable
    # instance (count 0, ln = -inf) has no finite mean entropy and is NaN below (its std would
    # be -inf - -inf = NaN, with a RuntimeWarning, if it were computed).
    log_counts = np.log(np.where(all_storable[:, None], counts, 1.0))
    entropy = np.where(all_storable, log_counts.mean(axis=1) / table["N"], np.nan)
    entropy_err = np.where(all_storable, log_counts.std(axis=1, ddof=1) / np.sqrt(counts.shape[1]) / table["N"], np.nan)
    write_csv(
        {
            "N": table["N"],
            "P": table["P"],
            "alpha": table["P"] / table["N"],
            "mean_count": counts.mean(axis=1),
            "entropy": entropy,
            "entropy_stderr": entropy_err,
        },
        out_dir / "solutions.csv",
    )

    checks = []
    smallest = table["N"] == sizes[0]
    for P, row in zip(table["P"][smallest], counts[smallest]):
        if P < 2:  # one pattern: exactly one of w, -w solves it, the count is 2^(N-1) always
            continue
        exact = 2.0 ** (sizes[0] - P)  # 2^N H(0)^P
        stderr = row.std(ddof=1) / np.sqrt(row.size)
        checks.append(
            Check(
                f"mean #solutions, N = {sizes[0]}, P = {P}",
                exact,
                row.mean(),
                stderr,
                4.0 * stderr,
                "exact first moment 2^N H(0)^P; tolerance 4 standard errors (the count has a heavy right tail)",
            )
        )
    checks.append(check)

    with lecture_style():
        fig, (ax_a, ax_b, ax_c) = figure(1, 3, figsize=(15.0, 4.4))
        for i, N in enumerate(sizes):
            simulation_points(
                ax_a,
                data.alpha(N),
                data.fraction(N)[:, 0],
                data.stderr(N)[:, 0],
                label=f"N = {N}",
                color=COLORS[i % len(COLORS)],
            )
        ax_a.axvline(alpha_km, color="k", lw=1.5, label=rf"$\alpha_{{KM}} = {alpha_km:.4f}$ (RS $s = 0$)")
        ax_a.axvline(float(binary_annealed_capacity(0.0)), color="k", ls=":", lw=1.2, label="annealed bound 1")
        ax_a.axvline(float(binary_rs_divergence(0.0)), color="k", ls="--", lw=1.2, label=r"RS $q\to1$: $4/\pi$")
        ax_a.set(xlabel=r"$\alpha = P/N$", ylabel="fraction storable", title=r"(a) binary perceptron, $\kappa = 0$")
        ax_a.legend(loc="lower left", fontsize=8)

        plot_extrapolation(ax_b, sizes, values, errors, fit, alpha_km, COLORS[0], r"$\alpha_{1/2}(N)$")
        ax_b.axhline(1.0, color="k", lw=1.0)
        ax_b.set(xlabel=r"$1/N$", ylabel=r"$\alpha_{1/2}(N)\,/\,\alpha_{KM}$", title="(b) finite-size transition")
        extrapolation_legend(ax_b, loc="best")

        dense = np.linspace(0.0, 1.2, 200)
        theory_line(ax_c, dense, binary_entropy(dense, 0.0), label=r"RS entropy $s(\alpha)$", color="k")
        theory_line(ax_c, dense, np.log(2.0) + dense * np.log(0.5), label="annealed", color="k", ls=":")
        for i, N in enumerate(sizes):
            rows = table["N"] == N
            simulation_points(
                ax_c,
                table["P"][rows] / N,
                entropy[rows],
                entropy_err[rows],
                label=f"N = {N}",
                color=COLORS[i % len(COLORS)],
            )
        ax_c.axhline(0.0, color="grey", lw=0.8)
        ax_c.set(
            xlabel=r"$\alpha$",
            ylabel=r"$\langle \ln \#\mathrm{solutions}\rangle / N$",
            title="(c) entropy",
            xlim=(0, 1.2),
            ylim=(-0.15, 0.75),
        )
        ax_c.legend(loc="upper right", fontsize=8)
        save_figure(fig, out_dir / "binary-capacity.png")

    return ReproductionResult(
        figures=("binary-capacity.png",),
        data=("counts.csv", "crossings.csv", "solutions.csv"),
        checks=tuple(checks),
        summary=(
            f"{data.n_samples} instances per load at N = {', '.join(map(str, sizes))}, each decided by "
            f"enumerating all 2^N binary weight vectors; the RS capacity is alpha_KM = {alpha_km:.6f}."
        ),
    )
