"""Registry of reproductions: each lecture or paper figure is one registered function.

A reproduction is a function ``run(settings, out_dir, executor) -> ReproductionResult``
registered with :func:`register`. It receives the settings dictionary of the chosen mode
(``quick`` or ``full``), the folder to write its PNG and CSV into, and the executor its sweeps
should use (anything :func:`statlearn.sweep.sweep` accepts: None for a local process pool,
``"serial"``, or e.g. a dask executor), and returns its theory-versus-simulation checks. The
runner (:mod:`reproductions.runner`) writes ``checks.json`` and the summary ``report.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Check",
    "ReproductionResult",
    "Reproduction",
    "register",
    "get",
    "names",
    "REGISTRY",
]


@dataclass(frozen=True)
class Check:
    """One theory-versus-simulation comparison.

    ``passed`` follows from the numbers: ``|simulation - theory| <= tolerance``. The tolerance is
    set by the reproduction from the statistics (typically a multiple of ``stderr`` plus any
    known finite-size allowance, stated in ``note``), never tuned to make a check pass.
    """

    quantity: str
    theory: float
    simulation: float
    stderr: float
    tolerance: float
    note: str = ""

    def __post_init__(self) -> None:
        for name in ("theory", "simulation", "stderr", "tolerance"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if not self.tolerance >= 0:  # also refuses NaN
            raise ValueError(f"tolerance of check {self.quantity!r} must be >= 0, got {self.tolerance!r}")

    @property
    def discrepancy(self) -> float:
        return float(self.simulation - self.theory)

    @property
    def passed(self) -> bool:
        d = self.discrepancy
        return bool(math.isfinite(d) and abs(d) <= self.tolerance)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["discrepancy"] = self.discrepancy
        out["passed"] = self.passed
        return out


@dataclass(frozen=True)
class ReproductionResult:
    """What a reproduction produced: its files (relative to its folder) and its checks."""

    figures: tuple[str, ...]
    data: tuple[str, ...]
    checks: tuple[Check, ...]
    summary: str = ""

    @property
    def passed(self) -> bool:
        """Every check passed; a reproduction without checks has verified nothing and fails."""
        return bool(self.checks) and all(c.passed for c in self.checks)


@dataclass(frozen=True)
class Reproduction:
    name: str
    title: str
    run: Callable[[Mapping[str, Any], Path, Any], ReproductionResult]
    quick: Mapping[str, Any] = field(default_factory=dict)
    full: Mapping[str, Any] = field(default_factory=dict)

    def settings(self, mode: str) -> Mapping[str, Any]:
        if mode not in ("quick", "full"):
            raise ValueError(f"mode must be 'quick' or 'full', got {mode!r}")
        return self.quick if mode == "quick" else self.full


REGISTRY: dict[str, Reproduction] = {}


def register(name: str, title: str, *, quick: Mapping[str, Any], full: Mapping[str, Any]):
    """Decorator registering ``run(settings, out_dir, executor)`` under ``name``."""

    def deco(func: Callable[[Mapping[str, Any], Path, Any], ReproductionResult]):
        if name in REGISTRY:
            raise ValueError(f"reproduction {name!r} is registered twice")
        REGISTRY[name] = Reproduction(name, title, func, dict(quick), dict(full))
        return func

    return deco


def _load_all() -> None:
    # Importing the package imports every reproduction module, which registers itself.
    import reproductions  # noqa: F401


def names() -> list[str]:
    _load_all()
    return list(REGISTRY)


def get(name: str) -> Reproduction:
    _load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY)) or "(none)"
        raise ValueError(f"unknown reproduction {name!r}; known: {known}") from None
