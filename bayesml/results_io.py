"""Save results (``xarray.DataTree``) to netCDF with their spec, and load them back."""

from __future__ import annotations

import importlib.util
import json
from numbers import Number
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bayesml._version import __version__
from bayesml.errors import DataError, MissingDependencyError

if TYPE_CHECKING:
    import xarray as xr

    from bayesml.spec import ModelSpec

__all__ = ["save_result", "load_result", "result_spec"]

SPEC_ATTR = "bayesml_spec"
VERSION_ATTR = "bayesml_version"

#: netCDF engines in order of preference -> the modules each needs
_ENGINES = {"h5netcdf": ("h5netcdf", "h5py"), "netcdf4": ("netCDF4",)}


def save_result(result: xr.DataTree, path: str | Path, *, spec: ModelSpec | None = None) -> Path:
    """Write a result to a netCDF-4 file, with the spec and the bayesml version in its attributes.

    The result itself is not modified. Variables of object dtype (e.g. nutpie's
    ``divergence_message``, mixing strings and None) are written as strings, None as ``""``;
    attribute values netCDF cannot hold (None, dicts, booleans) are written as text.

    Parameters
    ----------
    result
        The DataTree returned by ``Model.sample``.
    path
        Output file, conventionally ``*.nc``; an existing file is replaced.
    spec
        The model's spec, stored as YAML in the root attribute ``bayesml_spec``; when None, a
        ``bayesml_spec`` already in the result's attributes is kept.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    DataError
        If the output directory does not exist.
    MissingDependencyError
        If neither h5netcdf (with h5py) nor netCDF4 is installed.
    """
    import xarray as xr

    path = Path(path)
    if not path.parent.is_dir():
        raise DataError(f"cannot write {path}: directory {path.parent} does not exist")
    nodes = {node.path: _writable(node.to_dataset(inherit=False)) for node in result.subtree}
    root = nodes["/"]
    root.attrs[VERSION_ATTR] = __version__
    if spec is not None:
        root.attrs[SPEC_ATTR] = spec.to_yaml()
    xr.DataTree.from_dict(nodes).to_netcdf(path, engine=_engine(), mode="w")
    return path


def load_result(path: str | Path) -> xr.DataTree:
    """Read a result written by :func:`save_result`, fully into memory (the file is closed).

    Returns
    -------
    xarray.DataTree
        With the root attributes ``bayesml_version`` and, when saved with a spec,
        ``bayesml_spec`` (YAML text; see :func:`result_spec`).

    Raises
    ------
    DataError
        If the file does not exist or is not a netCDF file.
    """
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        raise DataError(f"result file not found: {path}")
    try:
        with xr.open_datatree(path, engine=_engine()) as tree:
            return tree.load().copy(deep=True)
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read result file {path}: {error}") from error


def result_spec(result: xr.DataTree) -> ModelSpec | None:
    """The spec stored in a result's attributes, or None when there is none."""
    from bayesml.spec import ModelSpec

    text = result.attrs.get(SPEC_ATTR)
    return None if text is None else ModelSpec.from_yaml(text, source=SPEC_ATTR)


def _engine() -> str:
    """The first netCDF engine whose modules are installed."""
    for engine, modules in _ENGINES.items():
        if all(importlib.util.find_spec(module) is not None for module in modules):
            return engine
    raise MissingDependencyError(
        "saving results needs h5netcdf with h5py (or netCDF4); "
        "install them with `pip install h5netcdf h5py`"
    )


def _writable(dataset: xr.Dataset) -> xr.Dataset:
    """A copy of a dataset whose object-dtype variables and attributes netCDF can store."""
    dataset = dataset.copy()  # new Variable objects: setting their attrs leaves the input alone
    for variable in dataset.variables.values():
        variable.attrs = {key: _writable_attr(value) for key, value in variable.attrs.items()}
    converted = {
        name: (variable.dims, _as_strings(variable.values), variable.attrs)
        for name, variable in dataset.variables.items()
        if variable.dtype == object and not _all_strings(variable.values)
    }
    coords = {name: value for name, value in converted.items() if name in dataset.coords}
    data_vars = {name: value for name, value in converted.items() if name not in coords}
    dataset = dataset.assign_coords(coords).assign(data_vars)
    dataset.attrs = {key: _writable_attr(value) for key, value in dataset.attrs.items()}
    return dataset


def _all_strings(values: np.ndarray) -> bool:
    return all(isinstance(value, str) for value in values.ravel())


def _as_strings(values: np.ndarray) -> np.ndarray:
    """Object array -> unicode array: None becomes "", anything else its ``str``."""
    flat = ["" if value is None else str(value) for value in values.ravel()]
    return np.array(flat, dtype=str).reshape(values.shape)


def _writable_attr(value: Any) -> Any:
    """An attribute value netCDF can hold: numbers, strings and flat arrays of them."""
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, str | Number | np.ndarray) and not isinstance(value, complex):
        return value
    if isinstance(value, list | tuple) and value:
        if all(isinstance(item, str) for item in value) or all(
            isinstance(item, Number) and not isinstance(item, bool | complex) for item in value
        ):
            return list(value)
    return json.dumps(value, default=str)
