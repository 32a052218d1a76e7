"""The conditional energy ansatz: features against energies, gradients and kernels; the local ansatz; bad input.

Reference case: the ``exact_case`` fixture of conftest.py."""

import json

import numpy as np
import pytest

from wirg.ansatz import (
    BumpPotential,
    CombinedPotential,
    FieldAnsatz,
    LocalAnsatz,
    PolynomialPotential,
    Potential,
    QuadraticAnsatz,
    SigmoidPotential,
)
from wirg.detail_scale import DetailScale
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


def _kernel_energy(K, Kp, psi, phi):
    """1/2 sum psi_c(k+D) K[c,c',D] psi_c'(k) + sum psi_c(k+D) K'[c,D] phi(k), summed directly."""
    n = phi.shape[-1]
    direct = 0.0
    for dy in range(n):
        for dx in range(n):
            shifted = np.roll(psi, (-dy, -dx), axis=(-2, -1))
            direct += 0.5 * np.einsum("ayx,ab,byx->", shifted, K[:, :, dy, dx], psi)
            direct += np.einsum("ayx,a,yx->", shifted, Kp[:, dy, dx], phi)
    return direct


def test_quadratic_energy_equals_the_kernel_convention():
    """E = 1/2 sum psi_c(k+D) K[c,c',D] psi_c'(k) + sum psi_c(k+D) K'[c,D] phi(k), summed directly."""
    rng = np.random.default_rng(1)
    ansatz = QuadraticAnsatz(2)
    theta = rng.normal(size=ansatz.n_params)
    n = 6
    K, Kp = ansatz.kernels(theta, n)
    assert np.array_equal(K, np.roll(K.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1], (1, 1), axis=(-2, -1)))
    psi, phi = rng.normal(size=(3, n, n)), rng.normal(size=(n, n))
    assert ansatz.energy(theta, psi, phi)[0] == pytest.approx(_kernel_energy(K, Kp, psi, phi), rel=1e-12)
    assert np.array_equal(ansatz.from_kernels(K, Kp), theta)


@pytest.mark.parametrize("n", [1, 2, 4])
def test_torus_couplings_satisfy_the_kernel_convention_and_hold_every_stationary_kernel(n):
    """On one n x n lattice (``lattice=n``, radius n // 2) the stencil is every shift modulo n once (one
    of each +-Delta for the squares), shifts with 2 Delta = 0 included; the energy is the kernel sum, and
    kernels -> parameters -> kernels is lossless."""
    rng = np.random.default_rng(11)
    ansatz = QuadraticAnsatz(n // 2, lattice=n)
    dc = ansatz.labels[ansatz.n_dd : ansatz.n_dd + ansatz.n_dc]
    residues = {(dy % n, dx % n) for _, c, (dy, dx) in dc if c == 0}
    opposite = {(dy % n, dx % n) for dy in range(n) for dx in range(n) if (2 * dy) % n == 0 and (2 * dx) % n == 0}
    assert ansatz.n_dc == 3 * n * n and len(residues) == n * n
    assert ansatz.n_dd == 3 * (n * n + len(opposite)) // 2 + 3 * n * n
    theta = rng.normal(size=ansatz.n_params)
    K, Kp = ansatz.kernels(theta, n)
    psi, phi = rng.normal(size=(3, n, n)), rng.normal(size=(n, n))
    assert ansatz.energy(theta, psi, phi)[0] == pytest.approx(_kernel_energy(K, Kp, psi, phi), rel=1e-12)
    np.testing.assert_allclose(ansatz.from_kernels(K, Kp), theta, rtol=1e-13, atol=1e-13)
    # any symmetric kernel (K[c, c', D] = K[c', c, -D]) of the torus is represented exactly
    A = rng.normal(size=(3, 3, n, n))
    sym = A + np.roll(A.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1], (1, 1), axis=(-2, -1))
    B = rng.normal(size=(3, n, n))
    K2, Kp2 = ansatz.kernels(ansatz.from_kernels(sym, B), n)
    np.testing.assert_allclose(K2, sym, atol=1e-13)
    np.testing.assert_allclose(Kp2, B, atol=1e-13)
    with pytest.raises(ValueError, match="built for the"):
        ansatz.features(rng.normal(size=(3, 2 * n, 2 * n)), rng.normal(size=(2 * n, 2 * n)))


def test_torus_couplings_hold_the_exact_db4_conditional_on_a_small_lattice(exact_case):
    """Db4's exact conditional couples shifts up to 4 (beyond the 4 x 4 coarse lattice of L = 8): a radius-1
    stencil truncates it, the torus couplings of ``lattice=4`` hold it to rounding."""
    _, scale = exact_case(8, wavelet="db4")
    full = QuadraticAnsatz(2, wavelet="db4", lattice=4)
    Khat, Kphat = full.fourier_kernels(full.from_kernels(*scale.kernels()), 4)
    assert np.abs(Khat - scale.coupling).max() < 1e-12 * np.abs(scale.coupling).max()
    assert np.abs(Kphat - scale.cross_coupling).max() < 1e-12 * np.abs(scale.cross_coupling).max()
    local = LocalAnsatz(2, lattice=4)
    precision = 1.0 / free_field_spectrum(4, 0.5)
    np.testing.assert_allclose(local.symbol(local.from_precision(precision), 4), precision, rtol=1e-12)


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


# ------------------------------------------------------------------------ potentials and derivatives


def _potentials():
    rng = np.random.default_rng(5)
    values = rng.normal(size=500)
    return [
        PolynomialPotential((1, 2, 4)),
        SigmoidPotential.from_data(values, 6),
        BumpPotential.from_data(values, 5, width=0.7),
        CombinedPotential([SigmoidPotential.from_data(values, 3), PolynomialPotential((4,))]),
    ]


@pytest.mark.parametrize("potential", _potentials(), ids=repr)
def test_potential_derivatives_match_finite_differences_and_round_trip_through_json(potential):
    t = np.linspace(-2.5, 2.5, 41)
    eps = 1e-5
    d1 = (potential.basis(t + eps) - potential.basis(t - eps)) / (2 * eps)
    d2 = (potential.basis_derivative(t + eps) - potential.basis_derivative(t - eps)) / (2 * eps)
    assert potential.basis(t).shape == (41, potential.n_params)
    np.testing.assert_allclose(potential.basis_derivative(t), d1, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(potential.basis_second_derivative(t), d2, rtol=1e-6, atol=1e-8)
    # the fused energy and derivative of the samplers
    fields = np.random.default_rng(4).normal(size=(3, 4, 4))
    alpha = np.linspace(-1.0, 2.0, potential.n_params)
    energy, slope = potential.energy_and_derivative(alpha, fields)
    np.testing.assert_allclose(energy, potential.features(fields) @ alpha, rtol=1e-12)
    np.testing.assert_allclose(slope, potential.derivative(alpha, fields), rtol=1e-12, atol=1e-14)
    again = Potential.from_dict(json.loads(json.dumps(potential.to_dict())))
    assert again == potential and type(again) is type(potential)
    np.testing.assert_array_equal(again.basis(t), potential.basis(t))


def test_from_data_places_centres_on_quantiles():
    values = np.random.default_rng(6).exponential(size=10_000)
    sig = SigmoidPotential.from_data(values, 4)
    np.testing.assert_allclose(sig.centres, np.quantile(values, [0.125, 0.375, 0.625, 0.875]))
    gaps = np.diff(sig.centres)  # default widths: half the local spacing
    np.testing.assert_allclose(sig.widths[1:-1], 0.25 * (gaps[:-1] + gaps[1:]))
    assert sig.widths[0] == pytest.approx(0.5 * gaps[0]) and sig.widths[-1] == pytest.approx(0.5 * gaps[-1])
    # a sigmoid is 1/2 at its centre, a bump 1
    np.testing.assert_allclose(np.diag(sig.basis(sig.centres)), 0.5)
    bump = BumpPotential.from_data(values, 3)
    np.testing.assert_allclose(np.diag(bump.basis(bump.centres)), 1.0)


def _fd_features(features, x, index, eps):
    step = np.zeros_like(x)
    step[index] = eps
    return features(x + step), features(x - step), features(x)


@pytest.mark.parametrize(
    "wavelet, gamma, radius, n, lattice, modulated, scaled, cubic",
    [
        ("db4", 1.3, 1, 4, None, False, False, False),
        ("haar", 0.8, 1, 4, None, False, False, False),
        ("db4", 1.1, 2, 4, 4, False, False, False),
        ("haar", 1.0, 1, 2, 2, False, False, False),
        ("db4", 1.3, 1, 4, None, True, False, False),
        ("haar", 1.0, 1, 2, 2, True, False, False),
        ("haar", 1.0, 1, 4, None, False, True, False),
        ("db4", 1.2, 1, 4, None, True, True, False),
        ("haar", 0.8, 1, 4, None, False, False, True),
        ("haar", 1.0, 1, 4, None, False, True, True),
        ("db4", 1.2, 1, 4, None, True, True, True),
    ],
)
def test_conditional_feature_gradients_laplacians_and_grad_phi_match_finite_differences(
    wavelet, gamma, radius, n, lattice, modulated, scaled, cubic
):
    """Also with the extensions of the ansatz: a coarse-modulated stiffness, a detail scale (knots spread
    over the coarse values, so that most sites sit on a sloping segment) and the block cubic term."""
    rng = np.random.default_rng(7)
    potential = CombinedPotential([SigmoidPotential.from_data(rng.normal(size=200), 4), PolynomialPotential((4,))])
    modulation = BumpPotential.from_data(rng.normal(size=200), 3) if modulated else None
    detail_scale = DetailScale([-1.0, -0.2, 0.5, 1.2], [0.7, 0.9, 1.3, 1.6]) if scaled else None
    ansatz = QuadraticAnsatz(
        radius,
        potential=potential,
        modulation=modulation,
        detail_scale=detail_scale,
        block_cubic=1.7 if cubic else None,
        wavelet=wavelet,
        gamma=gamma,
        lattice=lattice,
    )
    psi, phi = 0.7 * rng.normal(size=(2, 3, n, n)), 0.7 * rng.normal(size=(2, n, n))
    theta = rng.normal(size=ansatz.n_params)
    grads = ansatz.feature_gradients(psi, phi)
    assert grads.shape == (2, ansatz.n_params, 3, n, n)
    # the energy gradient is theta . feature gradients
    np.testing.assert_allclose(
        np.einsum("a,bacyx->bcyx", theta, grads), ansatz.grad_psibar(theta, psi, phi), atol=1e-12
    )
    eps = 1e-4
    laplacian = np.zeros((2, ansatz.n_params))
    for c in range(3):
        for y in range(n):
            for x in range(n):
                up, down, mid = _fd_features(lambda p: ansatz.features(p, phi), psi, (slice(None), c, y, x), eps)
                np.testing.assert_allclose(grads[:, :, c, y, x], (up - down) / (2 * eps), rtol=1e-6, atol=1e-6)
                laplacian += (up - 2 * mid + down) / eps**2
    np.testing.assert_allclose(ansatz.feature_laplacians(psi, phi), laplacian, rtol=1e-4, atol=1e-3)
    # the gradient with respect to the coarse field
    numeric = np.empty((2, n, n))
    for y in range(n):
        for x in range(n):
            up, down, _ = _fd_features(lambda f: ansatz.energy(theta, psi, f), phi, (slice(None), y, x), eps)
            numeric[:, y, x] = (up - down) / (2 * eps)
    np.testing.assert_allclose(ansatz.grad_phi(theta, psi, phi), numeric, rtol=1e-6, atol=1e-6)


def test_conditional_laplacian_of_the_square_is_twice_the_trace_of_the_synthesis():
    """For rho(t) = t^2 the Laplacian is 2 gamma^2 tr(Gbar^T Gbar) = 2 gamma^2 (3 n^2), Gbar Gbar^T = I."""
    ansatz = QuadraticAnsatz(1, potential=PolynomialPotential((2,)), wavelet="db4", gamma=1.5)
    rng = np.random.default_rng(9)
    for n in (4, 8):
        lap = ansatz.feature_laplacians(rng.normal(size=(1, 3, n, n)), rng.normal(size=(1, n, n)))
        assert lap[0, -1] == pytest.approx(2 * 1.5**2 * 3 * n * n, rel=1e-12)


@pytest.mark.parametrize("potential", [None, _potentials()[3]], ids=["quadratic", "sigmoid+quartic"])
def test_field_ansatz_energy_gradients_and_laplacians(potential):
    rng = np.random.default_rng(8)
    ansatz = FieldAnsatz(1, potential)
    n = 5
    phi = rng.normal(size=(2, n, n))
    theta = rng.normal(size=ansatz.n_params)
    # the quadratic part is LocalAnsatz's
    local = LocalAnsatz(1)
    quad_theta = theta.copy()
    quad_theta[ansatz.n_quadratic :] = 0.0
    np.testing.assert_allclose(ansatz.energy(quad_theta, phi), local.energy(theta[: local.n_params], phi), rtol=1e-12)
    energy, grad = ansatz.operator(theta, n).energy_and_grad(phi)
    np.testing.assert_allclose(energy, ansatz.features(phi) @ theta, rtol=1e-12)
    grads = ansatz.feature_gradients(phi)
    np.testing.assert_allclose(np.einsum("a,bayx->byx", theta, grads), grad, atol=1e-12)
    np.testing.assert_allclose(ansatz.grad(theta, phi), grad, atol=1e-12)
    eps = 1e-4
    laplacian = np.zeros((2, ansatz.n_params))
    for y in range(n):
        for x in range(n):
            up, down, mid = _fd_features(ansatz.features, phi, (slice(None), y, x), eps)
            np.testing.assert_allclose(grads[:, :, y, x], (up - down) / (2 * eps), rtol=1e-6, atol=1e-6)
            laplacian += (up - 2 * mid + down) / eps**2
    np.testing.assert_allclose(ansatz.feature_laplacians(phi), laplacian, rtol=1e-4, atol=1e-3)


def test_potential_bad_input():
    with pytest.raises(ValueError, match="widths"):
        SigmoidPotential([0.0, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="widths"):
        BumpPotential([0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="values must not be constant"):
        SigmoidPotential.from_data(np.ones(10), 3)
    with pytest.raises(ValueError, match="n_functions"):
        BumpPotential.from_data(np.arange(10.0), 0)
    with pytest.raises(ValueError, match="kind"):
        Potential.from_dict({"kind": "spline"})
    with pytest.raises(ValueError, match="keys"):
        Potential.from_dict({"kind": "sigmoid", "centres": [0.0]})
    with pytest.raises(TypeError, match="d must be a dict"):
        Potential.from_dict([1, 2])
    with pytest.raises(TypeError, match="parts"):
        CombinedPotential([PolynomialPotential((4,)), "x"])
    with pytest.raises(TypeError, match="potential"):
        FieldAnsatz(1, "sigmoid")
    with pytest.raises(ValueError, match="theta must have shape"):
        FieldAnsatz(1).energy(np.zeros(2), np.zeros((4, 4)))


# ---------------------------------------------------------------------------------- windows


def test_from_data_window_is_the_data_range_widened_by_the_extreme_spacings():
    values = np.random.default_rng(7).exponential(size=5000) - 1.0
    x = np.sort(values)
    for cls in (BumpPotential, SigmoidPotential):
        low, high = cls.from_data(values, 8).window  # tail = 10
        assert low == pytest.approx(x[0] - (x[10] - x[0])) and high == pytest.approx(x[-1] + (x[-1] - x[-11]))
        assert low < x[0] and high > x[-1]  # the data's own tails are inside, not only the centres' range
        assert cls.from_data(values, 8, tail=None).window is None
    three = np.sort(values[:3])  # tail capped at N - 1 = 2
    assert BumpPotential.from_data(three, 2).window == pytest.approx((2 * three[0] - three[2], 2 * three[2] - three[0]))
    assert PolynomialPotential((4,)).window is None
    combined = CombinedPotential(
        [BumpPotential([0.0], [1.0], window=(-1.0, 3.0)), SigmoidPotential([0.0], [1.0], window=(-2.0, 2.0))]
    )
    assert combined.window == (-1.0, 2.0)  # the intersection
    assert CombinedPotential([PolynomialPotential((4,))]).window is None
    fields = np.zeros((3, 4, 4))
    fields[1, 2, 3], fields[2, 0, 0] = 2.5, np.nan
    np.testing.assert_array_equal(combined.outside_window(fields), [False, True, True])
    with pytest.raises(ValueError, match="do not overlap"):
        CombinedPotential([BumpPotential([0.0], [1.0], window=(-1.0, 0.0)), BumpPotential([0.0], [1.0], window=(1, 2))])
    with pytest.raises(ValueError, match="window"):
        BumpPotential([0.0], [1.0], window=(1.0, 1.0))


def test_window_round_trips_and_dicts_without_one_still_load():
    bump = BumpPotential.from_data(np.random.default_rng(8).normal(size=300), 4)
    again = Potential.from_dict(json.loads(json.dumps(bump.to_dict())))
    assert again == bump and again.window == bump.window
    old = {k: v for k, v in bump.to_dict().items() if k != "window"}  # a dict written before windows
    loaded = Potential.from_dict(old)
    assert loaded.window is None and np.array_equal(loaded.centres, bump.centres)
    assert "window" not in loaded.to_dict()  # and written back the same
    with pytest.raises(ValueError, match="keys"):
        Potential.from_dict({**bump.to_dict(), "extra": 1})


def test_windowed_energy_is_infinite_outside_and_unchanged_inside(exact_case, pairs):
    """The operators the samplers call: +inf as soon as one reconstructed site leaves the window, and
    inside it the energy of the same potential without a window (and of ``features @ theta``)."""
    spectrum, scale = exact_case(8)
    phi, psi = pairs(spectrum, 8, 4, seed=9)
    bare = BumpPotential([-0.5, 0.5], [0.4, 0.4])
    fine = QuadraticAnsatz(1, wavelet="haar", potential=bare).reconstruct(psi, phi)
    lo, hi = fine.min(), fine.max()
    for window, outside in (
        ((lo - 0.1, hi + 0.1), []),
        ((lo - 0.1, hi - 1e-9), [int(np.argmax(fine.max(axis=(1, 2))))]),
    ):
        windowed = BumpPotential(bare.centres, bare.widths, window=window)
        quad = QuadraticAnsatz(1, wavelet="haar", potential=windowed)
        theta = quad.from_kernels(*scale.kernels(), alpha=[0.3, -0.7])
        energy, grad = quad.operator(theta, 4).energy_and_grad(psi, phi)
        plain = QuadraticAnsatz(1, wavelet="haar", potential=bare).operator(theta, 4).energy_and_grad(psi, phi)
        inside = np.setdiff1d(np.arange(4), outside)
        np.testing.assert_array_equal(energy[inside], plain[0][inside])
        np.testing.assert_allclose(energy[inside], quad.energy(theta, psi, phi)[inside], rtol=1e-12)
        assert np.all(np.isposinf(energy[outside]))
        np.testing.assert_array_equal(grad, plain[1])
    field = FieldAnsatz(1, BumpPotential([0.0], [1.0], window=(-1.0, 1.0)))
    x = np.random.default_rng(10).uniform(-0.9, 0.9, size=(2, 5, 5))
    x[1, 4, 4] = 1.2
    energy, _ = field.operator(np.ones(field.n_params), 5).energy_and_grad(x)
    assert np.isfinite(energy[0]) and energy[0] == pytest.approx(field.energy(np.ones(field.n_params), x[:1])[0])
    assert np.isposinf(energy[1])
