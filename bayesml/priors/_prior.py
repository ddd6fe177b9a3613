"""The :class:`Prior` object and :func:`parse_prior`, which reads one from spec data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bayesml.errors import ArgumentError, PriorError
from bayesml.priors._constraints import ConstraintViolation, Value, format_value, show_value
from bayesml.priors._logpdf import prior_logpdf
from bayesml.priors._registry import (
    DIST_ALIASES,
    DISTRIBUTIONS,
    IMPROPER_LOG_FLAT,
    POSITIVE_ROLES,
    ROLE_DESCRIPTIONS,
    ROLES,
    DistSpec,
    canonical_name,
    dists_for_role,
    suggest,
)

__all__ = ["Prior", "parse_prior", "join_key"]

_EXAMPLE = "{dist: half_normal, sigma: 1}"
_PROPER_SD_PRIORS = "half_normal, half_cauchy, half_t or uniform (flat on σ from 0 to upper)"
_ROLE_HINTS = {
    ("weakly_informative", "intercept"): (
        "; weakly_informative is given under priors.fixed and then covers the intercept too"
    ),
}


def join_key(key_path: str | None, key: str) -> str:
    """``"priors.sd"`` + ``"sigma"`` -> ``"priors.sd.sigma"``; no prefix gives the key alone."""
    return f"{key_path}.{key}" if key_path else key


class Prior:
    """A prior distribution with its parameters: frozen, hashable, validated on construction.

    Parameters
    ----------
    dist
        Distribution name (see :data:`bayesml.priors.DISTRIBUTIONS`; ``half_student_t`` is an
        alias of ``half_t``). Case is ignored and ``-`` or a space reads as ``_``
        (``"Half-Normal"`` is ``half_normal``), and PyMC's names are understood (``"HalfNormal"``,
        ``"StudentT"``); the prior keeps the canonical name.
    **params
        Its parameters by name; optional ones take their defaults (``mu=0`` for normal,
        student_t and cauchy, ``eta=1`` for lkj, ``lower=0`` for uniform).

    Raises
    ------
    PriorError
        For an unknown distribution or parameter, a missing parameter or an invalid value,
        naming the parameter.

    Examples
    --------
    >>> prior = Prior("half_normal", sigma=1)
    >>> str(prior)
    'half_normal(sigma=1)'
    >>> prior.describe()
    'σ ~ half-normal(σ=1)'
    >>> prior.to_dict()
    {'dist': 'half_normal', 'sigma': 1}
    >>> Prior("normal", sigma=2.5)
    Prior('normal', mu=0, sigma=2.5)
    """

    __slots__ = ("_dist", "_params")

    def __init__(self, dist: str, /, **params: Any) -> None:
        spec, values = _validated(dist, params, key_path=None)
        object.__setattr__(self, "_dist", spec.name)
        object.__setattr__(self, "_params", values)

    @classmethod
    def _checked(cls, dist: str, params: Mapping[str, Any], key_path: str | None) -> Prior:
        """Build a prior whose errors carry ``key_path`` (the spec key holding the prior)."""
        spec, values = _validated(dist, params, key_path=key_path)
        prior = cls.__new__(cls)
        object.__setattr__(prior, "_dist", spec.name)
        object.__setattr__(prior, "_params", values)
        return prior

    @property
    def dist(self) -> str:
        """Canonical distribution name (aliases resolved)."""
        return self._dist

    @property
    def spec(self) -> DistSpec:
        """The registry entry of the distribution."""
        return DISTRIBUTIONS[self._dist]

    @property
    def params(self) -> dict[str, Value]:
        """A copy of the parameters, defaults included, in the registry's order."""
        return dict(self._params)

    def __getitem__(self, name: str) -> Value:
        return dict(self._params)[name]

    def to_dict(self) -> dict[str, Any]:
        """Plain data ``{"dist": ..., **params}`` (matrices as lists of lists); parse_prior reads it back."""
        data: dict[str, Any] = {"dist": self._dist}
        for name, value in self._params:
            data[name] = [list(row) for row in value] if isinstance(value, tuple) else value
        return data

    def logpdf(self, value: Any) -> Any:
        """Log density at ``value``, on the scale of the reported parameter (σ, not σ²).

        See :func:`bayesml.priors.prior_logpdf`, which this calls.

        Examples
        --------
        >>> Prior("normal", mu=0, sigma=1).logpdf(0.0).round(6)
        np.float64(-0.918939)
        """
        return prior_logpdf(self, value)

    def describe(self, symbol: str | None = None) -> str:
        """One-line human description, e.g. ``σ ~ half-normal(σ=1)``.

        Parameters
        ----------
        symbol
            Name of the variable (default: the distribution's usual symbol, ``σ``, ``β``, ``Σ``).
        """
        spec = self.spec
        name = symbol or spec.symbol
        lhs = f"{name}²" if spec.squared else name
        args = ", ".join(
            f"{param.symbol}={_describe_value(param.name, value)}"
            for param, (_, value) in zip(spec.params, self._params, strict=True)
        )
        body = f"{spec.title}({args})" if args else spec.title
        return f"{lhs} ~ {body}{spec.note}"

    def __str__(self) -> str:
        if not self._params:
            return self._dist
        args = ", ".join(f"{name}={format_value(value)}" for name, value in self._params)
        return f"{self._dist}({args})"

    def __repr__(self) -> str:
        args = "".join(f", {name}={value!r}" for name, value in self._params)
        return f"Prior({self._dist!r}{args})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Prior):
            return NotImplemented
        return (self._dist, self._params) == (other._dist, other._params)

    def __hash__(self) -> int:
        return hash((Prior, self._dist, self._params))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Prior is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Prior is immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple:
        return (_rebuild, (self._dist, self._params))


def _rebuild(dist: str, params: tuple[tuple[str, Value], ...]) -> Prior:
    """Unpickle a :class:`Prior`."""
    return Prior(dist, **dict(params))


def _describe_value(name: str, value: Value) -> str:
    if name == "scale" and not isinstance(value, tuple):
        return f"{format_value(value)}·I"
    return format_value(value)


def _validated(
    dist: object, params: Mapping[str, Any], *, key_path: str | None
) -> tuple[DistSpec, tuple[tuple[str, Value], ...]]:
    """The registry entry and canonical parameters, or a PriorError naming the culprit."""
    if not isinstance(dist, str):
        raise PriorError(
            f"expected a distribution name (a string), got {show_value(dist)}",
            join_key(key_path, "dist"),
        )
    key = canonical_name(dist)
    spec = DISTRIBUTIONS.get(key)
    if spec is None:
        names = sorted([*DISTRIBUTIONS, *DIST_ALIASES])
        raise PriorError(
            f"unknown prior distribution {dist!r}; valid: {', '.join(names)}{suggest(key, names)}",
            join_key(key_path, "dist"),
        )
    prefix = key_path if key_path is not None else spec.name
    accepted = ", ".join(spec.param_names) or "none"
    for name in params:
        if name not in spec.param_names:
            raise PriorError(
                f"unknown parameter {name!r} of {spec.name}; its parameters are: {accepted}"
                f"{suggest(str(name), spec.param_names)}",
                join_key(prefix, str(name)),
            )
    values = []
    for param in spec.params:
        if param.name not in params:
            if param.required:
                raise PriorError(
                    f"{spec.name} needs the parameter {param.name!r}; its parameters are: {accepted}",
                    key_path,
                )
            values.append((param.name, param.default))
            continue
        raw = params[param.name]
        try:
            values.append((param.name, param.constraint.convert(raw)))
        except ConstraintViolation as violation:
            detail = f" {violation}" if str(violation) else ""
            raise PriorError(
                f"expected {param.constraint.expected}, got {show_value(raw)}{detail}",
                join_key(prefix, param.name),
            ) from None
    return spec, tuple(values)


def check_role(dist: object, role: str, key_path: str | None) -> None:
    """Raise a PriorError unless ``dist`` names a distribution that may fill ``role``."""
    if not isinstance(dist, str):
        raise PriorError(
            f"expected a distribution name (a string), got {show_value(dist)}", key_path
        )
    valid = dists_for_role(role)
    name = canonical_name(dist)
    if name in valid:
        return
    if role in POSITIVE_ROLES and (name in IMPROPER_LOG_FLAT or name == "flat"):
        raise PriorError(_improper_message(dist, role), key_path)
    role_text = ROLE_DESCRIPTIONS[role]
    if name in DISTRIBUTIONS:
        problem = f"{dist!r} is not a prior for {role_text}"
    else:
        problem = f"unknown prior {dist!r} for {role_text}"
    hint = _ROLE_HINTS.get((name, role), "")
    raise PriorError(f"{problem}; valid: {', '.join(valid)}{suggest(name, valid)}{hint}", key_path)


def _improper_message(dist: str, role: str) -> str:
    if role == "sd":
        return (
            f"{dist!r} is an improper flat prior for an SD: a flat prior on log σ makes the "
            "posterior improper (the hierarchical variance case, Gelman 2006); "
            f"use a proper prior such as {_PROPER_SD_PRIORS}"
        )
    return (
        f"{dist!r} is an improper prior, which bayesml does not offer for {ROLE_DESCRIPTIONS[role]}; "
        f"use a proper prior such as {', '.join(dists_for_role(role))}"
    )


def parse_prior(value: object, *, role: str, key_path: str | None = None) -> Prior:
    """Read a prior from spec data and check that it may fill ``role``.

    Parameters
    ----------
    value
        A mapping with a ``dist`` key and the parameters (``{"dist": "half_normal", "sigma": 1}``),
        a :class:`Prior`, or the bare name of a distribution whose parameters all have defaults
        (``"weakly_informative"``, ``"flat"``, ``"lkj"``).
    role
        ``"sd"``, ``"sigma"``, ``"nu"``, ``"alpha"``, ``"kappa"``, ``"cov"``, ``"fixed"`` or
        ``"intercept"``.
    key_path
        Dotted path of ``value`` in the spec, e.g. ``"priors.sd"``, used in error messages.

    Returns
    -------
    Prior

    Raises
    ------
    PriorError
        For a value of the wrong type, a distribution that cannot fill ``role`` (listing those
        that can), a flat prior on log σ for an SD (improper posterior), or a bad parameter.

    Examples
    --------
    >>> parse_prior({"dist": "half_normal", "sigma": 2}, role="sd", key_path="priors.sd")
    Prior('half_normal', sigma=2)
    >>> parse_prior("weakly_informative", role="fixed")
    Prior('weakly_informative')
    """
    if role not in ROLES:
        raise ArgumentError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if isinstance(value, Prior):
        check_role(value.dist, role, key_path)
        return value
    if isinstance(value, str):
        check_role(value, role, key_path)
        return _from_name(value, key_path)
    if isinstance(value, Mapping):
        return _from_mapping(value, role, key_path)
    raise PriorError(
        f"expected a prior: a mapping with a 'dist' key such as {_EXAMPLE}, a Prior or the name "
        f"of a distribution without parameters; got {show_value(value)} ({type(value).__name__})",
        key_path,
    )


def _from_name(name: str, key_path: str | None) -> Prior:
    spec = DISTRIBUTIONS[canonical_name(name)]
    required = [param.name for param in spec.params if param.required]
    if required:
        example = ", ".join(f"{param}: ..." for param in required)
        raise PriorError(
            f"{name} needs the parameter(s) {', '.join(required)}; write it as a mapping, e.g. "
            f"{{dist: {name}, {example}}}",
            key_path,
        )
    return Prior._checked(name, {}, key_path)


def _from_mapping(value: Mapping, role: str, key_path: str | None) -> Prior:
    if "dist" not in value:
        keys = ", ".join(map(str, value)) or "none"
        raise PriorError(
            f"a prior needs a 'dist' key naming the distribution, e.g. {_EXAMPLE}; got keys: {keys}",
            key_path,
        )
    params = {}
    for key, param in value.items():
        if not isinstance(key, str):
            raise PriorError(f"parameter names must be strings, got {show_value(key)}", key_path)
        if key != "dist":
            params[key] = param
    check_role(value["dist"], role, join_key(key_path, "dist"))
    return Prior._checked(value["dist"], params, key_path)
