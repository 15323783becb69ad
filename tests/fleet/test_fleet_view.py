"""The fleet view from hand-made node documents: drift wording, outliers only beyond the noise,
broken nodes named unreadable, the page and the files; no Ray needed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.fleet.drift import find_drift
from bench.fleet.merge import build_view, nodes_from_wire, read_files, view_document
from bench.fleet.nodes import node_from_document
from bench.fleet.outliers import find_outliers
from bench.fleet.ray_runner import node_names, why_failed
from bench.fleet.store import read_fleet, write_fleet
from bench.report.fleet import render_fleet
from tests.fleet.documents import CHECKS, doctor_doc, facts, results_doc

pytestmark = pytest.mark.fleet
REPO = Path(__file__).resolve().parents[2]
CASE = "batching/cpu/fp32/strategy=padded"


def _node(name: str, doc: dict):
    return node_from_document(name, doc, f"{name}.json")


def test_drift_names_the_minority_against_the_majority_in_one_sentence():
    nodes = [_node(f"n{i:02d}", doctor_doc(facts(driver={"version": "535.183"})))
             for i in range(3)]
    nodes += [_node(f"n{i:02d}", doctor_doc()) for i in range(3, 16)]
    drift = find_drift(nodes)
    assert [d.sentence for d in drift] == [
        "3 of 16 nodes (n00, n01, n02) run driver 535.183 while 13 run driver 550.54."]
    assert (drift[0].fact, drift[0].nodes, drift[0].majority) == (
        "driver", ["n00", "n01", "n02"], "550.54")


def test_drift_singular_a_tie_and_nodes_that_do_not_know_the_fact():
    nodes = [_node("a", doctor_doc(facts(cpu={"governor": "powersave"}))),
             _node("b", doctor_doc()), _node("c", doctor_doc()),
             _node("cpu-only", doctor_doc(facts(driver={"version": None, "gpus": []})))]
    sentences = [d.sentence for d in find_drift(nodes)]
    # the GPU-less node is not comparable on the driver, so the driver does not drift
    assert sentences == ["1 of 4 nodes (a) uses CPU governor powersave while 3 use CPU "
                         "governor performance."]
    tie = find_drift([_node("a", doctor_doc(facts(torch={"version": "2.2.0"}))),
                      _node("b", doctor_doc())])
    assert tie and all(d.majority is None and d.sentence.startswith("No majority on torch")
                       for d in tie)


def test_a_slower_node_beyond_the_noise_is_an_outlier_with_its_ratio_and_interval():
    nodes = [_node("a", results_doc({CASE: (1.00, (0.99, 1.01))})),
             _node("b", results_doc({CASE: (1.01, (1.00, 1.02))})),
             _node("slow", results_doc({CASE: (1.30, (1.28, 1.32))}))]
    outliers, groups = find_outliers(nodes)
    assert [(o.node, o.measure) for o in outliers] == [("slow", CASE)]
    slow = outliers[0]
    assert slow.ratio == pytest.approx(1.30 / 1.005)
    assert slow.ratio_ci == pytest.approx((1.28 / 1.015, 1.32 / 0.995))
    assert slow.siblings == 2 and "1.29× slower" in slow.sentence
    assert len(groups) == 1 and groups[0].compared == 1


def test_a_same_hardware_node_within_the_noise_is_not_an_outlier():
    nodes = [_node("a", results_doc({CASE: (1.00, (0.99, 1.01))})),
             _node("b", results_doc({CASE: (1.00, (0.99, 1.01))})),
             # 8% slower by its median, but its interval reaches back to its siblings'
             _node("noisy", results_doc({CASE: (1.08, (0.98, 1.20))}))]
    assert find_outliers(nodes)[0] == []


def test_a_slow_node_with_other_hardware_is_not_compared_with_these():
    other = facts(cpu={"model": "Intel Xeon 6130", "logical_cores": 32})
    nodes = [_node("a", results_doc({CASE: (1.00, (0.99, 1.01))})),
             _node("b", results_doc({CASE: (1.00, (0.99, 1.01))})),
             _node("xeon", results_doc({CASE: (2.00, (1.99, 2.01))}, other))]
    outliers, groups = find_outliers(nodes)
    assert outliers == [] and sorted(len(g.nodes) for g in groups) == [1, 2]


def test_the_reference_workload_names_a_slow_node_from_its_rounds():
    fast = [0.100, 0.101, 0.099, 0.100, 0.102, 0.100]
    nodes = [_node("a", results_doc({}, reference_rounds=fast)),
             _node("b", results_doc({}, reference_rounds=fast)),
             _node("hot", results_doc({}, reference_rounds=[x * 1.5 for x in fast]))]
    outliers, _ = find_outliers(nodes)
    assert [(o.node, o.measure) for o in outliers] == [("hot", "reference workload (cpu)")]


@pytest.mark.parametrize("doc, why", [
    ({"schema": "rnnbench.doctor/1", "facts": {}, "checks": 5}, "'checks' is not a list"),
    ({"schema": "rnnbench.doctor/1", "facts": [], "checks": []}, "'facts' is not an object"),
    (doctor_doc(checks=[{"id": "x", "status": "<b>great</b>"}]), "unknown status"),
    ({"schema": "rnnbench.results/1", "cases": "none"}, "missing"),
    ({"schema": "something/9"}, "not a doctor or results document"),
    ([1, 2], "not a doctor or results document"),
])
def test_a_malformed_node_document_is_named_unreadable(doc, why):
    node = _node("broken", doc)
    assert node.state == "unreadable" and why in node.reason
    view = build_view([node, _node("good", doctor_doc())])
    assert view.exit_code == 1
    assert [n.state for n in view.nodes] == ["unreadable", "ok"]


def test_merge_reads_files_and_names_the_unreadable_ones(tmp_path):
    (tmp_path / "doctor-gpu01.json").write_text(json.dumps(doctor_doc()))
    failing = doctor_doc(checks=CHECKS[:1] + [dict(CHECKS[1], status="fail", fix="reboot")])
    (tmp_path / "doctor-gpu02.json").write_text(json.dumps(failing))
    (tmp_path / "doctor-gpu03.json").write_text('{"schema": "rnnbench.doctor/1", "fac')
    run_dir = tmp_path / "run7"
    run_dir.mkdir()
    (run_dir / "results.json").write_text(json.dumps(results_doc({CASE: (1.0, (0.9, 1.1))})))
    nodes = read_files(sorted(tmp_path.glob("doctor-*.json")) + [run_dir / "results.json"])
    assert [(n.name, n.state) for n in nodes] == [
        ("gpu01", "ok"), ("gpu02", "ok"), ("gpu03", "unreadable"), ("run7", "ok")]
    assert "not valid JSON" in nodes[2].reason
    document = view_document(build_view(nodes))
    assert document["exit_code"] == 1
    assert document["nodes"][1]["failed"] == ["gpu.health"]


def test_fleet_folder_round_trip_keeps_unreachable_nodes_and_refuses_paths_outside(tmp_path):
    wires = [{"node": "a b", "source": "ray node 1", "document": doctor_doc()},
             {"node": "dead", "source": "ray node 2", "unreachable": "the node died"}]
    index = write_fleet(tmp_path, wires, "doctor", ["rnnbench", "fleet", "doctor"])
    nodes = read_fleet(index)
    assert [(n.name, n.state, n.reason) for n in nodes] == [
        ("a b", "ok", None), ("dead", "unreachable", "the node died")]
    assert [n.state for n in nodes_from_wire(wires)] == ["ok", "unreachable"]
    data = json.loads(index.read_text())
    data["nodes"][0]["file"] = "../../etc/passwd"
    index.write_text(json.dumps(data))
    assert read_fleet(index)[0].state == "unreadable"


def test_the_page_has_the_matrix_fixes_drift_outliers_and_quoted_relative_links(tmp_path):
    hostile = "<script>alert(1)</script>"
    failing = [CHECKS[0], dict(CHECKS[1], status="fail", summary="GPU fell off the bus",
                               fix=f"sudo reboot {hostile}")]
    run_dir = tmp_path / "nodes" / "node 3"
    run_dir.mkdir(parents=True)
    (run_dir / "index.html").write_text("<p>run</p>")
    nodes = [_node("node 1", doctor_doc(checks=failing)),
             _node("node 2", doctor_doc(facts(driver={"version": "535.183"}))),
             _node("node 3", doctor_doc())]
    nodes[2].report = str(run_dir / "index.html")
    page = render_fleet(build_view(nodes), tmp_path / "fleet.html")
    html = page.read_text()
    assert "✗</summary>" in html and "GPU fell off the bus" in html
    assert hostile not in html and "&lt;script&gt;" in html
    assert "1 of 3 nodes (node 2) runs driver 535.183 while 2 run driver 550.54." in html
    assert 'href="nodes/node%203/index.html"' in html


def test_why_a_task_failed_and_node_names():
    assert why_failed(ModuleNotFoundError("No module named 'bench'")).startswith(
        "rnnbench is not installed on this node")
    names = node_names([{"NodeID": "abcdef123", "NodeManagerHostname": "h"},
                        {"NodeID": "987654aaa", "NodeManagerHostname": "h"},
                        {"NodeID": "555555bbb", "NodeManagerHostname": "gpu9"}])
    assert names == {"abcdef123": "h-abcdef", "987654aaa": "h-987654", "555555bbb": "gpu9"}


def test_fleet_merge_runs_without_ray_and_exits_1_on_a_failing_node(tmp_path):
    (tmp_path / "doctor-a.json").write_text(json.dumps(doctor_doc()))
    failing = doctor_doc(checks=[dict(CHECKS[0], status="fail")])
    (tmp_path / "doctor-b.json").write_text(json.dumps(failing))
    # `ray` made unimportable: the merge must not need it
    code = ("import sys; sys.modules['ray'] = None; sys.argv = ['rnnbench', 'fleet', 'merge', "
            f"{str(tmp_path / 'doctor-a.json')!r}, {str(tmp_path / 'doctor-b.json')!r}, "
            f"'-o', {str(tmp_path / 'f.html')!r}, '--json']; "
            "from rnnbench.cli import main; main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert done.returncode == 1, done.stderr
    view = json.loads(done.stdout)
    assert [n["failed"] for n in view["nodes"]] == [[], ["nvidia.driver"]]
    assert (tmp_path / "f.html").is_file()


def test_drift_counts_a_nodes_gpus_per_model():
    eight = facts(driver={"gpus": [{"name": "NVIDIA H100"}] * 8})
    mixed = facts(driver={"gpus": [{"name": "NVIDIA H100"}] * 2 + [{"name": "Tesla V100"}]})
    nodes = [_node(f"n{i:02d}", doctor_doc(eight)) for i in range(3)]
    nodes.append(_node("n03", doctor_doc(mixed)))
    [drift] = [d for d in find_drift(nodes) if d.fact == "GPU model"]
    assert drift.sentence == ("1 of 4 nodes (n03) has 2× NVIDIA H100 + Tesla V100 while 3 have "
                              "8× NVIDIA H100.")
