r"""The azimuthally averaged power spectrum of a batch of fields.

With :math:`\hat\varphi_k = \sum_x\varphi_x e^{-ik\cdot x}` (``numpy.fft.fft2``) on the periodic
:math:`L\times L` lattice, the periodogram :math:`|\hat\varphi_k|^2/L^2` has expectation :math:`S(k)`,
the spectrum of :mod:`wirg.fields`. Shell :math:`m = 1, \dots, \lfloor L/\sqrt2\rceil` holds the
momenta with :math:`\operatorname{round}(|n|) = m`, :math:`k = 2\pi n/L` (:math:`|k|L/2\pi \in
[m - \frac12, m + \frac12)`); the zero mode (shell 0) is left out. Per field the periodogram is
averaged over each shell; the estimate is the mean over the batch, its error the jackknife of
:mod:`wirg.statistics.estimate` (the standard error of the mean over fields).

References
----------
F. Guth, E. Lempereur, J. Bruna & S. Mallat, "Conditionally strongly log-concave generative models",
ICML 2023 (arXiv:2306.00181), fig. 3; the theory page ``docs/theory/wirg.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.result import freeze_arrays
from wirg.checks import check_memory, count, real_array
from wirg.statistics.estimate import Estimate, as_fields, block_count, jackknife

__all__ = ["Shells", "power_spectrum", "radial_shells"]


@dataclass(frozen=True)
class Shells:
    r"""The shells :math:`|k|L/2\pi \in [m - \frac12, m + \frac12)`, :math:`m \ge 1`, of the FFT grid of side ``L``.

    Attributes
    ----------
    L
        Lattice side.
    k
        :math:`|k| = 2\pi m/L` of each shell, shape (n_shells,).
    index
        Shell of every momentum of the FFT grid (numpy FFT order), shape (L, L); 0 is the zero mode.
    counts
        Momenta per shell, shape (n_shells,).
    """

    L: int
    k: np.ndarray
    index: np.ndarray
    counts: np.ndarray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def average(self, values: ArrayLike) -> np.ndarray:
        """Mean over each shell of ``values`` (..., L, L) on the FFT grid: shape (..., n_shells)."""
        arr = real_array("values", values)
        if arr.shape[-2:] != (self.L, self.L):
            raise ValueError(f"values must have shape (..., {self.L}, {self.L}), got {arr.shape}")
        order = np.argsort(self.index.ravel(), kind="stable")
        flat = arr.reshape(arr.shape[:-2] + (-1,))[..., order]
        starts = np.concatenate([[0], np.cumsum(np.bincount(self.index.ravel()))[:-1]])
        return np.add.reduceat(flat, starts, axis=-1)[..., 1:] / self.counts


def radial_shells(L: int) -> Shells:
    """The :class:`Shells` of the :math:`L\\times L` lattice, :math:`L \\ge 2`."""
    L = count("L", L, minimum=2)
    check_memory(f"the shells of the {L} x {L} lattice", "L", 32 * L * L)
    n = np.fft.fftfreq(L) * L
    index = np.rint(np.hypot.outer(n, n)).astype(int)
    counts = np.bincount(index.ravel())[1:]
    return Shells(L=L, k=2.0 * np.pi * np.arange(1, counts.size + 1) / L, index=index, counts=counts)


def power_spectrum(fields: object, *, n_blocks: int | None = None) -> Estimate:
    r"""Azimuthally averaged power spectrum :math:`\langle|\hat\varphi_k|^2\rangle/L^2` per shell (module docstring).

    Parameters
    ----------
    fields
        Batch (n_samples, L, L), n_samples >= 2, or an object holding it as ``fields``.
    n_blocks
        Jackknife blocks (:mod:`wirg.statistics.estimate`), default n_samples.

    Returns
    -------
    Estimate
        ``x`` the shells' :math:`|k|`, ``value`` the mean shell power, ``error`` its standard error.
    """
    phi = as_fields(fields)
    B = block_count(n_blocks, phi.shape[0])
    L = phi.shape[-1]
    shells = radial_shells(L)
    with np.errstate(over="ignore", invalid="ignore"):
        transform = np.fft.fft2(phi)
        periodogram = (transform.real**2 + transform.imag**2) / L**2
    if not np.all(np.isfinite(periodogram)):
        raise ValueError("fields: the power spectrum overflows float64 (values too large)")
    per_field = shells.average(periodogram)
    value, error = jackknife((per_field,), lambda a: a, B)
    labels = tuple(f"|k| L / 2 pi = {m}" for m in range(1, shells.k.size + 1))
    return Estimate("power spectrum", shells.k, labels, value, error, phi.shape[0])
