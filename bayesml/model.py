"""The user-facing model: spec → design → priors → backends.

``Model`` ties the layers together. It never builds a PyMC graph until one is needed, so creating and
describing a model is cheap and does not import PyMC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from bayesml.backends.registry import (
    AUTO,
    check_supports,
    choose_sampling_method,
    get_backend,
    methods,
)
from bayesml.backends.seam import SAMPLING_DEFAULTS, ModelInputs
from bayesml.data_source import resolve_data
from bayesml.design import DISPERSION, build_design, resolve_targets
from bayesml.errors import ArgumentError, ArgumentTypeError, DataError, PriorError, warn
from bayesml.families import DEFAULT_FAMILY, get_family
from bayesml.formula import parse_formula
from bayesml.priors import resolve_priors
from bayesml.spec import ModelSpec, load_spec

if TYPE_CHECKING:
    import xarray as xr

    from bayesml.design import ModelDesign
    from bayesml.families import Family
    from bayesml.priors import ResolvedPriors

__all__ = ["Model"]

PredictKind = Literal["linear", "mean", "response"]
RandomEffects = Literal["auto", "sampled", "integrated"]


class Model:
    """A Bayesian hierarchical GLM described by an lme4-style formula.

    Parameters
    ----------
    formula
        lme4-style formula, e.g. ``"log_radon ~ floor + (1 + floor | county)"``.
    data
        A DataFrame, the name of a bundled data set (``bayesml.datasets.list_datasets()``) or a
        CSV path.
    family, link
        Response family and link (``bayesml.families.FAMILIES``); the family's default link when
        ``link`` is None.
    priors
        Prior mapping: global keys ``intercept``, ``fixed``, ``sd``, ``cov``, ``sigma`` (and family
        parameters ``nu``, ``alpha``, ``kappa``), overrides keyed by posterior name (``sd_county``)
        or name and label (``sd_county[floor]``, ``beta[week]``). Values are dicts such as
        ``{"dist": "half_normal", "sigma": 1}`` or :class:`bayesml.Prior` objects.
    success
        The level of a two-level response that counts as success (default: the second level in
        sorted order, as R's ``glm``).
    levels
        The levels of an ordinal response (families ``cumulative``, ``sratio``, ``acat``), lowest
        first, e.g. ``levels=["low", "mid", "high"]`` (R's ``factor(y, levels = ...)``). Not
        needed for an ordered pandas Categorical (its categories' order) or integers (their
        numeric order); a text column without it is refused. For a categorical response
        (``family="categorical"``), the order of its levels; the first is the reference category
        unless ``reference`` says otherwise.
    reference
        The reference category of a categorical response (brms' ``refcat``), e.g.
        ``reference="fish"``; default the first level (of ``levels``, of a pandas Categorical's
        categories, or in sorted order). Spec: ``options: {reference: fish}``.
    weights
        Column of prior weights (gaussian), or of trials for a ``r/n`` binomial response.
    missing
        ``"raise"`` (default) refuses rows with missing values in used columns; ``"drop"`` drops them
        with a warning saying how many.
    reference_levels
        Reference level per categorical column, e.g. ``{"extract": "Bean"}``.
    probit
        ``"marginal"`` (P(y = 1) = Φ(η)) or ``"latent"`` (Albert–Chib latent normal) for probit models.
    random_effects
        How NUTS treats the random effects: ``"auto"`` (default) integrates them out of the graph
        it samples where that is exact — a gaussian family with the identity link and one grouping
        factor — and draws them back from their conditional posterior after sampling (the same
        posterior, better mixing of the SDs); ``"integrated"`` insists; ``"sampled"`` samples
        them, as in :attr:`pymc_model`.
    parameterization
        How NUTS writes each gaussian random term whose effects it samples: ``"centered"``
        (``u ~ N(0, sd)``), ``"noncentered"`` (``u = sd · z``, ``z ~ N(0, 1)``) or ``"auto"``
        (default: centred where each level's data dominate the prior at the Laplace fit —
        Fisher information × sd² above 1 on average —, non-centred otherwise); one choice for
        every term or a mapping from grouping factor to choice, e.g.
        ``{"BROOD": "centered"}`` (unnamed factors: ``"auto"``). The same posterior and names
        (``u_<group>``, ``sd_<group>``) either way; smooth terms stay non-centred. Under
        ``"auto"`` NUTS also starts each chain from a draw around the Laplace fit (else the
        h-likelihood fit). Spec: ``options: {parameterization: {BROOD: centered}}``.
    zi, hu
        One-sided formula of the zero-inflation probability ``zi`` of a ``zero_inflated_*`` family
        or of the hurdle probability ``hu`` of a ``hurdle_*`` family, on the logit scale, e.g.
        ``zi="~ spp + mined + (1 | site)"`` (glmmTMB's ``ziformula``, brms' ``zi ~``); posterior
        ``beta_zi`` (``coef_zi``), ``sd_zi_<group>``, ``u_zi_<group>``. ``zi`` is the probability
        of a structural zero and ``hu`` that of y = 0, as glmmTMB's ``zi`` for its zero-inflated
        and truncated families: the coefficients have glmmTMB's signs (positive: more zeros).
        Without one the
        probability is one constant, ``zi`` / ``hu``.
    dispersion_formula
        One-sided formula of the family's dispersion parameter on the log scale — ``sigma``
        (gaussian, student_t, lognormal), ``alpha`` (negative_binomial, gamma: the shape), ``kappa``
        (beta) — e.g. ``"~ x2 + x3"`` (hglm's dispersion model; brms' ``sigma ~``); posterior
        ``beta_sigma`` etc. The h-likelihood fit models log φ with the same terms.
    random_family
        Distribution of the random effects, as Lee and Nelder's HGLMs (R's hglm ``rand.family``):
        ``"gaussian"`` (default), ``"gamma"`` (log link: mean-one effects with variance λ),
        ``"beta"`` (logit), ``"inverse_gamma"`` (inverse or log link); one name for every term or
        a mapping from grouping factor to name, e.g. ``{"plate": "beta"}``. A non-gaussian block
        has one term; ``sd_<group>`` is √λ, the SD of the effects u, and ``u_<group>`` holds
        v = v(u), the effects on the linear predictor's scale (hglm's v).

    Examples
    --------
    >>> import bayesml
    >>> model = bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    >>> model.design.fixed.column_names
    ('Intercept', 'Days')
    """

    def __init__(
        self,
        formula: str,
        data: pd.DataFrame | str | Path | None = None,
        *,
        family: str = DEFAULT_FAMILY,
        link: str | None = None,
        priors: Mapping[str, Any] | None = None,
        success: Any = None,
        levels: Sequence[Any] | None = None,
        weights: str | None = None,
        missing: Literal["raise", "drop"] = "raise",
        reference_levels: Mapping[str, Any] | None = None,
        probit: Literal["marginal", "latent"] = "marginal",
        random_effects: RandomEffects = "auto",
        parameterization: str | Mapping[str, str] = "auto",
        zi: str | None = None,
        hu: str | None = None,
        dispersion_formula: str | None = None,
        random_family: str | Mapping[str, str] | None = None,
        reference: Any = None,
    ) -> None:
        options: dict[str, Any] = {}
        if reference is not None:
            options["reference"] = reference.item() if isinstance(reference, np.generic) else reference
        if missing != "raise":
            options["missing"] = missing
        if reference_levels:
            options["reference_levels"] = dict(reference_levels)
        if probit != "marginal":
            options["probit"] = probit
        if random_effects != "auto":
            options["random_effects"] = random_effects
        if not (isinstance(parameterization, str) and parameterization == "auto"):
            options["parameterization"] = (
                dict(parameterization) if isinstance(parameterization, Mapping) else parameterization
            )
        data_name = data if isinstance(data, str | Path) else None
        spec = ModelSpec(
            formula=formula,
            family=family,
            link=link,
            priors=dict(priors or {}),
            data=str(data_name) if data_name is not None else None,
            success=success,
            levels=None if levels is None else _levels_list(levels),
            weights=weights,
            options=options,
            formulas={"zi": zi, "hu": hu, DISPERSION: dispersion_formula},
            random_family=random_family,
        )
        frame = data if isinstance(data, pd.DataFrame) else None
        self._init_from_spec(spec, frame)

    @classmethod
    def from_spec(
        cls,
        spec: ModelSpec | str | Path | Mapping[str, Any],
        *,
        data: pd.DataFrame | str | Path | None = None,
    ) -> Model:
        """Build a model from a :class:`ModelSpec`, a spec dict or a YAML spec file.

        Parameters
        ----------
        spec
            The description; a path is read with :func:`bayesml.load_spec`.
        data
            Data to use instead of the spec's ``data`` entry (a DataFrame, bundled name or CSV path).
        """
        if isinstance(spec, str | Path):
            spec = load_spec(spec)
        elif isinstance(spec, Mapping):
            spec = ModelSpec.from_dict(spec)
        elif not isinstance(spec, ModelSpec):
            raise ArgumentTypeError(
                f"spec must be a ModelSpec, a dict or a path; got {type(spec).__name__}"
            )
        frame = None
        if isinstance(data, pd.DataFrame):
            frame = data
        elif data is not None:
            spec = spec.replace(data=str(data))
        model = cls.__new__(cls)
        model._init_from_spec(spec, frame)
        return model

    @classmethod
    def from_result(
        cls, result: xr.DataTree, *, data: pd.DataFrame | str | Path | None = None
    ) -> Model:
        """The model a result was fitted with, from the spec the result carries.

        Every result of :meth:`sample` (and one reloaded by :func:`bayesml.load_result`) stores
        its model's spec; this rebuilds the model, e.g. to predict from a saved fit.

        Parameters
        ----------
        result
            A result of :meth:`sample`.
        data
            The data the model was fitted on: needed when it was a DataFrame (a spec names only
            bundled data sets and CSV paths); otherwise it replaces the spec's ``data``.

        Raises
        ------
        ArgumentError
            When the result carries no bayesml spec.
        DataError
            When the data are not given and cannot be found, or do not match the fitted rows.
        """
        from bayesml.results_io import result_spec

        spec = result_spec(result) if hasattr(result, "attrs") else None
        if spec is None:
            raise ArgumentError(
                "result carries no bayesml spec (attribute 'bayesml_spec'): it is not a result of "
                "Model.sample or bayesml.load_result"
            )
        if spec.data is None and data is None:
            raise DataError(
                "the model was fitted on a DataFrame, which a result does not store; give it: "
                "Model.from_result(result, data=frame)"
            )
        model = cls.from_spec(spec, data=data)
        model._check_fitted_rows(result)
        return model

    def _check_fitted_rows(self, result: xr.DataTree) -> None:
        """Refuse data whose response differs from the result's observed data."""
        if "observed_data" not in result.children:
            return
        observed = result["observed_data"].to_dataset()
        name = self._design.observed_name
        if name not in observed:
            return
        stored = np.asarray(observed[name].values, dtype=float)
        y = np.asarray(self._design.response.y, dtype=float)
        if stored.shape != y.shape or not np.allclose(stored, y, equal_nan=True):
            raise DataError(
                f"the data do not match the result: its observed {name!r} has {len(stored)} rows, "
                f"the data give {len(y)}"
                + ("" if stored.shape != y.shape else " with other values")
                + "; give the data the model was fitted on"
            )

    def _init_from_spec(self, spec: ModelSpec, frame: pd.DataFrame | None) -> None:
        self._spec = spec
        self._data = frame if frame is not None else resolve_data(spec.data, spec.base_dir)
        self._parsed = parse_formula(spec.formula)
        self._family = get_family(spec.family, spec.link)
        options = dict(spec.options)
        self._design = build_design(
            self._parsed,
            self._data,
            family=self._family,
            success=spec.success,
            weights=spec.weights,
            missing=options.get("missing", "raise"),
            reference_levels=options.get("reference_levels"),
            levels=spec.levels,
            reference=options.get("reference"),
            predictors=resolve_targets(spec.formulas, self._family),
            random_family=spec.random_family,
        )
        self._priors = resolve_priors(spec.priors, self._design, self._family)
        self._probit = options.get("probit", "marginal")
        self._inputs = ModelInputs(
            design=self._design,
            priors=self._priors,
            family=self._family,
            settings=options,
            data=self._data,
        )
        # the NUTS backend reads the random_effects option: refuse a bad one now
        self._random_effects = self._nuts.random_effects(self._inputs)
        # and the parameterization option: refuse a grouping factor the formula lacks now
        self._nuts.check_parameterization(self._inputs)

    # -- descriptions -------------------------------------------------------------------------
    @property
    def spec(self) -> ModelSpec:
        """The immutable description this model was built from."""
        return self._spec

    @property
    def data(self) -> pd.DataFrame:
        """The data frame the design was built from."""
        return self._data

    @property
    def family(self) -> Family:
        """The response family, with its link."""
        return self._family

    @property
    def design(self) -> ModelDesign:
        """The validated design matrices."""
        return self._design

    @property
    def priors(self) -> ResolvedPriors:
        """Every prior in force, resolved against the design (defaults included)."""
        return self._priors

    def replace(self, **changes: Any) -> Model:
        """A new model from ``spec.replace(**changes)`` on the same data (e.g. other priors)."""
        return Model.from_spec(self._spec.replace(**changes), data=self._data)

    def _with_response(self, y: Any) -> Model:
        """The same model with the design's response values replaced by ``y``.

        Everything else is kept: the data, the design matrices (X, Z, trials, weights, offsets),
        the response's encoding (category numbers, successes) and the priors *as resolved
        against the original data* — data-scaled default priors are not re-scaled to ``y``, so a
        simulation-based calibration fits each simulated response under the prior it was drawn
        from. ``y`` is in the design's encoding (as :meth:`sample_prior`'s
        ``prior_predictive`` holds it) and is checked by the family.

        Raises
        ------
        DataError
            When ``y`` has another shape than the response, or is not a valid response of the
            family (e.g. successes above the trials).
        """
        import dataclasses

        response = self._design.response
        values = np.asarray(y, dtype=float)
        if values.shape != np.shape(response.y):
            raise DataError(
                f"the new response must have the shape of {response.name!r}, "
                f"{np.shape(response.y)}; got shape {values.shape}"
            )
        self._family.validate_response(
            values,
            trials=response.trials,
            name=response.name,
            row_labels=list(self._design.row_labels),
        )
        design = dataclasses.replace(self._design, response=dataclasses.replace(response, y=values))
        model = Model.__new__(Model)
        model.__dict__.update(self.__dict__)
        model._design = design
        model._inputs = dataclasses.replace(self._inputs, design=design, cache={})
        return model

    def describe(self, result: Any = None) -> str:
        """A printable description: formula, family, data, groups, smooths and every prior in
        force.

        Parameters
        ----------
        result
            A fit of this model (:meth:`sample` or :meth:`fit`): each smooth's line then gives
            its effective degrees of freedom (mgcv's ``edf``; at the estimates of a point fit, at
            the posterior means for a sampler).
        """
        design = self._design
        response = design.response
        lines = [
            f"Formula: {self._spec.formula}",
            f"Family:  {self._family.name} (link: {self._family.link.name})"
            + (", latent-variable probit" if self._probit == "latent" else ""),
            f"Data:    {design.n_obs} observations"
            + (
                f" ({design.dropped_rows} rows with missing values dropped)"
                if design.dropped_rows
                else ""
            ),
        ]
        if response.success_level is not None:
            lines.append(f"Success: {response.name} == {response.success_level!r}")
        if response.levels is not None:
            lines.append(_levels_line(self._family, response.levels))
        lines.append(
            f"Fixed effects ({len(design.fixed.column_names)}): {', '.join(design.fixed.column_names)}"
        )
        lines.extend(_group_lines(block for block in design.random if not block.shared_sd))
        lines.extend(_smooth_lines(design, self._family, result))
        for name, predictor in design.predictors.items():
            lines.append(f"Formula ({name}, {predictor.link} link): {predictor.formula}")
            lines.append(
                f"  fixed effects ({len(predictor.fixed.column_names)}): "
                f"{', '.join(predictor.fixed.column_names)}"
            )
            lines.extend("  " + line for line in _group_lines(predictor.random))
        if self._random_effects == "integrated":
            lines.append(
                "NUTS:    random effects integrated out of the sampled graph, drawn back "
                "from their conditional posterior"
            )
        lines.append(_sampler_line(self._inputs, result))
        lines.append("Priors:")
        lines.extend("  " + line for line in self._priors.describe().splitlines())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<bayesml.Model>\n{self.describe()}"

    # -- the NUTS backend's graphs -----------------------------------------------------------
    @property
    def _nuts(self):
        return get_backend("nuts", "sampling")

    @property
    def pymc_model(self):
        """The ``pymc.Model`` of this model (built on first access), for users who extend it.

        It samples every parameter, the random effects included (non-centred). Where
        ``random_effects`` integrates the effects out, :meth:`sample` samples another graph,
        :attr:`sampling_pymc_model`.
        """
        return self._nuts.graph(self._inputs)[0]

    @property
    def sampling_pymc_model(self):
        """The ``pymc.Model`` that :meth:`sample` gives to NUTS.

        :attr:`pymc_model` itself, or under ``random_effects="integrated"`` (and ``"auto"`` where
        it applies) a graph without the random effects, whose log density is the likelihood with
        them integrated out (:mod:`bayesml.backends.pymc.marginal`).
        """
        return self._nuts.sampling_graph(self._inputs)[0]

    @property
    def random_effects(self) -> str:
        """``"integrated"`` or ``"sampled"``: how :meth:`sample` treats the random effects."""
        return self._random_effects

    # -- inference ----------------------------------------------------------------------------
    def sample(
        self,
        method: str = "nuts",
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        random_seed: int | None = None,
        progressbar: bool | None = None,
        prior_predictive: bool = False,
        posterior_predictive: bool = False,
        log_prior: bool = True,
        log_likelihood: bool | Literal["auto"] = "auto",
        check: bool = True,
        sampler_kwargs: Mapping[str, Any] | None = None,
        **deprecated: Any,
    ) -> xr.DataTree:
        """Sample the posterior.

        Parameters
        ----------
        method
            A sampling method of :mod:`bayesml.backends.registry` — ``"nuts"`` (default: the
            PyMC graph sampled by NUTS) or ``"gibbs"`` (blocked Gibbs sampler
            for Gaussian models, bernoulli/binomial probit and logit models and ordinal probit
            models (``family="cumulative", link="probit"``); see
            :func:`bayesml.backends.gibbs.sample_gibbs`). The newer model forms
            (zero-inflated, hurdle, categorical, multinomial, sratio/acat, formulas for family
            parameters, non-gaussian random effects) are NUTS only — or ``"auto"``, which takes the Gibbs
            sampler for a Gaussian (identity-link) model where every block has an exact update
            (priors it updates exactly), NUTS otherwise: the probit, logit and ordinal probit
            models also have exact Gibbs updates, but their latent variables make them mix more
            slowly than NUTS (``bench/README.md``). It takes NUTS too when ``sampler_kwargs`` holds a NUTS option
            (``target_accept``, ``sampler``, ...) or the model sets ``random_effects``
            (:func:`~bayesml.backends.registry.choose_sampling_method`). The result's attribute
            ``bayesml_method`` names the method used and ``bayesml_method_reason`` says why
            (``"auto: gibbs (every block has an exact update)"``); :meth:`describe` says what
            it would take. ``"auto"`` is not the default: on the benchmark models NUTS gave more
            ESS per second on repeat fits (``bench/README.md``, *method="auto"*).
        draws, tune, chains
            Kept draws per chain, warm-up draws per chain, number of chains.
        random_seed
            Seed; the same seed gives the same draws.
        progressbar
            Show the sampler's progress bars: True, False, or None (default), which shows them
            where a person watches — standard error a terminal, or a Jupyter notebook — and not
            under CI (the ``CI`` environment variable set) or when the output goes to a pipe or
            a file (:func:`~bayesml.backends.seam.watched`).
        prior_predictive, posterior_predictive
            Also add the ``prior``/``prior_predictive`` and ``posterior_predictive`` groups
            (computed in chunks of draws; each has chains × draws × rows values).
        log_prior
            Store the elementwise log prior (needed by :func:`bayesml.power_sensitivity`).
        log_likelihood
            Store the ``log_likelihood`` group (pointwise, float32; needed by
            ``arviz_stats.loo`` and :func:`bayesml.power_sensitivity`): ``True``, ``False``, or
            ``"auto"`` (default), which stores it when chains × draws × rows is at most
            :data:`~bayesml.results.loglik.AUTO_LOG_LIKELIHOOD_LIMIT` (5·10⁷, 200 MB) and
            otherwise warns once that it did not. :func:`bayesml.add_log_likelihood` adds it later.
        check
            Warn (:class:`~bayesml.errors.SamplingWarning`) about divergences, R-hat > 1.01 and low
            ESS.
        sampler_kwargs
            The method's own options, checked by it (unknown names are refused):

            ==========  =====================================================================
            method      options
            ==========  =====================================================================
            ``nuts``    ``sampler`` (``"nutpie"``, the default when installed, ``"pymc"`` or
                        ``"numpyro"``), ``cores`` (chains in parallel; 1 runs them in this
                        process); every other entry goes to the sampler (``target_accept``,
                        ``maxdepth``, nutpie's ``adaptation``, ...)
            ``gibbs``   ``thin`` (keep every thin-th sweep), ``cores``, ``expansion``
                        (``"auto"``, ``True``, ``False``)
            ==========  =====================================================================

        Returns
        -------
        xarray.DataTree
            ArviZ result with ``posterior``, ``sample_stats``, ``observed_data``,
            ``log_likelihood`` (see ``log_likelihood``), ``log_prior`` and, on request, the
            predictive groups. ``sample_stats`` has the attributes ``compile_seconds`` (the time
            before the first draw: building and compiling the graph for NUTS — nearly 0 on a
            refit, which reuses it; with ``sampler="numpyro"`` JAX compiles inside the sampling
            call, counted in ``sampling_seconds`` —, building the problem's arrays for Gibbs)
            and ``sampling_seconds`` (the chains, warm-up included).

        Raises
        ------
        ArgumentError
            For an unknown method (listing the sampling methods), a bad count or seed, or an
            option the method does not have.
        FamilyError
            For a family the method does not support (saying which methods do).
        """
        method, reason = self._choose_method(method, sampler_kwargs, deprecated)
        backend = get_backend(method, "sampling")
        sampler_kwargs = _fold_deprecated(method, sampler_kwargs, deprecated)
        options = backend.options(
            sampler_kwargs,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            progressbar=progressbar,
            log_prior=log_prior,
            log_likelihood=log_likelihood,
        )
        check_supports(backend, self._family, self._design)
        result = backend.run(self._inputs, options)
        rng = np.random.default_rng(random_seed)
        if posterior_predictive:
            result["posterior_predictive"] = self._predictive_dataset(
                result["posterior"].to_dataset(), rng
            )
        if prior_predictive:
            prior = self.sample_prior(draws=draws, random_seed=random_seed)
            for group in ("prior", "prior_predictive"):
                result[group] = prior[group].to_dataset()
        self._stamp(result, method)
        result.attrs["bayesml_method_reason"] = reason
        if check:
            from bayesml.results import check_sampling

            check_sampling(result)
        return result

    def _choose_method(
        self, method: object, sampler_kwargs: Mapping[str, Any] | None, deprecated: Mapping
    ) -> tuple[str, str]:
        """The sampling method to run and why: ``method`` itself, or the choice of ``"auto"``."""
        if method != AUTO:
            if not (isinstance(method, str) and method in methods("sampling")):
                if isinstance(method, str) and method in methods("fitting"):
                    get_backend(method, "sampling")  # its message names Model.fit
                raise ArgumentError(
                    f"method must be one of {[AUTO, *methods('sampling')]}; got method={method!r}"
                )
            return method, f"method={method!r} given"
        given = dict(sampler_kwargs or {})
        given.update({name: value for name, value in deprecated.items() if value is not None})
        return choose_sampling_method(self._inputs, given)

    def fit(self, method: str = "hlik", **options: Any):
        """Point estimates of the same model: the non-Bayesian answer to compare posteriors with.

        The priors play no part.

        Parameters
        ----------
        method
            A fitting method of :mod:`bayesml.backends.registry`: ``"hlik"``, the h-likelihood
            backend (Lee & Nelder's HGLM, R ``hglm``); ``"laplace"``, maximum likelihood with
            the random effects integrated out by the Laplace approximation (lme4's ``glmer``;
            a Gaussian identity-link model exactly, as ``lmer``: ML, or REML with
            ``reml=True``); ``"agq"``, adaptive Gauss–Hermite quadrature (``glmer(nAGQ =
            ...)``; one grouping factor with at most 3 terms). Options of ``"laplace"`` and
            ``"agq"`` (:class:`~bayesml.backends.laplace.backend.LaplaceOptions`): ``reml``
            (default False), ``tol`` (1e-10, relative, on the deviance), ``max_evaluations``
            (10 000 per stage) and, for ``"agq"``, ``n_nodes`` (nodes per dimension, 1–50,
            default 9). They return an
            :class:`~bayesml.backends.laplace.result.MLResult`.
        **options
            The method's options, checked by it (unknown names are refused). For ``"hlik"``
            (:class:`~bayesml.backends.hlik.backend.HlikOptions`):

            ======================  =========================================================
            ``random_family``       the former spelling of ``Model(random_family=...)``,
                                    which the fit uses by default: ``"gaussian"``,
                                    ``"gamma"``, ``"beta"``, ``"inverse_gamma"`` (optionally
                                    with a link, ``"inverse_gamma(log)"``); one for all
                                    terms, a sequence (one per term) or a mapping from group
                                    name; an error if it differs from the model's
                                    non-gaussian random families
            ``dispersion``          ``"auto"`` (default): the model's own likelihood — φ fixed
                                    at 1 for bernoulli, binomial and poisson (as glmer and
                                    the Bayesian backends), estimated for gaussian and gamma;
                                    ``"estimate"``: φ estimated for every family, the default
                                    of R's hglm and of :func:`bayesml.hglm` (binomial/Poisson
                                    then a quasi-likelihood fit, SEs scaled by √φ); a
                                    positive number fixes φ (hglm's ``fix.disp``)
            ``dispersion_formula``  one-sided formula for log φ, e.g. ``"~ x2 + x3"``
            ``estimation``          ``"EQL"`` (hglm's default) or ``"EQL1"`` (HL(1,1)); the
                                    argument :func:`bayesml.hglm` also takes (R's ``method``)
            ``tol``, ``max_iter``   convergence tolerance (default 1e-8: every φ and λ to
                                    1e-8 relative), most outer iterations
            ``convergence``         ``"fixed_point"`` (default): iterate to EQL's fixed point
                                    (SQUAREM-accelerated; lmer's REML for a Gaussian model);
                                    ``"hglm"``: R hglm's rule (Σ Δη² / Σ η² < ``tol``, 1e-6)
                                    and iterates, :func:`bayesml.hglm`'s default
            ``covariance``, ``car`` correlated random effects: a known covariance matrix per
                                    group name, or a CAR neighbour structure (see
                                    :func:`bayesml.hglm`)
            ======================  =========================================================

            A correlated term ``(1 + x | g)`` is fitted by ``"hlik"`` as the independent
            ``(1 + x || g)``, with a :class:`~bayesml.errors.ModelChangeWarning`; the result's
            description and summary show the model fitted.

        Returns
        -------
        bayesml.backends.hlik.HlikResult
            For ``"hlik"``: fixed effects, random effects, φ and λ with their dispersion models,
            deviances, leverages and, where the likelihood exists, hlik, pvh, pbvh and cAIC.

        Raises
        ------
        ArgumentError
            For an unknown method (listing the fitting methods) or an option it does not have.
        FamilyError
            For a family the method does not support (saying which methods do).
        """
        sampling = sorted(set(options) & {*SAMPLING_DEFAULTS, "sampler_kwargs"})
        if sampling:
            raise ArgumentError(
                f"{', '.join(sampling)} {'is an argument' if len(sampling) == 1 else 'are arguments'}"
                f" of sampling: the posterior is model.sample({sampling[0]}=...); model.fit() "
                "gives point estimates (h-likelihood)"
            )
        backend = get_backend(method, "fitting")
        validated = backend.options(options)
        check_supports(backend, self._family, self._design)
        return backend.run(self._inputs, validated)

    def sample_prior(self, *, draws: int = 500, random_seed: int | None = None) -> xr.DataTree:
        """Draw parameters from the prior and data from the prior predictive distribution.

        Returns a DataTree with ``prior`` (the shared parameter names) and ``prior_predictive``.
        The parameters are drawn by PyMC's forward sampler on the NUTS backend's graph.
        """
        self._check_proper_priors()
        tree = self._nuts.sample_prior(self._inputs, draws=draws, random_seed=random_seed)
        prior = tree["prior"].to_dataset()
        prior = prior.drop_vars([name for name in prior.data_vars if name.startswith("_")])
        tree["prior"] = prior
        rng = np.random.default_rng(None if random_seed is None else random_seed + 1)
        tree["prior_predictive"] = self._predictive_dataset(prior, rng)
        self._stamp(tree, "prior")
        return tree

    def predict(
        self,
        result: xr.DataTree | Any,
        new_data: pd.DataFrame | None = None,
        *,
        kind: PredictKind = "mean",
        include_random_effects: bool = True,
        random_seed: int | None = None,
        **unexpected: Any,
    ) -> xr.DataArray | pd.DataFrame:
        """Predictions for the fitted rows or for new data, from a posterior or a point fit.

        New rows are encoded exactly as the fitted data (same levels, references and ``scale()``
        constants). Levels of a grouping factor not seen in fitting get random effects drawn from
        the population distribution (one draw per posterior draw), as lme4's
        ``allow.new.levels = TRUE`` and bambi's ``sample_new_groups``; for non-gaussian random
        effects (``random_family``) u is drawn from its family with λ = sd² (gamma: mean 1,
        variance λ) and v = v(u) (log u, logit u) enters η. With
        ``include_random_effects=False`` the predictions are population-level: every random
        effect at its mean 0 (lme4's ``re.form = NA``, brms' ``re_formula = NA``, bambi's
        ``include_group_specific=False``), and new data need no grouping columns. A
        non-gaussian effect is set at the mean of u, v = v(E u): 0 for gamma (log 1), beta
        (logit ½) and inverse_gamma(log), 1 for inverse_gamma(inverse) (its term's column is
        then read); as for gaussian effects, this is the prediction of a typical group, not
        the mean over groups. A smooth's penalised coefficients (``s(x)``) are part of the
        population-level curve and are kept (mgcv's ``predict.gam`` of a gamm4 fit).

        A point fit (:meth:`fit`: an h-likelihood result, or a maximum-likelihood one of
        ``method="laplace"``/``"agq"``) gives point predictions with standard errors instead:
        ``"linear"`` is η = xβ + zb with se² = xᵀV_βx from the fixed effects' covariance — the
        random effects b at their estimates (conditional modes; v for the h-likelihood) and
        treated as known, as lme4's ``predict(se.fit = TRUE)`` and emmeans do; ``"mean"`` is
        E y = g⁻¹(η) (the family's mean where it differs, at the fit's family parameters), its
        se by the delta method |dE y/dη|·se(η). ``lower`` and ``upper`` are the 95 % Wald
        interval of η (for ``"mean"`` its ends transformed by g⁻¹, emmeans' ``type =
        "response"``). A level not seen in fitting gets the effect of a typical group (0, lme4's
        ``allow.new.levels = TRUE``; v at the mean of u for a non-gaussian random family, as
        above). ``"response"`` draws new observations and needs a posterior: it is refused.

        Parameters
        ----------
        result
            A result of :meth:`sample` (a posterior), or of :meth:`fit` (a point fit: any
            result with ``point_estimates()``).
        new_data
            Rows to predict; the fitted rows when None.
        kind
            ``"linear"`` (η), ``"mean"`` (E y: μ = g⁻¹(η), or the family's mean, e.g.
            exp(μ + σ²/2) for the lognormal) or ``"response"`` (draws of new observations;
            posteriors only).
        include_random_effects
            ``False`` for population-level predictions (see above).
        random_seed
            Seed for new-level effects and response draws (not used by point fits).

        Returns
        -------
        xarray.DataArray or pandas.DataFrame
            From a posterior: dims ``(chain, draw, obs)``. From a point fit: a DataFrame indexed
            by the rows' index, columns ``estimate``, ``se``, ``lower``, ``upper`` (95 % Wald);
            ``attrs["kind"]``, ``attrs["interval"]``.

        Raises
        ------
        ArgumentError
            For an unknown ``kind``, ``kind="response"`` with a point fit, or a point fit of
            another model.
        """
        from bayesml.results.prediction import predict_draws

        _refuse_other_habits(unexpected)
        if hasattr(result, "point_estimates"):
            from bayesml.results.point_prediction import predict_point

            return predict_point(
                self._design,
                self._family,
                result.point_estimates(),
                new_data,
                kind=kind,
                include_random_effects=include_random_effects,
            )
        return predict_draws(
            self._design,
            self._family,
            result,
            new_data,
            kind=kind,
            random_seed=random_seed,
            include_random_effects=include_random_effects,
        )

    # -- helpers ------------------------------------------------------------------------------
    def _check_proper_priors(self) -> None:
        """Prior draws need proper priors: refuse flat ones, naming the coefficients."""
        flat = [
            f"beta[{label}]"
            for label, prior in [("Intercept", self._priors.intercept), *self._priors.fixed.items()]
            if prior is not None and prior.dist == "flat"
        ]
        if flat:
            raise PriorError(
                f"drawing from the prior needs proper priors, but {', '.join(flat)} "
                f"{'has' if len(flat) == 1 else 'have'} a flat prior; give "
                f"{'it' if len(flat) == 1 else 'them'} a proper prior (e.g. normal) to sample the prior"
            )

    def _predictive_dataset(self, parameters: xr.Dataset, rng: np.random.Generator) -> xr.Dataset:
        from bayesml.results.prediction import predictive_dataset

        return predictive_dataset(self._design, self._family, parameters, rng)

    def _stamp(self, result: xr.DataTree, method: str) -> None:
        from bayesml._version import __version__

        result.attrs["bayesml_version"] = __version__
        result.attrs["bayesml_method"] = method
        result.attrs["bayesml_spec"] = self._spec.to_yaml()


def _sampler_line(inputs: ModelInputs, result: Any) -> str:
    """``Sampler:`` the method of a sampled ``result`` and why, or what ``sample()`` would use."""
    attrs = getattr(result, "attrs", None) or {}
    if "bayesml_method_reason" in attrs:
        method, reason = attrs["bayesml_method"], attrs["bayesml_method_reason"]
        prefix = f"auto: {method} ("
        if reason.startswith(prefix):
            return f'Sampler: {method}, chosen by method="auto" ({reason[len(prefix) : -1]})'
        return f"Sampler: {method} ({reason})"
    method, reason = choose_sampling_method(inputs)
    why = reason[len(f"auto: {method} (") : -1]
    return f'Sampler: NUTS by default; method="auto" would use {method} ({why})'



def _levels_line(family: Family, levels: tuple[Any, ...]) -> str:
    """``Levels:`` of an ordinal response (with its thresholds) or a categorical one (with its
    reference and the categories that have a linear predictor each)."""
    labels = family.dimension_labels(levels)
    if "threshold" in labels:
        count = len(labels["threshold"])
        return (
            f"Levels:  {' < '.join(labels['category'])} ({count} "
            f"threshold{'s' if count > 1 else ''}: {', '.join(labels['threshold'])})"
        )
    return (
        f"Levels:  {', '.join(labels['category'])} (reference {labels['category'][0]}; a "
        f"linear predictor with the priors below for each of {', '.join(labels['predictor'])})"
    )


def _levels_list(levels: Any) -> list[Any]:
    """``levels`` as a list of plain Python values for the spec (numpy scalars unwrapped)."""
    if isinstance(levels, str) or not hasattr(levels, "__iter__"):
        raise ArgumentTypeError(
            "levels must be a list of the response's levels, lowest first (e.g. "
            f"levels=['low', 'mid', 'high']); got levels={levels!r}"
        )
    return [level.item() if isinstance(level, np.generic) else level for level in levels]


def _smooth_lines(design: ModelDesign, family: Family, result: Any) -> list[str]:
    """One line per smooth: its basis, dimension, columns and SDs, and its EDF given a fit."""
    if not design.smooths:
        return []
    from bayesml.results.smooths import fitted_edf

    edf = fitted_edf(design, family, result) if result is not None else {}
    lines = []
    for smooth in design.smooths:
        term = smooth.term
        basis = "/".join(dict.fromkeys(term.bs))
        k = " x ".join(map(str, smooth.k))
        penalised = sum(
            block.n_terms for block in design.random if block.name in smooth.block_names
        )
        sds = ", ".join(f"sd_{name}" for name in smooth.block_names)
        line = (
            f"Smooth {smooth.label}: bs={basis}, k={k}; {len(smooth.fixed_labels)} fixed "
            f"column(s), {penalised} penalised coefficient(s) with SD {sds}"
        )
        names = dict.fromkeys((smooth.label, *smooth.block_names))
        values = [edf[name] for name in names if name in edf]
        if values:
            line += "; edf " + ", ".join(f"{value:.2f}" for value in values)
        lines.append(line)
    return lines


def _group_lines(blocks) -> list[str]:
    """One line per random block: levels, terms and whether they are correlated."""
    lines = []
    for block in blocks:
        kind = "correlated" if block.correlated else "independent"
        effects = "" if block.random_family.is_gaussian else f"; {block.random_family.label} effects"
        lines.append(
            f"Group {block.name}: {len(block.levels)} levels; terms "
            f"{', '.join(block.term_labels)} ({kind}{effects})"
        )
        if not block.random_family.is_gaussian:
            sd = f"sd_{block.name}"
            lines.append(f"  {block.random_family.meaning(sd)}; {sd}'s prior is below")
    return lines


#: keywords of other packages' predict() -> what bayesml calls them
_PREDICT_SYNONYMS = {
    "data": "new_data (bambi: data=, lme4: newdata=)",
    "newdata": "new_data (lme4's newdata=)",
    "include_group_specific": "include_random_effects (bambi's include_group_specific=)",
    "re_form": "include_random_effects=False (lme4's re.form = NA)",
    "re_formula": "include_random_effects=False (brms' re_formula = NA)",
    "idata": "result (the first argument)",
}


def _refuse_other_habits(unexpected: Mapping[str, Any]) -> None:
    """Name the right keyword of :meth:`Model.predict` for another package's spelling."""
    for name in unexpected:
        hint = _PREDICT_SYNONYMS.get(name)
        raise ArgumentTypeError(
            f"Model.predict() got an unexpected keyword argument {name!r}"
            + (f"; bayesml calls it {hint}" if hint else "")
        )


MOVED_TO_SAMPLER_KWARGS = {"sampler": "nuts", "thin": "gibbs"}
"""Former keywords of :meth:`Model.sample` -> the method whose ``sampler_kwargs`` now hold them."""


def _fold_deprecated(
    method: str, sampler_kwargs: Mapping[str, Any] | None, deprecated: Mapping[str, Any]
) -> dict[str, Any]:
    """``sampler_kwargs`` with the former keywords ``sampler=`` and ``thin=`` moved in."""
    folded = dict(sampler_kwargs or {})
    for name, value in deprecated.items():
        if name not in MOVED_TO_SAMPLER_KWARGS:
            raise ArgumentTypeError(f"Model.sample() got an unexpected keyword argument {name!r}")
        warn(
            f"Model.sample({name}=...) is deprecated: give it as sampler_kwargs={{{name!r}: ...}} "
            f"(an option of method={MOVED_TO_SAMPLER_KWARGS[name]!r})",
            FutureWarning,
        )
        if value is None or (name == "thin" and value == 1 and method != "gibbs"):
            continue
        folded.setdefault(name, value)
    return folded
