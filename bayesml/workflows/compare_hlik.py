"""An h-likelihood fit under the shared posterior names, for :func:`bayesml.compare`.

* Fixed effects: ``beta[<label>]`` with the fit's estimate and standard error and the Wald
  interval estimate ± z·SE (z the normal quantile of the requested probability).
* Each λ-block of Gaussian random effects (``"g"`` for ``(1 | g)``, ``"g|x"`` for the ``x`` slope of
  ``(1 + x | g)``) becomes ``sd_g[<term>]`` = √λ. The SE is the delta method's,
  ½·√λ·SE(log λ), with SE(log λ) the standard error of the λ model's intercept (log link); the
  interval is the Wald interval of log λ, transformed: exp(½·(log λ ± z·SE(log λ))).
* φ maps by family (:func:`phi_mapping`, from the family's ``dispersion_parameter``): ``sigma`` = √φ for a Gaussian response, ``alpha`` = 1/φ
  (the gamma shape) for a gamma response, with SE and interval obtained the same way from log φ.
  A binomial, Bernoulli or Poisson fit with an estimated φ is a quasi-likelihood model whose φ has
  no counterpart in the Bayesian models: it is left out, with a note.
* Random effects (on request): ``u_g[<level>, <term>]`` with their standard errors.
* Non-Gaussian random effects (gamma, beta, inverse-gamma; ``Model(random_family=...)``) map as
  the NUTS backend stores them: ``sd_g[<term>]`` = √λ, λ being hglm's dispersion of u (the
  variance of a gamma effect of mean 1; for beta(α, α), α = 1/(2λ)), and ``u_g[...]`` on the
  linear-predictor scale, v = v(u) (log u for gamma, logit u for beta), with hlik's standard
  error of v — the fit's ``ranef`` holds u itself.

λ or φ with a dispersion model (several values) and CAR terms have no single SD: their rows
hold NaN and a note saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bayesml.errors import FormulaError
from bayesml.families import DEFAULT_RANDOM_FAMILY, get_family, random_family_from_label
from bayesml.formula import parse_formula
from bayesml.workflows.compare_estimates import (
    Estimate,
    fixed_effect_estimates,
    flat_label,
    normal_quantile,
)

if TYPE_CHECKING:
    from bayesml.backends.hlik import DispersionEstimate, HlikResult

__all__ = [
    "phi_mapping",
    "PhiMapping",
    "block_terms",
    "hlik_estimates",
    "hlik_family",
    "hlik_notes",
]


@dataclass(frozen=True)
class PhiMapping:
    """How a dispersion maps to a shared parameter: ``parameter`` = dispersion ** ``power``."""

    parameter: str
    power: float
    note: str


_POWER_NOTES = {0.5: "sqrt(phi)", -1.0: "1/phi"}


def phi_mapping(family: str) -> PhiMapping | None:
    """How φ of a fit of ``family`` maps to the family's parameter (its ``dispersion_parameter``:
    sigma = sqrt(phi) for the gaussian, alpha = 1/phi for the gamma); None when it has none."""
    mapped = get_family(family).dispersion_parameter
    if mapped is None:
        return None
    name, power = mapped
    return PhiMapping(name, power, f"{name} = {_POWER_NOTES.get(power, f'phi^{power:g}')}")


def _gaussian_random_family(fit: HlikResult, group: str) -> str | None:
    """None for gaussian random effects of ``group``, else the family's label."""
    label = fit.random_families.get(group, DEFAULT_RANDOM_FAMILY)
    return None if random_family_from_label(label).is_gaussian else label


#: how λ of a Gaussian random block maps to its SD
SD_MAPPING = PhiMapping("sd", 0.5, "sd = sqrt(lambda)")


def hlik_family(fit: HlikResult) -> tuple[str, str]:
    """(family, link) of the mean model, from ``"gaussian(identity)"``."""
    name, _, link = fit.family.partition("(")
    return name, link.rstrip(")")


def _single_term_labels(description: str) -> dict[str, str]:
    """Grouping factor -> term label of each one-term random term of the fitted formula."""
    try:
        parsed = parse_formula(description)
    except FormulaError:  # the matrix form: no formula to read
        return {}
    return {term.name: term.terms[0].label for term in parsed.random_terms if len(term.terms) == 1}


def block_terms(fit: HlikResult) -> dict[str, tuple[str, str | None]]:
    """λ-block name -> (grouping factor, term label): ``"g|x"`` -> ``("g", "x")``; a smooth's
    block (one SD for all its coefficients) -> ``("s(x)", None)``, its SD ``sd_s(x)`` unlabelled.

    A one-term random term has one block named after its grouping factor; its term label is read
    from the fitted formula (``"Intercept"`` for ``(1 | g)``, ``"x"`` for ``(0 + x | g)``), and
    taken to be ``"Intercept"`` for a fit of the matrix form.
    """
    single = _single_term_labels(fit.description)
    out = {}
    for block in fit.lambda_:
        if block in fit.smooths:
            out[block] = (block, None)
            continue
        if block in fit.random_families:
            out[block] = (block, single.get(block, "Intercept"))
            continue
        group = next((g for g in fit.random_families if block.startswith(f"{g}|")), None)
        out[block] = (block, "Intercept") if group is None else (group, block[len(group) + 1 :])
    return out


def _mapped(
    dispersion: DispersionEstimate, mapping: PhiMapping, parameter: str, kind: str, z: float
) -> Estimate:
    """``parameter`` = dispersion ** power with the delta-method SE and the log-scale interval."""
    what = "phi" if dispersion.name == "phi" else "lambda"
    if not dispersion.constant:
        note = f"not mapped: {what} has a dispersion model ({dispersion.values.size} values)"
        return Estimate(parameter, kind, np.nan, np.nan, np.nan, np.nan, note)
    value = float(dispersion.values[0]) ** mapping.power
    if dispersion.fixed or dispersion.coef is None:
        return Estimate(parameter, kind, value, np.nan, np.nan, np.nan, f"{mapping.note}, fixed")
    if dispersion.link != "log" or len(dispersion.coef) != 1:
        note = f"not mapped: {what} has a {dispersion.link}-link model"
        return Estimate(parameter, kind, np.nan, np.nan, np.nan, np.nan, note)
    log_value = float(np.log(dispersion.values[0]))
    log_se = float(dispersion.coef["se"].iloc[0])
    se = abs(mapping.power) * value * log_se
    ends = np.exp(mapping.power * (log_value + np.array([-z, z]) * log_se))
    return Estimate(parameter, kind, value, se, float(ends.min()), float(ends.max()), mapping.note)


def _sds(fit: HlikResult, z: float) -> list[Estimate]:
    out = []
    for block, (group, term) in block_terms(fit).items():
        parameter = flat_label(f"sd_{group}", [] if term is None else [term])
        family = _gaussian_random_family(fit, group)
        if group in fit.car:
            note = "not mapped: a CAR effect has no single SD (see the fit's car τ, ρ)"
            out.append(Estimate(parameter, "sd", np.nan, np.nan, np.nan, np.nan, note))
        elif family is not None:
            mapping = PhiMapping("sd", 0.5, f"sd = sqrt(lambda), lambda of {family} effects")
            out.append(_mapped(fit.lambda_[block], mapping, parameter, "sd", z))
        else:
            out.append(_mapped(fit.lambda_[block], SD_MAPPING, parameter, "sd", z))
    return out


def _family_parameters(fit: HlikResult, z: float) -> list[Estimate]:
    mapping = phi_mapping(hlik_family(fit)[0])
    if mapping is None:
        return []
    return [_mapped(fit.phi, mapping, mapping.parameter, "family", z)]


def _random_effects(fit: HlikResult, z: float) -> list[Estimate]:
    out = []
    terms = block_terms(fit)
    for (block, level), row in fit.ranef.iterrows():
        group, term = terms.get(block, (block, "Intercept"))
        # a smooth's effects are its coefficients: its one level (the block) and term b1, ...
        labels = [block, level] if term is None else [level, term]
        parameter = flat_label(f"u_{group}", labels)
        family = _gaussian_random_family(fit, group)
        estimate, se = float(row.estimate), float(row.se)
        note = ""
        if family is not None:  # ranef holds u; its se is that of v
            estimate = float(random_family_from_label(family).v_of_u(np.array([estimate]))[0])
            note = f"v = link(u) of {family} effects"
        lower, upper = estimate - z * se, estimate + z * se
        out.append(Estimate(parameter, "random", estimate, se, lower, upper, note))
    return out


def hlik_estimates(
    fit: HlikResult, *, ci_prob: float, include_random_effects: bool
) -> list[Estimate]:
    """The fit's estimates under the shared names, with ``ci_prob`` Wald intervals."""
    z = normal_quantile(ci_prob)
    rows = fixed_effect_estimates(fit.fixef, z) + _sds(fit, z) + _family_parameters(fit, z)
    if include_random_effects:
        rows += _random_effects(fit, z)
    return rows


def hlik_notes(fit: HlikResult) -> list[str]:
    """What the table cannot show of ``fit``: a quasi-likelihood φ, a dispersion model."""
    family = hlik_family(fit)[0]
    phi = fit.phi
    notes = []
    if phi_mapping(family) is None and not phi.fixed:
        shown = f"{float(phi.values[0]):.4g}" if phi.constant else "modelled"
        notes.append(
            f"phi ({shown}) of this {family} fit is a quasi-likelihood overdispersion with no "
            "counterpart in the Bayesian model; it is left out"
        )
    if phi.coef is not None and len(phi.coef) > 1:
        notes.append(
            f"phi has a dispersion model (coefficients {', '.join(map(str, phi.coef.index))}); "
            "its coefficients are not compared"
        )
    return notes
