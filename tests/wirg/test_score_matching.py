"""Score matching (wirg.score_matching): exact Gaussian couplings within honest standard errors, the known
energies of phi^4 and of a non-Gaussian field recovered, singular problems and bad input."""

import warnings

import numpy as np
import pytest
from scipy.stats import norm

import wirg
from statlearn.numerics import ConvergenceWarning
from wirg.ansatz import CombinedPotential, FieldAnsatz, PolynomialPotential, QuadraticAnsatz, SigmoidPotential
from wirg.score_matching import fit_score_matching


def test_gaussian_data_give_the_exact_couplings_within_honest_standard_errors(exact_case, pairs):
    """Massive free field, Haar, radius 1 (the exact conditional has range 1): over 8 data sets of 200 fields
    the 69 z-scores per fit have mean square 1 (552 values, +-0.2 at about 3 sigma) and none beyond the
    two-sided Bonferroni bound at 0.001 (4.8 sigma)."""
    spectrum, scale = exact_case(16)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    truth = ansatz.from_kernels(*scale.kernels())
    z = []
    for seed in range(8):
        phi, psi = pairs(spectrum, 16, 200, seed)
        fit = fit_score_matching(ansatz, psi, phi)
        assert fit.converged and fit.iterations == 1 and fit.residual < 1e-10
        assert fit.n_blocks == 200 and fit.condition_normalised <= fit.condition_raw
        z.append((fit.theta - truth) / fit.stderr)
    z = np.array(z)
    assert 0.8 < (z**2).mean() < 1.2
    assert np.abs(z).max() < norm.ppf(1 - 0.001 / (2 * z.size))


def test_batch_means_give_the_same_fit_and_comparable_errors(exact_case, pairs):
    spectrum, _ = exact_case(16)
    phi, psi = pairs(spectrum, 16, 200, 11)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    per_field, blocked = fit_score_matching(ansatz, psi, phi), fit_score_matching(ansatz, psi, phi, n_blocks=40)
    np.testing.assert_allclose(blocked.theta, per_field.theta, rtol=1e-12, atol=1e-13)
    # 39 degrees of freedom: each variance within a factor 2 of the per-field one
    ratio = blocked.stderr / per_field.stderr
    assert blocked.n_blocks == 40 and 0.5 < ratio.min() and ratio.max() < 2.0


def test_phi4_conditional_energy_is_recovered():
    """phi^4 at beta = 0.68: with Haar, Ebar_1 is E_0 on the reconstructed field, so its couplings are the exact
    Gaussian ones of the precision beta(-Delta) - 2(1 + 2 beta) (a free field of mass 1 minus 3 + 4 beta on the
    diagonal, since a constant precision c gives Q = c I) and the phi^4 coefficient 1: all 70 parameters
    within the Bonferroni bound at 0.001 of their standard errors."""
    beta, L = 0.68, 16
    fields = wirg.phi4(L, beta, 1000, seed=1).fields
    phi, psi = wirg.analysis_step(fields, "haar")
    ansatz = QuadraticAnsatz(1, potential=PolynomialPotential((4,)), wavelet="haar")
    reference = wirg.GaussianWIRG(wirg.free_field_spectrum(L, mass=1.0, beta=beta), wavelet="haar").scales[0]
    truth = ansatz.from_kernels(*reference.kernels(), alpha=[1.0])
    for a, (_, c, cp, shift) in enumerate(ansatz.labels[: ansatz.n_dd]):
        if c == cp and shift == (0, 0):
            truth[a] -= 1.0 + 2.0 + 4.0 * beta
    fit = fit_score_matching(ansatz, psi, phi)
    z = (fit.theta - truth) / fit.stderr
    assert np.abs(z).max() < norm.ppf(1 - 0.001 / (2 * z.size))
    assert fit.theta[-1] == pytest.approx(1.0, abs=0.05)


def _independent_sites(energy, n, rng):
    """Exact i.i.d. samples of the density exp(-energy(t)) by inverse CDF on a fine grid."""
    t = np.linspace(-6.0, 6.0, 200_001)
    density = np.exp(-(energy(t) - energy(t).min()))
    cdf = np.cumsum(density)
    cdf /= cdf[-1]
    return np.interp(rng.uniform(size=n), cdf, t)


def test_field_ansatz_recovers_a_known_non_gaussian_energy():
    """Independent sites with v(t) = t^2/2 + 1.5 sigma((t - 0.5)/0.4) - 1.0 sigma((t + 1)/0.3) + 0.25 t^4: a
    radius-1 FieldAnsatz (nearest-neighbour couplings 0 in truth) recovers all 10 parameters within 4 sigma."""
    sigmoids = SigmoidPotential([0.5, -1.0], [0.4, 0.3])
    potential = CombinedPotential([sigmoids, PolynomialPotential((4,))])
    alpha = np.array([1.5, -1.0, 0.25])
    ansatz = FieldAnsatz(1, potential)
    truth = np.zeros(ansatz.n_params)
    truth[ansatz.labels.index(("q", (0, 0)))] = 1.0
    truth[ansatz.n_quadratic :] = alpha

    def energy(t):
        return 0.5 * t**2 + potential.basis(t) @ alpha

    fields = _independent_sites(energy, 400 * 8 * 8, np.random.default_rng(12)).reshape(400, 8, 8)
    fit = fit_score_matching(ansatz, fields)
    assert fit.converged and fit.theta.shape == (ansatz.n_params,)
    assert np.abs((fit.theta - truth) / fit.stderr).max() < 4.0


def test_redundant_features_warn_and_return_the_minimum_norm_solution(exact_case, pairs):
    """A t^2 potential duplicates the squares of the details (sum phi_0^2 = |phi_1|^2 + |psibar|^2)."""
    spectrum, _ = exact_case(8)
    phi, psi = pairs(spectrum, 8, 50, 3)
    ansatz = QuadraticAnsatz(1, potential=PolynomialPotential((2,)), wavelet="haar")
    with pytest.warns(ConvergenceWarning, match="singular"):
        fit = fit_score_matching(ansatz, psi, phi)
    assert not fit.converged and fit.condition_normalised > 1e12 and np.all(np.isfinite(fit.theta))
    # the redundant direction is resolved, the solution still solves the normal equations
    assert fit.residual < 1e-8


def test_bad_input(exact_case, pairs):
    spectrum, _ = exact_case(8)
    phi, psi = pairs(spectrum, 8, 6, 0)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    with pytest.raises(TypeError, match="phi_j"):
        fit_score_matching(ansatz, psi)
    with pytest.raises(TypeError, match="phi_j must be None"):
        fit_score_matching(FieldAnsatz(1), phi, phi)
    with pytest.raises(TypeError, match="ansatz"):
        fit_score_matching(wirg.LocalAnsatz(1), phi)
    with pytest.raises(ValueError, match="n_blocks"):
        fit_score_matching(ansatz, psi, phi, n_blocks=7)
    with pytest.raises(ValueError, match="at least 2 fields"):
        fit_score_matching(ansatz, psi[:1], phi[:1])
    with pytest.raises(ValueError, match="data must have shape"):
        fit_score_matching(FieldAnsatz(1), psi)
    far = FieldAnsatz(0, SigmoidPotential([1e4], [1.0]))  # its derivative underflows to 0 on the data
    with pytest.raises(ValueError, match="zero gradient"):
        fit_score_matching(far, phi)
    bad = psi.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="psibar"), warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_score_matching(ansatz, bad, phi)
