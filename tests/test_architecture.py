"""The architecture's rules, checked on the source (docs/architecture.md explains them).

The import direction itself is import-linter's contract (`lint-imports`, run by `./run tests`); these tests
check what it cannot: private names across packages, the timeline's one writer, that the docs list every
domain event and every listener, and the capabilities' common shape.
"""

from __future__ import annotations

import ast
import inspect
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from compris import bus, events, timeline
from compris.worker.queue import HANDLERS, PERIODIC, load_tasks

SRC = Path(__file__).resolve().parents[1] / "src" / "compris"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def _modules() -> list[tuple[str, ast.Module]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        name = ".".join(("compris", *path.relative_to(SRC).with_suffix("").parts)).removesuffix(".__init__")
        found.append((name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))))
    return found


def _package(module: str) -> str:
    """``compris.inbox.actions.cases`` → ``compris.inbox``; top-level modules are their own package."""
    return ".".join(module.split(".")[:2])


def test_no_package_imports_another_packages_private_names() -> None:
    offences = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("compris"):
                if _package(node.module) == _package(name):
                    continue
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private or any(part.startswith("_") for part in node.module.split(".")):
                    offences.append(f"{name}: from {node.module} import {', '.join(private) or '…'}")
    assert offences == []


def test_only_the_timeline_writes_case_events() -> None:
    writers = []
    for name, tree in _modules():
        if name in ("compris.timeline", "compris.models.inbox"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "CaseEvent":
                writers.append(name)
    assert writers == []


def test_nothing_calls_another_capability_by_hand_after_a_write() -> None:
    assert not (SRC / "routing" / "hooks.py").exists()
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert "hooks" not in node.module.split("."), name


CAPABILITIES = ("replies", "sla", "routing", "inbox", "triage", "uploads", "channels", "accounts", "escalation",
                "business", "surveys", "subscriptions", "mail", "analytics", "listening")
SHAPE = ("actions", "queries", "listeners", "tasks", "schemas")


def test_every_capability_has_the_same_shape() -> None:
    # given the files every capability names alike (docs/architecture.md, "One shape per capability")
    for capability in CAPABILITIES:
        package = SRC / capability
        # then writes are in actions (a module, or a package split by subject), never in a "service"
        assert (package / "actions.py").exists() or (package / "actions" / "__init__.py").exists(), capability
        assert not list(package.rglob("service.py")) and not list(package.rglob("services.py")), capability
        # and a name of the shape is never used for something else (e.g. a queries/ package beside queries.py)
        for name in SHAPE:
            assert not ((package / f"{name}.py").exists() and (package / name).is_dir()), f"{capability}.{name}"


def test_api_shapes_live_in_their_capabilities() -> None:
    # the JSON API's endpoints import their bodies from <capability>/schemas.py; only the error body is web-only
    defined = {name: [node.name for node in tree.body if isinstance(node, ast.ClassDef)
                      and any(isinstance(b, ast.Name) and b.id in ("Schema", "BaseModel") for b in node.bases)]
               for name, tree in _modules() if name.startswith("compris.web.api.")}
    assert {name: classes for name, classes in defined.items() if classes} == {
        "compris.web.api.common": ["ErrorDetail", "ErrorOut"]}


def _domain_events() -> list[type[events.DomainEvent]]:
    return [
        obj for _, obj in inspect.getmembers(events, inspect.isclass)
        if issubclass(obj, events.DomainEvent) and obj.__module__ == events.__name__
        and obj not in (events.DomainEvent, events.CaseChange)
    ]


def test_the_docs_list_every_domain_event_and_who_listens() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    missing = [e.__name__ for e in _domain_events() if f"`{e.__name__}`" not in doc]
    assert missing == [], "add these events to docs/architecture.md"
    unlisted = sorted({r.name.rsplit(".", 1)[-1] for r in bus.registrations()
                       if f"`{r.name.rsplit('.', 1)[-1]}`" not in doc})
    assert unlisted == [], "add these listeners to docs/architecture.md"


def test_every_listener_module_and_tasks_module_is_declared_and_loads() -> None:
    for group in ("compris.listeners", "compris.tasks"):
        for ep in entry_points(group=group):
            module = ep.value
            path = SRC.joinpath(*module.split(".")[1:]).with_suffix(".py")
            assert path.exists(), f"{group}: {module} has no file"
    load_tasks()
    assert set(PERIODIC) <= set(HANDLERS)
    for kind in ("inbox.process_raw_event", "inbox.send_reply", "sla.pass", "routing.assign_waiting",
                 "triage.refine", "maintenance.purge", "uploads.purge_orphans", "channels.watch_downtime"):
        assert kind in HANDLERS, kind


@pytest.mark.parametrize("kind", list(timeline.EventKind))
def test_every_timeline_kind_has_its_recorder(kind: timeline.EventKind) -> None:
    recorder = getattr(timeline, kind.value, None)
    assert callable(recorder), f"timeline.{kind.value}() is missing"
