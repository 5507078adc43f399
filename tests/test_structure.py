"""The package's shape, computed from its source: no import cycle, no upward import, no oversized module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"

# Bottom to top: a module may import from its own layer or any layer below it, never above.
LAYERS = (
    ("errors", "gcpause", "redaction", "safefs", "statcache", "settings"),
    ("inputs",),
    ("texts",),
    ("llm",),
    ("writing",),
    ("site",),
    ("importer",),
    ("cli",),
    ("entry", "__main__"),
)
MAX_LINES = 500


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """generator/texts/store.py -> generator.texts.store (a package is named by its __init__)."""
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports (at the top or inside functions)."""
    paths = {module_name(p, package): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(name, is_package, node.module, node.level)
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in paths else base for alias in node.names]
            else:
                continue
            edges.update(t for t in targets if t in paths and t != name)
        graph[name] = edges
    return graph


def _absolute(importer: str, is_package: bool, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = importer.split(".")
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def layer_of(module: str) -> int | None:
    """The layer of a module of the package (None for the package itself)."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    for index, names in enumerate(LAYERS):
        if parts[1] in names:
            return index
    raise AssertionError(f"{module} is in no layer: add its subpackage to LAYERS in {__file__}")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a module into a higher layer."""
    found = []
    for module, targets in graph.items():
        for target in targets:
            low, high = layer_of(module), layer_of(target)
            if low is not None and high is not None and high > low:
                found.append(f"{module} imports {target}")
    return sorted(found)


def test_the_package_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 30  # the walk really found the package
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_no_module_imports_from_a_higher_layer():
    assert upward_imports(import_graph()) == []


def test_every_module_is_in_a_layer_and_of_a_readable_size():
    for path in PACKAGE.rglob("*.py"):
        layer_of(module_name(path))
        lines = path.read_text(encoding="utf-8").count("\n")
        assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE.parent)} has {lines} lines; split it by job"


def test_the_architecture_page_maps_every_module():
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")
    assert [m for m in modules if f"`{m}`" not in page] == []
    for names in LAYERS:
        assert all(name in page for name in names)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "generator" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "generator"


def test_the_checks_catch_a_cycle_and_an_upward_import(tmp_path):
    package = _write(
        tmp_path,
        {
            "__init__.py": "",
            "errors.py": "",
            "inputs/__init__.py": "",
            "inputs/load.py": "from generator.texts import store\n",
            "texts/__init__.py": "",
            "texts/store.py": "def f():\n    from ..inputs.load import x\n",
        },
    )
    graph = import_graph(package)
    assert graph["generator.inputs.load"] == {"generator.texts.store"}
    assert graph["generator.texts.store"] == {"generator.inputs.load"}
    assert find_cycle(graph) == ["generator.inputs.load", "generator.texts.store", "generator.inputs.load"]
    assert upward_imports(graph) == ["generator.inputs.load imports generator.texts.store"]


@pytest.mark.parametrize("layer", [names[0] for names in LAYERS[1:-1]])
def test_every_layer_is_a_subpackage(layer):
    assert (PACKAGE / layer / "__init__.py").is_file()
