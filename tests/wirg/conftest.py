"""Shared reference case of the ansatz and fitting tests: the massive free field (m = 0.5) with Haar wavelets,
whose scale-1 conditional couplings have range exactly 1 (``GaussianWIRG(...).scales[0].coupling_range() == 1``),
so a radius-1 ansatz contains the truth and its truncation is exact."""

import pytest

from wirg.fields import free_field_spectrum, gaussian_field
from wirg.gaussian import GaussianWIRG
from wirg.wavelets import analysis_step


@pytest.fixture
def exact_case():
    """``exact_case(L, mass=0.5, wavelet="haar") -> (spectrum, scale 1 of its exact GaussianWIRG)``."""

    def make(L, mass=0.5, wavelet="haar"):
        spectrum = free_field_spectrum(L, mass)
        return spectrum, GaussianWIRG(spectrum, wavelet=wavelet).scales[0]

    return make


@pytest.fixture
def pairs():
    """``pairs(spectrum, L, n_samples, seed, wavelet="haar") -> (phi_1, psibar_1)`` of exact fields."""

    def make(spectrum, L, n_samples, seed, wavelet="haar"):
        return analysis_step(gaussian_field(spectrum, L, n_samples, seed=seed), wavelet)

    return make
