"""The two kinds of rows of the augmented GLM: data rows (mean family) and random rows.

:class:`DataRows` evaluates, for the response family and its link, the means, IWLS weights and
working responses, deviance components and conditional log-likelihood of the data rows.
:class:`RandomRows` does the same for the q random rows, each λ-block with its own random family.
The response is kept on the mean scale (proportions for the binomial, with the trials in the
prior weights), as R's ``glm`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from bayesml.backends.hlik.problem import HlikProblem, LambdaBlock
from bayesml.errors import FamilyError
from bayesml.families import Family, get_family

__all__ = ["DataRows", "MEAN_FAMILIES", "RandomRows", "check_mean_family"]

#: the response families (and their links) the h-likelihood backend fits
MEAN_FAMILIES: dict[str, tuple[str, ...]] = {
    "gaussian": ("identity",),
    "bernoulli": ("logit", "probit", "cloglog"),
    "binomial": ("logit", "probit", "cloglog"),
    "poisson": ("log",),
    "gamma": ("log", "inverse"),
}


def check_mean_family(family: Family) -> None:
    """Refuse a family/link the backend does not fit, listing the supported combinations.

    Raises
    ------
    FamilyError
    """
    if family.link.name not in MEAN_FAMILIES.get(family.name, ()):
        supported = [f"{name}({link})" for name, links in MEAN_FAMILIES.items() for link in links]
        raise FamilyError(
            f"the h-likelihood backend does not fit family {family.name!r} with link "
            f"{family.link.name!r}; supported families (link): {supported}"
        )


@dataclass(frozen=True, eq=False)
class DataRows:
    """The data rows: response on the mean scale, prior weights, family and offsets."""

    y: np.ndarray
    prior_weights: np.ndarray
    family: Family
    offset: np.ndarray
    trials: np.ndarray | None = None

    @classmethod
    def of(cls, problem: HlikProblem) -> DataRows:
        """The data rows of ``problem``."""
        return cls(problem.y, problem.prior_weights, problem.family, problem.offset, problem.trials)

    @property
    def _deviance_family(self) -> Family:
        # the binomial deviance of a proportion with weight n equals the bernoulli formula times n
        if self.family.name == "binomial":
            return get_family("bernoulli", self.family.link.name)
        return self.family

    def mean(self, eta: np.ndarray) -> np.ndarray:
        """μ = g⁻¹(η)."""
        return self.family.link.inverse(eta)

    def weights(self, eta: np.ndarray, phi: np.ndarray) -> np.ndarray:
        """IWLS weights W1 = w (dμ/dη)² / (V(μ) φ)."""
        mu = self.mean(eta)
        dmu = self.family.link.dmu_deta(eta)
        return self.prior_weights * dmu**2 / (self.family.variance(mu) * phi)

    def working_response(self, eta: np.ndarray) -> np.ndarray:
        """z1 = η − offset + (y − μ) dη/dμ."""
        mu = self.mean(eta)
        return eta - self.offset + (self.y - mu) / self.family.link.dmu_deta(eta)

    def deviances(self, mu: np.ndarray) -> np.ndarray:
        """Deviance components w·d(y, μ) (R's ``dev.resids`` with prior weights)."""
        unit = self._deviance_family.unit_deviance(self.y, mu)
        return self.prior_weights * np.maximum(unit, 0.0)

    def deviance_residuals(self, mu: np.ndarray) -> np.ndarray:
        """sign(y − μ)·√(w·d)."""
        return np.sign(self.y - mu) * np.sqrt(self.deviances(mu))

    def log_likelihood(self, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
        """log f(y | v) per row, with dispersion φ (fixed 1 for binomial and Poisson)."""
        return _LOG_LIKELIHOODS[self.family.name](self, mu, phi)


def _gaussian_loglik(rows: DataRows, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    variance = phi / rows.prior_weights
    return -0.5 * np.log(2.0 * np.pi * variance) - (rows.y - mu) ** 2 / (2.0 * variance)


def _gamma_loglik(rows: DataRows, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    shape = rows.prior_weights / phi
    y = rows.y
    return shape * np.log(shape * y / mu) - shape * y / mu - np.log(y) - special.gammaln(shape)


def _binomial_loglik(rows: DataRows, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    n = rows.prior_weights
    successes = rows.y * n
    log_choose = (
        special.gammaln(n + 1) - special.gammaln(successes + 1) - special.gammaln(n - successes + 1)
    )
    return log_choose + special.xlogy(successes, mu) + special.xlog1py(n - successes, -mu)


def _poisson_loglik(rows: DataRows, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    y = rows.y
    return special.xlogy(y, mu) - mu - special.gammaln(y + 1)


_LOG_LIKELIHOODS = {
    "gaussian": _gaussian_loglik,
    "gamma": _gamma_loglik,
    "bernoulli": _binomial_loglik,
    "binomial": _binomial_loglik,
    "poisson": _poisson_loglik,
}


@dataclass(frozen=True, eq=False)
class RandomRows:
    """The q random rows: per λ-block random family, ψ and the maths of u(v)."""

    blocks: tuple[LambdaBlock, ...]
    size: int

    @classmethod
    def of(cls, problem: HlikProblem) -> RandomRows:
        """The random rows of ``problem``."""
        return cls(tuple(problem.lambda_blocks()), problem.n_random)

    def _apply(self, method: str, values: np.ndarray) -> np.ndarray:
        out = np.empty(self.size)
        for block in self.blocks:
            out[block.columns] = getattr(block.family, method)(values[block.columns])
        return out

    @property
    def psi(self) -> np.ndarray:
        """ψ of every random row."""
        out = np.empty(self.size)
        for block in self.blocks:
            out[block.columns] = block.family.psi
        return out

    def start(self) -> np.ndarray:
        """v(ψ): the random effects at their mean."""
        return self._apply("v_of_u", self.psi)

    def u(self, v: np.ndarray) -> np.ndarray:
        """u(v)."""
        return self._apply("u_of_v", v)

    def weights(self, v: np.ndarray, lam: np.ndarray) -> np.ndarray:
        """IWLS weights W2 = (du/dv)² / (V(u) λ)."""
        return self._apply("du_dv", v) ** 2 / (self._apply("variance", self.u(v)) * lam)

    def working_response(self, v: np.ndarray) -> np.ndarray:
        """z2 = v + (ψ − u) dv/du."""
        return v + (self.psi - self.u(v)) / self._apply("du_dv", v)

    def deviances(self, v: np.ndarray) -> np.ndarray:
        """Deviance components d(ψ, u)."""
        return np.maximum(self._apply("deviance", self.u(v)), 0.0)

    def log_density(self, v: np.ndarray, lam: np.ndarray) -> np.ndarray:
        """log f(u; λ) + log |du/dv|: the log density of v per random effect."""
        out = np.empty(self.size)
        u = self.u(v)
        for block in self.blocks:
            c = block.columns
            out[c] = block.family.log_density(u[c], lam[c]) + block.family.log_abs_du_dv(v[c])
        return out
