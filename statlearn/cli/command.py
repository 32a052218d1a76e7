"""The top-level ``statlearn`` parser: one subcommand per module of :mod:`statlearn.cli`, each
adding its own parser (``add_parser``) and running itself (``run``)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence

import statlearn.cli.capacity as capacity
import statlearn.cli.dmft as dmft
import statlearn.cli.erm as erm
import statlearn.cli.glm as glm
import statlearn.cli.ising as ising
import statlearn.cli.mixture as mixture
import statlearn.cli.online as online
import statlearn.cli.pca_rg as pca_rg
import statlearn.cli.rbm as rbm
import statlearn.cli.reproduce as reproduce
import statlearn.cli.wirg as wirg
from statlearn import __version__
from statlearn.cli.common import Parser

__all__ = ["EXIT_ON_INTERRUPT", "INTERRUPT_GRACE", "build_parser", "main"]

EXIT_ON_INTERRUPT = (capacity, glm, online, erm, wirg, ising, pca_rg, mixture, dmft)
"""Subcommands that save nothing before they finish: after Ctrl-C they exit within
:data:`INTERRUPT_GRACE` seconds even when compiled code in a worker thread (a numba loop) does not
return. ``reproduce`` keeps its own handling (it saves its checkpoints)."""

INTERRUPT_GRACE = 2.0
"""Seconds between Ctrl-C and the forced exit of a subcommand that has not ended by then."""


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
    interleave with a table. Ctrl-C prints ``statlearn CMD: interrupted`` and exits with 130; the
    subcommands of :data:`EXIT_ON_INTERRUPT` do so within :data:`INTERRUPT_GRACE` seconds even when
    a worker thread is stuck in compiled code.
    """
    args = build_parser().parse_args(argv)
    parser = args.parser
    refused = failed = None
    interrupted = False
    hard_exit = args.run in {module.run for module in EXIT_ON_INTERRUPT}
    with _exit_soon_after_interrupt(parser.prog, hard_exit) as reported, warnings.catch_warnings(record=True) as caught:
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
        reported.set()
        print(_interrupted(parser.prog), file=sys.stderr)
        return 130
    return status


def _interrupted(prog: str) -> str:
    newline = "\n" if sys.stderr.isatty() else ""  # end a progress bar's line first
    return f"{newline}{prog}: interrupted"


@contextlib.contextmanager
def _exit_soon_after_interrupt(prog: str, active: bool) -> Iterator[threading.Event]:
    """While active, Ctrl-C raises KeyboardInterrupt as usual and also arms a watchdog: unless the
    command has ended by then, leaving no worker thread behind, the process exits with status 130
    :data:`INTERRUPT_GRACE` seconds later. Compiled loops in worker threads (numba) ignore Ctrl-C and
    the thread pools wait for them. The event yielded is set by the caller once it has reported the
    interruption, so that it is reported once. Only in the main thread, where signals arrive."""
    reported, finished = threading.Event(), threading.Event()
    if not active or threading.current_thread() is not threading.main_thread():
        yield reported
        return

    def watchdog() -> None:
        if not finished.wait(INTERRUPT_GRACE):
            if not reported.is_set():
                sys.stderr.write(_interrupted(prog) + "\n")
                sys.stderr.flush()
            os._exit(130)

    def on_interrupt(signum: int, frame: object) -> None:
        threading.Thread(target=watchdog, daemon=True).start()
        raise KeyboardInterrupt

    def unraisable(report: sys.UnraisableHookArgs) -> None:
        # Ctrl-C inside a C callback (numba compiling) cannot propagate: the watchdog ends the run
        if report.exc_type is not None and issubclass(report.exc_type, KeyboardInterrupt):
            return
        previous_hook(report)

    previous, previous_hook = signal.signal(signal.SIGINT, on_interrupt), sys.unraisablehook
    sys.unraisablehook = unraisable
    try:
        yield reported
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = previous_hook
        main = threading.main_thread()
        if not any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()):
            finished.set()


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

    for module in (reproduce, capacity, glm, online, erm, wirg, ising, rbm, pca_rg, mixture, dmft):
        module.add_parser(commands)
    return parser
