"""Saving a sensitivity run to a directory (as fits finish, or at once) and reading it back.

Layout::

    index.json              what was run: spec, method, fit arguments, each configuration's
                            priors, its fit file or its error (type, message, traceback)
    fits/fit_000.nc ...     one netCDF per fitted configuration (bayesml.save_result)
    configurations.csv      SensitivityResult.configurations
    table.csv               SensitivityResult.table
    prior_predictive.csv    SensitivityResult.prior_predictive

The netCDF files and the index are the record; the CSV tables are for reading elsewhere.

This module sits below :mod:`~bayesml.workflows.sensitivity_result`: it writes and reads the
parts of a run, and :func:`~bayesml.workflows.sensitivity_result.load_sensitivity` makes the
:class:`~bayesml.workflows.sensitivity_result.SensitivityResult` from them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bayesml._version import __version__
from bayesml.errors import DataError
from bayesml.workflows.sensitivity_grid import PriorConfiguration
from bayesml.workflows.sensitivity_run import FitFailure

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from bayesml.spec import ModelSpec

__all__ = ["INDEX_FILE", "SensitivityWriter", "read_saved_run"]

INDEX_FILE = "index.json"
FITS_DIR = "fits"
FORMAT = "bayesml-sensitivity"
FORMAT_VERSION = 1


class SensitivityTables(Protocol):
    """The tables :meth:`SensitivityWriter.finish` writes (those of a ``SensitivityResult``)."""

    @property
    def configurations(self) -> pd.DataFrame: ...

    @property
    def table(self) -> pd.DataFrame: ...

    @property
    def prior_predictive(self) -> pd.DataFrame: ...


class SensitivityWriter:
    """Writes a run into a directory; the index is rewritten after every fit or failure.

    Parameters
    ----------
    directory
        Created if needed.
    spec, method, configurations, fit_kwargs
        What the run is (written to the index).
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        spec: ModelSpec,
        method: str,
        configurations: Sequence[PriorConfiguration],
        fit_kwargs: Mapping[str, Any],
    ) -> None:
        self.directory = Path(directory)
        (self.directory / FITS_DIR).mkdir(parents=True, exist_ok=True)
        self._header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "bayesml_version": __version__,
            "method": method,
            "spec": spec.to_yaml(),
            "fit_kwargs": dict(fit_kwargs),
        }
        self._entries = {
            configuration.label: {**configuration.to_dict(), "file": None, "error": None}
            for configuration in configurations
        }
        self._positions = {label: i for i, label in enumerate(self._entries)}
        self._write_index()

    def add_fit(self, label: str, result: xr.DataTree) -> None:
        """Save one fitted configuration and record its file in the index."""
        from bayesml.results_io import save_result

        relative = f"{FITS_DIR}/fit_{self._positions[label]:03d}.nc"
        save_result(result, self.directory / relative)
        self._entries[label].update(file=relative, error=None)
        self._write_index()

    def add_failure(self, label: str, failure: FitFailure) -> None:
        """Record a failed configuration with its error."""
        error = {"type": failure.type, "message": failure.message, "traceback": failure.traceback}
        self._entries[label].update(file=None, error=error)
        self._write_index()

    def finish(self, result: SensitivityTables) -> Path:
        """Write the CSV tables; returns the directory."""
        result.configurations.to_csv(self.directory / "configurations.csv", index=False)
        result.table.to_csv(self.directory / "table.csv", index=False)
        result.prior_predictive.to_csv(self.directory / "prior_predictive.csv", index=False)
        return self.directory

    def _write_index(self) -> None:
        index = {**self._header, "configurations": list(self._entries.values())}
        text = json.dumps(index, indent=2, default=_json_default)
        temporary = self.directory / f"{INDEX_FILE}.tmp"
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(self.directory / INDEX_FILE)


def _json_default(value: Any) -> Any:
    """numpy scalars and other values json cannot write: numbers as numbers, the rest as text."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def read_saved_run(directory: str | Path) -> dict[str, Any]:
    """Read the parts of a sensitivity run saved by :class:`SensitivityWriter` in ``directory``.

    Returns the keyword arguments of ``SensitivityResult``: ``spec``, ``method``,
    ``configurations``, ``results`` (label -> the loaded fit), ``failures`` (label ->
    :class:`FitFailure`) and ``fit_kwargs``. Configurations still running when a ``save_dir`` run
    stopped are in neither ``results`` nor ``failures``. The directory and the errors are those of
    :func:`~bayesml.workflows.sensitivity_result.load_sensitivity`, which makes the result.
    """
    from bayesml.results_io import load_result
    from bayesml.spec import ModelSpec

    directory = Path(directory)
    index = _read_index(directory)
    configurations, results, failures = [], {}, {}
    for entry in index["configurations"]:
        configuration = PriorConfiguration.from_dict(entry)
        configurations.append(configuration)
        if entry.get("file"):
            results[configuration.label] = load_result(directory / entry["file"])
        elif entry.get("error"):
            error = entry["error"]
            failures[configuration.label] = FitFailure(
                error["type"], error["message"], error.get("traceback", "")
            )
    return {
        "spec": ModelSpec.from_yaml(index["spec"], source=str(directory / INDEX_FILE)),
        "method": index["method"],
        "configurations": configurations,
        "results": results,
        "failures": failures,
        "fit_kwargs": index.get("fit_kwargs", {}),
    }


def _read_index(directory: Path) -> dict[str, Any]:
    path = directory / INDEX_FILE
    if not path.is_file():
        raise DataError(f"{directory} holds no saved sensitivity run: {INDEX_FILE} not found")
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"cannot read {path}: {error}") from error
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        raise DataError(f"{path} is not the index of a saved sensitivity run")
    return index
