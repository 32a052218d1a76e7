r"""Activation functions: one object per nonlinearity, for the whole package.

An :class:`Activation` g carries everything the package computes from it:

- the function :meth:`~Activation.g` and its derivative :meth:`~Activation.dg`, vectorised (numpy);
- a compiled scalar version for numba kernels: :func:`kernel_g` and :func:`kernel_dg` switch on
  the activation's integer ``code`` (the online-SGD kernel of :mod:`statlearn.online.simulate`);
- the Gaussian-equivalence coefficients (mu0, mu1, mu_star) of random features
  (:meth:`~Activation.gaussian_equivalence`);
- the Gaussian averages I2, I3, I4, J2 that close the overlap ODEs of online SGD
  (:meth:`~Activation.averages`), for the activations that have them in closed form.

**Names.** Two error functions are in use in the literature and both are here, under different
names (no name means two functions):

================  =================================================  =====================================
name              g(z)                                               used by
================  =================================================  =====================================
``"erf"``         erf(z)                                             random features (Gerace et al. 2020)
``"scaled-erf"``  erf(z / sqrt 2) = 2 Phi(z) - 1                     soft committee machines (Saad & Solla
                                                                     1995; Goldt et al. 2019)
``"linear"``      z
``"relu"``        max(z, 0), g'(0) = 0
``"tanh"``        tanh(z)
``"sign"``        sign(z) (no derivative: not for gradient descent)
================  =================================================  =====================================

Before this release :mod:`statlearn.online` called erf(z / sqrt 2) ``"erf"``; its entry points now
refuse the bare name ``"erf"`` with a message pointing to ``"scaled-erf"``
(:func:`statlearn.online.trajectory.check_activation`), so that old code cannot silently change
meaning. erf(z) itself is available there as the object ``ACTIVATIONS["erf"]``.

**Gaussian equivalence.** For random features v = sigma(F x / sqrt(D)) with i.i.d. Gaussian F and
inputs x, the learning curves of ERM in the proportional limit are those of the Gaussian-equivalent
model (Mei & Montanari 2019; Goldt et al. 2020; Gerace et al. ICML 2020; Hu & Lu 2020)

.. math:: v = \mu_0 \mathbf 1 + \mu_1 F x / \sqrt D + \mu_\star \xi, \qquad \xi \sim N(0, I),

with, for z ~ N(0, 1),

.. math:: \mu_0 = E\,\sigma(z), \quad \mu_1 = E\, z\,\sigma(z), \quad
          \mu_\star^2 = E\,\sigma(z)^2 - \mu_0^2 - \mu_1^2 .

The expectations are Gauss quadratures on each half line, z < 0 and z > 0 (half-range Hermite
and Legendre rules of :func:`statlearn.numerics.gaussian_expectation`), so activations with a
kink or a jump at 0 (ReLU, sign, absolute value) are integrated as accurately as smooth ones.
Kinks elsewhere converge more slowly; a user's activation with them should be checked.

**Online averages.** The local fields u = (lambda_1 .. lambda_K, nu_1 .. nu_M) of a K-unit student
and an M-unit teacher are jointly Gaussian with zero mean and covariance C = [[Q, R], [R^T, T]] (the
overlaps). The overlap ODEs of online SGD (Saad & Solla, PRE 52, 4225, 1995; Biehl & Schwarze,
J. Phys. A 28, 643, 1995; Goldt et al., NeurIPS 2019; ``docs/theory/online.md``) need

- ``I2[a, b]       = E g(u_a) g(u_b)``
- ``I3[a, b, c]    = E g'(u_a) u_b g(u_c)``
- ``I4[a, b, c, d] = E g'(u_a) g'(u_b) g(u_c) g(u_d)``
- ``J2[a, b]       = E g'(u_a) g'(u_b)``

on C with any leading batch axes, shape ``(..., n, n)``; the indices carrying g' (``a`` and ``b``
in I3, I4, J2) run over the first ``rows`` fields only (the student units): I3 has shape
``(..., rows, n, n)``, I4 ``(..., rows, rows, n, n)``, J2 ``(..., rows, rows)``. Closed forms:
erf(z / sqrt 2) in :mod:`statlearn.models.erf_averages` (Saad & Solla 1995); erf(c z) from those by
the change of variable y = sqrt 2 c z (C -> 2 c^2 C, and a factor sqrt 2 c per g'); linear: I2 = C,
I3[a, b, c] = C_bc, I4[a, b, c, d] = C_cd, J2 = 1; ReLU in :mod:`statlearn.models.relu_averages`
(I2, I3, J2 closed form, I4 by a path quadrature).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import NamedTuple, NoReturn

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from scipy.special import erf

from statlearn.models import erf_averages, relu_averages
from statlearn.models.naming import lookup
from statlearn.numerics.gaussian import gaussian_expectation

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Averages",
    "ContractionGradients",
    "Contractions",
    "Erf",
    "GaussianEquivalence",
    "Linear",
    "Relu",
    "ScaledErf",
    "Sign",
    "Tanh",
    "gaussian_equivalence",
    "get_activation",
    "get_activation_function",
    "kernel_dg",
    "kernel_g",
]

_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class GaussianEquivalence(NamedTuple):
    """(mu0, mu1, mu_star) of an activation; unpacks as a tuple."""

    mu0: float
    mu1: float
    mu_star: float


class Contractions(NamedTuple):
    """The averages contracted with a vector s over their g-indices, as the overlap ODEs need them.

    For one covariance C (n, n), ``rows`` leading fields and s (n,): ``I2s[a] = sum_c I2[a, c] s_c``
    (a < rows; None unless asked for), ``I3s[a, b] = sum_c I3[a, b, c] s_c``,
    ``I4ss[a, b] = sum_cd I4[a, b, c, d] s_c s_d`` and ``J2[a, b]``.
    """

    I2s: np.ndarray | None
    I3s: np.ndarray
    I4ss: np.ndarray
    J2: np.ndarray


class ContractionGradients(NamedTuple):
    """The :class:`Contractions` and their derivatives, for the Jacobian of the overlap ODEs.

    Derivatives with respect to C are taken for a symmetric C: ``X_C[..., p, q]`` is symmetric in
    (p, q) and dX = sum_pq X_C[..., p, q] dC_pq for every symmetric dC. Shapes for ``rows`` leading
    fields of n: ``I2s_C`` (rows, n, n), ``I3s_C`` (rows, n, n, n), ``I4ss_C`` and ``J2_C``
    (rows, rows, n, n). With respect to s: ``I2s_s[a, c] = I2[a, c]`` (rows, n),
    ``I3s_s[a, b, c] = I3[a, b, c]`` (rows, n, n), ``I4ss_s[a, b, c] = 2 sum_d I4[a, b, c, d] s_d``
    (rows, rows, n). The I2 entries are None unless asked for.
    """

    values: Contractions
    I2s_C: np.ndarray | None
    I2s_s: np.ndarray | None
    I3s_C: np.ndarray
    I3s_s: np.ndarray
    I4ss_C: np.ndarray
    I4ss_s: np.ndarray
    J2_C: np.ndarray


class Averages(NamedTuple):
    """The four Gaussian averages I2, I3, I4, J2 on one covariance (shapes in the module docstring)."""

    I2: np.ndarray
    I3: np.ndarray
    I4: np.ndarray
    J2: np.ndarray


def _real_array(x: ArrayLike) -> np.ndarray:
    """``x`` as a float array; ``TypeError`` naming x for anything but real numbers (None is not NaN)."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"x must be real numbers, got {type(x).__name__} of dtype {arr.dtype}")
    return arr.astype(float, copy=False)


# ------------------------------------------------------------------------------ compiled scalars


@njit(cache=True, nogil=True)
def kernel_g(code: int, u: float) -> float:
    """g(u) for numba kernels: scaled-erf (code 0), linear (1), relu (2), erf (3)."""
    if code == 0:
        return math.erf(u * _SQRT_HALF)
    if code == 1:
        return u
    if code == 2:
        return max(u, 0.0)
    return math.erf(u)


@njit(cache=True, nogil=True)
def kernel_dg(code: int, u: float) -> float:
    """g'(u) for numba kernels: sqrt(2/pi) exp(-u^2/2) (0), 1 (1), 1 if u > 0 else 0 (2), 2/sqrt(pi) exp(-u^2) (3)."""
    if code == 0:
        return _SQRT_2_OVER_PI * math.exp(-0.5 * u * u)
    if code == 1:
        return 1.0
    if code == 2:
        return 1.0 if u > 0.0 else 0.0
    return _TWO_OVER_SQRT_PI * math.exp(-u * u)


# ------------------------------------------------------------------------------ the activation


class Activation(ABC):
    """A hidden-unit nonlinearity g: function, derivative, kernel code, Gaussian equivalence, averages.

    Subclasses set ``name`` and ``formula`` and implement :meth:`g`; those with a derivative
    implement :meth:`dg`; those with closed-form Gaussian averages set ``has_averages = True`` and
    implement ``_i2``, ``_i3``, ``_i4``, ``_j2`` (unchecked formulas; the public :meth:`i2` ..
    :meth:`j2` validate their input first); those whose averages have closed-form derivatives set
    ``has_gradients = True`` and implement ``_contraction_gradients`` (the Jacobian of the overlap
    ODEs); those the compiled kernels know set ``code`` (a branch of :func:`kernel_g` and
    :func:`kernel_dg`).
    """

    name: str = ""
    formula: str = ""
    code: int | None = None
    has_averages: bool = False
    has_gradients: bool = False

    @abstractmethod
    def g(self, x: ArrayLike) -> np.ndarray:
        """The activation g(x), elementwise."""

    def dg(self, x: ArrayLike) -> np.ndarray:
        """Its derivative g'(x), elementwise."""
        raise ValueError(f"activation {self.name!r} ({self.formula}) has no derivative usable by gradient descent")

    def gaussian_equivalence(self) -> GaussianEquivalence:
        """(mu0, mu1, mu_star) of g (module docstring)."""
        return _equivalence(self.g)

    # -- online averages (module docstring) ----------------------------------------------------
    def i2(self, C: ArrayLike) -> np.ndarray:
        """I2[..., a, b] = E g(u_a) g(u_b)."""
        C, _ = self._checked(C, None)
        return self._i2(C)

    def i3(self, C: ArrayLike, rows: int) -> np.ndarray:
        """I3[..., a, b, c] = E g'(u_a) u_b g(u_c), a < rows."""
        C, rows = self._checked(C, rows)
        return self._i3(C, rows)

    def i4(self, C: ArrayLike, rows: int) -> np.ndarray:
        """I4[..., a, b, c, d] = E g'(u_a) g'(u_b) g(u_c) g(u_d), a, b < rows."""
        C, rows = self._checked(C, rows)
        return self._i4(C, rows)

    def j2(self, C: ArrayLike, rows: int) -> np.ndarray:
        """J2[..., a, b] = E g'(u_a) g'(u_b), a, b < rows."""
        C, rows = self._checked(C, rows)
        return self._j2(C, rows)

    def i4_quadratic(self, C: ArrayLike, rows: int, s: ArrayLike) -> np.ndarray:
        """sum_cd I4[a, b, c, d] s_c s_d, shape (rows, rows), for one covariance C (n, n): the Delta^2 term."""
        C, rows = self._checked(C, rows)
        s = np.asarray(s, dtype=float)
        if C.ndim != 2 or s.shape != C.shape[-1:]:
            raise ValueError(
                f"i4_quadratic needs one covariance C (n, n) and s of shape (n,), got {C.shape}, {s.shape}"
            )
        if not np.all(np.isfinite(s)):
            raise ValueError("s must be finite")
        return self._i4_quadratic(C, rows, s)

    def contractions(self, C: ArrayLike, rows: int, s: ArrayLike, *, with_i2: bool = True) -> Contractions:
        """The averages on one covariance C (n, n) contracted with s (n,) (:class:`Contractions`).

        With s = (-v, v_star) these are the expectations of the overlap ODEs
        (:class:`statlearn.online.ode.OverlapODE`); one input check for the four of them.
        """
        C, rows = self._checked(C, rows)
        s = np.asarray(s, dtype=float)
        if C.ndim != 2 or s.shape != C.shape[-1:]:
            raise ValueError(f"contractions need one covariance C (n, n) and s of shape (n,), got {C.shape}, {s.shape}")
        if not np.isfinite(s).all():
            raise ValueError("s must be finite")
        I2s = self._i2(C)[:rows] @ s if with_i2 else None
        I3s = np.einsum("abc,c->ab", self._i3(C, rows), s)
        return Contractions(I2s, I3s, self._i4_quadratic(C, rows, s), self._j2(C, rows))

    def contraction_gradients(
        self, C: ArrayLike, rows: int, s: ArrayLike, *, with_i2: bool = True
    ) -> ContractionGradients:
        """The contractions on one covariance C (n, n) with s (n,) and their derivatives (:class:`ContractionGradients`).

        For the activations with ``has_gradients``; the others refuse (``ValueError``).
        """
        if not self.has_gradients:
            raise ValueError(
                f"activation {self.name!r} ({self.formula}) has no closed-form derivatives of its averages"
            )
        values = self.contractions(C, rows, s, with_i2=with_i2)
        C, rows = self._checked(C, rows)
        return self._contraction_gradients(C, rows, np.asarray(s, dtype=float), values)

    def _contraction_gradients(
        self, C: np.ndarray, rows: int, s: np.ndarray, values: Contractions
    ) -> ContractionGradients:
        """Overridden by the activations with ``has_gradients`` (only called for those)."""
        raise TypeError(f"{type(self).__name__} sets has_gradients but does not define _contraction_gradients")

    def averages(self, C: ArrayLike, rows: int | None = None) -> Averages:
        """All four averages on the covariance ``C`` (``rows`` defaults to every field)."""
        C, rows = self._checked(C, rows)
        return Averages(self._i2(C), self._i3(C, rows), self._i4(C, rows), self._j2(C, rows))

    def _checked(self, C: ArrayLike, rows: int | None) -> tuple[np.ndarray, int]:
        """C as a float array of shape (..., n, n) with finite entries and diagonal >= 0; rows in [1, n]."""
        if not self.has_averages:
            self._refuse_averages()
        try:
            C = np.asarray(C, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"C must be an array of covariances, got {type(C).__name__}") from None
        if C.ndim < 2 or C.shape[-1] != C.shape[-2] or C.shape[-1] == 0:
            raise ValueError(f"C must have shape (..., n, n) with n >= 1, got {C.shape}")
        diagonal = C.diagonal(0, -2, -1)
        low, high = float(diagonal.min()), float(diagonal.max())  # NaN if C has NaN on its diagonal
        if not (np.isfinite(C).all() and low >= -1e-12 * max(1.0, high)):  # one test on the fast path
            if not np.isfinite(C).all():
                raise ValueError("C must be finite (got NaN or infinite entries)")
            raise ValueError(f"C must be a covariance: its diagonal (the variances) must be >= 0, got {low:.3g}")
        n = C.shape[-1]
        if rows is None:
            return C, n
        if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)):
            raise TypeError(f"rows must be an integer, got {type(rows).__name__}")
        if not 1 <= rows <= n:
            raise ValueError(f"rows must be in [1, n] = [1, {n}], got {rows}")
        return C, int(rows)

    def _refuse_averages(self) -> NoReturn:
        known = ", ".join(name for name, act in ACTIVATIONS.items() if act.has_averages)
        raise ValueError(
            f"activation {self.name!r} ({self.formula}) has no closed-form Gaussian averages; "
            f"activations with them: {known}"
        )

    def _i2(self, C: np.ndarray) -> np.ndarray:
        """Overridden by the activations with ``has_averages``; the others refuse."""
        self._refuse_averages()

    def _i3(self, C: np.ndarray, rows: int) -> np.ndarray:
        """Overridden by the activations with ``has_averages``; the others refuse."""
        self._refuse_averages()

    def _i4(self, C: np.ndarray, rows: int) -> np.ndarray:
        """Overridden by the activations with ``has_averages``; the others refuse."""
        self._refuse_averages()

    def _j2(self, C: np.ndarray, rows: int) -> np.ndarray:
        """Overridden by the activations with ``has_averages``; the others refuse."""
        self._refuse_averages()

    def _i4_quadratic(self, C: np.ndarray, rows: int, s: np.ndarray) -> np.ndarray:
        return np.asarray(np.einsum("abcd,c,d->ab", self._i4(C, rows), s, s))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ScaledErf(Activation):
    """g(z) = erf(z / sqrt 2) = 2 Phi(z) - 1, g'(z) = sqrt(2/pi) exp(-z^2/2): Saad & Solla's soft committee unit.

    All four averages in closed form (:mod:`statlearn.models.erf_averages`).
    """

    name = "scaled-erf"
    formula = "erf(z / sqrt 2)"
    code = 0
    has_averages = True
    has_gradients = True

    def g(self, x: ArrayLike) -> np.ndarray:
        return np.asarray(erf(_real_array(x) / np.sqrt(2.0)))

    def dg(self, x: ArrayLike) -> np.ndarray:
        with np.errstate(over="ignore"):  # x^2 = inf beyond 1e154: g' = 0 exactly
            return np.sqrt(2.0 / np.pi) * np.exp(-0.5 * np.square(_real_array(x)))

    def _i2(self, C: np.ndarray) -> np.ndarray:
        return erf_averages.i2(C)

    def _i3(self, C: np.ndarray, rows: int) -> np.ndarray:
        return erf_averages.i3(C, rows)

    def _i4(self, C: np.ndarray, rows: int) -> np.ndarray:
        return erf_averages.i4(C, rows)

    def _j2(self, C: np.ndarray, rows: int) -> np.ndarray:
        return erf_averages.j2(C, rows)

    def _i4_quadratic(self, C: np.ndarray, rows: int, s: np.ndarray) -> np.ndarray:
        return erf_averages.i4_quadratic(C, rows, s)

    def _contraction_gradients(
        self, C: np.ndarray, rows: int, s: np.ndarray, values: Contractions
    ) -> ContractionGradients:
        I2s_C, I3s_C, I4ss_C, I4ss_s, J2_C = erf_averages.contraction_gradients(C, rows, s, values.I2s is not None)
        I2s_s = erf_averages.i2(C)[:rows] if values.I2s is not None else None
        return ContractionGradients(values, I2s_C, I2s_s, I3s_C, erf_averages.i3(C, rows), I4ss_C, I4ss_s, J2_C)


class Erf(Activation):
    """g(z) = erf(z), g'(z) = (2 / sqrt pi) exp(-z^2).

    erf(z) = G(sqrt 2 z) with G(y) = erf(y / sqrt 2): the averages are those of :class:`ScaledErf`
    on the covariance 2 C, with a factor sqrt 2 per g' (so J2 and I4 gain a factor 2; I3 keeps its
    value, its factor sqrt 2 cancelling against u_b = y_b / sqrt 2).
    """

    name = "erf"
    formula = "erf(z)"
    code = 3
    has_averages = True
    has_gradients = True

    def g(self, x: ArrayLike) -> np.ndarray:
        return np.asarray(erf(_real_array(x)))

    def dg(self, x: ArrayLike) -> np.ndarray:
        with np.errstate(over="ignore"):  # x^2 = inf beyond 1e154: g' = 0 exactly
            return _TWO_OVER_SQRT_PI * np.exp(-np.square(_real_array(x)))

    def _i2(self, C: np.ndarray) -> np.ndarray:
        return erf_averages.i2(2.0 * C)

    def _i3(self, C: np.ndarray, rows: int) -> np.ndarray:
        return erf_averages.i3(2.0 * C, rows)

    def _i4(self, C: np.ndarray, rows: int) -> np.ndarray:
        return 2.0 * erf_averages.i4(2.0 * C, rows)

    def _j2(self, C: np.ndarray, rows: int) -> np.ndarray:
        return 2.0 * erf_averages.j2(2.0 * C, rows)

    def _i4_quadratic(self, C: np.ndarray, rows: int, s: np.ndarray) -> np.ndarray:
        return 2.0 * erf_averages.i4_quadratic(2.0 * C, rows, s)

    def _contraction_gradients(
        self, C: np.ndarray, rows: int, s: np.ndarray, values: Contractions
    ) -> ContractionGradients:
        # d/dC of X(2C) is 2 X'(2C); I4 and J2 carry a further factor 2
        with_i2 = values.I2s is not None
        I2s_C, I3s_C, I4ss_C, I4ss_s, J2_C = erf_averages.contraction_gradients(2.0 * C, rows, s, with_i2)
        return ContractionGradients(
            values,
            2.0 * I2s_C if I2s_C is not None else None,
            erf_averages.i2(2.0 * C)[:rows] if with_i2 else None,
            2.0 * I3s_C,
            erf_averages.i3(2.0 * C, rows),
            4.0 * I4ss_C,
            2.0 * I4ss_s,
            4.0 * J2_C,
        )


class Linear(Activation):
    """g(z) = z (the linear perceptron and linear committee); all averages are moments of C."""

    name = "linear"
    formula = "z"
    code = 1
    has_averages = True
    has_gradients = True

    def g(self, x: ArrayLike) -> np.ndarray:
        return _real_array(x).copy()

    def dg(self, x: ArrayLike) -> np.ndarray:
        return np.ones_like(_real_array(x))

    def gaussian_equivalence(self) -> GaussianEquivalence:
        """(0, 1, 0): a linear feature map has no nonlinear part."""
        return GaussianEquivalence(0.0, 1.0, 0.0)

    def _i2(self, C: np.ndarray) -> np.ndarray:
        return np.array(C, dtype=float)

    def _i3(self, C: np.ndarray, rows: int) -> np.ndarray:
        n = C.shape[-1]
        return np.broadcast_to(C[..., None, :, :], C.shape[:-2] + (rows, n, n)).copy()

    def _i4(self, C: np.ndarray, rows: int) -> np.ndarray:
        n = C.shape[-1]
        return np.broadcast_to(C[..., None, None, :, :], C.shape[:-2] + (rows, rows, n, n)).copy()

    def _j2(self, C: np.ndarray, rows: int) -> np.ndarray:
        return np.ones(C.shape[:-2] + (rows, rows))

    def _contraction_gradients(
        self, C: np.ndarray, rows: int, s: np.ndarray, values: Contractions
    ) -> ContractionGradients:
        # I2s[a] = sum_c C_ac s_c, I3s[a, b] = sum_c C_bc s_c, I4ss[a, b] = s^T C s, J2 = 1
        n = C.shape[-1]
        eye = np.eye(n)
        half = 0.5 * (eye[:, :, None] * s[None, None, :] + eye[:, None, :] * s[None, :, None])  # d(Cs)_b / dC_pq
        with_i2 = values.I2s is not None
        return ContractionGradients(
            values,
            half[:rows].copy() if with_i2 else None,
            C[:rows].copy() if with_i2 else None,
            np.broadcast_to(half, (rows, n, n, n)).copy(),
            self._i3(C, rows),
            np.broadcast_to(np.outer(s, s), (rows, rows, n, n)).copy(),
            np.broadcast_to(2.0 * C @ s, (rows, rows, n)).copy(),
            np.zeros((rows, rows, n, n)),
        )


class Relu(Activation):
    """g(z) = max(z, 0), g'(z) = Theta(z) (Theta(0) = 0); I2, I3, J2 closed form, I4 by quadrature.

    Formulas, method and accuracy in :mod:`statlearn.models.relu_averages`.
    """

    name = "relu"
    formula = "max(z, 0)"
    code = 2
    has_averages = True

    def g(self, x: ArrayLike) -> np.ndarray:
        return np.maximum(_real_array(x), 0.0)

    def dg(self, x: ArrayLike) -> np.ndarray:
        return (_real_array(x) > 0).astype(float)

    def _i2(self, C: np.ndarray) -> np.ndarray:
        return relu_averages.i2(C)

    def _i3(self, C: np.ndarray, rows: int) -> np.ndarray:
        return relu_averages.i3(C, rows)

    def _i4(self, C: np.ndarray, rows: int) -> np.ndarray:
        return relu_averages.i4(C, rows)

    def _j2(self, C: np.ndarray, rows: int) -> np.ndarray:
        return relu_averages.j2(C, rows)


class Tanh(Activation):
    """g(z) = tanh(z), g'(z) = 1 - tanh(z)^2 (no closed-form online averages)."""

    name = "tanh"
    formula = "tanh(z)"

    def g(self, x: ArrayLike) -> np.ndarray:
        return np.tanh(_real_array(x))

    def dg(self, x: ArrayLike) -> np.ndarray:
        return 1.0 - np.square(np.tanh(_real_array(x)))


class Sign(Activation):
    """g(z) = sign(z) (sign(0) = 0); no derivative usable by gradient descent."""

    name = "sign"
    formula = "sign(z)"

    def g(self, x: ArrayLike) -> np.ndarray:
        return np.sign(_real_array(x))


#: The named activations (module docstring): ``"erf"`` is erf(z), ``"scaled-erf"``  erf(z / sqrt 2).
ACTIVATIONS: dict[str, Activation] = {act.name: act for act in (Relu(), Erf(), ScaledErf(), Tanh(), Sign(), Linear())}


def get_activation(activation: str | Activation) -> Activation:
    """The activation called ``activation`` in :data:`ACTIVATIONS`, or the instance itself."""
    act: Activation = lookup("activation", activation, Activation, ACTIVATIONS, {})
    return act


def get_activation_function(
    activation: str | Activation | Callable[[np.ndarray], np.ndarray],
) -> Callable[[np.ndarray], np.ndarray]:
    """The vectorised function g of a named activation or an :class:`Activation`, or ``activation`` if callable."""
    if isinstance(activation, (str, Activation)):
        return get_activation(activation).g
    if not callable(activation):
        raise TypeError(f"activation must be a name, an Activation or a callable, got {type(activation).__name__}")
    return activation


def gaussian_equivalence(activation: str | Activation | Callable[[np.ndarray], np.ndarray]) -> GaussianEquivalence:
    r"""The Gaussian-equivalence coefficients (mu0, mu1, mu_star) of ``activation`` (module docstring).

    Parameters
    ----------
    activation
        A name of :data:`ACTIVATIONS` (``"relu"``, ``"erf"`` = erf(z), ``"scaled-erf"`` =
        erf(z / sqrt 2), ``"tanh"``, ``"sign"``, ``"linear"``), an :class:`Activation`, or a
        vectorised callable sigma(z) -> array of the same shape.

    Returns
    -------
    GaussianEquivalence
        ``mu0 = E sigma(z)``, ``mu1 = E z sigma(z)``, ``mu_star = sqrt(E sigma^2 - mu0^2 - mu1^2)``.

    Raises
    ------
    TypeError
        ``activation`` is neither a known name, an Activation nor a callable, or does not return an
        array of the shape of its argument.
    ValueError
        Unknown name, or non-finite values of sigma on the quadrature nodes.
    """
    if isinstance(activation, (str, Activation)):
        return get_activation(activation).gaussian_equivalence()
    return _equivalence(get_activation_function(activation))


def _equivalence(sigma: Callable[[np.ndarray], np.ndarray]) -> GaussianEquivalence:
    """(mu0, mu1, mu_star) of the vectorised function ``sigma`` by half-line Gauss quadratures."""

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
    mu0, mu1, second = (float(gaussian_expectation(lambda z, k=k: integrand(z)[k], lower=0.0)) for k in range(3))
    return mu0, mu1, second
