"""What users look at of a smooth term: its curve on a grid, the band around it and its EDF.

A smooth ``f(x) = Xf(x) βf + Σ_blocks Xr(x) b`` (:mod:`bayesml.design.smooths`) is evaluated on a
grid of covariate values with the fitted basis (mgcv's ``PredictMat``), the other data columns at
typical values (numbers at their mean, factors at their first level, as brms'
``conditional_effects``). For a posterior every draw gives a curve; for a point fit the curve's
standard error comes from the joint covariance of (βf, b) conditional on the SDs — mgcv's Bayesian
covariance ``Vp`` (Wood 2017 §6.10; what gamm4 and ``predict.gam(se.fit = TRUE)`` report), not the
fixed effects' covariance alone.

Effective degrees of freedom (Wood 2017 §6.1.2): with ``H = CᵀWC + P`` the penalised normal matrix
of the whole model (C = [X, Z], W the working weights of the rows, P = diag(0 for fixed, 1/sd² for
random columns)), the EDF of a smooth is its number of null-space columns plus, over its
penalised columns, ``1 − (H⁻¹)_jj / sd²`` — the trace of its part of ``(CᵀWC + P)⁻¹ CᵀWC``, mgcv's
``edf``. For a sampler it is evaluated at the posterior means of the SDs and family parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from bayesml.design.design import ModelDesign
from bayesml.design.smooths import FittedSmooth
from bayesml.errors import ArgumentError

__all__ = [
    "SmoothCurve",
    "SmoothSurface",
    "find_smooth",
    "fitted_edf",
    "joint_covariance",
    "point_coefficients",
    "random_offsets",
    "smooth_curves",
    "smooth_edf",
    "smooth_grid",
    "smooth_matrix",
    "smooth_surfaces",
    "surface_grid",
    "typical_row",
    "working_weights",
]

#: points of a smooth's grid by default
GRID_POINTS = 100


@dataclass(frozen=True)
class SmoothCurve:
    """A smooth evaluated on a grid.

    Attributes
    ----------
    label
        The smooth's label (``"s(x)"``).
    grid
        The grid rows (a data frame holding every column the model reads).
    x
        The covariate (first covariate of a multi-covariate smooth) on the grid.
    estimate
        The curve: posterior mean, or the point estimate.
    lower, upper
        The band (posterior quantiles, or estimate ∓ z·SE).
    draws
        The curve at every draw ``(chain · draw, grid)`` for a posterior, else ``None``.
    """

    label: str
    grid: pd.DataFrame
    x: np.ndarray
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    draws: np.ndarray | None = None


def find_smooth(design: ModelDesign, label: str | None) -> tuple[FittedSmooth, ...]:
    """The smooths of ``design`` named ``label`` (all of them for ``None``).

    Raises
    ------
    ArgumentError
        When the model has no smooth, or none with that label (listing the labels).
    """
    smooths = design.smooths
    if not smooths:
        raise ArgumentError("the model has no smooth terms (s(...), t2(...)) to show")
    if label is None:
        return smooths
    chosen = tuple(smooth for smooth in smooths if smooth.label == label)
    if not chosen:
        labels = ", ".join(repr(smooth.label) for smooth in smooths)
        raise ArgumentError(f"the model has no smooth {label!r}; its smooths: {labels}")
    return chosen


def typical_row(design: ModelDesign, data: pd.DataFrame) -> dict[str, object]:
    """Each data column the model reads at a typical value: numbers at their mean, anything else
    at its first level in sorted order (a pandas categorical: its first category)."""
    row: dict[str, object] = {}
    for column in data.columns:
        series = data[column]
        if pd.api.types.is_bool_dtype(series):
            row[column] = bool(series.mode().iloc[0])
        elif pd.api.types.is_numeric_dtype(series):
            row[column] = float(series.mean())
        elif isinstance(series.dtype, pd.CategoricalDtype):
            row[column] = series.cat.categories[0]
        else:
            row[column] = sorted(series.dropna().unique().tolist(), key=str)[0]
    return row


def smooth_grid(
    smooth: FittedSmooth, data: pd.DataFrame, design: ModelDesign, n_points: int = GRID_POINTS
) -> pd.DataFrame:
    """Rows over the fitted range of the smooth's first covariate (a column of the data), the
    other columns at typical values; with a factor ``by`` one grid per level."""
    covariate = smooth.term.covariates[0]
    if covariate not in data.columns:
        raise ArgumentError(
            f"the grid of {smooth.label} varies the data column {covariate!r}; the smooth of an "
            "expression is shown against its fitted values only through model.predict on your grid"
        )
    low, high = smooth.ranges[0]
    base = typical_row(design, data)
    frame = pd.DataFrame([base] * n_points, columns=list(data.columns))
    frame[covariate] = np.linspace(low, high, n_points)
    for column in data.columns:
        if isinstance(data[column].dtype, pd.CategoricalDtype):
            frame[column] = pd.Categorical(frame[column], categories=data[column].cat.categories)
    by = smooth.term.by
    if (
        by is None
        or pd.api.types.is_numeric_dtype(data[by])
        and not isinstance(data[by].dtype, pd.CategoricalDtype)
    ):
        return frame
    levels = data[by].astype("category").cat.categories
    parts = []
    for level in levels:
        part = frame.copy()
        part[by] = level
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def smooth_matrix(design: ModelDesign, smooth: FittedSmooth, rows: pd.DataFrame) -> tuple:
    """``(columns, positions)``: the smooth's columns on ``rows`` — its fixed columns then each
    penalised block's — and where each sits in the model's coefficient vector (fixed effects in
    design order, then the random blocks' level-major effects in design order)."""
    fixed, random = smooth.transform(rows)
    names = design.fixed.column_names
    positions = [names.index(label) for label in smooth.fixed_labels]
    offsets = random_offsets(design)
    for name, block_columns in zip(smooth.block_names, random, strict=True):
        start = offsets[name]
        positions += list(range(start, start + block_columns.shape[1]))
    return np.hstack([fixed, *random]), np.asarray(positions, dtype=np.int64)


def coefficient_matrix(design: ModelDesign) -> sp.csr_matrix:
    """``C = [X, Z]``: every coefficient's column, fixed effects then each block's (level-major)."""
    return sp.hstack([sp.csr_matrix(design.fixed.matrix), *(b.Z for b in design.random)]).tocsr()


def random_offsets(design: ModelDesign) -> dict[str, int]:
    """Where each random block's effects start in the coefficient vector of
    :func:`coefficient_matrix`."""
    offsets, start = {}, len(design.fixed.column_names)
    for block in design.random:
        offsets[block.name] = start
        start += block.n_levels * block.n_terms
    return offsets


def _precision(design: ModelDesign, sds: Mapping[str, np.ndarray]) -> np.ndarray:
    """The prior precision of every coefficient: 0 for fixed effects, 1/sd² for random ones."""
    parts = [np.zeros(len(design.fixed.column_names))]
    for block in design.random:
        sd = np.broadcast_to(np.asarray(sds[block.name], dtype=float), (block.n_terms,))
        parts.append(np.tile(1.0 / np.maximum(sd, 1e-12) ** 2, block.n_levels))
    return np.concatenate(parts)


def _normal_matrix(design: ModelDesign, weights: np.ndarray, sds) -> sp.csc_matrix:
    C = coefficient_matrix(design)
    H = (C.T @ sp.diags(np.asarray(weights, dtype=float)) @ C).tocsc()
    return (H + sp.diags(_precision(design, sds))).tocsc()


def joint_covariance(
    design: ModelDesign, weights: np.ndarray, sds: Mapping[str, np.ndarray], positions: np.ndarray
) -> np.ndarray:
    """``H⁻¹`` restricted to the coefficients at ``positions`` (see the module docs).

    Parameters
    ----------
    design
        The model's design.
    weights
        The working weight of each row (the family's information in η at the fit).
    sds
        Per random block, its SD (one per term, or one for a smooth's block).
    positions
        Coefficient positions (:func:`smooth_matrix`).
    """
    factor = spla.splu(_normal_matrix(design, weights, sds))
    unit = np.zeros((factor.shape[0], positions.size))
    unit[positions, np.arange(positions.size)] = 1.0
    return factor.solve(unit)[positions]


def smooth_edf(
    design: ModelDesign, weights: np.ndarray, sds: Mapping[str, np.ndarray]
) -> dict[str, float]:
    """Each smooth's effective degrees of freedom (mgcv's ``edf``; see the module docs): one entry
    per smooth, per level for a factor ``by`` (``"s(x):fa"``), as mgcv's summary lists them."""
    out: dict[str, float] = {}
    if not design.smooths:
        return out
    factor = spla.splu(_normal_matrix(design, weights, sds))
    offsets = random_offsets(design)
    blocks = {block.name: block for block in design.random}
    for label, n_fixed, names in _edf_groups(design):
        edf = float(n_fixed)
        for name in names:
            start, size = offsets[name], blocks[name].n_terms
            unit = np.zeros((factor.shape[0], size))
            unit[np.arange(start, start + size), np.arange(size)] = 1.0
            diagonal = np.diagonal(factor.solve(unit)[start : start + size])
            sd = float(np.asarray(sds[name], dtype=float).reshape(-1)[0])
            edf += float(np.sum(1.0 - diagonal / max(sd, 1e-12) ** 2))
        out[label] = edf
    return out


def _edf_groups(design: ModelDesign) -> list[tuple[str, int, tuple[str, ...]]]:
    """(label, number of fixed columns, block names) of each smooth, or of each level of a
    smooth with a factor ``by`` (its blocks and fixed columns are named after the level)."""
    groups = []
    for smooth in design.smooths:
        if smooth.term.kind == "t2" or len(smooth.block_names) == 1:
            groups.append((smooth.label, len(smooth.fixed_labels), smooth.block_names))
            continue
        for name in smooth.block_names:
            n_fixed = sum(label.startswith(f"{name}_fixed") for label in smooth.fixed_labels)
            groups.append((name, n_fixed, (name,)))
    return groups


# -- curves of a fitted model ------------------------------------------------------------------
def smooth_curves(
    design: ModelDesign,
    family,
    result,
    *,
    smooth: str | None = None,
    ci_prob: float = 0.94,
    n_points: int = GRID_POINTS,
) -> list[SmoothCurve]:
    """Every smooth of a fitted model (or the one labelled ``smooth``) on a grid of its first
    covariate, with a ``ci_prob`` band: posterior quantiles for a posterior (``xarray.DataTree``),
    ± z·SE from the joint covariance of the smooth's coefficients for a point fit (anything with
    ``point_estimates()``). A smooth with a factor ``by`` gives one curve per level."""
    if not 0.0 < ci_prob < 1.0:
        raise ArgumentError(f"ci_prob must be between 0 and 1, got {ci_prob!r}")
    curves = []
    for fitted in find_smooth(design, smooth):
        data = fitted.context.data
        grid = smooth_grid(fitted, data, design, n_points)
        matrix, positions = smooth_matrix(design, fitted, grid)
        if hasattr(result, "point_estimates"):
            estimate, lower, upper, draws = _point_curve(
                design, family, result.point_estimates(), matrix, positions, ci_prob
            )
        else:
            estimate, lower, upper, draws = _posterior_curve(
                design, result, matrix, positions, ci_prob
            )
        curves += _split_by_level(fitted, grid, estimate, lower, upper, draws, n_points)
    return curves


def _split_by_level(fitted, grid, estimate, lower, upper, draws, n_points) -> list[SmoothCurve]:
    covariate = fitted.term.covariates[0]
    names = fitted.block_names if len(grid) > n_points else (fitted.label,)
    curves = []
    for i, name in enumerate(names):
        rows = slice(i * n_points, (i + 1) * n_points)
        curves.append(
            SmoothCurve(
                label=name,
                grid=grid.iloc[rows].reset_index(drop=True),
                x=grid[covariate].to_numpy(dtype=float)[rows],
                estimate=estimate[rows],
                lower=lower[rows],
                upper=upper[rows],
                draws=None if draws is None else draws[:, rows],
            )
        )
    return curves


def _posterior_coefficients(design: ModelDesign, posterior) -> np.ndarray:
    """Every coefficient (fixed, then each block's level-major effects) at every draw,
    shape (draws, coefficients)."""
    beta = posterior["beta"].values
    if beta.ndim != 3:
        raise ArgumentError(
            "smooth curves are drawn for models with one linear predictor; this posterior's "
            f"beta has dimensions {posterior['beta'].dims}"
        )
    parts = [beta.reshape(-1, beta.shape[-1])]
    for block in design.random:
        effects = posterior[f"u_{block.name}"].values
        parts.append(effects.reshape(effects.shape[0] * effects.shape[1], -1))
    return np.concatenate(parts, axis=1)


def _posterior_curve(design, result, matrix, positions, ci_prob):
    posterior = result["posterior"].to_dataset() if hasattr(result, "children") else result
    coefficients = _posterior_coefficients(design, posterior)
    draws = coefficients[:, positions] @ matrix.T
    tail = (1.0 - ci_prob) / 2.0
    lower, upper = np.quantile(draws, [tail, 1.0 - tail], axis=0)
    return draws.mean(axis=0), lower, upper, draws


def _point_curve(design, family, estimates, matrix, positions, ci_prob):
    from scipy import stats

    coefficients = point_coefficients(design, estimates)
    estimate = matrix @ coefficients[positions]
    weights = working_weights(design, family, estimates, coefficients)
    covariance = joint_covariance(design, weights, _estimated_sds(design, estimates), positions)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", matrix, covariance, matrix), 0.0))
    z = float(stats.norm.ppf(0.5 + ci_prob / 2.0))
    return estimate, estimate - z * se, estimate + z * se, None


def point_coefficients(design: ModelDesign, estimates) -> np.ndarray:
    """A point fit's fixed effects and every block's effects (level-major) in one vector."""
    parts = [np.asarray(estimates.beta, dtype=float)]
    parts += [
        np.asarray(estimates.random[block.name], float).reshape(-1) for block in design.random
    ]
    return np.concatenate(parts)


def _estimated_sds(design: ModelDesign, estimates) -> dict[str, np.ndarray]:
    missing = [block.name for block in design.random if block.name not in estimates.sds]
    if missing:
        raise ArgumentError(
            "this point fit does not report the SDs of "
            f"{', '.join(missing)} (PointEstimates.sds), which the smooths' standard errors need"
        )
    return {name: np.asarray(value, dtype=float) for name, value in estimates.sds.items()}


def working_weights(design: ModelDesign, family, estimates, coefficients: np.ndarray) -> np.ndarray:
    """The family's information in η of each row at a point fit (Gaussian: w/σ²)."""
    eta = coefficient_matrix(design) @ coefficients + design.offset
    response = design.response
    return family.eta_information(
        response.y,
        eta,
        dict(estimates.family_parameters),
        trials=response.trials,
        weights=response.weights,
    )


def fitted_edf(design: ModelDesign, family, result) -> dict[str, float]:
    """Each smooth's EDF for a fitted model: at the estimates of a point fit; at the posterior
    means of the SDs, family parameters and coefficients for a posterior."""
    if hasattr(result, "point_estimates"):
        estimates = result.point_estimates()
    else:
        estimates = _posterior_mean_estimates(design, family, result)
    coefficients = point_coefficients(design, estimates)
    weights = working_weights(design, family, estimates, coefficients)
    return smooth_edf(design, weights, _estimated_sds(design, estimates))


def _posterior_mean_estimates(design: ModelDesign, family, result):
    from bayesml.results.point import PointEstimates

    posterior = result["posterior"].to_dataset() if hasattr(result, "children") else result
    mean = _posterior_coefficients(design, posterior).mean(axis=0)
    p = len(design.fixed.column_names)
    random, start = {}, p
    sds = {}
    for block in design.random:
        size = block.n_levels * block.n_terms
        random[block.name] = mean[start : start + size].reshape(block.n_levels, block.n_terms)
        start += size
        sd = posterior[f"sd_{block.name}"].mean(dim=("chain", "draw")).values
        sds[block.name] = np.atleast_1d(sd)
    parameters = {
        parameter.name: float(posterior[parameter.name].mean())
        for parameter in family.parameters
        if parameter.name in posterior
    }
    return PointEstimates(mean[:p], np.zeros((p, p)), random, parameters, sds)


# -- surfaces of two-covariate smooths ---------------------------------------------------------
#: points along each axis of a two-covariate smooth's grid by default
SURFACE_POINTS = 30


@dataclass(frozen=True)
class SmoothSurface:
    """A smooth of two (or more) covariates on a grid of its first two (mgcv's ``vis.gam``).

    Attributes
    ----------
    label
        The smooth's label (``"t2(x,z)"``; with a factor ``by``, the level's name).
    covariates
        The two covariates varied: the x axis, then the y axis.
    grid
        The grid rows (a data frame holding every column the model reads).
    x, z
        The grid values of the first and second covariate, each of length ``n_points``.
    estimate
        The smooth, shape ``(len(z), len(x))`` (rows follow ``z``): posterior mean, or the point
        estimate.
    lower, upper
        The pointwise band, same shape (posterior quantiles, or estimate ∓ z·SE).
    """

    label: str
    covariates: tuple[str, str]
    grid: pd.DataFrame
    x: np.ndarray
    z: np.ndarray
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def surface_grid(
    smooth: FittedSmooth, data: pd.DataFrame, design: ModelDesign, n_points: int = SURFACE_POINTS
) -> pd.DataFrame:
    """An ``n_points`` × ``n_points`` grid over the fitted ranges of the smooth's first two
    covariates (x varying fastest), the other columns at typical values; with a factor ``by``
    one grid per level."""
    covariates = smooth.term.covariates
    if len(covariates) < 2:
        raise ArgumentError(f"{smooth.label} has one covariate: its curve is smooth_curves'")
    missing = [name for name in covariates[:2] if name not in data.columns]
    if missing:
        raise ArgumentError(
            f"the grid of {smooth.label} varies the data columns {list(covariates[:2])}; "
            f"{missing} are expressions, whose smooth is shown only through model.predict on "
            "your grid"
        )
    axes = [np.linspace(*smooth.ranges[j], n_points) for j in range(2)]
    xs, zs = np.meshgrid(*axes)
    frame = pd.DataFrame([typical_row(design, data)] * n_points**2, columns=list(data.columns))
    frame[covariates[0]], frame[covariates[1]] = xs.reshape(-1), zs.reshape(-1)
    for column in data.columns:
        if isinstance(data[column].dtype, pd.CategoricalDtype):
            frame[column] = pd.Categorical(frame[column], categories=data[column].cat.categories)
    by = smooth.term.by
    if by is None or (
        pd.api.types.is_numeric_dtype(data[by])
        and not isinstance(data[by].dtype, pd.CategoricalDtype)
    ):
        return frame
    parts = []
    for level in data[by].astype("category").cat.categories:
        part = frame.copy()
        part[by] = level
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def smooth_surfaces(
    design: ModelDesign,
    family,
    result,
    *,
    smooth: str | None = None,
    ci_prob: float = 0.94,
    n_points: int = SURFACE_POINTS,
) -> list[SmoothSurface]:
    """Every smooth of two or more covariates (or the one labelled ``smooth``) on a grid of its
    first two covariates, with a ``ci_prob`` band as :func:`smooth_curves` gives it; a smooth
    with a factor ``by`` gives one surface per level."""
    if not 0.0 < ci_prob < 1.0:
        raise ArgumentError(f"ci_prob must be between 0 and 1, got {ci_prob!r}")
    chosen = [s for s in find_smooth(design, smooth) if len(s.term.covariates) >= 2]
    if smooth is not None and not chosen:
        raise ArgumentError(f"{smooth} has one covariate: its curve is smooth_curves'")
    surfaces = []
    for fitted in chosen:
        grid = surface_grid(fitted, fitted.context.data, design, n_points)
        matrix, positions = smooth_matrix(design, fitted, grid)
        if hasattr(result, "point_estimates"):
            estimate, lower, upper, _ = _point_curve(
                design, family, result.point_estimates(), matrix, positions, ci_prob
            )
        else:
            estimate, lower, upper, _ = _posterior_curve(design, result, matrix, positions, ci_prob)
        # t2 takes no by=, so several grids are always the levels of a factor by
        names = fitted.block_names if len(grid) > n_points**2 else (fitted.label,)
        covariates = (fitted.term.covariates[0], fitted.term.covariates[1])
        size = n_points**2
        for i, name in enumerate(names):
            rows = slice(i * size, (i + 1) * size)
            surfaces.append(
                SmoothSurface(
                    label=name,
                    covariates=covariates,
                    grid=grid.iloc[rows].reset_index(drop=True),
                    x=grid[covariates[0]].to_numpy(dtype=float)[rows][:n_points],
                    z=grid[covariates[1]].to_numpy(dtype=float)[rows][::n_points],
                    estimate=estimate[rows].reshape(n_points, n_points),
                    lower=lower[rows].reshape(n_points, n_points),
                    upper=upper[rows].reshape(n_points, n_points),
                )
            )
    return surfaces
