r"""The DMFT of square-loss gradient descent in closed form: no population, no sampling error.

For :math:`\ell = (y-h)^2/2` and :math:`b = 1` the effective process of :mod:`statlearn.dmft.solver` is
linear and Gaussian: :math:`\ell'' = 1`, so the response :math:`\Gamma = (I + \eta\Delta R_w)^{-1}` and the
memory kernel :math:`K = \alpha\Gamma` are deterministic, and every :math:`\phi^k` is a fixed linear
combination

.. math::
    \phi^k = a_k\phi^0 + b_k u + e_k c + \sum_{j<k} F_{kj}\Xi^j

of the independent variables of one sample: the initial field :math:`\phi^0\sim N(0, q_0 - m_0^2)`, the
noise :math:`u` of :math:`h_0 = c + \sqrt\Delta u`, the label :math:`c = \pm1`, and the noises
:math:`\Xi^j` (written :math:`\sum_j F_{kj}\Xi^j` in the code's ``P``), whose covariance :math:`M_C` enters
through :math:`F M_C F^\top` without a square root. Propagating the coefficients gives
:math:`M_C(k, l) = \alpha\,\mathbb E g^kg^l`, the drift :math:`\mu_k = \alpha\mathbb E h_0 g^k`, the training
loss :math:`\tfrac12\mathbb E(g^k)^2` and the training error exactly (:math:`yh^k` is Gaussian given
:math:`c`): the :math:`N\to\infty` limit of :func:`statlearn.dmft.solve` for this loss, in
:math:`O(T^3)` operations. It checks the population scheme, and, against the finite-d closed form of
gradient descent :math:`w_k = w_* + (I - \eta A)^k(w_0 - w_*)`, the theory itself.
"""

from __future__ import annotations

import math

import numpy as np

from statlearn.dmft.kernels import deterministic_step
from statlearn.dmft.solver import DMFTTrajectory, build_trajectory, check_problem
from statlearn.numerics.special import H

__all__ = ["square_gd"]


def square_gd(
    *,
    alpha: float,
    delta: float,
    lam: float,
    eta: float,
    steps: int,
    rho: float = 0.5,
    m0: float = 0.0,
    q0: float = 1.0,
) -> DMFTTrajectory:
    """The DMFT trajectory of square-loss gradient descent (module docstring), with zero errors.

    Parameters as for :func:`statlearn.dmft.solve` with ``loss="square"`` and ``batch_fraction=1``.
    """
    p = check_problem("square", alpha, delta, lam, eta, steps, 1.0, None, rho, m0, q0, 0.0)
    T, sd = p.steps, math.sqrt(p.delta)
    q_perp0 = p.q0 - p.m0**2
    a, b, e = np.zeros(T + 1), np.zeros(T + 1), np.zeros(T + 1)
    a[0] = 1.0
    P = np.zeros((T + 1, T))  # phi's coefficients on the noises Xi^j (covariance M_C)
    m, q = np.zeros(T + 1), np.zeros(T + 1)
    m[0], q[0] = p.m0, p.q0
    kernel, covariance = np.zeros((T, T)), np.zeros((T, T))
    gamma = np.zeros((T, T))
    rw, r0 = np.zeros((T + 1, T)), np.zeros(T + 1)
    r0[0] = 1.0
    loss, errors = np.zeros(T + 1), np.zeros(T + 1)
    # g^k - (noise part) = G[k] . (phi0 sqrt(q_perp0), u, c): coefficients on unit-variance variables; the noise
    # part sqrt(Delta) P[k] . Xi has covariance Delta P M_C P^T (no square root of M_C: it is nearly singular
    # once the dynamics has converged, and a Cholesky factor would amplify rounding)
    G = np.zeros((T + 1, 3))
    for k in range(T + 1):
        G[k] = sd * a[k] * math.sqrt(q_perp0), sd * (m[k] + b[k]), m[k] - 1.0 + sd * e[k]
        noise = p.delta * P[: k + 1, :k] @ (covariance[:k, :k] @ P[k, :k])  # Delta E[(P_l . Xi)(P_k . Xi)], l <= k
        loss[k] = 0.5 * (G[k] @ G[k] + noise[k])
        spread = math.sqrt(max(G[k, 0] ** 2 + G[k, 1] ** 2 + noise[k], 1e-300))
        errors[k] = float(H((m[k] + sd * e[k]) / spread))  # y h = m + sqrt(D) e + c (Gaussian)
        if k == T:
            break
        covariance[k, : k + 1] = p.alpha * (G[: k + 1] @ G[k] + noise)
        covariance[: k + 1, k] = covariance[k, : k + 1]
        # Gamma_kj = delta_kj - eta Delta sum_{j <= i < k} R_w(k, i) Gamma_ij
        gamma[k, :k] = -p.eta * p.delta * rw[k, :k] @ gamma[:k, :k]
        gamma[k, k] = 1.0
        kernel[k, : k + 1] = p.alpha * gamma[k, : k + 1]
        drift = p.alpha * (G[k, 2] + sd * G[k, 1])  # alpha E[(c + sqrt(D) u) g]
        memory = kernel[k, : k + 1]

        def advanced(x: np.ndarray, source: np.ndarray | float) -> np.ndarray | float:
            """x^{k+1} = x^k - eta [lam x^k + Delta sum_j K_kj x^j + sqrt(Delta) source]."""
            return x[k] - p.eta * (p.lam * x[k] + p.delta * (memory @ x[: k + 1]) + sd * source)

        a_next = advanced(a, sd * a[k])
        b_next = advanced(b, sd * (m[k] + b[k]))
        e_next = advanced(e, m[k] - 1.0 + sd * e[k])
        source = sd * P[k]
        source[k] -= 1.0  # the noise Xi^k itself
        P[k + 1] = advanced(P, source)
        a[k + 1], b[k + 1], e[k + 1] = a_next, b_next, e_next
        deterministic_step(k, p.lam, p.delta, p.eta, kernel, rw, r0)
        m[k + 1] = m[k] - p.eta * (p.lam * m[k] + drift)
        row = rw[k + 1, : k + 1]
        q[k + 1] = (
            m[k + 1] ** 2 + q_perp0 * r0[k + 1] ** 2 + p.eta**2 * p.delta * row @ covariance[: k + 1, : k + 1] @ row
        )
    values = np.array([m, q, p.test_error(m, q), loss, errors])[None]
    return build_trajectory(
        p, values, np.zeros(values.shape[1:]), kernel, covariance, rw, n_samples=0, residual=0.0, label="closed form"
    )
