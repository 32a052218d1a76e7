"""Lecture and paper figures, one module each; importing this package registers them all."""

from reproductions.registry import REGISTRY, Check, Reproduction, ReproductionResult, get, names, register

__all__ = ["REGISTRY", "Check", "Reproduction", "ReproductionResult", "get", "names", "register"]

from reproductions import (  # noqa: F401  (each module registers itself)
    amp_state_evolution,
    bayes_perceptron,
    binary_capacity,
    capacity,
    committee_plateau,
    computational_gap,
    double_descent_classification,
    double_descent_regression,
    loss_comparison,
    online_perceptron,
    overparametrisation,
    structured_data,
    wirg_gaussian,
)
