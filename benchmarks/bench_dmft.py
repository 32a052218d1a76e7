r"""Cost of the DMFT solver of (S)GD on the Gaussian mixture, and its cost against a finite-d simulation.

Everything uses the logistic loss at alpha = 2, Delta = 0.5, lambda = 0.1 (rho = 1/2, m0 = 0, q0 = 1) and
:func:`statlearn.dmft.solve` with seed 0. Timings are wall clock, best of ``--rounds`` rounds after a warm-up
that compiles (or loads from the cache) the numba kernels of the solver and of the simulation. The kernels
of :mod:`statlearn.dmft.kernels` run in parallel (``prange``) on all numba threads (2 on the reference
machine; ``--threads`` sets another count); the load average is printed, and timings taken with a load
average above 1 are marked as under load. On a loaded machine the parallel kernels can be many times slower
than one thread: numba's default OpenMP layer spins at the end of each parallel region (two per step) while
another process holds the second core. ``--threads 1`` or the environment variable
``OMP_WAIT_POLICY=passive`` avoid that.

1. **Horizon.** ``solve(steps=T, eta=0.5, n_samples=N, replicas=1)`` at N = 8000 for T = 25, 50, 100, 200,
   300 (300 only if :func:`~statlearn.dmft.memory_bytes` is below half the available memory). The exponent
   a of time ~ T^a is fitted (least squares in log-log) on the three largest T; the per-sample response
   costs O(N T^3 / 3) operations, so a should approach 3 from below (the O(N T^2) parts weigh less as T
   grows). Memory (``memory_bytes``) and its exponent (2 asymptotically) are printed too.
2. **Population.** T = 80, N = 2500 ... 40000 (replicas = 1): the exponent of time ~ N^a (expected 1). The
   run at N = 5000 timed with 1 thread and with all of numba's threads gives the parallel speed-up (the
   solver's sums do not depend on the thread count, which is checked: the two trajectories must be equal
   bit for bit).
3. **DMFT against simulation at equal statistical error.** Observable: the test error at t = 30 (eta = 0.5,
   T = 60) of GD (b = 1) and of SGD (b = 0.3). The DMFT's standard error is the spread of ``replicas = 8``
   independent populations of N = 40000 processes in total (``test_error_err[-1]``), and scales as
   1/sqrt(N); the simulation's (:func:`statlearn.experiments.mixture_dynamics.simulate_dynamics`, S = 10
   seeds at d = 500, 1000, 2000, one round, timed per seed) scales as 1/sqrt(S). For the target error
   (the DMFT's at N = 40000) each method needs N = N0 (err0/target)^2 processes, resp.
   S = S0 (err0/target)^2 seeds; the script prints the time of each and the ratio simulation / DMFT. Both
   standard errors are themselves estimated from 8 resp. 10 draws (relative uncertainty about 25 %), so a
   ratio is good to about a factor 1.5. The simulation also carries a finite-d bias O(1/d), which the DMFT
   has not: it is printed (simulation - DMFT, in units of the combined standard error), not corrected.
4. **Continuous-time limit.** GD up to t = 10 with eta = 0.4, 0.2, 0.1, 0.05: the differences
   D(eta) = m(10; eta) - m(10; eta/2) of a first-order scheme halve with eta (ratio D(eta)/D(eta/2) -> 2).
   Exactly for the square loss (:func:`statlearn.dmft.square_gd`, no statistical error), and for the
   logistic loss with ``solve`` (N = 16000, 8 replicas, the same seed for every eta). The logistic
   differences' standard errors are computed from the per-replica differences (the same seed gives every eta
   the same initial populations, so the differences are paired).

A final summary block collects the exponents and ratios. ``--quick`` runs a reduced version in seconds
(smaller N, T, d and seeds; its numbers only check that the script runs).

Run: ``python benchmarks/bench_dmft.py [--quick] [--rounds 2]``
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from statlearn.dmft import DMFTTrajectory, memory_bytes, solve, square_gd
from statlearn.experiments.mixture_dynamics import simulate_dynamics

ALPHA, DELTA, LAM = 2.0, 0.5, 0.1
PROBLEM = {"alpha": ALPHA, "delta": DELTA, "lam": LAM}
LOSS = "logistic"


@dataclass(frozen=True)
class Settings:
    """Sizes of one run of the benchmark (module docstring)."""

    horizon_n: int
    horizons: tuple[int, ...]
    population_steps: int
    populations: tuple[int, ...]
    compare_n: int
    compare_replicas: int
    compare_steps: int
    dimensions: tuple[int, ...]
    seeds: int
    limit_time: float
    limit_etas: tuple[float, ...]
    limit_n: int
    limit_replicas: int


FULL = Settings(
    horizon_n=8000,
    horizons=(25, 50, 100, 200, 300),
    population_steps=80,
    populations=(2500, 5000, 10000, 20000, 40000),
    compare_n=40000,
    compare_replicas=8,
    compare_steps=60,
    dimensions=(500, 1000, 2000),
    seeds=10,
    limit_time=10.0,
    limit_etas=(0.4, 0.2, 0.1, 0.05),
    limit_n=16000,
    limit_replicas=8,
)
QUICK = Settings(
    horizon_n=1000,
    horizons=(10, 20, 40),
    population_steps=20,
    populations=(1000, 2000, 4000),
    compare_n=4000,
    compare_replicas=8,
    compare_steps=20,
    dimensions=(100, 200),
    seeds=5,
    limit_time=4.0,
    limit_etas=(0.4, 0.2, 0.1),
    limit_n=2000,
    limit_replicas=4,
)


def best_time(func: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    """Best wall-clock seconds of ``rounds`` calls of ``func``, and the last call's result."""
    best, result = np.inf, None
    for _ in range(rounds):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def exponent(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def load_note() -> str:
    """The 1-minute load average, marked when above 1 (timings then include other processes' work)."""
    load = os.getloadavg()[0]
    return f"load average {load:.2f}" + ("  ** timings under load **" if load > 1.0 else "")


def available_bytes() -> int:
    """Physical memory currently available (Linux ``sysconf``)."""
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def dmft(
    steps: int, n_samples: int, *, eta: float = 0.5, replicas: int = 1, batch_fraction: float = 1.0
) -> Callable[[], DMFTTrajectory]:
    """A callable running the logistic DMFT of :data:`PROBLEM` with seed 0."""
    return lambda: solve(
        LOSS,
        alpha=ALPHA,
        delta=DELTA,
        lam=LAM,
        eta=eta,
        steps=steps,
        batch_fraction=batch_fraction,
        n_samples=n_samples,
        replicas=replicas,
        seed=0,
    )


def horizon(settings: Settings, rounds: int) -> dict[str, float]:
    """Section 1: time and memory against T at fixed N."""
    n = settings.horizon_n
    print(f"\n1. DMFT cost against the horizon T (N = {n}, replicas = 1, eta = 0.5; {load_note()})")
    horizons = [T for T in settings.horizons if memory_bytes(n, T) <= available_bytes() // 2]
    skipped = sorted(set(settings.horizons) - set(horizons))
    if skipped:
        print(f"   skipped T = {skipped}: memory_bytes above half the available memory")
    seconds, memory = [], []
    print(f"   {'T':>5} {'time [s]':>10} {'memory [MiB]':>13} {'ns / (N T^3/3)':>15}")
    for T in horizons:
        elapsed, _ = best_time(dmft(T, n), rounds)
        seconds.append(elapsed)
        memory.append(memory_bytes(n, T))
        print(f"   {T:>5} {elapsed:>10.3f} {memory[-1] / 2**20:>13.1f} {1e9 * elapsed / (n * T**3 / 3):>15.3f}")
    tail = slice(-3, None)
    result = {
        "time ~ T^a": exponent(horizons[tail], seconds[tail]),
        "memory ~ T^a": exponent(horizons[tail], memory[tail]),
    }
    print(
        f"   exponents from T = {horizons[tail]}: time {result['time ~ T^a']:.2f} (-> 3), memory {result['memory ~ T^a']:.2f} (-> 2)"
    )
    return result


def population(settings: Settings, rounds: int) -> dict[str, float]:
    """Section 2: time against N at fixed T, and the speed-up of the parallel kernels."""
    T, sizes = settings.population_steps, settings.populations
    threads = numba.get_num_threads()
    print(f"\n2. DMFT cost against N (T = {T}, replicas = 1; prange kernels on {threads} numba threads; {load_note()})")
    seconds = []
    print(f"   {'N':>6} {'time [s]':>10} {'us / sample':>12}")
    for n in sizes:
        elapsed, _ = best_time(dmft(T, n), rounds)
        seconds.append(elapsed)
        print(f"   {n:>6} {elapsed:>10.3f} {1e6 * elapsed / n:>12.1f}")
    result = {"time ~ N^a": exponent(sizes, seconds)}
    print(f"   exponent time ~ N^a over all N: {result['time ~ N^a']:.2f} (-> 1)")
    n, most = sizes[1], numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    timings = {}
    try:
        for count in (1, most):
            numba.set_num_threads(count)
            timings[count] = best_time(dmft(T, n), rounds)
    finally:
        numba.set_num_threads(threads)
    (serial, one), (parallel, many) = timings[1], timings[most]
    same = np.array_equal(one.replica_values, many.replica_values)
    result[f"speed-up {most} threads / 1"] = serial / parallel
    print(
        f"   N = {n}: 1 thread {serial:.3f} s, {most} threads {parallel:.3f} s, speed-up {serial / parallel:.2f}; "
        f"trajectories bit-identical: {same}"
    )
    return result


def comparison(settings: Settings, rounds: int) -> dict[str, float]:
    """Section 3: DMFT against the finite-d simulation at equal standard error of the final test error."""
    T, eta = settings.compare_steps, 0.5
    n0, replicas, s0 = settings.compare_n, settings.compare_replicas, settings.seeds
    print(
        f"\n3. DMFT against simulation: test error at t = {T * eta:g} (eta = {eta}, T = {T}); target = DMFT's "
        f"standard error at N = {n0} ({replicas} replicas); simulation S = {s0} seeds per d; {load_note()}"
    )
    print("   (the simulation also has a finite-d bias O(1/d) that the DMFT has not; shown, not corrected)")
    result = {}
    for b, name in ((1.0, "GD"), (0.3, "SGD b=0.3")):
        elapsed, run = best_time(dmft(T, n0, replicas=replicas, batch_fraction=b), rounds)
        value, target = run.test_error[-1], run.test_error_err[-1]
        per_sample = elapsed / n0
        print(
            f"   {name}: DMFT test error {value:.5f} +- {target:.5f}, {elapsed:.3f} s ({1e6 * per_sample:.1f} us/sample)"
        )
        print(
            f"   {'d':>6} {'sim mean':>9} {'sim err':>9} {'bias/err':>9} {'s/seed':>8} "
            f"{'seeds needed':>13} {'sim time [s]':>13} {'DMFT time [s]':>14} {'sim/DMFT':>9}"
        )
        for d in settings.dimensions:
            start = time.perf_counter()
            sim = simulate_dynamics(LOSS, **PROBLEM, eta=eta, steps=T, d=d, seeds=range(s0), batch_fraction=b)
            per_seed = (time.perf_counter() - start) / s0
            mean, error = sim.mean("test_error")[-1], sim.standard_error("test_error")[-1]
            seeds = s0 * (error / target) ** 2
            sim_time, dmft_time = per_seed * seeds, per_sample * n0  # the target is the DMFT's error at n0
            bias = (mean - value) / np.hypot(error, target)
            result[f"{name} sim/DMFT d={d}"] = sim_time / dmft_time
            print(
                f"   {d:>6} {mean:>9.5f} {error:>9.5f} {bias:>9.2f} {per_seed:>8.3f} "
                f"{seeds:>13.0f} {sim_time:>13.2f} {dmft_time:>14.3f} {sim_time / dmft_time:>9.1f}"
            )
    return result


def differences(runs: Sequence[DMFTTrajectory]) -> tuple[np.ndarray, np.ndarray]:
    """D(eta_i) = m(t; eta_i) - m(t; eta_{i+1}) at the last time, and the standard errors of the per-replica
    differences (nan without replicas)."""
    finals = np.array([run.replica_values[:, 0, -1] for run in runs])  # (etas, replicas)
    paired = finals[:-1] - finals[1:]
    count = paired.shape[1]
    errors = paired.std(axis=1, ddof=1) / np.sqrt(count) if count > 1 else np.full(len(paired), np.nan)
    return paired.mean(axis=1), errors


def continuum(settings: Settings) -> dict[str, float]:
    """Section 4: first-order convergence in eta of m at a fixed time."""
    t, etas = settings.limit_time, settings.limit_etas
    print(f"\n4. Continuous-time limit: GD, D(eta) = m(t={t:g}; eta) - m(t={t:g}; eta/2); {load_note()}")
    square = [square_gd(**PROBLEM, eta=eta, steps=round(t / eta)) for eta in etas]
    n, replicas = settings.limit_n, settings.limit_replicas
    start = time.perf_counter()
    logistic = [dmft(round(t / eta), n, eta=eta, replicas=replicas)() for eta in etas]
    elapsed = time.perf_counter() - start
    result = {}
    for label, runs in (
        ("square (square_gd, exact)", square),
        (f"logistic (solve, N = {n}, {replicas} replicas)", logistic),
    ):
        diff, err = differences(runs)
        print(f"   {label}: m(t) = " + ", ".join(f"{run.m[-1]:.6f}" for run in runs))
        print(f"   {'eta':>6} {'D(eta)':>12} {'err':>10} {'D(eta)/D(eta/2)':>16} {'err':>7}")
        for i, eta in enumerate(etas[:-1]):
            if i + 1 < len(diff):
                ratio = diff[i] / diff[i + 1]
                ratio_err = abs(ratio) * np.hypot(err[i] / diff[i], err[i + 1] / diff[i + 1])
                text = f"{ratio:>16.3f} {ratio_err:>7.3f}"
                if abs(diff[i + 1]) < 3 * err[i + 1]:
                    text += "  (not resolved: D(eta/2) < 3 err at this N)"
                result[f"{label.split()[0]} D({eta:g})/D({eta / 2:g})"] = ratio
            else:
                text = ""
            print(f"   {eta:>6g} {diff[i]:>12.3e} {err[i]:>10.1e} {text}")
    print(f"   (logistic runs: {elapsed:.1f} s in total; errors of D from the per-replica differences)")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run (seconds) that checks the script")
    parser.add_argument("--rounds", type=int, default=2, help="timing rounds per measurement (best is kept)")
    parser.add_argument("--threads", type=int, default=None, help="numba threads (default: numba's, all cores)")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.threads is not None:
        numba.set_num_threads(args.threads)
    start = time.perf_counter()
    print(f"DMFT benchmark{' (--quick)' if args.quick else ''}: {LOSS}, {PROBLEM}, best of {args.rounds} rounds")
    dmft(5, 1000, replicas=2, batch_fraction=0.5)()  # warm-up: compile or load the cached kernels
    layer = numba.threading_layer()
    print(f"numba threads {numba.get_num_threads()} ({layer} layer), cores {os.cpu_count()}; {load_note()}")
    simulate_dynamics(LOSS, **PROBLEM, eta=0.5, steps=2, d=50, seeds=[0], batch_fraction=0.5)
    square_gd(**PROBLEM, eta=0.5, steps=2)
    summary: dict[str, float] = {}
    summary.update(horizon(settings, args.rounds))
    summary.update(population(settings, args.rounds))
    summary.update(comparison(settings, args.rounds))
    summary.update(continuum(settings))
    print(
        f"\nSummary ({'--quick' if args.quick else 'full run'}; {load_note()}; {time.perf_counter() - start:.0f} s in all)"
    )
    for name, value in summary.items():
        print(f"  {name:<40}: {value:8.2f}")


if __name__ == "__main__":
    main()
