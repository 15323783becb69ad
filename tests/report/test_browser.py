"""Each page type opened in headless Chromium with the network disabled.

Checks: it renders, every chart draws an SVG or canvas, no console error, no request leaves the
file, hostile text shows as text and never runs, tables sort. A screenshot of each page type goes
to artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import builders
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
CHARTS_DRAWN = """() => {
  const holders = document.querySelectorAll('[data-chart]');
  return [...holders].every(h => h.querySelector('svg, canvas'));
}"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _unavailable(reason: str) -> None:
    """Outside CI a missing browser skips the test; in CI it is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser test cannot run in CI: {reason}")
    pytest.skip(f"browser test skipped: {reason} (install Debian's chromium to run it)")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    executable = _chromium()
    if executable is None:
        _unavailable("no chromium executable found")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Visit:
    """One page opened offline, with everything it logged or asked for."""

    def __init__(self, browser: object, path: Path, width: int = 1280,
                 scheme: str = "light") -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900},
                                           color_scheme=scheme, offline=True)
        self.page = self.context.new_page()
        self.url = path.resolve().as_uri()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error"
                     else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(self.url, wait_until="load")
        self.page.wait_for_function(CHARTS_DRAWN, timeout=20_000)

    def check_clean(self) -> None:
        assert self.errors == []
        assert [u for u in self.requests if u != self.url] == []

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("page_type, width, scheme, charts", [
    ("run-a", 1280, "light", 3),
    ("comparison", 1280, "light", 1),
    ("doctor", 390, "light", 0),
    ("index", 1280, "dark", 0),
])
def test_page_renders_offline_without_errors(browser: object, rendered: dict[str, Path],
                                             page_type: str, width: int, scheme: str,
                                             charts: int) -> None:
    visit = Visit(browser, rendered[page_type], width, scheme)
    try:
        visit.check_clean()
        drawn = visit.page.locator("[data-chart] svg.marks, [data-chart] canvas").count()
        assert drawn == charts
        assert visit.page.locator("h1").inner_text().startswith("rnnbench")
        assert visit.screenshot(f"{page_type}-{width}-{scheme}").stat().st_size > 10_000
    finally:
        visit.close()


def test_doctor_page_reads_on_a_phone(browser: object, rendered: dict[str, Path]) -> None:
    visit = Visit(browser, rendered["doctor"], 390)
    try:
        visit.check_clean()
        # nothing scrolls the page sideways: long commands scroll inside their own box
        assert visit.page.evaluate("document.documentElement.scrollWidth") <= 390
        assert visit.page.locator("#check-bench\\.load").is_visible()  # readiness is there
        assert visit.page.locator("pre.fix-steps").first.is_visible()
    finally:
        visit.close()


def test_hostile_strings_show_as_text_and_never_run(browser: object,
                                                    rendered: dict[str, Path]) -> None:
    for name, scheme in (("run-hostile", "dark"), ("doctor", "light"), ("index", "light")):
        visit = Visit(browser, rendered[name], scheme=scheme)
        try:
            visit.check_clean()
            assert visit.page.evaluate("typeof window.__pwned") == "undefined"
            assert builders.HOSTILE in visit.page.locator("body").inner_text()
            assert visit.page.locator("b:has-text('ünï')").count() == 0
            if name == "run-hostile":
                visit.screenshot("run-hostile-1280-dark")
        finally:
            visit.close()


def test_chart_tooltip_shows_value_interval_and_samples(browser: object,
                                                        rendered: dict[str, Path]) -> None:
    visit = Visit(browser, rendered["run-a"])
    try:
        bar = visit.page.locator("#chart-0 path[role='graphics-symbol']").first
        bar.hover()
        tooltip = visit.page.locator("#vg-tooltip-element")
        tooltip.wait_for(state="visible", timeout=5_000)
        shown = tooltip.inner_text()
        assert "tokens/s" in shown and "95% CI" in shown and "samples" in shown
    finally:
        visit.close()


def test_tables_sort_by_clicked_column(browser: object, rendered: dict[str, Path]) -> None:
    visit = Visit(browser, rendered["run-a"])
    try:
        header = visit.page.locator("#batching-table th", has_text="tokens/s").first
        column = "#batching-table tbody tr td:nth-child(4)"
        values = [float(v) for v in visit.page.locator(column).evaluate_all(
            "cells => cells.map(c => c.dataset.sort)")]
        header.click()
        ascending = [float(v) for v in visit.page.locator(column).evaluate_all(
            "cells => cells.map(c => c.dataset.sort)")]
        header.click()
        descending = [float(v) for v in visit.page.locator(column).evaluate_all(
            "cells => cells.map(c => c.dataset.sort)")]
        assert ascending == sorted(values) and descending == sorted(values, reverse=True)
        visit.page.set_viewport_size({"width": 390, "height": 800})
        visit.screenshot("run-a-390-light")
    finally:
        visit.close()


def test_a_real_run_and_its_index_render(browser: object, real_run: Path) -> None:
    for path, charts, name in ((real_run.parent / "index.html", 2, "real-run-1280-light"),
                               (real_run.parent.parent / "index.html", 0, "real-index-1280-light")):
        visit = Visit(browser, path)
        try:
            visit.check_clean()
            assert visit.page.locator("[data-chart] svg.marks").count() == charts
            assert "Doctor:" in visit.page.locator("body").inner_text()
            visit.screenshot(name)
        finally:
            visit.close()


def test_hostile_text_in_a_chart_tooltip_stays_text(browser: object,
                                                    rendered: dict[str, Path]) -> None:
    visit = Visit(browser, rendered["run-hostile"])
    try:
        # panels sort by label and '<' sorts first, so the first bar is in the hostile panel
        visit.page.locator("#chart-0 path[role='graphics-symbol']").first.hover()
        tooltip = visit.page.locator("#vg-tooltip-element")
        tooltip.wait_for(state="visible", timeout=5_000)
        assert builders.HOSTILE in tooltip.inner_text()
        assert tooltip.locator("b, script").count() == 0
        assert visit.page.evaluate("typeof window.__pwned") == "undefined"
    finally:
        visit.close()


# Elements (not inside a scroll container) that reach past the viewport's right edge, and
# scroll containers wider than their box whose hint is not shown.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = el => { const s = getComputedStyle(el).overflowX;
                          return s === 'auto' || s === 'scroll'; };
  const inScroller = el => { for (let p = el.parentElement; p; p = p.parentElement)
                               if (scrolls(p)) return true; return false; };
  const out = [];
  document.querySelectorAll('main *').forEach(el => {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1 && !inScroller(el))
      out.push(el.tagName + '.' + el.className + ' right ' + Math.round(box.right));
  });
  document.querySelectorAll('.table-wrap, .chart-body').forEach(el => {
    if (el.scrollWidth <= el.clientWidth + 1) return;
    const hint = el.previousElementSibling;
    const said = hint && hint.classList.contains('scroll-hint')
                 && getComputedStyle(hint).display !== 'none';
    if (!said) out.push('silent scroll: ' + el.className + ' ' + (el.id || ''));
  });
  return {page: document.documentElement.scrollWidth, width: width, out: out.slice(0, 5)};
}"""
PAGE_KINDS = ("run-a", "comparison-replicates", "doctor", "index", "fleet")


@pytest.mark.parametrize("width", [1280, 390])
def test_pages_fit_a_laptop_and_a_phone(browser: object, rendered: dict[str, Path],
                                        width: int) -> None:
    """No page is wider than the screen; a table wider than its box says that it scrolls.
    Each page kind's screenshot goes to artifacts/screenshots for a person to look at."""
    for kind in PAGE_KINDS:
        visit = Visit(browser, rendered[kind], width)
        try:
            found = visit.page.evaluate(OVERFLOW)
            assert found["page"] <= found["width"] and found["out"] == [], (kind, found)
            visit.screenshot(f"layout-{kind}-{width}")
        finally:
            visit.close()


def test_every_comparison_case_has_a_visible_mark(browser: object,
                                                  rendered: dict[str, Path]) -> None:
    """Every verdict is drawn (a filled point inside the plot) and a case in one run only is
    named; the chart shows as many cases as the table."""
    visit = Visit(browser, rendered["comparison-replicates"])
    try:
        verdicts = visit.page.locator(
            "#compare-table-1 tbody tr td:nth-child(2)").all_inner_texts()
        assert {v.rstrip("¹²³") for v in verdicts} >= {"slower", "uncertain", "same", "missing"}
        points = visit.page.evaluate("""() => {
          const svg = document.querySelector('#chart-0 svg').getBoundingClientRect();
          const marks = [...document.querySelectorAll('#chart-0 g.mark-symbol path')]
            .filter(p => !p.closest('.role-legend'));
          return marks.map(p => {
            const b = p.getBoundingClientRect();
            return {fill: p.getAttribute('fill'), inside: b.width > 0 && b.left >= svg.left
                    && b.right <= svg.right && b.top >= svg.top && b.bottom <= svg.bottom};
          });
        }""")
        missing = visit.page.locator("#chart-0 g.mark-text text", has_text="in one run only")
        assert len(points) + missing.count() == len(verdicts)
        assert all(p["inside"] and p["fill"] not in (None, "none", "transparent")
                   for p in points), points
    finally:
        visit.close()


def test_fix_text_in_the_fleet_grid_keeps_its_case_and_lines(browser: object,
                                                             rendered: dict[str, Path]) -> None:
    visit = Visit(browser, rendered["fleet"])
    try:
        headers = visit.page.locator("#fleet-matrix thead th").all_inner_texts()
        assert headers[1].endswith("39.with-a-long-name")  # the failing check comes first
        cell = visit.page.locator("#fleet-matrix td.status-fail").first
        cell.locator("summary").click()
        fix = cell.locator("pre")
        assert fix.inner_text() == builders.FLEET_FIX  # rendered text: case and lines kept
        assert fix.evaluate("e => getComputedStyle(e).textTransform") == "none"
        visit.page.locator(".table-wrap").first.evaluate("e => { e.scrollLeft = 2000; }")
        node = visit.page.locator("#fleet-matrix tbody th").first
        assert node.evaluate("e => e.getBoundingClientRect().left") >= 0  # still in view
        visit.screenshot("fleet-fix-open-1280")
    finally:
        visit.close()
