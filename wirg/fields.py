r"""Training data for WIRG: stationary Gaussian fields and lattice :math:`\varphi^4` (PHYSICS.md section 5).

All fields live on a periodic :math:`L\times L` lattice, as arrays ``phi[..., x, y]``; the lattice
momenta are :math:`k = 2\pi n / L` in numpy FFT order (``2 * pi * numpy.fft.fftfreq(L)``, values
in :math:`[-\pi, \pi)`), ``kx`` along the first lattice axis.

**Gaussian fields.** A stationary Gaussian field with spectrum :math:`S(k)` has covariance

.. math::
    \mathbb{E}\,\varphi_x\varphi_y = C(x - y) = \frac{1}{L^2}\sum_k S(k)\,e^{ik\cdot(x-y)},

i.e. :math:`S(k) = \sum_r C(r) e^{-ik\cdot r}` are the eigenvalues of the (circulant) covariance
and :math:`\mathbb{E}|\hat\varphi_k|^2 = L^2 S(k)` with :math:`\hat\varphi_k = \sum_x \varphi_x
e^{-ik\cdot x}` (``numpy.fft.fft2``). A real field has :math:`C(r) = C(-r)` real, hence
:math:`S(k) = S(-k)` real. :func:`gaussian_field` samples it exactly: real white noise ``w``,
:math:`\varphi = \mathcal F^{-1}[\sqrt{S}\,\mathcal F w]`, whose covariance is
:math:`\mathcal F^{-1}\operatorname{diag}(S)\mathcal F` because :math:`\mathcal F w` has
:math:`\mathbb{E}\,\hat w_k \overline{\hat w_{k'}} = L^2\delta_{kk'}`; with :math:`S(k) = S(-k)`
the product is Hermitian, so the field is real and the half-plane transforms ``rfft2``/``irfft2``
compute it without discarding anything. The named case is the lattice free field
(:func:`free_field_spectrum`), :math:`E = \tfrac12\varphi^T(-\beta\Delta + m^2)\varphi`,
:math:`S(k) = 1/(\beta\hat k^2 + m^2)`, :math:`\hat k^2 = 4\sin^2(k_x/2) + 4\sin^2(k_y/2)`.

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
:math:`\lceil 2\max(\tau_m, \tau_{|m|})\rceil` sweeps between stored fields (:math:`|m|` matters as
much as :math:`m` for the Binder cumulant, and the sign flips decorrelate :math:`m` faster). The
kernels use the xoshiro256++ generator of :mod:`statlearn.numerics.rng`, seeded from the integer
``seed``: a seed gives the same fields bit for bit.

**Autocorrelation.** With :math:`\rho(t)` the normalised autocorrelation of a series of length
:math:`N`, :math:`\tau_{\rm int}(W) = \tfrac12 + \sum_{t=1}^{W}\rho(t)`, so that the variance of
the mean is :math:`2\tau_{\rm int}\operatorname{Var}(x)/N` (:math:`\tau_{\rm int} = 1/2` for
independent draws). Sokal's automatic window is the smallest :math:`W` with
:math:`W\ge c\,\tau_{\rm int}(W)`, and the error of the estimate is
:math:`\tau\sqrt{2(2W+1)/N}` (Madras & Sokal, J. Stat. Phys. 50, 109, 1988; Sokal, "Monte Carlo
methods in statistical mechanics", Cargèse lectures 1996).

**Binder cumulant** (Binder, Z. Phys. B 43, 119, 1981): :math:`U_L = 1 - \langle m^4\rangle /
(3\langle m^2\rangle^2)`, 0 for a Gaussian :math:`m` (disordered phase), 2/3 for :math:`m = \pm m_0`
(ordered phase); the curves :math:`U_L(\beta)` of different sizes cross near :math:`\beta_c`. Its
error is a (block) jackknife (Efron, "The jackknife, the bootstrap and other resampling plans", 1982).

**Datasets**: :func:`save_dataset` writes the fields as ``.npy`` with a JSON sidecar (parameters,
seed, autocorrelation times, shape, ``statlearn.__version__``); :func:`dataset` regenerates them on
demand in a cache directory.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.fft
from numba import njit
from numpy.typing import ArrayLike

from statlearn import __version__
from statlearn.numerics.rng import fill_normal, next_double, seed_state
from statlearn.numerics.validation import as_count, as_real_array

__all__ = [
    "AutocorrelationTime",
    "AutocorrelationWarning",
    "BinderCumulant",
    "Dataset",
    "Phi4Samples",
    "binder_cumulant",
    "dataset",
    "free_field_spectrum",
    "gaussian_field",
    "integrated_autocorrelation_time",
    "lattice_momenta",
    "load_dataset",
    "phi4",
    "phi4_energy",
    "save_dataset",
]

Spectrum = np.ndarray | Callable[[np.ndarray, np.ndarray], ArrayLike]

_TUNE_BLOCK = 10  # sweeps between two updates of the Metropolis step during tuning
_MIN_THERMALIZATION = 100
_DEFAULT_THERMALIZATION = 1000
_WINDOW_C = 6.0  # Sokal's window factor
_RELIABLE_LENGTH = 50  # a tau estimate from fewer than 50 tau points is flagged


class AutocorrelationWarning(RuntimeWarning):
    """An integrated autocorrelation time was estimated from a series too short to trust it."""


# ------------------------------------------------------------------------------------ checks


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if not 0 <= seed < 2**64:
        raise ValueError(f"seed must be in [0, 2**64), got {seed!r}")
    return int(seed)


def _check_scalar(name: str, value: object, *, minimum: float, strict: bool) -> float:
    arr = as_real_array(name, value, minimum=minimum, strict_minimum=strict)
    if arr.ndim != 0:
        raise TypeError(f"{name} must be a scalar, got an array of shape {arr.shape}")
    return float(arr)


# --------------------------------------------------------------------------- Gaussian fields


def lattice_momenta(L: int) -> tuple[np.ndarray, np.ndarray]:
    r"""The momenta :math:`(k_x, k_y)` of the :math:`L\times L` lattice on the FFT grid, each (L, L).

    ``kx[i, j] = 2 pi n_i / L`` with ``n = numpy.fft.fftfreq(L) * L``, values in :math:`[-\pi, \pi)`
    in numpy FFT order; ``kx`` varies along the first axis, ``ky`` along the second.
    """
    L = as_count("L", L, minimum=1)
    k = 2.0 * np.pi * np.fft.fftfreq(L)
    kx, ky = np.meshgrid(k, k, indexing="ij")
    return kx, ky


def _spectrum_grid(spectrum: Spectrum, L: int) -> np.ndarray:
    """The validated (L, L) array of S(k): finite, S(k) = S(-k), > 0 except S(0) >= 0."""
    if callable(spectrum):
        values = spectrum(*lattice_momenta(L))
        try:
            S = np.broadcast_to(np.asarray(values, dtype=float), (L, L))
        except (TypeError, ValueError):
            raise ValueError(
                f"spectrum(kx, ky) must return real values broadcastable to ({L}, {L}), got {values!r}"
            ) from None
    else:
        S = np.asarray(spectrum)
        if S.shape != (L, L):
            raise ValueError(f"spectrum must be an array of shape (L, L) = ({L}, {L}), got shape {S.shape}")
        if np.iscomplexobj(S) or not np.issubdtype(S.dtype, np.number):
            raise TypeError(f"spectrum must be a real array, got dtype {S.dtype}")
        S = S.astype(float)
    if not np.all(np.isfinite(S)):
        i, j = np.argwhere(~np.isfinite(S))[0]
        raise ValueError(
            f"spectrum must be finite, got S = {S[i, j]} at index ({i}, {j}); for a massless field "
            "give S(0) a finite value (0 drops the zero mode)"
        )
    bad = S <= 0.0
    bad[0, 0] = S[0, 0] < 0.0
    if np.any(bad):
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"spectrum must be > 0 at every k != 0 and >= 0 at k = 0, got S = {S[i, j]} at index ({i}, {j})"
        )
    mirror = np.roll(S[::-1, ::-1], 1, axis=(0, 1))  # S(-k): index n -> -n mod L
    if not np.allclose(S, mirror, rtol=1e-10, atol=0.0):
        i, j = np.argwhere(~np.isclose(S, mirror, rtol=1e-10, atol=0.0))[0]
        raise ValueError(
            f"spectrum must satisfy S(k) = S(-k) (the covariance of a real field is even), "
            f"got S = {S[i, j]} at index ({i}, {j}) and {mirror[i, j]} at its mirror"
        )
    return S


def gaussian_field(spectrum: Spectrum, L: int, n_samples: int, *, seed: int | np.random.Generator) -> np.ndarray:
    r"""Exact samples of the stationary real Gaussian field of spectrum :math:`S(k)` on the periodic lattice.

    .. math::
        \mathbb{E}\,\varphi_x = 0,\qquad
        \mathbb{E}\,\varphi_x\varphi_y = \frac{1}{L^2}\sum_k S(k)\,e^{ik\cdot(x-y)},\qquad
        \varphi = \mathcal F^{-1}\big[\sqrt{S}\,\mathcal F w\big],\ w_x\ \text{i.i.d.}\ N(0, 1)

    (module docstring). :math:`S(0) = 0` is allowed and gives fields of zero spatial mean.

    Parameters
    ----------
    spectrum
        Either an (L, L) array of :math:`S(k) > 0` on the FFT grid of :func:`lattice_momenta`
        (numpy FFT order), or a callable ``S(kx, ky)`` evaluated on that grid (momenta in
        :math:`[-\pi, \pi)`). Must be finite, :math:`S(k) = S(-k)` (relative tolerance
        :math:`10^{-10}`), positive except :math:`S(0)\ge0`.
    L
        Linear lattice size, >= 1.
    n_samples
        Number of independent fields, >= 1.
    seed
        Integer seed or ``numpy.random.Generator`` for the white noise.

    Returns
    -------
    numpy.ndarray
        Fields of shape (n_samples, L, L), float64.

    Raises
    ------
    TypeError, ValueError
        For a non-integer ``L``/``n_samples``/``seed`` or an invalid ``spectrum``, naming it.
    """
    L = as_count("L", L, minimum=1)
    n_samples = as_count("n_samples", n_samples, minimum=1)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(_check_seed(seed))
    amplitude = np.sqrt(_spectrum_grid(spectrum, L))[:, : L // 2 + 1]
    noise = rng.standard_normal((n_samples, L, L))
    return np.fft.irfft2(amplitude * np.fft.rfft2(noise), s=(L, L))


def free_field_spectrum(L: int, mass: float = 0.0, beta: float = 1.0, *, zero_mode: float | None = None) -> np.ndarray:
    r"""Spectrum of the lattice free field, the eigenvalues of its covariance.

    .. math::
        E(\varphi) = \frac{\beta}{2}\sum_{\langle xy\rangle}(\varphi_x - \varphi_y)^2
        + \frac{m^2}{2}\sum_x\varphi_x^2,
        \qquad
        S(k) = \frac{1}{\beta\hat k^2 + m^2},\qquad \hat k^2 = 4\sin^2\frac{k_x}{2} + 4\sin^2\frac{k_y}{2}.

    At :math:`m = 0` the zero mode is flat (:math:`S(0) = \infty`): by default it is dropped,
    :math:`S(0) = 0`, so that the fields have zero spatial mean (the massless field in a periodic box
    conditioned on its mean); ``zero_mode`` sets :math:`S(0)` to any other value.

    Parameters
    ----------
    L
        Linear lattice size, >= 1.
    mass
        :math:`m \ge 0`.
    beta
        Stiffness :math:`\beta > 0`.
    zero_mode
        :math:`S(0) \ge 0`; default :math:`1/m^2`, or 0 when :math:`m = 0`.

    Returns
    -------
    numpy.ndarray
        (L, L) array of :math:`S(k)` in numpy FFT order, for :func:`gaussian_field`.
    """
    mass = _check_scalar("mass", mass, minimum=0.0, strict=False)
    beta = _check_scalar("beta", beta, minimum=0.0, strict=True)
    kx, ky = lattice_momenta(L)
    khat2 = 4.0 * np.sin(kx / 2.0) ** 2 + 4.0 * np.sin(ky / 2.0) ** 2
    precision = beta * khat2 + mass**2
    S = np.zeros_like(precision)
    np.divide(1.0, precision, out=S, where=precision > 0.0)
    if zero_mode is not None:
        S[0, 0] = _check_scalar("zero_mode", zero_mode, minimum=0.0, strict=False)
    return S


# ----------------------------------------------------------------------------- phi^4 kernels


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


# ------------------------------------------------------------------------------ autocorrelation


@dataclass(frozen=True)
class AutocorrelationTime:
    r"""Integrated autocorrelation time of a series, by Sokal's automatic windowing.

    Attributes
    ----------
    tau
        :math:`\tau_{\rm int} = \tfrac12 + \sum_{t=1}^{W}\rho(t)` (1/2 for independent draws), in
        units of the series' steps.
    error
        Its statistical error :math:`\tau\sqrt{2(2W+1)/N}`.
    window
        The window :math:`W`, the smallest with :math:`W \ge c\,\tau_{\rm int}(W)`.
    n
        Length :math:`N` of the series.
    """

    tau: float
    error: float
    window: int
    n: int


def integrated_autocorrelation_time(x: ArrayLike, *, c: float = _WINDOW_C) -> AutocorrelationTime:
    r"""Integrated autocorrelation time of the series ``x`` with Sokal's automatic window.

    .. math::
        \rho(t) = \frac{\sum_{s=1}^{N-t}(x_s - \bar x)(x_{s+t} - \bar x)}{\sum_{s=1}^{N}(x_s - \bar x)^2},\qquad
        \tau_{\rm int}(W) = \frac12 + \sum_{t=1}^{W}\rho(t),\qquad
        W = \min\{W : W \ge c\,\tau_{\rm int}(W)\},

    so that :math:`\operatorname{Var}\bar x \approx 2\tau_{\rm int}\operatorname{Var}x/N` (Madras &
    Sokal 1988). :math:`\rho` is computed by FFT in :math:`O(N\log N)`.

    Parameters
    ----------
    x
        1-D finite, non-constant series, length >= 4.
    c
        Window factor, > 0 (Sokal: 4 to 10; 6 is adequate for nearly exponential decay).

    Returns
    -------
    AutocorrelationTime

    Warns
    -----
    AutocorrelationWarning
        If no window satisfies the condition or :math:`N < 50\,\tau_{\rm int}`: the estimate is
        then biased low and too uncertain to trust.
    """
    x = as_real_array("x", x)
    if x.ndim != 1 or x.size < 4:
        raise ValueError(f"x must be a 1-D series of length >= 4, got shape {x.shape}")
    c = _check_scalar("c", c, minimum=0.0, strict=True)
    n = x.size
    centred = x - x.mean()
    size = scipy.fft.next_fast_len(2 * n, real=True)  # zero padding to >= 2n: no circular wrap
    spectrum = scipy.fft.rfft(centred, size)
    acov = scipy.fft.irfft(spectrum.real**2 + spectrum.imag**2, size)[:n]
    if not acov[0] > 0.0:
        raise ValueError("x is constant: its autocorrelation time is undefined")
    tau_w = 0.5 + np.cumsum(acov[1:] / acov[0])  # tau_int(W) for W = 1 .. n - 1
    windows = np.arange(1, n)
    found = np.flatnonzero(windows >= c * tau_w)
    W = int(windows[found[0]]) if found.size else n - 1
    tau = float(tau_w[W - 1])
    if not found.size or n < _RELIABLE_LENGTH * tau:
        warnings.warn(
            f"integrated autocorrelation time {tau:.3g} from only {n} points (window {W}): "
            f"a reliable estimate needs a series longer than {_RELIABLE_LENGTH} tau",
            AutocorrelationWarning,
            stacklevel=2,
        )
    return AutocorrelationTime(tau=tau, error=tau * math.sqrt(2.0 * (2 * W + 1) / n), window=W, n=n)


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
        The Metropolis step, frozen after tuning.
    acceptance
        Metropolis acceptance rate with the frozen ``delta`` (pilot and production sweeps).
    magnetization
        :math:`m = L^{-2}\sum_x\varphi_x` after every sweep with the frozen ``delta`` (pilot then
        production: ``thermalization - thermalization // 2 + n_samples * thin`` values).
    tau_m, tau_abs_m
        Integrated autocorrelation times of :math:`m` and :math:`|m|` from ``magnetization``, in sweeps.
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

    @property
    def n_samples(self) -> int:
        """Number of stored fields."""
        return self.fields.shape[0]


def phi4_energy(phi: ArrayLike, beta: float) -> np.ndarray:
    r"""The :math:`\varphi^4` energy of periodic fields (the forward-bond sum of the module docstring).

    .. math:: E = -\beta\sum_x\sum_{\mu=1,2}\varphi_x\varphi_{x+e_\mu} + \sum_x(\varphi_x^4 - \varphi_x^2)

    ``phi`` has shape (..., L, L); returns an array of the leading shape (a 0-d array for one field).
    """
    phi = as_real_array("phi", phi)
    if phi.ndim < 2 or phi.shape[-1] != phi.shape[-2]:
        raise ValueError(f"phi must have shape (..., L, L), got {phi.shape}")
    beta = _check_scalar("beta", beta, minimum=0.0, strict=True)
    bonds = phi * (np.roll(phi, -1, axis=-2) + np.roll(phi, -1, axis=-1))
    phi2 = phi * phi
    return np.sum(-beta * bonds + phi2 * phi2 - phi2, axis=(-2, -1))


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
        Integer in :math:`[0, 2^{64})` seeding the in-kernel xoshiro256++ generator.
    thermalization
        Sweeps before the first stored field, >= 100 (default 1000): the first half tunes the
        Metropolis step, the second half runs with it frozen and measures the autocorrelation times.
    thin
        Sweeps between stored fields, >= 1; default :math:`\lceil 2\max(\tau_m, \tau_{|m|})\rceil`
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
    L = as_count("L", L, minimum=2)
    beta = _check_scalar("beta", beta, minimum=0.0, strict=True)
    n_samples = as_count("n_samples", n_samples, minimum=1)
    seed = _check_seed(seed)
    thermalization = (
        _DEFAULT_THERMALIZATION
        if thermalization is None
        else as_count("thermalization", thermalization, minimum=_MIN_THERMALIZATION)
    )
    if thin is not None:
        thin = as_count("thin", thin, minimum=1)
    if not isinstance(cluster, bool):
        raise TypeError(f"cluster must be a bool, got {cluster!r}")

    state = seed_state(np.uint64(seed))
    phi = np.empty(L * L)
    fill_normal(state, phi)  # the initial field from the same generator: a seed fixes the whole run
    phi = phi.reshape(L, L)
    no_fields = np.empty((0, L, L))
    delta = 1.0
    tuning = thermalization // 2
    for start in range(0, tuning, _TUNE_BLOCK):
        block = min(_TUNE_BLOCK, tuning - start)
        accepted = _run_chain(phi, state, beta, delta, cluster, 1, np.empty(block), no_fields)
        delta *= math.exp(2.0 * (accepted / (block * L * L) - 0.5))

    pilot = np.empty(thermalization - tuning)
    accepted = _run_chain(phi, state, beta, delta, cluster, 1, pilot, no_fields)
    if thin is None:
        tau = max(integrated_autocorrelation_time(pilot).tau, integrated_autocorrelation_time(np.abs(pilot)).tau)
        thin = max(1, math.ceil(2.0 * tau))
    production = np.empty(n_samples * thin)
    fields = np.empty((n_samples, L, L))
    accepted += _run_chain(phi, state, beta, delta, cluster, thin, production, fields)

    magnetization = np.concatenate([pilot, production])
    return Phi4Samples(
        fields=fields,
        L=L,
        beta=beta,
        seed=seed,
        thermalization=thermalization,
        thin=thin,
        cluster=cluster,
        delta=delta,
        acceptance=accepted / (magnetization.size * L * L),
        magnetization=magnetization,
        tau_m=integrated_autocorrelation_time(magnetization),
        tau_abs_m=integrated_autocorrelation_time(np.abs(magnetization)),
    )


# ------------------------------------------------------------------------------ Binder cumulant


@dataclass(frozen=True)
class BinderCumulant:
    r"""The Binder cumulant :math:`U_L = 1 - \langle m^4\rangle / (3\langle m^2\rangle^2)` of a set of fields.

    Attributes
    ----------
    value
        :math:`U_L` from all samples.
    error
        Its jackknife standard error.
    m2, m4
        :math:`\langle m^2\rangle` and :math:`\langle m^4\rangle`.
    n_samples
        Number of fields.
    """

    value: float
    error: float
    m2: float
    m4: float
    n_samples: int


def binder_cumulant(samples: Phi4Samples | ArrayLike, *, n_blocks: int | None = None) -> BinderCumulant:
    r"""Binder cumulant :math:`U_L = 1 - \langle m^4\rangle/(3\langle m^2\rangle^2)`, :math:`m = L^{-2}\sum_x\varphi_x`.

    The error is the jackknife over ``n_blocks`` contiguous blocks of samples,
    :math:`\sigma^2 = \frac{B-1}{B}\sum_b (U_{(b)} - \bar U_{(\cdot)})^2` with :math:`U_{(b)}` the
    cumulant without block ``b``; blocks absorb the correlation left between successive samples.

    Parameters
    ----------
    samples
        A :class:`Phi4Samples`, or fields of shape (n_samples, L, L) (any lattice shape after the first
        axis), n_samples >= 2.
    n_blocks
        Jackknife blocks, 2 <= n_blocks <= n_samples; default n_samples (leave one out).

    Returns
    -------
    BinderCumulant
    """
    fields = samples.fields if isinstance(samples, Phi4Samples) else as_real_array("samples", samples)
    if fields.ndim < 2 or fields.shape[0] < 2:
        raise ValueError(f"samples must hold >= 2 fields along the first axis, got shape {fields.shape}")
    n = fields.shape[0]
    B = n if n_blocks is None else as_count("n_blocks", n_blocks, minimum=2)
    if B > n:
        raise ValueError(f"n_blocks must be <= n_samples = {n}, got {B}")
    m2 = np.square(fields.reshape(n, -1).mean(axis=1))
    m4 = m2 * m2
    if not np.sum(m2) > 0.0:
        raise ValueError("samples have <m^2> = 0: the Binder cumulant is undefined")
    edges = np.linspace(0, n, B + 1).astype(int)
    counts = np.diff(edges)
    block_m2 = np.add.reduceat(m2, edges[:-1])
    block_m4 = np.add.reduceat(m4, edges[:-1])
    left_m2 = (m2.sum() - block_m2) / (n - counts)
    left_m4 = (m4.sum() - block_m4) / (n - counts)
    jackknife = 1.0 - left_m4 / (3.0 * left_m2**2)
    mean_m2, mean_m4 = float(m2.mean()), float(m4.mean())
    return BinderCumulant(
        value=1.0 - mean_m4 / (3.0 * mean_m2**2),
        error=float(np.sqrt((B - 1) / B * np.sum((jackknife - jackknife.mean()) ** 2))),
        m2=mean_m2,
        m4=mean_m4,
        n_samples=n,
    )


# ------------------------------------------------------------------------------------ datasets


@dataclass(frozen=True)
class Dataset:
    """Fields loaded by :func:`load_dataset` and the metadata of their JSON sidecar.

    ``metadata`` has the keys ``shape``, ``dtype``, ``statlearn_version`` and ``parameters`` (a
    dict: the sampler's parameters, seed and measured autocorrelation times, and any extra ones).
    """

    fields: np.ndarray
    metadata: dict


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def _npy_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path if path.suffix == ".npy" else path.with_name(path.name + ".npy")


def _phi4_parameters(samples: Phi4Samples) -> dict:
    def tau(t: AutocorrelationTime) -> dict:
        return {"tau": t.tau, "error": t.error, "window": t.window, "n": t.n}

    return {
        "kind": "phi4",
        "L": samples.L,
        "beta": samples.beta,
        "seed": samples.seed,
        "thermalization": samples.thermalization,
        "thin": samples.thin,
        "cluster": samples.cluster,
        "delta": samples.delta,
        "acceptance": samples.acceptance,
        "tau_m": tau(samples.tau_m),
        "tau_abs_m": tau(samples.tau_abs_m),
    }


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same directory, then rename: no half-written file survives."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(descriptor)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_dataset(path: str | os.PathLike, samples: Phi4Samples | ArrayLike, **params: object) -> Path:
    """Save fields as ``.npy`` with a JSON sidecar of the same name; returns the ``.npy`` path.

    Parameters
    ----------
    path
        Destination; ``.npy`` is appended unless present, the sidecar is the same path with ``.json``.
    samples
        A :class:`Phi4Samples` (its parameters, seed and autocorrelation times are recorded) or an
        array of fields (n_samples, L, L), whose description (e.g. ``kind``, ``seed``) goes in ``params``.
    **params
        Extra JSON-serialisable parameters; one that contradicts a :class:`Phi4Samples` value is refused.

    Returns
    -------
    pathlib.Path
    """
    if isinstance(samples, Phi4Samples):
        fields = samples.fields
        parameters = _phi4_parameters(samples)
        for key, value in params.items():
            if key in parameters and parameters[key] != value:
                raise ValueError(f"parameter {key}={value!r} contradicts the samples' {key}={parameters[key]!r}")
        parameters.update(params)
    else:
        fields = as_real_array("samples", samples)
        parameters = dict(params)
    for key, value in parameters.items():
        try:
            json.dumps(value)
        except TypeError:
            raise TypeError(f"parameter {key} must be JSON-serialisable, got {value!r}") from None
    metadata = {
        "shape": list(fields.shape),
        "dtype": str(fields.dtype),
        "statlearn_version": __version__,
        "parameters": parameters,
    }
    npy = _npy_path(path)
    npy.parent.mkdir(parents=True, exist_ok=True)

    def write_fields(target: Path) -> None:
        with open(target, "wb") as handle:
            np.save(handle, fields)

    _atomic_write(npy, write_fields)
    _atomic_write(_sidecar(npy), lambda target: target.write_text(json.dumps(metadata, indent=2, sort_keys=True)))
    return npy


def load_dataset(path: str | os.PathLike) -> Dataset:
    """Load fields saved by :func:`save_dataset` and their sidecar; checks the recorded shape and dtype.

    Raises
    ------
    FileNotFoundError
        If the ``.npy`` file or its sidecar is missing.
    ValueError
        If the fields disagree with the sidecar.
    """
    npy = _npy_path(path)
    metadata = json.loads(_sidecar(npy).read_text())
    fields = np.load(npy)
    if list(fields.shape) != metadata["shape"] or str(fields.dtype) != metadata["dtype"]:
        raise ValueError(
            f"{npy} holds {fields.dtype} fields of shape {fields.shape}, its sidecar says "
            f"{metadata['dtype']} {tuple(metadata['shape'])}"
        )
    return Dataset(fields=fields, metadata=metadata)


_DATASET_KINDS = ("phi4", "free_field")


def dataset(kind: str, *, L: int, n_samples: int, seed: int, cache_dir: str | os.PathLike, **params: object) -> Dataset:
    """Fields of a named kind from ``cache_dir``, generated and saved there first if missing or stale.

    The file name holds the kind, ``L``, ``n_samples``, ``seed`` and a hash of all the requested
    parameters, which the sidecar also records under ``request``; a cached file is reused when its
    sidecar records the same request and the current ``statlearn.__version__``, and regenerated
    otherwise. Keep ``cache_dir`` outside the
    repository.

    Parameters
    ----------
    kind
        ``"phi4"``: :func:`phi4` with ``params`` among ``beta`` (required), ``thermalization``,
        ``thin``, ``cluster``. ``"free_field"``: :func:`gaussian_field` of
        :func:`free_field_spectrum` with ``params`` among ``mass``, ``beta``, ``zero_mode``.
    L, n_samples, seed
        Lattice size, number of fields, integer seed.
    cache_dir
        Directory of the cache (created if needed).
    **params
        Parameters of the sampler, JSON-serialisable.

    Returns
    -------
    Dataset
    """
    if kind not in _DATASET_KINDS:
        raise ValueError(f"kind must be one of {_DATASET_KINDS}, got {kind!r}")
    requested = {"kind": kind, "L": L, "n_samples": n_samples, "seed": seed, **params}
    try:
        canonical = json.dumps(requested, sort_keys=True)
    except TypeError:
        raise TypeError(f"the parameters of dataset must be JSON-serialisable, got {requested!r}") from None
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:12]
    npy = Path(cache_dir) / f"{kind}_L{L}_n{n_samples}_seed{seed}_{digest}.npy"
    request = json.loads(canonical)  # as it reads back from the sidecar
    if npy.exists() and _sidecar(npy).exists():
        cached = load_dataset(npy)
        metadata = cached.metadata
        if metadata["statlearn_version"] == __version__ and metadata["parameters"].get("request") == request:
            return cached
    if kind == "phi4":
        save_dataset(npy, phi4(L, n_samples=n_samples, seed=seed, **params), request=request)
    else:
        fields = gaussian_field(free_field_spectrum(L, **params), L, n_samples, seed=seed)
        save_dataset(npy, fields, **requested, request=request)
    return load_dataset(npy)
