"""Speed of the 2-D Ising sampler (:func:`wirg.fields.ising`): Wolff cluster updates and Metropolis sweeps per second.

At beta_c (default) and L = 64 and 256, each round times two runs of the public sampler with the same seed
and thermalisation, differing only in the number of stored configurations (``thin = 1``); the difference
of the best (shortest) times of the long and the short runs over the rounds, divided by the difference of
their production steps, is the cost of one production step without the thermalisation. Metropolis-only chains (``cluster=False``) give the seconds per sweep;
Metropolis + Wolff chains the seconds per step, whose excess over a sweep is the time of its
``clusters_per_step`` Wolff clusters, hence Wolff clusters per second and spins flipped by clusters per
second. A step also measures E and m (one pass over the lattice), charged to the sweep. Rounds are
interleaved (sweep, cluster, sweep, cluster, ...); the machine is shared, so the same from the median
times follows on the next line; with the ratios
cluster-step / sweep time and the cost of an effectively independent sample of |m|
(seconds per step x 2 tau_|m|) with clusters.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_ising.py [--sizes 64 256] [--beta 0.4406868] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np

from wirg.fields import ising
from wirg.ising_exact import BETA_C
from wirg.lattice_ising import IsingSamples
from wirg.statistics import AutocorrelationWarning

# production steps per timed run and thermalisation, per L: (small, large, thermalization); the
# thermalisation brings the cluster sizes near equilibrium before the timed steps
STEPS = {
    16: (200, 4200, 1000),
    32: (200, 2200, 1000),
    64: (100, 1100, 1000),
    128: (50, 350, 600),
    256: (20, 220, 400),
    512: (5, 30, 200),
}


def run_times(L: int, beta: float, cluster: bool, seed: int) -> tuple[float, float, IsingSamples]:
    """Seconds of the short and the long run (same seed and thermalisation), and the long run's samples."""
    small, large, thermalization = STEPS[L]
    times = []
    for n in (small, large):
        begin = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AutocorrelationWarning)
            result = ising(L, beta, n, seed=seed, thermalization=thermalization, thin=1, cluster=cluster)
        times.append(time.perf_counter() - begin)
    return times[0], times[1], result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256], choices=sorted(STEPS))
    parser.add_argument("--beta", type=float, default=BETA_C)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    ising(8, args.beta, 10, seed=0)  # compile (or load the cache) outside the timings
    ising(8, args.beta, 10, seed=0, cluster=False)
    print(f"# 2-D Ising at beta = {args.beta:.7g}; best of {args.rounds} interleaved rounds")
    header = (
        f"{'L':>5} {'sweep ms':>9} {'sweeps/s':>9} {'step ms':>9} {'clusters/step':>13} {'<C>':>8} "
        f"{'clusters/s':>11} {'flips/s (Wolff)':>15} {'step/sweep':>10} {'tau_|m|':>8} {'ms/indep.':>9}"
    )
    print(header)
    for L in args.sizes:
        small, large, _ = STEPS[L]
        local: list[tuple[float, float]] = []
        cluster: list[tuple[float, float]] = []
        sizes, taus = [], []
        for r in range(args.rounds):
            t_small, t_large, _ = run_times(L, args.beta, False, args.seed + r)
            local.append((t_small, t_large))
            t_small, t_large, last = run_times(L, args.beta, True, args.seed + r)
            cluster.append((t_small, t_large))
            sizes.append(last.mean_cluster_size)
            taus.append(last.tau_abs_m.tau)

        def per_step(times: list[tuple[float, float]], pick: Callable[[list[float]], float]) -> float:
            """(pick of the long runs - pick of the short runs) / the difference of their steps."""
            return (pick([t[1] for t in times]) - pick([t[0] for t in times])) / (large - small)

        sweep_t, step_t = per_step(local, min), per_step(cluster, min)
        cluster_t = max(step_t - sweep_t, 1e-12) / last.clusters_per_step
        median_sweep, median_step = per_step(local, np.median), per_step(cluster, np.median)
        size = float(np.mean(sizes))  # mean over the pilot and the production
        tau = float(np.mean(taus))
        print(
            f"{L:>5} {1e3 * sweep_t:>9.3f} {1 / sweep_t:>9.0f} {1e3 * step_t:>9.3f} {last.clusters_per_step:>13d} "
            f"{size:>8.0f} {1 / cluster_t:>11.0f} {size / cluster_t:>15.3g} {step_t / sweep_t:>10.2f} "
            f"{tau:>8.2f} {1e3 * step_t * 2 * tau:>9.2f}"
        )
        print(
            f"#   L = {L}: sweep {1e9 * sweep_t / L**2:.1f} ns/site; Wolff {1e9 * cluster_t / size:.1f} ns per "
            f"flipped spin; from the median run times instead of the best: sweep {1e3 * median_sweep:.3f} ms, "
            f"step {1e3 * median_step:.3f} ms"
        )


if __name__ == "__main__":
    main()
