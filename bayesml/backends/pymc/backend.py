"""The NUTS backend object (``method="nuts"``), registered in :mod:`bayesml.backends.registry`.

Importing this module does not import PyMC: the graph builder and the samplers are imported when
a graph is first built. The graphs of a model are kept in its :class:`ModelInputs` cache, so that
repeated fits (and nutpie's compiled model) are built once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from bayesml.backends.pymc.effects import choose_random_effects
from bayesml.backends.pymc.samplers import check_sampler
from bayesml.backends.seam import (
    BackendBase,
    ModelInputs,
    SamplingOptions,
    check_count,
    record_timings,
)
from bayesml.families import DEFAULT_RANDOM_FAMILY, FAMILIES

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["NUTS", "NutsBackend", "NutsOptions"]

_CACHE_KEY = "nuts"


@dataclass(frozen=True, kw_only=True)
class NutsOptions(SamplingOptions):
    """Options of ``method="nuts"`` (``sampler_kwargs`` of :meth:`bayesml.Model.sample`).

    Attributes
    ----------
    sampler
        ``"nutpie"`` (default when installed), ``"pymc"`` or ``"numpyro"``.
    cores
        Chains run in parallel (default one per CPU, at most one per chain); 1 runs them one
        after another in the calling process.
    sampler_options
        Every other entry of ``sampler_kwargs``, passed to the sampler (``target_accept``,
        ``maxdepth``, nutpie's ``adaptation``, ...).
    """

    method: ClassVar[str] = "nuts"

    sampler: str | None = None
    cores: int | None = None
    sampler_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "sampler", check_sampler(self.sampler))
        if self.cores is not None:
            cores = check_count("cores", self.cores, 1, where=self.given_as)
            object.__setattr__(self, "cores", cores)

    @classmethod
    def from_mapping(cls, given: Mapping[str, Any], **common: Any) -> NutsOptions:
        """Own options from ``given``; the rest go to the sampler (``sampler_options``)."""
        given = dict(given)
        own = {name: given.pop(name) for name in ("sampler", "cores") if name in given}
        return cls(**common, **own, sampler_options=given)


@dataclass(frozen=True)
class NutsBackend(BackendBase):
    """NUTS on the PyMC graph of the model (:mod:`bayesml.backends.pymc.builder`)."""

    options_type: ClassVar[type[NutsOptions]] = NutsOptions
    name: str = "nuts"
    kind: Literal["sampling"] = "sampling"
    description: str = "NUTS on the PyMC graph"

    def supported_families(self) -> dict[str, tuple[str, ...]]:
        """Every family with a PyMC likelihood, with all its links."""
        from bayesml.backends.pymc.likelihoods import LIKELIHOODS

        return {name: family.links for name, family in FAMILIES.items() if name in LIKELIHOODS}

    def random_families(self) -> frozenset[tuple[str, str]]:
        """Gaussian effects and the HGLM random families of its translation table."""
        from bayesml.backends.pymc.likelihoods import RANDOM_EFFECT_DISTRIBUTIONS

        return frozenset({(DEFAULT_RANDOM_FAMILY, "identity"), *RANDOM_EFFECT_DISTRIBUTIONS})

    def parameter_formulas(self, family: Any) -> frozenset[str]:
        """Every family parameter that can have a formula (a scalar one with a link)."""
        return frozenset(param.name for param in family.parameters if param.link is not None)

    def run(self, model: ModelInputs, options: NutsOptions) -> xr.DataTree:
        """Sample the graph of :meth:`sampling_graph` and return the result with shared names."""
        from bayesml.backends.pymc.results import finish_result
        from bayesml.backends.pymc.sampling import sample_nuts

        start = time.perf_counter()
        pymc_model, info = self.sampling_graph(model)
        built = time.perf_counter() - start
        store_log_likelihood = options.store_log_likelihood(model.design.n_obs)
        tree = sample_nuts(
            pymc_model,
            info,
            **options.run_settings(),
            sampler=options.sampler,
            cores=options.cores,
            sampler_kwargs=options.sampler_options,
            initial_points=self.initial_points(model, pymc_model, info),
        )
        tree = finish_result(
            tree,
            info,
            model.design,
            model.family,
            log_prior=options.log_prior,
            log_likelihood=store_log_likelihood,
            random_seed=options.random_seed,
        )
        # building the graph (none on a refit: it is cached) counts as compiling
        stats = tree["sample_stats"].attrs
        record_timings(
            tree,
            compile_seconds=built + stats.get("compile_seconds", 0.0),
            sampling_seconds=stats.get("sampling_seconds", 0.0),
        )
        return tree

    # -- the graphs, kept in the model's cache -------------------------------------------------
    def random_effects(self, model: ModelInputs) -> Literal["sampled", "integrated"]:
        """How NUTS treats the random effects of ``model`` (its ``random_effects`` option)."""
        return choose_random_effects(
            model.settings.get("random_effects", "auto"),
            model.design,
            model.family,
            latent=self.probit_form(model) == "latent",
        )

    def start(self, model: ModelInputs) -> Any:
        """The point fit NUTS starts from and chooses parameterisations with
        (:func:`bayesml.backends.pymc.start.point_start`: Laplace, else h-likelihood; None when
        neither fits), computed once per model and only where the effects are sampled."""
        from bayesml.backends.pymc.start import point_start

        if self.random_effects(model) != "sampled":
            return None
        return self._cached(model, ("start",), lambda: point_start(model))

    def check_parameterization(self, model: ModelInputs) -> None:
        """Refuse a ``parameterization`` option that is not a choice, or that names a grouping
        factor which is not a gaussian random term of the mean's formula."""
        from bayesml.backends.pymc.start import check_parameterization

        check_parameterization(model.settings.get("parameterization", "auto"), model.design)

    def parameterization(self, model: ModelInputs) -> dict[str, str]:
        """Grouping factor -> ``"centered"``/``"noncentered"`` for the model's gaussian random
        terms (the ``parameterization`` option; ``"auto"`` chooses from the point fit)."""
        from bayesml.backends.pymc.start import choose_parameterization, parameterized_blocks

        setting = model.settings.get("parameterization", "auto")
        needs_fit = any(
            (setting if isinstance(setting, str) else setting.get(block.name, "auto")) == "auto"
            for block in parameterized_blocks(model.design)
        )
        start = self.start(model) if needs_fit and not model.family.category_predictors else None
        return choose_parameterization(setting, model.design, model.family, start)

    def initial_points(self, model: ModelInputs, pymc_model: Any, info: Any) -> Any:
        """Each chain's initial values, drawn around the point fit (a function of the chain's
        seed), or None to keep the sampler's own start (no point fit, or effects integrated)."""
        from bayesml.backends.pymc.start import initial_values

        if model.settings.get("init", "auto") != "auto" or model.family.category_predictors:
            return None
        start = self.start(model)
        if start is None or "_latent_abs" in {var.name for var in pymc_model.free_RVs}:
            return None
        from bayesml.backends.pymc.builder import coefficient_columns

        columns, names = coefficient_columns(model.design, model.priors)
        chosen = self.parameterization(model)
        free = {var.name for var in pymc_model.free_RVs}

        def draw(seed: int) -> dict:
            rng = np.random.default_rng(seed)
            values = initial_values(start, model.design, chosen, columns, names, rng)
            return {name: value for name, value in values.items() if name in free}

        return draw

    def probit_form(self, model: ModelInputs) -> str:
        """``"marginal"`` or ``"latent"`` (the model's ``probit`` option)."""
        return model.settings.get("probit", "marginal")

    def graph(self, model: ModelInputs, *, probit_form: str | None = None) -> tuple[Any, Any]:
        """``(pymc.Model, BuildInfo)``: every parameter sampled, the random effects included."""
        form = self.probit_form(model) if probit_form is None else probit_form
        return self._cached(model, ("graph", form), lambda: self._build(model, form))

    def sampling_graph(self, model: ModelInputs) -> tuple[Any, Any]:
        """The graph NUTS samples: :meth:`graph`, or the one with the effects integrated out."""
        if self.random_effects(model) == "sampled":
            return self.graph(model)

        def build():
            from bayesml.backends.pymc.marginal import build_marginal_model

            return build_marginal_model(model.design, model.priors, model.family)

        return self._cached(model, ("marginal",), build)

    def sample_prior(
        self, model: ModelInputs, *, draws: int, random_seed: int | None
    ) -> xr.DataTree:
        """Draws of the parameters (``prior``) from the priors, by PyMC's forward sampler."""
        from bayesml.backends.pymc.results import drop_hidden
        from bayesml.backends.pymc.sampling import sample_prior_predictive

        # the latent probit form has the same priors as the marginal form, whose graph can be
        # sampled forwards (the latent variables' magnitudes have no proper prior of their own)
        pymc_model, info = self.graph(model, probit_form="marginal")
        tree = sample_prior_predictive(pymc_model, info, draws=draws, random_seed=random_seed)
        # the posterior's names only: not a categorical model's per-category variables
        tree["prior"] = drop_hidden(tree["prior"].to_dataset(), info.hidden)
        return tree

    def _build(self, model: ModelInputs, probit_form: str) -> tuple[Any, Any]:
        from bayesml.backends.pymc.builder import build_pymc_model

        return build_pymc_model(
            model.design,
            model.priors,
            model.family,
            probit_form=probit_form,
            parameterization=self.parameterization(model),
        )

    @staticmethod
    def _cached(model: ModelInputs, key: tuple, build) -> Any:
        store = model.cache.setdefault(_CACHE_KEY, {})
        if key not in store:
            store[key] = build()
        return store[key]


NUTS = NutsBackend()
"""The registered NUTS backend."""
