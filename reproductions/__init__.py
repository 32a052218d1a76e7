"""Lecture and paper figures, one module each; importing this package registers them all."""

from reproductions.registry import REGISTRY, Check, Reproduction, ReproductionResult, get, names, register

__all__ = ["REGISTRY", "Check", "Reproduction", "ReproductionResult", "get", "names", "register"]

from reproductions import capacity  # noqa: E402,F401  (registers itself)
from reproductions import binary_capacity  # noqa: E402,F401
from reproductions import amp_state_evolution, bayes_perceptron  # noqa: E402,F401
from reproductions import computational_gap  # noqa: E402,F401
from reproductions import committee_plateau, online_perceptron, overparametrisation  # noqa: E402,F401
from reproductions import double_descent_classification, double_descent_regression  # noqa: E402,F401
from reproductions import loss_comparison, structured_data  # noqa: E402,F401
from reproductions import wirg_gaussian  # noqa: E402,F401
