"""Tests of wirg.statistics: autocorrelation times, the Binder cumulant, and the field statistics (spectrum,
histograms and their two-sample test, peaks, wavelet moments, phase harmonics, compare_fields)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal, stats
from scipy.integrate import quad

from wirg.fields import free_field_spectrum, gaussian_field, lognormal_field
from wirg.lattice_phi4 import phi4, phi4_energy
from wirg.statistics import (
    AutocorrelationWarning,
    binder_cumulant,
    compare_fields,
    energy_per_site,
    histogram_edges,
    histogram_test,
    integrated_autocorrelation_time,
    magnetization,
    marginal_histogram,
    peak_counts,
    phase_harmonic_correlations,
    power_spectrum,
    radial_shells,
    wavelet_moments,
)

# ------------------------------------------------------------------------------ autocorrelation


def test_autocorrelation_time_of_ar1() -> None:
    a = 0.8  # rho(t) = a^t, tau_int = 1/2 + a / (1 - a) = (1 + a) / (2 (1 - a)) = 4.5
    noise = np.random.default_rng(0).standard_normal(100_000)
    x = signal.lfilter([np.sqrt(1 - a * a)], [1.0, -a], noise)
    result = integrated_autocorrelation_time(x)
    assert abs(result.tau - 4.5) < 4.0 * result.error
    assert result.window >= 6.0 * result.tau and result.n == x.size
    white = integrated_autocorrelation_time(noise)
    assert abs(white.tau - 0.5) < 4.0 * white.error


def test_autocorrelation_time_warnings_and_bad_input() -> None:
    x = signal.lfilter([1.0], [1.0, -0.99], np.random.default_rng(1).standard_normal(300))
    with pytest.warns(AutocorrelationWarning):
        integrated_autocorrelation_time(x)
    with pytest.raises(ValueError, match="constant"):
        integrated_autocorrelation_time(np.ones(10))
    with pytest.raises(ValueError, match="length"):
        integrated_autocorrelation_time([1.0, 2.0])
    with pytest.raises(ValueError, match="c"):
        integrated_autocorrelation_time(x, c=0.0)


# ------------------------------------------------------------------------------ Binder cumulant


def test_binder_cumulant_limits_and_jackknife() -> None:
    rng = np.random.default_rng(3)
    ordered = np.where(rng.random(100) < 0.5, -1.0, 1.0)[:, None, None] * np.ones((100, 4, 4))
    result = binder_cumulant(ordered)
    assert np.isclose(result.value, 2.0 / 3.0) and result.error < 1e-12
    gaussian = rng.standard_normal((20000, 1, 1))
    result = binder_cumulant(gaussian)
    assert abs(result.value) < 4.0 * result.error and 0.005 < result.error < 0.02
    blocked = binder_cumulant(gaussian, n_blocks=50)
    assert blocked.value == result.value and 0.5 < blocked.error / result.error < 2.0
    # the jackknife error matches the spread over independent sets
    replicas = [binder_cumulant(rng.standard_normal((2000, 1, 1))) for _ in range(200)]
    spread = np.std([r.value for r in replicas])
    assert 0.8 < spread / np.mean([r.error for r in replicas]) < 1.25
    with pytest.raises(ValueError, match="n_blocks"):
        binder_cumulant(gaussian[:10], n_blocks=11)
    with pytest.raises(ValueError, match="samples"):
        binder_cumulant(np.ones((1, 4, 4)))


def test_binder_cumulant_of_phi4_orders_with_beta() -> None:
    disordered = binder_cumulant(phi4(8, 0.5, 1000, seed=1))
    ordered = binder_cumulant(phi4(8, 0.76, 1000, seed=1))
    assert disordered.value < 0.4 < 0.6 < ordered.value


# ------------------------------------------------------------------------------ field statistics


def _bonferroni(n: int, alpha: float = 0.01) -> float:
    return float(stats.norm.ppf(1.0 - alpha / (2 * n)))


def test_power_spectrum_of_gaussian_fields_is_the_input_spectrum() -> None:
    L = 32
    S = free_field_spectrum(L, mass=0.3)
    estimate = power_spectrum(gaussian_field(S, L, 300, seed=1))
    shells = radial_shells(L)
    assert np.array_equal(estimate.x, shells.k) and shells.counts.sum() == L * L - 1
    z = (estimate.value - shells.average(S)) / estimate.error
    assert np.abs(z).max() < _bonferroni(z.size)
    # the standard error is that of the mean over fields
    per_field = shells.average(np.abs(np.fft.fft2(gaussian_field(S, L, 300, seed=1))) ** 2 / L**2)
    assert np.allclose(estimate.error, per_field.std(axis=0, ddof=1) / np.sqrt(300), rtol=1e-10)


def test_jackknife_errors_match_the_spread_over_independent_batches() -> None:
    # 150 independent batches of 24 fields: the spread of each estimate against its mean reported error
    S = free_field_spectrum(16, mass=0.4)
    estimates = {"spectrum": [], "density": [], "wavelet": [], "peaks": [], "phase": []}
    edges = np.linspace(-1.6, 1.6, 9)  # +-2.5 standard deviations: a bin with a few pixels per batch has a poor error
    for seed in range(150):
        fields = gaussian_field(S, 16, 24, seed=100 + seed)
        estimates["spectrum"].append(power_spectrum(fields))
        estimates["density"].append(marginal_histogram(fields, edges=edges))
        estimates["wavelet"].append(wavelet_moments(fields, levels=2))
        estimates["peaks"].append(peak_counts(fields, thresholds=(0.0, 1.0), mean=0.0, sigma=1.0))
        estimates["phase"].append(phase_harmonic_correlations(fields))
    for name, batch in estimates.items():
        spread = np.std([e.value for e in batch], axis=0, ddof=1)
        reported = np.mean([e.error for e in batch], axis=0)
        ratio = spread / reported
        # each ratio has relative error ~ 1/sqrt(2 * 150) = 6%; the kurtosis error is a jackknife of a ratio
        assert 0.75 < np.median(ratio) < 1.25 and ratio.min() > 0.6 and ratio.max() < 1.6, (name, ratio)


def test_wavelet_kurtosis_is_3_and_phase_harmonics_vanish_for_gaussian_fields() -> None:
    fields = gaussian_field(free_field_spectrum(32, mass=0.2), 32, 200, seed=5)
    moments = wavelet_moments(fields)
    kurtosis = slice(moments.value.size // 2, None)
    assert all(label.startswith("kurtosis") for label in moments.labels[kurtosis])
    z = (moments.value[kurtosis] - 3.0) / moments.error[kurtosis]
    assert np.abs(z).max() < _bonferroni(z.size)
    phase = phase_harmonic_correlations(fields)
    z = phase.value / phase.error
    assert np.abs(z).max() < _bonferroni(z.size) and np.all(np.abs(phase.value) < 0.1)


def test_phase_harmonics_and_kurtosis_detect_phi4_at_beta_c() -> None:
    fields = phi4(32, 0.68, 120, seed=3).fields
    phase = phase_harmonic_correlations(fields)
    z = phase.value / phase.error
    even = np.array(["C^(2)" in label and label.startswith("Re") for label in phase.labels])
    assert z[even].min() < -5.0  # the Z2-even cross-scale moment is far from 0
    assert np.abs(z[~even]).max() < _bonferroni(z.size)  # C^(1) is odd under phi -> -phi: 0
    moments = wavelet_moments(fields, levels=2)
    kurtosis = moments.value[moments.value.size // 2 :]
    assert np.all(kurtosis - 3.0 > 3.0 * moments.error[moments.value.size // 2 :])


def test_peak_counts_of_white_noise_match_the_closed_form() -> None:
    # i.i.d. N(0, 1) pixels: P(x is the largest of 9 and > nu) = int_nu^inf phi(t) Phi(t)^8 dt
    thresholds = (-np.inf, 0.0, 1.0, 2.0, 3.0)
    fields = np.random.default_rng(2).standard_normal((200, 32, 32))
    estimate = peak_counts(fields, thresholds=np.array(thresholds[1:]), mean=0.0, sigma=1.0)
    exact = [quad(lambda t: stats.norm.pdf(t) * stats.norm.cdf(t) ** 8, nu, np.inf)[0] for nu in thresholds[1:]]
    z = (estimate.value - exact) / estimate.error
    assert np.abs(z).max() < _bonferroni(z.size)
    everything = peak_counts(fields, thresholds=(-1e3,), mean=0.0, sigma=1.0)
    assert abs(everything.value[0] - 1.0 / 9.0) < 4.0 * everything.error[0]


def test_histogram_test_false_positive_rate_and_power() -> None:
    S = free_field_spectrum(16, mass=0.5)
    p_values = []
    for seed in range(300):
        a = gaussian_field(S, 16, 30, seed=2 * seed)
        b = gaussian_field(S, 16, 30, seed=2 * seed + 1)
        p_values.append(histogram_test(a, b, n_bins=12).p_value)
    p_values = np.array(p_values)
    rate = np.mean(p_values < 0.05)
    assert abs(rate - 0.05) < 3.0 * np.sqrt(0.05 * 0.95 / 300), rate  # false-positive rate near alpha
    assert stats.kstest(p_values, "uniform").pvalue > 1e-3
    # power: a lognormal field of the same spectrum, same variance
    gaussian = gaussian_field(S, 16, 30, seed=1)
    skewed = lognormal_field(16, 30, spectrum=S, shift=1.0, seed=1)
    assert histogram_test(gaussian, skewed, n_bins=12).p_value < 1e-6


def test_marginal_histogram_density_and_log_scale() -> None:
    fields = np.random.default_rng(6).standard_normal((100, 16, 16))
    edges = histogram_edges(fields, fields + 1.0, n_bins=30)
    assert edges[0] == fields.min() and edges[-1] == fields.max() + 1.0
    density = marginal_histogram(fields, edges=edges)
    widths = np.diff(edges)
    assert np.isclose(np.sum(density.value * widths), 1.0)
    exact = np.diff(stats.norm.cdf(edges)) / widths
    keep = exact > 1e-3
    z = (density.value - exact)[keep] / density.error[keep]
    assert np.abs(z).max() < _bonferroni(int(keep.sum()))
    log = marginal_histogram(fields, edges=edges, log=True)
    full = density.value > 0
    assert np.allclose(log.value[full], np.log(density.value[full]))


def test_compare_fields_passes_same_law_and_fails_the_lognormal_histogram() -> None:
    S = free_field_spectrum(32, mass=0.3)
    reference = gaussian_field(S, 32, 150, seed=10)
    same = compare_fields(gaussian_field(S, 32, 150, seed=11), reference)
    assert same.passed, [(s.name, s.z, s.p_value) for s in same.statistics if not s.passed]
    assert same.n_tests == sum(s.z.size for s in same.statistics) + 1
    parts = same.summary().split(", ")
    assert parts[0] == f"spectrum max|z| = {np.abs(same['spectrum'].z).max():.2f}"
    assert parts[1] == f"histogram p = {same['histogram'].p_value:.3g}" and len(parts) == len(same.statistics)
    skewed = compare_fields(lognormal_field(32, 150, spectrum=S, shift=1.0, seed=12), reference)
    assert skewed["spectrum"].passed and not skewed["histogram"].passed and not skewed["peaks"].passed
    assert not skewed.passed and not skewed["phase_harmonics"].passed  # C^(1) of a skewed field


def test_compare_fields_with_the_training_batch_is_calibrated_for_a_fitted_model() -> None:
    """A model fitted to a training batch (here the Gaussian of its periodogram, whose spectrum per shell is the
    training one) differs from the truth by the training batch's sampling error: against held-out fields its
    spectrum z-scores have E z^2 = 1.5 without that error (what the ``training`` argument corrects) and 1 with it.
    40 repetitions of 11 shells: the mean of z^2 has a standard error of about 0.07."""
    S = free_field_spectrum(16, mass=0.5)
    with_training, without = [], []
    for r in range(40):
        train = gaussian_field(S, 16, 50, seed=3 * r)
        held_out = gaussian_field(S, 16, 50, seed=3 * r + 1)
        fitted = np.mean(np.abs(np.fft.fft2(train)) ** 2, axis=0) / 16**2
        generated = gaussian_field(fitted, 16, 50, seed=3 * r + 2)
        with_training.append(
            compare_fields(generated, held_out, statistics=("spectrum",), training=train)["spectrum"].z
        )
        without.append(compare_fields(generated, held_out, statistics=("spectrum",))["spectrum"].z)
    assert 0.8 < np.mean(np.square(with_training)) < 1.2
    assert np.mean(np.square(without)) > 1.3
    # the z-scores and the histogram test are the formulas of the module docstrings
    a, b, t = (gaussian_field(S, 16, n, seed=200 + n) for n in (30, 40, 50))
    result = compare_fields(a, b, statistics=("spectrum", "histogram"), training=t, n_bins=8)
    pa, pb, pt = power_spectrum(a), power_spectrum(b), power_spectrum(t)
    expected = (pa.value - pb.value) / np.sqrt(pa.error**2 + pb.error**2 + pt.error**2)
    np.testing.assert_allclose(result["spectrum"].z, expected, rtol=1e-12)
    plain, counted = histogram_test(a, b, n_bins=8), histogram_test(a, b, n_bins=8, n_training=50)
    ratio = (1 / 30 + 1 / 40) / (1 / 30 + 1 / 40 + 1 / 50)
    assert np.isclose(counted.statistic, plain.statistic * ratio, rtol=1e-12) and counted.p_value > plain.p_value
    assert result["histogram"].p_value == counted.p_value
    with pytest.raises(ValueError, match="training"):
        compare_fields(a, b, training=t[:, :8, :8])
    with pytest.raises(ValueError, match="n_training"):
        histogram_test(a, b, n_training=0)


def test_phi4_statistics_in_compare_fields() -> None:
    a, b = phi4(8, 0.68, 300, seed=1), phi4(8, 0.68, 300, seed=2)
    result = compare_fields(
        a, b, statistics=("magnetization", "binder", "energy"), energy=lambda f: phi4_energy(f, 0.68)
    )
    assert result.passed and result.n_tests == 4
    energy = energy_per_site(a.fields, lambda f: phi4_energy(f, 0.68))
    e = phi4_energy(a.fields, 0.68) / 64
    assert np.isclose(energy.value[0], e.mean()) and np.isclose(energy.value[1], e.std())
    assert np.isclose(magnetization(a).value[0], np.abs(a.fields.mean(axis=(1, 2))).mean())
    disordered = compare_fields(phi4(8, 0.5, 300, seed=3), b, statistics=("binder",))
    assert not disordered.passed
    with pytest.raises(ValueError, match="energy"):
        compare_fields(a, b, statistics=("energy",))
    with pytest.raises(ValueError, match="statistics"):
        compare_fields(a, b, statistics=("spectra",))


def test_histogram_edges_that_float64_cannot_split_are_refused_naming_the_fields():
    from wirg.statistics import histogram_edges, marginal_histogram

    for fields in (np.full((2, 4, 4), 1e16), np.array([[[-1e308, 1e308], [0.0, 0.0]]] * 2)):
        with pytest.raises(ValueError, match="fields"):
            histogram_edges(fields)
        with pytest.raises(ValueError, match="fields"):
            marginal_histogram(fields)


def test_magnetization_of_fields_too_large_for_float64_is_refused() -> None:
    """40 fields of 8 x 8 sites at 1.12e307: the sum over a field overflows, which used to come out as a
    RuntimeWarning and an infinite <|m|>; it is a ValueError naming the fields."""
    import warnings

    from wirg.statistics import magnetization

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="fields: <\\|m\\|> or its error overflows float64"):
            magnetization(np.full((40, 8, 8), 1.12e307))
        assert magnetization(np.full((40, 8, 8), 1e300)).value[0] == pytest.approx(1e300)
