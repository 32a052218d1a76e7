"""Cost of the per-scale MALA steps of generation: ``MALASettings.steps_exponent`` p = 0 (``burn_in`` steps at
every scale) against p = 1 (``burn_in (L_1/L_j)`` steps, the default), on the same fitted model.

A step costs about L_j^2 per chain plus a fixed overhead (FFTs, numba calls), so p = 1 should cost less than
twice p = 0 when the finest scale dominates; on the coarse lattices the overhead does. Models: fitted to
free-field data (the cost does not depend on the data) with the phi^4 reproduction's potential (``polynomial:4,6``,
Haar, down to 1 x 1) and with 20 bumps (``bump:20``). Prints the steps per scale, the absolute time of each
``generate`` call (median of interleaved rounds) and the ratio p = 1 / p = 0.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_wirg_mala_steps.py [--L 32 --chains 400 --burn-in 200 --rounds 3]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from wirg.fields import free_field_spectrum, gaussian_field
from wirg.generate import MALASettings
from wirg.model import fit_wirg


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, default=32)
    parser.add_argument("--chains", type=int, default=400, help="fields generated per call")
    parser.add_argument("--burn-in", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median taken)")
    args = parser.parse_args(argv)
    L = args.L
    fields = gaussian_field(free_field_spectrum(L, 0.3), L, 200, seed=0)
    levels = int(np.log2(L))
    settings = {p: MALASettings(burn_in=args.burn_in, steps_exponent=p) for p in (0.0, 1.0)}
    sides = [L // 2**j for j in range(1, levels + 1)]
    for p, mcmc in settings.items():
        print(f"p = {p:g}: steps at L_j = {sides}: {[mcmc.steps(n, sides[0]) for n in sides]}")
    for potential in ("polynomial:4,6", "bump:20"):
        model = fit_wirg(fields, levels=levels, wavelet="haar", radius=1, potential=potential, progress=False)
        model.generate(2, seed=0, mcmc=MALASettings(burn_in=2))  # compile
        times: dict[float, list[float]] = {p: [] for p in settings}
        for r in range(args.rounds):
            for p, mcmc in settings.items():
                start = time.perf_counter()
                model.generate(args.chains, seed=r, mcmc=mcmc)
                times[p].append(time.perf_counter() - start)
        med = {p: float(np.median(t)) for p, t in times.items()}
        print(
            f"{potential:>16}  L = {L}, {args.chains} fields, burn_in {args.burn_in}: p = 0 {med[0.0]:.2f} s, "
            f"p = 1 {med[1.0]:.2f} s, ratio {med[1.0] / med[0.0]:.2f}"
        )


if __name__ == "__main__":
    main()
