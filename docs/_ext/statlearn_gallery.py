"""Generate the gallery: one page per reproduction, from a ``statlearn reproduce`` output folder.

The folder is the ``--out`` of ``statlearn reproduce`` (``DIR/<name>/checks.json`` and the figures
it lists, ``DIR/report.md``). It is taken from the environment variable
``STATLEARN_REPRODUCE_OUT``, else the config value ``statlearn_reproduce_out``, else
``reproduce-out`` at the repository root (where the README's main job writes). Each page shows the
reproduction's figures, its checks table (theory, simulation, standard error, tolerance,
discrepancy, verdict) and the command that regenerates it. A missing folder is a warning, so a
build with ``-W`` fails instead of publishing an empty gallery.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

ENV = "STATLEARN_REPRODUCE_OUT"


_DOLLARS = re.compile(r"\$([^$]+)\$")


def _esc(text: object) -> str:
    """Free text as reST on one line: punctuation taken literally, ``$...$`` (matplotlib's maths in
    the reproductions' labels) typeset as maths."""
    s = " ".join(str(text).split())
    parts = _DOLLARS.split(s)
    out = []
    for k, part in enumerate(parts):
        if k % 2:
            out.append("\\ :math:`" + part.replace("`", "") + "`\\ ")
        else:
            out.append(re.sub(r"([^\w\s])", r"\\\1", part))
    return "".join(out)


def _num(x: Any) -> str:
    if x is None:
        return "–"
    try:
        return f"{float(x):.6g}"
    except (TypeError, ValueError):
        return _esc(x)


def _heading(text: str, char: str) -> list[str]:
    return [text, char * len(text), ""]


def _source_folder(app: Sphinx) -> Path:
    raw = os.environ.get(ENV) or app.config.statlearn_reproduce_out
    folder = Path(raw) if raw else Path(app.srcdir).parent / "reproduce-out"
    return folder.expanduser().resolve()


def _capability_pages(srcdir: Path, name: str) -> list[str]:
    """Docs pages that describe reproduction ``name`` (they show ``reproduce NAME``)."""
    pattern = re.compile(rf"reproduce {re.escape(name)}\b")
    return sorted(p.stem for p in srcdir.glob("*.md") if pattern.search(p.read_text(encoding="utf-8")))


def _checks_table(checks: list[dict[str, Any]]) -> list[str]:
    """The checks as a table; the tolerance notes (often shared by several rows) numbered below it."""
    notes: dict[str, int] = {}
    for c in checks:
        if c.get("note"):
            notes.setdefault(" ".join(str(c["note"]).split()), len(notes) + 1)
    lines = [
        ".. list-table::",
        "   :header-rows: 1",
        "   :class: checks",
        "",
        "   * - quantity",
        "     - theory",
        "     - simulation",
        "     - stderr",
        "     - tolerance",
        "     - discrepancy",
        "     - verdict",
        "     - note",
    ]
    for c in checks:
        verdict = "pass" if c.get("passed") else "**FAIL**"
        note = " ".join(str(c.get("note", "")).split())
        lines += [
            f"   * - {_esc(c.get('quantity', ''))}",
            f"     - {_num(c.get('theory'))}",
            f"     - {_num(c.get('simulation'))}",
            f"     - {_num(c.get('stderr'))}",
            f"     - {_num(c.get('tolerance'))}",
            f"     - {_num(c.get('discrepancy'))}",
            f"     - {verdict}",
            f"     - {notes[note]}" if note else "     - –",
        ]
    lines.append("")
    if notes:
        lines += ["How each tolerance is set:", ""]
        lines += [f"{k}. {_esc(text)}" for text, k in notes.items()]
        lines.append("")
    return lines


def _page(info: dict[str, Any], folder: Path, srcdir: Path) -> list[str]:
    name = info["name"]
    checks = info.get("checks", [])
    passed = sum(bool(c.get("passed")) for c in checks)
    mode = info.get("mode", "quick")
    lines = [f".. _gallery-{name}:", ""]
    lines += _heading(f"{name}: {info.get('title', '')}".rstrip(": "), "=")
    verdict = "PASS" if info.get("passed") else "FAIL"
    elapsed = info.get("elapsed_seconds")
    when = f", {float(elapsed):.1f} s" if elapsed is not None else ""
    lines += [f"**{verdict}**: {passed} of {len(checks)} checks pass ({_esc(mode)} settings{when}).", ""]
    if info.get("summary"):
        lines += [_esc(info["summary"]), ""]
    pages = _capability_pages(srcdir, name)
    if pages:
        lines += ["Described in " + ", ".join(f":doc:`/{p}`" for p in pages) + ".", ""]
    lines += ["Regenerate this page's figure and checks with", "", ".. code-block:: bash", ""]
    lines += [f"   statlearn reproduce {name} --{mode} --out reproduce-out", ""]
    lines += ["and rebuild the site (see :doc:`/index`).", ""]
    if info.get("error"):
        lines += ["The reproduction stopped with an error:", "", ".. code-block:: text", ""]
        lines += ["   " + line for line in str(info["error"]).splitlines()] + [""]
    warned = info.get("warnings") or []
    if warned:
        lines += ["Warnings during the run:", ""] + [f"- {_esc(w)}" for w in warned] + [""]
    for fig in info.get("figures", []):
        if (folder / name / fig).is_file():
            lines += [f".. figure:: {name}/{fig}", f"   :alt: {name}: {fig}", ""]
        else:
            logger.warning("gallery: %s lists figure %s, which is not in %s", name, fig, folder / name)
    lines += _heading("Checks", "-")
    if checks:
        lines += _checks_table(checks)
    else:
        lines += ["No checks: a reproduction that verified nothing counts as failed.", ""]
    data = info.get("data", [])
    if data:
        lines += _heading("Data files", "-")
        lines += ["Written next to the figure: " + ", ".join(f"``{d}``" for d in data) + ".", ""]
    return lines


def _index(infos: list[dict[str, Any]], folder: Path) -> list[str]:
    lines = _heading("Gallery", "=")
    lines += [
        "Every figure the package reproduces, with the theory-versus-simulation checks that the run",
        "computed. This build shows the run in ``" + folder.name.replace("`", "") + "``; the checks of each page come",
        "from that run's ``checks.json`` and the figures are its PNG files.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - reproduction",
        "     - checks passed",
        "     - settings",
    ]
    for info in infos:
        checks = info.get("checks", [])
        passed = sum(bool(c.get("passed")) for c in checks)
        lines += [
            f"   * - :ref:`{info['name']} <gallery-{info['name']}>`",
            f"     - {passed} / {len(checks)}" + ("" if info.get("passed") else " (**FAIL**)"),
            f"     - {_esc(info.get('mode', ''))}",
        ]
    lines += [""]
    for info in infos:
        for fig in info.get("figures", [])[:1]:
            if (folder / info["name"] / fig).is_file():
                lines += [
                    f".. figure:: {info['name']}/{fig}",
                    f"   :alt: {info['name']}",
                    "   :width: 100%",
                    f"   :target: {info['name']}.html",
                    "",
                    f"   :ref:`{info['name']} <gallery-{info['name']}>`: {_esc(info.get('title', ''))}",
                    "",
                ]
    lines += [".. toctree::", "   :hidden:", ""] + [f"   {info['name']}" for info in infos]
    return lines + [""]


def generate(app: Sphinx) -> None:
    srcdir = Path(app.srcdir)
    out = srcdir / "gallery"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    folder = _source_folder(app)
    infos: list[dict[str, Any]] = []
    if not folder.is_dir():
        logger.warning(
            "gallery: no reproduce output at %s; run `statlearn reproduce --quick --out DIR` and set %s=DIR",
            folder,
            ENV,
        )
    else:
        for path in sorted(folder.glob("*/checks.json")):
            try:
                info = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                logger.warning("gallery: cannot read %s: %s", path, exc)
                continue
            info.setdefault("name", path.parent.name)
            infos.append(info)
        if not infos:
            logger.warning("gallery: %s holds no <name>/checks.json", folder)
    for info in infos:
        name = info["name"]
        target = out / name
        target.mkdir()
        for fig in info.get("figures", []):
            if (folder / name / fig).is_file():
                shutil.copy2(folder / name / fig, target / fig)
        (out / f"{name}.rst").write_text("\n".join(_page(info, folder, srcdir)) + "\n", encoding="utf-8")
    (out / "index.rst").write_text("\n".join(_index(infos, folder)), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("statlearn_reproduce_out", "", "env", types=[str])
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True}
