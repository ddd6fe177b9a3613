"""Validation of the fields of a ModelSpec; each problem is a SpecError naming its key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bayesml.errors import FamilyError, FormulaError, SpecError
from bayesml.families import get_family
from bayesml.formula import parse_formula
from bayesml.spec._checks import expect_mapping, expect_scalar, expect_string
from bayesml.spec._options import validate_options

__all__ = ["validate_fields"]


def validate_fields(
    *,
    formula: Any,
    family: Any,
    link: Any,
    priors: Mapping[str, Any],
    data: Any,
    success: Any,
    weights: Any,
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
    _check_family(family, link, success)
    _check_priors(priors)
    validate_options(options)


def _check_formula(formula: str) -> None:
    """Parse the formula; a FormulaError becomes a SpecError that keeps the caret display."""
    try:
        parse_formula(formula)
    except FormulaError as error:
        raise SpecError(str(error), "formula") from error


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


def _check_priors(priors: Mapping[str, Any]) -> None:
    """Check the priors mapping with the priors layer's validator.

    The priors layer comes after the spec layer, so it is imported here, when a spec is
    validated, rather than at module import.
    """
    expect_mapping(priors, "priors")
    from bayesml.priors import validate_prior_mapping

    validate_prior_mapping(priors, key_path="priors")
