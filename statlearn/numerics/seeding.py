"""Seeds at the public boundary: every random computation takes an explicit ``seed``.

An integer seed is a non-negative integer below :data:`SEED_LIMIT` = 2**63, so that it fits the signed
64-bit integers of numba kernels and ``numpy.random.SeedSequence`` alike; a
``numpy.random.Generator`` is passed through where an API accepts one.
"""

from __future__ import annotations

import numbers

import numpy as np

from statlearn.numerics.validation import brief

__all__ = ["SEED_LIMIT", "as_generator", "check_seed"]

SEED_LIMIT = 2**63


def check_seed(seed: object, name: str = "seed") -> int:
    """``seed`` as an ``int`` in ``[0, 2**63)``; ``TypeError``/``ValueError`` naming ``name`` otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {brief(seed)}")
    value = int(seed)
    if not 0 <= value < SEED_LIMIT:
        raise ValueError(f"{name} must be in [0, 2**63), got {brief(seed)}")
    return value


def as_generator(seed: object, name: str = "seed") -> np.random.Generator:
    """A ``numpy.random.Generator`` passed through, or ``numpy.random.default_rng(check_seed(seed))``."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be an integer or a numpy.random.Generator, got {type(seed).__name__}")
    return np.random.default_rng(check_seed(seed, name))
