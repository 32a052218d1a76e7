"""SK replica theory: exact limits, independent quadrature and root finding, identities, RSB ordering."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from scipy import integrate, optimize

from statlearn.replica import sk

E0_FULL_RSB = -0.763166  # Crisanti & Rizzo, Phys. Rev. E 65, 046137 (2002)
E0_1RSB_PUBLISHED = -0.7652  # Parisi, Phys. Lett. A 73, 203 (1979); Mezard, Parisi & Virasoro (1987)


def test_paramagnet_is_exact() -> None:
    for T in (1.0, 1.5, 3.0):
        r = sk.replica_symmetric(T)
        assert r.q == 0.0 and r.converged
        assert r.free_energy == pytest.approx(-T * math.log(2) - 1 / (4 * T), abs=1e-13)
        assert r.energy == pytest.approx(-1 / (2 * T), abs=1e-13)
        assert r.entropy == pytest.approx(math.log(2) - 1 / (4 * T**2), abs=1e-13)


def test_rs_zero_temperature_limits() -> None:
    low, lower = sk.replica_symmetric(0.004), sk.replica_symmetric(0.002)
    assert lower.energy == pytest.approx(-math.sqrt(2 / math.pi), abs=3e-6)
    # s(T) = s0 + s1 T + ...: Richardson from T and T/2 removes the linear term.
    s0 = 2 * lower.entropy - low.entropy
    assert s0 == pytest.approx(-1 / (2 * math.pi), abs=2e-5)
    assert lower.entropy < 0


def _mp_average(f, beta: float, q: float, h: float) -> float:
    mpmath.mp.dps = 30
    root = mpmath.sqrt(q)
    kink = -h / root
    g = lambda z: f(beta * (root * z + h)) * mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
    return float(mpmath.quad(g, [-mpmath.inf, kink - 1, kink, kink + 1, mpmath.inf]))


@pytest.mark.parametrize(("T", "h"), [(0.5, 0.0), (0.1, 0.5), (0.05, 0.0)])
def test_rs_against_mpmath(T: float, h: float) -> None:
    r = sk.replica_symmetric(T, h)
    beta = 1 / T
    assert _mp_average(lambda x: mpmath.tanh(x) ** 2, beta, r.q, h) == pytest.approx(r.q, abs=1e-11)
    log_z = 0.25 * beta**2 * (1 - r.q) ** 2 + _mp_average(lambda x: mpmath.log(2 * mpmath.cosh(x)), beta, r.q, h)
    assert r.free_energy == pytest.approx(-T * log_z, abs=1e-11)
    assert r.stability == pytest.approx(beta**2 * _mp_average(lambda x: mpmath.sech(x) ** 4, beta, r.q, h), rel=1e-10)


def test_rs_thermodynamic_identities() -> None:
    T, h, d = 0.4, 0.3, 1e-4
    r = sk.replica_symmetric(T, h)
    bf = lambda t: sk.replica_symmetric(t, h).free_energy / t  # noqa: E731
    beta_derivative = (bf(1 / (1 / T + d)) - bf(1 / (1 / T - d))) / (2 * d)
    assert r.energy == pytest.approx(beta_derivative, abs=1e-8)
    entropy = -(sk.replica_symmetric(T + d, h).free_energy - sk.replica_symmetric(T - d, h).free_energy) / (2 * d)
    assert r.entropy == pytest.approx(entropy, abs=1e-7)
    magnetization = -(sk.replica_symmetric(T, h + d).free_energy - sk.replica_symmetric(T, h - d).free_energy) / (2 * d)
    assert r.magnetization == pytest.approx(magnetization, abs=1e-7)


def _at_independent(h: float) -> float:
    """T_AT by scipy brentq on adaptive scipy quad (no code shared with statlearn)."""

    def avg(f, beta, q):
        c = min(max(-h / math.sqrt(q), -39.0), 39.0)
        g = lambda z: f(beta * (math.sqrt(q) * z + h)) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
        return sum(integrate.quad(g, a, b, epsabs=1e-14, epsrel=1e-13, limit=200)[0] for a, b in [(-40, c), (c, 40)])

    def q_of(beta):
        return optimize.brentq(lambda q: avg(lambda x: math.tanh(x) ** 2, beta, q) - q, 1e-9, 1.0, xtol=1e-15)

    def gap(T):
        beta = 1 / T
        return (
            beta**2 * avg(lambda x: 16 * math.exp(-4 * abs(x)) / (1 + math.exp(-2 * abs(x))) ** 4, beta, q_of(beta)) - 1
        )

    return optimize.brentq(gap, 0.05, 0.999, xtol=1e-12)


@pytest.mark.parametrize("h", [0.3, 1.0])
def test_at_line_against_independent_root_finding(h: float) -> None:
    assert sk.at_line(h) == pytest.approx(_at_independent(h), abs=1e-8)


def test_at_line_small_field_law_and_stability() -> None:
    h = np.array([1e-3, 3e-3])
    T = sk.at_line(h)
    ratio = (4 / 3) * (1 - T) ** 3 / h**2
    assert np.all(np.abs(ratio - 1) < 0.05)
    assert abs(ratio[0] - 1) < abs(ratio[1] - 1)  # the law is approached as h -> 0
    assert sk.at_line(0.0) == 1.0
    assert sk.at_line(-0.3) == sk.at_line(0.3)
    assert sk.replica_symmetric(float(sk.at_line(0.5)), 0.5).stability == pytest.approx(1.0, abs=1e-9)


def test_one_step_ground_state() -> None:
    g = sk.ground_state_energy(steps=1)
    assert g.converged
    assert g.energy == pytest.approx(E0_1RSB_PUBLISHED, abs=1e-4)
    # Independent evaluation of the 1RSB T = 0 functional at the returned (q0, mu) by adaptive quadrature.
    q0, mu = float(g.q[0]), float(g.m[0])
    sigma = math.sqrt(1 - q0)

    def phi0(y):
        inner = lambda z: math.exp(mu * (abs(y + sigma * z) - abs(y)) - z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
        return abs(y) + math.log(integrate.quad(inner, -np.inf, np.inf, points=None, epsabs=1e-14)[0]) / mu

    outer = integrate.quad(
        lambda z: phi0(math.sqrt(q0) * z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi), -12, 12, epsabs=1e-12
    )[0]
    assert mu / 4 * (1 - q0**2) - outer == pytest.approx(g.energy, abs=1e-8)


def test_k_rsb_ground_states_rise_towards_full_rsb() -> None:
    rs = -math.sqrt(2 / math.pi)
    e1 = sk.ground_state_energy(steps=1).energy
    e2 = sk.ground_state_energy(steps=2).energy
    assert rs < e1 < e2 < E0_FULL_RSB


def test_three_step_ground_state() -> None:
    e2 = sk.ground_state_energy(steps=2).energy
    g3 = sk.ground_state_energy(steps=3)
    assert g3.converged and e2 < g3.energy < E0_FULL_RSB
    assert np.all(np.diff(g3.q) > 0) and np.all(np.diff(g3.m) > 0)


def test_rsb_reduces_to_rs_above_the_at_line() -> None:
    for T, h in [(1.5, 0.0), (0.9, 0.5)]:
        assert T > sk.at_line(h)
        r = sk.rsb(T, h, steps=1)
        assert r.free_energy == pytest.approx(sk.replica_symmetric(T, h).free_energy, abs=1e-9)


def test_rsb_below_the_at_line() -> None:
    T = 0.5
    rs = sk.replica_symmetric(T)
    r1 = sk.rsb(T, steps=1)
    assert r1.converged
    assert r1.free_energy > rs.free_energy + 1e-3  # Guerra: RS is one admissible choice, RSB does better
    assert r1.q[0] < rs.q < r1.q[1] and 0 < r1.m[0] < 1
    # energy = d(beta f)/d beta at re-optimised parameters
    d = 1e-3
    bf = lambda t: sk.rsb(t, steps=1).free_energy / t  # noqa: E731
    assert r1.energy == pytest.approx((bf(1 / (2 + d)) - bf(1 / (2 - d))) / (2 * d), abs=1e-6)
    # the T -> 0 scaling: beta m_1 at low T approaches the ground-state mu
    low = sk.rsb(0.02, steps=1)
    assert low.m[0] / 0.02 == pytest.approx(sk.ground_state_energy(steps=1).m[0], rel=0.05)


def test_two_step_finite_temperature() -> None:
    r1, r2 = sk.rsb(0.5, steps=1), sk.rsb(0.5, steps=2)
    assert r2.converged and r1.free_energy < r2.free_energy < r1.free_energy + 1e-4


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: sk.replica_symmetric(0.0), "T"),
        (lambda: sk.replica_symmetric(-1.0), "T"),
        (lambda: sk.replica_symmetric(float("nan")), "T"),
        (lambda: sk.replica_symmetric(1.0, h=float("inf")), "h"),
        (lambda: sk.replica_symmetric("a"), "T"),  # type: ignore[arg-type]
        (lambda: sk.at_line(10.0), "h"),
        (lambda: sk.at_line([0.1, float("nan")]), "h"),
        (lambda: sk.rsb(0.5, steps=0), "steps"),
        (lambda: sk.rsb(0.5, steps=4), "steps"),
        (lambda: sk.rsb(0.5, steps=1.5), "steps"),  # type: ignore[arg-type]
        (lambda: sk.rsb(1e-5), "T"),
        (lambda: sk.ground_state_energy(steps=True), "steps"),  # type: ignore[arg-type]
    ],
)
def test_bad_input(call, name: str) -> None:
    with pytest.raises((ValueError, TypeError), match=name):
        call()


@pytest.mark.parametrize(
    ("grid", "h", "beta", "gamma"),
    [
        (1.0 - (1.0 - np.arange(7) / 6) ** 2, 0.0, math.inf, [0.4, 0.7, 1.0, 1.5, 2.5, 5.0]),  # T = 0
        (0.7 * np.arange(7) / 6, 0.0, 2.0, [0.1, 0.3, 0.6, 0.9, 1.4, 1.8]),  # T = 0.5 (parisi)
        (0.7 * np.arange(7) / 6, 0.4, 2.0, [0.1, 0.3, 0.6, 0.9, 1.4, 1.8]),
    ],
)
def test_full_rsb_gradient_is_exact(grid: np.ndarray, h: float, beta: float, gamma: list[float]) -> None:
    functional = sk._ParisiFunctional(grid, h, beta)
    point = np.array(gamma)
    _, gradient = functional.value_and_gradient(point)
    step = 1e-6
    for j in range(point.size):
        bump = step * np.eye(point.size)[j]
        up, _ = functional.value_and_gradient(point + bump)
        down, _ = functional.value_and_gradient(point - bump)
        assert gradient[j] == pytest.approx((up - down) / (2 * step), abs=1e-8)


def test_full_rsb_ground_state() -> None:
    g = sk.ground_state_energy()
    assert g.converged
    assert g.energy == pytest.approx(E0_FULL_RSB, abs=1e-5)
    assert sk.ground_state_energy(steps=2).energy < g.energy
    assert np.all(np.diff(g.m) >= 0) and np.all(np.diff(g.q) > 0)
