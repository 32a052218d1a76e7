"""`sk-amp`: Bolthausen's AMP on Sherrington-Kirkpatrick instances against its state evolution.

Bolthausen, Commun. Math. Phys. 325, 333 (2014); de Almeida & Thouless, J. Phys. A 11, 983 (1978). SK
instances J_ij ~ N(0, 1/N) at N = 1000 ... 8000; AMP run from its uninformative start at two points of
the (T, h) plane: above the AT line (AT parameter lambda < 1), where the iterates converge to a TAP
solution, and below it (lambda > 1), where the self-overlap q_t still follows the state evolution but
the increments |m^{t+1} - m^t|^2 / N stay of order one.

- Panel a: q_t against t, state evolution as lines, instances as markers (mean +- standard error).
- Panel b: the increments on a log scale, with the state-evolution prediction q_{t+1} + q_t - 2 C_{t,t+1}.

Checks (every N, both points): q_t and the increment at the checked iterations against the state
evolution, within the Student-t 99.9% quantile of the standard error of the mean over instances (the
finite-N error; the deviation in sigmas is stated in each check's note); above the AT line the last increment must be below 1e-6, below it
the mean last increment must be consistent with the state evolution's non-vanishing value. Above the line,
the TAP free energy (Thouless, Anderson & Palmer, Phil. Mag. 35, 593 (1977)) at AMP's last iterate against
the replica-symmetric free energy, within the same quantile plus 1/N (its finite-size bias).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from statlearn.amp import rs_overlap, sk_amp, sk_couplings, sk_state_evolution, tap_free_energy
from statlearn.numerics import ConvergenceWarning, gaussian_expectation, log2cosh
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.sweep import sweep, write_csv

#: (label, beta, h): one point above the AT line, one below
POINTS = (("above AT", 1.0, 0.5), ("below AT", 2.5, 0.3))
LEVEL = 1e-3
"""Two-sided false-alarm level of each check (the spread over a few instances is itself uncertain, so the
tolerance is a Student-t quantile of the standard error rather than a fixed number of sigmas)."""
QUICK = {"sizes": [1000, 2000], "seeds": 8, "iterations": 25, "checked": [2, 4, 8]}
FULL = {"sizes": [1000, 2000, 4000, 8000], "seeds": 10, "iterations": 40, "checked": [2, 4, 8, 16]}


def instance_point(N: int, seed: int, iterations: int) -> dict[str, Any]:
    """q_t and increments of AMP on one instance at every point of :data:`POINTS` (sweep worker)."""
    J = sk_couplings(N, seed)
    out: dict[str, Any] = {}
    for label, beta, h in POINTS:
        with warnings.catch_warnings():  # below the AT line AMP does not converge: that is the point
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = sk_amp(J, beta, h, n_iter=iterations)
        out[f"q {label}"] = result.q.tolist()
        out[f"increment {label}"] = result.increment.tolist()
        out[f"f_tap {label}"] = tap_free_energy(J, beta, h, result.m)
    return out


def rs_free_energy(beta: float, h: float) -> float:
    """-beta f_RS = beta^2/4 (1 - q)^2 + E_z ln 2 cosh beta(h + sqrt(q) z) at the state evolution's fixed point q
    (Sherrington & Kirkpatrick 1975)."""
    q = rs_overlap(beta, h)
    lncosh = gaussian_expectation(lambda z, b, hh, qq: log2cosh(b * (hh + np.sqrt(qq) * z)), beta, h, q)
    return float(-(beta**2 / 4.0 * (1.0 - q) ** 2 + lncosh) / beta)


def _check(name: str, theory: float, values: np.ndarray, note: str, allowance: float = 0.0) -> Check:
    mean = float(values.mean())
    err = float(values.std(ddof=1) / np.sqrt(values.size))
    sigmas = abs(mean - theory) / err if err > 0 else 0.0
    quantile = float(stats.t.ppf(1.0 - LEVEL / 2.0, values.size - 1))
    return Check(
        name,
        theory,
        mean,
        err,
        quantile * err + allowance + 1e-12,
        f"{note}; {values.size} instances; {sigmas:.2f} sigma (tolerance {quantile:.2f} sigma: Student t, "
        f"two-sided level {LEVEL:g})",
    )


@register("sk-amp", "Bolthausen AMP on SK instances against state evolution", quick=QUICK, full=FULL, cost=3)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(n) for n in settings["sizes"]]
    T = int(settings["iterations"])
    seeds = int(settings["seeds"])
    grid = [{"N": N, "seed": 1000 * N + s, "iterations": T} for N in sizes for s in range(seeds)]
    table = sweep(instance_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="sk-amp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theory = {label: sk_state_evolution(beta, h, n_iter=T) for label, beta, h in POINTS}

    checks: list[Check] = []
    rows: dict[str, list[Any]] = {"point": [], "N": [], "t": [], "q_mean": [], "q_stderr": [], "q_se": []}
    rows |= {"increment_mean": [], "increment_stderr": [], "increment_se": []}
    t = np.arange(T + 1)
    with lecture_style():
        fig, (ax_q, ax_d) = figure(1, 2, figsize=(11.5, 4.4))
        for p, (label, beta, h) in enumerate(POINTS):
            se = theory[label]
            lam = f"$T = {1 / beta:.2g}$, $h = {h:g}$, $\\lambda = {se.stability:.2f}$"
            theory_line(ax_q, t, se.q, label=f"SE, {label}: {lam}", color="k", ls="-" if p == 0 else "--")
            theory_line(ax_d, t[:-1], se.increment, label=f"SE, {label}", color="k", ls="-" if p == 0 else "--")
            for j, N in enumerate(sizes):
                sel = table["N"] == N
                q = np.asarray(table[f"q {label}"], dtype=float)[sel]
                inc = np.asarray(table[f"increment {label}"], dtype=float)[sel]
                qm, qe = q.mean(0), q.std(0, ddof=1) / np.sqrt(q.shape[0])
                im, ie = inc.mean(0), inc.std(0, ddof=1) / np.sqrt(inc.shape[0])
                marker = "o" if p == 0 else "s"
                name = f"AMP N = {N}" if p == 0 else None
                simulation_points(ax_q, t, qm, qe, label=name, color=COLORS[j], marker=marker, ms=3)
                simulation_points(ax_d, t[:-1], im, ie, label=name, color=COLORS[j], marker=marker, ms=3)
                for k in range(T):
                    values = (label, N, k, qm[k], qe[k], se.q[k], im[k], ie[k], se.increment[k])
                    for key, value in zip(rows, values):
                        rows[key].append(value)
                for k in settings["checked"]:
                    k = int(k)
                    checks.append(_check(f"{label}: q_{k}, N = {N}", se.q[k], q[:, k], f"beta = {beta}, h = {h}"))
                    checks.append(
                        _check(
                            f"{label}: |m^{k + 1} - m^{k}|^2/N, N = {N}",
                            se.increment[k],
                            inc[:, k],
                            f"beta = {beta}, h = {h}",
                        )
                    )
                last = inc[:, -1]
                if se.stability < 1:
                    f_tap = np.asarray(table[f"f_tap {label}"], dtype=float)[sel]
                    checks.append(
                        _check(
                            f"{label}: TAP free energy at AMP's fixed point, N = {N}",
                            rs_free_energy(beta, h),
                            f_tap,
                            "replica-symmetric f; allowance 1/N for the finite-size bias added",
                            allowance=1.0 / N,
                        )
                    )
                    checks.append(
                        Check(
                            f"{label}: AMP converged, last increment, N = {N}",
                            0.0,
                            float(last.max()),
                            0.0,
                            1e-6,
                            f"largest |m^T - m^(T-1)|^2/N over {last.size} instances at T = {T} (tolerance 1e-6)",
                        )
                    )
                else:
                    checks.append(
                        _check(
                            f"{label}: AMP not converging, last increment, N = {N}",
                            se.increment[-1],
                            last,
                            f"state evolution: increments tend to {se.increment[-1]:.3f}, not 0",
                        )
                    )
        ax_q.set(xlabel="iteration t", ylabel=r"$q_t = \|m^t\|^2/N$", title="(a) self-overlap", ylim=(0, 0.8))
        ax_q.legend(loc="lower right", fontsize=8)
        ax_d.set(
            xlabel="iteration t",
            ylabel=r"$\|m^{t+1}-m^t\|^2/N$",
            yscale="log",
            ylim=(1e-9, 3),
            title="(b) increments: convergence above the AT line only",
        )
        ax_d.legend(loc="lower left", fontsize=8)
        save_figure(fig, out_dir / "sk-amp.png")
    write_csv(rows, out_dir / "trajectories.csv")
    return ReproductionResult(
        figures=("sk-amp.png",),
        data=("trajectories.csv",),
        checks=tuple(checks),
        summary=(
            f"AMP from the uninformative start, {seeds} instances at N = {', '.join(map(str, sizes))}, "
            f"{T} iterations at (beta, h) = " + ", ".join(f"({b:g}, {h:g})" for _, b, h in POINTS) + "."
        ),
    )
