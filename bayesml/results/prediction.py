"""Predictions from posterior draws: fitted rows, new data and new group levels (numpy only).

Everything here needs only the model's design and family: the design encodes new rows as it
encoded the fitted ones, the family turns the linear predictor into means and draws of new
observations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayesml.errors import ArgumentError, ArgumentTypeError, DataError
from bayesml.families import get_link
from bayesml.results.chunks import DrawChunk, map_draw_chunks
from bayesml.results.draws import (
    add_random_effects,
    linear_predictor_draws,
    population_effect_draws,
)
from bayesml.results.loglik import OBS_DIM, parameter_values, row_bytes

if TYPE_CHECKING:
    from bayesml.design import ModelDesign, PredictorDesign
    from bayesml.families import Family, Link

__all__ = ["PREDICT_KINDS", "predict_draws", "predictive_dataset"]

#: what :func:`predict_draws` can return
PREDICT_KINDS = ("linear", "mean", "response")


#: the dimension of an ordinal or categorical model's category probabilities
#: (``predict(kind="mean")``), and of a multinomial response's counts (its columns: observed and
#: predictive draws, ``predict(kind="response")``)
CATEGORY_DIM = "category"


def _response_labels(design: ModelDesign) -> tuple[str, ...]:
    """The categories of a multinomial response (the columns of its counts), else ``()``."""
    if np.ndim(design.response.y) != 2:
        return ()
    return tuple(map(str, design.response.levels or ()))


def _as_dataarray(
    values: np.ndarray, parameters: xr.Dataset, name: str, categories: tuple[str, ...] = ()
) -> xr.DataArray:
    """Dims ``(chain, draw, obs)``, and ``category`` (labelled by ``categories``) when the
    values have a fourth axis (an ordinal model's category probabilities)."""
    coords = {
        "chain": parameters.coords["chain"].values,
        "draw": parameters.coords["draw"].values,
        OBS_DIM: np.arange(values.shape[2]),
    }
    dims: tuple[str, ...] = ("chain", "draw", OBS_DIM)
    if values.ndim == 4:
        dims += (CATEGORY_DIM,)
        coords[CATEGORY_DIM] = list(categories) if categories else np.arange(values.shape[3])
    return xr.DataArray(values, dims=dims, coords=coords, name=name)


def _row_bytes(design: ModelDesign, n_rows: int) -> int:
    """Bytes of one draw's largest intermediate for ``n_rows`` rows (see ``row_bytes``)."""
    return row_bytes(design) // max(design.n_obs, 1) * n_rows


@dataclass(frozen=True)
class _Rows:
    """The rows to predict, encoded: what η needs besides the draws.

    ``effects[i]`` holds, for random block i, the draws of the random effects of levels unseen in
    fitting, shape ``(chain, draw, unseen levels, term)`` (None when every level was seen); their
    index in ``random[i][1]`` follows the fitted levels.
    """

    fixed: np.ndarray
    random: tuple[tuple[str, np.ndarray, np.ndarray], ...]
    offset: np.ndarray | None
    trials: np.ndarray | None
    weights: np.ndarray | None
    new_effects: tuple[np.ndarray | None, ...]
    coefficient_name: str = "beta"
    predictors: tuple[tuple[str, Link, _Rows], ...] = ()

    @property
    def n_rows(self) -> int:
        return self.fixed.shape[0]

    def parameters(self, part: xr.Dataset, chunk: DrawChunk, family: Family) -> dict:
        """The family's parameters at the draws of ``part``: one value per draw, or per draw and
        row for a parameter with a formula."""
        values = {name: link.inverse(rows.eta(part, chunk)) for name, link, rows in self.predictors}
        for param in family.parameters:
            if param.name not in values:
                values[param.name] = parameter_values(part, param.name)
        return values

    def eta(self, part: xr.Dataset, chunk: DrawChunk) -> np.ndarray:
        """η of the rows at the draws of ``part`` (the chunk ``chunk`` of the parameters)."""
        eta = linear_predictor_draws(part, self.fixed, [], self.offset, self.coefficient_name)
        for (name, term_matrix, index), new in zip(self.random, self.new_effects, strict=True):
            effects = part[f"u_{name}"].values
            if new is not None:
                effects = np.concatenate([effects, new[chunk.index]], axis=2)
            add_random_effects(eta, effects, term_matrix, index)
        return eta


def _fitted_rows(design: ModelDesign, random_effects: bool = True) -> _Rows:
    """The fitted rows; without their random effects (all at 0, a smooth's penalised part
    kept) unless ``random_effects``."""
    response = design.response
    blocks = design.random if random_effects else _smooth_blocks(design)
    predictors = tuple(
        (name, get_link(predictor.link), _fitted_predictor_rows(predictor, random_effects))
        for name, predictor in design.predictors.items()
    )
    offset = design.offset
    if not random_effects:
        offset = _with_effects_at_mean(offset, design.random, lambda block: block.term_matrix)
    return _Rows(
        fixed=design.fixed.matrix,
        random=tuple((b.name, b.term_matrix, b.group_index) for b in blocks),
        offset=offset,
        trials=response.trials,
        weights=response.weights,
        new_effects=(None,) * len(blocks),
        predictors=predictors,
    )


def _fitted_predictor_rows(predictor: PredictorDesign, random_effects: bool) -> _Rows:
    """The fitted rows of a family parameter's formula."""
    blocks = predictor.random if random_effects else ()
    return _Rows(
        fixed=predictor.fixed.matrix,
        random=tuple((b.name, b.term_matrix, b.group_index) for b in blocks),
        offset=None,
        trials=None,
        weights=None,
        new_effects=(None,) * len(blocks),
        coefficient_name=f"beta_{predictor.parameter}",
    )


def _new_rows(
    design: ModelDesign,
    posterior: xr.Dataset,
    new_data: pd.DataFrame,
    rng: np.random.Generator,
    random_effects: bool = True,
) -> _Rows:
    """New rows; levels unseen in fitting get effects drawn from the population distribution
    (one draw per posterior draw, the same for every row of the level). Without
    ``random_effects``, every random effect is 0 (a smooth's penalised part is kept: it is
    population-level) and the grouping columns are not read."""
    rows = design.transform(new_data, random_effects=random_effects)
    blocks, block_rows = design.random, rows.random
    if not random_effects:
        blocks = _smooth_blocks(design)
        block_rows = tuple(block.transform(new_data) for block in blocks)
    random, new_effects = _block_rows(blocks, block_rows, posterior, rng)
    predictors = []
    for name, predictor in design.predictors.items():
        fixed, transformed = rows.predictors[name]
        predictor_blocks = predictor.random if random_effects else ()
        p_random, p_new = _block_rows(predictor_blocks, transformed, posterior, rng)
        predictor_rows = _Rows(
            fixed=fixed,
            random=p_random,
            offset=None,
            trials=None,
            weights=None,
            new_effects=p_new,
            coefficient_name=f"beta_{name}",
        )
        predictors.append((name, get_link(predictor.link), predictor_rows))
    offset = rows.offset
    if not random_effects:
        offset = _with_effects_at_mean(
            offset, design.random, lambda block: block.encoder.encode(new_data)
        )
    return _Rows(
        fixed=rows.fixed,
        random=random,
        offset=offset,
        trials=rows.trials,
        weights=None,
        new_effects=new_effects,
        predictors=tuple(predictors),
    )


def _smooth_blocks(design: ModelDesign) -> tuple:
    """The smooths' penalised blocks (one shared SD each): part of the population-level curve,
    kept when the random effects are left out (mgcv's ``predict.gam`` of a gamm4 fit)."""
    return tuple(block for block in design.random if block.shared_sd)


def _with_effects_at_mean(offset: np.ndarray | None, blocks, term_matrix) -> np.ndarray | None:
    """``offset`` plus each random block's effects at their mean u = E(u), for population-level
    predictions: v(E u) is 0 for gaussian, gamma(log), beta(logit) and inverse_gamma(log)
    effects (nothing to add), 1 for inverse_gamma(inverse) (its term's column is added;
    ``term_matrix(block)`` gives the rows' term values)."""
    for block in blocks:
        shift = block.random_family.v_at_mean
        if shift != 0.0:
            column = shift * np.asarray(term_matrix(block), dtype=float)[:, 0]
            offset = column if offset is None else np.asarray(offset, dtype=float) + column
    return offset


def _block_rows(blocks, transformed, posterior: xr.Dataset, rng: np.random.Generator) -> tuple:
    """Per random block of new rows, ``(name, term_matrix, index)`` and the draws of the effects
    of unseen levels (indexed after the fitted levels), or None when every level was seen."""
    random, new_effects = [], []
    for block, (term_matrix, group_index, unseen) in zip(blocks, transformed, strict=True):
        index = np.asarray(group_index).copy()
        seen = index >= 0
        new = None
        if not seen.all():
            labels = [str(label) for label in unseen]
            distinct = sorted(set(labels))
            new = population_effect_draws(
                posterior, block.name, len(distinct), rng, block.random_family
            )
            position = {label: i for i, label in enumerate(distinct)}
            index[~seen] = len(block.levels) + np.array([position[label] for label in labels])
        random.append((block.name, term_matrix, index))
        new_effects.append(new)
    return tuple(random), tuple(new_effects)


def _response_draws(
    family: Family,
    rows: _Rows,
    parameters: xr.Dataset,
    rng: np.random.Generator,
    *,
    weights: np.ndarray | None,
    n_row_bytes: int | None = None,
) -> np.ndarray:
    """One new observation per draw and row, computed in chunks of draws from one generator
    (the same draws as at once: the chunks follow the C order of (chain, draw)); ``n_row_bytes``
    is one draw's largest intermediate (default 8 bytes per row)."""

    def chunk_draws(part: xr.Dataset, chunk: DrawChunk) -> np.ndarray:
        mu = family.mu_from_eta(rows.eta(part, chunk))
        return family.draw(
            rng, mu, rows.parameters(part, chunk, family), trials=rows.trials, weights=weights
        )

    return map_draw_chunks(parameters, rows.n_rows, chunk_draws, row_bytes=n_row_bytes)


def predictive_dataset(
    design: ModelDesign, family: Family, parameters: xr.Dataset, rng: np.random.Generator
) -> xr.Dataset:
    """New observations of the fitted rows, one per draw of ``parameters`` (posterior or prior).

    Computed in chunks of draws (:mod:`bayesml.results.chunks`); only the draws themselves have
    the full chains × draws × rows size.
    """
    rows = _fitted_rows(design)
    values = _response_draws(
        family, rows, parameters, rng, weights=rows.weights, n_row_bytes=row_bytes(design)
    )
    name = design.observed_name
    return xr.Dataset({name: _as_dataarray(values, parameters, name, _response_labels(design))})


def predict_draws(
    design: ModelDesign,
    family: Family,
    result: xr.DataTree,
    new_data: pd.DataFrame | None,
    *,
    kind: str,
    random_seed: int | None,
    include_random_effects: bool = True,
) -> xr.DataArray:
    """See :meth:`bayesml.Model.predict`. Computed in chunks of draws
    (:mod:`bayesml.results.chunks`); only the returned array has the full size."""
    if kind not in PREDICT_KINDS:
        raise ArgumentError(f"kind must be one of {list(PREDICT_KINDS)}; got kind={kind!r}")
    if not isinstance(include_random_effects, bool | np.bool_):
        raise ArgumentTypeError(
            "include_random_effects must be True or False; got "
            f"include_random_effects={include_random_effects!r}"
        )
    posterior = result["posterior"].to_dataset()
    rng = np.random.default_rng(random_seed)
    if new_data is None:
        rows = _fitted_rows(design, include_random_effects)
    else:
        if not isinstance(new_data, pd.DataFrame):
            raise ArgumentTypeError(
                f"new_data must be a pandas DataFrame; got {type(new_data).__name__}"
            )
        rows = _new_rows(design, posterior, new_data, rng, include_random_effects)
    if kind == "linear":
        values = map_draw_chunks(posterior, rows.n_rows, rows.eta, dtype=float)
        levels = design.response.levels
        # a categorical model's η: one per non-reference category
        labels = () if levels is None else family.dimension_labels(levels).get("predictor", ())
        return _as_dataarray(values, posterior, "eta", labels)
    if kind == "mean":

        def chunk_means(part: xr.Dataset, chunk: DrawChunk) -> np.ndarray:
            mu = family.mu_from_eta(rows.eta(part, chunk))
            return family.expected_response(mu, rows.parameters(part, chunk, family))

        values = map_draw_chunks(
            posterior,
            rows.n_rows,
            chunk_means,
            dtype=float,
            row_bytes=_row_bytes(design, rows.n_rows),
        )
        levels = design.response.levels
        labels = () if levels is None else family.dimension_labels(levels).get("category", ())
        return _as_dataarray(values, posterior, "mu", labels)
    if family.uses_trials and rows.trials is None:
        raise DataError(
            f"kind='response' for a {family.name} model needs the trials of the new rows"
        )
    values = _response_draws(
        family, rows, posterior, rng, weights=None, n_row_bytes=_row_bytes(design, rows.n_rows)
    )
    return _as_dataarray(values, posterior, design.observed_name, _response_labels(design))
