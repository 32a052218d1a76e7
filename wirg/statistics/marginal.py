r"""One-point statistics of a batch of fields: marginal histograms, a two-sample test, peak counts, :math:`|m|`, energy.

**Histograms.** The density in bin :math:`[e_b, e_{b+1})` is the mean over fields of
:math:`N_{i,b}/(L^2(e_{b+1} - e_b))`, :math:`N_{i,b}` the pixels of field :math:`i` in the bin; its
error is the jackknife over fields of :mod:`wirg.statistics.estimate` (pixels of one field are
correlated, fields are the independent units); on a log scale the error of :math:`\ln p_b` is the
jackknife of the log (:math:`\approx\sigma_b/p_b`).

**Two-sample test** (:func:`histogram_test`). Pixels are correlated, so tests on the pooled pixel
values (Kolmogorov-Smirnov, Anderson-Darling) need an effective sample size that depends on the
unknown correlation length. The test here is instead on the per-field histogram vectors, whose
fields are independent: :math:`m` bins with edges at the pooled quantiles :math:`\Phi(z_b)`,
:math:`z_b` equally spaced on :math:`[-2.5, 2.5]` (the outer bins, open, hold about 0.6% of the
values each, so the tails are tested), the first :math:`p = m - 1` fractions per field (they sum to
1), and Hotelling's two-sample statistic with the pooled covariance :math:`S`,

.. math::
    T^2 = \frac{n_a n_b}{n_a + n_b}\,(\bar h_a - \bar h_b)^\top S^{+}(\bar h_a - \bar h_b),\qquad
    \frac{n_a + n_b - p - 1}{p\,(n_a + n_b - 2)}\,T^2 \sim F_{p,\,n_a + n_b - p - 1}

(Hotelling, Ann. Math. Stat. 2, 360 (1931); exact for Gaussian vectors, and each :math:`h_i` is an
average over :math:`L^2` pixels; :math:`p` is the rank of :math:`S` if a bin never varies). When batch
:math:`a` comes from a model fitted to :math:`n_t` training fields (``n_training``), the model's own histogram
deviates from the true one by about the training batch's sampling error, :math:`\mathrm{Cov}(\bar h_a - \bar h_b)
\approx S\,(1/n_a + 1/n_b + 1/n_t)`, and :math:`n_an_b/(n_a + n_b)` becomes :math:`(1/n_a + 1/n_b + 1/n_t)^{-1}`
(exact for a model that reproduces its training histogram, conservative for one that smooths it).

**Peaks** (:func:`peak_counts`): sites strictly above their 8 neighbours (periodic) with
:math:`\varphi_x > \mu + \nu\sigma`, per site, for each threshold :math:`\nu`; :math:`\mu, \sigma` the
pooled mean and standard deviation of the batch unless given (give the reference's to compare two
batches). For i.i.d. pixels of density :math:`f` and distribution :math:`F`, the density of such
peaks is :math:`\int_{\mu + \nu\sigma}^\infty f(t) F(t)^8\,dt` (9 independent values).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from statlearn.numerics.result import freeze_arrays
from wirg.checks import check_bool, check_memory, check_scalar, count, finite_result, real_array
from wirg.statistics.estimate import Estimate, as_fields, block_count, jackknife

__all__ = [
    "HistogramTest",
    "energy_per_site",
    "histogram_edges",
    "histogram_test",
    "magnetization",
    "marginal_histogram",
    "peak_counts",
]

_TEST_RANGE = 2.5  # the test's bins: pooled quantiles Phi(z), z equally spaced on [-2.5, 2.5]


def histogram_edges(*batches: object, n_bins: int = 40) -> np.ndarray:
    """``n_bins + 1`` equally spaced edges spanning the pooled values of all ``batches`` (shared bins)."""
    n_bins = count("n_bins", n_bins, minimum=1)
    if not batches:
        raise TypeError("histogram_edges needs at least one batch of fields")
    arrays = [as_fields(b, minimum=1) for b in batches]
    check_memory(f"{n_bins} bins", "n_bins", 8.0 * n_bins * max(a.shape[0] for a in arrays))
    lo = min(float(a.min()) for a in arrays)
    hi = max(float(a.max()) for a in arrays)
    if not hi > lo:
        hi = lo + 1.0
    with np.errstate(over="ignore", invalid="ignore"):
        edges = np.linspace(lo, hi, n_bins + 1)
    if not (np.all(np.isfinite(edges)) and np.all(np.diff(edges) > 0)):
        raise ValueError(
            f"fields: their range [{lo:.6g}, {hi:.6g}] cannot be cut into {n_bins} increasing bins in float64 "
            f"(too wide or too narrow for its magnitude)"
        )
    return edges


def _counts(phi: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Per field the fraction of its pixels in each bin (out-of-range pixels in no bin): (n, n_bins)."""
    n = phi.shape[0]
    which = np.searchsorted(edges, phi.reshape(n, -1), side="right") - 1
    which[phi.reshape(n, -1) == edges[-1]] = edges.size - 2  # the last bin is closed
    inside = (which >= 0) & (which < edges.size - 1)
    rows = np.broadcast_to(np.arange(n)[:, None], which.shape)
    out = np.zeros((n, edges.size - 1))
    np.add.at(out, (rows[inside], which[inside]), 1.0)
    return out / phi[0].size


def marginal_histogram(
    fields: object, *, edges: ArrayLike | None = None, n_bins: int = 40, log: bool = False, n_blocks: int | None = None
) -> Estimate:
    r"""Marginal density of the pixel values in bins, or its log (module docstring).

    Parameters
    ----------
    fields
        Batch (n_samples, L, L), n_samples >= 2.
    edges
        Increasing bin edges (shared between batches: :func:`histogram_edges`); default ``n_bins``
        equal bins over the range of ``fields``.
    n_bins
        Number of bins when ``edges`` is not given.
    log
        Return :math:`\ln p_b` (``-inf`` with NaN error for an empty bin; a bin that is empty in some
        jackknife replica has an infinite or NaN error). Either case warns (``RuntimeWarning``).
    n_blocks
        Jackknife blocks, default n_samples.

    Returns
    -------
    Estimate
        ``x`` the bin centres.
    """
    phi = as_fields(fields)
    B = block_count(n_blocks, phi.shape[0])
    log = check_bool("log", log)
    if edges is None:
        edges = histogram_edges(phi, n_bins=n_bins)
    edges = real_array("edges", edges)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError(f"edges must be a 1-D increasing array of >= 2 edges, got {edges.shape}")
    check_memory(f"{edges.size} edges", "edges", 8.0 * edges.size * phi.shape[0])
    widths = np.diff(edges)
    per_field = _counts(phi, edges) / widths
    func = (lambda a: np.log(a)) if log else (lambda a: a)
    value, error = jackknife((per_field,), func, B)
    bad = ~(np.isfinite(value) & np.isfinite(error))
    if np.any(bad):
        warnings.warn(
            f"marginal_histogram: {int(bad.sum())} of {bad.size} bins are empty in the data or in a jackknife "
            "replica; their log density or its error is not finite (use fewer bins or more samples)",
            RuntimeWarning,
            stacklevel=2,
        )
    centres = 0.5 * (edges[1:] + edges[:-1])
    labels = tuple(f"bin [{a:.3g}, {b:.3g})" for a, b in zip(edges[:-1], edges[1:]))
    return Estimate("log density" if log else "density", centres, labels, value, error, phi.shape[0])


@dataclass(frozen=True)
class HistogramTest:
    """Hotelling's two-sample test on per-field histograms (:func:`histogram_test`).

    Attributes
    ----------
    statistic
        :math:`T^2`.
    p_value
        Probability of a larger :math:`T^2` under the hypothesis of equal laws.
    dof
        :math:`(p, n_a + n_b - p - 1)` of the F distribution.
    edges
        Interior bin edges (pooled quantiles); the outer bins are open.
    """

    statistic: float
    p_value: float
    dof: tuple[int, int]
    edges: np.ndarray

    def __post_init__(self) -> None:
        freeze_arrays(self)


def histogram_test(a: object, b: object, *, n_bins: int = 20, n_training: int | None = None) -> HistogramTest:
    r"""Two-sample test that the pixel marginals of two batches are equal (module docstring).

    Parameters
    ----------
    a, b
        Batches (n, L, L) and (n', L', L'); :math:`n + n' \ge` ``n_bins`` + 2.
    n_bins
        Number of bins, >= 2 (:math:`p = ` ``n_bins`` - 1 degrees of freedom).
    n_training
        If ``a`` was generated by a model fitted to this many fields: their sampling error is added to the
        covariance of the difference (module docstring). None: two samples of one law.

    Returns
    -------
    HistogramTest
    """
    x, y = as_fields(a), as_fields(b)
    n_bins = count("n_bins", n_bins, minimum=2)
    n_t = None if n_training is None else count("n_training", n_training, minimum=1)
    n_a, n_b = x.shape[0], y.shape[0]
    check_memory(f"{n_bins} bins", "n_bins", 8.0 * n_bins * (n_a + n_b + n_bins))
    if n_a + n_b < n_bins + 2:
        raise ValueError(f"n_bins = {n_bins} needs n_a + n_b >= n_bins + 2 fields, got {n_a + n_b}")
    pooled = np.concatenate([x.ravel(), y.ravel()])
    inner = np.quantile(pooled, stats.norm.cdf(np.linspace(-_TEST_RANGE, _TEST_RANGE, n_bins - 1)))
    edges = np.concatenate([[-np.inf], inner, [np.inf]])
    h_a, h_b = _counts(x, edges)[:, :-1], _counts(y, edges)[:, :-1]
    diff = h_a.mean(axis=0) - h_b.mean(axis=0)
    pooled_cov = ((n_a - 1) * np.cov(h_a, rowvar=False, ddof=1) if n_a > 1 else 0.0) + (
        (n_b - 1) * np.cov(h_b, rowvar=False, ddof=1) if n_b > 1 else 0.0
    )
    pooled_cov = np.atleast_2d(pooled_cov) / (n_a + n_b - 2)
    inverse = np.linalg.pinv(pooled_cov, rcond=1e-10, hermitian=True)
    p = int(np.linalg.matrix_rank(pooled_cov, tol=1e-10 * max(float(np.abs(pooled_cov).max()), 1e-300)))
    t2 = float(diff @ inverse @ diff / (1.0 / n_a + 1.0 / n_b + (0.0 if n_t is None else 1.0 / n_t)))
    if p == 0:
        return HistogramTest(t2, 1.0, (0, n_a + n_b - 1), inner)
    dof2 = n_a + n_b - p - 1
    f = t2 * dof2 / (p * (n_a + n_b - 2))
    return HistogramTest(t2, float(stats.f.sf(f, p, dof2)), (p, dof2), inner)


def _periodic_maxima(phi: np.ndarray) -> np.ndarray:
    """Boolean (n, L, L): strictly above the 8 neighbours on the periodic lattice."""
    peak = np.ones(phi.shape, dtype=bool)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if dx or dy:
                peak &= phi > np.roll(phi, (dx, dy), axis=(-2, -1))
    return peak


def peak_counts(
    fields: object,
    *,
    thresholds: Sequence[float] = (-1.0, 0.0, 1.0, 2.0, 3.0),
    mean: float | None = None,
    sigma: float | None = None,
    n_blocks: int | None = None,
) -> Estimate:
    r"""Density per site of local maxima above :math:`\mu + \nu\sigma`, per threshold :math:`\nu` (module docstring).

    Parameters
    ----------
    fields
        Batch (n_samples, L, L), n_samples >= 2, L >= 3.
    thresholds
        The :math:`\nu`, finite.
    mean, sigma
        :math:`\mu` and :math:`\sigma > 0`; default the pooled mean and standard deviation of ``fields``.
    n_blocks
        Jackknife blocks, default n_samples.

    Returns
    -------
    Estimate
        ``x`` the thresholds.
    """
    phi = as_fields(fields)
    B = block_count(n_blocks, phi.shape[0])
    nu = real_array("thresholds", thresholds)
    if nu.ndim != 1 or nu.size == 0:
        raise ValueError(f"thresholds must be a non-empty 1-D sequence, got shape {nu.shape}")
    mu = float(phi.mean()) if mean is None else check_scalar("mean", mean, minimum=-np.inf, strict=False)
    with np.errstate(over="ignore"):
        sd = float(phi.std()) if sigma is None else check_scalar("sigma", sigma, minimum=0.0, strict=True)
    if not (np.isfinite(sd) and sd > 0.0):
        raise ValueError("fields: the pooled standard deviation is zero or overflows: give sigma")
    peaks = _periodic_maxima(phi) if phi.shape[-1] >= 3 else np.zeros(phi.shape, dtype=bool)
    values = np.where(peaks, phi, -np.inf).reshape(phi.shape[0], -1)
    with np.errstate(over="ignore", invalid="ignore"):
        levels = mu + nu * sd
    per_field = (values[:, None, :] > levels[None, :, None]).sum(axis=-1) / phi[0].size
    value, error = jackknife((per_field,), lambda a: a, B)
    labels = tuple(f"peaks above {v:g} sigma" for v in nu)
    return Estimate("peak density", nu, labels, value, error, phi.shape[0])


def magnetization(fields: object, *, n_blocks: int | None = None) -> Estimate:
    r""":math:`\langle|m|\rangle`, :math:`m = L^{-2}\sum_x\varphi_x`, with its jackknife error (one component)."""
    phi = as_fields(fields)
    B = block_count(n_blocks, phi.shape[0])
    with np.errstate(over="ignore", invalid="ignore"):
        per_field = np.abs(phi.mean(axis=(-2, -1)))[:, None]
        value, error = jackknife((per_field,), lambda a: a, B)
    if not (np.all(np.isfinite(value)) and np.all(np.isfinite(error))):
        raise ValueError("fields: <|m|> or its error overflows float64 (values too large)")
    return Estimate("|m|", np.zeros(1), ("<|m|>",), value, error, phi.shape[0])


def energy_per_site(
    fields: object, energy: Callable[[np.ndarray], ArrayLike], *, n_blocks: int | None = None
) -> Estimate:
    r"""Mean and standard deviation over the batch of the energy per site :math:`e = E(\varphi)/L^2`.

    ``energy`` maps the batch (n, L, L) to the n energies, e.g. ``lambda f: wirg.phi4_energy(f, 0.68)``
    or a fitted model's ``energy``. The standard deviation :math:`\sqrt{\langle e^2\rangle - \langle
    e\rangle^2}` (the width of the energy distribution) has its jackknife error too.
    """
    phi = as_fields(fields)
    B = block_count(n_blocks, phi.shape[0])
    if not callable(energy):
        raise TypeError(f"energy must be a callable fields -> energies, got {type(energy).__name__}")
    e = real_array("energy(fields)", energy(phi)) / phi[0].size
    if e.shape != (phi.shape[0],):
        raise ValueError(f"energy(fields) must return one energy per field, shape ({phi.shape[0]},), got {e.shape}")

    centred = (e - e.mean())[:, None]  # the variance from centred moments: no cancellation

    def func(mean: np.ndarray, c1: np.ndarray, c2: np.ndarray) -> np.ndarray:
        return np.stack([mean[:, 0], np.sqrt(np.maximum(c2[:, 0] - c1[:, 0] ** 2, 0.0))], axis=-1)

    with np.errstate(over="ignore", invalid="ignore"):
        value, error = jackknife((e[:, None], centred, centred**2), func, B)
    finite_result("fields", np.concatenate([value, error]), "the second moment of the energy per site")
    return Estimate("energy per site", np.arange(2.0), ("mean", "std"), value, error, phi.shape[0])
