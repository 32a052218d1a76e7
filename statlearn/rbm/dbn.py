r"""Deep belief networks: RBMs stacked and trained layer by layer (Hinton, Osindero & Teh, Neural Comput. 18,
1527 (2006)).

Layer l is an RBM whose visible units are the hidden units of layer l - 1. :meth:`DBN.train` trains layer 1 on
the data, then feeds each layer one *sample* :math:`h \sim p(h \mid v)` per data row (binary, so every layer is
a binary RBM trained on binary data) to the next. Sampling goes *down*: block Gibbs in the top RBM, then
:math:`v \sim p(v \mid h)` of each lower layer in turn; *up* draws :math:`h \sim p(h \mid v)` layer by layer.

The receptive field of the units of layer l (Mehta & Schwab, arXiv:1410.3831 (2014), their figure of the
stacked Ising RBMs) is the product of the weight matrices below it, :math:`W_1 W_2 \cdots W_l`, of shape
(n_visible, n_hidden_l): column j is the pattern of visible units unit j of layer l is coupled to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from statlearn.numerics.seeding import as_generator
from statlearn.numerics.validation import as_count, brief
from statlearn.rbm.machine import RBM
from statlearn.rbm.training import TrainingHistory
from statlearn.rbm.units import check_spins

__all__ = ["DBN"]


class DBN:
    """A stack of RBMs, ``layers[l - 1]`` being layer l (its visible layer is the hidden layer of l - 1).

    ``histories`` holds the :class:`~statlearn.rbm.training.TrainingHistory` of each layer when built by
    :meth:`train` (empty otherwise).
    """

    def __init__(self, layers: Sequence[RBM]):
        if isinstance(layers, RBM) or not isinstance(layers, Sequence) or not layers:
            raise TypeError(f"layers must be a non-empty sequence of RBMs, got {brief(layers)}")
        if not all(isinstance(layer, RBM) for layer in layers):
            raise TypeError("layers must all be RBMs")
        for l, (below, above) in enumerate(zip(layers[:-1], layers[1:]), start=1):
            if below.n_hidden != above.n_visible:
                raise ValueError(
                    f"layers: layer {l} has {below.n_hidden} hidden units but layer {l + 1} has {above.n_visible} visible"
                )
            if below.spins != above.spins:
                raise ValueError(f"layers must share one spin convention, got {below.spins!r} and {above.spins!r}")
        self.layers = list(layers)
        self.histories: list[TrainingHistory] = []

    @classmethod
    def train(
        cls,
        data: ArrayLike,
        n_hidden: Sequence[int],
        *,
        spins: str = "pm1",
        seed: Any = 0,
        scale: float = 0.01,
        **settings: Any,
    ) -> DBN:
        """Train a stack with hidden layers of sizes ``n_hidden`` on ``data`` greedily, layer by layer.

        ``settings`` go to every layer's :meth:`RBM.fit` (method, k, penalty, strength, learning_rate, ...); the
        seeds of the layers' initial weights, training and upward samples derive from ``seed``.
        """
        spins = check_spins(spins)
        if isinstance(n_hidden, (str, bytes)) or not isinstance(n_hidden, Sequence) or not n_hidden:
            raise TypeError(f"n_hidden must be a non-empty sequence of layer sizes, got {brief(n_hidden)}")
        sizes = [as_count("n_hidden", size, minimum=1, maximum=10**6) for size in n_hidden]
        rng = as_generator(seed)
        v = np.asarray(data)
        if v.ndim != 2:
            raise ValueError(f"data must have shape (n_samples, n_visible), got {v.shape}")
        first = RBM(v.shape[1], sizes[0], spins=spins, scale=scale, seed=rng)
        v = first.check_data(v)
        layers: list[RBM] = []
        histories: list[TrainingHistory] = []
        for size in sizes:
            layer = first if not layers else RBM(v.shape[1], size, spins=spins, scale=scale, seed=rng)
            histories.append(layer.fit(v, seed=rng, **settings))
            layers.append(layer)
            v = layer.draw(layer.hidden_field(v), rng)
        stack = cls(layers)
        stack.histories = histories
        return stack

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    def _check_layer(self, layer: object) -> int:
        return as_count("layer", layer, minimum=1, maximum=self.n_layers)

    def receptive_fields(self, layer: int) -> np.ndarray:
        """:math:`W_1 W_2 \\cdots W_l` for ``layer`` = l in 1..n_layers: shape (n_visible, n_hidden_l)."""
        l = self._check_layer(layer)
        out = self.layers[0].W
        for rbm in self.layers[1:l]:
            out = out @ rbm.W
        return out.copy()

    def up(self, data: ArrayLike, *, seed: Any = 0) -> list[np.ndarray]:
        """Samples :math:`h_l \\sim p(h_l \\mid h_{l-1})` of every layer from the data (h_0 = v), in order."""
        rng = as_generator(seed)
        v = self.layers[0].check_data(data)
        out = []
        for rbm in self.layers:
            v = rbm.draw(rbm.hidden_field(v), rng)
            out.append(v)
        return out

    def down(self, top: ArrayLike, *, seed: Any = 0) -> np.ndarray:
        """Visible samples from configurations ``top`` of the top hidden layer: :math:`v \\sim p(v \\mid h)` of
        each layer from the top down."""
        rng = as_generator(seed)
        h = self.layers[-1].check_data(top, "top", layer="hidden")
        for rbm in reversed(self.layers):
            h = rbm.draw(rbm.visible_field(h), rng)
        return h

    def sample(self, n: int, *, steps: int = 1000, seed: Any = 0) -> np.ndarray:
        """``n`` visible samples: ``steps`` block-Gibbs sweeps in the top RBM, one hidden draw, then :meth:`down`."""
        rng = as_generator(seed)
        top = self.layers[-1]
        v_top = top.sample(n, steps=steps, seed=rng)
        h_top = top.draw(top.hidden_field(v_top), rng)
        return self.down(h_top, seed=rng)
