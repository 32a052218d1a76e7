"""Dynamical mean-field theory of gradient descent, SGD and persistent SGD on the Gaussian mixture.

- :mod:`statlearn.dmft.solver`: :func:`solve`, the causal population scheme, returning a
  :class:`DMFTTrajectory`;
- :mod:`statlearn.dmft.kernels`: its compiled steps;
- :mod:`statlearn.dmft.square`: :func:`square_gd`, square-loss gradient descent in closed form;
- :mod:`statlearn.dmft.first_step`: :func:`first_step`, one step of any loss in closed form.
"""

from statlearn.dmft.first_step import first_step
from statlearn.dmft.solver import DMFTProblem, DMFTTrajectory, memory_bytes, solve
from statlearn.dmft.square import square_gd

__all__ = ["DMFTProblem", "DMFTTrajectory", "first_step", "memory_bytes", "solve", "square_gd"]
