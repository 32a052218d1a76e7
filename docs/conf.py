"""Sphinx configuration of the statlearn documentation.

Build (warnings are errors; the gallery is read from a ``statlearn reproduce`` output folder)::

    STATLEARN_REPRODUCE_OUT=reproduce-out python -m sphinx -W --keep-going -b html docs docs/_build/html

Sphinx rather than mkdocs: the docstrings are numpy style with reST ``:math:`` roles and
``.. math::`` blocks, which napoleon and autodoc render as they are; MyST reads the Markdown pages.
Maths is rendered by a MathJax copy shipped in a PyPI package (``sphinx-mathjax-offline``), so the
site works without network access. The API pages and the gallery are generated at build time
(``docs/_ext``): the API from each package's ``__all__``, the gallery from the reproduce folder.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import statlearn  # noqa: E402

project = "statlearn"
author = "the statlearn developers"
copyright = "the statlearn developers, MIT licence"
release = statlearn.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "statlearn_apidoc",
    "statlearn_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "README.md"]

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

autodoc_default_options = {"show-inheritance": True}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_inherit_docstrings = True
autodoc_preserve_defaults = True
# Dataclass fields are documented in the class docstring's Attributes section; as :ivar: fields
# they do not duplicate the attribute entries autodoc makes for the dataclass members.
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_ivar = True
napoleon_use_rtype = False

html_theme = "furo"
html_title = f"statlearn {release}"
html_static_path: list[str] = []
html_show_sourcelink = False

# The :ivar: fields napoleon writes for a class's Attributes link each name to an attribute; when
# several classes have an attribute of that name (rho, n_params, ...) Sphinx cannot choose and says
# so. Those links are not wanted; the ambiguity is harmless.
suppress_warnings = ["ref.python"]
