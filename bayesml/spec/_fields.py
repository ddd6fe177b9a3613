"""Validation of the fields of a ModelSpec; each problem is a SpecError naming its key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bayesml.errors import FamilyError, FormulaError, SpecError
from bayesml.families import family_names, get_family, random_family_from_label
from bayesml.formula import parse_formula, parse_predictor
from bayesml.spec._checks import (
    describe_value,
    expect_mapping,
    expect_scalar,
    expect_string,
    join_key,
)
from bayesml.spec._options import validate_options

__all__ = ["validate_fields"]


def validate_fields(
    *,
    formula: Any,
    formulas: Mapping[str, Any],
    random_family: Any,
    family: Any,
    link: Any,
    priors: Mapping[str, Any],
    data: Any,
    success: Any,
    weights: Any,
    levels: Any = None,
    options: Mapping[str, Any],
    description: Any,
    name: Any,
) -> None:
    """Check every field of a spec; raise the first problem as a SpecError with its key path."""
    expect_string(formula, "formula")
    expect_string(family, "family")
    for key, value in (
        ("link", link),
        ("data", data),
        ("weights", weights),
        ("description", description),
        ("name", name),
    ):
        expect_string(value, key, optional=True)
    if success is not None:
        expect_scalar(success, "success")
    _check_formula(formula)
    _check_formulas(formulas)
    _check_random_family(random_family)
    _check_family(family, link, success)
    _check_levels(levels, family)
    _check_priors(priors)
    validate_options(options)


def _check_formula(formula: str) -> None:
    """Parse the formula; a FormulaError becomes a SpecError that keeps the caret display."""
    try:
        parse_formula(formula)
    except FormulaError as error:
        raise SpecError(str(error), "formula") from error


def _check_formulas(formulas: Any) -> None:
    """``{parameter: one-sided formula}``; each formula must parse (random terms allowed)."""
    expect_mapping(formulas, "formulas")
    for key, text in formulas.items():
        path = join_key("formulas", str(key))
        if not isinstance(key, str) or not key.isidentifier():
            raise SpecError(
                f"keys must be parameter names such as zi or dispersion; got {key!r}", "formulas"
            )
        expect_string(text, path)
        try:
            parse_predictor(text)
        except FormulaError as error:
            raise SpecError(str(error), path) from error


def _check_random_family(spec: Any) -> None:
    """A random-family name, or a mapping from grouping factor to name; each name known."""
    if spec is None:
        return
    items = spec.items() if isinstance(spec, Mapping) else [(None, spec)]
    for group, name in items:
        path = "random_family" if group is None else join_key("random_family", str(group))
        expect_string(name, path)
        try:
            random_family_from_label(name)
        except FamilyError as error:
            raise SpecError(str(error), path) from error


def _check_family(family: str, link: str | None, success: Any) -> None:
    """Resolve family and link; blame ``link`` only when the family alone is fine."""
    try:
        resolved = get_family(family)
    except FamilyError as error:
        raise SpecError(str(error), "family") from error
    if link is not None:
        try:
            resolved = get_family(family, link)
        except FamilyError as error:
            raise SpecError(str(error), "link") from error
    if success is not None and not resolved.response.levelled:
        raise SpecError(
            f"only binary and binomial families have a success level; family is {family!r}",
            "success",
        )


def _check_levels(levels: Any, family: str) -> None:
    """``levels``: at least two distinct numbers or strings, for an ordinal or categorical family
    only."""
    if levels is None:
        return
    if isinstance(levels, str) or not isinstance(levels, list | tuple):
        raise SpecError(
            f"expected a list of the response's levels, lowest first, got {describe_value(levels)}",
            "levels",
        )
    for position, level in enumerate(levels):
        expect_scalar(level, f"levels[{position}]")
    if len(levels) < 2:
        raise SpecError(f"expected at least two levels, got {list(levels)!r}", "levels")
    texts = [str(level) for level in levels]
    repeated = sorted({text for text in texts if texts.count(text) > 1})
    if repeated:
        raise SpecError(
            f"levels must be distinct; {', '.join(map(repr, repeated))} "
            f"{'is' if len(repeated) == 1 else 'are'} given twice in levels={list(levels)!r}",
            "levels",
        )
    if not get_family(family).response.has_levels:
        names = ", ".join(family_names(lambda other: other.response.has_levels))
        raise SpecError(
            f"only the families of a response with levels ({names}) take levels; family is "
            f"{family!r}",
            "levels",
        )


def _check_priors(priors: Mapping[str, Any]) -> None:
    """Check the priors mapping with the priors layer's validator.

    The priors layer comes after the spec layer, so it is imported here, when a spec is
    validated, rather than at module import.
    """
    expect_mapping(priors, "priors")
    from bayesml.priors import validate_prior_mapping

    validate_prior_mapping(priors, key_path="priors")
