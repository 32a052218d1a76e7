"""Solvable fractions on a grid of loads: Cover's theorem, consistency, seeding, validation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from statlearn.experiments import binary_capacity_counts, spherical_capacity_counts


def test_cover_theorem():
    N, n = 10, 4000
    counts = spherical_capacity_counts([1.5, 2.0, 2.5], N=N, n_samples=n, seed=1965)
    assert counts.P.tolist() == [15, 20, 25]
    assert counts.n_undecided.sum() == 0
    for P, k in zip(counts.P, counts.n_solvable[:, 0]):
        exact = 2.0 ** (1 - P) * sum(math.comb(int(P) - 1, j) for j in range(N))
        assert abs(k / n - exact) <= 4.0 * math.sqrt(exact * (1 - exact) / n), (P, k / n, exact)


def test_margins_share_instances():
    counts = spherical_capacity_counts([0.5, 1.0, 1.5], N=20, kappa=[0.0, 0.3, 0.6, 1.0], n_samples=60, seed=2)
    # one maximal margin per instance answers every kappa: counts cannot increase with kappa
    assert np.all(np.diff(counts.n_solvable, axis=1) <= 0)
    assert counts.n_solvable[0, 0] == 60  # P = 10 < N: always separable


def test_binary_counts_match_brute_force_on_the_same_instances():
    N, kappas, n = 8, np.array([-0.2, 0.0, 0.3]), 40
    counts = binary_capacity_counts([0.5, 0.875, 1.25], N=N, kappa=kappas, n_samples=n, seed=9)
    weights = np.array(list(itertools.product((-1.0, 1.0), repeat=N)))
    for row, P in enumerate(counts.P):
        rng = np.random.default_rng([9, N, int(P)])  # the documented seeding rule
        best = np.array([np.max(np.min(rng.standard_normal((P, N)) @ weights.T, axis=0)) for _ in range(n)])
        expected = [np.sum(best / np.sqrt(N) > kappa) for kappa in kappas]
        assert counts.n_solvable[row].tolist() == expected
    assert counts.n_undecided.sum() == 0


def test_reproducible_and_grid_independent():
    a = spherical_capacity_counts([1.8, 2.0, 2.2], N=15, kappa=[0.0, 0.1], n_samples=50, seed=4)
    b = spherical_capacity_counts([1.8, 2.0, 2.2], N=15, kappa=[0.0, 0.1], n_samples=50, seed=4)
    np.testing.assert_array_equal(a.n_solvable, b.n_solvable)
    alone = spherical_capacity_counts(2.0, N=15, kappa=[0.0, 0.1], n_samples=50, seed=4)
    np.testing.assert_array_equal(alone.n_solvable[0], a.n_solvable[1])
    other = spherical_capacity_counts([1.8, 2.0, 2.2], N=15, kappa=[0.0, 0.1], n_samples=50, seed=5)
    assert not np.array_equal(other.n_solvable, a.n_solvable)
    c = binary_capacity_counts([0.6, 0.8, 1.0], N=12, n_samples=30, seed=4)
    d = binary_capacity_counts([0.6, 0.8, 1.0], N=12, n_samples=30, seed=4)
    np.testing.assert_array_equal(c.n_solvable, d.n_solvable)


def test_table_columns():
    counts = spherical_capacity_counts([1.0, 2.0], N=10, kappa=[0.0, 0.5, 1.0], n_samples=20, seed=0)
    table = counts.table()
    assert {len(column) for column in table.values()} == {6}
    np.testing.assert_array_equal(table["fraction"], counts.fraction.ravel())
    assert table["alpha"].tolist() == [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    assert table["kappa"].tolist() == [0.0, 0.5, 1.0] * 2


@pytest.mark.parametrize("function", [spherical_capacity_counts, binary_capacity_counts])
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"alpha": -1.0}, "alpha"),
        ({"alpha": np.nan}, "alpha"),
        ({"alpha": [1.0, 1.01]}, "alpha"),  # same P at N = 10
        ({"alpha": 0.01}, "alpha"),  # no pattern
        ({"N": 0}, "N"),
        ({"kappa": np.nan}, "kappa"),
        ({"n_samples": 0}, "n_samples"),
        ({"seed": -1}, "seed"),
    ],
)
def test_validation(function, kwargs, name):
    arguments = {"alpha": 1.0, "N": 10, "n_samples": 2, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=name):
        function(**arguments)


def test_validation_specific():
    with pytest.raises(ValueError, match="kappa"):
        spherical_capacity_counts(1.0, N=10, kappa=-0.1, n_samples=2, seed=0)
    with pytest.raises(ValueError, match="tol"):
        spherical_capacity_counts(1.0, N=10, n_samples=2, seed=0, tol=0.0)
    with pytest.raises(ValueError, match="N"):
        binary_capacity_counts(0.5, N=31, n_samples=1, seed=0)
    assert binary_capacity_counts(0.5, N=10, kappa=-0.5, n_samples=5, seed=0).n_solvable[0, 0] == 5
