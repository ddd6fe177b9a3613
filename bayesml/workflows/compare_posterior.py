"""Posterior summaries (mean, sd, HDI) of a NUTS or Gibbs result, for :func:`bayesml.compare`.

The result is the ``xarray.DataTree`` of ``Model.sample``. Which backend drew it is read from the
root attribute ``bayesml_method`` that ``Model.sample`` stamps, or else guessed from
``sample_stats`` (NUTS records ``diverging``; the Gibbs sampler its Metropolis and slice counts).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
import yaml

from bayesml.results.tables import order_names
from bayesml.workflows.compare_estimates import Estimate, flat_label, parameter_kind

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["posterior_estimates", "posterior_family", "posterior_method"]

SAMPLE_DIMS = ("chain", "draw")

#: sample_stats variable (or prefix) -> the method that writes it
_STAT_MARKERS: dict[str, str] = {
    "diverging": "nuts",
    "accept_corr_": "gibbs",
    "slice_evals_": "gibbs",
    "expansion_evals_": "gibbs",
}


def posterior_method(result: xr.DataTree) -> str:
    """``"nuts"``, ``"gibbs"`` or, when neither can be told, ``"posterior"``."""
    method = result.attrs.get("bayesml_method")
    if isinstance(method, str) and method in ("nuts", "gibbs"):
        return method
    if "sample_stats" in result.children:
        names = list(result["sample_stats"].data_vars)
        for marker, marked in _STAT_MARKERS.items():
            if any(name == marker or name.startswith(marker) for name in names):
                return marked
    return "posterior"


def posterior_family(result: xr.DataTree) -> tuple[str, str] | None:
    """(family, link) from the spec stamped on the result; None when the result has no spec."""
    from bayesml.families import DEFAULT_FAMILY, get_family

    text = result.attrs.get("bayesml_spec")
    if not isinstance(text, str):
        return None
    spec = yaml.safe_load(text) or {}
    family = get_family(spec.get("family", DEFAULT_FAMILY), spec.get("link"))
    return family.name, family.link.name


def _flattened(name: str, variable: xr.DataArray) -> Iterator[tuple[str, np.ndarray]]:
    """(label, draws of shape (chain, draw)) of each element; the upper triangle of a corr_."""
    dims = [dim for dim in variable.dims if dim not in SAMPLE_DIMS]
    variable = variable.transpose(*SAMPLE_DIMS, *dims)
    coords = [
        [str(v) for v in variable.coords[dim].values]
        if dim in variable.coords
        else [str(i) for i in range(variable.sizes[dim])]
        for dim in dims
    ]
    if parameter_kind(name) == "corr" and len(dims) == 2:
        labels = coords[0]
        for i, j in itertools.combinations(range(len(labels)), 2):
            yield flat_label(name, (labels[i], labels[j])), variable.values[:, :, i, j]
        return
    for index in itertools.product(*(range(len(c)) for c in coords)):
        labels = [coords[axis][i] for axis, i in enumerate(index)]
        yield flat_label(name, labels), variable.values[(slice(None), slice(None), *index)]


def posterior_estimates(
    result: xr.DataTree, *, ci_prob: float, include_random_effects: bool
) -> list[Estimate]:
    """Mean, sd and ``ci_prob`` HDI of every compared parameter of ``result``'s posterior, in
    the shared parameter order."""
    import arviz_stats

    posterior = result["posterior"].to_dataset()
    posterior = posterior[order_names([str(name) for name in posterior.data_vars])]
    kinds, labels, draws = [], [], []
    for name, variable in posterior.data_vars.items():
        kind = parameter_kind(str(name))
        if kind is None or (kind == "random" and not include_random_effects):
            continue
        for label, values in _flattened(str(name), variable):
            kinds.append(kind)
            labels.append(label)
            draws.append(np.asarray(values, dtype=float))
    if not draws:
        return []
    stacked = np.stack(draws, axis=-1)
    array = xr.DataArray(stacked, dims=(*SAMPLE_DIMS, "parameter"))
    hdi = arviz_stats.hdi(array, prob=ci_prob).transpose("parameter", "ci_bound").values
    flat = stacked.reshape(-1, stacked.shape[-1])
    mean = flat.mean(axis=0)
    sd = flat.std(axis=0, ddof=1) if flat.shape[0] > 1 else np.full(mean.size, np.nan)
    return [
        Estimate(label, kind, float(m), float(s), float(lo), float(hi))
        for label, kind, m, s, (lo, hi) in zip(labels, kinds, mean, sd, hdi, strict=True)
    ]
