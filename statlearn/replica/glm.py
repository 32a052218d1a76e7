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
reaches (``init="informative"``). Outputs: overlap :math:`m` (= the self-overlap :math:`q` on the
Nishimori line), MMSE :math:`\rho - m`, the Bayes-optimal generalisation error of the channel, the
mutual information per weight :math:`i = -\phi - \alpha H(Y|Z)`.

The iteration runs in the gap :math:`V = \rho - m` (the MMSE), not in :math:`m`: at large
:math:`\alpha` the gap falls like :math:`\alpha^{-2}` (Gaussian prior, sign channel:
:math:`V \simeq 1/(K\alpha)^2`, :math:`\epsilon_g \simeq 1/(\pi K\alpha) = 0.4417/\alpha` with
:math:`K = \sqrt{2/\pi}\int dt\,\varphi(t)^2/H(t)`, see ``docs/theory/glm.md``) and :math:`m` itself
cannot hold it. The channel's quantities are evaluated at :math:`q = \rho - V` while
:math:`V \ge 10^{-6}\rho` and continued below by their expansion in :math:`V`
(:func:`near_teacher`), so the MMSE, the error and the mutual information stay accurate to
:math:`\alpha\sim10^{100}`; a load that cannot be resolved is reported ``converged=False`` with a
warning, never clamped.

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
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

from statlearn.models.channels import Channel
from statlearn.models.priors import MHAT_LIMIT, Prior
from statlearn.models.registry import resolve_model
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.roots import bracket_root
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar, brief

__all__ = [
    "GLMState",
    "PhaseDiagram",
    "Thresholds",
    "bayes_optimal",
    "state_evolution",
    "fixed_point_curve",
    "thresholds",
    "near_teacher",
    "phase_diagram",
]

GAP_FLOOR = 1e-6
r"""Smallest relative gap :math:`V/\rho` at which a channel is evaluated directly at :math:`q = \rho - V`.

Below it :math:`q` no longer holds :math:`V` to better than :math:`10^{-10}` relative, and the
channel's quantities are continued by their expansion in :math:`V` (:func:`near_teacher`)."""

START_GAP = 1e-200
r"""Relative gap :math:`V_0/\rho` of the informative start (:math:`m_0 = \rho(1 - 10^{-200})`).

A fixed point with a smaller non-zero gap (e.g. the Rademacher prior's MMSE
:math:`\sim e^{-\hat m/2}` at :math:`\hat m\sim10^3`) is reported as perfect recovery, gap 0: :math:`m = \rho`
to every digit, and below the start the iteration cannot tell two fixed points apart."""

REGIME_TOL = 1e-3
r"""Largest :math:`|b| V_f` of the continuation's fit: beyond it the channel is not in its asymptotic regime."""

MHAT_GRID_MAX = 1e10
r"""Largest conjugate overlap :math:`\hat m` of the grid :func:`thresholds` scans for spinodals."""

MAX_STEPS = 10**6
"""Largest ``n_iter`` of :func:`state_evolution` and ``n_grid`` of :func:`thresholds` (bounded up front)."""

INITS = ("uninformative", "informative")
BRANCHES = INITS + ("equilibrium",)


@dataclass(frozen=True)
class GLMState:
    r"""Bayes-optimal learning at one or several loads (array fields, of the shape of ``alpha``, for an array).

    Attributes
    ----------
    alpha
        The loads M/N.
    m
        Student-teacher overlap :math:`m = \mathbb{E}\, w^* \hat w` of the posterior mean.
    q
        Self-overlap :math:`q = \mathbb{E}\,\hat w^2` of the posterior mean; equal to ``m`` on the
        Nishimori line (the student knows the prior and the channel), kept so that every overlap
        has its name.
    conjugate
        The conjugate overlap :math:`\hat m` (signal-to-noise ratio of the scalar prior channel).
    mse
        The MMSE :math:`\rho - m`, computed as the gap the iteration runs in (no cancellation).
    generalization_error
        The Bayes-optimal test error of the channel (:meth:`Channel.generalization_error`).
    free_entropy
        :math:`\phi` of the branch followed.
    mutual_information
        :math:`i = -\phi - \alpha H(Y|Z)` per weight (nats).
    converged
        Per load: the relative change of the MMSE fell to ``tol`` (bool array for an array of loads).
    iterations
        Per load: evaluations of the state-evolution map :math:`V \mapsto \rho - m(\alpha C(\rho - V))`.
    residual
        Per load: :math:`|V_{t+1} - V_t| / \max(V_t, V_{t+1})` at the last evaluation, the
        relative change of the MMSE (0 at an exact fixed point, e.g. perfect recovery).
    message
        One line: why the iteration stopped (over all loads for an array).
    init
        The branch requested (``"uninformative"``, ``"informative"``, ``"equilibrium"``).
    branch
        Per load, the branch reported: ``"uninformative"`` or ``"informative"`` (for ``"equilibrium"``, the
        one of larger free entropy), or ``"single"`` where the model has one fixed point (a log-concave
        prior and channel, e.g. the Gaussian prior with the sign, probit or Gaussian channel), which was
        then solved once.

    Arrays are read-only.
    """

    alpha: np.ndarray | float
    m: np.ndarray | float
    q: np.ndarray | float
    conjugate: np.ndarray | float
    mse: np.ndarray | float
    generalization_error: np.ndarray | float
    free_entropy: np.ndarray | float
    mutual_information: np.ndarray | float
    converged: np.ndarray | bool
    iterations: np.ndarray | int
    residual: np.ndarray | float
    message: str
    init: str
    branch: np.ndarray | str

    def __post_init__(self) -> None:
        freeze_arrays(self)


@dataclass(frozen=True)
class Thresholds:
    r"""Phase transitions of a (prior, channel) pair.

    Attributes
    ----------
    alpha_it
        Where the informative branch's free entropy overtakes the uninformative one (the
        information-theoretic threshold); None when there is no transition (``alpha_alg`` is None)
        or when it was not found (then ``converged`` is False and ``message`` says why).
    alpha_alg
        Where the uninformative branch disappears (AMP starts to succeed): the first local maximum
        of :math:`\alpha(m)`; None when :math:`\alpha(m)` has no maximum on the scanned range (no
        phase transition).
    alpha_informative_spinodal
        Where an interior informative branch appears: the first local minimum of :math:`\alpha(m)`
        beyond ``alpha_alg``; None when the informative branch extends to small alpha (e.g. the
        perfect-recovery point of a noiseless channel with a discrete prior). ``alpha_alg`` is a
        spinodal too (that of the uninformative branch); both are in ``spinodals``.
    spinodals
        Every local extremum of :math:`\alpha(m)` found, as (alpha, m) pairs in increasing m.
    converged
        Whether every threshold that exists was found: each extremum refined, both branches of the
        free-entropy comparison converged, and the root ``alpha_it`` bracketed and converged.
    iterations
        Evaluations of the free-entropy difference by the root finder for ``alpha_it`` (0 when it
        was not sought).
    residual
        :math:`|\phi_{inf} - \phi_{uninf}|` at ``alpha_it``; ``nan`` when no root was sought.
    message
        One line saying, for each threshold, found, does not exist, or not found and why.
    """

    alpha_it: float | None
    alpha_alg: float | None
    alpha_informative_spinodal: float | None
    spinodals: tuple[tuple[float, float], ...]
    converged: bool
    iterations: int
    residual: float
    message: str


def near_teacher(
    f: Callable[[np.ndarray], ArrayLike], gap: ArrayLike, rho: float, *, difference: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    r"""A channel quantity :math:`f(q)` at :math:`q = \rho - V`, accurate for gaps :math:`V` down to 0.

    For :math:`V \ge V_f =` ``GAP_FLOOR`` :math:`\rho`, :math:`f` is evaluated at :math:`q = \rho - V`
    (the channel computes :math:`\rho - q` exactly, so the only error is the rounding of :math:`q`,
    :math:`10^{-16}\rho/V \le 10^{-10}` relative). Below, where :math:`q` cannot hold :math:`V`,
    :math:`g(V) = f(\rho - V) - f(\rho)` (:math:`g = f` when :math:`f(\rho)` is infinite, as the
    conjugate of a noiseless channel, :math:`C\sim K/\sqrt V`) is continued by its expansion

    .. math:: g(V) = A\, V^{\gamma} e^{bV}\,(1 + O(V^2)),

    with :math:`(A, \gamma, b)` fitted exactly through :math:`g` at the gaps :math:`V_f, 2V_f, 4V_f`
    (taken as :math:`\rho - q`, exact). The expansion of every built-in channel at :math:`q\to\rho`
    is of this form (a power series in :math:`V` times :math:`V^\gamma`; :math:`\gamma = -1/2` for
    the conjugate, :math:`1/2` for the error and the free entropy of a noiseless threshold
    teacher, 1 for a smooth quantity), so the continuation is accurate to :math:`O(V_f^2)` in
    :math:`\gamma`. Where :math:`|b| V_f >` ``REGIME_TOL`` the channel is not in its asymptotic
    regime at :math:`V_f` (noise of order :math:`V_f`): a finite :math:`f(\rho)` is then evaluated
    directly at :math:`q = \rho - V`, an infinite one is not trusted.

    Parameters
    ----------
    f
        Vectorised :math:`q \mapsto f(q)` on ``[0, rho]``.
    gap
        Gaps :math:`V` in ``[0, rho]``.
    rho
        The teacher's norm.
    difference
        Return :math:`g(V) = f(\rho - V) - f(\rho)` (needs a finite :math:`f(\rho)`), without the
        cancellation of subtracting afterwards.

    Returns
    -------
    values, trusted
        The values, and where they are trusted (False only for a continuation out of regime).
    """
    rho = as_real_scalar("rho", rho, minimum=0.0, strict_minimum=True)
    V = as_real_array("gap", gap, minimum=0.0)
    if np.any(V > rho):
        raise ValueError(f"gap must be in [0, rho = {rho!r}], got {V[V > rho].ravel()[0].item()!r}")
    limit = float(np.asarray(f(np.array([rho])), dtype=float).ravel()[0])
    return _Continuation(f, rho, limit, difference)(V)


class _Continuation:
    """:func:`near_teacher` for one quantity, built once (the limit and the fit are computed on first need),
    so that a solver's every step evaluates :math:`f` only at its far gaps."""

    def __init__(self, f: Callable[[np.ndarray], ArrayLike], rho: float, limit: float, difference: bool) -> None:
        if difference and not np.isfinite(limit):
            raise ValueError("near_teacher: difference=True needs a finite f(rho)")
        self.f, self.rho, self.limit = f, rho, limit
        self.shift = limit if difference else 0.0
        self.floor = GAP_FLOOR * rho
        self._fit: tuple | None = None

    def fit(self) -> tuple:
        """(kind, parameters) of the continuation below the floor (module docstring of :func:`near_teacher`)."""
        if self._fit is not None:
            return self._fit
        limit, rho, floor = self.limit, self.rho, self.floor
        base = limit if np.isfinite(limit) else 0.0
        q = rho - floor * np.array([1.0, 2.0, 4.0])
        g = np.asarray(self.f(q), dtype=float) - base
        gaps = rho - q
        if np.all(g == 0.0):
            self._fit = ("constant", base)
            return self._fit
        sign = np.sign(g[0])
        regular = bool(np.all(sign * g > 0.0))
        if regular:
            log_A, gamma, b = np.linalg.solve(np.column_stack([np.ones(3), np.log(gaps), gaps]), np.log(sign * g))
            regular = bool(np.isfinite(gamma) and abs(b) * floor <= REGIME_TOL)
        if regular:
            self._fit = ("power", (sign, log_A, gamma, b, base))
        elif np.isfinite(limit):
            self._fit = ("direct", None)
        else:
            self._fit = ("untrusted", None)
        return self._fit

    def __call__(self, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rho, shift = self.rho, self.shift
        far = V >= self.floor
        if V.size and far.all():  # every gap far from the teacher: f itself (``far`` is all True: trusted)
            return np.asarray(self.f(rho - V), dtype=float) - shift, far
        values = np.empty(V.shape)
        trusted = np.ones(V.shape, dtype=bool)
        if np.any(far):
            values[far] = np.asarray(self.f(rho - V[far]), dtype=float) - shift
        near = ~far & (V > 0.0)
        values[V == 0.0] = self.limit - shift
        if not np.any(near):
            return values, trusted
        kind, parameters = self.fit()
        if kind == "constant":
            values[near] = parameters - shift
        elif kind == "power":
            sign, log_A, gamma, b, base = parameters
            v = V[near]
            with np.errstate(over="ignore", under="ignore"):
                values[near] = sign * np.exp(log_A + gamma * np.log(v) + b * v) + (base - shift)
        elif kind == "direct":
            values[near] = np.asarray(self.f(rho - V[near]), dtype=float) - shift
        else:
            values[near] = np.inf
            trusted[near] = False
        return values, trusted


class _ChannelPieces:
    r"""A channel's continued quantities at one :math:`\rho` (the conjugate, the error, the drop of
    :math:`\Psi_{out}`, and :math:`H(Y|Z)`), built once per (channel, rho) and cached: channels compare equal
    by their parameters, so a channel named again reuses its limits and continuation fits."""

    def __init__(self, channel: Channel, rho: float) -> None:
        self.conjugate = _Continuation(
            lambda q: channel.conjugate_interior(q, rho), rho, float(channel.conjugate(rho, rho)), False
        )
        self.teacher = float(channel.free_entropy(rho, rho))  # -H(Y|Z)
        self.error = _Continuation(
            lambda q: channel.generalization_error(q, rho), rho, float(channel.generalization_error(rho, rho)), False
        )
        self.drop = (
            _Continuation(lambda q: channel.free_entropy_interior(q, rho), rho, self.teacher, True)
            if np.isfinite(self.teacher)
            else None
        )


@lru_cache(maxsize=64)
def _channel_pieces(channel: Channel, rho: float) -> _ChannelPieces:
    return _ChannelPieces(channel, rho)


class _Model:
    """A (prior, channel) pair with the channel's continued quantities (:class:`_ChannelPieces`)."""

    def __init__(self, prior: Prior, channel: Channel) -> None:
        self.prior, self.channel, self.rho = prior, channel, prior.rho
        self.pieces = _channel_pieces(channel, prior.rho)
        self.conjugate = self.pieces.conjugate

    def observables_of_channel(self, gap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""The generalisation error and :math:`D(V) = \Psi_{out}(\rho) - \Psi_{out}(\rho - V)` at ``gap``."""
        drop = self.pieces.drop
        if drop is None:
            raise ValueError(
                f"delta must be > 0 for the {self.channel.name} channel here: with delta = 0 its H(Y|Z) is infinite "
                "and the free entropy and mutual information do not exist"
            )
        return self.pieces.error(gap)[0], drop(gap)[0]


def _conjugate(model: _Model, alpha: np.ndarray, gap: np.ndarray):
    r""":math:`\hat m = \alpha\, C(\rho - V)`, capped at ``MHAT_LIMIT``; where it is resolved (trusted by
    :func:`near_teacher`, not NaN, not negative: a channel noise far below ``GAP_FLOOR`` :math:`\rho` is out of
    the continuation's regime) and where it was capped."""
    C, trusted = model.conjugate(np.maximum(gap, START_GAP * model.rho))
    with np.errstate(over="ignore", invalid="ignore"):
        mhat = alpha * C
    ok = trusted & (mhat >= 0.0)  # NaN, or a negative continuation (noise far below the floor): unresolved
    capped = ok & (mhat > MHAT_LIMIT)
    return np.where(ok, np.minimum(mhat, MHAT_LIMIT), 0.0), ok, capped


def _step(model: _Model, alpha: np.ndarray, gap: np.ndarray):
    r"""One state-evolution step in the gap: (mhat, new gap, resolved, capped).

    A capped :math:`\hat m` is exact where the prior's MMSE is already 0 there (perfect recovery) and
    otherwise only a start (the informative one); a fixed point reached with it is unresolved."""
    mhat, ok, capped = _conjugate(model, alpha, gap)
    new = np.asarray(model.prior.mse(mhat), dtype=float)
    ok = ok & np.isfinite(new)
    return mhat, np.where(ok, new, gap), ok, capped & (new > 0.0)


def _validate_init(prior: Prior, init: float | str) -> float:
    """The starting gap V_0 = rho - m_0 of ``init``."""
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS} or an overlap, got {brief(init)}")
        return prior.rho if init == "uninformative" else START_GAP * prior.rho
    return prior.rho - as_real_scalar("init", init, minimum=0.0, maximum=prior.rho)


def state_evolution(
    prior: str | Prior,
    channel: str | Channel,
    alpha: float,
    *,
    n_iter: int,
    init: float | str = "uninformative",
    **params: float,
) -> np.ndarray:
    r"""The state-evolution trajectory :math:`m_0, m_1, \dots, m_{n}` of AMP at load ``alpha``.

    ``init`` is a starting overlap or one of ``"uninformative"`` (:math:`m_0 = 0`) and
    ``"informative"`` (:math:`m_0 = \rho`). The predicted MSE of AMP at iteration t is
    :math:`\rho - m_t`. Raises ``ValueError`` if a step cannot be resolved in double precision.
    """
    pri, cha = resolve_model(prior, channel, params)
    a = as_real_scalar("alpha", alpha, minimum=0.0)
    steps = as_count("n_iter", n_iter, maximum=MAX_STEPS)
    gap = np.array([_validate_init(pri, init)])
    trajectory = [pri.rho if init == "informative" else pri.rho - gap[0]]
    model = _Model(pri, cha)
    for _ in range(steps):
        _, gap, ok, capped = _step(model, np.array([a]), gap)
        if not ok[0] or (capped[0] and len(trajectory) > 1):
            raise ValueError(f"alpha = {a!r}: the state evolution leaves the range double precision resolves")
        trajectory.append(pri.rho - gap[0])
    return np.array(trajectory)


def _solve_branch(model: _Model, a: np.ndarray, init: str, tol: float, max_iter: int, unique: bool = False) -> dict:
    r"""Iterate one branch at the flat loads ``a``; every field a flat array, plus ``resolved``.

    Plain iteration of the monotone map :math:`T`, accelerated by Aitken's extrapolation
    :math:`V_2 - (V_2 - V_1)^2/(V_2 - 2V_1 + V_0)` after every two steps that contract in one direction:
    on the branch's side of a stable fixed point it lands near the fixed point without crossing the
    unstable one beside it (at a saddle-node, :math:`T(V) - V \simeq -a e(e + D)`, it approaches from the
    start's side), so the iteration stays on the branch of its start. Where the fixed point is ``unique``
    (a log-concave prior and channel) there is no branch to keep, and the secant step on
    :math:`F(V) = T(V) - V` replaces Aitken's (one evaluation per step instead of two per extrapolation:
    order 1.62 per evaluation against 1.41). Loads whose change fell to ``tol`` (measured on a plain step,
    never on an extrapolation) are frozen and drop out of the arrays."""
    pri = model.prior
    gap = np.full(a.shape, _validate_init(pri, init))
    mhat = np.zeros(a.shape)
    iterations = np.zeros(a.shape, dtype=int)
    residual = np.full(a.shape, np.inf)
    resolved = np.ones(a.shape, dtype=bool)
    capped = np.zeros(a.shape, dtype=bool)
    # the loads still iterating (their indices idx) in compact working arrays, written back when they freeze
    idx, load, current = np.arange(a.size), a, gap.copy()
    before = np.full(a.shape, np.nan)  # the gap one plain step back (NaN: none since the last extrapolation)
    before_step = np.full(a.shape, np.nan)  # T(V) - V there (the secant's previous point)
    last_mhat, last_change = mhat.copy(), residual.copy()
    for step in range(1, max_iter + 1):
        if idx.size == 0:
            break
        mh, new, ok, cap = _step(model, load, current)
        with np.errstate(invalid="ignore", divide="ignore"):
            change = np.where(new == current, 0.0, np.abs(new - current) / np.maximum(new, current))
        last_change = np.where(ok, change, last_change)
        last_mhat = np.where(ok, mh, last_mhat)
        going = ok & (change > tol)
        if unique:
            current, before, before_step = _secant(before, before_step, current, new, going, pri.rho)
        elif np.isnan(before).all():  # no step back since the last extrapolation: a plain step everywhere
            current, before = new, current
        else:
            current, before = _aitken(before, current, new, going, pri.rho)
        stop = ~going if step < max_iter else np.ones(going.shape, dtype=bool)
        if stop.any():
            done = idx[stop]
            gap[done], mhat[done], residual[done] = current[stop], last_mhat[stop], last_change[stop]
            iterations[done], resolved[done], capped[done] = step, ok[stop], cap[stop]
            keep = ~stop
            idx, load, current, before, before_step = (
                idx[keep],
                load[keep],
                current[keep],
                before[keep],
                before_step[keep],
            )
            last_mhat, last_change = last_mhat[keep], last_change[keep]
    resolved &= ~capped
    gap[(gap > 0.0) & (gap < START_GAP * pri.rho)] = 0.0  # below the start: perfect recovery in doubles
    converged = resolved & (residual <= tol)
    return _observables(model, a, gap, mhat) | dict(
        converged=converged, iterations=iterations, residual=residual, resolved=resolved
    )


def _secant(v0: np.ndarray, f0: np.ndarray, v1: np.ndarray, t1: np.ndarray, going: np.ndarray, rho: float):
    r"""(next gap, this gap, its step ``T(V) - V``): the secant root of ``F(V) = T(V) - V`` through ``(v0, f0)``
    and ``(v1, t1 - v1)`` where it lands in ``[t1/10, rho]``, else the plain step ``t1``. (Near a gap that
    vanishes as a power of the load, :math:`T(V) \propto \sqrt V` for the sign channel, the secant of the
    concave map overshoots towards 0; the plain steps converge there, geometrically in :math:`\ln V`.)"""
    f1 = t1 - v1
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        target = v1 - f1 * (v1 - v0) / (f1 - f0)
    jump = going & (target >= 0.1 * t1) & (target <= rho)  # (False for NaN: no previous point, or f1 == f0)
    return np.where(jump, target, t1), v1, f1


def _aitken(v0: np.ndarray, v1: np.ndarray, v2: np.ndarray, going: np.ndarray, rho: float):
    """(next gap, gap one plain step back): Aitken's extrapolation of ``v0, v1, v2`` where the two steps
    contract in one direction and it lands in ``[0, rho]`` beyond ``v2``, else the plain step ``v2``."""
    d1, d2 = v1 - v0, v2 - v1
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        target = v2 - d2 * d2 / (d2 - d1)
        ratio = d2 / d1
    jump = going & (ratio > 0.0) & (ratio < 1.0) & (target >= 0.0) & (target <= rho) & ((target - v2) * d2 > 0.0)
    return np.where(jump, target, v2), np.where(jump, np.nan, v1)


def _observables(model: _Model, a: np.ndarray, gap: np.ndarray, mhat: np.ndarray) -> dict:
    r"""Errors and free entropy at the gaps ``gap``: :math:`i = I_w(\hat m) - \hat m V/2 + \alpha D(V)`
    with :math:`D(V) = \Psi_{out}(\rho) - \Psi_{out}(\rho - V)`, and :math:`\phi = -i - \alpha H(Y|Z)`."""
    pri, rho = model.prior, model.rho
    error, drop = model.observables_of_channel(gap)
    info = np.asarray(pri.information(mhat), dtype=float) - 0.5 * mhat * gap - a * drop
    phi = 0.0 - info + a * model.pieces.teacher  # -H(Y|Z) = Psi_out(rho)
    return dict(
        alpha=a,
        m=rho - gap,
        q=rho - gap,
        conjugate=mhat,
        mse=gap.copy(),
        generalization_error=error,
        free_entropy=phi,
        mutual_information=info,
    )


def _summary(alpha: np.ndarray, fields: dict, tol: float, max_iter: int) -> str:
    converged, resolved = fields["converged"], fields["resolved"]
    n = converged.size
    worst = float(np.max(fields["residual"])) if n else 0.0
    most = int(np.max(fields["iterations"])) if n else 0
    if np.all(converged):
        scope = "" if n == 1 else f" at all {n} loads"
        return f"converged{scope}: relative change of the MMSE {worst:.3g} <= tol {tol:.3g} after at most {most} iterations"
    parts = []
    if np.any(~resolved):
        parts.append(
            f"unresolved at alpha = {alpha[~resolved].tolist()} (the fixed point leaves the range double precision "
            "resolves, or the channel is out of its asymptotic regime)"
        )
    budget = resolved & ~converged
    if np.any(budget):
        parts.append(
            f"state evolution did not converge in {max_iter} iterations at alpha = {alpha[budget].tolist()} (a spinodal nearby?)"
        )
    return "not converged: " + "; ".join(parts)


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

    Iterates the state evolution :math:`V_{t+1} = \rho - m(\alpha\, C(\rho - V_t))` in the gap
    :math:`V = \rho - m` (the MMSE) from the start ``init``, for every load at once (the monotone
    iteration, accelerated by Aitken's extrapolation that stays on the branch of its start, or by secant
    steps where the fixed point is unique, see ``docs/theory/glm.md``; converged loads drop out), until the relative change of the MMSE :math:`|V_{t+1} - V_t|/V_t \le` ``tol``. Loads that
    do not converge in ``max_iter`` iterations (critical slowing down at a spinodal), and loads
    whose fixed point double precision cannot resolve (an overflowing :math:`\hat m`; a gap below
    ``START_GAP`` :math:`\rho` is reported as 0, perfect recovery), are flagged ``converged=False`` with a
    :class:`~statlearn.numerics.ConvergenceWarning`.

    Parameters
    ----------
    prior, channel
        Names (see :data:`statlearn.models.priors.PRIORS` and
        :data:`statlearn.models.channels.CHANNELS`) or instances.
    alpha
        Load(s) M/N >= 0; a scalar gives scalar fields, an array (of any shape) a curve of that shape.
    init
        ``"uninformative"`` (m = 0: the branch AMP follows), ``"informative"`` (m = rho), or
        ``"equilibrium"`` (default): at every load the branch of larger free entropy, which is
        the Bayes-optimal one (Barbier et al. 2019); both branches are solved only where two can
        exist (not for a log-concave prior and channel, whose fixed point is unique: ``branch`` says
        ``"single"``). On a metastable branch the reported
        ``mutual_information`` is :math:`-\phi - \alpha H(Y|Z)` of that branch, which exceeds the
        true mutual information.
    tol
        Relative tolerance on the MMSE, in (0, 1).
    max_iter
        Iteration budget per branch, >= 1.
    **params
        ``rho`` (prior) and ``delta`` (channel), see :func:`resolve_model`.
    """
    pri, cha = resolve_model(prior, channel, params)
    if not isinstance(init, str):
        raise TypeError(f"init must be one of {BRANCHES}, got {brief(init)}")
    if init not in BRANCHES:
        raise ValueError(f"init must be one of {BRANCHES}, got {brief(init)}")
    tolerance = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True, maximum=1.0)
    budget = as_count("max_iter", max_iter, minimum=1)
    a = as_real_array("alpha", alpha, minimum=0.0, allow_empty=False)
    shape = a.shape
    flat = a.ravel()
    model = _Model(pri, cha)
    if init == "equilibrium" and not (pri.log_concave and cha.log_concave):
        low = _solve_branch(model, flat, "uninformative", tolerance, budget)
        high = _solve_branch(model, flat, "informative", tolerance, budget)
        take_high = high["free_entropy"] > low["free_entropy"]
        fields = {k: np.where(take_high, high[k], low[k]) for k in low}
        fields["branch"] = np.where(take_high, "informative", "uninformative")
        failed = ~(low["converged"] & high["converged"])
        report = {k: low[k] & high[k] for k in ("converged", "resolved")}
        report |= {"residual": np.maximum(low["residual"], high["residual"])}
        report |= {"iterations": np.maximum(low["iterations"], high["iterations"])}
    else:
        # a single fixed point (log-concave prior and channel): the uninformative iteration reaches it
        start = "uninformative" if init == "equilibrium" else init
        fields = _solve_branch(model, flat, start, tolerance, budget, unique=init == "equilibrium")
        fields["branch"] = np.full(flat.shape, "single" if init == "equilibrium" else init)
        failed = ~fields["converged"]
        report = fields
    message = _summary(flat, report, tolerance, budget)
    if np.any(failed):
        warnings.warn(f"bayes_optimal: {message}; converged=False there", ConvergenceWarning, stacklevel=2)
    del fields["resolved"]
    if shape == ():
        values = {k: v[0].item() for k, v in fields.items()}
    else:
        values = {k: v.reshape(shape) for k, v in fields.items()}
    return GLMState(message=message, init=init, **values)


def fixed_point_curve(
    prior: str | Prior, channel: str | Channel, conjugate: ArrayLike, **params: float
) -> tuple[np.ndarray | float, np.ndarray | float]:
    r"""Every fixed point, parametrised by the conjugate overlap: ``(alpha, m)`` for each :math:`\hat m`.

    Along the curve :math:`m = m(\hat m)` (the prior's overlap) and
    :math:`\alpha = \hat m / C(m)` (:math:`C` = the channel's conjugate, evaluated in the gap
    :math:`\rho - m` by :func:`near_teacher`), so every point is a fixed point of the state
    evolution at that load; no equation is solved. :math:`m(\hat m)` increases, so stable fixed
    points are where :math:`\alpha` increases along the curve.
    """
    pri, cha = resolve_model(prior, channel, params)
    mhat = as_real_array("conjugate", conjugate, minimum=0.0, maximum=MHAT_LIMIT, allow_empty=False)
    gap = np.asarray(pri.mse(mhat), dtype=float)
    C, _ = near_teacher(lambda q: cha.conjugate(q, pri.rho), gap.ravel(), pri.rho)
    with np.errstate(divide="ignore", over="ignore"):  # C = 0 or tiny: alpha = inf
        alpha = mhat / C.reshape(gap.shape)
    return alpha[()], (pri.rho - gap)[()]


def thresholds(prior: str | Prior, channel: str | Channel, *, n_grid: int = 800, **params: float) -> Thresholds:
    r"""Algorithmic and information-theoretic thresholds and spinodals of the model.

    The fixed-point curve is sampled on ``n_grid`` conjugate overlaps :math:`\hat m` spaced
    logarithmically from :math:`10^{-8}` to ``MHAT_GRID_MAX``; the local extrema of :math:`\alpha`
    along it are refined by bounded scalar optimisation in :math:`\ln\hat m`. Extrema closer than
    the grid spacing may be missed: the message gives the spacing.
    :math:`\alpha_{IT}` is the root of :math:`\phi_{inf}(\alpha) - \phi_{uninf}(\alpha)` between
    the informative spinodal (or a small load) and :math:`\alpha_{alg}`, with both branches
    solved by :func:`bayes_optimal`. A threshold that does not exist is None with
    ``converged=True``; one that exists but was not found is None with ``converged=False``, a
    :class:`~statlearn.numerics.ConvergenceWarning` and the reason in ``message``; the branches'
    own convergence warnings are passed on.

    Parameters
    ----------
    n_grid
        Points of the scan, from 3 (the fewest that can bracket an extremum) to ``MAX_STEPS``.
    """
    pri, cha = resolve_model(prior, channel, params)
    points = as_count("n_grid", n_grid, minimum=3, maximum=MAX_STEPS)
    t = np.linspace(np.log(1e-8), np.log(MHAT_GRID_MAX), points)
    spacing = float(t[1] - t[0])

    def alpha_of(tt: np.ndarray) -> np.ndarray:
        return np.asarray(fixed_point_curve(pri, cha, np.exp(tt))[0])

    alpha = alpha_of(t)
    with np.errstate(invalid="ignore"):  # inf - inf where C underflows (huge noise): no turn there
        slope = np.sign(np.diff(alpha))
    turns = np.flatnonzero(slope[1:] * slope[:-1] < 0) + 1
    spinodals = []
    problems: list[str] = []
    for k in turns:
        is_max = slope[k - 1] > 0
        sign = -1.0 if is_max else 1.0
        best = optimize.minimize_scalar(
            lambda x, s=sign: s * float(alpha_of(np.array([x]))[0]),
            bounds=(t[k - 1], t[k + 1]),
            method="bounded",
            options={"xatol": 1e-10},
        )
        if not best.success:
            problems.append(f"the extremum near alpha = {alpha[k]:.6g} was not refined ({best.message})")
        m_turn = float(np.asarray(fixed_point_curve(pri, cha, np.exp(best.x))[1]))
        spinodals.append((float(sign * best.fun), m_turn, is_max))
    maxima = [s for s in spinodals if s[2]]
    alpha_alg = maxima[0][0] if maxima else None
    minima_after = [s for s in spinodals if not s[2] and maxima and s[1] > maxima[0][1]]
    alpha_sp = minima_after[0][0] if minima_after else None
    scan = f"{points} points, d ln mhat = {spacing:.3g}, mhat in [1e-8, {MHAT_GRID_MAX:g}]"
    notes = []
    alpha_it = None
    iterations, residual = 0, float("nan")
    if alpha_alg is None:
        notes.append(f"alpha_alg and alpha_it do not exist: alpha(m) has no maximum on the scan ({scan})")
    else:
        lo = alpha_sp if alpha_sp is not None else alpha_alg / 50.0
        grid = np.linspace(lo, alpha_alg, 41)[1:-1]
        branch_warnings: list[str] = []

        def gap(a: np.ndarray) -> np.ndarray:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                up = bayes_optimal(pri, cha, a, init="informative").free_entropy
                down = bayes_optimal(pri, cha, a, init="uninformative").free_entropy
            branch_warnings.extend(str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning))
            for w in caught:
                if not issubclass(w.category, ConvergenceWarning):
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            return np.asarray(up) - np.asarray(down)

        g = gap(grid)
        change = np.flatnonzero(np.sign(g[1:]) * np.sign(g[:-1]) < 0)
        if change.size == 0:
            problems.append(
                f"alpha_it not found: phi_inf - phi_uninf has no sign change on [{grid[0]:.6g}, {grid[-1]:.6g}]"
            )
        else:
            k = change[0]
            root = bracket_root(gap, grid[k], grid[k + 1], xtol=1e-10, rtol=1e-10, warn=False)
            iterations, residual = root.iterations, float(root.residual)
            if root.converged:
                alpha_it = float(root.root)
            else:
                problems.append(f"alpha_it not found: {root.message}")
        if branch_warnings:
            problems.append(f"{len(branch_warnings)} branch solves did not converge ({branch_warnings[0]})")
        notes.append(f"alpha_alg = {alpha_alg:.10g}" + (f", alpha_it = {alpha_it:.10g}" if alpha_it else ""))
        if alpha_sp is None:
            notes.append("no informative spinodal beyond alpha_alg: the informative branch extends to small alpha")
    converged = not problems
    message = ("found: " if converged else "not converged: " + "; ".join(problems) + "; ") + "; ".join(notes)
    if problems:
        warnings.warn(f"thresholds: {message}", ConvergenceWarning, stacklevel=2)
    return Thresholds(
        alpha_it=alpha_it,
        alpha_alg=alpha_alg,
        alpha_informative_spinodal=alpha_sp,
        spinodals=tuple((a, mm) for a, mm, _ in spinodals),
        converged=converged,
        iterations=iterations,
        residual=residual,
        message=message,
    )


MAX_GRID = 10**6
"""Most grid points (loads times noise levels) :func:`phase_diagram` accepts (bounded up front)."""


@dataclass(frozen=True)
class PhaseDiagram:
    r"""Both branches and the thresholds of a model on a grid of loads and noise levels.

    Attributes
    ----------
    alpha, delta
        The loads (length ``n_alpha``) and the channel's noise parameters (length ``n_delta``); the grids
        below have shape ``(n_delta, n_alpha)``.
    m_uninformative, m_informative
        The overlap on the branch AMP follows (from :math:`m = 0`) and on the informative branch.
    mse_uninformative, mse_informative
        Their MMSEs :math:`\rho - m`.
    error_uninformative, error_informative
        Their generalisation errors.
    free_entropy_uninformative, free_entropy_informative
        Their free entropies :math:`\phi`.
    mutual_information
        :math:`i = -\phi - \alpha H(Y|Z)` of the equilibrium branch (the larger :math:`\phi`).
    branch
        The equilibrium branch per point: ``"uninformative"``, ``"informative"``, or ``"single"`` where
        the model has one fixed point (:attr:`GLMState.branch`).
    alpha_it, alpha_alg, alpha_informative_spinodal
        The threshold lines per noise level (:class:`Thresholds`), NaN where the threshold does not exist
        or was not found (see ``thresholds_converged``).
    thresholds_converged
        Per noise level: every threshold that exists was found.
    converged
        Per point: both branches converged (bool grid).
    iterations
        Per point: state-evolution evaluations of the slower branch.
    residual
        Per point: the larger final relative change of the MMSE of the two branches.
    message
        One line over the whole diagram.

    Arrays are read-only.
    """

    alpha: np.ndarray
    delta: np.ndarray
    m_uninformative: np.ndarray
    m_informative: np.ndarray
    mse_uninformative: np.ndarray
    mse_informative: np.ndarray
    error_uninformative: np.ndarray
    error_informative: np.ndarray
    free_entropy_uninformative: np.ndarray
    free_entropy_informative: np.ndarray
    mutual_information: np.ndarray
    branch: np.ndarray
    alpha_it: np.ndarray
    alpha_alg: np.ndarray
    alpha_informative_spinodal: np.ndarray
    thresholds_converged: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def phase_diagram(
    prior: str | Prior,
    channel: str,
    alpha: ArrayLike,
    delta: ArrayLike,
    *,
    tol: float = 1e-12,
    max_iter: int = 100_000,
    n_grid: int = 800,
    **params: float,
) -> PhaseDiagram:
    r"""The :math:`(\alpha, \Delta)` phase diagram of a noisy channel: both branches and every threshold.

    For every noise level ``delta`` (the channel's parameter :math:`\Delta`: the noise variance of
    ``"gaussian"``, ``"probit"``, ``"relu"``, the flip probability of ``"noisy-sign"``) the uninformative
    and the informative branches are solved at all loads at once (:func:`bayes_optimal`), only one where
    the fixed point is unique, and the lines :math:`\alpha_{IT}(\Delta)`, :math:`\alpha_{alg}(\Delta)` and the
    informative spinodal are found by :func:`thresholds`. With the Gauss-Bernoulli or Rademacher prior and
    the Gaussian channel this is the compressed-sensing diagram of Krzakala, Mézard, Sausset, Sun & Zdeborová,
    J. Stat. Mech. P08009 (2012), and Barbier, Krzakala, Macris, Miolane & Zdeborová, PNAS 116, 5451 (2019):
    the hard phase lies between :math:`\alpha_{IT}` and :math:`\alpha_{alg}` and closes at a critical
    :math:`\Delta`. Non-converged points and thresholds warn (:class:`~statlearn.numerics.ConvergenceWarning`)
    and are flagged in ``converged`` / ``thresholds_converged``.

    Parameters
    ----------
    prior
        A prior name or instance (``rho`` in ``params`` for the Gaussian and Gauss-Bernoulli priors).
    channel
        The name of a channel that takes ``delta``.
    alpha, delta
        1-d grids of loads >= 0 and noise levels (each a valid ``delta`` of the channel).
    tol, max_iter
        As in :func:`bayes_optimal`.
    n_grid
        As in :func:`thresholds`.
    """
    if not isinstance(channel, str):
        raise TypeError(f"channel must be the name of a channel that takes delta, got {brief(channel)}")
    if "delta" in params:
        raise ValueError("delta is the grid argument of phase_diagram, not a keyword parameter")
    a = np.atleast_1d(as_real_array("alpha", alpha, minimum=0.0, allow_empty=False))
    deltas = np.atleast_1d(as_real_array("delta", delta, allow_empty=False))
    for name, values in (("alpha", a), ("delta", deltas)):
        if values.ndim != 1:
            raise ValueError(f"{name} must be a scalar or a 1-d grid, got shape {values.shape}")
    if a.size * deltas.size > MAX_GRID:
        raise ValueError(f"alpha and delta must span at most {MAX_GRID:g} points, got {a.size} x {deltas.size}")
    tolerance = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True, maximum=1.0)
    budget = as_count("max_iter", max_iter, minimum=1)
    points = as_count("n_grid", n_grid, minimum=3, maximum=MAX_STEPS)
    models = [resolve_model(prior, channel, {**params, "delta": float(d)}) for d in deltas]
    rows: list[dict] = []
    lines = np.full((3, deltas.size), np.nan)
    found = np.ones(deltas.size, dtype=bool)
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        for i, (pri, cha) in enumerate(models):
            model = _Model(pri, cha)
            low = _solve_branch(model, a, "uninformative", tolerance, budget)
            single = pri.log_concave and cha.log_concave
            high = low if single else _solve_branch(model, a, "informative", tolerance, budget)
            rows.append({"low": low, "high": high, "single": single})
            th = thresholds(pri, cha, n_grid=points)
            lines[:, i] = [
                np.nan if x is None else x for x in (th.alpha_it, th.alpha_alg, th.alpha_informative_spinodal)
            ]
            found[i] = th.converged
            if not th.converged:
                problems.append(f"delta = {deltas[i]:.6g}: {th.message}")
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    def grid(branch: str, key: str) -> np.ndarray:
        return np.stack([row[branch][key] for row in rows])

    take_high = grid("high", "free_entropy") > grid("low", "free_entropy")
    one = np.array([row["single"] for row in rows])[:, None]
    branch = np.where(one, "single", np.where(take_high, "informative", "uninformative"))
    converged = grid("low", "converged") & grid("high", "converged")
    if not np.all(converged):
        bad = np.argwhere(~converged)
        problems.insert(
            0,
            f"{len(bad)} of {converged.size} points did not converge (first at delta = "
            f"{deltas[bad[0, 0]]:.6g}, alpha = {a[bad[0, 1]]:.6g})",
        )
    message = (
        "not converged: " + "; ".join(problems)
        if problems
        else f"converged at all {converged.size} points and {deltas.size} threshold lines"
    )
    if problems:
        warnings.warn(f"phase_diagram: {message}", ConvergenceWarning, stacklevel=2)
    return PhaseDiagram(
        alpha=a,
        delta=deltas,
        m_uninformative=grid("low", "m"),
        m_informative=grid("high", "m"),
        mse_uninformative=grid("low", "mse"),
        mse_informative=grid("high", "mse"),
        error_uninformative=grid("low", "generalization_error"),
        error_informative=grid("high", "generalization_error"),
        free_entropy_uninformative=grid("low", "free_entropy"),
        free_entropy_informative=grid("high", "free_entropy"),
        mutual_information=np.where(take_high, grid("high", "mutual_information"), grid("low", "mutual_information")),
        branch=branch,
        alpha_it=lines[0],
        alpha_alg=lines[1],
        alpha_informative_spinodal=lines[2],
        thresholds_converged=found,
        converged=converged,
        iterations=np.maximum(grid("low", "iterations"), grid("high", "iterations")),
        residual=np.maximum(grid("low", "residual"), grid("high", "residual")),
        message=message,
    )
