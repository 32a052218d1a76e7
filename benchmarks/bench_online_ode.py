"""The overlap ODE of online SGD with the analytic Jacobian against LSODA's finite differences.

``integrate(K, K, eta, geomspace(1, 1e4, 40))`` (scaled-erf, seed 0) with
``analytic_jacobian=True`` (the closed-form :meth:`statlearn.online.ode.OverlapODE.jacobian`) and
``False`` (the Jacobian built by LSODA from one right-hand side per state variable, as before),
interleaved in the same process after a warm-up, median of ``--rounds`` rounds. Prints the absolute
times, the right-hand-side evaluations, the ratio and the largest difference between the two
trajectories (the integrator's tolerances are rtol = 1e-10, atol = 1e-13).

Target (issue 12): ratio >= 3 at K = M = 10 to alpha = 1e4.

Run: ``python benchmarks/bench_online_ode.py [--sizes 2 4 10 --rounds 3 --eta 0.5]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from statlearn.online import integrate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 10], help="K = M values")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--eta", type=float, default=0.5)
    parser.add_argument("--horizon", type=float, default=1e4)
    args = parser.parse_args(argv)
    times = np.geomspace(1.0, args.horizon, 40)
    integrate(2, 2, args.eta, [0.0, 1.0], seed=0)  # compile the numba averages
    print(f"online ODE, scaled-erf, eta = {args.eta}, t = geomspace(1, {args.horizon:g}, 40), LSODA rtol 1e-10")
    print(
        f"  {'K = M':>5}  {'analytic (s)':>12}  {'nfev':>6}  {'finite diff. (s)':>16}  {'nfev':>6}  {'ratio':>6}  max |diff|"
    )
    for K in args.sizes:
        seconds: dict[bool, list[float]] = {True: [], False: []}
        result = {}
        for _ in range(args.rounds):
            for analytic in (True, False):
                start = time.perf_counter()
                result[analytic] = integrate(K, K, args.eta, times, seed=0, analytic_jacobian=analytic)
                seconds[analytic].append(time.perf_counter() - start)
        fast, plain = (float(np.median(seconds[flag])) for flag in (True, False))
        diff = max(
            float(np.max(np.abs(getattr(result[True], name) - getattr(result[False], name))))
            for name in ("R", "Q", "generalization_error")
        )
        print(
            f"  {K:>5}  {fast:12.3f}  {result[True].info['nfev']:>6}  {plain:16.3f}  "
            f"{result[False].info['nfev']:>6}  {plain / fast:6.1f}  {diff:.1e}"
        )


if __name__ == "__main__":
    main()
