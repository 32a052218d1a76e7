r"""Teacher-student data for Bayes-optimal generalised linear models.

The setting of Barbier, Krzakala, Macris, Miolane & Zdeborová (PNAS 116, 5451 (2019)) and of
GAMP (Rangan 2011): a teacher :math:`w^*\in\mathbb{R}^N` with i.i.d. entries drawn from the prior
:math:`P_w`, ``M = round(alpha N)`` Gaussian patterns, and labels drawn from the channel,

.. math::
    F_{\mu i}\sim N(0, 1/N),\qquad z = F w^*,\qquad y_\mu \sim P_{out}(\cdot\,|\,z_\mu).

With :math:`F = X/\sqrt N`, :math:`X_{\mu i}\sim N(0,1)`, the pre-activation is
:math:`z_\mu = x^\mu\cdot w^*/\sqrt N` (the conventions of ``docs/theory/glm.md``; Engel & Van den
Broeck 2001, ch. 2); :math:`\mathbb{E} z_\mu^2 = \rho`.

The random numbers come from one ``numpy.random.Generator`` (an explicit integer seed or a
Generator), drawn in a fixed order: the teacher, then ``F`` row by row, then the labels. The same
seed gives the same data bit for bit.

Drawing ``F`` dominates the cost. It is one call of ``Generator.standard_normal`` (ziggurat), scaled
in place: at N = 4000, alpha = 2 (3.2e7 entries) it takes 0.9 s, whereas a numba kernel with
numba's own generator (Box-Muller on MT19937) took 2.9 s, and filling row blocks from spawned
generators on two threads 0.8 s; numba is therefore not used here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from statlearn.models.channels import Channel
from statlearn.models.priors import Prior
from statlearn.models.registry import resolve_model
from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, as_real_scalar

__all__ = ["MAX_ENTRIES", "TeacherStudent", "teacher_student"]

MAX_ENTRIES = 10**9
"""Largest design matrix :func:`teacher_student` draws (entries; 8 GB of doubles): refused up front above."""


@dataclass(frozen=True)
class TeacherStudent:
    """One sample of the teacher-student problem (all arrays read-only).

    ``F`` is the ``(M, N)`` design matrix with :math:`N(0, 1/N)` entries, ``teacher`` the weights
    :math:`w^*`, ``z = F @ teacher`` the pre-activations and ``y`` the labels.
    """

    prior: Prior
    channel: Channel
    alpha: float
    F: np.ndarray
    teacher: np.ndarray
    z: np.ndarray
    y: np.ndarray

    @property
    def N(self) -> int:
        """Number of weights."""
        return self.F.shape[1]

    @property
    def M(self) -> int:
        """Number of samples, ``round(alpha N)``."""
        return self.F.shape[0]


def teacher_student(
    prior: str | Prior,
    channel: str | Channel,
    N: int,
    alpha: float,
    *,
    seed: int | np.random.Generator,
    **params: float,
) -> TeacherStudent:
    r"""Draw a teacher, Gaussian patterns and labels of a generalised linear model.

    Parameters
    ----------
    prior, channel
        Names (``"gaussian"``, ``"rademacher"``, ``"gauss-bernoulli"``; ``"sign"``, ``"noisy-sign"``,
        ``"probit"``, ``"gaussian"``, ``"relu"``) or instances.
    N
        Number of weights, ``>= 1``.
    alpha
        Samples per weight, ``> 0``; ``M = round(alpha N)`` must be at least 1.
    seed
        Integer seed or ``numpy.random.Generator`` (keyword only, required: data are never drawn
        from a hidden global state).
    **params
        ``rho`` (prior) and ``delta`` (channel), see :func:`statlearn.models.registry.resolve_model`.

    Returns
    -------
    TeacherStudent
        ``F`` (``M x N``, entries :math:`N(0,1/N)`), ``teacher`` :math:`w^*\sim P_w`,
        ``z = F w^*``, ``y`` :math:`\sim P_{out}(\cdot|z)`.
    """
    pri, cha = resolve_model(prior, channel, params)
    n = as_count("N", N, minimum=1)
    alpha = as_real_scalar("alpha", alpha, minimum=0.0, strict_minimum=True)
    m = int(round(alpha * n))
    if m < 1:
        raise ValueError(f"alpha * N must round to at least one sample, got alpha = {alpha!r}, N = {n}")
    if m * n > MAX_ENTRIES:
        raise ValueError(
            f"alpha = {alpha!r}, N = {n} needs a design matrix of {m * n:.3g} entries ({8e-9 * m * n:.3g} GB), "
            f"above the limit of {MAX_ENTRIES:.0e}"
        )
    rng = as_generator(seed)
    teacher = np.asarray(pri.sample(n, rng), dtype=float)
    F = rng.standard_normal((m, n))
    F *= 1.0 / np.sqrt(n)
    z = F @ teacher
    y = np.asarray(cha.sample(z, rng), dtype=float)
    for arr in (F, teacher, z, y):
        arr.setflags(write=False)
    return TeacherStudent(prior=pri, channel=cha, alpha=alpha, F=F, teacher=teacher, z=z, y=y)
