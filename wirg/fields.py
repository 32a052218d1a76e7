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

**Shifted lognormal fields** (:func:`lognormal_field`), a *stand-in* for weak-lensing convergence
maps: :math:`\kappa = \lambda(e^{g - \sigma_g^2/2} - 1)` with :math:`g` Gaussian of covariance
:math:`C_g`, :math:`\sigma_g^2 = C_g(0)`. It has mean 0 and covariance
:math:`C_\kappa(r) = \lambda^2(e^{C_g(r)} - 1)`, so the target :math:`C_\kappa` is reached exactly with
:math:`C_g = \ln(1 + C_\kappa/\lambda^2)`, provided this is a covariance (its spectrum
:math:`\ge 0`). Its one-point law is a shifted lognormal, of skewness
:math:`(e^{\sigma_g^2} + 2)\sqrt{e^{\sigma_g^2} - 1}`: the skewed, long-tailed marginal of convergence
maps (Guth, Lempereur, Bruna & Mallat, ICML 2023, app. C.1, use simulated ones). It is a pointwise
transform of a Gaussian field, not an N-body map: its peaks, filaments and cross-scale phases differ
from real convergence maps, and good results on it are no evidence for real weak-lensing data.

References
----------
P. Coles & B. Jones, "A lognormal model for the cosmological mass distribution", MNRAS 248, 1 (1991);
T. Marchand, M. Ozawa, G. Biroli & S. Mallat, "Multiscale data-driven energy estimation and
generation", Phys. Rev. X 13, 041038 (2023); the theory page ``docs/theory/wirg.md``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from statlearn.numerics.seeding import as_generator
from wirg.checks import check_memory, check_scalar, count, show
from wirg.lattice_ising import ising

__all__ = ["free_field_spectrum", "gaussian_field", "ising", "lattice_momenta", "lognormal_field"]

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
    return _filtered_noise(_spectrum_grid(spectrum, L), L, n_samples, as_generator(seed))


def _filtered_noise(S: np.ndarray, L: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """The fields of :func:`gaussian_field` for a validated spectrum grid ``S >= 0``."""
    amplitude = np.sqrt(S)[:, : L // 2 + 1]
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


_NEGATIVE_TOLERANCE = 1e-10  # relative size of a negative S_g that is rounding (set to 0)


def _power_law_spectrum(L: int, exponent: float, variance: float) -> np.ndarray:
    r""":math:`S(k) \propto (\hat k^2)^{-\text{exponent}/2}`, :math:`S(0) = 0`, scaled to :math:`L^{-2}\sum_k S = ` variance."""
    kx, ky = lattice_momenta(L)
    khat2 = 4.0 * np.sin(kx / 2.0) ** 2 + 4.0 * np.sin(ky / 2.0) ** 2
    S = np.zeros_like(khat2)
    np.power(khat2, -exponent / 2.0, out=S, where=khat2 > 0.0)
    return S * (variance * L * L / S.sum())


def _zero_mode_offset(covariance: np.ndarray, shift2: float) -> float:
    """The constant ``c >= 0`` added to C_kappa (S_kappa(0) raised by c L^2) so that S_g(0) = sum_r C_g(r) >= 0."""

    def total(c: float) -> float:
        return float(np.sum(np.log1p((covariance + c) / shift2)))

    if total(0.0) >= 0.0:
        return 0.0
    high = shift2
    while total(high) < 0.0:
        high *= 2.0
    return float(brentq(total, 0.0, high, xtol=1e-14 * shift2, rtol=1e-15))


def lognormal_field(
    L: int,
    n_samples: int,
    *,
    spectrum: Spectrum | None = None,
    exponent: float | None = None,
    variance: float = 1.0,
    shift: float = 2.0,
    seed: int | np.random.Generator,
) -> np.ndarray:
    r"""Shifted lognormal fields of a target spectrum: a stand-in for weak-lensing convergence (module docstring).

    .. math::
        \kappa = \lambda\big(e^{g - \sigma_g^2/2} - 1\big),\qquad
        C_g(r) = \ln\!\big(1 + C_\kappa(r)/\lambda^2\big),\qquad
        C_\kappa(r) = \frac1{L^2}\sum_k S_\kappa(k)e^{ik\cdot r},

    :math:`g` a stationary Gaussian field (:func:`gaussian_field`) of spectrum
    :math:`S_g(k) = \sum_r C_g(r)e^{-ik\cdot r}`, so that :math:`\mathbb E\kappa = 0` and the spectrum of
    :math:`\kappa` is exactly :math:`S_\kappa`. A pointwise transform of a Gaussian field, not an N-body map.

    **Zero mode.** :math:`\ln(1 + x) \le x` makes :math:`S_g(0) = \sum_r C_g(r) < \sum_r C_\kappa(r)/\lambda^2
    = S_\kappa(0)/\lambda^2`: with :math:`S_\kappa(0) = 0` (fields of zero spatial mean, which no
    lognormal field has) :math:`S_g(0)` would be negative. :math:`S_\kappa(0)` is then raised to the
    smallest value with :math:`S_g(0) = 0` (a constant added to :math:`C_\kappa`); the other modes are
    exactly the target.

    Parameters
    ----------
    L
        Linear lattice size, >= 2.
    n_samples
        Number of independent fields, >= 1.
    spectrum
        Target :math:`S_\kappa(k)`, as for :func:`gaussian_field` (an (L, L) array or a callable).
    exponent
        Instead of ``spectrum``: the power law :math:`S_\kappa \propto (\hat k^2)^{-\text{exponent}/2}`,
        :math:`\hat k^2 = 4\sin^2\frac{k_x}2 + 4\sin^2\frac{k_y}2`, exponent in [0, 64], scaled so that
        the modes :math:`k \ne 0` carry the variance ``variance`` (the zero mode as above).
    variance
        Variance > 0 of the power law's modes :math:`k \ne 0` (ignored with ``spectrum``).
    shift
        :math:`\lambda > 0`, the lower bound :math:`\kappa > -\lambda`; the skewness grows as
        :math:`\lambda` decreases at fixed variance.
    seed
        Integer seed or ``numpy.random.Generator`` of :math:`g`.

    Returns
    -------
    numpy.ndarray
        Fields of shape (n_samples, L, L), float64.

    Raises
    ------
    ValueError
        If :math:`C_\kappa(r) \le -\lambda^2` somewhere (no lognormal field has it), or if
        :math:`C_g` is not a covariance: :math:`S_g(k)` at some :math:`k \ne 0` is negative beyond
        rounding (relative :math:`10^{-10}`; smaller ones are set to 0). No shifted lognormal field
        then has the target spectrum at this shift; a larger ``shift`` (less skewed) may have one.
    """
    L = count("L", L, minimum=2)
    n_samples = count("n_samples", n_samples, minimum=1)
    if (spectrum is None) == (exponent is None):
        raise TypeError("lognormal_field needs exactly one of spectrum= and exponent=")
    shift = check_scalar("shift", shift, minimum=0.0, strict=True)
    if exponent is not None:
        exponent = check_scalar("exponent", exponent, minimum=0.0, strict=False)
        variance = check_scalar("variance", variance, minimum=0.0, strict=True)
        if exponent > 64.0:
            raise ValueError(f"exponent must be <= 64 (float64 range of the power law), got {exponent!r}")
        target = _power_law_spectrum(L, exponent, variance)
    else:
        target = _spectrum_grid(spectrum, L)  # type: ignore[arg-type]
    check_memory(f"{n_samples} fields on the L x L = {L} x {L} lattice", "n_samples", 48 * n_samples * L * L)
    shift2 = shift * shift
    if not (0.0 < shift2 < np.inf):
        raise ValueError(f"shift must have shift**2 within the float64 range, got {shift!r}")
    with np.errstate(over="ignore", invalid="ignore"):
        covariance = np.fft.ifft2(target).real
        ratio_min = float(covariance.min()) / shift2
    if not (np.isfinite(ratio_min) and np.all(np.isfinite(covariance / shift2))):
        raise ValueError(
            f"shift = {shift!r} is too small for this spectrum (or its variance too large): C_kappa / shift^2 overflows float64"
        )
    if ratio_min <= -1.0:
        raise ValueError(
            f"shift = {shift!r}: the target covariance reaches C_kappa(r) = {ratio_min * shift2:.3g} "
            "<= -shift^2, which no shifted lognormal field has; increase shift"
        )
    covariance = covariance + _zero_mode_offset(covariance, shift2)
    log_covariance = np.log1p(covariance / shift2)
    spectrum_g = np.fft.fft2(log_covariance).real
    spectrum_g = 0.5 * (spectrum_g + np.roll(spectrum_g[::-1, ::-1], 1, axis=(0, 1)))  # exactly S(k) = S(-k)
    tolerance = _NEGATIVE_TOLERANCE * float(np.abs(spectrum_g).max())
    if spectrum_g.min() < -tolerance:
        i, j = np.unravel_index(np.argmin(spectrum_g), spectrum_g.shape)
        raise ValueError(
            f"shift = {shift!r}: ln(1 + C_kappa / shift^2) is not a covariance (its spectrum is "
            f"{spectrum_g[i, j]:.3g} < 0 at index ({i}, {j})), so no shifted lognormal field has this "
            "spectrum; increase shift"
        )
    g = _filtered_noise(np.maximum(spectrum_g, 0.0), L, n_samples, as_generator(seed))
    with np.errstate(over="ignore"):
        kappa = shift * np.expm1(g - 0.5 * log_covariance[0, 0])
    if not np.all(np.isfinite(kappa)):
        raise ValueError(f"shift = {shift!r}: the field overflows float64 (too skewed); increase shift")
    return kappa
