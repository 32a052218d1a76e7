"""Vectorised quadrature against scipy.integrate.quad on a 1000-point alpha_c(kappa) curve.

The Gardner capacity alpha_c(kappa) = 1 / int_{-kappa}^inf Dt (t + kappa)^2 is computed
(a) by :func:`statlearn.replica.gardner_capacity`, one vectorised call of the half-line Gaussian
rule for the whole curve, and (b) by a Python loop of ``scipy.integrate.quad`` calls, one per
kappa. Both run in this process; the script prints the best-of-``repeat`` times, their ratio and
the largest relative difference. Target (issue 2): ratio >= 50 at agreement <= 1e-8.

Run: ``python benchmarks/bench_capacity_quadrature.py``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.integrate import quad

from statlearn.replica import gardner_capacity


def capacity_quad(kappas: np.ndarray) -> np.ndarray:
    def integrand(t: float, kappa: float) -> float:
        return (t + kappa) ** 2 * np.exp(-0.5 * t * t) / np.sqrt(2.0 * np.pi)

    return np.array([1.0 / quad(integrand, -k, np.inf, args=(k,), epsabs=0.0, epsrel=1e-12)[0] for k in kappas])


def best_time(func, *args, repeat: int) -> tuple[float, np.ndarray]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func(*args)
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--kappa-max", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    kappas = np.linspace(0.0, args.kappa_max, args.points)
    gardner_capacity(kappas)  # build the cached quadrature rule once, outside the timing
    t_vec, vec = best_time(gardner_capacity, kappas, repeat=args.repeat)
    t_quad, ref = best_time(capacity_quad, kappas, repeat=max(1, args.repeat // 3))
    diff = np.max(np.abs(vec / ref - 1.0))
    print(f"alpha_c(kappa) on {args.points} points, kappa in [0, {args.kappa_max}]")
    print(f"  vectorised Gaussian quadrature : {t_vec * 1e3:9.3f} ms")
    print(f"  scipy.integrate.quad loop      : {t_quad * 1e3:9.3f} ms")
    print(f"  speed-up (quad / vectorised)   : {t_quad / t_vec:9.1f} x   (target >= 50)")
    print(f"  largest relative difference    : {diff:9.2e}   (target <= 1e-8)")


if __name__ == "__main__":
    main()
