"""Read the bundled data sets into pandas data frames with their column types."""

from __future__ import annotations

import difflib
import re
from importlib import resources

import pandas as pd

from bayesml.datasets._registry import DATASETS, DatasetInfo
from bayesml.errors import DataError

__all__ = ["load", "list_datasets", "names", "check_dataset_name"]


def names() -> tuple[str, ...]:
    """The names of the bundled data sets, in registry order."""
    return tuple(DATASETS)


def check_dataset_name(name: str) -> DatasetInfo:
    """Return the registry entry of a bundled data set.

    Raises
    ------
    DataError
        If ``name`` is not a bundled data set; the message lists the available names and the
        closest match.
    """
    if not isinstance(name, str):
        raise DataError(f"a data set name must be a string, got {name!r} ({type(name).__name__})")
    if name in DATASETS:
        return DATASETS[name]
    close = difflib.get_close_matches(name, DATASETS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise DataError(f"unknown data set {name!r}{hint}; available: {', '.join(DATASETS)}")


def load(name: str) -> pd.DataFrame:
    """Load a bundled data set.

    Grouping, ID and string columns come back as pandas ``category`` (levels in their natural
    order, or R's order where R's reference level differs); numeric columns stay numeric.

    Parameters
    ----------
    name
        A name from :func:`list_datasets`, e.g. ``"rats"``.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        If ``name`` is not a bundled data set.

    Examples
    --------
    >>> from bayesml.datasets import load
    >>> load("rats").shape
    (150, 3)
    """
    info = check_dataset_name(name)
    source = resources.files("bayesml.datasets").joinpath("data", info.file)
    with resources.as_file(source) as path:
        frame = pd.read_csv(path, header=0 if info.header else None)
    for column, levels in info.categories.items():
        frame[column] = _as_category(frame[column], levels, ordered=column in info.ordered)
    return frame


def list_datasets() -> pd.DataFrame:
    """The bundled data sets: one row per data set with ``name``, ``rows`` and ``description``."""
    records = [
        {"name": name, "rows": info.rows, "description": info.description}
        for name, info in DATASETS.items()
    ]
    return pd.DataFrame.from_records(records, columns=["name", "rows", "description"])


def _natural_key(value: object) -> tuple:
    """Sort key putting 'R-2' before 'R-10' and numbers in numeric order."""
    if isinstance(value, str):
        parts = re.split(r"(\d+)", value)
        return (1, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts))
    return (0, value)


def _as_category(column: pd.Series, levels: tuple | None, *, ordered: bool) -> pd.Series:
    """Convert a column to ``category`` with the given levels or its values' natural order."""
    values = set(column.dropna().unique().tolist())
    if levels is None:
        levels = tuple(sorted(values, key=_natural_key))
    elif values - set(levels):
        # A registry mistake; fail loudly rather than turn the unknown values into NaN.
        raise DataError(
            f"column {column.name!r} has values {sorted(values - set(levels))} "
            f"outside the registered levels {list(levels)}"
        )
    return column.astype(pd.CategoricalDtype(list(levels), ordered=ordered))
