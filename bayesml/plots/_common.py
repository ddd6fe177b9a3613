"""What the plots share: the interval probability, labels without dimension names, figure sizes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bayesml.errors import ArgumentError, warn
from bayesml.results.tables import DEFAULT_CI_PROB, check_ci_prob

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["flat_labeller", "resolve_ci_prob", "size_figure"]


def resolve_ci_prob(ci_prob: float | None, hdi_prob: float | None = None, *, where: str) -> float:
    """The interval probability: ``ci_prob``, or the former ``hdi_prob`` with a FutureWarning.

    Parameters
    ----------
    ci_prob
        Probability of the intervals, in (0, 1); None for bayesml's default,
        :data:`bayesml.results.tables.DEFAULT_CI_PROB` (0.94).
    hdi_prob
        Its former name; accepted with a ``FutureWarning``.
    where
        The function, for the messages (``"bayesml.plots.forest"``).

    Raises
    ------
    ArgumentError
        If both are given, or the probability is not a number in (0, 1).
    """
    if hdi_prob is not None:
        if ci_prob is not None:
            raise ArgumentError(
                f"{where}: give the interval probability once, as ci_prob (hdi_prob is its "
                f"former name); got ci_prob={ci_prob!r} and hdi_prob={hdi_prob!r}"
            )
        warn(
            f"{where}(hdi_prob=...) is deprecated: the argument is now ci_prob (ArviZ 1.x's "
            f"name); write ci_prob={hdi_prob!r}",
            FutureWarning,
        )
        ci_prob = hdi_prob
    return DEFAULT_CI_PROB if ci_prob is None else check_ci_prob(ci_prob)


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
