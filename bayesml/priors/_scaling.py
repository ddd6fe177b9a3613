"""Input scaling of the weakly informative prior (Gelman, Jakulin, Pittau and Su 2008).

Under ``fixed: weakly_informative`` every non-intercept column x_j of the fixed-effects matrix is
rescaled to x̃_j = (x_j − c_j) / s_j, with

* binary columns (two distinct values): c_j = mean, s_j = max − min (= 1 for a 0/1 dummy), so the
  input is centred and its two values differ by 1;
* other columns: c_j = mean, s_j = 2·sd (sd with n − 1, as R's ``sd`` and arm's ``bayesglm``), so
  x̃_j has mean 0 and sd 0.5;
* constant columns: c_j = 0, s_j = 1 (left alone);
* without an intercept nothing is centred (c_j = 0).

The coefficients b of x̃ get Cauchy(0, 2.5) priors and the intercept a of the scaled model (the
linear predictor at the inputs' means) Cauchy(0, 10). Results are reported on the original scale:
β_j = b_j / s_j and β_0 = a − Σ_j b_j c_j / s_j.

Every sampler (NUTS, Gibbs) works with b and a: :func:`sampled_fixed_effects` gives the matrix of
the columns they multiply and their priors on that scale (:func:`sampled_coefficient_priors`), the
one place where a coefficient's prior is mapped to its sampled scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from bayesml.errors import PriorError
from bayesml.priors._prior import Prior

__all__ = [
    "INTERCEPT_LABEL",
    "WI_COEFFICIENT",
    "WI_INTERCEPT",
    "WeaklyInformativeScaling",
    "rescale_prior",
    "sampled_coefficient_priors",
    "sampled_fixed_effects",
]

INTERCEPT_LABEL = "Intercept"
#: the prior of a ``weakly_informative`` coefficient of a scaled input
WI_COEFFICIENT = Prior("cauchy", mu=0, sigma=2.5)
#: the default prior of the intercept of the scaled model
WI_INTERCEPT = Prior("cauchy", mu=0, sigma=10)


@dataclass(frozen=True)
class WeaklyInformativeScaling:
    """Centre and scale of every non-intercept column under the weakly informative prior.

    Attributes
    ----------
    column_names
        Labels of the non-intercept columns, in the design's order.
    centre, scale
        c_j and s_j of each column (x̃_j = (x_j − c_j) / s_j).
    binary
        Whether each column has exactly two distinct values.
    has_intercept
        Whether the model has an intercept (otherwise no column is centred).
    """

    column_names: tuple[str, ...]
    centre: tuple[float, ...]
    scale: tuple[float, ...]
    binary: tuple[bool, ...]
    has_intercept: bool

    @classmethod
    def from_matrix(
        cls, matrix: ArrayLike, column_names: Sequence[str], *, has_intercept: bool
    ) -> WeaklyInformativeScaling:
        """Compute the scaling of the columns of a fixed-effects matrix.

        Parameters
        ----------
        matrix
            n × p fixed-effects matrix, intercept column included when present.
        column_names
            Its p column labels; the intercept's is ``"Intercept"``.
        has_intercept
            Whether the matrix has the intercept column.

        Examples
        --------
        >>> x = np.array([[1, 0, 1.0], [1, 1, 2.0], [1, 1, 3.0], [1, 0, 4.0]])
        >>> s = WeaklyInformativeScaling.from_matrix(x, ["Intercept", "d", "x"], has_intercept=True)
        >>> s.centre, s.binary
        ((0.5, 2.5), (True, False))
        """
        matrix = np.asarray(matrix, dtype=float)
        names, centres, scales, binary = [], [], [], []
        for index, name in enumerate(column_names):
            if has_intercept and name == INTERCEPT_LABEL:
                continue
            centre, scale, is_binary = _column_scaling(matrix[:, index], centre_it=has_intercept)
            names.append(name)
            centres.append(centre)
            scales.append(scale)
            binary.append(is_binary)
        return cls(tuple(names), tuple(centres), tuple(scales), tuple(binary), has_intercept)

    def scale_of(self, label: str) -> float:
        """s_j of the column labelled ``label``."""
        return self.scale[self.column_names.index(label)]

    def to_scaled(self, columns: ArrayLike) -> np.ndarray:
        """x̃ = (x − c) / s for an n × k matrix of the non-intercept columns."""
        return (np.asarray(columns, dtype=float) - np.array(self.centre)) / np.array(self.scale)

    def to_original(self, beta_scaled: Any, intercept_scaled: Any = None) -> tuple[Any, Any]:
        """Coefficients on the original scale from those of the scaled inputs.

        Works on numpy arrays and on PyTensor tensors (only arithmetic and ``.sum`` are used).

        Parameters
        ----------
        beta_scaled
            b, with the non-intercept coefficients on the last axis (``(..., k)``).
        intercept_scaled
            a, the intercept of the scaled model (``(...)``); ``None`` without an intercept.

        Returns
        -------
        beta, intercept
            β_j = b_j / s_j and β_0 = a − Σ_j b_j c_j / s_j (``None`` without an intercept).
        """
        if not hasattr(beta_scaled, "sum"):
            beta_scaled = np.asarray(beta_scaled, dtype=float)
        scale = np.array(self.scale, dtype=float)
        beta = beta_scaled / scale
        if intercept_scaled is None:
            return beta, None
        shift = (beta_scaled * (np.array(self.centre, dtype=float) / scale)).sum(axis=-1)
        return beta, intercept_scaled - shift

    def describe_column(self, label: str) -> str:
        """``"centre 2.5, scale 2.58"`` for one column."""
        index = self.column_names.index(label)
        return f"centre {self.centre[index]:.4g}, scale {self.scale[index]:.4g}"


def _column_scaling(column: np.ndarray, *, centre_it: bool) -> tuple[float, float, bool]:
    """(centre, scale, binary) of one column."""
    values = np.unique(column)
    if values.size < 2:
        return 0.0, 1.0, False
    centre = float(column.mean()) if centre_it else 0.0
    if values.size == 2:
        return centre, float(values[1] - values[0]), True
    return centre, float(2.0 * column.std(ddof=1)), False


def rescale_prior(prior: Prior, factor: float) -> Prior:
    """The prior of ``factor · β`` when β has ``prior`` (a location-scale family, or flat).

    Used for a coefficient with its own prior under the weakly informative prior: the prior is
    given on the original scale, the sampler works with b_j = s_j β_j.

    Raises
    ------
    PriorError
        If the distribution is not location-scale (only coefficient priors can be rescaled).
    """
    if prior.dist == "flat":
        return prior
    location_scale = prior.spec.location_scale
    if location_scale is None:
        raise PriorError(f"{prior} is not a location-scale prior and cannot be rescaled")
    location, scale = location_scale
    params = prior.params
    params[location] = params[location] * factor
    params[scale] = params[scale] * abs(factor)
    return Prior(prior.dist, **params)


def sampled_coefficient_priors(
    column_names: Sequence[str],
    *,
    intercept_prior: Prior | None,
    fixed_priors: Mapping[str, Prior],
    scaling: WeaklyInformativeScaling | None = None,
) -> list[Prior]:
    """The prior of each fixed-effect coefficient on the scale the samplers sample it.

    Parameters
    ----------
    column_names
        Labels of the fixed-effects columns, ``"Intercept"`` among them when there is one.
    intercept_prior
        Prior of the intercept (``ResolvedPriors.intercept``); ``None`` without an intercept.
    fixed_priors
        Prior of each other coefficient by label (``ResolvedPriors.fixed``).
    scaling
        ``ResolvedPriors.weakly_informative``.

    Returns
    -------
    list of Prior
        In the order of ``column_names``. Without ``scaling``, each coefficient's own prior; with
        it, the priors of the scaled inputs' coefficients: :data:`WI_COEFFICIENT` (Cauchy(0, 2.5))
        for ``weakly_informative``, a coefficient's own prior (given on the original scale)
        rescaled by the input's scale s_j (:func:`rescale_prior`), and the intercept prior as
        given (it is on the intercept of the scaled model).

    Raises
    ------
    PriorError
        If a coefficient has no prior.

    Examples
    --------
    >>> x = np.array([[1, 1.0], [1, 2.0], [1, 3.0]])
    >>> s = WeaklyInformativeScaling.from_matrix(x, ["Intercept", "x"], has_intercept=True)
    >>> [str(p) for p in sampled_coefficient_priors(
    ...     ["Intercept", "x"], intercept_prior=Prior("cauchy", sigma=10),
    ...     fixed_priors={"x": Prior("normal", sigma=1)}, scaling=s)]
    ['cauchy(mu=0, sigma=10)', 'normal(mu=0, sigma=2)']
    """
    return [_sampled_prior(label, intercept_prior, fixed_priors, scaling) for label in column_names]


def _sampled_prior(
    label: str,
    intercept_prior: Prior | None,
    fixed_priors: Mapping[str, Prior],
    scaling: WeaklyInformativeScaling | None,
) -> Prior:
    if label == INTERCEPT_LABEL and intercept_prior is not None:
        return intercept_prior
    try:
        prior = fixed_priors[label]
    except KeyError:
        raise PriorError(f"no prior for the coefficient {label!r}") from None
    if scaling is None:
        return prior
    if prior.dist == "weakly_informative":
        return WI_COEFFICIENT
    return rescale_prior(prior, scaling.scale_of(label))


def sampled_fixed_effects(
    matrix: ArrayLike,
    column_names: Sequence[str],
    *,
    intercept_prior: Prior | None,
    fixed_priors: Mapping[str, Prior],
    scaling: WeaklyInformativeScaling | None = None,
) -> tuple[np.ndarray, list[Prior]]:
    """The fixed-effects matrix and coefficient priors on the scale the samplers work on.

    Under the weakly informative prior the samplers work with the coefficients b of the scaled
    inputs x̃_j = (x_j − c_j) / s_j (the intercept column is kept), which give the same linear
    predictor as β on the original scale (:meth:`WeaklyInformativeScaling.to_original`).

    Parameters
    ----------
    matrix
        n × p fixed-effects matrix, intercept column included when present.
    column_names, intercept_prior, fixed_priors, scaling
        As for :func:`sampled_coefficient_priors`.

    Returns
    -------
    matrix, priors
        A new n × p float64 array, its non-intercept columns scaled under ``scaling`` (a plain
        copy without), and the prior of each column's coefficient
        (:func:`sampled_coefficient_priors`).
    """
    labels = list(column_names)
    sampled = np.array(matrix, dtype="float64")
    if scaling is not None:
        rest = [labels.index(label) for label in scaling.column_names]
        sampled[:, rest] = scaling.to_scaled(sampled[:, rest])
    priors = sampled_coefficient_priors(
        labels, intercept_prior=intercept_prior, fixed_priors=fixed_priors, scaling=scaling
    )
    return sampled, priors
