"""``build_design``: a parsed formula and a data frame → validated matrices (:class:`ModelDesign`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from bayesml.design.convert import EvalContext
from bayesml.design.encodings import EncodingStore
from bayesml.design.expressions import evaluate_numeric, expression_columns
from bayesml.design.fixed import FixedDesign, build_fixed
from bayesml.design.predictors import (
    PredictorDesign,
    build_predictors,
    predictor_columns,
    require_predictor_columns,
)
from bayesml.design.random import RandomBlock, build_random_block
from bayesml.design.response import ResponseData, ResponseRequest, build_response, response_trials
from bayesml.design.smooths import FittedSmooth, build_smooths
from bayesml.design.terms import new_data_context
from bayesml.design.validate import (
    check_missing_policy,
    check_not_empty,
    handle_missing,
    require_columns,
)
from bayesml.errors import DataError, SpecError
from bayesml.families import Family, random_families_for
from bayesml.formula import ParsedFormula, RightHandSide

__all__ = ["DesignRows", "ModelDesign", "OffsetTerms", "build_design", "used_columns"]


@dataclass(frozen=True, eq=False)
class OffsetTerms:
    """The ``offset(...)`` expressions of a formula; their sum enters η with coefficient 1."""

    texts: tuple[str, ...]
    context: EvalContext = field(repr=False)

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns the offsets read."""
        return tuple(dict.fromkeys(c for text in self.texts for c in expression_columns(text)))

    def evaluate(self, context: EvalContext) -> np.ndarray:
        """The summed offsets on the rows of ``context`` (zeros without offsets)."""
        total = np.zeros(context.n)
        for text in self.texts:
            total += evaluate_numeric(text, context, what=f"offset({text})")
        return total

    def transform(self, new_data: pd.DataFrame) -> np.ndarray:
        """The summed offsets of new rows."""
        return self.evaluate(new_data_context(new_data, self.columns, self.context))


@dataclass(frozen=True, eq=False)
class DesignRows:
    """New rows encoded as the fitting rows were: what a prediction needs.

    Attributes
    ----------
    fixed
        The fixed-effects matrix of the new rows.
    random
        Per random block, ``(term_matrix, group_index, unseen)`` from :meth:`RandomBlock.transform`.
    offset
        The summed offsets of the new rows.
    trials
        Binomial trials of the new rows when the data hold them, else ``None``.
    row_labels
        The index of the new rows.
    predictors
        Per family parameter with a formula, ``(fixed matrix, random)`` of its predictor.
    """

    fixed: np.ndarray
    random: tuple[tuple[np.ndarray, np.ndarray, tuple[str, ...]], ...]
    offset: np.ndarray
    trials: np.ndarray | None
    row_labels: pd.Index
    predictors: Mapping[str, tuple] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class ModelDesign:
    """Validated response, fixed-effects matrix, random-effect blocks and offsets of one model.

    Attributes
    ----------
    response
        :class:`ResponseData`: ``y``, ``trials``, ``weights``, ``name``, ``success_level``.
    fixed
        :class:`FixedDesign`: ``matrix``, ``column_names``, ``has_intercept``, ``transform``.
    random
        One :class:`RandomBlock` per random term of the formula.
    offset
        Summed offsets per row (zeros without ``offset(...)``).
    row_labels
        Index labels of the data rows used (after any dropped for missing values).
    dropped_rows
        How many rows ``missing="drop"`` removed.
    formula
        The parsed formula the design was built from.
    predictors
        One :class:`~bayesml.design.predictors.PredictorDesign` per family parameter with a
        formula of its own (``zi``, ``sigma``, ...), on the same rows.
    smooths
        The fitted smooth terms (:mod:`bayesml.design.smooths`): their fixed columns end
        ``fixed``, their penalised blocks end ``random``.
    """

    response: ResponseData
    fixed: FixedDesign
    random: tuple[RandomBlock, ...]
    offset: np.ndarray
    row_labels: pd.Index
    dropped_rows: int
    formula: ParsedFormula = field(repr=False)
    offsets: OffsetTerms = field(repr=False)
    response_request: ResponseRequest = field(repr=False)
    predictors: Mapping[str, PredictorDesign] = field(default_factory=dict)
    smooths: tuple[FittedSmooth, ...] = ()

    @property
    def n_obs(self) -> int:
        """Number of observations (rows used)."""
        return len(self.row_labels)

    @property
    def observed_name(self) -> str:
        """Name of the response in results: the response column, or the successes column of a
        ``cbind(s, f)`` / ``r/n`` response, or a multinomial response's columns joined by ``_``
        (``cbind(stay, move, quit)``: ``stay_move_quit``). Never contains ``/`` or ``,`` (netCDF
        and PyMC names)."""
        response = self.formula.response
        name = response.expressions[0] if response.kind != "single" else self.response.name
        if np.ndim(self.response.y) == 2:  # multinomial counts: one column per category
            name = "_".join(response.expressions)
        return name.replace("/", "_over_").replace(",", "_")

    def transform(self, new_data: pd.DataFrame, *, random_effects: bool = True) -> DesignRows:
        """Encode new rows for prediction with the encodings learned in fitting.

        The response columns are not needed; binomial trials are read when present. With
        ``random_effects=False`` the grouping factors and random-term columns are not read
        either (``random`` is empty): population-level predictions.

        Raises
        ------
        DataError
            If ``new_data`` lacks a needed column, has missing values in one, or a categorical
            fixed term has a level not seen when fitting (new levels of grouping factors are
            allowed: their rows get ``group_index`` -1).
        """
        fixed = self.fixed.transform(new_data)
        random = tuple(block.transform(new_data) for block in self.random) if random_effects else ()
        offset = self.offsets.transform(new_data)
        context = self.offsets.context
        trials = response_trials(self.response_request, new_data, context)
        predictors = {
            name: predictor.transform(new_data, random_effects=random_effects)
            for name, predictor in self.predictors.items()
        }
        return DesignRows(fixed, random, offset, trials, new_data.index, predictors)


def used_columns(parsed: ParsedFormula, weights: str | None = None) -> tuple[str, ...]:
    """The data columns a model reads, in formula order: response, terms, groups, offsets, weights."""
    texts = [*parsed.response.expressions]
    texts += [factor for term in parsed.terms for factor in term.factors]
    columns = [c for text in texts for c in expression_columns(text)]
    for random in parsed.random_terms:
        columns += [c for term in random.terms for f in term.factors for c in expression_columns(f)]
        columns += list(random.group)
    for smooth in parsed.smooth_terms:
        columns += [c for text in smooth.covariates for c in expression_columns(text)]
        columns += [smooth.by] if smooth.by is not None else []
    columns += [c for text in parsed.offsets for c in expression_columns(text)]
    if weights is not None:
        columns.append(weights)
    return tuple(dict.fromkeys(columns))


def _check_arguments(data: Any, weights: Any, missing: Any) -> None:
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    if weights is not None and not isinstance(weights, str):
        raise DataError(f"weights must be the name of a data column; got {weights!r}")
    check_missing_policy(missing)


def build_design(
    parsed: ParsedFormula,
    data: pd.DataFrame,
    *,
    family: Family,
    success: Any = None,
    weights: str | None = None,
    missing: Literal["raise", "drop"] = "raise",
    reference_levels: Mapping[str, Any] | None = None,
    levels: Any = None,
    reference: Any = None,
    predictors: Mapping[str, RightHandSide] | None = None,
    random_family: Any = None,
) -> ModelDesign:
    """Evaluate a parsed formula on a data frame into validated model matrices.

    Parameters
    ----------
    parsed
        From :func:`bayesml.formula.parse_formula`.
    data
        One row per observation.
    family
        The response family (:func:`bayesml.families.get_family`); it decides how the response is
        read and validates it.
    success
        The value of a two-level response that counts as success (default: the second level in
        order, as R's ``glm``).
    weights
        Column of prior weights, or of the trials of an ``r/n`` binomial response (then it must
        equal ``n``).
    missing
        ``"raise"`` (default): refuse missing values in used columns, naming column and rows;
        ``"drop"``: drop those rows with a warning saying how many.
    reference_levels
        Reference level per categorical variable, e.g. ``{"extract": "Cucumber"}``; default the
        first level in order.
    levels
        The levels of an ordinal response, lowest first (R's ``factor(y, levels = ...)``); an
        ordered categorical or integer response needs none (see :mod:`bayesml.design.ordered`);
        for a categorical response, the order of its levels, the first being the reference.
    reference
        The reference level of a categorical response (default: the first level; see
        :mod:`bayesml.design.categories`).
    predictors
        Formulas of family parameters (from :func:`~bayesml.design.predictors.resolve_targets`),
        evaluated on the same rows with the same encodings.
    random_family
        The distribution of the random effects: one name (``"gamma"``, ``"beta(logit)"``) for
        every term, or a mapping from grouping factor to name (others gaussian); default gaussian.

    Returns
    -------
    ModelDesign

    Raises
    ------
    DataError
        For missing columns (with suggestions), missing values, non-numeric values where numbers
        are needed, values outside a transform's domain (``log`` of 0), invalid responses, a
        grouping factor with one level, a rank-deficient fixed-effects matrix, empty data, or a
        bad ``missing``/``weights``/``success``/``reference_levels`` argument.
    FormulaError
        For a response form the family cannot take (``cbind`` without the binomial).

    Examples
    --------
    >>> import pandas as pd
    >>> from bayesml.families import get_family
    >>> from bayesml.formula import parse_formula
    >>> frame = pd.DataFrame({"y": [1.0, 2.5, 2.0, 4.0], "x": [1, 2, 3, 4], "g": list("aabb")})
    >>> design = build_design(parse_formula("y ~ x + g"), frame, family=get_family("gaussian"))
    >>> design.fixed.column_names
    ('Intercept', 'x', 'g[b]')
    """
    _check_arguments(data, weights, missing)
    check_not_empty(data)
    predictors = dict(predictors or {})
    columns = tuple(dict.fromkeys([*used_columns(parsed, weights), *predictor_columns(predictors)]))
    require_columns(data, used_columns(parsed, weights))
    require_predictor_columns(predictors, data, family)
    require_columns(data, columns)
    data, dropped = handle_missing(data, columns, missing)
    context = EvalContext(data, EncodingStore(reference_levels), parsed.text)
    request = ResponseRequest(parsed.response, family, success, weights, levels, reference)
    response = build_response(request, context)
    smooths, smooth_fixed, smooth_labels, smooth_blocks = build_smooths(
        parsed.smooth_terms, context
    )
    fixed = build_fixed(
        parsed,
        context,
        absorb_intercept=family.absorbs_intercept,
        smooths=smooths,
        smooth_columns=(smooth_fixed, smooth_labels),
    )
    random = with_random_families(
        tuple(build_random_block(term, context) for term in parsed.random_terms), random_family
    )
    random = random + smooth_blocks
    offsets = OffsetTerms(parsed.offsets, context)
    offset = offsets.evaluate(context)
    predictor_designs = build_predictors(predictors, family, context)
    context.store.check_reference_levels_used()
    context.store.freeze()
    return ModelDesign(
        response=response,
        fixed=fixed,
        random=random,
        offset=offset,
        row_labels=data.index,
        dropped_rows=dropped,
        formula=parsed,
        offsets=offsets,
        response_request=request,
        predictors=predictor_designs,
        smooths=smooths,
    )


def with_random_families(blocks: tuple[RandomBlock, ...], spec: Any) -> tuple[RandomBlock, ...]:
    """The blocks with the random family ``spec`` gives each (see :func:`build_design`).

    Raises
    ------
    SpecError
        For a mapping naming no grouping factor of the model, or a family other than gaussian on
        a block of several terms (as hglm, one term per non-gaussian block).
    """
    if spec is None:
        return blocks
    families = random_families_for(spec, [block.name for block in blocks])
    out = []
    for block, family in zip(blocks, families, strict=True):
        if not family.is_gaussian and len(block.term_labels) != 1:
            raise SpecError(
                f"{family.label} random effects take one term per grouping factor (as hglm); group "
                f"{block.name!r} has {len(block.term_labels)} ({', '.join(block.term_labels)}): "
                "write them as separate terms, e.g. (1 | g) + (0 + x | g)",
                "random_family",
            )
        out.append(dataclasses.replace(block, random_family=family))
    return tuple(out)
