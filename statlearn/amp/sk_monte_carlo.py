r"""Parallel-tempering Monte Carlo of a Sherrington-Kirkpatrick instance.

For :math:`H(s) = -\sum_{i<j}J_{ij}s_is_j - h\sum_i s_i` (the instance of :func:`statlearn.amp.sk.sk_couplings`)
at inverse temperatures :math:`\beta_1 < \dots < \beta_K`, two independent copies of the tempering ladder
(needed for the overlap :math:`q = s^{(1)}\cdot s^{(2)}/N` between real replicas) run:

- one Metropolis sweep per temperature (N single-spin flips in order, acceptance
  :math:`\min(1, e^{-\beta\Delta E})` with :math:`\Delta E = 2 s_i (g_i + h)`, the local fields
  :math:`g = J s` updated after every accepted flip);
- then exchanges of neighbouring temperatures, :math:`k = 1 \dots K-1` in order, accepted with
  :math:`\min(1, e^{(\beta_{k+1} - \beta_k)(E_{k+1} - E_k)})` (Hukushima & Nemoto, J. Phys. Soc. Jpn. 65,
  1604 (1996)).

After ``thermalization`` such steps, every step records the energy per spin at every temperature (both
copies) and the overlap of the copies. For the ground state, every step also quenches a copy of each ladder's
coldest replica to zero temperature (single-spin flips that lower the energy, in order, until none is left: a
local minimum) and keeps the lowest energy of any replica or quench (an upper bound on the instance's
ground-state energy). The quench draws no random numbers, so the recorded series do not depend on it.
The kernel is numba with the xoshiro256++ generator of :mod:`statlearn.numerics.rng` seeded by the integer
``seed``: a seed gives the same run
bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike

from statlearn.amp.sk import check_couplings
from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.rng import next_double, seed_state
from statlearn.numerics.seeding import check_seed
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar

__all__ = ["SKMonteCarloResult", "sk_parallel_tempering"]

MAX_SWEEPS = 10**8
"""Largest ``n_sweeps``/``thermalization`` (bounded up front)."""

N_BLOCKS = 20
"""Blocks of the recorded series for the standard errors of the mean energies."""


@dataclass(frozen=True)
class SKMonteCarloResult:
    """Outcome of :func:`sk_parallel_tempering`.

    Attributes
    ----------
    betas
        The inverse temperatures, increasing.
    energy, energy_stderr
        Mean energy per spin at every temperature (both copies, all recorded steps) and its standard
        error from :data:`N_BLOCKS` block means.
    energies
        The recorded energies per spin, shape ``(n_sweeps, 2, K)``.
    overlaps
        The overlap of the two copies at every recorded step and temperature, shape ``(n_sweeps, K)``.
    min_energy
        The lowest energy per spin of any replica, or of the zero-temperature quench of either copy's coldest
        replica, during the whole run (thermalization included): an upper bound on the ground-state energy.
    swap_acceptance
        Acceptance of the exchanges between temperatures k and k+1 (length K - 1).
    converged, iterations, residual, message
        ``True`` (a simulation run to its horizon), the steps done (thermalisation and recorded),
        ``nan``, and the standard message.

    Arrays are read-only.
    """

    betas: np.ndarray
    energy: np.ndarray
    energy_stderr: np.ndarray
    energies: np.ndarray
    overlaps: np.ndarray
    min_energy: float
    swap_acceptance: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


@numba.njit(cache=True)
def _sweep(J: np.ndarray, h: float, beta: float, s: np.ndarray, g: np.ndarray, state: np.ndarray) -> float:
    """One Metropolis sweep in order; returns the change of the energy."""
    N = s.size
    change = 0.0
    for i in range(N):
        delta = 2.0 * s[i] * (g[i] + h)
        if delta <= 0.0 or next_double(state) < math.exp(-beta * delta):
            s[i] = -s[i]
            change += delta
            two_s = 2.0 * s[i]
            for j in range(N):
                g[j] += two_s * J[i, j]  # J symmetric: read row i
    return change


@numba.njit(cache=True)
def _quench(J: np.ndarray, h: float, s: np.ndarray, g: np.ndarray, energy: float) -> float:
    """Zero-temperature descent of ``s`` (fields ``g = J s``) in place to a single-flip local minimum; returns
    its energy."""
    N = s.size
    flipped = True
    while flipped:
        flipped = False
        for i in range(N):
            delta = 2.0 * s[i] * (g[i] + h)
            if delta < 0.0:
                s[i] = -s[i]
                energy += delta
                flipped = True
                two_s = 2.0 * s[i]
                for j in range(N):
                    g[j] += two_s * J[i, j]
    return energy


@numba.njit(cache=True)
def _tempering(
    J: np.ndarray,
    h: float,
    betas: np.ndarray,
    n_steps: int,
    thermalization: int,
    state: np.ndarray,
    energies: np.ndarray,
    overlaps: np.ndarray,
    swaps: np.ndarray,
) -> float:
    N = J.shape[0]
    K = betas.size
    spins = np.empty((2, K, N))
    fields = np.empty((2, K, N))
    energy = np.empty((2, K))
    where = np.empty((2, K), dtype=np.int64)  # where[c, k]: the replica at temperature k
    quenched = np.empty(N)
    quenched_fields = np.empty(N)
    lowest = np.inf
    for c in range(2):
        for r in range(K):
            for i in range(N):
                spins[c, r, i] = 1.0 if next_double(state) < 0.5 else -1.0
            fields[c, r] = J @ spins[c, r]
            energy[c, r] = -0.5 * spins[c, r] @ fields[c, r] - h * np.sum(spins[c, r])
            where[c, r] = r
    for step in range(thermalization + n_steps):
        for c in range(2):
            for k in range(K):
                r = where[c, k]
                energy[c, r] += _sweep(J, h, betas[k], spins[c, r], fields[c, r], state)
                lowest = min(lowest, energy[c, r])
            for k in range(K - 1):
                a, b = where[c, k], where[c, k + 1]
                x = (betas[k + 1] - betas[k]) * (energy[c, b] - energy[c, a])
                if x >= 0.0 or next_double(state) < math.exp(x):
                    where[c, k], where[c, k + 1] = b, a
                    if step >= thermalization:
                        swaps[k] += 1
            r = where[c, K - 1]
            quenched[:] = spins[c, r]
            quenched_fields[:] = fields[c, r]
            lowest = min(lowest, _quench(J, h, quenched, quenched_fields, energy[c, r]))
        if step >= thermalization:
            t = step - thermalization
            for k in range(K):
                for c in range(2):
                    energies[t, c, k] = energy[c, where[c, k]] / N
                overlaps[t, k] = spins[0, where[0, k]] @ spins[1, where[1, k]] / N
    return lowest / N


def sk_parallel_tempering(
    J: ArrayLike,
    betas: ArrayLike,
    h: float = 0.0,
    *,
    n_sweeps: int = 1000,
    thermalization: int = 1000,
    seed: int,
) -> SKMonteCarloResult:
    """Parallel tempering of the SK instance ``J`` (module docstring) at the increasing inverse
    temperatures ``betas`` (at least 2, all > 0), recording ``n_sweeps`` steps after ``thermalization``."""
    J = check_couplings(J)
    betas = as_real_array("betas", betas, minimum=0.0, strict_minimum=True, maximum=1e3)
    if betas.ndim != 1 or betas.size < 2 or np.any(np.diff(betas) <= 0):
        raise ValueError("betas must be an increasing 1-d array of at least 2 inverse temperatures")
    h = as_real_scalar("h", h, minimum=-1e3, maximum=1e3)
    n_sweeps = as_count("n_sweeps", n_sweeps, minimum=N_BLOCKS, maximum=MAX_SWEEPS)
    thermalization = as_count("thermalization", thermalization, maximum=MAX_SWEEPS)
    seed = check_seed(seed)
    K = betas.size
    energies = np.zeros((n_sweeps, 2, K))
    overlaps = np.zeros((n_sweeps, K))
    swaps = np.zeros(K - 1)
    lowest = _tempering(
        np.ascontiguousarray(J), h, betas, n_sweeps, thermalization, seed_state(seed), energies, overlaps, swaps
    )
    series = energies.mean(axis=1)
    usable = n_sweeps - n_sweeps % N_BLOCKS
    blocks = series[:usable].reshape(N_BLOCKS, -1, K).mean(axis=1)
    steps = thermalization + n_sweeps
    return SKMonteCarloResult(
        betas=betas,
        energy=series.mean(axis=0),
        energy_stderr=blocks.std(axis=0, ddof=1) / math.sqrt(N_BLOCKS),
        energies=energies,
        overlaps=overlaps,
        min_energy=float(lowest),
        swap_acceptance=swaps / (2.0 * n_sweeps),
        converged=True,
        iterations=steps,
        residual=math.nan,
        message=stop_message(True, steps, math.nan, unit="sweeps"),
    )
