"""The dependency direction of docs/DESIGN.md, checked over every import in the source.

Imports inside functions count too: a lazy import hides a cycle from Python, not from a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("rnnkit", "provision", "bench", "rnnbench")
# importer package -> packages it must never import
FORBIDDEN = {
    "rnnkit": {"provision", "bench", "rnnbench"},
    "provision": {"bench", "rnnbench"},
    "bench": {"rnnbench"},
}


def find_modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of `packages` below `root`."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules that module `name` imports anywhere in its file, relative imports resolved;
    `from a.b import c` names `a.b.c` when that is a module, else `a.b`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # `.` is this package, each further dot one package up
                parts = package.split(".")
                anchor = parts[:len(parts) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    found.discard(name)
    return found


def import_problems(root: Path, packages: tuple[str, ...] = PACKAGES,
                    forbidden: dict[str, set[str]] = FORBIDDEN) -> list[str]:
    """Every forbidden import and every pair of modules that import each other, one per line."""
    modules = find_modules(root, packages)
    graph = {name: imported_modules(name, path, modules) for name, path in modules.items()}
    problems = []
    for name, targets in sorted(graph.items()):
        banned = forbidden.get(name.partition(".")[0], set())
        for target in sorted(targets):
            if target.partition(".")[0] in banned:
                problems.append(f"forbidden: {name} imports {target}")
            if target in graph and name < target and name in graph[target]:
                problems.append(f"cycle: {name} <-> {target}")
    return problems


def test_packages_follow_the_dependency_direction_and_have_no_two_module_cycles():
    problems = import_problems(REPO)
    assert not problems, "import graph problems:\n" + "\n".join(problems)


def test_the_checker_finds_a_cycle_a_package_cycle_and_a_forbidden_import(tmp_path):
    files = {
        "rnnkit/__init__.py": "",
        "rnnkit/a.py": "def f():\n    from . import b\n",  # a lazy import still counts
        "rnnkit/b.py": "import rnnkit.a\n",
        "rnnkit/c.py": "from bench.x import y\n",  # rnnkit must not know bench
        "bench/__init__.py": "from bench.x import y\n",
        "bench/x.py": "from bench import z\ny = 1\n",  # `bench.z` is no module: imports bench
        "bench/ok.py": "from .sub import m\nimport rnnkit.b\n",  # bench may import rnnkit
        "bench/sub/__init__.py": "",
        "bench/sub/m.py": "from .. import ok\n",
    }
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)

    problems = import_problems(tmp_path, ("rnnkit", "bench"))

    assert problems == [
        "cycle: bench <-> bench.x",
        "cycle: bench.ok <-> bench.sub.m",
        "cycle: rnnkit.a <-> rnnkit.b",
        "forbidden: rnnkit.c imports bench.x",
    ]
