"""Online SGD in teacher-student committee machines: overlap ODEs and the simulation they describe.

- the activation g and its Gaussian averages I2, I3, I4, J2: :mod:`statlearn.models.activations`
  (``"scaled-erf"`` is Saad & Solla's erf(z / sqrt 2); the bare name ``"erf"`` is refused here);
- :mod:`statlearn.online.trajectory`: the shared state (:class:`Overlaps`), result (:class:`Trajectory`)
  and checks;
- :mod:`statlearn.online.ode`: the overlap ODEs (:func:`integrate`);
- :mod:`statlearn.online.fixed_points`: plateaus, asymptotic states, the perceptron's learning rates;
- :mod:`statlearn.online.simulate`: online SGD in numba, returning the same :class:`Trajectory`;
- :mod:`statlearn.online.mixture`: one-pass SGD of a perceptron on the two-cluster Gaussian mixture (large-d
  recursion, its ODE limit, simulation), with the compiled step of :mod:`statlearn.online.descent_kernel`.
"""

from statlearn.online.fixed_points import FixedPoint, asymptotic_state, perceptron_learning_rates, plateau
from statlearn.online.mixture import (
    OnePassSimulation,
    OnePassTrajectory,
    one_pass_ode,
    one_pass_recursion,
    simulate_one_pass,
)
from statlearn.online.ode import OverlapODE, integrate, random_overlaps
from statlearn.online.simulate import online_sgd, online_sgd_seeds
from statlearn.online.trajectory import (
    DivergenceWarning,
    Overlaps,
    Trajectory,
    check_activation,
    generalization_error,
    overlap_matrix,
)

__all__ = [
    "DivergenceWarning",
    "Overlaps",
    "Trajectory",
    "check_activation",
    "generalization_error",
    "overlap_matrix",
    "OverlapODE",
    "integrate",
    "random_overlaps",
    "FixedPoint",
    "asymptotic_state",
    "perceptron_learning_rates",
    "plateau",
    "online_sgd",
    "online_sgd_seeds",
    "OnePassSimulation",
    "OnePassTrajectory",
    "one_pass_ode",
    "one_pass_recursion",
    "simulate_one_pass",
]
