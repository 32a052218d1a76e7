"""The periodic 2-D fast wavelet transform: filters, conventions, orthogonality, gamma, errors."""

import numpy as np
import pytest

from wirg.wavelets import (
    WAVELETS,
    MultiScale,
    analysis_step,
    decompose,
    filters,
    log_jacobian,
    reconstruct,
    scale_normalisation,
    synthesis_step,
)

NAMES = sorted(WAVELETS)
SIZES = (2, 4, 8, 32, 64)
TOL = 1e-12

# Daubechies, Ten Lectures on Wavelets (1992), table 6.1 (N = 4), rescaled to sum sqrt(2)
DB4_TABLE = [
    0.230377813309, 0.714846570553, 0.630880767930, -0.027983769417,
    -0.187034811719, 0.030841381836, 0.032883011667, -0.010597401785,
]  # fmt: skip


def rng(seed=0):
    return np.random.default_rng(seed)


def flatten(ms):
    """(phi_J, psibar_J, ..., psibar_1) of a batch as rows of a matrix."""
    batch = ms.coarse.shape[:-2]
    parts = [ms.coarse.reshape(*batch, -1)] + [d.reshape(*batch, -1) for d in reversed(ms.details)]
    return np.concatenate(parts, axis=-1)


def direct_step(x, wavelet):
    """The defining sums of the module docstring, one coefficient at a time."""
    h, g = filters(wavelet)
    L = x.shape[-1]
    pairs = [(h, h), (h, g), (g, h), (g, g)]  # coarse, c = 0, 1, 2 ; (axis -2, axis -1)
    out = np.zeros((4, L // 2, L // 2), dtype=x.dtype)
    for c, (fy, fx) in enumerate(pairs):
        for k in range(L // 2):
            for l in range(L // 2):
                for n in range(h.size):
                    for m in range(h.size):
                        out[c, k, l] += fy[n] * fx[m] * x[(2 * k + n) % L, (2 * l + m) % L]
    return out[0], out[1:]


# ---------------------------------------------------------------------------------- filters


@pytest.mark.parametrize("wavelet", NAMES)
def test_conjugate_mirror_identities(wavelet):
    h, g = filters(wavelet)
    K = WAVELETS[wavelet]
    assert h.shape == g.shape == (2 * K,)
    assert h.sum() == pytest.approx(np.sqrt(2), abs=1e-15)
    assert g.sum() == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_array_equal(g, (-1.0) ** np.arange(2 * K) * h[::-1])
    for m in range(-K + 1, K):  # even shifts 2m

        def dot(a, b):
            return sum(a[n] * b[n + 2 * m] for n in range(2 * K) if 0 <= n + 2 * m < 2 * K)

        assert dot(h, h) == pytest.approx(float(m == 0), abs=1e-15)
        assert dot(g, g) == pytest.approx(float(m == 0), abs=1e-15)
        assert dot(h, g) == pytest.approx(0.0, abs=1e-15)
        assert dot(g, h) == pytest.approx(0.0, abs=1e-15)
    w = np.linspace(-np.pi, np.pi, 101)

    def hat(f, w):
        return np.exp(-1j * np.outer(w, np.arange(f.size))) @ f

    np.testing.assert_allclose(np.abs(hat(h, w)) ** 2 + np.abs(hat(h, w + np.pi)) ** 2, 2.0, atol=1e-14)
    np.testing.assert_allclose(np.abs(hat(h, w)) ** 2 + np.abs(hat(g, w)) ** 2, 2.0, atol=1e-14)
    # K vanishing moments of the high pass
    n = np.arange(2 * K, dtype=float)
    for k in range(K):
        assert (n**k @ g) == pytest.approx(0.0, abs=1e-10 * (2 * K) ** k)


def test_db4_against_daubechies_table():
    h, _ = filters("db4")
    np.testing.assert_allclose(h, DB4_TABLE, atol=1e-12)
    np.testing.assert_allclose(filters("haar")[0], [2**-0.5, 2**-0.5], rtol=0, atol=1e-16)


def test_filters_are_copies():
    h, g = filters("db4")
    h[:] = 0.0
    g[:] = 0.0
    assert filters("db4")[0].sum() == pytest.approx(np.sqrt(2))


@pytest.mark.parametrize("wavelet", NAMES)
def test_filters_equal_pywavelets(wavelet):
    pywt = pytest.importorskip("pywt")
    h, g = filters(wavelet)
    w = pywt.Wavelet(wavelet)
    np.testing.assert_allclose(h, w.rec_lo, atol=1e-15)
    np.testing.assert_allclose(g, w.rec_hi, atol=1e-15)


# ------------------------------------------------------------------------------ conventions


@pytest.mark.parametrize("wavelet", NAMES)
@pytest.mark.parametrize("L", [2, 4, 6, 16])
def test_step_equals_defining_sums(wavelet, L):
    x = rng(L).standard_normal((L, L))
    coarse, details = analysis_step(x, wavelet)
    ref_coarse, ref_details = direct_step(x, wavelet)
    np.testing.assert_allclose(coarse, ref_coarse, atol=TOL)
    np.testing.assert_allclose(details, ref_details, atol=TOL)


def test_haar_channels_by_hand():
    a, b, c, d = 1.0, 2.0, 5.0, 11.0
    coarse, details = analysis_step([[a, b], [c, d]], "haar")
    assert coarse[0, 0] == pytest.approx((a + b + c + d) / 2)
    assert details[0, 0, 0] == pytest.approx((a - b + c - d) / 2)  # (h on y, g on x)
    assert details[1, 0, 0] == pytest.approx((a + b - c - d) / 2)  # (g on y, h on x)
    assert details[2, 0, 0] == pytest.approx((a - b - c + d) / 2)  # (g, g)


@pytest.mark.parametrize("wavelet", NAMES)
@pytest.mark.parametrize("L", [2, 4, 8, 32])
def test_pywavelets_dwt2_relation(wavelet, L):
    """pywt.dwt2(x, periodization) = our step on x rolled by K - 1 sites, channels (cA, cH, cV, cD) = (coarse, c1, c0, c2)."""
    pywt = pytest.importorskip("pywt")
    K = WAVELETS[wavelet]
    x = rng(L).standard_normal((2, L, L))
    coarse, details = analysis_step(np.roll(x, (K - 1, K - 1), axis=(-2, -1)), wavelet)
    cA, (cH, cV, cD) = pywt.dwt2(x, wavelet, mode="periodization")
    np.testing.assert_allclose(cA, coarse, atol=TOL)
    np.testing.assert_allclose(cH, details[:, 1], atol=TOL)
    np.testing.assert_allclose(cV, details[:, 0], atol=TOL)
    np.testing.assert_allclose(cD, details[:, 2], atol=TOL)


# ------------------------------------------------------------------------------ orthogonality


@pytest.mark.parametrize("wavelet", NAMES)
@pytest.mark.parametrize("L", SIZES)
def test_perfect_reconstruction_and_energy(wavelet, L):
    x = rng(L).standard_normal((2, L, L))
    for levels in sorted({1, int(np.log2(L))}):
        ms = decompose(x, levels, wavelet)
        assert ms.levels == levels and ms.L == L and ms.batch_shape == (2,)
        assert ms.coarse.shape == (2, L >> levels, L >> levels)
        assert [d.shape for d in ms.details] == [(2, 3, L >> j, L >> j) for j in range(1, levels + 1)]
        np.testing.assert_allclose(reconstruct(ms), x, atol=TOL, rtol=0)
        energy = np.sum(ms.coarse**2, axis=(-2, -1)) + sum(np.sum(d**2, axis=(-3, -2, -1)) for d in ms.details)
        np.testing.assert_allclose(energy, np.sum(x**2, axis=(-2, -1)), rtol=1e-13)


@pytest.mark.parametrize("wavelet", NAMES)
@pytest.mark.parametrize("L", [2, 4, 8])
def test_explicit_matrices_are_orthogonal(wavelet, L):
    """Rows of G and Gbar from the identity basis: G G^T = Gbar Gbar^T = I, G Gbar^T = 0; synthesis = transpose."""
    n = L * L
    basis = np.eye(n).reshape(n, L, L)
    coarse, details = analysis_step(basis, wavelet)
    G = coarse.reshape(n, -1).T  # (n/4, n)
    Gbar = details.reshape(n, -1).T  # (3n/4, n)
    np.testing.assert_allclose(G @ G.T, np.eye(n // 4), atol=TOL)
    np.testing.assert_allclose(Gbar @ Gbar.T, np.eye(3 * n // 4), atol=TOL)
    np.testing.assert_allclose(G @ Gbar.T, 0.0, atol=TOL)
    half = L // 2
    unit = np.eye(n).reshape(n, 4, half, half)
    S = synthesis_step(unit[:, 0], unit[:, 1:], wavelet).reshape(n, n)  # rows: images of unit coefficients
    np.testing.assert_allclose(S, np.vstack([G, Gbar]), atol=TOL)


@pytest.mark.parametrize("wavelet", NAMES)
def test_full_transform_is_orthogonal(wavelet):
    L = 8
    basis = np.eye(L * L).reshape(-1, L, L)
    T = flatten(decompose(basis, 3, wavelet)).T
    np.testing.assert_allclose(T @ T.T, np.eye(L * L), atol=TOL)


def test_odd_half_size_step_reconstructs():
    x = rng(6).standard_normal((3, 6, 6))
    coarse, details = analysis_step(x, "db4")
    assert coarse.shape == (3, 3, 3)
    np.testing.assert_allclose(synthesis_step(coarse, details, "db4"), x, atol=TOL)


# -------------------------------------------------------------------------------------- gamma


@pytest.mark.parametrize("wavelet", NAMES)
def test_gamma_scaling(wavelet):
    x = rng(1).standard_normal((2, 16, 16))
    c1, d1 = analysis_step(x, wavelet)
    c, d = analysis_step(x, wavelet, gamma=2.5)
    np.testing.assert_allclose(c, c1 / 2.5, atol=TOL)
    np.testing.assert_allclose(d, d1 / 2.5, atol=TOL)
    np.testing.assert_allclose(synthesis_step(c, d, wavelet, gamma=2.5), x, atol=TOL)
    gammas = (0.5, 2.0, 3.0)
    ms = decompose(x, 3, wavelet, gamma=gammas)
    ref = decompose(x, 3, wavelet)
    assert ms.gamma == gammas and ref.gamma == (1.0, 1.0, 1.0)
    np.testing.assert_allclose(ms.coarse, ref.coarse / 3.0, atol=TOL)
    for j, (d, dref) in enumerate(zip(ms.details, ref.details)):
        np.testing.assert_allclose(d, dref / np.prod(gammas[: j + 1]), atol=TOL)
    np.testing.assert_allclose(reconstruct(ms), x, atol=TOL)
    np.testing.assert_allclose(reconstruct(decompose(x, 2, wavelet, gamma=np.array([1.3, 0.2]))), x, atol=TOL)


@pytest.mark.parametrize("wavelet", NAMES)
@pytest.mark.parametrize("levels, gamma", [(1, 1.0), (1, 1.7), (2, 0.6), (2, (0.7, 1.9))])
def test_log_jacobian_against_slogdet(wavelet, levels, gamma):
    L = 4
    basis = np.eye(L * L).reshape(-1, L, L)
    T = flatten(decompose(basis, levels, wavelet, gamma=gamma)).T
    sign, logdet = np.linalg.slogdet(T)
    assert sign != 0
    assert log_jacobian(L, levels, gamma) == pytest.approx(logdet, abs=1e-12)


def test_log_jacobian_formula():
    assert log_jacobian(8, 3) == 0.0
    g = (2.0, 3.0, 5.0)
    assert log_jacobian(8, 3, g) == pytest.approx(-(64 * np.log(2) + 16 * np.log(3) + 4 * np.log(5)))


def test_scale_normalisation_equalises_variance():
    # a smooth (correlated) field, so that the raw coarse variance grows by ~4 per scale
    x = rng(2).standard_normal((8, 32, 32))
    k = np.fft.fftfreq(32)
    x = np.fft.ifft2(np.fft.fft2(x) / (1.0 + 50 * (k[:, None] ** 2 + k[None, :] ** 2))).real
    gammas = scale_normalisation(x, 4, "db4")
    assert len(gammas) == 4 and all(g > 1.0 for g in gammas)
    ms = decompose(x, 4, "db4", gamma=gammas)
    v0 = np.var(x)
    phi = x
    for j, gam in enumerate(gammas, start=1):
        phi, _ = analysis_step(phi, "db4", gam)
        assert np.var(phi) == pytest.approx(v0, rel=1e-10), j
    np.testing.assert_allclose(ms.coarse, phi, atol=TOL)
    with pytest.raises(ValueError, match="zero variance"):
        scale_normalisation(x[0], 5, "db4")  # a single 1 x 1 coarse value


# --------------------------------------------------------------------------- batches, complex


@pytest.mark.parametrize("wavelet", NAMES)
def test_batching_over_leading_axes(wavelet):
    x = rng(3).standard_normal((2, 3, 8, 8))
    ms = decompose(x, 2, wavelet)
    for i in range(2):
        for k in range(3):
            one = decompose(x[i, k], 2, wavelet)
            np.testing.assert_allclose(ms.coarse[i, k], one.coarse, atol=TOL)
            for d, d1 in zip(ms.details, one.details):
                np.testing.assert_allclose(d[i, k], d1, atol=TOL)
    # non-contiguous and read-only input
    xt = np.swapaxes(x, -1, -2)
    np.testing.assert_allclose(decompose(xt, 2, wavelet).coarse, decompose(xt.copy(), 2, wavelet).coarse, atol=TOL)
    frozen = x.copy()
    frozen.flags.writeable = False
    np.testing.assert_allclose(reconstruct(decompose(frozen, 3, wavelet)), x, atol=TOL)
    # coarse broadcasts against a batch of details
    c, d = analysis_step(x[0], wavelet)
    out = synthesis_step(c[0], d, wavelet)
    assert out.shape == (3, 8, 8)
    for k in range(3):
        np.testing.assert_allclose(out[k], synthesis_step(c[0], d[k], wavelet), atol=TOL)


@pytest.mark.parametrize("wavelet", NAMES)
def test_complex_input_is_linear(wavelet):
    re, im = rng(4).standard_normal((2, 3, 16, 16))
    msc = decompose(re + 1j * im, 3, wavelet)
    msr, msi = decompose(re, 3, wavelet), decompose(im, 3, wavelet)
    assert np.iscomplexobj(msc.coarse)
    np.testing.assert_allclose(msc.coarse, msr.coarse + 1j * msi.coarse, atol=TOL)
    for dc, dr, di in zip(msc.details, msr.details, msi.details):
        assert dc.dtype == np.complex128
        np.testing.assert_allclose(dc, dr + 1j * di, atol=TOL)
    back = reconstruct(msc)
    assert back.dtype == np.complex128
    np.testing.assert_allclose(back, re + 1j * im, atol=TOL)


def test_plane_wave_energy():
    """A complex plane wave keeps its norm (unitarity on complex input)."""
    L = 32
    y, x = np.mgrid[:L, :L]
    wave = np.exp(2j * np.pi * (3 * x + 5 * y) / L)
    ms = decompose(wave, 5, "db4")
    energy = np.sum(np.abs(ms.coarse) ** 2) + sum(np.sum(np.abs(d) ** 2) for d in ms.details)
    assert energy == pytest.approx(L * L, rel=1e-13)


def test_integer_and_float32_input_become_float64():
    x = np.arange(16).reshape(4, 4)
    assert decompose(x, 1, "haar").coarse.dtype == np.float64
    assert decompose(x.astype(np.float32), 1).coarse.dtype == np.float64
    assert decompose(x.astype(np.complex64), 1).coarse.dtype == np.complex128


# ------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda x: decompose(x[:, :6, :6], 1), ValueError, "power of two"),
        (lambda x: decompose(x[:, :, :4], 1), ValueError, "square"),
        (lambda x: decompose(x[0, 0], 1), ValueError, "at least 2 dimensions"),
        (lambda x: decompose(x, 4), ValueError, "too large for field of side L = 8"),
        (lambda x: decompose(x, 0), ValueError, "levels"),
        (lambda x: decompose(x, 1.0), TypeError, "levels"),
        (lambda x: decompose(x, True), TypeError, "levels"),
        (lambda x: decompose(x, 1, "db5"), ValueError, r"\['db4', 'haar'\]"),
        (lambda x: decompose(np.where(x > 1, np.nan, x), 1), ValueError, "finite"),
        (lambda x: decompose(np.where(x > 1, np.inf, x), 1), ValueError, "finite"),
        (lambda x: decompose(x.astype(str), 1), TypeError, "field"),
        (lambda x: decompose(x, 2, gamma=0.0), ValueError, "gamma"),
        (lambda x: decompose(x, 2, gamma=-1.0), ValueError, "gamma"),
        (lambda x: decompose(x, 2, gamma=np.nan), ValueError, "gamma"),
        (lambda x: decompose(x, 2, gamma=(1.0, 2.0, 3.0)), ValueError, "one entry per level"),
        (lambda x: decompose(x, 2, gamma=(1.0, -2.0)), ValueError, "gamma"),
        (lambda x: decompose(x, 2, gamma="1"), TypeError, "gamma"),
        (lambda x: analysis_step(x[:, :5, :5]), ValueError, "even"),
        (lambda x: analysis_step(x, gamma=(1.0,)), TypeError, "gamma"),
        (lambda x: synthesis_step(x[:, :4, :4], np.zeros((3, 3, 4, 4))), ValueError, "leading"),
        (lambda x: synthesis_step(x[:, :4, :4], np.zeros((2, 3, 2, 2))), ValueError, "details"),
        (lambda x: log_jacobian(6, 1), ValueError, "L"),
        (lambda x: log_jacobian(8, 4), ValueError, "too large"),
        (lambda x: log_jacobian(8, 2, gamma=(1.0,)), ValueError, "gamma"),
        (lambda x: reconstruct(x), TypeError, "MultiScale"),
    ],
)
def test_bad_input(call, exc, match):
    x = rng(5).standard_normal((2, 8, 8))
    with pytest.raises(exc, match=match):
        call(x)


def test_multiscale_validates_its_shapes():
    ms = decompose(rng(6).standard_normal((2, 8, 8)), 2)
    with pytest.raises(ValueError, match=r"details\[0\]"):
        MultiScale(ms.coarse, ms.details[::-1], "db4", ms.gamma)
    with pytest.raises(ValueError, match="one entry per level"):
        MultiScale(ms.coarse, ms.details, "db4", (1.0,))
    with pytest.raises(ValueError, match="wavelet"):
        MultiScale(ms.coarse, ms.details, "sym4", ms.gamma)
    with pytest.raises(TypeError, match="details"):
        MultiScale(ms.coarse, (), "db4", ())
    with pytest.raises(ValueError, match="broadcast"):
        MultiScale(ms.coarse, (ms.details[0][:1], ms.details[1][:1].repeat(3, axis=0)), "db4", ms.gamma)
    rebuilt = MultiScale(ms.coarse, list(ms.details), "db4", 1.0)
    assert isinstance(rebuilt.details, tuple) and rebuilt.gamma == (1.0, 1.0)


@pytest.mark.parametrize("wavelet", NAMES)
def test_high_pass_relation_to_guth_et_al(wavelet):
    """g[n] = -gbar[n - 2K + 2] with the gbar[n] of Guth et al. (ICML 2023, appendix A) = (-1)^(1-n) h[1-n], n = 2-2K .. 1."""
    h, g = filters(wavelet)
    K = WAVELETS[wavelet]
    for n in range(2 * K):
        m = n - 2 * K + 2
        gbar = (-1.0) ** (1 - m) * h[1 - m]
        assert g[n] == pytest.approx(-gbar, abs=1e-16)


@pytest.mark.parametrize("wavelet", NAMES)
def test_plane_wave_goes_to_conjugate_filter_response(wavelet):
    """exp(i(wy y + wx x)) -> conj(hat f_y(wy)) conj(hat f_x(wx)) exp(i(2 wy k + 2 wx l)) per channel."""
    h, g = filters(wavelet)
    L = 16
    wy, wx = 2 * np.pi * 3 / L, 2 * np.pi * 13 / L
    y, x = np.mgrid[:L, :L]
    coarse, details = analysis_step(np.exp(1j * (wy * y + wx * x)), wavelet)
    k, l = np.mgrid[: L // 2, : L // 2]
    phase = np.exp(1j * (2 * wy * k + 2 * wx * l))

    def hat(f, w):
        return np.sum(f * np.exp(-1j * w * np.arange(f.size)))

    pairs = [(h, h), (h, g), (g, h), (g, g)]
    for out, (fy, fx) in zip([coarse, *details], pairs):
        np.testing.assert_allclose(out, np.conj(hat(fy, wy) * hat(fx, wx)) * phase, atol=TOL)
