"""Helpers for the sampling tests: seeded runs that record bayesml's sampling warnings, and
Monte Carlo standard errors."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from bayesml.errors import SamplingWarning


def sample_recording(model, **kwargs: Any) -> tuple[xr.DataTree, list[str]]:
    """``model.sample(**kwargs)`` and the messages of the SamplingWarnings it issued.

    Tests of well-behaved posteriors assert that the list is empty, so a fit that stops mixing
    fails loudly instead of comparing numbers from a broken run.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SamplingWarning)
        result = model.sample(**kwargs)
    messages = [str(w.message) for w in caught if issubclass(w.category, SamplingWarning)]
    for w in caught:
        if not issubclass(w.category, SamplingWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result, messages


def mcse(draws: xr.DataArray, method: str = "mean", prob: float | None = None) -> np.ndarray:
    """Monte Carlo standard error of a posterior summary (arviz-stats), as a numpy array."""
    import arviz_stats

    kwargs = {"method": method} | ({"prob": prob} if prob is not None else {})
    return np.asarray(arviz_stats.mcse(draws, **kwargs))


def flat(draws: xr.DataArray) -> np.ndarray:
    """All draws of a scalar parameter as one vector."""
    return draws.values.reshape(-1)
