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
from bayesml.results.chunks import DrawChunk, map_draw_chunks
from bayesml.results.draws import (
    add_random_effects,
    linear_predictor_draws,
    population_effect_draws,
)
from bayesml.results.loglik import OBS_DIM, parameter_draws

if TYPE_CHECKING:
    from bayesml.design import ModelDesign
    from bayesml.families import Family

__all__ = ["PREDICT_KINDS", "predict_draws", "predictive_dataset"]

#: what :func:`predict_draws` can return
PREDICT_KINDS = ("linear", "mean", "response")


def _as_dataarray(values: np.ndarray, parameters: xr.Dataset, name: str) -> xr.DataArray:
    return xr.DataArray(
        values,
        dims=("chain", "draw", OBS_DIM),
        coords={
            "chain": parameters.coords["chain"].values,
            "draw": parameters.coords["draw"].values,
            OBS_DIM: np.arange(values.shape[-1]),
        },
        name=name,
    )


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

    @property
    def n_rows(self) -> int:
        return self.fixed.shape[0]

    def eta(self, part: xr.Dataset, chunk: DrawChunk) -> np.ndarray:
        """η of the rows at the draws of ``part`` (the chunk ``chunk`` of the parameters)."""
        eta = linear_predictor_draws(part, self.fixed, [], self.offset)
        for (name, term_matrix, index), new in zip(self.random, self.new_effects, strict=True):
            effects = part[f"u_{name}"].values
            if new is not None:
                effects = np.concatenate([effects, new[chunk.index]], axis=2)
            add_random_effects(eta, effects, term_matrix, index)
        return eta


def _fitted_rows(design: ModelDesign, random_effects: bool = True) -> _Rows:
    """The fitted rows; without their random effects (all at 0) unless ``random_effects``."""
    response = design.response
    blocks = design.random if random_effects else ()
    return _Rows(
        fixed=design.fixed.matrix,
        random=tuple((b.name, b.term_matrix, b.group_index) for b in blocks),
        offset=design.offset,
        trials=response.trials,
        weights=response.weights,
        new_effects=(None,) * len(blocks),
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
    ``random_effects``, every random effect is 0 and the grouping columns are not read."""
    if random_effects:
        rows = design.transform(new_data)
        blocks = design.random
    else:
        rows = design.transform(new_data, random_effects=False)
        blocks = ()
    random, new_effects = [], []
    for block, (term_matrix, group_index, unseen) in zip(blocks, rows.random, strict=True):
        index = np.asarray(group_index).copy()
        seen = index >= 0
        new = None
        if not seen.all():
            labels = [str(label) for label in unseen]
            distinct = sorted(set(labels))
            new = population_effect_draws(posterior, block.name, len(distinct), rng)
            position = {label: i for i, label in enumerate(distinct)}
            index[~seen] = len(block.levels) + np.array([position[label] for label in labels])
        random.append((block.name, term_matrix, index))
        new_effects.append(new)
    return _Rows(
        fixed=rows.fixed,
        random=tuple(random),
        offset=rows.offset,
        trials=rows.trials,
        weights=None,
        new_effects=tuple(new_effects),
    )


def _response_draws(
    family: Family,
    rows: _Rows,
    parameters: xr.Dataset,
    rng: np.random.Generator,
    *,
    weights: np.ndarray | None,
) -> np.ndarray:
    """One new observation per draw and row, computed in chunks of draws from one generator
    (the same draws as at once: the chunks follow the C order of (chain, draw))."""

    def chunk_draws(part: xr.Dataset, chunk: DrawChunk) -> np.ndarray:
        mu = family.link.inverse(rows.eta(part, chunk))
        return family.draw(
            rng, mu, parameter_draws(part, family), trials=rows.trials, weights=weights
        )

    return map_draw_chunks(parameters, rows.n_rows, chunk_draws)


def predictive_dataset(
    design: ModelDesign, family: Family, parameters: xr.Dataset, rng: np.random.Generator
) -> xr.Dataset:
    """New observations of the fitted rows, one per draw of ``parameters`` (posterior or prior).

    Computed in chunks of draws (:mod:`bayesml.results.chunks`); only the draws themselves have
    the full chains × draws × rows size.
    """
    rows = _fitted_rows(design)
    values = _response_draws(family, rows, parameters, rng, weights=rows.weights)
    name = design.observed_name
    return xr.Dataset({name: _as_dataarray(values, parameters, name)})


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
        return _as_dataarray(values, posterior, "eta")
    if kind == "mean":

        def chunk_means(part: xr.Dataset, chunk: DrawChunk) -> np.ndarray:
            mu = family.link.inverse(rows.eta(part, chunk))
            return family.expected_response(mu, parameter_draws(part, family))

        values = map_draw_chunks(posterior, rows.n_rows, chunk_means, dtype=float)
        return _as_dataarray(values, posterior, "mu")
    if family.uses_trials and rows.trials is None:
        raise DataError(
            f"kind='response' for a {family.name} model needs the trials of the new rows"
        )
    values = _response_draws(family, rows, posterior, rng, weights=None)
    return _as_dataarray(values, posterior, design.observed_name)
