"""`double-descent-regression`: test error of random-features ridge regression against P/N.

Random ReLU features v = relu(F x / sqrt D) of Gaussian inputs, a linear teacher
y = theta . x / sqrt D + noise (variance 0.1), N = alpha D samples with alpha = 1, and ridge
regression on P = (P/N) N features (Mei & Montanari 2019, Fig. 2; Gerace et al. 2020). With a
small penalty the test error peaks at the interpolation threshold P = N and descends again; a
larger penalty tames the peak, and at the optimal penalty (chosen at every P/N) it is gone and
the error decreases monotonically. Theory: the saddle point of :mod:`statlearn.replica.erm` on the
Marchenko-Pastur spectrum (equal to Mei & Montanari's closed form to 1e-11, tests); simulation:
ridge regression on the real nonlinear features, test error against the clean teacher on fresh
samples.

Checks: at every simulated point, test error and training loss averaged over seeds at each D and
extrapolated linearly in 1/D, against the theory within the Student-t equivalent of 3 standard
errors (see :mod:`statlearn.reproductions.erm_common`). The smallest penalty is
not simulated at P = N itself, where the finite-D error has a heavy tail (its variance diverges as
lambda -> 0) and a mean over a few seeds is not a usable estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.plotting import COLORS
from statlearn.reproductions.erm_common import CurveSpec, error_and_loss_figure, reproduce_curves
from statlearn.reproductions.registry import ReproductionResult, register

ALPHA, NOISE = 1.0, 0.1
MODEL = {"kind": "random-features", "activation": "relu"}
QUICK = {
    "sizes": [100, 200],
    "seeds": 10,
    "theory_points": 61,
    "points": [0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0],
    "n_test": 4000,
}
FULL = {
    "sizes": [200, 400, 800],
    "seeds": 12,
    "theory_points": 121,
    "points": [0.15, 0.25, 0.5, 0.8, 1.0, 1.25, 1.6, 2.0, 3.0, 5.0],
    "n_test": 10000,
}
PENALTIES = [
    (1e-4, r"$\lambda = 10^{-4}$"),
    (1e-2, r"$\lambda = 10^{-2}$"),
    (1e-1, r"$\lambda = 10^{-1}$"),
    ("optimal", r"optimal $\lambda$"),
]


def curves() -> list[CurveSpec]:
    return [
        CurveSpec(
            f"lam={lam}",
            label,
            MODEL,
            "gaussian",
            "square",
            lam,
            "P/N",
            alpha=ALPHA,
            delta=NOISE,
            style={"color": COLORS[j]},
        )
        for j, (lam, label) in enumerate(PENALTIES)
    ]


@register(
    "double-descent-regression",
    "Random-features ridge regression: test error against P/N for several penalties, theory vs training",
    quick=QUICK,
    full=FULL,
    cost=18,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    sizes = [int(d) for d in settings["sizes"]]
    results, checks = reproduce_curves(
        "double-descent-regression", settings, curves(), out_dir, executor, skip={"lam=0.0001": [1.0]}
    )
    error_and_loss_figure(
        results,
        sizes[-1],
        out_dir / "double_descent_regression.png",
        title=rf"ReLU random features, $N/D$ = {ALPHA:g}, noise {NOISE:g}",
        error_label="test error (excess MSE)",
        xlabel="P / N (features per sample)",
        yscale="log",
        ylim=(0.3, 30),
        threshold=1.0,
    )

    optimal = next(r for r in results if r.spec.lam == "optimal")
    peak = next(r for r in results if r.spec.lam == 1e-4)
    summary = (
        f"alpha = N/D = {ALPHA:g}, label noise {NOISE:g}, relu features; theory maximum at lambda = 1e-4: "
        f"{peak.theory['generalization_error'].max():.3g} near P/N = {peak.x_theory[np.argmax(peak.theory['generalization_error'])]:.3g}; "
        f"optimal lambda from {optimal.lam_at_sim.min():.3g} to {optimal.lam_at_sim.max():.3g} along the "
        f"simulated points, error monotone: {bool(np.all(np.diff(optimal.theory['generalization_error']) < 1e-9))}; "
        f"D = {', '.join(map(str, sizes))} with {settings['seeds']} seeds each."
    )
    return ReproductionResult(
        ("double_descent_regression.png",), ("double_descent_regression.csv",), tuple(checks), summary
    )
