"""Tests of wirg.fields: exact stationary Gaussian fields on the periodic lattice."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from wirg.fields import free_field_spectrum, gaussian_field, lattice_momenta, lognormal_field
from wirg.statistics import power_spectrum, radial_shells
from wirg.statistics.estimate import jackknife

# ------------------------------------------------------------------------------ Gaussian fields


def _independent_modes(L: int) -> tuple[np.ndarray, np.ndarray]:
    """Mask of one momentum per pair {k, -k}, and the mask of the self-conjugate ones (k = -k)."""
    n = np.arange(L)
    mirror_x, mirror_y = np.meshgrid((-n) % L, (-n) % L, indexing="ij")
    index = np.arange(L * L).reshape(L, L)
    mirror = index[mirror_x, mirror_y]
    return index <= mirror, index == mirror


def test_gaussian_field_power_spectrum_matches_S_within_errors() -> None:
    # |phi_k|^2 / L^2 is S(k) times Exp(1) (complex k) or chi^2_1 (k = -k): standardised residuals
    # of the mean over n samples, over the independent modes, are chi-square distributed.
    L, n = 8, 4000
    S = free_field_spectrum(L, mass=0.5, beta=1.3)
    phi = gaussian_field(S, L, n, seed=11)
    power = np.abs(np.fft.fft2(phi)) ** 2 / L**2
    ratio = power.mean(axis=0) / S
    keep, real = _independent_modes(L)
    variance = np.where(real, 2.0, 1.0) / n
    z = (ratio - 1.0) / np.sqrt(variance)
    chi2 = float(np.sum(z[keep] ** 2))
    dof = int(keep.sum())
    assert stats.chi2.sf(chi2, dof) > 1e-3, (chi2, dof)
    assert np.max(np.abs(z[keep])) < 4.5


def test_gaussian_field_real_space_covariance_and_mean() -> None:
    L, n = 6, 20000
    S = free_field_spectrum(L, mass=1.0)
    phi = gaussian_field(S, L, n, seed=5)
    exact = np.fft.ifft2(S).real  # C(r) = L^-2 sum_k S(k) e^{ikr}
    estimate = np.mean(phi[:, :1, :1] * phi, axis=0)  # E phi_0 phi_r
    # variance of phi_0 phi_r for a Gaussian pair: C(0)^2 + C(r)^2
    se = np.sqrt((exact[0, 0] ** 2 + exact**2) / n)
    assert np.all(np.abs(estimate - exact) < 4.5 * se)
    mean_se = np.sqrt(S[0, 0] / L**2 / n)  # the site average is the zero mode / L^2
    assert abs(phi.mean()) < 4.0 * mean_se


def test_massless_free_field_drops_the_zero_mode_and_callable_equals_array() -> None:
    L = 8
    S = free_field_spectrum(L)
    assert S[0, 0] == 0.0
    kx, ky = lattice_momenta(L)
    khat2 = 4 * np.sin(kx / 2) ** 2 + 4 * np.sin(ky / 2) ** 2
    assert np.allclose(S[1:], 1.0 / khat2[1:]) and np.allclose(S[0, 1:], 1.0 / khat2[0, 1:])
    phi = gaussian_field(S, L, 50, seed=2)
    assert np.max(np.abs(phi.mean(axis=(1, 2)))) < 1e-12

    def spectrum(kx: np.ndarray, ky: np.ndarray) -> np.ndarray:
        return 1.0 / (0.25 + 4 * np.sin(kx / 2) ** 2 + 4 * np.sin(ky / 2) ** 2)

    assert np.array_equal(
        gaussian_field(spectrum, L, 3, seed=9), gaussian_field(free_field_spectrum(L, mass=0.5), L, 3, seed=9)
    )
    assert free_field_spectrum(L, zero_mode=2.0)[0, 0] == 2.0
    assert np.all(np.isclose(free_field_spectrum(L, mass=2.0)[0, 0], 0.25))


def test_gaussian_field_reproducible_by_seed() -> None:
    S = free_field_spectrum(5, mass=1.0)
    a = gaussian_field(S, 5, 4, seed=123)
    assert a.shape == (4, 5, 5) and a.dtype == np.float64
    assert np.array_equal(a, gaussian_field(S, 5, 4, seed=123))
    assert not np.array_equal(a, gaussian_field(S, 5, 4, seed=124))
    assert np.array_equal(a, gaussian_field(S, 5, 4, seed=np.random.default_rng(123)))


def test_gaussian_field_bad_input() -> None:
    L = 4
    good = free_field_spectrum(L, mass=1.0)
    with pytest.raises(ValueError, match="shape"):
        gaussian_field(np.ones((L, L + 1)), L, 2, seed=0)
    negative = good.copy()
    negative[1, 2] = negative[3, 2] = -1.0
    with pytest.raises(ValueError, match="spectrum must be > 0"):
        gaussian_field(negative, L, 2, seed=0)
    zero = good.copy()
    zero[1, 0] = zero[3, 0] = 0.0
    with pytest.raises(ValueError, match="spectrum must be > 0"):
        gaussian_field(zero, L, 2, seed=0)
    asymmetric = good.copy()
    asymmetric[1, 0] *= 2.0
    with pytest.raises(ValueError, match=r"S\(k\) = S\(-k\)"):
        gaussian_field(asymmetric, L, 2, seed=0)
    with pytest.raises(ValueError, match="finite"), np.errstate(divide="ignore"):
        gaussian_field(lambda kx, ky: 1.0 / (np.sin(kx / 2) ** 2 + np.sin(ky / 2) ** 2), L, 2, seed=0)
    with pytest.raises(TypeError, match="spectrum"):
        gaussian_field(good + 0j, L, 2, seed=0)
    with pytest.raises(ValueError, match="broadcastable"):
        gaussian_field(lambda kx, ky: np.ones(3), L, 2, seed=0)
    with pytest.raises(ValueError, match="n_samples"):
        gaussian_field(good, L, 0, seed=0)
    with pytest.raises(TypeError, match="L"):
        gaussian_field(good, 4.0, 2, seed=0)
    with pytest.raises(TypeError, match="seed"):
        gaussian_field(good, L, 2, seed=1.5)
    with pytest.raises(ValueError, match="mass"):
        free_field_spectrum(L, mass=-1.0)
    with pytest.raises(ValueError, match="beta"):
        free_field_spectrum(L, beta=0.0)
    with pytest.raises(ValueError, match="zero_mode"):
        free_field_spectrum(L, zero_mode=-1.0)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(mass=1e300), "mass"),  # was an OverflowError traceback from mass**2
        (dict(mass=1e-200), "mass"),  # mass**2 underflowed to 0: silently massless
        (dict(beta=1e308), "beta"),  # beta khat^2 overflowed: S(k) = 0 off the zero mode
        (dict(beta=1e-320), "beta"),
    ],
)
def test_free_field_spectrum_refuses_values_beyond_float64(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=f"^{name} must be"):
        free_field_spectrum(8, **kwargs)


# ------------------------------------------------------------------------------ lognormal fields


def _band_spectrum(L: int) -> np.ndarray:
    """A narrow ring of power at |k| = 1.5 over a small floor: C_kappa oscillates in sign."""
    kx, ky = lattice_momenta(L)
    return np.exp(-((np.hypot(kx, ky) - 1.5) ** 2) / 0.02) + 1e-3


def test_lognormal_field_mean_spectrum_and_skewness() -> None:
    L, n, shift = 32, 400, 1.5
    target = free_field_spectrum(L, mass=0.6)  # C_kappa(r) > 0: no zero-mode offset, Var kappa known exactly
    kappa = lognormal_field(L, n, spectrum=target, shift=shift, seed=4)
    assert kappa.shape == (n, L, L) and kappa.min() > -shift
    # mean 0: the per-field means are independent
    means = kappa.mean(axis=(1, 2))
    assert abs(means.mean()) < 4.0 * means.std(ddof=1) / np.sqrt(n)
    # the target spectrum in every shell, Bonferroni over the shells
    spectrum = power_spectrum(kappa)
    exact = radial_shells(L).average(target)
    z = (spectrum.value - exact) / spectrum.error
    assert np.abs(z).max() < stats.norm.ppf(1.0 - 0.01 / (2 * z.size)), np.abs(z).max()
    # skewness of the shifted lognormal, sigma_g^2 = ln(1 + C_kappa(0) / shift^2)
    sigma2 = np.log1p(target.mean() / shift**2)
    exact_skew = (np.exp(sigma2) + 2.0) * np.sqrt(np.expm1(sigma2))
    flat = kappa.reshape(n, -1)
    moments = (flat.mean(axis=1), (flat**2).mean(axis=1), (flat**3).mean(axis=1))
    skew, error = jackknife(
        tuple(m[:, None] for m in moments),
        lambda m1, m2, m3: (m3 - 3 * m1 * m2 + 2 * m1**3) / (m2 - m1**2) ** 1.5,
    )
    assert skew[0] > 1.0 and abs(skew[0] - exact_skew) < 4.0 * error[0], (skew, error, exact_skew)


def test_lognormal_field_power_law_zero_mode_and_reproducibility() -> None:
    a = lognormal_field(16, 50, exponent=2.0, variance=1.0, shift=1.0, seed=7)
    assert np.array_equal(a, lognormal_field(16, 50, exponent=2.0, shift=1.0, seed=7))
    assert a.min() > -1.0
    # the k != 0 shells follow the normalised power law
    kx, ky = lattice_momenta(16)
    khat2 = 4 * np.sin(kx / 2) ** 2 + 4 * np.sin(ky / 2) ** 2
    law = np.divide(1.0, khat2, out=np.zeros_like(khat2), where=khat2 > 0)
    law *= 16**2 / law.sum()
    big = lognormal_field(16, 800, exponent=2.0, shift=1.0, seed=8)
    spectrum = power_spectrum(big)
    z = (spectrum.value - radial_shells(16).average(law)) / spectrum.error
    assert np.abs(z).max() < stats.norm.ppf(1.0 - 0.01 / (2 * z.size))


def test_lognormal_field_refuses_unrealisable_spectra() -> None:
    with pytest.raises(ValueError, match="not a covariance"):
        lognormal_field(16, 2, spectrum=_band_spectrum(16), shift=1.0, seed=0)
    assert lognormal_field(16, 2, spectrum=_band_spectrum(16), shift=20.0, seed=0).shape == (2, 16, 16)
    anti = np.full((4, 4), 1e-6)
    anti[2, 2] = 32.0  # C(r) ~ 2 (-1)^(x+y): C ~ -2 < -shift^2 at odd r
    with pytest.raises(ValueError, match="shift"):
        lognormal_field(4, 2, spectrum=anti, shift=1.0, seed=0)
    with pytest.raises(TypeError, match="exactly one"):
        lognormal_field(8, 2, seed=0)
