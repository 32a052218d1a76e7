"""The extensions of the conditional ansatz for level-dependent details. The coarse-modulated detail stiffness
(wirg.ansatz, ``modulation``): a known
heteroscedastic conditional recovered by score matching and sampled by preconditioned MALA; its preconditioner;
fit_wirg's option, saving and the refusals. The detail scale (wirg.detail_scale): the same for a correlated
conditional in rescaled details.

Reference law: on a radius-0 ansatz, independent details :math:`\\bar\\psi_c(x)|\\varphi \\sim N(0, 1/(k_c +
s_{g(c)}(\\varphi(x))))` with :math:`s_g = \\sum_i\\theta_{g,i}\\mu_i` on a bump basis and :math:`\\varphi` standard
normal: exactly the modulated ansatz with diagonal couplings :math:`k_c`, no cross couplings, and the given
:math:`\\theta_{g,i}`; its detail variance varies by a factor of about 4 across the coarse values.
"""

import json

import numpy as np
import pytest

from wirg.ansatz import MODULATION_GROUPS, BumpPotential, PolynomialPotential, QuadraticAnsatz
from wirg.detail_scale import DetailScale
from wirg.fields import lognormal_field
from wirg.gaussian import sample_details
from wirg.generate import ScaleModel, _gaussian_details
from wirg.mala import conditional_step, sample_conditional, stiffness_preconditioner
from wirg.model import WIRGModel, fit_wirg
from wirg.score_matching import fit_score_matching
from wirg.wavelets import analysis_step

K_DIAGONAL = np.array([1.0, 1.5, 2.0])
CENTRES, WIDTHS = np.array([-1.5, 0.0, 1.5]), np.array([0.75, 0.75, 0.75])
MU_THETA = np.array([[3.0, 0.5, -0.4], [1.0, 2.0, 0.0]])  # [group, bump]


def _truth():
    """The ansatz and its parameters of the reference law (module docstring)."""
    ansatz = QuadraticAnsatz(0, modulation=BumpPotential(CENTRES, WIDTHS), wavelet="haar")
    theta = np.zeros(ansatz.n_params)
    for a, label in enumerate(ansatz.labels[: ansatz.n_dd]):
        if label[1] == label[2]:
            theta[a] = K_DIAGONAL[label[1]]
    theta[ansatz.modulation_slice] = MU_THETA.ravel()
    return ansatz, theta


def _variances(phi):
    """The exact detail variances 1/(k_c + s_g(phi)) (batch, 3, n, n)."""
    s = np.einsum("byxi,gi->bgyx", BumpPotential(CENTRES, WIDTHS).basis(phi), MU_THETA)
    return 1.0 / (K_DIAGONAL[None, :, None, None] + s[:, [0, 0, 1]])


def _sample(n_fields, n, seed):
    rng = np.random.default_rng(seed)
    phi = rng.normal(size=(n_fields, n, n))
    return rng.normal(size=(n_fields, 3, n, n)) * np.sqrt(_variances(phi)), phi


def test_labels_and_the_stiffness_of_the_reference_law():
    ansatz, theta = _truth()
    assert ansatz.labels[ansatz.modulation_slice] == [("m", g, i) for g in MODULATION_GROUPS for i in range(3)]
    phi = np.random.default_rng(0).normal(size=(2, 4, 4))
    np.testing.assert_allclose(ansatz.operator(theta, 4).local_stiffness(phi), 1.0 / _variances(phi), rtol=1e-12)
    assert QuadraticAnsatz(0).operator(np.ones(9), 4).stiffness(phi) is None
    # the operator's energy (what the samplers evaluate) is theta . features, and the conditional's -log density
    psi = np.random.default_rng(1).normal(size=(2, 3, 4, 4))
    energy = ansatz.operator(theta, 4).energy_and_grad(psi, phi)[0]
    np.testing.assert_allclose(energy, ansatz.features(psi, phi) @ theta, rtol=1e-12)
    np.testing.assert_allclose(energy, 0.5 * np.einsum("bcyx,bcyx->b", psi**2, 1.0 / _variances(phi)), rtol=1e-12)


def test_score_matching_recovers_the_modulated_stiffness():
    """2000 fields of 8 x 8 sites: every parameter within 4.5 standard errors of the truth (15 parameters;
    Bonferroni at alpha = 0.01 over 15 is 3.2 for Gaussian errors, 4.5 leaves room for the sandwich
    estimate's own error)."""
    ansatz, theta = _truth()
    psi, phi = _sample(2000, 8, seed=1)
    fit = fit_score_matching(ansatz, psi, phi)
    z = (fit.theta - theta) / fit.stderr
    assert np.abs(z).max() < 4.5, z
    assert np.abs(fit.theta - theta)[ansatz.modulation_slice].max() < 0.2


def test_preconditioned_mala_samples_the_heteroscedastic_conditional():
    """64 chains on fixed coarse fields from zero details: the time-averaged squared detail per site against
    1/(k_c + s_g(phi)), binned by that exact variance (z over 4 bins x 3 channels within 4.5). The plain chains'
    step is set by the stiffest sites; the preconditioned chains move every site on its own scale."""
    ansatz, theta = _truth()
    rng = np.random.default_rng(2)
    phi = rng.normal(size=(64, 8, 8))
    D = stiffness_preconditioner(ansatz, theta, phi)
    np.testing.assert_allclose(D, _variances(phi), rtol=1e-12)  # every stiffness is positive here
    run = sample_conditional(ansatz, theta, phi, n_samples=300, thin=2, burn_in=200, seed=3, precondition=D)
    assert 0.45 < run.acceptance < 0.7
    squares = (run.samples**2).mean(axis=0)  # (chains, 3, n, n)
    exact = _variances(phi)
    edges = np.quantile(exact, [0.0, 0.25, 0.5, 0.75, 1.0])
    for c in range(3):
        for lo, hi in zip(edges[:-1], edges[1:]):
            inside = (exact[:, c] >= lo) & (exact[:, c] <= hi)
            if inside.sum() < 100:
                continue
            # per chain (independent), the mean over its sites in the bin of squared detail / exact variance
            chains = np.flatnonzero(inside.reshape(64, -1).any(axis=1))
            chain_means = np.array([(squares[k, c] / exact[k, c])[inside[k]].mean() for k in chains])
            z = (chain_means.mean() - 1.0) / (chain_means.std(ddof=1) / np.sqrt(chains.size))
            assert abs(z) < 4.5, (c, lo, hi, z, chain_means.mean())


def test_preconditioner_and_step_without_and_with_a_modulation():
    ansatz, theta = _truth()
    phi = np.random.default_rng(4).normal(size=(3, 4, 4))
    assert stiffness_preconditioner(QuadraticAnsatz(0), np.ones(9), phi) is None
    # a stiffness that is negative somewhere is floored at 1e-2 of the largest
    bad = theta.copy()
    bad[ansatz.modulation_slice] = [-5.0, -5.0, -5.0, 0.0, 0.0, 0.0]
    D = stiffness_preconditioner(ansatz, bad, phi)
    d = ansatz.operator(bad, 4).local_stiffness(phi)
    assert d.min() < 0.0
    np.testing.assert_allclose(D, 1.0 / np.maximum(d, 1e-2 * d.max()))
    nowhere = theta.copy()
    nowhere[: ansatz.n_dd] = -1.0
    nowhere[ansatz.modulation_slice] = 0.0
    with pytest.raises(ValueError, match="nowhere positive"):
        stiffness_preconditioner(ansatz, nowhere, phi)
    # the step bound counts the largest modulated stiffness: a stiffer modulation gives a smaller step
    psi = np.zeros((3, 3, 4, 4))
    stiffer = theta.copy()
    stiffer[ansatz.modulation_slice] *= 10.0
    assert conditional_step(ansatz, stiffer, psi, phi) < conditional_step(ansatz, theta, psi, phi)
    with pytest.raises(TypeError, match="modulation"):
        QuadraticAnsatz(0, modulation="bump:3")


def test_fit_wirg_with_a_modulation_saves_loads_and_is_refused_by_the_microscopic_basis(tmp_path):
    fields = lognormal_field(16, 40, exponent=2.0, shift=4.0, seed=0)
    model = fit_wirg(
        fields, levels=2, wavelet="haar", radius=1, potential="bump:4", modulation=[None, "bump:3"], progress=False
    )
    assert [s.ansatz.modulation is None for s in model.scales] == [True, False]
    assert model.settings["modulation"] == [None, "bump:3"]
    assert model.scales[1].ansatz.n_mod == 6
    model.save(tmp_path)
    loaded = WIRGModel.load(tmp_path)
    assert loaded.scales[1].ansatz.modulation == model.scales[1].ansatz.modulation
    np.testing.assert_array_equal(loaded.generate(3, seed=1), model.generate(3, seed=1))
    modulated = fit_wirg(fields, levels=2, wavelet="haar", potential=None, modulation="bump:3", progress=False)
    modulated.fit_free_energies(fields[:4])  # by the score identity (the conditional is not Gaussian)
    with pytest.raises(ValueError, match="modulat"):
        modulated.microscopic_energy()


@pytest.mark.parametrize(
    "modulation, error",
    [(["bump:3"], ValueError), ("wiggle:3", ValueError), ("bump:x", ValueError), (3, TypeError)],
)
def test_fit_wirg_refuses_a_bad_modulation(modulation, error):
    fields = np.random.default_rng(0).normal(size=(4, 16, 16))
    with pytest.raises(error, match="modulation"):
        fit_wirg(fields, levels=2, potential=None, modulation=modulation, progress=False)


def test_polynomial_modulation_features_match_their_definition():
    """With mu = t^2 the feature of group g is (1/2) sum_x phi(x)^2 sum_{c in g} psi_c(x)^2, summed directly."""
    ansatz = QuadraticAnsatz(0, modulation=PolynomialPotential((2,)), wavelet="haar")
    rng = np.random.default_rng(5)
    psi, phi = rng.normal(size=(2, 3, 4, 4)), rng.normal(size=(2, 4, 4))
    features = ansatz.features(psi, phi)[:, ansatz.modulation_slice]
    axis = 0.5 * np.einsum("byx,byx->b", phi**2, psi[:, 0] ** 2 + psi[:, 1] ** 2)
    diagonal = 0.5 * np.einsum("byx,byx->b", phi**2, psi[:, 2] ** 2)
    np.testing.assert_allclose(features, np.stack([axis, diagonal], axis=1), rtol=1e-12)


# ---------------------------------------------------------------------------------- the detail scale


def _scaled_truth(n):
    """A radius-1 Haar conditional with neighbour couplings and no cross coupling, in details rescaled by a
    detail scale that rises threefold across the coarse values."""
    scale = DetailScale([-1.5, 0.0, 1.5], [0.6, 1.0, 1.8])
    ansatz = QuadraticAnsatz(1, detail_scale=scale, wavelet="haar")
    theta = np.zeros(ansatz.n_params)
    for a, label in enumerate(ansatz.labels[: ansatz.n_dd]):
        _, c, cp, shift = label
        if c == cp:
            theta[a] = {(0, 0): K_DIAGONAL[c], (0, 1): -0.2, (1, 0): -0.1}.get((abs(shift[0]), abs(shift[1])), 0.0)
    return ansatz, theta, scale


def test_detail_scale_interpolates_and_round_trips():
    scale = DetailScale([-1.0, 0.0, 2.0], [0.5, 1.0, 3.0])
    t = np.array([-3.0, -0.5, 1.0, 5.0])
    np.testing.assert_allclose(scale.sigma(t), [0.5, 0.75, 2.0, 3.0])
    eps = 1e-6
    inside = np.array([-0.5, 1.0])
    numeric = (scale.weight(inside + eps) - scale.weight(inside - eps)) / (2 * eps)
    np.testing.assert_allclose(scale.weight_derivative(inside), numeric, rtol=1e-6)
    np.testing.assert_allclose(scale.weight_derivative(np.array([-3.0, 5.0])), 0.0)
    assert DetailScale.from_dict(json.loads(json.dumps(scale.to_dict()))) == scale
    for knots, values, match in [
        ([0.0], [1.0], "knots"),
        ([0.0, 0.0], [1.0, 1.0], "increasing"),
        ([0, 1], [1, 0], "positive"),
    ]:
        with pytest.raises(ValueError, match=match):
            DetailScale(knots, values)
    with pytest.raises(TypeError, match="knots"):
        DetailScale.from_dict({"knots": [0, 1]})


def test_detail_scale_from_data_recovers_a_known_scale():
    """Details sigma(phi) xi with sigma = exp(phi / 2): the estimate at its inner knots is sigma up to the
    normalising constant (20 000 sites and 3 channels per bin: each value's relative error is about 0.3%)."""
    rng = np.random.default_rng(3)
    phi = rng.normal(size=(400, 32, 32))
    psi = np.exp(phi / 2)[:, None] * rng.normal(size=(400, 3, 32, 32)) * np.array([1.0, 1.0, 0.5])[None, :, None, None]
    scale = DetailScale.from_data(phi, psi, n_bins=20)
    # the two end values and their neighbours also stand for the constant continuation beyond the end knots
    ratio = (scale.values / np.exp(scale.knots / 2))[2:-2]
    np.testing.assert_allclose(ratio / ratio.mean(), 1.0, atol=0.02)
    assert np.log(scale.values).mean() == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="n_bins"):
        DetailScale.from_data(phi[:1, :2, :2], psi[:1, :, :2, :2], n_bins=20)


def test_score_matching_recovers_the_couplings_of_rescaled_details():
    """Rescaled details chi drawn exactly from the Gaussian of kernel K (wirg.gaussian.sample_details), psi =
    chi sigma(phi): score matching of the scaled ansatz recovers K within 4.5 standard errors."""
    ansatz, theta, scale = _scaled_truth(8)
    rng = np.random.default_rng(4)
    phi = rng.normal(size=(1500, 8, 8))
    Khat, _ = ansatz.fourier_kernels(theta, 8)
    chi = sample_details(np.linalg.inv(Khat), np.zeros((8, 8, 3)), phi, rng)
    psi = chi * scale.sigma(phi)[:, None]
    fit = fit_score_matching(ansatz, psi, phi)
    z = (fit.theta - theta) / fit.stderr
    assert np.abs(z).max() < 4.5, z
    # the unscaled ansatz cannot: its neighbour couplings come out biased
    plain = QuadraticAnsatz(1, wavelet="haar")
    assert np.abs((fit_score_matching(plain, psi, phi).theta - theta) / fit.stderr).max() > 10


def test_mala_samples_rescaled_details_exactly():
    """Preconditioned MALA on the scaled conditional: per chain, the time average of psi_c(x) psi_c(x + e) /
    (sigma(x) sigma(x + e)) over the sites is the stationary covariance C_cc(e) of the Gaussian of kernel K,
    for e = 0 and the two axis neighbours (z within 4.5 over 9 tests, 48 independent chains)."""
    ansatz, theta, scale = _scaled_truth(8)
    rng = np.random.default_rng(5)
    phi = rng.normal(size=(48, 8, 8))
    Khat, _ = ansatz.fourier_kernels(theta, 8)
    covariance = np.fft.ifft2(np.moveaxis(np.linalg.inv(Khat), (0, 1), (2, 3))).real  # C[c, c', Delta]
    D = stiffness_preconditioner(ansatz, theta, phi)
    start = _gaussian_details_of(ansatz, theta, phi, rng)
    run = sample_conditional(ansatz, theta, phi, n_samples=300, thin=2, burn_in=100, seed=6, init=start, precondition=D)
    chi = run.samples / scale.sigma(phi)[None, :, None]
    for c in range(3):
        for shift in [(0, 0), (0, 1), (1, 0)]:
            products = chi[:, :, c] * np.roll(chi[:, :, c], (-shift[0], -shift[1]), axis=(-2, -1))
            per_chain = products.mean(axis=(0, 2, 3))
            exact = covariance[c, c, shift[0], shift[1]]
            z = (per_chain.mean() - exact) / (per_chain.std(ddof=1) / np.sqrt(per_chain.size))
            assert abs(z) < 4.5, (c, shift, z, per_chain.mean(), exact)


def _gaussian_details_of(ansatz, theta, phi, rng):
    """Details from generation's exact Gaussian start (the quadratic part in the rescaled details)."""
    return _gaussian_details(ScaleModel(ansatz, theta), phi, rng, 1)


def test_fit_wirg_with_a_detail_scale_saves_loads_and_is_refused_by_the_microscopic_basis(tmp_path):
    fields = lognormal_field(16, 40, exponent=2.0, shift=4.0, seed=0)
    model = fit_wirg(fields, levels=2, wavelet="haar", radius=1, potential="bump:4", detail_scale=[1], progress=False)
    assert [s.ansatz.detail_scale is not None for s in model.scales] == [True, False]
    assert model.settings["detail_scale"] == [1]
    model.save(tmp_path)
    loaded = WIRGModel.load(tmp_path)
    assert loaded.scales[0].ansatz.detail_scale == model.scales[0].ansatz.detail_scale
    np.testing.assert_array_equal(loaded.generate(3, seed=1), model.generate(3, seed=1))
    scaled = fit_wirg(fields, levels=2, wavelet="haar", potential=None, detail_scale=True, progress=False)
    scaled.fit_free_energies(fields[:4])
    with pytest.raises(ValueError, match="detail scale"):
        scaled.microscopic_energy()
    for value, error in [("yes", TypeError), ([0], ValueError), ([True], ValueError)]:
        with pytest.raises(error, match="detail_scale"):
            fit_wirg(fields, levels=2, potential=None, detail_scale=value, progress=False)


def test_block_cubic_term_is_the_skewness_of_a_block_and_is_recovered():
    """The block cubic feature is built on a b d, the within-block third moment: for Haar, the cubed deviations of
    a 2 x 2 block's sites from their mean sum to 3 gamma^3 a b d. A known conditional with it (radius 0, diagonal
    stiffness k_c, cubic coefficient t = 0.08, damping radius s = 3): MALA from zero details gives, to first
    order in t, <a b d> = -t prod_c v_c (1 + v_c / s^2)^(-3/2) with v_c = 1 / k_c (z within 4.5), and score
    matching on those samples recovers every parameter within 4.5 standard errors."""
    rng = np.random.default_rng(11)
    gamma = 1.3
    fine = rng.normal(size=(2, 8, 8)) ** 2
    phi, psi = analysis_step(fine, "haar", gamma)
    blocks = fine.reshape(2, 4, 2, 4, 2).transpose(0, 1, 3, 2, 4).reshape(2, 4, 4, 4)
    cubed = ((blocks - blocks.mean(axis=-1, keepdims=True)) ** 3).sum(axis=-1)
    np.testing.assert_allclose(cubed, 3 * gamma**3 * psi[:, 0] * psi[:, 1] * psi[:, 2], rtol=1e-12)
    radius = 3.0
    ansatz = QuadraticAnsatz(0, block_cubic=radius, wavelet="haar")
    assert ansatz.labels[-1] == ("c3", "abd") and not ansatz.gaussian
    theta = np.zeros(ansatz.n_params)
    for a, label in enumerate(ansatz.labels[: ansatz.n_dd]):
        if label[1] == label[2]:
            theta[a] = K_DIAGONAL[label[1]]
    t = 0.08
    theta[ansatz.cubic_slice] = t
    coarse = rng.normal(size=(200, 8, 8))
    run = sample_conditional(ansatz, theta, coarse, n_samples=40, thin=5, burn_in=200, seed=12)
    samples = run.samples  # (40, 200, 3, 8, 8)
    per_chain = (samples[:, :, 0] * samples[:, :, 1] * samples[:, :, 2]).mean(axis=(0, 2, 3))
    v = 1.0 / K_DIAGONAL
    expected = -t * np.prod(v * (1.0 + v / radius**2) ** -1.5)
    z = (per_chain.mean() - expected) / (per_chain.std(ddof=1) / np.sqrt(per_chain.size))
    assert abs(z) < 4.5, (per_chain.mean(), expected, z)
    fit = fit_score_matching(ansatz, samples[-1], coarse)
    assert np.abs((fit.theta - theta) / fit.stderr).max() < 4.5, (fit.theta - theta) / fit.stderr


def test_fit_wirg_with_a_block_cubic_term_saves_loads_and_is_refused_by_the_microscopic_basis(tmp_path):
    fields = lognormal_field(16, 40, exponent=2.0, shift=4.0, seed=0)
    model = fit_wirg(fields, levels=2, wavelet="haar", radius=1, potential="bump:4", block_cubic=[1], progress=False)
    assert [s.ansatz.block_cubic for s in model.scales] == [True, False]
    assert model.settings["block_cubic"] == [1]
    model.save(tmp_path)
    loaded = WIRGModel.load(tmp_path)
    assert [s.ansatz.block_cubic for s in loaded.scales] == [True, False]
    np.testing.assert_array_equal(loaded.generate(3, seed=1), model.generate(3, seed=1))
    cubic = fit_wirg(fields, levels=1, wavelet="haar", potential=None, block_cubic=True, progress=False)
    cubic.fit_free_energies(fields[:4])
    with pytest.raises(ValueError, match="block quartic or cubic"):
        cubic.microscopic_energy()
    for value, error in [("yes", TypeError), ([3], ValueError)]:
        with pytest.raises(error, match="block_cubic"):
            fit_wirg(fields, levels=2, potential=None, block_cubic=value, progress=False)
