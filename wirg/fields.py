r"""Stationary Gaussian fields on the periodic lattice: the training data of the exact Gaussian WIRG.

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

References
----------
T. Marchand, M. Ozawa, G. Biroli & S. Mallat, "Multiscale data-driven energy estimation and
generation", Phys. Rev. X 13, 041038 (2023); the theory page ``docs/theory/wirg.md``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.seeding import as_generator
from wirg.checks import check_memory, check_scalar, count, show

__all__ = ["free_field_spectrum", "gaussian_field", "lattice_momenta"]

_TINY = 1.0 / np.finfo(float).max  # 1 / S and S both finite for a precision in [_TINY, _HUGE]
_HUGE = np.finfo(float).max / 16.0

Spectrum = np.ndarray | Callable[[np.ndarray, np.ndarray], ArrayLike]


def lattice_momenta(L: int) -> tuple[np.ndarray, np.ndarray]:
    r"""The momenta :math:`(k_x, k_y)` of the :math:`L\times L` lattice on the FFT grid, each (L, L).

    ``kx[i, j] = 2 pi n_i / L`` with ``n = numpy.fft.fftfreq(L) * L``, values in :math:`[-\pi, \pi)`
    in numpy FFT order; ``kx`` varies along the first axis, ``ky`` along the second.
    """
    L = count("L", L, minimum=1)
    check_memory(f"the momentum grid and spectrum of the {L} x {L} lattice", "L", 64 * L * L)
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
                f"spectrum(kx, ky) must return real values broadcastable to ({L}, {L}), got {show(values)}"
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
    L = count("L", L, minimum=1)
    n_samples = count("n_samples", n_samples, minimum=1)
    check_memory(
        f"{n_samples} fields on the L x L = {L} x {L} lattice",
        "n_samples",
        40 * n_samples * L * L,
        "reduce n_samples or L",
    )
    rng = as_generator(seed)
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
    mass = check_scalar("mass", mass, minimum=0.0, strict=False)
    beta = check_scalar("beta", beta, minimum=0.0, strict=True)
    if not (mass == 0.0 or _TINY <= mass * mass <= _HUGE):
        raise ValueError(f"mass must be 0 or have mass**2 in [{_TINY:.3g}, {_HUGE:.3g}] (float64 range), got {mass!r}")
    if not _TINY <= beta * 8.0 <= _HUGE:  # 8 = the largest khat^2
        raise ValueError(f"beta must be in [{_TINY / 8:.3g}, {_HUGE / 8:.3g}] (float64 range), got {beta!r}")
    kx, ky = lattice_momenta(L)
    khat2 = 4.0 * np.sin(kx / 2.0) ** 2 + 4.0 * np.sin(ky / 2.0) ** 2
    precision = beta * khat2 + mass**2
    S = np.zeros_like(precision)
    np.divide(1.0, precision, out=S, where=precision > 0.0)
    if not np.all(np.isfinite(S)):  # beta khat^2 below 1/max at the smallest momentum of a huge massless lattice
        raise ValueError(f"beta = {beta!r} with mass = {mass!r} gives an infinite S(k) on the L = {L} lattice")
    if zero_mode is not None:
        S[0, 0] = check_scalar("zero_mode", zero_mode, minimum=0.0, strict=False)
    return S
