"""Committee-machine state evolution: time per map evaluation and per converged point.

Prints, for K = 1, 2 and 3 with the Gaussian and Rademacher priors, the median wall time of one evaluation of
the state-evolution map (channel averages + prior averages) on the non-specialised (q_perp = 0: one outer axis)
and the specialised ansatz, the time of a full solve (``bayes_optimal``) with its iteration count, and every
time as a ratio to the K = 1 Gaussian map (the K = 3 specialised Gaussian solve starts next to its fixed point at
alpha = 14). Interleaved rounds, median of ``rounds``.
Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_committee.py [rounds]`` (default 5).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from statlearn.replica import committee

CASES = [
    ("K=1 gaussian", 1, "gaussian", (0.5, 0.0), 1.5, "non-specialised"),
    ("K=2 gaussian, non-spec", 2, "gaussian", (0.5, 0.0), 1.5, "non-specialised"),
    ("K=2 gaussian, spec", 2, "gaussian", (0.7, 0.2), 3.0, "specialised"),
    ("K=2 rademacher, non-spec", 2, "rademacher", (0.5, 0.0), 1.5, "non-specialised"),
    ("K=2 rademacher, spec", 2, "rademacher", (0.7, 0.2), 1.8, np.array([[0.45, 0.25], [0.25, 0.45]])),
    ("K=3 gaussian, non-spec", 3, "gaussian", (0.5, 0.0), 1.5, "non-specialised"),
    ("K=3 gaussian, spec", 3, "gaussian", (0.95, 0.9), 14.0, committee.symmetric_overlap(3, 0.95, 0.9)),
    ("K=3 rademacher, non-spec", 3, "rademacher", (0.5, 0.0), 1.5, "non-specialised"),
    ("K=3 rademacher, spec", 3, "rademacher", (0.7, 0.2), 1.5, committee.symmetric_overlap(3, 0.7, 0.2)),
]


def main(rounds: int) -> None:
    maps: dict[str, list[float]] = {name: [] for name, *_ in CASES}
    solves: dict[str, list[float]] = {name: [] for name, *_ in CASES}
    iterations: dict[str, int] = {}
    for _ in range(rounds):
        for name, K, prior, x, alpha, init in CASES:
            F = committee._se_map(K, prior, alpha)
            start = time.perf_counter()
            F(np.array(x[: 1 if K == 1 else 2]))
            maps[name].append(time.perf_counter() - start)
            start = time.perf_counter()
            s = committee.bayes_optimal(K, alpha, prior=prior, init=init)
            solves[name].append(time.perf_counter() - start)
            iterations[name] = s.iterations
    base = float(np.median(maps[CASES[0][0]]))
    print(f"{'case':<28}{'map (ms)':>10}{'ratio':>8}{'solve (s)':>11}{'iters':>7}{'solve/map':>11}")
    for name, *_ in CASES:
        m, s = float(np.median(maps[name])), float(np.median(solves[name]))
        print(f"{name:<28}{1e3 * m:>10.2f}{m / base:>8.1f}{s:>11.3f}{iterations[name]:>7d}{s / m:>11.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
