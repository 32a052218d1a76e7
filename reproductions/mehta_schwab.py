r"""`mehta-schwab`: stacked RBMs on 2-D Ising configurations near T_c, L1 against L2 against scikit-learn, measured.

Mehta & Schwab (arXiv:1410.3831 (2014)) trained a 1600-400-100-25 stack of RBMs on 40 x 40 Ising
configurations at J = 0.408 with L1 regularisation and showed receptive fields :math:`W_1 \cdots W_l` that
look like blocks growing with depth. Here the same stack is trained on data from :func:`wirg.fields.ising`
(cached in ``out_dir/data`` through :func:`wirg.datasets.dataset`) at :math:`\beta = 0.408` and at
:math:`\beta_c = \frac12\ln(1 + \sqrt2)`, in three variants at matched training effort (the same 0/1 data
:math:`(s + 1)/2`, PCD-1 with the same epochs, batch size and learning rate, no momentum):
:class:`statlearn.rbm.DBN` with an L1 penalty, the same with an L2 penalty (same strength), and scikit-learn's
``BernoulliRBM`` (PCD-1, no penalty), stacked layer by layer on its ``transform()`` (the mean activations) and
converted to :class:`statlearn.rbm.RBM` for the measurements. Each variant is trained from ``seeds`` seeds
(the data fixed); every (beta, variant, seed) is one point of a checkpointed sweep (``runs.jsonl``), so an
interrupted run resumes.

Measurements (:mod:`statlearn.rg.variational`), per layer l with matching block size :math:`b_l =
\sqrt{N/N_l}`: the locality :math:`f_r` of the receptive fields at radius :math:`r = b_l` and their IPR
(median over units per seed; mean and standard error over seeds; reference: Gaussian random fields of the
same shape); the largest correlation of each unit's mean activation with the majority-rule block spins of
size :math:`b_l` and whether that block holds the field's centre (reference: the same for the magnetisation,
a unit that sees every spin alike); the energy per site and :math:`|m|` of visible configurations generated
through layer l (the data sent up to layer l by sampling and back down, :meth:`DBN.up`, :meth:`DBN.down`)
and of their block spins, against the same statistics of the data and of its block spins (jackknife errors).

Checks: (1) the data's energy per site against Kaufman's exact energy of the :math:`L \times L` torus
(Bonferroni bound over the couplings); (2) per coupling and layer, that the L1 - L2 difference of the
locality and of the block-spin correlation is resolved: its standard error over seeds below half the
difference, or below the stated bound (0.02), the numbers of every variant in the note, whichever way they
come out. The generated-sample statistics make no claim: they are reported with their discrepancy from the
data and its error in ``statistics.csv`` (the error over seeds, or the mean jackknife error if larger,
combined with the data's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import norm
from sklearn.neural_network import BernoulliRBM

from statlearn.numerics.seeding import as_generator
from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points
from statlearn.rbm import DBN, RBM
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.rg import (
    block_spin_correlation,
    block_spins,
    matching_block_size,
    random_field_locality,
    receptive_field_locality,
)
from statlearn.sweep import sweep, write_csv
from wirg.datasets import dataset
from wirg.ising_exact import BETA_C, kaufman_energy
from wirg.lattice_ising import ising_energy
from wirg.statistics import energy_per_site, magnetization

ALPHA = 0.01
N_BLOCKS = 20
RESOLUTION = 0.02  # the bound below which an error over seeds counts as resolved (fractions and correlations)
VARIANTS = ("l1", "l2", "sklearn")
LABELS = {"l1": "RBM, L1", "l2": "RBM, L2", "sklearn": "scikit-learn BernoulliRBM"}
QUICK = {
    "L": 16,
    "betas": [0.408, BETA_C],
    "n_samples": 2000,
    "hidden": [64, 16],
    "seeds": 3,
    "epochs": 10,
    "batch_size": 50,
    "learning_rate": 0.05,
    "strength": 0.01,
    "n_generated": 1000,
    "n_display": 4,
    "seed": 0,
}
FULL = {
    "L": 40,
    "betas": [0.408, BETA_C],
    "n_samples": 20000,
    "hidden": [400, 100, 25],
    "seeds": 6,
    "epochs": 30,
    "batch_size": 100,
    "learning_rate": 0.05,
    "strength": 0.01,
    "n_generated": 5000,
    "n_display": 4,
    "seed": 0,
}


def _data(L: int, beta: float, n_samples: int, seed: int, cache_dir: str) -> np.ndarray:
    """Ising configurations (n, L, L) of +-1 as float, from the cache."""
    return dataset("ising", L=L, n_samples=n_samples, seed=seed, cache_dir=cache_dir, beta=beta).fields.astype(float)


def _train(variant: str, x: np.ndarray, hidden: Sequence[int], seed: int, s: Mapping[str, Any]) -> DBN:
    """The stack of one variant trained on the 0/1 data ``x`` (n, N)."""
    common = {"learning_rate": s["learning_rate"], "batch_size": s["batch_size"], "epochs": s["epochs"]}
    if variant != "sklearn":
        return DBN.train(
            x, hidden, spins="01", seed=seed, method="pcd", k=1, momentum=0.0, penalty=variant,
            strength=s["strength"], monitor=(), **common,
        )  # fmt: skip
    rng, layers, v = as_generator(seed), [], x
    for size in hidden:
        model = BernoulliRBM(
            n_components=size, learning_rate=s["learning_rate"], batch_size=s["batch_size"], n_iter=s["epochs"],
            random_state=int(rng.integers(2**31)),
        )  # fmt: skip
        model.fit(v)
        layers.append(
            RBM.from_params(model.components_.T, model.intercept_visible_, model.intercept_hidden_, spins="01")
        )
        v = model.transform(v)
    return DBN(layers)


def _median_spread(x: np.ndarray) -> list[float]:
    return [float(np.nanmedian(x)), float(np.nanquantile(x, 0.16)), float(np.nanquantile(x, 0.84))]


def _statistics(spins: np.ndarray) -> list[float]:
    """Energy per site and <|m|> with jackknife errors (20 blocks): [e, de, m, dm]."""
    e = energy_per_site(spins, ising_energy, n_blocks=N_BLOCKS)
    m = magnetization(spins, n_blocks=N_BLOCKS)
    return [float(e.value[0]), float(e.error[0]), float(m.value[0]), float(m.error[0])]


def train_and_measure(beta: float, variant: str, seed: int, **s: Any) -> dict[str, Any]:
    """Train one stack and measure every layer (module docstring); one point of the sweep."""
    spins = _data(s["L"], beta, s["n_samples"], s["data_seed"], s["cache_dir"])
    n, L = spins.shape[0], spins.shape[1]
    x = (spins.reshape(n, -1) + 1.0) / 2.0
    stack = _train(variant, x, s["hidden"], seed, s)
    rows = np.random.default_rng(seed).permutation(n)[: s["n_generated"]]
    out: dict[str, list] = {
        k: [] for k in ("fraction", "ipr", "max_corr", "aligned", "generated", "generated_blocks", "fields")
    }
    activity = x
    for l, rbm in enumerate(stack.layers, start=1):
        b = matching_block_size(L * L, rbm.n_hidden)
        fields = stack.receptive_fields(l)
        local = receptive_field_locality(fields, radius=b)
        activity = rbm.mean(rbm.hidden_field(activity))
        corr = block_spin_correlation(activity, spins, b, centres=local.centre, seed=seed)
        below = DBN(stack.layers[:l])
        generated = 2.0 * below.down(below.up(x[rows], seed=seed)[-1], seed=seed + 1).reshape(-1, L, L) - 1.0
        out["fraction"].append(_median_spread(local.fraction))
        out["ipr"].append(_median_spread(local.ipr))
        out["max_corr"].append(_median_spread(corr.max_abs))
        out["aligned"].append(float(corr.aligned.mean()))
        out["generated"].append(_statistics(generated))
        out["generated_blocks"].append(_statistics(block_spins(generated, b, seed=seed)))
        out["fields"].append(fields[:, : s["n_display"]].T.tolist())
    return out


def _references(spins: np.ndarray, hidden: Sequence[int], seed: int) -> dict[str, list]:
    """Per layer: the random-field locality, the magnetisation's block correlation, the data's block statistics."""
    n, L = spins.shape[0], spins.shape[1]
    m = spins.reshape(n, -1).mean(axis=1)[:, None]
    out: dict[str, list] = {"fraction": [], "ipr": [], "max_corr": [], "blocks": []}
    for size in hidden:
        b = matching_block_size(L * L, size)
        random = random_field_locality(L * L, size, b, seed=seed)
        out["fraction"].append(float(np.median(random.fraction)))
        out["ipr"].append(float(np.median(random.ipr)))
        out["max_corr"].append(float(block_spin_correlation(m, spins, b, seed=seed).max_abs[0]))
        out["blocks"].append(_statistics(block_spins(spins, b, seed=seed)))
    return out


def _over_seeds(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over the first axis (seeds)."""
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(values.shape[0])


@register(
    "mehta-schwab",
    "Stacked RBMs on Ising data as variational RG: L1 vs L2 vs scikit-learn (Mehta & Schwab)",
    quick=QUICK,
    full=FULL,
    cost=11,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    s = dict(settings)
    L, betas, n_seeds = int(s["L"]), [float(b) for b in s["betas"]], int(s["seeds"])
    cache = str(out_dir / "data")
    data = {beta: _data(L, beta, s["n_samples"], s["seed"] + i, cache) for i, beta in enumerate(betas)}
    fixed = {k: s[k] for k in ("L", "n_samples", "hidden", "epochs", "batch_size", "learning_rate", "strength")}
    fixed |= {"n_generated": min(s["n_generated"], s["n_samples"]), "n_display": s["n_display"], "cache_dir": cache}
    grid = [
        {"beta": beta, "variant": variant, "seed": seed, "data_seed": s["seed"] + i, **fixed}
        for i, beta in enumerate(betas)
        for variant in VARIANTS
        for seed in range(n_seeds)
    ]
    table = sweep(train_and_measure, grid, executor=executor, checkpoint=out_dir / "runs.jsonl", desc="mehta-schwab")
    return report(s, grid, table, data, out_dir)


def report(
    s: Mapping[str, Any],
    grid: list[dict[str, Any]],
    table: Mapping[str, Any],
    data: Mapping[float, np.ndarray],
    out_dir: Path,
) -> ReproductionResult:
    """Checks, tables and figures from the sweep's ``table`` (one row per point of ``grid``) and the data."""
    L, betas, hidden, n_seeds = int(s["L"]), [float(b) for b in s["betas"]], list(s["hidden"]), int(s["seeds"])
    n_layers = len(hidden)

    def measured(beta: float, variant: str, key: str) -> np.ndarray:
        """(seeds, layers, ...) of one result."""
        rows = [i for i, p in enumerate(grid) if p["beta"] == beta and p["variant"] == variant]
        return np.array([np.asarray(table[key][i], dtype=float) for i in rows])

    references = {beta: _references(data[beta], hidden, s["seed"]) for beta in betas}
    z = float(norm.ppf(1 - ALPHA / (2 * len(betas))))
    checks, summary = [], []
    stats: dict[str, list[Any]] = {k: [] for k in ("beta", "variant", "layer", "b", "what", "energy", "energy_err")}
    stats |= {"abs_m": [], "abs_m_err": [], "energy_minus_data": [], "energy_minus_data_err": []}
    measures: dict[str, list[Any]] = {k: [] for k in ("beta", "variant", "layer", "b", "quantity", "mean", "stderr")}
    measures |= {"reference": []}
    for beta in betas:
        e, de, m, dm = _statistics(data[beta])
        exact = kaufman_energy(L, beta)
        checks.append(
            Check(
                f"beta = {beta:.4f}: Ising data, energy per site against Kaufman's exact L = {L} torus",
                exact,
                e,
                de,
                z * de,
                f"{s['n_samples']} configurations, jackknife over {N_BLOCKS} blocks; <|m|> = {m:.4f} +- {dm:.4f}; "
                f"two-sided bound z = {z:.2f} (alpha = {ALPHA}, Bonferroni over {len(betas)} couplings)",
            )
        )
        ref = references[beta]
        for l in range(n_layers):
            b = matching_block_size(L * L, hidden[l])
            values = {}
            for key, name in (("fraction", "locality f_r"), ("max_corr", "block-spin max |corr|")):
                per = {v: _over_seeds(measured(beta, v, key)[:, l, 0]) for v in VARIANTS}
                values[key] = per
                diff = measured(beta, "l1", key)[:, l, 0] - measured(beta, "l2", key)[:, l, 0]
                d_mean, d_err = float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(diff.size))
                numbers = ", ".join(f"{LABELS[v]} {per[v][0]:.4f} +- {per[v][1]:.4f}" for v in VARIANTS)
                checks.append(
                    Check(
                        f"beta = {beta:.4f}, layer {l + 1} (b = {b}): {name}, L1 - L2 = {d_mean:+.4f} resolved",
                        0.0,
                        d_err,
                        0.0,
                        max(RESOLUTION, abs(d_mean) / 2.0),
                        f"median over units, mean +- standard error over {n_seeds} seeds: {numbers}; reference "
                        f"({'Gaussian random fields' if key == 'fraction' else 'the magnetisation'}) {ref[key][l]:.4f}"
                        f"{'; r = b' if key == 'fraction' else ''}; the check passes when the standard error of L1 - "
                        f"L2 over seeds is below half the difference or below {RESOLUTION}",
                    )
                )
                for v in VARIANTS:
                    for key_row, value in zip(measures, (beta, v, l + 1, b, key, *per[v], ref[key][l])):
                        measures[key_row].append(value)
            for v in VARIANTS:
                ipr = _over_seeds(measured(beta, v, "ipr")[:, l, 0])
                for key_row, value in zip(measures, (beta, v, l + 1, b, "ipr", *ipr, ref["ipr"][l])):
                    measures[key_row].append(value)
                aligned = _over_seeds(measured(beta, v, "aligned")[:, l])
                for key_row, value in zip(measures, (beta, v, l + 1, b, "aligned", *aligned, 1.0 / (L // b) ** 2)):
                    measures[key_row].append(value)
            # generated through layer l against the data, and their block spins against the data's: reported, no claim
            for v in VARIANTS:
                gen, gen_b = measured(beta, v, "generated")[:, l], measured(beta, v, "generated_blocks")[:, l]
                for what, g, d in (("visible", gen, (e, de, m, dm)), ("blocks", gen_b, ref["blocks"][l])):
                    g_e, g_e_err = _over_seeds(g[:, 0])
                    g_m, g_m_err = _over_seeds(g[:, 2])
                    err = float(np.hypot(max(g_e_err, np.sqrt(np.mean(g[:, 1] ** 2))), d[1]))
                    row = (beta, v, l + 1, b, what, g_e, g_e_err, g_m, g_m_err, g_e - d[0], err)
                    for key_row, value in zip(stats, row):
                        stats[key_row].append(value)
        for key_row, value in zip(stats, (beta, "data", 0, 1, "visible", e, de, m, dm, 0.0, 0.0)):
            stats[key_row].append(value)
        for l in range(n_layers):
            d = ref["blocks"][l]
            b = matching_block_size(L * L, hidden[l])
            for key_row, value in zip(stats, (beta, "data", l + 1, b, "blocks", d[0], d[1], d[2], d[3], 0.0, 0.0)):
                stats[key_row].append(value)
        layer_1 = ", ".join(f"{v} {measured(beta, v, 'fraction')[:, 0, 0].mean():.3f}" for v in VARIANTS)
        summary.append(f"beta = {beta:.4f}: layer-1 locality {layer_1}")
    write_csv(measures, out_dir / "measurements.csv")
    write_csv(stats, out_dir / "statistics.csv")
    _figures(grid, table, measures, references, betas, hidden, L, out_dir)
    return ReproductionResult(
        figures=("receptive_fields.png", "measurements.png"),
        data=("measurements.csv", "statistics.csv"),
        checks=tuple(checks),
        summary=f"{L} x {L}, stack {'-'.join(str(h) for h in [L * L, *hidden])}, {s['epochs']} epochs of PCD-1, "
        f"{n_seeds} seeds; " + "; ".join(summary),
    )


def _figures(
    grid: list[dict[str, Any]],
    table: Mapping[str, Any],
    measures: Mapping[str, list[Any]],
    references: Mapping[float, Mapping[str, list]],
    betas: list[float],
    hidden: list[int],
    L: int,
    out_dir: Path,
) -> None:
    first = {(p["beta"], p["variant"]): i for i, p in reversed(list(enumerate(grid)))}  # seed 0 of each
    n_layers = len(hidden)
    n_display = len(table["fields"][0][0])
    n_cols = n_display * len(betas)
    with lecture_style():
        fig, axes = figure(
            len(VARIANTS) * n_layers,
            n_cols,
            figsize=(1.3 * n_cols + 1.0, 1.3 * len(VARIANTS) * n_layers + 0.4),
            squeeze=False,
        )
        for r, (v, l) in enumerate((v, l) for v in VARIANTS for l in range(n_layers)):
            for j, beta in enumerate(betas):
                for c in range(n_display):
                    ax = axes[r, j * n_display + c]
                    image = np.asarray(table["fields"][first[beta, v]][l][c]).reshape(L, L)
                    top = np.abs(image).max() or 1.0
                    ax.imshow(image, cmap="RdBu_r", vmin=-top, vmax=top)
                    ax.set_xticks([])
                    ax.set_yticks([])
                    if r == 0:
                        ax.set_title(rf"$\beta = {beta:.4f}$, unit {c + 1}", fontsize=7)
            axes[r, 0].set_ylabel(f"{LABELS[v]}\nlayer {l + 1} ({hidden[l]})", fontsize=7)
        fig.suptitle(rf"receptive fields $W_1\cdots W_l$ of the first {n_display} units, seed 0", fontsize=10)
        save_figure(fig, out_dir / "receptive_fields.png")

        fig, axes = figure(2, len(betas), figsize=(5.5 * len(betas), 8.0), squeeze=False)
        layers = np.arange(1, n_layers + 1)
        for j, beta in enumerate(betas):
            for i, (key, ylabel) in enumerate(
                (
                    ("fraction", r"locality $f_{r=b}$ (median over units)"),
                    ("max_corr", r"max$_B$ $|\rho(h, B)|$ (median)"),
                )
            ):
                ax = axes[i, j]
                for k, v in enumerate(VARIANTS):
                    rows = [
                        n for n, q in enumerate(measures["quantity"]) if q == key and measures["variant"][n] == v
                        and measures["beta"][n] == beta
                    ]  # fmt: skip
                    mean = [measures["mean"][n] for n in rows]
                    err = [measures["stderr"][n] for n in rows]
                    simulation_points(
                        ax, layers + 0.06 * (k - 1), mean, err, label=LABELS[v], color=COLORS[k], marker="osD"[k]
                    )
                reference = "Gaussian random fields" if key == "fraction" else "magnetisation (sees all spins)"
                ax.plot(layers, references[beta][key], "k--", lw=1.0, label=reference)
                ax.set(
                    xlabel="layer l (block size b = sqrt(N / N_l))",
                    ylabel=ylabel,
                    title=rf"({'ab'[i]}{j + 1}) $\beta = {beta:.4f}$",
                    xticks=layers,
                )
                ax.legend(fontsize=7)
        save_figure(fig, out_dir / "measurements.png")
