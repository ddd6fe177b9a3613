"""The simulations of a calibration run: true parameters from the prior and simulated responses.

All of them are drawn here, in the calling process, from the run's one seed
(:meth:`bayesml.Model.sample_prior`: PyMC's forward sampler for the parameters, the family's
draws for the responses on the model's own design — the same X, Z, trials, weights and
offsets); the fits then only read them, so the true values do not depend on the workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bayesml.workflows.sbc_ranks import Entry, select_entries

if TYPE_CHECKING:
    import xarray as xr

    from bayesml.model import Model

__all__ = ["Simulations", "draw_simulations"]


@dataclass(frozen=True)
class Simulations:
    """The true values and simulated responses of every simulation.

    Attributes
    ----------
    entries
        The checked entries (columns of the rank table).
    truths
        ``(simulation, entry)`` true values.
    responses
        ``(simulation, rows[, categories])`` simulated responses in the design's encoding.
    prior
        The prior draws (``chain`` 1, ``draw`` = simulation).
    """

    entries: tuple[Entry, ...]
    truths: np.ndarray
    responses: np.ndarray
    prior: xr.Dataset


def draw_simulations(
    model: Model,
    n_simulations: int,
    *,
    random_seed: int,
    parameters: Sequence[str] | None,
    n_random_effects: int,
) -> Simulations:
    """Draw ``n_simulations`` parameter sets and responses from ``model``'s prior.

    The sample of random-effect levels is drawn from ``random_seed`` too (its own stream).

    Raises
    ------
    PriorError
        When a prior is improper (flat): it cannot be drawn from.
    ArgumentError
        For an unknown name in ``parameters``.
    """
    tree = model.sample_prior(draws=n_simulations, random_seed=random_seed)
    prior = tree["prior"].to_dataset()
    predictive = tree["prior_predictive"].to_dataset()
    name = model.design.observed_name
    responses = np.asarray(predictive[name].values, dtype=float)[0]
    levels_rng = np.random.default_rng(np.random.SeedSequence([random_seed, 1]))
    entries = select_entries(
        prior, parameters=parameters, n_random_effects=n_random_effects, rng=levels_rng
    )
    truths = np.empty((n_simulations, len(entries)))
    for column, entry in enumerate(entries):
        values = np.asarray(prior[entry.variable].transpose("chain", "draw", ...).values)
        truths[:, column] = values[(0, slice(None), *entry.index)]
    return Simulations(tuple(entries), truths, responses, prior)
