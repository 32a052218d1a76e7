"""Bad-input audit of statlearn.rg.variational: receptive_field_locality, random_field_locality, block_spins,
block_spin_correlation and matching_block_size, one argument at a time replaced by a bad value
(conftest.BAD_INPUTS), plus arrays of awkward shapes and values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from statlearn.rg import (
    block_spin_correlation,
    block_spins,
    matching_block_size,
    random_field_locality,
    receptive_field_locality,
)

SPINS = np.where(np.random.default_rng(0).random((12, 4, 4)) < 0.5, -1.0, 1.0)
CASES = {
    "receptive_field_locality": (receptive_field_locality, {"fields": np.ones((16, 3)), "radius": 1.0}),
    "random_field_locality": (random_field_locality, {"n_visible": 16, "n_units": 3, "radius": 1.0, "seed": 0}),
    "block_spins": (block_spins, {"spins": SPINS, "b": 2, "seed": 0}),
    "block_spin_correlation": (
        block_spin_correlation,
        {"activity": np.arange(24.0).reshape(12, 2), "spins": SPINS, "b": 2, "centres": np.ones((2, 2)), "seed": 0},
    ),
    "matching_block_size": (matching_block_size, {"n_visible": 16, "n_hidden": 4}),
}


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


ARRAYS = st.sampled_from([(0,), (5,), (0, 3), (1, 4), (9, 1), (16, 2), (12, 16), (12, 4, 4), (3, 2, 2, 2)]).flatmap(
    lambda shape: hnp.arrays(
        np.float64,
        shape,
        elements=st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, width=64), st.sampled_from([1e300, 1e-300, 0.0, 1.0, -1.0])
        ),
    )
)
ARGUMENT = {
    "receptive_field_locality": "fields",
    "block_spins": "spins",
    "block_spin_correlation": "activity",
}


@pytest.mark.parametrize("entry", sorted(ARGUMENT))
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(array=ARRAYS)
def test_awkward_arrays_are_refused_or_answered(audit, entry, array):
    func, kwargs = CASES[entry]
    name = ARGUMENT[entry]
    audit.call(entry, func, names=(name,), **{**kwargs, name: array})
