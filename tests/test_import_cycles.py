"""The module import graph of ``bayesml`` has no cycles (outside a known list being untangled).

The graph is built from the source with :mod:`ast`, not by importing: every ``import`` and
``from ... import`` anywhere in a module counts — at the top, inside functions, under
``if TYPE_CHECKING:`` — and so do ``importlib.import_module("...")`` calls with a literal name. A
name resolves to the module or package (``__init__``) it denotes: ``from bayesml.a import b`` is
an edge to ``bayesml.a.b`` when that is a module, else to ``bayesml.a``; relative imports resolve
against the importing module's package. Importing ``bayesml.a.b`` also runs ``bayesml/a/__init__``,
but that implicit edge is not counted (every package's ``__init__`` importing its own submodules
would otherwise close a cycle).

Run as a script to print the strongly connected components: ``python tests/test_import_cycles.py``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE = "bayesml"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

def module_names(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> source file, for every ``.py`` file of the package."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute name of ``from <base> import ...``."""
    if not node.level:
        return node.module or ""
    package = module.split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    if node.level > 1:
        package = package[: len(package) - (node.level - 1)]
    return ".".join([*package, node.module] if node.module else package)


def _imported_names(module: str, path: Path) -> Iterator[tuple[str, ...]]:
    """Every import of the module, anywhere in it, as the absolute names it may denote (the first
    that is a module is the one): ``from a import b`` may be the module ``a.b`` or a name of ``a``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name,) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, path, node)
            for alias in node.names:
                yield (base,) if alias.name == "*" else (f"{base}.{alias.name}", base)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and _is_dynamic_import(node.func)
        ):
            yield (node.args[0].value,)


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Attribute):
        return func.attr == "import_module"
    return isinstance(func, ast.Name) and func.id in ("import_module", "__import__")


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports (itself excluded)."""
    return _graph_and_unresolved(root)[0]


def unresolved_imports(root: Path = ROOT) -> list[tuple[str, str]]:
    """(module, name) for each import of a ``bayesml`` name that is no module of the package."""
    return _graph_and_unresolved(root)[1]


def _graph_and_unresolved(root: Path) -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    modules = module_names(root)
    graph: dict[str, set[str]] = {}
    unresolved = []
    for module, path in modules.items():
        targets = set()
        for candidates in _imported_names(module, path):
            if candidates[-1] != PACKAGE and not candidates[-1].startswith(PACKAGE + "."):
                continue
            target = next((name for name in candidates if name in modules), None)
            if target is None:
                unresolved.append((module, candidates[-1]))
            elif target != module:
                targets.add(target)
        graph[module] = targets
    return graph, sorted(set(unresolved))


def strongly_connected_components(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The components with more than one module (Tarjan's algorithm, iterative), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return sorted(components)


def cycle_edges(graph: Mapping[str, set[str]], component: list[str]) -> list[tuple[str, str]]:
    """The imports between the modules of one component."""
    members = set(component)
    return sorted((a, b) for a in component for b in graph[a] if b in members)


# -- tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_the_graph_sees_imports_inside_functions_and_relative_ones(tmp_path):
    package = tmp_path / PACKAGE
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from bayesml.sub import b\n")
    (package / "sub" / "__init__.py").write_text("from . import b\n")
    (package / "sub" / "b.py").write_text(
        "import importlib\n\ndef g():\n    importlib.import_module('bayesml.c')\n"
    )
    (package / "c.py").write_text("from .sub.b import g\nfrom ..outside import x\n")
    (package / "d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import bayesml.a\n"
    )
    graph = import_graph(package)
    assert graph == {
        "bayesml": set(),
        "bayesml.a": {"bayesml.sub.b"},
        "bayesml.c": {"bayesml.sub.b"},
        "bayesml.d": {"bayesml.a"},
        "bayesml.sub": {"bayesml.sub.b"},
        "bayesml.sub.b": {"bayesml.c"},
    }
    assert strongly_connected_components(graph) == [["bayesml.c", "bayesml.sub.b"]]


@pytest.mark.parametrize(
    "modules",
    [
        ("bayesml.priors._prior", "bayesml.priors._logpdf"),
        ("bayesml.workflows.sensitivity_io", "bayesml.workflows.sensitivity_result"),
        ("bayesml.backends.hlik.fit", "bayesml.backends.hlik.result"),
        ("bayesml.backends.hlik.result", "bayesml.backends.hlik.summary"),
        ("bayesml.backends.hlik.result", "bayesml.plots.hlik"),
    ],
)
def test_these_modules_are_not_in_one_cycle(graph, modules):
    components = strongly_connected_components(graph)
    assert not any(set(modules) <= set(component) for component in components)


def test_backends_never_import_the_plots(graph):
    offending = sorted(
        (module, target)
        for module, targets in graph.items()
        if module.startswith("bayesml.backends")
        for target in targets
        if target == "bayesml.plots" or target.startswith("bayesml.plots.")
    )
    assert offending == []


def test_no_import_cycles(graph):
    cycles = strongly_connected_components(graph)
    assert cycles == [], "\n".join(
        f"{component}: {cycle_edges(graph, component)}" for component in cycles
    )


if __name__ == "__main__":
    full = import_graph(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
    found = strongly_connected_components(full)
    print(f"{len(full)} modules, {sum(map(len, full.values()))} imports, {len(found)} cycles")
    for component in found:
        print(f"\n{len(component)} modules:")
        for a, b in cycle_edges(full, component):
            print(f"  {a} -> {b}")
    missing = unresolved_imports(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
    if missing:
        print("\nimports of names that are no module of the package:")
        for module, name in missing:
            print(f"  {module}: {name}")
