"""The MALA sampler of the conditional against the exact Gaussian conditional.

Reference case: the ``exact_case`` fixture of conftest.py."""

import numpy as np
import pytest

from wirg.ansatz import QuadraticAnsatz
from wirg.mala import sample_conditional

# ---------------------------------------------------------------------------------- the sampler


@pytest.mark.parametrize("preconditioned", [False, True])
def test_mala_samples_the_exact_gaussian_conditional(exact_case, pairs, preconditioned):
    """64 chains on one coarse field (L = 8, n = 4): per-chain time averages are independent, so
    their spread gives the Monte Carlo error. Measured: max |z| of the 48 mean entries ~1.9, of the
    144 real parts of the frequency-resolved covariance ~2.2; acceptance 0.588. Preconditioned: proposal
    variances spread over a factor ~50 (fixed, drawn once); a wrong Hastings correction would bias both."""
    L, chains = 8, 64
    spectrum, scale = exact_case(L)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    theta = ansatz.from_kernels(*scale.kernels())
    phi, _ = pairs(spectrum, L, 1, seed=3)
    D = (
        np.exp(np.random.default_rng(7).uniform(-2.0, 2.0, size=(chains, 3, L // 2, L // 2)))
        if preconditioned
        else None
    )
    start = np.repeat(phi, chains, axis=0)
    run = sample_conditional(ansatz, theta, start, n_samples=400, thin=2, seed=5, precondition=D)
    assert 0.45 < run.acceptance < 0.7 if preconditioned else 0.5 < run.acceptance < 0.65
    mean = np.fft.ifft2(np.moveaxis(scale.mean_operator * np.fft.fft2(phi[0])[..., None], -1, 0)).real
    deviation = run.samples - mean
    per_chain = deviation.mean(axis=0)
    z_mean = per_chain.mean(axis=0) / (per_chain.std(axis=0, ddof=1) / np.sqrt(chains))
    assert np.abs(z_mean).max() < 4.5
    hat = np.fft.fft2(deviation)
    cov = np.einsum("tcayx,tcbyx->cyxab", hat, hat.conj()).real / len(hat) / scale.L**2
    z_cov = (cov.mean(axis=0) - scale.covariance.real) / (cov.std(axis=0, ddof=1) / np.sqrt(chains))
    assert np.abs(z_cov).max() < 4.5
    rerun = sample_conditional(ansatz, theta, start, n_samples=3, thin=2, seed=5, precondition=D)
    assert np.array_equal(rerun.samples, run.samples[:3])  # bit-for-bit reproducible


def test_conditional_samples_result_protocol_and_bad_couplings(exact_case, pairs):
    from statlearn.numerics.result import SolverResult

    spectrum, scale = exact_case(8)
    phi, _ = pairs(spectrum, 8, 2, seed=3)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    theta = ansatz.from_kernels(*scale.kernels())
    run = sample_conditional(ansatz, theta, phi, n_samples=4, seed=1, burn_in=20, thin=2)
    assert isinstance(run, SolverResult) and run.converged and run.iterations == 20 + 4 * 2
    with pytest.raises(ValueError, match="read-only"):
        run.samples[0, 0, 0, 0, 0] = 0.0
    # negative definite couplings: no conditional law (the chains used to run off to infinity)
    with pytest.raises(ValueError, match="theta: the detail couplings are not positive definite"):
        sample_conditional(ansatz, -theta, phi, n_samples=1, seed=1)


# ---------------------------------------------------------------------------------- windows


def test_proposals_leaving_the_window_are_rejected(exact_case, pairs):
    """A window just around the data's reconstructed field: every recorded state stays inside it, while the
    same chains without the window leave it (so the window acted); a start outside is refused naming init."""
    from wirg.ansatz import BumpPotential

    spectrum, scale = exact_case(8)
    phi, psi = pairs(spectrum, 8, 8, seed=11)
    bare = BumpPotential([0.0], [1.0])
    fine = QuadraticAnsatz(1, wavelet="haar", potential=bare).reconstruct(psi, phi)
    window = (fine.min() - 0.05, fine.max() + 0.05)
    runs = {}
    for name, potential in (("bare", bare), ("windowed", BumpPotential([0.0], [1.0], window=window))):
        ansatz = QuadraticAnsatz(1, wavelet="haar", potential=potential)
        theta = ansatz.from_kernels(*scale.kernels(), alpha=[0.0])
        run = sample_conditional(ansatz, theta, phi, n_samples=50, seed=12, burn_in=20, init=psi)
        runs[name] = np.stack([ansatz.reconstruct(s, phi) for s in run.samples])
    assert runs["windowed"].min() >= window[0] and runs["windowed"].max() <= window[1]
    assert runs["bare"].min() < window[0] or runs["bare"].max() > window[1]
    with pytest.raises(ValueError, match=r"init: 1 of 8 chains start .* outside the potential's window"):
        tight = QuadraticAnsatz(
            1, wavelet="haar", potential=BumpPotential([0.0], [1.0], window=(-50, fine.max() - 1e-9))
        )
        theta = tight.from_kernels(*scale.kernels(), alpha=[0.0])
        outside = int(np.argmax(fine.max(axis=(1, 2))))
        init = psi.copy()
        init[np.arange(8) != outside] *= 0.0  # zero details: inside for the other chains (their block means)
        sample_conditional(tight, theta, phi, n_samples=1, seed=1, init=init)


# ---------------------------------------------------------------------------------- preconditioning


def test_all_ones_preconditioner_is_plain_mala(exact_case, pairs):
    spectrum, scale = exact_case(8)
    phi, _ = pairs(spectrum, 8, 4, seed=3)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    theta = ansatz.from_kernels(*scale.kernels())
    plain = sample_conditional(ansatz, theta, phi, n_samples=5, seed=2, burn_in=30)
    ones = sample_conditional(ansatz, theta, phi, n_samples=5, seed=2, burn_in=30, precondition=np.ones((4, 3, 4, 4)))
    assert np.array_equal(plain.samples, ones.samples)


def test_preconditioning_lets_the_wide_coordinates_move():
    """Independent Gaussian coordinates of variance 10^-4 and 1 in each chain: plain MALA's step is set by the
    narrow ones, so after 300 steps from 0 the wide ones have spread to a small fraction of their variance;
    with D = the variances every coordinate reaches it (z-test over 200 chains x 50 wide coordinates)."""
    from wirg.mala import MALAChains

    variance = np.repeat([[1e-4, 1.0]], 50, axis=0).T.reshape(-1)  # 50 narrow, then 50 wide

    def energy(x):
        return 0.5 * np.sum(x**2 / variance, axis=1), x / variance

    spread = {}
    for name, D in (("plain", None), ("preconditioned", np.broadcast_to(variance, (200, 100)))):
        chains = MALAChains(np.zeros((200, 100)), 0.005 if D is None else 0.5, seed=4, precondition=D)
        chains.set_energy(energy)
        for _ in range(30):
            chains.adapt(chains.run(10))
        spread[name] = (chains.x[:, 50:] ** 2).mean()
    assert spread["plain"] < 0.2
    # E x^2 = 1 per wide coordinate, Var x^2 = 2: 10^4 values (chains independent, coordinates too)
    assert abs(spread["preconditioned"] - 1.0) < 4.0 * np.sqrt(2.0 / 10_000)


def test_bad_preconditioner_is_refused(exact_case, pairs):
    from wirg.mala import MALAChains

    spectrum, scale = exact_case(8)
    phi, _ = pairs(spectrum, 8, 2, seed=3)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    theta = ansatz.from_kernels(*scale.kernels())
    with pytest.raises(ValueError, match=r"precondition must have the shape"):
        sample_conditional(ansatz, theta, phi, n_samples=1, seed=1, precondition=np.ones((2, 3, 4)))
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="precondition must be (positive|finite)"):
            sample_conditional(ansatz, theta, phi, n_samples=1, seed=1, precondition=np.full((2, 3, 4, 4), bad))
    with pytest.raises(ValueError, match="precondition: the zero-mean chains"):
        MALAChains(np.zeros((2, 4)), 0.1, seed=1, zero_mean=True, precondition=np.ones((2, 4)))
