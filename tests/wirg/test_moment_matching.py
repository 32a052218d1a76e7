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


# ---------------------------------------------------------------------------------- relaxation check


def _at(theta, ansatz, phi, psi, *, seed, check_steps=400):
    """A 'fit' that stays at ``theta`` (one step of a negligible rate), then its relaxation check."""
    return fit_moment_matching(
        ansatz, phi, psi, steps=1, lr=1e-12, seed=seed, mcmc_steps=1, theta0=theta, check_steps=check_steps
    )


def test_relaxation_check_holds_at_the_exact_ml_fit_and_fails_away_from_it(exact_case, pairs):
    """At the exact maximum of the likelihood (200 pairs, 69 couplings) the fresh chains' feature means differ
    from the data's by their Monte Carlo error only, so the check holds (family-wise false alarm 1e-3) for every
    seed. With the diagonal detail couplings 20% too small the detail variances are 25% too large; a detail
    variance per site is a mean over 16 sites (relative spread sqrt(2/16)), so over 200 chains its standard error
    is 2.5% and the shift about 10 standard errors once the chains have relaxed from the data: the check fails
    and warns. Neither number is taken from the code's output: the null is the Bonferroni bound, the
    alternative a known wrong theta. Measured: max|z| 2.4-3.4 at the ML fit (6 seeds; about 2.9 is the typical
    maximum of 69 standard normals), 10.5-11.1 at the wrong theta (400 or 4000 steps alike)."""
    from statlearn.numerics import ConvergenceWarning

    spectrum, _ = exact_case(8)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    phi, psi = pairs(spectrum, 8, 200, seed=7)
    ml = fit_exact_quadratic(ansatz, phi, psi)
    for seed in range(3):
        check = _at(ml.theta, ansatz, phi, psi, seed=seed).relaxation
        assert check is not None and check.passed and check.steps == 400 and 0.5 < check.acceptance < 0.65
        assert check.z.shape == (ansatz.n_params,) and check.max_abs_z < 4.5
    wrong = ml.theta.copy()
    diagonal = [
        a for a, label in enumerate(ansatz.labels) if label[0] == "dd" and label[1] == label[2] and label[3] == (0, 0)
    ]
    wrong[diagonal] *= 0.8
    with pytest.warns(ConvergenceWarning, match="relaxation check FAILS"):
        result = _at(wrong, ansatz, phi, psi, seed=0)
    assert not result.relaxation.passed and result.relaxation.max_abs_z > 6.0
    assert int(np.argmax(np.abs(result.relaxation.z))) in diagonal
    assert "relaxation check FAILS" in result.message
    assert fit_moment_matching(ansatz, phi, psi, steps=1, lr=1e-12, seed=0, theta0=ml.theta).relaxation is None
    with pytest.raises(ValueError, match="check_steps"):
        _at(ml.theta, ansatz, phi, psi, seed=0, check_steps=-1)


def test_relaxation_check_of_the_direct_fit():
    """The same check for :func:`fit_direct` (whole-field chains): it holds at the exact direct fit of 400 Gaussian
    fields and fails with the on-site coupling 20% too small (max|z| 1.0-2.5 and 110-150 measured)."""
    from statlearn.numerics import ConvergenceWarning

    L = 8
    fields = gaussian_field(free_field_spectrum(L, 0.5), L, 400, seed=3)
    ansatz = LocalAnsatz(1)
    ml = fit_exact_direct(ansatz, fields)

    def run(theta):
        return fit_direct(
            ansatz, fields, steps=1, lr=1e-12, seed=4, mcmc_steps=1, theta0=theta, check_steps=400
        ).relaxation

    assert run(ml.theta).passed
    wrong = ml.theta.copy()
    wrong[ansatz.shifts.index((0, 0))] *= 0.8
    with pytest.warns(ConvergenceWarning, match="relaxation check FAILS"):
        assert not run(wrong).passed


def test_several_chains_per_pair_reach_the_same_exact_ml_fit(exact_case, pairs):
    """Replicated chains (4 per data pair) change the noise of the gradient, not its fixed point: the natural
    fit of the 200-pair exact case lands within 0.5 standard errors of the exact ML fit, as with one chain per
    pair, and its relaxation check (800 chains) holds. A replica clamped to the wrong coarse field would move
    the fixed point by many standard errors. Measured: 0.14 standard errors at most (0.39 with one chain per
    pair, the same seed), check max|z| 2.2."""
    spectrum, _ = exact_case(8)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    phi, psi = pairs(spectrum, 8, 200, seed=7)
    ml = fit_exact_quadratic(ansatz, phi, psi)
    result = fit_moment_matching(
        ansatz, phi, psi, steps=200, lr=0.3, seed=2, mcmc_steps=5, natural=True, chains_per_pair=4, check_steps=200
    )
    assert np.abs((result.theta_average - ml.theta) / ml.stderr).max() < 0.5
    assert result.relaxation is not None and result.relaxation.passed
    with pytest.raises(ValueError, match="chains_per_pair"):
        fit_moment_matching(ansatz, phi, psi, steps=1, lr=0.3, seed=2, chains_per_pair=0)


def test_polishing_newton_steps_reach_the_exact_ml_fit(exact_case, pairs):
    """From the diagonal detail couplings 20% too small (7.9 standard errors of the exact ML fit away, max over the
    69 couplings; 200 pairs), with no descent at all, 5 polishing Newton steps (damping 0.7, chains of 1000 MALA
    steps) land within 0.5 standard errors of the exact fit: measured 0.25-0.31 (3 seeds). Each step shrinks
    the distance by a factor 0.35-0.45 (Newton's 0.3 at damping 0.7, plus the Monte Carlo error of the chains'
    means); the floor, 0.2-0.33 after 5 or 7 steps, is that error. The relaxation check then holds."""
    spectrum, _ = exact_case(8)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    phi, psi = pairs(spectrum, 8, 200, seed=7)
    ml = fit_exact_quadratic(ansatz, phi, psi)
    wrong = ml.theta.copy()
    wrong[
        [a for a, label in enumerate(ansatz.labels) if label[0] == "dd" and label[1] == label[2] and label[3] == (0, 0)]
    ] *= 0.8
    assert np.abs((wrong - ml.theta) / ml.stderr).max() > 7.0
    result = fit_moment_matching(
        ansatz, phi, psi, steps=1, lr=1e-12, seed=0, mcmc_steps=1, theta0=wrong, polish=5, check_steps=400
    )
    assert np.abs((result.theta_average - ml.theta) / ml.stderr).max() < 0.5
    assert result.relaxation is not None and result.relaxation.passed
    assert "5 Newton step(s)" in result.message
    with pytest.raises(ValueError, match="polish_steps"):
        fit_moment_matching(ansatz, phi, psi, steps=1, lr=1e-12, seed=0, polish=1, polish_steps=5)
    with pytest.raises(ValueError, match="polish"):
        fit_moment_matching(ansatz, phi, psi, steps=1, lr=1e-12, seed=0, polish=-1)


def test_polishing_stops_with_a_warning_at_a_non_finite_step(exact_case, pairs, monkeypatch):
    """A Newton step that is not finite (here forced: the second solve returns infinities) stops polishing after
    the steps already taken, with a ConvergenceWarning, instead of handing infinite couplings to the chains."""
    from statlearn.numerics import ConvergenceWarning

    spectrum, _ = exact_case(8)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    phi, psi = pairs(spectrum, 8, 200, seed=7)
    theta0 = fit_exact_quadratic(ansatz, phi, psi).theta
    solve, calls = np.linalg.lstsq, []

    def failing(a, b, rcond=None):
        calls.append(1)
        x, *rest = solve(a, b, rcond=rcond)
        return (x if len(calls) == 1 else np.full_like(x, np.inf), *rest)

    monkeypatch.setattr(np.linalg, "lstsq", failing)
    with pytest.warns(ConvergenceWarning, match="polishing stopped after 1 of 3 Newton steps: the next Newton step"):
        result = fit_moment_matching(ansatz, phi, psi, steps=1, lr=1e-12, seed=0, mcmc_steps=1, theta0=theta0, polish=3)
    assert np.all(np.isfinite(result.theta_average)) and "1 Newton step(s)" in result.message
