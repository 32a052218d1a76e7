r"""Score matching of the energies that are linear in their parameters: the conditional ansatz of one
scale given its coarse field, and the energy of one field (the coarsest scale).

**Closed form** (Hyvärinen, JMLR 6, 695 (2005); Guth, Lempereur, Bruna & Mallat, ICML 2023,
section 2.3 and algorithm 1; the theory page ``docs/theory/wirg.md``). For an energy
:math:`E_\theta = \theta\cdot\Phi(x)` of the variables :math:`x` (the details :math:`\bar\psi_j`, the
coarse field :math:`\varphi_j` held fixed, or a whole field), the Fisher divergence between the data
and :math:`e^{-E_\theta}/Z` is, up to a constant and after an integration by parts,

.. math::

    J(\theta) = \mathbb E_{\rm data}\Big[\tfrac12|\nabla_x E_\theta|^2 - \Delta_x E_\theta\Big]
    = \tfrac12\theta^\top H\theta - \theta^\top g,\qquad
    H = \mathbb E\big[\nabla_x\Phi\,\nabla_x\Phi^\top\big],\quad g = \mathbb E\big[\Delta_x\Phi\big],

minimised by :math:`\theta = H^{-1}g`, with no partition function and no sampling. The solve is done
on :math:`D H D` with :math:`D = \mathrm{diag}(H)^{-1/2}` (diagonal normalisation), whose condition
number is reported next to that of :math:`H`. The estimator is consistent: at the true parameters of
a model in the family, :math:`H\theta^* = g` in expectation.

**Standard errors**: the sandwich (M-estimator) covariance of :math:`\hat\theta`, the root of the
estimating equation :math:`\bar u(\theta) = \frac1S\sum_s(H_s\theta - g_s) = 0` over the S fields,

.. math::

    \mathrm{Cov}\,\hat\theta \approx H^{-1}\,\mathrm{Cov}\big(\bar u(\hat\theta)\big)\,H^{-1},

with :math:`\mathrm{Cov}\,\bar u` estimated from the batch means of :math:`u` over ``n_blocks`` blocks of
fields (one field per block when memory allows: then it is the per-field sandwich). It assumes
independent fields; for correlated Monte Carlo samples it is too small by about the integrated
autocorrelation time of :math:`u`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics import ConvergenceWarning
from statlearn.numerics.result import freeze_arrays, stop_message
from wirg.ansatz import FieldAnsatz, QuadraticAnsatz
from wirg.checks import count, data_pairs, finite_result, real_array

__all__ = ["ScoreMatchingFit", "fit_score_matching"]

#: Bytes of feature gradients held at once (the fields are processed in chunks of this size).
_CHUNK_BYTES = 64 * 2**20
#: Bytes of the per-block matrices of the standard errors.
_BLOCK_BYTES = 128 * 2**20
#: Largest condition number of the normalised H solved directly; beyond it the minimum-norm solution.
_MAX_CONDITION = 1e12


@dataclass(frozen=True, eq=False)
class ScoreMatchingFit:
    r"""Score-matching fit :math:`\hat\theta = H^{-1}g` (module docstring).

    Attributes
    ----------
    theta : ndarray, shape (P,)
    stderr : ndarray, shape (P,)
        Sandwich standard errors; ``covariance`` (P, P) the full matrix.
    H : ndarray, shape (P, P)
        :math:`\mathbb E\,\nabla\Phi\nabla\Phi^\top` per field (sums over the lattice, mean over fields).
    g : ndarray, shape (P,)
        :math:`\mathbb E\,\Delta\Phi` per field.
    condition_raw, condition_normalised : float
        Condition numbers of :math:`H` and of :math:`DHD`, :math:`D = \mathrm{diag}(H)^{-1/2}`.
    n_samples, n_blocks : int
        Fields used, and blocks of the batch-means covariance.
    converged : bool
        Whether the normalised system was regular (condition number below 1e12); otherwise the
        minimum-norm least-squares solution is returned and a ``ConvergenceWarning`` says so.
    iterations : int
        1 (one linear solve).
    residual : float
        :math:`|H\hat\theta - g| / |g|`.
    message : str
    """

    theta: np.ndarray
    stderr: np.ndarray
    covariance: np.ndarray
    H: np.ndarray
    g: np.ndarray
    condition_raw: float
    condition_normalised: float
    n_samples: int
    n_blocks: int
    converged: bool
    iterations: int
    residual: float
    message: str

    def __post_init__(self) -> None:
        freeze_arrays(self)


def _condition(matrix: np.ndarray) -> float:
    eig = np.linalg.eigvalsh(matrix)
    return float(eig[-1] / eig[0]) if eig[0] > 0.0 else math.inf


def fit_score_matching(
    ansatz: QuadraticAnsatz | FieldAnsatz,
    data: ArrayLike,
    phi_j: ArrayLike | None = None,
    *,
    n_blocks: int | None = None,
) -> ScoreMatchingFit:
    r"""Fit an energy linear in its parameters by score matching (module docstring).

    Parameters
    ----------
    ansatz : QuadraticAnsatz or FieldAnsatz
        The conditional energy :math:`\bar E_j(\bar\psi|\varphi_j)` of one scale (gradients with
        respect to the details, the coarse fields held fixed) or the energy of one field.
    data : array_like
        The details :math:`\bar\psi_j` (S, 3, n, n) for a :class:`~wirg.ansatz.QuadraticAnsatz`, or the
        fields (S, n, n) for a :class:`~wirg.ansatz.FieldAnsatz`.
    phi_j : array_like, shape (S, n, n)
        The coarse fields of the pairs (QuadraticAnsatz only).
    n_blocks : int, optional
        Blocks of fields for the batch-means covariance, 2 to S (default: one field per block,
        or fewer blocks when their P x P matrices would exceed 128 MB).

    Returns
    -------
    ScoreMatchingFit

    Warns
    -----
    ConvergenceWarning
        If the normalised :math:`H` is singular to working precision: some parameters are not
        identified by these data (e.g. a basis function whose derivative vanishes on all of them).
    """
    if isinstance(ansatz, QuadraticAnsatz):
        if phi_j is None:
            raise TypeError("phi_j must be given with a QuadraticAnsatz: the coarse fields of the pairs")
        psi, phi = data_pairs(phi_j, data, ansatz.radius, ansatz.lattice)
        n_sites = 3 * psi.shape[-1] ** 2

        def terms(index: slice) -> tuple[np.ndarray, np.ndarray]:
            return ansatz.feature_gradients(psi[index], phi[index]), ansatz.feature_laplacians(psi[index], phi[index])

        n_fields = psi.shape[0]
    elif isinstance(ansatz, FieldAnsatz):
        if phi_j is not None:
            raise TypeError("phi_j must be None with a FieldAnsatz: the data are whole fields")
        fields = real_array("data", data)
        if fields.ndim != 3:
            raise ValueError(f"data must have shape (S, n, n) for a FieldAnsatz, got {fields.shape}")
        fields = ansatz.check_fields(fields)
        n_sites = fields.shape[-1] ** 2

        def terms(index: slice) -> tuple[np.ndarray, np.ndarray]:
            return ansatz.feature_gradients(fields[index]), ansatz.feature_laplacians(fields[index])

        n_fields = fields.shape[0]
    else:
        raise TypeError(f"ansatz must be a QuadraticAnsatz or a FieldAnsatz, got {type(ansatz).__name__}")
    if n_fields < 2:
        raise ValueError(f"data must hold at least 2 fields (the standard errors need them), got {n_fields}")
    P = ansatz.n_params
    default_blocks = max(2, min(n_fields, _BLOCK_BYTES // (8 * P * P)))
    blocks = default_blocks if n_blocks is None else count("n_blocks", n_blocks, minimum=2)
    if blocks > n_fields:
        raise ValueError(f"n_blocks must be <= the number of fields ({n_fields}), got {blocks}")
    chunk = max(1, int(min(_CHUNK_BYTES // (8 * P * n_sites), _CHUNK_BYTES // (8 * P * P))))
    bounds = np.linspace(0, n_fields, blocks + 1).round().astype(int)
    block_of = np.repeat(np.arange(blocks), np.diff(bounds))
    H_blocks = np.zeros((blocks, P, P))
    g_blocks = np.zeros((blocks, P))
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, n_fields, chunk):
            index = slice(start, min(start + chunk, n_fields))
            grads, laplacians = terms(index)
            flat = grads.reshape(grads.shape[0], P, -1)
            np.add.at(H_blocks, block_of[index], flat @ flat.transpose(0, 2, 1))
            np.add.at(g_blocks, block_of[index], laplacians)
    sizes = np.diff(bounds).astype(float)
    H = finite_result("data", H_blocks.sum(axis=0) / n_fields, "the score-matching matrix H")
    H = 0.5 * (H + H.T)
    g = finite_result("data", g_blocks.sum(axis=0) / n_fields, "the score-matching vector g")
    diagonal = np.diag(H).copy()
    if not np.all(diagonal > 0.0):
        missing = [ansatz.labels[a] for a in np.flatnonzero(~(diagonal > 0.0))]
        raise ValueError(f"data: the features {missing} have zero gradient on every field, nothing to fit")
    D = 1.0 / np.sqrt(diagonal)
    normalised = D[:, None] * H * D[None, :]
    condition_raw, condition_normalised = _condition(H), _condition(normalised)
    regular = condition_normalised < _MAX_CONDITION
    if regular:
        inverse_normalised = np.linalg.inv(normalised)
    else:
        inverse_normalised = np.linalg.pinv(normalised, rcond=1.0 / _MAX_CONDITION, hermitian=True)
    with np.errstate(over="ignore", invalid="ignore"):  # fields near the float64 limits: refused below
        theta = D * (inverse_normalised @ (D * g))
        H_inverse = D[:, None] * inverse_normalised * D[None, :]
        # batch means of u = H_s theta - g_s: block sums over block sizes, weighted by the block sizes
        u = (H_blocks @ theta - g_blocks) / sizes[:, None]
        weighted = u * (sizes / n_fields)[:, None]
        meat = weighted.T @ weighted * blocks / (blocks - 1)
        covariance = H_inverse @ meat @ H_inverse
    finite_result("data", theta, "the estimate (fields too small or too large for float64)")
    finite_result("data", covariance, "the covariance of the estimate (fields too small or too large for float64)")
    stderr = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    residual = float(np.linalg.norm(H @ theta - g) / max(np.linalg.norm(g), np.finfo(float).tiny))
    reason = None if regular else "H is singular to working precision (the parameters are not all identified)"
    message = stop_message(regular, 1, residual, None, unit="linear solve", reason=reason)
    message += f"; cond(H) = {condition_raw:.3g}, after diagonal normalisation {condition_normalised:.3g}"
    if not regular:
        warnings.warn(f"score matching: {message}; minimum-norm solution returned", ConvergenceWarning, stacklevel=2)
    return ScoreMatchingFit(
        theta=theta,
        stderr=stderr,
        covariance=covariance,
        H=H,
        g=g,
        condition_raw=condition_raw,
        condition_normalised=condition_normalised,
        n_samples=n_fields,
        n_blocks=blocks,
        converged=bool(regular),
        iterations=1,
        residual=residual,
        message=message,
    )
