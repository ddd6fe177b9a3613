"""Saving a sensitivity run to a directory (as fits finish, or at once) and reading it back.

Layout::

    index.json              what was run: spec, method, fit arguments, each configuration's
                            priors, its fit file or its error (type, message, traceback)
    fits/fit_000.nc ...     one netCDF per fitted configuration (bayesml.save_result)
    configurations.csv      SensitivityResult.configurations
    table.csv               SensitivityResult.table
    prior_predictive.csv    SensitivityResult.prior_predictive

The netCDF files and the index are the record; the CSV tables are for reading elsewhere.

A ``save_dir`` run started again with the same model, data, method, fit arguments and
configurations resumes (:func:`resume_saved_run`): the fits saved there are read back, the other
configurations (not reached, or failed) are fitted. A directory holding a run of other settings is
refused, naming what differs.

This module sits below :mod:`~bayesml.workflows.sensitivity_result`: it writes and reads the
parts of a run, and :func:`~bayesml.workflows.sensitivity_result.load_sensitivity` makes the
:class:`~bayesml.workflows.sensitivity_result.SensitivityResult` from them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bayesml._version import __version__
from bayesml.errors import ArgumentError, DataError
from bayesml.workflows.sensitivity_grid import PriorConfiguration
from bayesml.workflows.sensitivity_run import FitFailure

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from bayesml.spec import ModelSpec

__all__ = [
    "INDEX_FILE",
    "SensitivityWriter",
    "data_fingerprint",
    "read_saved_run",
    "resume_saved_run",
    "run_settings",
]

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
    run
        More of what the run is, for resuming it (:func:`run_settings`: prior predictive draws,
        the data's fingerprint); written to the index when given.
    kept
        Label -> fit file (relative to ``directory``) of the configurations a resumed run
        keeps from the earlier run.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        spec: ModelSpec,
        method: str,
        configurations: Sequence[PriorConfiguration],
        fit_kwargs: Mapping[str, Any],
        run: Mapping[str, Any] | None = None,
        kept: Mapping[str, str] | None = None,
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
            **({"run": dict(run)} if run is not None else {}),
        }
        kept = kept or {}
        self._entries = {
            configuration.label: {
                **configuration.to_dict(),
                "file": kept.get(configuration.label),
                "error": None,
            }
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


def data_fingerprint(data: pd.DataFrame) -> str:
    """A SHA-256 of the data frame's values, index and column names (pandas' row hashes)."""
    import pandas as pd

    rows = pd.util.hash_pandas_object(data, index=True).to_numpy()
    digest = hashlib.sha256(rows.tobytes())
    digest.update(json.dumps([str(column) for column in data.columns]).encode())
    return digest.hexdigest()


def run_settings(*, prior_draws: int, data: pd.DataFrame) -> dict[str, Any]:
    """The settings of a ``save_dir`` run beyond spec, method and fit arguments that a resumed
    run must share: the prior predictive draws per fit and the data's fingerprint."""
    return {"prior_draws": prior_draws, "data": data_fingerprint(data)}


def resume_saved_run(
    directory: str | Path,
    *,
    spec: ModelSpec,
    method: str,
    configurations: Sequence[PriorConfiguration],
    fit_kwargs: Mapping[str, Any],
    run: Mapping[str, Any],
) -> dict[str, tuple[str, xr.DataTree]]:
    """The fits an earlier ``save_dir`` run of the same settings left in ``directory``.

    Returns
    -------
    dict
        Label -> (fit file relative to ``directory``, the loaded fit), for every configuration
        whose fit was saved and reads back; empty when ``directory`` holds no run (no index).
        Configurations that failed, were not reached, or whose file is missing or unreadable are
        not in it: the resumed run fits them (again).

    Raises
    ------
    ArgumentError
        When ``directory`` is a file, or holds a run of another model, data, method, fit
        arguments, prior predictive draws or set of configurations (naming what differs), or an
        index that cannot be read.
    """
    from bayesml.results_io import load_result
    from bayesml.spec import ModelSpec

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ArgumentError(f"save_dir must be a directory; got the file {str(directory)!r}")
    if not (directory / INDEX_FILE).is_file():
        return {}
    try:
        index = _read_index(directory)
        saved_spec = ModelSpec.from_yaml(index["spec"], source=str(directory / INDEX_FILE))
    except (DataError, KeyError) as error:
        raise ArgumentError(
            f"save_dir {str(directory)!r} holds an index that cannot be read to resume a run "
            f"({error}); give another directory"
        ) from error
    differences = _differences(
        index,
        saved_spec,
        spec=spec,
        method=method,
        configurations=configurations,
        fit_kwargs=fit_kwargs,
        run=run,
    )
    if differences:
        raise ArgumentError(
            f"save_dir {str(directory)!r} holds a sensitivity run with other settings: "
            f"{'; '.join(differences)}. Give the same model, data, method, fit arguments and "
            "configurations to resume it, or another directory for a new run"
        )
    kept = {}
    for entry in index["configurations"]:
        relative = entry.get("file")
        if not relative or not (directory / relative).is_file():
            continue
        try:
            kept[entry["label"]] = (relative, load_result(directory / relative))
        except Exception:  # an unreadable fit file: that configuration is fitted again
            continue
    return kept


def _differences(
    index: Mapping[str, Any],
    saved_spec: ModelSpec,
    *,
    spec: ModelSpec,
    method: str,
    configurations: Sequence[PriorConfiguration],
    fit_kwargs: Mapping[str, Any],
    run: Mapping[str, Any],
) -> list[str]:
    """What differs between a saved run's index and the run asked for, as readable phrases."""
    differences = []
    if index.get("method") != method:
        differences.append(f"method was {index.get('method')!r}, now {method!r}")
    saved, now = saved_spec.to_dict(), spec.to_dict()
    for key in dict.fromkeys([*saved, *now]):
        if _plain(saved.get(key)) != _plain(now.get(key)):
            differences.append(f"the model's {key} was {saved.get(key)!r}, now {now.get(key)!r}")
    saved_kwargs, kwargs = index.get("fit_kwargs", {}), _plain(dict(fit_kwargs))
    for key in dict.fromkeys([*saved_kwargs, *kwargs]):
        if saved_kwargs.get(key) != kwargs.get(key):
            differences.append(
                f"fit argument {key} was {saved_kwargs.get(key)!r}, now {kwargs.get(key)!r}"
            )
    saved_run = index.get("run", {})
    for key, value in _plain(dict(run)).items():
        if key in saved_run and saved_run[key] != value:
            differences.append(
                "the data differ from the saved run's"
                if key == "data"
                else f"{key} was {saved_run[key]!r}, now {value!r}"
            )
    saved_configurations = {entry["label"]: entry for entry in index.get("configurations", [])}
    wanted = {c.label: _plain(c.to_dict()) for c in configurations}
    added = [label for label in wanted if label not in saved_configurations]
    missing = [label for label in saved_configurations if label not in wanted]
    changed = [
        label
        for label in wanted
        if label in saved_configurations
        and any(saved_configurations[label].get(k) != v for k, v in wanted[label].items())
    ]
    for words, labels in (
        ("configurations not in the saved run", added),
        ("saved configurations not given now", missing),
        ("configurations with other priors", changed),
    ):
        if labels:
            differences.append(f"{words}: {', '.join(map(repr, labels))}")
    return differences


def _plain(value: Any) -> Any:
    """A value as the index holds it (JSON; tuples and lists alike)."""
    return json.loads(json.dumps(value, default=_json_default))


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
