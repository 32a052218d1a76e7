r"""Gaussian averages of the ReLU activation g(x) = max(x, 0), g'(x) = Theta(x), for the online-SGD ODEs.

The averages (notation of :mod:`statlearn.models.activations`) are over zero-mean jointly Gaussian
fields u with covariance C; ``R`` (``rho_ab = C_ab / sqrt(C_aa C_bb)``) is the correlation, and
``Theta(0) = 0``. A field of zero variance is identically 0, so every average involving it
(through Theta or relu) is 0; such entries are returned as exact zeros, never NaN.

Closed forms
------------
**I2** (the arc-cosine kernel of degree 1, Cho & Saul 2009):

.. math::

    E\,\mathrm{relu}(u_a)\,\mathrm{relu}(u_b) = \frac{\sqrt{C_{aa} C_{bb}}}{2\pi}
        \left(\sin\theta + (\pi - \theta)\cos\theta\right), \qquad \cos\theta = \rho_{ab},

so ``I2[a, a] = C_aa / 2``.

**J2** (Sheppard's quadrant probability):
:math:`E\,\Theta(u_a)\Theta(u_b) = \frac14 + \frac{\arcsin\rho_{ab}}{2\pi}`; ``J2[a, a] = 1/2``.

**I3**, by Stein's lemma :math:`E[u_b f(u)] = \sum_j C_{bj} E[\partial_j f(u)]` (Stein 1981) with
:math:`f = \Theta(u_a)\,\mathrm{relu}(u_c)`:

.. math::

    E[\Theta(u_a)\, u_b\, \mathrm{relu}(u_c)] = C_{ab}\, E[\delta(u_a)\,\mathrm{relu}(u_c)]
        + C_{bc}\, E[\Theta(u_a)\Theta(u_c)],
    \qquad E[\delta(u_a)\,\mathrm{relu}(u_c)] = \frac{\sqrt{C_{cc} - C_{ac}^2 / C_{aa}}}{2\pi\sqrt{C_{aa}}},

i.e. ``I3 = sqrt(C_bb C_cc) [rho_ab sqrt(1 - rho_ac^2) / (2 pi) + rho_bc (1/4 + arcsin(rho_ac) / (2 pi))]``.
It is continuous at ``rho_ac = +-1`` and reduces to ``I2[a, c]`` for b = a and to ``C_ab / 2`` for
c = a.

I4 (quadrature)
---------------
:math:`I_4 = E[\Theta(u_a)\Theta(u_b)\,\mathrm{relu}(u_c)\,\mathrm{relu}(u_d)]` has no elementary
closed form (it contains a four-variate orthant probability). With ``G(R) = I4 / sqrt(C_cc C_dd)``
a function of the 4 x 4 correlation matrix R of (u_a, u_b, u_c, u_d), we follow the path
``S(t) = (1 - t) 1 + t R`` from independent fields (t = 0) to R (t = 1). Along it, the Gaussian
heat-equation identity (Price 1958; Plackett 1954 for orthant probabilities)
:math:`\partial E_S f / \partial S_{ij} = E_S[\partial_i \partial_j f]` (i != j) gives

.. math::

    \frac{dG}{dt} = \sum_{i<j} r_{ij}\, E_{S(t)}[\partial_i \partial_j f], \qquad
    f = \Theta_0 \Theta_1 \mathrm{relu}_2 \mathrm{relu}_3 ,

and every term is elementary:

- (0, 1): :math:`\varphi_2(0, 0; S_{01})\, E[\mathrm{relu}_2 \mathrm{relu}_3 \mid u_0 = u_1 = 0]`
  (arc-cosine kernel of the conditional covariance);
- (0, 2), (0, 3), (1, 2), (1, 3): :math:`\varphi(0)\, E[\Theta\Theta\,\mathrm{relu} \mid u_i = 0]`,
  which one more Stein step turns into conditional bivariate orthant probabilities
  :math:`P_2 = \frac14 + \frac{1}{2\pi}\arcsin \rho_{kl\cdot ij}`;
- (2, 3): the orthant probability :math:`P_4(S(t))`, itself
  :math:`\frac{1}{16} + \int_0^t \sum_{i<j} r_{ij}\, \varphi_2(0, 0; S_{ij}(\tau))\, P_2(kl \mid ij)\, d\tau`
  (Plackett's identity). Exchanging the order of integration,
  :math:`\int_0^1 P_4(t)\, dt = \frac{1}{16} + \int_0^1 (1 - \tau)\, P_4'(\tau)\, d\tau`.

Hence :math:`G = \frac{1}{8\pi} + \frac{r_{23}}{16} + \int_0^1 h(t)\, dt` with an elementary integrand
``h`` (:func:`_path_integrand`). The conditional quantities are computed without cancellation
from the spectral decomposition :math:`R = U \operatorname{diag}(\lambda) U^T`: ``S(t)`` has
eigenvalues :math:`\mu_m = s^2 + t \lambda_m` (:math:`s^2 = 1 - t`), its determinant and adjugate
are products of the :math:`\mu_m` and sums over m, and the 2 x 2 determinants (conditional
variances) are sums of non-negative terms by the Cauchy-Binet formula with the 2 x 2 minors of U.
The eigenvalues are recomputed as :math:`|V^T u_m|^2` from the rows V of a pivoted Cholesky
factor of the whole correlation matrix, so that fields which coincide exactly (repeated indices,
a student unit equal to a teacher unit, ``rho = +-1``) give eigenvalues of order eps^2 rather
than eps. The path meets no singular matrix for t < 1, so nothing is divided by a vanishing
conditional variance.

When R is singular, h behaves like :math:`(1 - t)^{-1/2}` at t = 1; close to singular it has
structure on the scale :math:`1 - t \sim \lambda_{\min}`. The substitution ``t = 1 - s^2`` makes
the singular case analytic in s, and the trapezoidal rule in x, ``s = 1 - exp(-e^x)``, step
:data:`I4_STEP`, resolves all the remaining scales: in x the integrand is analytic in a strip
about the real axis whatever the conditioning, so the rule converges geometrically for generic
and (near-)singular R alike. Each tuple needs nodes down to s ~ 1e-3 sigma_min (smallest singular
value of its factor): tuples are evaluated in three groups with 57, 74 or 108 nodes.

Accuracy: against 40-digit values (Stein decomposition plus Plackett's integral for P4, mpmath)
on generic, near-singular (pairs and triples of fields at angles 1e-1 .. 1e-7) and exactly
singular correlation matrices, the absolute error of ``G`` is below 5e-13 (typically 1e-14 ..
1e-13); see ``tests/models/test_relu_averages.py``. Note that J2 and I4 are only Hoelder-1/2 continuous
in rho_ab at rho_ab = +-1 (two Theta fields merging), so there an input known to eps is
determined only to ~sqrt(eps) whatever the method; exactly coinciding fields are exact.

Repeated indices are reduced exactly where the reduced average is elementary
(``Theta(a)^2 = Theta(a)``, ``Theta(a) relu(a) = relu(a)``): I4[a, a, a, d] = I2[a, d],
I4[a, b, a, b] = I2[a, b], I4[a, a, c, c] and I4[a, b, b, b] are
:math:`E\,\Theta(u_x)\,\mathrm{relu}(u_y)^2 = C_{yy} [\frac14 + (\arcsin\rho + \rho\sqrt{1 - \rho^2}) / (2\pi)]`.
The other repeated-index entries (E Theta relu relu, E Theta Theta relu^2) go through the
quadrature, which handles these singular R to the same accuracy.

Cost: the full I4 takes about 2 ms for K = M = 2 and 12-20 ms for K = M = 4 (2 cores);
I2, I3 and J2 take well under 1 ms.

References
----------
Y. Cho and L. K. Saul, Kernel methods for deep learning, NIPS 22 (2009).
C. M. Stein, Estimation of the mean of a multivariate normal distribution, Ann. Stat. 9, 1135 (1981).
R. L. Plackett, A reduction formula for normal multivariate integrals, Biometrika 41, 351 (1954).
R. Price, A useful theorem for nonlinear devices having Gaussian inputs, IRE Trans. Inf. Theory
4, 69 (1958).
D. Saad and S. A. Solla, Phys. Rev. E 52, 4225 (1995); S. Goldt et al., NeurIPS 2019.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.special import arccos_kernel

__all__ = ["i2", "i3", "i4", "j2", "theta_theta_relu_relu", "I4_STEP"]

_TWO_PI = 2.0 * np.pi

#: Step of the trapezoidal rule in x (s = 1 - exp(-e^x)); 0.27 gives |error| < 1e-12 on G.
I4_STEP = 0.27

# smallest node s of the three classes of tuples (by the smallest singular value of their factor)
_CLASS_SMIN = (1e-11, 1e-7, 1e-5)
# tuples per vectorised evaluation (bounds the temporary arrays to ~50 MB)
_CHUNK = 1024

# pairs (i, j) of the four fields and their complements (k, l)
_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
_COMPLEMENTS = ((2, 3), (1, 3), (1, 2), (0, 3), (0, 2), (0, 1))


# ---------------------------------------------------------------------------------------------
# correlations
# ---------------------------------------------------------------------------------------------


def _correlations(C: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Variances (clipped at 0), positivity mask, correlation matrix (unit diagonal, in [-1, 1]), bad mask.

    Fields of zero (or negative, from rounding) variance get zero correlations; every average
    involving them is masked to 0 by the callers. ``bad`` flags batch elements with non-finite
    entries, whose averages are returned as NaN.
    """
    finite = np.isfinite(C)
    bad = ~np.all(finite, axis=(-2, -1))
    C = np.where(finite, C, 0.0)
    var = np.diagonal(C, axis1=-2, axis2=-1)
    pos = var > 0
    var = np.where(pos, var, 0.0)
    # sqrt(x * x) == x exactly, so identical fields (C_ab = C_aa = C_bb) get rho = 1 exactly
    norm = np.sqrt(var[..., :, None] * var[..., None, :])
    both = pos[..., :, None] & pos[..., None, :]
    R = np.where(both, C / np.where(both, norm, 1.0), 0.0)
    R = np.clip(R, -1.0, 1.0)
    n = C.shape[-1]
    R[..., np.arange(n), np.arange(n)] = 1.0
    return var, pos, R, bad


def _nan_where(bad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Set the averages of the batch elements flagged ``bad`` (leading axes of ``out``) to NaN."""
    if np.any(bad):
        out = np.array(out, copy=True)
        out[bad] = np.nan
    return out


def _sqrt_one_minus_sq(rho: np.ndarray) -> np.ndarray:
    return np.sqrt((1.0 - rho) * (1.0 + rho))


def _theta_relu_sq(rho: np.ndarray) -> np.ndarray:
    """E Theta(x) relu(y)^2 for unit variances and correlation rho (Stein's lemma twice)."""
    return 0.25 + (np.arcsin(rho) + rho * _sqrt_one_minus_sq(rho)) / _TWO_PI


# ---------------------------------------------------------------------------------------------
# I4: path integral in correlation space
# ---------------------------------------------------------------------------------------------


def _pivoted_cholesky(R: np.ndarray) -> np.ndarray:
    """Rows v_i with v_i . v_j = R_ij (up to n eps), by diagonally pivoted Cholesky, batched.

    Identical (or opposite) rows of R give identical (opposite) v_i up to O(eps): the Schur
    complement of a repeated field vanishes exactly at its partner's pivot.
    """
    n = R.shape[-1]
    A = R.reshape((-1, n, n)).copy()
    nb = A.shape[0]
    L = np.zeros((nb, n, max(n, 4)))
    rows = np.arange(nb)
    tol = n * np.finfo(float).eps
    for k in range(n):
        diag = np.diagonal(A, axis1=1, axis2=2)
        p = np.argmax(diag, axis=1)
        app = diag[rows, p]
        ok = app > tol
        if not ok.any():
            break
        col = A[rows, :, p] / np.sqrt(np.where(ok, app, 1.0))[:, None]
        col[~ok] = 0.0
        L[:, :, k] = col
        A -= col[:, :, None] * col[:, None, :]
        A[rows, p, :] = 0.0
        A[rows, :, p] = 0.0
    return L.reshape(R.shape[:-2] + (n, L.shape[-1]))


def _spectral(V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvectors U and eigenvalues of the Gram matrix V V^T (V: (..., 4, r)).

    The eigenvalues are recomputed as |V^T u_m|^2, which keeps small ones accurate to O(eps^2)
    when rows of V coincide, instead of the O(eps) of the Gram matrix's own eigenvalues.
    """
    gram = V @ np.swapaxes(V, -1, -2)
    _, U = np.linalg.eigh(gram)
    lam = np.sum(np.square(np.swapaxes(V, -1, -2) @ U), axis=-2)
    return U, lam


def _prepare(U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of the t-independent parts: adjugate weights W and Cauchy-Binet products MM."""
    # W[q, p, m] = U_km U_lm for the complement (k, l) of pair p: adj(S)_kl = sum_m W[.., m] prod_{m' != m} mu
    W = np.stack([U[:, k, :] * U[:, l, :] for (k, l) in _COMPLEMENTS], axis=1)
    # 2 x 2 minors M[q, p, c] of U, rows pair p, columns pair c
    M = np.stack(
        [
            np.stack([U[:, i, m] * U[:, j, mm] - U[:, i, mm] * U[:, j, m] for (m, mm) in _PAIRS], axis=-1)
            for (i, j) in _PAIRS
        ],
        axis=1,
    )
    M01, M02, M03, M12, M13 = M[:, 0], M[:, 1], M[:, 2], M[:, 3], M[:, 4]
    # det S_{(i,k),(i,j)} = sum_c M_ik,c M_ij,c w_c (single-conditional covariances, Cauchy-Binet)
    mixed = np.stack([M03 * M01, M03 * M02, M02 * M01, -M13 * M01, M13 * M12, -M12 * M01], axis=1)
    MM = np.concatenate([M * M, mixed], axis=1)
    return W, MM


@cache
def _nodes(step: float) -> tuple[np.ndarray, np.ndarray]:
    """Trapezoidal nodes s_k (descending from s = 1) and weights ds/dx * step, for s = 1 - exp(-e^x)."""
    x_hi = np.log(40.0)  # 1 - s = e^-40: the integrand is negligible beyond
    x_lo = np.log(_CLASS_SMIN[0])  # smallest s ever used
    x = x_hi - step * np.arange(int(np.ceil((x_hi - x_lo) / step)) + 1)
    ex = np.exp(x)
    s = -np.expm1(-ex)
    w = step * np.exp(-ex) * ex
    s.flags.writeable = False
    w.flags.writeable = False
    return s, w


def _path_integrand(s: np.ndarray, r: np.ndarray, lam: np.ndarray, W: np.ndarray, MM: np.ndarray) -> np.ndarray:
    """h(t(s)) dt/ds at the nodes s (N,), for Q tuples: r (Q, 6), lam (Q, 4), W (Q, 6, 4), MM (Q, 12, 6)."""
    s2 = s * s
    t = 1.0 - s2
    mu = s2 + t * lam[:, :, None]  # (Q, 4, N) eigenvalues of S(t); >= s^2 > 0
    m0, m1, m2, m3 = mu[:, 0], mu[:, 1], mu[:, 2], mu[:, 3]
    p01 = m0 * m1
    p23 = m2 * m3
    D = p01 * p23  # det S(t)
    nu = np.stack([m1 * p23, m0 * p23, p01 * m3, p01 * m2], axis=1)
    wc = np.stack([p01, m0 * m2, m0 * m3, m1 * m2, m1 * m3, p23], axis=1)
    # adj(S)_kl for the complement of each pair, and the Cauchy-Binet sums
    A = np.ascontiguousarray(np.moveaxis(W @ nu, 1, 0))  # (6, Q, N)
    G = np.ascontiguousarray(np.moveaxis(MM @ wc, 1, 0))  # (12, Q, N)
    d = G[:6]  # det S_{ij} = 1 - S_ij^2 for the six pairs
    sd = np.sqrt(d)
    sD = np.sqrt(D)
    # arcsin of the partial correlation of (k, l) given (i, j): atan(-adj_kl / sqrt(det S det S_ij))
    ang = np.arctan(-A / (sD * sd))
    Pd = (0.25 + ang / _TWO_PI) / sd  # P2(kl > 0 | u_i = u_j = 0) / sqrt(det S_ij)
    rr = r.T[:, :, None]  # (6, Q, 1)
    r01, r02, r03, r12, r13, r23 = rr
    # (0, 1): phi2(0,0) E[relu2 relu3 | u0 = u1 = 0], the conditional arc-cosine kernel
    h = r01 * (sD * sd[0] - A[0] * (0.5 * np.pi + ang[0])) / (_TWO_PI * d[0] * sd[0])
    # (0, 2), (0, 3), (1, 2), (1, 3): phi(0) E[Theta Theta relu | u_i = 0] by Stein's lemma
    acc = (r02 * G[6] + r03 * G[8] + r12 * G[9] + r13 * G[11]) * Pd[0]
    acc += (r02 * G[7] + r03 * d[1]) * Pd[1]
    acc += (r02 * d[2] + r03 * G[7]) * Pd[2]
    acc += (r12 * G[10] + r13 * d[3]) * Pd[3]
    acc += (r12 * d[4] + r13 * G[10]) * Pd[4]
    # (2, 3): (1 - t) P4'(t), P4' = sum_p r_p phi2(0, 0; S_p) P2(complement | p)
    p4 = r01 * Pd[0]
    for k in range(1, 6):
        p4 += rr[k] * Pd[k]
    h += acc + r23 * s2 * p4
    h *= (2.0 / _TWO_PI) * s  # dt = -2 s ds
    return h


def theta_theta_relu_relu(C: ArrayLike, step: float | None = None) -> np.ndarray:
    """``E[Theta(u_0) Theta(u_1) relu(u_2) relu(u_3)]`` for u ~ N(0, C), by the path quadrature.

    Parameters
    ----------
    C
        Covariance of the four fields, shape ``(..., 4, 4)``, positive semi-definite (singular
        allowed; a zero-variance field gives 0).
    step
        Step of the trapezoidal rule in x; default :data:`I4_STEP`.

    Returns
    -------
    numpy.ndarray
        Shape ``C.shape[:-2]``. Method and accuracy: module docstring of :mod:`statlearn.models.relu_averages`.
    """
    C = np.asarray(C, dtype=float)
    if C.shape[-2:] != (4, 4):
        raise ValueError(f"C must have shape (..., 4, 4), got {C.shape}")
    Cf = C.reshape(-1, 4, 4)
    var, pos, R, bad = _correlations(Cf)
    g = _theta_theta_relu_relu(R, _pivoted_cholesky(R), step) * np.sqrt(var[:, 2] * var[:, 3])
    g = _nan_where(bad, np.where(np.all(pos, axis=-1), g, 0.0))
    return g.reshape(C.shape[:-2])


def _theta_theta_relu_relu(R: np.ndarray, V: np.ndarray, step: float | None) -> np.ndarray:
    """G for Q tuples: R (Q, 4, 4) correlations, V (Q, 4, r) rows with V V^T = R (up to n eps)."""
    Q = R.shape[0]
    out = np.empty(Q)
    if Q == 0:
        return out
    step = I4_STEP if step is None else step
    s_all, w_all = _nodes(step)
    U, lam = _spectral(V)
    sigma = np.sqrt(np.min(lam, axis=-1))  # smallest singular value of the tuple's factor
    W, MM = _prepare(U)
    r = np.stack([R[:, i, j] for (i, j) in _PAIRS], axis=1)
    # The integrand has structure down to s ~ sigma only: nodes are needed down to ~1e-3 sigma.
    # Tuples are grouped in three classes of node counts to keep the evaluation vectorised.
    s_min = np.clip(1e-3 * sigma, 1e-11, 1e-4)
    cls = np.digitize(s_min, _CLASS_SMIN[1:])
    for c, smin in enumerate(_CLASS_SMIN):
        sel_all = np.nonzero(cls == c)[0]
        nn = int(np.searchsorted(-s_all, -smin, side="right"))
        s, w = s_all[:nn], w_all[:nn]
        for start in range(0, sel_all.size, _CHUNK):  # bounded memory for large K, M
            sel = sel_all[start : start + _CHUNK]
            f = _path_integrand(s, r[sel], lam[sel], W[sel], MM[sel])
            val = f @ w
            # tail s < s[-1]: geometric continuation of the trapezoidal sum; the integrand in x
            # decays like e^{x} where R is singular at this scale, like e^{2x} otherwise
            ratio = np.exp(-step * np.where(sigma[sel] < 0.1 * s[-1], 1.0, 2.0))
            out[sel] = val + f[:, -1] * w[-1] * ratio / (1.0 - ratio)
    out += 1.0 / (8.0 * np.pi) + r[:, 5] / 16.0
    return out


@cache
def _i4_layout(rows: int, n: int):
    """Unique index tuples (a <= b < rows, c <= d < n), their reduction class, and the scatter map."""
    tuples = [(a, b, c, d) for a in range(rows) for b in range(a, rows) for c in range(n) for d in range(c, n)]
    ids = {tup: k for k, tup in enumerate(tuples)}
    kind = np.empty(len(tuples), dtype=int)  # 0: path, 1: I2[x, y], 2: E Theta(x) relu(y)^2
    pair = np.zeros((len(tuples), 2), dtype=int)
    for k, (a, b, c, d) in enumerate(tuples):
        ab = {a, b}
        if c in ab and d in ab:
            if c != d or a == b:  # Theta a Theta b relu a relu b = relu a relu b; relu(a)^2 theta(a) = relu(a)^2
                kind[k], pair[k] = 1, (c, d) if c != d else (a, a)
            else:  # a != b, c = d in {a, b}: Theta(other) relu(c)^2
                kind[k], pair[k] = 2, (b if c == a else a, c)
        elif a == b and (c == a or d == a):  # Theta a relu a relu d = relu a relu d
            kind[k], pair[k] = 1, (a, d if c == a else c)
        elif a == b and c == d:  # Theta(a) relu(c)^2
            kind[k], pair[k] = 2, (a, c)
        else:
            kind[k] = 0
    full = np.empty((rows, rows, n, n), dtype=int)
    for a in range(rows):
        for b in range(rows):
            for c in range(n):
                for d in range(n):
                    full[a, b, c, d] = ids[(min(a, b), max(a, b), min(c, d), max(c, d))]
    idx = np.array(tuples, dtype=int).reshape(-1, 4)
    path = np.nonzero(kind == 0)[0]
    return idx, kind, pair, path, full


# ---------------------------------------------------------------------------------------------
# the averages
# ---------------------------------------------------------------------------------------------


def i2(C: ArrayLike) -> np.ndarray:
    """I2[a, b] = sqrt(C_aa C_bb) (sin th + (pi - th) cos th) / (2 pi), cos th = rho_ab (Cho & Saul 2009)."""
    C = np.asarray(C, dtype=float)
    var, pos, R, bad = _correlations(C)
    scale = np.sqrt(var[..., :, None] * var[..., None, :])
    return _nan_where(bad, scale * arccos_kernel(R))


def i3(C: ArrayLike, rows: int) -> np.ndarray:
    """I3[a, b, c] = sqrt(C_bb C_cc) [rho_ab sqrt(1 - rho_ac^2) + rho_bc (pi/2 + arcsin rho_ac)] / (2 pi)."""
    C = np.asarray(C, dtype=float)
    var, pos, R, bad = _correlations(C)
    sd = np.sqrt(var)
    rac = R[..., :rows, None, :]
    rab = R[..., :rows, :, None]
    rbc = R[..., None, :, :]
    val = rab * _sqrt_one_minus_sq(rac) / _TWO_PI + rbc * (0.25 + np.arcsin(rac) / _TWO_PI)
    val = val * (sd[..., None, :, None] * sd[..., None, None, :])
    return _nan_where(bad, np.where(pos[..., :rows, None, None], val, 0.0))


def j2(C: ArrayLike, rows: int) -> np.ndarray:
    """J2[a, b] = 1/4 + arcsin(rho_ab) / (2 pi) (0 if a field has zero variance)."""
    C = np.asarray(C, dtype=float)
    var, pos, R, bad = _correlations(C)
    p = pos[..., :rows]
    val = 0.25 + np.arcsin(R[..., :rows, :rows]) / _TWO_PI
    return _nan_where(bad, np.where(p[..., :, None] & p[..., None, :], val, 0.0))


def i4(C: ArrayLike, rows: int) -> np.ndarray:
    """I4[a, b, c, d] = E Theta(u_a) Theta(u_b) relu(u_c) relu(u_d): path quadrature (module docstring)."""
    C = np.asarray(C, dtype=float)
    batch, n = C.shape[:-2], C.shape[-1]
    Cf = C.reshape((-1, n, n))
    B = len(Cf)
    var, pos, R, bad = _correlations(Cf)
    sd = np.sqrt(var)
    idx, kind, pair, path, full = _i4_layout(rows, n)
    vals = np.empty((B, idx.shape[0]))
    # exact reductions of repeated indices
    k1 = np.nonzero(kind == 1)[0]
    x, y = pair[k1, 0], pair[k1, 1]
    vals[:, k1] = sd[:, x] * sd[:, y] * arccos_kernel(R[:, x, y])
    k2 = np.nonzero(kind == 2)[0]
    x, y = pair[k2, 0], pair[k2, 1]
    vals[:, k2] = var[:, y] * _theta_relu_sq(R[:, x, y])
    # generic tuples (and the remaining repeated-index ones): path integral on the 4 x 4 correlations
    if path.size:
        tup = idx[path]  # (P, 4)
        V = _pivoted_cholesky(R)  # (B, n, r)
        Vt = V[:, tup]  # (B, P, 4, r)
        R4 = R[:, tup[:, :, None], tup[:, None, :]]  # (B, P, 4, 4)
        g = _theta_theta_relu_relu(R4.reshape(-1, 4, 4), Vt.reshape((-1, 4, Vt.shape[-1])), None)
        vals[:, path] = g.reshape(B, path.size) * sd[:, tup[:, 2]] * sd[:, tup[:, 3]]
    alive = pos[:, idx[:, 0]] & pos[:, idx[:, 1]] & pos[:, idx[:, 2]] & pos[:, idx[:, 3]]
    vals = _nan_where(bad, np.where(alive, vals, 0.0))
    return vals[:, full].reshape(batch + full.shape)
