"""The :class:`Family` base class: what every response family knows about itself.

A family is one object that carries its maths, after glum's ``ExponentialDispersionModel`` and R's
``family()`` objects. A concrete family is a small subclass (one module per family or per small
group of families) that sets the class attributes below and implements the density of one
observation given its mean:

* :meth:`Family.log_likelihood` and :meth:`Family.draw` — the pointwise log-likelihood and random
  draws of new observations, used by the results layer (``log_likelihood`` group, LOO), by
  prediction and by every backend;
* for exponential-dispersion families, the pieces IWLS and the h-likelihood need:
  :meth:`Family.variance`, :meth:`Family.variance_derivative`, :meth:`Family.unit_deviance`,
  :meth:`Family.weighted_deviance` (R's ``dev.resids`` on the mean scale),
  :meth:`Family.initial_mean` (R's ``mustart``) and :meth:`Family.dispersion_parameters`;
* its parameters beyond the mean (:class:`Parameter`: name, constraint, shape, default prior);
* which default-prior rule applies (:attr:`Family.prior_rule`, read by :mod:`bayesml.priors`);
* how its response is validated and encoded (:class:`~bayesml.families.responses.ResponseKind`).

Backends keep only translation tables from a family's name to their own building blocks (a PyMC
distribution, a Gibbs augmentation, the h-likelihood's supported families).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesml.errors import DataError, FamilyError, warn
from bayesml.families._names import normalise_name, resolve_name
from bayesml.families.links import LINKS, Link
from bayesml.families.responses import (
    RESPONSE_KINDS,
    ResponseKind,
    as_vector,
    check_response,
    check_weights,
)

__all__ = [
    "CONSTRAINTS",
    "AuxParam",
    "DefaultPrior",
    "Family",
    "PARAMETER_LINKS",
    "Parameter",
    "ParamValues",
    "VAGUE_POSITIVE",
]

Array = NDArray[np.float64]
ParamValues = Mapping[str, ArrayLike]
Params = ParamValues | None
Rows = ArrayLike | None

#: constraint name -> (test of a value, what the message says is expected)
CONSTRAINTS: Mapping[str, tuple[Any, str]] = {
    "positive": (lambda v: np.isfinite(v) & (v > 0), "finite and positive"),
    "real": (np.isfinite, "finite"),
    "unit_interval": (lambda v: (v > 0) & (v < 1), "strictly between 0 and 1"),
    "ordered": (
        lambda v: np.isfinite(v) & (np.diff(v, axis=-1, prepend=-np.inf) > 0),
        "finite and strictly increasing along its last axis",
    ),
}
"""The constraints a family parameter may carry, each with its check (a vector parameter's
check is elementwise too: ``ordered`` flags each entry not above the one before it)."""


@dataclass(frozen=True)
class DefaultPrior:
    """A family parameter's default prior, as plain data (the priors layer builds the Prior).

    Attributes
    ----------
    dist
        Name of a prior distribution (``"half_t"``).
    params
        Its parameters (``{"nu": 3, "sigma": 2.5}``).
    response_scaled
        Parameters multiplied by a robust scale of the response on the linear-predictor scale
        (:meth:`Family.prior_response`): ``("sigma",)`` gives σ = 2.5·mad(y).
    """

    dist: str
    params: Mapping[str, float]
    response_scaled: tuple[str, ...] = ()


#: a parameter's constraint -> the link of a formula for it (brms' links of distributional parameters)
PARAMETER_LINKS: Mapping[str, str] = {"positive": "log", "unit_interval": "logit"}

VAGUE_POSITIVE = DefaultPrior("gamma", {"alpha": 0.01, "beta": 0.01})
"""The default prior of a shape or precision: gamma(0.01, 0.01), vague on the positive line."""


@dataclass(frozen=True)
class Parameter:
    """A parameter of a family beyond the mean, named as in the posterior.

    Attributes
    ----------
    name
        Posterior name and prior key (``"sigma"``, ``"nu"``, ``"alpha"``, ``"kappa"``).
    description
        What it is, for messages and descriptions.
    constraint
        A key of :data:`CONSTRAINTS` (``"positive"`` for every family today).
    shape
        Names of its dimensions; ``()`` for a scalar.
    default_prior
        Its default prior, or ``None`` when it has none (then the user must give one).
    """

    name: str
    description: str
    constraint: str = "positive"
    shape: tuple[str, ...] = ()
    default_prior: DefaultPrior | None = None

    @property
    def link(self) -> str | None:
        """The link of a formula for this parameter (log for a positive one, logit for a
        probability), or ``None`` when it cannot have one (a vector, an unconstrained one)."""
        return None if self.shape else PARAMETER_LINKS.get(self.constraint)

    def __post_init__(self) -> None:
        if self.constraint not in CONSTRAINTS:
            raise FamilyError(
                f"parameter {self.name!r}: unknown constraint {self.constraint!r}; expected one "
                f"of {sorted(CONSTRAINTS)}"
            )


AuxParam = Parameter
"""The former name of :class:`Parameter` (families' auxiliary parameters)."""


def _former_aux_keyword(method):
    """Accept ``aux=`` (the former name of ``params``) with a ``FutureWarning``."""

    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if "aux" in kwargs:
            if "params" in kwargs or "params" in signature.bind_partial(self, *args).arguments:
                raise FamilyError("give the parameter values as params=, not also aux=")
            warn(
                f"Family.{method.__name__}(aux=...) is deprecated: the argument is now params",
                FutureWarning,
            )
            kwargs["params"] = kwargs.pop("aux")
        return method(self, *args, **kwargs)

    return wrapper


@dataclass(frozen=True, repr=False)
class Family:
    """A response distribution with the link in force, and its maths.

    Subclasses set the class attributes and implement :meth:`_log_likelihood` and :meth:`_draw`
    (and, for exponential-dispersion families, :meth:`_variance` and :meth:`_unit_deviance`).
    Instances are immutable; :meth:`with_link` returns a copy with another supported link.

    Attributes
    ----------
    name
        Registry name, e.g. ``"negative_binomial"``.
    links
        Names of the supported links; the first is the default.
    canonical_link
        Name of the canonical link of the exponential family, or ``None`` where it has none among
        the supported links.
    response
        The kind of response it models: validation rules, whether a two-level column may be
        encoded as 0/1, whether rows carry a number of trials.
    parameters
        Its parameters beyond the mean.
    has_dispersion
        Whether Var(y) has a free scale factor φ beyond V(μ) (False for bernoulli, binomial,
        poisson, and the negative binomial, whose shape enters V(μ) itself).
    accepts_weights
        Whether prior weights scale its residual variance (σ/√w).
    prior_rule
        The default-prior rule of :mod:`bayesml.priors` for the identity link
        (``"data_scaled"``, ``"weakly_informative"`` or ``"unit_scale"``); other links use
        :attr:`other_links_prior_rule`.
    dispersion_parameter
        ``(name, power)`` with the parameter equal to φ**power (σ = φ^½ for the gaussian, α = φ⁻¹
        for the gamma), or ``None`` when the family has no dispersion parameter.
    absorbs_intercept
        Whether a parameter of the family takes the intercept's place (the thresholds of the
        ordinal families): the design codes the terms as with an intercept and leaves its column
        out, so a formula may ask for an intercept or not (clm and brms do the same).
    category_predictors
        Whether the model has one linear predictor per non-reference category (the categorical
        family): every coefficient and random effect gets a category dimension, and η (``mu``)
        has the K − 1 predictors on a trailing axis.
    laplace_curvature
        Which curvature of the log-likelihood in η the Laplace approximation (and adaptive
        Gauss–Hermite quadrature) uses for this family: ``"expected"`` (the Fisher information
        :meth:`eta_information`, the IRLS weights of glmer's penalised IRLS and of its Laplace
        log-determinant; the exponential-dispersion families glmer fits) or ``"observed"`` (minus
        the second derivative of :meth:`eta_derivatives`, the exact Hessian glmmTMB uses). For a
        canonical link the two are equal.
    link
        The :class:`Link` in force.
    """

    name: ClassVar[str]
    links: ClassVar[tuple[str, ...]]
    canonical_link: ClassVar[str | None] = None
    response: ClassVar[ResponseKind]
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    has_dispersion: ClassVar[bool] = False
    accepts_weights: ClassVar[bool] = False
    prior_rule: ClassVar[str] = "unit_scale"
    other_links_prior_rule: ClassVar[str] = "unit_scale"
    dispersion_parameter: ClassVar[tuple[str, float] | None] = None
    absorbs_intercept: ClassVar[bool] = False
    category_predictors: ClassVar[bool] = False
    laplace_curvature: ClassVar[Literal["expected", "observed"]] = "observed"

    link: Link = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.link is None:
            object.__setattr__(self, "link", LINKS[self.links[0]])

    def __repr__(self) -> str:
        return f"Family({self.name!r}, link={self.link.name!r})"

    def __init_subclass__(
        cls,
        *,
        name: str | None = None,
        links: tuple[str, ...] | None = None,
        canonical: str | None = None,
        response: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Declare a family in its class statement: ``class Beta(Family, name="beta",
        links=("logit",), response="unit_interval")``; ``canonical`` names the canonical link."""
        super().__init_subclass__(**kwargs)
        declared = {
            "name": name,
            "links": links,
            "canonical_link": canonical,
            "response": None if response is None else RESPONSE_KINDS[response],
        }
        for attribute, value in declared.items():
            if value is not None:
                setattr(cls, attribute, value)
        # subclasses are not dataclasses themselves, so the frozen check would let them through
        cls.__setattr__ = _refuse_assignment  # type: ignore[method-assign]
        cls.__delattr__ = _refuse_assignment  # type: ignore[method-assign]

    # -- description ---------------------------------------------------------------------
    @property
    def default_link(self) -> str:
        """The link used when none is asked for."""
        return self.links[0]

    @property
    def is_canonical(self) -> bool:
        """Whether the link in force is the canonical link."""
        return self.link.name == self.canonical_link

    @property
    def response_kind(self) -> str:
        """Name of the response kind (``"real"``, ``"binary"``, ``"count"``, ...)."""
        return self.response.name

    @property
    def uses_trials(self) -> bool:
        """Whether each row has a number of trials (binomial)."""
        return self.response.uses_trials

    @property
    def aux_params(self) -> tuple[Parameter, ...]:
        """The parameters beyond the mean (the former name of :attr:`parameters`)."""
        return self.parameters

    @property
    def aux_names(self) -> tuple[str, ...]:
        """Names of the parameters beyond the mean."""
        return tuple(param.name for param in self.parameters)

    @property
    def dispersion_name(self) -> str | None:
        """The parameter a dispersion formula models (``sigma``, ``alpha``, ``kappa``): the first
        positive scalar parameter, or ``None`` when the family has none."""
        for param in self.parameters:
            if param.constraint == "positive" and not param.shape:
                return param.name
        return None

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``.

        Raises
        ------
        FamilyError
            When the family has no such parameter, listing those it has.
        """
        for param in self.parameters:
            if param.name == name:
                return param
        raise FamilyError(
            f"family {self.name!r} has no parameter {name!r}; its parameters: "
            f"{', '.join(self.aux_names) or 'none'}"
        )

    @property
    def default_prior_rule(self) -> str:
        """The default-prior rule for the link in force (see :attr:`prior_rule`)."""
        return self.prior_rule if self.link.name == "identity" else self.other_links_prior_rule

    def with_link(self, link: str | Link) -> Family:
        """Return this family with another of its supported links.

        Raises
        ------
        FamilyError
            If the family does not support ``link``; the message lists the links it supports.
        """
        given = link.name if isinstance(link, Link) else link
        key = normalise_name(given, what="link")
        if key not in self.links:
            if key in LINKS:
                raise FamilyError(
                    f"family {self.name!r} does not support link {given!r}; "
                    f"supported links: {list(self.links)}"
                )
            # An unknown name: always raises, listing this family's links with a suggestion.
            resolve_name(
                given, what="link", choices=self.links, context=f" for family {self.name!r}"
            )
        return dataclasses.replace(self, link=LINKS[key])

    # -- the density -----------------------------------------------------------------------
    def log_likelihood(
        self,
        y: ArrayLike,
        mu: ArrayLike,
        params: ParamValues | None = None,
        *,
        trials: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Array:
        """Log-likelihood of each observation given its mean.

        Parameters
        ----------
        y
            Observed responses, shape ``(n,)`` (successes for the binomial).
        mu
            μ = g⁻¹(η) of each observation, broadcastable against ``y`` (e.g.
            ``(chain, draw, n)``).
        params
            The family's parameters by name, each broadcastable against ``mu`` (e.g. shape
            ``(chain, draw, 1)``).
        trials
            Number of trials per row; binomial only.
        weights
            Prior weights per row, for the families that :attr:`accepts_weights` (and the
            exponential-dispersion precision w/φ of the gamma); ignored by the others.
        """
        values = self._param_values(params, self.aux_names, purpose="the log-likelihood")
        return self._log_likelihood(
            np.asarray(y, dtype=float), np.asarray(mu, dtype=float), values, trials, weights
        )

    def draw(
        self,
        rng: np.random.Generator,
        mu: ArrayLike,
        params: ParamValues | None = None,
        *,
        trials: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Array:
        """One new observation per entry of ``mu`` (same shape), from this distribution.

        Parameters are those of :meth:`log_likelihood`; ``rng`` is a numpy ``Generator``.
        """
        values = self._param_values(params, self.aux_names, purpose="draws")
        return self._draw(rng, np.asarray(mu, dtype=float), values, trials, weights)

    def expected_response(self, mu: ArrayLike, params: ParamValues | None = None) -> Array:
        """E(y) given μ = g⁻¹(η): μ itself except where μ is not the mean (lognormal). The
        ordinal families give the probability of each category instead, on a trailing axis."""
        return np.asarray(mu, dtype=float)

    def log_likelihood_eta(
        self,
        y: ArrayLike,
        eta: ArrayLike,
        params: ParamValues | None = None,
        *,
        trials: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Array:
        """:meth:`log_likelihood` at μ = :meth:`mu_from_eta` (η), computed from η itself where
        the family can (the binary families: y log F(η) + (n − y) log(1 − F(η)), exact far in
        both tails where μ = F(η) rounds to 0 or 1; the Poisson: y η − e^η − log y!). What the
        maximum-likelihood fits evaluate, as their derivatives (:meth:`eta_derivatives`) are
        exact in η too."""
        own = type(self)._log_likelihood_eta is not Family._log_likelihood_eta
        if not own:
            return self.log_likelihood(
                y, self.mu_from_eta(eta), params, trials=trials, weights=weights
            )
        values = self._param_values(params, self.aux_names, purpose="the log-likelihood")
        return self._log_likelihood_eta(
            np.asarray(y, dtype=float), np.asarray(eta, dtype=float), values, trials, weights
        )

    def _log_likelihood_eta(self, y, eta, params, trials, weights) -> Array:
        raise NotImplementedError

    def mu_from_eta(self, eta: ArrayLike) -> Array:
        """What :meth:`log_likelihood`, :meth:`draw` and :meth:`expected_response` take as
        ``mu`` for linear predictor η: g⁻¹(η), except for the ordinal families (η itself: their
        link acts on the thresholds minus η inside the likelihood)."""
        return self.link.inverse(eta)

    def dimension_labels(self, levels: Sequence[Any]) -> dict[str, tuple[str, ...]]:
        """Labels of the family's dimensions (a vector parameter's ``shape``, the categories of
        :meth:`expected_response`) for a response with these ordered ``levels``; empty for the
        families without such dimensions."""
        return {}

    def prior_response(self, y: ArrayLike) -> Array:
        """The response on the scale of the linear predictor, for data-scaled default priors."""
        return np.asarray(y, dtype=float)

    # -- derivatives in the linear predictor (Laplace, adaptive Gauss–Hermite quadrature) ----
    @property
    def has_eta_derivatives(self) -> bool:
        """Whether the family gives :meth:`eta_derivatives` and :meth:`eta_information` (what
        the Laplace and adaptive Gauss–Hermite fits need)."""
        own = type(self)._eta_derivatives is not Family._eta_derivatives
        return own and not self.category_predictors

    def eta_derivatives(
        self,
        y: ArrayLike,
        eta: ArrayLike,
        params: ParamValues | None = None,
        trials: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> tuple[Array, Array]:
        """(∂ℓᵢ/∂ηᵢ, ∂²ℓᵢ/∂ηᵢ²) of each row: the observed gradient and curvature in η.

        ℓᵢ is :meth:`log_likelihood` of row i at μᵢ = :meth:`mu_from_eta` (ηᵢ), with the same
        prior weights: the derivatives are those of ``log_likelihood(y, mu_from_eta(eta),
        params, trials=trials, weights=weights)`` in η, but computed in closed form from η itself
        (not from the clipped μ), so that they stay finite and accurate far in the tails
        (η = ±30 on a logit, probit or cloglog link).

        Parameters
        ----------
        y
            Observed responses, on the family's response scale (successes for the binomial,
            category numbers 1, …, K for the ordinal families).
        eta
            Linear predictor of the mean (of the count or positive part for the zero-inflated
            and hurdle families; the location of the ordinal families), broadcastable against
            ``y``.
        params
            The family's parameters by their posterior names (``sigma``, ``nu``, ``alpha``,
            ``kappa``, ``cutpoints``, ``zi``, ``hu``), each broadcastable against ``eta`` (the
            ordinal ``cutpoints`` against ``eta[..., None]``); a per-row ``zi``/``hu`` works.
        trials
            Number of trials per row; the binomial families only (required there).
        weights
            Prior weights per row, as :meth:`log_likelihood` takes them: the gaussian's
            σ/√w and the gamma's shape α·w multiply ℓᵢ's dependence on η by wᵢ; the Student-t's
            σ/√w rescales its residual. The other families' log-likelihood takes no weights,
            and giving them raises a :class:`~bayesml.errors.FamilyError`.

        Returns
        -------
        gradient, curvature
            Arrays of the broadcast shape of ``y``, ``eta`` and the parameters.

        Raises
        ------
        FamilyError
            For a family without these derivatives (the categorical and multinomial families,
            which have one linear predictor per category), for unknown or missing parameters,
            or for weights given to a family whose log-likelihood takes none.
        DataError
            When the binomial families get no trials, or another family gets some.
        """
        y_arr, eta_arr, values, n, w = self._eta_inputs(
            y, eta, params, trials, weights, purpose="its derivatives in eta"
        )
        gradient, curvature = self._eta_derivatives(y_arr, eta_arr, values, n, w)
        shape = np.broadcast_shapes(
            np.shape(gradient), np.shape(curvature), y_arr.shape, eta_arr.shape
        )
        return (
            np.array(np.broadcast_to(gradient, shape), dtype=float),
            np.array(np.broadcast_to(curvature, shape), dtype=float),
        )

    def eta_information(
        self,
        y: ArrayLike,
        eta: ArrayLike,
        params: ParamValues | None = None,
        trials: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Array:
        """−E[∂²ℓᵢ/∂ηᵢ²]: the expected (Fisher) information of each row in η.

        For an exponential-dispersion family it is the IRLS weight w·(dμ/dη)²/(φ V(μ)) that
        glmer's penalised IRLS uses; for the others it is the exact expectation over the
        response's distribution at η (E[(∂ℓ/∂η)²], summed over the categories of an ordinal
        row; the zero-inflated and hurdle families' mixture in closed form). ``y`` gives the
        shape of the rows (the expectation does not depend on its values). Arguments, shape
        and errors as in :meth:`eta_derivatives`.
        """
        y_arr, eta_arr, values, n, w = self._eta_inputs(
            y, eta, params, trials, weights, purpose="its information in eta"
        )
        information = self._eta_information(y_arr, eta_arr, values, n, w)
        shape = np.broadcast_shapes(np.shape(information), y_arr.shape, eta_arr.shape)
        return np.array(np.broadcast_to(information, shape), dtype=float)

    def eta_third_derivative(
        self,
        y: ArrayLike,
        eta: ArrayLike,
        params: ParamValues | None = None,
        trials: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Array:
        """∂³ℓᵢ/∂ηᵢ³ of each row: how the observed curvature changes with η, which the exact
        gradient of the Laplace deviance needs. In closed form where the family gives it (the
        logit binomials, the Poisson), else a central difference of :meth:`eta_derivatives`'
        second derivative (step 1e-5). Arguments, shape and errors as in
        :meth:`eta_derivatives`."""
        y_arr, eta_arr, values, n, w = self._eta_inputs(
            y, eta, params, trials, weights, purpose="its derivatives in eta"
        )
        third = self._eta_third_derivative(y_arr, eta_arr, values, n, w)
        if third is None:
            step = 1e-5
            upper = self._eta_derivatives(y_arr, eta_arr + step, values, n, w)[1]
            lower = self._eta_derivatives(y_arr, eta_arr - step, values, n, w)[1]
            third = (upper - lower) / (2.0 * step)
        shape = np.broadcast_shapes(np.shape(third), y_arr.shape, eta_arr.shape)
        return np.array(np.broadcast_to(third, shape), dtype=float)

    def _eta_third_derivative(self, y, eta, params, trials, weights) -> Array | None:
        """The closed form of :meth:`eta_third_derivative`, or None (a central difference)."""
        return None

    def _eta_inputs(self, y, eta, params, trials, weights, *, purpose: str):
        """Checked arrays of :meth:`eta_derivatives`: y, η, parameters, trials, weights."""
        if self.category_predictors:
            raise FamilyError(
                f"family {self.name!r} has one linear predictor per category; its derivatives "
                "in eta are a vector per row, which eta_derivatives and eta_information do not "
                "give (the family's category_derivatives does)"
            )
        if not self.has_eta_derivatives:
            raise FamilyError(
                f"family {self.name!r} gives no derivatives of its log-likelihood in eta (the "
                "Laplace and adaptive Gauss-Hermite fits need them)"
            )
        values = self._param_values(params, self.aux_names, purpose=purpose)
        n = self._trials(trials)
        if weights is not None and not self._weights_in_likelihood:
            raise FamilyError(
                f"family {self.name!r} takes no prior weights in its log-likelihood; got "
                "weights (only the gaussian, student_t and gamma families take them)"
            )
        w = None if weights is None else np.asarray(weights, dtype=float)
        if w is not None and not np.all(np.isfinite(w) & (w >= 0)):
            bad = w[~(np.isfinite(w) & (w >= 0))]
            shown = ", ".join(f"{v:g}" for v in bad[:5]) + (", ..." if bad.size > 5 else "")
            raise DataError(f"weights must be finite and non-negative; got {shown}")
        return np.asarray(y, dtype=float), np.asarray(eta, dtype=float), values, n, w

    # -- exponential-dispersion maths ------------------------------------------------------
    @_former_aux_keyword
    def variance(self, mu: ArrayLike, params: ParamValues | None = None) -> Array:
        """Variance function V(μ), with Var(y) = φ·V(μ).

        φ is σ² (gaussian), 1/α (gamma), 1/(1 + κ) (beta) and 1 otherwise; for the binomial, V is
        per trial (Var(successes) = n·V(μ)). For the Student-t, Var(y) = σ²ν/(ν − 2)·V(μ).

        Parameters
        ----------
        mu
            Means.
        params
            Parameter values by name; the negative binomial needs ``alpha``. (``aux``, its
            former name, is accepted with a ``FutureWarning``.)
        """
        values = self._param_values(params, self._variance_needs, purpose="the variance")
        return self._variance(np.asarray(mu, dtype=float), values)

    def variance_derivative(self, mu: ArrayLike, params: ParamValues | None = None) -> Array:
        """dV/dμ (the HL(1,1) correction of the h-likelihood needs it)."""
        values = self._param_values(params, self._variance_needs, purpose="the variance")
        return self._variance_derivative(np.asarray(mu, dtype=float), values)

    @_former_aux_keyword
    def unit_deviance(
        self, y: ArrayLike, mu: ArrayLike, params: Params = None, *, trials: Rows = None
    ) -> Array:
        """Unit deviances d(y, μ) (R's ``dev.resids`` with unit weights); ``y`` is assumed valid.

        Parameters
        ----------
        y
            Responses (successes for the binomial).
        mu
            Means (success probabilities for bernoulli and binomial).
        params
            Parameter values by name: the Student-t needs ``sigma`` and ``nu``, the negative
            binomial ``alpha``, the beta ``kappa``. (``aux``, its former name, is accepted with a
            ``FutureWarning``.)
        trials
            Number of trials per row; binomial only.
        """
        y_arr = np.asarray(y, dtype=float)
        n = self._trials(trials)
        values = self._param_values(params, self._deviance_needs, purpose="the deviance")
        return self._unit_deviance(y_arr, np.asarray(mu, dtype=float), n, values)

    def weighted_deviance(
        self,
        y: ArrayLike,
        mu: ArrayLike,
        prior_weights: ArrayLike,
        params: ParamValues | None = None,
    ) -> Array:
        """Deviance components w·d(y, μ) on the mean scale (R's ``dev.resids(y, mu, wt)``).

        For the binomial ``y`` is the proportion of successes and ``prior_weights`` include the
        trials, as in R's ``glm``; negative unit deviances (rounding) are set to 0.
        """
        unit = self.unit_deviance(y, mu, params, trials=None if not self.uses_trials else 1.0)
        return np.asarray(prior_weights, dtype=float) * np.maximum(unit, 0.0)

    def initial_mean(self, y: ArrayLike, prior_weights: ArrayLike | None = None) -> Array:
        """Starting means for IWLS from the response on the mean scale (R's ``mustart``)."""
        return np.array(y, dtype=float, copy=True)

    def dispersion_parameters(self, phi: ArrayLike) -> dict[str, Array]:
        """The family's parameters at dispersion φ (empty when it has no dispersion)."""
        if self.dispersion_parameter is None:
            return {}
        name, power = self.dispersion_parameter
        return {name: np.asarray(phi, dtype=float) ** power}

    @_former_aux_keyword
    def deviance_residuals(
        self, y: ArrayLike, mu: ArrayLike, params: Params = None, *, weights: Rows = None,
        trials: Rows = None,
    ) -> Array:  # fmt: skip
        """Signed square roots of the weighted unit deviances, sign(y − E y)·√(w·d(y, μ)).

        Parameters are those of :meth:`unit_deviance`, plus ``weights``, non-negative prior
        weights (one per row; default 1).
        """
        y_arr = np.asarray(y, dtype=float)
        d = self._weighted_unit_deviances(y_arr, mu, params, weights, trials)
        expected = np.asarray(mu, dtype=float)
        if trials is not None:
            expected = expected * np.asarray(trials, dtype=float)
        return np.sign(y_arr - expected) * np.sqrt(d)

    @_former_aux_keyword
    def deviance(
        self, y: ArrayLike, mu: ArrayLike, params: Params = None, *, weights: Rows = None,
        trials: Rows = None,
    ) -> float:  # fmt: skip
        """Total deviance Σ w·d(y, μ); arguments as in :meth:`deviance_residuals`."""
        return float(np.sum(self._weighted_unit_deviances(y, mu, params, weights, trials)))

    def _weighted_unit_deviances(
        self, y: ArrayLike, mu: ArrayLike, params: Params, weights: Rows, trials: Rows
    ) -> Array:
        """w·max(d(y, μ), 0) (w = 1 without weights)."""
        d = np.maximum(self.unit_deviance(y, mu, params, trials=trials), 0.0)
        if weights is not None:
            d = d * check_weights(weights, size=np.asarray(y).size)
        return d

    # -- the response ----------------------------------------------------------------------
    def validate_response(
        self,
        y: ArrayLike,
        *,
        trials: ArrayLike | None = None,
        name: str = "y",
        row_labels: Sequence[object] | None = None,
    ) -> None:
        """Check that ``y`` is a valid response for this family.

        Parameters
        ----------
        y
            Response values (successes for the binomial).
        trials
            Number of trials per row: required for the binomial, refused otherwise.
        name
            Name of the response in the messages.
        row_labels
            Labels of the rows (e.g. the data frame index) to show instead of row positions.

        Raises
        ------
        DataError
            Naming the response, the offending rows (the first few) and what was expected.
        """
        check_response(y, self.response, self.name, trials, name, row_labels)

    # -- what subclasses implement -----------------------------------------------------------
    _variance_needs: ClassVar[tuple[str, ...]] = ()
    _deviance_needs: ClassVar[tuple[str, ...]] = ()

    def _log_likelihood(self, y, mu, params, trials, weights) -> Array:
        raise NotImplementedError

    def _draw(self, rng, mu, params, trials, weights) -> Array:
        raise NotImplementedError

    #: whether :meth:`_log_likelihood` uses prior weights (gaussian, student_t, gamma)
    _weights_in_likelihood: ClassVar[bool] = False

    def _eta_derivatives(self, y, eta, params, trials, weights) -> tuple[Array, Array]:
        """(∂ℓ/∂η, ∂²ℓ/∂η²) of each row; ``trials`` and ``weights`` checked (or ``None``)."""
        raise FamilyError(f"family {self.name!r} gives no derivatives in eta")

    def _eta_information(self, y, eta, params, trials, weights) -> Array:
        """−E[∂²ℓ/∂η²] of each row; arguments as in :meth:`_eta_derivatives`."""
        raise FamilyError(f"family {self.name!r} gives no information in eta")

    def _variance(self, mu: Array, params: Mapping[str, Array]) -> Array:
        raise FamilyError(f"family {self.name!r} has no variance function")

    def _variance_derivative(self, mu: Array, params: Mapping[str, Array]) -> Array:
        raise FamilyError(f"family {self.name!r} has no variance function")

    def _unit_deviance(self, y, mu, trials, params) -> Array:
        raise FamilyError(f"family {self.name!r} has no deviance")

    # -- checks ----------------------------------------------------------------------------
    def _trials(self, trials: ArrayLike | None) -> Array | None:
        if self.uses_trials and trials is None:
            raise DataError(f"family {self.name!r} needs trials; got trials=None")
        if trials is None:
            return None
        n = (
            np.asarray(trials, dtype=float)
            if np.ndim(trials) == 0
            else as_vector(trials, what="trials")
        )
        if not self.uses_trials:
            raise DataError(f"family {self.name!r} takes no trials; got trials for {n.size} rows")
        return n

    def _param_values(
        self, params: ParamValues | None, needed: tuple[str, ...], *, purpose: str
    ) -> dict[str, Array]:
        params = dict(params or {})
        unknown = sorted(set(params) - set(self.aux_names))
        if unknown:
            raise FamilyError(
                f"unknown auxiliary parameter(s) {unknown} for family {self.name!r}; "
                f"it has {list(self.aux_names)}"
            )
        missing = [key for key in needed if key not in params]
        if missing:
            raise FamilyError(
                f"family {self.name!r} needs aux values for {missing} to compute {purpose}; "
                f"got {sorted(params)}"
            )
        constraints = {param.name: param.constraint for param in self.parameters}
        values = {key: np.asarray(value, dtype=float) for key, value in params.items()}
        for key, value in values.items():
            test, expected = CONSTRAINTS[constraints[key]]
            bad = value[~test(value)]
            if bad.size:
                shown = ", ".join(f"{v:g}" for v in bad[:5]) + (", ..." if bad.size > 5 else "")
                raise FamilyError(
                    f"auxiliary parameter {key!r} of family {self.name!r} must be {expected}; "
                    f"got {shown}"
                )
        return values


def _refuse_assignment(self: Family, name: str, *value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot change {name!r}: families are immutable")
