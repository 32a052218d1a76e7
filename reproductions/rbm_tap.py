"""`rbm-tap`: RBMs trained with the TAP free energy (EMF) against CD and PCD, and TAP ln Z against the exact one.

Gabrie, Tramel & Krzakala (NeurIPS 2015) train RBMs with the gradient of the second- or third-order TAP (Plefka)
estimate of ln Z at persistent magnetisations ("EMF"). Here every rule starts from the same initial weights and
sees the same minibatch order; the training-set log-likelihood is exact (the hidden layer is enumerated).

- Panels a, b: 0/1 RBM (64 visible, 12 hidden on quick settings, 16 on full ones) on scikit-learn's 1797 digits
  binarised at half the grey scale, trained by CD-1, CD-10 (Hinton 2002), PCD-1 (Tieleman 2008), TAP2 and TAP3
  (3 damped alternating sweeps of the TAP equations per update, as in the paper's code). Exact mean
  log-likelihood per image against epochs (a) and against the wall time of the updates alone (b: monitoring
  excluded): panel b is the comparison at matched cost, since the rules do different work per update.
- Panel c: +-1 RBM (36 visible, 8 hidden on quick settings, 12 on full ones) on 2-D Ising configurations (periodic 6 x 6 lattice at beta = 0.4,
  Wolff + Metropolis sampler of :mod:`wirg.lattice_ising`), the same five rules, against epochs.
- Panel d: random +-1 RBMs (20 visible, 10 hidden, couplings N(0, w^2), biases N(0, 0.3^2)): |ln Z_n - ln Z| per
  unit for naive mean field (n = 1), TAP2 and TAP3 against w, mean over machines; open markers where the TAP
  iteration did not converge (the expansion has broken down).

Each rule runs at its own learning rate on the digits (``RATES``: its best on a scan, docs/rbm-tap.md) and at one
common rate, 0.005, on the Ising data (the best of the scan for every rule but CD-10, 0.05 nats short there).

On the Ising data EMF training is not stable at any rate scanned (0.002-0.05): the log-likelihood swings far
below the initial one in the first epochs before it recovers. The persistent magnetisations all sit in one of
the two Z2-related ordered TAP states, the visible biases chase them until that state disappears, and they all
jump to the other one; restarted from the minibatch at every update they split between the two states as the
data do and training is smooth (docs/rbm-tap.md). It is shown and reported, not checked.

Checks: (1) for TAP2 and TAP3 on the digits, the log-likelihood after training exceeds the initial one by
more than 3 seed-to-seed standard deviations of the final value (reported as the shortfall, 0 when met);
(2) the local slope of log|error| against log w between the two smallest w is n + 1 (3 for TAP2, 4 for TAP3;
tolerance 0.2: the next order shifts the slope by O(w) there).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.numerics import ConvergenceWarning
from statlearn.plotting import COLORS, figure, lecture_style, save_figure
from statlearn.rbm import RBM, tap_magnetisations
from statlearn.reproductions.rbm_likelihood import binarised_digits
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.tables import write_csv

# Each rule's own learning rate on the digits: the best final exact log-likelihood (mean over 4 seeds, full settings)
# on the grid 0.005, 0.01, 0.02, 0.05, 0.1 (docs/rbm-tap.md). On the Ising data 0.005 is the best of the grid
# 0.002 ... 0.05 for every rule but CD-10 (0.05 nats short of its best, at 0.01): one common rate serves there.
RATES = {"CD-1": 0.05, "CD-10": 0.1, "PCD-1": 0.02, "TAP2": 0.02, "TAP3": 0.02}
QUICK = {
    "n_hidden": 12,
    "ising_hidden": 8,
    "ising_samples": 1000,
    "epochs": 10,
    "seeds": 2,
    "learning_rate": RATES,
    "ising_learning_rate": 0.005,
    "batch_size": 20,
    "scales": [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0],
    "machines": 3,
}
FULL = {
    "n_hidden": 16,
    "ising_hidden": 12,
    "ising_samples": 2000,
    "epochs": 40,
    "seeds": 4,
    "learning_rate": RATES,
    "ising_learning_rate": 0.005,
    "batch_size": 20,
    "scales": [0.005, 0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0],
    "machines": 10,
}
RULES = (("CD-1", "cd", 1), ("CD-10", "cd", 10), ("PCD-1", "pcd", 1), ("TAP2", "tap2", 3), ("TAP3", "tap3", 3))
ISING_L, ISING_BETA = 6, 0.4
TAP_SHAPE = (20, 10)


def ising_data(n_samples: int, seed: int) -> np.ndarray:
    """``n_samples`` +-1 configurations of the periodic 6 x 6 Ising model at beta = 0.4, flattened."""
    from wirg.lattice_ising import ising

    samples = ising(ISING_L, ISING_BETA, n_samples, seed=seed)
    return np.asarray(samples.fields, float).reshape(n_samples, -1)


def _rate(learning_rate: float | Mapping[str, float], label: str) -> float:
    """The learning rate of rule ``label``: one number for all rules, or one per rule label."""
    return float(learning_rate[label]) if isinstance(learning_rate, Mapping) else float(learning_rate)


def _train_all(
    data: np.ndarray,
    spins: str,
    n_hidden: int,
    learning_rate: float | Mapping[str, float],
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """Exact log-likelihood curves (seeds, epochs + 1) and cumulative update seconds of every rule."""
    out: dict[str, Any] = {}
    for label, method, k in RULES:
        curves, clocks = [], []
        for seed in range(int(settings["seeds"])):
            rbm = RBM(data.shape[1], n_hidden, spins=spins, seed=seed)
            initial = rbm.log_likelihood(data)
            history = rbm.fit(
                data,
                method=method,
                k=k,
                learning_rate=_rate(learning_rate, label),
                batch_size=int(settings["batch_size"]),
                epochs=int(settings["epochs"]),
                seed=seed,
                monitor=("log_likelihood",),
            )
            curves.append(np.concatenate([[initial], history.log_likelihood]))
            clocks.append(np.concatenate([[0.0], np.cumsum(history.seconds)]))
        out[label] = (np.asarray(curves), np.asarray(clocks))
    return out


def _tap_errors(settings: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """|ln Z_n - ln Z| per unit (orders 1..3, scales, machines) and whether the iteration converged."""
    scales = np.asarray(settings["scales"], float)
    n_machines = int(settings["machines"])
    errors = np.zeros((3, len(scales), n_machines))
    converged = np.ones((3, len(scales), n_machines), bool)
    signed = np.zeros_like(errors)
    n_v, n_h = TAP_SHAPE
    for m in range(n_machines):
        rng = np.random.default_rng(1000 + m)
        W0, b_v, b_h = rng.standard_normal(TAP_SHAPE), 0.3 * rng.standard_normal(n_v), 0.3 * rng.standard_normal(n_h)
        for s, w in enumerate(scales):
            rbm = RBM.from_params(w * W0, b_v, b_h, spins="pm1")
            exact = rbm.log_partition().log_z
            for order in (1, 2, 3):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    result = tap_magnetisations(rbm, order, n_starts=4, seed=m, tol=1e-13, max_iter=5000)
                signed[order - 1, s, m] = (result.log_z - exact) / (n_v + n_h)
                converged[order - 1, s, m] = result.converged
    errors = np.abs(signed)
    return errors, signed, converged


@register(
    "rbm-tap",
    "RBM EMF (TAP2/TAP3) training against CD/PCD on digits and Ising data; TAP ln Z against exact",
    quick=QUICK,
    full=FULL,
    cost=13,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    digits = binarised_digits()
    spins_data = ising_data(int(settings["ising_samples"]), seed=7)
    runs = {
        "digits": _train_all(digits, "01", int(settings["n_hidden"]), settings["learning_rate"], settings),
        "ising": _train_all(
            spins_data, "pm1", int(settings["ising_hidden"]), settings["ising_learning_rate"], settings
        ),
    }
    errors, signed, converged = _tap_errors(settings)
    scales = np.asarray(settings["scales"], float)
    checks: list[Check] = []
    rows: dict[str, list[Any]] = {"data": [], "rule": [], "seed": [], "epoch": [], "seconds": [], "log_likelihood": []}
    summary_lines = []
    for name, results in runs.items():
        for label, (curves, clocks) in results.items():
            for seed in range(curves.shape[0]):
                for epoch in range(curves.shape[1]):
                    for key, value in zip(rows, (name, label, seed, epoch, clocks[seed, epoch], curves[seed, epoch])):
                        rows[key].append(value)
            final, initial = curves[:, -1], curves[:, 0]
            sd = float(final.std(ddof=1)) if len(final) > 1 else float("nan")
            per_update = clocks[:, -1].mean()
            summary_lines.append(
                f"{name} {label}: {initial.mean():.3f} -> {final.mean():.3f} +- {sd:.3f} (sd over seeds), "
                f"update time {per_update:.3g} s in all"
            )
            if label.startswith("TAP") and name == "digits":
                gain = float(final.mean() - initial.mean())
                checks.append(
                    Check(
                        f"{name}: {label} log-likelihood gain short of 3 seed-to-seed sd",
                        0.0,
                        max(0.0, 3.0 * sd - gain),
                        sd,
                        0.0,
                        f"gain {gain:.3f} nats over the initial machine; sd of the final value over "
                        f"{len(final)} seeds {sd:.3f}; passes when the gain exceeds 3 sd",
                    )
                )
    mean_error = errors.mean(axis=2)
    for order in (2, 3):
        slope = float(np.log(mean_error[order - 1, 1] / mean_error[order - 1, 0]) / np.log(scales[1] / scales[0]))
        checks.append(
            Check(
                f"TAP{order} ln Z error: local slope in w at w = {scales[0]:g}..{scales[1]:g}",
                float(order + 1),
                slope,
                0.0,
                0.2,
                "truncation after the w^n term leaves an O(w^(n+1)) error; the next order shifts the local slope "
                "by O(w): tolerance 0.2",
            )
        )
    write_csv(rows, out_dir / "training.csv")
    tap_rows: dict[str, list[Any]] = {"w": [], "order": [], "machine": [], "error_per_unit": [], "converged": []}
    for order in range(3):
        for s, w in enumerate(scales):
            for m in range(errors.shape[2]):
                for key, value in zip(tap_rows, (w, order + 1, m, signed[order, s, m], int(converged[order, s, m]))):
                    tap_rows[key].append(value)
    write_csv(tap_rows, out_dir / "tap_log_partition.csv")

    with lecture_style():
        fig, axes = figure(2, 2, figsize=(11.0, 8.4))
        (ax_a, ax_b), (ax_c, ax_d) = axes
        for r, (label, _, _) in enumerate(RULES):
            color = COLORS[r]
            for ax, name, clock in ((ax_a, "digits", False), (ax_b, "digits", True), (ax_c, "ising", False)):
                curves, clocks = runs[name][label]
                mean = curves.mean(axis=0)
                err = curves.std(axis=0, ddof=1) / np.sqrt(curves.shape[0]) if curves.shape[0] > 1 else 0 * mean
                x = clocks.mean(axis=0) if clock else np.arange(curves.shape[1])
                rate = _rate(settings["ising_learning_rate" if name == "ising" else "learning_rate"], label)
                ax.errorbar(x, mean, err, color=color, marker="o", ms=3, lw=1.2, capsize=2, label=f"{label} ({rate:g})")
        ax_a.set(xlabel="epoch", ylabel="exact log-likelihood per image (nats)", title="(a) digits, against epochs")
        ax_b.set(
            xlabel="wall time of the updates (s)",
            ylabel="exact log-likelihood per image (nats)",
            title="(b) digits, against cost",
        )
        ax_c.set(
            xlabel="epoch",
            ylabel="exact log-likelihood per configuration (nats)",
            title=f"(c) Ising {ISING_L}x{ISING_L}, beta = {ISING_BETA}",
        )
        for ax in (ax_a, ax_b, ax_c):
            ax.legend(loc="lower right", fontsize=8)
        for order, label in enumerate(("mean field", "TAP2", "TAP3")):
            color = COLORS[(5, 6, 3)[order]]
            ok = converged[order].all(axis=1)
            spread = errors[order].std(axis=1, ddof=1) / np.sqrt(errors.shape[2]) if errors.shape[2] > 1 else None
            ax_d.errorbar(
                scales[ok],
                mean_error[order][ok],
                None if spread is None else spread[ok],
                color=color,
                marker="o",
                lw=1.2,
                capsize=2,
                label=label,
            )
            if (~ok).any():
                ax_d.plot(scales[~ok], mean_error[order][~ok], "o", mfc="none", color=color)
            ref = mean_error[order, 0] * (scales / scales[0]) ** (order + 2)
            ax_d.plot(scales[:4], ref[:4], ":", color=color, lw=1.0)
        ax_d.plot([], [], ":", color="0.4", label=r"$\propto w^{n+1}$")
        ax_d.plot([], [], "o", mfc="none", color="0.4", label="not converged")
        ax_d.set(
            xscale="log",
            yscale="log",
            xlabel="weight scale w",
            ylabel=r"$|\ln Z_n - \ln Z|$ per unit",
            title=f"(d) TAP ln Z, random {TAP_SHAPE[0]}x{TAP_SHAPE[1]} RBMs",
        )
        ax_d.legend(loc="lower right", fontsize=8)
        save_figure(fig, out_dir / "rbm-tap.png")

    return ReproductionResult(
        figures=("rbm-tap.png",),
        data=("training.csv", "tap_log_partition.csv"),
        checks=tuple(checks),
        summary=(
            f"RBMs trained {settings['epochs']} epochs by CD-1, CD-10, PCD-1, TAP2-3, TAP3-3 over {settings['seeds']} "
            f"seeds (exact log-likelihood): " + "; ".join(summary_lines)
        ),
    )
