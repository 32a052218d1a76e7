"""The square loss's channel averages in closed form (Loss.moment_averages) against the quadrature path
of the same solver, and identities they make exact."""

from __future__ import annotations

import math

import numpy as np
import pytest

from statlearn.models.channels import get_channel
from statlearn.models.covariates import BlockCovariates, RandomFeatures
from statlearn.models.losses import Hinge, Logistic, Square
from statlearn.models.student import expected_loss, output_averages
from statlearn.replica.erm import learning_curve, optimal_lambda, saddle_point

RHO = 1.3
# (teacher, parameters, E y^2, b = E[y nu] / rho) for nu ~ N(0, RHO), written out by hand
TEACHERS = [
    ("sign", {}, 1.0, math.sqrt(2.0 / (math.pi * RHO))),
    ("noisy-sign", {"delta": 0.2}, 1.0, 0.6 * math.sqrt(2.0 / (math.pi * RHO))),
    ("probit", {"delta": 0.3}, 1.0, math.sqrt(2.0 / (math.pi * (RHO + 0.3)))),
    ("gaussian", {"delta": 0.4}, RHO + 0.4, 1.0),
    ("gaussian", {"delta": 0.0}, RHO, 1.0),
]


class QuadratureSquare(Square):
    """The square loss without its closed form: the solver takes the quadrature path."""

    def _moment_averages(self, second_moment, gain, m, q, V):
        return None


@pytest.mark.parametrize("name, params, second_moment, gain", TEACHERS)
@pytest.mark.parametrize("m, q, V", [(0.3, 0.5, 0.7), (-0.2, 2.0, 5.0), (1.0, 0.9, 0.05)])
def test_closed_form_equals_the_quadrature(name, params, second_moment, gain, m, q, V):
    teacher = get_channel(name, **params)
    g0f, f2, df, loss = Square().moment_averages(second_moment, gain, m, q, V)
    reference = output_averages(teacher, Square(), m, q, V, RHO, compiled=False)
    assert np.allclose((g0f, f2, df), reference, rtol=1e-11, atol=1e-13)
    assert loss == pytest.approx(expected_loss(teacher, Square(), m, q, V, RHO), rel=1e-11, abs=1e-13)


def test_only_the_square_loss_has_a_closed_form():
    assert Logistic().moment_averages(1.0, 0.5, 0.3, 0.5, 0.7) is None
    assert Hinge().moment_averages(1.0, 0.5, 0.3, 0.5, 0.7) is None
    assert QuadratureSquare().moment_averages(1.0, 0.5, 0.3, 0.5, 0.7) is None


@pytest.mark.parametrize(
    "model, alpha, gamma, lam",
    [
        (BlockCovariates.isotropic(), np.geomspace(0.1, 10.0, 7), None, 1e-3),
        (BlockCovariates.salient_weak(0.3, 4.0, 0.5), np.geomspace(0.1, 10.0, 7), None, 0.1),
        (RandomFeatures("relu"), 1.5, np.geomspace(0.2, 5.0, 7), 1e-2),
        (BlockCovariates.isotropic(), np.array([0.3, 0.7, 1.5, 4.0]), None, 0.0),
    ],
)
@pytest.mark.parametrize("name, params", [("sign", {}), ("probit", {"delta": 0.3}), ("gaussian", {"delta": 0.4})])
def test_the_solver_gives_the_quadrature_path_s_curve(model, alpha, gamma, lam, name, params):
    fast = learning_curve(model, name, Square(), lam, alpha=alpha, gamma=gamma, **params)
    slow = learning_curve(model, name, QuadratureSquare(), lam, alpha=alpha, gamma=gamma, **params)
    assert np.all(fast.converged) and np.all(slow.converged)
    for field in ("m", "q", "generalization_error", "training_loss", "mhat", "qhat", "Vhat"):
        assert np.allclose(getattr(fast, field), getattr(slow, field), rtol=1e-9, atol=1e-10), field


def test_noiseless_ridgeless_linear_teacher_is_learnt_exactly_above_alpha_one():
    # y = nu exactly and n > d: the least-squares solution is the teacher, m = q = rho (the quadrature's
    # floor on the teacher's conditional variance left m and q 1e-10 above rho)
    curve = learning_curve(BlockCovariates.isotropic(), "gaussian", "square", 0.0, alpha=[1.5, 3.0, 10.0], delta=0.0)
    assert np.all(curve.converged)
    assert np.allclose(curve.m, 1.0, rtol=0, atol=1e-13) and np.allclose(curve.q, 1.0, rtol=0, atol=1e-13)
    assert np.all(curve.generalization_error < 1e-13)


def test_optimal_lambda_is_not_lost_on_the_max_margin_plateau():
    # hinge loss on separable data: the error is flat to rounding for lam <~ 1e-3 (the max-margin
    # solution), and the minimum (~0.26 near lam ~ 0.66) lies to its right; the search must not settle on
    # the plateau by rounding noise. Check against a plain scan of saddle points.

    iso = BlockCovariates.isotropic()
    best = optimal_lambda(iso, "probit", "hinge", alpha=1.5, delta=0.3)
    scan = [
        saddle_point(iso, "probit", "hinge", lam, alpha=1.5, delta=0.3).generalization_error
        for lam in np.geomspace(1e-8, 1e2, 41)
    ]
    assert best.converged and best.generalization_error <= min(scan) + 1e-12
    assert best.generalization_error < scan[0] - 0.01


@pytest.mark.parametrize(
    "model, teacher, loss, lam, alpha, gamma",
    [
        (RandomFeatures("relu"), "sign", "logistic", 1e-3, 2.0, np.geomspace(0.1, 10.0, 12)),
        (BlockCovariates.isotropic(), "sign", "hinge", 1e-4, np.geomspace(0.3, 5.0, 12), None),
        (BlockCovariates.salient_weak(0.3, 4.0, 0.5), "probit", "square", 1e-4, np.geomspace(0.1, 10.0, 12), None),
    ],
)
def test_a_curve_s_chord_steps_give_each_point_s_own_saddle_point(model, teacher, loss, lam, alpha, gamma):
    # along a curve each point starts with chord-Newton steps from the previous point's Jacobian; each
    # point solved alone (default start, Anderson iteration and polish) must give the same numbers
    params = {"delta": 0.2} if teacher == "probit" else {}
    curve = learning_curve(model, teacher, loss, lam, alpha=alpha, gamma=gamma, **params)
    alphas, gammas = np.broadcast_arrays(alpha, np.nan if gamma is None else gamma)
    for i, (a, g) in enumerate(zip(alphas, gammas)):
        alone = saddle_point(model, teacher, loss, lam, alpha=a, gamma=None if gamma is None else g, **params)
        assert alone.converged and curve.converged[i]
        for field in ("m", "q", "V", "generalization_error", "training_loss"):
            value = getattr(alone, field)
            assert getattr(curve, field)[i] == pytest.approx(value, rel=1e-10, abs=1e-10), (i, field)
