"""The one seam every backend plugs into: what it receives, how it declares itself, its options.

A backend is an object with

* ``name`` — the ``method=`` of :meth:`bayesml.Model.sample` or :meth:`bayesml.Model.fit`;
* ``kind`` — ``"sampling"`` (a posterior, as an ``xarray.DataTree``) or ``"fitting"`` (point
  estimates);
* ``supported_families()`` — family name → the links it fits, checked (by
  :func:`bayesml.backends.registry.check_supports`) before the backend does any work;
* ``options(**given)`` — its options as a frozen dataclass, validated once (unknown names are
  refused with the list of valid ones);
* ``run(model, options)`` — the result, from a :class:`ModelInputs`.

It is registered by name in :mod:`bayesml.backends.registry`, which imports it lazily, so that
``import bayesml`` does not import PyMC. Sampling backends take the options every sampler shares
(:class:`SamplingOptions`: draws, tune, chains, seed, ...) plus their own, given to
:meth:`bayesml.Model.sample` as ``sampler_kwargs``; fitting backends take their options as
keyword arguments of :meth:`bayesml.Model.fit`.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeVar

import numpy as np

from bayesml.errors import ArgumentError, ArgumentTypeError
from bayesml.families import DEFAULT_RANDOM_FAMILY
from bayesml.results.loglik import check_log_likelihood_setting, resolve_log_likelihood

if TYPE_CHECKING:
    import pandas as pd

    from bayesml.design import ModelDesign
    from bayesml.families import Family
    from bayesml.priors import ResolvedPriors

__all__ = [
    "Backend",
    "supports_family",
    "unsupported_family_message",
    "BackendOptions",
    "ModelInputs",
    "SAMPLING_DEFAULTS",
    "BackendBase",
    "SamplingOptions",
    "check_count",
    "check_seed",
    "record_timings",
    "resolve_progressbar",
    "watched",
]

Kind = Literal["sampling", "fitting"]
OptionsT = TypeVar("OptionsT", bound="BackendOptions")


@dataclass(frozen=True, eq=False)
class ModelInputs:
    """Everything a backend receives about one model.

    Attributes
    ----------
    design, priors, family
        The validated design, the priors in force and the family with its link.
    settings
        The model's options (the spec's ``options``: ``probit``, ``random_effects``, ...).
    data
        The data frame the design was built from (for further formulas, e.g. a dispersion
        model).
    cache
        State a backend keeps between runs of the same model (compiled graphs); a backend keys
        its entries by its own name.
    """

    design: ModelDesign
    priors: ResolvedPriors
    family: Family
    settings: Mapping[str, Any]
    data: pd.DataFrame
    cache: dict[str, Any] = field(default_factory=dict)


def check_count(name: str, value: object, minimum: int, *, where: str = "") -> int:
    """``value`` as an int >= ``minimum``, or an :class:`ArgumentError` naming ``name``.

    ``where`` says where the argument was given (``"sampler_kwargs"``).
    """
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < minimum:
        subject = f"{where}[{name!r}]" if where else name
        raise ArgumentError(f"{subject} must be an integer >= {minimum}; got {name}={value!r}")
    return int(value)


def check_seed(value: object) -> int | None:
    """A seed: None or an int >= 0."""
    return None if value is None else check_count("random_seed", value, 0)


_CI_OFF = ("", "0", "false", "no")


def watched() -> bool:
    """Whether a person is likely watching this process: not under CI (the ``CI`` environment
    variable set, as GitHub Actions, GitLab CI and most services set it), and either a Jupyter
    kernel (``ipykernel`` imported) or standard error a terminal.

    Output piped to a file or a log, and test runners that capture it, count as not watched.
    """
    if os.environ.get("CI", "").strip().lower() not in _CI_OFF:
        return False
    if "ipykernel" in sys.modules:
        return True
    stream = sys.stderr
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def resolve_progressbar(value: object, name: str = "progressbar") -> bool:
    """``progressbar`` as a bool: True or False as given, None (the default) by :func:`watched`.

    Raises
    ------
    ArgumentTypeError
        For anything else.
    """
    if value is None:
        return watched()
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ArgumentTypeError(
        f"{name} must be True, False or None (on where a person watches: a terminal or a "
        f"notebook, off under CI and pipes); got {name}={value!r}"
    )


@dataclass(frozen=True, kw_only=True)
class BackendOptions:
    """Base of every backend's options: built from keywords, checked on construction.

    A field with ``metadata={"from_model": True}`` is set from the model, not by the user.
    """

    #: the ``method=`` these options belong to, and what they are called in messages
    method: ClassVar[str] = ""
    given_as: ClassVar[str] = "options"
    #: names users bring from other packages → what to write here (said when they are given)
    habits: ClassVar[Mapping[str, str]] = MappingProxyType({})

    @classmethod
    def from_mapping(cls: type[OptionsT], given: Mapping[str, Any], **common: Any) -> OptionsT:
        """The options from a user mapping (plus ``common`` keywords), refusing unknown names."""
        valid = {
            f.name for f in dataclasses.fields(cls) if f.init and not f.metadata.get("from_model")
        } - set(common)
        unknown = [name for name in given if name not in valid]
        if unknown:
            raise ArgumentError(_unknown_options_message(cls, unknown, valid))
        return cls(**common, **dict(given))


def _unknown_options_message(cls: type, unknown: list[str], valid: set[str]) -> str:
    message = (
        f"method={cls.method!r} has no option {', '.join(map(repr, unknown))} in {cls.given_as}; "
        f"its options: {', '.join(sorted(valid)) or 'none'}"
    )
    if unknown[0] in cls.habits:
        return message + f"; write {cls.habits[unknown[0]]}"
    close = difflib.get_close_matches(unknown[0], sorted(valid), n=1)
    return message + (f" (did you mean {close[0]!r}?)" if close else "")


@dataclass(frozen=True, kw_only=True)
class SamplingOptions(BackendOptions):
    """What every sampling backend takes, validated once here: ``draws``, ``tune``, ``chains``,
    ``random_seed``, ``progressbar``, ``log_prior`` and ``log_likelihood``, as
    :meth:`bayesml.Model.sample` documents them (defaults: :data:`SAMPLING_DEFAULTS`).
    ``progressbar=None`` becomes True or False here (:func:`resolve_progressbar`).

    ``log_likelihood`` is True, False or ``"auto"``; :meth:`store_log_likelihood` decides
    ``"auto"`` from the number of rows."""

    given_as: ClassVar[str] = "sampler_kwargs"

    draws: int
    tune: int
    chains: int
    random_seed: int | None
    progressbar: bool | None
    log_prior: bool
    log_likelihood: bool | Literal["auto"] = "auto"

    def __post_init__(self) -> None:
        for name, minimum in (("draws", 1), ("tune", 0), ("chains", 1)):
            object.__setattr__(self, name, check_count(name, getattr(self, name), minimum))
        object.__setattr__(self, "random_seed", check_seed(self.random_seed))
        object.__setattr__(self, "progressbar", resolve_progressbar(self.progressbar))
        object.__setattr__(
            self, "log_likelihood", check_log_likelihood_setting(self.log_likelihood)
        )

    def store_log_likelihood(self, n_obs: int) -> bool:
        """Whether to store the ``log_likelihood`` group of a model with ``n_obs`` rows
        (``"auto"``: up to :data:`~bayesml.results.loglik.AUTO_LOG_LIKELIHOOD_LIMIT` values,
        saying so when it does not; :func:`~bayesml.results.loglik.resolve_log_likelihood`)."""
        return resolve_log_likelihood(
            self.log_likelihood, chains=self.chains, draws=self.draws, n_obs=n_obs
        )

    def run_settings(self) -> dict[str, Any]:
        """Draws, warm-up, chains, seed and progress bar: what every sampler's loop takes."""
        names = ("draws", "tune", "chains", "random_seed", "progressbar")
        return {name: getattr(self, name) for name in names}


SAMPLING_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    dict(
        draws=1000,
        tune=1000,
        chains=4,
        random_seed=None,
        progressbar=None,
        log_prior=True,
        log_likelihood="auto",
    )
)
"""The defaults of :class:`SamplingOptions` (those of :meth:`bayesml.Model.sample`)."""


def record_timings(tree: Any, *, compile_seconds: float, sampling_seconds: float) -> None:
    """Store how long a fit spent before its first draw and drawing, in seconds, as the
    ``sample_stats`` attributes ``compile_seconds`` and ``sampling_seconds``.

    ``compile_seconds`` is the time to build what the sampler runs (a PyMC graph and its
    compiled log density, a Gibbs problem's arrays); ``sampling_seconds`` the time of the chains,
    warm-up included. Neither counts building the result (log-likelihood, log prior).
    """
    if "sample_stats" not in tree.children:
        import xarray as xr

        tree["sample_stats"] = xr.Dataset()
    tree["sample_stats"].attrs.update(
        {
            "compile_seconds": float(max(compile_seconds, 0.0)),
            "sampling_seconds": float(max(sampling_seconds, 0.0)),
        }
    )


def supports_family(supported: Mapping[str, tuple[str, ...]], family: Family) -> bool:
    """Whether ``family`` with its link is in a backend's table of supported families."""
    return family.link.name in supported.get(family.name, ())


def unsupported_family_message(
    method: str,
    description: str,
    supported: Mapping[str, tuple[str, ...]],
    family: Family,
    instead: Sequence[str] = (),
) -> str:
    """The message of a backend that refuses a family: what it supports, what to use instead."""
    listed = ", ".join(f"{name}({', '.join(links)})" for name, links in supported.items())
    hint = f"; use {' or '.join(instead)}" if instead else ""
    return (
        f"method={method!r} ({description}) does not support family {family.name!r} with the "
        f"{family.link.name} link; it supports {listed}{hint}"
    )


class BackendBase:
    """What the registered backends share: their options built by ``options_type``."""

    options_type: ClassVar[type[BackendOptions]]

    def options(self, given: Mapping[str, Any], **common: Any) -> BackendOptions:
        """The backend's options from the user's mapping (plus the shared ``common`` ones)."""
        return self.options_type.from_mapping(given, **common)

    def random_families(self) -> frozenset[tuple[str, str]]:
        """The (random family, link) pairs of the random effects it fits: gaussian only unless
        the backend says otherwise."""
        return frozenset({(DEFAULT_RANDOM_FAMILY, "identity")})

    def parameter_formulas(self, family: Family) -> frozenset[str]:
        """The family parameters whose formulas (``zi=``, ``dispersion_formula=``) it fits:
        none unless the backend says otherwise."""
        return frozenset()


class Backend(Protocol):
    """What :mod:`bayesml.backends.registry` and :class:`bayesml.Model` expect of a backend."""

    name: str
    kind: Kind
    description: str

    def supported_families(self) -> Mapping[str, tuple[str, ...]]:
        """Family name -> the links this backend fits it with."""
        ...

    def options(self, given: Mapping[str, Any], **common: Any) -> BackendOptions:
        """This backend's options, validated (``common``: the shared sampling options)."""
        ...

    def run(self, model: ModelInputs, options: Any) -> Any:
        """Sample or fit ``model``."""
        ...
