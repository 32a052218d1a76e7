"""``statlearn ising``: sample the periodic 2-D Ising model and save the spins with a JSON sidecar.

``statlearn ising --L L (--beta B | --T T) --n N --seed S --out FILE.npy [--thermalization K] [--thin K]
[--metropolis] [--json]`` runs :func:`wirg.fields.ising` (Metropolis + Wolff clusters; ``--metropolis``: local
sweeps only) behind a progress bar, writes the (N, L, L) int8 spins with :func:`wirg.datasets.save_dataset`
(``FILE.npy`` and ``FILE.json``), and prints the measured energy per site and :math:`\\langle|m|\\rangle` next to
the exact values: Kaufman's energy of the finite torus, Onsager's of the infinite lattice, Yang's spontaneous
magnetisation (:mod:`wirg.ising_exact`), with the autocorrelation times and the thinning.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from statlearn.cli.common import bounded_float, bounded_int, json_value, output_file, seed

__all__ = ["MAX_L", "MAX_SAMPLES", "add_parser", "run"]

MAX_L = 4096
"""The largest lattice side (Kaufman's exact energy is computed up to it)."""
MAX_SAMPLES = 10_000_000
"""The most configurations in one call (the library also refuses more than 2 GiB of spins)."""
MAX_BETA = 1e3
MAX_T = 1e6


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "ising",
        help="sample the 2-D Ising model (Metropolis + Wolff) against its exact results",
        description="Sample the periodic 2-D Ising model (J = 1, weight exp(-beta E)) by Metropolis sweeps and Wolff "
        "clusters, save the spins as .npy with a JSON sidecar, and print the energy and |m| against Kaufman, "
        "Onsager and Yang.",
    )
    parser.add_argument("--L", type=bounded_int(2, MAX_L), required=True, help=f"lattice side in [2, {MAX_L}]")
    temperature = parser.add_mutually_exclusive_group(required=True)
    temperature.add_argument(
        "--beta", type=bounded_float(0.0, MAX_BETA, low_open=True), help="inverse temperature (critical 0.4407)"
    )
    temperature.add_argument("--T", type=bounded_float(1.0 / MAX_BETA, MAX_T), help="temperature (critical 2.2692)")
    parser.add_argument("--n", type=bounded_int(1, MAX_SAMPLES), required=True, help="number of configurations")
    parser.add_argument("--seed", type=seed, required=True, help="integer seed")
    parser.add_argument("--out", type=output_file(".npy"), required=True, metavar="FILE.npy", help="output file")
    parser.add_argument(
        "--thermalization", type=bounded_int(100, 10**9), default=None, help="steps before the first sample (1000)"
    )
    parser.add_argument(
        "--thin", type=bounded_int(1, 10**9), default=None, help="steps between samples (default from the measured tau)"
    )
    parser.add_argument("--metropolis", action="store_true", help="local Metropolis sweeps only (no Wolff clusters)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    parser = args.parser
    import numpy as np
    from tqdm import tqdm

    from wirg.datasets import save_dataset
    from wirg.fields import ising
    from wirg.ising_exact import kaufman_energy, onsager_energy, yang_magnetization

    beta = args.beta if args.beta is not None else 1.0 / args.T
    with tqdm(total=1, unit="step", desc="ising", disable=args.json or not sys.stderr.isatty()) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        samples = ising(
            args.L,
            beta,
            args.n,
            seed=args.seed,
            thermalization=args.thermalization,
            thin=args.thin,
            cluster=not args.metropolis,
            progress=progress,
        )
    try:
        path = save_dataset(args.out, samples)
    except OSError as exc:
        parser.error(f"argument --out: cannot write {str(args.out)!r}: {exc.strerror or exc}")
    e = samples.energies / args.L**2
    abs_m = np.abs(samples.magnetizations)
    blocks = min(20, args.n)

    def error(x: np.ndarray) -> float:
        if blocks < 2:
            return math.nan
        means = np.array([b.mean() for b in np.array_split(x, blocks)])
        return float(means.std(ddof=1) / math.sqrt(blocks))

    result = {
        "L": args.L,
        "beta": beta,
        "T": 1.0 / beta,
        "n_samples": args.n,
        "seed": args.seed,
        "out": str(path),
        "energy_per_site": float(e.mean()),
        "energy_per_site_stderr": error(e),
        "energy_kaufman": kaufman_energy(args.L, beta),
        "energy_onsager": float(onsager_energy(beta)),
        "abs_m": float(abs_m.mean()),
        "abs_m_stderr": error(abs_m),
        "m_yang": float(yang_magnetization(beta)),
        "tau_abs_m": samples.tau_abs_m.tau,
        "tau_energy": samples.tau_energy.tau,
        "thin": samples.thin,
        "thermalization": samples.thermalization,
        "clusters_per_step": samples.clusters_per_step,
        "converged": samples.converged,
    }
    if args.json:
        print(json.dumps({k: json_value(v) for k, v in result.items()}))
        return 0
    print(f"# {args.n} configurations of the {args.L} x {args.L} Ising model at beta = {beta:.6g} written to {path}")
    print(
        f"energy per site  {result['energy_per_site']:.6f} +- {result['energy_per_site_stderr']:.2g}   "
        f"exact (Kaufman, L = {args.L}) {result['energy_kaufman']:.6f}   Onsager (L = inf) {result['energy_onsager']:.6f}"
    )
    print(
        f"<|m|>            {result['abs_m']:.6f} +- {result['abs_m_stderr']:.2g}   Yang m0 (L = inf) {result['m_yang']:.6f}"
    )
    print(
        f"tau_|m| = {result['tau_abs_m']:.3g}, tau_E = {result['tau_energy']:.3g} steps; thin = {samples.thin}, "
        f"thermalisation = {samples.thermalization}, Wolff clusters per step = {samples.clusters_per_step}"
    )
    return 0
