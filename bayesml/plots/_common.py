"""What the plots share: the interval probability, labels without dimension names, figure sizes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from bayesml.errors import ArgumentError, ArgumentTypeError, warn

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["DEFAULT_CI_PROB", "flat_labeller", "resolve_ci_prob", "size_figure"]

#: default probability of the plotted intervals (ArviZ's ``stats.ci_prob``)
DEFAULT_CI_PROB = 0.94


def resolve_ci_prob(ci_prob: float | None, hdi_prob: float | None = None, *, where: str) -> float:
    """The interval probability: ``ci_prob``, or the former ``hdi_prob`` with a FutureWarning.

    Parameters
    ----------
    ci_prob
        Probability of the intervals, in (0, 1); None for :data:`DEFAULT_CI_PROB`.
    hdi_prob
        Its former name; accepted with a ``FutureWarning``.
    where
        The function, for the messages (``"bayesml.plots.forest"``).

    Raises
    ------
    ArgumentError
        If both are given, or the probability is not in (0, 1).
    ArgumentTypeError
        If it is not a number.
    """
    if hdi_prob is not None:
        if ci_prob is not None:
            raise ArgumentError(
                f"{where}: give ci_prob only (hdi_prob is its former name); got both "
                f"ci_prob={ci_prob!r} and hdi_prob={hdi_prob!r}"
            )
        warn(f"{where}(hdi_prob=...) is deprecated; write ci_prob={hdi_prob!r}", FutureWarning)
        ci_prob = hdi_prob
    if ci_prob is None:
        return DEFAULT_CI_PROB
    if isinstance(ci_prob, bool) or not isinstance(ci_prob, int | float):
        raise ArgumentTypeError(
            f"{where}: ci_prob must be a number in (0, 1); got {type(ci_prob).__name__}"
        )
    if not 0.0 < float(ci_prob) < 1.0:
        raise ArgumentError(f"{where}: ci_prob must be in (0, 1); got {ci_prob!r}")
    return float(ci_prob)


def flat_labeller() -> Any:
    """An ArviZ labeller that writes ``beta[Intercept]`` and ``sd_g[x]`` on one line.

    ArviZ's default writes the variable and its coordinates on two lines, which collide with the
    tick labels of the row above in a grid of panels; dimension names (``g__term``) never appear.
    """
    from arviz_base.labels import BaseLabeller

    class FlatLabeller(BaseLabeller):
        def make_label_vert(self, var_name, sel, isel):  # noqa: D102
            return self.make_label_flat(var_name, sel, isel)

    return FlatLabeller()


def size_figure(
    figure: Figure, *, panel_width: float = 3.4, panel_height: float = 2.5, max_width: float = 14.0
) -> Figure:
    """Give a grid figure room for its panels and a layout engine that keeps labels apart.

    The size follows the grid's rows and columns (``panel_width`` × ``panel_height`` inches each,
    the width capped at ``max_width``); constrained layout then spaces titles, tick labels and
    legends so that none overlaps another.
    """
    shapes = [ax.get_subplotspec() for ax in figure.axes if ax.get_subplotspec() is not None]
    if not shapes:
        return figure
    rows, cols = shapes[0].get_gridspec().get_geometry()
    width = min(max_width, max(5.0, panel_width * cols))
    figure.set_size_inches(width, max(2.8, panel_height * rows + 0.4))
    figure.set_layout_engine("constrained")
    return figure


def grid_shape(count: int, max_cols: int = 4) -> tuple[int, int]:
    """(rows, columns) of a grid of ``count`` panels at most ``max_cols`` wide."""
    cols = max(1, min(count, max_cols))
    return math.ceil(count / cols), cols
