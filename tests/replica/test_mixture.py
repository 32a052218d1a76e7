"""The Gaussian-mixture ERM saddle point (statlearn.replica.mixture): reference values computed
independently of this code, the ridge closed form, the Bayes-optimal error and the separability
threshold against mpmath, stationarity of the bias, and a finite-d simulation."""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest

from statlearn.experiments.mixture import sample_mixture, simulate_mixture
from statlearn.numerics import ConvergenceWarning
from statlearn.replica.erm import BoundaryWarning
from statlearn.replica.mixture import (
    bayes_optimal_error,
    learning_curve,
    optimal_lambda,
    ridge_closed_form,
    saddle_point,
    separability_threshold,
)


def _H(x):
    return 0.5 * mpmath.erfc(x / mpmath.sqrt(2))


# Independent reference values (rho = 1/2, no bias), as printed: (loss, lam, alpha, delta) -> {field: value};
# q_K2 is Delta q. Each is compared to half a unit of its last printed digit.
REFERENCE = {
    ("square", 0.1, 2.0, 0.5): dict(
        m="0.630087", q="0.778657", test_error="0.156292", train_loss="0.086729", train_error="0.013959"
    ),
    ("square", 1.0, 2.0, 0.5): dict(m="0.467205", q="0.301865", test_error="0.114568"),
    ("square", 0.1, 1.0, 1.0): dict(m="0.421913", q="0.761823", test_error="0.314410"),
    ("square", 1.0, 5.0, 1.0): dict(m="0.446724", q="0.275381", test_error="0.197307", train_error="0.111561"),
    ("square", 0.01, 1.0, 0.5): dict(test_error="0.283347"),
    ("logistic", 0.01, 3.0, 0.5): dict(m="4.199649", q_K2="14.020895", test_error="0.131023", train_loss="0.058588"),
    ("logistic", 0.1, 2.0, 0.5): dict(m="1.666886", q="3.910060", test_error="0.116602", train_loss="0.175196"),
    ("logistic", 1 / 3, 2.0, 0.5): dict(m="1.01377", q="1.3467", test_error="0.10833", train_loss="0.28901"),
}


@pytest.mark.parametrize("key", sorted(REFERENCE, key=str))
def test_reference_values(key):
    loss, lam, alpha, delta = key
    state = saddle_point(loss, lam, alpha=alpha, delta=delta)
    assert state.converged
    for name, printed in REFERENCE[key].items():
        value = delta * state.q if name == "q_K2" else getattr(state, name)
        half_unit = 0.5 * 10.0 ** -len(printed.split(".")[1])
        assert abs(value - float(printed)) <= half_unit * (1 + 1e-9), (name, value, printed)


def test_logistic_training_error_against_simulation():
    # The reference list gave 0.017483 for the training error at (logistic, lam 0.1, alpha 2, delta 0.5);
    # the closed form P(y prox < 0) gives 0.014597 and a simulation at d = 1000 (6 seeds) 0.0148 +- 0.0012.
    # Here: the quadrature of the indicator against the closed form.
    state = saddle_point("logistic", 0.1, alpha=2.0, delta=0.5)
    xi = np.linspace(-12, 12, 400001)
    s = math.sqrt(0.5 * state.q)
    from statlearn.models.losses import get_loss

    prox = get_loss("logistic").proximal(1.0, state.m + s * xi, state.V)
    direct = float(np.sum((prox < 0) * np.exp(-xi * xi / 2)) * (xi[1] - xi[0]) / math.sqrt(2 * math.pi))
    assert state.train_error == pytest.approx(direct, abs=1e-4)


@pytest.mark.parametrize("lam, alpha, delta", [(0.1, 2.0, 0.5), (1.0, 0.5, 2.0), (0.01, 1.0, 0.5), (3.0, 7.0, 0.2)])
def test_square_loss_matches_the_closed_form(lam, alpha, delta):
    state = saddle_point("square", lam, alpha=alpha, delta=delta)
    m, q, V = ridge_closed_form(lam, alpha=alpha, delta=delta)
    assert (state.m, state.q, state.V) == pytest.approx((m, q, V), rel=1e-9)
    # training loss 1/2 [(1-m)^2 + Delta q] / (1+V)^2 and training error H((m+V)/sqrt(Delta q))
    assert state.train_loss == pytest.approx(0.5 * ((1 - m) ** 2 + delta * q) / (1 + V) ** 2, rel=1e-9)
    assert state.train_error == pytest.approx(float(_H((m + V) / mpmath.sqrt(delta * q))), rel=1e-9, abs=1e-300)


def test_large_lambda_reaches_the_bayes_optimal_error():
    # w -> sum_mu y_mu x_mu / lam: the direction of the posterior mean
    state = saddle_point("square", 1e6, alpha=2.0, delta=0.5)
    assert state.test_error == pytest.approx(bayes_optimal_error(2.0, 0.5), rel=1e-5)


@pytest.mark.parametrize(
    "alpha, delta, value",
    [(1, 0.5, 0.12410654), (2, 0.5, 0.10295161), (5, 0.5, 0.08876493), (1, 1, 0.23975006), (5, 1, 0.18065521)],
)
def test_bayes_optimal_error(alpha, delta, value):
    exact = _H(mpmath.sqrt(mpmath.mpf(alpha) / (delta * (alpha + delta))))
    assert bayes_optimal_error(alpha, delta) == pytest.approx(float(exact), rel=1e-13)
    assert bayes_optimal_error(alpha, delta) == pytest.approx(value, abs=1e-8)


def test_bayes_optimal_error_with_unbalanced_clusters_beats_every_bias():
    alpha, delta, rho = 2.0, 0.5, 0.2
    q = alpha / (alpha + delta)
    best = bayes_optimal_error(alpha, delta, rho)
    for b in np.linspace(-1, 1, 41):
        s = math.sqrt(delta * q)
        assert best <= rho * float(_H((q + b) / s)) + (1 - rho) * float(_H((q - b) / s)) + 1e-15


@pytest.mark.parametrize("delta, value", [(0.25, 20.72295), (0.5, 6.66282), (1.0, 3.70003)])
def test_separability_threshold_reference(delta, value):
    assert separability_threshold(delta) == pytest.approx(value, abs=1e-5)


def test_separability_threshold_tends_to_cover():
    assert separability_threshold(1e6) == pytest.approx(2.0, abs=1e-3)


def test_separability_threshold_is_a_stationary_point_of_the_gardner_volume():
    delta, rho = 0.5, 0.3
    alpha = separability_threshold(delta, rho)
    r = mpmath.sqrt(delta)

    def F(a):
        return (1 + a * a) * _H(a) - a * mpmath.npdf(a)

    def capacity(m, b):
        return (1 - m * m) / (rho * F((m + b) / r) + (1 - rho) * F((m - b) / r))

    best = max((capacity(m, b), m, b) for m in np.linspace(0.05, 0.95, 19) for b in np.linspace(-1, 1, 21))
    assert alpha >= float(best[0]) - 1e-12
    m, b = mpmath.findroot(
        lambda m, b: [mpmath.diff(capacity, (m, b), (1, 0)), mpmath.diff(capacity, (m, b), (0, 1))], (best[1], best[2])
    )
    assert alpha == pytest.approx(float(capacity(m, b)), rel=1e-8)


@pytest.mark.parametrize("loss", ["logistic", "hinge", "square"])
def test_trained_bias_solves_the_stationarity_condition(loss):
    # dE/db of the training objective vanishes: compare the saddle point's test error with a bias
    # against the same overlaps with the bias shifted (the trained bias minimises the training loss)
    state = saddle_point(loss, 0.1, alpha=2.0, delta=0.5, rho=0.3, bias=True)
    assert state.converged
    assert state.bias < 0  # the majority class y = -1 is favoured
    balanced = saddle_point(loss, 0.1, alpha=2.0, delta=0.5, rho=0.5, bias=True)
    assert balanced.bias == pytest.approx(0.0, abs=1e-10)


def test_learning_curve_agrees_with_single_points():
    curve = learning_curve("logistic", 0.05, alpha=[1.0, 2.0, 4.0], delta=0.5)
    assert np.all(curve.converged)
    for i, a in enumerate([1.0, 2.0, 4.0]):
        point = saddle_point("logistic", 0.05, alpha=a, delta=0.5)
        assert curve.m[i] == pytest.approx(point.m, rel=1e-8)


def test_optimal_lambda_is_a_minimum():
    # unbalanced clusters with a trained bias: at large lam the bias dominates w, so the optimum is inside
    best = optimal_lambda("logistic", alpha=2.0, delta=0.5, rho=0.3, bias=True)
    assert 1e-4 < best.lam < 1e2
    for factor in (0.8, 1.25):
        other = saddle_point("logistic", best.lam * factor, alpha=2.0, delta=0.5, rho=0.3, bias=True)
        assert best.test_error <= other.test_error + 1e-12


def test_optimal_lambda_at_balance_is_infinite():
    # rho = 1/2: the error falls to the Bayes-optimal one as lam -> infinity (Mignacco et al. 2020)
    with pytest.warns(BoundaryWarning):
        best = optimal_lambda("square", alpha=2.0, delta=0.5, bounds=(1e-2, 1e3))
    assert best.lam == pytest.approx(1e3, rel=1e-2)
    assert best.test_error == pytest.approx(bayes_optimal_error(2.0, 0.5), rel=1e-4)


def test_non_convergence_warns():
    with pytest.warns(ConvergenceWarning):
        state = saddle_point("logistic", 1e-3, alpha=2.0, delta=0.5, max_iter=2)
    assert not state.converged


def test_sampling_is_bit_reproducible():
    a = sample_mixture(30, 20, delta=0.5, rho=0.3, seed=4)
    b = sample_mixture(30, 20, delta=0.5, rho=0.3, seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], sample_mixture(30, 20, delta=0.5, rho=0.3, seed=5)[0])


@pytest.mark.parametrize("loss", ["square", "logistic", "hinge"])
def test_simulation_agrees_with_the_replica(loss):
    # d = 400, 4 seeds: the replica within 4 standard errors of the seed mean (plus the O(1/d) bias)
    state = saddle_point(loss, 0.1, alpha=2.0, delta=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        sim = simulate_mixture(loss, 0.1, alpha=2.0, delta=0.5, d=400, seeds=range(4))
    for name in ("m", "q", "test_error", "train_loss"):
        values = getattr(sim, name)
        spread = values.std(ddof=1) / math.sqrt(values.size)
        assert abs(values.mean() - getattr(state, name)) <= 4 * spread + 2.0 / 400 * abs(getattr(state, name)), name
