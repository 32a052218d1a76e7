r"""Overlap ODEs of online SGD in teacher-student soft committee machines.

In the limit N -> infinity with t = alpha = steps / N fixed, the overlaps R, Q (and the second
layer v when it is learned) of a student trained by online SGD on fresh Gaussian inputs follow
deterministic ODEs (Biehl & Schwarze, J. Phys. A 28, 643, 1995; Saad & Solla, PRE 52, 4225, 1995;
Goldt, Advani, Saxe, Krzakala & Zdeborova, NeurIPS 2019). With the SGD step::

    w_k <- w_k (1 - eta lambda_wd / N) + (eta / sqrt N) v_k g'(lambda_k) Delta x,
    v_k <- v_k + (eta_v / N) g(lambda_k) Delta                       (second layer, if learned),

Delta = y - yhat, y = sum_m v*_m g(nu_m) + sigma zeta, they read::

    dR_km/dt = eta v_k E[g'(lambda_k) nu_m Delta] - eta lambda_wd R_km
    dQ_kl/dt = eta v_k E[g'(lambda_k) lambda_l Delta] + eta v_l E[g'(lambda_l) lambda_k Delta]
               + eta^2 v_k v_l ( E[g'(lambda_k) g'(lambda_l) Delta^2] + sigma^2 E[g'(lambda_k) g'(lambda_l)] )
               - 2 eta lambda_wd Q_kl
    dv_k/dt  = eta_v E[g(lambda_k) Delta].

The first layer's step scales as 1/sqrt(N) and the second layer's as 1/N, so that both move by
O(1) in a time O(1) (Goldt et al. 2019, section 2). Writing the fields as u = (lambda, nu) with
covariance C = [[Q, R], [R^T, T]] and Delta = sum_p s_p g(u_p) with s = (-v, v_star), every
expectation is a contraction of the averages I2, I3, I4, J2 of the activation
(:mod:`statlearn.models.activations`; notation and derivation in ``docs/theory/online.md``) with s: E[g'(u_a) u_b Delta] = sum_c I3[a, b, c] s_c, E[g'(u_a) g'(u_b) Delta^2] =
sum_cd I4[a, b, c, d] s_c s_d, E[g(u_a) Delta] = sum_c I2[a, c] s_c. The right-hand side is thus
vectorised over units: a handful of array operations for any K and M.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.integrate import solve_ivp

from statlearn.models.activations import Activation
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.online.trajectory import (
    MAX_OVERLAP,
    DivergenceWarning,
    Overlaps,
    Trajectory,
    check_activation,
    check_setup,
    check_times,
    check_units,
    count_parameter,
    generalization_error,
    overlap_matrix,
    real_parameter,
)

__all__ = ["OverlapODE", "integrate", "random_overlaps", "DIVERGENCE_THRESHOLD", "MAX_DECAY_RATE", "MAX_EVALUATIONS"]

#: A self-overlap Q_kk above this multiple of max(1, initial Q, T) counts as a blow-up of the weights.
DIVERGENCE_THRESHOLD = 1e6

#: Default budget of right-hand-side evaluations of :func:`integrate`. The reproductions need at most a
#: few thousand; far above the stability limit of the learning rate the ODE becomes so stiff that the
#: solver crawls (eta = 1000 needs millions for alpha = 1e3), and the budget stops it.
MAX_EVALUATIONS = 100_000


#: Largest number of random weights :func:`random_overlaps` draws (2 GiB of float64).
MAX_RANDOM_NUMBERS = 2**28

#: Largest decay rate eta * weight_decay of the first layer that :func:`integrate` accepts. Beyond ~1e17
#: LSODA cannot follow the O(1) learning dynamics on top of the decay (a stiffness ratio near 1 / eps).
MAX_DECAY_RATE = 1e15


_METHODS = ("LSODA", "RK45", "RK23", "DOP853", "Radau", "BDF")
_IMPLICIT_METHODS = ("LSODA", "Radau", "BDF")  # the methods that use a Jacobian


class _BudgetExhausted(Exception):
    """Raised from the right-hand side when the evaluation budget is spent (caught by :func:`integrate`)."""


@dataclass(frozen=True)
class OverlapODE:
    """The right-hand side of the overlap ODEs for one setting (see the module docstring).

    Attributes
    ----------
    activation : the hidden-unit activation g (with its Gaussian averages).
    K, M : numbers of student and teacher hidden units.
    eta : first-layer learning rate; eta_v : second-layer learning rate (0: second layer fixed).
    sigma : standard deviation of the label noise; weight_decay : lambda_wd of the first layer.
    T : (M, M) teacher overlaps; v_star : (M,) teacher second layer.
    """

    activation: Activation
    K: int
    M: int
    eta: float
    eta_v: float
    sigma: float
    weight_decay: float
    T: np.ndarray
    v_star: np.ndarray

    @property
    def train_second_layer(self) -> bool:
        return self.eta_v > 0.0

    def derivatives(self, R: np.ndarray, Q: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(dR/dt, dQ/dt, dv/dt) at the state (R, Q, v); NaN at a non-finite state (a blow-up)."""
        K, eta = self.K, self.eta
        C = overlap_matrix(R, Q, self.T)
        if not (np.isfinite(C).all() and np.isfinite(v).all()):  # the averages need finite overlaps
            return np.full(np.shape(R), np.nan), np.full(np.shape(Q), np.nan), np.full(np.shape(v), np.nan)
        s = np.concatenate([-v, self.v_star])
        terms = self.activation.contractions(C, K, s, with_i2=self.train_second_layer)
        # B[a, b] = E[g'(u_a) u_b Delta] for student units a.
        B = terms.I3s
        noise = terms.I4ss + self.sigma**2 * terms.J2
        vB = v[:, None] * B
        dR = eta * vB[:, K:] - eta * self.weight_decay * R
        dQ = eta * (vB[:, :K] + vB[:, :K].T) + eta**2 * np.outer(v, v) * noise - 2.0 * eta * self.weight_decay * Q
        dv = self.eta_v * terms.I2s if terms.I2s is not None else np.zeros(K)
        return dR, 0.5 * (dQ + dQ.T), dv

    def jacobian(self, y: np.ndarray) -> np.ndarray:
        r"""The Jacobian d(rhs)/dy of the flat right-hand side (:meth:`pack`) at ``y``, in closed form.

        For activations with ``has_gradients`` (:meth:`~statlearn.models.activations.Activation.contraction_gradients`).
        With G the derivative of a contraction with respect to a symmetric C (``G[..., p, q]``
        symmetric), a change of ``R_km`` moves C_{k,K+m} and C_{K+m,k}, hence ``2 G[..., k, K+m]``,
        and a change of ``Q_kl`` is taken as the symmetric change (Q + Q^T)/2, hence ``G[..., k, l]``:
        this is the Jacobian of the right-hand side on symmetric Q, where the solution stays
        (dQ/dt is symmetrised). With s = (-v, v*) and B = I3s, for student units:

        .. math::
            \partial \dot R_{km} = \eta\,\partial(v_k B_{k,K+m}), \quad
            \partial \dot Q_{kl} = \eta\,\partial(v_k B_{kl} + v_l B_{lk})
              + \eta^2 \partial[v_k v_l (I4ss_{kl} + \sigma^2 J2_{kl})], \quad
            \partial \dot v_k = \eta_v\,\partial I2s_k,

        minus the weight decay on the diagonal, with :math:`\partial s_j / \partial v_j = -1`.
        NaN at a non-finite state.
        """
        K, M, eta = self.K, self.M, self.eta
        R, Q, v = self.unpack(np.asarray(y, dtype=float))
        size = K * M + K * K + K
        C = overlap_matrix(R, Q, self.T)
        if not (np.isfinite(C).all() and np.isfinite(v).all()):
            return np.full((size, size), np.nan)
        s = np.concatenate([-v, self.v_star])
        grad = self.activation.contraction_gradients(C, K, s, with_i2=self.train_second_layer)
        B, noise = grad.values.I3s, grad.values.I4ss + self.sigma**2 * grad.values.J2

        def to_state(G: np.ndarray) -> np.ndarray:
            """(..., n, n) derivatives in C -> (..., K M + K K) in (R, Q)."""
            return np.concatenate(
                [
                    2.0 * G[..., :K, K:].reshape(G.shape[:-2] + (K * M,)),
                    G[..., :K, :K].reshape(G.shape[:-2] + (K * K,)),
                ],
                axis=-1,
            )

        eye = np.eye(K)
        # d B[a, b] / d(state) and d B[a, b] / d v_j (through s_j = -v_j)
        B_x, B_v = to_state(grad.I3s_C), -grad.I3s_s[:, :, :K]
        J = np.zeros((size, size))
        x, nx = slice(0, K * M + K * K), K * M + K * K
        # dR_km = eta v_k B[k, K+m] - eta wd R_km
        J[: K * M, x] = (eta * v[:, None, None] * B_x[:, K:, :]).reshape(K * M, nx)
        dR_v = eta * (eye[:, None, :] * B[:, K:, None] + v[:, None, None] * B_v[:, K:, :])
        J[: K * M, nx:] = dR_v.reshape(K * M, K)
        # A_kl = eta (v_k B[k, l] + v_l B[l, k]) + eta^2 v_k v_l noise_kl; dQ = (A + A^T) / 2
        vv = np.outer(v, v)
        noise_x = to_state(grad.I4ss_C + self.sigma**2 * grad.J2_C)
        first = v[:, None, None] * B_x[:, :K, :]
        A_x = eta * (first + first.transpose(1, 0, 2)) + eta**2 * vv[:, :, None] * noise_x
        A_x.reshape(K * K, nx)[np.arange(K * K), K * M + np.arange(K * K)] -= 2.0 * eta * self.weight_decay
        first_v = eye[:, None, :] * B[:, :K, None] + v[:, None, None] * B_v[:, :K, :]
        vv_v = eye[:, None, :] * v[None, :, None] + v[:, None, None] * eye[None, :, :]  # d(v_k v_l)/dv_j
        A_v = (
            eta * (first_v + first_v.transpose(1, 0, 2))
            + eta**2 * vv_v * noise[:, :, None]
            - eta**2 * vv[:, :, None] * grad.I4ss_s[:, :, :K]
        )
        J[K * M : nx, x] = (0.5 * (A_x + A_x.transpose(1, 0, 2))).reshape(K * K, nx)
        J[K * M : nx, nx:] = (0.5 * (A_v + A_v.transpose(1, 0, 2))).reshape(K * K, K)
        if self.train_second_layer:
            assert grad.I2s_C is not None and grad.I2s_s is not None
            J[nx:, x] = self.eta_v * to_state(grad.I2s_C)
            J[nx:, nx:] = -self.eta_v * grad.I2s_s[:, :K]
        J[np.arange(K * M), np.arange(K * M)] -= eta * self.weight_decay
        return J

    # -- flat state vector for solve_ivp: [R (K*M), Q (K*K), v (K)] -------------------------------
    def pack(self, R: np.ndarray, Q: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.concatenate([np.ravel(R), np.ravel(Q), np.ravel(v)])

    def unpack(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        K, M = self.K, self.M
        R = y[..., : K * M].reshape(y.shape[:-1] + (K, M))
        Q = y[..., K * M : K * M + K * K].reshape(y.shape[:-1] + (K, K))
        v = y[..., K * M + K * K :]
        return R, Q, v

    def __call__(self, t: float, y: np.ndarray) -> np.ndarray:
        return self.pack(*self.derivatives(*self.unpack(y)))

    def generalization_error(self, R: ArrayLike, Q: ArrayLike, v: ArrayLike) -> np.ndarray:
        """eps_g without label noise at the given overlaps (batched over leading axes)."""
        return generalization_error(self.activation, R, Q, self.T, v, self.v_star)


def random_overlaps(
    K: int, M: int, *, init_scale: float = 1.0, dimension: int = 1000, seed: int | np.random.Generator | None = None
) -> Overlaps:
    """Overlaps of a random initialisation in ``dimension`` input dimensions.

    Teacher rows w*_m are i.i.d. N(0, 1) and student rows i.i.d. N(0, init_scale^2), drawn from
    ``numpy.random.default_rng(seed)`` exactly as :func:`statlearn.online.simulate.online_sgd`
    draws them for ``init=None``, so the two start from the same overlaps for the same seed and N.
    Both second layers are ones.
    """
    K = count_parameter("K", K, minimum=1)
    M = count_parameter("M", M, minimum=1)
    N = count_parameter("dimension", dimension, minimum=1)
    if (K + M) * N > MAX_RANDOM_NUMBERS:
        raise ValueError(
            f"(K + M) * dimension = {(K + M) * N:.3g} random weights exceed {MAX_RANDOM_NUMBERS:.3g} "
            f"({8 * MAX_RANDOM_NUMBERS / 2**30:.0f} GiB); lower dimension"
        )
    init_scale = real_parameter("init_scale", init_scale, minimum=0.0, maximum=math.sqrt(MAX_OVERLAP))
    if K * K + K * M + M * M > MAX_RANDOM_NUMBERS:
        raise ValueError(f"K = {K}, M = {M}: the overlap matrices need more than {MAX_RANDOM_NUMBERS:.3g} numbers")
    rng = np.random.default_rng(seed)
    W_star = rng.standard_normal((M, N))
    W = init_scale * rng.standard_normal((K, N))
    return Overlaps(W @ W_star.T / N, W @ W.T / N, W_star @ W_star.T / N, np.ones(K), np.ones(M))


def integrate(
    K: int,
    M: int,
    eta: float,
    t: ArrayLike,
    *,
    activation: str | Activation = "scaled-erf",
    train_second_layer: bool = False,
    eta_v: float | None = None,
    sigma: float = 0.0,
    weight_decay: float = 0.0,
    init: Overlaps | tuple | None = None,
    seed: int | np.random.Generator | None = None,
    init_scale: float = 1.0,
    init_dimension: int = 1000,
    method: str = "LSODA",
    rtol: float = 1e-10,
    atol: float = 1e-13,
    max_evaluations: int = MAX_EVALUATIONS,
    analytic_jacobian: bool = True,
) -> Trajectory:
    """Integrate the overlap ODEs of online SGD and return R, Q, v, eps_g at the times ``t``.

    Parameters
    ----------
    K, M
        Numbers of student and teacher hidden units (K = M = 1: the perceptron).
    eta
        First-layer learning rate (> 0); the SGD step is (eta / sqrt N) v_k g'(lambda_k) Delta x.
    t
        Times alpha = steps / N at which to report the state, non-decreasing, >= 0; the ODE starts
        at alpha = 0. Dense output: the solver's steps are independent of these times.
    activation
        ``"scaled-erf"`` (g(x) = erf(x / sqrt 2), Saad & Solla's unit, closed-form averages),
        ``"linear"`` or ``"relu"``, or an :class:`~statlearn.models.activations.Activation` with
        Gaussian averages (e.g. ``ACTIVATIONS["erf"]``, erf(x)). The bare name ``"erf"`` is refused
        (:func:`~statlearn.online.trajectory.check_activation`).
    train_second_layer, eta_v
        Learn the second layer v with step (eta_v / N) g(lambda_k) Delta (``eta_v`` defaults to
        ``eta``); otherwise v stays at its initial value (Saad & Solla's soft committee machine).
    sigma
        Standard deviation of the label noise.
    weight_decay
        lambda_wd >= 0: the first layer shrinks by (1 - eta lambda_wd / N) at every step;
        ``eta * weight_decay`` at most :data:`MAX_DECAY_RATE`.
    init
        Initial overlaps: an :class:`~statlearn.online.trajectory.Overlaps` or a tuple
        ``(R, Q, T[, v[, v_star]])``, validated (finite; [[Q, R], [R^T, T]] positive semi-definite).
        ``None``: the overlaps of a random initialisation (:func:`random_overlaps` with ``seed``,
        ``init_scale``, ``init_dimension``), the same as the simulation's for the same seed and N.
    method, rtol, atol
        Passed to :func:`scipy.integrate.solve_ivp`. LSODA switches to a stiff method in the long
        convergent phase, which keeps horizons of alpha = 1e4 and beyond cheap. Near perfect
        learning eps_g is linear in the overlaps' distance from the teacher, so ``atol`` bounds its
        absolute error: the defaults resolve eps_g = 1e-9 to about 1e-4 relative (rtol = 1e-8 and
        atol = 1e-10 would leave 3% there).
    max_evaluations
        Budget of right-hand-side evaluations (default :data:`MAX_EVALUATIONS`). Far above the
        stability limit of the learning rate the ODE is so stiff that
        the solver would crawl for hours; when the budget is spent the integration stops there.
    analytic_jacobian
        Give the implicit methods (LSODA's stiff phase, Radau, BDF) the closed-form Jacobian
        :meth:`OverlapODE.jacobian` when the activation has derivatives of its averages
        (``has_gradients``: scaled-erf, erf, linear); otherwise, or with ``False``, the solver
        builds it by finite differences (one right-hand side per state variable). Both give the
        same trajectory to the integration tolerance; the analytic one is several times faster
        for large K, M.

    Returns
    -------
    Trajectory
        With ``N = None``; ``iterations`` counts the right-hand-side evaluations. If the weights
        blow up (Q_kk beyond :data:`DIVERGENCE_THRESHOLD` times its initial scale, or non-finite),
        integration stops, ``diverged`` is True, ``converged`` False, the arrays hold only the times
        before the blow-up, and a :class:`DivergenceWarning` is issued. If the evaluation budget is
        spent (or the solver fails), ``converged`` is False, the arrays stop at the last time
        reached, and a :class:`~statlearn.numerics.fixedpoint.ConvergenceWarning` says why.
    """
    K, M, eta, eta_v, sigma, weight_decay = check_setup(
        K, M, eta, eta_v=eta_v, sigma=sigma, weight_decay=weight_decay, train_second_layer=train_second_layer
    )
    check_units(K, M)
    times = check_times(t)
    g = check_activation(activation)
    max_evaluations = count_parameter("max_evaluations", max_evaluations, minimum=1)
    # scipy clamps rtol below 100 eps with a warning; LSODA crashes on denormal tolerances
    rtol = real_parameter("rtol", rtol, minimum=100 * np.finfo(float).eps, maximum=1.0)
    atol = real_parameter("atol", atol, minimum=1e-100)
    if not isinstance(analytic_jacobian, (bool, np.bool_)):
        raise TypeError(f"analytic_jacobian must be True or False, got {type(analytic_jacobian).__name__}")
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(
            f"method must be one of {', '.join(_METHODS)}, got {method!r:.40}"
            if isinstance(method, str)
            else f"method must be a name, got {type(method).__name__}"
        )
    if eta * weight_decay > MAX_DECAY_RATE:
        raise ValueError(
            f"eta * weight_decay = {eta * weight_decay:.3g} exceeds {MAX_DECAY_RATE:g}: the first layer decays on a "
            "time scale the ODE solver cannot resolve next to the learning dynamics (stiffness ratio ~ 1/eps)"
        )
    if init is None:
        init_dimension = count_parameter("init_dimension", init_dimension, minimum=1)
        if (K + M) * init_dimension > MAX_RANDOM_NUMBERS:
            raise ValueError(
                f"(K + M) * init_dimension = {(K + M) * init_dimension:.3g} exceeds {MAX_RANDOM_NUMBERS:.3g}"
            )
        state = random_overlaps(K, M, init_scale=init_scale, dimension=init_dimension, seed=seed)
    elif isinstance(init, Overlaps):
        state = Overlaps.checked(init.R, init.Q, init.T, init.v, init.v_star)
    elif isinstance(init, tuple):
        state = Overlaps.checked(*init)
    else:
        raise TypeError(
            f"init must be None, an Overlaps or a tuple (R, Q, T[, v[, v_star]]), got {type(init).__name__}"
        )
    if (state.K, state.M) != (K, M):
        raise ValueError(f"init has K = {state.K}, M = {state.M} units but K = {K}, M = {M} were asked for")
    ode = OverlapODE(g, K, M, eta, eta_v, sigma, weight_decay, state.T, state.v_star)

    limit = DIVERGENCE_THRESHOLD * max(1.0, float(np.max(np.diag(state.Q))), float(np.max(np.diag(state.T))))
    diag = np.arange(K) * (K + 1) + K * M

    accepted = 0.0  # the time of the last step the solver accepted (events are evaluated there)

    def blow_up(t_now: float, y: np.ndarray) -> float:
        nonlocal accepted
        accepted = t_now
        q = y[diag]
        return limit - float(np.max(q)) if np.all(np.isfinite(q)) else -1.0

    blow_up.terminal = True  # type: ignore[attr-defined]
    evaluations = 0

    def rhs(t_now: float, y: np.ndarray) -> np.ndarray:
        nonlocal evaluations
        if evaluations >= max_evaluations:
            raise _BudgetExhausted
        evaluations += 1
        return ode(t_now, y)

    use_jacobian = analytic_jacobian and g.has_gradients and method in _IMPLICIT_METHODS
    jac_options = {"jac": lambda t_now, y: ode.jacobian(y)} if use_jacobian else {}

    def solve(requested: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, str]:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            sol = solve_ivp(
                rhs,
                (0.0, float(requested[-1])),
                y0,
                method=method,
                t_eval=requested,
                rtol=rtol,
                atol=atol,
                events=blow_up,
                **jac_options,
            )
        return sol.y.T, sol.t, sol.status, sol.t_events[0], str(sol.message)

    y0 = ode.pack(state.R, state.Q, state.v)
    horizon = float(times[-1])
    exhausted = False
    if horizon == 0.0:  # nothing to integrate: every requested time is the initial one
        ys, solver_t, status, t_events = np.tile(y0, (times.size, 1)), times, 0, np.empty(0)
        solver_message = "zero horizon"
    else:
        try:
            ys, solver_t, status, t_events, solver_message = solve(times)
        except _BudgetExhausted:
            # Integrate again, within a second budget of the same size, up to the last requested time
            # before the last step accepted: the values returned are those of a run to that time.
            exhausted, reached, spent = True, accepted, evaluations
            solver_message = f"the budget of {max_evaluations} evaluations was spent at alpha = {reached:.4g}"
            ys, solver_t, status, t_events = np.empty((0, y0.size)), np.empty(0), -1, np.empty(0)
            keep = times[times <= reached]
            if keep.size and keep[-1] > 0.0:
                evaluations = 0
                try:
                    ys, solver_t, status, t_events, _ = solve(keep)
                except _BudgetExhausted:
                    pass
            elif keep.size:
                ys, solver_t = np.tile(y0, (keep.size, 1)), keep
            evaluations += spent
            exhausted = status != 1  # a blow-up found on the way is a divergence
    finite = np.all(np.isfinite(ys), axis=1)
    n_ok = int(np.argmin(finite)) if not np.all(finite) else ys.shape[0]
    diverged = not exhausted and (status == 1 or status == -1 or n_ok < times.size)
    t_div = None
    if diverged:
        if status == 1 and t_events.size:
            t_div = float(t_events[0])
        else:
            t_div = float(solver_t[-1]) if solver_t.size else 0.0
        message = f"diverged: the weights blew up at alpha = {t_div:.4g} ({solver_message})"
        warnings.warn(
            f"the overlap ODE blew up at alpha = {t_div:.4g} (eta = {eta}): the learning rate is above the "
            f"stability limit; the trajectory stops there ({solver_message})",
            DivergenceWarning,
            stacklevel=2,
        )
    elif exhausted:
        message = (
            f"not converged: {solver_message} of {horizon:.4g} (the ODE is too stiff here: learning rate "
            f"eta = {eta:g} far above its stability limit, or weight decay {weight_decay:g}); raise max_evaluations "
            "to go on"
        )
        warnings.warn(f"integrate: {message}", ConvergenceWarning, stacklevel=2)
    else:
        message = f"reached alpha = {horizon:.4g} after {evaluations} evaluations ({solver_message})"
    ys = ys[:n_ok]
    R, Q, v = ode.unpack(ys)
    return Trajectory(
        t=times[:n_ok].copy(),
        R=R.copy(),
        Q=Q.copy(),
        v=np.asarray(v).copy(),
        generalization_error=ode.generalization_error(R, Q, v),
        T=state.T.copy(),
        v_star=state.v_star.copy(),
        activation=g.name,
        eta=eta,
        sigma=sigma,
        N=None,
        seed=None,
        diverged=bool(diverged),
        t_diverged=t_div,
        converged=not diverged and not exhausted,
        iterations=evaluations,
        residual=float("nan"),
        message=message,
        info={
            "eta_v": eta_v,
            "weight_decay": weight_decay,
            "method": method,
            "nfev": evaluations,
            "analytic_jacobian": use_jacobian,
            "message": solver_message,
        },
    )
