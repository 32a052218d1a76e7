"""Bad-input audit of statlearn.models (channels, losses, covariates, data, registry, student): every
public function and constructor, one argument at a time replaced by a bad value (NaN, inf, negative,
zero, huge, wrong type and shape, unknown names), must return or raise ValueError/TypeError naming the
argument (the ``audit`` fixture, tests/fuzz/conftest.py).

The compiled scalar kernels (``threshold_weight``, ``compiled_output`` and the per-loss outputs,
``logistic_root``, ``expit``) are not audited: they are numba building blocks for other kernels, called
with arguments their (validated) callers produce.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statlearn.models.channels import CHANNELS, get_channel, sign_error, teacher_variance
from statlearn.models.covariates import BlockCovariates, GivenSpectrum, RandomFeatures, Spectrum, marchenko_pastur_rule
from statlearn.models.data import teacher_student
from statlearn.models.losses import LOSSES, get_loss
from statlearn.models.registry import resolve_model
from statlearn.models.student import expected_loss, loss_kinks, output_averages

CHANNEL_PARAMS = {"sign": {}, "noisy-sign": {"delta": 0.1}, "probit": {"delta": 0.3}, "gaussian": {"delta": 0.2}}
CHANNEL_PARAMS["relu"] = {"delta": 0.2}


def _channel(name: str):
    return get_channel(name, **CHANNEL_PARAMS[name])


def _teacher_average(name: str, m: float, q: float, rho: float):
    return _channel(name).teacher_average(lambda y, omega, z0, slope: (z0 * omega**2,), m, q, rho)


def _spectrum(omega, weight, teacher, rho):
    return Spectrum(omega, weight, teacher, rho)


def _method(kind: str, name: str, method: str):
    def call(**kwargs):
        piece = _channel(name) if kind == "channel" else get_loss(name)
        return getattr(piece, method)(**kwargs)

    return call


CASES: dict[str, tuple] = {
    "get_channel": (lambda channel, delta: get_channel(channel, delta=delta), {"channel": "probit", "delta": 0.2}),
    "get_loss": (get_loss, {"loss": "hinge"}),
    "sign_error": (sign_error, {"m": 0.3, "q": 0.5, "rho": 1.0}),
    "teacher_variance": (teacher_variance, {"m": 0.3, "q": 0.5, "rho": 1.0}),
    "resolve_model": (
        lambda prior, channel, rho: resolve_model(prior, channel, {"rho": rho}),
        {"prior": "gaussian", "channel": "sign", "rho": 1.0},
    ),
    "teacher_student": (
        lambda prior, channel, N, alpha, seed: teacher_student(prior, channel, N, alpha, seed=seed),
        {"prior": "rademacher", "channel": "sign", "N": 20, "alpha": 1.5, "seed": 3},
    ),
    "BlockCovariates": (BlockCovariates, {"fractions": (0.5, 0.5), "variances": (1.0, 2.0), "teacher": (1.0, 1.0)}),
    "BlockCovariates.salient_weak": (
        BlockCovariates.salient_weak,
        {"fraction": 0.3, "salient": 2.0, "weak": 0.1},
    ),
    "RandomFeatures": (lambda activation: RandomFeatures(activation).spectrum(1.0), {"activation": "relu"}),
    "RandomFeatures.spectrum": (lambda gamma: RandomFeatures("erf").spectrum(gamma), {"gamma": 2.0}),
    "RandomFeatures.ratio": (
        lambda alpha, gamma: RandomFeatures("erf").ratio(alpha, gamma),
        {"alpha": 2.0, "gamma": 0.5},
    ),
    "BlockCovariates.ratio": (lambda alpha: BlockCovariates.isotropic().ratio(alpha), {"alpha": 2.0}),
    "Spectrum": (_spectrum, {"omega": [1.0, 2.0], "weight": [0.5, 0.5], "teacher": [1.0, 0.5], "rho": 0.75}),
    "Spectrum.from_covariances": (
        Spectrum.from_covariances,
        {"Psi": np.eye(2), "Phi": np.eye(2), "Omega": np.eye(2), "theta": np.array([1.0, -1.0])},
    ),
    "GivenSpectrum": (
        lambda given: GivenSpectrum(given).spectrum(),
        {"given": Spectrum(np.array([1.0]), np.array([1.0]), np.array([1.0]), 1.0)},
    ),
    "marchenko_pastur_rule": (marchenko_pastur_rule, {"ratio": 0.5, "nodes": 20}),
    "output_averages": (
        output_averages,
        {"teacher": get_channel("sign"), "loss": get_loss("logistic"), "m": 0.3, "q": 0.5, "V": 0.7, "rho": 1.0},
    ),
    "expected_loss": (
        expected_loss,
        {
            "teacher": get_channel("probit", delta=0.2),
            "loss": get_loss("hinge"),
            "m": 0.3,
            "q": 0.5,
            "V": 0.7,
            "rho": 1.0,
        },
    ),
    "loss_kinks": (loss_kinks, {"loss": get_loss("hinge"), "q": 0.5, "V": 0.7}),
}
for _name in CHANNELS:
    if _name != "relu":  # (no teacher average for the ReLU channel: a ValueError, tested in test_student)
        CASES[f"Channel.teacher_average[{_name}]"] = (
            lambda m, q, rho, _n=_name: _teacher_average(_n, m, q, rho),
            {"m": 0.3, "q": 0.5, "rho": 1.0},
        )
    CASES[f"Channel.label_rule[{_name}]"] = (_method("channel", _name, "label_rule"), {"m": 0.3, "q": 0.5, "rho": 1.0})
    for _method_name in ("log_partition", "output", "partition_and_slope"):
        CASES[f"Channel.{_method_name}[{_name}]"] = (
            _method("channel", _name, _method_name),
            {"y": 1.0, "omega": 0.3, "V": 0.5},
        )
    for _method_name in ("free_entropy", "conjugate"):
        CASES[f"Channel.{_method_name}[{_name}]"] = (_method("channel", _name, _method_name), {"q": 0.4, "rho": 1.0})
    CASES[f"Channel.generalization_error[{_name}]"] = (
        _method("channel", _name, "generalization_error"),
        {"m": 0.4, "rho": 1.0},
    )
    CASES[f"Channel.conditional_entropy[{_name}]"] = (_method("channel", _name, "conditional_entropy"), {"rho": 1.0})
    CASES[f"Channel.sample[{_name}]"] = (_method("channel", _name, "sample"), {"z": [0.3, -0.2], "rng": 4})
    if _name != "sign":
        CASES[f"{CHANNELS[_name].__name__}"] = (CHANNELS[_name], {"delta": 0.1})
for _name in ("sign", "noisy-sign", "probit"):
    CASES[f"Channel.gibbs_error[{_name}]"] = (_method("channel", _name, "gibbs_error"), {"m": 0.4, "rho": 1.0})
for _name in LOSSES:
    for _method_name in ("value", "derivative"):
        CASES[f"Loss.{_method_name}[{_name}]"] = (_method("loss", _name, _method_name), {"y": 1.0, "z": 0.3})
    for _method_name in (
        "proximal",
        "moreau_envelope",
        "moreau_derivative",
        "proximal_derivative",
        "output",
    ):
        CASES[f"Loss.{_method_name}[{_name}]"] = (
            _method("loss", _name, _method_name),
            {"y": -1.0, "omega": 0.3, "V": 0.5},
        )
    CASES[f"Loss.output_kinks[{_name}]"] = (_method("loss", _name, "output_kinks"), {"V": 0.5})


def test_every_case_is_valid_as_given(audit):
    # the valid arguments work: the audit below changes one argument at a time
    for entry, (func, kwargs) in CASES.items():
        value = audit.call(entry, func, **kwargs)
        assert not isinstance(value, ValueError | TypeError), (entry, value)


@settings(
    max_examples=1500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entry=st.sampled_from(sorted(CASES)), data=st.data())
def test_bad_input_names_the_parameter(one_bad_argument, entry, data):
    func, kwargs = CASES[entry]
    one_bad_argument(entry, func, kwargs, data)
