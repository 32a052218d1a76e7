"""Bad-input audit of the Bayes-optimal and capacity side: replica.glm, replica.capacity, amp, models.priors,
the capacity experiments (counts, separability, enumeration, finite size) and numerics.

Every public entry point is called with one argument of a valid call replaced by a bad value (NaN,
infinities, negatives, zero, 1e300, wrong types and shapes, unknown names, nonsense tolerances and
budgets); the ``audit`` fixture fails on anything but a ``ValueError``/``TypeError`` naming the parameter
(or a documented warning), and on a NaN returned without a warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statlearn import amp, experiments, numerics
from statlearn.models import priors
from statlearn.numerics import ConvergenceWarning
from statlearn.replica import capacity, glm
from statlearn.replica.capacity import ReplicaSymmetryWarning

BAD: list[Any] = [
    math.nan,
    math.inf,
    -math.inf,
    -1.0,
    0.0,
    -1e300,
    1e300,
    1e-300,
    2.5,
    10**30,
    "abc",
    None,
    [1.0, 2.0],
    np.ones((2, 2)),
    np.array([[math.nan]]),
    np.array([]),
    True,
    1 + 1j,
    object(),
]
"""Bad values tried in every parameter (some are valid for some parameters: then the call must succeed cleanly)."""

bad_values = st.sampled_from(BAD) | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**20), 10**20)
few_values = st.sampled_from(BAD) | st.floats(allow_nan=True, allow_infinity=True)
"""For entry points whose work grows with an integer argument (counts, scans): no large valid integers."""


@dataclass
class Entry:
    """A public entry point, a valid call of it, and the parameters to spoil."""

    name: str
    func: Callable[..., Any]
    valid: dict[str, Any]
    fuzz: tuple[str, ...]
    examples: int = 15
    heavy: bool = False
    warnings: tuple[type[Warning], ...] = (ConvergenceWarning,)
    extra: dict[str, Any] = field(default_factory=dict)


def _patterns(P: int = 6, N: int = 4) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((P, N))


def _present(diagram: glm.PhaseDiagram) -> tuple:
    """The diagram's fields without its threshold lines, where NaN documents a threshold that does not exist."""
    absent = {"alpha_it", "alpha_alg", "alpha_informative_spinodal"}
    return tuple(getattr(diagram, f) for f in diagram.__dataclass_fields__ if f not in absent)


_DATA = np.random.default_rng(1)
_F = _DATA.standard_normal((30, 20)) / math.sqrt(20)
_W = np.sign(_DATA.standard_normal(20))
_Y = np.sign(_F @ _W)

ENTRIES = [
    # ---------------------------------------------------------------- replica.glm
    Entry(
        "replica.glm.bayes_optimal",
        lambda prior, channel, alpha, **kw: glm.bayes_optimal(prior, channel, alpha, **kw),
        {"prior": "rademacher", "channel": "sign", "alpha": 1.0, "init": "equilibrium", "tol": 1e-10, "max_iter": 500},
        ("prior", "channel", "alpha", "init", "tol", "max_iter"),
    ),
    Entry(
        "replica.glm.state_evolution",
        lambda prior, channel, alpha, **kw: glm.state_evolution(prior, channel, alpha, **kw),
        {"prior": "gaussian", "channel": "sign", "alpha": 1.0, "n_iter": 5, "init": "uninformative"},
        ("prior", "channel", "alpha", "n_iter", "init"),
    ),
    Entry(
        "replica.glm.fixed_point_curve",
        lambda prior, channel, conjugate, **kw: glm.fixed_point_curve(prior, channel, conjugate, **kw),
        {"prior": "rademacher", "channel": "sign", "conjugate": [0.1, 1.0]},
        ("prior", "channel", "conjugate"),
    ),
    Entry(
        "replica.glm.thresholds",
        lambda prior, channel, **kw: glm.thresholds(prior, channel, **kw),
        {"prior": "gaussian", "channel": "sign", "n_grid": 50},
        ("prior", "channel", "n_grid"),
        examples=5,
        heavy=True,
    ),
    Entry(
        "replica.glm.phase_diagram",
        lambda prior, channel, alpha, delta, **kw: _present(glm.phase_diagram(prior, channel, alpha, delta, **kw)),
        {"prior": "rademacher", "channel": "gaussian", "alpha": [0.3, 1.0], "delta": [0.1], "n_grid": 50},
        ("prior", "channel", "alpha", "delta", "n_grid"),
        examples=5,
        heavy=True,
    ),
    Entry(
        "replica.glm.bayes_optimal(rho, delta at the edges of the double range)",
        lambda prior, channel, rho, delta: glm.bayes_optimal(prior, channel, [0.5, 2.0], rho=rho, delta=delta),
        {"prior": "gaussian", "channel": "probit", "rho": 1e20, "delta": 1e-300},
        ("rho", "delta"),
        examples=10,
        heavy=True,
    ),
    Entry(
        "replica.glm.near_teacher",
        lambda gap, rho: glm.near_teacher(lambda q: np.sqrt(rho - q), gap, rho),
        {"gap": [0.0, 1e-12, 0.5], "rho": 1.0},
        ("gap", "rho"),
    ),
    # ---------------------------------------------------------------- replica.capacity
    Entry("replica.capacity.gardner_capacity", capacity.gardner_capacity, {"kappa": 0.5}, ("kappa",)),
    Entry(
        "replica.capacity.gardner_overlap",
        capacity.gardner_overlap,
        {"alpha": 1.0, "kappa": 0.5},
        ("alpha", "kappa"),
    ),
    Entry(
        "replica.capacity.gardner_free_entropy",
        capacity.gardner_free_entropy,
        {"alpha": 1.0, "kappa": 0.0},
        ("alpha", "kappa"),
    ),
    Entry("replica.capacity.binary_rs_divergence", capacity.binary_rs_divergence, {"kappa": 0.0}, ("kappa",)),
    Entry("replica.capacity.binary_annealed_capacity", capacity.binary_annealed_capacity, {"kappa": 0.0}, ("kappa",)),
    Entry("replica.capacity.binary_overlap", capacity.binary_overlap, {"alpha": 0.5, "kappa": 0.0}, ("alpha", "kappa")),
    Entry("replica.capacity.binary_entropy", capacity.binary_entropy, {"alpha": 0.5, "kappa": 0.0}, ("alpha", "kappa")),
    Entry("replica.capacity.binary_capacity", capacity.binary_capacity, {"kappa": 0.0}, ("kappa",), examples=20),
    Entry("replica.capacity.cover_probability", capacity.cover_probability, {"P": 20, "N": 10}, ("P", "N")),
    # ---------------------------------------------------------------- models.priors
    Entry(
        "models.priors.get_prior", lambda prior, **kw: priors.get_prior(prior, **kw), {"prior": "gaussian"}, ("prior",)
    ),
    Entry("models.priors.GaussianPrior", priors.GaussianPrior, {"rho": 1.0}, ("rho",)),
    Entry(
        "models.priors.Prior.sample",
        lambda size, rng: priors.get_prior("gauss-bernoulli", rho=0.3).sample(size, rng),
        {"size": 3, "rng": 0},
        ("size", "rng"),
    ),
    Entry("models.priors.GaussBernoulliPrior", priors.GaussBernoulliPrior, {"rho": 0.3}, ("rho",)),
    Entry(
        "models.priors.DiscretePrior",
        priors.DiscretePrior,
        {"values": [-1.0, 0.0, 2.0], "probabilities": [0.25, 0.5, 0.25]},
        ("values", "probabilities"),
    ),
    *[
        Entry(
            f"models.priors.{cls.__name__}.{method}",
            (lambda method, inst: lambda mhat: getattr(inst, method)(mhat))(method, inst),
            {"mhat": [0.0, 1.0, 1e6]},
            ("mhat",),
        )
        for cls, inst in (
            (priors.GaussianPrior, priors.GaussianPrior(2.0)),
            (priors.RademacherPrior, priors.RademacherPrior()),
            (priors.GaussBernoulliPrior, priors.GaussBernoulliPrior(0.2)),
        )
        for method in ("free_entropy", "overlap", "mse", "information")
    ],
    # ---------------------------------------------------------------- amp
    Entry(
        "amp.gamp",
        lambda F, y, prior, channel, **kw: amp.gamp(F, y, prior, channel, **kw),
        {
            "F": _F,
            "y": _Y,
            "prior": "rademacher",
            "channel": "sign",
            "max_iter": 20,
            "tol": 1e-6,
            "damping": 0.0,
            "variance": "scalar",
            "init": "uninformative",
            "teacher": _W,
        },
        ("F", "y", "prior", "channel", "max_iter", "tol", "damping", "variance", "init", "teacher"),
        heavy=True,
    ),
    # ---------------------------------------------------------------- experiments
    Entry(
        "experiments.spherical_capacity_counts",
        experiments.spherical_capacity_counts,
        {"alpha": [0.5, 1.0], "N": 4, "kappa": [0.0], "n_samples": 2, "seed": 0},
        ("alpha", "N", "kappa", "n_samples", "seed"),
        heavy=True,
    ),
    Entry(
        "experiments.binary_capacity_counts",
        experiments.binary_capacity_counts,
        {"alpha": [0.5, 1.0], "N": 4, "kappa": [0.0], "n_samples": 2, "seed": 0},
        ("alpha", "N", "kappa", "n_samples", "seed"),
        heavy=True,
    ),
    Entry(
        "experiments.spherical_max_margin",
        lambda patterns, **kw: experiments.spherical_max_margin(patterns, **kw),
        {"patterns": _patterns(), "tol": 1e-9},
        ("patterns", "tol"),
    ),
    Entry(
        "experiments.binary_max_margin",
        lambda patterns, **kw: experiments.binary_max_margin(patterns, **kw),
        {"patterns": _patterns(), "stop_above": math.inf},
        ("patterns", "stop_above"),
    ),
    Entry(
        "experiments.count_binary_solutions",
        lambda patterns, **kw: experiments.count_binary_solutions(patterns, **kw),
        {"patterns": _patterns(), "kappa": 0.0},
        ("patterns", "kappa"),
    ),
    Entry(
        "experiments.crossing_point",
        lambda alpha, n_solvable, n_samples, **kw: experiments.crossing_point(alpha, n_solvable, n_samples, **kw),
        {
            "alpha": [0.5, 0.8, 1.0, 1.2, 1.5],
            "n_solvable": [19, 15, 10, 5, 1],
            "n_samples": 20,
            "degree": 1,
            "max_iter": 100,
        },
        ("alpha", "n_solvable", "n_samples", "degree", "alpha_range", "max_iter"),
    ),
    Entry(
        "experiments.extrapolate_to_infinite_N",
        lambda N, value, stderr, **kw: experiments.extrapolate_to_infinite_N(N, value, stderr, **kw),
        {"N": [10, 20, 40], "value": [1.0, 1.1, 1.15], "stderr": [0.01, 0.01, 0.01], "degree": 1},
        ("N", "value", "stderr", "degree"),
    ),
    # ---------------------------------------------------------------- numerics
    Entry("numerics.hermite_rule", numerics.hermite_rule, {"order": 20}, ("order",)),
    Entry(
        "numerics.gaussian_expectation(kink, width)",
        lambda kink, width: numerics.gaussian_expectation(lambda z: z * z, kink=kink, width=width),
        {"kink": 0.5, "width": 0.1},
        ("kink", "width"),
    ),
    Entry(
        "numerics.gaussian_expectation(lower)",
        lambda lower: numerics.gaussian_expectation(lambda z: z * z, lower=lower),
        {"lower": 0.5},
        ("lower",),
    ),
    Entry(
        "numerics.bivariate_gaussian_expectation",
        lambda var_u, cov_uv, var_v: numerics.bivariate_gaussian_expectation(lambda u, v: u * v, var_u, cov_uv, var_v),
        {"var_u": 1.0, "cov_uv": 0.5, "var_v": 2.0},
        ("var_u", "cov_uv", "var_v"),
    ),
    Entry("numerics.half_hermite_rule", numerics.half_hermite_rule, {"order": 20}, ("order",)),
    Entry(
        "numerics.fixed_point",
        lambda x0, **kw: numerics.fixed_point(lambda x: 0.5 * np.cos(x), x0, **kw),
        {"x0": [0.1], "mixing": 1.0, "anderson": 0, "tol": 1e-10, "max_iter": 200},
        ("x0", "mixing", "anderson", "tol", "max_iter"),
    ),
    Entry(
        "numerics.bracket_root",
        lambda lo, hi, **kw: numerics.bracket_root(lambda x: x * x - 2.0, lo, hi, **kw),
        {"lo": 0.0, "hi": 2.0, "xtol": 1e-14, "rtol": 1e-13, "max_iter": 200},
        ("lo", "hi", "xtol", "rtol", "max_iter"),
    ),
    Entry("numerics.as_generator", numerics.as_generator, {"seed": 3}, ("seed",)),
    Entry(
        "numerics.as_count", lambda value: numerics.as_count("n", value), {"value": 3}, ("value",), extra={"name": "n"}
    ),
    Entry("numerics.check_seed", numerics.check_seed, {"seed": 0}, ("seed",)),
    Entry(
        "numerics.as_real_array",
        lambda value: numerics.as_real_array("x", value, minimum=0.0),
        {"value": 1.0},
        ("value",),
        extra={"name": "x"},
    ),
]


SPECIAL = [
    numerics.H,
    numerics.log_H,
    numerics.gaussian_pdf,
    numerics.log_gaussian_pdf,
    numerics.gaussian_hazard,
    numerics.gaussian_hazard_gap,
    numerics.log2cosh,
    numerics.arccos_kernel,
]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_parameter_with_bad_values(entry, audit):
    allowed = entry.warnings + (ReplicaSymmetryWarning,)

    @settings(max_examples=entry.examples, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(param=st.sampled_from(entry.fuzz), bad=few_values if entry.heavy else bad_values)
    def run(param, bad):
        kwargs = {**entry.valid, param: bad}
        name = entry.extra.get("name", param)
        audit.call(entry.name, entry.func, names=(name,), allowed_warnings=allowed, **kwargs)

    run()
    # and every bad value once in every parameter, whatever hypothesis drew
    for param in entry.fuzz:
        for bad in BAD:
            audit.call(
                entry.name,
                entry.func,
                names=(entry.extra.get("name", param),),
                allowed_warnings=allowed,
                **{**entry.valid, param: bad},
            )


@pytest.mark.parametrize("func", SPECIAL, ids=lambda f: f.__name__)
def test_special_functions_propagate_nan(func):
    # documented behaviour (docs/theory/numerics.md): elementwise functions are ufunc-like, NaN in gives NaN out
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(func(math.nan))


@pytest.mark.parametrize("func", SPECIAL, ids=lambda f: f.__name__)
def test_special_functions_refuse_non_numeric_input_by_name(func, audit):
    for bad in (None, "abc", object(), 1 + 1j):
        error = audit.call(f"numerics.{func.__name__}", func, bad, names=("x", "c"))
        assert isinstance(error, TypeError)


@pytest.mark.parametrize(
    "prior", [priors.GaussianPrior(2.0), priors.RademacherPrior(), priors.GaussBernoulliPrior(0.2)]
)
def test_denoisers_are_ufunc_like(prior, audit):
    for method in ("denoise", "log_partition"):
        for bad in (None, "abc", object()):
            error = audit.call(f"models.priors.Prior.{method}", getattr(prior, method), bad, 1.0, names=("B",))
            assert isinstance(error, TypeError)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value = getattr(prior, method)(math.nan, 1.0)
            assert np.isnan(value[0] if method == "denoise" else value)  # (f_v of the Gaussian prior needs no B)


def test_prior_and_channel_names_are_checked_everywhere(audit):
    for name in ("laplace", "", "GAUSSIAN", 3, None):
        audit.call("replica.glm.bayes_optimal", glm.bayes_optimal, name, "sign", 1.0, names=("prior",))
        audit.call("replica.glm.bayes_optimal", glm.bayes_optimal, "gaussian", name, 1.0, names=("channel",))
        audit.call("amp.gamp", amp.gamp, _F, _Y, name, "sign", names=("prior",))
