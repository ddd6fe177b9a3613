"""The registry of backends: ``method=`` name → backend object, imported on first use.

>>> from bayesml.backends.registry import methods
>>> methods("sampling"), methods("fitting")
(['gibbs', 'nuts'], ['agq', 'hlik', 'laplace'])

A new backend adds one line to :data:`BACKENDS` (its name, kind and where its backend object
lives); :meth:`bayesml.Model.sample` and :meth:`bayesml.Model.fit` find it there.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bayesml.backends.seam import supports_family, unsupported_family_message
from bayesml.errors import ArgumentError, FamilyError

if TYPE_CHECKING:
    from bayesml.backends.seam import Backend, Kind
    from bayesml.families import Family

__all__ = ["BACKENDS", "BackendEntry", "check_supports", "get_backend", "methods"]

_FORMULA_ARGUMENTS = {"zi": "zi=", "hu": "hu="}


@dataclass(frozen=True)
class BackendEntry:
    """Where a registered backend lives: ``module`` holds the object named ``attribute``."""

    kind: Kind
    module: str
    attribute: str


BACKENDS: dict[str, BackendEntry] = {
    "nuts": BackendEntry("sampling", "bayesml.backends.pymc.backend", "NUTS"),
    "gibbs": BackendEntry("sampling", "bayesml.backends.gibbs.backend", "GIBBS"),
    "hlik": BackendEntry("fitting", "bayesml.backends.hlik.backend", "HLIK"),
    "laplace": BackendEntry("fitting", "bayesml.backends.laplace.backend", "LAPLACE"),
    "agq": BackendEntry("fitting", "bayesml.backends.laplace.backend", "AGQ"),
}
"""The registered backends by ``method=`` name."""

_ENTRY_POINTS = {"sampling": "Model.sample", "fitting": "Model.fit"}


def methods(kind: Kind) -> list[str]:
    """The registered method names of one kind, sorted."""
    return sorted(name for name, entry in BACKENDS.items() if entry.kind == kind)


def get_backend(method: object, kind: Kind) -> Backend:
    """The backend registered as ``method``, of the given kind.

    Raises
    ------
    ArgumentError
        For an unknown name (listing the registered methods of that kind), or a method of the
        other kind (saying which entry point takes it).
    """
    entry = BACKENDS.get(method) if isinstance(method, str) else None
    if entry is None:
        raise ArgumentError(f"method must be one of {methods(kind)}; got method={method!r}")
    if entry.kind != kind:
        raise ArgumentError(
            f"method={method!r} is a {entry.kind} method: use {_ENTRY_POINTS[entry.kind]}"
            f"(method={method!r}); {_ENTRY_POINTS[kind]} takes {methods(kind)}"
        )
    return getattr(importlib.import_module(entry.module), entry.attribute)


def check_supports(backend: Backend, family: Family, design: Any = None) -> None:
    """Refuse a family/link, or formulas of family parameters, the backend does not fit, before
    it does any work.

    Raises
    ------
    FamilyError
        Listing what the backend supports and the registered methods that fit the model.
    """
    if supports_family(backend.supported_families(), family):
        _check_parameter_formulas(backend, family, design)
        _check_random_families(backend, design)
        return
    instead = [
        f"{_ENTRY_POINTS[entry.kind]}(method={name!r})"
        for name, entry in BACKENDS.items()
        if name != backend.name
        and supports_family(get_backend(name, entry.kind).supported_families(), family)
    ]
    raise FamilyError(
        unsupported_family_message(
            backend.name, backend.description, backend.supported_families(), family, instead
        )
    )


def _check_parameter_formulas(backend: Backend, family: Family, design: Any) -> None:
    modelled = set(getattr(design, "predictors", None) or {})
    refused = sorted(modelled - set(backend.parameter_formulas(family)))
    if not refused:
        return
    given = ", ".join(
        _FORMULA_ARGUMENTS.get(name, "dispersion_formula=") + f" ({name})" for name in refused
    )
    instead = [
        f"{_ENTRY_POINTS[entry.kind]}(method={name!r})"
        for name, entry in BACKENDS.items()
        if name != backend.name
        and modelled <= set(get_backend(name, entry.kind).parameter_formulas(family))
    ]
    hint = f"; use {' or '.join(instead)}" if instead else ""
    raise FamilyError(
        f"method={backend.name!r} ({backend.description}) does not fit formulas for family "
        f"parameters; this model has {given}{hint}"
    )


def _check_random_families(backend: Backend, design: Any) -> None:
    supported = backend.random_families()
    blocks = list(getattr(design, "random", ()) or ())
    for predictor in (getattr(design, "predictors", None) or {}).values():
        blocks += predictor.random
    for block in blocks:
        family = block.random_family
        if (family.name, family.link) in supported:
            continue
        instead = [
            f"{_ENTRY_POINTS[entry.kind]}(method={name!r})"
            for name, entry in BACKENDS.items()
            if name != backend.name
            and (family.name, family.link) in get_backend(name, entry.kind).random_families()
        ]
        hint = f"; use {' or '.join(instead)}" if instead else ""
        listed = ", ".join(f"{name}({link})" for name, link in sorted(supported))
        raise FamilyError(
            f"method={backend.name!r} ({backend.description}) does not fit {family.label} random "
            f"effects (group {block.name!r}); it fits {listed}{hint}"
        )
