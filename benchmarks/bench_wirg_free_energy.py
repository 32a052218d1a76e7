"""Cost and accuracy of the free-energy estimators per scale, and of the reassembly of the microscopic energy.

**Free energies.** For the massive free field (m = 0.5, Haar) at L = 16 and 32, every scale's exact
conditional couplings truncated to radius 1 (exact at scale 1, where their range is 1) define the
conditional energy; its exact free energy is closed form (:func:`wirg.free_energy.gaussian_free_energy`,
checked here against a plain dense-matrix reference, F = -b^T A^-1 b / 2 + log det(A / 2 pi) / 2). On S
coarse fields of the exact law the script times :func:`wirg.free_energy.free_energy_score` and
:func:`wirg.free_energy.free_energy_integration` (from the couplings without cross terms, a non-trivial
path) with the same chains (replicas, samples, burn-in), and prints per scale: wall time, MALA
energy-and-gradient evaluations, the ratio of the two times, and the accuracy: the largest |z| of the
integrated values against the exact ones, and of the score fit's coefficients against the exact
least-squares projection (the Student-t bound of a Bonferroni test at 1e-3 is printed next to them).

**Reassembly.** :func:`wirg.microscopic.microscopic_energy` of the exact Gaussian WIRG (db4, all
scales) at L = 8 ... 128, against a plain reference at L = 8, 16: the dense N x N Hessian of the
scale-by-scale energy by polarisation (N^2 energy evaluations), averaged along its diagonals.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_wirg_free_energy.py [--fields 16 --chains 8 --samples 100]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from wirg.ansatz import FieldAnsatz, QuadraticAnsatz
from wirg.fields import free_field_spectrum, gaussian_field
from wirg.free_energy import free_energy_integration, free_energy_score, gaussian_free_energy
from wirg.gaussian import GaussianWIRG
from wirg.generate import GaussianMarginal
from wirg.microscopic import microscopic_energy
from wirg.wavelets import analysis_step, synthesis_step


def dense_free_energy(ansatz: QuadraticAnsatz, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Plain reference: the Gaussian integral with dense matrices, A and b from the energy at unit vectors."""
    n = phi.shape[-1]
    d = 3 * n * n
    unit = np.eye(d).reshape(d, 3, n, n)
    zero = np.zeros((1, n, n))
    e0 = ansatz.energy(theta, np.zeros((1, 3, n, n)), zero)[0]
    single = ansatz.energy(theta, unit, np.broadcast_to(zero, (d, n, n))) - e0
    A = np.empty((d, d))
    for i in range(d):
        pair = ansatz.energy(theta, unit[i] + unit, np.broadcast_to(zero, (d, n, n))) - e0
        A[i] = pair - single[i] - single
    out = []
    for field in phi:
        b = ansatz.energy(theta, unit, np.broadcast_to(field, (d, n, n))) - ansatz.energy(
            theta, 0 * unit, np.broadcast_to(field, (d, n, n))
        )
        b = b - 0.5 * np.diag(A)  # energy(e_i) = A_ii / 2 + b_i
        sign, logdet = np.linalg.slogdet(A / (2 * np.pi))
        out.append(-0.5 * b @ np.linalg.solve(A, b) + 0.5 * logdet)
    return np.array(out)


def free_energies(L: int, args: argparse.Namespace) -> None:
    spectrum = free_field_spectrum(L, mass=0.5)
    solved = GaussianWIRG(spectrum, wavelet="haar")
    fields = gaussian_field(spectrum, L, args.fields, seed=1)
    ansatz = QuadraticAnsatz(1, wavelet="haar")
    field_ansatz = FieldAnsatz(1)
    bound_values = stats.t.ppf(1 - 1e-3 / (2 * args.fields), args.chains - 1)
    bound_coefficients = stats.t.ppf(1 - 1e-3 / (2 * field_ansatz.n_params), args.chains - 1)
    for scale in solved.scales:
        fields = analysis_step(fields, "haar")[0]
        if scale.L <= 2:
            break
        theta = ansatz.from_kernels(*(k for k in _truncated(scale.kernels(), scale.L)))
        exact = gaussian_free_energy(ansatz, theta, fields)
        reference = theta.copy()
        reference[ansatz.n_dd :] = 0.0
        settings = dict(n_chains=args.chains, n_samples=args.samples, burn_in=args.burn_in)
        start = time.perf_counter()
        score = free_energy_score(ansatz, theta, fields, field_ansatz, seed=2, **settings)
        t_score = time.perf_counter() - start
        start = time.perf_counter()
        integration = free_energy_integration(
            ansatz, theta, fields, field_ansatz, seed=3, reference=reference, n_nodes=args.nodes, **settings
        )
        t_integration = time.perf_counter() - start
        D = field_ansatz.feature_gradients(fields)
        gradient = _exact_gradient(ansatz, theta, fields)
        target = np.linalg.solve(np.einsum("spyx,sqyx->pq", D, D), np.einsum("spyx,syx->p", D, gradient))
        z_score = np.abs((score.coefficients - target) / score.errors).max()
        z_values = np.abs((integration.values - exact) / integration.value_errors).max()
        print(
            f"{L:>4} {scale.j:>3} {scale.L:>4} {t_score:>9.3f} {score.gradient_evaluations:>10} "
            f"{t_integration:>9.3f} {integration.gradient_evaluations:>10} {t_integration / t_score:>7.2f} "
            f"{z_score:>7.2f} {z_values:>7.2f} {bound_coefficients:>6.1f}/{bound_values:<5.1f}"
        )


def _truncated(kernels: tuple[np.ndarray, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact kernels set to zero beyond |Delta| = 1 (kept symmetric)."""
    d = np.minimum(np.arange(n), n - np.arange(n))
    inside = np.maximum.outer(d, d) <= 1
    return kernels[0] * inside, kernels[1] * inside


def _exact_gradient(ansatz: QuadraticAnsatz, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """grad F = -K'^* K^-1 K' phi in Fourier."""
    Khat, Kphat = ansatz.fourier_kernels(theta, phi.shape[-1])
    schur = np.einsum("...a,...a->...", np.conj(Kphat), np.linalg.solve(Khat, Kphat[..., None])[..., 0]).real
    return np.fft.ifft2(-schur * np.fft.fft2(phi)).real


def reassembly(sizes: list[int], dense_sizes: list[int], rounds: int) -> None:
    for L in sizes:
        solved = GaussianWIRG(free_field_spectrum(L, mass=0.5), wavelet="db4")
        coarse = GaussianMarginal(1.0 / solved.precisions[-1])
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            energy = microscopic_energy(solved.scales, solved.scales, coarse, L=L)
            times.append(time.perf_counter() - start)
        error = np.abs(energy.symbol - solved.precisions[0]).max()
        line = f"{L:>5} {1e3 * min(times):>12.2f} {error:>10.2e} {energy.remainder:>10.2e}"
        if L in dense_sizes:
            start = time.perf_counter()
            kernel = _dense_kernel(solved, L)
            t_dense = time.perf_counter() - start
            line += f" {1e3 * t_dense:>12.1f} {t_dense / min(times):>8.0f} {np.abs(kernel - energy.kernel).max():>9.1e}"
        print(line)


def _dense_kernel(solved: GaussianWIRG, L: int) -> np.ndarray:
    """Plain reference: the Hessian of E_J + sum_j (Ebar_j - Fbar_j), each term in Fourier at its own scale,
    by polarisation over all pairs of unit fields, averaged along the diagonals."""
    N = L * L

    def energy(phi: np.ndarray) -> np.ndarray:
        total = np.zeros(phi.shape[0])
        for scale in solved.scales:
            coarse, details = analysis_step(phi, "db4")
            n = scale.L
            u = np.fft.fft2(np.concatenate([coarse[:, None], details], axis=1)) / n  # orthonormal coefficients
            Q = scale.Q.copy()
            Q[..., 0, 0] = -scale.free_energy_kernel  # Ebar_j - Fbar_j: no Q_ll term in Ebar_j
            total += 0.5 * np.einsum("scyx,yxcd,sdyx->s", np.conj(u), Q, u).real
            phi = coarse
        return (
            total
            + 0.5 * np.sum(solved.precisions[-1] * np.abs(np.fft.fft2(phi)) ** 2, axis=(1, 2)) / phi.shape[-1] ** 2
        )

    basis = np.eye(N).reshape(N, L, L)
    single = energy(basis)
    M = np.empty((N, N))
    for i in range(N):
        M[i] = energy(basis[i] + basis) - single[i] - single
    index = np.arange(N).reshape(L, L)
    return np.array([[M[np.roll(index, (-dy, -dx), axis=(0, 1)), index].mean() for dx in range(L)] for dy in range(L)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", type=int, default=16, help="coarse fields per scale")
    parser.add_argument("--chains", type=int, default=8, help="replicas per coarse field")
    parser.add_argument("--samples", type=int, default=100, help="recorded MALA states per chain")
    parser.add_argument("--burn-in", type=int, default=100, help="MALA burn-in per chain")
    parser.add_argument("--nodes", type=int, default=4, help="Gauss-Legendre nodes of the integration")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the reassembly timing (best taken)")
    args = parser.parse_args(argv)
    synthesis_step(np.zeros((1, 2, 2)), np.zeros((1, 3, 2, 2)), "haar")  # compile the numba kernels
    check = QuadraticAnsatz(1, wavelet="haar")
    scale = GaussianWIRG(free_field_spectrum(8, mass=0.5), wavelet="haar").scales[0]
    theta = check.from_kernels(*scale.kernels())
    phi = gaussian_field(free_field_spectrum(4, 0.5), 4, 3, seed=0)
    start = time.perf_counter()
    dense = dense_free_energy(check, theta, phi)
    t_dense = time.perf_counter() - start
    start = time.perf_counter()
    closed = gaussian_free_energy(check, theta, phi)
    t_closed = time.perf_counter() - start
    print(
        f"closed-form Gaussian free energy vs plain dense reference (n = 4, 3 fields): max difference "
        f"{np.abs(dense - closed).max():.2e}, {1e3 * t_closed:.2f} ms vs {1e3 * t_dense:.1f} ms"
    )
    print(f"\nfree energies: {args.fields} coarse fields, {args.chains} replicas, {args.samples} samples, "
          f"{args.burn_in} burn-in, {args.nodes} nodes")  # fmt: skip
    print(
        f"{'L':>4} {'j':>3} {'L_j':>4} {'score s':>9} {'grad evals':>10} {'integr s':>9} {'grad evals':>10} "
        f"{'ratio':>7} {'|z|sc':>7} {'|z|ti':>7} {'bounds':>12}"
    )
    for L in (16, 32):
        free_energies(L, args)
    print("\nreassembly of the microscopic energy (exact Gaussian WIRG, db4, all scales)")
    print(f"{'L':>5} {'fourier ms':>12} {'|K - K0|':>10} {'remainder':>10} {'dense ms':>12} {'ratio':>8} {'|dK|':>9}")
    reassembly([8, 16, 32, 64, 128], [8, 16], args.rounds)


if __name__ == "__main__":
    main()
