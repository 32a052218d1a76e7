"""States of one saddle point that stack into curves: the shared ``stack`` and ``table`` of the ERM states.

A solver's state is a frozen dataclass with scalar fields at one point (``alpha``, a penalty, overlaps,
errors) and the solver fields ``converged``, ``iterations``, ``residual``, ``message``. A curve is the same
dataclass with one-dimensional array fields, one entry per point, and one message for the whole curve.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

import numpy as np

from statlearn.numerics.result import freeze_arrays

__all__ = ["CurveState"]

S = TypeVar("S", bound="CurveState")


class CurveState:
    """Mixin for the frozen dataclass of one saddle point (or a curve of them).

    ``POINT`` names the fields that locate a point, quoted in a curve's message where a point did not
    converge. Arrays are frozen (read-only) on construction.
    """

    POINT: tuple[str, ...] = ("alpha",)
    converged: Any
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @classmethod
    def stack(cls: type[S], points: list[S]) -> S:
        """One state with array fields from the points of a curve (in order)."""
        names = [f.name for f in fields(cls) if f.name != "message"]  # type: ignore[arg-type]
        columns: dict[str, Any] = {name: np.array([getattr(p, name) for p in points]) for name in names}
        bad = [p for p in points if not p.converged]
        if bad:
            where = ", ".join(f"{name}={getattr(bad[0], name):g}" for name in cls.POINT)
            message = f"not converged at {len(bad)} of {len(points)} points; first ({where}): {bad[0].message}"
        else:
            message = f"converged at all {len(points)} points"
        return cls(**columns, message=message)  # type: ignore[call-arg]

    def table(self) -> dict[str, np.ndarray]:
        """The numeric fields as one-dimensional columns (one row per point), for
        :func:`statlearn.tables.write_csv`."""
        return {f.name: np.atleast_1d(getattr(self, f.name)) for f in fields(self) if f.name != "message"}  # type: ignore[arg-type]

    def rows(self) -> list[dict[str, float]]:
        """The table as one dict per point."""
        table = self.table()
        return [{k: v[i].item() for k, v in table.items()} for i in range(len(table[self.POINT[0]]))]
