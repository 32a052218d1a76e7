"""`bayes-perceptron`: Bayes-optimal generalisation error of the perceptron, theory against GAMP.

Lecture figure (Barbier, Krzakala, Macris, Miolane & Zdeborová, PNAS 2019, Fig. 1; Györgyi 1990).
Teacher weights Gaussian or Rademacher, sign channel. Lines: the Bayes-optimal (equilibrium)
error arccos(sqrt(m/rho))/pi of the replica formula; for the Rademacher prior also the branch that
AMP follows (dashed), which differs from the optimum between alpha_IT (the jump to perfect
generalisation) and alpha_alg (where AMP gets there). Markers: GAMP on teacher-student data at
several N, mean and standard error over seeds; a GAMP estimate a predicts sign(x.a), whose error on
fresh inputs is arccos(a.w*/(|a| |w*|))/pi exactly.

Checks: at each load away from the transition (|alpha - alpha_alg| > 0.15), the GAMP error
extrapolated linearly in 1/N (weighted fit over the sizes) against the state-evolution prediction
of the branch GAMP follows, within 3 standard errors of the intercept.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.amp import gamp
from statlearn.experiments import extrapolate_to_infinite_N
from statlearn.models.channels import sign_error
from statlearn.models.data import teacher_student
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.replica import bayes_optimal, thresholds
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.sweep import sweep, write_csv

PRIORS = ("gaussian", "rademacher")
QUICK = {"sizes": [500, 1000], "alpha": [0.5, 1.0, 1.5, 2.0, 2.5], "seeds": 4, "max_iter": 300}
FULL = {
    "sizes": [1000, 2000, 4000],
    "alpha": [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0],
    "seeds": 8,
    "max_iter": 500,
}


def gamp_point(prior: str, N: int, alpha: float, seed: int, max_iter: int) -> dict[str, Any]:
    """One GAMP run on fresh teacher-student data (sweep worker)."""
    data = teacher_student(prior, "sign", N, alpha, seed=seed)
    result = gamp(data.F, data.y, data.prior, data.channel, teacher=data.teacher, max_iter=max_iter)
    m, q = float(result.m[-1]), float(result.q[-1])
    return {
        "overlap": m,
        "self_overlap": q,
        "error": float(sign_error(m, q, data.prior.rho)),
        "converged": bool(result.converged),
        "iterations": int(result.iterations),
    }


@register(
    "bayes-perceptron",
    "Bayes-optimal perceptron: Gaussian and Rademacher teachers, theory vs GAMP",
    quick=QUICK,
    full=FULL,
    cost=4,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(n) for n in settings["sizes"]]
    alphas = [float(a) for a in settings["alpha"]]
    grid = [
        {"prior": p, "N": N, "alpha": a, "seed": s, "max_iter": int(settings["max_iter"])}
        for p in PRIORS
        for N in sizes
        for a in alphas
        for s in range(int(settings["seeds"]))
    ]
    table = sweep(gamp_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="bayes-perceptron")
    write_csv(table, out_dir / "gamp_runs.csv")

    th = thresholds("rademacher", "sign")
    dense = np.linspace(0.02, max(alphas) * 1.05, 300)
    curves = {p: bayes_optimal(p, "sign", dense) for p in PRIORS}
    amp_branch = bayes_optimal("rademacher", "sign", dense, init="uninformative")
    write_csv(
        {
            "alpha": dense,
            **{f"{p}_error": curves[p].generalization_error for p in PRIORS},
            "rademacher_amp_error": amp_branch.generalization_error,
        },
        out_dir / "theory.csv",
    )

    def summary(prior: str, N: int) -> tuple[np.ndarray, np.ndarray]:
        mean, err = [], []
        for a in alphas:
            rows = (table["prior"] == prior) & (table["N"] == N) & (table["alpha"] == a)
            e = table["error"][rows]
            mean.append(e.mean())
            err.append(e.std(ddof=1) / np.sqrt(e.size))
        return np.array(mean), np.array(err)

    stats = {(p, N): summary(p, N) for p in PRIORS for N in sizes}
    checks = []
    predicted = {
        p: bayes_optimal(p, "sign", np.array(alphas), init="uninformative").generalization_error for p in PRIORS
    }
    for p in PRIORS:
        for i, a in enumerate(alphas):
            if p == "rademacher" and abs(a - th.alpha_alg) <= 0.15:
                continue
            means = np.array([stats[(p, N)][0][i] for N in sizes])
            errs = np.maximum(np.array([stats[(p, N)][1][i] for N in sizes]), 1e-12)
            if np.all(errs <= 1e-12) and np.all(means == 0.0):  # perfect recovery at every size and seed
                value, stderr = 0.0, 0.0
            else:
                fit = extrapolate_to_infinite_N(np.array(sizes, dtype=float), means, errs, degree=1)
                value, stderr = fit.value, fit.stderr
            checks.append(
                Check(
                    f"{p} prior, alpha = {a:g}: GAMP error (N -> inf)",
                    predicted[p][i],
                    value,
                    stderr,
                    3.0 * stderr + 1e-12,
                    f"weighted fit a + b/N over N = {', '.join(map(str, sizes))}, "
                    f"{int(settings['seeds'])} seeds each; theory = state evolution from m = 0",
                )
            )

    markers = ("o", "s", "^", "D")
    with lecture_style():
        fig, ax = figure(figsize=(7.0, 4.8))
        theory_line(
            ax, dense, curves["gaussian"].generalization_error, label="Gaussian prior, Bayes-optimal", color=COLORS[0]
        )
        theory_line(
            ax,
            dense,
            curves["rademacher"].generalization_error,
            label="Rademacher prior, Bayes-optimal",
            color=COLORS[1],
        )
        theory_line(
            ax,
            dense,
            amp_branch.generalization_error,
            label="Rademacher prior, AMP (state evolution)",
            color=COLORS[1],
            ls="--",
        )
        for j, N in enumerate(sizes):
            for k, p in enumerate(PRIORS):
                mean, err = stats[(p, N)]
                simulation_points(
                    ax,
                    alphas,
                    mean,
                    err,
                    color=COLORS[k],
                    marker=markers[j % len(markers)],
                    label=f"GAMP, N = {N}" if k == 0 else None,
                    mfc="white" if k else None,
                )
        ax.axvline(th.alpha_it, color="grey", ls=":", lw=1.2)
        ax.axvline(th.alpha_alg, color="grey", ls="-.", lw=1.2)
        ax.text(th.alpha_it, 0.008, r"$\alpha_{IT}$ ", color="grey", ha="right")
        ax.text(th.alpha_alg, 0.008, r" $\alpha_{alg}$", color="grey", ha="left")
        ax.set(
            xlabel=r"$\alpha = M/N$",
            ylabel=r"generalisation error $\epsilon_g$",
            ylim=(0, 0.5),
            title="Bayes-optimal perceptron, sign channel",
        )
        ax.legend(loc="upper right", fontsize=8)
        save_figure(fig, out_dir / "bayes-perceptron.png")

    return ReproductionResult(
        figures=("bayes-perceptron.png",),
        data=("gamp_runs.csv", "theory.csv"),
        checks=tuple(checks),
        summary=(
            f"alpha_IT = {th.alpha_it:.5f}, alpha_alg = {th.alpha_alg:.5f} (Rademacher prior, sign channel); "
            f"GAMP at N = {', '.join(map(str, sizes))} with {int(settings['seeds'])} seeds per point."
        ),
    )
