"""Where a model's data come from: a bundled data set's name or a CSV path."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bayesml.errors import DataError

__all__ = ["resolve_data"]


def resolve_data(source: str | Path | None, base_dir: Path | None = None) -> pd.DataFrame:
    """Load the data named by a spec's ``data`` entry.

    Parameters
    ----------
    source
        A bundled data set's name (``bayesml.datasets.list_datasets()``) or a path to a CSV file;
        relative paths resolve against ``base_dir`` (the spec file's folder).
    base_dir
        Folder of the spec file, if any.
    """
    from bayesml import datasets

    if source is None:
        raise DataError("no data: pass a DataFrame as `data`, or set `data` in the spec to a bundled data set or a CSV path")
    text = str(source)
    if text in datasets.names():
        return datasets.load(text)
    path = Path(text)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if path.suffix.lower() in (".csv", ".gz") or path.exists():
        if not path.exists():
            raise DataError(f"data: file {str(path)!r} does not exist")
        return pd.read_csv(path)
    raise DataError(
        f"data: {text!r} is neither a bundled data set ({', '.join(datasets.names())}) nor an existing CSV file"
    )
