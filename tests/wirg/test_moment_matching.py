"""Moment matching with persistent MALA chains against the exact maximum-likelihood fits; bad input.

Reference case: the ``exact_case`` fixture of conftest.py."""

import numpy as np
import pytest

from wirg.ansatz import FieldAnsatz, LocalAnsatz, QuadraticAnsatz
from wirg.fields import free_field_spectrum, gaussian_field
from wirg.likelihood import ConditionalGaussianLikelihood, fit_exact_direct, fit_exact_quadratic, local_fisher
from wirg.moment_matching import fit_direct, fit_moment_matching

# ---------------------------------------------------------------------------------- moment matching


def test_moment_matching_converges_to_the_exact_ml_fit(exact_case, pairs):
    """L = 8 (4 x 4 coarse), 64 data pairs, plain gradient descent at lr = 1 / lambda_max of the
    Hessian (condition number 97), 5 MALA steps per iteration, 300 iterations. The Polyak average
    over iterations 150-300 is within 1.3-1.6% (relative norm, 4 seeds) of the exact ML fit, i.e.
    0.29-0.32 statistical standard errors (max over the 69 couplings; the remainder is the tail of
    the descent plus Monte Carlo noise); asserted: 2.5% and 0.5 standard errors. With tol = 0.1 the
    run stops after 42-45 iterations."""
    L = 8
    spectrum, _ = exact_case(L)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    phi, psi = pairs(spectrum, L, 64, seed=7)
    ml = fit_exact_quadratic(ansatz, phi, psi)
    lr = 1.0 / np.linalg.eigvalsh(ConditionalGaussianLikelihood(ansatz, phi, psi).terms(ml.theta).hessian).max()
    result = fit_moment_matching(ansatz, phi, psi, steps=300, lr=lr, seed=1, mcmc_steps=5, target=ml.theta)
    assert result.iterations == 300 and not result.converged
    assert 0.5 < result.acceptance < 0.65
    assert np.linalg.norm(result.theta_average - ml.theta) / np.linalg.norm(ml.theta) < 0.025
    assert np.abs((result.theta_average - ml.theta) / ml.stderr).max() < 0.5
    assert result.error_history[0] > 0.2 and result.error_history[-1] < 0.05
    stopped = fit_moment_matching(ansatz, phi, psi, steps=500, lr=lr, seed=1, mcmc_steps=5, target=ml.theta, tol=0.1)
    assert stopped.converged and stopped.iterations == stopped.iterations_to_target < 100
    assert np.array_equal(stopped.theta_history, result.theta_history[: stopped.iterations + 1])  # reproducible


def test_natural_gradient_reaches_the_exact_ml_fit_in_fewer_steps(exact_case, pairs):
    """The same case preconditioned by the data's feature covariance (``natural=True``, rate 0.3): the exact
    Gaussian conditional is an exponential family whose Fisher matrix is that covariance at the optimum, so
    a natural step is nearly Newton's. On 200 pairs (the covariance of the 69 features needs more fields than
    features: on 64 it is singular and refused) it reaches 10% of the ML fit in fewer iterations than the plain
    descent's 42-45 at its best rate, and its Polyak average lands within 0.5 standard errors of it."""
    L = 8
    spectrum, _ = exact_case(L)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    phi, psi = pairs(spectrum, L, 200, seed=7)
    ml = fit_exact_quadratic(ansatz, phi, psi)
    stopped = fit_moment_matching(
        ansatz, phi, psi, steps=500, lr=0.3, seed=1, mcmc_steps=5, target=ml.theta, tol=0.1, natural=True
    )
    assert stopped.converged and stopped.iterations_to_target < 15  # 5 measured (6 at rate 0.2)
    result = fit_moment_matching(
        ansatz, phi, psi, steps=300, lr=0.3, seed=1, mcmc_steps=5, target=ml.theta, natural=True
    )
    assert np.abs((result.theta_average - ml.theta) / ml.stderr).max() < 0.5
    with pytest.raises(ValueError, match="natural: the data's feature covariance is singular"):
        fit_moment_matching(ansatz, phi[:64], psi[:64], steps=1, lr=0.3, seed=1, natural=True)


def test_direct_moment_matching_reaches_the_exact_direct_fit():
    L = 8
    fields = gaussian_field(free_field_spectrum(L, 0.5), L, 32, seed=3)
    ansatz = LocalAnsatz(1)
    ml = fit_exact_direct(ansatz, fields)
    lr = 1.0 / np.linalg.eigvalsh(local_fisher(ansatz, ml.theta, L)).max()
    result = fit_direct(ansatz, fields, steps=2000, lr=lr, seed=2, mcmc_steps=5, target=ml.theta, tol=0.05)
    assert result.converged and 0.5 < result.acceptance < 0.65


def test_bad_input():
    ansatz = QuadraticAnsatz(1)
    rng = np.random.default_rng(0)
    psi, phi = rng.normal(size=(2, 3, 4, 4)), rng.normal(size=(2, 4, 4))
    with pytest.raises(ValueError, match="sampler"):
        fit_moment_matching(ansatz, phi, psi, steps=1, lr=0.1, seed=0, sampler="hmc")
    with pytest.raises(ValueError, match="lr"):
        fit_moment_matching(ansatz, phi, psi, steps=1, lr=-1.0, seed=0)
    with pytest.raises(ValueError, match="tol needs a target"):
        fit_moment_matching(ansatz, phi, psi, steps=1, lr=0.1, seed=0, tol=0.1)
    with pytest.raises(ValueError, match="n_chains"):
        fit_moment_matching(ansatz, phi, psi, steps=1, lr=0.1, seed=0, n_chains=5)
    with pytest.raises(ValueError, match="zero spatial mean"):
        fit_direct(LocalAnsatz(1), np.ones((2, 4, 4)) + np.eye(4), steps=1, lr=0.1, seed=0, zero_mean=True)


def test_an_unstable_learning_rate_gives_no_floating_point_warning(pairs, exact_case, recwarn):
    """lr far above 2 / lambda_max sends the couplings to ~1e299: the MALA proposals' energies overflow
    and are rejected (documented), without bare numpy warnings from inside the energy."""
    spectrum, _ = exact_case(8)
    phi, psi = pairs(spectrum, 8, 6, seed=1)
    fit_moment_matching(QuadraticAnsatz(1, wavelet="haar"), phi, psi, steps=3, lr=1e300, seed=0, mcmc_steps=2)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_moment_matching_result_protocol_and_warning_at_the_budget(exact_case, pairs):
    from statlearn.numerics import ConvergenceWarning
    from statlearn.numerics.result import SolverResult

    spectrum, scale = exact_case(8)
    phi, psi = pairs(spectrum, 8, 20, seed=2)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    target = ansatz.from_kernels(*scale.kernels())
    with pytest.warns(ConvergenceWarning, match="step budget exhausted"):
        result = fit_moment_matching(ansatz, phi, psi, steps=3, lr=0.01, seed=0, target=target, tol=1e-9)
    assert isinstance(result, SolverResult) and not result.converged and result.iterations == 3
    assert result.residual == result.error_history[-1]
    with pytest.raises(ValueError, match="read-only"):
        result.theta_history[0, 0] = 0.0


def test_direct_natural_step_fits_the_coarsest_field_ansatz():
    """``fit_direct`` on the coarsest field's :class:`FieldAnsatz` (every coupling of the 4 x 4 torus, no
    potential) on 400 Gaussian fields: the natural step reaches the exact likelihood fit (Newton on the same
    stationary Gaussian, ``fit_exact_direct`` of its quadratic part) within 10% in a few dozen steps, and the
    Polyak average of a longer run lands within 1 standard error of it in every coupling."""
    L = 4
    fields = gaussian_field(free_field_spectrum(L, 0.5), L, 400, seed=5)
    ansatz = FieldAnsatz(L // 2, lattice=L)
    ml = fit_exact_direct(ansatz.local, fields)
    stopped = fit_direct(
        ansatz, fields, steps=500, lr=0.3, seed=1, mcmc_steps=5, target=ml.theta, tol=0.1, natural=True
    )
    assert stopped.converged and stopped.iterations_to_target < 20  # 7 measured; plain steps at rate 0.3: not in 500
    result = fit_direct(ansatz, fields, steps=300, lr=0.3, seed=1, mcmc_steps=5, natural=True)
    assert np.abs((result.theta_average - ml.theta) / ml.stderr).max() < 0.5  # 0.15 measured
    with pytest.raises(TypeError, match="ansatz must be a LocalAnsatz or FieldAnsatz"):
        fit_direct(QuadraticAnsatz(1), fields, steps=1, lr=0.1, seed=0)
