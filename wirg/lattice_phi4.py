r"""Lattice :math:`\varphi^4` and its Markov-chain sampler, the non-Gaussian training data of WIRG.

All fields live on a periodic :math:`L\times L` lattice, as arrays ``phi[..., x, y]``; the lattice
momenta are :math:`k = 2\pi n / L` in numpy FFT order (``2 * pi * numpy.fft.fftfreq(L)``, values
in :math:`[-\pi, \pi)`), ``kx`` along the first lattice axis.

**Lattice** :math:`\varphi^4`, in the parameterisation of Marchand, Ozawa, Biroli & Mallat
(PRX 13, 041038, 2023):

.. math::
    E(\varphi) = -\beta\sum_x\sum_{\mu=1,2}\varphi_x\varphi_{x+e_\mu} + \sum_x(\varphi_x^4 - \varphi_x^2)
    = \tfrac12\varphi^T(-\beta\Delta)\varphi + \sum_x\big(\varphi_x^4 - (1 + 2\beta)\varphi_x^2\big),

with Boltzmann weight :math:`e^{-E}`; the sum over forward bonds counts each nearest-neighbour pair
once for :math:`L\ge3` and equals the periodic-Laplacian form for every :math:`L\ge2` (at
:math:`L = 2` each pair is joined by two bonds). The critical point is near :math:`\beta_c\approx
0.68` (disordered at 0.50, ordered at 0.76). :func:`phi4` runs a Markov chain whose sweep is

1. a Metropolis sweep, sites with :math:`x_1 + x_2` even and then odd (a checkerboard), each
   proposing :math:`\varphi_x\to\varphi_x + \delta u`, :math:`u` uniform on :math:`[-1, 1)`,
   accepted with probability :math:`\min(1, e^{-\Delta E})`,
   :math:`\Delta E = -\beta(\varphi'_x - \varphi_x)h_x + (\varphi'^4_x - \varphi'^2_x) -
   (\varphi_x^4 - \varphi_x^2)`, :math:`h_x` the sum of the four neighbours;
2. (``cluster=True``) the embedded-Ising cluster update of Brower & Tamayo (PRL 62, 1087, 1989):
   with :math:`\varphi_x = s_x|\varphi_x|` the energy is, at fixed :math:`|\varphi|`, an Ising model
   :math:`-\sum_{\text{bonds}} J_{xy}s_xs_y` with :math:`J_{xy} = \beta|\varphi_x\varphi_y|`, and a
   Swendsen-Wang step (PRL 58, 86, 1987) leaves its conditional law invariant: each bond between
   same-sign neighbours is activated with probability :math:`p = 1 - e^{-2\beta\varphi_x\varphi_y}`,
   and every connected cluster of active bonds has its signs flipped with probability 1/2
   (Edwards & Sokal, PRD 38, 2009, 1988). It changes :math:`\varphi` by large, collective sign
   flips, which removes most of the critical slowing down of the magnetisation.

Both moves satisfy detailed balance with respect to :math:`e^{-E}`; Metropolis alone is ergodic.
The step :math:`\delta` is tuned for an acceptance near 1/2 during the first half of the
thermalisation (multiplied by :math:`e^{2(a - 1/2)}` after every 10 sweeps of acceptance ``a``) and
frozen afterwards, so that the rest is a homogeneous chain. The second half of the thermalisation is
a pilot run: the integrated autocorrelation times of :math:`m = L^{-2}\sum_x\varphi_x` and of
:math:`|m|` (:func:`integrated_autocorrelation_time`) fix the default thinning
:math:`\lceil 6\max(\tau_m, \tau_{|m|})\rceil` sweeps between stored fields (:func:`default_thin`: the
stored fields are meant as independent draws; :math:`|m|` matters as much as :math:`m` for the Binder
cumulant, and the sign flips decorrelate :math:`m` faster). The
kernels use the xoshiro256++ generator of :mod:`statlearn.numerics.rng`, seeded from the integer
``seed``: a seed gives the same fields bit for bit.

:func:`phi4_mala` is the direct whole-field sampler of the WIRG comparison: MALA
(:class:`wirg.mala.MALAChains`) on the whole field with the gradient of :math:`E`. :func:`phi4_mixing`
measures, for local Metropolis, Metropolis + Swendsen-Wang and whole-field MALA, the integrated
autocorrelation times of :math:`|m|` and of the energy and the cost of an effectively independent
sample (time per step :math:`\times\,2\tau`); ``benchmarks/bench_wirg_samplers.py`` fits
:math:`\tau\sim L^z`.

References
----------
T. Marchand, M. Ozawa, G. Biroli & S. Mallat, "Multiscale data-driven energy estimation and
generation", Phys. Rev. X 13, 041038 (2023); the theory page ``docs/theory/wirg.md``.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.rng import fill_normal, next_double, seed_state
from wirg.checks import (
    check_bool,
    check_choice,
    check_memory,
    check_scalar,
    count,
    finite_result,
    real_array,
    seed_value,
)
from wirg.mala import MALAChains, initial_step
from wirg.statistics import AutocorrelationTime, AutocorrelationWarning, integrated_autocorrelation_time

__all__ = ["PHI4_SAMPLERS", "Phi4Mixing", "Phi4Samples", "phi4", "phi4_energy", "phi4_mala", "phi4_mixing"]

_TUNE_BLOCK = 10  # sweeps between two updates of the Metropolis step during tuning
_MIN_THERMALIZATION = 100
#: Default steps before the first stored field: half tune the step, half are the pilot that measures tau.
DEFAULT_THERMALIZATION = 4000
#: Stored fields are this many pilot autocorrelation times apart by default (:func:`default_thin`).
THIN_PER_TAU = 6
_CHUNK_UPDATES = 2**22  # site updates per compiled call, between two chances for Ctrl-C


@njit(cache=True, nogil=True)
def _metropolis_sweep(phi: np.ndarray, state: np.ndarray, beta: float, delta: float) -> int:
    """One checkerboard Metropolis sweep in place (even sites, then odd); returns the acceptances."""
    L = phi.shape[0]
    accepted = 0
    for parity in range(2):
        for i in range(L):
            ip = i + 1 if i + 1 < L else 0
            im = i - 1 if i > 0 else L - 1
            for j in range((i + parity) % 2, L, 2):
                jp = j + 1 if j + 1 < L else 0
                jm = j - 1 if j > 0 else L - 1
                h = phi[ip, j] + phi[im, j] + phi[i, jp] + phi[i, jm]
                old = phi[i, j]
                new = old + delta * (2.0 * next_double(state) - 1.0)
                o2 = old * old
                n2 = new * new
                dE = -beta * (new - old) * h + (n2 * n2 - n2) - (o2 * o2 - o2)
                if dE <= 0.0 or next_double(state) < math.exp(-dE):
                    phi[i, j] = new
                    accepted += 1
    return accepted


@njit(cache=True, nogil=True)
def _push(a: int, b: int, joined: bool, visited: np.ndarray, stack: np.ndarray, top: int) -> int:
    """Mark site (a, b) and push it on the stack if ``joined`` by an active bond and not yet visited."""
    if joined and not visited[a, b]:
        visited[a, b] = True
        stack[top] = a * visited.shape[0] + b
        return top + 1
    return top


@njit(cache=True, nogil=True)
def _swendsen_wang(
    phi: np.ndarray, state: np.ndarray, beta: float, bond: np.ndarray, visited: np.ndarray, stack: np.ndarray
) -> None:
    """One Swendsen-Wang update of the signs of phi at fixed |phi| (Brower-Tamayo), in place.

    ``bond[i, j, mu]`` (bool) is the bond from (i, j) to its forward neighbour in direction mu
    (0: i + 1, 1: j + 1); ``visited`` (L, L) bool and ``stack`` (L * L) int64 are work arrays. Every
    bond draws one uniform (site by site, mu = 0 then 1), then every cluster one, in the order of
    their first site; the bond test has no branch (a mispredicted branch costs more than the draw).
    """
    L = phi.shape[0]
    for i in range(L):
        ip = i + 1 if i + 1 < L else 0
        for j in range(L):
            jp = j + 1 if j + 1 < L else 0
            product0 = phi[i, j] * phi[ip, j]
            product1 = phi[i, j] * phi[i, jp]
            u0 = next_double(state)
            u1 = next_double(state)
            bond[i, j, 0] = (product0 > 0.0) & (u0 < 1.0 - math.exp(-2.0 * beta * product0))
            bond[i, j, 1] = (product1 > 0.0) & (u1 < 1.0 - math.exp(-2.0 * beta * product1))
            visited[i, j] = False
    for i0 in range(L):
        for j0 in range(L):
            if visited[i0, j0]:
                continue
            sign = -1.0 if next_double(state) < 0.5 else 1.0
            visited[i0, j0] = True
            stack[0] = i0 * L + j0
            top = 1
            while top > 0:
                top -= 1
                i = stack[top] // L
                j = stack[top] % L
                phi[i, j] *= sign
                ip = i + 1 if i + 1 < L else 0
                im = i - 1 if i > 0 else L - 1
                jp = j + 1 if j + 1 < L else 0
                jm = j - 1 if j > 0 else L - 1
                # forward bonds are stored at the site, backward ones at the neighbour
                top = _push(ip, j, bond[i, j, 0], visited, stack, top)
                top = _push(im, j, bond[im, j, 0], visited, stack, top)
                top = _push(i, jp, bond[i, j, 1], visited, stack, top)
                top = _push(i, jm, bond[i, jm, 1], visited, stack, top)


@njit(cache=True, nogil=True)
def _run_chain(
    phi: np.ndarray,
    state: np.ndarray,
    beta: float,
    delta: float,
    cluster: bool,
    thin: int,
    magnetization: np.ndarray,
    fields: np.ndarray,
) -> int:
    """``magnetization.size`` sweeps in place on ``phi``; returns the Metropolis acceptances.

    After sweep ``t`` (from 0) the mean field goes to ``magnetization[t]``, and if ``t + 1`` is a
    multiple of ``thin`` the field goes to ``fields[(t + 1) // thin - 1]`` (while rows remain).
    """
    L = phi.shape[0]
    bond = np.empty((L, L, 2), dtype=np.bool_)
    visited = np.empty((L, L), dtype=np.bool_)
    stack = np.empty(L * L, dtype=np.int64)
    accepted = 0
    for t in range(magnetization.shape[0]):
        accepted += _metropolis_sweep(phi, state, beta, delta)
        if cluster:
            _swendsen_wang(phi, state, beta, bond, visited, stack)
        magnetization[t] = phi.sum() / (L * L)
        row = (t + 1) // thin - 1
        if (t + 1) % thin == 0 and row < fields.shape[0]:
            fields[row] = phi
    return accepted


# ------------------------------------------------------------------------------------ phi^4


@dataclass(frozen=True)
class Phi4Samples:
    r"""Equilibrium samples of lattice :math:`\varphi^4` from :func:`phi4`.

    Attributes
    ----------
    fields
        (n_samples, L, L) float64, one field every ``thin`` sweeps after the thermalisation.
    L, beta, seed
        The parameters of the run.
    thermalization
        Sweeps before the first recorded one: the first half tuned ``delta``, the second half was the
        pilot that measured ``thin`` (when not given).
    thin
        Sweeps between stored fields.
    cluster
        Whether every sweep included the Swendsen-Wang sign update.
    delta
        The Metropolis step (the MALA step :math:`\epsilon` for :func:`phi4_mala`), frozen after tuning.
    acceptance
        Metropolis (or MALA) acceptance rate with the frozen ``delta`` (pilot and production sweeps).
    magnetization
        :math:`m = L^{-2}\sum_x\varphi_x` after every sweep with the frozen ``delta`` (pilot then
        production: ``thermalization - thermalization // 2 + n_samples * thin`` values).
    tau_m, tau_abs_m
        Integrated autocorrelation times of :math:`m` and :math:`|m|` from ``magnetization``, in sweeps.
    converged, iterations, residual, message
        The result protocol of :mod:`statlearn.numerics.result`: a chain run to its horizon, so
        ``converged`` is True, ``iterations`` counts every sweep (thermalisation and production),
        ``residual`` is NaN (no equation is solved) and ``message`` says how many sweeps ran. Whether
        the chain is long enough is measured by ``tau_m`` and ``tau_abs_m`` (and warned about).
    sampler
        ``"metropolis"`` (:func:`phi4`; with ``cluster``, Metropolis + Swendsen-Wang) or ``"mala"``
        (:func:`phi4_mala`, where a "sweep" is one MALA step of the whole field).

    The arrays are read-only.
    """

    fields: np.ndarray
    L: int
    beta: float
    seed: int
    thermalization: int
    thin: int
    cluster: bool
    delta: float
    acceptance: float
    magnetization: np.ndarray
    tau_m: AutocorrelationTime
    tau_abs_m: AutocorrelationTime
    converged: bool
    iterations: int
    residual: float
    message: str
    sampler: str = "metropolis"

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def n_samples(self) -> int:
        """Number of stored fields."""
        return self.fields.shape[0]


def _run_in_chunks(
    phi: np.ndarray,
    state: np.ndarray,
    beta: float,
    delta: float,
    cluster: bool,
    thin: int,
    magnetization: np.ndarray,
    fields: np.ndarray,
) -> int:
    """:func:`_run_chain` in chunks of whole ``thin`` periods of about 2**22 site updates, the same chain
    bit for bit, so that Ctrl-C (``KeyboardInterrupt``) stops a long run within a fraction of a second."""
    L = phi.shape[0]
    per_chunk = max(1, _CHUNK_UPDATES // (thin * L * L))  # stored fields (or pilot sweeps) per chunk
    accepted = 0
    for start in range(0, max(magnetization.size // thin, 1), per_chunk):
        stop = start + per_chunk
        accepted += _run_chain(
            phi, state, beta, delta, cluster, thin, magnetization[start * thin : stop * thin], fields[start:stop]
        )
    return accepted


def _tune_metropolis(phi: np.ndarray, state: np.ndarray, beta: float, cluster: bool, sweeps: int) -> float:
    """Run ``sweeps`` sweeps in place from the step 1, multiplying it by exp(2 (a - 1/2)) after every
    10 sweeps of acceptance ``a``; returns the tuned step."""
    L = phi.shape[0]
    no_fields = np.empty((0, L, L))
    delta = 1.0
    for start in range(0, sweeps, _TUNE_BLOCK):
        block = min(_TUNE_BLOCK, sweeps - start)
        accepted = _run_chain(phi, state, beta, delta, cluster, 1, np.empty(block), no_fields)
        delta *= math.exp(2.0 * (accepted / (block * L * L) - 0.5))
    return delta


def phi4_energy(phi: ArrayLike, beta: float) -> np.ndarray:
    r"""The :math:`\varphi^4` energy of periodic fields (the forward-bond sum of the module docstring).

    .. math:: E = -\beta\sum_x\sum_{\mu=1,2}\varphi_x\varphi_{x+e_\mu} + \sum_x(\varphi_x^4 - \varphi_x^2)

    ``phi`` has shape (..., L, L); returns an array of the leading shape (a 0-d array for one field).
    """
    phi = real_array("phi", phi)
    if phi.ndim < 2 or phi.shape[-1] != phi.shape[-2]:
        raise ValueError(f"phi must have shape (..., L, L), got {phi.shape}")
    beta = check_scalar("beta", beta, minimum=0.0, strict=True)
    with np.errstate(over="ignore", invalid="ignore"):
        energy = _energy(phi, np.roll(phi, -1, axis=-2) + np.roll(phi, -1, axis=-1), beta)
    return finite_result("phi", energy, "the energy")


def _energy(phi: np.ndarray, forward: np.ndarray, beta: float) -> np.ndarray:
    """The energy of :func:`phi4_energy` (no checks), ``forward`` the sum of the two forward neighbours."""
    phi2 = phi * phi
    return np.sum(-beta * (phi * forward) + phi2 * phi2 - phi2, axis=(-2, -1))


def _energy_and_gradient(phi: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Energies (n,) and gradients (n, L, L) of fields (n, L, L), without checks:
    :math:`\partial E/\partial\varphi_x = -\beta\sum_{y\sim x}\varphi_y + 4\varphi_x^3 - 2\varphi_x`."""
    forward = np.roll(phi, -1, axis=-2) + np.roll(phi, -1, axis=-1)
    neighbours = forward + np.roll(phi, 1, axis=-2) + np.roll(phi, 1, axis=-1)
    return _energy(phi, forward, beta), -beta * neighbours + (4.0 * phi * phi - 2.0) * phi


def chain_arguments(
    L: object,
    beta: object,
    n_samples: object,
    seed: object,
    thermalization: object,
    thin: object,
    bytes_per_site: int,
) -> tuple[int, float, int, int, int, int | None]:
    """The validated arguments of :func:`phi4` and :func:`phi4_mala` (and :func:`wirg.lattice_ising.ising`),
    in this order; ``bytes_per_site`` is the chain's memory per lattice site."""
    L = count("L", L, minimum=2)
    check_memory(f"the chain on the {L} x {L} lattice", "L", bytes_per_site * L * L)
    beta = check_scalar("beta", beta, minimum=0.0, strict=True)
    n_samples = count("n_samples", n_samples, minimum=1)
    seed = seed_value(seed)
    thermalization = (
        DEFAULT_THERMALIZATION
        if thermalization is None
        else count("thermalization", thermalization, minimum=_MIN_THERMALIZATION)
    )
    if thin is not None:
        thin = count("thin", thin, minimum=1)
    check_memory(f"{thermalization} thermalisation sweeps", "thermalization", 8 * thermalization)
    return L, beta, n_samples, seed, thermalization, thin


def default_thin(*taus: AutocorrelationTime) -> int:
    r"""The default thinning of the samplers, :math:`\lceil 6\max\tau\rceil` steps between stored fields
    (``THIN_PER_TAU`` = 6) over the pilot's integrated autocorrelation times ``taus``.

    Stored fields are used as independent draws (their errors are the plain standard errors over fields),
    so their correlation must be negligible, not just small. Two :math:`\tau` are not enough: near
    :math:`\beta_c` the autocorrelation of :math:`|m|` has a slow tail (at L = 64, :math:`\varphi^4` with
    the cluster update: :math:`\rho(20) = 0.12`, :math:`\rho(40) = 0.04` sweeps for
    :math:`\tau_{|m|} \approx 7`), and a pilot of a few thousand steps estimates :math:`\tau` low. With
    the old :math:`2\tau` the correlation of consecutive stored fields was 0.1-0.25 (|m|, m^2, the lowest
    Fourier shell's power), which makes their standard errors 1.2-1.4 times too small."""
    return max(1, math.ceil(THIN_PER_TAU * max(t.tau for t in taus)))


def _pilot_thin(pilot: np.ndarray) -> int:
    """:func:`default_thin` of the pilot series of m: tau of m and of |m|."""
    return default_thin(integrated_autocorrelation_time(pilot), integrated_autocorrelation_time(np.abs(pilot)))


def _samples(
    fields: np.ndarray,
    pilot: np.ndarray,
    production: np.ndarray,
    beta: float,
    seed: int,
    thermalization: int,
    thin: int,
    cluster: bool,
    delta: float,
    acceptance: float,
    sampler: str,
) -> Phi4Samples:
    """The :class:`Phi4Samples` of a run: the magnetisation series is the pilot then the production."""
    magnetization = np.concatenate([pilot, production])
    sweeps = thermalization + production.size
    unit = "sweeps" if sampler == "metropolis" else "MALA steps"
    return Phi4Samples(
        fields=fields,
        L=fields.shape[-1],
        beta=beta,
        seed=seed,
        thermalization=thermalization,
        thin=thin,
        cluster=cluster,
        delta=delta,
        acceptance=acceptance,
        magnetization=magnetization,
        tau_m=integrated_autocorrelation_time(magnetization),
        tau_abs_m=integrated_autocorrelation_time(np.abs(magnetization)),
        converged=True,
        iterations=sweeps,
        residual=math.nan,
        message=f"ran {sweeps} {unit} ({thermalization} of thermalisation, {fields.shape[0]} fields every {thin})",
        sampler=sampler,
    )


def phi4(
    L: int,
    beta: float,
    n_samples: int,
    *,
    seed: int,
    thermalization: int | None = None,
    thin: int | None = None,
    cluster: bool = True,
) -> Phi4Samples:
    r"""Sample lattice :math:`\varphi^4` (Boltzmann weight :math:`e^{-E}`, module docstring) by Markov chain.

    Each sweep is a checkerboard Metropolis sweep followed, when ``cluster``, by a Brower-Tamayo
    Swendsen-Wang update of the signs. The chain starts from i.i.d. :math:`N(0, 1)` site values.

    Parameters
    ----------
    L
        Linear lattice size, >= 2.
    beta
        Coupling :math:`\beta > 0` (critical near 0.68).
    n_samples
        Number of stored fields, >= 1.
    seed
        Integer in :math:`[0, 2^{63})` seeding the in-kernel xoshiro256++ generator.
    thermalization
        Sweeps before the first stored field, >= 100 (default 4000): the first half tunes the
        Metropolis step, the second half runs with it frozen and measures the autocorrelation times.
    thin
        Sweeps between stored fields, >= 1; default :func:`default_thin`, :math:`\lceil 6\max(\tau_m, \tau_{|m|})\rceil`
        measured on the second half of the thermalisation. Without the cluster update near
        :math:`\beta_c` the autocorrelation is long: pass ``thermalization`` and ``thin`` explicitly.
    cluster
        Whether to add the Swendsen-Wang update to every sweep.

    Returns
    -------
    Phi4Samples

    Warns
    -----
    AutocorrelationWarning
        If a measured autocorrelation time is not small compared with its series.
    """
    L, beta, n_samples, seed, thermalization, thin = chain_arguments(L, beta, n_samples, seed, thermalization, thin, 32)
    cluster = check_bool("cluster", cluster)

    state = seed_state(np.uint64(seed))
    phi = np.empty(L * L)
    fill_normal(state, phi)  # the initial field from the same generator: a seed fixes the whole run
    phi = phi.reshape(L, L)
    no_fields = np.empty((0, L, L))
    tuning = thermalization // 2
    delta = _tune_metropolis(phi, state, beta, cluster, tuning)

    pilot = np.empty(thermalization - tuning)
    accepted = _run_in_chunks(phi, state, beta, delta, cluster, 1, pilot, no_fields)
    if thin is None:
        thin = _pilot_thin(pilot)
    check_memory(f"{n_samples} fields every {thin} sweeps", "n_samples", 8 * n_samples * (L * L + thin))
    production = np.empty(n_samples * thin)
    fields = np.empty((n_samples, L, L))
    accepted += _run_in_chunks(phi, state, beta, delta, cluster, thin, production, fields)

    acceptance = accepted / ((pilot.size + production.size) * L * L)
    return _samples(
        fields, pilot, production, beta, seed, thermalization, thin, cluster, delta, acceptance, "metropolis"
    )


# ------------------------------------------------------------------------- whole-field MALA and mixing


def _mala_chains(L: int, beta: float, n_chains: int, seed: int, tuning: int) -> MALAChains:
    r"""MALA chains on whole :math:`\varphi^4` fields from i.i.d. :math:`N(0, 1)` sites, the step adapted
    during ``tuning`` steps (every 10, :meth:`wirg.mala.MALAChains.adapt`) and frozen afterwards. The initial
    step is that of a Gaussian whose largest curvature is :math:`8\beta + 10` (the hopping term plus
    :math:`12\varphi^2 - 2` at :math:`\varphi^2 = 1`)."""
    x = np.random.default_rng(seed).standard_normal((n_chains, L, L))
    chains = MALAChains(x, initial_step(8.0 * beta + 10.0, L * L), seed)
    chains.set_energy(lambda fields: _energy_and_gradient(fields, beta))
    for start in range(0, tuning, _TUNE_BLOCK):
        chains.adapt(chains.run(min(_TUNE_BLOCK, tuning - start)))
    return chains


def phi4_mala(
    L: int,
    beta: float,
    n_samples: int,
    *,
    seed: int,
    thermalization: int | None = None,
    thin: int | None = None,
) -> Phi4Samples:
    r"""Sample lattice :math:`\varphi^4` by whole-field MALA (:class:`wirg.mala.MALAChains`), the direct sampler.

    One chain of Metropolis-adjusted Langevin steps on the whole field, with the energy of
    :func:`phi4_energy` and its gradient
    :math:`\partial E/\partial\varphi_x = -\beta\sum_{y\sim x}\varphi_y + 4\varphi_x^3 - 2\varphi_x`; it is
    the whole-field baseline of the WIRG mixing comparison (Guth, Lempereur, Bruna & Mallat, ICML 2023,
    §4.2: its relaxation time grows like :math:`L^2` or faster at :math:`\beta_c`). As in :func:`phi4`, the
    first half of the thermalisation tunes the step (towards acceptance 0.574), the second half is a
    pilot that fixes the default thinning :math:`\lceil 6\max(\tau_m, \tau_{|m|})\rceil` steps; the
    result's "sweeps" are MALA steps, ``delta`` is the step :math:`\epsilon` and ``sampler`` is ``"mala"``.

    Parameters
    ----------
    L
        Linear lattice size, >= 2.
    beta
        Coupling :math:`\beta > 0`.
    n_samples
        Number of stored fields, >= 1.
    seed
        Integer in :math:`[0, 2^{63})`: the initial field (numpy) and the in-kernel MALA generator.
    thermalization
        Steps before the first stored field, >= 100 (default 4000).
    thin
        Steps between stored fields, >= 1 (default from the pilot).

    Returns
    -------
    Phi4Samples

    Warns
    -----
    AutocorrelationWarning
        If a measured autocorrelation time is not small compared with its series.
    """
    L, beta, n_samples, seed, thermalization, thin = chain_arguments(L, beta, n_samples, seed, thermalization, thin, 64)
    tuning = thermalization // 2
    chains = _mala_chains(L, beta, 1, seed, tuning)
    pilot = np.empty(thermalization - tuning)
    accepted = 0.0
    for t in range(pilot.size):
        accepted += chains.run(1)
        pilot[t] = chains.x.mean()
    if thin is None:
        thin = _pilot_thin(pilot)
    check_memory(f"{n_samples} fields every {thin} steps", "n_samples", 8 * n_samples * (L * L + thin))
    production = np.empty(n_samples * thin)
    fields = np.empty((n_samples, L, L))
    for t in range(production.size):
        accepted += chains.run(1)
        production[t] = chains.x.mean()
        if (t + 1) % thin == 0:
            fields[(t + 1) // thin - 1] = chains.x[0]
    acceptance = accepted / (pilot.size + production.size)
    return _samples(fields, pilot, production, beta, seed, thermalization, thin, False, chains.step, acceptance, "mala")


#: The samplers of :func:`phi4_mixing`.
PHI4_SAMPLERS = ("metropolis", "cluster", "mala")


@dataclass(frozen=True)
class Phi4Mixing:
    r"""Integrated autocorrelation times and cost of a :math:`\varphi^4` sampler (:func:`phi4_mixing`).

    Attributes
    ----------
    sampler, L, beta, seed
        The run: ``"metropolis"`` (local checkerboard Metropolis), ``"cluster"`` (Metropolis +
        Swendsen-Wang, :func:`phi4`) or ``"mala"`` (whole-field MALA, :func:`phi4_mala`).
    n_chains, n_steps
        Independent chains and recorded steps (sweeps or MALA steps) per chain.
    tau_abs_m, tau_energy
        :math:`\tau_{\rm int}` of :math:`|m|` and of the energy per site, in steps: the mean over chains
        of :func:`wirg.statistics.integrated_autocorrelation_time`.
    tau_abs_m_error, tau_energy_error
        Their errors, the per-chain errors combined: :math:`(\sum_c\sigma_c^2)^{1/2}/n_{\rm chains}`.
    step, acceptance
        The frozen Metropolis step :math:`\delta` or MALA step :math:`\epsilon`, and the acceptance rate.
    seconds_per_step
        Wall time of the sampler per step of one chain (the recording of :math:`m` and :math:`E` excluded).
    cost_per_sample
        Seconds per effectively independent sample, ``seconds_per_step * 2 * max(tau_abs_m, tau_energy)``.
    magnetization, energy
        The recorded series :math:`m` and :math:`E/L^2`, shape (n_chains, n_steps), read-only.
    converged, iterations, residual, message
        The result protocol: chains run to their horizon (``converged`` True), ``iterations`` the steps
        per chain (thermalisation included), ``residual`` NaN, ``message`` what ran; ``reliable`` says
        whether every series was longer than 50 :math:`\tau` (else an ``AutocorrelationWarning`` was issued).
    reliable
        See above.
    """

    sampler: str
    L: int
    beta: float
    seed: int
    n_chains: int
    n_steps: int
    tau_abs_m: float
    tau_abs_m_error: float
    tau_energy: float
    tau_energy_error: float
    step: float
    acceptance: float
    seconds_per_step: float
    cost_per_sample: float
    magnetization: np.ndarray
    energy: np.ndarray
    reliable: bool
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _local_series(
    L: int, beta: float, cluster: bool, seed: int, tuning: int, burn: int, n_steps: int
) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """One Metropolis (+ Swendsen-Wang) chain: m and E/L^2 after every sweep, step, acceptance, kernel seconds."""
    state = seed_state(np.uint64(seed))
    phi = np.empty(L * L)
    fill_normal(state, phi)
    phi = phi.reshape(L, L)
    delta = _tune_metropolis(phi, state, beta, cluster, tuning)
    _run_in_chunks(phi, state, beta, delta, cluster, 1, np.empty(max(burn, 1)), np.empty((0, L, L)))
    chunk = max(1, min(n_steps, _CHUNK_UPDATES // (L * L), 2**27 // (8 * L * L)))
    magnetization, energy = np.empty(n_steps), np.empty(n_steps)
    accepted, seconds = 0, 0.0
    buffer = np.empty((chunk, L, L))
    for start in range(0, n_steps, chunk):
        stop = min(start + chunk, n_steps)
        begin = time.perf_counter()
        accepted += _run_chain(phi, state, beta, delta, cluster, 1, magnetization[start:stop], buffer[: stop - start])
        seconds += time.perf_counter() - begin
        fields = buffer[: stop - start]
        energy[start:stop] = _energy(fields, np.roll(fields, -1, axis=-2) + np.roll(fields, -1, axis=-1), beta)
    return magnetization, energy / (L * L), delta, accepted / (n_steps * L * L), seconds


def _mala_series(
    L: int, beta: float, n_chains: int, seed: int, tuning: int, burn: int, n_steps: int
) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """``n_chains`` MALA chains run together: m and E/L^2 after every step (n_chains, n_steps), step,
    acceptance, sampler seconds per chain."""
    chains = _mala_chains(L, beta, n_chains, seed, tuning)
    chains.run(burn)
    magnetization, energy = np.empty((n_chains, n_steps)), np.empty((n_chains, n_steps))
    accepted, seconds = 0.0, 0.0
    for t in range(n_steps):
        begin = time.perf_counter()
        accepted += chains.run(1)
        seconds += time.perf_counter() - begin
        magnetization[:, t] = chains.x.mean(axis=(-2, -1))
        energy[:, t] = chains.energy / (L * L)
    return magnetization, energy, chains.step, accepted / n_steps, seconds / n_chains


def phi4_mixing(
    L: int,
    beta: float,
    n_steps: int,
    *,
    sampler: str,
    seed: int,
    thermalization: int = DEFAULT_THERMALIZATION,
    n_chains: int = 1,
) -> Phi4Mixing:
    r"""Integrated autocorrelation times of :math:`|m|` and of the energy, and the cost per independent sample.

    Each chain starts from i.i.d. :math:`N(0, 1)` sites, tunes its step during the first half of
    ``thermalization`` (as :func:`phi4` and :func:`phi4_mala` do), runs the second half as burn-in, then
    records :math:`m` and :math:`E/L^2` after each of ``n_steps`` steps (a Metropolis sweep, a sweep + a
    Swendsen-Wang update, or one MALA step of the whole field). The cost of an effectively independent
    sample is the sampler's time per step times :math:`2\tau` (the variance of a mean over :math:`N`
    steps is that of :math:`N/2\tau` independent draws, Madras & Sokal 1988). Metropolis chains run one
    after the other from one generator; MALA chains are advanced together (vectorised), and the time per
    step is divided by ``n_chains``.

    Parameters
    ----------
    L
        Linear lattice size, >= 2.
    beta
        Coupling :math:`\beta > 0`.
    n_steps
        Recorded steps per chain, >= 100.
    sampler
        One of :data:`PHI4_SAMPLERS`.
    seed
        Integer in :math:`[0, 2^{63})`.
    thermalization
        Steps before the recording, >= 100.
    n_chains
        Independent chains, >= 1.

    Returns
    -------
    Phi4Mixing

    Warns
    -----
    AutocorrelationWarning
        (once) If a series is shorter than 50 :math:`\tau`: then :math:`\tau` is biased low.
    """
    L = count("L", L, minimum=2)
    beta = check_scalar("beta", beta, minimum=0.0, strict=True)
    n_steps = count("n_steps", n_steps, minimum=100)
    sampler = check_choice("sampler", sampler, PHI4_SAMPLERS)
    seed = seed_value(seed)
    thermalization = count("thermalization", thermalization, minimum=_MIN_THERMALIZATION)
    n_chains = count("n_chains", n_chains, minimum=1)
    check_memory(f"{n_chains} chains on {L} x {L} lattices", "L", 64.0 * L * L * n_chains)
    check_memory(
        f"{n_chains} chains of {n_steps} steps", "n_steps", 32.0 * n_chains * n_steps + 64.0 * L * L * n_chains
    )
    tuning = thermalization // 2
    burn = thermalization - tuning
    if sampler == "mala":
        m, e, step, acceptance, seconds = _mala_series(L, beta, n_chains, seed, tuning, burn, n_steps)
    else:
        runs = [_local_series(L, beta, sampler == "cluster", seed + c, tuning, burn, n_steps) for c in range(n_chains)]
        m, e = np.stack([r[0] for r in runs]), np.stack([r[1] for r in runs])
        step, acceptance = float(np.mean([r[2] for r in runs])), float(np.mean([r[3] for r in runs]))
        seconds = sum(r[4] for r in runs) / n_chains
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AutocorrelationWarning)
        taus = [[integrated_autocorrelation_time(series) for series in chain_series] for chain_series in (np.abs(m), e)]
    reliable = not any(issubclass(w.category, AutocorrelationWarning) for w in caught)
    mean_tau = [float(np.mean([t.tau for t in ts])) for ts in taus]
    errors = [float(np.sqrt(np.sum([t.error**2 for t in ts])) / n_chains) for ts in taus]
    per_step = seconds / n_steps
    if not reliable:
        warnings.warn(
            f"phi4_mixing({sampler}, L = {L}): a series of {n_steps} steps is shorter than 50 tau "
            f"(tau_|m| = {mean_tau[0]:.3g}, tau_E = {mean_tau[1]:.3g}): tau is biased low",
            AutocorrelationWarning,
            stacklevel=2,
        )
    return Phi4Mixing(
        sampler=sampler,
        L=L,
        beta=beta,
        seed=seed,
        n_chains=n_chains,
        n_steps=n_steps,
        tau_abs_m=mean_tau[0],
        tau_abs_m_error=errors[0],
        tau_energy=mean_tau[1],
        tau_energy_error=errors[1],
        step=float(step),
        acceptance=float(acceptance),
        seconds_per_step=per_step,
        cost_per_sample=per_step * 2.0 * max(mean_tau),
        magnetization=m,
        energy=e,
        reliable=reliable,
        converged=True,
        iterations=thermalization + n_steps,
        residual=math.nan,
        message=f"ran {n_chains} {sampler} chain(s) of {thermalization} + {n_steps} steps",
    )
