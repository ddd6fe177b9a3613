"""Whether a group makes its parameter-expansion moves: chosen in warm-up, then frozen.

The scale and shear moves of a group (:mod:`.expansion`) make a sweep dearer — on one-factor
models about 1.7 to 2 times (rats: 88 → 181 µs per sweep; radon: 110 → 195 µs) — and help only
where the centred sweep mixes slowly: on rats they raise the smallest ESS per draw of the SDs and
the correlation by 10–30 % (long runs), on radon's varying intercepts about twofold and on its
varying slopes about eightfold. Under ``expansion="auto"`` each chain chooses per grouping
factor in warm-up, from the draws alone (no clock, so the same seed gives the same choice and
the same draws):

1. warm-ups shorter than :data:`MIN_TUNE` sweeps keep the moves (the safe choice);
2. the first :data:`BURN_IN_FRACTION` of warm-up makes the moves (burn-in; their slice widths
   adapt);
3. the rest alternates blocks of :data:`BLOCK` sweeps with and without them (sweeps left over
   after the last whole pair of blocks make the moves); after every sweep the group's summary —
   the log SD of each term and, for a correlated term, atanh of each correlation — is recorded;
4. the ESS per draw of each summary with and without the moves is estimated as that of an AR(1)
   chain whose lag-1 autocorrelation gives the mean squared jump of the setting's blocks
   (:mod:`~bayesml.backends.gibbs.autocorrelation`), and the moves are kept when the smallest
   ESS per draw with them exceeds :data:`MOVE_COST` times the smallest without.

The choice is frozen at the end of warm-up, so the kept draws come from one fixed Markov kernel
(as for the slice widths and the LKJ step, adaptation happens in warm-up only). It is reported as
:class:`ExpansionChoice`; ``expansion=True`` or ``False`` fixes it instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bayesml.backends.gibbs.autocorrelation import ar1_ess_per_draw, jump_autocorrelation
from bayesml.backends.gibbs.kernels.base import GibbsState, Kernel, StatValue

__all__ = [
    "BLOCK",
    "BURN_IN_FRACTION",
    "MIN_TUNE",
    "MOVE_COST",
    "ExpansionChoice",
    "ExpansionSetting",
    "GroupExpansionKernel",
    "group_summary",
]

#: The moves are kept when they raise the group's smallest ESS per draw by more than this factor.
#: They cost 1.7–2.1 times a sweep without them on one-factor models (rats 2.1, radon varying
#: intercepts 1.8, radon varying slopes 1.7, sweeps timed in one process) and a smaller share
#: with more factors or coefficients; 1.5 errs towards keeping them, which also guards the tails.
MOVE_COST = 1.5
#: shorter warm-ups keep the moves without comparing
MIN_TUNE = 400
#: share of warm-up made with the moves before the comparison
BURN_IN_FRACTION = 0.25
#: sweeps per block of the comparison
BLOCK = 50

#: ``True``, ``False`` or ``"auto"``
ExpansionSetting = bool | Literal["auto"]


@dataclass(frozen=True)
class ExpansionChoice:
    """A chain's choice of one group's expansion moves.

    Attributes
    ----------
    group
        The grouping factor's name.
    keep
        Whether the kept draws make the moves.
    reason
        ``"compared"`` (in warm-up, ``expansion="auto"``), ``"short warm-up"`` (``"auto"`` with
        fewer than :data:`MIN_TUNE` warm-up sweeps) or ``"fixed"`` (``expansion=True``/``False``).
    ess_with, ess_without
        The group's smallest estimated ESS per draw with and without the moves (NaN unless
        compared).
    """

    group: str
    keep: bool
    reason: str
    ess_with: float = math.nan
    ess_without: float = math.nan

    @property
    def gain(self) -> float:
        """ess_with / ess_without: what :data:`MOVE_COST` is compared with (NaN unless compared)."""
        if self.ess_without == 0.0:
            return math.inf
        return self.ess_with / self.ess_without


def group_summary(cov: np.ndarray, correlated: bool) -> list[float]:
    """log SD of each term, then atanh of each correlation (upper triangle) if correlated.

    Scalar arithmetic: a group has a few terms, and this runs after every compared sweep.
    """
    values = cov.tolist()
    k = len(values)
    summary = [0.5 * math.log(values[i][i]) for i in range(k)]
    if correlated:
        for i in range(k):
            for j in range(i + 1, k):
                corr = values[i][j] / math.sqrt(values[i][i] * values[j][j])
                summary.append(math.atanh(min(max(corr, -1.0 + 1e-12), 1.0 - 1e-12)))
    return summary


class _Comparison:
    """The warm-up schedule of the comparison and the summaries it records."""

    def __init__(self, tune: int, size: int) -> None:
        self.start = int(tune * BURN_IN_FRACTION)
        self.blocks = 2 * ((tune - self.start) // (2 * BLOCK))
        # values[i]: the summary after sweep start − 1 + i
        self.values = np.empty((self.blocks * BLOCK + 1, size))

    def moves_on(self, sweep: int) -> bool:
        """Whether warm-up sweep ``sweep`` (from 0) makes the moves: even blocks do."""
        block = (sweep - self.start) // BLOCK
        return not (0 <= block < self.blocks and block % 2 == 1)

    def records(self, sweep: int) -> bool:
        """Whether the summary after warm-up sweep ``sweep`` is part of the comparison."""
        return 0 <= sweep - self.start + 1 < len(self.values)

    def record(self, sweep: int, summary: list[float]) -> None:
        self.values[sweep - self.start + 1] = summary

    def ess(self) -> tuple[float, float]:
        """Smallest ESS per draw with and without the moves."""
        values = self.values
        variance = values.var(axis=0)
        blocks = [values[b * BLOCK : (b + 1) * BLOCK + 1] for b in range(self.blocks)]
        with_moves, without = (
            ar1_ess_per_draw(jump_autocorrelation(setting, variance))
            for setting in (blocks[0::2], blocks[1::2])
        )
        return float(with_moves.min()), float(without.min())


class GroupExpansionKernel:
    """A group's expansion moves, made or skipped as the group's :class:`ExpansionChoice` says.

    Parameters
    ----------
    moves
        The group's scale (and shear) kernels, in sweep order.
    index, name, correlated
        The group's position among the problem's groups, its name and whether it is correlated.
    setting
        ``True``/``False`` (fixed) or ``"auto"`` (chosen in warm-up; see the module text).
    tune
        Warm-up sweeps of the chain.
    """

    def __init__(
        self,
        moves: Sequence[Kernel],
        index: int,
        name: str,
        correlated: bool,
        *,
        setting: ExpansionSetting,
        tune: int,
    ) -> None:
        self.moves = tuple(moves)
        self.index = index
        self.name = name
        self.correlated = correlated
        self.stats: dict[str, tuple[str, ...]] = {}
        for move in self.moves:
            self.stats.update(move.stats)
        self._tune = tune
        self._comparison: _Comparison | None = None
        self._sweep = 0
        self.choice: ExpansionChoice | None = None
        if setting != "auto":
            self.choice = ExpansionChoice(name, bool(setting), "fixed")
        elif tune < MIN_TUNE:
            self.choice = ExpansionChoice(name, True, "short warm-up")

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        for move in self.moves:
            move.init(state, rng)
        if self.choice is None:
            size = len(group_summary(state.cov[self.index], self.correlated))
            self._comparison = _Comparison(self._tune, size)

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        comparison = self._comparison
        if tuning and comparison is not None and self.choice is None:
            on = comparison.moves_on(self._sweep)
        else:
            on = self.decide().keep
        stats: dict[str, StatValue] = {}
        if on:
            for move in self.moves:
                stats.update(move.step(state, rng, tuning))
        if tuning and comparison is not None and self.choice is None:
            if comparison.records(self._sweep):
                summary = group_summary(state.cov[self.index], self.correlated)
                comparison.record(self._sweep, summary)
            self._sweep += 1
        return stats

    def decide(self) -> ExpansionChoice:
        """The choice, made from the comparison the first time it is asked for after warm-up
        (the moves are kept when fewer warm-up sweeps than announced were made)."""
        if self.choice is None and self._sweep < self._tune:
            self.choice = ExpansionChoice(self.name, True, "short warm-up")
        if self.choice is None:
            assert self._comparison is not None
            with_moves, without = self._comparison.ess()
            keep = with_moves > MOVE_COST * without or without == 0.0
            self.choice = ExpansionChoice(self.name, keep, "compared", with_moves, without)
        return self.choice
