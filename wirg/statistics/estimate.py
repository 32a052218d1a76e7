r"""Batch estimates of field statistics with block-jackknife standard errors.

Every statistic of :mod:`wirg.statistics` is a smooth function :math:`\theta = f(\bar a)` of the
means over the batch of per-field quantities :math:`a_i` (spatial averages of one field
:math:`\varphi_i`: its periodogram in a shell, its histogram, its wavelet moments, ...). The
estimate is :math:`f(\bar a)` and its standard error the delete-a-block jackknife
(Efron, "The jackknife, the bootstrap and other resampling plans", SIAM 1982, ch. 3),

.. math::
    \sigma^2 = \frac{B - 1}{B}\sum_{b=1}^{B}\big(\theta_{(b)} - \bar\theta_{(\cdot)}\big)^2,\qquad
    \theta_{(b)} = f(\bar a_{(b)}),

with :math:`\bar a_{(b)}` the mean without the ``b``-th of ``B`` contiguous blocks of fields. For a
linear :math:`f` and ``B = n`` it is the standard error of the mean, :math:`s/\sqrt n`.

**Correlations.** The fields of a batch are the independent units: correlations between the pixels of
one field (the reason a pixel-level error would be far too small) are inside each :math:`a_i`. Fields
from a Markov chain are correlated with their neighbours in the batch: the default ``n_blocks = n``
(leave one out) assumes they are not (independent generation, or a chain thinned by
:math:`2\tau_{\rm int}`, as :func:`wirg.lattice_phi4.phi4` does by default); otherwise pass
``n_blocks`` so that a block spans several :math:`2\tau_{\rm int}`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.result import freeze_arrays
from wirg.checks import count, real_array

__all__ = ["Estimate", "as_fields", "block_count", "jackknife"]


@dataclass(frozen=True)
class Estimate:
    """A vector statistic of a batch of fields, with its jackknife standard error.

    Attributes
    ----------
    name
        What is estimated (e.g. ``"power spectrum"``).
    x
        Abscissa of each component (the shell's :math:`|k|`, the bin centre, the threshold, ...).
    labels
        One short description per component (used in :func:`wirg.statistics.compare_fields`).
    value, error
        The estimate and its standard error, same shape as ``x``.
    n_samples
        Fields in the batch.

    The arrays are read-only.
    """

    name: str
    x: np.ndarray
    labels: tuple[str, ...]
    value: np.ndarray
    error: np.ndarray
    n_samples: int

    def __post_init__(self) -> None:
        freeze_arrays(self)


def as_fields(fields: object, *, minimum: int = 2) -> np.ndarray:
    """A batch of square fields (n, L, L) as finite float64, n >= ``minimum``; an object holding them as
    ``fields`` (:class:`wirg.lattice_phi4.Phi4Samples`, :class:`wirg.datasets.Dataset`) is accepted."""
    if not isinstance(fields, np.ndarray) and hasattr(fields, "fields"):
        fields = fields.fields
    arr = real_array("fields", fields)  # type: ignore[arg-type]
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2] or arr.shape[1] < 2:
        raise ValueError(f"fields must have shape (n_samples, L, L) with L >= 2, got {arr.shape}")
    if arr.shape[0] < minimum:
        raise ValueError(f"fields must hold >= {minimum} fields along the first axis, got {arr.shape[0]}")
    return arr


def block_count(n_blocks: object, n: int) -> int:
    """The number of jackknife blocks: ``n`` by default, else an integer in [2, n]."""
    if n_blocks is None:
        return n
    blocks = count("n_blocks", n_blocks, minimum=2)
    if blocks > n:
        raise ValueError(f"n_blocks must be <= the number of fields ({n}), got {blocks}")
    return blocks


def jackknife(
    per_field: tuple[ArrayLike, ...],
    func: Callable[..., np.ndarray],
    n_blocks: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Estimate :math:`f(\bar a)` and its delete-a-block jackknife error (module docstring).

    Parameters
    ----------
    per_field
        Arrays :math:`a^{(1)}, a^{(2)}, \dots` of shape (n, ...), one row per field.
    func
        :math:`f`, called with the means (one per array) and vectorised over a leading axis: given
        arrays (B, ...) it returns (B, m).
    n_blocks
        Number of contiguous blocks ``B`` (validated by the caller), default ``n``.

    Returns
    -------
    value, error : numpy.ndarray
        Shape (m,).
    """
    arrays = [np.asarray(a, dtype=float) for a in per_field]
    n = arrays[0].shape[0]
    B = n if n_blocks is None else n_blocks
    edges = np.linspace(0, n, B + 1).astype(int)
    left = n - np.diff(edges)
    with np.errstate(all="ignore"):  # a degenerate block gives NaN, reported as a NaN error
        means = [a.mean(axis=0)[None] for a in arrays]
        deleted = [
            (a.sum(axis=0)[None] - np.add.reduceat(a, edges[:-1], axis=0)) / left.reshape((B,) + (1,) * (a.ndim - 1))
            for a in arrays
        ]
        value = np.asarray(func(*means), dtype=float)[0]
        replicas = np.asarray(func(*deleted), dtype=float)
        error = np.sqrt((B - 1) / B * np.sum((replicas - replicas.mean(axis=0)) ** 2, axis=0))
    return value, error
