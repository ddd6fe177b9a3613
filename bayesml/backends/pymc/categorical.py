"""The graph of a categorical model: one linear predictor per non-reference category.

η_c = X β_c + offset + Z u_c for each of the K − 1 non-reference categories c, each with its own
coefficients and random effects (independent across categories, as in brms' default): the graph
is written by the builder's own functions once per category under category-specific hidden
names (``_beta_c<c>``, group ``_c<c>_<group>``), then stacked into the documented variables with
the category dimension ``<response>__category`` last:

* ``beta`` (``coef``, category);
* ``sd_<group>`` (``<group>__term``, category), ``corr_<group>`` (terms, terms, category) for
  correlated terms;
* ``u_<group>`` (``<group>__level``, ``<group>__term``, category).

The per-category variables (``sd__c0_<group>``, ...) are listed in :attr:`BuildInfo.hidden` and
left out of results. The log prior of each category's parameters comes from its own
:class:`~bayesml.backends.pymc.builder.PriorRecord`, stacked on the same dimension.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import pymc as pm
import pytensor.tensor as pt

from bayesml.errors import FamilyError
from bayesml.results.dims import category_predictor_dim

if TYPE_CHECKING:
    from bayesml.design import ModelDesign, RandomBlock
    from bayesml.families import Family
    from bayesml.priors import ResolvedPriors

__all__ = [
    "STACKED_PREFIXES",
    "category_predictor_dim",
    "category_priors",
    "categorical_linear_predictor",
    "category_coefficient_name",
    "category_group_name",
    "category_labels",
    "category_renames",
]

#: the per-group variables stacked over the categories: ``<prefix>_<group>``
STACKED_PREFIXES = ("sd", "corr", "u")


def category_coefficient_name(category: int) -> str:
    """The hidden name of category ``category``'s coefficients: ``_beta_c0``, ``_beta_c1``, ..."""
    return f"_beta_c{category}"


def category_group_name(group: str, category: int) -> str:
    """The hidden name of a grouping factor for one category: ``_c0_<group>``."""
    return f"_c{category}_{group}"


def category_labels(design: ModelDesign, family: Family) -> tuple[str, ...]:
    """The non-reference categories, which label the category dimension."""
    return family.dimension_labels(design.response.levels or ())["predictor"]


def _category_blocks(design: ModelDesign, category: int) -> list[RandomBlock]:
    return [
        replace(block, name=category_group_name(block.name, category)) for block in design.random
    ]


def category_priors(
    priors: ResolvedPriors, design: ModelDesign, category: int
) -> ResolvedPriors:
    """``priors`` with each group's SD and covariance priors under the category's group name."""
    renamed = {block.name: category_group_name(block.name, category) for block in design.random}
    return replace(
        priors,
        sd={renamed.get(name, name): value for name, value in priors.sd.items()},
        cov={renamed.get(name, name): value for name, value in priors.cov.items()},
        coefficient_name=category_coefficient_name(category),
    )


def category_renames(design: ModelDesign, category: int) -> dict[str, str]:
    """Hidden per-category names -> the documented names they are stacked into (variables and
    dimensions)."""
    renames = {category_coefficient_name(category): "beta"}
    for block in design.random:
        hidden = category_group_name(block.name, category)
        for prefix in STACKED_PREFIXES:
            renames[f"{prefix}_{hidden}"] = f"{prefix}_{block.name}"
        for suffix in ("level", "term", "term_bis"):
            renames[f"{hidden}__{suffix}"] = f"{block.name}__{suffix}"
    return renames


def _add_category_coords(design: ModelDesign, category: int) -> None:
    model = pm.modelcontext(None)
    for block in _category_blocks(design, category):
        for suffix, labels in (
            ("level", block.levels),
            ("term", block.term_labels),
            ("term_bis", block.term_labels),
        ):
            dim = f"{block.name}__{suffix}"
            if dim not in model.coords:
                model.add_coord(dim, list(labels))


def categorical_linear_predictor(
    design: ModelDesign,
    priors: ResolvedPriors,
    family: Family,
    linear_predictor: Callable[..., pt.TensorVariable],
) -> tuple[pt.TensorVariable, tuple[str, ...]]:
    """η of every row and non-reference category, shape ``(n, K − 1)``, adding ``beta``,
    ``sd_<group>``, ``corr_<group>`` and ``u_<group>`` with the category dimension; returns η and
    the names of the hidden per-category variables. ``linear_predictor`` is the builder's
    (:func:`bayesml.backends.pymc.builder.linear_predictor`), called once per category.

    Raises
    ------
    FamilyError
        For non-gaussian random effects, which the categorical family does not take.
    """
    others = [block.name for block in design.random if not block.random_family.is_gaussian]
    if others:
        raise FamilyError(
            f"the categorical family takes gaussian random effects only; got "
            f"{', '.join(f'{b.name}: {b.random_family.label}' for b in design.random if b.name in others)}"
        )
    model = pm.modelcontext(None)
    labels = category_labels(design, family)
    category_dim = category_predictor_dim(design)
    model.add_coord(category_dim, list(labels))
    predictors, hidden = [], []
    for category in range(len(labels)):
        _add_category_coords(design, category)
        rows = replace(design, random=tuple(_category_blocks(design, category)))
        predictors.append(
            linear_predictor(
                rows,
                category_priors(priors, design, category),
                coefficient_name=category_coefficient_name(category),
            )
        )
        hidden += [name for name in category_renames(design, category) if name in model.named_vars]
    _stack(design, len(labels), category_dim)
    return pt.stack(predictors, axis=1), tuple(hidden)


def _stack(design: ModelDesign, n_categories: int, category_dim: str) -> None:
    """Add the documented variables, stacking the categories' on a last dimension."""
    model = pm.modelcontext(None)
    targets: dict[str, list[str]] = {}
    for category in range(n_categories):
        for hidden, documented in category_renames(design, category).items():
            if hidden in model.named_vars:
                targets.setdefault(documented, []).append(hidden)
    for documented, names in targets.items():
        first = model.named_vars[names[0]]
        dims = tuple(
            category_renames(design, 0).get(dim, dim)
            for dim in model.named_vars_to_dims.get(names[0]) or ()  # a smooth's scalar SD: none
        )
        stacked = pt.stack([model.named_vars[name] for name in names], axis=first.ndim)
        pm.Deterministic(documented, stacked, dims=(*dims, category_dim))
