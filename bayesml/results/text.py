"""Printed text that notebooks and the REPL show as it prints: the summaries of point fits."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

__all__ = ["SummaryText"]


@dataclass(frozen=True)
class SummaryText:
    """A block of text: ``print(fit.summary())`` prints it, and a bare ``fit.summary()`` shows
    it in the REPL, in IPython and in Jupyter (a ``<pre>`` block)."""

    text: str

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython shows the text (a bare ``fit.summary()`` at the prompt)."""
        printer.text(self.text)

    def _repr_html_(self) -> str:
        """Jupyter shows the text as a preformatted block (a bare ``fit.summary()`` in a cell)."""
        return f"<pre>{html.escape(self.text)}</pre>"
