"""``statlearn wirg gaussian``: the exact WIRG of a lattice free field, scale by scale.

``statlearn wirg gaussian --L 64 --mass 0 [--wavelet db4] [--radius 1] [--plot FILE] [--json]``
solves the Gaussian case exactly (:class:`wirg.gaussian.GaussianWIRG`) for the free field
S(k) = 1 / (beta khat^2 + mass^2) (the massless zero mode gets the variance ``--zero-mode``) and
prints, per scale, the condition number of the conditional precision, of the conditional
Fisher matrix, the range of the couplings and their largest entries, next to the condition
numbers of the full-field precision and of the direct Fisher matrix.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from statlearn.cli.common import nonnegative_float, positive_float, positive_int

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    wirg = commands.add_parser(
        "wirg",
        help="wavelet inverse renormalisation group (wirg)",
        description="The wavelet conditional renormalisation group (Marchand et al. 2023).",
    )
    sub = wirg.add_subparsers(dest="wirg_command", metavar="COMMAND", required=True)
    gaussian = sub.add_parser(
        "gaussian",
        help="exact per-scale couplings and condition numbers of a free field",
        description="Solve the Gaussian WIRG exactly for the lattice free field and print the per-scale condition "
        "numbers (conditional precision, conditional Fisher matrix) and couplings, against the full-field and "
        "direct-estimation condition numbers.",
    )
    gaussian.add_argument("--L", type=positive_int, required=True, help="lattice side (a power of two)")
    gaussian.add_argument("--mass", type=nonnegative_float, default=0.0, help="mass (0: critical)")
    gaussian.add_argument("--beta", type=positive_float, default=1.0, help="gradient coupling (default 1)")
    gaussian.add_argument(
        "--zero-mode", type=positive_float, default=1.0, help="variance of the zero mode when mass = 0 (default 1)"
    )
    gaussian.add_argument("--wavelet", default="db4", help="db4 (default) or haar")
    gaussian.add_argument("--radius", type=int, default=1, help="stencil radius of the Fisher ansatz (default 1)")
    out = gaussian.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    gaussian.add_argument("--plot", type=Path, metavar="FILE", help="save a PNG of the couplings and spectra")
    gaussian.set_defaults(run=run, parser=gaussian)


def run(args: argparse.Namespace) -> int:
    parser = args.parser
    if args.plot is not None and args.plot.suffix.lower() != ".png":
        parser.error(f"argument --plot: the file must end in .png, got {str(args.plot)!r}")
    if args.radius < 0:
        parser.error(f"argument --radius: must be >= 0, got {args.radius}")
    import numpy as np

    from wirg.fields import free_field_spectrum
    from wirg.gaussian import GaussianWIRG

    try:
        spectrum = free_field_spectrum(
            args.L, mass=args.mass, beta=args.beta, zero_mode=args.zero_mode if args.mass == 0 else None
        )
        solved = GaussianWIRG(spectrum, wavelet=args.wavelet)
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    cn = solved.condition_numbers(radius=args.radius)
    rows = []
    for scale, conditional, fisher in zip(solved.scales, cn.conditional, cn.fisher_conditional):
        hh, hl = scale.kernels()
        rows.append(
            {
                "j": scale.j,
                "L_j": scale.L,
                "conditional": conditional,
                "fisher": fisher,
                "range": scale.coupling_range(),
                "Kbar_00_on_site": float(hh[0, 0, 0, 0]),
                "max_abs_Kbar_prime": float(np.abs(hl).max()),
            }
        )
    if args.json:
        print(
            json.dumps(
                {
                    "L": args.L,
                    "mass": args.mass,
                    "beta": args.beta,
                    "wavelet": args.wavelet,
                    "full": cn.full,
                    "fisher_direct": cn.fisher_direct,
                    "radius": args.radius,
                    "scales": [
                        {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()}
                        for row in rows
                    ],
                }
            )
        )
    else:
        print(f"# Gaussian WIRG: free field L = {args.L}, mass = {args.mass:g}, beta = {args.beta:g}, {args.wavelet}")
        print(
            f"# full-field precision: condition number {cn.full:.4g}; direct local ansatz (radius {args.radius}): "
            f"Fisher condition number {cn.fisher_direct:.4g}"
        )
        print(
            f"{'j':>3} {'L_j':>5} {'cond(Q_hh)':>11} {'cond(Fisher)':>13} {'range':>6} {'Kbar[0,0](0)':>13} "
            f"{'max|Kbar_prime|':>16}"
        )
        for row in rows:
            print(
                f"{row['j']:>3} {row['L_j']:>5} {row['conditional']:>11.4g} {row['fisher']:>13.4g} "
                f"{row['range']:>6} {row['Kbar_00_on_site']:>13.5g} {row['max_abs_Kbar_prime']:>16.5g}"
            )
    if args.plot is not None:
        try:
            _plot(args, solved)
        except OSError as exc:
            parser.error(f"argument --plot: cannot write {str(args.plot)!r}: {exc.strerror or exc}")
    return 0


def _plot(args: argparse.Namespace, solved) -> None:
    import numpy as np

    from statlearn.plotting import COLORS, figure, lecture_style, save_figure

    with lecture_style():
        fig, (left, right) = figure(1, 2)
        for j, K in enumerate(solved.precisions[:-1]):
            k = 2 * np.pi * np.fft.fftfreq(K.shape[0])
            order = np.argsort(k)
            keep = k[order] > 0
            left.plot(k[order][keep], K[0, order][keep], color=COLORS[j % len(COLORS)], label=f"j = {j}")
        left.set(
            xscale="log",
            yscale="log",
            xlabel=r"$k_x$ ($k_y = 0$)",
            ylabel=r"$\hat K_j(k)$",
            title="marginal precision spectra",
        )
        left.legend(fontsize=8)
        for scale in solved.scales:
            hh, _ = scale.kernels()
            r = np.arange(min(scale.L // 2 + 1, 8))  # shifts up to half the periodic lattice
            right.plot(r, np.abs(hh[0, 0, 0, r]) + 1e-300, marker="o", label=f"j = {scale.j}")
        right.set(
            yscale="log",
            xlabel=r"shift $\Delta_x$",
            ylabel=r"$|\bar K_j[0,0](0, \Delta_x)|$",
            title="detail couplings decay",
        )
        right.legend(fontsize=8)
        save_figure(fig, args.plot)
