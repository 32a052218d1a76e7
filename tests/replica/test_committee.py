"""Bayes-optimal committee machine (statlearn.replica.committee): the K = 1 reduction to the sign perceptron,
the channel against Monte Carlo, the replica formula's derivatives, published values and limits."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statlearn.numerics import ConvergenceWarning, SolverResult
from statlearn.numerics.gaussian import hermite_product_rule
from statlearn.replica import committee
from statlearn.replica.glm import bayes_optimal as glm_bayes_optimal


@pytest.mark.parametrize("prior", ["gaussian", "rademacher"])
@pytest.mark.parametrize("alpha", [0.3, 1.2])
def test_k1_is_the_bayes_optimal_sign_perceptron(prior: str, alpha: float) -> None:
    state = committee.bayes_optimal(1, alpha, prior=prior)
    glm = glm_bayes_optimal(prior, "sign", alpha, init="uninformative")
    assert state.converged and isinstance(state, SolverResult)
    assert state.overlap.shape == (1, 1)
    assert state.q_parallel == pytest.approx(glm.m, abs=1e-8)
    assert state.free_entropy == pytest.approx(glm.free_entropy, abs=1e-9)
    assert state.generalization_error == pytest.approx(glm.generalization_error, abs=1e-9)


def _monte_carlo_labels(omega: np.ndarray, V: np.ndarray, n: int, seed: int) -> np.ndarray:
    z = np.random.default_rng(seed).multivariate_normal(omega, V, size=n)
    y = np.sign(np.sign(z[:, 0]) + np.sign(z[:, 1]))
    return np.array([np.mean(y == 1), np.mean(y == -1), np.mean(y == 0)])


@pytest.mark.parametrize(
    ("w_par", "w_perp", "v_par", "v_perp"),
    [(0.4, 0.3, 0.2, 0.9), (-0.7, 1.1, 0.8, 0.1), (1.5, 0.0, 0.05, 0.6), (0.2, 0.5, 0.5, 0.5)],
)
def test_label_probabilities_against_monte_carlo(w_par: float, w_perp: float, v_par: float, v_perp: float) -> None:
    """Z_y by the one-dimensional reduction against sampling sign(sign z1 + sign z2), z ~ N(omega, V)."""
    R = np.array([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2.0)  # (par, perp) -> (z1, z2)
    omega = R @ np.array([w_par, w_perp])
    V = R @ np.diag([v_par, v_perp]) @ R.T
    n = 400_000
    freq = _monte_carlo_labels(omega, V, n, seed=3)
    exact = np.array(
        [float(z) for z in committee._label_probabilities_k2(np.array(w_par), np.array(w_perp), v_par, v_perp)]
    )
    assert exact.sum() == pytest.approx(1.0, abs=1e-12)
    sigma = np.sqrt(exact * (1 - exact) / n)
    assert np.all(np.abs(freq - exact) < 5 * sigma + 1e-12)


def test_label_gradients_are_derivatives_of_the_probabilities() -> None:
    v_par, v_perp, h = 0.3, 0.7, 1e-5
    for w_par, w_perp in [(0.4, 0.3), (-1.2, 0.8), (0.1, 2.0)]:
        grads = committee._label_gradients_k2(np.array(w_par), np.array(w_perp), v_par, v_perp)

        def Z(a: float, b: float) -> np.ndarray:
            return np.array(
                [float(z) for z in committee._label_probabilities_k2(np.array(a), np.array(b), v_par, v_perp)]
            )

        d_par = (Z(w_par + h, w_perp) - Z(w_par - h, w_perp)) / (2 * h)
        d_perp = (Z(w_par, w_perp + h) - Z(w_par, w_perp - h)) / (2 * h)
        assert np.allclose([float(g[0]) for g in grads], d_par, atol=1e-8)
        assert np.allclose([float(g[1]) for g in grads], d_perp, atol=1e-8)


@pytest.mark.parametrize(("q_par", "q_perp"), [(0.3, 0.0), (0.6, 0.25)])
def test_conjugate_is_twice_the_gradient_of_psi_out(q_par: float, q_perp: float) -> None:
    """r_hat/alpha = 2 dPsi_out/dq: on the ansatz Tr(r dq) = r_par dq_par + (K-1) r_perp dq_perp."""
    h = 1e-5
    ch = committee.committee_channel(2, q_par, q_perp)
    d_par = (
        committee.committee_channel(2, q_par + h, q_perp).free_entropy
        - committee.committee_channel(2, q_par - h, q_perp).free_entropy
    ) / (2 * h)
    assert ch.conjugate_parallel == pytest.approx(2 * d_par, rel=1e-6)
    if q_perp > 0:
        d_perp = (
            committee.committee_channel(2, q_par, q_perp + h).free_entropy
            - committee.committee_channel(2, q_par, q_perp - h).free_entropy
        ) / (2 * h)
        assert ch.conjugate_perp == pytest.approx(2 * d_perp, rel=1e-6)


@pytest.mark.parametrize("prior", ["gaussian", "rademacher"])
def test_overlap_is_twice_the_gradient_of_psi_prior(prior: str) -> None:
    r_par, r_perp, h = 1.3, 0.6, 1e-5
    p = committee.committee_prior(2, prior, r_par, r_perp)
    d_par = (
        committee.committee_prior(2, prior, r_par + h, r_perp).free_entropy
        - committee.committee_prior(2, prior, r_par - h, r_perp).free_entropy
    ) / (2 * h)
    d_perp = (
        committee.committee_prior(2, prior, r_par, r_perp + h).free_entropy
        - committee.committee_prior(2, prior, r_par, r_perp - h).free_entropy
    ) / (2 * h)
    assert p.overlap_parallel == pytest.approx(2 * d_par, rel=1e-6)
    assert p.overlap_perp == pytest.approx(2 * d_perp, rel=1e-6)


def test_rademacher_prior_without_coupling_is_two_scalar_channels() -> None:
    """At r_par = r_perp the matrix r is diagonal: the 2-d prior factorises into two scalar Rademacher channels."""
    from statlearn.models.priors import RademacherPrior

    p = committee.committee_prior(2, "rademacher", 0.8, 0.8)
    scalar = RademacherPrior()
    assert p.overlap_parallel == pytest.approx(float(scalar.overlap(0.8)), abs=1e-8)
    assert p.overlap_perp == pytest.approx(float(scalar.overlap(0.8)), abs=1e-8)
    assert p.free_entropy == pytest.approx(2 * float(scalar.free_entropy(0.8)), abs=1e-8)


@pytest.mark.parametrize(("K", "prior"), [(2, "gaussian"), (2, "rademacher"), (1, "gaussian")])
def test_free_entropy_derivative_in_alpha_is_psi_out(K: int, prior: str) -> None:
    """Envelope theorem: at the stationary point df/dalpha = Psi_out(q*) (stationarity = the SE fixed point)."""
    alpha, h = 1.1, 1e-4
    state = committee.bayes_optimal(K, alpha, prior=prior, tol=1e-13)
    up = committee.bayes_optimal(K, alpha + h, prior=prior, tol=1e-13).free_entropy
    down = committee.bayes_optimal(K, alpha - h, prior=prior, tol=1e-13).free_entropy
    psi = committee.committee_channel(K, state.q_parallel, state.q_perp).free_entropy
    assert (up - down) / (2 * h) == pytest.approx(psi, abs=1e-7)


def test_published_state_evolution_k2_gaussian() -> None:
    """Aubin et al.'s public state-evolution data (github.com/benjaminaubin-zz/TheCommitteeMachine,
    Python/Data/BackupObj_SE_gaussian_K=2, damped SE to ~1e-4): q00 = q01 = 0.2399(7) at alpha = 1 (non-specialised),
    q00 = 0.50039, q01 = 0.26532 at alpha = 2.5 and 0.65283, 0.16154 at alpha = 3 (specialised)."""
    low = committee.bayes_optimal(2, 1.0)
    assert low.overlap[0, 0] == pytest.approx(0.23995, abs=3e-4)
    assert low.overlap[0, 1] == pytest.approx(low.overlap[0, 0], abs=1e-12)
    for alpha, (q00, q01) in [(2.5, (0.50039, 0.26532)), (3.0, (0.65283, 0.16154))]:
        s = committee.bayes_optimal(2, alpha, init="specialised")
        assert s.branch == "specialised"
        assert s.overlap[0, 0] == pytest.approx(q00, abs=5e-4)
        assert s.overlap[0, 1] == pytest.approx(q01, abs=5e-4)


def test_published_state_evolution_k2_rademacher() -> None:
    """Same data set, binary prior: q00 = q01 = 0.2447 at alpha = 1."""
    s = committee.bayes_optimal(2, 1.0, prior="rademacher")
    assert s.overlap[0, 0] == pytest.approx(0.24468, abs=3e-4)


def test_specialisation_threshold_gaussian_k2_near_two() -> None:
    """Aubin et al. (2018): for K = 2 and the Gaussian prior the specialisation is continuous at alpha ~ 2."""
    th = committee.specialization_threshold(2, "gaussian", xtol=1e-5)
    assert th.converged and th.order == "second" and th.alpha_alg is None
    assert abs(th.alpha_spec - 2.0) / 2.0 < 0.05
    # the non-specialised branch is linearly stable just below and unstable just above
    assert committee.stability(2, "gaussian", th.alpha_spec - 0.01)[0] < 1.0
    assert committee.stability(2, "gaussian", th.alpha_spec + 0.01)[0] > 1.0
    above = committee.bayes_optimal(2, th.alpha_spec + 0.05, init="specialised")
    below = committee.bayes_optimal(2, th.alpha_spec - 0.05, init="specialised")
    assert above.q_perp > 1e-3 and below.q_perp < 1e-6


def test_limit_small_alpha() -> None:
    for K in (1, 2):
        s = committee.bayes_optimal(K, 1e-10)
        assert np.all(np.abs(s.overlap) < 1e-9)
        assert s.generalization_error == pytest.approx(
            0.5, abs=1e-4
        )  # error 1/2 - O(sqrt alpha); K = 2: P(y = 0) = 1/2 is the best guess
    assert committee.bayes_optimal(2, 0.0).squared_error == pytest.approx(0.25, abs=1e-12)


def test_limit_large_alpha() -> None:
    """Rademacher: the state evolution runs into perfect recovery, f = -K ln 2; Gaussian: the error falls."""
    s = committee.bayes_optimal(2, 3.0, prior="rademacher", init="specialised")
    assert s.branch == "perfect" and s.generalization_error == 0.0
    assert s.free_entropy == pytest.approx(-2 * math.log(2.0))
    errors = [committee.bayes_optimal(2, a, init="specialised").generalization_error for a in (3.0, 4.0, 6.0)]
    assert errors[0] > errors[1] > errors[2] > 0.0


def test_non_specialised_free_entropy_at_zero_load_is_minus_label_entropy() -> None:
    s = committee.bayes_optimal(2, 0.0, prior="rademacher")
    assert s.free_entropy == pytest.approx(0.0, abs=1e-12)  # alpha * Psi_out(0) with alpha = 0
    ch = committee.committee_channel(2, 0.0, 0.0)
    assert ch.free_entropy == pytest.approx(-(0.5 * math.log(2) + 2 * 0.25 * math.log(4)), abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.floats(-3, 3), st.floats(0, 3), st.floats(0.01, 1.0), st.floats(0.01, 1.0))
def test_label_probabilities_are_a_distribution_and_mirror(
    w_par: float, w_perp: float, v_par: float, v_perp: float
) -> None:
    Z = committee._label_probabilities_k2(np.array(w_par), np.array(w_perp), v_par, v_perp)
    M = committee._label_probabilities_k2(np.array(-w_par), np.array(w_perp), v_par, v_perp)
    values = np.array([float(z) for z in Z])
    assert np.all(values >= -1e-15) and values.sum() == pytest.approx(1.0, abs=1e-10)
    assert float(M[0]) == pytest.approx(float(Z[1]), abs=1e-12)  # Z_+(-omega) = Z_-(omega)
    assert float(M[2]) == pytest.approx(float(Z[2]), abs=1e-12)


@settings(max_examples=10, deadline=None)
@given(st.floats(0.0, 0.9), st.floats(0.0, 0.9))
def test_errors_lie_between_zero_and_their_chance_values(q_par: float, q_perp: float) -> None:
    ch = committee.committee_channel(2, q_par, q_perp)
    assert 0.0 <= ch.generalization_error <= 0.5 + 1e-12
    assert 0.0 <= ch.squared_error <= 0.25 + 1e-12
    assert ch.conjugate_parallel >= 0.0 and ch.conjugate_perp >= 0.0


def test_product_rule_integrates_a_quadratic_form() -> None:
    z, w = hermite_product_rule(3, 6)
    A = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
    assert np.sum(w * np.einsum("nk,kl,nl->n", z, A, z)) == pytest.approx(np.trace(A), abs=1e-13)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)


def test_non_convergence_warns() -> None:
    with pytest.warns(ConvergenceWarning):
        s = committee.bayes_optimal(2, 2.5, init="specialised", max_iter=2)
    assert not s.converged and "not converged" in s.message


def test_init_matrix_is_projected_on_the_ansatz() -> None:
    Q = committee.symmetric_overlap(2, 0.8, 0.5)
    s = committee.bayes_optimal(2, 3.0, init=Q)
    ref = committee.bayes_optimal(2, 3.0, init="specialised")
    assert s.init == "array"
    assert np.allclose(s.overlap, ref.overlap, atol=1e-8)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(K=4, alpha=1.0), "K"),
        (dict(K=2, alpha=-1.0), "alpha"),
        (dict(K=2, alpha=1.0, prior="binary"), "prior"),
        (dict(K=2, alpha=1.0, init="random"), "init"),
        (dict(K=2, alpha=1.0, init=np.eye(3) * 0.5), "init"),
        (dict(K=2, alpha=1.0, init=np.eye(2) * 1.5), "init"),
        (dict(K=2, alpha=1.0, tol=0.0), "tol"),
    ],
)
def test_bad_input(kwargs: dict, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, TypeError), match=name):
            committee.bayes_optimal(**kwargs)
