"""``statlearn pca-rg --data FILE.npy --fractions 0.01,0.1,1 [--blocks 16] [--control] [--seed S] [--csv FILE]
[--json]``: PCA as momentum-shell RG (Bradde & Bialek 2017) on data on disk.

``FILE.npy`` holds (n_samples, N) observations or (n_samples, L, L) lattice fields (flattened to N = L^2
units). For every kept fraction K/N the command prints the median, 16% and 84% quantiles over units of the
normalised fourth moment of the coarse-grained variables, its jackknife error (``--blocks`` contiguous
blocks of samples, a progress bar of the eigendecompositions on stderr) and the same median for the mode
amplitudes (:func:`statlearn.rg.pca_flow`); with ``--control`` also the flow of Gaussian data of the same
size and empirical covariance (:func:`statlearn.rg.gaussian_control`, seeded by ``--seed``): the value the
data are to be compared with, 3 up to finite-sample effects.
"""

from __future__ import annotations

import argparse
import json
import sys

from statlearn.cli.common import bounded_int, json_value, number, output_file, print_table, seed, write_outputs

__all__ = ["MAX_BLOCKS", "MAX_FRACTIONS", "add_parser", "fractions", "run"]

MAX_BLOCKS = 1000
"""The most jackknife blocks: each costs one eigendecomposition of the N x N covariance."""
MAX_FRACTIONS = 1000
"""The most kept fractions: each costs a pass over the data per eigendecomposition."""


def fractions(text: str) -> tuple[float, ...]:
    """An argument type: a comma list of kept fractions K/N in (0, 1]."""
    items = text.split(",")
    if any(not item.strip() for item in items):
        raise argparse.ArgumentTypeError(f"empty entry in the list {text!r}")
    values = tuple(number(item) for item in items)
    outside = [v for v in values if not 0.0 < v <= 1.0]
    if outside:
        raise argparse.ArgumentTypeError(f"a kept fraction K/N must be in (0, 1], got {outside[0]:g}")
    if len(values) > MAX_FRACTIONS:
        raise argparse.ArgumentTypeError(f"at most {MAX_FRACTIONS} fractions, got {len(values)}")
    return values


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "pca-rg",
        help="PCA as momentum-shell RG: fourth-moment flow of data on disk",
        description="Coarse-grain the data by keeping the top K principal components and print the normalised "
        "fourth moment <x^4>/<x^2>^2 of the coarse variables (median and 16-84%% over units, jackknife error) "
        "against K/N (Bradde & Bialek 2017).",
    )
    parser.add_argument("--data", required=True, metavar="FILE.npy", help="(n_samples, N) or (n_samples, L, L) array")
    parser.add_argument("--fractions", type=fractions, required=True, help="kept fractions K/N in (0, 1], a comma list")
    parser.add_argument(
        "--blocks", type=bounded_int(2, MAX_BLOCKS), default=16, help="jackknife blocks of samples (default 16)"
    )
    parser.add_argument("--control", action="store_true", help="also the flow of the Gaussian control")
    parser.add_argument("--seed", type=seed, default=0, help="seed of the Gaussian control (default 0)")
    parser.add_argument("--csv", type=output_file(".csv"), metavar="FILE", help="write the table to a CSV file")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.set_defaults(run=run, parser=parser, plot=None)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from statlearn.rg import gaussian_control, pca_flow

    try:
        data = np.load(args.data, allow_pickle=False)
    except (OSError, ValueError) as exc:
        args.parser.error(f"argument --data: cannot read {args.data!r} as a .npy array: {exc}")
    progress = not args.json and sys.stderr.isatty()
    flow = pca_flow(data, args.fractions, n_blocks=args.blocks, progress=progress)
    columns = {
        "fraction": flow.fractions,
        "K": flow.K,
        "median": flow.median,
        "q16": flow.spread[:, 0],
        "q84": flow.spread[:, 1],
        "stderr": flow.stderr,
        "mode_median": flow.mode_median,
        "mode_stderr": flow.mode_stderr,
    }
    if args.control:
        control = pca_flow(
            gaussian_control(data, seed=args.seed), args.fractions, n_blocks=args.blocks, progress=progress
        )
        columns |= {"control": control.median, "control_stderr": control.stderr}
    write_outputs(args, columns, lambda *_: None)
    if args.json:
        summary = {"n_samples": flow.n_samples, "n_units": flow.n_units, "n_blocks": flow.n_blocks}
        print(
            json.dumps({**summary, **{k: [json_value(x) for x in np.asarray(v).tolist()] for k, v in columns.items()}})
        )
    else:
        print(f"# {flow.n_samples} samples of {flow.n_units} units; {flow.message}")
        print_table(columns, digits={"fraction": 4, "K": 8})
    return 0
