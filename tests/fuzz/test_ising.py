"""Bad-input audit of the 2-D Ising entry points: the sampler (``wirg.fields.ising``), its energy, and the
exact results (Onsager, Yang, Kaufman, enumeration).

Each entry point has a valid baseline call; hypothesis replaces one argument at a time by a bad value (NaN,
infinities, zero and negative temperatures, huge and tiny numbers, huge integers, wrong types and shapes).
The ``audit`` fixture (tests/fuzz/conftest.py) accepts only a returned value, a documented warning, or a
one-line ``ValueError``/``TypeError`` naming the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wirg
from statlearn.numerics import ConvergenceWarning
from wirg.statistics import AutocorrelationWarning

#: name, function, valid arguments, the arguments that are step budgets (huge ones are valid and long)
ENTRIES: list[tuple[str, Callable[..., Any], dict[str, Any], tuple[str, ...]]] = [
    (
        "lattice_ising.ising",
        wirg.fields.ising,
        {"L": 4, "beta": 0.4, "n_samples": 2, "seed": 0, "thermalization": 100, "thin": 1, "cluster": True},
        ("n_samples", "thermalization", "thin"),
    ),
    ("lattice_ising.ising_energy", wirg.ising_energy, {"spins": np.ones((2, 4, 4))}, ()),
    ("ising_exact.onsager_energy", wirg.onsager_energy, {"beta": 0.4}, ()),
    ("ising_exact.yang_magnetization", wirg.yang_magnetization, {"beta": 0.5}, ()),
    ("ising_exact.kaufman_log_partition", wirg.kaufman_log_partition, {"L": 4, "beta": 0.4}, ("L",)),
    ("ising_exact.kaufman_energy", wirg.kaufman_energy, {"L": 4, "beta": 0.4}, ("L",)),
    ("ising_exact.ising_enumeration", wirg.ising_enumeration, {"L": 3, "beta": 0.4}, ()),
]


@pytest.mark.parametrize(("name", "func", "base", "budgets"), ENTRIES, ids=[e[0] for e in ENTRIES])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_bad_input_gives_a_one_line_error_naming_the_argument(
    audit,
    bad_argument,
    name: str,
    func: Callable[..., Any],
    base: dict[str, Any],
    budgets: tuple[str, ...],
    data: st.DataObject,
) -> None:
    param, bad = bad_argument(data, base, budgets=budgets)
    audit.call(
        name,
        func,
        names=(param,),
        allowed_warnings=(ConvergenceWarning, AutocorrelationWarning),
        **{**base, param: bad},
    )


def test_every_ising_name_is_audited() -> None:
    ising_names = {"ising", "ising_energy", "onsager_energy", "yang_magnetization"}
    ising_names |= {"kaufman_log_partition", "kaufman_energy", "ising_enumeration"}
    assert ising_names == {e[0].split(".")[-1] for e in ENTRIES}
    assert ising_names <= set(wirg.__all__)
