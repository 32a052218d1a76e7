"""Closed forms and derivative identities the code relies on, derived with sympy and compared with
the code's public API.

Each test derives a formula symbolically (an integral, a derivative, an implicit derivative) from
its definition, then evaluates it and compares with what the package computes by other means
(quadrature, Newton iterations, hand-coded closed forms).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

sp = pytest.importorskip("sympy")

from statlearn.models import (  # noqa: E402
    GaussBernoulliPrior,
    GaussianChannel,
    GaussianPrior,
    Logistic,
    RademacherPrior,
    gaussian_equivalence,
)

z = sp.Symbol("z", real=True)
t = sp.Symbol("t", positive=True)
GAUSS = sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)


def _gaussian_mean(expr, lower=-sp.oo):
    return sp.simplify(sp.integrate(expr * GAUSS, (z, lower, sp.oo)))


def test_gaussian_equivalence_relu_derived():
    """mu0 = E relu, mu1 = E z relu, mu*^2 = E relu^2 - mu0^2 - mu1^2, integrated symbolically."""
    mu0 = _gaussian_mean(z, lower=0)
    mu1 = _gaussian_mean(z * z, lower=0)
    second = _gaussian_mean(z**2, lower=0)
    mu_star = sp.sqrt(second - mu0**2 - mu1**2)
    assert sp.simplify(mu0 - 1 / sp.sqrt(2 * sp.pi)) == 0 and mu1 == sp.Rational(1, 2)
    got = gaussian_equivalence(lambda x: np.maximum(x, 0.0))
    np.testing.assert_allclose(got, [float(mu0), float(mu1), float(mu_star)], rtol=1e-12, atol=1e-15)


def test_gaussian_equivalence_erf_derived():
    """sigma(z) = erf(z): mu0 = E erf(z), mu1 = E erf'(z) (Stein's lemma), and E erf(z)^2 as the
    integral over t in [0, 1] of d/dt E erf(t z)^2, each integral done symbolically."""
    sigma = sp.erf(z)
    mu0 = _gaussian_mean(sigma)
    mu1 = _gaussian_mean(sp.diff(sigma, z))  # Stein: E z f(z) = E f'(z)
    assert mu0 == 0 and sp.simplify(mu1 - 2 / sp.sqrt(3 * sp.pi)) == 0
    dsecond = sp.simplify(_gaussian_mean(sp.simplify(sp.diff(sp.erf(t * z) ** 2, t))))
    second = sp.simplify(sp.integrate(dsecond, (t, 0, 1)))
    mu_star = sp.sqrt(second - mu0**2 - mu1**2)
    expected_second = 2 / sp.pi * sp.asin(sp.Rational(2, 3))
    assert abs(float(second - expected_second)) < 1e-14  # the known arcsine form
    got = gaussian_equivalence(scipy.special.erf)
    np.testing.assert_allclose(got, [0.0, float(mu1), float(mu_star)], rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- logistic loss
def _logistic_identities():
    """Envelope and implicit-function derivatives of the logistic prox, derived symbolically.

    p(omega) minimises (p - omega)^2 / (2V) + l(y, p); S = d/dp of that objective vanishes at p.
    Returns lambdified (S, dp/domega, dM/domega) in terms of (p, omega, V, y)."""
    p, omega, V, y = sp.symbols("p omega V y", real=True)
    loss = sp.log(1 + sp.exp(-y * p))
    objective = (p - omega) ** 2 / (2 * V) + loss
    S = sp.diff(objective, p)
    dp = -sp.diff(S, omega) / sp.diff(S, p)  # implicit function theorem on S(p(omega), omega) = 0
    # total derivative of the envelope M(omega) = objective(p(omega), omega)
    dM = sp.diff(objective, omega) + sp.diff(objective, p) * dp
    args = (p, omega, V, y)
    return (sp.lambdify(args, e, "numpy") for e in (S, dp, dM))


@pytest.mark.parametrize("V", [1e-2, 1.0, 30.0])
@pytest.mark.parametrize("y", [-1.0, 1.0])
def test_logistic_prox_and_moreau_derivatives(V, y):
    S, dp, dM = _logistic_identities()
    loss = Logistic()
    omega = np.linspace(-8.0, 8.0, 41)
    p = np.asarray(loss.proximal(y, omega, V))
    np.testing.assert_allclose(S(p, omega, V, y), 0.0, atol=1e-12)  # the prox is stationary
    # envelope theorem: dM/domega = (omega - p)/V, what moreau_derivative returns
    np.testing.assert_allclose(loss.moreau_derivative(y, omega, V), dM(p, omega, V, y), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(loss.proximal_derivative(y, omega, V), dp(p, omega, V, y), rtol=1e-10, atol=1e-13)
    f_out, df_out = loss.output(y, omega, V)
    np.testing.assert_allclose(f_out, -dM(p, omega, V, y), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(df_out, (dp(p, omega, V, y) - 1.0) / V, rtol=1e-10, atol=1e-13)


# --------------------------------------------------------------------------- priors
B, A, w = sp.symbols("B A w", real=True)
rho_s = sp.Symbol("rho", positive=True)
mhat_s = sp.Symbol("mhat", positive=True)
xi = sp.Symbol("xi", real=True)


def _partition(prior_expectation):
    """Z_w(B, A) = E_w exp(B w - A w^2 / 2), f_a = d_B ln Z, f_v = d_B f_a, lambdified in (B, A)."""
    Z = sp.simplify(prior_expectation(sp.exp(B * w - A * w**2 / 2)))
    f_a = sp.diff(sp.log(Z), B)
    f_v = sp.diff(f_a, B)
    return Z, sp.lambdify((B, A), f_a, "numpy"), sp.lambdify((B, A), f_v, "numpy")


PRIOR_CASES = {
    "gaussian": (
        GaussianPrior(0.7),
        lambda e: sp.integrate(
            e * sp.exp(-(w**2) / (2 * sp.Rational(7, 10))) / sp.sqrt(2 * sp.pi * sp.Rational(7, 10)),
            (w, -sp.oo, sp.oo),
            conds="none",
        ),
    ),
    "rademacher": (RademacherPrior(), lambda e: (e.subs(w, 1) + e.subs(w, -1)) / 2),
    "gauss-bernoulli": (
        GaussBernoulliPrior(0.3),
        lambda e: (
            sp.Rational(7, 10) * e.subs(w, 0)
            + sp.Rational(3, 10)
            * sp.integrate(e * sp.exp(-(w**2) / 2) / sp.sqrt(2 * sp.pi), (w, -sp.oo, sp.oo), conds="none")
        ),
    ),
}


@pytest.mark.parametrize("name", list(PRIOR_CASES))
def test_prior_denoiser_is_derivative_of_log_partition(name):
    prior, expectation = PRIOR_CASES[name]
    _, f_a, f_v = _partition(expectation)
    Bs = np.linspace(-6.0, 6.0, 25)[:, None]
    As = np.array([0.0, 0.3, 2.0, 10.0])[None, :]
    a, v = prior.denoise(Bs, As)
    np.testing.assert_allclose(a, np.broadcast_to(f_a(Bs, As), a.shape), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(v, np.broadcast_to(f_v(Bs, As), v.shape), rtol=1e-10, atol=1e-14)


def _gaussian_moments(expr, variances):
    """E of a polynomial in independent centred Gaussians {symbol: variance}: E x^(2k) = (2k-1)!! var^k."""
    poly = sp.Poly(sp.expand(expr), *variances)
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        term = coeff
        for k, var in zip(powers, variances.values()):
            term *= 0 if k % 2 else sp.factorial2(k - 1) * var ** (k // 2)
        total += term
    return sp.simplify(total)


def test_gaussian_prior_free_entropy_derived():
    """Psi_w(mhat) = E ln Z_w(sqrt(mhat) xi + mhat w0, mhat) from Z_w integrated symbolically over
    w ~ N(0, rho) (ln Z_w is quadratic in B, so the average over xi and w0 is by moments);
    m = 2 dPsi/dmhat and the MMSE rho - m."""
    Z = sp.integrate(
        sp.exp(B * w - A * w**2 / 2) * sp.exp(-(w**2) / (2 * rho_s)) / sp.sqrt(2 * sp.pi * rho_s),
        (w, -sp.oo, sp.oo),
        conds="none",
    )
    w0 = sp.Symbol("w0", real=True)
    lnZ = sp.expand_log(sp.simplify(sp.log(Z)), force=True)
    quadratic = sp.diff(lnZ, B, 2) * B**2 / 2  # ln Z = c(A) + B^2 d(A) / 2
    assert sp.simplify(lnZ - lnZ.subs(B, 0) - quadratic) == 0
    channel = {B: sp.sqrt(mhat_s) * xi + mhat_s * w0, A: mhat_s}
    psi = _gaussian_moments(lnZ.subs(B, 0).subs(channel) + quadratic.subs(channel), {xi: 1, w0: rho_s})
    m = sp.simplify(2 * sp.diff(psi, mhat_s))
    # evaluated at 40 digits: psi = rho mhat/2 - ln(1 + rho mhat)/2 cancels in double precision
    exact = lambda expr, rho, x: float(sp.N(expr.subs({rho_s: rho, mhat_s: sp.Float(x, 40)}), 40))  # noqa: E731
    for rho in (0.5, 1.0, 3.0):
        prior = GaussianPrior(rho)
        mhat = np.geomspace(1e-3, 1e3, 13)
        np.testing.assert_allclose(prior.free_entropy(mhat), [exact(psi, rho, x) for x in mhat], rtol=1e-12)
        np.testing.assert_allclose(prior.overlap(mhat), [exact(m, rho, x) for x in mhat], rtol=1e-12)
        np.testing.assert_allclose(prior.mse(mhat), [exact(rho_s - m, rho, x) for x in mhat], rtol=1e-12)


def test_rademacher_overlap_is_twice_free_entropy_slope():
    """d Psi_w / d mhat = m / 2, with the derivative of the integrand taken symbolically and its
    Gaussian average by mpmath at 30 digits, split at the kink xi = -sqrt(mhat): a check of the
    prior's quadrature of Psi_w and of m."""
    mpmath = pytest.importorskip("mpmath")
    integrand = sp.log(sp.cosh(mhat_s + sp.sqrt(mhat_s) * xi)) - mhat_s / 2  # w0 = +1 by symmetry
    slope = sp.lambdify((mhat_s, xi), sp.diff(integrand, mhat_s), "mpmath")
    value = sp.lambdify((mhat_s, xi), integrand, "mpmath")
    prior = RademacherPrior()
    with mpmath.workdps(30):

        def average(f, mhat):
            weight = lambda x: f(mhat, x) * mpmath.npdf(x)  # noqa: E731
            return float(mpmath.quad(weight, [-mpmath.inf, -mpmath.sqrt(mhat), mpmath.inf]))

        for mhat in (0.05, 0.5, 1.0, 3.0, 8.0):
            mh = mpmath.mpf(mhat)
            np.testing.assert_allclose(prior.free_entropy(mhat), average(value, mh), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(prior.overlap(mhat), 2 * average(slope, mh), rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- channel
def test_gaussian_channel_free_entropy_and_conjugate_derived():
    """Z_out = E_z N(y; omega + sqrt(V) z, delta) and Psi_out(q) = E_xi int dy Z_out ln Z_out at
    omega = sqrt(q) xi, V = rho - q, integrated symbolically (in u = y - omega); the conjugate is
    2 dPsi_out/dq."""
    u, zz = sp.symbols("u zz", real=True)
    V, delta, var, q = sp.symbols("V delta s q", positive=True)
    normal = lambda x, mean, v: sp.exp(-((x - mean) ** 2) / (2 * v)) / sp.sqrt(2 * sp.pi * v)  # noqa: E731
    Z = sp.integrate(normal(u, sp.sqrt(V) * zz, delta) * normal(zz, 0, 1), (zz, -sp.oo, sp.oo), conds="none")
    # Z_out = N(y; omega, V + delta): equal at any (u, V, delta), checked at a few rational points
    for point in (
        {u: 0, V: 1, delta: 1},
        {u: 1, V: 2, delta: sp.Rational(1, 3)},
        {u: -3, V: sp.Rational(1, 7), delta: 5},
    ):
        assert abs(sp.N((Z - normal(u, 0, V + delta)).subs(point), 30)) < 1e-25
    Zs = normal(u, 0, var)
    entropy = sp.integrate(sp.expand(Zs * sp.expand_log(sp.log(Zs), force=True)), (u, -sp.oo, sp.oo), conds="none")
    psi = sp.simplify(entropy.subs(var, rho_s - q + delta))  # no omega left: the xi average is trivial
    conjugate = sp.simplify(2 * sp.diff(psi, q))
    for d in (1e-3, 0.25, 2.0):
        channel = GaussianChannel(d)
        rho = 1.3
        qs = np.linspace(0.0, rho * 0.999, 9)
        num = {delta: d, rho_s: rho}
        np.testing.assert_allclose(channel.free_entropy(qs, rho), sp.lambdify(q, psi.subs(num))(qs), rtol=1e-12)
        np.testing.assert_allclose(channel.conjugate(qs, rho), sp.lambdify(q, conjugate.subs(num))(qs), rtol=1e-12)
