"""Registry of reproductions: each lecture or paper figure is one registered function.

The reproduction modules are listed in :data:`MODULES`; :func:`catalogue` reads their names and
titles from the source (the literal arguments of their ``@register`` line) without importing them,
so listing is fast, and :func:`get` imports only the module of the reproduction asked for.

A reproduction is a function ``run(settings, out_dir, executor) -> ReproductionResult``
registered with :func:`register`. It receives the settings dictionary of the chosen mode
(``quick`` or ``full``), the folder to write its PNG and CSV into, and the executor its sweeps
should use (anything :func:`statlearn.sweep.sweep` accepts: None for a local process pool,
``"serial"``, or e.g. a dask executor), and returns its theory-versus-simulation checks. The
runner (:mod:`statlearn.reproductions.runner`) writes ``checks.json`` and the summary ``report.md``.
"""

from __future__ import annotations

import ast
import functools
import importlib
import math
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Check",
    "Entry",
    "ReproductionResult",
    "Reproduction",
    "register",
    "catalogue",
    "get",
    "names",
    "MODULES",
    "REGISTRY",
]

#: The modules of this package that register a reproduction, in the order they run and are reported:
#: capacity, Bayes-optimal GLMs and AMP, online SGD, ERM, WIRG, RBMs.
MODULES = (
    "capacity",
    "binary_capacity",
    "amp_state_evolution",
    "bayes_perceptron",
    "computational_gap",
    "committee_plateau",
    "committee_machine",
    "online_perceptron",
    "overparametrisation",
    "double_descent_classification",
    "double_descent_regression",
    "structured_data",
    "loss_comparison",
    "wirg_gaussian",
    "wirg_phi4",
    "wirg_lognormal",
    "ising_exact",
    "rbm_likelihood",
    "rbm_tap",
    "rbm_tap_ais",
    "pca_rg",
    "gaussian_mixture",
    "dmft_sgd",
    "compressed_sensing",
    "mehta_schwab",
    "sk_amp",
    "sk_monte_carlo",
    "sk_phase_diagram",
)


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
        if not isinstance(self.quantity, str) or not self.quantity:
            raise TypeError(f"quantity of a check must be a non-empty string, got {self.quantity!r}")
        if not isinstance(self.note, str):
            raise TypeError(f"note of check {self.quantity!r} must be a string, got {type(self.note).__name__}")
        for name in ("theory", "simulation", "stderr", "tolerance"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} of check {self.quantity!r} must be a real number, got {type(value).__name__}")
            object.__setattr__(self, name, float(value))
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
    """A registered reproduction; ``cost`` estimates the CPU seconds of its quick settings (the
    runner starts the most expensive first when it runs several at once)."""

    name: str
    title: str
    run: Callable[[Mapping[str, Any], Path, Any], ReproductionResult]
    quick: Mapping[str, Any] = field(default_factory=dict)
    full: Mapping[str, Any] = field(default_factory=dict)
    cost: float = 0.0

    def settings(self, mode: str) -> Mapping[str, Any]:
        if mode not in ("quick", "full"):
            raise ValueError(f"mode must be 'quick' or 'full', got {mode!r}")
        return self.quick if mode == "quick" else self.full


REGISTRY: dict[str, Reproduction] = {}


def register(name: str, title: str, *, quick: Mapping[str, Any], full: Mapping[str, Any], cost: float = 0.0):
    """Decorator registering ``run(settings, out_dir, executor)`` under ``name``; ``cost`` is the
    estimated CPU time of its quick settings in seconds (>= 0), used to schedule the longest first."""

    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise ValueError(f"reproduction name must be letters, digits, '-', '_' or '.' (a folder name), got {name!r}")
    if not isinstance(title, str) or not title.strip():
        raise TypeError(f"title of reproduction {name!r} must be a non-empty string, got {title!r}")
    for mode, settings in (("quick", quick), ("full", full)):
        if not isinstance(settings, Mapping):
            raise TypeError(
                f"{mode} settings of reproduction {name!r} must be a mapping, got {type(settings).__name__}"
            )

    if isinstance(cost, bool) or not isinstance(cost, numbers.Real):
        raise TypeError(f"cost of reproduction {name!r} must be a number of seconds, got {type(cost).__name__}")
    if not 0 <= cost < math.inf:
        raise ValueError(f"cost of reproduction {name!r} must be a finite number of seconds >= 0, got {cost!r}")

    def deco(func: Callable[[Mapping[str, Any], Path, Any], ReproductionResult]):
        if not callable(func):
            raise TypeError(f"reproduction {name!r} must decorate a function, got {type(func).__name__}")
        if name in REGISTRY:
            raise ValueError(f"reproduction {name!r} is registered twice")
        REGISTRY[name] = Reproduction(name, title, func, dict(quick), dict(full), float(cost))
        return func

    return deco


@dataclass(frozen=True)
class Entry:
    """A reproduction as listed in its module's source: name, title, and module (in this package)."""

    name: str
    title: str
    module: str


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[Entry, ...]:
    entries = []
    for module in MODULES:
        source = (Path(__file__).parent / f"{module}.py").read_text(encoding="utf-8")
        found = [
            Entry(call.args[0].value, call.args[1].value, module)
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            for call in node.decorator_list
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "register"
            and len(call.args) >= 2
            and all(isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in call.args[:2])
        ]
        if len(found) != 1:
            raise RuntimeError(
                f"reproduction module {module} must have exactly one @register(name, title, ...) with literal "
                f"name and title, found {len(found)}"
            )
        entries += found
    return tuple(entries)


def catalogue() -> dict[str, Entry]:
    """Every reproduction by name, in run order, without importing the reproduction modules.

    The shipped reproductions come first (read from the source of :data:`MODULES`), then any
    registered at run time with :func:`register` by other code (``module`` is then its module).
    """
    entries = {entry.name: entry for entry in _shipped()}
    for name, repro in REGISTRY.items():
        if name not in entries:
            entries[name] = Entry(name, repro.title, getattr(repro.run, "__module__", ""))
    return entries


def names() -> list[str]:
    """Names of every reproduction, in run order (see :func:`catalogue`)."""
    return list(catalogue())


def get(name: str) -> Reproduction:
    """The reproduction called ``name``, importing its module if needed.

    Raises
    ------
    ValueError
        If no reproduction has that name (the message lists the known names).
    TypeError
        If ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"reproduction name must be a string, got {type(name).__name__}")
    if name not in REGISTRY:
        entry = {e.name: e for e in _shipped()}.get(name)
        if entry is None:
            raise ValueError(f"unknown reproduction {name!r}; known: {', '.join(names())}")
        importlib.import_module(f"{__package__}.{entry.module}")
    return REGISTRY[name]
