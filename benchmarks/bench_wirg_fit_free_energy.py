"""What the free energies add to :func:`wirg.fit_wirg`: fit time with and without ``free_energy``.

Data: lattice phi^4 at beta = 0.68 (near beta_c) from :func:`wirg.phi4` (Metropolis + cluster moves), ``--fields``
fields per lattice side. Model: the defaults of :func:`wirg.fit_wirg` (score matching, db4, radius 2,
``sigmoid:20+polynomial:4``, a 4 x 4 coarsest field). The free energies: :class:`wirg.model.FreeEnergySettings`
defaults (the score identity, :func:`wirg.free_energy.free_energy_score`, on 16 coarse fields, 4 replicas,
200 burn-in + 100 recorded MALA steps; field ansatz of radius 2r + 1 = 5 reduced on small lattices, the
model's potential). Both fits run interleaved in one process, ``--rounds`` times; each time is the best of
the rounds, and the ratio (with / without) is the one the default of ``fit_wirg(free_energy=...)`` was
decided on (on if below 1.3 at L = 32).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_wirg_fit_free_energy.py [--sizes 16 32 --fields 400 --rounds 3]``
"""

from __future__ import annotations

import argparse
import time

import wirg
from wirg.model import FreeEnergySettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--fields", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"# fit_wirg defaults on phi^4 (beta = 0.68), {args.fields} fields; best of {args.rounds} interleaved rounds")
    print(f"{'L':>5} {'fit [s]':>9} {'fit + free energies [s]':>24} {'ratio':>7} {'fit_free_energies alone [s]':>28}")
    for L in args.sizes:
        fields = wirg.phi4(L, 0.68, args.fields, seed=L).fields
        wirg.fit_wirg(fields[:20], progress=False, free_energy=FreeEnergySettings(n_samples=2, burn_in=2))  # compile
        plain, full, alone = [], [], []
        for _ in range(args.rounds):
            start = time.perf_counter()
            model = wirg.fit_wirg(fields, progress=False, free_energy=None)
            plain.append(time.perf_counter() - start)
            start = time.perf_counter()
            wirg.fit_wirg(fields, progress=False, free_energy=FreeEnergySettings())
            full.append(time.perf_counter() - start)
            start = time.perf_counter()
            model.fit_free_energies(fields, settings=FreeEnergySettings())
            alone.append(time.perf_counter() - start)
        ratio = min(full) / min(plain)
        print(f"{L:>5} {min(plain):>9.2f} {min(full):>24.2f} {ratio:>7.2f} {min(alone):>28.2f}", flush=True)


if __name__ == "__main__":
    main()
