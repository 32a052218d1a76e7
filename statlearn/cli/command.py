"""The top-level ``statlearn`` parser: one subcommand per module of :mod:`statlearn.cli`, each
adding its own parser (``add_parser``) and running itself (``run``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from statlearn import __version__
from statlearn.cli import capacity, erm, glm, online, reproduce, wirg

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
        did not converge. Bad arguments exit with status 2 through :class:`SystemExit`.
    """
    args = build_parser().parse_args(argv)
    return args.run(args)


def build_parser() -> argparse.ArgumentParser:
    """The ``statlearn`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="statlearn",
        description="Statistical mechanics of learning: theory, simulations and their reproductions.",
    )
    parser.add_argument("--version", action="version", version=f"statlearn {__version__}")
    commands = parser.add_subparsers(title="commands", required=True)

    for module in (reproduce, capacity, glm, online, erm, wirg):
        module.add_parser(commands)
    return parser
