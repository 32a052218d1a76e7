"""The 2-D Ising sampler (wirg.lattice_ising) and its exact results (wirg.ising_exact).

Oracles that could fail independently: Onsager's closed form against the double integral of the
derivative of his free energy (scipy.integrate.dblquad); Yang's formula against the low-temperature
expansion 1 - 2u^2 - 8u^3 - 34u^4 - 152u^5, u = exp(-4 beta) (its first terms by counting the
flipped-spin clusters); Kaufman's finite-torus partition function against brute-force enumeration at
L = 2, 3, 4; the sampler against enumeration at L = 4 and against Kaufman and Yang at larger L, within
error bars from block means of the stored samples.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.integrate import dblquad

import wirg
from wirg.fields import ising
from wirg.ising_exact import (
    BETA_C,
    T_C,
    ising_enumeration,
    kaufman_energy,
    kaufman_log_partition,
    onsager_energy,
    yang_magnetization,
)
from wirg.lattice_ising import _tau, ising_energy
from wirg.lattice_phi4 import default_thin
from wirg.statistics import AutocorrelationWarning

Z_MAX = 4.0  # |z| bound of a Monte Carlo check; 4 sigma keeps a family of ~30 checks at p ~ 2e-3 overall


def _mean_and_error(x: np.ndarray, n_blocks: int = 20) -> tuple[float, float]:
    """Mean and standard error from block means (blocks absorb any correlation left after thinning)."""
    blocks = np.array_split(np.asarray(x, dtype=float), n_blocks)
    means = np.array([b.mean() for b in blocks])
    return float(x.mean()), float(means.std(ddof=1) / math.sqrt(n_blocks))


def test_critical_point_is_self_dual() -> None:
    assert math.sinh(2 * BETA_C) == pytest.approx(1.0, rel=1e-15)
    assert pytest.approx(2 / math.log(1 + math.sqrt(2)), rel=1e-15) == T_C


@pytest.mark.parametrize("beta", [0.005, 0.2, 0.35, 0.43, 0.45, 0.6, 1.0])
def test_onsager_energy_against_the_integral_of_his_free_energy(beta: float) -> None:
    # -beta f = ln 2 + (1/8 pi^2) int int ln[cosh^2 2b - sinh 2b (cos t1 + cos t2)] over [0, 2 pi]^2,
    # so u = -(1/2 pi^2) int_0^pi int_0^pi d/db ln[...]
    c, s = math.cosh(2 * beta), math.sinh(2 * beta)

    def integrand(t1: float, t2: float) -> float:
        q = math.cos(t1) + math.cos(t2)
        return (4 * c * s - 2 * c * q) / (c * c - s * q)

    integral, error = dblquad(integrand, 0, math.pi, 0, math.pi, epsabs=1e-11, epsrel=1e-11)
    assert float(onsager_energy(beta)) == pytest.approx(-integral / (2 * math.pi**2), abs=1e-8)


def test_onsager_energy_is_minus_root_two_at_the_critical_point_and_continuous() -> None:
    assert float(onsager_energy(BETA_C)) == pytest.approx(-math.sqrt(2), abs=1e-13)
    near = onsager_energy(BETA_C * (1 + np.array([-1e-9, 1e-9])))
    np.testing.assert_allclose(near, -math.sqrt(2), atol=1e-6)
    assert onsager_energy([0.1, 0.2]).shape == (2,)
    # the high-temperature series (beta < 0.01) joins the elliptic form
    assert float(onsager_energy(0.01 * (1 - 1e-12))) == pytest.approx(float(onsager_energy(0.01)), rel=1e-10)
    assert float(onsager_energy(1e-300)) == pytest.approx(-2e-300, rel=1e-12)
    assert float(onsager_energy(300.0)) == -2.0


@pytest.mark.parametrize("beta", [0.8, 1.0, 1.5, 2.5])
def test_yang_magnetization_against_the_low_temperature_series(beta: float) -> None:
    u = math.exp(-4 * beta)
    series = 1 - 2 * u**2 - 8 * u**3 - 34 * u**4 - 152 * u**5
    # the next term is -714 u^6 and the coefficients grow by about 5 per order: remainder < 1500 u^6 here
    assert float(yang_magnetization(beta)) == pytest.approx(series, abs=1500 * u**6)


def test_yang_magnetization_vanishes_in_the_disordered_phase_and_at_the_critical_point() -> None:
    np.testing.assert_array_equal(yang_magnetization([0.1, 0.3, BETA_C]), 0.0)
    assert 0 < float(yang_magnetization(BETA_C * 1.001)) < 0.6


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("beta", [0.1, 0.3, BETA_C, 0.6, 1.2])
def test_kaufman_partition_function_equals_enumeration(L: int, beta: float) -> None:
    exact = ising_enumeration(L, beta)
    assert kaufman_log_partition(L, beta) == pytest.approx(exact.log_partition, rel=1e-13)
    assert kaufman_energy(L, beta) == pytest.approx(exact.energy, rel=1e-10, abs=1e-12)


def test_enumeration_limits_and_identities() -> None:
    hot = ising_enumeration(4, 1e-9)  # infinite temperature: independent spins
    assert hot.log_partition == pytest.approx(16 * math.log(2))
    assert hot.m2 == pytest.approx(1 / 16)
    assert hot.m4 == pytest.approx((3 * 16**2 - 2 * 16) / 16**4)  # <M^4> = 3N^2 - 2N for N free spins
    cold = ising_enumeration(4, 5.0)
    assert cold.energy == pytest.approx(-2.0, abs=1e-10)
    assert cold.abs_m == pytest.approx(1.0, abs=1e-10)
    assert cold.binder == pytest.approx(2 / 3, abs=1e-10)
    # the energy is -d ln Z / d beta: central difference of the enumerated ln Z
    h = 1e-5
    derivative = (ising_enumeration(4, 0.4 + h).log_partition - ising_enumeration(4, 0.4 - h).log_partition) / (2 * h)
    assert ising_enumeration(4, 0.4).energy == pytest.approx(-derivative / 16, rel=1e-8)


def test_kaufman_energy_approaches_onsager_with_the_known_critical_correction() -> None:
    assert kaufman_energy(64, 0.3) == pytest.approx(float(onsager_energy(0.3)), abs=1e-12)
    assert kaufman_energy(64, 0.6) == pytest.approx(float(onsager_energy(0.6)), abs=1e-12)
    # at beta_c the finite-size correction is O(1/L): halving when L doubles
    d32, d64 = (kaufman_energy(L, BETA_C) + math.sqrt(2) for L in (32, 64))
    assert d32 / d64 == pytest.approx(2.0, rel=0.01)


@pytest.mark.parametrize("cluster", [True, False])
@pytest.mark.parametrize("beta", [0.3, BETA_C, 0.6])
def test_sampler_against_enumeration_at_L4(beta: float, cluster: bool) -> None:
    samples = ising(4, beta, 20_000, seed=11, cluster=cluster)
    exact = ising_enumeration(4, beta)
    m = samples.magnetizations
    for value, (mean, error) in [
        (exact.energy, _mean_and_error(samples.energies / 16)),
        (exact.abs_m, _mean_and_error(np.abs(m))),
        (exact.m2, _mean_and_error(m**2)),
        (exact.m4, _mean_and_error(m**4)),
    ]:
        assert abs(mean - value) <= Z_MAX * error, (mean, value, error)


def test_sampler_energy_against_kaufman_and_magnetization_against_yang() -> None:
    critical = ising(16, BETA_C, 4000, seed=5)
    mean, error = _mean_and_error(critical.energies / 256)
    assert abs(mean - kaufman_energy(16, BETA_C)) <= Z_MAX * error
    # below T_c at L = 32 the finite-size correction to <|m|> is ~exp(-L/xi), xi ~ 2: far below the error
    ordered = ising(32, 0.5, 2000, seed=6)
    mean, error = _mean_and_error(np.abs(ordered.magnetizations))
    assert abs(mean - float(yang_magnetization(0.5))) <= Z_MAX * error


def test_samples_are_consistent_and_reproducible() -> None:
    first = ising(8, 0.4, 50, seed=3)
    again = ising(8, 0.4, 50, seed=3)
    other = ising(8, 0.4, 50, seed=4)
    assert first.fields.dtype == np.int8 and first.fields.shape == (50, 8, 8)
    assert set(np.unique(first.fields)) <= {-1, 1}
    np.testing.assert_array_equal(first.fields, again.fields)
    np.testing.assert_array_equal(first.energy_series, again.energy_series)
    assert not np.array_equal(first.fields, other.fields)
    np.testing.assert_array_equal(first.energies, ising_energy(first.fields))
    np.testing.assert_array_equal(first.magnetizations, first.fields.mean(axis=(1, 2)))
    assert first.energy_series.size == first.thermalization - first.thermalization // 2 + 50 * first.thin
    pilot = slice(0, first.thermalization - first.thermalization // 2)
    taus = _tau(np.abs(first.magnetization_series[pilot])), _tau(first.energy_series[pilot])
    assert first.thin == default_thin(*taus)  # the pilot's tau of |m| and E, THIN_PER_TAU apart
    assert first.converged and first.iterations == first.thermalization + 50 * first.thin
    assert math.isnan(first.residual) and "steps" in first.message
    assert first.clusters_per_step >= 1 and first.mean_cluster_size >= 1
    assert not first.fields.flags.writeable
    assert wirg.ising is ising and wirg.fields.ising is ising


def test_explicit_thinning_and_progress() -> None:
    calls: list[tuple[int, int]] = []
    samples = ising(6, 0.3, 10, seed=0, thermalization=100, thin=3, progress=lambda d, t: calls.append((d, t)))
    assert samples.thin == 3 and samples.iterations == 130
    assert calls[-1] == (130, 130)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_short_local_chain_at_the_critical_point_warns_and_is_not_converged() -> None:
    with pytest.warns(AutocorrelationWarning):
        samples = ising(32, BETA_C, 20, seed=1, thermalization=100, thin=1, cluster=False)
    assert not samples.converged and "50 tau" in samples.message


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"L": 1}, ValueError, "L"),
        ({"L": 4.5}, TypeError, "L"),
        ({"beta": 0.0}, ValueError, "beta"),
        ({"beta": -1.0}, ValueError, "beta"),
        ({"beta": math.nan}, ValueError, "beta"),
        ({"n_samples": 0}, ValueError, "n_samples"),
        ({"seed": -1}, ValueError, "seed"),
        ({"thermalization": 10}, ValueError, "thermalization"),
        ({"progress": 3}, TypeError, "progress"),
    ],
)
def test_bad_input(kwargs: dict, error: type[Exception], name: str) -> None:
    arguments = {"L": 4, "beta": 0.4, "n_samples": 2, "seed": 0} | kwargs
    with pytest.raises(error, match=name):
        ising(**arguments)


def test_exact_functions_refuse_bad_input() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for func in (onsager_energy, yang_magnetization):
            with pytest.raises(ValueError, match="beta"):
                func(-0.1)
            with pytest.raises(ValueError, match="beta"):
                func(math.nan)
    with pytest.raises(ValueError, match="L"):
        ising_enumeration(5, 0.4)
    with pytest.raises(ValueError, match="beta"):
        kaufman_energy(4, 0.0)
    with pytest.raises(ValueError, match="L"):
        kaufman_log_partition(10**6, 0.4)


def test_ising_datasets_round_trip_with_their_sidecar(tmp_path) -> None:
    samples = ising(6, 0.4, 8, seed=2)
    path = wirg.save_dataset(tmp_path / "spins", samples, note="test")
    loaded = wirg.load_dataset(path)
    np.testing.assert_array_equal(loaded.fields, samples.fields)
    assert loaded.fields.dtype == np.int8
    parameters = loaded.metadata["parameters"]
    assert parameters["kind"] == "ising" and parameters["beta"] == 0.4 and parameters["note"] == "test"
    assert parameters["tau_abs_m"]["tau"] == samples.tau_abs_m.tau
    with pytest.raises(ValueError, match="beta"):
        wirg.save_dataset(tmp_path / "other", samples, beta=0.5)
    cached = wirg.dataset("ising", L=6, n_samples=8, seed=2, beta=0.4, cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(cached.fields, samples.fields)
    assert cached.metadata["parameters"]["request"]["kind"] == "ising"
