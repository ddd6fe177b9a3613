"""Shared helpers of the benchmarks in ``bench/``: phase timers, ESS, subprocess workers, README sections.

The benchmarks run every measured fit in a fresh Python process (so imports and compile caches are
met the way a user meets them) and collect one JSON record per run. These helpers know nothing
about any model or tool.
"""

from __future__ import annotations

import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "PhaseTimer",
    "WorkerFailure",
    "cache_env",
    "machine_info",
    "min_bulk_ess",
    "package_versions",
    "replace_section",
    "run_worker",
]


@dataclass
class PhaseTimer:
    """Wall-clock seconds spent in named phases of one run.

    ``measure(name)`` times a block; ``wrap(owner, attribute, name)`` patches a function looked up
    as ``owner.attribute`` at call time (a module function or a method) so that every call is
    timed under ``name``, and restores it afterwards. Nested phases are all counted (a phase inside
    a measured block counts in both).
    """

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to phase ``name``."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.calls[name] = self.calls.get(name, 0) + 1

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Time the block under phase ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    @contextmanager
    def wrap(self, owner: Any, attribute: str, name: str) -> Iterator[None]:
        """Time every call of ``owner.attribute`` under phase ``name`` while the block runs."""
        original: Callable[..., Any] = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.measure(name):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)
        try:
            yield
        finally:
            setattr(owner, attribute, original)


def min_bulk_ess(draws: Mapping[str, np.ndarray]) -> tuple[float, str]:
    """The smallest bulk ESS over scalar parameters and the parameter that has it.

    Parameters
    ----------
    draws
        Parameter label -> draws of shape (chain, draw).

    Returns
    -------
    ess, label
        Minimum bulk ESS (rank-normalised, Vehtari et al. 2021, as ArviZ computes it) and the
        label of the parameter where it is reached.
    """
    from arviz_stats.base import array_stats

    if not draws:
        raise ValueError("min_bulk_ess needs at least one parameter; got none")
    values = {
        label: float(array_stats.ess(np.asarray(array, dtype="float64"), method="bulk"))
        for label, array in draws.items()
    }
    finite = {label: value for label, value in values.items() if np.isfinite(value)}
    if not finite:
        raise ValueError(f"no finite bulk ESS among the parameters {sorted(values)}")
    label = min(finite, key=finite.__getitem__)
    return finite[label], label


def cache_env(cache_dir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment whose PyTensor and numba compile caches live under ``cache_dir``.

    PyTensor keeps its C modules under ``compiledir`` and its numba cache under
    ``base_compiledir/numba``, so both are redirected (``compiledir`` is dropped from the flags and
    defaults to a folder of ``base_compiledir``); numba's own cache goes to ``NUMBA_CACHE_DIR``.
    Other ``PYTENSOR_FLAGS`` entries of ``base`` (default: this process's environment) are kept.
    """
    env = dict(os.environ if base is None else base)
    redirected = ("compiledir", "base_compiledir")
    flags = [
        flag
        for flag in env.get("PYTENSOR_FLAGS", "").split(",")
        if flag.strip() and flag.split("=", 1)[0].strip() not in redirected
    ]
    flags.append(f"base_compiledir={cache_dir / 'pytensor'}")
    env["PYTENSOR_FLAGS"] = ",".join(flags)
    env["NUMBA_CACHE_DIR"] = str(cache_dir / "numba")
    env.setdefault("MPLBACKEND", "Agg")
    return env


class WorkerFailure(RuntimeError):
    """A benchmark worker process exited with an error or wrote no result."""


def run_worker(
    arguments: list[str], *, env: Mapping[str, str], result_path: Path, timeout: float
) -> dict[str, Any]:
    """Run ``python <arguments>`` in a fresh process and read the JSON record it writes.

    Parameters
    ----------
    arguments
        Script and arguments; the worker must write its record to ``result_path``.
    env
        Environment of the process (see :func:`cache_env`).
    result_path
        Where the worker writes its JSON record.
    timeout
        Seconds before the worker is killed.

    Returns
    -------
    dict
        The record, with ``process_seconds`` (wall time of the whole process, start-up included).

    Raises
    ------
    WorkerFailure
        If the process fails, times out or writes no record; the message ends with its stderr.
    """
    result_path.unlink(missing_ok=True)
    start = time.perf_counter()
    # a session of its own, so that a timeout stops the worker's children too (the Gibbs
    # sampler's chain processes), not only the worker
    process = subprocess.Popen(
        [sys.executable, *arguments],
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise WorkerFailure(f"worker {arguments} ran past {timeout:.0f} s") from error
    elapsed = time.perf_counter() - start
    if process.returncode != 0 or not result_path.exists():
        tail = "\n".join(stderr.strip().splitlines()[-25:])
        raise WorkerFailure(
            f"worker {arguments} exited with status {process.returncode} "
            f"and {'a' if result_path.exists() else 'no'} result; its stderr ends:\n{tail}"
        )
    record = json.loads(result_path.read_text())
    record["process_seconds"] = elapsed
    return record


def package_versions(names: list[str]) -> dict[str, str]:
    """Installed version of each distribution (``"not installed"`` when missing)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    match = re.search(r"^model name\s*:\s*(.+)$", text, flags=re.MULTILINE)
    return match.group(1).strip() if match else platform.machine()


def machine_info() -> dict[str, Any]:
    """CPU count and model, OS, Python version and the current load average."""
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def replace_section(text: str, begin: str, end: str, body: str) -> str:
    """``text`` with the lines between the markers ``begin`` and ``end`` replaced by ``body``.

    The markers are kept; when they are missing the section is appended at the end of ``text``.
    A marker present twice, or ``end`` before ``begin``, raises ``ValueError``.
    """
    for marker in (begin, end):
        if text.count(marker) > 1:
            raise ValueError(
                f"the marker {marker!r} appears {text.count(marker)} times; expected once"
            )
    start, stop = text.find(begin), text.find(end)
    section = f"{begin}\n{body.rstrip()}\n{end}"
    if start == -1 and stop == -1:
        return text.rstrip() + ("\n\n" if text.strip() else "") + section + "\n"
    if start == -1 or stop == -1 or stop < start:
        raise ValueError(
            f"expected {begin!r} followed by {end!r}; found only one or the wrong order"
        )
    return text[:start] + section + text[stop + len(end) :]
