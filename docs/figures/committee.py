"""Make docs/figures/committee.png (K = 2) and docs/figures/committee_k3.png (K = 3): overlaps and errors of the
committee against alpha, both priors, branches and transitions marked.

Run from the repository root: ``OMP_NUM_THREADS=1 python docs/figures/committee.py [k2|k3]`` (default both; a few
minutes each: a K = 3 specialised point takes about a minute).
"""

from __future__ import annotations

import sys
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from statlearn.numerics import ConvergenceWarning
from statlearn.replica import committee


def branch(prior: str, alphas: np.ndarray, init: str | np.ndarray, K: int = 2) -> list:
    states = []
    start = init
    for a in alphas:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            s = committee.bayes_optimal(K, float(a), prior=prior, init=start)
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
    decorate(ax_q, ax_e, marks, f"K = 2, {prior} prior", digits=4)


def decorate(ax_q, ax_e, marks: list, title: str, digits: int) -> None:
    """Transition lines with their values, titles, labels and legends of one column."""
    for ax in (ax_q, ax_e):
        for a, color, _name in marks:
            ax.axvline(a, color=color, ls="-.", lw=0.8)
    for a, color, name in marks:
        ax_q.text(
            a,
            0.97,
            f"{name} = {a:.{digits}f}",
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
            color=color,
            transform=ax_q.get_xaxis_transform(),
        )
    ax_q.set_title(title)
    ax_q.set_ylabel("overlap")
    ax_e.set_ylabel("error")
    ax_e.set_xlabel(r"$\alpha = M/N$")
    ax_q.legend(fontsize=7, loc="center right")
    ax_e.legend(fontsize=7)


def k3_overlaps(states: list) -> tuple[list, list]:
    """q_11 and q_12 of K = 3 symmetric overlaps: (q_par + 2 q_perp)/3 and (q_par - q_perp)/3."""
    return [s.overlap[0, 0] for s in states], [s.overlap[0, 1] for s in states]


def k3_panel(ax_q, ax_e, prior: str) -> None:
    top = 22.0 if prior == "gaussian" else 5.0
    alphas = np.linspace(0.25, top, 40)
    low = branch(prior, alphas, "non-specialised", K=3)
    ax_q.plot(alphas, k3_overlaps(low)[0], "C0-", label="non-specialised $q_{11} = q_{12}$")
    ax_e.plot(alphas, [s.squared_error for s in low], "C0-", label="non-specialised")
    ax_e.plot(alphas, [s.generalization_error for s in low], "C0:", label="non-specialised, 0-1 error")
    if prior == "gaussian":
        spec_alphas = np.array([22.0, 20.0, 17.0, 14.0, 12.0, 11.4, 11.2, 10.7])
        start = committee.symmetric_overlap(3, 0.98, 0.97)
        spec = branch(prior, spec_alphas, start, K=3)
        keep = [i for i, s in enumerate(spec) if s.converged and s.branch == "specialised"]
        sa = spec_alphas[keep]
        q11, q12 = k3_overlaps([spec[i] for i in keep])
        ax_q.plot(sa, q11, "C1--o", ms=3, label="specialised $q_{11}$")
        ax_q.plot(sa, q12, "C2--o", ms=3, label="specialised $q_{12}$")
        ax_e.plot(sa, [spec[i].squared_error for i in keep], "C1--o", ms=3, label="specialised")
        ax_e.plot(sa, [spec[i].generalization_error for i in keep], "C1:", label="specialised, 0-1 error")
        th = committee.specialization_threshold(3, prior)
        print("K=3 gaussian:", th)
        marks = [(th.alpha_spec, "k", r"$\alpha_{spec}$"), (th.alpha_instability, "0.5", r"$\alpha_{inst}$")]
    else:
        th = committee.specialization_threshold(3, prior)
        print("K=3 rademacher:", th)
        ax_q.plot([0.25, top], [1, 1], "C3-", lw=1, label="perfect recovery $q = I$")
        ax_e.plot([0.25, top], [0, 0], "C3-", lw=1)
        marks = [(th.alpha_spec, "k", r"$\alpha_{IT}$")]
    decorate(ax_q, ax_e, marks, f"K = 3, {prior} prior", digits=3)


def main(which: str = "both") -> None:
    if which in ("both", "k2"):
        fig, axes = plt.subplots(2, 2, figsize=(10, 8), sharex=True)
        for col, prior in enumerate(("gaussian", "rademacher")):
            th = committee.specialization_threshold(2, prior, xtol=1e-4)
            print(prior, th)
            panel(axes[0, col], axes[1, col], prior, th)
        fig.tight_layout()
        fig.savefig("docs/figures/committee.png", dpi=110)
    if which in ("both", "k3"):
        fig, axes = plt.subplots(2, 2, figsize=(10, 8), sharex="col")
        for col, prior in enumerate(("gaussian", "rademacher")):
            k3_panel(axes[0, col], axes[1, col], prior)
        fig.tight_layout()
        fig.savefig("docs/figures/committee_k3.png", dpi=110)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "both")
