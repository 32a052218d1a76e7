"""Helpers shared by the subcommands of ``statlearn``: the parser class (one-line usage errors),
argument types (numbers, bounded numbers, seeds, grids, output files), JSON-safe values, the aligned
text table and the writing of ``--csv``/``--plot`` files.

Every argument type checks its value when the command line is parsed, so a bad value is refused
with ``statlearn CMD: error: argument --OPTION: ...`` and exit status 2 before any computation.

Every subcommand module imports from here, never from :mod:`statlearn.cli.command`, so the
package has no import cycle.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar

__all__ = [
    "Parser",
    "alpha_grid",
    "bounded_float",
    "bounded_int",
    "json_value",
    "log_grid",
    "number",
    "output_file",
    "positive_float",
    "positive_int",
    "print_table",
    "seed",
    "write_outputs",
]


def write_outputs(args: argparse.Namespace, columns: dict, plot: Callable[[argparse.Namespace, dict], None]) -> None:
    """Write ``columns`` to ``args.csv`` and call ``plot(args, columns)`` for ``args.plot`` when
    given; a file that cannot be written is a usage error naming the option."""
    if args.csv is not None:
        from statlearn.tables import write_csv

        try:
            write_csv(columns, args.csv)
        except OSError as exc:
            args.parser.error(f"argument --csv: cannot write {str(args.csv)!r}: {exc.strerror or exc}")
    if args.plot is not None:
        try:
            plot(args, columns)
        except OSError as exc:
            args.parser.error(f"argument --plot: cannot write {str(args.plot)!r}: {exc.strerror or exc}")


T = TypeVar("T", int, float)

MAX_GRID_POINTS = 100_000
"""The most points a grid option may hold."""


class Parser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose usage errors are one line on stderr and exit status 2:
    ``statlearn CMD: error: MESSAGE (see 'statlearn CMD --help')``. Subparsers inherit the class."""

    def parse_known_args(self, args=None, namespace=None):
        # argparse takes the value of "--option=--" for its "--" separator and passes no value at all
        for arg in sys.argv[1:] if args is None else args:
            if arg == "--":
                break
            if arg.startswith("--") and arg.endswith("=--"):
                self.error(f"argument {arg[:-3]}: expected one value, got '--'")
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        line = " ".join(str(message).split())
        self.exit(2, f"{self.prog}: error: {line} (see '{self.prog} --help')\n")


def alpha_grid(text: str) -> tuple[float, ...]:
    """``START:STOP:STEP`` (STOP included if on the grid up to rounding), a number or a comma list."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise argparse.ArgumentTypeError(f"expected START:STOP:STEP, got {text!r}")
        start, stop, step = (number(part) for part in parts)
        if step <= 0:
            raise argparse.ArgumentTypeError(f"STEP must be > 0, got {text!r}")
        if stop < start:
            raise argparse.ArgumentTypeError(f"STOP must be >= START, got {text!r}")
        intervals = (stop - start) / step * (1 + 1e-9) + 1e-9
        if not intervals < MAX_GRID_POINTS:  # also catches an overflow to inf
            raise argparse.ArgumentTypeError(f"the grid {text!r} has more than {MAX_GRID_POINTS} points")
        count = math.floor(intervals) + 1
        values = [round(start + k * step, 12) for k in range(count)]
    else:
        items = text.split(",")
        if any(not item.strip() for item in items):
            raise argparse.ArgumentTypeError(f"empty entry in the list {text!r}")
        values = [number(item) for item in items]
        if len(values) > MAX_GRID_POINTS:
            raise argparse.ArgumentTypeError(f"the list has {len(values)} points, more than {MAX_GRID_POINTS}")
    negative = [v for v in values if v < 0]
    if negative:
        raise argparse.ArgumentTypeError(f"alpha must be >= 0, got {negative[0]:g}")
    return tuple(values)


def bounded_float(low: float, high: float, *, low_open: bool = False, why: str = "") -> Callable[[str], float]:
    """An argument type: a finite number in ``[low, high]`` (``(low, high]`` with ``low_open``).

    ``why`` is appended to the message for a value above ``high``: say what goes wrong there.
    """
    return _bounded(number, "number", low, high, low_open=low_open, why=why)


def bounded_int(low: int, high: int, *, why: str = "") -> Callable[[str], int]:
    """An argument type: an integer in ``[low, high]``; ``why`` is appended to the message for a value
    above ``high``."""
    return _bounded(_integer, "integer", low, high, low_open=False, why=why)


def _bounded(parse: Callable[[str], T], kind: str, low: T, high: T, *, low_open: bool, why: str) -> Callable[[str], T]:
    def show(value: T) -> str:
        return f"{value:g}" if isinstance(value, float) else str(value)

    def convert(text: str) -> T:
        value = parse(text)
        if value < low or (low_open and value == low):
            raise argparse.ArgumentTypeError(f"must be {'>' if low_open else '>='} {show(low)}, got {text!r}")
        if value > high:
            reason = f" ({why})" if why else ""
            raise argparse.ArgumentTypeError(f"must be <= {show(high)}{reason}, got {text!r}")
        return value

    convert.__name__ = f"{kind} in {'(' if low_open else '['}{show(low)}, {show(high)}]"
    return convert


def seed(text: str) -> int:
    """An argument type: an integer seed in [0, 2**63), as :func:`statlearn.numerics.seeding.check_seed` takes."""
    from statlearn.numerics.seeding import SEED_LIMIT

    return bounded_int(0, SEED_LIMIT - 1, why="a seed fits a signed 64-bit integer")(text)


def output_file(suffix: str | None = None) -> Callable[[str], Path]:
    """An argument type: a file the command can write (its folder is created if missing), with the
    given ``suffix`` (e.g. ``".png"``) when one is asked for. Checked when the command line is parsed,
    before any computation."""

    def convert(text: str) -> Path:
        path = Path(text)
        if suffix is not None and path.suffix.lower() != suffix:
            raise argparse.ArgumentTypeError(f"the file must end in {suffix}, got {text!r}")
        if not text or path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
        if path.exists():
            if not os.access(path, os.W_OK):
                raise argparse.ArgumentTypeError(f"cannot write {text!r}: permission denied")
            return path
        folder = path.absolute().parent
        while not folder.exists():
            folder = folder.parent
        if not folder.is_dir():
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: {str(folder)!r} is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise argparse.ArgumentTypeError(f"cannot write {text!r}: {str(folder)!r} is not writable")
        return path

    convert.__name__ = f"{suffix or ''} file"
    return convert


def log_grid(text: str, *, high: float = math.inf) -> tuple[float, ...]:
    """``START:STOP:NUM`` (NUM log-spaced points, both ends included), a number, or a comma list;
    every value in ``(0, high]``."""
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise argparse.ArgumentTypeError(f"expected START:STOP:NUM, got {text!r}")
        start, stop = number(parts[0]), number(parts[1])
        num = positive_int(parts[2])
        if not 0 < start <= stop:
            raise argparse.ArgumentTypeError(f"need 0 < START <= STOP, got {text!r}")
        if stop > high:
            raise argparse.ArgumentTypeError(f"values must be <= {high:g}, got {text!r}")
        if num > MAX_GRID_POINTS:
            raise argparse.ArgumentTypeError(f"the grid {text!r} has more than {MAX_GRID_POINTS} points")
        if num == 1:
            return (start,)
        ratio = math.log(stop / start) / (num - 1)
        return tuple(start * math.exp(k * ratio) for k in range(num - 1)) + (stop,)
    items = text.split(",")
    if any(not item.strip() for item in items):
        raise argparse.ArgumentTypeError(f"empty entry in the list {text!r}")
    if len(items) > MAX_GRID_POINTS:
        raise argparse.ArgumentTypeError(f"the list has {len(items)} points, more than {MAX_GRID_POINTS}")
    values = tuple(number(item) for item in items)
    if any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"values must be > 0, got {text!r}")
    if any(v > high for v in values):
        raise argparse.ArgumentTypeError(f"values must be <= {high:g}, got {text!r}")
    return values


def json_value(value: object) -> object:
    """A JSON-safe scalar: None and strings as they are, booleans and integers (numpy's too) as Python
    ones, a float as a float or None when it is not finite."""
    import numpy as np

    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    x = float(value)  # type: ignore[arg-type]
    return x if math.isfinite(x) else None


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def print_table(
    columns: Mapping[str, Iterable[Any]],
    headings: Mapping[str, str] | None = None,
    digits: Mapping[str, int] | None = None,
) -> None:
    """Print ``columns`` (name -> 1-D sequence) as a right-aligned text table.

    Numbers are shown with ``digits[name]`` significant digits (default 6), booleans as yes/no;
    ``headings`` maps a column name to its heading (default: the name).
    """
    import numpy as np

    headings = headings or {}
    digits = digits or {}
    cells = [
        [
            ("yes" if value else "no") if isinstance(value, bool | np.bool_) else f"{value:.{digits.get(name, 6)}g}"
            for value in column
        ]
        for name, column in columns.items()
    ]
    titles = [headings.get(name, name) for name in columns]
    widths = [max(len(title), *map(len, col)) for title, col in zip(titles, cells)]
    print("  ".join(f"{title:>{width}}" for title, width in zip(titles, widths)))
    for row in zip(*cells):
        print("  ".join(f"{cell:>{width}}" for cell, width in zip(row, widths)))
