"""lme4-style formulas: text → :class:`ParsedFormula`.

The parser is our own and is safe for spec files: formulas are data, so only the functions in
:data:`ALLOWED_FUNCTIONS` may be called and nothing is ever evaluated here. The pipeline, one small
module per step::

    tokens (tokenize) → syntax (Pratt parser → expression trees) → terms / random_terms / response
    (R's term algebra, lme4's bars) → parsed (frozen ParsedFormula); render gives canonical texts

The design layer evaluates the tree of each canonical expression (:func:`parse_expression`) with its
own interpreter.
"""

from bayesml.formula.api import parse_formula, parse_predictor, parse_rhs
from bayesml.formula.expressions import parse_expression
from bayesml.formula.functions import ALLOWED_FUNCTIONS, FunctionSpec
from bayesml.formula.nodes import (
    ARITHMETIC_OPERATORS,
    COMPARISON_OPERATORS,
    UNARY_OPERATORS,
    BinaryOp,
    Call,
    Compare,
    Expr,
    Name,
    Number,
    String,
    UnaryOp,
    names_in,
)
from bayesml.formula.parsed import (
    INTERCEPT_LABEL,
    ParsedFormula,
    RandomTerm,
    Response,
    RightHandSide,
    SmoothTerm,
    Term,
)
from bayesml.formula.render import to_text

__all__ = [
    "parse_formula",
    "parse_rhs",
    "parse_predictor",
    "parse_expression",
    "ParsedFormula",
    "Term",
    "RandomTerm",
    "SmoothTerm",
    "Response",
    "RightHandSide",
    "INTERCEPT_LABEL",
    "ALLOWED_FUNCTIONS",
    "FunctionSpec",
    "Expr",
    "Name",
    "Number",
    "String",
    "Call",
    "BinaryOp",
    "UnaryOp",
    "Compare",
    "ARITHMETIC_OPERATORS",
    "COMPARISON_OPERATORS",
    "UNARY_OPERATORS",
    "names_in",
    "to_text",
]
