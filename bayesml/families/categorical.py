"""The categorical (multinomial logit) family: an unordered response with K levels.

The first level is the reference category (``reference=`` in the model chooses another, which the
design then puts first), and each other category k has its own linear predictor η_k, so that

    log P(y = k) / P(y = reference) = η_k,    P(y = k) = exp(η_k) / (1 + Σ_j exp(η_j)),

brms' ``categorical()`` and ``nnet::multinom``'s parameterisation. Every coefficient and random
effect has one value per non-reference category (dimension ``<response>__category`` in results).
Here ``mu`` is η itself, with the K − 1 non-reference categories on a trailing axis: shape
``(..., n, K − 1)``; the response is the category number 1, …, K of each row (1 = reference).

The multinomial family (:class:`Multinomial`, brms' ``multinomial()``) is the same model for
counts: row i is a vector of counts ``n_i1, …, n_iK`` of N_i = Σ_k n_ik trials (a response
``cbind(n1, n2, n3)``, whose first column is the reference), with

    log p(n_i) = log N_i! − Σ_k log n_ik! + Σ_k n_ik log P_ik,

so that a row of counts is the same likelihood as N_i categorical rows up to the multinomial
coefficient, which does not involve the parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from bayesml.errors import DataError
from bayesml.families.base import Family
from bayesml.families.responses import describe_rows

__all__ = ["Categorical", "Multinomial", "category_log_probabilities"]

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

    def category_counts(self, y: ArrayLike, n_categories: int) -> Array:
        """Each row's count of every category, shape ``(n, K)``: a one-hot row for a category
        number 1, …, K."""
        codes = np.asarray(y, dtype=float).astype(np.int64) - 1
        return np.eye(n_categories)[codes]

    def category_derivatives(self, y: ArrayLike, eta: ArrayLike) -> tuple[Array, Array]:
        """The gradient and the negative Hessian of each row's log-likelihood in its K − 1
        linear predictors (what the Laplace fit needs).

        With the counts n_ik (one-hot for a categorical response), N_i = Σ_k n_ik and the
        non-reference probabilities p_i = (P_i2, …, P_iK):

            ∂ℓ_i/∂η_i = n_i,2:K − N_i p_i,    −∂²ℓ_i/∂η_i∂η_iᵀ = N_i (diag(p_i) − p_i p_iᵀ),

        the softmax's (the information does not depend on the counts beyond N_i, so the observed
        and expected curvatures are one).

        Parameters
        ----------
        y
            The response: category numbers ``(n,)`` or, for :class:`Multinomial`, counts
            ``(n, K)``.
        eta
            The linear predictors, shape ``(n, K − 1)``.

        Returns
        -------
        gradient, curvature
            Shapes ``(n, K − 1)`` and ``(n, K − 1, K − 1)``.
        """
        eta = np.asarray(eta, dtype=float)
        counts = self.category_counts(y, eta.shape[-1] + 1)
        totals = counts.sum(axis=-1)
        p = np.exp(category_log_probabilities(eta))[..., 1:]
        gradient = counts[..., 1:] - totals[..., None] * p
        curvature = totals[..., None, None] * (
            p[..., :, None] * np.eye(p.shape[-1]) - p[..., :, None] * p[..., None, :]
        )
        return gradient, curvature

    def _draw(self, rng, mu, params, trials, weights):
        cumulative = np.cumsum(np.exp(category_log_probabilities(mu)), axis=-1)
        uniform = rng.random(cumulative.shape[:-1])
        return 1.0 + np.sum(cumulative[..., :-1] < uniform[..., None], axis=-1)


class Multinomial(Categorical, name="multinomial", links=("logit",), response="multinomial"):
    """Counts of K categories out of N_i trials per row with P_ik ∝ exp(η_ik), η_reference = 0
    (brms' ``multinomial``): a response ``cbind(n1, n2, n3)``, the first column the reference.

    ``y`` has shape ``(n, K)`` (one column per category) and ``trials`` is each row's total.
    :meth:`expected_response` gives the category probabilities P_ik (shape ``(..., n, K)``), as
    for :class:`Categorical`; the expected counts are N_i · P_ik.
    """

    def validate_response(
        self,
        y: ArrayLike,
        *,
        trials: ArrayLike | None = None,
        name: str = "y",
        row_labels: Sequence[object] | None = None,
    ) -> None:
        """Check that ``y`` is a matrix of counts, rows × K categories (K ≥ 2), of non-negative
        integers, and that ``trials`` (if given) are the row totals.

        Raises
        ------
        DataError
            Naming the response, the offending rows (the first few) and what was expected.
        """
        try:
            counts = np.asarray(y, dtype=float)
        except (TypeError, ValueError) as error:
            raise DataError(
                f"response {name!r} of family {self.name!r} must be numeric counts; got values of "
                f"dtype {np.asarray(y).dtype}"
            ) from error
        if counts.ndim != 2 or counts.shape[1] < 2:
            raise DataError(
                f"response {name!r} of family {self.name!r} must be a matrix of counts with one "
                f"column per category (rows × K, K >= 2: cbind(n1, n2, n3)); got an array of "
                f"shape {counts.shape}"
            )
        if row_labels is not None and len(row_labels) != counts.shape[0]:
            raise DataError(
                f"row_labels must have one label per row of response {name!r} "
                f"({counts.shape[0]}); got {len(row_labels)}"
            )
        for bad, expected in (
            (~np.isfinite(counts), "must be finite numbers (no NaN or inf)"),
            ((counts < 0) | (counts != np.floor(counts)), "must be non-negative integer counts"),
        ):
            rows = bad.any(axis=1)
            if rows.any():
                shown = ", ".join(f"{v:g}" for v in counts[bad][:5]) + (
                    ", ..." if bad.sum() > 5 else ""
                )
                raise DataError(
                    f"response {name!r} {expected} for family {self.name!r}; got {shown} in "
                    f"{describe_rows(rows, row_labels)}"
                )
        if trials is not None:
            n = np.asarray(trials, dtype=float)
            if n.shape != counts.shape[:1] or not np.array_equal(n, counts.sum(axis=1)):
                raise DataError(
                    f"trials of response {name!r} must be each row's total count for family "
                    f"{self.name!r}; got trials of shape {n.shape} that differ from the totals"
                )

    def category_counts(self, y: ArrayLike, n_categories: int) -> Array:
        """The counts themselves, shape ``(n, K)``."""
        return np.asarray(y, dtype=float)

    def _log_likelihood(self, y, mu, params, trials, weights):
        log_p = category_log_probabilities(mu)
        # n_ik log P_ik with 0 · log 0 = 0 (a category with no counts adds nothing)
        terms = np.where(y > 0, y * log_p, 0.0)
        coefficient = special.gammaln(y.sum(axis=-1) + 1.0) - special.gammaln(y + 1.0).sum(axis=-1)
        return coefficient + terms.sum(axis=-1)

    def _draw(self, rng, mu, params, trials, weights):
        if trials is None:
            raise DataError(
                f"family {self.name!r} draws counts out of each row's trials; got trials=None"
            )
        probabilities = np.exp(category_log_probabilities(mu))
        n = np.asarray(trials, dtype=float).astype(np.int64)
        n = np.broadcast_to(n, probabilities.shape[:-1])
        return rng.multinomial(n, probabilities).astype(float)
