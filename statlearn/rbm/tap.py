r"""The Thouless-Anderson-Palmer (Plefka) free energy of a binary RBM, its fixed point, and its gradient.

Plefka's expansion (J. Phys. A 15, 1971 (1982)) of the Gibbs free energy at fixed magnetisations in powers of the
couplings, carried to third order by Georges & Yedidia (J. Phys. A 24, 2173 (1991)), and used to train RBMs by
Gabrie, Tramel & Krzakala ("Training restricted Boltzmann machines via the Thouless-Anderson-Palmer free
energy", NeurIPS 2015: "EMF" training). It is derived here for +-1 units. With magnetisations
:math:`m_i = \langle v_i\rangle`, :math:`\mu_j = \langle h_j\rangle`, couplings :math:`J = W` and fields
:math:`a = b_v`, :math:`c = b_h`,

.. math:: \Phi_n(m, \mu) = \sum_i S(m_i) + \sum_j S(\mu_j) + a^\top m + c^\top \mu + m^\top J \mu
    + \tfrac12 \sum_{ij} J_{ij}^2 (1 - m_i^2)(1 - \mu_j^2)
    + \tfrac23 \sum_{ij} J_{ij}^3\, m_i (1 - m_i^2)\, \mu_j (1 - \mu_j^2),

:math:`S(m) = -\frac{1+m}2 \ln\frac{1+m}2 - \frac{1-m}2 \ln\frac{1-m}2`, truncated after the first (naive
mean field, n = 1), second (TAP2) or third (TAP3) power of J. On a bipartite graph the other third-order term
of Georges & Yedidia (loops of three couplings) vanishes. :math:`\ln Z \ge \Phi_\infty(m,\mu)` for every
(m, mu), with equality at the maximum: the TAP estimate is :math:`\ln Z \approx \Phi_n(m^*, \mu^*)` at the
stationary point, which solves

.. math:: m_i = \tanh\Big(a_i + (J\mu)_i - m_i \sum_j J_{ij}^2 (1 - \mu_j^2)
    + \tfrac23 (1 - 3 m_i^2) \sum_j J_{ij}^3 \mu_j (1 - \mu_j^2)\Big)

and the same with the layers exchanged. The iteration that converges on a bipartite machine alternates the layers
(visible from the current hidden, then hidden from the new visible: a parallel update of both oscillates between
the two sublattices), damped, :math:`x \leftarrow x + \gamma (F(x) - x)` with :math:`\gamma = 1/2` as in the
paper's code. At the fixed point the derivative of :math:`\Phi_n` with respect to a parameter is its explicit
derivative (the magnetisations are stationary):

.. math:: \partial_{J_{ij}} \Phi_n = m_i \mu_j + J_{ij}(1 - m_i^2)(1 - \mu_j^2)
    + 2 J_{ij}^2\, m_i(1 - m_i^2)\, \mu_j (1 - \mu_j^2), \qquad \partial_{a} \Phi_n = m, \qquad \partial_c \Phi_n = \mu,

the model term of the EMF log-likelihood gradient. A 0/1 machine is converted to +-1 units by
:meth:`RBM.to_spins` (:math:`J = W/4`): a one-body term in the coupling only shifts the Lagrange fields of the
expansion, so the 0/1 expansion of the paper (its :math:`W^2\nu\mu` and :math:`W^3` terms, with
:math:`\nu = m(1 - m)`) is exactly this one under :math:`s = 2v - 1`, plus the constant shift of :math:`\ln Z`;
the gradients follow by the chain rule of the (linear) conversion, e.g. :math:`\partial_{W_{ij}} = (\partial_{J_{ij}}
+ m_i + \mu_j + 1) / 4`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import entr

from statlearn.numerics.fixedpoint import ConvergenceWarning, fixed_point
from statlearn.numerics.result import freeze_arrays, stop_message
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar, brief
from statlearn.rbm.ais import LogPartition
from statlearn.rbm.units import check_machine, spin_parameters

__all__ = [
    "DAMPING",
    "TAP_METHODS",
    "TAPResult",
    "check_order",
    "machine_gradient",
    "tap_free_energy",
    "tap_gradient",
    "tap_log_partition",
    "tap_magnetisations",
    "tap_sweep",
]

TAP_METHODS = {"tap2": 2, "tap3": 3}
"""The method names of :meth:`RBM.log_partition` and :meth:`RBM.fit` and their orders in the couplings."""
DAMPING = 0.5
"""The damping of the fixed-point iteration (Gabrie et al.'s code)."""


def check_order(order: object) -> int:
    """``order`` as 1, 2 or 3 (naive mean field, TAP2, TAP3), or an error naming it."""
    value = as_count("order", order, minimum=1)
    if value > 3:
        raise ValueError(f"order must be 1, 2 or 3 (mean field, TAP2, TAP3), got {value}")
    return value


@dataclass(frozen=True)
class TAPResult:
    """A stationary point of the TAP free energy and the estimate :math:`\\ln Z \\approx \\Phi_n` there.

    ``m_visible``, ``m_hidden``: the unit means in the machine's convention (:math:`\\langle v \\rangle` in [-1, 1]
    or [0, 1]) at the fixed point with the largest :math:`\\Phi_n` among the starts; ``log_z``: that
    :math:`\\Phi_n` (with the 0/1 shift); ``log_z_starts``: :math:`\\Phi_n` at every start's end point;
    ``iterations``: evaluations of the alternating sweep; ``residual``: the largest change of a magnetisation in
    the last sweep.
    """

    m_visible: np.ndarray
    m_hidden: np.ndarray
    log_z: float
    log_z_starts: np.ndarray
    order: int
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _entropy(m: np.ndarray) -> np.ndarray:
    """Entropy of a +-1 unit of mean m, summed over the last axis."""
    return (entr(0.5 * (1.0 + m)) + entr(0.5 * (1.0 - m))).sum(axis=-1)


def _field(J: np.ndarray, a: np.ndarray, m: np.ndarray, mu: np.ndarray, order: int) -> np.ndarray:
    """The TAP field on the units of magnetisation ``m`` coupled by ``J`` (n_m, n_mu) to ``mu``."""
    f = a + mu @ J.T
    if order >= 2:
        f -= m * ((1.0 - mu * mu) @ (J * J).T)
    if order >= 3:
        f += (2.0 / 3.0) * (1.0 - 3.0 * m * m) * ((mu * (1.0 - mu * mu)) @ (J * J * J).T)
    return f


def tap_sweep(J: np.ndarray, a: np.ndarray, c: np.ndarray, x: np.ndarray, order: int) -> np.ndarray:
    """One alternating sweep of the +-1 TAP equations on ``x = [m, mu]`` (last axis): m from mu, then mu from
    the new m (undamped; the caller damps)."""
    n_v = J.shape[0]
    m, mu = x[..., :n_v], x[..., n_v:]
    m_new = np.tanh(_field(J, a, m, mu, order))
    mu_new = np.tanh(_field(J.T, c, mu, m_new, order))
    return np.concatenate([m_new, mu_new], axis=-1)


def _phi(J: np.ndarray, a: np.ndarray, c: np.ndarray, m: np.ndarray, mu: np.ndarray, order: int) -> np.ndarray:
    """:math:`\\Phi_n(m, \\mu)` of the module docstring (+-1 units) for every row of m, mu."""
    value = _entropy(m) + _entropy(mu) + m @ a + mu @ c + np.einsum("...i,ij,...j->...", m, J, mu)
    if order >= 2:
        value += 0.5 * np.einsum("...i,ij,...j->...", 1.0 - m * m, J * J, 1.0 - mu * mu)
    if order >= 3:
        value += (2.0 / 3.0) * np.einsum("...i,ij,...j->...", m * (1.0 - m * m), J * J * J, mu * (1.0 - mu * mu))
    return value


def _to_spin(rbm: Any, mean: np.ndarray) -> np.ndarray:
    """Unit means in the machine's convention as +-1 magnetisations."""
    return mean if rbm.spins == "pm1" else 2.0 * mean - 1.0


def _from_spin(rbm: Any, m: np.ndarray) -> np.ndarray:
    return m if rbm.spins == "pm1" else 0.5 * (m + 1.0)


def _check_means(rbm: Any, name: str, value: ArrayLike, n: int) -> np.ndarray:
    """Unit means (rows, n) in the machine's range [low, 1], as +-1 magnetisations."""
    arr = as_real_array(name, value, minimum=rbm.low, maximum=1.0)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n or arr.shape[0] < 1:
        raise ValueError(f"{name} must have shape (n_starts, {n}), got {np.shape(value)}")
    return _to_spin(rbm, arr)


def _check_point(rbm: Any, m_visible: ArrayLike, m_hidden: ArrayLike, order: object) -> tuple[Any, Any, int]:
    """The checked arguments of :func:`tap_free_energy` and :func:`tap_gradient`: +-1 magnetisations, order."""
    check_machine(rbm)
    order = check_order(order)
    m = _check_means(rbm, "m_visible", m_visible, rbm.n_visible)
    mu = _check_means(rbm, "m_hidden", m_hidden, rbm.n_hidden)
    if m.shape[0] != mu.shape[0]:
        raise ValueError(f"m_visible and m_hidden must have the same rows, got {m.shape[0]} and {mu.shape[0]}")
    return m, mu, order


def tap_free_energy(rbm: Any, m_visible: ArrayLike, m_hidden: ArrayLike, order: int = 2) -> np.ndarray:
    """:math:`\\Phi_n` (minus the TAP free energy, module docstring) at given unit means, for every row.

    ``m_visible`` (rows, n_visible) and ``m_hidden`` (rows, n_hidden) are means in the machine's convention; a
    0/1 machine includes the shift of :meth:`RBM.to_spins`. At a stationary point, :math:`\\ln Z \\approx \\Phi_n`.
    """
    m, mu, order = _check_point(rbm, m_visible, m_hidden, order)
    J, a, c, shift = spin_parameters(rbm)
    return _phi(J, a, c, m, mu, order) + shift


def _spin_gradient(J: np.ndarray, m: np.ndarray, mu: np.ndarray, order: int) -> tuple[np.ndarray, ...]:
    """Explicit derivatives of :math:`\\Phi_n` with respect to (J, a, c), averaged over the rows of m, mu."""
    rows = m.shape[0]
    g_J = m.T @ mu / rows
    if order >= 2:
        g_J += J * ((1.0 - m * m).T @ (1.0 - mu * mu) / rows)
    if order >= 3:
        g_J += 2.0 * J * J * ((m * (1.0 - m * m)).T @ (mu * (1.0 - mu * mu)) / rows)
    return g_J, m.mean(axis=0), mu.mean(axis=0)


def tap_gradient(rbm: Any, m_visible: ArrayLike, m_hidden: ArrayLike, order: int = 2) -> tuple[np.ndarray, ...]:
    """The explicit derivatives of :math:`\\Phi_n` with respect to ``(W, b_visible, b_hidden)`` at given unit
    means (averaged over the rows): at a fixed point, the gradient of the TAP :math:`\\ln Z`, the model term of
    the EMF log-likelihood gradient (module docstring)."""
    m, mu, order = _check_point(rbm, m_visible, m_hidden, order)
    return machine_gradient(rbm, m, mu, order)


def machine_gradient(rbm: Any, m: np.ndarray, mu: np.ndarray, order: int) -> tuple[np.ndarray, ...]:
    """:func:`tap_gradient` from +-1 magnetisations (no input checks), in the machine's convention."""
    J, _, _, _ = spin_parameters(rbm)
    g_J, g_a, g_c = _spin_gradient(J, m, mu, order)
    if rbm.spins == "pm1":
        return g_J, g_a, g_c
    # ln Z_01 = ln Z_pm1(W/4, b_v/2 + W1/4, b_h/2 + W^T 1/4) - sum J + sum a + sum c
    return (g_J + g_a[:, None] + g_c[None, :] + 1.0) / 4.0, (g_a + 1.0) / 2.0, (g_c + 1.0) / 2.0


def tap_magnetisations(
    rbm: Any,
    order: int = 2,
    *,
    start: ArrayLike | None = None,
    n_starts: int = 4,
    seed: Any = 0,
    damping: float = DAMPING,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> TAPResult:
    """The stationary point of :math:`\\Phi_n` by damped alternating iteration (module docstring).

    Parameters
    ----------
    order
        1 (naive mean field), 2 (TAP2) or 3 (TAP3).
    start
        Visible unit means (rows, n_visible) in the machine's range to start from (e.g. data rows); the hidden
        starts are their conditional means. Default: the independent-unit means
        (couplings off) and ``n_starts - 1`` uniformly random visible means drawn with ``seed``.
    damping
        The fraction :math:`\\gamma \\in (0, 1]` of the new sweep taken at each step.
    tol, max_iter
        Stop when no magnetisation moves by more than ``tol`` in a sweep, or after ``max_iter`` sweeps.

    Returns
    -------
    TAPResult
        The fixed point of largest :math:`\\Phi_n` among the starts (all iterated together); warns with
        :class:`~statlearn.numerics.ConvergenceWarning` when they have not converged.
    """
    check_machine(rbm)
    order = check_order(order)
    damping = as_real_scalar("damping", damping, minimum=0.0, strict_minimum=True, maximum=1.0)
    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True, maximum=1.0)
    max_iter = as_count("max_iter", max_iter, minimum=1, maximum=10**7)
    J, a, c, shift = spin_parameters(rbm)
    if start is None:
        n = as_count("n_starts", n_starts, minimum=1, maximum=10**4)
        rng = as_generator(seed)
        m0 = np.vstack([np.tanh(a)[None, :], rng.uniform(-1.0, 1.0, (n - 1, rbm.n_visible))])
    else:
        m0 = _check_means(rbm, "start", start, rbm.n_visible)
    x0 = np.concatenate([m0, np.tanh(m0 @ J + c)], axis=1)
    with np.errstate(over="ignore", under="ignore"):
        solved = fixed_point(
            lambda x: tap_sweep(J, a, c, x, order), x0, mixing=damping, tol=tol, max_iter=max_iter, warn=False
        )
        m, mu = solved.x[:, : rbm.n_visible], solved.x[:, rbm.n_visible :]
        phi = _phi(J, a, c, m, mu, order) + shift
    best = int(np.argmax(phi))
    message = stop_message(solved.converged, solved.iterations, solved.residual, tol, unit="sweeps")
    if not solved.converged:
        message += f": the TAP{order} iteration (damping {damping:g}) has not settled; the couplings may be too strong for the expansion"
        warnings.warn(message, ConvergenceWarning, stacklevel=2)
    return TAPResult(
        m_visible=_from_spin(rbm, m[best]),
        m_hidden=_from_spin(rbm, mu[best]),
        log_z=float(phi[best]),
        log_z_starts=phi,
        order=order,
        converged=bool(solved.converged),
        iterations=int(solved.iterations),
        residual=float(solved.residual),
        message=message,
    )


def tap_log_partition(rbm: Any, method: str, **options: Any) -> LogPartition:
    """:math:`\\ln Z \\approx \\Phi_n(m^*, \\mu^*)` for ``method`` ``"tap2"`` or ``"tap3"`` (``options`` go to
    :func:`tap_magnetisations`), as a :class:`~statlearn.rbm.ais.LogPartition`: ``stderr`` 0 (no statistical
    error; the truncation error is not estimated), ``n_chains`` the number of starts, ``n_betas`` (its
    ``iterations``) the sweeps, ``converged`` that of the fixed point."""
    if not isinstance(method, str) or method not in TAP_METHODS:
        raise ValueError(f"method must be one of {', '.join(TAP_METHODS)}, got {brief(method)}")
    result = tap_magnetisations(rbm, TAP_METHODS[method], **options)
    return LogPartition(
        log_z=result.log_z,
        stderr=0.0,
        method=method,
        n_chains=len(result.log_z_starts),
        n_betas=result.iterations,
        converged=result.converged,
        message=f"{method.upper()} free energy at its fixed point, best of {len(result.log_z_starts)} starts; {result.message}",
    )
