"""`compressed-sensing`: the l1 phase transition of AMP, the Bayes-optimal lines, and AMP against ISTA/FISTA.

Donoho, Maleki & Montanari, PNAS 106, 18914 (2009); Donoho & Tanner, PNAS 102, 9446 (2005); Krzakala,
Mezard, Sausset, Sun & Zdeborova, PRX 2, 021005 (2012); Beck & Teboulle, SIAM J. Imaging Sci. 2, 183 (2009).
Noiseless instances y = A x0, A_ij ~ N(0, 1/n), n = delta N, k = rho n non-zero N(0, 1) entries, solved by AMP
with the minimax threshold tau_*(delta) sigma_t; success when |x - x0|^2 / |x0|^2 < 1e-4.

- Panel a: the (delta, rho) plane with rho_DT(delta) from state evolution (the l1 line), the spinodal of
  Bayes-optimal AMP for the Gauss-Bernoulli prior (alpha_alg = sup_s s mmse(s) at density eps, drawn at
  delta = alpha_alg, rho = eps / alpha_alg), the information-theoretic line rho = 1 (alpha_IT = eps), and
  AMP success fractions at points across the l1 line, colour-coded, for the largest N.
- Panel b: success fraction against rho - rho_DT(delta) for every N (sharpening with N).
- Panel c: a noisy instance at delta = 0.5: relative distance to the LASSO minimiser against iteration for
  AMP (calibrated lambda), ISTA, FISTA and FISTA with decreasing thresholds.

Checks: (1) at rho_DT(delta) -+ margin, pooled over N, the success fraction against 1 (below) and 0 (above),
within 3 posterior standard deviations of the binomial fraction (Beta(k+1, n-k+1)); (2) AMP's minimiser against
scikit-learn's Lasso (relative distance, tolerance 1e-6, the accuracy of scikit-learn's coordinate descent at
tol 1e-12) and ISTA/FISTA against AMP (tolerance 1e-6); (3) AMP's fixed point satisfies the KKT conditions of
the LASSO at the calibrated lambda (relative violation below 1e-6).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator
from scipy import optimize
from sklearn.linear_model import Lasso

from statlearn.amp import ista, lasso_amp, lasso_kkt_violation, lipschitz_constant
from statlearn.models import GaussBernoulliPrior
from statlearn.numerics import ConvergenceWarning
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.replica import lasso
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.sweep import sweep, write_csv

SUCCESS = 1e-4
"""Largest relative squared error |x - x0|^2 / |x0|^2 of a successful recovery."""

QUICK = {
    "sizes": [200, 400],
    "delta": [0.25, 0.5, 0.75],
    "offsets": [-0.1, -0.05, 0.0, 0.05, 0.1],
    "seeds": 6,
    "max_iter": 400,
    "margin": 0.1,
    "convergence": {"N": 500, "rho": 0.2, "noise": 0.1, "tol": 1e-12},
}
FULL = {
    "sizes": [500, 1000, 2000],
    "delta": [0.1, 0.25, 0.5, 0.75, 0.9],
    "offsets": [-0.1, -0.06, -0.03, 0.0, 0.03, 0.06, 0.1],
    "seeds": 20,
    "max_iter": 1500,
    "margin": 0.1,
    "convergence": {"N": 2000, "rho": 0.2, "noise": 0.1, "tol": 1e-12},
}


def instance(N: int, delta: float, rho: float, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A compressed-sensing instance (A, y, x0) from an integer seed."""
    rng = np.random.default_rng(seed)
    n = int(round(delta * N))
    k = max(1, int(round(rho * n)))
    A = rng.standard_normal((n, N)) / np.sqrt(n)
    x0 = np.zeros(N)
    x0[rng.choice(N, k, replace=False)] = rng.standard_normal(k)
    return A, A @ x0 + noise * rng.standard_normal(n), x0


def recovery_point(N: int, delta: float, rho: float, seed: int, max_iter: int) -> dict[str, Any]:
    """Whether AMP at the minimax threshold recovers one noiseless instance (sweep worker)."""
    A, y, x0 = instance(N, delta, rho, 0.0, seed)
    with warnings.catch_warnings():  # near and above the line AMP does not converge: that is measured
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = lasso_amp(A, y, threshold=float(lasso.minimax_threshold(delta)), max_iter=max_iter, tol=1e-9)
    error = float(np.sum((result.x - x0) ** 2) / np.sum(x0**2))
    return {"error": error, "success": error < SUCCESS, "iterations": result.iterations}


def bayes_spinodal(eps: float) -> float:
    """alpha_alg = sup_s s mmse(s) of the noiseless Gauss-Bernoulli prior at density eps (Krzakala et al. 2012):
    the fixed points E = mmse(alpha / E) of the state evolution lie on alpha = s mmse(s), s = alpha / E."""
    prior = GaussBernoulliPrior(eps)
    t = np.linspace(np.log(1e-3), np.log(1e7), 400)
    values = np.exp(t) * np.asarray(prior.mse(np.exp(t)))
    k = int(np.clip(np.argmax(values), 1, t.size - 2))
    best = optimize.minimize_scalar(
        lambda u: -np.exp(u) * float(prior.mse(np.exp(u))), bounds=(t[k - 1], t[k + 1]), method="bounded"
    )
    return float(-best.fun)


def _convergence(settings: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], list[Check], dict[str, float]]:
    """Relative distance to the LASSO minimiser per iteration for AMP and the thresholding solvers."""
    N, rho, noise, tol = (settings[key] for key in ("N", "rho", "noise", "tol"))
    delta = 0.5
    A, y, _ = instance(int(N), delta, float(rho), float(noise), 7)
    n = A.shape[0]
    calibration = lasso_amp(A, y, threshold=float(lasso.minimax_threshold(delta)), tol=1e-9, max_iter=5000)
    lam = calibration.lam
    start = time.perf_counter()
    minimiser = lasso_amp(A, y, lam=lam, tol=float(tol), max_iter=20_000)
    times = {"AMP": time.perf_counter() - start}
    reference = minimiser.x
    norm2 = float(reference @ reference) / reference.size
    checks = [
        Check(
            "KKT violation of AMP's fixed point (relative to lambda)",
            0.0,
            lasso_kkt_violation(A, y, reference, lam),
            0.0,
            1e-6,
            f"lambda = {lam:.4g} from the minimax-threshold run (theta (1 - |x|_0 / n)); tolerance 1e-6",
        )
    ]
    sk = Lasso(alpha=lam / n, fit_intercept=False, tol=1e-12, max_iter=1_000_000).fit(A, y).coef_
    checks.append(
        Check(
            "AMP minimiser against scikit-learn Lasso (relative distance)",
            0.0,
            float(np.linalg.norm(sk - reference) / np.linalg.norm(reference)),
            0.0,
            1e-6,
            "Lasso(alpha = lambda / n): its loss is the LASSO cost divided by n; tolerance 1e-6",
        )
    )
    curves = {
        "AMP": np.sqrt(np.asarray(lasso_amp(A, y, lam=lam, tol=float(tol), reference=reference).distance) / norm2)
    }
    L = lipschitz_constant(A)
    for name, accelerated, homotopy in (
        ("ISTA", False, None),
        ("FISTA", True, None),
        ("FISTA, decreasing thresholds", True, 0.9),
    ):
        start = time.perf_counter()
        run = ista(A, y, lam, accelerated=accelerated, homotopy=homotopy, lipschitz=L, tol=float(tol), max_iter=200_000)
        times[name] = time.perf_counter() - start
        rerun = ista(
            A, y, lam, accelerated=accelerated, homotopy=homotopy, lipschitz=L, tol=float(tol), reference=reference
        )
        curves[name] = np.sqrt(np.asarray(rerun.distance) / norm2)
        checks.append(
            Check(
                f"{name} minimiser against AMP (relative distance)",
                0.0,
                float(np.linalg.norm(run.x - reference) / np.linalg.norm(reference)),
                0.0,
                1e-6,
                f"{run.iterations} iterations to relative change {tol:g}; tolerance 1e-6",
            )
        )
    return curves, checks, times


def _fraction_check(name: str, theory: float, successes: int, trials: int, note: str) -> Check:
    a, b = successes + 1.0, trials - successes + 1.0
    spread = float(np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1.0))))
    return Check(
        name,
        theory,
        successes / trials,
        spread,
        3.0 * spread,
        f"{successes}/{trials} successes; {note}; tolerance 3 posterior standard deviations (Beta(k+1, n-k+1))",
    )


@register(
    "compressed-sensing", "Compressed sensing: l1 phase transition by AMP, ISTA/FISTA", quick=QUICK, full=FULL, cost=10
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(n) for n in settings["sizes"]]
    deltas = [float(d) for d in settings["delta"]]
    offsets = sorted({float(o) for o in settings["offsets"]} | {-float(settings["margin"]), float(settings["margin"])})
    margin = float(settings["margin"])
    seeds = int(settings["seeds"])
    rho_dt = {d: float(lasso.phase_transition(d)) for d in deltas}
    grid = [
        {
            "N": N,
            "delta": d,
            "rho": rho_dt[d] + o,
            "seed": 100_000 * j + 1000 * i + s,
            "max_iter": int(settings["max_iter"]),
        }
        for j, N in enumerate(sizes)
        for i, (d, o) in enumerate((d, o) for d in deltas for o in offsets)
        for s in range(seeds)
        if 0.0 < rho_dt[d] + o < 1.0
    ]
    table = sweep(
        recovery_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="compressed-sensing"
    )
    N_col = np.asarray(table["N"])
    d_col = np.asarray(table["delta"], dtype=float)
    r_col = np.asarray(table["rho"], dtype=float)
    ok = np.asarray(table["success"], dtype=bool)
    offset_col = r_col - np.array([rho_dt[d] for d in d_col])

    checks: list[Check] = []
    rows: dict[str, list[Any]] = {"delta": [], "rho": [], "rho_dt": [], "N": [], "successes": [], "trials": []}
    for d in deltas:
        for side, theory in ((-margin, 1.0), (margin, 0.0)):
            sel = (d_col == d) & np.isclose(offset_col, side)
            if sel.any():
                where = "below" if side < 0 else "above"
                checks.append(
                    _fraction_check(
                        f"AMP success {where} the l1 line, delta = {d:g}, rho = rho_DT {side:+g}",
                        theory,
                        int(ok[sel].sum()),
                        int(sel.sum()),
                        f"rho_DT = {rho_dt[d]:.6f}, pooled over N = {', '.join(map(str, sizes))}",
                    )
                )
    curves, solver_checks, times = _convergence(settings["convergence"])
    checks.extend(solver_checks)

    line_delta = np.linspace(0.02, 0.98, 97)
    line_rho = np.asarray(lasso.phase_transition(line_delta))
    eps = np.linspace(0.02, 0.9, 30)
    alpha_alg = np.array([bayes_spinodal(e) for e in eps])
    with lecture_style():
        fig, (ax_a, ax_b, ax_c) = figure(1, 3, figsize=(16.0, 4.6))
        theory_line(ax_a, line_delta, line_rho, label=r"L1 line $\rho_{DT}(\delta)$ (AMP state evolution)", color="k")
        theory_line(
            ax_a, alpha_alg, eps / alpha_alg, label=r"Bayes-optimal AMP: $\alpha_{alg}$", color=COLORS[1], ls="--"
        )
        theory_line(
            ax_a, [0, 1], [1, 1], label=r"information-theoretic: $\alpha_{IT} = \varepsilon$", color=COLORS[2], ls=":"
        )
        big = N_col == sizes[-1]
        for d in deltas:
            for o in offsets:
                sel = big & (d_col == d) & np.isclose(offset_col, o)
                if sel.any():
                    frac = ok[sel].mean()
                    ax_a.scatter([d], [rho_dt[d] + o], c=[[1 - frac, 0.2, frac]], s=40, edgecolors="k", zorder=3)
        ax_a.scatter([], [], c=[[0, 0.2, 1]], edgecolors="k", label=f"AMP success (N = {sizes[-1]}), blue = 1, red = 0")
        ax_a.set(
            xlabel=r"$\delta = n/N$", ylabel=r"$\rho = k/n$", xlim=(0, 1), ylim=(0, 1.05), title="(a) phase diagram"
        )
        ax_a.legend(loc="upper left", fontsize=7)
        for j, N in enumerate(sizes):
            for m, d in enumerate(deltas):
                xs, ms, es = [], [], []
                for o in offsets:
                    sel = (N_col == N) & (d_col == d) & np.isclose(offset_col, o)
                    if sel.any():
                        p = ok[sel].mean()
                        xs.append(o)
                        ms.append(p)
                        es.append(np.sqrt(max(p * (1 - p), 0.25 / sel.sum()) / sel.sum()))
                        for key, value in zip(
                            rows, (d, rho_dt[d] + o, rho_dt[d], N, int(ok[sel].sum()), int(sel.sum()))
                        ):
                            rows[key].append(value)
                label = f"N = {N}, delta = {d:g}"
                simulation_points(ax_b, xs, ms, es, label=label, color=COLORS[j], marker="osd^v"[m % 5], ms=4)
        ax_b.axvline(0.0, color="k", lw=1.0, ls=":")
        ax_b.xaxis.set_major_locator(MaxNLocator(5))
        ax_b.set(
            xlabel=r"$\rho - \rho_{DT}(\delta)$",
            ylabel="fraction recovered",
            title="(b) sharpening with N (markers: delta)",
        )
        ax_b.legend(loc="upper right", fontsize=6, ncol=2)
        for j, (name, curve) in enumerate(curves.items()):
            ax_c.plot(
                np.arange(curve.size), np.maximum(curve, 1e-16), color=COLORS[j], label=f"{name} ({times[name]:.2f} s)"
            )
        ax_c.axhline(1e-8, color="k", lw=0.8, ls=":")
        ax_c.set(
            xscale="log",
            yscale="log",
            ylim=(1e-14, 3),
            xlabel="iteration",
            ylabel=r"$\|x^t - x_\lambda\|/\|x_\lambda\|$",
            title=r"(c) LASSO, $\delta = 0.5$: AMP against ISTA/FISTA",
        )
        ax_c.legend(loc="lower left", fontsize=8)
        save_figure(fig, out_dir / "compressed-sensing.png")
    write_csv(rows, out_dir / "success.csv")
    iterations = {
        name: int(np.argmax(curve <= 1e-8)) if np.any(curve <= 1e-8) else -1 for name, curve in curves.items()
    }
    return ReproductionResult(
        figures=("compressed-sensing.png",),
        data=("success.csv",),
        checks=tuple(checks),
        summary=(
            f"AMP at the minimax threshold on {len(grid)} noiseless instances at N = {', '.join(map(str, sizes))}; "
            "iterations to 1e-8 of the LASSO minimiser: " + ", ".join(f"{k} {v}" for k, v in iterations.items()) + "."
        ),
    )
