"""The compiled loss scalars for dynamics: derivatives by finite differences, the smoothed hinge's bound,
agreement with the vectorised losses of statlearn.models.losses."""

import math

import numpy as np
import pytest

from statlearn.models.loss_kernels import loss_code, loss_terms, smoothing_for
from statlearn.models.losses import get_loss

FIELDS = np.linspace(-6.0, 6.0, 97)


@pytest.mark.parametrize("name", ["square", "logistic", "hinge"])
@pytest.mark.parametrize("smoothing", [0.0, 0.05, 0.3])
@pytest.mark.parametrize("y", [-1.0, 1.0])
def test_derivatives_are_finite_differences(name, smoothing, y):
    code, h = loss_code(name), 1e-5
    for z in FIELDS:
        if name == "hinge" and smoothing == 0.0 and abs(1 - y * z) < 2 * h:
            continue
        value, first, second = loss_terms(code, y, z, smoothing)
        up, down = loss_terms(code, y, z + h, smoothing), loss_terms(code, y, z - h, smoothing)
        # central differences: error ~ h^2 |l'''| <~ 1e-10 / s^2, plus rounding ~ 1e-16 / h
        assert first == pytest.approx((up[0] - down[0]) / (2 * h), abs=1e-7 / max(smoothing, 0.05) ** 2)
        assert second == pytest.approx((up[1] - down[1]) / (2 * h), abs=1e-7 / max(smoothing, 0.05) ** 2)
        assert np.isfinite(value)


@pytest.mark.parametrize("name", ["square", "logistic", "hinge"])
def test_exact_values_match_the_vectorised_losses(name):
    loss, code = get_loss(name), loss_code(name)
    for y in (-1.0, 1.0):
        values = np.array([loss_terms(code, y, z, 0.0)[:2] for z in FIELDS])
        np.testing.assert_allclose(values[:, 0], loss.value(y, FIELDS), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(values[:, 1], loss.derivative(y, FIELDS), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("smoothing", [0.01, 0.1, 1.0])
def test_smoothed_hinge_is_within_s_ln2_above_the_hinge(smoothing):
    code = loss_code("hinge")
    gaps = [loss_terms(code, 1.0, z, smoothing)[0] - max(0.0, 1.0 - z) for z in FIELDS]
    assert min(gaps) >= 0.0
    assert max(gaps) == pytest.approx(smoothing * math.log(2.0), rel=1e-12)  # attained at the kink z = 1


def test_logistic_tails_do_not_overflow():
    code = loss_code("logistic")
    value, first, second = loss_terms(code, 1.0, -800.0, 0.0)
    assert value == pytest.approx(800.0) and first == pytest.approx(-1.0) and second == 0.0
    assert loss_terms(code, 1.0, 800.0, 0.0) == (0.0, -0.0, 0.0)


def test_smoothing_validation():
    assert smoothing_for("logistic", 0.3) == 0.0
    assert smoothing_for("hinge", 0.3) == 0.3
    with pytest.raises(ValueError, match="smoothing"):
        smoothing_for("hinge", -0.1)
    with pytest.raises(ValueError, match="smoothing"):
        smoothing_for("hinge", float("nan"))
    with pytest.raises(ValueError, match="loss"):
        loss_code("cubic")
