"""Lecture and paper figures, one module each, installed as ``statlearn.reproductions``.

Importing this package is light: :func:`names` and :func:`catalogue` read the reproductions' names
and titles without importing them, and :func:`get` imports the one module asked for.
"""

from statlearn.reproductions.registry import (
    MODULES,
    REGISTRY,
    Check,
    Entry,
    Reproduction,
    ReproductionResult,
    catalogue,
    get,
    names,
    register,
)

__all__ = [
    "MODULES",
    "REGISTRY",
    "Check",
    "Entry",
    "Reproduction",
    "ReproductionResult",
    "catalogue",
    "get",
    "names",
    "register",
]
