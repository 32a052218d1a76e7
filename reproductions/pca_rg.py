r"""`pca-rg`: PCA as momentum-shell RG, the fourth-moment flow with its Gaussian control.

Bradde & Bialek, J. Stat. Phys. 167, 462 (2017): coarse-grain by keeping the top K principal components,
:math:`x^{(K)} = \sum_{\mu\le K}u_\mu u_\mu^\top x`, and follow the normalised fourth moment
:math:`\kappa_i = \langle x_i^4\rangle/\langle x_i^2\rangle^2` of the coarse variables from K/N = 1 down to
K = 1 (:func:`statlearn.rg.pca_flow`: median over units, 16-84% spread, jackknife error over blocks of
samples). Data sets (:data:`DATASETS`, one line each): a Gaussian free field
(:func:`wirg.fields.gaussian_field`), lattice :math:`\varphi^4` (:func:`wirg.lattice_phi4.phi4`) at
:math:`\beta_c \approx 0.68` and off it on both sides, the 2-D Ising model (:func:`wirg.fields.ising`) at
:math:`T_c`, :math:`1.5\,T_c` and :math:`0.8\,T_c`, and scikit-learn's digits (shipped with the package).
Every data set has its Gaussian control (:func:`statlearn.rg.gaussian_control`: the same n, N and
empirical covariance), which measures the finite-sample effect of estimating the projection from the data.

- Panel a: per-unit median against K/N, the controls as dashed lines, 3 marked.
- Panel b: the same for the mode amplitudes :math:`a_\mu = u_\mu^\top x`, :math:`\mu \le K`.
- Panel c: principal components against plane waves (:func:`statlearn.rg.fourier_check`): weight of
  eigenvector r in its shell for the free field (exact spectrum; line: 1 minus the first-order sampling
  leakage) and for :math:`\varphi^4` at :math:`\beta_c` (shells: lattice-symmetry orbits of the measured
  spectrum, merged within 3 sqrt(2/n)).
- Panel d: eigenvalues against rank with the exact (free field) and the measured (:math:`\varphi^4`) spectrum.

Checks: (1) every Gaussian control and the free field itself at 3: the mean over ``control_replicas``
independent replicas, the fraction of largest :math:`|\kappa - 3|/\sigma` (:math:`\sigma` the replicas'
standard error: the jackknife error of a median over strongly correlated units underestimates its scatter)
against the two-sided Student-t Bonferroni bound over all fractions and flows at alpha = 0.01, plus the
finite-n offset of the median sample kurtosis of n Gaussian numbers from 3 (0.034 at n = 400: the estimator's
mean is 3 - 6/(n + 1) and its law is skewed); (2) the Fourier identity on the free field: measured over predicted leakage against 1 (tolerance
0.3: seed-to-seed scatter 0.08 at n = 10^4, L = 8), and each shell's eigenvalue sum against the exact
spectrum within the Bonferroni bound of its chi-square error :math:`\sqrt{2/(m(n-1))}`; (3) :math:`\varphi^4`
at :math:`\beta_c`, K = 1 (the zero mode, i.e. the magnetisation): :math:`\langle m^4\rangle/\langle m^2\rangle^2`
against the 2-D Ising universal value :math:`3(1 - U^*)`, :math:`U^* = 0.61069` (Salas & Sokal,
J. Stat. Phys. 98, 551 (2000)), within the same bound times its standard error: the flow leaves 3 for a
non-Gaussian fixed point. ``beta = 0.68`` is the critical coupling only to about 1% and L is small, so this
check measures how close the finite lattice is to the fixed point (stated, not tuned).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student
from sklearn.datasets import load_digits

from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.rg import fourier_check, gaussian_control, pca_flow
from statlearn.sweep import write_csv
from wirg.fields import free_field_spectrum, gaussian_field, ising
from wirg.ising_exact import BETA_C
from wirg.lattice_phi4 import phi4

ALPHA = 0.01
LEAKAGE_TOLERANCE = 0.3
BINDER_CRITICAL = 0.61069  # 2-D Ising, periodic square lattice (Salas & Sokal 2000)
QUICK = {
    "L": 16,
    "n_samples": 400,
    "n_blocks": 16,
    "fractions": [0.02, 0.05, 0.1, 0.25, 0.5, 1.0],
    "mass": 0.3,
    "beta_c": 0.68,
    "beta_off": [0.5, 0.9],
    "fourier_L": 8,
    "fourier_samples": 10000,
    "control_replicas": 8,
    "seed": 0,
}
FULL = {
    "L": 32,
    "n_samples": 4000,
    "n_blocks": 16,
    "fractions": [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0],
    "mass": 0.3,
    "beta_c": 0.68,
    "beta_off": [0.5, 0.9],
    "fourier_L": 8,
    "fourier_samples": 40000,
    "control_replicas": 16,
    "seed": 0,
}

Loader = Callable[[Mapping[str, Any], int], np.ndarray]


def _free_field(s: Mapping[str, Any], seed: int) -> np.ndarray:
    return gaussian_field(free_field_spectrum(s["L"], mass=s["mass"]), s["L"], s["n_samples"], seed=seed)


def _phi4(beta_key: str, index: int | None = None) -> Loader:
    def load(s: Mapping[str, Any], seed: int) -> np.ndarray:
        beta = s[beta_key] if index is None else s[beta_key][index]
        return phi4(s["L"], beta, s["n_samples"], seed=seed).fields

    return load


def _ising(temperature: float) -> Loader:
    """2-D Ising spins (+-1, as floats) at ``temperature`` in units of T_c."""

    def load(s: Mapping[str, Any], seed: int) -> np.ndarray:
        return ising(s["L"], BETA_C / temperature, s["n_samples"], seed=seed).fields.astype(float)

    return load


def _digits(s: Mapping[str, Any], seed: int) -> np.ndarray:
    return load_digits().data.astype(float)


#: (label, loader(settings, seed) -> data (n, N) or (n, L, L)); a data set is one line here.
DATASETS: list[tuple[str, Loader]] = [
    ("Gaussian free field", _free_field),
    (r"$\varphi^4$, $\beta_c$", _phi4("beta_c")),
    (r"$\varphi^4$, $\beta < \beta_c$", _phi4("beta_off", 0)),
    (r"$\varphi^4$, $\beta > \beta_c$", _phi4("beta_off", 1)),
    ("Ising, $T_c$", _ising(1.0)),
    ("Ising, $1.5\\,T_c$", _ising(1.5)),
    ("Ising, $0.8\\,T_c$", _ising(0.8)),
    ("digits (scikit-learn)", _digits),
]


def _median_kurtosis_offset(n: int, seed: int, draws: int = 20000) -> float:
    """|3 - median| of the sample kurtosis m4/m2^2 of n i.i.d. Gaussian numbers (``draws`` Monte Carlo draws): the
    finite-n offset of a median of per-unit kurtoses of Gaussian data (the mean is 3 - 6/(n + 1), the law skewed)."""
    rng, values = np.random.default_rng(seed), []
    for start in range(0, draws, 1000):
        x = rng.standard_normal((min(1000, draws - start), n))
        x -= x.mean(axis=1, keepdims=True)
        values.append((x**4).mean(axis=1) / (x**2).mean(axis=1) ** 2)
    return float(abs(3.0 - np.median(np.concatenate(values))))


def _worst(flow_median: np.ndarray, flow_stderr: np.ndarray) -> int:
    return int(np.argmax(np.abs(flow_median - 3.0) / np.maximum(flow_stderr, np.finfo(float).tiny)))


@register("pca-rg", "PCA as momentum-shell RG: fourth-moment flows (Bradde & Bialek)", quick=QUICK, full=FULL, cost=17)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    seed = int(settings["seed"])
    flows, controls, timings = {}, {}, {}
    data_of = {}
    for i, (label, load) in enumerate(DATASETS):
        start = time.perf_counter()
        data = load(settings, seed + i)
        N = int(np.prod(data.shape[1:]))
        kept = {max(1, round(f * N)) for f in settings["fractions"]} | {1}  # K = 1 and the settings' fractions
        fractions = [k / N for k in sorted(kept)]
        flows[label] = pca_flow(data, fractions, n_blocks=settings["n_blocks"])
        controls[label] = pca_flow(
            gaussian_control(data, seed=seed + 100 + i), fractions, n_blocks=settings["n_blocks"]
        )
        timings[label] = time.perf_counter() - start
        data_of[label] = data

    # 1. the Gaussian value 3: every control, and the free field itself, each over independent replicas (the
    # jackknife error of a median over strongly correlated units underestimates its scatter: 0.028 against 0.055
    # over 12 seeds of the digits' control)
    R = int(settings["control_replicas"])
    gaussian = []
    for i, (label, load) in enumerate(DATASETS):
        first = flows[label] if i == 0 else controls[label]
        name = label if i == 0 else f"Gaussian control of {label}"
        replicas = [first]
        for r in range(1, R):
            sample = (
                load(settings, seed + 1000 * r)
                if i == 0
                else gaussian_control(data_of[label], seed=seed + 100 + i + 1000 * r)
            )
            replicas.append(pca_flow(sample, first.fractions, n_blocks=2))
        gaussian.append((name, first, replicas))
    allowance = {n: _median_kurtosis_offset(n, seed) for n in {data_of[label].shape[0] for label, _ in DATASETS}}
    n_tests = sum(2 * first.K.size for _, first, _ in gaussian)
    bound = float(student.ppf(1 - ALPHA / (2 * n_tests), R - 1))
    checks = []
    for (label, first, replicas), (data_label, _) in zip(gaussian, DATASETS):
        bias = allowance[data_of[data_label].shape[0]]
        for variable, attribute in (("units", "median"), ("modes", "mode_median")):
            values = np.array([getattr(flow, attribute) for flow in replicas])  # (R, fractions)
            mean, stderr = values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(R)
            j = _worst(mean, stderr)
            checks.append(
                Check(
                    f"{label}: median kappa ({variable}) at the worst K/N = {first.fractions[j]:.3g}",
                    3.0,
                    float(mean[j]),
                    float(stderr[j]),
                    bound * float(stderr[j]) + bias,
                    f"Gaussian data: 3 at every K; mean over {R} independent replicas, the fraction farthest from 3 in "
                    f"units of the replicas' standard error, against the two-sided Student-t ({R - 1} dof) Bonferroni "
                    f"bound {bound:.2f} over {n_tests} medians (alpha = {ALPHA}) plus the finite-n allowance {bias:.3g}: "
                    f"the median sample kurtosis of n = {data_of[data_label].shape[0]} Gaussian numbers lies that far "
                    f"below 3 (the mean 6/(n + 1))",
                )
            )

    # 2. principal components = plane waves (exact free-field spectrum)
    L4, n4 = int(settings["fourier_L"]), int(settings["fourier_samples"])
    S = free_field_spectrum(L4, mass=settings["mass"])
    exact = fourier_check(gaussian_field(S, L4, n4, seed=seed + 50), S)
    ratio = (1.0 - exact.overlap.mean()) / exact.expected_leakage.mean()
    checks.append(
        Check(
            f"free field L = {L4}: leakage out of the predicted shell, measured / first-order",
            1.0,
            float(ratio),
            0.08,
            LEAKAGE_TOLERANCE,
            f"mean weight of the eigenvectors outside the shell their rank predicts ({1 - exact.overlap.mean():.4f}) "
            f"over the first-order sampling prediction ({exact.expected_leakage.mean():.4f}); seed scatter 0.08",
        )
    )
    shells = np.unique(exact.shell)
    shell_bound = float(norm.ppf(1 - ALPHA / (2 * shells.size)))
    z = np.array(
        [
            (exact.eigenvalues[m].sum() / exact.spectrum[m].sum() - 1.0) / np.sqrt(2.0 / (m.sum() * (n4 - 1)))
            for m in (exact.shell == s for s in shells)
        ]
    )
    checks.append(
        Check(
            f"free field L = {L4}: eigenvalue sum per shell against S(k), largest |z|",
            0.0,
            float(np.max(np.abs(z))),
            1.0,
            shell_bound,
            f"z = (sum of the shell's eigenvalues / sum of its S(k) - 1) / sqrt(2 / (m (n - 1))) over {shells.size} "
            f"shells; two-sided Bonferroni bound at alpha = {ALPHA}",
        )
    )
    critical = DATASETS[1][0]
    measured = fourier_check(data_of[critical], resolution=3.0 * np.sqrt(2.0 / settings["n_samples"]))

    # 3. phi^4 at beta_c leaves 3: the zero mode's ratio against the Ising fixed point
    flow_c = flows[critical]
    target = 3.0 * (1.0 - BINDER_CRITICAL)
    checks.append(
        Check(
            "phi^4 at beta_c, K = 1: <m^4>/<m^2>^2 against 3 (1 - U*) of the 2-D Ising fixed point",
            target,
            float(flow_c.median[0]),
            float(flow_c.stderr[0]),
            bound * float(flow_c.stderr[0]),
            f"U* = {BINDER_CRITICAL} (Salas & Sokal 2000); beta = {settings['beta_c']} at L = {settings['L']}; "
            f"the Gaussian value 3 is {(3.0 - flow_c.median[0]) / flow_c.stderr[0]:.0f} standard errors away",
        )
    )

    rows: dict[str, list[Any]] = {
        k: []
        for k in ("dataset", "variable", "fraction", "K", "median", "q16", "q84", "stderr", "control", "control_stderr")
    }
    for label, _ in DATASETS:
        flow, control = flows[label], controls[label]
        for variable, med, spread, err, cmed, cerr in (
            ("units", flow.median, flow.spread, flow.stderr, control.median, control.stderr),
            ("modes", flow.mode_median, flow.mode_spread, flow.mode_stderr, control.mode_median, control.mode_stderr),
        ):
            for j in range(flow.K.size):
                values = (label, variable, flow.fractions[j], flow.K[j], med[j], *spread[j], err[j], cmed[j], cerr[j])
                for key, value in zip(rows, values):
                    rows[key].append(value)
    write_csv(rows, out_dir / "flows.csv")
    write_csv(
        {
            "rank": np.arange(exact.eigenvalues.size),
            "eigenvalue": exact.eigenvalues,
            "spectrum": exact.spectrum,
            "overlap": exact.overlap,
            "expected_leakage": exact.expected_leakage,
        },
        out_dir / "fourier.csv",
    )

    with lecture_style():
        fig, axes = figure(2, 2, figsize=(13.0, 9.5))
        (ax_a, ax_b), (ax_c, ax_d) = axes
        for ax, variable in ((ax_a, "units"), (ax_b, "modes")):
            for i, (label, _) in enumerate(DATASETS):
                flow, control = flows[label], controls[label]
                color = COLORS[i % len(COLORS)]
                med, err = (flow.median, flow.stderr) if variable == "units" else (flow.mode_median, flow.mode_stderr)
                cmed = control.median if variable == "units" else control.mode_median
                marker = "osD^v<>p"[i % 8]  # the colours repeat after seven data sets; the markers tell them apart
                simulation_points(ax, flow.fractions, med, err, label=label, color=color, marker=marker)
                ax.plot(flow.fractions, cmed, color=color, ls="--", lw=1.0, alpha=0.7)
            ax.axhline(3.0, color="k", lw=1.0, label="Gaussian, 3")
            ax.axhline(target, color="k", lw=1.0, ls=":", label=r"Ising fixed point $3(1-U^*)$")
            ax.plot([], [], color="gray", ls="--", lw=1.0, label="Gaussian controls (same n, N, covariance)")
            ax.set_xscale("log")
            what = r"units $x^{(K)}_i$" if variable == "units" else r"modes $a_\mu,\ \mu \leq K$"
            ax.set(
                xlabel="kept fraction $K/N$",
                ylabel=r"median $\langle x^4\rangle/\langle x^2\rangle^2$",
                title=f"({'a' if variable == 'units' else 'b'}) fourth-moment flow, {what}",
            )
        ax_b.set_ylim(0.8, 12.0)
        ax_b.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
        ranks = np.arange(1, exact.overlap.size + 1)
        ax_c.plot(
            ranks, exact.overlap, "o", ms=4, mfc="white", color=COLORS[0], label=f"free field, L = {L4}, n = {n4}"
        )
        theory_line(
            ax_c, ranks, 1.0 - exact.expected_leakage, label="1 - first-order sampling leakage", color=COLORS[0]
        )
        ranks_m = np.arange(1, measured.overlap.size + 1)
        ax_c.plot(
            ranks_m,
            measured.overlap,
            "s",
            ms=3,
            mfc="white",
            color=COLORS[1],
            label=rf"{critical}, L = {settings['L']}",
        )
        ax_c.set(
            xlabel="eigenvalue rank r",
            ylabel="weight of $u_r$ in its momentum shell",
            title="(c) eigenvectors = plane waves",
            xscale="log",
            ylim=(0, 1.05),
        )
        ax_c.legend(loc="lower left", fontsize=8)
        ax_d.loglog(ranks, exact.eigenvalues, "o", ms=4, mfc="white", color=COLORS[0], label="free field: eigenvalues")
        theory_line(ax_d, ranks, exact.spectrum, label="exact $S(k)$, sorted", color=COLORS[0])
        ax_d.loglog(
            ranks_m, measured.eigenvalues, "s", ms=3, mfc="white", color=COLORS[1], label=rf"{critical}: eigenvalues"
        )
        ax_d.loglog(ranks_m, measured.measured, color=COLORS[1], lw=1.2, label="measured power spectrum, sorted")
        ax_d.set(
            xlabel="rank r", ylabel=r"eigenvalue $\lambda_r$, $S(k)$", title="(d) eigenvalues against the spectrum"
        )
        ax_d.legend(loc="lower left", fontsize=8)
        save_figure(fig, out_dir / "pca_rg.png")

    c = flows[critical]
    return ReproductionResult(
        figures=("pca_rg.png",),
        data=("flows.csv", "fourier.csv"),
        checks=tuple(checks),
        summary=(
            f"{settings['n_samples']} fields per lattice data set (L = {settings['L']}), {settings['n_blocks']} jackknife "
            f"blocks; phi^4 at beta_c: units from {c.median[-1]:.3f} at K = N to {c.median[0]:.3f} at K = 1. "
            + "; ".join(f"{label}: {t:.1f} s" for label, t in timings.items())
        ),
    )
