r"""Metropolis-adjusted Langevin (MALA) chains on the details, and sampling the conditional law of one scale.

**MALA** (Roberts & Tweedie, Bernoulli 2, 341 (1996)): proposal
:math:`y = x - \tfrac{\epsilon^2}2\nabla E(x) + \epsilon\,\xi`, accepted with probability
:math:`\min(1, e^{E(x) - E(y) + (|y - x + \frac{\epsilon^2}2\nabla E(x)|^2 -
|x - y + \frac{\epsilon^2}2\nabla E(y)|^2)/2\epsilon^2})` per chain; the noise and the uniforms come
from the in-kernel xoshiro256++ generator of :mod:`statlearn.numerics.rng` seeded by ``seed``
(bit-for-bit reproducible), energies and gradients from the ansatz (FFT). The step is adapted
between batches of steps, :math:`\ln\epsilon \mathrel{+}= \tfrac12(\bar a - 0.574)`, towards the
optimal acceptance 0.574 (Roberts & Rosenthal, JRSS B 60, 255 (1998)).

**Preconditioning.** With a fixed positive diagonal :math:`D` (one variance per coordinate) the proposal is
:math:`y = x - \tfrac{\epsilon^2}2 D\nabla E(x) + \epsilon\sqrt D\,\xi` and the squared norms of the test
are weighted by :math:`D^{-1}`: still exact MALA, because :math:`D` does not depend on the state (for a
conditional it may depend on the clamped coarse field). Where the details' scale varies strongly from site to
site (a shifted lognormal: a factor 34 across the coarse values at shift 2) a single step is set by the
narrowest coordinates and the widest barely move; :math:`D` of the order of their variances lets every
coordinate move on its own scale. Without :math:`D` (all ones) the chains are bit-for-bit those of plain MALA.

:func:`sample_conditional` samples :math:`p_\theta(\bar\psi_j|\varphi_j)` of a
:class:`wirg.ansatz.QuadraticAnsatz` with one chain per coarse field; :class:`MALAChains` are the
persistent chains that the moment-matching fits of :mod:`wirg.moment_matching` and the generation of
:mod:`wirg.generate` also run.

References
----------
G. O. Roberts & R. L. Tweedie, "Exponential convergence of Langevin distributions and their discrete
approximations", Bernoulli 2, 341 (1996). G. O. Roberts & J. S. Rosenthal, "Optimal scaling of discrete
approximations to Langevin diffusions", J. R. Stat. Soc. B 60, 255 (1998).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.rng import fill_normal, next_double, seed_state
from wirg.ansatz import QuadraticAnsatz
from wirg.block_quartic import block_quartic_curvature
from wirg.checks import (
    check_instance,
    check_memory,
    check_positive,
    check_side,
    count,
    field_pair,
    real_array,
    seed_value,
)

__all__ = [
    "ConditionalSamples",
    "MALAChains",
    "conditional_step",
    "initial_step",
    "sample_conditional",
    "stiffness_preconditioner",
]

_TARGET_ACCEPTANCE = 0.574
_ADAPT_GAIN = 0.5


@njit(cache=True)
def _mala_propose(x, grad, eps, scale, zero_mean, n_chains, state, noise, out):  # pragma: no cover - compiled
    """out = x - eps^2/2 D grad + eps sqrt(D) noise, D = scale^2 per coordinate; with zero_mean (scale all
    ones) the noise of each chain is centred."""
    fill_normal(state, noise)
    d = x.size // n_chains
    h = 0.5 * eps * eps
    for c in range(n_chains):
        shift = 0.0
        if zero_mean:
            for i in range(c * d, (c + 1) * d):
                shift += noise[i]
            shift /= d
        for i in range(c * d, (c + 1) * d):
            v = scale[i] * scale[i]
            out[i] = x[i] - h * v * grad[i] + eps * scale[i] * (noise[i] - shift)


@njit(cache=True)
def _mala_accept(x, grad, energy, y, grad_y, energy_y, eps, scale, state):  # pragma: no cover - compiled
    """Metropolis-Hastings test per chain (the proposal of :func:`_mala_propose` with the same ``scale``);
    accepted chains copy (y, grad_y, energy_y) into place.
    One uniform per chain, always drawn. Returns the number of accepted chains."""
    n_chains = energy.size
    d = x.size // n_chains
    h = 0.5 * eps * eps
    accepted = 0
    for c in range(n_chains):
        forward = 0.0
        backward = 0.0
        for i in range(c * d, (c + 1) * d):
            v = scale[i] * scale[i]
            a = y[i] - x[i] + h * v * grad[i]
            b = x[i] - y[i] + h * v * grad_y[i]
            forward += a * a / v
            backward += b * b / v
        log_alpha = energy[c] - energy_y[c] + (forward - backward) / (2.0 * eps * eps)
        u = next_double(state)
        if log_alpha >= 0.0 or u < np.exp(log_alpha):  # NaN compares False: rejected
            accepted += 1
            energy[c] = energy_y[c]
            for i in range(c * d, (c + 1) * d):
                x[i] = y[i]
                grad[i] = grad_y[i]
    return accepted


def _variances(name: str, values: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    """``values`` as positive finite variances of the given shape, or ValueError/TypeError naming ``name``."""
    arr = real_array(name, values)
    if arr.shape != shape:
        raise ValueError(f"{name} must have the shape of the chains' states {shape}, got {arr.shape}")
    if not np.all(arr > 0.0):  # real_array has refused NaN and infinity
        raise ValueError(f"{name} must be positive: it holds the proposal's variance of every coordinate")
    return arr


class MALAChains:
    r"""Persistent MALA chains ``x`` (n_chains, ...) for an energy given as ``fn(x) -> (E, grad)``; ``precondition``
    the fixed variances :math:`D` of the proposal, shape of ``x`` (module docstring; default all ones), kept as
    ``scale`` = :math:`\sqrt D`, flat."""

    def __init__(
        self, x: np.ndarray, step: float, seed: int, *, zero_mean: bool = False, precondition: ArrayLike | None = None
    ) -> None:
        self.x = np.array(x, dtype=np.float64, order="C")
        self.n_chains = self.x.shape[0]
        self.step = step
        self.zero_mean = zero_mean
        if precondition is None:
            self.scale = np.ones(self.x.size)
        else:
            if zero_mean:
                raise ValueError("precondition: the zero-mean chains centre an unscaled noise; use one or the other")
            self.scale = np.sqrt(_variances("precondition", precondition, self.x.shape)).reshape(-1)
        self.state = seed_state(seed)
        self._noise = np.empty(self.x.size)
        self._proposal = np.empty_like(self.x)
        self.steps = 0

    def set_energy(self, fn) -> None:
        self.fn = fn
        with np.errstate(over="ignore", invalid="ignore"):
            energy, grad = fn(self.x)
        self.energy = np.ascontiguousarray(energy, dtype=np.float64)
        self.grad = np.ascontiguousarray(grad, dtype=np.float64)

    def run(self, n_steps: int) -> float:
        """``n_steps`` MALA steps of every chain; returns the acceptance rate. A chain whose proposal has a
        non-finite energy rejects it; check :attr:`diverged` after the first :meth:`set_energy`."""
        accepted = 0
        flat_x, flat_g, flat_y = self.x.reshape(-1), self.grad.reshape(-1), self._proposal.reshape(-1)
        for _ in range(n_steps):
            _mala_propose(
                flat_x, flat_g, self.step, self.scale, self.zero_mean, self.n_chains, self.state, self._noise, flat_y
            )
            with np.errstate(over="ignore", invalid="ignore"):  # a non-finite proposal is rejected below
                energy_y, grad_y = self.fn(self._proposal)
            accepted += _mala_accept(
                flat_x,
                flat_g,
                self.energy,
                flat_y,
                np.ascontiguousarray(grad_y, dtype=np.float64).reshape(-1),
                np.ascontiguousarray(energy_y, dtype=np.float64),
                self.step,
                self.scale,
                self.state,
            )
        self.steps += n_steps
        return accepted / (n_steps * self.n_chains)

    @property
    def diverged(self) -> bool:
        """Whether a chain's energy is non-finite (the energy is not bounded below at these couplings)."""
        return not bool(np.all(np.isfinite(self.energy)))

    def adapt(self, acceptance: float) -> None:
        self.step *= float(np.exp(_ADAPT_GAIN * (acceptance - _TARGET_ACCEPTANCE)))

    def warm_up(self, n_steps: int) -> None:
        """``n_steps`` MALA steps, the step adapted after every 10 (:meth:`adapt`)."""
        for start in range(0, n_steps, 10):
            self.adapt(self.run(min(10, n_steps - start)))


def conditional_step(ansatz: QuadraticAnsatz, theta: ArrayLike, psibar: ArrayLike, phi_j: ArrayLike) -> float:
    r"""A MALA step for the conditional :math:`\bar E_j` at the states ``(psibar, phi_j)``: :func:`initial_step`
    of an upper bound of the Hessian's largest eigenvalue there, :math:`\lambda_{\max}(\hat{\bar K})\max_x w(x)^2 +
    \gamma_j^2\max_x|v''(\varphi_{j-1}(x))|` (:math:`\|\bar G\| = 1`) plus the block quartic terms' bound
    (:func:`wirg.block_quartic.block_quartic_curvature`), the block cubic term's
    :math:`|\theta_{abd}|\max_x w^2\max_x\sum_c|\chi_c|` and the largest modulated stiffness
    :math:`\max(0, \max_x s_{g(c)}(\varphi_j(x)))`, so that a potential with strong
    curvature does not start the chains at a step they reject (the step adaptation gains at most a factor
    0.75 per 10 steps); :math:`w` is the weight of a detail scale (1 without, module docstring of
    :mod:`wirg.ansatz`)."""
    check_instance("ansatz", ansatz, QuadraticAnsatz)
    psi, phi = field_pair(psibar, phi_j, ansatz.radius, ansatz.lattice)
    operator = ansatz.operator(theta, phi.shape[-1])
    largest = max(operator.max_eigenvalue, 0.0)
    scale = ansatz.detail_weight(phi)
    if scale is not None:  # the Hessian of the quadratic part is W K W
        largest *= float((scale**2).max())
    if ansatz.potential is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            curvature = ansatz.potential.basis_second_derivative(ansatz.reconstruct(psi, phi)) @ operator.alpha
        largest += ansatz.gamma**2 * float(np.abs(curvature).max())
    if ansatz.block_quartic:
        largest += block_quartic_curvature(operator.block, psi, phi)
    if ansatz.block_cubic:  # the Hessian of t chi_0 chi_1 chi_2 in psi: |t| w^2 times a matrix of the chi's
        chi = ansatz.rescaled(psi, phi)[0]
        factor = 1.0 if scale is None else float((scale**2).max())
        largest += abs(operator.cubic) * factor * float(np.abs(chi).sum(axis=1).max())
    stiffness = operator.stiffness(phi)
    if stiffness is not None:
        largest += max(float(stiffness.max()), 0.0)
    return initial_step(largest, psi[0].size)


def stiffness_preconditioner(ansatz: QuadraticAnsatz, theta: ArrayLike, phi_j: ArrayLike) -> np.ndarray | None:
    r"""Proposal variances :math:`D_c(x) = 1/\max(d_c(x), 10^{-2}\max d)` from the local stiffness
    :math:`d_c(x) = w(x)^2\bar K[c,c,0] + s_{g(c)}(\varphi_j(x))` of a conditional with a coarse-modulated stiffness
    or a detail scale (:class:`wirg.ansatz.QuadraticAnsatz`, module docstring of :mod:`wirg.ansatz`), shape
    (batch, 3, n, n): each detail's proposal on the scale of its own conditional width, fixed by the clamped coarse
    field, so the chains stay exact MALA (module docstring). None without either (every site then has the same
    stiffness per channel, and plain MALA is used)."""
    check_instance("ansatz", ansatz, QuadraticAnsatz)
    theta = ansatz.check_theta(theta)
    phi = real_array("phi_j", phi_j)
    if phi.ndim != 3 or phi.shape[1] != phi.shape[2]:
        raise ValueError(f"phi_j must have shape (batch, n, n), got {phi.shape}")
    check_side("phi_j", phi.shape[-1], ansatz.radius, ansatz.lattice)
    if ansatz.modulation is None and ansatz.detail_scale is None:
        return None
    d = ansatz.operator(theta, phi.shape[-1]).local_stiffness(phi)
    largest = float(d.max())
    if not largest > 0.0:
        raise ValueError(
            f"theta: the local detail stiffness is nowhere positive (largest {largest:.3g}), so it cannot set the "
            "proposal's scale"
        )
    return 1.0 / np.maximum(d, 1e-2 * largest)


def initial_step(max_eigenvalue: float, dim: int) -> float:
    """MALA step for a Gaussian of largest precision eigenvalue lambda in ``dim`` dimensions:
    eps = 1.2 dim^(-1/6) lambda^(-1/2), near the optimal scaling (Roberts & Rosenthal 1998)."""
    return 1.2 * dim ** (-1.0 / 6.0) / np.sqrt(max(max_eigenvalue, 1e-12))


@dataclass(frozen=True, eq=False)
class ConditionalSamples:
    """MALA samples of :math:`\\bar\\psi_j|\\varphi_j`: ``samples`` (n_samples, batch, 3, n, n) taken every
    ``thin`` steps after ``burn_in`` steps; ``acceptance`` the rate after burn-in; ``step_size`` the
    (fixed after burn-in) MALA step.

    The result protocol of :mod:`statlearn.numerics.result`: a chain run to its horizon, so ``converged``
    is True, ``iterations`` counts the MALA steps of each chain (``burn_in + n_samples * thin``),
    ``residual`` is NaN (no equation is solved) and ``message`` says what ran. ``samples`` is read-only."""

    samples: np.ndarray
    acceptance: float
    step_size: float
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def sample_conditional(
    ansatz: QuadraticAnsatz,
    theta: ArrayLike,
    phi_j: ArrayLike,
    *,
    n_samples: int,
    seed: int,
    burn_in: int = 200,
    thin: int = 1,
    init: ArrayLike | None = None,
    step: float | None = None,
    precondition: ArrayLike | None = None,
) -> ConditionalSamples:
    r"""Sample :math:`p_\theta(\bar\psi|\varphi_j)` by MALA, one chain per coarse field.

    The step is adapted during ``burn_in`` (every 10 steps, towards acceptance 0.574) and then fixed,
    so the recorded chain is an exact MALA chain.

    Parameters
    ----------
    ansatz, theta
        The energy :math:`\bar E_j`.
    phi_j : array_like, shape (batch, n, n)
        Coarse fields, one chain each (repeat a field to run several chains on it).
    n_samples, burn_in, thin
        Recorded states, steps before the first, steps between two.
    seed
        Integer seed of the in-kernel generator.
    init : array_like, shape (batch, 3, n, n), optional
        Initial details (default zeros); with a windowed potential (:class:`wirg.ansatz.Potential`) their
        reconstruction must lie inside the window, and proposals that leave it are rejected (the
        density is truncated to it).
    step : float, optional
        Initial MALA step (default :func:`conditional_step` at the initial states, divided by the square root of
        the largest entry of ``precondition``).
    precondition : array_like, shape (batch, 3, n, n), optional
        Fixed variances :math:`D` of the proposal, one per detail (module docstring), e.g. the data's detail
        variance given the coarse value at each site; default all ones (plain MALA).
    """
    check_instance("ansatz", ansatz, QuadraticAnsatz)
    phi = real_array("phi_j", phi_j)
    if phi.ndim != 3:
        raise ValueError(f"phi_j must have shape (batch, n, n), got {phi.shape}")
    x0 = np.zeros((phi.shape[0], 3) + phi.shape[1:]) if init is None else init
    psi, phi = field_pair(x0, phi, ansatz.radius, ansatz.lattice)
    n_samples = count("n_samples", n_samples, minimum=1)
    burn_in = count("burn_in", burn_in, minimum=0)
    thin = count("thin", thin, minimum=1)
    check_memory("sample_conditional", "n_samples", 8 * n_samples * psi.size)
    step = None if step is None else check_positive("step", step)
    seed = seed_value(seed)
    op = ansatz.operator(theta, phi.shape[-1])
    if ansatz.gaussian and op.min_eigenvalue <= 0.0:
        raise ValueError(
            f"theta: the detail couplings are not positive definite (smallest eigenvalue of the Fourier "
            f"kernel {op.min_eigenvalue:.3g}), so the conditional law does not exist"
        )
    cross, stiffness = op.cross_field(phi), op.stiffness(phi)
    sampler = MALAChains(psi, 0.0 if step is None else step, seed, precondition=precondition)
    if step is None:  # sqrt of the largest variance = the largest of the chains' scales
        sampler.step = conditional_step(ansatz, theta, psi, phi) / float(sampler.scale.max())
    sampler.set_energy(lambda x: op.energy_and_grad(x, phi, cross, stiffness))
    if sampler.diverged:
        potential = ansatz.potential
        outside = (
            np.zeros(0, dtype=bool) if potential is None else potential.outside_window(ansatz.reconstruct(psi, phi))
        )
        if outside.any():
            assert potential is not None and potential.window is not None
            low, high = potential.window
            raise ValueError(
                f"init: {int(outside.sum())} of {outside.size} chains start with a site of the reconstructed field "
                f"outside the potential's window [{low:.4g}, {high:.4g}], where the model's density is 0"
            )
        raise ValueError("init: the energy of the initial details is not finite at this theta")
    sampler.warm_up(burn_in)
    out = np.empty((n_samples,) + psi.shape)
    acceptance = 0.0
    for i in range(n_samples):
        acceptance += sampler.run(thin)
        out[i] = sampler.x
    if sampler.diverged:
        raise ValueError("theta: the MALA chains diverged (non-finite energy): the energy is not bounded below")
    return ConditionalSamples(
        samples=out,
        acceptance=acceptance / n_samples,
        step_size=sampler.step,
        converged=True,
        iterations=sampler.steps,
        residual=math.nan,
        message=f"ran {sampler.steps} MALA steps per chain ({burn_in} of burn-in, {n_samples} samples every {thin})",
    )
