"""AMP against ISTA, FISTA and FISTA with decreasing thresholds: iterations and time to 1e-8 of the LASSO minimiser.

On noisy compressed-sensing instances (delta = n/N = 0.5, rho = k/n = 0.2, Gaussian A with entries of variance
1/n, noise standard deviation 0.1), lambda is calibrated from an AMP run at the minimax threshold (lambda =
theta (1 - |x|_0/n)) and the minimiser x_lambda is AMP's fixed point at that lambda to relative change 1e-13
(its KKT violation is printed). Every solver starts from x = 0; the script counts the iterations each needs
until |x^k - x_lambda| / |x_lambda| <= 1e-8 (two products with A per iteration for all of them; counted on a run
stopped at relative change 1e-13), then times runs of
exactly that many iterations, interleaved over ``--rounds`` rounds (best kept), the Lipschitz constant of
ISTA/FISTA computed once outside the timing. It prints absolute iterations and milliseconds per solver and the
ratios solver / AMP.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_lasso.py [--sizes 1000 2000 --rounds 3]``
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np

from statlearn.amp import ista, lasso_amp, lasso_kkt_violation, lipschitz_constant
from statlearn.numerics import ConvergenceWarning
from statlearn.replica import lasso

ACCURACY = 1e-8


def instance(N: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, k = N // 2, N // 10
    A = rng.standard_normal((n, N)) / np.sqrt(n)
    x0 = np.zeros(N)
    x0[rng.choice(N, k, replace=False)] = rng.standard_normal(k)
    return A, A @ x0 + 0.1 * rng.standard_normal(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{'N':>6} {'solver':>30} {'iterations':>10} {'time (ms)':>10} {'iter ratio':>10} {'time ratio':>10}")
    for N in args.sizes:
        A, y = instance(N)
        lam = lasso_amp(A, y, threshold=float(lasso.minimax_threshold(0.5)), tol=1e-9, max_iter=5000).lam
        target = lasso_amp(A, y, lam=lam, tol=1e-13, max_iter=20_000).x
        L = lipschitz_constant(A)
        solvers: dict[str, Callable[..., object]] = {
            "AMP (calibrated lambda)": lambda stop, **kw: lasso_amp(A, y, lam=lam, tol=stop, **kw),
            "ISTA": lambda stop, **kw: ista(A, y, lam, lipschitz=L, tol=stop, **kw),
            "FISTA": lambda stop, **kw: ista(A, y, lam, accelerated=True, lipschitz=L, tol=stop, **kw),
            "FISTA, decreasing thresholds": lambda stop, **kw: ista(
                A, y, lam, accelerated=True, homotopy=0.9, lipschitz=L, tol=stop, **kw
            ),
        }
        norm = np.linalg.norm(target)
        needed = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for name, solve in solvers.items():
                run = solve(max_iter=100_000, reference=target, stop=1e-13)
                error = np.sqrt(np.asarray(run.distance) * N) / norm  # type: ignore[attr-defined]
                reached = np.flatnonzero(error <= ACCURACY)
                needed[name] = int(reached[0]) if reached.size else -1
            best = {name: np.inf for name in solvers}
            for _ in range(args.rounds):
                for name, solve in solvers.items():
                    if needed[name] > 0:
                        start = time.perf_counter()
                        solve(max_iter=needed[name], stop=1e-300)
                        best[name] = min(best[name], time.perf_counter() - start)
        print(f"{N:>6} (lambda = {lam:.4g}, KKT violation of x_lambda {lasso_kkt_violation(A, y, target, lam):.1e})")
        amp_name = "AMP (calibrated lambda)"
        for name in solvers:
            print(
                f"{N:>6} {name:>30} {needed[name]:>10} {1e3 * best[name]:>10.1f} "
                f"{needed[name] / needed[amp_name]:>10.1f} {best[name] / best[amp_name]:>10.1f}"
            )


if __name__ == "__main__":
    main()
