"""Lazy exports: a package names what it exports and where, and imports it on first use.

This keeps ``import bayesml`` (and the backend packages) light: PyMC is imported only when a name
that needs it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, table: Mapping[str, str], *, cache: dict[str, Any] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose names live in other modules.

    Parameters
    ----------
    package
        The package's name, for the error message.
    table
        Exported name -> the module that defines it.
    cache
        The package's ``globals()``: a name, once imported, is stored there.
    """

    def __getattr__(name: str) -> Any:
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(table[name]), name)
        if cache is not None:
            cache[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(table)

    return __getattr__, __dir__
