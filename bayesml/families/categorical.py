"""The categorical (multinomial logit) family: an unordered response with K levels.

The first level is the reference category (``reference=`` in the model chooses another, which the
design then puts first), and each other category k has its own linear predictor η_k, so that

    log P(y = k) / P(y = reference) = η_k,    P(y = k) = exp(η_k) / (1 + Σ_j exp(η_j)),

brms' ``categorical()`` and ``nnet::multinom``'s parameterisation. Every coefficient and random
effect has one value per non-reference category (dimension ``<response>__category`` in results).
Here ``mu`` is η itself, with the K − 1 non-reference categories on a trailing axis: shape
``(..., n, K − 1)``; the response is the category number 1, …, K of each row (1 = reference).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from bayesml.families.base import Family

__all__ = ["Categorical", "category_log_probabilities"]

Array = NDArray[np.float64]


def category_log_probabilities(eta: ArrayLike) -> Array:
    """log P(y = k) for k = 1, …, K from the K − 1 linear predictors of the non-reference
    categories (the reference's is 0): shape ``(..., n, K)`` for ``eta`` of shape
    ``(..., n, K − 1)``."""
    eta = np.asarray(eta, dtype=float)
    logits = np.concatenate([np.zeros(eta.shape[:-1] + (1,)), eta], axis=-1)
    return logits - special.logsumexp(logits, axis=-1, keepdims=True)


class Categorical(Family, name="categorical", links=("logit",), response="categorical"):
    """P(y = k) ∝ exp(η_k), η_reference = 0 (the multinomial logit; brms' ``categorical``)."""

    category_predictors = True
    prior_rule = "unit_scale"
    other_links_prior_rule = "unit_scale"

    def mu_from_eta(self, eta: ArrayLike) -> Array:
        """η itself (the K − 1 predictors on the trailing axis): the softmax acts inside the
        likelihood."""
        return np.asarray(eta, dtype=float)

    def dimension_labels(self, levels: Sequence[Any]) -> dict[str, tuple[str, ...]]:
        """``category``: every level as text (the probabilities of :meth:`expected_response`);
        ``predictor``: the non-reference levels (the linear predictors, coefficients and
        effects)."""
        labels = tuple(map(str, levels))
        return {"category": labels, "predictor": labels[1:]}

    def expected_response(self, mu: ArrayLike, params=None) -> Array:
        """The probability of each category, on a trailing axis of length K (they sum to 1)."""
        return np.exp(category_log_probabilities(mu))

    def _log_likelihood(self, y, mu, params, trials, weights):
        log_p = category_log_probabilities(mu)
        index = np.broadcast_to(y.astype(np.int64) - 1, log_p.shape[:-1])[..., None]
        return np.take_along_axis(log_p, index, axis=-1)[..., 0]

    def _draw(self, rng, mu, params, trials, weights):
        cumulative = np.cumsum(np.exp(category_log_probabilities(mu)), axis=-1)
        uniform = rng.random(cumulative.shape[:-1])
        return 1.0 + np.sum(cumulative[..., :-1] < uniform[..., None], axis=-1)
