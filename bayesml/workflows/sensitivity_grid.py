"""The prior configurations of a sensitivity run: a grid over named alternatives, or a list.

A grid ``{"sigma": {"half_normal": {...}, "uniform": {...}}, "cov": {"lkj1": {...}, ...}}`` gives
one configuration per element of the Cartesian product of the alternatives, labelled
``"sigma=half_normal, cov=lkj1"``. Explicit configurations are prior mappings given one by one,
as a list (labelled by their priors) or a mapping from label to prior mapping.

Pure functions of their arguments: no data, no fitting.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bayesml.errors import ArgumentError, ArgumentTypeError
from bayesml.priors import Prior, parse_prior, parse_prior_key, validate_prior_mapping

__all__ = [
    "PriorConfiguration",
    "describe_prior",
    "explicit_configurations",
    "grid_configurations",
    "prior_configurations",
]

#: roles of the global keys that belong to the model's own predictor, never to a family parameter
_MODEL_ROLES = ("intercept", "fixed", "sd", "cov")

#: label of an explicit configuration that changes no prior
BASE_LABEL = "base priors"

_GRID_EXAMPLE = (
    "{'sigma': {'half_normal': {'dist': 'half_normal', 'sigma': 1}, "
    "'uniform': {'dist': 'uniform', 'upper': 10}}}"
)


@dataclass(frozen=True)
class PriorConfiguration:
    """One prior configuration of a sensitivity run.

    Attributes
    ----------
    label
        Its name in tables and plots, e.g. ``"sigma=half_normal, cov=lkj1"``.
    priors
        The prior keys this configuration sets (they replace the base model's entries); a key set
        to ``None`` removes the base model's entry, so that parameter takes its default.
    choices
        For a grid, the name of the alternative chosen for each varied key; empty otherwise.
    implied
        Keys of the base model's priors that this configuration's covariance prior makes moot:
        the SD priors of groups whose covariance it gives an inverse-Wishart prior (their SDs
        follow from it). They are left out of this configuration's model.
    """

    label: str
    priors: Mapping[str, Prior | None]
    choices: Mapping[str, str] = field(default_factory=dict)
    implied: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "priors", MappingProxyType(dict(self.priors)))
        object.__setattr__(self, "choices", MappingProxyType(dict(self.choices)))
        object.__setattr__(self, "implied", tuple(self.implied))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for the JSON index of a saved run); :meth:`from_dict` reads it back."""
        return {
            "label": self.label,
            "priors": {key: _prior_data(prior) for key, prior in self.priors.items()},
            "choices": dict(self.choices),
            "implied": list(self.implied),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriorConfiguration:
        """Rebuild a configuration written by :meth:`to_dict`."""
        priors = _prior_mapping(data["priors"], where=f"configuration {data['label']!r}")
        return cls(data["label"], priors, data.get("choices", {}), data.get("implied", ()))


def _prior_mapping(mapping: Mapping[str, Any], *, where: str) -> dict[str, Prior | None]:
    """A configuration's priors, validated; ``None`` values (removals) kept, their keys checked."""
    removed = [key for key, value in mapping.items() if value is None]
    for key in removed:
        parse_prior_key(key, key_path=where)
    priors = validate_prior_mapping(
        {key: value for key, value in mapping.items() if value is not None}, key_path=where
    )
    return {key: None if key in removed else priors[key] for key in mapping}


def _prior_data(prior: Prior | Mapping[str, Prior] | None) -> Any:
    """A configuration's prior as plain data: a nested mapping (the priors of a family
    parameter's formula) entry by entry."""
    if prior is None:
        return None
    if isinstance(prior, Mapping):
        return {key: value.to_dict() for key, value in prior.items()}
    return prior.to_dict()


def describe_prior(prior: Prior | Mapping[str, Prior] | None) -> str:
    """A configuration's prior as text: ``"default"`` for a removed key; the nested priors of a
    family parameter's formula as ``"intercept=normal(mu=0, sigma=5), fixed=..."``."""
    if prior is None:
        return "default"
    if isinstance(prior, Mapping):
        return ", ".join(f"{key}={value}" for key, value in prior.items()) or "default"
    return str(prior)


def prior_configurations(
    priors: Mapping[str, Mapping[str, Any]] | None,
    configurations: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]] | None,
) -> tuple[PriorConfiguration, ...]:
    """The configurations of a run from exactly one of ``priors`` (a grid) or ``configurations``.

    Raises
    ------
    ArgumentError
        When both or neither are given, or for an empty grid or list, or duplicate labels.
    ArgumentTypeError
        For arguments of the wrong type.
    PriorError
        For an unknown prior key or an invalid prior, naming where it is.
    """
    if priors is None and configurations is None:
        raise ArgumentError(
            "give priors= (named alternatives per prior key, e.g. "
            f"{_GRID_EXAMPLE}) or configurations= (a list of prior mappings); got neither"
        )
    if priors is not None and configurations is not None:
        raise ArgumentError(
            "give either priors= (a grid of alternatives) or configurations= (an explicit list), "
            "not both"
        )
    if priors is not None:
        return grid_configurations(priors)
    return explicit_configurations(configurations)


def grid_configurations(priors: Mapping[str, Mapping[str, Any]]) -> tuple[PriorConfiguration, ...]:
    """Every combination of the named alternatives, in the order the keys and names are given.

    Parameters
    ----------
    priors
        ``{prior key: {alternative name: prior}}``; keys are those of a model's priors mapping
        (``sigma``, ``sd``, ``cov``, ``sd_county[floor]``, ``beta[week]``, ...), priors are dicts
        such as ``{"dist": "half_normal", "sigma": 1}`` or :class:`~bayesml.Prior` objects.

    Examples
    --------
    >>> hn, u = {"dist": "half_normal", "sigma": 1}, {"dist": "uniform", "upper": 5}
    >>> grid = grid_configurations({"sigma": {"hn": hn, "u": u}, "sd": {"hn": hn}})
    >>> [configuration.label for configuration in grid]
    ['sigma=hn, sd=hn', 'sigma=u, sd=hn']
    """
    if not isinstance(priors, Mapping):
        raise ArgumentTypeError(
            f"priors must map prior keys to named alternatives, e.g. {_GRID_EXAMPLE}; "
            f"got {type(priors).__name__}"
        )
    if not priors:
        raise ArgumentError(f"priors is empty; give at least one prior key, e.g. {_GRID_EXAMPLE}")
    alternatives = {key: _alternatives(key, value) for key, value in priors.items()}
    configurations = []
    for combination in itertools.product(*(options.items() for options in alternatives.values())):
        keys = list(alternatives)
        choices = {key: name for key, (name, _) in zip(keys, combination, strict=True)}
        chosen = {key: prior for key, (_, prior) in zip(keys, combination, strict=True)}
        label = ", ".join(f"{key}={name}" for key, name in choices.items())
        configurations.append(PriorConfiguration(label, chosen, choices))
    return tuple(configurations)


def _alternatives(key: object, value: object) -> dict[str, Prior | Mapping[str, Prior] | None]:
    """The named priors given for one key, validated for the role of that key (``None``: the
    key's default)."""
    parsed = parse_prior_key(key, key_path="priors")
    where = f"priors[{key!r}]"
    if isinstance(value, Prior) or (isinstance(value, Mapping) and "dist" in value):
        raise ArgumentTypeError(
            f"{where} must map alternative names to priors, e.g. "
            f"{{'name': {{'dist': 'half_normal', 'sigma': 1}}}}; got a single prior "
            f"({value}): give it a name"
        )
    if not isinstance(value, Mapping):
        raise ArgumentTypeError(
            f"{where} must map alternative names to priors; got {type(value).__name__}"
        )
    if not value:
        raise ArgumentError(f"{where} has no alternatives; give at least one named prior")
    options = {}
    for name, prior in value.items():
        if not isinstance(name, str) or not name:
            raise ArgumentTypeError(
                f"{where}: alternative names must be non-empty strings; got {name!r}"
            )
        path = f"priors.{key}.{name}"
        if prior is None:
            options[name] = None
        elif _is_formula_priors(parsed, prior):
            # the nested priors of a family parameter's formula: {"intercept": ..., "fixed": ...}
            options[name] = validate_prior_mapping(prior, key_path=path)
        else:
            options[name] = parse_prior(prior, role=parsed.role, key_path=path)
    return options


def _is_formula_priors(parsed: Any, prior: object) -> bool:
    """Whether ``prior`` is the nested priors mapping of a family parameter's formula
    (``{"intercept": ..., "fixed": ...}`` under ``zi``, ``sigma``, ``alpha``, ...)."""
    return (
        parsed.kind == "global"
        and parsed.role not in _MODEL_ROLES
        and isinstance(prior, Mapping)
        and "dist" not in prior
    )


def explicit_configurations(
    configurations: Sequence[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
) -> tuple[PriorConfiguration, ...]:
    """Configurations given one by one.

    Parameters
    ----------
    configurations
        A list of prior mappings (each labelled by its priors, e.g.
        ``"sigma=half_normal(sigma=1)"``; an empty mapping is the base model, ``"base priors"``)
        or a mapping from label to prior mapping.

    Examples
    --------
    >>> exponential = {"dist": "exponential", "rate": 1}
    >>> [c.label for c in explicit_configurations([{}, {"sigma": exponential}])]
    ['base priors', 'sigma=exponential(rate=1)']
    """
    if isinstance(configurations, Mapping):
        entries = [
            (label, mapping, f"configurations[{label!r}]")
            for label, mapping in configurations.items()
        ]
    elif isinstance(configurations, Sequence) and not isinstance(configurations, str | bytes):
        entries = [
            (None, mapping, f"configurations[{i}]") for i, mapping in enumerate(configurations)
        ]
    else:
        raise ArgumentTypeError(
            "configurations must be a list of prior mappings or a mapping from label to prior "
            f"mapping; got {type(configurations).__name__}"
        )
    if not entries:
        raise ArgumentError("configurations is empty; give at least one prior mapping")
    result = []
    for label, mapping, where in entries:
        if not isinstance(mapping, Mapping):
            raise ArgumentTypeError(
                f"{where} must be a prior mapping; got {type(mapping).__name__}"
            )
        if label is not None and (not isinstance(label, str) or not label):
            raise ArgumentTypeError(
                f"configuration labels must be non-empty strings; got {label!r}"
            )
        priors = _prior_mapping(mapping, where=where)
        text = ", ".join(f"{k}={describe_prior(p)}" for k, p in priors.items()) or BASE_LABEL
        result.append(PriorConfiguration(label or text, priors))
    _check_unique([configuration.label for configuration in result])
    return tuple(result)


def _check_unique(labels: list[str]) -> None:
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ArgumentError(
            f"configuration labels must be unique; repeated: {', '.join(map(repr, repeated))}"
        )
