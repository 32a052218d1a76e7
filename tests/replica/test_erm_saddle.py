"""The ERM saddle point of the Gaussian covariate model against closed forms, an independent
theory (the Bayes-optimal GLM), finite covariances, limits and finite-size training."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statlearn.experiments.covariates import simulate
from statlearn.models.activations import gaussian_equivalence
from statlearn.models.channels import get_channel
from statlearn.models.covariates import BlockCovariates, GivenSpectrum, RandomFeatures, Spectrum
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.replica.erm import learning_curve, optimal_lambda, saddle_point
from statlearn.replica.glm import bayes_optimal
from statlearn.replica.ridge import random_features_ridge, ridge_isotropic
from statlearn.tables import write_csv

ISO = BlockCovariates.isotropic()


@pytest.mark.parametrize("alpha", [0.5, 0.99, 1.01, 2.0, 3.0])
@pytest.mark.parametrize("lam", [0.0, 1e-5, 1e-2, 1.0])
@pytest.mark.parametrize("noise", [0.0, 0.25])
def test_ridge_isotropic_closed_form(alpha, lam, noise):
    # Hastie et al. (2019) Thm 5 / Thms 1-2 in the saddle point's conventions (erm module docstring).
    # (lam = 0, noise = 0, alpha > 1 is perfect recovery: error 0, the cosine on the domain's edge)
    point = saddle_point(ISO, "gaussian", "square", lam, alpha=alpha, delta=noise)
    exact = ridge_isotropic(1 / alpha, lam / alpha, 1.0, noise).risk
    assert point.converged
    assert point.generalization_error == pytest.approx(exact, rel=1e-7, abs=1e-12)


def test_ridgeless_peak_is_reported_not_hidden():
    with pytest.warns(ConvergenceWarning):
        point = saddle_point(ISO, "gaussian", "square", 0.0, alpha=1.0, delta=0.1)
    assert not point.converged and point.generalization_error == np.inf


def test_optimal_ridge_is_noise_over_signal():
    # Hastie et al.: lambda* = gamma sigma^2 / r^2, i.e. Delta / rho in our conventions.
    point = optimal_lambda(ISO, "gaussian", "square", alpha=1.5, delta=0.5)
    assert point.lam == pytest.approx(0.5, rel=1e-4)


@settings(max_examples=25, deadline=None)
@given(alpha=st.floats(0.05, 8.0), delta=st.floats(0.02, 2.0))
def test_optimal_ridge_equals_bayes_optimal_glm(alpha, delta):
    # Ridge at lam = Delta (Gaussian prior of variance 1) is the posterior mean: its test error is the
    # Bayes MMSE rho - m of the independent GLM solver, and the student overlap equals m (Nishimori).
    point = saddle_point(ISO, "gaussian", "square", delta, alpha=alpha, delta=delta)
    bayes = bayes_optimal("gaussian", "gaussian", alpha, delta=delta)
    assert point.generalization_error == pytest.approx(bayes.mse, rel=1e-7)
    assert point.q == pytest.approx(point.m, rel=1e-7)


@settings(max_examples=10, deadline=None)
@given(alpha=st.floats(0.1, 4.0), lam=st.floats(1e-2, 10.0))
def test_errors_fall_with_alpha_for_logistic(alpha, lam):
    # More data at fixed regularisation never hurts the logistic student of a noiseless sign teacher here.
    curve = learning_curve(ISO, "sign", "logistic", lam, alpha=[alpha, 1.5 * alpha])
    assert curve.converged.all()
    assert curve.generalization_error[1] < curve.generalization_error[0]


def test_limits():
    # alpha -> 0: nothing learnt (error rho for regression, 1/2 for classification)
    assert saddle_point(ISO, "gaussian", "square", 0.1, alpha=1e-6, delta=0.1).generalization_error == pytest.approx(
        1.0, abs=1e-4
    )
    # ... approached as 1/2 - O(sqrt(alpha)) for classification (m ~ alpha, q ~ alpha)
    gaps = [0.5 - saddle_point(ISO, "sign", "logistic", 0.1, alpha=a).generalization_error for a in (1e-6, 1e-8)]
    assert gaps[0] > 0 and gaps[0] / gaps[1] == pytest.approx(10.0, rel=1e-3)
    # lam -> infinity: w -> 0, the training loss is the loss at z = 0
    assert saddle_point(ISO, "sign", "logistic", 1e7, alpha=1.0).training_loss == pytest.approx(np.log(2), abs=1e-6)
    assert saddle_point(ISO, "sign", "hinge", 1e7, alpha=1.0).training_loss == pytest.approx(1.0, abs=1e-6)
    # alpha -> infinity: ridge on a noiseless linear teacher recovers it
    assert saddle_point(ISO, "gaussian", "square", 1.0, alpha=1e4, delta=1e-12).generalization_error < 1e-7


def test_random_features_against_a_sampled_covariance():
    # The Marchenko-Pastur description of random features (teacher weights gamma mu1^2 s) against the
    # spectrum of one draw of Omega = mu1^2 F F^T / D + mu*^2 I, Phi = mu1 F^T / sqrt(D).
    _, mu1, mu_star = gaussian_equivalence("relu")
    rng = np.random.default_rng(1)
    D, gamma, alpha = 800, 1.5, 1.2
    P = int(gamma * D)
    F = rng.standard_normal((P, D))
    theta = rng.standard_normal(D)
    theta *= np.sqrt(D) / np.linalg.norm(theta)
    spectrum = Spectrum.from_covariances(
        np.eye(D), mu1 * F.T / np.sqrt(D), mu1**2 * F @ F.T / D + mu_star**2 * np.eye(P), theta
    )
    for teacher, loss in (("sign", "logistic"), ("gaussian", "square")):
        extra = {"delta": 0.1} if teacher == "gaussian" else {}
        limit = saddle_point(RandomFeatures("relu"), teacher, loss, 1e-2, alpha=alpha, gamma=gamma, **extra)
        finite = saddle_point(GivenSpectrum(spectrum), teacher, loss, 1e-2, alpha=alpha / gamma, **extra)
        assert finite.generalization_error == pytest.approx(limit.generalization_error, rel=0.02)


def test_learning_curve_table(tmp_path):
    curve = learning_curve(
        RandomFeatures("erf"), "noisy-sign", "hinge", 0.1, alpha=1.0, gamma=[0.5, 1.0, 2.0], delta=0.05
    )
    assert curve.converged.all() and curve.generalization_error.shape == (3,)
    assert np.all(np.diff(curve.training_loss) < 0)  # more features fit the training set better
    write_csv(curve.table(), tmp_path / "curve.csv")
    lines = (tmp_path / "curve.csv").read_text().splitlines()
    assert len(lines) == 4 and lines[0].startswith("alpha,gamma,lam")
    assert curve.rows()[1]["gamma"] == 1.0


@pytest.mark.parametrize(
    "teacher, loss, lam, extra",
    [
        ("sign", "logistic", 0.1, {}),
        ("noisy-sign", "hinge", 0.1, {"delta": 0.1}),
        ("gaussian", "square", 0.05, {"delta": 0.3}),
    ],
)
def test_agreement_with_training_at_finite_size(teacher, loss, lam, extra):
    # Random features (real relu features, D = 200) trained for real, 12 draws: the theory must lie
    # within 4 standard errors plus a finite-size allowance of 0.02 relative (measured 1/D effects
    # are below 1% here).
    model, alpha, gamma = RandomFeatures("relu"), 1.5, 1.0
    channel = get_channel(teacher, **extra)
    # KKT tolerance 1e-7: L-BFGS cannot always certify 1e-8 (platform-dependent last digits)
    sim = simulate(model, channel, loss, lam, alpha=alpha, d=200, gamma=gamma, seeds=12, n_test=4000, seed=7, tol=1e-7)
    theory = saddle_point(model, channel, loss, lam, alpha=alpha, gamma=gamma)
    assert sim.converged.all()
    gap = abs(sim.mean("generalization_error") - theory.generalization_error)
    assert gap <= 4 * sim.stderr("generalization_error") + 0.02 * theory.generalization_error, (
        sim.mean("generalization_error"),
        theory.generalization_error,
    )
    gap = abs(sim.mean("training_loss") - theory.training_loss)
    assert gap <= 4 * sim.stderr("training_loss") + 0.02 * theory.training_loss


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: saddle_point(ISO, "sign", "logistic", -1.0, alpha=1.0), ValueError, "lam"),
        (lambda: saddle_point(ISO, "sign", "logistic", 0.1, alpha=0.0), ValueError, "alpha"),
        (lambda: saddle_point(ISO, "sign", "logistic", 0.0, alpha=1.0), ValueError, "lam"),
        (lambda: saddle_point(ISO, "gaussian", "logistic", 0.1, alpha=1.0, delta=0.1), ValueError, "labels"),
        (lambda: saddle_point(ISO, "relu", "square", 0.1, alpha=1.0, delta=0.1), ValueError, "teacher"),
        (lambda: saddle_point(ISO, "sign", "cross-entropy", 0.1, alpha=1.0), ValueError, "loss"),
        (lambda: saddle_point(ISO, "sign", "logistic", float("nan"), alpha=1.0), ValueError, "lam"),
        (lambda: learning_curve(ISO, "sign", "logistic", 0.1, alpha=[1.0, -1.0]), ValueError, "alpha"),
        (lambda: learning_curve(RandomFeatures("relu"), "sign", "logistic", 0.1, alpha=1.0), ValueError, "gamma"),
        (
            lambda: learning_curve(RandomFeatures("relu"), "sign", "logistic", 0.1, alpha=1.0, gamma=0.0),
            ValueError,
            "gamma",
        ),
    ],
)
def test_bad_input(call, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(error, match=message):
            call()


@pytest.mark.parametrize("activation", ["relu", "erf", "tanh"])
@pytest.mark.parametrize(
    "alpha, gamma, lam, noise",
    [
        (3.0, 1.5, 0.5, 0.3),
        (1.0, 1.0, 1e-2, 0.5),
        (0.5, 2.0, 0.1, 0.2),
        (2.0, 1.0, 0.1, 0.0),
        (1.0, 0.5, 0.0, 0.2),
        (1.0, 3.0, 0.0, 0.2),
        (2.0, 0.7, 1e-3, 0.1),
    ],
)
def test_random_features_ridge_closed_form(activation, alpha, gamma, lam, noise):
    # Mei & Montanari (2019) Thm 1-2 (nu_1, nu_2 and the E polynomials) against the general saddle
    # point on the Marchenko-Pastur spectrum: two independent routes to the same number.
    point = saddle_point(
        RandomFeatures(activation),
        "gaussian",
        "square",
        lam,
        alpha=alpha,
        gamma=gamma,
        delta=noise,
    )
    assert point.converged
    assert point.generalization_error == pytest.approx(
        random_features_ridge(alpha, gamma, lam, activation, noise=noise).risk, rel=1e-6
    )


@pytest.mark.parametrize("loss", ["square", "logistic", "hinge"])
@pytest.mark.parametrize("teacher, params", [("sign", {}), ("noisy-sign", {"delta": 0.1}), ("probit", {"delta": 0.3})])
def test_compiled_channel_average_equals_the_generic_one(loss, teacher, params):
    # the fused loop for threshold teachers against the vectorised path through Channel and Loss
    from statlearn.models.losses import get_loss
    from statlearn.models.student import output_averages

    channel, rho = get_channel(teacher, **params), 1.0
    rng = np.random.default_rng(5)
    for _ in range(20):
        q = 10 ** rng.uniform(-2, 5)
        m = rng.uniform(0.05, 0.999) * np.sqrt(q * rho)
        V = 10 ** rng.uniform(-2, 3)
        compiled = np.array(output_averages(channel, get_loss(loss), m, q, V, rho))
        generic = np.array(output_averages(channel, get_loss(loss), m, q, V, rho, compiled=False))
        assert np.allclose(compiled, generic, rtol=1e-12, atol=1e-300)


def test_one_result_class_follows_the_protocol():
    from statlearn.numerics.result import SolverResult
    from statlearn.replica.erm import ERMState

    point = saddle_point(ISO, "sign", "logistic", 0.1, alpha=1.0)
    curve = learning_curve(ISO, "sign", "logistic", 0.1, alpha=[0.5, 1.0])
    for state in (point, curve):
        assert isinstance(state, ERMState) and isinstance(state, SolverResult)
        assert state.message.startswith("converged")
    assert curve.generalization_error[1] == pytest.approx(point.generalization_error, rel=1e-9)
    with pytest.raises(ValueError):
        curve.m[0] = 0.0  # read-only
    assert len(point.rows()) == 1 and point.table()["m"].shape == (1,)


def test_noiseless_linear_teacher_along_a_curve():
    # delta = 0 is the noiseless linear teacher (it used to raise); Hastie et al. with sigma = 0
    alphas = np.array([0.5, 0.9, 1.5])
    curve = learning_curve(ISO, "gaussian", "square", 1e-2, alpha=alphas, delta=0.0)
    exact = ridge_isotropic(1 / alphas, 1e-2 / alphas, 1.0, 0.0).risk
    assert curve.converged.all()
    assert np.allclose(curve.generalization_error, exact, rtol=1e-9)


def test_ridge_closed_form_has_no_warning_at_the_peak_without_noise():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        risk = ridge_isotropic(1.0, 0.01, 1.0, 0.0)
    assert np.isfinite(risk.risk) and risk.variance == 0.0


def test_documented_import_paths():
    from statlearn.replica import random_features_ridge as reexported
    from statlearn.replica.ridge import marchenko_pastur_stieltjes, random_features_ridge

    assert reexported is random_features_ridge and callable(marchenko_pastur_stieltjes)
