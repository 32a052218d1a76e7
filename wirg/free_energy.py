r"""The free energy of one scale of the wavelet conditional renormalisation group, regressed onto a field ansatz.

At scale :math:`j` the fitted conditional energy :math:`\bar E_j(\bar\psi|\varphi_j) = \theta\cdot\Phi`
(a :class:`wirg.ansatz.QuadraticAnsatz`) defines the free energy

.. math:: \bar F_j(\varphi_j) = -\ln\int e^{-\bar E_j(\bar\psi|\varphi_j)}\,d\bar\psi ,

which enters the energy of the next coarser scale, :math:`E_j = E_{j-1} - \bar E_j + \bar F_j` (Marchand,
Ozawa, Biroli & Mallat, PRX 13, 041038 (2023); Guth, Lempereur, Bruna & Mallat, ICML 2023, appendix D.1;
the theory page ``docs/theory/wirg.md``). It is represented by a :class:`wirg.ansatz.FieldAnsatz` in
:math:`\varphi_j`, :math:`\bar F_j \approx \tilde\theta\cdot\tilde\Phi(\varphi_j) + \text{const}` (stationary
quadratic couplings plus a scalar potential), estimated from conditional MALA averages on a set of coarse
fields :math:`\varphi_j^{(s)}`, :math:`s = 1..S`, in two independent ways:

**Score identity** (:func:`free_energy_score`). Differentiating under the integral,

.. math:: \nabla_{\varphi_j}\bar F_j = \mathbb E\big[\nabla_{\varphi_j}\bar E_j\,\big|\,\varphi_j\big],

so the conditional means :math:`g^{(s)} = \langle\nabla_{\varphi_j}\bar E_j\rangle_{\varphi^{(s)}}` (from
:meth:`wirg.ansatz.QuadraticAnsatz.grad_phi` on the MALA samples) are regressed on the feature gradients
:math:`D^{(s)}_a = \nabla_{\varphi_j}\tilde\Phi_a(\varphi^{(s)})` by least squares over all sites of all
fields:

.. math:: \tilde\theta = \Big(\sum_s D^{(s)}D^{(s)\top}\Big)^{-1}\sum_s D^{(s)}\cdot g^{(s)} .

**Thermodynamic integration** (:func:`free_energy_integration`). Along
:math:`\theta_t = \theta_0 + t(\theta - \theta_0)`, :math:`\partial_t\bar F_{\theta_t} =
\mathbb E_{\theta_t}[(\theta - \theta_0)\cdot\Phi\,|\,\varphi_j]`, so

.. math:: \bar F_\theta(\varphi_j) = \bar F_{\theta_0}(\varphi_j)
    + \int_0^1 \mathbb E_{\theta_t}\big[(\theta - \theta_0)\cdot\Phi\,\big|\,\varphi_j\big]\,dt ,

with Gauss-Legendre nodes in :math:`t` and a Gaussian reference :math:`\theta_0` (quadratic couplings only),
whose free energy is exact: with the Fourier kernels :math:`\hat{\bar K}_0(\xi)`, :math:`\hat{\bar K}'_0(\xi)`
of :meth:`~wirg.ansatz.QuadraticAnsatz.fourier_kernels`,

.. math:: \bar F_{\theta_0}(\varphi_j) = -\frac1{2N_j}\sum_\xi \hat{\bar K}_0'(\xi)^*\hat{\bar K}_0(\xi)^{-1}
    \hat{\bar K}_0'(\xi)\,|\hat\varphi_j(\xi)|^2 + \frac12\sum_\xi\ln\det\frac{\hat{\bar K}_0(\xi)}{2\pi}

(the closed form of :mod:`wirg.gaussian`). The values :math:`\bar F_\theta(\varphi^{(s)})` are regressed on
:math:`(1, \tilde\Phi(\varphi^{(s)}))` by least squares (this needs more coarse fields than parameters).

**Errors.** Every coarse field is sampled by ``n_chains`` independent MALA chains (replicas), each started
from ``init`` (zero details by default; :meth:`wirg.model.WIRGModel.fit_free_energies` starts them from the
data's own details, a sample of the data's conditional law) with its own burn-in (from the step of
:func:`wirg.mala.conditional_step` there, which bounds the potential's curvature as well as the couplings). The
start matters: on lattice phi^4 at the critical point (L = 64, 32 coarse fields of 1000, two datasets), chains
started from zero details still remembered them after 200 burn-in steps: the reassembled on-site coupling came
out 0.011-0.013 higher and the nearest-neighbour one 0.005-0.007 weaker than from the data's details, a bias of
the size of the whole disagreement with the true energy; from the data's details 200 and 2000 burn-in steps
agree within 0.003 (``docs/wirg.md``). Each replica gives its own regression :math:`\tilde\theta_r`, and the
estimate is their mean with the covariance :math:`\mathrm{Cov}_r(\tilde\theta_r)/R` (independent replicas,
so time correlations within a chain need no model). Both estimators are exact for a Gaussian conditional up
to Monte Carlo error and to the truncation of the field ansatz: the regression returns the least-squares
projection of the exact :math:`\bar F_j` onto the ansatz on the given coarse fields.

**Exact** (:func:`free_energy_exact`). Without potential the free energy above is a stationary quadratic
form; its kernel truncated to the field ansatz's couplings needs no sampling.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import as_generator
from wirg.ansatz import FieldAnsatz, QuadraticAnsatz
from wirg.checks import check_instance, check_memory, check_side, count, finite_result, real_array, seed_value
from wirg.mala import conditional_step, sample_conditional

__all__ = ["FreeEnergyFit", "free_energy_exact", "free_energy_integration", "free_energy_score", "gaussian_free_energy"]

#: MALA acceptance outside this range means the step did not adapt during burn-in (the fit warns).
_ACCEPTANCE_RANGE = (0.15, 0.95)
#: Largest condition number of the (diagonally normalised) normal equations of the regression.
_MAX_CONDITION = 1e12
#: Bytes of MALA samples held at once (the averages are accumulated chunk by chunk).
_CHUNK_BYTES = 2**25


@dataclass(frozen=True, eq=False)
class FreeEnergyFit:
    r"""The free energy :math:`\bar F_j(\varphi_j) \approx \tilde\theta\cdot\tilde\Phi(\varphi_j) + \text{const}`
    of one scale (module docstring).

    The result protocol of :mod:`statlearn.numerics.result`: ``converged`` is whether every MALA run kept an
    acceptance in [0.15, 0.95] (its step adapted); ``iterations`` counts the MALA steps of one chain summed
    over the runs; ``residual`` is ``misfit``; ``message`` says what ran.

    Attributes
    ----------
    field_ansatz : FieldAnsatz
        The ansatz :math:`\tilde\Phi` in the coarse field.
    coefficients : ndarray, shape (P,)
        :math:`\tilde\theta`, the mean over replicas.
    errors : ndarray, shape (P,)
        Their standard errors, ``sqrt(diag(covariance))``.
    covariance : ndarray, shape (P, P)
        :math:`\mathrm{Cov}_r(\tilde\theta_r)/R` over the ``R`` replicas.
    replica_coefficients : ndarray, shape (R, P)
        :math:`\tilde\theta_r` of each replica.
    method : {"score", "integration", "exact"}
    misfit : float
        Relative root-mean-square misfit of the regression of the replica-averaged targets (gradients or
        values): the part of :math:`\bar F_j` the ansatz does not represent, plus Monte Carlo noise.
    values, value_errors : ndarray of shape (S,), or None
        With ``"integration"``: :math:`\bar F_j(\varphi^{(s)})` on the coarse fields and their standard errors.
    acceptance : float
        Smallest MALA acceptance rate over the runs (after burn-in); 1 if nothing was sampled (thermodynamic
        integration from a reference equal to ``theta``).
    gradient_evaluations : int
        Energy-and-gradient evaluations of one chain summed over runs, times the chains: the cost.
    """

    field_ansatz: FieldAnsatz
    coefficients: np.ndarray
    errors: np.ndarray
    covariance: np.ndarray
    replica_coefficients: np.ndarray
    method: str
    misfit: float
    values: np.ndarray | None
    value_errors: np.ndarray | None
    acceptance: float
    gradient_evaluations: int
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def value(self, phi_j: ArrayLike) -> np.ndarray:
        r""":math:`\tilde\theta\cdot\tilde\Phi(\varphi_j)` for coarse fields (S, n, n): :math:`\bar F_j` up to a constant."""
        return self.field_ansatz.energy(self.coefficients, phi_j)

    def gradient(self, phi_j: ArrayLike) -> np.ndarray:
        r""":math:`\nabla_{\varphi_j}\bar F_j` of the fit, shape (S, n, n)."""
        return self.field_ansatz.grad(self.coefficients, phi_j)


def gaussian_free_energy(ansatz: QuadraticAnsatz, theta: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
    r"""Exact :math:`\bar F_j(\varphi_j)` of a conditional energy with quadratic couplings only (module docstring).

    Parameters
    ----------
    ansatz : QuadraticAnsatz
    theta : array_like, shape (ansatz.n_params,)
        Potential coefficients must be zero; the detail couplings :math:`\hat{\bar K}(\xi)` positive definite.
    phi_j : array_like, shape (S, n, n)

    Returns
    -------
    ndarray, shape (S,)
    """
    check_instance("ansatz", ansatz, QuadraticAnsatz)
    theta = ansatz.check_theta(theta)
    phi = _coarse_fields(phi_j, ansatz)
    n = phi.shape[-1]
    kernel, constant = _gaussian_kernel(ansatz, theta, n)
    with np.errstate(over="ignore", invalid="ignore"):
        power = np.abs(np.fft.fft2(phi)) ** 2
        value = 0.5 * np.sum(kernel * power, axis=(-2, -1)) / n**2 + constant
    return finite_result("theta and phi_j", value, "the Gaussian free energy")


def free_energy_exact(ansatz: QuadraticAnsatz, theta: ArrayLike, L_j: int, field_ansatz: FieldAnsatz) -> FreeEnergyFit:
    r"""The exact :math:`\bar F_j` of a conditional energy with quadratic couplings only, on the field ansatz.

    :math:`\bar F_j` is the stationary quadratic form of symbol
    :math:`-\hat{\bar K}_j'^*\hat{\bar K}_j^{-1}\hat{\bar K}_j'` (module docstring, :func:`gaussian_free_energy`);
    its kernel is truncated to the couplings of ``field_ansatz``
    (:meth:`wirg.ansatz.LocalAnsatz.from_precision`, the least-squares projection of the symbol), the
    potential coefficients are zero. No sampling: ``errors`` and ``covariance`` are zero, ``method`` is
    ``"exact"`` and ``misfit`` the relative norm of the symbol left out by the truncation.

    Parameters
    ----------
    ansatz, theta
        As for :func:`gaussian_free_energy` (zero potential coefficients, positive definite detail couplings).
    L_j : int
        Side of the coarse lattice (> 2 ``ansatz.radius``).
    field_ansatz : FieldAnsatz
        Its stencil must fit the lattice.

    Returns
    -------
    FreeEnergyFit
    """
    theta = _checked(ansatz, theta, field_ansatz)
    n = count("L_j", L_j, minimum=1)
    check_side("L_j", n, ansatz.radius, ansatz.lattice)
    check_memory(f"the free energy on the {n} x {n} lattice", "L_j", 400.0 * n * n)
    kernel, _ = _gaussian_kernel(ansatz, theta, n)
    try:
        quadratic = field_ansatz.local.from_precision(kernel)
    except ValueError as err:
        raise ValueError(f"field_ansatz: {err}") from None
    misfit = _relative(kernel - field_ansatz.local.symbol(quadratic, n), kernel)
    coefficients = np.zeros(field_ansatz.n_params)
    coefficients[: field_ansatz.n_quadratic] = quadratic
    P = field_ansatz.n_params
    return FreeEnergyFit(
        field_ansatz=field_ansatz,
        coefficients=coefficients,
        errors=np.zeros(P),
        covariance=np.zeros((P, P)),
        replica_coefficients=coefficients[None],
        method="exact",
        misfit=misfit,
        values=None,
        value_errors=None,
        acceptance=1.0,
        gradient_evaluations=0,
        converged=True,
        iterations=0,
        residual=misfit,
        message=f"exact: the Gaussian free energy on the {n} x {n} lattice, truncated to the stencil (misfit {misfit:.3g})",
    )


def free_energy_score(
    ansatz: QuadraticAnsatz,
    theta: ArrayLike,
    phi_j: ArrayLike,
    field_ansatz: FieldAnsatz,
    *,
    seed: int,
    n_chains: int = 4,
    n_samples: int = 100,
    thin: int = 1,
    burn_in: int = 200,
    init: ArrayLike | None = None,
) -> FreeEnergyFit:
    r""":math:`\bar F_j` by the score identity (module docstring).

    Parameters
    ----------
    ansatz, theta
        The fitted conditional energy :math:`\bar E_j`.
    phi_j : array_like, shape (S, n, n)
        Coarse fields (e.g. the data's) on which the conditional averages are taken.
    field_ansatz : FieldAnsatz
        The ansatz of :math:`\bar F_j` in :math:`\varphi_j`; its feature gradients must be linearly
        independent on the coarse fields.
    seed : int
        Seed of the MALA chains (bit-for-bit reproducible).
    n_chains : int >= 2
        Independent replicas per coarse field (the standard errors come from their spread).
    n_samples, thin, burn_in : int
        Per chain: recorded states, MALA steps between two, steps before the first.
    init : array_like, shape (S, 3, n, n), optional
        Details every replica of a coarse field starts from (default zeros), e.g. the data's own details at the
        data's coarse fields: a sample of the data's conditional law, so the burn-in only has to cover the
        model's difference from it (module docstring, **Errors**).

    Returns
    -------
    FreeEnergyFit
    """
    theta = _checked(ansatz, theta, field_ansatz)
    phi = _coarse_fields(phi_j, ansatz)
    runs = _Runs(ansatz, phi, seed=seed, n_chains=n_chains, n_samples=n_samples, thin=thin, burn_in=burn_in, init=init)
    D = field_ansatz.feature_gradients(phi)  # (S, P, n, n)
    with np.errstate(over="ignore", invalid="ignore"):
        normal = np.einsum("spyx,sqyx->pq", D, D)
    normal, scale = _normalised(normal, "feature gradients")
    mean_grad = runs.average(theta, lambda psi, ph: ansatz.grad_phi(theta, psi, ph))  # (R, S, n, n)
    replicas = np.linalg.solve(normal, (np.einsum("spyx,rsyx->rp", D, mean_grad) * scale).T).T * scale
    target = mean_grad.mean(axis=0)
    misfit = _relative(target - np.einsum("p,spyx->syx", replicas.mean(axis=0), D), target)
    return runs.result(field_ansatz, replicas, "score", misfit, None)


def free_energy_integration(
    ansatz: QuadraticAnsatz,
    theta: ArrayLike,
    phi_j: ArrayLike,
    field_ansatz: FieldAnsatz,
    *,
    seed: int,
    reference: ArrayLike | None = None,
    n_nodes: int = 4,
    n_chains: int = 4,
    n_samples: int = 100,
    thin: int = 1,
    burn_in: int = 200,
    init: ArrayLike | None = None,
) -> FreeEnergyFit:
    r""":math:`\bar F_j` by thermodynamic integration from a Gaussian reference (module docstring).

    Parameters
    ----------
    ansatz, theta, field_ansatz, seed, n_chains, n_samples, thin, burn_in, init
        As for :func:`free_energy_score` (every node :math:`t` starts from ``init``); here ``phi_j`` needs more coarse fields than the field ansatz has
        parameters plus one (the regression of the values has an intercept).
    phi_j : array_like, shape (S, n, n)
    reference : array_like, shape (ansatz.n_params,), optional
        :math:`\theta_0`: quadratic couplings only (zero potential coefficients), positive definite. Default:
        the quadratic part of ``theta``, its on-site detail couplings (``("dd", c, c, (0, 0))``) raised, if
        needed, until the smallest eigenvalue of :math:`\hat{\bar K}_0(\xi)` is a tenth of the largest (if
        none is positive: by twice the most negative, or by 1 if all vanish).
    n_nodes : int
        Gauss-Legendre nodes in :math:`t` (exact for integrands polynomial of degree < 2 ``n_nodes``; the
        integrand is linear in :math:`t` for a Gaussian conditional).

    Returns
    -------
    FreeEnergyFit
        With ``values`` and ``value_errors``, :math:`\bar F_j(\varphi^{(s)})` including the constant.
    """
    theta = _checked(ansatz, theta, field_ansatz)
    phi = _coarse_fields(phi_j, ansatz)
    n_nodes = count("n_nodes", n_nodes, minimum=1)
    if n_nodes > 64:
        raise ValueError(f"n_nodes must be <= 64 (Gauss-Legendre in t), got {n_nodes}")
    theta0 = _reference(ansatz, theta, reference, phi.shape[-1])
    if phi.shape[0] < field_ansatz.n_params + 2:
        raise ValueError(
            f"phi_j: the regression of the values needs at least n_params + 2 = {field_ansatz.n_params + 2} "
            f"coarse fields, got {phi.shape[0]}"
        )
    runs = _Runs(ansatz, phi, seed=seed, n_chains=n_chains, n_samples=n_samples, thin=thin, burn_in=burn_in, init=init)
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    delta = theta - theta0
    values = np.broadcast_to(gaussian_free_energy(ansatz, theta0, phi), (runs.n_chains, phi.shape[0])).copy()
    for t, w in zip(0.5 * (nodes + 1.0), 0.5 * weights) if np.any(delta) else ():
        theta_t = theta0 + t * delta
        values += w * runs.average(theta_t, lambda psi, ph: ansatz.features(psi, ph) @ delta)  # (R, S)
    design = np.concatenate([np.ones((phi.shape[0], 1)), field_ansatz.features(phi)], axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        normal = design.T @ design
    normal, scale = _normalised(normal, "features")
    replicas = np.linalg.solve(normal, ((values @ design) * scale).T).T * scale
    target = values.mean(axis=0)
    fitted = design @ replicas.mean(axis=0)
    misfit = _relative(target - fitted, target - target.mean())
    value_errors = values.std(axis=0, ddof=1) / math.sqrt(runs.n_chains)
    return runs.result(field_ansatz, replicas[:, 1:], "integration", misfit, (target, value_errors))


# --------------------------------------------------------------------------------------------


def _coarse_fields(phi_j: ArrayLike, ansatz: QuadraticAnsatz) -> np.ndarray:
    phi = real_array("phi_j", phi_j)
    if phi.ndim != 3 or phi.shape[1] != phi.shape[2] or phi.shape[0] < 1:
        raise ValueError(f"phi_j must have shape (S, n, n) with S >= 1, got {phi.shape}")
    check_side("phi_j", phi.shape[-1], ansatz.radius, ansatz.lattice)
    return phi


def _checked(ansatz: QuadraticAnsatz, theta: ArrayLike, field_ansatz: FieldAnsatz) -> np.ndarray:
    """``theta`` checked against ``ansatz``, after the types of both ansatzes."""
    check_instance("ansatz", ansatz, QuadraticAnsatz)
    theta = ansatz.check_theta(theta)
    check_instance("field_ansatz", field_ansatz, FieldAnsatz)
    return theta


def _relative(residual: np.ndarray, target: np.ndarray) -> float:
    norm = float(np.sqrt(np.sum(target**2)))
    return float(np.sqrt(np.sum(residual**2))) / norm if norm > 0.0 else 0.0


def _normalised(normal: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Normal matrix with unit diagonal and the scaling ``d^{-1/2}``; ValueError if it is singular."""
    diagonal = np.diag(normal)
    if not np.all(np.isfinite(normal)):
        raise ValueError(f"phi_j: the {what} of the field ansatz overflow float64 (values too large)")
    if np.any(diagonal <= 0.0):
        raise ValueError(f"phi_j: a {what[:-1]} of the field ansatz vanishes on these coarse fields")
    scale = 1.0 / np.sqrt(diagonal)
    normalised = normal * np.outer(scale, scale)
    eigenvalues = np.linalg.eigvalsh(normalised)
    if eigenvalues.min() <= eigenvalues.max() / _MAX_CONDITION:
        raise ValueError(
            f"phi_j: the {what} of the field ansatz are linearly dependent on these coarse fields "
            f"(condition number above {_MAX_CONDITION:.0e}); use more coarse fields or fewer parameters"
        )
    return normalised, scale


def _eigenvalues(Khat: np.ndarray, name: str) -> np.ndarray:
    """Eigenvalues of the detail couplings at every frequency; ValueError naming ``name`` if not finite."""
    if not np.all(np.isfinite(Khat)):
        raise ValueError(f"{name}: the detail couplings overflow float64 in Fourier (values too large)")
    eigenvalues = np.linalg.eigvalsh(Khat)
    return finite_result(name, eigenvalues, "the eigenvalues of the detail couplings")


def _gaussian_kernel(ansatz: QuadraticAnsatz, theta: np.ndarray, n: int) -> tuple[np.ndarray, float]:
    """Symbol (n, n) and constant of the exact Gaussian free energy (module docstring); ValueError naming theta."""
    if np.any(theta[ansatz.n_dd + ansatz.n_dc :] != 0.0):
        raise ValueError("theta: the potential coefficients must be zero for the Gaussian free energy")
    Khat, Kphat = ansatz.fourier_kernels(theta, n)
    eigenvalues = _eigenvalues(Khat, "theta")
    if eigenvalues.min() <= 0.0:
        raise ValueError(
            f"theta: the detail couplings are not positive definite (smallest eigenvalue {eigenvalues.min():.3g})"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        schur = np.einsum("...a,...a->...", np.conj(Kphat), np.linalg.solve(Khat, Kphat[..., None])[..., 0]).real
        constant = 0.5 * float(np.sum(np.log(eigenvalues / (2.0 * np.pi))))
    return finite_result("theta", -schur, "the Gaussian free energy kernel"), constant


def _reference(ansatz: QuadraticAnsatz, theta: np.ndarray, reference: ArrayLike | None, n: int) -> np.ndarray:
    n_quad = ansatz.n_dd + ansatz.n_dc
    if reference is not None:
        theta0 = real_array("reference", reference)
        if theta0.shape != theta.shape:
            raise ValueError(f"reference must have shape {theta.shape}, got {theta0.shape}")
        if np.any(theta0[n_quad:] != 0.0):
            raise ValueError("reference: the potential coefficients must be zero (a Gaussian reference)")
        smallest = _eigenvalues(ansatz.fourier_kernels(theta0, n)[0], "reference").min()
        if smallest <= 0.0:
            raise ValueError(f"reference: the detail couplings are not positive definite (eigenvalue {smallest:.3g})")
        return theta0
    theta0 = theta.copy()
    theta0[n_quad:] = 0.0
    eigenvalues = _eigenvalues(ansatz.fourier_kernels(theta0, n)[0], "theta")
    low, high = float(eigenvalues.min()), float(eigenvalues.max())
    if low < 0.1 * high or high <= 0.0:
        if high > 0.0:
            shift = (0.1 * high - low) / 0.9  # then smallest = largest / 10
        else:  # no positive eigenvalue: mirror the spectrum (or 1 if there are no couplings)
            shift = 2.0 * abs(low) if low < 0.0 else 1.0
        for a, label in enumerate(ansatz.labels[: ansatz.n_dd]):
            if label[1] == label[2] and label[3] == (0, 0):
                theta0[a] += shift  # feature 1/2 sum psi_c^2: adds `shift` to every eigenvalue
    return theta0


class _Runs:
    """MALA runs of ``n_chains`` independent replicas of every coarse field, averaging statistics."""

    def __init__(
        self,
        ansatz: QuadraticAnsatz,
        phi: np.ndarray,
        *,
        seed: int,
        n_chains: int,
        n_samples: int,
        thin: int,
        burn_in: int,
        init: ArrayLike | None,
    ) -> None:
        self.n_chains = count("n_chains", n_chains, minimum=2)
        self.n_samples = count("n_samples", n_samples, minimum=1)
        self.thin = count("thin", thin, minimum=1)
        self.burn_in = count("burn_in", burn_in, minimum=0)
        self.rng = as_generator(seed_value(seed))
        self.ansatz = ansatz
        S, n = phi.shape[0], phi.shape[-1]
        per_sample = 8 * self.n_chains * S * 3 * n * n
        check_memory("the MALA chains", "n_chains", 8 * per_sample)
        self.chunk = max(1, min(self.n_samples, _CHUNK_BYTES // per_sample))
        self.phi = np.tile(phi, (self.n_chains, 1, 1))  # replica r of field s at r * S + s
        shape = (S, 3, n, n)
        if init is None:
            self.init = np.zeros((self.n_chains * S,) + shape[1:])
        else:
            start = real_array("init", init)
            if start.shape != shape:
                raise ValueError(f"init must have shape {shape} (details of the coarse fields), got {start.shape}")
            self.init = np.tile(start, (self.n_chains, 1, 1, 1))
        self.S = S
        self.acceptance = 1.0
        self.steps = 0
        self.messages: list[str] = []

    def average(self, theta: np.ndarray, statistic: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        """Mean over the recorded states of ``statistic(psibar, phi)`` (batched), shape (R, S, ...)."""
        total: np.ndarray | float = 0.0
        state, done = None, 0
        try:  # the initial step bounds the potential's curvature too: the quadratic part alone need not be positive
            step = conditional_step(self.ansatz, theta, self.init, self.phi)
        except ValueError as err:
            raise ValueError(f"theta and phi_j: the initial MALA step failed: {err}") from None
        while done < self.n_samples:
            size = min(self.chunk, self.n_samples - done)
            try:
                run = sample_conditional(
                    self.ansatz,
                    theta,
                    self.phi,
                    n_samples=size,
                    seed=int(self.rng.integers(2**63)),
                    burn_in=self.burn_in if state is None else 0,
                    thin=self.thin,
                    init=self.init if state is None else state,
                    step=step,
                )
            except ValueError as err:
                raise ValueError(f"theta and phi_j: the conditional MALA run failed: {err}") from None
            samples = run.samples.reshape((-1,) + run.samples.shape[2:])
            phi = np.broadcast_to(self.phi, (size,) + self.phi.shape).reshape((-1,) + self.phi.shape[1:])
            try:
                values = statistic(samples, phi)
            except ValueError as err:
                raise ValueError(f"theta and phi_j: the conditional averages failed: {err}") from None
            total = total + values.reshape((size, self.phi.shape[0]) + values.shape[1:]).sum(axis=0)
            state, step, done = run.samples[-1], run.step_size, done + size
            self.acceptance = min(self.acceptance, run.acceptance)
            self.steps += run.iterations
        mean = np.asarray(total) / self.n_samples
        return mean.reshape((self.n_chains, self.S) + mean.shape[1:])

    def result(
        self,
        field_ansatz: FieldAnsatz,
        replicas: np.ndarray,
        method: str,
        misfit: float,
        values: tuple[np.ndarray, np.ndarray] | None,
    ) -> FreeEnergyFit:
        covariance = np.atleast_2d(np.cov(replicas, rowvar=False)) / self.n_chains
        low, high = _ACCEPTANCE_RANGE
        converged = self.steps == 0 or low <= self.acceptance <= high
        message = (
            f"{method}: {self.steps} MALA steps per chain, {self.n_chains} replicas of {self.S} coarse fields, "
            f"smallest acceptance {self.acceptance:.3f}, misfit {misfit:.3g}"
        )
        if not converged:
            message = f"not converged: {message} (acceptance outside [{low}, {high}]: the MALA step did not adapt; increase burn_in)"
            warnings.warn(message, ConvergenceWarning, stacklevel=3)
        return FreeEnergyFit(
            field_ansatz=field_ansatz,
            coefficients=replicas.mean(axis=0),
            errors=np.sqrt(np.diag(covariance)),
            covariance=covariance,
            replica_coefficients=replicas,
            method=method,
            misfit=misfit,
            values=None if values is None else values[0],
            value_errors=None if values is None else values[1],
            acceptance=self.acceptance,
            gradient_evaluations=self.steps * self.n_chains * self.S,
            converged=converged,
            iterations=self.steps,
            residual=misfit,
            message=message,
        )
