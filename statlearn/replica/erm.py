r"""Empirical risk minimisation in high dimensions: closed-form learning curves.

Ridge regression on isotropic Gaussian data (Hastie, Montanari, Rosset & Tibshirani, "Surprises in
high-dimensional ridgeless least squares interpolation", Ann. Statist. 2022, arXiv:1903.08560;
Dobriban & Wager, Ann. Statist. 2018). Data: n samples y = x . beta + eps with x ~ N(0, I_p),
|beta|^2 = snr (the signal r^2), eps ~ N(0, noise); estimator

.. math:: \hat\beta_\lambda = (X^T X / n + \lambda I)^{-1} X^T y / n .

As n, p -> infinity with gamma = p / n fixed, the excess prediction risk
:math:`E_x (x\cdot(\hat\beta - \beta))^2 = |\hat\beta - \beta|^2` tends to (Hastie et al., Theorem 5)

.. math:: R(\lambda) = \underbrace{r^2 \lambda^2 m'(-\lambda)}_{\text{bias}}
          + \underbrace{\sigma^2 \gamma\,[m(-\lambda) - \lambda m'(-\lambda)]}_{\text{variance}},

with m the Stieltjes transform of the Marchenko-Pastur law of ratio gamma, the positive root of
:math:`m = 1 / (1 - \gamma + \lambda + \gamma\lambda m)` at z = -lambda, and
:math:`m' = m^2 (1 + \gamma m) / (1 + \gamma \lambda m^2)`. The ridgeless limit lambda -> 0+ is
(Theorems 1-2) :math:`\sigma^2\gamma/(1-\gamma)` for gamma < 1 and
:math:`r^2 (1 - 1/\gamma) + \sigma^2/(\gamma - 1)` for gamma > 1 (infinite at gamma = 1, the
interpolation peak); the optimal ridge is :math:`\lambda^\star = \gamma\sigma^2 / r^2`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.validation import as_real_array

__all__ = ["RidgeRisk", "ridge_isotropic", "marchenko_pastur_stieltjes"]


class RidgeRisk(NamedTuple):
    """Asymptotic excess risk of ridge regression and its bias and variance parts (arrays)."""

    risk: np.ndarray | float
    bias: np.ndarray | float
    variance: np.ndarray | float


def marchenko_pastur_stieltjes(gamma: ArrayLike, lam: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(m(-lam), m'(-lam)) of the Marchenko-Pastur law of ratio gamma = p/n, for lam > 0.

    m = 2 / (1 - gamma + lam + sqrt((1 - gamma + lam)^2 + 4 gamma lam)), the root of
    gamma lam m^2 + (1 - gamma + lam) m - 1 = 0 written without cancellation.
    """
    gamma, lam = np.broadcast_arrays(np.asarray(gamma, dtype=float), np.asarray(lam, dtype=float))
    b = 1.0 - gamma + lam
    root = np.sqrt(b * b + 4.0 * gamma * lam)
    # For b < 0 (gamma > 1 + lam) the sum b + root cancels: use m = (root - b) / (2 gamma lam) there.
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(b >= 0, 2.0 / (b + root), (root - b) / (2.0 * gamma * lam))
    dm = m * m * (1.0 + gamma * m) / (1.0 + gamma * lam * m * m)
    return m, dm


def ridge_isotropic(gamma: ArrayLike, lam: ArrayLike, snr: float, noise: float) -> RidgeRisk:
    """Asymptotic excess risk of ridge regression on isotropic Gaussian data (module docstring).

    Parameters
    ----------
    gamma
        p / n > 0 (features per sample), array.
    lam
        Ridge penalty >= 0, array broadcast with ``gamma``; 0 is the ridgeless (min-norm) limit.
    snr
        r^2 = |beta|^2 >= 0, the signal strength.
    noise
        sigma^2 >= 0, the label-noise variance.

    Returns
    -------
    RidgeRisk
        ``risk = bias + variance``, each with the broadcast shape; ``inf`` at gamma = 1, lam = 0
        when noise > 0.
    """
    gamma = as_real_array("gamma", gamma, minimum=0.0, strict_minimum=True)
    lam = as_real_array("lam", lam, minimum=0.0)
    snr = float(as_real_array("snr", snr, minimum=0.0))
    noise = float(as_real_array("noise", noise, minimum=0.0))
    gamma, lam = np.broadcast_arrays(gamma, lam)
    positive = lam > 0
    m, dm = marchenko_pastur_stieltjes(gamma, np.where(positive, lam, 1.0))
    bias = np.where(positive, snr * lam**2 * dm, np.where(gamma > 1, snr * (1.0 - 1.0 / gamma), 0.0))
    with np.errstate(divide="ignore"):
        ridgeless_variance = noise * np.where(gamma < 1, gamma / np.abs(1.0 - gamma), 1.0 / np.abs(gamma - 1.0))
    variance = np.where(positive, noise * gamma * (m - lam * dm), ridgeless_variance)
    return RidgeRisk((bias + variance)[()], bias[()], variance[()])
