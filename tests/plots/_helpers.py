"""Helpers of the plot tests."""

from __future__ import annotations

from typing import Any


def panels(pc: Any) -> dict[str, int]:
    """Number of panels of each variable of a PlotCollection."""
    return {name: int(v.size) for name, v in pc.viz["plot"].to_dataset().data_vars.items()}


def texts(figure: Any) -> list[str]:
    """Every piece of text on a figure: titles, axis and tick labels, legends, annotations."""
    out = [t.get_text() for t in figure.texts]
    if figure._suptitle is not None:
        out.append(figure._suptitle.get_text())
    for legend in figure.legends:
        out += [t.get_text() for t in legend.get_texts()]
        out.append(legend.get_title().get_text())
    for ax in figure.axes:
        out += [ax.get_title(loc=loc) for loc in ("left", "center", "right")]
        out += [ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        out += [t.get_text() for t in ax.texts]
        if ax.get_legend() is not None:
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    return [text for text in out if text]
