"""RBM training and exact partition functions: a CD-1 epoch against scikit-learn's BernoulliRBM, and log Z by
enumeration against the number of enumerated units.

* One epoch of :meth:`statlearn.rbm.RBM.fit` (CD-1 and PCD-1, 0/1 units, no monitors) on random 0/1 data of
  shape (``--samples``, ``--visible``) with ``--hidden`` hidden units and minibatches of ``--batch`` rows,
  against ``sklearn.neural_network.BernoulliRBM(n_components=hidden, batch_size=batch, n_iter=1)`` (which does
  PCD-1) on the same data. The candidates run interleaved in the same process, each once per round, after a
  warm-up; the script prints every round's seconds, the median and best, and the ratios
  sklearn / statlearn (> 1: statlearn faster). Random data are fine for timing: the work does not depend on
  the values.
* :meth:`RBM.log_partition` (``method="exact"``) of a 64-visible RBM with n hidden units for ``--enum`` n:
  2**n states of the hidden layer, each summing the visible layer out (one matrix product per chunk).

The threads of the BLAS are pinned to one (``OMP_NUM_THREADS=1`` unless set) so that the comparison is per core.

Run: ``python benchmarks/bench_rbm.py [--samples 20000 --visible 1600 --hidden 400 --batch 100 --rounds 3
--enum 8,12,16,20]``
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ["OMP_NUM_THREADS"])

import argparse
import statistics
import time

import numpy as np

from statlearn.rbm import RBM


def seconds(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--visible", type=int, default=1600)
    parser.add_argument("--hidden", type=int, default=400)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--enum", default="8,12,16,20")
    args = parser.parse_args()

    from sklearn.neural_network import BernoulliRBM

    rng = np.random.default_rng(0)
    data = (rng.random((args.samples, args.visible)) < 0.5).astype(float)

    def ours(method: str):
        def run() -> None:
            RBM(args.visible, args.hidden, spins="01", seed=0).fit(
                data, method=method, k=1, batch_size=args.batch, epochs=1, learning_rate=0.01, seed=0, monitor=()
            )

        return run

    def sklearn() -> None:
        BernoulliRBM(n_components=args.hidden, batch_size=args.batch, n_iter=1, learning_rate=0.01, random_state=0).fit(
            data
        )

    candidates = {"statlearn CD-1": ours("cd"), "statlearn PCD-1": ours("pcd"), "sklearn BernoulliRBM (PCD-1)": sklearn}
    print(
        f"# one epoch, {args.samples} x {args.visible} 0/1 data, {args.hidden} hidden, batch {args.batch}, "
        f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
    )
    small = data[: 10 * args.batch]
    RBM(args.visible, args.hidden, spins="01").fit(small, batch_size=args.batch, epochs=1, monitor=())  # warm-up
    BernoulliRBM(n_components=args.hidden, batch_size=args.batch, n_iter=1).fit(small)
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for r in range(args.rounds):
        for name, func in candidates.items():
            times[name].append(seconds(func))
        print(f"round {r + 1}: " + ", ".join(f"{name} {times[name][-1]:.3f} s" for name in candidates))
    for name, values in times.items():
        print(f"{name:>30}: median {statistics.median(values):.3f} s, best {min(values):.3f} s per epoch")
    reference = times["sklearn BernoulliRBM (PCD-1)"]
    for name in ("statlearn CD-1", "statlearn PCD-1"):
        print(
            f"ratio sklearn / {name}: median {statistics.median(reference) / statistics.median(times[name]):.2f}, "
            f"best {min(reference) / min(times[name]):.2f}"
        )

    print("# exact log Z of a 64-visible RBM: enumerating n hidden units (2**n states)")
    for n in (int(x) for x in args.enum.split(",")):
        machine = RBM(64, n, spins="01", scale=0.1, seed=1)
        values = [seconds(machine.log_partition) for _ in range(max(1, args.rounds))]
        best = min(values)
        print(f"n = {n:>2}: {2**n:>9} states, best {best:.4f} s, {best / 2**n * 1e9:.1f} ns per state")


if __name__ == "__main__":
    main()
