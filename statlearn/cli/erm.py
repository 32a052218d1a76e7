"""``statlearn erm``: learning curves of regularised ERM in the Gaussian covariate model.

``statlearn erm --model random-features --activation relu --loss logistic --lam 1e-3
--gamma 0.1:10:100 [--alpha 2] [--teacher sign] [--simulate D --seeds 5] [--plot FILE] [--csv FILE]``
solves the replica saddle point (:func:`statlearn.replica.erm.learning_curve`) along a grid of
gamma = P/D (random features) or alpha = n/d and prints test error, training loss and overlaps.
Grids are ``START:STOP:NUM`` (NUM log-spaced points, both ends included), a number or a comma
list. With ``--simulate D`` it also trains the students at input dimension D on ``--seeds`` draws
and prints the mean test error with its standard error. The exit status is 1 if a point of the
theory did not converge.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from statlearn.cli.common import nonnegative_float, number, positive_int, write_outputs

__all__ = ["add_parser", "run"]

MODELS = ("random-features", "isotropic", "salient-weak")


def _grid(text: str) -> tuple[float, ...]:
    """``START:STOP:NUM`` (log-spaced), a number, or a comma list; every value > 0."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise argparse.ArgumentTypeError(f"expected START:STOP:NUM, got {text!r}")
        start, stop = number(parts[0]), number(parts[1])
        num = positive_int(parts[2])
        if not 0 < start <= stop:
            raise argparse.ArgumentTypeError(f"need 0 < START <= STOP, got {text!r}")
        if num > 100_000:
            raise argparse.ArgumentTypeError(f"the grid {text!r} has more than 100000 points")
        if num == 1:
            return (start,)
        ratio = math.log(stop / start) / (num - 1)
        return tuple(start * math.exp(k * ratio) for k in range(num - 1)) + (stop,)
    items = text.split(",")
    if any(not item.strip() for item in items):
        raise argparse.ArgumentTypeError(f"empty entry in the list {text!r}")
    values = tuple(number(item) for item in items)
    if any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"values must be > 0, got {text!r}")
    return values


def _triple(text: str) -> tuple[float, ...]:
    values = tuple(number(item) for item in text.split(","))
    if len(values) != 3:
        raise argparse.ArgumentTypeError(f"expected FRACTION,SALIENT,WEAK, got {text!r}")
    return values


def _pair(text: str) -> tuple[float, ...]:
    values = tuple(number(item) for item in text.split(","))
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"expected T_SALIENT,T_WEAK, got {text!r}")
    return values


def add_parser(commands: argparse._SubParsersAction) -> None:
    erm = commands.add_parser(
        "erm",
        help="ERM learning curves (random features, structured data, losses) with optional training runs",
        description="Solve the replica saddle point of ridge-penalised empirical risk minimisation in the "
        "Gaussian covariate model (Loureiro et al. 2021; Gerace et al. 2020) along a grid and print the test "
        "error (against the clean teacher), training loss and overlaps; with --simulate, compare with real "
        "training at finite size. Grids: START:STOP:NUM (log-spaced), a number or a comma list.",
    )
    erm.add_argument("--model", choices=MODELS, default="random-features", help="data model (default: %(default)s)")
    erm.add_argument("--activation", default="relu", help="random-features activation: relu, erf, tanh, sign")
    erm.add_argument(
        "--salient",
        type=_triple,
        default=(0.1, 5.5, 0.5),
        metavar="F,S,W",
        help="salient-weak model: fraction and variances (default: 0.1,5.5,0.5)",
    )
    erm.add_argument(
        "--teacher-weights",
        type=_pair,
        default=(1.0, 1.0),
        metavar="T1,T2",
        help="salient-weak model: teacher weight variances on the two blocks (default: 1,1)",
    )
    erm.add_argument("--loss", default="logistic", help="square, logistic (default) or hinge")
    erm.add_argument("--lam", type=nonnegative_float, required=True, help="ridge penalty (0: ridgeless, square loss)")
    erm.add_argument(
        "--alpha",
        type=_grid,
        default=None,
        help="samples per input dimension n/d (grid or number; default 2 with a gamma grid)",
    )
    erm.add_argument("--gamma", type=_grid, default=None, help="random features: P/D, features per input dimension")
    erm.add_argument("--teacher", default="sign", help="sign (default), noisy-sign, probit or gaussian (linear)")
    erm.add_argument(
        "--delta",
        type=nonnegative_float,
        default=0.0,
        help="teacher noise: flip probability (noisy-sign) or label-noise variance (probit, gaussian)",
    )
    erm.add_argument("--simulate", type=positive_int, metavar="D", help="also train at input dimension D")
    erm.add_argument("--seeds", type=positive_int, default=5, help="training draws per point (default: 5)")
    erm.add_argument("--n-test", type=positive_int, default=4000, help="test samples per draw (default: 4000)")
    erm.add_argument("--seed", type=int, default=0, help="seed of the training draws (default: 0)")
    out = erm.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--csv", type=Path, metavar="FILE", help="also write the table to FILE as CSV")
    erm.add_argument("--plot", type=Path, metavar="FILE", help="save a PNG of the test error and training loss")
    erm.set_defaults(run=run, parser=erm)


def _model(args: argparse.Namespace):
    from statlearn.models.covariates import BlockCovariates, RandomFeatures

    if args.model == "random-features":
        return RandomFeatures(args.activation)
    if args.model == "isotropic":
        return BlockCovariates.isotropic()
    fraction, salient, weak = args.salient
    return BlockCovariates.salient_weak(fraction, salient, weak, teacher=args.teacher_weights)


def run(args: argparse.Namespace) -> int:
    parser = args.parser
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        parser.error(f"argument --plot: the file must end in .png, got {str(args.plot)!r}")
    random_features = args.model == "random-features"
    if random_features and args.gamma is None:
        parser.error("--model random-features needs --gamma (P/D)")
    if not random_features and args.gamma is not None:
        parser.error(f"--gamma applies to random features only, not to --model {args.model}")
    if args.alpha is None:
        if not random_features:
            parser.error(f"--model {args.model} needs --alpha")
        args.alpha = (2.0,)
    if len(args.alpha) > 1 and args.gamma is not None and len(args.gamma) > 1:
        parser.error("give a grid for --alpha or for --gamma, not both")

    import numpy as np

    from statlearn.models.channels import get_channel
    from statlearn.replica.erm import learning_curve

    try:
        model = _model(args)
        teacher = get_channel(args.teacher, **({"delta": args.delta} if args.delta else {}))
        import warnings

        from statlearn.numerics.fixedpoint import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # reported below
            curve = learning_curve(
                model,
                teacher,
                args.loss,
                args.lam,
                alpha=args.alpha,
                gamma=args.gamma,
                progress=not args.json and sys.stderr.isatty(),
            )
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    columns = {
        k: getattr(curve, k)
        for k in ("alpha", "gamma", "lam", "test_error", "training_loss", "m", "q", "V", "converged")
    }
    if not random_features:
        del columns["gamma"]
    if args.simulate is not None:
        columns |= _simulate(args, model, teacher, curve)

    if args.json:
        print(
            json.dumps(
                {
                    "model": args.model,
                    "loss": args.loss,
                    "teacher": args.teacher,
                    "delta": args.delta,
                    "columns": {k: [_plain(x) for x in np.asarray(v).tolist()] for k, v in columns.items()},
                }
            )
        )
    else:
        print(
            f"# ERM: {args.model}"
            + (f" ({args.activation})" if random_features else "")
            + f", {args.loss} loss, lambda = {args.lam:g}, teacher {args.teacher}"
            + (f" (delta = {args.delta:g})" if args.delta else "")
            + (f"; training at d = {args.simulate}, {args.seeds} draws" if args.simulate else "")
        )
        print("  ".join(f"{k:>13}" for k in columns))
        for row in zip(*columns.values()):
            print("  ".join(f"{str(bool(x)):>13}" if isinstance(x, (bool, np.bool_)) else f"{x:>13.6g}" for x in row))
    write_outputs(args, columns, _plot)
    if not curve.converged.all():
        bad = ", ".join(f"{a:g}/{g:g}" for a, g in zip(curve.alpha[~curve.converged], curve.gamma[~curve.converged]))
        print(f"statlearn erm: the saddle point did not converge at alpha/gamma = {bad}", file=sys.stderr)
        return 1
    return 0


def _simulate(args: argparse.Namespace, model, teacher, curve) -> dict:
    import numpy as np

    from statlearn.experiments.covariates import simulate

    means, errors = [], []
    for a, g in zip(curve.alpha, curve.gamma):
        run = simulate(
            model,
            teacher,
            args.loss,
            args.lam,
            alpha=float(a),
            d=args.simulate,
            gamma=None if np.isnan(g) else float(g),
            seeds=args.seeds,
            n_test=args.n_test,
            seed=args.seed,
        )
        means.append(run.mean("test_error"))
        errors.append(run.stderr("test_error"))
    return {"test_error_sim": np.array(means), "test_error_sim_se": np.array(errors)}


def _plain(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _plot(args: argparse.Namespace, columns: dict) -> None:
    from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line

    swept = "gamma" if "gamma" in columns and len(set(columns["gamma"])) > 1 else "alpha"
    x = columns[swept]
    label = r"$\gamma$ = P / D" if swept == "gamma" else r"$\alpha$ = n / d"
    with lecture_style():
        fig, (left, right) = figure(1, 2)
        theory_line(left, x, columns["test_error"], label="theory", color="k")
        if "test_error_sim" in columns:
            simulation_points(
                left,
                x,
                columns["test_error_sim"],
                columns["test_error_sim_se"],
                label=f"training, d = {args.simulate} ({args.seeds} draws)",
                color=COLORS[0],
            )
        theory_line(right, x, columns["training_loss"], color="k")
        left.set(
            xscale="log",
            xlabel=label,
            ylabel="test error",
            title=f"{args.model}, {args.loss}, "
            rf"$\lambda$ = {args.lam:g}",
        )
        right.set(xscale="log", xlabel=label, ylabel="training loss per sample", title="training loss")
        left.legend()
        save_figure(fig, args.plot)
