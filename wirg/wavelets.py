r"""Orthogonal 2-D fast wavelet transform on periodic :math:`L \times L` lattices.

This is the multiscale decomposition of the wavelet conditional renormalisation group
(Marchand, Ozawa, Biroli & Mallat, PRX 13, 041038 (2023); Guth, Lempereur, Bruna & Mallat,
ICML 2023). A field :math:`\varphi_0` on the periodic lattice is split, scale after scale, into a
coarse field and three detail channels,

.. math::

    \varphi_j = \gamma_j^{-1}\, G\, \varphi_{j-1}, \qquad
    \bar\psi_j = \gamma_j^{-1}\, \bar G\, \varphi_{j-1}, \qquad
    \varphi_{j-1} = \gamma_j \big( G^\top \varphi_j + \bar G^\top \bar\psi_j \big),

with :math:`G G^\top = \bar G \bar G^\top = I` and :math:`G \bar G^\top = 0`, so that the transform
is orthogonal for :math:`\gamma_j = 1` (Guth, Lempereur, Bruna & Mallat, ICML 2023, appendix A; the
theory page ``docs/theory/wirg.md``).

Conventions (fixed; :mod:`wirg.gaussian` builds exact Gaussian conditionals from them)
--------------------------------------------------------------------------------------
*Filters.* A conjugate mirror pair :math:`(h, g)` of length :math:`2K`,

.. math::

    \sum_n h[n] = \sqrt 2,\quad \sum_n h[n] h[n + 2m] = \delta_{m0},\quad
    g[n] = (-1)^n\, h[2K - 1 - n],\quad |\hat h(\omega)|^2 + |\hat h(\omega + \pi)|^2 = 2,

with :math:`\hat h(\omega) = \sum_n h[n] e^{-i n \omega}`. ``"haar"`` has :math:`K = 1`,
``"db4"`` is Daubechies' minimum-phase filter with 4 vanishing moments (:math:`K = 4`, 8 taps),
computed here by spectral factorisation (Daubechies 1992, section 6.1); :math:`h` equals
PyWavelets' ``rec_lo`` and :math:`g` its ``rec_hi``. Guth et al. (ICML 2023, appendix A) call the low
pass :math:`g` and write the high pass, in our notation, as :math:`\bar g[n] = (-1)^{1-n} h[1 - n]`; ours is
:math:`g[n] = -\bar g[n - 2K + 2]`, the same filter delayed by the even amount :math:`2K - 2` (a
circular shift of the detail lattice by :math:`K - 1` sites) and with the opposite sign.

*1-D periodic analysis* of :math:`x` of even length :math:`N`, for :math:`k = 0 .. N/2 - 1`,

.. math::

    a[k] = \sum_n h[n]\, x[(2k + n) \bmod N], \qquad d[k] = \sum_n g[n]\, x[(2k + n) \bmod N];

synthesis is its transpose, :math:`x[m] = \sum_{k,n:\,(2k+n) \bmod N = m} (h[n] a[k] + g[n] d[k])`.
In Fourier terms a plane wave :math:`x[m] = e^{i\omega m}` (:math:`\omega \in 2\pi\mathbb{Z}/N`) goes to
:math:`a[k] = \overline{\hat h(\omega)}\, e^{i 2\omega k}`, :math:`d[k] = \overline{\hat g(\omega)}\, e^{i 2\omega k}`.
Filters longer than :math:`N` wrap around (periodisation), so the transform stays orthogonal down
to a :math:`1 \times 1` coarse field for any filter length.

*2-D.* Axis -2 is :math:`y` (rows), axis -1 is :math:`x` (columns). The coarse field is
:math:`h` on axis -2 and :math:`h` on axis -1; the three detail channels are stacked on a new
axis -3 in the order :math:`c = 0: (h, g)`, :math:`c = 1: (g, h)`, :math:`c = 2: (g, g)`
(filter on axis -2, filter on axis -1).

*Relation to PyWavelets.* PyWavelets' periodised transform samples the fine lattice
:math:`K - 1` sites earlier: ``pywt.dwt(x, w, mode="periodization")`` gives
:math:`\sum_n h[n]\, x[(2k + n - K + 1) \bmod N]` (and the same with :math:`g`), for any even
:math:`N`. In 2-D, ``pywt.dwt2(x, w, mode="periodization")`` returns ``(cA, (cH, cV, cD))``
equal to ``(coarse, (details[..., 1, :, :], details[..., 0, :, :], details[..., 2, :, :]))`` of
``analysis_step(np.roll(x, (K - 1, K - 1), axis=(-2, -1)), w)``. For db4 the shift (3) is odd,
so the two are not related by a shift of the coarse lattice; for Haar they coincide.

All functions are linear, batched over leading axes and keep complex input complex, so they also
transform complex plane waves. Real input is computed in float64, complex input in complex128.
Cost: :math:`O(K L^2)` per level, in numba kernels that fuse all taps of a 1-D pass (one
compiled version per dtype, cached on disk); single-threaded.

References
----------
S. Mallat, *A Wavelet Tour of Signal Processing*, 3rd ed. (Academic Press, 2009), sections 7.3
(fast orthogonal wavelet transform) and 7.5.1 (periodic wavelets).
I. Daubechies, *Ten Lectures on Wavelets* (SIAM, 1992), section 6.1 and table 6.1.
T. Marchand, M. Ozawa, G. Biroli & S. Mallat, "Multiscale data-driven energy estimation and
generation", Phys. Rev. X 13, 041038 (2023).
F. Guth, E. Lempereur, J. Bruna & S. Mallat, "Conditionally strongly log-concave generative models",
ICML 2023 (arXiv:2306.00181), appendix A.
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import mpmath as mp
import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from wirg.checks import as_field, check_choice, check_gamma, check_gamma_scalar, check_levels, show, square_side

__all__ = [
    "WAVELETS",
    "MultiScale",
    "analysis_step",
    "decompose",
    "filters",
    "log_jacobian",
    "reconstruct",
    "scale_normalisation",
    "synthesis_step",
]

#: Known wavelet names and their number of vanishing moments ``K`` (filter length ``2K``).
WAVELETS: dict[str, int] = {"haar": 1, "db4": 4}


# --------------------------------------------------------------------------------------------
# filters


@functools.cache
def _daubechies_lowpass(p: int) -> np.ndarray:
    r"""Minimum-phase Daubechies low pass with ``p`` vanishing moments (``2p`` taps).

    Spectral factorisation (Daubechies 1992, section 6.1): with :math:`y = \sin^2(\omega/2)`,
    :math:`|\hat h(\omega)|^2 = 2 \cos^{2p}(\omega/2)\, P(y)`,
    :math:`P(y) = \sum_{k<p} \binom{p-1+k}{k} y^k`. Each root :math:`y_r` of :math:`P` gives the
    pair :math:`z, 1/z` with :math:`z + 1/z = 2 - 4 y_r`; keeping the root inside the unit circle,
    :math:`\hat h(z) \propto (1 + z^{-1})^p \prod_r (1 - z_r z^{-1})`, normalised to
    :math:`\sum_n h[n] = \sqrt 2`. Done in 50-digit arithmetic, so the float64 taps are correctly
    rounded.
    """
    with mp.workdps(50):
        zeros: list = [mp.mpf(-1)] * p
        if p > 1:
            for y in mp.polyroots([mp.binomial(p - 1 + k, k) for k in reversed(range(p))], maxsteps=200, extraprec=100):
                b = 2 - 4 * y
                z = (b + mp.sqrt(b * b - 4)) / 2
                zeros.append(z if abs(z) < 1 else 1 / z)
        poly = [mp.mpc(1)]
        for z in zeros:  # multiply by (1 - z w), w = z^{-1}
            poly = [c - z * prev for c, prev in zip(poly + [mp.mpc(0)], [mp.mpc(0)] + poly)]
        scale = mp.sqrt(2) / mp.re(mp.fsum(poly))
        taps = np.array([float(mp.re(c) * scale) for c in poly])
    taps.flags.writeable = False
    return taps


@functools.cache
def _filter_pair(wavelet: str) -> tuple[np.ndarray, np.ndarray]:
    h = _daubechies_lowpass(WAVELETS[wavelet])
    g = ((-1.0) ** np.arange(h.size)) * h[::-1]
    g.flags.writeable = False
    return h, g


def filters(wavelet: str) -> tuple[np.ndarray, np.ndarray]:
    r"""Conjugate mirror filters ``(h, g)`` of a wavelet.

    Parameters
    ----------
    wavelet : {"haar", "db4"}
        Haar (:math:`K = 1`) or Daubechies with 4 vanishing moments (:math:`K = 4`).

    Returns
    -------
    h, g : ndarray of shape (2K,)
        Low pass with :math:`\sum_n h[n] = \sqrt 2`, :math:`\sum_n h[n] h[n+2m] = \delta_{m0}`,
        and high pass :math:`g[n] = (-1)^n h[2K-1-n]` (fresh copies).

    References
    ----------
    I. Daubechies, *Ten Lectures on Wavelets* (SIAM, 1992), section 6.1.
    """
    h, g = _filter_pair(check_choice("wavelet", wavelet, WAVELETS))
    return h.copy(), g.copy()


# --------------------------------------------------------------------------------------------
# kernels: 1-D periodic filtering along the rows (axis -1), then along the columns (axis -2).
# Each is one pass over its input with all taps fused; numba compiles one version per dtype
# (float64, complex128), so the transform stays linear on complex arrays.


@njit(cache=True, nogil=True)
def _analysis_rows(x, h, g, out):  # pragma: no cover - compiled
    """``out[b, 0, i, k] = sum_n h[n] x[b, i, (2k+n) % N]``, ``out[b, 1]`` the same with ``g``."""
    B, R, N = x.shape
    M = h.size
    for b in range(B):
        for i in range(R):
            for k in range(N // 2):
                sa = x[b, i, 0] * 0.0
                sd = sa
                if 2 * k + M <= N:
                    for n in range(M):
                        v = x[b, i, 2 * k + n]
                        sa += h[n] * v
                        sd += g[n] * v
                else:
                    for n in range(M):
                        v = x[b, i, (2 * k + n) % N]
                        sa += h[n] * v
                        sd += g[n] * v
                out[b, 0, i, k] = sa
                out[b, 1, i, k] = sd


@njit(cache=True, nogil=True)
def _analysis_columns(y, h, g, coarse, details):  # pragma: no cover - compiled
    """Filter ``y[b, s, :, m]`` (s = 0: row low pass, 1: row high pass) along axis -2.

    coarse = (h, h) of the low pass; details[:, 0] = (h, g), [:, 1] = (g, h), [:, 2] = (g, g).
    """
    B, _, N, W = y.shape
    M = h.size
    for b in range(B):
        for k in range(N // 2):
            for m in range(W):
                coarse[b, k, m] = 0.0
                details[b, 0, k, m] = 0.0
                details[b, 1, k, m] = 0.0
                details[b, 2, k, m] = 0.0
            for n in range(M):
                row = (2 * k + n) % N
                hn = h[n]
                gn = g[n]
                for m in range(W):
                    lo = y[b, 0, row, m]
                    hi = y[b, 1, row, m]
                    coarse[b, k, m] += hn * lo
                    details[b, 1, k, m] += gn * lo
                    details[b, 0, k, m] += hn * hi
                    details[b, 2, k, m] += gn * hi


@njit(cache=True, nogil=True)
def _synthesis_columns(coarse, details, h, g, y):  # pragma: no cover - compiled
    """Transpose of :func:`_analysis_columns`: ``y[b, s, (2k+n) % N, m] += ...``."""
    B, half, W = coarse.shape
    N = 2 * half
    M = h.size
    for b in range(B):
        for s in range(2):
            for row in range(N):
                for m in range(W):
                    y[b, s, row, m] = 0.0
        for k in range(half):
            for n in range(M):
                row = (2 * k + n) % N
                hn = h[n]
                gn = g[n]
                for m in range(W):
                    y[b, 0, row, m] += hn * coarse[b, k, m] + gn * details[b, 1, k, m]
                    y[b, 1, row, m] += hn * details[b, 0, k, m] + gn * details[b, 2, k, m]


@njit(cache=True, nogil=True)
def _synthesis_rows(y, h, g, x):  # pragma: no cover - compiled
    """Transpose of :func:`_analysis_rows`: ``x[2p+e] = sum_r h[2r+e] a[p-r] + g[2r+e] d[p-r]``."""
    B, _, R, half = y.shape
    K = h.size // 2
    for b in range(B):
        for i in range(R):
            for p in range(half):
                even = y[b, 0, i, 0] * 0.0
                odd = even
                for r in range(K):
                    k = (p - r) % half
                    a = y[b, 0, i, k]
                    d = y[b, 1, i, k]
                    even += h[2 * r] * a + g[2 * r] * d
                    odd += h[2 * r + 1] * a + g[2 * r + 1] * d
                x[b, i, 2 * p] = even
                x[b, i, 2 * p + 1] = odd


# --------------------------------------------------------------------------------------------
# one scale


def _analysis(x: np.ndarray, h: np.ndarray, g: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """``(phi_j, psibar_j)`` of a validated ``x`` of shape (..., L, L); 1/gamma folded into the column pass."""
    batch, L = x.shape[:-2], x.shape[-1]
    flat = np.ascontiguousarray(x).reshape(-1, L, L)
    y = np.empty((flat.shape[0], 2, L, L // 2), dtype=x.dtype)
    _analysis_rows(flat, h, g, y)
    coarse = np.empty((flat.shape[0], L // 2, L // 2), dtype=x.dtype)
    details = np.empty((flat.shape[0], 3, L // 2, L // 2), dtype=x.dtype)
    _analysis_columns(y, h / gamma, g / gamma, coarse, details)
    return coarse.reshape(*batch, L // 2, L // 2), details.reshape(*batch, 3, L // 2, L // 2)


def _synthesis(coarse: np.ndarray, details: np.ndarray, h: np.ndarray, g: np.ndarray, gamma: float) -> np.ndarray:
    """``phi_{j-1}`` from validated ``coarse`` (..., n, n), ``details`` (..., 3, n, n); batch axes broadcast."""
    n = coarse.shape[-1]
    batch = np.broadcast_shapes(coarse.shape[:-2], details.shape[:-3])
    dtype = np.result_type(coarse, details)
    if coarse.shape[:-2] != batch:
        coarse = np.broadcast_to(coarse, (*batch, n, n))
    if details.shape[:-3] != batch:
        details = np.broadcast_to(details, (*batch, 3, n, n))
    c = np.ascontiguousarray(coarse, dtype=dtype).reshape(-1, n, n)
    d = np.ascontiguousarray(details, dtype=dtype).reshape(-1, 3, n, n)
    y = np.empty((c.shape[0], 2, 2 * n, n), dtype=dtype)
    _synthesis_columns(c, d, h, g, y)
    x = np.empty((c.shape[0], 2 * n, 2 * n), dtype=dtype)
    _synthesis_rows(y, h * gamma, g * gamma, x)
    return x.reshape(*batch, 2 * n, 2 * n)


def _finite(out, name: str, gamma: float | tuple[float, ...]):
    """``out`` (an array or a tuple of arrays) if finite; else ``ValueError``: the transform of the
    (finite) input overflowed float64 with these normalisations."""
    for arr in out if isinstance(out, tuple) else (out,):
        if not np.isfinite(arr).all():
            raise ValueError(f"the wavelet transform of {name} with gamma = {gamma} overflows float64")
    return out


def analysis_step(phi: ArrayLike, wavelet: str = "db4", gamma: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    r"""One scale of the fast wavelet transform: :math:`\varphi_{j-1} \mapsto (\varphi_j, \bar\psi_j)`.

    .. math::

        \varphi_j = \gamma^{-1} G \varphi_{j-1}, \qquad \bar\psi_j = \gamma^{-1} \bar G \varphi_{j-1},

    with :math:`G` = (:math:`h` on axis -2, :math:`h` on axis -1) and :math:`\bar G` the channels
    :math:`(h, g), (g, h), (g, g)`, each decimated by 2 along both axes (module docstring).

    Parameters
    ----------
    phi : array_like, shape (..., L, L)
        Fine field(s) :math:`\varphi_{j-1}`; ``L`` even (a power of two is not needed for one
        step). Real input is computed in float64, complex input in complex128.
    wavelet : {"haar", "db4"}
    gamma : float > 0
        Normalisation :math:`\gamma_j` of this scale (1: orthonormal).

    Returns
    -------
    coarse : ndarray, shape (..., L/2, L/2)
        :math:`\varphi_j`.
    details : ndarray, shape (..., 3, L/2, L/2)
        :math:`\bar\psi_j`, channels ``c = 0, 1, 2``.
    """
    h, g = _filter_pair(check_choice("wavelet", wavelet, WAVELETS))
    x = as_field("phi", phi)
    square_side("phi", x, power_of_two=False)
    gamma = check_gamma_scalar(gamma)
    return _finite(_analysis(x, h, g, gamma), "phi", gamma)


def synthesis_step(coarse: ArrayLike, details: ArrayLike, wavelet: str = "db4", gamma: float = 1.0) -> np.ndarray:
    r"""Inverse of :func:`analysis_step`: :math:`\varphi_{j-1} = \gamma (G^\top \varphi_j + \bar G^\top \bar\psi_j)`.

    Parameters
    ----------
    coarse : array_like, shape (..., n, n)
        :math:`\varphi_j`.
    details : array_like, shape (..., 3, n, n)
        :math:`\bar\psi_j`. The leading axes of ``coarse`` and ``details`` broadcast.
    wavelet : {"haar", "db4"}
    gamma : float > 0

    Returns
    -------
    ndarray, shape (..., 2n, 2n)
        :math:`\varphi_{j-1}`, complex if either input is complex.
    """
    h, g = _filter_pair(check_choice("wavelet", wavelet, WAVELETS))
    c = as_field("coarse", coarse)
    d = as_field("details", details, min_ndim=3)
    n = c.shape[-1]
    if c.shape[-2] != n:
        raise ValueError(f"coarse must be square on its last two axes, got shape {c.shape}")
    if d.shape[-3:] != (3, n, n):
        raise ValueError(f"details must have shape (..., 3, {n}, {n}) to match coarse {c.shape}, got {d.shape}")
    try:
        np.broadcast_shapes(c.shape[:-2], d.shape[:-3])
    except ValueError:
        raise ValueError(
            f"the leading (batch) axes of coarse {c.shape} and details {d.shape} do not broadcast"
        ) from None
    gamma = check_gamma_scalar(gamma)
    return _finite(_synthesis(c, d, h, g, gamma), "coarse and details", gamma)


# --------------------------------------------------------------------------------------------
# all scales


@dataclass(frozen=True, eq=False)
class MultiScale:
    r"""Wavelet decomposition :math:`(\varphi_J, \bar\psi_J, \dots, \bar\psi_1)` of a batch of fields.

    Attributes
    ----------
    coarse : ndarray, shape (..., L/2^J, L/2^J)
        Coarsest field :math:`\varphi_J`.
    details : tuple of ndarray
        :math:`\bar\psi_1, \dots, \bar\psi_J` (finest first); :math:`\bar\psi_j` has shape
        (..., 3, L/2^j, L/2^j), channels ``c = 0: (h, g)``, ``1: (g, h)``, ``2: (g, g)``.
    wavelet : str
        Name of the filters (:data:`WAVELETS`).
    gamma : tuple of float
        :math:`\gamma_1, \dots, \gamma_J`.

    Leading (batch) axes of all arrays must broadcast together. Equality is identity (arrays).
    """

    coarse: np.ndarray
    details: tuple[np.ndarray, ...]
    wavelet: str
    gamma: tuple[float, ...]

    def __post_init__(self) -> None:
        check_choice("wavelet", self.wavelet, WAVELETS)
        coarse = as_field("coarse", self.coarse)
        n = coarse.shape[-1]
        if coarse.shape[-2] != n or n & (n - 1):
            raise ValueError(f"coarse must be square with a power-of-two side, got shape {coarse.shape}")
        if isinstance(self.details, np.ndarray) or not isinstance(self.details, Sequence) or not self.details:
            raise TypeError("details must be a non-empty sequence of arrays psibar_1 .. psibar_J")
        levels = len(self.details)
        details = tuple(as_field(f"details[{j}]", d, min_ndim=3) for j, d in enumerate(self.details))
        for j, d in enumerate(details):
            side = n << (levels - 1 - j)
            if d.shape[-3:] != (3, side, side):
                raise ValueError(
                    f"details[{j}] (psibar_{j + 1}) must have shape (..., 3, {side}, {side}) "
                    f"for coarse of side {n} and {levels} levels, got {d.shape}"
                )
        try:
            np.broadcast_shapes(coarse.shape[:-2], *(d.shape[:-3] for d in details))
        except ValueError:
            raise ValueError("the leading (batch) axes of coarse and details do not broadcast") from None
        object.__setattr__(self, "coarse", coarse)
        object.__setattr__(self, "details", details)
        object.__setattr__(self, "gamma", check_gamma(self.gamma, levels))

    @property
    def levels(self) -> int:
        """Number of scales :math:`J`."""
        return len(self.details)

    @property
    def L(self) -> int:
        """Side of the finest lattice, :math:`L = 2^J \\times` side of ``coarse``."""
        return self.coarse.shape[-1] << self.levels

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of the leading (batch) axes."""
        return np.broadcast_shapes(self.coarse.shape[:-2], *(d.shape[:-3] for d in self.details))


def decompose(field: ArrayLike, levels: int, wavelet: str = "db4", gamma: float | Sequence[float] = 1.0) -> MultiScale:
    r"""Fast wavelet transform over ``levels`` scales.

    .. math::

        \varphi_j = \gamma_j^{-1} G \varphi_{j-1}, \quad \bar\psi_j = \gamma_j^{-1} \bar G \varphi_{j-1},
        \quad j = 1, \dots, J.

    Parameters
    ----------
    field : array_like, shape (..., L, L)
        :math:`\varphi_0`, ``L`` a power of two; real or complex.
    levels : int
        :math:`J`, from 1 to :math:`\log_2 L` (a :math:`1 \times 1` coarse field).
    wavelet : {"haar", "db4"}
    gamma : float or sequence of ``levels`` floats, > 0
        :math:`\gamma_j`; a number is used at every scale. 1 gives the orthonormal transform
        (:math:`\|\varphi_0\|^2 = \|\varphi_J\|^2 + \sum_j \|\bar\psi_j\|^2`); see
        :func:`log_jacobian` for the change of variables and :func:`scale_normalisation` for a
        data-driven choice.

    Returns
    -------
    MultiScale
    """
    h, g = _filter_pair(check_choice("wavelet", wavelet, WAVELETS))
    x = as_field("field", field)
    L = square_side("field", x, power_of_two=True)
    levels = check_levels(levels, L, "field")
    gammas = check_gamma(gamma, levels)
    details = []
    for gam in gammas:
        x, d = _analysis(x, h, g, gam)
        details.append(d)
    _finite((x, *details), "field", gammas)
    return MultiScale(coarse=x, details=tuple(details), wavelet=wavelet, gamma=gammas)


def reconstruct(ms: MultiScale) -> np.ndarray:
    r"""Inverse of :func:`decompose`.

    .. math::

        \varphi_{j-1} = \gamma_j \big(G^\top \varphi_j + \bar G^\top \bar\psi_j\big),
        \quad j = J, \dots, 1.

    Parameters
    ----------
    ms : MultiScale

    Returns
    -------
    ndarray, shape (batch_shape..., L, L)
        :math:`\varphi_0`.
    """
    if not isinstance(ms, MultiScale):
        raise TypeError(f"ms must be a MultiScale, got {type(ms).__name__}")
    h, g = _filter_pair(ms.wavelet)
    x = ms.coarse
    for d, gam in zip(reversed(ms.details), reversed(ms.gamma)):
        x = _synthesis(x, d, h, g, gam)
    return _finite(x, "ms", ms.gamma)


def log_jacobian(L: int, levels: int, gamma: float | Sequence[float] = 1.0) -> float:
    r"""Log-determinant of :math:`\varphi_0 \mapsto (\varphi_J, \bar\psi_J, \dots, \bar\psi_1)`.

    Each scale is an orthogonal map times :math:`\gamma_j^{-1}` on the
    :math:`(L/2^{j-1})^2` coordinates of :math:`\varphi_{j-1}`, so

    .. math::

        \ln \left| \det \frac{\partial(\varphi_J, \bar\psi_J, \dots, \bar\psi_1)}{\partial \varphi_0} \right|
        = -\sum_{j=1}^{J} \left(\frac{L}{2^{j-1}}\right)^2 \ln \gamma_j .

    A density transforms as
    :math:`p_0(\varphi_0) = p(\varphi_J, \bar\psi_J, \dots, \bar\psi_1)\, e^{\text{log\_jacobian}}`.

    Parameters
    ----------
    L : int
        Side of the lattice, a power of two.
    levels : int
        :math:`J`, from 1 to :math:`\log_2 L`.
    gamma : float or sequence of ``levels`` floats, > 0
    """
    if isinstance(L, bool) or not isinstance(L, numbers.Integral):
        raise TypeError(f"L must be an integer, got {show(L)}")
    if L < 2 or L & (L - 1):
        raise ValueError(f"L must be a power of two >= 2, got {L}")
    levels = check_levels(levels, int(L))
    gammas = check_gamma(gamma, levels)
    return -float(sum((int(L) >> (j - 1)) ** 2 * np.log(gam) for j, gam in enumerate(gammas, start=1)))


def scale_normalisation(field: ArrayLike, levels: int, wavelet: str = "db4") -> tuple[float, ...]:
    r"""Normalisations :math:`\gamma_j` that give :math:`\varphi_j` the same empirical variance at every scale.

    With :math:`c_0 = \varphi_0`, :math:`c_j = G c_{j-1}` (unnormalised coarse fields) and
    :math:`v_j` the variance of :math:`c_j` over the batch and the sites (about the global mean),

    .. math::

        \gamma_j = \sqrt{v_j / v_{j-1}} \quad\Longrightarrow\quad
        \operatorname{Var} \varphi_j = \operatorname{Var} \varphi_0, \quad j = 1, \dots, J.

    Parameters
    ----------
    field : array_like, shape (..., L, L)
        Training fields, ``L`` a power of two.
    levels : int
    wavelet : {"haar", "db4"}

    Returns
    -------
    tuple of float
        :math:`(\gamma_1, \dots, \gamma_J)`, to pass as ``gamma`` to :func:`decompose`.

    Raises
    ------
    ValueError
        If a coarse field has zero variance (e.g. a single field decomposed to :math:`1 \times 1`).
    """
    h, g = _filter_pair(check_choice("wavelet", wavelet, WAVELETS))
    x = as_field("field", field)
    L = square_side("field", x, power_of_two=True)
    levels = check_levels(levels, L, "field")
    with np.errstate(over="ignore", invalid="ignore"):
        variances = [float(np.var(x))]
        for _ in range(levels):
            x, _details = _analysis(x, h, g, 1.0)
            variances.append(float(np.var(x)))
    if not all(np.isfinite(variances)):
        raise ValueError("field: its variance overflows float64 (values too large)")
    if min(variances) <= 0.0:
        j = next(j for j, v in enumerate(variances) if v <= 0.0)
        raise ValueError(f"field has zero variance at scale j = {j} (side {L >> j}); use more fields or fewer levels")
    return tuple(float(np.sqrt(v1 / v0)) for v0, v1 in zip(variances[:-1], variances[1:]))
