"""Measurements of the Mehta-Schwab experiment (statlearn.rg.variational) on hand-made fields, blocks and units
whose answers are known exactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from statlearn.rbm import DBN, RBM
from statlearn.rg import (
    block_spin_correlation,
    block_spins,
    matching_block_size,
    periodic_centre,
    random_field_locality,
    receptive_field_locality,
)


def _columns(*images: np.ndarray) -> np.ndarray:
    """Images (L, L) as the columns of a receptive-field matrix (L^2, n_units)."""
    return np.stack([image.ravel() for image in images], axis=1)


def test_delta_field_is_local_at_radius_zero_with_ipr_one():
    L = 8
    image = np.zeros((L, L))
    image[3, 5] = -2.5
    local = receptive_field_locality(_columns(image), radius=0.0)
    assert local.fraction[0] == 1.0
    assert local.ipr[0] == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(local.centre[0], [3.0, 5.0], atol=1e-12)


@pytest.mark.parametrize("radius", [0.0, 1.0, 1.5, 2.0, 3.2])
def test_uniform_field_fraction_is_the_area_fraction(radius):
    L = 10
    local = receptive_field_locality(_columns(np.full((L, L), 0.3)), radius=radius)
    # the centre of a uniform field is the site (0, 0) by convention; count the torus sites within the radius
    d = np.minimum(np.arange(L), L - np.arange(L))
    inside = np.hypot(d[:, None], d[None, :]) <= radius
    assert local.fraction[0] == pytest.approx(inside.sum() / L**2, abs=1e-12)
    assert local.ipr[0] == pytest.approx(1.0 / L**2, rel=1e-12)


def test_centre_of_mass_across_the_periodic_boundary():
    L = 12
    image = np.zeros((L, L))
    image[0, 0] = image[L - 1, 0] = image[0, L - 1] = image[L - 1, L - 1] = 1.0  # a 2x2 block across both edges
    centre = periodic_centre(np.abs(image)[None])[0]
    np.testing.assert_allclose(np.minimum(np.abs(centre - L + 0.5), np.abs(centre + 0.5)), [0.0, 0.0], atol=1e-9)
    local = receptive_field_locality(_columns(image), radius=np.sqrt(0.5))
    assert local.fraction[0] == pytest.approx(1.0)  # all four sites at distance sqrt(2)/2 from the corner


def test_random_fields_are_not_local():
    """The reference: Gaussian fields spread their weight like a uniform field (fraction ~ area fraction)."""
    L, radius = 16, 2.0
    local = random_field_locality(L * L, 200, radius, seed=1)
    uniform = receptive_field_locality(_columns(np.ones((L, L))), radius).fraction[0]
    assert abs(np.median(local.fraction) - uniform) < 0.03
    assert np.median(local.ipr) == pytest.approx(3.0 / L**2, rel=0.15)  # <w^4> / <w^2>^2 = 3 for a Gaussian
    again = random_field_locality(L * L, 200, radius, seed=1)
    np.testing.assert_array_equal(local.fraction, again.fraction)


def test_majority_rule_on_hand_made_blocks():
    s = np.array(
        [
            [1, 1, -1, -1],
            [1, -1, -1, -1],
            [1, -1, 1, 1],
            [-1, -1, 1, -1],
        ],
        dtype=float,
    )
    blocks = block_spins(s[None], 2)
    np.testing.assert_array_equal(blocks[0], [[1, -1], [-1, 1]])
    np.testing.assert_array_equal(block_spins(s.reshape(1, 16), 4), [[[-1]]])  # 7 up, 9 down
    np.testing.assert_array_equal(block_spins(s[None], 1), s[None])


def test_ties_are_broken_reproducibly_per_seed_and_fairly():
    tied = np.tile(np.array([[1.0, -1.0], [-1.0, 1.0]]), (2000, 4, 4))  # every 2x2 block sums to 0
    a, b = block_spins(tied, 2, seed=7), block_spins(tied, 2, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, block_spins(tied, 2, seed=8))
    n = a.size
    assert abs((a == 1).mean() - 0.5) <= norm.ppf(1 - 1e-4) * 0.5 / np.sqrt(n)


def test_unit_equal_to_one_block_indicator_correlates_with_that_block():
    rng = np.random.default_rng(0)
    L, b = 8, 2
    spins = np.where(rng.random((500, L, L)) < 0.5, -1.0, 1.0)
    weights = np.zeros((L, L))
    weights[4:6, 2:4] = 1.0  # the block in row 2, column 1
    activity = np.sign(spins.reshape(500, -1) @ weights.ravel() + 0.5 * rng.standard_normal(500))[:, None]
    centre = receptive_field_locality(weights.reshape(-1, 1), radius=1.0).centre
    corr = block_spin_correlation(activity, spins, b, centres=centre, seed=1)
    # the unit and the block spin agree unless the block is tied (6 of 16 configurations), where they are
    # independent: rho = 10/16 exactly, estimated from 500 configurations
    assert abs(corr.max_abs[0] - 10 / 16) < 4.0 * np.sqrt((1 - (10 / 16) ** 2) / 500)
    np.testing.assert_array_equal(corr.best_block[0], [2, 1])
    assert corr.aligned[0]
    others = np.delete(np.abs(corr.correlation[0]), 2 * (L // b) + 1)
    assert others.max() < 4.0 / np.sqrt(500)  # independent blocks: |rho| ~ 1/sqrt(n)


def test_correlation_is_exact_for_the_block_spin_itself():
    rng = np.random.default_rng(3)
    spins = np.where(rng.random((300, 8, 8)) < 0.5, -1.0, 1.0)
    blocks = block_spins(spins, 4, seed=5)
    corr = block_spin_correlation(blocks.reshape(300, -1), spins, 4, seed=5)
    np.testing.assert_allclose(np.diag(corr.correlation), 1.0, atol=1e-12)
    np.testing.assert_array_equal(corr.best_block, [[0, 0], [0, 1], [1, 0], [1, 1]])


def test_matching_block_size():
    assert [matching_block_size(1600, n) for n in (400, 100, 25, 1600)] == [2, 4, 8, 1]
    with pytest.raises(ValueError, match="n_hidden"):
        matching_block_size(1600, 200)


def test_on_a_trained_stack_shapes_agree():
    rng = np.random.default_rng(0)
    x = (rng.random((60, 16)) < 0.5).astype(float)
    stack = DBN.train(x, [4], spins="01", epochs=1, seed=0, monitor=())
    fields = stack.receptive_fields(1)
    local = receptive_field_locality(fields, radius=matching_block_size(16, 4))
    assert local.fraction.shape == local.ipr.shape == (4,)
    activity = stack.layers[0].mean(stack.layers[0].hidden_field(x))
    corr = block_spin_correlation(activity, 2 * x - 1, 2, centres=local.centre)
    assert corr.correlation.shape == (4, 4) and corr.aligned.shape == (4,)
    assert isinstance(stack.layers[0], RBM)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: receptive_field_locality(np.ones((15, 2)), 1.0), "fields"),
        (lambda: receptive_field_locality(np.ones(16), 1.0), "fields"),
        (lambda: receptive_field_locality(np.ones((16, 2)), -1.0), "radius"),
        (lambda: block_spins(np.ones((2, 6, 6)), 4), "b"),
        (lambda: block_spins(np.ones((2, 6, 6)), 0), "b"),
        (lambda: block_spins(np.zeros((2, 4, 4)), 2), "spins"),
        (lambda: block_spins(np.ones((2, 4, 5)), 1), "spins"),
        (lambda: block_spin_correlation(np.ones((3, 2)), np.ones((4, 4, 4)), 2), "activity"),
        (lambda: block_spin_correlation(np.ones((4, 2)), np.ones((4, 4, 4)), 2, centres=np.ones((3, 2))), "centres"),
        (lambda: block_spin_correlation(np.ones((4, 1)), np.ones((4, 4, 4)), 2, centres=[[4.0, 0.0]]), "centres"),
        (lambda: random_field_locality(15, 2, 1.0), "n_visible"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()
