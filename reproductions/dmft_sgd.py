"""`dmft-sgd`: dynamical mean-field theory of GD, SGD and persistent SGD against finite-d simulations.

Mignacco, Krzakala, Urbani & Zdeborová, NeurIPS 2020 ("Dynamical mean-field theory for stochastic gradient
descent in Gaussian mixture classification"): the perceptron on the two-cluster mixture x = y v*/sqrt d +
sqrt(Delta) z (Delta = 0.5, alpha = 2, rho = 1/2), logistic loss with ridge lambda = 0.1, trained by gradient
descent (b = 1), SGD at batch fractions b = 0.3 and 0.1 (eta = 0.5) and persistent SGD (b = 0.3, persistence
tau = 1, eta = 0.2). The DMFT (:func:`statlearn.dmft.solve`, a population of N processes in independent replicas,
lines with a band of two standard errors) against simulations of the same algorithms at two or three d
(:func:`statlearn.experiments.mixture_dynamics.simulate_dynamics`, markers with one standard error over seeds).

Figures:

- ``dmft_sgd.png``: training loss, test error, m and q against t = k eta for the four algorithms; the replica
  ERM fixed point (the t -> infinity limit of GD) dotted.
- ``dmft_limits.png``: (a) long-time GD (logistic and square) against the replica ERM fixed point; (b) the effect
  of the batch fraction on the test error reached at the horizon, DMFT against simulation, with ERM at
  lambda / b (where SGD at small eta would go) for comparison; (c) the one-pass limit: at fixed samples per
  dimension t_SS = k b alpha the DMFT at growing alpha approaches the large-d recursion of one-pass SGD
  (:func:`statlearn.online.mixture.one_pass_recursion`, simulated by
  :func:`statlearn.online.mixture.simulate_one_pass`), (d) the excess test error against 1/alpha.

Checks (every tolerance a Student-t quantile with the coverage of 3 Gaussian standard errors, from the seeds'
spread and, in quadrature, the DMFT's own standard error from its replicas):

- each algorithm: m, q, test error, training loss and training error of the simulations extrapolated linearly
  in 1/d against the DMFT at three times;
- square-loss GD: the population DMFT and the finite-d simulations against the closed-form DMFT
  (:func:`statlearn.dmft.square_gd`, no sampling error), and the closed form against the replica fixed point;
- smoothed-hinge GD (softplus width 0.05 in both): simulations against the DMFT;
- the first step of GD and SGD (logistic): simulations against the closed form (:func:`statlearn.dmft.first_step`);
- long-time GD against the replica ERM fixed point: m, q, test error, training loss;
- the one-pass limit: one-pass simulations against the recursion; the DMFT's excess error over the recursion,
  fitted as a + c / alpha, extrapolates to a = 0;
- the paper's message: SGD at b = 0.3 ends at a lower test error than GD (DMFT, by more than 3 standard errors).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from statlearn.dmft import DMFTTrajectory, first_step, solve, square_gd
from statlearn.experiments.mixture_dynamics import simulate_dynamics
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.online.mixture import one_pass_recursion, simulate_one_pass
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.replica.mixture import saddle_point
from statlearn.reproductions.comparison import compare, mean_stderr
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.sweep import sweep, write_csv

ALPHA, DELTA, LAM = 2.0, 0.5, 0.1
OBSERVABLES = ("m", "q", "test_error", "train_loss", "train_error")
LABELS = {
    "m": "$m$",
    "q": "$q$",
    "test_error": "test error",
    "train_loss": "training loss",
    "train_error": "training error",
}
# name -> (loss, batch fraction, persistence, eta, smoothing)
ALGORITHMS: dict[str, tuple[str, float, float | None, float, float]] = {
    "GD": ("logistic", 1.0, None, 0.5, 0.0),
    "SGD b = 0.3": ("logistic", 0.3, None, 0.5, 0.0),
    "SGD b = 0.1": ("logistic", 0.1, None, 0.5, 0.0),
    "persistent SGD b = 0.3, tau = 1": ("logistic", 0.3, 1.0, 0.2, 0.0),
    "square GD": ("square", 1.0, None, 0.4, 0.0),  # eta = 0.5 sits at the edge of stability (spike near 2/eta)
    "smoothed hinge GD": ("hinge", 1.0, None, 0.5, 0.05),
}
MAIN = tuple(list(ALGORITHMS)[:4])
HINGE_SMOOTHING = 0.05
ONE_PASS_BATCH, ONE_PASS_ETA, ONE_PASS_STEPS = 0.5, 0.5, 24  # beta d samples per step, t_SS = 12 at the end
QUICK = {
    "horizon": 10.0,
    "sizes": [250, 500],
    "seeds": 10,
    "dmft_samples": 32_000,
    "replicas": 8,
    "check_times": [1.0, 4.0, 10.0],
    "long": [[2.0, 0.1]],
    "long_horizon": 60.0,
    "batch_fractions": [0.1, 0.3, 1.0],
    "one_pass_alphas": [10.0, 20.0, 40.0],
    "one_pass_d": 500,
    "one_pass_samples": 160_000,
}
FULL = {
    "horizon": 30.0,
    "sizes": [500, 1000, 2000],
    "seeds": 20,
    "dmft_samples": 160_000,
    "replicas": 16,
    "check_times": [1.0, 5.0, 15.0, 30.0],
    "long": [[2.0, 0.1], [1.0, 0.5], [4.0, 0.2]],
    "long_horizon": 60.0,
    "batch_fractions": [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0],
    "one_pass_alphas": [5.0, 10.0, 20.0, 40.0, 80.0],
    "one_pass_d": 2000,
    "one_pass_samples": 640_000,
}
COVERAGE = stats.norm.cdf(3.0)
AGREEMENT = ("algorithm", "observable", "d", "max_abs_z_over_steps", "rms_run_deviation")
"""Columns of ``agreement.csv``: per algorithm, observable and d, the largest |mean - DMFT| / (combined standard
error) over all steps, and the root mean square over runs and steps of one run's deviation from the DMFT (which
falls as d^(-1/2) if the theory describes every run)."""  # two-sided 99.73%


def dynamics_point(algorithm: str, d: int, seed: int, horizon: float) -> dict[str, Any]:
    """One finite-d run of ``algorithm`` (sweep worker): its five observables at every step."""
    loss, b, tau, eta, smoothing = ALGORITHMS[algorithm]
    run = simulate_dynamics(
        loss,
        alpha=ALPHA,
        delta=DELTA,
        lam=LAM,
        eta=eta,
        steps=round(horizon / eta),
        d=d,
        seeds=[seed],
        batch_fraction=b,
        persistence=tau,
        smoothing=smoothing,
    )
    return {name: getattr(run, name)[0].tolist() for name in OBSERVABLES}


def one_pass_point(d: int, seed: int) -> dict[str, Any]:
    """One one-pass SGD run (sweep worker)."""
    run = simulate_one_pass(
        "logistic", delta=DELTA, eta=ONE_PASS_ETA, batch=ONE_PASS_BATCH, steps=ONE_PASS_STEPS, d=d, seeds=[seed]
    )
    return {name: getattr(run, name)[0].tolist() for name in ("m", "q", "test_error")}


def _stable_eta(alpha: float, lam: float, horizon: float) -> float:
    """The largest step of (0.4, 0.3, 0.25, 0.2, 0.1) at which square-loss GD settles by ``horizon`` (at least 60; the closed-form
    DMFT, no sampling: finite, and its last change of q small and smaller than half-way): the largest Hessian
    eigenvalue grows with alpha, and 2 / eta must exceed it."""
    horizon = max(horizon, 60.0)  # long enough to tell settling from slow growth
    for eta in (0.4, 0.3, 0.25, 0.2, 0.1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            exact = square_gd(alpha=alpha, delta=DELTA, lam=lam, eta=eta, steps=round(horizon / eta))
        last, middle = abs(exact.q[-1] - exact.q[-2]), abs(exact.q[exact.q.size // 2] - exact.q[exact.q.size // 2 - 1])
        if exact.converged and last < 1e-3 * exact.q[-1] and last <= middle:  # settling, not growing
            return eta
    raise ValueError(f"no stable step for square-loss GD at alpha = {alpha}, lambda = {lam}")


def _dmft(algorithm: str, horizon: float, settings: Mapping[str, Any], out_dir: Path, **change: Any) -> DMFTTrajectory:
    loss, b, tau, eta, smoothing = ALGORITHMS[algorithm]
    eta = change.pop("eta", eta)
    kwargs = {"alpha": ALPHA, "lam": LAM, "batch_fraction": b, "persistence": tau, **change}
    tag = "-".join(f"{k}{v}" for k, v in sorted(kwargs.items()))  # equal runs share their checkpoint
    return solve(
        loss,
        delta=DELTA,
        eta=eta,
        steps=round(horizon / eta),
        n_samples=int(settings["dmft_samples"]),
        replicas=int(settings["replicas"]),
        seed=17,
        smoothing=smoothing if loss == "hinge" else 0.05,
        checkpoint=out_dir / "dmft" / f"{loss}-eta{eta}-T{round(horizon / eta)}-{tag}",
        progress=True,
        **kwargs,
    )


def _rows(column: Any, selected: np.ndarray) -> np.ndarray:
    """The selected rows of a list-valued sweep column as a (runs, steps) array (the algorithms' steps differ)."""
    return np.array([row for row, keep in zip(column, selected, strict=True) if keep], dtype=float)


def _student(n_sigma_dof: int) -> float:
    """The Student-t quantile with the two-sided coverage of 3 Gaussian standard errors."""
    return float(stats.t.ppf(COVERAGE, n_sigma_dof))


def _single(name: str, theory: float, value: float, stderr: float, dof: int, note: str) -> Check:
    n_sigma = _student(dof)
    return Check(name, theory, value, stderr, n_sigma * stderr, f"{note}; tolerance {n_sigma:.3g} standard errors")


@register(
    "dmft-sgd",
    "DMFT of GD, SGD and persistent SGD on the Gaussian mixture against simulations",
    quick=QUICK,
    full=FULL,
    cost=39,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    horizon = float(settings["horizon"])
    sizes = [int(d) for d in settings["sizes"]]
    seeds = int(settings["seeds"])
    replicas = int(settings["replicas"])
    grid = [
        {"algorithm": name, "d": d, "seed": 1000 * d + s, "horizon": horizon}
        for name in ALGORITHMS
        for d in sizes
        for s in range(seeds)
    ]
    long_horizon = float(settings["long_horizon"])
    grid += [
        {"algorithm": name, "d": sizes[-1], "seed": 1000 * sizes[-1] + s, "horizon": long_horizon}
        for name in MAIN[:3]
        for s in range(seeds)
    ]
    table = sweep(dynamics_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="dmft-sgd")
    theory = {name: _dmft(name, horizon, settings, out_dir) for name in ALGORITHMS}
    sims = {
        name: {
            obs: {
                d: _rows(table[obs], (table["algorithm"] == name) & (table["d"] == d) & (table["horizon"] == horizon))
                for d in sizes
            }
            for obs in OBSERVABLES
        }
        for name in ALGORITHMS
    }
    checks: list[Check] = []
    agreement: dict[str, list[Any]] = {key: [] for key in AGREEMENT}
    rows: dict[str, list[Any]] = {"algorithm": [], "source": [], "d": [], "t": []}
    rows |= {key: [] for obs in OBSERVABLES for key in (obs, f"{obs}_err")}

    # 1. simulations against the DMFT at the check times, extrapolated in 1/d
    for name in ALGORITHMS:
        dmft = theory[name]
        eta = ALGORITHMS[name][3]
        ks = [round(t / eta) for t in settings["check_times"] if round(t / eta) <= dmft.problem.steps]
        reference = (
            square_gd(alpha=ALPHA, delta=DELTA, lam=LAM, eta=eta, steps=dmft.problem.steps)
            if name == "square GD"
            else None
        )
        for obs in OBSERVABLES:
            per_d = {d: sims[name][obs][d][:, ks] for d in sizes}
            if reference is None:
                target, target_err = getattr(dmft, obs)[ks], getattr(dmft, f"{obs}_err")[ks]
            else:  # square GD: everything against the closed form, the population DMFT included
                target, target_err = getattr(reference, obs)[ks], None
                population = getattr(dmft, obs)[ks]
                population_err = getattr(dmft, f"{obs}_err")[ks]
                for k, value, err in zip(ks, population, population_err, strict=True):
                    checks.append(
                        _single(
                            f"square GD, population DMFT against the closed form: {obs} at t = {k * eta:g}",
                            float(getattr(reference, obs)[k]),
                            float(value),
                            float(err),
                            replicas - 1,
                            f"{dmft.n_samples} processes in {replicas} replicas",
                        )
                    )
            checks += compare(
                f"{name}: {obs.replace('_', ' ')}",
                sizes,
                dmft.t[ks],
                per_d,
                target,
                axis="t",
                dof=seeds - 1,
                theory_stderr=target_err,
            )[1]
        for d in sizes:
            for obs in OBSERVABLES:  # the whole trajectory: largest |z| over all steps, and the rms discrepancy
                mean, err = mean_stderr(sims[name][obs][d])
                exact = getattr(reference if reference is not None else dmft, obs)
                spread = np.hypot(err, 0.0 if reference is not None else getattr(dmft, f"{obs}_err"))
                z = (mean - exact)[1:] / np.maximum(spread[1:], 1e-300)
                deviation = np.sqrt(np.mean((sims[name][obs][d] - exact)[:, 1:] ** 2))
                for key, value in zip(
                    AGREEMENT, (name, obs, d, float(np.max(np.abs(z))), float(deviation)), strict=True
                ):
                    agreement[key].append(value)
            for k, t in enumerate(dmft.t):
                rows["algorithm"].append(name)
                rows["source"].append("simulation")
                rows["d"].append(d)
                rows["t"].append(t)
                for obs in OBSERVABLES:
                    mean, err = mean_stderr(sims[name][obs][d][:, k : k + 1])
                    rows[obs].append(float(mean[0]))
                    rows[f"{obs}_err"].append(float(err[0]))
        for k, t in enumerate(dmft.t):
            rows["algorithm"].append(name)
            rows["source"].append("DMFT")
            rows["d"].append(0)
            rows["t"].append(t)
            for obs in OBSERVABLES:
                rows[obs].append(float(getattr(dmft, obs)[k]))
                rows[f"{obs}_err"].append(float(getattr(dmft, f"{obs}_err")[k]))
    write_csv(rows, out_dir / "trajectories.csv")
    write_csv(agreement, out_dir / "agreement.csv")

    # 2. the square loss's closed form at long times against the replica fixed point
    state = saddle_point("square", LAM, alpha=ALPHA, delta=DELTA)
    exact = square_gd(alpha=ALPHA, delta=DELTA, lam=LAM, eta=0.4, steps=750)  # lam t = 30
    gap = max(abs(getattr(exact, obs)[-1] - getattr(state, obs)) for obs in OBSERVABLES)
    checks.append(
        Check(
            "square GD closed-form DMFT at t = 300 against the ridge replica fixed point (max |difference|)",
            0.0,
            float(gap),
            0.0,
            1e-9,
            "m, q, test error, training loss and error; the transient is below e^-30",
        )
    )

    # 3. the first step of GD and SGD (logistic) against the closed form, at the largest d
    d = sizes[-1]
    for name in ("GD", "SGD b = 0.3"):
        loss, b, _, eta, _ = ALGORITHMS[name]
        m1, q1 = first_step(loss, alpha=ALPHA, delta=DELTA, lam=LAM, eta=eta, batch_fraction=b)
        for obs, want in (("m", m1), ("q", q1)):
            values = sims[name][obs][d][:, 1]
            mean, err = float(values.mean()), float(values.std(ddof=1) / np.sqrt(values.size))
            checks.append(
                _single(f"{name}: first step {obs}_1, d = {d}", want, mean, err, seeds - 1, "closed form (quadrature)")
            )

    # 4. long-time GD against the replica ERM fixed point
    long_runs = {}
    for alpha, lam in settings["long"]:
        for loss, algorithm in (("logistic", "GD"), ("square", "square GD")):
            step = {} if loss == "logistic" else {"eta": _stable_eta(alpha, lam, long_horizon)}
            run_ = _dmft(algorithm, long_horizon, settings, out_dir, alpha=alpha, lam=lam, **step)
            fixed = saddle_point(loss, lam, alpha=alpha, delta=DELTA)
            long_runs[(loss, alpha, lam)] = (run_, fixed)
            for obs in ("m", "q", "test_error", "train_loss"):
                checks.append(
                    _single(
                        f"{loss} GD at t = {long_horizon:g} against the replica ERM fixed point: {obs} "
                        f"(alpha = {alpha:g}, lambda = {lam:g}, eta = {run_.problem.eta:g})",
                        float(getattr(fixed, obs)),
                        float(getattr(run_, obs)[-1]) if run_.converged else math.nan,  # a diverged run fails
                        float(getattr(run_, f"{obs}_err")[-1]),
                        replicas - 1,
                        f"DMFT with {run_.n_samples} processes",
                    )
                )

    # 5. the effect of the batch fraction on the test error reached at long times, DMFT against simulations
    b_grid = [float(b) for b in settings["batch_fractions"]]
    runs_b = {b: _dmft("SGD b = 0.3", long_horizon, settings, out_dir, batch_fraction=b) for b in b_grid}
    reached = [(b, float(runs_b[b].test_error[-1]), float(runs_b[b].test_error_err[-1])) for b in b_grid]
    erm_b = np.array([saddle_point("logistic", LAM / b, alpha=ALPHA, delta=DELTA).test_error for b in b_grid])
    long_sims = {}
    for name in MAIN[:3]:
        b = ALGORITHMS[name][1]
        selected = (table["algorithm"] == name) & (table["horizon"] == long_horizon)
        long_sims[b] = _rows(table["test_error"], selected)[:, -1]
        if b in runs_b:
            checks += compare(
                f"{name}: test error at the end",
                [d],
                np.array([long_horizon]),
                {d: long_sims[b][:, None]},
                runs_b[b].test_error[-1:],
                axis="t",
                dof=seeds - 1,
                theory_stderr=runs_b[b].test_error_err[-1:],
            )[1]
    gd, sgd = runs_b[1.0], runs_b[0.3]
    gain = float(gd.test_error[-1] - sgd.test_error[-1])
    gain_err = float(np.hypot(gd.test_error_err[-1], sgd.test_error_err[-1]))
    checks.append(
        Check(
            f"SGD b = 0.3 ends below GD at t = {long_horizon:g} (DMFT): shortfall of the gain below 3 standard errors",
            0.0,
            max(0.0, 3 * gain_err - gain),
            gain_err,
            0.0,
            f"test error GD {gd.test_error[-1]:.5f}, SGD {sgd.test_error[-1]:.5f}: gain {gain:.5f} +- {gain_err:.1e}; "
            "passes when the gain is at least 3 standard errors",
        )
    )
    write_csv(
        {
            "batch_fraction": b_grid,
            "dmft_test_error": [r[1] for r in reached],
            "dmft_test_error_err": [r[2] for r in reached],
            "erm_lambda_over_b": erm_b,
        },
        out_dir / "batch_fraction.csv",
    )

    # 6. the one-pass limit
    recursion = one_pass_recursion(
        "logistic", delta=DELTA, eta=ONE_PASS_ETA, batch=ONE_PASS_BATCH, steps=ONE_PASS_STEPS
    )
    d1 = int(settings["one_pass_d"])
    one = sweep(
        one_pass_point,
        [{"d": d1, "seed": s} for s in range(seeds)],
        executor=executor,
        checkpoint=out_dir / "one_pass.jsonl",
        desc="dmft-sgd one-pass",
    )
    checked_steps = [4, 12, ONE_PASS_STEPS]
    for obs in ("m", "q", "test_error"):
        values = np.asarray(one[obs], dtype=float)
        checks += compare(
            f"one-pass SGD, d = {d1}: {obs.replace('_', ' ')} against the recursion",
            [d1],
            recursion.t[checked_steps],
            {d1: values[:, checked_steps]},
            getattr(recursion, obs)[checked_steps],
            axis="t_SS",
            dof=seeds - 1,
        )[1]
    alphas = np.array([float(a) for a in settings["one_pass_alphas"]])
    passes = {}
    for alpha in alphas:
        passes[alpha] = solve(
            "logistic",
            alpha=alpha,
            delta=DELTA,
            lam=0.0,
            eta=ONE_PASS_ETA,
            steps=ONE_PASS_STEPS,
            batch_fraction=ONE_PASS_BATCH / alpha,
            n_samples=int(settings["one_pass_samples"]),
            replicas=replicas,
            seed=23,
        )
    excess = np.array([passes[a].test_error[-1] - recursion.test_error[-1] for a in alphas])
    excess_err = np.array([passes[a].test_error_err[-1] for a in alphas])
    design = np.column_stack([np.ones_like(alphas), 1 / alphas]) / excess_err[:, None]
    coef, *_ = np.linalg.lstsq(design, excess / excess_err, rcond=None)
    covariance = np.linalg.inv(design.T @ design)
    intercept, intercept_err = float(coef[0]), float(np.sqrt(covariance[0, 0]))
    checks.append(
        _single(
            "one-pass limit: DMFT excess test error over the one-pass recursion at t_SS = 12, a + c/alpha fitted, "
            "intercept a",
            0.0,
            intercept,
            intercept_err,
            replicas - 1,
            f"alpha = {', '.join(f'{a:g}' for a in alphas)}: excess "
            + ", ".join(f"{e:.4f}({err:.0e})" for e, err in zip(excess, excess_err, strict=True))
            + f"; slope c = {coef[1]:.3f}",
        )
    )

    every_run = [*theory.values(), *(pair[0] for pair in long_runs.values()), *runs_b.values(), *passes.values()]
    diverged = [f"{run_.problem.loss} b = {run_.problem.batch_fraction:g}" for run_ in every_run if not run_.converged]
    checks.append(
        Check(
            "DMFT runs that diverged",
            0.0,
            float(len(diverged)),
            0.0,
            0.0,
            f"{len(every_run)} runs; diverged: {', '.join(diverged) or 'none'}",
        )
    )
    _figure_main(theory, sims, sizes, out_dir)
    batch = {"reached": reached, "erm": erm_b, "simulations": long_sims, "horizon": long_horizon, "d": sizes[-1]}
    one_pass = {"recursion": recursion, "simulation": one, "runs": passes, "alphas": alphas, "excess": excess}
    one_pass |= {"excess_err": excess_err, "fit": coef}
    _figure_limits(long_runs, batch, one_pass, out_dir)
    summary = (
        f"logistic, alpha = {ALPHA:g}, Delta = {DELTA:g}, lambda = {LAM:g}; DMFT {theory['GD'].n_samples} processes in "
        f"{replicas} replicas; d = {', '.join(map(str, sizes))}, {seeds} seeds. Test error at t = {horizon:g}: "
        + ", ".join(f"{name} {theory[name].test_error[-1]:.4f}" for name in MAIN)
        + f". One-pass: excess error extrapolates to {intercept:.1e} +- {intercept_err:.0e}."
    )
    return ReproductionResult(
        ("dmft_sgd.png", "dmft_limits.png"),
        ("trajectories.csv", "agreement.csv", "batch_fraction.csv"),
        tuple(checks),
        summary,
    )


def _figure_main(theory: dict[str, DMFTTrajectory], sims: dict, sizes: list[int], out_dir: Path) -> None:
    state = saddle_point("logistic", LAM, alpha=ALPHA, delta=DELTA)
    markers = ("s", "o", "^")
    shown = sizes[-2:]
    with lecture_style():
        fig, axes = figure(2, 2, figsize=(12.0, 8.4))
        for ax, obs in zip(axes.ravel(), ("train_loss", "test_error", "m", "q"), strict=True):
            for j, name in enumerate(MAIN):
                dmft, color = theory[name], COLORS[j % len(COLORS)]
                y, err = getattr(dmft, obs), getattr(dmft, f"{obs}_err")
                theory_line(ax, dmft.t, y, label=f"DMFT, {name}", color=color)
                ax.fill_between(dmft.t, y - 2 * err, y + 2 * err, color=color, alpha=0.2, lw=0)
                every = max(1, dmft.t.size // 12)
                for i, d in enumerate(shown):
                    mean, se = mean_stderr(sims[name][obs][d])
                    offset = (i * every) // 2
                    simulation_points(
                        ax,
                        dmft.t[offset::every],
                        mean[offset::every],
                        se[offset::every],
                        color=color,
                        marker=markers[i % len(markers)],
                        ms=4,
                        label=f"simulation, d = {d}" if j == 0 else None,
                    )
            ax.axhline(getattr(state, obs), color="k", ls=":", lw=1.2, label="replica ERM (GD's limit)")
            ax.set(xlabel=r"$t = k\eta$", ylabel=LABELS[obs])
        axes[0, 0].set_yscale("log")
        axes[0, 1].set_ylim(0.09, 0.2)
        axes[0, 0].legend(fontsize=7, ncol=1)
        fig.suptitle(
            rf"Logistic regression on the Gaussian mixture, $\alpha = {ALPHA:g}$, $\Delta = {DELTA:g}$, "
            rf"$\lambda = {LAM:g}$: DMFT (lines, $\pm2\sigma$ bands) against simulations"
        )
        save_figure(fig, out_dir / "dmft_sgd.png")


def _figure_limits(long_runs: dict, batch: dict[str, Any], one_pass: dict[str, Any], out_dir: Path) -> None:
    reached, erm_b, long_sims, long_horizon = batch["reached"], batch["erm"], batch["simulations"], batch["horizon"]
    recursion, one, passes, alphas = one_pass["recursion"], one_pass["simulation"], one_pass["runs"], one_pass["alphas"]
    excess, excess_err, coef = one_pass["excess"], one_pass["excess_err"], one_pass["fit"]
    with lecture_style():
        fig, (ax_a, ax_b, ax_c, ax_d) = figure(1, 4, figsize=(19.0, 4.6))
        for j, ((loss, alpha, lam), (run_, fixed)) in enumerate(long_runs.items()):
            color = COLORS[j % len(COLORS)]
            gap = np.abs(run_.test_error / fixed.test_error - 1)
            ax_a.semilogy(run_.t[1:], gap[1:], color=color, label=rf"{loss}, $\alpha = {alpha:g}$, $\lambda = {lam:g}$")
            ax_a.axhline(2 * run_.test_error_err[-1] / fixed.test_error, color=color, ls=":", lw=1.2)
        ax_a.set(
            xlabel=r"$t$",
            ylabel=r"$|\varepsilon_{DMFT}(t)/\varepsilon_{replica} - 1|$",
            title=r"(a) GD to the replica fixed point (dotted: $2\sigma$)",
        )
        ax_a.legend(fontsize=7)

        b, value, err = (np.array(col) for col in zip(*reached, strict=True))
        ax_b.errorbar(b, value, yerr=2 * err, color=COLORS[0], marker="o", label=r"DMFT ($\pm 2\sigma$)")
        theory_line(ax_b, b, erm_b, color="k", ls="--", label=r"ERM at $\lambda/b$ ($\eta \to 0$ limit)")
        for j, (fraction, values) in enumerate(sorted(long_sims.items())):
            mean, se = mean_stderr(values[:, None])
            label = f"simulation, d = {batch['d']}" if j == 0 else None
            simulation_points(ax_b, [fraction], mean, se, color=COLORS[1], label=label)
        ax_b.set(
            xscale="log",
            xlabel="batch fraction $b$",
            ylabel=f"test error at t = {long_horizon:g}",
            title=r"(b) SGD, $\eta = 0.5$",
        )
        ax_b.legend(fontsize=7)

        theory_line(ax_c, recursion.t, recursion.test_error, color="k", label="one-pass recursion")
        mean, se = mean_stderr(np.asarray(one["test_error"], dtype=float))
        simulation_points(ax_c, recursion.t, mean, se, color="k", ms=4, label="one-pass simulation")
        for j, alpha in enumerate(alphas):
            run_ = passes[alpha]
            t_ss = np.arange(run_.t.size) * ONE_PASS_BATCH
            theory_line(
                ax_c,
                t_ss,
                run_.test_error,
                color=COLORS[(j + 1) % len(COLORS)],
                ls="--",
                label=rf"DMFT, $\alpha = {alpha:g}$",
            )
        ax_c.set(
            xlabel=r"samples per dimension $t_{SS} = k b\alpha$", ylabel="test error", title="(c) the one-pass limit"
        )
        ax_c.set_ylim(0.08, 0.3)
        ax_c.legend(fontsize=7)

        ax_d.errorbar(
            1 / alphas,
            excess,
            yerr=2 * excess_err,
            color=COLORS[0],
            marker="o",
            ls="none",
            label=r"DMFT - recursion ($\pm2\sigma$)",
        )
        x = np.linspace(0, 1.05 / alphas.min(), 50)
        theory_line(ax_d, x, coef[0] + coef[1] * x, color="k", ls=":", label="weighted fit $a + c/\\alpha$")
        ax_d.set(
            xlabel=r"$1/\alpha$",
            ylabel=r"excess test error at $t_{SS} = 12$",
            title="(d) sample reuse vanishes as 1/alpha",
        )
        ax_d.legend(fontsize=7)
        save_figure(fig, out_dir / "dmft_limits.png")
