"""Checks of user input at the public boundary, with messages that name the parameter."""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["as_real_array", "as_real_scalar", "as_count", "brief", "extreme_arguments"]


def brief(value: object, limit: int = 80) -> str:
    """``repr(value)`` on one line, shortened to ``limit`` characters (for error messages)."""
    if isinstance(value, np.ndarray) and value.size > 6:
        text = f"array of shape {value.shape}"
    else:
        try:
            text = repr(value)
        except Exception:  # a broken __repr__ must not hide the error being reported
            text = f"<{type(value).__name__}>"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def as_real_array(
    name: str,
    value: ArrayLike,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
    allow_empty: bool = True,
) -> np.ndarray:
    """Return ``value`` as a float array, or raise naming ``name``.

    Raises ``TypeError`` for non-numeric input and ``ValueError`` for NaN, infinities or values
    outside ``[minimum, maximum]`` (``(minimum, maximum]`` when ``strict_minimum``), and for an
    empty array unless ``allow_empty``.
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {brief(value)}") from None
    if np.iscomplexobj(np.asarray(value)):
        raise TypeError(f"{name} must be real, got {brief(value)}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity), got {brief(value)}")
    if minimum is not None:
        bad = arr <= minimum if strict_minimum else arr < minimum
        if np.any(bad):
            relation = ">" if strict_minimum else ">="
            raise ValueError(f"{name} must be {relation} {minimum}, got {arr[bad].ravel()[0].item()!r}")
    if maximum is not None and np.any(arr > maximum):
        raise ValueError(f"{name} must be <= {maximum}, got {arr[arr > maximum].ravel()[0].item()!r}")
    return arr


def as_real_scalar(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
) -> float:
    """:func:`as_real_array` for one number: also ``ValueError`` naming ``name`` for an array of any shape."""
    array = as_real_array(name, value, minimum=minimum, maximum=maximum, strict_minimum=strict_minimum)  # type: ignore[arg-type]
    if array.ndim:
        raise ValueError(f"{name} must be a single number, got an array of shape {array.shape}")
    return float(array)


def as_count(name: str, value: object, *, minimum: int = 0, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` in ``[minimum, maximum]`` (bools refused), or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {brief(value)}")
    count = int(value)
    if count < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {brief(value)}")
    if maximum is not None and count > maximum:
        raise ValueError(f"{name} must be <= {maximum} (bounded up front), got {brief(value)}")
    return count


def extreme_arguments() -> np.errstate:
    """Context for elementwise formulas at huge or tiny finite arguments (``|x| ~ 1e300``, ``V ~ 1e-300``):
    they reach their limits (0, +-inf) through overflow and underflow, and those limits are the answer,
    not a warning. (A NaN that results is still caught: the public methods must not return one.)"""
    return np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore")
