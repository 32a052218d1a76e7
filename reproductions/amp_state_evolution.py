"""`amp-state-evolution`: GAMP's mean squared error per iteration against state evolution.

State evolution (Rangan 2011; Barbier et al. PNAS 2019) predicts the overlap m_t of GAMP's
estimate with the teacher after t iterations in the high-dimensional limit, m_{t+1} =
prior_overlap(alpha conjugate(m_t)) from m_0 = 0, hence its MSE rho - m_t. Two models:
a Rademacher teacher seen through the sign channel above the algorithmic threshold (MSE falls to
zero in a few iterations), and a sparse Gauss-Bernoulli teacher in noisy linear regression
(compressed sensing).

Checks: at a few iterations, the GAMP MSE averaged over seeds and extrapolated linearly in 1/N
against the state-evolution value, within 3 standard errors of the intercept.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.amp import gamp
from statlearn.experiments import extrapolate_to_infinite_N
from statlearn.models.data import teacher_student
from statlearn.models.registry import resolve_model
from statlearn.numerics import ConvergenceWarning
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.replica import state_evolution
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.sweep import sweep, write_csv

MODELS = {
    "rademacher-sign": {"prior": "rademacher", "channel": "sign", "alpha": 2.0, "params": {}},
    "sparse-regression": {
        "prior": "gauss-bernoulli",
        "channel": "gaussian",
        "alpha": 0.6,
        "params": {"rho": 0.2, "delta": 1e-3},
    },
}
QUICK = {"sizes": [500, 2000], "seeds": 6, "iterations": 15, "checked": [1, 2, 4, 8]}
FULL = {"sizes": [1000, 2000, 4000], "seeds": 12, "iterations": 20, "checked": [1, 2, 4, 8, 12]}


def trajectory_point(model: str, N: int, seed: int, iterations: int) -> dict[str, Any]:
    """MSE after each of the first ``iterations`` GAMP iterations on fresh data (sweep worker)."""
    spec = MODELS[model]
    data = teacher_student(spec["prior"], spec["channel"], N, spec["alpha"], seed=seed, **spec["params"])
    with warnings.catch_warnings():  # the run is cut at a fixed number of iterations on purpose
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = gamp(data.F, data.y, data.prior, data.channel, teacher=data.teacher, max_iter=iterations)
    mse = np.full(iterations, result.mse[-1])  # a converged run stays where it stopped
    mse[: result.mse.size] = result.mse
    return {"mse": mse.tolist()}


@register(
    "amp-state-evolution",
    "GAMP mean squared error per iteration against state evolution",
    quick=QUICK,
    full=FULL,
    cost=2,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(n) for n in settings["sizes"]]
    T = int(settings["iterations"])
    grid = [
        {"model": name, "N": N, "seed": s, "iterations": T}
        for name in MODELS
        for N in sizes
        for s in range(int(settings["seeds"]))
    ]
    table = sweep(trajectory_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="amp-se")
    mse = np.asarray(table["mse"], dtype=float)  # (points, T): mse[:, t-1] after t iterations

    checks, rows = [], {"model": [], "N": [], "iteration": [], "mse_mean": [], "mse_stderr": [], "state_evolution": []}
    theory = {
        name: state_evolution(spec["prior"], spec["channel"], spec["alpha"], n_iter=T, **spec["params"])
        for name, spec in MODELS.items()
    }
    with lecture_style():
        fig, axes = figure(1, len(MODELS), figsize=(11.0, 4.2))
        for ax, (name, spec) in zip(np.atleast_1d(axes), MODELS.items()):
            prior, _ = resolve_model(spec["prior"], spec["channel"], dict(spec["params"]))
            se = prior.rho - theory[name][1:]  # predicted MSE after t = 1..T iterations
            t = np.arange(1, T + 1)
            theory_line(ax, t, se, label="state evolution", color="k")
            means, errs = {}, {}
            for j, N in enumerate(sizes):
                sel = (table["model"] == name) & (table["N"] == N)
                means[N] = mse[sel].mean(axis=0)
                errs[N] = mse[sel].std(axis=0, ddof=1) / np.sqrt(sel.sum())
                simulation_points(ax, t, means[N], errs[N], label=f"GAMP, N = {N}", color=COLORS[j])
                for k in range(T):
                    for key, value in zip(rows, (name, N, k + 1, means[N][k], errs[N][k], se[k])):
                        rows[key].append(value)
            for it in settings["checked"]:
                k = int(it) - 1
                y = np.array([means[N][k] for N in sizes])
                e = np.maximum(np.array([errs[N][k] for N in sizes]), 1e-15)
                fit = extrapolate_to_infinite_N(np.array(sizes, dtype=float), y, e, degree=1)
                checks.append(
                    Check(
                        f"{name}: MSE after {it} iteration(s), N -> inf",
                        se[k],
                        fit.value,
                        fit.stderr,
                        3.0 * fit.stderr + 1e-12,
                        f"weighted fit a + b/N over N = {', '.join(map(str, sizes))}; "
                        f"{int(settings['seeds'])} seeds per size; chi2/dof = {fit.chi2:.2f}/{fit.dof}",
                    )
                )
            params = ", ".join(f"{k} = {v:g}" for k, v in spec["params"].items())
            ax.set(
                yscale="log",
                ylim=(1e-10, None),
                xlabel="iteration t",
                ylabel="MSE",
                title=f"{spec['prior']} prior, {spec['channel']} channel\n"
                + rf"$\alpha = {spec['alpha']:g}$"
                + (f", {params}" if params else ""),
            )
            ax.legend(loc="lower left", fontsize=8)
        save_figure(fig, out_dir / "amp-state-evolution.png")
    write_csv(rows, out_dir / "trajectories.csv")
    return ReproductionResult(
        figures=("amp-state-evolution.png",),
        data=("trajectories.csv",),
        checks=tuple(checks),
        summary=f"GAMP from the uninformative start, {int(settings['seeds'])} seeds at N = {', '.join(map(str, sizes))}.",
    )
