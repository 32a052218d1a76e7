"""Wavelet inverse (conditional) renormalisation group (Marchand, Ozawa, Biroli & Mallat, PRX 2023).

:mod:`wirg.wavelets` is the orthogonal 2-D fast wavelet transform on periodic lattices that
splits a field into coarse fields and details, scale by scale. The training data: :mod:`wirg.fields`
(stationary Gaussian fields of a given spectrum, and shifted lognormal fields, a weak-lensing stand-in),
:mod:`wirg.lattice_phi4` (lattice phi^4 by Markov chain: local Metropolis, cluster moves, whole-field
MALA, and their autocorrelation times), :mod:`wirg.lattice_ising` (the 2-D Ising model by Metropolis and
Wolff clusters, re-exported as ``wirg.fields.ising``) with its exact results in :mod:`wirg.ising_exact`
(Onsager, Yang, Kaufman's finite torus, enumeration), :mod:`wirg.statistics` (autocorrelation times,
Binder cumulant, and the validation statistics of fields: spectrum, histograms, peaks, wavelet moments,
phase harmonics, :func:`compare_fields`) and :mod:`wirg.datasets` (fields on
disk with JSON sidecars). :mod:`wirg.gaussian` solves the Gaussian case exactly (per-scale
conditionals, couplings, free energies, condition numbers); :mod:`wirg.ansatz` is the per-scale
conditional energy (quadratic couplings plus a pluggable potential, and optionally the quartic invariants of a
wavelet block of :mod:`wirg.block_quartic`), estimated from data by
:mod:`wirg.likelihood` (exact maximum likelihood of the quadratic case, Newton's method) and
:mod:`wirg.moment_matching` (moment matching with the MALA chains of :mod:`wirg.mala` on the details
only, and the direct baseline) and :mod:`wirg.score_matching` (the closed-form score-matching fit);
:mod:`wirg.generate` samples coarse to fine from a fitted model; :mod:`wirg.model` fits the whole
model scale by scale (:func:`fit_wirg`), generates, saves and loads it.
:mod:`wirg.free_energy` estimates the free energy of each scale (score identity, thermodynamic
integration) and :mod:`wirg.microscopic` reassembles the microscopic energy from all scales.
:mod:`wirg.checks` holds the input checks shared by these modules. Theory: ``docs/theory/wirg.md``.
"""

from wirg.ansatz import (
    BumpPotential,
    CombinedPotential,
    FieldAnsatz,
    LocalAnsatz,
    PolynomialPotential,
    Potential,
    QuadraticAnsatz,
    SigmoidPotential,
    data_window,
)
from wirg.block_quartic import BLOCK_QUARTIC, block_quartic_features
from wirg.datasets import Dataset, dataset, load_dataset, save_dataset
from wirg.detail_scale import DetailScale
from wirg.fields import free_field_spectrum, gaussian_field, lattice_momenta, lognormal_field
from wirg.free_energy import (
    FreeEnergyFit,
    free_energy_exact,
    free_energy_integration,
    free_energy_score,
    gaussian_free_energy,
)
from wirg.gaussian import ConditionNumbers, GaussianWIRG, Scale, polyphase_matrix, sample_details, stencil_shifts
from wirg.generate import FieldModel, GaussianCopula, GaussianMarginal, MALASettings, ScalarModel, ScaleModel, generate
from wirg.ising_exact import (
    BETA_C,
    T_C,
    IsingEnumeration,
    ising_enumeration,
    kaufman_energy,
    kaufman_log_partition,
    onsager_energy,
    yang_magnetization,
)
from wirg.lattice_ising import IsingSamples, ising, ising_energy
from wirg.lattice_phi4 import PHI4_SAMPLERS, Phi4Mixing, Phi4Samples, phi4, phi4_energy, phi4_mala, phi4_mixing
from wirg.likelihood import (
    ConditionalGaussianLikelihood,
    ExactFit,
    LikelihoodTerms,
    fit_exact_direct,
    fit_exact_quadratic,
    fit_exact_scalar,
    local_fisher,
    scalar_grid,
)
from wirg.mala import ConditionalSamples, conditional_step, sample_conditional, stiffness_preconditioner
from wirg.microscopic import MicroscopicEnergy, ScalarPotential, microscopic_energy
from wirg.model import FreeEnergySettings, MomentSettings, ScaleFit, WIRGModel, fit_wirg
from wirg.moment_matching import FitResult, RelaxationCheck, fit_direct, fit_moment_matching
from wirg.score_matching import ScoreMatchingFit, fit_score_matching
from wirg.statistics import (
    STATISTICS,
    AutocorrelationTime,
    AutocorrelationWarning,
    BinderCumulant,
    Comparison,
    Estimate,
    HistogramTest,
    Shells,
    StatisticComparison,
    binder_cumulant,
    compare_fields,
    energy_per_site,
    histogram_edges,
    histogram_test,
    integrated_autocorrelation_time,
    magnetization,
    marginal_histogram,
    peak_counts,
    phase_harmonic_correlations,
    phase_harmonic_filters,
    power_spectrum,
    radial_shells,
    wavelet_moments,
)
from wirg.wavelets import (
    WAVELETS,
    MultiScale,
    analysis_step,
    decompose,
    filters,
    log_jacobian,
    reconstruct,
    scale_normalisation,
    synthesis_step,
)

__all__ = [
    "BLOCK_QUARTIC",
    "WAVELETS",
    "MultiScale",
    "analysis_step",
    "block_quartic_features",
    "decompose",
    "filters",
    "log_jacobian",
    "reconstruct",
    "scale_normalisation",
    "synthesis_step",
    "AutocorrelationTime",
    "AutocorrelationWarning",
    "BinderCumulant",
    "Dataset",
    "DetailScale",
    "Phi4Samples",
    "binder_cumulant",
    "dataset",
    "free_field_spectrum",
    "gaussian_field",
    "integrated_autocorrelation_time",
    "lattice_momenta",
    "load_dataset",
    "lognormal_field",
    "STATISTICS",
    "Comparison",
    "Estimate",
    "HistogramTest",
    "Shells",
    "StatisticComparison",
    "compare_fields",
    "energy_per_site",
    "histogram_edges",
    "histogram_test",
    "magnetization",
    "marginal_histogram",
    "peak_counts",
    "phase_harmonic_correlations",
    "phase_harmonic_filters",
    "power_spectrum",
    "radial_shells",
    "wavelet_moments",
    "phi4",
    "BETA_C",
    "T_C",
    "IsingEnumeration",
    "IsingSamples",
    "ising",
    "ising_energy",
    "ising_enumeration",
    "kaufman_energy",
    "kaufman_log_partition",
    "onsager_energy",
    "yang_magnetization",
    "phi4_energy",
    "PHI4_SAMPLERS",
    "Phi4Mixing",
    "phi4_mala",
    "phi4_mixing",
    "save_dataset",
    "ConditionNumbers",
    "GaussianWIRG",
    "Scale",
    "polyphase_matrix",
    "stencil_shifts",
    "sample_details",
    "FieldModel",
    "ScalarModel",
    "GaussianCopula",
    "GaussianMarginal",
    "MALASettings",
    "ScaleModel",
    "generate",
    "BumpPotential",
    "CombinedPotential",
    "FieldAnsatz",
    "LocalAnsatz",
    "PolynomialPotential",
    "Potential",
    "QuadraticAnsatz",
    "SigmoidPotential",
    "ConditionalGaussianLikelihood",
    "ConditionalSamples",
    "ExactFit",
    "FitResult",
    "RelaxationCheck",
    "LikelihoodTerms",
    "fit_direct",
    "fit_exact_direct",
    "fit_exact_quadratic",
    "fit_exact_scalar",
    "scalar_grid",
    "data_window",
    "fit_moment_matching",
    "ScoreMatchingFit",
    "fit_score_matching",
    "FreeEnergySettings",
    "MomentSettings",
    "ScaleFit",
    "WIRGModel",
    "fit_wirg",
    "local_fisher",
    "conditional_step",
    "sample_conditional",
    "stiffness_preconditioner",
    "FreeEnergyFit",
    "free_energy_exact",
    "free_energy_integration",
    "free_energy_score",
    "gaussian_free_energy",
    "MicroscopicEnergy",
    "ScalarPotential",
    "microscopic_energy",
]
