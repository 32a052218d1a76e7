"""Tables of results (a dict of equally long one-dimensional columns) and their CSV form.

A learning curve, a sweep or a reproduction's data is such a table; :func:`write_csv` is the one writer
every part of the package uses.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["writable_path", "write_csv"]


def writable_path(path: str | os.PathLike[str], name: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path` where a file can be created, checked before any work.

    Parameters
    ----------
    path
        The file to be written.
    name
        The parameter's name, for the error messages.

    Raises
    ------
    TypeError
        If ``path`` is not a string or path.
    ValueError
        If it is empty, holds a NUL character, is an existing folder, or lies under an existing file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path, got {type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str) or text in ("", ".") or "\0" in text:
        raise ValueError(f"{name} must be the path of a file, got {text!r}")
    path = Path(text)
    if path.is_dir():
        raise ValueError(f"{name} {path} is a folder, not a file")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{name} {path} cannot be created: {parent} is a file, not a folder")
            break
    return path


def write_csv(table: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a table (a dict of equally long one-dimensional columns) to a CSV file.

    Parameters
    ----------
    table
        Column name -> one-dimensional sequence, e.g. the return value of :func:`sweep`.
    path
        Destination file; its parent folder is created if needed.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If ``table`` is not a mapping, a column name is not a string, or ``path`` is not a path.
    ValueError
        If ``table`` is empty, a column is not one-dimensional, or the columns differ in length,
        or ``path`` is a folder or lies under a file.
    OSError
        If the file cannot be written (e.g. a full disk): a file already at ``path`` is left as it
        was, since the table is written to a temporary file that replaces it only when complete.
    """
    if not isinstance(table, Mapping):
        raise TypeError(f"table must be a mapping column name -> values, got {type(table).__name__}")
    if not table:
        raise ValueError("table has no columns")
    columns = {}
    for name, values in table.items():
        if not isinstance(name, str):
            raise TypeError(f"table column names must be strings, got {name!r}")
        try:
            columns[name] = np.asarray(values)
        except ValueError:  # ragged nested sequences
            raise ValueError(
                f"table column {name!r} must be one-dimensional, got nested values of different lengths"
            ) from None
    lengths = set()
    for name, column in columns.items():
        if column.ndim != 1:
            raise ValueError(f"table column {name!r} must be one-dimensional, got shape {column.shape}")
        lengths.add(len(column))
    if len(lengths) != 1:
        raise ValueError(f"table columns must have the same length, got lengths {sorted(lengths)}")
    path = writable_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    try:
        with temporary.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows(zip(*(column.tolist() for column in columns.values())))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
