"""Every service has one shape, so that what is found in one is found the same way in another.

A service's package holds its HTTP routes in ``api/`` (one router module per resource), its
subscribers in ``consumers.py``, its use cases in modules named after what they are about,
its pure rules in ``domain/``, its tables in ``tables.py``, the events it publishes in
``events.py``, what it consumes from others in ``contracts.py`` and its Alembic
``migrations/``. No module is so long that it stops being about one thing, and no two
modules import each other, even through others: a use case builds on the ones below it.
The console serves pages to people instead of an API: ``pages/`` stands where ``api/`` is.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(path.name for path in (ROOT / "services").iterdir() if (path / "src").is_dir())
MAX_LINES = 600

LAYOUT = (
    "api/__init__.py",
    "consumers.py",
    "domain/__init__.py",
    "tables.py",
    "events.py",
    "contracts.py",
    "migrations/env.py",
    "migrations/versions",
)
CONSOLE_LAYOUT = ("pages/__init__.py", "migrations/env.py", "migrations/versions")


def package_of(service: str) -> Path:
    return ROOT / "services" / service / "src" / service


def modules_of(service: str) -> Iterator[Path]:
    """The service's application modules: everything but its migrations."""
    package = package_of(service)
    for path in sorted(package.rglob("*.py")):
        if "migrations" not in path.relative_to(package).parts:
            yield path


def module_name(service: str, path: Path) -> str:
    parts = list(path.relative_to(package_of(service)).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([service, *parts])


def is_package(service: str, name: str) -> bool:
    return (package_of(service).parent / name.replace(".", "/") / "__init__.py").is_file()


def is_module(service: str, name: str) -> bool:
    base = package_of(service).parent / name.replace(".", "/")
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def runtime_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import the module runs, at its top or deferred into a function (a deferred import
    still ties the two modules together); imports only for the type checker are left out."""
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        pending.extend(ast.iter_child_nodes(node))


def imported_modules(service: str, path: Path) -> set[str]:
    """The service's own modules this module imports (``from pkg import sub`` is ``pkg.sub``)."""
    name = module_name(service, path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in runtime_imports(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            submodules = [f"{origin}.{alias.name}" for alias in node.names]
            targets = [sub if is_module(service, sub) else origin for sub in submodules]
        for target in targets:
            if target.split(".")[0] == service and is_module(service, target):
                found.add(target)
    found.discard(name)
    return found


def import_graph(service: str) -> dict[str, set[str]]:
    return {
        module_name(service, path): imported_modules(service, path) for path in modules_of(service)
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each group of modules that import each other (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [cycle_within(graph, component) for component in components]


def cycle_within(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A path from the component's first module back to itself, staying inside it."""
    start = min(component)
    paths: dict[str, list[str]] = {start: [start]}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for successor in sorted(graph[node] & component):
            if successor == start:
                return [*paths[node], start]
            if successor not in paths:
                paths[successor] = [*paths[node], successor]
                frontier.append(successor)
    raise AssertionError(f"no cycle in {sorted(component)}")  # a component always has one


def test_every_service_is_checked() -> None:
    assert {"registry", "matching", "notifications", "reporting", "console"} <= set(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_has_the_common_layout(service: str) -> None:
    layout = CONSOLE_LAYOUT if service == "console" else LAYOUT
    missing = [part for part in layout if not (package_of(service) / part).exists()]
    assert missing == [], f"{service} lacks {missing}"


@pytest.mark.parametrize("service", [s for s in SERVICES if s != "console"])
def test_the_api_is_a_package_of_routers(service: str) -> None:
    api = package_of(service) / "api"
    assert not (package_of(service) / "api.py").exists(), f"{service}: api.py beside api/"
    assert len(list(api.glob("*.py"))) >= 2, f"{service}: api/ holds no router modules"


@pytest.mark.parametrize("service", SERVICES)
def test_no_module_is_longer_than_the_limit(service: str) -> None:
    lengths = {
        f"{service}/{path.relative_to(package_of(service)).as_posix()}": len(
            path.read_text().splitlines()
        )
        for path in modules_of(service)
    }
    long = {module: lines for module, lines in lengths.items() if lines > MAX_LINES}
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


@pytest.mark.parametrize("service", SERVICES)
def test_no_modules_import_each_other(service: str) -> None:
    found = [" -> ".join(cycle) for cycle in cycles(import_graph(service))]
    assert found == [], f"{service}'s modules import each other: {found}"


def test_the_cycle_check_finds_a_cycle_and_names_its_path() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_resolves_the_forms_of_import() -> None:
    graph = import_graph("matching")
    # "from matching import branches" and "from matching.tables import Task" alike.
    assert {"matching.branches", "matching.tables"} <= graph["matching.tasks"]
    assert "matching.api" in graph["matching.app"]
