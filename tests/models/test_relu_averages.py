"""ReLU Gaussian averages (statlearn.models.relu_averages) against independent references.

References: mpmath 1-D quadratures after an analytic reduction (I2, J2, I3, E Theta relu^2),
elementary 3-field closed forms obtained with Stein's lemma (E Theta relu relu, E Theta Theta relu^2),
a float64 Stein decomposition of I4 with the orthant probability P4 from Plackett's identity
(scipy quad), 40-digit values of the same decomposition for near-singular correlations, and plain
Monte Carlo for the full arrays.
"""

import warnings

import mpmath as mp
import numpy as np
import pytest
from scipy.integrate import quad

from statlearn.models import relu_averages
from statlearn.models.activations import get_activation
from statlearn.models.relu_averages import theta_theta_relu_relu

ACT = get_activation("relu")
TWO_PI = 2 * np.pi


def wishart(n, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n + 2)) * scale
    return A @ A.T / (n + 2)


def corr(C):
    d = np.sqrt(np.diag(C))
    R = C / np.outer(d, d)
    np.fill_diagonal(R, 1.0)
    return R


def student_teacher_C(K, M, seed, copies):
    """Overlaps of students whose weight vectors equal given teachers' (copies: student -> teacher).

    Built elementwise, so that equal vectors give bit-identical overlaps (C exactly singular).
    """
    rng = np.random.default_rng(seed)
    N = 20
    X = rng.standard_normal((K + M, N)) / np.sqrt(N)
    for k, m in copies.items():
        X[k] = X[K + m]
    return (X[:, None, :] * X[None, :, :]).sum(-1)


@pytest.fixture(autouse=True)
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# -- independent references ---------------------------------------------------------------------

mp.mp.dps = 30
_phi = mp.npdf
_Phi = mp.ncdf


def _split(C, a, b):
    """(s_a, s_b, rho, sigma): u_a = s_a z, u_b = s_b (rho z + sigma w)."""
    sa, sb = mp.sqrt(C[a][a]), mp.sqrt(C[b][b])
    rho = C[a][b] / (sa * sb)
    return sa, sb, rho, mp.sqrt(1 - rho**2)


def ref_i2(C, a, b):
    """E relu(u_a) relu(u_b) = s_a s_b int_0^inf phi(z) z E relu(rho z + sigma w) dz."""
    C = [[mp.mpf(x) for x in row] for row in C]
    sa, sb, rho, sig = _split(C, a, b)

    def Er(m):
        return m * _Phi(m / sig) + sig * _phi(m / sig)  # E relu(m + sig w)

    return sa * sb * mp.quad(lambda z: _phi(z) * z * Er(rho * z), [0, mp.inf])


def ref_j2(C, a, b):
    C = [[mp.mpf(x) for x in row] for row in C]
    _, _, rho, sig = _split(C, a, b)
    return mp.quad(lambda z: _phi(z) * _Phi(rho * z / sig), [0, mp.inf])


def ref_theta_relu_sq(C, a, b):
    """E Theta(u_a) relu(u_b)^2, with E relu(m + s w)^2 = (m^2 + s^2) Phi(m/s) + m s phi(m/s)."""
    C = [[mp.mpf(x) for x in row] for row in C]
    _, sb, rho, sig = _split(C, a, b)

    def Er2(m):
        return (m**2 + sig**2) * _Phi(m / sig) + m * sig * _phi(m / sig)  # E relu(m + sig w)^2

    return sb**2 * mp.quad(lambda z: _phi(z) * Er2(rho * z), [0, mp.inf])


def ref_i3(C, a, b, c):
    """E Theta(u_a) u_b relu(u_c): condition on u_a = s_a z; given z, E[u_b relu(u_c)] is elementary.

    E[u_b relu(u_c) | z] = m_b E relu(u_c) + Cov(u_b, u_c | z) P(u_c > 0), with
    E relu(m + s w) = m Phi(m/s) + s phi(m/s) (requires u_c not a multiple of u_a).
    """
    C = [[mp.mpf(x) for x in row] for row in C]
    sa = mp.sqrt(C[a][a])
    cbc = C[b][c] - C[a][b] * C[a][c] / C[a][a]
    sc = mp.sqrt(C[c][c] - C[a][c] ** 2 / C[a][a])

    def f(z):
        mb, mc = C[a][b] / sa * z, C[a][c] / sa * z
        Er = mc * _Phi(mc / sc) + sc * _phi(mc / sc)
        return _phi(z) * (mb * Er + cbc * _Phi(mc / sc))

    return mp.quad(f, [0, mp.inf])


def _mp_cond(S, idx, given):
    A = mp.matrix([[S[i, j] for j in idx] for i in idx])
    B = mp.matrix([[S[i, j] for j in given] for i in idx])
    G = mp.matrix([[S[i, j] for j in given] for i in given])
    return A - B * mp.inverse(G) * B.T


def _mp_theta_relu(S):
    """E Theta(y0) relu(y1) = sqrt(S11) (1 + rho) / (2 sqrt(2 pi))."""
    return mp.sqrt(S[1, 1]) * (1 + S[0, 1] / mp.sqrt(S[0, 0] * S[1, 1])) / (2 * mp.sqrt(2 * mp.pi))


def _mp_p3(S):
    def r(i, j):
        return S[i, j] / mp.sqrt(S[i, i] * S[j, j])

    return mp.mpf(1) / 8 + (mp.asin(r(0, 1)) + mp.asin(r(0, 2)) + mp.asin(r(1, 2))) / (4 * mp.pi)


def ref_theta_relu_relu(C, a, c, d):
    """E Theta(u_a) relu(u_c) relu(u_d) (Stein's lemma on u_c), nonsingular 3 x 3 covariance."""
    S = mp.matrix([[mp.mpf(C[i][j]) for j in (a, c, d)] for i in (a, c, d)])
    t0 = S[1, 0] / mp.sqrt(2 * mp.pi * S[0, 0]) * _mp_theta_relu(_mp_cond(S, [1, 2], [0]))
    t1 = S[1, 1] / mp.sqrt(2 * mp.pi * S[1, 1]) * _mp_theta_relu(_mp_cond(S, [0, 2], [1]))
    return t0 + t1 + S[1, 2] * _mp_p3(S)


def ref_theta_theta_relu_sq(C, a, b, c):
    """E Theta(u_a) Theta(u_b) relu(u_c)^2 (Stein's lemma on u_c), nonsingular 3 x 3 covariance."""
    S = mp.matrix([[mp.mpf(C[i][j]) for j in (a, b, c)] for i in (a, b, c)])
    t0 = S[2, 0] / mp.sqrt(2 * mp.pi * S[0, 0]) * _mp_theta_relu(_mp_cond(S, [1, 2], [0]))
    t1 = S[2, 1] / mp.sqrt(2 * mp.pi * S[1, 1]) * _mp_theta_relu(_mp_cond(S, [0, 2], [1]))
    return S[2, 2] * _mp_p3(S) + t0 + t1


def _cond(S, idx, given):
    idx, given = list(idx), list(given)
    B = S[np.ix_(idx, given)]
    return S[np.ix_(idx, idx)] - B @ np.linalg.solve(S[np.ix_(given, given)], B.T)


def _p2(S2):
    return 0.25 + np.arcsin(S2[0, 1] / np.sqrt(S2[0, 0] * S2[1, 1])) / TWO_PI


def _theta_theta_relu(S3):
    """E Theta(y0) Theta(y1) relu(y2) = sum_j S_2j phi(0; S_jj) P2(others | y_j = 0)."""
    out = 0.0
    for j in range(3):
        others = [k for k in range(3) if k != j]
        out += S3[2, j] / np.sqrt(TWO_PI * S3[j, j]) * _p2(_cond(S3, others, [j]))
    return out


def ref_orthant4(R):
    """P(u > 0) for a 4 x 4 correlation matrix: Plackett's identity along (1 - t) 1 + t R."""
    pairs = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]

    def f(t):
        S = np.eye(4) + t * (R - np.eye(4))
        tot = 0.0
        for i, j in pairs:
            k, l = [m for m in range(4) if m not in (i, j)]
            tot += R[i, j] / (TWO_PI * np.sqrt(1 - S[i, j] ** 2)) * _p2(_cond(S, [k, l], [i, j]))
        return tot

    return 1 / 16 + quad(f, 0, 1, epsabs=1e-14, epsrel=1e-13, limit=200)[0]


def ref_ttrr(R):
    """E Theta0 Theta1 relu2 relu3 by Stein's lemma on u_2: sum_j R_2j E[d_j(...)] + R_23 P4 (generic R)."""
    out = R[2, 3] * ref_orthant4(R)
    for j, rest in [(0, (1, 2, 3)), (1, (0, 2, 3)), (2, (0, 1, 3))]:
        out += R[2, j] / np.sqrt(TWO_PI) * _theta_theta_relu(_cond(R, rest, [j]))
    return out


def monte_carlo(C, rows, n_samples, seed, chunk=200_000):
    """Means and standard errors of all four averages from samples of u ~ N(0, C).

    Products are summed with einsum rather than BLAS matmul (multithreaded BLAS on a loaded
    machine can be orders of magnitude slower for these tall-skinny products).
    """
    rng = np.random.default_rng(seed)
    w, V = np.linalg.eigh(C)
    F = V * np.sqrt(np.clip(w, 0.0, None))
    n = C.shape[0]
    sums = {}

    def add(key, x, y=None):
        if y is None:
            m, m2 = x.sum(0), (x * x).sum(0)
        else:
            m, m2 = np.einsum("si,sj->ij", x, y), np.einsum("si,sj->ij", x * x, y * y)
        s, s2 = sums.get(key, (0.0, 0.0))
        sums[key] = (s + m, s2 + m2)

    for _ in range(n_samples // chunk):
        u = np.einsum("sj,ij->si", rng.standard_normal((chunk, n)), F)
        th = (u[:, :rows] > 0).astype(float)
        re = np.maximum(u, 0.0)
        tt = (th[:, :, None] * th[:, None, :]).reshape(chunk, -1)
        rr = (re[:, :, None] * re[:, None, :]).reshape(chunk, -1)
        add("I4", tt, rr)
        add("I3", (th[:, :, None] * u[:, None, :]).reshape(chunk, -1), re)
        add("I2", rr)
        add("J2", tt)
    out = {}
    for key, (s, s2) in sums.items():
        mean = s / n_samples
        out[key] = (mean, np.sqrt(np.maximum(s2 / n_samples - mean**2, 0.0) / n_samples))
    return out


# -- basic definitions and identities -----------------------------------------------------------


def test_g_dg_and_registration_attributes():
    x = np.array([-1.5, -0.0, 0.0, 2.0])
    assert np.array_equal(ACT.g(x), [0.0, 0.0, 0.0, 2.0])
    assert np.array_equal(ACT.dg(x), [0.0, 0.0, 0.0, 1.0])  # Theta(0) = 0
    assert ACT.name == "relu" and ACT.code == 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_diagonal_identities_and_scaling(seed):
    C = wishart(5, seed, scale=1.3)
    av = ACT.averages(C, rows=3)
    assert np.allclose(np.diag(av.I2), np.diag(C) / 2, rtol=1e-15, atol=0)
    assert np.allclose(np.diag(av.J2), 0.5, rtol=0, atol=1e-15)
    s = 2.7
    av2 = ACT.averages(s * C, rows=3)
    assert np.allclose(av2.I2, s * av.I2, rtol=1e-13, atol=1e-15)
    assert np.allclose(av2.I3, s * av.I3, rtol=1e-13, atol=1e-15)
    assert np.allclose(av2.I4, s * av.I4, rtol=1e-12, atol=1e-15)
    assert np.allclose(av2.J2, av.J2, rtol=1e-14, atol=1e-15)
    # symmetries
    assert np.allclose(av.I2, av.I2.T, rtol=0, atol=0)
    assert np.array_equal(av.I4, np.swapaxes(av.I4, 0, 1))
    assert np.array_equal(av.I4, np.swapaxes(av.I4, 2, 3))
    assert av.I3.shape == (3, 5, 5) and av.I4.shape == (3, 3, 5, 5) and av.J2.shape == (3, 3)


def test_batched_equals_loop():
    Cs = np.stack([wishart(4, s) for s in range(6)]).reshape(2, 3, 4, 4)
    av = ACT.averages(Cs, rows=2)
    for i in range(2):
        for j in range(3):
            one = ACT.averages(Cs[i, j], rows=2)
            for x, y in zip(av, one):
                assert np.allclose(x[i, j], y, rtol=1e-14, atol=1e-16)


# -- I2, J2, I3 against 1-D quadratures ---------------------------------------------------------


@pytest.mark.parametrize("seed", [3, 4])
def test_i2_j2_against_1d_quadrature(seed):
    C = wishart(3, seed, scale=1.4)
    C[0, 1] = C[1, 0] = -0.8 * np.sqrt(C[0, 0] * C[1, 1])  # a strongly anti-correlated pair
    C[0, 2] = C[2, 0] = 0.999 * np.sqrt(C[0, 0] * C[2, 2])
    C[1, 2] = C[2, 1] = -0.79 * np.sqrt(C[1, 1] * C[2, 2])
    assert np.all(np.linalg.eigvalsh(C) > 0)
    I2, J2 = ACT.i2(C), ACT.j2(C, 3)
    for a, b in [(0, 1), (0, 2), (1, 2)]:
        assert I2[a, b] == pytest.approx(float(ref_i2(C, a, b)), rel=1e-13, abs=1e-15)
        assert J2[a, b] == pytest.approx(float(ref_j2(C, a, b)), rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("seed", [5, 6])
def test_i3_against_1d_quadrature(seed):
    C = wishart(4, seed, scale=1.2)
    I3 = ACT.i3(C, 2)
    for a, b, c in [(0, 1, 2), (1, 3, 2), (0, 2, 3), (1, 0, 0), (0, 3, 1)]:
        assert I3[a, b, c] == pytest.approx(float(ref_i3(C, a, b, c)), rel=1e-12, abs=1e-15)
    # coinciding indices: b = a gives I2[a, c], c = a gives C_ab / 2
    I2 = ACT.i2(C)
    for a in range(2):
        assert np.allclose(I3[a, a, :], I2[a, :], rtol=1e-13, atol=0)
        assert np.allclose(I3[a, :, a], C[a, :] / 2, rtol=1e-13, atol=1e-16)


# -- I4: generic correlations against the Stein decomposition ------------------------------------


@pytest.mark.parametrize("seed", range(7, 12))
def test_i4_generic_against_stein_plackett(seed):
    R = corr(wishart(4, seed))
    assert theta_theta_relu_relu(R) == pytest.approx(ref_ttrr(R), abs=1e-12)


def test_orthant_reference_sanity():
    R = np.full((4, 4), 0.5)
    np.fill_diagonal(R, 1.0)
    assert ref_orthant4(R) == pytest.approx(0.2, abs=1e-13)  # P4 = 1/(n + 1) for rho = 1/2


@pytest.mark.parametrize("seed", [12, 13])
def test_i4_array_against_stein_plackett_and_closed_forms(seed):
    C = wishart(5, seed, scale=0.8)
    rows = 2
    I4 = ACT.i4(C, rows)
    s = np.sqrt(np.diag(C))
    for a, b, c, d in [(0, 1, 2, 3), (1, 0, 4, 2), (0, 1, 3, 3)]:
        if c == d:
            ref = float(ref_theta_theta_relu_sq(C, a, b, c))
        else:
            ref = s[c] * s[d] * ref_ttrr(corr(C[np.ix_((a, b, c, d), (a, b, c, d))]))
        assert I4[a, b, c, d] == pytest.approx(ref, rel=1e-11, abs=1e-14)
    # coinciding indices
    I2 = ACT.i2(C)
    for k in range(rows):
        for c, d in [(2, 3), (3, 4), (1 - k, 4)]:  # I4[k, k, c, d] = E Theta relu relu
            assert I4[k, k, c, d] == pytest.approx(float(ref_theta_relu_relu(C, k, c, d)), rel=1e-11)
        for d in range(5):
            assert I4[k, k, k, d] == pytest.approx(I2[k, d], rel=1e-14)  # Theta(a) relu(a) = relu(a)
        for c in range(2, 5):
            assert I4[k, k, c, c] == pytest.approx(float(ref_theta_relu_sq(C, k, c)), rel=1e-13)
            # I4[a, b, a, d] = E Theta(b) relu(a) relu(d)
            assert I4[k, 1 - k, k, c] == pytest.approx(float(ref_theta_relu_relu(C, 1 - k, k, c)), rel=1e-11)
        assert I4[k, 1 - k, k, k] == pytest.approx(float(ref_theta_relu_sq(C, 1 - k, k)), rel=1e-13)
    assert I4[0, 1, 0, 1] == pytest.approx(I2[0, 1], rel=1e-14)


# -- I4: singular and near-singular covariances ---------------------------------------------------


SINGULAR = {
    # student -> teacher copies: [(I4 index, reference(C, I2))]; fields 0, 1 students, 2, 3 teachers
    "s0=t0": (
        {0: 0},
        [
            ((0, 1, 2, 3), lambda C, I2: ref_theta_relu_relu(C, 1, 0, 3)),  # Theta0 relu2 = relu0
            ((0, 1, 2, 2), lambda C, I2: ref_theta_relu_sq(C, 1, 0)),
            ((1, 1, 0, 2), lambda C, I2: ref_theta_relu_sq(C, 1, 0)),
            ((0, 1, 1, 2), lambda C, I2: I2[0, 1]),
            ((0, 0, 2, 3), lambda C, I2: I2[0, 3]),
        ],
    ),
    "s0=t0,s1=t1": (
        {0: 0, 1: 1},
        [
            ((0, 1, 2, 3), lambda C, I2: I2[0, 1]),  # rank 2
            ((0, 1, 2, 2), lambda C, I2: ref_theta_relu_sq(C, 1, 0)),
            ((0, 0, 2, 3), lambda C, I2: I2[0, 1]),
            ((0, 0, 1, 3), lambda C, I2: ref_theta_relu_sq(C, 0, 1)),
        ],
    ),
    "s0=s1=t1": (
        {0: 1, 1: 1},
        [
            ((0, 1, 2, 3), lambda C, I2: I2[0, 2]),
            ((0, 1, 3, 3), lambda C, I2: C[0, 0] / 2),
            ((0, 0, 1, 2), lambda C, I2: I2[0, 2]),
            ((0, 1, 2, 2), lambda C, I2: ref_theta_relu_sq(C, 0, 2)),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_singular_students_equal_teachers(name):
    """Students identical to teachers (C has zero eigenvalues, distinct indices): exact reductions."""
    copies, checks = SINGULAR[name]
    C = student_teacher_C(2, 2, 20, copies)
    assert np.linalg.eigvalsh(C)[0] < 1e-15
    av = ACT.averages(C, rows=2)
    assert all(np.all(np.isfinite(x)) for x in av)
    for k, m in copies.items():
        assert av.I2[k, 2 + m] == pytest.approx(C[k, k] / 2, rel=1e-14)
    for index, ref in checks:
        assert av.I4[index] == pytest.approx(float(ref(C, av.I2)), rel=1e-11, abs=1e-14), index


# 40-digit values of the Stein decomposition of ref_ttrr evaluated in mpmath arithmetic (P4 by
# Plackett's identity, mpmath quad with the interval split at 1 - 10^-k, k = 1, 3, .., 29), for
# the correlation matrices made by near_singular()
NEAR_SINGULAR = {
    ("theta_pair", 1e-06, 11): 0.03697824201491413,
    ("theta_anti", 1e-05, 12): 1.1522618560537591e-07,
    ("student_teacher", 1e-05, 13): 0.2568081477695739,
    ("relu_pair", 1e-06, 14): 0.018242954533193148,
    ("triple", 1e-06, 15): 0.05445399717228011,
}


def unit_rows(V):
    return V / np.sqrt((V * V).sum(-1, keepdims=True))


def near_singular(pattern, eps, seed):
    rng = np.random.default_rng(seed)
    V = unit_rows(rng.standard_normal((4, 4)))
    W = rng.standard_normal((4, 4))
    if pattern == "theta_pair":  # u_a ~ u_b
        V[1] = V[0] + eps * W[1]
    elif pattern == "theta_anti":  # u_a ~ -u_b
        V[1] = -V[0] + eps * W[1]
    elif pattern == "student_teacher":  # u_a ~ u_c and u_b ~ u_d
        V[2] = V[0] + eps * W[2]
        V[3] = V[1] + eps * W[3]
    elif pattern == "relu_pair":  # u_c ~ u_d
        V[3] = V[2] + eps * W[3]
    elif pattern == "triple":  # u_c ~ a combination of u_a, u_b
        V[2] = 0.6 * V[0] + 0.8 * V[1] + eps * W[2]
    V = unit_rows(V)
    R = (V[:, None, :] * V[None, :, :]).sum(-1)
    R[np.arange(4), np.arange(4)] = 1.0
    return R


@pytest.mark.parametrize("key", sorted(NEAR_SINGULAR))
def test_i4_near_singular_against_40_digit_values(key):
    assert theta_theta_relu_relu(near_singular(*key)) == pytest.approx(NEAR_SINGULAR[key], abs=1e-12)


@pytest.mark.parametrize(
    "pattern,ref",
    [
        ("theta_pair", lambda R: ref_theta_relu_relu(R, 0, 2, 3)),
        ("student_teacher", lambda R: ref_arccos(R[0, 1])),
        ("relu_pair", lambda R: ref_theta_theta_relu_sq(R, 0, 1, 2)),
        ("theta_anti", lambda R: 0.0),
    ],
)
def test_i4_exactly_singular_limits(pattern, ref):
    """eps = 0: the quadrature on an exactly singular R against the reduced elementary average."""
    R = near_singular(pattern, 0.0, 30)
    assert theta_theta_relu_relu(R) == pytest.approx(float(ref(R)), abs=1e-12)


def ref_arccos(r):
    r = mp.mpf(r)
    return (mp.sqrt(1 - r**2) + r * (mp.pi - mp.acos(r))) / (2 * mp.pi)


def test_i4_continuity_towards_singular():
    R0 = near_singular("triple", 0.0, 31)
    g0 = theta_theta_relu_relu(R0)
    for eps in [1e-4, 1e-6, 1e-8]:
        assert abs(theta_theta_relu_relu(near_singular("triple", eps, 31)) - g0) < 10 * eps


def test_zero_variance_unit():
    """A student with zero weights: its field is identically 0, every average involving it is 0."""
    C = wishart(4, 40)
    C[1, :] = 0.0
    C[:, 1] = 0.0
    av = ACT.averages(C, rows=2)
    assert all(np.all(np.isfinite(x)) for x in av)
    assert np.all(av.I2[1] == 0) and np.all(av.J2[1] == 0) and np.all(av.J2[:, 1] == 0)
    assert np.all(av.I3[1] == 0) and np.all(av.I3[:, 1] == 0) and np.all(av.I3[:, :, 1] == 0)
    assert np.all(av.I4[1] == 0) and np.all(av.I4[:, :, 1] == 0)
    keep = [0, 2, 3]
    sub = ACT.averages(C[np.ix_(keep, keep)], rows=1)
    assert np.allclose(av.I4[0, 0][np.ix_(keep, keep)], sub.I4[0, 0], rtol=1e-14)
    assert np.allclose(av.I3[0][np.ix_(keep, keep)], sub.I3[0], rtol=1e-14)


# -- everything against Monte Carlo ---------------------------------------------------------------


@pytest.mark.parametrize("case", ["wishart_a", "wishart_b", "student_is_teacher"])
def test_all_averages_against_monte_carlo(case):
    """Full arrays (all index combinations, repeated ones included) against 2e6 samples, 5 sigma."""
    K = M = 2
    if case == "wishart_a":
        C = wishart(K + M, 50, scale=1.1)
    elif case == "wishart_b":
        C = wishart(K + M, 53, scale=0.6)
    else:
        C = student_teacher_C(K, M, 51, {0: 1})
    av = ACT.averages(C, rows=K)
    mc = monte_carlo(C, K, 2_000_000, seed=52)
    ours = {"I4": av.I4.reshape(K * K, -1), "I3": av.I3.reshape(K * (K + M), -1)}
    ours.update(I2=av.I2.ravel(), J2=av.J2.ravel())
    for key, value in ours.items():
        mean, se = mc[key]
        assert np.all(np.abs(value - mean) <= 5 * se + 1e-12), key


def test_four_field_function_on_covariances_and_bad_input():
    C = wishart(4, 60, scale=1.7)
    assert theta_theta_relu_relu(C) == pytest.approx(ACT.i4(C, 2)[0, 1, 2, 3], rel=1e-14)
    assert theta_theta_relu_relu(np.stack([C, 3 * C])) == pytest.approx([1, 3] * theta_theta_relu_relu(C), rel=1e-12)
    bad = np.stack([C, C])
    bad[1, 0, 2] = np.nan
    with pytest.raises(ValueError, match="C must be finite"):  # the Activation checks its input
        ACT.averages(bad, rows=2)
    # the formulas themselves mark only the bad batch element (the ODE never passes one)
    for x in (relu_averages.i2(bad), relu_averages.i3(bad, 2), relu_averages.i4(bad, 2), relu_averages.j2(bad, 2)):
        assert np.all(np.isnan(x[1])) and np.all(np.isfinite(x[0]))
