"""Coarse-to-fine generation from per-scale conditional models (wirg.generate)."""

import importlib

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


# ---------------------------------------------------------------------------------- per-scale steps and windows


def test_mala_steps_grow_on_the_coarser_scales(monkeypatch):
    """``steps_exponent`` p: ceil(burn_in (L_1/L_j)^p) steps at each scale, what generate runs."""
    settings = MALASettings(burn_in=30)
    assert [settings.steps(L_j, 16) for L_j in (16, 8, 4, 2, 1)] == [30, 60, 120, 240, 480]
    assert [MALASettings(burn_in=30, steps_exponent=0).steps(L_j, 16) for L_j in (16, 1)] == [30, 30]
    assert MALASettings(burn_in=3, steps_exponent=0.5).steps(4, 16) == 6
    assert MALASettings(burn_in=3, steps_exponent=2).steps(4, 16) == 48
    module = importlib.import_module("wirg.generate")  # the package exports a function of the same name

    ran = []
    original = module.sample_conditional

    def recording(*args, **kwargs):
        ran.append((kwargs["phi_j"].shape[-1] if "phi_j" in kwargs else args[2].shape[-1], kwargs["burn_in"]))
        return original(*args, **kwargs)

    monkeypatch.setattr(module, "sample_conditional", recording)
    _, models, marginal = _exact_models(16, 2, (1, 1), potential=PolynomialPotential((4,)))
    generate(models, marginal, 3, seed=0, wavelet="haar", mcmc=MALASettings(burn_in=5))
    assert ran == [(4, 10), (8, 5)]  # coarse to fine
    with pytest.raises(ValueError, match="steps_exponent"):
        MALASettings(steps_exponent=-1.0)
    with pytest.raises(ValueError, match="L_j"):
        settings.steps(32, 16)


def test_windowed_field_model_samples_the_truncated_density():
    """Radius 0, unit on-site coupling and a potential of zero coefficients with window [-0.5, 1]: every
    site is a standard normal truncated to the window. Mean and variance of 800 x 16 sites (one state
    per chain, independent chains and sites) against scipy's truncated normal within 4.5 standard errors;
    starts that leave the window are shrunk inside first. (Whole-field MALA against a hard wall mixes
    slowly: on 8 x 8 fields 400 steps leave the mean 30 standard errors low, 4000 steps 4.)"""
    from scipy.stats import truncnorm

    from wirg.ansatz import BumpPotential, FieldAnsatz
    from wirg.generate import FieldModel

    ansatz = FieldAnsatz(0, BumpPotential([0.0], [1.0], window=(-0.5, 1.0)))
    model = FieldModel(ansatz, [1.0, 0.0], GaussianMarginal(np.full((4, 4), 1.0)))
    x = model.sample(800, np.random.default_rng(13), MALASettings(coarse_steps=2000))
    assert x.min() >= -0.5 and x.max() <= 1.0
    law = truncnorm(-0.5, 1.0)
    n = x.size
    assert abs(x.mean() - law.mean()) < 4.5 * np.sqrt(law.var() / n)
    assert abs(x.var() - law.var()) < 4.5 * np.sqrt((law.moment(4) - 4 * law.mean() * law.moment(3)) / n)


def test_generation_starts_inside_the_window_or_says_why_not():
    """Scales with a windowed potential: the generated fields lie in the window (the Gaussian starts outside it
    are shrunk in), and coarse fields whose zero-detail reconstruction leaves the window are refused."""
    from wirg.ansatz import BumpPotential

    L = 8
    spectrum, exact, marginal = _exact_models(L, 1, (1,))
    window = (-1.0, 1.0)
    potential = BumpPotential([0.0], [1.0], window=window)
    ansatz = QuadraticAnsatz(1, wavelet="haar", potential=potential)
    model = ScaleModel(ansatz, ansatz.from_kernels(*exact[0].ansatz.kernels(exact[0].theta, L // 2), alpha=[0.0]))
    coarse = 0.5 * marginal.sample(20, np.random.default_rng(14)).clip(-1.5, 1.5)  # block means in [-0.75, 0.75]
    fields = generate([model], coarse, 20, seed=15, wavelet="haar", mcmc=MALASettings(burn_in=20))
    assert fields.min() >= window[0] and fields.max() <= window[1]
    coarse[3, 0, 0] = 2.5  # its block mean 1.25 is outside even with zero details
    with pytest.raises(ValueError, match=r"scale 1: 1 of 20 chains cannot start inside the potential's window"):
        generate([model], coarse, 20, seed=15, wavelet="haar", mcmc=MALASettings(burn_in=20))
