"""The packages of this repository import downwards only.

- Every module of every app imports (an import-time cycle or a stale import path fails here, with its traceback).
- No import cycle between apps: the app -> app graph, read with ast from every module (function-level imports too;
  `if TYPE_CHECKING:` blocks and migrations left out), has no strongly connected group of two or more apps. An app
  that must tell a higher one something sends a signal the higher one connects to (surveys' `responses_processed`,
  customers' `customers_resliced`, accounts' `access_event`).
- `core` is the bottom layer and imports no other package of the repository; `cxplatform` is the project's
  configuration and no app imports it; `bench`, `demo` and `tests` use everything and nothing imports them.

Only import statements are read: a dependency through a string (`apps.get_model("x.Y")`, `include("x.urls")`,
a template) is not an edge. A failure names each cycle and the file:line of every import that keeps it.
"""

from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
BOTTOM = "core"
PROJECT = "cxplatform"
CONSUMERS = frozenset({"bench", "demo", "tests"})

# The fields of a statement that hold statements: an import can be nowhere else.
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")

# app -> imported app -> ["path:line", ...]
Graph = dict[str, dict[str, list[str]]]


def _repo_apps() -> list[str]:
    return sorted(c.name for c in apps.get_app_configs() if Path(c.path).resolve().parent == ROOT)


def _packages() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(nodes: Iterable[ast.AST]) -> Iterator[tuple[str, int]]:
    """(module, line) of every absolute import among the statements `nodes` and the blocks nested in them (function
    bodies, try/except, ...), except under `if TYPE_CHECKING:` (annotations only, never run)."""
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:  # a relative import stays inside its package
                yield node.module, node.lineno
        else:
            skipped = "body" if isinstance(node, ast.If) and _is_type_checking(node.test) else None
            for name in _BLOCKS:
                block = getattr(node, name, None)
                if name != skipped and isinstance(block, list):
                    yield from _imported(block)


@functools.cache
def _import_graph() -> Graph:
    packages = set(_packages())
    graph: Graph = {name: defaultdict(list) for name in packages}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for module, line in _imported(ast.parse(path.read_text(), filename=str(path)).body):
                target = module.split(".")[0]
                if target in packages and target != package:
                    graph[package][target].append(f"{path.relative_to(ROOT)}:{line}")
    return graph


def _reachable(graph: Graph, start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected groups of two or more packages, each as a sorted list."""
    reach = {name: _reachable(graph, name) for name in graph}
    groups: list[list[str]] = []
    for name in sorted(graph):
        group = sorted(other for other in reach[name] if name in reach[other])
        if len(group) > 1 and group not in groups:
            groups.append(group)
    return groups


def _shortest_cycle(graph: Graph, group: list[str]) -> list[str]:
    """One cycle through the group's first package, shortest first: the path to read in the failure."""
    start = group[0]
    paths = deque([[start]])
    while paths:
        path = paths.popleft()
        for target in graph[path[-1]]:
            if target == start:
                return [*path, start]
            if target in group and target not in path:
                paths.append([*path, target])
    return group


def _describe(graph: Graph, group: list[str]) -> str:
    """The cycle, then every import between the group's apps: the edges with the fewest imports first (usually the
    ones going upwards, to replace by a signal or to move)."""
    edges = [(source, target) for source in group for target in graph[source] if target in group]
    edges.sort(key=lambda edge: (len(graph[edge[0]][edge[1]]), edge))
    lines = [f"import cycle between apps: {' -> '.join(_shortest_cycle(graph, group))}"]
    for source, target in edges:
        lines.append(f"  {source} -> {target}:")
        lines.extend(f"    {where}" for where in graph[source][target])
    return "\n".join(lines)


def _edges_into(graph: Graph, targets: set[str], *, allowed: set[str]) -> list[str]:
    return [
        f"{source} -> {target}: {where}"
        for source in sorted(graph)
        if source not in allowed
        for target in sorted(graph[source])
        if target in targets
        for where in graph[source][target]
    ]


def test_every_module_of_every_app_imports():
    failures = []
    for app in _repo_apps():
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in module.name:
                continue
            try:
                importlib.import_module(module.name)
            except Exception as exc:  # every broken module in one report, not the first only
                failures.append(f"{module.name}: {exc!r}")
    assert not failures, "modules that do not import:\n" + "\n".join(failures)


def test_no_import_cycle_between_apps():
    graph = _import_graph()
    cycles = [_describe(graph, group) for group in _cycles(graph)]
    assert not cycles, "\n\n".join(cycles)


def test_core_imports_no_app():
    graph = _import_graph()
    edges = [f"core -> {target}: {where}" for target in sorted(graph[BOTTOM]) for where in graph[BOTTOM][target]]
    assert not edges, "core is the bottom layer and imports no app:\n" + "\n".join(edges)


def test_no_app_imports_the_project_configuration():
    edges = _edges_into(_import_graph(), {PROJECT}, allowed=set(CONSUMERS))
    assert not edges, f"{PROJECT} is configuration; apps do not import it:\n" + "\n".join(edges)


def test_nothing_imports_bench_demo_or_tests():
    edges = _edges_into(_import_graph(), set(CONSUMERS), allowed=set(CONSUMERS))
    assert not edges, "bench, demo and tests are top-level consumers; nothing imports them:\n" + "\n".join(edges)


def test_the_graph_sees_function_level_imports_and_skips_type_checking_blocks():
    source = (
        "from typing import TYPE_CHECKING\n"
        "import core.scales\n"
        "if TYPE_CHECKING:\n"
        "    from kpis.models import Kpi\n"
        "else:\n"
        "    from audit import services\n"
        "def f():\n"
        "    from surveys.models import Answer\n"
        "class C:\n"
        "    def g(self):\n"
        "        try:\n"
        "            import actions.charts\n"
        "        except ImportError:\n"
        "            from . import sibling\n"
        "            import voice.rules\n"
    )
    found = [module for module, _line in _imported(ast.parse(source).body)]
    assert found == ["typing", "core.scales", "audit", "surveys.models", "actions.charts", "voice.rules"]
