r"""K-dimensional pieces of the committee machine: teacher data, the output denoiser and the prior denoiser.

The committee machine (Schwarze & Hertz, Europhys. Lett. 21, 785 (1993)) with K hidden units has labels
:math:`y = \operatorname{sign}\sum_{l=1}^K\operatorname{sign} z_l`, :math:`z = W^{*\top} x/\sqrt N`; for K = 2 a
tie gives :math:`y = 0` (the convention of :mod:`statlearn.replica.committee`). The committee AMP of Aubin,
Maillard, Barbier, Krzakala, Macris & Zdeborová (NeurIPS 2018, Sec. 4) needs two K-dimensional denoisers.

**Output.** With :math:`z\sim N(\omega, V)` (V a general K x K covariance) and
:math:`Z_y(\omega, V) = P(y\,|\,z)`, the output function is :math:`g_{out} = \nabla_\omega\ln Z_y\in\mathbb{R}^K`
and its Jacobian :math:`\partial_\omega g_{out} = \nabla\nabla^\top Z_y/Z_y - g_{out}g_{out}^\top`. For K = 2 every
label is a union of sign orthants :math:`\{a z_1 > 0, b z_2 > 0\}` (:math:`y = \pm1`: one orthant, :math:`y = 0`:
the two mixed ones), each a bivariate normal probability
:math:`\Phi_2(a h, b k; ab\rho)`, :math:`h = \omega_1/\sigma_1`, :math:`k = \omega_2/\sigma_2`,
:math:`\rho = V_{12}/\sigma_1\sigma_2`, in closed form by Owen's T function (Owen, Ann. Math. Stat. 27, 1075
(1956)):

.. math::
    \Phi_2(h, k;\rho) = \tfrac12\Phi(h) + \tfrac12\Phi(k) - T(h, a_h) - T(k, a_k) - \beta,\quad
    a_h = \frac{k - \rho h}{h\sqrt{1-\rho^2}},\ a_k = \frac{h - \rho k}{k\sqrt{1-\rho^2}},

:math:`\beta = \tfrac12` when :math:`h` and :math:`k` have opposite signs, where it is absorbed as
:math:`\tfrac12\Phi(k) - \tfrac12 = -\tfrac12\Phi(-k)` (no cancellation of O(1) terms). Its derivatives are closed
forms: :math:`\partial_{\omega_1}\Phi_2 = \varphi(h)\Phi(u_1)/\sigma_1`, :math:`u_1 = (k - \rho h)/\sqrt{1-\rho^2}`,
:math:`\partial^2_{\omega_1\omega_2}\Phi_2 = N(0;\omega, V)` (the density at the corner), and
:math:`\partial^2_{\omega_1}\Phi_2 = -\varphi(h)[h\Phi(u_1) + \rho\varphi(u_1)/\sqrt{1-\rho^2}]/\sigma_1^2`.

**Tails.** Where a label's probability falls below ``TAIL`` the closed form has lost its relative precision
(the orthant is the small difference of larger terms) or underflows; there each orthant is replaced by its
asymptotic form :math:`\Phi(h)\,\Phi(u_1(h))` along the more violated coordinate (:math:`h \le k`, the
conditional law of :math:`z_1` concentrated at its bound), taken in logarithms (``log_ndtr``), so that
:math:`g_{out}` and its Jacobian stay finite (relative error :math:`O(1/h^2)` there).

**Prior.** The posterior of one row :math:`w\in\mathbb{R}^K` in the Gaussian channel of AMP,
:math:`\propto P_0(w)\,e^{B^\top w - w^\top A w/2}`, has mean :math:`f_a(B, A)` and covariance
:math:`f_v(B, A)`: for :math:`P_0 = N(0, I_K)`, :math:`f_v = (I + A)^{-1}`, :math:`f_a = f_v B`; for the
Rademacher prior a softmax over the :math:`2^K` atoms :math:`w\in\{\pm1\}^K` (log-sum-exp).

K = 1 is the sign perceptron: :math:`g_{out} = y\,R(-y\omega/\sqrt V)/\sqrt V`, the scalar
:class:`~statlearn.models.channels.SignChannel`, and the scalar Gaussian and Rademacher priors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from statlearn.numerics.seeding import as_generator
from statlearn.numerics.special import gaussian_hazard
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar, brief

__all__ = [
    "COMMITTEE_K",
    "COMMITTEE_PRIORS",
    "CommitteeData",
    "check_committee",
    "committee_denoise",
    "committee_labels",
    "committee_output",
    "committee_teacher",
]

COMMITTEE_K = (1, 2)
"""Numbers of hidden units the denoisers support."""

COMMITTEE_PRIORS = ("gaussian", "rademacher")
"""Priors of the teacher's rows: :math:`N(0, I_K)` or uniform on :math:`\\{\\pm1\\}^K`."""

TAIL = 1e-9
"""A label probability below it is taken from the asymptotic (log) form of its orthants."""

MAX_ENTRIES = 10**9
"""Largest design matrix :func:`committee_teacher` draws (entries)."""

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
_RHO_MAX = 1.0 - 1e-12
_ZERO = 1e-300  # stands for 0 in Owen's formula (the limit from above: beta = 0 at h = 0, k > 0)


def _check_K(K: object) -> int:
    k = as_count("K", K, minimum=1)
    if k not in COMMITTEE_K:
        raise ValueError(f"K must be one of {COMMITTEE_K}, got {brief(K)}")
    return k


def _check_prior(prior: object) -> str:
    if not isinstance(prior, str):
        raise TypeError(f"prior must be one of {COMMITTEE_PRIORS}, got {brief(prior)}")
    if prior not in COMMITTEE_PRIORS:
        raise ValueError(f"prior must be one of {COMMITTEE_PRIORS}, got {brief(prior)}")
    return prior


def check_committee(K: object, prior: object) -> tuple[int, str]:
    """Validated ``(K, prior)``: K in ``COMMITTEE_K``, prior in ``COMMITTEE_PRIORS`` (ValueError/TypeError naming
    the parameter otherwise)."""
    return _check_K(K), _check_prior(prior)


def committee_labels(z: ArrayLike) -> np.ndarray:
    r"""Labels :math:`\operatorname{sign}\sum_l\operatorname{sign} z_l` of pre-activations ``z`` of shape (M, K)."""
    z = as_real_array("z", z)
    if z.ndim != 2:
        raise ValueError(f"z must be a 2-D (M, K) array, got shape {z.shape}")
    return np.sign(np.sum(np.sign(z), axis=1))


# -- teacher data -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitteeData:
    """One sample of the committee teacher-student problem (arrays read-only): ``F`` (M x N, entries
    :math:`N(0, 1/N)`), ``teacher`` (N x K), ``z = F @ teacher`` (M x K) and the labels ``y`` (M,)."""

    K: int
    prior: str
    alpha: float
    F: np.ndarray
    teacher: np.ndarray
    z: np.ndarray
    y: np.ndarray


def committee_teacher(K: int, N: int, alpha: float, *, prior: str = "gaussian", seed: int) -> CommitteeData:
    r"""Draw a committee teacher, Gaussian patterns and labels.

    The scaling of :func:`statlearn.models.teacher_student` (:math:`F_{\mu i}\sim N(0, 1/N)`, so each
    :math:`z_{\mu l}` has unit variance and ``alpha`` = M/N is the load of :mod:`statlearn.replica.committee`);
    ``M = round(alpha N)``. One generator seeded by ``seed``, drawn in a fixed order (teacher, then ``F``): the
    same seed gives the same data bit for bit.
    """
    k = _check_K(K)
    n = as_count("N", N, minimum=1)
    a = as_real_scalar("alpha", alpha, minimum=0.0, strict_minimum=True)
    name = _check_prior(prior)
    m = int(round(a * n))
    if m < 1:
        raise ValueError(f"alpha * N must round to at least one sample, got alpha = {alpha!r}, N = {n}")
    if m * n > MAX_ENTRIES:
        raise ValueError(f"alpha = {alpha!r}, N = {n} needs {m * n:.3g} entries, above the limit {MAX_ENTRIES:.0e}")
    rng = as_generator(seed)
    if name == "gaussian":
        teacher = rng.standard_normal((n, k))
    else:
        teacher = np.where(rng.random((n, k)) < 0.5, -1.0, 1.0)
    F = rng.standard_normal((m, n))
    F *= 1.0 / np.sqrt(n)
    z = F @ teacher
    y = committee_labels(z)
    for arr in (F, teacher, z, y):
        arr.setflags(write=False)
    return CommitteeData(K=k, prior=name, alpha=a, F=F, teacher=teacher, z=z, y=y)


# -- the output denoiser ------------------------------------------------------------------------------------


def _owen(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    r""":math:`\Phi_2(h, k; \rho) = P(X_1 < h, X_2 < k)` by Owen's T function, without O(1) cancellation."""
    h = np.where(h == 0.0, _ZERO, h)
    k = np.where(k == 0.0, _ZERO, k)
    s = np.sqrt(1.0 - rho * rho)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        t = special.owens_t(h, (k - rho * h) / (h * s)) + special.owens_t(k, (h - rho * k) / (k * s))
    mixed_h = (h < 0.0) & (k > 0.0)
    mixed_k = (k < 0.0) & (h > 0.0)
    base = np.where(
        mixed_h,
        0.5 * special.ndtr(h) - 0.5 * special.ndtr(-k),
        np.where(
            mixed_k, 0.5 * special.ndtr(k) - 0.5 * special.ndtr(-h), 0.5 * special.ndtr(h) + 0.5 * special.ndtr(k)
        ),
    )
    return np.maximum(base - t, 0.0)


def _orthant_terms(h, k, rho, s1, s2, a, b):
    r"""Probability, gradient (2, ...) and Hessian (2, 2, ...) in :math:`\omega` of :math:`P(a z_1 > 0, b z_2 > 0)`,
    plus the log of its asymptotic form and that form's gradient and Hessian (the tail fallback)."""
    H, Kk, r = a * h, b * k, a * b * rho
    sq = np.sqrt(1.0 - rho * rho)
    P = _owen(H, Kk, r)
    u1 = (Kk - r * H) / sq  # = b (k - rho h)/sq: the other coordinate given z_1 at its bound
    u2 = (H - r * Kk) / sq
    p1, p2 = _INV_SQRT_2PI * np.exp(-0.5 * H * H), _INV_SQRT_2PI * np.exp(-0.5 * Kk * Kk)
    c1, c2 = special.ndtr(u1), special.ndtr(u2)
    d1, d2 = _INV_SQRT_2PI * np.exp(-0.5 * u1 * u1), _INV_SQRT_2PI * np.exp(-0.5 * u2 * u2)
    grad = np.stack([a * p1 * c1 / s1, b * p2 * c2 / s2])
    h11 = -p1 * (H * c1 + r * d1 / sq) / (s1 * s1)
    h22 = -p2 * (Kk * c2 + r * d2 / sq) / (s2 * s2)
    h12 = a * b * p1 * d1 / (sq * s1 * s2)
    hess = np.stack([np.stack([h11, h12]), np.stack([h12, h22])])
    # asymptotic form along the more violated coordinate: log P ~ log Phi(H) + log Phi(u1(H)) (or 1 <-> 2)
    first = H <= Kk
    x = np.where(first, H, Kk)
    u = np.where(first, u1, u2)
    sx = np.where(first, s1, s2)
    sign_x = np.where(first, a, b)
    logP = special.log_ndtr(x) + special.log_ndtr(u)
    rx, ru = gaussian_hazard(-x), gaussian_hazard(-u)  # d/dx log Phi(x) = R(-x)
    # u = (other - r x)/sq: du/dx = -r/sq, du/d(other) = 1/sq
    so = np.where(first, s2, s1)
    sign_o = np.where(first, b, a)
    gx = sign_x * (rx - ru * r / sq) / sx
    go = sign_o * ru / (sq * so)
    cx, cu = -rx * (rx + x), -ru * (ru + u)  # second derivatives of log Phi
    hxx = (cx + cu * r * r / (sq * sq)) / (sx * sx)
    hoo = cu / (sq * sq * so * so)
    hxo = sign_x * sign_o * (-cu * r / (sq * sq)) / (sx * so)
    g_tail = np.where(first, np.stack([gx, go]), np.stack([go, gx]))
    h_first = np.stack([np.stack([hxx, hxo]), np.stack([hxo, hoo])])
    h_second = np.stack([np.stack([hoo, hxo]), np.stack([hxo, hxx])])
    hess_tail = np.where(first, h_first, h_second)
    return P, grad, hess, logP, g_tail, hess_tail


def _covariance(V: ArrayLike, M: int, K: int) -> np.ndarray:
    V = as_real_array("V", V)
    if V.shape not in ((K, K), (M, K, K)):
        raise ValueError(f"V must have shape (K, K) = ({K}, {K}) or (M, K, K), got {V.shape}")
    if not np.all(np.isfinite(V)):
        raise ValueError("V must be finite")
    if not np.allclose(V, np.swapaxes(V, -1, -2), rtol=1e-10, atol=1e-14):
        raise ValueError("V must be symmetric")
    diag = np.diagonal(V, axis1=-2, axis2=-1)
    if np.any(diag <= 0.0) or (K == 2 and np.any(V[..., 0, 0] * V[..., 1, 1] - V[..., 0, 1] ** 2 <= 0.0)):
        raise ValueError("V must be positive definite")
    return np.broadcast_to(V, (M, K, K))  # validated before broadcasting: a shared V costs O(1)


def committee_output(y: ArrayLike, omega: ArrayLike, V: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Output function :math:`g_{out} = \nabla_\omega\ln Z_y(\omega, V)` and its Jacobian of the committee channel.

    Parameters
    ----------
    y
        Labels (M,): :math:`\pm1` for K = 1; :math:`-1, 0, 1` for K = 2.
    omega
        Means (M, K), K = ``omega.shape[1]`` in ``COMMITTEE_K``.
    V
        Covariance (K, K), shared by all samples, or (M, K, K); symmetric positive definite.

    Returns
    -------
    g, dg
        Arrays (M, K) and (M, K, K).
    """
    omega = as_real_array("omega", omega)
    if omega.ndim != 2:
        raise ValueError(f"omega must be a 2-D (M, K) array, got shape {omega.shape}")
    M, K = omega.shape
    if K not in COMMITTEE_K:
        raise ValueError(f"omega must have K in {COMMITTEE_K} columns, got shape {omega.shape}")
    y = as_real_array("y", y)
    if y.shape != (M,):
        raise ValueError(f"y must have shape (M,) = ({M},), got {y.shape}")
    allowed = (-1.0, 1.0) if K == 1 else (-1.0, 0.0, 1.0)
    if not np.all(np.isin(y, allowed)):
        raise ValueError(f"y must take values in {allowed} for K = {K}")
    if not np.all(np.isfinite(omega)):
        raise ValueError("omega must be finite")
    V = _covariance(V, M, K)
    if K == 1:
        s = np.sqrt(V[:, 0, 0])
        x = -y * omega[:, 0] / s
        R = gaussian_hazard(x)
        g = y * R / s
        dg = -R * (R - x) / (s * s)
        return g[:, None], dg[:, None, None]
    s1, s2 = np.sqrt(V[:, 0, 0]), np.sqrt(V[:, 1, 1])
    rho = np.clip(V[:, 0, 1] / (s1 * s2), -_RHO_MAX, _RHO_MAX)
    h, k = omega[:, 0] / s1, omega[:, 1] / s2
    # each label's first orthant: (y, y) for y = +-1, (+, -) for a tie; a tie's second orthant (-, +)
    tie = y == 0.0
    sa, sb = np.where(tie, 1.0, y), np.where(tie, -1.0, y)
    Z, grad, hess, logP, g_tail, h_tail = _orthant_terms(h, k, rho, s1, s2, sa, sb)
    t = np.flatnonzero(tie)
    second = _orthant_terms(h[t], k[t], rho[t], s1[t], s2[t], -1.0, 1.0)
    Z[t] += second[0]
    grad[:, t] += second[1]
    hess[:, :, t] += second[2]
    with np.errstate(divide="ignore", invalid="ignore"):
        g = grad / Z
        dg = hess / Z - g[:, None] * g[None, :]
    tail = Z < TAIL
    if np.any(tail):
        # the asymptotic orthants; for a tie their log-sum-exp mixture (weights w, gradients g_j, Hessians H_j:
        # g = sum w g_j, dg = sum w (H_j + g_j g_j^T) - g g^T)
        g[:, tail], dg[:, :, tail] = g_tail[:, tail], h_tail[:, :, tail]
        mix = tail[t]
        if np.any(mix):
            u = t[mix]
            l1, l2 = logP[u], second[3][mix]
            w1 = 1.0 / (1.0 + np.exp(l2 - l1))
            w2 = 1.0 - w1
            g1, g2 = g_tail[:, u], second[4][:, mix]
            gm = w1 * g1 + w2 * g2
            outer = lambda x: x[:, None] * x[None, :]  # noqa: E731
            dg[:, :, u] = w1 * (h_tail[:, :, u] + outer(g1)) + w2 * (second[5][:, :, mix] + outer(g2)) - outer(gm)
            g[:, u] = gm
    return np.ascontiguousarray(g.T), np.ascontiguousarray(np.moveaxis(dg, -1, 0))


# -- the prior denoiser -------------------------------------------------------------------------------------


def committee_denoise(prior: str, B: ArrayLike, A: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean :math:`f_a` (N, K) and covariance :math:`f_v` (N, K, K) of :math:`P_0(w)\,e^{B^\top w - w^\top Aw/2}`.

    ``B`` has shape (N, K); ``A`` (K, K) shared, or (N, K, K); symmetric (for the Gaussian prior :math:`I + A`
    must be positive definite).
    """
    name = _check_prior(prior)
    B = as_real_array("B", B)
    if B.ndim != 2:
        raise ValueError(f"B must be a 2-D (N, K) array, got shape {B.shape}")
    N, K = B.shape
    if K not in COMMITTEE_K:
        raise ValueError(f"B must have K in {COMMITTEE_K} columns, got shape {B.shape}")
    A = as_real_array("A", A)
    if A.shape not in ((K, K), (N, K, K)):
        raise ValueError(f"A must have shape (K, K) = ({K}, {K}) or (N, K, K), got {A.shape}")
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(B))):
        raise ValueError("A and B must be finite")
    if not np.allclose(A, np.swapaxes(A, -1, -2), rtol=1e-10, atol=1e-14):
        raise ValueError("A must be symmetric")
    if name == "gaussian":
        precision = np.eye(K) + A
        if np.any(np.linalg.eigvalsh(precision) <= 0.0):
            raise ValueError("A must make I + A positive definite for the Gaussian prior")
        cov = np.broadcast_to(np.linalg.inv(precision), (N, K, K))
        mean = np.einsum("nkl,nl->nk", cov, B)
        return mean, np.array(cov)
    atoms = np.array(np.meshgrid(*([[-1.0, 1.0]] * K), indexing="ij")).reshape(K, -1).T  # (2^K, K)
    quad = np.einsum("ak,...kl,al->...a", atoms, A, atoms)  # (2^K,) or (N, 2^K)
    logits = B @ atoms.T - 0.5 * quad
    p = np.exp(logits - special.logsumexp(logits, axis=1, keepdims=True))
    mean = p @ atoms
    second = np.einsum("na,ak,al->nkl", p, atoms, atoms)
    return mean, second - mean[:, :, None] * mean[:, None, :]
