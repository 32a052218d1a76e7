"""The ``statlearn`` command (also ``python -m statlearn``).

Subcommands:

- ``statlearn reproduce [NAME ...] [--quick | --full] [--out DIR] [--jobs N] [--scheduler ADDRESS]
  [--list]`` runs the registered reproductions, writes ``DIR/report.md`` and exits with 0 only if every check passed;
- ``statlearn capacity [--kappa K] [--binary] [--alpha A] [--json]`` prints the storage capacity
  of the perceptron and, with ``--alpha``, the typical overlap of two of its solutions.

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
    return parser


def _reproduce(args: argparse.Namespace) -> int:
    from reproductions.registry import get, names
    from reproductions.runner import run_reproductions

    if args.list:
        known = names()
        width = max(map(len, known), default=0)
        for name in known:
            print(f"{name:<{width}}  {get(name).title}")
        return 0
    try:
        outcomes = run_reproductions(
            args.names, mode=args.mode, out=args.out, jobs=args.jobs, scheduler=args.scheduler
        )
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
