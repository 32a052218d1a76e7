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
from pathlib import Path

from statlearn.cli import _nonnegative_float, _positive_float, _positive_int, write_outputs

__all__ = ["add_parser"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    online = commands.add_parser(
        "online",
        help="online SGD in committee machines: overlap ODEs and simulations",
        description="Integrate the overlap ODEs of online SGD for a soft committee machine with K "
        "student and M teacher hidden units (Saad & Solla 1995; Goldt et al. 2019) and print the "
        "generalisation error against alpha = steps / N; with --simulate, compare with numba SGD.",
    )
    online.add_argument("--K", type=_positive_int, required=True, help="student hidden units")
    online.add_argument("--M", type=_positive_int, required=True, help="teacher hidden units")
    online.add_argument("--eta", type=_positive_float, required=True, help="first-layer learning rate")
    online.add_argument(
        "--alpha-max", type=_positive_float, default=1e3, metavar="A", help="last time alpha (default: %(default)g)"
    )
    online.add_argument(
        "--points", type=_positive_int, default=40, help="log-spaced times from alpha = 0.1 (default: 40)"
    )
    online.add_argument(
        "--activation", default="scaled-erf", help="scaled-erf (default: erf(z / sqrt 2)), linear or relu"
    )
    online.add_argument("--sigma", type=_nonnegative_float, default=0.0, help="label-noise standard deviation")
    online.add_argument("--train-second-layer", action="store_true", help="also learn the second layer v")
    online.add_argument(
        "--eta-v", type=_positive_float, metavar="ETA", help="second-layer learning rate (default: eta)"
    )
    online.add_argument("--weight-decay", type=_nonnegative_float, default=0.0, help="first-layer weight decay")
    online.add_argument(
        "--init-scale", type=_nonnegative_float, default=1.0, help="std of the initial student weights (default: 1)"
    )
    online.add_argument("--seed", type=int, default=0, help="seed of the initial weights (first seed with --simulate)")
    online.add_argument("--simulate", type=_positive_int, metavar="N", help="also simulate SGD at input dimension N")
    online.add_argument("--seeds", type=_positive_int, default=5, help="simulation seeds (default: 5)")
    out = online.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--csv", type=Path, metavar="FILE", help="also write the table to FILE as CSV")
    online.add_argument("--plot", type=Path, metavar="FILE", help="save a PNG of eps_g against alpha")
    online.set_defaults(run=_online, parser=online)


def _online(args: argparse.Namespace) -> int:
    parser = args.parser
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        parser.error(f"argument --plot: the file must end in .png, got {str(args.plot)!r}")
    if args.eta_v is not None and not args.train_second_layer:
        parser.error("--eta-v needs --train-second-layer")

    import warnings

    import numpy as np

    from statlearn.online import DivergenceWarning
    from statlearn.online.ode import integrate

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
    columns = {"alpha": t[:n], "eps_g": np.mean([ode.generalization_error[:n] for ode, _ in runs], axis=0)}
    if args.simulate is not None:
        sim_eps = np.array([sim.generalization_error[:n] for _, sim in runs])
        disc = sim_eps - np.array([ode.generalization_error[:n] for ode, _ in runs])
        columns |= {
            "eps_g_sim": sim_eps.mean(axis=0),
            "eps_g_sim_se": _stderr(sim_eps),
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
                    "columns": {k: [None if not np.isfinite(x) else float(x) for x in v] for k, v in columns.items()},
                }
            )
        )
    else:
        shown = [
            k for k in ("alpha", "eps_g", "eps_g_sim", "eps_g_sim_se", "discrepancy", "discrepancy_se") if k in columns
        ]
        print(
            f"# online SGD: K = {args.K}, M = {args.M}, eta = {args.eta:g}, {args.activation}, sigma = {args.sigma:g}"
            + (f", N = {args.simulate}, {args.seeds} seeds" if args.simulate else " (ODE)")
        )
        print("  ".join(f"{k:>14}" for k in shown))
        for row in zip(*(columns[k] for k in shown)):
            print("  ".join(f"{x:>14.6g}" for x in row))
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
        theory_line(ax, columns["alpha"][keep], columns["eps_g"][keep], label="ODE", color="k")
        if "eps_g_sim" in columns:
            simulation_points(
                ax,
                columns["alpha"][keep],
                columns["eps_g_sim"][keep],
                columns["eps_g_sim_se"][keep],
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
