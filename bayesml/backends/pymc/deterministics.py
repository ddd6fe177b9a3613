"""The Deterministics of a PyMC model at every posterior draw, in numpy, without numba.

nutpie compiles a second numba function (its *expand* function) for every variable it stores. The
Deterministics (``beta`` stacked from its scalars, ``sd_<group>``, ``corr_<group>``, the effect
columns) make that function cost seconds of compilation in a fresh process — 3.5 s of bacteria's
12 s. So nutpie stores only the free variables, and this module computes the Deterministics
afterwards from the same graph: vectorised over the draws (:func:`pytensor.graph.replace.vectorize_graph`)
and run once by PyTensor's Python linker, which compiles in a fraction of a second and evaluates
every node as one numpy operation over all draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import xarray as xr
from pytensor.compile.mode import Mode
from pytensor.graph.replace import vectorize_graph
from pytensor.graph.traversal import ancestors

__all__ = ["add_deterministics"]

SAMPLE_DIMS = ("chain", "draw")
_PYTHON_MODE = Mode(linker="py", optimizer="fast_compile")


def add_deterministics(posterior: xr.Dataset, model: pm.Model, names: Sequence[str]) -> xr.Dataset:
    """``posterior`` with the Deterministics ``names`` of ``model`` computed at every draw.

    Parameters
    ----------
    posterior
        Draws of the free random variables of ``model`` that the Deterministics depend on (dims
        ``chain``, ``draw`` first); others (the latent probit magnitudes, which samplers do not
        store) may be missing.
    model
        The model whose Deterministics to evaluate.
    names
        Names of the Deterministics to add (those already in ``posterior`` are skipped).

    Returns
    -------
    xarray.Dataset
        The posterior with one variable per name, dims from the model's ``dims``.

    Raises
    ------
    ValueError
        If a Deterministic depends on a free variable that ``posterior`` lacks.
    """
    names = [name for name in names if name not in posterior]
    if not names:
        return posterior
    targets = [model[name] for name in names]
    free = [rv for rv in model.free_RVs if rv.name in posterior]
    absent = {rv for rv in model.free_RVs if rv.name not in posterior}
    needed = absent & set(ancestors(targets))
    if needed:
        raise ValueError(
            f"the Deterministics {names} need the draws of {sorted(rv.name for rv in needed)}, "
            "which the posterior lacks"
        )
    batched = {
        rv: pt.tensor(name=rv.name, dtype=rv.dtype, shape=(None,) * (rv.ndim + 1)) for rv in free
    }
    outputs = vectorize_graph(targets, replace=batched)
    function = pytensor.function(
        list(batched.values()), outputs, mode=_PYTHON_MODE, on_unused_input="ignore"
    )
    n_chains, n_draws = posterior.sizes["chain"], posterior.sizes["draw"]
    values = []
    for rv in free:
        draws = posterior[rv.name].transpose(*SAMPLE_DIMS, ...).values
        values.append(np.ascontiguousarray(draws).reshape(n_chains * n_draws, *draws.shape[2:]))
    results = function(*values)
    dims_of = model.named_vars_to_dims
    added = {}
    for name, result in zip(names, results, strict=True):
        result = np.asarray(result).reshape(n_chains, n_draws, *np.shape(result)[1:])
        dims = tuple(dims_of.get(name) or ()) or tuple(
            f"{name}_dim_{axis}" for axis in range(result.ndim - 2)
        )
        coords = {dim: list(model.coords[dim]) for dim in dims if model.coords.get(dim) is not None}
        added[name] = xr.DataArray(result, dims=(*SAMPLE_DIMS, *dims), coords=coords)
    return posterior.assign(added)
