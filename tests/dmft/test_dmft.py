"""DMFT of (S)GD on the Gaussian mixture: closed forms, the population scheme against them, the long-time
limit against the replica ERM fixed point, reproducibility, checkpoints and bad input.

Tolerances: the population scheme's standard errors come from the spread of R = 8 independent populations,
so a deviation divided by its error follows Student's t with 7 degrees of freedom; 5 such units
(P(|t_7| > 5) = 0.16% per comparison) over the ~15 comparisons of a test keeps a false alarm near 2%, and a
seed is fixed, so a test that passes once passes always.
"""

import math

import numba
import numpy as np
import pytest

from statlearn.dmft import first_step, memory_bytes, solve, square_gd
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.online.mixture import one_pass_recursion
from statlearn.replica.mixture import saddle_point
from statlearn.sweep import CheckpointWarning

MODEL = {"alpha": 2.0, "delta": 0.5, "lam": 0.1}
T_UNITS = 5.0


def square_first_step(alpha, delta, lam, eta, b, q0):
    """m_1, q_1 of square-loss (S)GD from m_0 = 0 worked out by hand: mu_0 = -alpha b, K_00 = alpha b,
    M_C(0, 0) = alpha b (Delta q_0 + 1)."""
    m1 = eta * alpha * b
    return m1, m1**2 + q0 * (1 - eta * lam - eta * delta * alpha * b) ** 2 + eta**2 * delta * alpha * b * (
        delta * q0 + 1
    )


@pytest.mark.parametrize("b", [1.0, 0.3])
@pytest.mark.parametrize("q0", [1.0, 0.4])
def test_first_step_of_the_square_loss_by_hand(b, q0):
    m1, q1 = square_first_step(2.0, 0.5, 0.1, 0.3, b, q0)
    assert first_step("square", **MODEL, eta=0.3, batch_fraction=b, q0=q0) == pytest.approx((m1, q1), rel=1e-12)
    if b == 1.0:
        exact = square_gd(**MODEL, eta=0.3, steps=1, q0=q0)
        assert (exact.m[1], exact.q[1]) == pytest.approx((m1, q1), rel=1e-12)
    if b == 1.0 and q0 == 1.0:
        assert q1 == pytest.approx(0.9439, abs=5e-5)  # the value worked out at alpha=2, Delta=.5, lam=.1, eta=.3


@pytest.mark.parametrize("lam", [0.1, 0.5, 2.0])
def test_square_gd_converges_to_the_ridge_fixed_point(lam):
    # GD contracts at least as fast as (1 - eta lam)^k: run to lam t = 30, a transient below 1e-13
    eta = 0.4 / (1 + lam)  # below 2 / (largest Hessian eigenvalue ~ lam + Delta (1 + sqrt(alpha))^2 + spike)
    exact = square_gd(**{**MODEL, "lam": lam}, eta=eta, steps=int(30 / (lam * eta)))
    state = saddle_point("square", lam, alpha=2.0, delta=0.5)
    got = [exact.m[-1], exact.q[-1], exact.test_error[-1], exact.train_loss[-1], exact.train_error[-1]]
    want = [state.m, state.q, state.test_error, state.train_loss, state.train_error]
    assert got == pytest.approx(want, rel=1e-10, abs=1e-12)


def test_population_scheme_against_the_square_closed_form():
    exact = square_gd(**MODEL, eta=0.3, steps=40)
    run = solve("square", **MODEL, eta=0.3, steps=40, n_samples=8 * 4000, replicas=8, seed=11)
    for name in ("m", "q", "test_error", "train_loss", "train_error"):
        got, err, want = getattr(run, name), getattr(run, f"{name}_err"), getattr(exact, name)
        for k in (1, 5, 40):
            assert abs(got[k] - want[k]) < 5 * err[k], (name, k, got[k], want[k], err[k])
    assert run.converged and np.isnan(run.residual) and run.iterations == 8 * 40


@pytest.mark.parametrize(("loss", "b"), [("logistic", 1.0), ("logistic", 0.3), ("hinge", 1.0), ("square", 0.3)])
def test_population_first_step_against_quadrature(loss, b):
    m1, q1 = first_step(loss, **MODEL, eta=0.3, batch_fraction=b, m0=0.3, q0=1.2)
    run = solve(
        loss, **MODEL, eta=0.3, steps=1, batch_fraction=b, m0=0.3, q0=1.2, n_samples=8 * 20000, replicas=8, seed=3
    )
    assert abs(run.m[1] - m1) < 5 * run.m_err[1]
    assert abs(run.q[1] - q1) < 5 * run.q_err[1]


def test_logistic_gd_reaches_the_replica_fixed_point():
    lam, eta = 1 / 3, 0.5
    state = saddle_point("logistic", lam, alpha=2.0, delta=0.5)
    run = solve("logistic", **{**MODEL, "lam": lam}, eta=eta, steps=60, n_samples=8 * 5000, replicas=8, seed=5)
    # lam t = 10: the transient is below 1e-4, far below the statistical errors (~3e-3)
    for name, want in [
        ("m", state.m),
        ("q", state.q),
        ("test_error", state.test_error),
        ("train_loss", state.train_loss),
    ]:
        got, err = getattr(run, name)[-1], getattr(run, f"{name}_err")[-1]
        assert abs(got - want) < 5 * err, (name, got, want, err)


def test_same_seed_same_trajectory_whatever_the_threads():
    kwargs = dict(
        **MODEL, eta=0.5, steps=12, batch_fraction=0.3, persistence=1.0, n_samples=2 * 700, replicas=2, seed=9
    )
    first = solve("logistic", **kwargs)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        second = solve("logistic", **kwargs)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(first.replica_values, second.replica_values)
    other = solve("logistic", **{**kwargs, "seed": 10})
    assert not np.array_equal(first.replica_values, other.replica_values)


def test_checkpoint_resumes_and_refuses_another_run(tmp_path):
    kwargs = dict(**MODEL, eta=0.5, steps=6, n_samples=3 * 500, replicas=3, seed=4, checkpoint=tmp_path)
    first = solve("logistic", **kwargs)
    assert sorted(p.name for p in tmp_path.glob("replica-*.npz")) == [f"replica-{r}.npz" for r in range(3)]
    (tmp_path / "replica-1.npz").unlink()  # as if interrupted during the second replica
    resumed = solve("logistic", **kwargs)
    np.testing.assert_array_equal(first.replica_values, resumed.replica_values)
    with pytest.raises(ValueError, match="checkpoint"):
        solve("logistic", **{**kwargs, "lam": 0.2})


def test_checkpoint_of_other_code_is_recomputed(tmp_path, monkeypatch):
    import statlearn.dmft.solver as solver

    kwargs = dict(**MODEL, eta=0.5, steps=6, n_samples=2 * 500, replicas=2, seed=4, checkpoint=tmp_path)
    first = solve("logistic", **kwargs)
    saved = np.load(tmp_path / "replica-0.npz")["values"]
    saved[1, -1] = 123.0  # a stale result, as if computed by other code
    np.savez(
        tmp_path / "replica-0.npz", values=saved, **{k: np.zeros(1) for k in ("kernel", "covariance", "propagator")}
    )
    monkeypatch.setattr(solver, "_code_stamp", lambda: "other code")
    with pytest.warns(CheckpointWarning, match="other code"):
        again = solve("logistic", **kwargs)
    np.testing.assert_array_equal(first.replica_values, again.replica_values)


def test_memory_is_refused_before_allocating():
    assert memory_bytes(1000, 100) > 8 * 1000 * 100 * 101 // 2
    with pytest.raises(ValueError, match="memory_limit"):
        solve("logistic", **MODEL, eta=0.1, steps=100_000, n_samples=1000, replicas=1, seed=0)


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"batch_fraction": 0.0}, "batch_fraction"),
        ({"batch_fraction": 1.5}, "batch_fraction"),
        ({"persistence": 0.1}, "persistence"),
        ({"delta": -0.5}, "delta"),
        ({"alpha": float("nan")}, "alpha"),
        ({"lam": -0.1}, "lam"),
        ({"eta": 0.0}, "eta"),
        ({"steps": 0}, "steps"),
        ({"q0": 0.01, "m0": 0.5}, "q0"),
        ({"rho": 1.0}, "rho"),
        ({"n_samples": 3}, "n_samples"),
    ],
)
def test_bad_input_names_the_parameter(change, name):
    kwargs = {**MODEL, "eta": 0.5, "steps": 3, "n_samples": 400, "seed": 0, **change}
    with pytest.raises(ValueError, match=name):
        solve("logistic", **kwargs)


def test_bad_loss_and_hinge_without_smoothing():
    with pytest.raises(ValueError, match="loss"):
        solve("cubic", **MODEL, eta=0.5, steps=3, n_samples=400, seed=0)
    with pytest.raises(ValueError, match="smoothing"):
        solve("hinge", **MODEL, eta=0.5, steps=3, n_samples=400, seed=0, smoothing=0.0)
    with pytest.raises(TypeError, match="seed"):
        solve("square", **MODEL, eta=0.5, steps=3, n_samples=400, seed=1.5)


def test_divergent_step_is_reported():
    with pytest.warns(ConvergenceWarning, match="diverged"):
        run = solve("square", **MODEL, eta=3.0, steps=60, n_samples=2 * 500, replicas=2, seed=0)
    assert not run.converged and "diverged" in run.message
    assert run.q[-1] > 1e12


def test_one_pass_limit_excess_error_falls_as_one_over_alpha():
    # at fixed batch beta = b alpha and fixed samples per dimension, passes over the data = t_SS / alpha: the
    # reuse of samples (the DMFT's memory) adds a test error ~ c / alpha over the one-pass recursion
    recursion = one_pass_recursion("logistic", delta=0.5, eta=0.5, batch=0.5, steps=24)
    scaled = []
    for alpha in (10.0, 40.0):
        run = solve(
            "logistic", alpha=alpha, delta=0.5, lam=0.0, eta=0.5, steps=24, batch_fraction=0.5 / alpha,
            n_samples=8 * 20000, replicas=8, seed=23,
        )  # fmt: skip
        excess, err = run.test_error[-1] - recursion.test_error[-1], run.test_error_err[-1]
        assert excess > 5 * err  # sample reuse costs accuracy
        scaled.append((alpha * excess, alpha * err))
    (a, sa), (b, sb) = scaled
    assert abs(a - b) < 5 * math.hypot(sa, sb)
