"""Mixing of the phi^4 samplers at beta_c against L: integrated autocorrelation times and cost per independent sample.

For local checkerboard Metropolis, Metropolis + Swendsen-Wang (Brower-Tamayo embedded Ising clusters) and
whole-field MALA (:func:`wirg.lattice_phi4.phi4_mixing`) at beta = 0.68 and L = 16 ... 128, prints per point
the integrated autocorrelation times of |m| and of the energy per site (in steps: sweeps or MALA steps),
the sampler's seconds per step, and the cost of an effectively independent sample,
seconds/step x 2 max(tau); then the exponents tau ~ L^z (log-log fit over the reliable points) and the
ratios of the costs to the cluster sampler's at the same L. A point whose series of |m| or of the energy is
shorter than 50 tau is marked "*": its taus are lower bounds (an unresolved slow mode biases both) and it is
left out of the fits.

The three samplers are the reference implementations of the issue's comparison ("Conditioning and mixing
against L"); the WIRG conditional samplers are compared with them in the wirg-phi4 reproduction.

Whole-field MALA has tau_|m| ~ 3e3 steps at L = 16 and >~ 2e4 at L = 32: the default plan resolves it at
L = 16 only (800k steps at L = 32 are ~45 tau) and gives lower bounds at 32, 64 and 128; the whole plan
takes about 30 minutes on one loaded core (Metropolis at L = 128 is most of it).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_wirg_samplers.py [--quick] [--beta 0.68] [--samplers mala]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from wirg.lattice_phi4 import phi4_mixing
from wirg.statistics import AutocorrelationWarning

# recorded steps per chain and chains, per sampler and L: about 50-100 tau where affordable
FULL = {
    "metropolis": {16: (40_000, 2), 32: (100_000, 2), 64: (300_000, 1), 128: (600_000, 1)},
    "cluster": {16: (20_000, 2), 32: (20_000, 2), 64: (20_000, 1), 128: (10_000, 1)},
    "mala": {16: (300_000, 4), 32: (800_000, 4), 64: (400_000, 2), 128: (100_000, 1)},
}
QUICK = {
    "metropolis": {16: (20_000, 2), 32: (50_000, 1), 64: (100_000, 1)},
    "cluster": {16: (5_000, 2), 32: (5_000, 1), 64: (5_000, 1)},
    "mala": {16: (50_000, 2), 32: (100_000, 2)},
}


def fit_exponent(points: list[tuple[int, float]]) -> float:
    if len(points) < 2:
        return float("nan")
    L, tau = np.array(points, dtype=float).T
    return float(np.polyfit(np.log(L), np.log(tau), 1)[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="L = 16 ... 64 with shorter series")
    parser.add_argument("--beta", type=float, default=0.68)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samplers", nargs="+", choices=list(FULL), default=list(FULL), help="subset to run")
    args = parser.parse_args(argv)
    plan = {s: sizes for s, sizes in (QUICK if args.quick else FULL).items() if s in args.samplers}
    for sampler in plan:  # compile the numba kernels outside the timings
        phi4_mixing(4, args.beta, 100, sampler=sampler, seed=0, thermalization=100)
    print(f"phi^4 at beta = {args.beta}: tau in steps (sweeps or MALA steps); * = series < 50 tau (lower bound)")
    print(
        f"{'sampler':>10} {'L':>4} {'chains':>6} {'steps':>8} {'accept':>6} {'step':>7} {'tau_|m|':>14} "
        f"{'tau_E':>14} {'us/step':>9} {'ms/indep':>10} {'wall s':>7}"
    )
    results = {}
    for sampler, sizes in plan.items():
        for L, (n_steps, n_chains) in sizes.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AutocorrelationWarning)
                r = phi4_mixing(L, args.beta, n_steps, sampler=sampler, seed=args.seed, n_chains=n_chains)
            wall = time.perf_counter() - start
            results[sampler, L] = r
            flag = " " if r.reliable else "*"
            print(
                f"{sampler:>10} {L:>4} {n_chains:>6} {n_steps:>8} {r.acceptance:>6.3f} {r.step:>7.3f} "
                f"{r.tau_abs_m:>8.1f}+-{r.tau_abs_m_error:<5.1f}{r.tau_energy:>8.1f}+-{r.tau_energy_error:<5.1f}"
                f"{1e6 * r.seconds_per_step:>9.2f} {1e3 * r.cost_per_sample:>10.3f}{flag}{wall:>7.1f}",
                flush=True,
            )
    print("\nexponents tau ~ L^z (reliable points only: both series >= 50 tau):")
    for sampler in plan:
        for name in ("tau_abs_m", "tau_energy"):
            points = [(L, getattr(r, name)) for (s, L), r in results.items() if s == sampler and r.reliable]
            print(f"  {sampler:>10} {name:>10}: z = {fit_exponent(points):.2f} over L = {[L for L, _ in points]}")
        points = [(L, r.cost_per_sample) for (s, L), r in results.items() if s == sampler and r.reliable]
        print(f"  {sampler:>10} cost per independent sample ~ L^{fit_exponent(points):.2f}")
    print("\ncost per independent sample, ratio to Metropolis + Swendsen-Wang at the same L (* lower bound):")
    for L in sorted({L for (_, L) in results}):
        if ("cluster", L) not in results:
            continue  # the ratios need the cluster sampler in the same run
        base = results["cluster", L].cost_per_sample
        cells = []
        for sampler in ("metropolis", "mala"):
            if (sampler, L) in results:
                r = results[sampler, L]
                cells.append(f"{sampler} {r.cost_per_sample / base:9.1f}{'' if r.reliable else '*'}")
        print(f"  L = {L:>4}: " + "   ".join(cells))


if __name__ == "__main__":
    main()
