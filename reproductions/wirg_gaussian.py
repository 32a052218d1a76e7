r"""`wirg-gaussian`: the wavelet conditional RG of the critical free field, fitted against exact.

The massless lattice free field :math:`S(k) = 1/\hat k^2` (zero mode :math:`S(0) = 1`) on the
periodic :math:`L\times L` lattice has an exact WIRG (:class:`wirg.gaussian.GaussianWIRG`;
Marchand, Ozawa, Biroli & Mallat, PRX 13, 041038 (2023), §III and App. B). This reproduction
checks the data-driven pipeline against it, with the Haar wavelet:

1. **Couplings.** ``n_train`` exact fields (:func:`wirg.fields.gaussian_field`) are decomposed
   down to an ``coarse_side`` x ``coarse_side`` coarse field and the conditional ansatz
   (:class:`wirg.ansatz.QuadraticAnsatz`, shifts :math:`|\Delta|_\infty \le` ``radius``) is fitted
   by exact maximum likelihood at every scale (:func:`wirg.likelihood.fit_exact_quadratic`). The exact
   couplings are the truncation to the stencil of :meth:`wirg.gaussian.Scale.kernels`: for Haar
   they have range 1 at j = 1 and decay by a factor ~40 per site at j >= 2, so at radius 2 the
   neglected couplings are < 1e-4 of the largest, far below the statistical errors (this is why
   the decomposition stops at ``coarse_side`` = 8, where radius 2 still fits on the lattice; db4's
   range is 4). Check per (L, j): the Mahalanobis distance :math:`\chi^2 = r^\top\Sigma^{-1}r` of
   the residual :math:`r = \hat\theta - \theta_{\rm exact}` with the asymptotic covariance
   :math:`\Sigma` (inverse Fisher, ``ExactFit.covariance``) is :math:`\chi^2_n`; :math:`\chi^2/n`
   against 1 within the :math:`1 - \alpha/2` quantile, :math:`\alpha = 0.01/`(number of coupling
   checks) (Bonferroni; the symmetric tolerance makes the lower tail looser).
2. **Generation.** Coarse-to-fine sampling (:func:`wirg.generate.generate`) from the FITTED
   couplings and the fitted coarse marginal (:class:`wirg.generate.GaussianMarginal`, the
   training periodogram of the coarse field); the azimuthally averaged power spectrum in shells
   :math:`|k| L/2\pi \in [m - \frac12, m + \frac12)`, m >= 1, against the exact one. Standard error
   per shell: that of the generated mean over ``n_generated`` fields combined with that of the
   training fields' mean (which bounds the estimation error of the fitted model: at the coarse
   scale the model reproduces the training periodogram, at fine scales its error is smaller);
   shells and errors from :func:`wirg.statistics.power_spectrum`.
   Check: :math:`\max_m |z_m|` against the two-sided Bonferroni bound at :math:`\alpha = 0.01`.
3. **Iterations** of plain gradient descent (moment matching with persistent MALA,
   :func:`wirg.moment_matching.fit_moment_matching` on the finest scale, radius 1 and exact there, against
   :func:`wirg.moment_matching.fit_direct` with the local radius-1 ansatz of the whole field) to reach 5%
   relative distance to the exact ML fit of the same zero-mean data (``iteration_fields``
   fields), learning rate :math:`1/\lambda_{\max}` of the Hessian at the optimum; mean and
   standard error over MCMC seeds. No pass/fail: the scaling is reported.
4. **Timing** of generation per sample against :math:`N = L^2` (exact couplings truncated to
   the same stencil, same cost as fitted ones), and of the exact solver's
   :meth:`~wirg.gaussian.GaussianWIRG.sample`; fitted exponents in the summary.
5. **Condition numbers** (:meth:`wirg.gaussian.GaussianWIRG.condition_numbers`, db4, radius 1):
   the full-field precision and the direct Fisher matrix grow like :math:`L^2` (check: fitted
   log-log slope within 0.15 of 2, the finite-size curvature of :math:`\sin^2(\pi/L)` and of the
   stencil sums being a few percent); the conditional precisions :math:`Q_{hh}` stay bounded
   (check: the maximum over scales and L within 1.5 times the maximum at the smallest L).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.ticker import NullLocator
from scipy.stats import chi2, norm

from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.reproductions.wirg_common import loglog_slope
from statlearn.sweep import write_csv
from wirg.ansatz import LocalAnsatz, QuadraticAnsatz
from wirg.fields import free_field_spectrum, gaussian_field
from wirg.gaussian import GaussianWIRG
from wirg.generate import GaussianMarginal, ScaleModel, generate
from wirg.likelihood import ConditionalGaussianLikelihood, fit_exact_direct, fit_exact_quadratic, local_fisher
from wirg.moment_matching import fit_direct, fit_moment_matching
from wirg.statistics import power_spectrum, radial_shells
from wirg.wavelets import analysis_step

WAVELET = "haar"
ALPHA = 0.01
SLOPE_TOLERANCE = 0.15
QUICK = {
    "coupling_sizes": [32, 64],
    "n_train": 100,
    "radius": 2,
    "coarse_side": 8,
    "n_generated": 400,
    "wirg_sizes": [16, 32],
    "direct_sizes": [16, 32],
    "iteration_fields": 16,
    "iteration_seeds": 2,
    "tol": 0.05,
    "max_steps": 20000,
    "timing_sizes": [32, 64, 128, 256],
    "timing_batch": 8,
    "condition_sizes": [16, 32, 64],
    "seed": 0,
}
FULL = {
    "coupling_sizes": [32, 64, 128],
    "n_train": 200,
    "radius": 2,
    "coarse_side": 8,
    "n_generated": 1000,
    "wirg_sizes": [16, 32, 64, 128],
    "direct_sizes": [16, 32, 64],
    "iteration_fields": 16,
    "iteration_seeds": 2,
    "tol": 0.05,
    "max_steps": 50000,
    "timing_sizes": [32, 64, 128, 256, 512],
    "timing_batch": 8,
    "condition_sizes": [16, 32, 64, 128],
    "seed": 0,
}


def _spectrum(L: int, zero_mode: float) -> np.ndarray:
    return free_field_spectrum(L, mass=0.0, zero_mode=zero_mode)


# -- 1. couplings and 2. generation ---------------------------------------------------------------


def fit_all_scales(L: int, settings: Mapping[str, Any], rng: np.random.Generator):
    """Exact ML fit at every scale down to the coarse side; returns the data fields, the fitted
    models, the coarse marginal and per scale (exact theta, ExactFit)."""
    levels = int(np.log2(L // settings["coarse_side"]))
    exact = GaussianWIRG(_spectrum(L, 1.0), wavelet=WAVELET, levels=levels)
    fields = gaussian_field(_spectrum(L, 1.0), L, settings["n_train"], seed=rng)
    ansatz = QuadraticAnsatz(settings["radius"], wavelet=WAVELET)
    phi, models, fits = fields, [], []
    for scale in exact.scales:
        phi, psi = analysis_step(phi, WAVELET)
        fit = fit_exact_quadratic(ansatz, phi, psi)
        if not fit.converged:
            raise RuntimeError(f"exact ML fit did not converge at L = {L}, j = {scale.j}")
        models.append(ScaleModel(ansatz, fit.theta))
        fits.append((ansatz.from_kernels(*scale.kernels()), fit))
    return fields, models, GaussianMarginal.fit(phi), fits


def coupling_check(L: int, j: int, theta_exact: np.ndarray, fit: Any, n_checks: int) -> Check:
    r = fit.theta - theta_exact
    n = r.size
    statistic = float(r @ np.linalg.solve(fit.covariance, r)) / n
    tolerance = chi2.ppf(1.0 - ALPHA / (2 * n_checks), n) / n - 1.0
    return Check(
        f"chi2/n of fitted - exact couplings, L = {L}, j = {j}",
        1.0,
        statistic,
        np.sqrt(2.0 / n),
        tolerance,
        f"{n} couplings, Mahalanobis distance with the inverse-Fisher covariance ~ chi2_n; tolerance the "
        f"upper {1 - ALPHA / (2 * n_checks):.5f} quantile (Bonferroni over {n_checks} scale checks)",
    )


def spectrum_check(L: int, train: np.ndarray, generated: np.ndarray) -> tuple[Check, dict[str, np.ndarray]]:
    shells = radial_shells(L)
    exact = shells.average(_spectrum(L, 1.0))
    gen, data = power_spectrum(generated), power_spectrum(train)
    stderr = np.hypot(gen.error, data.error)
    z = (gen.value - exact) / stderr
    bound = norm.ppf(1.0 - ALPHA / (2 * z.size))
    check = Check(
        f"max |z| of the generated power spectrum over {z.size} shells, L = {L}",
        0.0,
        float(np.abs(z).max()),
        1.0,
        bound,
        f"{gen.n_samples} fields generated from the fitted model, {data.n_samples} training fields; z per shell with "
        f"the generated and training standard errors combined; two-sided Bonferroni bound at alpha = {ALPHA}",
    )
    return check, {"k": shells.k, "exact": exact, "generated": gen.value, "stderr": stderr, "z": z}


# -- 3. iterations of moment matching ---------------------------------------------------------------


def iterations_wirg(L: int, settings: Mapping[str, Any], seed: int) -> tuple[list[float], float]:
    """Iterations to the target of moment matching at the finest scale, one per MCMC seed, and the
    condition number of the Hessian at the ML fit."""
    fields = gaussian_field(_spectrum(L, 0.0), L, settings["iteration_fields"], seed=seed)
    phi, psi = analysis_step(fields, WAVELET)
    ansatz = QuadraticAnsatz(1, wavelet=WAVELET)
    ml = fit_exact_quadratic(ansatz, phi, psi)
    eig = np.linalg.eigvalsh(ConditionalGaussianLikelihood(ansatz, phi, psi).terms(ml.theta).hessian)
    counts = []
    for s in range(settings["iteration_seeds"]):
        result = fit_moment_matching(
            ansatz,
            phi,
            psi,
            steps=settings["max_steps"],
            lr=1.0 / eig.max(),
            seed=s,
            mcmc_steps=5,
            target=ml.theta,
            tol=settings["tol"],
        )
        counts.append(np.nan if result.iterations_to_target is None else float(result.iterations_to_target))
    return counts, float(eig.max() / eig.min())


def iterations_direct(L: int, settings: Mapping[str, Any], seed: int) -> tuple[list[float], float]:
    """The same for direct estimation of the local radius-1 ansatz on the whole field."""
    fields = gaussian_field(_spectrum(L, 0.0), L, settings["iteration_fields"], seed=seed)
    ansatz = LocalAnsatz(1)
    ml = fit_exact_direct(ansatz, fields, zero_mean=True)
    eig = np.linalg.eigvalsh(local_fisher(ansatz, ml.theta, L, zero_mean=True))
    counts = []
    for s in range(settings["iteration_seeds"]):
        result = fit_direct(
            ansatz,
            fields,
            steps=settings["max_steps"],
            lr=1.0 / eig.max(),
            seed=s,
            mcmc_steps=5,
            target=ml.theta,
            tol=settings["tol"],
            zero_mean=True,
        )
        counts.append(np.nan if result.iterations_to_target is None else float(result.iterations_to_target))
    return counts, float(eig.max() / eig.min())


# -- 4. timing ---------------------------------------------------------------------------------------


def generation_times(L: int, settings: Mapping[str, Any]) -> tuple[float, float]:
    """Seconds per sample (best of 2 batches) of :func:`generate` with the exact couplings truncated to
    the stencil, and of the exact solver's sample."""
    side = min(settings["coarse_side"], L)
    exact = GaussianWIRG(_spectrum(L, 1.0), wavelet=WAVELET, levels=int(np.log2(L // side)))
    ansatz = QuadraticAnsatz(settings["radius"], wavelet=WAVELET)
    models = [ScaleModel(ansatz, ansatz.from_kernels(*s.kernels())) for s in exact.scales]
    marginal = GaussianMarginal(1.0 / exact.precisions[-1])
    full = GaussianWIRG(_spectrum(L, 1.0), wavelet=WAVELET)
    batch = settings["timing_batch"]

    def best(func) -> float:
        times = []
        for _ in range(2):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        return min(times) / batch

    return (
        best(lambda: generate(models, marginal, batch, seed=1, wavelet=WAVELET)),
        best(lambda: full.sample(batch, seed=1)),
    )


# -- the reproduction -----------------------------------------------------------------------------------


@register(
    "wirg-gaussian",
    "WIRG of the critical free field: fitted vs exact couplings, generated spectrum, iterations, conditioning",
    quick=QUICK,
    full=FULL,
    cost=27,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    rng = np.random.default_rng(settings["seed"])
    rows: dict[str, list] = {k: [] for k in ("kind", "L", "j", "x", "theory", "simulation", "stderr")}

    def row(kind, L, j, x, theory, simulation, stderr):
        for key, value in zip(rows, (kind, L, j, x, theory, simulation, stderr)):
            rows[key].append(value)

    checks: list[Check] = []
    # 1-2. couplings and generation
    coupling_sizes = [int(L) for L in settings["coupling_sizes"]]
    n_checks = sum(int(np.log2(L // settings["coarse_side"])) for L in coupling_sizes)
    couplings, spectra = {}, {}
    for L in coupling_sizes:
        train, models, marginal, fits = fit_all_scales(L, settings, rng)
        for j, (theta_exact, fit) in enumerate(fits, start=1):
            checks.append(coupling_check(L, j, theta_exact, fit, n_checks))
            for a, (t, f, e) in enumerate(zip(theta_exact, fit.theta, fit.stderr)):
                row("coupling", L, j, a, t, f, e)
        couplings[L] = fits
        generated = generate(models, marginal, settings["n_generated"], seed=rng, wavelet=WAVELET)
        check, spectra[L] = spectrum_check(L, train, generated)
        checks.append(check)
        for k, t, g, e in zip(*(spectra[L][key] for key in ("k", "exact", "generated", "stderr"))):
            row("spectrum", L, 0, k, t, g, e)
    # 3. iterations
    iterations = {}
    for name, sizes, func in (
        ("wirg", settings["wirg_sizes"], iterations_wirg),
        ("direct", settings["direct_sizes"], iterations_direct),
    ):
        for L in sizes:
            counts, cond = func(int(L), settings, seed=int(L) + 1000 * settings["seed"])
            counts = np.asarray(counts)
            err = (
                np.nanstd(counts, ddof=1) / np.sqrt(np.isfinite(counts).sum())
                if np.isfinite(counts).sum() > 1
                else np.nan
            )
            iterations[name, int(L)] = (np.nanmean(counts) if np.isfinite(counts).any() else np.nan, err, cond)
            row(f"iterations_{name}", int(L), 1, cond, np.nan, iterations[name, int(L)][0], err)
    # 4. timing
    timing = {}
    for L in settings["timing_sizes"]:
        timing[int(L)] = generation_times(int(L), settings)
        row("time_generate", int(L), 0, int(L) ** 2, np.nan, timing[int(L)][0], np.nan)
        row("time_exact_sample", int(L), 0, int(L) ** 2, np.nan, timing[int(L)][1], np.nan)
    # 5. condition numbers
    cond_sizes = [int(L) for L in settings["condition_sizes"]]
    conds = [GaussianWIRG(_spectrum(L, 1.0)).condition_numbers() for L in cond_sizes]
    for L, c in zip(cond_sizes, conds):
        row("cond_full", L, 0, L, np.nan, c.full, np.nan)
        row("cond_fisher_direct", L, 0, L, np.nan, c.fisher_direct, np.nan)
        for j, (q, f) in enumerate(zip(c.conditional, c.fisher_conditional), start=1):
            row("cond_conditional", L, j, L, np.nan, q, np.nan)
            row("cond_fisher_conditional", L, j, L, np.nan, f, np.nan)
    slopes = {
        "full": loglog_slope(cond_sizes, [c.full for c in conds]),
        "fisher_direct": loglog_slope(cond_sizes, [c.fisher_direct for c in conds]),
    }
    for name, label in (("full", "full-field precision"), ("fisher_direct", "direct Fisher matrix")):
        checks.append(
            Check(
                f"log-log slope of the condition number of the {label} vs L",
                2.0,
                slopes[name],
                0.0,
                SLOPE_TOLERANCE,
                f"exact condition numbers (db4, radius 1) at L = {cond_sizes}; kappa ~ L^2 up to finite-size curvature",
            )
        )
    first = max(conds[0].conditional)
    worst = max(max(c.conditional) for c in conds)
    checks.append(
        Check(
            "max over scales and L of cond(Q_hh) (bounded in L)",
            first,
            worst,
            0.0,
            0.5 * first,
            f"bound 1.5 x the maximum over scales at L = {cond_sizes[0]} ({first:.3g}); max over L = {cond_sizes}",
        )
    )

    write_csv(rows, out_dir / "wirg_gaussian.csv")
    _plot(out_dir / "wirg_gaussian.png", couplings, spectra, iterations, settings["tol"], timing, cond_sizes, conds)

    time_slope = loglog_slope([L**2 for L in timing], [t[0] for t in timing.values()])
    exact_slope = loglog_slope([L**2 for L in timing], [t[1] for t in timing.values()])
    iter_slopes = {
        name: loglog_slope(
            [L for (n, L) in iterations if n == name], [v[0] for (n, L), v in iterations.items() if n == name]
        )
        for name in ("wirg", "direct")
    }
    fisher_cond_slope = loglog_slope(cond_sizes, [np.nanmax(c.fisher_conditional) for c in conds])
    summary = (
        f"Critical free field, Haar, radius {settings['radius']}, {settings['n_train']} training fields, "
        f"decomposed to {settings['coarse_side']}x{settings['coarse_side']}. "
        f"Iterations to {100 * settings['tol']:g}% of the ML fit: "
        + ", ".join(f"{name} L={L}: {v[0]:.0f}" for (name, L), v in iterations.items())
        + f" (log-log slopes vs L: WIRG {iter_slopes['wirg']:.2f}, direct {iter_slopes['direct']:.2f}). "
        f"Generation time per sample ~ N^{time_slope:.2f} (fitted-model generator, L = "
        f"{min(timing)}..{max(timing)}), exact solver's sample ~ N^{exact_slope:.2f}. "
        f"Condition numbers (db4): full ~ L^{slopes['full']:.2f}, direct Fisher ~ L^{slopes['fisher_direct']:.2f}, "
        f"max cond(Q_hh) {worst:.3g} (L = {cond_sizes[0]}: {first:.3g}); the conditional Fisher matrix "
        f"(raw couplings) grows slowly, max over scales ~ L^{fisher_cond_slope:.2f}."
    )
    return ReproductionResult(("wirg_gaussian.png",), ("wirg_gaussian.csv",), tuple(checks), summary)


def _plot(path: Path, couplings, spectra, iterations, tol, timing, cond_sizes, conds) -> None:
    with lecture_style():
        fig, axes = figure(2, 3)
        (ax_c, ax_s, ax_i), (ax_t, ax_k, ax_z) = axes
        L = max(couplings)
        lo, hi = np.inf, -np.inf
        for j, (theta_exact, fit) in enumerate(couplings[L], start=1):
            simulation_points(
                ax_c, theta_exact, fit.theta, fit.stderr, label=f"$j = {j}$", color=COLORS[j - 1], markersize=3.5
            )
            lo, hi = min(lo, theta_exact.min()), max(hi, theta_exact.max())
        theory_line(ax_c, [lo, hi], [lo, hi], label="fitted = exact", color="0.4", linewidth=1.0)
        ax_c.set(xlabel="exact coupling", ylabel="fitted coupling (ML)", title=f"(a) couplings, $L = {L}$")
        ax_c.legend()

        for i, (L, spec) in enumerate(sorted(spectra.items())):
            theory_line(ax_s, spec["k"], spec["exact"], label=f"exact, $L = {L}$", color=COLORS[i])
            simulation_points(
                ax_s,
                spec["k"],
                spec["generated"],
                spec["stderr"],
                label=f"generated, $L = {L}$",
                color=COLORS[i],
                markersize=3.5,
            )
        ax_s.set(
            xscale="log",
            yscale="log",
            xlabel="$|k|$",
            ylabel=r"$\langle|\hat\varphi(k)|^2\rangle / L^2$",
            title="(b) spectrum of generated fields",
        )
        ax_s.legend()

        for i, (name, label) in enumerate((("wirg", "WIRG, finest scale"), ("direct", "direct, whole field"))):
            sizes = sorted(L for (n, L) in iterations if n == name)
            if sizes:
                mean = [iterations[name, L][0] for L in sizes]
                err = np.nan_to_num([iterations[name, L][1] for L in sizes])
                simulation_points(ax_i, sizes, mean, err, label=label, color=COLORS[i])
                if name == "direct" and np.isfinite(mean[0]):
                    theory_line(
                        ax_i,
                        sizes,
                        mean[0] * (np.array(sizes) / sizes[0]) ** 2,
                        color=COLORS[i],
                        linestyle=":",
                        linewidth=1.0,
                        label=r"$\propto L^2$",
                    )
        ax_i.set(
            xscale="log",
            yscale="log",
            xlabel="$L$",
            ylabel=f"iterations to {100 * tol:g}% of ML",
            title="(c) moment matching",
        )
        _integer_ticks(ax_i, sorted({L for (_, L) in iterations}))
        ax_i.legend()

        N = np.array([L**2 for L in timing], float)
        for i, (k, label) in enumerate(((0, "fitted-model generator"), (1, "exact solver sample"))):
            t = np.array([v[k] for v in timing.values()]) * 1e3
            simulation_points(ax_t, N, t, np.zeros_like(t), label=label, color=COLORS[i])
            if len(N) >= 2:
                a, b = np.polyfit(np.log(N), np.log(t), 1)
                theory_line(ax_t, N, np.exp(b) * N**a, color=COLORS[i], linewidth=1.0, label=f"fit $N^{{{a:.2f}}}$")
        ax_t.set(xscale="log", yscale="log", xlabel="$N = L^2$", ylabel="ms per sample", title="(d) generation time")
        ax_t.legend()

        Ls = np.array(cond_sizes, float)
        for i, (values, label) in enumerate(
            (
                (np.array([c.full for c in conds]), "full precision"),
                (np.array([c.fisher_direct for c in conds]), "direct Fisher"),
                (np.array([max(c.conditional) for c in conds]), r"max$_j$ cond $Q_{hh}$"),
                (np.array([np.nanmax(c.fisher_conditional) for c in conds]), r"max$_j$ conditional Fisher"),
            )
        ):
            theory_line(ax_k, Ls, values, label=label, color=COLORS[i], marker="s")
        theory_line(
            ax_k,
            Ls,
            conds[0].full * (Ls / Ls[0]) ** 2,
            label=r"$\propto L^2$",
            color="0.5",
            linestyle=":",
            linewidth=1.0,
        )
        ax_k.set(xscale="log", yscale="log", xlabel="$L$", ylabel="condition number", title="(e) conditioning (db4)")
        _integer_ticks(ax_k, cond_sizes)
        ax_k.legend(fontsize=8)

        for i, (L, spec) in enumerate(sorted(spectra.items())):
            ax_z.plot(
                spec["k"], spec["z"], marker="o", linestyle="none", color=COLORS[i], label=f"$L = {L}$", markersize=3.5
            )
        bound = norm.ppf(1.0 - ALPHA / (2 * max(len(s["z"]) for s in spectra.values())))
        for sign in (-1, 1):
            theory_line(
                ax_z,
                ax_z.get_xlim(),
                [sign * bound] * 2,
                color="0.4",
                linestyle="--",
                linewidth=1.0,
                label="Bonferroni bound" if sign > 0 else None,
            )
        ax_z.set(xscale="log", xlabel="$|k|$", ylabel="$z$ (generated - exact)", title="(f) spectrum residuals")
        ax_z.legend(fontsize=8)
        save_figure(fig, path)


def _integer_ticks(ax: Any, values: list[int]) -> None:
    """Plain integer ticks at ``values`` on a logarithmic x axis."""
    ax.set_xticks(values, [str(v) for v in values])
    ax.xaxis.set_minor_locator(NullLocator())
