r"""Soft thresholding, the proximal operator of the :math:`\ell_1` norm, and its Gaussian risk.

The soft-thresholding function

.. math::
    \eta(x;\theta) = \operatorname{sign}(x)\,(|x| - \theta)_+
    = \operatorname*{argmin}_u \Big[\tfrac12 (u - x)^2 + \theta |u|\Big]

is the scalar proximal operator of :math:`\theta|\cdot|`; its derivative is :math:`\eta'(x;\theta) = 1`
for :math:`|x| > \theta` and 0 otherwise. Every LASSO algorithm of the package (AMP, ISTA, FISTA) applies
it componentwise, and the state evolution of AMP needs its risk in Gaussian noise (Donoho & Johnstone,
Biometrika 81, 425 (1994)): for a fixed signal :math:`\mu`, unit noise and threshold :math:`\tau`,

.. math::
    r(\mu;\tau) = \mathbb E_z\big[(\eta(\mu + z;\tau) - \mu)^2\big]
    = 1 + \tau^2 + (\mu^2 - \tau^2 - 1)\,[\Phi(\tau-\mu) - \Phi(-\tau-\mu)]
      - (\tau-\mu)\,\varphi(\tau+\mu) - (\tau+\mu)\,\varphi(\tau-\mu),

(integrate the three pieces :math:`z < -\tau-\mu`, :math:`|\mu + z| \le \tau`, :math:`z > \tau - \mu` by
parts). At :math:`\mu = 0` it is :math:`r(0;\tau) = 2M(\tau)`, :math:`M(\tau) = (1+\tau^2)\Phi(-\tau) -
\tau\varphi(\tau)`, and for :math:`|\mu|\to\infty` it increases to :math:`1 + \tau^2`, the least-favourable
value that fixes the :math:`\ell_1` phase transition (Donoho, Maleki & Montanari, PNAS 106, 18914 (2009)).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from statlearn.numerics.special import as_elementwise, gaussian_pdf

__all__ = ["soft_threshold", "soft_threshold_risk", "zero_signal_risk"]


def soft_threshold(x: ArrayLike, theta: ArrayLike) -> np.ndarray | float:
    r""":math:`\eta(x;\theta) = \operatorname{sign}(x)(|x| - \theta)_+`, elementwise (the prox of
    :math:`\theta|\cdot|`; ``theta`` >= 0 is assumed, NaN gives NaN)."""
    x = as_elementwise("x", x)
    theta = as_elementwise("theta", theta)
    return (np.sign(x) * np.maximum(np.abs(x) - theta, 0.0))[()]


def zero_signal_risk(tau: ArrayLike) -> np.ndarray | float:
    r""":math:`M(\tau) = (1+\tau^2)\Phi(-\tau) - \tau\varphi(\tau) = \mathbb E_z[\eta(z;\tau)^2]/2`, elementwise."""
    tau = as_elementwise("tau", tau)
    return ((1.0 + tau * tau) * special.ndtr(-tau) - tau * gaussian_pdf(tau))[()]


def soft_threshold_risk(mu: ArrayLike, tau: ArrayLike) -> np.ndarray | float:
    r""":math:`r(\mu;\tau) = \mathbb E_z[(\eta(\mu+z;\tau) - \mu)^2]`, :math:`z\sim N(0,1)`, in closed form
    (module docstring), elementwise over the broadcast of ``mu`` and ``tau``."""
    mu = as_elementwise("mu", mu)
    tau = as_elementwise("tau", tau)
    inside = special.ndtr(tau - mu) - special.ndtr(-tau - mu)
    pdf_plus = gaussian_pdf(tau + mu)
    pdf_minus = gaussian_pdf(tau - mu)
    return (1.0 + tau * tau + (mu * mu - tau * tau - 1.0) * inside - (tau - mu) * pdf_plus - (tau + mu) * pdf_minus)[()]
