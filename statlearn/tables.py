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

__all__ = ["write_csv"]


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
    ValueError
        If ``table`` is empty, a column is not one-dimensional, or the columns differ in length.
    """
    if not table:
        raise ValueError("table has no columns")
    columns = {name: np.asarray(values) for name, values in table.items()}
    lengths = set()
    for name, column in columns.items():
        if column.ndim != 1:
            raise ValueError(f"table column {name!r} must be one-dimensional, got shape {column.shape}")
        lengths.add(len(column))
    if len(lengths) != 1:
        raise ValueError(f"table columns must have the same length, got lengths {sorted(lengths)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(zip(*(column.tolist() for column in columns.values())))
    return path
