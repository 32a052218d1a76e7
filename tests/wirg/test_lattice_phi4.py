"""Tests of wirg.lattice_phi4: the phi^4 energy and its Markov-chain sampler against quadrature at L = 2, the embedded Ising
model, chain agreement and reproducibility."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from statlearn.numerics.rng import seed_state
from wirg import lattice_phi4 as P
from wirg.lattice_phi4 import PHI4_SAMPLERS, Phi4Samples, phi4, phi4_energy, phi4_mala, phi4_mixing
from wirg.statistics import AutocorrelationWarning, integrated_autocorrelation_time

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
    x = np.linspace(-3.0, 3.0, 1201)  # h = 0.005: the bin edges below are grid points
    h = x[1] - x[0]
    w = np.exp(-(x**4 - x**2)) * h
    # marginal density of a (up to a factor): w_a sum_d w_d G(a + d), G(u) = sum_{b,c} w_b w_c
    # exp(2 beta u (b + c)), both pair sums on the grid s of 2n - 1 points (rectangle rules of integrands
    # that vanish at +-3: spectrally accurate)
    W = np.convolve(w, w)
    s = -6.0 + h * np.arange(W.size)
    G = np.exp(2 * beta * np.outer(s, s)) @ W
    marginal = w * np.correlate(G, w, mode="valid")  # sum_j G[i + j] w_j
    # cell probabilities by the trapezoid rule between grid points on the edges (assigning grid points to
    # bins instead, with a bin width that is not a whole number of grid steps, was 2-4% wrong per bin)
    edges = np.linspace(-2.0, 2.0, 21)
    on_grid = np.rint((np.concatenate([[-3.0], edges, [3.0]]) + 3.0) / h).astype(int)
    assert np.allclose(x[on_grid][1:-1], edges, atol=1e-12)
    probabilities = np.array([np.trapezoid(marginal[a : b + 1]) for a, b in zip(on_grid[:-1], on_grid[1:])])
    probabilities /= probabilities.sum()
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
        P._swendsen_wang(phi, state, beta, bond, visited, stack)
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
    assert (a.L, a.beta, a.seed, a.thin, a.thermalization, a.cluster) == (6, 0.6, 4, 3, 4000, True)
    assert a.magnetization.size == 2000 + 30 * 3
    assert np.isclose(a.fields[-1].mean(), a.magnetization[-1], rtol=1e-12)
    b = phi4(6, 0.6, 30, seed=4, thin=3)
    assert np.array_equal(a.fields, b.fields) and np.array_equal(a.magnetization, b.magnetization)
    assert a.delta == b.delta and a.tau_m == b.tau_m
    c = phi4(6, 0.6, 30, seed=5, thin=3)
    assert not np.array_equal(a.fields, c.fields)
    with pytest.raises(AttributeError):
        a.beta = 0.7  # type: ignore[misc]


def _lag_one(x: np.ndarray) -> float:
    x = x - x.mean()
    return float((x[:-1] * x[1:]).mean() / (x * x).mean())


def test_default_thinning_stores_uncorrelated_fields_at_beta_c() -> None:
    """Near beta_c the stored fields are used as independent draws: the lag-one autocorrelation of |m| and of
    m^2 over consecutive stored fields is within 4 standard errors (1/sqrt(n)) of 0. With the former
    thinning of 2 tau it was 0.2-0.25 at L = 16-64 (6-8 standard errors here). The thinning is the pilot's."""
    n = 1000
    samples = phi4(16, 0.68, n, seed=11)
    pilot = samples.magnetization[: samples.thermalization - samples.thermalization // 2]
    taus = integrated_autocorrelation_time(pilot), integrated_autocorrelation_time(np.abs(pilot))
    assert samples.thin == P.default_thin(*taus) == int(np.ceil(P.THIN_PER_TAU * max(t.tau for t in taus)))
    m = samples.fields.mean(axis=(-2, -1))
    for series in (np.abs(m), m * m):
        assert abs(_lag_one(series)) < 4.0 / np.sqrt(n), _lag_one(series)


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


def test_chunked_chain_is_the_same_chain_and_follows_the_result_protocol(monkeypatch) -> None:
    from statlearn.numerics.result import SolverResult

    whole = phi4(8, 0.6, 20, seed=4, thermalization=200, thin=3)
    monkeypatch.setattr(P, "_CHUNK_UPDATES", 64)  # one stored field (or pilot sweep) per compiled call
    chunked = phi4(8, 0.6, 20, seed=4, thermalization=200, thin=3)
    assert np.array_equal(whole.fields, chunked.fields) and np.array_equal(whole.magnetization, chunked.magnetization)
    assert isinstance(whole, SolverResult) and whole.converged and np.isnan(whole.residual)
    assert whole.iterations == 200 + 20 * 3 == whole.magnetization.size + 200 // 2
    assert "260 sweeps" in whole.message
    with pytest.raises(ValueError, match="read-only"):
        whole.fields[0, 0, 0] = 1.0


# ------------------------------------------------------------------------ whole-field MALA and mixing


def test_phi4_energy_gradient_matches_finite_differences() -> None:
    phi = np.random.default_rng(1).standard_normal((2, 5, 5))
    energy, gradient = P._energy_and_gradient(phi, 0.68)
    assert np.allclose(energy, phi4_energy(phi, 0.68), rtol=1e-14)
    h = 1e-5
    for index in [(0, 0, 0), (1, 2, 3), (1, 4, 4)]:
        step = np.zeros_like(phi)
        step[index] = h
        numeric = (phi4_energy(phi + step, 0.68) - phi4_energy(phi - step, 0.68))[index[0]] / (2 * h)
        assert np.isclose(gradient[index], numeric, rtol=1e-7, atol=1e-8)


def test_phi4_mala_l2_moments_match_quadrature() -> None:
    beta = 0.68
    reference = _l2_reference(beta)
    samples = phi4_mala(2, beta, 20000, seed=5, thin=2)
    assert samples.sampler == "mala" and not samples.cluster and 0.3 < samples.acceptance < 0.8
    phi = samples.fields.reshape(samples.n_samples, 4)
    m = phi.mean(axis=1)
    observed = {"phi2": np.mean(phi**2, axis=1), "phi4": np.mean(phi**4, axis=1), "m2": m**2, "m4": m**4}
    for name, series in observed.items():
        assert abs(_z_score(series, reference[name])) < 4.0, name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutocorrelationWarning)  # tau from the short production series
        again = phi4_mala(2, beta, 50, seed=5, thin=2)
    assert np.array_equal(again.fields, samples.fields[:50])


def test_phi4_mixing_orders_the_samplers() -> None:
    # at L = 8 near beta_c: clusters decorrelate |m| far faster than local Metropolis, whole-field MALA slowest
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutocorrelationWarning)
        runs = {s: phi4_mixing(8, 0.68, 20000, sampler=s, seed=2, n_chains=2) for s in PHI4_SAMPLERS}
    assert runs["cluster"].reliable and runs["metropolis"].reliable
    assert 2 * runs["cluster"].tau_abs_m < runs["metropolis"].tau_abs_m < runs["mala"].tau_abs_m
    for r in runs.values():
        assert r.magnetization.shape == r.energy.shape == (2, 20000) and r.converged and r.seconds_per_step > 0
        assert np.isclose(r.cost_per_sample, r.seconds_per_step * 2 * max(r.tau_abs_m, r.tau_energy))
    # the recorded energies are those of the chain's fields: the mean energy per site agrees between samplers
    means = {s: r.energy.mean() for s, r in runs.items()}
    assert abs(means["cluster"] - means["metropolis"]) < 0.05 and abs(means["cluster"] - means["mala"]) < 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutocorrelationWarning)
        first, second = (phi4_mixing(4, 0.6, 100, sampler="mala", seed=1, thermalization=100) for _ in range(2))
    assert np.array_equal(first.energy, second.energy) and not first.reliable
    with pytest.raises(ValueError, match="sampler"):
        phi4_mixing(4, 0.6, 100, sampler="heatbath", seed=1)
