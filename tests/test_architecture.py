"""The layers hold: `core ← councils ← bids ← assessments ← collaboration ← projects ← pipeline`, every app may use
`core` and `notifications`, `notifications` uses no domain app, and no module imports another module's private
names; reads (selectors, rules, conditions) never import writes (services)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "councils", "bids", "assessments", "collaboration", "projects", "pipeline"]
APPS = [*LAYERS, "notifications"]


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, imported names, line) for every import in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
    return found


def _sources(app: str) -> list[Path]:
    return [path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]


def _allowed(importer: str, imported: str) -> bool:
    if imported in ("core", importer):
        return True
    if importer == "notifications":
        return False  # infrastructure: knows no domain app
    if imported == "notifications":
        return True
    if importer == "core":
        return False
    return LAYERS.index(imported) < LAYERS.index(importer)


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_an_app_above_it(app):
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _sources(app)
        for module, _names, line in _imports(path)
        if module.split(".")[0] in APPS and not _allowed(app, module.split(".")[0])
    ]
    assert wrong == []


def test_no_module_imports_another_modules_private_names():
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name} from {module}"
        for app in [*APPS, "tests", "config"]
        for path in _sources(app)
        for module, names, line in _imports(path)
        if module.split(".")[0] in [*APPS, "tests"]
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert wrong == []


def test_no_module_imports_from_a_conftest():
    """pytest loads conftest.py files itself (for their fixtures and hooks); helpers that tests import live in
    modules of their own (`tests.factories`, `tests.e2e.browser`, `tests.real_services`)."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports from {module}"
        for path in _sources("tests")
        for module, _names, line in _imports(path)
        if module.split(".")[-1] == "conftest"
    ]
    assert wrong == []


READ_MODULES = ("selectors", "rules", "conditions", "models", "machines")


def test_reads_never_import_writes():
    """Services import selectors, never the reverse: no selector, rule, condition, model or machine table
    imports a services module (of its own app or another)."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for app in APPS
        for path in _sources(app)
        if path.stem in READ_MODULES
        for module, names, line in _imports(path)
        if module.split(".")[0] in APPS and (module.endswith(".services") or "services" in names)
    ]
    assert wrong == []


def test_django_fsm_private_metadata_is_read_in_one_place():
    readers = [
        str(path.relative_to(ROOT)) for app in APPS for path in _sources(app) if "_django_fsm" in path.read_text()
    ]
    assert readers == ["core/transitions.py"]


def test_a_view_tells_sending_from_showing_by_post():
    """Form pages take HEAD as GET (`core.views.form_methods`), which is safe only while a view asks "was this a
    POST?": a view that asked "was this a GET?" would take a HEAD, which carries no CSRF token, as sending."""
    askers = []
    for app in APPS:
        for path in _sources(app):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if (
                    isinstance(node, ast.Compare)
                    and ast.unparse(node.left) == "request.method"
                    and any(isinstance(c, ast.Constant) and c.value in ("GET", "HEAD") for c in node.comparators)
                ):
                    askers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert askers == []
