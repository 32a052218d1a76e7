r"""Bolthausen's approximate message passing for the Sherrington-Kirkpatrick model, and its state evolution.

The model: :math:`N` Ising spins with :math:`H(s) = -\sum_{i<j} J_{ij} s_i s_j - h\sum_i s_i`, couplings
:math:`J_{ij} = J_{ji}\sim N(0, 1/N)` and :math:`J_{ii} = 0` (Sherrington & Kirkpatrick, PRL 35, 1792
(1975)), at inverse temperature :math:`\beta`.

**The iteration** (Bolthausen, Commun. Math. Phys. 325, 333 (2014), with his field written
:math:`\beta h` here because :math:`h` is in units of energy):

.. math::
    m^{t+1} = \tanh\!\big(\beta h + \beta J m^t - \beta^2 (1 - q_t)\, m^{t-1}\big),\qquad
    q_t = \tfrac1N \|m^t\|^2 .

The Onsager term multiplies the iterate *before* the one that :math:`J` acts on. Its coefficient is
the general AMP one, :math:`\beta^2\,\frac1N\sum_i f'(x^{t-1}_i)` for :math:`m^t = f(x^{t-1})`,
:math:`f = \tanh`, which is :math:`\beta^2(1 - q_t)` exactly. Bolthausen puts the fixed-point
:math:`q` of the state evolution in place of :math:`q_t`; with his starting point the two differ by
:math:`O(N^{-1/2})`. Two starting points (:data:`INITS`), both with :math:`m^0 = 0`:

- ``"uninformative"``: :math:`m^1 = \tanh(\beta h)\,\mathbf 1`, the iteration run from
  :math:`m^0 = m^{-1} = 0`;
- ``"bolthausen"``: :math:`m^1 = \sqrt{q_*}\,\mathbf 1`, with :math:`q_*` the largest fixed point of
  the state evolution (Bolthausen's start: every iterate then has self-overlap :math:`q_*`).

**State evolution.** For :math:`N\to\infty` the field :math:`J m^t - (\text{Onsager})` is a centred
Gaussian :math:`g^t` with :math:`\mathbb E g^s g^t = C_{s,t} = \lim m^s\cdot m^t/N`. Hence
(Bolthausen 2014)

.. math::
    q_{t+1} = \mathbb E_z \tanh^2\!\big(\beta(h + \sqrt{q_t}\,z)\big),\qquad
    C_{t,t+1} = \mathbb E \tanh\!\big(\beta(h + g^{t-1})\big)\tanh\!\big(\beta(h + g^t)\big),

with :math:`(g^{t-1}, g^t)` of covariance :math:`\begin{pmatrix}q_{t-1} & C_{t-1,t}\\ C_{t-1,t} & q_t
\end{pmatrix}`; the first step from the constant :math:`m^1 = c\,\mathbf 1` gives :math:`q_1 = c^2`,
:math:`C_{1,2} = c\,\mathbb E\tanh(\beta(h+\sqrt{q_1}z))`. The increment
:math:`\|m^{t+1} - m^t\|^2/N \to q_{t+1} + q_t - 2C_{t,t+1}`. At the fixed point :math:`q_*` the map
:math:`C\mapsto\psi(C)` has :math:`\psi(q_*) = q_*` and slope

.. math::
    \lambda = \beta^2\,\mathbb E_z \operatorname{sech}^4\!\big(\beta(h + \sqrt{q_*}\,z)\big),

so the increments vanish (AMP converges) iff :math:`\lambda \le 1`: the de Almeida-Thouless condition
(de Almeida & Thouless, J. Phys. A 11, 983 (1978)). Below the AT line (:math:`\lambda > 1`; at
:math:`h = 0` every :math:`T < 1`) :math:`q_t` still converges but the iterates keep moving.

The one-dimensional expectations use the crossover rule of :func:`statlearn.numerics.gaussian_expectation`
placed at the tanh's step (exact to 1e-15 against mpmath up to :math:`\beta = 10`); :math:`C_{t,t+1}` uses a
tensor Gauss-Hermite rule (:data:`BIVARIATE_ORDER`), accurate for :math:`\beta\lesssim 3` and
increasingly coarse as the tanh steepens beyond.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.fixedpoint import ConvergenceWarning, fixed_point
from statlearn.numerics.gaussian import bivariate_gaussian_expectation, crossover_width, gaussian_expectation
from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar, brief

__all__ = [
    "INITS",
    "SKAMPResult",
    "SKStateEvolution",
    "at_stability",
    "check_beta_and_field",
    "check_couplings",
    "rs_overlap",
    "sk_amp",
    "sk_couplings",
    "sk_state_evolution",
]

INITS = ("uninformative", "bolthausen")
"""Starting points of :func:`sk_amp` and :func:`sk_state_evolution` (see the module docstring)."""

MAX_ITER = 10**5
"""Largest ``n_iter`` (bounded up front)."""

BIVARIATE_ORDER = 120
"""Gauss-Hermite nodes per axis for :math:`C_{t,t+1}` (within 1e-8 of scipy's adaptive 2-d rule at beta = 2, h = 0.3)."""

_SYMMETRY_BLOCK = 128

MAX_SIZE = 40_000
"""Largest ``N`` of :func:`sk_couplings` (a dense ``N x N`` matrix: 12.8 GB at this size)."""


def sk_couplings(N: int, seed: object) -> np.ndarray:
    r"""A Sherrington-Kirkpatrick instance: symmetric :math:`J` with :math:`J_{ij}\sim N(0, 1/N)` for
    :math:`i < j` and a zero diagonal.

    Row :math:`i` of the upper triangle takes the next :math:`N - i - 1` standard normals of
    ``numpy.random.default_rng(seed)`` (or of the ``Generator`` passed), so an instance is
    reproducible bit for bit from its seed.
    """
    N = as_count("N", N, minimum=2, maximum=MAX_SIZE)
    rng = as_generator(seed)
    J = np.zeros((N, N))
    scale = 1.0 / math.sqrt(N)
    for i in range(N - 1):
        row = rng.standard_normal(N - i - 1) * scale
        J[i, i + 1 :] = row
        J[i + 1 :, i] = row
    return J


def check_couplings(J: ArrayLike) -> np.ndarray:
    """``J`` as a float array, or a one-line ``ValueError``/``TypeError`` naming ``J``: square, at least
    2 x 2, finite, symmetric (to 1e-12 of its largest entry) and with a zero diagonal."""
    array = as_real_array("J", J)
    if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] < 2:
        raise ValueError(f"J must be a square matrix of size at least 2 x 2, got shape {array.shape}")
    scale = float(np.max(np.abs(array)))
    N = array.shape[0]
    for start in range(0, N, _SYMMETRY_BLOCK):  # by blocks of rows: the transpose stays in cache
        rows = array[start : start + _SYMMETRY_BLOCK]
        columns = array[:, start : start + _SYMMETRY_BLOCK].T
        if np.max(np.abs(rows - columns)) > 1e-12 * scale:
            raise ValueError("J must be symmetric (J[i, j] == J[j, i])")
    if np.any(np.diagonal(array) != 0.0):
        raise ValueError("J must have a zero diagonal (the SK Hamiltonian sums over pairs i < j)")
    return array


def check_beta_and_field(beta: object, h: object) -> tuple[float, float]:
    """``beta`` in (0, 1e3] and ``h`` in [-1e3, 1e3] as floats, or a one-line error naming the argument."""
    beta = as_real_scalar("beta", beta, minimum=0.0, strict_minimum=True, maximum=1e3)
    h = as_real_scalar("h", h, minimum=-1e3, maximum=1e3)
    return beta, h


def _check_init(init: object) -> str:
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {brief(init)}")
    return init


def _tanh_square(z: np.ndarray, beta: float, h: float, q: float) -> np.ndarray:
    return np.tanh(beta * (h + np.sqrt(q) * z)) ** 2


def _tanh(z: np.ndarray, beta: float, h: float, q: float) -> np.ndarray:
    return np.tanh(beta * (h + np.sqrt(q) * z))


def _sech4(z: np.ndarray, beta: float, h: float, q: float) -> np.ndarray:
    decay = np.exp(-2.0 * np.abs(beta * (h + np.sqrt(q) * z)))  # sech x = 2 e^{-|x|} / (1 + e^{-2|x|})
    return 16.0 * decay**2 / (1.0 + decay) ** 4


def _expectation(f: Callable[..., np.ndarray], beta: float, h: float, q: float) -> float:
    """:math:`\\mathbb E_z f(z)` for an integrand of :math:`\\beta(h + \\sqrt q z)`, with the crossover rule of
    :func:`~statlearn.numerics.gaussian_expectation` at :math:`z = -h/\\sqrt q`, width :math:`1/(\\beta\\sqrt q)`:
    exact to 1e-15 against 30-digit mpmath up to beta = 10, where a 121-node Gauss-Hermite rule is
    off by 1e-2."""
    if q <= 0.0:
        return float(f(np.zeros(1), beta, h, 0.0)[0])
    root = math.sqrt(q)
    width = crossover_width(beta * root)
    return float(gaussian_expectation(f, beta, h, q, kink=max(min(-h / root, 1e6), -1e6), width=width))


def _self_overlap(beta: float, h: float, q: float) -> float:
    return _expectation(_tanh_square, beta, h, q)


def rs_overlap(beta: float, h: float = 0.0, *, tol: float = 1e-13) -> float:
    r"""The largest fixed point :math:`q_*` of :math:`q = \mathbb E_z\tanh^2(\beta(h + \sqrt q z))`
    (the replica-symmetric overlap of SK), by Anderson-accelerated iteration from :math:`q = 1`
    (the map is increasing, so the iteration decreases monotonically to the largest fixed point)."""
    beta, h = check_beta_and_field(beta, h)
    result = fixed_point(
        lambda q: np.array([_self_overlap(beta, h, float(q[0]))]),
        [1.0],
        anderson=3,
        tol=tol,
        max_iter=20_000,
        project=lambda q: np.clip(q, 0.0, 1.0),
    )
    return float(result.x[0])


def at_stability(beta: float, h: float = 0.0) -> float:
    r"""The AT parameter :math:`\lambda = \beta^2\mathbb E_z\operatorname{sech}^4(\beta(h + \sqrt{q_*} z))`
    at the replica-symmetric :math:`q_*`: AMP converges iff :math:`\lambda\le 1`."""
    beta, h = check_beta_and_field(beta, h)
    q = rs_overlap(beta, h)
    return beta**2 * _expectation(_sech4, beta, h, q)


@dataclass(frozen=True)
class SKStateEvolution:
    """Outcome of :func:`sk_state_evolution`.

    Attributes
    ----------
    q
        :math:`q_t`, ``t = 0 ... n_iter`` (``q[0] = 0``: :math:`m^0 = 0`).
    correlation
        :math:`C_{t,t+1}`, ``t = 0 ... n_iter - 1``.
    increment
        :math:`q_{t+1} + q_t - 2C_{t,t+1}`, the limit of :math:`\\|m^{t+1}-m^t\\|^2/N`.
    q_star, stability
        The fixed point :math:`q_*` and the AT parameter :math:`\\lambda` there.
    converged
        Whether the last increment is at most ``tol`` (it tends to 0 iff :math:`\\lambda\\le 1`).
    iterations
        ``n_iter``, the steps of the recursion.
    residual
        The last increment.
    message
        Why it stopped.

    Arrays are read-only.
    """

    q: np.ndarray
    correlation: np.ndarray
    increment: np.ndarray
    q_star: float
    stability: float
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _product(u: np.ndarray, v: np.ndarray, beta: float, h: float) -> np.ndarray:
    return np.tanh(beta * (h + u)) * np.tanh(beta * (h + v))


def sk_state_evolution(
    beta: float, h: float = 0.0, *, n_iter: int = 50, init: str = "uninformative", tol: float = 1e-10
) -> SKStateEvolution:
    r"""The state evolution of :func:`sk_amp` (module docstring): :math:`q_t`, :math:`C_{t,t+1}` and the
    increments for ``n_iter`` steps from the starting point ``init``. Warns with
    :class:`~statlearn.numerics.ConvergenceWarning` when the last increment exceeds ``tol``
    (below the AT line, where it does not decay)."""
    beta, h = check_beta_and_field(beta, h)
    n_iter = as_count("n_iter", n_iter, minimum=2, maximum=MAX_ITER)
    init = _check_init(init)
    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True)
    q_star = rs_overlap(beta, h)
    stability = beta**2 * _expectation(_sech4, beta, h, q_star)
    start = math.tanh(beta * h) if init == "uninformative" else math.sqrt(q_star)
    q = np.zeros(n_iter + 1)
    corr = np.zeros(n_iter)
    q[1] = start**2
    q[2] = _self_overlap(beta, h, q[1])
    corr[1] = start * _expectation(_tanh, beta, h, q[1])
    for t in range(2, n_iter):
        q[t + 1] = _self_overlap(beta, h, q[t])
        cov = min(corr[t - 1], math.sqrt(q[t - 1] * q[t]))
        corr[t] = float(bivariate_gaussian_expectation(_product, q[t - 1], cov, q[t], beta, h, order=BIVARIATE_ORDER))
    increment = np.maximum(q[1:] + q[:-1] - 2.0 * corr, 0.0)
    residual = float(increment[-1])
    converged = residual <= tol
    if not converged:
        warnings.warn(
            f"sk_state_evolution: increment {residual:.3g} > tol {tol:.3g} after {n_iter} steps "
            f"(AT parameter {stability:.4g}{' > 1: below the AT line' if stability > 1 else ''})",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SKStateEvolution(
        q=q,
        correlation=corr,
        increment=increment,
        q_star=q_star,
        stability=stability,
        converged=converged,
        iterations=n_iter,
        residual=residual,
        message=stop_message(converged, n_iter, residual, tol, unit="steps"),
    )


@dataclass(frozen=True)
class SKAMPResult:
    """Outcome of :func:`sk_amp`.

    Attributes
    ----------
    m
        The last iterate :math:`m^T`, ``T = iterations``.
    q
        :math:`q_t = \\|m^t\\|^2/N`, ``t = 0 ... T``.
    correlation
        :math:`m^t\\cdot m^{t+1}/N`, ``t = 0 ... T - 1``.
    increment
        :math:`\\|m^{t+1} - m^t\\|^2/N`, ``t = 0 ... T - 1``.
    converged
        Whether the last increment is at most ``tol``.
    iterations
        AMP steps done (one product with ``J`` each).
    residual
        The last increment.
    message
        Why it stopped.

    Arrays are read-only.
    """

    m: np.ndarray
    q: np.ndarray
    correlation: np.ndarray
    increment: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def sk_amp(
    J: ArrayLike,
    beta: float,
    h: float = 0.0,
    *,
    n_iter: int = 100,
    init: str = "uninformative",
    tol: float = 1e-10,
) -> SKAMPResult:
    r"""Bolthausen's AMP iteration on the SK instance ``J`` (module docstring), for ``n_iter`` steps.

    Parameters
    ----------
    J
        Symmetric couplings with a zero diagonal (:func:`sk_couplings`), checked by
        :func:`check_couplings`.
    beta, h
        Inverse temperature (> 0) and uniform field.
    n_iter
        Number of AMP steps; all of them are done (the trajectory is the point), and the result has
        converged if the last increment :math:`\|m^{t+1}-m^t\|^2/N` is at most ``tol``.
    init
        ``"uninformative"`` or ``"bolthausen"`` (:data:`INITS`).
    tol
        Largest last increment of a converged run.

    Warns
    -----
    ConvergenceWarning
        When not converged (below the AT line AMP does not converge at any ``n_iter``).
    """
    J = check_couplings(J)
    beta, h = check_beta_and_field(beta, h)
    n_iter = as_count("n_iter", n_iter, minimum=2, maximum=MAX_ITER)
    init = _check_init(init)
    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True)
    N = J.shape[0]
    start = math.tanh(beta * h) if init == "uninformative" else math.sqrt(rs_overlap(beta, h))
    previous = np.zeros(N)
    current = np.full(N, start)
    q = [0.0, float(current @ current) / N]
    corr = [0.0]
    increment = [q[1]]
    for _ in range(1, n_iter):
        onsager = beta**2 * (1.0 - q[-1])
        new = np.tanh(beta * (h + J @ current) - onsager * previous)
        q.append(float(new @ new) / N)
        corr.append(float(new @ current) / N)
        increment.append(float(np.sum((new - current) ** 2)) / N)
        previous, current = current, new
    residual = increment[-1]
    converged = residual <= tol
    if not converged:
        warnings.warn(
            f"sk_amp: increment |m^(t+1) - m^t|^2/N = {residual:.3g} > tol {tol:.3g} after {n_iter} steps",
            ConvergenceWarning,
            stacklevel=2,
        )
    return SKAMPResult(
        m=current,
        q=np.array(q),
        correlation=np.array(corr),
        increment=np.array(increment),
        converged=converged,
        iterations=n_iter,
        residual=residual,
        message=stop_message(converged, n_iter, residual, tol, unit="steps"),
    )
