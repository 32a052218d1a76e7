r"""The per-scale conditional energy ansatz of the wavelet conditional renormalisation group, and the
local quadratic ansatz of the microscopic field it is compared with.

**Conditional ansatz** (Marchand, Ozawa, Biroli & Mallat, PRX 13, 041038 (2023), eq. (14);
the theory page ``docs/theory/wirg.md``). At scale :math:`j`, with :math:`\bar\psi = \bar\psi_j` the three detail
channels and :math:`\varphi = \varphi_j` the coarse field on the periodic :math:`L_j\times L_j`
lattice,

.. math::

    \bar E_j(\bar\psi|\varphi) = \tfrac12 \sum_{k,\Delta}\sum_{c,c'} \bar\psi_c(k+\Delta)\,
    \bar K[c,c',\Delta]\,\bar\psi_{c'}(k) + \sum_{k,\Delta}\sum_c \bar\psi_c(k+\Delta)\,
    \bar K'[c,\Delta]\,\varphi(k) + \sum_x v\big(\varphi_{j-1}(x)\big),

the kernel convention of :meth:`wirg.gaussian.Scale.kernels`, with couplings on the shifts
:math:`|\Delta|_\infty \le r` and :math:`\varphi_{j-1} = \gamma_j(G^\top\varphi_j +
\bar G^\top\bar\psi_j)` the reconstructed finer field (:func:`wirg.wavelets.synthesis_step`).
Only the symmetric part of :math:`\bar K` enters, :math:`\bar K[c,c',\Delta] =
\bar K[c',c,-\Delta]`, so each independent entry is one parameter:

* detail-detail ``("dd", c, c', Delta)``, :math:`c < c'` and every shift, or :math:`c = c'` and one
  shift of each pair :math:`\pm\Delta` (:func:`wirg.gaussian.stencil_shifts` with ``half=True``);
  feature :math:`\Phi = \sum_k \bar\psi_c(k+\Delta)\bar\psi_{c'}(k)`, except
  :math:`\tfrac12\sum_k\bar\psi_c(k)^2` for :math:`c = c', \Delta = 0`;
* detail-coarse ``("dc", c, Delta)``, every shift; :math:`\Phi = \sum_k\bar\psi_c(k+\Delta)\varphi(k)`;
* potential ``("v", i)``: :math:`v(t) = \sum_i \alpha_i \rho_i(t)`,
  :math:`\Phi = \sum_x \rho_i(\varphi_{j-1}(x))` (a :class:`Potential`);
* optionally, block quartic ``("b", name)``: the seven quartic invariants of
  :math:`(\varphi_j(k), \bar\psi_0(k), \bar\psi_1(k), \bar\psi_2(k))` of :mod:`wirg.block_quartic`, quartic terms
  among the sites of a block that an on-site potential cannot express (an extension of eq. (14));
* optionally, a coarse-modulated detail stiffness ``("m", g, i)``: a basis :math:`\mu_i` (a :class:`Potential`,
  its window ignored) of the coarse value, :math:`\Phi = \tfrac12\sum_k\mu_i(\varphi_j(k))
  \sum_{c\in g}\bar\psi_c(k)^2` for the groups :math:`g` = axis (c = 0, 1) and diagonal (c = 2): the detail
  variance may then follow the local coarse value, as in a field whose fluctuations grow with its level (a
  shifted lognormal), which one stiffness for all sites cannot express (an extension of eq. (14));
* optionally, a detail scale :math:`\sigma(\varphi_j)` (:class:`wirg.detail_scale.DetailScale`, fixed, not a
  parameter): the detail-detail and detail-coarse features are those of the rescaled
  :math:`\chi_c(k) = w(k)\bar\psi_c(k)` and :math:`w(k)\varphi_j(k)`, :math:`w = 1/\sigma(\varphi_j)`, so the
  whole quadratic form, not only its diagonal, follows the local level (an extension of eq. (14));
* optionally, the block cubic feature ``("c3", "abd")``: :math:`\Phi = \sum_k\chi_0\chi_1\chi_2\,
  e^{-u/2s^2}`, :math:`u = \chi_0^2 + \chi_1^2 + \chi_2^2` at each coarse site :math:`k` (:math:`\chi = \bar\psi`
  without a detail scale). :math:`abd` is the one cubic invariant of a block's details under the symmetries of the
  square (reflections flip the signs of two of them, the transposition exchanges the axis channels), and for Haar
  the cubed deviations of a 2 x 2 block's four sites from their mean sum to :math:`3\gamma_j^3\,abd`: this is the
  skewness within a block, which a field with sharp peaks and flat troughs has at every level (a shifted
  lognormal: :math:`\langle\chi_0\chi_1\chi_2\rangle = 0.068` in every coarse bin) and an on-site potential
  did not reproduce (an extension of eq. (14)). The damping at the radius :math:`s` (a few detail standard
  deviations) keeps the energy bounded below by its quadratic part, where a bare cubic runs away to the
  potential's window. With :math:`P = \chi_0\chi_1\chi_2` (harmonic, homogeneous of degree 3) and
  :math:`h = e^{-u/2s^2}`: :math:`\partial_{\chi_c}(Ph) = h(\partial_cP - P\chi_c/s^2)` and
  :math:`\Delta_\chi(Ph) = Ph\,(u/s^4 - 9/s^2)`.

The energy is linear in the parameters, :math:`\bar E = \theta\cdot\Phi(\bar\psi, \varphi)`.
Its gradient, used by Langevin samplers, is

.. math::

    \frac{\partial\bar E}{\partial\bar\psi_c(x)} = \sum_{c',\Delta}\bar K[c,c',\Delta]\bar\psi_{c'}(x-\Delta)
    + \sum_\Delta \bar K'[c,\Delta]\varphi(x-\Delta) + \gamma_j\,\big[\bar G\, v'(\varphi_{j-1})\big]_c(x)
    + s_{g(c)}(\varphi_j(x))\,\bar\psi_c(x),

the convolutions computed by FFT (:math:`\hat{\bar K}(\xi) = \sum_\Delta\bar K[\Delta]e^{-i\xi\cdot\Delta}`,
which is :math:`Q_{hh}(\xi)` of :mod:`wirg.gaussian`) and the last term the chain rule through the
synthesis, :math:`\partial\varphi_{j-1}/\partial\bar\psi = \gamma_j\bar G^\top`, i.e. ``gamma**2``
times the details of ``analysis_step(v', wavelet, gamma)``; :math:`s_g = \sum_i\theta_{g,i}\mu_i` is the
modulated stiffness (zero without it).

**Local (direct) ansatz** of the microscopic field, the baseline WIRG is compared with:
:math:`E(\varphi) = \tfrac12\sum_a\theta_a\sum_x\varphi_x\varphi_{x+\Delta_a}` over one shift of
each pair :math:`\pm\Delta`, :math:`|\Delta|_\infty\le r`, i.e. the precision symbol
:math:`\hat K(k) = \sum_a \theta_a\cos(k\cdot\Delta_a)` (the parametrisation of
:meth:`wirg.gaussian.GaussianWIRG.condition_numbers`).

References
----------
T. Marchand, M. Ozawa, G. Biroli & S. Mallat, "Multiscale data-driven energy estimation and
generation", Phys. Rev. X 13, 041038 (2023), section III.
"""

from __future__ import annotations

import abc
import numbers
from collections.abc import Sequence

import numpy as np
from numba import njit
from numpy.typing import ArrayLike
from scipy.special import expit

from wirg.block_quartic import (
    BLOCK_QUARTIC,
    block_quartic_coarse_gradients,
    block_quartic_energy_and_grad,
    block_quartic_gradients,
    block_quartic_laplacians,
    block_quartic_sums,
)
from wirg.checks import (
    check_choice,
    check_gamma_scalar,
    check_memory,
    check_positive,
    check_radius,
    check_side,
    count,
    field_pair,
    finite_result,
    real_array,
    show,
)
from wirg.detail_scale import DetailScale
from wirg.gaussian import stencil_shifts
from wirg.wavelets import WAVELETS, analysis_step, synthesis_step

__all__ = [
    "MODULATION_GROUPS",
    "BumpPotential",
    "CombinedPotential",
    "FieldAnsatz",
    "LocalAnsatz",
    "PolynomialPotential",
    "Potential",
    "QuadraticAnsatz",
    "SigmoidPotential",
    "data_window",
]


#: The channel groups of the coarse-modulated detail stiffness (module docstring): axis (c = 0, 1), diagonal (c = 2).
MODULATION_GROUPS = ("axis", "diagonal")
_GROUP_MASK = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # [group, channel]


def _group_squares(psi: np.ndarray) -> np.ndarray:
    r""":math:`\sum_{c\in g}\bar\psi_c(k)^2` per channel group, shape (B, groups, n, n)."""
    return np.einsum("gc,bcyx->bgyx", _GROUP_MASK, psi * psi)


# --------------------------------------------------------------------------------------------
# scalar potential on the reconstructed finer field


class Potential(abc.ABC):
    r"""A scalar potential :math:`v(t) = \sum_i \alpha_i \rho_i(t)`, linear in :math:`\alpha`, acting
    site by site on the reconstructed finer field :math:`\varphi_{j-1}`.

    Subclasses give the basis :math:`\rho_i`, its first and second derivatives (the second for
    score matching, :mod:`wirg.score_matching`) and :meth:`to_dict`; the features
    :math:`\sum_x\rho_i(\varphi(x))` and :math:`v'` follow. :meth:`from_dict` rebuilds any of them
    from its :meth:`to_dict` (plain JSON numbers, for saving a fitted model).

    **Window.** A potential may carry a window :math:`[t_-, t_+]` (:attr:`window`, None for none): the
    model it defines is then the *truncated* density :math:`e^{-E}\prod_x 1[t_- \le \varphi(x) \le t_+]`,
    zero as soon as one site of the field it acts on leaves the window. The operators of
    :class:`QuadraticAnsatz` and :class:`FieldAnsatz` (what the MALA samplers evaluate) return
    :math:`E = +\infty` there, so such proposals are rejected (the windowed MALA of the public code of
    Guth, Lempereur, Bruna & Mallat, ICML 2023). A bounded basis (sigmoids, bumps) is flat outside its
    centres, where no data constrain it: without the window the chains wander there. Score matching is
    unaffected: the data it averages over are inside the window (the window of :meth:`from_data`
    contains them), where the truncated density's score is the untruncated one.
    """

    #: The ``"kind"`` of :meth:`to_dict`, one per subclass, its other keys, and those of them that may be
    #: absent (dicts written before the key existed).
    kind: str = ""
    keys: tuple[str, ...] = ()
    optional_keys: tuple[str, ...] = ()

    @property
    def window(self) -> tuple[float, float] | None:
        r"""The window :math:`(t_-, t_+)` of the truncated density (class docstring), or None (no truncation)."""
        return None

    def outside_window(self, phi_fine: np.ndarray) -> np.ndarray:
        r"""Whether some site of each field of ``phi_fine`` (batch, L, L) lies outside :attr:`window`:
        boolean (batch,), all False without a window. A NaN site counts as outside."""
        window = self.window
        t = np.asarray(phi_fine)
        if t.dtype.kind not in "biuf":
            raise TypeError(f"phi_fine must be a real numeric array, got dtype {t.dtype}")
        if t.ndim < 2:
            raise ValueError(f"phi_fine must have shape (..., L, L), got {t.shape}")
        if window is None:
            return np.zeros(t.shape[:-2], dtype=bool)
        return ~np.all((t >= window[0]) & (t <= window[1]), axis=(-2, -1))

    @property
    @abc.abstractmethod
    def n_params(self) -> int:
        """Number of basis functions."""

    @abc.abstractmethod
    def basis(self, t: np.ndarray) -> np.ndarray:
        r""":math:`\rho_i(t)` stacked on a new last axis: shape ``t.shape + (n_params,)``."""

    @abc.abstractmethod
    def basis_derivative(self, t: np.ndarray) -> np.ndarray:
        r""":math:`\rho_i'(t)` stacked on a new last axis."""

    @abc.abstractmethod
    def basis_second_derivative(self, t: np.ndarray) -> np.ndarray:
        r""":math:`\rho_i''(t)` stacked on a new last axis."""

    @abc.abstractmethod
    def to_dict(self) -> dict:
        """``{"kind": ..., parameters}`` with plain JSON-able values; :meth:`from_dict` inverts it."""

    @classmethod
    def from_dict(cls, d: object) -> Potential:
        """The potential described by ``d``, a dictionary written by :meth:`to_dict`."""
        if not isinstance(d, dict) or not isinstance(d.get("kind"), str):
            raise TypeError(f"d must be a dict with a string 'kind' (from Potential.to_dict), got {show(d)}")
        kinds = {sub.kind: sub for sub in (PolynomialPotential, SigmoidPotential, BumpPotential, CombinedPotential)}
        kind = check_choice("d['kind']", d["kind"], kinds)
        params = {k: v for k, v in d.items() if k != "kind"}
        keys, optional = set(kinds[kind].keys), set(kinds[kind].optional_keys)
        if not keys - optional <= set(params) <= keys:
            raise ValueError(f"d: a {kind} potential has the keys {sorted(keys)}, got {sorted(params)}")
        return kinds[kind]._from_params(**params)

    @classmethod
    @abc.abstractmethod
    def _from_params(cls, **params: object) -> Potential:
        """The constructor call for the parameters of :meth:`to_dict`."""

    def features(self, phi_fine: np.ndarray) -> np.ndarray:
        r""":math:`\sum_x \rho_i(\varphi(x))` for ``phi_fine`` of shape (batch, L, L): (batch, n_params)."""
        return self.basis(phi_fine).sum(axis=(-3, -2))

    def derivative(self, alpha: np.ndarray, phi_fine: np.ndarray) -> np.ndarray:
        r""":math:`v'(\varphi(x)) = \sum_i\alpha_i\rho_i'(\varphi(x))`, the gradient of
        :math:`\sum_x v(\varphi(x))` with respect to ``phi_fine`` (same shape)."""
        return self.basis_derivative(phi_fine) @ alpha

    def energy_and_derivative(self, alpha: np.ndarray, phi_fine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`\sum_x v(\varphi(x))` (batch,) and :math:`v'(\varphi(x))` together, what a sampler needs at
        every step (subclasses share the work of the two)."""
        return self.features(phi_fine) @ alpha, self.derivative(alpha, phi_fine)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Potential) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))


class PolynomialPotential(Potential):
    r"""Monomials :math:`\rho_i(t) = t^{p_i}`, e.g. ``powers=(4,)`` for the :math:`\varphi^4` term.

    A power 2 duplicates the quadratic couplings (:math:`\sum_x\varphi_{j-1}^2 = \gamma_j^2
    (|\varphi_j|^2 + |\bar\psi_j|^2)`), which makes the parameters of a conditional model redundant.

    Parameters
    ----------
    powers
        Distinct integers >= 1.
    """

    kind = "polynomial"
    keys = ("powers",)

    def __init__(self, powers: Sequence[int] = (4,)) -> None:
        if isinstance(powers, (str, bytes)) or not isinstance(powers, Sequence) or not powers:
            raise TypeError(f"powers must be a non-empty sequence of integers, got {show(powers)}")
        for p in powers:
            if isinstance(p, bool) or not isinstance(p, numbers.Integral) or p < 1:
                raise ValueError(f"powers must be integers >= 1, got {show(powers)}")
        if len(set(powers)) != len(powers):
            raise ValueError(f"powers must be distinct, got {show(powers)}")
        self.powers = tuple(int(p) for p in powers)

    @property
    def n_params(self) -> int:
        return len(self.powers)

    def basis(self, t: np.ndarray) -> np.ndarray:
        return np.stack([t**p for p in self.powers], axis=-1)

    def basis_derivative(self, t: np.ndarray) -> np.ndarray:
        return np.stack([p * t ** (p - 1) for p in self.powers], axis=-1)

    def basis_second_derivative(self, t: np.ndarray) -> np.ndarray:
        return np.stack([p * (p - 1) * t ** (p - 2) if p > 1 else np.zeros_like(t) for p in self.powers], axis=-1)

    def energy_and_derivative(self, alpha: np.ndarray, phi_fine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = np.asarray(phi_fine, dtype=np.float64)
        monomials = [np.ones_like(t)]  # t^0 .. t^max by products (faster than float powers)
        for _ in range(max(self.powers)):
            monomials.append(monomials[-1] * t)
        value = sum(a * monomials[p] for a, p in zip(alpha, self.powers))
        slope = sum(a * p * monomials[p - 1] for a, p in zip(alpha, self.powers))
        return np.sum(value, axis=(-2, -1)), slope

    def to_dict(self) -> dict:
        return {"kind": self.kind, "powers": list(self.powers)}

    @classmethod
    def _from_params(cls, *, powers: Sequence[int]) -> PolynomialPotential:
        return cls(powers)

    def __repr__(self) -> str:
        return f"PolynomialPotential(powers={self.powers})"


@njit(cache=True)
def _localized_sum(t, centres, widths, alpha, sigmoid, value, slope):  # pragma: no cover - compiled
    """value[i] = sum_k alpha_k rho((t_i - c_k)/s_k), slope[i] = its t-derivative; rho the logistic sigmoid
    (``sigmoid``) or the Gaussian bump. One exponential per site and function, no temporaries."""
    for i in range(t.size):
        v = 0.0
        d = 0.0
        for k in range(centres.size):
            u = (t[i] - centres[k]) / widths[k]
            if sigmoid:
                s = 1.0 / (1.0 + np.exp(-u)) if u >= 0.0 else np.exp(u) / (1.0 + np.exp(u))
                v += alpha[k] * s
                d += alpha[k] * s * (1.0 - s) / widths[k]
            else:
                b = np.exp(-0.5 * u * u)
                v += alpha[k] * b
                d -= alpha[k] * u * b / widths[k]
        value[i] = v
        slope[i] = d


class _LocalizedPotential(Potential):
    r"""Translates and dilates :math:`\rho_i(t) = \rho((t - c_i)/s_i)` of one profile :math:`\rho`, with an
    optional window :math:`(t_-, t_+)` (:class:`Potential`)."""

    keys = ("centres", "widths", "window")
    optional_keys = ("window",)

    def __init__(self, centres: ArrayLike, widths: ArrayLike, window: ArrayLike | None = None) -> None:
        c = real_array("centres", centres)
        if c.ndim != 1 or c.size == 0:
            raise ValueError(f"centres must be a non-empty 1-D array, got shape {c.shape}")
        s = real_array("widths", widths)
        if s.shape != c.shape:
            raise ValueError(f"widths must have the shape of centres {c.shape}, got {s.shape}")
        if not np.all(s > 0):
            raise ValueError("widths must be > 0")
        self.centres = c.copy()
        self.widths = s.copy()
        self.centres.flags.writeable = self.widths.flags.writeable = False
        self._window: tuple[float, float] | None = None
        if window is not None:
            w = real_array("window", window)
            if w.shape != (2,) or not w[0] < w[1]:
                raise ValueError(f"window must be (low, high) with low < high, got {show(window)}")
            self._window = (float(w[0]), float(w[1]))

    @property
    def n_params(self) -> int:
        return self.centres.size

    @property
    def window(self) -> tuple[float, float] | None:
        return self._window

    @staticmethod
    @abc.abstractmethod
    def _profile(u: np.ndarray, orders: tuple[int, ...]) -> list[np.ndarray]:
        r"""The derivatives :math:`\rho^{(k)}(u)` of the given orders k in {0, 1, 2} (one exponential for all)."""

    def _scaled(self, t: np.ndarray, orders: tuple[int, ...]) -> list[np.ndarray]:
        with np.errstate(over="ignore", invalid="ignore"):
            u = (np.asarray(t, dtype=np.float64)[..., None] - self.centres) / self.widths
            return [r / self.widths**k for r, k in zip(self._profile(u, orders), orders)]

    def basis(self, t: np.ndarray) -> np.ndarray:
        return self._scaled(t, (0,))[0]

    def basis_derivative(self, t: np.ndarray) -> np.ndarray:
        return self._scaled(t, (1,))[0]

    def basis_second_derivative(self, t: np.ndarray) -> np.ndarray:
        return self._scaled(t, (2,))[0]

    def energy_and_derivative(self, alpha: np.ndarray, phi_fine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = np.ascontiguousarray(phi_fine, dtype=np.float64)
        value, slope = np.empty_like(t), np.empty_like(t)
        _localized_sum(
            t.reshape(-1),
            self.centres,
            self.widths,
            np.asarray(alpha, dtype=np.float64),
            self.kind == "sigmoid",
            value.reshape(-1),
            slope.reshape(-1),
        )
        return value.sum(axis=(-2, -1)), slope

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "centres": self.centres.tolist(), "widths": self.widths.tolist()}
        if self._window is not None:  # absent without a window: the dicts of before windows stay the same
            d["window"] = list(self._window)
        return d

    @classmethod
    def _from_params(cls, *, centres: ArrayLike, widths: ArrayLike, window: ArrayLike | None = None) -> Potential:
        return cls(centres, widths, window)

    @classmethod
    def from_data(
        cls, values: ArrayLike, n_functions: int, *, width: float = 0.5, tail: int | None = 10
    ) -> _LocalizedPotential:
        r"""Centres on the quantiles of ``values`` (e.g. the data's reconstructed field at this scale),
        :math:`c_i = Q\big((i + \tfrac12)/n\big)`, :math:`i = 0 \dots n-1`, and widths ``width`` times
        the local spacing of the centres, :math:`s_i = w\,(c_{i+1} - c_{i-1})/2` (one-sided at the
        ends; for one function, the standard deviation of ``values``), at least :math:`10^{-3}` of the
        standard deviation of ``values``. The default ``width = 0.5`` keeps neighbouring functions apart:
        on phi^4 at L = 32 (scale 1, radius 2, 20 functions and t^4) the normalised condition number of
        score matching's H is 2.6e3 for bumps and 4.7e4 for sigmoids at 0.5, against 6.2e5 and 5.7e5 at 1.

        **Window** (:class:`Potential`): the range of ``values`` widened at each end by the spread of its
        ``tail`` + 1 most extreme values, :math:`t_+ = x_{(N)} + (x_{(N)} - x_{(N-k)})` and
        :math:`t_- = x_{(1)} - (x_{(k+1)} - x_{(1)})`, :math:`k` = ``tail`` (at most N - 1). Not the centres'
        range, which would cut the data's own tails (the quantiles below :math:`1/2n` and above
        :math:`1 - 1/2n`). The margin is an extreme-value estimate: for a tail
        :math:`P(X > t) \propto e^{-t/b}`, the top spacing :math:`x_{(N)} - x_{(N-k)}` has mean
        :math:`b\sum_{i=1}^k 1/i \approx 2.9\,b` at :math:`k = 10`, and a new sample of the same size then
        has on average :math:`e^{-2.9} \approx 0.05` values above :math:`t_+`; where the law has a hard
        bound (a density vanishing at the lowest values) the spacing is small and the window stays close
        to the bound. ``tail=None`` gives no window.

        Parameters
        ----------
        values : array_like
            Any shape; finite, not constant.
        n_functions : int >= 1
        width : float > 0
        tail : int >= 1 or None
        """
        v = real_array("values", values).ravel()
        n = count("n_functions", n_functions, minimum=1)
        width = check_positive("width", width)
        tail = None if tail is None else count("tail", tail, minimum=1)
        if v.size < 2:
            raise ValueError(f"values must hold at least 2 numbers, got {v.size}")
        with np.errstate(over="ignore", invalid="ignore"):
            spread = float(v.std())
        finite_result("values", np.float64(spread), "the standard deviation")
        if not spread > 0.0:
            raise ValueError("values must not be constant: the quantiles would coincide")
        check_memory(f"{n} basis functions", "n_functions", 64.0 * n)
        centres = np.quantile(v, (np.arange(n) + 0.5) / n)
        with np.errstate(over="ignore", invalid="ignore"):
            if n == 1:
                spacing = np.array([spread])
            else:
                gaps = np.diff(centres)
                spacing = 0.5 * (np.concatenate([gaps[:1], gaps]) + np.concatenate([gaps, gaps[-1:]]))
            widths = width * np.maximum(spacing, 1e-3 * spread)
        window = None if tail is None else data_window(v, tail)
        return cls(centres, finite_result("values and width", widths, "the widths"), window)

    def __repr__(self) -> str:
        lo, hi = self.centres.min(), self.centres.max()
        window = "" if self._window is None else f", window [{self._window[0]:.4g}, {self._window[1]:.4g}]"
        return f"{type(self).__name__}({self.n_params} functions, centres in [{lo:.4g}, {hi:.4g}]{window})"


class SigmoidPotential(_LocalizedPotential):
    r"""Logistic sigmoids :math:`\rho_i(t) = \sigma\big((t - c_i)/s_i\big)`,
    :math:`\sigma(u) = 1/(1 + e^{-u})` (the basis of the public code of Guth et al., ICML 2023,
    with the opposite sign of the argument, which only flips the signs of the coefficients).
    A combination is bounded: outside the centres the potential is flat, so the quadratic part
    (or a :class:`PolynomialPotential` in a :class:`CombinedPotential`) must confine the field.

    Parameters
    ----------
    centres, widths : array_like, shape (n,)
        :math:`c_i` and :math:`s_i > 0`; :meth:`from_data` places them on quantiles.
    """

    kind = "sigmoid"

    @staticmethod
    def _profile(u: np.ndarray, orders: tuple[int, ...]) -> list[np.ndarray]:
        s = expit(u)
        return [s if k == 0 else s * (1.0 - s) if k == 1 else s * (1.0 - s) * (1.0 - 2.0 * s) for k in orders]


class BumpPotential(_LocalizedPotential):
    r"""Gaussian bumps :math:`\rho_i(t) = \exp\big(-(t - c_i)^2 / 2s_i^2\big)` (smooth and localized;
    Guth et al., ICML 2023, eq. (30), use compactly supported bumps on the quantiles instead).

    Parameters
    ----------
    centres, widths : array_like, shape (n,)
        :math:`c_i` and :math:`s_i > 0`; :meth:`from_data` places them on quantiles.
    """

    kind = "bump"

    @staticmethod
    def _profile(u: np.ndarray, orders: tuple[int, ...]) -> list[np.ndarray]:
        b = np.exp(-0.5 * u * u)
        return [b if k == 0 else -u * b if k == 1 else (u * u - 1.0) * b for k in orders]


class CombinedPotential(Potential):
    r"""The sum of several potentials, :math:`v = \sum_m v_m`: the basis is the concatenation of theirs
    (e.g. sigmoids on the quantiles plus a :math:`t^4` monomial that confines the field beyond them).

    Parameters
    ----------
    parts : sequence of Potential
        At least one.
    """

    kind = "combined"
    keys = ("parts",)

    def __init__(self, parts: Sequence[Potential]) -> None:
        if isinstance(parts, (str, bytes, Potential)) or not isinstance(parts, Sequence) or not parts:
            raise TypeError(f"parts must be a non-empty sequence of Potential, got {show(parts)}")
        for part in parts:
            if not isinstance(part, Potential):
                raise TypeError(f"parts must hold Potential instances, got {type(part).__name__}")
        self.parts = tuple(parts)
        windows = [p.window for p in self.parts if p.window is not None]
        self._window = None if not windows else (max(w[0] for w in windows), min(w[1] for w in windows))
        if self._window is not None and not self._window[0] < self._window[1]:
            raise ValueError(f"parts: their windows do not overlap, {windows}")

    @property
    def n_params(self) -> int:
        return sum(p.n_params for p in self.parts)

    @property
    def window(self) -> tuple[float, float] | None:
        """The intersection of the parts' windows (None if none has one)."""
        return self._window

    def basis(self, t: np.ndarray) -> np.ndarray:
        return np.concatenate([p.basis(t) for p in self.parts], axis=-1)

    def basis_derivative(self, t: np.ndarray) -> np.ndarray:
        return np.concatenate([p.basis_derivative(t) for p in self.parts], axis=-1)

    def basis_second_derivative(self, t: np.ndarray) -> np.ndarray:
        return np.concatenate([p.basis_second_derivative(t) for p in self.parts], axis=-1)

    def energy_and_derivative(self, alpha: np.ndarray, phi_fine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bounds = np.cumsum([0] + [p.n_params for p in self.parts])
        pairs = [p.energy_and_derivative(alpha[a:b], phi_fine) for p, a, b in zip(self.parts, bounds[:-1], bounds[1:])]
        return sum(e for e, _ in pairs), sum(d for _, d in pairs)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "parts": [p.to_dict() for p in self.parts]}

    @classmethod
    def _from_params(cls, *, parts: Sequence[object]) -> CombinedPotential:
        if not isinstance(parts, list):
            raise ValueError(f"d: 'parts' must be a list of potential dicts, got {show(parts)}")
        return cls([Potential.from_dict(p) for p in parts])

    def __repr__(self) -> str:
        return f"CombinedPotential({list(self.parts)!r})"


def data_window(values: ArrayLike, tail: int = 10) -> tuple[float, float]:
    r"""The window :math:`(t_-, t_+)` of a density estimated from ``values``: their range widened at each end
    by the spread of the ``tail`` + 1 most extreme values, :math:`t_+ = x_{(N)} + (x_{(N)} - x_{(N-k)})` and
    :math:`t_- = x_{(1)} - (x_{(k+1)} - x_{(1)})`, :math:`k` = ``tail`` (at most N - 1): the extreme-value
    margin of :meth:`BumpPotential.from_data` (for an exponential tail of scale :math:`b` about
    :math:`2.9\,b` at :math:`k = 10`; a new sample of the same size then has on average 0.05 values beyond it).

    Parameters
    ----------
    values : array_like
        Any shape, finite, at least two numbers.
    tail : int >= 1
    """
    v = real_array("values", values).ravel()
    tail = count("tail", tail, minimum=1)
    if v.size < 2:
        raise ValueError(f"values must hold at least 2 numbers, got {v.size}")
    k = min(tail, v.size - 1)
    ends = np.partition(v, (0, k, v.size - 1 - k, v.size - 1))
    with np.errstate(over="ignore"):
        window = finite_result(
            "values", np.array([2.0 * ends[0] - ends[k], 2.0 * ends[-1] - ends[v.size - 1 - k]]), "the window"
        )
    if not window[0] < window[1]:
        raise ValueError(f"values: their window [{window[0]:.6g}, {window[1]:.6g}] is empty at float64 precision")
    return float(window[0]), float(window[1])


def torus_shifts(radius: int, lattice: int | None, *, half: bool) -> list[tuple[int, int]]:
    r""":func:`wirg.gaussian.stencil_shifts`, or, on one ``lattice`` of side n, those shifts reduced to
    :math:`(-n/2, n/2]` and deduplicated (with ``half``, one of each class :math:`\{\Delta, -\Delta\}`)."""
    shifts = stencil_shifts(radius, half=half)
    if lattice is None:
        return shifts
    kept: list[tuple[int, int]] = []
    for dy, dx in shifts:
        s = (_centred(dy, lattice), _centred(dx, lattice))
        if s not in kept and not (half and (_centred(-s[0], lattice), _centred(-s[1], lattice)) in kept):
            kept.append(s)
    return kept


def _centred(d: int, n: int) -> int:
    r = d % n
    return r - n if 2 * r > n else r


def _opposite(s: tuple[int, int], lattice: int | None) -> bool:
    r"""Whether the shift is its own opposite: 0, or :math:`2\Delta \equiv 0` on the torus."""
    if lattice is None:
        return s == (0, 0)
    return (2 * s[0]) % lattice == 0 and (2 * s[1]) % lattice == 0


def _cubic_parts(chi: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(P h, h, u) of the damped block cubic term at every coarse site (module docstring), each (B, n, n)."""
    u = np.einsum("bcyx,bcyx->byx", chi, chi)
    h = np.exp(-0.5 * u / radius**2)
    return chi[:, 0] * chi[:, 1] * chi[:, 2] * h, h, u


def _cubic_slopes(chi: np.ndarray, scale: np.ndarray | None, radius: float) -> np.ndarray:
    r""":math:`\partial(Ph)/\partial\bar\psi_c = w\,h\,(\partial_cP - P\chi_c/s^2)`, shape (B, 3, n, n)."""
    density, h, _ = _cubic_parts(chi, radius)
    slopes = np.stack([chi[:, 1] * chi[:, 2], chi[:, 0] * chi[:, 2], chi[:, 0] * chi[:, 1]], axis=1) * h[:, None]
    slopes -= density[:, None] * chi / radius**2
    return slopes if scale is None else slopes * scale[:, None]


def _parameters(ansatz: QuadraticAnsatz | LocalAnsatz | FieldAnsatz, theta: ArrayLike) -> np.ndarray:
    """``theta`` as a float array of shape (ansatz.n_params,), or ValueError/TypeError naming it."""
    arr = real_array("theta", theta)
    if arr.shape != (ansatz.n_params,):
        raise ValueError(f"theta must have shape ({ansatz.n_params},) for {ansatz!r}, got {arr.shape}")
    return arr


def _field_energy(ansatz: LocalAnsatz | FieldAnsatz, theta: ArrayLike, phi: ArrayLike) -> np.ndarray:
    """:math:`E = \\theta\\cdot\\Phi(\\varphi)` of an energy of whole fields, shape (batch,)."""
    features, theta = ansatz.features(phi), ansatz.check_theta(theta)
    with np.errstate(over="ignore", invalid="ignore"):
        return finite_result("theta and phi", features @ theta, "the energy")


def _field_grad(ansatz: LocalAnsatz | FieldAnsatz, theta: ArrayLike, phi: ArrayLike) -> np.ndarray:
    """:math:`\\partial E/\\partial\\varphi` of an energy of whole fields by its operator, shape (batch, n, n)."""
    x = ansatz.check_fields(phi)
    operator = ansatz.operator(theta, x.shape[-1])
    with np.errstate(over="ignore", invalid="ignore"):
        grad = operator.energy_and_grad(x)[1]
    return finite_result("theta and phi", grad, "the gradient")


# --------------------------------------------------------------------------------------------
# the conditional ansatz


class QuadraticAnsatz:
    r"""The conditional energy :math:`\bar E_j(\bar\psi|\varphi_j)` of the module docstring.

    Parameters
    ----------
    radius
        :math:`r \ge 0`: couplings at shifts :math:`|\Delta|_\infty \le r`.
    potential
        Optional :class:`Potential` on the reconstructed field :math:`\varphi_{j-1}`.
    block_quartic
        Add the seven block quartic features of :mod:`wirg.block_quartic`.
    block_cubic
        The damping radius :math:`s > 0` of the block cubic feature (module docstring; in the units of
        :math:`\chi`, the details rescaled by a detail scale if there is one), the skewness of a wavelet block's
        four sites given their mean; None (default) for none.
    modulation
        Optional :class:`Potential` basis :math:`\mu_i` of the coarse value for the coarse-modulated detail
        stiffness (module docstring); its window, if any, is not used (the coarse field is given).
    detail_scale
        Optional :class:`wirg.detail_scale.DetailScale`: the quadratic features in the rescaled details (module
        docstring).
    wavelet, gamma
        The transform used to reconstruct :math:`\varphi_{j-1}` (only needed with a potential).

    Attributes
    ----------
    labels : list of tuple
        The parameter of each index: ``("dd", c, c', (dy, dx))``, ``("dc", c, (dy, dx))``, ``("v", i)``,
        ``("b", name)``, ``("m", g, i)`` (g in :data:`MODULATION_GROUPS`), ``("c3", "abd")``, in this order.
    n_dd, n_dc, n_v, n_block, n_mod, n_cubic, n_params : int
        Numbers of detail-detail, detail-coarse, potential, block quartic, modulation, block cubic and all
        parameters.
    """

    def __init__(
        self,
        radius: int,
        *,
        potential: Potential | None = None,
        block_quartic: bool = False,
        modulation: Potential | None = None,
        detail_scale: DetailScale | None = None,
        block_cubic: float | None = None,
        wavelet: str = "db4",
        gamma: float = 1.0,
        lattice: int | None = None,
    ) -> None:
        self.radius = check_radius(radius)
        if not isinstance(block_quartic, bool | np.bool_):
            raise TypeError(f"block_quartic must be a bool, got {type(block_quartic).__name__}")
        self.block_quartic = bool(block_quartic)
        #: the damping radius s of the block cubic term, or None
        self.cubic_radius = None if block_cubic is None else check_positive("block_cubic", block_cubic)
        self.block_cubic = self.cubic_radius is not None
        self.lattice = None if lattice is None else count("lattice", lattice, minimum=1)
        if potential is not None and not isinstance(potential, Potential):
            raise TypeError(f"potential must be a Potential or None, got {type(potential).__name__}")
        self.potential = potential
        if modulation is not None and not isinstance(modulation, Potential):
            raise TypeError(f"modulation must be a Potential or None, got {type(modulation).__name__}")
        self.modulation = modulation
        if detail_scale is not None and not isinstance(detail_scale, DetailScale):
            raise TypeError(f"detail_scale must be a DetailScale or None, got {type(detail_scale).__name__}")
        self.detail_scale = detail_scale
        self.wavelet = check_choice("wavelet", wavelet, WAVELETS)
        self.gamma = check_gamma_scalar(gamma)
        dd = [
            ("dd", c, cp, s)
            for c in range(3)
            for cp in range(c, 3)
            for s in torus_shifts(self.radius, self.lattice, half=(c == cp))
        ]
        dc = [("dc", c, s) for c in range(3) for s in torus_shifts(self.radius, self.lattice, half=False)]
        pot = [("v", i) for i in range(potential.n_params)] if potential is not None else []
        block = [("b", name) for name in BLOCK_QUARTIC] if self.block_quartic else []
        n_mu = 0 if modulation is None else modulation.n_params
        mod = [("m", g, i) for g in MODULATION_GROUPS for i in range(n_mu)]
        cubic = [("c3", "abd")] if self.block_cubic else []
        self.labels = dd + dc + pot + block + mod + cubic
        self.n_dd, self.n_dc, self.n_v, self.n_block, self.n_mod = len(dd), len(dc), len(pot), len(block), len(mod)
        self.n_cubic = len(cubic)
        #: where the potential's and the block quartic coefficients sit in theta
        self.potential_slice = slice(self.n_dd + self.n_dc, self.n_dd + self.n_dc + self.n_v)
        self.block_slice = slice(self.potential_slice.stop, self.potential_slice.stop + self.n_block)
        self.modulation_slice = slice(self.block_slice.stop, self.block_slice.stop + self.n_mod)
        self.cubic_slice = slice(self.modulation_slice.stop, self.modulation_slice.stop + self.n_cubic)
        self.n_params = len(self.labels)
        self._shifts = torus_shifts(self.radius, self.lattice, half=False)
        self._dd_index = [(self._shifts.index(s), c, cp) for _, c, cp, s in dd]
        # 1/2 on the squares and on a shift that is its own opposite (2 Delta = 0 on the torus), so that
        # the kernel entry K[c, c, Delta] is the parameter itself
        self._dd_weight = np.array([0.5 if (c == cp and _opposite(s, self.lattice)) else 1.0 for _, c, cp, s in dd])
        self._dc_index = [(self._shifts.index(s), c) for _, c, s in dc]

    def __repr__(self) -> str:
        extra = "" if self.lattice is None else f", lattice={self.lattice}"
        extra += ", block_quartic=True" if self.block_quartic else ""
        extra += "" if self.modulation is None else f", modulation={self.modulation!r}"
        extra += "" if self.detail_scale is None else f", detail_scale={self.detail_scale!r}"
        extra += "" if self.cubic_radius is None else f", block_cubic={self.cubic_radius:g}"
        return f"QuadraticAnsatz(radius={self.radius}{extra}, potential={self.potential!r}, n_params={self.n_params})"

    def check_theta(self, theta: ArrayLike) -> np.ndarray:
        """``theta`` as a float array of shape (n_params,), or ValueError/TypeError naming it."""
        return _parameters(self, theta)

    @property
    def gaussian(self) -> bool:
        """Whether the conditional is Gaussian: quadratic couplings only (no potential, block quartic or
        modulation), sampled exactly rather than by MALA."""
        return (
            self.potential is None
            and not self.block_quartic
            and not self.block_cubic
            and self.modulation is None
            and self.detail_scale is None
        )

    def detail_weight(self, phi: np.ndarray) -> np.ndarray | None:
        r""":math:`w = 1/\sigma(\varphi_j)` of the detail scale at the coarse fields (the shape of ``phi``), or None."""
        return None if self.detail_scale is None else self.detail_scale.weight(phi)

    def rescaled(self, psi: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        r"""The quadratic part's variables :math:`(\chi, w\varphi_j, w)` (module docstring), or ``(psi, phi, None)``
        without a detail scale."""
        w = self.detail_weight(phi)
        return (psi, phi, None) if w is None else (psi * w[:, None], phi * w, w)

    # -- features and energy ------------------------------------------------------------------

    def features(self, psibar: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
        r"""Features :math:`\Phi_a(\bar\psi, \varphi_j)`, sums over the periodic lattice.

        Parameters
        ----------
        psibar : array_like, shape (batch, 3, n, n) or (3, n, n)
        phi_j : array_like, shape (batch, n, n) or (n, n)

        Returns
        -------
        ndarray, shape (batch, n_params)
        """
        psi, phi = field_pair(psibar, phi_j, self.radius, self.lattice)
        B = psi.shape[0]
        pp = np.empty((len(self._shifts), B, 3, 3))
        pc = np.empty((len(self._shifts), B, 3))
        with np.errstate(over="ignore", invalid="ignore"):
            chi, phit, _ = self.rescaled(psi, phi)
            for i, (dy, dx) in enumerate(self._shifts):
                shifted = np.roll(chi, (-dy, -dx), axis=(-2, -1))  # shifted[k] = chi(k + Delta)
                pp[i] = np.einsum("bcyx,bdyx->bcd", shifted, chi)
                pc[i] = np.einsum("bcyx,byx->bc", shifted, phit)
            out = np.empty((B, self.n_params))
            out[:, : self.n_dd] = np.stack([pp[i, :, c, cp] for i, c, cp in self._dd_index], axis=1) * self._dd_weight
            out[:, self.n_dd : self.n_dd + self.n_dc] = np.stack([pc[i, :, c] for i, c in self._dc_index], axis=1)
            if self.potential is not None:
                out[:, self.potential_slice] = self.potential.features(self.reconstruct(psi, phi))
            if self.block_quartic:
                out[:, self.block_slice] = block_quartic_sums(psi, phi)
            if self.modulation is not None:
                out[:, self.modulation_slice] = 0.5 * np.einsum(
                    "bgyx,byxi->bgi", _group_squares(psi), self.modulation.basis(phi)
                ).reshape(B, -1)
            if self.cubic_radius is not None:
                out[:, self.cubic_slice.start] = _cubic_parts(chi, self.cubic_radius)[0].sum(axis=(-2, -1))
        return finite_result("psibar and phi_j", out, "the features")

    def reconstruct(self, psibar: np.ndarray, phi_j: np.ndarray) -> np.ndarray:
        r""":math:`\varphi_{j-1} = \gamma_j(G^\top\varphi_j + \bar G^\top\bar\psi_j)` with this ansatz's wavelet."""
        return synthesis_step(phi_j, psibar, self.wavelet, self.gamma)

    def energy(self, theta: ArrayLike, psibar: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
        r""":math:`\bar E = \theta\cdot\Phi(\bar\psi, \varphi_j)`, shape (batch,)."""
        features, theta = self.features(psibar, phi_j), self.check_theta(theta)
        with np.errstate(over="ignore", invalid="ignore"):
            return finite_result("theta, psibar and phi_j", features @ theta, "the energy")

    def grad_psibar(self, theta: ArrayLike, psibar: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
        r""":math:`\partial\bar E/\partial\bar\psi` (module docstring), shape (batch, 3, n, n)."""
        psi, phi = field_pair(psibar, phi_j, self.radius, self.lattice)
        operator = self.operator(theta, psi.shape[-1])
        with np.errstate(over="ignore", invalid="ignore"):
            grad = operator.energy_and_grad(psi, phi)[1]
        return finite_result("theta, psibar and phi_j", grad, "the gradient")

    def grad_phi(self, theta: ArrayLike, psibar: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
        r""":math:`\partial\bar E/\partial\varphi_j`, shape (batch, n, n): through the cross couplings and
        through the potential on the reconstructed field,

        .. math::

            \frac{\partial\bar E}{\partial\varphi_j(y)} = \sum_{c,\Delta}\bar K'[c,\Delta]\,\bar\psi_c(y+\Delta)
            + \gamma_j\,\big[G\, v'(\varphi_{j-1})\big](y)

        (:math:`\partial\varphi_{j-1}/\partial\varphi_j = \gamma_j G^\top`) plus, with block quartic terms, their
        :math:`\sum_i\theta_i\partial\Phi_i/\partial\varphi_j`: the term the score identity of the free energy
        averages, :math:`\nabla\bar F_j = \mathbb E[\nabla_{\varphi_j}\bar E_j|\varphi_j]`.
        """
        psi, phi = field_pair(psibar, phi_j, self.radius, self.lattice)
        operator = self.operator(theta, psi.shape[-1])
        with np.errstate(over="ignore", invalid="ignore"):
            grad = operator.coarse_grad(psi, phi)
        return finite_result("theta, psibar and phi_j", grad, "the gradient")

    def feature_gradients(self, psibar: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
        r""":math:`\partial\Phi_a/\partial\bar\psi_c(y)`, shape (batch, n_params, 3, n, n).

        Detail-detail :math:`w\,[\delta_{ec}\bar\psi_{c'}(y-\Delta) + \delta_{ec'}\bar\psi_c(y+\Delta)]` (``w``
        the weight 1/2 of the squares), detail-coarse :math:`\delta_{ec}\varphi_j(y-\Delta)`, potential
        :math:`\gamma_j[\bar G\rho_i'(\varphi_{j-1})]_e(y)`. Memory: 8 n_params 3 n^2 bytes per field.
        """
        psi, phi = field_pair(psibar, phi_j, self.radius, self.lattice)
        B, n = psi.shape[0], psi.shape[-1]
        check_memory("the feature gradients", "psibar", 8.0 * B * self.n_params * 3 * n * n, "use fewer fields at once")
        out = np.zeros((B, self.n_params, 3, n, n))
        shifts = set(self._shifts) | {(-dy, -dx) for dy, dx in self._shifts}
        chi, phit, scale = self.rescaled(psi, phi)
        behind = {s: np.roll(chi, s, axis=(-2, -1)) for s in shifts}  # chi(y - Delta)
        with np.errstate(over="ignore", invalid="ignore"):
            for a, ((_, c, cp, (dy, dx)), w) in enumerate(zip(self.labels[: self.n_dd], self._dd_weight)):
                out[:, a, c] += w * behind[(dy, dx)][:, cp]
                out[:, a, cp] += w * behind[(-dy, -dx)][:, c]  # chi_c(y + Delta)
            for a, (_, c, (dy, dx)) in enumerate(self.labels[self.n_dd : self.n_dd + self.n_dc], start=self.n_dd):
                out[:, a, c] = np.roll(phit, (dy, dx), axis=(-2, -1))
            if scale is not None:  # d chi(y) / d psi(y) = w(y)
                out[:, : self.n_dd + self.n_dc] *= scale[:, None, None]
            if self.potential is not None:
                fine = self.reconstruct(psi, phi)
                slopes = np.moveaxis(self.potential.basis_derivative(fine), -1, 1)  # (B, n_v, 2n, 2n)
                out[:, self.potential_slice] = self.gamma**2 * analysis_step(slopes, self.wavelet, self.gamma)[1]
            if self.block_quartic:
                out[:, self.block_slice] = block_quartic_gradients(psi, phi)
            if self.modulation is not None:
                mu = np.moveaxis(self.modulation.basis(phi), -1, 1)  # (B, n_mu, n, n)
                n_mu = mu.shape[1]
                for g in range(len(MODULATION_GROUPS)):
                    start = self.modulation_slice.start + g * n_mu
                    for c in np.flatnonzero(_GROUP_MASK[g]):
                        out[:, start : start + n_mu, c] = mu * psi[:, None, c]
            if self.cubic_radius is not None:
                out[:, self.cubic_slice.start] = _cubic_slopes(chi, scale, self.cubic_radius)
        return finite_result("psibar and phi_j", out, "the feature gradients")

    def feature_laplacians(self, psibar: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
        r""":math:`\sum_{c,y}\partial^2\Phi_a/\partial\bar\psi_c(y)^2`, shape (batch, n_params): :math:`n^2` for
        the squares :math:`\tfrac12\sum_k\bar\psi_c(k)^2` (:math:`\sum_k w(k)^2` with a detail scale), 0 for the other quadratic
        features,
        :math:`\sum_k w(k)^2\,Ph\,(u/s^4 - 9/s^2)` for the block cubic one,
        :math:`|g|\sum_k\mu_i(\varphi_j(k))` for the modulation (|g| channels in the group), and for the
        potential :math:`\sum_x\rho_i''(\varphi_{j-1}(x))\,w(x)` with
        :math:`w(x) = \sum_{c,y}(\partial\varphi_{j-1}(x)/\partial\bar\psi_c(y))^2 = \gamma_j^2(\bar G^\top\bar G)_{xx}`,
        which depends on the parity of :math:`x` (for db4, not 3/4 everywhere).
        """
        psi, phi = field_pair(psibar, phi_j, self.radius, self.lattice)
        B, n = psi.shape[0], psi.shape[-1]
        out = np.zeros((B, self.n_params))
        chi, _, scale = self.rescaled(psi, phi)
        for a, (_, c, cp, s) in enumerate(self.labels[: self.n_dd]):
            if c == cp and s == (0, 0):
                out[:, a] = n * n if scale is None else (scale**2).sum(axis=(-2, -1))
        if self.potential is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                fine = self.reconstruct(psi, phi)
                curvature = self.potential.basis_second_derivative(fine)  # (B, 2n, 2n, n_v)
                weights = self._synthesis_weights(n)
                out[:, self.potential_slice] = np.einsum("byxi,yx->bi", curvature, weights)
        if self.block_quartic:
            with np.errstate(over="ignore", invalid="ignore"):
                out[:, self.block_slice] = block_quartic_laplacians(psi, phi)
        if self.modulation is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                sums = self.modulation.features(phi)  # (B, n_mu)
            out[:, self.modulation_slice] = (_GROUP_MASK.sum(axis=1)[None, :, None] * sums[:, None]).reshape(B, -1)
        if self.cubic_radius is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                density, _, u = _cubic_parts(chi, self.cubic_radius)
                per_site = density * (u / self.cubic_radius**4 - 9.0 / self.cubic_radius**2)
                if scale is not None:
                    per_site = per_site * scale**2
                out[:, self.cubic_slice.start] = per_site.sum(axis=(-2, -1))
        return finite_result("psibar and phi_j", out, "the feature Laplacians")

    def _synthesis_weights(self, n: int) -> np.ndarray:
        r""":math:`\gamma_j^2(\bar G^\top\bar G)_{xx}` on the 2n x 2n fine lattice: the synthesis of a unit detail at
        (c, 0), squared and summed over its translates by 2 sites (the transform commutes with them)."""
        impulses = np.zeros((3, 3, n, n))
        impulses[[0, 1, 2], [0, 1, 2], 0, 0] = 1.0
        columns = synthesis_step(np.zeros((3, n, n)), impulses, self.wavelet, self.gamma) ** 2  # (3, 2n, 2n)
        cell = columns.sum(axis=0).reshape(n, 2, n, 2).sum(axis=(0, 2))  # per parity (y mod 2, x mod 2)
        return np.tile(cell, (n, n))

    # -- kernels ------------------------------------------------------------------------------

    def kernels(self, theta: ArrayLike, L_j: int) -> tuple[np.ndarray, np.ndarray]:
        r"""Real-space kernels :math:`\bar K` (3, 3, L_j, L_j) and :math:`\bar K'` (3, L_j, L_j) of the
        quadratic part, indexed by the shift :math:`\Delta` modulo :math:`L_j` (convention of
        :meth:`wirg.gaussian.Scale.kernels`); zero outside the stencil."""
        theta = self.check_theta(theta)
        L_j = count("L_j", L_j, minimum=1)
        check_side("L_j", L_j, self.radius, self.lattice)
        check_memory(f"the kernels on the {L_j} x {L_j} lattice", "L_j", 400 * L_j * L_j)
        K = np.zeros((3, 3, L_j, L_j))
        Kp = np.zeros((3, L_j, L_j))
        for value, (_, c, cp, (dy, dx)) in zip(theta[: self.n_dd], self.labels[: self.n_dd]):
            K[c, cp, dy % L_j, dx % L_j] = value
            K[cp, c, -dy % L_j, -dx % L_j] = value
        for value, (_, c, (dy, dx)) in zip(theta[self.n_dd : self.n_dd + self.n_dc], self.labels[self.n_dd :]):
            Kp[c, dy % L_j, dx % L_j] = value
        return K, Kp

    def from_kernels(self, Kbar: ArrayLike, Kbar_prime: ArrayLike, *, alpha: ArrayLike | None = None) -> np.ndarray:
        r"""Parameters of the kernels truncated to the stencil (the exact truncation of, e.g.,
        :meth:`wirg.gaussian.Scale.kernels`); ``alpha`` the potential's coefficients (default 0).

        Raises ValueError if ``Kbar`` is not symmetric, :math:`\bar K[c,c',\Delta] \ne \bar K[c',c,-\Delta]`.
        """
        K = real_array("Kbar", Kbar)
        Kp = real_array("Kbar_prime", Kbar_prime)
        if K.ndim != 4 or K.shape[:2] != (3, 3) or K.shape[2] != K.shape[3]:
            raise ValueError(f"Kbar must have shape (3, 3, L_j, L_j), got {K.shape}")
        L = K.shape[-1]
        if Kp.shape != (3, L, L):
            raise ValueError(f"Kbar_prime must have shape (3, {L}, {L}) to match Kbar, got {Kp.shape}")
        check_side("Kbar", L, self.radius, self.lattice)
        mirrored = np.roll(K.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1], (1, 1), axis=(-2, -1))  # K[c', c, -D]
        if not np.allclose(K, mirrored, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(K).max())):
            raise ValueError("Kbar must be symmetric: Kbar[c, c', D] = Kbar[c', c, -D]")
        theta = np.zeros(self.n_params)
        for a, (_, c, cp, (dy, dx)) in enumerate(self.labels[: self.n_dd]):
            theta[a] = K[c, cp, dy % L, dx % L]
        for a, (_, c, (dy, dx)) in enumerate(self.labels[self.n_dd : self.n_dd + self.n_dc], start=self.n_dd):
            theta[a] = Kp[c, dy % L, dx % L]
        if alpha is not None:
            alpha = real_array("alpha", alpha)
            if alpha.shape != (self.n_v,):
                raise ValueError(f"alpha must have shape ({self.n_v},), got {alpha.shape}")
            theta[self.potential_slice] = alpha
        return theta

    def fourier_kernels(self, theta: ArrayLike, L_j: int) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`\hat{\bar K}(\xi)` (L_j, L_j, 3, 3), Hermitian, and :math:`\hat{\bar K}'(\xi)` (L_j, L_j, 3)
        on the FFT grid: :math:`\hat f(\xi) = \sum_\Delta f[\Delta] e^{-i\xi\cdot\Delta}` (``fft2``).
        For the exact Gaussian conditional these are ``coupling`` and ``cross_coupling`` of
        :class:`wirg.gaussian.Scale`."""
        K, Kp = self.kernels(theta, L_j)
        return (np.moveaxis(np.fft.fft2(K), (0, 1), (2, 3)), np.moveaxis(np.fft.fft2(Kp), 0, 2))

    def operator(self, theta: ArrayLike, L_j: int) -> _ConditionalOperator:
        """The energy and its gradient at fixed ``theta`` on an ``L_j`` lattice, with the Fourier
        kernels computed once (what a sampler calls at every step)."""
        return _ConditionalOperator(self, self.check_theta(theta), L_j)


class _ConditionalOperator:
    """:math:`\\bar E` and :math:`\\partial\\bar E/\\partial\\bar\\psi` at fixed theta (validated arrays in); the energy is
    :math:`+\\infty` where a site of the reconstructed :math:`\\varphi_{j-1}` leaves the potential's window (:class:`Potential`)."""

    def __init__(self, ansatz: QuadraticAnsatz, theta: np.ndarray, L_j: int) -> None:
        self.ansatz = ansatz
        self.theta = theta
        Khat, Kphat = ansatz.fourier_kernels(theta, L_j)
        half = L_j // 2 + 1
        self._Khat = np.ascontiguousarray(np.moveaxis(Khat, (2, 3), (0, 1))[..., :half])  # (3, 3, n, half)
        self._Kphat = np.ascontiguousarray(np.moveaxis(Kphat, 2, 0)[..., :half])  # (3, n, half)
        self.L_j = L_j
        eigenvalues = np.linalg.eigvalsh(Khat)
        self.max_eigenvalue = float(eigenvalues.max())
        self.min_eigenvalue = float(eigenvalues.min())
        self.alpha = theta[ansatz.potential_slice]
        self.block = theta[ansatz.block_slice]
        self.cubic = float(theta[ansatz.cubic_slice.start]) if ansatz.block_cubic else 0.0
        self.modulation = theta[ansatz.modulation_slice].reshape(len(MODULATION_GROUPS), -1)  # (groups, n_mu)
        self.diagonal = np.real(np.einsum("yxcc->c", Khat)) / (L_j * L_j)  # K[c, c, 0]

    def cross_field(self, phi: np.ndarray) -> np.ndarray:
        r""":math:`b_c(x) = \sum_\Delta \bar K'[c,\Delta]\varphi(x-\Delta)`, shape (B, 3, n, n) (of :math:`w\varphi` with a
        detail scale)."""
        n = self.L_j
        scale = self.ansatz.detail_weight(phi)
        phit = phi if scale is None else scale * phi
        return np.fft.irfft2(self._Kphat * np.fft.rfft2(phit)[:, None], s=(n, n))

    def _apply_kernel(self, chi: np.ndarray) -> np.ndarray:
        r""":math:`[\bar K\chi]_c(x) = \sum_{c',\Delta}\bar K[c,c',\Delta]\chi_{c'}(x-\Delta)` by FFT, shape of ``chi``."""
        n = self.L_j
        return np.fft.irfft2(np.einsum("cdyx,bdyx->bcyx", self._Khat, np.fft.rfft2(chi)), s=(n, n))

    def stiffness(self, phi: np.ndarray) -> np.ndarray | None:
        r"""The modulated stiffness of every detail, :math:`s_{g(c)}(\varphi_j(x))`, shape (B, 3, n, n); None
        without a modulation."""
        modulation = self.ansatz.modulation
        if modulation is None:
            return None
        per_group = np.einsum("byxi,gi->bgyx", modulation.basis(phi), self.modulation)
        return np.einsum("gc,bgyx->bcyx", _GROUP_MASK, per_group)

    def local_stiffness(self, phi: np.ndarray) -> np.ndarray:
        r"""The diagonal of the quadratic part's Hessian, :math:`w(x)^2\bar K[c,c,0] + s_{g(c)}(\varphi_j(x))`, shape
        (B, 3, n, n): each detail's stiffness given its neighbours."""
        modulated = self.stiffness(phi)
        diagonal = self.diagonal[None, :, None, None]
        scale = self.ansatz.detail_weight(phi)
        if scale is not None:
            diagonal = diagonal * scale[:, None] ** 2
        return (
            np.broadcast_to(diagonal, (phi.shape[0], 3) + phi.shape[1:]).copy()
            if modulated is None
            else (diagonal + modulated)
        )

    def coarse_grad(self, psi: np.ndarray, phi: np.ndarray) -> np.ndarray:
        r""":math:`\partial\bar E/\partial\varphi_j` (:meth:`QuadraticAnsatz.grad_phi`): the correlation
        :math:`\sum_{c,\Delta}\bar K'[c,\Delta]\bar\psi_c(y+\Delta)`, i.e. :math:`\overline{\hat{\bar K}'}\hat{\bar\psi}` in
        Fourier, plus :math:`\gamma_j G v'(\varphi_{j-1})`, ``gamma**2`` times the coarse part of its analysis, plus
        the block quartic terms' (:func:`wirg.block_quartic.block_quartic_coarse_gradients`), plus the modulation's
        :math:`\tfrac12\sum_g s_g'(\varphi_j(y))\sum_{c\in g}\bar\psi_c(y)^2`. With a detail scale the correlation
        is of :math:`\chi` and the chain rule through :math:`w(\varphi_j)` adds
        :math:`w'\varphi_j` times it and :math:`w'(y)\sum_c\bar\psi_c(y)[\bar K\chi + b]_c(y)`."""
        n = self.L_j
        chi, _, scale = self.ansatz.rescaled(psi, phi)
        grad = np.fft.irfft2(np.einsum("cyx,bcyx->byx", np.conj(self._Kphat), np.fft.rfft2(chi)), s=(n, n))
        if scale is not None:
            assert self.ansatz.detail_scale is not None
            slope = self.ansatz.detail_scale.weight_derivative(phi)
            field = self._apply_kernel(chi) + self.cross_field(phi)
            grad = (scale + slope * phi) * grad + slope * np.einsum("bcyx,bcyx->byx", psi, field)
        potential = self.ansatz.potential
        if potential is not None:
            fine = self.ansatz.reconstruct(psi, phi)
            gamma = self.ansatz.gamma
            grad = (
                grad + gamma**2 * analysis_step(potential.derivative(self.alpha, fine), self.ansatz.wavelet, gamma)[0]
            )
        if self.ansatz.block_quartic:
            grad = grad + np.einsum("i,biyx->byx", self.block, block_quartic_coarse_gradients(psi, phi))
        radius = self.ansatz.cubic_radius
        if radius is not None and scale is not None:  # through chi = w psi: (w'/w) sum_c chi_c d(Ph)/d chi_c
            assert self.ansatz.detail_scale is not None
            ratio = self.ansatz.detail_scale.weight_derivative(phi) / scale
            density, _, u = _cubic_parts(chi, radius)
            grad = grad + self.cubic * ratio * density * (3.0 - u / radius**2)
        modulation = self.ansatz.modulation
        if modulation is not None:  # (1/2) sum_g s_g'(phi) sum_{c in g} psi_c^2
            slopes = np.einsum("byxi,gi->bgyx", modulation.basis_derivative(phi), self.modulation)
            grad = grad + 0.5 * np.einsum("bgyx,bgyx->byx", slopes, _group_squares(psi))
        return grad

    def energy_and_grad(
        self, psi: np.ndarray, phi: np.ndarray, cross: np.ndarray | None = None, stiffness: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Energy (B,) and gradient (B, 3, n, n); ``cross`` and ``stiffness`` those of :meth:`cross_field` and
        :meth:`stiffness` at ``phi`` if already computed (a sampler's clamped coarse field)."""
        b = self.cross_field(phi) if cross is None else cross
        chi, _, scale = self.ansatz.rescaled(psi, phi)
        Kchi = self._apply_kernel(chi)
        energy = np.einsum("bcyx,bcyx->b", chi, 0.5 * Kchi + b)
        grad = Kchi + b if scale is None else scale[:, None] * (Kchi + b)
        if self.ansatz.modulation is not None:
            stiff_psi = (self.stiffness(phi) if stiffness is None else stiffness) * psi
            energy, grad = energy + 0.5 * np.einsum("bcyx,bcyx->b", psi, stiff_psi), grad + stiff_psi
        potential = self.ansatz.potential
        if potential is not None:
            fine = self.ansatz.reconstruct(psi, phi)
            value, slope = potential.energy_and_derivative(self.alpha, fine)
            gamma = self.ansatz.gamma
            energy = np.where(potential.outside_window(fine), np.inf, energy + value)  # the truncated density
            grad = grad + gamma**2 * analysis_step(slope, self.ansatz.wavelet, gamma)[1]
        if self.ansatz.block_quartic:
            value, slope = block_quartic_energy_and_grad(self.block, psi, phi)
            energy, grad = energy + value, grad + slope
        radius = self.ansatz.cubic_radius
        if radius is not None:
            energy = energy + self.cubic * _cubic_parts(chi, radius)[0].sum(axis=(-2, -1))
            grad = grad + self.cubic * _cubic_slopes(chi, scale, radius)
        return energy, grad


# --------------------------------------------------------------------------------------------
# the local ansatz of the microscopic field


class LocalAnsatz:
    r"""Direct local quadratic ansatz :math:`E(\varphi) = \tfrac12\sum_a\theta_a\sum_x\varphi_x\varphi_{x+\Delta_a}`
    (module docstring), one shift of each pair :math:`\pm\Delta` with :math:`|\Delta|_\infty\le r`.

    The precision symbol is :math:`\hat K(k) = \sum_a\theta_a\cos(k\cdot\Delta_a)`; the lattice free
    field :math:`\hat K = m^2 + 4 - 2\cos k_x - 2\cos k_y` is :math:`\theta = (m^2 + 4, -2, -2, 0, \dots)`
    on the shifts (0, 0), (0, 1), (1, 0), ...

    On a small lattice the stencil can be taken modulo the lattice (``lattice = n``): the shifts
    :math:`|\Delta|_\infty\le r` reduced modulo :math:`n`, one of each class :math:`\{\Delta, -\Delta\}`.
    With :math:`r \ge n/2` these are all the translation-invariant quadratic couplings of the
    :math:`n\times n` torus, i.e. any stationary Gaussian (the model of a small coarsest field). A shift
    with :math:`2\Delta \equiv 0` is its own partner; the features, symbol and gradients below hold as
    written for it.

    Parameters
    ----------
    radius
        :math:`r \ge 0`.
    lattice
        Optional side :math:`n` of the only lattice the ansatz is used on; then :math:`r` may reach or
        exceed :math:`n/2` (default None: any lattice of side :math:`> 2r`).
    """

    def __init__(self, radius: int, *, lattice: int | None = None) -> None:
        self.radius = check_radius(radius)
        self.lattice = None if lattice is None else count("lattice", lattice, minimum=1)
        self.shifts = torus_shifts(self.radius, self.lattice, half=True)
        self.n_params = len(self.shifts)

    def __repr__(self) -> str:
        extra = "" if self.lattice is None else f", lattice={self.lattice}"
        return f"LocalAnsatz(radius={self.radius}{extra}, n_params={self.n_params})"

    def check_theta(self, theta: ArrayLike) -> np.ndarray:
        """``theta`` as a float array of shape (n_params,), or ValueError/TypeError naming it."""
        return _parameters(self, theta)

    def check_fields(self, phi: ArrayLike) -> np.ndarray:
        """``phi`` as (batch, L, L) float64 (a single field gets a batch axis), validated."""
        arr = real_array("phi", phi)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
            raise ValueError(f"phi must have shape (batch, L, L) or (L, L), got {np.shape(phi)}")
        check_side("phi", arr.shape[-1], self.radius, self.lattice)
        return arr

    def features(self, phi: ArrayLike) -> np.ndarray:
        r""":math:`\Phi_a = \tfrac12\sum_x\varphi_x\varphi_{x+\Delta_a}`, shape (batch, n_params)."""
        x = self.check_fields(phi)
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.stack(
                [0.5 * np.einsum("byx,byx->b", x, np.roll(x, (-dy, -dx), axis=(-2, -1))) for dy, dx in self.shifts],
                axis=1,
            )
        return finite_result("phi", out, "the features")

    def energy(self, theta: ArrayLike, phi: ArrayLike) -> np.ndarray:
        """:math:`E = \\theta\\cdot\\Phi(\\varphi)`, shape (batch,)."""
        return _field_energy(self, theta, phi)

    def grad(self, theta: ArrayLike, phi: ArrayLike) -> np.ndarray:
        r""":math:`\partial E/\partial\varphi = K\varphi`, shape (batch, L, L)."""
        return _field_grad(self, theta, phi)

    def symbol(self, theta: ArrayLike, L: int) -> np.ndarray:
        r""":math:`\hat K(k) = \sum_a\theta_a\cos(k\cdot\Delta_a)` on the L x L FFT grid."""
        theta = self.check_theta(theta)
        L = count("L", L, minimum=1)
        check_side("L", L, self.radius, self.lattice)
        check_memory(f"the precision symbol on the {L} x {L} lattice", "L", 32 * L * L)
        k = 2.0 * np.pi * np.fft.fftfreq(L)
        return sum(t * np.cos(np.add.outer(k * dy, k * dx)) for t, (dy, dx) in zip(theta, self.shifts))

    def from_precision(self, precision: ArrayLike) -> np.ndarray:
        r"""Parameters of a stationary precision :math:`\hat K(k)` (L x L FFT grid) truncated to the stencil:
        :math:`\theta_0 = K[0]`, :math:`\theta_a = K[\Delta_a] + K[-\Delta_a]` (:math:`K[\Delta_a]` alone when
        :math:`2\Delta_a \equiv 0`) with :math:`K = \mathrm{ifft2}(\hat K)`."""
        P = real_array("precision", precision)
        if P.ndim != 2 or P.shape[0] != P.shape[1]:
            raise ValueError(f"precision must be an L x L array, got shape {P.shape}")
        L = P.shape[0]
        check_side("precision", L, self.radius, self.lattice)
        with np.errstate(over="ignore", invalid="ignore"):
            K = np.fft.ifft2(P).real
            theta = np.array(
                [
                    K[s[0] % L, s[1] % L] + (K[-s[0] % L, -s[1] % L] if (2 * s[0] % L, 2 * s[1] % L) != (0, 0) else 0.0)
                    for s in self.shifts
                ]
            )
        return finite_result("precision", theta, "the couplings of the stencil")

    def operator(self, theta: ArrayLike, L: int) -> _LocalOperator:
        return _LocalOperator(self.symbol(theta, L))


class _LocalOperator:
    def __init__(self, symbol: np.ndarray) -> None:
        self.L = symbol.shape[0]
        self._symbol = symbol[:, : self.L // 2 + 1]
        self.max_eigenvalue = float(symbol.max())

    def energy_and_grad(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad = np.fft.irfft2(self._symbol * np.fft.rfft2(phi), s=(self.L, self.L))
        return 0.5 * np.einsum("byx,byx->b", phi, grad), grad


# --------------------------------------------------------------------------------------------
# the energy of one field: local quadratic couplings plus a scalar potential


class FieldAnsatz:
    r"""Energy of one field :math:`\varphi` on the periodic :math:`n\times n` lattice: the local quadratic
    couplings of :class:`LocalAnsatz` plus a scalar potential,

    .. math::

        E(\varphi) = \tfrac12\sum_a\theta_a\sum_x\varphi_x\varphi_{x+\Delta_a} + \sum_x v(\varphi_x),
        \qquad v(t) = \sum_i\alpha_i\rho_i(t),

    linear in :math:`(\theta, \alpha)`. It is the model of the coarsest field :math:`\varphi_J`
    (Guth, Lempereur, Bruna & Mallat, ICML 2023, eq. (13)) and the ansatz onto which the free
    energies :math:`\bar F_j(\varphi_j)` are regressed (Marchand et al. 2023, section III.D).

    Parameters
    ----------
    radius
        :math:`r \ge 0` of the quadratic couplings, :math:`|\Delta_a|_\infty\le r` (one of each pair
        :math:`\pm\Delta`).
    potential
        Optional :class:`Potential` acting on :math:`\varphi_x`.
    lattice
        Optional side of the only lattice the ansatz is used on, the stencil taken modulo it
        (:class:`LocalAnsatz`): ``FieldAnsatz(n // 2, potential, lattice=n)`` has every stationary
        quadratic coupling of the :math:`n\times n` torus.

    Attributes
    ----------
    local : LocalAnsatz
        The quadratic part; its parameters come first.
    labels : list of tuple
        ``("q", (dy, dx))`` for the quadratic couplings, then ``("v", i)``.
    n_quadratic, n_params : int
    """

    def __init__(self, radius: int, potential: Potential | None = None, *, lattice: int | None = None) -> None:
        self.local = LocalAnsatz(radius, lattice=lattice)
        self.radius = self.local.radius
        self.lattice = self.local.lattice
        if potential is not None and not isinstance(potential, Potential):
            raise TypeError(f"potential must be a Potential or None, got {type(potential).__name__}")
        self.potential = potential
        self.n_quadratic = self.local.n_params
        self.labels: list[tuple] = [("q", s) for s in self.local.shifts]
        if potential is not None:
            self.labels += [("v", i) for i in range(potential.n_params)]
        self.n_params = len(self.labels)

    def __repr__(self) -> str:
        extra = "" if self.lattice is None else f", lattice={self.lattice}"
        return f"FieldAnsatz(radius={self.radius}{extra}, potential={self.potential!r}, n_params={self.n_params})"

    def check_theta(self, theta: ArrayLike) -> np.ndarray:
        """``theta`` as a float array of shape (n_params,), or ValueError/TypeError naming it."""
        return _parameters(self, theta)

    def check_fields(self, phi: ArrayLike) -> np.ndarray:
        """``phi`` as (batch, n, n) float64 (a single field gets a batch axis), validated."""
        return self.local.check_fields(phi)

    def features(self, phi: ArrayLike) -> np.ndarray:
        r""":math:`\Phi = (\tfrac12\sum_x\varphi_x\varphi_{x+\Delta_a},\ \sum_x\rho_i(\varphi_x))`, shape (batch, n_params)."""
        x = self.check_fields(phi)
        quadratic = self.local.features(x)
        if self.potential is None:
            return quadratic
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.concatenate([quadratic, self.potential.features(x)], axis=1)
        return finite_result("phi", out, "the features")

    def energy(self, theta: ArrayLike, phi: ArrayLike) -> np.ndarray:
        r""":math:`E = \theta\cdot\Phi(\varphi)`, shape (batch,)."""
        return _field_energy(self, theta, phi)

    def grad(self, theta: ArrayLike, phi: ArrayLike) -> np.ndarray:
        r""":math:`\partial E/\partial\varphi_x = (K\varphi)_x + v'(\varphi_x)`, shape (batch, n, n)."""
        return _field_grad(self, theta, phi)

    def feature_gradients(self, phi: ArrayLike) -> np.ndarray:
        r""":math:`\partial\Phi_a/\partial\varphi_y`, shape (batch, n_params, n, n):
        :math:`\tfrac12(\varphi_{y+\Delta_a} + \varphi_{y-\Delta_a})` (:math:`\varphi_y` for :math:`\Delta = 0`) and
        :math:`\rho_i'(\varphi_y)`."""
        x = self.check_fields(phi)
        B, n = x.shape[0], x.shape[-1]
        check_memory("the feature gradients", "phi", 8.0 * B * self.n_params * n * n, "use fewer fields at once")
        out = np.empty((B, self.n_params, n, n))
        with np.errstate(over="ignore", invalid="ignore"):
            for a, (dy, dx) in enumerate(self.local.shifts):
                out[:, a] = 0.5 * (np.roll(x, (-dy, -dx), axis=(-2, -1)) + np.roll(x, (dy, dx), axis=(-2, -1)))
            if self.potential is not None:
                out[:, self.n_quadratic :] = np.moveaxis(self.potential.basis_derivative(x), -1, 1)
        return finite_result("phi", out, "the feature gradients")

    def feature_laplacians(self, phi: ArrayLike) -> np.ndarray:
        r""":math:`\sum_y\partial^2\Phi_a/\partial\varphi_y^2`, shape (batch, n_params): :math:`n^2` for
        :math:`\Delta = 0`, 0 for the other shifts (distinct from 0 on the lattice), :math:`\sum_y\rho_i''(\varphi_y)`."""
        x = self.check_fields(phi)
        out = np.zeros((x.shape[0], self.n_params))
        out[:, self.local.shifts.index((0, 0))] = x.shape[-1] ** 2
        if self.potential is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                out[:, self.n_quadratic :] = self.potential.basis_second_derivative(x).sum(axis=(1, 2))
        return finite_result("phi", out, "the feature Laplacians")

    def operator(self, theta: ArrayLike, L: int) -> _FieldOperator:
        """The energy and its gradient at fixed ``theta`` on an ``L`` lattice (what a sampler calls)."""
        theta = self.check_theta(theta)
        return _FieldOperator(
            self.local.operator(theta[: self.n_quadratic], L), self.potential, theta[self.n_quadratic :]
        )


class _FieldOperator:
    """:math:`E` and :math:`\\partial E/\\partial\\varphi` of a :class:`FieldAnsatz` at fixed theta (validated arrays in); the
    energy is :math:`+\\infty` where a site leaves the potential's window (:class:`Potential`)."""

    def __init__(self, local: _LocalOperator, potential: Potential | None, alpha: np.ndarray) -> None:
        self.local = local
        self.potential = potential
        self.alpha = alpha
        self.max_eigenvalue = local.max_eigenvalue

    def energy_and_grad(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        energy, grad = self.local.energy_and_grad(phi)
        if self.potential is not None:
            value, slope = self.potential.energy_and_derivative(self.alpha, phi)
            energy = np.where(self.potential.outside_window(phi), np.inf, energy + value)  # the truncated density
            grad = grad + slope
        return energy, grad
