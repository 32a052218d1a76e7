r"""Generalised approximate message passing (GAMP) for Bayes-optimal generalised linear models.

GAMP (Rangan, ISIT 2011; in the notation of Barbier, Krzakala, Macris, Miolane & Zdeborová,
PNAS 116, 5451 (2019); conventions in ``docs/theory/glm.md``) estimates the teacher :math:`w^*` from
:math:`y_\mu\sim P_{out}(\cdot|z_\mu)`, :math:`z = F w^*`, :math:`F_{\mu i}\sim N(0, 1/N)`, knowing
the prior and the channel. One iteration is

.. math::
    V = (F^{\circ 2})\, v,\quad \omega = F a - V\circ g_{prev},\quad
    g = g_{out}(y,\omega,V),\quad \partial g = \partial_\omega g_{out}(y,\omega,V),

.. math::
    A = -(F^{\circ 2})^T \partial g,\quad B = F^T g + A\circ a,\quad
    a = f_a(B, A),\quad v = f_v(B, A),

with :math:`F^{\circ 2}` the elementwise square, ``channel.output`` giving
:math:`(g_{out}, \partial_\omega g_{out})` and ``prior.denoise`` giving :math:`(f_a, f_v)` (the same
functions the replica formula of :mod:`statlearn.replica.glm` averages). In the large-N limit
its overlap :math:`m_t = a_t\cdot w^*/N` follows the state evolution of the replica formula.

**Variance modes.** ``variance="vector"`` is the iteration above. ``variance="scalar"`` (the
default) replaces :math:`F^{\circ 2}` by its mean :math:`s = \|F\|_F^2/(MN)\simeq 1/N` in the two
variance products, so that :math:`V = s\sum_i v_i` and :math:`A = -s\sum_\mu \partial g_\mu` are
scalars; for i.i.d. :math:`F` this is exact in the large-N limit (the neglected fluctuations of
:math:`\sum_i F_{\mu i}^2 v_i` are :math:`O(N^{-1/2})`) and it is the standard form of AMP in
statistical physics (Krzakala, Mézard, Sausset, Sun & Zdeborová, J. Stat. Mech. P08009 (2012)).
Either mode costs one pass over ``F`` in each direction: the scalar mode calls BLAS for
:math:`F a` and :math:`F^T g`; the vector mode uses two fused numba kernels that read each row of
``F`` once and accumulate both :math:`F a` and :math:`F^{\circ 2} v` (resp. :math:`F^T g` and
:math:`(F^{\circ 2})^T \partial g`), so :math:`F^{\circ 2}` is never stored. Measured at N = 4000,
alpha = 2 on two cores (``benchmarks/bench_gamp_iteration.py``): an iteration of either mode costs
0.9-1.2 times the two bare BLAS products, against 2 for the vector mode done with BLAS on a stored
:math:`F^{\circ 2}`; the channel and prior functions take about 1 ms of it.

**The fixed point at finite N.** The means and the variances play different roles: for a Gaussian
prior and a Gaussian channel every fixed point of either mode satisfies
:math:`g = (y - F a)/\Delta` and :math:`a = \rho F^T g`, i.e.
:math:`a = (F^TF/\Delta + I/\rho)^{-1} F^T y/\Delta`, the exact posterior mean (ridge), at any N;
the variances :math:`v` are only asymptotically the posterior variances.

**Damping.** ``damping`` :math:`= d\in[0, 1)` is the weight of the *old* value (``mixing`` in
:func:`statlearn.numerics.fixed_point` is :math:`1 - d`): after the channel step
:math:`(g, \partial g) \leftarrow (1-d)(g, \partial g)_{new} + d\,(g, \partial g)_{old}`, after the
prior step :math:`(a, v) \leftarrow (1-d)(a, v)_{new} + d\,(a, v)_{old}`. Fixed points do not depend
on it; ``d = 0`` is plain GAMP.

**Convergence.** ``delta[t]`` :math:`= \|a_t - a_{t-1}\|/\|a_t\|`; GAMP stops, converged, at the
first iteration where it is at most ``tol``. Otherwise, after ``max_iter`` iterations or when an
iterate becomes non-finite, it emits a :class:`~statlearn.numerics.ConvergenceWarning` and returns
``converged=False`` with the last finite iterate.

**Resolution floor.** Every channel step uses :math:`\max(V, c^2 q/M^2)`, :math:`q = a\cdot a/N`,
:math:`c` = :data:`RESOLUTION` = 10 (elementwise in the vector mode). The :math:`M` pre-activations
have variance :math:`\simeq q`, so their spacing near any given value is :math:`\sim\sqrt q/M`;
a cavity variance far below it is not resolved by the data. Without the floor, exact recovery
(binary weights from noiseless sign labels above :math:`\alpha_{alg}`) is not a fixed point at finite
N: the posterior variances underflow, :math:`V\to0` with every :math:`\omega_\mu` on the right side
of the threshold, :math:`g_{out}` and :math:`\partial_\omega g_{out}` vanish like
:math:`e^{-\min_\mu\omega_\mu^2/2V}`, :math:`A\to 0`, and the next step forgets the solution and
restarts from the uninformative state (observed: a cycle of period 5-8 at N = 1000, alpha = 2-3).
With it, exact recovery is a fixed point. The floor acts only once the relative variance of the
estimate is below :math:`c^2/M^2` (2.5e-5 at M = 2000); it does not move the Gaussian-prior,
Gaussian-channel fixed point above, which does not depend on :math:`V`.

**Initialisation.** ``"uninformative"``: :math:`a = \mathbb{E}w`, :math:`v = \operatorname{Var} w`
(``prior.denoise(0, 0)``, i.e. 0 and :math:`\rho` for the symmetric priors), :math:`g_{prev} = 0`;
``"informative"``: :math:`a = w^*` (needs ``teacher``); ``"random"``: :math:`a` drawn from the prior
(needs ``seed``), :math:`v = \operatorname{Var} w`; or an explicit array ``a``. An informed start
(teacher or array) gets :math:`v = \max(\rho - a\cdot a/N, 0)`, the Nishimori value for an
estimate of self-overlap :math:`a\cdot a/N` (the resolution floor keeps the first channel step
well defined when it is 0).
"""

from __future__ import annotations

import math
import numbers
import warnings
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike

from statlearn.models.channels import Channel
from statlearn.models.priors import Prior
from statlearn.models.registry import resolve_model
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar, brief

__all__ = ["GAMPResult", "gamp", "VARIANCE_MODES", "INITS"]

VARIANCE_MODES = ("scalar", "vector")
"""``variance`` options of :func:`gamp`."""

INITS = ("uninformative", "informative", "random")
"""Named starting points of :func:`gamp` (an explicit array is also accepted)."""

MAX_ITER = 10**6
"""Largest ``max_iter`` of :func:`gamp` (bounded up front)."""

RESOLUTION = 10.0
"""``c`` of the floor :math:`V \\ge c^2 q/M^2` on the pre-activation variance (see the module docstring)."""

_TINY = float(np.finfo(float).tiny)


@dataclass(frozen=True)
class GAMPResult:
    """Outcome of :func:`gamp`.

    Attributes
    ----------
    a, v
        The estimate (posterior means) and its variances at the last iteration.
    converged
        Whether the relative change of ``a`` fell to ``tol``.
    iterations
        GAMP iterations completed (one channel step and one prior step each); the per-iteration
        arrays have this length.
    residual
        The relative change :math:`\\|a_t - a_{t-1}\\|/\\|a_t\\|` at the last iteration (``delta[-1]``;
        ``inf`` if no iteration completed), the quantity compared with ``tol``.
    message
        Why the iteration stopped.
    delta
        The relative change of ``a`` at every iteration.
    q
        The self-overlap :math:`a\\cdot a/N` at every iteration.
    m, mse
        When the teacher is known, the overlap :math:`a\\cdot w^*/N` and :math:`|a - w^*|^2/N` at
        every iteration (``None`` otherwise).

    Arrays are read-only.
    """

    a: np.ndarray
    v: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str
    delta: np.ndarray
    q: np.ndarray
    m: np.ndarray | None
    mse: np.ndarray | None

    def __post_init__(self) -> None:
        freeze_arrays(self)


# --------------------------------------------------------------------------- vector-mode kernels
# Both products are bound by reading F from memory; each kernel reads it once. Rows are handled
# four at a time (one load of a, v or of the accumulators serves four rows). The work is split
# into a fixed partition (row quadruples; _ROW_BLOCKS blocks of rows), so every sum is taken in
# the same order whatever the number of threads: results are reproducible bit for bit.

_ROW_BLOCKS = 8


@numba.njit(fastmath=True, inline="always")
def _four_rows(F, mu, a, v, omega, V):  # pragma: no cover - compiled
    r0, r1, r2, r3 = F[mu], F[mu + 1], F[mu + 2], F[mu + 3]
    s0 = s1 = s2 = s3 = 0.0
    t0 = t1 = t2 = t3 = 0.0
    for i in range(F.shape[1]):
        ai, vi = a[i], v[i]
        f0, f1, f2, f3 = r0[i], r1[i], r2[i], r3[i]
        s0 += f0 * ai
        s1 += f1 * ai
        s2 += f2 * ai
        s3 += f3 * ai
        t0 += f0 * f0 * vi
        t1 += f1 * f1 * vi
        t2 += f2 * f2 * vi
        t3 += f3 * f3 * vi
    omega[mu], omega[mu + 1], omega[mu + 2], omega[mu + 3] = s0, s1, s2, s3
    V[mu], V[mu + 1], V[mu + 2], V[mu + 3] = t0, t1, t2, t3


@numba.njit(parallel=True, fastmath=True, cache=True)
def _forward(F, a, v, omega, V):  # pragma: no cover - compiled
    """``omega = F @ a`` and ``V = (F * F) @ v`` in one pass over ``F``."""
    M, N = F.shape
    for q in numba.prange(M // 4):
        _four_rows(F, 4 * q, a, v, omega, V)
    for mu in range(M - M % 4, M):
        s0 = t0 = 0.0
        for i in range(N):
            f0 = F[mu, i]
            s0 += f0 * a[i]
            t0 += f0 * f0 * v[i]
        omega[mu], V[mu] = s0, t0


@numba.njit(fastmath=True, cache=True)
def _accumulate(F, lo, hi, g, h, acc_g, acc_h):  # pragma: no cover - compiled
    """``acc_g += F[lo:hi].T @ g[lo:hi]`` and ``acc_h += (F[lo:hi] ** 2).T @ h[lo:hi]``."""
    N = F.shape[1]
    mu = lo
    while mu + 4 <= hi:
        r0, r1, r2, r3 = F[mu], F[mu + 1], F[mu + 2], F[mu + 3]
        g0, g1, g2, g3 = g[mu], g[mu + 1], g[mu + 2], g[mu + 3]
        h0, h1, h2, h3 = h[mu], h[mu + 1], h[mu + 2], h[mu + 3]
        for i in range(N):
            f0, f1, f2, f3 = r0[i], r1[i], r2[i], r3[i]
            acc_g[i] += f0 * g0 + f1 * g1 + f2 * g2 + f3 * g3
            acc_h[i] += f0 * f0 * h0 + f1 * f1 * h1 + f2 * f2 * h2 + f3 * f3 * h3
        mu += 4
    while mu < hi:
        r0, g0, h0 = F[mu], g[mu], h[mu]
        for i in range(N):
            f0 = r0[i]
            acc_g[i] += f0 * g0
            acc_h[i] += f0 * f0 * h0
        mu += 1


@numba.njit(parallel=True, fastmath=True, cache=True)
def _backward(F, g, h, out_g, out_h):  # pragma: no cover - compiled
    """``out_g = F.T @ g`` and ``out_h = (F * F).T @ h`` in one pass over ``F``."""
    M, N = F.shape
    acc_g = np.zeros((_ROW_BLOCKS, N))
    acc_h = np.zeros((_ROW_BLOCKS, N))
    size = (M + _ROW_BLOCKS - 1) // _ROW_BLOCKS
    for b in numba.prange(_ROW_BLOCKS):
        _accumulate(F, min(M, b * size), min(M, (b + 1) * size), g, h, acc_g[b], acc_h[b])
    for i in range(N):
        sg = 0.0
        sh = 0.0
        for b in range(_ROW_BLOCKS):
            sg += acc_g[b, i]
            sh += acc_h[b, i]
        out_g[i] = sg
        out_h[i] = sh


# --------------------------------------------------------------------------- validation


def _matrix_and_labels(F: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    F = np.ascontiguousarray(as_real_array("F", F))
    y = as_real_array("y", y)
    if F.ndim != 2:
        raise ValueError(f"F must be a 2-D (M, N) matrix, got shape {F.shape}")
    if F.shape[0] < 1 or F.shape[1] < 1:
        raise ValueError(f"F must have at least one row and one column, got shape {F.shape}")
    if y.shape != (F.shape[0],):
        raise ValueError(
            f"y must have shape (M,) = ({F.shape[0]},) to match F of shape {F.shape}, got y of shape {y.shape}"
        )
    return F, y


def _weights(name: str, value: ArrayLike, N: int) -> np.ndarray:
    arr = as_real_array(name, value)
    if arr.shape != (N,):
        raise ValueError(f"{name} must have shape (N,) = ({N},) to match F, got shape {arr.shape}")
    return arr


def _start(
    init: str | ArrayLike, prior: Prior, N: int, teacher: np.ndarray | None, seed: int | np.random.Generator | None
) -> tuple[np.ndarray, np.ndarray]:
    """Starting ``(a, v)`` (see the module docstring)."""
    mean, var = (float(x) for x in prior.denoise(0.0, 0.0))
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS} or an array of shape ({N},), got {init!r}")
        if (seed is not None) != (init == "random"):
            raise ValueError(f"seed is used (and required) by init='random' only; got init={init!r}, seed={seed!r}")
        if init == "uninformative":
            return np.full(N, mean), np.full(N, var)
        if init == "random":
            return np.array(prior.sample(N, as_generator(seed)), dtype=float), np.full(N, var)
        if teacher is None:
            raise ValueError("init='informative' starts from the teacher: pass teacher=")
        a = teacher.copy()
    else:
        if seed is not None:
            raise ValueError("seed is used by init='random' only")
        a = _weights("init", init, N).copy()
    return a, np.full(N, max(prior.rho - float(a @ a) / N, 0.0))


# --------------------------------------------------------------------------- GAMP


class _Iteration:
    """State and work buffers of GAMP on validated inputs; :meth:`step` is one iteration."""

    def __init__(
        self,
        F: np.ndarray,
        y: np.ndarray,
        prior: Prior,
        channel: Channel,
        vector: bool,
        damping: float,
        a: np.ndarray,
        v: np.ndarray,
    ) -> None:
        M, N = F.shape
        self.F, self.y, self.prior, self.channel = F, y, prior, channel
        self.vector, self.damping = vector, damping
        self.a, self.v = a, v
        self.mean_square = 0.0 if vector else float(np.vdot(F, F)) / F.size  # s = mean of F**2
        self.resolution = RESOLUTION**2 / (N * M * M)  # floor of V per unit of a @ a
        self.g = np.zeros(M)
        self.dg = np.zeros(M)
        self.omega = np.empty(M)
        self.V = np.empty(M)
        self.Ft_g = np.empty(N)
        self.A = np.empty(N)

    def step(self) -> str:
        """Advance ``a``, ``v`` by one iteration; return ``""``, or a message if it produced
        non-finite values (the state is then left unchanged)."""
        F, a, d = self.F, self.a, self.damping
        # channel side: V, omega, g, dg
        floor = max(self.resolution * float(a @ a), _TINY)
        if self.vector:
            _forward(F, a, self.v, self.omega, self.V)
            V = np.maximum(self.V, floor, out=self.V)
        else:
            np.dot(F, a, out=self.omega)
            V = max(self.mean_square * float(np.sum(self.v)), floor)
        self.omega -= V * self.g
        g, dg = self.channel.output(self.y, self.omega, V)
        if not (math.isfinite(np.sum(g)) and math.isfinite(np.sum(dg))):
            return "non-finite channel output"
        if d:
            g = (1.0 - d) * g + d * self.g
            dg = (1.0 - d) * dg + d * self.dg
        self.g, self.dg = g, dg
        # prior side: A, B, a, v
        if self.vector:
            _backward(F, g, dg, self.Ft_g, self.A)
            A = np.negative(self.A, out=self.A)
        else:
            np.dot(g, F, out=self.Ft_g)
            A = -self.mean_square * float(np.sum(dg))
        a_new, v_new = self.prior.denoise(self.Ft_g + A * a, A)
        if d:
            a_new = (1.0 - d) * a_new + d * a
            v_new = (1.0 - d) * v_new + d * self.v
        if not (math.isfinite(float(a_new @ a_new)) and math.isfinite(np.sum(v_new))):
            return "non-finite estimate"
        self.a, self.v = a_new, np.array(v_new, dtype=float)  # v_new may be a read-only broadcast view
        return ""


def gamp(
    F: ArrayLike,
    y: ArrayLike,
    prior: str | Prior,
    channel: str | Channel,
    *,
    max_iter: int = 200,
    tol: float = 1e-8,
    damping: float = 0.0,
    variance: str = "scalar",
    init: str | ArrayLike = "uninformative",
    teacher: ArrayLike | None = None,
    seed: int | np.random.Generator | None = None,
    **params: float,
) -> GAMPResult:
    r"""Run GAMP on the data ``(F, y)`` of a generalised linear model.

    Parameters
    ----------
    F
        ``(M, N)`` matrix with entries of variance 1/N (e.g. ``teacher_student(...).F``).
    y
        ``(M,)`` labels.
    prior, channel
        Names or instances (see :func:`statlearn.models.registry.resolve_model`); ``**params`` takes
        ``rho`` (prior) and ``delta`` (channel).
    max_iter
        Largest number of iterations, from 1 to ``MAX_ITER``.
    tol
        Convergence threshold on the relative change of ``a`` between iterations, ``> 0``.
    damping
        Weight ``d`` in ``[0, 1)`` of the previous iterate in ``(g, dg)`` and ``(a, v)``.
    variance
        ``"scalar"`` (default: scalar variances from the mean of ``F**2``) or ``"vector"``
        (the full ``F**2`` products).
    init
        ``"uninformative"`` (default), ``"informative"`` (the teacher), ``"random"`` (a draw from the
        prior, with ``seed``) or an ``(N,)`` array.
    teacher
        ``(N,)`` true weights: enables ``m`` and ``mse`` and ``init="informative"``.
    seed
        Integer or ``numpy.random.Generator`` for ``init="random"``.

    Returns
    -------
    GAMPResult
        Estimate, variances, convergence flag, iteration count and per-iteration order parameters.
    """
    pri, cha = resolve_model(prior, channel, params)
    F, y = _matrix_and_labels(F, y)
    N = F.shape[1]
    max_iter = as_count("max_iter", max_iter, minimum=1, maximum=MAX_ITER)
    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True)
    damping = as_real_scalar("damping", damping, minimum=0.0)
    if not damping < 1.0:
        raise ValueError(f"damping must be < 1 (the weight of the previous iterate), got {damping!r}")
    if not isinstance(variance, str) or variance not in VARIANCE_MODES:
        raise ValueError(f"variance must be one of {VARIANCE_MODES}, got {brief(variance)}")
    if teacher is not None:
        teacher = _weights("teacher", teacher, N)
    if seed is not None and not isinstance(seed, (numbers.Integral, np.random.Generator)):
        raise TypeError(f"seed must be an integer or a numpy.random.Generator, got {type(seed).__name__}")
    a, v = _start(init, pri, N, teacher, seed)

    state = _Iteration(F, y, pri, cha, variance == "vector", damping, a, v)
    deltas: list[float] = []
    selfs: list[float] = []
    overlaps: list[float] = []
    errors: list[float] = []
    converged = False
    failure = ""
    for t in range(1, max_iter + 1):
        previous = state.a
        failure = state.step()
        if failure:
            failure += f" at iteration {t}"
            break
        a = state.a
        norm2 = float(a @ a)
        diff = a - previous
        change = math.sqrt(float(diff @ diff))
        deltas.append(change / math.sqrt(norm2) if norm2 > 0 else (0.0 if change == 0 else math.inf))
        selfs.append(norm2 / N)
        if teacher is not None:
            overlaps.append(float(a @ teacher) / N)
            error = a - teacher
            errors.append(float(error @ error) / N)
        if deltas[-1] <= tol:
            converged = True
            break
    residual = deltas[-1] if deltas else math.inf
    message = stop_message(converged, len(deltas), residual, tol, reason=failure or None)
    if not converged:
        reason = failure or f"relative change {deltas[-1]:.3g} > tol {tol:.3g} after {max_iter} iterations"
        warnings.warn(f"gamp did not converge: {reason}", ConvergenceWarning, stacklevel=2)
    return GAMPResult(
        a=state.a,
        v=state.v,
        converged=converged,
        iterations=len(deltas),
        residual=residual,
        message=message,
        delta=np.array(deltas),
        q=np.array(selfs),
        m=np.array(overlaps) if teacher is not None else None,
        mse=np.array(errors) if teacher is not None else None,
    )
