r"""The microscopic energy reassembled from all scales of the wavelet conditional renormalisation group.

**Reassembly** (Marchand, Ozawa, Biroli & Mallat, PRX 13, 041038 (2023); Guth, Lempereur, Bruna & Mallat,
ICML 2023, appendix D.3; the theory page ``docs/theory/wirg.md``). With the per-scale conditional energies
:math:`\bar E_j` (:class:`wirg.generate.ScaleModel`), their free energies :math:`\bar F_j`
(:class:`wirg.free_energy.FreeEnergyFit`) and the energy :math:`E_J` of the coarsest field,

.. math:: E_0(\varphi_0) = E_J(\varphi_J) + \sum_{j=1}^J\big[\bar E_j(\bar\psi_j, \varphi_j) - \bar F_j(\varphi_j)\big]
    + \text{const}.

Every term is a quadratic form in the fields plus scalar potentials: :math:`\bar E_j` has couplings among
the details and to :math:`\varphi_j` and a potential :math:`\bar v_j` on :math:`\varphi_{j-1}`; :math:`\bar F_j`
and :math:`E_J` have couplings of :math:`\varphi_j` and potentials :math:`\tilde v_j`, :math:`v_J` on
:math:`\varphi_j`. In the microscopic basis,

.. math:: E_0 = \tfrac12\sum_{x,y}\varphi_x K(x - y)\varphi_y + \sum_{j=0}^J\sum_x V_j\big(\varphi_j(x)\big)
    + R(\varphi_0) + \text{const},\qquad V_0 = \bar v_1,\quad V_j = \bar v_{j+1} - \tilde v_j,\quad
    V_J = v_J - \tilde v_J .

**The quadratic kernel.** At scale :math:`j` the couplings form, for each coarse frequency :math:`\xi`, a
Hermitian :math:`4\times4` matrix :math:`Q_j(\xi)` on :math:`(\varphi_j, \bar\psi_j)` (index 0 the coarse field;
:math:`Q_{hh} = \hat{\bar K}_j`, :math:`Q_{hl} = \hat{\bar K}'_j`, :math:`Q_{ll} = -\hat{\tilde K}_j` plus
:math:`\hat K_J` at :math:`j = J`). The analysis maps a fine plane wave :math:`\omega` (orthonormal on the
:math:`L\times L` lattice) to the channels of scale :math:`j` with amplitudes

.. math:: a_j(\omega) = t_{j-1}(\omega)\,U^{(j)}_{\cdot e}(\xi_j)/\gamma_j,\qquad
    t_j(\omega) = a_j(\omega)_0,\quad t_0 = 1,

(:math:`\xi_j = 2^j\omega \bmod 2\pi`, :math:`e` the alias of :math:`2^{j-1}\omega` over :math:`\xi_j`,
:math:`U^{(j)}` the polyphase matrix of :func:`wirg.gaussian.polyphase_matrix`). The pulled-back form
:math:`M = \sum_j T_j^* Q_j T_j` has the fine Fourier matrix elements
:math:`M(\omega, \omega') = \sum_j a_j(\omega)^* Q_j(\xi_j) a_j(\omega')\,[\xi_j(\omega) = \xi_j(\omega')]`: scale
:math:`j` is invariant only under shifts by :math:`2^j`. Its stationary part (the diagonal,
:math:`\omega = \omega'`) is the kernel,

.. math:: \hat K(\omega) = \sum_j a_j(\omega)^* Q_j(\xi_j)\,a_j(\omega),\qquad
    K(\Delta) = \frac1{L^2}\sum_\omega\hat K(\omega)e^{i\omega\cdot\Delta},

and the rest, :math:`R`, is reported by its relative Frobenius norm :math:`\|M - \mathrm{diag}\|_F/\|M\|_F`, from
:math:`\|M\|_F^2 = \sum_{j,k}\mathrm{tr}(M_jM_k)` with, for :math:`j \le k`,
:math:`\mathrm{tr}(M_jM_k) = \sum_{\xi_j}\mathrm{tr}\big(Q_j(\xi_j)B_{jk}Q_k(2^{k-j}\xi_j)B_{jk}^*\big)`,
:math:`B_{jk}(\xi_j) = \sum_{\omega:\,\xi_j(\omega) = \xi_j}a_j(\omega)a_k(\omega)^*`. The difference of the two
squared norms leaves a floor of about :math:`10^{-8}` (float64) when the remainder vanishes. For the exact
Gaussian WIRG the kernel is the microscopic precision and the remainder vanishes.

**Convention for the quadratic term.** :math:`K` holds every quadratic coupling of the per-scale energies,
its diagonal :math:`K(0)` included; the potentials :math:`V_j` are those of the ansatzes as fitted (a
quadratic component of a potential basis stays in :math:`V_j`). On-site terms trade between the two:
:meth:`MicroscopicEnergy.potential` with ``onsite=True`` is :math:`V_0(t) + \tfrac12K(0)t^2`, the on-site
potential when the diagonal of :math:`K` is moved into :math:`V_0` (for lattice :math:`\varphi^4`,
:math:`E = -\beta\sum_{\langle xy\rangle}\varphi_x\varphi_y + \sum_x(\varphi_x^4 - \varphi_x^2)`, that is
:math:`t^4 - t^2` while :math:`K` is :math:`-\beta` on nearest neighbours). Both are normalised to 0 at
:math:`t = 0`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.result import freeze_arrays
from wirg.ansatz import CombinedPotential, FieldAnsatz, Potential
from wirg.checks import check_choice, check_gamma, check_levels, check_memory, finite_result, real_array, show
from wirg.free_energy import FreeEnergyFit
from wirg.gaussian import Scale, polyphase_matrix
from wirg.generate import FieldModel, GaussianCopula, GaussianMarginal, ScaleModel
from wirg.wavelets import WAVELETS, analysis_step

__all__ = ["MicroscopicEnergy", "ScalarPotential", "microscopic_energy"]


@dataclass(frozen=True, eq=False)
class ScalarPotential:
    r"""A scalar potential :math:`V(t) = \sum_i\alpha_i\rho_i(t)` in the basis of ``potential`` (0 if None)."""

    potential: Potential | None
    alpha: np.ndarray

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def __call__(self, t: ArrayLike) -> np.ndarray:
        """:math:`V(t)`, the shape of ``t``."""
        return self._evaluate(t, derivative=False)

    def derivative(self, t: ArrayLike) -> np.ndarray:
        """:math:`V'(t)`, the shape of ``t``."""
        return self._evaluate(t, derivative=True)

    def _evaluate(self, t: ArrayLike, *, derivative: bool) -> np.ndarray:
        x = real_array("t", t)
        if self.potential is None:
            return np.zeros_like(x)
        basis = self.potential.basis_derivative if derivative else self.potential.basis
        with np.errstate(over="ignore", invalid="ignore"):
            return finite_result("t", basis(x) @ self.alpha, "the potential")


@dataclass(frozen=True, eq=False)
class MicroscopicEnergy:
    r"""The microscopic energy :math:`E_0 = \tfrac12\varphi^\top K\varphi + \sum_j\sum_xV_j(\varphi_j(x))`
    (module docstring), up to a constant and the non-stationary remainder.

    Attributes
    ----------
    L, levels : int
        Side of the fine lattice and number of scales :math:`J`.
    wavelet : str
    gamma : tuple of float
        :math:`\gamma_1, \dots, \gamma_J` of the decomposition.
    kernel : ndarray, shape (L, L)
        :math:`K(\Delta)` at index ``(dy % L, dx % L)``, symmetric: :math:`K(\Delta) = K(-\Delta)`.
    symbol : ndarray, shape (L, L)
        :math:`\hat K(\omega) = \sum_\Delta K(\Delta)e^{-i\omega\cdot\Delta}` on the FFT grid (real).
    potentials : tuple of ScalarPotential
        :math:`V_0, \dots, V_J`, :math:`V_j` acting on :math:`\varphi_j`.
    remainder : float
        :math:`\|R\|_F/\|M\|_F`, the relative size of the non-stationary part of the quadratic form
        dropped from ``kernel`` (floor about 1e-8).
    """

    L: int
    levels: int
    wavelet: str
    gamma: tuple[float, ...]
    kernel: np.ndarray
    symbol: np.ndarray
    potentials: tuple[ScalarPotential, ...]
    remainder: float

    def __post_init__(self) -> None:
        freeze_arrays(self)

    def coupling(self, dx: int, dy: int) -> float:
        r""":math:`K(\Delta)` at the shift :math:`\Delta = (dy, dx)` (``dx`` along axis -1), periodic in L."""
        for name, value in (("dx", dx), ("dy", dy)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name} must be an integer, got {show(value)}")
        return float(self.kernel[int(dy) % self.L, int(dx) % self.L])

    def potential(self, t: ArrayLike, *, onsite: bool = False) -> np.ndarray:
        r""":math:`V_0(t) - V_0(0)`; with ``onsite`` :math:`V_0(t) - V_0(0) + \tfrac12K(0)t^2` (module docstring)."""
        if not isinstance(onsite, bool):
            raise TypeError(f"onsite must be a bool, got {show(onsite)}")
        x = real_array("t", t)
        value = self.potentials[0](x) - self.potentials[0](np.zeros(1))[0]
        if onsite:
            with np.errstate(over="ignore", invalid="ignore"):
                value = value + 0.5 * self.kernel[0, 0] * x**2
        return finite_result("t", value, "the potential")

    def energy(self, fields: ArrayLike) -> np.ndarray:
        r""":math:`\tfrac12\varphi^\top K\varphi + \sum_j\sum_x V_j(\varphi_j(x))` for fields (S, L, L) or (L, L):
        shape (S,)."""
        phi = real_array("fields", fields)
        if phi.ndim == 2:
            phi = phi[None]
        if phi.ndim != 3 or phi.shape[1:] != (self.L, self.L):
            raise ValueError(f"fields must have shape (S, {self.L}, {self.L}) or ({self.L}, {self.L}), got {phi.shape}")
        check_memory(f"the energies of {phi.shape[0]} fields", "fields", 64.0 * phi.size)
        with np.errstate(over="ignore", invalid="ignore"):
            quadratic = np.fft.irfft2(self.symbol[:, : self.L // 2 + 1] * np.fft.rfft2(phi), s=(self.L, self.L))
            total = 0.5 * np.einsum("syx,syx->s", phi, quadratic)
            for j, V in enumerate(self.potentials):
                try:
                    if j > 0:
                        phi = analysis_step(phi, self.wavelet, self.gamma[j - 1])[0]
                    total = total + V(phi).sum(axis=(-2, -1))
                except ValueError:
                    raise ValueError("fields: the energy overflows float64 (values too large)") from None
        if not np.all(np.isfinite(total)):
            raise ValueError("fields: the energy overflows float64 (values too large)")
        return total


def microscopic_energy(
    scales: Sequence[ScaleModel | Scale],
    free_energies: Sequence[FreeEnergyFit | Scale],
    coarse: GaussianMarginal | FieldModel | GaussianCopula,
    *,
    L: int,
    wavelet: str = "db4",
    gamma: float | Sequence[float] = 1.0,
) -> MicroscopicEnergy:
    r"""Reassemble :math:`E_0` from the per-scale energies (module docstring).

    Parameters
    ----------
    scales : sequence of ScaleModel or wirg.gaussian.Scale
        :math:`\bar E_1, \dots, \bar E_J`, finest first; an exact :class:`wirg.gaussian.Scale` stands for its
        conditional energy :math:`\tfrac12\bar\psi^\top Q_{hh}\bar\psi + \bar\psi^\top Q_{hl}\varphi_j` (it
        must come from a :class:`~wirg.gaussian.GaussianWIRG` with the same ``wavelet``: a Scale does not
        record its wavelet).
    free_energies : sequence of FreeEnergyFit or wirg.gaussian.Scale
        :math:`\bar F_1, \dots, \bar F_J`; a :class:`~wirg.gaussian.Scale` stands for its exact free energy.
    coarse : GaussianMarginal or FieldModel
        :math:`E_J`: a stationary Gaussian (precision :math:`1/S`) or a fitted field ansatz.
    L : int
        Side of the fine lattice, a power of two; scale :math:`j` lives on the :math:`L/2^j` lattice.
    wavelet : {"haar", "db4"}
    gamma : float or sequence of J floats
        The decomposition's :math:`\gamma_j`; ansatzes with a potential must use the same.

    Returns
    -------
    MicroscopicEnergy
    """
    wavelet = check_choice("wavelet", wavelet, WAVELETS)
    if isinstance(L, bool) or not isinstance(L, numbers.Integral):
        raise TypeError(f"L must be an integer, got {show(L)}")
    if L < 2 or L & (L - 1):
        raise ValueError(f"L must be a power of two >= 2, got {L}")
    L = int(L)
    for name, seq, kinds in (
        ("scales", scales, (ScaleModel, Scale)),
        ("free_energies", free_energies, (FreeEnergyFit, Scale)),
    ):
        if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence) or not seq:
            raise TypeError(f"{name} must be a non-empty sequence, finest scale first, got {show(seq)}")
        for i, item in enumerate(seq):
            if not isinstance(item, kinds):
                names = " or ".join(k.__name__ for k in kinds)
                raise TypeError(f"{name}[{i}] must be a {names}, got {type(item).__name__}")
    levels = check_levels(len(scales), L, "the fine lattice")
    if len(free_energies) != levels:
        raise ValueError(f"free_energies must have one entry per scale ({levels}), got {len(free_energies)}")
    gammas = check_gamma(gamma, levels)
    check_memory(f"the reassembly on the {L} x {L} lattice", "L", 1200.0 * levels * L * L)
    Q, potentials = [], []
    for j in range(1, levels + 1):
        n = L >> j
        Qj, vbar = _conditional(scales[j - 1], j, n, wavelet, gammas[j - 1])
        Kf, vtilde = _field_energy(free_energies[j - 1], f"free_energies[{j - 1}]", n, gammas[j - 1])
        Qj[..., 0, 0] -= Kf
        Q.append(Qj)
        potentials.append((vbar, vtilde))
    KJ, vJ = _coarse_energy(coarse, L >> levels)
    Q[-1][..., 0, 0] += KJ
    amplitudes = _amplitudes(L, levels, wavelet, gammas)
    symbol = np.zeros((L, L))
    for j in range(levels):
        a, index = amplitudes[j], _coarse_index(L, L >> (j + 1))
        symbol += np.einsum("yxa,yxab,yxb->yx", np.conj(a), Q[j][index], a).real
    kernel = np.fft.ifft2(symbol).real
    V = [_combine(potentials[0][0], None)]
    V += [_combine(potentials[j][0], potentials[j - 1][1]) for j in range(1, levels)]
    V.append(_combine(vJ, potentials[-1][1]))
    return MicroscopicEnergy(
        L=L,
        levels=levels,
        wavelet=wavelet,
        gamma=gammas,
        kernel=kernel,
        symbol=symbol,
        potentials=tuple(V),
        remainder=_remainder(Q, amplitudes, symbol),
    )


# --------------------------------------------------------------------------------------------

_Term = tuple[Potential, np.ndarray] | None


def _conditional(model: ScaleModel | Scale, j: int, n: int, wavelet: str, gamma: float) -> tuple[np.ndarray, _Term]:
    """Q_j (n, n, 4, 4) from Ebar_j (coarse-coarse entry 0) and its potential term on phi_{j-1}."""
    Q = np.zeros((n, n, 4, 4), dtype=complex)
    if isinstance(model, Scale):
        if model.L != n or model.gamma != gamma:
            raise ValueError(
                f"scales[{j - 1}]: an exact Scale on the {model.L} lattice with gamma {model.gamma}, expected {n} and {gamma}"
            )
        Q[..., 1:, 1:], Q[..., 1:, 0] = model.coupling, model.cross_coupling
        Q[..., 0, 1:] = np.conj(model.cross_coupling)
        return Q, None
    ansatz = model.ansatz
    try:
        Khat, Kphat = ansatz.fourier_kernels(model.theta, n)
    except ValueError as err:
        raise ValueError(f"scales[{j - 1}] (L_j = {n}): {err}") from None
    Q[..., 1:, 1:], Q[..., 1:, 0], Q[..., 0, 1:] = Khat, Kphat, np.conj(Kphat)
    if ansatz.block_quartic or ansatz.block_cubic:
        raise ValueError(
            f"scales[{j - 1}]: its block quartic or cubic terms couple the sites of a block and have no place in the "
            "microscopic basis (a kernel K and on-site potentials V_j); fit without block_quartic and block_cubic at "
            "this scale"
        )
    if ansatz.modulation is not None or ansatz.detail_scale is not None:
        raise ValueError(
            f"scales[{j - 1}]: its coarse-modulated stiffness or detail scale couples the details to the coarse value "
            "beyond a quadratic form and has no place in the microscopic basis (a kernel K and on-site potentials "
            "V_j); fit without modulation and detail_scale"
        )
    if ansatz.potential is None:
        return Q, None
    if ansatz.wavelet != wavelet or ansatz.gamma != gamma:
        raise ValueError(
            f"scales[{j - 1}]: the ansatz reconstructs with ({ansatz.wavelet!r}, gamma = {ansatz.gamma}) but the "
            f"decomposition uses ({wavelet!r}, gamma = {gamma})"
        )
    return Q, (ansatz.potential, model.theta[ansatz.potential_slice])


def _field_energy(energy: FreeEnergyFit | Scale, name: str, n: int, gamma: float) -> tuple[np.ndarray, _Term]:
    """Quadratic symbol (n, n) and potential term of a free energy (a FreeEnergyFit or an exact Scale)."""
    if isinstance(energy, Scale):
        if energy.L != n or energy.gamma != gamma:
            raise ValueError(f"{name}: an exact Scale on the {energy.L} lattice, expected {n}")
        return energy.free_energy_kernel, None
    return _field_terms(energy.field_ansatz, energy.coefficients, name, n)


def _field_terms(ansatz: FieldAnsatz, theta: np.ndarray, name: str, n: int) -> tuple[np.ndarray, _Term]:
    try:
        symbol = ansatz.local.symbol(theta[: ansatz.n_quadratic], n)
    except ValueError as err:
        raise ValueError(f"{name} (L_j = {n}): {err}") from None
    return symbol, None if ansatz.potential is None else (ansatz.potential, theta[ansatz.n_quadratic :])


def _coarse_energy(coarse: object, n: int) -> tuple[np.ndarray, _Term]:
    if isinstance(coarse, GaussianMarginal):
        if coarse.L != n:
            raise ValueError(f"coarse: a marginal on the {coarse.L} lattice, expected the coarsest lattice {n}")
        if np.any(coarse.spectrum <= 0.0):
            raise ValueError("coarse: the spectrum must be > 0 (its inverse is the precision)")
        with np.errstate(over="ignore"):
            precision = 1.0 / coarse.spectrum
        if not np.all(np.isfinite(precision)):
            raise ValueError("coarse: the precision 1/spectrum overflows float64")
        return precision, None
    if isinstance(coarse, FieldModel):
        if coarse.L != n:
            raise ValueError(f"coarse: a model on the {coarse.L} lattice, expected the coarsest lattice {n}")
        return _field_terms(coarse.ansatz, coarse.theta, "coarse", n)
    if isinstance(coarse, GaussianCopula):
        raise ValueError(
            "coarse: a Gaussian copula's couplings act on the transformed field Phi^-1(F(phi)), not on phi: it has no "
            "place in the microscopic basis of a kernel plus on-site potentials"
        )
    raise TypeError(f"coarse must be a GaussianMarginal or a FieldModel, got {show(coarse)}")


def _combine(plus: _Term, minus: _Term) -> ScalarPotential:
    """The potential ``plus - minus`` in the concatenated basis (zero if neither is given)."""
    terms = [] if plus is None else [plus]
    if minus is not None:
        terms.append((minus[0], -minus[1]))
    if not terms:
        return ScalarPotential(None, np.zeros(0))
    potential = terms[0][0] if len(terms) == 1 else CombinedPotential([p for p, _ in terms])
    return ScalarPotential(potential, np.concatenate([a for _, a in terms]))


def _coarse_index(L: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index of the coarse frequency xi_j (n x n grid) of every fine frequency (L x L grid)."""
    k = np.arange(L) % n
    return np.ix_(k, k)


def _amplitudes(L: int, levels: int, wavelet: str, gammas: tuple[float, ...]) -> list[np.ndarray]:
    """a_j(omega) (L, L, 4) for j = 1..J (module docstring), omega on the fine FFT grid."""
    t = np.ones((L, L), dtype=complex)
    out = []
    M = np.arange(L)
    for j in range(1, levels + 1):
        n = L >> j
        m = M % (2 * n)  # index of 2^{j-1} omega on the (2n) grid
        k, e = m % n, m // n
        U = polyphase_matrix(n, wavelet)  # (n, n, 4 channels, 4 aliases)
        u = U[k[:, None], k[None, :], :, (2 * e[:, None] + e[None, :])]  # (L, L, 4)
        a = t[..., None] * u / gammas[j - 1]
        out.append(a)
        t = a[..., 0]
    return out


def _remainder(Q: list[np.ndarray], amplitudes: list[np.ndarray], symbol: np.ndarray) -> float:
    """||M - diag||_F / ||M||_F from the traces tr(M_j M_k) (module docstring)."""
    L = symbol.shape[0]
    total = 0.0
    for j, (Qj, aj) in enumerate(zip(Q, amplitudes)):
        n = L >> (j + 1)
        for k in range(j, len(Q)):
            ak = amplitudes[k]
            outer = np.einsum("yxa,yxb->yxab", aj, np.conj(ak))  # a_j a_k^*
            B = outer.reshape(L // n, n, L // n, n, 4, 4).sum(axis=(0, 2))  # summed over the aliases of xi_j
            Qk = Q[k][_coarse_index(n, L >> (k + 1))]  # Q_k(2^{k-j} xi_j) on the xi_j grid
            trace = np.einsum("yxab,yxbc,yxcd,yxad->", Qj, B, Qk, np.conj(B)).real
            total += trace if k == j else 2.0 * trace
    stationary = float(np.sum(symbol**2))
    if total <= 0.0:
        return 0.0
    return math.sqrt(max(total - stationary, 0.0) / total)
