"""The result of a maximum-likelihood fit (``Model.fit(method="laplace" | "agq")``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from bayesml.results.point import PointEstimates
from bayesml.results.text import SummaryText

__all__ = ["MLResult", "MLSummary"]


class MLSummary(SummaryText):
    """The printed summary of an :class:`MLResult` (lme4's layout)."""


@dataclass(frozen=True, eq=False)
class MLResult:
    """A mixed model fitted by maximum likelihood (Laplace or adaptive Gauss–Hermite) or REML.

    Attributes
    ----------
    method
        ``"laplace"`` or ``"agq"``; :attr:`n_nodes` the quadrature nodes per dimension (1 for
        Laplace; an exact Gaussian fit needs no approximation and reports ``"laplace"``, 1).
    reml
        Whether the criterion is REML (Gaussian models only).
    fixef
        Fixed effects: ``estimate``, ``se``, ``z``, ``p`` (Wald z tests), indexed by the labels
        of the posterior's ``beta``. A categorical or multinomial model has one row per
        coefficient and non-reference category, ``"x1, move"``, in the order of the posterior's
        ``beta`` dims (``coef``, ``<response>__category``) flattened: ``beta[x1, move]`` in
        :func:`bayesml.compare` and ``bayesml.summary``.
    family_coef
        The coefficients of the formulas of family parameters (``zi=``, ``hu=``,
        ``dispersion_formula=``; glmmTMB's zero-inflation and dispersion models) on their links'
        scales (logit, log): ``estimate``, ``se``, ``z``, ``p``, indexed ``"zi: Intercept"``;
        empty without such a formula.
    vcov
        Covariance of the fixed effects (lme4's ``vcov``: for a GLMM from the finite-difference
        Hessian of the deviance in (θ, β), so that it allows for the estimated θ).
    varcorr
        SDs and correlations of the random effects: columns ``group``, ``term``, ``sd``,
        ``corr`` (a correlation row's term is ``"term1:term2"``; a Gaussian model's last row
        is ``("Residual", "", σ, NaN)``). A categorical or multinomial model has a row per term
        and non-reference category, ``"Intercept, move"`` (the posterior's
        ``sd_<group>[Intercept, move]``), and correlations within a category only.
    family_parameters
        The family's parameters by their posterior names (``sigma``, ``alpha``, ``cutpoints``,
        ``zi``, ...); one value per row for a parameter with a formula.
    theta
        lme4's θ: the entries of the relative Cholesky factors (``getME(fit, "theta")``).
    ranef
        Conditional modes of the random effects and their conditional SDs (lme4's
        ``ranef(condVar = TRUE)``): columns ``mode``, ``sd``, indexed by (group, level, term)
        (a categorical model's term ``"Intercept, move"``).
    loglik, deviance, aic, bic
        The maximised log-likelihood (REML: −½ the REML criterion), −2 loglik, and the
        information criteria with :attr:`n_parameters` parameters (lme4's df).
    nobs, n_parameters
        Rows, and estimated parameters (β, θ, σ and the family's).
    converged, n_evaluations, messages
        Whether every optimisation stage converged, the deviance evaluations, the optimiser's
        messages.
    description, family, link, response
        The model formula, the family and link names, and the response's name.
    groups
        The number of levels of each grouping factor (smooth terms excepted).
    smooths
        Each smooth's penalised block (``"s(x0)"``) and its number of penalised coefficients.
        Its one SD is varcorr's row ``(s(x0), "(smooth)")``, its coefficients ``ranef``'s
        level ``s(x0)``, terms ``b1``, …; its null-space coefficients are fixed effects
        (``s(x0)_fixed1``).
    linear_smooths
        The smooths whose SD is estimated at 0: reduced to their penalty's null space (a linear
        fit for cr/tp/ps). A legitimate estimate, not a singular fit (mgcv and gamm4 do not
        warn); the summary says so.
    smooth_cov
        The covariance of the fixed effects and the smooths' coefficients given the estimated
        SDs, indexed by ``fixef``'s labels then ``"s(x0)[b1]"``, …: mgcv's ``Vp`` of a gamm4
        fit (other random effects integrated out), from which a smooth's standard error at new
        covariate values follows. Empty without smooth terms.
    singular
        What makes the fit singular, one phrase per random block (empty for a regular fit).
    linear
        Whether the model is a linear mixed model (a Gaussian response with the identity link),
        fitted exactly as lmer does.
    fitted, linear_predictor
        μ and η of the fitted rows at the conditional modes (a categorical model: both the
        K − 1 linear predictors, shape (rows, K − 1), as the family's ``mu`` is η).
    """

    method: str
    n_nodes: int
    reml: bool
    fixef: pd.DataFrame
    family_coef: pd.DataFrame
    vcov: pd.DataFrame
    varcorr: pd.DataFrame
    family_parameters: dict[str, Any]
    theta: np.ndarray
    ranef: pd.DataFrame
    loglik: float
    n_parameters: int
    nobs: int
    converged: bool
    n_evaluations: int
    description: str
    family: str
    link: str
    response: str
    random_effects: dict[str, np.ndarray] = field(repr=False)
    fitted: np.ndarray = field(repr=False)
    linear_predictor: np.ndarray = field(repr=False)
    messages: tuple[str, ...] = ()
    groups: dict[str, int] = field(default_factory=dict)
    linear: bool = False
    singular: tuple[str, ...] = ()
    smooths: dict[str, int] = field(default_factory=dict)
    linear_smooths: tuple[str, ...] = ()
    smooth_cov: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def deviance(self) -> float:
        """−2 loglik (for a REML fit: the REML criterion)."""
        return -2.0 * self.loglik

    @property
    def aic(self) -> float:
        """−2 loglik + 2 × parameters."""
        return self.deviance + 2.0 * self.n_parameters

    @property
    def bic(self) -> float:
        """−2 loglik + log(n) × parameters."""
        return self.deviance + math.log(self.nobs) * self.n_parameters

    @property
    def sigma(self) -> float:
        """The residual SD of a Gaussian response; 1 for a family without one (as lme4); NaN when
        σ has a formula (one value per row: see :attr:`family_parameters`)."""
        value = self.family_parameters.get("sigma", 1.0)
        return float(value) if np.ndim(value) == 0 else float("nan")

    @property
    def is_singular(self) -> bool:
        """Whether a diagonal entry of θ is at its bound 0 (lme4's ``isSingular``): an SD at 0,
        or a covariance matrix of correlated terms that is singular (a correlation at ±1)."""
        return bool(self.singular)

    def point_estimates(self) -> PointEstimates:
        """β, its covariance, the conditional modes per block and the family parameters, for
        :meth:`bayesml.Model.predict`."""
        variances = self.varcorr[self.varcorr["corr"].isna()]
        sds = {
            name: variances.loc[variances["group"] == name, "sd"].to_numpy(dtype=float)
            for name in self.random_effects
        }
        return PointEstimates(
            beta=self.fixef["estimate"].to_numpy(dtype=float),
            beta_cov=self.vcov.to_numpy(dtype=float),
            random=dict(self.random_effects),
            family_parameters=dict(self.family_parameters),
            sds=sds,
        )

    # -- presentation -----------------------------------------------------------------------
    def summary(self, *, digits: int = 4) -> MLSummary:
        """The fit in the layout of lme4's ``summary()``."""
        return MLSummary(_summary_text(self, digits))

    def __repr__(self) -> str:
        return _summary_text(self, 4, short=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the fit (NaN as None)."""
        return {
            "method": self.method,
            "n_nodes": int(self.n_nodes),
            "reml": bool(self.reml),
            "description": self.description,
            "family": self.family,
            "link": self.link,
            "response": self.response,
            "fixef": {
                label: {key: _float(value) for key, value in row.items()}
                for label, row in self.fixef.iterrows()
            },
            "family_coef": {
                label: {key: _float(value) for key, value in row.items()}
                for label, row in self.family_coef.iterrows()
            },
            "vcov": [[_float(v) for v in row] for row in self.vcov.to_numpy()],
            "varcorr": [
                {key: (_float(v) if isinstance(v, float) else v) for key, v in row.items()}
                for row in self.varcorr.to_dict("records")
            ],
            "family_parameters": {
                name: (_float(value) if np.ndim(value) == 0 else [_float(v) for v in value])
                for name, value in self.family_parameters.items()
            },
            "theta": [_float(v) for v in self.theta],
            "ranef": {
                f"{group}[{level}, {term}]": {"mode": _float(row["mode"]), "sd": _float(row["sd"])}
                for (group, level, term), row in self.ranef.iterrows()
            },
            "loglik": _float(self.loglik),
            "deviance": _float(self.deviance),
            "aic": _float(self.aic),
            "bic": _float(self.bic),
            "nobs": int(self.nobs),
            "n_parameters": int(self.n_parameters),
            "groups": dict(self.groups),
            "smooths": dict(self.smooths),
            "linear_smooths": list(self.linear_smooths),
            "converged": bool(self.converged),
            "n_evaluations": int(self.n_evaluations),
            "messages": list(self.messages),
        }


def wald_table(estimates: np.ndarray, covariance: np.ndarray, labels) -> pd.DataFrame:
    """estimate, se, z, p (two-sided) of each coefficient."""
    se = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = estimates / se
    p = 2.0 * stats.norm.sf(np.abs(z))
    return pd.DataFrame({"estimate": estimates, "se": se, "z": z, "p": p}, index=list(labels))


def _float(value: Any) -> float | None:
    value = float(value)
    return None if not np.isfinite(value) else value


def _title(result: MLResult) -> str:
    if result.linear:
        criterion = "REML" if result.reml else "maximum likelihood"
        return f"Linear mixed model fit by {criterion} [bayesml]"
    approximation = (
        "Laplace Approximation"
        if result.method == "laplace"
        else f"Adaptive Gauss-Hermite Quadrature, nAGQ = {result.n_nodes}"
    )
    return f"Generalized linear mixed model fit by maximum likelihood ({approximation}) [bayesml]"


def _summary_text(result: MLResult, digits: int, *, short: bool = False) -> str:
    lines = [
        _title(result),
        f" Family: {result.family}  ( {result.link} )",
        f"Formula: {result.description}",
        "",
    ]
    if result.reml:
        lines.append(f"REML criterion at convergence: {result.deviance:.1f}")
    else:
        header = f"{'AIC':>10} {'BIC':>10} {'logLik':>10} {'deviance':>10}"
        values = " ".join(
            f"{value:>10.1f}" for value in (result.aic, result.bic, result.loglik, result.deviance)
        )
        lines += [header, values]
    lines += ["", "Random effects:", _varcorr_text(result.varcorr, digits)]
    groups = ", ".join(f"{name}, {count}" for name, count in result.groups.items())
    lines.append(f"Number of obs: {result.nobs}" + (f", groups:  {groups}" if groups else ""))
    if result.smooths:
        smooths = "; ".join(f"{name}, {count}" for name, count in result.smooths.items())
        lines.append(f"Smooth terms (penalised coefficients): {smooths}")
    for name in result.linear_smooths:
        lines.append(
            f"{name}: SD estimated at 0 (not a singular fit): the smooth is reduced to its "
            "penalty's null space, a linear fit"
        )
    other = {k: v for k, v in result.family_parameters.items() if k != "sigma" or not short}
    if short:
        lines += [
            "",
            "Fixed effects:",
            result.fixef["estimate"].to_string(float_format=_fmt(digits)),
        ]
    else:
        lines += ["", "Fixed effects:", _fixef_text(result.fixef, digits)]
    if not result.family_coef.empty:
        lines += [
            "",
            "Models of family parameters (link scale):",
            _fixef_text(result.family_coef, digits),
        ]
    shown = {
        k: v
        for k, v in other.items()
        if k != "sigma"
        and not any(label.startswith(f"{k}: ") for label in result.family_coef.index)
    }
    if shown:
        lines += ["", "Family parameters:"]
        lines += [f"  {name}: {_value_text(value, digits)}" for name, value in shown.items()]
    if result.is_singular:
        lines += ["", f"boundary (singular) fit: {'; '.join(result.singular)}"]
    if not result.converged:
        lines += ["", f"Optimiser did not converge: {'; '.join(result.messages)}"]
    return "\n".join(lines)


def _fmt(digits: int):
    return lambda value: f"{value:.{digits}g}"


def _varcorr_text(varcorr: pd.DataFrame, digits: int) -> str:
    """lme4's table: Groups, Name, Std.Dev. and the correlations with the terms above."""
    rows = [("Groups", "Name", "Std.Dev.", "Corr")]
    for group, frame in varcorr.groupby("group", sort=False):
        sds = frame[frame["corr"].isna()]
        corrs = dict(zip(frame["term"], frame["corr"], strict=True))
        names = list(sds["term"])
        for position, (name, sd) in enumerate(zip(names, sds["sd"], strict=True)):
            above = [corrs.get(f"{other}:{name}", np.nan) for other in names[:position]]
            rows.append(
                (
                    group if position == 0 else "",
                    name,
                    f"{sd:.{digits}g}",
                    # a blank where a pair has no correlation (another category's term)
                    " ".join(f"{c:.2f}" if np.isfinite(c) else " " * 4 for c in above).rstrip(),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(
        " " + " ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _fixef_text(fixef: pd.DataFrame, digits: int) -> str:
    table = fixef.rename(
        columns={"estimate": "Estimate", "se": "Std. Error", "z": "z value", "p": "Pr(>|z|)"}
    )
    return table.to_string(float_format=_fmt(digits))


def _value_text(value: Any, digits: int) -> str:
    if np.ndim(value) == 0:
        return f"{float(value):.{digits}g}"
    values = np.asarray(value, dtype=float)
    if values.size > 6:
        return f"per row (min {values.min():.{digits}g}, max {values.max():.{digits}g})"
    return ", ".join(f"{v:.{digits}g}" for v in values)
