r"""Finite-size ERM on the data models of the Gaussian covariate model: simulations to check the replica theory.

The models of :mod:`statlearn.models.covariates` are drawn at finite size and the estimators of
:func:`statlearn.experiments.erm.train` are fitted on them:

* :class:`~statlearn.models.covariates.BlockCovariates`: inputs :math:`x\sim N(0,\Sigma)` in
  :math:`\mathbb R^d` with :math:`\Sigma` diagonal, block :math:`b` of :math:`d_b` coordinates of
  variance :math:`s_b` (:math:`d_b` = ``round(fraction_b * d)`` by largest remainders, at least 1,
  summing to :math:`d`); teacher :math:`\theta_i\sim N(0, t_b)` on block :math:`b`; the student
  sees the inputs, :math:`v = x` (``p = d``).
* :class:`~statlearn.models.covariates.RandomFeatures`: :math:`x\sim N(0, I_D)`,
  :math:`\theta\sim N(0, I_D)`, :math:`F\in\mathbb R^{P\times D}` with :math:`N(0,1)` entries,
  ``P = max(1, round(gamma * D))``, and features :math:`v = \sigma(Fx/\sqrt D)` with the real
  activation (not its Gaussian equivalent).

In both the teacher's local field is :math:`z = \theta\cdot x/\sqrt d` and labels are drawn from a
channel :math:`y\sim P_{out}(\cdot|z)`; the student's pre-activation is
:math:`\lambda = w\cdot v/\sqrt p` (the convention of :func:`~statlearn.experiments.erm.train`).
With ``n = round(alpha * d)`` training samples the fit minimises
:math:`\sum_\mu\ell(y_\mu,\lambda_\mu) + \lambda_{reg}|w|^2/2`.

The test error is measured on fresh samples against the **clean** teacher (no label noise):

* regression (teacher with continuous labels): :math:`\mathbb E(z - \lambda)^2`;
* classification (teacher with labels :math:`\pm1`): :math:`P(\operatorname{sign}\lambda \ne \operatorname{sign} z)`.

The overlaps :math:`q = \mathbb E\lambda^2`, :math:`m = \mathbb E\lambda z`, :math:`\rho = \mathbb E z^2`
are estimated on the same test set.

Seeding: run ``s`` of :func:`simulate` (``s = 0, 1, ...``) draws everything from its own generator
``numpy.random.default_rng([seed, s])``, in a fixed order: the instance (teacher, then ``F`` for
random features), the training inputs, the labels, the test inputs (in chunks of
:data:`TEST_CHUNK` rows). A run is reproducible bit for bit and does not depend on how many
runs are made.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import singledispatch

import numpy as np

from statlearn.experiments.erm import train
from statlearn.models.activations import get_activation_function
from statlearn.models.channels import Channel, get_channel
from statlearn.models.covariates import BlockCovariates, CovariateModel, RandomFeatures
from statlearn.models.data import MAX_ENTRIES
from statlearn.models.losses import Loss, get_loss
from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, as_real_scalar

__all__ = ["Instance", "ERMSimulation", "realise", "simulate", "TEST_CHUNK"]

TEST_CHUNK = 2000
"""Rows of test data drawn at a time by :func:`simulate` (bounds the memory of the test set)."""


@dataclass(frozen=True, eq=False)
class Instance:
    r"""A finite instance of a covariate model (arrays read-only).

    Attributes
    ----------
    d : input dimension (the teacher's), ``D`` for random features.
    p : number of student features.
    theta : (d,) teacher weights; the local field is :math:`z = \theta\cdot x/\sqrt d`.
    scale : (d,) standard deviation of each input coordinate (:math:`\sqrt{s_b}` on block b; ones
        for random features).
    features : (p, d) matrix ``F`` of the random features, ``None`` when the student sees the inputs.
    activation : the activation :math:`\sigma` of the random features, ``None`` when the student
        sees the inputs.
    """

    d: int
    p: int
    theta: np.ndarray
    scale: np.ndarray
    features: np.ndarray | None = None
    activation: Callable[[np.ndarray], np.ndarray] | None = None

    def sample(self, n: int, rng: np.random.Generator | int) -> tuple[np.ndarray, np.ndarray]:
        r"""Draw ``n`` inputs :math:`x\sim N(0,\operatorname{diag}(\text{scale}^2))` (one call of
        ``rng.standard_normal((n, d))``, float64).

        Returns
        -------
        V : (n, p) student features, ``x`` itself or :math:`\sigma(xF^\top/\sqrt d)`.
        z : (n,) teacher local fields :math:`x\theta/\sqrt d`.
        """
        n = as_count("n", n, minimum=1)
        x = as_generator(rng, "rng").standard_normal((n, self.d))
        x *= self.scale
        z = x @ self.theta / math.sqrt(self.d)
        if self.features is None:
            return x, z
        h = x @ self.features.T
        h /= math.sqrt(self.d)
        return np.asarray(self.activation(h), dtype=float), z


@singledispatch
def realise(model: CovariateModel, d: int, *, gamma: float | None = None, rng: np.random.Generator | int) -> Instance:
    """Draw a finite :class:`Instance` of ``model`` with input dimension ``d`` (module docstring).

    Parameters
    ----------
    model
        A :class:`~statlearn.models.covariates.BlockCovariates` or
        :class:`~statlearn.models.covariates.RandomFeatures`.
    d
        Input dimension, ``>= 1`` (at least the number of blocks).
    gamma
        ``P/D`` for random features (required, ``> 0``); refused for block models.
    rng
        Generator or integer seed (keyword only, required).
    """
    raise TypeError(f"model must be a BlockCovariates or a RandomFeatures, got {type(model).__name__}")


@realise.register
def _realise_blocks(
    model: BlockCovariates, d: int, *, gamma: float | None = None, rng: np.random.Generator | int
) -> Instance:
    if gamma is not None:
        raise ValueError(f"gamma is not a parameter of the {model.name} model (p = d); got gamma = {gamma!r}")
    d = as_count("d", d, minimum=1)
    sizes = _block_sizes(np.array(model.fractions), d)
    rng = as_generator(rng, "rng")
    scale = np.repeat(np.sqrt(model.variances), sizes)
    theta = rng.standard_normal(d) * np.repeat(np.sqrt(model.teacher), sizes)
    return _frozen(Instance(d, d, theta, scale))


@realise.register
def _realise_random_features(
    model: RandomFeatures, d: int, *, gamma: float | None = None, rng: np.random.Generator | int
) -> Instance:
    if gamma is None:
        raise ValueError("gamma = P/D is required for random features")
    gamma = as_real_scalar("gamma", gamma, minimum=0.0, strict_minimum=True)
    d = as_count("d", d, minimum=1)
    p = max(1, round(gamma * d))
    if p * d > MAX_ENTRIES:
        raise ValueError(
            f"gamma = {gamma!r}, d = {d} needs a feature matrix of {p * d:.3g} entries, above the limit of {MAX_ENTRIES:.0e}"
        )
    rng = as_generator(rng, "rng")
    theta = rng.standard_normal(d)
    F = rng.standard_normal((p, d))
    return _frozen(Instance(d, p, theta, np.ones(d), F, get_activation_function(model.activation)))


def _block_sizes(fractions: np.ndarray, d: int) -> np.ndarray:
    """Sizes ``floor`` or ``ceil`` of ``fractions * d`` (largest remainders), each >= 1, summing to ``d``."""
    if d < fractions.size:
        raise ValueError(f"d = {d} is smaller than the number of blocks ({fractions.size})")
    exact = fractions * d
    sizes = np.floor(exact).astype(int)
    order = np.argsort(-(exact - sizes), kind="stable")
    sizes[order[: d - sizes.sum()]] += 1
    for b in np.flatnonzero(sizes == 0):  # an empty block takes a coordinate from the largest one
        sizes[np.argmax(sizes)] -= 1
        sizes[b] = 1
    return sizes


def _frozen(instance: Instance) -> Instance:
    for arr in (instance.theta, instance.scale, instance.features):
        if arr is not None:
            arr.setflags(write=False)
    return instance


@dataclass(frozen=True, eq=False)
class ERMSimulation:
    r"""Per-run results of :func:`simulate` (read-only arrays, one entry per seed).

    Attributes
    ----------
    generalization_error : against the clean teacher: :math:`\mathbb E(z-\lambda)^2` (regression) or
        :math:`P(\operatorname{sign}\lambda\ne\operatorname{sign}z)` (classification), on the test set.
    training_loss : mean training loss :math:`(1/n)\sum_\mu\ell(y_\mu,\lambda_\mu)`, without the penalty.
    training_error : mean squared residual :math:`(1/n)\sum_\mu(y_\mu-\lambda_\mu)^2` (regression) or
        fraction of training samples with :math:`\operatorname{sign}\lambda_\mu \ne y_\mu` (classification).
    m, q, rho : test-set estimates of :math:`\mathbb E\lambda z`, :math:`\mathbb E\lambda^2`, :math:`\mathbb E z^2`.
    converged, iterations, residual : of each fit (:class:`~statlearn.experiments.erm.ERMFit`: solver
        iterations and KKT residual).
    message : how many fits converged.
    """

    generalization_error: np.ndarray
    training_loss: np.ndarray
    training_error: np.ndarray
    m: np.ndarray
    q: np.ndarray
    rho: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    message: str = ""

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def _field(self, field: str) -> np.ndarray:
        names = [f.name for f in fields(self) if f.name != "message"]
        if field not in names:
            raise ValueError(f"field must be one of {', '.join(names)}; got {field!r}")
        return np.asarray(getattr(self, field), dtype=float)

    def mean(self, field: str) -> float:
        """Average of ``field`` over the seeds (for ``converged``: the fraction of converged fits)."""
        return float(np.mean(self._field(field)))

    def stderr(self, field: str) -> float:
        """Standard error of the mean of ``field`` over the seeds (ddof = 1); NaN for one seed."""
        values = self._field(field)
        if values.size < 2:
            return math.nan
        return float(np.std(values, ddof=1) / math.sqrt(values.size))


def simulate(
    model: CovariateModel,
    teacher: str | Channel,
    loss: str | Loss,
    lam: float,
    *,
    alpha: float,
    d: int,
    gamma: float | None = None,
    seeds: int = 1,
    n_test: int = 10_000,
    seed: int,
    tol: float = 1e-8,
) -> ERMSimulation:
    """Fit ERM on ``seeds`` independent finite instances of ``model`` and measure it (module docstring).

    Parameters
    ----------
    model
        A :class:`~statlearn.models.covariates.BlockCovariates` or
        :class:`~statlearn.models.covariates.RandomFeatures`.
    teacher
        Label channel (a :class:`~statlearn.models.channels.Channel`, or the name of a channel
        without parameters such as ``"sign"``). Discrete labels make it a classification problem.
    loss, lam
        Loss (``"square"``, ``"logistic"``, ``"hinge"`` or a Loss) and ridge penalty, as in
        :func:`~statlearn.experiments.erm.train`. The logistic and hinge losses need a teacher with
        labels +-1.
    alpha
        Training samples per input dimension, ``> 0``; ``n = round(alpha * d) >= 1``.
    d
        Input dimension (``D`` for random features), ``>= 1``.
    gamma
        ``P/D``, required for random features and refused for block models.
    seeds
        Number of independent runs, ``>= 1``.
    n_test
        Test samples per run, ``>= 1``.
    seed
        Non-negative integer; run ``s`` uses ``numpy.random.default_rng([seed, s])`` (keyword only,
        required).
    tol
        KKT tolerance of the iterative solvers (:func:`~statlearn.experiments.erm.train`).

    Returns
    -------
    ERMSimulation
        One entry per run of each measured quantity.

    Raises
    ------
    ValueError
        Invalid parameters (the message names them), a discrete-label loss with a continuous
        teacher. ``TypeError`` for non-integer counts or an unknown model type.
    """
    try:
        channel = get_channel(teacher)
    except (TypeError, ValueError) as error:
        raise type(error)(f"teacher: {error}") from None
    loss = get_loss(loss)
    lam = as_real_scalar("lam", lam, minimum=0.0)
    alpha = as_real_scalar("alpha", alpha, minimum=0.0, strict_minimum=True)
    d = as_count("d", d, minimum=1)
    seeds = as_count("seeds", seeds, minimum=1)
    n_test = as_count("n_test", n_test, minimum=1)
    seed = as_count("seed", seed, minimum=0)
    n = round(alpha * d)
    if n < 1:
        raise ValueError(f"alpha * d must round to at least one sample, got alpha = {alpha!r}, d = {d}")
    if n * d > MAX_ENTRIES:
        raise ValueError(
            f"alpha = {alpha!r}, d = {d} needs {n * d:.3g} training inputs, above the limit of {MAX_ENTRIES:.0e}"
        )
    if loss.discrete_labels and not channel.discrete_labels:
        raise ValueError(
            f"the {loss.name} loss needs labels +-1, but the teacher {channel.name!r} gives continuous labels"
        )

    tol = as_real_scalar("tol", tol, minimum=0.0, strict_minimum=True)
    runs = [
        _run(model, channel, loss, lam, n, d, gamma, n_test, tol, np.random.default_rng([seed, s]))
        for s in range(seeds)
    ]
    columns = {}
    dtypes = {"converged": bool, "iterations": int}
    for k, f in enumerate(fields(ERMSimulation)[:-1]):  # every field but the message
        columns[f.name] = np.array([run[k] for run in runs], dtype=dtypes.get(f.name, float))
    done = int(np.sum(columns["converged"]))
    message = f"{done} of {seeds} fits converged" + ("" if done == seeds else f" (tol {tol:g})")
    return ERMSimulation(**columns, message=message)


def _run(
    model: CovariateModel,
    channel: Channel,
    loss: Loss,
    lam: float,
    n: int,
    d: int,
    gamma: float | None,
    n_test: int,
    tol: float,
    rng: np.random.Generator,
) -> tuple[float, ...]:
    """One run: (generalization_error, training_loss, training_error, m, q, rho, converged, iterations, residual)."""
    instance = realise(model, d, gamma=gamma, rng=rng)
    root_p = math.sqrt(instance.p)
    V, z = instance.sample(n, rng)
    y = np.asarray(channel.sample(z, rng), dtype=float)
    fit = train(V, y, loss, lam, tol=tol)
    fitted = V @ fit.w / root_p
    classify = channel.discrete_labels
    training_error = np.mean(np.sign(fitted) != y) if classify else np.mean((y - fitted) ** 2)
    del V  # free the training features before the test set
    error = overlap = self_overlap = teacher_norm = 0.0
    for start in range(0, n_test, TEST_CHUNK):
        V, z = instance.sample(min(TEST_CHUNK, n_test - start), rng)
        predicted = V @ fit.w / root_p
        error += np.sum(np.sign(predicted) != np.sign(z)) if classify else np.sum((z - predicted) ** 2)
        overlap += predicted @ z
        self_overlap += predicted @ predicted
        teacher_norm += z @ z
    return (
        error / n_test,
        fit.training_loss,
        float(training_error),
        overlap / n_test,
        self_overlap / n_test,
        teacher_norm / n_test,
        fit.converged,
        fit.iterations,
        fit.residual,
    )
