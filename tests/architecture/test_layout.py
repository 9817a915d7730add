"""The layout holds: imports run one way, the engine stays domain-agnostic and keeps a public
surface, and modules stay small. Read from the source (an AST walk), so nothing is imported."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "api", "workflows", "workers", "bootstrap", "config")
# Outside engine/, these are the only modules one may import from (engine/__init__.py says why).
ENGINE_SURFACE = {
    "engine",
    "engine.storage",
    "engine.definitions",
    "engine.audit",
    "engine.background",
    "engine.workflow",
}
APP_CODE = ("api", "workflows", "workers", "bench", "scripts", "bootstrap.py")
MAX_ENGINE_TOP_MODULES = 12
MAX_ENGINE_MODULE_LINES = 500


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def python_files(*tops: str) -> list[Path]:
    files = []
    for top in tops:
        target = ROOT / top
        files += [target] if target.is_file() else sorted(target.rglob("*.py"))
    return [f for f in files if "migrations" not in f.relative_to(ROOT).parts or f.name == "env.py"]


MODULES = {
    module_name(path): path
    for path in python_files("engine", "api", "workflows", "workers", "bootstrap.py", "config", "verifier")
}


def imports_of(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names imported from it, line) of every import statement, at any depth."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.append((module, [alias.name for alias in node.names], node.lineno))
    return found


def dependencies(path: Path) -> set[str]:
    """The project modules ``path`` imports; ``from package import module`` counts as the module."""
    result = set()
    for module, names, _line in imports_of(path):
        targets = [f"{module}.{n}" if f"{module}.{n}" in MODULES else module for n in names] or [module]
        result |= {t for t in targets if t in MODULES}
    return result


def test_no_import_cycles():
    graph = {name: dependencies(path) - {name} for name, path in MODULES.items()}
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target, stack + [target])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_engine_imports_no_domain_no_http():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in python_files("engine")
        for module, _names, line in imports_of(path)
        if module.split(".")[0] in ("api", "workflows", "workers", "bootstrap", "flask", "flask_smorest")
    ]
    assert offending == []


def test_inside_the_engine_no_module_imports_the_facade():
    """engine/__init__.py imports the engine; a module inside importing it back would be a cycle
    that only the import order hides."""
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {names} from the facade"
        for path in python_files("engine")
        if path != ROOT / "engine" / "__init__.py"
        for module, names, line in imports_of(path)
        if module == "engine" and any(f"engine.{n}" not in MODULES for n in names)
    ]
    assert offending == []


def test_app_code_uses_only_the_engines_public_surface():
    offending = []
    for path in python_files(*APP_CODE):
        for module, _names, line in imports_of(path):
            if module.split(".")[0] == "engine" and module not in ENGINE_SURFACE:
                offending.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offending == []


def test_nothing_outside_the_engine_imports_a_private_name():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name} from {module}"
        for path in python_files(*APP_CODE, "tests")
        for module, names, line in imports_of(path)
        if module.split(".")[0] == "engine"
        for name in names
        if name.startswith("_")
    ]
    assert offending == []


@pytest.mark.parametrize("surface", sorted(ENGINE_SURFACE))
def test_every_public_surface_lists_its_names(surface):
    path = ROOT / Path(*surface.split(".")) / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert any(
        isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
        for node in tree.body
    ), f"{surface} has no __all__"


def test_the_engine_top_stays_a_facade():
    top = sorted(p.name for p in (ROOT / "engine").glob("*.py") if p.name != "__init__.py")
    assert len(top) <= MAX_ENGINE_TOP_MODULES, top


def test_engine_modules_stay_small():
    lines = defaultdict(int)
    for path in python_files("engine"):
        lines[str(path.relative_to(ROOT))] = len(path.read_text(encoding="utf-8").splitlines())
    assert {name: n for name, n in lines.items() if n > MAX_ENGINE_MODULE_LINES} == {}


def test_workers_do_not_import_the_web_layer():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in python_files("workers")
        for module, _names, line in imports_of(path)
        if module.split(".")[0] in ("api", "flask")
    ]
    assert offending == []


def test_the_offline_verifier_stands_alone():
    """The bureau runs ``verifier/`` on exported files: nothing of onestop's, no database, no web."""
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in python_files("verifier")
        for module, _names, line in imports_of(path)
        if module.split(".")[0]
        in ("engine", "api", "workflows", "workers", "bootstrap", "config", "sqlalchemy", "flask", "requests")
    ]
    assert offending == []
