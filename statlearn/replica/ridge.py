r"""Closed forms of the asymptotic risk of ridge regression: isotropic Gaussian data (Hastie et al.)
and random features (Mei & Montanari). The saddle point of :mod:`statlearn.replica.erm` reproduces both
(tests/replica/test_erm_saddle.py); here they are in closed form.

**Isotropic data.** Ridge regression on isotropic Gaussian data (Hastie, Montanari, Rosset &
Tibshirani, "Surprises in high-dimensional ridgeless least squares interpolation", Ann. Statist.
2022, arXiv:1903.08560; Dobriban & Wager, Ann. Statist. 2018). Data: n samples y = x . beta + eps
with x ~ N(0, I_p), |beta|^2 = snr (the signal r^2), eps ~ N(0, noise); estimator

.. math:: \hat\beta_\lambda = (X^T X / n + \lambda I)^{-1} X^T y / n .

As n, p -> infinity with gamma = p / n fixed, the excess prediction risk
:math:`E_x (x\cdot(\hat\beta - \beta))^2 = |\hat\beta - \beta|^2` tends to (Hastie et al., Theorem 5)

.. math:: R(\lambda) = \underbrace{r^2 \lambda^2 m'(-\lambda)}_{\text{bias}}
          + \underbrace{\sigma^2 \gamma\,[m(-\lambda) - \lambda m'(-\lambda)]}_{\text{variance}},

with m the Stieltjes transform of the Marchenko-Pastur law of ratio gamma, the positive root of
:math:`m = 1 / (1 - \gamma + \lambda + \gamma\lambda m)` at z = -lambda, and
:math:`m' = m^2 (1 + \gamma m) / (1 + \gamma \lambda m^2)`. The ridgeless limit lambda -> 0+ is
(Theorems 1-2) :math:`\sigma^2\gamma/(1-\gamma)` for gamma < 1 and
:math:`r^2 (1 - 1/\gamma) + \sigma^2/(\gamma - 1)` for gamma > 1 (infinite at gamma = 1, the
interpolation peak); the optimal ridge is :math:`\lambda^\star = \gamma\sigma^2 / r^2`. In the
saddle point's conventions (isotropic model, alpha = n/p): Hastie's gamma = 1/alpha, his
lambda = our lambda / alpha, r^2 = rho, sigma^2 = Delta, and the optimal lambda is Delta / rho.

**Random features.** S. Mei and A. Montanari, "The generalization error of random features regression:
precise asymptotics and double descent curve", Comm. Pure Appl. Math. 75, 667 (2022),
arXiv:1908.05355: Definition 1 (the functions :math:`\nu_1, \nu_2`), Definition 2 (:math:`\chi`,
:math:`\mathcal E_0, \mathcal E_1, \mathcal E_2`, :math:`\mathscr B = \mathcal E_1/\mathcal E_0`,
:math:`\mathscr V = \mathcal E_2/\mathcal E_0`), Theorem 1 (the risk) and Theorem 2 (its ridgeless
limit). The formulas below were written from the paper's statement as recalled by the author
(the search tools available did not return the paper's text); every convention is checked
against finite-size simulations with the true nonlinear features and against the kernel limit
:math:`\gamma\to\infty`, which is derived independently (tests/replica/test_random_features_ridge.py),
and they agree to ~1e-11 with the general saddle point of :mod:`statlearn.replica.erm` on the
Marchenko-Pastur spectrum, an independent route (tests/replica/test_erm_saddle.py).

**Setting (our conventions).** Inputs :math:`x\sim N(0, I_D)`; teacher
:math:`y = \theta\cdot x/\sqrt D + \sqrt{\Delta}\,\eta` with :math:`\theta\sim N(0, I_D)`,
:math:`\eta\sim N(0,1)`, :math:`\Delta` = ``noise``; features :math:`v = \sigma(Fx/\sqrt D)\in\mathbb
R^P`, :math:`F_{ij}\sim N(0,1)`; ``alpha`` = N/D (samples), ``gamma`` = P/D (features);

.. math:: \hat w = \operatorname*{argmin}_w \sum_{\mu=1}^N \tfrac12\big(y_\mu - w\cdot v_\mu/\sqrt P\big)^2
          + \tfrac\lambda2 |w|^2 ,

and the excess risk :math:`R = E_x(\theta\cdot x/\sqrt D - \hat w\cdot v/\sqrt P)^2` (clean teacher,
no noise term) as :math:`N, P, D\to\infty` at fixed ``alpha``, ``gamma``.

**Mapping onto Mei & Montanari.** Their model is :math:`\hat f(x) = \sum_j a_j\sigma(\langle\theta_j,
x\rangle/\sqrt d)` fitted by :math:`\min_a \frac1n\sum_i(y_i - \hat f(x_i))^2 + \frac{N\lambda_{MM}}{d}|a|^2`
with :math:`N` features, :math:`n` samples, :math:`d` dimensions. With :math:`a = w/\sqrt P`, our
objective times :math:`2/N` is :math:`\frac1N\sum(y-a\cdot v)^2 + \frac{\lambda P}{N}|a|^2`, so

.. math:: \psi_1 = N_{MM}/d = \gamma,\quad \psi_2 = n/d = \alpha,\quad
          \lambda_{MM} = \lambda/\alpha,\quad \bar\lambda = \lambda_{MM}/\mu_\star^2 = \frac{\lambda}{\alpha\mu_\star^2},
          \quad \zeta = \mu_1/\mu_\star,\quad F_1^2 = 1,\ F_\star = 0,\ \tau^2 = \Delta,

with :math:`\mu_0 = E\sigma(G)`, :math:`\mu_1 = E G\sigma(G)`, :math:`\mu_\star^2 = E\sigma(G)^2 - \mu_0^2
- \mu_1^2` from :func:`statlearn.models.activations.gaussian_equivalence`. (Their inputs and
weights are uniform on the sphere of radius :math:`\sqrt d`; Gaussian ones have the same limit.)

**Definition 1.** For :math:`\xi\in\mathbb C_+`, :math:`\nu_1,\nu_2` are the solutions analytic in
:math:`\mathbb C_+` (with :math:`|\nu_i|\le\psi_i/\Im\xi` for large :math:`\Im\xi`) of

.. math:: \nu_1 = \psi_1\Big(-\xi - \nu_2 - \frac{\zeta^2\nu_2}{1-\zeta^2\nu_1\nu_2}\Big)^{-1},\qquad
          \nu_2 = \psi_2\Big(-\xi - \nu_1 - \frac{\zeta^2\nu_1}{1-\zeta^2\nu_1\nu_2}\Big)^{-1},

and :math:`\chi = \nu_1(\mathrm i s)\nu_2(\mathrm i s)`, :math:`s = (\psi_1\psi_2\bar\lambda)^{1/2}`.

**Definition 2 / Theorem 1.**

.. math::
    \mathcal E_0 &= -\chi^5\zeta^6 + 3\chi^4\zeta^4 + (\psi_1\psi_2-\psi_2-\psi_1+1)\chi^3\zeta^6
        - 2\chi^3\zeta^4 - 3\chi^3\zeta^2 + (\psi_1+\psi_2-3\psi_1\psi_2+1)\chi^2\zeta^4
        + 2\chi^2\zeta^2 + \chi^2 + 3\psi_1\psi_2\chi\zeta^2 - \psi_1\psi_2,\\
    \mathcal E_1 &= \psi_2\chi^3\zeta^4 - \psi_2\chi^2\zeta^2 + \psi_1\psi_2\chi\zeta^2 - \psi_1\psi_2,\\
    \mathcal E_2 &= \chi^5\zeta^6 - 3\chi^4\zeta^4 + (\psi_1-1)\chi^3\zeta^6 + 2\chi^3\zeta^4
        + 3\chi^3\zeta^2 - (\psi_1+1)\chi^2\zeta^4 - 2\chi^2\zeta^2 - \chi^2,

.. math:: R = F_1^2\,\mathcal E_1/\mathcal E_0 + (\tau^2 + F_\star^2)\,\mathcal E_2/\mathcal E_0 + F_\star^2
          \;\to\; \text{bias} + \text{variance} = \mathscr B + \Delta\,\mathscr V .

**Solving for** :math:`\chi`. At :math:`\xi = \mathrm i s` the solution is purely imaginary,
:math:`\nu_1 = \mathrm i a`, :math:`\nu_2 = \mathrm i b` with :math:`a, b > 0` (the symmetry
:math:`\nu(-\bar\xi) = -\overline{\nu(\xi)}` of Stieltjes-type functions), so :math:`\chi = -ab < 0`.
With :math:`q = ab` and :math:`u(q) = q + \zeta^2 q/(1+\zeta^2 q)` the equations become
:math:`a s = \psi_1 - u`, :math:`b s = \psi_2 - u`, hence the scalar equation

.. math:: s^2 q = (\psi_1 - u(q))(\psi_2 - u(q)),\qquad 0 < u(q) < \min(\psi_1, \psi_2).

:math:`u` increases from 0, so on that interval the right side decreases from :math:`\psi_1\psi_2`
to 0 while the left side increases: the root with :math:`a, b > 0` (positive imaginary parts) is
unique and is found by bisection to machine precision. To keep every quantity finite as
:math:`\mu_\star\to0` (linear activation, :math:`\zeta\to\infty`, :math:`\bar\lambda\to\infty`) we
solve for :math:`p = q/\mu_\star^2`, in which :math:`s^2 q = \gamma\lambda p`,
:math:`u = \mu_\star^2 p + \mu_1^2 p/(1 + \mu_1^2 p)`, and write the polynomials in
:math:`\chi = -\mu_\star^2 p` and :math:`c = \chi\zeta^2 = -\mu_1^2 p` (every monomial
:math:`\chi^k\zeta^{2l}` has :math:`k\ge l`). At :math:`\lambda = 0` the root is :math:`u(q) =
\min(\psi_1,\psi_2)`, i.e. Theorem 2's :math:`\chi = -[(\psi\zeta^2-\zeta^2-1) +
\sqrt{(\psi\zeta^2-\zeta^2-1)^2 + 4\psi\zeta^2}]/(2\zeta^2)`, :math:`\psi = \min(\psi_1,\psi_2)`,
the limit :math:`\lambda\to0^+` (infinite variance at :math:`\psi_1 = \psi_2`; the ridgeless
linear case :math:`\mu_\star = 0` is refused).

**The constant component** :math:`\mu_0` (ReLU). Theorem 1 holds for any activation satisfying
the paper's growth assumption, and its limit does not involve :math:`\mu_0`: the constant part of
the features adds a rank-one term :math:`\mu_0^2\mathbf 1\mathbf 1^\top` to the kernel matrix,
whose effect on the prediction is :math:`O(N^{-1/2})` and on the risk :math:`O(1/N)`. Here
:math:`\mu_0` is therefore ignored; the simulations with ReLU features (with their constant part)
agree with the formula.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from statlearn.models.activations import gaussian_equivalence
from statlearn.numerics.validation import as_real_array, as_real_scalar

__all__ = ["RidgeRisk", "marchenko_pastur_stieltjes", "ridge_isotropic", "RandomFeaturesRisk", "random_features_ridge"]


class RidgeRisk(NamedTuple):
    """Asymptotic excess risk of ridge regression and its bias and variance parts (arrays)."""

    risk: np.ndarray | float
    bias: np.ndarray | float
    variance: np.ndarray | float


def marchenko_pastur_stieltjes(gamma: ArrayLike, lam: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(m(-lam), m'(-lam)) of the Marchenko-Pastur law of ratio gamma = p/n, for lam > 0.

    m = 2 / (1 - gamma + lam + sqrt((1 - gamma + lam)^2 + 4 gamma lam)), the root of
    gamma lam m^2 + (1 - gamma + lam) m - 1 = 0 written without cancellation.
    """
    gamma, lam = _broadcast(
        as_real_array("gamma", gamma, minimum=0.0, strict_minimum=True),
        as_real_array("lam", lam, minimum=0.0, strict_minimum=True),
    )
    with np.errstate(all="ignore"):
        m, dm = _stieltjes(gamma, lam)
    _finite(m, dm)
    return m, dm


def _broadcast(gamma: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    try:
        g, l_ = np.broadcast_arrays(gamma, lam)
        return g, l_
    except ValueError:
        raise ValueError(f"gamma and lam must broadcast, got shapes {gamma.shape} and {lam.shape}") from None


def _finite(*values: np.ndarray | float, allowed: np.ndarray | bool = False) -> None:
    """ValueError naming gamma and lam where a closed form overflowed (inf outside ``allowed``, or NaN)."""
    for value in values:
        if np.any(np.isnan(value) | (np.isinf(value) & ~np.asarray(allowed))):
            raise ValueError("gamma and lam are too extreme for the closed form in double precision")


def _stieltjes(gamma: np.ndarray, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = 1.0 - gamma + lam
    root = np.sqrt(b * b + 4.0 * gamma * lam)
    # For b < 0 (gamma > 1 + lam) the sum b + root cancels: use m = (root - b) / (2 gamma lam) there.
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(b >= 0, 2.0 / (b + root), (root - b) / (2.0 * gamma * lam))
    dm = m * m * (1.0 + gamma * m) / (1.0 + gamma * lam * m * m)
    return m, dm


def ridge_isotropic(gamma: ArrayLike, lam: ArrayLike, snr: float, noise: float) -> RidgeRisk:
    """Asymptotic excess risk of ridge regression on isotropic Gaussian data (module docstring).

    Parameters
    ----------
    gamma
        p / n > 0 (features per sample), array.
    lam
        Ridge penalty >= 0, array broadcast with ``gamma``; 0 is the ridgeless (min-norm) limit.
    snr
        r^2 = |beta|^2 >= 0, the signal strength.
    noise
        sigma^2 >= 0, the label-noise variance.

    Returns
    -------
    RidgeRisk
        ``risk = bias + variance``, each with the broadcast shape; ``inf`` at gamma = 1, lam = 0
        when noise > 0.
    """
    gamma = as_real_array("gamma", gamma, minimum=0.0, strict_minimum=True)
    lam = as_real_array("lam", lam, minimum=0.0)
    snr = as_real_scalar("snr", snr, minimum=0.0)
    noise = as_real_scalar("noise", noise, minimum=0.0)
    gamma, lam = _broadcast(gamma, lam)
    positive = lam > 0
    with np.errstate(all="ignore"):
        risk = _ridge(gamma, lam, positive, snr, noise)
    _finite(*risk, allowed=(lam == 0) & (gamma == 1))
    return risk


def _ridge(gamma: np.ndarray, lam: np.ndarray, positive: np.ndarray, snr: float, noise: float) -> RidgeRisk:
    m, dm = _stieltjes(gamma, np.where(positive, lam, 1.0))
    bias = np.where(positive, snr * lam**2 * dm, np.where(gamma > 1, snr * (1.0 - 1.0 / gamma), 0.0))
    if noise > 0:
        with np.errstate(divide="ignore"):  # the interpolation peak gamma = 1 is infinite
            ridgeless = noise * np.where(gamma < 1, gamma / np.abs(1.0 - gamma), 1.0 / np.abs(gamma - 1.0))
    else:  # no noise, no variance (not 0 * inf at the peak)
        ridgeless = np.zeros_like(gamma)
    variance = np.where(positive, noise * gamma * (m - lam * dm), ridgeless)
    return RidgeRisk((bias + variance)[()], bias[()], variance[()])


class RandomFeaturesRisk(NamedTuple):
    """Asymptotic excess risk of random-features ridge regression: ``risk = bias + variance``."""

    risk: np.ndarray | float
    bias: np.ndarray | float
    variance: np.ndarray | float


def random_features_ridge(
    alpha: ArrayLike,
    gamma: ArrayLike,
    lam: ArrayLike,
    activation: str | Callable[[np.ndarray], np.ndarray],
    *,
    noise: float = 0.0,
) -> RandomFeaturesRisk:
    r"""Asymptotic test error of random-features ridge regression (Mei & Montanari 2019, Thm 1).

    The excess risk :math:`E_x(\theta\cdot x/\sqrt D - \hat w\cdot v/\sqrt P)^2` of the ridge
    estimator on features :math:`v = \sigma(Fx/\sqrt D)` for a linear teacher
    :math:`y = \theta\cdot x/\sqrt D + \sqrt{\mathrm{noise}}\,\eta` (module docstring), equal to

    .. math:: R = \mathscr B(\zeta,\psi_1,\psi_2,\bar\lambda) + \mathrm{noise}\cdot
              \mathscr V(\zeta,\psi_1,\psi_2,\bar\lambda),\qquad
              \psi_1 = \gamma,\ \psi_2 = \alpha,\ \zeta = \mu_1/\mu_\star,\
              \bar\lambda = \lambda/(\alpha\mu_\star^2),

    with :math:`\mathscr B = \mathcal E_1/\mathcal E_0`, :math:`\mathscr V = \mathcal E_2/\mathcal E_0`
    the rational functions of :math:`\chi = \nu_1\nu_2` of Mei & Montanari's Definition 2.

    Parameters
    ----------
    alpha
        N / D > 0, samples per input dimension (array).
    gamma
        P / D > 0, features per input dimension (array, broadcast with ``alpha``).
    lam
        Ridge penalty >= 0 on :math:`\tfrac\lambda2|w|^2` with the un-normalised square loss
        :math:`\sum_\mu \tfrac12(y_\mu - w\cdot v_\mu/\sqrt P)^2` (array, broadcast); 0 is the
        ridgeless (minimum-norm) limit :math:`\lambda\to0^+`.
    activation
        ``"relu"``, ``"erf"``, ``"tanh"``, ``"sign"`` or a vectorised callable; only its
        Gaussian-equivalence coefficients :math:`(\mu_1, \mu_\star)` enter (:math:`\mu_0` does not).
    noise
        Label-noise variance :math:`\Delta = \tau^2 \ge 0`.

    Returns
    -------
    RandomFeaturesRisk
        ``(risk, bias, variance)`` with the broadcast shape (floats for scalar input);
        ``bias = B``, ``variance = noise * V``. At ``lam = 0``, ``gamma = alpha`` (the
        interpolation peak) the bias is infinite, and so is the variance when ``noise > 0``.

    Raises
    ------
    ValueError
        A parameter outside its range (the message names it), an activation with
        :math:`\mu_1 = \mu_\star = 0`, or ``lam = 0`` with a linear activation (:math:`\mu_\star = 0`).
    """
    alpha = as_real_array("alpha", alpha, minimum=0.0, strict_minimum=True)
    gamma = as_real_array("gamma", gamma, minimum=0.0, strict_minimum=True)
    lam = as_real_array("lam", lam, minimum=0.0)
    noise = as_real_scalar("noise", noise, minimum=0.0)
    mu0, mu1, mu_star = gaussian_equivalence(activation)
    # The quadrature leaves mu_star^2 ~ 1e-16 E sigma^2 for a linear or constant sigma.
    scale = mu0 * mu0 + mu1 * mu1 + mu_star * mu_star
    if mu_star * mu_star <= 1e-13 * scale:
        mu_star = 0.0
    if mu1 * mu1 <= 1e-13 * scale:
        mu1 = 0.0
    if mu1 == 0.0 and mu_star == 0.0:
        raise ValueError("activation has mu1 = mu_star = 0 (constant): the predictor is a constant, risk 1")
    try:
        alpha, gamma, lam = np.broadcast_arrays(alpha, gamma, lam)
    except ValueError:
        raise ValueError(
            f"alpha, gamma and lam must broadcast, got shapes {alpha.shape}, {gamma.shape} and {lam.shape}"
        ) from None
    if mu_star == 0.0 and np.any(lam == 0.0):
        raise ValueError("lam = 0 (ridgeless) needs a nonlinear activation (mu_star > 0); use lam > 0")

    p = _solve_p(alpha, gamma, lam, mu1, mu_star)
    bias, vfactor = _bias_variance_factors(alpha, gamma, mu1, mu_star, p)
    # Ridgeless interpolation peak psi1 = psi2: E0 = 0 exactly (rounding leaves ~1e-16).
    peak = (lam == 0.0) & (alpha == gamma)
    bias = np.where(peak, np.inf, bias)
    vfactor = np.where(peak, np.inf, vfactor)
    variance = noise * vfactor if noise > 0.0 else np.zeros_like(bias)
    risk = bias + variance
    return RandomFeaturesRisk(risk[()], bias[()], variance[()])


def _u(p: np.ndarray, mu1: float, mu_star: float) -> np.ndarray:
    """u = q + zeta^2 q / (1 + zeta^2 q) at q = mu_star^2 p."""
    m1p = mu1 * mu1 * p
    return mu_star * mu_star * p + m1p / (1.0 + m1p)


def _solve_p(alpha: np.ndarray, gamma: np.ndarray, lam: np.ndarray, mu1: float, mu_star: float) -> np.ndarray:
    r"""The root p = -chi / mu_star^2 of gamma lam p = (psi1 - u)(psi2 - u), u < min(psi1, psi2).

    Bisection of the nondecreasing G(p) = gamma lam p - (psi1 - u)_+ (psi2 - u)_+ on
    [0, p_hi], p_hi = min(min(psi1, psi2) / mu_star^2, psi1 psi2 / (gamma lam)), both bounds of the
    root (u >= mu_star^2 p, and the right side is <= psi1 psi2); iterated until the bracket
    cannot be halved in floating point.
    """
    psi1, psi2 = gamma, alpha
    psi_min = np.minimum(psi1, psi2)
    with np.errstate(divide="ignore"):
        hi1 = psi_min / (mu_star * mu_star) if mu_star > 0 else np.full_like(psi_min, np.inf)
        hi2 = np.where(lam > 0, psi1 * psi2 / np.where(lam > 0, gamma * lam, 1.0), np.inf)
    hi = np.minimum(hi1, hi2).astype(float)
    lo = np.zeros_like(hi)
    if not np.all(np.isfinite(hi)):  # pragma: no cover - excluded by the caller's checks
        raise ValueError("no finite bracket for chi")

    def G(p: np.ndarray) -> np.ndarray:
        u = _u(p, mu1, mu_star)
        return gamma * lam * p - np.maximum(psi1 - u, 0.0) * np.maximum(psi2 - u, 0.0)

    for _ in range(2200):  # more than enough to exhaust float64 from any bracket
        mid = lo + 0.5 * (hi - lo)
        active = (mid > lo) & (mid < hi)
        if not np.any(active):
            break
        below = G(mid) < 0.0
        lo = np.where(active & below, mid, lo)
        hi = np.where(active & ~below, mid, hi)
    return 0.5 * (lo + hi)


def _bias_variance_factors(
    alpha: np.ndarray, gamma: np.ndarray, mu1: float, mu_star: float, p: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(B, V) = (E1/E0, E2/E0) of Definition 2, in chi = -mu_star^2 p and c = chi zeta^2 = -mu1^2 p."""
    psi1, psi2 = gamma, alpha
    x = -mu_star * mu_star * p  # chi
    c = -mu1 * mu1 * p  # chi zeta^2
    x2, c2, c3 = x * x, c * c, c * c * c
    pp = psi1 * psi2
    e0 = (
        -c3 * x2
        + 3.0 * c2 * x2
        + (pp - psi2 - psi1 + 1.0) * c3
        - 2.0 * c2 * x
        - 3.0 * c * x2
        + (psi1 + psi2 - 3.0 * pp + 1.0) * c2
        + 2.0 * c * x
        + x2
        + 3.0 * pp * c
        - pp
    )
    e1 = psi2 * c2 * x - psi2 * c * x + pp * c - pp
    e2 = (
        c3 * x2 - 3.0 * c2 * x2 + (psi1 - 1.0) * c3 + 2.0 * c2 * x + 3.0 * c * x2 - (psi1 + 1.0) * c2 - 2.0 * c * x - x2
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        bias = e1 / e0
        vfac = e2 / e0
    singular = e0 == 0.0
    bias = np.where(singular, np.inf, bias)
    vfac = np.where(singular, np.inf, vfac)
    return bias, vfac


def _nu_mei_montanari(
    psi1: ArrayLike, psi2: ArrayLike, zeta: float, lambda_bar: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    r"""(nu1, nu2) of Definition 1 at xi = i sqrt(psi1 psi2 lambda_bar), lambda_bar > 0 (for checks).

    In Mei & Montanari's variables (mu_star = 1, mu1 = zeta): nu1 = i (psi1 - u)/s,
    nu2 = i (psi2 - u)/s with s = sqrt(psi1 psi2 lambda_bar).
    """
    psi1, psi2, lambda_bar = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (psi1, psi2, lambda_bar)))
    # gamma lam = psi1 psi2 lambda_bar with mu_star = 1: lam = psi2 lambda_bar.
    q = _solve_p(psi2, psi1, psi2 * lambda_bar, float(zeta), 1.0)
    s = np.sqrt(psi1 * psi2 * lambda_bar)
    # nu1 = i a, nu2 = i b with ab = q and b - a = (psi2 - psi1)/s, solved without cancellation
    # (a s = psi1 - u cancels when psi1 ~ u, i.e. at small lambda_bar for psi1 < psi2).
    delta = np.abs(psi2 - psi1) / s
    big = 0.5 * (delta + np.sqrt(delta * delta + 4.0 * q))
    small = q / big
    a = np.where(psi1 >= psi2, big, small)
    b = np.where(psi1 >= psi2, small, big)
    return 1j * a, 1j * b
