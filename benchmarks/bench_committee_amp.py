"""Cost of one committee-AMP iteration against the two matrix products it needs.

One iteration of :func:`statlearn.amp.committee_amp` (K = 2) needs ``F @ a`` (M x N times N x K) and
``F.T @ g`` (N x M times M x K); the rest is O((M + N) K^2): the output denoiser (Owen's T function for the
orthants of each of the M samples) and the prior denoiser. The script times, in one process, best of
``--rounds`` rounds: the two bare products; one iteration, as (time of ``max_iter = 1 + --iters`` minus time of
``max_iter = 1``) / ``--iters`` (no teacher: no overlap bookkeeping); and the two denoisers alone.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_committee_amp.py [--N 2000 --alpha 2 --prior gaussian]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from statlearn.amp import committee_amp
from statlearn.models.committee import committee_denoise, committee_output, committee_teacher
from statlearn.numerics import ConvergenceWarning


def best(func, rounds: int) -> float:
    """Seconds of the fastest of ``rounds`` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=2000)
    parser.add_argument("--alpha", type=float, default=2.0)
    parser.add_argument("--prior", default="gaussian")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iters", type=int, default=10)
    args = parser.parse_args(argv)
    data = committee_teacher(2, args.N, args.alpha, prior=args.prior, seed=0)
    F, y = data.F, data.y
    M, N = F.shape
    rng = np.random.default_rng(1)
    a, g = rng.standard_normal((N, 2)), rng.standard_normal((M, 2))
    omega = rng.standard_normal((M, 2))
    V = np.array([[0.5, 0.1], [0.1, 0.4]])
    A = np.array([[1.5, 0.3], [0.3, 1.2]])

    def run(iterations: int) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            committee_amp(F, y, 2, prior=args.prior, max_iter=iterations, tol=1e-300, init="random", seed=3)

    products = best(lambda: (F @ a, F.T @ g), args.rounds)
    one = best(lambda: run(1), args.rounds)
    many = best(lambda: run(1 + args.iters), args.rounds)
    iteration = (many - one) / args.iters
    output = best(lambda: committee_output(y, omega, V), args.rounds)
    prior = best(lambda: committee_denoise(args.prior, a, A), args.rounds)
    print(f"N = {N}, M = {M}, K = 2, prior = {args.prior}, best of {args.rounds} rounds")
    print(f"  two products F @ a, F.T @ g   {1e3 * products:8.2f} ms")
    print(f"  one AMP iteration             {1e3 * iteration:8.2f} ms")
    print(f"    output denoiser (M rows)    {1e3 * output:8.2f} ms")
    print(f"    prior denoiser (N rows)     {1e3 * prior:8.2f} ms")
    print(f"  ratio iteration / products    {iteration / products:8.2f}")


if __name__ == "__main__":
    main()
