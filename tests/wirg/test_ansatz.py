"""The conditional energy ansatz: features against energies, gradients and kernels; the local ansatz; bad input.

Reference case: the ``exact_case`` fixture of conftest.py."""

import numpy as np
import pytest

from wirg.ansatz import LocalAnsatz, PolynomialPotential, QuadraticAnsatz
from wirg.fields import free_field_spectrum

# ---------------------------------------------------------------------------------- the ansatz


@pytest.mark.parametrize("wavelet, gamma", [("db4", 1.3), ("haar", 1.0)])
def test_energy_is_theta_dot_features_and_gradient_matches_finite_differences(wavelet, gamma):
    rng = np.random.default_rng(0)
    ansatz = QuadraticAnsatz(1, potential=PolynomialPotential((2, 4)), wavelet=wavelet, gamma=gamma)
    assert ansatz.n_params == 3 * 5 + 3 * 9 + 3 * 9 + 2
    theta = rng.normal(size=ansatz.n_params)
    psi, phi = rng.normal(size=(2, 3, 6, 6)), rng.normal(size=(2, 6, 6))
    energy, grad = ansatz.operator(theta, 6).energy_and_grad(psi, phi)
    assert np.allclose(energy, ansatz.features(psi, phi) @ theta, rtol=1e-12)
    assert np.allclose(energy, ansatz.energy(theta, psi, phi), rtol=1e-12)
    eps = 1e-5
    for index in [(0, 0, 0, 0), (1, 2, 3, 4), (0, 1, 5, 2)]:
        step = np.zeros_like(psi)
        step[index] = eps
        numeric = (ansatz.energy(theta, psi + step, phi) - ansatz.energy(theta, psi - step, phi))[index[0]] / (2 * eps)
        assert numeric == pytest.approx(ansatz.grad_psibar(theta, psi, phi)[index], rel=1e-7, abs=1e-7)


def test_quadratic_energy_equals_the_kernel_convention():
    """E = 1/2 sum psi_c(k+D) K[c,c',D] psi_c'(k) + sum psi_c(k+D) K'[c,D] phi(k), summed directly."""
    rng = np.random.default_rng(1)
    ansatz = QuadraticAnsatz(2)
    theta = rng.normal(size=ansatz.n_params)
    n = 6
    K, Kp = ansatz.kernels(theta, n)
    assert np.array_equal(K, np.roll(K.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1], (1, 1), axis=(-2, -1)))
    psi, phi = rng.normal(size=(3, n, n)), rng.normal(size=(n, n))
    direct = 0.0
    for dy in range(n):
        for dx in range(n):
            shifted = np.roll(psi, (-dy, -dx), axis=(-2, -1))
            direct += 0.5 * np.einsum("ayx,ab,byx->", shifted, K[:, :, dy, dx], psi)
            direct += np.einsum("ayx,a,yx->", shifted, Kp[:, dy, dx], phi)
    assert ansatz.energy(theta, psi, phi)[0] == pytest.approx(direct, rel=1e-12)
    assert np.array_equal(ansatz.from_kernels(K, Kp), theta)


def test_from_kernels_reproduces_the_exact_conditional_when_it_has_the_stencil_range(exact_case):
    _, scale = exact_case(16)
    assert scale.coupling_range(1e-12) == 1
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    Khat, Kphat = ansatz.fourier_kernels(ansatz.from_kernels(*scale.kernels()), scale.L)
    assert np.abs(Khat - scale.coupling).max() < 1e-12
    assert np.abs(Kphat - scale.cross_coupling).max() < 1e-12
    # the exact conditional mean has zero gradient
    rng = np.random.default_rng(2)
    phi = rng.normal(size=(scale.L, scale.L))
    mean = np.fft.ifft2(np.moveaxis(scale.mean_operator * np.fft.fft2(phi)[..., None], -1, 0)).real
    theta = ansatz.from_kernels(*scale.kernels())
    assert np.abs(ansatz.grad_psibar(theta, mean, phi)).max() < 1e-12


def test_local_ansatz_energy_gradient_and_free_field_parameters():
    rng = np.random.default_rng(3)
    ansatz = LocalAnsatz(1)
    L, mass = 8, 0.5
    theta = ansatz.from_precision(1.0 / free_field_spectrum(L, mass))
    assert np.allclose(theta, [mass**2 + 4, -2, 0, -2, 0], atol=1e-12)  # shifts (0,0),(0,1),(1,-1),(1,0),(1,1)
    phi = rng.normal(size=(2, L, L))
    energy, grad = ansatz.operator(theta, L).energy_and_grad(phi)
    lap = sum(np.roll(phi, s, axis=a) for s in (1, -1) for a in (1, 2))
    assert np.allclose(grad, (mass**2 + 4) * phi - lap, atol=1e-12)
    assert np.allclose(energy, ansatz.energy(theta, phi), rtol=1e-12)


def test_bad_input():
    ansatz = QuadraticAnsatz(1)
    rng = np.random.default_rng(0)
    psi, phi = rng.normal(size=(2, 3, 4, 4)), rng.normal(size=(2, 4, 4))
    with pytest.raises(ValueError, match="radius"):
        QuadraticAnsatz(-1)
    with pytest.raises(TypeError, match="radius"):
        QuadraticAnsatz(1.5)
    with pytest.raises(ValueError, match="phi_j"):
        ansatz.features(psi, np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="psibar"):
        ansatz.features(np.zeros((2, 2, 4, 4)), phi)
    bad = psi.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="psibar must be finite"):
        ansatz.features(bad, phi)
    with pytest.raises(ValueError, match="exceed 2 \\* radius"):
        QuadraticAnsatz(2).features(psi, phi)
    with pytest.raises(ValueError, match="theta must have shape"):
        ansatz.energy(np.zeros(3), psi, phi)
    with pytest.raises(ValueError, match="symmetric"):
        ansatz.from_kernels(rng.normal(size=(3, 3, 4, 4)), np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="powers"):
        PolynomialPotential((2, 2))
