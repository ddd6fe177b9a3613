"""ModelSpec: the immutable description of a model, with its dict and YAML forms."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field, fields
from pathlib import Path
from typing import Any

from bayesml.errors import SpecError
from bayesml.families import DEFAULT_FAMILY
from bayesml.spec._checks import check_known_keys, describe_value, join_key
from bayesml.spec._fields import validate_fields
from bayesml.spec._frozen import FrozenMapping, freeze, thaw
from bayesml.spec._yaml import dump_yaml, parse_yaml

__all__ = ["ModelSpec", "load_spec", "SPEC_KEYS"]

#: keys of a spec dict / YAML file, in the order ``to_dict`` writes them
SPEC_KEYS = (
    "name",
    "description",
    "data",
    "formula",
    "formulas",
    "family",
    "random_family",
    "link",
    "success",
    "levels",
    "weights",
    "priors",
    "options",
)


@dataclass(frozen=True)
class ModelSpec:
    """Immutable description of a model: formula, family, priors, data and options.

    Every field is validated on construction (also by :meth:`replace`); nested mappings are
    deep-frozen, so a spec is hashable and can be shared safely.

    Parameters
    ----------
    formula
        lme4-style formula, e.g. ``"weight ~ day + (1 + day | rat)"``.
    formulas
        One-sided formulas of family parameters, by parameter: ``{"zi": "~ spp + mined"}``,
        ``{"hu": ...}``, ``{"dispersion": "~ x2 + x3"}`` (the family's dispersion parameter:
        ``sigma``, ``alpha`` or ``kappa``); random terms allowed.
    family, link
        Response family (default ``"gaussian"``) and link (the family's default when None).
    random_family
        Distribution of the random effects: a name (``"gamma"``, ``"beta"``,
        ``"inverse_gamma(log)"``) for every term, or a mapping from grouping factor to name;
        gaussian when None.
    priors
        Prior mapping (plain data such as ``{"sd": {"dist": "half_normal", "sigma": 1}}`` or
        ``Prior`` objects), validated by :func:`bayesml.priors.validate_prior_mapping`.
    data
        Name of a bundled data set or path of a CSV file (relative to ``base_dir``).
    success
        Level of a two-level response that counts as success.
    levels
        The levels of an ordinal response (family ``cumulative``, ``sratio``, ``acat``), lowest
        first, e.g. ``["low", "mid", "high"]``; not needed for an ordered categorical or integers.
    weights
        Column of prior weights (or of trials for an ``r/n`` binomial response).
    options
        ``missing`` (raise | drop), ``reference_levels`` ({column: level}), ``probit``
        (marginal | latent), ``random_effects`` (auto | sampled | integrated),
        ``parameterization`` (auto | centered | noncentered, or {group: choice}), ``sampler`` (pymc | nutpie | numpyro), ``draws``, ``tune``,
        ``chains``, ``seed`` or ``random_seed``.
    description, name
        Free text, and a short name.
    base_dir
        Directory that a relative ``data`` path resolves against (the spec file's directory);
        not part of the dict or YAML form.

    Raises
    ------
    SpecError
        Naming the key path of the first invalid entry.

    Examples
    --------
    >>> spec = ModelSpec("Reaction ~ Days + (Days | Subject)", data="sleepstudy")
    >>> spec.family
    'gaussian'
    >>> spec.replace(family="student_t").family
    'student_t'
    """

    formula: str
    _: KW_ONLY
    family: str = DEFAULT_FAMILY
    link: str | None = None
    formulas: Mapping[str, str] = field(default_factory=FrozenMapping)
    random_family: Any = None
    priors: Mapping[str, Any] = field(default_factory=FrozenMapping)
    data: str | None = None
    success: Any = None
    levels: tuple[Any, ...] | None = None
    weights: str | None = None
    options: Mapping[str, Any] = field(default_factory=FrozenMapping)
    description: str | None = None
    name: str | None = None
    base_dir: Path | None = None

    def __post_init__(self) -> None:
        priors = FrozenMapping() if self.priors is None else self.priors
        if isinstance(priors, Mapping):
            # a key set to None is no prior at all: the parameter takes its default
            priors = {key: value for key, value in priors.items() if value is not None}
        options = FrozenMapping() if self.options is None else self.options
        formulas = FrozenMapping() if self.formulas is None else self.formulas
        if isinstance(formulas, Mapping):
            formulas = {key: value for key, value in formulas.items() if value is not None}
        data = os.fspath(self.data) if isinstance(self.data, os.PathLike) else self.data
        validate_fields(
            formula=self.formula,
            formulas=formulas,
            random_family=self.random_family,
            family=self.family,
            link=self.link,
            priors=priors,
            data=data,
            success=self.success,
            levels=self.levels,
            weights=self.weights,
            options=options,
            description=self.description,
            name=self.name,
        )
        object.__setattr__(self, "priors", freeze(priors))
        object.__setattr__(self, "options", freeze(options))
        object.__setattr__(self, "formulas", freeze(formulas))
        object.__setattr__(self, "random_family", freeze(self.random_family))
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "levels", freeze(self.levels))
        if self.base_dir is not None:
            object.__setattr__(self, "base_dir", Path(self.base_dir))

    def replace(self, **changes: Any) -> ModelSpec:
        """A copy with some fields changed, validated again.

        In ``priors``, a key set to ``None`` is removed (that parameter takes its default), so
        ``spec.replace(priors={**spec.priors, "sd": None})`` drops the ``sd`` prior.

        Examples
        --------
        >>> spec = ModelSpec("y ~ week + (1 | ID)", family="binomial", data="bacteria")
        >>> spec.replace(priors={"sd": {"dist": "half_normal", "sigma": 2}}).priors["sd"]["sigma"]
        2
        """
        check_known_keys(changes, [f.name for f in fields(self)], None, what="spec field")
        return dataclasses.replace(self, **changes)

    def with_options(self, **changes: Any) -> ModelSpec:
        """A copy whose ``options`` are updated with ``changes`` (a None value removes a key)."""
        options = {**self.options, **changes}
        return self.replace(options={k: v for k, v in options.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (dicts, lists, scalars), ready for YAML.

        ``formula`` and ``family`` are always present; other keys only when set. ``Prior``
        objects are written with their ``to_dict()``. ``base_dir`` is not included.
        """
        result: dict[str, Any] = {}
        for key in SPEC_KEYS:
            value = getattr(self, key)
            if key in ("formula", "family") or (value is not None and value != {}):
                result[key] = thaw(value)
        return result

    @classmethod
    def from_dict(
        cls, d: Mapping[str, Any], key_path: str = "", *, base_dir: str | Path | None = None
    ) -> ModelSpec:
        """Build a spec from plain data (a parsed YAML file, or a dict written by hand).

        Parameters
        ----------
        d
            Mapping with the keys of :data:`SPEC_KEYS`; ``formula`` is required.
        key_path
            Where ``d`` sits in a larger document; prefixed to the key path of every error.
        base_dir
            Directory for relative ``data`` paths.

        Raises
        ------
        SpecError
            For a non-mapping, an unknown key (with a suggestion), a missing formula or any
            invalid value, naming its key path.
        """
        if not isinstance(d, Mapping):
            raise SpecError(
                f"a spec must be a mapping of keys such as formula and family, got "
                f"{describe_value(d)}",
                key_path or None,
            )
        check_known_keys(d, SPEC_KEYS, key_path, what="key")
        if "formula" not in d:
            raise SpecError(
                "missing; every spec needs a formula, e.g. 'y ~ x + (1 | group)'",
                join_key(key_path, "formula"),
            )
        try:
            return cls(**d, base_dir=base_dir)
        except SpecError as error:
            if not key_path:
                raise
            longer = join_key(key_path, error.key_path) if error.key_path else key_path
            raise _copy_error(
                error, message=f"{longer}: {error.reason}", key_path=longer
            ) from error

    def to_yaml(self) -> str:
        """The spec as a YAML document (see :meth:`to_dict`)."""
        return dump_yaml(self.to_dict())

    @classmethod
    def from_yaml(
        cls, text: str, *, base_dir: str | Path | None = None, source: str | None = None
    ) -> ModelSpec:
        """Build a spec from YAML text (read with ``yaml.safe_load``).

        Parameters
        ----------
        text
            The YAML document.
        base_dir
            Directory for relative ``data`` paths.
        source
            File name used in messages about YAML syntax errors.
        """
        return cls.from_dict(parse_yaml(text, source=source), base_dir=base_dir)


def load_spec(path: str | Path) -> ModelSpec:
    """Read a YAML spec file.

    A relative ``data`` path in the file resolves against the file's directory, which becomes
    the spec's ``base_dir``.

    Parameters
    ----------
    path
        The ``.yaml`` file.

    Raises
    ------
    SpecError
        If the file cannot be read, is not valid YAML (the message gives the file, line and
        column) or describes an invalid spec (the message starts with the file name).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise SpecError(f"spec file not found: {path}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise SpecError(f"cannot read spec file {path}: {error}") from error
    try:
        return ModelSpec.from_yaml(text, base_dir=path.resolve().parent, source=str(path))
    except SpecError as error:
        if str(error).startswith(str(path)):
            raise
        raise _copy_error(error, message=f"{path}: {error}") from error


def _copy_error(error: SpecError, *, message: str, key_path: str | None = None) -> SpecError:
    """A copy of ``error`` (same class and attributes) with a new message and key path."""
    copied = type(error).__new__(type(error))
    copied.__dict__.update(error.__dict__)
    if key_path is not None:
        copied.key_path = key_path
    copied.args = (message,)
    return copied
