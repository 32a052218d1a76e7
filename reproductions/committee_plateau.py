"""`committee-plateau`: the symmetric plateau of soft committee machines and its escape, ODE against SGD.

A soft committee machine (erf units, second layer fixed to 1) with K hidden units learns a teacher
of the same architecture, M = K, with orthonormal weights (Saad & Solla, PRE 52, 4225, 1995).
The students first learn the teacher's average and sit on the symmetric, unspecialised fixed point
(all R_km equal: the plateau); a small initial asymmetry grows at the rate of the plateau's
unstable mode (:func:`statlearn.online.plateau`) until each student unit specialises on one
teacher unit (R_kk -> 1, R_km -> 0) and eps_g falls to zero.

SGD runs start from weights with exactly the ODE's initial overlaps; their finite-N noise also
drives the escape, so the escape time fluctuates at finite N and the agreement improves as N
grows. Checks: the relative discrepancy of eps_g at times on the plateau, during and after the
escape, extrapolated linearly in 1/N to zero within the Student-t multiple of its standard
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

from statlearn.online import Overlaps, integrate, plateau
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.reproductions.comparison import compare, mean_stderr, plot_shrinking
from statlearn.reproductions.online_common import add_curve_rows, overlaps_dict, sgd_point, stacked
from statlearn.reproductions.registry import ReproductionResult, register
from statlearn.sweep import sweep, write_csv

ETA = 0.5
QUICK = {
    "committees": [
        {"K": 2, "alpha_max": 400.0, "checked": [20.0, 80.0, 130.0, 200.0]},
        {"K": 4, "alpha_max": 500.0, "checked": [50.0, 150.0, 220.0, 300.0]},
    ],
    "sizes": [500, 2000],
    "seeds": [12, 6],
}
FULL = {
    "committees": [
        {"K": 2, "alpha_max": 400.0, "checked": [20.0, 80.0, 110.0, 130.0, 160.0, 200.0]},
        {"K": 4, "alpha_max": 500.0, "checked": [50.0, 150.0, 200.0, 220.0, 250.0, 300.0]},
    ],
    "sizes": [500, 2000, 10000],
    "seeds": [16, 8, 4],
}


def initial_overlaps(K: int) -> Overlaps:
    """T = I, Q = I / 4, R = 0.05 I + 0.01 U[0, 1) (fixed seed): each student unit starts slightly
    closer to "its" teacher unit. The SGD noise adds an O(1/sqrt N) asymmetry of its own, so the
    escape agrees with the ODE only when the initial one dominates; with R ~ 1/sqrt N (random
    weights) the escape time would differ from the ODE's by O(1) at any N."""
    R = 0.05 * np.eye(K) + 0.01 * np.random.default_rng(2024 + K).uniform(size=(K, K))
    return Overlaps.checked(R, 0.25 * np.eye(K), np.eye(K))


@register(
    "committee-plateau",
    "Soft committee machines K = M = 2, 4: plateau and specialisation, ODE vs SGD",
    quick=QUICK,
    full=FULL,
    cost=85,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(n) for n in settings["sizes"]]
    seeds = dict(zip(sizes, (int(s) for s in settings["seeds"])))
    committees = list(settings["committees"])
    times, grid = {}, []
    for c in committees:
        K = int(c["K"])
        times[K] = np.unique(np.concatenate([np.linspace(0.0, float(c["alpha_max"]), 101), c["checked"]]))
        grid += [
            {
                "K": K,
                "M": K,
                "eta": ETA,
                "N": N,
                "seed": s,
                "times": times[K].tolist(),
                "init": overlaps_dict(initial_overlaps(K)),
            }
            for N in sizes
            for s in range(seeds[N])
        ]
    table = sweep(sgd_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="committee-plateau")

    checks, comparisons, ode, rows = [], {}, {}, {}
    for c in committees:
        K = int(c["K"])
        t = times[K]
        ode[K] = integrate(K, K, ETA, t, init=initial_overlaps(K))
        idx = np.searchsorted(t, c["checked"])
        sel = {N: (table["K"] == K) & (table["N"] == N) for N in sizes}
        eps = {N: stacked(table, "eps_g", sel[N]) for N in sizes}
        comparisons[K], found = compare(
            f"eps_g, K = M = {K}",
            sizes,
            t[idx],
            {N: e[:, idx] for N, e in eps.items()},
            ode[K].generalization_error[idx],
            relative=True,
            dof=min(seeds.values()) - 1,
        )
        checks += found
        add_curve_rows(rows, {"K": K}, t, eps, ode[K].generalization_error)
    write_csv(rows, out_dir / "committee_plateau.csv")

    K2 = int(committees[0]["K"])
    fp = plateau(K2, ETA)
    t2 = times[K2]
    largest = sizes[-1]
    sel = (table["K"] == K2) & (table["N"] == largest)
    R_sim, Q_sim = stacked(table, "R", sel), stacked(table, "Q", sel)
    pick = slice(0, None, 4)
    with lecture_style():
        fig, axes = figure(2, 2, figsize=(11.5, 8.5))
        ax = axes[0, 0]
        for j, c in enumerate(committees):
            K = int(c["K"])
            theory_line(ax, times[K], ode[K].generalization_error, label=f"K = M = {K} (ODE)", color=COLORS[j])
            for i, N in enumerate(sizes):
                mean, se = mean_stderr(stacked(table, "eps_g", (table["K"] == K) & (table["N"] == N)))
                simulation_points(
                    ax,
                    times[K][pick],
                    mean[pick],
                    se[pick],
                    color=COLORS[j],
                    marker="osD^"[i % 4],
                    ms=4,
                )
        for i, N in enumerate(sizes):  # one grey entry per size: its marker stands for every K
            simulation_points(ax, [], [], [], color="0.35", marker="osD^"[i % 4], ms=4, label=f"SGD, N = {N}")
        ax.axhline(fp.generalization_error, color="0.5", ls=":", label=f"symmetric fixed point, K = {K2}")
        ax.set(
            yscale="log",
            ylim=(1e-6, 1.0),
            xlabel=r"$\alpha$",
            ylabel=r"$\epsilon_g$",
            title=rf"plateau and escape, $\eta$ = {ETA}",
        )
        ax.legend(fontsize=8)
        for ax, name, sim, th in ((axes[0, 1], "R", R_sim, ode[K2].R), (axes[1, 0], "Q", Q_sim, ode[K2].Q)):
            n_cols = th.shape[2]
            for k in range(K2):
                for m in range(n_cols):
                    if name == "Q" and m < k:
                        continue
                    color = COLORS[(k * n_cols + m) % len(COLORS)]
                    theory_line(
                        ax,
                        t2,
                        th[:, k, m],
                        color=color,
                        linestyle="-" if k == m else "--",
                        label=f"${name}_{{{k + 1}{m + 1}}}$",
                    )
                    mean, se = mean_stderr(sim[:, :, k, m])
                    simulation_points(ax, t2[pick], mean[pick], se[pick], color=color, ms=4)
            ax.set(
                xlabel=r"$\alpha$",
                ylabel=f"${name}$",
                title=f"K = M = {K2}: {name} entries (lines ODE, markers SGD N = {largest})",
            )
            ax.legend(fontsize=8, ncol=2)
        plot_shrinking(axes[1, 1], comparisons[K2], f"K = M = {K2}: one run against the ODE, $\\epsilon_g$")
        axes[1, 1].set_ylabel("rms over runs of (SGD - ODE) / ODE")
        save_figure(fig, out_dir / "committee_plateau.png")

    summary = (
        f"eta = {ETA}; the symmetric fixed point of K = {K2} has eps_g = {fp.generalization_error:.5f} and escape rate "
        f"{fp.escape_rate:.4f}; SGD at N = {', '.join(map(str, sizes))} "
        f"with {', '.join(map(str, settings['seeds']))} seeds."
    )
    return ReproductionResult(("committee_plateau.png",), ("committee_plateau.csv",), tuple(checks), summary)
