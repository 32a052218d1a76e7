"""Make docs/figures/committee.png: overlaps and errors of the K = 2 committee against alpha, both priors.

Run from the repository root: ``OMP_NUM_THREADS=1 python docs/figures/committee.py`` (a few minutes).
"""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from statlearn.numerics import ConvergenceWarning
from statlearn.replica import committee


def branch(prior: str, alphas: np.ndarray, init: str | np.ndarray) -> list:
    states = []
    start = init
    for a in alphas:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            s = committee.bayes_optimal(2, float(a), prior=prior, init=start)
        states.append(s)
        if not isinstance(init, str) and s.converged and s.branch == "specialised":
            start = s.overlap
    return states


def panel(ax_q, ax_e, prior: str, th) -> None:
    alphas = np.linspace(0.05, 4.0, 60)
    low = branch(prior, alphas, "non-specialised")
    q00 = [s.overlap[0, 0] for s in low]
    ax_q.plot(alphas, q00, "C0-", label="non-specialised $q_{11} = q_{12}$")
    ax_e.plot(alphas, [s.squared_error for s in low], "C0-", label="non-specialised")
    ax_e.plot(alphas, [s.generalization_error for s in low], "C0:", label="non-specialised, 0-1 error")
    if prior == "gaussian":
        spec_alphas = np.linspace(th.alpha_spec, 4.0, 25)
        spec = branch(prior, spec_alphas, "specialised")
    else:
        spec_alphas = np.linspace(th.alpha_instability + 0.2, th.alpha_alg - 1e-3, 12)
        first = committee.stability(2, prior, float(spec_alphas[0]))[1]
        spec = branch(prior, spec_alphas, committee.symmetric_overlap(2, first.q_parallel, 0.25))
        back = np.linspace(th.alpha_instability + 1e-3, th.alpha_instability + 0.2, 6)[::-1]
        back_states = branch(prior, back, spec[0].overlap)
        spec_alphas = np.concatenate([back[::-1], spec_alphas])
        spec = back_states[::-1] + spec
        ax_q.plot([0.05, 4.0], [1, 1], "C3-", lw=1, label="perfect recovery $q = I$")
        ax_e.plot([0.05, 4.0], [0, 0], "C3-", lw=1)
    keep = [i for i, s in enumerate(spec) if s.converged and s.branch == "specialised"]
    sa = spec_alphas[keep]
    ax_q.plot(sa, [spec[i].overlap[0, 0] for i in keep], "C1--", label="specialised $q_{11}$")
    ax_q.plot(sa, [spec[i].overlap[0, 1] for i in keep], "C2--", label="specialised $q_{12}$")
    ax_e.plot(sa, [spec[i].squared_error for i in keep], "C1--", label="specialised")
    ax_e.plot(sa, [spec[i].generalization_error for i in keep], "C1:", label="specialised, 0-1 error")
    marks = [(th.alpha_spec, "k", r"$\alpha_{spec}$" if prior == "gaussian" else r"$\alpha_{IT}$")]
    if prior == "rademacher":
        marks += [(th.alpha_instability, "0.5", r"$\alpha_{inst}$"), (th.alpha_alg, "C3", r"$\alpha_{alg}$")]
    for ax in (ax_q, ax_e):
        for a, color, _name in marks:
            ax.axvline(a, color=color, ls="-.", lw=0.8)
    for a, color, name in marks:
        ax_q.text(a, 1.02, f"{name} = {a:.4f}", rotation=90, va="bottom", ha="right", fontsize=7, color=color)
    ax_q.set_title(f"K = 2, {prior} prior", pad=40)
    ax_q.set_ylabel("overlap")
    ax_e.set_ylabel("error")
    ax_e.set_xlabel(r"$\alpha = M/N$")
    ax_q.legend(fontsize=7, loc="center right")
    ax_e.legend(fontsize=7)


def main() -> None:
    fig, axes = plt.subplots(2, 2, figsize=(10, 8), sharex=True)
    for col, prior in enumerate(("gaussian", "rademacher")):
        th = committee.specialization_threshold(2, prior, xtol=1e-4)
        print(prior, th)
        panel(axes[0, col], axes[1, col], prior, th)
    fig.tight_layout()
    fig.savefig("docs/figures/committee.png", dpi=110)


if __name__ == "__main__":
    main()
