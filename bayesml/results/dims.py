"""The dimensions of a family's vector parameters in results, named after the response.

The ordinal families' thresholds ``cutpoints`` have one entry between each two consecutive levels
of the response: dimension ``<response>__threshold`` (``rating__threshold``) labelled as R labels
them, ``1|2``, ``2|3``, … (:meth:`bayesml.families.Family.dimension_labels`). Every backend names
them through :func:`parameter_dims`, so that their posteriors agree. A categorical model's
coefficients and random effects have one entry per non-reference category on
``<response>__category`` (:func:`category_predictor_dim`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bayesml.design import ModelDesign
    from bayesml.families import Family

__all__ = ["category_predictor_dim", "parameter_dims", "vector_dim"]


def vector_dim(design: ModelDesign, dimension: str) -> str:
    """The name of a family dimension in results: ``<response>__<dimension>``."""
    return f"{design.observed_name}__{dimension}"


def category_predictor_dim(design: ModelDesign) -> str:
    """The dimension of a categorical model's non-reference categories: ``<response>__category``
    (``beta``, ``sd_<group>`` and ``u_<group>`` have one entry per category on it)."""
    return vector_dim(design, "category")


def parameter_dims(design: ModelDesign, family: Family) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Vector parameter name -> (its dimension's name, the labels of its entries).

    Empty for the families whose parameters are all scalars.

    Examples
    --------
    >>> import bayesml
    >>> model = bayesml.Model("rating ~ temp + contact", "wine", family="cumulative")
    >>> parameter_dims(model.design, model.family)
    {'cutpoints': ('rating__threshold', ('1|2', '2|3', '3|4', '4|5'))}
    """
    vectors = [param for param in family.parameters if param.shape]
    if not vectors:
        return {}
    levels = design.response.levels or ()
    labels = family.dimension_labels(levels)
    return {
        param.name: (vector_dim(design, param.shape[-1]), labels[param.shape[-1]])
        for param in vectors
    }
