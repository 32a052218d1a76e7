"""Coarse-to-fine generation time per sample against the number of sites N = L^2.

Times :meth:`wirg.gaussian.GaussianWIRG.sample` (exact Gaussian conditionals scale by scale, FFTs
and the numba wavelet synthesis) for the critical free field at L = 64, 128, 256 (and 512 with
``--large``), per sample in a batch, and fits the exponent of time ~ N^a on a log-log scale. An FFT
sampler (:func:`wirg.fields.gaussian_field`) of the same spectrum is timed for comparison: both
are O(N log N); WIRG generation does O(N) work per scale plus one small FFT per scale.

Run: ``python benchmarks/bench_wirg_generation.py [--batch 16 --rounds 3 --large]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from wirg.fields import free_field_spectrum, gaussian_field
from wirg.gaussian import GaussianWIRG


def best_of(rounds: int, func) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16, help="samples per call")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (best taken)")
    parser.add_argument("--large", action="store_true", help="also L = 512")
    args = parser.parse_args(argv)
    sizes = [64, 128, 256] + ([512] if args.large else [])
    GaussianWIRG(free_field_spectrum(16, zero_mode=1.0)).sample(1, seed=0)  # compile the numba kernels
    print(f"{'L':>5} {'N':>8} {'solve s':>9} {'WIRG ms/sample':>15} {'FFT ms/sample':>14}")
    per_sample = []
    for L in sizes:
        spectrum = free_field_spectrum(L, mass=0.0, zero_mode=1.0)
        start = time.perf_counter()
        model = GaussianWIRG(spectrum)
        solve = time.perf_counter() - start
        wirg = best_of(args.rounds, lambda: model.sample(args.batch, seed=1)) / args.batch
        fft = best_of(args.rounds, lambda: gaussian_field(spectrum, L, args.batch, seed=1)) / args.batch
        per_sample.append(wirg)
        print(f"{L:>5} {L * L:>8} {solve:>9.3f} {1e3 * wirg:>15.3f} {1e3 * fft:>14.3f}")
    slope = np.polyfit(np.log([L * L for L in sizes]), np.log(per_sample), 1)[0]
    print(f"generation time per sample ~ N^{slope:.3f} (fit over L = {', '.join(map(str, sizes))})")


if __name__ == "__main__":
    main()
