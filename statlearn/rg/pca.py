r"""PCA as momentum-shell renormalisation group (Bradde & Bialek, J. Stat. Phys. 167, 462 (2017)).

Data are ``n_samples`` observations of :math:`N` units, an array (n_samples, N), or (n_samples, L, L)
lattice fields flattened row-major (C order) to :math:`N = L^2` units. They are centred with their
sample mean; the empirical covariance :math:`\hat C = X^\top X / n` has eigenvectors :math:`u_\mu`
ordered by decreasing eigenvalue :math:`\lambda_1 \ge \lambda_2 \ge \dots`. Keeping the top
:math:`K` of them is the coarse-graining

.. math::
    x^{(K)}_i = \sum_{\mu \le K} u_{i\mu}\, a_\mu, \qquad a_\mu = u_\mu^\top x ,

the analogue of integrating out the momentum shell above a cutoff: for a stationary field
:math:`\hat C` is (up to sampling noise) circulant and the :math:`u_\mu` are plane waves ordered by
their power (:func:`fourier_check`), so keeping the top K is keeping the long wavelengths. The flow
is followed with the normalised fourth moment of each unit,

.. math::
    \kappa_i(K) = \frac{\langle (x^{(K)}_i)^4\rangle}{\langle (x^{(K)}_i)^2\rangle^2},

which is 3 for Gaussian variables at every K. :func:`pca_flow` returns its median and quantiles over
units against K/N, and the same for the mode amplitudes :math:`a_\mu`, :math:`\mu \le K`.
A rescaling :math:`x^{(K)} \to z_K x^{(K)}` (the RG's field rescaling, which keeps the variance fixed:
:func:`coarse_grain` with ``rescale=True``) multiplies numerator and denominator of
:math:`\kappa_i` by :math:`z_K^4`: the normalised moment is the same with or without it.

**Finite samples.** The projection is estimated from the same data it projects, so even for
Gaussian data :math:`x^{(K)}` is Gaussian only up to finite-sample effects, and the sample moment
ratio is biased at order 1/n. :func:`gaussian_control` draws Gaussian data with the same n and the
same empirical covariance: its flow is the baseline the data are compared with.

**Error bars.** Delete-one-block jackknife over ``n_blocks`` contiguous blocks of samples (contiguous,
so that the correlation of successive Markov-chain samples is inside a block): every replicate
re-estimates the mean, the covariance and its eigenvectors, so the error includes that of the
projection itself.

**Known non-Gaussian case.** For :math:`x = M s` with independent :math:`s_j` of unit variance and
normalised fourth moment :math:`\kappa_s`, the coarse variable is :math:`x^{(K)}_i = \sum_j B_{ij} s_j`
with :math:`B = P_K M`, :math:`P_K = \sum_{\mu\le K} u_\mu u_\mu^\top`, and (cumulants add)

.. math::
    \kappa_i(K) = 3 + (\kappa_s - 3)\,\frac{\sum_j B_{ij}^4}{\big(\sum_j B_{ij}^2\big)^2},

the test oracle of :func:`pca_flow`.

References
----------
S. Bradde & W. Bialek, "PCA meets RG", J. Stat. Phys. 167, 462 (2017), arXiv:1610.09733.
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from tqdm import tqdm

from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar, brief

__all__ = [
    "DegenerateDataWarning",
    "FourierCheck",
    "PCAFlow",
    "coarse_grain",
    "fourier_check",
    "gaussian_control",
    "pca_flow",
]

MIN_SAMPLES = 8
"""The fewest samples :func:`pca_flow` accepts (and at least two per jackknife block)."""
_FLAT = 1e-12  # a unit or mode with variance below this fraction of the largest has no fourth moment
_HUGE = 1e100  # the largest |value| accepted: fourth moments and squared Fourier amplitudes stay finite


class DegenerateDataWarning(RuntimeWarning):
    """Some coarse variables or modes of :func:`pca_flow` have zero variance (their ratio is NaN and left out
    of the medians): duplicated or linearly dependent units, or fewer samples than units; or a jackknife
    replica of nearly constant data has none of non-zero variance (its standard errors are NaN)."""


def _as_data(data: ArrayLike, *, minimum: int = MIN_SAMPLES) -> np.ndarray:
    """``data`` as a centred float array (n_samples, N): (n, N) or (n, L, L) flattened."""
    array = as_real_array("data", data, minimum=-_HUGE, maximum=_HUGE)
    if array.ndim not in (2, 3):
        raise ValueError(f"data must be (n_samples, N) or (n_samples, L, L), got an array of shape {array.shape}")
    if array.shape[0] < minimum:
        raise ValueError(f"data must hold at least {minimum} samples, got {array.shape[0]}")
    n_units = math.prod(array.shape[1:])
    if n_units < 1:
        raise ValueError(f"data must have at least one unit, got shape {array.shape}")
    flat = array.reshape(array.shape[0], n_units)
    return flat - flat.mean(axis=0)


def _kept(fractions: ArrayLike, N: int) -> tuple[np.ndarray, np.ndarray]:
    """Fractions in (0, 1] and the numbers of kept components K = max(1, round(f N))."""
    f = np.atleast_1d(as_real_array("fractions", fractions, allow_empty=False))
    if f.ndim != 1:
        raise ValueError(f"fractions must be a number or a 1-D array, got shape {f.shape}")
    if np.any(f <= 0.0) or np.any(f > 1.0):
        raise ValueError(f"fractions K/N must be in (0, 1], got {f[(f <= 0.0) | (f > 1.0)][0]!r}")
    return f, np.maximum(1, np.rint(f * N)).astype(int)


def _eigen(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (decreasing) and eigenvectors (columns) of X^T X / n for centred X (computed on X / max|X|,
    so that huge and tiny data neither overflow nor underflow)."""
    scale = float(np.max(np.abs(X))) or 1.0
    Z = X / scale
    values, vectors = np.linalg.eigh(Z.T @ Z / X.shape[0])
    return values[::-1] * scale**2, vectors[:, ::-1]


def _moment_ratio(Y: np.ndarray, scale: float) -> np.ndarray:
    """<y^4> / <y^2>^2 per column of centred Y; NaN where the variance is below _FLAT * scale."""
    m2 = np.mean(Y * Y, axis=0)
    m4 = np.mean(Y**4, axis=0)
    out = np.full(m2.shape, np.nan)
    ok = m2 > _FLAT * scale
    out[ok] = m4[ok] / m2[ok] ** 2
    return out


def _flows(X: np.ndarray, K: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-unit ratios (len(K), N) of the coarse variables, per-mode ratios (N,) and eigenvalues of X."""
    values, U = _eigen(X)
    A = X @ U
    scale = max(float(values[0]), np.finfo(float).tiny)
    unit = np.empty((K.size, X.shape[1]))
    Y = np.zeros_like(X)
    done = 0
    for i in np.argsort(K, kind="stable"):  # x^(K) accumulated in increasing K
        k = int(K[i])
        Y += A[:, done:k] @ U[:, done:k].T
        done = max(done, k)
        unit[i] = _moment_ratio(Y, scale)
    return unit, _moment_ratio(A, scale), values


def _summary(ratios: np.ndarray, quantiles: tuple[float, float]) -> np.ndarray:
    """(median, lower, upper) over the finite entries (NaN if none)."""
    finite = ratios[np.isfinite(ratios)]
    if finite.size == 0:
        return np.full(3, np.nan)
    return np.array([np.median(finite), *np.quantile(finite, quantiles)])


@dataclass(frozen=True)
class PCAFlow:
    r"""The fourth-moment flow of PCA coarse-graining, from :func:`pca_flow`.

    Attributes
    ----------
    fractions, K
        The kept fractions as given and the kept numbers of components :math:`K = \max(1, \mathrm{round}(fN))`.
    median, spread, stderr
        Over units :math:`i`: the median of :math:`\kappa_i(K)`, its ``quantiles`` (n_fractions, 2) and the
        jackknife standard error of the median. For Gaussian data the median sits below 3 by order 1/n (the
        sample moment ratio is biased by about -6/n and its distribution is skewed: about -0.013 at
        n = 1000, K = N); below the standard error at the sizes used here. (The jackknife bias estimate of
        the median is not given: when K splits a degenerate shell the kept subspace rotates between
        replicas and that estimate is noise.)
    mode_median, mode_spread, mode_stderr
        The same over the mode amplitudes :math:`a_\mu`, :math:`\mu \le K`.
    unit_ratio
        (n_fractions, n_units) :math:`\kappa_i(K)` (NaN for a unit of zero coarse variance, with a
        :class:`DegenerateDataWarning`).
    mode_ratio
        (n_units,) :math:`\langle a_\mu^4\rangle / \langle a_\mu^2\rangle^2` (NaN for a zero mode, with a
        :class:`DegenerateDataWarning`).
    eigenvalues
        (N,) eigenvalues of the empirical covariance, decreasing.
    n_samples, n_units, n_blocks, quantiles
        The data's size and the settings; ``n_units`` counts the units of non-zero variance, the N of K/N.
    units
        (n_units,) indices (in the flattened data) of those units: constant units (e.g. the always-blank
        border pixels of the digits) have no fourth moment and are left out before the PCA.
    converged, iterations, residual, message
        The result protocol (:mod:`statlearn.numerics.result`): a direct computation, ``iterations`` is
        the number of eigendecompositions (1 + ``n_blocks``) and ``residual`` is NaN.
    """

    fractions: np.ndarray
    K: np.ndarray
    median: np.ndarray
    spread: np.ndarray
    stderr: np.ndarray
    mode_median: np.ndarray
    mode_spread: np.ndarray
    mode_stderr: np.ndarray
    unit_ratio: np.ndarray
    mode_ratio: np.ndarray
    eigenvalues: np.ndarray
    n_samples: int
    n_units: int
    units: np.ndarray
    n_blocks: int
    quantiles: tuple[float, float]
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def pca_flow(
    data: ArrayLike,
    fractions: ArrayLike,
    *,
    n_blocks: int = 16,
    quantiles: tuple[float, float] = (0.16, 0.84),
    progress: bool = False,
) -> PCAFlow:
    r"""Normalised fourth moment of the PCA-coarse-grained variables against the kept fraction K/N.

    See the module docstring for the definitions: :math:`x^{(K)} = \sum_{\mu\le K} u_\mu u_\mu^\top x`
    and :math:`\kappa_i(K) = \langle (x^{(K)}_i)^4\rangle / \langle (x^{(K)}_i)^2\rangle^2` per unit,
    3 for Gaussian data; median and quantiles over units (and over the kept mode amplitudes), with a
    delete-one-block jackknife error (Bradde & Bialek, J. Stat. Phys. 167, 462 (2017)).

    Parameters
    ----------
    data
        (n_samples, N), or (n_samples, L, L) fields flattened to N = L^2 units; finite, at least
        :data:`MIN_SAMPLES` samples and two per block. Centred here.
    fractions
        Kept fractions K/N in (0, 1].
    n_blocks
        Jackknife blocks of contiguous samples, >= 2.
    quantiles
        The two quantiles over units reported as the spread, 0 <= q_lo < q_hi <= 1.
    progress
        Show a tqdm bar of the eigendecompositions on stderr.

    Returns
    -------
    PCAFlow

    Warns
    -----
    DegenerateDataWarning
        If a coarse unit or a mode has zero variance (left out of the medians).
    """
    n_blocks = as_count("n_blocks", n_blocks, minimum=2)
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {type(progress).__name__}")
    X = _as_data(data, minimum=max(MIN_SAMPLES, 2 * n_blocks))
    q = as_real_array("quantiles", quantiles, minimum=0.0, maximum=1.0)
    if q.shape != (2,) or not q[0] < q[1]:
        raise ValueError(f"quantiles must be two increasing numbers in [0, 1], got {brief(quantiles)}")
    spread_of_unit = np.mean(X * X, axis=0)
    varying = np.flatnonzero(spread_of_unit > _FLAT * spread_of_unit.max())
    if varying.size == 0:
        raise ValueError("data must have at least one unit of non-zero variance, every unit is constant")
    scale = float(np.max(np.abs(X)))
    X = X[:, varying] / scale  # the ratios do not depend on the scale; x^4 must not overflow
    n, N = X.shape
    f, K = _kept(fractions, N)

    def summaries(unit: np.ndarray, mode: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(median, lower, upper) per fraction over the units and over the kept modes."""
        units = np.array([_summary(row, (q[0], q[1])) for row in unit])
        return units, np.array([_summary(mode[:k], (q[0], q[1])) for k in K])

    bar = tqdm(total=n_blocks + 1, disable=not progress, unit="eigh", desc="pca flow", file=sys.stderr)
    unit_ratio, mode_ratio, eigenvalues = _flows(X, K)
    units, modes = summaries(unit_ratio, mode_ratio)
    bar.update()
    edges = np.linspace(0, n, n_blocks + 1).astype(int)
    replicas = []
    for b in range(n_blocks):
        keep = np.concatenate([X[: edges[b]], X[edges[b + 1] :]])
        replica_units, replica_modes = summaries(*_flows(keep - keep.mean(axis=0), K)[:2])
        replicas.append([replica_units[:, 0], replica_modes[:, 0]])
        bar.update()
    bar.close()
    if np.isnan(unit_ratio).any() or np.isnan(mode_ratio).any():
        warnings.warn(
            f"{int(np.isnan(unit_ratio).any(axis=0).sum())} coarse units and {int(np.isnan(mode_ratio).sum())} modes "
            f"have zero variance (NaN, left out of the medians): dependent units or n = {n} samples for N = {N}",
            DegenerateDataWarning,
            stacklevel=2,
        )
    jack = np.array(replicas)  # (n_blocks, 2, n_fractions)
    stderr = np.sqrt((n_blocks - 1) * np.mean((jack - jack.mean(axis=0)) ** 2, axis=0))
    if np.isnan(jack).any():
        warnings.warn(
            "a jackknife replica has no unit of non-zero variance: the standard errors are NaN",
            DegenerateDataWarning,
            stacklevel=2,
        )
    return PCAFlow(
        fractions=f,
        K=K,
        median=units[:, 0],
        spread=units[:, 1:],
        stderr=stderr[0],
        mode_median=modes[:, 0],
        mode_spread=modes[:, 1:],
        mode_stderr=stderr[1],
        unit_ratio=unit_ratio,
        mode_ratio=mode_ratio,
        eigenvalues=eigenvalues * scale**2,
        n_samples=n,
        n_units=N,
        units=varying,
        n_blocks=n_blocks,
        quantiles=(float(q[0]), float(q[1])),
        converged=True,
        iterations=n_blocks + 1,
        residual=math.nan,
        message=f"{n_blocks + 1} eigendecompositions of the {N} x {N} covariance of {n} samples (jackknife)",
    )


def coarse_grain(data: ArrayLike, K: int, *, rescale: bool = False) -> np.ndarray:
    r"""The coarse variables :math:`x^{(K)} = \sum_{\mu\le K} u_\mu u_\mu^\top x` of the centred data.

    Parameters
    ----------
    data
        (n_samples, N) or (n_samples, L, L), at least 2 samples.
    K
        Kept components, 1 <= K <= N.
    rescale
        Multiply by :math:`z_K = (\sum_\mu \lambda_\mu / \sum_{\mu\le K}\lambda_\mu)^{1/2}`, which keeps the
        total variance :math:`\sum_i\langle x_i^2\rangle` fixed (the RG's field rescaling). Normalised
        moments per unit are unchanged by it.

    Returns
    -------
    numpy.ndarray
        (n_samples, N).
    """
    if not isinstance(rescale, bool):
        raise TypeError(f"rescale must be True or False, got {type(rescale).__name__}")
    X = _as_data(data, minimum=2)
    K = as_count("K", K, minimum=1)
    if K > X.shape[1]:
        raise ValueError(f"K must be <= N = {X.shape[1]}, the number of units of data, got {K}")
    values, U = _eigen(X)
    Y = (X @ U[:, :K]) @ U[:, :K].T
    if rescale:
        kept = float(np.sum(values[:K]))
        if not kept > 0.0:
            raise ValueError(f"rescale needs a kept variance > 0; the top K = {K} eigenvalues are 0")
        Y *= math.sqrt(float(np.sum(values)) / kept)
    return Y


def gaussian_control(data: ArrayLike, *, seed: int | np.random.Generator) -> np.ndarray:
    r"""Gaussian samples with the same shape (n_samples, ...) and the same empirical covariance as ``data``.

    :math:`x = \sum_\mu \sqrt{\lambda_\mu}\, u_\mu z_\mu` with i.i.d. standard normal :math:`z_\mu`: the
    control of :func:`pca_flow` (its population fourth moment is 3 at every K; what a flow of
    these samples shows beyond 3 is the finite-sample effect at this n and N).
    """
    X = _as_data(data, minimum=2)
    rng = as_generator(seed)
    values, U = _eigen(X)
    z = rng.standard_normal(X.shape)
    return ((z * np.sqrt(np.clip(values, 0.0, None))) @ U.T).reshape(np.shape(data))


# ----------------------------------------------------------------------- principal components = plane waves


@dataclass(frozen=True)
class FourierCheck:
    r"""Principal components of a stationary lattice field against its plane waves, from :func:`fourier_check`.

    Attributes
    ----------
    L
        Lattice side.
    eigenvalues
        (N,) empirical covariance eigenvalues, decreasing.
    spectrum
        (N,) the reference spectrum :math:`S(k)` sorted decreasing (exact if given, else the measured one
        averaged over the lattice symmetry orbits).
    measured
        (N,) the measured power spectrum :math:`\langle|\hat x_k|^2\rangle / N` sorted decreasing.
    shell
        (N,) the shell (class of modes of equal reference spectrum) that rank r falls into.
    overlap
        (N,) weight :math:`\sum_{k\in\text{shell}(r)}|\hat u_r(k)|^2/N` of eigenvector r in its shell.
    expected_leakage
        (N,) first-order prediction of :math:`1 - \text{overlap}` from sampling noise for Gaussian data:
        :math:`\sum_{k\notin\text{shell}(r)} S_r S_k / ((n - 1)(S_r - S_k)^2)`.
    n_samples
        Samples used.
    converged, iterations, residual, message
        The result protocol: a direct computation (one eigendecomposition), ``residual`` is NaN.
    """

    L: int
    eigenvalues: np.ndarray
    spectrum: np.ndarray
    measured: np.ndarray
    shell: np.ndarray
    overlap: np.ndarray
    expected_leakage: np.ndarray
    n_samples: int
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _orbits(L: int) -> np.ndarray:
    """(L, L) label of the orbit of each momentum index under the square lattice's point group (8 elements)."""
    a, b = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
    images = [(s * x) % L + L * ((t * y) % L) for s in (1, -1) for t in (1, -1) for x, y in ((a, b), (b, a))]
    return np.min(images, axis=0)


def fourier_check(fields: ArrayLike, spectrum: ArrayLike | None = None, *, resolution: float = 1e-9) -> FourierCheck:
    r"""Measure that the principal components of stationary lattice fields are plane waves.

    For a stationary field on the periodic :math:`L\times L` lattice the covariance is circulant: its
    eigenvectors are the plane waves :math:`e^{ik\cdot x}` (as real cos/sin pairs for :math:`\pm k`) with
    eigenvalues :math:`S(k)`, so PCA's top-K projection is the momentum-shell projection on the K modes of
    largest power. Modes of equal :math:`S` (:math:`\pm k` and the lattice symmetries) form a shell whose
    eigenvectors are any rotation within it; the check is per shell: the weight of the r-th empirical
    eigenvector on the Fourier modes of the shell that rank r falls into,
    :math:`\sum_{k\in\text{shell}}|\hat u_r(k)|^2 / N` (``numpy.fft.fft2``, Parseval), against 1 minus
    the first-order leakage that sampling noise causes for Gaussian data (``expected_leakage``).

    Parameters
    ----------
    fields
        (n_samples, L, L) with L >= 2 and n_samples >= 2; centred here.
    spectrum
        (L, L) exact :math:`S(k) \ge 0` in numpy FFT order (e.g. :func:`wirg.fields.free_field_spectrum`);
        shells are the classes of equal S. Default: the measured spectrum averaged over the orbits of the
        square lattice's point group (the 8 images of k), shells being those orbits.
    resolution
        Consecutive shells (by decreasing S) whose S differ by at most this relative amount are merged,
        >= 0: the default merges only exact degeneracies (rounding); a larger value merges orbits or
        classes closer than the sampling noise (about :math:`\sqrt{2/n}`), whose eigenvectors mix.

    Returns
    -------
    FourierCheck
    """
    x = as_real_array("fields", fields, minimum=-_HUGE, maximum=_HUGE)
    if x.ndim != 3 or x.shape[1] != x.shape[2] or x.shape[1] < 2:
        raise ValueError(f"fields must be (n_samples, L, L) with L >= 2, got an array of shape {x.shape}")
    resolution = as_real_scalar("resolution", resolution, minimum=0.0)
    n, L = x.shape[0], x.shape[1]
    if n < 2:
        raise ValueError(f"fields must hold at least 2 samples, got {n}")
    N = L * L
    x = x - x.mean(axis=0)
    measured = np.mean(np.abs(np.fft.fft2(x)) ** 2, axis=0) / N
    if spectrum is None:
        labels = _orbits(L).ravel()
        counts = np.bincount(labels, minlength=N)
        S = (np.bincount(labels, weights=measured.ravel(), minlength=N) / np.maximum(counts, 1))[labels]
        order = np.lexsort((labels, -S))  # ties between orbits split by label
        boundary = np.diff(labels[order]) != 0
    else:
        S = as_real_array("spectrum", spectrum, minimum=0.0)
        if S.shape != (L, L):
            raise ValueError(f"spectrum must be ({L}, {L}) like the fields, got shape {S.shape}")
        S = S.ravel()
        order = np.argsort(-S, kind="stable")
        boundary = np.ones(N - 1, dtype=bool)
    Ss = S[order]
    gap = np.abs(np.diff(Ss)) > resolution * np.maximum(np.abs(Ss[:-1]), np.finfo(float).tiny)
    shell = np.concatenate([[0], np.cumsum(boundary & gap)])
    values, U = _eigen(x.reshape(n, N))
    power = np.abs(np.fft.fft2(U.T.reshape(N, L, L))).reshape(N, N) ** 2 / N  # (rank, k)
    member = shell[:, None] == shell[None, :]  # (rank, sorted mode): same shell
    overlap = np.sum(power[:, order] * member, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = Ss[:, None] * Ss[None, :] / ((n - 1) * (Ss[:, None] - Ss[None, :]) ** 2)
    leakage = np.sum(np.where(member, 0.0, terms), axis=1)
    return FourierCheck(
        L=L,
        eigenvalues=values,
        spectrum=Ss,
        measured=np.sort(measured.ravel())[::-1],
        shell=shell,
        overlap=overlap,
        expected_leakage=leakage,
        n_samples=n,
        converged=True,
        iterations=1,
        residual=math.nan,
        message=f"one eigendecomposition of the {N} x {N} covariance of {n} fields",
    )
