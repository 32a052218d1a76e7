r"""The one result protocol of the package: every solver and simulation says whether, how and why it stopped.

Every result object returned by a solver, a state evolution, an ODE integration, a fit or a simulation
is a frozen dataclass that carries four attributes with one meaning everywhere:

``converged`` : bool
    Whether the computation reached its stopping criterion (a tolerance, the end of the requested
    horizon) rather than an iteration budget, a non-finite value or a failed step.
``iterations`` : int
    The work done, counted in the solver's natural unit: evaluations of the fixed-point map, Newton
    steps, accepted ODE steps, SGD steps, Monte Carlo sweeps. Each class's docstring says which.
``residual`` : float
    How far the returned point is from satisfying the equations the solver solves, in the norm its
    tolerance is compared with (for :func:`statlearn.numerics.fixed_point`:
    :math:`\max_i |F(x)_i - x_i| / \max(1, \max_i |x_i|)`). ``0.0`` for closed forms, ``nan`` where no
    equation is solved (a simulation run to its horizon).
``message`` : str
    One human-readable line saying why it stopped, as scipy's ``OptimizeResult.message`` does.

Arrays held by a result are read-only (:func:`freeze_arrays`), so a result can be shared between
callers without one of them changing what another reads.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["SolverResult", "freeze_arrays", "stop_message"]


@runtime_checkable
class SolverResult(Protocol):
    """What every result object of the package carries (see the module docstring for the meanings)."""

    converged: bool
    iterations: int
    residual: float
    message: str


def freeze_arrays(result: Any) -> None:
    """Make every numpy array field of the frozen dataclass ``result`` read-only, in place.

    Call it from ``__post_init__``. A field that holds the caller's own array is replaced by a read-only
    view, so the caller's array stays writable.
    """
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, np.ndarray) and value.flags.writeable:
            view = value.view()
            view.flags.writeable = False
            object.__setattr__(result, field.name, view)


def stop_message(
    converged: bool,
    iterations: int,
    residual: float,
    tol: float | None = None,
    *,
    unit: str = "iterations",
    reason: str | None = None,
) -> str:
    """The standard one-line ``message`` of a result.

    ``reason`` overrides the generic cause of a failure (e.g. ``"iterate became non-finite"``).

    >>> stop_message(True, 12, 3e-13, 1e-12)
    'converged: residual 3e-13 <= tol 1e-12 after 12 iterations'
    >>> stop_message(False, 500, 2e-3, 1e-12)
    'not converged: residual 0.002 > tol 1e-12 after 500 iterations (iteration budget exhausted)'
    """
    if converged:
        if tol is None:
            return f"converged after {iterations} {unit}"
        return f"converged: residual {residual:.3g} <= tol {tol:.3g} after {iterations} {unit}"
    if reason is None:
        reason = "non-finite residual" if not math.isfinite(residual) else f"{unit[:-1]} budget exhausted"
    bound = "" if tol is None else f" > tol {tol:.3g}"
    return f"not converged: residual {residual:.3g}{bound} after {iterations} {unit} ({reason})"
