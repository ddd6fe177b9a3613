"""Whether NUTS samples the random effects or integrates them out (no PyMC import).

``random_effects="auto"`` integrates them out where that is exact and cheap — a gaussian family
with the identity link, one grouping factor and gaussian random effects — and samples them
otherwise (gamma, beta and inverse-gamma random effects are always sampled); ``"integrated"``
insists (an error says why a model does not qualify); ``"sampled"`` always samples them, as the
graph of :attr:`bayesml.Model.pymc_model` does. See :mod:`bayesml.backends.pymc.marginal`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from bayesml.errors import ArgumentError, FamilyError

if TYPE_CHECKING:
    from bayesml.design import ModelDesign
    from bayesml.families import Family

__all__ = ["RANDOM_EFFECTS", "RandomEffects", "choose_random_effects", "integration_obstacle"]

RandomEffects = Literal["auto", "sampled", "integrated"]
RANDOM_EFFECTS: tuple[str, ...] = ("auto", "sampled", "integrated")

#: family -> the links whose random effects integrate out in closed form
INTEGRABLE_FAMILIES: dict[str, tuple[str, ...]] = {"gaussian": ("identity",)}


def integration_obstacle(
    design: ModelDesign, family: Family, *, latent: bool = False
) -> str | None:
    """Why the random effects of this model cannot be integrated out, or None when they can."""
    if not design.random:
        return "the model has no random effects"
    if latent:
        return "the latent probit form samples its latent variables"
    if getattr(design, "predictors", None):
        names = ", ".join(design.predictors)
        return f"the model has formulas for family parameters ({names})"
    others = [
        f"{block.name}: {block.random_family.label}"
        for block in design.random
        if not block.random_family.is_gaussian
    ]
    if others:
        return (
            "only gaussian random effects integrate out in closed form; this model has "
            f"non-gaussian ones ({', '.join(others)})"
        )
    if family.link.name not in INTEGRABLE_FAMILIES.get(family.name, ()):
        supported = ", ".join(
            f"{name} with the {' or '.join(links)} link" for name, links in INTEGRABLE_FAMILIES.items()
        )
        return (
            f"only a {supported} has random effects that integrate out in closed form; got "
            f"family={family.name!r}, link={family.link.name!r}"
        )
    if len(design.random) != 1:
        names = ", ".join(block.name for block in design.random)
        return (
            "it needs exactly one grouping factor (the levels' covariance is then "
            f"block-diagonal); this model has {len(design.random)}: {names}"
        )
    return None


def choose_random_effects(
    requested: str, design: ModelDesign, family: Family, *, latent: bool = False
) -> Literal["sampled", "integrated"]:
    """Resolve ``random_effects`` for a model: ``"sampled"`` or ``"integrated"``.

    Raises
    ------
    ArgumentError
        For a value other than ``"auto"``, ``"sampled"`` and ``"integrated"``.
    FamilyError
        For ``"integrated"`` where the effects do not integrate out, saying why.
    """
    if requested not in RANDOM_EFFECTS:
        raise ArgumentError(
            f"random_effects must be one of {list(RANDOM_EFFECTS)}; got random_effects={requested!r}"
        )
    if requested == "sampled":
        return "sampled"
    obstacle = integration_obstacle(design, family, latent=latent)
    if obstacle is None:
        return "integrated"
    if requested == "integrated":
        raise FamilyError(
            f"random_effects='integrated': the random effects cannot be integrated out: {obstacle}; "
            "use random_effects='sampled' or 'auto'"
        )
    return "sampled"
