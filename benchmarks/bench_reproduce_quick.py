"""Wall and CPU time of the main job, ``statlearn reproduce --quick``, per reproduction and in total.

Each configuration runs the command once in a subprocess (``--fresh``, a temporary output folder)
and the script prints, per reproduction, the wall and CPU seconds recorded in its ``checks.json``
(the CPU time includes the reproduction's worker processes), then the total wall time of the
command and the sum of the CPU times. Configurations:

- ``jobs2`` (default): the README's and CI's command, ``--jobs 2``: reproductions side by side,
  each on one core, longest first, one thread per process;
- ``jobs1``: ``--jobs 1``, one reproduction after the other, each sweep on a pool of one process
  per core, one thread per process;
- ``jobs1-threaded``: ``--jobs 1`` with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
  ``MKL_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` set to the number of cores, as every process had
  before the command set them to 1: N pool workers times N threads on N cores.

The ratio of each configuration's wall time to the first one's is printed at the end. Target
(issue 12): ``jobs2`` under 300 s on a quiet 2-core machine, with every check passing. Timings on a
loaded machine are noisy: run it on a quiet one.

Run: ``python benchmarks/bench_reproduce_quick.py [--config jobs2 jobs1 jobs1-threaded] [NAME ...]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
CONFIGS = {"jobs2": ("2", False), "jobs1": ("1", False), "jobs1-threaded": ("1", True)}


def run(config: str, names: list[str], folder: Path) -> tuple[float, int, dict[str, dict]]:
    """Run the command once; return its wall time, exit status and the checks.json of each reproduction."""
    jobs, threaded = CONFIGS[config]
    env = {key: value for key, value in os.environ.items() if key not in THREADS}
    if threaded:
        env |= {key: str(os.cpu_count() or 1) for key in THREADS}
    env["TQDM_DISABLE"] = "1"
    command = [sys.executable, "-m", "statlearn", "reproduce", *names, "--quick", "--fresh", "--jobs", jobs]
    start = time.perf_counter()
    done = subprocess.run([*command, "--out", str(folder)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    outcomes = {path.parent.name: json.loads(path.read_text()) for path in sorted(folder.glob("*/checks.json"))}
    return wall, done.returncode, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="reproductions (default: all)")
    parser.add_argument("--config", nargs="+", choices=list(CONFIGS), default=["jobs2"])
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; configurations: {', '.join(args.config)}")
    walls = {}
    for config in args.config:
        with tempfile.TemporaryDirectory(prefix="bench-reproduce-") as tmp:
            wall, status, outcomes = run(config, args.names, Path(tmp))
        walls[config] = wall
        checks = sum(len(o["checks"]) for o in outcomes.values())
        passed = sum(sum(c["passed"] for c in o["checks"]) for o in outcomes.values())
        print(f"\n== {config}: exit status {status}, {passed}/{checks} checks passed")
        print(f"{'reproduction':<32} {'wall (s)':>9} {'CPU (s)':>9}")
        for name, o in outcomes.items():
            print(f"{name:<32} {o['elapsed_seconds']:9.1f} {o['cpu_seconds']:9.1f}")
        cpu = sum(o["cpu_seconds"] for o in outcomes.values())
        print(f"{'total (command)':<32} {wall:9.1f} {cpu:9.1f}")
    first = args.config[0]
    for config in args.config[1:]:
        print(f"wall {config} / {first}: {walls[config] / walls[first]:.2f}")


if __name__ == "__main__":
    main()
