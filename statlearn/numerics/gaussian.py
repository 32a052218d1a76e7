r"""Gaussian expectations by quadrature, vectorised over arrays of parameters.

Every replica formula of the field is a handful of Gaussian averages
:math:`\mathbb{E}_z f(z) = \int Dz\, f(z)` whose integrand depends on order parameters. The
functions here evaluate such averages for a whole array of parameters in one call: the
quadrature nodes are laid along a new leading axis and the integrand is called once.

Two rules are provided.

* **Gauss-Hermite** (probabilists' weight :math:`e^{-z^2/2}`): exponentially convergent for
  integrands analytic in a strip, e.g. polynomials, ``cos``, ``tanh(a z)`` with moderate ``a``.
  With the default order 121 it is exact to ~1e-14 on such integrands.
* **Kink-resolving rule** (``kink=t0, width=w``): for integrands that change on a small scale
  ``w`` around a point ``t0`` and are smooth elsewhere, such as
  :math:`\ln H\big((\kappa+\sqrt q t)/\sqrt{1-q}\big)` when :math:`q\to1` (a kink at
  :math:`t_0=-\kappa/\sqrt q` of width :math:`\sqrt{(1-q)/q}`) or :math:`\ln 2\cosh(\sqrt{\hat q} z)`
  for large :math:`\hat q`. It substitutes :math:`z = c + w \sinh s` with
  :math:`c = \mathrm{clip}(t_0, -6, 6)` and applies the trapezoidal rule in ``s``, which converges
  exponentially for integrands analytic in a strip around the real ``s`` axis (the sinh map
  resolves scale ``w`` near the kink and scale ``|z - c|`` away from it). A kink placed beyond
  ``|t0| = 6`` carries Gaussian weight below :math:`10^{-9}` and is not resolved separately.
* **Half-line rule** (``lower=a``): :math:`\int_a^\infty Dz\, f(z)` for ``f`` smooth on
  :math:`[a, \infty)` (e.g. :math:`(z - a)^2`, the Gardner capacity integrand). The part
  :math:`[\max(a,0), \infty)` uses the Gauss rule of the half-range Hermite weight
  :math:`e^{-s^2/2}` on :math:`[0, \infty)` (nodes from its recurrence coefficients, obtained by
  Chebyshev's algorithm from the exact moments in 200-digit arithmetic, then Golub-Welsch),
  shifted to ``a`` with the factor :math:`e^{-a s - a^2/2}`; for ``a < 0`` the part
  :math:`[\max(a, -13), 0]` is added with Gauss-Legendre (below -13 the Gaussian weight is
  under :math:`10^{-37}`). Relative accuracy ~1e-14 for ``a <= 10``; beyond, where the
  integral is below :math:`10^{-23}`, the factor :math:`e^{-as}` is resolved less well.
* **Several kinks** (``kinks=[(t1, w1), (t2, w2), ...]``): composite Gauss-Legendre (16 nodes
  per panel) on :math:`|z| \le 13`, with breakpoints at the integers (so no panel of the bulk is
  longer than 1) and at :math:`t_k \pm w_k 4^j`, :math:`j = 0, 1, \dots`, panels graded
  geometrically towards every kink: an integrand smooth on the scale of its distance to the
  nearest kink is integrated to near machine precision, whatever the widths.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from scipy.linalg import eigh_tridiagonal

from statlearn.numerics.special import as_elementwise, gaussian_pdf
from statlearn.numerics.validation import as_count, as_real_array, brief

__all__ = [
    "crossover_width",
    "DEFAULT_ORDER",
    "hermite_rule",
    "hermite_product_rule",
    "half_hermite_rule",
    "gaussian_expectation",
    "bivariate_gaussian_expectation",
    "graded_rule",
    "node_sum",
]

DEFAULT_ORDER = 121
"""Default number of Gauss-Hermite nodes (accuracy ~1e-14 on entire integrands of moderate growth)."""

_KINK_CENTRE_CLIP = 6.0
_KINK_STEP = 0.05  # trapezoid step in s; error ~ exp(-2 pi d / h) for strip half-width d
_KINK_REACH = 40.0  # |z - c| covered by the sinh map; phi(z) beyond is below 1e-300
_GRADED_REACH = 13.0  # the graded rule covers |z| <= 13 (Gaussian weight beyond < 1e-37)
_GRADING = 4.0  # ratio of successive panel lengths away from a kink
_PANEL_ORDER = 16  # Gauss-Legendre nodes per panel of the graded rule
_HALF_ORDER = 64  # nodes of the half-range Hermite rule and of the Legendre panel
_LEGENDRE_FLOOR = -13.0  # the half-line rule ignores z < -13 (Gaussian weight < 1e-37)
_LARGEST_ARGUMENT = 1e100  # largest width and lower accepted: the squared nodes stay in the double range
_SMALLEST_WIDTH = 1e-100  # narrower kinks are graded at this width (their Gaussian mass, < 1e-100, is not resolved)


MAX_ORDER = 360
"""Largest number of nodes of the Gauss-Hermite rule: beyond about 370 nodes the weights of the outermost
nodes (``exp(-x^2/2)`` at ``|x| ~ 27``) leave the double range and the rule returns NaN."""

MAX_HALF_ORDER = 200
"""Largest number of nodes of the half-range rule (its moments are computed with ``3*order + 30`` digits)."""


def hermite_rule(order: int = DEFAULT_ORDER) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights of the ``order``-point rule for :math:`\int Dz\, f(z)`.

    Probabilists' Gauss-Hermite rule (weight :math:`e^{-z^2/2}`) normalised so that the weights
    sum to one. Exact for polynomials of degree ``2*order - 1``; ``order`` in ``[1, MAX_ORDER]``.
    """
    return _hermite_rule(as_count("order", order, minimum=1, maximum=MAX_ORDER))


@lru_cache(maxsize=32)
def _hermite_rule(order: int) -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.hermite_e.hermegauss(int(order))
    weights = weights / weights.sum()
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


MAX_PRODUCT_NODES = 10**6
"""Largest number of nodes ``order**dim`` of :func:`hermite_product_rule` (bounded up front)."""


def hermite_product_rule(dim: int, order: int = 40) -> tuple[np.ndarray, np.ndarray]:
    r"""Tensor-product Gauss-Hermite rule for :math:`\int D^K z\, f(z)` over :math:`z\in\mathbb{R}^K`.

    Nodes of shape ``(order**dim, dim)`` and weights (summing to one) of the product of ``dim`` copies of
    :func:`hermite_rule`: exact for polynomials of degree ``2*order - 1`` in each coordinate. ``dim`` >= 1
    and ``order**dim`` <= ``MAX_PRODUCT_NODES``.
    """
    k = as_count("dim", dim, minimum=1)
    n = as_count("order", order, minimum=1, maximum=MAX_ORDER)
    if n**k > MAX_PRODUCT_NODES:
        raise ValueError(f"order**dim must be <= {MAX_PRODUCT_NODES:g}, got {n}**{k}")
    return _hermite_product_rule(k, n)


@lru_cache(maxsize=16)
def _hermite_product_rule(dim: int, order: int) -> tuple[np.ndarray, np.ndarray]:
    z, w = _hermite_rule(order)
    grids = np.meshgrid(*([z] * dim), indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=1)
    weights = np.prod(np.stack([g.ravel() for g in np.meshgrid(*([w] * dim), indexing="ij")], axis=1), axis=1)
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


@lru_cache(maxsize=32)
def _sinh_steps(n_half: int) -> np.ndarray:
    s = _KINK_STEP * np.arange(-n_half, n_half + 1, dtype=float)
    s.setflags(write=False)
    return s


def _broadcast(params: tuple[ArrayLike, ...]) -> tuple[tuple[np.ndarray, ...], tuple[int, ...]]:
    arrays = tuple(as_elementwise("params", p) for p in params)
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else ()
    except ValueError:
        raise ValueError(f"params must broadcast, got shapes {[a.shape for a in arrays]}") from None
    return arrays, shape


def _kink_rule(t0: np.ndarray, scale: np.ndarray, ndim: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the sinh-mapped trapezoidal rule around ``t0`` with width ``scale``."""
    if not np.all(np.isfinite(t0)):
        raise ValueError("kink must be finite")
    if not np.all((scale > 0) & np.isfinite(scale)):
        raise ValueError("width must be positive and finite")
    centre = np.clip(t0, -_KINK_CENTRE_CLIP, _KINK_CENTRE_CLIP)
    scale = np.maximum(scale, _SMALLEST_WIDTH)  # keeps the node count finite for subnormal widths
    n_half = int(np.ceil(np.arcsinh(_KINK_REACH / np.min(scale)) / _KINK_STEP))
    s = _sinh_steps(n_half).reshape((-1,) + (1,) * ndim)
    z = centre + scale * np.sinh(s)
    return z, _KINK_STEP * scale * np.cosh(s) * gaussian_pdf(z)


def half_hermite_rule(order: int = _HALF_ORDER) -> tuple[np.ndarray, np.ndarray]:
    r"""Gauss rule for :math:`\int_0^\infty \frac{e^{-s^2/2}}{\sqrt{2\pi}} g(s)\, ds` (weights sum to 1/2),
    ``order`` in ``[1, MAX_HALF_ORDER]``; see :func:`_half_hermite_rule` for the construction."""
    return _half_hermite_rule(as_count("order", order, minimum=1, maximum=MAX_HALF_ORDER))


@lru_cache(maxsize=32)
def _half_hermite_rule(order: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Gauss rule for :math:`\int_0^\infty \frac{e^{-s^2/2}}{\sqrt{2\pi}} g(s)\, ds` (weights sum to 1/2).

    Recurrence coefficients by Chebyshev's algorithm from the moments
    :math:`\int_0^\infty s^k e^{-s^2/2} ds = 2^{(k-1)/2}\Gamma((k+1)/2)` in high precision
    (the map from moments to coefficients is ill-conditioned, hence ``3*order + 30`` digits),
    then the Golub-Welsch eigenvalue problem in double precision.
    """
    import mpmath

    n = int(order)
    if n < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    with mpmath.workdps(3 * n + 30):
        moments = [mpmath.power(2, mpmath.mpf(k - 1) / 2) * mpmath.gamma(mpmath.mpf(k + 1) / 2) for k in range(2 * n)]
        alpha = [moments[1] / moments[0]]
        beta = [moments[0]]
        sigma_prev = [mpmath.mpf(0)] * (2 * n)
        sigma = list(moments)
        for k in range(1, n):
            sigma_next = [mpmath.mpf(0)] * (2 * n)
            for l in range(k, 2 * n - k):
                sigma_next[l] = sigma[l + 1] - alpha[k - 1] * sigma[l] - beta[k - 1] * sigma_prev[l]
            alpha.append(sigma_next[k + 1] / sigma_next[k] - sigma[k] / sigma[k - 1])
            beta.append(sigma_next[k] / sigma[k - 1])
            sigma_prev, sigma = sigma, sigma_next
        diag = np.array([float(x) for x in alpha])
        off = np.array([float(mpmath.sqrt(x)) for x in beta[1:]])
        mass = float(moments[0])
    nodes, vectors = eigh_tridiagonal(diag, off)
    weights = mass * vectors[0] ** 2 / np.sqrt(2.0 * np.pi)
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


@lru_cache(maxsize=8)
def _legendre_rule(order: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(order)


def _half_line_rule(a: np.ndarray, ndim: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Panels (nodes, weights) for the half line ``[a, inf)`` (see the module docstring)."""
    if not np.all(np.isfinite(a)):
        raise ValueError("lower must be finite")
    s, ws = half_hermite_rule(_HALF_ORDER)
    s = s.reshape((-1,) + (1,) * ndim)
    ws = ws.reshape(s.shape)
    start = np.maximum(a, 0.0)
    z_tail = start + s
    if np.any(start > 0):
        w_tail = ws * np.exp(-start * s - 0.5 * start * start)
    else:  # the common case a <= 0: the half-range rule applies unshifted
        w_tail = np.broadcast_to(ws, z_tail.shape)
    x, wx = _legendre_rule(_HALF_ORDER)
    x = x.reshape(s.shape)
    wx = wx.reshape(s.shape)
    left = np.clip(a, _LEGENDRE_FLOOR, 0.0)  # the panel [left, 0] is empty when a >= 0
    half = -0.5 * left
    z_mid = half * (x - 1.0)
    w_mid = half * wx * gaussian_pdf(z_mid)
    return [(z_mid, w_mid), (z_tail, w_tail)]


def _graded_rule(pairs: list[tuple[np.ndarray, np.ndarray]], shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre nodes and weights with panels graded towards every kink."""
    for t0, scale in pairs:
        if not np.all(np.isfinite(t0)):
            raise ValueError("kink locations must be finite")
        if not np.all((scale > 0) & np.isfinite(scale)):
            raise ValueError("kink widths must be positive and finite")
    pairs = [(t0, np.maximum(scale, _SMALLEST_WIDTH)) for t0, scale in pairs]  # finite grades for subnormal widths
    smallest = min(float(np.min(scale)) for _, scale in pairs)
    n_grades = int(np.ceil(np.log(2 * _GRADED_REACH / smallest) / np.log(_GRADING))) + 1
    steps = _GRADING ** np.arange(n_grades).reshape((-1,) + (1,) * len(shape))
    points = [
        np.broadcast_to(
            np.arange(-_GRADED_REACH, _GRADED_REACH + 1).reshape((-1,) + (1,) * len(shape)),
            (2 * int(_GRADED_REACH) + 1,) + shape,
        )
    ]
    for t0, scale in pairs:
        centre = np.clip(t0, -_GRADED_REACH, _GRADED_REACH)
        points += [
            np.broadcast_to(centre, (1,) + shape),
            np.broadcast_to(centre - scale * steps, (n_grades,) + shape),
            np.broadcast_to(centre + scale * steps, (n_grades,) + shape),
        ]
    edges = np.sort(np.clip(np.concatenate(points, axis=0), -_GRADED_REACH, _GRADED_REACH), axis=0)
    x, wx = _legendre_rule(_PANEL_ORDER)
    x = x.reshape((-1, 1) + (1,) * len(shape))
    wx = wx.reshape(x.shape)
    half = 0.5 * (edges[1:] - edges[:-1])
    z = (0.5 * (edges[1:] + edges[:-1]) + half * x).reshape((-1,) + shape)
    w = (half * wx).reshape(z.shape) * gaussian_pdf(z)
    return z, w


def graded_rule(kinks: Sequence[tuple[float, float]], reach: float = _GRADED_REACH) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes and weights of the several-kinks rule (module docstring) for scalar kinks
    ``[(t1, w1), ...]``: :math:`\sum_i w_i f(z_i) \approx \mathbb{E}_{z\sim N(0,1)} f(z)`, with panel
    edges at every :math:`t_k`, for integrands evaluated once and reused for several averages.
    (The same panels as ``gaussian_expectation(..., kinks=...)``, built without its broadcasting.)
    ``reach`` < 13 drops the panels beyond :math:`|z| =` ``reach`` (Gaussian weight below
    :math:`2\times10^{-19}` beyond 9) for integrands of moderate growth."""
    if not 0 < reach <= _GRADED_REACH:
        raise ValueError(f"reach must lie in (0, {_GRADED_REACH:g}], got {reach!r}")
    if not kinks:
        raise ValueError("kinks must hold at least one (location, width) pair")
    centres = np.array([float(t) for t, _ in kinks])
    widths = np.array([float(w) for _, w in kinks])
    if not np.all(np.isfinite(centres)):
        raise ValueError("kink locations must be finite")
    if not np.all((widths > 0) & np.isfinite(widths)):
        raise ValueError("kink widths must be positive and finite")
    widths = np.maximum(widths, _SMALLEST_WIDTH)  # keeps the number of grades finite for subnormal widths
    n_grades = int(np.ceil(np.log(2 * reach / widths.min()) / np.log(_GRADING))) + 1
    x, wx = _legendre_rule(_PANEL_ORDER)
    return _graded_nodes(centres, widths, float(reach), n_grades, x, wx)


@njit(cache=True)
def _graded_nodes(
    centres: np.ndarray, widths: np.ndarray, reach: float, n_grades: int, x: np.ndarray, wx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The panels of :func:`graded_rule` (integer edges, the kinks, and edges graded by
    ``_GRADING`` around each), clipped to ``[-reach, reach]``, and their Gauss-Legendre nodes."""
    n_int = 2 * int(np.floor(reach)) + 1
    edges = np.empty(n_int + 2 + centres.size * (2 * n_grades + 1))
    k = 0
    for i in range(n_int):
        edges[k] = -np.floor(reach) + i
        k += 1
    edges[k], edges[k + 1] = -reach, reach
    k += 2
    for c in range(centres.size):
        centre = min(max(centres[c], -reach), reach)
        edges[k] = centre
        k += 1
        step = widths[c]
        for _ in range(n_grades):
            edges[k] = min(max(centre - step, -reach), reach)
            edges[k + 1] = min(max(centre + step, -reach), reach)
            k += 2
            step *= _GRADING
    edges = np.sort(edges)
    n_panels = 0
    for i in range(edges.size - 1):
        if edges[i + 1] > edges[i]:
            n_panels += 1
    z = np.empty(n_panels * x.size)
    w = np.empty(n_panels * x.size)
    norm = 1.0 / np.sqrt(2.0 * np.pi)
    k = 0
    for i in range(edges.size - 1):
        if edges[i + 1] > edges[i]:
            half = 0.5 * (edges[i + 1] - edges[i])
            mid = 0.5 * (edges[i + 1] + edges[i])
            for j in range(x.size):
                node = mid + half * x[j]
                z[k] = node
                w[k] = half * wx[j] * norm * np.exp(-0.5 * node * node)
                k += 1
    return z, w


def node_sum(weights: np.ndarray, values: ArrayLike) -> np.ndarray:
    r""":math:`\sum_i w_i\, v_{i\ldots}`: a rule's weights (1-d) against values with the nodes on axis 0 (unchecked,
    for inner loops: one matrix-vector product, cheaper than ``np.tensordot`` on small arrays)."""
    array = np.asarray(values)
    return (weights @ array.reshape(weights.size, -1)).reshape(array.shape[1:])


def crossover_width(slope: ArrayLike) -> np.ndarray:
    r"""Width :math:`\min(1, 1/\text{slope})` of a crossover of the integrand, in the integration variable,
    for the ``width`` of :func:`gaussian_expectation`'s kink rule: a crossover as steep as ``slope``
    is graded at its own width, a gentle one (slope below 1) at the Gaussian's own scale 1."""
    return np.minimum(1.0, 1.0 / np.maximum(np.asarray(slope, dtype=float), 1e-300))


def gaussian_expectation(
    f: Callable[..., ArrayLike],
    *params: ArrayLike,
    order: int = DEFAULT_ORDER,
    kink: ArrayLike | None = None,
    width: ArrayLike | None = None,
    lower: ArrayLike | None = None,
    kinks: Sequence[tuple[ArrayLike, ArrayLike]] | None = None,
) -> np.ndarray | float:
    r"""Evaluate :math:`\mathbb{E}_{z\sim N(0,1)}\, f(z, \theta)` for an array of parameters ``theta``.

    Parameters
    ----------
    f
        Integrand ``f(z, *params)``, vectorised. ``z`` has the quadrature nodes on axis 0 and
        every ``params[i]`` is passed with a leading axis of length one, so ordinary
        broadcasting gives an array of shape ``(n_nodes, *broadcast_shape)``.
    *params
        Arrays broadcast against each other; the result has their broadcast shape.
    order
        Number of Gauss-Hermite nodes (used only by the default rule).
    kink, width
        Location ``t0`` and width ``w`` in ``(0, 1e100]`` of a sharp crossover of ``f`` (arrays broadcast with
        ``params``); switches to the sinh-mapped trapezoidal rule described in the module
        docstring. Use it when ``w`` is below ~0.3 or ``f`` has complex singularities near the
        real axis (``tanh(a z)``, ``ln H``).
    lower
        Integrate over :math:`[a, \infty)` only: returns :math:`\int_a^\infty Dz\, f(z)`
        (not normalised by :math:`H(a)`), for ``f`` smooth on the half line.
    kinks
        Several crossovers ``[(t1, w1), (t2, w2), ...]`` (each pair broadcast with ``params``),
        e.g. the two symmetric thresholds of a sparse prior's denoiser: switches to the graded
        composite Gauss-Legendre rule described in the module docstring.

    Returns
    -------
    float or ndarray
        The expectation, with the broadcast shape of ``params`` (and of the rule's arrays).
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {brief(f)}")
    arrays, shape = _broadcast(params)
    if (kink is None) != (width is None):
        raise ValueError("kink and width must be given together")
    if sum(x is not None for x in (kink, lower, kinks)) > 1:
        raise ValueError("give at most one of kink/width, lower and kinks")
    if kinks is not None:
        if isinstance(kinks, (str, bytes)) or not isinstance(kinks, Sequence):
            raise TypeError(f"kinks must be a sequence of (location, width) pairs, got {brief(kinks)}")
        if not all(isinstance(pair, Sequence) and len(pair) == 2 for pair in kinks):
            raise TypeError(f"kinks must be a sequence of (location, width) pairs, got {brief(kinks)}")
        pairs = [
            (
                as_real_array("kinks", t, allow_empty=False),
                as_real_array("kinks (widths)", w, minimum=0.0, strict_minimum=True, allow_empty=False),
            )
            for t, w in kinks
        ]
        if not pairs:
            raise ValueError("kinks must hold at least one (location, width) pair")
        shape = np.broadcast_shapes(shape, *(t.shape for t, _ in pairs), *(w.shape for _, w in pairs))
        panels = [_graded_rule(pairs, shape)]
    elif kink is not None and width is not None:
        t0 = as_real_array("kink", kink, allow_empty=False)
        scale = as_real_array(
            "width", width, minimum=0.0, strict_minimum=True, maximum=_LARGEST_ARGUMENT, allow_empty=False
        )
        shape = np.broadcast_shapes(shape, t0.shape, scale.shape)
        panels = [_kink_rule(t0, scale, len(shape))]
    elif lower is not None:
        a = as_real_array("lower", lower, maximum=_LARGEST_ARGUMENT, allow_empty=False)
        shape = np.broadcast_shapes(shape, a.shape)
        panels = _half_line_rule(a, len(shape))
    else:
        z, w = hermite_rule(order)
        z = z.reshape((-1,) + (1,) * len(shape))
        panels = [(z, w.reshape(z.shape))]
    expanded = tuple(p[np.newaxis, ...] for p in arrays)
    total = 0.0
    for z, w in panels:
        z = np.broadcast_to(z, (z.shape[0],) + shape)
        total = total + np.sum(w * np.asarray(f(z, *expanded), dtype=float), axis=0)
    return np.asarray(total)[()]


def bivariate_gaussian_expectation(
    f: Callable[..., ArrayLike],
    var_u: ArrayLike,
    cov_uv: ArrayLike,
    var_v: ArrayLike,
    *params: ArrayLike,
    order: int = 64,
) -> np.ndarray | float:
    r"""Evaluate :math:`\mathbb{E}\, f(u, v, \theta)` for a centred Gaussian pair.

    The pair has covariance :math:`\begin{pmatrix} C_{uu} & C_{uv}\\ C_{uv} & C_{vv}\end{pmatrix}`
    (arrays, broadcast with ``params``; the matrix must be positive semi-definite). It is written
    as :math:`u = \sqrt{C_{uu}} z_1`,
    :math:`v = (C_{uv}/\sqrt{C_{uu}}) z_1 + \sqrt{C_{vv} - C_{uv}^2/C_{uu}}\, z_2` and evaluated with
    a tensor-product Gauss-Hermite rule of ``order**2`` nodes. ``f(u, v, *params)`` receives
    arrays with two leading node axes.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {brief(f)}")
    cuu = as_real_array("var_u", var_u, minimum=0.0)
    cuv = as_real_array("cov_uv", cov_uv)
    cvv = as_real_array("var_v", var_v, minimum=0.0)
    arrays, shape = _broadcast(params)
    try:
        shape = np.broadcast_shapes(shape, cuu.shape, cuv.shape, cvv.shape)
    except ValueError:
        raise ValueError("var_u, cov_uv, var_v and params must broadcast") from None
    schur = cvv - np.divide(cuv * cuv, cuu, out=np.zeros(np.broadcast_shapes(cuv.shape, cuu.shape)), where=cuu > 0)
    if np.any(schur < -1e-12 * np.maximum(cvv, 1.0)):
        raise ValueError("the covariance [[var_u, cov_uv], [cov_uv, var_v]] is not positive semi-definite")
    z, w = hermite_rule(order)
    extra = (1,) * len(shape)
    z1 = z.reshape((-1, 1) + extra)
    z2 = z.reshape((1, -1) + extra)
    ww = (w[:, None] * w[None, :]).reshape((len(w), len(w)) + extra)
    sqrt_uu = np.sqrt(cuu)
    slope = np.divide(cuv, sqrt_uu, out=np.zeros(np.broadcast_shapes(cuv.shape, cuu.shape)), where=cuu > 0)
    u = sqrt_uu * z1
    v = slope * z1 + np.sqrt(np.maximum(schur, 0.0)) * z2
    values = np.asarray(f(u, v, *(a[np.newaxis, np.newaxis, ...] for a in arrays)), dtype=float)
    return np.sum(ww * values, axis=(0, 1))[()]
