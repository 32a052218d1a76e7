r"""The built-in losses as compiled scalars for dynamics: value, first and second derivative in the field.

Gradient-descent simulations and the dynamical mean-field theory of :mod:`statlearn.dmft` see a loss
:math:`\ell(y, z)` only through :math:`\ell`, :math:`\ell' = \partial_z\ell` and
:math:`\ell'' = \partial_z^2\ell` at the current field :math:`z`; :func:`loss_terms` returns the three at
one point, selected by the codes of :data:`statlearn.models.losses.COMPILED_LOSSES`:

* square, :math:`\ell = (y - z)^2/2`: :math:`(z - y,\ 1)`;
* logistic, :math:`\ell = \ln(1 + e^{-yz})`: :math:`(-y\,\sigma(-yz),\ \sigma(yz)\sigma(-yz))`;
* hinge, :math:`\ell = \max(0, 1 - yz)`: :math:`\ell'' = \delta(1 - yz)` is a delta function, which a
  dynamical theory that needs the response :math:`\ell''` pointwise cannot use. With ``smoothing``
  :math:`s > 0` the hinge is replaced by its softplus smoothing
  :math:`\ell_s = s\ln(1 + e^{(1 - yz)/s})`, :math:`\ell_s' = -y\,\sigma((1-yz)/s)`,
  :math:`\ell_s'' = \sigma(u)\sigma(-u)/s` with :math:`u = (1 - yz)/s`, which tends to the hinge
  uniformly (:math:`0 \le \ell_s - \ell \le s\ln 2`); with :math:`s = 0` the exact hinge and its
  subgradient :math:`-y\,[yz < 1]` are returned, with :math:`\ell'' = 0`.

``smoothing`` is ignored by the square and logistic losses.
"""

from __future__ import annotations

import math

from numba import njit

from statlearn.models.losses import COMPILED_LOSSES, Loss, get_loss
from statlearn.numerics.validation import as_real_scalar

__all__ = ["loss_code", "loss_terms", "smoothing_for"]

_SQUARE, _LOGISTIC, _HINGE = (COMPILED_LOSSES[type(get_loss(name))] for name in ("square", "logistic", "hinge"))


@njit(cache=True)
def _softplus(x: float) -> float:
    """:math:`\\ln(1 + e^x)` without overflow or loss of digits in the tails (compiled)."""
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


@njit(cache=True)
def _sigmoid(x: float) -> float:
    """:math:`1/(1 + e^{-x})` without overflow (compiled)."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@njit(cache=True)
def loss_terms(kind: int, y: float, z: float, smoothing: float) -> tuple[float, float, float]:
    """(:math:`\\ell`, :math:`\\ell'`, :math:`\\ell''`) of the loss with code ``kind`` at label ``y`` and
    field ``z`` (module docstring; ``smoothing`` is the hinge's softplus width, 0 for the exact hinge)."""
    if kind == _SQUARE:
        r = z - y
        return 0.5 * r * r, r, 1.0
    if kind == _LOGISTIC:
        a = y * z
        p = _sigmoid(-a)
        return _softplus(-a), -y * p, p * (1.0 - p)
    u = 1.0 - y * z
    if smoothing > 0.0:
        x = u / smoothing
        p = _sigmoid(x)
        return smoothing * _softplus(x), -y * p, p * (1.0 - p) / smoothing
    if u > 0.0:
        return u, -y, 0.0
    return 0.0, 0.0, 0.0


def loss_code(loss: str | Loss) -> int:
    """The compiled code of a built-in loss given by name or instance (``ValueError`` for any other loss)."""
    instance = get_loss(loss)
    code = COMPILED_LOSSES.get(type(instance))
    if code is None:
        raise ValueError(
            f"loss must be one of the built-in losses {sorted(c.name for c in COMPILED_LOSSES)}, got {instance!r}"
        )
    return code


def smoothing_for(loss: str | Loss, smoothing: float) -> float:
    """``smoothing`` checked (finite, >= 0), and 0 for the losses that do not use it."""
    value = as_real_scalar("smoothing", smoothing, minimum=0.0)
    return value if loss_code(loss) == _HINGE else 0.0
