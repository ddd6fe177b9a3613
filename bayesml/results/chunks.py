"""Draws-by-rows quantities computed a block of draws at a time, under a memory budget.

The linear predictor, the means, the pointwise log-likelihood and the predictive draws have one
value per draw and row: chains × draws × rows values, 4 × 1000 × 10⁵ = 4·10⁸ for a default fit of
10⁵ rows, 3.2 GB for each float64 array. They are computed here in chunks of draws, so that no
intermediate (draws of the chunk × rows) float64 array is larger than the chunk budget; only the
result the caller asked for has the full size.

The budget is :data:`DEFAULT_CHUNK_BYTES` (16 MiB) unless changed with :func:`set_chunk_budget`
(also ``bayesml.set_chunk_budget``) or, for a block of code, :func:`chunk_budget`. A chunk's
computation holds several such arrays at once (η, μ and the family's temporaries: scipy's
Bernoulli log-pmf alone makes half a dozen), so its working memory is up to about ten times the
budget, 0.15 GB with the default. Larger chunks are not faster: at 10⁵ rows the log-likelihood
takes the same time with 4 MiB and 64 MiB chunks (the work is elementwise; a chunk of 20 draws
already amortises the per-chunk overhead). A chunk holds at least one draw, so with more rows than
the budget holds in one draw (2·10⁶ rows for 16 MiB) each intermediate is one draw's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bayesml.errors import ArgumentError

if TYPE_CHECKING:
    import xarray as xr
    from numpy.typing import DTypeLike

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "DrawChunk",
    "chunk_budget",
    "draw_chunks",
    "get_chunk_budget",
    "map_draw_chunks",
    "set_chunk_budget",
]

#: the default largest size, in bytes, of one intermediate (draws × rows) float64 array
DEFAULT_CHUNK_BYTES = 16 * 2**20

_FLOAT_BYTES = np.dtype("float64").itemsize
_budget = DEFAULT_CHUNK_BYTES


def get_chunk_budget() -> int:
    """The largest size, in bytes, of one intermediate draws-by-rows array (see the module text)."""
    return _budget


def set_chunk_budget(nbytes: int | None) -> int:
    """Set the largest size of one intermediate draws-by-rows array; return the previous one.

    Parameters
    ----------
    nbytes
        Bytes (an integer >= 1), e.g. ``256 * 2**20`` for 256 MiB; None restores
        :data:`DEFAULT_CHUNK_BYTES` (16 MiB).

    Returns
    -------
    int
        The budget in force before the call (pass it back to restore it).

    Raises
    ------
    ArgumentError
        If ``nbytes`` is not None or an integer >= 1.

    Examples
    --------
    >>> import bayesml
    >>> previous = bayesml.set_chunk_budget(64 * 2**20)   # 64 MiB chunks
    >>> _ = bayesml.set_chunk_budget(previous)
    """
    global _budget
    previous = _budget
    _budget = DEFAULT_CHUNK_BYTES if nbytes is None else _checked_bytes(nbytes)
    return previous


@contextmanager
def chunk_budget(nbytes: int | None) -> Iterator[int]:
    """Use ``nbytes`` as the chunk budget inside a ``with`` block (see :func:`set_chunk_budget`)."""
    previous = set_chunk_budget(nbytes)
    try:
        yield _budget
    finally:
        set_chunk_budget(previous)


def _checked_bytes(nbytes: object) -> int:
    if not isinstance(nbytes, int | np.integer) or isinstance(nbytes, bool) or nbytes < 1:
        raise ArgumentError(
            f"the chunk budget must be a number of bytes (an integer >= 1) or None; "
            f"got nbytes={nbytes!r}"
        )
    return int(nbytes)


@dataclass(frozen=True)
class DrawChunk:
    """A block of draws: whole chains, or a range of draws of one chain (positions)."""

    chains: slice
    draws: slice

    @property
    def index(self) -> tuple[slice, slice]:
        """Where the chunk's values go in a ``(chain, draw, ...)`` array."""
        return self.chains, self.draws

    def select(self, dataset: xr.Dataset) -> xr.Dataset:
        """The chunk's draws of ``dataset`` (views, no copy)."""
        return dataset.isel(chain=self.chains, draw=self.draws)


def draw_chunks(
    chains: int, draws: int, row_bytes: int, budget: int | None = None
) -> list[DrawChunk]:
    """Blocks of draws, in (chain, draw) order, whose draws × ``row_bytes`` fit the budget.

    Parameters
    ----------
    chains, draws
        The sizes of the ``chain`` and ``draw`` dimensions.
    row_bytes
        Bytes one draw's intermediate array takes (rows × 8 for float64).
    budget
        The budget in bytes (default :func:`get_chunk_budget`).

    Returns
    -------
    list of DrawChunk
        Whole chains per chunk when a chain fits, else ranges of draws of one chain; at least one
        draw per chunk. Their order is the C order of ``(chain, draw)``, so that a random draw made
        chunk after chunk from one generator equals the one made at once.
    """
    budget = get_chunk_budget() if budget is None else _checked_bytes(budget)
    per_chunk = max(1, budget // max(int(row_bytes), 1))
    if per_chunk >= draws:
        step = per_chunk // draws
        return [
            DrawChunk(slice(start, min(start + step, chains)), slice(0, draws))
            for start in range(0, chains, step)
        ]
    return [
        DrawChunk(slice(chain, chain + 1), slice(start, min(start + per_chunk, draws)))
        for chain in range(chains)
        for start in range(0, draws, per_chunk)
    ]


def map_draw_chunks(
    parameters: xr.Dataset,
    n_rows: int,
    compute: Callable[[xr.Dataset, DrawChunk], np.ndarray],
    *,
    dtype: DTypeLike | None = None,
    row_bytes: int | None = None,
) -> np.ndarray:
    """``compute`` chunk by chunk of draws, gathered into one ``(chain, draw, n_rows)`` array.

    Parameters
    ----------
    parameters
        Draws with ``chain`` and ``draw`` dimensions (a posterior or prior).
    n_rows
        Rows of the result.
    compute
        ``compute(chunk_parameters, chunk)`` -> the chunk's values, shape
        ``(chunk chains, chunk draws, n_rows)``, or with trailing axes of their own (the
        category probabilities of an ordinal model: ``(chunk chains, chunk draws, n_rows, K)``).
    dtype
        The result's dtype; default that of the first chunk's values.
    row_bytes
        Bytes of one draw's largest intermediate (default ``n_rows`` float64 values).

    Returns
    -------
    numpy.ndarray
        Shape ``(chain, draw, n_rows)`` (and the trailing axes of ``compute``'s values).
    """
    chains, draws = parameters.sizes["chain"], parameters.sizes["draw"]
    row_bytes = n_rows * _FLOAT_BYTES if row_bytes is None else row_bytes
    first, *rest = draw_chunks(chains, draws, row_bytes)  # at least one chunk
    values = compute(first.select(parameters), first)
    shape = (chains, draws, n_rows, *values.shape[3:])
    out = np.empty(shape, dtype=values.dtype if dtype is None else dtype)
    out[first.index] = values
    del values
    for chunk in rest:
        out[chunk.index] = compute(chunk.select(parameters), chunk)
    return out
