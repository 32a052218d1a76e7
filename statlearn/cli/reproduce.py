"""``statlearn reproduce``: run the registered reproductions and write ``DIR/report.md``.

``statlearn reproduce [NAME ...] [--quick | --full] [--out DIR] [--jobs N] [--scheduler ADDRESS] [--fresh]
[--list]`` exits with 0 only if every check passed, 1 if a check failed, a reproduction crashed or the
disk is full, 2 on a usage error (an unknown name, an unreachable scheduler), 130 on Ctrl-C and 143
on SIGTERM (both say how many points were saved; rerunning resumes).

Every process of the run computes on one thread (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` default to 1 unless set, when the command starts
before numpy and numba are loaded): the parallelism is over points (one worker process per core)
or reproductions (``--jobs``), so N cores run N threads. Threaded libraries in every pool worker
made the main job spend 5 to 10 times the CPU time on 2 cores (spinning threads).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from statlearn.cli.common import positive_int

__all__ = ["add_parser", "run"]

#: Thread counts of the numerical libraries (and the module that reads each when it loads), set to 1
#: unless the user set them.
THREADS = {
    "OMP_NUM_THREADS": "numpy",
    "OPENBLAS_NUM_THREADS": "numpy",
    "MKL_NUM_THREADS": "numpy",
    "NUMBA_NUM_THREADS": "numba",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    reproduce = commands.add_parser(
        "reproduce",
        help="run the reproductions and write report.md",
        description="Run reproductions: each writes its figure, data and checks.json into "
        "DIR/<name>/, and DIR/report.md lays out every figure and check. The exit status is 0 "
        "only if every check passed.",
    )
    reproduce.add_argument("names", nargs="*", metavar="NAME", help="reproductions to run (default: all)")
    mode = reproduce.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick", help="small statistics (default)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full", help="published statistics")
    reproduce.add_argument(
        "--out", type=Path, default=Path("reproduce-out"), metavar="DIR", help="output folder (default: %(default)s)"
    )
    reproduce.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        metavar="N",
        help="reproductions run at once, each on one core, longest first (default: %(default)s: one after the "
        "other, each sweep on every core)",
    )
    reproduce.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the sweeps on a dask.distributed cluster at ADDRESS (needs the 'dask' extra)",
    )
    reproduce.add_argument(
        "--fresh", action="store_true", help="delete the checkpoints in DIR first and recompute every point"
    )
    reproduce.add_argument(
        "--list", action="store_true", help="list the reproductions (or the NAMEs given) with their titles and exit"
    )
    reproduce.set_defaults(mode="quick", run=run, parser=reproduce)


def run(args: argparse.Namespace) -> int:
    from statlearn.reproductions.registry import catalogue

    known = catalogue()
    unknown = [name for name in args.names if name not in known]
    if unknown:
        args.parser.error(f"unknown reproduction {unknown[0]!r}; known: {', '.join(known)}")
    if args.list:
        shown = args.names or list(known)
        width = max(map(len, shown), default=0)
        for name in shown:
            print(f"{name:<{width}}  {known[name].title}")
        return 0

    for name, reader in THREADS.items():  # before numpy and numba load (here and in the forked workers)
        if reader not in sys.modules:  # numba refuses a new value once its threads run (a call in-process)
            os.environ.setdefault(name, "1")
    from statlearn.reproductions.runner import run_reproductions

    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        outcomes = run_reproductions(
            args.names, mode=args.mode, out=args.out, jobs=args.jobs, scheduler=args.scheduler, fresh=args.fresh
        )
    except (ConnectionError, ValueError) as exc:  # an unreachable scheduler, a bad address
        args.parser.error(str(exc))
    except OSError as exc:  # a full disk, an unwritable --out: what was saved stays
        print(f"statlearn reproduce: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM through _terminated
        what = str(exc) or "interrupted, rerun to resume"
        if _received:
            print(f"statlearn reproduce: terminated; {what}", file=sys.stderr)
            return 128 + signal.SIGTERM
        print(f"statlearn reproduce: {what}", file=sys.stderr)
        return 128 + signal.SIGINT
    finally:
        signal.signal(signal.SIGTERM, previous)
        _received.clear()
    for outcome in outcomes:
        print(outcome.line())
    print(f"report: {args.out / 'report.md'}")
    return 0 if all(outcome.passed for outcome in outcomes) else 1


_received: list[int] = []


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM is handled as Ctrl-C is: the pool workers are stopped and the checkpoints kept."""
    _received.append(signum)
    raise KeyboardInterrupt
