"""Pólya-Gamma draws for the logit model (Polson, Scott and Windle 2013), from the optional
``polyagamma`` package (``pip install 'bayesml[polyagamma]'``)."""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np

from bayesml.errors import MissingDependencyError

__all__ = ["POLYAGAMMA_HINT", "polya_gamma", "require_polyagamma"]

POLYAGAMMA_HINT = "pip install 'bayesml[polyagamma]'"


def require_polyagamma() -> None:
    """Raise :class:`MissingDependencyError` unless the ``polyagamma`` package is importable."""
    if importlib.util.find_spec("polyagamma") is None:
        raise MissingDependencyError(
            "the Gibbs sampler draws the latent variables of a logit model from Pólya-Gamma "
            "distributions with the polyagamma package, which is not installed; install it with: "
            f'{POLYAGAMMA_HINT} (or use the probit link, or method="nuts")'
        )


def polya_gamma(h: np.ndarray, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draws of ω_i ~ PG(h_i, z_i), one per element, from ``rng``."""
    require_polyagamma()
    sampler = importlib.import_module("polyagamma").random_polyagamma
    return np.asarray(sampler(h, z, random_state=rng), dtype=float)
