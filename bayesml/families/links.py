"""Link functions g(μ) = η with their inverses and derivatives, in numpy.

Every function clips its argument to the domain where the formula is finite, the way R's
``make.link`` does, so that IWLS and the h-likelihood solver never see ``inf`` or ``nan``:

* links on a probability (logit, probit, cloglog) keep μ in ``[eps, 1 - eps]`` (``eps`` is the
  machine epsilon) and floor dμ/dη at ``eps``, as R's ``binomial()`` links do;
* links on a positive mean (log, inverse) keep μ (and η for the inverse link) at or above
  ``tiny ** (1/3)`` ≈ 2.8e-103, so that 1/μ³ still is a finite number, and the log link keeps
  exp(η) finite.

Examples
--------
>>> link = get_link("logit")
>>> float(link.link(0.5)), float(link.inverse(0.0))
(0.0, 0.5)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from bayesml.families._names import resolve_name

__all__ = ["Link", "LINKS", "get_link"]

Array = NDArray[np.float64]
_Fn = Callable[[Array], Array]

_EPS = float(np.finfo(float).eps)
_POSITIVE_FLOOR = float(np.finfo(float).tiny ** (1 / 3))
_MAX_EXP_ARG = float(np.log(np.finfo(float).max))
_LOG_POSITIVE_FLOOR = float(np.log(_POSITIVE_FLOOR))


@dataclass(frozen=True)
class Link:
    """A link function η = g(μ) and the maths that fitting algorithms need.

    Parameters
    ----------
    name
        Registry name, e.g. ``"logit"``.
    mu_domain
        Human-readable domain of μ, e.g. ``"(0, 1)"``.
    clip_mu, clip_eta
        Bring μ (resp. η) inside the range where the formulas below are finite.
    link_fn, inverse_fn, dmu_deta_fn, deta_dmu_fn, d2eta_dmu2_fn
        g, g⁻¹, dμ/dη as a function of η, dη/dμ = g'(μ) and d²η/dμ² = g''(μ), applied to clipped
        arguments.
    """

    name: str
    mu_domain: str
    clip_mu: _Fn = field(repr=False, compare=False)
    clip_eta: _Fn = field(repr=False, compare=False)
    link_fn: _Fn = field(repr=False, compare=False)
    inverse_fn: _Fn = field(repr=False, compare=False)
    dmu_deta_fn: _Fn = field(repr=False, compare=False)
    deta_dmu_fn: _Fn = field(repr=False, compare=False)
    d2eta_dmu2_fn: _Fn = field(repr=False, compare=False)

    def link(self, mu: ArrayLike) -> Array:
        """Linear predictor η = g(μ)."""
        return self.link_fn(self.clip_mu(_as_float(mu)))

    def inverse(self, eta: ArrayLike) -> Array:
        """Mean μ = g⁻¹(η), inside the clipped domain of μ."""
        return self.clip_mu(self.inverse_fn(self.clip_eta(_as_float(eta))))

    def dmu_deta(self, eta: ArrayLike) -> Array:
        """Derivative dμ/dη = 1 / g'(μ), as a function of η."""
        return self.dmu_deta_fn(self.clip_eta(_as_float(eta)))

    def deta_dmu(self, mu: ArrayLike) -> Array:
        """Derivative dη/dμ = g'(μ)."""
        return self.deta_dmu_fn(self.clip_mu(_as_float(mu)))

    def d2eta_dmu2(self, mu: ArrayLike) -> Array:
        """Second derivative d²η/dμ² = g''(μ) (used by the h-likelihood HL(1,1) correction)."""
        return self.d2eta_dmu2_fn(self.clip_mu(_as_float(mu)))


def get_link(name: str) -> Link:
    """Return the registered :class:`Link` called ``name`` (case-insensitive).

    Raises
    ------
    FamilyError
        If no link has that name; the message lists the valid names.

    Examples
    --------
    >>> get_link("log").name
    'log'
    """
    return LINKS[resolve_name(name, what="link", choices=LINKS)]


def _as_float(x: ArrayLike) -> Array:
    return np.asarray(x, dtype=float)


def _no_clip(x: Array) -> Array:
    return x


def _clip_probability(mu: Array) -> Array:
    return np.clip(mu, _EPS, 1.0 - _EPS)


def _clip_positive(x: Array) -> Array:
    return np.maximum(x, _POSITIVE_FLOOR)


def _clip_log_eta(eta: Array) -> Array:
    return np.clip(eta, _LOG_POSITIVE_FLOOR, _MAX_EXP_ARG)


def _clip_cloglog_eta(eta: Array) -> Array:
    # exp(eta) must stay finite; beyond ~4, 1 - exp(-exp(eta)) already rounds to 1.
    return np.minimum(eta, _MAX_EXP_ARG)


def _floor_eps(x: Array) -> Array:
    return np.maximum(x, _EPS)


def _identity_link() -> Link:
    return Link(
        name="identity",
        mu_domain="(-inf, inf)",
        clip_mu=_no_clip,
        clip_eta=_no_clip,
        link_fn=lambda mu: mu.copy(),
        inverse_fn=lambda eta: eta.copy(),
        dmu_deta_fn=np.ones_like,
        deta_dmu_fn=np.ones_like,
        d2eta_dmu2_fn=np.zeros_like,
    )


def _probability_link(
    name: str,
    *,
    link: _Fn,
    inverse: _Fn,
    density: _Fn,
    deta_dmu: _Fn,
    d2eta_dmu2: _Fn,
    clip_eta: _Fn = _no_clip,
) -> Link:
    """A link of a probability, as R's ``binomial()`` links: μ kept in ``[eps, 1 - eps]`` and
    dμ/dη, the ``density`` at η of the latent variable whose CDF is the inverse link, floored at
    ``eps``."""

    def dmu_deta(eta: Array) -> Array:
        return _floor_eps(density(eta))

    return Link(
        name, "(0, 1)", _clip_probability, clip_eta, link, inverse, dmu_deta, deta_dmu, d2eta_dmu2
    )


def _positive_link(
    name: str,
    *,
    clip_eta: _Fn,
    link: _Fn,
    inverse: _Fn,
    dmu_deta: _Fn,
    deta_dmu: _Fn,
    d2eta_dmu2: _Fn,
) -> Link:
    """A link of a positive mean: μ kept at or above ``tiny ** (1/3)``."""
    return Link(
        name, "(0, inf)", _clip_positive, clip_eta, link, inverse, dmu_deta, deta_dmu, d2eta_dmu2
    )


def _log_link() -> Link:
    return _positive_link(
        "log",
        clip_eta=_clip_log_eta,
        link=np.log,
        inverse=np.exp,
        dmu_deta=np.exp,
        deta_dmu=lambda mu: 1.0 / mu,
        d2eta_dmu2=lambda mu: -((1.0 / mu) ** 2),
    )


def _logit_link() -> Link:
    return _probability_link(
        "logit",
        link=lambda mu: np.log(mu) - np.log1p(-mu),
        inverse=special.expit,
        density=lambda eta: special.expit(eta) * special.expit(-eta),
        deta_dmu=lambda mu: 1.0 / (mu * (1.0 - mu)),
        d2eta_dmu2=lambda mu: (2.0 * mu - 1.0) / (mu * (1.0 - mu)) ** 2,
    )


def _normal_density(x: Array) -> Array:
    return np.exp(-0.5 * x**2) / np.sqrt(2.0 * np.pi)


def _probit_link() -> Link:
    def d2eta_dmu2(mu: Array) -> Array:
        eta = special.ndtri(mu)
        return eta / _normal_density(eta) ** 2

    return _probability_link(
        "probit",
        link=special.ndtri,
        inverse=special.ndtr,
        density=_normal_density,
        deta_dmu=lambda mu: 1.0 / _normal_density(special.ndtri(mu)),
        d2eta_dmu2=d2eta_dmu2,
    )


def _cloglog_link() -> Link:
    # With L = log(1 - μ) < 0: g(μ) = log(-L), g'(μ) = -1 / ((1 - μ) L),
    # g''(μ) = -(1 + L) / ((1 - μ)² L²).
    def d2eta_dmu2(mu: Array) -> Array:
        log_q = np.log1p(-mu)
        return -(1.0 + log_q) / ((1.0 - mu) * log_q) ** 2

    return _probability_link(
        "cloglog",
        link=lambda mu: np.log(-np.log1p(-mu)),
        inverse=lambda eta: -np.expm1(-np.exp(eta)),
        density=lambda eta: np.exp(eta - np.exp(eta)),
        deta_dmu=lambda mu: -1.0 / ((1.0 - mu) * np.log1p(-mu)),
        d2eta_dmu2=d2eta_dmu2,
        clip_eta=_clip_cloglog_eta,
    )


def _inverse_link() -> Link:
    return _positive_link(
        "inverse",
        clip_eta=_clip_positive,
        link=lambda mu: 1.0 / mu,
        inverse=lambda eta: 1.0 / eta,
        dmu_deta=lambda eta: -((1.0 / eta) ** 2),
        deta_dmu=lambda mu: -((1.0 / mu) ** 2),
        d2eta_dmu2=lambda mu: 2.0 * (1.0 / mu) ** 3,
    )


LINKS: dict[str, Link] = {
    link.name: link
    for link in (
        _identity_link(),
        _log_link(),
        _logit_link(),
        _probit_link(),
        _cloglog_link(),
        _inverse_link(),
    )
}
"""The registered links, by name."""
