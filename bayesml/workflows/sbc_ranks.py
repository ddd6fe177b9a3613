"""Rank statistics of simulation-based calibration: which entries, thinning, ranks, PIT values.

Pure numpy over a posterior :class:`xarray.Dataset`; no model and no sampler here.

* :func:`select_entries`: the scalar entries checked — every fixed effect, SD, correlation (its
  upper triangle) and family parameter, and the random effects of a seeded sample of levels per
  grouping factor.
* :func:`auto_thin` / :func:`thinned`: keep every ``thin``-th draw of each chain so that the kept
  draws are near-independent (``"auto"``: about as many as the smallest bulk ESS of the checked
  entries, as the SBC R package and simuk advise).
* :func:`rank_statistics`: the rank of the true value among the kept draws, ties broken at random
  (Talts et al. 2018): under a correct sampler uniform on 0, …, L.
* :func:`randomized_pit`: (rank + V) / (L + 1) with V uniform on (0, 1): exactly uniform on (0, 1)
  under a correct sampler whatever L, so simulations thinned to different L pool into one test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from bayesml.errors import ArgumentError
from bayesml.results.convergence import ess_bulk

__all__ = [
    "Entry",
    "auto_thin",
    "entry_draws",
    "randomized_pit",
    "rank_statistics",
    "select_entries",
    "thinned",
]

#: prefix of the random-effect variables (``u_county``, ``u_zi_site``)
RANDOM_EFFECT_PREFIX = "u_"


@dataclass(frozen=True)
class Entry:
    """One scalar of the posterior: ``variable`` at ``index`` (its non-sample dims), named
    ``label`` as the summary tables name it (``beta[floor]``, ``u_county[AITKIN, Intercept]``)."""

    label: str
    variable: str
    index: tuple[int, ...]


def _label(variable: str, data: xr.DataArray, index: tuple[int, ...]) -> str:
    if not index:
        return variable
    dims = [dim for dim in data.dims if dim not in ("chain", "draw")]
    labels = [
        str(data.coords[dim].values[i]) if dim in data.coords else str(i)
        for dim, i in zip(dims, index, strict=True)
    ]
    return f"{variable}[{', '.join(labels)}]"


def select_entries(
    prior: xr.Dataset,
    *,
    parameters: Sequence[str] | None,
    n_random_effects: int,
    rng: np.random.Generator,
) -> list[Entry]:
    """The scalar entries whose ranks are computed.

    Parameters
    ----------
    prior
        Prior draws with the posterior's names and dims (``chain``, ``draw`` first).
    parameters
        Variable names (``"beta"``, ``"sd_g"``) or entry labels (``"beta[x]"``); None: every
        variable.
    n_random_effects
        Levels sampled per random-effect variable (all its terms at those levels); 0: none.
    rng
        Draws the sample of levels.

    Raises
    ------
    ArgumentError
        For a name that is neither a variable nor an entry label (listing the variables).
    """
    entries: list[Entry] = []
    for variable, data in prior.data_vars.items():
        variable = str(variable)
        shape = tuple(data.shape[2:])
        indices = [tuple(int(i) for i in index) for index in np.ndindex(*shape)]
        if variable.startswith("corr_") and len(shape) >= 2:
            indices = [index for index in indices if index[-2] < index[-1]]
        if variable.startswith(RANDOM_EFFECT_PREFIX) and shape and parameters is None:
            levels = shape[0]
            chosen = np.sort(rng.choice(levels, size=min(n_random_effects, levels), replace=False))
            indices = [index for index in indices if index[0] in set(chosen.tolist())]
        entries += [Entry(_label(variable, data, index), variable, index) for index in indices]
    if parameters is None:
        return entries
    by_label = {entry.label: entry for entry in entries}
    variables = list(prior.data_vars)
    chosen_entries: list[Entry] = []
    for name in parameters:
        if name in prior.data_vars:
            chosen_entries += [entry for entry in entries if entry.variable == name]
        elif name in by_label:
            chosen_entries.append(by_label[name])
        else:
            raise ArgumentError(
                f"parameters: {name!r} is neither a parameter of the model nor one of its entries; "
                f"the parameters are {variables} (an entry is written like 'beta[x]')"
            )
    return list(dict.fromkeys(chosen_entries))


def entry_draws(posterior: xr.Dataset, entries: Sequence[Entry]) -> np.ndarray:
    """The draws of every entry: a ``(chain, draw, entry)`` array."""
    columns = []
    for entry in entries:
        data = posterior[entry.variable].transpose("chain", "draw", ...)
        values = np.asarray(data.values, dtype=float)
        columns.append(values[(slice(None), slice(None), *entry.index)])
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    return np.stack(columns, axis=2) if columns else np.zeros((chains, draws, 0))


def auto_thin(draws: np.ndarray) -> int:
    """The thinning that keeps about as many draws as the smallest bulk ESS of the entries.

    ``draws`` is ``(chain, draw, entry)``; entries without a finite ESS (constant draws) are
    ignored. At least 1; at most the draws per chain (one kept draw per chain).
    """
    chains, length, _ = draws.shape
    ess = ess_bulk(draws) if draws.shape[2] else np.array([])
    ess = ess[np.isfinite(ess) & (ess > 0)]
    if ess.size == 0:
        return 1
    thin = int(np.floor(chains * length / float(np.min(ess))))
    return int(min(max(thin, 1), length))


def thinned(draws: np.ndarray, thin: int) -> np.ndarray:
    """Every ``thin``-th draw of each chain, pooled: a ``(kept, entry)`` array."""
    kept = draws[:, ::thin, :]
    return kept.reshape(-1, draws.shape[2])


def rank_statistics(kept: np.ndarray, truths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ranks of the true values among the kept draws, ties broken at random.

    Parameters
    ----------
    kept
        ``(L, entry)`` kept draws.
    truths
        ``(entry,)`` true values.
    rng
        Breaks ties: a true value equal to k draws gets a rank uniform over the k + 1 places.

    Returns
    -------
    numpy.ndarray
        Integer ranks in 0, …, L, one per entry.
    """
    below = np.sum(kept < truths[None, :], axis=0)
    ties = np.sum(kept == truths[None, :], axis=0)
    return (below + rng.integers(0, ties + 1)).astype(int)


def randomized_pit(ranks: Any, max_rank: Any, rng: np.random.Generator) -> np.ndarray:
    """(rank + V) / (L + 1), V ~ uniform(0, 1): uniform on (0, 1) when the rank is uniform on
    0, …, L (``max_rank`` = L), whatever L."""
    ranks = np.asarray(ranks, dtype=float)
    jitter = rng.uniform(0.0, 1.0, size=ranks.shape)
    return (ranks + jitter) / (np.asarray(max_rank, dtype=float) + 1.0)
