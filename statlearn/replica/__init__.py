"""Replica saddle-point theories."""

from statlearn.replica.capacity import (
    BinaryPerceptronState,
    GardnerState,
    ReplicaSymmetryWarning,
    binary_annealed_capacity,
    binary_capacity,
    binary_entropy,
    binary_overlap,
    binary_rs_divergence,
    cover_probability,
    gardner_capacity,
    gardner_free_entropy,
    gardner_overlap,
)
from statlearn.replica.erm import RidgeRisk, marchenko_pastur_stieltjes, ridge_isotropic
from statlearn.replica.glm import GLMState, Thresholds, bayes_optimal, fixed_point_curve, state_evolution, thresholds

__all__ = [
    "RidgeRisk",
    "marchenko_pastur_stieltjes",
    "ridge_isotropic",
    "GLMState",
    "Thresholds",
    "bayes_optimal",
    "fixed_point_curve",
    "state_evolution",
    "thresholds",
    "BinaryPerceptronState",
    "GardnerState",
    "ReplicaSymmetryWarning",
    "binary_annealed_capacity",
    "binary_capacity",
    "binary_entropy",
    "binary_overlap",
    "binary_rs_divergence",
    "cover_probability",
    "gardner_capacity",
    "gardner_free_entropy",
    "gardner_overlap",
]
