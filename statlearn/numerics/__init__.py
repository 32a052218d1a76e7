"""Numerical core: Gaussian quadrature, stable tail functions, fixed points, bracketed roots."""

from statlearn.numerics.fixedpoint import ConvergenceWarning, FixedPointResult, continuation, fixed_point
from statlearn.numerics.gaussian import (
    DEFAULT_ORDER,
    bivariate_gaussian_expectation,
    crossover_width,
    gaussian_expectation,
    half_hermite_rule,
    hermite_rule,
)
from statlearn.numerics.result import SolverResult, freeze_arrays, stop_message
from statlearn.numerics.roots import RootResult, bracket_root
from statlearn.numerics.seeding import SEED_LIMIT, as_generator, check_seed
from statlearn.numerics.special import (
    H,
    arccos_kernel,
    gaussian_hazard,
    gaussian_hazard_gap,
    gaussian_pdf,
    log2cosh,
    log_gaussian_pdf,
    log_H,
)
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar, brief

__all__ = [
    "DEFAULT_ORDER",
    "ConvergenceWarning",
    "FixedPointResult",
    "H",
    "SEED_LIMIT",
    "RootResult",
    "SolverResult",
    "arccos_kernel",
    "as_count",
    "as_generator",
    "as_real_scalar",
    "as_real_array",
    "bivariate_gaussian_expectation",
    "crossover_width",
    "bracket_root",
    "brief",
    "check_seed",
    "continuation",
    "fixed_point",
    "freeze_arrays",
    "gaussian_expectation",
    "gaussian_hazard",
    "gaussian_hazard_gap",
    "gaussian_pdf",
    "half_hermite_rule",
    "hermite_rule",
    "log2cosh",
    "log_H",
    "log_gaussian_pdf",
    "stop_message",
]
