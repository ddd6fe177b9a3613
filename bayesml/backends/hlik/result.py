"""The result of an h-likelihood fit: estimates, dispersions, diagnostics and likelihoods.

:func:`build_result` turns what the outer loop leaves behind into an immutable
:class:`HlikResult`; the text summary and the plots live in :mod:`.summary` and :mod:`.plots`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from bayesml.errors import FamilyError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from bayesml.backends.hlik.fit import FitTrace
    from bayesml.backends.hlik.likelihood import Likelihoods

__all__ = ["DispersionEstimate", "HlikResult", "HlikSummary", "build_result"]


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
            raise TypeError(f"{self.name} varies across rows (a dispersion model); use .values")
        return float(self.values[0])

    def __repr__(self) -> str:
        shown = f"{self.value:.6g}" if self.constant else f"{self.values.size} values"
        return f"DispersionEstimate({self.name!r}, value={shown}, fixed={self.fixed})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: name, value(s), link, fixed, coefficients."""
        return {
            "name": self.name,
            "value": float(self.values[0]) if self.constant else _floats(self.values),
            "link": self.link,
            "fixed": self.fixed,
            "coef": None if self.coef is None else _frame_dict(self.coef),
        }


@dataclass(frozen=True)
class HlikSummary:
    """The text of :meth:`HlikResult.summary`, shown by ``print`` and in the REPL."""

    text: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


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
    iterations, converged, method, tol
        How the fit went; ``changes`` holds the relative change of η at each iteration.
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
    method: str
    tol: float
    changes: tuple[float, ...] = field(repr=False)
    n_obs: int
    family: str
    random_families: dict[str, str]
    car: dict[str, dict[str, float]] = field(default_factory=dict)
    description: str = ""
    likelihoods: Likelihoods | None = field(default=None, repr=False)
    likelihood_error: str | None = field(default=None, repr=False)

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
        from bayesml.backends.hlik.summary import summary_text

        return HlikSummary(summary_text(self, digits=digits, print_ranef=print_ranef))

    def plot(self) -> Figure:
        """R ``hglm``'s diagnostics: deviance residuals against fitted values, leverages by
        index (random-effect rows marked), and gamma QQ plots of the deviance components.

        Needs matplotlib (``pip install bayesml[plot]``).
        """
        from bayesml.backends.hlik.plots import plot_diagnostics

        return plot_diagnostics(self)

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
            "method": self.method,
            "family": self.family,
            "random_families": dict(self.random_families),
            "description": self.description,
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
            "n_obs": int(self.n_obs),
            "n_random": self.n_random,
        }

    def __repr__(self) -> str:
        status = "converged" if self.converged else "did not converge"
        return (
            f"<HlikResult {self.method}: {self.family}, {len(self.fixef)} fixed effects, "
            f"{self.n_random} random effects in {len(self.lambda_)} block(s); {status} in "
            f"{self.iterations} iterations>"
        )


# -- building -----------------------------------------------------------------------------------
def build_result(trace: FitTrace) -> HlikResult:
    """Assemble the :class:`HlikResult` from the outer loop's trace."""
    problem, mean = trace.problem, trace.mean
    n, p = problem.n_obs, problem.X.shape[1]
    variances = np.maximum(mean.factorization.inverse_diagonal(), 0.0)
    se = np.sqrt(variances)
    df = int(round(n - float(np.sum(trace.leverages[:n]))))
    fixef = _fixef_frame(problem.x_names, mean.beta, se[:p], df)
    ranef = _ranef_frame(trace, se[p:])
    mu = trace.data.mean(mean.eta)
    return HlikResult(
        fixef=fixef,
        ranef=ranef,
        phi=_phi_estimate(trace),
        lambda_=_lambda_estimates(trace),
        deviance=trace.deviances,
        leverage=trace.leverages,
        fitted=mu,
        linear_predictor=mean.eta,
        v=mean.v,
        random_blocks=_block_names(trace),
        response_residuals=trace.data.y - mu,
        df_residual=df,
        iterations=trace.iterations,
        converged=trace.converged,
        method=trace.method,
        tol=trace.tol,
        changes=tuple(trace.changes),
        n_obs=n,
        family=f"{problem.family.name}({problem.family.link.name})",
        random_families={t.name: t.family.label for t in problem.random},
        car=_car_parameters(trace),
        description=problem.description,
        likelihoods=trace.likelihoods,
        likelihood_error=trace.likelihood_error,
    )


def _block_names(trace: FitTrace) -> np.ndarray:
    names = np.empty(trace.random.size, dtype=object)
    for block in trace.random.blocks:
        names[block.columns] = block.name
    return names


def _fixef_frame(names: tuple[str, ...], beta: np.ndarray, se: np.ndarray, df: int) -> pd.DataFrame:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    p = 2.0 * stats.t.sf(np.abs(t), df) if df > 0 else np.full(t.size, np.nan)
    return pd.DataFrame(
        {"estimate": beta, "se": se, "t": t, "p": p}, index=pd.Index(names, name="term")
    )


def _ranef_frame(trace: FitTrace, se_v: np.ndarray) -> pd.DataFrame:
    problem, random = trace.problem, trace.random
    u = random.u(trace.mean.v)
    estimate, se = u.copy(), se_v.copy()
    starts = problem.term_starts()
    for term, start in zip(problem.random, starts, strict=True):
        if term.back_transform is None:
            continue
        columns = np.arange(start, start + term.n_columns)
        M = term.back_transform
        estimate[columns] = M @ u[columns]
        cov = trace.mean.factorization.inverse_random_block(columns)
        se[columns] = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", M, cov, M), 0.0))
    tuples, order = [], []
    for block in random.blocks:
        tuples += [(block.name, level) for level in block.levels]
        order += list(block.columns)
    index = pd.MultiIndex.from_tuples(tuples, names=["block", "level"])
    return pd.DataFrame({"estimate": estimate[order], "se": se[order]}, index=index)


def _phi_estimate(trace: FitTrace) -> DispersionEstimate:
    problem = trace.problem
    if problem.dispersion_fixed:
        return DispersionEstimate("phi", trace.phi, None, "log", fixed=True)
    model = problem.dispersion
    fit = trace.phi_fit
    coef = pd.DataFrame(
        {"estimate": fit.coef, "se": fit.se}, index=pd.Index(model.column_names, name="term")
    )
    return DispersionEstimate("phi", trace.phi, coef, model.link.name)


def _lambda_estimates(trace: FitTrace) -> dict[str, DispersionEstimate]:
    out = {}
    for block, fit in zip(trace.random.blocks, trace.lambda_fits, strict=True):
        coef = pd.DataFrame(
            {"estimate": fit.coef, "se": fit.se},
            index=pd.Index(block.model.column_names, name="term"),
        )
        out[block.name] = DispersionEstimate(
            block.name, trace.lam[block.columns], coef, block.model.link.name
        )
    return out


def _car_parameters(trace: FitTrace) -> dict[str, dict[str, float]]:
    out = {}
    blocks = {b.name: fit for b, fit in zip(trace.random.blocks, trace.lambda_fits, strict=True)}
    for term in trace.problem.random:
        if term.kind == "car":
            a, b = blocks[term.name].coef
            out[term.name] = {"tau": float(1.0 / a), "rho": float(-b / a)}
    return out


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
