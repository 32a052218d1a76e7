"""The MALA sampler of the conditional against the exact Gaussian conditional.

Reference case: the ``exact_case`` fixture of conftest.py."""

import numpy as np
import pytest

from wirg.ansatz import QuadraticAnsatz
from wirg.mala import sample_conditional

# ---------------------------------------------------------------------------------- the sampler


def test_mala_samples_the_exact_gaussian_conditional(exact_case, pairs):
    """64 chains on one coarse field (L = 8, n = 4): per-chain time averages are independent, so
    their spread gives the Monte Carlo error. Measured: max |z| of the 48 mean entries ~1.9, of the
    144 real parts of the frequency-resolved covariance ~2.2; acceptance 0.588."""
    L, chains = 8, 64
    spectrum, scale = exact_case(L)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    theta = ansatz.from_kernels(*scale.kernels())
    phi, _ = pairs(spectrum, L, 1, seed=3)
    run = sample_conditional(ansatz, theta, np.repeat(phi, chains, axis=0), n_samples=400, thin=2, seed=5)
    assert 0.5 < run.acceptance < 0.65
    mean = np.fft.ifft2(np.moveaxis(scale.mean_operator * np.fft.fft2(phi[0])[..., None], -1, 0)).real
    deviation = run.samples - mean
    per_chain = deviation.mean(axis=0)
    z_mean = per_chain.mean(axis=0) / (per_chain.std(axis=0, ddof=1) / np.sqrt(chains))
    assert np.abs(z_mean).max() < 4.5
    hat = np.fft.fft2(deviation)
    cov = np.einsum("tcayx,tcbyx->cyxab", hat, hat.conj()).real / len(hat) / scale.L**2
    z_cov = (cov.mean(axis=0) - scale.covariance.real) / (cov.std(axis=0, ddof=1) / np.sqrt(chains))
    assert np.abs(z_cov).max() < 4.5
    rerun = sample_conditional(ansatz, theta, np.repeat(phi, chains, axis=0), n_samples=3, thin=2, seed=5)
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
