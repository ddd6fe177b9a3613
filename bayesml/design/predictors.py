"""Formulas for family parameters: each gets its own linear predictor (distributional models).

``Model("count ~ spp + (1 | site)", zi="~ spp + mined", family="zero_inflated_poisson")`` models the
zero-inflation probability, ``dispersion_formula="~ x2 + x3"`` the family's dispersion parameter
(``sigma``, ``alpha`` or ``kappa``), on the parameter's link (logit for a probability, log for a
positive parameter), as brms' distributional parameters and hglm's dispersion model. A
:class:`PredictorDesign` holds the fixed-effects matrix and the random blocks of one such formula,
evaluated on the model's rows with the model's encodings; its blocks are named
``"<parameter>_<group>"`` (``zi_site``), which makes their posterior names ``sd_zi_site``,
``u_zi_site``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from bayesml.design.convert import EvalContext
from bayesml.design.expressions import expression_columns
from bayesml.design.fixed import FixedDesign, build_fixed
from bayesml.design.random import RandomBlock, build_random_block
from bayesml.design.validate import require_columns
from bayesml.errors import DataError, SpecError
from bayesml.families import Family, family_parameters
from bayesml.formula import RightHandSide, parse_predictor

__all__ = [
    "DISPERSION",
    "PredictorDesign",
    "build_predictors",
    "predictor_columns",
    "require_predictor_columns",
    "resolve_targets",
]

DISPERSION = "dispersion"
"""The name under which a model's formula for its family's dispersion parameter is given."""


@dataclass(frozen=True, eq=False)
class PredictorDesign:
    """The design of the formula of one family parameter.

    Attributes
    ----------
    parameter
        The family parameter it models (``"zi"``, ``"sigma"``).
    link
        The parameter's link (``"logit"``, ``"log"``).
    formula
        The parsed one-sided formula.
    fixed
        Its fixed-effects matrix (with its own intercept) on the model's rows.
    random
        Its random blocks, named ``"<parameter>_<group>"``.
    """

    parameter: str
    link: str
    formula: RightHandSide
    fixed: FixedDesign = field(repr=False)
    random: tuple[RandomBlock, ...] = field(repr=False)

    @property
    def coef_dim(self) -> str:
        """The dimension of its coefficients ``beta_<parameter>``."""
        return f"coef_{self.parameter}"

    def transform(self, new_data: pd.DataFrame, *, random_effects: bool = True) -> tuple:
        """``(fixed matrix, per block (term_matrix, group_index, unseen))`` of new rows."""
        fixed = self.fixed.transform(new_data)
        random = tuple(block.transform(new_data) for block in self.random) if random_effects else ()
        return fixed, random


def resolve_targets(formulas: Mapping[str, str], family: Family) -> dict[str, RightHandSide]:
    """The family parameter each formula models, with the formula parsed.

    ``formulas`` maps a parameter name (``"zi"``, ``"hu"``, ``"sigma"``) or ``"dispersion"`` (the
    family's dispersion parameter) to a one-sided formula.

    Raises
    ------
    SpecError
        For a parameter the family does not have or that cannot have a formula, naming the key
        (``formulas.zi``) and what the family has.
    FormulaError
        For a formula that does not parse.
    """
    targets: dict[str, RightHandSide] = {}
    for key, text in formulas.items():
        parameter = family.dispersion_name if key == DISPERSION else key
        if parameter is None:
            raise SpecError(
                f"family {family.name!r} has no dispersion parameter to model (its parameters: "
                f"{', '.join(family.aux_names) or 'none'})",
                f"formulas.{key}",
            )
        modelled = [p.name for p in family.parameters if p.link is not None]
        if parameter not in modelled:
            owners = family_parameters().get(parameter, ())
            raise SpecError(
                f"family {family.name!r} has no parameter {parameter!r} to model with a formula; "
                f"the parameters it can model: {', '.join(modelled) or 'none'}"
                + (f" ({parameter!r} is a parameter of {', '.join(owners)})" if owners else ""),
                f"formulas.{key}",
            )
        if parameter in targets:
            raise SpecError(
                f"{parameter!r} has two formulas (dispersion is {parameter!r} for family "
                f"{family.name!r}); give one",
                f"formulas.{key}",
            )
        targets[parameter] = parse_predictor(text)
    return targets


def predictor_columns(predictors: Mapping[str, RightHandSide]) -> list[str]:
    """The data columns the formulas read (terms and grouping factors)."""
    columns: list[str] = []
    for rhs in predictors.values():
        texts = [factor for term in rhs.terms for factor in term.factors]
        for random in rhs.random_terms:
            texts += [factor for term in random.terms for factor in term.factors]
            columns += list(random.group)
        columns += [column for text in texts for column in expression_columns(text)]
    return columns


def require_predictor_columns(
    predictors: Mapping[str, RightHandSide], data: pd.DataFrame, family: Family
) -> None:
    """Every column a parameter's formula reads is in ``data``.

    Raises
    ------
    DataError
        Naming the formula by its spec key (``formulas.zi``, ``formulas.dispersion``), the
        missing columns with suggestions and the columns there are, and showing the formula with a
        caret under the first missing column.
    """
    for parameter, rhs in predictors.items():
        wanted = dict.fromkeys(predictor_columns({parameter: rhs}))
        missing = [column for column in wanted if column not in data.columns]
        if not missing:
            continue
        key = DISPERSION if parameter == family.dispersion_name else parameter
        try:
            require_columns(data, missing)
        except DataError as error:
            message = f"formulas.{key}: {error}"
            found = re.search(rf"(?<![\w.]){re.escape(missing[0])}(?![\w.])", rhs.text)
            if found is not None:
                start, end = found.span()
                message += f"\n    {rhs.text}\n    {' ' * start}{'^' * (end - start)}"
            raise DataError(message) from None


def build_predictors(
    predictors: Mapping[str, RightHandSide], family: Family, context: EvalContext
) -> dict[str, PredictorDesign]:
    """Evaluate each parameter's formula on the model's rows (``context``)."""
    designs = {}
    for parameter, rhs in predictors.items():
        fixed = build_fixed(rhs, context)
        random = tuple(
            dataclasses.replace(block, name=f"{parameter}_{block.name}")
            for block in (build_random_block(term, context) for term in rhs.random_terms)
        )
        link = family.parameter(parameter).link
        designs[parameter] = PredictorDesign(parameter, link, rhs, fixed, random)
    return designs
