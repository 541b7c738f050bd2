"""The core's boundaries: folders laid out in the order the data flows, every import pointing down.

answers in (model) → rule files (rulebook) → decisions (evaluate) → a plan (planning) → files for
people (output); quality checks the rulebook with all of these; services are what a person does
and are called by the command line and the site. No Flask in `advisor/`, and only the engine
module imports durable_rules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

CORE = sorted((ROOT / "advisor").rglob("*.py"))
SITE = sorted((ROOT / "web").rglob("*.py"))

# Lowest first: a module may import its own layer and the layers before it, never one after it.
LAYERS = (
    "model",
    "settings",
    "rulebook",
    "store",
    "evaluate",
    "planning",
    "directory",
    "output",
    "quality",
    "services",
    "cli",
)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, as dotted names (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _layer(module: str) -> int | None:
    """The layer of an `advisor.…` module; None for the package itself (the facade on top)."""
    parts = module.split(".")
    if parts[0] != "advisor" or len(parts) < 2:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_every_core_folder_has_a_layer() -> None:
    homes = {p.relative_to(ROOT / "advisor").parts[0].removesuffix(".py") for p in CORE}
    assert homes - {"__init__", "__main__"} <= set(LAYERS)


@pytest.mark.parametrize("path", CORE, ids=[str(p.relative_to(ROOT)) for p in CORE])
def test_core_imports_point_down(path: Path) -> None:
    own = _layer(_module(path))
    if own is None:
        return  # advisor/__init__.py: the public facade may use any layer
    upward = sorted(
        name
        for name in _imports(path)
        if (layer := _layer(name)) is not None and layer > own and name.split(".")[1] in LAYERS
    )
    assert not upward, f"{LAYERS[own]} imports from a later layer: {upward}"


@pytest.mark.parametrize("path", CORE, ids=[str(p.relative_to(ROOT)) for p in CORE])
def test_the_core_never_imports_flask_or_the_site(path: Path) -> None:
    roots = {name.split(".")[0] for name in _imports(path)}
    assert not roots & {"flask", "werkzeug", "flask_babel", "flask_wtf", "web"}


def test_only_the_engine_imports_durable_rules() -> None:
    importers = {
        str(p.relative_to(ROOT))
        for p in CORE
        if {n.split(".")[0] for n in _imports(p)} & {"durable", "durable_rules_engine"}
    }
    assert importers == {"advisor/evaluate/engine.py"}


@pytest.mark.parametrize("path", SITE, ids=[str(p.relative_to(ROOT)) for p in SITE])
def test_views_never_import_from_the_application_package(path: Path) -> None:
    """Blueprints take what they share from web.extensions, never a name defined in web/__init__.py
    (the package that imports them); only the entry points use the application factory."""
    if path.name in ("__init__.py", "wsgi.py", "__main__.py"):
        return
    modules = {_module(p) for p in SITE}
    from_package = sorted(
        name
        for name in _imports(path)
        if name.startswith("web.") and name.count(".") == 1 and name not in modules
    )
    assert not from_package
