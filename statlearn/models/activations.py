r"""Gaussian-equivalence coefficients of a random-features activation.

For random features v = sigma(F x / sqrt(D)) with i.i.d. Gaussian F and inputs x, the learning
curves of ERM in the proportional limit are those of the Gaussian-equivalent model (Mei &
Montanari 2019; Goldt et al. 2020; Gerace et al. ICML 2020; Hu & Lu 2020)

.. math:: v = \mu_0 \mathbf 1 + \mu_1 F x / \sqrt D + \mu_\star \xi, \qquad \xi \sim N(0, I),

with, for z ~ N(0, 1),

.. math:: \mu_0 = E\,\sigma(z), \quad \mu_1 = E\, z\,\sigma(z), \quad
          \mu_\star^2 = E\,\sigma(z)^2 - \mu_0^2 - \mu_1^2 .

The expectations are Gauss quadratures on each half line, z < 0 and z > 0 (half-range Hermite
and Legendre rules of :func:`statlearn.numerics.gaussian_expectation`), so activations with a
kink or a jump at 0 (ReLU, sign, absolute value) are integrated as accurately as smooth ones.
Kinks elsewhere converge more slowly; a user's activation with them should be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import erf

from statlearn.numerics.gaussian import gaussian_expectation

__all__ = ["ACTIVATION_FUNCTIONS", "GaussianEquivalence", "gaussian_equivalence", "get_activation_function"]


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


#: Named activations: ``"erf"`` is erf(z) (not erf(z / sqrt 2)), ``"sign"`` is sign(z).
ACTIVATION_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": _relu,
    "erf": erf,
    "tanh": np.tanh,
    "sign": np.sign,
}


class GaussianEquivalence(NamedTuple):
    """(mu0, mu1, mu_star) of an activation; unpacks as a tuple."""

    mu0: float
    mu1: float
    mu_star: float


def get_activation_function(activation: str | Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """The function called ``activation`` in :data:`ACTIVATION_FUNCTIONS`, or ``activation`` if callable."""
    if isinstance(activation, str):
        try:
            return ACTIVATION_FUNCTIONS[activation]
        except KeyError:
            raise ValueError(
                f"unknown activation {activation!r}; known activations: "
                f"{', '.join(ACTIVATION_FUNCTIONS)} (or pass a vectorised callable)"
            ) from None
    if not callable(activation):
        raise TypeError(f"activation must be a name or a callable, got {type(activation).__name__}")
    return activation


def gaussian_equivalence(activation: str | Callable[[np.ndarray], np.ndarray]) -> GaussianEquivalence:
    r"""The Gaussian-equivalence coefficients (mu0, mu1, mu_star) of ``activation`` (module docstring).

    Parameters
    ----------
    activation
        ``"relu"``, ``"erf"`` (erf(z)), ``"tanh"``, ``"sign"``, or a vectorised callable
        sigma(z) -> array of the same shape.

    Returns
    -------
    GaussianEquivalence
        ``mu0 = E sigma(z)``, ``mu1 = E z sigma(z)``, ``mu_star = sqrt(E sigma^2 - mu0^2 - mu1^2)``.

    Raises
    ------
    TypeError
        ``activation`` is neither a known name nor a callable, or does not return an array of the
        shape of its argument.
    ValueError
        Unknown name, or non-finite values of sigma on the quadrature nodes.
    """
    sigma = get_activation_function(activation)

    def moments(z: np.ndarray) -> np.ndarray:
        s = np.asarray(sigma(z), dtype=float)
        if s.shape != z.shape:
            raise TypeError(
                f"activation must be vectorised: sigma(z) returned shape {s.shape} for z of shape {z.shape}"
            )
        if not np.all(np.isfinite(s)):
            raise ValueError("activation returned non-finite values on the quadrature nodes")
        return np.stack([s, z * s, s * s])

    def on_both_half_lines(z: np.ndarray) -> np.ndarray:
        return moments(z) + moments(-z)

    mu0, mu1, second = _half_line_moments(on_both_half_lines)
    variance = second - mu0**2 - mu1**2
    scale = max(1.0, abs(second))
    if variance < -1e-12 * scale:
        raise ValueError(f"E sigma^2 - mu0^2 - mu1^2 = {variance:.3g} < 0: the quadrature failed for this activation")
    return GaussianEquivalence(mu0, mu1, float(np.sqrt(max(variance, 0.0))))


def _half_line_moments(integrand: Callable[[np.ndarray], np.ndarray]) -> tuple[float, float, float]:
    # gaussian_expectation broadcasts over parameters, not over outputs: integrate each moment.
    return tuple(float(gaussian_expectation(lambda z, k=k: integrand(z)[k], lower=0.0)) for k in range(3))
