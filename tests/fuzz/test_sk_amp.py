"""Bad-input audit of the SK instance entry points of ``statlearn.amp``: the instance generator, the state
evolution and the RS overlap, Bolthausen's AMP, the TAP solver and the TAP free energy.

Each entry point has a valid baseline call; hypothesis replaces one argument at a time by a bad value (NaN,
infinities, zero and negative temperatures, huge and tiny numbers, huge integers, wrong types and shapes,
non-symmetric matrices). The ``audit`` fixture (tests/fuzz/conftest.py) accepts only a returned value, a
documented warning, or a one-line ``ValueError``/``TypeError`` naming the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import statlearn.amp as amp

_J = amp.sk_couplings(6, 0)
_EXTRA_BAD = [np.triu(_J), np.ones((6, 6)), np.full((6, 6), np.nan), np.zeros((6, 6, 2))]

#: name, function, valid arguments, the arguments that are step budgets (huge ones are valid and long)
ENTRIES: list[tuple[str, Callable[..., Any], dict[str, Any], tuple[str, ...]]] = [
    ("sk.sk_couplings", amp.sk_couplings, {"N": 5, "seed": 1}, ("N",)),
    ("sk.rs_overlap", amp.rs_overlap, {"beta": 1.2, "h": 0.3}, ()),
    ("sk.at_stability", amp.at_stability, {"beta": 1.2, "h": 0.3}, ()),
    (
        "sk.sk_state_evolution",
        amp.sk_state_evolution,
        {"beta": 1.2, "h": 0.3, "n_iter": 5, "init": "bolthausen"},
        ("n_iter",),
    ),
    ("sk.sk_amp", amp.sk_amp, {"J": _J, "beta": 0.8, "h": 0.2, "n_iter": 5, "init": "uninformative"}, ("n_iter",)),
    (
        "tap.tap",
        amp.tap,
        {"J": _J, "beta": 0.8, "h": 0.2, "damping": 0.5, "max_iter": 50, "amp_steps": 5},
        ("max_iter", "amp_steps"),
    ),
    (
        "sk_monte_carlo.sk_parallel_tempering",
        amp.sk_parallel_tempering,
        {"J": _J, "betas": [0.5, 1.0], "h": 0.1, "n_sweeps": 20, "thermalization": 5, "seed": 0},
        ("n_sweeps", "thermalization"),
    ),
    ("tap.tap_free_energy", amp.tap_free_energy, {"J": _J, "beta": 0.8, "h": 0.2, "m": np.full(6, 0.1)}, ()),
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
    param, bad = bad_argument(data, base, budgets=budgets, extra=_EXTRA_BAD)
    audit.call(name, func, names=(param,), **{**base, param: bad})


def test_every_sk_name_is_audited() -> None:
    names = {"sk_couplings", "rs_overlap", "at_stability", "sk_state_evolution", "sk_amp", "tap", "tap_free_energy"}
    names.add("sk_parallel_tempering")
    assert names == {e[0].split(".")[-1] for e in ENTRIES}
    assert names <= set(amp.__all__)
