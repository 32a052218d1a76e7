"""Bayes-optimal GLMs: closed forms, published thresholds, identities, limits, validation."""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statlearn.numerics import ConvergenceWarning, SolverResult, gaussian_expectation
from statlearn.replica.glm import (
    PhaseDiagram,
    bayes_optimal,
    fixed_point_curve,
    phase_diagram,
    state_evolution,
    thresholds,
)


def linear_regression_mse(alpha, rho, delta):
    """MMSE of Gaussian weights observed through y = F w + noise (random design, N -> inf).

    From m = rho^2 mhat/(1 + rho mhat), mhat = alpha/(delta + rho - m): the error E = rho - m solves
    E = rho (delta + E) / (delta + E + alpha rho), a quadratic.
    """
    # E^2 + E (delta + alpha rho - rho) - rho delta = 0
    b = delta + alpha * rho - rho
    return (-b + np.sqrt(b * b + 4 * rho * delta)) / 2


@pytest.mark.parametrize("delta", [0.01, 0.5, 2.0])
def test_gaussian_linear_case_closed_form(delta):
    alpha = np.array([0.1, 0.5, 1.0, 2.0, 5.0])
    rho = 1.5
    state = bayes_optimal("gaussian", "gaussian", alpha, rho=rho, delta=delta)
    assert np.all(state.converged)
    np.testing.assert_allclose(state.mse, linear_regression_mse(alpha, rho, delta), rtol=1e-9)
    # regression error on a fresh noisy label = MMSE + delta
    np.testing.assert_allclose(state.generalization_error, state.mse + delta, rtol=1e-12)


def test_nishimori_overlap_with_teacher_equals_self_overlap():
    """At the Bayes-optimal fixed point E[w0 f_a] (teacher overlap) = E[f_a^2] (self-overlap)."""
    for alpha in (0.5, 1.0, 1.4):
        state = bayes_optimal("rademacher", "sign", alpha, init="uninformative")
        r = state.conjugate
        # by symmetry w0 = +1: E[w0 tanh(B)] with B = r + sqrt(r) xi, a different average from E tanh^2
        teacher = gaussian_expectation(
            lambda xi: np.tanh(r + np.sqrt(r) * xi), kink=-np.sqrt(r), width=min(1, 1 / np.sqrt(r))
        )
        assert state.m == pytest.approx(teacher, rel=1e-10)


@pytest.mark.parametrize(
    "prior,channel,params",
    [
        ("rademacher", "sign", {}),
        ("gaussian", "probit", {"delta": 0.3}),
        ("gauss-bernoulli", "gaussian", {"rho": 0.3, "delta": 0.1}),
    ],
)
def test_free_entropy_derivative_is_channel_free_entropy(prior, channel, params):
    """d phi / d alpha = Psi_out(m) at the saddle point (envelope theorem), by finite differences."""
    from statlearn.replica.glm import resolve_model

    pri, cha = resolve_model(prior, channel, dict(params))
    alpha, h = 0.8, 1e-5
    state = bayes_optimal(prior, channel, alpha, **params)
    up = bayes_optimal(prior, channel, alpha + h, **params).free_entropy
    down = bayes_optimal(prior, channel, alpha - h, **params).free_entropy
    assert (up - down) / (2 * h) == pytest.approx(float(cha.free_entropy(state.m, pri.rho)), rel=1e-6)


def test_gaussian_prior_sign_channel_large_alpha_decay():
    """Bayes-optimal error of the spherical perceptron ~ 0.442/alpha (Engel & Van den Broeck 2001, ch. 3)."""
    state = bayes_optimal("gaussian", "sign", np.array([1e3, 1e4]))
    np.testing.assert_allclose(state.generalization_error * state.alpha, 0.442, atol=1e-3)


def _mp_sign_channel_constant():
    """K = sqrt(2/pi) int dt phi(t)^2 / H(t): the noiseless sign channel's conjugate is K / sqrt(1 - q) as q -> 1."""
    with mp.workdps(30):
        phi = lambda t: mp.exp(-t * t / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731
        H = lambda t: mp.erfc(t / mp.sqrt(2)) / 2  # noqa: E731
        return float(mp.sqrt(2 / mp.pi) * mp.quad(lambda t: phi(t) ** 2 / H(t), [-mp.inf, 0, mp.inf]))


def test_gaussian_sign_large_alpha_expansion():
    """Large-alpha expansion of the state evolution (docs/theory/glm.md), Gaussian prior, sign channel, rho = 1.

    With V = 1 - m: C(1 - V) = K/sqrt(V) (1 + O(V)) and V = 1/(1 + mhat), so mhat = alpha K/sqrt(V) gives
    V = 1/(K alpha)^2, eps_g = arcsin(sqrt V)/pi = 1/(pi K alpha) = 0.441700/alpha (Engel & Van den Broeck
    2001, ch. 3: 0.442/alpha), and i = I(mhat) - mhat V/2 + alpha [Psi(1) - Psi(1 - V)] = ln(K alpha) + 1/2,
    all up to relative O(alpha^-2). The old solver clamped mhat at 1e10 and reported eps_g = 3.18e-6 at every
    alpha >= 1e6, marked converged."""
    K = _mp_sign_channel_constant()
    assert 1 / (math.pi * K) == pytest.approx(0.4417, abs=1e-4)
    alpha = np.array([1e4, 1e5, 1e6, 1e7, 1e8])
    state = bayes_optimal("gaussian", "sign", alpha)
    assert np.all(state.converged)
    np.testing.assert_allclose(state.generalization_error * alpha, 1 / (math.pi * K), rtol=1e-6)
    np.testing.assert_allclose(state.mse * (K * alpha) ** 2, 1.0, rtol=1e-6)
    np.testing.assert_allclose(state.mutual_information, np.log(K * alpha) + 0.5, atol=1e-6)
    # the same on both branches (a single stable fixed point)
    low = bayes_optimal("gaussian", "sign", alpha, init="uninformative")
    np.testing.assert_allclose(low.generalization_error, state.generalization_error, rtol=1e-9)


def test_unresolvable_load_is_flagged_not_clamped():
    """At alpha = 1e200 the MMSE 1/(K alpha)^2 underflows double precision: converged=False with a warning."""
    with pytest.warns(ConvergenceWarning, match="unresolved at alpha"):
        state = bayes_optimal("gaussian", "sign", np.array([1e50, 1e200]))
    assert state.converged.tolist() == [True, False]
    assert "unresolved" in state.message


def test_perfect_recovery_is_an_exact_fixed_point():
    """Rademacher prior, sign channel above alpha_it: m = rho exactly, I = ln 2, converged at any large load."""
    state = bayes_optimal("rademacher", "sign", np.array([2.0, 1e6, 1e100]))
    assert np.all(state.converged) and np.all(state.mse == 0.0) and np.all(state.generalization_error == 0.0)
    np.testing.assert_allclose(state.mutual_information, math.log(2), rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs,name",
    [
        ({"tol": float("nan")}, "tol"),
        ({"tol": -1.0}, "tol"),
        ({"tol": 0.0}, "tol"),
        ({"tol": math.inf}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"max_iter": 2.5}, "max_iter"),
        ({"max_iter": True}, "max_iter"),
        ({"init": 3}, "init"),
    ],
)
def test_solver_settings_are_validated(kwargs, name):
    """tol = nan used to return overlap 0.4146 'converged' after one iteration; tol = -1 hung."""
    with pytest.raises((ValueError, TypeError), match=name):
        bayes_optimal("rademacher", "sign", 1.0, **kwargs)


def test_two_dimensional_alpha_keeps_its_shape():
    alpha = np.array([[0.5, 1.0], [2.0, 3.0]])
    state = bayes_optimal("rademacher", "sign", alpha)
    assert state.m.shape == (2, 2) and state.converged.shape == (2, 2)
    flat = bayes_optimal("rademacher", "sign", alpha.ravel())
    np.testing.assert_array_equal(state.m.ravel(), flat.m)


def test_result_protocol_and_read_only_arrays():
    from statlearn.numerics import SolverResult

    state = bayes_optimal("gaussian", "probit", np.array([0.5, 1.0]), delta=0.2)
    assert isinstance(state, SolverResult) and state.message.startswith("converged")
    np.testing.assert_array_equal(state.m, state.q)
    with pytest.raises(ValueError):
        state.m[0] = 0.0
    th = thresholds("rademacher", "sign")
    assert isinstance(th, SolverResult) and th.converged and th.iterations > 0 and th.residual < 1e-8


def test_thresholds_refuses_a_grid_that_cannot_bracket():
    """n_grid = 2 used to return every threshold None without a word."""
    with pytest.raises(ValueError, match="n_grid"):
        thresholds("rademacher", "sign", n_grid=2)


def test_thresholds_say_does_not_exist_versus_not_found():
    none = thresholds("gaussian", "sign")
    assert none.converged and "do not exist" in none.message
    found = thresholds("rademacher", "sign")
    assert found.converged and "no informative spinodal" in found.message


def test_thresholds_pass_on_branch_warnings(monkeypatch):
    """A branch solve that does not converge is reported (warning, converged=False), not swallowed."""
    import statlearn.replica.glm as glm

    original = glm.bayes_optimal
    monkeypatch.setattr(glm, "bayes_optimal", lambda *a, **k: original(*a, **{**k, "max_iter": 2}))
    with pytest.warns(ConvergenceWarning, match="branch solves did not converge"):
        th = glm.thresholds("rademacher", "sign")
    assert not th.converged and "not converged" in th.message


def test_small_alpha_limits():
    state = bayes_optimal("rademacher", "sign", 0.0)
    # exactly 0 in theory; the information at mhat = 0 comes from a logsumexp, which may round to a few ulp
    assert state.m == 0.0
    assert abs(state.free_entropy) < 1e-14 and abs(state.mutual_information) < 1e-14
    assert state.generalization_error == pytest.approx(0.5)
    # first order in alpha: m = alpha * 2/(pi rho) * rho^2 = 2 alpha / pi for the sign channel
    tiny = bayes_optimal("gaussian", "sign", 1e-6)
    assert tiny.m == pytest.approx(2e-6 / math.pi, rel=1e-5)


def _mp_uninformative_free_entropy(alpha):
    """Rademacher prior, sign channel, written out in mpmath (w0 = +1 and y = +1 by symmetry)."""
    H = lambda x: mp.erfc(x / mp.sqrt(2)) / 2  # noqa: E731

    def conj(m):
        V = 1 - m
        return (
            2
            * mp.quad(
                lambda x: mp.npdf(-mp.sqrt(m) * x / mp.sqrt(V)) ** 2 / H(-mp.sqrt(m) * x / mp.sqrt(V)) * mp.npdf(x),
                [-mp.inf, 0, mp.inf],
            )
            / V
        )

    def overlap(r):
        return mp.quad(lambda x: mp.tanh(r + mp.sqrt(r) * x) * mp.npdf(x), [-mp.inf, -mp.sqrt(r), 0, mp.inf])

    m = mp.findroot(lambda m: overlap(alpha * conj(m)) - m, mp.mpf("0.69"))
    r = alpha * conj(m)
    psi_w = (
        mp.quad(lambda x: mp.log(mp.cosh(r + mp.sqrt(r) * x)) * mp.npdf(x), [-mp.inf, -mp.sqrt(r), 0, mp.inf]) - r / 2
    )
    psi_out = 2 * mp.quad(
        lambda x: H(-mp.sqrt(m) * x / mp.sqrt(1 - m)) * mp.log(H(-mp.sqrt(m) * x / mp.sqrt(1 - m))) * mp.npdf(x),
        [-mp.inf, 0, mp.inf],
    )
    return -m * r / 2 + psi_w + alpha * psi_out


def test_rademacher_sign_thresholds():
    th = thresholds("rademacher", "sign")
    # Barbier et al. PNAS 2019: alpha_alg ~ 1.493; Gyorgyi 1990: first-order transition at ~1.245
    assert th.alpha_alg == pytest.approx(1.493, abs=1e-3)
    assert th.alpha_it == pytest.approx(1.245, abs=1e-3)
    # independent check: at alpha_it the uninformative free entropy equals that of perfect recovery, -ln 2
    with mp.workdps(20):
        assert float(_mp_uninformative_free_entropy(mp.mpf(th.alpha_it))) == pytest.approx(-math.log(2), abs=2e-7)
    assert th.alpha_informative_spinodal is None  # the perfect-recovery fixed point exists at every alpha
    amp = bayes_optimal(
        "rademacher", "sign", np.array([th.alpha_alg - 0.01, th.alpha_alg + 0.01]), init="uninformative"
    )
    assert amp.m[0] < 0.95 and amp.m[1] == pytest.approx(1.0, abs=1e-12)
    # the Bayes-optimal (equilibrium) error jumps to zero at alpha_it already
    best = bayes_optimal("rademacher", "sign", np.array([th.alpha_it - 0.01, th.alpha_it + 0.01]))
    assert best.generalization_error[0] > 0.1 and best.generalization_error[1] == 0.0


def test_no_transition_for_gaussian_prior():
    th = thresholds("gaussian", "sign")
    assert th.alpha_it is None and th.alpha_alg is None and th.spinodals == ()


def test_fixed_point_curve_contains_the_solved_points():
    state = bayes_optimal("rademacher", "sign", np.array([0.4, 1.0]), init="uninformative")
    alpha, m = fixed_point_curve("rademacher", "sign", state.conjugate)
    np.testing.assert_allclose(alpha, [0.4, 1.0], rtol=1e-9)
    np.testing.assert_allclose(m, state.m, rtol=1e-12)


def test_state_evolution_trajectory_reaches_the_fixed_point():
    m = state_evolution("rademacher", "sign", 1.0, n_iter=200)
    assert m[0] == 0.0 and np.all(np.diff(m) >= -1e-15)
    assert m[-1] == pytest.approx(bayes_optimal("rademacher", "sign", 1.0, init="uninformative").m, abs=1e-10)
    assert state_evolution("rademacher", "sign", 1.0, n_iter=3, init="informative")[-1] == pytest.approx(1.0)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.01, 3.0), st.floats(0.01, 3.0))
def test_overlap_and_information_monotone_in_alpha(a, b):
    lo, hi = sorted([a, b])
    s = bayes_optimal("gaussian", "probit", np.array([lo, hi]), delta=0.2)
    assert s.m[0] <= s.m[1] + 1e-12
    assert s.mutual_information[0] <= s.mutual_information[1] + 1e-10


def test_mutual_information_bounded_by_prior_entropy():
    s = bayes_optimal("rademacher", "noisy-sign", np.linspace(0.1, 6.0, 12), delta=0.1)
    assert np.all(s.mutual_information >= 0) and np.all(s.mutual_information <= math.log(2) + 1e-12)
    assert np.all(np.diff(s.mutual_information) >= -1e-12)
    # and by what the labels can carry: alpha (ln 2 - h(delta)) per weight
    capacity = math.log(2) + 0.1 * math.log(0.1) + 0.9 * math.log(0.9)
    assert np.all(s.mutual_information <= s.alpha * capacity + 1e-12)


def test_non_convergence_warns():
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        s = bayes_optimal("rademacher", "sign", 1.0, max_iter=3, init="uninformative")
    assert not s.converged and s.iterations == 3


def test_input_validation():
    with pytest.raises(ValueError, match="known priors"):
        bayes_optimal("laplace", "sign", 1.0)
    with pytest.raises(ValueError, match="sign"):
        bayes_optimal("gaussian", "tanh", 1.0)
    with pytest.raises(ValueError, match="alpha"):
        bayes_optimal("gaussian", "sign", -1.0)
    with pytest.raises(ValueError, match="unknown parameters"):
        bayes_optimal("gaussian", "sign", 1.0, sigma=2.0)
    with pytest.raises(ValueError, match="init"):
        bayes_optimal("gaussian", "sign", 1.0, init="random")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bayes_optimal("gaussian", "noisy-sign", np.linspace(0, 3, 7), delta=0.2)


# ------------------------------------------------------------ one branch where the fixed point is unique


@pytest.mark.parametrize("channel, params", [("sign", {}), ("probit", {"delta": 0.3}), ("gaussian", {"delta": 0.1})])
def test_log_concave_pairs_have_one_fixed_point_and_solve_one_branch(channel, params):
    # the premise of skipping the second branch: alpha(m) increases along the whole fixed-point curve
    alpha, _ = fixed_point_curve("gaussian", channel, np.logspace(-8, 8, 2000), rho=1.3, **params)
    assert np.all(np.diff(alpha) > 0)
    loads = np.array([0.05, 0.7, 3.0, 40.0])
    state = bayes_optimal("gaussian", channel, loads, rho=1.3, **params)
    assert np.all(state.branch == "single")
    informative = bayes_optimal("gaussian", channel, loads, rho=1.3, init="informative", **params)
    np.testing.assert_allclose(state.m, informative.m, rtol=0, atol=1e-10)
    assert np.all(informative.branch == "informative")


def test_equilibrium_names_the_branch_taken():
    state = bayes_optimal("rademacher", "sign", np.array([1.0, 1.3]))
    assert state.branch.tolist() == ["uninformative", "informative"]  # alpha_it = 1.245


def _sign_conjugate_quad(q):
    V = 1.0 - q
    s = math.sqrt(q / V)

    def integrand(xi):
        x = s * xi
        hazard_plus = math.sqrt(2 / math.pi) / float(mp.erfc(-x / mp.sqrt(2)) * mp.exp(x * x / 2))
        hazard_minus = math.sqrt(2 / math.pi) / float(mp.erfc(x / mp.sqrt(2)) * mp.exp(x * x / 2))
        h = 0.5 * float(mp.erfc(-x / mp.sqrt(2)))
        return math.exp(-xi * xi / 2) / math.sqrt(2 * math.pi) * (h * hazard_plus**2 + (1 - h) * hazard_minus**2)

    from scipy import integrate

    return sum(integrate.quad(integrand, a, b, epsabs=0, epsrel=1e-13)[0] for a, b in ((-12, 0), (0, 12))) / V


def test_accelerated_iteration_reaches_the_plain_fixed_point():
    # plain iteration with scipy-quad averages, written from the equations, against the solver
    for alpha in (0.7, 4.0):
        V = 1.0
        for _ in range(2000):
            new = 1.0 / (1.0 + alpha * _sign_conjugate_quad(1.0 - V))
            if abs(new - V) <= 1e-14:
                break
            V = new
        assert bayes_optimal("gaussian", "sign", alpha).m == pytest.approx(1.0 - new, abs=1e-10)


def test_per_point_cost_falls_with_the_number_of_loads():
    import time

    def per_point(n):
        loads = np.linspace(0.1, 10.0, n)
        bayes_optimal("gaussian", "sign", loads)
        start = time.perf_counter()
        bayes_optimal("gaussian", "sign", loads)
        return (time.perf_counter() - start) / n

    assert per_point(2000) < per_point(5)


# ------------------------------------------------------------ the phase diagram


def test_phase_diagram_rows_equal_thresholds_and_branches():
    alphas, deltas = np.linspace(0.05, 1.0, 12), np.array([1e-3, 0.03, 0.3])
    diagram = phase_diagram("rademacher", "gaussian", alphas, deltas)
    assert isinstance(diagram, SolverResult) and isinstance(diagram, PhaseDiagram)
    assert diagram.m_informative.shape == (3, 12) and np.all(diagram.converged)
    for i, d in enumerate(deltas):
        th = thresholds("rademacher", "gaussian", delta=d)
        for line, value in ((diagram.alpha_it, th.alpha_it), (diagram.alpha_alg, th.alpha_alg)):
            assert (np.isnan(line[i]) and value is None) or line[i] == value
        low = bayes_optimal("rademacher", "gaussian", alphas, delta=d, init="uninformative")
        high = bayes_optimal("rademacher", "gaussian", alphas, delta=d, init="informative")
        np.testing.assert_array_equal(diagram.m_uninformative[i], low.m)
        np.testing.assert_array_equal(diagram.free_entropy_informative[i], high.free_entropy)
    # the hard phase closes with the noise: alpha_it < alpha_alg at small delta, no transition at large
    assert diagram.alpha_it[0] < diagram.alpha_alg[0] and np.isnan(diagram.alpha_alg[2])
    with pytest.raises(ValueError, match="delta"):
        phase_diagram("rademacher", "gaussian", alphas, [-1.0])
    with pytest.raises(TypeError, match="channel"):
        phase_diagram("rademacher", None, alphas, deltas)
