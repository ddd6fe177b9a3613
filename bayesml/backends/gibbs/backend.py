"""The Gibbs backend object (``method="gibbs"``), registered in :mod:`bayesml.backends.registry`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from bayesml.backends.gibbs.api import GibbsOptions, run_gibbs
from bayesml.backends.gibbs.problem import (
    AUTO_LIKELIHOODS,
    DESCRIPTION,
    build_problem,
    supported_families,
)
from bayesml.backends.seam import BackendBase, ModelInputs
from bayesml.errors import ArgumentError, BayesmlError

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["GIBBS", "GibbsBackend"]


@dataclass(frozen=True)
class GibbsBackend(BackendBase):
    """Blocked Gibbs samplers for Gaussian, probit, logit and ordinal probit models
    (:func:`sample_gibbs`)."""

    options_type: ClassVar[type[GibbsOptions]] = GibbsOptions
    name: str = "gibbs"
    kind: Literal["sampling"] = "sampling"
    description: str = DESCRIPTION

    def supported_families(self) -> dict[str, tuple[str, ...]]:
        """The family/link pairs with a Gibbs scheme (``problem.LIKELIHOODS``)."""
        return supported_families()

    def options(self, given: Mapping[str, Any], **common: Any) -> GibbsOptions:
        """:class:`GibbsOptions` from ``sampler_kwargs`` and the shared sampling options.

        ``probit_form`` is not among them: it is the model's ``probit`` option.
        """
        if "probit_form" in given:
            raise ArgumentError(
                "method='gibbs' takes the probit form from the model (Model(..., probit=...)); "
                "remove probit_form from sampler_kwargs"
            )
        return super().options(given, **common)

    def exact_update_gap(self, model: ModelInputs) -> str | None:
        """Why ``method="auto"`` should not take the Gibbs sampler for ``model``, in a few words:
        a block without an exact Gibbs update (its likelihood, a prior, the ``polyagamma``
        package a logit model needs), or a likelihood outside
        :data:`~bayesml.backends.gibbs.problem.AUTO_LIKELIHOODS` (the augmented ones, which mix
        more slowly than NUTS); None when every block has an exact update and the sampler is the
        faster choice (:func:`bayesml.backends.registry.choose_sampling_method`).
        """
        try:
            problem = build_problem(model.design, model.priors, model.family)
        except BayesmlError as error:  # any refusal (family, prior, polyagamma, weights, ...)
            return _first_clause(str(error))
        if problem.likelihood not in AUTO_LIKELIHOODS:
            family = model.family
            return (
                f"the Gibbs updates of a {family.name} model with the {family.link.name} link "
                "mix more slowly than NUTS (bench/README.md)"
            )
        return None

    def run(self, model: ModelInputs, options: GibbsOptions) -> xr.DataTree:
        """Sample ``model`` (its ``probit`` option is accepted for symmetry with NUTS)."""
        import dataclasses

        probit_form = model.settings.get("probit", "marginal")
        options = dataclasses.replace(options, probit_form=probit_form)
        return run_gibbs(model.design, model.priors, model.family, options)


def _first_clause(message: str) -> str:
    """A refusal's message up to its advice (the text before the first ``;`` or ``:``)."""
    for mark in ("; ", ": "):
        message = message.split(mark, 1)[0]
    return message.rstrip(". ")


GIBBS = GibbsBackend()
"""The registered Gibbs backend."""
