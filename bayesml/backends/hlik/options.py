"""Reading the options shared by both forms of a fit: random families, correlated terms, the
response arrays and the dispersion specification."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bayesml.backends.hlik.correlated import car_term, covariance_term
from bayesml.backends.hlik.fit import METHODS
from bayesml.backends.hlik.problem import DispersionModel, RandomTerm
from bayesml.backends.hlik.rows import MEAN_FAMILIES
from bayesml.design import FixedDesign
from bayesml.errors import ArgumentError, DataError, FamilyError, SpecError, warn
from bayesml.families import Family, get_family
from bayesml.families.random_effects import (
    RandomFamily,
    random_families_for,
    random_family_from_label,
)

__all__ = [
    "DispersionOption",
    "RandomFamilySpec",
    "correlated_terms",
    "dispersion_spec",
    "estimation_argument",
    "matrix_columns",
    "matrix_frame",
    "one_random_family",
    "random_families_for",
    "require_finite",
    "resolve_dispersion",
    "response_arrays",
    "without_dispersion",
]

RandomFamilySpec = (
    str | RandomFamily | Sequence[str | RandomFamily] | Mapping[str, str | RandomFamily]
)

DispersionOption = Literal["auto", "estimate"] | float | None
"""``dispersion=``: ``"auto"``, ``"estimate"``, a positive number (φ fixed at it) or ``None``
(deprecated spelling of ``"estimate"``)."""

#: the words dispersion= takes besides a number
DISPERSION_WORDS = ("auto", "estimate")


def without_dispersion() -> list[str]:
    """The response families of the backend that have no dispersion parameter (φ = 1 in their
    likelihood): those ``dispersion="auto"`` fixes at 1."""
    return [name for name in MEAN_FAMILIES if not get_family(name).has_dispersion]


def _dispersion_expected() -> str:
    return (
        "'auto' (the family's own: fixed at 1 for a family without a dispersion parameter — "
        f"{', '.join(without_dispersion())} — estimated otherwise), 'estimate' (phi estimated, "
        "R hglm's default) or a positive number (phi fixed at it, R hglm's fix.disp)"
    )


def check_dispersion(value: object) -> None:
    """Refuse a ``dispersion=`` that is none of ``"auto"``, ``"estimate"``, a positive number or
    ``None``.

    Raises
    ------
    SpecError
        Naming the argument, what it takes and what was given.
    """
    if value is None or (isinstance(value, str) and value in DISPERSION_WORDS):
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not (np.isfinite(value) and value > 0)
    ):
        raise SpecError(f"dispersion must be {_dispersion_expected()}; got dispersion={value!r}")


def resolve_dispersion(value: DispersionOption, family: Family, *, modelled: bool) -> float | None:
    """The fixed φ of ``dispersion=value``, or ``None`` where φ is estimated.

    ``"auto"`` fixes φ at 1 for a family without a dispersion parameter (``family.has_dispersion``
    false: its likelihood has φ = 1, as glmer fits it) unless a dispersion model is given
    (``modelled``), and estimates it otherwise; ``"estimate"`` estimates it for every family (R
    hglm's default: a quasi-likelihood fit for binomial and Poisson responses); a number fixes it.
    ``None`` is ``"estimate"`` with a ``FutureWarning``.

    Raises
    ------
    SpecError
        For a value that is none of these.
    """
    check_dispersion(value)
    if value is None:
        warn(
            "dispersion=None is deprecated: it estimates phi (R hglm's fix.disp = NULL); write "
            "dispersion='estimate' for that, or dispersion='auto' for the family's own "
            "dispersion (fixed at 1 where the family has no dispersion parameter)",
            FutureWarning,
        )
        return None
    if value == "estimate":
        return None
    if value == "auto":
        return None if family.has_dispersion or modelled else 1.0
    return float(value)


def estimation_argument(estimation: str | None, method: str | None, *, caller: str) -> str:
    """The estimation method (``"EQL"`` when neither is given) from ``estimation=`` or from its
    former name ``method=`` (accepted with a ``FutureWarning``).

    Raises
    ------
    ArgumentError
        When both are given.
    """
    if method is None:
        return METHODS[0] if estimation is None else estimation
    if estimation is not None:
        raise ArgumentError(
            f"{caller} takes the estimation method as estimation=; method= is its former name. "
            f"Give one of them; got estimation={estimation!r} and method={method!r}"
        )
    warn(
        f"{caller}(method=...) is deprecated: the estimation method (EQL or EQL1) is now "
        f"estimation=, the name Model.fit uses; write estimation={method!r}",
        FutureWarning,
    )
    return method


one_random_family = random_family_from_label
"""A random family from ``"gamma"``, ``"inverse_gamma(log)"`` or a :class:`RandomFamily`."""


def correlated_terms(
    terms: list[RandomTerm], covariance: Mapping[str, Any], car: Mapping[str, Any]
) -> list[RandomTerm]:
    """``terms`` with the known-covariance and CAR terms rewritten as Z·L and Z·Γ.

    Raises
    ------
    SpecError
        For unknown term names, or a term given both.
    FamilyError
        For a correlated term whose random family is not gaussian.
    """
    names = [term.name for term in terms]
    for option, mapping in (("covariance", covariance), ("car", car)):
        unknown = sorted(set(mapping) - set(names))
        if unknown:
            raise SpecError(
                f"{option} names unknown random term(s) {unknown}; the terms are {names}"
            )
    both = sorted(set(covariance) & set(car))
    if both:
        raise SpecError(f"a random term takes covariance= or car=, not both; got both for {both}")
    out = []
    for term in terms:
        if term.name in covariance or term.name in car:
            if not term.family.is_gaussian:
                raise FamilyError(
                    f"correlated random effects (covariance=, car=) need the gaussian random family; "
                    f"term {term.name!r} has {term.family.label}"
                )
            term = (
                covariance_term(term, covariance[term.name])
                if term.name in covariance
                else car_term(term, car[term.name])
            )
        out.append(term)
    return out


def response_arrays(
    family: Family, y: np.ndarray, trials: np.ndarray | None, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(response on the mean scale, prior weights, trials)."""
    y = np.asarray(y, dtype=float)
    base = np.ones(y.size) if weights is None else np.asarray(weights, dtype=float)
    if family.uses_trials:
        assert trials is not None
        trials = np.asarray(trials, dtype=float)
        if np.any(trials <= 0):
            raise DataError("binomial trials must be positive for the h-likelihood backend")
        return y / trials, base * trials, trials
    if np.any(base <= 0):
        raise DataError("prior weights must be positive for the h-likelihood backend")
    return y, base, None


def dispersion_spec(
    value: float | None, design: Any, n: int, *, what: str
) -> float | DispersionModel:
    """A fixed φ (a positive number, from :func:`resolve_dispersion`) or, for ``None``, the
    :class:`DispersionModel` of φ (intercept by default).

    Raises
    ------
    SpecError
        For a bad number, or a number together with a design.
    DataError
        For a design with the wrong number of rows or NaN.
    """
    if value is not None:
        if design is not None:
            raise SpecError(
                "a fixed dispersion (dispersion=<number>) takes no dispersion model; give "
                "dispersion='estimate' with it"
            )
        check_dispersion(value)
        return float(value)
    if design is None:
        return DispersionModel.intercept(n)
    if isinstance(design, FixedDesign):
        matrix, names = np.asarray(design.matrix, dtype=float), tuple(design.column_names)
    else:
        matrix, names = matrix_frame(design, n, what, prefix="X_disp.")
    if matrix.shape[0] != n:
        raise DataError(f"{what} has {matrix.shape[0]} rows; the data have {n}")
    require_finite(matrix, what)
    return DispersionModel(matrix, names)


def matrix_frame(
    value: Any, n: int, what: str, *, prefix: str
) -> tuple[np.ndarray, tuple[str, ...]]:
    """A 2-D float matrix with ``n`` rows and its column names (a DataFrame's, else ``prefix1``...).

    Raises
    ------
    DataError
        For the wrong number of rows or NaN.
    """
    matrix, names = matrix_columns(value, prefix)
    if matrix.ndim != 2 or matrix.shape[0] != n:
        raise DataError(
            f"{what} must have {n} rows (one per observation); got shape {matrix.shape}"
        )
    require_finite(matrix, what)
    return matrix, names


def matrix_columns(
    value: Any, prefix: str, *, keep_sparse: bool = False
) -> tuple[Any, tuple[str, ...]]:
    """A float matrix and its column names (a DataFrame's, else ``prefix1``, ``prefix2``, ...).

    A vector becomes one column; a sparse matrix is made dense, or CSR when ``keep_sparse``. The
    shape is not checked.
    """
    if isinstance(value, pd.DataFrame):
        return value.to_numpy(dtype=float), tuple(str(c) for c in value.columns)
    if keep_sparse and sp.issparse(value):
        matrix = sp.csr_matrix(value, dtype=float)
    else:
        matrix = np.asarray(value.toarray() if sp.issparse(value) else value, dtype=float)
        if matrix.ndim == 1:
            matrix = matrix[:, None]
    return matrix, tuple(f"{prefix}{j + 1}" for j in range(matrix.shape[1]))


def require_finite(values: np.ndarray, what: str) -> None:
    """Raise :class:`DataError` naming ``what`` and the first positions of NaN/inf values."""
    bad = ~np.isfinite(np.asarray(values, dtype=float))
    if bad.any():
        where = np.argwhere(bad)[:5].tolist()
        raise DataError(f"{what} holds NaN or infinite values (at {where})")
