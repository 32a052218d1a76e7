"""The two unit conventions of the binary RBMs ({-1, +1} or {0, 1}), the enumeration limit, and the check that
an argument is a machine (duck-typed: :mod:`statlearn.rbm.machine` imports the modules that call it)."""

from __future__ import annotations

from typing import Any

import numpy as np

from statlearn.numerics.validation import brief

__all__ = ["MAX_ENUMERATED", "MAX_PARAMETER", "SPINS", "check_machine", "check_spins", "low_value", "spin_parameters"]

MAX_ENUMERATED = 24
"""The largest layer :meth:`RBM.log_partition` enumerates (2**24 states; about a minute at 64 units)."""
SPINS = ("pm1", "01")
MAX_PARAMETER = 1e8
"""The largest weight or bias (in absolute value) a machine holds: larger ones overflow the energies of big layers;
training that goes beyond it has diverged."""


def check_spins(spins: object) -> str:
    """``spins`` if it is ``"pm1"`` or ``"01"``; ``ValueError``/``TypeError`` naming ``spins`` otherwise."""
    if not isinstance(spins, str):
        raise TypeError(f"spins must be 'pm1' or '01', got {brief(spins)}")
    if spins not in SPINS:
        raise ValueError(f"spins must be 'pm1' or '01', got {spins!r}")
    return spins


def low_value(spins: str) -> float:
    """The lower value of a unit: -1 for ``"pm1"``, 0 for ``"01"``."""
    return -1.0 if check_spins(spins) == "pm1" else 0.0


def check_machine(rbm: object) -> None:
    """``TypeError`` naming ``rbm`` unless it is a :class:`~statlearn.rbm.machine.RBM` (has its methods)."""
    if not all(callable(getattr(rbm, name, None)) for name in ("check_data", "draw", "hidden_field")):
        raise TypeError(f"rbm must be an RBM, got {brief(rbm)}")


def spin_parameters(rbm: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The machine's parameters in +-1 units, ``(W, b_visible, b_hidden, shift)`` with
    :math:`\\log Z = \\log Z_{\\pm 1} + {\\rm shift}`: unchanged for ``"pm1"``; for ``"01"``, with
    :math:`x = (v + 1)/2`, :math:`(W/4,\\ b_v/2 + W\\mathbf 1/4,\\ b_h/2 + W^\\top\\mathbf 1/4)` (no input checks)."""
    W, b_v, b_h = rbm.W, rbm.b_visible, rbm.b_hidden
    if rbm.spins == "pm1":
        return W, b_v, b_h, 0.0
    J, a, c = W / 4.0, b_v / 2.0 + W.sum(axis=1) / 4.0, b_h / 2.0 + W.sum(axis=0) / 4.0
    return J, a, c, -float(J.sum() - a.sum() - c.sum())
