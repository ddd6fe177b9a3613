"""Distributions of the random effects u of a hierarchical GLM, with their link v = v(u).

Lee & Nelder's HGLMs pair a response family with a conjugate-type distribution for the random
effects; the h-likelihood algorithm needs, per random family and link,

* the pseudo-response ψ = E(u) of the augmented GLM and the variance function V(u);
* v(u), u(v) and du/dv, the link of the random effects;
* the deviance component d(ψ, u) that the dispersion GLM for λ is fitted to;
* log f(u; λ) (the density on the u scale) and log |du/dv|, for the h-likelihood.

=========================  ========  =====  ===========  ==============================
random family              link      ψ      V(u)         deviance component d(ψ, u)
=========================  ========  =====  ===========  ==============================
gaussian  N(0, λ)          identity  0      1            u²
gamma     E u = 1, var λ   log       1      u            2(u − 1 − log u)
beta      Beta(α, α)       logit     1/2    u(1 − u)     −log(4u(1 − u)),  α = 1/(2λ)
inverse_gamma              inverse,  1      u²           2[log u + (1 − u)/u]
  IG(1 + 1/λ, 1/λ)         log
=========================  ========  =====  ===========  ==============================

The gamma random family has variance function u (not u²): R's ``hglm`` calls it ``GAMMA``, the
"Poisson-like" deviance of a gamma effect with mean 1 and variance λ.

Examples
--------
>>> family = get_random_family("gamma")
>>> family.link, family.psi
('log', 1.0)
>>> float(family.deviance(np.array([1.0]))[0])
0.0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special

from bayesml.errors import FamilyError, SpecError
from bayesml.families._names import normalise_name

__all__ = [
    "DEFAULT_RANDOM_FAMILY",
    "RANDOM_FAMILIES",
    "RANDOM_FAMILY_ALIASES",
    "RandomFamily",
    "get_random_family",
    "random_families_for",
    "random_family_from_label",
    "supported_random_families",
]

Array = NDArray[np.float64]
_Fn = Callable[[Array], Array]
_Density = Callable[[Array, Array], Array]

DEFAULT_RANDOM_FAMILY = "gaussian"
"""The distribution of the random effects unless another is asked for."""

# u is kept inside (0, 1) for the beta family and positive for gamma / inverse gamma
_EPS = float(np.finfo(float).eps)
_TINY = 1e-300


@dataclass(frozen=True)
class RandomFamily:
    """A distribution of the random effects u with the link v = v(u).

    Attributes
    ----------
    name
        Registry name: ``"gaussian"``, ``"gamma"``, ``"beta"``, ``"inverse_gamma"``.
    link
        Name of the link v(u).
    """

    name: str
    link: str

    @property
    def psi(self) -> float:
        """E(u), the pseudo-response of the random rows of the augmented GLM."""
        return _DISTRIBUTIONS[self.name][0]

    def u_of_v(self, v: Array) -> Array:
        """The random effects on the u scale, u = v⁻¹(v)."""
        return _LINKS[self.link][0](np.asarray(v, dtype=float))

    def v_of_u(self, u: Array) -> Array:
        """The linear-predictor scale v = v(u)."""
        return _LINKS[self.link][1](np.asarray(u, dtype=float))

    def du_dv(self, v: Array) -> Array:
        """Derivative du/dv as a function of v."""
        return _LINKS[self.link][2](np.asarray(v, dtype=float))

    def variance(self, u: Array) -> Array:
        """Variance function V(u) of the random effects."""
        return _DISTRIBUTIONS[self.name][1](np.asarray(u, dtype=float))

    def deviance(self, u: Array) -> Array:
        """Deviance components d(ψ, u) ≥ 0, zero at u = ψ."""
        return _DISTRIBUTIONS[self.name][2](np.asarray(u, dtype=float))

    def log_density(self, u: Array, lam: Array) -> Array:
        """log f(u; λ), the density of u with mean ψ and dispersion λ (on the u scale)."""
        log_density = _DISTRIBUTIONS[self.name][3]
        return log_density(np.asarray(u, dtype=float), np.asarray(lam, dtype=float))

    def log_abs_du_dv(self, v: Array) -> Array:
        """log |du/dv|, the Jacobian that turns f(u) into the density of v."""
        return np.log(np.abs(self.du_dv(v)))

    def draw(self, rng: np.random.Generator, lam: Array, size: tuple[int, ...]) -> Array:
        """Draws of u with mean ψ and dispersion λ (broadcast to ``size``), on the u scale.

        gaussian N(0, λ); gamma Gamma(shape 1/λ, rate 1/λ) (mean 1, variance λ); beta
        Beta(α, α) with α = 1/(2λ) (mean 1/2, variance λ / (4(1 + λ))); inverse_gamma
        IG(1 + 1/λ, 1/λ) (mean 1, variance λ / (1 − λ) for λ < 1). Use :meth:`v_of_u` for the
        linear-predictor scale.
        """
        lam = np.broadcast_to(np.asarray(lam, dtype=float), size)
        return _DRAWS[self.name](rng, lam)

    @property
    def v_at_mean(self) -> float:
        """v(ψ), the linear-predictor value of an effect at its mean u = E(u): 0 for gaussian,
        gamma(log), beta(logit) and inverse_gamma(log); 1 for inverse_gamma(inverse)."""
        return float(self.v_of_u(np.array([self.psi]))[0])

    def meaning(self, sd: str = "sd") -> str:
        """What λ (and ``sd`` = √λ in the Bayesian models, named ``sd``) is for this family, in
        words: ``"v = log u, u ~ gamma with mean 1 and variance lambda = sd^2"``."""
        return _MEANINGS[self.name].format(v=_V_TEXT[self.link], sd=sd)

    @property
    def is_gaussian(self) -> bool:
        """Whether u ~ N(0, λ) (the random family of linear mixed models and of glmer)."""
        return self.name == DEFAULT_RANDOM_FAMILY

    @property
    def label(self) -> str:
        """``"gamma(log)"``: the name and link, as in summaries."""
        return f"{self.name}({self.link})"


# -- the densities ------------------------------------------------------------------------------
def _gaussian_log_density(u: Array, lam: Array) -> Array:
    return -0.5 * np.log(2.0 * np.pi * lam) - u**2 / (2.0 * lam)


def _gamma_log_density(u: Array, lam: Array) -> Array:
    shape = 1.0 / lam  # Gamma(shape 1/λ, rate 1/λ): mean 1, variance λ
    return shape * np.log(shape) - special.gammaln(shape) + (shape - 1.0) * np.log(u) - shape * u


def _beta_log_density(u: Array, lam: Array) -> Array:
    alpha = 1.0 / (2.0 * lam)  # Beta(α, α): mean 1/2, variance λ / (4(1 + λ))
    return -special.betaln(alpha, alpha) + (alpha - 1.0) * (np.log(u) + np.log1p(-u))


def _inverse_gamma_log_density(u: Array, lam: Array) -> Array:
    shape, scale = 1.0 + 1.0 / lam, 1.0 / lam  # mean scale / (shape - 1) = 1
    return shape * np.log(scale) - special.gammaln(shape) - (shape + 1.0) * np.log(u) - scale / u


# -- the table ----------------------------------------------------------------------------------
def _clip_unit(u: Array) -> Array:
    return np.clip(u, _EPS, 1.0 - _EPS)


def _positive(u: Array) -> Array:
    return np.maximum(u, _TINY)


def _inverse_gamma_deviance(u: Array) -> Array:
    u = _positive(u)
    return 2.0 * (np.log(u) + (1.0 - u) / u)


#: link name -> (u(v), v(u), du/dv)
_LINKS: dict[str, tuple[_Fn, _Fn, _Fn]] = {
    "identity": (lambda v: v.copy(), lambda u: u.copy(), np.ones_like),
    "log": (
        lambda v: _positive(np.exp(v)),
        lambda u: np.log(_positive(u)),
        lambda v: _positive(np.exp(v)),
    ),
    "logit": (
        lambda v: _clip_unit(special.expit(v)),
        lambda u: special.logit(_clip_unit(u)),
        lambda v: _clip_unit(special.expit(v)) * _clip_unit(special.expit(-v)),
    ),
    "inverse": (
        lambda v: 1.0 / _positive(v),
        lambda u: 1.0 / _positive(u),
        lambda v: -1.0 / _positive(v) ** 2,
    ),
}

#: distribution name -> (ψ, V(u), d(ψ, u), log f(u; λ))
_DISTRIBUTIONS: dict[str, tuple[float, _Fn, _Fn, _Density]] = {
    "gaussian": (0.0, np.ones_like, lambda u: u**2, _gaussian_log_density),
    "gamma": (
        1.0,
        lambda u: u.copy(),
        lambda u: 2.0 * (u - 1.0 - np.log(_positive(u))),
        _gamma_log_density,
    ),
    "beta": (
        0.5,
        lambda u: u * (1.0 - u),
        lambda u: -np.log(4.0 * u * (1.0 - u)),
        _beta_log_density,
    ),
    "inverse_gamma": (1.0, lambda u: u**2, _inverse_gamma_deviance, _inverse_gamma_log_density),
}


#: distribution name -> draw(rng, λ) of u with λ's shape
_DRAWS: dict[str, Callable[[np.random.Generator, Array], Array]] = {
    "gaussian": lambda rng, lam: rng.normal(0.0, np.sqrt(lam)),
    "gamma": lambda rng, lam: _positive(rng.gamma(1.0 / lam, lam)),
    "beta": lambda rng, lam: _clip_unit(rng.beta(1.0 / (2.0 * lam), 1.0 / (2.0 * lam))),
    # u = 1 / X with X ~ Gamma(shape 1 + 1/λ, rate 1/λ)
    "inverse_gamma": lambda rng, lam: 1.0 / _positive(rng.gamma(1.0 + 1.0 / lam, lam)),
}

#: link name -> v in terms of u, for :attr:`RandomFamily.meaning`
_V_TEXT = {"identity": "v = u", "log": "v = log u", "logit": "v = logit u", "inverse": "v = 1/u"}

#: distribution name -> what λ means, with {v} the link
_MEANINGS = {
    "gaussian": "{v} ~ normal(0, lambda), lambda = {sd}^2",
    "gamma": "{v}, u ~ gamma with mean 1 and variance lambda = {sd}^2",
    "beta": "{v}, u ~ beta(a, a) with a = 1/(2 lambda), lambda = {sd}^2 (mean 1/2, variance "
    "lambda/(4(1 + lambda)))",
    "inverse_gamma": "{v}, u ~ inverse-gamma(1 + 1/lambda, 1/lambda) with mean 1, lambda = {sd}^2 "
    "(variance lambda/(1 - lambda) for lambda < 1)",
}

#: random family -> its links, the first being the default
_SUPPORTED: dict[str, tuple[str, ...]] = {
    "gaussian": ("identity",),
    "gamma": ("log",),
    "beta": ("logit",),
    "inverse_gamma": ("inverse", "log"),
}

RANDOM_FAMILIES: dict[str, dict[str, RandomFamily]] = {
    name: {link: RandomFamily(name, link) for link in links} for name, links in _SUPPORTED.items()
}
"""Random family name -> link name -> :class:`RandomFamily`; the first link is the default."""

RANDOM_FAMILY_ALIASES: dict[str, str] = {
    "normal": "gaussian",
    "inverse.gamma": "inverse_gamma",
    "inversegamma": "inverse_gamma",
}
"""Other accepted spellings (R's ``Gamma``, ``Beta``, ``inverse.gamma`` match case-insensitively)."""


def supported_random_families() -> list[str]:
    """``["beta(logit)", "gamma(log)", ...]``: every supported random family and link."""
    return sorted(f"{name}({link})" for name, links in RANDOM_FAMILIES.items() for link in links)


def get_random_family(name: str | RandomFamily, link: str | None = None) -> RandomFamily:
    """Return the random family ``name`` with ``link`` (its default link when ``None``).

    Parameters
    ----------
    name
        ``"gaussian"``, ``"gamma"``, ``"beta"`` or ``"inverse_gamma"`` (case-insensitive; R's
        spellings ``"Gamma"``, ``"Beta"``, ``"inverse.gamma"`` work), or a :class:`RandomFamily`.
    link
        A link the family supports: identity (gaussian), log (gamma), logit (beta), inverse or
        log (inverse_gamma).

    Raises
    ------
    FamilyError
        If the family or the family/link combination is not supported; the message lists every
        supported combination.

    Examples
    --------
    >>> get_random_family("inverse.gamma", link="log").label
    'inverse_gamma(log)'
    """
    if isinstance(name, RandomFamily):
        if link is not None and link != name.link:
            return get_random_family(name.name, link)
        return name
    key = normalise_name(name, what="random family")
    key = RANDOM_FAMILY_ALIASES.get(key, key)
    if key not in RANDOM_FAMILIES:
        raise FamilyError(
            f"unknown random family {name!r}; supported random families (link): "
            f"{supported_random_families()}"
        )
    links = RANDOM_FAMILIES[key]
    if link is None:
        return next(iter(links.values()))
    link_key = normalise_name(link, what="link")
    if link_key not in links:
        raise FamilyError(
            f"random family {key!r} does not support link {link!r}; supported random families "
            f"(link): {supported_random_families()}"
        )
    return links[link_key]


def random_family_from_label(label: str | RandomFamily) -> RandomFamily:
    """A random family from ``"gamma"``, ``"inverse_gamma(log)"`` (its :attr:`RandomFamily.label`)
    or a :class:`RandomFamily` itself.

    Raises
    ------
    FamilyError
        For anything else, or an unknown family or link.
    """
    if isinstance(label, RandomFamily):
        return label
    if not isinstance(label, str):
        raise FamilyError(
            f"a random family must be a name such as 'gamma' or 'inverse_gamma(log)'; got {label!r}"
        )
    text = label.strip()
    if text.endswith(")") and "(" in text:
        name, link = text[:-1].split("(", 1)
        return get_random_family(name.strip(), link.strip() or None)
    return get_random_family(text)


def random_families_for(spec: Any, names: list[str]) -> list[RandomFamily]:
    """One random family per term of ``names``, from one spec, a sequence or a mapping by name.

    Raises
    ------
    SpecError
        For a sequence of the wrong length or a mapping naming unknown terms.
    FamilyError
        For an unknown family or link, or a spec of the wrong type.
    """
    if isinstance(spec, str | RandomFamily):
        return [random_family_from_label(spec)] * len(names)
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise SpecError(
                f"random_family names unknown random term(s) {unknown}; the terms are {names}"
            )
        return [random_family_from_label(spec.get(name, DEFAULT_RANDOM_FAMILY)) for name in names]
    if not isinstance(spec, Sequence):
        raise FamilyError(
            f"random_family must be a name such as 'gamma', one per random term, or a mapping from "
            f"term name to family; got {spec!r}"
        )
    specs = list(spec)
    if len(specs) != len(names):
        raise SpecError(
            f"random_family gives {len(specs)} families for {len(names)} random terms {names}; give "
            "one family, one per term, or a mapping from term name to family"
        )
    return [random_family_from_label(item) for item in specs]
