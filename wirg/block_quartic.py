r"""Quartic invariants of one wavelet block: multi-site quartic terms for the conditional energies.

At a coarse site :math:`k` of scale :math:`j` the wavelet transform holds four numbers, the coarse field
:math:`c = \varphi_j(k)` and the three details :math:`a = \bar\psi_0(k)`, :math:`b = \bar\psi_1(k)` (the
two axis channels, exchanged by the transposition :math:`x \leftrightarrow y`) and :math:`d = \bar\psi_2(k)`
(the diagonal channel). For the Haar wavelet they are an orthogonal transform of the :math:`2\times2` block of
:math:`\varphi_{j-1}` under :math:`k`. The quartic polynomials of :math:`(c, a, b, d)` invariant under the
global sign flip and the symmetries of the square (reflections flip the signs of :math:`(a, d)` or
:math:`(b, d)`; the transposition exchanges :math:`a` and :math:`b`) are :math:`c^4`, which does not
depend on the details, and the seven features

.. math::

    \Phi_1 = \sum_k (a^4 + b^4),\quad \Phi_2 = \sum_k d^4,\quad \Phi_3 = \sum_k c^2(a^2 + b^2),\quad
    \Phi_4 = \sum_k c^2 d^2,

    \Phi_5 = \sum_k a^2 b^2,\quad \Phi_6 = \sum_k (a^2 + b^2)\,d^2,\quad \Phi_7 = \sum_k c\,a\,b\,d .

A scalar potential :math:`\sum_x v(\varphi_{j-1}(x))` with a quartic term gives all seven in fixed ratios
(for Haar, :math:`\sum_{x\in\text{block}} x^4` is one combination of them and :math:`c^4`); as free
parameters they describe a block whose four sites interact through quartic terms, what the effective
energy of a coarse-grained critical field has and an on-site potential cannot express (the wavelet
statistics of ``wirg-phi4``, ``docs/wirg.md``). Every feature is local in the wavelet domain, so its
gradients and Laplacian are closed forms, and linear in its coefficient, so score matching stays a linear
solve.

The functions take details ``psi`` (B, 3, n, n) and coarse fields ``phi`` (B, n, n) and return, per field,
the features (B, 7), their gradients with respect to the details (B, 7, 3, n, n) or to the coarse field
(B, 7, n, n), and their Laplacians in the details (B, 7).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from wirg.checks import field_pair, finite_result

__all__ = ["BLOCK_QUARTIC", "block_quartic_features"]

#: The labels of the seven features, in order (module docstring).
BLOCK_QUARTIC = ("a4+b4", "d4", "c2(a2+b2)", "c2d2", "a2b2", "(a2+b2)d2", "cabd")


def _split(psi: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, ...]:
    return phi, psi[:, 0], psi[:, 1], psi[:, 2]


def _densities(psi: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """The seven summands per site, shape (B, 7, n, n)."""
    c, a, b, d = _split(psi, phi)
    a2, b2, c2, d2 = a * a, b * b, c * c, d * d
    return np.stack([a2 * a2 + b2 * b2, d2 * d2, c2 * (a2 + b2), c2 * d2, a2 * b2, (a2 + b2) * d2, c * a * b * d], 1)


def block_quartic_sums(psi: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """The features of validated arrays (what the ansatz calls), shape (B, 7)."""
    return _densities(psi, phi).sum(axis=(-2, -1))


def block_quartic_features(psibar: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
    r""":math:`\Phi_1 \dots \Phi_7` of the module docstring, shape (B, 7), for details ``psibar`` (B, 3, n, n)
    or (3, n, n) and coarse fields ``phi_j`` (B, n, n) or (n, n); ValueError/TypeError naming a bad one."""
    psi, phi = field_pair(psibar, phi_j, 0)
    with np.errstate(over="ignore", invalid="ignore"):
        return finite_result("psibar and phi_j", block_quartic_sums(psi, phi), "the block quartic features")


def block_quartic_gradients(psi: np.ndarray, phi: np.ndarray) -> np.ndarray:
    r""":math:`\partial\Phi_i/\partial\bar\psi_e(k)`, shape (B, 7, 3, n, n)."""
    c, a, b, d = _split(psi, phi)
    a2, b2, c2, d2 = a * a, b * b, c * c, d * d
    zero = np.zeros_like(a)
    rows = [
        (4 * a2 * a, 4 * b2 * b, zero),
        (zero, zero, 4 * d2 * d),
        (2 * c2 * a, 2 * c2 * b, zero),
        (zero, zero, 2 * c2 * d),
        (2 * a * b2, 2 * b * a2, zero),
        (2 * a * d2, 2 * b * d2, 2 * (a2 + b2) * d),
        (c * b * d, c * a * d, c * a * b),
    ]
    return np.stack([np.stack(row, 1) for row in rows], 1)


def block_quartic_coarse_gradients(psi: np.ndarray, phi: np.ndarray) -> np.ndarray:
    r""":math:`\partial\Phi_i/\partial\varphi_j(k)`, shape (B, 7, n, n)."""
    c, a, b, d = _split(psi, phi)
    zero = np.zeros_like(c)
    return np.stack([zero, zero, 2 * c * (a * a + b * b), 2 * c * d * d, zero, zero, a * b * d], 1)


def block_quartic_laplacians(psi: np.ndarray, phi: np.ndarray) -> np.ndarray:
    r""":math:`\sum_{e,k}\partial^2\Phi_i/\partial\bar\psi_e(k)^2`, shape (B, 7)."""
    c, a, b, d = _split(psi, phi)
    a2, b2, c2, d2 = a * a, b * b, c * c, d * d
    rows = [12 * (a2 + b2), 12 * d2, 4 * c2, 2 * c2, 2 * (a2 + b2), 2 * (a2 + b2) + 4 * d2, np.zeros_like(c)]
    return np.stack(rows, 1).sum(axis=(-2, -1))


def block_quartic_energy_and_grad(
    coefficients: np.ndarray, psi: np.ndarray, phi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\sum_i\theta_i\Phi_i` (B,) and its gradient in the details (B, 3, n, n), contracted site by site
    (what the MALA chains evaluate at every step: no (B, 7, 3, n, n) array)."""
    energy = block_quartic_sums(psi, phi) @ coefficients
    c, a, b, d = _split(psi, phi)
    a2, b2, c2, d2 = a * a, b * b, c * c, d * d
    t = coefficients
    grad = np.stack(
        [
            a * (4 * t[0] * a2 + 2 * t[2] * c2 + 2 * t[4] * b2 + 2 * t[5] * d2) + t[6] * c * b * d,
            b * (4 * t[0] * b2 + 2 * t[2] * c2 + 2 * t[4] * a2 + 2 * t[5] * d2) + t[6] * c * a * d,
            d * (4 * t[1] * d2 + 2 * t[3] * c2 + 2 * t[5] * (a2 + b2)) + t[6] * c * a * b,
        ],
        1,
    )
    return energy, grad


def block_quartic_curvature(coefficients: np.ndarray, psi: np.ndarray, phi: np.ndarray) -> float:
    r"""An upper bound of the largest eigenvalue of the Hessian of :math:`\sum_i\theta_i\Phi_i` in the details
    (the largest absolute row sum of the 3 x 3 Hessian of every block), for the MALA step."""
    c, a, b, d = _split(psi, phi)
    a2, b2, c2, d2 = a * a, b * b, c * c, d * d
    t = coefficients
    haa = 12 * t[0] * a2 + 2 * t[2] * c2 + 2 * t[4] * b2 + 2 * t[5] * d2
    hbb = 12 * t[0] * b2 + 2 * t[2] * c2 + 2 * t[4] * a2 + 2 * t[5] * d2
    hdd = 12 * t[1] * d2 + 2 * t[3] * c2 + 2 * t[5] * (a2 + b2)
    hab = 4 * t[4] * a * b + t[6] * c * d
    had = 4 * t[5] * a * d + t[6] * c * b
    hbd = 4 * t[5] * b * d + t[6] * c * a
    rows = np.stack(
        [
            np.abs(haa) + np.abs(hab) + np.abs(had),
            np.abs(hab) + np.abs(hbb) + np.abs(hbd),
            np.abs(had) + np.abs(hbd) + np.abs(hdd),
        ]
    )
    return float(rows.max()) if rows.size else 0.0
