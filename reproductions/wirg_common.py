"""Pieces shared by the WIRG reproductions (`wirg-gaussian`, `wirg-phi4`)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["loglog_slope"]


def loglog_slope(x: Any, y: Any) -> float:
    r"""The least-squares slope :math:`a` of :math:`\ln y = a\ln x + b` over the points with finite
    :math:`y > 0` (NaN if fewer than two): the exponent of :math:`y \propto x^a`."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(y) & (y > 0)
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0]) if keep.sum() >= 2 else float("nan")
