"""Response families: a table of small specs, each with its variance, deviance and response checks.

A :class:`Family` is immutable and carries the :class:`~bayesml.families.links.Link` in force;
:meth:`Family.with_link` returns a copy with another supported link.

Examples
--------
>>> family = get_family("poisson")
>>> family.link.name, family.has_dispersion
('log', False)
>>> get_family("bernoulli", link="probit")
Family('bernoulli', link='probit')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayesml.errors import DataError, FamilyError
from bayesml.families import _maths
from bayesml.families._names import normalise_name, resolve_name
from bayesml.families._response import as_vector, check_response, check_weights
from bayesml.families.links import LINKS, Link

__all__ = ["AuxParam", "Family", "FAMILIES", "FAMILY_ALIASES", "get_family"]

Array = NDArray[np.float64]
AuxValues = Mapping[str, ArrayLike]


@dataclass(frozen=True)
class AuxParam:
    """An auxiliary (non-mean) parameter of a family, e.g. the Gaussian ``sigma``."""

    name: str
    description: str


@dataclass(frozen=True)
class Family:
    """A response distribution with its link, variance function and deviance.

    Attributes
    ----------
    name
        Registry name, e.g. ``"negative_binomial"``.
    links
        Names of the supported links; ``default_link`` is the one used when none is asked for.
    canonical_link
        Name of the canonical link of the exponential family, or ``None`` where the family has
        no canonical link among the supported ones (Student-t, negative binomial with unknown
        shape, beta).
    response_kind
        ``"real"``, ``"binary"``, ``"binomial"``, ``"count"``, ``"positive"`` or
        ``"unit_interval"``.
    aux_params
        Auxiliary parameters, named as in the posterior (``sigma``, ``nu``, ``alpha``, ``kappa``).
    has_dispersion
        Whether Var(y) has a free scale factor beyond V(μ) (``False`` for bernoulli, binomial,
        poisson, and for the negative binomial, whose shape enters V(μ) itself).
    uses_trials
        Whether each row has a number of trials (binomial).
    link
        The :class:`Link` in force.
    """

    name: str
    links: tuple[str, ...]
    default_link: str
    canonical_link: str | None
    response_kind: str
    aux_params: tuple[AuxParam, ...]
    has_dispersion: bool
    uses_trials: bool
    link: Link
    variance_fn: Callable[[Array, Mapping[str, Array]], Array] = field(repr=False, compare=False)
    unit_deviance_fn: Callable[..., Array] = field(repr=False, compare=False)
    variance_needs: tuple[str, ...] = field(default=(), repr=False, compare=False)
    deviance_needs: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __repr__(self) -> str:
        return f"Family({self.name!r}, link={self.link.name!r})"

    @property
    def is_canonical(self) -> bool:
        """Whether the link in force is the canonical link."""
        return self.link.name == self.canonical_link

    @property
    def aux_names(self) -> tuple[str, ...]:
        """Names of the auxiliary parameters."""
        return tuple(param.name for param in self.aux_params)

    def with_link(self, link: str | Link) -> Family:
        """Return this family with another of its supported links.

        Raises
        ------
        FamilyError
            If the family does not support ``link``; the message lists the links it supports.
        """
        given = link.name if isinstance(link, Link) else link
        key = normalise_name(given, what="link")
        if key not in self.links:
            if key in LINKS:
                raise FamilyError(
                    f"family {self.name!r} does not support link {given!r}; "
                    f"supported links: {list(self.links)}"
                )
            # An unknown name: always raises, listing this family's links with a suggestion.
            resolve_name(
                given, what="link", choices=self.links, context=f" for family {self.name!r}"
            )
        return dataclasses.replace(self, link=LINKS[key])

    def variance(self, mu: ArrayLike, *, aux: AuxValues | None = None) -> Array:
        """Variance function V(μ), with Var(y) = φ·V(μ).

        φ is σ² (gaussian), 1/α (gamma), 1/(1 + κ) (beta) and 1 otherwise; for the binomial, V is
        per trial (Var(successes) = n·V(μ)). For the Student-t, Var(y) = σ²ν/(ν − 2)·V(μ).

        Parameters
        ----------
        mu
            Means.
        aux
            Auxiliary-parameter values by name; the negative binomial needs ``alpha``.
        """
        values = self._aux_values(aux, self.variance_needs, purpose="the variance")
        return self.variance_fn(np.asarray(mu, dtype=float), values)

    def unit_deviance(
        self,
        y: ArrayLike,
        mu: ArrayLike,
        *,
        trials: ArrayLike | None = None,
        aux: AuxValues | None = None,
    ) -> Array:
        """Unit deviances d(y, μ) (R's ``dev.resids`` with unit weights); ``y`` is assumed valid.

        Parameters
        ----------
        y
            Responses (successes for the binomial).
        mu
            Means (success probabilities for bernoulli and binomial).
        trials
            Number of trials per row; binomial only.
        aux
            Auxiliary-parameter values by name: the Student-t needs ``sigma`` and ``nu``, the
            negative binomial ``alpha``, the beta ``kappa``.
        """
        y_arr = np.asarray(y, dtype=float)
        n = self._trials(trials)
        values = self._aux_values(aux, self.deviance_needs, purpose="the deviance")
        return self.unit_deviance_fn(y_arr, np.asarray(mu, dtype=float), n, values)

    def deviance_residuals(
        self,
        y: ArrayLike,
        mu: ArrayLike,
        *,
        weights: ArrayLike | None = None,
        trials: ArrayLike | None = None,
        aux: AuxValues | None = None,
    ) -> Array:
        """Signed square roots of the weighted unit deviances, sign(y − E y)·√(w·d(y, μ)).

        Parameters are those of :meth:`unit_deviance`, plus ``weights``, non-negative prior
        weights (one per row; default 1).
        """
        y_arr = np.asarray(y, dtype=float)
        d = np.maximum(self.unit_deviance(y_arr, mu, trials=trials, aux=aux), 0.0)
        if weights is not None:
            d = d * check_weights(weights, size=y_arr.size)
        expected = np.asarray(mu, dtype=float)
        if trials is not None:
            expected = expected * np.asarray(trials, dtype=float)
        return np.sign(y_arr - expected) * np.sqrt(d)

    def deviance(
        self,
        y: ArrayLike,
        mu: ArrayLike,
        *,
        weights: ArrayLike | None = None,
        trials: ArrayLike | None = None,
        aux: AuxValues | None = None,
    ) -> float:
        """Total deviance Σ w·d(y, μ); arguments as in :meth:`deviance_residuals`."""
        d = np.maximum(self.unit_deviance(y, mu, trials=trials, aux=aux), 0.0)
        if weights is not None:
            d = d * check_weights(weights, size=np.asarray(y).size)
        return float(np.sum(d))

    def validate_response(
        self,
        y: ArrayLike,
        *,
        trials: ArrayLike | None = None,
        name: str = "y",
        row_labels: Sequence[object] | None = None,
    ) -> None:
        """Check that ``y`` is a valid response for this family.

        Parameters
        ----------
        y
            Response values (successes for the binomial).
        trials
            Number of trials per row: required for the binomial, refused otherwise.
        name
            Name of the response in the messages.
        row_labels
            Labels of the rows (e.g. the data frame index) to show instead of row positions.

        Raises
        ------
        DataError
            Naming the response, the offending rows (the first few) and what was expected.
        """
        check_response(
            y,
            kind=self.response_kind,
            family=self.name,
            uses_trials=self.uses_trials,
            trials=trials,
            name=name,
            row_labels=row_labels,
        )

    def _trials(self, trials: ArrayLike | None) -> Array | None:
        if self.uses_trials and trials is None:
            raise DataError(f"family {self.name!r} needs trials; got trials=None")
        if trials is None:
            return None
        n = as_vector(trials, what="trials")
        if not self.uses_trials:
            raise DataError(f"family {self.name!r} takes no trials; got trials for {n.size} rows")
        return n

    def _aux_values(
        self, aux: AuxValues | None, needed: tuple[str, ...], *, purpose: str
    ) -> dict[str, Array]:
        aux = dict(aux or {})
        unknown = sorted(set(aux) - set(self.aux_names))
        if unknown:
            raise FamilyError(
                f"unknown auxiliary parameter(s) {unknown} for family {self.name!r}; "
                f"it has {list(self.aux_names)}"
            )
        missing = [key for key in needed if key not in aux]
        if missing:
            raise FamilyError(
                f"family {self.name!r} needs aux values for {missing} to compute {purpose}; "
                f"got {sorted(aux)}"
            )
        values = {key: np.asarray(value, dtype=float) for key, value in aux.items()}
        for key, value in values.items():
            bad = value[~(np.isfinite(value) & (value > 0))]
            if bad.size:
                shown = ", ".join(f"{v:g}" for v in bad[:5]) + (", ..." if bad.size > 5 else "")
                raise FamilyError(
                    f"auxiliary parameter {key!r} of family {self.name!r} must be finite and "
                    f"positive; got {shown}"
                )
        return values


_SIGMA = AuxParam("sigma", "residual standard deviation")
_NU = AuxParam("nu", "Student-t degrees of freedom")
_NB_ALPHA = AuxParam("alpha", "negative-binomial shape: Var(y) = mu + mu^2 / alpha")
_GAMMA_ALPHA = AuxParam("alpha", "gamma shape: Var(y) = mu^2 / alpha")
_KAPPA = AuxParam("kappa", "beta precision: Var(y) = mu (1 - mu) / (1 + kappa)")
_BINARY_LINKS = ("logit", "probit", "cloglog")


def _family(
    name: str,
    links: tuple[str, ...],
    *,
    canonical: str | None,
    kind: str,
    aux: tuple[AuxParam, ...] = (),
    dispersion: bool,
    variance: Callable[[Array, Mapping[str, Array]], Array],
    deviance: Callable[..., Array],
    variance_needs: tuple[str, ...] = (),
    deviance_needs: tuple[str, ...] = (),
) -> Family:
    """One row of the family table; the first link listed is the default."""
    return Family(
        name=name,
        links=links,
        default_link=links[0],
        canonical_link=canonical,
        response_kind=kind,
        aux_params=aux,
        has_dispersion=dispersion,
        uses_trials=kind == "binomial",
        link=LINKS[links[0]],
        variance_fn=variance,
        unit_deviance_fn=deviance,
        variance_needs=variance_needs,
        deviance_needs=deviance_needs,
    )


_TABLE = (
    _family(
        "gaussian",
        ("identity", "log"),
        canonical="identity",
        kind="real",
        aux=(_SIGMA,),
        dispersion=True,
        variance=_maths.constant_variance,
        deviance=_maths.gaussian_deviance,
    ),
    _family(
        "student_t",
        ("identity", "log"),
        canonical=None,
        kind="real",
        aux=(_SIGMA, _NU),
        dispersion=True,
        variance=_maths.constant_variance,
        deviance=_maths.student_t_deviance,
        deviance_needs=("sigma", "nu"),
    ),
    _family(
        "bernoulli",
        _BINARY_LINKS,
        canonical="logit",
        kind="binary",
        dispersion=False,
        variance=_maths.binomial_variance,
        deviance=_maths.bernoulli_deviance,
    ),
    _family(
        "binomial",
        _BINARY_LINKS,
        canonical="logit",
        kind="binomial",
        dispersion=False,
        variance=_maths.binomial_variance,
        deviance=_maths.binomial_deviance,
    ),
    _family(
        "poisson",
        ("log",),
        canonical="log",
        kind="count",
        dispersion=False,
        variance=_maths.poisson_variance,
        deviance=_maths.poisson_deviance,
    ),
    _family(
        "negative_binomial",
        ("log",),
        canonical=None,
        kind="count",
        aux=(_NB_ALPHA,),
        dispersion=False,
        variance=_maths.negative_binomial_variance,
        deviance=_maths.negative_binomial_deviance,
        variance_needs=("alpha",),
        deviance_needs=("alpha",),
    ),
    _family(
        "gamma",
        ("log", "inverse"),
        canonical="inverse",
        kind="positive",
        aux=(_GAMMA_ALPHA,),
        dispersion=True,
        variance=_maths.gamma_variance,
        deviance=_maths.gamma_deviance,
    ),
    _family(
        "beta",
        ("logit",),
        canonical=None,
        kind="unit_interval",
        aux=(_KAPPA,),
        dispersion=True,
        variance=_maths.binomial_variance,
        deviance=_maths.beta_deviance,
        deviance_needs=("kappa",),
    ),
)

FAMILIES: dict[str, Family] = {family.name: family for family in _TABLE}
"""The registered families, by name, each with its default link."""

FAMILY_ALIASES: dict[str, str] = {
    "normal": "gaussian",
    "negbin": "negative_binomial",
    "negativebinomial": "negative_binomial",
    "student": "student_t",
    "studentt": "student_t",
}
"""Other accepted spellings of family names."""


def get_family(name: str, link: str | Link | None = None) -> Family:
    """Return the family called ``name`` with ``link`` (its default link when ``None``).

    Parameters
    ----------
    name
        A key of :data:`FAMILIES` or :data:`FAMILY_ALIASES`, case-insensitive
        (``"Gaussian"``, ``"negative-binomial"`` work).
    link
        Name of a link the family supports.

    Raises
    ------
    FamilyError
        If the family is unknown (the message lists the valid names and suggests a close one) or
        does not support ``link`` (the message lists the links it supports).

    Examples
    --------
    >>> get_family("normal")
    Family('gaussian', link='identity')
    """
    key = resolve_name(name, what="family", choices=FAMILIES, aliases=FAMILY_ALIASES)
    family = FAMILIES[key]
    return family if link is None else family.with_link(link)
