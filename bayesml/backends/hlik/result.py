"""The result of an h-likelihood fit: estimates, dispersions, diagnostics and likelihoods.

:class:`HlikResult` is immutable; :func:`bayesml.backends.hlik.trace.build_result` makes it from
what the outer loop leaves behind. Its text summary, in the layout of R ``hglm``'s ``summary()``,
is written here; its diagnostic plots are drawn by :func:`bayesml.plots.hlik_diagnostics` (the
backends do not import the plots layer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayesml.errors import ArgumentTypeError, FamilyError, warn
from bayesml.results.text import SummaryText

if TYPE_CHECKING:
    from bayesml.backends.hlik.likelihood import Likelihoods
    from bayesml.results.point import PointEstimates

__all__ = ["DispersionEstimate", "HlikResult", "HlikSummary"]

#: attributes that are gone, with what replaces them (a clear AttributeError, not a bare one)
_REMOVED = {
    "plot": (
        "HlikResult.plot() was removed: draw the diagnostics with "
        "bayesml.plots.hlik_diagnostics(fit) (standardised residuals against fitted values, "
        "their QQ plot, a QQ plot of the random effects per λ-block and, with a dispersion "
        "model, its residuals); HlikResult.diagnostics() has the deviances and leverages"
    ),
}


@dataclass(frozen=True, eq=False)
class DispersionEstimate:
    """A fitted (or fixed) dispersion: φ of the mean model or λ of a random block.

    Attributes
    ----------
    name
        ``"phi"`` or the random block's name (``"ID"``, ``"g|x"``).
    values
        The dispersion of each data row (φ) or random effect (λ).
    coef
        The dispersion model's coefficients on the link scale: columns ``estimate``, ``se``
        (standard errors with the gamma GLM's dispersion fixed at 1, as in R's ``hglm``);
        ``None`` for a fixed dispersion.
    link
        Link of the dispersion model (``"log"``; ``"inverse"`` for a CAR effect's λ).
    fixed
        Whether the value was held fixed.
    """

    name: str
    values: np.ndarray = field(repr=False)
    coef: pd.DataFrame | None = field(repr=False)
    link: str = "log"
    fixed: bool = False

    @property
    def constant(self) -> bool:
        """Whether every row (effect) has the same value."""
        return bool(np.all(self.values == self.values[0]))

    @property
    def value(self) -> float | np.ndarray:
        """The dispersion: one number when constant, else the array of :attr:`values`."""
        return float(self.values[0]) if self.constant else self.values

    def __float__(self) -> float:
        if not self.constant:
            raise ArgumentTypeError(
                f"{self.name} varies across rows (a dispersion model); use .values"
            )
        return float(self.values[0])

    def __repr__(self) -> str:
        """``DispersionEstimate(phi, 0.8213, estimated)``, ``DispersionEstimate(phi, 1, fixed)``
        or, with a dispersion model, ``DispersionEstimate(phi, log-linear model with 3
        coefficients, 64 fitted values in [0.0123, 4.56])``."""
        n_coef = 0 if self.coef is None else len(self.coef)
        if self.constant and n_coef <= 1:
            how = "fixed" if self.fixed else "estimated"
            return f"DispersionEstimate({self.name}, {float(self.values[0]):.6g}, {how})"
        model = "log-linear" if self.link == "log" else f"{self.link}-link"
        count = "1 coefficient" if n_coef == 1 else f"{n_coef} coefficients"
        size = self.values.size
        fitted = f"{size} fitted value{'' if size == 1 else 's'}"
        low, high = float(np.min(self.values)), float(np.max(self.values))
        return (
            f"DispersionEstimate({self.name}, {model} model with {count}, {fitted} in "
            f"[{low:.4g}, {high:.4g}])"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: name, value(s), link, fixed, coefficients."""
        return {
            "name": self.name,
            "value": float(self.values[0]) if self.constant else _floats(self.values),
            "link": self.link,
            "fixed": self.fixed,
            "coef": None if self.coef is None else _frame_dict(self.coef),
        }


class HlikSummary(SummaryText):
    """The text of :meth:`HlikResult.summary` (R ``hglm``'s layout)."""


@dataclass(frozen=True, eq=False)
class HlikResult:
    """An HGLM fitted by h-likelihood (EQL or EQL1).

    Attributes
    ----------
    fixef
        Fixed effects: ``estimate``, ``se``, ``t``, ``p`` (t test on :attr:`df_residual` degrees
        of freedom, as R's ``hglm``), indexed by coefficient label.
    ranef
        Random effects on the u scale (``u = exp(v)`` for a gamma random family) with standard
        errors of v; indexed by (block, level).
    phi
        The mean model's dispersion (:class:`DispersionEstimate`).
    lambda_
        The random blocks' dispersions, by block name.
    deviance, leverage
        Deviance components and leverages of all n + q rows (data rows first).
    fitted, linear_predictor
        μ and η (offsets included) of the data rows.
    v
        Random effects on the linear-predictor scale (the order of the random rows).
    random_blocks
        The block name of each random effect, in the order of :attr:`v` (the effects of a
        term with several blocks, ``(1 + x | g)``, alternate level by level).
    response_residuals
        y − μ of the data rows (y on the mean scale: proportions for the binomial).
    df_residual
        n − Σ leverages of the data rows, rounded: the degrees of freedom of the t tests.
    iterations, converged, estimation, tol
        How the fit went (``estimation``: ``"EQL"`` or ``"EQL1"``): ``iterations`` counts the
        outer iterations (mean-model solves, each with its dispersion update); ``changes`` holds
        the change checked against ``tol`` at each: ``Σ Δη² / Σ η²`` (``convergence="hglm"``),
        or the larger of it and the largest relative change of a φ or λ
        (``convergence="fixed_point"``).
    convergence
        The stopping rule: ``"fixed_point"`` (iterated to the fixed point, SQUAREM-accelerated)
        or ``"hglm"`` (R hglm's rule and iterates).
    extrapolations
        How many of the iterations started from a SQUAREM extrapolation that was kept (0 under
        ``convergence="hglm"``).
    description
        The model fitted: its formula (a correlated term ``(1 + x | g)`` shown as the
        independent ``(1 + x || g)`` fitted), or the matrix call.
    notes
        Where the fit differs from what was asked, and why (a correlated term fitted as
        independent blocks; ``estimation="EQL1"`` that gives the EQL fit); printed by
        :meth:`summary`.
    beta_cov
        Covariance matrix of the fixed effects (the β block of the inverse of the augmented
        system; its diagonal is ``fixef["se"]`` squared), in the order of :attr:`fixef`.
    smooths
        The λ-blocks that are a smooth's penalised coefficients (``"s(x)"`` of ``s(x)``) and
        their number of coefficients ``r``: one λ = sd² for the block, whose effects in
        :attr:`ranef` are labelled by coefficient (``"b1"``, …) and form one level of ``r``
        terms in :meth:`point_estimates`. Empty without smooth terms.
    smooth_cov
        The covariance of the fixed effects and the smooths' coefficients given λ and φ (their
        block of the inverse of the augmented system), indexed by :attr:`fixef`'s labels then
        ``"s(x0)[b1]"``, …: mgcv's ``Vp`` of a gamm4 fit (other random effects integrated out),
        from which a smooth's standard error at new covariate values follows,
        ``sqrt(x' V x)`` over its columns (``model.design.smooths[i].transform(new_data)``).
        Empty without smooth terms.
    """

    fixef: pd.DataFrame
    ranef: pd.DataFrame
    phi: DispersionEstimate
    lambda_: dict[str, DispersionEstimate]
    deviance: np.ndarray = field(repr=False)
    leverage: np.ndarray = field(repr=False)
    fitted: np.ndarray = field(repr=False)
    linear_predictor: np.ndarray = field(repr=False)
    v: np.ndarray = field(repr=False)
    random_blocks: np.ndarray = field(repr=False)
    response_residuals: np.ndarray = field(repr=False)
    df_residual: int
    iterations: int
    converged: bool
    estimation: str
    tol: float
    changes: tuple[float, ...] = field(repr=False)
    n_obs: int
    family: str
    random_families: dict[str, str]
    car: dict[str, dict[str, float]] = field(default_factory=dict)
    description: str = ""
    likelihoods: Likelihoods | None = field(default=None, repr=False)
    likelihood_error: str | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    convergence: str = "fixed_point"
    extrapolations: int = 0
    beta_cov: np.ndarray | None = field(default=None, repr=False)
    smooths: dict[str, int] = field(default_factory=dict)
    smooth_cov: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def method(self) -> str:
        """The former name of :attr:`estimation` (deprecated)."""
        warn(
            "HlikResult.method is deprecated: the estimation method (EQL or EQL1) is now "
            "HlikResult.estimation, the name of the argument of Model.fit and bayesml.hglm",
            FutureWarning,
        )
        return self.estimation

    # -- likelihoods --------------------------------------------------------------------------
    def _likelihood(self, name: str) -> float:
        if self.likelihoods is None:
            raise FamilyError(self.likelihood_error or "the likelihoods were not computed")
        return float(getattr(self.likelihoods, name))

    @property
    def hlik(self) -> float:
        """The h-likelihood at the estimates, Σ log f(y|v) + Σ log f(v).

        Raises
        ------
        FamilyError
            For a binomial/Poisson model with an estimated dispersion (a quasi-likelihood model).
        """
        return self._likelihood("hlik")

    @property
    def pvh(self) -> float:
        """Adjusted profile h-likelihood over v: hlik − ½ log det(H/2π); raises as :attr:`hlik`."""
        return self._likelihood("pvh")

    @property
    def pbvh(self) -> float:
        """Adjusted profile h-likelihood over β and v: hlik − ½ log det(A/2π); raises as :attr:`hlik`."""
        return self._likelihood("pbvh")

    @property
    def cAIC(self) -> float:  # noqa: N802 (the name users know)
        """Conditional AIC, −2 Σ log f(y|v) + 2 Σ h_i over the data rows; raises as :attr:`hlik`."""
        return self._likelihood("caic")

    @property
    def n_random(self) -> int:
        """q, the number of random effects."""
        return int(self.v.size)

    @property
    def lambda_values(self) -> dict[str, float | np.ndarray]:
        """λ of each random block (one number unless the block has a λ model)."""
        return {name: estimate.value for name, estimate in self.lambda_.items()}

    def point_estimates(self) -> PointEstimates:
        """The estimates in the order of the model's design, for :meth:`bayesml.Model.predict`.

        Each random term's λ-blocks are put back together as the design's block: ``(1 + x | g)``,
        fitted as the blocks ``"g|Intercept"`` and ``"g|x"`` whose effects alternate level by
        level in :attr:`v`, gives ``random["g"]`` of shape (levels, 2). The effects are on the
        linear-predictor scale: v (``log u`` for gamma effects); for gaussian effects the
        estimates of :attr:`ranef` (which a known covariance or a CAR structure maps back from
        the fitted scale); a smooth's block (:attr:`smooths`) gives ``random["s(x)"]`` of shape
        (1, r). ``family_parameters`` holds the family's parameter implied by φ
        (``sigma`` = √φ for the gaussian, ``alpha`` = 1/φ for the gamma): a number, or one value
        per data row with a dispersion model.

        Raises
        ------
        ArgumentError
            For a fit without the fixed effects' covariance (one made by hand) or of matrices
            with several blocks per term that do not follow a formula's layout.
        """
        from bayesml.errors import ArgumentError
        from bayesml.families import get_family, random_family_from_label
        from bayesml.results.point import PointEstimates

        if self.beta_cov is None:
            raise ArgumentError(
                "this h-likelihood result has no covariance of the fixed effects (beta_cov); "
                "refit it with Model.fit(method='hlik') to predict from it"
            )
        blocks = np.asarray(self.random_blocks, dtype=object)
        random: dict[str, np.ndarray] = {}
        sds: dict[str, np.ndarray] = {}
        for term, label in self.random_families.items():
            names = [name for name in self.lambda_ if name == term or name.startswith(f"{term}|")]
            # √λ of each λ-block (the mean λ of a block with a λ model)
            sds[term] = np.sqrt([float(np.mean(self.lambda_[name].value)) for name in names])
            gaussian = random_family_from_label(label).is_gaussian
            columns = []
            for name in names:
                if gaussian:
                    columns.append(self.ranef.loc[name, "estimate"].to_numpy(dtype=float))
                else:
                    columns.append(np.asarray(self.v, dtype=float)[blocks == name])
            if len({column.size for column in columns}) != 1:
                raise ArgumentError(
                    f"the random term {term!r} of this fit has blocks of different sizes; "
                    "predictions need a fit of a model formula (Model.fit(method='hlik'))"
                )
            # a smooth's block: one level with r terms (its effects are its coefficients)
            random[term] = columns[0][None, :] if term in self.smooths else np.column_stack(columns)
        family = get_family(self.family.partition("(")[0])
        parameters = {}
        if family.dispersion_parameter is not None:
            name, power = family.dispersion_parameter
            value = self.phi.value
            parameters[name] = value**power if np.ndim(value) == 0 else np.asarray(value) ** power
        return PointEstimates(
            beta=self.fixef["estimate"].to_numpy(dtype=float),
            beta_cov=np.asarray(self.beta_cov, dtype=float),
            random=random,
            family_parameters=parameters,
            sds=sds,
        )

    def deviance_residuals(self) -> np.ndarray:
        """Signed square roots of the data rows' deviance components, sign(y − μ)·√d."""
        return np.sign(self.response_residuals) * np.sqrt(self.deviance[: self.n_obs])

    # -- presentation -------------------------------------------------------------------------
    def summary(self, *, digits: int = 4, print_ranef: bool = False) -> HlikSummary:
        """The fit in the layout of R ``hglm``'s ``summary()``: mean model, dispersion model,
        random effects, likelihoods (when defined) and convergence.

        Parameters
        ----------
        digits
            Significant digits.
        print_ranef
            Show every random effect (default: the first three of a block with more than five).
        """
        return HlikSummary(_summary_text(self, digits=digits, print_ranef=print_ranef))

    def __getattr__(self, name: str) -> Any:
        # only called for attributes the instance does not have
        if name in _REMOVED:
            raise AttributeError(_REMOVED[name])
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_dataframe(self, *, include_random: bool = False) -> pd.DataFrame:
        """Every estimate in one table: columns ``part`` (fixed, dispersion, lambda, random),
        ``block``, ``term``, ``estimate``, ``se``."""
        rows = [("fixed", "", term, row.estimate, row.se) for term, row in self.fixef.iterrows()]
        estimates = [self.phi, *self.lambda_.values()]
        for part, estimate in zip(
            ["dispersion"] + ["lambda"] * len(self.lambda_), estimates, strict=True
        ):
            if estimate.coef is None:
                rows.append((part, estimate.name, "fixed", float(estimate.values[0]), np.nan))
                continue
            for term, row in estimate.coef.iterrows():
                rows.append((part, estimate.name, term, row.estimate, row.se))
        if include_random:
            for (block, level), row in self.ranef.iterrows():
                rows.append(("random", block, level, row.estimate, row.se))
        return pd.DataFrame(rows, columns=["part", "block", "term", "estimate", "se"])

    def diagnostics(self) -> pd.DataFrame:
        """One row per augmented row (n data rows, then q random rows): ``row`` (``"data"`` or the
        random block), ``deviance``, ``leverage``, and for data rows ``fitted``,
        ``linear_predictor`` and ``deviance_residual`` (NaN on random rows)."""
        n, q = self.n_obs, self.n_random
        pad = np.full(q, np.nan)
        return pd.DataFrame(
            {
                "row": np.concatenate([np.full(n, "data", dtype=object), self.random_blocks]),
                "deviance": self.deviance,
                "leverage": self.leverage,
                "fitted": np.concatenate([self.fitted, pad]),
                "linear_predictor": np.concatenate([self.linear_predictor, pad]),
                "deviance_residual": np.concatenate([self.deviance_residuals(), pad]),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the fit (numbers as floats, NaN and unavailable values as None)."""
        likelihoods = None
        if self.likelihoods is not None:
            likelihoods = {
                "hlik": self.hlik,
                "pvh": self.pvh,
                "pbvh": self.pbvh,
                "cAIC": self.cAIC,
                "conditional": float(self.likelihoods.conditional),
            }
        ranef = {
            f"{block}[{level}]": {"estimate": _float(row.estimate), "se": _float(row.se)}
            for (block, level), row in self.ranef.iterrows()
        }
        return {
            "estimation": self.estimation,
            "family": self.family,
            "random_families": dict(self.random_families),
            "description": self.description,
            "notes": list(self.notes),
            "fixef": _frame_dict(self.fixef),
            "ranef": ranef,
            "phi": self.phi.to_dict(),
            "lambda": {name: est.to_dict() for name, est in self.lambda_.items()},
            "car": {
                name: {k: _float(v) for k, v in values.items()} for name, values in self.car.items()
            },
            "likelihoods": likelihoods,
            "likelihood_error": self.likelihood_error,
            "deviance": _floats(self.deviance),
            "leverage": _floats(self.leverage),
            "df_residual": int(self.df_residual),
            "iterations": int(self.iterations),
            "converged": bool(self.converged),
            "tol": float(self.tol),
            "convergence": self.convergence,
            "extrapolations": int(self.extrapolations),
            "n_obs": int(self.n_obs),
            "n_random": self.n_random,
            "smooths": dict(self.smooths),
        }

    def __repr__(self) -> str:
        status = "converged" if self.converged else "did not converge"
        return (
            f"<HlikResult {self.estimation}: {self.family}, {len(self.fixef)} fixed effects, "
            f"{self.n_random} random effects in {len(self.lambda_)} block(s); {status} in "
            f"{self.iterations} iterations>"
        )


# -- JSON helpers -------------------------------------------------------------------------------
def _float(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def _floats(values: np.ndarray) -> list[float | None]:
    return [_float(v) for v in np.asarray(values, dtype=float)]


def _frame_dict(frame: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    return {
        str(index): {str(k): _float(v) for k, v in row.items()} for index, row in frame.iterrows()
    }


# -- the text summary (R hglm's summary() layout) -----------------------------------------
_RANEF_SHOWN = 5  # blocks with more effects show the first three unless asked
_RULE = {
    "mean": ("----------", "MEAN MODEL"),
    "dispersion": ("----------------", "DISPERSION MODEL"),
    "likelihood": ("---------------", "LOG-LIKELIHOODS"),
}


def _heading(key: str) -> list[str]:
    rule, title = _RULE[key]
    return [rule, title, rule, ""]


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    for cut, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p < cut:
            return mark
    return ""


def _format_table(frame: pd.DataFrame, digits: int) -> str:
    return frame.to_string(float_format=lambda x: f"{x:.{digits}g}")


def _fixed_effects(result: HlikResult, digits: int) -> list[str]:
    table = result.fixef.rename(
        columns={"estimate": "Estimate", "se": "Std. Error", "t": "t-value", "p": "Pr(>|t|)"}
    )
    table.index.name = None
    table[""] = [_stars(p) for p in result.fixef["p"]]
    return [
        "Summary of the fixed effects estimates:",
        "",
        _format_table(table, digits),
        "---",
        "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1",
        f"Note: P-values are based on {result.df_residual} degrees of freedom",
    ]


def _random_effects(result: HlikResult, digits: int, print_ranef: bool) -> list[str]:
    lines: list[str] = []
    for block in result.lambda_:
        frame = result.ranef.loc[block].rename(columns={"estimate": "Estimate", "se": "Std. Error"})
        frame.index.name = None
        lines += [
            "",
            f"Summary of the random effects estimates ({block}, {_block_kind(result, block)}):",
            "",
        ]
        if len(frame) <= _RANEF_SHOWN or print_ranef:
            lines.append(_format_table(frame, digits))
        else:
            lines += [
                _format_table(frame.iloc[:3], digits),
                "...",
                "NOTE: to show all the random effects, use summary(print_ranef=True).",
            ]
    return lines


def _block_kind(result: HlikResult, block: str) -> str:
    """The random family of a block's effects; ``smooth, gaussian`` for a smooth's."""
    family = result.random_families.get(block.split("|")[0], "")
    return f"smooth, {family}" if block in result.smooths else family


def _coefficients(estimate: DispersionEstimate, digits: int) -> list[str]:
    assert estimate.coef is not None
    frame = estimate.coef.rename(columns={"estimate": "Estimate", "se": "Std. Error"})
    frame.index.name = None
    return [f"Link = {estimate.link}", "", "Effects:", _format_table(frame, digits)]


def _dispersion(result: HlikResult, digits: int) -> list[str]:
    lines = _heading("dispersion")
    lines.append(f"NOTE: h-likelihood estimates through {result.estimation} can be biased.")
    phi = result.phi
    if phi.fixed:
        lines += ["", f"Dispersion parameter held constant at: {float(phi.values[0]):g}"]
    else:
        if phi.constant:
            lines += [
                "",
                "Dispersion parameter for the mean model:",
                f"{float(phi.values[0]):.{digits}g}",
            ]
        lines += ["", "Model estimates for the dispersion term:", ""]
        lines += _coefficients(phi, digits)
        lines += [
            "",
            "Dispersion = 1 is used in Gamma model on deviances to calculate the standard error(s).",
        ]
    lines += ["", "Dispersion parameter for the random effects:"]
    values = {
        name: (f"{est.value:.{digits}g}" if est.constant else f"({est.values.size} values)")
        for name, est in result.lambda_.items()
    }
    lines.append("  ".join(f"{name}: {value}" for name, value in values.items()))
    lines += ["", "Dispersion model for the random effects:", ""]
    for name, estimate in result.lambda_.items():
        lines += [f"{name}:"] + _coefficients(estimate, digits) + [""]
        if name in result.car:
            car = result.car[name]
            lines += [
                f"CAR.tau (estimated spatial variance component): {car['tau']:.{digits}g}",
                f"CAR.rho (estimated spatial correlation): {car['rho']:.{digits}g}",
                "",
            ]
    lines.append(
        "Dispersion = 1 is used in Gamma model on deviances to calculate the standard error(s)."
    )
    return lines + _standard_deviations(result, digits)


def _standard_deviations(result: HlikResult, digits: int) -> list[str]:
    """For a fit with smooths, lme4's ``VarCorr`` table of √λ: one row per λ-block, one per
    smooth (named ``(smooth)``: one SD for all its coefficients)."""
    if not result.smooths:
        return []
    rows = []
    for name, estimate in result.lambda_.items():
        if name in result.smooths:
            group, term = name, "(smooth)"
        else:
            group, _, term = name.partition("|")
        shown = f"{np.sqrt(estimate.value):.{digits}g}" if estimate.constant else "(modelled)"
        rows.append((group, term, shown))
    rows.insert(0, ("Groups", "Name", "Std.Dev."))
    widths = [max(len(row[j]) for row in rows) for j in range(2)]
    return [
        "",
        "Standard deviations of the random effects, sqrt(lambda) (a smooth's: the SD of its "
        "penalised coefficients, mgcv's sigma/sqrt(sp) for a gaussian response):",
        *(f" {g.ljust(widths[0])}  {t.ljust(widths[1])}  {sd}" for g, t, sd in rows),
    ]


def _likelihoods(result: HlikResult, digits: int) -> list[str]:
    if result.likelihoods is None:
        return []
    shown = max(digits + 3, 7)
    return (
        [""]
        + _heading("likelihood")
        + [
            f"h-likelihood: {result.hlik:.{shown}g}",
            "Adjusted profile likelihood",
            f"   Profiled over random effects: {result.pvh:.{shown}g}",
            f"   Profiled over fixed and random effects: {result.pbvh:.{shown}g}",
            f"Conditional AIC: {result.cAIC:.{shown}g}",
        ]
    )


def _summary_text(result: HlikResult, *, digits: int = 4, print_ranef: bool = False) -> str:
    """The summary of ``result`` as text (see :meth:`HlikResult.summary`)."""
    families = ", ".join(f"{name}: {label}" for name, label in result.random_families.items())
    lines = [
        "Call:",
        f"  {result.description}",
        f"  family = {result.family}; random families: {families}; "
        f"estimation = {result.estimation}",
    ]
    lines += [f"Note: {note}" for note in result.notes] + [""]
    lines += _heading("mean") + _fixed_effects(result, digits)
    lines += _random_effects(result, digits, print_ranef)
    lines += [""] + _dispersion(result, digits) + _likelihoods(result, digits)
    status = "converged" if result.converged else "did not converge"
    iterations = f"{result.iterations} iteration{'' if result.iterations == 1 else 's'}"
    if result.convergence == "fixed_point":
        status += " to its fixed point" if result.converged else ""
        iterations += f" ({result.extrapolations} from SQUAREM extrapolations)"
    lines += ["", f"{result.estimation} estimation {status} in {iterations}."]
    return "\n".join(lines)
