"""(S)GD simulations on the Gaussian mixture: the exact square-loss trajectory, the law of the selections, the
first step against its large-d value, reproducibility, divergence and bad input."""

import math

import numpy as np
import pytest

from statlearn.experiments import dynamics_instance, simulate_dynamics

BASE = dict(alpha=2.0, delta=0.5, lam=0.1, eta=0.3)


def test_square_gd_follows_the_exact_linear_recursion():
    # square loss: the gradient is A w - X^T y / sqrt d with A = lam I + X^T X / d, so
    # w_k = w* + (I - eta A)^k (w_0 - w*), w* = A^{-1} X^T y / sqrt d, computed by an eigendecomposition
    d, steps, eta, lam = 60, 25, 0.2, 0.1
    args = dict(alpha=2.0, delta=0.5, d=d, rho=0.4, m0=0.3, q0=0.8)
    run = simulate_dynamics("square", lam=lam, eta=eta, steps=steps, seeds=[7], **args)
    inst = dynamics_instance(7, steps=steps, eta=eta, **args)
    X, y, v, w0 = inst.X, inst.y, inst.v, inst.w0
    a, U = np.linalg.eigh(lam * np.eye(d) + X.T @ X / d)
    assert np.max(np.abs(1 - eta * a)) < 1.0  # a converging recursion, so rounding does not grow
    w_star = U @ ((U.T @ (X.T @ y / math.sqrt(d))) / a)
    k = np.arange(steps + 1)[:, None]
    W = w_star + ((1 - eta * a) ** k * (U.T @ (w0 - w_star))) @ U.T  # row k is w_k
    H = W @ X.T / math.sqrt(d)
    np.testing.assert_allclose(run.m[0], W @ v / d, rtol=0, atol=1e-10)
    np.testing.assert_allclose(run.q[0], np.sum(W * W, axis=1) / d, rtol=0, atol=1e-10)
    np.testing.assert_allclose(run.train_loss[0], np.mean(0.5 * (H - y) ** 2, axis=1), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(run.train_error[0], np.mean(y * H <= 0, axis=1))
    assert run.m[0, 0] == pytest.approx(0.3, abs=1e-12) and run.q[0, 0] == pytest.approx(0.8, abs=1e-12)
    np.testing.assert_array_equal(run.t, eta * np.arange(steps + 1))


@pytest.mark.parametrize("tau_over_eta", [1.0, 4.0])
def test_selections_have_the_markov_law(tau_over_eta):
    # each s_mu is a stationary two-state chain: P(s = 1) = b and lag-one autocorrelation 1 - eta / tau.
    # The n chains are independent, so the per-chain estimates are i.i.d.: the tolerance is 4 standard
    # errors of their mean over chains (a false failure has probability ~ 6e-5 per check)
    eta, b, steps = 0.5, 0.3, 200
    inst = dynamics_instance(
        3, alpha=10.0, delta=0.5, d=300, steps=steps, eta=eta, batch_fraction=b, persistence=eta * tau_over_eta
    )
    s = inst.masks.astype(float)  # (steps, n)
    assert s.shape == (steps, 3000)
    level = s.mean(axis=0)
    lag1 = np.mean((s[:-1] - b) * (s[1:] - b), axis=0) / (b * (1 - b))
    for estimates, expected in ((level, b), (lag1, 1 - 1 / tau_over_eta)):
        error = estimates.std(ddof=1) / math.sqrt(estimates.size)
        assert abs(estimates.mean() - expected) < 4 * error


def test_persistence_equal_to_eta_is_plain_sgd_and_gd_draws_no_selection():
    args = dict(alpha=1.0, delta=0.5, d=50, steps=10, eta=0.3, batch_fraction=0.4)
    plain, persistent = dynamics_instance(1, **args), dynamics_instance(1, **args, persistence=0.3)
    np.testing.assert_array_equal(plain.masks, persistent.masks)
    assert dynamics_instance(1, **{**args, "batch_fraction": 1.0}).masks is None


def test_first_gd_step_matches_its_large_d_value():
    # At k = 0 the weights w_0 (m0 = 0, q0 = 1) are independent of the data, so the first step is a one-pass
    # step with alpha d fresh samples. Write h0 = x . v*/sqrt d = c + sqrt(Delta) u and zeta = x . w_0/|w_0|,
    # ~ N(0, Delta) independent of (c, u); then h = w_0 . x / sqrt d = zeta and the square loss has
    # g = l'(y, h) = zeta - c. Averages over samples (law of large numbers, O(d^-1/2) errors):
    #   E[g h0] = E[(zeta - c)(c + sqrt(Delta) u)] = -1,  E[g h] = E[zeta^2] = Delta,
    #   E[g^2] = Delta + 1,  E[g zeta] = Delta.
    # m_1 = (1 - eta lam) m0 - eta alpha E[g h0] = eta alpha. For q_1 expand |w_1|^2 / d:
    #   (1 - eta lam)^2 q0 - 2 eta (1 - eta lam) alpha E[g h] + eta^2 |sum_mu g_mu x_mu / sqrt d|^2 / d,
    # and split sum g x along v*, along w_0 and over the d - 2 other directions (where x_mu is
    # sqrt(Delta) z_mu, independent of g_mu): alpha^2 (E[g h0]^2 + E[g zeta]^2) + alpha Delta E[g^2], so
    #   q_1 = (1 - eta lam)^2 - 2 eta (1 - eta lam) alpha Delta + eta^2 (alpha Delta (1 + Delta) + alpha^2 (1 + Delta^2)).
    alpha, delta, lam, eta = BASE["alpha"], BASE["delta"], BASE["lam"], BASE["eta"]
    decay = 1 - eta * lam
    q1 = decay**2 - 2 * eta * decay * alpha * delta + eta**2 * (alpha * delta * (1 + delta) + alpha**2 * (1 + delta**2))
    assert q1 == pytest.approx(0.9439, abs=5e-5)  # the value quoted with the reference derivation
    run = simulate_dynamics("square", steps=1, d=1000, seeds=range(30), **BASE)
    # 3 standard errors over seeds; the O(1/d) corrections (e.g. |x|^2 = d Delta + 1, the O(1) variance of the
    # projections) are of order eta^2 alpha / d ~ 1e-3 times O(1) moments, below the ~3e-3 standard error
    for observable, expected in (("m", eta * alpha), ("q", q1)):
        assert abs(run.mean(observable)[1] - expected) < 3 * run.standard_error(observable)[1]


def test_the_same_seed_gives_the_same_trajectory_bit_for_bit():
    args = dict(steps=15, d=80, batch_fraction=0.5, persistence=0.9, smoothing=0.1, **BASE)
    first = simulate_dynamics("hinge", seeds=[4, 9], **args)
    again = simulate_dynamics("hinge", seeds=[9], **args)
    for name in ("m", "q", "test_error", "train_loss", "train_error"):
        np.testing.assert_array_equal(getattr(first, name)[1], getattr(again, name)[0])
    assert not np.array_equal(first.m[0], first.m[1])
    assert first.converged and first.iterations == 30 and math.isnan(first.residual)
    assert not first.m.flags.writeable


def test_observables_are_consistent():
    run = simulate_dynamics("logistic", steps=20, d=100, seeds=[0, 1, 2], batch_fraction=0.3, **BASE)
    # the test error is the exact error of a new sample, H(m / sqrt(Delta q)), the same for both clusters
    from scipy.stats import norm

    np.testing.assert_allclose(run.test_error, norm.sf(run.m / np.sqrt(BASE["delta"] * run.q)), rtol=1e-14)
    np.testing.assert_allclose(run.mean("q"), run.q.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(run.standard_error("m"), run.m.std(axis=0, ddof=1) / math.sqrt(3), rtol=1e-12)
    assert np.all((run.train_error >= 0) & (run.train_error <= 1))
    assert run.train_loss[0, -1] < run.train_loss[0, 0]  # descent on the training loss
    with pytest.raises(ValueError, match="observable"):
        run.mean("R")


def test_a_diverging_run_is_flagged():
    with pytest.warns(RuntimeWarning, match="non-finite"):
        run = simulate_dynamics("square", steps=400, d=40, seeds=[0], alpha=2.0, delta=0.5, lam=0.0, eta=5.0)
    assert not run.converged and np.isnan(run.q[0, -1]) and run.iterations < 400


@pytest.mark.parametrize(
    ("change", "error", "name"),
    [
        (dict(batch_fraction=0.0), ValueError, "batch_fraction"),
        (dict(batch_fraction=1.5), ValueError, "batch_fraction"),
        (dict(persistence=0.1), ValueError, "persistence"),
        (dict(delta=0.0), ValueError, "delta"),
        (dict(alpha=-1.0), ValueError, "alpha"),
        (dict(eta=0.0), ValueError, "eta"),
        (dict(lam=-0.1), ValueError, "lam"),
        (dict(lam=math.nan), ValueError, "lam"),
        (dict(steps=0), ValueError, "steps"),
        (dict(d=0), ValueError, "d"),
        (dict(d=2.5), TypeError, "d"),
        (dict(q0=0.01, m0=0.5), ValueError, "q0"),
        (dict(smoothing=-1.0), ValueError, "smoothing"),
        (dict(seeds=[-1]), ValueError, "seed"),
        (dict(seeds=[]), ValueError, "seeds"),
        (dict(loss="absolute"), ValueError, "loss"),
    ],
)
def test_bad_input_names_the_parameter(change, error, name):
    args = dict(loss="square", steps=2, d=10, seeds=[0], **BASE)
    args.update(change)
    loss = args.pop("loss")
    with pytest.raises(error, match=name):
        simulate_dynamics(loss, **args)


def test_square_loss_without_weight_decay_is_accepted():
    run = simulate_dynamics("square", steps=3, d=20, seeds=[0], alpha=2.0, delta=0.5, lam=0.0, eta=0.1)
    assert run.converged
