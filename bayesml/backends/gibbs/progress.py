"""A progress bar per chain, drawn with rich (as PyMC does) or tqdm when installed."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = ["ChainProgress", "chain_progress"]


class ChainProgress(Protocol):
    """Receives the number of sweeps each chain has done."""

    def advance(self, chain: int, sweeps: int) -> None:
        """Chain ``chain`` did ``sweeps`` more sweeps."""


class _Silent:
    def advance(self, chain: int, sweeps: int) -> None:
        pass


class _RichBars:
    def __init__(self, chains: int, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("Gibbs chain {task.fields[chain]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        self.tasks = [self.progress.add_task("", total=total, chain=c) for c in range(chains)]

    def advance(self, chain: int, sweeps: int) -> None:
        self.progress.update(self.tasks[chain], advance=sweeps)


class _TqdmBars:
    def __init__(self, chains: int, total: int) -> None:
        from tqdm.auto import tqdm

        self.bars = [
            tqdm(total=total, desc=f"Gibbs chain {c}", position=c, leave=True)
            for c in range(chains)
        ]

    def advance(self, chain: int, sweeps: int) -> None:
        self.bars[chain].update(sweeps)


@contextmanager
def chain_progress(show: bool, chains: int, total: int) -> Iterator[ChainProgress]:
    """Progress bars of ``chains`` chains of ``total`` sweeps each; silent unless ``show`` and
    rich or tqdm is installed."""
    if show and importlib.util.find_spec("rich") is not None:
        bars = _RichBars(chains, total)
        with bars.progress:
            yield bars
    elif show and importlib.util.find_spec("tqdm") is not None:
        bars = _TqdmBars(chains, total)
        try:
            yield bars
        finally:
            for bar in bars.bars:
                bar.close()
    else:
        yield _Silent()
