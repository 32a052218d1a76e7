"""Checks of user input at wirg's public boundary, with one-line messages that name the parameter.

Every public function of :mod:`wirg` validates its arguments with these (and with
:func:`statlearn.numerics.validation.as_count`, :func:`statlearn.numerics.validation.as_real_array` and
:func:`statlearn.numerics.seeding.check_seed`) before any work: a bad value raises ``TypeError`` (wrong
type) or ``ValueError`` (wrong value or shape), never an error from deep inside. Not part of the user API
(nothing here is re-exported from :mod:`wirg`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Sequence

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.seeding import check_seed
from statlearn.numerics.validation import as_count

__all__ = [
    "MAX_BYTES",
    "as_field",
    "count",
    "seed_value",
    "show",
    "channel_variances",
    "check_bool",
    "check_choice",
    "check_gamma",
    "check_gamma_scalar",
    "check_instance",
    "check_levels",
    "check_memory",
    "check_positive",
    "check_radius",
    "check_scalar",
    "check_side",
    "data_pairs",
    "field_pair",
    "field_variance",
    "finite_result",
    "real_array",
    "square_side",
]


def show(value: object) -> str:
    """A one-line description of a user's value for an error message (an array by its shape and dtype)."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value).replace("\n", " ")
    return text if len(text) <= 80 else text[:77] + "..."


def count(name: str, value: object, *, minimum: int = 0) -> int:
    """:func:`statlearn.numerics.validation.as_count` with a one-line message for array input."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        raise TypeError(f"{name} must be an integer, got {show(value)}")
    return as_count(name, value, minimum=minimum)


def seed_value(seed: object, name: str = "seed") -> int:
    """:func:`statlearn.numerics.seeding.check_seed` with a one-line message for array input."""
    if isinstance(seed, np.ndarray) and seed.ndim > 0:
        raise TypeError(f"{name} must be an integer, got {show(seed)}")
    return check_seed(seed, name)


def check_choice(name: str, value: object, choices: Collection[str]) -> str:
    """``value`` if it is one of the strings ``choices``; ``ValueError`` naming ``name`` otherwise."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {show(value)}")
    return value


def check_instance(name: str, value: object, cls: type | tuple[type, ...]) -> None:
    """``TypeError`` naming ``name`` unless ``value`` is an instance of ``cls`` (a class or a tuple of them)."""
    if not isinstance(value, cls):
        names = " or ".join(c.__name__ for c in cls) if isinstance(cls, tuple) else cls.__name__
        raise TypeError(f"{name} must be a {names}, got {type(value).__name__}")


def check_bool(name: str, value: object) -> bool:
    """``value`` if it is a ``bool``; ``TypeError`` naming ``name`` otherwise."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool, got {show(value)}")
    return bool(value)


#: Largest array (in bytes) a wirg function allocates before refusing with a ``ValueError``.
MAX_BYTES = 2**31


def check_memory(what: str, name: str, n_bytes: float, advice: str | None = None) -> None:
    """``ValueError`` naming ``name`` if ``what`` would need more than :data:`MAX_BYTES` bytes, checked
    before allocating, so that a too-large request is refused at once instead of swapping."""
    if n_bytes > MAX_BYTES:
        raise ValueError(
            f"{name}: {what} would need about {n_bytes / 2**30:.3g} GiB of memory, above the limit "
            f"wirg.checks.MAX_BYTES = {MAX_BYTES / 2**30:.3g} GiB; {advice or f'reduce {name}'}"
        )


def finite_result(name: str, value: np.ndarray, what: str) -> np.ndarray:
    """``value`` (computed from ``name`` with overflow warnings silenced) if finite; otherwise ``ValueError``
    naming ``name``: its values are too large (or too small) for ``what`` in float64."""
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name}: {what} overflows float64 (values too large or too small)")
    return value


def _as_float(name: str, value: numbers.Real) -> float:
    """``float(value)``, with an integer beyond the float64 range refused by name."""
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got an integer beyond the float64 range") from None


def check_scalar(name: str, value: object, *, minimum: float, strict: bool) -> float:
    """A finite real number ``>= minimum`` (``> minimum`` when ``strict``), as a ``float``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a scalar, got {show(value)}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {show(value)}")
    number = _as_float(name, value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite (no NaN or infinity), got {number!r}")
    if number < minimum or (strict and number == minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {float(minimum)}, got {number!r}")
    return number


def check_positive(name: str, value: object) -> float:
    """A finite real number ``> 0`` (bools refused), as a ``float``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive real number, got {show(value)}")
    number = _as_float(name, value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be finite and > 0, got {number!r}")
    return number


def real_array(name: str, value: ArrayLike) -> np.ndarray:
    """``value`` as a finite float64 array (bool, integer or float dtype only)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return arr


def as_field(name: str, value: ArrayLike, min_ndim: int = 2) -> np.ndarray:
    """``value`` as float64 (real input) or complex128 (complex input), finite, ``ndim >= min_ndim``."""
    arr = np.asarray(value)
    if arr.dtype.kind in "biuf":
        arr = arr.astype(np.float64, copy=False)
    elif arr.dtype.kind == "c":
        arr = arr.astype(np.complex128, copy=False)
    else:
        raise TypeError(f"{name} must be a real or complex numeric array, got dtype {arr.dtype}")
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimensions, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return arr


def square_side(name: str, arr: np.ndarray, *, power_of_two: bool) -> int:
    """The side ``L`` of an array square on its last two axes, even (or a power of two) and >= 2."""
    n, m = arr.shape[-2], arr.shape[-1]
    if n != m:
        raise ValueError(f"{name} must be square on its last two axes (L x L), got shape {arr.shape}")
    if power_of_two and (n < 2 or n & (n - 1)):
        raise ValueError(f"{name}: the side L must be a power of two >= 2, got L = {n}")
    if not power_of_two and (n < 2 or n % 2):
        raise ValueError(f"{name}: the side L must be even and >= 2, got L = {n}")
    return n


def check_levels(levels: object, L: int, of: str = "the lattice") -> int:
    """A number of wavelet scales from 1 to ``log2(L)`` (down to a 1 x 1 coarse field) for ``of`` of side ``L``."""
    if isinstance(levels, bool) or not isinstance(levels, numbers.Integral):
        raise TypeError(f"levels must be an integer, got {show(levels)}")
    max_levels = L.bit_length() - 1
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    if levels > max_levels:
        raise ValueError(f"levels = {levels} is too large for {of} of side L = {L} (at most log2(L) = {max_levels})")
    return int(levels)


def check_gamma_scalar(gamma: object) -> float:
    """One normalisation ``gamma_j``: a finite real number > 0."""
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real):
        raise TypeError(f"gamma must be a positive real number, got {show(gamma)}")
    value = _as_float("gamma", gamma)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"gamma must be finite and > 0, got {gamma!r}")
    return value


def check_gamma(gamma: float | Sequence[float], levels: int) -> tuple[float, ...]:
    """``gamma`` as a tuple ``(gamma_1, ..., gamma_levels)``; a number is used at every level."""
    if isinstance(gamma, np.ndarray) and gamma.ndim == 0:
        gamma = gamma.item()
    if isinstance(gamma, numbers.Real) and not isinstance(gamma, bool):
        return (check_gamma_scalar(gamma),) * levels
    if isinstance(gamma, str | bytes) or not isinstance(gamma, Sequence | np.ndarray):
        raise TypeError(
            f"gamma must be a positive number or a sequence of {levels} positive numbers, got {show(gamma)}"
        )
    values = tuple(gamma)
    if len(values) != levels:
        raise ValueError(f"gamma must have one entry per level ({levels}), got {len(values)}")
    return tuple(check_gamma_scalar(v) for v in values)


def check_radius(radius: object) -> int:
    """A stencil radius: an integer >= 0."""
    if isinstance(radius, bool) or not isinstance(radius, numbers.Integral):
        raise TypeError(f"radius must be an integer, got {show(radius)}")
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    return int(radius)


def check_side(name: str, side: int, radius: int, lattice: int | None = None) -> None:
    """``ValueError`` unless the shifts ``|Delta|_inf <= radius`` are distinct on a lattice of this side; for
    an ansatz built for one ``lattice`` (its shifts taken modulo that side), unless the side is that one."""
    if lattice is not None:
        if side != lattice:
            raise ValueError(f"{name}: the ansatz is built for the {lattice} x {lattice} lattice, got side {side}")
        return
    if side <= 2 * radius:
        raise ValueError(
            f"{name}: the lattice side {side} must exceed 2 * radius = {2 * radius} so that the shifts "
            f"|Delta| <= radius are distinct (use a smaller radius at this scale)"
        )


def field_pair(
    psibar: ArrayLike, phi_j: ArrayLike, radius: int, lattice: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``psibar`` (B, 3, n, n) and ``phi_j`` (B, n, n); single fields get a batch axis of 1."""
    psi = real_array("psibar", psibar)
    phi = real_array("phi_j", phi_j)
    if psi.ndim == 3:
        psi = psi[None]
    if phi.ndim == 2:
        phi = phi[None]
    if psi.ndim != 4 or psi.shape[1] != 3 or psi.shape[2] != psi.shape[3]:
        raise ValueError(f"psibar must have shape (batch, 3, n, n) or (3, n, n), got {np.shape(psibar)}")
    if phi.ndim != 3 or phi.shape != (psi.shape[0],) + psi.shape[2:]:
        raise ValueError(
            f"phi_j must have shape {(psi.shape[0],) + psi.shape[2:]} to match psibar {psi.shape}, got {np.shape(phi_j)}"
        )
    check_side("psibar", psi.shape[-1], radius, lattice)
    return psi, phi


def data_pairs(
    phi_j: ArrayLike, psibar_j: ArrayLike, radius: int, lattice: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Validated data pairs: ``psibar_j`` (S, 3, n, n) and ``phi_j`` (S, n, n), batch axis required."""
    psi, phi = field_pair(psibar_j, phi_j, radius, lattice)
    if np.ndim(psibar_j) != 4:
        raise ValueError(f"psibar_j must have shape (S, 3, n, n), got {np.shape(psibar_j)}")
    return psi, phi


def channel_variances(psi: np.ndarray) -> np.ndarray:
    """Variance of each detail channel over the data, refused if zero (the initial point is 1/variance)."""
    with np.errstate(over="ignore", invalid="ignore"):
        variance = psi.var(axis=(0, 2, 3))
    finite_result("psibar_j", variance, "the variance")
    if not np.all(variance > 0.0):
        raise ValueError(f"psibar_j: a detail channel has zero variance ({variance.tolist()}), nothing to fit")
    return variance


def field_variance(x: np.ndarray, name: str) -> float:
    """The variance of all values of ``x``, refused if zero or outside [1e-100, 1e100]: the initial point is
    1/variance and the Fisher information of the fits scales as variance**2, which leaves float64 beyond
    these bounds (the fits are scale covariant: rescale the fields, theta scales as 1/scale**2)."""
    with np.errstate(over="ignore", invalid="ignore"):
        variance = float(x.var())
    finite_result(name, np.float64(variance), "the variance")
    if not variance > 0.0:
        raise ValueError(f"{name} must not be constant: zero variance, nothing to fit")
    if not 1e-100 <= variance <= 1e100:
        raise ValueError(
            f"{name} has variance {variance:.3g}, outside [1e-100, 1e100] where the fit's Fisher information"
            " stays in float64; rescale the fields (theta scales as 1/scale**2)"
        )
    return variance
