"""The borders between the packages: the two libraries stay pure, and below the views no
module of ``app`` imports one that imports it back."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: What ``geo`` and ``referral_rules`` must never load, directly or through a dependency.
FORBIDDEN = ("flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "app")

_IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
imported = []
for name in ("geo", "referral_rules"):
    package = importlib.import_module(name)
    imported.append(name)
    for module in pkgutil.walk_packages(package.__path__, name + "."):
        importlib.import_module(module.name)
        imported.append(module.name)
forbidden = %r
loaded = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
print(json.dumps({"imported": imported, "loaded": loaded}))
"""


def test_the_libraries_load_no_flask_no_orm_and_no_app_module():
    # A fresh interpreter: in this one pytest's conftest may have loaded Flask already.
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_EVERY_MODULE % (FORBIDDEN,)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # The walk really reached the modules (an empty walk would pass for nothing).
    assert {"geo.areas", "geo.geocoding", "referral_rules.engine",
            "referral_rules.loader"} <= set(report["imported"])
    assert report["loaded"] == []


# --- Import circles in app/ ------------------------------------------------------------------

_VIEW_PACKAGES = ("app.admin", "app.api", "app.partner", "app.resident", "app.staff")


def _modules() -> dict[str, Path]:
    modules = {}
    for path in (ROOT / "app").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The app modules ``path`` imports, at the top or inside a function (a circle hidden in
    a function is still a circle)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules.keys()
            found.update(submodules)
            if len(submodules) < len(node.names) and node.module in modules:
                found.add(node.module)
    return found


def _is_view(name: str) -> bool:
    """The top of the stack: the factory, blueprints and CLI commands, which nothing below
    them may import (a blueprint package imports its own view modules; that is how it
    registers them)."""
    return (name in {"app", "app.auth"} or name.startswith("app.cli")
            or any(name == p or name.startswith(p + ".") for p in _VIEW_PACKAGES))


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    circles.append(sorted(group))
    return circles


def test_the_circle_finder_finds_a_circle_through_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]


def test_no_service_model_or_worker_module_imports_a_view_or_cli_module():
    graph = _graph()
    upward = {name: sorted(n for n in imported if _is_view(n))
              for name, imported in graph.items() if not _is_view(name)}
    assert "app.services.accounts" in upward  # the walk found the services
    assert {name: found for name, found in upward.items() if found} == {}


def test_below_the_views_no_app_module_imports_one_that_imports_it_back():
    graph = _graph()
    below = {name: {n for n in imported if not _is_view(n)}
             for name, imported in graph.items() if not _is_view(name)}
    assert _circles(below) == []
