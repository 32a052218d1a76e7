"""The vector dot products of the SGD kernel: the documented order of summation, bit for bit."""

import numpy as np
import pytest
from numba import njit

from statlearn.online.lane_dot import LANE_WIDTH, SLOTS, dot_rows, scale_add_row


@njit
def call(a, first, b, n):
    return dot_rows(a, first, b, n)


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
    dots = call(a[None, :], 0, b, n)
    assert dots[0] == reference(list(a), list(b))
    assert all(dot == reference(list(b), list(b)) for dot in dots[1:])  # slots past the rows: b . b
    if n:
        assert dots[0] == pytest.approx(float(np.dot(a, b)), rel=1e-12, abs=1e-300 + 1e-12 * np.abs(a * b).sum())


@pytest.mark.parametrize("rows, first", [(3, 0), (4, 0), (7, 0), (7, 5)])
def test_rows_of_a_matrix_and_a_prefix_of_b(rows, first):
    rng = np.random.default_rng(rows)
    W = rng.standard_normal((rows, 21))
    x = rng.standard_normal(32)  # longer than a row: only the first 21 entries count
    dots = call(W, first, x, 21)
    assert len(dots) == SLOTS
    for s, dot in enumerate(dots):
        row = W[first + s] if first + s < rows else x[:21]
        assert dot == reference(list(row), list(x[:21]))


@njit
def update(a, row, d, c, b, n):
    scale_add_row(a, row, d, c, b, n)


@pytest.mark.parametrize("n", [0, 5, 8, 1000, 1003])
def test_scale_add_row_rounds_each_element_as_written(n):
    rng = np.random.default_rng(n)
    a, b = rng.standard_normal((3, max(n, 1) + 2)), rng.standard_normal(n + 4)
    expected = a.copy()
    expected[1, :n] = 0.999 * a[1, :n] + 0.37 * b[:n]  # numpy: two rounded products, then a rounded sum
    update(a, 1, 0.999, 0.37, b, n)
    assert np.array_equal(a, expected)
