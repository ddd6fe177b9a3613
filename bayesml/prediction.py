"""Predictions from posterior draws: fitted rows, new data and new group levels (numpy only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayesml.results.draws import fitted_eta_draws, linear_predictor_draws, population_effect_draws
from bayesml.results.response_draws import draw_response

if TYPE_CHECKING:
    from bayesml.model import Model

__all__ = ["predict_draws", "predictive_dataset"]

OBS_DIM = "obs"


def _aux_draws(model: Model, parameters: xr.Dataset) -> dict[str, np.ndarray]:
    return {p.name: parameters[p.name].values[..., None] for p in model.family.aux_params}


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


def predictive_dataset(model: Model, parameters: xr.Dataset, rng: np.random.Generator) -> xr.Dataset:
    """New observations of the fitted rows, one per draw of ``parameters`` (posterior or prior)."""
    design = model.design
    mu = model.family.link.inverse(fitted_eta_draws(parameters, design))
    response = design.response
    values = draw_response(
        model.family.name, mu, _aux_draws(model, parameters), rng, trials=response.trials, weights=response.weights
    )
    name = design.observed_name
    return xr.Dataset({name: _as_dataarray(values, parameters, name)})


def _new_rows_eta(model: Model, posterior: xr.Dataset, new_data: pd.DataFrame, rng) -> tuple[np.ndarray, np.ndarray | None]:
    design = model.design
    rows = design.transform(new_data)
    parts = []
    for block, (term_matrix, group_index, unseen) in zip(design.random, rows.random, strict=True):
        u_fitted = posterior[f"u_{block.name}"].values
        chains, draws, _, k = u_fitted.shape
        u_rows = np.empty((chains, draws, len(group_index), k))
        seen = group_index >= 0
        u_rows[:, :, seen, :] = u_fitted[:, :, group_index[seen], :]
        if not seen.all():
            labels = [str(label) for label in unseen]
            distinct = sorted(set(labels))
            new_effects = population_effect_draws(posterior, block.name, len(distinct), rng)
            position = {label: i for i, label in enumerate(distinct)}
            new_index = np.array([position[label] for label in labels])
            u_rows[:, :, ~seen, :] = new_effects[:, :, new_index, :]
        parts.append((block.name, term_matrix, u_rows))
    eta = linear_predictor_draws(posterior, rows.fixed, parts, rows.offset)
    return eta, rows.trials


def predict_draws(
    model: Model,
    result: xr.DataTree,
    new_data: pd.DataFrame | None,
    *,
    kind: str,
    random_seed: int | None,
) -> xr.DataArray:
    """See :meth:`bayesml.Model.predict`."""
    if kind not in ("linear", "mean", "response"):
        raise ValueError(f"kind must be one of ['linear', 'mean', 'response']; got kind={kind!r}")
    posterior = result["posterior"].to_dataset()
    rng = np.random.default_rng(random_seed)
    trials = model.design.response.trials
    if new_data is None:
        eta = fitted_eta_draws(posterior, model.design)
    else:
        if not isinstance(new_data, pd.DataFrame):
            raise TypeError(f"new_data must be a pandas DataFrame; got {type(new_data).__name__}")
        eta, trials = _new_rows_eta(model, posterior, new_data, rng)
    if kind == "linear":
        return _as_dataarray(eta, posterior, "eta")
    mu = model.family.link.inverse(eta)
    if kind == "mean":
        return _as_dataarray(mu, posterior, "mu")
    if model.family.name == "binomial" and trials is None:
        raise ValueError("kind='response' for a binomial model needs the trials of the new rows")
    values = draw_response(model.family.name, mu, _aux_draws(model, posterior), rng, trials=trials)
    return _as_dataarray(values, posterior, model.design.observed_name)
