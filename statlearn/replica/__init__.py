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
from statlearn.replica.erm import BoundaryWarning, ERMState, learning_curve, optimal_lambda, saddle_point
from statlearn.replica.glm import GLMState, Thresholds, bayes_optimal, fixed_point_curve, state_evolution, thresholds
from statlearn.replica.ridge import (
    RandomFeaturesRisk,
    RidgeRisk,
    marchenko_pastur_stieltjes,
    random_features_ridge,
    ridge_isotropic,
)

__all__ = [
    "BoundaryWarning",
    "ERMState",
    "RidgeRisk",
    "RandomFeaturesRisk",
    "learning_curve",
    "marchenko_pastur_stieltjes",
    "optimal_lambda",
    "random_features_ridge",
    "ridge_isotropic",
    "saddle_point",
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
