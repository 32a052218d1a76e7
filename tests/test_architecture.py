"""The package's shape, checked from its source: no import cycle, no private name imported across modules,
and imports that follow the layering (numerics <- models <- theories <- reproductions, cli; wirg on numerics)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("statlearn", "wirg")

# What each layer may import from the project (a module matches the longest prefix listed).
LAYERS = {
    "statlearn.numerics": ("statlearn.numerics",),
    "statlearn.tables": (),
    "statlearn.models": ("statlearn.numerics", "statlearn.models"),
    "statlearn.replica": (
        "statlearn.numerics",
        "statlearn.models",
        "statlearn.replica",
        "statlearn.tables",
    ),
    "statlearn.amp": ("statlearn.numerics", "statlearn.models", "statlearn.amp"),
    "statlearn.online": ("statlearn.numerics", "statlearn.models", "statlearn.online"),
    "statlearn.rbm": ("statlearn.numerics", "statlearn.rbm"),
    "statlearn.rg": ("statlearn.numerics", "statlearn.rbm", "statlearn.rg"),
    "wirg": ("statlearn.numerics", "wirg"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module, imported names, line) for every project import of one module, at any depth."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.append((base, [alias.name for alias in node.names], node.lineno))
    return [(m, names, line) for m, names, line in out if m.split(".")[0] in PACKAGES]


def _resolve(target: str, names: list[str]) -> list[str]:
    """Project modules an import statement loads (``from pkg import module`` loads ``pkg.module``)."""
    loaded = [target] if target in MODULES else []
    loaded += [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
    return loaded


GRAPH = {
    name: {m for target, names, _ in _imports(name, path) for m in _resolve(target, names)}
    for name, path in MODULES.items()
}


def test_no_import_cycle():
    # Tarjan-free: depth-first search for a back edge, reporting the cycle found. A package's __init__
    # re-exporting its submodules is not a cycle of the code (submodules never import their __init__ here).
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if MODULES[nxt].name == "__init__.py" and node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for module in sorted(MODULES):
        if module not in state and (cycle := visit(module)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


def test_no_private_name_imported_across_modules():
    offenders = []
    for name, path in MODULES.items():
        for target, names, line in _imports(name, path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and target != name:
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {', '.join(private)} from {target}")
            if target.rpartition(".")[2].startswith("_") and not target.endswith("__"):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports the private module {target}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_imports_follow_the_layers(layer):
    allowed = LAYERS[layer]
    offenders = []
    for name, path in MODULES.items():
        if name != layer and not name.startswith(layer + "."):
            continue
        for target, _, line in _imports(name, path):
            if target == "statlearn":  # the top-level package holds only the version
                continue
            if not any(target == a or target.startswith(a + ".") for a in allowed):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not offenders, f"{layer} may import only {allowed}:\n" + "\n".join(offenders)
