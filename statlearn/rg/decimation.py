r"""The exact worked example of the RBM-RG mapping: decimation of the 1-D Ising ring as an RBM.

The ring of N = 2 n spins with coupling K, :math:`H(s) = -K \sum_i s_i s_{i+1}` (periodic), is bipartite: every
bond joins an even spin and an odd one. With the even spins as the hidden layer (the spins kept) and the odd
spins as the visible layer (the spins decimated), the ring *is* an RBM with +-1 units, no biases and
:math:`W_{ij} = K` when odd spin i neighbours even spin j: :math:`E(v, h) = -v^\top W h = H(s)`. The visible
spins have no coupling among themselves, so in Mehta & Schwab's construction (arXiv:1410.3831 (2014),
:math:`T_\lambda(v, h) = -E(v, h) + H(v)`) the visible Hamiltonian enters only through this energy, and the
renormalised Hamiltonian of the kept spins is the RBM's hidden free energy,

.. math:: H^{\rm RBM}[h] = -\log \sum_v e^{-E(v, h)} = -\sum_j \log 2\cosh K (h_j + h_{j+1})
    = -\sum_j \left(K' h_j h_{j+1} + g\right),

with :math:`e^{2K'} = \cosh 2K`, i.e. :math:`K' = \operatorname{atanh}(\tanh^2 K)`, and
:math:`g = \log 2 + K'`. :func:`decimation_rbm` builds the machine and reads K' and g back from
:math:`H^{\rm RBM}` over every hidden configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from statlearn.numerics.result import freeze_arrays
from statlearn.numerics.validation import as_count, as_real_scalar
from statlearn.rbm import RBM

__all__ = ["Decimation", "decimation_rbm"]


@dataclass(frozen=True)
class Decimation:
    """The decimation RBM of a ring and the renormalised coupling read from its hidden free energy.

    ``rbm``: visible = odd spins, hidden = even spins (+-1, no biases). ``K_prime`` and ``constant`` (g) are the
    least-squares fit of :math:`H^{\\rm RBM}[h] = -K' \\sum_j h_j h_{j+1} - n g` over all :math:`2^n` hidden
    configurations; ``residual`` is the largest deviation from that form (0 up to rounding: the form is exact);
    ``K_prime_exact`` is :math:`\\operatorname{atanh}(\\tanh^2 K) = \\tfrac12 \\log\\cosh 2K`, evaluated as
    :math:`|K| - \\tfrac12\\log 2 + \\tfrac12 \\log(1 + e^{-4|K|})` (no cancellation at large K).
    """

    K: float
    n_spins: int
    rbm: RBM
    K_prime: float
    constant: float
    K_prime_exact: float
    residual: float
    converged: bool = True
    iterations: int = 0
    message: str = "exact: enumerated every hidden configuration"

    def __post_init__(self) -> None:
        freeze_arrays(self)


def decimation_rbm(K: float, *, n_spins: int = 8) -> Decimation:
    """The 1-D Ising ring of ``n_spins`` spins (even, 4..32) and coupling ``K`` decimated as an RBM.

    Returns the :class:`Decimation`: the machine, and K' and g read from :math:`H^{\\rm RBM}[h]`, which equal
    :math:`\\operatorname{atanh}(\\tanh^2 K)` and :math:`\\log 2 + K'` (module docstring).
    """
    K = as_real_scalar("K", K, minimum=-20.0, maximum=20.0)
    N = as_count("n_spins", n_spins, minimum=4, maximum=32)
    if N % 2:
        raise ValueError(f"n_spins must be even (the ring alternates kept and decimated spins), got {N}")
    n = N // 2
    W = np.zeros((n, n))  # visible i = spin 2i + 1 neighbours hidden j = spin 2i and spin 2i + 2
    for i in range(n):
        W[i, i] += K
        W[i, (i + 1) % n] += K
    rbm = RBM.from_params(W, np.zeros(n), np.zeros(n), spins="pm1")
    bits = (np.arange(1 << n)[:, None] >> np.arange(n)) & 1
    h = np.where(bits == 1, 1.0, -1.0)
    bonds = (h * np.roll(h, -1, axis=1)).sum(axis=1)
    hamiltonian = rbm.hidden_free_energy(h)
    design = np.column_stack([-bonds, -np.full_like(bonds, n)])
    (k_prime, g), *_ = np.linalg.lstsq(design, hamiltonian, rcond=None)
    residual = float(np.abs(design @ [k_prime, g] - hamiltonian).max())
    return Decimation(
        K=K,
        n_spins=N,
        rbm=rbm,
        K_prime=float(k_prime),
        constant=float(g),
        K_prime_exact=float(abs(K) - 0.5 * np.log(2.0) + 0.5 * np.log1p(np.exp(-4.0 * abs(K)))),
        residual=residual,
    )
