r"""The critical region of lattice phi^4 (wirg.lattice_phi4.phi4): Binder cumulants, their crossing, sampler cost.

Prints, for every size L and coupling beta, the Binder cumulant :math:`U_L = 1 - \langle m^4\rangle /
(3\langle m^2\rangle^2)` with its jackknife error (100 blocks), the integrated autocorrelation times of
:math:`m` and :math:`|m|` (in sweeps), the thinning, the site standard deviation of :math:`\varphi`
and the wall time; then the crossing :math:`\beta^*` of :math:`U_L` and :math:`U_{2L}` for
consecutive sizes (linear interpolation between the two bracketing couplings, error propagated
from the two cumulants at each end), with std(phi) there, and finally the sampler speed and the
autocorrelation time of :math:`m` and :math:`|m|` with and without the cluster update.

Run: ``python benchmarks/phi4_critical.py [--samples 3000] [--sizes 16 32 64]`` (several minutes).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from wirg.lattice_phi4 import phi4
from wirg.statistics import AutocorrelationWarning, binder_cumulant


def crossing(betas: np.ndarray, u_small: np.ndarray, e_small: np.ndarray, u_large: np.ndarray, e_large: np.ndarray):
    """(beta*, error) where U_large - U_small changes sign from - to +, or None if it does not."""
    d = u_large - u_small
    e = np.hypot(e_small, e_large)
    for i in range(len(betas) - 1):
        if d[i] < 0.0 <= d[i + 1]:
            slope = (d[i + 1] - d[i]) / (betas[i + 1] - betas[i])
            beta_star = betas[i] - d[i] / slope
            weight = (beta_star - betas[i]) / (betas[i + 1] - betas[i])  # error of the interpolated d
            error_d = np.hypot((1 - weight) * e[i], weight * e[i + 1])
            return beta_star, error_d / slope
    return None


def speed(L: int, beta: float, cluster: bool, sweeps: int, seed: int) -> tuple[float, object, object]:
    """Sweeps per second and (tau_m, tau_|m|) of one run with every sweep recorded."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AutocorrelationWarning)
        run = phi4(L, beta, sweeps, seed=seed, thermalization=2000, thin=1, cluster=cluster)
    seconds = time.perf_counter() - start
    return (2000 + sweeps) / seconds, run.tau_m, run.tau_abs_m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--betas", type=float, nargs="+", default=list(np.linspace(0.60, 0.75, 8).round(4)))
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed-sweeps", type=int, default=100_000, help="sweeps of the tau comparison at L = 32")
    args = parser.parse_args()
    betas = np.array(sorted(args.betas))
    phi4(4, 0.6, 2, seed=0)  # compile (or load the numba cache) outside the timings

    print(
        f"{'beta':>6} {'L':>4} {'U_L':>8} {'err':>7} {'tau_m':>6} {'tau_|m|':>7} {'thin':>4} "
        f"{'acc':>5} {'std(phi)':>8} {'seconds':>7}",
        flush=True,
    )
    U = {L: np.empty(betas.size) for L in args.sizes}
    dU = {L: np.empty(betas.size) for L in args.sizes}
    std = {L: np.empty(betas.size) for L in args.sizes}
    for L in args.sizes:
        for b, beta in enumerate(betas):
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", AutocorrelationWarning)
                run = phi4(L, float(beta), args.samples, seed=args.seed + 1000 * L + b)
            seconds = time.perf_counter() - start
            cumulant = binder_cumulant(run, n_blocks=100)  # blocks absorb what thinning leaves correlated
            U[L][b], dU[L][b], std[L][b] = cumulant.value, cumulant.error, run.fields.std()
            flag = " (tau warning)" if caught else ""
            print(
                f"{beta:6.4f} {L:4d} {cumulant.value:8.4f} {cumulant.error:7.4f} {run.tau_m.tau:6.2f} "
                f"{run.tau_abs_m.tau:7.2f} {run.thin:4d} {run.acceptance:5.3f} {std[L][b]:8.4f} "
                f"{seconds:7.1f}{flag}",
                flush=True,
            )

    print("\ncrossings of U_L and U_2L:")
    for small, large in zip(args.sizes[:-1], args.sizes[1:]):
        found = crossing(betas, U[small], dU[small], U[large], dU[large])
        if found is None:
            print(f"  L = {small}, {large}: no crossing in [{betas[0]}, {betas[-1]}]")
            continue
        beta_star, error = found
        phi_std = np.interp(beta_star, betas, std[large])
        u_star = np.interp(beta_star, betas, U[large])
        print(
            f"  L = {small}, {large}: beta* = {beta_star:.4f} +- {error:.4f}, U* = {u_star:.3f}, "
            f"std(phi) at beta* (L = {large}) = {phi_std:.4f}"
        )

    print("\nsampler at beta = 0.68:")
    for L, cluster, sweeps in [(64, True, 5000), (64, False, 5000)]:
        rate, _, _ = speed(L, 0.68, cluster, sweeps, seed=1)
        print(f"  L = {L}, cluster = {cluster}: {rate:.0f} sweeps/s ({1e9 / (rate * L * L):.0f} ns per site)")
    for cluster in (True, False):
        rate, tau_m, tau_abs = speed(32, 0.68, cluster, args.speed_sweeps, seed=2)
        print(
            f"  L = 32, cluster = {cluster}: tau_m = {tau_m.tau:.2f} +- {tau_m.error:.2f} "
            f"(window {tau_m.window}), tau_|m| = {tau_abs.tau:.2f} +- {tau_abs.error:.2f} "
            f"(window {tau_abs.window}), {tau_m.n} sweeps, {rate:.0f} sweeps/s"
        )


if __name__ == "__main__":
    main()
