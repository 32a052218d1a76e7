"""Generate the API reference pages from the packages' ``__all__`` at build time.

One page per subpackage of :mod:`statlearn` (and one for :mod:`wirg`): the package docstring, a
summary table of its public names, then each public module of the package with the names of its
``__all__``. Every object is documented once, in the module that defines it; a module or package
that re-exports it links to that entry. Nothing here lists a name by hand, so renames and new
modules appear in the reference without touching the docs. The command line (``statlearn.cli*``,
described by ``statlearn --help``) and the reproductions (shown by the gallery) are left out.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import types
import typing
from pathlib import Path
from types import ModuleType

from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer

ROOTS = ("statlearn", "wirg")
# the command line is described by `statlearn --help`; the reproductions by the gallery
SKIP = ("__main__", "reproductions")


def _skipped(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last.startswith("_") or last in SKIP or last.startswith("cli")


def _public_submodules(package: ModuleType) -> list[ModuleType]:
    if not hasattr(package, "__path__"):
        return []
    out = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        name = f"{package.__name__}.{info.name}"
        if _skipped(name):
            continue
        out.append(importlib.import_module(name))
    return out


def _defined_in(obj: object, module: ModuleType) -> bool:
    return getattr(obj, "__module__", None) == module.__name__


def _has_attribute_doc(module: ModuleType, name: str) -> bool:
    try:
        return ("", name) in ModuleAnalyzer.for_module(module.__name__).find_attr_docs()
    except Exception:  # no source to analyse
        return False


def _is_alias(obj: object) -> bool:
    return isinstance(obj, (types.GenericAlias, types.UnionType)) or typing.get_origin(obj) is not None


def _summarisable(module: ModuleType, name: str, obj: object) -> bool:
    """Whether autosummary can show a first line of this object's own documentation."""
    if _is_alias(obj):
        return False
    return inspect.isclass(obj) or callable(obj) or _has_attribute_doc(module, name)


def _directive(module: ModuleType, name: str, obj: object) -> list[str]:
    qualname = f"{module.__name__}.{name}"
    if _is_alias(obj):
        return [f".. py:data:: {qualname}", f"   :value: {obj!r}", "", "   Type alias.", ""]
    if inspect.isclass(obj):
        kind = "autoexception" if issubclass(obj, BaseException) else "autoclass"
        return [f".. {kind}:: {qualname}", "   :members:", ""]
    if callable(obj):
        return [f".. autofunction:: {qualname}", ""]
    if _has_attribute_doc(module, name):
        return [f".. autodata:: {qualname}", "   :no-value:", ""]
    # a constant without a doc comment: autodoc would show the docstring of its type (dict, ...)
    return [f".. py:data:: {qualname}", f"   :type: {type(obj).__name__}", ""]


def _heading(text: str, char: str) -> list[str]:
    return [text, char * len(text), ""]


class _Registry:
    """Where each public object is documented (by identity), first come first served."""

    def __init__(self) -> None:
        self.home: dict[int, str] = {}

    def claim(self, obj: object, qualname: str) -> str | None:
        """Return None if ``qualname`` documents ``obj`` now, else the qualname that does."""
        key = id(obj)
        if key in self.home:
            return self.home[key]
        self.home[key] = qualname
        return None


def _module_entries(module: ModuleType, registry: _Registry, owners: dict[int, ModuleType]) -> list[str]:
    lines: list[str] = []
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if owners.get(id(obj), module) is not module:
            continue  # documented in its defining module; the package's summary table links there
        if registry.claim(obj, f"{module.__name__}.{name}") is None:
            lines += _directive(module, name, obj)
    return lines


def _owners(modules: list[ModuleType]) -> dict[int, ModuleType]:
    """The module each public object is documented in: the module that defines it if that module
    lists it in ``__all__``, else the first module (in page order) that exports it."""
    owners: dict[int, ModuleType] = {}
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if _defined_in(obj, module):
                owners[id(obj)] = module
    for module in modules:
        for name in getattr(module, "__all__", []):
            owners.setdefault(id(getattr(module, name)), module)
    return owners


def _page(package: ModuleType, registry: _Registry, owners: dict[int, ModuleType]) -> str:
    title = package.__name__
    lines = _heading(title, "=")
    lines += [f".. automodule:: {package.__name__}", ""]
    exported = list(getattr(package, "__all__", []))
    if exported:
        lines += _heading("Summary", "-")
        lines += [".. currentmodule:: None", "", ".. autosummary::", ""]
        for name in exported:
            obj = getattr(package, name)
            owner = owners.get(id(obj), package)
            if _summarisable(owner, name, obj):
                lines.append(f"   ~{owner.__name__}.{name}")
        lines.append("")
    own = _module_entries(package, registry, owners)
    if own:
        lines += own
    for module in _public_submodules(package):
        entries = _module_entries(module, registry, owners)
        lines += _heading(module.__name__, "-")
        lines += [f".. automodule:: {module.__name__}", ""]
        lines += entries
    return "\n".join(lines) + "\n"


def _packages() -> list[ModuleType]:
    pages = []
    for root_name in ROOTS:
        root = importlib.import_module(root_name)
        if root_name == "statlearn":
            for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
                name = f"statlearn.{info.name}"
                if not _skipped(name):
                    pages.append(importlib.import_module(name))
        else:
            pages.append(root)
    return pages


def _all_modules(pages: list[ModuleType]) -> list[ModuleType]:
    out = []
    for package in pages:
        out += _public_submodules(package)
    # packages after their modules: a name defined in a module is documented there
    return out + pages


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def generate(app: Sphinx) -> None:
    out = Path(app.srcdir) / "api"
    out.mkdir(exist_ok=True)
    pages = _packages()
    owners = _owners(_all_modules(pages))
    registry = _Registry()
    names = []
    for package in pages:
        names.append(package.__name__)
        _write_if_changed(out / f"{package.__name__}.rst", _page(package, registry, owners))
    for stale in out.glob("*.rst"):
        if stale.stem not in names and stale.stem != "index":
            stale.unlink()
    index = _heading("API reference", "=")
    index += [
        "Generated from the code: each package's ``__all__`` is its public API. Every object is",
        "documented in the module that defines it; the summary table of a package links there.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    index += [f"   {name}" for name in names]
    _write_if_changed(out / "index.rst", "\n".join(index) + "\n")


_CODE = re.compile(r"(``.+?``|:[\w:]+:`[^`]*`|`[^`]*`_{0,2})")


def escape_plain_bars(app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]) -> None:
    """Read ``|x|`` in a docstring's plain text as the norm it means, not as a reST substitution.

    The docstrings write equations in plain text next to ``:math:`` roles; a bar outside code,
    roles and ``.. math::`` / literal blocks is escaped. Inside those it is left alone.
    """
    block_indent: int | None = None
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if block_indent is not None:
            if stripped and indent <= block_indent:
                block_indent = None
            else:
                continue
        if stripped.startswith(".. math::") or stripped.startswith(".. code") or line.rstrip().endswith("::"):
            block_indent = indent
            if stripped.startswith(".. math::") and stripped[len(".. math::") :].strip():
                continue  # the equation on the directive line itself
        if "|" in line and not stripped.startswith("|"):
            parts = _CODE.split(line)
            lines[i] = "".join(p if k % 2 else p.replace("|", "\\|") for k, p in enumerate(parts))


def setup(app: Sphinx) -> dict[str, object]:
    app.setup_extension("sphinx.ext.autosummary")
    app.config.autosummary_generate = False
    app.connect("builder-inited", generate)
    app.connect("autodoc-process-docstring", escape_plain_bars)
    return {"version": "1", "parallel_read_safe": True}
