r"""Statistics of Markov-chain output: integrated autocorrelation times and the Binder cumulant.

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
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike

from wirg.checks import check_scalar, count, real_array

__all__ = [
    "AutocorrelationTime",
    "AutocorrelationWarning",
    "BinderCumulant",
    "binder_cumulant",
    "integrated_autocorrelation_time",
]

_WINDOW_C = 6.0  # Sokal's window factor
_RELIABLE_LENGTH = 50  # a tau estimate from fewer than 50 tau points is flagged


class AutocorrelationWarning(RuntimeWarning):
    """An integrated autocorrelation time was estimated from a series too short to trust it."""


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
    x = real_array("x", x)
    if x.ndim != 1 or x.size < 4:
        raise ValueError(f"x must be a 1-D series of length >= 4, got shape {x.shape}")
    c = check_scalar("c", c, minimum=0.0, strict=True)
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


def binder_cumulant(samples: object, *, n_blocks: int | None = None) -> BinderCumulant:
    r"""Binder cumulant :math:`U_L = 1 - \langle m^4\rangle/(3\langle m^2\rangle^2)`, :math:`m = L^{-2}\sum_x\varphi_x`.

    The error is the jackknife over ``n_blocks`` contiguous blocks of samples,
    :math:`\sigma^2 = \frac{B-1}{B}\sum_b (U_{(b)} - \bar U_{(\cdot)})^2` with :math:`U_{(b)}` the
    cumulant without block ``b``; blocks absorb the correlation left between successive samples.

    Parameters
    ----------
    samples
        Fields of shape (n_samples, L, L) (any lattice shape after the first axis), n_samples >= 2, or an
        object holding them as ``fields`` (:class:`wirg.lattice_phi4.Phi4Samples`, :class:`wirg.datasets.Dataset`).
    n_blocks
        Jackknife blocks, 2 <= n_blocks <= n_samples; default n_samples (leave one out).

    Returns
    -------
    BinderCumulant
    """
    if not isinstance(samples, np.ndarray) and hasattr(samples, "fields"):
        samples = samples.fields
    fields = real_array("samples", samples)
    if fields.ndim < 2 or fields.shape[0] < 2:
        raise ValueError(f"samples must hold >= 2 fields along the first axis, got shape {fields.shape}")
    n = fields.shape[0]
    B = n if n_blocks is None else count("n_blocks", n_blocks, minimum=2)
    if B > n:
        raise ValueError(f"n_blocks must be <= n_samples = {n}, got {B}")
    edges = np.linspace(0, n, B + 1).astype(int)
    counts = np.diff(edges)
    with np.errstate(all="ignore"):  # over- and underflow of m^4 are refused below
        m2 = np.square(fields.reshape(n, -1).mean(axis=1))
        m4 = m2 * m2
        block_m2 = np.add.reduceat(m2, edges[:-1])
        block_m4 = np.add.reduceat(m4, edges[:-1])
        left_m2 = (m2.sum() - block_m2) / (n - counts)
        left_m4 = (m4.sum() - block_m4) / (n - counts)
        jackknife = 1.0 - left_m4 / (3.0 * left_m2**2)
        mean_m2, mean_m4 = m2.mean(), m4.mean()
        value = 1.0 - mean_m4 / (3.0 * mean_m2**2)
    if not np.sum(m2) > 0.0:
        raise ValueError("samples have <m^2> = 0: the Binder cumulant is undefined")
    if not (np.isfinite(value) and np.all(np.isfinite(jackknife)) and mean_m4 > 0.0):
        raise ValueError(
            "samples: m^4 over- or underflows float64, or a jackknife block leaves <m^2> = 0 (rescale the "
            "fields or use fewer blocks)"
        )
    mean_m2, mean_m4 = float(mean_m2), float(mean_m4)
    return BinderCumulant(
        value=float(value),
        error=float(np.sqrt((B - 1) / B * np.sum((jackknife - jackknife.mean()) ** 2))),
        m2=mean_m2,
        m4=mean_m4,
        n_samples=n,
    )
