"""The pages as files: content computed from the data, escaping, sizes, atomic writes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import builders
import pytest

from bench.report import render_comparison, render_run_report, update_index
from bench.report.render import script_json

MAX_REPORT_BYTES = 2 * 1024 * 1024


def test_run_report_holds_findings_tables_and_environment(rendered: dict[str, Path]) -> None:
    html = rendered["run-a"].read_text(encoding="utf-8")
    assert "bucketed batching is 4.0" in html
    for section in ('id="batching-table"', 'id="kernels-table"', 'id="train-table"',
                    'id="failed-table"', 'id="checks-table"', 'id="facts-table"'):
        assert section in html
    assert "CUDA out of memory" in html  # the failed case and its reason
    assert "NVIDIA GeForce GTX 1050 · driver 410.73" in html
    assert "rnnbench run --suite quick" in html
    assert html.count("<script>") == 2  # the Vega bundle once, the page script once
    assert rendered["run-a"].stat().st_size < MAX_REPORT_BYTES


def test_headline_charts_are_written_as_static_svg(rendered: dict[str, Path]) -> None:
    folder = rendered["run-a"].parent
    svgs = sorted(p.name for p in folder.glob("*.svg"))
    assert svgs == ["index-batching.svg", "index-kernels-hidden.svg"]
    for name in svgs:
        svg = (folder / name).read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<svg") and "<text" in svg
    assert not list(folder.glob(".*.tmp"))


def test_hostile_text_is_escaped_everywhere(rendered: dict[str, Path]) -> None:
    for page in ("run-hostile", "doctor", "index"):
        html = rendered[page].read_text(encoding="utf-8")
        assert "window.__pwned" in html, page  # the text is there ...
        assert "<script>window.__pwned" not in html, page  # ... but never as markup
        assert "<b>ünï" not in html, page
        assert "&lt;script&gt;window.__pwned" in html or "\\u003cscript\\u003e" in html
        # every <script> element ends where the page meant it to: count openings and closings
        assert html.count("<script") == html.count("</script>"), page


def test_script_json_cannot_close_its_element() -> None:
    embedded = script_json({"name": "</script><script>alert(1)</script>", "amp": "&", "u": "é"})
    assert "</" not in embedded and "<" not in embedded and "&" not in embedded
    assert json.loads(str(embedded)) == {"name": "</script><script>alert(1)</script>",
                                         "amp": "&", "u": "é"}


def test_missing_fields_show_as_dashes(tmp_path: Path) -> None:
    doc = {"schema": "rnnbench.results/1", "cases": [
        {"id": "bare", "workload": "batching", "status": "ok",
         "params": {"strategy": "padded"}, "stats": {"median_s": 0.5}},
        {"id": "kern", "workload": "kernels", "status": "ok", "params": {"cell": "gru"},
         "stats": {"median_s": 0.1, "ci95_s": [0.2, 0.1], "n": None}, "metrics": None}]}
    html = render_run_report(doc, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "—" in html and "500 ms" in html and "100 ms" in html
    assert "The doctor&#39;s checklist is not in this file." in html


def test_method_notes_say_how_interleaved_cases_were_timed_and_how_the_machine_moved(
        tmp_path: Path) -> None:
    doc = builders.results(builders.batching_cases())
    for case in doc["cases"]:
        case["stats"]["schedule"] = "interleaved"
    doc["settings"]["rounds"] = 6
    doc["references"] = [{"device": "cpu", "label": "a small epoch", "median_s": 0.00042,
                          "per_round_median_s": [0.0004, 0.00042, 0.00044]}]
    html = render_run_report(doc, tmp_path / "r.html").read_text(encoding="utf-8")
    count = len(doc["cases"])
    assert f"The {count} cases were timed in 6 interleaved rounds" in html
    assert "all cases are timed together in interleaved rounds" in html
    assert "A reference workload on cpu (a small epoch), timed in every round" in html
    assert "took 400 µs to 440 µs per step" in html
    assert "moved by 10% during the run" in html
    plain = builders.results(builders.batching_cases())
    html = render_run_report(plain, tmp_path / "p.html").read_text(encoding="utf-8")
    assert "interleaved rounds" not in html  # sequential cases get no such sentence


def test_a_failed_render_leaves_the_previous_file_whole(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = render_run_report(builders.results(), tmp_path / "r.html")
    before = out.read_bytes()

    def broken(*_args: object, **_kwargs: object) -> str:
        raise RuntimeError("template exploded")

    monkeypatch.setattr("bench.report.pages.render_page", broken)
    with pytest.raises(RuntimeError):
        render_run_report(builders.results(suite="other"), out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def _comparison_rows(html: str) -> dict[str, str]:
    """case id (the last column) -> verdict, read back from the comparison table."""
    body = html.split('id="compare-table-1"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S) for r in rows]
    return {c[-1]: c[1] for c in cells if c}


def test_a_case_twice_as_slow_is_a_real_regression(rendered: dict[str, Path]) -> None:
    html = rendered["comparison"].read_text(encoding="utf-8")
    verdicts = _comparison_rows(html)
    slowed = builders.results()["cases"][0]["id"]
    assert verdicts[slowed] == "slower"
    assert [v for k, v in verdicts.items() if k != slowed] == ["same"] * (len(verdicts) - 1)
    assert "1 real regression(s), 0 real improvement(s)" in html


def test_equal_runs_show_no_regression(tmp_path: Path) -> None:
    doc = builders.results()
    html = render_comparison([doc, json.loads(json.dumps(doc))],
                             tmp_path / "same.html").read_text(encoding="utf-8")
    assert set(_comparison_rows(html).values()) == {"same"}
    assert "0 real regression(s), 0 real improvement(s)" in html


def test_doctor_page_has_the_terminals_sections_recap_and_tallies(
        rendered: dict[str, Path]) -> None:
    html = rendered["doctor"].read_text(encoding="utf-8")
    recap = html.split('<ul class="recap">', 1)[1].split("</ul>", 1)[0]
    # every ✗ and ! in the recap, failures first, each with the first command of its fix
    order = [recap.index(f'href="#check-{i}"') for i in
             ("perl.readline_gnu", "nvidia.nouveau", "torch.cuda", "cpu.governor", "bench.load")]
    assert order == sorted(order)
    assert "<code>sudo dnf install perl-Term-ReadLine-Gnu</code>" in recap
    assert "because of nvidia.nouveau" in recap
    checklist = html.split('id="checks"', 1)[1]
    titles = ["System", "NVIDIA driver", "PyTorch", "GPU health: 2 checks skipped",
              "Benchmark readiness"]
    assert [checklist.index(t) for t in titles] == sorted(checklist.index(t) for t in titles)
    assert "NOT READY: 1 passed, 1 warning, 3 failed, 2 skipped" in html
    assert "benchmark readiness, apart from the verdict: 1 passed, 1 warning" in html
    # a fix's steps one a line, the reboot last; what follows it under its condition
    assert "sudo dracut --force\nsudo reboot</code>" in html
    assert "after the reboot:</p>" in html
    assert "Not ready: 3 check(s) failed" in html
    # no charts on this page, so no chart library either: it stays small
    assert "window.vegaEmbed" not in html and rendered["doctor"].stat().st_size < 100_000


def test_a_long_alternative_is_folded_on_the_page_as_in_the_terminal(tmp_path: Path) -> None:
    from bench.report import render_doctor

    doc = builders.doctor_document()
    doc["checks"][1]["fixes"].append(builders._fix("sudo a", "sudo b", "sudo c", "sudo d",
                                                   "sudo e", condition="or, for a newer torch"))
    html = render_doctor(doc, tmp_path / "d.html").read_text(encoding="utf-8")
    assert ('<details class="fix-alternative"><summary>or, for a newer torch: 5 steps</summary>'
            in html)
    assert "sudo a\nsudo b\nsudo c\nsudo d\nsudo e</code>" in html  # all there, once opened


def test_a_doctor_1_document_still_renders_its_fix(tmp_path: Path) -> None:
    from bench.report import render_doctor

    html = render_doctor(builders.legacy_doctor_document(), tmp_path / "d.html").read_text(
        encoding="utf-8")
    assert "sudo dnf install perl-Term-ReadLine-Gnu" in html  # kept, as words
    assert "NOT READY: 1 passed, 1 warning, 1 failed, 0 skipped" in html


def test_index_lists_runs_newest_first_with_the_latest_verdict(rendered: dict[str, Path]) -> None:
    html = rendered["index"].read_text(encoding="utf-8")
    runs = html.split('id="runs-table"', 1)[1]
    # hostile run was created 21:00, run-a 20:00
    assert runs.index("run-hostile/index.html") < runs.index("run-a/index.html")
    latest = html.split('id="runs"', 1)[0]
    assert "Latest run: quick · 2026-11-22 21:00 UTC" in latest
    assert "Doctor:" in latest and "bucketed batching is" in latest


def test_index_lists_an_unreadable_run_instead_of_failing(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "results.json").write_text(json.dumps(builders.results()))
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "results.json").write_text('{"schema": "rnnbench.res')
    html = update_index(tmp_path).read_text(encoding="utf-8")
    problem = re.search(r'<td class="bad"[^>]*>([^<]*)</td>', html).group(1)
    assert problem.startswith(str(tmp_path / "cut" / "results.json") + ": ")
    assert 'href="cut/results.json"' in html
    assert "good/results.json" in html  # no page rendered there yet: link the data


def test_a_broken_bundle_cache_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.report import render

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache = render._bundle_cache()
    cache.parent.mkdir(parents=True)
    cache.write_text("not a bundle", encoding="utf-8")
    render.vega_bundle.cache_clear()
    try:
        bundle = render.vega_bundle()
    finally:
        render.vega_bundle.cache_clear()
    assert "window.vegaEmbed" in bundle and "</script" not in bundle.lower()
    assert cache.read_text(encoding="utf-8").endswith(str(bundle)[-200:])


def test_the_benchmark_readiness_section_is_shown_when_the_run_recorded_it(
        tmp_path: Path) -> None:
    doc = builders.results()
    doc["doctor"]["readiness"] = [
        {"id": "bench.load", "status": "warn", "summary": "Load average 2.6: other work is "
         "running, which moves benchmark numbers", "detail": "", "fix": "stop it"},
        {"id": "bench.smt", "status": "pass", "summary": "SMT off", "detail": "", "fix": ""}]
    html = render_run_report(doc, tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="readiness-table"' in html and "Benchmark readiness" in html
    assert html.index("bench.load") < html.index("bench.smt")  # problems first
    older = render_run_report(builders.results(), tmp_path / "o.html").read_text(encoding="utf-8")
    assert 'id="readiness-table"' not in older
