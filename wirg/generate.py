r"""Coarse-to-fine generation from a fitted per-scale model of the wavelet conditional RG.

**Generation** (Marchand, Ozawa, Biroli & Mallat, PRX 13, 041038 (2023), section III.C;
the theory page ``docs/theory/wirg.md``). With the factorisation
:math:`p(\varphi_0) = p(\varphi_J)\prod_{j=1}^J \bar p_j(\bar\psi_j|\varphi_j)`, a field is drawn by
sampling the coarsest field :math:`\varphi_J` from its marginal, then for :math:`j = J, \dots, 1`

.. math::

    \bar\psi_j \sim \bar p_{\theta_j}(\cdot|\varphi_j) \propto e^{-\bar E_j(\bar\psi|\varphi_j)},
    \qquad \varphi_{j-1} = \gamma_j\big(G^\top\varphi_j + \bar G^\top\bar\psi_j\big)

(:func:`wirg.wavelets.synthesis_step`), each :math:`\bar E_j` a fitted
:class:`wirg.ansatz.QuadraticAnsatz` with its parameters :math:`\theta_j`.

**Quadratic ansatz without potential**: the conditional is Gaussian and diagonal in the coarse
frequency :math:`\xi`, with the Fourier kernels :math:`\hat{\bar K}(\xi)` (3 x 3, Hermitian) and
:math:`\hat{\bar K}'(\xi)` of :meth:`~wirg.ansatz.QuadraticAnsatz.fourier_kernels`:

.. math::

    \hat{\bar\psi}(\xi) = -\hat{\bar K}(\xi)^{-1}\hat{\bar K}'(\xi)\,\hat\varphi_j(\xi)
    + C(\xi)\,\hat w(\xi),\qquad C C^* = \hat{\bar K}(\xi)^{-1},

with :math:`w` white noise on the :math:`L_j\times L_j` lattice (three channels), so the sample is
exact, :math:`O(L_j^2\log L_j)` per scale (the same formula as the exact solver
:meth:`wirg.gaussian.GaussianWIRG.sample`, there with the exact :math:`Q_{hh}, Q_{hl}`). The
fitted :math:`\hat{\bar K}(\xi)` must be positive definite at every :math:`\xi`.

**With a potential** (or block quartic terms, or a coarse-modulated stiffness) the conditional is sampled by MALA
on the details only (:func:`wirg.mala.sample_conditional`), started from the Gaussian conditional of the quadratic
part when that is positive definite (else from zero details), with :meth:`MALASettings.steps`
steps at that scale (more on the coarser, cheaper lattices); the last state is kept. With a coarse-modulated
stiffness the proposal is preconditioned by each detail's local stiffness
(:func:`wirg.mala.stiffness_preconditioner`), so that sites whose conditional width differs by a large factor
all move. A potential with
a window :math:`[t_-, t_+]` (:class:`wirg.ansatz.Potential`) defines a density truncated to it, and
proposals that leave it are rejected. The chains must start inside: a chain whose Gaussian details
reconstruct a site outside is moved in by alternating two maps (at most 20 times): reflect the
reconstructed field's outside sites into the window, :math:`t \mapsto 2t_\pm - t` (clipping instead piles
sites on the edge, where half the proposals of each leave it: whole-field MALA of a truncated normal
on 8 x 8 sites then stuck at a variance twice the truth), and project back onto the fields of its
coarse field :math:`\gamma_j(G^\top\varphi_j + \bar G^\top\bar\psi)` (analysis, keeping the details), which
changes the details near the offending sites only. Shrinking all the details instead starts the chains
far too smooth: on the lognormal stand-in almost every Gaussian start has a site below the window,
and 250 MALA steps from shrunk starts left the spectrum 20 standard errors low. A chain still outside
takes the largest of 1/2, 1/4, 0 times its details that is inside,
and a ValueError names the scale if even zero details leave the window.

**Coarsest marginal**: :class:`GaussianMarginal`, a stationary Gaussian on the
:math:`L_J\times L_J` lattice whose spectrum is fitted from data coarse fields by the symmetrised
periodogram :math:`\hat S(\xi) = \tfrac12\,\overline{|\hat\varphi_J(\xi)|^2 + |\hat\varphi_J(-\xi)|^2}/L_J^2`
(its maximum-likelihood estimate); or :class:`FieldModel`, a fitted :class:`wirg.ansatz.FieldAnsatz`
(quadratic couplings plus a potential, Guth et al., ICML 2023, eq. (13)) sampled by MALA on the whole
coarse field, started from a Gaussian marginal (its outside sites reflected into the window as above);
:class:`ScalarModel`, the same on a 1 x 1 coarsest field (the density of the mean), sampled exactly by
its inverse distribution function on a grid; :class:`GaussianCopula`, the field as a pointwise transform
:math:`F^{-1}(\Phi(z))` of a stationary Gaussian :math:`z`, sampled exactly; or given coarse fields.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from statlearn.numerics.seeding import as_generator
from wirg.ansatz import FieldAnsatz, QuadraticAnsatz
from wirg.checks import (
    check_choice,
    check_gamma,
    check_instance,
    check_memory,
    check_scalar,
    count,
    finite_result,
    real_array,
    show,
)
from wirg.fields import gaussian_field
from wirg.gaussian import sample_details
from wirg.likelihood import SCALAR_GRID, scalar_grid
from wirg.mala import MALAChains, conditional_step, initial_step, sample_conditional, stiffness_preconditioner
from wirg.wavelets import WAVELETS, analysis_step, synthesis_step

__all__ = ["FieldModel", "GaussianCopula", "GaussianMarginal", "MALASettings", "ScalarModel", "ScaleModel", "generate"]


@dataclass(frozen=True, eq=False)
class ScaleModel:
    """The fitted conditional energy :math:`\\bar E_j = \\theta\\cdot\\Phi` at one scale.

    Attributes
    ----------
    ansatz : QuadraticAnsatz
    theta : ndarray, shape (ansatz.n_params,)
    """

    ansatz: QuadraticAnsatz
    theta: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.ansatz, QuadraticAnsatz):
            raise TypeError(f"ansatz must be a QuadraticAnsatz, got {type(self.ansatz).__name__}")
        object.__setattr__(self, "theta", self.ansatz.check_theta(self.theta).copy())

    def preconditioner(self, phi_j: ArrayLike) -> np.ndarray | None:
        """:func:`wirg.mala.stiffness_preconditioner` of this conditional at the coarse fields ``phi_j`` (None
        without a coarse-modulated stiffness: plain MALA)."""
        return stiffness_preconditioner(self.ansatz, self.theta, phi_j)

    def mala_step(self, phi_j: ArrayLike, psibar: ArrayLike) -> float:
        """:func:`wirg.mala.conditional_step` of this conditional at the states ``(psibar, phi_j)``."""
        return conditional_step(self.ansatz, self.theta, psibar, phi_j)


@dataclass(frozen=True, eq=False)
class GaussianMarginal:
    r"""Stationary Gaussian law of the coarsest field, spectrum :math:`S(\xi)` on the FFT grid
    (numpy order), :math:`\mathbb E\varphi_x\varphi_y = L_J^{-2}\sum_\xi S(\xi)e^{i\xi(x-y)}`."""

    spectrum: np.ndarray

    def __post_init__(self) -> None:
        S = real_array("spectrum", self.spectrum)
        if S.ndim != 2 or S.shape[0] != S.shape[1]:
            raise ValueError(f"spectrum must be an L_J x L_J array, got shape {S.shape}")
        object.__setattr__(self, "spectrum", S.copy())

    @property
    def L(self) -> int:
        return self.spectrum.shape[0]

    @classmethod
    def fit(cls, fields: ArrayLike) -> GaussianMarginal:
        """Maximum-likelihood stationary Gaussian of data coarse fields (S, L_J, L_J): the
        symmetrised mean periodogram (module docstring)."""
        x = real_array("fields", fields)
        if x.ndim != 3 or x.shape[1] != x.shape[2]:
            raise ValueError(f"fields must have shape (S, L_J, L_J), got {x.shape}")
        with np.errstate(over="ignore", invalid="ignore"):
            power = (np.abs(np.fft.fft2(x)) ** 2).mean(axis=0) / x.shape[-1] ** 2
        finite_result("fields", power, "the periodogram")
        return cls(0.5 * (power + np.roll(power[::-1, ::-1], 1, axis=(0, 1))))

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Exact samples (n_samples, L_J, L_J) (:func:`wirg.fields.gaussian_field`)."""
        return gaussian_field(self.spectrum, self.L, n_samples, seed=rng)

    def energy(self, phi: np.ndarray) -> np.ndarray:
        r""":math:`\tfrac12\varphi^\top C^{-1}\varphi = \tfrac12 L_J^{-2}\sum_\xi|\hat\varphi(\xi)|^2/S(\xi)` of
        fields (S, L_J, L_J): shape (S,)."""
        power = np.abs(np.fft.fft2(phi)) ** 2
        return 0.5 * np.sum(power / self.spectrum, axis=(-2, -1)) / self.L**2


#: Grid steps per bandwidth of :class:`GaussianCopula`'s tables (binned data, interpolated functions).
COPULA_STEPS_PER_BANDWIDTH = 16
#: The tables of :class:`GaussianCopula` reach this many bandwidths beyond the data.
COPULA_REACH = 8.0
_COPULA_MAX_GRID = 2**16
_KERNEL_REACH = 40.0


@dataclass(frozen=True, eq=False)
class GaussianCopula:
    r"""Law of the coarsest field as a Gaussian copula: :math:`\varphi_x = F^{-1}(\Phi(z_x))` with :math:`z` the
    stationary Gaussian field of :attr:`gaussian` and :math:`F` the one-point distribution function of the data's
    coarse values, smoothed by a Gaussian kernel.

    Energy (negative log density up to a constant), with :math:`z_x = \Phi^{-1}(F(\varphi_x))` and
    :math:`f = F'`:

    .. math::
        E_J(\varphi) = \tfrac12 z^\top C^{-1} z - \sum_x\big[\ln f(\varphi_x) + \tfrac12 z_x^2\big],

    the Gaussian energy of :math:`z` plus the Jacobian :math:`\ln dz_x/d\varphi_x = \ln f(\varphi_x) -
    \ln\phi(z_x)`: quadratic couplings of a pointwise transform of the field plus a scalar potential. It is
    exact for a pointwise transform of a stationary Gaussian field (a shifted lognormal is one), the model
    of lognormal cosmological fields (Coles & Jones, MNRAS 248, 1 (1991)); a coarse field of such a field
    (block means) is one approximately. The quadratic couplings of :class:`FieldModel` act on
    :math:`\varphi` itself, and a few polynomial terms cannot give a block mean's law its cross-scale
    coupling (``docs/wirg.md``).

    :math:`F` is the kernel density estimate of the pooled values ``values`` with Gaussian kernels of width
    ``bandwidth`` (Silverman's rule); the values are shrunk towards their mean by
    :math:`(1 + h^2/\sigma^2)^{-1/2}` so that the smoothed law keeps the data's variance. :math:`z`,
    :math:`\ln f` and the inverse are tabulated on a grid of ``COPULA_STEPS_PER_BANDWIDTH`` steps per
    bandwidth reaching ``COPULA_REACH`` bandwidths beyond the data (data binned linearly onto it) and
    interpolated; :meth:`energy` evaluates the kernel sum itself beyond the grid. Sampling is exact up to
    the tables: :math:`z` from :attr:`gaussian`, then :math:`F^{-1}(\Phi(z))` (a :math:`|z|` beyond the
    grid's ends, probability below :math:`10^{-12}` per site, is set to the end).

    Attributes
    ----------
    gaussian : GaussianMarginal
        The law of :math:`z`: :meth:`GaussianMarginal.fit` of the data's :math:`\Phi^{-1}(F(\varphi_J))`.
    values : ndarray, shape (m,)
        The shrunk data values, sorted.
    bandwidth : float
    """

    gaussian: GaussianMarginal
    values: np.ndarray
    bandwidth: float

    def __post_init__(self) -> None:
        check_instance("gaussian", self.gaussian, GaussianMarginal)
        v = real_array("values", self.values)
        if v.ndim != 1 or v.size < 2:
            raise ValueError(f"values must be a 1-d array of at least 2 numbers, got shape {v.shape}")
        h = check_scalar("bandwidth", self.bandwidth, minimum=0.0, strict=True)
        with np.errstate(over="ignore", invalid="ignore"):
            span = float(v.max() - v.min()) + 2.0 * COPULA_REACH * h
            n = span / h * COPULA_STEPS_PER_BANDWIDTH
        if not n < _COPULA_MAX_GRID:
            raise ValueError(
                f"values and bandwidth: the tables need {COPULA_STEPS_PER_BANDWIDTH} steps per bandwidth over the "
                f"values' range, more than {_COPULA_MAX_GRID} points (a bandwidth {show(h)} too small for the range)"
            )
        step = h / COPULA_STEPS_PER_BANDWIDTH
        n = int(np.ceil(span / step)) + 1
        t = v.min() - COPULA_REACH * h + step * np.arange(n)
        weights = _linear_binning(np.sort(v), t)
        # kernel sums over the bins within m steps (the kernel's reach, 40 bandwidths: Phi(-40) = 0 in float64);
        # the bins beyond count whole, their weights summed from the far end (no cancellation in the tails)
        m = min(int(np.ceil(_KERNEL_REACH * h / step)), n - 1)
        offsets = step * np.arange(-m, m + 1) / h  # (t_k - t_b) / h for k - b = -m .. m
        near = slice(m, m + n)
        from_left = np.concatenate([[0.0], np.cumsum(weights)])  # sum of w_b, b < k
        from_right = np.concatenate([np.cumsum(weights[::-1])[::-1], [0.0]])  # sum of w_b, b >= k
        k = np.arange(n)
        below = np.convolve(weights, special.ndtr(offsets))[near] + from_left[np.maximum(k - m, 0)]  # F(t_k)
        above = np.convolve(weights, special.ndtr(-offsets))[near] + from_right[np.minimum(k + m + 1, n)]  # 1 - F
        density = np.convolve(weights, np.exp(-0.5 * offsets**2))[near] / (h * math.sqrt(2 * math.pi))
        z = np.where(below < 0.5, special.ndtri(below), -special.ndtri(above))
        finite_result("values and bandwidth", np.concatenate([z, np.log(density)]), "the copula's tables")
        z = np.maximum.accumulate(z)  # flat in float64 across wide gaps of the tail, never decreasing
        object.__setattr__(self, "values", np.sort(v))
        object.__setattr__(self, "bandwidth", h)
        object.__setattr__(self, "_grid", t)
        object.__setattr__(self, "_weights", weights)
        object.__setattr__(self, "_z", z)
        object.__setattr__(self, "_log_density", np.log(density))

    @property
    def L(self) -> int:
        return self.gaussian.L

    @classmethod
    def fit(cls, fields: ArrayLike) -> GaussianCopula:
        """The copula of data coarse fields (S, L_J, L_J) (class docstring)."""
        x = real_array("fields", fields)
        if x.ndim != 3 or x.shape[1] != x.shape[2]:
            raise ValueError(f"fields must have shape (S, L_J, L_J), got {x.shape}")
        v = x.ravel()
        with np.errstate(over="ignore", invalid="ignore"):
            sigma = float(v.std())
            spread = min(sigma, float(np.subtract(*np.quantile(v, [0.75, 0.25]))) / 1.34)
            mean = float(v.mean())
        finite_result("fields", np.array([sigma, spread, mean]), "the spread of the values")
        h = 0.9 * spread * v.size ** (-0.2)  # Silverman's rule
        if not h > 0.0:
            raise ValueError("fields: their values do not spread (a copula needs a continuous marginal)")
        shrunk = mean + (v - mean) / math.sqrt(1.0 + (h / sigma) ** 2)
        placeholder = GaussianMarginal(np.ones((x.shape[-1],) * 2))  # the tables do not depend on the Gaussian part
        try:
            copula = cls(placeholder, shrunk, h)
            object.__setattr__(copula, "gaussian", GaussianMarginal.fit(copula.gaussianise(x)))  # tables built once
        except ValueError as err:
            raise ValueError(f"fields: {err}") from None
        return copula

    def gaussianise(self, phi: ArrayLike) -> np.ndarray:
        r""":math:`z = \Phi^{-1}(F(\varphi))`, elementwise (any shape)."""
        return self._transform(real_array("phi", phi))[0]

    def _transform(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """z and ln f at phi: the tables inside the grid, the binned kernel sum beyond it."""
        t = phi.ravel()
        z = np.interp(t, self._grid, self._z)
        log_f = np.interp(t, self._grid, self._log_density)
        index = np.flatnonzero((t < self._grid[0]) | (t > self._grid[-1]))
        if index.size:
            keep = self._weights > 0.0
            centres, log_w = self._grid[keep], np.log(self._weights[keep])
            rows = max(1, 2**20 // centres.size)  # points per block: a few MB of kernel values at a time
            with np.errstate(over="ignore", invalid="ignore"):
                for start in range(0, index.size, rows):
                    block = index[start : start + rows]
                    a = (t[block, None] - centres[None, :]) / self.bandwidth
                    log_below = special.logsumexp(special.log_ndtr(a) + log_w, axis=1)
                    log_above = special.logsumexp(special.log_ndtr(-a) + log_w, axis=1)
                    z[block] = np.where(
                        log_below < math.log(0.5), special.ndtri_exp(log_below), -special.ndtri_exp(log_above)
                    )
                    log_f[block] = special.logsumexp(-0.5 * a * a + log_w, axis=1) - math.log(
                        self.bandwidth * math.sqrt(2 * math.pi)
                    )
            finite_result("phi", np.concatenate([z, log_f]), "the copula's transform of values far beyond the data")
        return z.reshape(phi.shape), log_f.reshape(phi.shape)

    def energy(self, phi: ArrayLike) -> np.ndarray:
        """:math:`E_J` (class docstring) of fields (S, L_J, L_J), up to a constant: shape (S,)."""
        x = real_array("phi", phi)
        if x.ndim != 3 or x.shape[1:] != (self.L, self.L):
            raise ValueError(f"phi must have shape (S, {self.L}, {self.L}), got {x.shape}")
        z, log_f = self._transform(x)
        return self.gaussian.energy(z) - np.sum(log_f + 0.5 * z * z, axis=(-2, -1))

    def sample(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Exact samples (n_samples, L_J, L_J) up to the tables (class docstring)."""
        z = self.gaussian.sample(n_samples, rng)
        return np.interp(z, self._z, self._grid)


def _linear_binning(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Weights on an evenly spaced grid summing to 1: each value split between its two grid points in proportion to
    its distance (linear binning; it keeps the mean)."""
    step = grid[1] - grid[0]
    position = (values - grid[0]) / step
    left = np.clip(np.floor(position).astype(int), 0, grid.size - 2)
    right_share = position - left
    weights = np.bincount(left, 1.0 - right_share, grid.size) + np.bincount(left + 1, right_share, grid.size)
    return weights / values.size


@dataclass(frozen=True)
class MALASettings:
    r"""MCMC settings of the scales with a potential: ``burn_in`` MALA steps at the finest scale (step
    adapted towards acceptance 0.574 during them) before the kept state, more at the coarser scales
    (:meth:`steps`); ``coarse_steps`` MALA steps of a :class:`FieldModel` of the coarsest field
    (small, so cheap).

    ``steps_exponent`` :math:`p \ge 0` sets the steps at a scale of coarse side :math:`L_j`,
    :math:`\lceil T (L_1/L_j)^p\rceil` with :math:`T` = ``burn_in`` and :math:`L_1` the side of the
    finest scale's coarse lattice. A step costs about :math:`L_j^2` per chain, so :math:`p = 1` (the
    default) costs :math:`T L_1^2\sum_k 2^{-k} < 2\,T L_1^2` over all scales: the coarse scales get
    many more steps (the public code of Guth et al., ICML 2023, also gives them more) for less than
    the cost of the finest scale again. :math:`p = 0` runs ``burn_in`` steps at every scale.
    """

    burn_in: int = 500
    coarse_steps: int = 2000
    steps_exponent: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "burn_in", count("burn_in", self.burn_in, minimum=1))
        object.__setattr__(self, "coarse_steps", count("coarse_steps", self.coarse_steps, minimum=2))
        exponent = check_scalar("steps_exponent", self.steps_exponent, minimum=0.0, strict=False)
        if exponent > 4.0:
            raise ValueError(f"steps_exponent must be <= 4 (the steps grow as 2^(p J)), got {exponent!r}")
        object.__setattr__(self, "steps_exponent", exponent)

    def steps(self, L_j: int, L_1: int) -> int:
        r"""MALA steps at a scale whose coarse lattice has side ``L_j``, ``L_1`` that of the finest scale:
        :math:`\lceil T (L_1/L_j)^p\rceil` (class docstring)."""
        L_j, L_1 = count("L_j", L_j, minimum=1), count("L_1", L_1, minimum=1)
        if L_j > L_1:
            raise ValueError(f"L_j must be <= L_1 = {L_1} (the finest scale's side), got {L_j}")
        return math.ceil(self.burn_in * (L_1 / L_j) ** self.steps_exponent)


@dataclass(frozen=True, eq=False)
class FieldModel:
    r"""A fitted energy :math:`E = \theta\cdot\Phi(\varphi_J)` of the coarsest field
    (:class:`wirg.ansatz.FieldAnsatz`), sampled by MALA from the Gaussian ``start``.

    Attributes
    ----------
    ansatz : FieldAnsatz
    theta : ndarray, shape (ansatz.n_params,)
    start : GaussianMarginal
        The law of the initial states (e.g. :meth:`GaussianMarginal.fit` of the data coarse fields).
    """

    ansatz: FieldAnsatz
    theta: np.ndarray
    start: GaussianMarginal

    def __post_init__(self) -> None:
        check_instance("ansatz", self.ansatz, FieldAnsatz)
        check_instance("start", self.start, GaussianMarginal)
        object.__setattr__(self, "theta", self.ansatz.check_theta(self.theta).copy())
        if self.ansatz.lattice is not None and self.start.L != self.ansatz.lattice:
            raise ValueError(f"start: its lattice side {self.start.L} differs from the ansatz's {self.ansatz.lattice}")
        if self.ansatz.lattice is None and self.start.L <= 2 * self.ansatz.radius:
            raise ValueError(
                f"start: its lattice side {self.start.L} must exceed 2 * radius = {2 * self.ansatz.radius} of the ansatz"
            )

    @property
    def L(self) -> int:
        return self.start.L

    def energy(self, phi: np.ndarray) -> np.ndarray:
        r""":math:`\theta\cdot\Phi(\varphi_J)` of fields (S, L_J, L_J): shape (S,)."""
        return self.ansatz.energy(self.theta, phi)

    def sample(self, n_samples: int, rng: np.random.Generator, mcmc: MALASettings | None = None) -> np.ndarray:
        """Fields (n_samples, L_J, L_J): ``mcmc.coarse_steps`` MALA steps from Gaussian initial states (the
        step adapted towards acceptance 0.574 every 10 steps during the first half, then fixed); with a
        window, the Gaussian draws are reflected into it (module docstring)."""
        n_samples = count("n_samples", n_samples, minimum=1)
        mcmc = MALASettings() if mcmc is None else mcmc
        check_instance("mcmc", mcmc, MALASettings)
        x0 = self.start.sample(n_samples, rng)
        window = None if self.ansatz.potential is None else self.ansatz.potential.window
        if window is not None:
            x0 = _fold(x0, window)
        operator = self.ansatz.operator(self.theta, self.L)
        largest = max(operator.max_eigenvalue, 0.0)
        if self.ansatz.potential is not None:
            curvature = self.ansatz.potential.basis_second_derivative(x0) @ operator.alpha
            largest += float(np.abs(curvature).max())
        chains = MALAChains(x0, initial_step(largest, self.L * self.L), int(rng.integers(2**63)))
        chains.set_energy(operator.energy_and_grad)
        adapt = mcmc.coarse_steps // 2
        chains.warm_up(adapt)
        chains.run(mcmc.coarse_steps - adapt)
        if chains.diverged:
            raise ValueError("theta: the MALA chains of the coarsest field diverged (the energy is not bounded below)")
        return chains.x


@dataclass(frozen=True, eq=False)
class ScalarModel(FieldModel):
    r"""A :class:`FieldModel` of a 1 x 1 coarsest field: the density of one number (the mean of the field),
    :math:`p(t) \propto e^{-\theta\cdot\Phi(t)}` on ``window`` :math:`[t_-, t_+]`, fitted by exact maximum
    likelihood (:func:`wirg.likelihood.fit_exact_scalar`) and sampled exactly: a grid cell of
    :func:`wirg.likelihood.scalar_grid` drawn with its trapezoid mass, then the point within it from the
    linear interpolation of the density (inverse of its quadratic distribution function). No Markov chain, so
    separated modes (the two signs of the magnetisation in an ordered phase) get their weights.

    Attributes
    ----------
    ansatz, theta, start
        As :class:`FieldModel` (``start``, the Gaussian fit of the data, is kept for reference only).
    window : (float, float)
    n_grid : int
    """

    window: tuple[float, float]
    n_grid: int = SCALAR_GRID

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.L != 1:
            raise ValueError(f"start: a ScalarModel is the law of a 1 x 1 field, got side {self.L}")
        t, _ = scalar_grid(self.window, self.n_grid)
        object.__setattr__(self, "window", (float(t[0]), float(t[-1])))
        object.__setattr__(self, "n_grid", t.size)

    def density(self) -> tuple[np.ndarray, np.ndarray]:
        """Grid points and the normalised density there (trapezoid rule), each of shape (n_grid,)."""
        t, weights = scalar_grid(self.window, self.n_grid)
        energy = self.ansatz.energy(self.theta, t[:, None, None])
        p = np.exp(-(energy - energy.min()))
        return t, p / (weights @ p)

    def sample(self, n_samples: int, rng: np.random.Generator, mcmc: MALASettings | None = None) -> np.ndarray:
        """Fields (n_samples, 1, 1) drawn exactly from the density (class docstring); ``mcmc`` is accepted
        for the interface of :class:`FieldModel` and not used."""
        n_samples = count("n_samples", n_samples, minimum=1)
        check_memory(f"{n_samples} scalar samples", "n_samples", 48.0 * n_samples)
        if mcmc is not None:
            check_instance("mcmc", mcmc, MALASettings)
        t, p = self.density()
        h = t[1] - t[0]
        mass = 0.5 * h * (p[:-1] + p[1:])
        cell = np.minimum(np.searchsorted(np.cumsum(mass), rng.uniform(0.0, mass.sum(), n_samples)), mass.size - 1)
        a, b = p[cell], p[cell + 1]
        u = rng.uniform(size=n_samples)
        # inverse of F(s) = (a s + (b - a) s^2 / 2) / ((a + b) / 2), s in [0, 1], in the form stable at b = a
        s = 2.0 * u * (a + b) / 2.0 / (a + np.sqrt(a * a + 2.0 * u * (b - a) * (a + b) / 2.0))
        return (t[cell] + h * s)[:, None, None]


def generate(
    scales: Sequence[ScaleModel],
    coarse: GaussianMarginal | GaussianCopula | ArrayLike,
    n_samples: int,
    *,
    seed: int | np.random.Generator,
    wavelet: str = "db4",
    gamma: float | Sequence[float] = 1.0,
    mcmc: MALASettings | None = None,
) -> np.ndarray:
    r"""Sample fields coarse to fine from a fitted per-scale model (module docstring).

    Parameters
    ----------
    scales : sequence of ScaleModel
        The fitted conditionals :math:`\bar E_1, \dots, \bar E_J`, finest first (the order of
        :attr:`wirg.gaussian.GaussianWIRG.scales` and :attr:`wirg.wavelets.MultiScale.details`);
        scale j acts on the :math:`L_J 2^{J-j}` lattice.
    coarse : GaussianMarginal, GaussianCopula, FieldModel or array_like of shape (n_samples, L_J, L_J)
        The law of :math:`\varphi_J`, or the coarse fields themselves (generation conditioned on them).
    n_samples : int
        Number of fields.
    seed : int or numpy.random.Generator
        For the coarse fields, the Gaussian noise and the MALA seeds.
    wavelet : {"haar", "db4"}
    gamma : float or sequence of J floats
        :math:`\gamma_1, \dots, \gamma_J` of the synthesis; an ansatz with a potential must use the
        same wavelet and :math:`\gamma_j`.
    mcmc : MALASettings, optional
        For scales with a potential and a :class:`FieldModel` (default ``MALASettings()``).

    Returns
    -------
    ndarray, shape (n_samples, L, L), :math:`L = 2^J L_J`

    Raises
    ------
    ValueError
        For inconsistent inputs, or a fitted Gaussian conditional that is not positive definite
        (naming the scale).
    """
    if isinstance(scales, ScaleModel) or not isinstance(scales, Sequence) or not scales:
        raise TypeError("scales must be a non-empty sequence of ScaleModel, finest first")
    for j, model in enumerate(scales, start=1):
        if not isinstance(model, ScaleModel):
            raise TypeError(f"scales[{j - 1}] must be a ScaleModel, got {type(model).__name__}")
    n_samples = count("n_samples", n_samples, minimum=1)
    wavelet = check_choice("wavelet", wavelet, WAVELETS)
    gammas = check_gamma(gamma, len(scales))
    mcmc = MALASettings() if mcmc is None else mcmc
    if not isinstance(mcmc, MALASettings):
        raise TypeError(f"mcmc must be MALASettings or None, got {type(mcmc).__name__}")
    for j, (model, gam) in enumerate(zip(scales, gammas), start=1):
        if model.ansatz.potential is not None and (model.ansatz.wavelet != wavelet or model.ansatz.gamma != gam):
            raise ValueError(
                f"scale {j}: the ansatz reconstructs with ({model.ansatz.wavelet!r}, gamma = "
                f"{model.ansatz.gamma}) but generation uses ({wavelet!r}, gamma = {gam})"
            )
    rng = as_generator(seed)
    if isinstance(coarse, GaussianMarginal | GaussianCopula):
        phi = coarse.sample(int(n_samples), rng)
    elif isinstance(coarse, FieldModel):
        phi = coarse.sample(n_samples, rng, mcmc)
    else:
        phi = real_array("coarse", coarse)
        if phi.ndim != 3 or phi.shape[0] != n_samples or phi.shape[1] != phi.shape[2]:
            raise ValueError(f"coarse fields must have shape ({n_samples}, L_J, L_J), got {phi.shape}")
    L_1 = phi.shape[-1] * 2 ** (len(scales) - 1)
    for j in range(len(scales), 0, -1):
        model = scales[j - 1]
        details = _gaussian_details(model, phi, rng, j)
        if not model.ansatz.gaussian:
            details = _start_inside(model.ansatz, phi, details, j)
            details = sample_conditional(
                model.ansatz,
                model.theta,
                phi,
                n_samples=1,
                seed=int(rng.integers(2**63)),
                burn_in=mcmc.steps(phi.shape[-1], L_1),
                init=details,  # the default initial step: conditional_step there, scaled by the preconditioner
                precondition=model.preconditioner(phi),
            ).samples[-1]
        phi = synthesis_step(phi, details, wavelet, gammas[j - 1])
    return phi


def _fold(t: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    r"""Sites outside the window reflected into it, :math:`t \mapsto 2t_\pm - t` (no pile-up on its edges, where a
    MALA proposal leaves with probability 1/2 per site), then clipped to it shrunk by 1e-3 of its width."""
    low, high = window
    delta = 1e-3 * (high - low)
    return np.clip(np.where(t < low, 2 * low - t, np.where(t > high, 2 * high - t, t)), low + delta, high - delta)


def _start_inside(ansatz: QuadraticAnsatz, phi: np.ndarray, details: np.ndarray, j: int) -> np.ndarray:
    """Initial details whose reconstruction lies in the potential's window (module docstring): chains outside
    are projected in alternately (at most 20 times), then shrunk; ValueError naming the scale if even zero
    details leave the window."""
    potential = ansatz.potential
    if potential is None or potential.window is None:
        return details
    start = details.copy()
    todo = np.flatnonzero(potential.outside_window(ansatz.reconstruct(start, phi)))
    for _ in range(20):
        if todo.size == 0:
            return start
        fine = _fold(ansatz.reconstruct(start[todo], phi[todo]), potential.window)
        start[todo] = analysis_step(fine, ansatz.wavelet, ansatz.gamma)[1]
        todo = todo[potential.outside_window(ansatz.reconstruct(start[todo], phi[todo]))]
    for factor in (0.5, 0.25, 0.0):
        if todo.size == 0:
            return start
        trial = factor * start[todo]
        inside = ~potential.outside_window(ansatz.reconstruct(trial, phi[todo]))
        start[todo[inside]] = trial[inside]
        todo = todo[~inside]
    if todo.size == 0:
        return start
    low, high = potential.window
    raise ValueError(
        f"scale {j}: {todo.size} of {details.shape[0]} chains cannot start inside the potential's window "
        f"[{low:.4g}, {high:.4g}] (even zero details reconstruct a site outside it): the coarse fields leave "
        "the range the model was fitted on"
    )


def _gaussian_details(model: ScaleModel, phi: np.ndarray, rng: np.random.Generator, j: int) -> np.ndarray:
    """Exact sample of the Gaussian conditional of the quadratic part (module docstring; in the rescaled details
    with a detail scale), shape (n, 3, L_j, L_j); for a non-Gaussian conditional, zeros if that part is not
    positive definite."""
    n, L_j = phi.shape[0], phi.shape[-1]
    quadratic = model.theta.copy()
    quadratic[model.ansatz.n_dd + model.ansatz.n_dc :] = 0.0
    try:
        Khat, Kphat = model.ansatz.fourier_kernels(quadratic, L_j)
    except ValueError as err:
        raise ValueError(f"scale {j} (L_j = {L_j}): {err}") from None
    eig = np.linalg.eigvalsh(Khat)
    if eig.min() <= 1e-12 * max(1.0, eig.max()):
        if not model.ansatz.gaussian:
            return np.zeros((n, 3, L_j, L_j))
        raise ValueError(
            f"scale {j}: the fitted conditional precision is not positive definite "
            f"(smallest eigenvalue {eig.min():.3g} over the frequencies)"
        )
    covariance = np.linalg.inv(Khat)
    mean_operator = -np.einsum("...ab,...b->...a", covariance, Kphat)
    if model.ansatz.detail_scale is None:
        return sample_details(covariance, mean_operator, phi, rng)
    weight = model.ansatz.detail_scale.weight(phi)  # the rescaled details chi = w psi are Gaussian given w phi
    return sample_details(covariance, mean_operator, weight * phi, rng) / weight[:, None]
