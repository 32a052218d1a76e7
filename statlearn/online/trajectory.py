"""The state and the trajectory of online SGD in a teacher-student soft committee machine.

Shared by the overlap ODEs (:mod:`statlearn.online.ode`) and the simulation
(:mod:`statlearn.online.simulate`), so that theory and experiment return the same type and are
compared like for like.

Notation (Saad & Solla 1995; Goldt et al. 2019): inputs x in R^N with i.i.d. N(0, 1) entries;
student first-layer weights w_k (k = 1..K), teacher weights w*_m (m = 1..M); overlaps
``R_km = w_k . w*_m / N`` (student-teacher), ``Q_kl = w_k . w_l / N`` (student-student),
``T_mn = w*_m . w*_n / N`` (teacher-teacher); second layers ``v`` (student) and ``v_star``
(teacher). Time is ``t = alpha = steps / N``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.validation import as_count, as_real_array

__all__ = ["Overlaps", "Trajectory", "check_times", "check_setup", "DivergenceWarning"]


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
    :func:`statlearn.online.simulate.online_sgd` (measured at finite ``N`` for one ``seed``).

    Attributes
    ----------
    t : (n,) times alpha at which the state is recorded.
    R : (n, K, M), Q : (n, K, K), v : (n, K): the order parameters at those times.
    eps_g : (n,) generalisation error E (y - yhat)^2 / 2 without label noise. In a simulation it is
        evaluated from the measured overlaps with the activation's closed-form Gaussian average, which
        is the exact test error of those weights on Gaussian inputs (not a prediction of the ODE).
    T : (M, M) teacher overlaps; v_star : (M,) teacher second layer (both constant in time).
    diverged : True if the weights blew up; the arrays then stop at the last finite time before
        ``t_diverged`` (they are shorter than the requested times).
    """

    t: np.ndarray
    R: np.ndarray
    Q: np.ndarray
    v: np.ndarray
    eps_g: np.ndarray
    T: np.ndarray
    v_star: np.ndarray
    activation: str
    eta: float
    sigma: float
    N: int | None = None
    seed: int | None = None
    diverged: bool = False
    t_diverged: float = float("nan")
    info: dict = field(default_factory=dict)

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
    K = as_count("K", K, minimum=1)
    M = as_count("M", M, minimum=1)
    eta = float(as_real_array("eta", eta, minimum=0.0, strict_minimum=True))
    sigma = float(as_real_array("sigma", sigma, minimum=0.0))
    weight_decay = float(as_real_array("weight_decay", weight_decay, minimum=0.0))
    if not isinstance(train_second_layer, (bool, np.bool_)):
        raise TypeError(f"train_second_layer must be True or False, got {train_second_layer!r}")
    if train_second_layer:
        eta_v = eta if eta_v is None else float(as_real_array("eta_v", eta_v, minimum=0.0, strict_minimum=True))
    else:
        if eta_v is not None:
            raise ValueError("eta_v is the second layer's learning rate; set train_second_layer=True to use it")
        eta_v = 0.0
    return K, M, eta, eta_v, sigma, weight_decay
