"""Throughput of the periodic 2-D wavelet transform against PyWavelets.

For each lattice side L in ``--sizes`` the script times, in the same process, best of
``--rounds`` rounds (each round runs every candidate once, after a warm-up call):

* ``reconstruct(decompose(x, J, wavelet))`` of :mod:`wirg.wavelets` on a batch ``x`` of shape
  (B, L, L), float64;
* ``pywt.waverec2(pywt.wavedec2(x, wavelet, mode="periodization", level=J), ...)`` on the same
  batch (PyWavelets transforms the last two axes, batched in C).

J = ``log2(L) - 3`` by default (an 8 x 8 coarse field, the deepest level PyWavelets accepts for
db4 without warning; the first levels dominate the cost anyway), or ``--levels``. The batch is
chosen so that B L^2 is about ``--coefficients``. Reported: fields per second and coefficients
(lattice sites) per second of one decompose + reconstruct round trip, and the ratio
wirg / PyWavelets in throughput (> 1: wirg faster). Run with ``OPENBLAS_NUM_THREADS=1`` on a
shared machine; both candidates are single-threaded.

Run: ``python benchmarks/bench_wavelets.py [--sizes 64 128 256 512 --wavelet db4 --rounds 5]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from wirg.wavelets import decompose, reconstruct


def best_seconds(func, rounds: int) -> float:
    """Best wall-clock time of ``rounds`` calls, after one warm-up call."""
    func()
    best = np.inf
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--wavelet", default="db4", choices=["haar", "db4"])
    parser.add_argument("--levels", type=int, default=None, help="default: log2(L) - 3")
    parser.add_argument("--coefficients", type=int, default=2**21, help="approximate B L^2 per batch")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    try:
        import pywt
    except ImportError:
        pywt = None
        print("PyWavelets not installed: timing wirg only")

    rng = np.random.default_rng(0)
    header = f"{'L':>5} {'B':>5} {'J':>3} {'wirg fields/s':>14} {'wirg coef/s':>12}"
    if pywt is not None:
        header += f" {'pywt fields/s':>14} {'pywt coef/s':>12} {'wirg/pywt':>10}"
    print(f"wavelet {args.wavelet}, decompose + reconstruct, best of {args.rounds}")
    print(header)
    for L in args.sizes:
        batch = max(1, args.coefficients // (L * L))
        levels = args.levels if args.levels is not None else max(1, int(np.log2(L)) - 3)
        x = rng.standard_normal((batch, L, L))
        error = np.max(np.abs(reconstruct(decompose(x, levels, args.wavelet)) - x))
        assert error < 1e-10, error
        t_ours = best_seconds(lambda: reconstruct(decompose(x, levels, args.wavelet)), args.rounds)
        row = f"{L:>5} {batch:>5} {levels:>3} {batch / t_ours:>14.1f} {batch * L * L / t_ours:>12.3g}"
        if pywt is not None:

            def round_trip():
                coeffs = pywt.wavedec2(x, args.wavelet, mode="periodization", level=levels)
                return pywt.waverec2(coeffs, args.wavelet, mode="periodization")

            assert np.max(np.abs(round_trip() - x)) < 1e-10
            t_pywt = best_seconds(round_trip, args.rounds)
            row += f" {batch / t_pywt:>14.1f} {batch * L * L / t_pywt:>12.3g} {t_pywt / t_ours:>10.2f}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
