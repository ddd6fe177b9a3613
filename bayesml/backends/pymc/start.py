"""Where NUTS starts and how it writes each random term: centred or non-centred, from a point fit.

No PyMC import at module level: the choice is numpy over the design, the family and a point fit
(:class:`bayesml.results.point.PointEstimates` of the Laplace fit, else the h-likelihood fit).

**Parameterisation.** A gaussian random term's effects can be written centred, ``u ~ N(0, sd)``,
or non-centred, ``u = sd · z`` with ``z ~ N(0, 1)``: the same posterior, but NUTS explores the
first well when each level's data pin its effect down (the posterior of u given sd is then
close to the likelihood's) and the second when they do not (the prior's funnel in (sd, u)
dominates) — Papaspiliopoulos, Roberts & Sköld (2007), Gorinova, Moore & Hoffman (2020).
``"auto"`` measures, for each level j of a term, the data's Fisher information about its
effect at the point fit, ``I_j = Σ_{i ∈ j} w_i x_ik²`` with ``w_i = −E[∂²ℓ_i/∂η_i²]``
(n_j · w̄ / φ for an exponential family), against the prior's precision 1 / sd²; the share of
the data in the conditional precision, ``κ_j = I_j sd² / (1 + I_j sd²)``, averaged over the
levels, chooses centred where it exceeds ½ (the data dominate) and non-centred otherwise.
Where other random terms are crossed with the factor (salamander mating's Female and Male),
their effects are unknown too: each row informs the factor's effect by ``1 / (1 / w_i + v_i)``,
``v_i`` the variance the other factors' effects keep given their own rows
(:func:`crossed_variance`), so that a crossed factor is centred only where its data dominate
with the others' effects integrated out (salamander mating: Female 0.54 → 0.52, centred; Male
0.51 → 0.49, non-centred, which reaches the targets where both centred did not at seed 1).

**Nested factors: hierarchical centring.** Random intercepts nested one within the next
(:func:`nesting_chains`: grouse ticks' LOCATION ⊃ BROOD ⊃ INDEX, epil's subject ⊃ obs) form a
chain. Centring them one by one, each around 0, leaves NUTS a ridge — a level's data inform the
sum of its effect and its ancestors', not each one (grouse ticks: R-hat 4 and above) — so in a
chain a centred block is centred *on its parent's total* (Gelfand, Sahu & Carlin 1995): its free
variable is the level's total effect ``_v_<group>_0 ~ N(parent total + absorbed fixed effects,
sd)``, and ``u_<group>`` is that less the parent's total (the builder's
``_chain_contribution``). The chain's coarsest centred block also takes into its mean the fixed
effects constant within its levels (the intercept, level-level covariates:
:func:`level_constant_columns`), which removes the intercept–effects ridge of a centred random
intercept. The posterior is unchanged (every shift has Jacobian 1). ``"auto"`` decides each
block of a chain from :func:`chain_shares`: bottom up, the finest level's information is the
rows' ``Σ w_i`` and a coarser level's the sum over its child levels of ``1 / (sd_child² + 1 /
I_child)`` (the child's effect integrated out), against ``1 / sd²`` as above. A chain whose
blocks are all non-centred is written as before. Other nested blocks (random slopes, a parent of
two nested factors) stay non-centred.

**Initial points.** Each chain starts at a draw from the point fit's approximate posterior:
β ~ N(β̂, vcov), each SD ŝ · exp(N(0, 0.2²)), each effect N(û, its conditional SD) where the
fit gives one (else û); the variables without an estimate keep the sampler's own start.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bayesml.errors import ArgumentError, ArgumentTypeError

if TYPE_CHECKING:
    from bayesml.backends.seam import ModelInputs
    from bayesml.design import ModelDesign, RandomBlock
    from bayesml.families import Family
    from bayesml.results.point import PointEstimates

__all__ = [
    "PARAMETERIZATIONS",
    "Start",
    "check_parameterization",
    "centring_block",
    "crossed_variance",
    "chain_shares",
    "choose_parameterization",
    "data_share",
    "first_rows",
    "level_constant_columns",
    "nested_with_another",
    "nesting_chains",
    "parent_levels",
    "parameterized_blocks",
    "point_start",
]

#: the values of ``Model(parameterization=...)``
PARAMETERIZATIONS = ("auto", "centered", "noncentered")

#: SD of the log-scale jitter of each chain's initial SDs around the point fit's
SD_JITTER = 0.2


@dataclass(frozen=True)
class Start:
    """A point fit as NUTS uses it: the estimates, η at them and the effects' conditional SDs.

    Attributes
    ----------
    estimates
        The point fit's estimates in the design's order.
    eta
        The linear predictor at the estimates, one value per row.
    method
        The fit they come from (``"laplace"`` or ``"hlik"``).
    effect_sds
        Per block, the conditional SD of each effect (levels, terms), where the fit gives them.
    """

    estimates: PointEstimates
    eta: np.ndarray
    method: str
    effect_sds: Mapping[str, np.ndarray] = field(default_factory=dict)


def parameterized_blocks(design: ModelDesign) -> list[RandomBlock]:
    """The random blocks whose parameterisation can be chosen: the gaussian terms of the mean's
    formula that are not a smooth's penalised block (those stay non-centred)."""
    return [
        block for block in design.random if block.random_family.is_gaussian and not block.shared_sd
    ]


def check_parameterization(value: Any, design: ModelDesign | None = None) -> Any:
    """Validate ``parameterization``: one of :data:`PARAMETERIZATIONS`, or a mapping from
    grouping factor to one of them (factors not named are ``"auto"``).

    Raises
    ------
    ArgumentTypeError
        For a value that is neither a string nor a mapping.
    ArgumentError
        For an unknown choice, or (given ``design``) a factor that is not a gaussian random
        term of the mean's formula.
    """
    if isinstance(value, str):
        if value not in PARAMETERIZATIONS:
            raise ArgumentError(
                f"parameterization must be one of {list(PARAMETERIZATIONS)} or a mapping from "
                f"grouping factor to one of them; got parameterization={value!r}"
            )
        return value
    if not isinstance(value, Mapping):
        raise ArgumentTypeError(
            f"parameterization must be a string ({', '.join(PARAMETERIZATIONS)}) or a mapping "
            f"from grouping factor to one; got {type(value).__name__}"
        )
    groups = None if design is None else [block.name for block in parameterized_blocks(design)]
    for group, choice in value.items():
        if choice not in PARAMETERIZATIONS:
            raise ArgumentError(
                f"parameterization[{group!r}] must be one of {list(PARAMETERIZATIONS)}; "
                f"got {choice!r}"
            )
        if groups is not None and group not in groups:
            raise ArgumentError(
                f"parameterization names grouping factor {group!r}, which is not a gaussian "
                f"random term of the formula; the factors are {groups}"
            )
    return dict(value)


def data_share(
    block: RandomBlock,
    family: Family,
    y: Any,
    eta: np.ndarray,
    sds: np.ndarray,
    *,
    other_variance: np.ndarray | None = None,
    **kwargs: Any,
) -> np.ndarray:
    """κ per term: the data's share of each level's conditional precision, averaged over levels.

    ``κ_jk = I_jk sd_k² / (1 + I_jk sd_k²)`` with ``I_jk = Σ_{i ∈ j} w_i x_ik²`` the Fisher
    information of the rows of level j about its effect of term k (``kwargs``: the family's
    ``params``, ``trials``, ``weights`` for :meth:`Family.eta_information`). ``other_variance``
    (one value per row: :func:`crossed_variance`) is the variance the other, crossed factors'
    effects leave in each row's η; a row then informs the effect by ``1 / (1 / w_i + v_i)``
    instead of ``w_i``.
    """
    weights = _row_information(family, y, eta, **kwargs)
    if other_variance is not None:
        weights = weights / (1.0 + weights * np.asarray(other_variance, dtype=float))
    term_matrix = np.asarray(block.term_matrix, dtype=float)
    index = np.asarray(block.group_index, dtype=int)
    shares = []
    for k in range(term_matrix.shape[1]):
        info = np.bincount(index, weights * term_matrix[:, k] ** 2, minlength=block.n_levels)
        ratio = info * float(sds[k]) ** 2
        shares.append(float(np.mean(ratio / (1.0 + ratio))))
    return np.asarray(shares)


def choose_parameterization(
    setting: Any, design: ModelDesign, family: Family, start: Start | None
) -> dict[str, str]:
    """Grouping factor -> ``"centered"`` or ``"noncentered"`` for each block of
    :func:`parameterized_blocks`.

    ``setting`` is the model's ``parameterization`` (checked by :func:`check_parameterization`).
    Under ``"auto"`` a block is centred where the data's share :func:`data_share` of its every
    term exceeds ½ at the point fit, the effects of the factors crossed with it integrated out
    (:func:`crossed_variance`), else non-centred; the blocks of a chain of nested factors follow
    :func:`chain_shares`. Without a point fit ``"auto"`` is non-centred (bayesml's form before
    the choice existed).
    """
    setting = check_parameterization(setting, design)
    chained = _chained_shares(design, family, start)
    chosen = {}
    for block in parameterized_blocks(design):
        choice = setting if isinstance(setting, str) else setting.get(block.name, "auto")
        if choice == "auto" and block.name in chained:
            choice = "centered" if chained[block.name] > 0.5 else "noncentered"
        elif choice == "auto":
            choice = "noncentered"
            sds = None if start is None else start.estimates.sds.get(block.name)
            if nested_with_another(block, design):
                sds = None
            if sds is not None and len(sds) == len(block.term_labels) and np.all(sds > 0):
                kwargs = _family_kwargs(design, start)
                shares = data_share(
                    block,
                    family,
                    design.response.y,
                    start.eta,
                    sds,
                    other_variance=crossed_variance(
                        block,
                        design,
                        _row_information(family, design.response.y, start.eta, **kwargs),
                        start.estimates.sds,
                    ),
                    **kwargs,
                )
                if np.all(shares > 0.5):
                    choice = "centered"
        chosen[block.name] = choice
    return chosen


def _chained_shares(
    design: ModelDesign, family: Family, start: Start | None
) -> dict[str, float]:
    """:func:`chain_shares` of every block of :func:`nesting_chains` at the point fit (empty
    without a fit or where a chain's SDs are not all positive)."""
    chains = nesting_chains(design)
    if start is None or not chains:
        return {}
    weights = _row_information(
        family, design.response.y, start.eta, **_family_kwargs(design, start)
    )
    shares: dict[str, float] = {}
    for chain in chains:
        sds = {block.name: start.estimates.sds.get(block.name) for block in chain}
        if any(sd is None or np.size(sd) != 1 or not np.all(np.asarray(sd) > 0)
               for sd in sds.values()):  # fmt: skip
            continue
        shares.update(
            chain_shares(chain, weights, {name: float(np.ravel(sd)[0]) for name, sd in sds.items()})
        )
    return shares


def _row_information(family: Family, y: Any, eta: np.ndarray, **kwargs: Any) -> np.ndarray:
    """Each row's Fisher information about η, ``w_i = −E[∂²ℓ_i/∂η_i²]`` (a categorical row's
    total over its categories; 0 where it is not finite)."""
    weights = np.asarray(family.eta_information(y, eta, **kwargs), dtype=float)
    weights = np.where(np.isfinite(weights), weights, 0.0)
    if weights.ndim > 1:  # one information per row and category: the row's total
        weights = weights.reshape(len(eta), -1).sum(axis=1)
    return weights


def crossed_variance(
    block: RandomBlock,
    design: ModelDesign,
    weights: np.ndarray,
    sds: Mapping[str, np.ndarray],
) -> np.ndarray:
    """The variance the other gaussian random terms' effects leave in each row's η: one value
    per row, for :func:`data_share` of a factor crossed with them (salamander mating's Female
    and Male; :func:`choose_parameterization` asks it only for a factor nested with no other).

    Each other block B's effect of term k at level l is known from its own rows up to its
    conditional variance ``c_lk = 1 / (I_lk + 1 / sd_k²)``, ``I_lk = Σ_{i ∈ l} w_i x_ik²``
    (``weights`` are the rows' information ``w_i``, ``sds`` the point fit's SDs by factor); row
    i carries ``Σ_B Σ_k x_ik² c_{l(i)k}``. A block without a positive SD per term at the fit
    adds nothing. A row's information about ``block``'s effect is then ``1 / (1 / w_i + v_i)``:
    as :func:`chain_shares` integrates a nested factor's effects out, this integrates out the
    crossed factors', so that a factor is centred only where its data still dominate with the
    other factors' effects unknown.
    """
    weights = np.asarray(weights, dtype=float)
    variance = np.zeros(len(weights))
    for other in parameterized_blocks(design):
        if other.name == block.name:
            continue
        other_sds = sds.get(other.name)
        if other_sds is None:
            continue
        other_sds = np.asarray(other_sds, dtype=float).ravel()
        if other_sds.size != len(other.term_labels) or not np.all(other_sds > 0):
            continue
        index = np.asarray(other.group_index, dtype=np.int64)
        term_matrix = np.asarray(other.term_matrix, dtype=float)
        for k in range(term_matrix.shape[1]):
            squared = term_matrix[:, k] ** 2
            info = np.bincount(index, weights * squared, minlength=other.n_levels)
            conditional = 1.0 / (info + 1.0 / other_sds[k] ** 2)
            variance = variance + squared * conditional[index]
    return variance


def nesting_chains(design: ModelDesign) -> list[tuple[RandomBlock, ...]]:
    """Chains of random intercepts nested one within the next, coarsest first (grouse ticks:
    LOCATION ⊃ BROOD ⊃ INDEX; epil: subject ⊃ obs).

    A block takes part when it is a gaussian random intercept (one term, a column of ones) of
    the mean's formula whose levels all occur. Its parent is the block with the most levels
    (fewer than its own) it is nested in — every level of the block within a single level of
    the parent; a block that is the parent of two blocks is no one's parent (its effect can
    enter η through one chain only). Chains of one block are left out.
    """
    eligible = [
        block
        for block in parameterized_blocks(design)
        if len(block.term_labels) == 1
        and np.all(np.asarray(block.term_matrix) == 1.0)
        and block.n_levels >= 2
        and np.unique(np.asarray(block.group_index)).size == block.n_levels
    ]
    parent: dict[str, RandomBlock] = {}
    for block in eligible:
        containing = [
            other
            for other in eligible
            if other.n_levels < block.n_levels and _nested_in(block, other)
        ]
        if containing:
            parent[block.name] = max(containing, key=lambda other: other.n_levels)
    counts: dict[str, int] = {}
    for above in parent.values():
        counts[above.name] = counts.get(above.name, 0) + 1
    parent = {name: above for name, above in parent.items() if counts[above.name] == 1}
    child = {above.name: name for name, above in parent.items()}
    by_name = {block.name: block for block in eligible}
    chains = []
    for block in eligible:
        if block.name in parent or block.name not in child:
            continue
        chain = [block]
        while chain[-1].name in child:
            chain.append(by_name[child[chain[-1].name]])
        chains.append(tuple(chain))
    return chains


def _nested_in(block: RandomBlock, other: RandomBlock) -> bool:
    """Whether every level of ``block`` lies within a single level of ``other``."""
    pairs = set(
        zip(
            np.asarray(block.group_index).tolist(),
            np.asarray(other.group_index).tolist(),
            strict=True,
        )
    )
    return len(pairs) == block.n_levels


def parent_levels(block: RandomBlock, parent: RandomBlock) -> np.ndarray:
    """For each level of ``block`` (nested in ``parent``), the position of its parent level."""
    levels = np.zeros(block.n_levels, dtype=np.int64)
    levels[np.asarray(block.group_index, dtype=np.int64)] = np.asarray(
        parent.group_index, dtype=np.int64
    )
    return levels


def centring_block(chain: tuple[RandomBlock, ...], chosen: Mapping[str, str]) -> RandomBlock:
    """The coarsest block of a chain that ``chosen`` centres (the chain's first block if none):
    the one whose mean takes the fixed effects constant within its levels."""
    return next((block for block in chain if chosen.get(block.name) == "centered"), chain[0])


def first_rows(block: RandomBlock) -> np.ndarray:
    """The first row of each level of ``block`` (every level occurs)."""
    index = np.asarray(block.group_index, dtype=np.int64)
    first = np.zeros(block.n_levels, dtype=np.int64)
    first[index[::-1]] = np.arange(len(index), dtype=np.int64)[::-1]
    return first


def level_constant_columns(matrix: np.ndarray, block: RandomBlock) -> np.ndarray:
    """Which columns of ``matrix`` (rows × columns) are constant within each level of
    ``block`` (a level-level covariate, the intercept): a boolean per column."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape[1] == 0:
        return np.zeros(0, dtype=bool)
    at_level = matrix[first_rows(block)]
    return np.all(matrix == at_level[np.asarray(block.group_index, dtype=np.int64)], axis=0)


def chain_shares(
    chain: tuple[RandomBlock, ...], weights: np.ndarray, sds: Mapping[str, float]
) -> dict[str, float]:
    """The data's share of each level's precision along a chain of :func:`nesting_chains`,
    averaged over the levels, for the hierarchically centred form.

    The finest block's level j has the rows' information ``I_j = Σ_{i ∈ j} w_i``; a coarser
    block's level gets, from each of its child levels c, the information of the child's total
    effect with the child's own effect integrated out, ``1 / (sd_child² + 1 / I_c)`` — what the
    data say about the level's total effect (its ancestors' included) given the SDs. The share
    is ``I sd² / (1 + I sd²)`` as in :func:`data_share`.
    """
    shares: dict[str, float] = {}
    info: np.ndarray | None = None
    for position in range(len(chain) - 1, -1, -1):
        block = chain[position]
        if info is None:
            info = np.bincount(
                np.asarray(block.group_index, dtype=np.int64), weights, minlength=block.n_levels
            )
        else:
            below = chain[position + 1]
            through = info / (1.0 + info * sds[below.name] ** 2)
            info = np.bincount(parent_levels(below, block), through, minlength=block.n_levels)
        ratio = info * sds[block.name] ** 2
        shares[block.name] = float(np.mean(ratio / (1.0 + ratio)))
    return shares


def nested_with_another(block: RandomBlock, design: ModelDesign) -> bool:
    """Whether another random block of the mean's formula (with more than one level) is nested
    in ``block``'s factor or ``block``'s factor in it: every level of the one within a single
    level of the other."""
    index = np.asarray(block.group_index)
    for other in design.random:
        if other.name == block.name or other.n_levels < 2 or block.n_levels < 2:
            continue
        pairs = len(set(zip(index.tolist(), np.asarray(other.group_index).tolist(), strict=True)))
        if pairs in (block.n_levels, other.n_levels):
            return True
    return False


def _family_kwargs(design: ModelDesign, start: Start) -> dict[str, Any]:
    params = {
        name: value
        for name, value in start.estimates.family_parameters.items()
        if value is not None
    }
    return {
        "params": params or None,
        "trials": design.response.trials,
        "weights": design.response.weights,
    }


def linear_predictor_at(design: ModelDesign, estimates: PointEstimates) -> np.ndarray:
    """η = Xβ + offset + Σ_blocks Σ_k x_k u_k[level] at the point estimates."""
    eta = np.asarray(design.fixed.matrix, dtype=float) @ np.asarray(estimates.beta, dtype=float)
    eta = eta + np.asarray(design.offset, dtype=float)
    for block in design.random:
        effects = estimates.random.get(block.name)
        if effects is None:
            continue
        effects = np.asarray(effects, dtype=float).reshape(block.n_levels, -1)
        term_matrix = np.asarray(block.term_matrix, dtype=float)
        eta = eta + np.sum(term_matrix * effects[np.asarray(block.group_index)], axis=1)
    return eta


#: the fits tried for the start, in order
START_METHODS = ("laplace", "hlik")


def point_start(model: ModelInputs) -> Start | None:
    """The Laplace fit's estimates (else the h-likelihood fit's) as a :class:`Start`; None when
    neither fits the model (an unsupported family, a failed fit: NUTS then starts as before)."""
    from bayesml.backends.registry import check_supports, get_backend

    if not parameterized_blocks(model.design):
        return None
    for method in START_METHODS:
        try:
            backend = get_backend(method, "fitting")
            check_supports(backend, model.family, model.design)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    result = backend.run(model, backend.options({}))
            estimates = result.point_estimates()
            eta = linear_predictor_at(model.design, estimates)
        except Exception:  # noqa: BLE001 — any failure means: start as before
            continue
        if not np.all(np.isfinite(eta)) or not np.all(np.isfinite(estimates.beta)):
            continue
        return Start(estimates, eta, method, _effect_sds(result, model.design))
    return None


def _effect_sds(result: Any, design: ModelDesign) -> dict[str, np.ndarray]:
    """Each block's conditional SDs (levels, terms) from an ML fit's ``ranef`` table."""
    table = getattr(result, "ranef", None)
    if table is None or "sd" not in getattr(table, "columns", ()):
        return {}
    sds = {}
    for block in parameterized_blocks(design):
        try:
            values = table.xs(block.name, level="group")["sd"].to_numpy(dtype=float)
            sds[block.name] = values.reshape(block.n_levels, len(block.term_labels))
        except (KeyError, ValueError):
            continue
    return sds


def initial_values(
    start: Start,
    design: ModelDesign,
    chosen: Mapping[str, str],
    coefficient_columns: np.ndarray,
    coefficient_names: tuple[str, ...],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """One chain's initial values on the constrained scale, by the graph's free-variable names.

    ``coefficient_columns`` are the columns the sampled coefficients multiply (the scaled inputs
    under ``weakly_informative``), ``coefficient_names`` their variables: the sampled
    coefficients are the least-squares map of the drawn β onto them (the same Xβ).
    """
    estimates = start.estimates
    beta = np.asarray(estimates.beta, dtype=float)
    cov = np.asarray(estimates.beta_cov, dtype=float)
    if cov.shape == (len(beta), len(beta)) and np.all(np.isfinite(cov)):
        try:
            beta = rng.multivariate_normal(beta, cov, method="eigh")
        except (np.linalg.LinAlgError, ValueError):
            pass
    values: dict[str, np.ndarray] = {}
    if len(coefficient_names):
        xb = np.asarray(design.fixed.matrix, dtype=float) @ beta
        sampled, *_ = np.linalg.lstsq(coefficient_columns, xb, rcond=None)
        values.update(
            {name: np.asarray(b) for name, b in zip(coefficient_names, sampled, strict=True)}
        )
    drawn: dict[str, np.ndarray] = {}
    for block in parameterized_blocks(design):
        sds = estimates.sds.get(block.name)
        modes = estimates.random.get(block.name)
        if sds is None or modes is None or block.correlated:
            continue
        sds = np.maximum(np.asarray(sds, dtype=float), 1e-3)
        sds = sds * np.exp(rng.normal(0.0, SD_JITTER, size=sds.shape))
        modes = np.asarray(modes, dtype=float).reshape(block.n_levels, -1)
        spread = start.effect_sds.get(block.name)
        effects = modes if spread is None else rng.normal(modes, np.nan_to_num(spread))
        drawn[block.name] = effects
        for k in range(len(block.term_labels)):
            values[f"_sd_{block.name}_{k}"] = np.asarray(sds[k])
            if chosen.get(block.name) == "centered":
                values[f"_u_{block.name}_{k}"] = effects[:, k]
            else:
                values[f"_z_{block.name}_{k}"] = effects[:, k] / sds[k]
    chains = [
        chain
        for chain in nesting_chains(design)
        if any(chosen.get(block.name) == "centered" for block in chain)
    ]
    for position, chain in enumerate(chains):
        # a hierarchically centred block's free variable is its levels' total effect, the
        # absorbed fixed effects included (bayesml.backends.pymc.builder._chain_contribution)
        if not all(block.name in drawn for block in chain):
            continue
        absorbing = centring_block(chain, chosen) if position == 0 else None
        total = None
        for depth, block in enumerate(chain):
            own = drawn[block.name][:, 0]
            total = own if depth == 0 else total[parent_levels(block, chain[depth - 1])] + own
            if absorbing is not None and block.name == absorbing.name and len(coefficient_names):
                absorbed = level_constant_columns(coefficient_columns, block)
                fixed = coefficient_columns[:, absorbed] @ np.asarray(
                    [values[name] for name in coefficient_names], dtype=float
                )[absorbed]
                total = total + fixed[first_rows(block)]
                values[f"_v_{block.name}_0"] = total
            elif chosen.get(block.name) == "centered" and depth > 0:
                values[f"_v_{block.name}_0"] = total
    return values
