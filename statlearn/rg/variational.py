r"""Measurements of the Mehta-Schwab experiment: locality of receptive fields, majority-rule block spins.

Mehta & Schwab (arXiv:1410.3831 (2014)) map variational RG onto RBMs: a coarse-graining
:math:`T_\lambda(v, h)` defines the renormalised Hamiltonian :math:`e^{-H^{\rm RG}[h]} = \sum_v
e^{T_\lambda(v, h) - H[v]}`, and the choice :math:`T_\lambda = -E(v, h) + H[v]` makes it the RBM's
hidden free energy :math:`H^{\rm RBM}[h]`. Their stacks of RBMs trained on 2-D Ising configurations near
:math:`T_c` show receptive fields that look like blocks; the functions here turn that impression into numbers.
All take arrays (data, receptive fields, activities) and return arrays; nothing is trained here.

**Locality** of a receptive field :math:`w` on the periodic :math:`L \times L` lattice
(:func:`receptive_field_locality`): its centre of mass :math:`c` of the weights :math:`|w_x|`, taken along
each axis on the circle, :math:`c_1 = \frac{L}{2\pi}\arg\sum_x |w_x| e^{2\pi i x_1/L}` (so a field across
the boundary has its centre there); the fraction of :math:`|w|` within radius r of c,

.. math:: f_r = \sum_{x:\,d(x, c) \le r} |w_x| \Big/ \sum_x |w_x|,

with :math:`d` the periodic Euclidean distance (a delta: 1 at r = 0; a uniform field: the area fraction),
and the inverse participation ratio :math:`{\rm IPR} = \sum_x w_x^4 / (\sum_x w_x^2)^2` (1 for a delta,
1/N for a uniform field). :func:`random_field_locality` is the reference of a structureless field: the same
measures on independent Gaussian weights of the same shape.

**Block spins** (:func:`block_spins`): the majority rule on b x b blocks, :math:`B = \mathrm{sign}\sum_{x \in
{\rm block}} s_x`, ties (even :math:`b^2`) broken by a fair coin from the seed (Kadanoff's construction;
Niemeijer & van Leeuwen, Physica 71, 1 (1974)). :func:`block_spin_correlation`: the Pearson correlation of
every hidden unit's activity with every block spin; per unit its largest :math:`|\rho|` over the blocks,
where that block is, and (given the receptive fields' centres) whether the centre lies in it. The block size
matching layer l of a stack on N visible units is :math:`b = \sqrt{N / N_l}` (:func:`matching_block_size`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar

__all__ = [
    "BlockCorrelation",
    "Locality",
    "block_spin_correlation",
    "block_spins",
    "matching_block_size",
    "periodic_centre",
    "random_field_locality",
    "receptive_field_locality",
]


def _side(n: int, name: str) -> int:
    L = math.isqrt(n)
    if L * L != n:
        raise ValueError(f"{name} must describe a square lattice: {n} sites is not L^2")
    return L


def _as_fields(fields: ArrayLike) -> tuple[np.ndarray, int]:
    """Receptive fields (n_visible, n_units), n_visible = L^2, as (n_units, L, L) and L."""
    w = as_real_array("fields", fields)
    if w.ndim != 2 or w.shape[0] < 1 or w.shape[1] < 1:
        raise ValueError(f"fields must have shape (n_visible, n_units) with n_visible = L^2, got {np.shape(fields)}")
    L = _side(w.shape[0], "fields")
    return w.T.reshape(-1, L, L), L


def periodic_centre(weights: np.ndarray) -> np.ndarray:
    r"""Centre of mass of non-negative ``weights`` (n, L, L) on the periodic lattice: (n, 2), in [0, L).

    Along each axis :math:`c = \frac{L}{2\pi}\arg\sum_x w_x e^{2\pi i x/L}` (mod L); a field with no
    preferred position along an axis (the sum is 0) gets 0 there.
    """
    w = np.asarray(weights, dtype=float)
    L = w.shape[-1]
    phase = np.exp(2j * np.pi * np.arange(L) / L)
    centre = []
    for axis in (-2, -1):
        profile = w.sum(axis=-1 if axis == -2 else -2)  # the weight on each row (axis -2) or column (axis -1)
        z = profile @ phase
        angle = np.where(np.abs(z) > 1e-12 * profile.sum(axis=-1), np.angle(z), 0.0)
        centre.append(np.mod(angle * L / (2 * np.pi), L))
    return np.stack(centre, axis=-1)


def _periodic_distance(L: int, centre: np.ndarray) -> np.ndarray:
    """Distance of every site of the L x L torus from each centre (n, 2): (n, L, L)."""
    x = np.arange(L)
    d = [np.abs(x[None, :] - centre[:, i, None]) for i in (0, 1)]
    d = [np.minimum(di, L - di) for di in d]
    return np.sqrt(d[0][:, :, None] ** 2 + d[1][:, None, :] ** 2)


@dataclass(frozen=True)
class Locality:
    """Per-unit locality of receptive fields (:func:`receptive_field_locality`).

    ``fraction``: share of :math:`|w|` within ``radius`` of the centre; ``ipr``: inverse participation ratio;
    ``centre``: (n_units, 2) periodic centres of mass (row, column); ``L``: the lattice side.
    """

    fraction: np.ndarray
    ipr: np.ndarray
    centre: np.ndarray
    radius: float
    L: int

    def __post_init__(self) -> None:
        freeze_arrays(self)


def receptive_field_locality(fields: ArrayLike, radius: float) -> Locality:
    """Locality of every column of ``fields`` (n_visible = L^2, n_units) within ``radius`` >= 0 (module docstring).

    A column of zeros has no centre and is refused.
    """
    w, L = _as_fields(fields)
    r = as_real_scalar("radius", radius, minimum=0.0, maximum=float(L))
    scale = np.abs(w).max(axis=(1, 2))
    if np.any(scale == 0):
        raise ValueError(f"fields: column {int(np.argmin(scale))} is all zeros, so it has no centre")
    a = np.abs(w) / scale[:, None, None]  # each field scaled to max 1: no overflow in the sums and powers below
    total = a.sum(axis=(1, 2))
    centre = periodic_centre(a)
    inside = _periodic_distance(L, centre) <= r + 1e-9
    fraction = (a * inside).sum(axis=(1, 2)) / total
    ipr = (a**4).sum(axis=(1, 2)) / (a**2).sum(axis=(1, 2)) ** 2
    return Locality(fraction=fraction, ipr=ipr, centre=centre, radius=r, L=L)


def random_field_locality(n_visible: int, n_units: int, radius: float, *, seed: Any = 0) -> Locality:
    """:func:`receptive_field_locality` of independent standard Gaussian fields (n_visible, n_units): the
    reference value of a receptive field with no structure."""
    n_v = as_count("n_visible", n_visible, minimum=1, maximum=10**6)
    n_u = as_count("n_units", n_units, minimum=1, maximum=10**5)
    if n_v * n_u > 10**8:
        raise ValueError(f"n_visible * n_units must be <= 1e8 (memory), got {n_v} * {n_u}")
    _side(n_v, "n_visible")
    return receptive_field_locality(as_generator(seed).standard_normal((n_v, n_u)), radius)


def matching_block_size(n_visible: int, n_hidden: int) -> int:
    """:math:`b = \\sqrt{N_{\\rm visible} / N_l}`: the block size whose block spins are as many as the units."""
    n_v = as_count("n_visible", n_visible, minimum=1)
    n_h = as_count("n_hidden", n_hidden, minimum=1)
    b = math.isqrt(n_v // n_h)
    if n_v % n_h or b * b * n_h != n_v:
        raise ValueError(f"n_hidden must be n_visible / b^2 for an integer b, got {n_v} visible and {n_h} hidden")
    return b


def _as_spins(spins: ArrayLike) -> np.ndarray:
    """Ising configurations (n, L, L) or (n, L^2) of +-1 as float (n, L, L)."""
    s = as_real_array("spins", spins)
    if s.ndim == 2 and s.shape[1] > 0:
        s = s.reshape(s.shape[0], _side(s.shape[1], "spins"), -1)
    if s.ndim != 3 or s.shape[0] < 1 or s.shape[1] != s.shape[2] or s.shape[1] < 1:
        raise ValueError(f"spins must have shape (n, L, L) or (n, L^2), got {np.shape(spins)}")
    if not np.all(np.abs(s) == 1.0):
        raise ValueError(f"spins must be +-1, got the value {s[np.abs(s) != 1.0].ravel()[0]!r}")
    return s


def block_spins(spins: ArrayLike, b: int, *, seed: Any = 0) -> np.ndarray:
    """Majority-rule block spins of b x b blocks of ``spins`` ((n, L, L) or (n, L^2), +-1; b divides L):
    (n, L/b, L/b) of +-1, ties broken by fair coins drawn from ``seed`` (the same seed, the same blocks)."""
    s = _as_spins(spins)
    n, L = s.shape[0], s.shape[1]
    b = as_count("b", b, minimum=1, maximum=L)
    if L % b:
        raise ValueError(f"b must divide the lattice side L = {L}, got {b}")
    total = s.reshape(n, L // b, b, L // b, b).sum(axis=(2, 4))
    coins = np.where(as_generator(seed).random(total.shape) < 0.5, -1.0, 1.0)
    return np.where(total > 0, 1.0, np.where(total < 0, -1.0, coins))


@dataclass(frozen=True)
class BlockCorrelation:
    """Correlations of hidden units with block spins (:func:`block_spin_correlation`).

    ``correlation``: (n_units, n_blocks) Pearson correlations (0 for a constant unit or block);
    ``max_abs``: per unit the largest :math:`|\\rho|`; ``best_block``: (n_units, 2) row and column of that
    block; ``aligned``: per unit whether its receptive field's centre lies in that block (empty without
    centres); ``b``: the block size.
    """

    correlation: np.ndarray
    max_abs: np.ndarray
    best_block: np.ndarray
    aligned: np.ndarray
    b: int

    def __post_init__(self) -> None:
        freeze_arrays(self)


def block_spin_correlation(
    activity: ArrayLike, spins: ArrayLike, b: int, *, centres: ArrayLike | None = None, seed: Any = 0
) -> BlockCorrelation:
    """Correlation of every hidden unit with every majority-rule block spin of block size ``b``.

    Parameters
    ----------
    activity
        (n, n_units): the units' activities on the n configurations (samples or means given the data).
    spins
        The n configurations, (n, L, L) or (n, L^2) of +-1.
    b
        Block size (divides L); ties of the majority rule broken from ``seed``.
    centres
        Optional (n_units, 2) receptive-field centres (:attr:`Locality.centre`) in lattice units.
    """
    blocks = block_spins(spins, b, seed=seed)
    n, side = blocks.shape[0], blocks.shape[1]
    a = as_real_array("activity", activity)
    if a.ndim != 2 or a.shape[0] != n or a.shape[1] < 1:
        raise ValueError(f"activity must have shape (n, n_units) with n = {n} configurations, got {np.shape(activity)}")
    B = blocks.reshape(n, -1)

    def standardised(x: np.ndarray) -> np.ndarray:
        scale = np.abs(x).max(axis=0)
        x = x / np.where(scale > 0, scale, 1.0)  # no overflow in the moments below
        x = x - x.mean(axis=0)
        norm = np.sqrt((x**2).sum(axis=0))
        return x / np.where(norm > 0, norm, np.inf)

    corr = standardised(a).T @ standardised(B)
    best = np.argmax(np.abs(corr), axis=1)
    best_block = np.stack([best // side, best % side], axis=1)
    aligned = np.zeros(0, dtype=bool)
    if centres is not None:
        c = as_real_array("centres", centres, minimum=0.0)
        if c.shape != (a.shape[1], 2):
            raise ValueError(
                f"centres must have shape ({a.shape[1]}, 2), one per unit of activity, got {np.shape(centres)}"
            )
        if np.any(c >= side * b):
            raise ValueError(f"centres must lie in [0, L = {side * b}), got {c.max()!r}")
        aligned = np.all(np.floor(c / b).astype(int) == best_block, axis=1)
    return BlockCorrelation(
        correlation=corr, max_abs=np.abs(corr).max(axis=1), best_block=best_block, aligned=aligned, b=b
    )
