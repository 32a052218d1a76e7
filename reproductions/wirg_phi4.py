r"""`wirg-phi4`: the wavelet conditional RG of lattice phi^4 at its critical point, learned from Monte Carlo data.

Lattice :math:`\varphi^4`, :math:`E = -\beta\sum_{\langle xy\rangle}\varphi_x\varphi_y + \sum_x(\varphi_x^4 - \varphi_x^2)`
(:func:`wirg.lattice_phi4.phi4`, Metropolis + Swendsen-Wang, seeded), critical near :math:`\beta = 0.68`
(Marchand, Ozawa, Biroli & Mallat, PRX 13, 041038 (2023); Guth, Lempereur, Bruna & Mallat, ICML 2023,
§3.1 and appendix D.3; the theory page ``docs/theory/wirg.md``). Every model here is
:func:`wirg.model.fit_wirg` with ``method="score"``, the Haar wavelet, :math:`\gamma_j = 1`, radius-1 couplings
and the potential ``"polynomial:4,6"`` (:math:`t^4` and :math:`t^6` terms on the reconstructed finer field at
every scale and on the coarsest field), decomposed down to the 1 x 1 coarsest field (the mean, whose density
:func:`~wirg.model.fit_wirg` fits by exact maximum likelihood, :class:`wirg.generate.ScalarModel`: score
matching cannot weigh the two peaks of an ordered phase's mean). The finest
scale then holds the true energy exactly (with Haar, :math:`\bar E_1` of the true :math:`E_0` is a radius-1
quadratic form plus :math:`\sum_x\varphi_0(x)^4`); the :math:`t^6` term and the 1 x 1 coarsest field are for
generation: with ``"polynomial:4"`` down to 4 x 4 the coarsest model (radius 1 plus :math:`t^4` on the 4 x 4
field) came out too ordered (:math:`U_4` 0.66 against 0.60, the lowest shell of the spectrum at a quarter of
the Monte Carlo one), the per-scale conditionals being right (generation conditioned on the data's coarse
fields reproduced the spectrum within a few percent).

1. **Energy recovery** (per :math:`\beta`). ``n_refits`` independent Monte Carlo datasets of ``n_train``
   fields; on each, the fit, the free energy of every scale by the score identity
   (:func:`wirg.free_energy.free_energy_score` on ``fe_fields`` coarse fields of the data, a field ansatz of
   radius 3 at :math:`j = 1`, 1 beyond (at most the lattice allows), with :math:`t^4, t^6` terms) and the reassembled microscopic energy
   (:func:`wirg.microscopic.microscopic_energy`). Convention: :math:`K` holds every quadratic coupling and the
   on-site potential is :math:`V_0(t) + \tfrac12K(0)t^2` (``potential(t, onsite=True)``), to be compared with
   :math:`t^4 - t^2` while :math:`K(\pm e_\mu) = -\beta`. Estimates are the means over the refits, errors
   their standard errors. Checks: the nearest-neighbour coupling within 5% of :math:`\beta` (the issue's
   criterion); the largest other coupling (:math:`|\Delta|_\infty \le 2`) within :math:`0.05\beta` of 0 (the
   same scale); the on-site potential on the central 98% of the data: the largest :math:`|t|` of
   :math:`(\bar V - v)/\sigma_{\bar V}` against the two-sided Student-t bound with ``n_refits`` - 1 degrees
   of freedom at :math:`\alpha = 0.01` Bonferroni over the grid points; and, at the critical point (the first
   of ``betas``; the papers' statement, reported without a check for the controls), "only :math:`V_0`
   survives": the potentials :math:`V_j` of the coarser fields, less their quadratic part, carry under 5% of
   the energy fluctuations that :math:`V_0` carries (:func:`potential_fluctuations`, the largest over j of the
   mean over refits).
   The same study, recovery and generation (2) with their own checks, at :math:`\beta_c` on the larger
   lattices ``larger_sizes`` (L = 128 on full settings).
2. **Generation** (per :math:`\beta`). The paper's ansatz (quadratic couplings plus an on-site potential)
   generates coarse scales whose details are too kurtotic and, at L = 64, a spectrum a few percent low at mid
   wavelengths (``docs/wirg.md``). The generation model, :func:`generation_model` fitted to the first dataset,
   adds at the scales :math:`j \ge 2` the seven quartic invariants of a wavelet block
   (:mod:`wirg.block_quartic`: quartic terms among the four sites of a block) and fits those scales by
   maximum likelihood (natural-gradient moment matching, :func:`wirg.moment_matching.fit_moment_matching`,
   then ``polish`` damped Newton steps at all but the 1 x 1 top scale),
   which matches the data's moments of every feature where score matching of a misspecified ansatz does not.
   ``n_train`` fields generated from it
   (:meth:`wirg.model.WIRGModel.generate`, ``burn_in`` MALA steps per scale) against ``n_train`` held-out
   Monte Carlo fields (another seed): :func:`wirg.statistics.compare_fields` on the power spectrum, the
   marginal histogram, the energy per site, :math:`|m|`, :math:`U_4`, the wavelet variance and kurtosis per
   channel and the phase-harmonic moments, each z-score against the bound :math:`\Phi^{-1}(1 - \alpha/2T)`
   over all :math:`T` tests (and the std, one more test). Checks: the std, :math:`U_4` and the spectrum's
   largest :math:`|z|`, their standard errors those of the generated and held-out fields combined with that
   of the training fields (the model's estimation error, as in ``wirg-gaussian``); and every statistic of
   :func:`~wirg.statistics.compare_fields` within its bound, with the same training error (``training=``; the
   largest z-scores without it, which hold the model to be the true law, are reported beside).
3. **Conditioning and mixing** against L (``mixing_sizes``, :math:`\beta = 0.68`): per scale, the condition
   number of the (diagonally normalised) score-matching matrix and the conditional MALA integrated
   autocorrelation time of :math:`\bar E_j` (:meth:`~wirg.model.WIRGModel.diagnose_mixing`, chains started
   from the data's details); against them the direct problem, score matching of a radius-1 field ansatz with
   the same potential on the whole field, and :func:`wirg.lattice_phi4.phi4_mixing`'s whole-field MALA,
   local Metropolis and Metropolis + Swendsen-Wang (:math:`\tau = \max(\tau_{|m|}, \tau_E)`). Log-log slopes
   against L are reported, not checked: near :math:`\beta_c` the whole-field MALA and local Metropolis
   series are shorter than :math:`50\tau` on quick settings (:func:`~wirg.lattice_phi4.phi4_mixing` warns),
   so their :math:`\tau` are biased low and a comparison of exponents would not be an honest test.
4. **Cost.** Generation time per sample (best of 2 batches) against :math:`N = L^2` (exponent); each
   generated field is independent, so this is also the cost per independent sample, compared with the
   Monte Carlo samplers' time per sweep times :math:`2\tau` measured in the same run (ratios).

Each study of 1-2 (one beta and L) is a point of a checkpointed sweep (``studies.jsonl`` in the output folder),
run on the pool of workers, largest lattice first; the sizes of 3-4 follow one after the other in this process
(``sizes.jsonl``), so their timings are not taken beside another study. An interrupted run resumes after its last
finished point.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from matplotlib.ticker import NullFormatter, NullLocator
from scipy.stats import norm
from scipy.stats import t as student

from statlearn.plotting import COLORS, figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.reproductions.registry import Check, ReproductionResult, register
from statlearn.reproductions.wirg_common import loglog_slope
from statlearn.sweep import sweep, write_csv
from wirg.ansatz import FieldAnsatz, PolynomialPotential
from wirg.generate import MALASettings
from wirg.lattice_phi4 import phi4, phi4_energy, phi4_mixing
from wirg.microscopic import MicroscopicEnergy
from wirg.model import FreeEnergySettings, MomentSettings, WIRGModel, fit_wirg
from wirg.score_matching import fit_score_matching
from wirg.statistics import binder_cumulant, compare_fields, histogram_edges, marginal_histogram
from wirg.statistics.estimate import jackknife
from wirg.wavelets import analysis_step

WAVELET = "haar"
POTENTIAL = "polynomial:4,6"
ALPHA = 0.01
RECOVERY_TOLERANCE = 0.05
GENERATED = ("spectrum", "histogram", "energy", "magnetization", "binder", "wavelet", "phase_harmonics")
MC_SAMPLERS = ("metropolis", "cluster", "mala")
QUICK = {
    "betas": [0.68],
    "L": 32,
    "n_train": 400,
    "n_refits": 4,
    "fe_fields": 16,
    "fe_chains": 4,
    "fe_samples": 100,
    "burn_in": 1000,
    "ml_steps": 200,
    "polish": 3,
    "polish_steps": 1000,
    "larger_sizes": [],
    "mixing_sizes": [16, 32, 64],
    "mixing_train": 200,
    "mixing_steps": 400,
    "mc_steps": 10000,
    "timing_batch": 8,
    "seed": 0,
}
FULL = {
    "betas": [0.68, 0.50, 0.76],
    "L": 64,
    "n_train": 1000,
    "n_refits": 5,
    "fe_fields": 32,
    "fe_chains": 4,
    "fe_samples": 200,
    "burn_in": 2000,
    "ml_steps": 300,
    "polish": 3,
    "polish_steps": 2500,
    "larger_sizes": [128],
    "mixing_sizes": [16, 32, 64, 128],
    "mixing_train": 400,
    "mixing_steps": 1000,
    "mc_steps": 200000,
    "timing_batch": 16,
    "seed": 0,
}
#: Shifts (dx, dy) of the reported couplings, nearest neighbours first.
SHIFTS = [(1, 0), (0, 1), (1, 1), (1, -1), (2, 0), (0, 2), (2, 1), (1, 2), (2, -1), (1, -2), (2, 2), (2, -2)]


def fit_phi4(fields: np.ndarray) -> WIRGModel:
    """The model of the module docstring fitted to ``fields`` by score matching."""
    levels = int(np.log2(fields.shape[-1]))
    return fit_wirg(
        fields, levels=levels, wavelet=WAVELET, gamma=1.0, radius=1, potential=POTENTIAL, method="score", progress=False
    )


def block_scales(levels: int) -> list[int]:
    """The scales of the generation model's block quartic terms and moment matching: j = 2 .. J (at j = 1 the
    Haar conditional of the true energy is already in the ansatz, and its 32 x 32 chains would cost the most)."""
    return list(range(2, levels + 1))


def generation_model(fields: np.ndarray, settings: Mapping[str, Any], seed: int) -> WIRGModel:
    """The model that generates (module docstring, 2): :func:`fit_phi4`'s with the block quartic terms at
    :func:`block_scales`, where the potential is :math:`t^6` alone (with Haar, :math:`t^4` on the finer field is a
    combination of the block terms), fitted by score matching and then by natural-gradient moment matching
    (``ml_steps`` steps of 10 MALA steps, rate 0.2) at those scales; ``ml_steps`` = 0 keeps score matching. The
    scales whose coarse lattice is 2 x 2 or larger (all but the top one, j = J) are then polished by ``polish``
    damped Newton steps on chains of ``polish_steps`` MALA steps (:func:`wirg.moment_matching.fit_moment_matching`):
    the descent alone stops 5-24 standard errors of the time-averaged feature means short of the likelihood's
    maximum at L = 128 (``docs/wirg.md``). The 1 x 1 top conditional is left to the descent: polished, its
    relaxation check failed on the quick data."""
    levels = int(np.log2(fields.shape[-1]))
    scales = block_scales(levels)
    steps = int(settings["ml_steps"])
    polish = {
        "polish": int(settings["polish"]),
        "polish_steps": int(settings["polish_steps"]),
        "polish_scales": tuple(j for j in scales if j < levels),
    }
    return fit_wirg(
        fields,
        levels=levels,
        wavelet=WAVELET,
        gamma=1.0,
        radius=1,
        potential=[POTENTIAL] + ["polynomial:6"] * len(scales) + [POTENTIAL],
        block_quartic=scales,
        method="moments" if steps > 0 else "score",
        moments=MomentSettings(
            steps=max(steps, 1), lr_factor=0.2, mcmc_steps=10, natural=True, scales=tuple(scales), **polish
        ),
        seed=seed,
        progress=False,
    )


def reassemble(model: WIRGModel, fields: np.ndarray, settings: Mapping[str, Any], seed: int):
    """The microscopic energy of a fitted model, with score-identity free energies on the data's coarse fields."""
    radius = tuple(3 if j == 1 else 1 for j in range(1, model.levels + 1))
    free_energy = FreeEnergySettings(
        n_fields=settings["fe_fields"],
        n_chains=settings["fe_chains"],
        n_samples=settings["fe_samples"],
        radius=radius,
        potential=POTENTIAL,
    )
    model.fit_free_energies(fields[: settings["fe_fields"]], settings=free_energy, seed=seed)
    return model.microscopic_energy()


def potential_fluctuations(energy: MicroscopicEnergy, fields: np.ndarray) -> np.ndarray:
    r"""For j = 1..J, :math:`\mathrm{std}_{\rm fields}\sum_x\tilde V_j(\varphi_j(x))` over the same for j = 0, where
    :math:`\tilde V_j` is :math:`V_j` minus its least-squares quadratic :math:`a + bt + ct^2` on the values of the
    data's :math:`\varphi_j` (a quadratic term trades with the kernel K): how much of the energy's fluctuations the
    potentials beyond the microscopic one carry."""
    phi, spread = fields, []
    for j, V in enumerate(energy.potentials):
        if j > 0:
            phi = analysis_step(phi, WAVELET, energy.gamma[j - 1])[0]
        t = phi.ravel()
        values = V(t)
        basis = np.stack([np.ones_like(t), t, t**2], axis=1)
        residual = values - basis @ np.linalg.lstsq(basis, values, rcond=None)[0]
        spread.append(float(residual.reshape(phi.shape).sum(axis=(-2, -1)).std()))
    return np.array(spread[1:]) / spread[0]


def _mcmc(settings: Mapping[str, Any]) -> MALASettings:
    """``burn_in`` MALA steps at every scale (the conditionals of the small lattices mix within them)."""
    return MALASettings(burn_in=int(settings["burn_in"]), steps_exponent=0.0)


def _mc(L: int, beta: float, n: int, seed: int) -> np.ndarray:
    return phi4(L, beta, n, seed=seed).fields


def _std(fields: np.ndarray) -> tuple[float, float]:
    """Pooled standard deviation of the pixel values and its jackknife error over fields."""
    per_field = (fields.mean(axis=(-2, -1)), (fields**2).mean(axis=(-2, -1)))
    value, error = jackknife(per_field, lambda m1, m2: np.sqrt(m2 - m1**2)[..., None])
    return float(value[0]), float(error[0])


def _z_check(
    name: str, gen: tuple[float, float], ref: tuple[float, float], train: float, bound: float, note: str
) -> Check:
    """Generated against held-out, the standard errors of both and of the training fields combined."""
    stderr = float(np.sqrt(gen[1] ** 2 + ref[1] ** 2 + train**2))
    return Check(name, ref[0], gen[0], stderr, bound * stderr, note)


# -- 1-2. energy recovery and generation at one beta --------------------------------------------------------------


def study_beta(
    beta: float, L: int, settings: Mapping[str, Any], seed: int, *, critical: bool = True
) -> tuple[list[Check], dict[str, Any]]:
    """Energy recovery (:func:`recover`) and generation at one beta on the L x L lattice."""
    n = int(settings["n_train"])
    checks, data = recover(beta, L, settings, seed, critical=critical)
    fields0 = data.pop("fields0")
    held_out = _mc(L, beta, n, seed + 1000)
    generator = generation_model(fields0, settings, seed + 3000)
    generated = generator.generate(n, seed=seed + 2000, mcmc=_mcmc(settings))
    options = {"statistics": GENERATED, "alpha": ALPHA, "energy": lambda f: phi4_energy(f, beta)}
    comparison = compare_fields(generated, held_out, wavelet=WAVELET, training=fields0, **options)
    strict = compare_fields(generated, held_out, wavelet=WAVELET, **options)
    bound_z = float(norm.ppf(1.0 - ALPHA / (2 * (comparison.n_tests + 1))))
    note = (
        f"{n} generated vs {n} held-out Monte Carlo fields; standard error of both combined with that of the {n} "
        f"training fields (the model's estimation error, as in wirg-gaussian); z bound {bound_z:.2f} = Bonferroni "
        f"over all {comparison.n_tests + 1} tests of the comparison"
    )
    gen_std, ref_std, train_std = _std(generated), _std(held_out), _std(fields0)
    checks.append(relaxation_check(generator, beta, L))
    checks.append(
        _z_check(f"std of generated fields, beta = {beta}, L = {L}", gen_std, ref_std, train_std[1], bound_z, note)
    )
    binder = comparison["binder"]
    assert binder.generated is not None and binder.reference is not None
    checks.append(
        _z_check(
            f"Binder cumulant U_4 of generated fields, beta = {beta}, L = {L}",
            (float(binder.generated.value[0]), float(binder.generated.error[0])),
            (float(binder.reference.value[0]), float(binder.reference.error[0])),
            binder_cumulant(fields0).error,
            bound_z,
            note,
        )
    )
    spectrum = comparison["spectrum"]
    z = spectrum.z
    checks.append(
        Check(
            f"max |z| of the generated power spectrum over {z.size} shells, beta = {beta}, L = {L}",
            0.0,
            float(np.abs(z).max()),
            1.0,
            bound_z,
            note,
        )
    )
    failing = [stat.name for stat in comparison.statistics if not stat.passed]
    checks.append(
        Check(
            f"statistics of compare_fields beyond their Bonferroni bound, beta = {beta}, L = {L}",
            0.0,
            float(len(failing)),
            0.0,
            0.0,
            f"{len(comparison.statistics)} statistics, {comparison.n_tests} tests, bound {comparison.z_bound:.2f}; "
            f"errors of the generated, held-out and training fields (the model's estimation error); largest |z| "
            f"(or p): {comparison.summary()}"
            + (f"; failing: {', '.join(failing)}" if failing else "")
            + f"; without the training error (the model taken for the true law): {strict.summary()}",
        )
    )
    edges = histogram_edges(generated, held_out, n_bins=40)
    data |= {
        "spectra": (spectrum.generated, spectrum.reference),
        "histograms": (
            marginal_histogram(generated, edges=edges, log=True),
            marginal_histogram(held_out, edges=edges, log=True),
        ),
        "comparison": comparison,
        "std": (gen_std, ref_std),
    }
    return checks, data


def relaxation_check(model: WIRGModel, beta: float, L: int) -> Check:
    """The moment-matching fits of ``model`` that fail their relaxation check (fresh chains at the fitted couplings
    against the data's feature means, :class:`wirg.moment_matching.RelaxationCheck`): such a fit is not the maximum
    of the likelihood, whatever the generated statistics say."""
    checked = [fit for fit in model.fits if fit is not None and fit.relaxation is not None]
    failing = [fit.j for fit in checked if not fit.relaxation["passed"]]
    per_scale = ", ".join(
        f"j = {fit.j}: max|z| {fit.relaxation['max_abs_z']:.2f} (p {fit.relaxation['p_value']:.2g})" for fit in checked
    )
    return Check(
        f"moment-matching scales failing the relaxation check, beta = {beta}, L = {L}",
        0.0,
        float(len(failing)),
        0.0,
        0.0,
        f"{len(checked)} scales fitted by moment matching, each checked by {checked[0].relaxation['steps'] if checked else 0} "
        f"MALA steps of fresh chains at the fit, Bonferroni over the features at family-wise rate 1e-3: {per_scale}"
        + (f"; failing: j = {failing}" if failing else ""),
    )


def recover(
    beta: float, L: int, settings: Mapping[str, Any], seed: int, *, critical: bool = True
) -> tuple[list[Check], dict[str, Any]]:
    """Energy recovery at one beta on the L x L lattice (module docstring, 1); ``critical``: check that only
    V_0 survives (the papers' statement at the critical point), else report the potentials beyond V_0 without a
    check. The data hold the first dataset as ``fields0``."""
    n = int(settings["n_train"])
    couplings, onsite, beyond, models = [], [], [], []
    unconverged = 0
    fields0 = None
    for r in range(int(settings["n_refits"])):
        fields = _mc(L, beta, n, seed + r)
        model = fit_phi4(fields)
        energy = reassemble(model, fields, settings, seed + 100 * r)
        if r == 0:
            fields0 = fields
            lo, hi = np.quantile(fields, [0.01, 0.99])
            grid = np.linspace(lo, hi, 41)
        couplings.append([energy.coupling(dx, dy) for dx, dy in SHIFTS])
        onsite.append(energy.potential(grid, onsite=True))
        beyond.append(potential_fluctuations(energy, fields))
        unconverged += sum(not fe.converged for fe in model.free_energies or ())
        models.append(model)
    R = len(couplings)
    K, V = np.array(couplings), np.array(onsite)
    K_mean, K_err = K.mean(axis=0), K.std(axis=0, ddof=1) / np.sqrt(R)
    V_mean, V_err = V.mean(axis=0), V.std(axis=0, ddof=1) / np.sqrt(R)
    truth_K = np.array([-beta if abs(dx) + abs(dy) == 1 else 0.0 for dx, dy in SHIFTS])
    truth_V = grid**4 - grid**2
    checks = []
    nn = K_mean[:2].mean()
    nn_err = float(np.hypot(*K_err[:2]) / 2)
    checks.append(
        Check(
            f"nearest-neighbour coupling K(e_mu), beta = {beta}, L = {L}",
            -beta,
            float(nn),
            nn_err,
            RECOVERY_TOLERANCE * beta,
            f"mean of K(1,0), K(0,1) over {R} refits on independent datasets of {n} fields; tolerance the issue's 5%",
        )
    )
    other = int(np.argmax(np.abs(K_mean[2:]))) + 2
    checks.append(
        Check(
            f"largest other coupling (|dx|, |dy| <= 2), K{SHIFTS[other]}, beta = {beta}, L = {L}",
            0.0,
            float(K_mean[other]),
            float(K_err[other]),
            RECOVERY_TOLERANCE * beta,
            f"over {len(SHIFTS) - 2} shifts; tolerance 0.05 beta, the scale of the nearest-neighbour check",
        )
    )
    keep = V_err > 1e-9 * V_err.max()  # V(0) = 0 by convention: no error at (and rounding near) t = 0
    z = np.abs(V_mean - truth_V)[keep] / V_err[keep]
    i = int(np.argmax(z))
    bound = float(student.ppf(1.0 - ALPHA / (2 * keep.sum()), R - 1))
    checks.append(
        Check(
            f"on-site potential V_0 + K(0) t^2/2 vs t^4 - t^2, worst grid point t = {grid[keep][i]:.2f}, beta = {beta}, "
            f"L = {L}",
            float(truth_V[keep][i]),
            float(V_mean[keep][i]),
            float(V_err[keep][i]),
            bound * float(V_err[keep][i]),
            f"{keep.sum()} points on the central 98% of the data [{grid[0]:.2f}, {grid[-1]:.2f}]; largest |dV| "
            f"{np.abs(V_mean - truth_V).max():.3g}; tolerance the Student-t ({R - 1} dof) Bonferroni bound {bound:.3g}"
            f" x stderr",
        )
    )
    checks.append(
        Check(
            f"free-energy fits whose MALA did not adapt (acceptance outside [0.15, 0.95]), beta = {beta}, L = {L}",
            0.0,
            float(unconverged),
            0.0,
            0.0,
            f"over {R} refits x {len(models[0].scales)} scales; a fit that did not mix would bias the recovered energy",
        )
    )
    ratios = np.array(beyond)  # (R, J)
    r_mean, r_err = ratios.mean(axis=0), ratios.std(axis=0, ddof=1) / np.sqrt(R)
    worst = int(np.argmax(r_mean))
    beyond_check = Check(
        f"potentials beyond V_0: largest energy fluctuation of V_j, j = {worst + 1}, relative to V_0's, beta = {beta}, "
        f"L = {L}",
        0.0,
        float(r_mean[worst]),
        float(r_err[worst]),
        RECOVERY_TOLERANCE,
        f"std over fields of sum_x V_j(phi_j(x)) without its quadratic part (least squares in t on the data's "
        f"phi_j) over that of V_0, mean over {R} refits, j = 1..{len(r_mean)}: "
        + ", ".join(f"{m:.3g}" for m in r_mean)
        + "; tolerance 5%, the scale of the coupling checks (at beta_c only V_0 survives)",
    )
    if critical:
        checks.append(beyond_check)
    data = {
        "beta": beta,
        "L": L,
        "K": (K_mean, K_err, truth_K),
        "V": (grid, V_mean, V_err, truth_V),
        "beyond": beyond_check,
        "fields0": fields0,
    }
    return checks, data


# -- 3-4. conditioning, mixing and cost against L -----------------------------------------------------------------


def study_size(L: int, beta: float, settings: Mapping[str, Any], seed: int) -> dict[str, Any]:
    fields = _mc(L, beta, int(settings["mixing_train"]), seed)
    model = fit_phi4(fields)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = model.diagnose_mixing(fields, n_chains=8, n_steps=int(settings["mixing_steps"]), seed=seed)
        direct = fit_score_matching(FieldAnsatz(1, PolynomialPotential((4, 6))), fields)
        mc = {
            s: phi4_mixing(L, beta, int(settings["mc_steps"]), sampler=s, seed=seed + 7, n_chains=1)
            for s in MC_SAMPLERS
        }
    batch = int(settings["timing_batch"])
    mcmc = _mcmc(settings)
    times = []
    for r in range(2):
        start = time.perf_counter()
        model.generate(batch, seed=seed + r, mcmc=mcmc)
        times.append((time.perf_counter() - start) / batch)
    scales = rows[: model.levels]
    return {
        "L": L,
        "cond": [row["condition_normalised"] for row in scales],
        "tau": [row.get("tau_mean", np.nan) for row in scales],
        "cond_direct": direct.condition_normalised,
        "mc_tau": {s: max(m.tau_abs_m, m.tau_energy) for s, m in mc.items()},
        "mc_cost": {s: m.cost_per_sample for s, m in mc.items()},
        "generate": min(times),
    }


def study_point(beta: float, L: int, seed: int, critical: bool, settings: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`study_beta` as one point of a checkpointed sweep: its checks and what :func:`run` plots and tabulates,
    as JSON (rebuilt by :func:`_rebuilt`), so an interrupted full run resumes after its last finished study."""
    checks, data = study_beta(beta, L, settings, seed, critical=critical)
    comparison = data["comparison"]
    return {
        "study": {
            "beta": beta,
            "L": L,
            "checks": [dataclasses.asdict(check) for check in checks],
            "K": data["K"],
            "V": data["V"],
            "beyond": dataclasses.asdict(data["beyond"]),
            "spectra": [_series(x) for x in data["spectra"]],
            "histograms": [_series(x) for x in data["histograms"]],
            "summary": comparison.summary(),
            "z_bound": comparison.z_bound,
            "z": [[stat.name, stat.z] for stat in comparison.statistics if stat.z.size],
            "std": data["std"],
        }
    }


def size_point(L: int, beta: float, seed: int, settings: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`study_size` as one point of a checkpointed sweep."""
    return {"size": study_size(L, beta, settings, seed)}


def _series(x: Any) -> dict[str, np.ndarray]:
    return {"x": x.x, "value": x.value, "error": x.error}


def _rebuilt(study: dict[str, Any]) -> dict[str, Any]:
    """A :func:`study_point` result read back: checks as :class:`Check`, series with array attributes."""

    def series(d: dict[str, list]) -> SimpleNamespace:
        return SimpleNamespace(**{k: np.asarray(v, dtype=float) for k, v in d.items()})

    return study | {
        "checks": [Check(**c) for c in study["checks"]],
        "K": tuple(np.asarray(a, dtype=float) for a in study["K"]),
        "V": tuple(np.asarray(a, dtype=float) for a in study["V"]),
        "beyond": Check(**study["beyond"]),
        "spectra": tuple(series(d) for d in study["spectra"]),
        "histograms": tuple(series(d) for d in study["histograms"]),
        "z": [(name, np.asarray(z, dtype=float)) for name, z in study["z"]],
    }


# -- the reproduction -----------------------------------------------------------------------------------


@register(
    "wirg-phi4",
    "WIRG of critical phi^4: recovered energy, generated vs Monte Carlo statistics, conditioning, mixing, cost",
    quick=QUICK,
    full=FULL,
    cost=181,
)
def run(settings: Mapping[str, Any], out_dir: Path, executor: Any) -> ReproductionResult:
    seed = int(settings["seed"])
    rows: dict[str, list] = {k: [] for k in ("kind", "beta", "L", "j", "x", "theory", "simulation", "stderr")}

    def row(*values):
        for key, value in zip(rows, values):
            rows[key].append(value)

    beta_c = float(settings["betas"][0])
    L0 = int(settings["L"])
    runs = [(float(beta), L0, seed + 10_000 * (i + 1), i == 0) for i, beta in enumerate(settings["betas"])]
    runs += [(beta_c, int(L), seed + 7 * int(L), True) for L in settings["larger_sizes"]]
    points = [{"beta": b, "L": L, "seed": s, "critical": c, "settings": dict(settings)} for b, L, s, c in runs]
    # the largest lattices first: on a pool of workers the longest studies start at once
    order = sorted(range(len(points)), key=lambda i: -points[i]["L"])
    table = sweep(
        study_point, [points[i] for i in order], executor=executor, checkpoint=out_dir / "studies.jsonl", desc="studies"
    )
    studies: list[dict[str, Any]] = [{}] * len(points)
    for i, study in zip(order, table["study"]):
        studies[i] = _rebuilt(study)
    checks: list[Check] = [check for study in studies for check in study["checks"]]
    for data in studies:
        beta, L = data["beta"], data["L"]
        K_mean, K_err, truth_K = data["K"]
        for (dx, dy), k, e, t in zip(SHIFTS, K_mean, K_err, truth_K):
            row("coupling", beta, L, 0, f"{dx},{dy}", t, k, e)
        for t, v, e, truth in zip(*data["V"]):
            row("onsite_potential", beta, L, 0, t, truth, v, e)
        gen, ref = data["spectra"]
        for k, g, ge, r in zip(gen.x, gen.value, gen.error, ref.value):
            row("spectrum_generated", beta, L, 0, k, r, g, ge)
        gen_h, ref_h = data["histograms"]
        for x, g, ge, r in zip(gen_h.x, gen_h.value, gen_h.error, ref_h.value):
            row("log_histogram_generated", beta, L, 0, x, r, g, ge)
    larger = studies[len(settings["betas"]) :]
    # one size after the other in this process: their timings are the cost ratios, not to be measured side by side
    size_points = [
        {"L": int(L), "beta": beta_c, "seed": seed + int(L), "settings": dict(settings)}
        for L in settings["mixing_sizes"]
    ]
    sizes = list(
        sweep(size_point, size_points, executor="serial", checkpoint=out_dir / "sizes.jsonl", desc="sizes")["size"]
    )
    for s in sizes:
        for j, (c, t) in enumerate(zip(s["cond"], s["tau"]), start=1):
            row("cond_scale", beta_c, s["L"], j, s["L"], np.nan, c, np.nan)
            row("tau_scale", beta_c, s["L"], j, s["L"], np.nan, t, np.nan)
        row("cond_direct", beta_c, s["L"], 0, s["L"], np.nan, s["cond_direct"], np.nan)
        for name in MC_SAMPLERS:
            row(f"tau_{name}", beta_c, s["L"], 0, s["L"], np.nan, s["mc_tau"][name], np.nan)
            row(f"cost_{name}", beta_c, s["L"], 0, s["L"] ** 2, np.nan, s["mc_cost"][name], np.nan)
        row("cost_wirg_generate", beta_c, s["L"], 0, s["L"] ** 2, np.nan, s["generate"], np.nan)
    Ls = [s["L"] for s in sizes]
    slopes = {
        "tau_scales": loglog_slope(Ls, [np.nanmax(s["tau"]) for s in sizes]),
        "cond_scales": loglog_slope(Ls, [max(s["cond"][:-1] or s["cond"]) for s in sizes]),
        "cond_direct": loglog_slope(Ls, [s["cond_direct"] for s in sizes]),
        **{f"tau_{m}": loglog_slope(Ls, [s["mc_tau"][m] for s in sizes]) for m in MC_SAMPLERS},
        "generate_N": loglog_slope([L**2 for L in Ls], [s["generate"] for s in sizes]),
    }
    write_csv(rows, out_dir / "wirg_phi4.csv")
    _plot(out_dir / "wirg_phi4.png", studies[0], larger, sizes, slopes)

    ratios = ", ".join(
        f"L={s['L']}: Metropolis {s['mc_cost']['metropolis'] / s['generate']:.3g}, "
        f"Metropolis+SW {s['mc_cost']['cluster'] / s['generate']:.3g}, MALA {s['mc_cost']['mala'] / s['generate']:.3g}"
        for s in sizes
    )
    summary = (
        f"phi^4, Haar, radius 1, potential t^4 + t^6 per scale down to 1 x 1, score matching, {settings['n_train']} Monte Carlo fields "
        f"per dataset, {settings['n_refits']} refits. "
        + " ".join(
            f"beta = {d['beta']}, L = {d['L']}: K_nn {d['K'][0][:2].mean():.4f} +- {np.hypot(*d['K'][1][:2]) / 2:.4f} "
            f"(truth {-d['beta']}), max other |K| {np.abs(d['K'][0][2:]).max():.4f}, "
            f"max |V_0 + K(0)t^2/2 - (t^4 - t^2)| {np.abs(d['V'][1] - d['V'][3]).max():.3g}, V_j beyond V_0 at most "
            f"{d['beyond'].simulation:.3g} +- {d['beyond'].stderr:.2g} of V_0's fluctuations"
            f"{'' if d['beta'] == beta_c else ' (reported: only V_0 surviving is the statement at beta_c)'}; std "
            f"gen/MC {d['std'][0][0]:.4f}/{d['std'][1][0]:.4f}; generated vs held-out: {d['summary']} "
            f"(z bound {d['z_bound']:.2f}, training error included)."
            for d in studies
        )
        + f" Exponents vs L = {Ls}: max_j tau_j ~ L^{slopes['tau_scales']:.2f}, "
        f"whole-field MALA tau ~ L^{slopes['tau_mala']:.2f}, Metropolis ~ L^{slopes['tau_metropolis']:.2f}, "
        f"Metropolis+SW ~ L^{slopes['tau_cluster']:.2f}; cond (score matching, normalised) max over fine scales "
        f"~ L^{slopes['cond_scales']:.2f}, direct ~ L^{slopes['cond_direct']:.2f}. Generation time per sample "
        f"~ N^{slopes['generate_N']:.2f}. Cost per independent sample, Monte Carlo / WIRG: {ratios}."
    )
    return ReproductionResult(("wirg_phi4.png",), ("wirg_phi4.csv",), tuple(checks), summary)


def _plot(
    path: Path,
    study: dict[str, Any],
    larger: list[dict[str, Any]],
    sizes: list[dict[str, Any]],
    slopes: dict[str, float],
) -> None:
    with lecture_style():
        fig, axes = figure(2, 4)
        (ax_k, ax_v, ax_s, ax_h), (ax_t, ax_c, ax_g, ax_z) = axes
        beta, L = study["beta"], study["L"]
        K_mean, K_err, truth_K = study["K"]
        x = np.arange(len(SHIFTS))
        theory_line(ax_k, x, truth_K, label=r"truth ($-\beta$ on nearest neighbours)", color="0.4", marker="_")
        simulation_points(ax_k, x, K_mean, K_err, label=f"recovered $K(\\Delta)$, $L = {L}$", color=COLORS[0])
        for k, d in enumerate(larger):
            shift = 0.2 * (k + 1)
            simulation_points(
                ax_k, x + shift, d["K"][0], d["K"][1], label=f"$L = {d['L']}$", color=COLORS[3 + k], marker="s"
            )
        ax_k.set_xticks(x, [f"{dx},{dy}" for dx, dy in SHIFTS], rotation=60, fontsize=7)
        ax_k.set(xlabel=r"shift $\Delta = (dx, dy)$", ylabel=r"$K(\Delta)$", title=rf"(a) couplings, $\beta = {beta}$")
        ax_k.legend(fontsize=8)

        grid, V_mean, V_err, truth_V = study["V"]
        fine = np.linspace(grid[0], grid[-1], 200)
        theory_line(ax_v, fine, fine**4 - fine**2, label="$t^4 - t^2$", color="0.4")
        simulation_points(
            ax_v, grid, V_mean, V_err, label=rf"$V_0(t) + K(0)t^2/2$, $L = {L}$", color=COLORS[1], markersize=3
        )
        for k, d in enumerate(larger):
            simulation_points(
                ax_v, d["V"][0], d["V"][1], d["V"][2], label=f"$L = {d['L']}$", color=COLORS[3 + k], markersize=3
            )
        ax_v.set(xlabel="$t$ (central 98% of the data)", ylabel="on-site potential", title="(b) recovered $V_0$")
        ax_v.legend(fontsize=8)

        for k, d in enumerate([study] + larger):
            grey = f"{0.4 + 0.3 * k:.2f}"
            for ax, (gen, ref), mc in (
                (ax_s, d["spectra"], "Monte Carlo (held out)"),
                (ax_h, d["histograms"], "Monte Carlo"),
            ):
                ok = np.isfinite(ref.value)  # empty histogram bins have no log density
                theory_line(ax, ref.x[ok], ref.value[ok], label=f"{mc}, $L = {d['L']}$", color=grey)
                ok = np.isfinite(gen.value)
                simulation_points(
                    ax,
                    gen.x[ok],
                    gen.value[ok],
                    np.nan_to_num(gen.error[ok]),
                    label=f"WIRG generated, $L = {d['L']}$",
                    color=COLORS[2 + k],
                    markersize=3,
                )
        ax_s.set(
            xscale="log",
            yscale="log",
            xlabel="$|k|$",
            ylabel="power spectrum",
            title=f"(c) spectrum, $\\beta = {beta}$",
        )
        ax_s.xaxis.set_minor_formatter(NullFormatter())
        ax_s.legend(fontsize=7)
        ax_h.set(xlabel=r"$\varphi_x$", ylabel="log density", title="(d) marginal histogram")
        ax_h.legend(fontsize=7)

        Ls = np.array([s["L"] for s in sizes], float)
        series = [
            (np.array([np.nanmax(s["tau"]) for s in sizes]), r"max$_j\,\bar\tau_j$ (conditional MALA)", "tau_scales"),
            (np.array([s["mc_tau"]["mala"] for s in sizes]), "whole-field MALA", "tau_mala"),
            (np.array([s["mc_tau"]["metropolis"] for s in sizes]), "local Metropolis", "tau_metropolis"),
            (np.array([s["mc_tau"]["cluster"] for s in sizes]), "Metropolis + SW", "tau_cluster"),
        ]
        _log_panel(ax_t, Ls, series, slopes, "$L$", r"$\tau_{\rm int}$ (steps)", "(e) mixing")
        series = [
            (
                np.array([max(s["cond"][:-1] or s["cond"]) for s in sizes]),
                r"max$_j$ per-scale (fine scales)",
                "cond_scales",
            ),
            (np.array([s["cond_direct"] for s in sizes]), "direct, whole field", "cond_direct"),
        ]
        _log_panel(ax_c, Ls, series, slopes, "$L$", "condition number of $H$ (normalised)", "(f) conditioning")
        N = Ls**2
        series = [
            (np.array([s["generate"] for s in sizes]), "WIRG generation", "generate_N"),
            (np.array([s["mc_cost"]["mala"] for s in sizes]), "whole-field MALA", None),
            (np.array([s["mc_cost"]["metropolis"] for s in sizes]), "local Metropolis", None),
            (np.array([s["mc_cost"]["cluster"] for s in sizes]), "Metropolis + SW", None),
        ]
        _log_panel(ax_g, N, series, slopes, "$N = L^2$", "s per independent sample", "(g) cost", integer=False)

        position = 0
        for i, (name, z) in enumerate(study["z"]):
            ax_z.plot(position + np.arange(z.size), z, "o", markersize=2.5, color=COLORS[i % len(COLORS)], label=name)
            position += z.size
        for sign in (-1, 1):
            theory_line(ax_z, [0, position], [sign * study["z_bound"]] * 2, color="0.4", linestyle="--", linewidth=1.0)
        ax_z.set(
            xlabel="statistic component",
            ylabel="$z$ (generated - MC)",
            title=f"(h) all z-scores vs Bonferroni, $L = {L}$",
        )
        ax_z.legend(fontsize=6, ncol=2)
        save_figure(fig, path)


def _log_panel(ax, x, series, slopes, xlabel, ylabel, title, integer=True) -> None:
    for i, (y, label, key) in enumerate(series):
        ok = np.isfinite(y) & (y > 0)
        ax.plot(x[ok], y[ok], "o", color=COLORS[i], label=label)
        if key is not None and ok.sum() >= 2:
            a, b = np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)
            theory_line(
                ax,
                x[ok],
                np.exp(b) * x[ok] ** a,
                color=COLORS[i],
                linewidth=1.0,
                label=f"fit $\\propto$ {xlabel[1]}$^{{{a:.2f}}}$",
            )
    ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel=ylabel, title=title)
    ax.xaxis.set_minor_formatter(NullFormatter())
    if integer:
        ax.set_xticks(x, [str(int(v)) for v in x])
        ax.xaxis.set_minor_locator(NullLocator())
    ax.legend(fontsize=6)
