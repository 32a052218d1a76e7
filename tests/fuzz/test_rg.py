"""Bad-input audit of statlearn.rg: pca_flow, coarse_grain, gaussian_control and fourier_check, one argument
at a time replaced by a bad value (conftest.BAD_INPUTS), plus data of awkward shapes and sizes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from statlearn.numerics import ConvergenceWarning
from statlearn.rg import DegenerateDataWarning, coarse_grain, fourier_check, gaussian_control, pca_flow

FIELDS = np.random.default_rng(0).standard_normal((40, 4, 4))
CASES = {
    "pca_flow": (pca_flow, {"data": FIELDS, "fractions": [0.25, 1.0], "n_blocks": 4, "quantiles": (0.16, 0.84)}),
    "coarse_grain": (coarse_grain, {"data": FIELDS, "K": 3, "rescale": False}),
    "gaussian_control": (gaussian_control, {"data": FIELDS, "seed": 1}),
    "fourier_check": (fourier_check, {"fields": FIELDS, "spectrum": np.ones((4, 4)), "resolution": 1e-9}),
}
WARNINGS = (ConvergenceWarning, DegenerateDataWarning)


def test_every_case_is_valid_as_given(audit):
    for entry, (func, kwargs) in CASES.items():
        value = audit.call(entry, func, **kwargs)
        assert not isinstance(value, ValueError | TypeError), (entry, value)


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entry=st.sampled_from(sorted(CASES)), data=st.data())
def test_bad_input_names_the_parameter(one_bad_argument, entry, data):
    func, kwargs = CASES[entry]
    one_bad_argument(entry, func, kwargs, data)


ARRAYS = st.sampled_from([(0,), (5,), (0, 3), (1, 4), (9, 1), (20, 3), (20, 2, 2), (20, 3, 2), (3, 2, 2, 2)]).flatmap(
    lambda shape: hnp.arrays(
        np.float64,
        shape,
        elements=st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, width=64), st.sampled_from([1e300, 1e-300, 0.0])
        ),
    )
)


@pytest.mark.parametrize("entry", sorted(CASES))
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(array=ARRAYS)
def test_awkward_data_is_refused_or_answered(audit, entry, array):
    func, kwargs = CASES[entry]
    name = "fields" if entry == "fourier_check" else "data"
    bad = {**kwargs, name: array}
    if entry == "fourier_check" and array.ndim == 3:
        bad["spectrum"] = None
    audit.call(entry, func, names=(name,), allowed_warnings=WARNINGS, **bad)
