"""`computational-gap`: the gap between information-theoretic and algorithmic learning.

Rademacher teacher, sign channel (Barbier, Krzakala, Macris, Miolane & Zdeborová, PNAS 2019;
Györgyi 1990). Panel a: the free entropy of every fixed point of the replica formula against
alpha: the uninformative branch (the one AMP follows), the perfect-recovery branch
phi = -ln 2, and the unstable branch between them (from the fixed-point curve alpha(m)). The
Bayes-optimal learner jumps to perfect generalisation at alpha_IT, where the first two cross;
AMP gets there only at alpha_alg, where the uninformative branch ends. Panel b: the fraction of
GAMP runs that reach perfect generalisation against alpha at several N; state evolution
predicts a step at alpha_alg.

Check: the load alpha_{1/2}(N) where half of the GAMP runs succeed (binomial maximum-likelihood
fit per N), extrapolated linearly in 1/N, against alpha_alg within 3 standard errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.amp import gamp
from statlearn.models.data import teacher_student
from statlearn.models.registry import resolve_model
from statlearn.numerics import ConvergenceWarning
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.replica import bayes_optimal, fixed_point_curve, thresholds
from statlearn.reproductions.registry import ReproductionResult, register
from statlearn.reproductions.transition import (
    TransitionData,
    crossings,
    extrapolation_check,
    extrapolation_legend,
    plot_extrapolation,
)
from statlearn.sweep import sweep, write_csv

QUICK = {
    "sizes": [300, 600],
    "alpha": [1.3, 1.38, 1.44, 1.48, 1.52, 1.56, 1.62, 1.7, 1.8],
    "seeds": 24,
    "max_iter": 500,
}
FULL = {
    "sizes": [500, 1000, 2000],
    "alpha": [1.3, 1.36, 1.42, 1.46, 1.49, 1.52, 1.55, 1.6, 1.66, 1.74, 1.85],
    "seeds": 60,
    "max_iter": 800,
}
PERFECT = 1.0 - 1e-6  # overlap counted as perfect generalisation


def success_point(N: int, alpha: float, seed: int, max_iter: int) -> dict[str, Any]:
    """Does GAMP from the uninformative start reach the teacher? (sweep worker)"""
    data = teacher_student("rademacher", "sign", N, alpha, seed=seed)
    with warnings.catch_warnings():  # runs that stay on the uninformative branch may keep drifting
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = gamp(data.F, data.y, data.prior, data.channel, teacher=data.teacher, max_iter=max_iter)
    overlap = float(result.m[-1])
    return {"overlap": overlap, "success": bool(overlap >= PERFECT), "converged": bool(result.converged)}


def branch_free_entropies(n_points: int = 400):
    """(alpha, phi, m) along the fixed-point curve of the Rademacher-sign model, mhat in [1e-3, 1e3]."""
    prior, channel = resolve_model("rademacher", "sign", {})
    mhat = np.exp(np.linspace(np.log(1e-3), np.log(1e3), n_points))
    alpha, m = fixed_point_curve(prior, channel, mhat)
    mse = np.asarray(prior.mse(mhat))
    phi = 0.5 * mhat * mse - np.asarray(prior.information(mhat)) + alpha * np.asarray(channel.free_entropy(m, 1.0))
    return alpha, phi, m


@register(
    "computational-gap",
    "Computational gap of the Rademacher perceptron: free entropies and GAMP success",
    quick=QUICK,
    full=FULL,
    cost=27,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(n) for n in settings["sizes"]]
    alphas = np.asarray(settings["alpha"], dtype=float)
    seeds = int(settings["seeds"])
    grid = [
        {"N": N, "alpha": float(a), "seed": s, "max_iter": int(settings["max_iter"])}
        for N in sizes
        for a in alphas
        for s in range(seeds)
    ]
    table = sweep(success_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="computational-gap")
    write_csv(table, out_dir / "gamp_runs.csv")

    th = thresholds("rademacher", "sign")
    counts = {
        N: np.array([[table["success"][(table["N"] == N) & (table["alpha"] == a)].sum()] for a in alphas])
        for N in sizes
    }
    # the alphas are loads here, not pattern counts: P carries alpha * N only to reuse the fits
    data = TransitionData(tuple(sizes), np.array([0.0]), {N: alphas * N for N in sizes}, counts, seeds)
    window = (float(alphas.min()), float(alphas.max()))
    values, errors = crossings(data, 0, lambda N: window, degree=1)
    fit, check = extrapolation_check(
        "alpha_alg from GAMP success alpha_1/2(N -> inf)", sizes, values, errors, th.alpha_alg
    )
    write_csv({"N": sizes, "alpha_half": values, "stderr": errors}, out_dir / "crossings.csv")

    curve_alpha, curve_phi, curve_m = branch_free_entropies()
    dense = np.linspace(0.05, 2.0, 300)
    low = bayes_optimal("rademacher", "sign", dense, init="uninformative")
    m_alg = th.spinodals[0][1]  # the uninformative branch ends at the maximum of alpha(m)
    stable_low = curve_m <= m_alg
    write_csv({"alpha": curve_alpha, "overlap": curve_m, "free_entropy": curve_phi}, out_dir / "fixed_points.csv")

    with lecture_style():
        fig, (ax_a, ax_b, ax_c) = figure(1, 3, figsize=(15.0, 4.4))
        uninf = dense <= th.alpha_alg
        theory_line(ax_a, dense[uninf], low.free_entropy[uninf], label="uninformative (AMP) branch", color=COLORS[0])
        ax_a.plot(
            curve_alpha[~stable_low], curve_phi[~stable_low], color=COLORS[0], ls=":", lw=1.5, label="unstable branch"
        )
        theory_line(
            ax_a, dense, np.full_like(dense, -np.log(2.0)), label=r"perfect recovery, $\phi = -\ln 2$", color=COLORS[1]
        )
        for value, style, name in ((th.alpha_it, ":", r"$\alpha_{IT}$"), (th.alpha_alg, "-.", r"$\alpha_{alg}$")):
            ax_a.axvline(value, color="grey", ls=style, lw=1.2)
            ax_a.text(value, -0.98, f" {name} = {value:.3f}", color="grey", rotation=90, va="bottom", ha="right")
        ax_a.set(
            xlabel=r"$\alpha$",
            ylabel=r"free entropy $\phi$",
            title="(a) fixed points, Rademacher / sign",
            xlim=(0.8, 2.0),
            ylim=(-1.0, -0.4),
        )
        ax_a.legend(loc="upper right", fontsize=8)

        for j, N in enumerate(sizes):
            simulation_points(
                ax_b,
                alphas,
                data.fraction(N)[:, 0],
                data.stderr(N)[:, 0],
                label=f"GAMP, N = {N}",
                color=COLORS[j % len(COLORS)],
            )
        ax_b.step(
            [alphas.min(), th.alpha_alg, th.alpha_alg, alphas.max()],
            [0, 0, 1, 1],
            where="post",
            color="k",
            lw=1.2,
            label="state evolution",
        )
        ax_b.set(xlabel=r"$\alpha$", ylabel="fraction reaching the teacher", title="(b) GAMP success")
        ax_b.legend(loc="upper left", fontsize=8)

        plot_extrapolation(ax_c, sizes, values, errors, fit, th.alpha_alg, COLORS[0], r"$\alpha_{1/2}(N)$")
        ax_c.axhline(1.0, color="k", lw=1.0)
        ax_c.set(xlabel=r"$1/N$", ylabel=r"$\alpha_{1/2}(N)\,/\,\alpha_{alg}$", title="(c) finite-size shift")
        extrapolation_legend(ax_c, loc="best")
        save_figure(fig, out_dir / "computational-gap.png")

    return ReproductionResult(
        figures=("computational-gap.png",),
        data=("gamp_runs.csv", "crossings.csv", "fixed_points.csv"),
        checks=(check,),
        summary=(
            f"alpha_IT = {th.alpha_it:.5f}, alpha_alg = {th.alpha_alg:.5f}; {seeds} GAMP runs per load at "
            f"N = {', '.join(map(str, sizes))}; success = overlap >= {PERFECT}."
        ),
    )
