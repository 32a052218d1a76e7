"""`structured-data`: learning curves on salient/weak features, and how the teacher's alignment matters.

Gaussian inputs whose covariance has a fraction 0.1 of salient coordinates of variance 5.5 and the
rest of variance 0.5 (the trace is that of isotropic data), labels y = sign(theta . x / sqrt d)
with the teacher's weights on the salient block only, on both blocks, or on the weak block only
(d'Ascoli, Gabrié, Sagun & Biroli, NeurIPS 2021; Loureiro et al., NeurIPS 2021, §3). A teacher
aligned with the salient directions is learnt much faster at small alpha = n/d; one hidden in the
weak directions is learnt more slowly than on isotropic data. With the logistic loss the curves
keep their order; with the square loss and a small penalty every curve peaks at the
interpolation threshold alpha = 1 and for alpha > 1 they coincide: least squares is equivariant
under linear maps of the inputs, so its 0-1 error cannot depend on the covariance.

Theory: the saddle point of :mod:`statlearn.replica.erm` on the two-block spectrum; simulation:
ERM on the Gaussian inputs (logistic loss by L-BFGS, square loss by an exact solve). Checks: at
every simulated point, test error and training loss averaged over seeds at each d and
extrapolated linearly in 1/d, against the theory within the Student-t equivalent of 3 standard
errors (see :mod:`statlearn.reproductions.erm_common`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.plotting import COLORS
from statlearn.reproductions.erm_common import CurveSpec, Panel, curve_panels, reproduce_curves
from statlearn.reproductions.registry import ReproductionResult, register

LAM, FRACTION, SALIENT, WEAK = 1e-3, 0.1, 5.5, 0.5
QUICK = {"sizes": [100, 200], "seeds": 10, "theory_points": 61, "points": [0.25, 0.5, 1.0, 2.0, 4.0], "n_test": 4000}
FULL = {
    "sizes": [200, 400, 800],
    "seeds": 12,
    "theory_points": 121,
    "points": [0.15, 0.3, 0.5, 0.8, 1.0, 1.3, 2.0, 3.0, 5.0],
    "n_test": 10000,
}
TEACHERS = [
    ("isotropic data", None),
    ("teacher on salient", (1.0, 0.0)),
    ("teacher on both", (1.0, 1.0)),
    ("teacher on weak", (0.0, 1.0)),
]


def model(teacher: tuple[float, float] | None) -> dict:
    if teacher is None:
        return {"kind": "blocks", "fractions": [1.0], "variances": [1.0], "teacher": [1.0]}
    return {
        "kind": "blocks",
        "fractions": [FRACTION, 1.0 - FRACTION],
        "variances": [SALIENT, WEAK],
        "teacher": list(teacher),
    }


def curves(loss: str) -> list[CurveSpec]:
    return [
        CurveSpec(f"{loss},{label}", label, model(teacher), "sign", loss, LAM, "alpha", style={"color": COLORS[j]})
        for j, (label, teacher) in enumerate(TEACHERS)
    ]


@register(
    "structured-data",
    "Salient/weak features: logistic and square-loss learning curves for aligned and misaligned teachers",
    quick=QUICK,
    full=FULL,
    cost=15,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(d) for d in settings["sizes"]]
    results, checks = reproduce_curves(
        "structured-data", settings, curves("logistic") + curves("square"), out_dir, executor
    )
    logistic, square = results[: len(TEACHERS)], results[len(TEACHERS) :]
    title = rf"{FRACTION:g} salient (var {SALIENT:g}), weak var {WEAK:g}, $\lambda = 10^{{-3}}$"
    curve_panels(
        out_dir / "structured_data.png",
        sizes[-1],
        [
            Panel(logistic, "generalization_error", f"logistic loss; {title}", "test error (0-1)"),
            Panel(
                square, "generalization_error", r"square loss: peak at $\alpha$ = 1, then one curve", "test error (0-1)"
            ),
        ],
        xlabel=r"$\alpha$ = n / d",
        threshold=1.0,
    )

    def at(result, alpha: float) -> float:
        return float(np.interp(alpha, result.x_theory, result.theory["generalization_error"]))

    summary = (
        "logistic test error at alpha = 0.5 / 2: "
        + "; ".join(f"{r.spec.label} {at(r, 0.5):.3f} / {at(r, 2.0):.3f}" for r in logistic)
        + ". Square loss at alpha = 3: "
        + ", ".join(f"{at(r, 3.0):.4f}" for r in square)
        + " (equal up to O(lambda): least squares is equivariant under linear maps of the inputs). "
        + f"d = {', '.join(map(str, sizes))}, {settings['seeds']} seeds each."
    )
    return ReproductionResult(("structured_data.png",), ("structured_data.csv",), tuple(checks), summary)
