"""Shared pieces of the ERM reproductions: curves of the replica theory with training runs on top.

A reproduction declares its curves (:class:`CurveSpec`): a data model, a teacher, a loss, a
penalty (a number, or ``"optimal"`` for the test-error-minimising one at every point) and the
horizontal axis, either ``"P/N"`` (random features at fixed alpha = N/D, gamma = alpha * P/N) or
``"alpha"`` (n/d for models with p = d). :func:`run_curves` computes the theory on a fine grid and
at the simulated points, trains real students at those points (a sweep over sizes and seeds,
checkpointed so that a rerun resumes), and checks the test error and the training loss at every
simulated point with :func:`statlearn.reproductions.comparison.compare` (discrepancy averaged over seeds at
each size, extrapolated linearly in 1/d, within the Student-t equivalent of 3 standard errors for
standard errors estimated from ``seeds`` runs). The logistic and hinge fits stop at a KKT
residual of :data:`TRAINING_TOL` (relative); the training-loss checks allow
:data:`TRAINING_FLOOR` on top, for the loss a stopped fit leaves (e.g. 4e-9 where the exact
hinge training loss is 0).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.experiments.covariates import simulate
from statlearn.models.channels import get_channel
from statlearn.models.covariates import BlockCovariates, CovariateModel, RandomFeatures
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.plotting import figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.replica.erm import learning_curve, optimal_lambda
from statlearn.reproductions.comparison import compare, mean_stderr
from statlearn.reproductions.registry import Check
from statlearn.sweep import sweep, write_csv

__all__ = [
    "CurveSpec",
    "CurveResult",
    "model_from_spec",
    "erm_point",
    "run_curves",
    "theory_grid",
    "reproduce_curves",
    "plot_curves",
    "Panel",
    "curve_panels",
    "error_and_loss_figure",
]

QUANTITIES = ("generalization_error", "training_loss")
TRAINING_TOL = 1e-7
TRAINING_FLOOR = 1e-6  # absolute allowance on the training loss for fits stopped at TRAINING_TOL


def model_from_spec(spec: Mapping[str, Any]) -> CovariateModel:
    """A model from its JSON form: ``{"kind": "random-features", "activation": name}`` or
    ``{"kind": "blocks", "fractions": [...], "variances": [...], "teacher": [...]}``."""
    if spec["kind"] == "random-features":
        return RandomFeatures(spec["activation"])
    if spec["kind"] == "blocks":
        return BlockCovariates(tuple(spec["fractions"]), tuple(spec["variances"]), tuple(spec["teacher"]))
    raise ValueError(f"unknown model kind {spec['kind']!r}")


def erm_point(
    model: dict,
    teacher: str,
    delta: float,
    loss: str,
    lam: float,
    alpha: float,
    gamma: float | None,
    d: int,
    seed: int,
    n_test: int,
) -> dict[str, Any]:
    """One training run (sweep worker): test error, training loss and error, convergence."""
    channel = get_channel(teacher, **({"delta": delta} if delta else {}))
    run = simulate(
        model_from_spec(model),
        channel,
        loss,
        lam,
        alpha=alpha,
        d=d,
        gamma=gamma,
        seeds=1,
        n_test=n_test,
        seed=seed,
        tol=TRAINING_TOL,
    )
    return {
        "generalization_error": float(run.generalization_error[0]),
        "training_loss": float(run.training_loss[0]),
        "training_error": float(run.training_error[0]),
        "converged": bool(run.converged[0]),
    }


@dataclass(frozen=True)
class CurveSpec:
    """One theory curve with simulation markers (module docstring)."""

    key: str
    label: str
    model: dict
    teacher: str
    loss: str
    lam: float | str
    axis: str  # "P/N" or "alpha"
    alpha: float | None = None  # fixed alpha = N/D for the "P/N" axis
    delta: float = 0.0
    style: dict = field(default_factory=dict)

    def controls(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(alpha, gamma) along the axis."""
        x = np.asarray(x, dtype=float)
        if self.axis == "P/N":
            return np.full_like(x, self.alpha), x * self.alpha
        return x, None

    def theory(self, x: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Test error and training loss along ``x``, and the penalty used at each point."""
        model = model_from_spec(self.model)
        teacher = get_channel(self.teacher, **({"delta": self.delta} if self.delta else {}))
        alphas, gammas = self.controls(x)
        if self.lam == "optimal":
            points = [
                optimal_lambda(model, teacher, self.loss, alpha=a, gamma=None if gammas is None else g)
                for a, g in zip(alphas, gammas if gammas is not None else alphas)
            ]
            values = {q: np.array([getattr(p, q) for p in points]) for q in QUANTITIES}
            return values, np.array([p.lam for p in points])
        curve = learning_curve(model, teacher, self.loss, float(self.lam), alpha=alphas, gamma=gammas)
        if not curve.converged.all():
            raise RuntimeError(f"theory of {self.key} did not converge at {x[~curve.converged]}")
        return {q: getattr(curve, q) for q in QUANTITIES}, np.full(x.shape, float(self.lam))


@dataclass(frozen=True)
class CurveResult:
    """Theory on the fine grid and at the simulated points, and the simulations per size."""

    spec: CurveSpec
    x_theory: np.ndarray
    theory: dict[str, np.ndarray]
    x_sim: np.ndarray
    theory_at_sim: dict[str, np.ndarray]
    lam_at_sim: np.ndarray
    sims: dict[str, dict[int, np.ndarray]]  # quantity -> size -> (seeds, points)


def run_curves(
    name: str,
    specs: Sequence[CurveSpec],
    x_theory: np.ndarray,
    x_sim: Mapping[str, Sequence[float]],
    sizes: Sequence[int],
    seeds: int,
    n_test: int,
    out_dir: Path,
    executor: Any,
) -> tuple[list[CurveResult], list[Check], dict[str, list]]:
    """Theory, simulations, checks and CSV rows for ``specs`` (module docstring); ``x_sim[key]``
    are the simulated points of each curve."""
    prepared = []
    grid = []
    for spec in specs:
        xs = np.asarray(x_sim[spec.key], dtype=float)
        theory, _ = spec.theory(np.asarray(x_theory, dtype=float))
        at_sim, lams = spec.theory(xs)
        prepared.append((spec, theory, xs, at_sim, lams))
        alphas, gammas = spec.controls(xs)
        for j in range(xs.size):
            for d in sizes:
                for s in range(seeds):
                    grid.append(
                        {
                            "curve": spec.key,
                            "model": spec.model,
                            "teacher": spec.teacher,
                            "delta": spec.delta,
                            "loss": spec.loss,
                            "lam": float(lams[j]),
                            "alpha": float(alphas[j]),
                            "gamma": None if gammas is None else float(gammas[j]),
                            "d": int(d),
                            "seed": s,
                            "n_test": int(n_test),
                        }
                    )
    table = sweep(_sweep_worker, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc=name)
    unconverged = int(np.sum(~np.asarray(table["converged"], dtype=bool)))
    if unconverged:
        warnings.warn(
            f"{name}: {unconverged} of {len(grid)} training runs stopped above the KKT tolerance",
            ConvergenceWarning,
            stacklevel=2,
        )
    results, checks, rows = [], [], {}
    for spec, theory, xs, at_sim, lams in prepared:
        sims: dict[str, dict[int, np.ndarray]] = {q: {} for q in QUANTITIES}
        for d in sizes:
            mask = (table["curve"] == spec.key) & (table["d"] == d)
            order = np.lexsort(
                (
                    table["seed"][mask],
                    table["lam"][mask],
                    table["alpha"][mask],
                    np.nan_to_num(np.asarray(table["gamma"][mask], dtype=float)),
                )
            )
            for q in QUANTITIES:
                values = np.asarray(table[q][mask], dtype=float)[order]
                sims[q][d] = values.reshape(xs.size, seeds).T
        for q in QUANTITIES:
            _, found = compare(
                f"{spec.label}: {q.replace('_', ' ')}",
                list(sizes),
                xs,
                sims[q],
                at_sim[q],
                axis=spec.axis,
                dof=seeds - 1,
                floor=TRAINING_FLOOR if q == "training_loss" else 0.0,
            )
            checks += found
            for d in sizes:
                mean, se = mean_stderr(sims[q][d])
                columns = {
                    "curve": [spec.key] * xs.size,
                    "quantity": [q] * xs.size,
                    "x": xs,
                    "lam": lams,
                    "d": [d] * xs.size,
                    "simulation": mean,
                    "stderr": se,
                    "theory": at_sim[q],
                }
                for key, col in columns.items():
                    rows.setdefault(key, []).extend(np.asarray(col).tolist())
        results.append(CurveResult(spec, np.asarray(x_theory, dtype=float), theory, xs, at_sim, lams, sims))
    return results, checks, rows


def theory_grid(points: int, dense: Sequence[tuple[float, float]] = ((0.9, 1.1),)) -> np.ndarray:
    """``points`` log-spaced values in [0.1, 10], refined by ``points // 3`` more in each ``dense``
    interval (e.g. around an interpolation peak)."""
    parts = [np.geomspace(0.1, 10.0, points)] + [np.geomspace(a, b, max(3, points // 3)) for a, b in dense]
    return np.unique(np.concatenate(parts))


def reproduce_curves(
    name: str,
    settings: Mapping[str, Any],
    specs: Sequence[CurveSpec],
    out_dir: Path,
    executor: Any,
    *,
    dense: Sequence[tuple[float, float]] = ((0.9, 1.1),),
    skip: Mapping[str, Sequence[float]] | None = None,
) -> tuple[list[CurveResult], list[Check]]:
    """:func:`run_curves` with the settings every ERM reproduction has (``sizes``, ``seeds``,
    ``theory_points``, ``points``, ``n_test``); ``skip[key]`` lists simulated points left out of a
    curve. Writes ``<name>.csv`` and returns the curves and the checks."""
    points = np.asarray(settings["points"], dtype=float)
    skip = skip or {}
    x_sim = {s.key: points[~np.isin(points, skip.get(s.key, []))] for s in specs}
    results, checks, rows = run_curves(
        name,
        specs,
        theory_grid(int(settings["theory_points"]), dense),
        x_sim,
        [int(d) for d in settings["sizes"]],
        int(settings["seeds"]),
        int(settings["n_test"]),
        out_dir,
        executor,
    )
    write_csv(rows, out_dir / f"{name.replace('-', '_')}.csv")
    return results, checks


def _sweep_worker(curve: str, **point: Any) -> dict[str, Any]:
    return erm_point(**point)


def plot_curves(ax, results: Sequence[CurveResult], quantity: str, size: int) -> None:
    """Theory lines and the simulations at ``size`` (mean and standard error over seeds) on ``ax``."""
    for result in results:
        style = dict(result.spec.style)
        theory_line(ax, result.x_theory, result.theory[quantity], label=result.spec.label, **style)
        mean, se = mean_stderr(result.sims[quantity][size])
        simulation_points(ax, result.x_sim, mean, se, color=style.get("color"), ms=5)


@dataclass(frozen=True)
class Panel:
    """One panel of a figure: ``quantity`` of ``results`` with axis labels."""

    results: Sequence[CurveResult]
    quantity: str
    title: str
    ylabel: str
    yscale: str = "linear"
    ylim: tuple[float, float] | None = None


def curve_panels(
    path: Path,
    size: int,
    panels: Sequence[Panel],
    *,
    xlabel: str,
    threshold: float | None = None,
    extra: Callable[[Sequence[Any]], Any] | None = None,
) -> None:
    """A row of panels of theory lines with the simulations at ``size`` (mean and standard error),
    log-scaled horizontal axis; ``threshold`` draws a dotted vertical line (e.g. P/N = 1);
    ``extra(axes)`` may draw more before the legends."""
    with lecture_style():
        fig, axes = figure(1, len(panels), figsize=(5.75 * len(panels), 4.4), squeeze=False)
        for ax, panel in zip(axes[0], panels):
            plot_curves(ax, panel.results, panel.quantity, size)
            if threshold is not None:
                ax.axvline(threshold, color="0.6", ls=":", lw=1)
            ax.set(xscale="log", yscale=panel.yscale, xlabel=xlabel, ylabel=panel.ylabel, title=panel.title)
            if panel.ylim is not None:
                ax.set_ylim(panel.ylim)
        if extra is not None:
            extra(axes[0])
        axes[0][0].plot([], [], "o", mfc="white", color="0.3", label=f"training, d = {size}")
        for ax in axes[0]:
            ax.legend(fontsize=8)
        save_figure(fig, path)


def error_and_loss_figure(
    results: Sequence[CurveResult],
    size: int,
    path: Path,
    *,
    title: str,
    error_label: str,
    xlabel: str,
    yscale: str = "linear",
    ylim: tuple[float, float] | None = None,
    threshold: float | None = None,
) -> None:
    """Test error (left) and training loss (right) of the same curves (:func:`curve_panels`)."""
    curve_panels(
        path,
        size,
        [
            Panel(results, "generalization_error", title, error_label, yscale, ylim),
            Panel(results, "training_loss", "training loss (without the penalty)", "training loss per sample"),
        ],
        xlabel=xlabel,
        threshold=threshold,
    )
