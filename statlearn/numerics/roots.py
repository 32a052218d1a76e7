"""Vectorised bracketing root finder for thresholds and capacities.

Thresholds of the field are zeros of a scalar function of one control parameter (an entropy
that vanishes, two free entropies that cross, a stationarity condition in a single overlap).
:func:`bracket_root` finds such zeros for a whole array of independent problems at once by the
Illinois variant of regula falsi (Dowell & Jarratt, BIT 11, 168 (1971)), which keeps a sign
change bracket at every step (so it cannot diverge) and converges superlinearly.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar

MAX_ITER = 100_000
"""Largest ``max_iter`` accepted (bounded up front; the Illinois method needs a few dozen)."""

__all__ = ["RootResult", "bracket_root"]


@dataclass(frozen=True)
class RootResult:
    """Outcome of :func:`bracket_root` (arrays have the broadcast shape of the brackets).

    Attributes
    ----------
    root
        Best estimate of the zero.
    converged
        Whether the bracket shrank below ``xtol + rtol*|root|`` or ``f(root) == 0``.
    iterations
        Number of vectorised evaluations of ``f`` after the two bracket ends.
    residual
        ``|f(root)|``.
    bracket
        Final ``(lo, hi)`` that still contains a sign change.
    message
        Why the iteration stopped, with the count of unconverged roots.

    Arrays are read-only.
    """

    root: np.ndarray | float
    converged: np.ndarray | bool
    iterations: int
    residual: np.ndarray | float
    bracket: tuple[np.ndarray | float, np.ndarray | float]
    message: str = ""

    def __post_init__(self) -> None:
        freeze_arrays(self)
        lo, hi = self.bracket
        for end in (lo, hi):
            if isinstance(end, np.ndarray):
                end.flags.writeable = False


def bracket_root(
    f: Callable[[np.ndarray], ArrayLike],
    lo: ArrayLike,
    hi: ArrayLike,
    *,
    xtol: float = 1e-14,
    rtol: float = 1e-13,
    max_iter: int = 200,
    warn: bool = True,
) -> RootResult:
    """Find ``x`` in ``[lo, hi]`` with ``f(x) = 0``, elementwise, given a sign change.

    Parameters
    ----------
    f
        Vectorised function: called with a float array of the broadcast shape of ``lo`` and
        ``hi`` and returns an array of the same shape (element ``i`` may depend only on
        ``x[i]``).
    lo, hi
        Bracket ends; ``f(lo)`` and ``f(hi)`` must differ in sign (or one of them be zero).
    xtol, rtol
        Absolute and relative tolerance on the bracket width.
    max_iter
        Maximum number of evaluations of ``f``.
    warn
        Emit a :class:`ConvergenceWarning` when some element did not converge.

    Raises
    ------
    ValueError
        If a bracket is not finite, or ``f`` has the same sign at both ends of some bracket.
    """
    as_real_scalar("xtol", xtol, minimum=0.0)
    as_real_scalar("rtol", rtol, minimum=0.0)
    max_iter = as_count("max_iter", max_iter, minimum=1, maximum=MAX_ITER)
    a, b = as_real_array("lo", lo), as_real_array("hi", hi)
    try:
        a, b = (end.copy() for end in np.broadcast_arrays(a, b))
    except ValueError:
        raise ValueError(f"lo and hi must broadcast to one shape, got shapes {a.shape} and {b.shape}") from None
    fa = np.asarray(f(a), dtype=float).copy()
    fb = np.asarray(f(b), dtype=float).copy()
    if fa.shape != a.shape or fb.shape != a.shape:
        raise ValueError(f"f must return an array of shape {a.shape}, got {fa.shape}")
    bad = (np.sign(fa) * np.sign(fb) > 0) | ~np.isfinite(fa) | ~np.isfinite(fb)
    if np.any(bad):
        idx = np.argwhere(bad)[0]
        raise ValueError(
            f"no sign change of f between lo and hi at index {tuple(idx)}: "
            f"f({a[tuple(idx)]!r}) = {fa[tuple(idx)]!r}, f({b[tuple(idx)]!r}) = {fb[tuple(idx)]!r}"
        )
    # Keep b as the most recent iterate, a as the other end of the bracket.
    done = (fa == 0) | (fb == 0)
    iterations = 0
    while iterations < max_iter:
        width = np.abs(b - a)
        done = done | (width <= xtol + rtol * np.abs(b)) | (fb == 0)
        if np.all(done):
            break
        # A secant step that overflows (huge brackets) is non-finite and replaced by bisection below.
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            c = b - fb * (b - a) / (fb - fa)
        left, right = np.minimum(a, b), np.maximum(a, b)
        outside = ~np.isfinite(c) | (c <= left) | (c >= right)
        c = np.where(outside, 0.5 * a + 0.5 * b, c)
        c = np.where(done, b, c)
        fc = np.asarray(f(c), dtype=float)
        iterations += 1
        active = ~done
        flip = active & (np.sign(fc) * np.sign(fb) < 0)
        keep = active & ~flip
        a = np.where(flip, b, a)
        fa = np.where(flip, fb, np.where(keep, 0.5 * fa, fa))
        b = np.where(active, c, b)
        fb = np.where(active, fc, fb)
    at_a = (fa == 0) & (fb != 0)
    x = np.where(at_a, a, b)
    fx = np.where(at_a, fa, fb)
    width = np.abs(b - a)
    converged = done | (width <= xtol + rtol * np.abs(b)) | (fb == 0)
    if warn and not np.all(converged):
        warnings.warn(
            f"bracket_root: {int(np.sum(~converged))} of {converged.size} roots did not converge "
            f"in {max_iter} iterations",
            ConvergenceWarning,
            stacklevel=2,
        )
    failed = int(np.sum(~converged))
    if failed:
        message = f"not converged: {failed} of {converged.size} brackets still wider than the tolerance after {iterations} iterations (iteration budget exhausted)"
    else:
        message = (
            f"converged: every bracket within xtol + rtol |root| or at an exact zero after {iterations} iterations"
        )
    return RootResult(
        message=message,
        root=x[()],
        converged=converged[()],
        iterations=iterations,
        residual=np.abs(fx)[()],
        bracket=(np.minimum(a, b)[()], np.maximum(a, b)[()]),
    )
