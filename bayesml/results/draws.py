"""Posterior draws of the linear predictor from a design and posterior draws of β and u."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bayesml.families import get_link

if TYPE_CHECKING:
    import xarray as xr

    from bayesml.families import RandomFamily

__all__ = [
    "add_random_effects",
    "fitted_eta_draws",
    "fitted_parameter_draws",
    "linear_predictor_draws",
    "population_effect_draws",
]


def linear_predictor_draws(
    posterior: xr.Dataset,
    fixed_matrix: np.ndarray,
    random_parts: list[tuple[str, np.ndarray, np.ndarray]],
    offset: np.ndarray | None = None,
    coefficient_name: str = "beta",
) -> np.ndarray:
    """η for every draw: Xβ + offset + Σ term_matrix · u[group_index].

    Parameters
    ----------
    posterior
        Dataset with ``beta`` (chain, draw, coef) and ``u_<group>`` (chain, draw, level, term).
    fixed_matrix
        X, shape ``(n, p)``, columns in the order of ``beta``'s ``coef`` coordinate.
    random_parts
        For each grouping factor: ``(name, term_matrix (n, k), u_draws_or_index)`` where the third
        item is either the group index of each row (ints into the fitted levels) or an array of
        random-effect draws already aligned to the rows, shape ``(chain, draw, n, k)``.
    offset
        Offset per row, or None.
    coefficient_name
        The coefficients' posterior name (``beta_zi`` for the formula of a family parameter).

    Returns
    -------
    numpy.ndarray
        Shape ``(chain, draw, n)``.
    """
    fixed_matrix = np.asarray(fixed_matrix, dtype=float)
    if fixed_matrix.shape[1] == 0:
        # no fixed effects (e.g. ``y ~ 0 + offset(m)``): the model has no ``beta``
        eta = np.zeros((posterior.sizes["chain"], posterior.sizes["draw"], fixed_matrix.shape[0]))
    else:
        # a categorical model's coefficients have a category axis last: η gets it too
        coefficients = posterior[coefficient_name].transpose("chain", "draw", ...).values
        eta = np.einsum("cdp...,np->cdn...", coefficients, fixed_matrix)
    if offset is not None:
        offset = np.asarray(offset, dtype=float)
        eta += offset.reshape((1, 1, -1) + (1,) * (eta.ndim - 3))
    for name, term_matrix, rows in random_parts:
        if rows.ndim == 1:
            add_random_effects(eta, posterior[f"u_{name}"].values, term_matrix, rows)
        else:
            eta += np.einsum("cdnk...,nk->cdn...", rows, np.asarray(term_matrix, dtype=float))
    return eta


def add_random_effects(
    eta: np.ndarray, effects: np.ndarray, term_matrix: np.ndarray, index: np.ndarray
) -> None:
    """Add Σ_k term_matrix[:, k] · effects[..., index, k] to ``eta`` in place.

    Parameters
    ----------
    eta
        Shape ``(chain, draw, n)``, updated in place.
    effects
        Random-effect draws, shape ``(chain, draw, level, term)`` (a categorical model's have a
        category axis last, as ``eta``).
    term_matrix
        Shape ``(n, term)``.
    index
        The level of each row, ints into ``effects``' level axis.
    """
    term_matrix = np.asarray(term_matrix, dtype=float)
    # one term at a time: gathering a (chain, draw, level) slice per term is several times faster
    # than gathering the whole (chain, draw, level, term) array by row, and keeps one
    # (chain, draw, n) temporary alive
    for term in range(term_matrix.shape[1]):
        column = effects[:, :, :, term][:, :, index]
        weights = term_matrix[:, term]
        if not np.all(weights == 1.0):
            # (n,) against (chain, draw, n) or, with a category axis, (chain, draw, n, category)
            column *= weights.reshape(weights.shape + (1,) * (column.ndim - 3))
        eta += column
        del column


def fitted_eta_draws(posterior: xr.Dataset, design) -> np.ndarray:
    """Posterior draws of the linear predictor of the fitted rows of a ``ModelDesign``."""
    parts = [(block.name, block.term_matrix, block.group_index) for block in design.random]
    return linear_predictor_draws(posterior, design.fixed.matrix, parts, design.offset)


def fitted_parameter_draws(posterior: xr.Dataset, predictor) -> np.ndarray:
    """Posterior draws of a family parameter with a formula at the fitted rows: g⁻¹(η_p), from
    ``beta_<p>`` and its random effects (``predictor``: a ``PredictorDesign``)."""
    parts = [(block.name, block.term_matrix, block.group_index) for block in predictor.random]
    name = f"beta_{predictor.parameter}"
    eta = linear_predictor_draws(posterior, predictor.fixed.matrix, parts, None, name)
    return get_link(predictor.link).inverse(eta)


def population_effect_draws(
    posterior: xr.Dataset,
    group: str,
    n_new: int,
    rng: np.random.Generator,
    random_family: RandomFamily | None = None,
) -> np.ndarray:
    """Random effects of ``n_new`` unseen levels drawn from the population distribution.

    One draw per posterior draw: u = L z with Σ = L Lᵀ built from ``sd_<group>`` and, for correlated
    terms, ``corr_<group>``. For a block with a non-gaussian ``random_family`` (one term), u is
    drawn from that family with λ = sd² (gamma: mean 1, variance λ) and its link value v = v(u)
    (log u for gamma, logit u for beta) is returned: the scale of ``u_<group>`` and of η.
    Returns shape ``(chain, draw, n_new, k)``, with a categorical model's category axis last
    (each category's effects drawn from its own SDs and correlations).
    """
    sd_draws = posterior[f"sd_{group}"]
    if sd_draws.ndim > 3:  # a categorical model: one population per category
        category_dim = sd_draws.dims[-1]
        return np.stack(
            [
                population_effect_draws(
                    posterior.isel({category_dim: index}), group, n_new, rng, random_family
                )
                for index in range(sd_draws.sizes[category_dim])
            ],
            axis=-1,
        )
    sd = sd_draws.values  # (chain, draw, k)
    chains, draws, k = sd.shape
    if random_family is not None and not random_family.is_gaussian:
        u = random_family.draw(rng, (sd * sd)[:, :, None, :], (chains, draws, n_new, k))
        return random_family.v_of_u(u)
    z = rng.standard_normal((chains, draws, n_new, k))
    corr_name = f"corr_{group}"
    if corr_name in posterior:
        corr = posterior[corr_name].values
        cov = sd[..., :, None] * corr * sd[..., None, :]
        factor = np.linalg.cholesky(cov + 1e-12 * np.eye(k))
        return np.einsum("cdkl,cdnl->cdnk", factor, z)
    return z * sd[:, :, None, :]
