"""Tokenizer: formula text → tokens with character spans.

The tokenizer knows names (plain, R-style dotted and backquoted), numbers, quoted strings and the
operators of the formula and expression grammars. Anything else is refused here, with the position of
the offending character, so the parser only ever sees a closed set of tokens.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from bayesml.errors import FormulaError

__all__ = ["Token", "TokenKind", "OPERATORS", "tokenize", "is_plain_name", "check_name"]

TokenKind = Literal["name", "number", "string", "op", "end"]

#: every operator either grammar knows, longest first so that ``**`` wins over ``*``
OPERATORS: tuple[str, ...] = (
    "||", "**", "==", "!=", "<=", ">=",
    "|", "~", "+", "-", "*", "/", ":", "^", "<", ">", "=", "(", ")", ",",
)  # fmt: skip

_NAME = re.compile(r"(?:[^\W\d]|\.(?!\d))[\w.]*")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SPACE = re.compile(r"\s+")
_DUNDER = re.compile(r"(?:^|\.)__")
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "`": "`", "n": "\n", "t": "\t"}

#: characters that are refused, with the reason given to the user
_REFUSED = {
    "[": "subscripts (x[...]) are not allowed",
    "]": "subscripts (x[...]) are not allowed",
    "{": "braces are not allowed",
    "}": "braces are not allowed",
    "$": "attribute access ($) is not allowed",
    "@": "attribute access (@) is not allowed",
    "%": "%-operators such as %in% are not supported; write a/b for nesting or a:b for an interaction",
    "&": "logical operators are not supported; use comparisons inside I(), e.g. I(x > 1)",
    "!": "logical operators are not supported; use comparisons inside I(), e.g. I(x > 1)",
    ";": "a formula is a single expression; ';' is not allowed",
    "#": "comments are not allowed in a formula",
}


@dataclass(frozen=True)
class Token:
    """One token of a formula.

    Attributes
    ----------
    kind
        ``"name"``, ``"number"``, ``"string"``, ``"op"`` or ``"end"`` (after the last token).
    text
        The source text of the token (with quotes for strings and backquoted names).
    start, end
        Character span in the formula (``end`` exclusive).
    value
        The name without backquotes, the number (int or float) or the unescaped string.
    """

    kind: TokenKind
    text: str
    start: int
    end: int
    value: str | int | float | None = None


def is_plain_name(name: str) -> bool:
    """Whether ``name`` can be written without backquotes (an identifier or R dotted name)."""
    return _NAME.fullmatch(name) is not None and name.strip(".") != "" and not _DUNDER.search(name)


def check_name(name: str, formula: str, start: int, end: int) -> None:
    """Refuse names that could reach Python internals (``__x``, ``a.__b``) or mean "all columns".

    Raises
    ------
    FormulaError
        For a name whose part starts with ``__`` or a name made of dots only.
    """
    if _DUNDER.search(name):
        raise FormulaError(
            f"names starting with '__' are not allowed, got {name!r}", formula, start, end
        )
    if name.strip(".") == "":
        raise FormulaError(
            f"{name!r} (all remaining columns) is not supported; list the columns by name",
            formula,
            start,
            end,
        )


def tokenize(formula: str) -> list[Token]:
    """Split ``formula`` into tokens, ending with one ``"end"`` token.

    Parameters
    ----------
    formula
        The formula (or expression) text.

    Returns
    -------
    list of Token

    Raises
    ------
    FormulaError
        At the first character that starts no token, an unterminated string or backquoted name, a
        forbidden name or a number too large to represent.
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(formula):
        space = _SPACE.match(formula, pos)
        if space:
            pos = space.end()
            continue
        token = _next_token(formula, pos)
        tokens.append(token)
        pos = token.end
    tokens.append(Token("end", "", len(formula), len(formula)))
    return tokens


def _next_token(formula: str, pos: int) -> Token:
    char = formula[pos]
    if char in "\"'":
        return _quoted(formula, pos, kind="string")
    if char == "`":
        return _quoted(formula, pos, kind="name")
    number = _NUMBER.match(formula, pos)
    if number:
        return _number_token(formula, number)
    name = _NAME.match(formula, pos)
    if name:
        check_name(name.group(), formula, pos, name.end())
        return Token("name", name.group(), pos, name.end(), name.group())
    for op in OPERATORS:
        if formula.startswith(op, pos):
            return Token("op", op, pos, pos + len(op))
    reason = _REFUSED.get(char, "expected a name, a number, a quoted string or an operator")
    raise FormulaError(f"unexpected character {char!r}: {reason}", formula, pos, pos + 1)


def _number_token(formula: str, match: re.Match[str]) -> Token:
    text = match.group()
    is_float = any(mark in text for mark in ".eE")
    value: int | float = float(text) if is_float else int(text)
    if not math.isfinite(value):
        raise FormulaError(f"the number {text} is too large", formula, match.start(), match.end())
    return Token("number", text, match.start(), match.end(), value)


def _quoted(formula: str, start: int, *, kind: Literal["string", "name"]) -> Token:
    """Read a quoted string or a backquoted name starting at ``start`` (the opening quote)."""
    quote = formula[start]
    chars: list[str] = []
    pos = start + 1
    while pos < len(formula) and formula[pos] != quote:
        if formula[pos] == "\\":
            escape = formula[pos + 1 : pos + 2]
            if escape not in _ESCAPES:
                allowed = " ".join("\\" + e for e in _ESCAPES)
                raise FormulaError(
                    f"unknown escape '\\{escape}'; allowed escapes: {allowed}",
                    formula,
                    pos,
                    pos + 2,
                )
            chars.append(_ESCAPES[escape])
            pos += 2
        else:
            chars.append(formula[pos])
            pos += 1
    what = "string" if kind == "string" else "backquoted name"
    if pos >= len(formula):
        raise FormulaError(
            f"unterminated {what}: expected a closing {quote}", formula, start, len(formula)
        )
    value = "".join(chars)
    if kind == "name":
        if not value:
            raise FormulaError("empty backquoted name ``", formula, start, pos + 1)
        check_name(value, formula, start, pos + 1)
    return Token(kind, formula[start : pos + 1], start, pos + 1, value)
