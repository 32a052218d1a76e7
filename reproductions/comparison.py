"""Theory-versus-simulation comparisons shared by the reproductions.

At each checked value of the control parameter the discrepancy simulation - theory is averaged
over seeds at each size N, and the weighted fit a + b/N over the sizes gives the N -> infinity
discrepancy a, which must vanish within ``n_sigma`` standard errors; the root mean square of one
run's discrepancy must fall as 1/sqrt(N) if the theory describes every run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.ticker import NullFormatter
from scipy.stats import t as student_t

from statlearn.experiments import extrapolate_to_infinite_N
from statlearn.plotting import COLORS
from statlearn.reproductions.registry import Check

__all__ = ["mean_stderr", "Comparison", "compare", "plot_shrinking"]


def mean_stderr(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over seeds (first axis) and its standard error."""
    return samples.mean(axis=0), samples.std(axis=0, ddof=1) / math.sqrt(samples.shape[0])


@dataclass(frozen=True)
class Comparison:
    """Discrepancies d = simulation - theory (e.g. the ODE) at ``sizes[i]``, ``times[j]``: their mean over seeds with its
    standard error (the bias, which the checks test) and their root mean square (the typical
    deviation of one run, which must fall as 1/sqrt(N) if the ODE describes every run)."""

    sizes: list
    times: np.ndarray
    mean: np.ndarray
    stderr: np.ndarray
    rms: np.ndarray


def compare(
    label: str,
    sizes: Sequence[int],
    times: np.ndarray,
    sims: Mapping[int, np.ndarray],
    theory: np.ndarray,
    relative: bool = False,
    n_sigma: float = 3.0,
    axis: str = "alpha",
    dof: int | None = None,
    floor: float = 0.0,
    theory_stderr: np.ndarray | None = None,
) -> tuple[Comparison, list[Check]]:
    """Checks of ``sims[N]`` (seeds x times) against ``theory`` (times), extrapolated in 1/N.

    With ``relative`` the discrepancy is (sim - ODE) / ODE (for quantities that decay over orders of
    magnitude). The Check's theory is the ODE value, its simulation value the ODE plus the
    extrapolated discrepancy, its tolerance ``n_sigma`` standard errors of the intercept (of the
    single size's mean when there is only one N). The note lists the per-N discrepancies. ``times``
    are the values of the control parameter ``axis`` at which the checks are made.

    With ``dof`` (the seeds per size minus one) the standard errors are treated as estimated from
    that few runs: ``n_sigma`` becomes the Student-t quantile with the same two-sided coverage as
    ``n_sigma`` Gaussian standard errors (99.73% for 3). ``floor`` is an absolute allowance added to
    every tolerance (e.g. the optimiser's stopping accuracy), stated in the note. ``theory_stderr`` (times) is the
    theory's own statistical error where it has one (a population-sampled DMFT): it is added in quadrature to the
    simulation's standard error.
    """
    if dof is not None:
        n_sigma = float(student_t.ppf(student_t.cdf(n_sigma, np.inf), dof))
    scale = np.abs(theory) if relative else np.ones_like(theory)
    mean, stderr = (np.array(a) for a in zip(*(mean_stderr((sims[N] - theory) / scale) for N in sizes)))
    rms = np.array([np.sqrt(np.mean(((sims[N] - theory) / scale) ** 2, axis=0)) for N in sizes])
    checks = []
    what = "relative discrepancy" if relative else "discrepancy"
    for j, t in enumerate(times):
        per_N = "; ".join(f"N = {N}: {mean[i, j]:+.2e} +- {stderr[i, j]:.1e}" for i, N in enumerate(sizes))
        err = np.maximum(stderr[:, j], 1e-300)
        if len(sizes) > 1:
            fit = extrapolate_to_infinite_N(np.asarray(sizes, dtype=float), mean[:, j], err, degree=1)
            value, se = fit.value, fit.stderr
            how = f"{what} a + b/N extrapolated to N -> inf (chi2/dof = {fit.chi2:.2f}/{fit.dof})"
        else:
            value, se = mean[0, j], err[0]
            how = f"{what} at N = {sizes[0]} (one size: no extrapolation)"
        sim_value = theory[j] * (1 + value) if relative else theory[j] + value
        sim_se = se * scale[j]
        if theory_stderr is not None:
            sim_se = math.hypot(sim_se, theory_stderr[j])
            how += f"; theory's own standard error {theory_stderr[j]:.1e} added in quadrature"
        allowance = f" + {floor:g}" if floor else ""
        checks.append(
            Check(
                f"{label} at {axis} = {t:g}",
                theory[j],
                sim_value,
                sim_se,
                n_sigma * sim_se + floor,
                f"{how}; per N: {per_N}; tolerance {n_sigma:.3g} standard errors{allowance}",
            )
        )
    return Comparison(list(sizes), np.asarray(times), mean, stderr, rms), checks


def plot_shrinking(ax, comparison: Comparison, title: str) -> None:
    """The typical deviation of one run from the ODE (rms over seeds) against N at each checked time,
    with a 1/sqrt(N) guide; the mean discrepancies are in the checks."""
    sizes = np.asarray(comparison.sizes, dtype=float)
    for j, t in enumerate(comparison.times):
        ax.plot(
            sizes,
            comparison.rms[:, j],
            marker="o",
            mfc="white",
            color=COLORS[j % len(COLORS)],
            label=rf"$\alpha$ = {t:g}",
        )
    top = np.nanmax(comparison.rms[0])
    ax.plot(sizes, top * np.sqrt(sizes[0] / sizes), color="0.5", ls=":", lw=2, label=r"$\propto 1/\sqrt{N}$")
    ax.set(xscale="log", yscale="log", xlabel="N", ylabel="rms over runs of SGD - ODE", title=title)
    ax.set_xticks(comparison.sizes, [str(n) for n in comparison.sizes])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=8)
