"""`overparametrisation`: final error of over-parametrised students, first layer only vs both layers.

A teacher with M = 2 erf hidden units and label noise sigma is learnt by students with K = 2, 4, 8
hidden units (Goldt, Advani, Saxe, Krzakala & Zdeborova, NeurIPS 2019). Training only the first
layer (second layer fixed to 1, the soft committee machine), the final error grows with K: every
extra unit is pushed around by the noise. Training both layers (second-layer step eta / N), the
final error decreases with K: the students spread the teacher's units over several of theirs with
smaller second-layer weights, which averages the noise out.

The ODE is integrated to alpha = 1e5 for the converged error; SGD runs to ``alpha_max``. Checks:
the relative discrepancy of eps_g at the checked times for every K and both regimes, extrapolated
linearly in 1/N (or at the single N) to zero within the Student-t multiple of its standard
error with the coverage of 3 Gaussian ones (99.73%), with the fewest seeds per size minus one
degrees of freedom: the standard errors come from a few seeds, and the per-seed discrepancy
during the escape is broad and skewed (8% spread, skewness 0.1-0.9 at K = 2, N = 2000), so that
with 3 seeds a 3-standard-error check fails about one time in five by chance.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import NullFormatter

from statlearn.online import Overlaps, integrate
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.reproductions.comparison import compare, mean_stderr, plot_shrinking
from statlearn.reproductions.online_common import add_curve_rows, overlaps_dict, sgd_point
from statlearn.reproductions.registry import ReproductionResult, register
from statlearn.sweep import sweep, write_csv

M, ETA, SIGMA, ALPHA_CONVERGED = 2, 0.2, 0.3, 1e5
QUICK = {
    "students": [2, 4, 8],
    "sizes": [250, 500],
    "seeds": [8, 6],
    "alpha_max": 1000.0,
    "checked": [200.0, 500.0, 1000.0],
}
FULL = {
    "students": [2, 4, 8],
    "sizes": [1000, 2000],
    "seeds": [6, 3],
    "alpha_max": 2000.0,
    "checked": [200.0, 500.0, 1000.0, 2000.0],
}
REGIMES = {"first layer": False, "both layers": True}


def initial_overlaps(K: int) -> Overlaps:
    """T = I, Q = I / 4, v = v* = 1, R = 0.05 on (k, k) for k < M plus 0.01 U[0, 1) (fixed seed):
    the first M student units start slightly closer to one teacher unit each."""
    R = 0.05 * np.eye(K, M) + 0.01 * np.random.default_rng(7 + K).uniform(size=(K, M))
    return Overlaps.checked(R, 0.25 * np.eye(K), np.eye(M))


@register(
    "overparametrisation",
    "Over-parametrised students (M = 2; K = 2, 4, 8): first layer vs both layers",
    quick=QUICK,
    full=FULL,
    cost=66,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    students = [int(k) for k in settings["students"]]
    sizes = [int(n) for n in settings["sizes"]]
    seeds = dict(zip(sizes, (int(s) for s in settings["seeds"])))
    checked = [float(a) for a in settings["checked"]]
    times = np.unique(np.concatenate([[0.0], np.geomspace(1.0, float(settings["alpha_max"]), 50), checked]))
    grid = [
        {
            "K": K,
            "M": M,
            "eta": ETA,
            "N": N,
            "seed": s,
            "times": times.tolist(),
            "init": overlaps_dict(initial_overlaps(K)),
            "sigma": SIGMA,
            "train_second_layer": both,
        }
        for both in REGIMES.values()
        for K in students
        for N in sizes
        for s in range(seeds[N])
    ]
    table = sweep(sgd_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="overparametrisation")
    eps_all = np.asarray(table["eps_g"], dtype=float)
    idx = np.searchsorted(times, checked)
    t_ode = np.concatenate([times, [ALPHA_CONVERGED]])

    checks, comparisons, ode = [], {}, {}
    rows: dict[str, list] = {}
    for regime, both in REGIMES.items():
        for K in students:
            ode[regime, K] = integrate(K, M, ETA, t_ode, init=initial_overlaps(K), sigma=SIGMA, train_second_layer=both)
            sel = {N: (table["K"] == K) & (table["N"] == N) & (table["train_second_layer"] == both) for N in sizes}
            eps = {N: eps_all[s] for N, s in sel.items()}
            comparisons[regime, K], found = compare(
                f"eps_g, K = {K}, {regime}",
                sizes,
                times[idx],
                {N: e[:, idx] for N, e in eps.items()},
                ode[regime, K].generalization_error[idx],
                relative=True,
                dof=min(seeds.values()) - 1,
            )
            checks += found
            add_curve_rows(rows, {"regime": regime, "K": K}, times, eps, ode[regime, K].generalization_error[:-1])
    write_csv(rows, out_dir / "overparametrisation.csv")

    N_show = sizes[-1]
    styles = {"first layer": "--", "both layers": "-"}
    with lecture_style():
        fig, axes = figure(1, 3, figsize=(16.0, 4.6))
        ax = axes[0]
        for regime in REGIMES:
            for j, K in enumerate(students):
                tr = ode[regime, K]
                theory_line(
                    ax,
                    times[1:],
                    tr.generalization_error[1:-1],
                    color=COLORS[j],
                    linestyle=styles[regime],
                    label=f"K = {K}, {regime}",
                )
                mean, se = mean_stderr(
                    eps_all[
                        (table["K"] == K) & (table["N"] == N_show) & (table["train_second_layer"] == REGIMES[regime])
                    ]
                )
                pick = slice(1, None, 3)
                simulation_points(
                    ax, times[pick], mean[pick], se[pick], color=COLORS[j], ms=4, marker="o" if REGIMES[regime] else "s"
                )
        ax.set(
            xscale="log",
            yscale="log",
            xlabel=r"$\alpha$",
            ylabel=r"$\epsilon_g$",
            title=rf"M = {M}, $\eta$ = {ETA}, $\sigma$ = {SIGMA} (markers: SGD, N = {N_show})",
        )
        ax.legend(fontsize=7, ncol=2)

        ax = axes[1]
        last = times.size - 1
        for i, regime in enumerate(REGIMES):
            color = COLORS[4 + i]
            final = [ode[regime, K].generalization_error[-1] for K in students]
            at_end = [ode[regime, K].generalization_error[last] for K in students]
            theory_line(
                ax,
                students,
                final,
                color=color,
                linestyle=":",
                marker="x",
                label=rf"ODE, $\alpha$ = {ALPHA_CONVERGED:g} ({regime})",
            )
            theory_line(
                ax,
                students,
                at_end,
                color=color,
                linestyle=styles[regime],
                label=rf"ODE, $\alpha$ = {times[last]:g} ({regime})",
            )
            ends = np.array(
                [
                    mean_stderr(
                        eps_all[
                            (table["K"] == K)
                            & (table["N"] == N_show)
                            & (table["train_second_layer"] == REGIMES[regime])
                        ][:, last]
                    )
                    for K in students
                ]
            )
            simulation_points(
                ax,
                students,
                ends[:, 0],
                ends[:, 1],
                color=color,
                label=rf"SGD, N = {N_show}, $\alpha$ = {times[last]:g}",
            )
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="student hidden units K",
            ylabel=r"final $\epsilon_g$",
            title="over-parametrisation",
        )
        ax.set_xticks(students, [str(k) for k in students])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.legend(fontsize=7)

        plot_shrinking(
            axes[2],
            comparisons["both layers", students[-1]],
            f"K = {students[-1]}, both layers: one run against the ODE",
        )
        axes[2].set_ylabel("rms over runs of (SGD - ODE) / ODE")
        save_figure(fig, out_dir / "overparametrisation.png")

    finals = "; ".join(
        f"{regime}: " + ", ".join(f"K = {K}: {ode[regime, K].generalization_error[-1]:.4f}" for K in students)
        for regime in REGIMES
    )
    summary = f"converged ODE error (alpha = {ALPHA_CONVERGED:g}): {finals}."
    return ReproductionResult(("overparametrisation.png",), ("overparametrisation.csv",), tuple(checks), summary)
