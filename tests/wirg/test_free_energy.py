"""Free energies of one scale (wirg.free_energy): the exact Gaussian case from wirg.gaussian, and a non-Gaussian
conditional that factorises over the Haar blocks, whose free energy is a three-dimensional integral done by
quadrature. Every Monte Carlo comparison is a Student-t test on the spread of independent replicas, with a
Bonferroni bound over the compared numbers at a family-wise level of 1e-3."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import wirg
from statlearn.numerics import ConvergenceWarning
from statlearn.numerics.result import SolverResult
from wirg.ansatz import FieldAnsatz, PolynomialPotential, QuadraticAnsatz
from wirg.fields import gaussian_field
from wirg.free_energy import (
    FreeEnergyFit,
    free_energy_exact,
    free_energy_integration,
    free_energy_score,
    gaussian_free_energy,
)
from wirg.wavelets import analysis_step, synthesis_step


def _t_bound(n_compared: int, n_chains: int, level: float = 1e-3) -> float:
    return float(stats.t.ppf(1.0 - level / (2 * n_compared), n_chains - 1))


@pytest.fixture
def haar_case(exact_case):
    """Exact scale 1 of the massive free field (Haar, L = 16), its exact couplings in a radius-1 ansatz
    (exact: the couplings have range 1) and coarse fields of the exact law."""
    spectrum, scale = exact_case(16)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    theta = ansatz.from_kernels(*scale.kernels())
    return spectrum, scale, ansatz, theta


def _coarse(spectrum, n_fields, seed):
    return analysis_step(gaussian_field(spectrum, 16, n_fields, seed=seed), "haar")[0]


def test_gaussian_free_energy_is_the_exact_one(haar_case):
    spectrum, scale, ansatz, theta = haar_case
    phi = _coarse(spectrum, 5, seed=1)
    np.testing.assert_allclose(gaussian_free_energy(ansatz, theta, phi), scale.free_energy(phi), rtol=1e-12)


def test_exact_free_energy_is_the_truncated_exact_kernel(haar_case):
    """free_energy_exact holds wirg.gaussian's free-energy kernel truncated to the stencil; on the 8 x 8 lattice
    radius 3 leaves out only the shifts with a component 4, so value differences are the exact ones up to
    that tail (bounded below), and the misfit shrinks with the radius."""
    spectrum, scale, ansatz, theta = haar_case
    phi = _coarse(spectrum, 6, seed=4)
    misfits = []
    for radius in (1, 2, 3):
        field = FieldAnsatz(radius, PolynomialPotential((4,)))
        fit = free_energy_exact(ansatz, theta, 8, field)
        assert isinstance(fit, SolverResult) and fit.converged and fit.method == "exact"
        np.testing.assert_allclose(
            fit.coefficients[: field.n_quadratic], field.local.from_precision(scale.free_energy_kernel), atol=1e-12
        )
        assert fit.coefficients[-1] == 0.0 and np.all(fit.errors == 0.0)
        misfits.append(fit.misfit)
    assert misfits[0] > misfits[1] > misfits[2] and misfits[2] < 0.02
    # the left-out tail, symbol delta, changes each value by at most max|delta| |phi|^2 / 2 (Parseval)
    delta = scale.free_energy_kernel - field.local.symbol(fit.coefficients[: field.n_quadratic], 8)
    bound = 0.5 * np.abs(delta).max() * np.sum(phi**2, axis=(1, 2))
    error = fit.value(phi) - scale.free_energy(phi)
    assert np.all(np.abs(error - error[0]) <= bound + bound[0])
    assert np.ptp(error) > 0.0 and bound.max() < 0.5 * np.ptp(scale.free_energy(phi))
    with pytest.raises(ValueError, match="theta"):
        free_energy_exact(ansatz, -theta, 8, field)  # not positive definite


def test_score_estimator_recovers_the_exact_gaussian_free_energy(haar_case):
    spectrum, scale, ansatz, theta = haar_case
    phi = _coarse(spectrum, 12, seed=2)
    field = FieldAnsatz(2)
    n_chains = 8
    fit = free_energy_score(ansatz, theta, phi, field, seed=3, n_chains=n_chains, n_samples=200, burn_in=100)
    assert isinstance(fit, SolverResult) and fit.converged and fit.method == "score"
    # the exact target: least squares of the exact gradient (free_energy_kernel * phi) on the feature gradients
    D = field.feature_gradients(phi)
    exact_gradient = np.fft.ifft2(scale.free_energy_kernel * np.fft.fft2(phi)).real
    target = np.linalg.solve(np.einsum("spyx,sqyx->pq", D, D), np.einsum("spyx,syx->p", D, exact_gradient))
    z = (fit.coefficients - target) / fit.errors
    assert np.abs(z).max() < _t_bound(field.n_params, n_chains), z
    # the test has power: the on-site coefficient -Q_lh Q_hh^-1 Q_hl at Delta = 0 to 2%
    assert fit.errors[field.local.shifts.index((0, 0))] < 0.02 * abs(target[field.local.shifts.index((0, 0))])
    # and the target is the exact kernel up to its tail beyond radius 2 (the on-site value to 2%)
    truncated = field.local.from_precision(scale.free_energy_kernel)
    np.testing.assert_allclose(target[0], truncated[0], rtol=0.02)
    np.testing.assert_allclose(fit.gradient(phi), np.einsum("p,spyx->syx", fit.coefficients, D), atol=1e-12)
    np.testing.assert_allclose(fit.value(phi), field.features(phi) @ fit.coefficients, rtol=1e-12)


def test_integration_gives_the_exact_gaussian_values(haar_case):
    """Thermodynamic integration from the couplings without the cross terms (free energy constant in
    phi_j) to the exact ones: the values, constant included, are those of wirg.gaussian."""
    spectrum, scale, ansatz, theta = haar_case
    phi = _coarse(spectrum, 16, seed=4)
    field = FieldAnsatz(1)
    reference = theta.copy()
    reference[ansatz.n_dd :] = 0.0
    n_chains = 8
    fit = free_energy_integration(
        ansatz, theta, phi, field, seed=5, reference=reference, n_nodes=2, n_chains=n_chains, n_samples=200, burn_in=100
    )
    assert fit.converged and fit.method == "integration"
    exact = scale.free_energy(phi)
    z = (fit.values - exact) / fit.value_errors
    assert np.abs(z).max() < _t_bound(len(phi), n_chains), z
    design = np.concatenate([np.ones((len(phi), 1)), field.features(phi)], axis=1)
    target = np.linalg.lstsq(design, exact, rcond=None)[0][1:]
    z = (fit.coefficients - target) / fit.errors
    assert np.abs(z).max() < _t_bound(field.n_params, n_chains), z


def test_integration_default_reference_of_a_gaussian_is_itself(haar_case):
    spectrum, scale, ansatz, theta = haar_case
    phi = _coarse(spectrum, 6, seed=6)
    fit = free_energy_integration(ansatz, theta, phi, FieldAnsatz(0), seed=7, n_chains=4, n_samples=100, burn_in=50)
    # the reference is theta itself (positive definite, eigenvalue ratio above 1/10): nothing to integrate
    np.testing.assert_allclose(fit.values, scale.free_energy(phi), rtol=1e-12)
    assert np.all(fit.value_errors == 0.0) and fit.iterations == 0 and fit.converged


# -- a non-Gaussian conditional: Haar, on-site couplings only, a quartic potential ---------------------------

_K = np.array([[2.0, 0.3, 0.0], [0.3, 2.5, 0.2], [0.0, 0.2, 3.0]])
_B = np.array([0.5, -0.4, 0.3])
_ALPHA = 0.4


def _block_theta(ansatz: QuadraticAnsatz) -> np.ndarray:
    theta = np.zeros(ansatz.n_params)
    for a, label in enumerate(ansatz.labels):
        if label[0] == "dd":
            theta[a] = _K[label[1], label[2]]
        elif label[0] == "dc":
            theta[a] = _B[label[1]]
        else:
            theta[a] = _ALPHA
    return theta


def _block_free_energy(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(t) = -ln int d^3psi exp(-e(psi, t)) and f'(t) = <de/dt> for one Haar block, by the trapezoid rule
    (spectrally accurate for this smooth, fast-decaying integrand)."""
    W = synthesis_step(np.eye(4)[:, 0, None, None], np.eye(4)[:, 1:, None, None], "haar").reshape(4, 4)
    grid = np.linspace(-4.5, 4.5, 49)
    h = grid[1] - grid[0]
    psi = np.stack(np.meshgrid(grid, grid, grid, indexing="ij"), axis=-1).reshape(-1, 3)
    quadratic = 0.5 * np.einsum("pa,ab,pb->p", psi, _K, psi)
    nodes = np.linspace(t.min(), t.max(), 41)  # f is smooth: interpolated from 41 nodes (error << 1e-6)
    f, df = np.empty(nodes.size), np.empty(nodes.size)
    for i, ti in enumerate(nodes):
        fine = ti * W[:, 0] + psi @ W[:, 1:].T  # (points, 4 sites)
        e = quadratic + ti * psi @ _B + _ALPHA * np.sum(fine**4, axis=1)
        f[i] = -(logsumexp(-e) + 3 * np.log(h))
        weight = np.exp(-e + e.min())
        df[i] = np.sum(weight * (psi @ _B + 4 * _ALPHA * fine**3 @ W[:, 0])) / weight.sum()
    interpolate = [np.polynomial.Chebyshev.fit(nodes, y, 30) for y in (f, df)]
    return interpolate[0](t), interpolate[1](t)


@pytest.fixture(scope="module")
def block_case():
    ansatz = QuadraticAnsatz(0, potential=PolynomialPotential((4,)), wavelet="haar")
    phi = np.random.default_rng(8).normal(0.0, 0.8, size=(10, 4, 4))
    f, df = _block_free_energy(phi)
    return ansatz, _block_theta(ansatz), phi, f, df


def test_integration_recovers_a_non_gaussian_free_energy(block_case):
    ansatz, theta, phi, f, _ = block_case
    field = FieldAnsatz(0, PolynomialPotential((4, 6)))
    n_chains = 8
    fit = free_energy_integration(
        ansatz, theta, phi, field, seed=9, n_nodes=6, n_chains=n_chains, n_samples=300, burn_in=100
    )
    exact = f.sum(axis=(1, 2))
    z = (fit.values - exact) / fit.value_errors
    assert np.abs(z).max() < _t_bound(len(phi), n_chains), z
    assert fit.value_errors.max() < 0.05 * np.abs(exact - exact.mean()).max()


def test_score_estimator_recovers_a_non_gaussian_free_energy(block_case):
    ansatz, theta, phi, _, df = block_case
    field = FieldAnsatz(0, PolynomialPotential((4, 6)))
    n_chains = 8
    fit = free_energy_score(ansatz, theta, phi, field, seed=10, n_chains=n_chains, n_samples=300, burn_in=100)
    D = field.feature_gradients(phi)
    target = np.linalg.solve(np.einsum("spyx,sqyx->pq", D, D), np.einsum("spyx,syx->p", D, df))
    z = (fit.coefficients - target) / fit.errors
    assert np.abs(z).max() < _t_bound(field.n_params, n_chains), z


def test_chains_started_from_the_datas_details_need_no_burn_in(haar_case, pairs):
    """The details of fields drawn from the exact law are exact samples of the conditional at their coarse
    fields: chains started there are in equilibrium from the first step, so even without burn-in the score
    estimator is unbiased, while chains started from zero details are not (the on-site coefficient off by tens
    of standard errors after 20 steps)."""
    spectrum, scale, ansatz, theta = haar_case
    phi, psi = pairs(spectrum, 16, 12, seed=2)
    field = FieldAnsatz(2)
    D = field.feature_gradients(phi)
    exact_gradient = np.fft.ifft2(scale.free_energy_kernel * np.fft.fft2(phi)).real
    target = np.linalg.solve(np.einsum("spyx,sqyx->pq", D, D), np.einsum("spyx,syx->p", D, exact_gradient))
    bound = _t_bound(field.n_params, 8)
    kwargs = dict(seed=3, n_chains=8, n_samples=20, burn_in=0)
    started = free_energy_score(ansatz, theta, phi, field, init=psi, **kwargs)
    assert np.abs((started.coefficients - target) / started.errors).max() < bound
    zero = free_energy_score(ansatz, theta, phi, field, **kwargs)
    onsite = field.local.shifts.index((0, 0))
    assert abs(zero.coefficients[onsite] - target[onsite]) > bound * zero.errors[onsite]
    with pytest.raises(ValueError, match="init"):
        free_energy_score(ansatz, theta, phi, field, init=psi[:3], **kwargs)


def test_runs_are_reproducible_per_seed(haar_case):
    spectrum, _, ansatz, theta = haar_case
    phi = _coarse(spectrum, 3, seed=11)
    kwargs = dict(seed=12, n_chains=2, n_samples=5, burn_in=5)
    a = free_energy_score(ansatz, theta, phi, FieldAnsatz(1), **kwargs)
    b = free_energy_score(ansatz, theta, phi, FieldAnsatz(1), **kwargs)
    c = free_energy_score(ansatz, theta, phi, FieldAnsatz(1), **{**kwargs, "seed": 13})
    assert np.array_equal(a.replica_coefficients, b.replica_coefficients)
    assert not np.array_equal(a.replica_coefficients, c.replica_coefficients)
    assert isinstance(a, FreeEnergyFit) and not a.coefficients.flags.writeable


def test_chunked_averages_equal_one_run(haar_case, monkeypatch):
    """Averages accumulated chunk by chunk continue the same chains (the step is kept), so the result
    does not depend on the chunk size."""
    import wirg.free_energy as module

    spectrum, _, ansatz, theta = haar_case
    phi = _coarse(spectrum, 2, seed=14)
    kwargs = dict(seed=15, n_chains=2, n_samples=6, burn_in=5)
    whole = free_energy_score(ansatz, theta, phi, FieldAnsatz(0), **kwargs)
    monkeypatch.setattr(module, "_CHUNK_BYTES", 1)
    chunked = free_energy_score(ansatz, theta, phi, FieldAnsatz(0), **kwargs)
    assert whole.iterations == chunked.iterations == 5 + 6
    assert chunked.acceptance > 0.15 and np.all(np.isfinite(chunked.coefficients))


def test_a_step_that_does_not_adapt_warns(block_case):
    """Without burn-in the initial step is kept. It is set by the largest curvature of the quartic potential
    at the initial states, here on coarse fields 30 times larger than the data's, where the curvature is
    ~ 10^3 times the typical one: the step is far too small, nearly every proposal is accepted while the
    chains barely move, and the fit warns and says why."""
    ansatz, theta, phi, _, _ = block_case
    quartic = theta.copy()
    quartic[ansatz.n_dd + ansatz.n_dc :] = 50.0
    with pytest.warns(ConvergenceWarning, match="acceptance"):
        fit = free_energy_score(ansatz, quartic, 30 * phi, FieldAnsatz(0), seed=17, n_chains=2, n_samples=10, burn_in=0)
    assert not fit.converged and fit.acceptance > 0.95 and fit.message.startswith("not converged")


def test_the_default_step_accounts_for_the_potential(block_case):
    """A nearly flat quadratic part under a strong quartic (the phi^4 conditional at small beta has this shape):
    a step from the quadratic part alone is rejected almost always (acceptance 0 on phi^4 at beta = 0.5, L = 32
    before the fix); the default step, from an upper bound of the curvature with the potential's at the initial
    states, errs small: accepted from the first step, then adapted upwards within a short burn-in."""
    ansatz, theta, phi, _, _ = block_case
    flat = theta.copy()
    flat[: ansatz.n_dd] *= 0.001
    flat[ansatz.n_dd + ansatz.n_dc :] = 50.0
    run = wirg.sample_conditional(ansatz, flat, phi, n_samples=20, seed=3, burn_in=0)
    assert run.acceptance > 0.5
    fit = free_energy_score(ansatz, flat, phi, FieldAnsatz(0), seed=17, n_chains=2, n_samples=10, burn_in=100)
    assert fit.converged and 0.15 <= fit.acceptance <= 0.95


def test_bad_input_is_refused(haar_case):
    spectrum, _, ansatz, theta = haar_case
    phi = _coarse(spectrum, 3, seed=18)
    with pytest.raises(ValueError, match="phi_j"):
        free_energy_integration(ansatz, theta, phi, FieldAnsatz(1), seed=0)  # too few fields for 5 + 1 parameters
    with pytest.raises(ValueError, match="phi_j"):
        free_energy_score(ansatz, theta, np.zeros_like(phi), FieldAnsatz(1), seed=0)  # degenerate features
    with pytest.raises(ValueError, match="reference"):
        free_energy_integration(ansatz, theta, phi, FieldAnsatz(0), seed=0, reference=theta * 0)
    with pytest.raises(TypeError, match="field_ansatz"):
        free_energy_score(ansatz, theta, phi, ansatz, seed=0)
    with pytest.raises(ValueError, match="n_chains"):
        free_energy_score(ansatz, theta, phi, FieldAnsatz(0), seed=0, n_chains=1)
