r"""Empirical risk minimisation in high dimensions: the replica learning curves of the Gaussian
covariate model, and the closed forms they must reproduce.

**The saddle point** (Loureiro, Gerbelot, Cui, Goldt, Krzakala, Mézard & Zdeborová, NeurIPS 2021,
"Learning curves of generic features maps for realistic datasets with a teacher-student model",
eqs. (9)-(10) for the ridge penalty; Gerace et al., ICML 2020; Aubin, Krzakala, Lu & Zdeborová,
NeurIPS 2020). A student :math:`w\in\mathbb R^p` is trained on :math:`n` samples,

.. math:: \hat w = \operatorname*{argmin}_w \sum_{\mu=1}^n \ell\big(y^\mu, w\cdot v^\mu/\sqrt p\big)
          + \frac\lambda2 |w|^2 ,

with labels from a teacher channel :math:`y\sim P_0(\cdot|\nu)`, :math:`\nu = \theta\cdot u/\sqrt d`.
As :math:`n, p, d\to\infty` at fixed :math:`\alpha_p = n/p` the pre-activations of a fresh sample,
:math:`(\nu, \lambda = \hat w\cdot v/\sqrt p)`, are jointly Gaussian with :math:`\mathbb E\nu^2 =
\rho`, :math:`\mathbb E\nu\lambda = m`, :math:`\mathbb E\lambda^2 = q`, where :math:`(m, q, V)` and
their conjugates solve, in terms of the spectrum :math:`(\pi_k, \omega_k, \tau_k)` of
:mod:`statlearn.models.covariates`,

.. math::
    V = \sum_k \frac{\pi_k\,\omega_k}{\lambda + \hat V\omega_k},\qquad
    m = \hat m \sum_k \frac{\pi_k\,\tau_k}{\lambda + \hat V\omega_k},\qquad
    q = \sum_k \pi_k\,\omega_k\,\frac{\hat m^2\tau_k + \hat q\,\omega_k}{(\lambda + \hat V\omega_k)^2}
    \qquad\text{(prior side)},

.. math::
    \hat V = -\alpha_p\,\mathbb E\,\partial_\omega f_{out},\qquad
    \hat q = \alpha_p\,\mathbb E\, f_{out}^2,\qquad
    \hat m = \alpha_p\,\mathbb E\, g_0\, f_{out}
    \qquad\text{(channel side)},

with :math:`f_{out}(y,\omega,V) = (\mathrm{prox}_{V\ell(y,\cdot)}(\omega) - \omega)/V`
(:meth:`statlearn.models.losses.Loss.output`), :math:`g_0 = \partial_\mu \ln Z_0(y,\mu,V_0)` the
teacher's output function (:meth:`statlearn.models.channels.Channel.output`), and the expectation
over :math:`\omega\sim N(0,q)`, :math:`\nu|\omega\sim N(m\omega/q,\ V_0 = \rho - m^2/q)`,
:math:`y\sim P_0(\cdot|\nu)`, with :math:`g_0` evaluated at :math:`\mu = m\omega/q`. (Loureiro et al.
write :math:`\hat m` with a factor :math:`1/\sqrt\gamma` and :math:`\Phi^\top\theta` unscaled; the
teacher weights :math:`\tau` here absorb it, so that :math:`m = \mathbb E\nu\lambda` exactly.)

Outputs, against the clean teacher: regression :math:`\varepsilon_g = \rho + q - 2m` (add the label
noise :math:`\Delta` for the error on a noisy label); classification
:math:`\varepsilon_g = \arccos(m/\sqrt{\rho q})/\pi`; the training loss per sample
:math:`\mathbb E\,\ell(y, \mathrm{prox}(y,\omega,V))`.

**Numerics.** The channel averages are quadratures over :math:`\xi = \omega/\sqrt q` (labels
:math:`\pm1`: a graded Gauss-Legendre rule with panel edges at the teacher's crossover
:math:`\xi = 0`, of width :math:`\sqrt{V_0 q}/|m|`, and at the loss's kinks; continuous labels: a
tensor Gauss-Hermite rule in :math:`(\omega, y)`); for a threshold teacher and a built-in loss the
whole label average is one compiled loop (:func:`_threshold_averages`), otherwise vectorised calls
of :meth:`Channel._partition_and_slope` and :meth:`Loss.output`. The prior side is a sum over the
spectrum's nodes. The fixed point is found by damped Anderson-accelerated iteration of
:math:`(m/\sqrt{\rho q}, \ln q, \ln V)` (scale-free, so the residual stays relative when
:math:`q, V\sim 1/\lambda` near interpolation),
continued along the curve; a point that fails is solved again by continuation in :math:`\lambda`
from the regularised side (:math:`10^4\lambda, 10^3\lambda, \dots, \lambda`), and is flagged
``converged=False`` (with a warning) if that fails too. The ridgeless square loss
(:math:`\lambda = 0`) is the exact limit :math:`\lambda\to0^+`: above the interpolation threshold
(:math:`\alpha_p` > the rank fraction of :math:`\Omega`) the equations hold at :math:`\lambda = 0`;
below it :math:`V\sim v/\lambda`, :math:`\hat V\sim\lambda h`, :math:`\hat m\sim\lambda\tilde m`,
:math:`\hat q\sim\lambda^2\tilde q`, and the rescaled equations
:math:`\sum_k\pi_k h\omega_k/(1+h\omega_k) = \alpha_p`,
:math:`\tilde m = h\,\mathbb E g_0(y-\omega)`, :math:`\tilde q = h^2\,\mathbb E(y-\omega)^2/\alpha_p`,
:math:`m = \tilde m\sum_k\pi_k\tau_k/(1+h\omega_k)`,
:math:`q = \sum_k\pi_k\omega_k(\tilde m^2\tau_k+\tilde q\omega_k)/(1+h\omega_k)^2` are solved instead.

**Closed forms.** Ridge regression on isotropic Gaussian data (Hastie, Montanari, Rosset &
Tibshirani, "Surprises in high-dimensional ridgeless least squares interpolation", Ann. Statist.
2022, arXiv:1903.08560; Dobriban & Wager, Ann. Statist. 2018). Data: n samples y = x . beta + eps
with x ~ N(0, I_p), |beta|^2 = snr (the signal r^2), eps ~ N(0, noise); estimator

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
interpolation peak); the optimal ridge is :math:`\lambda^\star = \gamma\sigma^2 / r^2`. In the
saddle point's conventions (isotropic model, alpha = n/p): Hastie's gamma = 1/alpha, his
lambda = our lambda / alpha, r^2 = rho, sigma^2 = Delta, and the optimal lambda is Delta / rho.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from scipy.optimize import brentq, minimize_scalar

from statlearn.models.channels import (
    Channel,
    GaussianChannel,
    NoisySignChannel,
    ProbitChannel,
    SignChannel,
    get_channel,
)
from statlearn.models.covariates import CovariateModel, Spectrum
from statlearn.models.losses import Hinge, Logistic, Loss, Square, get_loss, logistic_root
from statlearn.models.losses import _expit as _sigmoid
from statlearn.numerics.fixedpoint import ConvergenceWarning, fixed_point
from statlearn.numerics.gaussian import graded_rule, hermite_rule
from statlearn.numerics.validation import as_real_array

__all__ = [
    "ERMPoint",
    "LearningCurve",
    "saddle_point",
    "learning_curve",
    "optimal_lambda",
    "RidgeRisk",
    "ridge_isotropic",
    "marchenko_pastur_stieltjes",
]


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


# ----------------------------------------------------------------------------- the saddle point

_HERMITE_2D = 40  # Gauss-Hermite order per axis for continuous labels (exact for the square loss)
_REACH = 9.0  # the channel quadrature covers |xi| <= 9 (Gaussian weight beyond: 2e-19)
_KINK_WIDTH = 0.5  # panel grading around the loss's exact kinks (an edge sits on the kink itself)
# (smooth corners of the loss's f_out are graded at their own width, see Loss.output_kinks)
_LAMBDA_LADDER = (1e4, 1e3, 1e2, 1e1, 1.0)  # continuation from the regularised side


@dataclass(frozen=True)
class ERMPoint:
    """The saddle point at one (alpha, gamma, lam): overlaps, conjugates, errors, convergence.

    ``ratio`` is n/p; ``V = inf`` (and the conjugates 0) for the ridgeless interpolator, whose
    ``training_loss`` is 0. ``test_error`` is against the clean teacher (module docstring).
    """

    alpha: float
    gamma: float
    lam: float
    ratio: float
    m: float
    q: float
    V: float
    mhat: float
    qhat: float
    Vhat: float
    rho: float
    test_error: float
    training_loss: float
    converged: bool
    iterations: int
    residual: float


@dataclass(frozen=True)
class LearningCurve:
    """A learning curve: one array per :class:`ERMPoint` field (``gamma`` is NaN for models without it)."""

    alpha: np.ndarray
    gamma: np.ndarray
    lam: np.ndarray
    ratio: np.ndarray
    m: np.ndarray
    q: np.ndarray
    V: np.ndarray
    mhat: np.ndarray
    qhat: np.ndarray
    Vhat: np.ndarray
    rho: np.ndarray
    test_error: np.ndarray
    training_loss: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray

    @classmethod
    def from_points(cls, points: list[ERMPoint]) -> LearningCurve:
        return cls(**{f.name: np.array([getattr(p, f.name) for p in points]) for f in fields(ERMPoint)})

    def rows(self) -> list[dict[str, float]]:
        """The table as one dict per point."""
        names = [f.name for f in fields(self)]
        return [{k: getattr(self, k)[i].item() for k in names} for i in range(len(self.alpha))]

    def to_csv(self, path: str | Path) -> None:
        """Write the table (one row per point, a header of field names)."""
        rows = self.rows()
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else [f.name for f in fields(self)])
            writer.writeheader()
            writer.writerows(rows)


_FUSED_LOSSES = {Square: 0, Logistic: 1, Hinge: 2}
"""Losses whose f_out the compiled channel average evaluates itself (:func:`_threshold_averages`)."""


@njit(cache=True)
def _threshold_averages(
    xi: np.ndarray, w: np.ndarray, m: float, q: float, V: float, v_eff: float, flip: float, loss: int
) -> tuple[float, float, float, int]:
    """(E f_out^2, E d_omega f_out, E g0 f_out) for a threshold teacher (labels sign(nu + noise),
    flipped with probability ``flip``; ``v_eff`` = rho - m^2/q + noise) and the loss ``loss`` (0 square,
    1 logistic, 2 hinge), summed over the rule (xi, w) and both labels in one loop: the same
    quantities as the generic path of :meth:`_Problem.conjugates`, without its array temporaries;
    the last value counts logistic proxes that did not converge."""
    root_q, slope_xi = math.sqrt(q), m / math.sqrt(q)
    root_v = math.sqrt(v_eff)
    kept = 1.0 - 2.0 * flip
    norm = 1.0 / math.sqrt(2.0 * math.pi * v_eff)
    f2 = df_sum = g0f = 0.0
    failures = 0
    for i in range(xi.size):
        omega, mu = root_q * xi[i], slope_xi * xi[i]
        for y in (1.0, -1.0):
            x = -y * mu / root_v
            z0 = flip + kept * 0.5 * math.erfc(x / math.sqrt(2.0))
            slope = kept * y * math.exp(-0.5 * x * x) * norm
            if loss == 0:
                f = (y - omega) / (1.0 + V)
                df = -1.0 / (1.0 + V)
            elif loss == 1:
                u, converged = logistic_root(y * omega, V, 200)
                failures += not converged
                t = _sigmoid(-u)
                c = _sigmoid(u) * t
                f = y * t
                df = -c / (1.0 + V * c)
            else:
                u0 = y * omega
                d = min(max(1.0 - u0, 0.0), V)
                f = y * d / V
                df = -1.0 / V if 1.0 - V <= u0 <= 1.0 else 0.0
            f2 += w[i] * z0 * f * f
            df_sum += w[i] * z0 * df
            g0f += w[i] * slope * f
    return f2, df_sum, g0f, failures


class _Problem:
    """One (model, teacher, loss) at fixed (alpha, gamma): the two sides of the saddle point."""

    def __init__(self, model: CovariateModel, teacher: Channel, loss: Loss, alpha: float, gamma: float | None):
        self.spectrum: Spectrum = model.spectrum(gamma)
        self.ratio = model.ratio(alpha, gamma)
        self.teacher, self.loss = teacher, loss
        self.rho = self.spectrum.rho
        sp = self.spectrum
        threshold = type(teacher) in (SignChannel, NoisySignChannel, ProbitChannel)
        self._fused = (teacher._flip, teacher._noise) if threshold and type(loss) in _FUSED_LOSSES else None
        self._pos = sp.omega > 0
        self._omega, self._weight, self._tau = sp.omega[self._pos], sp.weight[self._pos], sp.teacher[self._pos]

    # -- channel side -------------------------------------------------------------------------

    def _conditional_variance(self, m: float, q: float) -> tuple[float, float]:
        """q kept positive, and the teacher field's variance given omega, V0 = rho - m^2/q (kept
        positive: a vanishing V0 is a step in xi that the kink rule resolves at width ~1e-7)."""
        q = max(q, 1e-300)
        return q, max(self.rho - m * m / q, 1e-14 * self.rho)

    def _average(self, m: float, q: float, V: float, integrand: Callable) -> np.ndarray:
        r""":math:`\mathbb E` over :math:`(\omega, y)` (module docstring) as an array of averages:
        ``integrand(y, omega, z0, slope, V)`` returns a stack of arrays already weighted by the
        teacher, using :math:`Z_0` (``z0``) and :math:`\partial_\mu Z_0 = Z_0 g_0` (``slope``)."""
        q, v0 = self._conditional_variance(m, q)
        if self.teacher.discrete_labels:
            root_q = math.sqrt(q)
            xi, w = self._label_rule(m, q, V, v0)
            # both labels in one call of every elementwise function: y = +1 on the first half
            n = xi.size
            y = np.concatenate([np.ones(n), -np.ones(n)])
            omega, mu = np.tile(root_q * xi, 2), np.tile((m / root_q) * xi, 2)
            z0, slope = self.teacher._partition_and_slope(y, mu, v0)  # arguments valid by construction
            values = np.asarray(integrand(y, omega, z0, slope, V))
            return values[..., :n] @ w + values[..., n:] @ w
        noise = self.teacher.delta
        z, wz = hermite_rule(_HERMITE_2D)
        z1, z2 = z[:, None], z[None, :]
        omega = math.sqrt(q) * z1
        mu = (m / math.sqrt(q)) * z1
        y = mu + math.sqrt(v0 + noise) * z2
        g0 = (y - mu) / (v0 + noise)  # the Gaussian rule already carries Z0: weight 1, slope g0
        values = np.asarray([np.broadcast_to(a, y.shape) for a in integrand(y, omega, 1.0, g0, V)])
        return np.einsum("kij,i,j->k", values, wz, wz)

    def _label_rule(self, m: float, q: float, V: float, v0: float) -> tuple[np.ndarray, np.ndarray]:
        """Nodes and weights in xi for labels +-1: panel edges at the teacher's crossover xi = 0
        and at the loss's kinks and corners for either label (module docstring)."""
        root_q = math.sqrt(q)
        kinks = {0.0: min(1.0, math.sqrt(v0 * q) / max(abs(m), 1e-300))}
        for k, width in self.loss.output_kinks(V):
            for where in (k / root_q, -k / root_q):  # y = +1 and y = -1
                kinks[where] = min(kinks.get(where, np.inf), width / root_q if width > 0 else _KINK_WIDTH)
        return graded_rule(list(kinks.items()), reach=_REACH)

    def conjugates(self, m: float, q: float, V: float) -> tuple[float, float, float]:
        """(mhat, qhat, Vhat) of the channel side."""
        if self._fused is not None:  # threshold teacher and a built-in loss: one compiled loop
            q, v0 = self._conditional_variance(m, q)
            xi, w = self._label_rule(m, q, V, v0)
            flip, noise = self._fused
            f2, df, g0f, failures = _threshold_averages(
                xi, w, m, q, V, v0 + noise, flip, _FUSED_LOSSES[type(self.loss)]
            )
            if failures:
                warnings.warn(
                    f"logistic proximal operator: {failures} points not converged", ConvergenceWarning, stacklevel=2
                )
            return self.ratio * g0f, self.ratio * f2, -self.ratio * df

        def integrand(y, omega, z0, slope, V):
            f, df = self.loss._output(y, omega, V)  # arrays of one shape, labels valid by construction
            return z0 * f * f, z0 * df, slope * f

        f2, df, g0f = self._average(m, q, V, integrand)
        return self.ratio * g0f, self.ratio * f2, -self.ratio * df

    def training_loss(self, m: float, q: float, V: float) -> float:
        def integrand(y, omega, z0, slope, V):
            return (z0 * self.loss.value(y, self.loss.proximal(y, omega, V)),)

        return float(self._average(m, q, V, integrand)[0])

    # -- prior side ---------------------------------------------------------------------------

    def overlaps(self, lam: float, mhat: float, qhat: float, Vhat: float) -> tuple[float, float, float]:
        """(m, q, V) of the prior side."""
        omega, weight, tau = self._omega, self._weight, self._tau
        inverse = 1.0 / (lam + Vhat * omega)
        V = np.sum(weight * omega * inverse)
        m = mhat * np.sum(weight * tau * inverse)
        q = np.sum(weight * omega * (mhat * mhat * tau + qhat * omega) * inverse * inverse)
        return float(m), float(q), float(V)

    def test_error(self, m: float, q: float) -> float:
        if self.teacher.discrete_labels:
            return float(np.arccos(np.clip(m / math.sqrt(self.rho * q), -1.0, 1.0)) / np.pi) if q > 0 else 0.5
        return float(self.rho + q - 2.0 * m)

    # -- the fixed point ----------------------------------------------------------------------

    # The iterated state is (c, ln q, ln V) with c = m / sqrt(rho q) the teacher-student cosine:
    # every component is O(1) and scale-free, so the relative residual of fixed_point is an
    # absolute error on c and a relative one on q and V, even when q, V ~ 1/lam near interpolation.

    def state(self, m: float, q: float, V: float | None = None) -> np.ndarray:
        q = max(q, 1e-300)
        cosine = m / math.sqrt(self.rho * q)
        return np.array([cosine, math.log(q)] + ([] if V is None else [math.log(V)]))

    def unpack(self, x: np.ndarray) -> tuple[float, ...]:
        """(m, q) or (m, q, V) from a state."""
        q = math.exp(x[1])
        return (x[0] * math.sqrt(self.rho * q), q) + tuple(math.exp(v) for v in x[2:])

    @staticmethod
    def project(x: np.ndarray) -> np.ndarray:
        y = np.clip(x, -200.0, 200.0)
        y[0] = min(max(x[0], -1.0 + 1e-15), 1.0 - 1e-15)
        return y

    def solve(self, lam: float, start: np.ndarray, tol: float, max_iter: int):
        """Fixed point at penalty ``lam`` from a state ``start``: (FixedPointResult, conjugates)."""

        def step(x: np.ndarray) -> np.ndarray:
            m, q, V = self.overlaps(lam, *self.conjugates(*self.unpack(x)))
            return self.state(m, q, V)

        result = fixed_point(
            step, start, mixing=0.5, anderson=5, tol=tol, max_iter=max_iter, project=self.project, warn=False
        )
        if not result.converged:  # plain damped iteration is slower but safer
            result = fixed_point(step, start, mixing=0.3, tol=tol, max_iter=max_iter, project=self.project, warn=False)
        return result, self.conjugates(*self.unpack(result.x))

    def solve_interpolator(self, start: np.ndarray, tol: float, max_iter: int):
        """The ridgeless square-loss interpolator (module docstring): FixedPointResult of (c, ln q)."""
        omega, weight, tau = self._omega, self._weight, self._tau
        alpha = self.ratio
        log_h = brentq(lambda t: np.sum(weight * omega / (math.exp(-t) + omega)) - alpha, -60.0, 60.0, xtol=1e-14)
        h = math.exp(log_h)
        inverse = 1.0 / (1.0 + h * omega)

        def integrand(y, omega_, z0, slope, V):
            residual = y - omega_
            return z0 * residual * residual, slope * residual

        def step(x: np.ndarray) -> np.ndarray:
            b, a = self._average(*self.unpack(x), 1.0, integrand)
            mt, qt = h * a, h * h * b / alpha
            return self.state(
                mt * np.sum(weight * tau * inverse),
                np.sum(weight * omega * (mt * mt * tau + qt * omega) * inverse * inverse),
            )

        return fixed_point(
            step, start, mixing=0.5, anderson=3, tol=tol, max_iter=max_iter, project=self.project, warn=False
        )


def _grid(name: str, value: ArrayLike | None, *, minimum: float, strict: bool) -> np.ndarray | None:
    if value is None:
        return None
    return np.atleast_1d(as_real_array(name, value, minimum=minimum, strict_minimum=strict)).ravel()


def _resolve(teacher: str | Channel, loss: str | Loss, **teacher_params: float) -> tuple[Channel, Loss]:
    teacher, loss = get_channel(teacher, **teacher_params), get_loss(loss)
    if not (teacher.discrete_labels or isinstance(teacher, GaussianChannel)):
        raise ValueError(
            f"teacher {teacher.name!r} is not supported: use a label teacher (sign, noisy-sign, "
            "probit) or the linear teacher with Gaussian noise (gaussian)"
        )
    if loss.discrete_labels and not teacher.discrete_labels:
        raise ValueError(f"the {loss.name} loss needs labels +-1: use a sign, noisy-sign or probit teacher")
    return teacher, loss


def saddle_point(
    model: CovariateModel,
    teacher: str | Channel,
    loss: str | Loss,
    lam: float,
    *,
    alpha: float,
    gamma: float | None = None,
    start: tuple[float, float, float] | None = None,
    tol: float = 1e-11,
    max_iter: int = 3000,
    warn: bool = True,
    **teacher_params: float,
) -> ERMPoint:
    r"""The saddle point of ERM in the Gaussian covariate model at one point (module docstring).

    Parameters
    ----------
    model
        A :class:`~statlearn.models.covariates.CovariateModel` (isotropic or block covariates,
        random features).
    teacher
        Label channel: ``"sign"``, ``"noisy-sign"`` (``delta`` = flip probability), ``"probit"`` or
        ``"gaussian"`` (linear teacher, ``delta`` = label-noise variance), or a Channel.
    loss
        ``"square"``, ``"logistic"``, ``"hinge"`` or a :class:`~statlearn.models.losses.Loss`.
    lam
        Ridge penalty :math:`\lambda\ge0`; 0 only for the square loss (the ridgeless limit).
    alpha, gamma
        alpha = n/d samples per input dimension (> 0); gamma = P/D features per input dimension,
        for random features only.
    start
        Starting overlaps (m, q, V); by default a small informative guess.
    tol, max_iter
        Tolerance on the residual of (m / sqrt(rho q), ln q, ln V) and iteration cap.
    warn
        Emit :class:`~statlearn.numerics.ConvergenceWarning` if not converged (the point is
        returned with ``converged=False`` either way).
    """
    lam = float(as_real_array("lam", lam, minimum=0.0))
    alpha = float(as_real_array("alpha", alpha, minimum=0.0, strict_minimum=True))
    if gamma is not None:
        gamma = float(as_real_array("gamma", gamma, minimum=0.0, strict_minimum=True))
    teacher, loss = _resolve(teacher, loss, **teacher_params)
    if lam == 0 and not isinstance(loss, Square):
        raise ValueError(f"lam must be > 0 for the {loss.name} loss (lam = 0 only for the square loss)")
    problem = _Problem(model, teacher, loss, alpha, gamma)
    point = _solve_point(problem, lam, alpha, gamma, _start(problem, start), tol, max_iter)
    if warn and not point.converged:
        _warn_unconverged([point])
    return point


def _start(problem: _Problem, start: tuple[float, float, float] | None) -> np.ndarray:
    if start is None:
        return problem.state(0.1 * problem.rho, 0.2 * problem.rho, 1.0)
    m, q, V = start
    if not (q > 0 and V > 0 and m * m < problem.rho * q):
        raise ValueError(f"start must have q > 0, V > 0 and m^2 < rho q, got {start!r}")
    return problem.state(m, q, V)


def _solve_point(
    problem: _Problem, lam: float, alpha: float, gamma: float | None, start: np.ndarray, tol: float, max_iter: int
) -> ERMPoint:
    common = dict(alpha=alpha, gamma=np.nan if gamma is None else gamma, lam=lam, ratio=problem.ratio, rho=problem.rho)
    if lam == 0 and abs(problem.ratio - problem.spectrum.rank) <= 1e-12 * problem.ratio:
        # the interpolation threshold itself: q and V diverge as lam -> 0+
        return ERMPoint(
            m=np.nan,
            q=np.inf,
            V=np.inf,
            mhat=0.0,
            qhat=0.0,
            Vhat=0.0,
            test_error=np.inf,
            training_loss=0.0,
            converged=False,
            iterations=0,
            residual=np.inf,
            **common,
        )
    if lam == 0 and problem.ratio < problem.spectrum.rank:  # the ridgeless interpolator
        result = problem.solve_interpolator(start[:2], tol, max_iter)
        m, q = problem.unpack(result.x)
        return ERMPoint(
            m=m,
            q=q,
            V=np.inf,
            mhat=0.0,
            qhat=0.0,
            Vhat=0.0,
            test_error=problem.test_error(m, q),
            training_loss=0.0,
            converged=result.converged,
            iterations=result.iterations,
            residual=result.residual,
            **common,
        )
    result, hats = problem.solve(lam, start, tol, max_iter)
    iterations = result.iterations
    if not result.converged and lam > 0:  # continuation from the regularised side
        x = np.array(start, dtype=float)
        for factor in _LAMBDA_LADDER:
            result, hats = problem.solve(lam * factor, x, tol, max_iter)
            iterations += result.iterations
            if result.converged:
                x = result.x
    m, q, V = problem.unpack(result.x)
    return ERMPoint(
        m=m,
        q=q,
        V=V,
        mhat=hats[0],
        qhat=hats[1],
        Vhat=hats[2],
        test_error=problem.test_error(m, q),
        training_loss=problem.training_loss(m, q, V),
        converged=result.converged,
        iterations=iterations,
        residual=result.residual,
        **common,
    )


def _warn_unconverged(points: list[ERMPoint]) -> None:
    bad = [p for p in points if not p.converged]
    if bad:
        where = ", ".join(
            f"(alpha={p.alpha:g}, gamma={p.gamma:g}, lam={p.lam:g}; residual {p.residual:.2g})" for p in bad[:5]
        )
        warnings.warn(
            f"the ERM saddle point did not converge at {len(bad)} point(s): {where}{' ...' if len(bad) > 5 else ''}",
            ConvergenceWarning,
            stacklevel=3,
        )


def _predict(problem: _Problem, solved: list[tuple[float, np.ndarray]], t: float) -> np.ndarray:
    """Start of the next point of a curve: the default with no solution yet, the last solution
    after one, else the secant through the last two (in the log of the swept parameter), projected."""
    if not solved:
        return _start(problem, None)
    (t1, x1) = solved[-1]
    if len(solved) == 1 or solved[-2][0] == t1 or len(x1) != len(solved[-2][1]):
        return x1
    t0, x0 = solved[-2]
    return problem.project(x1 + (x1 - x0) * (t - t1) / (t1 - t0))


def learning_curve(
    model: CovariateModel,
    teacher: str | Channel,
    loss: str | Loss,
    lam: float,
    *,
    alpha: ArrayLike,
    gamma: ArrayLike | None = None,
    tol: float = 1e-11,
    max_iter: int = 3000,
    progress: bool = False,
    **teacher_params: float,
) -> LearningCurve:
    r"""The ERM learning curve along a grid of alpha or of gamma (:func:`saddle_point` for the
    parameters).

    ``alpha`` and ``gamma`` broadcast against each other (one of them is typically the grid); each
    point starts from the secant extrapolation of the last two converged ones (continuation),
    falling back to continuation in lambda (module docstring). Points that still fail are kept, flagged ``converged=False``, and
    reported in one :class:`~statlearn.numerics.ConvergenceWarning`. ``progress`` shows a tqdm bar.
    """
    lam = float(as_real_array("lam", lam, minimum=0.0))
    alphas = _grid("alpha", alpha, minimum=0.0, strict=True)
    gammas = _grid("gamma", gamma, minimum=0.0, strict=True)
    teacher, loss = _resolve(teacher, loss, **teacher_params)
    if lam == 0 and not isinstance(loss, Square):
        raise ValueError(f"lam must be > 0 for the {loss.name} loss (lam = 0 only for the square loss)")
    if gammas is None:
        pairs = [(a, None) for a in alphas]
    else:
        a, g = np.broadcast_arrays(alphas, gammas)
        pairs = list(zip(a.tolist(), g.tolist()))
    points: list[ERMPoint] = []
    solved: list[tuple[float, np.ndarray]] = []  # (log of the control parameter, state) of converged points
    iterator = pairs
    if progress:
        from tqdm import tqdm

        iterator = tqdm(pairs, desc="saddle point", unit="pt")
    for a, g in iterator:
        problem = _Problem(model, teacher, loss, a, g)
        t = math.log(a) + (0.0 if g is None else math.log(g))
        point = _solve_point(problem, lam, a, g, _predict(problem, solved, t), tol, max_iter)
        if point.converged:
            solved.append((t, problem.state(point.m, point.q, point.V if np.isfinite(point.V) else 1.0)))
        points.append(point)
    _warn_unconverged(points)
    return LearningCurve.from_points(points)


def optimal_lambda(
    model: CovariateModel,
    teacher: str | Channel,
    loss: str | Loss,
    *,
    alpha: float,
    gamma: float | None = None,
    bounds: tuple[float, float] = (1e-8, 1e2),
    **teacher_params: float,
) -> ERMPoint:
    """The saddle point at the penalty that minimises the test error, searched in log lambda
    within ``bounds`` (Brent); the returned point's ``lam`` is the optimum. An optimum at a bound
    is reported with a warning (the true optimum may be 0 or beyond)."""
    low, high = (float(as_real_array("bounds", b, minimum=0.0, strict_minimum=True)) for b in bounds)
    if not low < high:
        raise ValueError(f"bounds must be increasing, got {bounds!r}")
    teacher, loss = _resolve(teacher, loss, **teacher_params)
    problem = _Problem(model, teacher, loss, alpha, gamma)
    start = [_start(problem, None)]

    def error(log_lam: float) -> float:
        point = _solve_point(problem, math.exp(log_lam), alpha, gamma, start[0], 1e-12, 3000)
        if point.converged:
            start[0] = problem.state(point.m, point.q, point.V)
        return point.test_error

    result = minimize_scalar(error, bounds=(math.log(low), math.log(high)), method="bounded", options={"xatol": 1e-6})
    best = _solve_point(problem, math.exp(result.x), alpha, gamma, start[0], 1e-12, 3000)
    if min(result.x - math.log(low), math.log(high) - result.x) < 1e-3:
        warnings.warn(
            f"optimal lambda {best.lam:.3g} sits at the edge of bounds {bounds}", RuntimeWarning, stacklevel=2
        )
    return best
