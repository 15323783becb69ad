"""Fixtures of the report tests: documents built in the test, rendered once per session."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import builders  # noqa: E402


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every page type written once: a run, a hostile run, a comparison, the doctor, the index."""
    from bench.report import render_comparison, render_doctor, render_run_report, update_index

    root = tmp_path_factory.mktemp("reports")
    runs = {"run-a": builders.results(created="2026-11-22T20:00:00+00:00"),
            "run-hostile": builders.hostile_results()}
    pages = {}
    for name, doc in runs.items():
        (root / name).mkdir()
        (root / name / "results.json").write_text(json.dumps(doc), encoding="utf-8")
        pages[name] = render_run_report(doc, root / name / "index.html")
    slower = builders.results(created="2026-11-22T20:30:00+00:00")
    slower["cases"][0]["stats"] = builders.stats_for(
        2 * slower["cases"][0]["stats"]["median_s"], seed=1)
    pages["comparison"] = render_comparison([runs["run-a"], slower], root / "comparison.html")
    pages["doctor"] = render_doctor(builders.doctor_document(builders.HOSTILE),
                                    root / "doctor.html")
    pages["index"] = update_index(root)
    return pages
