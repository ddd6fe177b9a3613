"""Likelihood-ratio tests of nested maximum-likelihood fits, as lme4's ``anova(fit0, fit1, ...)``.

>>> bayesml.anova(fit0, fit1)     # doctest: +SKIP
Models:
fit1: Reaction ~ Days + (1 | Subject)
fit2: Reaction ~ Days + (Days | Subject)
      npar    AIC    BIC  logLik deviance  Chisq Df Pr(>Chisq)
fit1     4 1802.1 1814.9 -897.04   1794.1
fit2     6 1763.9 1783.1 -875.97   1751.9 42.139  2  7.072e-10

The fits are ordered by their number of parameters; each row from the second on tests the fit
against the one above it: Chisq = 2·(logLik − logLik above), clipped at 0, on Df = the difference
of their numbers of parameters, p = P(χ²_Df > Chisq). As in lme4, nesting is not checked (it
cannot be, from the fits alone): the test is valid only for nested models, and a variance
parameter tested at its boundary 0 makes the p-value conservative (the χ² mixture of Self &
Liang has half the tail).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from bayesml.errors import ArgumentError, ArgumentTypeError, warn

__all__ = ["AnovaTable", "anova"]

#: lme4's columns, in its order
COLUMNS = ("npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)")

_INTEGER_COLUMNS = ("npar", "Df")


class AnovaTable(pd.DataFrame):
    """The table of :func:`anova`: a pandas DataFrame (values exact) that prints as lme4 does.

    One row per fit (indexed by its name), in the order of their number of parameters, with
    lme4's columns ``npar``, ``AIC``, ``BIC``, ``logLik``, ``deviance``, ``Chisq``, ``Df`` and
    ``Pr(>Chisq)`` (NaN on the first row). ``attrs["models"]`` maps each name to the fitted
    model's formula, printed above the table.
    """

    @property
    def _constructor(self):
        return AnovaTable

    def formatted(self) -> pd.DataFrame:
        """The table as printed: each column with the decimals that give its largest value five
        significant digits (as R prints it), p-values with four, blanks for the first row's
        test."""
        shown = pd.DataFrame(self).astype(object)
        for position, column in enumerate(self.columns):
            values = self.iloc[:, position]
            if values.dtype.kind not in "fi":
                continue
            decimals = _decimals(values.to_numpy(dtype=float), column)
            shown.isetitem(position, [_shown(v, column, decimals) for v in values])
        return shown

    def heading(self) -> str:
        """``Models:`` and one line per fit, ``name: formula``."""
        models = self.attrs.get("models", {})
        lines = [f"{name}: {models[name]}" for name in self.index if name in models]
        return "\n".join(["Models:", *lines]) if lines else ""

    def __repr__(self) -> str:
        heading = self.heading()
        text = self.formatted().to_string()
        return f"{heading}\n{text}" if heading else text

    def _repr_html_(self) -> str | None:  # type: ignore[override]
        import html as html_lib

        table = pd.DataFrame._repr_html_(self.formatted())
        heading = self.heading()
        if not heading or table is None:
            return table
        return f"<pre>{html_lib.escape(heading)}</pre>{table}"


def _decimals(values: np.ndarray, column: str) -> int:
    """Decimals that show the column's largest finite value with five significant digits (at
    most 4 for ``Chisq``: a difference of deviances below 1e-4 is rounding, printed 0.0000, not
    as 1e-11 spelled out)."""
    finite = np.abs(values[np.isfinite(values)])
    if column in _INTEGER_COLUMNS or finite.size == 0 or finite.max() == 0:
        return 0
    most = 4 if column == "Chisq" else 10
    return int(min(most, max(0, 4 - np.floor(np.log10(finite.max())))))


def _shown(value: Any, column: str, decimals: int) -> str:
    value = float(value)
    if not np.isfinite(value):
        return ""
    if column == "Pr(>Chisq)":
        return f"{value:.4g}"
    return f"{value:.{decimals}f}"


def anova(*fits: Any, names: Sequence[str] | None = None) -> AnovaTable:
    """Likelihood-ratio tests of nested maximum-likelihood fits: lme4's ``anova(fit0, fit1)``.

    The fits are sorted by their number of parameters (``npar``, lme4's df of ``logLik``; the
    order given is kept among equals) and each is tested against the one before it:
    ``Chisq`` = 2·(logLik − previous logLik), clipped at 0 as lme4 does, on ``Df`` = the
    difference of ``npar``, ``Pr(>Chisq)`` its upper χ² tail. The test assumes the models are
    nested (not checked, as in lme4); a variance tested at its boundary (0) gives a conservative
    p-value. Two fits with the same number of parameters are not nested: lme4 prints ``Df`` 0
    and no p-value; so does this table, with a warning (compare such fits by AIC or BIC).

    Parameters
    ----------
    *fits
        Two or more maximum-likelihood fits of models of the same response on the same data:
        results of ``Model.fit(method="laplace")`` or ``Model.fit(method="agq")`` with
        ``reml=False`` (the default). A list or tuple of fits may be given as the one argument.
    names
        Row names, one per fit in the order given; default ``"fit1"``, ``"fit2"``, ...

    Returns
    -------
    AnovaTable
        A DataFrame with lme4's columns ``npar``, ``AIC``, ``BIC``, ``logLik``, ``deviance``
        (−2 logLik), ``Chisq``, ``Df``, ``Pr(>Chisq)``, one row per fit; it prints the models'
        formulas above the table (``attrs["models"]``).

    Raises
    ------
    ArgumentError
        Fewer than two fits; a REML fit (lme4 refits those by ML; refit with
        ``Model.fit(method="laplace", reml=False)``); fits to different data (other numbers of
        rows or responses); bad ``names``.
    ArgumentTypeError
        A result that is not a maximum-likelihood fit (an h-likelihood fit or a posterior).

    Warns
    -----
    UserWarning
        When two fits have the same number of parameters (``Df`` 0, no p-value).

    Examples
    --------
    >>> fit0 = bayesml.Model("Reaction ~ Days + (1 | Subject)", "sleepstudy").fit(method="laplace")  # doctest: +SKIP
    >>> fit1 = bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy").fit(method="laplace")  # doctest: +SKIP
    >>> bayesml.anova(fit0, fit1)  # doctest: +SKIP
    """
    if len(fits) == 1 and isinstance(fits[0], list | tuple):
        fits = tuple(fits[0])
    if len(fits) < 2:
        raise ArgumentError(
            "anova compares two or more nested maximum-likelihood fits, e.g. "
            f"bayesml.anova(fit0, fit1); got {len(fits)}"
        )
    for position, fit in enumerate(fits, 1):
        _check_fit(fit, position)
    labels = _names(names, len(fits))
    _check_same_data(fits, labels)
    npar = np.array([int(fit.n_parameters) for fit in fits])
    order = np.argsort(npar, kind="stable")
    ordered = [fits[i] for i in order]
    rows = [labels[i] for i in order]
    loglik = np.array([float(fit.loglik) for fit in ordered])
    npar = npar[order]
    df = np.concatenate([[np.nan], np.diff(npar).astype(float)])
    chisq = np.concatenate([[np.nan], 2.0 * np.maximum(0.0, np.diff(loglik))])
    with np.errstate(invalid="ignore"):
        p = np.where(df > 0, stats.chi2.sf(chisq, np.where(df > 0, df, 1.0)), np.nan)
    same = [(rows[i - 1], rows[i]) for i in range(1, len(rows)) if df[i] == 0]
    if same:
        pairs = "; ".join(f"{a} and {b}" for a, b in same)
        warn(
            f"{pairs} have the same number of parameters: they are not nested, so the "
            "likelihood-ratio test has 0 degrees of freedom and no p-value (lme4 prints the "
            "same); compare non-nested fits by AIC or BIC"
        )
    table = AnovaTable(
        {
            "npar": npar,
            "AIC": [float(fit.aic) for fit in ordered],
            "BIC": [float(fit.bic) for fit in ordered],
            "logLik": loglik,
            "deviance": [float(fit.deviance) for fit in ordered],
            "Chisq": chisq,
            "Df": df,
            "Pr(>Chisq)": p,
        },
        index=pd.Index(rows),
    )
    table.attrs["models"] = {
        row: str(fit.description) for row, fit in zip(rows, ordered, strict=True)
    }
    return table


# -- checks -------------------------------------------------------------------------------------
def _ml_result_type() -> type:
    from bayesml.backends.laplace.result import MLResult

    return MLResult


def _check_fit(fit: Any, position: int) -> None:
    """Refuse what is not an ML fit, saying what anova needs; and REML fits."""
    if not isinstance(fit, _ml_result_type()):
        what = _what(fit)
        raise ArgumentTypeError(
            f"fit {position} is {what}; anova needs maximum-likelihood fits, the results of "
            "Model.fit(method='laplace') or Model.fit(method='agq'), whose log-likelihoods "
            "are the marginal likelihood of the data" + _alternative(fit)
        )
    if fit.reml:
        raise ArgumentError(
            f"fit {position} ({fit.description}) was fitted by REML, whose likelihood is not "
            "comparable between models with different fixed effects (lme4's anova refits such "
            "fits by ML); refit with Model.fit(method='laplace', reml=False)"
        )


def _what(fit: Any) -> str:
    name = type(fit).__name__
    if name == "HlikResult":
        return "an h-likelihood fit (HlikResult)"
    if name == "DataTree":
        return "a posterior (xarray.DataTree)"
    return f"a {name}"


def _alternative(fit: Any) -> str:
    name = type(fit).__name__
    if name == "HlikResult":
        return (
            " (an h-likelihood fit's hlik, pvh and cAIC are other likelihoods: compare such "
            "fits by cAIC or pbvh)"
        )
    if name == "DataTree":
        return "; compare Bayesian models by LOO: arviz_stats.compare({'name': result, ...})"
    return ""


def _names(names: Sequence[str] | None, n: int) -> list[str]:
    if names is None:
        return [f"fit{i}" for i in range(1, n + 1)]
    if isinstance(names, str) or len(names) != n:
        raise ArgumentError(f"names must be a sequence of {n} names, one per fit; got {names!r}")
    if not all(isinstance(name, str) and name for name in names) or len(set(names)) != n:
        raise ArgumentError(f"names must be distinct non-empty strings; got {list(names)!r}")
    return list(names)


def _check_same_data(fits: Sequence[Any], labels: Sequence[str]) -> None:
    """Refuse fits to different data: other numbers of rows or other responses."""
    nobs = [fit.nobs for fit in fits]
    if len(set(nobs)) > 1:
        shown = ", ".join(f"{label}: {n}" for label, n in zip(labels, nobs, strict=True))
        raise ArgumentError(
            f"the fits were not all fitted to the same data: their numbers of rows differ "
            f"({shown}); a likelihood-ratio test compares fits of one data set (rows dropped "
            "for missing values in a variable of one model only also change it)"
        )
    responses = [str(fit.response) for fit in fits]
    if len(set(responses)) > 1:
        shown = ", ".join(f"{label}: {r}" for label, r in zip(labels, responses, strict=True))
        raise ArgumentError(
            f"the fits have different responses ({shown}); a likelihood-ratio test compares "
            "models of the same response"
        )
