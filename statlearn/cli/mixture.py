"""``statlearn mixture``: ERM on the two-cluster Gaussian mixture, replica theory along a grid of alpha.

``statlearn mixture --loss logistic --lam 1e-3 --alpha 0.5:10:40 --delta 1 [--rho 0.5] [--bias]
[--json | --csv FILE] [--plot FILE]`` solves the saddle point (:func:`statlearn.replica.mixture.learning_curve`)
and prints the test error, the Bayes-optimal error, the training loss and error, m, q and the bias, with the
separability threshold alpha* in the header. The exit status is 1 if a point did not converge.
"""

from __future__ import annotations

import argparse
import json
import sys

from statlearn.cli.common import bounded_float, json_value, log_grid, output_file, print_table, write_outputs

__all__ = ["add_parser", "run"]

MAX_LOAD = 1e4
MAX_LAM = 1e6
MAX_DELTA = 1e4


def _load(text: str) -> tuple[float, ...]:
    return log_grid(text, high=MAX_LOAD)


def add_parser(commands: argparse._SubParsersAction) -> None:
    mixture = commands.add_parser(
        "mixture",
        help="ERM on a two-cluster Gaussian mixture: replica learning curve, Bayes-optimal error, alpha*",
        description="Solve the replica saddle point of ridge-penalised ERM on the Gaussian mixture "
        "x = y v*/sqrt(d) + sqrt(Delta) z, P(y = +1) = rho (Mignacco et al. 2020; Loureiro et al. 2021) along a "
        "grid of alpha = n/d and print the test error, the Bayes-optimal error, training loss and error, m, q "
        "and the bias. Grids: START:STOP:NUM (log-spaced), a number or a comma list.",
    )
    mixture.add_argument("--loss", default="logistic", help="square, logistic (default) or hinge")
    mixture.add_argument(
        "--lam", type=bounded_float(0.0, MAX_LAM, low_open=True), required=True, help="ridge penalty [%(type)s]"
    )
    mixture.add_argument(
        "--alpha",
        type=_load,
        required=True,
        help=f"samples per dimension n/d (grid or number, each in (0, {MAX_LOAD:g}])",
    )
    mixture.add_argument(
        "--delta", type=bounded_float(0.0, MAX_DELTA, low_open=True), default=1.0, help="cluster variance [%(type)s]"
    )
    mixture.add_argument(
        "--rho", type=bounded_float(0.0, 1.0, low_open=True), default=0.5, help="P(y = +1), below 1 [%(type)s]"
    )
    mixture.add_argument("--bias", action="store_true", help="train a bias (default: none)")
    out = mixture.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--csv", type=output_file(), metavar="FILE", help="also write the table to FILE as CSV")
    mixture.add_argument("--plot", type=output_file(".png"), metavar="FILE", help="save a PNG of the test error")
    mixture.set_defaults(run=run, parser=mixture)


def run(args: argparse.Namespace) -> int:
    parser = args.parser
    if args.rho >= 1.0:
        parser.error(f"argument --rho: must be below 1, got {args.rho:g}")
    import warnings

    import numpy as np

    from statlearn.models.losses import get_loss
    from statlearn.numerics.fixedpoint import ConvergenceWarning
    from statlearn.replica.mixture import bayes_optimal_error, learning_curve, separability_threshold

    try:
        get_loss(args.loss)
    except (ValueError, TypeError) as exc:
        parser.error(f"argument --loss: {exc}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # reported below
        curve = learning_curve(args.loss, args.lam, alpha=args.alpha, delta=args.delta, rho=args.rho, bias=args.bias)
    star = separability_threshold(args.delta, args.rho)
    columns: dict[str, np.ndarray] = {
        "alpha": np.asarray(curve.alpha),
        "test_error": np.asarray(curve.test_error),
        "bayes_optimal": np.array([bayes_optimal_error(a, args.delta, args.rho) for a in args.alpha]),
        "train_loss": np.asarray(curve.train_loss),
        "train_error": np.asarray(curve.train_error),
        "m": np.asarray(curve.m),
        "q": np.asarray(curve.q),
        "bias": np.asarray(curve.bias),
        "converged": np.asarray(curve.converged),
    }
    if args.json:
        print(
            json.dumps(
                {
                    "loss": args.loss,
                    "lam": args.lam,
                    "delta": args.delta,
                    "rho": args.rho,
                    "bias": args.bias,
                    "separability_threshold": star,
                    "columns": {k: [json_value(x) for x in np.asarray(v).tolist()] for k, v in columns.items()},
                }
            )
        )
    else:
        print(
            f"# Gaussian mixture: {args.loss} loss, lambda = {args.lam:g}, Delta = {args.delta:g}, rho = {args.rho:g}, "
            f"{'trained' if args.bias else 'no'} bias; separability threshold alpha* = {star:.6g}"
        )
        print_table(columns)
    args.separability_threshold = star
    write_outputs(args, columns, _plot)
    converged = np.asarray(curve.converged, dtype=bool)
    if not converged.all():
        bad = ", ".join(f"{a:g}" for a in np.asarray(curve.alpha)[~converged])
        print(f"statlearn mixture: the saddle point did not converge at alpha = {bad}", file=sys.stderr)
        return 1
    return 0


def _plot(args: argparse.Namespace, columns: dict) -> None:
    from statlearn.plotting import figure, lecture_style, save_figure, theory_line

    with lecture_style():
        fig, ax = figure(1, 1, figsize=(6.0, 4.4))
        theory_line(ax, columns["alpha"], columns["test_error"], label=rf"{args.loss}, $\lambda = {args.lam:g}$")
        theory_line(ax, columns["alpha"], columns["bayes_optimal"], label="Bayes-optimal", color="k", ls="--")
        ax.axvline(args.separability_threshold, color="gray", ls=":", label=r"$\alpha^*$")
        ax.set(xlabel=r"$\alpha = n/d$", ylabel="test error", title=rf"Gaussian mixture, $\Delta = {args.delta:g}$")
        ax.legend()
        save_figure(fig, args.plot)
