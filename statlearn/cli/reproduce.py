"""``statlearn reproduce``: run the registered reproductions and write ``DIR/report.md``.

``statlearn reproduce [NAME ...] [--quick | --full] [--out DIR] [--jobs N] [--scheduler ADDRESS] [--list]``
exits with 0 only if every check passed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from statlearn.cli.common import positive_int

__all__ = ["add_parser", "run"]


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
        "--jobs", type=positive_int, default=1, metavar="N", help="reproductions run at once (default: %(default)s)"
    )
    reproduce.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the sweeps on a dask.distributed cluster at ADDRESS (needs the 'dask' extra)",
    )
    reproduce.add_argument("--list", action="store_true", help="list the registered reproductions and exit")
    reproduce.set_defaults(mode="quick", run=run, parser=reproduce)


def run(args: argparse.Namespace) -> int:
    from statlearn.reproductions.registry import get, names
    from statlearn.reproductions.runner import run_reproductions

    if args.list:
        known = names()
        width = max(map(len, known), default=0)
        for name in known:
            print(f"{name:<{width}}  {get(name).title}")
        return 0
    try:
        outcomes = run_reproductions(args.names, mode=args.mode, out=args.out, jobs=args.jobs, scheduler=args.scheduler)
    except ValueError as exc:  # an unknown name; failures inside reproductions are in the outcomes
        args.parser.error(str(exc))
    for outcome in outcomes:
        checks = f"{outcome.n_passed}/{len(outcome.checks)} checks"
        print(f"{outcome.status:<5}  {outcome.name}  {checks}  {outcome.elapsed:.1f} s")
    print(f"report: {args.out / 'report.md'}")
    return 0 if all(outcome.passed for outcome in outcomes) else 1
