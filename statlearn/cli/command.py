"""The top-level ``statlearn`` parser: one subcommand per module of :mod:`statlearn.cli`, each
adding its own parser (``add_parser``) and running itself (``run``)."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

import statlearn.cli.capacity as capacity
import statlearn.cli.erm as erm
import statlearn.cli.glm as glm
import statlearn.cli.online as online
import statlearn.cli.reproduce as reproduce
import statlearn.cli.wirg as wirg
from statlearn import __version__
from statlearn.cli.common import Parser

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``statlearn`` command with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv
        Command-line arguments without the program name.

    Returns
    -------
    int
        Exit status: 0 on success, 1 if a check failed, a reproduction crashed or a fixed point
        did not converge or the computation failed numerically (``ArithmeticError``), 130 when
        interrupted (Ctrl-C). Bad arguments, and input the library
        refuses with a ``ValueError`` or ``TypeError``, exit with status 2 through
        :class:`SystemExit` after a one-line message ``statlearn CMD: error: ...``.

    Notes
    -----
    Warnings raised while a subcommand runs are collected and printed on stderr when it ends, each
    distinct one once, as one line ``statlearn CMD: warning: MESSAGE (CATEGORY)``, so that they never
    interleave with a table.
    """
    args = build_parser().parse_args(argv)
    parser = args.parser
    refused = failed = None
    interrupted = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = args.run(args)
        except KeyboardInterrupt:
            interrupted = True
        except (ValueError, TypeError) as exc:  # input the library refuses
            refused = exc
        except ArithmeticError as exc:  # a numerical failure inside the library: say so on one line
            failed = f"{type(exc).__name__}: {exc}"
        except SystemExit:  # a usage error found by the subcommand: its message is already printed
            print_warnings(parser.prog, caught)
            raise
    print_warnings(parser.prog, caught)
    if refused is not None:
        parser.error(str(refused))
    if failed is not None:
        print(
            f"{parser.prog}: error: the computation failed for these inputs ({' '.join(failed.split())})",
            file=sys.stderr,
        )
        return 1
    if interrupted:
        newline = "\n" if sys.stderr.isatty() else ""  # end a progress bar's line first
        print(f"{newline}{parser.prog}: interrupted", file=sys.stderr)
        return 130
    return status


def print_warnings(prog: str, caught: Sequence[warnings.WarningMessage]) -> None:
    """Print each distinct warning of ``caught`` once, as one line on stderr."""
    seen = set()
    for warning in caught:
        text = " ".join(str(warning.message).split())
        key = (warning.category, text)
        if key not in seen:
            seen.add(key)
            print(f"{prog}: warning: {text} ({warning.category.__name__})", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The ``statlearn`` argument parser with every subcommand."""
    parser = Parser(
        prog="statlearn",
        description="Statistical mechanics of learning: theory, simulations and their reproductions.",
    )
    parser.add_argument("--version", action="version", version=f"statlearn {__version__}")
    commands = parser.add_subparsers(title="commands", required=True)

    for module in (reproduce, capacity, glm, online, erm, wirg):
        module.add_parser(commands)
    return parser
