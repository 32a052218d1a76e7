r"""The exact Gaussian case of the wavelet conditional renormalisation group.

For a stationary Gaussian field on the periodic :math:`L\times L` lattice every object of WIRG
(Marchand, Ozawa, Biroli & Mallat, PRX 13, 041038 (2023), §III and App. B;
the theory page ``docs/theory/wirg.md``) has a
closed form, so the method can be checked exactly. Conventions: the covariance has the spectrum
:math:`S(k)` on the FFT grid, :math:`\mathbb E\varphi_x\varphi_y = L^{-2}\sum_k S(k) e^{ik(x-y)}`,
and the precision :math:`\hat K(k) = 1/S(k)`, so :math:`E(\varphi) = \tfrac12\varphi^\top K\varphi
= \tfrac1{2L^2}\sum_k \hat K(k)|\hat\varphi(k)|^2` with numpy's ``fft2``.

**One scale.** The analysis :math:`\varphi_{j-1}\mapsto(\varphi_j, \bar\psi_j)` of
:mod:`wirg.wavelets` maps a fine plane wave :math:`e^{i\omega\cdot m}` to
:math:`\overline{\hat a_c(\omega_y)}\,\overline{\hat b_c(\omega_x)}\, e^{i\xi\cdot k}` in channel
:math:`c` (:math:`c = 0` the coarse field, filters :math:`(h,h)`; then the details
:math:`(h,g), (g,h), (g,g)`), with :math:`\xi = 2\omega \bmod 2\pi`. The four fine frequencies
:math:`\omega_e = \xi/2 + \pi e`, :math:`e\in\{0,1\}^2`, alias onto each coarse :math:`\xi`, and in
orthonormal plane waves the analysis is the unitary :math:`4\times4` matrix
:math:`U_{ce}(\xi) = \overline{\hat a_c(\omega_{e,y})\hat b_c(\omega_{e,x})}/2`. The joint precision
of :math:`(\varphi_j, \bar\psi_j)` is block diagonal in :math:`\xi`:

.. math:: Q(\xi) = \gamma_j^2\, U(\xi)\,\mathrm{diag}\big(\hat K_{j-1}(\omega_e)\big)\, U(\xi)^* ,

and with :math:`l` the coarse index and :math:`h` the three details,

* conditional: :math:`\bar\psi_j|\varphi_j \sim N(-Q_{hh}^{-1}Q_{hl}\varphi_j,\ Q_{hh}^{-1})`, i.e.
  :math:`\bar E_j = \tfrac12\bar\psi^\top \bar K_j\bar\psi + \bar\psi^\top\bar K'_j\varphi_j` with the
  couplings :math:`\bar K_j = Q_{hh}`, :math:`\bar K'_j = Q_{hl}` (real-space kernels by inverse FFT);
* free energy: :math:`\bar F_j(\varphi_j) = -\ln\int e^{-\bar E_j}d\bar\psi_j =
  -\tfrac12\varphi_j^\top Q_{lh}Q_{hh}^{-1}Q_{hl}\varphi_j + \tfrac12\sum_\xi\ln\det(Q_{hh}(\xi)/2\pi)`;
* next marginal: :math:`\hat K_j(\xi) = Q_{ll} - Q_{lh}Q_{hh}^{-1}Q_{hl}` (the Schur complement),

so that :math:`E_{j-1} = E_j + \bar E_j - \bar F_j`. Reassembling from the coarsest marginal and the
per-scale couplings returns the input precision (:meth:`GaussianWIRG.microscopic_precision`).

**Condition numbers** (:meth:`GaussianWIRG.condition_numbers`): of the full-field precision
:math:`\max\hat K/\min\hat K` (what direct sampling faces; it grows like :math:`L^2` at
criticality), of each conditional precision :math:`Q_{hh}` over all :math:`\xi` (what WIRG sampling
faces), and of the Fisher matrices of maximum-likelihood estimation (what gradient descent on the
couplings faces): for the direct local ansatz :math:`E = \tfrac12\sum_a\theta_a\sum_x\varphi_x
\varphi_{x+\Delta_a}` (symmetrised shifts :math:`|\Delta|_\infty\le r`) the Fisher matrix is the
covariance of its features, :math:`F_{ab} = \tfrac12\,\mathrm{tr}(T_aCT_bC)/N`; for the conditional
ansatz at scale :math:`j` (couplings of the details with themselves and with :math:`\varphi_j` at the
same shifts) it is :math:`\mathbb E_{\varphi_j}\mathrm{Cov}(\Phi|\varphi_j)/N_j =
[\tfrac12\mathrm{tr}(A_a\Sigma A_b\Sigma) + \mathrm{tr}(R_a^*\Sigma R_b C_j)]/N_j` with
:math:`\Sigma = Q_{hh}^{-1}`, :math:`R_a = B_a - A_aQ_{hh}^{-1}Q_{hl}` (features
:math:`\tfrac12\bar\psi^\top A_a\bar\psi + \bar\psi^\top B_a\varphi_j`) and :math:`C_j = \hat K_j^{-1}`;
both are sums over frequencies of small matrices. Condition numbers of Fisher matrices depend on
how the couplings are parametrised; both use the raw couplings above.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.seeding import as_generator
from wirg.checks import (
    check_bool,
    check_choice,
    check_gamma,
    check_levels,
    check_memory,
    check_radius,
    count,
    finite_result,
    real_array,
)
from wirg.wavelets import WAVELETS, filters, synthesis_step

__all__ = ["Scale", "ConditionNumbers", "GaussianWIRG", "polyphase_matrix", "sample_details", "stencil_shifts"]


#: Bytes per fine lattice site at the peak of solving every scale (272 measured with tracemalloc at
#: L = 128..512; 163 of them stored), for the memory check before solving.
_BYTES_PER_SITE = 300
#: Largest number of products (couplings squared times sites) the direct Fisher matrix may take, about 10 s.
_MAX_DIRECT_WORK = 2e9


def _response(taps: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """:math:`\\hat f(\\omega) = \\sum_n f[n] e^{-in\\omega}`."""
    n = np.arange(taps.size)
    return np.exp(-1j * np.multiply.outer(omega, n)) @ taps


def polyphase_matrix(L_coarse: int, wavelet: str) -> np.ndarray:
    """U(xi) of the module docstring for every coarse frequency: shape (L_c, L_c, 4, 4), row c =
    output channel (0 coarse, 1..3 details in the order of :mod:`wirg.wavelets`), column e = alias
    (e_y, e_x) flattened as 2 e_y + e_x."""
    L_coarse = count("L_coarse", L_coarse, minimum=1)
    h, g = filters(wavelet)
    check_memory(f"the polyphase matrices of the {L_coarse} x {L_coarse} lattice", "L_coarse", 1024 * L_coarse**2)
    # xi_k = 2 pi k / L_c with k = 0 .. L_c - 1 (not wrapped to [-pi, pi)), so that the alias
    # omega_e = xi / 2 + pi e is the fine FFT frequency of index k + e L_c (_alias_indices)
    xi = 2.0 * np.pi * np.arange(L_coarse) / L_coarse
    alias = [xi / 2.0, xi / 2.0 + np.pi]  # omega for e = 0, 1 along one axis
    H = [_response(h, w) for w in alias]
    G = [_response(g, w) for w in alias]
    pairs = [(H, H), (H, G), (G, H), (G, G)]  # (filter on axis -2, filter on axis -1) per channel
    U = np.empty((L_coarse, L_coarse, 4, 4), dtype=complex)
    for c, (A, B) in enumerate(pairs):
        for ey, ex in product((0, 1), (0, 1)):
            U[:, :, c, 2 * ey + ex] = np.conj(np.multiply.outer(A[ey], B[ex])) / 2.0
    return U


def _alias_indices(L_coarse: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fine FFT indices (iy, ix) of the aliases omega_e of every coarse frequency, e = 2 e_y + e_x."""
    k = np.arange(L_coarse)
    return [np.ix_(k + ey * L_coarse, k + ex * L_coarse) for ey, ex in product((0, 1), (0, 1))]


def stencil_shifts(radius: int, *, half: bool) -> list[tuple[int, int]]:
    """Shifts with :math:`|\\Delta|_\\infty \\le` ``radius``; with ``half`` one of each pair
    :math:`\\pm\\Delta` (for symmetric couplings of a field with itself)."""
    radius = check_radius(radius)
    half = check_bool("half", half)
    check_memory(f"the {(2 * radius + 1) ** 2} shifts of radius {radius}", "radius", 150 * (2 * radius + 1) ** 2)
    shifts = [(dy, dx) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)]
    if half:
        shifts = [s for s in shifts if s > (0, 0) or s == (0, 0)]
    return shifts


@dataclass(frozen=True, eq=False)
class Scale:
    """The exact solution at scale j (module docstring), arrays over the coarse FFT grid.

    ``Q`` (L_j, L_j, 4, 4) joint precision of (phi_j, psibar_j); ``coupling`` = Q_hh (3 x 3, the
    details' own couplings Kbar_j), ``cross_coupling`` = Q_hl (3, the couplings Kbar'_j to phi_j),
    ``mean_operator`` = -Q_hh^{-1} Q_hl, ``covariance`` = Q_hh^{-1}, ``marginal`` = Khat_j,
    ``free_energy_kernel`` = -Q_lh Q_hh^{-1} Q_hl and ``free_energy_constant`` =
    (1/2) sum_xi ln det(Q_hh / 2 pi).
    """

    j: int
    L: int
    gamma: float
    Q: np.ndarray
    coupling: np.ndarray
    cross_coupling: np.ndarray
    mean_operator: np.ndarray
    covariance: np.ndarray
    marginal: np.ndarray
    free_energy_kernel: np.ndarray
    free_energy_constant: float

    def free_energy(self, phi: ArrayLike) -> np.ndarray:
        """Fbar_j(phi_j) = -ln int exp(-Ebar_j) dpsibar_j for coarse fields phi (..., L_j, L_j):
        (1/2N) sum_xi free_energy_kernel(xi) |phi_hat(xi)|^2 + free_energy_constant."""
        phi = real_array("phi", phi)
        if phi.shape[-2:] != (self.L, self.L):
            raise ValueError(f"phi must end in ({self.L}, {self.L}) at scale {self.j}, got shape {phi.shape}")
        with np.errstate(over="ignore", invalid="ignore"):
            power = np.abs(np.fft.fft2(phi)) ** 2
            value = 0.5 * np.sum(self.free_energy_kernel * power, axis=(-2, -1)) / self.L**2 + self.free_energy_constant
        return finite_result("phi", value, "the free energy")

    def kernels(self) -> tuple[np.ndarray, np.ndarray]:
        """Real-space coupling kernels: Kbar_j (3, 3, L_j, L_j) and Kbar'_j (3, L_j, L_j); the value at
        index Delta = (dy, dx) couples psibar_c at site k + Delta with psibar_c' (resp. phi_j) at site k,
        Ebar_j = 1/2 sum psibar_c(k + Delta) Kbar[c, c', Delta] psibar_c'(k) + sum psibar_c(k + Delta)
        Kbar'[c, Delta] phi_j(k) (the convolution kernels, inverse FFTs of Q_hh and Q_hl)."""
        hh = np.fft.ifft2(np.moveaxis(self.coupling, (2, 3), (0, 1)), axes=(-2, -1))
        hl = np.fft.ifft2(np.moveaxis(self.cross_coupling, 2, 0), axes=(-2, -1))
        return _real(hh, "Kbar"), _real(hl, "Kbar'")

    def coupling_range(self, tol: float = 1e-3) -> int:
        """The smallest r such that every coupling at a shift with :math:`|\\Delta|_\\infty > r` is
        below ``tol`` times the largest coupling (of Kbar and Kbar' together)."""
        hh, hl = self.kernels()
        magnitude = np.maximum(np.abs(hh).max(axis=(0, 1)), np.abs(hl).max(axis=0))
        d = np.minimum(np.arange(self.L), self.L - np.arange(self.L))
        distance = np.maximum.outer(d, d)
        large = distance[magnitude > tol * magnitude.max()]
        return int(large.max()) if large.size else 0


def _real(arr: np.ndarray, name: str) -> np.ndarray:
    scale = max(1.0, float(np.abs(arr).max()))
    if np.abs(arr.imag).max() > 1e-9 * scale:
        raise RuntimeError(f"{name} kernel is not real: the polyphase matrices break the field's reality")
    return arr.real


@dataclass(frozen=True)
class ConditionNumbers:
    """Condition numbers (module docstring), each the ratio of the largest to the smallest eigenvalue
    (``inf`` for a matrix singular to working precision).

    Attributes
    ----------
    full : float
        Of the microscopic precision (zero mode excluded if it is 0).
    conditional : tuple of float
        Per scale j = 1..J, of the conditional precision Q_hh over all coarse frequencies.
    fisher_direct : float
        Of the Fisher matrix of the direct local ansatz with couplings at ``radius``.
    fisher_conditional : tuple of float
        ``fisher_conditional[j - 1]``: of the Fisher matrix of the conditional ansatz at scale j, or NaN
        where it is undefined: the coarse lattice is too small for distinct shifts (L_j <= 2 radius, as
        for :class:`wirg.ansatz.QuadraticAnsatz`).
    radius : int
        The stencil radius of both ansatzes.
    fisher_conditional_reason : tuple of (str or None)
        Per scale, None where ``fisher_conditional`` is a number, else one line saying why it is NaN
        (for a user interface to print next to it).
    """

    full: float
    conditional: tuple[float, ...]
    fisher_direct: float
    fisher_conditional: tuple[float, ...]
    radius: int
    fisher_conditional_reason: tuple[str | None, ...]


def _spectrum_array(name: str, value: ArrayLike, L: int | None) -> np.ndarray:
    arr = real_array(name, value)
    if L is not None:
        L = count("L", L, minimum=2)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be an L x L array on the FFT grid, got shape {arr.shape}")
    if L is not None and arr.shape[0] != L:
        raise ValueError(f"{name} has side {arr.shape[0]} but L = {L}")
    side = arr.shape[0]
    if side < 2 or side & (side - 1):
        raise ValueError(f"L must be a power of two >= 2, got {side}")
    check_memory(
        f"the exact solution of every scale at L = {side}", name, _BYTES_PER_SITE * side * side, "use a smaller L"
    )
    if not np.allclose(arr, np.roll(arr[::-1, ::-1], 1, axis=(0, 1)), rtol=1e-12, atol=0.0):
        raise ValueError(f"{name} must be symmetric, S(k) = S(-k), for a real field")
    return arr


class GaussianWIRG:
    r"""The exact WIRG of a stationary Gaussian field (module docstring).

    Parameters
    ----------
    spectrum
        Covariance spectrum :math:`S(k) > 0` on the L x L FFT grid (numpy order), e.g.
        :func:`wirg.fields.free_field_spectrum` (which gives the zero mode a finite variance).
    precision
        Or the precision :math:`\hat K(k) = 1/S(k) \ge 0`, which may vanish at k = 0 only (a
        massless field whose zero mode is not fixed: it then stays in the coarsest field).
    L
        Side of the lattice (checked against the array).
    wavelet
        ``"db4"`` (default) or ``"haar"``.
    levels
        Depth J (default: down to a 1 x 1 coarse field).
    gamma
        Normalisation gamma_j (a number or one per level); 1 is orthonormal.
    """

    def __init__(
        self,
        spectrum: ArrayLike | None = None,
        *,
        precision: ArrayLike | None = None,
        L: int | None = None,
        wavelet: str = "db4",
        levels: int | None = None,
        gamma: float | Sequence[float] = 1.0,
    ) -> None:
        if (spectrum is None) == (precision is None):
            raise ValueError("give exactly one of spectrum and precision")
        if spectrum is not None:
            S = _spectrum_array("spectrum", spectrum, L)
            if np.any(S <= 0):
                raise ValueError("spectrum must be > 0 everywhere (a covariance spectrum)")
            with np.errstate(over="ignore"):
                K0 = 1.0 / S
            if not np.all(np.isfinite(K0)):
                raise ValueError(
                    f"spectrum must be >= 1/{np.finfo(float).max:.3g} (its inverse, the precision, overflows)"
                )
        else:
            K0 = _spectrum_array("precision", precision, L)
            if np.any(K0 < 0) or np.any(K0.ravel()[1:] <= 0):
                raise ValueError("precision must be > 0 except possibly at k = 0 (a massless zero mode)")
        self.L = K0.shape[0]
        self.wavelet = check_choice("wavelet", wavelet, WAVELETS)
        self.levels = check_levels(int(np.log2(self.L)) if levels is None else levels, self.L, "spectrum")
        self.gamma = check_gamma(gamma, self.levels)
        self.scales: list[Scale] = []
        self.precisions = [K0]
        for j in range(1, self.levels + 1):
            with np.errstate(over="ignore", invalid="ignore"):
                scale = _solve_scale(self.precisions[-1], j, self.wavelet, self.gamma[j - 1])
            self.scales.append(scale)
            self.precisions.append(scale.marginal)

    # -- reassembly -------------------------------------------------------------------------------

    def microscopic_precision(self) -> np.ndarray:
        r"""The fine precision rebuilt from the coarsest marginal and the per-scale couplings only:
        at each scale the joint precision :math:`[[\hat K_j - \bar F\text{-kernel}, Q_{lh}], [Q_{hl},
        Q_{hh}]]` is mapped back through :math:`U` (which must give a diagonal fine precision)."""
        K = self.precisions[-1]
        for scale in reversed(self.scales):
            joint = np.empty_like(scale.Q)
            joint[..., 0, 0] = K - scale.free_energy_kernel
            joint[..., 0, 1:] = np.conj(scale.cross_coupling)
            joint[..., 1:, 0] = scale.cross_coupling
            joint[..., 1:, 1:] = scale.coupling
            U = polyphase_matrix(scale.L, self.wavelet)
            fine_blocks = np.conj(np.swapaxes(U, -1, -2)) @ joint @ U / scale.gamma**2
            off = fine_blocks - np.einsum("...ii->...i", fine_blocks)[..., None] * np.eye(4)
            if np.abs(off).max() > 1e-9 * max(1.0, np.abs(fine_blocks).max()):
                raise RuntimeError("the reassembled fine precision is not stationary")
            fine = np.empty((2 * scale.L, 2 * scale.L))
            for e, index in enumerate(_alias_indices(scale.L)):
                fine[index] = fine_blocks[..., e, e].real
            K = fine
        return K

    # -- generation -------------------------------------------------------------------------------

    def sample(self, n_samples: int, *, seed: int | np.random.Generator) -> np.ndarray:
        """Exact coarse-to-fine generation: phi_J from its marginal, then psibar_j | phi_j for
        j = J..1 (Gaussian, in Fourier) and the wavelet synthesis. Shape (n_samples, L, L)."""
        rng = as_generator(seed)
        n_samples = count("n_samples", n_samples, minimum=1)
        check_memory(f"{n_samples} fields on the {self.L} x {self.L} lattice", "n_samples", 200 * n_samples * self.L**2)
        K = self.precisions[-1]
        if np.any(K <= 0):
            raise ValueError(
                "the coarsest marginal has a zero mode of infinite variance (massless precision): "
                "give a spectrum with a finite zero-mode variance to sample"
            )
        noise = np.fft.fft2(rng.standard_normal((n_samples,) + K.shape))
        phi = np.fft.ifft2(noise / np.sqrt(K)).real
        for scale in reversed(self.scales):
            details = sample_details(scale.covariance, scale.mean_operator, phi, rng)
            phi = synthesis_step(phi, details, self.wavelet, scale.gamma)
        return phi

    # -- condition numbers ------------------------------------------------------------------------

    def condition_numbers(self, radius: int = 1) -> ConditionNumbers:
        """Condition numbers of the module docstring, couplings at shifts :math:`|\\Delta|_\\infty \\le`
        ``radius``.

        Raises
        ------
        ValueError
            If ``radius`` does not fit the lattice (``L <= 2 radius``: the shifts of the direct ansatz
            would coincide and its Fisher matrix be singular), or if the Fisher matrices would need more
            than 2 GiB of memory (the estimate is in the message; checked before allocating).
        """
        radius = check_radius(radius)
        if self.L <= 2 * radius:
            raise ValueError(
                f"radius = {radius} does not fit the L = {self.L} lattice: the shifts |Delta| <= radius are "
                f"distinct only for L > 2 radius (use radius <= {(self.L - 1) // 2})"
            )
        n_half = len(stencil_shifts(radius, half=True))
        if n_half**2 * self.L**2 > _MAX_DIRECT_WORK:
            raise ValueError(
                f"radius: the direct Fisher matrix at L = {self.L} with radius {radius} ({n_half} couplings) "
                f"would take about {n_half**2 * self.L**2:.2g} operations (limit {_MAX_DIRECT_WORK:.0e}); "
                "use a smaller radius"
            )
        n_dd = 3 * n_half + 3 * len(stencil_shifts(radius, half=False))
        n_dc = 3 * len(stencil_shifts(radius, half=False))
        fitted = [s for s in self.scales if s.L > 2 * radius]
        if fitted:  # peak of _fisher_conditional at the finest scale (complex A, A Sigma, R, Sigma R, temporaries):
            # 16 (40 n_dd + 6 n) bytes per coarse site: 1.01-1.05 times the peak measured with tracemalloc
            # at L = 32..256, radius 1 and 2
            check_memory(
                f"the conditional Fisher matrices at L = {self.L} with radius {radius}",
                "radius",
                16 * fitted[0].L ** 2 * (40 * n_dd + 6 * (n_dd + n_dc)),
                "use a smaller radius or L",
            )
        K0 = self.precisions[0]
        positive = K0[K0 > 0]
        full = float(positive.max() / positive.min())
        conditional = [_eigenvalue_ratio(np.linalg.eigvalsh(scale.coupling)) for scale in self.scales]
        fisher, reasons = [], []
        for s in self.scales:
            if s.L > 2 * radius:
                fisher.append(_fisher_conditional(s, radius))
                reasons.append(None)
            else:
                fisher.append(math.nan)
                reasons.append(
                    f"undefined at j = {s.j}: the coarse lattice L_j = {s.L} is too small for distinct shifts "
                    f"|Delta| <= {radius} (needs L_j > 2 radius = {2 * radius})"
                )
        return ConditionNumbers(
            full, tuple(conditional), _fisher_direct(K0, radius), tuple(fisher), radius, tuple(reasons)
        )


def sample_details(
    covariance: np.ndarray, mean_operator: np.ndarray, phi: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Details psibar (n, 3, L, L) drawn from the Gaussian conditional given coarse fields phi (n, L, L):
    in Fourier, mean ``mean_operator`` (L, L, 3) times phi_hat plus a Cholesky factor of
    ``covariance`` (L, L, 3, 3, Hermitian, with C(-xi) = conj C(xi) so the fields are real) times the
    FFT of real white noise. ``rng`` may also be an integer seed."""
    phi = real_array("phi", phi)
    if phi.ndim != 3 or phi.shape[1] != phi.shape[2]:
        raise ValueError(f"phi must have shape (n, L, L), got {phi.shape}")
    n, L = phi.shape[0], phi.shape[-1]
    covariance, mean_operator = np.asarray(covariance), np.asarray(mean_operator)
    for name, value, shape in (("covariance", covariance, (L, L, 3, 3)), ("mean_operator", mean_operator, (L, L, 3))):
        if value.shape != shape or value.dtype.kind not in "iufc" or not np.all(np.isfinite(value)):
            raise ValueError(f"{name} must be a finite array of shape {shape} for phi of shape {phi.shape}")
    rng = as_generator(rng, "rng")
    try:
        chol = np.linalg.cholesky(0.5 * (covariance + np.conj(np.swapaxes(covariance, -1, -2))))
    except np.linalg.LinAlgError:
        raise ValueError("covariance must be positive definite at every frequency") from None
    white = np.fft.fft2(rng.standard_normal((n, 3, L, L)))
    mean = mean_operator[None] * np.fft.fft2(phi)[..., None]  # (n, L, L, 3)
    fluct = np.einsum("yxab,nbyx->nyxa", chol, white)
    return np.fft.ifft2(np.moveaxis(mean + fluct, -1, 1)).real


def _solve_scale(K_fine: np.ndarray, j: int, wavelet: str, gamma: float) -> Scale:
    L = K_fine.shape[0] // 2
    U = polyphase_matrix(L, wavelet)
    diag = np.stack([K_fine[index] for index in _alias_indices(L)], axis=-1)  # (L, L, 4)
    Q = np.float64(gamma) ** 2 * (U * diag[..., None, :]) @ np.conj(np.swapaxes(U, -1, -2))
    Q = 0.5 * (Q + np.conj(np.swapaxes(Q, -1, -2)))  # exactly Hermitian
    Q_hh, Q_hl, Q_ll = Q[..., 1:, 1:], Q[..., 1:, 0], Q[..., 0, 0].real
    try:
        covariance = np.linalg.inv(Q_hh)
    except np.linalg.LinAlgError:
        covariance = np.full_like(Q_hh, np.nan)  # refused below
    mean_operator = -np.einsum("...ab,...b->...a", covariance, Q_hl)
    schur = np.einsum("...a,...a->...", np.conj(Q_hl), -mean_operator).real  # Q_lh Q_hh^{-1} Q_hl
    sign, logdet = np.linalg.slogdet(Q_hh / (2.0 * np.pi))
    if np.any(sign.real <= 0) or not np.all(np.isfinite(logdet)) or not np.all(np.isfinite(covariance)):
        raise ValueError(
            f"spectrum and gamma give a conditional precision at scale {j} that is not positive definite to "
            "working precision (values spanning too many orders of magnitude)"
        )
    return Scale(
        j=j,
        L=L,
        gamma=gamma,
        Q=Q,
        coupling=Q_hh,
        cross_coupling=Q_hl,
        mean_operator=mean_operator,
        covariance=covariance,
        marginal=Q_ll - schur,
        free_energy_kernel=-schur,
        free_energy_constant=0.5 * float(logdet.real.sum()),
    )


def _shift_symbol(shift: tuple[int, int], L: int) -> np.ndarray:
    """Fourier symbol e^{i k . Delta} of the shift on the L x L FFT grid."""
    k = 2.0 * np.pi * np.fft.fftfreq(L)
    return np.exp(1j * np.add.outer(k * shift[0], k * shift[1]))


def _eigenvalue_ratio(eig: np.ndarray) -> float:
    """max / min of the eigenvalues of a positive semi-definite matrix; ``inf`` if the smallest is not
    positive (singular to working precision: a rounding-level eigenvalue of either sign)."""
    smallest = float(eig.min())
    return float(eig.max() / smallest) if smallest > 0.0 else math.inf


def _condition(F: np.ndarray) -> float:
    return _eigenvalue_ratio(np.linalg.eigvalsh(0.5 * (F + F.T)))


def _fisher_direct(K0: np.ndarray, radius: int) -> float:
    """Fisher matrix of E = 1/2 sum_a theta_a sum_x phi_x (phi_{x+D_a} + phi_{x-D_a}) / 2 (D_a != 0),
    theta_0 phi_x^2 / 2: symbols tau_a(k) = cos(k . D_a); F_ab = (1/2N) sum_k tau_a tau_b S(k)^2."""
    L = K0.shape[0]
    S = np.where(K0 > 0, 1.0 / np.where(K0 > 0, K0, 1.0), 0.0)  # a massless zero mode is left out
    symbols = [(_shift_symbol(s, L).real) for s in stencil_shifts(radius, half=True)]
    F = np.array([[0.5 * np.mean(a * b * S * S) for b in symbols] for a in symbols])
    return _condition(F)


def _fisher_conditional(scale: Scale, radius: int) -> float:
    """Fisher matrix E_phi Cov(Phi | phi) / N of the conditional ansatz at one scale (module docstring):
    detail-detail couplings (channel pairs c <= c', shifts |D| <= radius, one of +-D for c = c') and
    detail-coarse couplings (channel c, shifts |D| <= radius)."""
    L = scale.L
    Sigma = scale.covariance  # (L, L, 3, 3)
    M = scale.mean_operator  # (L, L, 3)
    C = np.where(scale.marginal > 0, 1.0 / np.where(scale.marginal > 0, scale.marginal, 1.0), 0.0)
    A_ops, B_ops = [], []
    for c, cp in product(range(3), range(3)):
        if cp < c:
            continue
        for shift in stencil_shifts(radius, half=(c == cp)):
            sym = _shift_symbol(shift, L)
            A = np.zeros((L, L, 3, 3), dtype=complex)  # 1/2 psi^T A psi = psi_c(x) psi_c'(x + D) summed
            A[..., c, cp] += 0.5 * sym
            A[..., cp, c] += 0.5 * np.conj(sym)
            A_ops.append(A)
    for c in range(3):
        for shift in stencil_shifts(radius, half=False):
            B = np.zeros((L, L, 3), dtype=complex)  # psi^T B phi = psi_c(x) phi(x + D) summed
            B[..., c] = _shift_symbol(shift, L)
            B_ops.append(B)
    # features: 1/2 psi^T A psi (B = 0) and psi^T B phi (A = 0); R = B + A M. F_ab is the mean over xi of
    # Re conj(R_a) Sigma R_b C + (1/2) tr(A_a Sigma A_b Sigma) (the trace for two detail-detail couplings),
    # summed over xi as matrix products of the flattened (xi, channel) axes
    A = np.stack(A_ops)  # (n_a, L, L, 3, 3)
    R = np.concatenate([np.einsum("nyxab,yxb->nyxa", A, M), np.stack(B_ops)])  # (n, L, L, 3)
    n_a, n = len(A_ops), len(R)
    SR = np.einsum("yxab,nyxb->nyxa", Sigma, R)
    F = ((np.conj(R) * C[..., None]).reshape(n, -1) @ SR.reshape(n, -1).T).real / (L * L)
    quad = A @ Sigma  # A Sigma
    F[:n_a, :n_a] += 0.5 * (quad.reshape(n_a, -1) @ np.swapaxes(quad, -1, -2).reshape(n_a, -1).T).real / (L * L)
    return _condition(F)
