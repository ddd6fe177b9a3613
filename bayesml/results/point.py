"""What a point fit (maximum likelihood, h-likelihood) hands to prediction: its estimates.

A fitting backend's result gives :class:`PointEstimates` from ``point_estimates()``; prediction
(:meth:`bayesml.Model.predict`) evaluates new rows with them, the fixed effects' covariance
giving the standard errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["PointEstimates"]


@dataclass(frozen=True, eq=False)
class PointEstimates:
    """The estimates of a point fit, in the order of the model's design.

    Attributes
    ----------
    beta
        Fixed-effect estimates, in the order of the design's fixed columns.
    beta_cov
        Their covariance matrix (p × p).
    random
        Per random block (by the design's block name): the effects on the linear-predictor
        scale, shape (levels, terms) in the design's level and term order (conditional modes
        for maximum likelihood; v for the h-likelihood).
    family_parameters
        The family's auxiliary parameters by their posterior names (``sigma``, ``alpha``,
        ``cutpoints``, ...): a float, or an array per row when the parameter has a formula.
    sds
        Per random block (by the design's block name): the estimated SD of each term (one value
        for a smooth's block), for the smooths' standard errors and EDF
        (:mod:`bayesml.results.smooths`); empty when the fit does not give them.
    """

    beta: np.ndarray
    beta_cov: np.ndarray
    random: Mapping[str, np.ndarray] = field(default_factory=dict)
    family_parameters: Mapping[str, float | np.ndarray] = field(default_factory=dict)
    sds: Mapping[str, np.ndarray] = field(default_factory=dict)
