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

from bayesml.backends.hlik.problem import HlikProblem, LambdaBlock
from bayesml.backends.seam import supports_family, unsupported_family_message
from bayesml.errors import FamilyError
from bayesml.families import Family

__all__ = ["DataRows", "MEAN_FAMILIES", "RandomRows", "check_mean_family"]

DESCRIPTION = "h-likelihood, R's hglm"

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
    if not supports_family(MEAN_FAMILIES, family):
        raise FamilyError(
            unsupported_family_message(
                "hlik", DESCRIPTION, MEAN_FAMILIES, family, ["Model.sample(method='nuts')"]
            )
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
        return self.family.weighted_deviance(self.y, mu, self.prior_weights)

    def deviance_residuals(self, mu: np.ndarray) -> np.ndarray:
        """sign(y − μ)·√(w·d)."""
        return np.sign(self.y - mu) * np.sqrt(self.deviances(mu))

    def log_likelihood(self, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
        """log f(y | v) per row, with dispersion φ (fixed 1 for binomial and Poisson).

        The family's log-likelihood at its parameters for φ; binomial rows are successes out of
        their trials, other rows carry their prior weights (precision w/φ).
        """
        params = self.family.dispersion_parameters(phi)
        if self.trials is not None:
            successes = np.round(self.y * self.trials)
            return self.family.log_likelihood(successes, mu, trials=self.trials)
        return self.family.log_likelihood(self.y, mu, params, weights=self.prior_weights)


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
