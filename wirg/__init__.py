"""Wavelet inverse (conditional) renormalisation group (Marchand, Ozawa, Biroli & Mallat, PRX 2023).

:mod:`wirg.wavelets` is the orthogonal 2-D fast wavelet transform on periodic lattices that
splits a field into coarse fields and details, scale by scale.
"""

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
]
