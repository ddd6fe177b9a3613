"""Data + parsed formula → validated design matrices.

:func:`build_design` evaluates a :class:`~bayesml.formula.ParsedFormula` on a data frame with a safe
interpreter (never ``eval``) and returns a :class:`ModelDesign`: the validated response, the
fixed-effects matrix, one random-effect block per grouping factor and the offsets. Each part keeps
what it learned from the data (levels, reference levels, means and SDs of ``scale()``), so
``transform(new_data)`` encodes new rows the same way.

>>> import pandas as pd
>>> from bayesml.design import build_design
>>> from bayesml.families import get_family
>>> from bayesml.formula import parse_formula
>>> frame = pd.DataFrame({"y": [0.5, 1.5, 1.0, 2.0], "a": ["p", "q", "p", "q"], "g": list("xxyy")})
>>> design = build_design(parse_formula("y ~ a + (1 | g)"), frame, family=get_family("gaussian"))
>>> design.fixed.column_names, design.random[0].levels
(('Intercept', 'a[q]'), ('x', 'y'))
"""

# bs = "tp" registers itself in smooth_bases.SMOOTH_BASES (thin_plate subclasses SmoothBasis, so
# smooth_bases cannot import it); importing any bayesml.design module runs this first.
from bayesml.design import thin_plate as _thin_plate  # noqa: F401
from bayesml.design.design import DesignRows, ModelDesign, build_design
from bayesml.design.fixed import FixedDesign
from bayesml.design.one_sided import build_fixed_design, one_sided_design
from bayesml.design.predictors import DISPERSION, PredictorDesign, resolve_targets
from bayesml.design.random import RandomBlock
from bayesml.design.response import ResponseData
from bayesml.design.transforms import TRANSFORMS

__all__ = [
    "DISPERSION",
    "DesignRows",
    "FixedDesign",
    "ModelDesign",
    "PredictorDesign",
    "RandomBlock",
    "ResponseData",
    "TRANSFORMS",
    "build_design",
    "build_fixed_design",
    "one_sided_design",
    "resolve_targets",
]
