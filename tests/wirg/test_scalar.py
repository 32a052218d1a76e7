"""The 1 x 1 coarsest model (the density of the field's mean): exact maximum likelihood on a grid
(wirg.likelihood.fit_exact_scalar), exact sampling (wirg.generate.ScalarModel), and fit_wirg down to 1 x 1 on
the two-peaked mean of ordered phi^4, which score matching cannot weigh."""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.stats import norm

import wirg
from wirg.ansatz import FieldAnsatz, PolynomialPotential, data_window
from wirg.generate import GaussianMarginal, ScalarModel
from wirg.likelihood import fit_exact_scalar
from wirg.model import WIRGModel, fit_wirg

A, B = -4.0, 0.5  # E(t) = A t^2 / 2 + B t^4: wells at +-sqrt(-A / 4B) = +-1.41, barrier 2


def _energy(t):
    return 0.5 * A * t**2 + B * t**4


def _double_well(n, seed):
    """Rejection sampling from a uniform proposal on [-3.5, 3.5] (independent of the grid code)."""
    rng, out = np.random.default_rng(seed), []
    floor = _energy(np.sqrt(-A / (4 * B)))
    while len(out) < n:
        t = rng.uniform(-3.5, 3.5, 20 * n)
        out.extend(t[rng.uniform(size=t.size) < np.exp(floor - _energy(t))])
    return np.array(out[:n])


ANSATZ = FieldAnsatz(0, PolynomialPotential((4, 6)), lattice=1)


def test_likelihood_recovers_a_double_well_within_its_errors_and_matches_the_moments():
    x = _double_well(4000, seed=1)
    fit = fit_exact_scalar(ANSATZ, x, window=data_window(x))
    assert fit.converged
    z = (fit.theta - [A, B, 0.0]) / fit.stderr
    assert np.abs(z).max() < norm.ppf(1 - 0.001 / (2 * z.size)), z
    # maximum likelihood = moment matching: the fitted density's feature means (adaptive quadrature, not the
    # grid) equal the data's
    lo, hi = data_window(x)
    energy = lambda t: fit.theta @ [0.5 * t**2, t**4, t**6]  # noqa: E731
    z0 = integrate.quad(lambda t: np.exp(-energy(t)), lo, hi, limit=200)[0]
    for k, f in enumerate((lambda t: 0.5 * t**2, lambda t: t**4, lambda t: t**6)):
        model_mean = integrate.quad(lambda t: f(t) * np.exp(-energy(t)), lo, hi, limit=200)[0] / z0
        assert model_mean == pytest.approx(ANSATZ.features(x[:, None, None])[:, k].mean(), rel=1e-6)


def test_scalar_model_samples_its_density_exactly():
    start = GaussianMarginal.fit(np.ones((2, 1, 1)) * [[[1.0]], [[-1.0]]])
    model = ScalarModel(ANSATZ, np.array([A, B, 0.0]), start, (-3.0, 3.0))
    x = model.sample(20000, np.random.default_rng(3)).ravel()
    z0 = integrate.quad(lambda t: np.exp(-_energy(t)), -3.0, 3.0, limit=200)[0]
    cdf = np.vectorize(lambda s: integrate.quad(lambda t: np.exp(-_energy(t)), -3.0, s, limit=200)[0] / z0)
    assert stats.kstest(x, cdf).pvalue > 1e-3
    assert (x > 0).mean() == pytest.approx(0.5, abs=4 * 0.5 / np.sqrt(x.size))
    np.testing.assert_array_equal(x, model.sample(20000, np.random.default_rng(3)).ravel())


def test_fit_down_to_one_site_weighs_the_two_signs_of_an_ordered_phase(tmp_path):
    """Ordered phi^4 (beta = 0.76): the mean has two narrow peaks. The model down to 1 x 1 must give them
    their weights: the generated Binder cumulant against held-out Monte Carlo fields."""
    train = wirg.phi4(8, 0.76, 400, seed=5).fields
    held = wirg.phi4(8, 0.76, 400, seed=6).fields
    model = fit_wirg(train, levels=3, wavelet="haar", gamma=1.0, radius=1, potential="polynomial:4,6", progress=False)
    assert isinstance(model.coarse, ScalarModel) and model.fits[-1].method == "likelihood"
    gen = model.generate(400, seed=7, mcmc=wirg.MALASettings(burn_in=300, steps_exponent=0.0))
    u_gen, u_ref = wirg.binder_cumulant(gen), wirg.binder_cumulant(held)
    assert abs(u_gen.value - u_ref.value) < 4 * np.hypot(u_gen.error, u_ref.error)
    assert abs(gen.std() - held.std()) < 0.03 * held.std()
    # the file keeps the window: the same samples after loading
    loaded = WIRGModel.load(model.save(tmp_path / "m"))
    assert isinstance(loaded.coarse, ScalarModel) and loaded.coarse.window == model.coarse.window
    rng = lambda: np.random.default_rng(0)  # noqa: E731
    np.testing.assert_array_equal(loaded.coarse.sample(5, rng()), model.coarse.sample(5, rng()))


def test_bad_input():
    with pytest.raises(ValueError, match="window"):
        fit_exact_scalar(ANSATZ, np.linspace(-1, 1, 10), window=(-0.5, 0.5))
    with pytest.raises(ValueError, match="values"):
        fit_exact_scalar(ANSATZ, np.zeros((10, 2, 2)), window=(-1, 1))
    with pytest.raises(ValueError, match="start"):
        ScalarModel(FieldAnsatz(1), np.ones(FieldAnsatz(1).n_params), GaussianMarginal(np.ones((4, 4))), (-1.0, 1.0))
