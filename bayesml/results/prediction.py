"""Predictions from posterior draws: fitted rows, new data and new group levels (numpy only).

Everything here needs only the model's design and family: the design encodes new rows as it
encoded the fitted ones, the family turns the linear predictor into means and draws of new
observations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayesml.errors import ArgumentError, ArgumentTypeError, DataError
from bayesml.results.draws import fitted_eta_draws, linear_predictor_draws, population_effect_draws
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


def predictive_dataset(
    design: ModelDesign, family: Family, parameters: xr.Dataset, rng: np.random.Generator
) -> xr.Dataset:
    """New observations of the fitted rows, one per draw of ``parameters`` (posterior or prior)."""
    mu = family.link.inverse(fitted_eta_draws(parameters, design))
    response = design.response
    values = family.draw(
        rng,
        mu,
        parameter_draws(parameters, family),
        trials=response.trials,
        weights=response.weights,
    )
    name = design.observed_name
    return xr.Dataset({name: _as_dataarray(values, parameters, name)})


def _new_rows_eta(
    design: ModelDesign, posterior: xr.Dataset, new_data: pd.DataFrame, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray | None]:
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
    design: ModelDesign,
    family: Family,
    result: xr.DataTree,
    new_data: pd.DataFrame | None,
    *,
    kind: str,
    random_seed: int | None,
) -> xr.DataArray:
    """See :meth:`bayesml.Model.predict`."""
    if kind not in PREDICT_KINDS:
        raise ArgumentError(f"kind must be one of {list(PREDICT_KINDS)}; got kind={kind!r}")
    posterior = result["posterior"].to_dataset()
    rng = np.random.default_rng(random_seed)
    trials = design.response.trials
    if new_data is None:
        eta = fitted_eta_draws(posterior, design)
    else:
        if not isinstance(new_data, pd.DataFrame):
            raise ArgumentTypeError(
                f"new_data must be a pandas DataFrame; got {type(new_data).__name__}"
            )
        eta, trials = _new_rows_eta(design, posterior, new_data, rng)
    if kind == "linear":
        return _as_dataarray(eta, posterior, "eta")
    mu = family.link.inverse(eta)
    params = parameter_draws(posterior, family)
    if kind == "mean":
        return _as_dataarray(family.expected_response(mu, params), posterior, "mu")
    if family.uses_trials and trials is None:
        raise DataError(
            f"kind='response' for a {family.name} model needs the trials of the new rows"
        )
    values = family.draw(rng, mu, params, trials=trials)
    return _as_dataarray(values, posterior, design.observed_name)
