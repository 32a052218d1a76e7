"""The two unit conventions of the binary RBMs ({-1, +1} or {0, 1}) and the enumeration limit."""

from __future__ import annotations

from statlearn.numerics.validation import brief

__all__ = ["MAX_ENUMERATED", "SPINS", "check_spins", "low_value"]

MAX_ENUMERATED = 24
"""The largest layer :meth:`RBM.log_partition` enumerates (2**24 states; about a minute at 64 units)."""
SPINS = ("pm1", "01")


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
