r"""Fixed points of the overlap ODEs and their stability: plateaus, asymptotic errors, learning rates.

Three analyses from the papers, all on the right-hand side :class:`~statlearn.online.ode.OverlapODE`:

- :func:`plateau`: the symmetric, unspecialised fixed point of a K = M soft committee machine with
  orthonormal teacher (T = I, v = v* = 1): every R_km = R, Q_kk = Q, Q_kl = C. For eta -> 0 and
  erf units Saad & Solla (PRE 52, 4225, 1995) find R = 1 / sqrt(K (2K - 1)), Q = C = 1 / (2K - 1)
  and eps_g = (K / pi) (pi / 6 - K arcsin(1 / (2K))). Its Jacobian has an unstable direction (the
  specialisation mode); its eigenvalue lambda_esc sets the escape time, ~ ln(1 / delta_0) / lambda_esc
  for an initial asymmetry delta_0.
- :func:`asymptotic_state`: the fixed point reached at the end of learning, near the specialised
  solution (student = teacher). With label noise sigma^2 > 0 and a constant learning rate it is off
  the teacher, with a residual error eps_g > 0 that vanishes as eta -> 0; for the linear perceptron
  eps_g = eta sigma^2 / (2 (2 - eta)).
- :func:`perceptron_learning_rates`: K = M = 1 without noise. Linearised at the perfect solution
  R = Q = T = 1, the dynamics has a norm mode (rescaling a student aligned with the teacher) and a
  second mode; above eta_max the second mode is unstable and perfect learning is lost (Biehl &
  Schwarze, J. Phys. A 28, 643, 1995). eta_opt maximises the asymptotic decay rate of eps_g. Linear
  perceptron: eta_opt = 1, eta_max = 2. Erf perceptron (derived here from the closed-form averages;
  the tests check it against independent quadrature of the defining averages and against the ODE):
  eta_max = pi sqrt(5/3) = 4.0558, eta_opt = 2 pi sqrt(5) / (3 sqrt(3)) = 2.7038.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import root

from statlearn.models.activations import Activation
from statlearn.numerics.fixedpoint import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.validation import as_real_array
from statlearn.online.ode import OverlapODE
from statlearn.online.trajectory import Overlaps, check_activation, check_units, count_parameter, real_parameter

__all__ = ["FixedPoint", "PerceptronRates", "plateau", "asymptotic_state", "perceptron_learning_rates", "jacobian"]


@dataclass(frozen=True)
class FixedPoint:
    """A stationary point of the overlap ODEs.

    Attributes
    ----------
    state : the overlaps (R, Q, T, v, v_star) there.
    generalization_error : eps_g without label noise.
    eigenvalues : of the Jacobian in the (R, upper triangle of Q) coordinates, by decreasing real part
        (read-only).
    converged : the residual is below ``tol`` and the root is a Gram matrix of weight vectors.
    iterations : evaluations of the ODE's right-hand side by the root solve (Powell's hybrid method).
    residual : max |d/dt overlaps| at the returned point.
    message : one line saying why the solve stopped.
    """

    state: Overlaps
    generalization_error: float
    eigenvalues: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str = ""

    def __post_init__(self) -> None:
        freeze_arrays(self)

    @property
    def stable(self) -> bool:
        return bool(np.max(self.eigenvalues.real) < 0)

    @property
    def escape_rate(self) -> float:
        """Largest real part of the eigenvalues: > 0 for an unstable (plateau) fixed point."""
        return float(np.max(self.eigenvalues.real))


def jacobian(ode: OverlapODE, state: Overlaps, h: float = 1e-3) -> np.ndarray:
    """Jacobian of (dR/dt, dQ/dt) in the coordinates (R_km, Q_kl for k <= l).

    Fourth-order central differences, (-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / (12 h): with
    h = 1e-3 truncation and rounding errors are both ~1e-13.

    The second layer is held at ``state.v`` (this is the fixed-second-layer dynamics of Saad & Solla).
    """
    K, M = ode.K, ode.M
    iu = np.triu_indices(K)

    def flat(R: np.ndarray, Q: np.ndarray) -> np.ndarray:
        dR, dQ, _ = ode.derivatives(R, Q, state.v)
        return np.concatenate([dR.ravel(), dQ[iu]])

    x0 = np.concatenate([state.R.ravel(), state.Q[iu]])
    J = np.empty((x0.size, x0.size))
    for j in range(x0.size):
        cols = []
        for step in (2.0 * h, h, -h, -2.0 * h):
            x = x0.copy()
            x[j] += step
            R = x[: K * M].reshape(K, M)
            Q = np.zeros((K, K))
            Q[iu] = x[K * M :]
            Q = Q + np.triu(Q, 1).T
            cols.append(flat(R, Q))
        J[:, j] = (8.0 * (cols[1] - cols[2]) - (cols[0] - cols[3])) / (12.0 * h)
    return J


def plateau(
    K: int, eta: float, *, activation: str | Activation = "scaled-erf", sigma: float = 0.0, tol: float = 1e-10
) -> FixedPoint:
    """The symmetric (unspecialised) plateau of a K = M soft committee machine with T = I, v = v* = 1.

    Unknowns (R, Q, C): R_km = R for all k, m; Q_kk = Q; Q_kl = C (k != l). The fixed point is
    solved by Powell's hybrid method from Saad & Solla's eta -> 0 values, then linearised in the
    full (R, Q) space; ``escape_rate`` is the rate of the specialisation instability.
    """
    K, eta, sigma, tol, g = _check(K, eta, sigma, tol, activation, minimum_units=2)
    ode = OverlapODE(g, K, K, eta, 0.0, sigma, 0.0, np.eye(K), np.ones(K))
    state = Overlaps(np.zeros((K, K)), np.eye(K), np.eye(K), np.ones(K), np.ones(K))

    def build(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r, q, c = x
        return np.full((K, K), r), np.full((K, K), c) + (q - c) * np.eye(K)

    # Continuation in eta from Saad & Solla's eta -> 0 values, which the first step starts from.
    x = np.array([1.0 / np.sqrt(K * (2 * K - 1)), 1.0 / (2 * K - 1), 1.0 / (2 * K - 1)])
    path = np.geomspace(min(eta, 1e-3), eta, 12)
    try:
        for step in path[:-1]:
            step_ode = OverlapODE(ode.activation, K, K, float(step), 0.0, sigma, 0.0, ode.T, ode.v_star)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                x = root(lambda y: _plateau_equations(step_ode, build, y), x, method="hybr", options={"xtol": 1e-14}).x
        return _solve(
            ode, state, lambda y: _plateau_equations(ode, build, y), build, x, f"plateau (K = {K}, eta = {eta})", tol
        )
    except ValueError as err:
        raise ValueError(f"eta = {eta:g}: the continuation of the plateau from eta -> 0 failed ({err})") from None


def _plateau_equations(
    ode: OverlapODE, build: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], x: np.ndarray
) -> np.ndarray:
    # The three distinct equations of the symmetric subspace: dR_00, dQ_00, dQ_01.
    R, Q = build(x)
    dR, dQ, _ = ode.derivatives(R, Q, np.ones(ode.K))
    return np.array([dR[0, 0], dQ[0, 0], dQ[0, 1]])


def asymptotic_state(
    K: int,
    eta: float,
    *,
    sigma: float,
    activation: str | Activation = "scaled-erf",
    T: ArrayLike | None = None,
    tol: float = 1e-10,
) -> FixedPoint:
    """The fixed point at the end of learning of a K = M committee (fixed second layer v = v* = 1).

    Solved by Powell's hybrid method in all of (R, Q) from the perfect solution R = Q = T (default
    T = I). With ``sigma > 0`` it lies off the teacher, with eps_g > 0 of order eta sigma^2.
    """
    K, eta, sigma, tol, g = _check(K, eta, sigma, tol, activation, minimum_units=1)
    T = np.eye(K) if T is None else np.atleast_2d(as_real_array("T", T))
    if T.shape != (K, K):
        raise ValueError(f"T must have shape (K, K) = {(K, K)}, got {T.shape}")
    state = Overlaps.checked(T, T, T)
    ode = OverlapODE(g, K, K, eta, 0.0, sigma, 0.0, state.T, state.v_star)
    iu = np.triu_indices(K)

    def build(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Q = np.zeros((K, K))
        Q[iu] = x[K * K :]
        return x[: K * K].reshape(K, K), Q + np.triu(Q, 1).T

    def residual_vector(x: np.ndarray) -> np.ndarray:
        dR, dQ, _ = ode.derivatives(*build(x), state.v)
        return np.concatenate([dR.ravel(), dQ[iu]])

    guess = np.concatenate([T.ravel(), T[iu]])
    return _solve(ode, state, residual_vector, build, guess, f"asymptotic state (K = {K}, eta = {eta})", tol)


def _check(
    K: int, eta: float, sigma: float, tol: float, activation: str | Activation, *, minimum_units: int
) -> tuple[int, float, float, float, Activation]:
    """The validated (K, eta, sigma, tol, activation) of :func:`plateau` and :func:`asymptotic_state`."""
    K = count_parameter("K", K, minimum=minimum_units)
    check_units(K, K)
    eta = real_parameter("eta", eta, minimum=0.0, strict_minimum=True)
    sigma = real_parameter("sigma", sigma, minimum=0.0)
    tol = real_parameter("tol", tol, minimum=0.0, strict_minimum=True)
    if not np.isfinite(eta * eta * (1.0 + sigma * sigma)):
        raise ValueError(f"eta = {eta:g}, sigma = {sigma:g}: eta^2 (1 + sigma^2) overflows a float")
    return K, eta, sigma, tol, check_activation(activation)


def _solve(
    ode: OverlapODE, state: Overlaps, residual_vector, build, guess: np.ndarray, what: str, tol: float
) -> FixedPoint:
    def safe(x: np.ndarray) -> np.ndarray:
        try:
            return residual_vector(x)
        except ValueError:  # an iterate with a negative variance: not a state of weight vectors
            return np.full(x.shape, np.nan)

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # an iterate off the Gram cone: NaN
        sol = root(safe, guess, method="hybr", options={"xtol": 1e-14})
        resid = float(np.max(np.abs(safe(sol.x))))
    R, Q = build(sol.x)
    gram = np.block([[Q, R], [R.T, ode.T]])
    # The plateau lies on the boundary of the Gram cone (the students are in the teachers' span), so a
    # converged root may sit a rounding error outside it; an unphysical root is far outside.
    physical = bool(np.all(np.isfinite(gram)) and np.linalg.eigvalsh(gram)[0] >= -1e-7 * max(1.0, np.abs(gram).max()))
    converged = bool(resid <= tol and physical)
    reason = None if physical else "the root found is not a Gram matrix of weight vectors"
    message = stop_message(converged, int(sol.nfev), resid, tol, unit="evaluations", reason=reason)
    if not converged:
        warnings.warn(f"{what}: {message} ({sol.message})", ConvergenceWarning, stacklevel=3)
    fp = Overlaps(R, Q, ode.T, state.v, ode.v_star)
    if physical:
        # difference steps a fraction of the smallest teacher norm, so that they stay near the Gram cone
        # (h = 1e-3 for teachers of norm >= 1, as in every figure)
        h = 1e-3 * min(1.0, max(float(np.min(np.diag(ode.T))), 1e-12))
        eig = np.linalg.eigvals(jacobian(ode, fp, h=h))
        eig = eig[np.argsort(-eig.real)]
        error = float(ode.generalization_error(R, Q, state.v))
    else:  # the averages are undefined off the Gram cone; the warning above says so
        eig = np.full(R.size + ode.K * (ode.K + 1) // 2, np.nan + 0j)
        error = math.nan
    return FixedPoint(fp, error, eig, converged, int(sol.nfev), resid, message)


@dataclass(frozen=True)
class PerceptronRates:
    """Asymptotic learning rates of the noiseless K = M = 1 perceptron near R = Q = T = 1.

    The Jacobian there is J(eta) = eta A + eta^2 B with two eigen-modes: the *norm* mode along
    (dR, dQ) = (1, 2), which rescales a student aligned with the teacher (eigenvalue mu_norm, linear
    in eta), and a second mode (mu_2 = tr J - mu_norm, quadratic in eta). The overlaps converge at
    rate min(|mu_norm|, |mu_2|); eps_g, which is quadratic along the norm mode and linear along the
    other, at rate min(2 |mu_norm|, |mu_2|).

    Attributes
    ----------
    eta_max : above it the perfect solution is unstable (mu_2 > 0).
    eta_opt : learning rate of the fastest asymptotic decay of eps_g.
    eta_opt_overlaps : learning rate of the fastest asymptotic convergence of the overlaps.
    norm_slope : mu_norm / eta; second_mode : coefficients (of eta, eta^2) of mu_2.
    """

    eta_max: float
    eta_opt: float
    eta_opt_overlaps: float
    norm_slope: float
    second_mode: tuple[float, float]

    def error_decay_rate(self, eta: float) -> float:
        """Asymptotic rate of eps_g ~ exp(-rate alpha): min(2 |mu_norm|, |mu_2|), 0 if unstable."""
        return max(0.0, min(-2.0 * self.norm_slope * eta, -self._mu2(eta)))

    def overlap_decay_rate(self, eta: float) -> float:
        """Asymptotic rate at which R and Q approach 1: min(|mu_norm|, |mu_2|), 0 if unstable."""
        return max(0.0, min(-self.norm_slope * eta, -self._mu2(eta)))

    def _mu2(self, eta: float) -> float:
        return self.second_mode[0] * eta + self.second_mode[1] * eta**2


def perceptron_learning_rates(activation: str | Activation = "scaled-erf") -> PerceptronRates:
    """Maximal and optimal learning rates of the noiseless K = M = 1 perceptron (see :class:`PerceptronRates`).

    Exact up to the Jacobian's ~1e-13 differencing error: A and B come from J(1) and J(2), the
    norm mode's eigenvalue from A (1, 2)^T = mu (1, 2)^T (checked: a ``ValueError`` if (1, 2) is not
    an eigenvector), and every rate is then a polynomial in eta whose extrema and crossings are
    solved in closed form. Erf units: mu_norm = -2 eta / (3 sqrt(3) pi), mu_2 = -4 eta / (sqrt(3) pi)
    + 4 eta^2 / (sqrt(5) pi^2), so eta_max = pi sqrt(5/3), eta_opt = 2 pi sqrt(5) / (3 sqrt(3)) and
    eta_opt_overlaps = (5/6) pi sqrt(5/3). Linear units: eta_max = 2, eta_opt = eta_opt_overlaps = 1.
    """
    g = check_activation(activation)
    one = np.ones((1, 1))
    perfect = Overlaps(one, one, one, np.ones(1), np.ones(1))

    def jac(eta: float) -> np.ndarray:
        return jacobian(OverlapODE(g, 1, 1, eta, 0.0, 0.0, 0.0, one, np.ones(1)), perfect)

    J1, J2 = jac(1.0), jac(2.0)
    B = (J2 - 2.0 * J1) / 2.0
    A = J1 - B
    norm = np.array([1.0, 2.0])
    slope = float(A[0] @ norm)
    scale = float(np.abs(A).max() + np.abs(B).max())
    if not (np.allclose(A @ norm, slope * norm, atol=1e-9 * scale) and np.allclose(B @ norm, 0.0, atol=1e-9 * scale)):
        raise ValueError(f"(1, 2) is not an eigenvector of the {g.name} perceptron's Jacobian at R = Q = 1")
    c1, c2 = float(np.trace(A)) - slope, float(np.trace(B))  # mu_2 = c1 eta + c2 eta^2
    if slope >= 0 or c1 >= 0:
        raise ValueError(f"the perfect solution of the {g.name} perceptron is not attracting at small eta")
    if c2 <= 0:
        raise ValueError(f"the perfect solution of the {g.name} perceptron is stable at every learning rate")
    eta_max = -c1 / c2

    def best(k: float) -> float:
        # argmax over (0, eta_max) of min(k |slope| eta, |c1| eta - c2 eta^2): the line is the smaller
        # rate up to their crossing, the parabola after it; so the optimum is the crossing if it lies
        # beyond the parabola's vertex, else the vertex.
        vertex = -c1 / (2.0 * c2)
        crossing = (k * slope - c1) / c2
        return float(crossing if crossing >= vertex else vertex)

    return PerceptronRates(float(eta_max), best(2.0), best(1.0), slope, (c1, c2))
