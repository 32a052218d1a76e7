"""The Gaussian copula of the coarsest field (wirg.generate.GaussianCopula): on a pointwise transform of a Gaussian
field it recovers the Gaussian's spectrum and samples the field's law; its energy is the negative log density of
its own sampler (an identity); the table and the kernel sum beyond it agree; fit_wirg(coarse_method="copula")
keeps a skewed coarse field's moments; saving, loading, the microscopic basis's refusal and bad input."""

import numpy as np
import pytest
from scipy import stats

import wirg
from wirg.generate import GaussianCopula, GaussianMarginal, MALASettings
from wirg.model import WIRGModel, fit_wirg

Z_BOUND = 4.0


def _spectrum(kx, ky):
    return 1.0 / (0.3 + kx**2 + ky**2)


@pytest.fixture(scope="module")
def transformed():
    """Exponentials of 2000 Gaussian 8 x 8 fields: a pointwise transform, the copula's exact case."""
    g = wirg.gaussian_field(_spectrum, 8, 2000, seed=1)
    return g, np.exp(g)


def test_copula_of_a_transformed_gaussian_recovers_its_spectrum(transformed):
    """z = Phi^-1(F(exp g)) is g / sigma_g for the true F, so the fitted Gaussian part's spectrum is the field's
    spectrum over sigma_g^2 within the periodogram's error (relative 1/sqrt(n) per frequency, sqrt(2/n) at the
    four self-conjugate ones; bound 4 over 64 frequencies, two-sided Bonferroni at alpha = 0.004)."""
    g, x = transformed
    copula = GaussianCopula.fit(x)
    k = 2 * np.pi * np.fft.fftfreq(8)
    exact = _spectrum(k[:, None], k[None, :])
    exact = exact / exact.mean()  # the variance of g / sigma_g is 1: the mean of its spectrum
    conjugate = np.isin(np.arange(8), [0, 4])
    self_conjugate = conjugate[:, None] & conjugate[None, :]  # |g(k)|^2 / L^2 is S chi^2_1 there, S chi^2_2 / 2 else
    z = (copula.gaussian.spectrum - exact) / (exact * np.sqrt(np.where(self_conjugate, 2.0, 1.0) / x.shape[0]))
    assert np.abs(z).max() < Z_BOUND, np.abs(z).max()
    assert np.corrcoef(copula.gaussianise(x).ravel(), g.ravel())[0, 1] > 0.999


def test_copula_samples_follow_the_transformed_law(transformed):
    """One site per field of 2000 copula samples against 2000 fresh exact ones (two-sample Kolmogorov-Smirnov,
    alpha = 1e-3), and the neighbour correlation of the fields within 4 standard errors."""
    _, x = transformed
    copula = GaussianCopula.fit(x)
    fresh = np.exp(wirg.gaussian_field(_spectrum, 8, 2000, seed=2))
    samples = copula.sample(2000, np.random.default_rng(3))
    assert samples.shape == (2000, 8, 8)
    assert stats.ks_2samp(samples[:, 2, 5], fresh[:, 2, 5]).pvalue > 1e-3

    def neighbour(f):
        d = f - f.mean()
        return (d * np.roll(d, 1, axis=-1)).mean(axis=(-2, -1))

    a, b = neighbour(samples), neighbour(fresh)
    z = (a.mean() - b.mean()) / np.hypot(a.std(ddof=1), b.std(ddof=1)) * np.sqrt(2000)
    assert abs(z) < Z_BOUND, z


def test_energy_is_the_negative_log_density_of_the_sampler(transformed):
    """For a 1 x 1 field exp(-E(t)) = f(t) exp(z^2 (1 - 1/S) / 2), whose integral is sqrt(S) (substitute
    z = Phi^-1(F(t))): it holds to the tables' interpolation error."""
    _, x = transformed
    copula = GaussianCopula.fit(x[:, :1, :1])
    S = float(copula.gaussian.spectrum[0, 0])
    t = np.linspace(copula._grid[0] - 0.3, copula._grid[-1] + 0.3, 100001)  # beyond: mass below 1e-15
    energy = copula.energy(t[:, None, None])
    assert np.trapezoid(np.exp(-energy), t) == pytest.approx(np.sqrt(S), rel=1e-4)


def test_the_tables_and_the_kernel_sum_beyond_them_agree(transformed):
    """z and ln f are tabulated on the grid and summed from the binned data beyond it: both agree at the grid's
    ends, and far out z keeps growing (no saturation) while ln f falls like a Gaussian kernel's."""
    _, x = transformed
    copula = GaussianCopula.fit(x)
    ends = np.array([copula._grid[0], copula._grid[-1]])
    inside = copula._transform(ends)
    outside = copula._transform(ends + np.array([-1e-9, 1e-9]))
    np.testing.assert_allclose(outside[0], inside[0], rtol=1e-6)
    np.testing.assert_allclose(outside[1], inside[1], rtol=1e-6)
    far = copula._transform(copula._grid[-1] + np.array([1.0, 2.0, 4.0]))
    assert np.all(np.diff(far[0]) > 0) and np.all(np.isfinite(far[0]))
    assert np.all(np.diff(far[1]) < 0) and np.all(np.isfinite(far[1]))


def test_fit_wirg_copula_keeps_the_coarse_moments_and_round_trips(tmp_path):
    """On coarse fields of 200 skewed lognormal fields (16 x 16, shift 3; the 8 x 8 coarse field) the copula's
    samples have the variance and third moment of 200 held-out coarse fields within 4 standard errors; the
    model saves and loads to the same generation, bit for bit."""
    train = wirg.lognormal_field(16, 200, exponent=2.0, shift=3.0, seed=1)
    held_out = wirg.lognormal_field(16, 200, exponent=2.0, shift=3.0, seed=2)
    model = fit_wirg(train, levels=1, wavelet="haar", potential="bump:4", coarse_method="copula", progress=False)
    assert isinstance(model.coarse, GaussianCopula) and model.fits[-1] is None
    assert model.settings["coarse_method"] == "copula"
    generated = model.coarse.sample(200, np.random.default_rng(3))
    reference = wirg.analysis_step(held_out, "haar", model.gamma[0])[0]
    centre = reference.mean()
    per_field = [
        np.stack([((f - centre) ** p).mean(axis=(1, 2)) for p in (2, 3)], axis=1) for f in (generated, reference)
    ]
    errors = np.hypot(*(f.std(axis=0, ddof=1) / np.sqrt(f.shape[0]) for f in per_field))
    z = (per_field[0].mean(axis=0) - per_field[1].mean(axis=0)) / errors
    assert np.abs(z).max() < Z_BOUND, z
    mcmc = MALASettings(burn_in=20)
    model.save(tmp_path / "m")
    loaded = WIRGModel.load(tmp_path / "m")
    assert isinstance(loaded.coarse, GaussianCopula) and loaded.coarse.bandwidth == model.coarse.bandwidth
    np.testing.assert_array_equal(loaded.generate(3, seed=5, mcmc=mcmc), model.generate(3, seed=5, mcmc=mcmc))
    phi = reference[:4]
    np.testing.assert_array_equal(loaded.coarse.energy(phi), model.coarse.energy(phi))


def test_copula_refusals():
    fields = wirg.lognormal_field(16, 20, exponent=2.0, shift=3.0, seed=1)
    with pytest.raises(ValueError, match="potential: with coarse_method='copula'.*last entry must be None"):
        fit_wirg(fields, levels=1, wavelet="haar", potential=["bump:4", "polynomial:4"], coarse_method="copula")
    model = fit_wirg(
        fields, levels=1, wavelet="haar", potential=["bump:4", None], coarse_method="copula", progress=False
    )
    assert isinstance(model.coarse, GaussianCopula)
    copula = GaussianCopula.fit(fields[:, :4, :4])
    solved = wirg.GaussianWIRG(wirg.free_field_spectrum(8, 0.5), wavelet="haar", levels=1)  # coarsest 4 x 4
    with pytest.raises(ValueError, match="copula.*microscopic basis"):
        wirg.microscopic_energy(solved.scales, solved.scales, copula, L=8, wavelet="haar")
    with pytest.raises(ValueError, match="coarse_method"):
        fit_wirg(fields, levels=1, coarse_method="gaussian")
    with pytest.raises(ValueError, match="do not spread"):
        GaussianCopula.fit(np.ones((4, 2, 2)))
    with pytest.raises(ValueError, match="fields must have shape"):
        GaussianCopula.fit(np.ones((4, 2, 3)))
    with pytest.raises(ValueError, match="phi must have shape"):
        copula.energy(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match="bandwidth"):
        GaussianCopula(GaussianMarginal(np.ones((2, 2))), np.arange(4.0), 0.0)
    with pytest.raises(ValueError, match="values"):
        GaussianCopula(GaussianMarginal(np.ones((2, 2))), np.array([1.0]), 0.1)
