r"""Estimation of the conditional energy ansatz by maximum likelihood: exactly (Gaussian case, Newton
in Fourier) and by moment matching with Monte Carlo on the details only; and the direct
estimation of a local microscopic ansatz it is compared with.

**Maximum likelihood = moment matching** (Marchand, Ozawa, Biroli & Mallat, PRX 13, 041038 (2023),
section III.B; PHYSICS.md section 5). For data pairs :math:`(\varphi_j, \bar\psi_j)` from decomposed
fields and the exponential family :math:`p_\theta(\bar\psi|\varphi_j) = e^{-\theta\cdot\Phi(\bar\psi,
\varphi_j)}/Z_\theta(\varphi_j)`, the negative log-likelihood per sample and per coarse site
:math:`N = L_j^2` is convex, with

.. math::

    \nabla_\theta \ell = \frac1N\Big(\mathbb E_{\rm data}[\Phi] - \mathbb E_{\varphi_j\sim{\rm data}}
    \mathbb E_{\bar\psi\sim p_\theta(\cdot|\varphi_j)}[\Phi]\Big),\qquad
    \nabla^2_\theta\ell = \frac1N\,\mathbb E_{\varphi_j\sim\rm data}\operatorname{Cov}_\theta(\Phi|\varphi_j).

**Exact Gaussian likelihood** (:class:`ConditionalGaussianLikelihood`, :func:`fit_exact_quadratic`).
Without a potential, :math:`p_\theta(\bar\psi|\varphi) = N(-\hat K^{-1}\hat K'\hat\varphi, \hat K^{-1})`
frequency by frequency, :math:`\hat K(\xi) = \sum_a\theta_a A_a(\xi)` (3 x 3 Hermitian) and
:math:`\hat K'(\xi) = \sum_b\theta_b B_b(\xi)` (3-vectors) the Fourier kernels of
:meth:`wirg.ansatz.QuadraticAnsatz.fourier_kernels`. With :math:`\Sigma = \hat K^{-1}`,
:math:`m = \Sigma\hat K'`, :math:`p(\xi) = \mathbb E_{\rm data}|\hat\varphi_j(\xi)|^2/N` and
:math:`\bar\Phi = \mathbb E_{\rm data}\Phi/N`,

.. math::

    \ell(\theta) = \theta\cdot\bar\Phi + \frac1N\sum_\xi\Big[\tfrac12 p\,\hat K'^*\Sigma\hat K'
    - \tfrac12\ln\det\hat K\Big] + \tfrac32\ln 2\pi,

    \partial_{a}\ell = \bar\Phi_a - \frac1N\sum_\xi\tfrac12\big[p\, m^*A_a m + \mathrm{tr}\,\Sigma A_a\big],
    \qquad \partial_{b}\ell = \bar\Phi_b + \frac1N\sum_\xi p\,\mathrm{Re}\,B_b^*m,

    \partial_{\alpha}\partial_{\beta}\ell = \frac1N\sum_\xi\Big[p\,\mathrm{Re}\,R_\alpha^*\Sigma R_\beta
    + \tfrac12\mathrm{tr}(\Sigma A_\alpha\Sigma A_\beta)\Big],\qquad R_a = -A_a m,\ R_b = B_b,

(a: detail-detail, b: detail-coarse parameters; the trace term for two detail-detail ones only),
the Fisher matrix of :mod:`wirg.gaussian` at the data's coarse spectrum. It depends on the data
only through :math:`\bar\Phi` and :math:`p(\xi)`, so Newton's method with backtracking line search
costs :math:`O(n_\theta^2 N)` per step. The asymptotic covariance of the estimate is the inverse
Fisher matrix, :math:`(\nabla^2\ell)^{-1}/(S N)` for :math:`S` data pairs.

**Moment matching with MCMC** (:func:`fit_moment_matching`, :func:`fit_direct`). Plain gradient
descent :math:`\theta \leftarrow \theta - \eta\,\nabla_\theta\ell` (no preconditioning, so that
the number of iterations reflects the conditioning of the Fisher matrix), the model moments
estimated on persistent chains (persistent contrastive divergence, Tieleman 2008): chain ``i`` is
clamped to the coarse field of data pair ``i`` and started from its details, and runs
``mcmc_steps`` MALA steps at the current :math:`\theta` per iteration. Both moments are averaged over
the same ``n_chains`` data pairs, so the fixed point is the maximum-likelihood estimate on those
pairs. :func:`fit_direct` does the same for :class:`wirg.ansatz.LocalAnsatz` with MCMC on the
whole microscopic field.

**MALA** (Roberts & Tweedie, Bernoulli 2, 341 (1996)): proposal
:math:`y = x - \tfrac{\epsilon^2}2\nabla E(x) + \epsilon\,\xi`, accepted with probability
:math:`\min(1, e^{E(x) - E(y) + (|y - x + \frac{\epsilon^2}2\nabla E(x)|^2 -
|x - y + \frac{\epsilon^2}2\nabla E(y)|^2)/2\epsilon^2})` per chain; the noise and the uniforms come
from the in-kernel xoshiro256++ generator of :mod:`statlearn.numerics.rng` seeded by ``seed``
(bit-for-bit reproducible), energies and gradients from the ansatz (FFT). The step is adapted
between batches of steps, :math:`\ln\epsilon \mathrel{+}= \tfrac12(\bar a - 0.574)`, towards the
optimal acceptance 0.574 (Roberts & Rosenthal, JRSS B 60, 255 (1998)).

References
----------
T. Tieleman, "Training restricted Boltzmann machines using approximations to the likelihood
gradient", ICML 2008.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from statlearn.numerics.rng import fill_normal, next_double, seed_state
from wirg.ansatz import LocalAnsatz, QuadraticAnsatz, _field_pair, _real_array

__all__ = [
    "ConditionalGaussianLikelihood",
    "ConditionalSamples",
    "ExactFit",
    "FitResult",
    "LikelihoodTerms",
    "fit_direct",
    "fit_exact_direct",
    "fit_exact_quadratic",
    "fit_moment_matching",
    "local_fisher",
    "sample_conditional",
]

_TARGET_ACCEPTANCE = 0.574
_ADAPT_GAIN = 0.5


# --------------------------------------------------------------------------------------------
# checks


def _check_count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive real number, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return float(value)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if not 0 <= seed < 2**63:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    return int(seed)


def _require_quadratic(ansatz: object) -> QuadraticAnsatz:
    if not isinstance(ansatz, QuadraticAnsatz):
        raise TypeError(f"ansatz must be a QuadraticAnsatz, got {type(ansatz).__name__}")
    return ansatz


# --------------------------------------------------------------------------------------------
# MALA kernels (flat arrays: n_chains blocks of d coordinates)


@njit(cache=True)
def _mala_propose(x, grad, eps, zero_mean, n_chains, state, noise, out):  # pragma: no cover - compiled
    """out = x - eps^2/2 grad + eps noise; with zero_mean the noise of each chain is centred."""
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
            out[i] = x[i] - h * grad[i] + eps * (noise[i] - shift)


@njit(cache=True)
def _mala_accept(x, grad, energy, y, grad_y, energy_y, eps, state):  # pragma: no cover - compiled
    """Metropolis-Hastings test per chain; accepted chains copy (y, grad_y, energy_y) into place.
    One uniform per chain, always drawn. Returns the number of accepted chains."""
    n_chains = energy.size
    d = x.size // n_chains
    h = 0.5 * eps * eps
    accepted = 0
    for c in range(n_chains):
        forward = 0.0
        backward = 0.0
        for i in range(c * d, (c + 1) * d):
            a = y[i] - x[i] + h * grad[i]
            b = x[i] - y[i] + h * grad_y[i]
            forward += a * a
            backward += b * b
        log_alpha = energy[c] - energy_y[c] + (forward - backward) / (2.0 * eps * eps)
        u = next_double(state)
        if log_alpha >= 0.0 or u < np.exp(log_alpha):  # NaN compares False: rejected
            accepted += 1
            energy[c] = energy_y[c]
            for i in range(c * d, (c + 1) * d):
                x[i] = y[i]
                grad[i] = grad_y[i]
    return accepted


class _MALA:
    """Persistent MALA chains ``x`` (n_chains, ...) for an energy given as ``fn(x) -> (E, grad)``."""

    def __init__(self, x: np.ndarray, step: float, seed: int, *, zero_mean: bool = False) -> None:
        self.x = np.array(x, dtype=np.float64, order="C")
        self.n_chains = self.x.shape[0]
        self.step = step
        self.zero_mean = zero_mean
        self.state = seed_state(seed)
        self._noise = np.empty(self.x.size)
        self._proposal = np.empty_like(self.x)

    def set_energy(self, fn) -> None:
        self.fn = fn
        energy, grad = fn(self.x)
        self.energy = np.ascontiguousarray(energy, dtype=np.float64)
        self.grad = np.ascontiguousarray(grad, dtype=np.float64)

    def run(self, n_steps: int) -> float:
        """``n_steps`` MALA steps of every chain; returns the acceptance rate."""
        accepted = 0
        flat_x, flat_g, flat_y = self.x.reshape(-1), self.grad.reshape(-1), self._proposal.reshape(-1)
        for _ in range(n_steps):
            _mala_propose(flat_x, flat_g, self.step, self.zero_mean, self.n_chains, self.state, self._noise, flat_y)
            energy_y, grad_y = self.fn(self._proposal)
            accepted += _mala_accept(
                flat_x,
                flat_g,
                self.energy,
                flat_y,
                np.ascontiguousarray(grad_y, dtype=np.float64).reshape(-1),
                np.ascontiguousarray(energy_y, dtype=np.float64),
                self.step,
                self.state,
            )
        if not np.all(np.isfinite(self.energy)):
            raise RuntimeError(
                "MCMC diverged (non-finite energy): the couplings are not positive definite; "
                "reduce lr or start closer to the solution"
            )
        return accepted / (n_steps * self.n_chains)

    def adapt(self, acceptance: float) -> None:
        self.step *= float(np.exp(_ADAPT_GAIN * (acceptance - _TARGET_ACCEPTANCE)))


def _initial_step(max_eigenvalue: float, dim: int) -> float:
    """MALA step for a Gaussian of largest precision eigenvalue lambda in ``dim`` dimensions:
    eps = 1.2 dim^(-1/6) lambda^(-1/2), near the optimal scaling (Roberts & Rosenthal 1998)."""
    return 1.2 * dim ** (-1.0 / 6.0) / np.sqrt(max(max_eigenvalue, 1e-12))


# --------------------------------------------------------------------------------------------
# sampling the conditional


@dataclass(frozen=True, eq=False)
class ConditionalSamples:
    """MALA samples of :math:`\\bar\\psi_j|\\varphi_j`: ``samples`` (n_samples, batch, 3, n, n) taken every
    ``thin`` steps after ``burn_in`` steps; ``acceptance`` the rate after burn-in; ``step_size`` the
    (fixed after burn-in) MALA step."""

    samples: np.ndarray
    acceptance: float
    step_size: float


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
        Initial details (default zeros).
    step : float, optional
        Initial MALA step (default from the largest eigenvalue of :math:`\hat{\bar K}`).
    """
    ansatz = _require_quadratic(ansatz)
    phi = _real_array("phi_j", phi_j)
    if phi.ndim != 3:
        raise ValueError(f"phi_j must have shape (batch, n, n), got {phi.shape}")
    x0 = np.zeros((phi.shape[0], 3) + phi.shape[1:]) if init is None else init
    psi, phi = _field_pair(x0, phi, ansatz.radius)
    n_samples = _check_count("n_samples", n_samples, 1)
    burn_in = _check_count("burn_in", burn_in, 0)
    thin = _check_count("thin", thin, 1)
    op = ansatz.operator(theta, phi.shape[-1])
    cross = op.cross_field(phi)
    dim = psi[0].size
    sampler = _MALA(
        psi, _initial_step(op.max_eigenvalue, dim) if step is None else _check_positive("step", step), _check_seed(seed)
    )
    sampler.set_energy(lambda x: op.energy_and_grad(x, phi, cross))
    for start in range(0, burn_in, 10):
        sampler.adapt(sampler.run(min(10, burn_in - start)))
    out = np.empty((n_samples,) + psi.shape)
    acceptance = 0.0
    for i in range(n_samples):
        acceptance += sampler.run(thin)
        out[i] = sampler.x
    return ConditionalSamples(samples=out, acceptance=acceptance / n_samples, step_size=sampler.step)


# --------------------------------------------------------------------------------------------
# exact Gaussian maximum likelihood


@dataclass(frozen=True, eq=False)
class LikelihoodTerms:
    """Per-site negative log-likelihood ``value``, its ``gradient`` and ``hessian`` at ``theta``."""

    theta: np.ndarray
    value: float
    gradient: np.ndarray
    hessian: np.ndarray


class ConditionalGaussianLikelihood:
    r"""The exact negative log-likelihood per sample and coarse site of a quadratic ansatz without
    potential (module docstring), from its sufficient statistics.

    Parameters
    ----------
    ansatz : QuadraticAnsatz
        Without potential.
    phi_j : array_like, shape (S, n, n)
    psibar_j : array_like, shape (S, 3, n, n)
        Data pairs.
    """

    def __init__(self, ansatz: QuadraticAnsatz, phi_j: ArrayLike, psibar_j: ArrayLike) -> None:
        ansatz = _require_quadratic(ansatz)
        if ansatz.potential is not None:
            raise ValueError("the exact Gaussian likelihood needs an ansatz without potential")
        psi, phi = _data_pairs(ansatz, phi_j, psibar_j)
        self.ansatz = ansatz
        self.n_samples = psi.shape[0]
        n = psi.shape[-1]
        self.n_sites = N = n * n
        self.feature_mean = ansatz.features(psi, phi).mean(axis=0) / N
        self.power = (np.abs(np.fft.fft2(phi)) ** 2).mean(axis=0).reshape(-1) / N  # p(xi)
        A, B = [], []
        for a in range(ansatz.n_params):
            unit = np.zeros(ansatz.n_params)
            unit[a] = 1.0
            Khat, Kphat = ansatz.fourier_kernels(unit, n)
            (A if a < ansatz.n_dd else B).append((Khat.reshape(N, 3, 3), Kphat.reshape(N, 3)))
        self._A = np.stack([k for k, _ in A])  # (n_dd, N, 3, 3)
        self._B = np.stack([kp for _, kp in B])  # (n_dc, N, 3)

    def terms(self, theta: ArrayLike) -> LikelihoodTerms | None:
        """Value, gradient and Hessian at ``theta``; None where :math:`\\hat{\\bar K}(\\xi)` is not
        positive definite at some frequency (outside the domain)."""
        theta = self.ansatz.check_theta(theta)
        nd, N, p = self.ansatz.n_dd, self.n_sites, self.power
        Khat = np.tensordot(theta[:nd], self._A, axes=1)
        Kp = np.tensordot(theta[nd:], self._B, axes=1)
        try:
            chol = np.linalg.cholesky(Khat)
        except np.linalg.LinAlgError:
            return None
        logdet = 2.0 * np.log(np.einsum("...ii->...i", chol).real).sum()
        Sigma = np.linalg.inv(Khat)
        m = np.einsum("Mij,Mj->Mi", Sigma, Kp)
        value = (
            theta @ self.feature_mean
            + (0.5 * np.sum(p * np.einsum("Mi,Mi->M", Kp.conj(), m).real) - 0.5 * logdet) / N
            + 1.5 * np.log(2.0 * np.pi)
        )
        Am = np.einsum("aMij,Mj->aMi", self._A, m)
        SA = np.matmul(Sigma[None], self._A)  # (n_dd, N, 3, 3)
        grad = self.feature_mean.copy()
        grad[:nd] -= 0.5 * (np.einsum("Mi,aMi,M->a", m.conj(), Am, p).real + np.einsum("aMii->a", SA).real) / N
        grad[nd:] += np.einsum("bMi,Mi,M->b", self._B.conj(), m, p).real / N
        R = np.concatenate([-Am, self._B])  # (n_params, N, 3)
        SR = np.einsum("Mij,bMj->bMi", Sigma, R)
        hess = ((R.conj() * p[None, :, None]).reshape(len(R), -1) @ SR.reshape(len(R), -1).T).real / N
        trace = (SA.reshape(nd, -1) @ np.swapaxes(SA, -1, -2).reshape(nd, -1).T).real
        hess[:nd, :nd] += 0.5 * trace / N
        return LikelihoodTerms(theta=theta, value=float(value), gradient=grad, hessian=0.5 * (hess + hess.T))

    def initial_theta(self, psibar_variance: np.ndarray) -> np.ndarray:
        """A point of the domain: :math:`\\bar K = \\mathrm{diag}(1/\\mathrm{Var}\\,\\bar\\psi_c)`, no cross couplings."""
        theta = np.zeros(self.ansatz.n_params)
        for a, label in enumerate(self.ansatz.labels[: self.ansatz.n_dd]):
            if label[1] == label[2] and label[3] == (0, 0):
                theta[a] = 1.0 / psibar_variance[label[1]]
        return theta


def _data_pairs(ansatz: QuadraticAnsatz, phi_j: ArrayLike, psibar_j: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    psi, phi = _field_pair(psibar_j, phi_j, ansatz.radius)
    if np.ndim(psibar_j) != 4:
        raise ValueError(f"psibar_j must have shape (S, 3, n, n), got {np.shape(psibar_j)}")
    return psi, phi


@dataclass(frozen=True, eq=False)
class ExactFit:
    """Exact maximum-likelihood fit: ``theta``, its asymptotic ``covariance`` (inverse Fisher over the
    data) and ``stderr``; ``nll`` per sample and site, ``gradient_norm`` at the end, Newton
    ``iterations`` and ``converged``."""

    theta: np.ndarray
    stderr: np.ndarray
    covariance: np.ndarray
    nll: float
    gradient_norm: float
    iterations: int
    converged: bool


def fit_exact_quadratic(
    ansatz: QuadraticAnsatz, phi_j: ArrayLike, psibar_j: ArrayLike, *, max_iterations: int = 100, tol: float = 1e-12
) -> ExactFit:
    r"""Exact maximum likelihood of the Gaussian conditional (ansatz without potential) by Newton's
    method with backtracking (Armijo) line search on the convex negative log-likelihood
    (module docstring); stops when half the squared Newton decrement is below ``tol``.

    Parameters
    ----------
    ansatz : QuadraticAnsatz
    phi_j : array_like, shape (S, n, n)
    psibar_j : array_like, shape (S, 3, n, n)
    max_iterations : int
    tol : float

    Returns
    -------
    ExactFit
    """
    likelihood = ConditionalGaussianLikelihood(ansatz, phi_j, psibar_j)
    max_iterations = _check_count("max_iterations", max_iterations, 1)
    tol = _check_positive("tol", tol)
    psi = np.asarray(psibar_j, dtype=float)
    current = likelihood.terms(likelihood.initial_theta(psi.var(axis=(0, 2, 3))))
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (the count is reported after the loop)
        direction = -np.linalg.solve(current.hessian, current.gradient)
        slope = float(current.gradient @ direction)
        if -0.5 * slope < tol:
            converged = True
            break
        t = 1.0
        while True:
            trial = likelihood.terms(current.theta + t * direction)
            if trial is not None and trial.value <= current.value + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-12:
                raise RuntimeError("line search failed: the Hessian is singular (too few data for the stencil?)")
        current = trial
    covariance = np.linalg.inv(current.hessian) / (likelihood.n_samples * likelihood.n_sites)
    return ExactFit(
        theta=current.theta,
        stderr=np.sqrt(np.diag(covariance)),
        covariance=covariance,
        nll=current.value,
        gradient_norm=float(np.linalg.norm(current.gradient)),
        iterations=iterations,
        converged=converged,
    )


def local_fisher(ansatz: LocalAnsatz, theta: ArrayLike, L: int, *, zero_mean: bool = False) -> np.ndarray:
    r"""Fisher matrix per site of the direct local ansatz at ``theta``:
    :math:`F_{ab} = \frac1{2N}\sum_k\cos(k\cdot\Delta_a)\cos(k\cdot\Delta_b)\,\hat K_\theta(k)^{-2}`
    (the zero mode left out with ``zero_mean``), the Hessian of its negative log-likelihood."""
    if not isinstance(ansatz, LocalAnsatz):
        raise TypeError(f"ansatz must be a LocalAnsatz, got {type(ansatz).__name__}")
    symbol = ansatz.symbol(theta, L)
    k = 2.0 * np.pi * np.fft.fftfreq(L)
    tau = np.stack([np.cos(np.add.outer(k * dy, k * dx)).ravel() for dy, dx in ansatz.shifts])
    S2 = symbol.ravel() ** -2.0
    if zero_mean:
        S2[0] = 0.0
    return 0.5 * (tau * S2) @ tau.T / (L * L)


def fit_exact_direct(
    ansatz: LocalAnsatz, fields: ArrayLike, *, zero_mean: bool = False, max_iterations: int = 100, tol: float = 1e-12
) -> ExactFit:
    r"""Exact maximum likelihood of the direct local ansatz (a stationary Gaussian) by Newton's method:
    per site, :math:`\ell(\theta) = \theta\cdot\bar\Phi - \frac1{2N}\sum_k\ln\hat K_\theta(k) + \tfrac12\ln2\pi`,
    :math:`\partial_a\ell = \bar\Phi_a - \frac1{2N}\sum_k\cos(k\cdot\Delta_a)/\hat K_\theta(k)`, Hessian
    :func:`local_fisher` (the zero mode left out with ``zero_mean``). The reference point of
    :func:`fit_direct`. Parameters as in :func:`fit_exact_quadratic`; ``fields`` of shape (S, L, L)."""
    if not isinstance(ansatz, LocalAnsatz):
        raise TypeError(f"ansatz must be a LocalAnsatz, got {type(ansatz).__name__}")
    x = ansatz.check_fields(fields)
    max_iterations = _check_count("max_iterations", max_iterations, 1)
    tol = _check_positive("tol", tol)
    S, L = x.shape[0], x.shape[-1]
    N = L * L
    k = 2.0 * np.pi * np.fft.fftfreq(L)
    tau = np.stack([np.cos(np.add.outer(k * dy, k * dx)).ravel() for dy, dx in ansatz.shifts])
    modes = slice(1, None) if zero_mean else slice(None)
    tau = tau[:, modes]
    feature_mean = ansatz.features(x).mean(axis=0) / N

    def terms(theta):
        symbol = theta @ tau
        if np.any(symbol <= 0):
            return None
        value = theta @ feature_mean - 0.5 * np.log(symbol).sum() / N + 0.5 * np.log(2.0 * np.pi)
        grad = feature_mean - 0.5 * tau @ (1.0 / symbol) / N
        return theta, value, grad, 0.5 * (tau / symbol**2) @ tau.T / N

    theta0 = np.zeros(ansatz.n_params)
    theta0[ansatz.shifts.index((0, 0))] = 1.0 / x.var()
    theta, value, grad, hess = terms(theta0)
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (the count is reported after the loop)
        direction = -np.linalg.solve(hess, grad)
        slope = float(grad @ direction)
        if -0.5 * slope < tol:
            converged = True
            break
        t = 1.0
        while True:
            trial = terms(theta + t * direction)
            if trial is not None and trial[1] <= value + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-12:
                raise RuntimeError("line search failed: the Hessian is singular")
        theta, value, grad, hess = trial
    covariance = np.linalg.inv(hess) / (S * N)
    return ExactFit(
        theta=theta,
        stderr=np.sqrt(np.diag(covariance)),
        covariance=covariance,
        nll=float(value),
        gradient_norm=float(np.linalg.norm(grad)),
        iterations=iterations,
        converged=converged,
    )


# --------------------------------------------------------------------------------------------
# moment matching


@dataclass(frozen=True, eq=False)
class FitResult:
    """Moment-matching fit.

    Attributes
    ----------
    theta : ndarray
        Last iterate.
    theta_average : ndarray
        Average of the iterates over the second half of the run (Polyak averaging: the
        Monte Carlo noise of the last iterate averaged out).
    theta_history : ndarray, shape (iterations + 1, n_params)
        Iterates, the initial point first.
    gradient_norm : float
        Euclidean norm of the last (Monte Carlo) gradient per site.
    gradient_history : ndarray, shape (iterations,)
    acceptance : float
        MALA acceptance over the run; ``step_size`` the final MALA step.
    error_history : ndarray or None
        :math:`|\\theta_t - \\theta_{\\rm target}| / |\\theta_{\\rm target}|` per iterate (with ``target``).
    iterations : int
        Gradient steps done.
    iterations_to_target : int or None
        First iteration with relative error <= ``tol`` (None if not reached or no target).
    converged : bool
        Whether that happened (the run stops there).
    """

    theta: np.ndarray
    theta_average: np.ndarray
    theta_history: np.ndarray
    gradient_norm: float
    gradient_history: np.ndarray
    acceptance: float
    step_size: float
    error_history: np.ndarray | None
    iterations: int
    iterations_to_target: int | None
    converged: bool


def _check_target(target: ArrayLike | None, tol: float | None, n_params: int) -> tuple[np.ndarray | None, float | None]:
    if target is None:
        if tol is not None:
            raise ValueError("tol needs a target: the relative accuracy is measured against target")
        return None, None
    target = _real_array("target", target)
    if target.shape != (n_params,):
        raise ValueError(f"target must have shape ({n_params},), got {target.shape}")
    if not np.any(target):
        raise ValueError("target must not be all zeros (the accuracy is relative to its norm)")
    return target, (None if tol is None else _check_positive("tol", tol))


def _descend(
    theta, make_energy, features, x0, data_mean, *, steps, lr, mcmc_steps, seed, target, tol, zero_mean=False
) -> FitResult:
    """Gradient descent with persistent MALA chains (module docstring)."""
    steps = _check_count("steps", steps, 1)
    lr = _check_positive("lr", lr)
    mcmc_steps = _check_count("mcmc_steps", mcmc_steps, 1)
    fn, max_eigenvalue = make_energy(theta)
    sampler = _MALA(x0, _initial_step(max_eigenvalue, x0[0].size), seed, zero_mean=zero_mean)
    sampler.set_energy(fn)
    history, grads, accept = [theta.copy()], [], []
    errors = None if target is None else [np.linalg.norm(theta - target) / np.linalg.norm(target)]
    reached = None
    for it in range(1, steps + 1):
        acceptance = sampler.run(mcmc_steps)
        sampler.adapt(acceptance)
        accept.append(acceptance)
        grad = data_mean - features(sampler.x).mean(axis=0)
        theta = theta - lr * grad
        history.append(theta.copy())
        grads.append(float(np.linalg.norm(grad)))
        if errors is not None:
            errors.append(np.linalg.norm(theta - target) / np.linalg.norm(target))
            if tol is not None and errors[-1] <= tol:
                reached = it
                break
        if it < steps:
            sampler.set_energy(make_energy(theta)[0])
    history = np.array(history)
    return FitResult(
        theta=theta,
        theta_average=history[(len(history) + 1) // 2 :].mean(axis=0),
        theta_history=history,
        gradient_norm=grads[-1],
        gradient_history=np.array(grads),
        acceptance=float(np.mean(accept)),
        step_size=sampler.step,
        error_history=None if errors is None else np.array(errors),
        iterations=len(grads),
        iterations_to_target=reached,
        converged=reached is not None,
    )


def _chain_indices(n_chains: int | None, n_data: int, rng: np.random.Generator) -> np.ndarray:
    if n_chains is None:
        return np.arange(n_data)
    n_chains = _check_count("n_chains", n_chains, 1)
    if n_chains > n_data:
        raise ValueError(f"n_chains must be <= the number of data samples ({n_data}), got {n_chains}")
    return np.sort(rng.choice(n_data, size=n_chains, replace=False))


def fit_moment_matching(
    ansatz: QuadraticAnsatz,
    phi_j: ArrayLike,
    psibar_j: ArrayLike,
    *,
    steps: int,
    lr: float,
    seed: int,
    sampler: str = "mala",
    n_chains: int | None = None,
    mcmc_steps: int = 10,
    theta0: ArrayLike | None = None,
    target: ArrayLike | None = None,
    tol: float | None = None,
) -> FitResult:
    r"""Maximum likelihood of :math:`p_\theta(\bar\psi_j|\varphi_j)` by moment matching with persistent
    MALA chains on the details, the coarse fields clamped to the data (module docstring).

    Parameters
    ----------
    ansatz : QuadraticAnsatz
        With or without potential.
    phi_j : array_like, shape (S, n, n)
    psibar_j : array_like, shape (S, 3, n, n)
        Data pairs.
    steps : int
        Maximum number of gradient steps.
    lr : float
        Learning rate :math:`\eta` of plain gradient descent on the per-site negative log-likelihood
        (stable for :math:`\eta < 2/\lambda_{\max}` of its Hessian,
        :meth:`ConditionalGaussianLikelihood.terms`).
    seed : int
        Seeds the choice of the chains' data pairs and the MALA generator.
    sampler : {"mala"}
    n_chains : int, optional
        Number of chains = of data pairs used (a seeded random subset); default all S.
    mcmc_steps : int
        MALA steps per chain and iteration.
    theta0 : array_like, optional
        Initial parameters (default: :math:`\bar K = \mathrm{diag}(1/\mathrm{Var}\bar\psi_c)`, all else 0).
    target, tol : optional
        Reference parameters and a relative accuracy :math:`|\theta - \theta^*|/|\theta^*| \le` ``tol``
        at which to stop; the errors are recorded whenever ``target`` is given.

    Returns
    -------
    FitResult
    """
    ansatz = _require_quadratic(ansatz)
    if sampler != "mala":
        raise ValueError(f"sampler must be 'mala', got {sampler!r}")
    psi, phi = _data_pairs(ansatz, phi_j, psibar_j)
    seed = _check_seed(seed)
    idx = _chain_indices(n_chains, psi.shape[0], np.random.default_rng(seed))
    psi, phi = psi[idx], phi[idx]
    n = psi.shape[-1]
    N = n * n
    target, tol = _check_target(target, tol, ansatz.n_params)
    if theta0 is None:
        theta = np.zeros(ansatz.n_params)
        variance = psi.var(axis=(0, 2, 3))
        for a, label in enumerate(ansatz.labels[: ansatz.n_dd]):
            if label[1] == label[2] and label[3] == (0, 0):
                theta[a] = 1.0 / variance[label[1]]
    else:
        theta = ansatz.check_theta(theta0).copy()

    def make_energy(th):
        op = ansatz.operator(th, n)
        cross = op.cross_field(phi)
        return (lambda x: op.energy_and_grad(x, phi, cross)), op.max_eigenvalue

    data_mean = ansatz.features(psi, phi).mean(axis=0) / N
    return _descend(
        theta,
        make_energy,
        lambda x: ansatz.features(x, phi) / N,
        psi,
        data_mean,
        steps=steps,
        lr=lr,
        mcmc_steps=mcmc_steps,
        seed=seed,
        target=target,
        tol=tol,
    )


def fit_direct(
    ansatz: LocalAnsatz,
    fields: ArrayLike,
    *,
    steps: int,
    lr: float,
    seed: int,
    n_chains: int | None = None,
    mcmc_steps: int = 10,
    theta0: ArrayLike | None = None,
    target: ArrayLike | None = None,
    tol: float | None = None,
    zero_mean: bool = False,
) -> FitResult:
    r"""Direct maximum likelihood of the local microscopic ansatz :class:`wirg.ansatz.LocalAnsatz` by
    the same moment matching, with persistent MALA chains on the whole field (started at data fields).

    Parameters
    ----------
    ansatz : LocalAnsatz
    fields : array_like, shape (S, L, L)
    steps, lr, seed, n_chains, mcmc_steps, target, tol
        As in :func:`fit_moment_matching` (``lr`` against :func:`local_fisher`).
    theta0 : array_like, optional
        Default :math:`\theta_0 = 1/\mathrm{Var}\,\varphi`, all else 0.
    zero_mean : bool
        Sample in the subspace of zero spatial mean (for massless data of zero mean, whose zero mode
        has no restoring force); requires data of zero mean.

    Returns
    -------
    FitResult
    """
    if not isinstance(ansatz, LocalAnsatz):
        raise TypeError(f"ansatz must be a LocalAnsatz, got {type(ansatz).__name__}")
    x = ansatz.check_fields(fields)
    if x.ndim != 3 or np.ndim(fields) != 3:
        raise ValueError(f"fields must have shape (S, L, L), got {np.shape(fields)}")
    if not isinstance(zero_mean, bool):
        raise TypeError(f"zero_mean must be a bool, got {zero_mean!r}")
    seed = _check_seed(seed)
    x = x[_chain_indices(n_chains, x.shape[0], np.random.default_rng(seed))]
    if zero_mean and np.abs(x.mean(axis=(1, 2))).max() > 1e-9 * max(1.0, np.abs(x).max()):
        raise ValueError("zero_mean=True needs fields of zero spatial mean")
    L = x.shape[-1]
    target, tol = _check_target(target, tol, ansatz.n_params)
    if theta0 is None:
        theta = np.zeros(ansatz.n_params)
        theta[ansatz.shifts.index((0, 0))] = 1.0 / x.var()
    else:
        theta = ansatz.check_theta(theta0).copy()

    def make_energy(th):
        op = ansatz.operator(th, L)
        return op.energy_and_grad, op.max_eigenvalue

    data_mean = ansatz.features(x).mean(axis=0) / (L * L)
    return _descend(
        theta,
        make_energy,
        lambda y: ansatz.features(y) / (L * L),
        x,
        data_mean,
        steps=steps,
        lr=lr,
        mcmc_steps=mcmc_steps,
        seed=seed,
        target=target,
        tol=tol,
        zero_mean=zero_mean,
    )
