"""The ``options`` block of a spec: a registry of option names and their validators."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from bayesml.errors import SpecError
from bayesml.spec._checks import (
    check_known_keys,
    expect_choice,
    expect_integer,
    expect_mapping,
    expect_scalar,
    join_key,
)

__all__ = ["OPTIONS", "validate_options"]

SAMPLERS = ("pymc", "nutpie", "numpyro")


def _reference_levels(value: Any, key_path: str) -> None:
    """``{column: level}``: the reference level of each categorical column."""
    expect_mapping(value, key_path)
    for column, level in value.items():
        expect_scalar(level, join_key(key_path, column))


PARAMETERIZATIONS = ("auto", "centered", "noncentered")


def _parameterization(value: Any, key_path: str) -> None:
    """One of :data:`PARAMETERIZATIONS`, or ``{grouping factor: one of them}``."""
    if isinstance(value, Mapping):
        for group, choice in value.items():
            expect_choice(choice, join_key(key_path, str(group)), choices=PARAMETERIZATIONS)
        return
    expect_choice(value, key_path, choices=PARAMETERIZATIONS)


#: option name -> validator(value, key_path) raising SpecError
OPTIONS: Mapping[str, Callable[[Any, str], None]] = {
    "missing": partial(expect_choice, choices=("raise", "drop")),
    "reference_levels": _reference_levels,
    "reference": expect_scalar,
    "probit": partial(expect_choice, choices=("marginal", "latent")),
    "random_effects": partial(expect_choice, choices=("auto", "sampled", "integrated")),
    "parameterization": _parameterization,
    "sampler": partial(expect_choice, choices=SAMPLERS),
    "draws": partial(expect_integer, minimum=1),
    "tune": partial(expect_integer, minimum=0),
    "chains": partial(expect_integer, minimum=1),
    "seed": partial(expect_integer, minimum=0),
    "random_seed": partial(expect_integer, minimum=0),
}


def validate_options(options: Mapping[str, Any], key_path: str = "options") -> None:
    """Check every entry of a spec's ``options`` mapping.

    Raises
    ------
    SpecError
        For an unknown option (with the valid names and a suggestion), a value of the wrong type
        or out of range, or both ``seed`` and ``random_seed`` given.
    """
    expect_mapping(options, key_path)
    check_known_keys(options, OPTIONS, key_path, what="option")
    for name, value in options.items():
        OPTIONS[name](value, join_key(key_path, name))
    if "seed" in options and "random_seed" in options:
        raise SpecError("give either seed or random_seed, not both", key_path)
