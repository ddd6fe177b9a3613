"""Which prior applies to which parameter of a design: :func:`resolve_priors` and its result.

For every parameter the most specific key wins: name and label (``sd_county[floor]``,
``beta[week]``) over name (``sd_county``, ``cov_county``) over the global key (``sd``, ``fixed``,
``intercept``, ``cov``, ``sigma``, ``nu``, ``alpha``, ``kappa``) over the family's default
(:mod:`bayesml.priors._defaults`). Keys that apply to nothing in the model are errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bayesml.errors import PriorError
from bayesml.families import family_parameters
from bayesml.priors._defaults import UNIT_SD, DefaultPriors, default_priors
from bayesml.priors._keys import PriorKey, parse_prior_key, validate_prior_mapping
from bayesml.priors._prior import Prior, join_key
from bayesml.priors._registry import VECTOR_NOTES, suggest
from bayesml.priors._scaling import (
    INTERCEPT_LABEL,
    WI_COEFFICIENT,
    WI_INTERCEPT,
    WeaklyInformativeScaling,
)

__all__ = ["ResolvedPriors", "resolve_priors"]

DEFAULT_SOURCE = "default"


@dataclass(frozen=True)
class ResolvedPriors:
    """The prior in force for every parameter of a model.

    Attributes
    ----------
    intercept
        Prior of the intercept, ``None`` without one. Under the weakly informative prior it is
        the prior of the intercept of the scaled model (the linear predictor at the inputs' means).
    fixed
        Prior of each non-intercept coefficient by label, on the original scale; a
        ``weakly_informative`` prior means Cauchy(0, 2.5) on the scaled input.
    weakly_informative
        The input scaling when the weakly informative prior is in force, else ``None``.
    sd
        Group name -> term label -> prior of that SD. Groups with an ``inverse_wishart``
        covariance prior are absent: their SDs follow from Σ.
    cov
        Group name -> ``lkj`` or ``inverse_wishart`` prior of a correlated term, ``None`` for an
        uncorrelated one.
    aux
        Prior of each auxiliary parameter of the family (``sigma``, ``nu``, ``alpha``, ``kappa``).
    sources
        Parameter (``beta[week]``, ``sd_county[floor]``, ``cov_county``, ``sigma``) -> where its
        prior came from: ``"default"`` or the key path (``"priors.sd_county[floor]"``).
    predictors
        Family parameter with a formula (``"zi"``, ``"sigma"``) -> the priors of that formula's
        coefficients (``beta_zi``) and random effects (``sd_zi_<group>``), resolved the same way
        from the nested mapping ``priors[<parameter>]`` with the ``unit_scale`` defaults.
    coefficient_name
        The posterior name of the coefficients (``"beta"``; ``"beta_zi"`` for a formula's).
    """

    intercept: Prior | None
    fixed: dict[str, Prior]
    weakly_informative: WeaklyInformativeScaling | None
    sd: dict[str, dict[str, Prior]]
    cov: dict[str, Prior | None]
    aux: dict[str, Prior]
    sources: dict[str, str]
    predictors: dict[str, ResolvedPriors] = field(default_factory=dict)
    coefficient_name: str = "beta"

    def describe(self) -> str:
        """Every prior in force, one line per parameter with its source.

        Example line: ``sd_county[Intercept]   half_normal(sigma=1)   (priors.sd)``.
        """
        rows = [(name, self._text(name), source) for name, source in self.sources.items()]
        for predictor in self.predictors.values():
            rows += [
                (name, predictor._text(name), source) for name, source in predictor.sources.items()
            ]
        name_width = max((len(row[0]) for row in rows), default=0)
        text_width = max((len(row[1]) for row in rows), default=0)
        return "\n".join(
            f"{name:<{name_width}}   {text:<{text_width}}   ({source})"
            for name, text, source in rows
        )

    def _text(self, parameter: str) -> str:
        """The prior of one parameter as printed by :meth:`describe`."""
        name, _, label = parameter.partition("[")
        label = label[:-1]
        scaling = self.weakly_informative
        if name == self.coefficient_name:
            name = "beta"
        if name == "beta" and label == INTERCEPT_LABEL:
            suffix = " on the intercept of the scaled inputs" if scaling is not None else ""
            return f"{self.intercept}{suffix}"
        if name == "beta":
            prior = self.fixed[label]
            if prior.dist == "weakly_informative" and scaling is not None:
                return f"{WI_COEFFICIENT} on the scaled input ({scaling.describe_column(label)})"
            return str(prior)
        if name.startswith("cov_"):
            return str(self.cov[name[4:]])
        if name.startswith("sd_") and label:
            return str(self.sd[name[3:]][label])
        if name.startswith("sd_") and name[3:] in self.sd:  # a smooth's one SD
            return f"{next(iter(self.sd[name[3:]].values()))} (one SD for the smooth)"
        return f"{self.aux[parameter]}{VECTOR_NOTES.get(parameter, '')}"


@dataclass(frozen=True)
class _Keys:
    """The keys of a priors mapping, indexed by what they target."""

    globals: dict[str, tuple[PriorKey, Prior]]
    sd: dict[tuple[str, str | None], tuple[PriorKey, Prior]]
    cov: dict[str, tuple[PriorKey, Prior]]
    beta: dict[str, tuple[PriorKey, Prior]]

    @classmethod
    def index(cls, priors: Mapping[str, Prior], key_path: str) -> _Keys:
        keys = cls({}, {}, {}, {})
        for text, prior in priors.items():
            key = parse_prior_key(text, key_path)
            entry = (key, prior)
            if key.kind == "global":
                keys.globals[key.role] = entry
            elif key.kind == "sd":
                keys.sd[(key.group, key.label)] = entry
            elif key.kind == "cov":
                keys.cov[key.group] = entry
            else:
                keys.beta[key.label] = entry
        return keys


class _Resolver:
    """Resolves the priors of one design; each step fills part of the result."""

    def __init__(self, keys: _Keys, design: Any, family: Any, key_path: str) -> None:
        self.keys = keys
        self.design = design
        self.family = family
        self.key_path = key_path
        self.defaults: DefaultPriors = default_priors(design, family)
        self.sources: dict[str, str] = {}
        self.blocks = {block.name: block for block in design.random}
        labels = tuple(design.fixed.column_names)
        self.has_intercept = bool(design.fixed.has_intercept)
        self.coefficients = tuple(
            label for label in labels if not (self.has_intercept and label == INTERCEPT_LABEL)
        )
        self.all_coefficients = labels

    def path(self, key: PriorKey) -> str:
        return join_key(self.key_path, key.text)

    def choose(
        self, parameter: str, candidates: list, default: Prior, default_source: str
    ) -> Prior:
        """The first of ``candidates`` (key entries or None) that is set, else the default."""
        for entry in candidates:
            if entry is not None:
                key, prior = entry
                self.sources[parameter] = self.path(key)
                return prior
        self.sources[parameter] = default_source
        return default

    # -- fixed effects -------------------------------------------------------------------
    def coefficients_priors(
        self,
    ) -> tuple[Prior | None, dict[str, Prior], WeaklyInformativeScaling | None]:
        """Intercept prior, coefficient priors and the scaling of the weakly informative prior."""
        fixed_entry = self.keys.globals.get("fixed")
        if fixed_entry is not None:
            weakly = fixed_entry[1].dist == "weakly_informative"
            weak_source = self.path(fixed_entry[0])
        else:
            weakly = self.defaults.weakly_informative
            weak_source = DEFAULT_SOURCE
        intercept = None
        if self.has_intercept:
            default = WI_INTERCEPT if weakly else self.defaults.intercept
            intercept = self.choose(
                f"beta[{INTERCEPT_LABEL}]",
                [self.keys.beta.get(INTERCEPT_LABEL), self.keys.globals.get("intercept")],
                default,
                weak_source if weakly else DEFAULT_SOURCE,
            )
        fixed = {
            label: self.choose(
                f"beta[{label}]",
                [self.keys.beta.get(label), fixed_entry],
                self.defaults.fixed[label],
                DEFAULT_SOURCE,
            )
            for label in self.coefficients
        }
        scaling = None
        if weakly:
            scaling = WeaklyInformativeScaling.from_matrix(
                self.design.fixed.matrix, self.all_coefficients, has_intercept=self.has_intercept
            )
        return intercept, fixed, scaling

    # -- random effects ------------------------------------------------------------------
    def random_priors(self) -> tuple[dict[str, dict[str, Prior]], dict[str, Prior | None]]:
        """SD priors by group and term, and the covariance prior of each group."""
        sd: dict[str, dict[str, Prior]] = {}
        cov: dict[str, Prior | None] = {}
        for name, block in self.blocks.items():
            cov[name] = self.cov_prior(block) if block.correlated else None
            if cov[name] is not None and cov[name].dist == "inverse_wishart":
                self.refuse_sd_keys(block)
                continue
            cov_source = self.sources.pop(f"cov_{name}", None)
            if getattr(block, "shared_sd", False):  # a smooth's one SD (design/smooths.py)
                shared = self.choose(
                    f"sd_{name}",
                    [self.keys.sd.get((name, None)), self.keys.globals.get("sd")],
                    _default_sd(block, self.defaults),
                    DEFAULT_SOURCE,
                )
                sd[name] = dict.fromkeys(block.term_labels, shared)
                continue
            sd[name] = {
                label: self.choose(
                    f"sd_{name}[{label}]",
                    [
                        self.keys.sd.get((name, label)),
                        self.keys.sd.get((name, None)),
                        self.keys.globals.get("sd"),
                    ],
                    _default_sd(block, self.defaults),
                    DEFAULT_SOURCE,
                )
                for label in block.term_labels
            }
            if cov_source is not None:  # list the covariance after the SDs
                self.sources[f"cov_{name}"] = cov_source
        return sd, cov

    def cov_prior(self, block: Any) -> Prior:
        """The covariance prior of a correlated group, checked against its number of terms."""
        parameter = f"cov_{block.name}"
        prior = self.choose(
            parameter,
            [self.keys.cov.get(block.name), self.keys.globals.get("cov")],
            self.defaults.cov,
            DEFAULT_SOURCE,
        )
        if prior.dist == "inverse_wishart":
            _check_inverse_wishart(prior, block, self.sources[parameter])
        return prior

    def refuse_sd_keys(self, block: Any) -> None:
        """No SD key may name a group whose SDs follow from an inverse-Wishart prior."""
        for (group, _), (key, _) in self.keys.sd.items():
            if group == block.name:
                raise PriorError(
                    f"the SDs of group {block.name!r} follow from its inverse_wishart prior "
                    f"({self.sources[f'cov_{block.name}']}); remove this key or use an lkj prior "
                    "on the correlations, which lets the SDs take their own priors",
                    self.path(key),
                )

    # -- auxiliary parameters ------------------------------------------------------------
    def aux_priors(self) -> dict[str, Prior]:
        """The prior of each auxiliary parameter of the family."""
        aux = {}
        for param in self.family.aux_params:
            default = self.defaults.aux.get(param.name)
            entry = self.keys.globals.get(param.name)
            if entry is None and default is None:
                raise PriorError(
                    f"bayesml has no default prior for the auxiliary parameter {param.name!r} "
                    f"of the {self.family.name} family",
                    self.key_path,
                )
            aux[param.name] = self.choose(param.name, [entry], default, DEFAULT_SOURCE)
        return aux


def resolve_priors(
    mapping: Mapping[str, Any] | None, design: Any, family: Any, *, key_path: str = "priors"
) -> ResolvedPriors:
    """The prior in force for every parameter of a model, with where it came from.

    Parameters
    ----------
    mapping
        The priors mapping of the spec (spec data or :class:`Prior` values; see
        :func:`validate_prior_mapping`); ``None`` means every prior takes its default.
    design
        A ``ModelDesign``: ``response.y``, ``fixed.matrix``, ``fixed.column_names``,
        ``fixed.has_intercept`` and ``random`` blocks (``name``, ``term_labels``, ``correlated``).
    family
        A ``Family``: ``name``, ``link.name`` and ``aux_params`` (each with a ``name``).
    key_path
        Path of the mapping in the spec, for messages and sources.

    Returns
    -------
    ResolvedPriors

    Raises
    ------
    PriorError
        For a key that matches nothing in the model (listing the valid names or labels), a
        covariance prior on an uncorrelated term, SD keys of a group whose covariance is
        inverse-Wishart, or an inverse-Wishart whose ``nu`` or ``scale`` does not fit the
        number of terms.
    """
    priors = validate_prior_mapping(mapping, key_path)
    predictors = dict(getattr(design, "predictors", None) or {})
    nested = _split_formula_priors(priors, predictors, key_path)
    priors = {key: value for key, value in priors.items() if key not in nested}
    family = _without_parameters(family, predictors)
    keys = _Keys.index(priors, key_path)
    resolver = _Resolver(keys, design, family, key_path)
    _check_targets(resolver)
    intercept, fixed, scaling = resolver.coefficients_priors()
    sd, cov = resolver.random_priors()
    aux = resolver.aux_priors()
    _check_globals_apply(resolver, sd, scaling)
    return ResolvedPriors(
        intercept=intercept,
        fixed=fixed,
        weakly_informative=scaling,
        sd=sd,
        cov=cov,
        aux=aux,
        sources=resolver.sources,
        predictors={
            name: _resolve_formula(nested.get(name, {}), predictor, design, key_path)
            for name, predictor in predictors.items()
        },
    )


def _split_formula_priors(
    priors: Mapping[str, Any], predictors: Mapping[str, Any], key_path: str
) -> dict[str, Mapping[str, Prior]]:
    """The nested priors mappings of the parameters with formulas, checked against them."""
    nested = {key: value for key, value in priors.items() if isinstance(value, Mapping)}
    for key in nested:
        if key not in predictors:
            raise PriorError(
                f"{key} has no formula in this model, so it takes one prior (a mapping with "
                "'dist'), not the priors of a formula",
                join_key(key_path, key),
            )
    for name, predictor in predictors.items():
        if name in priors and name not in nested:
            raise PriorError(
                f"{name} has a formula ({predictor.formula}), so its priors are those of the "
                f"formula's terms, given as a mapping: {{'{name}': {{'intercept': ..., 'fixed': "
                "..., 'sd': ...}}",
                join_key(key_path, name),
            )
    return nested


@dataclass(frozen=True)
class _FormulaTarget:
    """What the priors layer needs of the linear predictor of a family parameter."""

    name: str
    parameters: tuple = ()
    aux_params: tuple = ()
    default_prior_rule: str = "unit_scale"

    @staticmethod
    def prior_response(y: Any) -> Any:
        return y


@dataclass(frozen=True)
class _FormulaDesign:
    """A formula's fixed effects and random blocks, on the model's response."""

    response: Any
    fixed: Any
    random: tuple


def _resolve_formula(
    mapping: Mapping[str, Prior], predictor: Any, design: Any, key_path: str
) -> ResolvedPriors:
    """The priors of one family parameter's formula (``unit_scale`` defaults, as brms' flat-ish
    defaults on the link scale)."""
    name = predictor.parameter
    view = _FormulaDesign(design.response, predictor.fixed, tuple(predictor.random))
    target = _FormulaTarget(f"{name} formula")
    resolved = resolve_priors(mapping, view, target, key_path=join_key(key_path, name))
    coefficient_name = f"beta_{name}"
    sources = {
        (coefficient_name + key[4:] if key.startswith("beta[") else key): source
        for key, source in resolved.sources.items()
    }
    return replace(resolved, sources=sources, coefficient_name=coefficient_name)


def _without_parameters(family: Any, modelled: Mapping[str, Any]) -> Any:
    """The family as the priors layer sees it when some parameters have formulas: without them."""
    if not modelled:
        return family
    kept = tuple(param for param in family.parameters if param.name not in modelled)
    return _FamilyView(family, kept)


class _FamilyView:
    """A family whose ``parameters`` leave out those with formulas (everything else delegated)."""

    def __init__(self, family: Any, parameters: tuple) -> None:
        self._family = family
        self.parameters = parameters
        self.aux_params = parameters

    def __getattr__(self, name: str) -> Any:
        return getattr(self._family, name)


def _check_targets(resolver: _Resolver) -> None:
    """Every override key names a group, term or coefficient of the model."""
    keys = resolver.keys
    for (group, label), (key, _) in keys.sd.items():
        block = _block_or_raise(resolver, key, group)
        if label is not None and getattr(block, "shared_sd", False):
            raise PriorError(
                f"the penalised coefficients of the smooth {group!r} share one SD; set its prior "
                f"with sd_{group} (without [{label}])",
                resolver.path(key),
            )
        if label is not None and label not in block.term_labels:
            raise PriorError(
                f"group {group!r} has no term {label!r}; its terms: {', '.join(block.term_labels)}"
                f"{suggest(label, block.term_labels)}",
                resolver.path(key),
            )
    for group, (key, _) in keys.cov.items():
        block = _block_or_raise(resolver, key, group)
        if not block.correlated:
            raise PriorError(
                f"group {group!r} has no correlated terms (a single term, or terms separated "
                "with ||), so a covariance prior does not apply; its SDs take priors from "
                f"sd_{group} or sd",
                resolver.path(key),
            )
    labels = resolver.all_coefficients
    for label, (key, _) in keys.beta.items():
        if label not in labels:
            raise PriorError(
                f"{_subject(resolver)} has no coefficient {label!r}; its coefficients: "
                f"{', '.join(labels) or 'none'}{suggest(label, labels)}",
                resolver.path(key),
            )


def _block_or_raise(resolver: _Resolver, key: PriorKey, group: str) -> Any:
    block = resolver.blocks.get(group)
    if block is None:
        names = tuple(resolver.blocks)
        have = f"its groups: {', '.join(names)}" if names else "it has no random effects"
        close = suggest(group, names)
        raise PriorError(
            f"{_subject(resolver)} has no grouping factor {group!r}; {have}{close}",
            resolver.path(key),
        )
    return block


def _subject(resolver: _Resolver) -> str:
    """What the priors being resolved belong to: ``"the model"``, or ``"the zi formula"`` for
    the nested priors of a family parameter's formula."""
    target = resolver.family
    return f"the {target.name}" if isinstance(target, _FormulaTarget) else "the model"


def _check_inverse_wishart(prior: Prior, block: Any, path: str) -> None:
    """ν > p − 1 and a p × p scale for the p terms of the group."""
    p = len(block.term_labels)
    terms = f"the p = {p} terms of group {block.name!r} ({', '.join(block.term_labels)})"
    nu = prior["nu"]
    if nu <= p - 1:
        raise PriorError(
            f"inverse_wishart needs nu > p - 1 = {p - 1} for {terms}, got {nu}", f"{path}.nu"
        )
    scale = prior["scale"]
    if isinstance(scale, tuple) and len(scale) != p:
        raise PriorError(
            f"expected a {p}×{p} scale matrix for {terms}, got {len(scale)}×{len(scale)}",
            f"{path}.scale",
        )


def _check_globals_apply(
    resolver: _Resolver, sd: dict, scaling: WeaklyInformativeScaling | None
) -> None:
    """Each global key applies to at least one parameter of the model."""
    reasons = {
        "intercept": None if resolver.has_intercept else _no_intercept_reason(resolver),
        "fixed": None
        if resolver.coefficients or (scaling is not None and resolver.has_intercept)
        else "the model has no fixed-effect coefficients besides the intercept "
        f"(whose prior goes under {join_key(resolver.key_path, 'intercept')})",
        "sd": None if sd else _no_sd_reason(resolver),
        "cov": None
        if any(block.correlated for block in resolver.blocks.values())
        else "the model has no correlated random-effect terms (such as (1 + x | g))",
    }
    aux_names = tuple(param.name for param in resolver.family.aux_params)
    for role, (key, _) in resolver.keys.globals.items():
        if role in reasons:
            reason = reasons[role]
        elif role not in aux_names:
            owners = family_parameters().get(role, ())
            reason = (
                f"the {resolver.family.name} family has no {role!r} parameter; its auxiliary "
                f"parameters: {', '.join(aux_names) or 'none'}"
                + (f" ({role!r} is a parameter of {', '.join(owners)})" if owners else "")
            )
        else:
            reason = None
        if reason is not None:
            raise PriorError(
                f"{reason}, so this prior applies to nothing; remove the key (a key set to None "
                f"is removed: spec.replace(priors={{**spec.priors, {role!r}: None}}))",
                resolver.path(key),
            )


def _no_intercept_reason(resolver: _Resolver) -> str:
    family = resolver.family
    if getattr(family, "absorbs_intercept", False):
        vectors = [param.name for param in family.aux_params if param.shape]
        where = join_key(resolver.key_path, vectors[0]) if vectors else "its own key"
        return (
            f"the {family.name} family has no intercept: its thresholds take the intercept's place "
            f"(their prior goes under {where})"
        )
    return "the model has no intercept (its formula removes it with 0 or -1)"


def _no_sd_reason(resolver: _Resolver) -> str:
    if not resolver.blocks:
        return "the model has no random effects"
    return f"every group's SDs follow from its inverse_wishart prior ({', '.join(resolver.blocks)})"


def _default_sd(block: Any, defaults: DefaultPriors) -> Prior:
    """The family's default SD prior; for non-gaussian random effects (gamma, beta,
    inverse-gamma: ``sd`` = √λ, λ the dispersion of a dimensionless u) the unit-scale
    half_t(nu=3, sigma=2.5) whatever the response's scale."""
    family = getattr(block, "random_family", None)
    if family is not None and not family.is_gaussian:
        return UNIT_SD
    return defaults.sd
