r"""The whole wavelet conditional RG model fitted from fields, scale by scale: :func:`fit_wirg` and
:class:`WIRGModel` (generation, diagnostics, saving and loading).

**Model** (Marchand, Ozawa, Biroli & Mallat, PRX 13, 041038 (2023), section III; Guth, Lempereur,
Bruna & Mallat, ICML 2023, eqs. (13), (22)-(30); the theory page ``docs/theory/wirg.md``). The
fields are decomposed by :func:`wirg.wavelets.decompose` into :math:`(\varphi_J, \bar\psi_J, \dots,
\bar\psi_1)` and

.. math::

    p(\varphi_0) \propto p_J(\varphi_J)\prod_{j=1}^J \bar p_j(\bar\psi_j|\varphi_j),\qquad
    \bar p_j \propto e^{-\bar E_j(\bar\psi_j|\varphi_j)},

each :math:`\bar E_j` a :class:`wirg.ansatz.QuadraticAnsatz` (couplings at shifts
:math:`|\Delta|_\infty\le r_j`, :math:`r_j = \min(r, \lfloor(L_j - 1)/2\rfloor)`, plus a potential on the
reconstructed field :math:`\varphi_{j-1}` whose basis is built from the data's :math:`\varphi_{j-1}`, e.g.
sigmoids centred on its quantiles) and :math:`p_J` a :class:`wirg.ansatz.FieldAnsatz` of the same
kind on :math:`\varphi_J` (a :class:`wirg.generate.GaussianMarginal` without potential: the Gaussian
model, sampled exactly). The scales are fitted independently, by score matching
(:func:`wirg.score_matching.fit_score_matching`, the default) or by maximum likelihood with moment
matching (:func:`wirg.moment_matching.fit_moment_matching`, MALA on the details only, started from
the score-matching estimate); the coarsest model by score matching, or, on a 1 x 1 coarsest field (the mean),
by exact maximum likelihood on a grid (:class:`wirg.generate.ScalarModel`): score matching cannot weigh
separated modes, and the mean of an ordered phase has two.

**Potential specification** ``potential``: None (Gaussian model), a string of ``+``-joined terms
``"sigmoid:N"``, ``"bump:N"`` (N functions on the quantiles, :meth:`SigmoidPotential.from_data`) and
``"polynomial:P1,P2"`` (the monomials :math:`t^{P}`), e.g. the default ``"sigmoid:20+polynomial:4"``
(the quartic confines the field beyond the functions' range, where their sum is flat). Bumps give a
better-conditioned score-matching problem (:meth:`SigmoidPotential.from_data`) but can put a spurious
well where the data are sparse: on phi^4 at L = 32 the 4 x 4 coarsest model with 20 bumps drifts, under
MALA, to a variance of 0.48 after 2000 steps and 0.20 after 10000 (data 0.83), with 20 sigmoids it
stays at 0.81-0.82 (500 fields); a tuple
such as ``("sigmoid", 20)``; or a callable ``values -> Potential`` given the data values at each scale; or a
list of J + 1 specifications, one per scale (finest first) and the last for the coarsest field.

**Modulated stiffness** ``modulation`` (an extension of the papers' ansatz, :mod:`wirg.ansatz`): a specification
of the same kind (e.g. ``"bump:10"``), its basis built from the data's coarse field :math:`\varphi_j` at each
scale, giving every detail channel group a stiffness :math:`s_g(\varphi_j(x))` that follows the local coarse value;
or a list of J specifications (None where not wanted). ``detail_scale`` writes the whole quadratic part in details
rescaled by their local scale :math:`\sigma(\varphi_j)` taken from the data (:mod:`wirg.detail_scale`), so that
the couplings, and the correlations they give, are the same at every level. Such conditionals are sampled by MALA
preconditioned by each detail's local stiffness (:func:`wirg.mala.stiffness_preconditioner`).

**Energies.** With the free energies :math:`\bar F_j(\varphi_j) = -\ln\int e^{-\bar E_j}d\bar\psi_j`
(:class:`FreeEnergySettings`; :mod:`wirg.free_energy`) the model's energy is

.. math:: E_0(\varphi_0) = E_J(\varphi_J) + \sum_{j=1}^J\big[\bar E_j(\bar\psi_j|\varphi_j) - \bar F_j(\varphi_j)\big]
    + \text{const}

(:meth:`WIRGModel.energy`), and :meth:`WIRGModel.microscopic_energy` writes it as one quadratic kernel on
the fine lattice plus scalar potentials on every scale's field (:mod:`wirg.microscopic`), dropping the
part of the quadratic form that is invariant under shifts by :math:`2^J` but not by one site.

**Files** (:meth:`WIRGModel.save`, :func:`fit_wirg` with ``checkpoint``): ``model.json`` (settings,
per-scale potentials, diagnostics and free-energy ansatzes as plain JSON, the package version and
``format_version``) and ``arrays.npz`` (parameters, standard errors, the coarse spectrum, the free
energies' coefficients and covariances), read back with ``allow_pickle=False``. A checkpoint directory
holds one ``scale_J.json``/``.npz`` pair per completed scale (with its free energy), keyed by a fingerprint
of the data and settings; a rerun with the same data and settings loads them instead of refitting.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from tqdm import tqdm

from statlearn import __version__
from statlearn.numerics.seeding import as_generator
from wirg.ansatz import (
    BumpPotential,
    CombinedPotential,
    FieldAnsatz,
    PolynomialPotential,
    Potential,
    QuadraticAnsatz,
    SigmoidPotential,
    data_window,
)
from wirg.checks import (
    check_bool,
    check_choice,
    check_gamma,
    check_levels,
    check_memory,
    check_positive,
    check_radius,
    count,
    real_array,
    seed_value,
    show,
    square_side,
)
from wirg.detail_scale import DetailScale
from wirg.free_energy import FreeEnergyFit, free_energy_exact, free_energy_score
from wirg.generate import (
    FieldModel,
    GaussianCopula,
    GaussianMarginal,
    MALASettings,
    ScalarModel,
    ScaleModel,
    generate,
)
from wirg.likelihood import fit_exact_scalar
from wirg.mala import sample_conditional
from wirg.microscopic import MicroscopicEnergy, microscopic_energy
from wirg.moment_matching import POLISH_THIN, fit_direct, fit_moment_matching
from wirg.score_matching import fit_score_matching
from wirg.statistics import AutocorrelationWarning, integrated_autocorrelation_time
from wirg.wavelets import WAVELETS, analysis_step, scale_normalisation

__all__ = [
    "FORMAT_VERSION",
    "FreeEnergySettings",
    "MomentSettings",
    "ScaleFit",
    "WIRGModel",
    "fit_wirg",
    "potential_factory",
]

#: Version of the files written by :meth:`WIRGModel.save`; other versions are refused by :meth:`WIRGModel.load`.
FORMAT_VERSION = 3
_METHODS = ("score", "moments")
_COARSE_METHODS = (*_METHODS, "copula")
_KINDS = ("sigmoid", "bump", "polynomial")
#: On lattices up to this side the couplings are every stationary quadratic coupling of the torus (the
#: shifts taken modulo the side): the small coarse scales, where a stencil radius would cut them.
_FULL_SIDE = 4
#: The same for the model of the coarsest field, whose couplings are few (36 on 8 x 8) and set its longest
#: wavelengths: a radius there cannot hold the long-range correlations of a critical or power-law field.
_FULL_COARSE = 8
#: The block cubic term's damping radius in root-mean-square details: the cubic is nearly intact over the data
#: (e^{-u/2s^2} = 0.85 at the typical u = 3) and gone a few standard deviations beyond them.
CUBIC_RADIUS = 3.0

PotentialFactory = Callable[[np.ndarray], Potential]
#: Range of the normalisations gamma_j accepted by :func:`fit_wirg` (its fits overflowed from gamma = 1e38).
_GAMMA_RANGE = (1e-2, 1e2)


# --------------------------------------------------------------------------------------------
# potential specifications


def _term(kind: str, arg: str) -> Callable[[np.ndarray], Potential]:
    if kind == "polynomial":
        try:
            powers = tuple(int(p) for p in arg.split(","))
        except ValueError:
            raise ValueError(f"potential: 'polynomial:{arg}' needs integer powers, e.g. 'polynomial:4'") from None
        PolynomialPotential(powers)  # checks the powers now
        return lambda values: PolynomialPotential(powers)
    try:
        n = int(arg)
    except ValueError:
        raise ValueError(f"potential: '{kind}:{arg}' needs a number of functions, e.g. '{kind}:20'") from None
    if not 1 <= n <= 1000:
        raise ValueError(f"potential: the number of {kind} functions must be in [1, 1000], got {n}")
    cls = SigmoidPotential if kind == "sigmoid" else BumpPotential
    return lambda values: cls.from_data(values, n)


def potential_factory(spec: object) -> PotentialFactory | None:
    """The function ``values -> Potential`` of a potential specification (module docstring), or None."""
    if spec is None:
        return None
    if callable(spec) and not isinstance(spec, Potential):
        return spec  # type: ignore[return-value]
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        spec = f"{spec[0]}:{spec[1] if not isinstance(spec[1], Sequence) else ','.join(map(str, spec[1]))}"
    if not isinstance(spec, str) or not spec.strip():
        raise TypeError(
            f"potential must be None, a string such as 'sigmoid:20+polynomial:4' or a callable, got {show(spec)}"
        )
    terms = []
    for part in spec.split("+"):
        kind, _, arg = part.strip().partition(":")
        check_choice("potential", kind, _KINDS)
        terms.append(_term(kind, arg.strip()))
    if len(terms) == 1:
        return terms[0]
    return lambda values: CombinedPotential([make(values) for make in terms])


def _potential_factories(spec: object, levels: int) -> list[PotentialFactory | None]:
    """One factory per scale j = 1..J and one for the coarsest field: a list of J + 1 specifications, or one
    specification for all."""
    if isinstance(spec, list):
        if len(spec) != levels + 1:
            raise ValueError(
                f"potential: a list needs {levels + 1} specifications, one per scale (finest first) and one for "
                f"the coarsest field, got {len(spec)}"
            )
        return [potential_factory(item) for item in spec]
    return [potential_factory(spec)] * (levels + 1)


def _modulation_factories(spec: object, levels: int) -> list[PotentialFactory | None]:
    """One basis factory per scale j = 1..J for ``fit_wirg(..., modulation=...)``: a list of J specifications, or
    one for all."""
    if isinstance(spec, list):
        if len(spec) != levels:
            raise ValueError(
                f"modulation: a list needs {levels} specifications, one per scale (finest first), got {len(spec)}"
            )
        return [_named_factory("modulation", item) for item in spec]
    return [_named_factory("modulation", spec)] * levels


def _named_factory(name: str, spec: object) -> PotentialFactory | None:
    """:func:`potential_factory` with its errors naming ``name``."""
    try:
        return potential_factory(spec)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{name}: {err}") from None


def _spec_text(spec: object) -> str | list | None:
    """A JSON-able description of the specification (for the checkpoint fingerprint)."""
    if isinstance(spec, list):
        return [_spec_text(item) for item in spec]
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, tuple):
        return repr(spec)
    return f"callable {getattr(spec, '__qualname__', type(spec).__name__)}"


# --------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class MomentSettings:
    """Settings of ``method="moments"`` (:func:`wirg.moment_matching.fit_moment_matching`): ``steps``
    gradient steps of learning rate ``lr_factor`` / (the largest eigenvalue of the data covariance of
    the per-site features, an upper bound of the Fisher matrix's), or with ``natural`` natural-gradient
    steps of rate ``lr_factor``, ``mcmc_steps`` MALA steps per iteration on ``n_chains`` pairs (None: all),
    at the scales j in ``scales`` (None: all; the others keep their score-matching fit); then the
    :class:`wirg.moment_matching.RelaxationCheck` of every such fit with ``check_steps`` MALA steps (0: none),
    whose failure marks the scale not converged. With ``min_chain_sites`` > 1 each gradient averages over at
    least that many coarse sites: on a coarse lattice of :math:`N_j` sites with :math:`S` pairs every pair gets
    max(1, ceil(``min_chain_sites`` / (S N_j))) chains (``chains_per_pair`` of
    :func:`~wirg.moment_matching.fit_moment_matching`), which only changes the small top lattices (default 1:
    one chain per pair; ``docs/wirg.md`` has what replication did and did not do on phi^4). ``polish`` Newton steps
    of ``polish_steps`` MALA steps each then refine the averaged iterate of the conditionals at the scales in
    ``polish_scales`` (None: every moment-matched one; ``polish`` of
    :func:`~wirg.moment_matching.fit_moment_matching`; default 0: none)."""

    steps: int = 200
    lr_factor: float = 0.5
    mcmc_steps: int = 10
    n_chains: int | None = None
    natural: bool = False
    scales: tuple[int, ...] | None = None
    check_steps: int = 500
    min_chain_sites: int = 1
    polish: int = 0
    polish_steps: int = 1000
    polish_scales: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", count("steps", self.steps, minimum=1))
        object.__setattr__(self, "mcmc_steps", count("mcmc_steps", self.mcmc_steps, minimum=1))
        object.__setattr__(self, "check_steps", count("check_steps", self.check_steps, minimum=0))
        object.__setattr__(self, "min_chain_sites", count("min_chain_sites", self.min_chain_sites, minimum=1))
        object.__setattr__(self, "polish", count("polish", self.polish, minimum=0))
        object.__setattr__(self, "polish_steps", count("polish_steps", self.polish_steps, minimum=4 * POLISH_THIN))
        if self.n_chains is not None:
            object.__setattr__(self, "n_chains", count("n_chains", self.n_chains, minimum=1))
        if check_positive("lr_factor", self.lr_factor) > 2.0:
            raise ValueError(f"lr_factor must be <= 2 (gradient descent diverges beyond), got {self.lr_factor!r}")
        object.__setattr__(self, "natural", check_bool("natural", self.natural))
        for name in ("scales", "polish_scales"):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, str) or not isinstance(value, Sequence):
                    raise TypeError(f"{name} must be a sequence of scales j or None, got {show(value)}")
                object.__setattr__(self, name, tuple(count(name, j, minimum=1) for j in value))


@dataclass(frozen=True)
class FreeEnergySettings:
    r"""Settings of the free energies :math:`\bar F_j` of the scales (:meth:`WIRGModel.fit_free_energies`,
    ``fit_wirg(..., free_energy=...)``).

    A scale with a potential gets :func:`wirg.free_energy.free_energy_score` (the score identity) on the first
    ``n_fields`` coarse fields :math:`\varphi_j` of the data, ``n_chains`` MALA replicas each started from the
    data's own details there (a sample of the data's conditional law), ``n_samples`` recorded states after
    ``burn_in`` steps; a scale without potential (a Gaussian conditional) gets the exact
    :func:`wirg.free_energy.free_energy_exact`, with no sampling.

    The field ansatz of :math:`\bar F_j` (:class:`wirg.ansatz.FieldAnsatz` on the :math:`L_j\times L_j` lattice):
    couplings of radius ``radius`` (None: :math:`2r + 1` for the model's stencil radius :math:`r`, the range of
    the Gaussian part :math:`-\hat{\bar K}_j'^*\hat{\bar K}_j^{-1}\hat{\bar K}_j'` of :math:`\bar F_j`, two
    couplings of range :math:`r` joined by the details' short-range conditional covariance; an int; or one int
    per scale, finest first), reduced to :math:`\lfloor(L_j - 1)/2\rfloor` on small lattices, plus the
    potential ``potential``:
    ``"model"`` (default) the potential of the model that acts on :math:`\varphi_j` itself (that of scale
    :math:`j + 1`, or of the coarsest field; none for the Gaussian model), so that the two cancel term by term
    in :math:`V_j`; None; or a specification as for :func:`fit_wirg`'s ``potential``, built from the values of
    the data's :math:`\varphi_j`.
    """

    n_fields: int = 16
    n_chains: int = 4
    n_samples: int = 100
    burn_in: int = 200
    radius: int | tuple[int, ...] | None = None
    potential: object = "model"

    def __post_init__(self) -> None:
        object.__setattr__(self, "n_fields", count("n_fields", self.n_fields, minimum=1))
        object.__setattr__(self, "n_chains", count("n_chains", self.n_chains, minimum=2))
        object.__setattr__(self, "n_samples", count("n_samples", self.n_samples, minimum=1))
        object.__setattr__(self, "burn_in", count("burn_in", self.burn_in, minimum=0))
        radius = self.radius
        if isinstance(radius, Sequence) and not isinstance(radius, str):
            if not radius:
                raise ValueError("radius must be None, an int or a non-empty sequence of ints, got an empty sequence")
            radius = tuple(check_radius(r) for r in radius)
        elif radius is not None:
            radius = check_radius(radius)
        object.__setattr__(self, "radius", radius)
        if not (isinstance(self.potential, str) and self.potential == "model"):
            potential_factory(self.potential)  # checks the specification now

    def summary(self) -> dict[str, Any]:
        """The settings as plain JSON (the potential as its description)."""
        radius = list(self.radius) if isinstance(self.radius, tuple) else self.radius
        return {
            "n_fields": self.n_fields,
            "n_chains": self.n_chains,
            "n_samples": self.n_samples,
            "burn_in": self.burn_in,
            "radius": radius,
            "potential": _spec_text(self.potential),
            "start": "data details",  # the chains' start (zero details before; a checkpoint from then is refitted)
        }


@dataclass(frozen=True, eq=False)
class ScaleFit:
    """The fit of one scale ``j`` (``j = levels + 1`` for the coarsest field's model).

    Attributes
    ----------
    j, L_j : int
        Scale and side of its coarse lattice (of the coarsest field for the coarsest model).
    theta, stderr : ndarray
        Parameters and their standard errors (score matching's, :class:`wirg.score_matching.ScoreMatchingFit`, or
        the likelihood's).
    condition_raw, condition_normalised : float
        Of the score-matching matrix H (of the Fisher matrix for ``"likelihood"``).
    method : str
        ``"score"``, ``"moments"``, or ``"likelihood"`` (the 1 x 1 coarsest model).
    seconds : float
        Wall time of the fit.
    message : str
        The fit's message (with the moment-matching one after the score-matching one).
    converged : bool
        False if a fit reported non-convergence, or the moment-matching fit failed its relaxation check.
    relaxation : dict or None
        :meth:`wirg.moment_matching.RelaxationCheck.summary` of a moment-matching fit (None without one, or from a
        model file written before the check existed).
    """

    j: int
    L_j: int
    theta: np.ndarray
    stderr: np.ndarray
    condition_raw: float
    condition_normalised: float
    method: str
    seconds: float
    message: str
    converged: bool
    relaxation: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "j": self.j,
            "L_j": self.L_j,
            "condition_raw": self.condition_raw,
            "condition_normalised": self.condition_normalised,
            "method": self.method,
            "seconds": self.seconds,
            "message": self.message,
            "converged": self.converged,
            "relaxation": self.relaxation,
        }


@dataclass(eq=False)
class WIRGModel:
    r"""A fitted wavelet conditional RG model (module docstring); built by :func:`fit_wirg` or :meth:`load`.

    Attributes
    ----------
    scales : list of ScaleModel
        The conditionals :math:`\bar E_1, \dots, \bar E_J`, finest first.
    coarse : FieldModel, GaussianMarginal or GaussianCopula
        The model of the coarsest field :math:`\varphi_J`.
    wavelet : str
    gamma : tuple of float
        :math:`\gamma_1, \dots, \gamma_J`.
    L : int
        Side of the fields.
    fits : list of ScaleFit
        Per scale (finest first), then the coarsest model's (None for a Gaussian marginal).
    settings : dict
        The arguments of :func:`fit_wirg` (JSON-able).
    mixing : dict
        Per-scale MALA acceptance and autocorrelation times, filled by :meth:`diagnose_mixing`.
    free_energies : list of FreeEnergyFit, or None
        :math:`\bar F_1, \dots, \bar F_J`, finest first (:meth:`fit_free_energies`, or ``fit_wirg(...,
        free_energy=...)``); None until fitted. They give :meth:`energy` and :meth:`microscopic_energy`.
    """

    scales: list[ScaleModel]
    coarse: FieldModel | GaussianMarginal | GaussianCopula
    wavelet: str
    gamma: tuple[float, ...]
    L: int
    fits: list[ScaleFit | None]
    settings: dict[str, Any]
    mixing: dict[int, dict[str, float]] = field(default_factory=dict)
    free_energies: list[FreeEnergyFit] | None = None
    _microscopic: tuple[tuple[FreeEnergyFit, ...], MicroscopicEnergy] | None = field(
        default=None, init=False, repr=False
    )

    @property
    def levels(self) -> int:
        return len(self.scales)

    @property
    def diagnostics(self) -> list[dict[str, Any]]:
        """Per scale (finest first, then the coarsest model): the fit's summary (condition numbers of H
        raw and normalised, method, time, message) and, after :meth:`diagnose_mixing`, the MALA
        acceptance and integrated autocorrelation times."""
        rows = []
        for j, fit in enumerate(self.fits, start=1):
            row: dict[str, Any] = fit.summary() if fit is not None else {"j": j, "model": "Gaussian marginal"}
            row.update(self.mixing.get(j, {}))
            rows.append(row)
        return rows

    def generate(self, n_samples: int, *, seed: int, mcmc: MALASettings | None = None) -> np.ndarray:
        """Fields (n_samples, L, L) sampled coarse to fine (:func:`wirg.generate.generate`)."""
        return generate(
            self.scales,
            self.coarse,
            n_samples,
            seed=seed_value(seed),
            wavelet=self.wavelet,
            gamma=self.gamma,
            mcmc=mcmc,
        )

    def fit_free_energies(
        self, fields: ArrayLike, *, settings: FreeEnergySettings | None = None, seed: int = 0, progress: bool = False
    ) -> list[FreeEnergyFit]:
        r"""Fit the free energy :math:`\bar F_j` of every scale on the coarse fields of ``fields`` (the training
        data, or fields from the same law) and store them in :attr:`free_energies` (:class:`FreeEnergySettings`).

        Parameters
        ----------
        fields : array_like, shape (S, L, L)
            The conditional averages use the first ``settings.n_fields``; a potential specification in
            ``settings`` is built from all of them.
        settings : FreeEnergySettings, optional
        seed : int
            The MALA chains of scale :math:`j` are seeded with :math:`(\text{seed} + j) \bmod 2^{63}`
            (``fit_wirg(..., seed=s, free_energy=...)`` gives the same free energies as this with ``seed=s``).
        progress : bool
            Show a tqdm bar of the scales on stderr.

        Returns
        -------
        list of FreeEnergyFit
            :attr:`free_energies`, finest first.
        """
        x = self._fields(fields, batch_only=True)
        settings = FreeEnergySettings() if settings is None else settings
        if not isinstance(settings, FreeEnergySettings):
            raise TypeError(f"settings must be FreeEnergySettings or None, got {type(settings).__name__}")
        seed = seed_value(seed)
        progress = check_bool("progress", progress)
        coarse, details = _pyramid(x, self.wavelet, self.gamma)
        model_radius = int(self.settings.get("radius", self.scales[0].ansatz.radius))
        fits = []
        for j, (model, phi, psi) in enumerate(
            tqdm(
                zip(self.scales, coarse, details),
                total=self.levels,
                disable=not progress,
                unit="scale",
                desc="free energies",
            ),
            start=1,
        ):
            if j < self.levels:
                own = self.scales[j].ansatz.potential
            else:
                own = self.coarse.ansatz.potential if isinstance(self.coarse, FieldModel) else None
            try:
                field_ansatz = _free_energy_ansatz(settings, j, self.levels, model_radius, own, phi)
            except ValueError as err:
                raise ValueError(f"settings: {err}") from None
            fits.append(
                _scale_free_energy(
                    model, phi, psi, field_ansatz, settings, j=j, seed=(seed + j) % 2**63, name="fields and settings"
                )
            )
        self.free_energies = fits
        return fits

    def microscopic_energy(self) -> MicroscopicEnergy:
        r"""The microscopic energy :math:`E_0 = \tfrac12\varphi^\top K\varphi + \sum_j\sum_x V_j(\varphi_j(x))`
        reassembled from the scales, their free energies and the coarsest model
        (:func:`wirg.microscopic.microscopic_energy`: ``.coupling(dx, dy)``, ``.potential(t)`` with
        :math:`V_0(0) = 0`, ``.energy(fields)``); computed once per set of :attr:`free_energies`."""
        free = self._required_free_energies("microscopic_energy()")
        cached = self._microscopic
        if cached is None or len(cached[0]) != len(free) or any(a is not b for a, b in zip(cached[0], free)):
            energy = microscopic_energy(
                self.scales, free, self.coarse, L=self.L, wavelet=self.wavelet, gamma=self.gamma
            )
            self._microscopic = cached = (tuple(free), energy)
        return cached[1]

    def energy(self, fields: ArrayLike) -> np.ndarray:
        r"""The model's energy :math:`E_0(\varphi) = E_J(\varphi_J) + \sum_{j=1}^J\big[\bar E_j(\bar\psi_j|\varphi_j)
        - \bar F_j(\varphi_j)\big]`, up to one constant, of fields (S, L, L) or (L, L): shape (S,).

        Each term is evaluated by its ansatz on the wavelet decomposition of the fields, so this is
        :math:`-\ln p(\varphi)` of the model up to a constant and the error of the fitted :math:`\bar F_j`. It is
        :meth:`microscopic_energy`'s energy plus the non-stationary quadratic part that the microscopic kernel
        leaves out (:attr:`wirg.microscopic.MicroscopicEnergy.remainder`): a model fitted scale by scale is
        invariant under shifts by :math:`2^J` only, so the two agree up to a constant after averaging over
        the translations of a field, not field by field.
        """
        free = self._required_free_energies("energy()")
        x = self._fields(fields, batch_only=False)
        check_memory(f"the energies of {x.shape[0]} fields", "fields", 64.0 * x.size)
        try:
            coarse, details = _pyramid(x, self.wavelet, self.gamma)
            with np.errstate(over="ignore", invalid="ignore"):
                total = self.coarse.energy(coarse[-1])
                for model, fit, phi, psi in zip(self.scales, free, coarse, details):
                    total = total + (model.ansatz.energy(model.theta, psi, phi) - fit.value(phi))
        except ValueError:
            raise ValueError("fields: the energy overflows float64 (values too large)") from None
        if not np.all(np.isfinite(total)):
            raise ValueError("fields: the energy overflows float64 (values too large)")
        return total

    def _required_free_energies(self, what: str) -> list[FreeEnergyFit]:
        if self.free_energies is None:
            raise ValueError(
                f"{what} needs the free energies of the scales, which this model does not hold: fit with "
                "fit_wirg(..., free_energy=FreeEnergySettings()) or call model.fit_free_energies(fields)"
            )
        return self.free_energies

    def _fields(self, fields: ArrayLike, *, batch_only: bool) -> np.ndarray:
        """``fields`` as (S, L, L) float64 (a single (L, L) field gets a batch axis unless ``batch_only``)."""
        x = real_array("fields", fields)
        if x.ndim == 2 and not batch_only:
            x = x[None]
        if x.ndim != 3 or x.shape[1:] != (self.L, self.L):
            raise ValueError(f"fields must have shape (S, {self.L}, {self.L}), got {x.shape}")
        return x

    def diagnose_mixing(self, fields: ArrayLike, *, n_chains: int = 8, n_steps: int = 400, seed: int = 0) -> list:
        r"""Run the conditional MALA chains of every scale with a potential on the coarse fields of
        ``n_chains`` of ``fields``, started from their details (in equilibrium if the model is right), after
        100 steps of step adaptation, and record, per scale, the
        acceptance and the integrated autocorrelation time of :math:`\bar E_j` along each chain (mean and
        maximum over the chains; :func:`wirg.statistics.integrated_autocorrelation_time`). Returns
        :attr:`diagnostics`."""
        x = self._fields(fields, batch_only=True)
        n_chains = count("n_chains", n_chains, minimum=1)
        n_steps = count("n_steps", n_steps, minimum=50)
        seed = seed_value(seed)
        coarse, details = _pyramid(x[:n_chains], self.wavelet, self.gamma)
        for j, (model, phi, psi) in enumerate(zip(self.scales, coarse, details), start=1):
            if model.ansatz.gaussian:
                continue
            run = sample_conditional(
                model.ansatz,
                model.theta,
                phi,
                n_samples=n_steps,
                seed=seed + j,
                burn_in=100,
                init=psi,  # the default initial step: conditional_step there, scaled by the preconditioner
                precondition=model.preconditioner(phi),
            )
            energies = np.stack([model.ansatz.energy(model.theta, s, phi) for s in run.samples])  # (steps, chains)
            taus = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AutocorrelationWarning)
                for chain in energies.T:
                    taus.append(integrated_autocorrelation_time(chain).tau if np.ptp(chain) > 0 else math.nan)
            finite = [t for t in taus if math.isfinite(t)]  # a chain that never moved has no tau
            self.mixing[j] = {
                "acceptance": run.acceptance,
                "step_size": run.step_size,
                "tau_mean": float(np.mean(finite)) if finite else math.nan,
                "tau_max": float(np.max(finite)) if finite else math.nan,
                "mala_steps": n_steps,
            }
        return self.diagnostics

    # -- files ----------------------------------------------------------------------------------

    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``model.json`` and ``arrays.npz`` into ``directory`` (created if needed; module docstring)."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        scales = []
        for j, model in enumerate(self.scales, start=1):
            arrays[f"theta_{j}"] = model.theta
            scales.append(_ansatz_dict(model.ansatz))
        fits = []
        for j, fit in enumerate(self.fits, start=1):
            if fit is not None:
                arrays[f"stderr_{j}"] = fit.stderr
                fits.append(fit.summary())
            else:
                fits.append(None)
        if isinstance(self.coarse, FieldModel):
            arrays["theta_coarse"] = self.coarse.theta
            arrays["spectrum_coarse"] = self.coarse.start.spectrum
            coarse = {
                "kind": "field",
                "radius": self.coarse.ansatz.radius,
                "lattice": self.coarse.ansatz.lattice,
                "potential": _potential_dict(self.coarse.ansatz.potential),
            }
            if isinstance(self.coarse, ScalarModel):
                coarse.update(kind="scalar", window=list(self.coarse.window), n_grid=self.coarse.n_grid)
        elif isinstance(self.coarse, GaussianCopula):
            arrays["spectrum_coarse"] = self.coarse.gaussian.spectrum
            arrays["values_coarse"] = self.coarse.values
            coarse = {"kind": "copula", "bandwidth": self.coarse.bandwidth}
        else:
            arrays["spectrum_coarse"] = self.coarse.spectrum
            coarse = {"kind": "gaussian"}
        meta = {
            "format": "wirg-model",
            "format_version": FORMAT_VERSION,
            "statlearn_version": __version__,
            "L": self.L,
            "wavelet": self.wavelet,
            "gamma": list(self.gamma),
            "scales": scales,
            "coarse": coarse,
            "fits": fits,
            "settings": self.settings,
            "mixing": {str(j): v for j, v in self.mixing.items()},
            "free_energies": None,
        }
        if self.free_energies is not None:
            meta["free_energies"] = []
            for j, fit in enumerate(self.free_energies, start=1):
                summary, parts = _free_energy_parts(fit)
                meta["free_energies"].append(summary)
                arrays.update({f"free_{key}_{j}": value for key, value in parts.items()})
        np.savez(path / "arrays.npz", **arrays)
        (path / "model.json").write_text(json.dumps(meta, indent=1, allow_nan=True))
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike) -> WIRGModel:
        """Read a model written by :meth:`save`; a file of another ``format_version`` is refused."""
        if not isinstance(directory, str | os.PathLike):
            raise TypeError(f"directory must be a path, got {show(directory)}")
        path = Path(directory)
        meta = _read_json(path / "model.json", "directory")
        try:
            with np.load(path / "arrays.npz", allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (OSError, ValueError) as err:
            raise ValueError(f"directory: cannot read {str(path / 'arrays.npz')!r}: {err}") from None
        try:
            gamma = tuple(float(g) for g in meta["gamma"])
            scales = [
                ScaleModel(_ansatz_from_dict(d, meta["wavelet"], g), arrays[f"theta_{j}"])
                for j, (d, g) in enumerate(zip(meta["scales"], gamma), start=1)
            ]
            spectrum = GaussianMarginal(arrays["spectrum_coarse"])
            coarse: FieldModel | GaussianMarginal | GaussianCopula = spectrum
            kind = meta["coarse"]["kind"]
            if kind not in ("gaussian", "field", "scalar", "copula"):
                raise ValueError(f"unknown coarsest model {kind!r}")
            if kind == "copula":
                coarse = GaussianCopula(spectrum, arrays["values_coarse"], float(meta["coarse"]["bandwidth"]))
            elif kind in ("field", "scalar"):
                potential = meta["coarse"]["potential"]
                ansatz = FieldAnsatz(
                    meta["coarse"]["radius"],
                    None if potential is None else Potential.from_dict(potential),
                    lattice=meta["coarse"]["lattice"],
                )
                if kind == "field":
                    coarse = FieldModel(ansatz, arrays["theta_coarse"], spectrum)
                else:
                    window = tuple(float(w) for w in meta["coarse"]["window"])
                    coarse = ScalarModel(
                        ansatz, arrays["theta_coarse"], spectrum, window, int(meta["coarse"]["n_grid"])
                    )
            fits: list[ScaleFit | None] = []
            for j, summary in enumerate(meta["fits"], start=1):
                if summary is None:
                    fits.append(None)
                    continue
                theta = scales[j - 1].theta if j <= len(scales) else arrays["theta_coarse"]
                fits.append(ScaleFit(theta=theta, stderr=arrays[f"stderr_{j}"], **summary))
            free = meta.get("free_energies")  # absent from files written before the free energies were stored
            free_energies = None
            if free is not None:
                free_energies = [
                    _free_energy_from(
                        summary, {k: arrays[f"free_{k}_{j}"] for k in _FREE_ARRAYS if f"free_{k}_{j}" in arrays}
                    )
                    for j, summary in enumerate(free, start=1)
                ]
            return cls(
                scales=scales,
                coarse=coarse,
                wavelet=meta["wavelet"],
                gamma=gamma,
                L=int(meta["L"]),
                fits=fits,
                settings=meta["settings"],
                mixing={int(j): v for j, v in meta.get("mixing", {}).items()},
                free_energies=free_energies,
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(
                f"directory: {str(path)!r} does not hold a valid wirg model ({type(err).__name__}: {' '.join(str(err).split())})"
            ) from None


def _read_json(path: Path, name: str) -> dict:
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ValueError(f"{name}: cannot read {str(path)!r}: {err}") from None
    if not isinstance(meta, dict) or meta.get("format") != "wirg-model":
        raise ValueError(f"{name}: {str(path)!r} is not a wirg model file")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{name}: {str(path)!r} has format version {meta.get('format_version')!r} (written by statlearn "
            f"{meta.get('statlearn_version', '?')}); this statlearn {__version__} reads version {FORMAT_VERSION} only: refit the model"
        )
    return meta


def _potential_dict(potential: Potential | None) -> dict | None:
    return None if potential is None else potential.to_dict()


def _ansatz_dict(ansatz: QuadraticAnsatz) -> dict:
    return {
        "radius": ansatz.radius,
        "lattice": ansatz.lattice,
        "potential": _potential_dict(ansatz.potential),
        "block_quartic": ansatz.block_quartic,
        "modulation": _potential_dict(ansatz.modulation),
        "detail_scale": None if ansatz.detail_scale is None else ansatz.detail_scale.to_dict(),
        "block_cubic": ansatz.cubic_radius,
    }


def _ansatz_from_dict(d: dict, wavelet: str, gamma: float) -> QuadraticAnsatz:
    potential = None if d["potential"] is None else Potential.from_dict(d["potential"])
    modulation = d.get("modulation")  # absent in files written before the option, like block_quartic
    return QuadraticAnsatz(
        d["radius"],
        potential=potential,
        modulation=None if modulation is None else Potential.from_dict(modulation),
        detail_scale=None if d.get("detail_scale") is None else DetailScale.from_dict(d["detail_scale"]),
        block_quartic=d.get("block_quartic", False),  # absent in files written before the option
        block_cubic=d.get("block_cubic"),  # the same
        wavelet=wavelet,
        gamma=gamma,
        lattice=d["lattice"],
    )


_FREE_ARRAYS = ("coefficients", "errors", "covariance", "replicas", "values", "value_errors")


def _free_energy_parts(fit: FreeEnergyFit) -> tuple[dict, dict[str, np.ndarray]]:
    """A free energy as plain JSON (its ansatz and scalars) and arrays (keys of ``_FREE_ARRAYS``)."""
    summary = {
        "radius": fit.field_ansatz.radius,
        "lattice": fit.field_ansatz.lattice,
        "potential": _potential_dict(fit.field_ansatz.potential),
        "method": fit.method,
        "misfit": fit.misfit,
        "acceptance": fit.acceptance,
        "gradient_evaluations": fit.gradient_evaluations,
        "converged": fit.converged,
        "iterations": fit.iterations,
        "residual": fit.residual,
        "message": fit.message,
    }
    arrays = dict(zip(_FREE_ARRAYS[:4], (fit.coefficients, fit.errors, fit.covariance, fit.replica_coefficients)))
    if fit.values is not None and fit.value_errors is not None:
        arrays.update(values=fit.values, value_errors=fit.value_errors)
    return summary, arrays


def _free_energy_from(summary: dict, arrays: dict[str, np.ndarray]) -> FreeEnergyFit:
    """Inverse of :func:`_free_energy_parts`."""
    d = dict(summary)
    potential = d.pop("potential")
    field_ansatz = FieldAnsatz(
        d.pop("radius"), None if potential is None else Potential.from_dict(potential), lattice=d.pop("lattice")
    )
    return FreeEnergyFit(
        field_ansatz=field_ansatz,
        coefficients=arrays["coefficients"],
        errors=arrays["errors"],
        covariance=arrays["covariance"],
        replica_coefficients=arrays["replicas"],
        values=arrays.get("values"),
        value_errors=arrays.get("value_errors"),
        **d,
    )


# --------------------------------------------------------------------------------------------
# fitting


@contextmanager
def _prefixed_warnings(prefix: str) -> Iterator[None]:
    """Re-emit the warnings of the block with ``prefix: `` before their message."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        warnings.warn_explicit(f"{prefix}: {w.message}", w.category, w.filename, w.lineno)


def _fit_scale(
    ansatz: QuadraticAnsatz | FieldAnsatz,
    data: np.ndarray,
    phi: np.ndarray | None,
    *,
    j: int,
    method: str,
    moments: MomentSettings,
    seed: int,
) -> ScaleFit:
    start = time.perf_counter()
    with _prefixed_warnings(f"scale {j}"):
        fit = fit_score_matching(ansatz, data, phi)
    theta, message, converged = fit.theta, fit.message, fit.converged
    relaxation = None
    if isinstance(ansatz, QuadraticAnsatz) and moments.scales is not None and j not in moments.scales:
        method = "score"
    if method == "moments":
        n_sites = data.shape[-1] ** 2
        if isinstance(ansatz, QuadraticAnsatz):
            assert phi is not None
            features = ansatz.features(data, phi) / n_sites
        else:
            features = ansatz.features(data) / n_sites
        largest = float(np.linalg.eigvalsh(np.atleast_2d(np.cov(features.T) * n_sites))[-1])
        common = {
            "steps": moments.steps,
            "lr": moments.lr_factor if moments.natural else moments.lr_factor / max(largest, 1e-300),
            "seed": seed,
            "mcmc_steps": moments.mcmc_steps,
            "theta0": fit.theta,
            "natural": moments.natural,
            "check_steps": moments.check_steps,
        }
        with _prefixed_warnings(f"scale {j}"):
            if isinstance(ansatz, QuadraticAnsatz):
                pairs = data.shape[0] if moments.n_chains is None else min(moments.n_chains, data.shape[0])
                replicas = max(1, math.ceil(moments.min_chain_sites / (pairs * n_sites)))
                result = fit_moment_matching(
                    ansatz,
                    phi,
                    data,
                    n_chains=moments.n_chains,
                    chains_per_pair=replicas,
                    polish=moments.polish if moments.polish_scales is None or j in moments.polish_scales else 0,
                    polish_steps=moments.polish_steps,
                    **common,
                )
            else:  # the coarsest field: persistent chains on all of its data fields
                result = fit_direct(ansatz, data, **common)
        theta = result.theta_average
        message = f"{message}; then moment matching: {result.message} (acceptance {result.acceptance:.2f})"
        check = result.relaxation
        relaxation = None if check is None else check.summary()
        converged = converged and math.isfinite(result.gradient_norm) and (check is None or check.passed)
    return ScaleFit(
        j=j,
        L_j=data.shape[-1],
        theta=theta,
        stderr=fit.stderr,
        condition_raw=fit.condition_raw,
        condition_normalised=fit.condition_normalised,
        method=method,
        seconds=time.perf_counter() - start,
        message=message,
        converged=converged,
        relaxation=relaxation,
    )


def _cubic_radius(psi: np.ndarray, phi: np.ndarray, scale: DetailScale | None) -> float:
    """The block cubic term's damping radius: :data:`CUBIC_RADIUS` times the data's root-mean-square detail (in the
    rescaled details with a detail scale)."""
    chi = psi if scale is None else psi * scale.weight(phi)[:, None]
    return CUBIC_RADIUS * float(np.sqrt(np.mean(chi**2)))


def _chosen_scales(name: str, value: object, levels: int) -> set[int]:
    """The scales j of ``fit_wirg(..., name=value)``, a bool (all or none) or a sequence of scales;
    TypeError/ValueError naming it."""
    if isinstance(value, bool | np.bool_):
        return set(range(1, levels + 1)) if value else set()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a bool or a sequence of scales, got {show(value)}")
    scales = set()
    for j in value:
        if isinstance(j, bool | np.bool_) or not isinstance(j, numbers.Integral) or not 1 <= j <= levels:
            raise ValueError(f"{name}: scales must be integers in 1..{levels} (the levels), got {show(j)}")
        scales.add(int(j))
    return scales


def _scalar_window(ansatz: FieldAnsatz, values: np.ndarray) -> tuple[float, float]:
    """The window of a 1 x 1 coarsest model: the data's (:func:`wirg.ansatz.data_window`), within the potential's."""
    low, high = data_window(values)
    own = None if ansatz.potential is None else ansatz.potential.window
    return (low, high) if own is None else (max(low, own[0]), min(high, own[1]))


def _fit_scalar(ansatz: FieldAnsatz, values: np.ndarray, window: tuple[float, float], *, j: int) -> ScaleFit:
    """Exact maximum likelihood of the 1 x 1 coarsest model (:func:`wirg.likelihood.fit_exact_scalar`)."""
    start = time.perf_counter()
    with _prefixed_warnings(f"scale {j}"):
        fit = fit_exact_scalar(ansatz, values, window=window)
    hessian = np.linalg.inv(fit.covariance)
    d = np.sqrt(np.diag(hessian))
    return ScaleFit(
        j=j,
        L_j=1,
        theta=fit.theta,
        stderr=fit.stderr,
        condition_raw=float(np.linalg.cond(hessian)),
        condition_normalised=float(np.linalg.cond(hessian / np.outer(d, d))),
        method="likelihood",
        seconds=time.perf_counter() - start,
        message=fit.message,
        converged=fit.converged,
    )


def _stencil(radius: int, n: int, full_side: int = _FULL_SIDE) -> tuple[int, int | None]:
    """(radius, lattice) of the couplings on the n x n lattice: every coupling of the torus up to
    ``full_side``, else the radius, reduced to (n - 1) // 2 so that the shifts stay distinct."""
    if n <= full_side:
        return n // 2, n
    return min(radius, (n - 1) // 2), None


def _free_energy_ansatz(
    settings: FreeEnergySettings, j: int, levels: int, model_radius: int, own: Potential | None, values: np.ndarray
) -> FieldAnsatz:
    """The ansatz of Fbar_j (:class:`FreeEnergySettings`); ``own`` is the model's potential on phi_j, ``values``
    the data's phi_j."""
    if isinstance(settings.radius, tuple):
        if len(settings.radius) != levels:
            raise ValueError(f"radius must have one entry per scale ({levels}), got {len(settings.radius)}")
        radius = settings.radius[j - 1]
    else:
        radius = 2 * model_radius + 1 if settings.radius is None else settings.radius
    if isinstance(settings.potential, str) and settings.potential == "model":
        potential = own
    else:
        make = potential_factory(settings.potential)
        potential = None if make is None else make(values)
    r, lattice = _stencil(radius, values.shape[-1])
    return FieldAnsatz(r, potential, lattice=lattice)


def _scale_free_energy(
    model: ScaleModel,
    phi: np.ndarray,
    psi: np.ndarray,
    field: FieldAnsatz,
    settings: FreeEnergySettings,
    *,
    j: int,
    seed: int,
    name: str,
) -> FreeEnergyFit:
    """Fbar_j: exact for a scale without potential, else by the score identity on the first coarse fields, the
    chains started from their details ``psi`` (a sample of the data's conditional law)."""
    ansatz = model.ansatz
    try:
        if ansatz.gaussian:
            return free_energy_exact(ansatz, model.theta, phi.shape[-1], field)
        with _prefixed_warnings(f"free energy of scale {j}"):
            return free_energy_score(
                ansatz,
                model.theta,
                phi[: settings.n_fields],
                field,
                seed=seed,
                n_chains=settings.n_chains,
                n_samples=settings.n_samples,
                burn_in=settings.burn_in,
                init=psi[: settings.n_fields],
            )
    except ValueError as err:
        raise ValueError(f"{name}: the free energy of scale {j} failed: {err}") from None


def _pyramid(x: np.ndarray, wavelet: str, gammas: Sequence[float]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The coarse fields phi_1 .. phi_J and details psibar_1 .. psibar_J of ``x`` (:func:`wirg.wavelets.analysis_step`)."""
    coarse, details = [], []
    for gam in gammas:
        x, d = analysis_step(x, wavelet, gam)
        coarse.append(x)
        details.append(d)
    return coarse, details


def _fingerprint(x: np.ndarray, settings: dict) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(x).tobytes())
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()


def _load_checkpoint(directory: Path, j: int, fingerprint: str) -> ScaleFit | None:
    loaded = _read_checkpoint(directory, j, fingerprint)
    return None if loaded is None else loaded[0]


def _read_checkpoint(directory: Path, j: int, fingerprint: str) -> tuple[ScaleFit, FreeEnergyFit | None] | None:
    meta_path, array_path = directory / f"scale_{j}.json", directory / f"scale_{j}.npz"
    if not (meta_path.exists() and array_path.exists()):
        return None
    meta = _read_json(meta_path, "checkpoint")
    if meta.get("fingerprint") != fingerprint:
        raise ValueError(
            f"checkpoint: {str(meta_path)!r} was written for other data or settings; use another directory or delete it"
        )
    with np.load(array_path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    free = meta.get("free_energy")
    free_energy = None
    if free is not None:
        free_energy = _free_energy_from(free, {k: arrays[f"free_{k}"] for k in _FREE_ARRAYS if f"free_{k}" in arrays})
    return ScaleFit(theta=arrays["theta"], stderr=arrays["stderr"], **meta["fit"]), free_energy


def _write_checkpoint(
    directory: Path, fit: ScaleFit, fingerprint: str, free_energy: FreeEnergyFit | None = None
) -> None:
    """Scale ``fit.j``'s checkpoint, with its free energy if given."""
    meta = {
        "format": "wirg-model",
        "format_version": FORMAT_VERSION,
        "statlearn_version": __version__,
        "fingerprint": fingerprint,
        "fit": fit.summary(),
        "free_energy": None,
    }
    arrays = {"theta": fit.theta, "stderr": fit.stderr}
    if free_energy is not None:
        meta["free_energy"], parts = _free_energy_parts(free_energy)
        arrays.update({f"free_{k}": v for k, v in parts.items()})
    np.savez(directory / f"scale_{fit.j}.npz", **arrays)
    (directory / f"scale_{fit.j}.json").write_text(json.dumps(meta, indent=1, allow_nan=True))


def fit_wirg(
    fields: ArrayLike,
    *,
    levels: int | None = None,
    wavelet: str = "db4",
    gamma: float | Sequence[float] | None = None,
    radius: int = 2,
    potential: object = "sigmoid:20+polynomial:4",
    block_quartic: bool | Sequence[int] = False,
    modulation: object = None,
    detail_scale: bool | Sequence[int] = False,
    block_cubic: bool | Sequence[int] = False,
    method: str = "score",
    coarse_method: str = "score",
    seed: int = 0,
    moments: MomentSettings | None = None,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    free_energy: FreeEnergySettings | None = None,
) -> WIRGModel:
    r"""Fit the wavelet conditional RG model to fields, scale by scale (module docstring).

    Parameters
    ----------
    fields : array_like, shape (S, L, L)
        Training fields, L a power of two >= 2, S >= 2.
    levels : int, optional
        Number of scales J (default :math:`\max(1, \log_2 L - 2)`: a 4 x 4 coarsest field). Down to 1 x 1
        the coarsest model is the one-dimensional density of the mean on the data's window
        (:func:`wirg.ansatz.data_window`), fitted by exact maximum likelihood and sampled exactly
        (:class:`wirg.generate.ScalarModel`); keep its potential small (e.g. polynomials): 20 functions
        overfit a few hundred numbers.
    wavelet : {"db4", "haar"}
    gamma : float or sequence of J floats, optional
        :math:`\gamma_j` in [0.01, 100]; default :func:`wirg.wavelets.scale_normalisation` of the data (the
        same variance at every scale).
    radius : int >= 0
        Stencil radius r of the couplings (reduced to :math:`\lfloor(L_j - 1)/2\rfloor` on small lattices).
    potential
        Potential specification (module docstring); None for the Gaussian model; or a list of J + 1 of them,
        one per scale (finest first) and the last for the coarsest field.
    block_quartic : bool or sequence of int
        Add the seven quartic invariants of a wavelet block (:mod:`wirg.block_quartic`) to the conditionals:
        True at every scale, or at the scales j listed (1 the finest). They are not in the microscopic basis
        of :meth:`WIRGModel.microscopic_energy`, which refuses a model that has them.
    modulation
        Coarse-modulated detail stiffness (module docstring): None, a specification such as ``"bump:10"`` for
        every scale, or a list of J of them (finest first). Not in the microscopic basis either.
    detail_scale : bool or sequence of int
        Write the quadratic part in details rescaled by their local scale given the coarse value,
        :meth:`wirg.detail_scale.DetailScale.from_data` of the training pairs (module docstring): True at every
        scale, or at the scales j listed. Not in the microscopic basis either.
    block_cubic : bool or sequence of int
        Add the block cubic feature (the skewness of a wavelet block given its mean, :class:`wirg.ansatz.QuadraticAnsatz`)
        to the conditionals: True at every scale, or at the scales j listed; its damping radius is
        :data:`CUBIC_RADIUS` root-mean-square (rescaled) details of the data. Not in the microscopic basis either.
    method : {"score", "moments"}
    coarse_method : {"score", "moments", "copula"}
        How the coarsest field's model (a lattice of side >= 2 with a potential) is fitted: score matching, or
        then maximum likelihood by moment matching with persistent MALA chains on the whole coarsest field
        (:func:`wirg.moment_matching.fit_direct` from the score-matching fit, ``moments``' steps, rate and
        MALA steps; its ``scales`` and ``n_chains`` concern the conditionals). Score matching is consistent only
        for an ansatz that contains the law, which a coarse field's often is not: on 8 x 8 coarse fields of a
        skewed lognormal its model had std 1.73 against 1.01 and skewness 1.0 against 0.20, the likelihood's
        1.003 and 0.197 (``docs/wirg.md``). Sample it with enough ``MALASettings.coarse_steps``. The 1 x 1
        field's density is always fitted by exact maximum likelihood. ``"copula"`` replaces the coarsest model by
        :class:`wirg.generate.GaussianCopula` (the data's smoothed marginal and the spectrum of the Gaussianised
        coarse fields, sampled exactly, no chain; the coarsest entry of ``potential`` must then be None, and a
        single specification applies to the conditionals only): exact for a pointwise transform of a Gaussian
        field, which a coarse field of the lognormal stand-in nearly is. Not in the microscopic basis.
    seed : int
        Seeds the moment-matching chains (score matching is deterministic).
    moments : MomentSettings, optional
        For ``method="moments"`` or ``coarse_method="moments"``.
    checkpoint : path, optional
        Directory where each completed scale is written as it finishes; a rerun with the same data and
        settings skips those scales.
    progress : bool
        Show a tqdm bar of the scales (and their free energies) on stderr.
    free_energy : FreeEnergySettings or None
        After each scale's fit, fit its free energy :math:`\bar F_j` on the data's coarse fields
        (:meth:`WIRGModel.fit_free_energies`, seeded from ``seed``, stored in the scale's checkpoint); None
        skips them (then :meth:`WIRGModel.energy` and :meth:`WIRGModel.microscopic_energy` need
        :meth:`WIRGModel.fit_free_energies` first). Off by default: with the default model and
        :class:`FreeEnergySettings` they took 18x (L = 16) and 20x (L = 32) the fit's own time on phi^4
        (``benchmarks/bench_wirg_fit_free_energy.py``).

    Returns
    -------
    WIRGModel
    """
    x = real_array("fields", fields)
    if x.ndim != 3:
        raise ValueError(f"fields must have shape (S, L, L), got {x.shape}")
    L = square_side("fields", x, power_of_two=True)
    if x.shape[0] < 2:
        raise ValueError(f"fields must hold at least 2 fields, got {x.shape[0]}")
    levels = check_levels(max(1, int(np.log2(L)) - 2) if levels is None else levels, L, "fields")
    wavelet = check_choice("wavelet", wavelet, WAVELETS)
    gammas = scale_normalisation(x, levels, wavelet) if gamma is None else check_gamma(gamma, levels)
    if not all(_GAMMA_RANGE[0] <= g <= _GAMMA_RANGE[1] for g in gammas):  # the fits overflow far outside it
        if gamma is None:
            raise ValueError(
                f"fields: their scale normalisation {list(gammas)} leaves {list(_GAMMA_RANGE)}; pass gamma"
            )
        raise ValueError(f"gamma must lie in {list(_GAMMA_RANGE)} (about 1 to 2 keeps the variance), got {show(gamma)}")
    radius = check_radius(radius)
    block_scales = _chosen_scales("block_quartic", block_quartic, levels)
    scaled = _chosen_scales("detail_scale", detail_scale, levels)
    cubic_scales = _chosen_scales("block_cubic", block_cubic, levels)
    factories = _potential_factories(potential, levels)
    modulations = _modulation_factories(modulation, levels)
    method = check_choice("method", method, _METHODS)
    coarse_method = check_choice("coarse_method", coarse_method, _COARSE_METHODS)
    if coarse_method == "copula" and isinstance(potential, list) and potential and potential[-1] is not None:
        raise ValueError(
            "potential: with coarse_method='copula' the coarsest field has no potential (its law is the copula of "
            f"its marginal and spectrum): the last entry must be None, got {show(potential[-1])}"
        )
    seed = seed_value(seed)
    moments = MomentSettings() if moments is None else moments
    if not isinstance(moments, MomentSettings):
        raise TypeError(f"moments must be MomentSettings or None, got {type(moments).__name__}")
    for name in ("scales", "polish_scales"):
        chosen = getattr(moments, name)
        if chosen is not None and max(chosen, default=0) > levels:
            raise ValueError(f"moments: {name} must be within 1..{levels} (the levels), got {list(chosen)}")
    progress = check_bool("progress", progress)
    if free_energy is not None and not isinstance(free_energy, FreeEnergySettings):
        raise TypeError(f"free_energy must be FreeEnergySettings or None, got {type(free_energy).__name__}")
    settings = {
        "levels": levels,
        "wavelet": wavelet,
        "gamma": list(gammas),
        "radius": radius,
        "potential": _spec_text(potential),
        "method": method,
        "seed": seed,
        "moments": None if method == "score" and coarse_method == "score" else vars(moments),
    }
    if coarse_method != "score":  # absent otherwise, like free_energy: earlier checkpoints stay valid
        settings["coarse_method"] = coarse_method
    if block_scales:  # absent otherwise, like free_energy: earlier checkpoints stay valid
        settings["block_quartic"] = sorted(block_scales)
    if modulation is not None:  # the same
        settings["modulation"] = _spec_text(modulation)
    if scaled:
        settings["detail_scale"] = sorted(scaled)
    if cubic_scales:
        settings["block_cubic"] = sorted(cubic_scales)
    if free_energy is not None:  # absent otherwise: checkpoints written before free energies existed stay valid
        settings["free_energy"] = free_energy.summary()
    directory = None
    fingerprint = ""
    if checkpoint is not None:
        if not isinstance(checkpoint, str | os.PathLike):
            raise TypeError(f"checkpoint must be a directory path or None, got {show(checkpoint)}")
        directory = Path(checkpoint)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ValueError(f"checkpoint: cannot create the directory {str(directory)!r}: {err}") from None
        fingerprint = _fingerprint(x, settings)
    coarse_fields, details = _pyramid(x, wavelet, gammas)
    fine_fields = [x, *coarse_fields[:-1]]  # phi_{j-1}, where the potential of scale j acts
    rng = as_generator(seed)
    seeds = [int(s) for s in rng.integers(2**63, size=levels)]
    scales: list[ScaleModel] = []
    fits: list[ScaleFit | None] = []
    free_energies: list[FreeEnergyFit] = []
    if coarse_method == "copula":
        factories[-1] = None
    total = levels + (1 if factories[-1] is not None else 0) + (0 if free_energy is None else levels)
    with tqdm(total=total, disable=not progress, unit="step", desc="fit_wirg") as bar:
        for j in range(1, levels + 1):
            phi, psi = coarse_fields[j - 1], details[j - 1]
            n = phi.shape[-1]
            scale = DetailScale.from_data(phi, psi) if j in scaled else None
            pot = None if factories[j - 1] is None else factories[j - 1](fine_fields[j - 1])
            mod = None if modulations[j - 1] is None else modulations[j - 1](phi)
            r, lattice = _stencil(radius, n)
            ansatz = QuadraticAnsatz(
                r,
                potential=pot,
                block_quartic=j in block_scales,
                modulation=mod,
                detail_scale=scale,
                block_cubic=_cubic_radius(psi, phi, scale) if j in cubic_scales else None,
                wavelet=wavelet,
                gamma=gammas[j - 1],
                lattice=lattice,
            )
            loaded = None if directory is None else _read_checkpoint(directory, j, fingerprint)
            fit, free = (None, None) if loaded is None else loaded
            write = fit is None
            if fit is None:
                try:
                    fit = _fit_scale(ansatz, psi, phi, j=j, method=method, moments=moments, seed=seeds[j - 1])
                except ValueError as err:  # e.g. a potential's slopes overflowing on huge fields
                    raise ValueError(f"fields (scale {j}): {err}") from None
            scales.append(ScaleModel(ansatz, fit.theta))
            fits.append(fit)
            bar.set_postfix(j=j, cond=f"{fit.condition_normalised:.3g}")
            bar.update()
            if free_energy is not None:
                if free is None:
                    own = None if factories[j] is None else factories[j](phi)  # the next model's potential on phi_j
                    try:
                        field_ansatz = _free_energy_ansatz(free_energy, j, levels, radius, own, phi)
                    except ValueError as err:
                        raise ValueError(f"free_energy: {err}") from None
                    free = _scale_free_energy(
                        scales[-1],
                        phi,
                        psi,
                        field_ansatz,
                        free_energy,
                        j=j,
                        seed=(seed + j) % 2**63,
                        name="fields, radius, potential and free_energy",
                    )
                    write = True
                free_energies.append(free)
                bar.set_postfix(j=j, free_energy=free.method)
                bar.update()
            if directory is not None and write:
                _write_checkpoint(directory, fit, fingerprint, free)
        coarsest = coarse_fields[-1]
        start = GaussianMarginal.fit(coarsest)
        coarse: FieldModel | GaussianMarginal | GaussianCopula = start
        if coarse_method == "copula":
            try:
                coarse = GaussianCopula.fit(coarsest)
            except ValueError as err:
                raise ValueError(f"fields (coarsest field): {err}") from None
        make_potential = factories[-1]
        if make_potential is not None:
            n = coarsest.shape[-1]
            r, lattice = _stencil(radius, n, _FULL_COARSE)
            field_ansatz = FieldAnsatz(r, make_potential(coarsest), lattice=lattice)
            j = levels + 1
            window = _scalar_window(field_ansatz, coarsest) if n == 1 else None
            fit = None if directory is None else _load_checkpoint(directory, j, fingerprint)
            if fit is None:
                if window is None:
                    try:
                        fit = _fit_scale(
                            field_ansatz,
                            coarsest,
                            None,
                            j=j,
                            method=coarse_method,
                            moments=moments,
                            seed=(seed + j) % 2**63,
                        )
                    except ValueError as err:  # e.g. fewer fields than the coarsest model's parameters
                        raise ValueError(
                            f"fields (coarsest field, {field_ansatz.n_params} parameters): {err}"
                        ) from None
                else:
                    fit = _fit_scalar(field_ansatz, coarsest, window, j=j)
                if directory is not None:
                    _write_checkpoint(directory, fit, fingerprint)
            if window is None:
                coarse = FieldModel(field_ansatz, fit.theta, start)
            else:
                coarse = ScalarModel(field_ansatz, fit.theta, start, window)
            fits.append(fit)
            bar.update()
        else:
            fits.append(None)
    return WIRGModel(
        scales=scales,
        coarse=coarse,
        wavelet=wavelet,
        gamma=tuple(gammas),
        L=L,
        fits=fits,
        settings=settings,
        free_energies=None if free_energy is None else free_energies,
    )
