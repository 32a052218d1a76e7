r"""Losses for empirical risk minimisation: proximal operators and Moreau envelopes.

A loss :math:`\ell(y, z)` scores a pre-activation :math:`z = w\cdot x/\sqrt p` against a label
:math:`y`. Every asymptotic ERM computation sees it through its proximal operator and Moreau
envelope (Parikh & Boyd, *Proximal Algorithms*, Found. Trends Optim. 1, 127 (2014), §1.1 and
§3.1):

.. math::
    \mathrm{prox}(y,\omega,V) = \operatorname*{argmin}_z \Big[\frac{(z-\omega)^2}{2V} + \ell(y,z)\Big],
    \qquad
    \mathcal M(y,\omega,V) = \min_z \Big[\frac{(z-\omega)^2}{2V} + \ell(y,z)\Big],

for :math:`V > 0`. For a convex loss the minimiser is unique, the envelope is differentiable and

.. math::
    \partial_\omega \mathcal M = \frac{\omega - \mathrm{prox}}{V} = \partial_z \ell(y, \mathrm{prox}),
    \qquad
    \partial_\omega \mathrm{prox} = \frac{1}{1 + V\,\partial_z^2\ell(y, \mathrm{prox})}\ \ (\ell\ \text{twice differentiable}).

In the saddle-point equations of ERM in the Gaussian covariate model (Loureiro, Gerbelot, Cui,
Goldt, Krzakala, Mézard & Zdeborová, NeurIPS 2021, "Learning curves of generic features maps for
realistic datasets with a teacher-student model"; Gerace et al., ICML 2020) the channel side is an
average over :math:`\omega = \sqrt q\,\xi` of the *ERM output function*

.. math::
    f_{out}(y,\omega,V) = \frac{\mathrm{prox}(y,\omega,V) - \omega}{V} = -\partial_\omega\mathcal M,
    \qquad
    \partial_\omega f_{out} = \frac{\partial_\omega\mathrm{prox} - 1}{V}.

**Sign convention.** :meth:`Loss.moreau_derivative` returns :math:`+\partial_\omega\mathcal M =
(\omega - \mathrm{prox})/V`, the *opposite* of :math:`f_{out}`; :meth:`Loss.output` returns
:math:`(f_{out}, \partial_\omega f_{out})` with the sign of Loureiro et al. (and of
:meth:`statlearn.models.channels.Channel.output`, whose :math:`g_{out}` it replaces at zero
temperature), computed without the cancellations of the difference quotients.

Losses (labels :math:`y=\pm1` for the classification losses):

* :class:`Square`: :math:`\ell = (y-z)^2/2`, :math:`\mathrm{prox} = (\omega + Vy)/(1+V)`;
* :class:`Logistic`: :math:`\ell = \ln(1 + e^{-yz})`, prox by safeguarded Newton (see the class);
* :class:`Hinge`: :math:`\ell = \max(0, 1 - yz)`, piecewise-linear prox in closed form.

Every public method validates its arguments (``V`` finite and ``> 0``, no NaN, labels ``±1``
where required; the messages name the parameter) and works elementwise on broadcast arrays,
returning a float for scalar input. To add a loss, subclass :class:`Loss`, implement ``_value``,
``_proximal`` and ``_proximal_derivative`` and, where the generic formulas lose accuracy,
override ``_moreau_envelope``, ``_moreau_derivative`` and ``_output``.
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from scipy import special

from statlearn.models.naming import lookup
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.validation import as_real_array

__all__ = ["Loss", "Square", "Logistic", "Hinge", "LOSSES", "get_loss"]

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


class Loss(ABC):
    """A convex loss :math:`\\ell(y, z)` (see the module docstring for the equations)."""

    name: ClassVar[str]
    discrete_labels: ClassVar[bool]
    """True when the labels must be :math:`y = \\pm 1`."""

    def output_kinks(self, V: float) -> tuple[tuple[float, float], ...]:
        r"""Pairs (location in :math:`y\omega`, width in :math:`\omega`) where :math:`f_{out}(y,
        \omega, V)` bends sharply: width 0 for a true kink, > 0 for a smooth corner of that width.
        Quadratures over :math:`\omega` put panel edges there (none for the square loss)."""
        return ()

    # -- elementwise pieces, implemented by every loss ----------------------------------------

    @abstractmethod
    def _value(self, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        r""":math:`\ell(y, z)`, elementwise on broadcast arrays."""

    @abstractmethod
    def _derivative(self, y: np.ndarray, z: np.ndarray) -> np.ndarray:
        r""":math:`\partial_z\ell(y, z)` (a subgradient at a kink), elementwise on broadcast arrays."""

    @abstractmethod
    def _proximal(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        r""":math:`\mathrm{prox}(y, \omega, V)`, elementwise on broadcast arrays."""

    @abstractmethod
    def _proximal_derivative(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        r""":math:`\partial_\omega\mathrm{prox}(y, \omega, V)`, elementwise on broadcast arrays."""

    # -- generic formulas (overridden where they lose accuracy) --------------------------------

    def _moreau_envelope(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        prox = self._proximal(y, omega, V)
        return (prox - omega) ** 2 / (2.0 * V) + self._value(y, prox)

    def _moreau_derivative(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        return (omega - self._proximal(y, omega, V)) / V

    def _output(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f = -self._moreau_derivative(y, omega, V)
        return f, (self._proximal_derivative(y, omega, V) - 1.0) / V

    # -- public entry points (validated) --------------------------------------------------------

    def value(self, y: ArrayLike, z: ArrayLike) -> np.ndarray | float:
        r"""The loss :math:`\ell(y, z)`, elementwise."""
        y = self._check_labels(y)
        return np.asarray(self._value(*np.broadcast_arrays(y, as_real_array("z", z))))[()]

    def derivative(self, y: ArrayLike, z: ArrayLike) -> np.ndarray | float:
        r""":math:`\partial_z\ell(y, z)`, elementwise (the hinge's subgradient at yz = 1 is 0)."""
        y = self._check_labels(y)
        return np.asarray(self._derivative(*np.broadcast_arrays(y, as_real_array("z", z))))[()]

    def proximal(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray | float:
        r""":math:`\mathrm{prox}(y,\omega,V) = \operatorname{argmin}_z [(z-\omega)^2/(2V) + \ell(y,z)]`
        (Parikh & Boyd 2014), elementwise for ``V > 0``."""
        return np.asarray(self._proximal(*self._check_inputs(y, omega, V)))[()]

    def moreau_envelope(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray | float:
        r""":math:`\mathcal M(y,\omega,V) = \min_z [(z-\omega)^2/(2V) + \ell(y,z)]`, elementwise for ``V > 0``."""
        return np.asarray(self._moreau_envelope(*self._check_inputs(y, omega, V)))[()]

    def moreau_derivative(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray | float:
        r""":math:`\partial_\omega\mathcal M = (\omega - \mathrm{prox})/V = \partial_z\ell(y,\mathrm{prox})`.

        This is **minus** the ERM output function :math:`f_{out} = (\mathrm{prox}-\omega)/V` of
        Loureiro et al. (2021); :meth:`output` returns :math:`f_{out}` itself.
        """
        return np.asarray(self._moreau_derivative(*self._check_inputs(y, omega, V)))[()]

    def proximal_derivative(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray | float:
        r""":math:`\partial_\omega\mathrm{prox}`, in :math:`[0, 1]`: :math:`1/(1 + V\ell''(y,\mathrm{prox}))`
        for twice-differentiable losses, piecewise 0/1 for the hinge."""
        return np.asarray(self._proximal_derivative(*self._check_inputs(y, omega, V)))[()]

    def output(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> tuple[np.ndarray | float, np.ndarray | float]:
        r"""The ERM output function and its derivative,
        :math:`(f_{out}, \partial_\omega f_{out}) = ((\mathrm{prox}-\omega)/V,\ (\partial_\omega\mathrm{prox}-1)/V)`
        (Loureiro et al. 2021 sign convention; :math:`f_{out} = -\partial_\omega\mathcal M`)."""
        f, df = self._output(*self._check_inputs(y, omega, V))
        return np.asarray(f)[()], np.asarray(df)[()]

    # -- boundary checks ------------------------------------------------------------------------

    def _check_labels(self, y: ArrayLike) -> np.ndarray:
        y = as_real_array("y", y)
        if self.discrete_labels and np.any(np.abs(y) != 1.0):
            raise ValueError(f"y must be -1 or +1 for the {self.name} loss, got {y[np.abs(y) != 1.0].ravel()[0]!r}")
        return y

    def _check_inputs(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> Arrays:
        y = self._check_labels(y)
        omega = as_real_array("omega", omega)
        V = as_real_array("V", V, minimum=0.0, strict_minimum=True)
        return tuple(np.broadcast_arrays(y, omega, V))  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


class Square(Loss):
    r"""Square loss :math:`\ell = (y - z)^2/2` (ridge regression with the :math:`\ell_2` penalty).

    .. math::
        \mathrm{prox} = \frac{\omega + V y}{1 + V},\quad
        \mathcal M = \frac{(y-\omega)^2}{2(1+V)},\quad
        \partial_\omega\mathcal M = \frac{\omega - y}{1 + V},\quad
        \partial_\omega\mathrm{prox} = \frac{1}{1+V}.
    """

    name = "square"
    discrete_labels = False

    def _value(self, y, z):
        return 0.5 * (y - z) ** 2

    def _derivative(self, y, z):
        return z - y

    def _proximal(self, y, omega, V):
        return (omega + V * y) / (1.0 + V)

    def _proximal_derivative(self, y, omega, V):
        return 1.0 / (1.0 + V) + 0.0 * (y + omega)  # broadcast to the common shape

    def _moreau_envelope(self, y, omega, V):
        return (y - omega) ** 2 / (2.0 * (1.0 + V))

    def _moreau_derivative(self, y, omega, V):
        return (omega - y) / (1.0 + V)

    def _output(self, y, omega, V):
        return (y - omega) / (1.0 + V), -1.0 / (1.0 + V) + 0.0 * (y + omega)


def _logistic_curvature(u: np.ndarray) -> np.ndarray:
    r""":math:`\sigma(u)\sigma(-u) = \ell''` of the logistic loss, without overflow."""
    return special.expit(u) * special.expit(-u)


@njit(cache=True)
def _expit(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@njit(cache=True)
def _lambert_w_exp(log_z: float) -> float:
    """W(e^log_z), the principal branch, for any real log_z (no overflow): w e^w = e^log_z."""
    if log_z < -0.5:  # small argument: series, then Newton on w e^w = z
        z = math.exp(log_z)
        w = z * (1.0 - z + 1.5 * z * z)
        for _ in range(3):
            e = math.exp(w)
            w -= (w * e - z) / (e * (1.0 + w))
        return w
    w = log_z - math.log(log_z) if log_z > 1.0 else 0.5
    for _ in range(5):  # Newton on w + ln w = log_z (increasing, concave)
        w -= (w + math.log(w) - log_z) / (1.0 + 1.0 / w)
    return w


@njit(cache=True)
def _logistic_roots(u0: np.ndarray, V: np.ndarray, t: np.ndarray, max_iterations: int) -> int:
    """Fill ``t`` with the roots of :class:`Logistic`'s ``h``; return the number not converged.

    Newton's method safeguarded by the bracket (rtsafe: bisect when Newton leaves the bracket or
    does not halve the step before last; Press et al., Numerical Recipes §9.4), one point at a time.
    """
    eps, tiny = 2.220446049250313e-16, 2.2250738585072014e-308
    failures = 0
    for i in range(u0.size):
        u, v = u0[i], V[i]
        lo, hi = _expit(-(u + v)), _expit(-u)
        # start from the tighter of two upper bounds on the shift V t = u* - u0: V (sigma <= 1) and
        # W(V e^{-u0}) (sigma(-u) <= e^{-u}, exact for u* >> 1), kept in the bracket
        x = hi
        if v > 0.0:
            x = min(max(min(v, _lambert_w_exp(math.log(v) - u)) / v, lo), hi)
        step = hi - lo
        step_old = step
        converged = not hi > lo
        for _ in range(max_iterations):
            if converged:
                break
            s = _expit(-(u + v * x))
            h = x - s
            if abs(h) <= 2.0 * eps * x:  # the residual is rounding: x is the root to working precision
                converged = True
                break
            if h < 0.0:
                lo = x
            else:
                hi = x
            dh = 1.0 + v * s * (1.0 - s)
            newton = x - h / dh
            if not (lo < newton < hi) or abs(2.0 * h) > abs(step_old * dh):
                new = 0.5 * (lo + hi)
            else:
                new = newton
            step_old = step
            step = abs(new - x)
            converged = step <= 4.0 * eps * x + tiny or hi - lo <= 2.0 * eps * hi
            x = new
        t[i] = x
        if not converged:
            failures += 1
    return failures


class Logistic(Loss):
    r"""Logistic loss :math:`\ell = \ln(1 + e^{-yz})`, labels :math:`y = \pm 1`.

    With :math:`u = yz` and :math:`u_0 = y\omega` the prox is :math:`y(u_0 + Vt)`, where
    :math:`t\in(0,1)` is the unique root of

    .. math::
        h(t) = t - \sigma\big(-(u_0 + Vt)\big) = 0,\qquad h'(t) = 1 + V\sigma(u)\sigma(-u) \ge 1,

    (the stationarity condition :math:`(z-\omega)/V = y\,\sigma(-yz)`), bracketed by
    :math:`\sigma(-u_0-V) \le t \le \sigma(-u_0)` because :math:`h` increases. It is solved by
    Newton's method in :math:`t`, vectorised, with bisection whenever a step leaves the current
    bracket, until the step is below a few ulps of :math:`t` (so :math:`t`, and
    :math:`\partial_\omega\mathcal M = -yt`, have relative accuracy ~1e-15 and the prox absolute
    accuracy ~1e-15 V + ulp(omega)). The step in :math:`t` is well scaled for any
    :math:`\omega` and :math:`V`; :math:`\ell` is evaluated as ``logaddexp(0, -yz)`` and
    :math:`\sigma` as ``expit``, so nothing overflows for large :math:`|z|`.

    .. math::
        \partial_\omega\mathcal M = -y t,\quad
        \mathcal M = \frac{V t^2}{2} + \ln(1 + e^{-(u_0+Vt)}),\quad
        \partial_\omega\mathrm{prox} = \frac{1}{1 + V\sigma(u)\sigma(-u)},\ u = u_0 + Vt.
    """

    name = "logistic"
    discrete_labels = True
    max_iterations: ClassVar[int] = 200

    def _value(self, y, z):
        return np.logaddexp(0.0, -y * z)

    def _derivative(self, y, z):
        return -y * special.expit(-y * z)

    def _shift(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The root ``t`` of ``h`` and ``u = y prox = y omega + V t`` (see the class docstring)."""
        shape = np.broadcast(y, omega, V).shape
        y, omega, V = (np.ascontiguousarray(np.broadcast_to(a, shape), dtype=float).reshape(-1)
                       for a in (y, omega, V))
        u0 = y * omega
        t = np.empty_like(u0)
        failures = _logistic_roots(u0, V, t, self.max_iterations)
        if failures:  # cannot happen with a halving bracket, but never pass it silently
            warnings.warn(f"logistic proximal operator: {failures} points not converged after "
                          f"{self.max_iterations} iterations", ConvergenceWarning, stacklevel=3)
        return t.reshape(shape), (u0 + V * t).reshape(shape)

    def _proximal(self, y, omega, V):
        t, _ = self._shift(y, omega, V)
        return omega + V * y * t

    def _moreau_envelope(self, y, omega, V):
        t, u = self._shift(y, omega, V)
        return 0.5 * V * t**2 + np.logaddexp(0.0, -u)

    def _moreau_derivative(self, y, omega, V):
        t, _ = self._shift(y, omega, V)
        return -y * t

    def _proximal_derivative(self, y, omega, V):
        _, u = self._shift(y, omega, V)
        return 1.0 / (1.0 + V * _logistic_curvature(u))

    def _output(self, y, omega, V):
        t, u = self._shift(y, omega, V)
        c = _logistic_curvature(u)
        return y * t, -c / (1.0 + V * c)


    def output_kinks(self, V: float) -> tuple[tuple[float, float], ...]:
        # t = sigma(-(u0 + V t)) falls from ~1 to ~0 as u0 = y omega crosses [-V, 0], with corners of
        # width ~1 at both ends (they matter when V is large)
        return ((-V, 1.0), (0.0, 1.0))


class Hinge(Loss):
    r"""Hinge loss :math:`\ell = \max(0, 1 - yz)`, labels :math:`y = \pm 1`.

    With :math:`u_0 = y\omega` the prox is :math:`y\,u^*` with

    .. math::
        u^* = \begin{cases} u_0 + V & u_0 < 1 - V \\ 1 & 1 - V \le u_0 \le 1 \\ u_0 & u_0 > 1\end{cases},
        \qquad
        \mathcal M = \begin{cases} 1 - u_0 - V/2 \\ (1 - u_0)^2/(2V) \\ 0 \end{cases},
        \qquad
        \partial_\omega\mathrm{prox} = \begin{cases} 1 \\ 0 \\ 1 \end{cases}.

    At the two kinks :math:`u_0 = 1 - V` and :math:`u_0 = 1` the prox and the envelope are
    continuous (the envelope is :math:`C^1`); :math:`\partial_\omega\mathrm{prox}` jumps and
    is returned as 0 there (the closed middle interval), one element of its generalised derivative.
    """

    name = "hinge"
    discrete_labels = True

    def _value(self, y, z):
        return np.maximum(0.0, 1.0 - y * z)

    def _derivative(self, y, z):
        return np.where(y * z < 1.0, -y, 0.0)

    @staticmethod
    def _shift(y, omega, V):
        """``u* - u0`` in ``[0, V]`` (see the class docstring), and ``u0 = y omega``."""
        u0 = y * omega
        return np.clip(1.0 - u0, 0.0, V), u0

    def _proximal(self, y, omega, V):
        d, _ = self._shift(y, omega, V)
        return omega + y * d

    def _moreau_envelope(self, y, omega, V):
        d, u0 = self._shift(y, omega, V)
        return np.where(u0 < 1.0 - V, 1.0 - u0 - 0.5 * V, 0.5 * d**2 / V)

    def _moreau_derivative(self, y, omega, V):
        d, _ = self._shift(y, omega, V)
        return -y * d / V

    def _proximal_derivative(self, y, omega, V):
        u0 = y * omega
        return np.where((u0 >= 1.0 - V) & (u0 <= 1.0), 0.0, 1.0)

    def _output(self, y, omega, V):
        d, u0 = self._shift(y, omega, V)
        return y * d / V, np.where((u0 >= 1.0 - V) & (u0 <= 1.0), -1.0 / V, 0.0)

    def output_kinks(self, V: float) -> tuple[tuple[float, float], ...]:
        return ((1.0 - V, 0.0), (1.0, 0.0))


LOSSES: dict[str, Loss] = {cls.name: cls() for cls in (Square, Logistic, Hinge)}
"""Loss names accepted by :func:`get_loss`, mapped to instances."""


def get_loss(loss: str | Loss) -> Loss:
    """A loss from its name (``"square"``, ``"logistic"``, ``"hinge"``) or a :class:`Loss` passed through.

    Raises ``ValueError`` for an unknown name (listing the known ones) and ``TypeError`` for
    anything but a name or a :class:`Loss`.
    """
    return lookup("loss", loss, Loss, LOSSES, {})
