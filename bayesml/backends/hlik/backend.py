"""The h-likelihood backend object (``method="hlik"``), registered in
:mod:`bayesml.backends.registry`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from bayesml.backends.hlik.api import fit_hlik
from bayesml.backends.hlik.fit import check_options
from bayesml.backends.hlik.options import DispersionOption, RandomFamilySpec, check_dispersion
from bayesml.backends.hlik.result import HlikResult
from bayesml.backends.hlik.rows import DESCRIPTION, MEAN_FAMILIES
from bayesml.backends.seam import BackendBase, BackendOptions, ModelInputs
from bayesml.design import one_sided_design
from bayesml.errors import ArgumentError, FamilyError
from bayesml.families import RANDOM_FAMILIES, RandomFamily, random_families_for

__all__ = ["HLIK", "HlikBackend", "HlikOptions"]


@dataclass(frozen=True, kw_only=True)
class HlikOptions(BackendOptions):
    """Options of ``Model.fit(method="hlik")`` (its keyword arguments).

    Attributes
    ----------
    random_family
        The former spelling of the model's ``random_family`` (``Model(random_family=...)``),
        which the fit uses by default: ``"gaussian"``, ``"gamma"``, ``"beta"``,
        ``"inverse_gamma"`` (optionally with a link, ``"inverse_gamma(log)"``); one for all
        terms, a sequence (one per term) or a mapping from group name. ``None`` (default): the
        model's. Given for a model with non-gaussian random effects, it must name the same
        families.
    dispersion
        ``"auto"`` (default): the model's own likelihood — φ fixed at 1 for a family without a
        dispersion parameter (bernoulli, binomial, poisson; as glmer fits them) unless a
        ``dispersion_formula`` is given, estimated otherwise (gaussian, gamma). ``"estimate"``:
        φ estimated for every family, R ``hglm``'s default (for binomial and Poisson a
        quasi-likelihood overdispersion, which scales the SEs by √φ and leaves hlik, pvh, pbvh
        and cAIC undefined). A positive number fixes φ at it (R's ``fix.disp``).
        (:func:`bayesml.hglm` keeps hglm's default, ``"estimate"``.)
    dispersion_formula
        One-sided formula for log φ, e.g. ``"~ x2 + x3"``; intercept only by default.
    estimation
        ``"EQL"`` (hglm's default) or ``"EQL1"`` (the HL(1,1) correction; where it cannot change
        the fit the result's ``notes`` say why).
    tol, max_iter
        Convergence tolerance (``None``: 1e-8 at the fixed point, 1e-6 with
        ``convergence="hglm"``) and the most outer iterations (mean-model solves, each with its
        dispersion update).
    convergence
        ``"fixed_point"`` (default): iterate to EQL's fixed point — stop when every φ and λ
        changes by less than ``tol`` relative (and Σ Δη² / Σ η² < ``tol``), the iteration
        accelerated by SQUAREM; for a Gaussian model this is lmer's REML fit. ``"hglm"``: R
        hglm's stopping rule (Σ Δη² / Σ η² < ``tol`` alone) and iterates, for hglm's printed
        output iterate by iterate; it can stop far from the fixed point (lme4's Pastes: a batch
        SD of 1.449 against REML's 1.287).
    covariance, car
        Correlated random effects: a known covariance matrix per group name, or a CAR
        neighbour structure (see :func:`bayesml.hglm`).
    """

    method: ClassVar[str] = "hlik"
    given_as: ClassVar[str] = "the keyword arguments of Model.fit"

    random_family: RandomFamilySpec | None = None
    dispersion: DispersionOption = "auto"
    dispersion_formula: str | None = None
    estimation: Literal["EQL", "EQL1"] = "EQL"
    tol: float | None = None
    max_iter: int = 50
    convergence: Literal["fixed_point", "hglm"] = "fixed_point"
    covariance: Mapping[str, Any] | None = None
    car: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        check_options(self.estimation, self.tol, self.max_iter, self.convergence)
        check_dispersion(self.dispersion)


@dataclass(frozen=True)
class HlikBackend(BackendBase):
    """Point estimates by h-likelihood (Lee & Nelder's HGLM; :func:`fit_hlik`)."""

    options_type: ClassVar[type[HlikOptions]] = HlikOptions
    name: str = "hlik"
    kind: Literal["fitting"] = "fitting"
    description: str = DESCRIPTION

    def supported_families(self) -> dict[str, tuple[str, ...]]:
        """The response families and links the h-likelihood fits (:data:`MEAN_FAMILIES`)."""
        return dict(MEAN_FAMILIES)

    def random_families(self) -> frozenset[tuple[str, str]]:
        """Every random family of :mod:`bayesml.families.random_effects` (hglm's)."""
        return frozenset((name, link) for name, links in RANDOM_FAMILIES.items() for link in links)

    def parameter_formulas(self, family: Any) -> frozenset[str]:
        """The dispersion parameter: its formula's fixed terms are hglm's model for log φ."""
        return (
            frozenset() if family.dispersion_name is None else frozenset({family.dispersion_name})
        )

    def run(self, model: ModelInputs, options: HlikOptions) -> HlikResult:
        """Fit ``model``; the priors play no part. The model's dispersion formula
        (``Model(dispersion_formula=...)``) is hglm's model for log φ and its random families
        (``Model(random_family=...)``) the distributions of the random effects;
        ``dispersion_formula=`` and ``random_family=`` among the options are their former
        spellings."""
        dispersion_design = _model_dispersion_design(model, options)
        if options.dispersion_formula is not None:
            dispersion_design = one_sided_design(
                options.dispersion_formula, model.data, row_labels=model.design.row_labels
            )
        return fit_hlik(
            model.design,
            model.family,
            random_family=_random_families(model, options),
            dispersion=options.dispersion,
            dispersion_design=dispersion_design,
            estimation=options.estimation,
            tol=options.tol,
            max_iter=options.max_iter,
            convergence=options.convergence,
            covariance=options.covariance,
            car=options.car,
        )


def _random_families(model: ModelInputs, options: HlikOptions) -> list[RandomFamily]:
    """One random family per block: the model's, or the option's for a model whose random
    effects are all gaussian (its default).

    Raises
    ------
    ArgumentError
        When the model has non-gaussian random effects and ``random_family=`` names others.
    """
    blocks = model.design.random
    families = [block.random_family for block in blocks]
    if options.random_family is None:
        return families
    names = [block.name for block in blocks]
    given = random_families_for(options.random_family, names)
    if given == families or all(family.is_gaussian for family in families):
        return given
    held = ", ".join(f"{name}: {f.label}" for name, f in zip(names, families, strict=True))
    asked = ", ".join(f"{name}: {f.label}" for name, f in zip(names, given, strict=True))
    raise ArgumentError(
        f"the model's random_family ({held}) and Model.fit's random_family= ({asked}) differ; "
        "random_family belongs to the model (Model(..., random_family=...)): give it once"
    )


def _model_dispersion_design(model: ModelInputs, options: HlikOptions) -> Any:
    """The fixed-effects design of the model's dispersion formula, or None without one."""
    name = model.family.dispersion_name
    predictor = model.design.predictors.get(name) if name is not None else None
    if predictor is None:
        return None
    if options.dispersion_formula is not None:
        raise ArgumentError(
            f"the model has a dispersion formula ({predictor.formula}); Model.fit's "
            "dispersion_formula= is for models without one: give it once"
        )
    if predictor.random:
        raise FamilyError(
            f"the h-likelihood fits a dispersion model of fixed terms (hglm's disp =); the "
            f"model's dispersion formula {predictor.formula} has random terms: use "
            "Model.sample(method='nuts')"
        )
    return predictor.fixed


HLIK = HlikBackend()
"""The registered h-likelihood backend."""
