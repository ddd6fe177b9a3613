"""Reference values computed independently of bayesml (numpy/scipy only).

Nothing here imports bayesml: the references must not share code with what they check.

* :func:`binomial_mle`: maximum likelihood of a binomial GLM by IRLS (logit, probit, cloglog).
* :func:`grid_posterior_2d`: posterior mean and SD of a two-parameter model by quadrature on a grid
  aligned with the Laplace approximation.
* :func:`normal_mean_posterior`: posterior moments of (μ, σ) of ``y ~ N(μ, σ²)`` with
  μ ~ N(m0, s0²), σ ~ half-normal(τ): μ integrated out in closed form, σ by adaptive quadrature.
* :func:`sigma_known_mean_posterior`: the exact (conjugate) posterior of σ when the mean is known and
  σ² ~ scaled-inv-χ²(ν, s²).
* :func:`separation_slope_quantiles`: posterior quantiles of the slope of a logistic regression
  with Gelman et al.'s (2008) Cauchy priors on scaled inputs, by quadrature.
* :func:`lmm_reml`: REML fit of a Gaussian linear mixed model with one correlated random block
  (dense matrices; small data only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, special, stats

# -- binomial GLM by IRLS -----------------------------------------------------------------

# link name -> (inverse link μ(η), derivative dμ/dη)
INVERSE_LINKS: dict[str, tuple[Callable, Callable]] = {
    "logit": (special.expit, lambda eta: special.expit(eta) * special.expit(-eta)),
    "probit": (special.ndtr, stats.norm.pdf),
    "cloglog": (lambda eta: -np.expm1(-np.exp(eta)), lambda eta: np.exp(eta - np.exp(eta))),
}


def binomial_loglik(
    beta: np.ndarray, X: np.ndarray, y: np.ndarray, n: np.ndarray, link: str
) -> np.ndarray:
    """Binomial log-likelihood (without the constant) at ``beta`` of shape ``(..., p)``."""
    inverse, _ = INVERSE_LINKS[link]
    mu = np.clip(inverse(beta @ X.T), 1e-300, 1.0 - 1e-16)
    return (y * np.log(mu) + (n - y) * np.log1p(-mu)).sum(axis=-1)


def binomial_mle(
    X: np.ndarray, y: np.ndarray, n: np.ndarray, link: str, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Maximum likelihood estimate and its inverse Fisher information, by IRLS to 1e-12."""
    inverse, derivative = INVERSE_LINKS[link]
    beta = np.asarray(start, dtype=float)
    for _ in range(200):
        eta = X @ beta
        mu, dmu = inverse(eta), derivative(eta)
        weight = n * dmu**2 / (mu * (1.0 - mu))
        working = eta + (y / n - mu) / dmu
        information = X.T @ (weight[:, None] * X)
        new = np.linalg.solve(information, X.T @ (weight * working))
        converged = np.max(np.abs(new - beta)) < 1e-12
        beta = new
        if converged:
            break
    else:
        raise RuntimeError("IRLS did not converge")
    eta = X @ beta
    mu, dmu = inverse(eta), derivative(eta)
    weight = n * dmu**2 / (mu * (1.0 - mu))
    return beta, np.linalg.inv(X.T @ (weight[:, None] * X))


def grid_posterior_2d(
    log_density: Callable[[np.ndarray], np.ndarray],
    centre: np.ndarray,
    cov: np.ndarray,
    *,
    half_width: float = 9.0,
    points: int = 601,
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and SD of a 2-D density by a midpoint grid of ±``half_width`` Laplace SDs.

    The grid is laid out along the Cholesky factor of ``cov``, so strongly correlated
    parameters (the beetles' intercept and slope, correlation −0.999) are covered evenly.
    """
    factor = np.linalg.cholesky(cov)
    t = np.linspace(-half_width, half_width, points)
    grid = np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1) @ factor.T + centre
    log_values = log_density(grid)
    weights = np.exp(log_values - log_values.max())
    weights /= weights.sum()
    mean = np.einsum("ij,ijk->k", weights, grid)
    sd = np.sqrt(np.einsum("ij,ijk->k", weights, (grid - mean) ** 2))
    return mean, sd


def grid_medians_2d(
    log_density: Callable[[np.ndarray], np.ndarray],
    centre: np.ndarray,
    cov: np.ndarray,
    *,
    half_width: float = 9.0,
    points: int = 801,
) -> np.ndarray:
    """The marginal posterior medians of a 2-D density, on the grid of :func:`grid_posterior_2d`."""
    factor = np.linalg.cholesky(cov)
    t = np.linspace(-half_width, half_width, points)
    grid = np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1) @ factor.T + centre
    log_values = log_density(grid)
    weights = np.exp(log_values - log_values.max()).ravel()
    weights /= weights.sum()
    medians = []
    for k in range(2):
        values = grid[..., k].ravel()
        order = np.argsort(values)
        medians.append(values[order][np.searchsorted(np.cumsum(weights[order]), 0.5)])
    return np.array(medians)


# -- normal model -------------------------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """Posterior mean and SD of each parameter."""

    mean: dict[str, float]
    sd: dict[str, float]


def normal_mean_posterior(y: np.ndarray, m0: float, s0: float, tau: float) -> Moments:
    """Posterior of y_i ~ N(μ, σ²), μ ~ N(m0, s0²), σ ~ half-normal(τ).

    Given σ, μ is normal with precision 1/s0² + n/σ² and the marginal likelihood of σ is
    σ^−(n−1) exp(−S/2σ²) N(ȳ; m0, s0² + σ²/n), S = Σ(y − ȳ)²; the one remaining integral over σ
    is done by ``scipy.integrate.quad``.
    """
    y = np.asarray(y, dtype=float)
    n, ybar = y.size, y.mean()
    ss = float(((y - ybar) ** 2).sum())

    def log_marginal(sigma):
        return (
            stats.halfnorm.logpdf(sigma, scale=tau)
            - (n - 1) * np.log(sigma)
            - ss / (2 * sigma**2)
            + stats.norm.logpdf(ybar, m0, np.sqrt(s0**2 + sigma**2 / n))
        )

    def conditional_mu(sigma):
        precision = 1 / s0**2 + n / sigma**2
        return (m0 / s0**2 + n * ybar / sigma**2) / precision, 1 / precision

    grid = np.linspace(1e-3, 10 * y.std() + 10 * tau, 20001)
    shift = np.max(log_marginal(grid))
    lower, upper = grid[0], grid[-1]

    def expect(function):
        value, _ = integrate.quad(
            lambda s: function(s) * np.exp(log_marginal(s) - shift),
            lower,
            upper,
            limit=400,
            epsabs=0,
            epsrel=1e-11,
        )
        return value

    norm = expect(lambda s: 1.0)
    mean_sigma = expect(lambda s: s) / norm
    var_sigma = expect(lambda s: s**2) / norm - mean_sigma**2
    mean_mu = expect(lambda s: conditional_mu(s)[0]) / norm
    second_mu = expect(lambda s: conditional_mu(s)[1] + conditional_mu(s)[0] ** 2) / norm
    return Moments(
        mean={"mu": mean_mu, "sigma": mean_sigma},
        sd={"mu": float(np.sqrt(second_mu - mean_mu**2)), "sigma": float(np.sqrt(var_sigma))},
    )


def sigma_known_mean_posterior(residuals: np.ndarray, nu: float, s: float) -> stats.rv_continuous:
    """Exact posterior of σ² when y − μ is known and σ² ~ scaled-inv-χ²(ν, s²).

    σ² | y ~ Inv-Gamma((ν + n)/2, (ν s² + Σ r²)/2) (Gelman et al., BDA3 §2.6).
    """
    r = np.asarray(residuals, dtype=float)
    return stats.invgamma(a=(nu + r.size) / 2, scale=(nu * s**2 + float(r @ r)) / 2)


# -- logistic regression under complete separation ----------------------------------------


def separation_slope_quantiles(
    x: np.ndarray,
    y: np.ndarray,
    probs: tuple[float, ...],
    *,
    slope_scale: float = 2.5,
    intercept_scale: float = 10.0,
) -> np.ndarray:
    """Posterior quantiles of the slope (original scale) of ``y ~ x``, bernoulli logit, with
    Cauchy(0, 2.5) on the coefficient of x̃ = (x − mean)/(2 sd) and Cauchy(0, 10) on the intercept of
    the scaled model.

    The slope b of x̃ is integrated on a log grid (b > 0: under separation in the positive
    direction a negative slope has negligible posterior mass); the intercept a by a midpoint rule
    in the coordinates of its prior CDF, where the prior is uniform.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    scale = 2 * x.std(ddof=1)
    x_scaled = (x - x.mean()) / scale
    sign = 2 * y - 1
    log_b = np.linspace(np.log(1e-3), np.log(1e8), 800)
    b = np.exp(log_b)
    v = (np.arange(1500) + 0.5) / 1500
    a = intercept_scale * np.tan(np.pi * (v - 0.5))
    loglik = np.zeros((b.size, a.size))
    for xi, si in zip(x_scaled, sign, strict=True):
        loglik += special.log_expit(si * (a[None, :] + b[:, None] * xi))
    density = np.exp(loglik).mean(axis=1) * stats.cauchy.pdf(b, scale=slope_scale) * b
    cdf = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(log_b))])
    cdf /= cdf[-1]
    return np.exp(np.interp(probs, cdf, log_b)) / scale


# -- Gaussian linear mixed model by REML ----------------------------------------------------


@dataclass(frozen=True)
class LmmFit:
    """REML estimates: fixed effects, random-effect SDs and correlation, residual SD."""

    beta: np.ndarray
    sd: np.ndarray
    corr: float
    sigma: float


def lmm_reml(y: np.ndarray, X: np.ndarray, T: np.ndarray, groups: np.ndarray) -> LmmFit:
    """REML fit of y = Xβ + Σ_k T[:, k] u[g, k] + e, u_g ~ N(0, Σ) (2 × 2), e ~ N(0, σ²).

    Profiled REML criterion in the relative Cholesky factor Λ (Σ = σ² Λ Λᵀ), as lme4:
    with V = I + Z (I ⊗ ΛΛᵀ) Zᵀ the criterion is log|V| + log|Xᵀ V⁻¹ X| + (n − p) log(rᵀ V⁻¹ r).
    V is block diagonal by group; each block is inverted with the Woodbury identity through the
    2 × 2 matrices M_g = I + Λᵀ T_gᵀ T_g Λ (log|V| = Σ log|M_g|).
    """
    y, X, T = (np.asarray(a, dtype=float) for a in (y, X, T))
    _, index = np.unique(groups, return_inverse=True)
    n, p = X.shape
    one_hot = np.eye(index.max() + 1)[index]  # n × groups
    TtT = np.einsum("ng,nk,nl->gkl", one_hot, T, T)
    TtX = np.einsum("ng,nk,np->gkp", one_hot, T, X)
    Tty = np.einsum("ng,nk,n->gk", one_hot, T, y)
    XtX, Xty, yty = X.T @ X, X.T @ y, float(y @ y)

    def parts(theta):
        lam = np.array([[theta[0], 0.0], [theta[1], theta[2]]])
        M = np.eye(2) + lam.T @ TtT @ lam
        A = lam.T @ TtX  # groups × 2 × p
        b = np.einsum("kl,gk->gl", lam, Tty)  # Λᵀ T_gᵀ y
        Minv_A, Minv_b = np.linalg.solve(M, A), np.linalg.solve(M, b[..., None])[..., 0]
        XVX = XtX - np.einsum("gkp,gkq->pq", A, Minv_A)
        XVy = Xty - np.einsum("gkp,gk->p", A, Minv_b)
        yVy = yty - np.einsum("gk,gk->", b, Minv_b)
        beta = np.linalg.solve(XVX, XVy)
        rss = yVy - beta @ XVy
        criterion = (
            np.linalg.slogdet(M)[1].sum() + np.linalg.slogdet(XVX)[1] + (n - p) * np.log(rss)
        )
        return lam, beta, rss, criterion

    best = optimize.minimize(
        lambda t: parts(t)[3], x0=[1.0, 0.0, 1.0], method="BFGS", options={"gtol": 1e-9}
    )
    lam, beta, rss, _ = parts(best.x)
    sigma2 = rss / (n - p)
    cov = sigma2 * lam @ lam.T
    sd = np.sqrt(np.diag(cov))
    return LmmFit(
        beta=beta, sd=sd, corr=float(cov[0, 1] / (sd[0] * sd[1])), sigma=float(np.sqrt(sigma2))
    )
