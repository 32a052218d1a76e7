"""Coarse-to-fine generation from per-scale conditional models (wirg.generate)."""

import numpy as np
import pytest
from scipy.stats import norm

from wirg.ansatz import PolynomialPotential, QuadraticAnsatz
from wirg.fields import free_field_spectrum, gaussian_field
from wirg.gaussian import GaussianWIRG
from wirg.generate import GaussianMarginal, MALASettings, ScaleModel, generate
from wirg.wavelets import analysis_step


def _exact_models(L, levels, radii, potential=None):
    """Exact Haar couplings of the critical free field truncated to the stencils, and the exact coarse
    marginal. At radius 1 (j = 1) and 3 (j = 2, 8 x 8) the neglected couplings are < 1e-5 of the largest."""
    spectrum = free_field_spectrum(L, 0.0, zero_mode=1.0)
    exact = GaussianWIRG(spectrum, wavelet="haar", levels=levels)
    models = []
    for scale, r in zip(exact.scales, radii):
        ansatz = QuadraticAnsatz(r, wavelet="haar", potential=potential)
        alpha = None if potential is None else np.zeros(potential.n_params)
        models.append(ScaleModel(ansatz, ansatz.from_kernels(*scale.kernels(), alpha=alpha)))
    return spectrum, models, GaussianMarginal(1.0 / exact.precisions[-1])


def _shell_z(fields, spectrum):
    """Standardised deviation of the shell-averaged periodogram from the exact spectrum."""
    L = fields.shape[-1]
    n = np.fft.fftfreq(L) * L
    shell = np.rint(np.hypot.outer(n, n)).astype(int).ravel()
    power = (np.abs(np.fft.fft2(fields)) ** 2 / L**2).reshape(len(fields), -1)
    z = []
    for m in range(1, shell.max() + 1):
        per_field = power[:, shell == m].mean(axis=1)
        z.append(
            (per_field.mean() - spectrum.ravel()[shell == m].mean()) / (per_field.std(ddof=1) / np.sqrt(len(fields)))
        )
    return np.array(z)


def test_exact_couplings_reproduce_the_exact_spectrum():
    """L = 32, two Haar levels, 1000 fields: every one of the 23 shells within the two-sided
    Bonferroni bound at alpha = 0.001 (4.3 sigma)."""
    spectrum, models, marginal = _exact_models(32, 2, (1, 3))
    fields = generate(models, marginal, 1000, seed=3, wavelet="haar")
    assert fields.shape == (1000, 32, 32)
    z = _shell_z(fields, spectrum)
    assert np.abs(z).max() < norm.ppf(1 - 0.001 / (2 * z.size))


def test_wrong_couplings_are_detected():
    """The same test fails when the finest couplings are off by 10%: it has power."""
    spectrum, models, marginal = _exact_models(32, 2, (1, 3))
    models[0] = ScaleModel(models[0].ansatz, 1.1 * models[0].theta)
    z = _shell_z(generate(models, marginal, 1000, seed=3, wavelet="haar"), spectrum)
    assert np.abs(z).max() > 10


def test_generation_keeps_given_coarse_fields_and_is_reproducible():
    _, models, marginal = _exact_models(16, 1, (1,))
    coarse = marginal.sample(5, np.random.default_rng(0))
    fields = generate(models, coarse, 5, seed=1, wavelet="haar")
    np.testing.assert_allclose(analysis_step(fields, "haar")[0], coarse, atol=1e-12)
    np.testing.assert_array_equal(fields, generate(models, coarse, 5, seed=1, wavelet="haar"))
    assert not np.allclose(fields, generate(models, coarse, 5, seed=2, wavelet="haar"))


def test_gaussian_marginal_fit_is_the_symmetrised_periodogram():
    L = 8
    spectrum = free_field_spectrum(L, 0.5)
    fields = gaussian_field(spectrum, L, 4000, seed=4)
    fitted = GaussianMarginal.fit(fields)
    np.testing.assert_allclose(fitted.spectrum, np.roll(fitted.spectrum[::-1, ::-1], 1, axis=(0, 1)))
    # each frequency: the mean of >= 4000 exponential variables, relative stderr <= 1/sqrt(4000)
    assert np.abs(fitted.spectrum / spectrum - 1).max() < 5 / np.sqrt(4000)


def test_potential_scales_are_sampled_by_mala():
    """With a zero phi^4 coefficient MALA, started from an exact Gaussian sample, keeps the exact law
    (field variance within 4.5 standard errors); a positive phi^4 coefficient lowers the variance."""
    L = 8
    potential = PolynomialPotential((4,))
    spectrum, models, marginal = _exact_models(L, 1, (1,), potential=potential)
    fields = generate(models, marginal, 400, seed=5, wavelet="haar", mcmc=MALASettings(burn_in=50))
    site_var = (fields**2).mean(axis=(1, 2))
    exact_var = spectrum.sum() / L**2
    assert abs(site_var.mean() - exact_var) < 4.5 * site_var.std(ddof=1) / np.sqrt(len(site_var))
    quartic = [ScaleModel(m.ansatz, np.concatenate([m.theta[:-1], [1.0]])) for m in models]
    squeezed = generate(quartic, marginal, 400, seed=5, wavelet="haar", mcmc=MALASettings(burn_in=50))
    assert (squeezed**2).mean() < 0.9 * (fields**2).mean()


def test_bad_input():
    _, models, marginal = _exact_models(16, 1, (1,))
    with pytest.raises(TypeError, match="scales"):
        generate([], marginal, 2, seed=0, wavelet="haar")
    with pytest.raises(TypeError, match="ScaleModel"):
        generate([models[0].theta], marginal, 2, seed=0, wavelet="haar")
    with pytest.raises(ValueError, match="n_samples"):
        generate(models, marginal, 0, seed=0, wavelet="haar")
    with pytest.raises(ValueError, match="coarse fields must have shape"):
        generate(models, np.zeros((3, 8, 8)), 2, seed=0, wavelet="haar")
    with pytest.raises(ValueError, match="scale 1: the fitted conditional precision is not positive definite"):
        generate([ScaleModel(models[0].ansatz, -models[0].theta)], marginal, 2, seed=0, wavelet="haar")
    with pytest.raises(ValueError, match="scale 1"):  # radius 5 does not fit on the 8 x 8 lattice
        generate([ScaleModel(QuadraticAnsatz(5), np.zeros(QuadraticAnsatz(5).n_params))], marginal, 2, seed=0)
    with pytest.raises(ValueError, match="gamma"):
        generate(models, marginal, 2, seed=0, wavelet="haar", gamma=[1.0, 1.0])
    with pytest.raises(ValueError, match="theta must have shape"):
        ScaleModel(QuadraticAnsatz(1), np.zeros(3))
    with pytest.raises(ValueError, match="burn_in"):
        MALASettings(burn_in=0)
    quartic = QuadraticAnsatz(1, potential=PolynomialPotential((4,)), wavelet="db4")
    with pytest.raises(ValueError, match="reconstructs with"):
        generate([ScaleModel(quartic, np.zeros(quartic.n_params))], marginal, 2, seed=0, wavelet="haar")
