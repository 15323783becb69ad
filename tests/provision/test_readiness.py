"""Benchmark readiness from root fragments: governors, turbo, load, steal, SMT, GPU clocks and
persistence, each warning with its consequence and fix."""

from __future__ import annotations

import json
from pathlib import Path

from provision.checks.readiness import READINESS, readiness_checks
from provision.doctor import doctor_document, readiness_section, run_checks
from provision.facts import DriverFacts, Facts, GpuHealth, GpuInfo, ReadinessFacts
from provision.fix import as_text
from provision.probes.readiness import parse_steal, probe_readiness

CPU = "sys/devices/system/cpu"
# user nice system idle iowait irq softirq steal guest guest_nice
STAT = ("cpu  1000 0 500 8000 100 0 0 400 0 0\n"
        "cpu0 500 0 250 3500 50 0 0 200 0 0\ncpu1 500 0 250 3500 50 0 0 200 0 0\n")


def write(root: Path, path: str, text: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


def noisy_root(root: Path) -> Path:
    write(root, f"{CPU}/cpu0/cpufreq/scaling_governor", "powersave\n")
    write(root, f"{CPU}/cpu1/cpufreq/scaling_governor", "performance\n")
    write(root, f"{CPU}/intel_pstate/no_turbo", "0\n")
    write(root, f"{CPU}/smt/active", "1\n")
    write(root, "proc/loadavg", "2.50 1.25 0.50 3/400 12345\n")
    write(root, "proc/stat", STAT)
    return root


def by_id(facts: Facts) -> dict:
    return {r.id: r for r in readiness_checks(facts)}


def test_probe_reads_below_the_root(tmp_path):
    r = probe_readiness(noisy_root(tmp_path))
    assert r.governors == {"cpu0": "powersave", "cpu1": "performance"}
    assert (r.intel_no_turbo, r.cpufreq_boost, r.smt_active) == (False, None, True)
    assert (r.load_1min, r.load_5min, r.logical_cores) == (2.5, 1.25, 2)
    assert r.steal_fraction == 0.04 and r.reason == ""


def test_noisy_machine_warns_with_consequence_and_fix(tmp_path):
    results = by_id(Facts(readiness=probe_readiness(noisy_root(tmp_path))))
    for check_id in ("bench.governor", "bench.turbo", "bench.load", "bench.steal", "bench.smt"):
        assert results[check_id].status == "warn", check_id
        assert "moves benchmark numbers" in results[check_id].summary
        assert as_text(results[check_id].fixes)
    assert "powersave on 1 of 2 CPUs" in results["bench.governor"].summary
    assert "scaling_governor" in as_text(results["bench.governor"].fixes)
    assert "intel_pstate/no_turbo" in as_text(results["bench.turbo"].fixes)
    assert "4.0% of CPU time stolen" in results["bench.steal"].summary
    assert "smt/control" in as_text(results["bench.smt"].fixes)


def test_quiet_machine_passes(tmp_path):
    write(tmp_path, f"{CPU}/cpu0/cpufreq/scaling_governor", "performance\n")
    write(tmp_path, f"{CPU}/cpufreq/boost", "0\n")
    write(tmp_path, f"{CPU}/smt/active", "0\n")
    write(tmp_path, "proc/loadavg", "0.05 0.10 0.10 1/300 999\n")
    write(tmp_path, "proc/stat", "cpu  1000 0 500 7000 100 0 0 0 0 0\ncpu0 1 0 0 0 0 0 0 0\n")
    results = by_id(Facts(readiness=probe_readiness(tmp_path)))
    for check_id in ("bench.governor", "bench.turbo", "bench.load", "bench.steal", "bench.smt"):
        assert results[check_id].status == "pass", check_id


def test_empty_root_skips_and_says_why(tmp_path):
    r = probe_readiness(tmp_path)
    assert r.load_1min is None and "/proc/loadavg" in r.reason
    results = by_id(Facts(readiness=r))
    assert {res.status for res in results.values()} == {"skip"}


def test_boost_on_amd_and_old_stat_line(tmp_path):
    write(tmp_path, f"{CPU}/cpufreq/boost", "1\n")
    results = by_id(Facts(readiness=probe_readiness(tmp_path)))
    assert results["bench.turbo"].status == "warn"
    assert "cpufreq/boost" in as_text(results["bench.turbo"].fixes)
    assert parse_steal("cpu  1 2 3 4\n") is None  # before steal time was counted


def gpu_facts(**health) -> Facts:
    return Facts(driver=DriverFacts(version="550.54.14", gpus=[
        GpuInfo(index=0, name="NVIDIA A100-SXM4-40GB", health=GpuHealth(**health))]))


def test_persistence_off_is_no_warning_on_a_gpu_the_display_holds():
    def two(display: tuple[bool | None, bool | None]) -> dict:
        return by_id(Facts(driver=DriverFacts(version="550.54.14", gpus=[
            GpuInfo(index=i, name="NVIDIA GeForce RTX 4090",
                    health=GpuHealth(persistence_mode=False, display_active=d))
            for i, d in enumerate(display)])))["bench.gpu_persistence"]

    desktop = two((True, True))
    assert desktop.status == "pass" and "display keeps the driver loaded" in desktop.summary
    mixed = two((True, False))  # the second card computes headless: it does reload
    assert mixed.status == "warn" and "GPU 1:" in mixed.summary
    unknown = two((None, None))
    assert unknown.status == "warn" and "GPU 0, 1" in unknown.summary


def test_gpu_clocks_free_or_set():
    free = by_id(gpu_facts(max_sm_clock_mhz=1410, app_clock_sm_mhz=1095,
                           app_clock_sm_default_mhz=1095, persistence_mode=False))
    assert free["bench.gpu_clocks"].status == "warn"
    assert "moves benchmark numbers" in free["bench.gpu_clocks"].summary
    clocks = as_text(free["bench.gpu_clocks"].fixes)
    assert "sudo nvidia-smi -i 0 --lock-gpu-clocks=1410,1410" in clocks
    assert free["bench.gpu_persistence"].status == "warn"
    assert "nvidia-persistenced" in as_text(free["bench.gpu_persistence"].fixes)
    set_ = by_id(gpu_facts(app_clock_sm_mhz=1410, app_clock_sm_default_mhz=1095,
                           persistence_mode=True))
    assert set_["bench.gpu_clocks"].status == "pass"
    assert set_["bench.gpu_persistence"].status == "pass"
    locked = by_id(gpu_facts(throttle_reasons=["applications_clocks_setting"]))
    assert locked["bench.gpu_clocks"].status == "pass"
    unknown = by_id(gpu_facts())
    assert unknown["bench.gpu_clocks"].status == "skip"


def test_section_is_plain_data_in_the_doctor_document(tmp_path):
    facts = Facts(readiness=probe_readiness(noisy_root(tmp_path)))
    section = readiness_section(facts)
    assert json.loads(json.dumps(section)) == section
    assert [item["id"] for item in section] == [check_id for check_id, _ in READINESS]
    assert all(set(item) == {"id", "status", "summary", "detail", "fixes", "because"}
               for item in section)
    doc = doctor_document(facts, None, run_checks(facts))
    assert doc["readiness"] == section
    assert not any(c["id"].startswith("bench.") for c in doc["checks"])


def test_a_crashing_readiness_check_fails_alone():
    def explode(facts):
        raise KeyError("boom")

    READINESS.append(("bench.explodes", explode))
    try:
        results = by_id(Facts(readiness=ReadinessFacts(load_1min=0.5)))
    finally:
        READINESS.remove(("bench.explodes", explode))
    assert results["bench.explodes"].status == "fail" and "KeyError" in \
        results["bench.explodes"].summary
    assert results["bench.load"].status == "pass" and "(5 min)" not in results["bench.load"].summary
