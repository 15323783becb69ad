"""In headless Chromium: a `javascript:` run folder or output name is a link to a file, never a
script, and the Content-Security-Policy blocks a script an escaping mistake let into a page
while the page's own scripts (charts included) still run."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.hostile.test_report import FIXTURE, JAVASCRIPT_NAME, fixture

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("no chromium executable found")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reports folder whose run folder, and one page's output name, are `javascript:` URLs."""
    from bench.report import render_run_report, update_index

    root = tmp_path_factory.mktemp("reports")
    run_dir = root / JAVASCRIPT_NAME
    run_dir.mkdir()
    (run_dir / "results.json").write_bytes(FIXTURE.read_bytes())
    render_run_report(fixture(), run_dir / "index.html")
    render_run_report(fixture(), root / f"{JAVASCRIPT_NAME}.html")
    update_index(root)
    return root


class Page:
    def __init__(self, browser: object, path: Path) -> None:
        self.context = browser.new_context(offline=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def click_and_check(self, selector: str) -> None:
        """Clicking the link goes to a file (or nowhere), and the page's title stays its own."""
        link = self.page.locator(selector).first
        assert link.count() == 1
        link.click()
        self.page.wait_for_timeout(300)
        assert self.page.evaluate("document.title") != "X"
        assert self.page.url.startswith("file://"), self.page.url
        assert self.dialogs == []

    def close(self) -> None:
        self.context.close()


def test_a_javascript_run_folder_in_the_index_is_a_file_link(browser: object,
                                                              reports: Path) -> None:
    for selector in ("#runs-table a", "#latest a"):
        page = Page(browser, reports / "index.html")
        try:
            assert page.page.locator(selector).first.get_attribute("href").startswith(
                "javascript%3A")
            page.click_and_check(selector)
            assert JAVASCRIPT_NAME in unquote(page.page.url)
        finally:
            page.close()


def test_a_javascript_output_name_makes_svg_links_to_files(browser: object,
                                                            reports: Path) -> None:
    page = Page(browser, reports / f"{JAVASCRIPT_NAME}.html")
    try:
        page.page.wait_for_function(
            "() => [...document.querySelectorAll('[data-chart]')]"
            ".every(h => h.querySelector('svg'))", timeout=20_000)
        assert page.errors == []
        page.click_and_check("figcaption a")
        assert page.page.url.endswith(".svg")
    finally:
        page.close()


def test_csp_blocks_a_script_that_escaped_into_the_page(browser: object, reports: Path,
                                                        tmp_path: Path) -> None:
    source = (reports / f"{JAVASCRIPT_NAME}.html").read_text(encoding="utf-8")
    injected = ('<p id="probe">x</p><script>window.__pwned = 1; document.title = "X";</script>'
                '<img src="x" onerror="window.__pwned = 2">')
    hostile = re.sub("<main>", "<main>" + injected, source, count=1)
    assert hostile != source
    path = tmp_path / "injected.html"
    path.write_text(hostile, encoding="utf-8")
    page = Page(browser, path)
    try:
        # the page's own scripts still run under the same policy: the charts are drawn
        page.page.wait_for_function(
            "() => [...document.querySelectorAll('[data-chart]')]"
            ".every(h => h.querySelector('svg.marks'))", timeout=20_000)
        assert page.page.evaluate("typeof window.__pwned") == "undefined"
        assert page.page.evaluate("document.title") != "X"
        assert any("Content Security Policy" in e for e in page.errors), page.errors
    finally:
        page.close()
