"""``statlearn capacity``: the storage capacity of the perceptron and the overlap of two solutions.

``statlearn capacity [--kappa K] [--binary] [--alpha A] [--json]`` prints alpha_c(kappa) of the
spherical (Gardner 1988) or binary (Krauth & Mezard 1989) perceptron and, with ``--alpha``, the
typical overlap q of two solutions at that load.
"""

from __future__ import annotations

import argparse
import json
import sys

from statlearn.cli.common import nonnegative_float, positive_float

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    capacity = commands.add_parser(
        "capacity",
        help="perceptron capacity alpha_c(kappa) and overlap q",
        description="Print the replica-symmetric storage capacity alpha_c(kappa) of the perceptron "
        "with margin kappa: spherical weights (Gardner 1988) or, with --binary, weights +-1 "
        "(Krauth & Mezard 1989, zero of the entropy). With --alpha also the typical overlap q "
        "of two solutions at that load.",
    )
    capacity.add_argument("--kappa", type=nonnegative_float, default=0.0, metavar="K", help="margin, >= 0 (default: 0)")
    capacity.add_argument("--binary", action="store_true", help="weights +-1 instead of spherical ones")
    capacity.add_argument("--alpha", type=positive_float, metavar="A", help="load P/N <= alpha_c for the overlap q")
    capacity.add_argument("--json", action="store_true", help="print one JSON object")
    capacity.set_defaults(run=run, parser=capacity)


def run(args: argparse.Namespace) -> int:
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
