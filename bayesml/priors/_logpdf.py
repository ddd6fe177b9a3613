"""Log densities of the priors in numpy/scipy: :func:`prior_logpdf`.

Every density is on the scale of the parameter bayesml reports, the same convention as the PyMC
backend:

* positive priors: the density of σ (or ν, α, κ); the priors on σ² (``scaled_inv_chi2``,
  ``inverse_gamma``) are turned into densities of σ, log p(σ) = log p_σ²(σ²) + log 2σ;
* ``beta(alpha, beta)``: the density of a probability (``zi``, ``hu``) on (0, 1);
* ``lkj(eta)``: the density of a K × K correlation matrix R, (det R)^(η − 1) / c_K(η) with the
  normalising constant of Lewandowski, Kurowicka and Joe (2009);
* ``inverse_wishart(nu, scale)``: the density of a covariance matrix Σ;
* coefficient priors: ``flat`` is 0 everywhere (improper); ``weakly_informative`` has no density
  of its own (it is Cauchy(0, 2.5) on an input's scaled coefficient, see
  :class:`~bayesml.priors.WeaklyInformativeScaling`).

Values outside the support get ``-inf``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from bayesml.errors import PriorError

__all__ = [
    "LOGPDFS",
    "inverse_wishart_logpdf",
    "lkj_logpdf",
    "prior_logpdf",
    "sqrt_inverse_gamma_logpdf",
]

LogPdf = Callable[[np.ndarray, Mapping], np.ndarray]


class PriorLike(Protocol):
    """What :func:`prior_logpdf` reads of a :class:`~bayesml.priors.Prior`: its distribution name
    and parameters (this module sits below ``_prior``, which calls it, so it does not import it)."""

    @property
    def dist(self) -> str: ...

    @property
    def params(self) -> dict[str, Any]: ...


def _stats():
    """scipy.stats, imported on first use (it is slow to import and most callers never need it)."""
    return importlib.import_module("scipy.stats")


def _positive(values: np.ndarray, logpdf: np.ndarray) -> np.ndarray:
    """``logpdf`` where the value is positive, -inf elsewhere (no warnings for the rest)."""
    return np.where(values > 0, logpdf, -np.inf)


def sqrt_inverse_gamma_logpdf(
    values: Any,
    alpha: Any,
    beta: Any,
    *,
    log: Callable[[Any], Any] = np.log,
    gammaln: Callable[[Any], Any] = special.gammaln,
) -> Any:
    """log p(σ) = log p_σ²(σ²) + log 2σ when σ² ~ InvGamma(α, β), for σ > 0 (no support check).

    In numpy by default; the PyMC backend passes ``log=pt.log, gammaln=pt.gammaln`` for the same
    density as a PyTensor graph.
    """
    square = values**2
    return (
        alpha * log(beta)
        - gammaln(alpha)
        - (alpha + 1.0) * log(square)
        - beta / square
        + log(2.0 * values)
    )


def _sqrt_inverse_gamma(values: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """log p(σ) when σ² ~ InvGamma(α, β)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logpdf = sqrt_inverse_gamma_logpdf(values, alpha, beta)
    return _positive(values, logpdf)


def _half_t(values: np.ndarray, nu: float, sigma: float) -> np.ndarray:
    return _positive(values, np.log(2.0) + _stats().t.logpdf(values, df=nu, scale=sigma))


def _uniform(values: np.ndarray, params: Mapping) -> np.ndarray:
    upper = float(params["upper"])
    inside = (values > 0) & (values < upper)
    return np.where(inside, -np.log(upper), -np.inf)


def _gamma(values: np.ndarray, params: Mapping) -> np.ndarray:
    with np.errstate(divide="ignore"):
        logpdf = _stats().gamma.logpdf(values, a=params["alpha"], scale=1.0 / params["beta"])
    return _positive(values, logpdf)


def _beta(values: np.ndarray, params: Mapping) -> np.ndarray:
    inside = (values > 0) & (values < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        logpdf = _stats().beta.logpdf(values, params["alpha"], params["beta"])
    return np.where(inside, logpdf, -np.inf)


def lkj_logpdf(corr: ArrayLike, eta: float) -> np.ndarray:
    """Log density of correlation matrices under LKJ(η).

    Parameters
    ----------
    corr
        Correlation matrices, shape ``(..., K, K)``.
    eta
        Shape parameter (1 is uniform over correlation matrices).

    Returns
    -------
    numpy.ndarray
        Shape ``(...)``: (η − 1) log det R − log c_K(η), with
        log c_K(η) = Σ_{k=1}^{K−1} [(2η − 2 + K − k)(K − k) log 2 + (K − k) log B(b_k, b_k)],
        b_k = η + (K − k − 1)/2 (Lewandowski, Kurowicka and Joe 2009, eq. 16).
    """
    corr = np.asarray(corr, dtype=float)
    size = corr.shape[-1]
    sign, logdet = np.linalg.slogdet(corr)
    k = np.arange(1, size)
    b = eta + (size - k - 1) / 2.0
    log_constant = np.sum(
        (2.0 * eta - 2.0 + size - k) * (size - k) * np.log(2.0) + (size - k) * special.betaln(b, b)
    )
    return np.where(sign > 0, (eta - 1.0) * logdet - log_constant, -np.inf)


def _scale_matrix(scale: float | tuple, size: int) -> np.ndarray:
    if isinstance(scale, tuple):
        return np.array(scale, dtype=float)
    return float(scale) * np.eye(size)


def inverse_wishart_logpdf(cov: ArrayLike, nu: float, scale: float | tuple) -> np.ndarray:
    """Log density of covariance matrices under IW(ν, Ψ).

    Parameters
    ----------
    cov
        Covariance matrices, shape ``(..., K, K)``.
    nu
        Degrees of freedom (> K − 1).
    scale
        Ψ: a number s (Ψ = s·I) or a K × K matrix given as nested tuples or lists.

    Returns
    -------
    numpy.ndarray
        Shape ``(...)``: (ν/2) log det Ψ − (νK/2) log 2 − log Γ_K(ν/2) − ((ν + K + 1)/2) log det Σ
        − tr(Ψ Σ⁻¹)/2; -inf where Σ is not positive definite.
    """
    cov = np.asarray(cov, dtype=float)
    size = cov.shape[-1]
    psi = _scale_matrix(scale, size)
    sign, logdet = np.linalg.slogdet(cov)
    _, logdet_psi = np.linalg.slogdet(psi)
    safe = np.where(sign[..., None, None] > 0, cov, np.eye(size))
    trace = np.einsum("ij,...ji->...", psi, np.linalg.inv(safe))
    logpdf = (
        0.5 * nu * logdet_psi
        - 0.5 * nu * size * np.log(2.0)
        - special.multigammaln(0.5 * nu, size)
        - 0.5 * (nu + size + 1.0) * logdet
        - 0.5 * trace
    )
    return np.where(sign > 0, logpdf, -np.inf)


def _weakly_informative(values: np.ndarray, params: Mapping) -> np.ndarray:
    raise PriorError(
        "weakly_informative has no density of its own: it is a Cauchy(0, 2.5) prior on the "
        "coefficient of the scaled input (see WeaklyInformativeScaling); take the density of "
        "that Cauchy on the scaled coefficient"
    )


#: distribution name -> log density function(values, params)
LOGPDFS: MappingProxyType[str, LogPdf] = MappingProxyType(
    {
        "half_normal": lambda v, p: _positive(v, _stats().halfnorm.logpdf(v, scale=p["sigma"])),
        "half_cauchy": lambda v, p: _positive(v, _stats().halfcauchy.logpdf(v, scale=p["sigma"])),
        "half_t": lambda v, p: _half_t(v, p["nu"], p["sigma"]),
        "exponential": lambda v, p: _positive(v, _stats().expon.logpdf(v, scale=1.0 / p["rate"])),
        "uniform": _uniform,
        "gamma": _gamma,
        "scaled_inv_chi2": lambda v, p: _sqrt_inverse_gamma(
            v, p["nu"] / 2.0, p["nu"] * p["s"] ** 2 / 2.0
        ),
        "inverse_gamma": lambda v, p: _sqrt_inverse_gamma(v, p["alpha"], p["beta"]),
        "beta": _beta,
        "lkj": lambda v, p: lkj_logpdf(v, p["eta"]),
        "inverse_wishart": lambda v, p: inverse_wishart_logpdf(v, p["nu"], p["scale"]),
        "flat": lambda v, p: np.zeros(np.shape(v)),
        "normal": lambda v, p: _stats().norm.logpdf(v, loc=p["mu"], scale=p["sigma"]),
        "student_t": lambda v, p: _stats().t.logpdf(v, df=p["nu"], loc=p["mu"], scale=p["sigma"]),
        "cauchy": lambda v, p: _stats().cauchy.logpdf(v, loc=p["mu"], scale=p["sigma"]),
        "weakly_informative": _weakly_informative,
    }
)


def prior_logpdf(prior: PriorLike, value: ArrayLike) -> np.ndarray:
    """Log density of a prior at ``value``, on the scale of the reported parameter.

    Parameters
    ----------
    prior
        A :class:`~bayesml.priors.Prior`.
    value
        Values of the parameter: any shape for scalar parameters (σ for the priors on σ²),
        ``(..., K, K)`` matrices for ``lkj`` (correlation) and ``inverse_wishart`` (covariance).

    Returns
    -------
    numpy.ndarray
        The log density elementwise (per matrix for the matrix priors); ``-inf`` outside the
        support.

    Raises
    ------
    PriorError
        For ``weakly_informative``, which has no density on the original scale.

    Examples
    --------
    >>> from bayesml.priors import Prior
    >>> prior_logpdf(Prior("half_normal", sigma=1), [0.5, -1.0]).round(4)
    array([-0.3508,    -inf])
    >>> prior_logpdf(Prior("lkj", eta=1), [[1.0, 0.3], [0.3, 1.0]]).round(4)  # uniform on (-1, 1)
    np.float64(-0.6931)
    """
    return np.asarray(LOGPDFS[prior.dist](np.asarray(value, dtype=float), prior.params))
