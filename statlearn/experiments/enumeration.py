r"""Exact enumeration of the binary (Ising) perceptron, :math:`w \in \{-1,+1\}^N`.

A weight vector solves an instance at margin :math:`\kappa` when every pattern has
:math:`z^\mu\cdot w/\sqrt N > \kappa`, :math:`z^\mu = y^\mu x^\mu` (Gardner & Derrida 1988;
Krauth & Mézard 1989 for the capacity :math:`\alpha_c \approx 0.83` at :math:`\kappa = 0`;
Krauth & Opper 1989 for exhaustive search at finite N). We enumerate all :math:`2^N` vectors.

Choices, for speed and for exact decisions:

* **Mirror pairs.** :math:`w` and :math:`-w` have opposite fields, so only the :math:`2^{N-1}`
  vectors with :math:`w_{N-1} = +1` are visited; both :math:`\min_\mu h_\mu` (for :math:`w`) and
  :math:`-\max_\mu h_\mu` (for :math:`-w`) are read off the same fields :math:`h = Zw`.
* **Two blocks instead of a Gray code.** The low :math:`b \le 10` weights are tabulated: the table
  holds their contribution to the :math:`P` fields for all :math:`2^b` settings, each entry a direct
  sum. For each setting of the high weights their contribution is summed afresh, and the field
  of a full vector is one addition, *outer + table*. Every field is thus a sum of :math:`N` terms
  with a fixed, short rounding history: there is no drift (a Gray-code walk accumulates
  :math:`2^N` roundings) and no periodic recomputation to schedule. The comparisons with the
  threshold are exact up to :math:`\sim N\epsilon\sum_i|z_i|`, which a tie would need to beat.
* **Early rejection.** Because fields are computed on demand, the scan over patterns stops as
  soon as neither :math:`w` nor :math:`-w` can matter (both have a field at or below the relevant
  level). A random :math:`w` is rejected after about three patterns, so one vector costs
  :math:`O(1)`, not the :math:`O(P)` of updating all fields after a Gray-code flip.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from statlearn.experiments.separability import as_patterns
from statlearn.numerics import as_real_scalar, brief

__all__ = ["MAX_ENUMERATION_N", "binary_max_margin", "count_binary_solutions"]

MAX_ENUMERATION_N = 30
"""Largest N accepted: :math:`2^{29}` visited vectors, a few seconds per instance."""

_LOW_BITS = 10


@njit(cache=True)
def _enumerate(z: np.ndarray, threshold: float, stop_above: float) -> tuple[float, int]:
    """Scan {-1,+1}^N in mirror pairs; the fields are z^mu.w (pass z already divided by sqrt(N)).

    Returns ``(best, count)``: ``best`` = max over w of min_mu z^mu.w, or the first value found
    above ``stop_above`` (the scan then stops), and ``count`` = number of w with every field
    above ``threshold`` among those visited.
    """
    P, N = z.shape
    b = min(N - 1, _LOW_BITS)
    h = N - 1 - b
    table = np.empty((1 << b, P))
    for j in range(1 << b):
        for mu in range(P):
            s = 0.0
            for i in range(b):
                s += z[mu, i] if (j >> i) & 1 else -z[mu, i]
            table[j, mu] = s
    outer = np.empty(P)
    best = -np.inf
    count = 0
    for k in range(1 << h):
        for mu in range(P):
            s = z[mu, N - 1]
            for i in range(h):
                s += z[mu, b + i] if (k >> i) & 1 else -z[mu, b + i]
            outer[mu] = s
        for j in range(1 << b):
            # w matters if its worst field could exceed `level` (be counted, or raise best)
            level = min(best, threshold)
            lo = np.inf
            hi = -np.inf
            relevant = True
            for mu in range(P):
                f = outer[mu] + table[j, mu]
                lo = min(lo, f)
                hi = max(hi, f)
                if lo <= level and hi >= -level:
                    relevant = False
                    break
            if relevant:
                count += (lo > threshold) + (-hi > threshold)
                if max(lo, -hi) > best:
                    best = max(lo, -hi)
                    if best > stop_above:
                        return best, count
    return best, count


def _as_small_instance(patterns: ArrayLike) -> np.ndarray:
    z = as_patterns(patterns)
    if z.shape[1] > MAX_ENUMERATION_N:
        raise ValueError(
            f"N (patterns.shape[1]) must be <= {MAX_ENUMERATION_N} for exact enumeration, got {z.shape[1]}"
        )
    return z


def binary_max_margin(patterns: ArrayLike, *, stop_above: float = np.inf) -> float:
    r"""Largest margin over binary weights, :math:`\max_{w\in\{\pm1\}^N}\min_\mu z^\mu\cdot w/\sqrt N`.

    The instance is solvable at margin :math:`\kappa` (all fields :math:`> \kappa`) iff the result
    exceeds :math:`\kappa` (Gardner & Derrida 1988; Krauth & Mézard 1989).

    Parameters
    ----------
    patterns
        ``(P, N)`` array of :math:`z^\mu = y^\mu x^\mu`, ``N <= 30``.
    stop_above
        Stop at the first ``w`` whose margin exceeds this value and return that margin (then only
        a lower bound on the maximum). ``stop_above = kappa`` turns the call into the solvability
        test at ``kappa`` with early exit; the default scans everything.

    Returns
    -------
    float
        The maximal margin, or, after an early stop, a margin ``> stop_above``.
    """
    z = _as_small_instance(patterns)
    if np.ndim(stop_above) != 0 or isinstance(stop_above, bool):
        raise TypeError(f"stop_above must be a real number or +inf, got {brief(stop_above)}")
    try:
        stop = float(stop_above)
    except (TypeError, ValueError):
        raise TypeError(f"stop_above must be a real number or +inf, got {brief(stop_above)}") from None
    if np.isnan(stop):
        raise ValueError("stop_above must be a number or +inf, got nan")
    best, _ = _enumerate(z / np.sqrt(z.shape[1]), np.inf, stop)
    return float(best)


def count_binary_solutions(patterns: ArrayLike, *, kappa: float = 0.0) -> int:
    r"""Number of :math:`w\in\{\pm1\}^N` with :math:`z^\mu\cdot w/\sqrt N > \kappa` for every :math:`\mu`.

    Full enumeration (no early exit). :math:`\kappa` may be negative. The logarithm of this count
    divided by N is the finite-N version of the Gardner-Derrida entropy :math:`s(\alpha)`.
    """
    z = _as_small_instance(patterns)
    _, count = _enumerate(z / np.sqrt(z.shape[1]), as_real_scalar("kappa", kappa), np.inf)
    return int(count)
