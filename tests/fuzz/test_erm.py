"""Bad-input audit of ERM: the saddle point (statlearn.replica.erm), the ridge closed forms
(statlearn.replica.ridge) and the finite-size experiments (statlearn.experiments.covariates, .erm).
One argument at a time is replaced by a bad value (NaN, inf, negative, zero, huge, wrong type, wrong
shape including 2-d grids, unknown names); the answer must be a value or a ValueError/TypeError naming
the argument (the ``audit`` fixture, tests/fuzz/conftest.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statlearn.experiments.covariates import realise, simulate
from statlearn.experiments.erm import train
from statlearn.models.covariates import BlockCovariates, RandomFeatures
from statlearn.models.losses import LOSSES
from statlearn.replica import (
    learning_curve,
    marchenko_pastur_stieltjes,
    optimal_lambda,
    random_features_ridge,
    ridge_isotropic,
    saddle_point,
)

ISO = BlockCovariates.isotropic()
RF = RandomFeatures("relu")


def _summary(state):
    """The audited part of a state: ``gamma`` is NaN by definition for models without it."""
    return state.generalization_error, state.m, state.q, state.converged


CASES: dict[str, tuple] = {
    "saddle_point": (
        lambda model, teacher, loss, lam, alpha, gamma, delta, tol, max_iter: _summary(
            saddle_point(model, teacher, loss, lam, alpha=alpha, gamma=gamma, delta=delta, tol=tol, max_iter=max_iter)
        ),
        {
            "model": RF,
            "teacher": "noisy-sign",
            "loss": "logistic",
            "lam": 0.1,
            "alpha": 1.5,
            "gamma": 0.8,
            "delta": 0.1,
            "tol": 1e-10,
            "max_iter": 200,
        },
    ),
    "saddle_point[start]": (
        lambda start: _summary(saddle_point(ISO, "gaussian", "square", 0.1, alpha=1.5, delta=0.2, start=start)),
        {"start": (0.2, 0.5, 1.0)},
    ),
    "learning_curve": (
        lambda model, teacher, loss, lam, alpha, gamma: _summary(
            learning_curve(model, teacher, loss, lam, alpha=alpha, gamma=gamma)
        ),
        {"model": RF, "teacher": "sign", "loss": "hinge", "lam": 0.1, "alpha": [1.0, 2.0], "gamma": 0.7},
    ),
    "learning_curve[gaussian]": (
        lambda loss, lam, alpha, delta: _summary(learning_curve(ISO, "gaussian", loss, lam, alpha=alpha, delta=delta)),
        {"loss": "square", "lam": 0.0, "alpha": [0.5, 2.0], "delta": 0.0},
    ),
    "optimal_lambda": (
        lambda teacher, alpha, bounds, delta: _summary(
            optimal_lambda(ISO, teacher, "square", alpha=alpha, bounds=bounds, delta=delta)
        ),
        {"teacher": "gaussian", "alpha": 1.5, "bounds": (1e-3, 10.0), "delta": 0.5},
    ),
    "ridge_isotropic": (ridge_isotropic, {"gamma": [0.5, 2.0], "lam": 0.1, "snr": 1.0, "noise": 0.2}),
    "marchenko_pastur_stieltjes": (marchenko_pastur_stieltjes, {"gamma": 0.5, "lam": 0.1}),
    "random_features_ridge": (
        lambda alpha, gamma, lam, activation, noise: random_features_ridge(alpha, gamma, lam, activation, noise=noise),
        {"alpha": 1.5, "gamma": [0.5, 2.0], "lam": 0.01, "activation": "erf", "noise": 0.1},
    ),
    "realise": (
        lambda model, d, gamma, rng: realise(model, d, gamma=gamma, rng=rng).d,
        {"model": RF, "d": 20, "gamma": 1.5, "rng": 3},
    ),
    "simulate": (
        lambda teacher, loss, lam, alpha, d, seeds, n_test, seed: (
            simulate(
                ISO, teacher, loss, lam, alpha=alpha, d=d, seeds=seeds, n_test=n_test, seed=seed
            ).generalization_error
        ),
        {
            "teacher": "sign",
            "loss": "logistic",
            "lam": 0.1,
            "alpha": 2.0,
            "d": 20,
            "seeds": 1,
            "n_test": 200,
            "seed": 5,
        },
    ),
    "train": (
        lambda X, y, loss, lam: train(X, y, loss, lam).w,
        {"X": np.eye(4)[:3] + 0.5, "y": np.array([1.0, -1.0, 1.0]), "loss": "square", "lam": 0.1},
    ),
}

for _name, _loss in LOSSES.items():  # the closed-form channel averages the saddle point uses (None: none)
    CASES[f"Loss.moment_averages[{_name}]"] = (
        _loss.moment_averages,
        {"second_moment": 1.0, "gain": 0.6, "m": 0.3, "q": 0.5, "V": 0.7},
    )


def test_every_case_is_valid_as_given(audit):
    for entry, (func, kwargs) in CASES.items():
        value = audit.call(entry, func, **kwargs)
        assert not isinstance(value, ValueError | TypeError), (entry, value)


@settings(
    max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entry=st.sampled_from(sorted(CASES)), data=st.data())
def test_bad_input_names_the_parameter(one_bad_argument, entry, data):
    func, kwargs = CASES[entry]
    one_bad_argument(entry, func, kwargs, data)


def test_two_dimensional_grids_are_refused(audit):
    grid = np.full((2, 2), 1.5)
    error = audit.call("learning_curve", learning_curve, ISO, "sign", "hinge", 0.1, alpha=grid, names=("alpha",))
    assert isinstance(error, ValueError)
    error = audit.call(
        "learning_curve", learning_curve, RF, "sign", "hinge", 0.1, alpha=1.0, gamma=grid, names=("gamma",)
    )
    assert isinstance(error, ValueError)
