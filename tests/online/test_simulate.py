"""Online SGD simulation: reproducibility, initial overlaps, exact finite-N means, the test error,
second layer, weight decay, divergence, validation."""

import math
import warnings

import numpy as np
import pytest
from scipy.special import erf

from statlearn.models.activations import ACTIVATIONS
from statlearn.online import DivergenceWarning, Overlaps
from statlearn.online.simulate import _prepare, _simulate, online_sgd, online_sgd_seeds

SIGMAS = 5.0


def field_functions(name):
    """g and g' written out independently of the package (Saad & Solla 1995; docs/theory/online.md)."""
    if name == "scaled-erf":
        return (lambda u: erf(u / np.sqrt(2.0))), (lambda u: np.sqrt(2.0 / np.pi) * np.exp(-0.5 * u * u))
    if name == "erf":
        return erf, (lambda u: 2.0 / np.sqrt(np.pi) * np.exp(-u * u))
    if name == "linear":
        return (lambda u: u), (lambda u: np.ones_like(u))
    return (lambda u: np.maximum(u, 0.0)), (lambda u: (u > 0.0).astype(float))


def same(a, b):
    return all(
        np.array_equal(getattr(a, name), getattr(b, name))
        for name in ("t", "R", "Q", "v", "generalization_error", "T", "v_star")
    )


# ------------------------------------------------------------------ reproducibility and initial state


def test_reproducible_per_seed_and_whatever_the_workers():
    args = (2, 2, 0.5, 200, [0.0, 0.5, 2.0])
    serial = [online_sgd(*args, seed=seed, sigma=0.1) for seed in range(4)]
    again = online_sgd(*args, seed=2, sigma=0.1)
    assert same(serial[2], again)
    for workers in (1, 3):
        parallel = online_sgd_seeds(*args, seeds=list(range(4)), workers=workers, sigma=0.1, progress=workers > 1)
        assert all(same(a, b) for a, b in zip(serial, parallel))
        assert [trajectory.seed for trajectory in parallel] == list(range(4))
    assert not np.array_equal(serial[0].R[-1], serial[1].R[-1])


def test_recording_does_not_perturb_the_run():
    dense = online_sgd(2, 1, 0.5, 100, np.arange(0.0, 3.01, 0.25), seed=7)
    sparse = online_sgd(2, 1, 0.5, 100, [1.0, 3.0], seed=7)  # no record of the initial state
    assert not sparse.diverged
    assert np.array_equal(sparse.R, dense.R[[4, 12]]) and np.array_equal(sparse.Q, dense.Q[[4, 12]])


def test_random_initialisation_is_the_documented_draw():
    K, M, N, scale = 2, 3, 300, 0.5
    trajectory = online_sgd(K, M, 0.5, N, [0.0, 0.1], seed=5, init_scale=scale)
    rng = np.random.default_rng(5)
    teacher = rng.standard_normal((M, N))
    student = scale * rng.standard_normal((K, N))
    np.testing.assert_allclose(trajectory.R[0], student @ teacher.T / N, rtol=0, atol=1e-13)
    np.testing.assert_allclose(trajectory.Q[0], student @ student.T / N, rtol=0, atol=1e-13)
    np.testing.assert_allclose(trajectory.T, teacher @ teacher.T / N, rtol=0, atol=1e-13)
    assert np.array_equal(trajectory.v[0], np.ones(K)) and np.array_equal(trajectory.v_star, np.ones(M))


@pytest.mark.parametrize("case", ["generic", "student_is_teacher"])
def test_initial_overlaps_are_realised_exactly(case):
    K, M = 2, 3
    if case == "generic":
        A = np.random.default_rng(8).standard_normal((K + M, K + M + 1))
        C = A @ A.T / (K + M + 1)
    else:  # rank M: the student rows are the first two teacher rows
        T = np.array([[1.0, 0.3, 0.0], [0.3, 2.0, -0.5], [0.0, -0.5, 0.7]])
        P = np.eye(M)[:K]
        C = np.block([[P @ T @ P.T, P @ T], [T @ P.T, T]])
    init = Overlaps.checked(C[:K, K:], C[:K, :K], C[K:, K:], v=[0.3, -1.0], v_star=[1.0, 2.0, 0.5])
    for N in (K + M, 57):
        trajectory = online_sgd(K, M, 0.5, N, [0.0], seed=1, init=init)
        np.testing.assert_allclose(trajectory.R[0], init.R, rtol=0, atol=1e-10)
        np.testing.assert_allclose(trajectory.Q[0], init.Q, rtol=0, atol=1e-10)
        np.testing.assert_allclose(trajectory.T, init.T, rtol=0, atol=1e-10)
        assert np.array_equal(trajectory.v[0], init.v) and np.array_equal(trajectory.v_star, init.v_star)
    as_mapping = online_sgd(
        K, M, 0.5, 57, [0.0], seed=1, init={"R": init.R, "Q": init.Q, "T": init.T, "v": init.v, "v_star": init.v_star}
    )
    assert same(as_mapping, trajectory)


# ------------------------------------------------------------------ dynamics against exact means


@pytest.mark.parametrize("weight_decay", [0.0, 0.4])
def test_linear_perceptron_mean_follows_the_exact_dynamics(weight_decay):
    """g(x) = x, K = M = 1, v = v* = 1: with e = w* - w and Delta = e.x / sqrt(N) + sigma zeta,
    E x x^T = I gives for one step, exactly at any N (a = eta / N, d = 1 - eta gamma / N):

        E R' = d R + a (T - R),
        E Q' = d^2 Q + 2 d a (R - Q) + a eta [(N + 2)/N (T - 2R + Q) + sigma^2]

    (E (e.x)^2 |x|^2 = (N + 2)|e|^2). Both are affine in (R, Q), so the mean over runs from the same
    overlaps follows the recursion exactly. For R it solves to
    R_s = R* + (R0 - R*) (1 - c/N)^s, R* = T / (1 + gamma), c = eta (1 + gamma), whereas the ODE
    gives R(t) = R* + (R0 - R*) exp(-c t); since -x - x^2/(2(1 - x)) <= log(1 - x) <= -x, the two
    differ by at most |R0 - R*| exp(-c t) c^2 t / (2 (N - c)) at t = s / N.
    """
    eta, sigma, N, seeds = 1.0, 0.5, 50, 1000
    R0, Q0, T = 0.1, 0.5, 1.0
    t = np.array([0.0, 0.5, 1.0, 2.0])
    runs = online_sgd_seeds(
        1,
        1,
        eta,
        N,
        t,
        seeds=list(range(seeds)),
        activation="linear",
        sigma=sigma,
        weight_decay=weight_decay,
        init=Overlaps.checked([[R0]], [[Q0]], [[T]]),
    )
    R = np.array([run.R[:, 0, 0] for run in runs])
    Q = np.array([run.Q[:, 0, 0] for run in runs])
    se_R = R.std(axis=0, ddof=1) / math.sqrt(seeds)
    se_Q = Q.std(axis=0, ddof=1) / math.sqrt(seeds)

    c = eta * (1.0 + weight_decay)
    R_star = T / (1.0 + weight_decay)
    ode = R_star + (R0 - R_star) * np.exp(-c * t)
    allowance = abs(R0 - R_star) * np.exp(-c * t) * c**2 * t / (2.0 * (N - c))
    rounding = 1e-12  # the initial overlaps are realised up to rounding
    assert np.all(np.abs(R.mean(axis=0) - ode) <= SIGMAS * se_R + allowance + rounding)

    a, d = eta / N, 1.0 - eta * weight_decay / N
    exact_Q, r, q, step = [], R0, Q0, 0
    for s in np.rint(t * N).astype(int):
        while step < s:
            noise = a * eta * ((N + 2) / N * (T - 2 * r + q) + sigma**2)
            r, q = d * r + a * (T - r), d * d * q + 2 * d * a * (r - q) + noise
            step += 1
        exact_Q.append(q)
    assert np.all(np.abs(Q.mean(axis=0) - exact_Q) <= SIGMAS * se_Q + rounding)
    assert se_Q[-1] < 0.05 * abs(exact_Q[-1] - Q0)  # the check resolves the motion of Q


@pytest.mark.parametrize("name", ["scaled-erf", "erf", "linear", "relu"])
def test_one_step_drift_is_the_gaussian_average(name):
    """One step from given weights: Delta R_km = (eta/N) v_k g'(lambda_k) nu_m Delta and
    Delta v_k = (eta_v/N) g(lambda_k) Delta exactly, with the fields (lambda, nu) ~ N(0, C) for the
    fresh input. The mean over runs must match E[.] computed here by Monte Carlo on the fields."""
    g, dg = field_functions(name)
    K, M, N, eta, eta_v, runs = 2, 2, 40, 0.8, 0.6, 2000
    R = np.array([[0.5, 0.1], [0.2, 0.6]])
    Q = np.array([[1.0, 0.3], [0.3, 0.8]])
    T = np.eye(2)
    v, v_star = np.array([0.3, -0.6]), np.array([1.0, 0.5])
    init = Overlaps.checked(R, Q, T, v, v_star)
    sims = online_sgd_seeds(
        K,
        M,
        eta,
        N,
        [0.0, 1.0 / N],
        seeds=list(range(runs)),
        init=init,
        sigma=0.2,
        activation=ACTIVATIONS[name],
        train_second_layer=True,
        eta_v=eta_v,
    )
    dR = np.array([sim.R[1] - sim.R[0] for sim in sims])
    dv = np.array([sim.v[1] - sim.v[0] for sim in sims])

    C = np.block([[Q, R], [R.T, T]])
    fields = np.random.default_rng(0).standard_normal((500_000, K + M)) @ np.linalg.cholesky(C).T
    lam, nu = fields[:, :K], fields[:, K:]
    delta = g(nu) @ v_star - g(lam) @ v  # label noise averages out of both drifts
    samples_R = (eta / N) * v * dg(lam) * delta[:, None]
    samples_R = samples_R[:, :, None] * nu[:, None, :]
    samples_v = (eta_v / N) * g(lam) * delta[:, None]
    for sim, exact in ((dR, samples_R), (dv, samples_v)):
        se = np.sqrt(sim.var(axis=0, ddof=1) / runs + exact.var(axis=0) / exact.shape[0])
        assert np.all(np.abs(sim.mean(axis=0) - exact.mean(axis=0)) <= SIGMAS * se)
        assert np.all(np.abs(exact.mean(axis=0)) > 5 * se)  # the drifts are resolved, not just noise


def test_generalization_error_is_the_test_error_of_the_final_weights():
    K, M, N = 2, 2, 40
    setup = _prepare(
        K,
        M,
        0.5,
        N,
        [0.0, 2.0],
        activation="scaled-erf",
        train_second_layer=True,
        eta_v=None,
        sigma=0.1,
        weight_decay=0.0,
        init=None,
        init_scale=1.0,
        v_star=[1.0, 0.6],
        max_steps=10**6,
    )
    trajectory, weights, v = _simulate(setup, 3)
    student, teacher = weights[:K], weights[K:]
    np.testing.assert_allclose(trajectory.R[-1], student @ teacher.T / N, atol=1e-12)
    np.testing.assert_allclose(trajectory.Q[-1], student @ student.T / N, atol=1e-12)
    assert np.array_equal(trajectory.v[-1], v)
    g = field_functions("scaled-erf")[0]
    rng = np.random.default_rng(99)
    losses = np.concatenate(
        [
            0.5 * (g(X @ teacher.T / math.sqrt(N)) @ trajectory.v_star - g(X @ student.T / math.sqrt(N)) @ v) ** 2
            for X in (rng.standard_normal((50_000, N)) for _ in range(4))
        ]
    )
    se = losses.std(ddof=1) / math.sqrt(losses.size)
    assert abs(trajectory.generalization_error[-1] - losses.mean()) <= SIGMAS * se
    assert trajectory.generalization_error[-1] < 0.7 * trajectory.generalization_error[0]  # and it did learn


# ------------------------------------------------------------------ second layer, weight decay


def test_second_layer_moves_only_when_trained():
    # student = teacher in the first layer, v = 0.5 < v* = 1: the gradient pulls v up
    init = Overlaps.checked([[1.0]], [[1.0]], [[1.0]], v=[0.5], v_star=[1.0])
    t = [0.0, 1.0, 6.0]
    frozen = online_sgd(1, 1, 0.5, 100, t, seed=4, init=init)
    trained = online_sgd(1, 1, 0.5, 100, t, seed=4, init=init, train_second_layer=True)
    assert np.all(frozen.v == 0.5)
    assert frozen.info["eta_v"] == 0.0 and trained.info["eta_v"] == 0.5
    assert trained.v[-1, 0] > 0.7
    assert not np.array_equal(frozen.R, trained.R)  # the first layer is coupled to v


def test_weight_decay_alone_shrinks_the_weights_geometrically():
    # v = 0 and a frozen second layer: the update of w_k is proportional to v_k = 0, so only the
    # decay acts, w_s = (1 - eta gamma / N)^s w_0, whatever the teacher and the noise
    eta, gamma, N = 0.8, 0.5, 50
    init = Overlaps.checked([[0.4], [-0.2]], [[1.0, 0.2], [0.2, 1.5]], [[1.0]], v=[0.0, 0.0])
    t = np.array([0.0, 1.0, 3.0])
    trajectory = online_sgd(2, 1, eta, N, t, seed=0, init=init, weight_decay=gamma, sigma=0.3)
    factor = (1.0 - eta * gamma / N) ** np.rint(t * N)
    np.testing.assert_allclose(trajectory.R, trajectory.R[0] * factor[:, None, None], rtol=1e-12)
    np.testing.assert_allclose(trajectory.Q, trajectory.Q[0] * factor[:, None, None] ** 2, rtol=1e-12)
    assert trajectory.Q[-1, 0, 0] < 0.1 * trajectory.Q[0, 0, 0]


# ------------------------------------------------------------------ divergence


def test_linear_perceptron_diverges_above_eta_2():
    # E|e'|^2 = |e|^2 (1 - 2 eta/N + eta^2 (N + 2)/N^2): growth rate eta^2 - 2 eta = 3 at eta = 3,
    # so Q reaches 1e8 after t ~ ln(1e8) / 3 ~ 6
    t = np.linspace(0.0, 20.0, 21)
    with pytest.warns(DivergenceWarning, match=r"eta = 3\b"):
        trajectory = online_sgd(1, 1, 3.0, 100, t, seed=1, activation="linear")
    assert trajectory.diverged
    assert 3.0 < trajectory.t_diverged < 12.0
    n = trajectory.t.size
    assert 0 < n < t.size and trajectory.t[-1] < trajectory.t_diverged
    assert np.array_equal(trajectory.t, t[:n])
    assert trajectory.R.shape == (n, 1, 1) and trajectory.Q.shape == (n, 1, 1) and trajectory.v.shape == (n, 1)
    assert trajectory.generalization_error.shape == (n,) and np.all(np.isfinite(trajectory.generalization_error))
    assert trajectory.info["steps"] == round(trajectory.t_diverged * 100)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivergenceWarning)
        stable = online_sgd(1, 1, 1.5, 100, t, seed=1, activation="linear")
    assert not stable.diverged and stable.t.size == t.size


# ------------------------------------------------------------------ validation


GOOD = {"K": 2, "M": 1, "eta": 0.5, "N": 20, "t": [0.0, 1.0], "seed": 0}


@pytest.mark.parametrize(
    "change, error, match",
    [
        ({"K": 0}, ValueError, "K must be >= 1"),
        ({"M": 1.5}, TypeError, "M must be an integer"),
        ({"eta": 0.0}, ValueError, "eta must be > 0"),
        ({"eta": float("nan")}, ValueError, "eta must be finite"),
        ({"N": 0}, ValueError, "N must be >= 1"),
        ({"N": 10.0}, TypeError, "N must be an integer"),
        ({"t": [1.0, 0.5]}, ValueError, "t must be non-decreasing"),
        ({"t": [-1.0]}, ValueError, "t must be >= 0"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
        ({"sigma": -0.1}, ValueError, "sigma must be >= 0"),
        ({"weight_decay": 100.0}, ValueError, "eta \\* weight_decay must be < N"),
        ({"eta_v": 0.3}, ValueError, "eta_v"),
        ({"activation": "tanh"}, ValueError, "activation 'tanh' has no closed-form Gaussian averages"),
        ({"activation": "softsign"}, ValueError, "unknown activation 'softsign'"),
        ({"activation": "erf"}, ValueError, "activation 'erf' is ambiguous.*'scaled-erf'"),
        ({"eta": 1e300}, ValueError, r"eta = 1e\+300.*overflows"),
        ({"sigma": 1e300}, ValueError, r"sigma = 1e\+300.*overflows"),
        ({"t": [0.0, 1e300]}, ValueError, r"t\[-1\] \* N = 2e\+301 SGD steps exceed max_steps"),
        ({"max_steps": 0}, ValueError, "max_steps must be >= 1"),
        ({"init_scale": -1.0}, ValueError, "init_scale must be >= 0"),
        ({"v_star": [1.0, 1.0]}, ValueError, "v_star must have shape"),
        ({"init": Overlaps.checked([[0.1], [0.2]], np.eye(2), [[1.0]]), "N": 2}, ValueError, "N must be >= K \\+ M"),
        ({"init": Overlaps.checked([[0.1]], [[1.0]], [[1.0]])}, ValueError, "init has K = 1"),
        ({"init": {"R": [[2.0], [0.0]], "Q": np.eye(2), "T": [[1.0]]}}, ValueError, "positive semi-definite"),
        ({"init": {"R": [[np.nan], [0.0]], "Q": np.eye(2), "T": [[1.0]]}}, ValueError, "initial R must be finite"),
        ({"init": [[0.1]]}, TypeError, "init must be None, an Overlaps"),
        ({"init": Overlaps.checked([[0.1], [0.2]], np.eye(2), [[1.0]]), "v_star": [2.0]}, ValueError, "v_star"),
    ],
)
def test_bad_input_raises_naming_the_parameter(change, error, match):
    with pytest.raises(error, match=match):
        online_sgd(**{**GOOD, **change})


def test_bad_seeds_and_workers():
    args = (2, 1, 0.5, 20, [0.0, 1.0])
    with pytest.raises(ValueError, match="seeds must be a non-empty sequence"):
        online_sgd_seeds(*args, seeds=[])
    with pytest.raises(ValueError, match="workers must be >= 1"):
        online_sgd_seeds(*args, seeds=[0], workers=0)
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['learning_rate'\\]"):
        online_sgd_seeds(*args, seeds=[0], learning_rate=1.0)


def test_huge_horizon_is_refused_before_allocating_with_its_size():
    with pytest.raises(ValueError, match=r"1e\+303 SGD steps exceed max_steps = 1e\+10 \(about .* hours"):
        online_sgd(2, 2, 0.5, 1000, [0.0, 1e300], seed=0)
    with pytest.raises(ValueError, match="max_steps"):
        online_sgd(1, 1, 0.5, 10, [0.0, 2.0], seed=0, max_steps=19)
    assert online_sgd(1, 1, 0.5, 10, [0.0, 2.0], seed=0, max_steps=20).iterations == 20


def test_chunked_kernel_gives_the_same_run_bit_for_bit(monkeypatch):
    """The kernel resumes exactly where it stopped: chunks of 7 steps give the one-call trajectory."""
    import statlearn.online.simulate as simulate

    args = dict(seed=3, sigma=0.1, train_second_layer=True, activation="relu")
    whole = online_sgd(2, 2, 0.6, 50, [0.0, 0.3, 0.3, 1.0, 2.5], **args)
    monkeypatch.setattr(simulate, "CHUNK_WORK", 7 * 50 * 4)
    chunked = online_sgd(2, 2, 0.6, 50, [0.0, 0.3, 0.3, 1.0, 2.5], **args)
    assert same(whole, chunked) and whole.iterations == chunked.iterations == 125


def test_ctrl_c_stops_every_run_within_a_chunk():
    """SIGINT while online_sgd_seeds runs two 1e7-step runs (~30 s each): KeyboardInterrupt within a
    fraction of a second, the worker threads stopped between chunks rather than run to the end."""
    import os
    import signal
    import threading
    import time

    online_sgd(2, 2, 0.5, 1000, [0.0, 0.01], seed=0)  # compiled before the clock starts
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        online_sgd_seeds(2, 2, 0.5, 1000, [0.0, 1e4], seeds=[0, 1], workers=2)
    assert time.perf_counter() - start < 3.0
    assert not [t for t in threading.enumerate() if t.name.startswith("ThreadPoolExecutor")]  # none left running


def test_result_protocol():
    from statlearn.numerics.result import SolverResult

    ok = online_sgd(1, 1, 0.5, 50, [0.0, 1.0], seed=0)
    assert isinstance(ok, SolverResult) and ok.converged and ok.iterations == 50 and math.isnan(ok.residual)
    assert "reached alpha = 1" in ok.message
    with pytest.raises(ValueError, match="read-only"):
        ok.R[0, 0, 0] = 1.0
    with pytest.warns(DivergenceWarning):
        bad = online_sgd(1, 1, 3.0, 100, np.linspace(0, 20, 21), seed=1, activation="linear")
    assert not bad.converged and bad.diverged and "diverged" in bad.message
