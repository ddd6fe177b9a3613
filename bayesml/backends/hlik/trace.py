"""What the outer loop of the h-likelihood fit leaves behind (:class:`FitTrace`) and the
:class:`~bayesml.backends.hlik.result.HlikResult` made from it (:func:`build_result`).

The trace sits between :mod:`.fit` (which runs the loop and fills it) and :mod:`.result` (the
immutable result, which knows nothing of the loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from bayesml.backends.hlik.result import DispersionEstimate, HlikResult

if TYPE_CHECKING:
    from bayesml.backends.hlik.dispersion import GammaFit
    from bayesml.backends.hlik.likelihood import Likelihoods
    from bayesml.backends.hlik.linear_algebra import AugmentedSystem
    from bayesml.backends.hlik.problem import HlikProblem
    from bayesml.backends.hlik.rows import DataRows, RandomRows
    from bayesml.backends.hlik.steps import MeanFit

__all__ = ["FitTrace", "build_result"]


@dataclass(frozen=True, eq=False)
class FitTrace:
    """Everything the outer loop leaves behind, for :func:`build_result`."""

    problem: HlikProblem
    system: AugmentedSystem
    data: DataRows
    random: RandomRows
    mean: MeanFit
    phi: np.ndarray
    lam: np.ndarray
    phi_fit: GammaFit | None
    lambda_fits: list[GammaFit]
    deviances: np.ndarray
    leverages: np.ndarray
    iterations: int
    converged: bool
    changes: list[float]
    estimation: str
    tol: float
    convergence: str
    extrapolations: int
    likelihoods: Likelihoods | None
    likelihood_error: str | None
    notes: tuple[str, ...] = ()


# -- the result ------------------------------------------------------------------------------------
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
        estimation=trace.estimation,
        tol=trace.tol,
        changes=tuple(trace.changes),
        convergence=trace.convergence,
        extrapolations=trace.extrapolations,
        n_obs=n,
        family=f"{problem.family.name}({problem.family.link.name})",
        random_families={t.name: t.family.label for t in problem.random},
        car=_car_parameters(trace),
        description=problem.description,
        likelihoods=trace.likelihoods,
        likelihood_error=trace.likelihood_error,
        notes=trace.notes,
        beta_cov=mean.factorization.elimination.schur_inverse[:p, :p].copy(),
        smooths={term.name: term.n_columns for term in problem.random if term.shared},
        smooth_cov=_smooth_covariance(trace),
    )


def _smooth_covariance(trace: FitTrace) -> pd.DataFrame:
    """The block of C⁻¹ (C the augmented system's normal matrix at the fit) for β and every
    smooth's coefficients: mgcv's Bayesian covariance ``Vp`` of a gamm4 fit given the λ (the
    other random effects integrated out), one solve per column. Empty without smooths."""
    problem = trace.problem
    p = problem.X.shape[1]
    positions, labels = list(range(p)), list(problem.x_names)
    for term, start in zip(problem.random, problem.term_starts(), strict=True):
        if term.shared:
            positions += [p + start + j for j in range(term.n_columns)]
            labels += [f"{term.name}[{label}]" for label in term.term_labels]
    if len(positions) == p:
        return pd.DataFrame()
    factorization = trace.mean.factorization
    positions_array = np.asarray(positions)
    inverse = np.empty((positions_array.size, positions_array.size))
    for column, position in enumerate(positions_array):
        unit = np.zeros(p + problem.n_random)
        unit[position] = 1.0
        inverse[:, column] = factorization.solve(unit)[positions_array]
    inverse = 0.5 * (inverse + inverse.T)
    return pd.DataFrame(inverse, index=labels, columns=labels)


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
