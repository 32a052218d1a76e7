r"""Output channels of a generalised linear model: the output function GAMP calls and the free entropy the replica formula uses.

A channel :math:`P_{out}(y|z)` produces the label of a pattern from its pre-activation
:math:`z = x\cdot w^*/\sqrt N`, whose variance is :math:`\rho = \mathbb{E} w^{*2}` (set by the
prior). Every Bayes-optimal computation sees it through one scalar partition function
(Barbier, Krzakala, Macris, Miolane & Zdeborová, PNAS 116, 5451 (2019); Rangan 2011):

.. math::
    Z_{out}(y,\omega,V) = \mathbb{E}_{z\sim N(0,1)}\, P_{out}(y\,|\,\omega + \sqrt V z),\qquad
    g_{out} = \partial_\omega \ln Z_{out},\qquad \partial_\omega g_{out}.

GAMP calls :meth:`Channel.output` ``(y, omega, V) -> (g_out, dg_out)`` at every step. The replica
formula needs the same functions averaged over the labels and over
:math:`\omega = \sqrt q\,\xi`, :math:`V = \rho - q`, :math:`\xi\sim N(0,1)` (:math:`q` is the
overlap of the Bayes-optimal estimator with the teacher, equal to its self-overlap by the Nishimori
identity; notation of ``docs/theory/glm.md``):

.. math::
    \Psi_{out}(q) = \mathbb{E}_\xi \int dy\, Z_{out}\ln Z_{out}, \qquad
    \frac{\hat m}{\alpha} = \mathbb{E}_\xi \int dy\, Z_{out}\, g_{out}^2, \qquad
    \frac{d\Psi_{out}}{dq} = \frac{\hat m}{2\alpha}.

:meth:`Channel.free_entropy` and :meth:`Channel.conjugate` are both one label average
of :math:`\ln Z_{out}` and of :math:`g_{out}^2`, computed by the same code as
:meth:`Channel.log_partition` and :meth:`Channel.output`, so the replica equations and GAMP
share every formula. At :math:`q = \rho` the channel is evaluated at :math:`V = 0`, where :math:`\Psi_{out}(\rho) = \mathbb{E}_z \int dy\,
P_{out}\ln P_{out} = -H(Y|Z)` (hence :meth:`Channel.conditional_entropy`); channels for which
:math:`V = 0` is singular (a noiseless threshold, the ReLU) return the limit :math:`q\to\rho`, which
for the conjugate of the sign and noisy-sign channels is ``inf`` (it diverges as
:math:`(\rho - q)^{-1/2}`).

The label averages resolve the crossover of width :math:`\sqrt{(\rho - q)/q}` at :math:`\xi = 0`
(where the posterior learns the sign of :math:`z`) with the kink rule of
:func:`statlearn.numerics.gaussian_expectation`, so they stay accurate as :math:`q\to\rho`.

To add a channel, subclass :class:`Channel` and implement the elementwise hooks ``_log_partition``,
``_output``, ``_sample``, ``_generalization_error`` and the label average ``_label_average(fn, q,
rho)`` (:math:`\mathbb{E}_\xi\int dy\, Z_{out}\, fn`); the public methods validate their
arguments and call them. Override ``_free_entropy_limit`` and ``_conjugate_limit`` if the label
average is singular at :math:`q = \rho`.

**A student that is not the teacher** (empirical risk minimisation, mismatched models: Loureiro et
al., NeurIPS 2021; Gerace et al., ICML 2020). A student's field :math:`\omega` and the teacher's
pre-activation :math:`\nu` are centred Gaussians with :math:`\mathbb{E}\nu^2 = \rho`,
:math:`\mathbb{E}\nu\omega = m`, :math:`\mathbb{E}\omega^2 = q`, so given :math:`\omega` the teacher
sees :math:`\nu \sim N(\mu, V_0)`, :math:`\mu = m\omega/q`, :math:`V_0 = \rho - m^2/q`, and the labels
have weight :math:`Z_{out}(y, \mu, V_0)` with slope :math:`\partial_\mu Z_{out}`
(:meth:`Channel.partition_and_slope`). :meth:`Channel.teacher_average` is the one average over
:math:`(\omega, y)` that the ERM saddle point (:mod:`statlearn.models.student`) and any other
student call; the Bayes-optimal case is :math:`m = q`. For the threshold channels the weights are
the compiled scalar :func:`threshold_weight`, which compiled loops call directly.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from scipy import special

from statlearn.models.naming import lookup
from statlearn.numerics.gaussian import (
    bivariate_gaussian_expectation,
    crossover_width,
    gaussian_expectation,
    graded_rule,
    hermite_rule,
    node_sum,
)
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.special import H, arccos_kernel, gaussian_hazard, gaussian_hazard_gap, log_gaussian_pdf, log_H
from statlearn.numerics.validation import as_real_array, as_real_scalar, extreme_arguments

__all__ = [
    "Channel",
    "ThresholdChannel",
    "SignChannel",
    "NoisySignChannel",
    "ProbitChannel",
    "GaussianChannel",
    "ReluChannel",
    "CHANNELS",
    "get_channel",
    "sign_error",
    "teacher_variance",
    "threshold_weight",
]

LabelFunction = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
r"""A function ``fn(y, omega, V)`` averaged over the labels and :math:`\xi` by ``Channel._label_average``."""

TeacherIntegrand = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], Sequence[ArrayLike]]
r"""A function ``fn(y, omega, z0, slope)`` averaged by :meth:`Channel.teacher_average`: it returns a tuple
of arrays (broadcast with ``y``), each already multiplied by the teacher's weight ``z0`` or ``slope``."""

_LOG_2PI_E = float(np.log(2.0 * np.pi * np.e))
_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)
_REACH = 9.0  # teacher_average covers |xi| <= 9 (Gaussian weight beyond: 2e-19)
_HERMITE_2D = 40  # Gauss-Hermite order per axis of the Gaussian teacher's (omega, y) rule
_REPLICA_ORDER = 48  # Gauss-Hermite nodes of the threshold channels' closed-form label sums (exact to ~1e-15)
_REPLICA_RULE = hermite_rule(_REPLICA_ORDER)  # built once: the solvers' inner loop evaluates it at every step


def _crossover_width(variance: np.ndarray, q: np.ndarray) -> np.ndarray:
    r"""Width :math:`\sqrt{\text{variance}/q}` of the crossover at :math:`\xi = 0`, capped at 1."""
    with np.errstate(divide="ignore"):
        return crossover_width(np.sqrt(np.maximum(q, 1e-300) / variance))


def sign_error(m: ArrayLike, q: ArrayLike, rho: ArrayLike) -> np.ndarray | float:
    r"""Probability that a student's sign disagrees with the teacher's, :math:`\arccos(m/\sqrt{\rho q})/\pi`.

    For centred jointly Gaussian fields :math:`(\nu, \omega)` with :math:`\mathbb{E}\nu^2 = \rho`,
    :math:`\mathbb{E}\omega^2 = q`, :math:`\mathbb{E}\nu\omega = m`,
    :math:`P(\operatorname{sign}\omega\ne\operatorname{sign}\nu) = \arccos(m/\sqrt{\rho q})/\pi`
    (Sheppard's formula; Engel & Van den Broeck 2001, eq. (2.42)): the 0-1 error of a linear
    classifier against a noiseless sign teacher. 1/2 at ``q = 0``. The Bayes-optimal estimator has
    ``q = m``, a Gibbs sample ``q = rho``; ERM any ``q`` with :math:`m^2 \le \rho q`. A cosine outside
    :math:`[-1, 1]` (finite-sample estimates of the overlaps) is clipped to it.
    """
    m = as_real_array("m", m)
    q = as_real_array("q", q, minimum=0.0)
    rho = as_real_array("rho", rho, minimum=0.0, strict_minimum=True)
    m, q, rho = np.broadcast_arrays(m, q, rho)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        cosine = np.where(q > 0, (m / rho) / np.sqrt(q / rho), 0.0)  # = m / sqrt(rho q), no overflow
    return (np.arccos(np.clip(cosine, -1.0, 1.0)) / np.pi)[()]


def teacher_variance(m: float, q: float, rho: float) -> tuple[float, float]:
    r"""``(q, V0)``: the student's variance kept positive, and the teacher's conditional variance
    :math:`V_0 = \rho - m^2/q` given the student's field (kept above :math:`10^{-14}\rho`: a vanishing
    :math:`V_0` is a step in :math:`\xi` that the graded rule resolves at width ~1e-7)."""
    m, q, rho = _real_scalar("m", m), _real_scalar("q", q, 0.0), _real_scalar("rho", rho, 0.0, strict=True)
    q = max(q, 1e-300)
    return q, max(rho - m * m / q, 1e-14 * rho)


@njit(cache=True)
def threshold_weight(y: float, mu: float, V: float, flip: float, noise: float) -> tuple[float, float]:
    r""":math:`(Z_{out}, \partial_\mu Z_{out})` of a threshold channel at one point (compiled scalar).

    :math:`Z_{out} = \epsilon + (1-2\epsilon)H(x)`, :math:`\partial_\mu Z_{out} = (1-2\epsilon)\, y\,
    \varphi(x)/\sqrt{V_e}`, :math:`x = -y\mu/\sqrt{V_e}`, :math:`V_e = V + s` (``flip`` =
    :math:`\epsilon`, ``noise`` = :math:`s`, :class:`ThresholdChannel`): the one definition that the
    vectorised :meth:`Channel.partition_and_slope` and the compiled loops of
    :mod:`statlearn.models.student` both call.
    """
    v_eff = V + noise
    x = -y * mu / math.sqrt(v_eff)
    kept = 1.0 - 2.0 * flip
    return flip + kept * 0.5 * math.erfc(x / _SQRT2), kept * y * math.exp(-0.5 * x * x) / math.sqrt(
        2.0 * math.pi * v_eff
    )


@njit(cache=True)
def _threshold_weights(
    y: np.ndarray, mu: np.ndarray, V: np.ndarray, flip: float, noise: float, z: np.ndarray, slope: np.ndarray
) -> None:
    for i in range(y.size):
        z[i], slope[i] = threshold_weight(y[i], mu[i], V[i], flip, noise)


def _real_scalar(name: str, value: float, minimum: float | None = None, strict: bool = False) -> float:
    """``value`` as a finite float (>= or > ``minimum``), checked cheaply for plain numbers (hot loops)."""
    if isinstance(value, (float, int)) and not isinstance(value, bool) and math.isfinite(value):
        x = float(value)
        if minimum is None or (x > minimum if strict else x >= minimum):
            return x
    return as_real_scalar(name, value, minimum=minimum, strict_minimum=strict)


def _student_overlaps(m: float, q: float, rho: float) -> tuple[float, float, float]:
    rho = _real_scalar("rho", rho, 0.0, strict=True)
    q = _real_scalar("q", q, 0.0)
    m = _real_scalar("m", m)
    if m * m > rho * q * (1.0 + 1e-9):
        raise ValueError(f"m must satisfy m^2 <= rho q, got m = {m!r}, q = {q!r}, rho = {rho!r}")
    return m, q, rho


def _finite_or_refused(channel: Channel, values: ArrayLike, arguments: str = "y, omega, V") -> np.ndarray:
    """``values`` as an array, or a ValueError if the channel's formulas gave NaN (arguments so extreme,
    e.g. |y| ~ 1e300, that the exponents overflow before they cancel)."""
    values = np.asarray(values)
    if np.any(np.isnan(values)):
        raise ValueError(
            f"the {channel.name} channel has no finite value at these {arguments} (too extreme for doubles)"
        )
    return values


def _overlap(name: str, q: ArrayLike, rho: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    rho = as_real_array("rho", rho, minimum=0.0, strict_minimum=True)
    q = as_real_array(name, q, minimum=0.0)
    for label, array in (("rho", rho), (name, q)):
        if array.size == 0:
            raise ValueError(f"{label} must not be empty")
    try:
        q, rho = np.broadcast_arrays(q, rho)
    except ValueError:
        raise ValueError(f"{name} and rho must broadcast, got shapes {q.shape} and {rho.shape}") from None
    above = q > rho
    if np.any(above):
        raise ValueError(
            f"{name} must be in [0, rho], got {name} = {q[above].ravel()[0]!r} > rho = {rho[above].ravel()[0]!r}"
        )
    return q, rho


class Channel(ABC):
    """An output channel :math:`P_{out}(y|z)` (see the module docstring for the equations)."""

    name: ClassVar[str]
    discrete_labels: ClassVar[bool]
    """True when the labels are :math:`y = \\pm 1`."""
    parameters: ClassVar[tuple[str, ...]] = ()
    """Names of the constructor's parameters (attributes of the instance)."""
    log_concave: bool = False
    r""":math:`P_{out}(y|z)` is log-concave in :math:`z` for every label (sign, probit, Gaussian): with a
    :attr:`~statlearn.models.priors.Prior.log_concave` prior the state evolution has one fixed point."""

    # -- elementwise pieces, implemented by every channel -------------------------------------

    @abstractmethod
    def _log_partition(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        r""":math:`\ln Z_{out}(y, \omega, V)`, elementwise on broadcast arrays."""

    @abstractmethod
    def _output(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`(g_{out}, \partial_\omega g_{out})`, elementwise on broadcast arrays."""

    @abstractmethod
    def _sample(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Labels drawn from :math:`P_{out}(\\cdot|z)`."""

    @abstractmethod
    def _label_average(self, fn: LabelFunction, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r""":math:`\mathbb{E}_\xi \int dy\, Z_{out}(y,\omega,V)\, fn(y,\omega,V)` at
        :math:`\omega = \sqrt q\,\xi`, :math:`V = \rho - q`, for broadcast arrays ``0 <= q <= rho``.

        ``q = rho`` is passed only where the channel keeps the default ``_*_limit`` methods.
        """

    @abstractmethod
    def _generalization_error(self, m: np.ndarray, rho: np.ndarray) -> np.ndarray:
        """Test error of the Bayes-optimal predictor at overlap ``m``."""

    def _partition_and_slope(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`(Z_{out}, \partial_\omega Z_{out} = Z_{out}\, g_{out})`, elementwise (the weights of
        averages over labels, e.g. the ERM saddle point's); channels with cheaper closed forms override it."""
        z = np.exp(self._log_partition(y, omega, V))
        return z, z * self._output(y, omega, V)[0]

    def _teacher_average(
        self, integrand: TeacherIntegrand, m: float, q: float, v0: float, kinks: Sequence[tuple[float, float]]
    ) -> np.ndarray:
        """:meth:`teacher_average` at valid arguments (``q > 0``, ``v0 > 0``): for labels +-1 the sum over
        both labels on :meth:`label_rule`; channels with continuous labels override it."""
        if not self.discrete_labels:
            raise ValueError(f"teacher_average is not available for the {self.name} channel (continuous labels)")
        root_q = math.sqrt(q)
        xi, w = self._label_rule(m, q, v0, kinks)
        n = xi.size  # both labels in one call of every elementwise function: y = +1 on the first half
        y = np.concatenate([np.ones(n), -np.ones(n)])
        omega, mu = np.tile(root_q * xi, 2), np.tile((m / root_q) * xi, 2)
        z0, slope = self._partition_and_slope(y, mu, np.full(2 * n, v0))
        values = np.stack([np.broadcast_to(a, y.shape) for a in integrand(y, omega, z0, slope)])
        return values[:, :n] @ w + values[:, n:] @ w

    def _label_rule(
        self, m: float, q: float, v0: float, kinks: Sequence[tuple[float, float]]
    ) -> tuple[np.ndarray, np.ndarray]:
        kept: dict[float, float] = {0.0: min(1.0, math.sqrt(v0 * q) / max(abs(m), 1e-300))}
        for where, width in kinks:
            kept[where] = min(kept.get(where, np.inf), width)
        return graded_rule(list(kept.items()), reach=_REACH)

    # -- public entry points (validated) --------------------------------------------------------

    def log_partition(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> np.ndarray | float:
        r""":math:`\ln Z_{out}(y, \omega, V)` for ``V > 0``, elementwise, finite in the tails."""
        with extreme_arguments():
            return _finite_or_refused(self, self._log_partition(*self._check_inputs(y, omega, V)))[()]

    def output(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> tuple[np.ndarray | float, np.ndarray | float]:
        r""":math:`(g_{out}, \partial_\omega g_{out})` for ``V > 0``, elementwise (what GAMP calls)."""
        with extreme_arguments():
            g, dg = self._output(*self._check_inputs(y, omega, V))
        return _finite_or_refused(self, g)[()], _finite_or_refused(self, dg)[()]

    def sample(self, z: ArrayLike, rng: np.random.Generator | int) -> np.ndarray | float:
        """Labels drawn from :math:`P_{out}(\\cdot|z)` for the pre-activations ``z`` (``rng``: a numpy
        Generator or an integer seed)."""
        return np.asarray(self._sample(as_real_array("z", z), as_generator(rng, "rng")))[()]

    def partition_and_slope(
        self, y: ArrayLike, omega: ArrayLike, V: ArrayLike
    ) -> tuple[np.ndarray | float, np.ndarray | float]:
        r""":math:`(Z_{out}, \partial_\omega Z_{out})` for ``V > 0``, elementwise: the teacher's weight of a
        label and its slope, the pieces of :meth:`teacher_average`."""
        with extreme_arguments():
            z, slope = self._partition_and_slope(*np.broadcast_arrays(*self._check_inputs(y, omega, V)))
        return _finite_or_refused(self, z)[()], _finite_or_refused(self, slope)[()]

    def teacher_average(
        self,
        integrand: TeacherIntegrand,
        m: float,
        q: float,
        rho: float,
        *,
        kinks: Sequence[tuple[float, float]] = (),
    ) -> np.ndarray:
        r"""Average over a student's field and the teacher's label (module docstring) of
        ``integrand(y, omega, z0, slope)``.

        :math:`\omega = \sqrt q\,\xi`, :math:`\xi\sim N(0,1)`; given :math:`\omega` the label has weight
        ``z0`` :math:`= Z_{out}(y, \mu, V_0)` and ``slope`` :math:`= \partial_\mu Z_{out}(y, \mu, V_0)`,
        :math:`\mu = m\omega/q`, :math:`V_0 = \rho - m^2/q`, so that e.g.
        :math:`\mathbb{E}\, g_0 f = ` ``teacher_average(lambda y, w, z0, s: s * f(y, w), m, q, rho)``
        (``z0`` and ``slope`` may be scalars where the rule carries the weight, as for the Gaussian
        channel). ``kinks``: extra panel edges ``(xi, width)`` in :math:`\xi` where the integrand bends
        (labels +-1). Returns the averages, a 1-d array with one entry per array the integrand returns.
        """
        m, q, rho = _student_overlaps(m, q, rho)
        q, v0 = teacher_variance(m, q, rho)
        pairs = [(float(a), float(b)) for a, b in kinks]
        return self._teacher_average(integrand, m, q, v0, pairs)

    def label_rule(
        self, m: float, q: float, rho: float, *, kinks: Sequence[tuple[float, float]] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""Nodes and weights in :math:`\xi = \omega/\sqrt q` of :meth:`teacher_average` for labels +-1: a
        graded Gauss-Legendre rule with a panel edge at the teacher's crossover :math:`\xi = 0` (width
        :math:`\sqrt{V_0 q}/|m|`, capped at 1) and at ``kinks``, over :math:`|\xi| \le 9`."""
        m, q, rho = _student_overlaps(m, q, rho)
        q, v0 = teacher_variance(m, q, rho)
        return self._label_rule(m, q, v0, [(float(a), float(b)) for a, b in kinks])

    def generalization_error(self, m: ArrayLike, rho: ArrayLike) -> np.ndarray | float:
        """Test error of the Bayes-optimal predictor at overlap ``m`` in ``[0, rho]`` (defined by each channel)."""
        return np.asarray(self._generalization_error(*_overlap("m", m, rho)))[()]

    # -- replica pieces, one definition for every channel -------------------------------------

    def free_entropy(self, q: ArrayLike, rho: ArrayLike) -> np.ndarray | float:
        r""":math:`\Psi_{out}(q) = \mathbb{E}_\xi \int dy\, Z_{out}\ln Z_{out}` at
        :math:`\omega=\sqrt q\xi`, :math:`V=\rho-q`, vectorised over ``q`` in ``[0, rho]``.
        At ``q = rho`` it is :math:`-H(Y|Z)`."""
        q, rho = _overlap("q", q, rho)
        with extreme_arguments():
            value = self._interior_or_limit(self._free_entropy_average, self._free_entropy_limit, q, rho)
        return _finite_or_refused(self, value, "q, rho")[()]

    def conjugate(self, q: ArrayLike, rho: ArrayLike) -> np.ndarray | float:
        r""":math:`\hat m/\alpha = \mathbb{E}_\xi \int dy\, Z_{out}\, g_{out}^2` at
        :math:`\omega=\sqrt q\xi`, :math:`V=\rho-q` (equal to :math:`2\, d\Psi_{out}/dq`),
        vectorised over ``q`` in ``[0, rho]``; at ``q = rho`` the limit (``inf`` if it diverges)."""
        q, rho = _overlap("q", q, rho)
        with extreme_arguments():
            value = self._interior_or_limit(self._conjugate_average, self._conjugate_limit, q, rho)
        return _finite_or_refused(self, value, "q, rho")[()]

    def conditional_entropy(self, rho: ArrayLike) -> np.ndarray | float:
        r""":math:`H(Y|Z) = -\mathbb{E}_{z\sim N(0,\rho)}\int dy\, P_{out}\ln P_{out} = -\Psi_{out}(\rho)`
        (nats; a differential entropy for continuous labels)."""
        return (0.0 - np.asarray(self.free_entropy(rho, rho)))[()]  # 0.0 - x: no -0.0 for noiseless channels

    def _free_entropy_average(self, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r""":math:`\Psi_{out}(q)` at valid broadcast arrays (unchecked, for the solvers' inner loops): the
        label average of :math:`\ln Z_{out}`; channels with a cheaper exact form override it."""
        return self._label_average(self._log_partition, q, rho)

    def _conjugate_average(self, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r""":math:`\hat m/\alpha` at valid broadcast arrays (unchecked, for the solvers' inner loops): the
        label average of :math:`g_{out}^2`; channels with a cheaper exact form override it."""
        return self._label_average(self._squared_output, q, rho)

    def _free_entropy_limit(self, rho: np.ndarray) -> np.ndarray:
        r""":math:`\Psi_{out}` at :math:`q=\rho`; by default the average evaluated there."""
        return self._free_entropy_average(rho, rho)

    def _conjugate_limit(self, rho: np.ndarray) -> np.ndarray:
        r"""Limit of the conjugate as :math:`q\to\rho`; by default the average evaluated there."""
        return self._conjugate_average(rho, rho)

    def _squared_output(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        return self._output(y, omega, V)[0] ** 2

    def _interior_or_limit(
        self,
        average: Callable[[np.ndarray, np.ndarray], np.ndarray],
        limit: Callable[[np.ndarray], np.ndarray],
        q: np.ndarray,
        rho: np.ndarray,
    ) -> np.ndarray | float:
        end = q == rho
        if not np.any(end):
            return np.asarray(average(q, rho))[()]
        interior = average(np.where(end, 0.0, q), rho)
        return np.where(end, limit(rho), interior)[()]

    def conjugate_interior(self, q: np.ndarray, rho: np.ndarray | float) -> np.ndarray:
        r""":meth:`conjugate` without validation, for overlaps ``q`` (a float array) in ``[0, rho]``: the
        inner-loop entry of the replica solvers (:mod:`statlearn.replica.glm`), which check their arguments
        once."""
        with extreme_arguments():
            average, limit = self._conjugate_average, self._conjugate_limit
            return np.asarray(self._interior_or_limit(average, limit, q, np.asarray(rho, dtype=float)))

    def free_entropy_interior(self, q: np.ndarray, rho: np.ndarray | float) -> np.ndarray:
        r""":meth:`free_entropy` without validation, for overlaps ``q`` (a float array) in ``[0, rho]``."""
        with extreme_arguments():
            average, limit = self._free_entropy_average, self._free_entropy_limit
            return np.asarray(self._interior_or_limit(average, limit, q, np.asarray(rho, dtype=float)))

    # -- boundary checks ------------------------------------------------------------------------

    def _check_inputs(self, y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = as_real_array("y", y)
        if self.discrete_labels and np.any(np.abs(y) != 1.0):
            raise ValueError(f"y must be -1 or +1 for the {self.name} channel, got {y[np.abs(y) != 1.0].ravel()[0]!r}")
        return y, as_real_array("omega", omega), as_real_array("V", V, minimum=0.0, strict_minimum=True)

    def __repr__(self) -> str:
        args = ", ".join(f"{p}={getattr(self, p)!r}" for p in self.parameters)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, p) == getattr(other, p) for p in self.parameters)

    def __hash__(self) -> int:
        return hash((type(self), tuple(getattr(self, p) for p in self.parameters)))


def _noise_variance(delta: float, *, zero: bool = False) -> float:
    """``delta`` as a float, > 0 (>= 0 with ``zero=True``, for channels whose noiseless limit is regular)."""
    return as_real_scalar("delta", delta, minimum=0.0, strict_minimum=not zero)


# --------------------------------------------------------------------------- classification


class ThresholdChannel(Channel):
    r"""Labels :math:`y = \pm\operatorname{sign}(z + \sqrt{s}\,\eta)`, flipped with probability
    :math:`\epsilon`: :math:`Z_{out} = \epsilon + (1-2\epsilon)\, H(-y\omega/\sqrt{V+s})`.

    With :math:`x = -y\omega/\sqrt{V_e}`, :math:`V_e = V + s`, :math:`R = \varphi/H` (the Gaussian
    hazard) and :math:`\sigma = (1-2\epsilon)H(x)/Z_{out}` (the probability that the label was
    not flipped, given :math:`\omega`):

    .. math::
        g_{out} = \frac{y R(x)\,\sigma}{\sqrt{V_e}},\qquad
        \partial_\omega g_{out} = -\frac{\sigma R(x)}{V_e}\,\big(\sigma R(x) - x\big)
        = -\frac{\sigma R(x)}{V_e}\,\big(\sigma\,[R(x) - x] - (1 - \sigma)\, x\big),

    all from ``log_H``, ``gaussian_hazard`` and the continued fraction for :math:`R(x) - x`, so
    accurate for any finite :math:`x` (e.g. :math:`\omega` on the wrong side with :math:`V\to0`).
    """

    discrete_labels = True
    flip: float = 0.0
    r"""Flip probability :math:`\epsilon` of the label."""
    noise: float = 0.0
    r"""Variance :math:`s` of the Gaussian noise before the threshold."""

    @property
    def log_concave(self) -> bool:  # type: ignore[override]
        r""":math:`H(-yz/\sqrt s)` is log-concave in :math:`z`; a flip floor :math:`\epsilon > 0` is not."""
        return self.flip == 0.0

    def _tail_argument(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        v_eff = V + self.noise
        return -y * omega / np.sqrt(v_eff), v_eff

    def _log_terms(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ln epsilon, ln[(1 - 2 epsilon) H(x)]): the flipped and the kept part of Z_out."""
        with np.errstate(divide="ignore"):
            log_flip = np.log(self.flip)
        return np.broadcast_to(log_flip, np.shape(x)), np.log1p(-2.0 * self.flip) + log_H(x)

    def _log_partition(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        x, _ = self._tail_argument(y, omega, V)
        return np.logaddexp(*self._log_terms(x))

    def _output(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, v_eff = self._tail_argument(y, omega, V)
        if self.flip == 0.0:  # (no log-ratio: both logs are -inf far on the wrong side)
            kept, flipped = np.ones_like(x), np.zeros_like(x)
        else:
            log_flip, log_kept = self._log_terms(x)
            kept, flipped = special.expit(log_kept - log_flip), special.expit(log_flip - log_kept)
        hazard = gaussian_hazard(x)
        r = hazard * kept
        return y * r / np.sqrt(v_eff), -r * (kept * gaussian_hazard_gap(x, hazard) - flipped * x) / v_eff

    def _partition_and_slope(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:func:`threshold_weight` elementwise."""
        shape = np.broadcast(y, omega, V).shape
        flat = [np.ascontiguousarray(np.broadcast_to(a, shape), dtype=float).reshape(-1) for a in (y, omega, V)]
        z, slope = np.empty(flat[0].size), np.empty(flat[0].size)
        _threshold_weights(flat[0], flat[1], flat[2], self.flip, self.noise, z, slope)
        return z.reshape(shape), slope.reshape(shape)

    def _sample(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        labels = np.where(z + np.sqrt(self.noise) * rng.standard_normal(z.shape) >= 0.0, 1.0, -1.0)
        return np.where(rng.random(z.shape) < self.flip, -labels, labels)

    def _label_average(self, fn: LabelFunction, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r"""Sum over :math:`y=\pm1`, then :math:`\mathbb{E}_\xi` with the kink rule at :math:`\xi=0`,
        width :math:`\sqrt{(\rho - q + s)/q}` (capped at 1). Needs :math:`\rho - q + s > 0`."""

        def integrand(xi: np.ndarray, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
            omega, V = np.sqrt(q) * xi, rho - q
            labels = [np.full(np.shape(omega), y) for y in (1.0, -1.0)]
            return np.sum([np.exp(self._log_partition(y, omega, V)) * fn(y, omega, V) for y in labels], axis=0)

        width = _crossover_width(rho - q + self.noise, q)
        return np.asarray(gaussian_expectation(integrand, q, rho, kink=0.0, width=width))

    def _scaled_rule(self, q: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        r"""(``t`` = :math:`k u` on the nodes :math:`u` of the cached Gauss-Hermite rule, its weights,
        :math:`V_e`, :math:`q + V_e`) for the label sum in closed form (:meth:`_conjugate_average`)."""
        u, w = _REPLICA_RULE
        v_eff = rho - q + self.noise
        total = q + v_eff
        return np.multiply.outer(u, np.sqrt(q / total)), w, v_eff, total

    def _conjugate_average(self, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r"""Without flips, the label sum and the crossover are done in closed form (sign and probit):
        with :math:`s = \sqrt{q/V_e}` and :math:`Z_{out}(+1) = H(-s\xi)`, the symmetry :math:`(y,\xi)\to(-y,-\xi)`
        and :math:`t = s\xi`, :math:`\varphi(t/s)\varphi(t) = \varphi(t/k)/\sqrt{2\pi}`, :math:`k = \sqrt{q/(q+V_e)}`,

        .. math:: \frac{\hat m}{\alpha} = \frac{2\,\mathbb{E}_u R(k u)}{\sqrt{2\pi V_e (q+V_e)}},\qquad
           \Psi_{out} = 2\sqrt{\frac{V_e}{2\pi (q+V_e)}}\;\mathbb{E}_u\frac{\ln H(k u)}{R(k u)},

        :math:`u\sim N(0,1)`, :math:`R = \varphi/H`: smooth integrands (nearest complex singularities, the zeros
        of :math:`H`, at :math:`|\Im t| = 2.8`, and :math:`k < 1`) on a fixed 48-node Gauss-Hermite rule, exact to
        a few ulp for every :math:`q < \rho` (the crossover of width :math:`1/s` is absorbed by the change of
        variables). With flips (noisy sign) the integrand has poles near the real axis: the generic label average."""
        if self.flip != 0.0:
            return super()._conjugate_average(q, rho)
        t, w, v_eff, total = self._scaled_rule(q, rho)
        return 2.0 * node_sum(w, gaussian_hazard(t)) / (_SQRT_2PI * np.sqrt(v_eff) * np.sqrt(total))

    def _free_entropy_average(self, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
        """Closed-form label sum without flips (see :meth:`_conjugate_average`)."""
        if self.flip != 0.0:
            return super()._free_entropy_average(q, rho)
        t, w, v_eff, total = self._scaled_rule(q, rho)
        mean = node_sum(w, log_H(t) / gaussian_hazard(t))
        return 2.0 * np.sqrt(v_eff / total) * mean / _SQRT_2PI

    def _squared_output(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        r""":math:`g_{out}^2` alone (no :math:`\partial_\omega g_{out}`)."""
        x, v_eff = self._tail_argument(y, omega, V)
        if self.flip == 0.0:
            return gaussian_hazard(x) ** 2 / v_eff
        log_flip, log_kept = self._log_terms(x)
        return (gaussian_hazard(x) * special.expit(log_kept - log_flip)) ** 2 / v_eff

    def _free_entropy_limit(self, rho: np.ndarray) -> np.ndarray:
        r"""Without noise before the threshold the label is :math:`\operatorname{sign}\omega` flipped with
        probability :math:`\epsilon`: :math:`\Psi_{out}(\rho) = \epsilon\ln\epsilon + (1-\epsilon)\ln(1-\epsilon)`."""
        if self.noise > 0:
            return super()._free_entropy_limit(rho)
        eps = self.flip
        return np.full(np.shape(rho), special.xlogy(eps, eps) + special.xlogy(1.0 - eps, 1.0 - eps))

    def _conjugate_limit(self, rho: np.ndarray) -> np.ndarray:
        r"""Without noise before the threshold the conjugate diverges as :math:`(\rho-q)^{-1/2}`: ``inf``."""
        if self.noise > 0:
            return super()._conjugate_limit(rho)
        return np.full(np.shape(rho), np.inf)

    def _generalization_error(self, m: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r"""Bayes-optimal 0-1 error against the teacher's noiseless label :math:`\operatorname{sign}(z)`:
        :math:`\arccos(\sqrt{m/\rho})/\pi`.

        The Bayes-optimal classifier is :math:`\operatorname{sign}\hat\omega` with :math:`\hat\omega` the
        posterior-mean pre-activation; by the Nishimori identity :math:`(\hat\omega, z)` are
        centred Gaussians with :math:`\mathbb{E}\hat\omega^2 = \mathbb{E}\hat\omega z = m`,
        :math:`\mathbb{E} z^2 = \rho`, so their correlation is :math:`\sqrt{m/\rho}`
        (1/2 at ``m = 0``, 0 at ``m = rho``). The error against the noisy label :math:`y` is
        :math:`\epsilon + (1 - 2\epsilon)` times this for the noisy-sign channel.
        """
        return np.asarray(sign_error(m, m, rho))

    def gibbs_error(self, m: ArrayLike, rho: ArrayLike) -> np.ndarray | float:
        r"""0-1 error of a posterior sample (Gibbs student) against :math:`\operatorname{sign}(z)`:
        :math:`\arccos(m/\rho)/\pi` (the sample has norm :math:`\rho` and overlap :math:`m` with the teacher)."""
        m, rho = _overlap("m", m, rho)
        return sign_error(m, rho, rho)


class SignChannel(ThresholdChannel):
    r"""Noiseless perceptron teacher :math:`y = \operatorname{sign}(z)`: :math:`Z_{out} = H(-y\omega/\sqrt V)`.

    :math:`H(Y|Z) = 0`, :math:`\Psi_{out}(0) = -\ln 2`, :math:`\Psi_{out}(\rho) = 0`,
    conjugate :math:`2/(\pi\rho)` at ``q = 0`` and ``inf`` at ``q = rho``.
    """

    name = "sign"


class NoisySignChannel(ThresholdChannel):
    r""":math:`y = \operatorname{sign}(z)` flipped with probability ``delta`` in ``[0, 1/2)``:
    :math:`Z_{out} = \delta + (1-2\delta) H(-y\omega/\sqrt V)` (logs by log-sum-exp, exact at
    ``delta = 0``, where it is the sign channel). :math:`H(Y|Z) = -\delta\ln\delta - (1-\delta)\ln(1-\delta)`.
    """

    name = "noisy-sign"
    parameters = ("delta",)

    def __init__(self, delta: float) -> None:
        self.delta = as_real_scalar("delta", delta, minimum=0.0)
        if not self.delta < 0.5:
            raise ValueError(f"delta (flip probability) must be < 1/2, got {self.delta!r}")
        self.flip = self.delta


class ProbitChannel(ThresholdChannel):
    r""":math:`y = \operatorname{sign}(z + \sqrt\delta\,\eta)`, :math:`\eta\sim N(0,1)`, i.e.
    :math:`P_{out}(y|z) = H(-yz/\sqrt\delta)`, ``delta >= 0``: :math:`Z_{out} = H(-y\omega/\sqrt{V+\delta})`
    (``delta = 0`` is the sign channel)."""

    name = "probit"
    parameters = ("delta",)

    def __init__(self, delta: float) -> None:
        self.delta = _noise_variance(delta, zero=True)
        self.noise = self.delta


# --------------------------------------------------------------------------- regression


class GaussianChannel(Channel):
    r"""Linear regression :math:`y = z + \sqrt\delta\,\eta`, ``delta >= 0`` (0: the noiseless linear teacher,
    whose :math:`\Psi_{out}` and conjugate diverge at :math:`q = \rho`). Closed forms:

    .. math::
        Z_{out} = N(y;\omega, V+\delta),\quad g_{out} = \frac{y-\omega}{V+\delta},\quad
        \partial_\omega g_{out} = -\frac{1}{V+\delta},\quad
        \Psi_{out}(q) = -\tfrac12\ln\big(2\pi e(\rho-q+\delta)\big),\quad
        \frac{\hat m}{\alpha} = \frac{1}{\rho-q+\delta}.

    The generic path of :class:`Channel` (``Channel.free_entropy(channel, q, rho)``: a bivariate
    Gauss-Hermite rule over :math:`(\omega, y)`) gives the same values; the closed forms override it.
    """

    name = "gaussian"
    discrete_labels = False
    parameters = ("delta",)
    log_concave = True

    def __init__(self, delta: float) -> None:
        self.delta = _noise_variance(delta, zero=True)

    def _log_partition(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        s = V + self.delta
        return log_gaussian_pdf((y - omega) / np.sqrt(s)) - 0.5 * np.log(s)

    def _output(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = V + self.delta
        g = (y - omega) / s
        return g, np.zeros_like(g) - 1.0 / s

    def _sample(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return z + np.sqrt(self.delta) * rng.standard_normal(z.shape)

    def _label_average(self, fn: LabelFunction, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r""":math:`(\omega, y)` are centred Gaussians with :math:`\mathbb{E}\omega^2 = \mathbb{E}\omega y = q`,
        :math:`\mathbb{E}y^2 = \rho+\delta`."""
        return np.asarray(
            bivariate_gaussian_expectation(
                lambda omega, y, q, rho: fn(y, omega, rho - q), q, q, rho + self.delta, q, rho
            )
        )

    def _teacher_average(
        self, integrand: TeacherIntegrand, m: float, q: float, v0: float, kinks: Sequence[tuple[float, float]]
    ) -> np.ndarray:
        r"""A tensor Gauss-Hermite rule in :math:`(\omega, y)`, :math:`y = \mu + \sqrt{V_0+\delta}\, z_2`: the
        rule carries :math:`Z_{out}` (``z0 = 1``) and the slope is :math:`g_0 = (y - \mu)/(V_0 + \delta)`
        (exact for integrands polynomial of degree < 80; ``kinks`` are not needed)."""
        z, wz = hermite_rule(_HERMITE_2D)
        z1, z2 = z[:, None], z[None, :]
        omega = math.sqrt(q) * z1
        mu = (m / math.sqrt(q)) * z1
        y = mu + math.sqrt(v0 + self.delta) * z2
        g0 = (y - mu) / (v0 + self.delta)
        values = np.stack([np.broadcast_to(a, y.shape) for a in integrand(y, omega, np.ones(1), g0)])
        return np.einsum("kij,i,j->k", values, wz, wz)

    def free_entropy(self, q: ArrayLike, rho: ArrayLike) -> np.ndarray | float:
        q, rho = _overlap("q", q, rho)
        with np.errstate(divide="ignore"):  # delta = 0 at q = rho: -inf
            return np.asarray(self._free_entropy_average(q, rho))[()]

    def conjugate(self, q: ArrayLike, rho: ArrayLike) -> np.ndarray | float:
        q, rho = _overlap("q", q, rho)
        with np.errstate(divide="ignore"):  # delta = 0 at q = rho: inf
            return np.asarray(self._conjugate_average(q, rho))[()]

    def _free_entropy_average(self, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
        return -0.5 * (_LOG_2PI_E + np.log(rho - q + self.delta))

    def _conjugate_average(self, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
        return 1.0 / (rho - q + self.delta)

    def _generalization_error(self, m: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r"""Mean squared error of the Bayes-optimal predictor :math:`\mathbb{E}[y|\omega] = \omega` on a
        fresh noisy label, :math:`\omega\sim N(0,m)`, :math:`z|\omega\sim N(\omega,\rho-m)`:
        :math:`\rho - m + \delta`."""
        return rho - m + self.delta


class ReluChannel(Channel):
    r"""Rectified teacher :math:`y = \max(0, z) + \sqrt\delta\,\eta`, ``delta > 0``.

    Splitting :math:`\mathbb{E}_z` at :math:`z = 0` (a point mass of the ReLU at 0, and the
    Gaussian convolution of the positive part, where
    :math:`N(z;\omega,V)N(y;z,\delta) = N(y;\omega,V+\delta)\,N(z;\mu,\sigma^2)`):

    .. math::
        Z_{out} = \underbrace{N(y;0,\delta)\,H(a)}_{Z_0}
        + \underbrace{N(y;\omega,V+\delta)\,H(-b)}_{Z_+},\quad
        a = \frac{\omega}{\sqrt V},\quad
        b = \frac{\mu}{\sigma} = \frac{\omega\delta + yV}{\sqrt{V\delta(V+\delta)}},\quad
        \mu = \frac{\omega\delta + yV}{V+\delta},\ \sigma^2 = \frac{V\delta}{V+\delta}.

    With :math:`\ell_{0,+} = \ln Z_{0,+}`, :math:`p_{0,+} = Z_{0,+}/Z_{out}` (logistic of
    :math:`\ell_0-\ell_+`), :math:`R` the Gaussian hazard and :math:`c = \sqrt{\delta/(V(V+\delta))}`:

    .. math::
        \ell_0' = -\frac{R(a)}{\sqrt V},\quad
        \ell_+' = \frac{y-\omega}{V+\delta} + c R(-b),\quad
        \ell_0'' = -\frac{R(a)(R(a)-a)}{V},\quad
        \ell_+'' = -\frac{1}{V+\delta} - c^2 R(-b)(R(-b)+b),

    .. math::
        g_{out} = p_0\ell_0' + p_+\ell_+',\qquad
        \partial_\omega g_{out} = p_0\ell_0'' + p_+\ell_+'' + p_0 p_+(\ell_0'-\ell_+')^2,

    :math:`\ln Z_{out}` by log-sum-exp of :math:`\ell_0, \ell_+` (each from ``log_H``), so finite in the
    tails; :math:`R(x) - x` by its continued fraction for large :math:`x`.
    """

    name = "relu"
    discrete_labels = False
    parameters = ("delta",)

    def __init__(self, delta: float) -> None:
        self.delta = _noise_variance(delta)

    def _parts(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, ...]:
        """(a, b, l_0, l_+) of the class docstring."""
        d = self.delta
        a = omega / np.sqrt(V)
        b = self._posterior_argument(y, omega, V)
        log_point = log_gaussian_pdf(y / np.sqrt(d)) - 0.5 * np.log(d) + log_H(a)
        log_slab = log_gaussian_pdf((y - omega) / np.sqrt(V + d)) - 0.5 * np.log(V + d) + log_H(-b)
        return a, b, log_point, log_slab

    def _posterior_argument(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        r""":math:`b = \mu/\sigma`: :math:`H(-b) = P(z > 0\,|\,y)` on the slab."""
        d = self.delta
        return (omega * d + y * V) / np.sqrt(V * d * (V + d))

    def _log_partition(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
        _, _, log_point, log_slab = self._parts(y, omega, V)
        return np.logaddexp(log_point, log_slab)

    def _output(self, y: np.ndarray, omega: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = self.delta
        a, b, log_point, log_slab = self._parts(y, omega, V)
        p_point = special.expit(log_point - log_slab)
        p_slab = special.expit(log_slab - log_point)
        r_a, r_b = gaussian_hazard(a), gaussian_hazard(-b)
        c2 = d / (V * (V + d))
        d_point = -r_a / np.sqrt(V)
        d_slab = (y - omega) / (V + d) + np.sqrt(c2) * r_b
        dd_point = -r_a * gaussian_hazard_gap(a, r_a) / V
        dd_slab = -1.0 / (V + d) - c2 * r_b * gaussian_hazard_gap(-b, r_b)
        g = p_point * d_point + p_slab * d_slab
        dg = p_point * dd_point + p_slab * dd_slab + p_point * p_slab * (d_point - d_slab) ** 2
        return g, dg

    def _sample(self, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.maximum(z, 0.0) + np.sqrt(self.delta) * rng.standard_normal(z.shape)

    def _label_average(self, fn: LabelFunction, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r"""The label integral over the two parts of :math:`Z_{out}`, then :math:`\mathbb{E}_\xi`:

        .. math::
            \int dy\, Z_{out} fn = H(a)\,\mathbb{E}_\eta fn(\sqrt\delta\eta)
            + \mathbb{E}_t\big[H(-b)\, fn(\omega + \sqrt{V+\delta}\,t)\big].

        Kink rules: in :math:`\xi` at 0 (width :math:`\sqrt{V/q}`, where :math:`H(a)` switches);
        in :math:`t` at :math:`-\omega/\sqrt{V+\delta}` (:math:`y = 0`, width
        :math:`\sqrt{\delta/(V+\delta)}`, where the slab meets the point mass and :math:`H(-b)` switches);
        in :math:`\eta` at 0 with width 1 (robust for the log-sum-exp crossovers). Needs ``q < rho``.
        """
        d = self.delta

        def point(eta: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
            return fn(np.sqrt(d) * eta, omega, V)

        def slab(t: np.ndarray, omega: np.ndarray, V: np.ndarray) -> np.ndarray:
            y = omega + np.sqrt(V + d) * t
            return H(-self._posterior_argument(y, omega, V)) * fn(y, omega, V)

        def given_xi(xi: np.ndarray, q: np.ndarray, rho: np.ndarray) -> np.ndarray:
            omega, V = np.sqrt(q) * xi, rho - q
            at_zero = gaussian_expectation(point, omega, V, kink=0.0, width=1.0)
            spread = gaussian_expectation(
                slab, omega, V, kink=-omega / np.sqrt(V + d), width=np.minimum(1.0, np.sqrt(d / (V + d)))
            )
            return np.asarray(H(omega / np.sqrt(V)) * at_zero + spread)

        return np.asarray(gaussian_expectation(given_xi, q, rho, kink=0.0, width=_crossover_width(rho - q, q)))

    def _free_entropy_limit(self, rho: np.ndarray) -> np.ndarray:
        r"""At :math:`V=0`, :math:`Z_{out} = N(y;\max(0,\omega),\delta)`: :math:`\Psi_{out}(\rho) = -\tfrac12\ln(2\pi e\delta)`."""
        return np.full(np.shape(rho), -0.5 * (_LOG_2PI_E + np.log(self.delta)))

    def _conjugate_limit(self, rho: np.ndarray) -> np.ndarray:
        r"""At :math:`V\to0`, :math:`g_{out}\to\Theta(\omega)(y-\omega)/\delta`: the limit is :math:`1/(2\delta)`."""
        return np.full(np.shape(rho), 0.5 / self.delta)

    def _generalization_error(self, m: np.ndarray, rho: np.ndarray) -> np.ndarray:
        r"""Mean squared error of the Bayes-optimal predictor :math:`\mathbb{E}[y|\omega]` on a fresh noisy label.

        With :math:`\omega\sim N(0,m)` and :math:`z|\omega\sim N(\omega,\rho-m)`, the error is
        :math:`\mathbb{E}y^2 - \mathbb{E}_\omega\mathbb{E}[y|\omega]^2 = \rho/2 + \delta -
        \mathbb{E}[\mathrm{relu}(z_1)\mathrm{relu}(z_2)]`, where :math:`z_1, z_2` are two draws
        given :math:`\omega`: centred, variance :math:`\rho`, correlation :math:`c = m/\rho`. The
        arc-cosine kernel (Cho & Saul 2009) gives the closed form

        .. math:: \rho/2 + \delta - \frac{\rho}{2\pi}\Big[\sqrt{1-c^2} + c\,(\pi - \arccos c)\Big],

        from :math:`\rho(\pi - 1)/(2\pi) + \delta` at ``m = 0`` to :math:`\delta` at ``m = rho``.
        """
        return 0.5 * rho + self.delta - rho * arccos_kernel(m / rho)


# --------------------------------------------------------------------------- factory

CHANNELS: dict[str, type[Channel]] = {
    cls.name: cls for cls in (SignChannel, NoisySignChannel, ProbitChannel, GaussianChannel, ReluChannel)
}
"""Channel names accepted by :func:`get_channel` and the public entry points."""


def get_channel(channel: str | Channel, **params: float) -> Channel:
    """A channel from its name (``"sign"``; ``"noisy-sign"``, ``"probit"``, ``"gaussian"``,
    ``"relu"`` with ``delta``) or a :class:`Channel` passed through."""
    cls = lookup("channel", channel, Channel, CHANNELS, params)
    if isinstance(cls, Channel):
        return cls
    if set(params) != set(cls.parameters):
        wanted = ", ".join(cls.parameters) or "no parameters"
        raise ValueError(f"channel {channel!r} takes {wanted}; got {sorted(params) or 'none'}")
    return cls(**params)
