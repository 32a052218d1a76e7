"""K = 3 Bayes-optimal committee machine (statlearn.replica.committee): the majority-vote channel against Monte
Carlo, scipy's orthant probabilities and an independent one-dimensional reduction; the outer rule against a
higher-order one; the replica formula's derivatives; the non-specialised branch against an independent scalar
computation; limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special
from scipy.stats import multivariate_normal

from statlearn.models.priors import RademacherPrior
from statlearn.numerics.gaussian import hermite_rule
from statlearn.replica import committee

E = np.ones(3) / np.sqrt(3.0)
# orthonormal basis of the plane orthogonal to 1 in which the projections of e_1, e_2, e_3 lie at 0, 120, 240 deg
P1 = np.array([2.0, -1.0, -1.0]) / np.sqrt(6.0)
P2 = np.array([0.0, 1.0, -1.0]) / np.sqrt(2.0)

POINTS = [  # (omega_par, omega_perp in the plane, V_par, V_perp): both signs of V_par - V_perp
    (0.4, (0.3, -0.2), 0.2, 0.9),
    (-0.7, (1.1, 0.4), 0.8, 0.1),
    (1.5, (0.0, 0.0), 0.05, 0.6),
    (0.2, (0.5, 0.5), 0.5, 0.5),
    (-0.3, (-0.8, 0.6), 0.9, 0.35),
]


def _model(w_par: float, w_perp: tuple[float, float], v_par: float, v_perp: float):
    omega = w_par * E + w_perp[0] * P1 + w_perp[1] * P2
    V = v_perp * np.eye(3) + (v_par - v_perp) * np.outer(E, E)
    return omega, V


def _labels(w_par: float, w_perp: tuple[float, float], v_par: float, v_perp: float):
    mu = np.array([P1, P2]).T @ np.array(w_perp)  # mu_i = f_i . omega_perp = e_i . omega_perp
    return committee._label_probabilities_k3(np.array(w_par), mu, v_par, v_perp)


@pytest.mark.parametrize("point", POINTS)
def test_majority_probability_against_monte_carlo(point) -> None:
    """Z_+ against sampling sign(sum_i sign z_i), z ~ N(omega, V), 10^6 samples, within 5 sigma."""
    omega, V = _model(*point)
    n = 1_000_000
    z = np.random.default_rng(11).standard_normal((n, 3)) @ np.linalg.cholesky(V).T + omega
    freq = np.mean(np.sign(z).sum(axis=1) > 0)
    plus, minus, _, _ = _labels(*point)
    assert float(plus) + float(minus) == pytest.approx(1.0, abs=1e-12)
    sigma = math.sqrt(float(plus) * (1.0 - float(plus)) / n)
    assert abs(freq - float(plus)) < 5.0 * sigma


@pytest.mark.parametrize("point", POINTS[:2])  # V_par < V_perp and V_par > V_perp
def test_majority_probability_against_orthant_probabilities(point) -> None:
    """Z_+ = sum over pairs P(z_i > 0, z_j > 0) - 2 P(z > 0) with scipy's (Genz) multivariate normal cdf (for
    well-conditioned V: at V_par = 0.05 Genz's result is off by 8e-9; that point is checked by quadrature below;
    two points, as Genz's trivariate cdf to 1e-11 takes seconds)."""
    omega, V = _model(*point)

    def orthant(idx: list[int]) -> float:
        sub = V[np.ix_(idx, idx)]
        dist = multivariate_normal(mean=np.zeros(len(idx)), cov=sub, allow_singular=True)
        if len(idx) == 3:
            dist = multivariate_normal(mean=np.zeros(3), cov=sub, abseps=1e-11, releps=1e-11, maxpts=10**7)
        return float(dist.cdf(omega[idx]))  # P(z > 0) = P(omega - z < omega)

    exact = orthant([0, 1]) + orthant([0, 2]) + orthant([1, 2]) - 2.0 * orthant([0, 1, 2])
    assert float(_labels(*point)[0]) == pytest.approx(exact, abs=3e-9)  # Genz QMC error ~1e-9


def test_majority_probability_near_degenerate_by_quadrature() -> None:
    """V_par = 0.05, omega_perp = 0: Z_+ = int N(s; omega, V_par) g(s / sqrt V_perp) ds by adaptive quadrature."""
    w, v_par, v_perp = 1.5, 0.05, 0.6

    def f(s: float) -> float:
        density = math.exp(-0.5 * (s - w) ** 2 / v_par) / math.sqrt(2 * math.pi * v_par)
        return density * _majority_given_sum(s / math.sqrt(v_perp))

    spread = 12 * math.sqrt(v_par)
    exact = integrate.quad(f, w - spread, 0.0, epsabs=1e-14)[0] + integrate.quad(f, 0.0, w + spread, epsabs=1e-14)[0]
    assert float(_labels(w, (0.0, 0.0), v_par, v_perp)[0]) == pytest.approx(exact, abs=1e-12)


@pytest.mark.parametrize("point", [p for p in POINTS if p[2] > p[3]])
def test_majority_probability_by_the_common_factor(point) -> None:
    """For V = a I + b 1 1^T with b > 0, z_i = omega_i + sqrt(a) eps_i + sqrt(b) t: conditioned on t the units are
    independent, and P(majority +) = E_t[p1 p2 + p1 p3 + p2 p3 - 2 p1 p2 p3] (a second, independent reduction)."""
    omega, V = _model(*point)
    a, b = point[3], (point[2] - point[3]) / 3.0
    t, w = hermite_rule(200)
    p = special.ndtr((omega[None, :] + math.sqrt(b) * t[:, None]) / math.sqrt(a))
    vote = p[:, 0] * p[:, 1] + p[:, 0] * p[:, 2] + p[:, 1] * p[:, 2] - 2.0 * p.prod(axis=1)
    assert float(_labels(*point)[0]) == pytest.approx(float(w @ vote), abs=1e-11)


@pytest.mark.parametrize("point", POINTS[:3])
def test_majority_gradients_are_derivatives(point) -> None:
    w_par, w_perp, v_par, v_perp = point
    _, _, d_par, d_mu = _labels(*point)
    h = 1e-5
    up = _labels(w_par + h, w_perp, v_par, v_perp)[0]
    down = _labels(w_par - h, w_perp, v_par, v_perp)[0]
    assert float(d_par) == pytest.approx(float((up - down) / (2 * h)), abs=1e-8)
    mu = np.array([P1, P2]).T @ np.array(w_perp)
    for i in range(3):
        step = np.zeros(3)
        step[i] = h
        up = committee._label_probabilities_k3(np.array(w_par), mu + step, v_par, v_perp)[0]
        down = committee._label_probabilities_k3(np.array(w_par), mu - step, v_par, v_perp)[0]
        assert float(d_mu[i]) == pytest.approx(float((up - down) / (2 * h)), abs=1e-8)


@settings(max_examples=20, deadline=None)
@given(
    st.floats(-3, 3),
    st.floats(-2, 2),
    st.floats(-2, 2),
    st.floats(0.02, 1.0),
    st.floats(0.02, 1.0),
    st.permutations([0, 1, 2]),
)
def test_majority_probability_symmetries(w_par, a, b, v_par, v_perp, perm) -> None:
    """A distribution over +-1; Z_+(-omega) = Z_-(omega); invariant under permutations of the units."""
    mu = np.array([P1, P2]).T @ np.array([a, b])
    plus, minus, _, _ = committee._label_probabilities_k3(np.array(w_par), mu, v_par, v_perp)
    mirror = committee._label_probabilities_k3(np.array(-w_par), -mu, v_par, v_perp)
    permuted = committee._label_probabilities_k3(np.array(w_par), mu[list(perm)], v_par, v_perp)
    assert -1e-14 <= float(plus) <= 1.0 + 1e-14
    assert float(plus + minus) == pytest.approx(1.0, abs=1e-12)
    assert float(mirror[1]) == pytest.approx(float(plus), abs=1e-12)
    assert float(permuted[0]) == pytest.approx(float(plus), abs=1e-12)


def test_outer_rule_against_a_higher_order_rule(monkeypatch) -> None:
    """Channel averages with the production rule against 1.5-2x the nodes on every outer axis."""
    q_par, q_perp = 0.6, 0.3
    base = committee._channel(3, q_par, q_perp, errors=False)
    monkeypatch.setattr(committee, "_OUTER_ORDER", 96)
    monkeypatch.setattr(committee, "_RADIAL_ORDER", 28)
    monkeypatch.setattr(committee, "_ANGULAR_STEPS", 12)
    fine = committee._channel(3, q_par, q_perp, errors=False)
    for name in ("free_entropy", "conjugate_parallel", "conjugate_perp"):
        assert getattr(base, name) == pytest.approx(getattr(fine, name), abs=2e-6), name


def test_conjugate_is_twice_the_gradient_of_psi_out() -> None:
    """r_hat/alpha = 2 dPsi_out/dq; on the ansatz Tr(r dq) = r_par dq_par + (K - 1) r_perp dq_perp."""
    q_par, q_perp, h = 0.55, 0.25, 1e-4
    ch = committee._channel(3, q_par, q_perp, errors=False)

    def psi(a: float, b: float) -> float:
        return committee._channel(3, a, b, errors=False).free_entropy

    d_par = (psi(q_par + h, q_perp) - psi(q_par - h, q_perp)) / (2 * h)
    d_perp = (psi(q_par, q_perp + h) - psi(q_par, q_perp - h)) / (2 * h)
    assert ch.conjugate_parallel == pytest.approx(2 * d_par, rel=1e-5)
    assert ch.conjugate_perp == pytest.approx(2 * d_perp / 2, rel=1e-5)


def test_rademacher_prior_k3() -> None:
    """q = 2 dpsi/dr (perp: 2/(K-1)), and at r_par = r_perp three independent scalar Rademacher channels."""
    r_par, r_perp, h = 1.3, 0.6, 1e-5
    p = committee.committee_prior(3, "rademacher", r_par, r_perp)

    def psi(a: float, b: float) -> float:
        return committee.committee_prior(3, "rademacher", a, b).free_entropy

    assert p.overlap_parallel == pytest.approx(
        2 * (psi(r_par + h, r_perp) - psi(r_par - h, r_perp)) / (2 * h), rel=1e-6
    )
    assert p.overlap_perp == pytest.approx((psi(r_par, r_perp + h) - psi(r_par, r_perp - h)) / (2 * h), rel=1e-6)
    scalar = RademacherPrior()
    flat = committee.committee_prior(3, "rademacher", 0.8, 0.8)
    assert flat.overlap_parallel == pytest.approx(float(scalar.overlap(0.8)), abs=1e-8)
    assert flat.overlap_perp == pytest.approx(float(scalar.overlap(0.8)), abs=1e-8)
    assert flat.free_entropy == pytest.approx(3 * float(scalar.free_entropy(0.8)), abs=1e-8)


@pytest.mark.parametrize("prior", ["gaussian", "rademacher"])
def test_free_entropy_derivative_in_alpha_is_psi_out(prior: str) -> None:
    """Envelope theorem on the non-specialised branch: df/dalpha = Psi_out(q*) (stationarity = fixed point)."""
    alpha, h = 1.1, 1e-4
    state = committee.bayes_optimal(3, alpha, prior=prior, tol=1e-13)
    up = committee.bayes_optimal(3, alpha + h, prior=prior, tol=1e-13).free_entropy
    down = committee.bayes_optimal(3, alpha - h, prior=prior, tol=1e-13).free_entropy
    psi = committee.committee_channel(3, state.q_parallel, state.q_perp).free_entropy
    assert (up - down) / (2 * h) == pytest.approx(psi, abs=1e-7)


def _majority_given_sum(s: float) -> float:
    """P(y = +1 | z.e = s) with unit variance in the plane, in the plane coordinates (p1, p2) ~ N(0, I):
    z_1 > 0 iff p1 > -s/sqrt2; given p1, z_2 > 0 iff p2 > L and z_3 > 0 iff p2 < -L, L = (p1 - sqrt2 s)/sqrt3."""

    def integrand(p1: float) -> float:
        both = max(0.0, 1.0 - 2.0 * special.ndtr((p1 - math.sqrt(2.0) * s) / math.sqrt(3.0)))  # z_2, z_3 > 0
        neither = max(0.0, 2.0 * special.ndtr((p1 - math.sqrt(2.0) * s) / math.sqrt(3.0)) - 1.0)
        vote = 1.0 - neither if p1 > -s / math.sqrt(2.0) else both
        return vote * math.exp(-0.5 * p1 * p1) / math.sqrt(2.0 * math.pi)

    kinks = sorted([-s / math.sqrt(2.0), math.sqrt(2.0) * s])
    edges = [-12.0, kinks[0], kinks[1], 12.0]
    return sum(integrate.quad(integrand, lo, hi, epsabs=1e-13, epsrel=1e-12)[0] for lo, hi in zip(edges, edges[1:]))


def test_non_specialised_branch_is_a_scalar_glm() -> None:
    """At q_perp = 0 the student learns only z.e: a scalar Bayes-optimal GLM with the channel
    P(+1 | s) = g(s) (computed in other coordinates, by adaptive quadrature) and the Gaussian prior,
    q = r/(1 + r), r = alpha E_xi sum_y (d_omega Z_y)^2 / Z_y, Z_+(omega, V) = int N(s; omega, V) g(s) ds."""
    nodes = np.linspace(0.0, 9.0, 361)
    g_pos = np.array([_majority_given_sum(s) for s in nodes])
    from scipy.interpolate import CubicSpline

    spline = CubicSpline(nodes, g_pos)  # g(-s) = 1 - g(s); smooth on each side of the kink at s = 0

    def g(s: np.ndarray) -> np.ndarray:
        return np.where(s >= 0, spline(np.minimum(np.abs(s), 9.0)), 1.0 - spline(np.minimum(np.abs(s), 9.0)))

    x, wl = np.polynomial.legendre.leggauss(80)

    def conjugate(q: float) -> tuple[float, float]:
        xi, wx = hermite_rule(60)
        omega, v = math.sqrt(q) * xi, 1.0 - q
        total_c, total_psi = 0.0, 0.0
        for o, wo in zip(omega, wx):
            plus = dplus = 0.0
            for lo, hi in [(o - 12 * math.sqrt(v), 0.0), (0.0, o + 12 * math.sqrt(v))]:
                if hi <= lo:
                    continue
                s = 0.5 * (hi - lo) * (x + 1.0) + lo
                dens = np.exp(-0.5 * (s - o) ** 2 / v) / math.sqrt(2 * math.pi * v) * 0.5 * (hi - lo) * wl
                plus += float(np.sum(dens * g(s)))
                dplus += float(np.sum(dens * (s - o) / v * g(s)))
            if min(plus, 1.0 - plus) < 1e-12:  # far nodes: weight x bounded term, below the tolerance
                continue
            total_c += wo * dplus * dplus * (1.0 / plus + 1.0 / (1.0 - plus))
            total_psi += wo * (special.xlogy(plus, plus) + special.xlogy(1.0 - plus, 1.0 - plus))
        return total_c, total_psi

    c, psi = conjugate(0.4)
    ch = committee.committee_channel(3, 0.4, 0.0)
    assert ch.conjugate_parallel == pytest.approx(c, abs=2e-7)
    assert ch.free_entropy == pytest.approx(psi, abs=2e-8)
    alpha = 2.0
    q_star = optimize.brentq(
        lambda q: q - alpha * conjugate(q)[0] / (1 + alpha * conjugate(q)[0]), 0.05, 0.95, xtol=1e-10
    )
    state = committee.bayes_optimal(3, alpha)
    assert state.branch == "non-specialised"
    assert state.q_parallel == pytest.approx(q_star, abs=1e-6)


def test_limits_small_alpha() -> None:
    s = committee.bayes_optimal(3, 1e-10)
    assert np.all(np.abs(s.overlap) < 1e-9)
    assert s.generalization_error == pytest.approx(0.5, abs=1e-4)
    zero = committee.bayes_optimal(3, 0.0)
    assert zero.squared_error == pytest.approx(0.5, abs=1e-12)  # (E y^2 - 0) / 2 with y = +-1
    assert committee.committee_channel(3, 0.0, 0.0).free_entropy == pytest.approx(-math.log(2.0), abs=1e-12)


def test_limits_large_alpha() -> None:
    """Rademacher: the state evolution from the specialised start runs into perfect recovery, f = -3 ln 2;
    Gaussian: the error falls with alpha on the non-specialised branch."""
    s = committee.bayes_optimal(3, 2.0, prior="rademacher", init="specialised")
    assert s.branch == "perfect" and s.generalization_error == 0.0
    assert s.free_entropy == pytest.approx(-3 * math.log(2.0))
    errors = [committee.bayes_optimal(3, a).generalization_error for a in (2.0, 4.0, 8.0)]
    assert 0.5 > errors[0] > errors[1] > errors[2] > 0.0
