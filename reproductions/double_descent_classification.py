"""`double-descent-classification`: random-features classifiers of a sign teacher against P/N.

Random ReLU features of Gaussian inputs, labels y = sign(theta . x / sqrt D), N = alpha D samples
with alpha = 2, and P features trained by ridge-penalised ERM with the square loss or the
logistic loss (Gerace, Loureiro, Krzakala, Mézard & Zdeborová, ICML 2020, Figs. 2-3). With a
small penalty the square loss has a peak of the 0-1 test error at the interpolation threshold
P = N; the logistic loss has at most a slight bump where the training set becomes linearly
separable in feature space (its training loss collapses there), and a larger penalty removes
both. Theory: the saddle point of :mod:`statlearn.replica.erm`; simulation: the real features,
square loss by an exact solve, logistic loss by L-BFGS; 0-1 error against the teacher's sign on
fresh samples.

Checks: at every simulated point, 0-1 test error and training loss averaged over seeds at each D
and extrapolated linearly in 1/D, against the theory within the Student-t equivalent of 3 standard
errors (see :mod:`statlearn.reproductions.erm_common`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from statlearn.plotting import COLORS
from statlearn.reproductions.erm_common import CurveSpec, error_and_loss_figure, reproduce_curves
from statlearn.reproductions.registry import ReproductionResult, register

ALPHA = 2.0
MODEL = {"kind": "random-features", "activation": "relu"}
QUICK = {
    "sizes": [100, 200],
    "seeds": 10,
    "theory_points": 61,
    "points": [0.25, 0.5, 0.7, 1.0, 1.5, 3.0],
    "n_test": 4000,
}
FULL = {
    "sizes": [200, 400, 800],
    "seeds": 12,
    "theory_points": 121,
    "points": [0.15, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.25, 1.6, 2.5, 4.0],
    "n_test": 10000,
}
CURVES = [
    ("square", 1e-4, r"square, $\lambda = 10^{-4}$", "-"),
    ("square", 1e-1, r"square, $\lambda = 10^{-1}$", "--"),
    ("logistic", 1e-4, r"logistic, $\lambda = 10^{-4}$", "-"),
    ("logistic", 1e-2, r"logistic, $\lambda = 10^{-2}$", "--"),
]


def curves() -> list[CurveSpec]:
    return [
        CurveSpec(
            f"{loss},lam={lam}",
            label,
            MODEL,
            "sign",
            loss,
            lam,
            "P/N",
            alpha=ALPHA,
            style={"color": COLORS[j], "linestyle": ls},
        )
        for j, (loss, lam, label, ls) in enumerate(CURVES)
    ]


@register(
    "double-descent-classification",
    "Random-features classification of a sign teacher: square vs logistic loss against P/N, theory vs training",
    quick=QUICK,
    full=FULL,
    cost=23,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(d) for d in settings["sizes"]]
    # dense near the logistic loss's separability threshold (P/N ~ 0.4) and near P/N = 1
    results, checks = reproduce_curves(
        "double-descent-classification", settings, curves(), out_dir, executor, dense=((0.25, 0.6), (0.9, 1.1))
    )
    error_and_loss_figure(
        results,
        sizes[-1],
        out_dir / "double_descent_classification.png",
        title=rf"sign teacher, ReLU random features, $N/D$ = {ALPHA:g}",
        error_label="test error (0-1)",
        xlabel="P / N (features per sample)",
        threshold=1.0,
    )

    def bump(result) -> str:
        err = result.theory["generalization_error"]
        local = [i for i in range(1, err.size - 1) if err[i] > err[i - 1] and err[i] >= err[i + 1]]
        return f"peak {err[local[0]]:.4f} at P/N = {result.x_theory[local[0]]:.3g}" if local else "no interior maximum"

    summary = "; ".join(f"{r.spec.label.replace('$', '')}: {bump(r)}" for r in results)
    summary += f". D = {', '.join(map(str, sizes))} with {settings['seeds']} seeds each."
    return ReproductionResult(
        ("double_descent_classification.png",), ("double_descent_classification.csv",), tuple(checks), summary
    )
