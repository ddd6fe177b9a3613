"""The registry of backends: ``method=`` name → backend object, imported on first use.

>>> from bayesml.backends.registry import methods
>>> methods("sampling"), methods("fitting")
(['gibbs', 'nuts'], ['agq', 'hlik', 'laplace'])

A new backend adds one line to :data:`BACKENDS` (its name, kind and where its backend object
lives); :meth:`bayesml.Model.sample` and :meth:`bayesml.Model.fit` find it there.
``Model.sample(method="auto")`` asks :func:`choose_sampling_method` which one to run.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bayesml.backends.seam import SamplingOptions, supports_family, unsupported_family_message
from bayesml.errors import ArgumentError, FamilyError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bayesml.backends.seam import Backend, Kind, ModelInputs
    from bayesml.families import Family

__all__ = [
    "AUTO",
    "BACKENDS",
    "NUTS_SETTINGS",
    "BackendEntry",
    "check_supports",
    "choose_sampling_method",
    "get_backend",
    "methods",
]

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


AUTO = "auto"
"""``Model.sample(method="auto")``: :func:`choose_sampling_method` picks the sampler."""

#: model options that set up NUTS only; given explicitly (not "auto"), method="auto" takes NUTS
NUTS_SETTINGS = ("random_effects", "parameterization")


def choose_sampling_method(
    model: ModelInputs, sampler_kwargs: Mapping[str, Any] | None = None
) -> tuple[str, str]:
    """``method="auto"``: the Gibbs sampler where every block of the model has an exact update,
    NUTS otherwise; returns ``(method, reason)``, the reason as the result's attribute
    ``bayesml_method_reason`` says it (``"auto: gibbs (every block has an exact update)"``).

    NUTS is also taken when ``sampler_kwargs`` holds an option the Gibbs sampler does not have
    (``target_accept``, ``sampler``, ...) or the model sets a NUTS-only option
    (:data:`NUTS_SETTINGS`).

    Raises
    ------
    ArgumentError
        When ``sampler_kwargs`` holds Gibbs-only options (``thin``, ``expansion``) for a model
        the Gibbs sampler cannot fit.
    """
    gibbs = get_backend("gibbs", "sampling")
    given = list(sampler_kwargs or {})
    shared = {f.name for f in dataclasses.fields(SamplingOptions)}
    gibbs_options = {
        f.name
        for f in dataclasses.fields(gibbs.options_type)
        if f.init and not f.metadata.get("from_model")
    }
    nuts_options = [name for name in given if name not in gibbs_options]
    if nuts_options:
        return "nuts", (
            f"auto: nuts (sampler_kwargs {', '.join(map(repr, nuts_options))} "
            f"{'is an option' if len(nuts_options) == 1 else 'are options'} of NUTS)"
        )
    for name in NUTS_SETTINGS:
        value = model.settings.get(name, AUTO)
        if value not in (AUTO, None):
            return "nuts", f"auto: nuts (Model({name}={value!r}) sets up NUTS)"
    gap = _gibbs_gap(gibbs, model)
    if gap is None:
        return "gibbs", "auto: gibbs (every block has an exact update)"
    gibbs_only = [name for name in given if name in gibbs_options - shared - {"cores"}]
    if gibbs_only:
        raise ArgumentError(
            f"sampler_kwargs {', '.join(map(repr, gibbs_only))} are options of method='gibbs', "
            f"which cannot fit this model ({gap}); method='auto' would use NUTS: remove them, "
            "or give NUTS options"
        )
    return "nuts", f"auto: nuts ({gap})"


def _gibbs_gap(gibbs: Any, model: ModelInputs) -> str | None:
    """Why the Gibbs sampler cannot fit ``model`` exactly, or None."""
    family = model.family
    if not supports_family(gibbs.supported_families(), family):
        return (
            f"family {family.name} with the {family.link.name} link has no exact Gibbs update"
        )
    predictors = sorted(getattr(model.design, "predictors", None) or {})
    if predictors:
        return f"formulas for the family parameters {', '.join(predictors)} have no Gibbs update"
    supported = gibbs.random_families()
    for block in getattr(model.design, "random", ()) or ():
        random_family = block.random_family
        if (random_family.name, random_family.link) not in supported:
            return f"{random_family.label} random effects ({block.name}) have no Gibbs update"
    return gibbs.exact_update_gap(model)


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
