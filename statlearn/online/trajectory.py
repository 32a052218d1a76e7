"""The state and the trajectory of online SGD in a teacher-student soft committee machine.

Shared by the overlap ODEs (:mod:`statlearn.online.ode`) and the simulation
(:mod:`statlearn.online.simulate`), so that theory and experiment return the same type and are
compared like for like, with the parameter checks both use.

Notation (Saad & Solla 1995; Goldt et al. 2019): inputs x in R^N with i.i.d. N(0, 1) entries;
student first-layer weights w_k (k = 1..K), teacher weights w*_m (m = 1..M); overlaps
``R_km = w_k . w*_m / N`` (student-teacher), ``Q_kl = w_k . w_l / N`` (student-student),
``T_mn = w*_m . w*_n / N`` (teacher-teacher); second layers ``v`` (student) and ``v_star``
(teacher). Time is ``t = alpha = steps / N``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from statlearn.models.activations import ACTIVATIONS, Activation, get_activation
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.validation import as_count, as_real_array

__all__ = [
    "Overlaps",
    "Trajectory",
    "check_activation",
    "check_units",
    "check_times",
    "check_setup",
    "DivergenceWarning",
    "generalization_error",
    "overlap_matrix",
    "count_parameter",
    "real_parameter",
    "MAX_OVERLAP",
]

#: Largest |overlap| accepted as an initial state: beyond it the closed-form averages, which cancel
#: terms of order C^3 against results of order 1, lose all their digits.
MAX_OVERLAP = 1e8


def count_parameter(name: str, value: object, *, minimum: int = 0) -> int:
    """``value`` as an ``int >= minimum`` (bools refused), or raise a one-line error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    return as_count(name, value, minimum=minimum)


def real_parameter(name: str, value: object, **bounds: float | bool | None) -> float:
    """``value`` as a finite real number within ``bounds`` (of :func:`as_real_array`), or raise naming ``name``."""
    arr = as_real_array(name, value, **bounds)  # type: ignore[arg-type]  # bounds are those keywords
    if arr.ndim != 0:
        raise TypeError(f"{name} must be a real number, got an array of shape {arr.shape}")
    return float(arr)


class DivergenceWarning(RuntimeWarning):
    """Online learning blew up (the weights grew without bound): the learning rate is too large."""


@dataclass(frozen=True)
class Overlaps:
    """Order parameters of a teacher-student committee machine at one time.

    Attributes
    ----------
    R : (K, M) student-teacher overlaps.
    Q : (K, K) student-student overlaps (symmetric).
    T : (M, M) teacher-teacher overlaps (symmetric).
    v : (K,) student second layer.
    v_star : (M,) teacher second layer.
    """

    R: np.ndarray
    Q: np.ndarray
    T: np.ndarray
    v: np.ndarray
    v_star: np.ndarray

    @classmethod
    def checked(
        cls, R: ArrayLike, Q: ArrayLike, T: ArrayLike, v: ArrayLike | None = None, v_star: ArrayLike | None = None
    ) -> Overlaps:
        """Validated overlaps: finite, consistent shapes, symmetric Q and T, and a Gram matrix.

        ``v`` and ``v_star`` default to ones. Raises ``ValueError`` naming the offending piece; the
        joint matrix ``[[Q, R], [R^T, T]]`` must be positive semi-definite, as the overlaps of real
        weight vectors are.
        """
        Q = np.atleast_2d(as_real_array("initial Q", Q))
        T = np.atleast_2d(as_real_array("initial T", T))
        R = np.atleast_2d(as_real_array("initial R", R))
        K, M = Q.shape[0], T.shape[0]
        if Q.shape != (K, K) or T.shape != (M, M):
            raise ValueError(f"initial Q and T must be square, got shapes {Q.shape} and {T.shape}")
        if R.shape != (K, M):
            raise ValueError(f"initial R must have shape (K, M) = {(K, M)}, got {R.shape}")
        v = np.ones(K) if v is None else np.atleast_1d(as_real_array("initial v", v))
        v_star = np.ones(M) if v_star is None else np.atleast_1d(as_real_array("v_star", v_star))
        if v.shape != (K,):
            raise ValueError(f"initial v must have shape (K,) = {(K,)}, got {v.shape}")
        if v_star.shape != (M,):
            raise ValueError(f"v_star must have shape (M,) = {(M,)}, got {v_star.shape}")
        for name, S in (("Q", Q), ("T", T)):
            if not np.allclose(S, S.T, rtol=1e-10, atol=1e-12):
                raise ValueError(f"initial {name} must be symmetric")
        C = np.block([[Q, R], [R.T, T]])
        if np.abs(C).max() > MAX_OVERLAP:
            raise ValueError(f"initial overlaps must be at most {MAX_OVERLAP:g} in size, got {np.abs(C).max():.3g}")
        smallest = float(np.linalg.eigvalsh(0.5 * (C + C.T))[0])
        scale = max(1.0, float(np.abs(C).max()))
        if smallest < -1e-10 * scale:
            raise ValueError(
                "the overlap matrix [[Q, R], [R^T, T]] must be positive semi-definite (a Gram matrix of "
                f"weight vectors); its smallest eigenvalue is {smallest:.3g}"
            )
        return cls(R, 0.5 * (Q + Q.T), 0.5 * (T + T.T), v, v_star)

    @property
    def K(self) -> int:
        return int(self.Q.shape[0])

    @property
    def M(self) -> int:
        return int(self.T.shape[0])


@dataclass(frozen=True)
class Trajectory:
    """Overlaps and generalisation error of online SGD at the times ``t`` (alpha = steps / N).

    Returned by both :func:`statlearn.online.ode.integrate` (``N is None``) and
    :func:`statlearn.online.simulate.online_sgd` (measured at finite ``N`` for one ``seed``). It
    follows the package's result protocol (:mod:`statlearn.numerics.result`); its arrays are read-only.

    Attributes
    ----------
    t : (n,) times alpha at which the state is recorded.
    R : (n, K, M), Q : (n, K, K), v : (n, K): the order parameters at those times.
    generalization_error : (n,) eps_g = E (y - yhat)^2 / 2 without label noise. In a simulation it is
        evaluated from the measured overlaps with the activation's closed-form Gaussian average, which
        is the exact test error of those weights on Gaussian inputs (not a prediction of the ODE).
    T : (M, M) teacher overlaps; v_star : (M,) teacher second layer (both constant in time).
    activation : the name of the activation g; eta, sigma : learning rate and label noise.
    N, seed : input dimension and seed of a simulation (None for the ODE).
    diverged : True if the weights blew up; the arrays then stop at the last finite time before
        ``t_diverged`` (they are shorter than the requested times); ``t_diverged`` is None otherwise.
    converged : True if the run reached the last requested time (no blow-up, no solver failure,
        no exhausted budget).
    iterations : the work done: SGD steps (simulation) or evaluations of the ODE's right-hand side.
    residual : nan (no equation is solved: the run goes to a horizon).
    message : one line saying why the run stopped.
    info : solver details (``eta_v``, ``weight_decay``, and ``steps`` or ``method``, ``nfev``).
    """

    t: np.ndarray
    R: np.ndarray
    Q: np.ndarray
    v: np.ndarray
    generalization_error: np.ndarray
    T: np.ndarray
    v_star: np.ndarray
    activation: str
    eta: float
    sigma: float
    N: int | None = None
    seed: int | None = None
    diverged: bool = False
    t_diverged: float | None = None
    converged: bool = True
    iterations: int = 0
    residual: float = float("nan")
    message: str = ""
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def K(self) -> int:
        return int(self.Q.shape[-1])

    @property
    def M(self) -> int:
        return int(self.T.shape[-1])

    def overlaps(self, index: int = 0) -> Overlaps:
        """The state at ``t[index]`` (default the initial one), e.g. to start the ODE from a simulation."""
        return Overlaps(
            self.R[index].copy(), self.Q[index].copy(), self.T.copy(), self.v[index].copy(), self.v_star.copy()
        )


def overlap_matrix(R: ArrayLike, Q: ArrayLike, T: ArrayLike) -> np.ndarray:
    """Covariance of the local fields (lambda, nu): ``C = [[Q, R], [R^T, T]]``, batched over leading axes.

    ``R`` has shape ``(..., K, M)``, ``Q`` ``(..., K, K)``, ``T`` ``(M, M)`` or ``(..., M, M)``.
    """
    R, Q, T = np.asarray(R, dtype=float), np.asarray(Q, dtype=float), np.asarray(T, dtype=float)
    batch = np.broadcast_shapes(R.shape[:-2], Q.shape[:-2], T.shape[:-2])
    K, M = R.shape[-2:]
    C = np.empty(batch + (K + M, K + M))
    C[..., :K, :K] = Q
    C[..., :K, K:] = R
    C[..., K:, :K] = np.swapaxes(R, -1, -2)
    C[..., K:, K:] = T
    return C


def generalization_error(
    activation: Activation, R: ArrayLike, Q: ArrayLike, T: ArrayLike, v: ArrayLike, v_star: ArrayLike
) -> np.ndarray:
    """eps_g = E (y - yhat)^2 / 2 without label noise, from the overlaps (batched over leading axes).

    eps_g = (1/2) sum_{a,b} s_a s_b I2[a, b] with s = (-v, v_star) and I2 the activation's average
    on C = [[Q, R], [R^T, T]]; for erf(z / sqrt 2) this is Saad & Solla's (1/pi) [sum_kl v_k v_l
    arcsin(.) + sum_mn v*_m v*_n arcsin(.) - 2 sum_km v_k v*_m arcsin(.)].
    """
    C = overlap_matrix(R, Q, T)
    v = np.asarray(v, dtype=float)
    v_star = np.broadcast_to(np.asarray(v_star, dtype=float), C.shape[:-2] + (C.shape[-1] - v.shape[-1],))
    s = np.concatenate([-np.broadcast_to(v, C.shape[:-2] + v.shape[-1:]), v_star], axis=-1)
    # A quadratic form in the PSD matrix I2: >= 0 up to rounding, which is clipped (log plots).
    return np.maximum(0.5 * np.einsum("...a,...ab,...b->...", s, activation.i2(C), s), 0.0)


def check_activation(activation: str | Activation) -> Activation:
    """The activation of the online ODEs and simulation: a name or an :class:`Activation` with averages.

    The bare name ``"erf"`` is refused: this module used to call erf(z / sqrt 2) ``"erf"``, which
    is now ``"scaled-erf"`` (:mod:`statlearn.models.activations`); erf(z) itself is the object
    ``ACTIVATIONS["erf"]``.
    """
    if isinstance(activation, str) and activation == "erf":
        raise ValueError(
            "activation 'erf' is ambiguous in statlearn.online (it used to mean erf(z / sqrt 2)): pass "
            "'scaled-erf' for Saad & Solla's g(z) = erf(z / sqrt 2), or ACTIVATIONS['erf'] of "
            "statlearn.models.activations for erf(z)"
        )
    act = get_activation(activation)
    if not act.has_averages:
        known = ", ".join(name for name, a in ACTIVATIONS.items() if a.has_averages and name != "erf")
        raise ValueError(
            f"activation {act.name!r} has no closed-form Gaussian averages for the overlap ODEs; use {known}"
        )
    return act


#: Largest K^2 (K + M)^2, the operation count of one right-hand side of the overlap ODEs (~1 s of work).
MAX_ODE_WORK = 10**9


def check_units(K: int, M: int) -> None:
    """Refuse committees whose overlap ODEs cost more than :data:`MAX_ODE_WORK` per right-hand side.

    The Delta^2 term contracts I4 over (a, b, c, d): K^2 (K + M)^2 terms per evaluation.
    """
    work = K * K * (K + M) ** 2
    if work > MAX_ODE_WORK:
        raise ValueError(
            f"K = {K}, M = {M}: one evaluation of the overlap ODEs needs K^2 (K + M)^2 = {work:.3g} terms, more "
            f"than {MAX_ODE_WORK:.0e} (about a second each); use fewer units"
        )


def check_times(t: ArrayLike) -> np.ndarray:
    """Validate the recording times: a non-empty, finite, non-decreasing array of alpha >= 0."""
    times = np.atleast_1d(as_real_array("t", t, minimum=0.0))
    if times.ndim != 1 or times.size == 0:
        raise ValueError(f"t must be a non-empty 1-D array of times, got shape {times.shape}")
    if np.any(np.diff(times) < 0):
        raise ValueError("t must be non-decreasing")
    return times


def check_setup(
    K: int,
    M: int,
    eta: float,
    *,
    eta_v: float | None,
    sigma: float,
    weight_decay: float,
    train_second_layer: bool,
) -> tuple[int, int, float, float, float, float]:
    """Validate the common parameters of the ODE and the simulation; returns (K, M, eta, eta_v, sigma, wd).

    ``eta_v`` defaults to ``eta`` when the second layer is trained and is 0 otherwise.
    """
    K = count_parameter("K", K, minimum=1)
    M = count_parameter("M", M, minimum=1)
    eta = real_parameter("eta", eta, minimum=0.0, strict_minimum=True)
    sigma = real_parameter("sigma", sigma, minimum=0.0)
    weight_decay = real_parameter("weight_decay", weight_decay, minimum=0.0)
    # The ODEs hold eta^2 (J2 sigma^2 + I4) and eta weight_decay: refuse values whose products overflow.
    if not math.isfinite(eta * eta * (1.0 + sigma * sigma)) or not math.isfinite(eta * weight_decay):
        raise ValueError(
            f"eta = {eta:g}, sigma = {sigma:g}, weight_decay = {weight_decay:g}: eta^2 (1 + sigma^2) or "
            "eta * weight_decay overflows a float"
        )
    if not isinstance(train_second_layer, (bool, np.bool_)):
        raise TypeError(f"train_second_layer must be True or False, got {type(train_second_layer).__name__}")
    if train_second_layer:
        eta_v = eta if eta_v is None else real_parameter("eta_v", eta_v, minimum=0.0, strict_minimum=True)
    else:
        if eta_v is not None:
            raise ValueError("eta_v is the second layer's learning rate; set train_second_layer=True to use it")
        eta_v = 0.0
    return K, M, eta, eta_v, sigma, weight_decay
