"""The exact Gaussian WIRG: polyphase matrices against the transform, reassembly, dense checks,
generation, condition numbers and bad input."""

import numpy as np
import pytest

from wirg.fields import free_field_spectrum, gaussian_field
from wirg.gaussian import GaussianWIRG, polyphase_matrix
from wirg.wavelets import analysis_step, decompose


def _dense_analysis(L: int, wavelet: str, gamma: float) -> np.ndarray:
    """Rows: (coarse, details c = 0..2) coefficients of phi_j, psibar_j, as a matrix on the fine field."""
    basis = np.eye(L * L).reshape(L * L, L, L)
    coarse, details = analysis_step(basis, wavelet, gamma)
    return np.concatenate([coarse.reshape(L * L, -1), details.reshape(L * L, -1)], axis=1).T


def _circulant(spectrum: np.ndarray) -> np.ndarray:
    """Dense operator with the given spectrum on the L x L FFT grid (kernel = ifft2)."""
    L = spectrum.shape[0]
    kernel = np.fft.ifft2(spectrum).real
    y, x = np.divmod(np.arange(L * L), L)
    return kernel[(y[:, None] - y[None, :]) % L, (x[:, None] - x[None, :]) % L]


@pytest.mark.parametrize("wavelet", ["haar", "db4"])
def test_polyphase_matrix_is_the_transform_on_plane_waves(wavelet):
    L, Lc = 8, 4
    U = polyphase_matrix(Lc, wavelet)
    assert np.allclose(U @ np.conj(np.swapaxes(U, -1, -2)), np.eye(4), atol=1e-14)
    y, x = np.meshgrid(np.arange(L), np.arange(L), indexing="ij")
    for ky in range(Lc):
        for kx in range(Lc):
            for ey in (0, 1):
                for ex in (0, 1):
                    wy, wx = 2 * np.pi * (ky + ey * Lc) / L, 2 * np.pi * (kx + ex * Lc) / L
                    coarse, details = analysis_step(np.exp(1j * (wy * y + wx * x)), wavelet)
                    response = np.r_[coarse[0, 0], details[:, 0, 0]]
                    assert np.allclose(response / 2, U[ky, kx, :, 2 * ey + ex], atol=1e-14)


@pytest.mark.parametrize("wavelet", ["haar", "db4"])
@pytest.mark.parametrize("mass, gamma", [(1.0, 1.0), (0.2, 1.0), (0.2, 1.7)])
def test_reassembled_precision_is_the_input(wavelet, mass, gamma):
    S = free_field_spectrum(32, mass=mass)
    G = GaussianWIRG(S, wavelet=wavelet, gamma=gamma)
    K = G.microscopic_precision()
    assert np.max(np.abs(K - 1 / S)) <= 1e-10 * np.max(1 / S)


def test_massless_precision_keeps_its_zero_mode_in_the_coarsest_field():
    K0 = 1 / free_field_spectrum(16, mass=1.0) - 1.0  # beta khat^2, zero at k = 0
    G = GaussianWIRG(precision=K0)
    assert G.precisions[-1].shape == (1, 1) and abs(G.precisions[-1][0, 0]) < 1e-12
    assert np.allclose(G.microscopic_precision(), K0, atol=1e-10)


@pytest.mark.parametrize("wavelet", ["haar", "db4"])
def test_marginal_conditional_and_free_energy_against_dense_matrices(wavelet):
    L, gamma = 8, 1.3
    S = free_field_spectrum(L, mass=0.4)
    G = GaussianWIRG(S, wavelet=wavelet, levels=2, gamma=gamma)
    W = _dense_analysis(L, wavelet, gamma)  # phi_j, psibar_j = W phi_{j-1}
    Q = np.linalg.inv(W @ np.linalg.inv(_circulant(1 / S)) @ W.T)  # precision of the coefficients
    n = (L // 2) ** 2
    Qll, Qlh, Qhh = Q[:n, :n], Q[:n, n:], Q[n:, n:]
    marginal = Qll - Qlh @ np.linalg.solve(Qhh, Qlh.T)
    scale = G.scales[0]
    assert np.allclose(marginal, _circulant(scale.marginal), atol=1e-10)
    # conditional couplings: Kbar = Q_hh, Kbar' = Q_hl as real-space kernels
    hh, hl = scale.kernels()
    Lc = L // 2
    y, x = np.divmod(np.arange(Lc * Lc), Lc)
    shift = ((y[:, None] - y[None, :]) % Lc, (x[:, None] - x[None, :]) % Lc)  # [k, k'] -> k - k'
    for c in range(3):
        assert np.allclose(Qlh[:, c * n : (c + 1) * n].T, hl[c][shift], atol=1e-10)
        for cp in range(3):
            assert np.allclose(Qhh[c * n : (c + 1) * n, cp * n : (cp + 1) * n], hh[c, cp][shift], atol=1e-10)
    # free energy: -ln int exp(-Ebar) dpsibar = -1/2 phi Q_lh Q_hh^-1 Q_hl phi + 1/2 ln det(Q_hh / 2 pi)
    phi = np.random.default_rng(4).standard_normal((3, L // 2, L // 2))
    flat = phi.reshape(3, -1)
    exact = (
        -0.5 * np.einsum("ni,ij,nj->n", flat, Qlh @ np.linalg.solve(Qhh, Qlh.T), flat)
        + 0.5 * np.linalg.slogdet(Qhh / (2 * np.pi))[1]
    )
    assert np.allclose(scale.free_energy(phi), exact, rtol=1e-10, atol=1e-10)


def test_generated_fields_have_the_exact_spectrum():
    L, n = 32, 400
    S = free_field_spectrum(L, mass=0.3)
    fields = GaussianWIRG(S, wavelet="db4").sample(n, seed=3)
    power = np.mean(np.abs(np.fft.fft2(fields)) ** 2, axis=0) / L**2
    # |phi_hat|^2 / L^2 is exponential (chi^2_2 / 2) with mean S for complex modes: standardised mean ~ N(0, 1)
    z = (power / S - 1) * np.sqrt(n)
    assert abs(np.mean(z)) < 4 / np.sqrt(z.size / 2) and np.max(np.abs(z)) < 6
    # and the marginal of phi_1 from the decomposition of independent exact samples
    coarse = decompose(gaussian_field(S, L, n, seed=5), 1, "db4").coarse
    power1 = np.mean(np.abs(np.fft.fft2(coarse)) ** 2, axis=0) / (L // 2) ** 2
    z1 = (power1 * GaussianWIRG(S, wavelet="db4").precisions[1] - 1) * np.sqrt(n)
    assert np.max(np.abs(z1)) < 6


def test_condition_numbers_at_criticality_and_away():
    # massless: the microscopic precision and the direct Fisher matrix degrade like L^2, the per-scale
    # conditional precisions stay bounded; with a mass everything is bounded
    full, direct, conditional = [], [], []
    for L in (16, 32, 64):
        cn = GaussianWIRG(free_field_spectrum(L, mass=0.0, zero_mode=1.0)).condition_numbers()
        full.append(cn.full)
        direct.append(cn.fisher_direct)
        conditional.append(max(cn.conditional))
    assert 3.6 < full[2] / full[1] < 4.4 and 3.6 < direct[2] / direct[1] < 4.4
    assert max(conditional) < 10 and conditional[2] / conditional[1] < 1.1
    massive = [GaussianWIRG(free_field_spectrum(L, mass=1.0)).condition_numbers() for L in (16, 64)]
    assert massive[1].full == pytest.approx(massive[0].full) == pytest.approx(9.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(spectrum=np.ones((12, 12))), "power of two"),
        (dict(spectrum=np.ones((8, 8)), levels=4), "levels"),
        (dict(spectrum=-np.ones((8, 8))), "spectrum must be > 0"),
        (dict(spectrum=np.full((8, 8), np.nan)), "finite"),
        (dict(spectrum=np.ones((8, 4))), "L x L"),
        (dict(spectrum=np.ones((8, 8)), L=16), "L = 16"),
        (dict(precision=np.zeros((8, 8))), "precision must be > 0"),
        (dict(spectrum=np.ones((8, 8)), precision=np.ones((8, 8))), "exactly one"),
        (dict(spectrum=np.arange(64.0).reshape(8, 8) + 1), "symmetric"),
        (dict(spectrum=np.ones((8, 8)), wavelet="db2"), "wavelet"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GaussianWIRG(**kwargs)


@pytest.mark.parametrize("L, radius", [(2, 1), (8, 4), (8, 5), (16, 8)])
def test_condition_numbers_refuse_a_radius_the_lattice_cannot_hold(L, radius):
    # on a side <= 2 radius the shifts |D| <= radius alias: the direct Fisher matrix is singular and the old
    # eigenvalue ratio was rounding noise of either sign (-6.4e15 at L = 8, radius 5; 1.8e17 at L = 2, radius 1)
    solved = GaussianWIRG(free_field_spectrum(L, mass=0.0, zero_mode=1.0))
    with pytest.raises(ValueError, match=f"radius = {radius} does not fit the L = {L} lattice"):
        solved.condition_numbers(radius)


def test_condition_numbers_are_at_least_one_and_say_why_one_is_undefined():
    for L in (2, 4, 8, 16):
        solved = GaussianWIRG(free_field_spectrum(L, mass=0.0, zero_mode=1.0))
        for radius in range((L - 1) // 2 + 1):
            cn = solved.condition_numbers(radius)
            defined = [f for f in cn.fisher_conditional if not np.isnan(f)]
            assert min(cn.full, cn.fisher_direct, *cn.conditional, *defined) >= 1.0
            for scale, value, reason in zip(solved.scales, cn.fisher_conditional, cn.fisher_conditional_reason):
                assert (reason is None) == (scale.L > 2 * radius) == (not np.isnan(value))
                if reason is not None:
                    assert f"L_j = {scale.L}" in reason and "\n" not in reason


def test_memory_is_bounded_before_allocating(monkeypatch):
    import tracemalloc

    import wirg.checks

    # the whole solve at L = 4096 (~5 GB) is refused from a read-only broadcast view, before any work
    with pytest.raises(ValueError, match="GiB of memory"):
        GaussianWIRG(np.broadcast_to(1.0, (4096, 4096)))
    # the estimate of the conditional Fisher matrices bounds their measured peak, within a factor 1.5
    solved = GaussianWIRG(free_field_spectrum(64, mass=0.0, zero_mode=1.0))
    tracemalloc.start()
    solved.condition_numbers(1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    monkeypatch.setattr(wirg.checks, "MAX_BYTES", peak)
    with pytest.raises(ValueError, match="radius: the conditional Fisher matrices") as refused:
        solved.condition_numbers(1)
    estimate = float(str(refused.value).split("about ")[1].split(" GiB")[0]) * 2**30
    assert peak < estimate < 1.5 * peak
    monkeypatch.setattr(wirg.checks, "MAX_BYTES", 1.5 * peak)
    solved.condition_numbers(1)
