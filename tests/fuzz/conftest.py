"""The bad-input audit: every public entry point, fed bad input, may only raise a ``ValueError`` or
``TypeError`` that names the parameter, or warn with a documented warning class. Anything else (another
exception, a bare numpy ``RuntimeWarning``, a NaN returned without a warning) is a failure.

Each ``test_*.py`` here covers one area of the package through the ``audit`` fixture; the terminal
summary prints how many entry points and inputs were tried.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np
import pytest

from statlearn.numerics import ConvergenceWarning


@dataclass
class Audit:
    """Counts of the audit, shared by every fuzz module of the session."""

    entry_points: set[str] = field(default_factory=set)
    inputs: int = 0
    rejected: int = 0

    def call(
        self,
        entry: str,
        func: Callable[..., Any],
        *args: Any,
        names: Iterable[str] = (),
        allowed_warnings: tuple[type[Warning], ...] = (ConvergenceWarning,),
        **kwargs: Any,
    ) -> Any:
        """Call ``func``; return its value, or the ``ValueError``/``TypeError`` it raised.

        Fails the test on any other exception, on a warning that is not an instance of
        ``allowed_warnings``, on an error message that names none of ``names`` (when given), and on a
        returned result holding NaN when no warning was emitted.
        """
        self.entry_points.add(entry)
        self.inputs += 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = func(*args, **kwargs)
            except (ValueError, TypeError) as error:
                self.rejected += 1
                message = str(error)
                assert "\n" not in message.strip(), f"{entry}: multi-line error {message!r}"
                wanted = list(names)
                if wanted:
                    assert any(name in message for name in wanted), f"{entry}: {message!r} names none of {wanted}"
                return error
        stray = [w for w in caught if not issubclass(w.category, allowed_warnings)]
        assert not stray, (
            f"{entry}{args}{kwargs}: undocumented warning {stray[0].category.__name__}: {stray[0].message}"
        )
        if not caught:
            assert not _holds_nan(value), f"{entry}{args}{kwargs}: returned NaN without a warning"
        return value


def _holds_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return bool(np.isnan(value).any())
    if is_dataclass(value) and not isinstance(value, type):
        return any(_holds_nan(getattr(value, f.name)) for f in fields(value) if f.name != "residual")
    if isinstance(value, tuple | list):
        return any(_holds_nan(v) for v in value)
    return False


AUDIT = Audit()


@pytest.fixture
def audit() -> Audit:
    return AUDIT


def pytest_sessionfinish(session: Any) -> None:
    """Hand this process's counts to the terminal summary of ``tests/conftest.py``: directly, or from a
    pytest-xdist worker through the controller, which never loads this file."""
    counts = (sorted(AUDIT.entry_points), AUDIT.inputs, AUDIT.rejected)
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["audit"] = counts
    else:
        session.config.bad_input_audits.append(counts)


BAD_INPUTS = (
    float("nan"),
    float("inf"),
    -float("inf"),
    -1.0,
    0.0,
    1e300,
    -1e300,
    1e-300,
    "abc",
    None,
    True,
    1 + 2j,
    [],
    [0.5, 0.7],
    np.full((2, 3), 0.5),
    object(),
)
"""Bad values for one argument: NaN, infinities, negative, zero, huge, tiny, wrong types, wrong shapes."""


@pytest.fixture
def one_bad_argument(audit: Audit) -> Callable[..., Any]:
    """``run(entry, func, kwargs, data)``: call ``func(**kwargs)`` with one argument, drawn by the
    hypothesis ``data``, replaced by one of :data:`BAD_INPUTS`; the error must name that argument."""
    from hypothesis import strategies as st

    def run(entry: str, func: Callable[..., Any], kwargs: dict[str, Any], data: Any) -> Any:
        parameter = data.draw(st.sampled_from(sorted(kwargs)))
        bad = dict(kwargs)
        bad[parameter] = data.draw(st.sampled_from(BAD_INPUTS))
        return audit.call(entry, func, names=(parameter,), **bad)

    return run


BAD_VALUES = [math.nan, math.inf, -math.inf, -1.0, 0.0, -0.0, 1e-300, 1e300, -3, 1, 2**64, 2**70, 1.5, 4.5]
BAD_VALUES += [None, True, "x", 1j, [], [0.5, 0.7], object(), np.full((2, 3), np.nan), np.zeros((3,))]
"""Bad values for any argument (numbers, wrong types, wrong shapes); areas add their own (matrices, ...)."""


@pytest.fixture
def bad_argument() -> Callable[..., tuple[str, Any]]:
    """``draw(data, arguments, *, budgets=(), extra=(), strategy=None) -> (name, value)``: one argument of
    ``arguments`` and a bad value for it, drawn by the hypothesis ``data`` from :data:`BAD_VALUES` plus
    ``extra``, any float, and integers that are not small positive counts (or from ``strategy``). A huge
    integer for a step budget in ``budgets`` is valid and long, and is skipped."""
    from hypothesis import assume
    from hypothesis import strategies as st

    def draw(
        data: Any,
        arguments: Iterable[str],
        *,
        budgets: Iterable[str] = (),
        extra: Iterable[Any] = (),
        strategy: Any = None,
    ) -> tuple[str, Any]:
        if strategy is None:
            strategy = st.one_of(
                st.sampled_from(BAD_VALUES + list(extra)),
                st.floats(allow_nan=True, allow_infinity=True),
                st.integers(min_value=-(2**70), max_value=2**70).filter(lambda n: n < 2 or n > 2**40),
            )
        name = data.draw(st.sampled_from(sorted(arguments)), label="argument")
        value = data.draw(strategy, label=name)
        assume(not (name in set(budgets) and isinstance(value, int) and not isinstance(value, bool) and value > 1000))
        return name, value

    return draw
