"""Machine learning and the renormalisation group.

:mod:`statlearn.rg.decimation` is the exact worked example of the RBM-RG mapping (Mehta & Schwab,
arXiv:1410.3831 (2014)): :func:`decimation_rbm`, the 1-D Ising ring decimation as an RBM.
:mod:`statlearn.rg.pca` is PCA as momentum-shell RG (Bradde & Bialek, J. Stat. Phys. 167, 462 (2017)):
:func:`pca_flow` coarse-grains data by projecting on the top-K principal components and follows the
normalised fourth moment of the coarse variables against K/N; :func:`fourier_check` measures that the
principal components of a stationary lattice field are its plane waves; :func:`gaussian_control` draws the
Gaussian data of the same size and empirical covariance, the control every flow is compared with.
:mod:`statlearn.rg.variational` measures the Mehta-Schwab experiment: the locality of receptive fields
(:func:`receptive_field_locality`, against :func:`random_field_locality`), majority-rule block spins
(:func:`block_spins`) and the correlation of hidden units with them (:func:`block_spin_correlation`).
"""

from statlearn.rg.decimation import Decimation, decimation_rbm
from statlearn.rg.pca import (
    DegenerateDataWarning,
    FourierCheck,
    PCAFlow,
    coarse_grain,
    fourier_check,
    gaussian_control,
    pca_flow,
)
from statlearn.rg.variational import (
    BlockCorrelation,
    Locality,
    block_spin_correlation,
    block_spins,
    matching_block_size,
    periodic_centre,
    random_field_locality,
    receptive_field_locality,
)

__all__ = [
    "BlockCorrelation",
    "Decimation",
    "DegenerateDataWarning",
    "FourierCheck",
    "Locality",
    "PCAFlow",
    "block_spin_correlation",
    "block_spins",
    "coarse_grain",
    "decimation_rbm",
    "fourier_check",
    "gaussian_control",
    "matching_block_size",
    "pca_flow",
    "periodic_centre",
    "random_field_locality",
    "receptive_field_locality",
]
