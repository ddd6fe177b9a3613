"""What a design learns from the fitting data, kept so that new data are encoded the same way.

Every stateful step (the mean and SD of ``scale(x)``, the level set and reference of a factor,
whether an expression entered the model as a number or a factor) stores its state here under a
key such as ``("scale", "scale(x)")``. While fitting, the first evaluation learns the state; after
:meth:`EncodingStore.freeze` every evaluation reuses it, so predictions on new data use the
training mean, SD and levels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from bayesml.design.values import FactorEncoding, level_label
from bayesml.errors import DataError

__all__ = ["EncodingStore"]

T = TypeVar("T")


class EncodingStore:
    """The learned state of every stateful expression of one design.

    Parameters
    ----------
    reference_levels
        Reference level per categorical variable, keyed by expression text (``"extract"``,
        ``"factor(Gr)"``) or, for ``factor(col)``/``C(col)``, by the column name.
    """

    def __init__(self, reference_levels: Mapping[str, Any] | None = None) -> None:
        if reference_levels is not None and not isinstance(reference_levels, Mapping):
            raise DataError(
                "reference_levels must be a mapping from column to level, e.g. "
                f"{{'extract': 'Bean'}}; got {type(reference_levels).__name__}"
            )
        self._states: dict[tuple[str, str], Any] = {}
        self._reference_levels = dict(reference_levels or {})
        self._used_references: set[str] = set()
        self._categorical_names: set[str] = set()
        self.frozen = False

    def state(self, kind: str, key: str, learn: Callable[[], T]) -> T:
        """The state stored under ``(kind, key)``, learning it with ``learn()`` while fitting."""
        slot = (kind, key)
        if slot not in self._states:
            if self.frozen:
                raise RuntimeError(f"no encoding was learned for {kind} {key!r} when fitting")
            self._states[slot] = learn()
        return self._states[slot]

    def freeze(self) -> None:
        """Stop learning: from now on every state must already exist."""
        self.frozen = True

    def factor_encoding(
        self,
        key: str,
        levels: Callable[[], tuple[Any, ...]],
        *,
        explicit: Any = None,
        column: str | None = None,
    ) -> FactorEncoding:
        """The encoding of categorical expression ``key``, learned from ``levels()`` when fitting.

        The reference level is ``explicit`` (from ``C(x, ref=...)``) when given, else
        ``reference_levels[key]`` or ``reference_levels[column]``, else the first level.
        """

        def learn() -> FactorEncoding:
            found = levels()
            self._categorical_names.update(name for name in (key, column) if name)
            requested, source = explicit, f"ref in {key}"
            if requested is None:
                for name in (key, column):
                    if name is not None and name in self._reference_levels:
                        self._used_references.add(name)
                        requested, source = self._reference_levels[name], f"reference_levels[{name!r}]"
                        break
            if requested is None:
                return FactorEncoding(found)
            return FactorEncoding(found, _position(found, requested, key=key, source=source))

        return self.state("factor", key, learn)

    def check_reference_levels_used(self) -> None:
        """Raise :class:`DataError` if a ``reference_levels`` key named no categorical variable."""
        unused = [name for name in self._reference_levels if name not in self._used_references]
        unused = [name for name in unused if name not in self._categorical_names]
        if unused:
            known = sorted(self._categorical_names) or ["(none)"]
            raise DataError(
                f"reference_levels names {', '.join(map(repr, unused))}, which "
                + ("is not a categorical variable" if len(unused) == 1 else "are not categorical variables")
                + f" of the model; categorical variables: {', '.join(known)}"
            )


def _position(levels: tuple[Any, ...], requested: Any, *, key: str, source: str) -> int:
    """Index of ``requested`` among ``levels``, matching by value or by its text."""
    for position, level in enumerate(levels):
        if level == requested or level_label(level) == str(requested):
            return position
    encoding = FactorEncoding(levels)
    raise DataError(
        f"{source}: {requested!r} is not a level of {key}; levels: "
        f"{', '.join(map(repr, encoding.labels))}"
    )
