"""SQUAREM acceleration of the outer fixed-point iteration (Varadhan & Roland 2008).

The outer iteration of the h-likelihood fit is a fixed-point map F of the dispersion
coefficients θ (the coefficients of the φ model, when φ is estimated, then those of each λ model
— log λ per block for the usual intercept-only models): given θ, solve the mean model for (β, v)
and refit the gamma GLMs, which gives F(θ). It converges linearly, slowly where a variance
component is small against the residual variance (lme4's Pastes: hundreds of iterations to 1e-6).
SQUAREM takes two plain steps θ₁ = F(θ₀), θ₂ = F(θ₁), with r = θ₁ − θ₀ and s = θ₂ − 2θ₁ + θ₀,
extrapolates to ``θ₀ + 2αr + α²s`` with the step length α = ‖r‖/‖s‖ (their "S3"), kept within
``[1, step_max]``, and stabilises the result with one more plain step. α = 1 is the plain
two-step iteration. :class:`StepLength` holds the upper bound and its updates (R SQUAREM's
``mstep = 4``): raised after a step that used it, lowered after a rejected one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["StepLength", "extrapolate"]

#: the factor by which the bound of the step length grows or shrinks (R SQUAREM's mstep)
_FACTOR = 4.0


@dataclass
class StepLength:
    """The bound of SQUAREM's step length α and its updates.

    Attributes
    ----------
    bound
        The largest α allowed in the next cycle (1: the plain iteration).
    """

    bound: float = 1.0

    def choose(self, r: np.ndarray, s: np.ndarray) -> float:
        """α = ‖r‖/‖s‖ within ``[1, bound]`` (1 where s = 0)."""
        norm_s = float(np.linalg.norm(s))
        if norm_s == 0.0 or not np.isfinite(norm_s):
            return 1.0
        return float(np.clip(np.linalg.norm(r) / norm_s, 1.0, self.bound))

    def accepted(self, alpha: float) -> None:
        """Raise the bound after an accepted step that reached it."""
        if alpha >= self.bound:
            self.bound *= _FACTOR

    def rejected(self) -> None:
        """Lower the bound after a rejected step (never below 1)."""
        self.bound = max(1.0, self.bound / _FACTOR)


def extrapolate(theta0: np.ndarray, r: np.ndarray, s: np.ndarray, alpha: float) -> np.ndarray:
    """SQUAREM's extrapolated point ``θ₀ + 2αr + α²s`` (θ₂ itself when α = 1)."""
    return theta0 + 2.0 * alpha * r + alpha**2 * s
