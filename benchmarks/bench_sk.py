"""SK replica solvers: time to a given accuracy of the ground-state energy.

Prints, for the k-RSB optimisations (k = 1, 2, 3) and the full-RSB T = 0 Parisi solver on grids of n
intervals, the wall time, the energy and its distance to Crisanti & Rizzo's full-RSB value -0.763166
(Phys. Rev. E 65, 046137 (2002)), and the time ratio of each run to the 1RSB one. Then the finite-temperature
full-RSB solver ``parisi(T = 0.5)`` on n = 10, 20, 40 intervals: wall time, f, e, and the changes of f and e to
the next n (the accuracy reached), with the time ratio to the 1RSB ground state.
Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_sk.py [n ...]`` (default n = 6 8 10).
"""

from __future__ import annotations

import sys
import time

from statlearn.replica import sk

E0_FULL_RSB = -0.763166


def main(levels: list[int]) -> None:
    rows = []
    for steps in (1, 2, 3):
        start = time.perf_counter()
        g = sk.ground_state_energy(steps=steps)
        rows.append((f"{steps}RSB", time.perf_counter() - start, g.energy))
    for n in levels:
        previous = sk.FULL_RSB_LEVELS
        sk.FULL_RSB_LEVELS = n
        try:
            start = time.perf_counter()
            g = sk.ground_state_energy()
            rows.append((f"full RSB, n = {n}", time.perf_counter() - start, g.energy))
        finally:
            sk.FULL_RSB_LEVELS = previous
    base = rows[0][1]
    print(f"{'solver':<20}{'time (s)':>10}{'e0':>14}{'e0 + 0.763166':>16}{'time / 1RSB':>13}")
    for name, seconds, energy in rows:
        print(f"{name:<20}{seconds:>10.2f}{energy:>14.7f}{energy - E0_FULL_RSB:>16.2e}{seconds / base:>13.1f}")
    finite = []
    for n in (10, 20, 40):
        start = time.perf_counter()
        r = sk.parisi(0.5, intervals=n)
        finite.append((n, time.perf_counter() - start, r.free_energy, r.energy))
    print(
        f"\n{'parisi(T=0.5)':<20}{'time (s)':>10}{'f':>14}{'e':>12}{'|df| to 2n':>12}{'|de| to 2n':>12}{'time / 1RSB':>13}"
    )
    for (n, seconds, f, e), nxt in zip(finite, [*finite[1:], None]):
        df = f"{abs(nxt[2] - f):.1e}" if nxt else "-"
        de = f"{abs(nxt[3] - e):.1e}" if nxt else "-"
        print(f"{'n = ' + str(n):<20}{seconds:>10.2f}{f:>14.9f}{e:>12.7f}{df:>12}{de:>12}{seconds / base:>13.1f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [6, 8, 10])
