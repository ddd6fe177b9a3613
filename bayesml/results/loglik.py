"""The ``log_likelihood`` group every sampling backend adds to its result
(:func:`log_likelihood_dataset`), from the family's numpy log-likelihood, on the same
parameterisation as the PyMC likelihoods (so ``loo`` sees the same numbers whichever backend
produced the draws).

The group has chains × draws × rows values. It is computed in chunks of draws
(:mod:`bayesml.results.chunks`) and stored as float32: half the memory of float64, and ArviZ's
``loo`` (``arviz_stats`` 1.x) computes in float64 from it, so the elpd moves by float32 rounding
of the pointwise values only (relative 10⁻⁷; tested). A lazy (dask-backed) group would cost no
memory until used, but ``arviz_stats.loo`` refuses dask arrays (its ``apply_ufunc`` calls do not
enable dask), so every user would have to load it first.

:meth:`bayesml.Model.sample` stores the group when ``log_likelihood=True``, not when ``False``, and
under ``"auto"`` (the default) when chains × draws × rows is at most
:data:`AUTO_LOG_LIKELIHOOD_LIMIT`; :func:`add_log_likelihood` adds it to a result afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from bayesml.errors import ArgumentError, ArgumentTypeError, DataError, warn
from bayesml.families import Family, get_family
from bayesml.results.chunks import map_draw_chunks
from bayesml.results.draws import fitted_eta_draws, fitted_parameter_draws

if TYPE_CHECKING:
    import xarray as xr

    from bayesml.design import ModelDesign

__all__ = [
    "AUTO_LOG_LIKELIHOOD_LIMIT",
    "LOG_LIKELIHOOD_DTYPE",
    "OBS_DIM",
    "add_log_likelihood",
    "log_likelihood_dataset",
    "log_likelihood_values",
    "parameter_draws",
    "pointwise_log_likelihood",
    "parameter_values",
    "resolve_log_likelihood",
    "row_bytes",
]

#: the dimension of the observations in ``log_likelihood`` and ``observed_data``
OBS_DIM = "obs"

#: the dtype of the stored ``log_likelihood`` group
LOG_LIKELIHOOD_DTYPE = np.dtype("float32")

#: ``log_likelihood="auto"`` stores the group when chains × draws × rows is at most this:
#: 5·10⁷ values, 200 MB as float32 (4 chains × 1000 draws of 12,500 rows)
AUTO_LOG_LIKELIHOOD_LIMIT = 50_000_000

LogLikelihoodSetting = bool | Literal["auto"]


def pointwise_log_likelihood(
    family: Family | str,
    y: np.ndarray,
    mu: np.ndarray,
    params: Mapping[str, np.ndarray] | None = None,
    *,
    trials: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Log-likelihood of each observation given its mean (:meth:`Family.log_likelihood`).

    Parameters
    ----------
    family
        A :class:`~bayesml.families.Family` or the name of one.
    y
        Observed response, shape ``(n,)``.
    mu
        Mean of each observation, broadcastable against ``y`` (e.g. ``(chain, draw, n)``).
    params
        Family parameters (``sigma``, ``nu``, ``alpha``, ``kappa``), each broadcastable against
        ``mu`` (e.g. shape ``(chain, draw, 1)``).
    trials, weights
        Binomial trials and prior weights, shape ``(n,)``.
    """
    if isinstance(family, str):
        family = get_family(family)
    return family.log_likelihood(y, mu, params, trials=trials, weights=weights)


def parameter_draws(
    posterior: xr.Dataset, family: Family, design: ModelDesign | None = None
) -> dict[str, np.ndarray]:
    """The family's parameters as arrays broadcastable against ``(chain, draw, obs)``: one value
    per draw, or per draw and fitted row for a parameter with a formula of ``design``."""
    predictors = {} if design is None else design.predictors
    return {
        param.name: (
            fitted_parameter_draws(posterior, predictors[param.name])
            if param.name in predictors
            else parameter_values(posterior, param.name)
        )
        for param in family.parameters
    }


def parameter_values(posterior: xr.Dataset, name: str) -> np.ndarray:
    """Draws of one family parameter broadcastable against ``(chain, draw, obs)``: shape
    ``(chain, draw, 1)``, or ``(chain, draw, 1, K − 1)`` for a vector such as ``cutpoints`` (its
    own dimension last)."""
    return np.expand_dims(posterior[name].transpose("chain", "draw", ...).values, axis=2)


def row_bytes(design: ModelDesign) -> int:
    """Bytes of one draw's largest intermediate: rows × 8, times the categories of an ordinal
    response (whose computations hold one value per row and category)."""
    levels = design.response.levels
    return design.n_obs * np.dtype("float64").itemsize * (1 if levels is None else len(levels))


def log_likelihood_values(
    posterior: xr.Dataset, design: ModelDesign, family: Family, dtype: Any = LOG_LIKELIHOOD_DTYPE
) -> np.ndarray:
    """The pointwise log-likelihood of every draw and row, computed in chunks of draws.

    Returns
    -------
    numpy.ndarray
        Shape ``(chain, draw, obs)``, of ``dtype`` (float32 by default).
    """
    response = design.response

    def chunk_values(part: xr.Dataset, _chunk) -> np.ndarray:
        mu = family.mu_from_eta(fitted_eta_draws(part, design))
        return family.log_likelihood(
            response.y,
            mu,
            parameter_draws(part, family, design),
            trials=response.trials,
            weights=response.weights,
        )

    return map_draw_chunks(
        posterior, design.n_obs, chunk_values, dtype=dtype, row_bytes=row_bytes(design)
    )


def log_likelihood_dataset(
    posterior: xr.Dataset,
    design: ModelDesign,
    family: Family,
    name: str | None = None,
    *,
    dtype: Any = LOG_LIKELIHOOD_DTYPE,
) -> xr.Dataset:
    """The ``log_likelihood`` group: the pointwise log-likelihood of every observation and draw.

    Computed in chunks of draws (:mod:`bayesml.results.chunks`), so that no intermediate array is
    larger than the chunk budget.

    Parameters
    ----------
    posterior
        Draws with the shared posterior names (``beta``, ``u_<group>`` and the family's
        auxiliary parameters), dims ``(chain, draw, ...)``.
    design, family
        The model's design and family.
    name
        Name of the variable (default: the design's ``observed_name``).
    dtype
        The stored dtype (default float32, see the module text).

    Returns
    -------
    xarray.Dataset
        One variable, dims ``(chain, draw, obs)``.
    """
    import xarray as xr

    values = log_likelihood_values(posterior, design, family, dtype)
    data = xr.DataArray(
        values,
        dims=("chain", "draw", OBS_DIM),
        coords={
            "chain": posterior.coords["chain"].values,
            "draw": posterior.coords["draw"].values,
            OBS_DIM: np.arange(design.n_obs),
        },
    )
    return xr.Dataset({design.observed_name if name is None else name: data})


def resolve_log_likelihood(setting: object, *, chains: int, draws: int, n_obs: int) -> bool:
    """Whether to store the ``log_likelihood`` group: ``setting``, with ``"auto"`` decided.

    ``"auto"`` stores it when chains × draws × rows is at most :data:`AUTO_LOG_LIKELIHOOD_LIMIT`;
    above it, it does not, and says so once (a ``UserWarning`` at the user's line, which
    Python shows once per line) with how to get the group.

    Raises
    ------
    ArgumentError
        If ``setting`` is not True, False or ``"auto"``.
    """
    check_log_likelihood_setting(setting)
    if setting != "auto":
        return bool(setting)
    size = chains * draws * n_obs
    if size <= AUTO_LOG_LIKELIHOOD_LIMIT:
        return True
    gigabytes = size * LOG_LIKELIHOOD_DTYPE.itemsize / 1e9
    warn(
        f"the log_likelihood group was not stored: {chains} chains × {draws} draws × "
        f"{n_obs:,} rows = {size:.2g} values ({gigabytes:.1f} GB as float32) is above "
        f"log_likelihood='auto''s limit of {AUTO_LOG_LIKELIHOOD_LIMIT:.2g}. Add it when you need "
        "it (arviz_stats.loo, bayesml.power_sensitivity) with "
        "bayesml.add_log_likelihood(result, model), or sample with log_likelihood=True"
    )
    return False


def check_log_likelihood_setting(setting: object) -> LogLikelihoodSetting:
    """``setting`` if it is True, False or ``"auto"``, else an :class:`ArgumentError`."""
    if isinstance(setting, bool | np.bool_) or (isinstance(setting, str) and setting == "auto"):
        return setting if isinstance(setting, str) else bool(setting)
    raise ArgumentError(
        f"log_likelihood must be True, False or 'auto'; got log_likelihood={setting!r}"
    )


def add_log_likelihood(result: xr.DataTree, model: Any) -> xr.DataTree:
    """Add the ``log_likelihood`` group to a result of ``model.sample(...)``.

    For results sampled with ``log_likelihood=False``, or under ``"auto"`` above its size limit
    (see :meth:`bayesml.Model.sample`). The group is the one ``sample`` would have stored: the
    pointwise log-likelihood of every draw and row (float32, dims ``chain``, ``draw``, ``obs``),
    computed in chunks of draws (:mod:`bayesml.results.chunks`). An existing group is replaced.

    Parameters
    ----------
    result
        An ``xarray.DataTree`` with the ``posterior`` group of ``model.sample`` (or of
        :func:`bayesml.load_result`).
    model
        The :class:`bayesml.Model` the result was sampled from (its design and family).

    Returns
    -------
    xarray.DataTree
        ``result`` itself, with the group added in place.

    Raises
    ------
    ArgumentTypeError
        If ``result`` is not a DataTree or ``model`` not a model.
    DataError
        If ``result`` has no ``posterior``, or it was not sampled from ``model`` (other
        coefficients, levels or responses).

    Examples
    --------
    >>> result = model.sample(log_likelihood=False)            # doctest: +SKIP
    >>> bayesml.add_log_likelihood(result, model)              # doctest: +SKIP
    >>> arviz_stats.loo(result)                                 # doctest: +SKIP
    """
    import xarray as xr

    if not isinstance(result, xr.DataTree):
        raise ArgumentTypeError(
            f"result must be an xarray.DataTree from Model.sample; got {type(result).__name__}"
        )
    design = getattr(model, "design", None)
    family = getattr(model, "family", None)
    if design is None or not isinstance(family, Family):
        raise ArgumentTypeError(
            f"model must be the bayesml.Model the result was sampled from; got {type(model).__name__}"
        )
    if "posterior" not in result.children:
        raise DataError(
            "result has no 'posterior' group; add_log_likelihood needs a result of Model.sample"
        )
    posterior = result["posterior"].to_dataset()
    _check_sampled_from(result, posterior, design, family)
    result["log_likelihood"] = log_likelihood_dataset(posterior, design, family)
    return result


def _check_sampled_from(
    result: xr.DataTree, posterior: xr.Dataset, design: ModelDesign, family: Family
) -> None:
    """Refuse a result whose draws or observations do not belong to this design and family."""
    problems = []
    columns = list(design.fixed.column_names)
    if columns:
        if "beta" not in posterior:
            problems.append(f"its posterior has no beta (the model has coefficients {columns})")
        elif [str(c) for c in posterior["beta"].coords["coef"].values] != columns:
            got = [str(c) for c in posterior["beta"].coords["coef"].values]
            problems.append(f"its coefficients are {got}, the model's {columns}")
    for block in design.random:
        name = f"u_{block.name}"
        if name not in posterior:
            problems.append(f"its posterior has no {name}")
        # (a categorical or multinomial model's effects have a category axis after these)
        elif posterior[name].shape[2:4] != (len(block.levels), len(block.term_labels)):
            problems.append(
                f"its {name} has {posterior[name].shape[2:4]} (levels, terms), the model's "
                f"{(len(block.levels), len(block.term_labels))}"
            )
    missing = [param.name for param in family.parameters if param.name not in posterior]
    if missing:
        problems.append(f"its posterior has no {', '.join(missing)} ({family.name} family)")
    if "observed_data" in result.children:
        observed = result["observed_data"].to_dataset()
        name = design.observed_name
        if name in observed and (
            observed[name].shape != np.shape(design.response.y)
            or not np.array_equal(np.asarray(observed[name].values, dtype=float), design.response.y)
        ):
            problems.append(
                f"its observed {name!r} ({observed[name].shape[0]} rows) differs from the model's "
                f"response ({design.n_obs} rows)"
            )
    if problems:
        raise DataError("result was not sampled from this model: " + "; ".join(problems))
