r"""Comparison of generated fields with reference fields, statistic by statistic, with a Bonferroni-aware verdict.

For every statistic of :mod:`wirg.statistics` given as a pair of estimates with errors
:math:`(\hat\theta_g, \sigma_g)` and :math:`(\hat\theta_r, \sigma_r)`, each component gets the z-score
:math:`z = (\hat\theta_g - \hat\theta_r)/\sqrt{\sigma_g^2 + \sigma_r^2}` (the two batches are
independent); the marginal histogram is compared by the two-sample test of
:func:`wirg.statistics.histogram_test` (a p-value). When the generated fields come from a model fitted to a
batch of training fields (``training``), the model's estimate of every statistic deviates from the truth by
about the training batch's sampling error :math:`\sigma_t` (exactly that for a statistic the fit reproduces,
less for one it smooths), so :math:`z = (\hat\theta_g - \hat\theta_r)/\sqrt{\sigma_g^2 + \sigma_r^2 +
\sigma_t^2}` and the histogram test counts the training batch too: the check of a model's estimation error in
``wirg-gaussian``. Without it the comparison tests "the model is the true law", which a model fitted to as many
fields as are compared fails as soon as its estimation error shows. With :math:`T` tests in all (every z-score and every
p-value), each is held to level :math:`\alpha/T` (Bonferroni): :math:`|z| \le \Phi^{-1}(1 - \alpha/2T)`
and :math:`p \ge \alpha/T`, so the probability that two batches of the same law fail anywhere is at
most :math:`\alpha`. This is the check of the ``wirg-gaussian`` reproduction, for every statistic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

from statlearn.numerics.result import freeze_arrays
from wirg.checks import check_choice, check_scalar, show
from wirg.statistics.estimate import Estimate, as_fields
from wirg.statistics.marginal import energy_per_site, histogram_test, magnetization, peak_counts
from wirg.statistics.mcmc import binder_cumulant
from wirg.statistics.spectrum import power_spectrum
from wirg.statistics.wavelet_moments import phase_harmonic_correlations, wavelet_moments

__all__ = ["STATISTICS", "Comparison", "StatisticComparison", "compare_fields"]

#: The statistics :func:`compare_fields` knows; ``"energy"`` needs ``energy=``.
STATISTICS = (
    "spectrum",
    "histogram",
    "peaks",
    "wavelet",
    "phase_harmonics",
    "magnetization",
    "binder",
    "energy",
)
_DEFAULT = ("spectrum", "histogram", "peaks", "wavelet", "phase_harmonics")


@dataclass(frozen=True)
class StatisticComparison:
    """One statistic of :func:`compare_fields`.

    Attributes
    ----------
    name
        The statistic.
    labels
        One per z-score (empty for the histogram test).
    z
        The z-scores (empty for the histogram test).
    p_value
        The two-sample test's p-value (histogram), else None.
    generated, reference
        The two estimates (None for the histogram test).
    passed
        Every component within its Bonferroni bound.
    """

    name: str
    labels: tuple[str, ...]
    z: np.ndarray
    p_value: float | None
    generated: Estimate | None
    reference: Estimate | None
    passed: bool

    def __post_init__(self) -> None:
        freeze_arrays(self)


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare_fields`: ``statistics`` (one :class:`StatisticComparison` each), the
    level ``alpha``, the number of tests ``n_tests``, the z bound :math:`\\Phi^{-1}(1 - \\alpha/2T)` and
    ``passed`` (every statistic passed)."""

    statistics: tuple[StatisticComparison, ...]
    alpha: float
    n_tests: int
    z_bound: float
    passed: bool

    def __getitem__(self, name: str) -> StatisticComparison:
        for s in self.statistics:
            if s.name == name:
                return s
        raise KeyError(name)

    def summary(self) -> str:
        """Each statistic's largest |z| (the histogram test's p), e.g. ``"spectrum max|z| = 1.49, histogram p =
        0.316"``."""
        return ", ".join(
            f"{s.name} p = {s.p_value:.3g}" if s.p_value is not None else f"{s.name} max|z| = {np.abs(s.z).max():.2f}"
            for s in self.statistics
        )


def _estimate(name: str, fields: np.ndarray, reference: np.ndarray, options: dict) -> Estimate:
    """One statistic of a batch, with the reference's scale for the peak thresholds."""
    if name == "spectrum":
        return power_spectrum(fields)
    if name == "peaks":
        kw = {"thresholds": options["thresholds"], "mean": float(reference.mean()), "sigma": float(reference.std())}
        return peak_counts(fields, **kw)
    if name == "wavelet":
        return wavelet_moments(fields, levels=options["levels"], wavelet=options["wavelet"])
    if name == "phase_harmonics":
        return phase_harmonic_correlations(fields)
    if name == "magnetization":
        return magnetization(fields)
    if name == "energy":
        return energy_per_site(fields, options["energy"])
    b = binder_cumulant(fields)
    return Estimate("Binder cumulant", np.zeros(1), ("U_4",), np.array([b.value]), np.array([b.error]), len(fields))


def compare_fields(
    generated: object,
    reference: object,
    *,
    statistics: Sequence[str] = _DEFAULT,
    alpha: float = 0.01,
    energy: Callable[[np.ndarray], ArrayLike] | None = None,
    n_bins: int = 20,
    thresholds: Sequence[float] = (-1.0, 0.0, 1.0, 2.0, 3.0),
    levels: int | None = None,
    wavelet: str = "db4",
    training: object | None = None,
) -> Comparison:
    r"""Compare two batches of fields statistic by statistic, with Bonferroni-aware tolerances (module docstring).

    Parameters
    ----------
    generated, reference
        Batches (n, L, L) of the same L (independent fields; see :mod:`wirg.statistics.estimate`).
    statistics
        Names among :data:`STATISTICS`; default spectrum, histogram, peaks, wavelet, phase_harmonics.
    alpha
        Family-wise level, in (0, 1).
    energy
        Energy of a batch (n,) for ``"energy"`` (e.g. ``lambda f: wirg.phi4_energy(f, 0.68)``).
    n_bins
        Bins of the histogram test.
    thresholds
        Peak thresholds :math:`\nu`, in units of the reference's standard deviation above its mean.
    levels, wavelet
        Of the wavelet moments.
    training
        The batch the generating model was fitted to (same lattice), or None: its standard errors join every
        z-score and its size the histogram test (module docstring).

    Returns
    -------
    Comparison
    """
    gen, ref = as_fields(generated), as_fields(reference)
    if gen.shape[1:] != ref.shape[1:]:
        raise ValueError(f"generated and reference must have the same lattice, got {gen.shape} and {ref.shape}")
    train = None
    if training is not None:
        try:
            train = as_fields(training)
        except (TypeError, ValueError) as err:
            raise type(err)(f"training: {err}") from None
    if train is not None and train.shape[1:] != ref.shape[1:]:
        raise ValueError(f"training must have the lattice of reference, got {train.shape} and {ref.shape}")
    alpha = check_scalar("alpha", alpha, minimum=0.0, strict=True)
    if not alpha < 1.0:
        raise ValueError(f"alpha must be < 1, got {alpha!r}")
    if isinstance(statistics, str) or not isinstance(statistics, Sequence) or not statistics:
        raise TypeError(
            f"statistics must be a non-empty sequence of names among {list(STATISTICS)}, got {show(statistics)}"
        )
    names = [check_choice("statistics", s, STATISTICS) for s in statistics]
    if len(set(names)) != len(names):
        raise ValueError(f"statistics must not repeat a name, got {names}")
    if energy is not None and not callable(energy):
        raise TypeError(f"energy must be a callable fields -> energies, got {show(energy)}")
    if "energy" in names and energy is None:
        raise ValueError("energy: the statistic 'energy' needs energy=, a callable fields -> energies")
    options = {"energy": energy, "thresholds": thresholds, "levels": levels, "wavelet": wavelet}
    pairs: dict[str, tuple[Estimate, Estimate]] = {}
    z: dict[str, np.ndarray] = {}
    test = None
    for name in names:
        if name == "histogram":
            test = histogram_test(gen, ref, n_bins=n_bins, n_training=None if train is None else len(train))
            continue
        g, r = pairs[name] = _estimate(name, gen, ref, options), _estimate(name, ref, ref, options)
        variance = g.error**2 + r.error**2
        if train is not None:
            variance = variance + _estimate(name, train, ref, options).error ** 2
        stderr = np.sqrt(variance)
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = (g.value - r.value) / stderr
        z[name] = np.where(stderr > 0.0, scores, np.where(g.value == r.value, 0.0, np.inf))
    n_tests = sum(v.size for v in z.values()) + (test is not None)
    bound = float(norm.ppf(1.0 - alpha / (2 * n_tests)))
    results = []
    for name in names:
        if name == "histogram":
            assert test is not None
            results.append(
                StatisticComparison(name, (), np.empty(0), test.p_value, None, None, test.p_value >= alpha / n_tests)
            )
        else:
            g, r = pairs[name]
            results.append(
                StatisticComparison(name, g.labels, z[name], None, g, r, bool(np.all(np.abs(z[name]) <= bound)))
            )
    return Comparison(tuple(results), alpha, n_tests, bound, all(s.passed for s in results))
