r"""Online SGD of a soft committee machine on a teacher, simulated at finite N (numba).

The setting of Saad & Solla (PRE 52, 4225, 1995) and Goldt, Advani, Saxe, Krzakala & Zdeborová
(NeurIPS 2019); notation and equations in ``docs/theory/online.md``. At every step a fresh input :math:`x\in\mathbb{R}^N` with
i.i.d. :math:`N(0, 1)` entries is drawn, with local fields
:math:`\lambda_k = w_k\cdot x/\sqrt N` (student, :math:`k = 1..K`) and
:math:`\nu_m = w^*_m\cdot x/\sqrt N` (teacher, :math:`m = 1..M`), the label
:math:`y = \sum_m v^*_m g(\nu_m) + \sigma\zeta` (:math:`\zeta\sim N(0, 1)`), the prediction
:math:`\hat y = \sum_k v_k g(\lambda_k)` and the error :math:`\Delta = y - \hat y`. One SGD step on
the loss :math:`\Delta^2/2` with weight decay :math:`\gamma` (``weight_decay``) is

.. math::
    w_k \leftarrow \Big(1 - \frac{\eta\gamma}{N}\Big) w_k + \frac{\eta}{\sqrt N}\, v_k\, g'(\lambda_k)\,\Delta\, x,
    \qquad
    v_k \leftarrow v_k + \frac{\eta_v}{N}\, g(\lambda_k)\,\Delta,

both increments computed from the state before the step (the second layer only when it is
trained). Time is :math:`t = \alpha = \text{steps}/N`. The recorded order parameters are the
overlaps :math:`R = W W^{*T}/N`, :math:`Q = W W^T/N` and ``v``; in the limit
:math:`N\to\infty` they follow the ODEs of :mod:`statlearn.online.ode`.

**Kernel.** One run is one call of a numba kernel that releases the GIL, so that several seeds run
in parallel on threads (:func:`online_sgd_seeds`). Per step it draws ``x`` with the lane generator
of :mod:`statlearn.numerics.rng` (:func:`~statlearn.numerics.rng.fill_normal_lanes`: 16
xoshiro256++ streams side by side, two deviates per 64-bit word and a 1024-layer ziggurat, in
vector instructions; ``x`` is drawn in whole groups of 32 and its first N entries are the input)
and then :math:`\zeta` from the generator's spare stream. With 32 random bits per deviate, the
entries of ``x`` have the resolution of a float32 within a ziggurat layer (about
:math:`5\times10^{-7}` relative) and a density equal to the normal one within
:math:`3.3\times10^{-7}` relative, far below the statistical errors of any observable of a run;
all arithmetic is float64. The K + M fields and :math:`|x|^2` are computed in one pass over ``x``
as dot products with eight partial sums each (:func:`statlearn.online.lane_dot.dot_rows`), and
each student row is updated in 8-wide vectors (:func:`~statlearn.online.lane_dot.scale_add_row`);
``x`` and the weights start on 64-byte boundaries so that no vector straddles two cache lines.
The order of every sum is fixed in the code (no ``fastmath``, whose reassociation would follow
the CPU's vector width, and no fused multiply-add), so a seed gives the same trajectory bit for
bit whatever the threads and the CPU. Drawing the N normal deviates remains the larger part of a
step; ``benchmarks/bench_online_sgd.py`` compares with numpy and with the generator alone. The
activation's g and g' are the compiled scalars :func:`statlearn.models.activations.kernel_g` and
:func:`~statlearn.models.activations.kernel_dg`, selected by the activation's ``code``.

**Bounded and interruptible.** The number of steps, ``round(t[-1] N)``, is checked before anything
is allocated against ``max_steps`` (a ``ValueError`` states the size and a rough time). The kernel
runs in chunks of about :data:`CHUNK_WORK` multiply-adds, resuming exactly where it stopped (the
generator's state, the weights and the norms live outside it), so Ctrl-C stops a run within a
fraction of a second, a progress bar can follow the steps, and the trajectory is the same bit for
bit whatever the chunking.

**Divergence.** :math:`N Q_{kk}` is tracked exactly in O(1) per step,
:math:`|w_k'|^2 = d^2|w_k|^2 + 2 d c_k\,(w_k\cdot x) + c_k^2|x|^2` with :math:`d = 1 - \eta\gamma/N`
and :math:`c_k` the coefficient of ``x`` in the update (and recomputed at every recording). The run
stops when a field is not finite or some :math:`Q_{kk}` exceeds
:math:`10^8\max(1, \max_k Q_{kk}(0))`; the trajectory then ends at the last recording before, with
``diverged=True`` and ``t_diverged`` the time at which it was detected, and a
:class:`~statlearn.online.trajectory.DivergenceWarning` is emitted.
"""

from __future__ import annotations

import inspect
import math
import os
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from tqdm import tqdm

from statlearn.models.activations import Activation, kernel_dg, kernel_g
from statlearn.numerics.rng import LANE_GROUP, fill_normal_lanes, next_normal_lanes, seed_lanes
from statlearn.numerics.validation import as_real_array
from statlearn.online.lane_dot import SLOTS, dot_rows, scale_add_row
from statlearn.online.trajectory import (
    MAX_OVERLAP,
    DivergenceWarning,
    Overlaps,
    Trajectory,
    check_activation,
    check_setup,
    check_times,
    count_parameter,
    generalization_error,
    real_parameter,
)

__all__ = ["online_sgd", "online_sgd_seeds", "DIVERGENCE_FACTOR", "MAX_STEPS", "MAX_FLOATS", "CHUNK_WORK"]

DIVERGENCE_FACTOR = 1e8
"""A run has diverged when some Q_kk exceeds this factor times max(1, max_k Q_kk(0))."""

MAX_STEPS = 10**10
"""Default bound on the SGD steps of one run (about 9 hours at N = 1000, K = M = 2)."""

MAX_FLOATS = 2**28
"""Largest number of float64 a run may allocate (2 GiB), checked before allocating."""

CHUNK_WORK = 50_000_000
"""Multiply-adds (steps times N (K + M)) per call of the kernel: about 0.05 s."""

_SECONDS_PER_MULTIPLY_ADD = 0.8e-9  # measured kernel cost per weight per step, for the size estimate


# ------------------------------------------------------------------------------------- kernel


@njit(cache=True, nogil=True)
def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """a . b with four interleaved partial sums: independent chains, a fixed order of rounding."""
    n = a.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    m = n - n % 4
    for i in range(0, m, 4):
        s0 += a[i] * b[i]
        s1 += a[i + 1] * b[i + 1]
        s2 += a[i + 2] * b[i + 2]
        s3 += a[i + 3] * b[i + 3]
    for i in range(m, n):
        s0 += a[i] * b[i]
    return (s0 + s1) + (s2 + s3)


_ALIGN = 8  # doubles per 64-byte cache line


@njit(cache=True, nogil=True)
def _aligned_empty(size: int) -> np.ndarray:
    """An uninitialised float64 array of ``size`` whose data start on a 64-byte boundary.

    The kernel's 8-wide vectors then never straddle two cache lines (x, and the rows of
    :func:`_aligned_copy` when N is a multiple of 8), which costs a third of the time of the dot
    products and the update otherwise.
    """
    buffer = np.empty(size + _ALIGN - 1)
    skip = (-(buffer.ctypes.data // 8)) % _ALIGN
    return buffer[skip : skip + size]


def _aligned_copy(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of the float64 ``array`` starting on a 64-byte boundary (:func:`_aligned_empty`)."""
    out = _aligned_empty(array.size).reshape(array.shape)
    out[...] = array
    return out


@njit(cache=True, nogil=True)
def _record(weights: np.ndarray, K: int, R: np.ndarray, Q: np.ndarray, norms: np.ndarray) -> None:
    """R = W W*^T / N, Q = W W^T / N (exactly symmetric); ``norms[k] = |w_k|^2``."""
    n, N = weights.shape
    for k in range(K):
        for m in range(K, n):
            R[k, m - K] = _dot(weights[k], weights[m]) / N
        for l in range(k, K):
            Q[k, l] = Q[l, k] = _dot(weights[k], weights[l]) / N
        norms[k] = N * Q[k, k]


@njit(cache=True, nogil=True)
def _sgd_kernel(
    weights: np.ndarray,
    K: int,
    v: np.ndarray,
    v_star: np.ndarray,
    code: int,
    eta: float,
    eta_v: float,
    sigma: float,
    decay: float,
    state: np.ndarray,
    norms: np.ndarray,
    step: int,
    stop: int,
    recorded: int,
    record_steps: np.ndarray,
    norm_limit: float,
    R_out: np.ndarray,
    Q_out: np.ndarray,
    v_out: np.ndarray,
) -> tuple[int, int, int]:
    """Run online SGD in place on ``weights`` (K student rows, then the teacher rows) and ``v``.

    Resumes after ``step`` steps with ``recorded`` rows written, and returns at the latest after
    ``stop`` steps. Records R, Q, v into row ``j`` of the outputs after ``record_steps[j]`` steps
    (non-decreasing). ``state`` is the generator's state and ``norms`` holds |w_k|^2 = N Q_kk (set
    here at step 0); both are updated in place. Returns ``(recorded, diverged_at, step)``: the rows
    written, the step count at which a divergence was detected (-1 if none; the run then stops) and
    the steps done.
    """
    n, N = weights.shape
    scale = 1.0 / math.sqrt(N)
    x = _aligned_empty(-(-N // LANE_GROUP) * LANE_GROUP)  # whole groups of the lane generator; x[:N] is the input
    dots = np.empty(n + 1)  # w_j . x, then x . x
    coef = np.empty(K)  # coefficient of x in the update of w_k
    dv = np.empty(K)
    if step == 0:
        for k in range(K):
            norms[k] = _dot(weights[k], weights[k])
    while True:
        while recorded < record_steps.shape[0] and record_steps[recorded] == step:
            _record(weights, K, R_out[recorded], Q_out[recorded], norms)
            v_out[recorded] = v
            recorded += 1
        if recorded == record_steps.shape[0] or step >= stop:
            return recorded, -1, step
        fill_normal_lanes(state, x)
        zeta = next_normal_lanes(state)
        delta = sigma * zeta
        for first in range(0, n + 1, SLOTS):  # the n fields and |x|^2 (slot n) in passes over x
            values = dot_rows(weights, first, x, N)
            for s in range(SLOTS):
                if first + s <= n:
                    dots[first + s] = values[s]
        for j in range(n):
            field = dots[j] * scale
            if not math.isfinite(field):
                return recorded, step, step
            if j < K:
                dv[j] = kernel_g(code, field)  # g(lambda_k), kept for the second layer's increment
                delta -= v[j] * dv[j]
            else:
                delta += v_star[j - K] * kernel_g(code, field)
        for k in range(K):  # both increments from the state before the step
            field = dots[k] * scale
            coef[k] = eta * scale * v[k] * kernel_dg(code, field) * delta
            dv[k] = eta_v / N * dv[k] * delta
        x_norm = dots[n]
        for k in range(K):
            c = coef[k]
            scale_add_row(weights, k, decay, c, x, N)
            if eta_v > 0.0:
                v[k] += dv[k]
            norms[k] = decay * decay * norms[k] + 2.0 * decay * c * dots[k] + c * c * x_norm
        step += 1
        for k in range(K):
            if not (norms[k] <= norm_limit and math.isfinite(v[k])):  # `not <=` also catches NaN
                return recorded, step, step


# ------------------------------------------------------------------------------------- setup


@dataclass(frozen=True)
class _Setup:
    """Validated parameters of a run, shared by every seed."""

    K: int
    M: int
    eta: float
    eta_v: float
    sigma: float
    weight_decay: float
    N: int
    t: np.ndarray
    record_steps: np.ndarray
    activation: Activation
    code: int  # the activation's kernel code (checked not None)
    init: Overlaps | None
    init_scale: float
    v_star: np.ndarray

    @property
    def chunk(self) -> int:
        """SGD steps per call of the kernel (about :data:`CHUNK_WORK` multiply-adds)."""
        return max(1, CHUNK_WORK // (self.N * (self.K + self.M)))


def _prepare(
    K: int,
    M: int,
    eta: float,
    N: int,
    t: ArrayLike,
    *,
    activation: str | Activation,
    train_second_layer: bool,
    eta_v: float | None,
    sigma: float,
    weight_decay: float,
    init: Overlaps | Mapping | None,
    init_scale: float,
    v_star: ArrayLike | None,
    max_steps: int,
) -> _Setup:
    K, M, eta, eta_v, sigma, weight_decay = check_setup(
        K, M, eta, eta_v=eta_v, sigma=sigma, weight_decay=weight_decay, train_second_layer=train_second_layer
    )
    N = count_parameter("N", N, minimum=1)
    times = check_times(t)
    act = check_activation(activation)
    if act.code is None:
        raise ValueError(f"activation {act.name!r} has no compiled kernel (kernel_g of statlearn.models.activations)")
    floats = (K + M) * N + times.size * (K + M) ** 2 + M * M  # weights, recorded overlaps and their C, T
    if floats > MAX_FLOATS:
        raise ValueError(
            f"the weights ((K + M) N = {(K + M) * N:.3g}) and records ({times.size} times) of one run need "
            f"{8 * floats / 2**30:.3g} GiB, more than {8 * MAX_FLOATS / 2**30:.0f} GiB; lower N, K, M or len(t)"
        )
    max_steps = count_parameter("max_steps", max_steps, minimum=1)
    steps = float(times[-1]) * N
    if steps > max_steps or steps >= 2.0**62:  # before anything is allocated (also keeps the step counts within int64)
        hours = steps * N * (K + M) * _SECONDS_PER_MULTIPLY_ADD / 3600.0
        raise ValueError(
            f"t[-1] * N = {steps:.3g} SGD steps exceed max_steps = {max_steps:.3g} (about {hours:.3g} hours at "
            f"N = {N}, K + M = {K + M}); lower t or N, or raise max_steps"
        )
    if eta * weight_decay >= N:
        raise ValueError(
            f"eta * weight_decay must be < N (the decay factor 1 - eta weight_decay / N > 0), got "
            f"{eta * weight_decay:.4g} with N = {N}"
        )
    init_scale = real_parameter("init_scale", init_scale, minimum=0.0, maximum=math.sqrt(MAX_OVERLAP))
    if init is not None:
        if isinstance(init, Overlaps):
            init = Overlaps.checked(init.R, init.Q, init.T, init.v, init.v_star)
        elif isinstance(init, Mapping):
            init = Overlaps.checked(**init)
        else:
            raise TypeError(f"init must be None, an Overlaps or a mapping of overlaps, got {type(init).__name__}")
        if (init.K, init.M) != (K, M):
            raise ValueError(f"init has K = {init.K}, M = {init.M} but K = {K}, M = {M} were given")
        if N < K + M:
            raise ValueError(f"N must be >= K + M = {K + M} to realise the overlaps of init, got N = {N}")
        if v_star is not None:
            raise ValueError("v_star is given by init (init.v_star); do not pass both")
        if init_scale != 1.0:
            raise ValueError("init_scale applies to the random initialisation (init=None) only")
        v_star_arr = init.v_star
    else:
        v_star_arr = np.ones(M) if v_star is None else np.atleast_1d(as_real_array("v_star", v_star))
        if v_star_arr.shape != (M,):
            raise ValueError(f"v_star must have shape (M,) = {(M,)}, got {v_star_arr.shape}")
    return _Setup(
        K,
        M,
        eta,
        eta_v,
        sigma,
        weight_decay,
        N,
        times,
        np.rint(times * N).astype(np.int64),
        act,
        act.code,
        init,
        init_scale,
        v_star_arr,
    )


def _initial_weights(setup: _Setup, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (K + M, N) weights (student rows first) and the student's v, from ``default_rng(seed)``.

    ``init=None``: teacher rows i.i.d. N(0, 1) drawn first, as one (M, N) array, then student rows
    i.i.d. N(0, init_scale^2), as one (K, N) array; v = ones. ``init`` given: an (N, K + M) Gaussian
    matrix is orthonormalised by QR, its K + M orthonormal columns ``U`` give the rows
    ``sqrt(N) S U^T`` with ``S`` the symmetric square root of the overlap matrix
    C = [[Q, R], [R^T, T]] (eigenvalues clipped at 0), so that their Gram matrix over N is C.
    """
    K, M, N = setup.K, setup.M, setup.N
    rng = np.random.default_rng(seed)
    if setup.init is None:
        teacher = rng.standard_normal((M, N))
        student = setup.init_scale * rng.standard_normal((K, N))
        return np.ascontiguousarray(np.vstack([student, teacher])), np.ones(K)
    init = setup.init
    C = np.block([[init.Q, init.R], [init.R.T, init.T]])
    eigenvalues, eigenvectors = np.linalg.eigh(C)
    root = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T
    basis, _ = np.linalg.qr(rng.standard_normal((N, K + M)))
    return np.ascontiguousarray(math.sqrt(N) * root @ basis.T), init.v.copy()


def _kernel_seed(seed: int) -> int:
    """The in-kernel generator's seed: a child of ``SeedSequence(seed)``, independent of ``default_rng(seed)``."""
    child = np.random.SeedSequence(seed).spawn(1)[0]
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))  # fits numba's int64


def _simulate(
    setup: _Setup, seed: int, advance: Callable[[int], None] | None = None, stop: threading.Event | None = None
) -> tuple[Trajectory, np.ndarray, np.ndarray]:
    """One run: the trajectory, and the final weights (student rows first) and second layer.

    The kernel runs in chunks of ``setup.chunk`` steps; ``advance(steps)`` is called after each, and
    the run raises ``KeyboardInterrupt`` between chunks once ``stop`` is set.
    """
    K, M, N = setup.K, setup.M, setup.N
    weights, v = _initial_weights(setup, seed)
    weights = _aligned_copy(weights)
    student_norms = np.einsum("kn,kn->k", weights[:K], weights[:K]) / N
    norm_limit = DIVERGENCE_FACTOR * max(1.0, float(student_norms.max())) * N
    count = setup.t.size
    R, Q, V = np.empty((count, K, M)), np.empty((count, K, K)), np.empty((count, K))
    decay = 1.0 - setup.eta * setup.weight_decay / N
    state, norms = seed_lanes(_kernel_seed(seed)), np.empty(K)
    recorded, diverged_at, step = 0, -1, 0
    last = int(setup.record_steps[-1])
    while recorded < count and diverged_at < 0:
        if stop is not None and stop.is_set():
            raise KeyboardInterrupt
        before = step
        recorded, diverged_at, step = _sgd_kernel(
            weights,
            K,
            v,
            setup.v_star,
            setup.code,
            setup.eta,
            setup.eta_v,
            setup.sigma,
            decay,
            state,
            norms,
            step,
            min(last, step + setup.chunk),
            recorded,
            setup.record_steps,
            norm_limit,
            R,
            Q,
            V,
        )
        if advance is not None:
            advance(step - before)
    teacher = weights[K:]
    T = teacher @ teacher.T / N
    R, Q, V = R[:recorded], Q[:recorded], V[:recorded]
    diverged = diverged_at >= 0
    steps = int(diverged_at if diverged else setup.record_steps[-1])
    if diverged:
        message = f"diverged at alpha = {steps / N:.4g} after {steps} SGD steps (some Q_kk beyond the limit)"
    else:
        message = f"reached alpha = {setup.t[-1]:.4g} after {steps} SGD steps"
    trajectory = Trajectory(
        t=setup.t[:recorded].copy(),
        R=R,
        Q=Q,
        v=V,
        generalization_error=generalization_error(setup.activation, R, Q, T, V, setup.v_star),
        T=T,
        v_star=setup.v_star.copy(),
        activation=setup.activation.name,
        eta=setup.eta,
        sigma=setup.sigma,
        N=N,
        seed=seed,
        diverged=diverged,
        t_diverged=steps / N if diverged else None,
        converged=not diverged,
        iterations=steps,
        residual=float("nan"),
        message=message,
        info={"eta_v": setup.eta_v, "weight_decay": setup.weight_decay, "steps": steps},
    )
    return trajectory, weights, v


def _warn_if_diverged(trajectory: Trajectory) -> None:
    if trajectory.diverged:
        last = f"t = {trajectory.t[-1]:.4g}" if trajectory.t.size else "no recorded time"
        warnings.warn(
            f"online SGD diverged at t = {trajectory.t_diverged:.4g} (eta = {trajectory.eta:g}, N = {trajectory.N}, "
            f"seed = {trajectory.seed}): the learning rate is too large; the trajectory stops at {last}",
            DivergenceWarning,
            stacklevel=3,
        )


# ------------------------------------------------------------------------------------- public


def online_sgd(
    K: int,
    M: int,
    eta: float,
    N: int,
    t: ArrayLike,
    *,
    seed: int,
    activation: str | Activation = "scaled-erf",
    train_second_layer: bool = False,
    eta_v: float | None = None,
    sigma: float = 0.0,
    weight_decay: float = 0.0,
    init: Overlaps | Mapping | None = None,
    init_scale: float = 1.0,
    v_star: ArrayLike | None = None,
    max_steps: int = MAX_STEPS,
) -> Trajectory:
    r"""Simulate online SGD of a K-unit student on an M-unit teacher at input dimension N.

    Parameters
    ----------
    K, M
        Hidden units of the student and of the teacher, >= 1.
    eta
        Learning rate of the first layer, > 0.
    N
        Input dimension, an integer >= 1.
    t
        Times :math:`\alpha` (non-decreasing, >= 0) at which the state is recorded, after
        ``round(t * N)`` steps; ``t = 0`` records the initial state.
    seed
        Integer >= 0. The initial weights come from ``numpy.random.default_rng(seed)`` and the
        inputs and label noise from the kernel's xoshiro256++ generator seeded from a child of
        ``numpy.random.SeedSequence(seed)`` (the lane generator of :mod:`statlearn.numerics.rng`);
        the same seed gives the same trajectory bit for bit.
    activation
        ``"scaled-erf"`` (:math:`g(x) = \operatorname{erf}(x/\sqrt2)`), ``"linear"`` or ``"relu"``,
        or an :class:`~statlearn.models.activations.Activation` with a kernel ``code`` and Gaussian
        averages (e.g. ``ACTIVATIONS["erf"]``, erf(x)). The bare name ``"erf"`` is refused
        (:func:`~statlearn.online.trajectory.check_activation`).
    train_second_layer, eta_v
        Whether ``v`` is learned, and its learning rate (default ``eta``; only with
        ``train_second_layer=True``).
    sigma
        Standard deviation of the label noise, >= 0.
    weight_decay
        :math:`\gamma \ge 0`: each step multiplies the student's first layer by
        :math:`1 - \eta\gamma/N` (the gradient of :math:`\gamma|w|^2/2` per unit of time).
    init
        ``None``: teacher rows i.i.d. :math:`N(0, 1)`, drawn first (one ``(M, N)`` array), then
        student rows i.i.d. :math:`N(0, \mathrm{init\_scale}^2)` (one ``(K, N)`` array), ``v``
        ones. Otherwise an :class:`~statlearn.online.trajectory.Overlaps` (or a mapping of its
        fields R, Q, T, v, v_star): teacher and student weights are built with exactly these
        overlaps, up to rounding (orthonormal rows of a Gaussian matrix, times :math:`\sqrt N`
        times the square root of :math:`[[Q, R], [R^T, T]]`), so that the ODE and every N start
        from the same point; needs ``N >= K + M``.
    init_scale
        Standard deviation of the random student weights (``init=None`` only).
    v_star
        Teacher second layer, default ones (``init=None`` only; otherwise ``init.v_star``).
    max_steps
        Refuse (``ValueError``, before allocating) runs of more than this many SGD steps,
        ``round(t[-1] N)``; default :data:`MAX_STEPS`.

    Returns
    -------
    Trajectory
        ``R``, ``Q``, ``v`` at the times ``t`` and ``generalization_error`` (eps_g), evaluated from the measured overlaps
        with the activation's Gaussian average
        :math:`\epsilon_g = \frac12\sum_{ab} s_a s_b I_2(a, b)`, :math:`s = (-v, v^*)`, which is the
        exact test error (without label noise) of those weights on Gaussian inputs: the fields of a
        fresh input are jointly Gaussian with covariance :math:`[[Q, R], [R^T, T]]`. ``T`` is the
        measured teacher overlap, ``info`` holds ``eta_v``, ``weight_decay`` and ``steps`` (the
        number of SGD steps done, also ``iterations``). On divergence (module docstring) the arrays
        stop at the last recorded time before it, ``diverged`` is True, ``converged`` False,
        ``t_diverged`` the time it was detected, and a
        :class:`~statlearn.online.trajectory.DivergenceWarning` is emitted.

    References
    ----------
    D. Saad & S. A. Solla, PRE 52, 4225 (1995); S. Goldt, M. S. Advani, A. M. Saxe, F. Krzakala &
    L. Zdeborová, NeurIPS 2019.
    """
    setup = _prepare(
        K,
        M,
        eta,
        N,
        t,
        activation=activation,
        train_second_layer=train_second_layer,
        eta_v=eta_v,
        sigma=sigma,
        weight_decay=weight_decay,
        init=init,
        init_scale=init_scale,
        v_star=v_star,
        max_steps=max_steps,
    )
    trajectory = _simulate(setup, count_parameter("seed", seed))[0]
    _warn_if_diverged(trajectory)
    return trajectory


def online_sgd_seeds(
    K: int,
    M: int,
    eta: float,
    N: int,
    t: ArrayLike,
    *,
    seeds: Sequence[int],
    workers: int | None = None,
    progress: bool = False,
    **kwargs,
) -> list[Trajectory]:
    """:func:`online_sgd` for each of ``seeds``, on ``workers`` threads; trajectories in seed order.

    The kernel releases the GIL, so the runs proceed in parallel; each depends on its seed only,
    so the result is the same bit for bit as serial calls, whatever ``workers`` (default: one per
    core, at most one per seed). ``progress`` shows a tqdm bar of the SGD steps done over all
    runs; ``kwargs`` are the keyword arguments of :func:`online_sgd`. A DivergenceWarning is
    emitted for each run that diverged. Ctrl-C stops every run within one chunk of the kernel
    (a fraction of a second) and raises ``KeyboardInterrupt``.
    """
    setup = _prepare(K, M, eta, N, t, **_with_defaults(kwargs))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of integers, got {type(seeds).__name__}")
    seeds = [count_parameter("each seed in seeds", seed) for seed in seeds]
    workers = (
        min(len(seeds), os.cpu_count() or 1) if workers is None else count_parameter("workers", workers, minimum=1)
    )
    stop = threading.Event()
    lock = threading.Lock()
    total = int(setup.record_steps[-1]) * len(seeds)
    with tqdm(total=total, disable=not progress, unit="step", unit_scale=True) as bar:

        def advance(steps: int) -> None:
            with lock:
                bar.update(steps)

        pool = ThreadPoolExecutor(max_workers=workers)
        futures: list = []
        try:
            futures = [pool.submit(_simulate, setup, seed, advance, stop) for seed in seeds]
            for _ in as_completed(futures):
                pass
            trajectories = [future.result()[0] for future in futures]
        except BaseException:
            stop.set()  # the running kernels return within a chunk; the queued runs do not start
            for future in futures:
                future.cancel()
            raise
        finally:
            pool.shutdown(wait=True)
    for trajectory in trajectories:
        _warn_if_diverged(trajectory)
    return trajectories


def _with_defaults(kwargs: dict) -> dict:
    """The keyword options of :func:`online_sgd` (all but ``seed``): ``kwargs`` over the defaults."""
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(online_sgd).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "seed"
    }
    unknown = set(kwargs) - set(defaults)
    if unknown:
        raise TypeError(f"online_sgd_seeds got unexpected keyword arguments {sorted(unknown)}")
    return {**defaults, **kwargs}
