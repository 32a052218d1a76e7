"""Checks of user input at the public boundary, with messages that name the parameter."""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["as_real_array", "as_real_scalar", "as_count", "extreme_arguments"]


def as_real_array(
    name: str,
    value: ArrayLike,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
) -> np.ndarray:
    """Return ``value`` as a float array, or raise naming ``name``.

    Raises ``TypeError`` for non-numeric input and ``ValueError`` for NaN, infinities or values
    outside ``[minimum, maximum]`` (``(minimum, maximum]`` when ``strict_minimum``).
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or an array of real numbers, got {value!r}") from None
    if np.iscomplexobj(np.asarray(value)):
        raise TypeError(f"{name} must be real, got {value!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity), got {value!r}")
    if minimum is not None:
        bad = arr <= minimum if strict_minimum else arr < minimum
        if np.any(bad):
            relation = ">" if strict_minimum else ">="
            raise ValueError(f"{name} must be {relation} {minimum}, got {arr[bad].ravel()[0].item()!r}")
    if maximum is not None and np.any(arr > maximum):
        raise ValueError(f"{name} must be <= {maximum}, got {arr[arr > maximum].ravel()[0].item()!r}")
    return arr


def as_count(name: str, value: object, *, minimum: int = 0) -> int:
    """Return ``value`` as an ``int >= minimum`` (bools refused), or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_short(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


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


def _short(value: object) -> str:
    """A one-line description of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    text = repr(value)
    return text if "\n" not in text and len(text) < 80 else f"a {type(value).__name__}"


def extreme_arguments() -> np.errstate:
    """Context for elementwise formulas at huge or tiny finite arguments (``|x| ~ 1e300``, ``V ~ 1e-300``):
    they reach their limits (0, +-inf) through overflow and underflow, and those limits are the answer,
    not a warning. (A NaN that results is still caught: the public methods must not return one.)"""
    return np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore")
