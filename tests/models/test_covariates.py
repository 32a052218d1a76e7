"""Spectra of the Gaussian covariate models: Marchenko-Pastur quadrature, block models, finite covariances."""

import numpy as np
import pytest

from statlearn.models.activations import gaussian_equivalence
from statlearn.models.covariates import (
    BlockCovariates,
    GivenSpectrum,
    RandomFeatures,
    Spectrum,
    marchenko_pastur_rule,
)
from statlearn.replica.ridge import marchenko_pastur_stieltjes

RATIOS = [0.01, 0.3, 0.5, 0.9, 0.9999, 1.0 - 1e-9, 1.0, 1.0 + 1e-9, 1.001, 2.0, 2.9, 10.0]


@pytest.mark.parametrize("c", RATIOS)
def test_marchenko_pastur_rule_moments_and_stieltjes(c):
    # Moments of MP (variance 1): E 1 = 1, E s = 1, E s^2 = 1 + c; Stieltjes transform in closed form.
    s, w = marchenko_pastur_rule(c)
    assert abs(w.sum() - 1) < 1e-12
    assert abs(w @ s - 1) < 1e-12
    assert abs(w @ s**2 - (1 + c)) < 1e-11
    for lam in (1.0, 1e-2, 1e-4):
        m, _ = marchenko_pastur_stieltjes(c, lam)
        assert abs(w @ (1 / (s + lam)) / m - 1) < 1e-10


def test_marchenko_pastur_rule_against_sampled_eigenvalues():
    # The rule describes eig(F F^T / D) for F of shape (cD, D): compare E 1/(1 + s) with a sample.
    rng = np.random.default_rng(3)
    D, c = 600, 1.5
    F = rng.standard_normal((int(c * D), D))
    sample = np.linalg.eigvalsh(F @ F.T / D)
    s, w = marchenko_pastur_rule(c)
    assert abs(np.mean(1 / (1 + sample)) - w @ (1 / (1 + s))) < 5e-3
    assert abs(np.mean(sample < 1e-8) - (1 - 1 / c)) < 2e-3  # the atom at zero


def test_block_spectrum():
    model = BlockCovariates.salient_weak(0.2, 4.0, 0.5, teacher=(2.0, 0.1))
    sp = model.spectrum()
    assert np.allclose(sp.omega, [4.0, 0.5]) and np.allclose(sp.weight, [0.2, 0.8])
    assert np.allclose(sp.teacher, [16 * 2.0, 0.25 * 0.1])
    assert sp.rho == pytest.approx(0.2 * 4 * 2 + 0.8 * 0.5 * 0.1)
    assert sp.explained == pytest.approx(1.0)  # the student sees the teacher's inputs


def test_random_features_spectrum_and_explained_fraction():
    # With P >> D the features span the teacher's linear part: explained fraction -> mu1^2 gamma s/(mu1^2 s + mu*^2) -> 1.
    model = RandomFeatures("erf")
    _, mu1, mu_star = gaussian_equivalence("erf")
    sp = model.spectrum(2.0)
    assert sp.rho == 1.0 and sp.rank == pytest.approx(1.0, abs=1e-12)  # mu_star > 0: Omega has full rank
    assert sp.weight @ sp.omega == pytest.approx(mu1**2 + mu_star**2, rel=1e-12)  # tr Omega / P = E sigma^2 - mu0^2
    assert model.spectrum(1e3).explained > 0.99
    assert model.spectrum(0.1).explained < 0.2


def test_from_covariances_matches_the_block_model():
    rng = np.random.default_rng(0)
    variances = np.r_[np.full(100, 3.0), np.full(300, 0.5)]
    theta = np.r_[rng.normal(0, np.sqrt(2.0), 100), rng.normal(0, np.sqrt(0.2), 300)]
    sp = Spectrum.from_covariances(np.diag(variances), np.diag(variances), np.diag(variances), theta)
    model = BlockCovariates((0.25, 0.75), (3.0, 0.5), (2.0, 0.2)).spectrum()
    assert sp.rho == pytest.approx(model.rho, rel=0.1)
    assert sp.weight @ sp.omega == pytest.approx(model.weight @ model.omega)
    assert sp.weight @ sp.teacher == pytest.approx(model.weight @ model.teacher, rel=0.15)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Spectrum([-1.0, 1.0], [0.5, 0.5], [0.0, 1.0], 1.0), "omega"),
        (lambda: Spectrum([1.0, 1.0], [0.5, 0.6], [1.0, 1.0], 1.0), "weight"),
        (lambda: Spectrum([1.0], [1.0], [-1.0], 1.0), "teacher"),
        (lambda: Spectrum([1.0], [1.0], [1.0], 0.0), "rho"),
        (lambda: Spectrum([0.0, 1.0], [0.5, 0.5], [1.0, 1.0], 1.0), "zero eigenvalue"),
        (lambda: Spectrum.from_covariances(np.eye(2), np.eye(2), -np.eye(2), [1.0, 1.0]), "negative eigenvalue"),
        (lambda: Spectrum.from_covariances(np.eye(2), np.eye(2), np.eye(3), [1.0, 1.0]), "shapes"),
        (lambda: BlockCovariates((0.5, 0.6), (1.0, 1.0), (1.0, 1.0)), "fractions"),
        (lambda: BlockCovariates((0.5, 0.5), (1.0, -1.0), (1.0, 1.0)), "variances"),
        (lambda: BlockCovariates.salient_weak(1.5, 1.0, 1.0), "fraction"),
        (lambda: RandomFeatures("swish"), "unknown activation"),
        (lambda: RandomFeatures("relu").spectrum(), "gamma"),
        (lambda: RandomFeatures("relu").spectrum(-1.0), "gamma"),
        (lambda: BlockCovariates.isotropic().spectrum(2.0), "gamma"),
        (lambda: GivenSpectrum(BlockCovariates.isotropic().spectrum()).spectrum(1.0), "gamma"),
        (lambda: RandomFeatures(np.cos).spectrum(1.0), "mu1"),
    ],
)
def test_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_activation_must_be_callable():
    with pytest.raises(TypeError, match="activation"):
        RandomFeatures(3.0)
