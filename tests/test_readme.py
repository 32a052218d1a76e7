"""The README's worked example must stay true: run it as a doctest."""

import doctest
from pathlib import Path


def test_readme_tour_runs():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    result = doctest.testfile(str(readme), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
