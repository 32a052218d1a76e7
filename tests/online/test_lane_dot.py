"""The vector dot product of the SGD kernel: the documented order of summation, bit for bit."""

import numpy as np
import pytest
from numba import njit

from statlearn.online.lane_dot import LANE_WIDTH, dot_prefix


@njit
def call(a, offset, b, n):
    return dot_prefix(a, offset, b, n)


def reference(a, b):
    """The lanes of the module docstring in plain Python floats: lane i mod 8, pairwise, then the tail."""
    n = len(a)
    whole = n - n % LANE_WIDTH
    lanes = [0.0] * LANE_WIDTH
    for i in range(whole):
        lanes[i % LANE_WIDTH] += a[i] * b[i]
    tail = 0.0
    for i in range(whole, n):
        tail += a[i] * b[i]
    while len(lanes) > 1:
        lanes = [lanes[2 * k] + lanes[2 * k + 1] for k in range(len(lanes) // 2)]
    return lanes[0] + tail


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 63, 1000, 1003])
def test_dot_follows_the_documented_order_bit_for_bit(n):
    rng = np.random.default_rng(n)
    a, b = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n), rng.standard_normal(n)
    assert call(a, 0, b, n) == reference(list(a), list(b))
    if n:
        assert call(a, 0, b, n) == pytest.approx(
            float(np.dot(a, b)), rel=1e-12, abs=1e-300 + 1e-12 * np.abs(a * b).sum()
        )


def test_rows_of_a_matrix_by_offset_and_a_prefix_of_b():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 21))
    x = rng.standard_normal(32)  # longer than a row: only the first 21 entries count
    for j in range(3):
        assert call(W, j * 21, x, 21) == reference(list(W[j]), list(x[:21]))
