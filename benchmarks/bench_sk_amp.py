"""Cost of one step of Bolthausen's AMP on an SK instance against two matrix-vector products.

A step of :func:`statlearn.amp.sk_amp` needs one product ``J @ m`` with the symmetric couplings (GAMP on a
rectangular matrix needs two, ``F @ a`` and ``F.T @ g``); the rest (tanh, the Onsager term, the
overlaps and the increment recorded at every step) is O(N). The script times, in one process and
interleaved over ``--rounds`` rounds (best of them kept), runs of 2 and ``--steps`` + 2 AMP steps and
``--steps`` pairs of bare products ``J @ m``, and prints the absolute milliseconds per step and per pair, their ratio (expected
about 0.5 at large N: one product per step; more at small N where the O(N) work shows), and the
one-off cost of a call (checking that ``J`` is finite and symmetric, and one step).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_sk_amp.py [--sizes 1000 2000 4000 --steps 20 --rounds 5]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from statlearn.amp import sk_amp, sk_couplings
from statlearn.numerics import ConvergenceWarning


def time_run(J: np.ndarray, n_iter: int) -> float:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk_amp(J, 1.0, 0.5, n_iter=n_iter)
    return time.perf_counter() - start


def time_products(J: np.ndarray, steps: int) -> float:
    m = np.tanh(np.linspace(-1.0, 1.0, J.shape[0]))
    start = time.perf_counter()
    for _ in range(steps):
        u = J @ m
        m = np.tanh(J @ u * 1e-3)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 4000])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{'N':>6} {'AMP step (ms)':>14} {'2 mat-vecs (ms)':>16} {'ratio':>7} {'call overhead (ms)':>19}")
    for N in args.sizes:
        J = sk_couplings(N, 0)
        short, long, pair = [], [], []
        for _ in range(args.rounds):
            short.append(time_run(J, 2))
            long.append(time_run(J, args.steps + 2))
            pair.append(time_products(J, args.steps))
        # best of the rounds for each candidate (load on the machine only adds time); a step is the
        # difference of the long and the 2-step run over the extra steps; the 2-step run is the
        # one-off cost of a call (the checks of J and one step)
        c = min(short)
        a, p = (min(long) - c) / args.steps, min(pair)
        print(f"{N:>6} {1e3 * a:>14.3f} {1e3 * p:>16.3f} {a / p:>7.3f} {1e3 * c:>19.1f}")


if __name__ == "__main__":
    main()
