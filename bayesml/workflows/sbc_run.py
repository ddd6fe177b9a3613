"""One simulation of a simulation-based calibration run: a picklable task, its fit, its outcome.

A :class:`SimulationTask` is plain data (the spec as a dict, the data frame, the simulated
response, the true values and the simulation's own seed), so any
``concurrent.futures.Executor`` runs it (a spawned process pool, a Dask cluster's executor) and
its outcome does not depend on where or when it ran. :func:`run_simulation` never raises for a
failed fit: the :class:`SimulationOutcome` carries the failure, and the run goes on.

The seam for other kinds of fit is :data:`ANALYSES`: the backend kind (``"sampling"`` for
``nuts``/``gibbs``) → a function ``(model, task) -> (statistics, diagnostics)`` that fits the
model (already holding the simulated response) and returns per-entry statistics (here ``rank``,
``mean``, ``sd``) and per-simulation diagnostics. A point estimator (``"fitting"``: ``hlik``,
``laplace``, ``agq``) is registered by :mod:`~bayesml.workflows.sbc_point_fit` (``estimate``,
``se`` and ``log_scale`` per entry; ``converged``, ``singular``), for :func:`bayesml.coverage`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bayesml.workflows.sbc_point_fit import point_statistics
from bayesml.workflows.sbc_ranks import (
    Entry,
    auto_thin,
    entry_draws,
    rank_statistics,
    thinned,
)
from bayesml.workflows.sensitivity_run import FitFailure

if TYPE_CHECKING:
    import pandas as pd

    from bayesml.model import Model

__all__ = [
    "ANALYSES",
    "SimulationOutcome",
    "SimulationTask",
    "run_simulation",
    "simulation_seeds",
]


@dataclass(frozen=True)
class SimulationTask:
    """Everything one simulation needs, as picklable plain data.

    Attributes
    ----------
    index
        The simulation's number (0-based); ``label`` is ``"simulation <index>"``.
    seed
        The simulation's own seed (fit and tie-breaking), derived from the run's seed.
    spec
        ``ModelSpec.to_dict()`` of the model that fits the simulated data.
    data
        The data frame the model's design is built from.
    response
        The simulated response, in the design's encoding (rows, or rows × categories).
    entries
        The checked entries, in column order.
    truths
        The true value of each entry (same order).
    method, kind
        The method of :meth:`bayesml.Model.sample` (or ``fit``) and its backend kind.
    fit_kwargs
        Its keyword arguments (``random_seed`` excepted: ``seed`` is used).
    thin
        ``"auto"`` or the number of draws per kept draw.
    """

    index: int
    seed: int
    spec: Mapping[str, Any]
    data: pd.DataFrame
    response: np.ndarray
    entries: tuple[Entry, ...]
    truths: tuple[float, ...]
    method: str
    kind: str
    fit_kwargs: Mapping[str, Any]
    thin: int | str = "auto"

    @property
    def label(self) -> str:
        return f"simulation {self.index}"


@dataclass
class SimulationOutcome:
    """What one simulation gives: per-entry statistics, diagnostics, warnings or its failure.

    Attributes
    ----------
    index, seed
        As in the task.
    statistics
        Statistic name → one value per entry (``rank``, ``mean``, ``sd`` for a posterior).
    diagnostics
        Per-simulation numbers: ``max_rank`` (L, the kept draws), ``thin``, ``divergences``,
        ``rhat_max``, ``ess_bulk_min``.
    warnings
        The fit's warning messages (``"SamplingWarning: ..."``), each once.
    failure
        Why the fit failed, else None.
    seconds
        Wall time of the fit and its statistics.
    """

    index: int
    seed: int
    statistics: dict[str, list[float]] = field(default_factory=dict)
    diagnostics: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    failure: FitFailure | None = None
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return f"simulation {self.index}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "index": self.index,
            "seed": self.seed,
            "statistics": self.statistics,
            "diagnostics": self.diagnostics,
            "warnings": self.warnings,
            "failure": None if self.failure is None else vars(self.failure),
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SimulationOutcome:
        failure = data.get("failure")
        return cls(
            index=int(data["index"]),
            seed=int(data["seed"]),
            statistics={k: list(v) for k, v in data.get("statistics", {}).items()},
            diagnostics=dict(data.get("diagnostics", {})),
            warnings=list(data.get("warnings", [])),
            failure=None if failure is None else FitFailure(**failure),
            seconds=float(data.get("seconds", 0.0)),
        )


def simulation_seeds(random_seed: int, n_simulations: int) -> list[int]:
    """One seed per simulation from the run's seed (numpy ``SeedSequence.spawn``): the same
    whatever the workers, the executor, or which simulations a resumed run still has to do."""
    children = np.random.SeedSequence(random_seed).spawn(n_simulations)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def run_simulation(task: SimulationTask) -> SimulationOutcome:
    """Fit one simulated data set and compute its statistics; errors are returned, not raised.

    Runs in a worker process (or in this process when the run is serial).
    """
    start = time.perf_counter()
    outcome = SimulationOutcome(task.index, task.seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = _model(task)
            statistics, diagnostics = ANALYSES[task.kind](model, task)
            outcome.statistics, outcome.diagnostics = statistics, diagnostics
        except Exception as error:
            outcome.failure = FitFailure.from_exception(error)
    messages = [
        f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, UserWarning)
    ]
    outcome.warnings = list(dict.fromkeys(messages))
    outcome.seconds = time.perf_counter() - start
    return outcome


#: the model last rebuilt in this process, by spec and data content (a worker fits many
#: simulations of one model: its design and priors are built once)
_MODELS: dict[str, Model] = {}


def _model(task: SimulationTask) -> Model:
    import hashlib
    import json

    import pandas as pd

    from bayesml.model import Model
    from bayesml.spec import ModelSpec

    digest = hashlib.sha256(json.dumps(task.spec, sort_keys=True, default=str).encode())
    try:
        digest.update(pd.util.hash_pandas_object(task.data, index=True).values.tobytes())
    except TypeError:  # unhashable cells: this very frame only
        digest.update(str(id(task.data)).encode())
    digest.update(repr(list(task.data.columns)).encode())
    key = digest.hexdigest()
    base = _MODELS.get(key)
    if base is None:
        base = Model.from_spec(ModelSpec.from_dict(task.spec), data=task.data)
        _MODELS.clear()
        _MODELS[key] = base
    return base._with_response(task.response)


def _posterior_statistics(
    model: Model, task: SimulationTask
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Sample the posterior and rank the true values among its thinned draws."""
    from bayesml.results.diagnostics import check_sampling

    kwargs = dict(task.fit_kwargs)
    if task.method == "gibbs":
        # the simulations are the unit of parallelism: chains one after another
        kwargs["sampler_kwargs"] = {"cores": 1, **dict(kwargs.get("sampler_kwargs") or {})}
    kwargs.setdefault("progressbar", False)
    result = model.sample(
        task.method,
        random_seed=task.seed,
        log_likelihood=False,
        log_prior=False,
        **kwargs,
    )
    posterior = result["posterior"].to_dataset()
    draws = entry_draws(posterior, task.entries)
    thin = auto_thin(draws) if task.thin == "auto" else int(task.thin)
    kept = thinned(draws, thin)
    rng = np.random.default_rng(task.seed)
    truths = np.asarray(task.truths, dtype=float)
    ranks = rank_statistics(kept, truths, rng)
    pooled = draws.reshape(-1, draws.shape[2])
    checks = check_sampling(result, warn=False)
    statistics = {
        "rank": ranks.tolist(),
        "mean": pooled.mean(axis=0).tolist(),
        "sd": pooled.std(axis=0, ddof=1).tolist(),
    }
    diagnostics = {
        "max_rank": float(kept.shape[0]),
        "thin": float(thin),
        "divergences": float(checks.divergences),
        "rhat_max": float(checks.rhat_max),
        "ess_bulk_min": float(checks.ess_bulk_min),
    }
    return statistics, diagnostics


#: backend kind → the analysis of one simulated data set (the seam for point estimators)
ANALYSES: dict[
    str, Callable[[Model, SimulationTask], tuple[dict[str, list[float]], dict[str, float]]]
] = {"sampling": _posterior_statistics, "fitting": point_statistics}
