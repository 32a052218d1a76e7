"""Wavelet inverse (conditional) renormalisation group (Marchand, Ozawa, Biroli & Mallat, PRX 2023).

:mod:`wirg.wavelets` is the orthogonal 2-D fast wavelet transform on periodic lattices that
splits a field into coarse fields and details, scale by scale; :mod:`wirg.fields` samples the
training data (Gaussian fields of a given spectrum, lattice phi^4); :mod:`wirg.gaussian` solves the
Gaussian case exactly (per-scale conditionals, couplings, free energies, condition numbers);
:mod:`wirg.ansatz` is the per-scale conditional energy (quadratic couplings plus a pluggable
potential) and :mod:`wirg.fit` estimates it from data: the exact maximum-likelihood solve of the
quadratic case, and moment matching with MALA on the details only (and the direct baseline);
:mod:`wirg.generate` samples coarse to fine from a fitted model.
"""

from wirg.ansatz import LocalAnsatz, PolynomialPotential, Potential, QuadraticAnsatz
from wirg.fields import (
    AutocorrelationTime,
    AutocorrelationWarning,
    BinderCumulant,
    Dataset,
    Phi4Samples,
    binder_cumulant,
    dataset,
    free_field_spectrum,
    gaussian_field,
    integrated_autocorrelation_time,
    lattice_momenta,
    load_dataset,
    phi4,
    phi4_energy,
    save_dataset,
)
from wirg.fit import (
    ConditionalGaussianLikelihood,
    ConditionalSamples,
    ExactFit,
    FitResult,
    LikelihoodTerms,
    fit_direct,
    fit_exact_direct,
    fit_exact_quadratic,
    fit_moment_matching,
    local_fisher,
    sample_conditional,
)
from wirg.gaussian import ConditionNumbers, GaussianWIRG, Scale, polyphase_matrix, sample_details, stencil_shifts
from wirg.generate import GaussianMarginal, MALASettings, ScaleModel, generate
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
    "WAVELETS",
    "MultiScale",
    "analysis_step",
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
    "Phi4Samples",
    "binder_cumulant",
    "dataset",
    "free_field_spectrum",
    "gaussian_field",
    "integrated_autocorrelation_time",
    "lattice_momenta",
    "load_dataset",
    "phi4",
    "phi4_energy",
    "save_dataset",
    "ConditionNumbers",
    "GaussianWIRG",
    "Scale",
    "polyphase_matrix",
    "stencil_shifts",
    "sample_details",
    "GaussianMarginal",
    "MALASettings",
    "ScaleModel",
    "generate",
    "LocalAnsatz",
    "PolynomialPotential",
    "Potential",
    "QuadraticAnsatz",
    "ConditionalGaussianLikelihood",
    "ConditionalSamples",
    "ExactFit",
    "FitResult",
    "LikelihoodTerms",
    "fit_direct",
    "fit_exact_direct",
    "fit_exact_quadratic",
    "fit_moment_matching",
    "local_fisher",
    "sample_conditional",
]
