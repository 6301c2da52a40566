"""The borders between the packages: the two libraries stay pure, and below the views no
module of ``app`` imports one that imports it back."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: What ``geo``, ``referral_rules`` and ``disclosure`` must never load, directly or through a
#: dependency.
FORBIDDEN = ("flask", "flask_sqlalchemy", "sqlalchemy", "werkzeug", "app")

_IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys
imported = []
for name in ("geo", "referral_rules", "disclosure"):
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
            "referral_rules.loader", "disclosure"} <= set(report["imported"])
    assert report["loaded"] == []


_LIBRARIES = ("geo", "referral_rules", "disclosure")


def _private_uses(path: Path) -> list[str]:
    """The private names (``_Grid``) of the libraries that ``path`` imports or reaches."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.split(".")[0] in _LIBRARIES:
            found += [f"{node.module}.{alias.name}" for alias in node.names
                      if alias.name.startswith("_")]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id in _LIBRARIES and node.attr.startswith("_"):
            found.append(f"{node.value.id}.{node.attr}")
    return found


def test_the_app_uses_the_libraries_through_their_public_names_only():
    # A subclass of a library's private class breaks when the library changes inside; what
    # the app needs from it becomes a public option (disclosure.protect(known=...)).
    found = {path.relative_to(ROOT).as_posix(): names
             for path in sorted((ROOT / "app").rglob("*.py")) if (names := _private_uses(path))}
    assert found == {}


# --- Import circles in app/ ------------------------------------------------------------------

_VIEW_PACKAGES = ("app.admin", "app.api", "app.beleid", "app.cli", "app.partner", "app.resident",
                  "app.staff")


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
    registers them; ``app.referral_views`` are views two blueprints add)."""
    return (name in {"app", "app.auth", "app.referral_views"}
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


def test_no_command_module_imports_one_that_imports_it_back():
    # The package registers its modules; a module shares helpers through app.cli.common,
    # never through the package that imports it.
    graph = _graph()
    commands = {name: {n for n in imported if n == "app.cli" or n.startswith("app.cli.")}
                for name, imported in graph.items()
                if name == "app.cli" or name.startswith("app.cli.")}
    assert "app.cli.geo" in commands  # the walk found the command modules
    assert _circles(commands) == []


# --- Who commits -----------------------------------------------------------------------------

#: The code in ``app/`` that may commit (README, "Layout"): the services and the messaging
#: modules with a use case, which end each use case with the commit, and the code that runs
#: outside a request's use case. An entry ending in ``/`` allows a folder; ``app/cli`` allows
#: the command modules in either layout (``app/cli.py``, ``app/cli_geo.py`` … or a package
#: ``app/cli/``).
COMMITTERS = {
    "app/services/": "the use cases",
    "app/cli": "the flask commands",
    "app/worker.py": "claims a batch of the outbox in a transaction of its own",
    "app/messaging/transport/delivery.py": "the embedded mailbox keeps a delivered mail",
    "app/messaging/transport/outbox.py": "the use case of retrying a dead message",
    "app/messaging/outgoing/digest.py": "each tenant's daily digest in a transaction of its own",
    "app/messaging/in_app/notifications.py": "the use cases of reading notifications and "
                                             "choosing the digest",
    "app/scheduler.py": "each referral's reminder or escalation in a transaction of its own",
}


def _commit_lines(source: str) -> list[int]:
    """The lines that call ``commit()`` on a session (``db.session``, ``session``, …)."""
    return sorted(
        node.lineno for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
        and ((isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "session")
             or (isinstance(node.func.value, ast.Name) and node.func.value.id == "session")))


def _commits_in_app() -> dict[str, list[int]]:
    found = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        lines = _commit_lines(path.read_text(encoding="utf-8"))
        if lines:
            found[path.relative_to(ROOT).as_posix()] = lines
    return found


def _allowed(path: str) -> bool:
    return any(path.startswith(place) for place in COMMITTERS)


def test_the_commit_finder_sees_a_session_commit_and_nothing_else():
    source = ("db.session.commit()\n"
              "session.commit()\n"
              "self.session.commit()\n"
              "repo.commit()\n"
              "db.session.flush()\n"
              "commit()\n")
    assert _commit_lines(source) == [1, 2, 3]


def test_only_the_services_the_worker_and_the_commands_commit():
    found = _commits_in_app()
    assert any(path.startswith("app/services/") for path in found)  # the walk saw the services
    assert {path: lines for path, lines in found.items() if not _allowed(path)} == {}


def test_every_place_allowed_to_commit_still_commits():
    # A place that no longer commits comes off the list, so the list stays the truth.
    found = _commits_in_app()
    assert [place for place in COMMITTERS
            if not any(path.startswith(place) for path in found)] == []
