"""Binary perceptron: exact enumeration against plain brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from statlearn.experiments import MAX_ENUMERATION_N, binary_max_margin, count_binary_solutions


def _brute_force_margins(z: np.ndarray) -> np.ndarray:
    """min_mu z^mu.w / sqrt(N) for every w in {-1,+1}^N, by itertools and numpy."""
    N = z.shape[1]
    weights = np.array(list(itertools.product((-1.0, 1.0), repeat=N)))
    return np.min(z @ weights.T, axis=0) / np.sqrt(N)


@pytest.mark.parametrize("N", [1, 2, 3, 5, 8, 11, 12])
def test_enumeration_matches_brute_force(N):
    rng = np.random.default_rng(100 + N)
    for P in sorted({1, 2, max(1, N // 2), N, 2 * N}):
        z = rng.standard_normal((P, N))
        margins = _brute_force_margins(z)
        assert binary_max_margin(z) == pytest.approx(margins.max(), abs=1e-12)
        for kappa in (-0.4, 0.0, 0.1, 0.5):
            assert count_binary_solutions(z, kappa=kappa) == np.sum(margins > kappa)
            solvable = binary_max_margin(z, stop_above=kappa) > kappa
            assert solvable == bool(np.any(margins > kappa))


def test_early_exit_returns_a_solution_margin():
    rng = np.random.default_rng(7)
    z = rng.standard_normal((5, 10))
    margins = _brute_force_margins(z)
    found = binary_max_margin(z, stop_above=0.0)
    assert found > 0.0
    assert np.min(np.abs(margins - found)) < 1e-12  # the margin of an actual weight vector


def test_mirror_symmetry_of_counts():
    # at kappa = -inf-like thresholds every w counts; the total is 2^N
    rng = np.random.default_rng(8)
    z = rng.standard_normal((4, 9))
    assert count_binary_solutions(z, kappa=-1e6) == 2**9
    # flipping all labels maps solutions w -> -w: same count
    assert count_binary_solutions(-z, kappa=0.2) == count_binary_solutions(z, kappa=0.2)


def test_validation():
    with pytest.raises(ValueError, match="N"):
        binary_max_margin(np.ones((1, MAX_ENUMERATION_N + 1)))
    with pytest.raises(ValueError, match="N"):
        count_binary_solutions(np.ones((1, MAX_ENUMERATION_N + 1)))
    with pytest.raises(ValueError, match="kappa"):
        count_binary_solutions(np.ones((2, 3)), kappa=np.nan)
    with pytest.raises(ValueError, match="stop_above"):
        binary_max_margin(np.ones((2, 3)), stop_above=np.nan)
    with pytest.raises(ValueError, match="patterns"):
        binary_max_margin(np.ones(4))
