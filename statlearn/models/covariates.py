r"""Data models of the Gaussian covariate model (GCM): what the teacher sees, what the student sees.

A teacher :math:`\theta\in\mathbb R^d` labels an input through its local field
:math:`\nu = \theta\cdot u/\sqrt d`; a student :math:`w\in\mathbb R^p` sees features :math:`v` and
predicts from :math:`\lambda = w\cdot v/\sqrt p`. In the GCM (Loureiro, Gerbelot, Cui, Goldt,
Krzakala, Mézard & Zdeborová, NeurIPS 2021) :math:`(u, v)` are jointly Gaussian with covariances
:math:`\Psi` (teacher), :math:`\Omega` (student), :math:`\Phi` (cross). The replica formula needs
these matrices only through the spectral measure of :math:`\Omega` weighted two ways; with
:math:`\Omega = \sum_k \omega_k e_k e_k^\top` and :math:`b = \sqrt{p/d}\,\Phi^\top\theta`,

.. math::
    \frac1p\sum_k g(\omega_k) \to \sum_k \pi_k\, g(\omega_k), \qquad
    \frac1p\sum_k (e_k\cdot b)^2 g(\omega_k) \to \sum_k \pi_k\, \tau_k\, g(\omega_k), \qquad
    \rho = \frac{\theta^\top\Psi\theta}{d},

so that the overlaps of the student with itself and with the teacher are
:math:`q = w^\top\Omega w/p = \mathbb E\lambda^2`, :math:`m = \theta^\top\Phi w/\sqrt{pd} =
\mathbb E\nu\lambda`, and :math:`\rho = \mathbb E\nu^2`. A :class:`Spectrum` holds the nodes
:math:`\omega_k \ge 0`, masses :math:`\pi_k` (summing to 1) and teacher weights
:math:`\tau_k \ge 0` (a quadrature of the measure when it is continuous).

Models (each gives its :class:`Spectrum`; the simulations in :mod:`statlearn.experiments.covariates`
draw finite instances of the same models):

* :class:`GivenSpectrum`: any spectrum, e.g. of the covariances of a real dataset
  (:meth:`Spectrum.from_covariances`); alpha = n/p.
* :class:`BlockCovariates`: :math:`u = v = x`, :math:`x \sim N(0, \Sigma)` with :math:`\Sigma`
  block diagonal: a fraction :math:`\phi_b` of the coordinates has variance :math:`s_b`, and the
  teacher's weights on that block have second moment :math:`t_b`. Then :math:`\omega = s_b`,
  :math:`\tau = s_b^2 t_b`, :math:`\rho = \sum_b \phi_b s_b t_b`. One block is isotropic data
  (:meth:`BlockCovariates.isotropic`); two blocks are the salient/weak features model
  (:meth:`BlockCovariates.salient_weak`; d'Ascoli, Gabrié, Sagun & Biroli, NeurIPS 2021; Loureiro
  et al. 2021, §3).
* :class:`RandomFeatures`: inputs :math:`x\sim N(0, I_D)`, teacher :math:`\theta\sim N(0, I_D)`
  (:math:`\rho = 1`), student features :math:`v = \sigma(Fx/\sqrt D)\in\mathbb R^P` with
  :math:`F_{ij}\sim N(0,1)`. Sizes: :math:`\alpha = N/D` samples and :math:`\gamma = P/D` features
  per input dimension (so the student's own ratio is :math:`n/p = \alpha/\gamma`). By Gaussian
  equivalence (:func:`statlearn.models.activations.gaussian_equivalence`)
  :math:`\Omega = \mu_1^2 FF^\top/D + \mu_\star^2 I`, :math:`\Phi = \mu_1 F^\top/\sqrt D`; with
  :math:`s` an eigenvalue of :math:`FF^\top/D` (Marchenko-Pastur law of ratio :math:`\gamma`),
  :math:`\omega = \mu_1^2 s + \mu_\star^2` and, averaging over the isotropic teacher,
  :math:`\tau = \gamma\mu_1^2 s` (Gerace, Loureiro, Krzakala, Mézard & Zdeborová, ICML 2020).
  The constant part :math:`\mu_0\mathbf 1` of the features is a rank-one direction of
  :math:`\Omega`; it does not change the spectral measure and is left out of the theory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from statlearn.models.activations import GaussianEquivalence, gaussian_equivalence, get_activation_function
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar

__all__ = [
    "Spectrum",
    "CovariateModel",
    "GivenSpectrum",
    "BlockCovariates",
    "RandomFeatures",
    "marchenko_pastur_rule",
]

_MP_NODES = 200  # Gauss-Legendre nodes per panel of the Marchenko-Pastur law


@dataclass(frozen=True, eq=False)
class Spectrum:
    r"""Spectral measure of a GCM (module docstring): nodes ``omega``, masses ``weight``,
    teacher weights ``teacher`` (arrays of one length) and the teacher's variance ``rho``."""

    omega: np.ndarray
    weight: np.ndarray
    teacher: np.ndarray
    rho: float

    def __post_init__(self) -> None:
        omega = as_real_array("omega (covariance spectrum)", self.omega, minimum=0.0).ravel()
        weight = as_real_array("weight", self.weight, minimum=0.0).ravel()
        teacher = as_real_array("teacher", self.teacher, minimum=0.0).ravel()
        if not omega.shape == weight.shape == teacher.shape:
            raise ValueError(
                f"omega, weight and teacher must have one length, got {omega.shape}, {weight.shape}, {teacher.shape}"
            )
        if omega.size == 0:
            raise ValueError("a spectrum needs at least one node")
        if abs(weight.sum() - 1.0) > 1e-9:
            raise ValueError(f"the masses (weight) must sum to 1, got {weight.sum()!r}")
        if np.any((omega == 0) & (teacher > 0)):
            raise ValueError("teacher weight on a zero eigenvalue of Omega: the covariances are inconsistent")
        rho = as_real_scalar("rho", self.rho, minimum=0.0, strict_minimum=True)
        for name, value in (("omega", omega), ("weight", weight), ("teacher", teacher)):
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "rho", rho)

    @property
    def rank(self) -> float:
        """Fraction of the student's directions with ``omega > 0`` (the interpolation threshold of n/p)."""
        return float(self.weight[self.omega > 0].sum())

    @property
    def explained(self) -> float:
        r"""Largest teacher-student overlap reachable, as a fraction of rho: the square of the
        correlation of :math:`\nu` with its best linear prediction from :math:`v`,
        :math:`\sum_k \pi_k \tau_k/(\omega_k \rho)`."""
        positive = self.omega > 0
        return float(np.sum(self.weight[positive] * self.teacher[positive] / self.omega[positive]) / self.rho)

    @classmethod
    def from_covariances(cls, Psi: ArrayLike, Phi: ArrayLike, Omega: ArrayLike, theta: ArrayLike) -> Spectrum:
        r"""The spectrum of finite covariances: ``Psi`` (d x d), ``Phi`` (d x p), ``Omega`` (p x p)
        and a teacher ``theta`` (d), with :math:`\pi_k = 1/p`, :math:`\tau_k = (p/d)(e_k\cdot\Phi^\top\theta)^2`."""
        Psi, Phi, Omega = (
            np.atleast_2d(as_real_array(n, a)) for n, a in (("Psi", Psi), ("Phi", Phi), ("Omega", Omega))
        )
        theta = as_real_array("theta", theta).ravel()
        d, p = Phi.shape
        if Psi.shape != (d, d) or Omega.shape != (p, p) or theta.shape != (d,):
            raise ValueError(
                f"shapes do not match: Psi {Psi.shape}, Phi {Phi.shape}, Omega {Omega.shape}, "
                f"theta {theta.shape}; need (d, d), (d, p), (p, p), (d,)"
            )
        if not (np.allclose(Omega, Omega.T) and np.allclose(Psi, Psi.T)):
            raise ValueError("Psi and Omega must be symmetric")
        omega, vectors = np.linalg.eigh(Omega)
        scale = max(1.0, float(np.max(np.abs(omega))))
        if np.min(omega) < -1e-10 * scale:
            raise ValueError(f"Omega has a negative eigenvalue {np.min(omega):.3g}: not a covariance")
        omega = np.where(omega < 1e-12 * scale, 0.0, omega)
        teacher = (p / d) * (vectors.T @ (Phi.T @ theta)) ** 2
        teacher = np.where(omega == 0, 0.0, teacher)
        rho = float(theta @ Psi @ theta / d)
        return cls(omega, np.full(p, 1.0 / p), teacher, rho)


class CovariateModel(ABC):
    """A data model of the GCM; :meth:`spectrum` gives what the replica formula needs."""

    name: str

    @abstractmethod
    def spectrum(self, gamma: float | None = None) -> Spectrum:
        """The :class:`Spectrum`; ``gamma`` only for models with a features-per-dimension ratio."""

    def ratio(self, alpha: float, gamma: float | None = None) -> float:
        """Samples per student parameter n/p, given the model's control parameters."""
        return as_real_scalar("alpha", alpha, minimum=0.0, strict_minimum=True)


@dataclass(frozen=True)
class GivenSpectrum(CovariateModel):
    """A model given directly by its :class:`Spectrum` (e.g. :meth:`Spectrum.from_covariances` of a
    dataset's covariances); alpha is n/p."""

    given: Spectrum
    name: str = "spectrum"

    def __post_init__(self) -> None:
        if not isinstance(self.given, Spectrum):
            raise TypeError(f"given must be a Spectrum, got {type(self.given).__name__}")

    def spectrum(self, gamma: float | None = None) -> Spectrum:
        if gamma is not None:
            raise ValueError("a given spectrum has no gamma; sweep alpha = n/p instead")
        return self.given


@dataclass(frozen=True)
class BlockCovariates(CovariateModel):
    r"""Gaussian inputs with a block-diagonal covariance (module docstring); student and teacher
    see the same inputs (p = d), alpha = n/d.

    Parameters
    ----------
    fractions
        phi_b > 0, the fraction of coordinates in each block (summing to 1).
    variances
        s_b > 0, the input variance on each block.
    teacher
        t_b >= 0, the second moment of the teacher's weights on each block (not all zero).
    """

    fractions: tuple[float, ...]
    variances: tuple[float, ...]
    teacher: tuple[float, ...]
    name: str = "blocks"

    def __post_init__(self) -> None:
        fractions = as_real_array("fractions", self.fractions, minimum=0.0, strict_minimum=True).ravel()
        variances = as_real_array("variances", self.variances, minimum=0.0, strict_minimum=True).ravel()
        teacher = as_real_array("teacher", self.teacher, minimum=0.0).ravel()
        if not fractions.shape == variances.shape == teacher.shape:
            raise ValueError("fractions, variances and teacher need one entry per block")
        if abs(fractions.sum() - 1.0) > 1e-12:
            raise ValueError(f"fractions must sum to 1, got {fractions.sum()!r}")
        if not np.any(teacher > 0):
            raise ValueError("the teacher must have weight on at least one block")
        for field, value in (("fractions", fractions), ("variances", variances), ("teacher", teacher)):
            object.__setattr__(self, field, tuple(float(v) for v in value))

    @classmethod
    def isotropic(cls) -> BlockCovariates:
        """x ~ N(0, I), teacher weights of unit second moment (rho = 1)."""
        return cls((1.0,), (1.0,), (1.0,), name="isotropic")

    @classmethod
    def salient_weak(
        cls, fraction: float, salient: float, weak: float, *, teacher: tuple[float, float] = (1.0, 1.0)
    ) -> BlockCovariates:
        """A fraction ``fraction`` of salient coordinates of variance ``salient``, the rest of variance
        ``weak``; ``teacher`` = second moments of the teacher's weights on (salient, weak)."""
        fraction = as_real_scalar("fraction", fraction, minimum=0.0, strict_minimum=True, maximum=1.0)
        if fraction == 1.0:
            raise ValueError("fraction must be < 1 (use BlockCovariates.isotropic for one block)")
        salient = as_real_scalar("salient", salient, minimum=0.0, strict_minimum=True)
        weak = as_real_scalar("weak", weak, minimum=0.0, strict_minimum=True)
        return cls((fraction, 1.0 - fraction), (salient, weak), tuple(teacher), name="salient-weak")

    def spectrum(self, gamma: float | None = None) -> Spectrum:
        if gamma is not None:
            raise ValueError(f"the {self.name} model has no gamma (p = d); sweep alpha instead")
        s, t = np.array(self.variances), np.array(self.teacher)
        return Spectrum(s, np.array(self.fractions), s * s * t, float(np.dot(self.fractions, s * t)))


@lru_cache(maxsize=4)
def _legendre_unit(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [0, 1]."""
    y, wy = np.polynomial.legendre.leggauss(nodes)
    return 0.5 * (y + 1.0), 0.5 * wy


def marchenko_pastur_rule(ratio: float, nodes: int = _MP_NODES) -> tuple[np.ndarray, np.ndarray]:
    r"""Quadrature ``(s, weights)`` of the Marchenko-Pastur law of ratio ``c = ratio`` (eigenvalues
    of :math:`FF^\top/D` for :math:`F` of shape :math:`cD\times D`), atom included.

    The continuous part has density :math:`\sqrt{(b-s)(s-a)}/(2\pi c s)` on
    :math:`[a, b] = [(1-\sqrt c)^2, (1+\sqrt c)^2]`; in :math:`x = \sqrt s\in[l, h]`,
    :math:`l = |1-\sqrt c|`, :math:`h = 1+\sqrt c`, it is
    :math:`\sqrt{h^2-x^2}\,\sqrt{x^2-l^2}/(\pi c x)`, bounded even as :math:`c\to1` (where the
    density in :math:`s` diverges as :math:`s^{-1/2}`). Two Gauss-Legendre panels of ``nodes``
    nodes each, on maps that make the integrand smooth: :math:`x = l\cosh u` on :math:`[l, h/2]`
    (the edge at :math:`l`, and the crossover at :math:`x\sim l` when :math:`l\to0`) and
    :math:`x = h - (h/2)v^2` on :math:`[h/2, h]` (the edge at :math:`h`). For ``c > 1`` an atom of mass :math:`1 - 1/c` sits at
    :math:`s = 0` (first node). When the edges are far apart (:math:`l > h/4`, i.e. :math:`c`
    outside about :math:`[0.36, 2.8]`) one panel :math:`x = (l+h)/2 - (h-l)/2\cos t` serves both
    edges. At :math:`c = 1` the rule of :math:`l = 10^{-15}` is used.
    """
    ratio = as_real_scalar("ratio", ratio, minimum=0.0, strict_minimum=True)
    nodes = as_count("nodes", nodes, minimum=2)
    with np.errstate(all="ignore"):
        s, weights = _marchenko_pastur_rule(ratio, nodes)
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(weights)) and abs(weights.sum() - 1.0) < 1e-6):
        raise ValueError(f"ratio = {ratio!r} is outside the range where the rule is representable in doubles")
    return s, weights


@lru_cache(maxsize=64)
def _marchenko_pastur_rule(ratio: float, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`marchenko_pastur_rule` at valid arguments (cached)."""
    c = float(ratio)
    lo, hi = max(abs(1.0 - np.sqrt(c)), 1e-15), 1.0 + np.sqrt(c)
    y, wy = _legendre_unit(nodes)
    if lo > 0.25 * hi:  # edges well apart: one map x = (l+h)/2 - (h-l)/2 cos(pi y) for both
        t = np.pi * y
        half = 0.5 * (hi - lo)
        x = 0.5 * (hi + lo) - half * np.cos(t)
        w = np.pi * wy * (half * np.sin(t)) ** 2 * np.sqrt((hi + x) * (x + lo)) / x
    else:
        mid = 0.5 * hi
        top = np.arccosh(mid / lo)
        u = top * y
        x_low = lo * np.cosh(u)
        w_low = top * wy * np.sqrt(hi * hi - x_low * x_low) * lo * np.sinh(u) ** 2 / np.cosh(u)
        x_high = hi - mid * y * y
        w_high = 2.0 * mid**1.5 * wy * y * y * np.sqrt((hi + x_high) * (x_high * x_high - lo * lo)) / x_high
        x, w = np.concatenate([x_low, x_high]), np.concatenate([w_low, w_high])
    s = x * x
    weights = w / (np.pi * c)
    if c > 1.0:
        s = np.concatenate([[0.0], s])
        weights = np.concatenate([[1.0 - 1.0 / c], weights])
    for arr in (s, weights):
        arr.setflags(write=False)
    return s, weights


marchenko_pastur_rule.cache_clear = _marchenko_pastur_rule.cache_clear  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RandomFeatures(CovariateModel):
    r"""Random features :math:`v = \sigma(Fx/\sqrt D)` of Gaussian inputs (module docstring).

    Parameters
    ----------
    activation
        ``"relu"``, ``"erf"``, ``"tanh"``, ``"sign"`` or a vectorised callable.
    """

    activation: str | Callable[[np.ndarray], np.ndarray]
    name: str = "random-features"

    def __post_init__(self) -> None:
        get_activation_function(self.activation)  # raises TypeError / ValueError

    @property
    def coefficients(self) -> GaussianEquivalence:
        """(mu0, mu1, mu_star) of the activation."""
        return _coefficients(self.activation)

    def spectrum(self, gamma: float | None = None) -> Spectrum:
        if gamma is None:
            raise ValueError("random features need gamma = P/D (features per input dimension)")
        gamma = as_real_scalar("gamma", gamma, minimum=0.0, strict_minimum=True)
        _, mu1, mu_star = self.coefficients
        if mu1 == 0.0:
            raise ValueError("the activation has mu1 = E z sigma(z) = 0: the features do not see the teacher")
        with np.errstate(all="ignore"):
            try:
                s, weights = marchenko_pastur_rule(gamma)
            except ValueError:
                s, weights = np.full(1, np.nan), np.ones(1)
            omega = mu1**2 * s + mu_star**2
            teacher = gamma * mu1**2 * s
        if not (np.all(np.isfinite(omega)) and np.all(np.isfinite(teacher))):
            raise ValueError(f"gamma = {gamma!r} is outside the range where the spectrum is representable in doubles")
        return Spectrum(omega, weights, teacher, 1.0)

    def ratio(self, alpha: float, gamma: float | None = None) -> float:
        if gamma is None:
            raise ValueError("random features need gamma = P/D (features per input dimension)")
        alpha = as_real_scalar("alpha", alpha, minimum=0.0, strict_minimum=True)
        return alpha / as_real_scalar("gamma", gamma, minimum=0.0, strict_minimum=True)


@lru_cache(maxsize=32)
def _coefficients(activation: str | Callable[[np.ndarray], np.ndarray]) -> GaussianEquivalence:
    return gaussian_equivalence(activation)
