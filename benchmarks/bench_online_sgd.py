"""Online SGD: the numba kernel against a plain numpy loop, and a simulation against the ODE.

All candidates are timed in the same process after a warm-up (which also compiles the numba
kernels), best of ``--rounds`` rounds, each round running every candidate once:

* the kernel of :func:`statlearn.online.online_sgd` at N = 1000, K = M = 2, erf, eta = 0.5, for
  ``--steps`` SGD steps (one call, so its O(N) set-up is included);
* a straightforward numpy loop doing the same steps: ``rng.standard_normal(N)`` per step, two
  matrix-vector products for the fields, ``scipy.special.erf``, an ``np.outer`` update;
* the limits of a step: the N normal deviates it needs alone (``fill_normal_lanes`` of
  :mod:`statlearn.numerics.rng`, what the kernel uses, 1024 deviates for N = 1000, called from a
  compiled loop as the kernel calls it; the scalar ``fill_normal`` and numpy's
  ``Generator.standard_normal(out=...)`` for comparison), and a stream of the bytes a step moves
  between the core and its caches (the (K + M) rows read for the fields, the K student rows read
  and written by the update, x written once and read K + M + 1 + K times: 128 KB at N = 1000,
  K = M = 2), timed as a vectorised ``b += a`` over arrays of the kernel's working-set size.
  The kernel's time per step is printed as a multiple of each limit.

Target (issue): kernel / numpy >= 20 in steps per second.

If :func:`statlearn.online.ode.integrate` is importable, it also times
``integrate(4, 4, 0.5, np.geomspace(1, 1e4, 50))`` against one simulation of the same setup at
N = 1000 up to alpha = 1e4 (1e7 steps). The simulation's time is measured on ``--ode-steps`` steps
first; the full run is done only if that predicts at most ``--max-seconds``, otherwise the
extrapolation is printed and marked as an estimate.

Run: ``python benchmarks/bench_online_sgd.py [--steps 100000 --numpy-steps 20000 --rounds 3]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from numba import njit
from scipy.special import erf

from statlearn.numerics.rng import LANE_GROUP, fill_normal, fill_normal_lanes, seed_lanes, seed_state
from statlearn.online import online_sgd

N, K, M, ETA = 1000, 2, 2, 0.5


def seconds(func) -> float:
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


@njit(cache=True)
def draw_lanes(state: np.ndarray, out: np.ndarray, repeats: int) -> None:
    """``repeats`` calls of ``fill_normal_lanes`` from compiled code (as the kernel makes them)."""
    for _ in range(repeats):
        fill_normal_lanes(state, out)


@njit(cache=True)
def draw_scalar(state: np.ndarray, out: np.ndarray, repeats: int) -> None:
    """``repeats`` calls of ``fill_normal`` from compiled code."""
    for _ in range(repeats):
        fill_normal(state, out)


@njit(cache=True)
def stream(a: np.ndarray, b: np.ndarray, repeats: int) -> None:
    """``b += a`` ``repeats`` times: 24 bytes moved per element (two reads, one write)."""
    for _ in range(repeats):
        for i in range(a.shape[0]):
            b[i] += a[i]


def step_bytes() -> int:
    """Bytes a step moves between core and caches (module docstring)."""
    rows_read = (K + M) * N + K * N  # fields, then the update's reads of the student rows
    rows_written = K * N
    x_traffic = N + (K + M + 1 + K) * N  # written once, read by the K + M fields, |x|^2 and the update
    return 8 * (rows_read + rows_written + x_traffic)


def numpy_sgd(steps: int, seed: int = 0) -> np.ndarray:
    """Online SGD of the erf committee machine, one step per loop iteration in numpy."""
    rng = np.random.default_rng(seed)
    teacher = rng.standard_normal((M, N))
    student = rng.standard_normal((K, N))
    v, v_star = np.ones(K), np.ones(M)
    sqrt_n = np.sqrt(N)
    for _ in range(steps):
        x = rng.standard_normal(N)
        lam = student @ x / sqrt_n
        nu = teacher @ x / sqrt_n
        delta = v_star @ erf(nu / np.sqrt(2.0)) - v @ erf(lam / np.sqrt(2.0))
        dg = np.sqrt(2.0 / np.pi) * np.exp(-0.5 * lam**2)
        student += np.outer(ETA / sqrt_n * v * dg * delta, x)
    return student


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000, help="steps of the numba kernel per round")
    parser.add_argument("--numpy-steps", type=int, default=20_000, help="steps of the numpy loop per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ode-steps", type=int, default=200_000, help="steps timed before the alpha = 1e4 run")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="longest alpha = 1e4 run actually done")
    args = parser.parse_args(argv)

    draws, lane_draws = np.empty(N), np.empty(-(-N // LANE_GROUP) * LANE_GROUP)
    state, lanes, generator = seed_state(0), seed_lanes(0), np.random.default_rng(0)
    working_set = (K + M + 1) * N  # the weights and x, in float64
    left, right = np.ones(working_set // 2), np.zeros(working_set // 2)
    repeats = 2000
    stream_repeats = max(1, repeats * step_bytes() // (24 * left.size))
    candidates = {
        "kernel": lambda: online_sgd(K, M, ETA, N, [0.0, args.steps / N], seed=0),
        "numpy": lambda: numpy_sgd(args.numpy_steps),
        "fill_normal_lanes": lambda: draw_lanes(lanes, lane_draws, repeats),
        "fill_normal": lambda: draw_scalar(state, draws, repeats),
        "standard_normal": lambda: [generator.standard_normal(out=draws) for _ in range(repeats)],
        "stream": lambda: stream(left, right, stream_repeats),
    }
    online_sgd(K, M, ETA, N, [0.0, 1.0], seed=0)  # compile, or load the cached kernels
    numpy_sgd(100)
    draw_scalar(state, draws, 1)
    draw_lanes(lanes, lane_draws, 1)
    stream(left, right, 1)
    best = dict.fromkeys(candidates, np.inf)
    for _ in range(args.rounds):  # rounds, so that a burst of load on the machine hits all alike
        for name, func in candidates.items():
            best[name] = min(best[name], seconds(func))
    kernel_step, numpy_step = best["kernel"] / args.steps, best["numpy"] / args.numpy_steps
    per_step = {name: best[name] / repeats for name in ("fill_normal_lanes", "fill_normal", "standard_normal")}
    stream_step = best["stream"] / (stream_repeats * 24 * left.size) * step_bytes()

    rows = [
        (f"numba kernel, {args.steps} steps", f"{1e6 * kernel_step:10.3f} us/step"),
        (f"numpy loop, {args.numpy_steps} steps", f"{1e6 * numpy_step:10.3f} us/step"),
        ("ratio numpy / kernel", f"{numpy_step / kernel_step:10.1f}   (target >= 20)"),
        (f"{N} normals, rng.fill_normal_lanes", f"{1e6 * per_step['fill_normal_lanes']:10.3f} us/step"),
        (f"{N} normals, rng.fill_normal", f"{1e6 * per_step['fill_normal']:10.3f} us/step"),
        (f"{N} normals, numpy standard_normal", f"{1e6 * per_step['standard_normal']:10.3f} us/step"),
        (f"stream of {step_bytes() // 1024} KB (b += a)", f"{1e6 * stream_step:10.3f} us/step"),
        ("kernel step / generator alone", f"{kernel_step / per_step['fill_normal_lanes']:10.2f}"),
        ("kernel step / byte stream", f"{kernel_step / stream_step:10.2f}"),
        ("fraction of the generator limit", f"{per_step['fill_normal_lanes'] / kernel_step:10.2f}"),
        ("fraction of the byte-stream limit", f"{stream_step / kernel_step:10.2f}"),
    ]
    print(f"online SGD, erf, N = {N}, K = M = {K}, eta = {ETA} (best of {args.rounds} rounds)")
    for label, value in rows:
        print(f"  {label:<38}: {value}")

    try:
        from statlearn.online.ode import integrate
    except ImportError:
        print("statlearn.online.ode.integrate not importable: ODE comparison skipped")
        return
    times = np.geomspace(1.0, 1e4, 50)
    integrate(4, 4, ETA, times, seed=0)
    ode = min(seconds(lambda: integrate(4, 4, ETA, times, seed=0)) for _ in range(args.rounds))
    online_sgd(4, 4, ETA, N, [0.0, 1.0], seed=0)
    rate = args.ode_steps / seconds(lambda: online_sgd(4, 4, ETA, N, [0.0, args.ode_steps / N], seed=0))
    full_steps = int(times[-1] * N)
    if full_steps / rate <= args.max_seconds:
        simulation, label = seconds(lambda: online_sgd(4, 4, ETA, N, times, seed=0)), "measured"
    else:
        simulation, label = full_steps / rate, f"ESTIMATE from {args.ode_steps} steps at {rate:.0f} steps/s"
    print(f"erf, K = M = 4, eta = {ETA}, t = geomspace(1, 1e4, 50)")
    print(f"  {'ODE integrate':<38}: {ode:10.3f} s")
    print(f"  {f'simulation, N = {N}, {full_steps:.0e} steps':<38}: {simulation:10.1f} s  ({label})")
    print(f"  {'ratio simulation / ODE':<38}: {simulation / ode:10.0f}")


if __name__ == "__main__":
    main()
