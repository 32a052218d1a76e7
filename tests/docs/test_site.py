"""The built documentation site, opened in a real headless browser (Debian's chromium via Playwright).

Serves the site on 127.0.0.1, opens every gallery, theory, capability and API page, and checks
that every image loads (``naturalWidth > 0``), that the maths is typeset by the bundled MathJax
(rendered ``mjx-container`` nodes, no MathJax error node, no raw ``\\(``, ``\\[``, ``$...$`` left
in the text) and that no page asks for anything outside the local server.

Skipped, with the reason, when the site has not been built or chromium / playwright is missing;
``.ci/docs.sh`` builds the site and sets ``STATLEARN_DOCS_REQUIRED=1``, which turns those skips
into failures. Environment: ``STATLEARN_DOCS_SITE`` (default ``docs/_build/html``),
``STATLEARN_DOCS_SCREENSHOT`` (where to save a screenshot of the gallery page).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("STATLEARN_DOCS_SITE", ROOT / "docs" / "_build" / "html"))
CHROMIUM = os.environ.get("STATLEARN_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("STATLEARN_DOCS_REQUIRED") == "1"
# The flags this machine's headless chromium needs: no sandbox as root, no GPU, and no background
# connections (the network is closed; chromium would otherwise retry them at every start).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RAW_MATH = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\$[^$\s][^$]*\$")


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (STATLEARN_DOCS_REQUIRED=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        _unavailable(f"no built site at {SITE}: build it as the README says (python -m sphinx -W -b html docs ...)")
    return SITE


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[object]:
    if shutil.which(CHROMIUM) is None:
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[docs]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


class PageReport:
    """What one page showed: its images, its maths, and any request or script that failed."""

    def __init__(self, browser: object, base_url: str, path: str, screenshot: Path | None = None):
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []

        def route(r: object) -> None:
            if r.request.url.startswith(base_url):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("requestfailed", lambda req: self.failed.append(req.url))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        response = page.goto(f"{base_url}/{path}", wait_until="load")
        self.status = response.status if response is not None else 0
        self.has_mathjax = page.evaluate("() => typeof window.MathJax === 'object'")
        if self.has_mathjax:
            page.wait_for_function("() => window.MathJax.startup && window.MathJax.startup.promise", timeout=30_000)
            page.evaluate("() => window.MathJax.startup.promise")
        self.images = page.evaluate(
            "() => Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
        )
        self.math_nodes = page.evaluate("() => document.querySelectorAll('mjx-container').length")
        self.math_errors = page.evaluate("() => document.querySelectorAll('mjx-merror, [data-mjx-error]').length")
        # the visible text without code blocks and typeset maths: no TeX delimiter may be left in it
        self.text = page.evaluate(
            """() => { const c = document.querySelector('article') || document.body;
                       const k = c.cloneNode(true);
                       k.querySelectorAll('pre, code, mjx-container, script, style').forEach(e => e.remove());
                       return k.textContent; }"""
        )
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=False)
        page.close()

    def problems(self) -> list[str]:
        out = []
        if self.status != 200:
            out.append(f"HTTP {self.status}")
        out += [f"image not loaded: {src}" for src, complete, width in self.images if not (complete and width > 0)]
        if self.math_errors:
            out.append(f"{self.math_errors} MathJax error nodes")
        raw = RAW_MATH.findall(self.text)
        if raw:
            out.append(f"raw maths left in the text: {raw[:5]}")
        out += [f"request outside the local server: {u}" for u in self.outside]
        out += [f"failed request: {u}" for u in self.failed if u not in self.outside]
        out += [f"script error: {e}" for e in self.errors]
        return out


def _pages(site: Path, folder: str) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in (site / folder).glob("*.html"))


def test_gallery_images_load(site: Path, base_url: str, browser: object, tmp_path: Path) -> None:
    shot = Path(os.environ.get("STATLEARN_DOCS_SCREENSHOT", tmp_path / "gallery.png"))
    index = PageReport(browser, base_url, "gallery/index.html", screenshot=shot)
    assert not index.problems(), index.problems()
    pages = [p for p in _pages(site, "gallery") if p != "gallery/index.html"]
    assert pages, "the gallery has no reproduction pages"
    assert len(index.images) == len(pages), "the gallery index shows one figure per reproduction"
    for path in pages:
        report = PageReport(browser, base_url, path)
        assert not report.problems(), (path, report.problems())
        assert report.images, f"{path} shows no figure"
        assert all(width > 0 for _, _, width in report.images)


def test_theory_maths_renders(site: Path, base_url: str, browser: object) -> None:
    pages = _pages(site, "theory")
    assert {Path(p).stem for p in pages} >= {"capacity", "glm", "erm", "online", "wirg", "numerics"}
    for path in pages:
        report = PageReport(browser, base_url, path)
        assert not report.problems(), (path, report.problems())
        assert report.has_mathjax, f"{path} does not load MathJax"
        assert report.math_nodes >= 10, f"{path}: only {report.math_nodes} typeset formulas"


def test_api_and_capability_pages(site: Path, base_url: str, browser: object) -> None:
    pages = ["index.html"] + _pages(site, "api") + [p.name for p in sorted(site.glob("*.html"))]
    typeset = 0
    for path in dict.fromkeys(pages):
        if path in ("genindex.html", "search.html", "py-modindex.html"):
            continue
        report = PageReport(browser, base_url, path)
        assert not report.problems(), (path, report.problems())
        typeset += report.math_nodes
    assert typeset > 0, "no docstring maths was typeset in the API pages"
