"""Online SGD in teacher-student committee machines: overlap ODEs and the simulation they describe.

- :mod:`statlearn.online.averages`: the Gaussian averages I2, I3, I4, J2 of the activation;
- :mod:`statlearn.online.trajectory`: the shared state (:class:`Overlaps`) and result (:class:`Trajectory`);
- :mod:`statlearn.online.ode`: the overlap ODEs (:func:`integrate`);
- :mod:`statlearn.online.fixed_points`: plateaus, asymptotic states, the perceptron's learning rates;
- :mod:`statlearn.online.simulate`: online SGD in numba, returning the same :class:`Trajectory`.
"""

from statlearn.online.averages import ACTIVATIONS, Activation, Averages, erf_averages, get_activation
from statlearn.online.fixed_points import FixedPoint, asymptotic_state, perceptron_learning_rates, plateau
from statlearn.online.ode import OverlapODE, integrate, random_overlaps
from statlearn.online.simulate import online_sgd, online_sgd_seeds
from statlearn.online.trajectory import DivergenceWarning, Overlaps, Trajectory

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Averages",
    "erf_averages",
    "get_activation",
    "DivergenceWarning",
    "Overlaps",
    "Trajectory",
    "OverlapODE",
    "integrate",
    "random_overlaps",
    "FixedPoint",
    "asymptotic_state",
    "perceptron_learning_rates",
    "plateau",
    "online_sgd",
    "online_sgd_seeds",
]
