"""Saving a calibration run as it goes, and resuming it.

A run's directory holds ``manifest.json`` (the run's settings and seed, written before the first
fit) and ``simulations/simulation_<index>.json``, one small file per finished simulation (its
ranks and other statistics, diagnostics, warnings or failure), each written as the simulation
finishes (to a temporary name, then renamed, so a killed run leaves no half-written file). A run
started again with the same directory and settings reads the finished simulations and fits the
others only; other settings are refused, naming the first that differs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bayesml.errors import ArgumentError, ArgumentTypeError
from bayesml.workflows.sbc_run import SimulationOutcome

__all__ = ["MANIFEST", "SBCWriter", "open_save_dir"]

MANIFEST = "manifest.json"
SIMULATIONS = "simulations"
#: version of the directory's format
FORMAT = 1


def _write_json(path: Path, content: Mapping[str, Any]) -> None:
    temporary = path.with_name(path.name + ".partial")
    temporary.write_text(json.dumps(content, indent=1, sort_keys=True, default=_plain))
    os.replace(temporary, path)


def _plain(value: Any) -> Any:
    """JSON for numpy scalars (NaN stays NaN: Python's json writes and reads it)."""
    if hasattr(value, "item"):
        return value.item()
    raise ArgumentTypeError(f"cannot save {type(value).__name__} in a calibration manifest")


class SBCWriter:
    """Writes the simulations of one run into its directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        (directory / SIMULATIONS).mkdir(parents=True, exist_ok=True)

    def path(self, index: int) -> Path:
        return self.directory / SIMULATIONS / f"simulation_{index:05d}.json"

    def write(self, outcome: SimulationOutcome) -> None:
        """Save one finished simulation."""
        _write_json(self.path(outcome.index), outcome.to_dict())

    def finished(self, n_simulations: int) -> dict[int, SimulationOutcome]:
        """The simulations already saved (unreadable files are ignored: fitted again)."""
        done = {}
        for index in range(n_simulations):
            path = self.path(index)
            if not path.is_file():
                continue
            try:
                outcome = SimulationOutcome.from_dict(json.loads(path.read_text()))
            except (ValueError, KeyError, TypeError):
                continue
            if outcome.index == index:
                done[index] = outcome
        return done


def open_save_dir(save_dir: Any, settings: Mapping[str, Any]) -> SBCWriter:
    """Check ``save_dir`` against the run's ``settings`` and return its writer.

    A new or empty directory gets the manifest; one with the same manifest is resumed.

    Raises
    ------
    ArgumentTypeError
        When ``save_dir`` is not a path.
    ArgumentError
        When it is a file, a non-empty directory without a calibration manifest, or the
        directory of a run with other settings (naming the setting).
    """
    if not isinstance(save_dir, str | os.PathLike):
        raise ArgumentTypeError(
            f"save_dir must be a directory path (str or pathlib.Path); got {type(save_dir).__name__}"
        )
    directory = Path(save_dir)
    if directory.exists() and not directory.is_dir():
        raise ArgumentError(f"save_dir must be a directory; got the file {str(directory)!r}")
    manifest = directory / MANIFEST
    content = {"format": FORMAT, **settings}
    if manifest.is_file():
        try:
            saved = json.loads(manifest.read_text())
        except ValueError as error:
            raise ArgumentError(
                f"save_dir {str(directory)!r} has an unreadable {MANIFEST} ({error}); "
                "give another directory"
            ) from error
        differing = [key for key in content if _normal(saved.get(key)) != _normal(content[key])]
        if differing:
            key = differing[0]
            raise ArgumentError(
                f"save_dir {str(directory)!r} holds a calibration run with other settings: "
                f"{key} was {saved.get(key)!r}, now {content[key]!r}; give the same settings to "
                "resume it, or another directory for a new run"
            )
        return SBCWriter(directory)
    if directory.is_dir() and any(directory.iterdir()):
        raise ArgumentError(
            f"save_dir {str(directory)!r} is not empty and holds no calibration run ({MANIFEST}); "
            "give a new or empty directory"
        )
    writer = SBCWriter(directory)
    _write_json(manifest, content)
    return writer


def _normal(value: Any) -> Any:
    """Settings compared as JSON (tuples and lists alike)."""
    return json.loads(json.dumps(value, sort_keys=True, default=_plain))


def read_manifest(save_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The saved settings of a run's directory, or None."""
    manifest = Path(save_dir) / MANIFEST
    if not manifest.is_file():
        return None
    try:
        return json.loads(manifest.read_text())
    except ValueError:
        return None
