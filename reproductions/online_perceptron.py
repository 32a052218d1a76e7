"""`online-perceptron`: learning curves of online SGD for the erf perceptron, ODE against SGD.

A student perceptron g(x) = erf(x / sqrt 2) learns a teacher of the same form by online SGD
(Biehl & Schwarze 1995; K = M = 1 of Saad & Solla 1995). The overlap ODEs predict eps_g(alpha);
linearising them at the perfect solution gives the maximal learning rate eta_max = pi sqrt(5/3)
(perfect learning is lost above it) and the learning rate of fastest asymptotic decay eta_opt =
2 pi sqrt(5) / (3 sqrt 3) (:func:`statlearn.online.perceptron_learning_rates`). Four learning
rates: 0.5, 1.5, eta_opt and 1.1 eta_max, which converges to a state with finite error.

Checks: the relative discrepancy (SGD - ODE) / ODE of eps_g at a few times, averaged over seeds at
each N and extrapolated linearly in 1/N, vanishes within 3 standard errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.online import Overlaps, integrate, perceptron_learning_rates
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.reproductions.comparison import compare, mean_stderr, plot_shrinking
from statlearn.reproductions.online_common import add_curve_rows, overlaps_dict, sgd_point
from statlearn.reproductions.registry import ReproductionResult, register
from statlearn.sweep import sweep, write_csv

QUICK = {"sizes": [500, 2000], "seeds": 8, "alpha_max": 30.0, "checked": [2.0, 5.0, 10.0, 20.0]}
FULL = {"sizes": [500, 2000, 10000], "seeds": 16, "alpha_max": 40.0, "checked": [2.0, 5.0, 10.0, 20.0, 30.0]}

#: Initial state: a student orthogonal to the teacher (R = 0) with |w|^2 / N = 0.25, T = 1.
INIT = Overlaps.checked([[0.0]], [[0.25]], [[1.0]])


def learning_rates() -> list[tuple[float, str]]:
    rates = perceptron_learning_rates("scaled-erf")
    return [
        (0.5, r"$\eta$ = 0.5"),
        (1.5, r"$\eta$ = 1.5"),
        (rates.eta_opt, rf"$\eta_{{opt}}$ = {rates.eta_opt:.3f}"),
        (1.1 * rates.eta_max, rf"$1.1\,\eta_{{max}}$ = {1.1 * rates.eta_max:.3f}"),
    ]


@register(
    "online-perceptron",
    "Online SGD of the erf perceptron: eps_g(alpha) for several learning rates, ODE vs SGD",
    quick=QUICK,
    full=FULL,
    cost=12,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(n) for n in settings["sizes"]]
    checked = [float(a) for a in settings["checked"]]
    times = np.unique(np.concatenate([np.linspace(0.0, float(settings["alpha_max"]), 61), checked]))
    etas = learning_rates()
    grid = [
        {"K": 1, "M": 1, "eta": eta, "N": N, "seed": s, "times": times.tolist(), "init": overlaps_dict(INIT)}
        for eta, _ in etas
        for N in sizes
        for s in range(int(settings["seeds"]))
    ]
    table = sweep(sgd_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="online-perceptron")
    eps = np.asarray(table["eps_g"], dtype=float)
    idx = np.searchsorted(times, checked)

    checks, comparisons = [], {}
    rows: dict[str, list] = {}
    ode = {eta: integrate(1, 1, eta, times, init=INIT) for eta, _ in etas}
    for eta, _label in etas:
        sims = {N: eps[(table["eta"] == eta) & (table["N"] == N)] for N in sizes}
        comparison, found = compare(
            f"eps_g, eta = {eta:.4g}",
            sizes,
            times[idx],
            {N: s[:, idx] for N, s in sims.items()},
            ode[eta].generalization_error[idx],
            relative=True,
        )
        comparisons[eta] = comparison
        checks += found
        add_curve_rows(rows, {"eta": eta}, times, sims, ode[eta].generalization_error)
    write_csv(rows, out_dir / "online_perceptron.csv")

    with lecture_style():
        fig, (left, right) = figure(1, 2, figsize=(11.5, 4.4))
        N_show = sizes[-1]
        for j, (eta, label) in enumerate(etas):
            theory_line(left, times, ode[eta].generalization_error, label=f"{label} (ODE)", color=COLORS[j])
            mean, se = mean_stderr(eps[(table["eta"] == eta) & (table["N"] == N_show)])
            pick = slice(0, None, 4)
            simulation_points(left, times[pick], mean[pick], se[pick], color=COLORS[j], ms=4)
        left.plot([], [], "o", mfc="white", color="0.3", label=f"SGD, N = {N_show}")
        left.set(
            yscale="log",
            xlabel=r"$\alpha$ = steps / N",
            ylabel=r"$\epsilon_g$",
            title="erf perceptron, online SGD",
            ylim=(1e-8, 1.0),
        )
        left.legend(fontsize=8)
        eta_opt = etas[2][0]
        plot_shrinking(right, comparisons[eta_opt], r"one run against the ODE at $\eta_{opt}$")
        right.set_ylabel("rms over runs of (SGD - ODE) / ODE")
        save_figure(fig, out_dir / "online_perceptron.png")

    summary = (
        f"erf perceptron, eta_opt = {etas[2][0]:.4f}, eta_max = {etas[3][0] / 1.1:.4f}; SGD at N = "
        f"{', '.join(map(str, sizes))} with {settings['seeds']} seeds per size, started from R = 0, Q = 0.25."
    )
    return ReproductionResult(("online_perceptron.png",), ("online_perceptron.csv",), tuple(checks), summary)
