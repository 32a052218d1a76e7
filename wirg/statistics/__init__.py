r"""Statistics of fields and of Markov chains, each usable on any batch of fields (n, L, L).

- :mod:`wirg.statistics.mcmc`: integrated autocorrelation times and the Binder cumulant;
- :mod:`wirg.statistics.estimate`: the :class:`Estimate` result and the jackknife errors over fields;
- :mod:`wirg.statistics.spectrum`: the azimuthally averaged power spectrum;
- :mod:`wirg.statistics.marginal`: marginal histograms and their two-sample test, peak counts,
  :math:`|m|`, the energy per site;
- :mod:`wirg.statistics.wavelet_moments`: per-scale wavelet variance and kurtosis, and wavelet
  phase-harmonic correlations across neighbouring scales;
- :mod:`wirg.statistics.compare`: :func:`compare_fields`, the Bonferroni-aware comparison of two batches.

These are the validation statistics of Guth, Lempereur, Bruna & Mallat (ICML 2023, arXiv:2306.00181)
and Marchand, Ozawa, Biroli & Mallat (PRX 13, 041038 (2023)); theory page ``docs/theory/wirg.md``.
"""

from wirg.statistics.compare import STATISTICS, Comparison, StatisticComparison, compare_fields
from wirg.statistics.estimate import Estimate
from wirg.statistics.marginal import (
    HistogramTest,
    energy_per_site,
    histogram_edges,
    histogram_test,
    magnetization,
    marginal_histogram,
    peak_counts,
)
from wirg.statistics.mcmc import (
    AutocorrelationTime,
    AutocorrelationWarning,
    BinderCumulant,
    binder_cumulant,
    integrated_autocorrelation_time,
)
from wirg.statistics.spectrum import Shells, power_spectrum, radial_shells
from wirg.statistics.wavelet_moments import phase_harmonic_correlations, phase_harmonic_filters, wavelet_moments

__all__ = [
    "STATISTICS",
    "AutocorrelationTime",
    "AutocorrelationWarning",
    "BinderCumulant",
    "Comparison",
    "Estimate",
    "HistogramTest",
    "Shells",
    "StatisticComparison",
    "binder_cumulant",
    "compare_fields",
    "energy_per_site",
    "histogram_edges",
    "histogram_test",
    "integrated_autocorrelation_time",
    "magnetization",
    "marginal_histogram",
    "peak_counts",
    "phase_harmonic_correlations",
    "phase_harmonic_filters",
    "power_spectrum",
    "radial_shells",
    "wavelet_moments",
]
