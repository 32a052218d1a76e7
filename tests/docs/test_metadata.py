"""Release metadata: one version, a licence file matching the declared licence, a changelog."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

import statlearn

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

ROOT = Path(__file__).resolve().parents[2]


def test_version_is_single_sourced():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"], "the version lives in statlearn/__init__.py only"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "statlearn.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", statlearn.__version__)
    try:
        installed = importlib.metadata.version("statlearn")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("statlearn is not installed (pip install -e .)")
    assert installed == statlearn.__version__


def test_licence_and_changelog():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## Unreleased" in changelog
    released = re.findall(r"^## (\d+\.\d+\.\d+)", changelog, flags=re.M)
    assert released and released[0] == statlearn.__version__, "the newest changelog entry is the current version"
