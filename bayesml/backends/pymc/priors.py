"""PyMC random variables for bayesml's priors; every function runs inside a ``pm.Model`` context.

* :func:`positive_variable`: an SD or auxiliary parameter with an SD/aux prior. Priors on σ²
  (``scaled_inv_chi2``, ``inverse_gamma``) are written as distributions of σ itself, with the
  density log p(σ) = log p_σ²(σ²) + log 2σ, so the posterior variable is the SD.
* :func:`unit_interval_variable`: a probability (``zi``, ``hu``) with a ``beta`` prior.
* :func:`sd_scalars`: the SDs of one group's terms as one scalar variable per term (a leaner graph
  for numba than a vector), stacked as ``sd_<group>``.
* :func:`coefficient_scalars`: one scalar variable per coefficient on its sampled scale (the
  priors of :func:`bayesml.priors.sampled_coefficient_priors`, re-exported here), with
  :func:`original_scale_coefficients` for ``beta``.
* :func:`covariance_factor`: a square root L of a group's covariance Σ = L Lᵀ (LKJ with separate
  SDs, or inverse-Wishart by the Bartlett decomposition), with ``sd_<group>`` and ``corr_<group>``.

Helper variables are named with a leading ``_``; the results layer hides them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.shape_utils import rv_size_is_none
from pytensor.tensor.linalg import solve_triangular

from bayesml.priors import (
    Prior,
    WeaklyInformativeScaling,
    sampled_coefficient_priors,
    sqrt_inverse_gamma_logpdf,
)

__all__ = [
    "POSITIVE_BUILDERS",
    "UNIT_INTERVAL_BUILDERS",
    "COV_BUILDERS",
    "SCALAR_COEFFICIENT_BUILDERS",
    "coefficient_scalars",
    "covariance_factor",
    "covariance_factor_entries",
    "VECTOR_DISTRIBUTIONS",
    "ordered_variable",
    "original_scale_coefficients",
    "real_vector_variable",
    "positive_variable",
    "sampled_coefficient_priors",
    "sd_scalars",
    "sqrt_inverse_gamma_logp",
    "unit_interval_variable",
]

INTERCEPT_LABEL = "Intercept"


def _f(value) -> np.ndarray:
    """A float64 array (PyTensor would store a plain Python float as float32 when exact)."""
    return np.asarray(value, dtype="float64")


# -- positive parameters -----------------------------------------------------------------


def sqrt_inverse_gamma_logp(value, alpha, beta):
    """log p(σ) when σ² ~ InvGamma(α, β): log p_σ²(σ²) + log 2σ (−inf for σ ≤ 0)."""
    logp = sqrt_inverse_gamma_logpdf(value, alpha, beta, log=pt.log, gammaln=pt.gammaln)
    return pt.switch(pt.gt(value, 0.0), logp, -np.inf)


def _sqrt_inverse_gamma_dist(alpha, beta, size):
    return pt.sqrt(pm.InverseGamma.dist(alpha=alpha, beta=beta, size=size))


def _sqrt_inverse_gamma_support_point(rv, size, alpha, beta):
    """The square root of the mode β/(α + 1) of σ² (finite for every α > 0)."""
    point = pt.sqrt(beta / (alpha + 1.0))
    return point if rv.ndim == 0 else pt.full(rv.shape, point)


def _sqrt_inverse_gamma(name: str, alpha, beta, kwargs: dict):
    return pm.CustomDist(
        name,
        _f(alpha),
        _f(beta),
        dist=_sqrt_inverse_gamma_dist,
        logp=sqrt_inverse_gamma_logp,
        support_point=_sqrt_inverse_gamma_support_point,
        default_transform=pm.distributions.transforms.log,
        **kwargs,
    )


def _scaled_inv_chi2(name: str, prior: Prior, kwargs: dict):
    nu, s = prior["nu"], prior["s"]
    return _sqrt_inverse_gamma(name, nu / 2.0, nu * s**2 / 2.0, kwargs)


PositiveBuilder = Callable[[str, Prior, dict], pt.TensorVariable]

#: distribution name -> builder of a positive random variable (name, prior, dims/shape kwargs)
POSITIVE_BUILDERS: Mapping[str, PositiveBuilder] = {
    "half_normal": lambda name, p, kw: pm.HalfNormal(name, sigma=_f(p["sigma"]), **kw),
    "half_cauchy": lambda name, p, kw: pm.HalfCauchy(name, beta=_f(p["sigma"]), **kw),
    "half_t": lambda name, p, kw: pm.HalfStudentT(name, nu=_f(p["nu"]), sigma=_f(p["sigma"]), **kw),
    "exponential": lambda name, p, kw: pm.Exponential(name, lam=_f(p["rate"]), **kw),
    "uniform": lambda name, p, kw: pm.Uniform(name, lower=_f(0.0), upper=_f(p["upper"]), **kw),
    "gamma": lambda name, p, kw: pm.Gamma(name, alpha=_f(p["alpha"]), beta=_f(p["beta"]), **kw),
    "inverse_gamma": lambda name, p, kw: _sqrt_inverse_gamma(name, p["alpha"], p["beta"], kw),
    "scaled_inv_chi2": _scaled_inv_chi2,
}


def positive_variable(
    name: str,
    prior: Prior,
    *,
    dims: str | Sequence[str] | None = None,
    shape: int | Sequence[int] | None = None,
) -> pt.TensorVariable:
    """A random variable for a positive parameter (an SD, ``sigma``, ``nu``, ``alpha``, ``kappa``).

    Parameters
    ----------
    name
        Variable name in the model.
    prior
        An SD or auxiliary prior (``half_normal``, ``half_cauchy``, ``half_t``, ``exponential``,
        ``uniform``, ``gamma``, or on σ²: ``scaled_inv_chi2``, ``inverse_gamma``).
    dims, shape
        Passed to PyMC.

    Returns
    -------
    TensorVariable
        The variable on the scale of the parameter (σ, not σ², for the priors on σ²).
    """
    builder = POSITIVE_BUILDERS.get(prior.dist)
    if builder is None:
        raise ValueError(
            f"{prior} is not a prior for a positive parameter; "
            f"expected one of {', '.join(POSITIVE_BUILDERS)}"
        )
    kwargs = {key: value for key, value in (("dims", dims), ("shape", shape)) if value is not None}
    return builder(name, prior, kwargs)


#: distribution name -> builder of a random variable on the unit interval (name, prior)
UNIT_INTERVAL_BUILDERS: Mapping[str, Callable[[str, Prior], pt.TensorVariable]] = {
    "beta": lambda name, p: pm.Beta(name, alpha=_f(p["alpha"]), beta=_f(p["beta"])),
}


def unit_interval_variable(name: str, prior: Prior) -> pt.TensorVariable:
    """A random variable for a probability (``zi``, ``hu``) with its prior (``beta``), sampled
    on the logit scale (PyMC's default transform of ``pm.Beta``)."""
    builder = UNIT_INTERVAL_BUILDERS.get(prior.dist)
    if builder is None:
        raise ValueError(
            f"{prior} is not a prior for a probability; expected one of "
            f"{', '.join(UNIT_INTERVAL_BUILDERS)}"
        )
    return builder(name, prior)


# -- vectors of thresholds -----------------------------------------------------------------

#: distribution name -> (PyMC distribution, the prior's parameters in the order it takes them)
VECTOR_DISTRIBUTIONS: Mapping[str, tuple[type, tuple[str, ...]]] = {
    "normal": (pm.Normal, ("mu", "sigma")),
    "student_t": (pm.StudentT, ("nu", "mu", "sigma")),
    "cauchy": (pm.Cauchy, ("alpha", "beta")),
}
_PYMC_NAMES = {"cauchy": {"alpha": "mu", "beta": "sigma"}}


def _vector_parts(name: str, prior: Prior) -> tuple[type, dict[str, np.ndarray]]:
    """The PyMC distribution of each entry and its parameters from ``prior``."""
    entry = VECTOR_DISTRIBUTIONS.get(prior.dist)
    if entry is None:
        raise ValueError(
            f"{prior} is not a prior for the entries of {name!r}; expected one of "
            f"{', '.join(VECTOR_DISTRIBUTIONS)}"
        )
    distribution, keys = entry
    renamed = _PYMC_NAMES.get(prior.dist, {})
    return distribution, {key: _f(prior[renamed.get(key, key)]) for key in keys}


def real_vector_variable(name: str, prior: Prior, *, dims: str) -> pt.TensorVariable:
    """A vector on dimension ``dims`` whose entries are independent under ``prior`` (normal,
    student_t or cauchy): the thresholds of the sratio and acat families."""
    distribution, params = _vector_parts(name, prior)
    return distribution(name, **params, dims=dims)


def ordered_variable(name: str, prior: Prior, *, dims: str) -> pt.TensorVariable:
    """An increasing vector θ₁ < … < θ_m on dimension ``dims``: m independent draws of ``prior``
    (normal, student_t or cauchy) put in increasing order, the thresholds of the cumulative family.

    Its density is m! Π p(θ_k) on the increasing vectors (the order statistics of the m draws),
    its forward draws are the sorted draws, and NUTS moves on PyMC's ``ordered`` transform
    (θ₁, log(θ₂ − θ₁), …). It starts at μ + σ·(−1, …, 1), evenly spread.
    """
    distribution, params = _vector_parts(name, prior)
    size = len(pm.modelcontext(None).coords[dims])
    keys = tuple(params)

    def entries(*values, size=None):
        return distribution.dist(**dict(zip(keys, values, strict=True)), size=size)

    def draw(*values_and_size):
        *values, batch = values_and_size
        shape = (size,) if rv_size_is_none(batch) else pt.concatenate([batch, [size]])
        return pt.sort(entries(*values, size=shape), axis=-1)

    def logp(value, *values):
        order = pt.gammaln(pt.cast(value.shape[-1], "float64") + 1.0)
        return pt.sum(pm.logp(entries(*values), value), axis=-1) + order

    def start(rv, batch, *values):
        named = dict(zip(keys, values, strict=True))
        location, scale = named.get("mu", named.get("alpha")), named.get("sigma", named.get("beta"))
        return location + scale * pt.linspace(-1.0, 1.0, rv.shape[-1])

    return pm.CustomDist(
        name,
        *params.values(),
        dist=draw,
        logp=logp,
        support_point=start,
        signature=f"{','.join('()' for _ in keys)}->(m)",
        dims=dims,
        default_transform=pm.distributions.transforms.ordered,
    )


def _helper_name(name: str, suffix: object) -> str:
    """``_<name>_<suffix>``, with a single leading underscore."""
    return f"_{name.lstrip('_')}_{suffix}"


def sd_scalars(name: str, priors: Sequence[Prior], *, dims: str | None) -> list[pt.TensorVariable]:
    """The SDs of one group's terms as one scalar variable per term, and their vector ``name``.

    Adds ``_<name>_<k>`` (term k's SD, with its prior) and the Deterministic ``name`` that stacks
    them. Scalars keep the log density and its gradient elementwise, which numba compiles and runs
    faster than a vector's (no indexing into it, no scatter of the gradient).

    Parameters
    ----------
    name
        ``sd_<group>``.
    priors
        Prior of each term's SD, in the order of the terms.
    dims
        The terms dimension (``<group>__term``).

    Returns
    -------
    list of TensorVariable
        The scalar SDs, in the order of the terms.
    """
    priors = list(priors)
    if not priors:
        raise ValueError(f"{name}: a group needs at least one term")
    scalars = [positive_variable(_helper_name(name, k), prior) for k, prior in enumerate(priors)]
    pm.Deterministic(name, pt.stack(scalars), dims=dims)
    return scalars


# -- coefficients ------------------------------------------------------------------------


ScalarCoefficientBuilder = Callable[[str, Prior], pt.TensorVariable]

#: distribution name -> builder of one scalar coefficient with that prior
SCALAR_COEFFICIENT_BUILDERS: Mapping[str, ScalarCoefficientBuilder] = {
    "flat": lambda name, p: pm.Flat(name),
    "normal": lambda name, p: pm.Normal(name, mu=_f(p["mu"]), sigma=_f(p["sigma"])),
    "student_t": lambda name, p: pm.StudentT(
        name, nu=_f(p["nu"]), mu=_f(p["mu"]), sigma=_f(p["sigma"])
    ),
    "cauchy": lambda name, p: pm.Deterministic(
        name,
        _f(p["mu"])
        + _f(p["sigma"]) * pt.tan(np.pi * (pm.Uniform(f"{name}_uniform", 0.0, 1.0) - 0.5)),
    ),
}


def coefficient_scalars(
    sampled_priors: Sequence[Prior], *, scaled: bool = False, name: str = "beta"
) -> list[pt.TensorVariable]:
    """The fixed-effect coefficients as one scalar variable each, on the scale they are sampled.

    Adds ``_<name>_<j>`` for column j (``_<name>_scaled_<j>`` when ``scaled``: the coefficient of
    the scaled input), Cauchy ones as μ + σ·tan(π(v − ½)) with v ~ Uniform(0, 1)
    (``_<name>_<j>_uniform``). The caller adds ``beta`` on the original scale
    (:func:`original_scale_coefficients`).

    The Cauchy construction is the same distribution as ``pm.Cauchy``, but NUTS moves on
    logit(v), where the Cauchy's heavy tails become light ones; sampled directly, the tails of a
    posterior whose likelihood is flat in one direction (complete separation under the weakly
    informative prior) make a third of the transitions diverge.

    Parameters
    ----------
    sampled_priors
        The prior of each coefficient on its sampled scale, in the order of the columns
        (:func:`bayesml.priors.sampled_coefficient_priors` or
        :func:`bayesml.priors.sampled_fixed_effects`).
    scaled
        Whether they are the coefficients of the scaled inputs of the weakly informative prior.
    name
        Name of the coefficient vector the caller adds.

    Returns
    -------
    list of TensorVariable
        One scalar per column, in the order of ``sampled_priors``.
    """
    prefix = f"_{name}_scaled" if scaled else f"_{name}"
    scalars = []
    for index, prior in enumerate(sampled_priors):
        builder = SCALAR_COEFFICIENT_BUILDERS.get(prior.dist)
        if builder is None:
            raise ValueError(f"{prior.dist} is not a coefficient prior")
        scalars.append(builder(f"{prefix}_{index}", prior))
    return scalars


def original_scale_coefficients(
    sampled: pt.TensorVariable,
    column_names: Sequence[str],
    scaling: WeaklyInformativeScaling | None,
) -> pt.TensorVariable:
    """β on the original scale from the sampled coefficient vector (itself without ``scaling``)."""
    if scaling is None:
        return sampled
    labels = list(column_names)
    rest = [labels.index(label) for label in scaling.column_names]
    beta_rest, intercept = scaling.to_original(
        sampled[rest], sampled[labels.index(INTERCEPT_LABEL)] if scaling.has_intercept else None
    )
    values = pt.set_subtensor(pt.zeros(len(labels), dtype="float64")[rest], beta_rest)
    if intercept is not None:
        values = pt.set_subtensor(values[labels.index(INTERCEPT_LABEL)], intercept)
    return values


# -- covariance of correlated terms ------------------------------------------------------


def _ensure_coords(labels: Sequence[str], dims: Sequence[str]) -> None:
    model = pm.modelcontext(None)
    for dim in dims:
        if dim not in model.coords:
            model.add_coord(dim, list(labels))


Entries = list[list[pt.TensorVariable | None]]
"""A K × K matrix entry by entry; ``None`` where it is zero by construction."""


def _matrix_entries(matrix: pt.TensorVariable, size: int) -> Entries:
    return [[matrix[k, j] for j in range(size)] for k in range(size)]


def _lkj_factor(group, labels, prior, sd_priors, dims) -> Entries:
    """L = diag(sd) · chol(R), R ~ LKJ(η), the SDs with their own priors."""
    if sd_priors is None or len(sd_priors) != len(labels):
        raise ValueError(f"the lkj prior of group {group!r} needs one SD prior per term")
    sd = sd_scalars(f"sd_{group}", sd_priors, dims=dims[0])
    if len(labels) == 2:
        return _lkj_factor_2(group, sd, _f(prior["eta"]), dims)
    chol = pm.LKJCorr(f"_chol_corr_{group}", n=len(labels), eta=_f(prior["eta"]))
    pm.Deterministic(f"corr_{group}", chol @ chol.T, dims=dims)
    return _matrix_entries(pt.stack(sd)[:, None] * chol, len(labels))


def _lkj_factor_2(group, sd, eta, dims) -> Entries:
    """Two terms: the LKJ(η) correlation is ρ = 2B − 1 with B ~ Beta(η, η) (its density is
    ∝ (1 − ρ²)^(η−1)), and chol(R) = [[1, 0], [ρ, √(1 − ρ²)]] — the same prior as ``pm.LKJCorr``
    with an elementwise graph that numba compiles in a fraction of the time."""
    rho = 2.0 * pm.Beta(f"_corr_{group}_beta", alpha=eta, beta=eta) - 1.0
    # R = I + ρ (J − I), elementwise (cheaper for numba than stacking the entries)
    pm.Deterministic(f"corr_{group}", _f(np.eye(2)) + rho * _f(1.0 - np.eye(2)), dims=dims)
    complement = pt.sqrt(1.0 - rho**2)
    return [[sd[0], None], [sd[1] * rho, sd[1] * complement]]


def _scale_matrix(scale, size: int) -> np.ndarray:
    if isinstance(scale, tuple):
        return np.array(scale, dtype="float64")
    return float(scale) * np.eye(size)


def _inverse_wishart_factor(group, labels, prior, sd_priors, dims):
    """A square root L = C A⁻ᵀ of Σ ~ IW(ν, S), S = C Cᵀ, by the Bartlett decomposition.

    A is lower triangular with A_ii = sqrt(c_i), c_i ~ χ²(ν − i + 1) (i = 1..p), and
    A_ij ~ N(0, 1) below the diagonal, so A Aᵀ ~ Wishart(ν, I). Then
    W = C⁻ᵀ A Aᵀ C⁻¹ ~ Wishart(ν, S⁻¹) and Σ = W⁻¹ = C A⁻ᵀ A⁻¹ Cᵀ = L Lᵀ ~ IW(ν, S).
    """
    p = len(labels)
    nu = float(prior["nu"])
    chol_scale = np.linalg.cholesky(_scale_matrix(prior["scale"], p))
    chi2 = pm.ChiSquared(f"_iw_chi2_{group}", nu=_f(nu - np.arange(p)), shape=p)
    bartlett = pt.zeros((p, p), dtype="float64")
    bartlett = pt.set_subtensor(bartlett[np.diag_indices(p)], pt.sqrt(chi2))
    if p > 1:
        below = pm.Normal(f"_iw_normal_{group}", 0.0, 1.0, shape=p * (p - 1) // 2)
        bartlett = pt.set_subtensor(bartlett[np.tril_indices(p, -1)], below)
    # L Aᵀ = C  <=>  A Lᵀ = Cᵀ
    factor = solve_triangular(bartlett, _f(chol_scale.T), lower=True).T
    cov = factor @ factor.T
    sd = pt.sqrt(pt.diagonal(cov))
    pm.Deterministic(f"sd_{group}", sd, dims=dims[0])
    pm.Deterministic(f"corr_{group}", cov / (sd[:, None] * sd[None, :]), dims=dims)
    return _matrix_entries(factor, p)


#: covariance prior name -> builder of the factor L's entries (group, labels, prior, sd_priors,
#: dims)
COV_BUILDERS: Mapping[str, Callable] = {
    "lkj": _lkj_factor,
    "inverse_wishart": _inverse_wishart_factor,
}


def covariance_factor(
    group: str,
    term_labels: Sequence[str],
    *,
    cov_prior: Prior,
    sd_priors: Sequence[Prior] | None = None,
    dims: tuple[str, str] | None = None,
) -> pt.TensorVariable:
    """A K × K square root L of the covariance Σ = L Lᵀ of a group's correlated terms.

    Adds the Deterministics ``sd_<group>`` (dims ``<group>__term``) and ``corr_<group>`` (dims
    ``<group>__term``, ``<group>__term_bis``); the dims are added to the model's coords (with the
    term labels) when missing.

    Parameters
    ----------
    group
        Grouping factor name.
    term_labels
        Labels of its K terms.
    cov_prior
        ``lkj(eta)`` or ``inverse_wishart(nu, scale)``.
    sd_priors
        Prior of each term's SD (``lkj`` only; ignored by ``inverse_wishart``, whose SDs follow
        from Σ).
    dims
        Names of the term and second term dimensions; default ``(<group>__term,
        <group>__term_bis)``.

    Returns
    -------
    TensorVariable
        L; random effects u = z Lᵀ with z ~ N(0, I) have covariance Σ. For ``lkj`` it is the
        lower-triangular Cholesky factor; for ``inverse_wishart`` it is C A⁻ᵀ (not triangular).
    """
    entries = covariance_factor_entries(
        group, term_labels, cov_prior=cov_prior, sd_priors=sd_priors, dims=dims
    )
    zero = pt.constant(0.0, dtype="float64")
    return pt.stack(
        [pt.stack([zero if entry is None else entry for entry in row]) for row in entries]
    )


def covariance_factor_entries(
    group: str,
    term_labels: Sequence[str],
    *,
    cov_prior: Prior,
    sd_priors: Sequence[Prior] | None = None,
    dims: tuple[str, str] | None = None,
) -> Entries:
    """The entries L[k][j] of :func:`covariance_factor`'s L, ``None`` where L is zero by construction.

    The model builder writes u_k = Σ_j L[k][j] z_j from them: entry by entry, the graph needs no
    matrix (whose indexing and gradient numba compiles slowly) where L is built from scalars, as
    for two terms under ``lkj``. Same parameters and side effects as :func:`covariance_factor`.
    """
    labels = list(term_labels)
    dims = dims or (f"{group}__term", f"{group}__term_bis")
    builder = COV_BUILDERS.get(cov_prior.dist)
    if builder is None:
        raise ValueError(f"{cov_prior} is not a covariance prior; expected lkj or inverse_wishart")
    _ensure_coords(labels, dims)
    return builder(group, labels, cov_prior, sd_priors, dims)
