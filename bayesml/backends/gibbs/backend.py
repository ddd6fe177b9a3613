"""The Gibbs backend object (``method="gibbs"``), registered in :mod:`bayesml.backends.registry`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from bayesml.backends.gibbs.api import GibbsOptions, run_gibbs
from bayesml.backends.gibbs.problem import DESCRIPTION, supported_families
from bayesml.backends.seam import BackendBase, ModelInputs
from bayesml.errors import ArgumentError

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

    def run(self, model: ModelInputs, options: GibbsOptions) -> xr.DataTree:
        """Sample ``model`` (its ``probit`` option is accepted for symmetry with NUTS)."""
        import dataclasses

        probit_form = model.settings.get("probit", "marginal")
        options = dataclasses.replace(options, probit_form=probit_form)
        return run_gibbs(model.design, model.priors, model.family, options)


GIBBS = GibbsBackend()
"""The registered Gibbs backend."""
