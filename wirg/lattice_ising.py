r"""The 2-D Ising model by Markov chain (Metropolis + Wolff clusters), the spin data of the ML-and-RG work.

Spins :math:`s_x = \pm1` live on a periodic :math:`L\times L` lattice, as arrays ``s[..., x, y]``, with
:math:`J = 1`,

.. math::
    E(s) = -\sum_{\langle xy\rangle} s_x s_y = -\sum_x\sum_{\mu=1,2} s_x s_{x+e_\mu},

and Boltzmann weight :math:`e^{-\beta E}` (the sum over forward bonds counts each nearest-neighbour pair
once for :math:`L\ge3`; at :math:`L = 2` each pair is joined by two bonds). The critical coupling is
:math:`\beta_c = \tfrac12\ln(1 + \sqrt2)` (Onsager 1944; :mod:`wirg.ising_exact`). :func:`ising` runs a
Markov chain whose step is

1. a checkerboard Metropolis sweep (sites with :math:`x_1 + x_2` even, then odd): flipping
   :math:`s_x` costs :math:`\Delta E = 2 s_x h_x`, :math:`h_x` the sum of the four neighbours, and is
   accepted with probability :math:`\min(1, e^{-\beta\Delta E})` (Metropolis et al., J. Chem. Phys. 21,
   1087, 1953);
2. (``cluster=True``) ``clusters_per_step`` single-cluster updates of Wolff (PRL 62, 361, 1989): from
   a uniformly random seed site, every neighbour of the cluster with the cluster's spin joins it with
   probability :math:`p = 1 - e^{-2\beta}`, and the whole cluster is flipped. Each update satisfies
   detailed balance; the cluster moves remove most of the critical slowing down.

``clusters_per_step`` is :math:`\lceil L^2/\langle C\rangle\rceil` (at most :math:`L^2`), with
:math:`\langle C\rangle` the mean cluster size measured during the first half of the thermalisation (one
cluster per step there), so that a step flips about :math:`L^2` spins by clusters, as a sweep does
(the usual normalisation of Wolff's time). The second half of the thermalisation is a pilot run: the
integrated autocorrelation times (:func:`wirg.statistics.integrated_autocorrelation_time`) of
:math:`|m|`, :math:`m = L^{-2}\sum_x s_x`, and of the energy fix the default thinning
:math:`\lceil 6\max(\tau_{|m|}, \tau_E)\rceil` steps between stored configurations
(:func:`wirg.lattice_phi4.default_thin`: they are meant as independent draws). The kernels use the
xoshiro256++ generator of :mod:`statlearn.numerics.rng` seeded from the integer ``seed`` (the initial
configuration is drawn from it too): a seed gives the same spins bit for bit.

References
----------
L. Onsager, Phys. Rev. 65, 117 (1944); U. Wolff, "Collective Monte Carlo updating for spin systems",
Phys. Rev. Lett. 62, 361 (1989); N. Madras & A. D. Sokal, J. Stat. Phys. 50, 109 (1988).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.rng import next_double, seed_state
from wirg.checks import check_bool, check_memory, finite_result, real_array
from wirg.lattice_phi4 import chain_arguments, default_thin
from wirg.statistics import AutocorrelationTime, AutocorrelationWarning, integrated_autocorrelation_time

__all__ = ["IsingSamples", "ising", "ising_energy"]

_CHUNK_UPDATES = 2**22  # spin updates per compiled call, between two chances for Ctrl-C and the progress bar


@njit(cache=True, nogil=True)
def _metropolis_sweep(s: np.ndarray, state: np.ndarray, accept: np.ndarray) -> int:
    """One checkerboard Metropolis sweep in place; ``accept[k]`` = exp(-4 beta k) for s h = 2k; returns acceptances."""
    L = s.shape[0]
    accepted = 0
    for parity in range(2):
        for i in range(L):
            ip = i + 1 if i + 1 < L else 0
            im = i - 1 if i > 0 else L - 1
            for j in range((i + parity) % 2, L, 2):
                jp = j + 1 if j + 1 < L else 0
                jm = j - 1 if j > 0 else L - 1
                sh = s[i, j] * (s[ip, j] + s[im, j] + s[i, jp] + s[i, jm])
                if sh <= 0 or next_double(state) < accept[sh // 2]:
                    s[i, j] = -s[i, j]
                    accepted += 1
    return accepted


@njit(cache=True, nogil=True)
def _wolff(s: np.ndarray, state: np.ndarray, p_add: float, stack: np.ndarray) -> int:
    """One Wolff cluster grown from a uniformly random site and flipped in place; returns its size.

    A site is flipped when it joins, so its new sign marks it as visited; the neighbours are tried in
    the order i + 1, i - 1, j + 1, j - 1, each with the cluster's spin drawing one uniform. ``stack``
    is an (L * L) int64 work array. (The loop is written out: a helper function taking the arrays costs
    five times the work when numba does not inline it.)
    """
    L = s.shape[0]
    site = min(int(next_double(state) * L * L), L * L - 1)
    spin = s[site // L, site % L]
    s[site // L, site % L] = -spin
    stack[0] = site
    top = 1
    size = 1
    while top > 0:
        top -= 1
        i = stack[top] // L
        j = stack[top] % L
        for k in range(4):
            if k == 0:
                a, b = (i + 1 if i + 1 < L else 0), j
            elif k == 1:
                a, b = (i - 1 if i > 0 else L - 1), j
            elif k == 2:
                a, b = i, (j + 1 if j + 1 < L else 0)
            else:
                a, b = i, (j - 1 if j > 0 else L - 1)
            if s[a, b] == spin and next_double(state) < p_add:
                s[a, b] = -spin
                stack[top] = a * L + b
                top += 1
                size += 1
    return size


@njit(cache=True, nogil=True)
def _configuration_energy(s: np.ndarray) -> int:
    """E = -sum_x s_x (s_{x+e1} + s_{x+e2}) of one periodic configuration."""
    L = s.shape[0]
    energy = 0
    for i in range(L):
        ip = i + 1 if i + 1 < L else 0
        for j in range(L):
            jp = j + 1 if j + 1 < L else 0
            energy -= s[i, j] * (s[ip, j] + s[i, jp])
    return energy


@njit(cache=True, nogil=True)
def _run_chain(
    s: np.ndarray,
    state: np.ndarray,
    accept: np.ndarray,
    p_add: float,
    clusters: int,
    thin: int,
    energy: np.ndarray,
    magnetization: np.ndarray,
    fields: np.ndarray,
) -> tuple[int, int]:
    """``energy.size`` steps in place on ``s``; returns (Metropolis acceptances, spins flipped by clusters).

    A step is a Metropolis sweep and ``clusters`` Wolff updates. After step ``t`` (from 0) E and m go to
    ``energy[t]`` and ``magnetization[t]``, and if ``t + 1`` is a multiple of ``thin`` the configuration
    goes to ``fields[(t + 1) // thin - 1]`` (while rows remain).
    """
    L = s.shape[0]
    stack = np.empty(L * L, dtype=np.int64)
    accepted = 0
    flipped = 0
    for t in range(energy.shape[0]):
        accepted += _metropolis_sweep(s, state, accept)
        for _ in range(clusters):
            flipped += _wolff(s, state, p_add, stack)
        energy[t] = _configuration_energy(s)
        total = 0
        for i in range(L):
            for j in range(L):
                total += s[i, j]
        magnetization[t] = total / (L * L)
        row = (t + 1) // thin - 1
        if (t + 1) % thin == 0 and row < fields.shape[0]:
            fields[row] = s
    return accepted, flipped


@dataclass(frozen=True)
class IsingSamples:
    r"""Equilibrium configurations of the 2-D Ising model from :func:`ising`.

    Attributes
    ----------
    fields
        (n_samples, L, L) int8 spins :math:`\pm1`, one configuration every ``thin`` steps after the
        thermalisation.
    energies, magnetizations
        (n_samples,) :math:`E = -\sum_{\langle xy\rangle}s_xs_y` and :math:`m = L^{-2}\sum_x s_x` of the
        stored configurations.
    L, beta, seed
        The parameters of the run.
    thermalization
        Steps before the first recorded one: the first half measured the mean cluster size, the second
        half was the pilot that measured ``thin`` (when not given).
    thin
        Steps between stored configurations.
    cluster
        Whether every step included Wolff updates.
    clusters_per_step
        Wolff clusters per step (0 without ``cluster``).
    mean_cluster_size
        Mean size of the Wolff clusters after the first half of the thermalisation, pilot and production
        (NaN without ``cluster``); ``clusters_per_step`` was set from the first half's mean.
    acceptance
        Metropolis acceptance rate after the first half of the thermalisation.
    energy_series, magnetization_series
        :math:`E/L^2` and :math:`m` after every step of the pilot and the production
        (``thermalization - thermalization // 2 + n_samples * thin`` values).
    tau_abs_m, tau_energy
        Integrated autocorrelation times of :math:`|m|` and of :math:`E` from those series, in steps.
    converged, iterations, residual, message
        The result protocol of :mod:`statlearn.numerics.result`: ``converged`` says whether both series
        are longer than 50 :math:`\tau` (the autocorrelation times, hence the thinning and the error
        bars, can be trusted; else an :class:`wirg.statistics.AutocorrelationWarning` was issued),
        ``iterations`` counts every step, ``residual`` is NaN (no equation is solved), ``message`` says
        what ran.

    The arrays are read-only.
    """

    fields: np.ndarray
    energies: np.ndarray
    magnetizations: np.ndarray
    L: int
    beta: float
    seed: int
    thermalization: int
    thin: int
    cluster: bool
    clusters_per_step: int
    mean_cluster_size: float
    acceptance: float
    energy_series: np.ndarray
    magnetization_series: np.ndarray
    tau_abs_m: AutocorrelationTime
    tau_energy: AutocorrelationTime
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n_samples(self) -> int:
        """Number of stored configurations."""
        return self.fields.shape[0]


def ising_energy(spins: ArrayLike) -> np.ndarray:
    r"""The Ising energy :math:`E = -\sum_x\sum_{\mu=1,2}s_xs_{x+e_\mu}` of periodic configurations (..., L, L).

    Returns a float array of the leading shape (0-d for one configuration); the spins may be any finite
    real numbers (the bilinear form is evaluated as is).
    """
    s = real_array("spins", spins)
    if s.ndim < 2 or s.shape[-1] != s.shape[-2]:
        raise ValueError(f"spins must have shape (..., L, L), got {s.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        energy = -np.sum(s * (np.roll(s, -1, axis=-2) + np.roll(s, -1, axis=-1)), axis=(-2, -1))
    return finite_result("spins", energy, "the energy")


def _taus(energy: np.ndarray, magnetization: np.ndarray) -> tuple[AutocorrelationTime, AutocorrelationTime, bool]:
    """tau of |m| and of E, and whether both series were long enough (no AutocorrelationWarning)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AutocorrelationWarning)
        tau_m = _tau(np.abs(magnetization))
        tau_e = _tau(energy)
    return tau_m, tau_e, not any(issubclass(w.category, AutocorrelationWarning) for w in caught)


def _tau(series: np.ndarray) -> AutocorrelationTime:
    """tau_int of a series; a constant series (frozen chain, or all states equal) has tau = 1/2 by convention."""
    if np.all(series == series[0]):
        return AutocorrelationTime(tau=0.5, error=0.0, window=0, n=series.size)
    return integrated_autocorrelation_time(series)


def ising(
    L: int,
    beta: float,
    n_samples: int,
    *,
    seed: int,
    thermalization: int | None = None,
    thin: int | None = None,
    cluster: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> IsingSamples:
    r"""Sample the periodic 2-D Ising model, weight :math:`e^{-\beta E}`, :math:`E = -\sum_{\langle xy\rangle}s_xs_y`.

    Each step is a checkerboard Metropolis sweep followed, when ``cluster``, by Wolff cluster updates
    flipping about :math:`L^2` spins in all (module docstring). The chain starts from independent
    uniform spins drawn from the seeded generator.

    Parameters
    ----------
    L
        Linear lattice size, an integer >= 2.
    beta
        Inverse temperature :math:`\beta > 0` (critical at :math:`\beta_c = \tfrac12\ln(1+\sqrt2)\approx 0.4407`).
    n_samples
        Number of stored configurations, >= 1.
    seed
        Integer in :math:`[0, 2^{63})` seeding the in-kernel xoshiro256++ generator.
    thermalization
        Steps before the first stored configuration, >= 100 (default 4000): the first half measures
        the mean cluster size, the second half is the pilot that measures the autocorrelation times.
    thin
        Steps between stored configurations, >= 1; default :math:`\lceil 6\max(\tau_{|m|}, \tau_E)\rceil`
        from the pilot. Without clusters near :math:`\beta_c` the pilot is too short to measure
        :math:`\tau`: pass ``thermalization`` and ``thin`` explicitly.
    cluster
        Whether to add the Wolff updates to every step.
    progress
        Optional callback ``progress(done, total)`` called with the steps done so far (thermalisation
        included) after every compiled chunk.

    Returns
    -------
    IsingSamples

    Warns
    -----
    AutocorrelationWarning
        If a series is shorter than 50 of its autocorrelation times (then ``converged`` is False).
    """
    L, beta, n_samples, seed, thermalization, thin = chain_arguments(L, beta, n_samples, seed, thermalization, thin, 16)
    cluster = check_bool("cluster", cluster)
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None, got {type(progress).__name__}")

    accept = np.exp(-4.0 * beta * np.arange(3))
    p_add = -math.expm1(-2.0 * beta)
    state = seed_state(np.uint64(seed))
    s = np.empty((L, L), dtype=np.int8)
    for i in range(L):  # the initial configuration from the same generator: a seed fixes the whole run
        for j in range(L):
            s[i, j] = 1 if next_double(state) < 0.5 else -1
    no_fields = np.empty((0, L, L), dtype=np.int8)
    done = 0

    def run(steps: int, clusters: int, every: int, fields: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
        """``steps`` steps in chunks of whole ``every`` periods (same chain bit for bit), reporting progress."""
        nonlocal done
        energy, magnetization = np.empty(steps), np.empty(steps)
        per_chunk = max(1, _CHUNK_UPDATES // (every * L * L * (2 if clusters else 1)))
        accepted = flipped = 0
        for start in range(0, max(steps // every, 1), per_chunk):
            a, b = start * every, min((start + per_chunk) * every, steps)
            n_acc, n_flip = _run_chain(
                s, state, accept, p_add, clusters, every, energy[a:b], magnetization[a:b], fields[start:]
            )
            accepted, flipped, done = accepted + n_acc, flipped + n_flip, done + b - a
            if progress is not None:
                progress(done, total)
        return energy, magnetization, accepted, flipped

    total = thermalization + n_samples * (thin or 1)
    first = thermalization // 2
    _, _, _, flipped = run(first, 1 if cluster else 0, 1, no_fields)
    mean_size = flipped / first if cluster else math.nan
    clusters = min(math.ceil(L * L / mean_size), L * L) if cluster else 0
    pilot_e, pilot_m, accepted, pilot_flipped = run(thermalization - first, clusters, 1, no_fields)
    if thin is None:
        tau_m, tau_e, _ = _taus(pilot_e, pilot_m)
        thin = default_thin(tau_m, tau_e)
    total = thermalization + n_samples * thin
    check_memory(f"{n_samples} configurations every {thin} steps", "n_samples", n_samples * (L * L + 16 * thin))
    fields = np.empty((n_samples, L, L), dtype=np.int8)
    energy, magnetization, production_accepted, production_flipped = run(n_samples * thin, clusters, thin, fields)

    energy_series = np.concatenate([pilot_e, energy]) / (L * L)
    magnetization_series = np.concatenate([pilot_m, magnetization])
    tau_abs_m, tau_energy, reliable = _taus(energy_series, magnetization_series)
    steps = thermalization + n_samples * thin
    message = (
        f"ran {steps} steps ({thermalization} of thermalisation, {n_samples} configurations every {thin}); "
        f"tau_|m| = {tau_abs_m.tau:.3g}, tau_E = {tau_energy.tau:.3g} steps"
    )
    if not reliable:
        message += ": a series is shorter than 50 tau, so tau (and the thinning) is biased low"
        warnings.warn(f"ising(L = {L}, beta = {beta:g}): {message}", AutocorrelationWarning, stacklevel=2)
    return IsingSamples(
        fields=fields,
        energies=energy[thin - 1 :: thin].copy(),
        magnetizations=magnetization[thin - 1 :: thin].copy(),
        L=L,
        beta=beta,
        seed=seed,
        thermalization=thermalization,
        thin=thin,
        cluster=cluster,
        clusters_per_step=clusters,
        mean_cluster_size=(pilot_flipped + production_flipped) / (clusters * energy_series.size)
        if cluster
        else math.nan,
        acceptance=(accepted + production_accepted) / (energy_series.size * L * L),
        energy_series=energy_series,
        magnetization_series=magnetization_series,
        tau_abs_m=tau_abs_m,
        tau_energy=tau_energy,
        converged=reliable,
        iterations=steps,
        residual=math.nan,
        message=message,
    )
