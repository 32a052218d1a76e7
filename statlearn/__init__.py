"""statlearn: the statistical mechanics of learning, as a toolkit.

Subpackages: :mod:`statlearn.numerics` (Gaussian quadrature, stable special functions, fixed
points, roots), :mod:`statlearn.replica` (saddle-point theories), :mod:`statlearn.experiments`
(finite-N simulations that check them), :mod:`statlearn.sweep` (parameter sweeps).
"""

__version__ = "0.1.0"
