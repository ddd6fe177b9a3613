"""Name lookup shared by the link and family registries: normalise, resolve aliases, suggest."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from bayesml.errors import FamilyError

__all__ = ["normalise_name", "resolve_name"]


def normalise_name(given: object, *, what: str) -> str:
    """Lower-case ``given`` and turn dashes and spaces into underscores.

    Parameters
    ----------
    given
        The name as the user wrote it.
    what
        What the name is for (``"family"``, ``"link"``), used in the error message.

    Raises
    ------
    FamilyError
        If ``given`` is not a string.
    """
    if not isinstance(given, str):
        raise FamilyError(f"{what} must be a string; got {given!r} ({type(given).__name__})")
    return given.strip().lower().replace("-", "_").replace(" ", "_")


def resolve_name(
    given: object,
    *,
    what: str,
    choices: Iterable[str],
    aliases: Mapping[str, str] | None = None,
    context: str = "",
) -> str:
    """Return the canonical name that ``given`` refers to.

    Parameters
    ----------
    given
        The name as the user wrote it; matched case-insensitively, ``-`` and spaces read as ``_``.
    what
        What the name is for (``"family"``, ``"link"``), used in the error message.
    choices
        The canonical names that are accepted.
    aliases
        Other accepted spellings, mapped to canonical names.
    context
        Text appended to the ``unknown <what>`` part of the message, e.g. ``" for family 'poisson'"``.

    Raises
    ------
    FamilyError
        If ``given`` is neither a canonical name nor an alias. The message lists the canonical
        names, echoes ``given`` and suggests a close match when there is one.
    """
    aliases = dict(aliases or {})
    valid = list(choices)
    key = normalise_name(given, what=what)
    if key in valid:
        return key
    if key in aliases and aliases[key] in valid:
        return aliases[key]
    message = f"unknown {what} {given!r}{context}; expected one of {sorted(valid)}"
    close = difflib.get_close_matches(key, [*valid, *aliases], n=1, cutoff=0.6)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    raise FamilyError(message)
