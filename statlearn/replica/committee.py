r"""Bayes-optimal committee machine: replica formula and state evolution with K x K overlaps.

Teacher weights :math:`W^*\in\mathbb{R}^{N\times K}` with i.i.d. rows from :math:`P_0` on :math:`\mathbb{R}^K`
(Gaussian :math:`N(0, I_K)`, or Rademacher: uniform on :math:`\{\pm1\}^K`), Gaussian inputs, ``alpha`` = M/N
samples per weight, labels :math:`y = \operatorname{sign}\sum_{l=1}^K \operatorname{sign}(w_l^*\cdot x/\sqrt N)`
(Schwarze & Hertz, Europhys. Lett. 21, 785 (1993); Aubin, Maillard, Barbier, Krzakala, Macris & Zdeborová,
"The committee machine: computational to statistical gaps in learning a two-layers neural network",
NeurIPS 2018). For even K a tie gives :math:`y = 0` (the convention :math:`\operatorname{sign}(0) = 0` of
Aubin et al.'s state evolution): for K = 2 the label is 0 when the two hidden units disagree, with
probability 1/2. The free entropy is the replica formula (proven by Aubin et al. 2018)

.. math::
    f(\alpha) = \operatorname{extr}_{q,\hat r}\Big[\psi_{P_0}(\hat r) + \alpha\Psi_{out}(q)
    - \tfrac12\operatorname{Tr}\hat r q\Big],

with K x K matrices :math:`q` (the overlap :math:`\mathbb{E}\,\hat W^\top W^*/N` of the posterior mean, equal
to its self-overlap on the Nishimori line) and :math:`\hat r`,

.. math::
    \psi_{P_0}(\hat r) = \mathbb{E}\ln\!\int\! dP_0(w)\, e^{B^\top w - w^\top\hat r w/2},\quad
    B = \hat r W_0 + \hat r^{1/2}\xi, \qquad
    \Psi_{out}(q) = \mathbb{E}_\xi\sum_y Z_y\ln Z_y,\quad
    Z_y(\omega, V) = P_{z\sim N(\omega, V)}(y\,|\,z),

at :math:`\omega = q^{1/2}\xi`, :math:`V = I - q`. Its stationarity conditions are the state evolution of the
committee AMP: :math:`\hat r = \alpha\,\mathbb{E}_\xi\sum_y \nabla_\omega Z_y\nabla_\omega Z_y^\top / Z_y`
(:math:`= 2\alpha\,\partial_q\Psi_{out}`) and :math:`q = \mathbb{E}\,f f^\top` (:math:`= 2\partial_{\hat r}\psi`),
with :math:`f` the posterior mean of :math:`w` in the K-dimensional Gaussian channel.

**Permutation symmetry.** The channel and both priors are invariant under permutations of the hidden units,
and so is the fixed point reached from a symmetric start: :math:`q = q_\perp I + (q_\parallel - q_\perp)
\mathbf{1}\mathbf{1}^\top/K`, with eigenvalue :math:`q_\parallel` on :math:`e = \mathbf{1}/\sqrt K` (the
overlap of the committee's sum) and :math:`q_\perp` on its complement. The fixed point is then a problem in two
numbers. :math:`q_\perp = 0` is invariant (the channel is even under :math:`z_\perp\to -z_\perp`): the
**non-specialised** branch, where the student learns only the sum of the teacher's units; :math:`q_\perp > 0`
is the **specialised** branch, where each student unit follows one teacher unit.

**The K = 2 integrals.** In the coordinates :math:`z_\parallel = (z_1 + z_2)/\sqrt2`,
:math:`z_\perp = (z_1 - z_2)/\sqrt2` the Gaussian :math:`N(\omega, V)` factorises, and
:math:`y = +1 \iff z_\parallel > |z_\perp|`, :math:`y = -1 \iff z_\parallel < -|z_\perp|`,
:math:`y = 0 \iff |z_\parallel| < |z_\perp|`: every :math:`Z_y` is an orthant probability of a bivariate
normal, written as a one-dimensional integral over the coordinate of smaller variance (conditioned on it the
other one enters through :math:`\Phi`, smooth on the Gaussian's own scale) split at its kink, and computed with
the half-line rule of :func:`statlearn.numerics.gaussian.gaussian_expectation`. The gradients are closed forms:
:math:`\partial_{\omega_1} P(z_1 > 0, z_2 > 0) = \varphi(m_1/\sqrt v)/\sqrt v\;
\Phi\big((m_2 - c\, m_1/v)/\sqrt{V_\parallel V_\perp / v}\big)`, with :math:`m = \omega`, :math:`v = V_{11}`,
:math:`c = V_{12}`. The outer average over :math:`\xi` is a tensor-product Gauss-Hermite rule
(:func:`statlearn.numerics.gaussian.hermite_product_rule`), folded by the symmetry
:math:`\xi_\perp\to-\xi_\perp`. K = 1 is the sign perceptron (:math:`Z_\pm = \Phi(\pm\omega/\sqrt V)`): it must
reproduce :func:`statlearn.replica.glm.bayes_optimal` with the sign channel.

**The K = 3 integrals.** For odd K there are no ties: :math:`y = \pm1` is the majority vote, :math:`Z_- = 1 - Z_+`.
Conditioned on :math:`s = z\cdot e` (variance :math:`V_\parallel`), :math:`z_i = s/\sqrt3 + x_i`, where
:math:`x_i = f_i\cdot z_\perp` are the projections on the plane orthogonal to :math:`\mathbf 1` (isotropic there,
variance :math:`V_\perp`), with variance :math:`\tfrac23 V_\perp`, pairwise correlation :math:`-\tfrac12` and zero
sum. Since the :math:`x_i` sum to zero, no three of them exceed :math:`|s|/\sqrt3`: for :math:`s < 0` the label is
+1 iff exactly two do, a disjoint union over the three pairs, so :math:`P(+|s)` is a sum of three bivariate normal
cdfs at correlation :math:`-\tfrac12` (Plackett's formula: a Gauss-Legendre integral over :math:`[-\pi/6, 0]`), and
likewise :math:`P(-|s)` for :math:`s > 0`. The outer integral over :math:`s` is split at its kink :math:`s = 0`
(half-line rules); the gradient along :math:`e` carries the score :math:`(s - \omega_\parallel)/V_\parallel`, that in
the plane the closed-form derivative :math:`\partial_h\Phi_2(h, k; \rho) = \varphi(h)\Phi((k - \rho h)/\sqrt{1-\rho^2})`.
This one reduction holds for either sign of :math:`V_\parallel - V_\perp` (the tests check it against Monte Carlo,
against scipy's trivariate orthant probabilities and, for :math:`V_\parallel > V_\perp`, against the common-factor
reduction :math:`E_t[p_1p_2 + p_1p_3 + p_2p_3 - 2p_1p_2p_3]`). The average over :math:`\xi\in\mathbb R^3` is
Gauss-Hermite in :math:`\xi_\parallel` times polar coordinates in the plane (Gauss-Laguerre in
:math:`|\xi_\perp|^2/2`, the trapezoid rule in the angle over the sector :math:`[0, \pi/3]` of the permutation
symmetry), folded by :math:`\omega\to-\omega`. The 0-1 error :math:`\mathbb E\min(Z_+, Z_-)` is split where
:math:`Z_+ = 1/2` (monotone in :math:`\xi_\parallel`: bisection polished by Newton steps).

**Priors.** The Gaussian prior factorises along the eigenvectors of :math:`\hat r`: each eigenvalue is one scalar
Gaussian channel of :class:`statlearn.models.priors.GaussianPrior` (:math:`q = \hat r/(1 + \hat r)`,
:math:`\psi = \tfrac12[\operatorname{Tr}\hat r - \ln\det(I + \hat r)]`). The Rademacher prior couples the units
(:math:`w^\top\hat r w` has the cross terms :math:`\hat r_{12} w_1 w_2`): its averages are sums over the
:math:`2^K` atoms inside a K-dimensional Gauss-Hermite rule (K = 1: :class:`~statlearn.models.priors.RademacherPrior`).

**Errors.** The Bayes-optimal classifier predicts the most probable label, :math:`\hat y = \arg\max_y Z_y(\omega,
V)`, so its test error is :math:`\epsilon_g = 1 - \mathbb{E}_\xi\max_y Z_y` (for K = 1,
:math:`\arccos(\sqrt q)/\pi`). Aubin et al. report the squared error of the posterior-mean label,
:math:`\tfrac12\mathbb{E}(\mathbb{E}[y|\text{data}] - y)^2 = \tfrac12\big(\mathbb{E}y^2 -
\mathbb{E}_\xi(Z_{+} - Z_{-})^2\big)` (Nishimori identity), returned as ``squared_error``.

**Range.** The outer Gauss-Hermite rule resolves :math:`Z_y(q^{1/2}\xi)`, which varies on the scale
:math:`\sqrt{(1-q)/q}` in :math:`\xi`: it is accurate to ~1e-9 while the eigenvalues of :math:`q` stay below
``Q_MAX`` (loads up to a few times the transition). A Rademacher fixed point beyond ``PERFECT`` (both
eigenvalues) is perfect recovery, :math:`q = I` (the state evolution runs into it; :math:`f = -K\ln2`); a
Gaussian-prior fixed point beyond ``Q_MAX`` is reported ``converged=False``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from statlearn.models.priors import GaussianPrior, RademacherPrior
from statlearn.numerics.fixedpoint import ConvergenceWarning, fixed_point
from statlearn.numerics.gaussian import gaussian_expectation, hermite_product_rule, hermite_rule
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.roots import bracket_root
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar, brief

__all__ = [
    "CommitteeState",
    "SpecializationThreshold",
    "bayes_optimal",
    "committee_channel",
    "committee_prior",
    "specialization_threshold",
    "stability",
    "state_evolution_trajectory",
    "symmetric_overlap",
]

K_VALUES = (1, 2, 3)
"""Numbers of hidden units supported."""

PRIORS = ("gaussian", "rademacher")
INITS = ("non-specialised", "specialised")

Q_MAX = 0.995
"""Largest eigenvalue of the overlap the state evolution is iterated at (the outer rule's range)."""

PERFECT = 0.99
"""Rademacher prior: both eigenvalues beyond it and still rising is perfect recovery (q = I)."""

_OUTER_ORDER = 64  # Gauss-Hermite nodes per outer axis (xi_parallel, xi_perp)
_K1_ORDER = 121  # nodes of the K = 1 outer rule
_PRIOR_ORDER = 48  # nodes per axis of the Rademacher prior's K-dimensional rule (K = 2)
_PRIOR_ORDER_K3 = 48  # the same for K = 3 (48**3 nodes)
_RADIAL_ORDER = 16  # Gauss-Laguerre nodes in |xi_perp|^2 / 2 (K = 3)
_ANGULAR_STEPS = 6  # trapezoid steps of the angle of xi_perp over the fundamental sector [0, pi/3] (K = 3)
_PLACKETT_ORDER = 10  # Gauss-Legendre nodes of the bivariate normal cdf at correlation -1/2
_SPECIALISED_START = 0.9  # both eigenvalues of the specialised start
_ALPHA_MAX = 100.0


def _validate(K: object, prior: object) -> tuple[int, str]:
    k = as_count("K", K, minimum=1)
    if k not in K_VALUES:
        raise ValueError(f"K must be one of {K_VALUES}, got {brief(K)}")
    if not isinstance(prior, str):
        raise TypeError(f"prior must be one of {PRIORS}, got {brief(prior)}")
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {PRIORS}, got {brief(prior)}")
    return k, prior


def symmetric_overlap(K: int, q_parallel: float, q_perp: float) -> np.ndarray:
    r"""The K x K matrix :math:`q_\perp I + (q_\parallel - q_\perp)\mathbf 1\mathbf 1^\top/K` (eigenvalue
    :math:`q_\parallel` on :math:`\mathbf 1/\sqrt K`, :math:`q_\perp` on its complement)."""
    k = as_count("K", K, minimum=1)
    a = as_real_scalar("q_parallel", q_parallel)
    b = as_real_scalar("q_perp", q_perp)
    return b * np.eye(k) + (a - b) * np.ones((k, k)) / k


def _eigenvalues(K: int, Q: np.ndarray) -> tuple[float, float]:
    """(q_parallel, q_perp) of a K x K matrix: its quadratic form on 1/sqrt K and the mean of the rest of its trace."""
    e = np.ones(K) / np.sqrt(K)
    par = float(e @ Q @ e)
    perp = float((np.trace(Q) - par) / (K - 1)) if K > 1 else 0.0
    return par, perp


# -- the output channel --------------------------------------------------------------------------------------


def _sides(g, mean: np.ndarray, sd: float, *params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`\int_{x>0}` and :math:`\int_{x<0}` of :math:`g(|x|)` against :math:`N(\text{mean}, \text{sd}^2)`,
    each by the half-line rule (``g(c, *params)`` smooth in :math:`c \ge 0`)."""
    t0 = -mean / sd
    plus = gaussian_expectation(lambda t, m, *p: g(m + sd * t, *p), mean, *params, lower=t0)
    minus = gaussian_expectation(lambda t, m, *p: g(sd * t - m, *p), mean, *params, lower=-t0)
    return np.asarray(plus), np.asarray(minus)


def _inside(c: np.ndarray, mean: np.ndarray, sd: float) -> np.ndarray:
    r""":math:`P(|x| < c)` for :math:`x\sim N(\text{mean}, \text{sd}^2)`, ``c`` >= 0, ``mean`` >= 0 (no cancellation:
    :math:`\Phi(a) - \Phi(b)` with :math:`b \le 0` and :math:`a + b \le 0`)."""
    return special.ndtr((c - mean) / sd) - special.ndtr((-c - mean) / sd)


def _outside(c: np.ndarray, mean: np.ndarray, sd: float) -> np.ndarray:
    r""":math:`P(|x| > c)` for :math:`x\sim N(\text{mean}, \text{sd}^2)`, ``c`` >= 0 (a sum of two tails)."""
    return special.ndtr((mean - c) / sd) + special.ndtr((-c - mean) / sd)


def _label_probabilities_k2(w_par: np.ndarray, w_perp: np.ndarray, v_par: float, v_perp: float):
    r""":math:`(Z_{+}, Z_{-}, Z_0)` of the K = 2 committee at means :math:`(\omega_\parallel, \omega_\perp \ge 0)` and
    variances :math:`(V_\parallel, V_\perp)`, integrating over the coordinate of smaller variance."""
    s_par, s_perp = np.sqrt(v_par), np.sqrt(v_perp)
    if v_par <= v_perp:  # condition on z_par; z_perp enters through |z_perp| < z_par
        plus, minus = _sides(lambda c, m: _inside(c, m, s_perp), w_par, s_par, w_perp)
        out = _sides(lambda c, m: _outside(c, m, s_perp), w_par, s_par, w_perp)
        return plus, minus, out[0] + out[1]
    a_par = np.abs(w_par)  # P(|z_par| < c) depends on |omega_par| only
    parts = (
        _sides(lambda c, m: special.ndtr((m - c) / s_par), w_perp, s_perp, w_par),
        _sides(lambda c, m: special.ndtr((-c - m) / s_par), w_perp, s_perp, w_par),
        _sides(lambda c, m: _inside(c, m, s_par), w_perp, s_perp, a_par),
    )
    return tuple(a + b for a, b in parts)


def _label_gradients_k2(w_par: np.ndarray, w_perp: np.ndarray, v_par: float, v_perp: float):
    r"""Gradients of :math:`Z_{+}, Z_{-}, Z_0` along :math:`e_\parallel` and :math:`e_\perp` (closed forms in
    :math:`\varphi, \Phi`: the density of one field at 0 times the conditional probability of the other's sign)."""
    m1, m2 = (w_par + w_perp) / np.sqrt(2.0), (w_par - w_perp) / np.sqrt(2.0)
    v, c = 0.5 * (v_par + v_perp), 0.5 * (v_par - v_perp)
    sd_cond = np.sqrt(v_par * v_perp / v)
    with np.errstate(divide="ignore", invalid="ignore"):
        a1 = (m2 - c * m1 / v) / sd_cond  # z2 given z1 = 0
        a2 = (m1 - c * m2 / v) / sd_cond
    d1 = np.exp(-0.5 * m1 * m1 / v) / np.sqrt(2.0 * np.pi * v)
    d2 = np.exp(-0.5 * m2 * m2 / v) / np.sqrt(2.0 * np.pi * v)
    plus = (d1 * special.ndtr(a1), d2 * special.ndtr(a2))
    minus = (-d1 * special.ndtr(-a1), -d2 * special.ndtr(-a2))
    tie = (d1 * (special.ndtr(-a1) - special.ndtr(a1)), d2 * (special.ndtr(-a2) - special.ndtr(a2)))
    r2 = np.sqrt(2.0)
    return [((g1 + g2) / r2, (g1 - g2) / r2) for g1, g2 in (plus, minus, tie)]


# K = 3: in the plane orthogonal to 1 the projections f_i of the unit vectors e_i lie at 120 degrees.
_PLANE = np.sqrt(2.0 / 3.0) * np.array([[1.0, 0.0], [-0.5, 0.5 * np.sqrt(3.0)], [-0.5, -0.5 * np.sqrt(3.0)]])
r"""Rows: the coordinates of :math:`f_i = (I - \mathbf 1\mathbf 1^\top/3) e_i` in an orthonormal basis of the plane."""
_PAIRS = ((0, 1), (0, 2), (1, 2))


def _plackett_rule() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Nodes :math:`\sin\theta, \cos^2\theta` and weights (including :math:`1/2\pi`) of the Gauss-Legendre rule on
    :math:`\theta\in[-\pi/6, 0]`."""
    x, w = np.polynomial.legendre.leggauss(_PLACKETT_ORDER)
    theta = -np.pi / 12.0 * (x + 1.0)
    return np.sin(theta), np.cos(theta) ** 2, w / 24.0


_SIN, _COS2, _W_PLACKETT = _plackett_rule()


def _orthant_pair(h: np.ndarray, k: np.ndarray) -> np.ndarray:
    r"""Bivariate normal cdf :math:`\Phi_2(h, k; -\tfrac12)` by Plackett's formula in Drezner & Wesolowsky's angle
    variable: :math:`\Phi(h)\Phi(k) - \frac1{2\pi}\int_{-\pi/6}^0 \exp\!\big(-\frac{h^2 + k^2 - 2hk\sin\theta}
    {2\cos^2\theta}\big) d\theta` (a smooth integrand: Gauss-Legendre)."""
    h3, k3 = h[..., None], k[..., None]
    e = np.exp(-(h3 * h3 + k3 * k3 - 2.0 * h3 * k3 * _SIN) / (2.0 * _COS2))
    return special.ndtr(h) * special.ndtr(k) - e @ _W_PLACKETT


def _two_above(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""For three fields :math:`x_i` with pairwise correlation :math:`-\tfrac12` (summing to zero) and standardised
    thresholds ``h[..., i]`` (:math:`(\mu_i - c)/\sigma`, :math:`c \ge 0`): :math:`P(\text{at least two } x_i > c)
    = \sum_{i<j}\Phi_2(h_i, h_j; -\tfrac12)` (all three above :math:`c \ge 0` is impossible) and its gradient in
    ``h``, :math:`\partial_{h_i} = \varphi(h_i)\sum_{j\ne i}\Phi\big((h_j + h_i/2)/(\sqrt3/2)\big)`."""
    value = np.sum([_orthant_pair(h[..., i], h[..., j]) for i, j in _PAIRS], axis=0)
    density = np.exp(-0.5 * h * h) / np.sqrt(2.0 * np.pi)
    grad = [
        density[..., i]
        * sum(special.ndtr((h[..., j] + 0.5 * h[..., i]) * (2.0 / np.sqrt(3.0))) for j in range(3) if j != i)
        for i in range(3)
    ]
    return value, np.stack(grad, axis=-1)


def _label_probabilities_k3(w_par: np.ndarray, mu: np.ndarray, v_par: float, v_perp: float):
    r""":math:`Z_+, Z_-`, :math:`\partial Z_+/\partial\omega_\parallel` and :math:`\partial Z_+/\partial\mu_i` of the
    K = 3 committee at the mean :math:`\omega = \omega_\parallel e + \omega_\perp` with plane projections
    ``mu[..., i]`` :math:`= \mu_i = f_i\cdot\omega_\perp` and covariance :math:`V_\parallel ee^\top + V_\perp(I - ee^\top)`.

    Conditioned on :math:`s = z\cdot e`, :math:`z_i = s/\sqrt3 + x_i` with :math:`x\sim N(\mu, \tfrac23 V_\perp)` of
    correlation :math:`-\tfrac12`. For :math:`s < 0` the label is +1 iff two :math:`x_i > |s|/\sqrt3`, for
    :math:`s > 0` it is -1 iff two :math:`-x_i > s/\sqrt3` (:func:`_two_above`), so
    :math:`Z_+ = \Phi(\omega_\parallel/\sqrt{V_\parallel}) - A_> + B_<`, :math:`Z_- = \Phi(-\omega_\parallel/
    \sqrt{V_\parallel}) + A_> - B_<` with half-line integrals over :math:`s` (split at the kink :math:`s = 0`); the
    gradient in :math:`\omega_\parallel` is the same integral with the score :math:`(s - \omega_\parallel)/V_\parallel`."""
    sd, sx, r3 = np.sqrt(v_par), np.sqrt(2.0 * v_perp / 3.0), np.sqrt(3.0)

    def side(sign: float) -> np.ndarray:
        """Components (P, score * P, dP/dmu_i) of the minority probability on the side sign * s > 0."""

        def f(t, w, m0, m1, m2, _components):
            t = t[..., :1]  # the nodes repeat along the component axis
            c = (sign * w + sd * t) / r3  # |s| / sqrt 3 at s = w + sign * sd * t
            m = -sign * np.stack(np.broadcast_arrays(m0, m1, m2), axis=-1)
            value, grad = _two_above((m - c[..., None]) / sx)
            grad = -sign * grad[..., 0, :] / sx
            return np.concatenate([value, sign * t / sd * value, grad], axis=-1)

        m = [mu[..., i, None] for i in range(3)]
        return np.asarray(
            gaussian_expectation(f, w_par[..., None], *m, np.zeros(5), lower=-sign * w_par[..., None] / sd)
        )

    above, below = side(1.0), side(-1.0)
    plus = special.ndtr(w_par / sd) - above[..., 0] + below[..., 0]
    minus = special.ndtr(-w_par / sd) + above[..., 0] - below[..., 0]
    d_par = np.exp(-0.5 * w_par * w_par / v_par) / np.sqrt(2.0 * np.pi * v_par) - above[..., 1] + below[..., 1]
    d_mu = below[..., 2:] - above[..., 2:]
    return plus, minus, d_par, d_mu


def _outer_k3(q_par: float, q_perp: float, fold: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Outer rule over :math:`\xi\in\mathbb R^3` for K = 3: ``(xi_par, mu, weights, xi_perp)``, with
    :math:`\xi_\parallel` Gauss-Hermite (axis 0) and :math:`\xi_\perp` in polar coordinates (axis 1): Gauss-Laguerre
    in :math:`|\xi_\perp|^2/2` and the trapezoid rule in the angle over :math:`[0, \pi/3]`, a fundamental sector of
    the permutation symmetry (rotations by :math:`2\pi/3` and reflections), spectrally accurate for the
    invariant integrands. ``mu[..., i]`` :math:`= \sqrt{q_\perp} f_i\cdot\xi_\perp`. With ``fold``,
    :math:`\xi_\parallel \ge 0` only, weights doubled: :math:`\omega\to-\omega` (:math:`Z_\pm\leftrightarrow Z_\mp`)
    maps :math:`(-\xi_\parallel, \theta)` to :math:`(\xi_\parallel, \pi/3 - \theta)` up to a permutation, and the
    angular grid is symmetric under :math:`\theta\to\pi/3-\theta` (for integrands summed over both labels)."""
    xi, wx = hermite_rule(_OUTER_ORDER)
    if fold:  # _OUTER_ORDER is even: no node at 0
        xi, wx = xi[xi > 0.0], 2.0 * wx[xi > 0.0]
    if q_perp > 0.0:
        u, wu = special.roots_laguerre(_RADIAL_ORDER)
        angle = np.linspace(0.0, np.pi / 3.0, _ANGULAR_STEPS + 1)
        wa = np.full(angle.shape, 1.0 / _ANGULAR_STEPS)
        wa[[0, -1]] *= 0.5
        radius = np.sqrt(2.0 * u)
        xi_perp = (radius[:, None, None] * np.stack([np.cos(angle), np.sin(angle)], axis=-1)[None]).reshape(-1, 2)
        w_perp = (wu[:, None] * wa[None, :]).ravel()
    else:
        xi_perp, w_perp = np.zeros((1, 2)), np.ones(1)
    mu = np.sqrt(q_perp) * xi_perp @ _PLANE.T
    weights = wx[:, None] * w_perp[None, :]
    return xi, np.broadcast_to(mu[None], (xi.size,) + mu.shape), weights, xi_perp


@dataclass(frozen=True)
class ChannelAverages:
    r"""The output channel's averages at one symmetric overlap (see :func:`committee_channel`).

    Attributes
    ----------
    free_entropy
        :math:`\Psi_{out}(q) = \mathbb{E}_\xi\sum_y Z_y\ln Z_y`.
    conjugate_parallel, conjugate_perp
        Eigenvalues of :math:`\hat r/\alpha = \mathbb{E}_\xi\sum_y\nabla Z_y\nabla Z_y^\top/Z_y`.
    generalization_error
        :math:`1 - \mathbb{E}_\xi\max_y Z_y`, the Bayes-optimal 0-1 error.
    squared_error
        :math:`\tfrac12(\mathbb{E}y^2 - \mathbb{E}_\xi(Z_+ - Z_-)^2)`.
    """

    free_entropy: float
    conjugate_parallel: float
    conjugate_perp: float
    generalization_error: float
    squared_error: float


def committee_channel(K: int, q_parallel: float, q_perp: float = 0.0) -> ChannelAverages:
    r"""Averages of the committee channel at the symmetric overlap with eigenvalues ``(q_parallel, q_perp)``,
    each in ``[0, Q_MAX]`` (``q_perp`` is ignored for K = 1)."""
    k = as_count("K", K, minimum=1)
    if k not in K_VALUES:
        raise ValueError(f"K must be one of {K_VALUES}, got {brief(K)}")
    q_par = as_real_scalar("q_parallel", q_parallel, minimum=0.0, maximum=Q_MAX)
    q_perp = as_real_scalar("q_perp", q_perp, minimum=0.0, maximum=Q_MAX)
    return _channel(k, q_par, q_perp)


def _channel(K: int, q_par: float, q_perp: float, errors: bool = True) -> ChannelAverages:
    """The averages; ``errors=False`` skips the two errors (NaN), which the state-evolution map does not use."""
    if K == 1:
        xi, w = hermite_rule(_K1_ORDER)
        v = 1.0 - q_par
        x = np.sqrt(q_par / v) * xi
        Z = [special.ndtr(x), special.ndtr(-x)]
        d = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi * v)
        grads = [(d, 0.0 * d), (-d, 0.0 * d)]
        second = 1.0
    elif K == 2:
        xi, wx = hermite_rule(_OUTER_ORDER)
        if q_perp > 0.0:  # fold xi_perp -> -xi_perp: nodes >= 0, weights doubled off the axis
            keep = xi >= 0.0
            xf, wf = xi[keep], np.where(xi[keep] > 0.0, 2.0 * wx[keep], wx[keep])
        else:
            xf, wf = np.zeros(1), np.ones(1)
        w_par = np.sqrt(q_par) * xi[:, None] * np.ones_like(xf)[None, :]
        w_perp = np.ones_like(xi)[:, None] * (np.sqrt(q_perp) * xf)[None, :]
        w = wx[:, None] * wf[None, :]
        v_par, v_perp = 1.0 - q_par, 1.0 - q_perp
        Z = list(_label_probabilities_k2(w_par, w_perp, v_par, v_perp))
        grads = _label_gradients_k2(w_par, w_perp, v_par, v_perp)
        second = 0.5  # E y^2 = P(y != 0)
    else:
        Z, grads, w = _channel_nodes_k3(q_par, q_perp)
        second = 1.0
    psi = c_par = c_perp = 0.0
    tiny = np.finfo(float).tiny if K < 3 else _Z_FLOOR
    for z, (g_par, g_perp) in zip(Z, grads):
        safe = np.maximum(z, tiny)
        psi += float(np.sum(w * special.xlogy(z, z)))
        c_par += float(np.sum(w * g_par * g_par / safe))
        c_perp += float(np.sum(w * g_perp * g_perp / safe))
    error = _bayes_error(K, q_par, q_perp) if errors else np.nan
    squared = 0.5 * (second - float(np.sum(w * (Z[0] - Z[1]) ** 2))) if errors else np.nan
    return ChannelAverages(psi, c_par, c_perp, error, squared)


_BISECTIONS, _NEWTON_STEPS = 20, 3  # locating Z_+ = 1/2 (K = 3 errors)
_Z_FLOOR = 1e-30
"""K = 3: floor of Z_y in grad Z_y^2 / Z_y (below it, Z_y is at the level of its rounding error, and so is the term)."""
_CHUNK = 12  # xi_perp nodes per vectorised block of the K = 3 channel (bounds the memory of the inner rules)


def _channel_nodes_k3(q_par: float, q_perp: float):
    r"""K = 3: :math:`(Z_+, Z_-)`, their gradients (along :math:`e` and, as the norm over the plane divided by
    :math:`\sqrt{K-1}`, along its complement: the perp eigenvalue of :math:`\nabla Z\nabla Z^\top` averaged over the
    symmetric sector) and the weights, on the outer rule of :func:`_outer_k3`."""
    xi, mu, weights, _ = _outer_k3(q_par, q_perp, fold=True)
    v_par, v_perp = 1.0 - q_par, 1.0 - q_perp
    w_par = np.sqrt(q_par) * xi[:, None] * np.ones(weights.shape[1])[None, :]
    plus, minus, d_par, d_perp = (np.empty(weights.shape) for _ in range(4))
    for j in range(0, weights.shape[1], _CHUNK):
        block = slice(j, j + _CHUNK)
        p, m, g, g_mu = _label_probabilities_k3(w_par[:, block], mu[:, block], v_par, v_perp)
        plus[:, block], minus[:, block], d_par[:, block] = np.clip(p, 0.0, 1.0), np.clip(m, 0.0, 1.0), g
        d_perp[:, block] = np.linalg.norm(g_mu @ _PLANE, axis=-1) / np.sqrt(2.0)
    if q_perp == 0.0:  # mu = 0: the three derivatives are equal and their sum with the f_i vanishes exactly
        d_perp[...] = 0.0
    return [plus, minus], [(d_par, d_perp), (-d_par, d_perp)], weights


def _bayes_error_k3(q_par: float, q_perp: float) -> float:
    r"""K = 3: :math:`\mathbb E_\xi\min(Z_+, Z_-)`. :math:`Z_+` increases with :math:`\xi_\parallel` (every
    :math:`\partial_{\omega_i} Z_+ \ge 0`), so for each :math:`\xi_\perp` node it crosses 1/2 once, at :math:`\xi^*`
    (bisection); the error is :math:`\int_{-\infty}^{\xi^*} D\xi\, Z_+ + \int_{\xi^*}^\infty D\xi\, Z_-`, two half-line
    integrals of smooth functions."""
    xi, mu, weights, _ = _outer_k3(q_par, q_perp)
    mu, w_perp = mu[0], weights.sum(axis=0)
    v_par, v_perp, slope = 1.0 - q_par, 1.0 - q_perp, np.sqrt(q_par)
    total = 0.0
    for j in range(0, w_perp.size, _CHUNK):
        m = mu[j : j + _CHUNK]
        lo, hi = np.full(m.shape[0], -40.0), np.full(m.shape[0], 40.0)
        for _ in range(_BISECTIONS):
            mid = 0.5 * (lo + hi)
            up = _label_probabilities_k3(slope * mid, m, v_par, v_perp)[0] > 0.5
            lo, hi = np.where(up, lo, mid), np.where(up, mid, hi)
        root = 0.5 * (lo + hi)
        for _ in range(_NEWTON_STEPS):  # quadratic convergence from within 1e-4
            p, _, g, _ = _label_probabilities_k3(slope * root, m, v_par, v_perp)
            root = np.clip(root - (p - 0.5) / np.maximum(slope * g, 1e-300), lo, hi)

        def label(t, m0, m1, m2, sign):  # Z_{sign} at xi_par = -sign * t
            fields = np.stack(np.broadcast_arrays(m0, m1, m2, t)[:3], axis=-1)
            p, n, _, _ = _label_probabilities_k3(
                -sign * slope * np.broadcast_to(t, fields.shape[:-1]), fields, v_par, v_perp
            )
            return np.where(sign > 0, p, n)

        cols = [m[:, i] for i in range(3)]
        below = gaussian_expectation(label, *cols, 1.0, lower=-root)
        above = gaussian_expectation(label, *cols, -1.0, lower=root)
        total += float(np.sum(w_perp[j : j + _CHUNK] * (below + above)))
    return total


def _bayes_error(K: int, q_par: float, q_perp: float) -> float:
    r""":math:`1 - \mathbb{E}_\xi\max_y Z_y`, with the kinks of the maximum resolved.

    The maximum switches label where two :math:`Z_y` are equal; Gauss-Hermite across such a kink would converge
    only algebraically. By the symmetry :math:`\omega\to-\omega` (:math:`Z_\pm\leftrightarrow Z_\mp`) the average is
    twice that over :math:`\xi_\parallel > 0`, where :math:`Z_+ \ge Z_-`. K = 1: :math:`2\int_0^\infty D\xi\, Z_+`.
    K = 2: :math:`\max(Z_+, Z_0) = Z_+ + (Z_0 - Z_+)_+`; for each :math:`\xi_\perp` node, :math:`Z_0 - Z_+` decreases
    in :math:`\xi_\parallel` and changes sign once, at :math:`\xi^*` (bisection), so the correction is a
    Gauss-Legendre integral over :math:`[0, \xi^*]`."""
    if K == 3:
        return _bayes_error_k3(q_par, q_perp)
    v_par = 1.0 - q_par
    slope = np.sqrt(q_par / v_par)
    if K == 1:
        return 1.0 - 2.0 * float(gaussian_expectation(lambda t: special.ndtr(slope * t), lower=0.0))
    v_perp = 1.0 - q_perp
    xi, wx = hermite_rule(_OUTER_ORDER)
    if q_perp > 0.0:
        keep = xi >= 0.0
        xf, wf = xi[keep], np.where(xi[keep] > 0.0, 2.0 * wx[keep], wx[keep])
    else:
        xf, wf = np.zeros(1), np.ones(1)
    w_perp = np.sqrt(q_perp) * xf

    def excess(t: np.ndarray, wp: np.ndarray) -> np.ndarray:  # Z_0 - Z_+ at xi_par = t
        plus, _, tie = _label_probabilities_k2(np.sqrt(q_par) * t, wp, v_par, v_perp)
        return tie - plus

    wp_axis = w_perp[None, :]
    plus_half = np.asarray(
        gaussian_expectation(
            lambda t, wp: _label_probabilities_k2(np.sqrt(q_par) * t, wp, v_par, v_perp)[0], w_perp, lower=0.0
        )
    )
    lo, hi = np.zeros_like(w_perp), np.full_like(w_perp, 12.0)
    active = excess(lo[None, :], wp_axis)[0] > 0.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        up = excess(mid[None, :], wp_axis)[0] > 0.0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    root = np.where(active, 0.5 * (lo + hi), 0.0)
    x, wl = np.polynomial.legendre.leggauss(32)
    t = 0.5 * root[None, :] * (x[:, None] + 1.0)
    density = np.exp(-0.5 * t * t) / np.sqrt(2.0 * np.pi)
    gain = 0.5 * root * np.sum(wl[:, None] * density * excess(t, np.broadcast_to(wp_axis, t.shape)), axis=0)
    return 1.0 - 2.0 * float(np.sum(wf * (plus_half + gain)))


# -- the prior -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriorAverages:
    r"""The prior's averages at a symmetric :math:`\hat r` (see :func:`committee_prior`).

    Attributes
    ----------
    free_entropy
        :math:`\psi_{P_0}(\hat r)`.
    overlap_parallel, overlap_perp
        Eigenvalues of :math:`q = \mathbb{E} f f^\top`.
    """

    free_entropy: float
    overlap_parallel: float
    overlap_perp: float


def committee_prior(K: int, prior: str, r_parallel: float, r_perp: float = 0.0) -> PriorAverages:
    r"""Averages of the K-dimensional prior channel at the symmetric :math:`\hat r` with eigenvalues
    ``(r_parallel, r_perp)`` >= 0 (``r_perp`` ignored for K = 1)."""
    k, name = _validate(K, prior)
    r_par = as_real_scalar("r_parallel", r_parallel, minimum=0.0, maximum=1e6)
    r_perp = as_real_scalar("r_perp", r_perp, minimum=0.0, maximum=1e6)
    return _prior(k, name, r_par, r_perp)


def _prior(K: int, prior: str, r_par: float, r_perp: float) -> PriorAverages:
    if prior == "gaussian" or K == 1:
        scalar = GaussianPrior() if prior == "gaussian" else RademacherPrior()
        psi = float(scalar.free_entropy(r_par)) + (K - 1) * float(scalar.free_entropy(r_perp))
        return PriorAverages(psi, float(scalar.overlap(r_par)), float(scalar.overlap(r_perp)) if K > 1 else 0.0)
    e = np.ones((K, K)) / K
    r = r_perp * np.eye(K) + (r_par - r_perp) * e
    root = np.sqrt(r_perp) * np.eye(K) + (np.sqrt(r_par) - np.sqrt(r_perp)) * e
    atoms = np.array(np.meshgrid(*([[-1.0, 1.0]] * K), indexing="ij")).reshape(K, -1).T  # (2^K, K)
    # teachers up to a permutation and a global sign flip (which leave psi and the eigenvalues of q unchanged):
    # n = 0 .. K // 2 units at -1, with probability 2 C(K, n) / 2^K (C(K, K/2) / 2^K for n = K/2)
    n_minus = np.arange(K // 2 + 1)
    teachers = np.where(np.arange(K)[None, :] < n_minus[:, None], -1.0, 1.0)
    p_teacher = special.comb(K, n_minus) * np.where(2 * n_minus == K, 1.0, 2.0) / 2.0**K
    z, w = hermite_product_rule(K, _PRIOR_ORDER if K == 2 else _PRIOR_ORDER_K3)
    B = (teachers @ r)[None, :, :] + (z @ root)[:, None, :]  # (nodes, teacher, K)
    logits = B @ atoms.T - 0.5 * np.einsum("ak,kl,al->a", atoms, r, atoms)  # (nodes, teacher, atom)
    lse = special.logsumexp(logits, axis=-1)
    mean = np.exp(logits - lse[..., None]) @ atoms  # (nodes, teacher, K)
    q = np.einsum("n,t,ntk,ntl->kl", w, p_teacher, mean, mean)
    psi = float(np.sum(w[:, None] * p_teacher[None, :] * lse)) - K * np.log(2.0)
    par, perp = _eigenvalues(K, q)
    return PriorAverages(psi, par, perp)


# -- state evolution ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommitteeState:
    r"""Bayes-optimal committee machine at one load (a :class:`~statlearn.numerics.result.SolverResult`).

    Attributes
    ----------
    K, alpha, prior, init
        The model, the load and the start requested.
    overlap
        The K x K overlap :math:`q` (read-only).
    q_parallel, q_perp
        Its eigenvalues on :math:`\mathbf 1/\sqrt K` and on the complement (0 on the non-specialised branch).
    conjugate
        The K x K conjugate :math:`\hat r` (``inf`` entries for perfect recovery).
    generalization_error
        Bayes-optimal 0-1 test error :math:`1 - \mathbb{E}_\xi\max_y Z_y`.
    squared_error
        Aubin et al.'s :math:`\tfrac12\mathbb{E}(\mathbb{E}[y|\text{data}] - y)^2`.
    free_entropy
        The replica free entropy of this fixed point.
    branch
        ``"non-specialised"`` (:math:`q_\perp = 0`), ``"specialised"``, or ``"perfect"`` (Rademacher, q = I).
    converged, iterations, residual, message
        The fixed-point iteration's outcome (evaluations of the state-evolution map, scaled residual).
    """

    K: int
    alpha: float
    prior: str
    init: str
    overlap: np.ndarray
    q_parallel: float
    q_perp: float
    conjugate: np.ndarray
    generalization_error: float
    squared_error: float
    free_entropy: float
    branch: str
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _conjugates(
    K: int, alpha: float, q_par: float, q_perp: float, errors: bool = True
) -> tuple[float, float, ChannelAverages]:
    ch = _channel(K, q_par, q_perp, errors)
    return alpha * ch.conjugate_parallel, alpha * ch.conjugate_perp, ch


class _Perfect(Exception):
    """The Rademacher state evolution reached both eigenvalues > PERFECT: perfect recovery."""


def _se_map(K: int, prior: str, alpha: float):
    def F(x: np.ndarray) -> np.ndarray:
        q_par = float(x[0])
        q_perp = float(x[1]) if K > 1 else 0.0
        if prior == "rademacher" and min(q_par, q_perp if K > 1 else q_par) > PERFECT:
            raise _Perfect
        r_par, r_perp, _ = _conjugates(K, alpha, q_par, q_perp, errors=False)
        p = _prior(K, prior, r_par, r_perp)
        return np.array([p.overlap_parallel, p.overlap_perp][: 1 if K == 1 else 2])

    return F


def _start(K: int, init: object) -> tuple[np.ndarray, str]:
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS} or a K x K overlap matrix, got {brief(init)}")
        x = np.array([0.0, 0.0]) if init == "non-specialised" else np.full(2, _SPECIALISED_START)
        return x[: 1 if K == 1 else 2], init
    Q = as_real_array("init", init)  # type: ignore[arg-type]
    if Q.shape != (K, K):
        raise ValueError(f"init must be a K x K = {K} x {K} overlap matrix, got shape {Q.shape}")
    if not np.allclose(Q, Q.T, atol=1e-12):
        raise ValueError("init must be a symmetric matrix")
    eig = np.linalg.eigvalsh(Q)
    if eig[0] < -1e-12 or eig[-1] > Q_MAX:
        raise ValueError(f"init must have eigenvalues in [0, {Q_MAX}], got [{eig[0]:.6g}, {eig[-1]:.6g}]")
    par, perp = _eigenvalues(K, Q)
    return np.array([par, perp][: 1 if K == 1 else 2]), "array"


def bayes_optimal(
    K: int,
    alpha: float,
    *,
    prior: str = "gaussian",
    init: str | ArrayLike = "non-specialised",
    tol: float = 1e-10,
    max_iter: int = 2000,
) -> CommitteeState:
    r"""Fixed point of the committee machine's state evolution at load ``alpha`` from the start ``init``.

    Iterates :math:`q \mapsto q_{P_0}(\alpha\,\hat r(q))` on the permutation-symmetric overlaps
    :math:`(q_\parallel, q_\perp)` with Anderson mixing of depth 3 (undamped: damping
    with Anderson steps was seen to run away to the edge of the range)
    (:func:`statlearn.numerics.fixed_point`), eigenvalues kept in ``[0, Q_MAX]``.

    Parameters
    ----------
    K
        Hidden units, in ``K_VALUES`` (1: the sign perceptron; 3: the majority vote of three units).
    alpha
        Load M/N in ``[0, 100]``.
    prior
        ``"gaussian"`` or ``"rademacher"``.
    init
        ``"non-specialised"`` (q = 0: :math:`q_\perp` stays 0, the branch AMP follows from a symmetric start),
        ``"specialised"`` (both eigenvalues 0.9), or a K x K symmetric overlap matrix with eigenvalues in
        ``[0, Q_MAX]``, projected on the symmetric ansatz (its eigenvalue on :math:`\mathbf 1/\sqrt K` and the
        mean of the others).
    tol, max_iter
        Tolerance on the fixed-point residual, in (0, 1), and the iteration budget (>= 1).

    Warns
    -----
    ConvergenceWarning
        The iteration did not reach ``tol`` (a spinodal nearby, or a Gaussian-prior fixed point beyond
        ``Q_MAX``); the result has ``converged=False``.
    """
    k, name = _validate(K, prior)
    a = as_real_scalar("alpha", alpha, minimum=0.0, maximum=_ALPHA_MAX)
    tolerance = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True, maximum=1.0)
    if tolerance >= 1.0:
        raise ValueError(f"tol must be < 1, got {tol!r}")
    budget = as_count("max_iter", max_iter, minimum=1, maximum=10**6)
    x0, label = _start(k, init)
    return _solve(k, name, a, x0, label, tolerance, budget, warn=True)


def _solve(K: int, prior: str, alpha: float, x0: np.ndarray, label: str, tol: float, budget: int, warn: bool):
    F = _se_map(K, prior, alpha)
    try:
        result = fixed_point(
            F,
            x0,
            mixing=1.0,
            anderson=3,
            tol=tol,
            max_iter=budget,
            project=lambda y: np.clip(y, 0.0, Q_MAX),
            warn=False,
        )
    except _Perfect:
        result = None
    perfect = result is None
    if result is not None:
        x = np.asarray(result.x, dtype=float)
        q_par = float(x[0])
        q_perp = float(x[1]) if K > 1 else 0.0
    if perfect:
        state = dict(
            overlap=np.eye(K),
            q_parallel=1.0,
            q_perp=1.0 if K > 1 else 0.0,
            conjugate=np.full((K, K), np.inf),
            generalization_error=0.0,
            squared_error=0.0,
            free_entropy=-K * np.log(2.0),
            branch="perfect",
        )
        converged, message = True, f"perfect recovery: the state evolution runs into q = I (eigenvalues > {PERFECT})"
        iterations, residual = 0, 0.0
    else:
        assert result is not None
        iterations, residual = result.iterations, result.residual
        r_par, r_perp, ch = _conjugates(K, alpha, q_par, q_perp)
        p = _prior(K, prior, r_par, r_perp)
        phi = p.free_entropy + alpha * ch.free_entropy - 0.5 * (r_par * q_par + (K - 1) * r_perp * q_perp)
        state = dict(
            overlap=symmetric_overlap(K, q_par, q_perp),
            q_parallel=q_par,
            q_perp=q_perp,
            conjugate=symmetric_overlap(K, r_par, r_perp),
            generalization_error=ch.generalization_error,
            squared_error=ch.squared_error,
            free_entropy=float(phi),
            branch="specialised" if q_perp > 1e-8 else "non-specialised",
        )
        converged, message = result.converged, result.message
        if max(q_par, q_perp) >= Q_MAX and converged:
            converged = False
            message = f"not converged: the fixed point reaches the range limit Q_MAX = {Q_MAX} of the outer rule"
    if not converged and warn:
        warnings.warn(f"committee.bayes_optimal: {message}", ConvergenceWarning, stacklevel=3)
    return CommitteeState(
        K=K,
        alpha=alpha,
        prior=prior,
        init=label,
        converged=converged,
        iterations=iterations,
        residual=residual,
        message=message,
        **state,
    )


# -- the specialisation transition ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecializationThreshold:
    r"""The specialisation transition of the committee (:func:`specialization_threshold`).

    Attributes
    ----------
    K, prior
        The model.
    alpha_spec
        The transition: for the Gaussian prior the load where the non-specialised branch loses stability and
        :math:`q_\perp` grows continuously from 0 (second order); for the Rademacher prior the load where the
        free entropy of the specialised state (perfect recovery, :math:`f = -K\ln 2`) overtakes that of the
        non-specialised one (first order). K = 3, Gaussian prior: the load where the free entropy of the
        specialised branch overtakes that of the non-specialised one (first order).
    order
        ``"second"`` or ``"first"``.
    alpha_instability
        Spinodal of the non-specialised branch: :math:`\alpha\, c(q_\parallel)\, \partial_{\hat r_\perp} q_\perp = 1`
        (nan for K = 3 with the Rademacher prior: not located).
    alpha_alg
        K = 2, Rademacher: spinodal of the partly specialised branch (the last load where it exists), beyond
        which the state evolution from the non-specialised side runs into perfect recovery. K = 3, Gaussian: equal
        to ``alpha_instability``, where the state evolution from a symmetric start leaves the non-specialised
        branch. None otherwise.
    converged, iterations, residual, message
        Root finding for ``alpha_spec`` (``residual`` :math:`|\lambda - 1|` or :math:`|\Delta f|` there;
        ``iterations`` the evaluations of all root searches and bisections).
    """

    K: int
    prior: str
    alpha_spec: float
    order: str
    alpha_instability: float
    alpha_alg: float | None
    converged: bool
    iterations: int
    residual: float
    message: str


_PARTIAL_OFFSET = 0.2  # the partly specialised branch is first sought this far beyond the instability ...
_PARTIAL_START = 0.25  # ... from q_perp = 0.25 and the non-specialised q_parallel
_DELTA = 1e-3  # step of the Richardson-extrapolated linearisation in q_perp and r_perp


def _richardson(g, delta: float) -> float:
    r"""The slope at 0 of :math:`g` with :math:`g(0) = 0`: :math:`2 g(\delta/2)/(\delta/2) - g(\delta)/\delta`."""
    return 2.0 * g(0.5 * delta) / (0.5 * delta) - g(delta) / delta


def stability(K: int, prior: str, alpha: float) -> tuple[float, CommitteeState]:
    r"""Largest eigenvalue :math:`\lambda = \alpha\, c(q_\parallel)\,\partial_{\hat r_\perp} q_\perp` of the state
    evolution linearised in :math:`q_\perp` at the non-specialised fixed point (unstable where > 1), with
    :math:`c = \partial_{q_\perp}(\hat r_\perp/\alpha)` at :math:`q_\perp = 0`, and that fixed point (K >= 2)."""
    K, prior = _validate(K, prior)
    if K < 2:
        raise ValueError(f"K must be >= 2 for a specialisation transition, got {brief(K)}")
    alpha = as_real_scalar("alpha", alpha, minimum=0.0, maximum=_ALPHA_MAX)
    state = _solve(K, prior, alpha, np.zeros(2), "non-specialised", 1e-12, 2000, warn=True)
    q_par = state.q_parallel
    r_par = alpha * _channel(K, q_par, 0.0, errors=False).conjugate_parallel
    c = _richardson(lambda d: _channel(K, q_par, d, errors=False).conjugate_perp, _DELTA)
    slope = _richardson(lambda d: _prior(K, prior, r_par, d).overlap_perp, _DELTA)
    return alpha * c * slope, state


_INSTABILITY_BRACKET = {2: (1.0, 4.0), 3: (18.0, 21.0)}  # where lambda(alpha) - 1 changes sign (Gaussian K = 3)
_CROSSING_BRACKET_K3 = (2.0, 5.0)  # Rademacher K = 3: where f_non-spec + 3 ln 2 changes sign
_SPECIALISED_GRID_K3 = (13.0, 12.0, 11.25)  # Gaussian K = 3: the specialised branch, continued downwards
_XTOL_DEFAULT = {2: 1e-6, 3: 1e-3}


def specialization_threshold(K: int, prior: str = "gaussian", *, xtol: float | None = None) -> SpecializationThreshold:
    r"""Locate the specialisation transition of the K-unit committee (K = 2 or 3) with prior ``prior``.

    K = 2, Gaussian prior: the root of :math:`\lambda(\alpha) = 1` (:func:`stability`), the continuous transition.
    Rademacher prior (K = 2 and 3): the crossing :math:`f_{non-spec}(\alpha) = -K\ln 2` (perfect recovery, the
    specialised fixed point of largest free entropy below the instability); for K = 2 also the instability
    :math:`\lambda = 1` and :math:`\alpha_{alg}`, the end of the partly specialised branch (where the state
    evolution from the non-specialised side runs into perfect recovery), by bisection on the existence of that
    fixed point, followed by continuation in :math:`\alpha` from :math:`\alpha_{inst} + 0.2` (Anderson-accelerated
    solves from the last point found; the bisection to ``max(xtol, 1e-4)``). K = 3, Rademacher: the crossing
    in [2, 5] only (``alpha_instability`` is nan and ``alpha_alg`` None: the non-specialised branch is still
    strongly stable far beyond it).

    K = 3, Gaussian prior (first order): ``alpha_spec`` is the root of :math:`f_{spec}(\alpha) -
    f_{non-spec}(\alpha)`, the specialised branch followed downwards from :math:`\alpha = 13` (specialised
    start) over the grid 13, 12, 11.25 until the difference changes sign, then Brent's method in that interval
    (each evaluation a specialised solve from the grid point above it and a non-specialised one);
    ``alpha_instability`` = ``alpha_alg`` is the root of :math:`\lambda = 1` in [18, 21], the load where the state
    evolution from a symmetric start (AMP) leaves the non-specialised branch: between ``alpha_spec`` and it lies
    the computational gap. ``residual`` is :math:`|\Delta f|` at ``alpha_spec``.

    Roots to ``xtol`` in (0, 0.1] (default 1e-6 for K = 2, 1e-3 for K = 3). Cost: K = 2 takes seconds to a
    few minutes (the Rademacher bisection for ``alpha_alg``); K = 3, on two cores shared with one other process:
    Gaussian 88 s (16 evaluations of lambda or of the free-entropy difference), Rademacher 18 s (7); a
    specialised K = 3 solve takes up to a minute under heavy load, so allow several times that.
    """
    k, name = _validate(K, prior)
    if k not in _XTOL_DEFAULT:
        raise ValueError(f"K must be 2 or 3 for a specialisation transition, got {brief(K)}")
    tol = (
        _XTOL_DEFAULT[k]
        if xtol is None
        else as_real_scalar("xtol", xtol, minimum=0.0, strict_minimum=True, maximum=0.1)
    )
    count = [0]
    problems: list[str] = []

    def vectorised(g):
        def f(a: np.ndarray) -> np.ndarray:
            count[0] += 1
            return np.array([g(float(x)) for x in np.atleast_1d(a)]).reshape(np.shape(a))

        return f

    def nonspecialised(a: float) -> CommitteeState:
        return _solve(k, name, a, np.zeros(2), "non-specialised", 1e-12, 2000, warn=True)

    alpha_instability, alpha_alg = float("nan"), None
    if name == "gaussian" or k == 2:
        lo, hi = _INSTABILITY_BRACKET[k]
        root = bracket_root(
            vectorised(lambda a: stability(k, name, a)[0] - 1.0), lo, hi, xtol=tol, rtol=0.0, warn=False
        )
        alpha_instability, residual = float(root.root), float(root.residual)
        if not root.converged:
            problems.append(f"instability: {root.message}")
    if name == "gaussian" and k == 2:
        alpha_spec, order = alpha_instability, "second"
    elif name == "gaussian":
        order, alpha_alg = "first", alpha_instability
        alpha_spec, residual = _specialised_crossing_k3(tol, count, problems)
    else:
        order = "first"
        lo, hi = (0.5, alpha_instability) if k == 2 else _CROSSING_BRACKET_K3
        crossing = vectorised(lambda a: nonspecialised(a).free_entropy + k * np.log(2.0))
        it = bracket_root(crossing, lo, hi, xtol=tol, rtol=0.0, warn=False)
        alpha_spec, residual = float(it.root), float(it.residual)
        if not it.converged:
            problems.append(f"free-entropy crossing: {it.message}")
        if k == 2:
            alpha_alg = _partly_specialised_end(name, alpha_instability, tol, count, problems)
    converged = not problems
    message = "found" if converged else "not converged: " + "; ".join(problems)
    if not converged:
        warnings.warn(f"specialization_threshold: {message}", ConvergenceWarning, stacklevel=2)
    return SpecializationThreshold(
        K=k,
        prior=name,
        alpha_spec=alpha_spec,
        order=order,
        alpha_instability=alpha_instability,
        alpha_alg=alpha_alg,
        converged=converged,
        iterations=count[0],
        residual=residual,
        message=message,
    )


def _partly_specialised_end(
    prior: str, alpha_instability: float, tol: float, count: list, problems: list
) -> float | None:
    """K = 2 Rademacher: the last load where the partly specialised fixed point exists (bisection)."""

    def partial(a: float, x0: np.ndarray) -> np.ndarray | None:
        """The partly specialised fixed point at ``a`` found from ``x0``, or None."""
        count[0] += 1
        r = _solve(2, prior, a, x0, "array", 1e-10, 200, warn=False)
        found = r.converged and r.branch == "specialised"
        return np.array([r.q_parallel, r.q_perp]) if found else None

    lo = alpha_instability + _PARTIAL_OFFSET
    start = stability(2, prior, lo)[1]
    point = partial(lo, np.array([start.q_parallel, _PARTIAL_START]))
    if point is None:
        problems.append(f"alpha_alg: no partly specialised fixed point found at alpha = {lo:.6g}")
        return None
    hi = 3.0
    while hi - lo > max(tol, 1e-4):
        mid = 0.5 * (lo + hi)
        found = partial(mid, point)
        if found is None:
            hi = mid
        else:
            lo, point = mid, found
    return 0.5 * (lo + hi)


def _specialised_crossing_k3(tol: float, count: list, problems: list) -> tuple[float, float]:
    r"""K = 3 Gaussian: the root of :math:`f_{spec} - f_{non-spec}` and :math:`|\Delta f|` there (nan if lost)."""

    def difference(a: float, x0: np.ndarray) -> tuple[float, np.ndarray | None]:
        count[0] += 1
        s = _solve(3, "gaussian", a, x0, "array", 1e-10, 2000, warn=False)
        if not (s.converged and s.branch == "specialised"):
            return float("nan"), None
        n = _solve(3, "gaussian", a, np.zeros(2), "non-specialised", 1e-12, 2000, warn=True)
        return s.free_entropy - n.free_entropy, np.array([s.q_parallel, s.q_perp])

    x = np.full(2, _SPECIALISED_START)
    above: tuple[float, np.ndarray] | None = None
    for a in _SPECIALISED_GRID_K3:
        d, point = difference(a, x)
        if point is None:
            problems.append(f"specialised branch not found at alpha = {a:.6g}")
            return float("nan"), float("nan")
        if d < 0.0:
            break
        above, x = (a, point), point
    else:
        problems.append(f"no free-entropy crossing above alpha = {_SPECIALISED_GRID_K3[-1]:.6g}")
        return float("nan"), float("nan")
    if above is None:
        problems.append(f"free-entropy crossing above alpha = {a:.6g}")
        return float("nan"), float("nan")
    hi, start = above

    def f(values: np.ndarray) -> np.ndarray:
        out = [difference(float(v), start)[0] for v in np.atleast_1d(values)]
        if np.isnan(out).any():
            problems.append("specialised branch lost inside the bracket")
        return np.array(out).reshape(np.shape(values))

    it = bracket_root(f, a, hi, xtol=tol, rtol=0.0, warn=False)
    if not it.converged:
        problems.append(f"free-entropy crossing: {it.message}")
    return float(it.root), float(it.residual)


def state_evolution_trajectory(
    K: int, alpha: float, prior: str = "gaussian", *, q_parallel: float = 0.0, q_perp: float = 0.0, steps: int = 50
) -> np.ndarray:
    r"""The symmetric overlaps :math:`(q_\parallel, q_\perp)` after each of ``steps`` undamped state-evolution
    steps :math:`q \mapsto q_{P_0}(\alpha\,\hat r(q))` from ``(q_parallel, q_perp)`` (row 0), shape (steps + 1, 2):
    the trajectory the committee AMP follows at large N from an overlap q (iteration t of
    :func:`statlearn.amp.committee_amp` is row t). Rademacher: rows after the step that runs beyond
    ``PERFECT`` are perfect recovery, (1, 1)."""
    k, name = _validate(K, prior)
    a = as_real_scalar("alpha", alpha, minimum=0.0, maximum=_ALPHA_MAX)
    x = np.array(
        [
            as_real_scalar("q_parallel", q_parallel, minimum=0.0, maximum=Q_MAX),
            as_real_scalar("q_perp", q_perp, minimum=0.0, maximum=Q_MAX) if k > 1 else 0.0,
        ]
    )
    n = as_count("steps", steps, minimum=0, maximum=10**5)
    F = _se_map(k, name, a)
    out = np.ones((n + 1, 2))
    out[0] = x
    for t in range(1, n + 1):
        try:
            step = np.clip(F(out[t - 1][: 1 if k == 1 else 2]), 0.0, Q_MAX)
        except _Perfect:
            break
        out[t, : step.size] = step
    if k == 1:
        out[:, 1] = 0.0
    return out
