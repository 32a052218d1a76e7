r"""Maximum likelihood of the conditional ansatz by moment matching: gradient descent with persistent MALA
chains on the details only, and the same for the direct local ansatz on the whole field.

**Moment matching with MCMC** (:func:`fit_moment_matching`, :func:`fit_direct`). Plain gradient
descent :math:`\theta \leftarrow \theta - \eta\,\nabla_\theta\ell` (no preconditioning, so that
the number of iterations reflects the conditioning of the Fisher matrix), the model moments
estimated on persistent chains (persistent contrastive divergence, Tieleman 2008): chain ``i`` is
clamped to the coarse field of data pair ``i`` and started from its details, and runs
``mcmc_steps`` MALA steps at the current :math:`\theta` per iteration. Both moments are averaged over
the same ``n_chains`` data pairs, so the fixed point is the maximum-likelihood estimate on those
pairs. With ``natural=True`` (:func:`fit_moment_matching`) the step is preconditioned by the Fisher matrix
of the exponential family at the data, the feature covariance: :math:`\theta \leftarrow \theta -
\eta\,C^{-1}\nabla_\theta\ell` with :math:`C = \mathrm{Cov}_{\rm data}(\Phi)/N` (per site), a natural-gradient
step whose rate :math:`\eta \le 1` does not depend on the scales of the features (quadratic couplings next
to :math:`t^6` terms and block quartic terms, whose raw gradients differ by orders of magnitude). :func:`fit_direct` does the same for :class:`wirg.ansatz.LocalAnsatz` with MCMC on the
whole microscopic field, and for :class:`wirg.ansatz.FieldAnsatz`, the model of the coarsest field: there
score matching is consistent only if the ansatz contains the field's law (Hyvarinen, JMLR 6, 695 (2005)), and
on a skewed 8 x 8 coarse field it is far from it (``docs/wirg.md``), while at the maximum of the likelihood the
model's mean of every feature, hence with every coupling of the torus the whole two-point function, equals the
data's.

The persistent chains are :class:`wirg.mala.MALAChains`; the exact fits these are compared with are in
:mod:`wirg.likelihood`.

References
----------
T. Tieleman, "Training restricted Boltzmann machines using approximations to the likelihood
gradient", ICML 2008.
T. Marchand, M. Ozawa, G. Biroli & S. Mallat, "Multiscale data-driven energy estimation and
generation", Phys. Rev. X 13, 041038 (2023), section III.B; the theory page ``docs/theory/wirg.md``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import cho_factor, cho_solve
from scipy.special import ndtr

from statlearn.numerics import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays, stop_message
from wirg.ansatz import FieldAnsatz, LocalAnsatz, QuadraticAnsatz
from wirg.checks import (
    channel_variances,
    check_bool,
    check_choice,
    check_instance,
    check_memory,
    check_positive,
    count,
    data_pairs,
    field_variance,
    real_array,
    seed_value,
)
from wirg.mala import MALAChains, initial_step, stiffness_preconditioner

__all__ = ["FitResult", "RelaxationCheck", "fit_direct", "fit_moment_matching"]

RELAXATION_ALPHA = 1e-3
"""Family-wise false-alarm rate of :class:`RelaxationCheck`."""
MIN_ACCEPTANCE = 0.05
"""Below this MALA acceptance the chains of a :class:`RelaxationCheck` hardly move, so it fails."""
POLISH_DAMPING = 0.7
"""Fraction of the Newton step taken by each polishing step (``polish`` of :func:`fit_moment_matching`). Chosen
on the heavy-tailed 1 x 1 top conditional of L = 128 phi^4, where the first damped step still moved the couplings
by 48% of their norm; full steps with the conditional Fisher matrix were not tried there. On the exact Gaussian
case each damped step shrinks the distance to the maximum by 0.35-0.45."""
POLISH_THIN = 10
"""MALA steps between two recorded states of a polishing step's chains."""


@dataclass(frozen=True, eq=False)
class RelaxationCheck:
    r"""Whether the fitted :math:`\theta` holds the maximum-likelihood condition: fresh MALA chains at
    :math:`\theta`, as many per data pair as the fit had, started from the data and run ``steps`` steps (step
    adapted in the first half, fixed in the second), have the data's per-site feature means.

    At the maximum of the likelihood on these pairs the model's mean of every feature equals the data's, so the
    chains' mean differs from it by their Monte Carlo error only: :math:`z_a = (\bar\Phi_a^{\rm chains} -
    \bar\Phi_a^{\rm data}) / (s_a/\sqrt S)`, :math:`s_a` the chains' standard deviation of feature :math:`a` over
    the :math:`S` chains. Two things make the :math:`z_a` smaller, never larger, so the check is conservative:
    chains started from the data stay correlated with it for a while, and :math:`s_a` includes the spread of the
    conditional means over the coarse fields, which are the same for the chains and the data. It fails, at the family-wise rate
    :data:`RELAXATION_ALPHA` (Bonferroni over the features), when the persistent chains of the fit did not sample
    the law of the :math:`\theta` they drove: chains that lag behind a slow or multimodal conditional make moment
    matching converge to a :math:`\theta` whose own equilibrium does not match the data. The gradient norm of the
    fit cannot see this, since it is measured on those same chains.

    Attributes
    ----------
    steps : int
    acceptance : float
        Over the second half.
    z : ndarray, shape (n_params,)
        Per feature (0 for a feature that is constant on the chains and the data).
    max_abs_z : float
    p_value : float
        Bonferroni: :math:`\min(1, 2 n\,\Phi(-\max_a|z_a|))`.
    passed : bool
        ``p_value >= RELAXATION_ALPHA`` and ``acceptance >= MIN_ACCEPTANCE`` (chains that do not move would
        keep the data's means whatever :math:`\theta` is).
    """

    steps: int
    acceptance: float
    z: np.ndarray
    max_abs_z: float
    p_value: float
    passed: bool

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def summary(self) -> dict[str, Any]:
        """The JSON-able part: everything but ``z``, plus the index of the worst feature."""
        return {
            "steps": self.steps,
            "acceptance": self.acceptance,
            "max_abs_z": self.max_abs_z,
            "worst_feature": int(np.argmax(np.abs(self.z))),
            "p_value": self.p_value,
            "passed": self.passed,
        }

    def describe(self) -> str:
        verdict = "holds" if self.passed else "FAILS"
        return (
            f"relaxation check {verdict}: fresh chains at the fit, {self.steps} MALA steps (acceptance "
            f"{self.acceptance:.2f}), max|z| = {self.max_abs_z:.2f} over {self.z.size} feature means "
            f"(p = {self.p_value:.2g})"
        )


@dataclass(frozen=True, eq=False)
class FitResult:
    """Moment-matching fit.

    Attributes
    ----------
    theta : ndarray
        Last iterate.
    theta_average : ndarray
        Average of the iterates over the second half of the run (Polyak averaging: the
        Monte Carlo noise of the last iterate averaged out), then polished if ``polish`` was asked.
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
        Whether that happened (the run stops there). Without ``tol`` there is no stopping criterion:
        the run goes to ``steps`` and ``converged`` is False (no warning).
    residual : float
        The quantity compared with ``tol``: the last relative error to ``target`` when one is given,
        else the Monte Carlo gradient norm ``gradient_norm``.
    message : str
        Why it stopped (target reached, step budget, or MCMC divergence), and the relaxation check's verdict.
    relaxation : RelaxationCheck or None
        Of ``theta_average`` (``check_steps`` > 0 and no divergence), else None.

    ``iterations`` counts gradient steps, each after ``mcmc_steps`` MALA steps of every chain. The
    arrays are read-only.
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
    residual: float
    message: str
    relaxation: RelaxationCheck | None = None

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _check_target(target: ArrayLike | None, tol: float | None, n_params: int) -> tuple[np.ndarray | None, float | None]:
    if target is None:
        if tol is not None:
            raise ValueError("tol needs a target: the relative accuracy is measured against target")
        return None, None
    target = real_array("target", target)
    if target.shape != (n_params,):
        raise ValueError(f"target must have shape ({n_params},), got {target.shape}")
    if not np.any(target):
        raise ValueError("target must not be all zeros (the accuracy is relative to its norm)")
    return target, (None if tol is None else check_positive("tol", tol))


def _descend(
    theta,
    make_energy,
    features,
    x0,
    data_mean,
    *,
    steps,
    lr,
    mcmc_steps,
    seed,
    target,
    tol,
    zero_mean=False,
    precondition=None,
    proposal_variances=None,
    check_steps=0,
    n_sites=1,
    polish=0,
    polish_steps=1000,
) -> FitResult:
    """Gradient descent with persistent MALA chains (module docstring), the gradient mapped by ``precondition``
    if given; ``proposal_variances(theta)``, if given, the chains' MALA preconditioner at each theta (None for
    plain MALA); then ``polish`` Newton steps from the averaged iterate (:func:`_polish`, ``n_sites`` sites per
    chain), and with ``check_steps`` > 0 the :class:`RelaxationCheck` of the result."""
    steps = count("steps", steps, minimum=1)
    lr = check_positive("lr", lr)
    mcmc_steps = count("mcmc_steps", mcmc_steps, minimum=1)
    check_steps = count("check_steps", check_steps, minimum=0)
    polish = count("polish", polish, minimum=0)
    polish_steps = count("polish_steps", polish_steps, minimum=4 * POLISH_THIN)

    def chains_at(th, chain_seed):
        fn, max_eigenvalue = make_energy(th)
        variances = None if proposal_variances is None else proposal_variances(th)
        chains = MALAChains(
            x0, initial_step(max_eigenvalue, x0[0].size), chain_seed, zero_mean=zero_mean, precondition=variances
        )
        chains.step /= float(chains.scale.max())
        chains.set_energy(fn)
        return chains

    sampler = chains_at(theta, seed)
    history, grads, accept = [theta.copy()], [], []
    errors = None if target is None else [np.linalg.norm(theta - target) / np.linalg.norm(target)]
    reached = None
    diverged = False
    for it in range(1, steps + 1):
        acceptance = sampler.run(mcmc_steps)
        if sampler.diverged:
            diverged = True
            break
        sampler.adapt(acceptance)
        accept.append(acceptance)
        grad = data_mean - features(sampler.x).mean(axis=0)
        theta = theta - lr * (grad if precondition is None else precondition(grad))
        history.append(theta.copy())
        grads.append(float(np.linalg.norm(grad)))
        if errors is not None:
            errors.append(np.linalg.norm(theta - target) / np.linalg.norm(target))
            if tol is not None and errors[-1] <= tol:
                reached = it
                break
        if it < steps:
            if not np.all(np.isfinite(theta)):
                diverged = True
                break
            fn, max_eigenvalue = make_energy(theta)
            if not math.isfinite(max_eigenvalue):
                diverged = True
                break
            variances = None if proposal_variances is None else proposal_variances(theta)
            if variances is not None:
                sampler.scale = np.sqrt(variances).reshape(-1)
            sampler.set_energy(fn)
            if sampler.diverged:
                diverged = True
                break
    history = np.array(history)
    theta_average = history[(len(history) + 1) // 2 :].mean(axis=0)
    iterations = len(grads)
    gradient_norm = grads[-1] if grads else math.nan
    residual = float(errors[-1]) if errors is not None else gradient_norm
    if diverged:
        reason = "MCMC diverged (non-finite energy): the couplings left the positive-definite domain; reduce lr"
    elif tol is None:
        reason = "no target/tol given: ran the full step budget"
    else:
        reason = None if reached is not None else "step budget exhausted"
    message = stop_message(reached is not None, iterations, residual, tol, unit="gradient steps", reason=reason)
    if reached is None and (tol is not None or diverged):
        warnings.warn(f"moment matching {message}", ConvergenceWarning, stacklevel=3)
    if polish > 0 and not diverged:
        theta_average, norms = _polish(
            theta_average, chains_at, features, data_mean, n_sites, polish, polish_steps, seed, sampler.step
        )
        message = (
            f"{message}; then {len(norms)} Newton step(s) on equilibrium chains of {polish_steps} MALA steps, relative "
            f"sizes {', '.join(f'{n:.2g}' for n in norms)}"
        )
    relaxation = None
    if check_steps > 0 and not diverged:
        chains = chains_at(theta_average, (seed + 1) % 2**32)
        chains.step = sampler.step  # adapted to the last iterates, near theta_average
        relaxation = _relaxation_check(chains, check_steps, features, data_mean)
        message = f"{message}; {relaxation.describe()}"
        if not relaxation.passed:
            warnings.warn(
                f"moment matching: {relaxation.describe()}: the persistent chains did not sample the law of the "
                "couplings they drove (slow or multimodal conditional), so this theta is not the maximum of the "
                "likelihood; try more chains per pair (MomentSettings.min_chain_sites) or a smaller rate",
                ConvergenceWarning,
                stacklevel=3,
            )
    return FitResult(
        theta=theta,
        theta_average=theta_average,
        theta_history=history,
        gradient_norm=gradient_norm,
        gradient_history=np.array(grads),
        acceptance=float(np.mean(accept)) if accept else math.nan,
        step_size=sampler.step,
        error_history=None if errors is None else np.array(errors),
        iterations=iterations,
        iterations_to_target=reached,
        converged=reached is not None,
        residual=residual,
        message=message,
        relaxation=relaxation,
    )


def _polish(theta, chains_at, features, data_mean, n_sites, n_newton, n_steps, seed, step):
    r"""``n_newton`` damped Newton steps on the likelihood from ``theta``: fresh chains started from the data at
    each theta, ``n_steps`` MALA steps (the first half adapting the step), their per-site features recorded every
    :data:`POLISH_THIN` steps of the second half; the model's feature mean is the average over chains and records,
    the Fisher matrix :math:`N\,\mathbb{E}_{\rm chains}\mathrm{Cov}_{\rm records}(\Phi/N)` (the conditional
    covariance given each chain's coarse field, which is the Hessian of the per-site negative log-likelihood), and
    :math:`\theta \leftarrow \theta - \eta F^{-1}(\bar\Phi_{\rm data} - \bar\Phi_{\rm model})` with
    :math:`\eta` = :data:`POLISH_DAMPING`, solved in the diagonally normalised form. If the chains diverge at a
    stepped theta (non-finite energy), it warns and returns the last theta at which they did not; a non-finite
    step stops it with a warning too. Returns theta and the relative sizes of the steps kept."""
    norms: list[float] = []
    previous = theta
    for k in range(n_newton):
        chains = chains_at(theta, (seed + 2 + k) % 2**32)
        chains.step = step
        records = []
        if not chains.diverged:
            chains.warm_up(n_steps // 2)
            for _ in range((n_steps - n_steps // 2) // POLISH_THIN):
                chains.run(POLISH_THIN)
                records.append(features(chains.x))
        x = np.array(records)  # (records, chains, features)
        if chains.diverged or not np.all(np.isfinite(x)):
            if norms:  # back to the last theta whose chains stayed finite
                theta = previous
                norms.pop()
            _polish_stopped(len(norms), n_newton, "the chains diverged (non-finite energy) at the next couplings")
            break
        centred = x - x.mean(axis=0)
        fisher = n_sites * np.einsum("tsp,tsq->pq", centred, centred) / ((x.shape[0] - 1) * x.shape[1])
        scale = np.sqrt(np.diag(fisher))
        scale = np.where(scale > 0.0, scale, 1.0)
        rhs = (data_mean - x.mean(axis=(0, 1))) / scale
        delta = POLISH_DAMPING * np.linalg.lstsq(fisher / np.outer(scale, scale), rhs, rcond=1e-10)[0] / scale
        if not np.all(np.isfinite(delta)):
            _polish_stopped(len(norms), n_newton, "the next Newton step is not finite")
            break
        previous, theta = theta, theta - delta
        step = chains.step
        norms.append(float(np.linalg.norm(delta) / np.linalg.norm(theta)))
    return theta, norms


def _polish_stopped(done: int, asked: int, reason: str) -> None:
    warnings.warn(
        f"moment matching: polishing stopped after {done} of {asked} Newton steps: {reason}",
        ConvergenceWarning,
        stacklevel=5,
    )


def _relaxation_check(chains: MALAChains, n_steps: int, features, data_mean: np.ndarray) -> RelaxationCheck:
    """Run fresh ``chains`` (started from the data) ``n_steps`` MALA steps, the step adapted every 10 steps in
    the first half, and compare their per-site feature means with ``data_mean`` (:class:`RelaxationCheck`)."""
    n_features = data_mean.size
    if chains.diverged:  # the model gives the data zero density: as far from its maximum as it gets
        return RelaxationCheck(0, math.nan, np.full(n_features, math.inf), math.inf, 0.0, False)
    burn_in = n_steps // 2
    chains.warm_up(burn_in)
    acceptance = chains.run(n_steps - burn_in)
    per_site = features(chains.x)
    diff = per_site.mean(axis=0) - data_mean
    error = per_site.std(axis=0, ddof=1) / math.sqrt(per_site.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(error > 0.0, diff / error, np.where(diff == 0.0, 0.0, np.copysign(np.inf, diff)))
    max_abs_z = float(np.abs(z).max())
    p_value = float(min(1.0, 2.0 * n_features * ndtr(-max_abs_z)))
    passed = p_value >= RELAXATION_ALPHA and acceptance >= MIN_ACCEPTANCE
    return RelaxationCheck(n_steps, acceptance, z, max_abs_z, p_value, passed)


def _natural_preconditioner(per_site: np.ndarray, n_sites: int):
    r"""``g -> C^-1 g`` with :math:`C = N\,\mathrm{Cov}(\Phi/N)` over the data pairs, solved in its diagonally
    normalised form (the features' scales differ by many orders of magnitude); ValueError if it is singular."""
    covariance = n_sites * np.atleast_2d(np.cov(per_site.T))
    scale = np.sqrt(np.diag(covariance))
    singular = ValueError(
        "natural: the data's feature covariance is singular (a feature is constant or a linear combination of "
        f"others on these {per_site.shape[0]} data pairs), so it cannot precondition the step"
    )
    if not np.all(scale > 0.0):
        raise singular
    correlation = covariance / np.outer(scale, scale)
    if not np.linalg.eigvalsh(correlation).min() > 1e-10:
        raise singular
    factor = cho_factor(correlation)
    return lambda grad: cho_solve(factor, grad / scale) / scale


def _chain_indices(n_chains: int | None, n_data: int, rng: np.random.Generator) -> np.ndarray:
    if n_chains is None:
        return np.arange(n_data)
    n_chains = count("n_chains", n_chains, minimum=1)
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
    natural: bool = False,
    check_steps: int = 0,
    chains_per_pair: int = 1,
    polish: int = 0,
    polish_steps: int = 1000,
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
        :meth:`ConditionalGaussianLikelihood.terms`); with ``natural``, the natural-gradient rate (0.1-0.5).
    seed : int
        Seeds the choice of the chains' data pairs and the MALA generator.
    sampler : {"mala"}
    n_chains : int, optional
        Number of data pairs used (a seeded random subset); default all S.
    mcmc_steps : int
        MALA steps per chain and iteration.
    theta0 : array_like, optional
        Initial parameters (default: :math:`\bar K = \mathrm{diag}(1/\mathrm{Var}\bar\psi_c)`, all else 0).
    target, tol : optional
        Reference parameters and a relative accuracy :math:`|\theta - \theta^*|/|\theta^*| \le` ``tol``
        at which to stop; the errors are recorded whenever ``target`` is given.
    natural : bool
        Precondition by the data's feature covariance (module docstring); ValueError if it is singular.
    check_steps : int
        MALA steps of the :class:`RelaxationCheck` of the result (0: none); a failed check warns
        (:class:`statlearn.numerics.ConvergenceWarning`).
    chains_per_pair : int
        Persistent chains clamped to each data pair's coarse field, all started from its details. The fixed
        point is the same; the model term of the gradient averages over ``chains_per_pair`` times more
        chains. On a small coarse lattice one chain per pair gives a gradient too noisy for the natural step:
        on the 1 x 1 top scale of L = 128 phi^4 (1000 pairs, three heavy-tailed details) the fit ran away from
        the maximum in 8 of 9 runs with one chain per pair, in 1 of 6 with 4, and in none of 9 with 16 or 64
        (:class:`RelaxationCheck`).
    polish, polish_steps : int
        Damped Newton steps from the averaged iterate (:func:`_polish`), each on fresh chains of ``polish_steps``
        MALA steps whose time averages give the model's feature means and the conditional Fisher matrix. The
        stochastic descent's averaged iterate matches the data's feature means within the spread of one
        snapshot of the chains, which the :class:`RelaxationCheck` tests, but not within their time averages:
        on the coarse conditionals of L = 128 phi^4 the largest distance of the time-averaged means from the
        data's was 5 to 24 of their own standard errors, and three polishing steps brought it to 3-10, near the
        noise of those errors, halving the variance deficit of the generated fields (``docs/wirg.md``). The
        result's ``theta_average`` is then the polished one; if the chains diverge at a stepped theta, polishing
        stops at the last good one and warns (:class:`statlearn.numerics.ConvergenceWarning`). ``polish_steps``
        >= 40 (at least two records).

    Returns
    -------
    FitResult
    """
    check_instance("ansatz", ansatz, QuadraticAnsatz)
    natural = check_bool("natural", natural)
    check_choice("sampler", sampler, ("mala",))
    psi, phi = data_pairs(phi_j, psibar_j, ansatz.radius, ansatz.lattice)
    seed = seed_value(seed)
    idx = _chain_indices(n_chains, psi.shape[0], np.random.default_rng(seed))
    psi, phi = psi[idx], phi[idx]
    replicas = count("chains_per_pair", chains_per_pair, minimum=1)
    check_memory("fit_moment_matching", "chains_per_pair", 8 * replicas * psi.size)
    psi_chains, phi_chains = np.repeat(psi, replicas, axis=0), np.repeat(phi, replicas, axis=0)
    n = psi.shape[-1]
    N = n * n
    target, tol = _check_target(target, tol, ansatz.n_params)
    if theta0 is None:
        theta = np.zeros(ansatz.n_params)
        variance = channel_variances(psi)
        for a, label in enumerate(ansatz.labels[: ansatz.n_dd]):
            if label[1] == label[2] and label[3] == (0, 0):
                theta[a] = 1.0 / variance[label[1]]
    else:
        theta = ansatz.check_theta(theta0).copy()

    def make_energy(th):
        op = ansatz.operator(th, n)
        cross, stiffness = op.cross_field(phi_chains), op.stiffness(phi_chains)
        return (lambda x: op.energy_and_grad(x, phi_chains, cross, stiffness)), op.max_eigenvalue

    per_site = ansatz.features(psi, phi) / N
    data_mean = per_site.mean(axis=0)
    precondition = _natural_preconditioner(per_site, N) if natural else None
    return _descend(
        theta,
        make_energy,
        lambda x: ansatz.features(x, phi_chains) / N,
        psi_chains,
        data_mean,
        steps=steps,
        lr=lr,
        mcmc_steps=mcmc_steps,
        seed=seed,
        target=target,
        tol=tol,
        precondition=precondition,
        proposal_variances=lambda th: stiffness_preconditioner(ansatz, th, phi_chains),
        check_steps=check_steps,
        n_sites=N,
        polish=polish,
        polish_steps=polish_steps,
    )


def fit_direct(
    ansatz: LocalAnsatz | FieldAnsatz,
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
    natural: bool = False,
    check_steps: int = 0,
) -> FitResult:
    r"""Direct maximum likelihood of a field ansatz, the local microscopic :class:`wirg.ansatz.LocalAnsatz` or
    the coarsest field's :class:`wirg.ansatz.FieldAnsatz` (quadratic couplings plus a potential, its window
    respected: a proposal that leaves it is rejected), by the same moment matching, with persistent MALA
    chains on the whole field (started at data fields).

    Parameters
    ----------
    ansatz : LocalAnsatz or FieldAnsatz
    fields : array_like, shape (S, L, L)
    steps, lr, seed, n_chains, mcmc_steps, target, tol, natural, check_steps
        As in :func:`fit_moment_matching` (``lr`` against :func:`local_fisher`, or the natural-gradient rate).
    theta0 : array_like, optional
        Default :math:`\theta_0 = 1/\mathrm{Var}\,\varphi` on the zero shift, all else 0.
    zero_mean : bool
        Sample in the subspace of zero spatial mean (for massless data of zero mean, whose zero mode
        has no restoring force); requires data of zero mean.

    Returns
    -------
    FitResult
    """
    check_instance("ansatz", ansatz, (LocalAnsatz, FieldAnsatz))
    x = ansatz.check_fields(fields)
    if x.ndim != 3 or np.ndim(fields) != 3:
        raise ValueError(f"fields must have shape (S, L, L), got {np.shape(fields)}")
    zero_mean = check_bool("zero_mean", zero_mean)
    natural = check_bool("natural", natural)
    seed = seed_value(seed)
    x = x[_chain_indices(n_chains, x.shape[0], np.random.default_rng(seed))]
    if zero_mean and np.abs(x.mean(axis=(1, 2))).max() > 1e-9 * max(1.0, np.abs(x).max()):
        raise ValueError("zero_mean=True needs fields of zero spatial mean")
    L = x.shape[-1]
    target, tol = _check_target(target, tol, ansatz.n_params)
    if theta0 is None:
        theta = np.zeros(ansatz.n_params)
        local = ansatz if isinstance(ansatz, LocalAnsatz) else ansatz.local
        theta[local.shifts.index((0, 0))] = 1.0 / field_variance(x, "fields")
    else:
        theta = ansatz.check_theta(theta0).copy()

    def make_energy(th):
        op = ansatz.operator(th, L)
        return op.energy_and_grad, op.max_eigenvalue

    per_site = ansatz.features(x) / (L * L)
    data_mean = per_site.mean(axis=0)
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
        precondition=_natural_preconditioner(per_site, L * L) if natural else None,
        check_steps=check_steps,
    )
