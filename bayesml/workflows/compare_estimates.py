"""The common currency of :func:`bayesml.compare`: one estimate of one parameter of one fit.

Every backend's result is turned into :class:`Estimate` rows under the shared posterior names
(``beta[Intercept]``, ``sd_g[x]``, ``corr_g[Intercept, x]``, ``sigma``, ``u_g[g1, Intercept]``),
each with a *kind* that groups the rows of the table and the panels of the plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scipy import stats

from bayesml.results.tables import family_parameter_order

__all__ = [
    "FAMILY_PARAMETERS",
    "KIND_ORDER",
    "Estimate",
    "fixed_effect_estimates",
    "flat_label",
    "normal_quantile",
    "parameter_kind",
]

#: kinds of parameters, in the order of the table's rows and the plot's panels
KIND_ORDER: tuple[str, ...] = ("fixed", "sd", "corr", "family", "random")

#: family parameters with a shared posterior name, in the shared order (sigma, nu, alpha, kappa)
FAMILY_PARAMETERS: tuple[str, ...] = family_parameter_order()

#: name prefix -> kind, for the names that are not family parameters
_PREFIX_KINDS: dict[str, str] = {"sd_": "sd", "corr_": "corr", "u_": "random"}


@dataclass(frozen=True)
class Estimate:
    """One parameter of one fit.

    Attributes
    ----------
    parameter
        Shared posterior name with its labels, e.g. ``"sd_g[x]"``.
    kind
        One of :data:`KIND_ORDER`.
    estimate, error
        Posterior mean and sd, or point estimate and standard error.
    lower, upper
        HDI (Bayesian fits) or Wald interval (h-likelihood fits).
    note
        How the value was obtained when it is not the fit's own parameter
        (``"sd = sqrt(lambda)"``), or why it is missing; empty otherwise.
    """

    parameter: str
    kind: str
    estimate: float
    error: float
    lower: float
    upper: float
    note: str = ""


def parameter_kind(name: str) -> str | None:
    """The kind of a posterior variable (``"beta"`` -> ``"fixed"``); None for other variables."""
    if name == "beta":
        return "fixed"
    if name in FAMILY_PARAMETERS:
        return "family"
    for prefix, kind in _PREFIX_KINDS.items():
        if name.startswith(prefix):
            return kind
    return None


def flat_label(name: str, labels: Sequence[object] = ()) -> str:
    """``"beta[x]"``, ``"corr_g[Intercept, x]"``; the bare name when there are no labels."""
    if not labels:
        return name
    return f"{name}[{', '.join(str(label) for label in labels)}]"


def normal_quantile(prob: float) -> float:
    """z such that a central interval ±z of a standard normal holds ``prob``."""
    return float(stats.norm.ppf(0.5 + prob / 2.0))


def fixed_effect_estimates(fixef: Any, z: float) -> list[Estimate]:
    """``beta[label]`` rows of a point fit's ``fixef`` table (``estimate``, ``se``) with Wald
    intervals estimate ± z·se (the h-likelihood and maximum-likelihood fits alike)."""
    return [
        Estimate(
            flat_label("beta", [label]),
            "fixed",
            float(row.estimate),
            float(row.se),
            float(row.estimate - z * row.se),
            float(row.estimate + z * row.se),
        )
        for label, row in fixef.iterrows()
    ]
