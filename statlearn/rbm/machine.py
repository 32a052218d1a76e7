r"""The binary restricted Boltzmann machine: energy, conditionals, free energies, exact partition function.

Units take two values, :math:`\{-1, +1\}` (``spins="pm1"``) or :math:`\{0, 1\}` (``spins="01"``); the energy
is the same in both conventions,

.. math:: E(v, h) = -v^\top W h - b_v^\top v - b_h^\top h, \qquad p(v, h) = e^{-E(v, h)} / Z,

with ``W`` of shape ``(n_visible, n_hidden)``. Writing a unit's values as :math:`\{\ell, 1\}` (:math:`\ell =
-1` or ``0``), a unit in the field :math:`a` is on with probability :math:`\sigma((1 - \ell) a)` and the sum
over its two values is :math:`\log(e^{\ell a} + e^{a})` (``logaddexp``: ``softplus`` for 0/1, :math:`\log 2
\cosh a` for +-1). Summing the hidden layer out gives the visible free energy

.. math:: F(v) = -b_v^\top v - \sum_j \log \sum_{h_j} e^{h_j (b_{h,j} + (v^\top W)_j)},
    \qquad p(v) = e^{-F(v)} / Z,

and :math:`\log Z = \log \sum_v e^{-F(v)}` is computed exactly by enumerating the *smaller* layer (the other
summed out analytically) in vectorised chunks, up to :data:`MAX_ENUMERATED` units. The two conventions are
the same family of distributions: with :math:`v = 2x - 1`, :math:`h = 2y - 1`, the +-1 machine
:math:`(W, b_v, b_h)` is the 0/1 machine :math:`(4W,\ 2b_v - 2W\mathbf 1,\ 2b_h - 2W^\top \mathbf 1)`
(:meth:`RBM.to_spins`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, as_real_array, as_real_scalar, brief
from statlearn.rbm.ais import LogPartition, ais_log_partition
from statlearn.rbm.tap import TAP_METHODS, tap_log_partition
from statlearn.rbm.training import TrainingHistory, train
from statlearn.rbm.units import MAX_ENUMERATED, MAX_PARAMETER, check_spins, low_value, spin_parameters

__all__ = ["RBM"]

_CHUNK = 1 << 14  # states per vectorised block of the enumeration
_FORMAT = 1


def _log_sum_two(a: np.ndarray, low: float) -> np.ndarray:
    """:math:`\\log(e^{\\ell a} + e^{a})`, elementwise and stable (softplus or log 2 cosh)."""
    return np.logaddexp(low * a, a)


def _states(start: int, stop: int, n: int, low: float) -> np.ndarray:
    """The configurations ``start .. stop - 1`` of ``n`` units (bit i of the index is unit i)."""
    bits = (np.arange(start, stop, dtype=np.int64)[:, None] >> np.arange(n, dtype=np.int64)) & 1
    return np.where(bits == 1, 1.0, low)


class RBM:
    """A binary restricted Boltzmann machine with weights ``W`` (n_visible, n_hidden) and biases.

    Parameters
    ----------
    n_visible, n_hidden
        Layer sizes (>= 1).
    spins
        ``"pm1"`` (units in {-1, +1}) or ``"01"`` (units in {0, 1}).
    scale
        Standard deviation of the Gaussian initial weights (biases start at 0); Hinton's practical guide
        (2010) suggests 0.01.
    seed
        Integer seed or ``numpy.random.Generator`` of the initial weights.

    Notes
    -----
    Energy :math:`E(v, h) = -v^\\top W h - b_v^\\top v - b_h^\\top h` in either convention (module docstring).
    :meth:`fit` trains the parameters in place; :meth:`from_params` builds a machine from given ones.
    """

    def __init__(self, n_visible: int, n_hidden: int, *, spins: str = "pm1", scale: float = 0.01, seed: Any = 0):
        n_v = as_count("n_visible", n_visible, minimum=1, maximum=10**6)
        n_h = as_count("n_hidden", n_hidden, minimum=1, maximum=10**6)
        if n_v * n_h > 10**8:
            raise ValueError(f"n_visible * n_hidden must be <= 1e8 (memory), got {n_v} * {n_h}")
        self.spins = check_spins(spins)
        scale = as_real_scalar("scale", scale, minimum=0.0, maximum=1e3)
        rng = as_generator(seed)
        self.W = scale * rng.standard_normal((n_v, n_h))
        self.b_visible = np.zeros(n_v)
        self.b_hidden = np.zeros(n_h)

    @classmethod
    def from_params(cls, W: ArrayLike, b_visible: ArrayLike, b_hidden: ArrayLike, *, spins: str = "pm1") -> RBM:
        """A machine with the given parameters (copied): ``W`` (n_visible, n_hidden), ``b_visible``
        (n_visible,), ``b_hidden`` (n_hidden,), units in the convention ``spins``."""
        W = as_real_array("W", W, minimum=-MAX_PARAMETER, maximum=MAX_PARAMETER)
        if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 1:
            raise ValueError(f"W must be a non-empty 2-D array (n_visible, n_hidden), got shape {W.shape}")
        b_v = as_real_array("b_visible", b_visible, minimum=-MAX_PARAMETER, maximum=MAX_PARAMETER)
        b_h = as_real_array("b_hidden", b_hidden, minimum=-MAX_PARAMETER, maximum=MAX_PARAMETER)
        if b_v.shape != (W.shape[0],):
            raise ValueError(f"b_visible must have shape ({W.shape[0]},) to match W {W.shape}, got {b_v.shape}")
        if b_h.shape != (W.shape[1],):
            raise ValueError(f"b_hidden must have shape ({W.shape[1]},) to match W {W.shape}, got {b_h.shape}")
        machine = cls.__new__(cls)
        machine.spins = check_spins(spins)
        machine.W, machine.b_visible, machine.b_hidden = W.copy(), b_v.copy(), b_h.copy()
        return machine

    # ----------------------------------------------------------------------------------- basics

    @property
    def n_visible(self) -> int:
        return int(self.W.shape[0])

    @property
    def n_hidden(self) -> int:
        return int(self.W.shape[1])

    @property
    def low(self) -> float:
        """The lower value of a unit (-1 or 0)."""
        return low_value(self.spins)

    def __repr__(self) -> str:
        return f"RBM(n_visible={self.n_visible}, n_hidden={self.n_hidden}, spins={self.spins!r})"

    def copy(self) -> RBM:
        return RBM.from_params(self.W, self.b_visible, self.b_hidden, spins=self.spins)

    def to_spins(self, spins: str) -> tuple[RBM, float]:
        """The same distribution in the convention ``spins``, and the shift of the log partition function.

        Returns ``(machine, c)`` with :math:`\\log Z_{\\rm this} = \\log Z_{\\rm machine} + c` (the energies differ
        by the constant c); the probabilities of corresponding configurations (:math:`v = 2x - 1`) are equal.
        """
        target = check_spins(spins)
        if target == self.spins:
            return self.copy(), 0.0
        W, b_v, b_h = self.W, self.b_visible, self.b_hidden
        if target == "01":  # from +-1: v = 2x - 1
            out = (4.0 * W, 2.0 * b_v - 2.0 * W.sum(axis=1), 2.0 * b_h - 2.0 * W.sum(axis=0))
            shift = float(W.sum() - b_v.sum() - b_h.sum())
        else:  # from 0/1: x = (v + 1) / 2
            J, a, c, shift = spin_parameters(self)
            out = (J, a, c)
        return RBM.from_params(*out, spins=target), shift

    def check_data(self, data: ArrayLike, name: str = "data", *, layer: str = "visible") -> np.ndarray:
        """``data`` as a float array (n, n_units) of the machine's two unit values, or a one-line error."""
        n = self.n_visible if layer == "visible" else self.n_hidden
        arr = as_real_array(name, data)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != n or arr.shape[0] < 1:
            raise ValueError(f"{name} must have shape (n_samples, {n}) for {n} {layer} units, got {np.shape(data)}")
        low = self.low
        if not np.all((arr == 1.0) | (arr == low)):
            bad = arr[(arr != 1.0) & (arr != low)].ravel()[0]
            raise ValueError(f"{name} must be binary in {{{low:g}, 1}} for spins={self.spins!r}, got the value {bad!r}")
        return arr

    # ----------------------------------------------------------------------------- conditionals

    def hidden_field(self, v: np.ndarray) -> np.ndarray:
        """:math:`b_h + v^\\top W` for every row of ``v``."""
        return v @ self.W + self.b_hidden

    def visible_field(self, h: np.ndarray) -> np.ndarray:
        """:math:`b_v + W h` for every row of ``h``."""
        return h @ self.W.T + self.b_visible

    def on_probability(self, field: np.ndarray) -> np.ndarray:
        """Probability that a unit in ``field`` takes the value 1: :math:`\\sigma((1 - \\ell) a)`."""
        return expit((1.0 - self.low) * field)

    def mean(self, field: np.ndarray) -> np.ndarray:
        """Mean of a unit in ``field``: :math:`\\ell + (1 - \\ell)\\,\\sigma((1 - \\ell) a)` (tanh a for +-1)."""
        low = self.low
        return low + (1.0 - low) * self.on_probability(field)

    def draw(self, field: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Independent units in ``field``: 1 with probability :meth:`on_probability`, else the low value."""
        return np.where(rng.random(field.shape) < self.on_probability(field), 1.0, self.low)

    def gibbs(self, v: np.ndarray, steps: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``steps`` block-Gibbs sweeps h ~ p(h|v), v ~ p(v|h) from ``v``; returns the last (v, h)."""
        h = self.draw(self.hidden_field(v), rng)
        for _ in range(steps):
            v = self.draw(self.visible_field(h), rng)
            h = self.draw(self.hidden_field(v), rng)
        return v, h

    # ------------------------------------------------------------------------------ energies

    def energy(self, v: ArrayLike, h: ArrayLike) -> np.ndarray:
        """:math:`E(v, h) = -v^\\top W h - b_v^\\top v - b_h^\\top h` for every row pair."""
        v = self.check_data(v, "v")
        h = self.check_data(h, "h", layer="hidden")
        if v.shape[0] != h.shape[0]:
            raise ValueError(f"v and h must have the same number of rows, got {v.shape[0]} and {h.shape[0]}")
        return -np.einsum("ni,ij,nj->n", v, self.W, h) - v @ self.b_visible - h @ self.b_hidden

    def free_energy(self, v: ArrayLike) -> np.ndarray:
        """Visible free energy :math:`F(v) = -b_v^\\top v - \\sum_j \\log \\sum_{h_j} e^{h_j a_j}`, a = b_h + v W.

        ``v``: (n, n_visible) or one configuration; returns (n,). :math:`p(v) = e^{-F(v)} / Z`.
        """
        return self.visible_free_energy(self.check_data(v, "v"))

    def visible_free_energy(self, v: np.ndarray) -> np.ndarray:
        """:meth:`free_energy` without the input check (``v`` already a float array of unit values)."""
        return -(v @ self.b_visible) - _log_sum_two(self.hidden_field(v), self.low).sum(axis=1)

    def hidden_free_energy(self, h: ArrayLike) -> np.ndarray:
        """The hidden layer's free energy :math:`-\\log \\sum_v e^{-E(v, h)}` (Mehta & Schwab's
        :math:`H^{\\rm RBM}[h]`): :math:`-b_h^\\top h - \\sum_i \\log \\sum_{v_i} e^{v_i (b_{v,i} + (W h)_i)}`."""
        h = self.check_data(h, "h", layer="hidden")
        return -(h @ self.b_hidden) - _log_sum_two(self.visible_field(h), self.low).sum(axis=1)

    # ------------------------------------------------------------------------- partition function

    def log_partition(self, method: str = "exact", **options: Any) -> LogPartition:
        """:math:`\\log Z`, exactly or by annealed importance sampling.

        Parameters
        ----------
        method
            ``"exact"``: enumerate the smaller layer (at most :data:`MAX_ENUMERATED` units), the other
            summed out analytically, as a chunked logsumexp; ``stderr`` is 0. ``"ais"``: annealed importance
            sampling from a base-rate model (Salakhutdinov & Murray, ICML 2008); ``options`` go to
            :func:`statlearn.rbm.ais.ais_log_partition` (``n_chains``, ``n_betas``, ``seed``, ``base_data``).
            ``"tap2"``, ``"tap3"``: the second- or third-order TAP (Plefka) free energy at its fixed point
            (Gabrie, Tramel & Krzakala, NeurIPS 2015), an approximation good for weak couplings; ``options`` go to
            :func:`statlearn.rbm.tap.tap_magnetisations` (``start``, ``n_starts``, ``seed``, ``damping``, ``tol``,
            ``max_iter``).

        Returns
        -------
        LogPartition
            ``log_z``, ``stderr`` and how it was obtained.
        """
        if not isinstance(method, str):
            raise TypeError(f"method must be 'exact', 'ais', 'tap2' or 'tap3', got {brief(method)}")
        if method == "ais":
            return ais_log_partition(self, **options)
        if method in TAP_METHODS:
            return tap_log_partition(self, method, **options)
        if method != "exact":
            raise ValueError(f"method must be 'exact', 'ais', 'tap2' or 'tap3', got {method!r}")
        if options:
            raise TypeError(f"method='exact' takes no options, got {', '.join(sorted(options))}")
        value, layer = self.exact_log_partition()
        return LogPartition(
            log_z=value, stderr=0.0, method="exact", n_chains=0, n_betas=0, message=f"enumerated the {layer} layer"
        )

    def exact_log_partition(self) -> tuple[float, str]:
        """:math:`\\log Z` by enumerating the smaller layer, and which layer was enumerated."""
        n = min(self.n_visible, self.n_hidden)
        if n > MAX_ENUMERATED:
            raise ValueError(
                f"method='exact' enumerates the smaller layer, at most {MAX_ENUMERATED} units; this machine has "
                f"{self.n_visible} visible and {self.n_hidden} hidden: use method='ais'"
            )
        hidden = self.n_hidden <= self.n_visible
        low = self.low
        total = -np.inf
        for start in range(0, 1 << n, _CHUNK):
            states = _states(start, min(start + _CHUNK, 1 << n), n, low)
            if hidden:
                minus_f = states @ self.b_hidden + _log_sum_two(self.visible_field(states), low).sum(axis=1)
            else:
                minus_f = -self.visible_free_energy(states)
            top = minus_f.max()
            total = np.logaddexp(total, top + np.log(np.exp(minus_f - top).sum()))
        return float(total), "hidden" if hidden else "visible"

    def log_likelihood(self, data: ArrayLike, *, log_z: Any = None, method: str = "exact", **options: Any) -> float:
        """Mean log-likelihood per sample, :math:`\\langle -F(v) \\rangle_{\\rm data} - \\log Z`.

        ``log_z``: a number or a :class:`~statlearn.rbm.ais.LogPartition` already computed; otherwise
        :meth:`log_partition` ``(method, **options)`` is called.
        """
        v = self.check_data(data)
        if log_z is None:
            value = self.log_partition(method, **options).log_z
        else:
            value = as_real_scalar("log_z", getattr(log_z, "log_z", log_z))
        return float(-self.visible_free_energy(v).mean() - value)

    # ------------------------------------------------------------------------------- monitors

    def pseudo_likelihood(self, data: ArrayLike, *, n_sites: int | None = None, seed: Any = 0) -> float:
        """Mean log pseudo-likelihood per sample, :math:`\\sum_i \\log p(v_i \\mid v_{-i})`.

        :math:`p(v_i \\mid v_{-i}) = \\sigma(F(\\tilde v^{(i)}) - F(v))` with :math:`\\tilde v^{(i)}` the
        configuration with unit i flipped (Besag 1975). ``n_sites=None`` sums every site (the definition);
        an integer draws that many sites per sample (``seed``) and scales by ``n_visible / n_sites``, an
        unbiased estimate (what scikit-learn's ``BernoulliRBM.score_samples`` does with one site).
        """
        v = self.check_data(data)
        f = self.visible_free_energy(v)
        if n_sites is None:
            sites = np.broadcast_to(np.arange(self.n_visible), (v.shape[0], self.n_visible))
        else:
            k = as_count("n_sites", n_sites, minimum=1, maximum=self.n_visible)
            rng = as_generator(seed)
            sites = np.argsort(rng.random((v.shape[0], self.n_visible)), axis=1)[:, :k]
        total = np.zeros(v.shape[0])
        flip = 1.0 + self.low
        rows = np.arange(v.shape[0])
        for c in range(sites.shape[1]):
            flipped = v.copy()
            flipped[rows, sites[:, c]] = flip - v[rows, sites[:, c]]
            total -= np.logaddexp(0.0, f - self.visible_free_energy(flipped))  # log sigmoid(F~ - F)
        return float(total.mean() * self.n_visible / sites.shape[1])

    def reconstruction_error(self, data: ArrayLike) -> float:
        """Mean squared error per unit of the mean-field reconstruction :math:`\\langle v \\mid \\langle h
        \\mid v\\rangle\\rangle` (deterministic: means, no samples); in [0, 1] for 0/1 units, [0, 4] for +-1."""
        v = self.check_data(data)
        h = self.mean(self.hidden_field(v))
        return float(np.mean((v - self.mean(self.visible_field(h))) ** 2))

    # ------------------------------------------------------------------------- sampling, training

    def sample(self, n: int, *, steps: int = 1000, seed: Any = 0, start: ArrayLike | None = None) -> np.ndarray:
        """``n`` visible configurations after ``steps`` block-Gibbs sweeps (h ~ p(h|v), v ~ p(v|h)).

        The chains start from uniformly random configurations, or from the rows of ``start`` (n, n_visible).
        Returns (n, n_visible) in the machine's unit values.
        """
        n = as_count("n", n, minimum=1, maximum=10**7)
        steps = as_count("steps", steps, minimum=0, maximum=10**9)
        rng = as_generator(seed)
        if start is None:
            v = np.where(rng.random((n, self.n_visible)) < 0.5, 1.0, self.low)
        else:
            v = self.check_data(start, "start")
            if v.shape[0] != n:
                raise ValueError(f"start must have n = {n} rows, got {v.shape[0]}")
        if steps == 0:
            return v.copy()
        h = self.draw(self.hidden_field(v), rng)
        for _ in range(steps - 1):
            v = self.draw(self.visible_field(h), rng)
            h = self.draw(self.hidden_field(v), rng)
        return self.draw(self.visible_field(h), rng)

    def fit(self, data: ArrayLike, **settings: Any) -> TrainingHistory:
        """Train in place by CD-k, PCD or EMF (TAP2/TAP3); see :func:`statlearn.rbm.training.train` for the settings."""
        return train(self, data, **settings)

    # ------------------------------------------------------------------------------- files

    def save(self, directory: str | os.PathLike) -> Path:
        """Write ``rbm.json`` (spins, sizes, format) and ``params.npz`` (W, b_visible, b_hidden; no pickle)."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        np.savez(path / "params.npz", W=self.W, b_visible=self.b_visible, b_hidden=self.b_hidden)
        meta = {"format": _FORMAT, "spins": self.spins, "n_visible": self.n_visible, "n_hidden": self.n_hidden}
        meta["energy"] = "E(v, h) = -v.W h - b_visible.v - b_hidden.h"
        (path / "rbm.json").write_text(json.dumps(meta, indent=1))
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike) -> RBM:
        """A machine written by :meth:`save`."""
        path = Path(directory)
        try:
            meta = json.loads((path / "rbm.json").read_text())
            with np.load(path / "params.npz", allow_pickle=False) as arrays:
                params = {k: arrays[k] for k in ("W", "b_visible", "b_hidden")}
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"directory {str(directory)!r} does not hold a saved RBM: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ValueError(f"directory {str(directory)!r}: unknown RBM format {brief(meta)}")
        return cls.from_params(**params, spins=str(meta.get("spins")))
