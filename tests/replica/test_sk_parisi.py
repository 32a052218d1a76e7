"""Finite-temperature full-RSB Parisi solution of SK: exact limits, thermodynamic identities, Guerra's ordering
against k-RSB and RS above the AT line (its exact gradient is tested with the T = 0 one in test_sk.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from statlearn.numerics.result import SolverResult
from statlearn.replica import sk


@pytest.mark.parametrize("T", [1.0, 1.3])
def test_paramagnet_is_exact(T: float) -> None:
    r = sk.parisi(T, intervals=6)
    assert isinstance(r, SolverResult) and r.converged
    assert np.all(r.x == 1.0) and r.q_max == 0.0
    assert r.free_energy == pytest.approx(-T * math.log(2) - 1 / (4 * T), abs=1e-11)
    assert r.energy == pytest.approx(-1 / (2 * T), abs=1e-7)
    assert r.entropy == pytest.approx(math.log(2) - 1 / (4 * T**2), abs=1e-6)


def test_energy_is_beta_derivative_of_beta_f() -> None:
    T, d, n = 0.6, 2e-3, 8
    r = sk.parisi(T, intervals=n)
    bf = lambda beta: beta * sk.parisi(1 / beta, intervals=n).free_energy  # noqa: E731
    assert r.energy == pytest.approx((bf(1 / T + d) - bf(1 / T - d)) / (2 * d), abs=2e-5)
    assert r.entropy == pytest.approx((r.energy - r.free_energy) / T, abs=1e-12)


def test_full_rsb_beats_one_step_and_is_broad() -> None:
    T = 0.5
    r, one = sk.parisi(T, intervals=12), sk.rsb(T, steps=1)
    # Guerra: every admissible x bounds f from below; the many-interval x is the better (higher) bound
    assert r.free_energy > one.free_energy
    assert r.free_energy - one.free_energy < 1e-4
    assert np.all(np.diff(r.x) >= 0) and r.x[0] > 0 and r.x[-1] == 1.0
    assert 0.0 == r.q_min < one.q[0] < one.q[1] < r.q_max < r.q[-1] <= 1.0


def test_replica_symmetric_above_the_at_line() -> None:
    T, h = 0.8, 0.6
    assert T > sk.at_line(h)
    r, rs = sk.parisi(T, h, intervals=10), sk.replica_symmetric(T, h)
    spacing = r.q[1] - r.q[0]
    assert abs(r.q_min - rs.q) <= spacing and abs(r.q_max - rs.q) <= spacing
    assert r.free_energy == pytest.approx(rs.free_energy, abs=1e-4)
    assert r.magnetization == pytest.approx(rs.magnetization, abs=1e-3)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: sk.parisi(0.0), "T"),
        (lambda: sk.parisi(0.01), "T"),
        (lambda: sk.parisi(float("nan")), "T"),
        (lambda: sk.parisi(0.5, h=float("inf")), "h"),
        (lambda: sk.parisi(0.5, intervals=1), "intervals"),
        (lambda: sk.parisi(0.5, intervals=2.5), "intervals"),  # type: ignore[arg-type]
    ],
)
def test_bad_input(call, name: str) -> None:
    with pytest.raises((ValueError, TypeError), match=name):
        call()
