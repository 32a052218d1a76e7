r"""The per-scale conditional energy ansatz of the wavelet conditional renormalisation group, and the
local quadratic ansatz of the microscopic field it is compared with.

**Conditional ansatz** (Marchand, Ozawa, Biroli & Mallat, PRX 13, 041038 (2023), eq. (14);
the theory page ``docs/theory/wirg.md``). At scale :math:`j`, with :math:`\bar\psi = \bar\psi_j` the three detail
channels and :math:`\varphi = \varphi_j` the coarse field on the periodic :math:`L_j\times L_j`
lattice,

.. math::

    \bar E_j(\bar\psi|\varphi) = \tfrac12 \sum_{k,\Delta}\sum_{c,c'} \bar\psi_c(k+\Delta)\,
    \bar K[c,c',\Delta]\,\bar\psi_{c'}(k) + \sum_{k,\Delta}\sum_c \bar\psi_c(k+\Delta)\,
    \bar K'[c,\Delta]\,\varphi(k) + \sum_x v\big(\varphi_{j-1}(x)\big),

the kernel convention of :meth:`wirg.gaussian.Scale.kernels`, with couplings on the shifts
:math:`|\Delta|_\infty \le r` and :math:`\varphi_{j-1} = \gamma_j(G^\top\varphi_j +
\bar G^\top\bar\psi_j)` the reconstructed finer field (:func:`wirg.wavelets.synthesis_step`).
Only the symmetric part of :math:`\bar K` enters, :math:`\bar K[c,c',\Delta] =
\bar K[c',c,-\Delta]`, so each independent entry is one parameter:

* detail-detail ``("dd", c, c', Delta)``, :math:`c < c'` and every shift, or :math:`c = c'` and one
  shift of each pair :math:`\pm\Delta` (:func:`wirg.gaussian.stencil_shifts` with ``half=True``);
  feature :math:`\Phi = \sum_k \bar\psi_c(k+\Delta)\bar\psi_{c'}(k)`, except
  :math:`\tfrac12\sum_k\bar\psi_c(k)^2` for :math:`c = c', \Delta = 0`;
* detail-coarse ``("dc", c, Delta)``, every shift; :math:`\Phi = \sum_k\bar\psi_c(k+\Delta)\varphi(k)`;
* potential ``("v", i)``: :math:`v(t) = \sum_i \alpha_i \rho_i(t)`,
  :math:`\Phi = \sum_x \rho_i(\varphi_{j-1}(x))` (a :class:`Potential`).

The energy is linear in the parameters, :math:`\bar E = \theta\cdot\Phi(\bar\psi, \varphi)`.
Its gradient, used by Langevin samplers, is

.. math::

    \frac{\partial\bar E}{\partial\bar\psi_c(x)} = \sum_{c',\Delta}\bar K[c,c',\Delta]\bar\psi_{c'}(x-\Delta)
    + \sum_\Delta \bar K'[c,\Delta]\varphi(x-\Delta) + \gamma_j\,\big[\bar G\, v'(\varphi_{j-1})\big]_c(x),

the convolutions computed by FFT (:math:`\hat{\bar K}(\xi) = \sum_\Delta\bar K[\Delta]e^{-i\xi\cdot\Delta}`,
which is :math:`Q_{hh}(\xi)` of :mod:`wirg.gaussian`) and the last term the chain rule through the
synthesis, :math:`\partial\varphi_{j-1}/\partial\bar\psi = \gamma_j\bar G^\top`, i.e. ``gamma**2``
times the details of ``analysis_step(v', wavelet, gamma)``.

**Local (direct) ansatz** of the microscopic field, the baseline WIRG is compared with:
:math:`E(\varphi) = \tfrac12\sum_a\theta_a\sum_x\varphi_x\varphi_{x+\Delta_a}` over one shift of
each pair :math:`\pm\Delta`, :math:`|\Delta|_\infty\le r`, i.e. the precision symbol
:math:`\hat K(k) = \sum_a \theta_a\cos(k\cdot\Delta_a)` (the parametrisation of
:meth:`wirg.gaussian.GaussianWIRG.condition_numbers`).

References
----------
T. Marchand, M. Ozawa, G. Biroli & S. Mallat, "Multiscale data-driven energy estimation and
generation", Phys. Rev. X 13, 041038 (2023), section III.
"""

from __future__ import annotations

import abc
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from wirg.checks import (
    check_choice,
    check_gamma_scalar,
    check_memory,
    check_radius,
    check_side,
    count,
    field_pair,
    finite_result,
    real_array,
    show,
)
from wirg.gaussian import stencil_shifts
from wirg.wavelets import WAVELETS, analysis_step, synthesis_step

__all__ = ["Potential", "PolynomialPotential", "QuadraticAnsatz", "LocalAnsatz"]


# --------------------------------------------------------------------------------------------
# scalar potential on the reconstructed finer field


class Potential(abc.ABC):
    r"""A scalar potential :math:`v(t) = \sum_i \alpha_i \rho_i(t)`, linear in :math:`\alpha`, acting
    site by site on the reconstructed finer field :math:`\varphi_{j-1}`.

    Subclasses give the basis :math:`\rho_i` and its derivative :math:`\rho_i'`; the features
    :math:`\sum_x\rho_i(\varphi(x))` and :math:`v'` follow.
    """

    @property
    @abc.abstractmethod
    def n_params(self) -> int:
        """Number of basis functions."""

    @abc.abstractmethod
    def basis(self, t: np.ndarray) -> np.ndarray:
        r""":math:`\rho_i(t)` stacked on a new last axis: shape ``t.shape + (n_params,)``."""

    @abc.abstractmethod
    def basis_derivative(self, t: np.ndarray) -> np.ndarray:
        r""":math:`\rho_i'(t)` stacked on a new last axis."""

    def features(self, phi_fine: np.ndarray) -> np.ndarray:
        r""":math:`\sum_x \rho_i(\varphi(x))` for ``phi_fine`` of shape (batch, L, L): (batch, n_params)."""
        return self.basis(phi_fine).sum(axis=(-3, -2))

    def derivative(self, alpha: np.ndarray, phi_fine: np.ndarray) -> np.ndarray:
        r""":math:`v'(\varphi(x)) = \sum_i\alpha_i\rho_i'(\varphi(x))`, the gradient of
        :math:`\sum_x v(\varphi(x))` with respect to ``phi_fine`` (same shape)."""
        return self.basis_derivative(phi_fine) @ alpha


class PolynomialPotential(Potential):
    r"""Monomials :math:`\rho_i(t) = t^{p_i}`, e.g. ``powers=(4,)`` for the :math:`\varphi^4` term.

    A power 2 duplicates the quadratic couplings (:math:`\sum_x\varphi_{j-1}^2 = \gamma_j^2
    (|\varphi_j|^2 + |\bar\psi_j|^2)`), which makes the parameters of a conditional model redundant.

    Parameters
    ----------
    powers
        Distinct integers >= 1.
    """

    def __init__(self, powers: Sequence[int] = (4,)) -> None:
        if isinstance(powers, (str, bytes)) or not isinstance(powers, Sequence) or not powers:
            raise TypeError(f"powers must be a non-empty sequence of integers, got {show(powers)}")
        for p in powers:
            if isinstance(p, bool) or not isinstance(p, numbers.Integral) or p < 1:
                raise ValueError(f"powers must be integers >= 1, got {show(powers)}")
        if len(set(powers)) != len(powers):
            raise ValueError(f"powers must be distinct, got {show(powers)}")
        self.powers = tuple(int(p) for p in powers)

    @property
    def n_params(self) -> int:
        return len(self.powers)

    def basis(self, t: np.ndarray) -> np.ndarray:
        return np.stack([t**p for p in self.powers], axis=-1)

    def basis_derivative(self, t: np.ndarray) -> np.ndarray:
        return np.stack([p * t ** (p - 1) for p in self.powers], axis=-1)

    def __repr__(self) -> str:
        return f"PolynomialPotential(powers={self.powers})"


# --------------------------------------------------------------------------------------------
# the conditional ansatz


class QuadraticAnsatz:
    r"""The conditional energy :math:`\bar E_j(\bar\psi|\varphi_j)` of the module docstring.

    Parameters
    ----------
    radius
        :math:`r \ge 0`: couplings at shifts :math:`|\Delta|_\infty \le r`.
    potential
        Optional :class:`Potential` on the reconstructed field :math:`\varphi_{j-1}`.
    wavelet, gamma
        The transform used to reconstruct :math:`\varphi_{j-1}` (only needed with a potential).

    Attributes
    ----------
    labels : list of tuple
        The parameter of each index: ``("dd", c, c', (dy, dx))``, ``("dc", c, (dy, dx))``, ``("v", i)``.
    n_dd, n_dc, n_params : int
        Numbers of detail-detail, detail-coarse and all parameters.
    """

    def __init__(
        self, radius: int, *, potential: Potential | None = None, wavelet: str = "db4", gamma: float = 1.0
    ) -> None:
        self.radius = check_radius(radius)
        if potential is not None and not isinstance(potential, Potential):
            raise TypeError(f"potential must be a Potential or None, got {type(potential).__name__}")
        self.potential = potential
        self.wavelet = check_choice("wavelet", wavelet, WAVELETS)
        self.gamma = check_gamma_scalar(gamma)
        dd = [
            ("dd", c, cp, s)
            for c in range(3)
            for cp in range(c, 3)
            for s in stencil_shifts(self.radius, half=(c == cp))
        ]
        dc = [("dc", c, s) for c in range(3) for s in stencil_shifts(self.radius, half=False)]
        pot = [("v", i) for i in range(potential.n_params)] if potential is not None else []
        self.labels = dd + dc + pot
        self.n_dd, self.n_dc = len(dd), len(dc)
        self.n_params = len(self.labels)
        self._shifts = stencil_shifts(self.radius, half=False)
        self._dd_index = [(self._shifts.index(s), c, cp) for _, c, cp, s in dd]
        self._dd_weight = np.array([0.5 if (c == cp and s == (0, 0)) else 1.0 for _, c, cp, s in dd])
        self._dc_index = [(self._shifts.index(s), c) for _, c, s in dc]

    def __repr__(self) -> str:
        return f"QuadraticAnsatz(radius={self.radius}, potential={self.potential!r}, n_params={self.n_params})"

    def check_theta(self, theta: ArrayLike) -> np.ndarray:
        """``theta`` as a float array of shape (n_params,), or ValueError/TypeError naming it."""
        arr = real_array("theta", theta)
        if arr.shape != (self.n_params,):
            raise ValueError(f"theta must have shape ({self.n_params},) for {self!r}, got {arr.shape}")
        return arr

    # -- features and energy ------------------------------------------------------------------

    def features(self, psibar: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
        r"""Features :math:`\Phi_a(\bar\psi, \varphi_j)`, sums over the periodic lattice.

        Parameters
        ----------
        psibar : array_like, shape (batch, 3, n, n) or (3, n, n)
        phi_j : array_like, shape (batch, n, n) or (n, n)

        Returns
        -------
        ndarray, shape (batch, n_params)
        """
        psi, phi = field_pair(psibar, phi_j, self.radius)
        B = psi.shape[0]
        pp = np.empty((len(self._shifts), B, 3, 3))
        pc = np.empty((len(self._shifts), B, 3))
        with np.errstate(over="ignore", invalid="ignore"):
            for i, (dy, dx) in enumerate(self._shifts):
                shifted = np.roll(psi, (-dy, -dx), axis=(-2, -1))  # shifted[k] = psi(k + Delta)
                pp[i] = np.einsum("bcyx,bdyx->bcd", shifted, psi)
                pc[i] = np.einsum("bcyx,byx->bc", shifted, phi)
            out = np.empty((B, self.n_params))
            out[:, : self.n_dd] = np.stack([pp[i, :, c, cp] for i, c, cp in self._dd_index], axis=1) * self._dd_weight
            out[:, self.n_dd : self.n_dd + self.n_dc] = np.stack([pc[i, :, c] for i, c in self._dc_index], axis=1)
            if self.potential is not None:
                out[:, self.n_dd + self.n_dc :] = self.potential.features(self.reconstruct(psi, phi))
        return finite_result("psibar and phi_j", out, "the features")

    def reconstruct(self, psibar: np.ndarray, phi_j: np.ndarray) -> np.ndarray:
        r""":math:`\varphi_{j-1} = \gamma_j(G^\top\varphi_j + \bar G^\top\bar\psi_j)` with this ansatz's wavelet."""
        return synthesis_step(phi_j, psibar, self.wavelet, self.gamma)

    def energy(self, theta: ArrayLike, psibar: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
        r""":math:`\bar E = \theta\cdot\Phi(\bar\psi, \varphi_j)`, shape (batch,)."""
        features, theta = self.features(psibar, phi_j), self.check_theta(theta)
        with np.errstate(over="ignore", invalid="ignore"):
            return finite_result("theta, psibar and phi_j", features @ theta, "the energy")

    def grad_psibar(self, theta: ArrayLike, psibar: ArrayLike, phi_j: ArrayLike) -> np.ndarray:
        r""":math:`\partial\bar E/\partial\bar\psi` (module docstring), shape (batch, 3, n, n)."""
        psi, phi = field_pair(psibar, phi_j, self.radius)
        operator = self.operator(theta, psi.shape[-1])
        with np.errstate(over="ignore", invalid="ignore"):
            grad = operator.energy_and_grad(psi, phi)[1]
        return finite_result("theta, psibar and phi_j", grad, "the gradient")

    # -- kernels ------------------------------------------------------------------------------

    def kernels(self, theta: ArrayLike, L_j: int) -> tuple[np.ndarray, np.ndarray]:
        r"""Real-space kernels :math:`\bar K` (3, 3, L_j, L_j) and :math:`\bar K'` (3, L_j, L_j) of the
        quadratic part, indexed by the shift :math:`\Delta` modulo :math:`L_j` (convention of
        :meth:`wirg.gaussian.Scale.kernels`); zero outside the stencil."""
        theta = self.check_theta(theta)
        L_j = count("L_j", L_j, minimum=1)
        check_side("L_j", L_j, self.radius)
        check_memory(f"the kernels on the {L_j} x {L_j} lattice", "L_j", 400 * L_j * L_j)
        K = np.zeros((3, 3, L_j, L_j))
        Kp = np.zeros((3, L_j, L_j))
        for value, (_, c, cp, (dy, dx)) in zip(theta[: self.n_dd], self.labels[: self.n_dd]):
            K[c, cp, dy % L_j, dx % L_j] = value
            K[cp, c, -dy % L_j, -dx % L_j] = value
        for value, (_, c, (dy, dx)) in zip(theta[self.n_dd : self.n_dd + self.n_dc], self.labels[self.n_dd :]):
            Kp[c, dy % L_j, dx % L_j] = value
        return K, Kp

    def from_kernels(self, Kbar: ArrayLike, Kbar_prime: ArrayLike, *, alpha: ArrayLike | None = None) -> np.ndarray:
        r"""Parameters of the kernels truncated to the stencil (the exact truncation of, e.g.,
        :meth:`wirg.gaussian.Scale.kernels`); ``alpha`` the potential's coefficients (default 0).

        Raises ValueError if ``Kbar`` is not symmetric, :math:`\bar K[c,c',\Delta] \ne \bar K[c',c,-\Delta]`.
        """
        K = real_array("Kbar", Kbar)
        Kp = real_array("Kbar_prime", Kbar_prime)
        if K.ndim != 4 or K.shape[:2] != (3, 3) or K.shape[2] != K.shape[3]:
            raise ValueError(f"Kbar must have shape (3, 3, L_j, L_j), got {K.shape}")
        L = K.shape[-1]
        if Kp.shape != (3, L, L):
            raise ValueError(f"Kbar_prime must have shape (3, {L}, {L}) to match Kbar, got {Kp.shape}")
        check_side("Kbar", L, self.radius)
        mirrored = np.roll(K.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1], (1, 1), axis=(-2, -1))  # K[c', c, -D]
        if not np.allclose(K, mirrored, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(K).max())):
            raise ValueError("Kbar must be symmetric: Kbar[c, c', D] = Kbar[c', c, -D]")
        theta = np.zeros(self.n_params)
        for a, (_, c, cp, (dy, dx)) in enumerate(self.labels[: self.n_dd]):
            theta[a] = K[c, cp, dy % L, dx % L]
        for a, (_, c, (dy, dx)) in enumerate(self.labels[self.n_dd : self.n_dd + self.n_dc], start=self.n_dd):
            theta[a] = Kp[c, dy % L, dx % L]
        n_v = self.n_params - self.n_dd - self.n_dc
        if alpha is not None:
            alpha = real_array("alpha", alpha)
            if alpha.shape != (n_v,):
                raise ValueError(f"alpha must have shape ({n_v},), got {alpha.shape}")
            theta[self.n_dd + self.n_dc :] = alpha
        return theta

    def fourier_kernels(self, theta: ArrayLike, L_j: int) -> tuple[np.ndarray, np.ndarray]:
        r""":math:`\hat{\bar K}(\xi)` (L_j, L_j, 3, 3), Hermitian, and :math:`\hat{\bar K}'(\xi)` (L_j, L_j, 3)
        on the FFT grid: :math:`\hat f(\xi) = \sum_\Delta f[\Delta] e^{-i\xi\cdot\Delta}` (``fft2``).
        For the exact Gaussian conditional these are ``coupling`` and ``cross_coupling`` of
        :class:`wirg.gaussian.Scale`."""
        K, Kp = self.kernels(theta, L_j)
        return (np.moveaxis(np.fft.fft2(K), (0, 1), (2, 3)), np.moveaxis(np.fft.fft2(Kp), 0, 2))

    def operator(self, theta: ArrayLike, L_j: int) -> _ConditionalOperator:
        """The energy and its gradient at fixed ``theta`` on an ``L_j`` lattice, with the Fourier
        kernels computed once (what a sampler calls at every step)."""
        return _ConditionalOperator(self, self.check_theta(theta), L_j)


class _ConditionalOperator:
    """:math:`\\bar E` and :math:`\\partial\\bar E/\\partial\\bar\\psi` at fixed theta (validated arrays in)."""

    def __init__(self, ansatz: QuadraticAnsatz, theta: np.ndarray, L_j: int) -> None:
        self.ansatz = ansatz
        self.theta = theta
        Khat, Kphat = ansatz.fourier_kernels(theta, L_j)
        half = L_j // 2 + 1
        self._Khat = np.ascontiguousarray(np.moveaxis(Khat, (2, 3), (0, 1))[..., :half])  # (3, 3, n, half)
        self._Kphat = np.ascontiguousarray(np.moveaxis(Kphat, 2, 0)[..., :half])  # (3, n, half)
        self.L_j = L_j
        eigenvalues = np.linalg.eigvalsh(Khat)
        self.max_eigenvalue = float(eigenvalues.max())
        self.min_eigenvalue = float(eigenvalues.min())
        self.alpha = theta[ansatz.n_dd + ansatz.n_dc :]

    def cross_field(self, phi: np.ndarray) -> np.ndarray:
        r""":math:`b_c(x) = \sum_\Delta \bar K'[c,\Delta]\varphi(x-\Delta)`, shape (B, 3, n, n)."""
        n = self.L_j
        return np.fft.irfft2(self._Kphat * np.fft.rfft2(phi)[:, None], s=(n, n))

    def energy_and_grad(
        self, psi: np.ndarray, phi: np.ndarray, cross: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        n = self.L_j
        b = self.cross_field(phi) if cross is None else cross
        Kpsi = np.fft.irfft2(np.einsum("cdyx,bdyx->bcyx", self._Khat, np.fft.rfft2(psi)), s=(n, n))
        energy = np.einsum("bcyx,bcyx->b", psi, 0.5 * Kpsi + b)
        grad = Kpsi + b
        potential = self.ansatz.potential
        if potential is not None:
            fine = self.ansatz.reconstruct(psi, phi)
            energy = energy + potential.features(fine) @ self.alpha
            gamma = self.ansatz.gamma
            grad = (
                grad + gamma**2 * analysis_step(potential.derivative(self.alpha, fine), self.ansatz.wavelet, gamma)[1]
            )
        return energy, grad


# --------------------------------------------------------------------------------------------
# the local ansatz of the microscopic field


class LocalAnsatz:
    r"""Direct local quadratic ansatz :math:`E(\varphi) = \tfrac12\sum_a\theta_a\sum_x\varphi_x\varphi_{x+\Delta_a}`
    (module docstring), one shift of each pair :math:`\pm\Delta` with :math:`|\Delta|_\infty\le r`.

    The precision symbol is :math:`\hat K(k) = \sum_a\theta_a\cos(k\cdot\Delta_a)`; the lattice free
    field :math:`\hat K = m^2 + 4 - 2\cos k_x - 2\cos k_y` is :math:`\theta = (m^2 + 4, -2, -2, 0, \dots)`
    on the shifts (0, 0), (0, 1), (1, 0), ...

    Parameters
    ----------
    radius
        :math:`r \ge 0`.
    """

    def __init__(self, radius: int) -> None:
        self.radius = check_radius(radius)
        self.shifts = stencil_shifts(self.radius, half=True)
        self.n_params = len(self.shifts)

    def __repr__(self) -> str:
        return f"LocalAnsatz(radius={self.radius}, n_params={self.n_params})"

    def check_theta(self, theta: ArrayLike) -> np.ndarray:
        arr = real_array("theta", theta)
        if arr.shape != (self.n_params,):
            raise ValueError(f"theta must have shape ({self.n_params},) for {self!r}, got {arr.shape}")
        return arr

    def check_fields(self, phi: ArrayLike) -> np.ndarray:
        """``phi`` as (batch, L, L) float64 (a single field gets a batch axis), validated."""
        arr = real_array("phi", phi)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
            raise ValueError(f"phi must have shape (batch, L, L) or (L, L), got {np.shape(phi)}")
        check_side("phi", arr.shape[-1], self.radius)
        return arr

    def features(self, phi: ArrayLike) -> np.ndarray:
        r""":math:`\Phi_a = \tfrac12\sum_x\varphi_x\varphi_{x+\Delta_a}`, shape (batch, n_params)."""
        x = self.check_fields(phi)
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.stack(
                [0.5 * np.einsum("byx,byx->b", x, np.roll(x, (-dy, -dx), axis=(-2, -1))) for dy, dx in self.shifts],
                axis=1,
            )
        return finite_result("phi", out, "the features")

    def energy(self, theta: ArrayLike, phi: ArrayLike) -> np.ndarray:
        """:math:`E = \\theta\\cdot\\Phi(\\varphi)`, shape (batch,)."""
        features, theta = self.features(phi), self.check_theta(theta)
        with np.errstate(over="ignore", invalid="ignore"):
            return finite_result("theta and phi", features @ theta, "the energy")

    def grad(self, theta: ArrayLike, phi: ArrayLike) -> np.ndarray:
        r""":math:`\partial E/\partial\varphi = K\varphi`, shape (batch, L, L)."""
        x = self.check_fields(phi)
        operator = self.operator(theta, x.shape[-1])
        with np.errstate(over="ignore", invalid="ignore"):
            grad = operator.energy_and_grad(x)[1]
        return finite_result("theta and phi", grad, "the gradient")

    def symbol(self, theta: ArrayLike, L: int) -> np.ndarray:
        r""":math:`\hat K(k) = \sum_a\theta_a\cos(k\cdot\Delta_a)` on the L x L FFT grid."""
        theta = self.check_theta(theta)
        L = count("L", L, minimum=1)
        check_side("L", L, self.radius)
        check_memory(f"the precision symbol on the {L} x {L} lattice", "L", 32 * L * L)
        k = 2.0 * np.pi * np.fft.fftfreq(L)
        return sum(t * np.cos(np.add.outer(k * dy, k * dx)) for t, (dy, dx) in zip(theta, self.shifts))

    def from_precision(self, precision: ArrayLike) -> np.ndarray:
        r"""Parameters of a stationary precision :math:`\hat K(k)` (L x L FFT grid) truncated to the stencil:
        :math:`\theta_0 = K[0]`, :math:`\theta_a = K[\Delta_a] + K[-\Delta_a]` with :math:`K = \mathrm{ifft2}(\hat K)`."""
        P = real_array("precision", precision)
        if P.ndim != 2 or P.shape[0] != P.shape[1]:
            raise ValueError(f"precision must be an L x L array, got shape {P.shape}")
        L = P.shape[0]
        check_side("precision", L, self.radius)
        K = np.fft.ifft2(P).real
        return np.array(
            [K[0, 0] if s == (0, 0) else K[s[0] % L, s[1] % L] + K[-s[0] % L, -s[1] % L] for s in self.shifts]
        )

    def operator(self, theta: ArrayLike, L: int) -> _LocalOperator:
        return _LocalOperator(self.symbol(theta, L))


class _LocalOperator:
    def __init__(self, symbol: np.ndarray) -> None:
        self.L = symbol.shape[0]
        self._symbol = symbol[:, : self.L // 2 + 1]
        self.max_eigenvalue = float(symbol.max())

    def energy_and_grad(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad = np.fft.irfft2(self._symbol * np.fft.rfft2(phi), s=(self.L, self.L))
        return 0.5 * np.einsum("byx,byx->b", phi, grad), grad
