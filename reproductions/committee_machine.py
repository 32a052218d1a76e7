"""`committee-machine`: the K = 2 Bayes-optimal committee machine, state evolution against the committee AMP.

Aubin, Maillard, Barbier, Krzakala, Macris & Zdeborová, NeurIPS 2018 (Schwarze & Hertz 1993). Top row: the
overlaps q_parallel (learning the sum of the hidden units) and q_perp (specialisation) of the fixed points of
the state evolution against alpha, for the Gaussian prior (left) and the Rademacher prior (right), on the
non-specialised branch (solid) and the specialised one (dashed; perfect recovery q = I for the Rademacher
prior); the transitions from :func:`statlearn.replica.committee.specialization_threshold` marked (full
settings). Markers: the committee AMP (:func:`statlearn.amp.committee_amp`) from a random start at two N,
mean and standard error over seeds. Bottom row: the Bayes-optimal 0-1 generalisation error of each branch.

Checks: at every AMP point and N, the AMP fixed point's q_parallel and q_perp (mean over instances) against
the state-evolution branch that a non-informative start reaches (``branch`` of the point: specialised for the
Gaussian prior above alpha_spec, perfect recovery for the Rademacher prior above alpha_alg, non-specialised
below), within 4 standard errors. The point in the computational gap (Rademacher, alpha = 1.8, between
alpha_IT and alpha_alg, where perfect recovery has the larger free entropy) checks q_parallel only: AMP stays
at the non-specialised q_parallel (its partly specialised neighbour differs by 0.006, far below the finite-N
spread; perfect recovery would give 1), while q_perp drifts towards the partly specialised branch that grows
out of the instability at 1.589 (not checked: it converges slowly and fluctuates at finite N).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.amp import committee_amp
from statlearn.models.committee import committee_teacher
from statlearn.numerics import ConvergenceWarning
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.replica.committee import bayes_optimal, specialization_threshold
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.sweep import sweep, write_csv

PRIORS = ("gaussian", "rademacher")

QUICK = {
    "sizes": [200, 400],
    "seeds": 3,
    "amp": [
        ["gaussian", 1.2, 0.0, "non-specialised", "both"],
        ["rademacher", 1.8, 0.5, "non-specialised", "gap"],
        ["rademacher", 2.3, 0.0, "specialised", "both"],
    ],
    "theory": {"gaussian": [0.4, 1.2, 2.0, 2.8], "rademacher": [1.0, 1.8]},
    "specialised": {"gaussian": [], "rademacher": []},
    "thresholds": False,
    "max_iter": 300,
    "tol": 1e-5,
}
FULL = {
    "sizes": [1000, 4000],
    "seeds": 4,
    "amp": [
        ["gaussian", 1.5, 0.0, "non-specialised", "both"],
        ["gaussian", 3.0, 0.0, "specialised", "both"],
        ["rademacher", 1.0, 0.5, "non-specialised", "both"],
        ["rademacher", 1.8, 0.5, "non-specialised", "gap"],
        ["rademacher", 2.3, 0.0, "specialised", "both"],
    ],
    "theory": {
        "gaussian": [0.2, 0.5, 0.8, 1.1, 1.4, 1.7, 2.0, 2.3, 2.6, 3.0],
        "rademacher": [0.2, 0.5, 0.8, 1.1, 1.4, 1.6, 1.8, 2.0, 2.3],
    },
    "specialised": {"gaussian": [2.1, 2.2, 2.35, 2.5, 2.65, 2.8, 3.0], "rademacher": []},
    "thresholds": True,
    "max_iter": 600,
    "tol": 1e-5,
}

SPREAD = 0.75
"""Standard deviation of q over instances times sqrt(N), measured for the Gaussian prior at alpha = 1.5 over
10 seeds at N = 250, 1000, 4000 (0.68, 0.75, 0.72): the floor of the per-seed spread used in the checks, so
that a small number of seeds cannot underestimate it."""


def amp_point(prior: str, alpha: float, damping: float, N: int, seed: int, max_iter: int, tol: float) -> dict[str, Any]:
    """The committee AMP on one instance from a random start (sweep worker)."""
    data = committee_teacher(2, N, alpha, prior=prior, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = committee_amp(
            data.F, data.y, 2, prior=prior, teacher=data.teacher, init="random", seed=seed + 10**6,
            max_iter=max_iter, tol=tol, damping=damping,
        )  # fmt: skip
    assert res.q_parallel is not None and res.q_perp is not None
    return {
        "q_parallel": float(res.q_parallel[-1]),
        "q_perp": float(res.q_perp[-1]),
        "iterations": res.iterations,
        "converged": bool(res.converged),
    }


_CACHE: dict[tuple[str, float, str], Any] = {}


def _state(prior: str, alpha: float, init: str) -> Any:
    """The state-evolution fixed point (each computed once per process: the AMP references reuse the lines)."""
    key = (prior, alpha, init)
    if key not in _CACHE:
        _CACHE[key] = bayes_optimal(2, alpha, prior=prior, init=init, tol=1e-8)
    return _CACHE[key]


def _branch(prior: str, alphas: list[float], init: str) -> dict[str, np.ndarray]:
    states = [_state(prior, a, init) for a in alphas]
    return {
        "alpha": np.asarray(alphas, dtype=float),
        "q_parallel": np.array([s.q_parallel for s in states]),
        "q_perp": np.array([s.q_perp for s in states]),
        "error": np.array([s.generalization_error for s in states]),
        "free_entropy": np.array([s.free_entropy for s in states]),
    }


@register(
    "committee-machine",
    "Committee machine K = 2: overlaps and errors of both branches, the committee AMP at two N",
    quick=QUICK,
    full=FULL,
    cost=7,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(n) for n in settings["sizes"]]
    seeds = int(settings["seeds"])
    points = [(str(p), float(a), float(d), str(b), str(c)) for p, a, d, b, c in settings["amp"]]
    grid = [
        {"prior": p, "alpha": a, "damping": d, "N": N, "seed": 1000 * i + s, "max_iter": int(settings["max_iter"]),
         "tol": float(settings["tol"])}
        for i, (p, a, d, _, _) in enumerate(points)
        for N in sizes
        for s in range(seeds)
    ]  # fmt: skip
    table = sweep(amp_point, grid, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="committee-machine")
    write_csv(table, out_dir / "amp_runs.csv")

    lines: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for prior in PRIORS:
        lines[prior, "non-specialised"] = _branch(
            prior, [float(a) for a in settings["theory"][prior]], "non-specialised"
        )
        special = [float(a) for a in settings["specialised"][prior]]
        if special:
            lines[prior, "specialised"] = _branch(prior, special, "specialised")
    rows: dict[str, list[Any]] = {k: [] for k in ("prior", "branch", "alpha", "q_parallel", "q_perp", "error")}
    for (prior, branch), line in lines.items():
        for j in range(len(line["alpha"])):
            for key, value in zip(rows, (prior, branch, *(line[k][j] for k in list(rows)[2:]))):
                rows[key].append(value)
    write_csv(rows, out_dir / "state_evolution.csv")

    marks: dict[str, list[tuple[float, str]]] = {p: [] for p in PRIORS}
    if settings["thresholds"]:
        g = specialization_threshold(2, "gaussian", xtol=1e-4)
        r = specialization_threshold(2, "rademacher", xtol=1e-4)
        marks["gaussian"].append((g.alpha_spec, r"$\alpha_{spec}$"))
        marks["rademacher"] += [(r.alpha_spec, r"$\alpha_{IT}$"), (r.alpha_instability, r"$\alpha_{inst}$")]
        if r.alpha_alg is not None:
            marks["rademacher"].append((r.alpha_alg, r"$\alpha_{alg}$"))
        write_csv(
            {"prior": ["gaussian", "rademacher", "rademacher", "rademacher"],
             "name": ["alpha_spec", "alpha_IT", "alpha_instability", "alpha_alg"],
             "alpha": [g.alpha_spec, r.alpha_spec, r.alpha_instability, r.alpha_alg or float("nan")]},
            out_dir / "thresholds.csv",
        )  # fmt: skip

    checks: list[Check] = []
    markers: dict[tuple[str, int], list[tuple[float, float, float, float, float]]] = {}
    for prior, alpha, _, branch, checked in points:
        ref = _state(prior, alpha, branch)
        for N in sizes:
            sel = (table["prior"] == prior) & (table["alpha"] == alpha) & (table["N"] == N)
            stats = []
            for key, theory_value in (("q_parallel", ref.q_parallel), ("q_perp", ref.q_perp)):
                values = np.asarray(table[key][sel], dtype=float)
                spread = max(float(np.std(values, ddof=1)) if len(values) > 1 else 0.0, SPREAD / np.sqrt(N))
                stderr = spread / np.sqrt(len(values))
                stats += [float(np.mean(values)), stderr]
                if checked == "gap" and key != "q_parallel":
                    continue
                gap = " (computational gap)" if checked == "gap" else ""
                checks.append(
                    Check(
                        f"{key}, {prior}, alpha = {alpha:g}, N = {N}: AMP vs {ref.branch} SE{gap}",
                        theory_value,
                        float(np.mean(values)),
                        stderr,
                        4.0 * stderr,
                        f"mean over {len(values)} instances from a random start; stderr from their spread "
                        f"(at least {SPREAD}/sqrt(N) per instance), tolerance 4 stderr",
                    )
                )
            markers.setdefault((prior, N), []).append((alpha, *stats))

    with lecture_style():
        fig, axes = figure(2, 2, figsize=(12.0, 8.5))
        for col, prior in enumerate(PRIORS):
            ax_q, ax_e = axes[0, col], axes[1, col]
            ns = lines[prior, "non-specialised"]
            theory_line(ax_q, ns["alpha"], ns["q_parallel"], label=r"$q_\parallel$, non-specialised", color="k")
            theory_line(ax_e, ns["alpha"], ns["error"], label="non-specialised", color="k")
            if (prior, "specialised") in lines:
                sp = lines[prior, "specialised"]
                theory_line(ax_q, sp["alpha"], sp["q_parallel"], label=r"$q_\parallel$, specialised", color="k",
                            ls="--")  # fmt: skip
                theory_line(ax_q, sp["alpha"], sp["q_perp"], label=r"$q_\perp$, specialised", color="grey", ls="--")
                theory_line(ax_e, sp["alpha"], sp["error"], label="specialised", color="k", ls="--")
            if prior == "rademacher":
                ax_q.axhline(1.0, color="grey", ls="--", lw=1.2, label=r"perfect recovery $q = I$")
                ax_e.axhline(0.0, color="grey", ls="--", lw=1.2, label="perfect recovery")
            theory_line(ax_q, ns["alpha"], np.zeros_like(ns["alpha"]), label=r"$q_\perp$, non-specialised",
                        color="grey")  # fmt: skip
            for value, name in marks[prior]:
                for ax in (ax_q, ax_e):
                    ax.axvline(value, color="tab:red", ls=":", lw=1.0)
                ax_q.text(value, 0.02, f" {name} = {value:.3f}", color="tab:red", rotation=90, va="bottom",
                          ha="right", fontsize=8)  # fmt: skip
            for j, N in enumerate(sizes):
                m = np.array(markers.get((prior, N), []))
                if not len(m):
                    continue
                color = COLORS[j % len(COLORS)]
                simulation_points(ax_q, m[:, 0], m[:, 1], m[:, 2], label=rf"AMP $q_\parallel$, N = {N}", color=color)
                simulation_points(
                    ax_q, m[:, 0], m[:, 3], m[:, 4], label=rf"AMP $q_\perp$, N = {N}", color=color, marker="s"
                )
            ax_q.set(xlabel=r"$\alpha$", ylabel="overlap", title=f"{prior} prior, K = 2", ylim=(-0.05, 1.05))
            ax_e.set(xlabel=r"$\alpha$", ylabel=r"Bayes-optimal error $\epsilon_g$", ylim=(-0.02, 0.52))
            ax_q.legend(loc="upper left" if prior == "gaussian" else "center left", fontsize=7)
            ax_e.legend(loc="upper right", fontsize=7)
        save_figure(fig, out_dir / "committee-machine.png")

    data = ["amp_runs.csv", "state_evolution.csv"] + (["thresholds.csv"] if settings["thresholds"] else [])
    return ReproductionResult(
        figures=("committee-machine.png",),
        data=tuple(data),
        checks=tuple(checks),
        summary=(
            f"committee AMP at N = {', '.join(map(str, sizes))}, {seeds} instances per point, against the "
            "state-evolution branches"
            + (
                "; " + ", ".join(f"{n.strip('$').replace(chr(92), '')} = {v:.4f}" for p in PRIORS for v, n in marks[p])
                if settings["thresholds"]
                else ""
            )
        ),
    )
