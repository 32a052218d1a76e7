"""`sk-monte-carlo`: parallel tempering of SK instances; ground-state energy against Parisi's value, P(q).

Instances J_ij ~ N(0, 1/N), h = 0, at N = 64 ... 1024 (full; quick: 64, 128, 256), each run by parallel
tempering (Hukushima & Nemoto, J. Phys. Soc. Jpn. 65, 1604 (1996)) on the ladder beta = 0.4, 0.6, ...,
3.0 with two copies. The lowest energy per spin met in the run, counting the zero-temperature quench of the
coldest replicas at every step, estimates the instance's ground-state energy (T = 0); its mean over instances is extrapolated linearly in N^(-2/3), the finite-size law of the
SK ground state (Boettcher, Eur. Phys. J. B 46, 501 (2005)), and
compared with the Parisi value -0.763166 (Crisanti & Rizzo, Phys. Rev. E 65, 046137 (2002)).

- Panel a: mean ground-state energy against N^(-2/3) with the weighted linear fit and the Parisi value.
- Panel b: the overlap distribution P(q) of the two copies at T = 0.5 for every N, pooled over instances,
  with the replica-symmetric prediction (delta peaks at +-q_RS, q_RS = 0.5304 from the state evolution's
  fixed point) and Parisi's full-RSB one (:func:`statlearn.replica.sk.parisi`): the continuous part
  P(q) = x'(|q|)/2 on |q| < q_max and delta peaks of weight (1 - x(q_max-))/2 at +-q_max. P(q) is broad, the
  signature of replica-symmetry breaking.
- Panel c: the cumulative distribution of |q|, P(|q| <= q), against Parisi's x(q) (for the symmetrised
  distribution x(q) = int_{-q}^{q} P); the largest distance per N is reported (finite-size effects are large:
  the delta at q_max is smeared over a width that shrinks slowly with N).
- Panel d: the mean energy per spin at T = 0.5 (and T = 1/3 in the full run) against N^(-2/3), extrapolated
  linearly, against the Parisi energy parisi(T).energy. The law N^(-2/3) is the one of the ground state,
  assumed at T > 0 (the fit's chi2 tests it; Aspelmeier, Billoire, Marinari & Moore, J. Phys. A 41, 324008
  (2008), relate the finite-size corrections below T_c to a number of RSB steps K(N) ~ N^(1/6)).

Checks: (1) the extrapolated ground-state energy against -0.763166 within 3 standard errors of the
intercept; (2) for every N, the mean energy per spin at beta = 0.4 (paramagnetic) against the annealed
value -beta (N - 1) / (2N), within 3 standard errors plus 1/N (the quenched-annealed difference is O(1/N));
(3) the extrapolated energy at each T of ``energy_temperatures`` against Parisi's within 3 standard errors of
the intercept (plus the solver's discretisation error, measured from ``parisi_intervals`` and twice as many).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.amp import rs_overlap, sk_couplings, sk_parallel_tempering
from statlearn.experiments import extrapolate_to_infinite_N
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.replica import sk
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.sweep import sweep, write_csv

PARISI_GROUND_STATE = -0.763166
"""SK ground-state energy per spin, full RSB (Crisanti & Rizzo, Phys. Rev. E 65, 046137 (2002))."""
BETAS = tuple(0.4 + 0.2 * k for k in range(14))
"""The tempering ladder (T = 2.5 ... 0.33)."""
T_OVERLAP = 0.5
"""Temperature of P(q). Overlaps are multiples of 2/N: 32 bins on [-1, 1] hold equally many of them for every
N that is a multiple of 32 (other bin counts alias)."""
QUICK = {
    "sizes": [64, 128, 256],
    "instances": 12,
    "sweeps": 500,
    "thermalization": 500,
    "bins": 32,
    "energy_temperatures": [0.5],
    "parisi_intervals": 8,
}
FULL = {
    "sizes": [64, 128, 256, 512, 1024],
    "instances": 40,
    "sweeps": 4000,
    "thermalization": 4000,
    "bins": 32,
    "energy_temperatures": [0.5, 1.0 / 3.0],
    "parisi_intervals": 20,
}


def instance_point(N: int, seed: int, sweeps: int, thermalization: int, bins: int) -> dict[str, Any]:
    """Ground-state estimate, mean energy per spin at every beta of the ladder and the overlap histogram at
    T = 0.5 of one instance (sweep worker)."""
    betas = np.array(BETAS)
    result = sk_parallel_tempering(
        sk_couplings(N, seed), betas, 0.0, n_sweeps=sweeps, thermalization=thermalization, seed=seed
    )
    k = int(np.argmin(np.abs(betas - 1.0 / T_OVERLAP)))
    counts, _ = np.histogram(result.overlaps[:, k], bins=bins, range=(-1.0, 1.0))
    return {
        "ground": result.min_energy,
        "hot_energy": float(result.energy[0]),
        "energies": result.energy.tolist(),
        "overlap_counts": counts.tolist(),
    }


@register(
    "sk-monte-carlo",
    "SK parallel tempering: ground-state energy against Parisi, P(q) at T = 0.5",
    quick=QUICK,
    full=FULL,
    cost=10,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(n) for n in settings["sizes"]]
    n_inst = int(settings["instances"])
    bins = int(settings["bins"])
    grid = [
        {
            "N": N,
            "seed": 10_000 * N + s,
            "sweeps": int(settings["sweeps"]),
            "thermalization": int(settings["thermalization"]),
            "bins": bins,
        }
        for N in sizes
        for s in range(n_inst)
    ]
    table = sweep(instance_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="sk-mc")
    return analyse(table, settings, out_dir)


def parisi_step(result: sk.SKParisi, q: np.ndarray) -> np.ndarray:
    """Parisi's x at the overlaps ``q`` in [0, 1] (the step function of ``result``)."""
    grid, x = result.x_of_q
    return x[np.clip(np.searchsorted(grid, q, side="right") - 1, 0, x.size - 1)]


def analyse(table: Mapping[str, Any], settings: Mapping[str, Any], out_dir: Path) -> ReproductionResult:
    """Checks, energies.csv and the figure from the sweep's ``table`` (one row per instance)."""
    sizes = [int(n) for n in settings["sizes"]]
    n_inst = int(settings["instances"])
    bins = int(settings["bins"])
    ground = np.asarray(table["ground"], dtype=float)
    hot = np.asarray(table["hot_energy"], dtype=float)
    counts = np.asarray(table["overlap_counts"], dtype=float)
    Ns = np.asarray(table["N"])

    checks: list[Check] = []
    means, errs = [], []
    rows: dict[str, list[Any]] = {"N": [], "ground_mean": [], "ground_stderr": [], "hot_mean": [], "hot_stderr": []}
    beta_hot = BETAS[0]
    for N in sizes:
        sel = Ns == N
        g, e = ground[sel], hot[sel]
        means.append(g.mean())
        errs.append(g.std(ddof=1) / np.sqrt(g.size))
        e_mean, e_err = e.mean(), e.std(ddof=1) / np.sqrt(e.size)
        for key, value in zip(rows, (N, means[-1], errs[-1], e_mean, e_err)):
            rows[key].append(value)
        checks.append(
            Check(
                f"energy per spin at beta = {beta_hot:g}, N = {N}",
                -beta_hot * (N - 1) / (2 * N),
                e_mean,
                e_err,
                3 * e_err + 1.0 / N,
                f"annealed -beta (N-1)/(2N); {g.size} instances; tolerance 3 stderr + 1/N",
            )
        )
    x = np.array(sizes, dtype=float) ** (2.0 / 3.0)  # the fit is in 1/x = N^(-2/3)
    fit = extrapolate_to_infinite_N(x, np.array(means), np.array(errs), degree=1)
    checks.append(
        Check(
            "ground-state energy per spin, N -> inf (fit in N^(-2/3))",
            PARISI_GROUND_STATE,
            fit.value,
            fit.stderr,
            3 * fit.stderr,
            f"weighted fit a + b N^(-2/3) over N = {', '.join(map(str, sizes))}, {n_inst} instances each, "
            f"slope b = {fit.coefficients[1]:.3f}; chi2/dof = {fit.chi2:.2f}/{fit.dof}; lowest energy met by "
            f"{int(settings['thermalization']) + int(settings['sweeps'])} tempering steps (with quenches) per instance",
        )
    )
    write_csv(rows, out_dir / "energies.csv")
    q_rs = rs_overlap(1.0 / T_OVERLAP, 0.0)

    # Parisi at every energy temperature (and T_OVERLAP), on n and 2n intervals: the difference estimates the
    # discretisation error of the finer one, which is used.
    n_parisi = int(settings["parisi_intervals"])
    temperatures = sorted({float(T) for T in settings["energy_temperatures"]} | {T_OVERLAP}, reverse=True)
    theory = {}
    for T in temperatures:
        coarse, fine = sk.parisi(T, intervals=n_parisi), sk.parisi(T, intervals=2 * n_parisi)
        theory[T] = (fine, abs(fine.energy - coarse.energy))
    table_energies = np.asarray(table["energies"], dtype=float)
    betas = np.array(BETAS)
    finite_t: dict[str, list[Any]] = {"T": [], "N": [], "energy_mean": [], "energy_stderr": []}
    finite_fits = []
    for T in (float(T) for T in settings["energy_temperatures"]):
        k = int(np.argmin(np.abs(betas - 1.0 / T)))
        e_means, e_errs = [], []
        for N in sizes:
            e = table_energies[Ns == N, k]
            e_means.append(e.mean())
            e_errs.append(e.std(ddof=1) / np.sqrt(e.size))
            for key, value in zip(finite_t, (T, N, e_means[-1], e_errs[-1])):
                finite_t[key].append(value)
        e_fit = extrapolate_to_infinite_N(x, np.array(e_means), np.array(e_errs), degree=1)
        parisi_t, error = theory[T]
        finite_fits.append((T, e_fit, e_means, e_errs, parisi_t.energy))
        checks.append(
            Check(
                f"energy per spin at T = {T:.4g}, N -> inf (fit in N^(-2/3)) against Parisi",
                parisi_t.energy,
                e_fit.value,
                e_fit.stderr,
                3 * e_fit.stderr + error,
                f"weighted fit a + b N^(-2/3), slope b = {e_fit.coefficients[1]:.3f}, chi2/dof = "
                f"{e_fit.chi2:.2f}/{e_fit.dof}; parisi(T) on {2 * n_parisi} intervals, discretisation error "
                f"{error:.1e} (against {n_parisi}); tolerance 3 stderr + that error",
            )
        )
    write_csv(finite_t, out_dir / "energies_finite_T.csv")

    # P(|q| <= q) at the bin edges q = 2j/bins against Parisi's x(q) (bins symmetric about 0: bins is even)
    overlap_parisi = theory[T_OVERLAP][0]
    edges = np.linspace(0.0, 1.0, bins // 2 + 1)[1:]
    x_edges = parisi_step(overlap_parisi, edges)
    cumulative: dict[str, list[Any]] = {"N": [], "q": [], "mc": [], "parisi": []}
    distances = []
    for N in sizes:
        pooled = counts[Ns == N].sum(axis=0)
        folded = pooled[bins // 2 :] + pooled[: bins // 2][::-1]  # counts of |q| per bin of width 2/bins
        mc = np.cumsum(folded) / folded.sum()
        distances.append(float(np.max(np.abs(mc - x_edges))))
        for key, value in zip(cumulative, (N, edges, mc, x_edges)):
            cumulative[key].extend(np.broadcast_to(value, edges.shape).tolist())
    write_csv(cumulative, out_dir / "overlap_cumulative.csv")

    with lecture_style():
        fig, axes = figure(2, 2, figsize=(11.5, 8.6))
        (ax_e, ax_q), (ax_c, ax_t) = axes
        grid_x = np.linspace(0.0, 1.05 / x.min(), 50)
        theory_line(ax_e, grid_x, fit.coefficients[0] + fit.coefficients[1] * grid_x, label="fit", color=COLORS[0])
        ax_e.axhline(PARISI_GROUND_STATE, color="k", lw=1.0, ls="--", label="Parisi $-0.763166$")
        simulation_points(ax_e, 1.0 / x, means, errs, label="parallel tempering", color=COLORS[1])
        simulation_points(ax_e, [0.0], [fit.value], [fit.stderr], label=r"$N\to\infty$", color=COLORS[2], marker="s")
        ax_e.set(xlabel=r"$N^{-2/3}$", ylabel=r"ground-state energy per spin", title="(a) ground state, $h = 0$")
        ax_e.legend(loc="lower right")
        centres = np.linspace(-1.0, 1.0, bins + 1)
        centres = 0.5 * (centres[1:] + centres[:-1])
        peak = 0.0
        for j, N in enumerate(sizes):
            pooled = counts[Ns == N].sum(axis=0)
            density = pooled / pooled.sum() / (2.0 / bins)
            peak = max(peak, float(density.max()))
            ax_q.plot(centres, density, marker="o", ms=3, color=COLORS[j % len(COLORS)], label=f"N = {N}")
        for sign in (-1, 1):
            ax_q.axvline(sign * q_rs, color="k", ls="--", lw=1.0, label=r"RS: $\pm q_{RS}$" if sign > 0 else None)
        grid_q, x_q = overlap_parisi.x_of_q
        middle = 0.5 * (grid_q[1:] + grid_q[:-1])
        inside = np.flatnonzero(middle < overlap_parisi.q_max)
        weight = 1.0 - float(x_q[inside[-1]])  # the delta at q_max, from x just below it
        inside = inside[:-1]  # the interval next to the jump mixes both parts: the continuous part stops before it
        slope = np.gradient(x_q[inside], middle[inside])  # the continuous part, x'(q)
        for sign in (-1, 1):
            ax_q.plot(
                sign * middle[inside], 0.5 * slope, color="k", lw=2.0, label="Parisi (full RSB)" if sign > 0 else None
            )
            ax_q.annotate(
                f"{weight / 2:.2f}" + r"$\,\delta$" if sign > 0 else "",
                xy=(sign * overlap_parisi.q_max, 0.0),
                xytext=(sign * overlap_parisi.q_max, 1.1 * peak),
                ha="center",
                arrowprops={"arrowstyle": "->", "color": "k"},
            )
        ax_q.set(
            xlabel="overlap $q$",
            ylabel="$P(q)$",
            title=f"(b) overlap distribution, $T = {T_OVERLAP}$, $h = 0$",
            ylim=(0.0, 1.25 * peak),
        )
        ax_q.legend(loc="upper center", fontsize=8)

        fine_q = np.linspace(0.0, 1.0, 801)
        theory_line(ax_c, fine_q, parisi_step(overlap_parisi, fine_q), label="Parisi $x(q)$", color="k")
        for j, N in enumerate(sizes):
            mc = np.asarray(cumulative["mc"])[np.asarray(cumulative["N"]) == N]
            ax_c.plot(
                edges,
                mc,
                marker="o",
                ms=3,
                color=COLORS[j % len(COLORS)],
                label=f"N = {N}: max dist {distances[j]:.2f}",
            )
        ax_c.set(
            xlabel="$q$", ylabel=r"$P(|q'| \leq q)$", title=f"(c) cumulative of $|q|$ against $x(q)$, $T = {T_OVERLAP}$"
        )
        ax_c.legend(loc="upper left", fontsize=8)

        for j, (T, e_fit, e_means, e_errs, e_parisi) in enumerate(finite_fits):
            color = COLORS[j % len(COLORS)]
            simulation_points(ax_t, 1.0 / x, e_means, e_errs, label=f"T = {T:.3g}", color=color)
            theory_line(ax_t, grid_x, e_fit.coefficients[0] + e_fit.coefficients[1] * grid_x, color=color, ls=":")
            simulation_points(ax_t, [0.0], [e_fit.value], [e_fit.stderr], color=color, marker="s")
            ax_t.plot([0.0], [e_parisi], marker="*", ms=12, ls="none", color="k", label="Parisi" if j == 0 else None)
        ax_t.set(xlabel=r"$N^{-2/3}$", ylabel="energy per spin", title="(d) energy at low $T$ against Parisi")
        ax_t.legend(loc="lower right", fontsize=8)
        save_figure(fig, out_dir / "sk-monte-carlo.png")
    energy_text = "; ".join(
        f"T = {T:.3g}: MC {e_fit.value:.4f} +- {e_fit.stderr:.4f}, Parisi {e_parisi:.5f}"
        for T, e_fit, _, _, e_parisi in finite_fits
    )
    return ReproductionResult(
        figures=("sk-monte-carlo.png",),
        data=("energies.csv", "energies_finite_T.csv", "overlap_cumulative.csv"),
        checks=tuple(checks),
        summary=(
            f"{n_inst} instances at N = {', '.join(map(str, sizes))}; parallel tempering on {len(BETAS)} "
            f"temperatures, two copies; ground state extrapolated to {fit.value:.4f} +- {fit.stderr:.4f}; "
            f"{energy_text}; largest distance of P(|q| <= q) to Parisi's x(q) at T = {T_OVERLAP}: "
            + ", ".join(f"{d:.3f} (N = {N})" for N, d in zip(sizes, distances))
            + "."
        ),
    )
