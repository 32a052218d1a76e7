"""The ``statlearn`` command (also ``python -m statlearn``).

Subcommands:

- ``statlearn reproduce [NAME ...] [--quick | --full] [--out DIR] [--jobs N] [--scheduler ADDRESS]
  [--list]`` runs the registered reproductions, writes ``DIR/report.md`` and exits with 0 only if every check passed;
- ``statlearn capacity [--kappa K] [--binary] [--alpha A] [--json]`` prints the storage capacity
  of the perceptron and, with ``--alpha``, the typical overlap of two of its solutions;
- ``statlearn glm [solve] --prior P --channel C --alpha GRID [--branch B] [--rho R] [--delta D]
  [--json | --csv FILE] [--plot FILE]`` solves the Bayes-optimal generalised linear model on a grid
  of loads (exit status 1 if a point did not converge), and ``statlearn glm thresholds --prior P
  --channel C [--rho R] [--delta D] [--json]`` prints its phase transitions;
- ``statlearn online --K K --M M --eta ETA [--alpha-max A] [--simulate N --seeds S] [--plot FILE]
  [--csv FILE]`` integrates the overlap ODEs of online SGD and compares them with simulations
  (:mod:`statlearn.cli_online`);
- ``statlearn erm --model M --loss L --lam LAM (--gamma GRID | --alpha GRID) [--simulate D --seeds S]
  [--plot FILE] [--csv FILE]`` solves the ERM saddle point of the Gaussian covariate model along a
  grid and optionally trains students at finite size (:mod:`statlearn.cli_erm`);
- ``statlearn wirg gaussian --L L --mass M [--plot FILE] [--json]`` prints the exact per-scale
  couplings and condition numbers of the free field's WIRG (:mod:`statlearn.cli_wirg`).

Each subcommand imports what it needs when it runs, so ``statlearn --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from statlearn import __version__

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``statlearn`` command with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv
        Command-line arguments without the program name.

    Returns
    -------
    int
        Exit status: 0 on success, 1 if a check failed, a reproduction crashed or a fixed point
        did not converge. Bad arguments exit with status 2 through :class:`SystemExit`.
    """
    args = _parser().parse_args(argv)
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="statlearn",
        description="Statistical mechanics of learning: theory, simulations and their reproductions.",
    )
    parser.add_argument("--version", action="version", version=f"statlearn {__version__}")
    commands = parser.add_subparsers(title="commands", required=True)

    reproduce = commands.add_parser(
        "reproduce",
        help="run the reproductions and write report.md",
        description="Run reproductions: each writes its figure, data and checks.json into "
        "DIR/<name>/, and DIR/report.md lays out every figure and check. The exit status is 0 "
        "only if every check passed.",
    )
    reproduce.add_argument("names", nargs="*", metavar="NAME", help="reproductions to run (default: all)")
    mode = reproduce.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick", help="small statistics (default)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full", help="published statistics")
    reproduce.add_argument(
        "--out", type=Path, default=Path("reproduce-out"), metavar="DIR", help="output folder (default: %(default)s)"
    )
    reproduce.add_argument(
        "--jobs", type=_positive_int, default=1, metavar="N", help="reproductions run at once (default: %(default)s)"
    )
    reproduce.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the sweeps on a dask.distributed cluster at ADDRESS (needs the 'dask' extra)",
    )
    reproduce.add_argument("--list", action="store_true", help="list the registered reproductions and exit")
    reproduce.set_defaults(mode="quick", run=_reproduce, parser=reproduce)

    capacity = commands.add_parser(
        "capacity",
        help="perceptron capacity alpha_c(kappa) and overlap q",
        description="Print the replica-symmetric storage capacity alpha_c(kappa) of the perceptron "
        "with margin kappa: spherical weights (Gardner 1988) or, with --binary, weights +-1 "
        "(Krauth & Mezard 1989, zero of the entropy). With --alpha also the typical overlap q "
        "of two solutions at that load.",
    )
    capacity.add_argument(
        "--kappa", type=_nonnegative_float, default=0.0, metavar="K", help="margin, >= 0 (default: 0)"
    )
    capacity.add_argument("--binary", action="store_true", help="weights +-1 instead of spherical ones")
    capacity.add_argument("--alpha", type=_positive_float, metavar="A", help="load P/N <= alpha_c for the overlap q")
    capacity.add_argument("--json", action="store_true", help="print one JSON object")
    capacity.set_defaults(run=_capacity, parser=capacity)

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
        "--rho", type=_number, metavar="R", help="variance of the gaussian prior, density of gauss-bernoulli"
    )
    model.add_argument(
        "--delta",
        type=_number,
        metavar="D",
        help="flip probability of noisy-sign, noise variance of probit, gaussian and relu",
    )
    solve = glm.add_argument_group("solve")
    solve.add_argument(
        "--alpha",
        type=_alpha_grid,
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
    output.add_argument("--csv", type=Path, metavar="FILE", help="also write the table to FILE as CSV")
    solve.add_argument(
        "--plot",
        type=Path,
        metavar="FILE",
        help="save a PNG of the generalisation error and the MSE against alpha, with alpha_alg and alpha_it marked",
    )
    glm.set_defaults(run=_glm, parser=glm)

    from statlearn import cli_online  # its own module: it imports the helpers below

    cli_online.add_parser(commands)
    from statlearn import cli_erm

    cli_erm.add_parser(commands)
    from statlearn import cli_wirg

    cli_wirg.add_parser(commands)
    return parser


def _reproduce(args: argparse.Namespace) -> int:
    from statlearn.reproductions.registry import get, names
    from statlearn.reproductions.runner import run_reproductions

    if args.list:
        known = names()
        width = max(map(len, known), default=0)
        for name in known:
            print(f"{name:<{width}}  {get(name).title}")
        return 0
    try:
        outcomes = run_reproductions(args.names, mode=args.mode, out=args.out, jobs=args.jobs, scheduler=args.scheduler)
    except ValueError as exc:  # an unknown name; failures inside reproductions are in the outcomes
        args.parser.error(str(exc))
    for outcome in outcomes:
        checks = f"{outcome.n_passed}/{len(outcome.checks)} checks"
        print(f"{outcome.status:<5}  {outcome.name}  {checks}  {outcome.elapsed:.1f} s")
    print(f"report: {args.out / 'report.md'}")
    return 0 if all(outcome.passed for outcome in outcomes) else 1


def _capacity(args: argparse.Namespace) -> int:
    from statlearn.replica import capacity as theory

    model = "binary" if args.binary else "spherical"
    try:
        if args.binary:
            alpha_c = theory.binary_capacity(kappa=args.kappa)
        else:
            alpha_c = theory.gardner_capacity(kappa=args.kappa)
        out = {"model": model, "kappa": args.kappa, "capacity": float(alpha_c)}
        if args.alpha is not None:
            if args.alpha > alpha_c:
                raise ValueError(f"--alpha must not exceed the capacity alpha_c = {alpha_c:.6f}, got {args.alpha}")
            overlap = theory.binary_overlap if args.binary else theory.gardner_overlap
            result = overlap(args.alpha, kappa=args.kappa)
            out |= {
                "alpha": args.alpha,
                "overlap": float(result.overlap),
                "converged": bool(result.converged),
                "iterations": int(result.iterations),
                "residual": float(result.residual),
            }
    except ValueError as exc:  # input the theory rejects
        args.parser.error(str(exc))

    if args.json:
        print(json.dumps(out))
    else:
        print(f"alpha_c = {out['capacity']:.6f}  ({model} perceptron, kappa = {args.kappa:g})")
        if args.alpha is not None:
            print(f"q = {out['overlap']:.6f}  (typical overlap of two solutions at alpha = {args.alpha:g})")
    if args.alpha is not None and not out["converged"]:
        print(
            f"statlearn capacity: the overlap did not converge after {out['iterations']} iterations "
            f"(residual {out['residual']:.2e})",
            file=sys.stderr,
        )
        return 1
    return 0


_GLM_COLUMNS = {
    "alpha": "alpha",
    "overlap": "m",
    "mse": "mse",
    "generalization_error": "gen_error",
    "free_entropy": "free_entropy",
    "mutual_information": "mutual_info",
    "converged": "converged",
}
"""Columns of ``statlearn glm``: GLMState field -> heading of the text table."""


def _glm(args: argparse.Namespace) -> int:
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
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        parser.error(f"argument --plot: the file must end in .png, got {str(args.plot)!r}")

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
        "delta": _plain_float(getattr(channel, "delta", None)),
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
        table = {
            name: [bool(v) if name == "converged" else _plain_float(v) for v in column]
            for name, column in columns.items()
        }
        out = {**model, "branch": branch, "converged": bool(converged.all()), "columns": table}
        if args.plot is not None:
            out["plot"] = str(args.plot)
    else:
        delta = "" if model["delta"] is None else f", delta = {model['delta']:g}"
        print(f"# glm: prior {args.prior} (rho = {model['rho']:g}), channel {args.channel}{delta}, branch {branch}")
        _print_table(columns)
    if args.csv is not None:
        from statlearn.sweep import write_csv

        try:
            write_csv(columns, args.csv)
        except OSError as exc:
            parser.error(f"argument --csv: cannot write {str(args.csv)!r}: {exc.strerror or exc}")
        print(f"csv: {args.csv}")
    if args.plot is not None:
        found = theory.thresholds(prior, channel)
        labels = {"equilibrium": "Bayes-optimal", "uninformative": "AMP (from m = 0)", "informative": "from m = rho"}
        label = labels[branch]
        title = f"{args.prior} prior, {args.channel} channel"
        try:
            _glm_plot(args.plot, columns, found, title=title, label=label)
        except OSError as exc:
            parser.error(f"argument --plot: cannot write {str(args.plot)!r}: {exc.strerror or exc}")
        if not args.json:
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
        "alpha_spinodal": found.alpha_spinodal,
        "spinodals": [[alpha, m] for alpha, m in found.spinodals],
    }
    if args.json:
        print(json.dumps(out))
        return 0

    def show(value: float | None) -> str:
        return "None" if value is None else f"{value:.6f}"

    print(f"alpha_it       = {show(found.alpha_it)}  (information-theoretic threshold)")
    print(f"alpha_alg      = {show(found.alpha_alg)}  (algorithmic threshold, AMP succeeds above)")
    print(f"alpha_spinodal = {show(found.alpha_spinodal)}  (informative branch appears)")
    spinodals = ", ".join(f"(alpha = {alpha:.6f}, m = {m:.6f})" for alpha, m in found.spinodals)
    print(f"spinodals      = {spinodals or 'None'}")
    return 0


def _print_table(columns: dict) -> None:
    headings = list(_GLM_COLUMNS.values())
    digits = {"alpha": 10}
    cells = [
        [("yes" if value else "no") if name == "converged" else f"{value:.{digits.get(name, 6)}g}" for value in column]
        for name, column in columns.items()
    ]
    widths = [max(len(heading), *map(len, col)) for heading, col in zip(headings, cells)]
    print("  ".join(f"{heading:>{width}}" for heading, width in zip(headings, widths)))
    for row in zip(*cells):
        print("  ".join(f"{cell:>{width}}" for cell, width in zip(row, widths)))


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


def write_outputs(args: argparse.Namespace, columns: dict, plot) -> None:
    """Write ``columns`` to ``args.csv`` and call ``plot(args, columns)`` for ``args.plot`` when
    given; a file that cannot be written is a usage error naming the option."""
    if args.csv is not None:
        from statlearn.sweep import write_csv

        try:
            write_csv(columns, args.csv)
        except OSError as exc:
            args.parser.error(f"argument --csv: cannot write {str(args.csv)!r}: {exc.strerror or exc}")
    if args.plot is not None:
        try:
            plot(args, columns)
        except OSError as exc:
            args.parser.error(f"argument --plot: cannot write {str(args.plot)!r}: {exc.strerror or exc}")


def _alpha_grid(text: str) -> tuple[float, ...]:
    """``START:STOP:STEP`` (STOP included if on the grid up to rounding), a number or a comma list."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise argparse.ArgumentTypeError(f"expected START:STOP:STEP, got {text!r}")
        start, stop, step = (_number(part) for part in parts)
        if step <= 0:
            raise argparse.ArgumentTypeError(f"STEP must be > 0, got {text!r}")
        if stop < start:
            raise argparse.ArgumentTypeError(f"STOP must be >= START, got {text!r}")
        count = math.floor((stop - start) / step * (1 + 1e-9) + 1e-9) + 1
        if count > 100_000:
            raise argparse.ArgumentTypeError(f"the grid {text!r} has {count} points, more than 100000")
        values = [round(start + k * step, 12) for k in range(count)]
    else:
        items = text.split(",")
        if any(not item.strip() for item in items):
            raise argparse.ArgumentTypeError(f"empty entry in the list {text!r}")
        values = [_number(item) for item in items]
    negative = [v for v in values if v < 0]
    if negative:
        raise argparse.ArgumentTypeError(f"alpha must be >= 0, got {negative[0]:g}")
    return tuple(values)


def _plain_float(value: float | None) -> float | None:
    """A JSON-safe float: None for a missing or non-finite value."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _nonnegative_float(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value
