"""Gaussian-equivalence coefficients against high-precision values."""

import mpmath as mp
import numpy as np
import pytest

from statlearn.models.activations import gaussian_equivalence

mp.mp.dps = 30


def mp_gauss(f):
    density = lambda z: mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731
    return mp.quad(lambda z: f(z) * density(z), [-mp.inf, 0, mp.inf])


def mp_coefficients(sigma):
    mu0 = mp_gauss(sigma)
    mu1 = mp_gauss(lambda z: z * sigma(z))
    second = mp_gauss(lambda z: sigma(z) ** 2)
    return float(mu0), float(mu1), float(mp.sqrt(second - mu0**2 - mu1**2))


def test_relu_closed_form():
    """mu0 = 1/sqrt(2 pi), mu1 = 1/2, mu_star^2 = 1/4 - 1/(2 pi) (E relu^2 = 1/2)."""
    mu0, mu1, mu_star = gaussian_equivalence("relu")
    assert mu0 == pytest.approx(float(1 / mp.sqrt(2 * mp.pi)), rel=1e-13)
    assert mu1 == pytest.approx(0.5, rel=1e-13)
    assert mu_star == pytest.approx(float(mp.sqrt(mp.mpf(1) / 4 - 1 / (2 * mp.pi))), rel=1e-12)


@pytest.mark.parametrize("name, sigma", [("erf", mp.erf), ("tanh", mp.tanh), ("sign", mp.sign)])
def test_against_mpmath_quadrature(name, sigma):
    ref = mp_coefficients(sigma)
    assert gaussian_equivalence(name) == pytest.approx(ref, rel=1e-12, abs=1e-14)


def test_erf_closed_forms():
    """E z erf(z) = 2 / sqrt(3 pi) and E erf(z)^2 = (2/pi) arcsin(2/3)."""
    _, mu1, mu_star = gaussian_equivalence("erf")
    assert mu1 == pytest.approx(2 / np.sqrt(3 * np.pi), rel=1e-13)
    assert mu_star**2 + mu1**2 == pytest.approx(2 / np.pi * np.arcsin(2 / 3), rel=1e-13)


def test_user_callables():
    assert gaussian_equivalence(lambda z: z**2) == pytest.approx((1.0, 0.0, np.sqrt(2.0)), abs=1e-13)
    assert gaussian_equivalence(np.abs) == pytest.approx((np.sqrt(2 / np.pi), 0.0, np.sqrt(1 - 2 / np.pi)), abs=1e-13)
    linear = gaussian_equivalence(lambda z: 3.0 * z)  # purely linear: no nonlinear part
    assert linear.mu1 == pytest.approx(3.0) and linear.mu_star == pytest.approx(0.0, abs=1e-6)


def test_bad_activations():
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        gaussian_equivalence("softplus")
    with pytest.raises(TypeError, match="a name, an Activation or a callable"):
        gaussian_equivalence(3.0)
    with pytest.raises(TypeError, match="vectorised"):
        gaussian_equivalence(lambda z: 1.0)
    with pytest.raises(ValueError, match="non-finite"):
        gaussian_equivalence(lambda z: np.where(z > 1.0, np.inf, 0.0))
