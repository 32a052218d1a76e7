"""``statlearn wirg gaussian | fit | generate``: the exact WIRG of a lattice free field, and fitting and
sampling the WIRG model of fields on disk.

``statlearn wirg fit --data FILE.npy --out DIR [--levels J] [--wavelet db4] [--radius 2]
[--potential sigmoid:20+polynomial:4] [--block-quartic all|J1,J2..] [--modulation bump:8]
[--detail-scale all|J1,J2..] [--block-cubic all|J1,J2..] [--method score] [--coarse-method score|moments|copula] [--seed S] [--checkpoint DIR] [--free-energy]`` fits
:func:`wirg.model.fit_wirg` to the fields (S, L, L) of ``FILE.npy`` (a progress bar per scale; with
``--checkpoint`` a rerun resumes after the last completed scale; with ``--free-energy`` also the free energy
of every scale, :class:`wirg.model.FreeEnergySettings`, for the model's energy and microscopic energy) and
saves the model into ``DIR``.
``statlearn wirg generate --model DIR --n 100 --seed S --out FILE.npy`` samples fields from a saved
model, in batches of ``--batch`` fields (each batch seeded from ``--seed``) behind a progress bar.

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

from statlearn.cli.common import bounded_float, bounded_int, json_value, output_file, seed

__all__ = [
    "MAX_FISHER_WORK",
    "MAX_L",
    "MAX_SAMPLES",
    "add_parser",
    "fisher_work",
    "lattice_side",
    "run",
    "run_fit",
    "run_generate",
]

MAX_L = 256
"""The largest lattice side: the exact solution takes about 6 s at L = 256 and its memory grows as L^2."""
MAX_FISHER_WORK = 2e8
"""The most work :func:`fisher_work` allows: about 6 s at L = 256, radius 1 (1.0e8)."""
# The spectrum 1 / (beta khat^2 + mass^2) must stay well inside double precision: the solver loses the
# reality of the kernels at mass = 1e6 and divides by zero at beta = 1e-300.
MAX_MASS = 1e3
MIN_BETA = 1e-6
MAX_PARAMETER = 1e6
MAX_SAMPLES = 1_000_000
"""The most fields ``wirg generate`` writes in one call."""


def fisher_work(L: int, radius: int) -> float:
    """The work of the Fisher matrices: the direct one, (n^2 + 1)^2 / 4 L^2, plus the conditional ones,
    sum over the scales L_j = L/2, L/4, ... that the
    stencil fits (L_j > 2 radius + 1) of P^2 L_j^2, with P = 3 ((n^2 + 1) / 2) + 6 n^2 couplings per
    scale (n = 2 radius + 1 sites a side: three detail-detail pairs on half a stencil, three on a
    full one, three detail-coarse)."""
    n = 2 * radius + 1
    couplings = 3 * ((n * n + 1) // 2) + 6 * n * n
    sides = [L >> j for j in range(1, L.bit_length()) if (L >> j) > n]
    direct = ((n * n + 1) // 2) ** 2 * L**2  # the direct ansatz on the full lattice
    return float(direct + sum(couplings**2 * side**2 for side in sides))


def lattice_side(text: str) -> int:
    """An argument type: a power of two in [2, MAX_L]."""
    value = bounded_int(2, MAX_L, why="the exact solution's time and memory grow as L^2")(text)
    if value & (value - 1):
        raise argparse.ArgumentTypeError(f"must be a power of two, got {text!r}")
    return value


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
    gaussian.add_argument("--L", type=lattice_side, required=True, help=f"lattice side, a power of two in [2, {MAX_L}]")
    gaussian.add_argument(
        "--mass", type=bounded_float(0.0, MAX_MASS), default=0.0, help="mass (0: critical) [%(type)s]"
    )
    gaussian.add_argument(
        "--beta",
        type=bounded_float(MIN_BETA, MAX_PARAMETER),
        default=1.0,
        help="gradient coupling (default 1) [%(type)s]",
    )
    gaussian.add_argument(
        "--zero-mode",
        type=bounded_float(0.0, MAX_PARAMETER, low_open=True),
        default=1.0,
        help="variance of the zero mode when mass = 0 (default 1) [%(type)s]",
    )
    gaussian.add_argument("--wavelet", default="db4", help="db4 (default) or haar")
    gaussian.add_argument(
        "--radius",
        type=bounded_int(0, MAX_L),
        default=1,
        help="stencil radius of the Fisher ansatz (default 1); the stencil must fit, 2 radius + 1 < L",
    )
    out = gaussian.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    gaussian.add_argument(
        "--plot", type=output_file(".png"), metavar="FILE", help="save a PNG of the couplings and spectra"
    )
    gaussian.set_defaults(run=run, parser=gaussian)

    fit = sub.add_parser(
        "fit",
        help="fit the WIRG model to fields on disk, scale by scale",
        description="Fit the wavelet conditional RG model (per-scale conditional energies with a potential on the "
        "reconstructed field, and a model of the coarsest field) to the fields of a .npy file by score or moment "
        "matching, and save it (model.json + arrays.npz).",
    )
    fit.add_argument("--data", required=True, metavar="FILE.npy", help="fields of shape (S, L, L), L a power of two")
    fit.add_argument("--out", required=True, metavar="DIR", help="directory to save the model into")
    fit.add_argument(
        "--levels",
        type=bounded_int(1, 30),
        default=None,
        help="number of scales (default log2 L - 2: a 4 x 4 coarsest field)",
    )
    fit.add_argument("--wavelet", default="db4", help="db4 (default) or haar")
    fit.add_argument("--radius", type=bounded_int(0, 16), default=2, help="stencil radius of the couplings (default 2)")
    fit.add_argument(
        "--potential",
        default="sigmoid:20+polynomial:4",
        help="'+'-joined terms sigmoid:N, bump:N, polynomial:P1,P2, or 'none' for the Gaussian model "
        "(default sigmoid:20+polynomial:4)",
    )
    fit.add_argument(
        "--block-quartic",
        type=scale_list,
        default=False,
        metavar="SCALES",
        help="add the quartic invariants of a wavelet block to the conditionals of these scales: 'all' or a "
        "comma-separated list of j (1 the finest); default none",
    )
    fit.add_argument(
        "--modulation",
        default=None,
        metavar="SPEC",
        help="coarse-modulated detail stiffness at every scale, a basis of the coarse value such as bump:8 "
        "(the --potential syntax); default none",
    )
    fit.add_argument(
        "--detail-scale",
        type=scale_list,
        default=False,
        metavar="SCALES",
        help="write these scales' quadratic part in details rescaled by their local scale given the coarse value "
        "(fields whose fluctuations follow their level): 'all' or a comma-separated list of j; default none",
    )
    fit.add_argument(
        "--block-cubic",
        type=scale_list,
        default=False,
        metavar="SCALES",
        help="add the block cubic term (the skewness of a wavelet block given its mean) to the conditionals of these "
        "scales: 'all' or a comma-separated list of j; default none",
    )
    fit.add_argument("--method", default="score", help="score (default) or moments")
    fit.add_argument(
        "--coarse-method",
        default="score",
        help="how the coarsest field's model is fitted: score (default), moments (maximum likelihood with "
        "persistent MALA chains after score matching; then every moment matching takes 200 natural-gradient steps "
        "of rate 0.2 with 20 MALA steps each) or copula (a Gaussian copula of the coarse fields' marginal and "
        "spectrum instead of the potential model)",
    )
    fit.add_argument("--seed", type=seed, default=0, help="seed of the moment-matching chains (default 0)")
    fit.add_argument("--checkpoint", metavar="DIR", default=None, help="write each scale as it finishes; resume")
    fit.add_argument(
        "--free-energy",
        action="store_true",
        help="also fit the free energy of every scale (score identity; exact for a Gaussian model), saved with the "
        "model for its energy and microscopic energy; about 20 times the fit's own time",
    )
    fit.set_defaults(run=run_fit, parser=fit)
    gen = sub.add_parser(
        "generate",
        help="sample fields from a saved WIRG model",
        description="Sample fields coarse to fine from a model saved by 'statlearn wirg fit' and write them to a .npy file.",
    )
    gen.add_argument("--model", required=True, metavar="DIR", help="directory of a saved model")
    gen.add_argument("--n", type=bounded_int(1, MAX_SAMPLES), required=True, help="number of fields")
    gen.add_argument("--seed", type=seed, default=0, help="seed (default 0)")
    gen.add_argument("--batch", type=bounded_int(1, MAX_SAMPLES), default=100, help="fields per batch (default 100)")
    gen.add_argument("--out", type=output_file(".npy"), required=True, metavar="FILE.npy", help="output file")
    gen.set_defaults(run=run_generate, parser=gen)


def run(args: argparse.Namespace) -> int:
    parser = args.parser
    if 2 * args.radius + 1 >= args.L:
        parser.error(
            f"argument --radius: the stencil of radius {args.radius} ({2 * args.radius + 1} sites a side) must fit "
            f"in the lattice, L > 2 radius + 1, got L = {args.L}"
        )
    work = fisher_work(args.L, args.radius)
    if work > MAX_FISHER_WORK:
        parser.error(
            f"argument --radius: radius {args.radius} at L = {args.L} needs about {work:.1e} operations for the "
            f"Fisher matrices (P^2 L_j^2 summed over the scales), more than {MAX_FISHER_WORK:.0e}; lower --radius or --L"
        )
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
                    "scales": [{k: json_value(v) for k, v in row.items()} for row in rows],
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
            shown = f"{row['fisher']:.4g}" if np.isfinite(row["fisher"]) else "n/a"
            print(
                f"{row['j']:>3} {row['L_j']:>5} {row['conditional']:>11.4g} {shown:>13} "
                f"{row['range']:>6} {row['Kbar_00_on_site']:>13.5g} {row['max_abs_Kbar_prime']:>16.5g}"
            )
        missing = [row for row in rows if not np.isfinite(row["fisher"])]
        if missing:
            small = all(row["L_j"] <= 2 * args.radius + 1 for row in missing)
            reason = (
                f"the stencil of radius {args.radius} ({2 * args.radius + 1} sites a side) does not fit "
                f"in a lattice of side L_j <= {2 * args.radius + 1}, so the local ansatz is not defined there"
                if small
                else "the Fisher matrix is singular there"
            )
            print(f"# cond(Fisher) n/a at j = {', '.join(str(row['j']) for row in missing)}: {reason}")
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


# the library's parameter named in an error message, and the option that sets it
_OPTIONS = {
    "fields": "--data",
    "levels": "--levels",
    "wavelet": "--wavelet",
    "radius": "--radius",
    "potential": "--potential",
    "block_quartic": "--block-quartic",
    "modulation": "--modulation",
    "detail_scale": "--detail-scale",
    "block_cubic": "--block-cubic",
    "method": "--method",
    "coarse_method": "--coarse-method",
    "checkpoint": "--checkpoint",
    "seed": "--seed",
    "free_energy": "--free-energy",
}


def scale_list(text: str) -> bool | list[int]:
    """``--block-quartic``, ``--detail-scale``, ``--block-cubic``: 'all' (True) or comma-separated positive integers."""
    if text.strip().lower() == "all":
        return True
    try:
        scales = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'all' or comma-separated scales such as 2,3, got {text!r}"
        ) from None
    if not scales or min(scales) < 1:
        raise argparse.ArgumentTypeError(f"scales count from 1 (the finest), got {text!r}")
    return scales


def _option_of(message: str) -> str:
    """The option of the parameter an error message starts with (else the first one it names, else --data)."""
    for name, option in _OPTIONS.items():
        if message.startswith(name):
            return option
    for name, option in _OPTIONS.items():
        if f" {name}" in message:
            return option
    return "--data"


def run_fit(args: argparse.Namespace) -> int:
    parser = args.parser
    import numpy as np

    from wirg.model import FreeEnergySettings, MomentSettings, fit_wirg

    try:
        fields = np.load(args.data, allow_pickle=False)
    except (OSError, ValueError) as exc:
        parser.error(f"argument --data: cannot read {args.data!r} as a .npy array: {exc}")
    potential = None if args.potential.strip().lower() == "none" else args.potential
    try:
        model = fit_wirg(
            fields,
            levels=args.levels,
            wavelet=args.wavelet,
            radius=args.radius,
            potential=potential,
            block_quartic=args.block_quartic,
            modulation=args.modulation,
            detail_scale=args.detail_scale,
            block_cubic=args.block_cubic,
            method=args.method,
            coarse_method=args.coarse_method,
            moments=MomentSettings(lr_factor=0.2, mcmc_steps=20, natural=True)
            if args.coarse_method == "moments"
            else None,
            seed=args.seed,
            checkpoint=args.checkpoint,
            progress=True,
            free_energy=FreeEnergySettings() if args.free_energy else None,
        )
    except (ValueError, TypeError) as exc:
        parser.error(f"argument {_option_of(str(exc))}: {exc}")
    try:
        model.save(args.out)
    except OSError as exc:
        parser.error(f"argument --out: cannot write the model into {args.out!r}: {exc.strerror or exc}")
    print(f"# WIRG model of {fields.shape[0]} fields of side {model.L}, {model.levels} scales, saved to {args.out}")
    print(f"{'j':>3} {'L_j':>5} {'cond(H)':>10} {'normalised':>11} {'seconds':>8}  method")
    for row in model.diagnostics:
        if "condition_raw" in row:
            print(
                f"{row['j']:>3} {row['L_j']:>5} {row['condition_raw']:>10.3g} {row['condition_normalised']:>11.3g} "
                f"{row['seconds']:>8.2f}  {row['method']}"
            )
    if model.free_energies is not None:
        methods = ", ".join(f"{j}: {fit.method}" for j, fit in enumerate(model.free_energies, start=1))
        print(
            f"# free energies per scale ({methods}); nearest-neighbour coupling {model.microscopic_energy().coupling(1, 0):.4g}"
        )
    return 0


def run_generate(args: argparse.Namespace) -> int:
    parser = args.parser
    import numpy as np
    from tqdm import tqdm

    from statlearn.numerics.seeding import as_generator
    from wirg.model import WIRGModel

    try:
        model = WIRGModel.load(args.model)
    except ValueError as exc:
        parser.error(f"argument --model: {exc}")
    sizes = [min(args.batch, args.n - start) for start in range(0, args.n, args.batch)]
    seeds = as_generator(args.seed).integers(2**63, size=len(sizes))
    batches = []
    with tqdm(total=args.n, unit="field", desc="generate") as bar:
        for size, batch_seed in zip(sizes, seeds):
            try:
                batches.append(model.generate(size, seed=int(batch_seed)))
            except ValueError as exc:
                parser.error(f"argument --model: {exc}")
            bar.update(size)
    try:
        np.save(args.out, np.concatenate(batches))
    except OSError as exc:
        parser.error(f"argument --out: cannot write {str(args.out)!r}: {exc.strerror or exc}")
    print(f"# {args.n} fields of side {model.L} written to {args.out}")
    return 0
