"""Online-SGD overlap ODEs: closed-form averages, the right-hand side, exact solutions, fixed points."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import erf

from statlearn.models.activations import get_activation
from statlearn.numerics import ConvergenceWarning, hermite_rule
from statlearn.online import DivergenceWarning, Overlaps, generalization_error, overlap_matrix
from statlearn.online.fixed_points import asymptotic_state, perceptron_learning_rates, plateau
from statlearn.online.ode import MAX_EVALUATIONS, OverlapODE, integrate, random_overlaps


def g(x):
    return erf(x / np.sqrt(2.0))


def dg(x):
    return np.sqrt(2.0 / np.pi) * np.exp(-0.5 * x**2)


def wishart(n, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n + 2)) * scale
    return A @ A.T / (n + 2)


def gauss_hermite(C, f, order):
    """E f(u), u ~ N(0, C), by a tensor Gauss-Hermite rule on the Cholesky factor (f vectorised over the last axis)."""
    z, w = hermite_rule(order)
    n = C.shape[0]
    grids = np.meshgrid(*([z] * n), indexing="ij")
    weights = np.prod(np.meshgrid(*([w] * n), indexing="ij"), axis=0).ravel()
    Z = np.stack([a.ravel() for a in grids])
    U = np.linalg.cholesky(C) @ Z
    return float(np.sum(weights * f(U)))


# -- closed forms against quadrature -------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_erf_I2_J2_against_2d_quadrature(seed):
    C = wishart(2, seed, scale=1.5)
    av = get_activation("scaled-erf").averages(C)
    assert av.I2[0, 1] == pytest.approx(gauss_hermite(C, lambda u: g(u[0]) * g(u[1]), 120), abs=1e-12)
    assert av.I2[0, 0] == pytest.approx(gauss_hermite(C, lambda u: g(u[0]) ** 2, 120), abs=1e-12)
    assert av.J2[0, 1] == pytest.approx(gauss_hermite(C, lambda u: dg(u[0]) * dg(u[1]), 120), abs=1e-12)


@pytest.mark.parametrize("seed", [2, 3])
def test_erf_I3_against_3d_quadrature(seed):
    C = wishart(3, seed)
    av = get_activation("scaled-erf").averages(C, rows=3)
    for a, b, c in [(0, 1, 2), (0, 0, 1), (1, 2, 2), (2, 0, 0), (0, 0, 0)]:
        ref = gauss_hermite(C, lambda u: dg(u[a]) * u[b] * g(u[c]), 80)
        assert av.I3[a, b, c] == pytest.approx(ref, abs=1e-11), (a, b, c)


@pytest.mark.parametrize("seed", [4, 5])
def test_erf_I4_against_4d_quadrature(seed):
    C = wishart(4, seed)
    av = get_activation("scaled-erf").averages(C, rows=2)
    for a, b, c, d in [(0, 1, 2, 3), (0, 0, 2, 3), (0, 1, 1, 3), (1, 1, 0, 0), (0, 1, 2, 2)]:
        ref = gauss_hermite(C, lambda u: dg(u[a]) * dg(u[b]) * g(u[c]) * g(u[d]), 40)
        assert av.I4[a, b, c, d] == pytest.approx(ref, abs=1e-10), (a, b, c, d)


@pytest.mark.parametrize("name", ["scaled-erf", "erf", "linear"])
def test_delta_squared_term_is_the_contraction_of_I4(name):
    C, s = wishart(5, 13), np.array([-0.7, 1.2, -0.4, 1.0, 0.6])
    act = get_activation(name)
    assert np.allclose(act.i4_quadratic(C, 3, s), np.einsum("abcd,c,d->ab", act.i4(C, 3), s, s), rtol=1e-12, atol=1e-14)


def test_linear_averages_are_moments():
    C = wishart(3, 7)
    av = get_activation("linear").averages(C, rows=2)
    assert np.allclose(av.I2, C) and np.allclose(av.J2, 1.0)
    assert np.allclose(av.I3[1], C) and np.allclose(av.I4[0, 1], C)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 6), st.integers(0, 10_000), st.floats(0.05, 20.0))
def test_erf_I2_is_a_covariance(n, seed, scale):
    """I2 = E g(u) g(u)^T is positive semi-definite, with |entries| <= 1."""
    I2 = get_activation("scaled-erf").averages(wishart(n, seed, scale))[0]
    assert np.linalg.eigvalsh(I2)[0] > -1e-12
    assert np.all(np.abs(I2) <= 1.0 + 1e-15)


def test_generalisation_error_closed_form_against_direct_average():
    rng = np.random.default_rng(8)
    o = random_overlaps(2, 3, init_scale=0.7, dimension=10, seed=9)
    R, Q, T = o.R, o.Q, o.T
    W = np.linalg.cholesky(np.block([[Q, R], [R.T, T]]))
    v, v_star = np.array([0.7, 1.3]), np.array([1.0, -0.5, 2.0])
    u = W @ rng.standard_normal((5, 400_000))
    delta = v_star @ g(u[2:]) - v @ g(u[:2])
    mc, err = 0.5 * np.mean(delta**2), 0.5 * np.std(delta**2) / np.sqrt(u.shape[1])
    eps = generalization_error(get_activation("scaled-erf"), R, Q, T, v, v_star)
    assert abs(eps - mc) < 5 * err


# -- the right-hand side --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["scaled-erf", "erf", "relu", "linear"])
def test_rhs_against_monte_carlo_expected_update(name):
    """dR, dQ, dv against the sample average of the per-step increments over Gaussian fields."""
    K, M, eta, eta_v, sigma, wd = 2, 3, 0.7, 0.4, 0.3, 0.05
    rng = np.random.default_rng(11)
    state = random_overlaps(K, M, init_scale=0.8, dimension=20, seed=12)
    v = np.array([0.9, -0.6])
    act = get_activation(name)
    ode = OverlapODE(act, K, M, eta, eta_v, sigma, wd, state.T, state.v_star)
    dR, dQ, dv = ode.derivatives(state.R, state.Q, v)

    n = 1_000_000
    C = overlap_matrix(state.R, state.Q, state.T)
    u = np.linalg.cholesky(C) @ rng.standard_normal((K + M, n))
    lam, nu = u[:K], u[K:]
    delta = state.v_star @ act.g(nu) - v @ act.g(lam) + sigma * rng.standard_normal(n)
    a = v[:, None] * act.dg(lam) * delta  # per-sample first-layer "error signal" of unit k
    samples = {
        "dR": eta * np.einsum("kn,mn->kmn", a, nu) - eta * wd * state.R[:, :, None],
        "dQ": eta * (np.einsum("kn,ln->kln", a, lam) + np.einsum("ln,kn->kln", a, lam))
        + eta**2 * np.einsum("kn,ln->kln", a, a)
        - 2 * eta * wd * state.Q[:, :, None],
        "dv": eta_v * act.g(lam) * delta,
    }
    for name, theory in (("dR", dR), ("dQ", dQ), ("dv", dv)):
        s = samples[name]
        mean, err = s.mean(axis=-1), s.std(axis=-1) / np.sqrt(n)
        assert np.all(np.abs(mean - theory) < 5 * err + 1e-12), name


def test_rhs_symmetries():
    """dQ is symmetric and permuting student (or teacher) units permutes the derivatives."""
    state = random_overlaps(3, 2, dimension=50, seed=3)
    v = np.array([1.0, 0.5, -0.3])
    ode = OverlapODE(get_activation("scaled-erf"), 3, 2, 0.8, 0.3, 0.2, 0.0, state.T, state.v_star)
    dR, dQ, dv = ode.derivatives(state.R, state.Q, v)
    assert np.allclose(dQ, dQ.T, atol=1e-15)
    p = [2, 0, 1]
    dRp, dQp, dvp = ode.derivatives(state.R[p], state.Q[np.ix_(p, p)], v[p])
    assert np.allclose(dRp, dR[p]) and np.allclose(dQp, dQ[np.ix_(p, p)]) and np.allclose(dvp, dv[p])
    q = [1, 0]
    ode_q = OverlapODE(get_activation("scaled-erf"), 3, 2, 0.8, 0.3, 0.2, 0.0, state.T[np.ix_(q, q)], state.v_star[q])
    dRq, dQq, dvq = ode_q.derivatives(state.R[:, q], state.Q, v)
    assert np.allclose(dRq, dR[:, q]) and np.allclose(dQq, dQ) and np.allclose(dvq, dv)


def test_perfect_student_is_stationary_without_noise():
    T = wishart(2, 21)
    ode = OverlapODE(get_activation("scaled-erf"), 2, 2, 0.9, 0.0, 0.0, 0.0, T, np.ones(2))
    for d in ode.derivatives(T, T, np.ones(2)):
        assert np.max(np.abs(d)) < 1e-14


# -- integration ----------------------------------------------------------------------------------


@pytest.mark.parametrize("eta", [0.4, 1.0, 1.7])
def test_linear_perceptron_exact_solution(eta):
    """g(x) = x: d eps/dt = -eta (2 - eta) eps + eta^2 sigma^2 / 2 exactly (from R, Q equations)."""
    sigma, t = 0.6, np.array([0.0, 0.3, 1.0, 3.0, 10.0, 40.0])
    init = Overlaps.checked([[0.2]], [[0.5]], [[1.0]])
    tr = integrate(1, 1, eta, t, activation="linear", sigma=sigma, init=init)
    eps0, eps_inf = 0.5 * (1.0 - 2 * 0.2 + 0.5), eta * sigma**2 / (2 * (2 - eta))
    exact = eps_inf + (eps0 - eps_inf) * np.exp(-eta * (2 - eta) * t)
    assert np.allclose(tr.generalization_error, exact, rtol=1e-6, atol=1e-10)
    assert np.allclose(tr.R[:, 0, 0], 1.0 - 0.8 * np.exp(-eta * t), rtol=1e-6)


def test_default_tolerances_resolve_small_errors():
    """Near perfect learning eps_g ~ 1e-9 is still resolved to 1e-3 by the default tolerances."""
    init, t = Overlaps.checked([[0.0]], [[0.25]], [[1.0]]), [0.0, 30.0]
    eta = perceptron_learning_rates("scaled-erf").eta_opt
    default = integrate(1, 1, eta, t, init=init)
    tight = integrate(1, 1, eta, t, init=init, rtol=1e-12, atol=1e-17)
    assert 1e-10 < tight.generalization_error[-1] < 1e-8
    assert default.generalization_error[-1] == pytest.approx(tight.generalization_error[-1], rel=1e-3)


def test_lsoda_and_rk45_agree_on_the_committee_plateau():
    t = np.array([0.0, 10.0, 100.0, 300.0, 1000.0])
    a = integrate(2, 2, 0.5, t, seed=4, init_dimension=300)
    b = integrate(2, 2, 0.5, t, seed=4, init_dimension=300, method="RK45", rtol=1e-10, atol=1e-12)
    assert np.allclose(a.generalization_error, b.generalization_error, rtol=1e-5, atol=1e-9)


def test_trained_second_layer_moves_and_fixed_does_not():
    t = np.linspace(0, 20, 5)
    init = random_overlaps(2, 2, dimension=100, seed=5)
    fixed = integrate(2, 2, 0.5, t, init=init)
    trained = integrate(2, 2, 0.5, t, init=init, train_second_layer=True, eta_v=0.5)
    assert np.all(fixed.v == 1.0)
    assert np.max(np.abs(trained.v[-1] - 1.0)) > 1e-3


def test_weight_decay_shrinks_norms_of_a_student_that_learns_nothing():
    """With v = 0 the gradient vanishes: dQ/dt = -2 eta lambda Q exactly."""
    init = Overlaps.checked([[0.1]], [[2.0]], [[1.0]], v=[0.0])
    tr = integrate(1, 1, 0.5, [0.0, 1.0, 4.0], init=init, weight_decay=0.2)
    assert np.allclose(tr.Q[:, 0, 0], 2.0 * np.exp(-2 * 0.5 * 0.2 * np.array([0.0, 1.0, 4.0])), rtol=1e-6)


def test_blow_up_is_reported_as_divergence():
    init = Overlaps.checked([[0.0]], [[0.0]], [[1.0]])
    with pytest.warns(DivergenceWarning, match="eta = 3"):
        tr = integrate(1, 1, 3.0, np.geomspace(0.1, 100, 30), activation="linear", init=init)
    assert tr.diverged and 0 < tr.t_diverged < 100
    assert tr.t.size < 30 and np.all(np.isfinite(tr.generalization_error)) and np.all(tr.t <= tr.t_diverged)


def test_long_run_reaches_the_noisy_asymptotic_fixed_point():
    fp = asymptotic_state(2, 0.8, sigma=0.3)
    assert fp.converged and fp.stable and fp.generalization_error > 0
    init = Overlaps.checked(0.9 * np.eye(2) + 0.05, np.eye(2), np.eye(2))
    tr = integrate(2, 2, 0.8, [0.0, 3000.0], sigma=0.3, init=init)
    assert tr.generalization_error[-1] == pytest.approx(fp.generalization_error, rel=1e-5)


# -- fixed points ---------------------------------------------------------------------------------


@pytest.mark.parametrize("K", [2, 3, 5])
def test_plateau_at_small_eta_is_saad_solla(K):
    """eta -> 0: R = 1/sqrt(K(2K-1)), Q = C = 1/(2K-1), eps_g = (K/pi)(pi/6 - K arcsin(1/(2K)))."""
    fp = plateau(K, 1e-6)
    assert fp.converged
    assert fp.state.R == pytest.approx(np.full((K, K), 1 / np.sqrt(K * (2 * K - 1))), rel=1e-5)
    assert fp.state.Q == pytest.approx(np.full((K, K), 1 / (2 * K - 1)), rel=1e-5)
    assert fp.generalization_error == pytest.approx(K / np.pi * (np.pi / 6 - K * np.arcsin(1 / (2 * K))), rel=1e-5)
    assert fp.escape_rate > 0  # the specialisation mode is unstable


def test_plateau_escape_rate_predicts_the_escape_in_the_ode():
    """From the plateau plus a small specialising kick, the kick grows as exp(escape_rate t)."""
    fp = plateau(2, 0.5)
    kick = 1e-6 * np.array([[1.0, -1.0], [-1.0, 1.0]])
    init = Overlaps(fp.state.R + kick, fp.state.Q, fp.state.T, fp.state.v, fp.state.v_star)
    tr = integrate(2, 2, 0.5, [0.0, 100.0, 200.0], init=init, rtol=1e-11, atol=1e-14)
    asym = np.array([r[0, 0] - r[0, 1] for r in tr.R])
    rate = np.log(asym[2] / asym[1]) / 100.0
    assert rate == pytest.approx(fp.escape_rate, rel=1e-3)


def test_unphysical_plateau_root_is_not_reported_converged():
    with pytest.warns(ConvergenceWarning, match="Gram matrix"):
        fp = plateau(4, 1.0)
    assert not fp.converged


def test_learning_rates_of_the_linear_perceptron():
    """Textbook values: eps_g decays as exp(-eta (2 - eta) alpha), so eta_opt = 1 and eta_max = 2."""
    rates = perceptron_learning_rates("linear")
    assert rates.eta_opt == pytest.approx(1.0, abs=1e-12) and rates.eta_max == pytest.approx(2.0, abs=1e-12)
    assert rates.eta_opt_overlaps == pytest.approx(1.0, abs=1e-12)
    assert rates.error_decay_rate(0.5) == pytest.approx(0.5 * 1.5, rel=1e-10)


def test_learning_rates_of_the_erf_perceptron_against_independent_quadrature():
    """eta_max = pi sqrt(5/3), eta_opt = 2 pi sqrt(5) / (3 sqrt(3)); the Jacobian at R = Q = 1 recomputed
    from the defining 2-D averages by Gauss-Hermite quadrature has the eigenvalues behind them."""
    rates = perceptron_learning_rates("scaled-erf")
    eta_max = rates.eta_max
    assert eta_max == pytest.approx(np.pi * np.sqrt(5 / 3), rel=1e-10)
    assert rates.eta_opt == pytest.approx(2 * np.pi * np.sqrt(5) / (3 * np.sqrt(3)), rel=1e-10)
    assert rates.eta_opt_overlaps == pytest.approx(5 / 6 * np.pi * np.sqrt(5 / 3), rel=1e-10)

    def rhs(R, Q, eta):  # K = M = 1, T = 1, v = 1 from 2-D quadrature of E[...] over (lambda, nu)
        C = np.array([[Q, R], [R, 1.0]])
        D = lambda u: g(u[1]) - g(u[0])  # noqa: E731
        dR = eta * gauss_hermite(C, lambda u: dg(u[0]) * u[1] * D(u), 60)
        dQ = 2 * eta * gauss_hermite(C, lambda u: dg(u[0]) * u[0] * D(u), 60) + eta**2 * gauss_hermite(
            C, lambda u: dg(u[0]) ** 2 * D(u) ** 2, 60
        )
        return np.array([dR, dQ])

    def jac(eta, h=1e-4):
        cols = [
            (rhs(1 + h * e[0], 1 + 3 * h + h * e[1], eta) - rhs(1 - h * e[0], 1 + 3 * h - h * e[1], eta)) / (2 * h)
            for e in np.eye(2)
        ]
        return np.array(cols).T

    # Evaluate slightly inside the Gram cone (Q = 1 + 3h) so that the quadrature's Cholesky exists.
    lam = np.sort(np.linalg.eigvals(jac(eta_max)).real)
    assert abs(lam[-1]) < 2e-3  # marginal at eta_max (up to the O(h) shift of the base point)
    c, a, b = 2 / (3 * np.sqrt(3) * np.pi), 4 / (np.sqrt(3) * np.pi), 4 / (np.sqrt(5) * np.pi**2)
    lam1 = np.sort(np.linalg.eigvals(jac(1.0)).real)
    assert lam1 == pytest.approx(np.sort([-c, -a + b]), abs=2e-3)


@pytest.mark.parametrize("eta", [1.0, 3.5])
def test_erf_perceptron_error_decays_at_the_predicted_rate(eta):
    """At eta = 1 the norm mode (quadratic in eps_g) sets the rate, at eta = 3.5 the second mode."""
    rate = perceptron_learning_rates("scaled-erf").error_decay_rate(eta)
    init = Overlaps.checked([[0.95]], [[0.95]], [[1.0]])
    tr = integrate(1, 1, eta, [0.0, 40.0, 50.0], init=init, rtol=1e-12, atol=1e-18)
    assert np.log(tr.generalization_error[1] / tr.generalization_error[2]) / 10.0 == pytest.approx(rate, rel=2e-3)


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"K": 0}, "K must be >= 1"),
        ({"M": 0}, "M must be >= 1"),
        ({"eta": 0.0}, "eta must be > 0"),
        ({"eta": float("nan")}, "eta must be finite"),
        ({"sigma": -1.0}, "sigma must be >= 0"),
        ({"eta_v": 0.3}, "train_second_layer"),
        ({"init": ([[np.nan]], [[1.0]], [[1.0]])}, "initial R must be finite"),
        ({"init": ([[2.0]], [[1.0]], [[1.0]])}, "positive semi-definite"),
        ({"init": ([[0.0, 0.0]], [[1.0]], [[1.0]])}, "initial R must have shape"),
        ({"activation": "tanh"}, "activation 'tanh' has no closed-form Gaussian averages"),
        ({"activation": "softsign"}, "unknown activation 'softsign'"),
        ({"activation": "erf"}, "activation 'erf' is ambiguous.*'scaled-erf'"),
        ({"eta": 1e300}, r"eta = 1e\+300.*overflows"),
        ({"sigma": 1e300}, r"sigma = 1e\+300.*overflows"),
        ({"weight_decay": 1e300}, r"eta \* weight_decay = 5e\+299 exceeds 1e\+15"),
        ({"eta": 1e200, "weight_decay": 1e200}, r"weight_decay = 1e\+200.*overflows"),
        ({"max_evaluations": 0}, "max_evaluations must be >= 1"),
        ({"t": [1.0, 0.5]}, "non-decreasing"),
        ({"t": [-1.0]}, "t must be >= 0"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    args = {"K": 1, "M": 1, "eta": 0.5, "t": [0.0, 1.0]}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        integrate(args.pop("K"), args.pop("M"), args.pop("eta"), args.pop("t"), **args)


def test_non_integer_units_are_a_type_error():
    with pytest.raises(TypeError, match="K must be an integer"):
        integrate(1.5, 1, 0.5, [1.0])


# -- hangs and tracebacks of the bad-input audit (issue 11) ---------------------------------------


def test_zero_horizon_returns_the_initial_state():
    """integrate(2, 2, 0.5, [0, 0]) raised AttributeError: nothing to integrate is the initial state, twice."""
    tr = integrate(2, 2, 0.5, [0.0, 0.0], seed=1)
    start = random_overlaps(2, 2, seed=1)
    assert tr.converged and tr.iterations == 0 and tr.t.tolist() == [0.0, 0.0]
    assert np.array_equal(tr.R[1], start.R) and np.array_equal(tr.Q[0], start.Q)


@pytest.mark.parametrize("eta", [1e6, 1000.0])
def test_far_above_the_stability_limit_the_budget_stops_the_solver(eta):
    """integrate(2, 2, 1e6, [0, 1]) and eta = 1000 (statlearn online --eta 1000) crawled for hours: the
    evaluation budget stops them, with converged=False, the times reached, and a ConvergenceWarning."""
    t = np.geomspace(1e-6, 100.0, 30)
    with pytest.warns(ConvergenceWarning, match="budget of 2000 evaluations was spent"):
        tr = integrate(2, 2, eta, t, seed=0, max_evaluations=2000)
    assert not tr.converged and not tr.diverged and tr.t.size < t.size
    assert "max_evaluations" in tr.message and 2000 < tr.iterations <= 4000
    assert np.all(np.isfinite(tr.R)) and np.all(tr.t <= 100.0)


def test_default_budget_is_ample_for_the_reproductions():
    """The longest ODE of the reproductions (overparametrisation, K = 8, alpha = 1e5) needs ~15 000 evaluations."""
    tr = integrate(8, 2, 0.2, np.geomspace(1.0, 1e5, 20), seed=0, sigma=0.3, train_second_layer=True)
    assert tr.converged and tr.iterations < MAX_EVALUATIONS / 4


def test_result_protocol_of_trajectory_and_fixed_point():
    from statlearn.numerics.result import SolverResult

    tr = integrate(1, 1, 0.5, [0.0, 1.0, 2.0], seed=0)
    fp = plateau(2, 0.5)
    for result in (tr, fp):
        assert isinstance(result, SolverResult) and result.converged and result.iterations > 0
    assert np.isnan(tr.residual) and "reached alpha = 2" in tr.message
    assert fp.residual <= 1e-10 and fp.message.startswith("converged")
    with pytest.raises(ValueError, match="read-only"):
        tr.generalization_error[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        fp.eigenvalues[0] = 0.0


def test_erf_is_refused_and_erf_of_z_is_a_different_unit():
    """The bare name "erf" meant erf(z / sqrt 2) here: refused, never silently erf(z); the object
    ACTIVATIONS["erf"] (erf(z)) runs and differs from "scaled-erf"."""
    from statlearn.models.activations import ACTIVATIONS

    with pytest.raises(ValueError, match="'scaled-erf'"):
        perceptron_learning_rates("erf")
    with pytest.raises(ValueError, match="ambiguous"):
        plateau(2, 0.5, activation="erf")
    a = integrate(1, 1, 0.5, [0.0, 5.0], seed=0, activation="scaled-erf")
    b = integrate(1, 1, 0.5, [0.0, 5.0], seed=0, activation=ACTIVATIONS["erf"])
    assert a.activation == "scaled-erf" and b.activation == "erf"
    assert abs(a.generalization_error[-1] - b.generalization_error[-1]) > 1e-3


# -- the analytic Jacobian -------------------------------------------------------------------------


def symmetrised_rhs(ode, y):
    """The right-hand side on (R, (Q + Q^T) / 2, v): the function whose Jacobian OverlapODE.jacobian is."""
    R, Q, v = ode.unpack(y)
    return ode.pack(*ode.derivatives(R, 0.5 * (Q + Q.T), v))


@pytest.mark.parametrize("name", ["scaled-erf", "erf", "linear"])
@pytest.mark.parametrize(
    "K, M, eta_v, sigma, weight_decay", [(1, 1, 0.0, 0.0, 0.0), (2, 3, 0.0, 0.3, 0.0), (3, 2, 0.7, 0.5, 0.1)]
)
def test_jacobian_against_central_differences(name, K, M, eta_v, sigma, weight_decay):
    rng = np.random.default_rng(K + 10 * M)
    for trial in range(3):  # random overlap matrices, second layers away from one
        init = random_overlaps(K, M, init_scale=0.5 + trial, dimension=3 * (K + M), seed=trial)
        v = 1.0 + 0.4 * rng.standard_normal(K)
        v_star = 1.0 + 0.3 * rng.standard_normal(M)
        ode = OverlapODE(get_activation(name), K, M, 0.8, eta_v, sigma, weight_decay, init.T, v_star)
        y = ode.pack(init.R, init.Q, v)
        h = 1e-6 * max(1.0, float(np.max(np.abs(y))))
        columns = [
            (symmetrised_rhs(ode, y + h * e) - symmetrised_rhs(ode, y - h * e)) / (2 * h) for e in np.eye(y.size)
        ]
        differences = np.stack(columns, axis=1)
        np.testing.assert_allclose(
            ode.jacobian(y), differences, rtol=0, atol=2e-7 * max(1.0, np.abs(differences).max())
        )


@pytest.mark.parametrize("name, train", [("scaled-erf", False), ("erf", True), ("linear", False)])
def test_analytic_jacobian_gives_the_finite_difference_trajectory(name, train):
    times = np.geomspace(1.0, 1e3, 12)
    kwargs = {"activation": get_activation(name), "train_second_layer": train, "seed": 1, "sigma": 0.1}
    eta = 0.2 if name == "linear" else 0.5
    fast = integrate(3, 2, eta, times, analytic_jacobian=True, **kwargs)
    plain = integrate(3, 2, eta, times, analytic_jacobian=False, **kwargs)
    assert fast.info["analytic_jacobian"] and not plain.info["analytic_jacobian"]
    for field in ("R", "Q", "v", "generalization_error"):  # within the integrator's tolerances (rtol 1e-10)
        np.testing.assert_allclose(getattr(fast, field), getattr(plain, field), rtol=1e-7, atol=1e-10)


def test_activation_without_derivatives_falls_back_to_finite_differences():
    trajectory = integrate(1, 1, 0.5, [0.0, 1.0], activation="relu", seed=0)
    assert trajectory.converged and not trajectory.info["analytic_jacobian"]
    with pytest.raises(ValueError, match="derivatives"):
        get_activation("relu").contraction_gradients(np.eye(2), 1, np.ones(2))
