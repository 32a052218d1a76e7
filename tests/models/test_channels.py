"""GLM output channels: derivatives, normalisation, independent references, the dPsi/dq identity, sampling, errors."""

import math

import mpmath as mp
import numpy as np
import pytest
from scipy import integrate, special

from statlearn.models import channels as channels_module
from statlearn.models.channels import (
    CHANNELS,
    Channel,
    GaussianChannel,
    NoisySignChannel,
    ProbitChannel,
    ReluChannel,
    SignChannel,
    get_channel,
)


@pytest.fixture(autouse=True)
def mp_precision():
    """20 digits for the mpmath references, without touching the global precision other modules set."""
    with mp.workdps(20):
        yield


ALL = [
    SignChannel(),
    NoisySignChannel(0.1),
    NoisySignChannel(0.0),
    ProbitChannel(0.3),
    GaussianChannel(0.5),
    ReluChannel(0.2),
    ReluChannel(0.02),
]
BINARY = [c for c in ALL if c.discrete_labels]
REFERENCE = [c for c in ALL if c != NoisySignChannel(0.0)]  # that one is the sign channel (tested as such)
CONTINUOUS = [c for c in ALL if not c.discrete_labels]
RATIOS = np.array([-35.0, -30.0, -8.0, -1.0, 0.0, 0.7, 3.0, 30.0, 35.0])  # omega / sqrt(V), deep tails included


def labels_for(channel):
    return np.array([-1.0, 1.0]) if channel.discrete_labels else np.array([-1.5, 0.4, 0.0, 3.0])


# ------------------------------------------------------------ independent pieces (from the definitions)


def mp_p_out(channel, y, z):
    """P_out(y | z) (a density for continuous labels), from the definition of each channel."""
    d = mp.mpf(getattr(channel, "delta", 0))
    if channel.name == "sign":
        return mp.mpf(1) if y * z > 0 else mp.mpf(0)
    if channel.name == "noisy-sign":
        return 1 - d if y * z > 0 else d
    if channel.name == "probit":
        return mp.ncdf(y * z / mp.sqrt(d))
    if channel.name == "gaussian":
        return mp.npdf(y, z, mp.sqrt(d))
    return mp.npdf(y, max(z, 0), mp.sqrt(d))  # relu


def mp_log_partition(channel, y, omega, V):
    """ln E_z P_out(y | omega + sqrt(V) z) by direct integration on [-60, 60] (the rest weighs < e^-1800),
    in panels split at the threshold / ReLU kink and around the bulk of the integrand, wherever the tail
    puts it; the integrand is scaled by its peak value (mpmath's tolerance is absolute)."""
    y, omega, V = mp.mpf(y), mp.mpf(omega), mp.mpf(V)
    sv = mp.sqrt(V)

    def integrand(z):
        return mp_p_out(channel, y, omega + sv * z) * mp.npdf(z)

    bulk = max((mp.mpf(k) / 2 for k in range(-120, 121)), key=integrand)
    peak = integrand(bulk)
    steps = (0, 0.03, 0.5, 2, 8)
    points = {mp.mpf(-60), mp.mpf(60), -omega / sv, *(bulk + s for s in steps), *(bulk - s for s in steps)}
    panels = sorted(p for p in points if abs(p) <= 60)
    return mp.log(peak) + mp.log(mp.quad(lambda z: integrand(z) / peak, panels, method="gauss-legendre"))


def mp_threshold_z(channel, y, omega, V):
    """Z_out = eps + (1 - 2 eps) Phi(y omega / sqrt(V + s)) of the threshold channels, and its d/domega."""
    eps = mp.mpf(channel.delta) if channel.name == "noisy-sign" else mp.mpf(0)
    s = mp.mpf(channel.delta) if channel.name == "probit" else mp.mpf(0)
    root = mp.sqrt(V + s)
    return eps + (1 - 2 * eps) * mp.ncdf(y * omega / root), y * (1 - 2 * eps) * mp.npdf(y * omega / root) / root


def mp_threshold_psi_conj(channel, q, rho):
    """Psi_out(q) and the conjugate of a threshold channel by mpmath quadrature over xi."""
    q, rho = mp.mpf(q), mp.mpf(rho)
    V = rho - q
    s = mp.mpf(channel.delta) if channel.name == "probit" else mp.mpf(0)
    width = mp.sqrt((V + s) / q) if q > 0 else mp.mpf(1)
    points = [-mp.inf, *(k * width for k in (-10, -1, 0, 1, 10)), mp.inf]

    def term(xi, which):
        total = mp.mpf(0)
        for y in (1, -1):
            z, dz = mp_threshold_z(channel, y, mp.sqrt(q) * xi, V)
            total += z * mp.log(z) if which == 0 else dz**2 / z
        return total * mp.npdf(xi)

    return float(mp.quad(lambda x: term(x, 0), points)), float(mp.quad(lambda x: term(x, 1), points))


def relu_z_and_g(y, omega, V, d):
    """ReLU Z_out and g_out = (E[z | y] - omega) / V from the posterior of z (plain floats, math module)."""
    a = omega / math.sqrt(V)
    mu, sigma = (omega * d + y * V) / (V + d), math.sqrt(V * d / (V + d))
    b = mu / sigma
    phi = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda x: 0.5 * math.erfc(-x / math.sqrt(2))  # noqa: E731
    point = phi(y / math.sqrt(d)) / math.sqrt(d)
    slab = phi((y - omega) / math.sqrt(V + d)) / math.sqrt(V + d)
    z = point * Phi(-a) + slab * Phi(b)
    if z == 0.0:  # underflow far in the tails, where the integrands are below 1e-300
        return 0.0, 0.0
    mean = point * (omega * Phi(-a) - math.sqrt(V) * phi(a)) + slab * (mu * Phi(b) + sigma * phi(b))
    return z, (mean / z - omega) / V


def relu_psi_conj_reference(delta, q, rho):
    """Psi_out and conjugate of the ReLU channel by adaptive nested scipy quadrature over (xi, y)."""
    V = rho - q

    def over_y(xi, which):
        omega = math.sqrt(q) * xi

        def f(y):
            z, g = relu_z_and_g(y, omega, V, delta)
            return special.xlogy(z, z) if which == 0 else z * g * g

        lo = min(-12 * math.sqrt(delta), omega - 12 * math.sqrt(V + delta))
        hi = max(12 * math.sqrt(delta), omega + 12 * math.sqrt(V + delta))
        return integrate.quad(f, lo, hi, points=sorted({0.0, omega}), limit=200, epsabs=1e-13, epsrel=1e-12)[0]

    width = min(1.0, math.sqrt(V / q))
    points = [k * width for k in (-10, -3, -1, 0, 1, 3, 10) if abs(k * width) < 9]
    return [
        integrate.quad(
            lambda x: over_y(x, which) * math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi),
            -9,
            9,
            points=points,
            limit=200,
            epsabs=1e-13,
            epsrel=1e-12,
        )[0]
        for which in (0, 1)
    ]


def five_point_derivative(f, x, h):
    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


# ------------------------------------------------------------ output function (what GAMP calls)


@pytest.mark.parametrize("channel", ALL, ids=repr)
def test_output_is_the_derivative_of_the_log_partition(channel):
    y, ratio, V = np.meshgrid(labels_for(channel), RATIOS, np.array([0.01, 1.0, 4.0]), indexing="ij")
    omega = ratio * np.sqrt(V)
    h = 1e-3 * np.sqrt(V)
    g, dg = channel.output(y, omega, V)
    fd_g = five_point_derivative(lambda w: channel.log_partition(y, w, V), omega, h)
    fd_dg = five_point_derivative(lambda w: channel.output(y, w, V)[0], omega, h)
    assert np.all(np.isfinite(g)) and np.all(np.isfinite(dg))
    np.testing.assert_allclose(g, fd_g, rtol=1e-7, atol=1e-9 / np.sqrt(V).min())
    np.testing.assert_allclose(dg, fd_dg, rtol=1e-7, atol=1e-9 / V.min())


@pytest.mark.parametrize("channel", BINARY, ids=repr)
def test_discrete_partition_sums_to_one(channel):
    omega, V = np.meshgrid(RATIOS, np.array([0.01, 1.0, 4.0]))
    omega = omega * np.sqrt(V)
    total = np.exp(channel.log_partition(1.0, omega, V)) + np.exp(channel.log_partition(-1.0, omega, V))
    np.testing.assert_allclose(total, 1.0, rtol=0, atol=2e-15)


@pytest.mark.parametrize("channel", CONTINUOUS, ids=repr)
@pytest.mark.parametrize("omega, V", [(0.0, 1.0), (-2.0, 0.05), (1.5, 0.3), (30.0, 1.0), (-30.0, 1.0)])
def test_continuous_partition_integrates_to_one(channel, omega, V):
    scale = math.sqrt(V + channel.delta)
    lo, hi = (
        min(-12 * math.sqrt(channel.delta), omega - 12 * scale),
        max(12 * math.sqrt(channel.delta), omega + 12 * scale),
    )
    total = integrate.quad(
        lambda y: math.exp(channel.log_partition(y, omega, V)),
        lo,
        hi,
        points=sorted({0.0, omega}),
        limit=200,
        epsabs=1e-14,
    )[0]
    assert total == pytest.approx(1.0, abs=1e-11)


@pytest.mark.parametrize("channel", REFERENCE, ids=repr)
def test_log_partition_matches_direct_mpmath_integration(channel):
    for ratio, V in [(-35.0, 0.3), (-2.0, 2.0), (0.0, 0.3), (0.7, 2.0), (35.0, 2.0)]:
        for y in labels_for(channel)[:2]:
            omega = ratio * math.sqrt(V)
            ref = float(mp_log_partition(channel, y, omega, V))
            assert channel.log_partition(y, omega, V) == pytest.approx(ref, rel=1e-12, abs=1e-12), (y, omega, V)


def test_output_stays_accurate_as_the_variance_vanishes():
    # omega on the wrong side of the threshold, x = |omega| / sqrt(V) up to 1e10: -V dg = R(x) (R(x) - x)
    # = 1 - 1/x^2 + 6/x^4 + ..., where the difference R(x) - x ~ 1/x cancels catastrophically
    V = np.array([1e-6, 1e-10, 1e-16, 1e-20])
    x = 1.0 / np.sqrt(V)
    g, dg = SignChannel().output(1.0, -1.0, V)
    np.testing.assert_allclose(g * np.sqrt(V), x + 1 / x - 2 / x**3, rtol=1e-14)
    np.testing.assert_allclose(-dg * V, 1 - 1 / x**2 + 6 / x**4, rtol=1e-14)
    # ReLU: slab side and point-mass side of omega = 0 (g -> (y - omega) / delta and 0)
    g, dg = ReluChannel(0.1).output(0.0, 1e-3, V)
    np.testing.assert_allclose(g[1:], -1e-3 / (0.1 + V[1:]), rtol=1e-9)
    np.testing.assert_allclose(dg[1:], -1 / (0.1 + V[1:]), rtol=1e-9)
    g, dg = ReluChannel(0.1).output(0.0, -1e-3, V[1:])
    assert np.all(np.abs(g) < 1e-300) and np.all(np.abs(dg) < 1e-300)


def test_noisy_sign_at_zero_flip_is_the_sign_channel():
    y, omega, V = np.array([1.0, -1.0, 1.0]), np.array([-40.0, 0.3, 40.0]), np.array([1.0, 0.1, 2.0])
    sign, noisy = SignChannel(), NoisySignChannel(0.0)
    np.testing.assert_array_equal(noisy.log_partition(y, omega, V), sign.log_partition(y, omega, V))
    np.testing.assert_array_equal(noisy.output(y, omega, V), sign.output(y, omega, V))
    q = np.linspace(0, 2, 5)
    np.testing.assert_array_equal(noisy.free_entropy(q, 2.0), sign.free_entropy(q, 2.0))


def test_output_broadcasts_like_numpy():
    g, dg = ReluChannel(0.3).output(np.zeros((3, 1)), np.linspace(-1, 1, 4), 0.5)
    assert g.shape == dg.shape == (3, 4)
    g, dg = GaussianChannel(0.3).output(1.0, 0.0, np.array([0.5, 1.0]))
    assert g.shape == dg.shape == (2,)
    assert isinstance(SignChannel().log_partition(1.0, 0.2, 1.0), float)


# ------------------------------------------------------------ replica pieces: Psi_out and the conjugate


@pytest.mark.parametrize("channel", [c for c in BINARY if c in REFERENCE], ids=repr)
@pytest.mark.parametrize("fraction", [0.6, 1 - 1e-8])  # q = 0: closed forms below
def test_threshold_free_entropy_and_conjugate_match_mpmath(channel, fraction):
    rho = 1.7
    psi, conj = mp_threshold_psi_conj(channel, fraction * rho, rho)
    assert channel.free_entropy(fraction * rho, rho) == pytest.approx(psi, rel=1e-10, abs=1e-14)
    assert channel.conjugate(fraction * rho, rho) == pytest.approx(conj, rel=1e-10)


def test_gaussian_closed_forms_match_mpmath_and_the_generic_path():
    channel, rho = GaussianChannel(0.5), 1.3
    q = np.array([0.0, 0.4, 1.0, 1.3])
    V = rho - q
    psi_mp = [
        float(
            mp.quad(
                lambda y: mp.npdf(y, 0, mp.sqrt(v + 0.5)) * mp.log(mp.npdf(y, 0, mp.sqrt(v + 0.5))),
                [-mp.inf, 0, mp.inf],
            )
        )
        for v in V
    ]
    np.testing.assert_allclose(channel.free_entropy(q, rho), psi_mp, rtol=1e-14)
    np.testing.assert_allclose(channel.conjugate(q, rho), 1 / (V + 0.5), rtol=1e-14)
    np.testing.assert_allclose(Channel._free_entropy_average(channel, q, rho), channel.free_entropy(q, rho), rtol=1e-13)
    np.testing.assert_allclose(Channel._conjugate_average(channel, q, rho), channel.conjugate(q, rho), rtol=1e-13)


@pytest.mark.parametrize("delta", [0.02])
def test_relu_at_zero_overlap_matches_mpmath(delta):
    # q = 0: omega = 0 for every xi, so Psi_out and the conjugate are single integrals over y;
    # g_out by mpmath's numerical derivative of ln Z in omega
    rho, d = mp.mpf("1.3"), mp.mpf(delta)

    def z_out(y, omega):
        sigma = mp.sqrt(rho * d / (rho + d))
        mu = (omega * d + y * rho) / (rho + d)
        return mp.npdf(y, 0, mp.sqrt(d)) * mp.ncdf(-omega / mp.sqrt(rho)) + mp.npdf(
            y, omega, mp.sqrt(rho + d)
        ) * mp.ncdf(mu / sigma)

    pts = [-mp.inf, -3 * mp.sqrt(d), 0, 3 * mp.sqrt(d), mp.inf]
    psi = mp.quad(lambda y: z_out(y, 0) * mp.log(z_out(y, 0)), pts)
    conj = mp.quad(lambda y: z_out(y, 0) * mp.diff(lambda w: mp.log(z_out(y, w)), 0) ** 2, pts)
    channel = ReluChannel(delta)
    assert channel.free_entropy(0.0, 1.3) == pytest.approx(float(psi), rel=1e-12)
    assert channel.conjugate(0.0, 1.3) == pytest.approx(float(conj), rel=1e-12)


@pytest.mark.parametrize("delta, q, rho", [(0.2, 0.6, 1.3), (0.02, 0.95, 1.0)])
def test_relu_free_entropy_and_conjugate_match_nested_quadrature(delta, q, rho):
    psi, conj = relu_psi_conj_reference(delta, q, rho)
    channel = ReluChannel(delta)
    assert channel.free_entropy(q, rho) == pytest.approx(psi, rel=1e-10)
    assert channel.conjugate(q, rho) == pytest.approx(conj, rel=1e-10)


@pytest.mark.parametrize("channel", ALL, ids=repr)
def test_derivative_of_free_entropy_is_half_the_conjugate(channel):
    # BKMMZ 2019: d Psi_out / dq = mhat / (2 alpha); ties the label averages of ln Z and g_out^2
    rho = 1.3
    q = rho * np.array([0.05, 0.3, 0.7, 0.95])
    h = 0.01 * np.minimum(q, rho - q)
    slope = five_point_derivative(lambda x: np.asarray(channel.free_entropy(x, rho)), q, h)
    np.testing.assert_allclose(slope, 0.5 * channel.conjugate(q, rho), rtol=1e-8)


def test_known_values_of_threshold_channels():
    rho, eps, delta = 1.7, 0.1, 0.3
    for channel in BINARY:  # symmetric labels: Z_out = 1/2 at q = 0
        assert channel.free_entropy(0.0, rho) == pytest.approx(-math.log(2), rel=1e-14)
    # conjugate(0) = sum_y Z g^2 at omega = 0: 2 * (1/2) * ((1 - 2 eps) phi(0) / (sqrt(V_eff) / 2))^2
    assert SignChannel().conjugate(0.0, rho) == pytest.approx(2 / (math.pi * rho), rel=1e-14)
    assert NoisySignChannel(eps).conjugate(0.0, rho) == pytest.approx(
        2 * (1 - 2 * eps) ** 2 / (math.pi * rho), rel=1e-14
    )
    assert ProbitChannel(delta).conjugate(0.0, rho) == pytest.approx(2 / (math.pi * (rho + delta)), rel=1e-14)
    binary_entropy = -eps * math.log(eps) - (1 - eps) * math.log(1 - eps)
    assert SignChannel().free_entropy(rho, rho) == 0.0
    assert NoisySignChannel(eps).free_entropy(rho, rho) == pytest.approx(-binary_entropy, rel=1e-15)
    assert SignChannel().conditional_entropy(rho) == 0.0
    assert NoisySignChannel(eps).conditional_entropy(rho) == pytest.approx(binary_entropy, rel=1e-15)
    probit = mp.quad(
        lambda z: (
            mp.npdf(z, 0, mp.sqrt(rho))
            * sum(-p * mp.log(p) for p in (mp.ncdf(z / mp.sqrt(delta)), mp.ncdf(-z / mp.sqrt(delta))))
        ),
        [-mp.inf, 0, mp.inf],
    )
    assert ProbitChannel(delta).conditional_entropy(rho) == pytest.approx(float(probit), rel=1e-12)


@pytest.mark.parametrize("channel", CONTINUOUS, ids=repr)
def test_conditional_entropy_of_additive_gaussian_noise(channel):
    assert channel.conditional_entropy(1.3) == pytest.approx(
        0.5 * math.log(2 * math.pi * math.e * channel.delta), rel=1e-14
    )


def test_sign_conjugate_diverges_as_inverse_square_root():
    # conjugate -> 2 / sqrt(2 pi q (rho - q)) * int dt phi(t)^2 / Phi(t) as q -> rho (xi ~ t sqrt(V/q))
    rho, V = 1.0, 1e-10
    integral = mp.quad(lambda t: mp.npdf(t) ** 2 / mp.ncdf(t), [-mp.inf, 0, mp.inf])
    expected = 2 * float(integral) / math.sqrt(2 * math.pi * (rho - V) * V)
    assert SignChannel().conjugate(rho - V, rho) == pytest.approx(expected, rel=1e-6)
    assert SignChannel().conjugate(rho, rho) == math.inf
    assert NoisySignChannel(0.2).conjugate(rho, rho) == math.inf


@pytest.mark.parametrize("channel", ALL, ids=repr)
def test_ends_of_the_overlap_range_are_finite_and_continuous(channel):
    rho = 1.3
    q = rho * np.array([0.0, 1e-300, 1e-12, 1 - 1e-12, 1 - 1e-15, 1.0])
    psi, conj = channel.free_entropy(q, rho), channel.conjugate(q, rho)
    assert np.all(np.isfinite(psi)) and not np.any(np.isnan(conj))
    assert psi[0] == pytest.approx(psi[1], abs=1e-14) and psi[0] == pytest.approx(psi[2], abs=1e-11)
    assert conj[0] == pytest.approx(conj[2], rel=1e-10)
    assert abs(psi[-2] - psi[-1]) < 1e-6  # Psi_out - Psi_out(rho) ~ sqrt(rho - q)
    if channel.name in ("sign", "noisy-sign"):
        assert conj[-1] == math.inf and conj[-2] > 1e6
    else:
        assert np.all(np.isfinite(conj)) and conj[-2] == pytest.approx(conj[-1], rel=1e-5)


@pytest.mark.parametrize("channel", [SignChannel(), ProbitChannel(0.3), ReluChannel(0.2)], ids=repr)
def test_vectorised_over_overlap_and_rho(channel):
    q = np.array([[0.0, 0.5], [0.9, 2.0]])
    rho = np.array([1.0, 2.0])
    psi = channel.free_entropy(q, rho)
    assert psi.shape == (2, 2)
    for (i, j), value in np.ndenumerate(psi):
        assert value == pytest.approx(channel.free_entropy(q[i, j], rho[j]), rel=1e-13)


# ------------------------------------------------------------ sampling


def test_sign_sample_is_the_sign():
    z = np.random.default_rng(0).standard_normal(1000)
    np.testing.assert_array_equal(SignChannel().sample(z, 1), np.sign(z))


@pytest.mark.parametrize("channel", ALL, ids=repr)
def test_sample_is_reproducible_with_the_same_seed(channel):
    z = np.linspace(-2, 2, 50)
    np.testing.assert_array_equal(channel.sample(z, 5), channel.sample(z, np.random.default_rng(5)))
    assert channel.sample(z, 5).shape == z.shape


def test_sampled_label_statistics_match_the_channels():
    n, rho = 200_000, 1.5
    z = math.sqrt(rho) * np.random.default_rng(11).standard_normal(n)

    def within(sample_values, expected, k=5.0):
        mean, err = sample_values.mean(), sample_values.std() / math.sqrt(n)
        assert abs(mean - expected) < k * err, (mean, expected, err)

    within((NoisySignChannel(0.15).sample(z, 1) != np.sign(z)).astype(float), 0.15)
    # probit: y = sign(z + sqrt(delta) eta) differs from sign(z) w.p. arccos(corr) / pi
    within(
        (ProbitChannel(0.4).sample(z, 2) != np.sign(z)).astype(float), math.acos(math.sqrt(rho / (rho + 0.4))) / math.pi
    )
    y = GaussianChannel(0.3).sample(z, 3)
    within((y - z) ** 2, 0.3)
    within(y - z, 0.0)
    y = ReluChannel(0.3).sample(z, 4)
    within(y, math.sqrt(rho / (2 * math.pi)))
    within(y**2, rho / 2 + 0.3)


# ------------------------------------------------------------ generalisation error


def test_classification_errors():
    rho = 1.7
    for channel in BINARY:
        assert channel.generalization_error(0.0, rho) == pytest.approx(0.5, abs=1e-15)
        assert channel.generalization_error(rho, rho) == 0.0
        assert channel.gibbs_error(0.0, rho) == pytest.approx(0.5, abs=1e-15)
        assert channel.gibbs_error(rho, rho) == 0.0
    # Monte Carlo: omega ~ N(0, m), z = omega + sqrt(rho - m) xi; Bayes error P(sign omega != sign z)
    m, n = 0.6, 400_000
    rng = np.random.default_rng(3)
    omega = math.sqrt(m) * rng.standard_normal(n)
    z = omega + math.sqrt(rho - m) * rng.standard_normal(n)
    wrong = (np.sign(omega) != np.sign(z)).astype(float)
    assert abs(wrong.mean() - SignChannel().generalization_error(m, rho)) < 5 * wrong.std() / math.sqrt(n)
    assert SignChannel().gibbs_error(m, rho) > SignChannel().generalization_error(m, rho)


def test_regression_errors():
    rho, delta = 1.7, 0.3
    assert GaussianChannel(delta).generalization_error(0.0, rho) == pytest.approx(rho + delta, rel=1e-15)
    assert GaussianChannel(delta).generalization_error(rho, rho) == pytest.approx(delta, rel=1e-15)
    relu = ReluChannel(delta)
    assert relu.generalization_error(rho, rho) == pytest.approx(delta, rel=1e-14)
    # m = 0: the predictor is E relu(z), the error Var relu(z) + delta
    assert relu.generalization_error(0.0, rho) == pytest.approx(rho / 2 - rho / (2 * math.pi) + delta, rel=1e-14)
    # Monte Carlo at m = 0.8 with the predictor E[relu(z) | omega] = omega Phi(omega / s) + s phi(omega / s)
    m, n = 0.8, 400_000
    rng = np.random.default_rng(8)
    omega = math.sqrt(m) * rng.standard_normal(n)
    s = math.sqrt(rho - m)
    y = relu.sample(omega + s * rng.standard_normal(n), rng)
    u = omega / s
    predictor = omega * (0.5 * np.vectorize(math.erfc)(-u / math.sqrt(2))) + s * np.exp(-u * u / 2) / math.sqrt(
        2 * math.pi
    )
    sq = (y - predictor) ** 2
    assert abs(sq.mean() - relu.generalization_error(m, rho)) < 5 * sq.std() / math.sqrt(n)


# ------------------------------------------------------------ factory and validation


def test_get_channel_by_name_and_instance():
    assert get_channel("sign") == SignChannel()
    assert get_channel("noisy-sign", delta=0.1) == NoisySignChannel(0.1)
    assert get_channel("probit", delta=0.2) == ProbitChannel(0.2)
    assert get_channel("gaussian", delta=0.2) == GaussianChannel(0.2)
    assert get_channel("relu", delta=0.2) == ReluChannel(0.2)
    assert set(CHANNELS) == {"sign", "noisy-sign", "probit", "gaussian", "relu"}
    channel = ReluChannel(0.4)
    assert get_channel(channel) is channel
    assert repr(ProbitChannel(0.25)) == "ProbitChannel(delta=0.25)"
    assert GaussianChannel(0.2) != ReluChannel(0.2)


def test_unknown_channel_lists_the_known_names():
    with pytest.raises(ValueError, match="unknown channel 'logistic'") as info:
        get_channel("logistic")
    for name in CHANNELS:
        assert name in str(info.value)


@pytest.mark.parametrize(
    "name, params, match",
    [("probit", {}, "delta"), ("sign", {"delta": 0.1}, "no parameters"), ("relu", {"noise": 0.1}, "delta")],
)
def test_get_channel_checks_parameters(name, params, match):
    with pytest.raises(ValueError, match=match):
        get_channel(name, **params)


def test_get_channel_refuses_parameters_with_an_instance_and_other_types():
    with pytest.raises(ValueError, match="instance"):
        get_channel(SignChannel(), delta=0.1)
    with pytest.raises(TypeError, match="channel"):
        get_channel(3)


@pytest.mark.parametrize(
    "factory, delta",
    [
        (NoisySignChannel, -0.1),
        (NoisySignChannel, 0.5),
        (NoisySignChannel, float("nan")),
        (ProbitChannel, -1.0),
        (GaussianChannel, -1.0),
        (ReluChannel, float("inf")),
        (ReluChannel, float("nan")),
    ],
)
def test_delta_out_of_range(factory, delta):
    with pytest.raises(ValueError, match="delta"):
        factory(delta)


@pytest.mark.parametrize("method", ["free_entropy", "conjugate"])
@pytest.mark.parametrize(
    "q, rho, name", [(1.1, 1.0, "q"), (-0.1, 1.0, "q"), (0.5, 0.0, "rho"), (float("nan"), 1.0, "q")]
)
def test_overlap_out_of_range(method, q, rho, name):
    with pytest.raises(ValueError, match=name):
        getattr(ProbitChannel(0.2), method)(q, rho)


def test_error_arguments_are_checked():
    with pytest.raises(ValueError, match="m must be in"):
        ReluChannel(0.2).generalization_error(1.5, 1.0)
    with pytest.raises(ValueError, match="m"):
        SignChannel().gibbs_error(-0.5, 1.0)
    with pytest.raises(ValueError, match="rho"):
        SignChannel().conditional_entropy(-1.0)


def test_output_arguments_are_checked():
    with pytest.raises(ValueError, match="y must be -1 or \\+1"):
        SignChannel().output(0.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="V"):
        ReluChannel(0.2).output(0.5, 0.0, 0.0)
    with pytest.raises(ValueError, match="omega"):
        GaussianChannel(0.2).log_partition(0.5, float("nan"), 1.0)
    with pytest.raises(TypeError, match="rng"):
        SignChannel().sample([0.1], None)


def test_channel_is_abstract_and_exported():
    with pytest.raises(TypeError):
        Channel()
    import statlearn.models as models

    for name in channels_module.__all__:
        assert getattr(models, name) is getattr(channels_module, name)


@pytest.mark.parametrize("name, params", [("sign", {}), ("noisy-sign", {"delta": 0.1}), ("probit", {"delta": 0.3})])
def test_threshold_partition_and_slope_closed_forms(name, params):
    # Z_out and d_omega Z_out in closed form against exp(ln Z_out) and Z_out g_out
    channel = get_channel(name, **params)
    rng = np.random.default_rng(2)
    y = rng.choice([-1.0, 1.0], 500)
    omega, V = rng.normal(0, 3, 500), 10 ** rng.uniform(-3, 1, 500)
    z, slope = channel._partition_and_slope(y, omega, V)
    reference = np.exp(channel.log_partition(y, omega, V))
    assert np.allclose(z, reference, rtol=1e-12, atol=1e-300)
    assert np.allclose(slope, reference * channel.output(y, omega, V)[0], rtol=1e-10, atol=1e-300)


# ------------------------------------------------------------ closed-form label sums of the threshold channels


@pytest.mark.parametrize("channel", [SignChannel(), ProbitChannel(0.3), ProbitChannel(1e-3)], ids=repr)
def test_threshold_closed_form_label_sum_matches_the_generic_label_average(channel):
    # the 48-node rule in u (closed-form label sum) against the kink-resolving rule in xi over both labels
    rho = 1.7
    q = rho * np.array([0.0, 1e-6, 0.2, 0.7, 0.99, 1 - 1e-4, 1 - 1e-6])
    np.testing.assert_allclose(
        channel.conjugate(q, rho), Channel._conjugate_average(channel, q, rho), rtol=1e-12, atol=0
    )
    np.testing.assert_allclose(
        channel.free_entropy(q, rho), Channel._free_entropy_average(channel, q, rho), rtol=1e-12, atol=1e-15
    )


def test_sign_conjugate_matches_scipy_quad():
    rho, q = 1.0, 0.8
    V = rho - q

    def integrand(xi):
        x = math.sqrt(q / V) * xi
        r_plus = math.sqrt(2 / math.pi) / special.erfcx(-x / math.sqrt(2))
        r_minus = math.sqrt(2 / math.pi) / special.erfcx(x / math.sqrt(2))
        return (
            math.exp(-xi * xi / 2)
            / math.sqrt(2 * math.pi)
            * (special.ndtr(x) * r_plus**2 + special.ndtr(-x) * r_minus**2)
        )

    value = sum(integrate.quad(integrand, a, b, epsabs=0, epsrel=1e-13)[0] for a, b in ((-30, 0), (0, 30))) / V
    assert SignChannel().conjugate(q, rho) == pytest.approx(value, rel=1e-12)


def test_inner_loop_entries_equal_the_public_methods():
    for channel in (SignChannel(), ProbitChannel(0.2), NoisySignChannel(0.1), GaussianChannel(0.3), ReluChannel(0.2)):
        q = np.array([0.0, 0.5, 1.0])
        np.testing.assert_allclose(channel.conjugate_interior(q, 1.0), channel.conjugate(q, 1.0), rtol=1e-14)
        np.testing.assert_allclose(channel.free_entropy_interior(q, 1.0), channel.free_entropy(q, 1.0), rtol=1e-14)
