"""Bad-input audit of the Gaussian-mixture ERM pieces: the saddle point, learning curve, optimal lambda,
Bayes-optimal error and separability threshold (statlearn.replica.mixture), the sampler and the
simulation (statlearn.experiments.mixture), and the ``statlearn mixture`` command. One argument at a time
is replaced by a bad value; the answer must be a value or a ValueError/TypeError naming the argument (the
``audit`` fixture, tests/fuzz/conftest.py); the command must exit with status 2 and one line naming the
option."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statlearn.cli import main
from statlearn.experiments.mixture import sample_mixture, simulate_mixture
from statlearn.replica.mixture import (
    bayes_optimal_error,
    learning_curve,
    optimal_lambda,
    ridge_closed_form,
    saddle_point,
    separability_threshold,
)


def _summary(state):
    return state.test_error, state.m, state.q, state.converged


CASES: dict[str, tuple] = {
    "mixture.saddle_point": (
        lambda loss, lam, alpha, delta, rho, bias, tol, max_iter: _summary(
            saddle_point(loss, lam, alpha=alpha, delta=delta, rho=rho, bias=bias, tol=tol, max_iter=max_iter)
        ),
        {
            "loss": "logistic",
            "lam": 0.1,
            "alpha": 2.0,
            "delta": 0.5,
            "rho": 0.3,
            "bias": True,
            "tol": 1e-10,
            "max_iter": 200,
        },
    ),
    "mixture.learning_curve": (
        lambda loss, lam, alpha, delta: _summary(learning_curve(loss, lam, alpha=alpha, delta=delta)),
        {"loss": "hinge", "lam": 0.1, "alpha": [1.0, 2.0], "delta": 1.0},
    ),
    "mixture.optimal_lambda": (
        lambda loss, alpha, delta, bounds: _summary(optimal_lambda(loss, alpha=alpha, delta=delta, bounds=bounds)),
        {"loss": "square", "alpha": 1.5, "delta": 0.5, "bounds": (1e-2, 1.0)},
    ),
    "mixture.ridge_closed_form": (
        lambda lam, alpha, delta: ridge_closed_form(lam, alpha=alpha, delta=delta),
        {"lam": 0.1, "alpha": 2.0, "delta": 0.5},
    ),
    "mixture.bayes_optimal_error": (bayes_optimal_error, {"alpha": 2.0, "delta": 0.5, "rho": 0.3}),
    "mixture.separability_threshold": (separability_threshold, {"delta": 0.5, "rho": 0.3}),
    "mixture.sample_mixture": (
        lambda n, d, delta, rho, seed: sample_mixture(n, d, delta=delta, rho=rho, seed=seed)[0],
        {"n": 5, "d": 4, "delta": 0.5, "rho": 0.3, "seed": 1},
    ),
    "mixture.simulate_mixture": (
        lambda loss, lam, alpha, delta, d, rho, bias: (
            simulate_mixture(loss, lam, alpha=alpha, delta=delta, d=d, seeds=[0], rho=rho, bias=bias).test_error
        ),
        {"loss": "logistic", "lam": 0.1, "alpha": 2.0, "delta": 0.5, "d": 10, "rho": 0.4, "bias": True},
    ),
}


def test_every_case_is_valid_as_given(audit):
    for entry, (func, kwargs) in CASES.items():
        value = audit.call(entry, func, **kwargs)
        assert not isinstance(value, ValueError | TypeError), (entry, value)


@settings(
    max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entry=st.sampled_from(sorted(CASES)), data=st.data())
def test_bad_input_names_the_parameter(one_bad_argument, entry, data):
    func, kwargs = CASES[entry]
    one_bad_argument(entry, func, kwargs, data)


BASE = ["mixture", "--loss", "square", "--lam", "0.1", "--alpha", "1"]
BAD = ["nan", "inf", "-1", "0", "1e300", "one", "", "1:2"]


@pytest.mark.parametrize(
    "option, value",
    [(o, v) for o in ("--lam", "--delta", "--rho") for v in BAD]
    + [("--alpha", v) for v in ("nan", "-1", "0", "1e300", "one", "", "1:2:0")]
    + [("--rho", "1"), ("--rho", "2"), ("--loss", "zz"), ("--plot", "x.txt")],
)
def test_bad_option_is_a_one_line_usage_error(option, value, capsys, audit):
    audit.entry_points.add(f"statlearn mixture {option}")
    audit.inputs += 1
    argv = [word for i, word in enumerate(BASE) if not (word == option or (i and BASE[i - 1] == option))]
    try:
        status = main([*argv, f"{option}={value}"])
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    assert status == 2, (option, value, err)
    audit.rejected += 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and "Traceback" not in err, err
    assert not out
