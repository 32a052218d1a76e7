"""``statlearn glm``: Bayes-optimal learning in a generalised linear model.

``statlearn glm [solve] --prior P --channel C --alpha GRID [--branch B] [--rho R] [--delta D]
[--json | --csv FILE] [--plot FILE]`` solves the replica saddle point on a grid of loads (exit
status 1 if a point did not converge); ``statlearn glm thresholds --prior P --channel C [--rho R]
[--delta D] [--json]`` prints its phase transitions.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from statlearn.cli.common import alpha_grid, bounded_float, json_value, output_file, print_table, write_outputs

__all__ = ["MAX_PARAMETER", "add_parser", "run"]

MAX_PARAMETER = 1e6
"""The largest ``--rho`` and ``--delta`` taken: far beyond any model of interest, and small enough that
the Gaussian averages of the channels stay finite in double precision."""


def add_parser(commands: argparse._SubParsersAction) -> None:
    glm = commands.add_parser(
        "glm",
        help="Bayes-optimal generalised linear model: errors vs alpha, thresholds",
        description="Replica solution of Bayes-optimal learning in a generalised linear model "
        "(teacher weights from PRIOR, labels through CHANNEL, alpha = samples per weight). "
        "'statlearn glm [solve] --alpha GRID' prints the overlap m, the MMSE, the generalisation "
        "error, the free entropy and the mutual information per weight at every load; its exit "
        "status is 1 if the state evolution did not converge at some load. 'statlearn glm "
        "thresholds' prints the information-theoretic and algorithmic thresholds alpha_it and "
        "alpha_alg and the spinodals (None where absent).",
    )
    glm.add_argument(
        "action",
        nargs="?",
        choices=("solve", "thresholds"),
        default="solve",
        metavar="{solve,thresholds}",
        help="solve the model on the --alpha grid (default) or print its thresholds",
    )
    model = glm.add_argument_group("model")
    model.add_argument(
        "--prior", required=True, metavar="NAME", help="prior of the teacher weights, e.g. rademacher or gaussian"
    )
    model.add_argument(
        "--channel", required=True, metavar="NAME", help="output channel, e.g. sign, noisy-sign, probit, gaussian"
    )
    model.add_argument(
        "--rho",
        type=bounded_float(0.0, MAX_PARAMETER, low_open=True),
        metavar="R",
        help="variance of the gaussian prior, density of gauss-bernoulli [%(type)s]",
    )
    model.add_argument(
        "--delta",
        type=bounded_float(0.0, MAX_PARAMETER),
        metavar="D",
        help="flip probability of noisy-sign, noise variance of probit, gaussian and relu [%(type)s]",
    )
    solve = glm.add_argument_group("solve")
    solve.add_argument(
        "--alpha",
        type=alpha_grid,
        metavar="GRID",
        help="loads >= 0: START:STOP:STEP (STOP included when it lies on the grid up to rounding), "
        "one number, or a comma-separated list",
    )
    solve.add_argument(
        "--branch",
        choices=("equilibrium", "uninformative", "informative"),
        help="fixed point followed: the Bayes-optimal one (equilibrium, default), the one AMP "
        "reaches from m = 0 (uninformative) or from m = rho (informative)",
    )
    output = solve.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object (also for thresholds)")
    output.add_argument("--csv", type=output_file(), metavar="FILE", help="also write the table to FILE as CSV")
    solve.add_argument(
        "--plot",
        type=output_file(".png"),
        metavar="FILE",
        help="save a PNG of the generalisation error and the MSE against alpha, with alpha_alg and alpha_it marked",
    )
    glm.set_defaults(run=run, parser=glm)


_GLM_COLUMNS = {
    "alpha": "alpha",
    "m": "m",
    "mse": "mse",
    "generalization_error": "gen_error",
    "free_entropy": "free_entropy",
    "mutual_information": "mutual_info",
    "converged": "converged",
}
"""Columns of ``statlearn glm``: GLMState field -> heading of the text table."""


def run(args: argparse.Namespace) -> int:
    parser = args.parser
    if args.action == "thresholds":
        given = [
            flag
            for flag, value in (
                ("--alpha", args.alpha),
                ("--branch", args.branch),
                ("--csv", args.csv),
                ("--plot", args.plot),
            )
            if value is not None
        ]
        if given:
            parser.error(f"'glm thresholds' does not take {', '.join(given)}")
    elif args.alpha is None:
        parser.error("the following arguments are required: --alpha (or use 'glm thresholds')")

    import warnings

    import numpy as np

    from statlearn.numerics.fixedpoint import ConvergenceWarning
    from statlearn.replica import glm as theory

    params = {name: value for name, value in (("rho", args.rho), ("delta", args.delta)) if value is not None}
    try:
        prior, channel = theory.resolve_model(args.prior, args.channel, params)
    except ValueError as exc:  # unknown names, parameters missing, not taken or out of range
        parser.error(str(exc))
    model = {
        "prior": args.prior,
        "channel": args.channel,
        "rho": float(prior.rho),
        "delta": json_value(getattr(channel, "delta", None)),
    }
    if args.action == "thresholds":
        return _glm_thresholds(args, theory.thresholds(prior, channel), model)

    branch = args.branch or "equilibrium"
    alpha = np.array(args.alpha, dtype=float)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # reported below, once
            state = theory.bayes_optimal(prior, channel, alpha, init=branch)
    except ValueError as exc:
        parser.error(str(exc))
    columns = {name: np.atleast_1d(getattr(state, name)) for name in _GLM_COLUMNS}
    converged = columns["converged"].astype(bool)

    if args.json:
        table = {name: [json_value(v) for v in column] for name, column in columns.items()}
        out = {**model, "branch": branch, "converged": bool(converged.all()), "columns": table}
        if args.plot is not None:
            out["plot"] = str(args.plot)
    else:
        delta = "" if model["delta"] is None else f", delta = {model['delta']:g}"
        print(f"# glm: prior {args.prior} (rho = {model['rho']:g}), channel {args.channel}{delta}, branch {branch}")
        print_table(columns, _GLM_COLUMNS, {"alpha": 10})

    def plot(args: argparse.Namespace, columns: dict) -> None:
        labels = {"equilibrium": "Bayes-optimal", "uninformative": "AMP (from m = 0)", "informative": "from m = rho"}
        title = f"{args.prior} prior, {args.channel} channel"
        _glm_plot(args.plot, columns, theory.thresholds(prior, channel), title=title, label=labels[branch])

    write_outputs(args, columns, plot)
    if args.csv is not None:
        print(f"csv: {args.csv}")
    if args.plot is not None and not args.json:
        print(f"plot: {args.plot}")
    if args.json:
        print(json.dumps(out))
    if not converged.all():
        bad = ", ".join(f"{a:.10g}" for a in columns["alpha"][~converged])
        print(f"statlearn glm: the state evolution did not converge at alpha = {bad}", file=sys.stderr)
        return 1
    return 0


def _glm_thresholds(args: argparse.Namespace, found, model: dict) -> int:
    out = {
        **model,
        "alpha_it": found.alpha_it,
        "alpha_alg": found.alpha_alg,
        "alpha_spinodal": found.alpha_informative_spinodal,
        "spinodals": [[alpha, m] for alpha, m in found.spinodals],
    }
    if args.json:
        print(json.dumps(out))
        return 0

    def show(name: str, value: float | None, meaning: str, absent: str) -> None:
        shown = "none" if value is None else f"{value:.6f}"
        print(f"{name:<14} = {shown}  ({meaning if value is not None else absent})")

    show(
        "alpha_it",
        found.alpha_it,
        "information-theoretic threshold",
        "not found: no informative branch overtakes the uninformative one on the scanned range",
    )
    show(
        "alpha_alg",
        found.alpha_alg,
        "algorithmic threshold, AMP succeeds above",
        "no end of the uninformative branch on the scanned range: no phase transition",
    )
    show(
        "alpha_spinodal",
        found.alpha_informative_spinodal,
        "the informative branch appears",
        "no interior spinodal: the informative branch extends to small alpha"
        if found.spinodals
        else "no spinodal on the scanned range",
    )
    names = {found.alpha_alg: "alpha_alg", found.alpha_informative_spinodal: "alpha_spinodal"}
    extrema = [
        f"alpha = {alpha:.6f} at m = {m:.6f}" + (f" ({names[alpha]})" if alpha in names else "")
        for alpha, m in found.spinodals
    ]
    print(f"spinodals      = {'; '.join(extrema) or 'none'}  (local extrema of alpha(m) on the fixed points)")
    return 0


def _glm_plot(path: Path, columns: dict, found, title: str, label: str) -> None:
    from statlearn.plotting import COLORS, figure, lecture_style, save_figure, theory_line

    alpha = columns["alpha"]
    marker = {"marker": "o"} if len(alpha) < 2 else {}
    marks = [
        (found.alpha_alg, r"$\alpha_{\mathrm{alg}}$", COLORS[1], "--"),
        (found.alpha_it, r"$\alpha_{\mathrm{IT}}$", COLORS[2], ":"),
    ]
    with lecture_style():
        fig, (left, right) = figure(1, 2)
        theory_line(left, alpha, columns["generalization_error"], label=label, **marker)
        theory_line(right, alpha, columns["mse"], label=label, **marker)
        for ax, ylabel in ((left, "generalisation error"), (right, "MSE")):
            for value, name, color, style in marks:
                if value is not None:
                    ax.axvline(value, color=color, linestyle=style, linewidth=1.5, label=f"{name} = {value:.3f}")
            ax.set(xlabel=r"$\alpha$", ylabel=ylabel)
        left.legend()
        fig.suptitle(title)
        save_figure(fig, path)
