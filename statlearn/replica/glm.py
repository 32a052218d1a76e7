r"""Bayes-optimal generalised linear models: replica formula, state evolution, phase transitions.

Teacher :math:`w^*\sim P_w` (i.i.d., :math:`\rho = \mathbb{E}w^2`), Gaussian inputs, labels
:math:`y^\mu\sim P_{out}(y | x^\mu\cdot w^*/\sqrt N)`, ``alpha`` = M/N samples per weight; the
student knows the prior and the channel. The free entropy is (Barbier, Krzakala, Macris, Miolane &
Zdeborová, PNAS 116, 5451 (2019), proven)

.. math::
    \phi(\alpha) = \operatorname{extr}_{m,\hat m}\Big[-\frac{m\hat m}{2} + \Psi_w(\hat m)
    + \alpha\Psi_{out}(m)\Big]
    = \operatorname{extr}\Big[\frac{\hat m(\rho - m)}{2} - I_w(\hat m) + \alpha\Psi_{out}(m)\Big],

with :math:`I_w(\hat m) = \rho\hat m/2 - \Psi_w(\hat m)` the information of the scalar channel
(the second form has no cancellation when :math:`m\to\rho`). Its stationarity conditions

.. math:: \hat m = \alpha\, \mathbb{E}_\xi\!\int\! dy\, Z_{out}\, g_{out}^2 \;(\texttt{channel.conjugate}),
   \qquad m = \mathbb{E}\, f_a^2 \;(\texttt{prior.overlap})

are the state evolution of AMP (Rangan 2011): iterating them from :math:`m = 0` follows what AMP
achieves (``init="uninformative"``), from :math:`m=\rho` the best fixed point an informed start
reaches (``init="informative"``). Outputs: overlap :math:`m`, MMSE :math:`\rho - m`, the
Bayes-optimal generalisation error of the channel, the mutual information per weight
:math:`i = -\phi - \alpha H(Y|Z)`.

The fixed points form one curve parametrised by :math:`m`:
:math:`\alpha(m) = \hat m(m)/C(m)`, with :math:`\hat m(m)` the inverse of the prior's overlap and
:math:`C` the channel's conjugate. A fixed point is stable exactly where :math:`\alpha(m)`
increases (:math:`F'(m) < 1`), so the local extrema of :math:`\alpha(m)` are the spinodals:
the first maximum is where the uninformative branch disappears, the algorithmic threshold
:math:`\alpha_{alg}`; the information-theoretic threshold :math:`\alpha_{IT}` is where the
stable branches' free entropies cross (:func:`thresholds`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from statlearn.models.channels import Channel
from statlearn.models.priors import Prior
from statlearn.models.registry import resolve_model
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.roots import bracket_root
from statlearn.numerics.validation import as_real_array

__all__ = ["GLMState", "Thresholds", "bayes_optimal", "state_evolution", "fixed_point_curve", "thresholds"]

MHAT_MAX = 1e10
"""Largest conjugate overlap iterated; beyond it the scalar channel is noiseless to double precision."""

INITS = ("uninformative", "informative")
BRANCHES = INITS + ("equilibrium",)


@dataclass(frozen=True)
class GLMState:
    """Bayes-optimal learning at one or several loads (array fields for an array of ``alpha``).

    ``overlap`` is m (= the estimator's self-overlap, Nishimori), ``conjugate`` is mhat, ``mse``
    is the MMSE :math:`\\rho - m`, ``free_entropy`` is :math:`\\phi`, ``mutual_information`` is
    i per weight (nats), ``init`` the branch followed.
    """

    alpha: np.ndarray | float
    overlap: np.ndarray | float
    conjugate: np.ndarray | float
    mse: np.ndarray | float
    generalization_error: np.ndarray | float
    free_entropy: np.ndarray | float
    mutual_information: np.ndarray | float
    converged: np.ndarray | bool
    iterations: np.ndarray | int
    residual: np.ndarray | float
    init: str


@dataclass(frozen=True)
class Thresholds:
    """Phase transitions of a (prior, channel) pair; None where a threshold does not exist.

    ``alpha_alg``: the uninformative branch disappears (AMP starts to succeed);
    ``alpha_it``: the informative branch's free entropy overtakes the uninformative one;
    ``alpha_spinodal``: where an interior informative branch appears (None when it extends to
    small alpha, e.g. the perfect-recovery point of a noiseless channel); ``spinodals``: every
    local extremum of alpha(m), as (alpha, m) pairs.
    """

    alpha_it: float | None
    alpha_alg: float | None
    alpha_spinodal: float | None
    spinodals: tuple[tuple[float, float], ...]


def _conjugate(prior: Prior, channel: Channel, alpha: np.ndarray, m: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        mhat = alpha * np.asarray(channel.conjugate(np.minimum(m, prior.rho), prior.rho), dtype=float)
    return np.where(np.isnan(mhat) | (mhat > MHAT_MAX), MHAT_MAX, mhat)


def state_evolution(
    prior: str | Prior,
    channel: str | Channel,
    alpha: float,
    *,
    n_iter: int,
    init: float | str = "uninformative",
    **params,
) -> np.ndarray:
    r"""The state-evolution trajectory :math:`m_0, m_1, \dots, m_{n}` of AMP at load ``alpha``.

    ``init`` is a starting overlap or one of ``"uninformative"`` (:math:`m_0 = 0`) and
    ``"informative"`` (:math:`m_0 = \rho`). The predicted MSE of AMP at iteration t is
    :math:`\rho - m_t`.
    """
    pri, cha = resolve_model(prior, channel, params)
    a = float(as_real_array("alpha", alpha, minimum=0.0))
    m = _initial_overlap(pri, init)
    trajectory = [m]
    for _ in range(int(n_iter)):
        m = float(pri.overlap(_conjugate(pri, cha, np.array(a), np.array(m))))
        trajectory.append(m)
    return np.array(trajectory)


def _initial_overlap(prior: Prior, init: float | str) -> float:
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS} or an overlap, got {init!r}")
        return 0.0 if init == "uninformative" else prior.rho
    return float(as_real_array("init", init, minimum=0.0, maximum=prior.rho))


def bayes_optimal(
    prior: str | Prior,
    channel: str | Channel,
    alpha: ArrayLike,
    *,
    init: str = "equilibrium",
    tol: float = 1e-12,
    max_iter: int = 100_000,
    **params: float,
) -> GLMState:
    r"""Bayes-optimal overlap, errors, free entropy and mutual information at loads ``alpha``.

    Iterates the state evolution from the start ``init`` for every load at once (plain
    iteration, which is monotone and so stays on the branch of its start; converged loads drop
    out), until
    :math:`|m_{t+1} - m_t| \le` ``tol`` :math:`\rho`. Loads that do not converge in ``max_iter``
    iterations (critical slowing down at a spinodal) are flagged ``converged=False`` with a
    :class:`~statlearn.numerics.ConvergenceWarning`.

    Parameters
    ----------
    prior, channel
        Names (see :data:`statlearn.models.priors.PRIORS` and
        :data:`statlearn.models.channels.CHANNELS`) or instances.
    alpha
        Load(s) M/N >= 0; a scalar gives scalar fields, an array a curve.
    init
        ``"uninformative"`` (m = 0: the branch AMP follows), ``"informative"`` (m = rho), or
        ``"equilibrium"`` (default): at every load the branch of larger free entropy, which is
        the Bayes-optimal one (Barbier et al. 2019). On a metastable branch the reported
        ``mutual_information`` is :math:`-\phi - \alpha H(Y|Z)` of that branch, which exceeds the
        true mutual information.
    **params
        ``rho`` (prior) and ``delta`` (channel), see :func:`resolve_model`.
    """
    pri, cha = resolve_model(prior, channel, params)
    if init not in BRANCHES:
        raise ValueError(f"init must be one of {BRANCHES}, got {init!r}")
    if init == "equilibrium":
        low = bayes_optimal(pri, cha, alpha, init="uninformative", tol=tol, max_iter=max_iter)
        high = bayes_optimal(pri, cha, alpha, init="informative", tol=tol, max_iter=max_iter)
        take_high = np.asarray(high.free_entropy) > np.asarray(low.free_entropy)
        merged = {
            name: np.where(take_high, getattr(high, name), getattr(low, name))[()]
            for name in GLMState.__dataclass_fields__
            if name != "init"
        }
        if np.ndim(alpha) == 0:
            merged = {k: v.item() for k, v in merged.items()}
        return GLMState(init="equilibrium", **merged)
    a = as_real_array("alpha", alpha, minimum=0.0)
    scalar = a.ndim == 0
    a = np.atleast_1d(a).astype(float)
    rho = pri.rho
    m = np.full(a.shape, _initial_overlap(pri, init))
    mhat = np.zeros(a.shape)
    iterations = np.zeros(a.shape, dtype=int)
    residual = np.full(a.shape, np.inf)
    active = np.ones(a.shape, dtype=bool)
    for _ in range(int(max_iter)):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        mh = _conjugate(pri, cha, a[idx], m[idx])
        new = np.asarray(pri.overlap(mh), dtype=float)
        residual[idx] = np.abs(new - m[idx])
        m[idx], mhat[idx] = new, mh
        iterations[idx] += 1
        active[idx] = residual[idx] > tol * rho
    converged = ~active
    if not np.all(converged):
        warnings.warn(
            f"bayes_optimal: state evolution did not converge at alpha = {a[~converged].tolist()} "
            f"in {max_iter} iterations (a spinodal nearby?); converged=False there",
            ConvergenceWarning,
            stacklevel=2,
        )
    mse = np.asarray(pri.mse(mhat), dtype=float)
    phi = 0.5 * mhat * mse - np.asarray(pri.information(mhat)) + a * np.asarray(cha.free_entropy(rho - mse, rho))
    info = -phi - a * cha.conditional_entropy(rho)
    fields = dict(
        alpha=a,
        overlap=rho - mse,
        conjugate=mhat,
        mse=mse,
        generalization_error=np.asarray(cha.generalization_error(rho - mse, rho), dtype=float),
        free_entropy=phi,
        mutual_information=info,
        converged=converged,
        iterations=iterations,
        residual=residual,
    )
    if scalar:
        fields = {k: v[0].item() for k, v in fields.items()}
    return GLMState(init=init, **fields)


def fixed_point_curve(prior: str | Prior, channel: str | Channel, conjugate: ArrayLike, **params: float):
    r"""Every fixed point, parametrised by the conjugate overlap: ``(alpha, m)`` for each :math:`\hat m`.

    Along the curve :math:`m = m(\hat m)` (the prior's overlap) and
    :math:`\alpha = \hat m / C(m)` (:math:`C` = the channel's conjugate), so every point is a fixed
    point of the state evolution at that load; no equation is solved. :math:`m(\hat m)` increases,
    so stable fixed points are where :math:`\alpha` increases along the curve.
    """
    pri, cha = resolve_model(prior, channel, params)
    mhat = as_real_array("conjugate", conjugate, minimum=0.0)
    m = pri.rho - np.asarray(pri.mse(mhat), dtype=float)
    with np.errstate(divide="ignore"):
        alpha = mhat / np.asarray(cha.conjugate(m, pri.rho), dtype=float)
    return alpha[()], m[()]


def thresholds(prior: str | Prior, channel: str | Channel, *, n_grid: int = 800, **params: float) -> Thresholds:
    r"""Algorithmic and information-theoretic thresholds and spinodals of the model.

    The fixed-point curve is sampled on ``n_grid`` conjugate overlaps :math:`\hat m` spaced
    logarithmically from :math:`10^{-8}` to ``MHAT_MAX``; the local extrema of :math:`\alpha`
    along it are refined by bounded scalar optimisation in :math:`\ln\hat m`.
    :math:`\alpha_{IT}` is the root of :math:`\phi_{inf}(\alpha) - \phi_{uninf}(\alpha)` between
    the informative spinodal (or a small load) and :math:`\alpha_{alg}`, with both branches
    solved by :func:`bayes_optimal`.
    """
    pri, cha = resolve_model(prior, channel, params)
    t = np.linspace(np.log(1e-8), np.log(MHAT_MAX), int(n_grid))

    def alpha_of(tt: np.ndarray) -> np.ndarray:
        return np.asarray(fixed_point_curve(pri, cha, np.exp(tt))[0])

    alpha = alpha_of(t)
    slope = np.sign(np.diff(alpha))
    turns = np.flatnonzero(slope[1:] * slope[:-1] < 0) + 1
    spinodals = []
    for k in turns:
        is_max = slope[k - 1] > 0
        sign = -1.0 if is_max else 1.0
        best = optimize.minimize_scalar(
            lambda x: sign * float(alpha_of(np.array([x]))[0]),
            bounds=(t[k - 1], t[k + 1]),
            method="bounded",
            options={"xatol": 1e-10},
        )
        m_turn = float(fixed_point_curve(pri, cha, np.exp(best.x))[1])
        spinodals.append((float(sign * best.fun), m_turn, is_max))
    maxima = [s for s in spinodals if s[2]]
    alpha_alg = maxima[0][0] if maxima else None
    minima_after = [s for s in spinodals if not s[2] and maxima and s[1] > maxima[0][1]]
    alpha_sp = minima_after[0][0] if minima_after else None
    alpha_it = None
    if alpha_alg is not None:
        lo = alpha_sp if alpha_sp is not None else alpha_alg / 50.0
        grid = np.linspace(lo, alpha_alg, 41)[1:-1]

        def gap(a: np.ndarray) -> np.ndarray:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                up = bayes_optimal(pri, cha, a, init="informative").free_entropy
                down = bayes_optimal(pri, cha, a, init="uninformative").free_entropy
            return np.asarray(up) - np.asarray(down)

        g = gap(grid)
        change = np.flatnonzero(np.sign(g[1:]) * np.sign(g[:-1]) < 0)
        if change.size:
            k = change[0]
            alpha_it = float(bracket_root(gap, grid[k], grid[k + 1], xtol=1e-10, rtol=1e-10).root)
    return Thresholds(
        alpha_it=alpha_it,
        alpha_alg=alpha_alg,
        alpha_spinodal=alpha_sp,
        spinodals=tuple((a, mm) for a, mm, _ in spinodals),
    )
