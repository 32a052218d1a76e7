"""`loss-comparison`: square, logistic and hinge losses on isotropic and structured data.

A sign teacher y = sign(theta . x / sqrt d) learnt by ridge-penalised ERM (lambda = 1e-3) with the
square, logistic and hinge losses, on isotropic Gaussian inputs and on the salient/weak features
model of `structured-data` with the teacher on both blocks (Aubin, Krzakala, Lu & Zdeborová,
NeurIPS 2020; d'Ascoli et al. 2021; Loureiro et al. 2021). At this small penalty the logistic
and hinge losses are close to the max-margin classifier and beat the square loss, whose error
peaks at the interpolation threshold alpha = 1; the Bayes-optimal error (the dashed line, from
:func:`statlearn.replica.glm.bayes_optimal` with a Gaussian prior) bounds all of them on
isotropic data.

Theory: the saddle point of :mod:`statlearn.replica.erm`; simulation: ERM on the Gaussian inputs
(square loss by an exact solve, logistic by L-BFGS, hinge by exact dual coordinate ascent).
The full settings stop at d = 400: exact dual coordinate ascent for the hinge loss at lambda = 1e-3
takes ~15 s per fit at d = 800, n = 4000 on one core. Checks: at every simulated point, test error
and training loss averaged over seeds at each d and
extrapolated linearly in 1/d, against the theory within the Student-t equivalent of 3 standard
errors (see :mod:`statlearn.reproductions.erm_common`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.plotting import COLORS
from statlearn.replica.glm import bayes_optimal
from statlearn.reproductions.erm_common import CurveSpec, Panel, curve_panels, reproduce_curves
from statlearn.reproductions.registry import ReproductionResult, register
from statlearn.reproductions.structured_data import model

LAM = 1e-3
QUICK = {"sizes": [100, 200], "seeds": 10, "theory_points": 61, "points": [0.25, 0.5, 1.0, 2.0, 4.0], "n_test": 4000}
FULL = {
    "sizes": [200, 400],
    "seeds": 12,
    "theory_points": 121,
    "points": [0.15, 0.3, 0.5, 0.8, 1.0, 1.3, 2.0, 3.0, 5.0],
    "n_test": 10000,
}
LOSSES = ("square", "logistic", "hinge")
DATA = [("isotropic", model(None)), ("salient/weak", model((1.0, 1.0)))]


def curves() -> list[CurveSpec]:
    return [
        CurveSpec(f"{data},{loss}", f"{loss}", spec, "sign", loss, LAM, "alpha", style={"color": COLORS[j]})
        for data, spec in DATA
        for j, loss in enumerate(LOSSES)
    ]


@register(
    "loss-comparison",
    "Square vs logistic vs hinge loss on isotropic and salient/weak data, theory vs training",
    quick=QUICK,
    full=FULL,
    cost=17,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(d) for d in settings["sizes"]]
    results, checks = reproduce_curves("loss-comparison", settings, curves(), out_dir, executor)
    isotropic, structured = results[: len(LOSSES)], results[len(LOSSES) :]
    panels = [
        Panel(isotropic, "generalization_error", r"isotropic data, $\lambda = 10^{-3}$", "test error (0-1)"),
        Panel(structured, "generalization_error", r"salient/weak features, $\lambda = 10^{-3}$", "test error (0-1)"),
    ]
    x_theory = results[0].x_theory
    bayes = bayes_optimal("gaussian", "sign", x_theory).generalization_error
    curve_panels(
        out_dir / "loss_comparison.png",
        sizes[-1],
        panels,
        xlabel=r"$\alpha$ = n / d",
        threshold=1.0,
        extra=lambda axes: axes[0].plot(x_theory, bayes, color="k", ls="--", lw=1.5, label="Bayes-optimal"),
    )
    below = all(bool(np.all(bayes <= r.theory["generalization_error"] + 1e-12)) for r in isotropic)

    def at(result, alpha: float) -> float:
        return float(np.interp(alpha, result.x_theory, result.theory["generalization_error"]))

    summary = "; ".join(
        f"{name}: " + ", ".join(f"{r.spec.loss} {at(r, 2.0):.4f}" for r in group)
        for name, group in (("isotropic", isotropic), ("salient/weak", structured))
    )
    summary = (
        f"test error at alpha = 2, {summary}; Bayes-optimal (isotropic) {np.interp(2.0, x_theory, bayes):.4f}, "
        f"below every ERM curve at every alpha: {below}. "
        f"d = {', '.join(map(str, sizes))}, {settings['seeds']} seeds each."
    )
    return ReproductionResult(("loss_comparison.png",), ("loss_comparison.csv",), tuple(checks), summary)
