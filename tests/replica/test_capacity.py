"""Perceptron capacity: published values, independent mpmath evaluations, identities, limits."""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statlearn.numerics import ConvergenceWarning
from statlearn.replica.capacity import (
    ReplicaSymmetryWarning,
    binary_annealed_capacity,
    binary_capacity,
    binary_entropy,
    binary_overlap,
    binary_rs_divergence,
    cover_probability,
    gardner_capacity,
    gardner_free_entropy,
    gardner_overlap,
)

# ------------------------------------------------------------ independent high-precision pieces
# Everything below is written from the equations of docs/theory/capacity.md (Gardner 1988; Gardner & Derrida 1988) with mpmath, sharing no
# code with the package.

DPS = 25


def _mp_H(x):
    return mp.erfc(x / mp.sqrt(2)) / 2


def _mp_gauss(f, breaks=()):
    pts = sorted(set([mp.mpf(0), *breaks]))
    return mp.quad(lambda t: f(t) * mp.npdf(t), [-mp.inf, *pts, mp.inf])


def _mp_channel(f, q, kappa):
    """int Dt f(u), u = (kappa + sqrt(q) t)/sqrt(1-q), with the crossover at u = 0 split out."""
    t0 = -kappa / mp.sqrt(q)
    w = mp.sqrt((1 - q) / q)
    return _mp_gauss(lambda t: f((kappa + mp.sqrt(q) * t) / mp.sqrt(1 - q)), [t0 - 20 * w, t0, t0 + 20 * w])


def _mp_R2(u):
    return (mp.npdf(u) / _mp_H(u)) ** 2


def mp_gardner_capacity(kappa):
    k = mp.mpf(kappa)
    return 1 / ((1 + k**2) * mp.ncdf(k) + k * mp.npdf(k))


def mp_binary_capacity(kappa, start):
    """Solve q = int tanh^2, qhat = alpha/(1-q) int R^2, s = 0 for (q, qhat, alpha) with mpmath."""
    k = mp.mpf(kappa)

    def equations(q, qhat, alpha):
        r = mp.sqrt(qhat)
        w = 1 / r
        eq1 = _mp_gauss(lambda z: mp.tanh(r * z) ** 2, [-20 * w, 20 * w]) - q
        eq2 = alpha / (1 - q) * _mp_channel(_mp_R2, q, k) - qhat
        s = (
            -qhat * (1 - q) / 2
            + _mp_gauss(lambda z: mp.log(2 * mp.cosh(r * z)), [-20 * w, 20 * w])
            + alpha * _mp_channel(lambda u: mp.log(_mp_H(u)), q, k)
        )
        return [eq1, eq2, s]

    with mp.workdps(DPS):
        sol = mp.findroot(equations, [mp.mpf(x) for x in start], tol=mp.mpf(10) ** (-18))
    return [float(x) for x in sol]


# ------------------------------------------------------------ spherical perceptron


def test_gardner_capacity_published_value():
    assert gardner_capacity(0.0) == pytest.approx(2.0, rel=1e-14)


@pytest.mark.parametrize("kappa", [0.0, 0.25, 0.5, 1.0, 2.0, 4.0])
def test_gardner_capacity_against_mpmath(kappa):
    with mp.workdps(30):
        ref = float(mp_gardner_capacity(kappa))
    assert gardner_capacity(kappa) == pytest.approx(ref, rel=1e-12)


def test_gardner_capacity_vectorised():
    kappa = np.linspace(0, 3, 31)
    out = gardner_capacity(kappa)
    assert out.shape == kappa.shape
    assert np.all(np.diff(out) < 0)
    with mp.workdps(30):
        ref = np.array([float(mp_gardner_capacity(k)) for k in kappa])
    np.testing.assert_allclose(out, ref, rtol=1e-12)


@pytest.mark.parametrize("alpha,kappa", [(0.5, 0.0), (1.5, 0.0), (1.9, 0.0), (0.3, 1.0), (0.5, 0.5)])
def test_gardner_overlap_against_mpmath(alpha, kappa):
    state = gardner_overlap(alpha, kappa)
    assert state.converged
    with mp.workdps(DPS):
        q0 = mp.mpf(state.q)
        q = mp.findroot(
            lambda q: q / (1 - q) - alpha * _mp_channel(_mp_R2, q, mp.mpf(kappa)),
            (q0 * (1 - mp.mpf("1e-4")), q0 + (1 - q0) * mp.mpf("1e-4")),
            solver="anderson",
        )
        f = mp.log(1 - q) / 2 + q / (2 * (1 - q)) + alpha * _mp_channel(lambda u: mp.log(_mp_H(u)), q, mp.mpf(kappa))
    assert state.q == pytest.approx(float(q), rel=1e-10)
    assert state.free_entropy == pytest.approx(float(f), rel=1e-10)


def test_gardner_free_entropy_is_stationary_in_q():
    """The solved q extremises f(q) (checks the derivation of the stationarity condition)."""
    alpha, kappa = 1.2, 0.3
    q0 = gardner_overlap(alpha, kappa).q
    with mp.workdps(DPS):

        def f(q):
            return (
                mp.log(1 - q) / 2
                + q / (2 * (1 - q))
                + alpha * _mp_channel(lambda u: mp.log(_mp_H(u)), q, mp.mpf(kappa))
            )

        deriv = mp.diff(f, mp.mpf(q0))
    assert abs(float(deriv)) < 1e-9


def test_gardner_free_entropy_envelope_derivative():
    """d f / d alpha = int Dt ln H(u) at the saddle (envelope theorem), by finite differences."""
    alpha, kappa, h = 0.7, 0.5, 1e-5
    q = gardner_overlap(alpha, kappa).q
    num = (gardner_free_entropy(alpha + h, kappa) - gardner_free_entropy(alpha - h, kappa)) / (2 * h)
    with mp.workdps(DPS):
        ref = _mp_channel(lambda u: mp.log(_mp_H(u)), mp.mpf(q), mp.mpf(kappa))
    assert num == pytest.approx(float(ref), rel=1e-7)


def test_gardner_overlap_at_and_above_capacity():
    state = gardner_overlap([2.0, 2.5], 0.0)
    np.testing.assert_array_equal(state.q, [1.0, 1.0])
    assert np.all(np.isneginf(state.free_entropy)) and np.all(state.converged)


def test_gardner_overlap_close_to_capacity_against_mpmath():
    # 1 - q ~ 1e-6 here: the kink of the integrand has width 1e-3
    alpha, kappa = float(mp_gardner_capacity(0.5)) - 1e-6, 0.5
    state = gardner_overlap(alpha, kappa)
    assert state.converged and 1 - state.q < 1e-5
    with mp.workdps(DPS):
        eps = mp.findroot(
            lambda e: (1 - e) / e - alpha * _mp_channel(_mp_R2, 1 - e, mp.mpf(kappa)),
            (mp.mpf(1 - state.q) * (1 - mp.mpf("1e-4")), mp.mpf(1 - state.q) * (1 + mp.mpf("1e-4"))),
            solver="anderson",
        )
    assert 1 - state.q == pytest.approx(float(eps), rel=1e-7)


@settings(max_examples=25, deadline=None)
@given(a1=st.floats(0.0, 1.95), a2=st.floats(0.0, 1.95), kappa=st.floats(0.0, 0.02))
def test_gardner_overlap_monotone_in_alpha(a1, a2, kappa):
    lo, hi = sorted([a1, a2])
    q = gardner_overlap([lo, hi], kappa).q
    assert q[0] <= q[1] + 1e-14


@settings(max_examples=20, deadline=None)
@given(kappa=st.floats(0.0, 3.0))
def test_gardner_small_alpha_limit(kappa):
    """q -> alpha R(kappa)^2 as alpha -> 0 (the first iterate from q = 0)."""
    alpha = 1e-7
    R2 = float((mp.npdf(kappa) / _mp_H(mp.mpf(kappa))) ** 2)
    assert gardner_overlap(alpha, kappa).q == pytest.approx(alpha * R2, rel=1e-5)


def test_gardner_input_validation():
    with pytest.raises(ValueError, match="alpha"):
        gardner_overlap(-0.1)
    with pytest.raises(ValueError, match="alpha"):
        gardner_overlap(float("nan"))
    with pytest.raises(ValueError, match="kappa"):
        gardner_capacity(float("nan"))
    with pytest.raises(TypeError, match="kappa"):
        gardner_capacity("big")
    with pytest.warns(ReplicaSymmetryWarning):
        value = gardner_capacity(-0.5)
    assert value > 2.0  # the RS value grows for negative margins (an approximation there)


# ------------------------------------------------------------ binary perceptron


def test_binary_bounds_published():
    assert binary_rs_divergence(0.0) == pytest.approx(4 / math.pi, rel=1e-13)
    assert binary_annealed_capacity(0.0) == pytest.approx(1.0, rel=1e-14)


def test_binary_capacity_krauth_mezard():
    # Krauth & Mezard (1989): alpha_c = 0.83 (RS entropy zero, Gardner & Derrida 1988)
    ac = binary_capacity(0.0)
    assert ac == pytest.approx(0.833, abs=5e-4)


@pytest.mark.parametrize("kappa", [0.0, 0.5])
def test_binary_capacity_against_mpmath_6_digits(kappa):
    ac = binary_capacity(kappa)
    st_ = binary_overlap(ac, kappa)
    q, qhat, alpha = mp_binary_capacity(kappa, [st_.q, st_.conjugate, ac])
    assert ac == pytest.approx(alpha, rel=1e-9)
    assert st_.q == pytest.approx(q, rel=1e-8)


def test_binary_entropy_limits_and_annealed_bound():
    assert binary_entropy(0.0) == pytest.approx(math.log(2), abs=1e-14)
    alphas = np.linspace(0.05, 1.2, 12)
    s = binary_entropy(alphas, 0.0)
    assert np.all(np.diff(s) < 0)
    annealed = math.log(2) + alphas * math.log(0.5)
    assert np.all(s <= annealed + 1e-12)


def test_binary_entropy_envelope_derivative():
    alpha, kappa, h = 0.6, 0.2, 1e-5
    st_ = binary_overlap(alpha, kappa)
    num = (binary_entropy(alpha + h, kappa) - binary_entropy(alpha - h, kappa)) / (2 * h)
    with mp.workdps(DPS):
        ref = _mp_channel(lambda u: mp.log(_mp_H(u)), mp.mpf(st_.q), mp.mpf(kappa))
    assert num == pytest.approx(float(ref), rel=1e-7)


def test_binary_overlap_diverges_at_rs_point():
    st_ = binary_overlap([1.2, 1.27, 1.3], 0.0)
    assert st_.q[0] < st_.q[1] < 1.0 and st_.q[2] == 1.0
    assert np.isneginf(st_.entropy[2])


def test_binary_capacity_vectorised_and_validated():
    ks = np.array([0.0, 0.5, 1.0])
    out = binary_capacity(ks)
    np.testing.assert_allclose(out[0], binary_capacity(0.0), rtol=1e-12)
    assert np.all(np.diff(out) < 0) and np.all(out < binary_annealed_capacity(ks))
    with pytest.raises(ValueError, match="kappa"):
        binary_capacity(np.inf)
    with pytest.raises(ValueError, match="alpha"):
        binary_entropy(-1.0)


# ------------------------------------------------------------ Cover's theorem


@pytest.mark.parametrize("N", [1, 2, 5, 17])
def test_cover_probability_exact_small(N):
    for P in range(0, 4 * N + 3):
        exact = 1.0 if P == 0 else 2.0 ** (1 - P) * sum(math.comb(P - 1, k) for k in range(N))
        assert cover_probability(P, N) == pytest.approx(min(exact, 1.0), rel=1e-13)


def test_cover_probability_half_at_alpha_two_and_large_sizes():
    N = np.array([10, 1000, 100000])
    np.testing.assert_allclose(cover_probability(2 * N, N), 0.5, rtol=1e-12)
    # large P, N: no overflow; deep tail against mpmath
    P, N1 = 3000, 1000
    with mp.workdps(50):
        ref = mp.mpf(2) ** (1 - P) * mp.fsum(mp.binomial(P - 1, k) for k in range(N1))
    assert cover_probability(P, N1) == pytest.approx(float(ref), rel=1e-10)


def test_cover_probability_validation():
    with pytest.raises(ValueError, match="P"):
        cover_probability(-1, 5)
    with pytest.raises(ValueError, match="N"):
        cover_probability(3, 0)
    with pytest.raises(ValueError, match="P"):
        cover_probability(2.5, 3)


def test_no_silent_nonconvergence():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        gardner_overlap(np.linspace(0, 1.99, 50), 0.0)
        binary_overlap(np.linspace(0, 1.25, 50), 0.0)


def test_binary_capacity_refuses_margins_it_cannot_bracket():
    # the fuzz audit found kappa = 579: a bracketing error that named no parameter
    from statlearn.replica.capacity import BINARY_KAPPA_MAX, binary_capacity, binary_rs_divergence

    top = binary_capacity(BINARY_KAPPA_MAX)
    assert 0 < top < binary_rs_divergence(BINARY_KAPPA_MAX)
    with pytest.raises(ValueError, match="kappa"):
        binary_capacity(579.0)
