"""Numerical core: quadrature against exact moments and mpmath, tails, fixed points, roots."""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statlearn.numerics import (
    ConvergenceWarning,
    H,
    bivariate_gaussian_expectation,
    bracket_root,
    continuation,
    fixed_point,
    gaussian_expectation,
    gaussian_hazard,
    half_hermite_rule,
    hermite_rule,
    log2cosh,
    log_H,
)

mp.mp.dps = 40


def mp_gauss(f, points=(0,)):
    return mp.quad(lambda z: f(z) * mp.npdf(z), [-mp.inf, *points, mp.inf])


# ----------------------------------------------------------------- Gauss-Hermite, default rule


@pytest.mark.parametrize("k", range(0, 12))
def test_hermite_moments_exact(k):
    expected = 0.0 if k % 2 else float(math.prod(range(k - 1, 0, -2)))  # (k-1)!!
    scale = math.sqrt(math.prod(range(2 * k - 1, 0, -2)))  # sqrt(E z^{2k}): size of the summands
    assert gaussian_expectation(lambda z: z**k) == pytest.approx(expected, rel=1e-13, abs=1e-14 * scale)


def test_hermite_smooth_integrands_1e10():
    # E cos(a z) = exp(-a^2/2); E exp(b z) = exp(b^2/2); E 1/(1 + z^2) from mpmath
    a = np.linspace(0, 4, 9)
    np.testing.assert_allclose(gaussian_expectation(lambda z, a: np.cos(a * z), a), np.exp(-(a**2) / 2), atol=1e-12)
    b = np.linspace(-2, 2, 5)
    np.testing.assert_allclose(gaussian_expectation(lambda z, b: np.exp(b * z), b), np.exp(b**2 / 2), rtol=1e-12)
    ref = float(mp_gauss(lambda z: mp.exp(-z * z / 4) * mp.cos(z)))
    assert abs(gaussian_expectation(lambda z: np.exp(-z * z / 4) * np.cos(z)) - ref) < 1e-10


def test_order_can_be_raised_and_is_validated():
    z, w = hermite_rule(200)
    assert len(z) == 200 and w.sum() == pytest.approx(1.0, abs=1e-14)
    assert gaussian_expectation(lambda z: z**2, order=200) == pytest.approx(1.0, abs=1e-13)
    with pytest.raises(ValueError, match="order"):
        hermite_rule(0)


def test_vectorised_shapes_broadcast():
    a = np.linspace(0, 1, 5)[:, None]
    b = np.linspace(0, 1, 3)[None, :]
    out = gaussian_expectation(lambda z, a, b: (a + b * z) ** 2, a, b)
    assert out.shape == (5, 3)
    np.testing.assert_allclose(out, a**2 + b**2, atol=1e-13)
    assert isinstance(gaussian_expectation(lambda z: z**2), float)


# ----------------------------------------------------------------- kink and half-line rules


@pytest.mark.parametrize("q", [0.3, 0.99, 1 - 1e-6, 1 - 1e-12])
@pytest.mark.parametrize("kappa", [0.0, 0.7, 3.0])
def test_kink_rule_against_mpmath(q, kappa):
    """int Dt ln H((kappa + sqrt(q) t)/sqrt(1-q)): plain Gauss-Hermite fails as q -> 1."""
    qm, km = mp.mpf(q), mp.mpf(kappa)
    t0 = -km / mp.sqrt(qm)
    w = mp.sqrt((1 - qm) / qm)
    ref = mp.quad(
        lambda t: mp.npdf(t) * mp.log(mp.ncdf(-(km + mp.sqrt(qm) * t) / mp.sqrt(1 - qm))),
        [-mp.inf, t0 - 30 * w, t0 - w, t0, t0 + w, t0 + 30 * w, mp.inf],
    )
    got = gaussian_expectation(
        lambda t: log_H((kappa + np.sqrt(q) * t) / np.sqrt(1 - q)),
        kink=-kappa / np.sqrt(q),
        width=np.sqrt((1 - q) / q),
    )
    assert got == pytest.approx(float(ref), rel=1e-12)


def test_kink_rule_smooth_integrands_too():
    for width in (1.0, 0.1, 1e-6):
        assert gaussian_expectation(lambda z: np.cos(3 * z), kink=0.0, width=width) == pytest.approx(
            math.exp(-4.5), abs=1e-14
        )
    ref = float(mp_gauss(lambda z: mp.tanh(2 * z) ** 2))
    assert gaussian_expectation(lambda z: np.tanh(2 * z) ** 2, kink=0.0, width=0.5) == pytest.approx(ref, abs=1e-14)


@pytest.mark.parametrize("a", [-20.0, -5.0, -1.0, 0.0, 0.5, 3.0, 8.0])
def test_half_line_rule(a):
    ref = mp.quad(lambda z: (mp.cos(z) + (z - a) ** 2) * mp.npdf(z), [a, mp.inf])
    got = gaussian_expectation(lambda z: np.cos(z) + (z - a) ** 2, lower=a)
    assert got == pytest.approx(float(ref), rel=1e-13)


def test_half_hermite_rule_moments():
    s, w = half_hermite_rule(64)
    assert np.all(s > 0)
    for k in range(0, 20):
        exact = 2 ** ((k - 1) / 2) * math.gamma((k + 1) / 2) / math.sqrt(2 * math.pi)
        assert np.sum(w * s**k) == pytest.approx(exact, rel=1e-13)


def test_rule_arguments_validated():
    with pytest.raises(ValueError, match="width"):
        gaussian_expectation(lambda z: z, kink=0.0, width=0.0)
    with pytest.raises(ValueError, match="together"):
        gaussian_expectation(lambda z: z, kink=0.0)
    with pytest.raises(ValueError, match="lower"):
        gaussian_expectation(lambda z: z, lower=np.nan)


# ----------------------------------------------------------------- correlated pairs


def test_bivariate_moments_and_arcsine_law():
    cuu, cuv, cvv = 2.0, 0.6, 0.5
    assert bivariate_gaussian_expectation(lambda u, v: u * v, cuu, cuv, cvv) == pytest.approx(cuv, abs=1e-13)
    assert bivariate_gaussian_expectation(lambda u, v: u**2 * v**2, cuu, cuv, cvv) == pytest.approx(
        cuu * cvv + 2 * cuv**2, abs=1e-12
    )
    # E erf(u/sqrt2) erf(v/sqrt2) = (2/pi) arcsin(C_uv / sqrt((1+C_uu)(1+C_vv)))  (Saad & Solla 1995)
    from scipy.special import erf

    c = np.array([0.0, 0.3, -0.4])
    got = bivariate_gaussian_expectation(lambda u, v: erf(u / np.sqrt(2)) * erf(v / np.sqrt(2)), 1.0, c, 0.8)
    np.testing.assert_allclose(got, 2 / np.pi * np.arcsin(c / np.sqrt(2 * 1.8)), atol=1e-10)


def test_bivariate_degenerate_and_invalid():
    assert bivariate_gaussian_expectation(lambda u, v: v**2, 0.0, 0.0, 3.0) == pytest.approx(3.0, abs=1e-12)
    with pytest.raises(ValueError, match="semi-definite"):
        bivariate_gaussian_expectation(lambda u, v: u, 1.0, 2.0, 1.0)


# ----------------------------------------------------------------- special functions


@pytest.mark.parametrize("x", [-40.0, -10.0, -1.0, 0.0, 0.5, 5.0, 20.0, 38.0, 40.0, 100.0])
def test_tails_against_mpmath(x):
    xm = mp.mpf(x)
    Hm = mp.erfc(xm / mp.sqrt(2)) / 2
    assert float(log_H(x)) == pytest.approx(float(mp.log(Hm)), rel=1e-13)
    assert float(gaussian_hazard(x)) == pytest.approx(float(mp.npdf(xm) / Hm), rel=1e-13)
    assert float(H(x)) == pytest.approx(float(Hm), rel=1e-13, abs=1e-300)


def test_hazard_finite_everywhere_and_derivative_identity():
    x = np.linspace(-60, 60, 2001)
    R = gaussian_hazard(x)
    assert np.all(np.isfinite(R)) and np.all(R >= 0)
    # R'(x) = R (R - x), checked by central differences
    h = 1e-5
    num = (gaussian_hazard(x + h) - gaussian_hazard(x - h)) / (2 * h)
    np.testing.assert_allclose(num, R * (R - x), rtol=1e-6, atol=1e-12)


def test_log2cosh_no_overflow():
    x = np.array([-1000.0, -1.0, 0.0, 2.0, 1000.0])
    np.testing.assert_allclose(
        log2cosh(x), [1000.0, math.log(2 * math.cosh(1)), math.log(2), math.log(2 * math.cosh(2)), 1000.0]
    )


# ----------------------------------------------------------------- fixed points


def test_fixed_point_scalar_and_anderson_speedup():
    F = lambda x: np.cos(x)  # noqa: E731
    plain = fixed_point(F, 0.0, tol=1e-13)
    fast = fixed_point(F, 0.0, anderson=3, tol=1e-13)
    for res in (plain, fast):
        assert res.converged and abs(float(res.x) - 0.7390851332151607) < 1e-12
    assert fast.iterations < plain.iterations / 3


def test_fixed_point_linear_system_with_damping():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(6, 6))
    A = 1.5 * A / np.max(np.abs(np.linalg.eigvals(A)))  # spectral radius 1.5: plain iteration diverges
    A = 0.5 * (A + A.T) - 1.0 * np.eye(6)  # symmetric, eigenvalues < 1
    b = rng.normal(size=6)
    res = fixed_point(lambda x: A @ x + b, np.zeros(6), mixing=0.2, anderson=5, tol=1e-12)
    assert res.converged
    np.testing.assert_allclose(res.x, np.linalg.solve(np.eye(6) - A, b), atol=1e-10)


def test_fixed_point_warns_when_not_converged():
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = fixed_point(lambda x: 2.0 * x + 1.0, 0.0, max_iter=20)
    assert not res.converged and res.iterations == 20 and res.residual > 1


def test_fixed_point_respects_projection():
    res = fixed_point(lambda x: np.sqrt(x), 0.5, project=lambda x: np.clip(x, 1e-3, 1.0), anderson=2)
    assert res.converged and float(res.x) == pytest.approx(1.0, abs=1e-10)


def test_fixed_point_validation():
    with pytest.raises(ValueError, match="mixing"):
        fixed_point(np.cos, 0.0, mixing=0.0)
    with pytest.raises(ValueError, match="anderson"):
        fixed_point(np.cos, 0.0, anderson=-1)


def test_continuation_restarts_from_last_converged():
    values = [1.0, 2.0, 3.0]
    seen = []

    def solve(c, start):
        seen.append(float(np.asarray(start)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return fixed_point(
                lambda x: np.cos(x) / c if c != 2.0 else 3 * x + 1, start, max_iter=5 if c == 2.0 else 200
            )

    results = continuation(solve, values, 0.0)
    assert [r.converged for r in results] == [True, False, True]
    assert seen[0] == 0.0 and seen[1] == pytest.approx(float(results[0].x)) and seen[2] == seen[1]


# ----------------------------------------------------------------- roots


def test_bracket_root_vectorised():
    c = np.array([0.5, 2.0, 8.0, 27.0])
    res = bracket_root(lambda x: x**3 - c, np.zeros(4), np.full(4, 5.0))
    assert np.all(res.converged)
    np.testing.assert_allclose(res.root, np.cbrt(c), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.01, 100.0))
def test_bracket_root_property(c):
    res = bracket_root(lambda x: np.exp(x) - c, -10.0, 10.0)
    assert res.converged and res.root == pytest.approx(math.log(c), abs=1e-12)


def test_bracket_root_requires_sign_change():
    with pytest.raises(ValueError, match="sign change"):
        bracket_root(lambda x: x**2 + 1, -1.0, 1.0)
    with pytest.warns(ConvergenceWarning):
        res = bracket_root(lambda x: x - 0.3, 0.0, 1.0, max_iter=1, xtol=0, rtol=0)
    assert not res.converged


@pytest.mark.parametrize("a", [1.0, 30.0, 1e4, 1e7])
def test_graded_rule_with_two_kinks(a):
    """ln 2cosh(a(u-1)) + ln 2cosh(a(u+1/2)): two crossovers of width 1/a, against mpmath."""
    ref = mp.quad(
        lambda u: (mp.log(2 * mp.cosh(a * (u - 1))) + mp.log(2 * mp.cosh(a * (u + mp.mpf(1) / 2)))) * mp.npdf(u),
        [-mp.inf, -0.5 - 10 / a, -0.5, -0.5 + 10 / a, 1 - 10 / a, 1, 1 + 10 / a, mp.inf],
    )
    got = gaussian_expectation(
        lambda u: log2cosh(a * (u - 1)) + log2cosh(a * (u + 0.5)), kinks=[(1.0, 1 / a), (-0.5, 1 / a)]
    )
    assert got == pytest.approx(float(ref), rel=1e-13)


def test_graded_rule_vectorised_and_validated():
    t = np.array([-1.0, 0.0, 2.0])
    got = gaussian_expectation(lambda z, t: np.abs(z - t), t, kinks=[(t, 1e-3)])
    ref = [float(mp.quad(lambda z: abs(z - x) * mp.npdf(z), [-mp.inf, x, mp.inf])) for x in t]
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    with pytest.raises(ValueError, match="widths"):
        gaussian_expectation(lambda z: z, kinks=[(0.0, -1.0)])
    with pytest.raises(ValueError, match="at most one"):
        gaussian_expectation(lambda z: z, kinks=[(0.0, 1.0)], lower=0.0)


@pytest.mark.parametrize("x", [-5.0, 0.0, 3.9, 4.1, 30.0, 1e4, 1e9])
def test_hazard_gap_against_mpmath(x):
    from statlearn.numerics import gaussian_hazard_gap

    with mp.workdps(60):  # the difference R(x) - x cancels ~2 log10(x) digits
        xm = mp.mpf(x)
        ref = mp.npdf(xm) / (mp.erfc(xm / mp.sqrt(2)) / 2) - xm
    assert float(gaussian_hazard_gap(x)) == pytest.approx(float(ref), rel=1e-13)
    assert float(gaussian_hazard_gap(1e150)) == pytest.approx(1e-150, rel=1e-15)  # ~ 1/x - 2/x^3


# ---------------------------------------------------------------- shared helpers: seeds, kernel, results


def test_arccos_kernel_is_the_relu_correlation():
    # E relu(x) relu(y) for unit Gaussians with correlation c, by 2-D quadrature in mpmath
    import mpmath as mp

    from statlearn.numerics import arccos_kernel

    for c in (-0.9, -0.3, 0.0, 0.4, 0.95):
        s = mp.sqrt(1 - c * c)

        def inner(x, c=c, s=s):
            # E_z relu(c x + s z) in closed form: s phi(-c x / s) + c x Phi(c x / s)
            t = c * x / s
            return s * mp.npdf(t) + c * x * mp.ncdf(t)

        exact = mp.quad(lambda x, inner=inner: x * inner(x) * mp.npdf(x), [0, mp.inf])
        assert float(arccos_kernel(c)) == pytest.approx(float(exact), rel=1e-12)


def test_seeds_are_checked_once_for_all():
    from statlearn.numerics import SEED_LIMIT, as_generator, check_seed

    assert check_seed(SEED_LIMIT - 1) == SEED_LIMIT - 1
    for bad, error in ((-1, ValueError), (SEED_LIMIT, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="seed"):
            check_seed(bad)
    rng = np.random.default_rng(3)
    assert as_generator(rng) is rng
    assert as_generator(5).standard_normal() == np.random.default_rng(5).standard_normal()
    with pytest.raises(TypeError, match="rng"):
        as_generator("5", name="rng")


def test_results_follow_the_protocol_and_are_read_only():
    from statlearn.numerics import SolverResult, bracket_root, fixed_point

    res = fixed_point(lambda x: 0.5 * x + 1.0, np.zeros(3), tol=1e-12)
    roots = bracket_root(lambda x: x**2 - 2.0, np.array([0.0, -3.0]), np.array([3.0, 0.0]))
    for result in (res, roots):
        assert isinstance(result, SolverResult)
        assert result.converged is True or bool(np.all(result.converged))
        assert result.message.startswith("converged")
    with pytest.raises(ValueError):
        res.x[0] = 1.0
    with pytest.raises(ValueError):
        roots.root[0] = 1.0
    with pytest.warns(ConvergenceWarning):
        failed = fixed_point(lambda x: 2.0 * x + 1.0, np.ones(1), max_iter=5)
    assert failed.message.startswith("not converged") and "budget" in failed.message


def test_every_accepted_hermite_order_gives_a_finite_rule():
    # the fuzz audit found NaN weights at order 920 (then accepted): the bound sits below the overflow
    from statlearn.numerics.gaussian import MAX_ORDER

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, w = hermite_rule(MAX_ORDER)
    assert np.all(np.isfinite(w)) and w.sum() == pytest.approx(1.0, abs=1e-13)
    assert np.sum(w * x**2) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="order"):
        hermite_rule(MAX_ORDER + 1)
