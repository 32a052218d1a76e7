"""Bad-input audit of the compressed-sensing entry points: AMP for the LASSO, ISTA/FISTA, the KKT check and the
Lipschitz constant (``statlearn.amp``), and the state evolution and the Donoho-Tanner curve (``statlearn.replica.lasso``).

Each entry point has a valid baseline call; hypothesis replaces one argument at a time by a bad value. The
``audit`` fixture (tests/fuzz/conftest.py) accepts only a returned value, a documented warning, or a one-line
``ValueError``/``TypeError`` naming the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import statlearn.amp as amp
from statlearn.replica import lasso

_RNG = np.random.default_rng(0)
_A = _RNG.standard_normal((4, 8)) / 2.0
_Y = _A @ np.array([1.0, 0, 0, -0.5, 0, 0, 0, 0])
_EXTRA_BAD = [np.zeros((4, 8)), np.full((4, 8), np.nan), np.zeros((4, 8, 2)), np.zeros(8), np.zeros(4)]

#: name, function, valid arguments, the arguments that are step budgets (huge ones are valid and long)
ENTRIES: list[tuple[str, Callable[..., Any], dict[str, Any], tuple[str, ...]]] = [
    ("lasso.lasso_amp", amp.lasso_amp, {"F": _A, "y": _Y, "threshold": 1.2, "max_iter": 20}, ("max_iter",)),
    ("lasso.lasso_amp(lam)", amp.lasso_amp, {"F": _A, "y": _Y, "lam": 0.1, "max_iter": 20, "tol": 1e-8}, ("max_iter",)),
    (
        "lasso.ista",
        amp.ista,
        {"F": _A, "y": _Y, "lam": 0.1, "accelerated": True, "homotopy": 0.5, "max_iter": 50, "reference": np.zeros(8)},
        ("max_iter",),
    ),
    ("lasso.lasso_kkt_violation", amp.lasso_kkt_violation, {"F": _A, "y": _Y, "x": np.zeros(8), "lam": 0.1}, ()),
    ("lasso.lipschitz_constant", amp.lipschitz_constant, {"F": _A}, ()),
    ("lasso.phase_transition", lasso.phase_transition, {"delta": 0.5}, ()),
    ("lasso.minimax_threshold", lasso.minimax_threshold, {"delta": 0.5}, ()),
    ("lasso.stability_slope", lasso.stability_slope, {"delta": 0.5, "rho": 0.3, "tau": 1.0}, ()),
    (
        "lasso.state_evolution",
        lasso.state_evolution,
        {"delta": 0.5, "rho": 0.3, "tau": 1.0, "noise": 0.01, "n_iter": 5},
        ("n_iter",),
    ),
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
    names = (param, "threshold and lam") if param in ("threshold", "lam") else (param,)
    audit.call(name, func, names=names, **{**base, param: bad})


def test_every_lasso_name_is_audited() -> None:
    names = {"lasso_amp", "ista", "lasso_kkt_violation", "lipschitz_constant"}
    assert names <= set(amp.__all__)
    names |= {"phase_transition", "minimax_threshold", "stability_slope", "state_evolution"}
    assert names == {e[0].split(".")[-1].split("(")[0] for e in ENTRIES}
