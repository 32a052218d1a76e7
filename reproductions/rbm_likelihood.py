"""`rbm-likelihood`: exact against AIS log-likelihood of an RBM during CD-1, CD-10 and PCD training.

A binary RBM (0/1 units, 64 visible, 12 hidden on quick settings, 16 on full ones) is trained on scikit-learn's
handwritten digits (1797 images of 8 x 8 pixels, shipped with the package, binarised at half the grey scale)
by CD-1, CD-10 (Hinton 2002) and PCD-1 (Tieleman 2008) from the same initial weights and minibatch order. Its
training-set log-likelihood is computed exactly after every epoch, by enumerating the 2**12 (2**16) hidden
configurations, and at a few epochs by independent runs of annealed importance sampling from the data's base-rate model
(Salakhutdinov & Murray 2008), which knows nothing of the enumeration.

- Panel a: exact mean log-likelihood per image against epoch (lines) with the AIS estimates and their error
  bars (markers), for the three training rules.
- Panel b: (AIS - exact) / stderr at every estimate, with the +-3 band.

Checks: (1) every AIS estimate within 3 of its standard errors of the exact value; (2) the mean squared z-score
over all estimates equals 1 within 3 of its standard deviations sqrt(2 / n) (the error bar is honest, neither
too small nor too large).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.rbm import RBM
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.tables import write_csv

QUICK = {
    "n_hidden": 12,
    "epochs": 8,
    "checked": [1, 4, 8],
    "learning_rate": 0.05,
    "batch_size": 20,
    "n_chains": 100,
    "n_betas": 2000,
    "ais_repeats": 2,
    "seed": 1,
}
FULL = {
    "n_hidden": 16,
    "epochs": 40,
    "checked": [1, 5, 10, 20, 40],
    "learning_rate": 0.05,
    "batch_size": 20,
    "n_chains": 200,
    "n_betas": 10000,
    "ais_repeats": 4,
    "seed": 1,
}
RULES = (("CD-1", "cd", 1), ("CD-10", "cd", 10), ("PCD-1", "pcd", 1))


def binarised_digits() -> np.ndarray:
    """scikit-learn's 1797 digits as 0/1 vectors of 64 pixels (grey level >= 8 of 16)."""
    from sklearn.datasets import load_digits

    return (load_digits().data >= 8).astype(float)


def mean_squared_z_check(name: str, z_scores: Any, what: str) -> Check:
    """The check that AIS error bars are honest: the mean of z^2 over n independent z-scores is 1 within 3
    standard deviations sqrt(2/n) of a chi2/dof with n degrees of freedom."""
    z = np.asarray(z_scores, dtype=float)
    n = len(z)
    sd = float(np.sqrt(2.0 / n))
    return Check(
        name,
        1.0,
        float(np.mean(z**2)),
        sd,
        3.0 * sd,
        f"over {n} {what}: 1 if the error bars are honest; tolerance 3 sd of a chi2/dof with {n} dof",
    )


@register(
    "rbm-likelihood", "RBM log-likelihood: exact enumeration against AIS (digits)", quick=QUICK, full=FULL, cost=11
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    data = binarised_digits()
    checked = [int(e) for e in settings["checked"]]
    seed = int(settings["seed"])
    curves: dict[str, np.ndarray] = {}
    rows: dict[str, list[Any]] = {
        "rule": [],
        "epoch": [],
        "repeat": [],
        "exact": [],
        "ais": [],
        "stderr": [],
        "z": [],
    }
    checks: list[Check] = []
    for r, (label, method, k) in enumerate(RULES):
        rbm = RBM(data.shape[1], int(settings["n_hidden"]), spins="01", seed=seed)

        def estimate(epoch: int, machine: RBM, label: str = label, r: int = r) -> None:
            if epoch not in checked:
                return
            exact = machine.log_partition()
            fit = machine.log_likelihood(data, log_z=exact)
            for repeat in range(int(settings["ais_repeats"])):
                ais = machine.log_partition(
                    "ais",
                    n_chains=int(settings["n_chains"]),
                    n_betas=int(settings["n_betas"]),
                    seed=10_000 * seed + 1000 * r + 10 * epoch + repeat,
                    base_data=data,
                )
                z = (exact.log_z - ais.log_z) / ais.stderr
                for key, value in zip(rows, (label, epoch, repeat, fit, fit + exact.log_z - ais.log_z, ais.stderr, z)):
                    rows[key].append(value)

        history = rbm.fit(
            data,
            method=method,
            k=k,
            learning_rate=float(settings["learning_rate"]),
            batch_size=int(settings["batch_size"]),
            epochs=int(settings["epochs"]),
            seed=seed,
            monitor=("log_likelihood",),
            callback=estimate,
        )
        curves[label] = history.log_likelihood
    for label, epoch, exact, ais, stderr in zip(
        rows["rule"], rows["epoch"], rows["exact"], rows["ais"], rows["stderr"]
    ):
        checks.append(
            Check(
                f"AIS log-likelihood, {label}, epoch {epoch}",
                exact,
                ais,
                stderr,
                3.0 * stderr,
                "exact: enumeration of the hidden layer; AIS error bar: delta method over the chains; tolerance 3 of them",
            )
        )
    z = np.asarray(rows["z"])
    checks.append(mean_squared_z_check("mean squared AIS z-score", z, "estimates"))
    write_csv(rows, out_dir / "ais.csv")
    epochs = np.arange(1, int(settings["epochs"]) + 1)
    write_csv({"epoch": epochs, **{label: curve for label, curve in curves.items()}}, out_dir / "exact.csv")

    with lecture_style():
        fig, (ax_a, ax_b) = figure(1, 2, figsize=(11.0, 4.2))
        for r, (label, _, _) in enumerate(RULES):
            color = COLORS[r]
            theory_line(ax_a, epochs, curves[label], color=color, label=f"{label}: exact")
            mine = [i for i, rule in enumerate(rows["rule"]) if rule == label]
            ep = np.asarray(rows["epoch"], float)[mine]
            simulation_points(
                ax_a,
                ep,
                np.asarray(rows["ais"])[mine],
                np.asarray(rows["stderr"])[mine],
                color=color,
                label=f"{label}: AIS",
            )
            ax_b.plot(ep + 0.1 * (r - 1), z[mine], "o", color=color, label=label)
        ax_a.set(xlabel="epoch", ylabel="mean log-likelihood per image (nats)", title="(a) exact and AIS")
        ax_a.legend(loc="lower right", fontsize=8)
        ax_b.axhspan(-3, 3, color="0.9", zorder=0, label=r"$\pm 3$ stderr")
        ax_b.axhline(0.0, color="k", lw=1.0)
        ax_b.set(xlabel="epoch", ylabel="(AIS - exact) / stderr", title="(b) AIS error in its error bars")
        ax_b.legend(loc="upper right", fontsize=8)
        save_figure(fig, out_dir / "rbm-likelihood.png")

    return ReproductionResult(
        figures=("rbm-likelihood.png",),
        data=("ais.csv", "exact.csv"),
        checks=tuple(checks),
        summary=(
            f"RBM 64-{settings['n_hidden']} (0/1 units) on {data.shape[0]} binarised digits, {settings['epochs']} "
            f"epochs of CD-1, CD-10 and PCD-1; AIS with {settings['n_chains']} chains and {settings['n_betas']} "
            "steps against exact enumeration of the hidden layer."
        ),
    )
