"""The compiled fields and gradient step against plain numpy."""

import math

import numpy as np

from statlearn.online.descent_kernel import batch_fields, descent_step


def test_fields_and_step_agree_with_numpy():
    # sizes off the 8-lane and 5-slot multiples; agreement to rounding (relative 1e-13 of the sums'
    # scale: d = 37 terms of order 1, each product rounded once)
    rng = np.random.default_rng(5)
    X, w, slope = rng.standard_normal((23, 37)), rng.standard_normal(37), rng.standard_normal(23)
    mask = rng.random(23) < 0.5
    np.testing.assert_allclose(batch_fields(X, w), X @ w / math.sqrt(37), rtol=0, atol=1e-13)
    expected = (1 - 0.3 * 0.1) * w - 0.3 / math.sqrt(37) * (X.T @ np.where(mask, slope, 0.0))
    np.testing.assert_allclose(descent_step(w, X, slope, eta=0.3, lam=0.1, mask=mask), expected, rtol=0, atol=1e-13)
    full = (1 - 0.3 * 0.1) * w - 0.3 / math.sqrt(37) * (X.T @ slope)
    np.testing.assert_allclose(descent_step(w, X, slope, eta=0.3, lam=0.1), full, rtol=0, atol=1e-13)


def test_masked_samples_leave_the_step_unchanged_and_inputs_are_not_modified():
    rng = np.random.default_rng(6)
    X, w, slope = rng.standard_normal((10, 16)), rng.standard_normal(16), rng.standard_normal(10)
    kept = np.arange(10) < 4
    copies = X.copy(), w.copy(), slope.copy()
    # the first four samples alone, as a batch of four, give the same weights bit for bit
    np.testing.assert_array_equal(
        descent_step(w, X, slope, eta=0.2, lam=0.0, mask=kept), descent_step(w, X[:4], slope[:4], eta=0.2, lam=0.0)
    )
    for before, after in zip(copies, (X, w, slope)):
        np.testing.assert_array_equal(before, after)
