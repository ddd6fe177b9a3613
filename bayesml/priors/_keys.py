"""The keys of a priors mapping, and :func:`validate_prior_mapping`, which checks them without data.

Global keys set the prior of every parameter of a kind; override keys name one posterior variable
(``sd_county``, ``cov_county``) or one of its labels (``sd_county[floor]``, ``beta[week]``). A label
may hold brackets itself (``beta[extract[Cucumber]]``): the key splits at its first ``[`` and the
label runs to the final ``]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from bayesml.errors import PriorError
from bayesml.priors._constraints import show_value
from bayesml.priors._prior import Prior, join_key, parse_prior
from bayesml.priors._registry import AUX_ROLES, suggest

#: the global keys of family parameters that may hold the nested priors of a formula
FORMULA_ROLES = ("sigma", *AUX_ROLES)

__all__ = ["GLOBAL_KEYS", "PriorKey", "parse_prior_key", "validate_prior_mapping"]

#: global key -> role of the prior it holds
GLOBAL_KEYS: Mapping[str, str] = MappingProxyType(
    {"intercept": "intercept", "fixed": "fixed", "sd": "sd", "cov": "cov", "sigma": "sigma"}
    | {name: name for name in AUX_ROLES}
)

_KEY_FORMS = (
    f"global keys {', '.join(GLOBAL_KEYS)}; overrides sd_<group>, sd_<group>[<term>], "
    "cov_<group>, beta[<coefficient>]"
)

KeyKind = Literal["global", "sd", "cov", "beta"]


@dataclass(frozen=True)
class PriorKey:
    """A parsed key of a priors mapping.

    Attributes
    ----------
    text
        The key as written (``"sd_county[floor]"``).
    kind
        ``"global"``, ``"sd"`` (``sd_<group>``), ``"cov"`` (``cov_<group>``) or ``"beta"``.
    role
        Role of the prior it holds (``"sd"``, ``"fixed"``, ...).
    group
        Grouping factor of an ``sd_``/``cov_`` key.
    label
        Term or coefficient label inside the brackets, if any.
    """

    text: str
    kind: KeyKind
    role: str
    group: str | None = None
    label: str | None = None

    @property
    def specificity(self) -> int:
        """0 for a global key, 1 for a posterior name, 2 for a name with a label."""
        if self.kind == "global":
            return 0
        return 2 if self.label is not None else 1


def parse_prior_key(key: object, key_path: str = "priors") -> PriorKey:
    """Parse one key of a priors mapping.

    Parameters
    ----------
    key
        ``"sd"``, ``"sd_county"``, ``"sd_county[floor]"``, ``"cov_county"``, ``"beta[week]"``, ...
    key_path
        Path of the priors mapping, for messages.

    Raises
    ------
    PriorError
        For a key of none of the accepted forms, listing them.
    """
    if not isinstance(key, str):
        raise PriorError(f"prior keys must be strings, got {show_value(key)}", key_path)
    path = join_key(key_path, key)
    name, label = _split_label(key, path)
    if label is None and name in GLOBAL_KEYS:
        return PriorKey(key, "global", GLOBAL_KEYS[name])
    if name == "beta" and label is not None:
        return PriorKey(key, "beta", "intercept" if label == "Intercept" else "fixed", label=label)
    for prefix, kind in (("sd_", "sd"), ("cov_", "cov")):
        if name.startswith(prefix) and len(name) > len(prefix):
            if kind == "cov" and label is not None:
                raise PriorError(
                    f"{name} takes no [label]: a covariance prior covers all the terms of a group",
                    path,
                )
            return PriorKey(key, kind, kind, group=name[len(prefix) :], label=label)
    if name in GLOBAL_KEYS:
        raise PriorError(f"the global key {name!r} takes no [label]; accepted: {_KEY_FORMS}", path)
    raise PriorError(
        f"unknown prior key {key!r}; accepted: {_KEY_FORMS}{suggest(name, tuple(GLOBAL_KEYS))}",
        path,
    )


def _split_label(key: str, path: str) -> tuple[str, str | None]:
    """``"beta[extract[Cucumber]]"`` -> ``("beta", "extract[Cucumber]")``; no bracket -> label None."""
    if "[" not in key:
        return key, None
    name, rest = key.split("[", 1)
    if not rest.endswith("]") or len(rest) == 1:
        raise PriorError(
            "a label goes in brackets at the end of the key, e.g. sd_county[floor] or beta[week]; "
            f"got {key!r}",
            path,
        )
    return name, rest[:-1]


def _is_formula_priors(parsed: PriorKey, value: object) -> bool:
    """Whether ``value`` is the nested priors mapping of a family parameter's formula."""
    return (
        parsed.kind == "global"
        and parsed.role in FORMULA_ROLES
        and isinstance(value, Mapping)
        and "dist" not in value
    )


def validate_prior_mapping(
    mapping: Mapping[str, object] | None, key_path: str = "priors"
) -> Mapping[str, Prior]:
    """Check every key and prior of a priors mapping, without data.

    Parameters
    ----------
    mapping
        ``{key: prior}`` where each prior is spec data or a :class:`Prior`; ``None`` is empty.
    key_path
        Path of the mapping in the spec, for messages.

    Returns
    -------
    Mapping[str, Prior]
        A read-only mapping with the same keys and :class:`Prior` values — except the key of a
        family parameter that has a formula (``zi``, ``sigma``, ...), whose value may be a nested
        priors mapping of that formula (``{"intercept": ..., "fixed": ..., "sd_site": ...}``),
        validated the same way.

    Raises
    ------
    PriorError
        For a malformed key or prior, or ``weakly_informative`` on one coefficient.

    Examples
    --------
    >>> priors = validate_prior_mapping({"sd_county[floor]": {"dist": "half_normal", "sigma": 1}})
    >>> str(priors["sd_county[floor]"])
    'half_normal(sigma=1)'
    """
    if mapping is None:
        return MappingProxyType({})
    if not isinstance(mapping, Mapping):
        raise PriorError(
            f"expected a mapping of prior keys to priors, got {show_value(mapping)} "
            f"({type(mapping).__name__})",
            key_path,
        )
    priors: dict[str, Prior | Mapping[str, Prior]] = {}
    for key, value in mapping.items():
        parsed = parse_prior_key(key, key_path)
        path = join_key(key_path, key)
        if _is_formula_priors(parsed, value):
            # the priors of a formula for a family parameter: {"zi": {"intercept": ..., ...}}
            priors[key] = validate_prior_mapping(value, key_path=path)
            continue
        prior = parse_prior(value, role=parsed.role, key_path=path)
        if parsed.kind == "beta" and prior.dist == "weakly_informative":
            raise PriorError(
                "weakly_informative rescales all the inputs at once, so it goes under "
                f"{join_key(key_path, 'fixed')}, not on one coefficient",
                path,
            )
        priors[key] = prior
    return MappingProxyType(priors)
