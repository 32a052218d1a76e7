"""Shared pieces of the online-SGD reproductions: the simulation sweep worker and its CSV rows.

Every simulation starts from weights built with *exactly* the initial overlaps the ODE starts
from (``online_sgd(..., init=Overlaps)``), so theory and experiment differ only by the finite-N
fluctuations of SGD; the checks are :func:`statlearn.reproductions.comparison.compare` (extrapolation of
the discrepancy in 1/N).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from statlearn.online import Overlaps, online_sgd
from statlearn.reproductions.comparison import mean_stderr

__all__ = ["add_curve_rows", "stacked", "sgd_point", "overlaps_dict", "as_overlaps"]


def add_curve_rows(
    rows: dict[str, list],
    fixed: Mapping[str, Any],
    times: np.ndarray,
    sims: Mapping[int, np.ndarray],
    theory: np.ndarray,
) -> None:
    """Append one CSV row per (N, time): the ``fixed`` columns, N, alpha, SGD mean and stderr, ODE."""
    for N, samples in sims.items():
        mean, se = mean_stderr(samples)
        columns = {
            **{k: [v] * times.size for k, v in fixed.items()},
            "N": [N] * times.size,
            "alpha": times,
            "eps_g_sgd": mean,
            "eps_g_sgd_se": se,
            "eps_g_ode": theory,
        }
        for key, col in columns.items():
            rows.setdefault(key, []).extend(np.asarray(col).tolist())


def stacked(table: Mapping[str, np.ndarray], key: str, mask: np.ndarray) -> np.ndarray:
    """The rows of ``table[key]`` selected by ``mask`` as one float array (the column may be ragged
    across the whole table, e.g. different time grids or unit counts, but not within the mask)."""
    return np.array([np.asarray(row, dtype=float) for row in table[key][mask]])


def overlaps_dict(state: Overlaps) -> dict[str, Any]:
    """JSON form of initial overlaps (a sweep point must be JSON-serialisable)."""
    return {
        "R": state.R.tolist(),
        "Q": state.Q.tolist(),
        "T": state.T.tolist(),
        "v": state.v.tolist(),
        "v_star": state.v_star.tolist(),
    }


def as_overlaps(init: Mapping[str, Any]) -> Overlaps:
    return Overlaps.checked(init["R"], init["Q"], init["T"], init["v"], init["v_star"])


def sgd_point(
    K: int,
    M: int,
    eta: float,
    N: int,
    seed: int,
    times: list,
    init: dict,
    sigma: float = 0.0,
    train_second_layer: bool = False,
) -> dict[str, Any]:
    """One online-SGD run (sweep worker): eps_g, R, Q, v at ``times``; NaN after a blow-up."""
    traj = online_sgd(
        K,
        M,
        eta,
        N,
        np.asarray(times, dtype=float),
        seed=seed,
        init=as_overlaps(init),
        sigma=sigma,
        train_second_layer=train_second_layer,
    )
    n = len(times)

    def padded(a: np.ndarray) -> list:
        out = np.full((n,) + a.shape[1:], np.nan)
        out[: a.shape[0]] = a
        return out.tolist()

    return {
        "eps_g": padded(traj.generalization_error),
        "R": padded(traj.R),
        "Q": padded(traj.Q),
        "v": padded(traj.v),
        "diverged": bool(traj.diverged),
    }
