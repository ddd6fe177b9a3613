"""A maximum-likelihood fit (Laplace, adaptive Gauss–Hermite) under the shared posterior names,
for :func:`bayesml.compare`.

* Fixed effects: ``beta[<label>]`` with the fit's estimate and standard error and the Wald
  interval estimate ± z·SE (z the normal quantile of the requested probability).
* Random-effect SDs and correlations from ``varcorr``: ``sd_<group>[<term>]`` and
  ``corr_<group>[<term1>, <term2>]``. lme4 gives no standard errors for them (its intervals are
  profile-likelihood or bootstrap ones, ``confint``), and neither does the fit: their SE and
  interval are NaN, with a note.
* The family's parameters by their posterior names (``sigma`` of a gaussian fit is varcorr's
  residual SD), without SEs for the same reason.
* Random effects (on request): ``u_<group>[<level>, <term>]``, the conditional modes with their
  conditional SDs and the Wald interval mode ± z·SD (lme4's ``ranef(condVar = TRUE)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from bayesml.families import get_family
from bayesml.workflows.compare_estimates import (
    Estimate,
    fixed_effect_estimates,
    flat_label,
    normal_quantile,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ml_estimates", "ml_family", "ml_method", "ml_notes"]

#: the term of a smooth's one SD in varcorr (the posterior's unlabelled ``sd_s(x)``)
SMOOTH_TERM = "(smooth)"
#: the group of varcorr's residual row (a gaussian fit's sigma)
RESIDUAL = "Residual"

_NO_SE = "no SE (as in lme4)"


def ml_method(fit: Any) -> str:
    """``"laplace"`` or ``"agq"``: the default column name."""
    return str(fit.method)


def ml_family(fit: Any) -> tuple[str, str] | None:
    """(family, link) of the fit, from ``"binomial(logit)"`` or a bare family name with the
    fit's ``link`` (the family's default link when the fit does not record one)."""
    text = str(fit.family)
    name, _, link = text.partition("(")
    link = link.rstrip(")") or getattr(fit, "link", None)
    if not link:
        link = get_family(name).link.name
    return name.strip(), str(link)


def _pair(term: str, terms: list[str]) -> tuple[str, str]:
    """``"Intercept:x"`` -> ("Intercept", "x"), splitting where both sides are terms of the group
    (a term label may itself hold a colon, ``"a:b"``)."""
    parts = term.split(":")
    for cut in range(1, len(parts)):
        first, second = ":".join(parts[:cut]), ":".join(parts[cut:])
        if first in terms and second in terms:
            return first, second
    first, _, second = term.partition(":")
    return first, second


def _corr_labels(first: str, second: str) -> list[str]:
    """The posterior's labels of a correlation: [t1, t2], or [t1, t2, category] for two terms
    ``"t1, category"`` and ``"t2, category"`` of a categorical model (``corr_<group>`` dims
    (term, term, category))."""
    head1, _, category1 = first.rpartition(", ")
    head2, _, category2 = second.rpartition(", ")
    if head1 and head2 and category1 == category2:
        return [head1, head2, category1]
    return [first, second]


def _variance_components(fit: Any) -> tuple[list[Estimate], float | None]:
    """``sd_<group>[term]`` and ``corr_<group>[t1, t2]`` rows, and the residual SD (or None)."""
    varcorr: pd.DataFrame = fit.varcorr
    sds, corrs, sigma = [], [], None
    for group, rows in varcorr.groupby("group", sort=False):
        group = str(group)
        if group == RESIDUAL:
            sigma = float(rows["sd"].iloc[0])
            continue
        sd_rows = rows[rows["corr"].isna()]
        terms = [str(term) for term in sd_rows["term"]]
        for term, sd in zip(terms, sd_rows["sd"], strict=True):
            # a smooth's one SD, "(smooth)" ("(smooth), move" per category): sd_s(x) unlabelled
            head, _, category = term.partition(", ")
            labels = ([category] if category else []) if head == SMOOTH_TERM else [term]
            parameter = flat_label(f"sd_{group}", labels)
            sds.append(Estimate(parameter, "sd", float(sd), np.nan, np.nan, np.nan, _NO_SE))
        for term, corr in zip(rows["term"], rows["corr"], strict=True):
            if np.isnan(corr):
                continue
            parameter = flat_label(f"corr_{group}", _corr_labels(*_pair(str(term), terms)))
            corrs.append(Estimate(parameter, "corr", float(corr), np.nan, np.nan, np.nan, _NO_SE))
    return sds + corrs, sigma


def _family_parameters(fit: Any, sigma: float | None) -> list[Estimate]:
    values = dict(getattr(fit, "family_parameters", {}) or {})
    if sigma is not None:
        values.setdefault("sigma", sigma)
    name = ml_family(fit)
    order = [p.name for p in get_family(name[0]).parameters] if name else list(values)
    out = []
    for parameter in [p for p in order if p in values] + [p for p in values if p not in order]:
        value = values[parameter]
        if np.ndim(value) == 0:
            estimate = float(value)
            out.append(Estimate(parameter, "family", estimate, np.nan, np.nan, np.nan, _NO_SE))
            continue
        # a vector parameter (cutpoints): one row per element, labelled by its index if any
        array = np.asarray(value, dtype=float).reshape(-1)
        index = getattr(value, "index", None)
        labels = [str(i) for i in index] if index is not None else range(1, array.size + 1)
        for label_value, element in zip(labels, array, strict=True):
            label = flat_label(parameter, [label_value])
            out.append(Estimate(label, "family", float(element), np.nan, np.nan, np.nan, _NO_SE))
    return out


def _random_effects(fit: Any, z: float) -> list[Estimate]:
    out = []
    for (group, level, term), row in fit.ranef.iterrows():
        parameter = flat_label(f"u_{group}", [level, term])
        mode, sd = float(row["mode"]), float(row["sd"])
        out.append(Estimate(parameter, "random", mode, sd, mode - z * sd, mode + z * sd))
    return out


def ml_estimates(fit: Any, *, ci_prob: float, include_random_effects: bool) -> list[Estimate]:
    """The fit's estimates under the shared names, with ``ci_prob`` Wald intervals where the
    fit gives standard errors."""
    z = normal_quantile(ci_prob)
    components, sigma = _variance_components(fit)
    rows = fixed_effect_estimates(fit.fixef, z) + components + _family_parameters(fit, sigma)
    if include_random_effects:
        rows += _random_effects(fit, z)
    return rows


def ml_notes(fit: Any) -> list[str]:
    """What the table cannot show of ``fit``."""
    return [
        "the SDs, correlations and family parameters of a maximum-likelihood fit have no "
        "standard errors (as in lme4's summary; its confint gives profile or bootstrap "
        "intervals): their se and interval are NaN; random effects are conditional modes "
        "with their conditional SDs"
    ]
