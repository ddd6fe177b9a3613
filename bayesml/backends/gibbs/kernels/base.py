"""The state a Gibbs sweep updates and the interface of its kernels.

Each kernel updates one block of the state from its full conditional (numpyro's ``init``/``sample``
split, composed by :class:`~bayesml.backends.gibbs.sampler.GibbsSampler` as ``HMCGibbs`` composes
updates). The likelihood enters the coefficient and expansion updates through a *working Gaussian
likelihood* in the linear predictor η = Tθ (offset excluded):

    log L(η) = s · (rᵀη − ½ Σ_i w_i η_i²) + const,

with s the data precision, r the working response sums and w the row weights:

* Gaussian: s = 1/σ², w = prior weights (or 1), r = w (y − offset);
* probit (Albert–Chib): s = 1, w = trials, r_i = Σ_t z_it − n_i·offset_i over the latent normals
  of row i's trials;
* logit (Pólya-Gamma): s = 1, w = ω, r = y − n/2 − ω·offset;
* ordinal probit (Albert–Chib between thresholds): s = 1, w = 1, r_i = z_i − offset_i.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["GibbsState", "Kernel", "StatValue"]

StatValue = float | np.ndarray


@dataclass
class GibbsState:
    """The current values of every block of a chain.

    Attributes
    ----------
    theta
        Coefficients θ = (b, u_1, …, u_B): sampled fixed effects, then each factor's effects,
        level-major.
    eta
        Tθ, the linear predictor without the offset.
    sigma2
        Residual variance (1 for the latent-variable forms).
    cov
        Covariance matrix of each factor's effects (diagonal for uncorrelated terms).
    coef_mixing
        λ_j of the coefficients' normal scale mixtures (1 for normal and flat priors).
    data_precision, response_sums, weights
        s, r and w of the working likelihood (see the module text).
    response_changed, weights_changed
        Set by the kernels that change r or w, so that the coefficient update recomputes TᵀWr
        and TᵀWT only when needed.
    latent_sum_squares
        Σ z² over the latent normals of a probit model (for its parameter-expansion move).
    cutpoints
        The thresholds θ₁ < … < θ_m of an ordinal model (``None`` for the other models).
    """

    theta: np.ndarray
    eta: np.ndarray
    sigma2: float
    cov: list[np.ndarray]
    coef_mixing: np.ndarray
    data_precision: float
    response_sums: np.ndarray
    weights: np.ndarray
    response_changed: bool = True
    weights_changed: bool = True
    latent_sum_squares: float = 0.0
    cutpoints: np.ndarray | None = None


class Kernel(Protocol):
    """One update of a Gibbs sweep.

    Attributes
    ----------
    stats
        Statistics the kernel reports per iteration: name -> extra dims (besides chain and draw),
        e.g. ``{"accept_corr_county": ()}``.
    """

    stats: Mapping[str, tuple[str, ...]]

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        """Prepare the kernel for a chain starting at ``state`` (may complete the state)."""

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        """Update the state in place from the block's full conditional; return the statistics.

        ``tuning`` is true during warm-up, when adaptive kernels may change their proposals.
        """
