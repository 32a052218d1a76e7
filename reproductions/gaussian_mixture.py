"""`gaussian-mixture`: ERM on a two-cluster Gaussian mixture, replica theory against training.

Mignacco, Krzakala, Lu, Urbani & Zdeborová, ICML 2020 ("The role of regularization in classification
of high-dimensional noisy Gaussian mixture"), with the saddle point of Loureiro et al., NeurIPS 2021.
Clusters :math:`\\pm v^*/\\sqrt d` of variance Delta = 1.

- Panel a: balanced clusters (rho = 1/2), no bias: test error against alpha for the square, logistic
  and hinge losses at a small penalty, and at the optimal penalty (found by the solver at a few alpha:
  it sits at the upper end of the search, lambda -> infinity, and equals the Bayes-optimal error,
  the dashed line); the separability threshold alpha*(Delta) dotted; training markers (mean over seeds,
  one standard error) at the largest d.
- Panel b: unbalanced clusters (rho = 0.2) with a trained bias: the logistic loss at lambda = 1e-4,
  whose error has its interpolation peak near alpha*(Delta, rho) (dotted), with training markers.

Checks: test error and training loss of the simulations against the replica at every simulated point,
extrapolated linearly in 1/d from the sizes, within the Student-t equivalent of 3 standard errors
(:func:`statlearn.reproductions.comparison.compare`; plus 1e-6 on the training loss, which is 0 where the
hinge separates with margin and which the solvers reach only to their KKT tolerance); the square loss against its closed form on the
theory grid (to 1e-8, the solver's tolerance); the Bayes-optimal formula against mpmath; the
optimal-lambda error against the Bayes-optimal one (it can only be above it; tolerance 1e-3, the
search stops at lambda = 1e4 where the error is within O(1/lambda) of the limit).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mpmath
import numpy as np

from statlearn.experiments.mixture import simulate_mixture
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.replica.mixture import (
    bayes_optimal_error,
    learning_curve,
    optimal_lambda,
    ridge_closed_form,
    separability_threshold,
)
from statlearn.reproductions.comparison import compare, mean_stderr
from statlearn.reproductions.erm_common import TRAINING_FLOOR
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.sweep import sweep, write_csv

DELTA = 1.0
LAM = 0.05  # panel a (the hinge dual ascent slows down as lambda -> 0 on non-separable data)
LAM_PEAK = 1e-4  # panel b
RHO_PEAK = 0.2
LOSSES = ("square", "logistic", "hinge")
QUICK = {
    "sizes": [100, 200],
    "seeds": 6,
    "theory_points": 25,
    "points": [1.0, 3.0],
    "peak_points": [2.0, 7.0],
    "optimal_points": [1.0, 4.0],
}
FULL = {
    "sizes": [200, 400, 800],
    "seeds": 10,
    "theory_points": 79,
    "points": [0.5, 1.0, 2.0, 3.0, 5.0],
    "peak_points": [1.0, 2.0, 3.5, 4.5, 6.0, 8.0],
    "optimal_points": [0.5, 1.0, 2.0, 4.0, 7.0],
}
QUANTITIES = ("test_error", "train_loss")


def mixture_point(loss: str, lam: float, alpha: float, rho: float, bias: bool, d: int, seed: int) -> dict[str, Any]:
    """One training run (sweep worker)."""
    run = simulate_mixture(loss, lam, alpha=alpha, delta=DELTA, d=d, seeds=[seed], rho=rho, bias=bias, max_iter=50_000)
    return {
        "m": float(run.m[0]),
        "q": float(run.q[0]),
        "b": float(run.bias[0]),
        "test_error": float(run.test_error[0]),
        "train_loss": float(run.train_loss[0]),
        "train_error": float(run.train_error[0]),
        "converged": run.converged,
    }


@register(
    "gaussian-mixture",
    "Gaussian mixture classification: square, logistic, hinge against the Bayes-optimal error",
    quick=QUICK,
    full=FULL,
    cost=6,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(d) for d in settings["sizes"]]
    seeds = int(settings["seeds"])
    points = np.asarray(settings["points"], dtype=float)
    peak_points = np.asarray(settings["peak_points"], dtype=float)
    dense = np.linspace(0.2, 8.0, int(settings["theory_points"]))
    curves = {loss: (LAM, 0.5, False, points, learning_curve(loss, LAM, alpha=dense, delta=DELTA)) for loss in LOSSES}
    curves["peak"] = (
        LAM_PEAK,
        RHO_PEAK,
        True,
        peak_points,
        learning_curve("logistic", LAM_PEAK, alpha=dense, delta=DELTA, rho=RHO_PEAK, bias=True),
    )
    at_points = {
        key: learning_curve("logistic" if key == "peak" else key, lam, alpha=xs, delta=DELTA, rho=rho, bias=bias)
        for key, (lam, rho, bias, xs, _) in curves.items()
    }

    grid = [
        {
            "loss": "logistic" if key == "peak" else key,
            "lam": lam,
            "alpha": float(a),
            "rho": rho,
            "bias": bias,
            "d": d,
            "seed": s,
        }
        for key, (lam, rho, bias, xs, _) in curves.items()
        for a in xs
        for d in sizes
        for s in range(seeds)
    ]
    table = sweep(mixture_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="gaussian-mixture")
    write_csv(table, out_dir / "training_runs.csv")

    checks: list[Check] = []
    sims: dict[str, dict[str, dict[int, np.ndarray]]] = {}
    for key, (_, rho, _, xs, _) in curves.items():
        loss = "logistic" if key == "peak" else key
        sims[key] = {}
        for quantity in QUANTITIES:
            per_size = {}
            for d in sizes:
                rows = (table["loss"] == loss) & (table["rho"] == rho) & (table["d"] == d)
                order = np.lexsort((table["seed"][rows], table["alpha"][rows]))
                per_size[d] = np.asarray(table[quantity][rows], dtype=float)[order].reshape(xs.size, seeds).T
            sims[key][quantity] = per_size
            label = f"{loss}{' (rho 0.2, bias)' if key == 'peak' else ''}: {quantity.replace('_', ' ')}"
            # the training loss is 0 where the hinge separates with margin: the fits stop at a KKT residual of
            # 1e-8, so an absolute allowance (the ERM reproductions' TRAINING_FLOOR) is added to its tolerance
            floor = TRAINING_FLOOR if quantity == "train_loss" else 0.0
            theory = np.asarray(getattr(at_points[key], quantity))
            checks += compare(label, sizes, xs, per_size, theory, dof=seeds - 1, floor=floor)[1]

    square = curves["square"][4]
    closed = np.array([ridge_closed_form(LAM, alpha=a, delta=DELTA) for a in dense])
    gap = float(np.max(np.abs(np.column_stack([square.m, square.q, square.V]) - closed)))
    checks.append(
        Check(
            "square loss against the closed form (max |difference| of m, q, V)",
            0.0,
            gap,
            0.0,
            1e-8,
            "Marchenko-Pastur closed form; tolerance the solver's 1e-11 on ln q, ln V times O(q)",
        )
    )
    exact = [
        float(0.5 * mpmath.erfc(mpmath.sqrt(mpmath.mpf(a) / (DELTA * (a + DELTA))) / mpmath.sqrt(2))) for a in points
    ]
    bayes_points = np.array([bayes_optimal_error(a, DELTA) for a in points])
    checks.append(
        Check(
            "Bayes-optimal error against mpmath (max |difference|)",
            0.0,
            float(np.max(np.abs(bayes_points - exact))),
            0.0,
            1e-14,
            "H(sqrt(alpha/(Delta(alpha+Delta))))",
        )
    )
    optimal = []
    for a in settings["optimal_points"]:
        for loss in LOSSES:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the optimum sits at the upper bound (the docstring)
                best = optimal_lambda(loss, alpha=float(a), delta=DELTA, bounds=(1e-4, 1e4))
            optimal.append((float(a), loss, float(best.lam), float(best.test_error)))
            checks.append(
                Check(
                    f"{loss}, optimal lambda, alpha = {a:g}: error against Bayes-optimal",
                    bayes_optimal_error(float(a), DELTA),
                    float(best.test_error),
                    0.0,
                    1e-3,
                    f"optimal lambda {best.lam:.3g}; the error can only be above the Bayes-optimal one",
                )
            )
    write_csv(
        {
            "alpha": [o[0] for o in optimal],
            "loss": [o[1] for o in optimal],
            "lam": [o[2] for o in optimal],
            "test_error": [o[3] for o in optimal],
        },
        out_dir / "optimal_lambda.csv",
    )

    star = separability_threshold(DELTA)
    star_peak = separability_threshold(DELTA, RHO_PEAK)
    columns: dict[str, Any] = {
        "alpha": dense,
        "bayes_optimal": [bayes_optimal_error(a, DELTA) for a in dense],
        "bayes_optimal_rho_0.2": [bayes_optimal_error(a, DELTA, RHO_PEAK) for a in dense],
    }
    for key, (*_, state) in curves.items():
        columns[f"{key}_test_error"] = state.test_error
        columns[f"{key}_train_loss"] = state.train_loss
    write_csv(columns, out_dir / "theory.csv")

    d = sizes[-1]
    with lecture_style():
        fig, (ax_a, ax_b) = figure(1, 2, figsize=(12.0, 4.6))
        for j, key in enumerate(("square", "logistic", "hinge", "peak")):
            ax = ax_b if key == "peak" else ax_a
            lam, rho, bias, xs, state = curves[key]
            color = COLORS[j % len(COLORS)] if key != "peak" else COLORS[1]
            name = "logistic" if key == "peak" else key
            theory_line(ax, dense, state.test_error, label=rf"{name}, $\lambda = {lam:g}$", color=color)
            mean, se = mean_stderr(sims[key]["test_error"][d])
            simulation_points(ax, xs, mean, se, color=color, label=f"training, d = {d}" if j in (0, 3) else None)
        theory_line(
            ax_a, dense, columns["bayes_optimal"], label=r"Bayes-optimal = optimal $\lambda$", color="k", ls="--"
        )
        ax_a.plot([o[0] for o in optimal], [o[3] for o in optimal], "kx", ms=8, label=r"optimal $\lambda$ (solver)")
        theory_line(ax_b, dense, columns["bayes_optimal_rho_0.2"], label="Bayes-optimal", color="k", ls="--")
        for ax, a_star, title in (
            (ax_a, star, r"(a) $\rho = 1/2$, no bias"),
            (ax_b, star_peak, rf"(b) $\rho = {RHO_PEAK:g}$, trained bias"),
        ):
            ax.axvline(a_star, color="gray", ls=":", lw=1.2, label=rf"$\alpha^* = {a_star:.3f}$")
            ax.set(xlabel=r"$\alpha = n/d$", ylabel="test error", title=f"{title}, $\\Delta = {DELTA:g}$")
            ax.legend(fontsize=8)
        save_figure(fig, out_dir / "gaussian_mixture.png")

    peak = curves["peak"][4]
    i = int(np.argmax(np.where(dense > 1.0, peak.test_error, -np.inf)))
    summary = (
        f"Delta = {DELTA:g}: alpha* = {star:.4f} (rho 1/2), {star_peak:.4f} (rho 0.2); logistic (rho 0.2, bias, "
        f"lambda 1e-4) peak at alpha = {dense[i]:.3f}, error {peak.test_error[i]:.4f}; at the optimal lambda "
        f"(square, logistic: the upper bound) error - Bayes-optimal <= {max(o[3] - bayes_optimal_error(o[0], DELTA) for o in optimal):.2g}. "
        f"d = {', '.join(map(str, sizes))}, {seeds} seeds."
    )
    return ReproductionResult(
        ("gaussian_mixture.png",), ("theory.csv", "training_runs.csv", "optimal_lambda.csv"), tuple(checks), summary
    )
