"""Predictions from a point fit (maximum likelihood, h-likelihood): estimates with standard errors.

:meth:`bayesml.Model.predict` sends a result that has ``point_estimates()`` here. The rows (the
fitted ones or new data, encoded by the design exactly as the fitted rows were) are evaluated at
the fit's :class:`~bayesml.results.point.PointEstimates`:

* ``kind="linear"``: η = xβ + zb + offset, with se² = xᵀ V_β x from the fixed effects'
  covariance V_β. The random effects b sit at their estimates (conditional modes; v for the
  h-likelihood) and are treated as known, as lme4's ``predict(se.fit = TRUE)`` and emmeans do:
  the standard error is that of the fixed part only.
* ``kind="mean"``: E y = h(η) with h = g⁻¹ (or the family's expected response, e.g.
  exp(μ + σ²/2) for the lognormal, at the fit's family parameters), se by the delta method
  |dh/dη|·se(η); the interval is the Wald interval of η transformed by h (emmeans'
  ``type = "response"``), so it stays inside the response's range.

Levels of a grouping factor not seen in fitting get the effect of a typical group: 0 for
gaussian effects (lme4's ``allow.new.levels = TRUE``), v at the mean of u for a non-gaussian
random family (as the posterior predictions set it with ``include_random_effects=False``).
A smooth's penalised coefficients (a ``shared_sd`` block) are part of the population-level curve:
``include_random_effects=False`` keeps them, as mgcv's ``predict.gam`` of a gamm4 fit does. In a
model with smooths, se² = cᵀ V c over the fixed effects and the smooths' coefficients, V their
joint covariance conditional on the SDs (mgcv's Bayesian ``Vp``,
:func:`bayesml.results.smooths.joint_covariance`): gamm4's ``predict(fit$gam, se.fit = TRUE)``.

numpy and pandas only: the results layer imports no backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from bayesml.errors import ArgumentError, ArgumentTypeError, DataError, FamilyError

if TYPE_CHECKING:
    from bayesml.design import ModelDesign
    from bayesml.families import Family
    from bayesml.results.point import PointEstimates

__all__ = ["POINT_KINDS", "POINT_LEVEL", "predict_point"]

#: what :func:`predict_point` can return
POINT_KINDS = ("linear", "mean")

#: probability of the Wald intervals of point predictions (lme4/emmeans habit: 95 %)
POINT_LEVEL = 0.95


def predict_point(
    design: ModelDesign,
    family: Family,
    estimates: PointEstimates,
    new_data: pd.DataFrame | None = None,
    *,
    kind: str = "mean",
    include_random_effects: bool = True,
) -> pd.DataFrame:
    """Point predictions with standard errors and 95 % Wald intervals (see the module text).

    Parameters
    ----------
    design, family
        The model's design and family.
    estimates
        The fit's estimates (``result.point_estimates()``).
    new_data
        Rows to predict; the fitted rows when None.
    kind
        ``"linear"`` (η) or ``"mean"`` (E y).
    include_random_effects
        ``False``: every random effect at the value of a typical group (0 for gaussian
        effects), and ``new_data`` needs no grouping columns.

    Returns
    -------
    pandas.DataFrame
        Indexed by the rows' index, columns ``estimate``, ``se``, ``lower``, ``upper``;
        ``attrs`` holds ``kind`` and ``interval`` (``"95% Wald"``).

    Raises
    ------
    ArgumentError
        For ``kind="response"`` (new observations need a posterior), another unknown kind, or
        estimates that do not match the model's design.
    ArgumentTypeError
        If ``new_data`` is not a DataFrame or ``include_random_effects`` not a bool.
    FamilyError
        For ``kind="mean"`` of an ordinal or categorical model.
    DataError
        For ``kind="mean"`` on new rows when the mean needs a family parameter that has a
        formula of its own (its per-row fitted values do not extend to new rows).
    """
    _check_arguments(kind, include_random_effects, new_data)
    _check_estimates(design, estimates)
    beta = np.asarray(estimates.beta, dtype=float)
    cov = np.asarray(estimates.beta_cov, dtype=float)
    if new_data is None:
        fixed = np.asarray(design.fixed.matrix, dtype=float)
        offset = np.asarray(design.offset, dtype=float)
        labels = design.row_labels
        blocks = [(b.term_matrix, b.group_index) for b in design.random]
        term_matrices = [b.term_matrix for b in design.random]
    else:
        rows = design.transform(new_data, random_effects=include_random_effects)
        fixed = np.asarray(rows.fixed, dtype=float)
        offset = np.asarray(rows.offset, dtype=float)
        labels = rows.row_labels
        blocks = [(matrix, index) for matrix, index, _ in rows.random]
        term_matrices = (
            [matrix for matrix, _, _ in rows.random]
            if include_random_effects
            else [b.encoder.encode(new_data) for b in design.random]
        )
    eta = fixed @ beta + offset
    for position, block in enumerate(design.random):
        typical = _typical_effect(block)
        if not include_random_effects and block.shared_sd:
            # a smooth's penalised part belongs to the population-level curve: kept
            effects = np.asarray(estimates.random[block.name], dtype=float)[0]
            eta = eta + np.asarray(term_matrices[position], dtype=float) @ effects
            continue
        if not include_random_effects:
            eta = eta + np.asarray(term_matrices[position], dtype=float) @ typical
            continue
        matrix, index = blocks[position]
        effects = np.asarray(estimates.random[block.name], dtype=float)
        index = np.asarray(index)
        per_row = np.where((index >= 0)[:, None], effects[np.maximum(index, 0)], typical[None, :])
        eta = eta + np.einsum("ij,ij->i", np.asarray(matrix, dtype=float), per_row)
    if design.smooths and estimates.sds:
        se_eta = _smooth_model_se(design, family, estimates, fixed, term_matrices)
    else:
        se_eta = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", fixed, cov, fixed), 0.0))
    z = float(stats.norm.ppf(0.5 + POINT_LEVEL / 2.0))
    if kind == "linear":
        frame = _frame(eta, se_eta, eta - z * se_eta, eta + z * se_eta, labels)
    else:
        mean_of = _mean_function(design, family, estimates, new_data is not None)
        estimate = mean_of(eta)
        ends = np.stack([mean_of(eta - z * se_eta), mean_of(eta + z * se_eta)])
        se = np.abs(_derivative(mean_of, eta, family)) * se_eta
        frame = _frame(estimate, se, ends.min(axis=0), ends.max(axis=0), labels)
    frame.attrs["kind"] = kind
    frame.attrs["interval"] = f"{100 * POINT_LEVEL:g}% Wald"
    return frame


# -- checks -------------------------------------------------------------------------------------
def _check_arguments(kind: object, include_random_effects: object, new_data: object) -> None:
    if kind == "response":
        raise ArgumentError(
            "kind='response' draws new observations, which needs a posterior (a result of "
            "Model.sample); a point fit predicts kind='mean' (E y with its standard error) or "
            "kind='linear' (the linear predictor)"
        )
    if kind not in POINT_KINDS:
        raise ArgumentError(
            f"kind must be one of {list(POINT_KINDS)} for a point fit; got kind={kind!r}"
        )
    if not isinstance(include_random_effects, bool | np.bool_):
        raise ArgumentTypeError(
            "include_random_effects must be True or False; got "
            f"include_random_effects={include_random_effects!r}"
        )
    if new_data is not None and not isinstance(new_data, pd.DataFrame):
        raise ArgumentTypeError(
            f"new_data must be a pandas DataFrame; got {type(new_data).__name__}"
        )


def _check_estimates(design: ModelDesign, estimates: PointEstimates) -> None:
    """Refuse estimates of another model: other fixed columns or random blocks."""
    p = design.fixed.matrix.shape[1]
    beta = np.asarray(estimates.beta)
    cov = np.asarray(estimates.beta_cov)
    problems = []
    if beta.shape != (p,) or cov.shape != (p, p):
        problems.append(
            f"{p} fixed-effect coefficients ({', '.join(design.fixed.column_names)}) were "
            f"expected, the fit has beta of shape {beta.shape} and beta_cov of shape {cov.shape}"
        )
    for block in design.random:
        shape = (len(block.levels), len(block.term_labels))
        effects = estimates.random.get(block.name)
        if effects is None:
            problems.append(f"the fit has no random effects of {block.name!r}")
        elif np.shape(effects) != shape:
            problems.append(
                f"the effects of {block.name!r} have shape {np.shape(effects)}, the model's "
                f"{shape} (levels, terms)"
            )
    if problems:
        raise ArgumentError(
            "the fit does not belong to this model (predict with the model that was fitted): "
            + "; ".join(problems)
        )


def _typical_effect(block) -> np.ndarray:
    """The effect of a typical group (terms,): v at the mean of u in the first term (0 for
    gaussian effects), 0 for the others."""
    typical = np.zeros(len(block.term_labels))
    typical[0] = block.random_family.v_at_mean
    return typical


# -- the mean and its derivative -----------------------------------------------------------------
def _mean_function(design: ModelDesign, family: Family, estimates: PointEstimates, new_rows: bool):
    """η -> E y at the fit's family parameters."""
    if design.response.levels is not None or np.ndim(design.response.y) == 2:
        raise FamilyError(
            f"kind='mean' of a {family.name} model gives category probabilities, whose "
            "uncertainty involves the thresholds or the other categories' coefficients; a point "
            "fit predicts kind='linear' here — for category probabilities with intervals use a "
            "posterior (Model.sample)"
        )
    params = dict(estimates.family_parameters)
    plain = type(family).expected_response is _base_expected_response()
    if not plain and new_rows:
        per_row = sorted(name for name, value in params.items() if np.ndim(value) > 0)
        if per_row:
            raise DataError(
                f"kind='mean' of a {family.name} model needs {', '.join(per_row)}, which has a "
                "formula in this fit: its fitted values are per fitted row and do not extend to "
                "new rows; predict kind='linear', or the fitted rows (new_data=None)"
            )

    def mean_of(eta: np.ndarray) -> np.ndarray:
        mu = family.mu_from_eta(eta)
        if plain:
            return np.asarray(mu, dtype=float)
        return np.asarray(family.expected_response(mu, params), dtype=float)

    mean_of.plain = plain  # type: ignore[attr-defined]
    return mean_of


def _base_expected_response():
    from bayesml.families.base import Family

    return Family.expected_response


def _derivative(mean_of, eta: np.ndarray, family: Family) -> np.ndarray:
    """dE y/dη: the link's dμ/dη where E y = μ, else a central difference (relative error
    about 1e-10)."""
    if mean_of.plain:
        return np.asarray(family.link.dmu_deta(eta), dtype=float)
    step = 1e-5 * np.maximum(1.0, np.abs(eta))
    return (mean_of(eta + step) - mean_of(eta - step)) / (2.0 * step)


def _frame(estimate, se, lower, upper, labels) -> pd.DataFrame:
    return pd.DataFrame(
        {"estimate": estimate, "se": se, "lower": lower, "upper": upper},
        index=pd.Index(labels),
    )


def _smooth_model_se(design, family, estimates, fixed, term_matrices) -> np.ndarray:
    """se(η) of a model with smooths: over the fixed effects and the smooths' coefficients, with
    their joint covariance conditional on the SDs (see the module docs)."""
    from bayesml.results.smooths import (
        joint_covariance,
        point_coefficients,
        random_offsets,
        working_weights,
    )

    coefficients = point_coefficients(design, estimates)
    weights = working_weights(design, family, estimates, coefficients)
    sds = {name: np.asarray(value, dtype=float) for name, value in estimates.sds.items()}
    offsets = random_offsets(design)
    positions = list(range(fixed.shape[1]))
    columns = [np.asarray(fixed, dtype=float)]
    for block, matrix in zip(design.random, term_matrices, strict=True):
        if block.shared_sd:  # one level: the block's columns are its effects'
            positions += range(offsets[block.name], offsets[block.name] + block.n_terms)
            columns.append(np.asarray(matrix, dtype=float))
    rows = np.hstack(columns)
    covariance = joint_covariance(design, weights, sds, np.asarray(positions))
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", rows, covariance, rows), 0.0))
