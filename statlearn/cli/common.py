"""Helpers shared by the subcommands of ``statlearn``: argument types (numbers, grids), JSON-safe
floats, the aligned text table and the writing of ``--csv``/``--plot`` files.

Every subcommand module imports from here, never from :mod:`statlearn.cli.command`, so the
package has no import cycle.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping

__all__ = [
    "alpha_grid",
    "nonnegative_float",
    "number",
    "plain_float",
    "positive_float",
    "positive_int",
    "print_table",
    "write_outputs",
]


def write_outputs(args: argparse.Namespace, columns: dict, plot: Callable[[argparse.Namespace, dict], None]) -> None:
    """Write ``columns`` to ``args.csv`` and call ``plot(args, columns)`` for ``args.plot`` when
    given; a file that cannot be written is a usage error naming the option."""
    if args.csv is not None:
        from statlearn.sweep import write_csv

        try:
            write_csv(columns, args.csv)
        except OSError as exc:
            args.parser.error(f"argument --csv: cannot write {str(args.csv)!r}: {exc.strerror or exc}")
    if args.plot is not None:
        try:
            plot(args, columns)
        except OSError as exc:
            args.parser.error(f"argument --plot: cannot write {str(args.plot)!r}: {exc.strerror or exc}")


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
        count = math.floor((stop - start) / step * (1 + 1e-9) + 1e-9) + 1
        if count > 100_000:
            raise argparse.ArgumentTypeError(f"the grid {text!r} has {count} points, more than 100000")
        values = [round(start + k * step, 12) for k in range(count)]
    else:
        items = text.split(",")
        if any(not item.strip() for item in items):
            raise argparse.ArgumentTypeError(f"empty entry in the list {text!r}")
        values = [number(item) for item in items]
    negative = [v for v in values if v < 0]
    if negative:
        raise argparse.ArgumentTypeError(f"alpha must be >= 0, got {negative[0]:g}")
    return tuple(values)


def plain_float(value: float | None) -> float | None:
    """A JSON-safe float: None for a missing or non-finite value."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def nonnegative_float(text: str) -> float:
    value = number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text!r}")
    return value


def print_table(
    columns: Mapping[str, object], headings: Mapping[str, str] | None = None, digits: Mapping[str, int] | None = None
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
