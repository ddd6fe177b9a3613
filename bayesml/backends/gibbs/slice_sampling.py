"""Univariate slice sampling (Neal 2003) with stepping out and shrinkage, and its width adaptation.

Used for the scale parameters whose full conditional has no closed form (an SD with a half-normal,
half-Cauchy, half-t, exponential, uniform or gamma prior, on log σ) and for the parameter-expansion
moves. A slice step moves every time; its cost is the number of log-density evaluations, which the
sampler records in ``sample_stats``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["SliceWidth", "slice_step"]

MAX_STEP_OUT = 32


def slice_step(
    log_density: Callable[[float], float],
    x0: float,
    width: float,
    rng: np.random.Generator,
    *,
    max_steps: int = MAX_STEP_OUT,
) -> tuple[float, int]:
    """One slice-sampling update of a scalar, reversible with respect to ``exp(log_density)``.

    Parameters
    ----------
    log_density
        Log of an unnormalised density; ``-inf`` outside the support.
    x0
        Current value (inside the support).
    width
        Initial interval width w.
    rng
        Random number generator.
    max_steps
        Most steps of width w when stepping out (Neal's m).

    Returns
    -------
    x1, evaluations
        The new value and how many times ``log_density`` was evaluated.
    """
    current = log_density(x0)
    if not current > -math.inf:
        raise ValueError(
            f"slice_step must start inside the support; log density at {x0} is {current}"
        )
    # the three uniforms of the set-up in one call (Generator calls cost more than the draws)
    vertical, position, split = rng.random(3).tolist()
    level = current + math.log1p(-vertical)  # current − Exp(1)
    evaluations = 1
    left = x0 - width * position
    right = left + width
    steps_left = min(int(split * max_steps), max_steps - 1)
    steps_right = max_steps - 1 - steps_left
    while steps_left > 0:
        evaluations += 1
        if not log_density(left) > level:
            break
        left -= width
        steps_left -= 1
    while steps_right > 0:
        evaluations += 1
        if not log_density(right) > level:
            break
        right += width
        steps_right -= 1
    while True:
        x1 = left + (right - left) * rng.random()
        evaluations += 1
        if log_density(x1) > level:
            return x1, evaluations
        if x1 < x0:
            left = x1
        else:
            right = x1


@dataclass
class SliceWidth:
    """A slice width adapted during warm-up to three times the mean absolute move.

    For a roughly normal conditional with SD s the mean move of a slice step is about s, and a
    width of about 3 s needs few evaluations. The width is frozen after warm-up so that the
    kept draws come from one fixed, reversible kernel.
    """

    width: float = 1.0
    _moves: float = 0.0
    _count: int = 0

    def update(self, x0: float, x1: float, tuning: bool) -> None:
        """Record a move made during warm-up and adapt the width."""
        if not tuning:
            return
        self._count += 1
        self._moves += (abs(x1 - x0) - self._moves) / self._count
        if self._count >= 5:
            self.width = min(max(3.0 * self._moves, 1e-4), 10.0)
