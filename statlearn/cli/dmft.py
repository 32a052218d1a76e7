"""``statlearn dmft``: the DMFT of GD, SGD and persistent SGD on the two-cluster Gaussian mixture.

``statlearn dmft --loss logistic --alpha 2 --delta 0.5 --lam 0.1 --eta 0.5 --steps 120 [--batch-fraction B]
[--persistence TAU] [--n-samples N] [--replicas R] [--seed S] [--smoothing S] [--checkpoint DIR] [--every K]
[--json | --csv FILE] [--plot FILE]`` integrates the dynamical mean-field theory (:func:`statlearn.dmft.solve`)
with a progress bar and prints m, q, the test error, the training loss and the training error with their
statistical errors every K steps (the CSV holds every step). For gradient descent (b = 1) the header also gives the
replica ERM fixed point that the dynamics tends to. ``--checkpoint DIR`` keeps finished replicas, so an
interrupted run resumes. The exit status is 1 if the dynamics diverged.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from statlearn.cli.common import bounded_float, bounded_int, json_value, output_file, print_table, seed, write_outputs

__all__ = ["add_parser", "run"]

MAX_VALUE = 1e4
MAX_STEPS = 100_000
MAX_SAMPLES = 10**8


def add_parser(commands: argparse._SubParsersAction) -> None:
    dmft = commands.add_parser(
        "dmft",
        help="DMFT of GD / SGD / persistent SGD on the Gaussian mixture: m, q, errors and loss against time",
        description="Integrate the dynamical mean-field theory of (S)GD on the Gaussian mixture x = y v*/sqrt(d) + "
        "sqrt(Delta) z (Mignacco, Krzakala, Urbani & Zdeborova 2020) by a causal population scheme and print the "
        "overlaps, the test error, the training loss and the training error against time t = k eta.",
    )
    positive = bounded_float(0.0, MAX_VALUE, low_open=True)
    dmft.add_argument("--loss", default="logistic", help="square, logistic (default) or hinge (smoothed)")
    dmft.add_argument("--alpha", type=positive, required=True, help="samples per dimension n/d [%(type)s]")
    dmft.add_argument("--delta", type=positive, default=1.0, help="cluster variance [%(type)s]")
    dmft.add_argument("--lam", type=bounded_float(0.0, MAX_VALUE), required=True, help="ridge penalty [%(type)s]")
    dmft.add_argument("--eta", type=positive, required=True, help="learning rate; t = steps * eta [%(type)s]")
    dmft.add_argument("--steps", type=bounded_int(1, MAX_STEPS), required=True, help="number of steps [%(type)s]")
    dmft.add_argument(
        "--batch-fraction", type=bounded_float(0.0, 1.0, low_open=True), default=1.0, help="b; 1 is GD [%(type)s]"
    )
    dmft.add_argument("--persistence", type=positive, default=None, help="tau >= eta for persistent SGD")
    dmft.add_argument(
        "--n-samples", type=bounded_int(2, MAX_SAMPLES), default=20_000, help="population size N [%(type)s]"
    )
    dmft.add_argument("--replicas", type=bounded_int(2, 1000), default=4, help="independent populations [%(type)s]")
    dmft.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    dmft.add_argument("--smoothing", type=bounded_float(0.0, 10.0), default=0.05, help="hinge softplus width")
    dmft.add_argument(
        "--checkpoint", type=_folder, metavar="DIR", default=None, help="keep finished replicas in DIR (resume)"
    )
    dmft.add_argument("--every", type=bounded_int(1, MAX_STEPS), default=None, help="print every K steps")
    out = dmft.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--csv", type=output_file(), metavar="FILE", help="also write every step to FILE as CSV")
    dmft.add_argument("--plot", type=output_file(".png"), metavar="FILE", help="save a PNG of the observables")
    dmft.set_defaults(run=run, parser=dmft)


def _folder(text: str) -> Path:
    """A folder that exists or can be created: not empty, and its first existing ancestor a writable folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must be a folder, got an empty name")
    path = Path(text)
    existing = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise argparse.ArgumentTypeError(
            f"cannot create or write the folder {text!r} ({str(existing)!r} is in the way)"
        )
    return path


def run(args: argparse.Namespace) -> int:
    import warnings

    import numpy as np

    from statlearn.dmft import solve
    from statlearn.numerics.fixedpoint import ConvergenceWarning
    from statlearn.replica.mixture import saddle_point

    parser = args.parser
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # reported below
            trajectory = solve(
                args.loss,
                alpha=args.alpha,
                delta=args.delta,
                lam=args.lam,
                eta=args.eta,
                steps=args.steps,
                batch_fraction=args.batch_fraction,
                persistence=args.persistence,
                n_samples=args.n_samples,
                replicas=args.replicas,
                seed=args.seed,
                smoothing=args.smoothing,
                checkpoint=args.checkpoint,
                progress=not args.json,
            )
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    columns = trajectory.table()
    limit = None
    if args.batch_fraction == 1.0 and args.lam > 0:
        limit = saddle_point(args.loss, args.lam, alpha=args.alpha, delta=args.delta, warn=False)
    if args.json:
        payload = {
            "problem": trajectory.problem.__dict__,
            "n_samples": trajectory.n_samples,
            "replicas": int(trajectory.replica_values.shape[0]),
            "converged": trajectory.converged,
            "replica_fixed_point": None
            if limit is None
            else {k: getattr(limit, k) for k in ("m", "q", "test_error", "train_loss", "train_error")},
            "columns": {k: [json_value(x) for x in np.asarray(v).tolist()] for k, v in columns.items()},
        }
        print(json.dumps(payload))
    else:
        kind = "GD" if args.batch_fraction == 1.0 else "persistent SGD" if args.persistence else "SGD"
        print(
            f"# DMFT, {kind}: {args.loss} loss, alpha = {args.alpha:g}, Delta = {args.delta:g}, lambda = {args.lam:g}, "
            f"eta = {args.eta:g}, b = {args.batch_fraction:g}"
            + (f", tau = {args.persistence:g}" if args.persistence else "")
            + f"; {trajectory.message}"
        )
        if limit is not None:
            print(
                f"# replica ERM fixed point (t -> infinity): m = {limit.m:.6g}, q = {limit.q:.6g}, "
                f"test error = {limit.test_error:.6g}, train loss = {limit.train_loss:.6g}"
            )
        every = args.every or max(1, args.steps // 20)
        rows = np.unique(np.r_[np.arange(0, args.steps + 1, every), args.steps])
        print_table({k: np.asarray(v)[rows] for k, v in columns.items()}, digits={"t": 5})
    args.limit = limit
    write_outputs(args, columns, _plot)
    if not trajectory.converged:
        print(f"statlearn dmft: {trajectory.message}", file=sys.stderr)
        return 1
    return 0


def _plot(args: argparse.Namespace, columns: dict) -> None:
    from statlearn.plotting import figure, lecture_style, save_figure, theory_line

    names = [("m", "$m$"), ("q", "$q$"), ("test_error", "test error"), ("train_loss", "training loss")]
    with lecture_style():
        fig, axes = figure(1, 4, figsize=(15.0, 3.8))
        for ax, (name, label) in zip(axes, names):
            t, y, err = columns["t"], columns[name], columns[f"{name}_err"]
            theory_line(ax, t, y, label="DMFT")
            ax.fill_between(t, y - 2 * err, y + 2 * err, alpha=0.25, label=r"$\pm 2\sigma$")
            if args.limit is not None:
                ax.axhline(getattr(args.limit, name), color="k", ls=":", label="replica ERM")
            ax.set(xlabel=r"$t = k\eta$", ylabel=label)
        axes[0].legend()
        fig.suptitle(f"DMFT: {args.loss}, $\\alpha = {args.alpha:g}$, $b = {args.batch_fraction:g}$")
        save_figure(fig, args.plot)
