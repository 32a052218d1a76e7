r"""The first step of the DMFT in closed form, for any loss and batch fraction.

At :math:`k = 0` the field of a sample with label :math:`c` is Gaussian,
:math:`h^0 = m_0h_0 + \sqrt\Delta\phi^0 \sim N(m_0c,\ \Delta q_0)`, there is no memory yet and the selection
is independent of everything else, so with :math:`\langle\cdot\rangle_c` the average over :math:`h^0` given
:math:`c` (and Stein's lemma for :math:`\mathbb E[u\,\ell'] = m_0\sqrt\Delta\,\mathbb E\ell''`):

.. math::
    \mu_0 = \alpha b\,\mathbb E_c\big[c\langle\ell'\rangle_c + m_0\Delta\langle\ell''\rangle_c\big],\quad
    K_{00} = \alpha b\,\mathbb E_c\langle\ell''\rangle_c,\quad
    M_C(0, 0) = \alpha b\,\mathbb E_c\langle\ell'^2\rangle_c,

    m_1 = m_0 - \eta(\lambda m_0 + \mu_0),\qquad
    q_1 = m_1^2 + (q_0 - m_0^2)\big(1 - \eta(\lambda + \Delta K_{00})\big)^2 + \eta^2\Delta\,M_C(0, 0).

For the square loss at :math:`m_0 = 0` this is :math:`m_1 = \eta\alpha b` and
:math:`q_1 = (\eta\alpha b)^2 + q_0(1 - \eta\lambda - \eta\Delta\alpha b)^2 + \eta^2\Delta\alpha b(\Delta q_0 + 1)`.
The one-dimensional averages are Gauss-Hermite quadratures, with the sinh-mapped rule of
:func:`statlearn.numerics.gaussian.gaussian_expectation` at the smoothed hinge's corner.
"""

from __future__ import annotations

import math

import numpy as np

from statlearn.dmft.solver import check_problem
from statlearn.models.loss_kernels import loss_terms
from statlearn.models.losses import Loss
from statlearn.numerics.gaussian import gaussian_expectation

__all__ = ["first_step"]


def first_step(
    loss: str | Loss,
    *,
    alpha: float,
    delta: float,
    lam: float,
    eta: float,
    batch_fraction: float = 1.0,
    rho: float = 0.5,
    m0: float = 0.0,
    q0: float = 1.0,
    smoothing: float = 0.05,
) -> tuple[float, float]:
    r""":math:`(m_1, q_1)` after one step of (S)GD from :math:`(m_0, q_0)` (module docstring); parameters as
    for :func:`statlearn.dmft.solve`."""
    p = check_problem(loss, alpha, delta, lam, eta, 1, batch_fraction, None, rho, m0, q0, smoothing)
    spread = math.sqrt(p.delta * p.q0)
    terms = np.vectorize(lambda c, h, which: loss_terms(p.kind, c, h, p.smoothing)[which], otypes=[float])
    averages = np.zeros(3)  # E c l', E l'', E l'^2 over c
    for c, weight in ((1.0, p.rho), (-1.0, 1.0 - p.rho)):
        kinks = [((c - p.m0 * c) / spread, p.smoothing / spread)] if p.loss == "hinge" else None
        first, second, square = (
            float(gaussian_expectation(lambda z, f=f: f(p.m0 * c + spread * z), kinks=kinks))
            for f in (
                lambda h: terms(c, h, 1),
                lambda h: terms(c, h, 2),
                lambda h: terms(c, h, 1) ** 2,
            )
        )
        averages += weight * np.array([c * first + p.m0 * p.delta * second, second, square])
    scale = p.alpha * p.batch_fraction
    drift, friction, noise = scale * averages
    m1 = p.m0 - p.eta * (p.lam * p.m0 + drift)
    q1 = m1**2 + (p.q0 - p.m0**2) * (1.0 - p.eta * (p.lam + p.delta * friction)) ** 2 + p.eta**2 * p.delta * noise
    return m1, q1
