"""Finite-N simulations that check the theories: perceptron capacity (spherical and binary), ERM training,
ERM on the data models of the Gaussian covariate model, (S)GD dynamics on the Gaussian mixture."""

from statlearn.experiments.capacity import CapacityCounts, binary_capacity_counts, spherical_capacity_counts
from statlearn.experiments.covariates import ERMSimulation, Instance, realise, simulate
from statlearn.experiments.enumeration import MAX_ENUMERATION_N, binary_max_margin, count_binary_solutions
from statlearn.experiments.erm import ERMFit, train
from statlearn.experiments.finite_size import Crossing, Extrapolation, crossing_point, extrapolate_to_infinite_N
from statlearn.experiments.mixture import MixtureSimulation, sample_mixture, simulate_mixture
from statlearn.experiments.mixture_dynamics import (
    DynamicsInstance,
    DynamicsSimulation,
    dynamics_instance,
    selection_masks,
    simulate_dynamics,
)
from statlearn.experiments.separability import MaxMargin, spherical_max_margin

__all__ = [
    "ERMFit",
    "train",
    "ERMSimulation",
    "Instance",
    "realise",
    "simulate",
    "MAX_ENUMERATION_N",
    "CapacityCounts",
    "Crossing",
    "Extrapolation",
    "MaxMargin",
    "MixtureSimulation",
    "DynamicsInstance",
    "DynamicsSimulation",
    "dynamics_instance",
    "selection_masks",
    "simulate_dynamics",
    "binary_capacity_counts",
    "binary_max_margin",
    "count_binary_solutions",
    "crossing_point",
    "extrapolate_to_infinite_N",
    "sample_mixture",
    "simulate_mixture",
    "spherical_capacity_counts",
    "spherical_max_margin",
]
