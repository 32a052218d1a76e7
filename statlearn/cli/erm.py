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
import sys
from collections.abc import Callable
from typing import TypeVar

from statlearn.cli.common import (
    bounded_float,
    bounded_int,
    json_value,
    log_grid,
    number,
    output_file,
    print_table,
    seed,
    write_outputs,
)

__all__ = ["add_parser", "run"]

MODELS = ("random-features", "isotropic", "salient-weak")

T = TypeVar("T")

# Ranges checked before any work: beyond them the saddle point stalls or loses precision.
MAX_LOAD = 1e4
MAX_LAM = 1e4
MAX_DELTA = 1e6
MAX_SEEDS = 1000
MAX_DIMENSION = 10**6
MAX_SIMULATION_BYTES = 2e9
"""The most memory ``--simulate`` may ask for one draw: (n + n_test) x max(P, d) doubles."""


def _load(text: str) -> tuple[float, ...]:
    """A grid of alpha or gamma: :func:`statlearn.cli.common.log_grid` with values <= MAX_LOAD."""
    return log_grid(text, high=MAX_LOAD)


def _numbers(*names: str) -> Callable[[str], tuple[float, ...]]:
    """An argument type: one comma-separated number per name, e.g. ``FRACTION,SALIENT,WEAK``."""

    def convert(text: str) -> tuple[float, ...]:
        values = tuple(number(item) for item in text.split(","))
        if len(values) != len(names):
            raise argparse.ArgumentTypeError(f"expected {','.join(names)}, got {text!r}")
        return values

    return convert


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
        type=_numbers("FRACTION", "SALIENT", "WEAK"),
        default=(0.1, 5.5, 0.5),
        metavar="F,S,W",
        help="salient-weak model: fraction and variances (default: 0.1,5.5,0.5)",
    )
    erm.add_argument(
        "--teacher-weights",
        type=_numbers("T_SALIENT", "T_WEAK"),
        default=(1.0, 1.0),
        metavar="T1,T2",
        help="salient-weak model: teacher weight variances on the two blocks (default: 1,1)",
    )
    erm.add_argument("--loss", default="logistic", help="square, logistic (default) or hinge")
    erm.add_argument(
        "--lam",
        type=bounded_float(0.0, MAX_LAM),
        required=True,
        help="ridge penalty (0: ridgeless, square loss) [%(type)s]",
    )
    erm.add_argument(
        "--alpha",
        type=_load,
        default=None,
        help=f"samples per input dimension n/d (grid or number, each value in (0, {MAX_LOAD:g}]; default 2 with a gamma grid)",
    )
    erm.add_argument(
        "--gamma",
        type=_load,
        default=None,
        help=f"random features: P/D, features per input dimension (grid or number, each in (0, {MAX_LOAD:g}])",
    )
    erm.add_argument("--teacher", default="sign", help="sign (default), noisy-sign, probit or gaussian (linear)")
    erm.add_argument(
        "--delta",
        type=bounded_float(0.0, MAX_DELTA),
        default=None,
        help="teacher noise: flip probability (noisy-sign) or label-noise variance (probit, gaussian; "
        "0 is the noiseless teacher); required by those teachers, refused by sign [%(type)s]",
    )
    erm.add_argument(
        "--simulate", type=bounded_int(1, MAX_DIMENSION), metavar="D", help="also train at input dimension D [%(type)s]"
    )
    erm.add_argument(
        "--seeds", type=bounded_int(1, MAX_SEEDS), default=5, help="training draws per point (default: 5) [%(type)s]"
    )
    erm.add_argument(
        "--n-test",
        type=bounded_int(1, MAX_DIMENSION),
        default=4000,
        help="test samples per draw (default: 4000) [%(type)s]",
    )
    erm.add_argument(
        "--seed", type=seed, default=0, help="seed of the training draws (default: 0) [integer in [0, 2**63)]"
    )
    out = erm.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--csv", type=output_file(), metavar="FILE", help="also write the table to FILE as CSV")
    erm.add_argument(
        "--plot", type=output_file(".png"), metavar="FILE", help="save a PNG of the test error and training loss"
    )
    erm.set_defaults(run=run, parser=erm)


def _resolved(parser: argparse.ArgumentParser, option: str, resolve: Callable[[], T]) -> T:
    """``resolve()``, or a usage error naming ``option`` when it raises ``ValueError``/``TypeError``."""
    try:
        return resolve()
    except (ValueError, TypeError) as exc:
        parser.error(f"argument {option}: {exc}")


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

    if args.simulate is not None:
        _check_simulation_size(args)

    import warnings

    import numpy as np

    from statlearn.models.channels import get_channel
    from statlearn.models.losses import get_loss
    from statlearn.numerics.fixedpoint import ConvergenceWarning
    from statlearn.replica.erm import learning_curve

    # each piece resolved on its own, so that a refusal names the option it came from
    model = _resolved(
        parser, "--activation" if random_features else "--salient/--teacher-weights", lambda: _model(args)
    )
    teacher = _resolved(
        parser, "--teacher", lambda: get_channel(args.teacher, **({} if args.delta is None else {"delta": args.delta}))
    )
    _resolved(parser, "--loss", lambda: get_loss(args.loss))
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
    columns = {
        k: getattr(curve, k)
        for k in ("alpha", "gamma", "lam", "generalization_error", "training_loss", "m", "q", "V", "converged")
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
                    "columns": {k: [json_value(x) for x in np.asarray(v).tolist()] for k, v in columns.items()},
                }
            )
        )
    else:
        print(
            f"# ERM: {args.model}"
            + (f" ({args.activation})" if random_features else "")
            + f", {args.loss} loss, lambda = {args.lam:g}, teacher {args.teacher}"
            + ("" if args.delta is None else f" (delta = {args.delta:g})")
            + (f"; training at d = {args.simulate}, {args.seeds} draws" if args.simulate else "")
        )
        print_table(columns)
    write_outputs(args, columns, _plot)
    converged = np.asarray(curve.converged, dtype=bool)  # a curve's fields are arrays (one per point)
    if not converged.all():
        alpha, gamma = np.asarray(curve.alpha)[~converged], np.asarray(curve.gamma)[~converged]
        bad = ", ".join(f"{a:g}/{g:g}" for a, g in zip(alpha, gamma))
        print(f"statlearn erm: the saddle point did not converge at alpha/gamma = {bad}", file=sys.stderr)
        return 1
    return 0


def _check_simulation_size(args: argparse.Namespace) -> None:
    """Refuse, before allocating, a ``--simulate`` whose data of one draw would not fit in memory."""
    d = args.simulate
    features = max(args.gamma or (1.0,)) * d if args.model == "random-features" else d
    n = max(args.alpha) * d
    size = 8.0 * (n + args.n_test) * max(features, d)
    if size > MAX_SIMULATION_BYTES:
        args.parser.error(
            f"argument --simulate: d = {d} needs about {size / 1e9:.3g} GB per draw "
            f"((n + n_test) x max(P, d) doubles), more than {MAX_SIMULATION_BYTES / 1e9:g} GB; "
            "lower --simulate, --alpha, --gamma or --n-test"
        )


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
        means.append(run.mean("generalization_error"))
        errors.append(run.stderr("generalization_error"))
    return {"generalization_error_sim": np.array(means), "generalization_error_sim_se": np.array(errors)}


def _plot(args: argparse.Namespace, columns: dict) -> None:
    from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line

    swept = "gamma" if "gamma" in columns and len(set(columns["gamma"])) > 1 else "alpha"
    x = columns[swept]
    label = r"$\gamma$ = P / D" if swept == "gamma" else r"$\alpha$ = n / d"
    with lecture_style():
        fig, (left, right) = figure(1, 2)
        theory_line(left, x, columns["generalization_error"], label="theory", color="k")
        if "generalization_error_sim" in columns:
            simulation_points(
                left,
                x,
                columns["generalization_error_sim"],
                columns["generalization_error_sim_se"],
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
