"""Tests of wirg.fields: exact Gaussian fields, the phi^4 sampler, autocorrelation, Binder cumulant, datasets."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from scipy import signal, stats

from statlearn.numerics.rng import seed_state
from wirg import fields as F
from wirg.fields import (
    AutocorrelationWarning,
    Phi4Samples,
    binder_cumulant,
    dataset,
    free_field_spectrum,
    gaussian_field,
    integrated_autocorrelation_time,
    lattice_momenta,
    load_dataset,
    phi4,
    phi4_energy,
    save_dataset,
)

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


# ----------------------------------------------------------------------------- phi^4 energy


def test_phi4_energy_matches_the_laplacian_form() -> None:
    rng = np.random.default_rng(0)
    for L in (2, 3, 5):
        phi = rng.standard_normal((3, L, L))
        beta = 0.7
        laplacian = sum(np.roll(phi, s, axis=a) for s in (1, -1) for a in (1, 2)) - 4 * phi
        expected = np.sum(0.5 * phi * (-beta * laplacian) + phi**4 - (1 + 2 * beta) * phi**2, axis=(1, 2))
        assert np.allclose(phi4_energy(phi, beta), expected)


# ------------------------------------------------------------------------------- phi^4 sampler


def _l2_reference(beta: float, R: float = 3.0, n: int = 401) -> dict[str, float]:
    r"""<phi^2>, <phi^4>, <m^2>, <m^4> at L = 2 by trapezoidal quadrature on a uniform grid.

    At L = 2 the forward bonds join every neighbour pair twice: with sites a = (0,0), b = (0,1),
    c = (1,0), d = (1,1), E = -2 beta (a + d)(b + c) + sum V, V(x) = x^4 - x^2. On a uniform grid the
    pair sums a + d and b + c live on a grid of 2n - 1 points, so the 4-d sum factorises through
    the pair weights W(s) = sum_{a + d = s} w_a w_d (a convolution). The tails beyond |x| = 3 weigh
    less than e^{-60}.
    """
    x = np.linspace(-R, R, n)
    h = x[1] - x[0]
    w = np.exp(-(x**4 - x**2)) * h
    W = np.convolve(w, w)
    A2 = 2 * np.convolve(w * x**2, w)  # sum over pairs of w_a w_d (a^2 + d^2)
    A4 = 2 * np.convolve(w * x**4, w)
    s = -2 * R + h * np.arange(2 * n - 1)
    K = np.exp(2 * beta * np.outer(s, s))
    Z = W @ K @ W
    m = (s[:, None] + s[None, :]) / 4
    return {
        "phi2": (A2 @ K @ W + W @ K @ A2) / (4 * Z),
        "phi4": (A4 @ K @ W + W @ K @ A4) / (4 * Z),
        "m2": np.sum(np.outer(W, W) * K * m**2) / Z,
        "m4": np.sum(np.outer(W, W) * K * m**4) / Z,
    }


def _z_score(series: np.ndarray, reference: float) -> float:
    """(mean - reference) / standard error, the error corrected by the integrated autocorrelation time."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutocorrelationWarning)
        tau = integrated_autocorrelation_time(series).tau
    return float((series.mean() - reference) / np.sqrt(2 * max(tau, 0.5) * series.var() / series.size))


@pytest.mark.parametrize("cluster", [True, False])
def test_phi4_l2_moments_match_quadrature(cluster: bool) -> None:
    beta = 0.68
    reference = _l2_reference(beta)
    assert np.isclose(_l2_reference(beta, R=3.5, n=801)["m4"], reference["m4"], rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutocorrelationWarning)  # the pilot without clusters is short
        samples = phi4(2, beta, 20000, seed=7, cluster=cluster, thin=None if cluster else 100)
    phi = samples.fields.reshape(samples.n_samples, 4)
    m = phi.mean(axis=1)
    observed = {"phi2": np.mean(phi**2, axis=1), "phi4": np.mean(phi**4, axis=1), "m2": m**2, "m4": m**4}
    for name, series in observed.items():
        assert abs(_z_score(series, reference[name])) < 4.0, name
    assert 0.4 < samples.acceptance < 0.65


def test_phi4_l2_one_site_histogram_matches_quadrature() -> None:
    beta = 0.68
    x = np.linspace(-3.0, 3.0, 801)
    h = x[1] - x[0]
    w = np.exp(-(x**4 - x**2)) * h
    # marginal of a: w_a sum_d w_d G(a + d), G(u) = sum_{b,c} w_b w_c exp(2 beta u (b + c)), both
    # pair sums on the grid s of 2n - 1 points
    W = np.convolve(w, w)
    s = -6.0 + h * np.arange(W.size)
    G = np.exp(2 * beta * np.outer(s, s)) @ W
    marginal = w * np.correlate(G, w, mode="valid")  # sum_j G[i + j] w_j
    edges = np.linspace(-2.0, 2.0, 21)
    index = np.clip(np.searchsorted(edges, x, side="right") - 1, -1, 20)
    cells = np.array([marginal[index == b].sum() for b in range(20)])
    probabilities = np.concatenate([[marginal[x < -2.0].sum()], cells, [marginal[x >= 2.0].sum()]])
    probabilities /= marginal.sum()
    samples = phi4(2, beta, 40000, seed=21)
    counts = np.histogram(samples.fields[:, 0, 0], bins=np.concatenate([[-np.inf], edges, [np.inf]]))[0]
    expected = probabilities * counts.sum()
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert stats.chi2.sf(chi2, counts.size - 1) > 1e-3, chi2


@pytest.mark.parametrize("L", [2, 3])
def test_swendsen_wang_alone_samples_the_embedded_ising_model(L: int) -> None:
    # At fixed |phi| the signs follow exp(sum_bonds J s_x s_y), J = beta |phi_x phi_y| over forward
    # bonds (two per pair at L = 2); enumerate the 2^(L^2) sign configurations.
    beta = 0.68
    rng = np.random.default_rng(L)
    magnitude = 0.6 + rng.random((L, L))
    configurations = ((np.arange(2 ** (L * L))[:, None] >> np.arange(L * L)) & 1).reshape(-1, L, L)
    signs = 2.0 * configurations - 1.0
    weights = np.exp(-phi4_energy(signs * magnitude, beta))  # |phi| fixed: the phi^4 - phi^2 part is constant
    weights /= weights.sum()
    phi = magnitude.copy()
    state = seed_state(np.uint64(99))
    bond = np.empty((L, L, 2), dtype=np.bool_)
    visited = np.empty((L, L), dtype=np.bool_)
    stack = np.empty(L * L, dtype=np.int64)
    powers = 1 << np.arange(L * L)
    n = 80000
    codes = np.empty(n, dtype=np.int64)
    for t in range(n):
        F._swendsen_wang(phi, state, beta, bond, visited, stack)
        codes[t] = powers[(phi > 0).ravel()].sum()
    assert np.allclose(np.abs(phi), magnitude)
    # successive SW states are correlated (tau_int ~ 1.6 steps here): a mean with an autocorrelation-
    # corrected error, and a chi-square on every 8th state (cells of expected count < 5 pooled)
    size2 = signs.reshape(signs.shape[0], -1).sum(axis=1) ** 2
    assert abs(_z_score(size2[codes].astype(float), float(np.sum(weights * size2)))) < 4.0
    thinned = codes[::8]
    counts = np.bincount(thinned, minlength=weights.size)
    expected = weights * thinned.size
    small = expected < 5.0
    counts = np.append(counts[~small], counts[small].sum())
    expected = np.append(expected[~small], expected[small].sum())
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert stats.chi2.sf(chi2, counts.size - 1) > 1e-3, (chi2, counts.size - 1)


def test_phi4_cluster_and_metropolis_chains_agree_at_l8() -> None:
    beta, L = 0.68, 8
    with_cluster = phi4(L, beta, 4000, seed=1)
    without = phi4(L, beta, 4000, seed=2, cluster=False, thermalization=2000, thin=20)
    for name, observable in [
        ("m2", lambda s: s.fields.mean(axis=(1, 2)) ** 2),
        ("energy", lambda s: phi4_energy(s.fields, beta) / L**2),
    ]:
        a, b = observable(with_cluster), observable(without)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AutocorrelationWarning)
            ta = max(integrated_autocorrelation_time(a).tau, 0.5)
            tb = max(integrated_autocorrelation_time(b).tau, 0.5)
        se = np.sqrt(2 * ta * a.var() / a.size + 2 * tb * b.var() / b.size)
        assert abs(a.mean() - b.mean()) < 4.0 * se, name
    # the cluster update decorrelates the magnetisation: tau_m of order 1 sweep
    assert with_cluster.tau_m.tau < 2.0 and without.tau_m.tau > 5 * with_cluster.tau_m.tau


def test_phi4_result_and_reproducibility() -> None:
    a = phi4(6, 0.6, 30, seed=4, thin=3)
    assert isinstance(a, Phi4Samples)
    assert a.fields.shape == (30, 6, 6) and a.fields.dtype == np.float64
    assert (a.L, a.beta, a.seed, a.thin, a.thermalization, a.cluster) == (6, 0.6, 4, 3, 1000, True)
    assert a.magnetization.size == 500 + 30 * 3
    assert np.isclose(a.fields[-1].mean(), a.magnetization[-1], rtol=1e-12)
    b = phi4(6, 0.6, 30, seed=4, thin=3)
    assert np.array_equal(a.fields, b.fields) and np.array_equal(a.magnetization, b.magnetization)
    assert a.delta == b.delta and a.tau_m == b.tau_m
    c = phi4(6, 0.6, 30, seed=5, thin=3)
    assert not np.array_equal(a.fields, c.fields)
    with pytest.raises(AttributeError):
        a.beta = 0.7  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"L": 0}, ValueError, "L"),
        ({"L": 1}, ValueError, "L"),
        ({"L": 4.0}, TypeError, "L"),
        ({"L": True}, TypeError, "L"),
        ({"beta": 0.0}, ValueError, "beta"),
        ({"beta": -0.5}, ValueError, "beta"),
        ({"beta": float("nan")}, ValueError, "beta"),
        ({"beta": [0.5, 0.6]}, TypeError, "beta"),
        ({"n_samples": 0}, ValueError, "n_samples"),
        ({"seed": -1}, ValueError, "seed"),
        ({"seed": 2.0}, TypeError, "seed"),
        ({"thin": 0}, ValueError, "thin"),
        ({"thermalization": 10}, ValueError, "thermalization"),
        ({"cluster": 1}, TypeError, "cluster"),
    ],
)
def test_phi4_bad_input(kwargs: dict, error: type, match: str) -> None:
    arguments = {"L": 4, "beta": 0.5, "n_samples": 2, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        phi4(**arguments)


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


# ------------------------------------------------------------------------------------- datasets


def test_save_and_load_phi4_dataset(tmp_path) -> None:
    samples = phi4(4, 0.6, 10, seed=3, thin=2)
    path = save_dataset(tmp_path / "run", samples, note="test")
    assert path.name == "run.npy" and path.with_suffix(".json").exists()
    loaded = load_dataset(tmp_path / "run")
    assert np.array_equal(loaded.fields, samples.fields)
    meta = loaded.metadata
    assert meta["shape"] == [10, 4, 4] and meta["statlearn_version"]
    params = meta["parameters"]
    assert params["beta"] == 0.6 and params["seed"] == 3 and params["thin"] == 2 and params["note"] == "test"
    assert params["tau_m"]["tau"] == samples.tau_m.tau
    with pytest.raises(ValueError, match="contradicts"):
        save_dataset(tmp_path / "bad", samples, beta=0.7)
    with pytest.raises(TypeError, match="JSON"):
        save_dataset(tmp_path / "bad", samples.fields, spectrum=np.ones(3))
    save_dataset(tmp_path / "corrupt", np.zeros((2, 3, 3)), kind="test")
    np.save(tmp_path / "corrupt.npy", np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="sidecar"):
        load_dataset(tmp_path / "corrupt.npy")


def test_dataset_regenerates_only_when_missing(tmp_path, monkeypatch) -> None:
    first = dataset("free_field", L=8, n_samples=5, seed=2, mass=0.5, cache_dir=tmp_path)
    assert np.array_equal(first.fields, gaussian_field(free_field_spectrum(8, mass=0.5), 8, 5, seed=2))
    assert first.metadata["parameters"]["mass"] == 0.5
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 2

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("regenerated a cached dataset")

    monkeypatch.setattr(F, "gaussian_field", fail)
    again = dataset("free_field", L=8, n_samples=5, seed=2, mass=0.5, cache_dir=tmp_path)
    assert np.array_equal(again.fields, first.fields)
    monkeypatch.undo()
    (tmp_path / files[1]).unlink()  # the .npy
    regenerated = dataset("free_field", L=8, n_samples=5, seed=2, mass=0.5, cache_dir=tmp_path)
    assert np.array_equal(regenerated.fields, first.fields)

    phi = dataset("phi4", L=4, n_samples=6, seed=1, beta=0.6, thin=2, cache_dir=tmp_path)
    assert phi.fields.shape == (6, 4, 4)
    assert np.array_equal(phi.fields, phi4(4, 0.6, 6, seed=1, thin=2).fields)
    sidecar = next(tmp_path.glob("phi4_*.json"))
    assert json.loads(sidecar.read_text())["parameters"]["request"]["beta"] == 0.6
    with pytest.raises(ValueError, match="kind"):
        dataset("ising", L=4, n_samples=2, seed=0, cache_dir=tmp_path)
