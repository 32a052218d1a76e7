r"""The committee AMP: approximate message passing for the Bayes-optimal committee machine.

The algorithm of Aubin, Maillard, Barbier, Krzakala, Macris & Zdeborová (NeurIPS 2018, Sec. 4 and appendix):
GAMP (:mod:`statlearn.amp.gamp`) with K-dimensional estimates :math:`a_i\in\mathbb{R}^K` (the rows of
:math:`\hat W`), K x K covariances :math:`C_i`, and K x K Onsager terms. With
:math:`F_{\mu i}\sim N(0, 1/N)` (:func:`statlearn.models.committee.committee_teacher`) and the scalar-variance
form (:math:`F^{\circ2}` replaced by its mean :math:`s`, as ``variance="scalar"`` of GAMP), one iteration is

.. math::
    V = s\sum_i C_i,\quad \omega_\mu = \sum_i F_{\mu i} a_i - V g_\mu^{prev},\quad
    g_\mu = g_{out}(y_\mu, \omega_\mu, V),\quad \partial g_\mu = \partial_\omega g_{out}(y_\mu, \omega_\mu, V),

.. math::
    A = -s\sum_\mu\partial g_\mu,\quad B_i = \sum_\mu F_{\mu i} g_\mu + A a_i,\quad
    a_i = f_a(B_i, A),\quad C_i = f_v(B_i, A),

with the denoisers of :mod:`statlearn.models.committee`: two products of ``F`` with N x K (resp. M x K) blocks
per iteration. In the large-N limit the overlap :math:`\hat W^\top W^*/N` follows the state evolution of
:mod:`statlearn.replica.committee` (:func:`statlearn.replica.committee.state_evolution_trajectory`).

**Permutation symmetry.** The channel is invariant under permutations of the hidden units, so the estimate
recovers the teacher's units up to a permutation: the reported overlap is :math:`\hat W^\top W^*/N` with the
estimate's units in the order that maximises its trace (``permutation``). From the symmetric start
:math:`a = 0` every iterate keeps :math:`a_{i1} = a_{i2}` up to rounding (the non-specialised manifold);
``init="random"`` breaks the symmetry with a small random estimate, which the iteration amplifies where the
non-specialised fixed point is unstable (Gaussian prior above alpha_spec; there rounding alone eventually
does it, slowly).

**Initialisation.** ``"uninformative"``: :math:`a = 0`, :math:`C = I` (the prior's mean and covariance);
``"random"``: :math:`a = \epsilon\,u` with :math:`u` drawn from the prior (``seed``), :math:`\epsilon` =
``RANDOM_SCALE``, :math:`C = (1 - \epsilon^2) I` (overlap :math:`O(\epsilon/\sqrt N)` with the teacher: the state
evolution's start q = 0 up to :math:`O(\epsilon^2)`); ``"informative"``: the teacher; or an (N, K) array; an
informed start gets the Nishimori covariance :math:`C = I - a^\top a/N` (its eigenvalues clipped at 0).

**Damping, convergence, resolution floor** as in :func:`statlearn.amp.gamp`: ``damping`` is the weight of the
old :math:`(g, \partial g)` and :math:`(a, C)`; ``delta[t]`` :math:`= \|a_t - a_{t-1}\|_F/\|a_t\|_F`, converged at
the first iteration where it is at most ``tol``; the eigenvalues of :math:`V` are kept above
:math:`c^2\operatorname{tr}(a^\top a/N)/(K M^2)` (:data:`statlearn.amp.gamp.RESOLUTION`).
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.amp.gamp import RESOLUTION
from statlearn.models.committee import check_committee, committee_denoise, committee_output
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar

__all__ = ["COMMITTEE_INITS", "RANDOM_SCALE", "CommitteeAMPResult", "committee_amp", "matched_overlap"]

COMMITTEE_INITS = ("uninformative", "random", "informative")
"""Named starting points of :func:`committee_amp` (an (N, K) array is also accepted)."""

RANDOM_SCALE = 1e-2
r"""Scale :math:`\epsilon` of the random start of :func:`committee_amp`."""

MAX_ITER = 10**6
_TINY = float(np.finfo(float).tiny)


@dataclass(frozen=True)
class CommitteeAMPResult:
    r"""Outcome of :func:`committee_amp` (a :class:`~statlearn.numerics.result.SolverResult`; arrays read-only).

    Attributes
    ----------
    W
        The estimate :math:`\hat W` (N x K), posterior means at the last iteration.
    covariance
        The posterior covariances :math:`C_i` (N x K x K).
    converged, iterations, residual, message
        Whether ``delta`` fell to ``tol``; iterations completed; ``delta[-1]``; why it stopped.
    delta
        :math:`\|a_t - a_{t-1}\|_F/\|a_t\|_F` at every iteration.
    self_overlap
        :math:`\hat W^\top\hat W/N` (T x K x K) at every iteration.
    overlap
        With the teacher: :math:`\hat W^\top W^*/N` with the estimate's units matched (T x K x K), else None.
    q_parallel, q_perp
        With the teacher: its eigenvalue on :math:`\mathbf1/\sqrt K` and the mean of the rest of its trace
        (T,), the state evolution's order parameters; else None.
    permutation
        The order of the estimate's units matched to the teacher's at the last iteration (identity without a
        teacher).
    """

    W: np.ndarray
    covariance: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str
    delta: np.ndarray
    self_overlap: np.ndarray
    overlap: np.ndarray | None
    q_parallel: np.ndarray | None
    q_perp: np.ndarray | None
    permutation: tuple[int, ...]

    def __post_init__(self) -> None:
        freeze_arrays(self)


def matched_overlap(W: ArrayLike, teacher: ArrayLike) -> tuple[np.ndarray, tuple[int, ...]]:
    r"""The overlap :math:`\hat W^\top W^*/N` with the rows (units of ``W``) permuted to maximise its trace,
    and that permutation (K <= 2: the identity or the swap)."""
    W = as_real_array("W", W)
    T = as_real_array("teacher", teacher)
    if W.ndim != 2 or W.shape != T.shape:
        raise ValueError(f"W and teacher must be (N, K) arrays of the same shape, got {W.shape} and {T.shape}")
    Q = W.T @ T / W.shape[0]
    perm = tuple(range(W.shape[1]))
    if W.shape[1] == 2 and Q[1, 0] + Q[0, 1] > Q[0, 0] + Q[1, 1]:
        perm = (1, 0)
    return Q[list(perm), :], perm


def _order_parameters(Q: np.ndarray) -> tuple[float, float]:
    K = Q.shape[0]
    e = np.ones(K) / np.sqrt(K)
    par = float(e @ Q @ e)
    return par, float((np.trace(Q) - par) / (K - 1)) if K > 1 else 0.0


def _start(init, prior, N, K, teacher, seed):
    if isinstance(init, str):
        if init not in COMMITTEE_INITS:
            raise ValueError(f"init must be one of {COMMITTEE_INITS} or an (N, K) array, got {init!r}")
        if (seed is not None) != (init == "random"):
            raise ValueError(f"seed is used (and required) by init='random' only; got init={init!r}, seed={seed!r}")
        if init == "uninformative":
            return np.zeros((N, K)), np.broadcast_to(np.eye(K), (N, K, K)).copy()
        if init == "random":
            rng = as_generator(seed)
            u = rng.standard_normal((N, K)) if prior == "gaussian" else np.where(rng.random((N, K)) < 0.5, -1.0, 1.0)
            eye = (1.0 - RANDOM_SCALE**2) * np.eye(K)
            return RANDOM_SCALE * u, np.broadcast_to(eye, (N, K, K)).copy()
        if teacher is None:
            raise ValueError("init='informative' starts from the teacher: pass teacher=")
        a = teacher.copy()
    else:
        if seed is not None:
            raise ValueError("seed is used by init='random' only")
        a = as_real_array("init", init)
        if a.shape != (N, K):
            raise ValueError(f"init must have shape (N, K) = ({N}, {K}), got {a.shape}")
        a = a.copy()
    lam, vec = np.linalg.eigh(np.eye(K) - a.T @ a / N)
    C = (vec * np.maximum(lam, 0.0)) @ vec.T
    return a, np.broadcast_to(C, (N, K, K)).copy()


def _floored(V: np.ndarray, floor: float) -> np.ndarray:
    lam, vec = np.linalg.eigh(0.5 * (V + V.T))
    if lam[0] >= floor:
        return V
    return (vec * np.maximum(lam, floor)) @ vec.T


def committee_amp(
    F: ArrayLike,
    y: ArrayLike,
    K: int,
    *,
    prior: str = "gaussian",
    max_iter: int = 200,
    tol: float = 1e-8,
    damping: float = 0.0,
    init: str | ArrayLike = "uninformative",
    teacher: ArrayLike | None = None,
    seed: int | np.random.Generator | None = None,
) -> CommitteeAMPResult:
    r"""Run the committee AMP on data ``(F, y)`` of the K-unit committee machine.

    Parameters
    ----------
    F
        (M, N) matrix with entries of variance 1/N (e.g. ``committee_teacher(...).F``).
    y
        (M,) labels: :math:`\pm1` (K = 1) or :math:`-1, 0, 1` (K = 2, 0 for a tie).
    K
        Hidden units, in ``COMMITTEE_K``.
    prior
        ``"gaussian"`` (:math:`N(0, I_K)`) or ``"rademacher"`` (uniform on :math:`\{\pm1\}^K`).
    max_iter, tol, damping
        Iteration budget (1 ... ``MAX_ITER``), threshold on the relative change of :math:`\hat W` (> 0), weight
        of the old iterate in [0, 1).
    init
        ``"uninformative"`` (default), ``"random"`` (with ``seed``), ``"informative"`` (the teacher) or an
        (N, K) array.
    teacher
        (N, K) teacher weights: enables the overlap trajectory and ``init="informative"``.
    seed
        Integer or ``numpy.random.Generator`` for ``init="random"``.

    Warns
    -----
    ConvergenceWarning
        Not converged within ``max_iter``, or an iterate became non-finite (the last finite one is returned).
    """
    k, prior = check_committee(K, prior)
    F = np.ascontiguousarray(as_real_array("F", F))
    if F.ndim != 2 or F.shape[0] < 1 or F.shape[1] < 1:
        raise ValueError(f"F must be a non-empty 2-D (M, N) matrix, got shape {F.shape}")
    M, N = F.shape
    y = as_real_array("y", y)
    if y.shape != (M,):
        raise ValueError(f"y must have shape (M,) = ({M},) to match F of shape {F.shape}, got {y.shape}")
    allowed = (-1.0, 1.0) if k == 1 else (-1.0, 0.0, 1.0)
    if not np.all(np.isin(y, allowed)):
        raise ValueError(f"y must take values in {allowed} for K = {k}")
    max_iter = as_count("max_iter", max_iter, minimum=1, maximum=MAX_ITER)
    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True)
    damping = as_real_scalar("damping", damping, minimum=0.0)
    if not damping < 1.0:
        raise ValueError(f"damping must be < 1 (the weight of the previous iterate), got {damping!r}")
    if teacher is not None:
        teacher = as_real_array("teacher", teacher)
        if teacher.shape != (N, k):
            raise ValueError(f"teacher must have shape (N, K) = ({N}, {k}), got {teacher.shape}")
    if seed is not None and not isinstance(seed, (numbers.Integral, np.random.Generator)):
        raise TypeError(f"seed must be an integer or a numpy.random.Generator, got {type(seed).__name__}")
    a, C = _start(init, prior, N, k, teacher, seed)

    s = float(np.vdot(F, F)) / F.size
    resolution = RESOLUTION**2 / (N * M * M * k)
    g = np.zeros((M, k))
    dg = np.zeros((M, k, k))
    deltas: list[float] = []
    selfs: list[np.ndarray] = []
    overlaps: list[np.ndarray] = []
    perm: tuple[int, ...] = tuple(range(k))
    failure = ""
    converged = False
    d = damping
    for t in range(1, max_iter + 1):
        V = _floored(s * np.sum(C, axis=0), max(resolution * float(np.vdot(a, a)), _TINY))
        omega = F @ a - g @ V
        try:
            g_new, dg_new = committee_output(y, omega, V)
        except ValueError as err:
            failure = f"channel step failed ({err})"
        if not failure and not (np.all(np.isfinite(g_new)) and np.all(np.isfinite(dg_new))):
            failure = "non-finite channel output"
        if failure:
            failure += f" at iteration {t}"
            break
        if d:
            g_new = (1.0 - d) * g_new + d * g
            dg_new = (1.0 - d) * dg_new + d * dg
        g, dg = g_new, dg_new
        A = -s * np.sum(dg, axis=0)
        A = 0.5 * (A + A.T)
        B = F.T @ g + a @ A
        try:
            a_new, C_new = committee_denoise(prior, B, A)
        except ValueError as err:
            failure = f"prior step failed ({err}) at iteration {t}"
            break
        if d:
            a_new = (1.0 - d) * a_new + d * a
            C_new = (1.0 - d) * C_new + d * C
        if not (np.all(np.isfinite(a_new)) and np.all(np.isfinite(C_new))):
            failure = f"non-finite estimate at iteration {t}"
            break
        change = math.sqrt(float(np.vdot(a_new - a, a_new - a)))
        norm = math.sqrt(float(np.vdot(a_new, a_new)))
        a, C = a_new, C_new
        deltas.append(change / norm if norm > 0 else (0.0 if change == 0 else math.inf))
        selfs.append(a.T @ a / N)
        if teacher is not None:
            Q, perm = matched_overlap(a, teacher)
            overlaps.append(Q)
        if deltas[-1] <= tol:
            converged = True
            break
    residual = deltas[-1] if deltas else math.inf
    message = stop_message(converged, len(deltas), residual, tol, reason=failure or None)
    if not converged:
        reason = failure or f"relative change {residual:.3g} > tol {tol:.3g} after {max_iter} iterations"
        warnings.warn(f"committee_amp did not converge: {reason}", ConvergenceWarning, stacklevel=2)
    pars = [_order_parameters(Q) for Q in overlaps]
    empty = np.zeros((0, k, k))
    return CommitteeAMPResult(
        W=a,
        covariance=C,
        converged=converged,
        iterations=len(deltas),
        residual=residual,
        message=message,
        delta=np.array(deltas),
        self_overlap=np.array(selfs) if selfs else empty,
        overlap=(np.array(overlaps) if overlaps else empty) if teacher is not None else None,
        q_parallel=np.array([p[0] for p in pars]) if teacher is not None else None,
        q_perp=np.array([p[1] for p in pars]) if teacher is not None else None,
        permutation=perm,
    )
