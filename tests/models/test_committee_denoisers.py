"""K-dimensional committee denoisers: Owen's closed form against scipy's bivariate normal, the output function
against Monte Carlo and finite differences, K = 1 against the scalar sign channel and priors, the prior
denoisers against brute force, the tails, the teacher data."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from statlearn.models.channels import SignChannel
from statlearn.models.committee import (
    TAIL,
    _owen,
    committee_denoise,
    committee_labels,
    committee_output,
    committee_teacher,
)
from statlearn.models.priors import GaussianPrior, RademacherPrior

V2 = np.array([[1.2, 0.5], [0.5, 0.8]])


@pytest.mark.parametrize(
    "h, k, rho",
    [
        (0.3, -0.5, 0.4),
        (-2.0, 3.0, -0.7),
        (1.0, 1.0, 0.9),
        (-3.0, -2.0, 0.2),
        (0.0, 0.5, 0.3),
        (0.0, 0.0, 0.5),
        (0.0, -1.0, -0.3),
        (-6.0, 5.0, 0.3),
        (4.0, -0.2, -0.95),
    ],
)
def test_owen_formula_matches_scipy_bivariate_normal(h, k, rho):
    ref = multivariate_normal(mean=[0.0, 0.0], cov=[[1.0, rho], [rho, 1.0]]).cdf([h, k])
    got = _owen(np.array([h]), np.array([k]), np.array([rho]))[0]
    assert abs(got - ref) <= 1e-6 * ref + 1e-14  # scipy's cdf is accurate to ~1e-8 relative (Genz)


def test_output_matches_monte_carlo_conditional_moments():
    r"""g = V^{-1}(E[z|y] - omega) and dg = V^{-1}(Cov[z|y] - V)V^{-1}: Monte Carlo with 2e6 draws per point,
    tolerance 5 standard errors."""
    rng = np.random.default_rng(11)
    omega = np.array([[0.4, -0.3], [0.4, -0.3], [0.4, -0.3], [-1.0, 0.7]])
    y = np.array([1.0, -1.0, 0.0, 0.0])
    g, dg = committee_output(y, omega, V2)
    L = np.linalg.cholesky(V2)
    Vinv = np.linalg.inv(V2)
    for mu in range(4):
        z = omega[mu] + rng.standard_normal((2_000_000, 2)) @ L.T
        sel = z[committee_labels(z) == y[mu]]
        mean = sel.mean(0)
        se_mean = sel.std(0) / np.sqrt(len(sel))
        g_mc = Vinv @ (mean - omega[mu])
        se_g = np.abs(Vinv) @ se_mean
        assert np.all(np.abs(g[mu] - g_mc) < 5 * se_g + 1e-12)
        cov = np.cov(sel.T)
        dg_mc = Vinv @ (cov - V2) @ Vinv
        se_cov = np.sqrt((np.var((sel - mean)[:, :, None] * (sel - mean)[:, None, :], axis=0)) / len(sel))
        se_dg = np.abs(Vinv) @ se_cov @ np.abs(Vinv)
        assert np.all(np.abs(dg[mu] - dg_mc) < 5 * se_dg + 1e-12)


def _label_probability(y, omega, V):
    s1, s2 = np.sqrt(V[0, 0]), np.sqrt(V[1, 1])
    h, k, r = omega[:, 0] / s1, omega[:, 1] / s2, np.full(len(y), V[0, 1] / (s1 * s2))
    plus, minus = _owen(h, k, r), _owen(-h, -k, r)
    return np.where(y > 0, plus, np.where(y < 0, minus, _owen(h, -k, -r) + _owen(-h, k, -r)))


@pytest.mark.parametrize("scale", [1.0, 3.0, 8.0])
def test_jacobian_is_the_finite_difference_of_g(scale):
    """Central differences with step 1e-5 where Z_y > 1e-4 (Owen's form is good to ~1e-16/Z_y relative, so
    the difference is good to ~1e-7 there), and with step 1e-6 deep in the tails (Z_y < 1e-30, the analytic
    asymptotic form)."""
    rng = np.random.default_rng(int(scale))
    omega = scale * rng.standard_normal((60, 2))
    y = rng.choice([-1.0, 0.0, 1.0], size=60)
    Z = _label_probability(y, omega, V2)
    keep = (Z > 1e-4) | (Z < 1e-30)
    omega, y, Z = omega[keep], y[keep], Z[keep]
    g, dg = committee_output(y, omega, V2)
    for j in range(2):
        for eps, sel in ((1e-5, Z > 1e-4), (1e-6, Z < 1e-30)):
            step = np.zeros(2)
            step[j] = eps
            plus = committee_output(y[sel], omega[sel] + step, V2)[0]
            minus = committee_output(y[sel], omega[sel] - step, V2)[0]
            assert np.allclose((plus - minus) / (2 * eps), dg[sel][:, :, j], rtol=1e-5, atol=1e-6)
    assert np.allclose(dg, np.swapaxes(dg, 1, 2))
    assert np.all(np.linalg.eigvalsh(dg[y != 0]) < 1e-12)  # orthants are convex: ln Z_{+-1} is concave


def test_tail_form_is_finite_and_continuous_at_the_switch():
    """Along a ray into a wrong orthant the label probability crosses TAIL: g stays finite, and the asymptotic
    form agrees with the closed form at the switch to O(1/h^2)."""
    t = np.linspace(3.0, 60.0, 400)
    omega = np.stack([-t, 0.2 * np.ones_like(t)], axis=1)
    g, dg = committee_output(np.ones_like(t), omega, V2)
    assert np.all(np.isfinite(g)) and np.all(np.isfinite(dg))
    # far in the tail g_1 -> |h|/s1 (the Mills ratio of the violated coordinate)
    assert abs(g[-1, 0] - 60.0 / V2[0, 0]) / (60.0 / V2[0, 0]) < 0.01
    s1 = np.sqrt(V2[0, 0])
    h = -t / s1
    Z = np.array(
        [_owen(np.array([x]), np.array([0.2 / np.sqrt(V2[1, 1])]), np.array([0.5 / s1 / np.sqrt(0.8)]))[0] for x in h]
    )
    i = np.argmax(Z < TAIL)
    jump = np.abs(g[i] - g[i - 1])
    smooth = np.abs(g[i - 1] - g[i - 2])
    assert np.all(jump < smooth + 0.05 * np.abs(g[i]))


def test_k1_is_the_sign_channel():
    rng = np.random.default_rng(2)
    omega = 3.0 * rng.standard_normal(50)
    y = rng.choice([-1.0, 1.0], size=50)
    g, dg = committee_output(y, omega[:, None], np.array([[0.7]]))
    g_ref, dg_ref = SignChannel().output(y, omega, 0.7)
    assert np.allclose(g[:, 0], g_ref, rtol=1e-12, atol=1e-14)
    assert np.allclose(dg[:, 0, 0], dg_ref, rtol=1e-12, atol=1e-14)


def test_k1_priors_are_the_scalar_priors():
    B = np.linspace(-4, 4, 17)[:, None]
    A = np.array([[0.8]])
    for name, scalar in (("gaussian", GaussianPrior()), ("rademacher", RademacherPrior())):
        mean, cov = committee_denoise(name, B, A)
        m_ref, v_ref = scalar.denoise(B[:, 0], 0.8)
        assert np.allclose(mean[:, 0], m_ref, atol=1e-13)
        assert np.allclose(cov[:, 0, 0], v_ref, atol=1e-13)


def test_k2_priors_against_brute_force():
    """Gaussian: a 2-D Gauss-Hermite integral of the tilted prior; Rademacher: explicit sum over the 4 atoms."""
    rng = np.random.default_rng(5)
    B = rng.standard_normal((6, 2))
    A = np.array([[1.3, 0.4], [0.4, 0.7]])
    x, w = np.polynomial.hermite_e.hermegauss(80)
    X1, X2 = np.meshgrid(x, x, indexing="ij")
    W = np.outer(w, w)
    mean, cov = committee_denoise("gaussian", B, A)
    for n in range(6):
        tilt = np.exp(B[n, 0] * X1 + B[n, 1] * X2 - 0.5 * (A[0, 0] * X1**2 + 2 * A[0, 1] * X1 * X2 + A[1, 1] * X2**2))
        Z = np.sum(W * tilt)
        m = np.array([np.sum(W * tilt * X1), np.sum(W * tilt * X2)]) / Z
        c = np.array(
            [
                [np.sum(W * tilt * X1 * X1), np.sum(W * tilt * X1 * X2)],
                [np.sum(W * tilt * X1 * X2), np.sum(W * tilt * X2 * X2)],
            ]
        ) / Z - np.outer(m, m)
        assert np.allclose(mean[n], m, atol=1e-10) and np.allclose(cov[n], c, atol=1e-10)
    mean, cov = committee_denoise("rademacher", 30.0 * B, A)  # large fields: log-sum-exp
    for n in range(6):
        atoms = [np.array([s1, s2]) for s1 in (-1.0, 1.0) for s2 in (-1.0, 1.0)]
        logits = np.array([30.0 * B[n] @ v - 0.5 * v @ A @ v for v in atoms])
        p = np.exp(logits - logits.max())
        p /= p.sum()
        m = sum(pi * v for pi, v in zip(p, atoms))
        c = sum(pi * np.outer(v, v) for pi, v in zip(p, atoms)) - np.outer(m, m)
        assert np.allclose(mean[n], m, atol=1e-12) and np.allclose(cov[n], c, atol=1e-12)


def test_teacher_is_reproducible_and_scaled():
    a = committee_teacher(2, 300, 2.0, prior="rademacher", seed=4)
    b = committee_teacher(2, 300, 2.0, prior="rademacher", seed=4)
    assert a.F.shape == (600, 300) and a.teacher.shape == (300, 2)
    assert np.array_equal(a.F, b.F) and np.array_equal(a.y, b.y) and np.array_equal(a.teacher, b.teacher)
    assert set(np.unique(a.teacher)) == {-1.0, 1.0}
    assert np.array_equal(a.y, committee_labels(a.F @ a.teacher))
    # P(y = 0) = 1/2 for K = 2 (z1, z2 nearly independent for a random teacher): 4 sigma of the binomial
    assert abs(np.mean(a.y == 0) - 0.5) < 4 * np.sqrt(0.25 / 600) + abs(a.teacher[:, 0] @ a.teacher[:, 1]) / 300
    # entries N(0, 1/N): the mean square is 1/N within 4 sigma
    assert abs(np.mean(a.F**2) * 300 - 1.0) < 4 * np.sqrt(2.0 / a.F.size)
