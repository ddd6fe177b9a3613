"""Deep-frozen, hashable copies of nested spec data, and the way back to plain data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["FrozenMapping", "freeze", "thaw"]


class FrozenMapping(Mapping):
    """An immutable, hashable mapping; compares equal to a ``dict`` with the same items.

    Parameters
    ----------
    items
        A mapping whose values are already frozen (see :func:`freeze`).
    """

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping[Any, Any] | None = None) -> None:
        self._items = dict(items or {})
        self._hash: int | None = None

    def __getitem__(self, key: Any) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._items.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMapping({self._items!r})"

    def __reduce__(self) -> tuple:
        return (FrozenMapping, (self._items,))


def freeze(value: Any) -> Any:
    """Deep-freeze nested data: mappings become :class:`FrozenMapping`, lists tuples.

    Sets become frozensets; other values (scalars, frozen objects such as ``Prior``) are kept.
    """
    if isinstance(value, Mapping):
        return FrozenMapping({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    if isinstance(value, set | frozenset):
        return frozenset(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Plain, YAML-ready data from frozen data: dicts, lists and scalars.

    Objects with a ``to_dict()`` method (``Prior``) are replaced by its result.
    """
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(item) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(thaw(item) for item in value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return thaw(to_dict())
    return value
