"""Canonical text of an expression tree.

Every factor, response and offset expression is stored in one spelling, so the same expression written
two ways is the same term: R's ``deparse`` layout (single spaces around ``+ - *`` and comparisons, none
around ``/`` and ``^``, none inside parentheses, ``, `` between arguments), double-quoted strings,
``^`` for powers (``**`` is read as ``^``), parentheses only where precedence needs them, and
backquotes only for names that are not plain identifiers. Parsing the canonical text gives the same
tree back.
"""

from __future__ import annotations

from collections.abc import Callable

from bayesml.formula.nodes import BinaryOp, Call, Compare, Expr, Name, Number, String, UnaryOp
from bayesml.formula.tokens import is_plain_name

__all__ = ["to_text", "quote_name", "quote_string", "PRECEDENCE"]

#: binding strength of each operator when rendering (higher binds tighter)
PRECEDENCE: dict[str, int] = {
    **dict.fromkeys(("==", "!=", "<", "<=", ">", ">="), 5),
    "+": 10,
    "-": 10,
    "*": 20,
    "/": 20,
    "unary": 30,
    "^": 40,
}
_ATOM = 100
_RIGHT_ASSOCIATIVE = {"^"}
_TIGHT = {"/", "^"}
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}


def quote_name(name: str) -> str:
    """``name`` as written in a formula: bare when it is a plain name, else in backquotes."""
    if is_plain_name(name):
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_string(value: str) -> str:
    """``value`` as a double-quoted string literal."""
    return '"' + "".join(_STRING_ESCAPES.get(char, char) for char in value) + '"'


def _precedence(node: Expr) -> int:
    match node:
        case BinaryOp(op=op) | Compare(op=op):
            return PRECEDENCE[op]
        case UnaryOp():
            return PRECEDENCE["unary"]
    return _ATOM


def _operand(node: Expr, parent: int, *, tie_needs_parens: bool) -> str:
    text = to_text(node)
    own = _precedence(node)
    if own < parent or (own == parent and tie_needs_parens):
        return f"({text})"
    return text


def _binary(node: BinaryOp) -> str:
    parent = PRECEDENCE[node.op]
    right_assoc = node.op in _RIGHT_ASSOCIATIVE
    left = _operand(node.left, parent, tie_needs_parens=right_assoc)
    right = _operand(node.right, parent, tie_needs_parens=not right_assoc)
    separator = node.op if node.op in _TIGHT else f" {node.op} "
    return f"{left}{separator}{right}"


def _compare(node: Compare) -> str:
    parent = PRECEDENCE[node.op]
    left = _operand(node.left, parent, tie_needs_parens=True)
    right = _operand(node.right, parent, tie_needs_parens=True)
    return f"{left} {node.op} {right}"


def _unary(node: UnaryOp) -> str:
    return node.op + _operand(node.operand, PRECEDENCE["unary"], tie_needs_parens=False)


def _call(node: Call) -> str:
    args = [to_text(arg) for arg in node.args]
    args += [f"{key}={to_text(value)}" for key, value in node.kwargs]
    return f"{node.func}({', '.join(args)})"


def _number(node: Number) -> str:
    return repr(node.value)


_RENDERERS: dict[type, Callable[[Expr], str]] = {
    Name: lambda node: quote_name(node.name),
    Number: _number,
    String: lambda node: quote_string(node.value),
    Call: _call,
    BinaryOp: _binary,
    UnaryOp: _unary,
    Compare: _compare,
}


def to_text(node: Expr) -> str:
    """The canonical text of ``node``.

    Examples
    --------
    >>> from bayesml.formula.nodes import Compare, Call, Name, String
    >>> to_text(Call("I", (Compare("==", Name("seed"), String("O73")),)))
    'I(seed == "O73")'
    """
    return _RENDERERS[type(node)](node)
