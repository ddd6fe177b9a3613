"""The left-hand side of a formula → :class:`Response`.

``y`` or any expression (``log(y)``) is a *single* response; ``cbind(successes, failures)`` a
*cbind* response; a top-level division ``r/n`` a *ratio* response (``r`` successes out of ``n``
trials). To divide a response write ``I(y/2)``.
"""

from __future__ import annotations

from bayesml.errors import FormulaError
from bayesml.formula.functions import require_transforms
from bayesml.formula.nodes import BinaryOp, Call, Expr, names_in
from bayesml.formula.parsed import Response
from bayesml.formula.render import to_text

__all__ = ["build_response"]


def build_response(lhs: Expr, text: str) -> Response:
    """Classify the response tree ``lhs`` and store its canonical expressions.

    Raises
    ------
    FormulaError
        When the response uses ``C``, ``factor`` or ``offset``, uses ``cbind`` other than as the
        whole response, or references no data column.
    """
    match lhs:
        case Call(func="cbind", args=args):
            kind, parts = "cbind", args
        case BinaryOp(op="/", left=left, right=right):
            kind, parts = "ratio", (left, right)
        case _:
            kind, parts = "single", (lhs,)
    for part in parts:
        require_transforms(part, text, "within the response")
    if not any(names_in(part) for part in parts):
        raise FormulaError(
            "the response must use a data column, e.g. 'y ~ x'; got no column name",
            text,
            lhs.start,
            lhs.end,
        )
    return Response(kind, tuple(to_text(part) for part in parts))
