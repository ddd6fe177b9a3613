"""Exceptions and warnings raised by bayesml.

Every user-facing error derives from :class:`BayesmlError`, so callers can catch one class.
The concrete classes also derive from the matching built-in (``ValueError``, ``TypeError``,
``ImportError``, ``RuntimeError``) so code written against the standard library keeps working.
"""

from __future__ import annotations

import os
import warnings

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "BayesmlError",
    "SpecError",
    "FormulaError",
    "DataError",
    "PriorError",
    "FamilyError",
    "MissingDependencyError",
    "SamplingError",
    "SamplingWarning",
    "ModelChangeWarning",
    "SmoothExtrapolationWarning",
    "ConvergenceWarning",
    "warn",
]

#: the directory of the package (with a trailing separator): frames under it are skipped when a
#: warning looks for the line to report
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class BayesmlError(Exception):
    """Base class of every error raised by bayesml."""


class SpecError(BayesmlError, ValueError):
    """A model description (spec file, dict or keyword argument) is invalid.

    Parameters
    ----------
    message
        What was expected and what was got.
    key_path
        Dotted path of the offending key in the spec, e.g. ``"priors.sd.sigma"``.
        When given, the message is prefixed with ``"<key_path>: "``.
    """

    def __init__(self, message: str, key_path: str | None = None) -> None:
        self.key_path = key_path
        self.reason = message
        super().__init__(f"{key_path}: {message}" if key_path else message)


class ArgumentError(BayesmlError, ValueError):
    """An argument of a function or method (``method=``, ``draws=``, ``kind=``, ...) has a value it
    cannot take; the message names the argument, what was expected and what was got."""


class ArgumentTypeError(BayesmlError, TypeError):
    """An argument has the wrong type (a list where a DataFrame is expected, ...)."""


class PriorError(SpecError):
    """A prior is unknown, badly parameterised or would make the posterior improper."""


class FormulaError(BayesmlError, ValueError):
    """A formula cannot be parsed or uses something that is not allowed.

    The message shows the formula with a caret under the offending token.

    Parameters
    ----------
    message
        What is wrong.
    formula
        The full formula text.
    start, end
        Character span of the offending token in ``formula`` (``end`` exclusive).
    """

    def __init__(
        self, message: str, formula: str | None = None, start: int | None = None, end: int | None = None
    ) -> None:
        self.reason = message
        self.formula = formula
        self.start = start
        self.end = end
        text = message
        if formula is not None and start is not None:
            width = max(1, (end if end is not None else start + 1) - start)
            text = f"{message}\n    {formula}\n    {' ' * start}{'^' * width}"
        super().__init__(text)


class DataError(BayesmlError, ValueError):
    """The data do not fit the model: missing columns, NaN, bad response values, ..."""


class FamilyError(BayesmlError, ValueError):
    """Unknown family or link, or a family/link combination that is not supported."""


class MissingDependencyError(BayesmlError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""


class SamplingError(BayesmlError, RuntimeError):
    """Sampling could not run to its end for a reason outside the model, the data and the
    arguments, e.g. a worker process running a chain stopped."""


class SamplingWarning(UserWarning):
    """Sampling finished but its diagnostics (divergences, R-hat, ESS) call for care."""


class ConvergenceWarning(UserWarning):
    """An iterative fitter stopped before meeting its tolerance."""


class ModelChangeWarning(UserWarning):
    """What was fitted differs from what was asked: another model than the one written (the
    h-likelihood backend fits ``(1 + x | g)`` as the independent ``(1 + x || g)``), or an
    estimator that could not do what it was asked (``estimation="EQL1"`` stopping before its
    correction started). The message says what was fitted instead and why."""


class SmoothExtrapolationWarning(UserWarning):
    """New data lie outside the covariate range a smooth term was fitted on: the smooth is
    extrapolated as mgcv extrapolates it (linearly for cr, ps and tp), a guess, not an estimate."""


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Issue a warning reported at the user's line: the first caller outside the bayesml package.

    Every warning bayesml emits goes through this function, so that ``warnings`` shows the file
    and line of the user's call (``model.sample(...)`` in a script or a notebook cell), not the
    line inside bayesml that noticed the problem, however deep that line is.

    Parameters
    ----------
    message
        The text of the warning.
    category
        Its class: :class:`SamplingWarning`, :class:`ConvergenceWarning`, ``FutureWarning`` for a
        renamed argument, ``UserWarning`` otherwise.
    """
    warnings.warn(message, category, skip_file_prefixes=(PACKAGE_DIR,))
