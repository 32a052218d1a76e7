r"""A student that is not the teacher: the channel side of empirical risk minimisation.

A student trained by ERM with a loss :math:`\ell` sees a fresh sample through its field
:math:`\omega\sim N(0, q)`; the teacher's pre-activation :math:`\nu` has :math:`\mathbb{E}\nu^2 = \rho`,
:math:`\mathbb{E}\nu\omega = m`, and the label is :math:`y\sim P_{out}(\cdot|\nu)`. The channel side of
the ERM saddle point (Loureiro, Gerbelot, Cui, Goldt, Krzakala, Mézard & Zdeborová, NeurIPS 2021,
eqs. (9)-(10); Gerace et al., ICML 2020; notation of ``docs/theory/erm.md``) is three averages of the
loss's output function :math:`f_{out}(y,\omega,V)` (:meth:`statlearn.models.losses.Loss.output`)
against the teacher's weights (:meth:`statlearn.models.channels.Channel.teacher_average`):

.. math::
    \mathbb{E}\, g_0 f_{out} = \mathbb{E}_\xi\!\int\! dy\, \partial_\mu Z_{out}(y,\mu,V_0)\, f_{out},\qquad
    \mathbb{E}\, f_{out}^2 = \mathbb{E}_\xi\!\int\! dy\, Z_{out}(y,\mu,V_0)\, f_{out}^2,\qquad
    \mathbb{E}\,\partial_\omega f_{out},

at :math:`\omega = \sqrt q\,\xi`, :math:`\mu = m\omega/q`, :math:`V_0 = \rho - m^2/q`
(:func:`output_averages`), and the training loss :math:`\mathbb{E}\,\ell(y, \mathrm{prox})`
(:func:`expected_loss`). Any :class:`~statlearn.models.channels.Channel` with labels :math:`\pm1` (or
the Gaussian channel) and any :class:`~statlearn.models.losses.Loss` can be combined: the averages
call only their public methods. For a threshold teacher (sign, noisy sign, probit) and a built-in
loss the whole label average is one compiled loop over the same rule that calls the same compiled
scalars (:func:`statlearn.models.channels.threshold_weight`,
:func:`statlearn.models.losses.compiled_output`) as the vectorised path.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from numba import njit

from statlearn.models.channels import (
    Channel,
    NoisySignChannel,
    ProbitChannel,
    SignChannel,
    ThresholdChannel,
    teacher_variance,
    threshold_weight,
)
from statlearn.models.losses import COMPILED_LOSSES, Logistic, Loss, compiled_output
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.validation import as_real_scalar

__all__ = ["COMPILED_TEACHERS", "expected_loss", "loss_kinks", "output_averages"]

COMPILED_TEACHERS = (SignChannel, NoisySignChannel, ProbitChannel)
"""Teachers (exact types) whose label weights the compiled average evaluates by ``threshold_weight``."""

_KINK_WIDTH = 0.5  # panel grading around the loss's exact kinks (an edge sits on the kink itself)


def loss_kinks(loss: Loss, q: float, V: float) -> list[tuple[float, float]]:
    r"""Panel edges ``(xi, width)`` in :math:`\xi = \omega/\sqrt q` at the loss's kinks and corners
    (:meth:`~statlearn.models.losses.Loss.output_kinks`) for either label: a corner of width
    :math:`w` in :math:`\omega` is graded at :math:`w/\sqrt q`, a true kink at width 0.5."""
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be a Loss, got {type(loss).__name__}")
    q = as_real_scalar("q", q, minimum=0.0)
    root_q = math.sqrt(max(q, 1e-300))
    return [
        (where, width / root_q if width > 0 else _KINK_WIDTH)
        for k, width in loss.output_kinks(V)
        for where in (k / root_q, -k / root_q)  # y = +1 and y = -1
    ]


@njit(cache=True)
def _threshold_averages(
    xi: np.ndarray,
    w: np.ndarray,
    m: float,
    q: float,
    V: float,
    v0: float,
    flip: float,
    noise: float,
    kind: int,
    max_iterations: int,
) -> tuple[float, float, float, int]:
    """(E g0 f, E f^2, E d f) summed over the rule (xi, w) and both labels in one loop, and the number of
    logistic proxes that did not converge."""
    root_q, slope_xi = math.sqrt(q), m / math.sqrt(q)
    g0f = f2 = df_sum = 0.0
    failures = 0
    for i in range(xi.size):
        omega, mu = root_q * xi[i], slope_xi * xi[i]
        for y in (1.0, -1.0):
            z0, slope = threshold_weight(y, mu, v0, flip, noise)
            f, df, converged = compiled_output(kind, y, omega, V, max_iterations)
            failures += not converged
            g0f += w[i] * slope * f
            f2 += w[i] * z0 * f * f
            df_sum += w[i] * z0 * df
    return g0f, f2, df_sum, failures


def _check(teacher: Channel, loss: Loss, V: float) -> float:
    if not isinstance(teacher, Channel):
        raise TypeError(f"teacher must be a Channel, got {type(teacher).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be a Loss, got {type(loss).__name__}")
    if loss.discrete_labels and not teacher.discrete_labels:
        raise ValueError(f"the {loss.name} loss needs labels +-1: the teacher {teacher.name!r} has continuous labels")
    if isinstance(V, float) and math.isfinite(V) and V > 0:  # the hot loop of the saddle point
        return V
    return as_real_scalar("V", V, minimum=0.0, strict_minimum=True)


def output_averages(
    teacher: Channel, loss: Loss, m: float, q: float, V: float, rho: float, *, compiled: bool = True
) -> tuple[float, float, float]:
    r""":math:`(\mathbb{E}\, g_0 f_{out},\ \mathbb{E}\, f_{out}^2,\ \mathbb{E}\,\partial_\omega f_{out})` (module
    docstring): the ERM conjugates are :math:`\hat m = \alpha\,\mathbb{E} g_0 f_{out}`,
    :math:`\hat q = \alpha\,\mathbb{E} f_{out}^2`, :math:`\hat V = -\alpha\,\mathbb{E}\partial_\omega f_{out}`.

    ``m``, ``q``, ``rho``: the overlaps (:math:`m^2\le\rho q`); ``V > 0`` the student's variance.
    ``compiled=False`` forces the vectorised path (the compiled loop is used, by default, for a
    threshold teacher and a built-in loss; both give the same values to rounding).
    """
    V = _check(teacher, loss, V)
    kind = COMPILED_LOSSES.get(type(loss))
    if compiled and kind is not None and type(teacher) in COMPILED_TEACHERS and isinstance(teacher, ThresholdChannel):
        xi, w = teacher.label_rule(m, q, rho, kinks=loss_kinks(loss, q, V))
        q, v0 = teacher_variance(m, q, rho)
        max_iterations = Logistic.max_iterations
        g0f, f2, df, failures = _threshold_averages(
            xi, w, m, q, V, v0, teacher.flip, teacher.noise, kind, max_iterations
        )
        if failures:
            warnings.warn(
                f"logistic proximal operator: {failures} points not converged", ConvergenceWarning, stacklevel=2
            )
        return float(g0f), float(f2), float(df)

    def integrand(y: np.ndarray, omega: np.ndarray, z0: np.ndarray, slope: np.ndarray) -> tuple[np.ndarray, ...]:
        f, df = loss.output(y, omega, V)
        return slope * f, z0 * f * f, z0 * df

    g0f, f2, df = teacher.teacher_average(integrand, m, q, rho, kinks=loss_kinks(loss, q, V))
    return float(g0f), float(f2), float(df)


def expected_loss(teacher: Channel, loss: Loss, m: float, q: float, V: float, rho: float) -> float:
    r"""The training loss per sample at the saddle point, :math:`\mathbb{E}\,\ell(y, \mathrm{prox}(y,\omega,V))`,
    over the student's field and the teacher's label (module docstring)."""
    V = _check(teacher, loss, V)

    def integrand(y: np.ndarray, omega: np.ndarray, z0: np.ndarray, slope: np.ndarray) -> tuple[np.ndarray]:
        return (z0 * loss.value(y, loss.proximal(y, omega, V)),)

    return float(teacher.teacher_average(integrand, m, q, rho, kinks=loss_kinks(loss, q, V))[0])
