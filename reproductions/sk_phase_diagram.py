"""`sk-phase-diagram`: the Sherrington-Kirkpatrick model by the replica method (RS, AT line, k-step RSB).

Lecture figure (Sherrington & Kirkpatrick 1975; de Almeida & Thouless 1978; Parisi 1979/1980;
Crisanti & Rizzo 2002), all from :mod:`statlearn.replica.sk` (no Monte Carlo points here):

- Panel a: energy per spin against T at h = 0, RS and 1RSB, with the k-RSB ground-state energies at
  T = 0 and the full-RSB value -0.763166 of Crisanti & Rizzo.
- Panel b: f_RSB - f_RS against T at h = 0 (zero above T_c = 1, positive below: Guerra's bound makes the
  RSB optimum the better estimate), and the RS entropy (negative at low T).
- Panel c: the de Almeida-Thouless line T_AT(h) with its small-h law h^2 = (4/3)(1 - T)^3.
- Panel d: the full-RSB Parisi order parameter x(q) at a few T (:func:`statlearn.replica.sk.parisi`), with the
  k-RSB steps (m_l at q_l) for comparison; Parisi's f and energy also appear in panels a and b.

Checks: RS paramagnet against the exact f = -T ln 2 - 1/(4T); RS T -> 0 energy -sqrt(2/pi) and entropy
-1/(2 pi); the AT line against the small-h law; 1RSB ground state against the published -0.7652;
k-RSB ground states rising towards, and staying below, -0.763166; the full-RSB ground state against
-0.763166 within 1e-5; RSB = RS above T_c = 1; the full-RSB solver at T > 1 against the exact paramagnet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from statlearn.plotting import COLORS, figure, lecture_style, save_figure, theory_line
from statlearn.replica import sk
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.sweep import write_csv

E0_FULL_RSB = -0.763166  # Crisanti & Rizzo, Phys. Rev. E 65, 046137 (2002)
E0_1RSB = -0.7652  # Parisi, Phys. Lett. A 73, 203 (1979)

QUICK = {
    "temperatures": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.1, 1.3],
    "fields": 24,
    "x_of_q": [[0.3, 1], [0.5, 1], [0.7, 1], [0.5, 2]],
    "ground_steps": [1, 2],
    "full_rsb": True,
    "parisi": [0.3, 0.5, 0.7],
    "parisi_intervals": 10,
}
FULL = {
    "temperatures": [0.05 * i for i in range(1, 31) if i != 20],
    "fields": 60,
    "x_of_q": [[0.3, 1], [0.5, 1], [0.7, 1], [0.3, 2], [0.5, 2], [0.7, 2], [0.5, 3]],
    "ground_steps": [1, 2, 3],
    "full_rsb": True,
    "parisi": [0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    "parisi_intervals": 40,
}


@register("sk-phase-diagram", "SK model: RS, AT line, k-step RSB (replica theory)", quick=QUICK, full=FULL, cost=23)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    temperatures = np.asarray(settings["temperatures"], dtype=float)
    rs = [sk.replica_symmetric(T) for T in temperatures]
    one = [sk.rsb(T, steps=1) for T in temperatures]
    write_csv(
        {
            "T": temperatures.tolist(),
            "f_rs": [r.free_energy for r in rs],
            "e_rs": [r.energy for r in rs],
            "s_rs": [r.entropy for r in rs],
            "f_1rsb": [r.free_energy for r in one],
            "e_1rsb": [r.energy for r in one],
        },
        out_dir / "thermodynamics.csv",
    )
    fields = np.geomspace(1e-3, 1.5, int(settings["fields"]))
    t_at = np.asarray(sk.at_line(fields))
    write_csv({"h": fields.tolist(), "T_AT": t_at.tolist()}, out_dir / "at_line.csv")
    ground = [sk.ground_state_energy(steps=int(k)) for k in settings["ground_steps"]]
    breaking = [sk.rsb(float(T), steps=int(k)) for T, k in settings["x_of_q"]]
    full = sk.ground_state_energy() if settings["full_rsb"] else None
    n_parisi = int(settings["parisi_intervals"])
    parisi = [sk.parisi(float(T), intervals=n_parisi) for T in settings["parisi"]]
    rs_at_parisi = [sk.replica_symmetric(r.T) for r in parisi]
    one_at_parisi = [sk.rsb(r.T, steps=1) for r in parisi]
    write_csv(
        {
            "T": [r.T for r in parisi],
            "f_parisi": [r.free_energy for r in parisi],
            "e_parisi": [r.energy for r in parisi],
            "s_parisi": [r.entropy for r in parisi],
            "q_max": [r.q_max for r in parisi],
            "f_1rsb": [r.free_energy for r in one_at_parisi],
        },
        out_dir / "parisi.csv",
    )
    hot = sk.parisi(1.3, intervals=n_parisi)

    checks: list[Check] = []
    paramagnet = [(T, r) for T, r in zip(temperatures, rs) if T > 1]
    worst = max(paramagnet, key=lambda p: abs(p[1].free_energy + p[0] * math.log(2) + 1 / (4 * p[0])))
    checks.append(
        Check(
            f"RS free energy, T = {worst[0]:g} > 1 (worst)",
            -worst[0] * math.log(2) - 1 / (4 * worst[0]),
            worst[1].free_energy,
            0.0,
            1e-12,
            "exact paramagnet f = -T ln 2 - 1/(4T)",
        )
    )
    low, lower = sk.replica_symmetric(0.004), sk.replica_symmetric(0.002)
    checks.append(
        Check("RS energy at T = 0.002", -math.sqrt(2 / math.pi), lower.energy, 0.0, 1e-5, "exact -sqrt(2/pi)")
    )
    checks.append(
        Check(
            "RS entropy at T -> 0 (Richardson from T = 0.004, 0.002)",
            -1 / (2 * math.pi),
            2 * lower.entropy - low.entropy,
            0.0,
            5e-5,
            "exact -1/(2 pi); residual O(T^2) of the extrapolation",
        )
    )
    ratio = (4 / 3) * (1 - t_at[0]) ** 3 / fields[0] ** 2
    checks.append(
        Check(
            f"AT line (4/3)(1 - T_AT)^3 / h^2 at h = {fields[0]:g}",
            1.0,
            float(ratio),
            0.0,
            0.05,
            "small-h law; the next correction is O(h^(2/3)) ~ 1e-2",
        )
    )
    checks.append(
        Check("1RSB ground-state energy", E0_1RSB, ground[0].energy, 0.0, 1e-4, "published -0.7652 (4 digits)")
    )
    energies = [g.energy for g in ground]
    rising = all(a < b for a, b in zip(energies, energies[1:])) and energies[-1] < E0_FULL_RSB
    checks.append(
        Check(
            f"{len(ground)}RSB ground-state energy, below full RSB and above {len(ground) - 1}RSB",
            E0_FULL_RSB,
            energies[-1] if rising else math.nan,
            0.0,
            5e-3,
            f"k-RSB energies {', '.join(f'{e:.7f}' for e in energies)} must rise monotonically towards -0.763166",
        )
    )
    if full is not None:
        checks.append(
            Check(
                "full-RSB ground-state energy",
                E0_FULL_RSB,
                full.energy,
                0.0,
                1e-5,
                f"Crisanti & Rizzo 2002; T = 0 Parisi functional on a {full.steps}-interval grid, exact gradient",
            )
        )
    checks.append(
        Check(
            "full-RSB (Parisi) free energy at T = 1.3",
            -1.3 * math.log(2) - 1 / (4 * 1.3),
            hot.free_energy,
            0.0,
            1e-10,
            f"exact paramagnet; x = 1 on all {n_parisi} intervals",
        )
    )
    above = max((abs(o.free_energy - r.free_energy), T) for T, r, o in zip(temperatures, rs, one) if T > 1)
    checks.append(
        Check(f"1RSB - RS free energy at T = {above[1]:g} > T_c", 0.0, above[0], 0.0, 1e-9, "RSB collapses on RS")
    )

    with lecture_style():
        fig, axes = figure(2, 2, figsize=(11.0, 8.4))
        ax_a, ax_b, ax_c, ax_d = axes.ravel()
        theory_line(ax_a, temperatures, [r.energy for r in rs], label="RS", color=COLORS[0], marker=".")
        theory_line(ax_a, temperatures, [r.energy for r in one], label="1RSB", color=COLORS[1], marker=".")
        for i, g in enumerate(ground):
            ax_a.plot([0.0], [g.energy], marker="s", ls="none", color=COLORS[2 + i], label=f"{g.steps}RSB, T = 0")
        theory_line(
            ax_a, [r.T for r in parisi], [r.energy for r in parisi], label="full RSB (Parisi)", color="k", marker="*"
        )
        if full is not None:
            ax_a.plot([0.0], [full.energy], marker="*", ms=10, ls="none", color="k", label="full RSB, T = 0")
        ax_a.axhline(E0_FULL_RSB, color="k", ls=":", lw=1.0, label="full RSB -0.763166 (Crisanti-Rizzo)")
        ax_a.set(xlabel="temperature T", ylabel="energy per spin e", title="(a) energy, h = 0")
        ax_a.legend(loc="upper left", fontsize=8)

        gap = np.array([o.free_energy - r.free_energy for r, o in zip(rs, one)])
        theory_line(ax_b, temperatures, 1e3 * gap, label=r"$10^3(f_{1RSB} - f_{RS})$", color=COLORS[1], marker=".")
        gain = [1e3 * (p.free_energy - r.free_energy) for p, r in zip(parisi, rs_at_parisi)]
        theory_line(ax_b, [p.T for p in parisi], gain, label=r"$10^3(f_{Parisi} - f_{RS})$", color="k", marker="*")
        ax_b.set(xlabel="temperature T", ylabel=r"$10^3\,(f_{1RSB} - f_{RS})$", title="(b) RSB gain and RS entropy")
        ax_s = ax_b.twinx()
        theory_line(ax_s, temperatures, [r.entropy for r in rs], label="RS entropy s", color=COLORS[0], marker=".")
        ax_s.axhline(-1 / (2 * math.pi), color=COLORS[0], ls=":", lw=1.0, label=r"$-1/(2\pi)$")
        ax_s.axhline(0.0, color="grey", lw=0.6)
        ax_s.set_ylabel("RS entropy per spin s", color=COLORS[0])
        lines = ax_b.get_legend_handles_labels()
        more = ax_s.get_legend_handles_labels()
        ax_b.legend(lines[0] + more[0], lines[1] + more[1], loc="upper center", fontsize=8)

        theory_line(ax_c, fields, t_at, label=r"$T_{AT}(h)$", color=COLORS[0])
        law = 1 - (0.75 * fields**2) ** (1 / 3)
        theory_line(ax_c, fields, law, label=r"$h^2 = (4/3)\,(1-T)^3$", color="k", ls="--")
        ax_c.set(xlabel="field h", ylabel="temperature T", title="(c) de Almeida-Thouless line", ylim=(0, 1.05))
        ax_c.text(0.9, 0.85, "RS stable", ha="center")
        ax_c.text(0.25, 0.2, "RSB", ha="center")
        ax_c.legend(loc="upper right", fontsize=8)

        shown = parisi if len(parisi) <= 5 else parisi[::2]  # a readable panel: at most 6 temperatures
        for i, r in enumerate(shown):
            q, x = r.x_of_q
            color = COLORS[i % len(COLORS)]
            ax_d.step(
                np.append(q, 1.0), np.append(x, 1.0), where="post", color=color, lw=2.0, label=f"T = {r.T:g}, Parisi"
            )
        for i, b in enumerate(b for b in breaking if b.T == 0.5):  # k-RSB steps at one temperature
            q = np.concatenate(([0.0], np.repeat(b.q, 2), [1.0]))
            x = np.concatenate(([0.0, 0.0], np.repeat(b.m, 2), [1.0, 1.0]))
            ax_d.plot(
                q, x, ls=":", lw=1.0, color=COLORS[(i + len(shown)) % len(COLORS)], label=f"T = {b.T:g}, {b.steps}RSB"
            )
        ax_d.set(
            xlabel="overlap q", ylabel="x(q)", title=f"(d) Parisi order parameter ({n_parisi} intervals) and k-RSB"
        )
        ax_d.legend(loc="upper left", fontsize=7)
        save_figure(fig, out_dir / "sk-phase-diagram.png")

    return ReproductionResult(
        figures=("sk-phase-diagram.png",),
        data=("thermodynamics.csv", "at_line.csv", "parisi.csv"),
        checks=tuple(checks),
        summary=(
            f"RS and 1RSB at {temperatures.size} temperatures, the AT line at {fields.size} fields, k-RSB ground "
            f"states for k = {', '.join(str(g.steps) for g in ground)}: "
            f"{', '.join(f'{g.energy:.7f}' for g in ground)}"
            + (f"; full RSB {full.energy:.7f}" if full is not None else "")
            + " (Crisanti & Rizzo: -0.763166); Parisi at T = "
            + ", ".join(f"{r.T:g}: f = {r.free_energy:.7f}, e = {r.energy:.5f}, q_max = {r.q_max:.3f}" for r in parisi)
            + "."
        ),
    )
