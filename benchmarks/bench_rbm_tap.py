"""Cost of one EMF (TAP2, TAP3) update of an RBM against one CD-1, CD-10 and PCD-1 update.

Each candidate trains one epoch of :meth:`statlearn.rbm.RBM.fit` (0/1 units, no monitors) on random 0/1 data of
shape (``--samples``, ``--visible``) with ``--hidden`` hidden units and minibatches of ``--batch`` rows; the
epoch's seconds divided by its number of updates is the time of one update. EMF does ``--sweeps`` damped
alternating sweeps of the TAP equations per update (3 in Gabrie, Tramel & Krzakala 2015). The candidates run
interleaved in one process, each once per round after a warm-up; the script prints every round, the median and
best per update, and the ratios EMF / CD-1 and EMF / CD-10 of the medians. Sizes: ``--shapes`` as
visible x hidden pairs (the digits machine of the reproduction, and an MNIST-sized one).

The BLAS threads are pinned to one (``OMP_NUM_THREADS=1`` unless set): the comparison is per core.

Run: ``python benchmarks/bench_rbm_tap.py [--shapes 64x16,784x500 --samples 2000 --batch 100 --rounds 5]``
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

CANDIDATES = (
    ("CD-1", "cd", 1),
    ("CD-10", "cd", 10),
    ("PCD-1", "pcd", 1),
    ("TAP2", "tap2", None),
    ("TAP3", "tap3", None),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="64x16,784x500")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--sweeps", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    updates = -(-args.samples // args.batch)
    for shape in args.shapes.split(","):
        n_v, n_h = (int(x) for x in shape.split("x"))
        data = (rng.random((args.samples, n_v)) < 0.5).astype(float)

        def epoch(method: str, k: int) -> float:
            machine = RBM(n_v, n_h, spins="01", seed=0)
            start = time.perf_counter()
            machine.fit(
                data, method=method, k=k, batch_size=args.batch, epochs=1, learning_rate=0.01, seed=0, monitor=()
            )
            return (time.perf_counter() - start) / updates

        times: dict[str, list[float]] = {label: [] for label, _, _ in CANDIDATES}
        for round_ in range(args.rounds + 1):
            for label, method, k in CANDIDATES:
                t = epoch(method, args.sweeps if k is None else k)
                if round_:  # round 0 is the warm-up
                    times[label].append(t)
        print(f"RBM {n_v} x {n_h}, batch {args.batch}, {updates} updates per epoch, EMF with {args.sweeps} sweeps")
        for label, values in times.items():
            rounds = " ".join(f"{1e3 * v:.3f}" for v in values)
            print(
                f"  {label:6s} per update: median {1e3 * statistics.median(values):.3f} ms, best {1e3 * min(values):.3f} ms  (rounds: {rounds})"
            )
        median = {label: statistics.median(values) for label, values in times.items()}
        for label in ("TAP2", "TAP3"):
            print(
                f"  {label} / CD-1 = {median[label] / median['CD-1']:.2f}, {label} / CD-10 = "
                f"{median[label] / median['CD-10']:.2f}, {label} / PCD-1 = {median[label] / median['PCD-1']:.2f}"
            )


if __name__ == "__main__":
    main()
