"""Block quartic terms (wirg.block_quartic) in the conditional ansatz: the Haar identity with the on-site
quartic, derivatives against finite differences, zero on Gaussian data within the standard errors, and the
model's handling (saving, refusal of the microscopic energy)."""

import warnings

import numpy as np
import pytest
from scipy.stats import chi2, norm

from statlearn.numerics import ConvergenceWarning
from wirg.ansatz import PolynomialPotential, QuadraticAnsatz
from wirg.block_quartic import BLOCK_QUARTIC, block_quartic_curvature, block_quartic_features
from wirg.model import WIRGModel, fit_wirg
from wirg.score_matching import fit_score_matching
from wirg.wavelets import analysis_step


def test_haar_block_sum_of_fourth_powers_is_the_stated_combination():
    r"""For Haar (gamma = 1) the four sites of a block are (c +- a +- b +- d)/2, so summing x^4 over them gives
    c^4/4 + (Phi_1 + Phi_2)/4 + 3/2 (Phi_3 + ... + Phi_6) + 6 s Phi_7 with s = +-1 the sign convention of the
    channels: expanded by hand, checked on random fields."""
    rng = np.random.default_rng(0)
    fine = rng.normal(size=(5, 8, 8)) * rng.uniform(0.5, 2.0, size=(5, 1, 1))
    phi, psi = analysis_step(fine, "haar", 1.0)
    features = block_quartic_features(psi, phi)
    rest = (fine**4).sum(axis=(-2, -1)) - (phi**4).sum(axis=(-2, -1)) / 4
    weights = np.array([0.25, 0.25, 1.5, 1.5, 1.5, 1.5, 6.0])
    matches = [np.allclose(rest, features @ (weights * [1, 1, 1, 1, 1, 1, s]), rtol=1e-12) for s in (1, -1)]
    assert matches.count(True) == 1


@pytest.mark.parametrize("wavelet", ["haar", "db4"])
def test_gradients_laplacians_and_operator_against_finite_differences(wavelet):
    rng = np.random.default_rng(1)
    ansatz = QuadraticAnsatz(1, potential=PolynomialPotential((4,)), block_quartic=True, wavelet=wavelet, gamma=1.3)
    assert ansatz.labels[ansatz.block_slice] == [("b", name) for name in BLOCK_QUARTIC]
    psi, phi = rng.normal(size=(2, 3, 4, 4)), rng.normal(size=(2, 4, 4))
    features = ansatz.features(psi, phi)
    gradients, laplacians = ansatz.feature_gradients(psi, phi), ansatz.feature_laplacians(psi, phi)
    h, numeric_laplacian = 1e-3, np.zeros(ansatz.n_params)
    for index in np.ndindex(3, 4, 4):
        step = np.zeros_like(psi)
        step[(0, *index)] = h
        up, down = ansatz.features(psi + step, phi)[0], ansatz.features(psi - step, phi)[0]
        np.testing.assert_allclose((up - down) / (2 * h), gradients[(0, slice(None), *index)], rtol=1e-5, atol=1e-5)
        numeric_laplacian += (up - 2 * features[0] + down) / h**2
    np.testing.assert_allclose(numeric_laplacian, laplacians[0], rtol=1e-5, atol=1e-4)
    theta = rng.normal(size=ansatz.n_params) * 0.1
    energy, grad = ansatz.operator(theta, 4).energy_and_grad(psi, phi)
    np.testing.assert_allclose(energy, features @ theta, rtol=1e-12)
    np.testing.assert_allclose(grad, np.einsum("bpcyx,p->bcyx", gradients, theta), rtol=1e-10, atol=1e-12)
    step = np.zeros_like(phi)
    step[1, 2, 3] = 1e-5
    numeric = (ansatz.energy(theta, psi, phi + step) - ansatz.energy(theta, psi, phi - step))[1] / 2e-5
    assert numeric == pytest.approx(ansatz.grad_phi(theta, psi, phi)[1, 2, 3], rel=1e-6)


def test_curvature_bound_holds_for_the_block_hessian():
    """The MALA step's bound is at least the largest eigenvalue of each block's 3 x 3 Hessian (computed
    here by finite differences of the gradient)."""
    rng = np.random.default_rng(2)
    ansatz = QuadraticAnsatz(0, block_quartic=True, wavelet="haar")
    psi, phi = rng.normal(size=(1, 3, 2, 2)), rng.normal(size=(1, 2, 2))
    theta = np.zeros(ansatz.n_params)
    theta[ansatz.block_slice] = rng.normal(size=7)

    def grad(p):
        return ansatz.feature_gradients(p, phi)[0, ansatz.block_slice].transpose(1, 2, 3, 0) @ theta[ansatz.block_slice]

    largest = 0.0
    for y, x in np.ndindex(2, 2):
        hessian = np.zeros((3, 3))
        for c in range(3):
            step = np.zeros_like(psi)
            step[0, c, y, x] = 1e-6
            hessian[c] = (grad(psi + step) - grad(psi - step))[:, y, x] / 2e-6
        largest = max(largest, np.abs(np.linalg.eigvalsh((hessian + hessian.T) / 2)).max())
    bound = block_quartic_curvature(theta[ansatz.block_slice], psi, phi)
    assert largest <= bound * (1 + 1e-6) and bound < 3 * largest


def test_gaussian_data_give_zero_block_terms_within_their_errors(exact_case, pairs):
    """The exact conditional of the massive free field is quadratic of range 1: with the block terms added,
    their 7 x 4 z-scores (4 data sets) stay within the two-sided Bonferroni bound at 0.001 and the quadratic
    couplings within theirs of the truth; the block z-scores' sum of squares is a plausible chi-square."""
    spectrum, scale = exact_case(16)
    ansatz = QuadraticAnsatz(1, block_quartic=True, wavelet="haar")
    truth = np.zeros(ansatz.n_params)
    truth[: ansatz.n_dd + ansatz.n_dc] = QuadraticAnsatz(1, wavelet="haar").from_kernels(*scale.kernels())
    z = []
    for seed in range(4):
        phi, psi = pairs(spectrum, 16, 200, seed)
        fit = fit_score_matching(ansatz, psi, phi)
        z.append((fit.theta - truth) / fit.stderr)
    z = np.array(z)
    assert np.abs(z).max() < norm.ppf(1 - 0.001 / (2 * z.size))
    block = z[:, ansatz.block_slice] ** 2  # honest errors: a chi-square mean within its two-sided 0.001 range
    assert chi2.ppf(0.0005, block.size) < block.sum() < chi2.ppf(0.9995, block.size)


def test_fit_wirg_places_block_terms_saves_them_and_the_microscopic_energy_refuses(tmp_path):
    fields = np.random.default_rng(3).normal(size=(20, 16, 16))
    model = fit_wirg(
        fields, levels=3, wavelet="haar", radius=1, potential="polynomial:6", block_quartic=[2, 3], progress=False
    )
    assert [s.ansatz.block_quartic for s in model.scales] == [False, True, True]
    assert model.settings["block_quartic"] == [2, 3]
    model.save(tmp_path / "m")
    loaded = WIRGModel.load(tmp_path / "m")
    assert [s.ansatz.labels for s in loaded.scales] == [s.ansatz.labels for s in model.scales]
    model.fit_free_energies(fields[:4], seed=0)
    with pytest.raises(ValueError, match=r"scales\[1\]: its block quartic or cubic terms"):
        model.microscopic_energy()
    every = fit_wirg(fields, levels=2, wavelet="haar", radius=1, potential=None, block_quartic=True, progress=False)
    assert all(s.ansatz.block_quartic for s in every.scales)
    # per-scale potentials: with Haar, t^4 on the finer field is a combination of the block terms (the identity
    # above), so the scales with block terms take t^6 alone and their score matching stays regular
    per_scale = ["polynomial:4,6", "polynomial:6", "polynomial:6", "polynomial:4,6"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mixed = fit_wirg(
            fields, levels=3, wavelet="haar", radius=1, potential=per_scale, block_quartic=[2, 3], progress=False
        )
    assert [s.ansatz.potential.powers for s in mixed.scales] == [(4, 6), (6,), (6,)]
    assert mixed.coarse.ansatz.potential.powers == (4, 6) and mixed.settings["potential"] == per_scale
    with pytest.warns(ConvergenceWarning, match="scale 2: .*singular"):
        fit_wirg(
            fields, levels=3, wavelet="haar", radius=1, potential="polynomial:4", block_quartic=[2], progress=False
        )
    with pytest.raises(ValueError, match="potential: a list needs 4"):
        fit_wirg(fields, levels=3, potential=per_scale[:3], progress=False)
    with pytest.raises(TypeError, match="block_quartic"):
        QuadraticAnsatz(1, block_quartic=1)
