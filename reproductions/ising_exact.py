r"""`ising-exact`: Monte Carlo of the 2-D Ising model against its exact results.

The sampler is :func:`wirg.fields.ising` (checkerboard Metropolis + Wolff clusters, thinning from the
measured autocorrelation times); the exact results are in :mod:`wirg.ising_exact`. Every Monte Carlo
number is a mean over the stored configurations with the standard error of 20 block means.

- Panel a: energy per site against temperature: Onsager's :math:`u(T)` of the infinite lattice, Kaufman's
  exact energy of the finite :math:`L\times L` torus, and the simulations. Check per (L, T): the
  simulation against **Kaufman at the same L** (the exact finite-size value, so no finite-size allowance
  is needed; the difference from Onsager, of order :math:`1/L` at :math:`T_c`, is shown, not hidden).
- Panel b: :math:`\langle|m|\rangle` below :math:`T_c` against Yang's spontaneous magnetisation. Check per
  T: tolerance the statistical one plus :math:`e^{-L/\xi}`, with the exact low-temperature correlation
  length :math:`\xi^{-1} = 4\beta - 2\ln\coth\beta` (the finite-size correction of :math:`\langle|m|\rangle`
  on a periodic box in the ordered phase is of that order; the :math:`O(1/L^2)` correction from the
  non-Gaussian fluctuations of :math:`m` is below the statistical error at the sizes used).
- Panel c: the Binder cumulant :math:`U_L = 1 - \langle m^4\rangle/3\langle m^2\rangle^2` against
  :math:`\beta/\beta_c - 1` for several L. Check per pair (L, 2L): the crossing of :math:`U_L - U_{2L}`
  (weighted quadratic fit over the couplings within ``crossing_window`` of :math:`\beta_c`, the root nearest
  it, error by the delta method; a straight line over :math:`\pm2\%` was biased by the curvature of the
  difference, up to 28 standard errors at L = 32/64) against :math:`\beta_c`; allowance: the exact
  crossing of the smallest lattices (:math:`L = 3, 4` by enumeration) scaled by
  :math:`(L_{\rm mean}/3.5)^{-3}` (corrections to the crossing decay like :math:`L^{-1/\nu - \omega}`,
  :math:`\nu = 1`, :math:`\omega = 2`), an order-of-magnitude estimate stated as such.
- Exact enumeration: the simulation at L = 4 and :math:`T_c` against the exact energy, :math:`\langle|m|\rangle`
  and Binder cumulant of the :math:`2^{16}` states.

All checks share one Bonferroni bound: tolerance :math:`z\sigma` with :math:`z = \Phi^{-1}(1 - \alpha/2n)`,
:math:`\alpha = 0.01`, :math:`n` the number of checks (plus the allowances above).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.sweep import sweep, write_csv
from wirg.fields import ising
from wirg.ising_exact import BETA_C, T_C, ising_enumeration, kaufman_energy, onsager_energy, yang_magnetization
from wirg.statistics import binder_cumulant

ALPHA = 0.01
N_BLOCKS = 20
CRITICAL_BINDER = 0.61069  # Kamieniarz & Bloete, J. Phys. A 26, 201 (1993): U* of the periodic square lattice
QUICK = {
    "energy_L": 16,
    "energy_T": [1.5, 2.0, 2.2, 2.4, 3.0, 4.0],
    "magnet_L": 32,
    "magnet_T": [1.5, 1.8, 2.0, 2.1],
    "binder_sizes": [8, 16, 32],
    "binder_deltas": [-0.01, 0.0, 0.01],
    "crossing_window": 0.01,
    "n_samples": 3000,
    "thermalization": 400,
    "seed": 1,
}
FULL = {
    "energy_L": 32,
    "energy_T": [1.0, 1.5, 1.8, 2.0, 2.1, 2.2, 2.3, 2.4, 2.6, 3.0, 3.5, 4.0, 5.0],
    "magnet_L": 64,
    "magnet_T": [1.0, 1.5, 1.8, 2.0, 2.1, 2.15, 2.2],
    "binder_sizes": [8, 16, 32, 64],
    "binder_deltas": [-0.02, -0.01, -0.005, 0.0, 0.005, 0.01, 0.02],
    "crossing_window": 0.01,
    "n_samples": 20000,
    "thermalization": 2000,
    "seed": 1,
}


def _block_error(x: np.ndarray) -> float:
    means = np.array([b.mean() for b in np.array_split(x, N_BLOCKS)])
    return float(means.std(ddof=1) / math.sqrt(N_BLOCKS))


def ising_point(L: int, beta: float, n_samples: int, thermalization: int, seed: int) -> dict[str, Any]:
    """Energy per site, <|m|> and the Binder cumulant of one run, with their errors (sweep worker)."""
    samples = ising(L, beta, n_samples, seed=seed, thermalization=thermalization)
    e = samples.energies / (L * L)
    abs_m = np.abs(samples.magnetizations)
    binder = binder_cumulant(samples.fields, n_blocks=N_BLOCKS)
    return {
        "energy": float(e.mean()),
        "energy_err": _block_error(e),
        "abs_m": float(abs_m.mean()),
        "abs_m_err": _block_error(abs_m),
        "binder": binder.value,
        "binder_err": binder.error,
        "tau_abs_m": samples.tau_abs_m.tau,
        "tau_energy": samples.tau_energy.tau,
        "thin": samples.thin,
        "converged": samples.converged,
    }


def _crossing(x: np.ndarray, d: np.ndarray, err: np.ndarray) -> tuple[float, float]:
    """Root nearest 0 of the weighted quadratic through (x, d +- err), and its delta-method standard error
    (dr/dp_k = -r^k / P'(r) for P(x) = p_0 + p_1 x + p_2 x^2)."""
    A = np.stack([np.ones_like(x), x, x * x], axis=1) / err[:, None]
    cov = np.linalg.pinv(A.T @ A)
    p = cov @ (A.T @ (d / err))
    roots = np.roots(p[::-1])
    real = roots[np.abs(roots.imag) < 1e-12].real
    if real.size == 0:
        return math.nan, math.nan
    root = float(real[np.argmin(np.abs(real))])
    gradient = -np.array([1.0, root, root * root]) / (p[1] + 2.0 * p[2] * root)
    return root, float(math.sqrt(gradient @ cov @ gradient))


def _exact_small_crossing() -> float:
    """beta of the exact crossing of U_3 and U_4 (enumeration), relative to beta_c."""
    root = brentq(lambda b: ising_enumeration(3, b).binder - ising_enumeration(4, b).binder, 0.35, 0.6, xtol=1e-12)
    return root / BETA_C - 1.0


@register(
    "ising-exact",
    "2-D Ising Monte Carlo against Onsager, Kaufman, Yang and the Binder crossing",
    quick=QUICK,
    full=FULL,
    cost=9,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    n, therm, seed = int(settings["n_samples"]), int(settings["thermalization"]), int(settings["seed"])
    L_e, L_m = int(settings["energy_L"]), int(settings["magnet_L"])
    energy_T = sorted({*map(float, settings["energy_T"]), T_C})
    magnet_T = [float(t) for t in settings["magnet_T"]]
    sizes = [int(L) for L in settings["binder_sizes"]]
    deltas = np.array(settings["binder_deltas"], dtype=float)
    window = float(settings["crossing_window"])
    grid = (
        [("energy", L_e, 1.0 / T) for T in energy_T]
        + [("magnet", L_m, 1.0 / T) for T in magnet_T]
        + [("binder", L, BETA_C * (1.0 + d)) for L in sizes for d in deltas]
        + [("enumeration", 4, BETA_C)]
    )
    points = [
        {"L": L, "beta": beta, "n_samples": n, "thermalization": therm, "seed": seed + 1000 * i}
        for i, (_, L, beta) in enumerate(grid)
    ]
    table = sweep(ising_point, points, executor=executor, checkpoint=out_dir / "sweep.jsonl", desc="ising-exact")
    rows = {key: np.asarray(table[key], dtype=float) for key in ("energy", "energy_err", "abs_m", "abs_m_err")}
    rows |= {key: np.asarray(table[key], dtype=float) for key in ("binder", "binder_err", "tau_abs_m", "tau_energy")}
    part = np.array([g[0] for g in grid])
    write_csv(
        {
            "part": list(part),
            "L": [g[1] for g in grid],
            "beta": [g[2] for g in grid],
            **{k: list(v) for k, v in rows.items()},
            "thin": list(table["thin"]),
        },
        out_dir / "points.csv",
    )

    n_checks = len(energy_T) + len(magnet_T) + (len(sizes) - 1) + 3
    z = float(norm.ppf(1.0 - ALPHA / (2 * n_checks)))
    bonferroni = f"z = {z:.2f} sigma (Bonferroni, alpha = {ALPHA} over {n_checks} checks)"
    checks: list[Check] = []
    e_sel = part == "energy"
    kaufman = [kaufman_energy(L_e, 1.0 / T) for T in energy_T]
    for T, exact, mean, err in zip(energy_T, kaufman, rows["energy"][e_sel], rows["energy_err"][e_sel]):
        checks.append(
            Check(
                f"energy per site, L = {L_e}, T = {T:.4g}",
                exact,
                mean,
                err,
                z * err,
                f"against Kaufman's exact finite-L energy (Onsager's L = inf value {float(onsager_energy(1 / T)):.6f}); "
                + bonferroni,
            )
        )
    m_sel = part == "magnet"
    for T, mean, err in zip(magnet_T, rows["abs_m"][m_sel], rows["abs_m_err"][m_sel]):
        beta = 1.0 / T
        xi = 1.0 / (4.0 * beta - 2.0 * math.log(1.0 / math.tanh(beta)))
        allowance = math.exp(-L_m / xi)
        checks.append(
            Check(
                f"<|m|>, L = {L_m}, T = {T:.4g}",
                float(yang_magnetization(beta)),
                mean,
                err,
                z * err + allowance,
                f"against Yang's m0; allowance exp(-L/xi) = {allowance:.2g} (xi = {xi:.3g}); " + bonferroni,
            )
        )
    b_sel = part == "binder"
    U = rows["binder"][b_sel].reshape(len(sizes), deltas.size)
    U_err = rows["binder_err"][b_sel].reshape(len(sizes), deltas.size)
    small = _exact_small_crossing()
    crossings = []
    for k in range(len(sizes) - 1):
        L1, L2 = sizes[k], sizes[k + 1]
        near = np.abs(deltas) <= window
        root, err = _crossing(deltas[near], U[k][near] - U[k + 1][near], np.hypot(U_err[k], U_err[k + 1])[near])
        allowance = abs(small) * (3.5 / math.sqrt(L1 * L2)) ** 3
        crossings.append((L1, L2, root, err))
        checks.append(
            Check(
                f"Binder crossing U_{L1} = U_{L2}: beta/beta_c - 1",
                0.0,
                root,
                err,
                z * err + allowance,
                f"quadratic fit of U_L - U_2L over the {int(near.sum())} couplings within {100 * window:g}% of beta_c; allowance {allowance:.2g}: the exact L = 3/4 "
                f"crossing ({small:+.3g}) scaled by (3.5/sqrt(L L'))^3; " + bonferroni,
            )
        )
    exact4 = ising_enumeration(4, BETA_C)
    i4 = int(np.flatnonzero(part == "enumeration")[0])
    for name, exact, key in (("energy per site", exact4.energy, "energy"), ("<|m|>", exact4.abs_m, "abs_m")):
        mean, err = rows[key][i4], rows[key + "_err"][i4]
        checks.append(Check(f"{name}, L = 4, T_c", exact, mean, err, z * err, "exact enumeration; " + bonferroni))
    mean, err = rows["binder"][i4], rows["binder_err"][i4]
    checks.append(Check("Binder U_4 at T_c", exact4.binder, mean, err, z * err, "exact enumeration; " + bonferroni))

    with lecture_style():
        fig, (ax_a, ax_b, ax_c) = figure(1, 3, figsize=(15.0, 4.4))
        T_line = np.linspace(min(energy_T) * 0.95, max(energy_T) * 1.02, 300)
        theory_line(ax_a, T_line, onsager_energy(1 / T_line), label=r"Onsager, $L = \infty$", color="k")
        T_k = np.linspace(min(energy_T) * 0.95, max(energy_T) * 1.02, 60)
        theory_line(
            ax_a, T_k, [kaufman_energy(L_e, 1 / t) for t in T_k], label=f"Kaufman, L = {L_e}", color=COLORS[1], ls="--"
        )
        simulation_points(
            ax_a, energy_T, rows["energy"][e_sel], rows["energy_err"][e_sel], label=f"MC, L = {L_e}", color=COLORS[0]
        )
        ax_a.axvline(T_C, color="0.6", ls=":", lw=1)
        ax_a.set(xlabel="temperature $T$", ylabel=r"energy per site $\langle E\rangle/L^2$", title="(a) energy")
        ax_a.legend(loc="lower right")

        T_y = np.linspace(0.8 * min(magnet_T), T_C, 300)
        theory_line(ax_b, T_y, yang_magnetization(1 / T_y), label=r"Yang, $m_0(T)$", color="k")
        simulation_points(
            ax_b, magnet_T, rows["abs_m"][m_sel], rows["abs_m_err"][m_sel], label=f"MC, L = {L_m}", color=COLORS[0]
        )
        simulation_points(
            ax_b,
            energy_T,
            rows["abs_m"][e_sel],
            rows["abs_m_err"][e_sel],
            label=f"MC, L = {L_e} (not checked)",
            color=COLORS[2],
            marker="s",
        )
        ax_b.axvline(T_C, color="0.6", ls=":", lw=1)
        ax_b.set(xlabel="temperature $T$", ylabel=r"$\langle|m|\rangle$", title="(b) magnetisation")
        ax_b.legend(loc="lower left")

        for k, L in enumerate(sizes):
            color = COLORS[k % len(COLORS)]
            simulation_points(ax_c, 100 * deltas, U[k], U_err[k], label=f"L = {L}", color=color)
            ax_c.plot(100 * deltas, U[k], color=color, lw=0.8, alpha=0.6)
        ax_c.axvline(0.0, color="k", lw=1, label=r"$\beta_c$ (Onsager)")
        ax_c.axhline(CRITICAL_BINDER, color="0.5", ls=":", lw=1, label=r"$U^* = 0.6107$ ($L\to\infty$)")
        ax_c.set(xlabel=r"$100\,(\beta/\beta_c - 1)$ (%)", ylabel=r"Binder cumulant $U_L$", title="(c) Binder crossing")
        ax_c.legend(loc="lower right")
        save_figure(fig, out_dir / "ising_exact.png")

    lines = [f"{c.quantity}: {c.simulation:.5g} vs {c.theory:.5g} (+- {c.stderr:.2g})" for c in checks[-3:]]
    crossing_text = "; ".join(f"U_{a} = U_{b} at beta/beta_c - 1 = {r:+.4f} +- {e:.4f}" for a, b, r, e in crossings)
    return ReproductionResult(
        figures=("ising_exact.png",),
        data=("points.csv",),
        checks=tuple(checks),
        summary=f"Binder crossings: {crossing_text}. L = 4 against enumeration: " + "; ".join(lines),
    )
