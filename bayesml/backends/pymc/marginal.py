"""Gaussian random effects integrated out of the NUTS graph, and drawn back afterwards.

For a Gaussian model with the identity link and one grouping factor, the random effects of each
level j can be integrated out in closed form. With u_j = L z_j (Σ = L Lᵀ), prior weights W and
D = σ² W⁻¹, the rows of level j are normal with covariance V_j = D_j + Z_j Σ Z_jᵀ, and by the
matrix determinant lemma and Woodbury's identity

    log |V_j|      = Σ_i log(σ²/wᵢ) + log |K_j|,        K_j = I + Lᵀ A_j L / σ²,
    r_jᵀ V_j⁻¹ r_j = r_jᵀ W r_j / σ² − g_jᵀ K_j⁻¹ g_j,  g_j = Lᵀ b_j / σ²,

where A_j = Z_jᵀ W Z_j (fixed by the data), b_j = Z_jᵀ W r_j and r = y − offset − Xβ. NUTS then
samples only β, the SDs (and correlations) and σ: a handful of parameters with no funnel between
the SDs and the effects, so the hyperparameters mix several times better per gradient, and each
gradient costs O(n·p + levels·q³) instead of O(n·(p + q)).

A block whose terms share one SD (a smooth's penalised part: one level, Σ = sd² I) takes the
eigendecomposition of each A_j once instead (:func:`shared_sd_marginal_log_likelihood`): K_j's
log-determinant and the quadratic form are then sums over its eigenvalues.

The effects are drawn back exactly, once per posterior draw, from their conditional posterior
(:func:`draw_random_effects`): z_j | β, Σ, σ, y ~ N(K_j⁻¹ g_j, K_j⁻¹), u_j = L z_j. The result has
the same names and the same posterior as the graph that samples the effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from bayesml.backends.pymc import priors as prior_builders
from bayesml.backends.pymc.builder import (
    BuildInfo,
    fixed_coefficients,
    group_dims,
    group_factor,
    model_coords,
    prior_record,
    shared_sd_variable,
    sum_of_terms,
)
from bayesml.backends.pymc.effects import integration_obstacle
from bayesml.results.log_prior import covariance_draws

if TYPE_CHECKING:
    from bayesml.design import ModelDesign, RandomBlock
    from bayesml.families import Family
    from bayesml.priors import ResolvedPriors

__all__ = [
    "GroupStatistics",
    "build_marginal_model",
    "draw_random_effects",
    "group_statistics",
    "marginal_log_likelihood",
    "shared_sd_marginal_log_likelihood",
    "with_integrated_effects",
]

SAMPLE_DIMS = ("chain", "draw")
#: upper bound on the entries of one chunk's (draws, levels, terms, terms) arrays
_CHUNK_ENTRIES = 2_000_000


# -- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupStatistics:
    """What the marginal likelihood needs from the data, computed once.

    The residuals are taken about a least-squares fit ``reference`` of the fixed effects, so that
    the sums stay at the scale of the residuals (no cancellation when the response is far from 0).

    Attributes
    ----------
    weights
        Prior weights wᵢ (ones without weights).
    reference
        β_ref, the weighted least-squares coefficients of the columns in ``matrix``.
    matrix
        The fixed-effect columns the sampled coefficients multiply.
    residual
        r⁰ = y − offset − X β_ref.
    cross
        A_j = Z_jᵀ W Z_j, shape ``(levels, q, q)``.
    effect_residual
        Z_jᵀ W r⁰, shape ``(levels, q)``.
    effect_design
        Z_jᵀ W X, shape ``(levels, q, p)``.
    """

    weights: np.ndarray
    reference: np.ndarray
    matrix: np.ndarray
    residual: np.ndarray
    cross: np.ndarray
    effect_residual: np.ndarray
    effect_design: np.ndarray


def _level_sums(block: RandomBlock, values: np.ndarray) -> np.ndarray:
    """Σ over the rows of each level of ``values`` (rows first), shape ``(levels, ...)``."""
    flat = values.reshape(values.shape[0], -1)
    if flat.shape[1] == 0:
        return np.zeros((block.n_levels, *values.shape[1:]))
    sums = np.stack(
        [
            np.bincount(block.group_index, weights=flat[:, k], minlength=block.n_levels)
            for k in range(flat.shape[1])
        ],
        axis=-1,
    )
    return sums.reshape(block.n_levels, *values.shape[1:])


def group_statistics(design: ModelDesign, matrix: np.ndarray) -> GroupStatistics:
    """The sufficient statistics of the design's one grouping factor (see :class:`GroupStatistics`)."""
    (block,) = design.random
    weights = design.response.weights
    weights = np.ones(design.n_obs) if weights is None else np.asarray(weights, dtype="float64")
    response = np.asarray(design.response.y, dtype="float64") - np.asarray(
        design.offset, dtype="float64"
    )
    root = np.sqrt(weights)
    if matrix.shape[1]:
        reference = np.linalg.lstsq(matrix * root[:, None], response * root, rcond=None)[0]
    else:
        reference = np.zeros(0)
    residual = response - matrix @ reference
    terms = np.asarray(block.term_matrix, dtype="float64")
    weighted_terms = terms * weights[:, None]
    return GroupStatistics(
        weights=weights,
        reference=reference,
        matrix=matrix,
        residual=residual,
        cross=_level_sums(block, weighted_terms[:, :, None] * terms[:, None, :]),
        effect_residual=_level_sums(block, weighted_terms * residual[:, None]),
        effect_design=_level_sums(block, weighted_terms[:, :, None] * matrix[:, None, :]),
    )


# -- the graph ------------------------------------------------------------------------------


def _const(values: np.ndarray) -> pt.TensorVariable:
    return pt.as_tensor_variable(np.ascontiguousarray(values, dtype="float64"))


def _data_scalar(value: float) -> pt.TensorVariable:
    """A number computed from the data, as the entry of a one-element array: the compile cache
    (:mod:`bayesml.backends.pymc.compile_cache`) makes data arrays inputs of the compiled
    function, so a refit on other data of the same shape reuses it (a plain constant would be
    part of the compiled code). PyTensor folds it back to a constant otherwise."""
    return _const(np.array([value]))[0]


def marginal_log_likelihood(
    stats: GroupStatistics,
    factor: prior_builders.Entries,
    coefficients: list[pt.TensorVariable],
    sigma: pt.TensorVariable,
) -> pt.TensorVariable:
    """log p(y | β, Σ = L Lᵀ, σ) with the random effects integrated out (see the module text).

    Written entry by entry over vectors of levels (an unrolled Cholesky factorisation of each
    q × q matrix K_j), which numba compiles and runs faster than batched matrix operations.
    """
    n_terms = stats.cross.shape[1]
    deltas = [b - _data_scalar(ref) for b, ref in zip(coefficients, stats.reference, strict=True)]
    weighted_square = _weighted_square(stats, deltas)
    # b[c] = Z_cᵀ W r (one entry per level)
    effect_residual = [
        sum_of_terms(
            [_const(stats.effect_residual[:, c])]
            + [-delta * _const(stats.effect_design[:, c, k]) for k, delta in enumerate(deltas)]
        )
        for c in range(n_terms)
    ]
    inverse_variance = 1.0 / sigma**2
    # (A L)[c][b] = Σ_d A[c][d] L[d][b]
    cross_factor = [
        [
            sum_of_terms(
                [
                    None if factor[d][b] is None else _const(stats.cross[:, c, d]) * factor[d][b]
                    for d in range(n_terms)
                ]
            )
            for b in range(n_terms)
        ]
        for c in range(n_terms)
    ]
    # K[a][b] = δ_ab + Σ_c L[c][a] (A L)[c][b] / σ²  (lower triangle), g[a] = Σ_c L[c][a] b[c] / σ²
    inner = [
        [
            sum_of_terms(
                [
                    None
                    if factor[c][a] is None or cross_factor[c][b] is None
                    else factor[c][a] * cross_factor[c][b]
                    for c in range(n_terms)
                ]
            )
            for b in range(a + 1)
        ]
        for a in range(n_terms)
    ]
    kernel = [
        [
            (1.0 if a == b else 0.0)
            + (0.0 if inner[a][b] is None else inner[a][b] * inverse_variance)
            for b in range(a + 1)
        ]
        for a in range(n_terms)
    ]
    projected = [
        sum_of_terms(
            [
                None if factor[c][a] is None else factor[c][a] * effect_residual[c]
                for c in range(n_terms)
            ]
        )
        for a in range(n_terms)
    ]
    projected = [
        pt.zeros(stats.cross.shape[0]) if g is None else g * inverse_variance for g in projected
    ]
    log_det, reduction = _cholesky_terms(kernel, projected)
    return _gaussian_log_density(stats, sigma, log_det, weighted_square, reduction)


def _weighted_square(stats: GroupStatistics, deltas: list) -> pt.TensorVariable:
    """rᵀ W r with r = r⁰ − X (β − β_ref)."""
    residual = sum_of_terms(
        [_const(stats.residual)]
        + [-delta * _const(stats.matrix[:, k]) for k, delta in enumerate(deltas)]
    )
    if np.all(stats.weights == 1.0):
        return pt.sum(residual**2)
    return pt.sum(_const(stats.weights) * residual**2)


def _gaussian_log_density(stats, sigma, log_det, weighted_square, reduction) -> pt.TensorVariable:
    """−½ (n log 2π − Σ log wᵢ + n log σ² + Σ_j log |K_j| + rᵀWr / σ² − Σ_j g_jᵀ K_j⁻¹ g_j)."""
    n_obs = stats.residual.shape[0]
    constant = _data_scalar(n_obs * np.log(2.0 * np.pi) - float(np.sum(np.log(stats.weights))))
    return -0.5 * (
        constant + n_obs * pt.log(sigma**2) + log_det + weighted_square / sigma**2 - reduction
    )


def shared_sd_marginal_log_likelihood(
    stats: GroupStatistics,
    sd: pt.TensorVariable,
    coefficients: list[pt.TensorVariable],
    sigma: pt.TensorVariable,
) -> pt.TensorVariable:
    """The marginal log-likelihood of a block whose terms share one SD (Σ = sd² I: a smooth).

    Then K_j = I + (sd²/σ²) A_j, and with A_j = Q_j diag(λ_j) Q_jᵀ (decomposed once, from the
    data) log |K_j| = Σ_c log(1 + sd² λ_jc / σ²) and g_jᵀ K_j⁻¹ g_j =
    (sd²/σ⁴) Σ_c (Q_jᵀ b_j)_c² / (1 + sd² λ_jc / σ²): a vector of levels × terms entries, where
    the unrolled Cholesky factorisation of :func:`marginal_log_likelihood` would write O(q³)
    nodes (minutes of numba compilation for a smooth of 8 terms).
    """
    eigenvalues, vectors = np.linalg.eigh(stats.cross)  # (levels, q), (levels, q, q)
    eigenvalues = np.clip(eigenvalues, 0.0, None).reshape(-1)
    # Q_jᵀ Z_jᵀ W r⁰ and Q_jᵀ Z_jᵀ W X, flattened over (level, eigen-direction)
    rotated_residual = np.einsum("gcd,gc->gd", vectors, stats.effect_residual).reshape(-1)
    rotated_design = np.einsum("gcd,gck->gdk", vectors, stats.effect_design)
    rotated_design = rotated_design.reshape(-1, stats.effect_design.shape[-1])
    deltas = [b - _data_scalar(ref) for b, ref in zip(coefficients, stats.reference, strict=True)]
    weighted_square = _weighted_square(stats, deltas)
    projected = sum_of_terms(
        [_const(rotated_residual)]
        + [-delta * _const(rotated_design[:, k]) for k, delta in enumerate(deltas)]
    )
    ratio = sd**2 / sigma**2
    shrink = 1.0 + ratio * _const(eigenvalues)
    log_det = pt.sum(pt.log(shrink))
    reduction = ratio / sigma**2 * pt.sum(projected**2 / shrink)
    return _gaussian_log_density(stats, sigma, log_det, weighted_square, reduction)


def _cholesky_terms(kernel, projected) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    """Σ_j log |K_j| and Σ_j g_jᵀ K_j⁻¹ g_j by an unrolled Cholesky factorisation K = R Rᵀ."""
    size = len(kernel)
    factor: list[list] = [[None] * size for _ in range(size)]
    solved = []
    log_det = 0.0
    reduction = 0.0
    for a in range(size):
        for b in range(a + 1):
            value = kernel[a][b]
            for c in range(b):
                value = value - factor[a][c] * factor[b][c]
            if a == b:
                factor[a][a] = pt.sqrt(value)
            else:
                factor[a][b] = value / factor[b][b]
        value = projected[a]
        for c in range(a):
            value = value - factor[a][c] * solved[c]
        solved.append(value / factor[a][a])
        log_det = log_det + 2.0 * pt.sum(pt.log(factor[a][a]))
        reduction = reduction + pt.sum(solved[a] ** 2)
    return log_det, reduction


def build_marginal_model(
    design: ModelDesign, priors: ResolvedPriors, family: Family
) -> tuple[pm.Model, BuildInfo]:
    """The PyMC graph of a Gaussian one-factor model with its random effects integrated out.

    The graph holds the sampled coefficients and ``beta``, the group's SD (and correlation)
    parameters, ``sigma`` and a Potential with the marginal log-likelihood; the results layer
    draws ``u_<group>`` back with :func:`draw_random_effects`.

    Raises
    ------
    ValueError
        If :func:`bayesml.backends.pymc.effects.integration_obstacle` names a reason the model does not qualify.
    """
    obstacle = integration_obstacle(design, family)
    if obstacle is not None:
        raise ValueError(f"the random effects cannot be integrated out: {obstacle}")
    (block,) = design.random
    coords = model_coords(design)
    coords.pop(group_dims(block.name)[0])  # no per-level variable in this graph
    with pm.Model(coords=coords) as model:
        coefficients, matrix = fixed_coefficients(design, priors)
        if block.shared_sd:
            sd = shared_sd_variable(block, priors)
        else:
            factor = group_factor(block, priors)
        sigma = prior_builders.positive_variable("sigma", priors.aux["sigma"])
        stats = group_statistics(design, matrix)
        if block.shared_sd:
            loglik = shared_sd_marginal_log_likelihood(stats, sd, coefficients, sigma)
        else:
            loglik = marginal_log_likelihood(stats, factor, coefficients, sigma)
        pm.Potential("_marginal_loglik", loglik)
    info = BuildInfo(
        response_name=design.observed_name,
        priors=prior_record(design, priors, family),
        integrated_group=block.name,
    )
    return model, info


# -- drawing the effects back --------------------------------------------------------------


def _square_root(covariance: np.ndarray) -> np.ndarray:
    """A square root L (L Lᵀ = Σ) of each covariance, by its eigendecomposition.

    Unlike a Cholesky factor it exists for every positive semi-definite Σ, including
    correlations rounded to ±1.
    """
    values, vectors = np.linalg.eigh(covariance)
    return vectors * np.sqrt(np.clip(values, 0.0, None))[..., None, :]


def draw_random_effects(
    posterior: xr.Dataset,
    design: ModelDesign,
    rng: np.random.Generator,
) -> xr.DataArray:
    """``u_<group>`` drawn from its conditional posterior given each draw's β, Σ and σ.

    Parameters
    ----------
    posterior
        Draws of ``beta`` (original scale), ``sd_<group>``, ``corr_<group>`` (correlated terms)
        and ``sigma``.
    design
        The model's design (one grouping factor).
    rng
        Source of the normal draws.

    Returns
    -------
    xarray.DataArray
        Dims ``(chain, draw, <group>__level, <group>__term)``.
    """
    (block,) = design.random
    stats = group_statistics(design, np.asarray(design.fixed.matrix, dtype="float64"))
    covariance = _block_covariance_draws(posterior, block)
    n_chains, n_draws, n_terms, _ = covariance.shape
    covariance = covariance.reshape(-1, n_terms, n_terms)
    sigma = posterior["sigma"].transpose(*SAMPLE_DIMS).values.reshape(-1)
    if stats.reference.size:
        beta = (
            posterior["beta"].transpose(*SAMPLE_DIMS, ...).values.reshape(-1, stats.reference.size)
        )
        deltas = beta - stats.reference
    else:
        deltas = np.zeros((sigma.size, 0))
    effects = np.empty((sigma.size, block.n_levels, n_terms))
    chunk = max(1, _CHUNK_ENTRIES // (block.n_levels * n_terms * n_terms))
    for start in range(0, sigma.size, chunk):
        part = slice(start, start + chunk)
        effects[part] = _conditional_draws(stats, covariance[part], sigma[part], deltas[part], rng)
    level_dim, term_dim, _ = group_dims(block.name)
    return xr.DataArray(
        effects.reshape(n_chains, n_draws, block.n_levels, n_terms),
        dims=(*SAMPLE_DIMS, level_dim, term_dim),
        coords={
            "chain": posterior["chain"].values,
            "draw": posterior["draw"].values,
            level_dim: list(block.levels),
            term_dim: list(block.term_labels),
        },
    )


def _block_covariance_draws(posterior: xr.Dataset, block: RandomBlock) -> np.ndarray:
    """Σ at every draw, ``(chain, draw, q, q)``; sd² I for a block whose terms share one SD (a
    smooth: the scalar ``sd_<group>``)."""
    if not block.shared_sd:
        return covariance_draws(posterior, block.name)
    sd = posterior[f"sd_{block.name}"].transpose(*SAMPLE_DIMS).values
    return (sd * sd)[..., None, None] * np.eye(block.n_terms)


def _conditional_draws(
    stats: GroupStatistics,
    covariance: np.ndarray,
    sigma: np.ndarray,
    deltas: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """u for a chunk of draws: z ~ N(K⁻¹ g, K⁻¹), u = L z (shapes (draws, levels, q))."""
    root = _square_root(covariance)  # (s, q, q)
    inverse_variance = 1.0 / sigma**2
    effect_residual = stats.effect_residual[None] - np.einsum(
        "gck,sk->sgc", stats.effect_design, deltas
    )
    # Lᵀ A_j L for every draw and level, as broadcast matrix products (a three-operand einsum
    # is several times slower)
    kernel = np.swapaxes(root, -1, -2)[:, None] @ stats.cross[None] @ root[:, None]
    kernel = kernel * inverse_variance[:, None, None, None] + np.eye(root.shape[-1])
    projected = (effect_residual @ root) * inverse_variance[:, None, None]
    lower = np.linalg.cholesky(kernel)
    # z = R⁻ᵀ (R⁻¹ g + ε): mean K⁻¹ g, covariance R⁻ᵀ R⁻¹ = K⁻¹
    whitened = np.linalg.solve(lower, projected[..., None])[..., 0]
    noise = rng.standard_normal(whitened.shape)
    standard = np.linalg.solve(np.swapaxes(lower, -1, -2), (whitened + noise)[..., None])[..., 0]
    return standard @ np.swapaxes(root, -1, -2)


def with_integrated_effects(
    posterior: xr.Dataset, info: BuildInfo, design: ModelDesign, random_seed: int | None
) -> xr.Dataset:
    """The posterior with ``u_<group>`` drawn back when the graph integrated it out."""
    if info.integrated_group is None:
        return posterior
    rng = np.random.default_rng(None if random_seed is None else [int(random_seed), 0x5EED])
    name = f"u_{info.integrated_group}"
    return posterior.assign({name: draw_random_effects(posterior, design, rng)})
