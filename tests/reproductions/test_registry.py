"""The registry lists reproductions without importing them, and what it lists is what registers."""

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import statlearn.reproductions as package
from statlearn.reproductions import MODULES, REGISTRY, catalogue, get, names


def test_catalogue_matches_what_each_module_registers():
    for entry in catalogue().values():
        if entry.module not in MODULES:
            continue
        importlib.import_module(f"statlearn.reproductions.{entry.module}")
        repro = REGISTRY[entry.name]
        assert (repro.title, repro.run.__module__) == (entry.title, f"statlearn.reproductions.{entry.module}")
    assert len(names()) == len(set(names())) >= len(MODULES)


def test_every_module_with_a_register_line_is_listed():
    folder = Path(package.__file__).parent
    registering = {
        path.stem
        for path in folder.glob("*.py")
        if any(
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "register"
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    }
    assert registering == set(MODULES)


def test_listing_imports_no_reproduction_module_nor_numpy():
    code = (
        "import sys; from statlearn.reproductions import names; names(); "
        "print(sorted(m for m in sys.modules if m.startswith(('numpy', 'statlearn.reproductions.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['statlearn.reproductions.registry']"


@pytest.mark.parametrize("bad", ["nope", "", "CAPACITY"])
def test_unknown_name_is_a_value_error_listing_the_known(bad):
    with pytest.raises(ValueError, match="unknown reproduction.*known: capacity"):
        get(bad)


def test_a_name_must_be_a_string():
    with pytest.raises(TypeError, match="name must be a string"):
        get(3)
