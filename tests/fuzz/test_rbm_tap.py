"""Bad-input audit of the TAP free energy of RBMs (statlearn.rbm.tap) and of EMF training: one argument at a
time replaced by a bad value (see tests/fuzz/conftest.py); then unknown methods and orders."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statlearn.rbm import RBM, tap_free_energy, tap_gradient, tap_magnetisations, train

_rng = np.random.default_rng(0)
_M = RBM.from_params(0.3 * _rng.standard_normal((5, 3)), np.zeros(5), np.zeros(3), spins="01")
_DATA = np.where(_rng.random((12, 5)) < 0.5, 1.0, 0.0)
_MV, _MH = np.full((2, 5), 0.4), np.full((2, 3), 0.6)

FAST = dict(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ENTRY_POINTS = {
    "tap_magnetisations": (
        tap_magnetisations,
        {"rbm": _M, "order": 2, "n_starts": 2, "seed": 0, "damping": 0.5, "tol": 1e-8, "max_iter": 200},
    ),
    "tap_magnetisations(start)": (tap_magnetisations, {"rbm": _M, "order": 3, "start": _DATA[:3]}),
    "tap_free_energy": (tap_free_energy, {"rbm": _M, "m_visible": _MV, "m_hidden": _MH, "order": 3}),
    "tap_gradient": (tap_gradient, {"rbm": _M, "m_visible": _MV, "m_hidden": _MH, "order": 2}),
    "RBM.log_partition(tap2)": (_M.log_partition, {"method": "tap2", "n_starts": 2, "tol": 1e-8}),
    "train(tap3)": (
        train,
        {
            "rbm": _M.copy(),
            "data": _DATA,
            "method": "tap3",
            "k": 3,
            "learning_rate": 0.01,
            "batch_size": 4,
            "epochs": 1,
            "seed": 0,
            "monitor": ("reconstruction_error",),
        },
    ),
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@settings(**FAST)
@given(data=st.data())
def test_one_bad_argument_at_a_time(entry, data, one_bad_argument):
    func, kwargs = ENTRY_POINTS[entry]
    one_bad_argument(entry, func, kwargs, data)


@pytest.mark.parametrize(
    "call, named",
    [
        (lambda: _M.log_partition("tap9"), "method"),
        (lambda: train(_M.copy(), _DATA, method="emf"), "method"),
        (lambda: tap_magnetisations(_M, 0), "order"),
        (lambda: tap_free_energy(_M, _MV, _MH[:1]), "m_visible"),
        (lambda: tap_gradient(_M, _MV[:, :4], _MH), "m_visible"),
        (lambda: tap_magnetisations(_M, 2, damping=0.0), "damping"),
        (lambda: tap_magnetisations(_M, 2, start=np.full((1, 5), np.nan)), "start"),
    ],
)
def test_named_failure_modes(call, named, audit):
    error = audit.call("rbm tap failure modes", call)
    assert isinstance(error, (ValueError, TypeError)) and named in str(error), error
