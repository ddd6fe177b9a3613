"""The package's structure: layers that point one way, backends apart, families in one room.

The import graph is read from the source with :mod:`ast`: every ``import`` and ``from ... import``
anywhere in a module (inside functions too), except those under ``if TYPE_CHECKING:``, which
only name types for annotations and never run. Import cycles (those imports included) are checked
by ``tests/test_import_cycles.py``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from bayesml.families import FAMILIES
from bayesml.priors import DISTRIBUTIONS

PACKAGE = Path(__file__).resolve().parents[1] / "bayesml"

#: layers from the bottom; a module may import from its own layer and the layers below
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bayesml._version", "bayesml._lazy", "bayesml.errors"),
    ("bayesml.families", "bayesml.linalg", "bayesml.datasets", "bayesml.data_source"),
    ("bayesml.formula",),
    ("bayesml.priors",),
    ("bayesml.spec",),
    ("bayesml.design",),
    ("bayesml.results",),
    ("bayesml.backends",),
    ("bayesml.model", "bayesml.hglm_interface", "bayesml.results_io"),
    ("bayesml.workflows", "bayesml.plots"),
    ("bayesml.cli", "bayesml"),
)

#: the backend packages: none imports another (they share bayesml.backends.seam)
BACKEND_PACKAGES = ("bayesml.backends.pymc", "bayesml.backends.gibbs", "bayesml.backends.hlik")

#: the files outside bayesml/families that may name a family: the backends' translation tables
TRANSLATION_TABLES = {
    "backends/pymc/likelihoods.py",  # family -> PyMC distribution; the latent probit form
    "backends/pymc/effects.py",  # families whose random effects integrate out in closed form
    "backends/gibbs/problem.py",  # family and link -> Gibbs augmentation
    "backends/hlik/rows.py",  # the families the h-likelihood fits
}

#: names that are also something other than a family (see test_family_names_live_in_families)
PRIOR_MODULES = ("priors/", "backends/pymc/priors.py", "backends/gibbs/densities.py")
COEFFICIENTS_NAME = "beta"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk_runtime(node: ast.AST) -> Iterator[ast.AST]:
    """Every node below ``node`` except the bodies of ``if TYPE_CHECKING:`` blocks."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            yield from (n for stmt in child.orelse for n in [stmt, *_walk_runtime(stmt)])
            continue
        yield child
        yield from _walk_runtime(child)


def _resolve(name: str) -> str | None:
    """The module (or package) of ``bayesml`` that ``name`` refers to."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in _walk_runtime(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from bayesml import datasets`` imports the module bayesml.datasets; ``from
            # bayesml.x import name`` imports bayesml.x
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        for name in names:
            if name.startswith("bayesml"):
                target = _resolve(name)
                if target is not None and target != module:
                    found.add(target)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def _layer(module: str) -> int:
    best = None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (index, len(prefix))
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[0]


def test_every_module_is_in_a_layer():
    for module in MODULES:
        _layer(module)


def test_layers_point_one_way():
    upward = [
        f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})"
        for module, targets in GRAPH.items()
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert not upward, "\n".join(upward)


def test_no_backend_imports_another():
    def package(module: str) -> str | None:
        return next(
            (p for p in BACKEND_PACKAGES if module == p or module.startswith(p + ".")), None
        )

    crossing = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if package(module) and package(target) and package(module) != package(target)
    ]
    assert not crossing, "\n".join(crossing)


def test_model_and_workflows_use_backends_through_the_seam():
    internals = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module == "bayesml.model" or module.startswith("bayesml.workflows")
        for target in targets
        if target.startswith("bayesml.backends.")
        and target not in ("bayesml.backends.registry", "bayesml.backends.seam")
        # HlikResult and MLResult, the fits' result types (compare and anova take them)
        and not target.startswith(("bayesml.backends.hlik", "bayesml.backends.laplace.result"))
    ]
    assert not internals, "\n".join(internals)


# -- families in one room --------------------------------------------------------------------------
def _string_constants(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def _family_name_uses() -> dict[str, list[str]]:
    """File (relative to bayesml/) -> the family names it holds as strings, outside the rooms
    that may hold them. Prior-distribution names (gamma, student_t, beta) in the prior modules and
    the coefficients' posterior name ``beta`` are not family names."""
    names = set(FAMILIES)
    uses: dict[str, list[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("families/"):
            continue
        for line, value in _string_constants(path):
            if value not in names or value == COEFFICIENTS_NAME:
                continue
            if value in DISTRIBUTIONS and relative.startswith(PRIOR_MODULES):
                continue
            if value == "categorical" and relative.startswith("formula/"):
                continue  # the kind of a term's values (factor columns), not the family
            if value == "categorical" and relative == "plots/predictive.py":
                continue  # the response kind (RESPONSE_KINDS) a check is picked by, not the family
            uses.setdefault(relative, []).append(f"{value!r} (line {line})")
    return uses


def test_family_names_live_in_families_and_the_translation_tables():
    uses = _family_name_uses()
    outside = {path: found for path, found in uses.items() if path not in TRANSLATION_TABLES}
    assert not outside, "\n".join(f"{path}: {', '.join(found)}" for path, found in outside.items())
    assert len(uses) <= 4


@pytest.mark.parametrize("table", sorted(TRANSLATION_TABLES))
def test_the_translation_tables_exist(table):
    assert (PACKAGE / table).is_file()
