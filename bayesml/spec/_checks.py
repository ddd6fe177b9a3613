"""Small validators shared by the spec fields and options: types, choices, unknown keys."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any

from bayesml.errors import SpecError

__all__ = [
    "join_key",
    "describe_value",
    "expect_string",
    "expect_mapping",
    "expect_choice",
    "expect_integer",
    "expect_scalar",
    "check_known_keys",
]

_TYPE_NAMES = (
    (bool, "boolean"),
    (Integral, "integer"),
    (Real, "number"),
    (str, "string"),
    (Mapping, "mapping"),
    (list | tuple, "list"),
)


def join_key(prefix: str | None, key: object) -> str:
    """``"priors" + "sd"`` -> ``"priors.sd"``; an empty prefix gives the key alone."""
    return f"{prefix}.{key}" if prefix else str(key)


def describe_value(value: object) -> str:
    """The YAML type of ``value`` followed by the value, e.g. ``"list ['a', 'b']"``."""
    if value is None:
        return "null"
    name = next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)), None)
    name = name or type(value).__name__
    shown = repr(value if not isinstance(value, Mapping) else dict(value))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{name} {shown}"


def expect_string(value: object, key_path: str, *, optional: bool = False) -> None:
    """Raise SpecError unless ``value`` is a string (or None when ``optional``)."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise SpecError(f"expected a string, got {describe_value(value)}", key_path)


def expect_mapping(value: object, key_path: str) -> None:
    """Raise SpecError unless ``value`` is a mapping with string keys."""
    if not isinstance(value, Mapping):
        raise SpecError(f"expected a mapping, got {describe_value(value)}", key_path)
    for key in value:
        if not isinstance(key, str):
            raise SpecError(f"keys must be strings, got {describe_value(key)}", key_path)


def expect_choice(value: object, key_path: str, choices: Iterable[str]) -> None:
    """Raise SpecError unless ``value`` is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise SpecError(f"expected one of {listed}, got {describe_value(value)}", key_path)


def expect_integer(value: object, key_path: str, *, minimum: int) -> None:
    """Raise SpecError unless ``value`` is an integer (not a boolean) ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise SpecError(f"expected an integer, got {describe_value(value)}", key_path)
    if value < minimum:
        raise SpecError(f"expected an integer >= {minimum}, got {value}", key_path)


def expect_scalar(value: object, key_path: str) -> None:
    """Raise SpecError unless ``value`` is a string, number or boolean."""
    if not isinstance(value, str | Real):
        raise SpecError(
            f"expected a string, number or boolean, got {describe_value(value)}", key_path
        )


def check_known_keys(
    mapping: Mapping[str, Any], valid: Iterable[str], key_path: str | None, *, what: str
) -> None:
    """Raise SpecError naming the first key of ``mapping`` that is not in ``valid``.

    The message lists the valid keys and suggests the closest one.
    """
    valid = tuple(valid)
    for key in mapping:
        if key in valid:
            continue
        close = difflib.get_close_matches(str(key), valid, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SpecError(
            f"unknown {what} {key!r}{hint}; valid keys: {', '.join(valid)}",
            join_key(key_path, key),
        )
