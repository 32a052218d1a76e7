"""statlearn: the statistical mechanics of learning, as a toolkit.

Subpackages:

- :mod:`statlearn.numerics`: Gaussian quadrature, stable special functions, fixed points, roots,
  the result protocol and seeding shared by every solver;
- :mod:`statlearn.models`: priors and channels, losses, activations, covariate models and
  teacher-student data, the scalar pieces every theory averages;
- :mod:`statlearn.replica`: saddle-point theories (perceptron capacity, Bayes-optimal generalised
  linear models, empirical risk minimisation);
- :mod:`statlearn.amp`: GAMP on the same priors and channels;
- :mod:`statlearn.online`: the overlap ODEs of online SGD and its simulation;
- :mod:`statlearn.experiments`: finite-size simulations that check the theories;
- :mod:`statlearn.sweep`: parameter sweeps with checkpoints.

The models, their equations and their references are on the theory pages of the documentation
(``docs/theory/``); the companion package :mod:`wirg` is the wavelet conditional renormalisation group.
``__version__`` is the one definition of the package's version (the packaging reads it).
"""

__version__ = "0.1.0"
