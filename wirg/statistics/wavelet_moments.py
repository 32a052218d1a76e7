r"""Per-scale wavelet statistics and wavelet phase-harmonic correlations across neighbouring scales.

**Wavelet moments** (:func:`wavelet_moments`). With the orthogonal decomposition of
:func:`wirg.wavelets.decompose`, each detail channel :math:`\bar\psi_{j,c}` (scale :math:`j`,
channel :math:`c`) has mean zero for a stationary field (the high-pass filter annihilates constants),
so its variance is :math:`v_{j,c} = \langle\bar\psi_{j,c}^2\rangle` and its kurtosis
:math:`\kappa_{j,c} = \langle\bar\psi_{j,c}^4\rangle/\langle\bar\psi_{j,c}^2\rangle^2`, 3 for a Gaussian
field (moments averaged over positions and fields; errors by the jackknife over fields of
:mod:`wirg.statistics.estimate`).

**Phase harmonics** (Mallat, Zhang & Rochette, Inf. Inference 9, 721 (2020); Zhang & Mallat, Appl.
Comput. Harmon. Anal. 53, 199 (2021), "Maximum entropy models from phase harmonic covariances").
Complex band-pass filters defined in Fourier space, Gabor (Morlet-like) bumps restricted to a half plane,

.. math::
    \hat\psi_{j,\ell}(\omega) = e^{-|\omega - \xi_j e_\ell|^2/2s_j^2}\,\mathbf 1[\omega\cdot e_\ell > 0],\qquad
    \xi_j = \tfrac{3\pi}{4}2^{-j},\quad s_j = \xi_j/2,\quad e_\ell = (\cos\tfrac{\pi\ell}{n_\theta}, \sin\tfrac{\pi\ell}{n_\theta}),

(momenta :math:`\omega\in[-\pi,\pi)^2` of the FFT grid, the Nyquist lines excluded) give
:math:`z_{j,\ell} = \psi_{j,\ell}\star\varphi`. The phase harmonic is :math:`[z]^k = |z|e^{ik\arg z}`.
Scale :math:`j + 1` has half the frequency of scale :math:`j`, so :math:`[z_{j+1}]^{2a}` oscillates like
:math:`[z_j]^a`, and the normalised moments

.. math::
    C^{(a)}_j = \frac{\sum_\ell\langle[z_{j,\ell}]^a\,\overline{[z_{j+1,\ell}]^{2a}}\rangle}
    {\big(\sum_\ell\langle|z_{j,\ell}|^2\rangle\,\sum_\ell\langle|z_{j+1,\ell}|^2\rangle\big)^{1/2}}

(:math:`a = 1, 2`; :math:`|C|\le1` by Cauchy-Schwarz) measure the alignment of phases across scales.
**They vanish for every stationary Gaussian field**: its Fourier coefficients on the half plane
:math:`H = \{\omega\cdot e_\ell > 0\}` (disjoint from :math:`-H`) are independent circular complex
Gaussians, so the :math:`z` are jointly circular and :math:`z\to e^{i\alpha}z` leaves their law
unchanged, while the moment picks up :math:`e^{i\alpha(a - 2a)}`. The sign flip :math:`\varphi\to-\varphi`
multiplies :math:`C^{(1)}` by :math:`-1` and leaves :math:`C^{(2)}` unchanged: for a
:math:`\mathbb Z_2`-symmetric field (:math:`\varphi^4`) only :math:`C^{(2)}` can be non-zero; a skewed
field (lognormal) has :math:`C^{(1)} \ne 0`. The real and imaginary parts are reported.
"""

from __future__ import annotations

import numpy as np

from wirg.checks import check_levels, check_memory, count
from wirg.statistics.estimate import Estimate, as_fields, block_count, jackknife
from wirg.wavelets import decompose

__all__ = ["phase_harmonic_correlations", "phase_harmonic_filters", "wavelet_moments"]


def wavelet_moments(
    fields: object, *, levels: int | None = None, wavelet: str = "db4", n_blocks: int | None = None
) -> Estimate:
    r"""Variance and kurtosis of every detail channel of every scale (module docstring).

    Parameters
    ----------
    fields
        Batch (n_samples, L, L), L a power of two.
    levels
        Scales :math:`J`, 1 to :math:`\log_2 L`; default :math:`\log_2 L - 1` (a 2 x 2 coarse field).
    wavelet
        ``"haar"`` or ``"db4"``.
    n_blocks
        Jackknife blocks, default n_samples.

    Returns
    -------
    Estimate
        Components ordered (j, c) for the variances, then (j, c) for the kurtoses; ``x`` is j.
    """
    phi = as_fields(fields)
    B = block_count(n_blocks, phi.shape[0])
    L = phi.shape[-1]
    J = max(L.bit_length() - 2, 1) if levels is None else check_levels(levels, L, "fields")
    ms = decompose(phi, J, wavelet)
    with np.errstate(over="ignore", invalid="ignore"):
        m2 = np.concatenate([np.mean(d**2, axis=(-2, -1)) for d in ms.details], axis=1)  # (n, 3 J)
        m4 = np.concatenate([np.mean(d**4, axis=(-2, -1)) for d in ms.details], axis=1)
    if not (np.all(np.isfinite(m4)) and np.all(m2.sum(axis=0) > 0.0)):
        raise ValueError("fields: a wavelet moment is zero or overflows float64 (constant or too large fields)")

    def func(a2: np.ndarray, a4: np.ndarray) -> np.ndarray:
        return np.concatenate([a2, a4 / a2**2], axis=-1)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        value, error = jackknife((m2, m4), func, B)
    if not (np.all(np.isfinite(value)) and np.all(np.isfinite(error))):
        raise ValueError(
            "fields: a wavelet kurtosis or its jackknife error is undefined in float64 (a channel non-zero in only"
            " one field, or moments that underflow or overflow)"
        )
    scales = np.repeat(np.arange(1, J + 1), 3).astype(float)
    names = [f"j = {j}, channel {c}" for j in range(1, J + 1) for c in range(3)]
    labels = tuple(f"variance {n}" for n in names) + tuple(f"kurtosis {n}" for n in names)
    return Estimate("wavelet moments", np.concatenate([scales, scales]), labels, value, error, phi.shape[0])


def phase_harmonic_filters(L: int, n_scales: int | None = None, n_orientations: int = 4) -> np.ndarray:
    r""":math:`\hat\psi_{j,\ell}(\omega)` on the FFT grid of side ``L`` (module docstring), shape
    (n_scales, n_orientations, L, L). Default ``n_scales``: the scales with :math:`\xi_j L/2\pi \ge 2`."""
    L = count("L", L, minimum=4)
    n_orientations = count("n_orientations", n_orientations, minimum=1)
    check_memory(
        f"{n_orientations} filters per scale on the {L} x {L} lattice",
        "L or n_orientations",
        8 * L * L * n_orientations * L.bit_length(),
    )
    largest = max(int(np.floor(np.log2(3.0 * L / 16.0))) + 1, 1)
    J = largest if n_scales is None else count("n_scales", n_scales, minimum=1)
    if J > largest:
        raise ValueError(f"n_scales must be <= {largest} for L = {L} (xi_j L / 2 pi >= 2), got {J}")
    k = 2.0 * np.pi * np.fft.fftfreq(L)
    wx, wy = np.meshgrid(k, k, indexing="ij")
    nyquist = (wx == -np.pi) | (wy == -np.pi)
    out = np.zeros((J, n_orientations, L, L))
    for j in range(J):
        xi = 0.75 * np.pi * 2.0**-j
        s = xi / 2.0
        for ell in range(n_orientations):
            ex, ey = np.cos(np.pi * ell / n_orientations), np.sin(np.pi * ell / n_orientations)
            bump = np.exp(-((wx - xi * ex) ** 2 + (wy - xi * ey) ** 2) / (2.0 * s * s))
            out[j, ell] = np.where((wx * ex + wy * ey > 0.0) & ~nyquist, bump, 0.0)
    return out


def _harmonic(z: np.ndarray, k: int) -> np.ndarray:
    """The phase harmonic [z]^k = |z| e^{i k arg z} (0 at z = 0)."""
    r = np.abs(z)
    unit = np.divide(z, r, out=np.zeros_like(z), where=r > 0.0)
    return r * unit**k


def phase_harmonic_correlations(
    fields: object, *, n_scales: int | None = None, n_orientations: int = 4, n_blocks: int | None = None
) -> Estimate:
    r"""The normalised cross-scale phase-harmonic moments :math:`C^{(a)}_j`, :math:`a = 1, 2` (module docstring).

    Parameters
    ----------
    fields
        Batch (n_samples, L, L), L >= 8.
    n_scales
        Scales of the filter bank (>= 2), default the largest with :math:`\xi_j L/2\pi \ge 2`.
    n_orientations
        Orientations :math:`n_\theta` on the half circle, >= 1.
    n_blocks
        Jackknife blocks, default n_samples.

    Returns
    -------
    Estimate
        For each pair (j, j + 1), j = 0 .. n_scales - 2: Re and Im of :math:`C^{(1)}_j`, then of
        :math:`C^{(2)}_j`; ``x`` is j.
    """
    phi = as_fields(fields)
    B = block_count(n_blocks, phi.shape[0])
    L = phi.shape[-1]
    if L < 8:
        raise ValueError(f"fields: phase harmonics need L >= 8, got L = {L}")
    bank = phase_harmonic_filters(L, n_scales, n_orientations)
    J = bank.shape[0]
    if J < 2:
        raise ValueError("n_scales must be >= 2: the moments couple neighbouring scales")
    n = phi.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        transform = np.fft.fft2(phi)
        power = np.zeros((n, J))
        cross = np.zeros((n, J - 1, 2), dtype=complex)  # harmonics a = 1, 2
        for ell in range(bank.shape[1]):
            previous = None
            for j in range(J):
                z = np.fft.ifft2(transform * bank[j, ell])
                power[:, j] += np.mean(np.abs(z) ** 2, axis=(-2, -1))
                if previous is not None:
                    for a in (1, 2):
                        product = _harmonic(previous, a) * np.conj(_harmonic(z, 2 * a))
                        cross[:, j - 1, a - 1] += np.mean(product, axis=(-2, -1))
                previous = z
    if not (np.all(np.isfinite(power)) and np.all(np.isfinite(cross)) and np.all(power.sum(axis=0) > 0.0)):
        raise ValueError("fields: the band-pass power is zero or overflows float64 (constant or too large fields)")
    per_field = np.stack([cross.real, cross.imag], axis=-1)  # (n, J - 1, 2 harmonics, re/im)
    per_field = per_field.reshape(n, -1)

    def func(c: np.ndarray, p: np.ndarray) -> np.ndarray:
        norm = np.sqrt(p[:, :-1] * p[:, 1:])  # (B, J - 1)
        return (c.reshape(c.shape[0], J - 1, 4) / norm[:, :, None]).reshape(c.shape[0], -1)

    value, error = jackknife((per_field, power), func, B)
    labels = tuple(
        f"{part} C^({a})_{j} (scales {j}, {j + 1})" for j in range(J - 1) for a in (1, 2) for part in ("Re", "Im")
    )
    return Estimate("phase-harmonic correlations", np.repeat(np.arange(J - 1.0), 4), labels, value, error, n)
