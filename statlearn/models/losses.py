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
override ``_moreau_envelope``, ``_moreau_derivative`` and ``_output`` (and ``_output_kinks`` where
:math:`f_{out}` has kinks or sharp corners; ``_moment_averages`` where the channel averages of the ERM
saddle point close in the teacher's moments, :meth:`Loss.moment_averages`, as for :class:`Square`, whose
subclasses must override it if they change :math:`f_{out}`).

The output functions of the built-in losses are compiled scalars (:func:`square_output`,
:func:`logistic_output`, :func:`hinge_output`, dispatched by :func:`compiled_output` on the codes of
:data:`COMPILED_LOSSES`): the one definition that :meth:`Loss.output` runs elementwise and that the
compiled channel averages of :mod:`statlearn.models.student` call point by point.
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
from statlearn.numerics.validation import as_real_array, as_real_scalar, extreme_arguments

__all__ = [
    "Loss",
    "Square",
    "Logistic",
    "Hinge",
    "LOSSES",
    "COMPILED_LOSSES",
    "get_loss",
    "compiled_output",
    "expit",
    "hinge_output",
    "logistic_output",
    "logistic_root",
    "square_output",
]

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]
Arrays2 = tuple[np.ndarray, np.ndarray]


class Loss(ABC):
    """A convex loss :math:`\\ell(y, z)` (see the module docstring for the equations)."""

    name: ClassVar[str]
    discrete_labels: ClassVar[bool]
    """True when the labels must be :math:`y = \\pm 1`."""

    def output_kinks(self, V: float) -> tuple[tuple[float, float], ...]:
        r"""Pairs (location in :math:`y\omega`, width in :math:`\omega`) where :math:`f_{out}(y,
        \omega, V)` bends sharply: width 0 for a true kink, > 0 for a smooth corner of that width.
        Quadratures over :math:`\omega` put panel edges there (none for the square loss)."""
        return self._output_kinks(as_real_scalar("V", V, minimum=0.0, strict_minimum=True))

    def _output_kinks(self, V: float) -> tuple[tuple[float, float], ...]:
        """:meth:`output_kinks` at a valid ``V`` (a loss with kinks or sharp corners overrides it)."""
        return ()

    def moment_averages(
        self, second_moment: float, gain: float, m: float, q: float, V: float
    ) -> tuple[float, float, float, float] | None:
        r"""The channel averages of the ERM saddle point in closed form from two moments of the teacher,
        or ``None`` (the default) when the loss has no such form and they need a quadrature.

        The averages are over the student's field :math:`\omega\sim N(0, q)` and the teacher's label
        :math:`y\sim P_0(\cdot|\nu)` with :math:`\mathbb E\nu^2=\rho`, :math:`\mathbb E\nu\omega = m`
        (:func:`statlearn.models.student.output_averages`): returns
        :math:`(\mathbb E\,g_0 f_{out},\ \mathbb E f_{out}^2,\ \mathbb E\,\partial_\omega f_{out},\
        \mathbb E\,\ell(y, \mathrm{prox}))`. A loss whose :math:`f_{out}` is affine in
        :math:`(y, \omega)` needs only ``second_moment`` :math:`=\mathbb E y^2` and ``gain``
        :math:`= b = \mathbb E\,g_0 y = \mathbb E[y\nu]/\rho` (Stein's lemma), since
        :math:`\mathbb E\,g_0\omega = 0` and :math:`\mathbb E\,y\omega = m b`, for any teacher. Of the
        built-in losses only :class:`Square` has it (the logistic prox has no closed form; the hinge's
        averages are bivariate normal integrals that depend on more than two moments of the teacher).
        ``V >= 0`` (0: the ridgeless limit of :math:`f_{out}`).
        """
        values = (second_moment, gain, m, q, V)
        if not all(isinstance(v, float) and math.isfinite(v) for v in values) or min(second_moment, q, V) < 0:
            second_moment = as_real_scalar("second_moment", second_moment, minimum=0.0)
            gain = as_real_scalar("gain", gain)
            m = as_real_scalar("m", m)
            q = as_real_scalar("q", q, minimum=0.0)
            V = as_real_scalar("V", V, minimum=0.0)
        return self._moment_averages(second_moment, gain, m, q, V)

    def _moment_averages(
        self, second_moment: float, gain: float, m: float, q: float, V: float
    ) -> tuple[float, float, float, float] | None:
        """:meth:`moment_averages` at valid arguments (a loss with a closed form overrides it)."""
        return None

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
        with extreme_arguments():
            return np.asarray(self._value(*np.broadcast_arrays(y, as_real_array("z", z))))[()]

    def derivative(self, y: ArrayLike, z: ArrayLike) -> np.ndarray | float:
        r""":math:`\partial_z\ell(y, z)`, elementwise (the hinge's subgradient at yz = 1 is 0)."""
        y = self._check_labels(y)
        with extreme_arguments():
            return np.asarray(self._derivative(*np.broadcast_arrays(y, as_real_array("z", z))))[()]

    def proximal(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray | float:
        r""":math:`\mathrm{prox}(y,\omega,V) = \operatorname{argmin}_z [(z-\omega)^2/(2V) + \ell(y,z)]`
        (Parikh & Boyd 2014), elementwise for ``V > 0``."""
        with extreme_arguments():
            return np.asarray(self._proximal(*self._check_inputs(y, omega, V)))[()]

    def moreau_envelope(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray | float:
        r""":math:`\mathcal M(y,\omega,V) = \min_z [(z-\omega)^2/(2V) + \ell(y,z)]`, elementwise for ``V > 0``."""
        with extreme_arguments():
            return np.asarray(self._moreau_envelope(*self._check_inputs(y, omega, V)))[()]

    def moreau_derivative(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray | float:
        r""":math:`\partial_\omega\mathcal M = (\omega - \mathrm{prox})/V = \partial_z\ell(y,\mathrm{prox})`.

        This is **minus** the ERM output function :math:`f_{out} = (\mathrm{prox}-\omega)/V` of
        Loureiro et al. (2021); :meth:`output` returns :math:`f_{out}` itself.
        """
        with extreme_arguments():
            return np.asarray(self._moreau_derivative(*self._check_inputs(y, omega, V)))[()]

    def proximal_derivative(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray | float:
        r""":math:`\partial_\omega\mathrm{prox}`, in :math:`[0, 1]`: :math:`1/(1 + V\ell''(y,\mathrm{prox}))`
        for twice-differentiable losses, piecewise 0/1 for the hinge."""
        with extreme_arguments():
            return np.asarray(self._proximal_derivative(*self._check_inputs(y, omega, V)))[()]

    def output(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> tuple[np.ndarray | float, np.ndarray | float]:
        r"""The ERM output function and its derivative,
        :math:`(f_{out}, \partial_\omega f_{out}) = ((\mathrm{prox}-\omega)/V,\ (\partial_\omega\mathrm{prox}-1)/V)`
        (Loureiro et al. 2021 sign convention; :math:`f_{out} = -\partial_\omega\mathcal M`)."""
        with extreme_arguments():
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
        return _compiled_outputs(_SQUARE, y, omega, V, 0)

    def _moment_averages(self, second_moment, gain, m, q, V):
        r""":math:`f_{out} = (y-\omega)/(1+V)`: :math:`\mathbb E\,g_0 f_{out} = b/(1+V)`,
        :math:`\mathbb E f_{out}^2 = (\mathbb E y^2 - 2mb + q)/(1+V)^2`, :math:`\mathbb E\,\partial_\omega
        f_{out} = -1/(1+V)` and :math:`\mathbb E\,\ell = \mathbb E f_{out}^2/2` (as
        :math:`y - \mathrm{prox} = (y - \omega)/(1+V)`)."""
        s = 1.0 / (1.0 + V)
        # E (y - omega)^2 = E y^2 - 2 m b + q as the sum of two squares (the first by Cauchy-Schwarz,
        # (E y omega)^2 <= E y^2 q), so that it stays positive and smooth when the student nears the teacher
        root_q = math.sqrt(q) if q > 0 else 1e-300
        slope = m * gain / root_q  # E y omega / sqrt(q)
        gap = root_q - slope
        residual = max(second_moment - slope * slope, 0.0) + gap * gap
        f2 = residual * s * s
        return gain * s, f2, -s, 0.5 * f2


@njit(cache=True)
def expit(x: float) -> float:
    r"""The logistic function :math:`\sigma(x) = 1/(1 + e^{-x})` at one point, without overflow (compiled)."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@njit(cache=True)
def logistic_root(a: float, v: float, max_iterations: int) -> tuple[float, bool]:
    """The root u* of g(u) = u - a - v sigma(-u) (a = y omega; y prox = u*) and whether it converged
    (:class:`Logistic`'s method, one point; compiled, callable from other numba kernels)."""
    if v == 0.0:
        return a, True
    eps = 2.220446049250313e-16
    # g increases; it is concave for u > 0 and convex for u < 0, so Newton converges monotonically
    # from 0 (or the bracket end nearer 0) on the root's side
    u = max(0.0, a) if a + 0.5 * v > 0.0 else min(0.0, a + v)
    previous = math.inf
    for _ in range(max_iterations):
        s = expit(-u)
        step = (u - a - v * s) / (1.0 + v * s * expit(u))
        # monotone convergence: a step that does not shrink is rounding noise in g
        if abs(step) <= 4.0 * eps * (1.0 + abs(u) + abs(a)) or abs(step) >= previous:
            if abs(step) < previous:
                u -= step
            return u, True
        u -= step
        previous = abs(step)
    return u, False


@njit(cache=True)
def _logistic_roots(
    u0: np.ndarray, V: np.ndarray, t: np.ndarray, u_star: np.ndarray, curvature: np.ndarray, max_iterations: int
) -> int:
    """Fill ``t``, ``u_star`` = y prox and ``curvature`` = sigma(u*) sigma(-u*) for :class:`Logistic`'s
    stationarity condition; return the number of points not converged (class docstring)."""
    failures = 0
    for i in range(u0.size):
        u, converged = logistic_root(u0[i], V[i], max_iterations)
        t[i] = expit(-u)
        u_star[i] = u
        curvature[i] = expit(u) * t[i]
        if not converged:
            failures += 1
    return failures


_SQUARE, _LOGISTIC, _HINGE = 0, 1, 2


@njit(cache=True)
def square_output(y: float, omega: float, V: float) -> tuple[float, float]:
    r""":math:`(f_{out}, \partial_\omega f_{out}) = ((y - \omega)/(1 + V), -1/(1 + V))` of :class:`Square` (compiled)."""
    return (y - omega) / (1.0 + V), -1.0 / (1.0 + V)


@njit(cache=True)
def logistic_output(y: float, omega: float, V: float, max_iterations: int) -> tuple[float, float, bool]:
    r""":math:`(f_{out}, \partial_\omega f_{out})` of :class:`Logistic` at one point, and whether its prox
    converged: :math:`(y t, -c/(1 + Vc))`, :math:`t = \sigma(-u^*)`, :math:`c = \sigma(u^*)\sigma(-u^*)` (compiled)."""
    u, converged = logistic_root(y * omega, V, max_iterations)
    t = expit(-u)
    c = expit(u) * t
    return y * t, -c / (1.0 + V * c), converged


@njit(cache=True)
def hinge_output(y: float, omega: float, V: float) -> tuple[float, float]:
    r""":math:`(f_{out}, \partial_\omega f_{out})` of :class:`Hinge` at one point (compiled): :math:`f_{out} =
    y\,\mathrm{clip}(1 - y\omega, 0, V)/V`, slope :math:`-1/V` on the closed middle interval, else 0."""
    u0 = y * omega
    d = min(max(1.0 - u0, 0.0), V)
    return y * d / V, (-1.0 / V if 1.0 - V <= u0 <= 1.0 else 0.0)


@njit(cache=True)
def compiled_output(kind: int, y: float, omega: float, V: float, max_iterations: int) -> tuple[float, float, bool]:
    r""":math:`(f_{out}, \partial_\omega f_{out}, \text{converged})` of the built-in loss of code ``kind``
    (:data:`COMPILED_LOSSES`) at one point (compiled)."""
    if kind == _SQUARE:
        f, df = square_output(y, omega, V)
        return f, df, True
    if kind == _LOGISTIC:
        return logistic_output(y, omega, V, max_iterations)
    f, df = hinge_output(y, omega, V)
    return f, df, True


@njit(cache=True)
def _output_loop(
    kind: int, y: np.ndarray, omega: np.ndarray, V: np.ndarray, max_iterations: int, f: np.ndarray, df: np.ndarray
) -> int:
    failures = 0
    for i in range(y.size):
        f[i], df[i], converged = compiled_output(kind, y[i], omega[i], V[i], max_iterations)
        failures += not converged
    return failures


def _compiled_outputs(kind: int, y: np.ndarray, omega: np.ndarray, V: np.ndarray, max_iterations: int) -> Arrays2:
    """:func:`compiled_output` elementwise on broadcast arrays (warns if a logistic prox did not converge)."""
    shape = np.broadcast(y, omega, V).shape
    flat = [np.ascontiguousarray(np.broadcast_to(a, shape), dtype=float).reshape(-1) for a in (y, omega, V)]
    f, df = np.empty(flat[0].size), np.empty(flat[0].size)
    failures = _output_loop(kind, flat[0], flat[1], flat[2], max_iterations, f, df)
    if failures:
        warnings.warn(
            f"logistic proximal operator: {failures} points not converged after {max_iterations} iterations",
            ConvergenceWarning,
            stacklevel=4,
        )
    return f.reshape(shape), df.reshape(shape)


class Logistic(Loss):
    r"""Logistic loss :math:`\ell = \ln(1 + e^{-yz})`, labels :math:`y = \pm 1`.

    With :math:`u = yz` and :math:`u_0 = y\omega` the prox is :math:`y(u_0 + Vt)`, where
    :math:`t\in(0,1)` is the unique root of

    .. math::
        h(t) = t - \sigma\big(-(u_0 + Vt)\big) = 0,\qquad h'(t) = 1 + V\sigma(u)\sigma(-u) \ge 1,

    (the stationarity condition :math:`(z-\omega)/V = y\,\sigma(-yz)`). In :math:`u` it reads
    :math:`g(u) = u - u_0 - V\sigma(-u) = 0` with :math:`g' = 1 + V\sigma(u)\sigma(-u) \ge 1`; :math:`g`
    is concave for :math:`u > 0` and convex for :math:`u < 0`, so Newton's method started at 0 (or
    at the end of the bracket :math:`[u_0, u_0 + V]` nearer to 0) on the root's side of 0 converges
    monotonically, in 2-7 steps for any :math:`V`; a compiled loop runs it point by point until the
    step is a few ulps of :math:`\max(1, |u|)`, and :math:`t = \sigma(-u^*)`. The prox
    :math:`y(u_0+Vt)` then has absolute accuracy ~1e-15 max(1, |u|) and :math:`t` (so
    :math:`\partial_\omega\mathcal M = -yt`) relative accuracy ~1e-15 max(1, |u|);
    :math:`\ell` is evaluated as ``logaddexp(0, -yz)`` and :math:`\sigma` as ``expit``, so nothing
    overflows for large :math:`|z|`.

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

    def _solve(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, ...]:
        """``t``, ``u* = y prox`` and the curvature sigma(u*) sigma(-u*) (see the class docstring)."""
        shape = np.broadcast(y, omega, V).shape
        y, omega, V = (np.ascontiguousarray(np.broadcast_to(a, shape), dtype=float).reshape(-1) for a in (y, omega, V))
        t, u, c = np.empty_like(omega), np.empty_like(omega), np.empty_like(omega)
        failures = _logistic_roots(y * omega, V, t, u, c, self.max_iterations)
        if failures:  # monotone Newton stops at rounding level; never pass a failure silently
            warnings.warn(
                f"logistic proximal operator: {failures} points not converged after {self.max_iterations} iterations",
                ConvergenceWarning,
                stacklevel=3,
            )
        return t.reshape(shape), u.reshape(shape), c.reshape(shape)

    def _proximal(self, y, omega, V):
        _, u, _ = self._solve(y, omega, V)
        return y * u

    def _moreau_envelope(self, y, omega, V):
        t, u, _ = self._solve(y, omega, V)
        return 0.5 * V * t**2 + np.logaddexp(0.0, -u)

    def _moreau_derivative(self, y, omega, V):
        t, _, _ = self._solve(y, omega, V)
        return -y * t

    def _proximal_derivative(self, y, omega, V):
        _, _, c = self._solve(y, omega, V)
        return 1.0 / (1.0 + V * c)

    def _output(self, y, omega, V):
        return _compiled_outputs(_LOGISTIC, y, omega, V, self.max_iterations)

    def _output_kinks(self, V: float) -> tuple[tuple[float, float], ...]:
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
        return _compiled_outputs(_HINGE, y, omega, V, 0)

    def _output_kinks(self, V: float) -> tuple[tuple[float, float], ...]:
        return ((1.0 - V, 0.0), (1.0, 0.0))


LOSSES: dict[str, Loss] = {cls.name: cls() for cls in (Square, Logistic, Hinge)}
"""Loss names accepted by :func:`get_loss`, mapped to instances."""

COMPILED_LOSSES: dict[type[Loss], int] = {Square: _SQUARE, Logistic: _LOGISTIC, Hinge: _HINGE}
"""The built-in losses (exact types, not subclasses) and their codes for :func:`compiled_output`."""


def get_loss(loss: str | Loss) -> Loss:
    """A loss from its name (``"square"``, ``"logistic"``, ``"hinge"``) or a :class:`Loss` passed through.

    Raises ``ValueError`` for an unknown name (listing the known ones) and ``TypeError`` for
    anything but a name or a :class:`Loss`.
    """
    return lookup("loss", loss, Loss, LOSSES, {})
