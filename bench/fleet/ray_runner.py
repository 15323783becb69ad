"""Send one task to every alive node of a Ray cluster and gather what each sends back.

The only module that imports Ray, and only inside its functions: everything else in the fleet
works without it. Each task is pinned to its node (NodeAffinitySchedulingStrategy, soft=False:
a task must never run on a sibling and describe the wrong machine) and is not retried. A node
that dies, does not answer within the per-node timeout, or lacks rnnbench becomes an
'unreachable' wire document with the reason; Ctrl-C keeps every node gathered so far.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Progress = Callable[[str], None]


class FleetError(Exception):
    """The cluster itself cannot be used (Ray missing, no cluster at the address)."""


def _node_task(kind: str, gpu_tests: bool, suite: str, config_text: str | None,
               timeout_s: float) -> dict[str, Any]:
    """Runs on the node (rnnbench must be importable there)."""
    from bench.fleet import task

    if kind == "doctor":
        return task.doctor_on_node(gpu_tests)
    return task.run_on_node(suite, config_text, timeout_s)


def node_names(nodes: list[dict]) -> dict[str, str]:
    """Node id -> a readable name: the host name, with the id's start where hosts repeat."""
    hosts = [str(n.get("NodeManagerHostname") or n.get("NodeManagerAddress") or "node")
             for n in nodes]
    names = {}
    for node, host in zip(nodes, hosts, strict=True):
        node_id = str(node["NodeID"])
        names[node_id] = host if hosts.count(host) == 1 else f"{host}-{node_id[:6]}"
    return names


def why_failed(exc: BaseException) -> str:
    """A task's failure in words."""
    message = " ".join(str(exc).split())
    if "No module named" in message:
        missing = message.split("No module named", 1)[1].split()[0:1]
        return f"rnnbench is not installed on this node (no module named {' '.join(missing)})"
    name = type(exc).__name__
    if name in ("NodeDiedError", "WorkerCrashedError", "TaskUnschedulableError",
                "ActorUnschedulableError", "ObjectLostError", "OwnerDiedError"):
        return f"the node died or lost its worker ({name})"
    return f"{name}: {message[:300]}"


def gather(kind: str, address: str | None, timeout_s: float, suite: str = "quick",
           config_text: str | None = None, progress: Progress = lambda line: None
           ) -> tuple[list[dict], bool]:
    """Wire documents of every alive node, and whether Ctrl-C cut the gathering short."""
    try:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
    except ImportError as exc:
        raise FleetError("Ray is not installed: pip install 'rnnbench[fleet]'") from exc
    try:
        ray.init(address=address or "auto", logging_level="WARNING", log_to_driver=False,
                 configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise FleetError(f"no Ray cluster at {address or 'auto'}: "
                         f"{' '.join(str(exc).split())[:200]}") from exc
    try:
        return _gather(ray, NodeAffinitySchedulingStrategy, kind, timeout_s, suite, config_text,
                       progress)
    finally:
        ray.shutdown()


def _gather(ray: Any, affinity: Any, kind: str, timeout_s: float, suite: str,
            config_text: str | None, progress: Progress) -> tuple[list[dict], bool]:
    alive = [n for n in ray.nodes() if n.get("Alive")]
    names = node_names(alive)
    remote = ray.remote(_node_task)
    pending: dict[Any, str] = {}
    for node in alive:
        node_id = node["NodeID"]
        gpus = float(node.get("Resources", {}).get("GPU", 0))
        options = {"scheduling_strategy": affinity(node_id=node_id, soft=False),
                   "max_retries": 0, "num_cpus": 0, "num_gpus": gpus}
        ref = remote.options(**options).remote(kind, gpus > 0, suite, config_text, timeout_s)
        pending[ref] = node_id
    progress(f"fleet: {len(alive)} alive node(s), one {kind} task each; waiting up to "
             f"{timeout_s:g} s per node")
    answers: dict[str, dict] = {}
    deadline = time.monotonic() + timeout_s
    interrupted = False
    try:
        while pending and (left := deadline - time.monotonic()) > 0:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=left)
            for ref in done:
                node_id = pending.pop(ref)
                answers[node_id] = _answer(ray, ref, names[node_id], node_id)
                progress(f"fleet: {names[node_id]}: "
                         f"{answers[node_id].get('unreachable') or 'answered'}")
    except KeyboardInterrupt:
        interrupted = True
    reason = ("interrupted (Ctrl-C) before it answered" if interrupted
              else f"no answer within {timeout_s:g} s (hung, busy or too slow)")
    for ref, node_id in pending.items():
        ray.cancel(ref, force=True)
        answers[node_id] = {"node": names[node_id], "source": f"ray node {node_id}",
                            "unreachable": reason}
    return [answers[n["NodeID"]] for n in alive], interrupted


def _answer(ray: Any, ref: Any, name: str, node_id: str) -> dict:
    wire = {"node": name, "source": f"ray node {node_id}"}
    try:
        sent = ray.get(ref)
    except Exception as exc:  # every way a remote task fails makes this node unreachable
        return wire | {"unreachable": why_failed(exc)}
    if not isinstance(sent, dict):
        return wire | {"unreachable": "the node sent something other than a document"}
    if "unreachable" in sent:
        return wire | {"unreachable": str(sent["unreachable"])}
    return wire | {"document": sent.get("document")}
