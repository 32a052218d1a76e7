"""PCA-RG (statlearn.rg.pca): the fourth-moment flow against exact results (Gaussian data at 3, the
closed form for mixtures of independent non-Gaussian variables, the data's own kurtosis at K = N) and
the principal components of a stationary field against its plane waves."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kurtosis, norm, ortho_group

from statlearn.rg import DegenerateDataWarning, coarse_grain, fourier_check, gaussian_control, pca_flow
from wirg.fields import free_field_spectrum, gaussian_field

FRACTIONS = [1 / 64, 0.05, 0.1, 0.25, 0.5, 1.0]
# two-sided Bonferroni bound over the fractions of one flow at alpha = 1e-3
Z = float(norm.ppf(1 - 1e-3 / (2 * len(FRACTIONS))))


def test_gaussian_field_stays_at_three():
    fields = gaussian_field(free_field_spectrum(8, mass=0.5), 8, 4000, seed=3)
    flow = pca_flow(fields, FRACTIONS)
    np.testing.assert_array_equal(flow.K, [1, 3, 6, 16, 32, 64])
    for corrected, stderr in (
        (flow.median, flow.stderr),
        (flow.mode_median, flow.mode_stderr),
    ):
        assert np.all(np.abs(corrected - 3.0) <= Z * stderr), (corrected, stderr)
    assert np.all(flow.spread[:, 0] < flow.median) and np.all(flow.median < flow.spread[:, 1])


def test_gaussian_control_has_the_data_covariance_and_is_reproducible():
    rng = np.random.default_rng(0)
    data = rng.laplace(size=(3000, 5)) @ rng.standard_normal((5, 5))
    a, b = gaussian_control(data, seed=7), gaussian_control(data, seed=7)
    np.testing.assert_array_equal(a, b)
    assert a.shape == data.shape
    centred = data - data.mean(axis=0)
    C = centred.T @ centred / data.shape[0]
    # sample covariance of n Gaussian draws: entries within a few sqrt((C_ii C_jj + C_ij^2) / n)
    scale = np.sqrt((np.outer(np.diag(C), np.diag(C)) + C**2) / data.shape[0])
    assert np.all(np.abs(a.T @ a / data.shape[0] - C) <= 5 * scale)
    assert np.all(np.abs(kurtosis(a)) <= 5 * np.sqrt(24 / data.shape[0]))


@pytest.mark.parametrize("law, kappa_s", [("pm1", 1.0), ("laplace", 6.0)])
def test_independent_non_gaussian_mixture_against_closed_form(law, kappa_s):
    """x = M s with independent s of unit variance: kappa_i(K) = 3 + (kappa_s - 3) sum_j B_ij^4 / (sum_j B_ij^2)^2,
    B = P_K M (module docstring); P_K from the population eigenvectors (spectrum well separated)."""
    N, n = 12, 20000
    rng = np.random.default_rng(11)
    U = ortho_group.rvs(N, random_state=12)
    lam = 2.0 ** -np.arange(N)
    M = U @ np.diag(np.sqrt(lam)) @ U.T
    s = rng.choice([-1.0, 1.0], size=(n, N)) if law == "pm1" else rng.laplace(scale=1 / np.sqrt(2), size=(n, N))
    flow = pca_flow(s @ M.T, [1 / N, 3 / N, 6 / N, 1.0])
    for i, K in enumerate(flow.K):
        B = U[:, :K] @ U[:, :K].T @ M
        exact = 3.0 + (kappa_s - 3.0) * np.sum(B**4, axis=1) / np.sum(B**2, axis=1) ** 2
        assert abs(flow.median[i] - np.median(exact)) <= Z * flow.stderr[i], (K, flow.median[i])
    # the mode amplitudes a_mu = u_mu^T x = sqrt(lam_mu) u_mu^T s: weights U[:, mu]
    exact_modes = 3.0 + (kappa_s - 3.0) * np.sum(U**4, axis=0)
    assert abs(flow.mode_median[-1] - np.median(exact_modes)) <= Z * flow.mode_stderr[-1]


def test_all_components_return_the_data_kurtosis():
    rng = np.random.default_rng(5)
    data = rng.exponential(size=(500, 7)) @ rng.standard_normal((7, 7))
    flow = pca_flow(data, [1.0, 0.5])
    np.testing.assert_allclose(flow.unit_ratio[0], kurtosis(data, fisher=False), rtol=1e-10)
    centred = data - data.mean(axis=0)
    np.testing.assert_allclose(np.sort(flow.eigenvalues), np.linalg.eigvalsh(centred.T @ centred / 500), rtol=1e-10)


def test_rescaling_keeps_the_normalised_moment_and_the_total_variance():
    rng = np.random.default_rng(6)
    data = rng.laplace(size=(400, 3, 3))
    flow = pca_flow(data, [4 / 9])
    y = coarse_grain(data, 4, rescale=True)
    np.testing.assert_allclose(kurtosis(y, fisher=False), flow.unit_ratio[0], rtol=1e-9)
    centred = data.reshape(400, 9) - data.reshape(400, 9).mean(axis=0)
    np.testing.assert_allclose(np.sum(y**2), np.sum(centred**2), rtol=1e-10)
    np.testing.assert_allclose(coarse_grain(data, 9), centred, atol=1e-12)


def test_principal_components_of_a_free_field_are_plane_waves():
    """Exact spectrum 1/(khat^2 + m^2): eigenvector r lies in the shell of equal S its rank predicts, up to
    the first-order leakage S_r S_k / ((n - 1)(S_r - S_k)^2) from sampling noise (seed-to-seed scatter of
    the measured/predicted ratio 0.08 at these sizes: tolerance 0.3), and the eigenvalues of each shell
    sum to the spectrum's within their chi-square error sqrt(2 / (m (n - 1))) (Bonferroni, alpha = 1e-3)."""
    L, n = 8, 10000
    S = free_field_spectrum(L, mass=0.5)
    check = fourier_check(gaussian_field(S, L, n, seed=4), S)
    np.testing.assert_allclose(check.spectrum, np.sort(S.ravel())[::-1])
    assert check.shell.max() + 1 == np.unique(np.round(S, 12)).size
    ratio = (1 - check.overlap.mean()) / check.expected_leakage.mean()
    assert 0.7 <= ratio <= 1.3, ratio
    shells = np.unique(check.shell)
    bound = norm.ppf(1 - 1e-3 / (2 * shells.size))
    for shell in shells:
        m = check.shell == shell
        z = (check.eigenvalues[m].sum() / check.spectrum[m].sum() - 1) / np.sqrt(2 / (m.sum() * (n - 1)))
        assert abs(z) <= bound, (shell, z)


def test_measured_spectrum_shells_are_lattice_orbits():
    L = 6
    S = free_field_spectrum(L, mass=1.0)
    check = fourier_check(gaussian_field(S, L, 20000, seed=8))
    # the orbits of the 8-element point group on a 6 x 6 momentum lattice: (0,0), (0,1), (0,2), (0,3),
    # (1,1), (1,2), (1,3), (2,2), (2,3), (3,3)
    assert check.shell.max() + 1 == 10
    assert np.sum(check.measured) == pytest.approx(np.sum(check.eigenvalues), rel=1e-10)  # Parseval: both are the trace
    assert np.median(check.overlap) > 1 - 10 * np.median(check.expected_leakage)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda x: pca_flow(x, [0.0]), "fractions"),
        (lambda x: pca_flow(x, [1.5]), "fractions"),
        (lambda x: pca_flow(x, []), "fractions"),
        (lambda x: pca_flow(x, [[0.5]]), "fractions"),
        (lambda x: pca_flow(np.where(x > 2, np.nan, x), [0.5]), "data"),
        (lambda x: pca_flow(x[:, 0, 0], [0.5]), "data"),
        (lambda x: pca_flow(x[:, :, :, None], [0.5]), "data"),
        (lambda x: pca_flow(x[:10], [0.5]), "data"),
        (lambda x: pca_flow(x, [0.5], n_blocks=1), "n_blocks"),
        (lambda x: pca_flow(x, [0.5], quantiles=(0.8, 0.2)), "quantiles"),
        (lambda x: coarse_grain(x, 0), "K"),
        (lambda x: coarse_grain(x, 17), "K"),
        (lambda x: fourier_check(x[:, :, :3]), "fields"),
        (lambda x: fourier_check(x[:1]), "fields"),
        (lambda x: fourier_check(x, np.ones((3, 3))), "spectrum"),
        (lambda x: fourier_check(x, resolution=-1.0), "resolution"),
        (lambda x: gaussian_control(x, seed=-1), "seed"),
    ],
)
def test_bad_input_is_refused_naming_the_parameter(call, name):
    x = np.random.default_rng(0).standard_normal((64, 4, 4))
    with pytest.raises((ValueError, TypeError), match=name):
        call(x)


def test_zero_variance_units_are_left_out():
    data = np.random.default_rng(1).standard_normal((200, 5))
    data[:, 2] = 1.0  # a constant unit (like the border pixels of the digits)
    flow = pca_flow(data, [1.0])
    np.testing.assert_array_equal(flow.units, [0, 1, 3, 4])
    assert flow.n_units == 4 and np.all(np.isfinite(flow.unit_ratio))
    with pytest.raises(ValueError, match="data"):
        pca_flow(np.ones((50, 3)), [1.0])


def test_fewer_samples_than_units_warns_about_the_zero_modes():
    data = np.random.default_rng(2).standard_normal((20, 30))
    with pytest.warns(DegenerateDataWarning, match="modes"):
        flow = pca_flow(data, [0.5, 1.0], n_blocks=2)
    assert np.all(np.isfinite(flow.median)) and np.all(np.isfinite(flow.mode_median))
