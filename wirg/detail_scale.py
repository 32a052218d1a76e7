r"""The local scale of the details as a function of the coarse value: :math:`\sigma(t)`, for a conditional whose
whole quadratic form follows the local level of the field.

A field whose fluctuations grow with its level (a shifted lognormal, :math:`\kappa = \lambda(e^{g - \sigma_g^2/2}
- 1)`, fluctuates in proportion to :math:`1 + \kappa/\lambda`) has details of variance :math:`\propto\sigma(\varphi_j)^2`
and *the same correlations* between neighbouring details at every level: measured on 64 x 64 fields at
:math:`\lambda = 10` (finest scale, six quantile bins of the coarse value), the detail variance rises by a factor of
1.75 while the correlation of neighbouring details stays at 0.18-0.21. A stiffness that follows the level on the
diagonal only (:class:`wirg.ansatz.QuadraticAnsatz` ``modulation``) then distorts those correlations (0.16 to 0.25
across the same bins), and the counts of local maxima fail. Writing the quadratic part in the rescaled details
:math:`\chi_c(k) = \bar\psi_c(k)/\sigma(\varphi_j(k))` and coarse field :math:`\varphi_j(k)/\sigma(\varphi_j(k))`
keeps the couplings, and so the correlations, the same at every level, and the energy linear in the parameters
(:math:`\sigma` is fixed, a function of the clamped coarse field).

:class:`DetailScale` is piecewise linear in :math:`t` between knots and constant beyond them;
:meth:`DetailScale.from_data` takes it from data pairs: the per-channel normalised squared details averaged in
quantile bins of the coarse value, their square roots at the bins' medians, normalised to geometric mean 1 (the
overall scale belongs to the couplings).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from wirg.checks import count, real_array, show

__all__ = ["DetailScale"]

_MATCH_ITERATIONS = 30


class DetailScale:
    r""":math:`\sigma(t) > 0`, piecewise linear between ``knots`` (strictly increasing, at least 2) with the given
    ``values``, constant beyond the end knots (module docstring)."""

    def __init__(self, knots: ArrayLike, values: ArrayLike) -> None:
        t = real_array("knots", knots)
        v = real_array("values", values)
        if t.ndim != 1 or t.size < 2:
            raise ValueError(f"knots must be a 1-D array of at least 2 numbers, got shape {t.shape}")
        if v.shape != t.shape:
            raise ValueError(f"values must have the shape of knots {t.shape}, got {v.shape}")
        if not np.all(np.diff(t) > 0.0):
            raise ValueError("knots must be strictly increasing")
        if not np.all(v > 0.0):
            raise ValueError("values must be positive: they are the details' local scales")
        self.knots, self.values = t.copy(), v.copy()
        self._slopes = np.diff(v) / np.diff(t)

    def sigma(self, t: np.ndarray) -> np.ndarray:
        r""":math:`\sigma(t)`, the shape of ``t``."""
        return np.interp(t, self.knots, self.values)

    def weight(self, t: np.ndarray) -> np.ndarray:
        r""":math:`w(t) = 1/\sigma(t)`, the factor of the rescaled details."""
        return 1.0 / self.sigma(t)

    def weight_derivative(self, t: np.ndarray) -> np.ndarray:
        r""":math:`w'(t) = -\sigma'(t)/\sigma(t)^2` (0 beyond the end knots; the right derivative at a knot)."""
        segment = np.searchsorted(self.knots, t, side="right") - 1
        inside = (segment >= 0) & (segment < self.knots.size - 1)
        slope = np.where(inside, self._slopes[np.clip(segment, 0, self._slopes.size - 1)], 0.0)
        return -slope / self.sigma(t) ** 2

    @classmethod
    def from_data(cls, phi_j: ArrayLike, psibar_j: ArrayLike, n_bins: int = 20) -> DetailScale:
        r"""From data pairs ``phi_j`` (S, n, n) and ``psibar_j`` (S, 3, n, n): in ``n_bins`` quantile bins of the
        coarse value, the root mean square over the bin's sites and the channels of
        :math:`\bar\psi_c/\sqrt{\mathrm{Var}\,\bar\psi_c}`; the knots at the bins' median coarse values, and the
        values those of the piecewise-linear :math:`\sigma` whose own root mean square over each bin's coarse values
        is the data's (a few fixed-point sweeps: the value at a bin's median is not its root mean square where
        :math:`\sigma` curves, 9% off in the outer bins of :math:`e^{t/2}`); normalised to geometric mean 1.
        """
        phi = real_array("phi_j", phi_j)
        psi = real_array("psibar_j", psibar_j)
        if psi.ndim != 4 or psi.shape[1] != 3 or phi.shape != (psi.shape[0],) + psi.shape[2:]:
            raise ValueError(
                f"psibar_j must have shape (S, 3, n, n) and phi_j (S, n, n) to match, got {psi.shape} and {phi.shape}"
            )
        n_bins = count("n_bins", n_bins, minimum=2)
        if phi.size < 10 * n_bins:
            raise ValueError(f"n_bins: {n_bins} bins need at least {10 * n_bins} coarse values, got {phi.size}")
        variances = (psi**2).mean(axis=(0, 2, 3))
        if not np.all(variances > 0.0):
            raise ValueError("psibar_j: a detail channel is identically zero")
        squares = np.einsum("scyx,c->syx", psi**2, 1.0 / variances).ravel() / 3.0
        values = phi.ravel()
        order = np.argsort(values, kind="stable")
        bins = np.array_split(order, n_bins)
        knots = np.array([np.median(values[b]) for b in bins])
        observed = np.sqrt(np.array([squares[b].mean() for b in bins]))
        if not np.all(np.diff(knots) > 0.0):
            raise ValueError(f"phi_j: the medians of {n_bins} quantile bins coincide (too few distinct values)")
        scales = observed.copy()
        for _ in range(_MATCH_ITERATIONS):  # the interpolant's own bin RMS matched to the data's
            predicted = np.sqrt(np.array([np.mean(np.interp(values[b], knots, scales) ** 2) for b in bins]))
            scales *= observed / predicted
        return cls(knots, scales / np.exp(np.log(scales).mean()))

    def to_dict(self) -> dict:
        return {"knots": self.knots.tolist(), "values": self.values.tolist()}

    @classmethod
    def from_dict(cls, d: object) -> DetailScale:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(d, dict) or set(d) != {"knots", "values"}:
            raise TypeError(f"d must be a dict with the keys 'knots' and 'values' (DetailScale.to_dict), got {show(d)}")
        return cls(d["knots"], d["values"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DetailScale) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))

    def __repr__(self) -> str:
        return (
            f"DetailScale({self.knots.size} knots in [{self.knots[0]:.4g}, {self.knots[-1]:.4g}], "
            f"sigma in [{self.values.min():.3g}, {self.values.max():.3g}])"
        )
