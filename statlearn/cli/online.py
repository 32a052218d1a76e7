"""``statlearn online``: the overlap ODEs of online SGD, optionally against numba simulations.

``statlearn online --K 2 --M 2 --eta 0.5 --alpha-max 1e4 [--simulate N --seeds 5] [--plot FILE]
[--csv FILE]`` integrates the ODEs on log-spaced times and prints eps_g(alpha). With
``--simulate N`` it also runs online SGD at input dimension N for each seed and integrates the ODE
from each simulation's own initial overlaps (like for like), then prints the ODE, the simulation
mean and the discrepancy with its standard error over seeds. The exit status is 1 if the learning
dynamics blew up (learning rate above the stability limit).
"""

from __future__ import annotations

import argparse
import json
import sys

from statlearn.cli.common import bounded_float, bounded_int, json_value, output_file, print_table, seed, write_outputs

__all__ = ["MAX_SIMULATION_WORK", "add_parser", "run"]

# Ranges checked before any work. Large learning rates and weight decays make the ODE stiff: with erf
# units at K = M = 2 it takes 1.4 s at eta = 100, 16 s at 200 and minutes at 400 or 1000 (linear and
# ReLU units blow up and stop at once); the ODE's cost grows steeply with K and M (about 4 s at
# K = M = 10, a minute at K = M = 20).
MAX_UNITS = 12
MAX_ETA = 100.0
MAX_WEIGHT_DECAY = 1e3
MAX_SIGMA = 1e3
MAX_INIT_SCALE = 1e2
MAX_ALPHA = 1e7
MAX_POINTS = 10_000
MAX_SEEDS = 1000
ETA_WHY = "beyond it the ODE becomes too stiff to integrate in reasonable time"
STIFF_WHY = "the ODE becomes too stiff to integrate"
UNITS_WHY = "the ODE's cost grows steeply with K and M"
MAX_DIMENSION = 10**6
MAX_SIMULATION_WORK = 1e12
"""The most multiply-adds ``--simulate`` may cost: seeds x (alpha_max N steps) x N (K + M)."""


def add_parser(commands: argparse._SubParsersAction) -> None:
    online = commands.add_parser(
        "online",
        help="online SGD in committee machines: overlap ODEs and simulations",
        description="Integrate the overlap ODEs of online SGD for a soft committee machine with K "
        "student and M teacher hidden units (Saad & Solla 1995; Goldt et al. 2019) and print the "
        "generalisation error against alpha = steps / N; with --simulate, compare with numba SGD.",
    )
    online.add_argument(
        "--K", type=bounded_int(1, MAX_UNITS, why=UNITS_WHY), required=True, help="student hidden units [%(type)s]"
    )
    online.add_argument(
        "--M", type=bounded_int(1, MAX_UNITS, why=UNITS_WHY), required=True, help="teacher hidden units [%(type)s]"
    )
    online.add_argument(
        "--eta",
        type=bounded_float(0.0, MAX_ETA, low_open=True, why=ETA_WHY),
        required=True,
        help="first-layer learning rate [%(type)s]",
    )
    online.add_argument(
        "--alpha-max",
        type=bounded_float(0.0, MAX_ALPHA, low_open=True),
        default=1e3,
        metavar="A",
        help="last time alpha (default: %(default)g) [%(type)s]",
    )
    online.add_argument(
        "--points",
        type=bounded_int(1, MAX_POINTS),
        default=40,
        help="log-spaced times from alpha = 0.1 (default: 40) [%(type)s]",
    )
    online.add_argument(
        "--activation", default="scaled-erf", help="scaled-erf (default: erf(z / sqrt 2)), linear or relu"
    )
    online.add_argument(
        "--sigma", type=bounded_float(0.0, MAX_SIGMA), default=0.0, help="label-noise standard deviation [%(type)s]"
    )
    online.add_argument("--train-second-layer", action="store_true", help="also learn the second layer v")
    online.add_argument(
        "--eta-v",
        type=bounded_float(0.0, MAX_ETA, low_open=True, why=ETA_WHY),
        metavar="ETA",
        help="second-layer learning rate (default: eta) [%(type)s]",
    )
    online.add_argument(
        "--weight-decay",
        type=bounded_float(0.0, MAX_WEIGHT_DECAY, why=STIFF_WHY),
        default=0.0,
        help="first-layer weight decay [%(type)s]",
    )
    online.add_argument(
        "--init-scale",
        type=bounded_float(0.0, MAX_INIT_SCALE),
        default=1.0,
        help="std of the initial student weights (default: 1) [%(type)s]",
    )
    online.add_argument(
        "--seed",
        type=seed,
        default=0,
        help="seed of the initial weights (first seed with --simulate) [integer in [0, 2**63)]",
    )
    online.add_argument(
        "--simulate",
        type=bounded_int(1, MAX_DIMENSION),
        metavar="N",
        help="also simulate SGD at input dimension N [%(type)s]",
    )
    online.add_argument(
        "--seeds", type=bounded_int(1, MAX_SEEDS), default=5, help="simulation seeds (default: 5) [%(type)s]"
    )
    out = online.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--csv", type=output_file(), metavar="FILE", help="also write the table to FILE as CSV")
    online.add_argument("--plot", type=output_file(".png"), metavar="FILE", help="save a PNG of eps_g against alpha")
    online.set_defaults(run=run, parser=online)


def run(args: argparse.Namespace) -> int:
    parser = args.parser
    if args.eta_v is not None and not args.train_second_layer:
        parser.error("--eta-v needs --train-second-layer")
    if args.simulate is not None:
        work = args.seeds * args.alpha_max * args.simulate**2 * (args.K + args.M)
        if work > MAX_SIMULATION_WORK:
            parser.error(
                f"argument --simulate: N = {args.simulate} with --alpha-max {args.alpha_max:g} and --seeds {args.seeds} "
                f"would cost about {work:.1e} multiply-adds (seeds x alpha_max N steps x N (K + M)), more than "
                f"{MAX_SIMULATION_WORK:.0e}; lower --simulate, --alpha-max or --seeds"
            )

    import warnings

    import numpy as np

    from statlearn.online import DivergenceWarning
    from statlearn.online.ode import integrate
    from statlearn.online.trajectory import Trajectory

    t = np.concatenate([[0.0], np.geomspace(0.1, args.alpha_max, args.points)])
    setup = {
        "activation": args.activation,
        "train_second_layer": args.train_second_layer,
        "eta_v": args.eta_v,
        "sigma": args.sigma,
        "weight_decay": args.weight_decay,
    }
    diverged = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DivergenceWarning)  # reported below, once per run
            runs: list[tuple[Trajectory, Trajectory | None]]  # (ODE, simulation or None)
            if args.simulate is None:
                runs = [
                    (integrate(args.K, args.M, args.eta, t, seed=args.seed, init_scale=args.init_scale, **setup), None)
                ]
            else:
                from statlearn.online.simulate import online_sgd_seeds

                sims = online_sgd_seeds(
                    args.K,
                    args.M,
                    args.eta,
                    args.simulate,
                    t,
                    seeds=range(args.seed, args.seed + args.seeds),
                    init_scale=args.init_scale,
                    progress=not args.json,
                    **setup,
                )
                runs = [(integrate(args.K, args.M, args.eta, t, init=sim.overlaps(0), **setup), sim) for sim in sims]
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    for ode, sim in runs:
        for what, run in (("ODE", ode), ("simulation", sim)):
            if run is not None and run.diverged:
                diverged.append(
                    f"{what} (seed {run.seed}) at alpha = {run.t_diverged:.4g}"
                    if run.seed is not None
                    else f"{what} at alpha = {run.t_diverged:.4g}"
                )

    n = min(min(ode.t.size, t.size if sim is None else sim.t.size) for ode, sim in runs)
    columns = {
        "alpha": t[:n],
        "generalization_error": np.mean([ode.generalization_error[:n] for ode, _ in runs], axis=0),
    }
    if args.simulate is not None:
        sim_eps = np.array([sim.generalization_error[:n] for _, sim in runs if sim is not None])
        disc = sim_eps - np.array([ode.generalization_error[:n] for ode, _ in runs])
        columns |= {
            "generalization_error_sim": sim_eps.mean(axis=0),
            "generalization_error_sim_se": _stderr(sim_eps),
            "discrepancy": disc.mean(axis=0),
            "discrepancy_se": _stderr(disc),
        }
    if args.simulate is None:
        ode = runs[0][0]
        for k in range(args.K):
            for m in range(args.M):
                columns[f"R_{k}{m}"] = ode.R[:n, k, m]
            for l in range(k, args.K):
                columns[f"Q_{k}{l}"] = ode.Q[:n, k, l]
            if args.train_second_layer:
                columns[f"v_{k}"] = ode.v[:n, k]

    if args.json:
        print(
            json.dumps(
                {
                    "K": args.K,
                    "M": args.M,
                    "eta": args.eta,
                    **setup,
                    "N": args.simulate,
                    "diverged": diverged,
                    "columns": {k: [json_value(x) for x in v] for k, v in columns.items()},
                }
            )
        )
    else:
        shown = [
            k
            for k in (
                "alpha",
                "generalization_error",
                "generalization_error_sim",
                "generalization_error_sim_se",
                "discrepancy",
                "discrepancy_se",
            )
            if k in columns
        ]
        print(
            f"# online SGD: K = {args.K}, M = {args.M}, eta = {args.eta:g}, {args.activation}, sigma = {args.sigma:g}"
            + (f", N = {args.simulate}, {args.seeds} seeds" if args.simulate else " (ODE)")
        )
        print_table({k: columns[k] for k in shown})
    write_outputs(args, columns, _plot)
    if diverged:
        print(
            "statlearn online: the weights blew up (learning rate above the stability limit): " + "; ".join(diverged),
            file=sys.stderr,
        )
        return 1
    return 0


def _stderr(samples):
    """Standard error over the first axis (NaN with a single sample)."""
    import numpy as np

    if samples.shape[0] < 2:
        return np.full(samples.shape[1:], np.nan)
    return samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])


def _plot(args: argparse.Namespace, columns: dict) -> None:
    from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line

    keep = columns["alpha"] > 0
    with lecture_style():
        fig, ax = figure(1, 1)
        theory_line(ax, columns["alpha"][keep], columns["generalization_error"][keep], label="ODE", color="k")
        if "generalization_error_sim" in columns:
            simulation_points(
                ax,
                columns["alpha"][keep],
                columns["generalization_error_sim"][keep],
                columns["generalization_error_sim_se"][keep],
                label=f"SGD, N = {args.simulate} ({args.seeds} seeds)",
                color=COLORS[0],
            )
        ax.set(
            xscale="log",
            yscale="log",
            xlabel=r"$\alpha$ = steps / N",
            ylabel=r"$\epsilon_g$",
            title=f"K = {args.K}, M = {args.M}, $\\eta$ = {args.eta:g}, {args.activation}",
        )
        ax.legend()
        save_figure(fig, args.plot)
