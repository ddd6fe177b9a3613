"""The optional plotting dependencies, imported when a plot is drawn (the ``plot`` extra)."""

from __future__ import annotations

import importlib
from types import ModuleType

from bayesml.errors import MissingDependencyError

__all__ = ["INSTALL_HINT", "require"]

INSTALL_HINT = 'pip install "bayesml[plot]"'


def require(module: str, *, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` with the install hint.

    Parameters
    ----------
    module
        Module to import, e.g. ``"matplotlib.pyplot"`` or ``"arviz_plots"``.
    purpose
        What needs it, for the message (``"bayesml.plots.trace"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.split(".")[0]
        raise MissingDependencyError(
            f"{purpose} needs {top}, which is not installed; install the plotting extra with "
            f"`{INSTALL_HINT}`"
        ) from error
