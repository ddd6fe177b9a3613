"""Observed-data likelihoods of every family, added to the PyMC model in context.

:func:`add_likelihood` looks the family up in :data:`LIKELIHOODS` and adds one observed random
variable, so that ``pm.compute_log_likelihood`` and posterior predictive sampling work. Means are
parameterised as the rest of bayesml reports them:

========================  ============================================================
family                    PyMC distribution
========================  ============================================================
gaussian                  ``Normal(μ, σ/√w)`` (w the prior weights)
student_t                 ``StudentT(ν, μ, σ/√w)``
lognormal                 ``LogNormal(μ, σ)``: log y ~ N(μ, σ²)
bernoulli, binomial       ``Bernoulli`` / ``Binomial(n = trials)`` with ``logit_p`` = log(μ/(1 − μ))
poisson                   ``Poisson(μ)``
negative_binomial         ``NegativeBinomial(μ, α)``: Var = μ + μ²/α
gamma                     ``Gamma(α, α/μ)``: mean μ, shape α
beta                      ``Beta(μκ, (1 − μ)κ)``: mean μ, precision κ
zero_inflated_poisson     ``ZeroInflatedPoisson(psi = 1 − zi, μ)``
zero_inflated_neg...      ``ZeroInflatedNegativeBinomial(psi = 1 − zi, μ, α)``
zero_inflated_binomial    ``Mixture`` of 0 (weight zi) and ``Binomial(n, logit_p)``
hurdle_poisson            ``HurdlePoisson(psi = 1 − hu, μ)``: the Poisson truncated at 0
hurdle_negative_binomial  ``HurdleNegativeBinomial(psi = 1 − hu, μ, α)``
hurdle_gamma              ``HurdleGamma(psi = 1 − hu, α, α/μ)``
hurdle_lognormal          ``HurdleLogNormal(psi = 1 − hu, μ, σ)``
cumulative, sratio, acat  ``CustomDist`` of the category number y ∈ {1, …, K} with the
                          log-probability of :mod:`bayesml.families.ordinal` (η and the
                          ``cutpoints`` θ), written with log F and log(1 − F) of the link
categorical               ``CustomDist`` of the category number: log-softmax of (0, η)
multinomial               ``CustomDist`` of the rows × K counts: log N! − Σ log n_k! +
                          Σ n_k log P_k with P the softmax of (0, η)
========================  ============================================================

PyMC's ``psi`` is the probability of the non-zero part: 1 − zi, 1 − hu.

:func:`add_latent_probit` writes the Albert–Chib form of a probit model instead, and
:func:`probit_pointwise_loglik` gives its pointwise log-likelihood (the latent form has no
observed variable for PyMC to evaluate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from numpy.typing import ArrayLike, NDArray
from pytensor.graph.basic import Variable
from pytensor.tensor.variable import TensorVariable
from scipy import special

from bayesml.backends.pymc.links import (
    inverse_link,
    log_cdfs,
    log_interval_probability,
    log_odds,
)
from bayesml.errors import DataError, FamilyError
from bayesml.families import FAMILIES, Family, get_family

__all__ = [
    "LATENT_PROBIT_FAMILIES",
    "RANDOM_EFFECT_DISTRIBUTIONS",
    "LIKELIHOODS",
    "LikelihoodInputs",
    "add_latent_probit",
    "add_likelihood",
    "expand_binomial_rows",
    "has_latent_form",
    "probit_pointwise_loglik",
]

Dims = str | tuple[str, ...] | None


@dataclass(frozen=True)
class LikelihoodInputs:
    """Everything a likelihood builder needs, already checked by :func:`add_likelihood`."""

    family: Family
    name: str
    eta: TensorVariable
    observed: Any
    aux: Mapping[str, TensorVariable]
    trials: NDArray[np.int64] | None
    weights: NDArray[np.float64] | None
    dims: Dims

    @property
    def mu(self) -> TensorVariable:
        """The mean g⁻¹(η)."""
        return inverse_link(self.family.link.name, self.eta)

    @property
    def logit_p(self) -> TensorVariable:
        """log(μ/(1 − μ)), computed stably from η (links of a probability only)."""
        return log_odds(self.family.link.name, self.eta)

    def scale(self, sigma: TensorVariable) -> TensorVariable:
        """σ/√w with prior weights w (σ itself without weights)."""
        if self.weights is None:
            return sigma
        return sigma / pt.sqrt(pt.as_tensor_variable(self.weights))

    def common(self) -> dict[str, Any]:
        """Keyword arguments shared by every observed variable."""
        return {"observed": self.observed, "dims": self.dims}


def _gaussian(x: LikelihoodInputs) -> TensorVariable:
    return pm.Normal(x.name, mu=x.mu, sigma=x.scale(x.aux["sigma"]), **x.common())


def _student_t(x: LikelihoodInputs) -> TensorVariable:
    return pm.StudentT(x.name, nu=x.aux["nu"], mu=x.mu, sigma=x.scale(x.aux["sigma"]), **x.common())


def _lognormal(x: LikelihoodInputs) -> TensorVariable:
    return pm.LogNormal(x.name, mu=x.mu, sigma=x.aux["sigma"], **x.common())


def _bernoulli(x: LikelihoodInputs) -> TensorVariable:
    return pm.Bernoulli(x.name, logit_p=x.logit_p, **x.common())


def _binomial(x: LikelihoodInputs) -> TensorVariable:
    return pm.Binomial(x.name, n=x.trials, logit_p=x.logit_p, **x.common())


def _poisson(x: LikelihoodInputs) -> TensorVariable:
    return pm.Poisson(x.name, mu=x.mu, **x.common())


def _negative_binomial(x: LikelihoodInputs) -> TensorVariable:
    return pm.NegativeBinomial(x.name, mu=x.mu, alpha=x.aux["alpha"], **x.common())


def _gamma(x: LikelihoodInputs) -> TensorVariable:
    shape = x.aux["alpha"]
    return pm.Gamma(x.name, alpha=shape, beta=shape / x.mu, **x.common())


def _beta(x: LikelihoodInputs) -> TensorVariable:
    kappa, logit_mu = x.aux["kappa"], x.logit_p
    # μ = sigmoid(logit), 1 − μ = sigmoid(−logit): neither rounds to 0 near the boundaries.
    return pm.Beta(
        x.name,
        alpha=pt.sigmoid(logit_mu) * kappa,
        beta=pt.sigmoid(-logit_mu) * kappa,
        **x.common(),
    )


# Zero-inflated and hurdle families: PyMC's psi is the probability of the count (non-zero) part,
# psi = 1 − zi (zero-inflated) and psi = 1 − hu (hurdle).


def _zero_inflated_poisson(x: LikelihoodInputs) -> TensorVariable:
    return pm.ZeroInflatedPoisson(x.name, psi=1.0 - x.aux["zi"], mu=x.mu, **x.common())


def _zero_inflated_negative_binomial(x: LikelihoodInputs) -> TensorVariable:
    return pm.ZeroInflatedNegativeBinomial(
        x.name, psi=1.0 - x.aux["zi"], mu=x.mu, alpha=x.aux["alpha"], **x.common()
    )


def _zero_inflated_binomial(x: LikelihoodInputs) -> TensorVariable:
    # pm.ZeroInflatedBinomial's mixture, with the binomial written on logit_p (exact in the tails,
    # as the binomial family's) instead of p = g⁻¹(η)
    zi = pt.as_tensor_variable(x.aux["zi"])
    return pm.Mixture(
        x.name,
        w=pt.stack([zi, 1.0 - zi], axis=-1),
        comp_dists=[pm.DiracDelta.dist(0), pm.Binomial.dist(n=x.trials, logit_p=x.logit_p)],
        **x.common(),
    )


def _hurdle_poisson(x: LikelihoodInputs) -> TensorVariable:
    return pm.HurdlePoisson(x.name, psi=1.0 - x.aux["hu"], mu=x.mu, **x.common())


def _hurdle_negative_binomial(x: LikelihoodInputs) -> TensorVariable:
    return pm.HurdleNegativeBinomial(
        x.name, psi=1.0 - x.aux["hu"], mu=x.mu, alpha=x.aux["alpha"], **x.common()
    )


def _hurdle_gamma(x: LikelihoodInputs) -> TensorVariable:
    shape = x.aux["alpha"]
    return pm.HurdleGamma(
        x.name, psi=1.0 - x.aux["hu"], alpha=shape, beta=shape / x.mu, **x.common()
    )


def _hurdle_lognormal(x: LikelihoodInputs) -> TensorVariable:
    return pm.HurdleLogNormal(
        x.name, psi=1.0 - x.aux["hu"], mu=x.mu, sigma=x.aux["sigma"], **x.common()
    )


# -- ordinal families: y = category number 1..K, thresholds θ (the ``cutpoints``) -------------
def _cumulative_logp(link: str, value, eta, cutpoints):
    """log P(y) = log(F(θ_y − η) − F(θ_{y−1} − η)), θ₀ = −∞, θ_K = +∞ (log F, log(1 − F) at the
    ends; the middle formula gets harmless finite inputs there)."""
    y = pt.cast(value, "int64")
    shifted = cutpoints - eta[:, None]  # θ_k − η, (rows, K − 1); θ comes as (1 or rows, K − 1)
    rows = pt.arange(shifted.shape[0])
    n_thresholds = shifted.shape[1]
    upper = shifted[rows, pt.minimum(y, n_thresholds) - 1]
    lower = shifted[rows, pt.maximum(y - 1, 1) - 1]
    first, last = pt.eq(y, 1), pt.eq(y, n_thresholds + 1)
    middle = log_interval_probability(
        link, pt.switch(first, upper - 1.0, lower), pt.switch(last, lower + 1.0, upper)
    )
    log_cdf, log_sf = log_cdfs(link)
    return pt.switch(first, log_cdf(upper), pt.switch(last, log_sf(lower), middle))


def _category_logp(log_probabilities, value, eta, cutpoints):
    """log P(y) picked from the (rows, K) matrix of every category's log-probability."""
    shifted = cutpoints - eta[:, None]  # θ_k − η; θ comes as (1 or rows, K − 1)
    table = log_probabilities(shifted)
    rows = pt.arange(table.shape[0])
    return table[rows, pt.cast(value, "int64") - 1]


def _sratio_table(link: str, shifted):
    """log P(y = k) = log F(θ_k − η) + Σ_{j<k} log(1 − F(θ_j − η)); P(y = K) = Π (1 − F)."""
    log_cdf, log_sf = log_cdfs(link)
    zero = pt.zeros_like(shifted[:, :1])
    reached = pt.concatenate([zero, pt.cumsum(log_sf(shifted), axis=1)], axis=1)
    return reached + pt.concatenate([log_cdf(shifted), zero], axis=1)


def _acat_table(link: str, shifted):
    """P(y = k) ∝ Π_{j<k} F(η − θ_j) Π_{j≥k} (1 − F(η − θ_j)), normalised."""
    log_cdf, log_sf = log_cdfs(link)
    zero = pt.zeros_like(shifted[:, :1])
    below = pt.concatenate([zero, pt.cumsum(log_cdf(-shifted), axis=1)], axis=1)
    above = pt.concatenate([pt.cumsum(log_sf(-shifted)[:, ::-1], axis=1)[:, ::-1], zero], axis=1)
    unnormalised = below + above
    return unnormalised - pt.logsumexp(unnormalised, axis=1, keepdims=True)


def _ordinal(x: LikelihoodInputs, logp: Callable) -> TensorVariable:
    """The observed category numbers with the log-probability ``logp(value, η, θ)``."""
    return pm.CustomDist(
        x.name,
        x.eta,
        x.aux["cutpoints"],
        logp=logp,
        signature="(),(k)->()",
        **x.common(),
    )


def _cumulative(x: LikelihoodInputs) -> TensorVariable:
    link = x.family.link.name
    return _ordinal(x, lambda value, eta, cutpoints: _cumulative_logp(link, value, eta, cutpoints))


def _sratio(x: LikelihoodInputs) -> TensorVariable:
    link = x.family.link.name
    table = lambda shifted: _sratio_table(link, shifted)  # noqa: E731
    return _ordinal(x, lambda value, eta, cutpoints: _category_logp(table, value, eta, cutpoints))


def _acat(x: LikelihoodInputs) -> TensorVariable:
    link = x.family.link.name
    table = lambda shifted: _acat_table(link, shifted)  # noqa: E731
    return _ordinal(x, lambda value, eta, cutpoints: _category_logp(table, value, eta, cutpoints))


# -- categorical: y = category number 1..K (1 = reference), η of shape (rows, K − 1) ----------
def _categorical_logp(value, eta):
    """log P(y) = η_y − log(1 + Σ_c exp η_c), with η of the reference 0."""
    logits = pt.concatenate([pt.zeros_like(eta[:, :1]), eta], axis=1)
    log_p = logits - pt.logsumexp(logits, axis=1, keepdims=True)
    return log_p[pt.arange(log_p.shape[0]), pt.cast(value, "int64") - 1]


def _categorical(x: LikelihoodInputs) -> TensorVariable:
    return pm.CustomDist(
        x.name, x.eta, logp=_categorical_logp, signature="(k)->()", **x.common()
    )


# -- multinomial: y = counts (rows, K), first column the reference; η of shape (rows, K − 1) ---
def _multinomial_logp(value, logits):
    """log N! − Σ log n_k! + Σ n_k log P_k, with P the softmax of the K logits (0, η)."""
    log_p = logits - pt.logsumexp(logits, axis=1, keepdims=True)
    coefficient = pt.gammaln(value.sum(axis=1) + 1.0) - pt.gammaln(value + 1.0).sum(axis=1)
    return coefficient + pt.switch(pt.gt(value, 0), value * log_p, 0.0).sum(axis=1)


def _multinomial(x: LikelihoodInputs) -> TensorVariable:
    # the reference's logit 0 joins η, so that the counts and the logits share the core dim (k)
    logits = pt.concatenate([pt.zeros_like(x.eta[:, :1]), x.eta], axis=1)
    return pm.CustomDist(
        x.name, logits, logp=_multinomial_logp, signature="(k)->(k)", **x.common()
    )


LIKELIHOODS: dict[str, Callable[[LikelihoodInputs], TensorVariable]] = {
    "gaussian": _gaussian,
    "student_t": _student_t,
    "lognormal": _lognormal,
    "bernoulli": _bernoulli,
    "binomial": _binomial,
    "poisson": _poisson,
    "negative_binomial": _negative_binomial,
    "gamma": _gamma,
    "beta": _beta,
    "zero_inflated_poisson": _zero_inflated_poisson,
    "zero_inflated_negative_binomial": _zero_inflated_negative_binomial,
    "zero_inflated_binomial": _zero_inflated_binomial,
    "hurdle_poisson": _hurdle_poisson,
    "hurdle_negative_binomial": _hurdle_negative_binomial,
    "hurdle_gamma": _hurdle_gamma,
    "hurdle_lognormal": _hurdle_lognormal,
    "cumulative": _cumulative,
    "sratio": _sratio,
    "acat": _acat,
    "categorical": _categorical,
    "multinomial": _multinomial,
}
"""Likelihood builders by family name."""


def _gamma_effects(name: str, lam: TensorVariable, dims: Dims) -> TensorVariable:
    """u ~ Gamma(1/λ, 1/λ) (mean 1, variance λ), v = log u."""
    return pt.log(pm.Gamma(name, alpha=1.0 / lam, beta=1.0 / lam, dims=dims))


def _beta_effects(name: str, lam: TensorVariable, dims: Dims) -> TensorVariable:
    """u ~ Beta(α, α) with α = 1/(2λ), v = logit u."""
    shape = 1.0 / (2.0 * lam)
    u = pm.Beta(name, alpha=shape, beta=shape, dims=dims)
    return pt.log(u) - pt.log1p(-u)


def _inverse_gamma_effects(name: str, lam: TensorVariable, dims: Dims) -> TensorVariable:
    """u ~ InverseGamma(1 + 1/λ, 1/λ) (mean 1), the u of v = 1/u or log u."""
    return pm.InverseGamma(name, alpha=1.0 + 1.0 / lam, beta=1.0 / lam, dims=dims)


RANDOM_EFFECT_DISTRIBUTIONS: dict[tuple[str, str], Callable[..., TensorVariable]] = {
    ("gamma", "log"): _gamma_effects,
    ("beta", "logit"): _beta_effects,
    ("inverse_gamma", "inverse"): lambda name, lam, dims: (
        1.0 / _inverse_gamma_effects(name, lam, dims)
    ),
    ("inverse_gamma", "log"): lambda name, lam, dims: pt.log(
        _inverse_gamma_effects(name, lam, dims)
    ),
}
"""Random family and link of Lee and Nelder's HGLMs -> builder(name, λ, dims) of v = v(u), with u's
distribution of mean ψ and variance λ (:mod:`bayesml.families.random_effects`)."""

LATENT_PROBIT_FAMILIES: dict[str, tuple[str, ...]] = {
    "bernoulli": ("probit",),
    "binomial": ("probit",),
}
"""The families (and links) that have the Albert–Chib latent form (:func:`add_latent_probit`)."""

_ROW_FAMILY = "bernoulli"
_TRIALS_FAMILY = "binomial"


def has_latent_form(family: Family) -> bool:
    """Whether ``family`` with its link can be written in the latent probit form."""
    return family.link.name in LATENT_PROBIT_FAMILIES.get(family.name, ())


def add_likelihood(
    family: Family,
    *,
    name: str,
    eta: TensorVariable,
    observed: Any,
    aux: Mapping[str, TensorVariable],
    trials: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    dims: Dims = None,
) -> TensorVariable:
    """Add the observed variable of ``family`` to the PyMC model in context.

    Parameters
    ----------
    family
        Response family with its link.
    name
        Name of the observed variable (the response's name).
    eta
        Linear predictor, one value per row.
    observed
        Response values (successes for the binomial), or a ``pm.Data`` variable; numeric values
        are checked with :meth:`Family.validate_response`.
    aux
        The family's auxiliary parameters by name (exactly ``family.aux_params``).
    trials
        Number of trials per row: binomial only.
    weights
        Positive prior weights, gaussian and student_t only: row i gets scale σ/√wᵢ.
    dims
        Dimension name(s) of the observed variable.

    Returns
    -------
    TensorVariable
        The observed random variable.

    Raises
    ------
    FamilyError
        If ``aux`` does not match the family's auxiliary parameters, or weights are given for a
        family other than gaussian and student_t.
    DataError
        If the response, trials or weights are invalid.
    """
    builder = LIKELIHOODS.get(family.name)
    if builder is None:
        raise FamilyError(
            f"no PyMC likelihood for family {family.name!r}; expected one of {sorted(LIKELIHOODS)}"
        )
    _check_aux(family, aux)
    if not isinstance(observed, Variable):
        family.validate_response(observed, trials=trials, name=name)
    inputs = LikelihoodInputs(
        family=family,
        name=name,
        eta=pt.as_tensor_variable(eta),
        observed=observed,
        aux=dict(aux),
        trials=None if trials is None else np.asarray(trials, dtype=float).astype(np.int64),
        weights=_checked_weights(family, weights),
        dims=dims,
    )
    return builder(inputs)


def _check_aux(family: Family, aux: Mapping[str, TensorVariable]) -> None:
    expected, given = sorted(family.aux_names), sorted(aux)
    if expected != given:
        raise FamilyError(
            f"family {family.name!r} needs auxiliary parameters {expected}; got {given}"
        )


def _checked_weights(family: Family, weights: ArrayLike | None) -> NDArray[np.float64] | None:
    if weights is None:
        return None
    if not family.accepts_weights:
        weighted = [name for name, other in FAMILIES.items() if other.accepts_weights]
        raise FamilyError(
            f"prior weights are only supported for families {weighted}; got "
            f"weights with family {family.name!r} (for binomial data give the number of trials "
            "instead)"
        )
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1:
        raise DataError(f"weights must be one-dimensional; got an array of shape {w.shape}")
    bad = np.flatnonzero(~(np.isfinite(w) & (w > 0)))
    if bad.size:
        values = ", ".join(f"{v:g}" for v in w[bad[:5]])
        rows = ", ".join(str(int(i)) for i in bad[:5])
        more = ", ..." if bad.size > 5 else ""
        raise DataError(
            f"weights must be finite and positive for family {family.name!r}; got {values}{more} "
            f"in {bad.size} row(s) (row positions {rows}{more})"
        )
    return w


def add_latent_probit(
    *, name: str, eta: TensorVariable, y: ArrayLike, dims: Dims = None
) -> TensorVariable:
    """Add the Albert–Chib latent form of a probit model for Bernoulli rows.

    Each row gets zᵢ ~ N(ηᵢ, 1) restricted to zᵢ > 0 where yᵢ = 1 and zᵢ < 0 where yᵢ = 0.
    zᵢ = sᵢ·mᵢ with sᵢ = ±1 from yᵢ and a free magnitude mᵢ > 0 (``pm.HalfFlat`` named
    ``f"{name}_abs"``, sampled on the log scale); the normal density of z given η enters as
    ``pm.Potential`` named ``f"{name}_loglik"``. Integrating z out gives P(yᵢ = 1) = Φ(ηᵢ); a
    truncated normal would not do, because its normaliser Φ(±ηᵢ) cancels that likelihood.

    Parameters
    ----------
    name
        Name of the latent vector; the model gets ``f"{name}_abs"`` and ``f"{name}_loglik"``.
    eta
        Linear predictor of each Bernoulli row.
    y
        0/1 outcome of each row (expand binomial rows with :func:`expand_binomial_rows`).
    dims
        Dimension name of the rows, if the model has one.

    Returns
    -------
    TensorVariable
        The latent z.
    """
    get_family(_ROW_FAMILY).validate_response(y, name=name)
    y01 = np.asarray(y, dtype=float)
    sign = pt.as_tensor_variable(2.0 * y01 - 1.0)
    magnitude = pm.HalfFlat(f"{name}_abs", shape=y01.size, dims=dims)
    z = sign * magnitude
    density = pm.logp(pm.Normal.dist(mu=pt.as_tensor_variable(eta), sigma=1.0), z)
    pm.Potential(f"{name}_loglik", pt.sum(density))
    return z


def probit_pointwise_loglik(
    eta: ArrayLike, y: ArrayLike, *, trials: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Pointwise log-likelihood of a probit model, log Φ(±η), for the latent form's results.

    Parameters
    ----------
    eta
        Linear predictor, shape ``(..., n)`` (e.g. chain × draw × row).
    y
        Outcomes, shape ``(n,)``: 0/1, or successes when ``trials`` is given.
    trials
        Number of trials per row; then the value is the binomial log-pmf of y successes, which
        matches the marginal model's log-likelihood of the same (unexpanded) rows.

    Returns
    -------
    ndarray
        Shape of ``eta`` broadcast against ``y``.
    """
    eta_arr, y_arr = np.asarray(eta, dtype=float), np.asarray(y, dtype=float)
    if trials is None:
        get_family(_ROW_FAMILY).validate_response(y_arr)
        return special.log_ndtr(np.where(y_arr == 1, eta_arr, -eta_arr))
    n = np.asarray(trials, dtype=float)
    get_family(_TRIALS_FAMILY).validate_response(y_arr, trials=n)
    log_choose = (
        special.gammaln(n + 1) - special.gammaln(y_arr + 1) - special.gammaln(n - y_arr + 1)
    )
    successes = np.where(y_arr > 0, y_arr * special.log_ndtr(eta_arr), 0.0)
    failures = np.where(n - y_arr > 0, (n - y_arr) * special.log_ndtr(-eta_arr), 0.0)
    return log_choose + successes + failures


def expand_binomial_rows(
    y: ArrayLike, trials: ArrayLike
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Expand binomial rows into Bernoulli rows, one per trial.

    Row i with yᵢ successes of nᵢ trials becomes nᵢ rows: yᵢ ones, then nᵢ − yᵢ zeros.

    Parameters
    ----------
    y
        Successes per row.
    trials
        Trials per row (positive integers).

    Returns
    -------
    row_index, y01
        For each Bernoulli row, the binomial row it comes from and its 0/1 outcome.

    Examples
    --------
    >>> rows, y01 = expand_binomial_rows([1, 0], [2, 1])
    >>> rows.tolist(), y01.tolist()
    ([0, 0, 1], [1, 0, 0])
    """
    get_family(_TRIALS_FAMILY).validate_response(y, trials=trials)
    successes = np.asarray(y, dtype=float).astype(np.int64)
    n = np.asarray(trials, dtype=float).astype(np.int64)
    row_index = np.repeat(np.arange(n.size, dtype=np.int64), n)
    first_of_row = np.repeat(np.cumsum(n) - n, n)
    position = np.arange(row_index.size, dtype=np.int64) - first_of_row
    y01 = (position < np.repeat(successes, n)).astype(np.int64)
    return row_index, y01
