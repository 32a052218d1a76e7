"""Cost of one GAMP iteration against the two BLAS matrix-vector products it needs.

One iteration of :func:`statlearn.amp.gamp` at N = 4000, alpha = 2 (M = 8000) needs ``F @ a`` and
``F.T @ g``; everything else is O(M + N). The script times, in the same process, best of
``--rounds`` rounds of ``--block`` consecutive calls of each candidate. Blocks, as in the GAMP loop
where iterations follow each other: OpenBLAS threads keep spinning for a while (~0.1 s) after a
call, and a numba kernel started in that window competes with them for the cores. Rounds, so that a
burst of load on the machine hits all candidates alike. Candidates:

* the two bare products ``F @ a`` and ``F.T @ g`` (the baseline);
* one GAMP iteration (``_Iteration.step`` of :mod:`statlearn.amp.gamp`, the loop body of
  :func:`gamp`, without the O(N) bookkeeping of the per-iteration order parameters), in the
  scalar-variance mode and in the vector mode (fused numba kernels);
* for reference, the products of the vector mode done with BLAS on a stored ``F2 = F * F``;
* the scalar pieces of an iteration: ``channel.output`` and ``prior.denoise`` at these sizes.

Target: scalar-mode iteration / bare products <= 1.2 (issue 12; it was 1.5 in issue 3).

Run: ``python benchmarks/bench_gamp_iteration.py [--N 4000 --alpha 2 --prior rademacher --channel sign]``
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import statlearn.amp  # noqa: F401  (the package re-exports the function gamp over the module name)
from statlearn.models.data import teacher_student

gamp_module = sys.modules["statlearn.amp.gamp"]


def best_of_block(func, calls: int) -> float:
    """Seconds taken by the fastest of ``calls`` consecutive calls."""
    best = np.inf
    for _ in range(calls):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=4000)
    parser.add_argument("--alpha", type=float, default=2.0)
    parser.add_argument("--prior", default="rademacher")
    parser.add_argument("--channel", default="sign")
    parser.add_argument("--rho", type=float, default=None)
    parser.add_argument("--delta", type=float, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--block", type=int, default=15)
    args = parser.parse_args(argv)
    params = {key: val for key, val in (("rho", args.rho), ("delta", args.delta)) if val is not None}
    data = teacher_student(args.prior, args.channel, args.N, args.alpha, seed=0, **params)
    F, y, M, N = data.F, data.y, data.M, data.N
    rng = np.random.default_rng(1)
    a, v, g, dg = rng.standard_normal(N), rng.random(N), rng.standard_normal(M), -rng.random(M)
    F2 = F * F
    omega = data.z + 0.3 * rng.standard_normal(M)

    def iteration(vector: bool):
        mean, var = (float(x) for x in data.prior.denoise(0.0, 0.0))
        state = gamp_module._Iteration(F, y, data.prior, data.channel, vector, 0.0, np.full(N, mean), np.full(N, var))
        for _ in range(3):  # leave the start (and compile the numba kernels)
            state.step()
        return state.step

    candidates = {
        "bare": lambda: (F @ a, F.T @ g),
        "scalar": iteration(False),
        "vector": iteration(True),
        "blas4": lambda: (F @ a, F2 @ v, F.T @ g, F2.T @ dg),
        "channel": lambda: data.channel.output(y, omega, 0.1),
        "prior": lambda: data.prior.denoise(3.0 * a, 2.0),
    }
    best = dict.fromkeys(candidates, np.inf)
    for _ in range(args.rounds):
        for name, func in candidates.items():
            best[name] = min(best[name], best_of_block(func, args.block))
    t = {name: 1e3 * val for name, val in best.items()}
    ratio = {name: t[name] / t["bare"] for name in ("scalar", "vector", "blas4")}

    print(f"GAMP iteration, {args.prior} prior, {args.channel} channel, N = {N}, M = {M} (alpha = {args.alpha})")
    print(f"  F @ a + F.T @ g (BLAS baseline)           : {t['bare']:8.2f} ms")
    print(
        f"  GAMP iteration, variance='scalar'         : {t['scalar']:8.2f} ms   ratio {ratio['scalar']:5.2f}  (target <= 1.2)"
    )
    print(f"  GAMP iteration, variance='vector' (numba) : {t['vector']:8.2f} ms   ratio {ratio['vector']:5.2f}")
    print(f"  reference: vector products by BLAS on F**2: {t['blas4']:8.2f} ms   ratio {ratio['blas4']:5.2f}")
    print(f"  channel.output ({M} labels)             : {t['channel']:8.3f} ms")
    print(f"  prior.denoise ({N} weights)             : {t['prior']:8.3f} ms")


if __name__ == "__main__":
    main()
