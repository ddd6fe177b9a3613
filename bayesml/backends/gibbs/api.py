"""``sample_gibbs``: the Gibbs backend's entry point (``Model.sample(method="gibbs")``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from bayesml.backends.gibbs.driver import run_chains
from bayesml.backends.gibbs.problem import build_problem
from bayesml.backends.gibbs.results import build_result
from bayesml.backends.gibbs.sampler import SamplerOptions
from bayesml.backends.seam import (
    SAMPLING_DEFAULTS,
    SamplingOptions,
    check_count,
    record_timings,
)
from bayesml.errors import ArgumentError

if TYPE_CHECKING:
    import xarray as xr

    from bayesml.design import ModelDesign
    from bayesml.families import Family
    from bayesml.priors import ResolvedPriors

__all__ = ["GibbsOptions", "run_gibbs", "sample_gibbs"]


@dataclass(frozen=True, kw_only=True)
class GibbsOptions(SamplingOptions):
    """Options of ``method="gibbs"`` (``sampler_kwargs`` of :meth:`bayesml.Model.sample`).

    Attributes
    ----------
    thin
        Keep every ``thin``-th sweep after warm-up.
    cores
        Worker processes (default one per chain, at most the number of CPUs); 1 runs the chains
        one after another in the calling process.
    expansion
        ``"auto"``, ``True`` or ``False``: the parameter-expansion moves (see
        :func:`sample_gibbs`).
    probit_form
        Accepted for symmetry with the NUTS backend (the model's ``probit`` option).
    """

    method: ClassVar[str] = "gibbs"

    thin: int = 1
    cores: int | None = None
    expansion: bool | Literal["auto"] = "auto"
    probit_form: Literal["marginal", "latent"] = field(
        default="latent", metadata={"from_model": True}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "thin", check_count("thin", self.thin, 1))
        if self.cores is not None:
            object.__setattr__(self, "cores", check_count("cores", self.cores, 1))
        if self.probit_form not in ("marginal", "latent"):
            raise ArgumentError(
                f"probit_form must be 'marginal' or 'latent'; got probit_form={self.probit_form!r}"
            )
        expansion = self.expansion
        if not (isinstance(expansion, bool) or (isinstance(expansion, str) and expansion == "auto")):
            raise ArgumentError(
                f"expansion must be True, False or 'auto'; got expansion={expansion!r}"
            )


def sample_gibbs(
    design: ModelDesign, priors: ResolvedPriors, family: Family, **options: Any
) -> xr.DataTree:
    """Sample the posterior of a hierarchical model with a blocked Gibbs sampler.

    Each sweep draws, in order: the latent variables of a probit (Albert–Chib truncated normals)
    or logit (Pólya-Gamma) model, or of a cumulative probit (ordinal) model the thresholds by
    Cowles' (1996) Metropolis–Hastings step with the latent normals integrated out and then the
    latent normals between them (:mod:`~bayesml.backends.gibbs.kernels.ordinal`); all coefficients β and random effects u jointly from their
    Gaussian full conditional (the mixed-model equations, with the largest grouping factor
    eliminated level by level); the mixing variables of Student-t/Cauchy coefficient priors; the
    residual SD; each group's SDs or covariance matrix; and a parameter-expansion move per
    group. How each SD and covariance prior is updated:

    ========================================  ==================================================
    prior                                     update
    ========================================  ==================================================
    ``inverse_gamma``, ``scaled_inv_chi2``    conjugate inverse-gamma draw of σ²
    ``half_normal``, ``half_cauchy``,         slice step on log σ (Neal 2003)
    ``half_t``, ``exponential``,
    ``uniform``, ``gamma``
    ``inverse_wishart``                       conjugate inverse-Wishart draw of Σ
    ``lkj`` (with SD priors)                  Metropolis–Hastings: an inverse-Wishart
                                              independence proposal and random-walk moves on
                                              (log sd, atanh partial correlations)
    ========================================  ==================================================

    Parameter expansion (Liu and Wu 1999; generalised Gibbs moves of Liu and Sabatti 2000) adds
    moves along directions the centred sweep explores slowly: each term's effects and SD are
    rescaled together by a factor drawn by a slice step from its conditional, correlated terms
    are sheared (u_j → u_j + c·u_i, Σ → AΣAᵀ; c drawn exactly under an inverse-Wishart prior, by
    a slice step under LKJ), and a probit model's latent variables, coefficients and SDs are
    rescaled together (PX-DA). They let the SDs of weakly identified terms, the correlations
    and a probit intercept mix as in a non-centred parameterisation; in an ordinal probit model
    the thresholds are rescaled with the latent variables, and shifted together with each
    grouping factor's random intercepts (their common location is told apart only by the
    intercepts' prior). So the SD priors that are not conjugate are handled by slice steps, not
    by parameter expansion; the expansion moves come on top, for mixing.

    The moves of a group about double the cost of a sweep on a one-factor model and help only
    where the centred sweep mixes slowly (the smallest ESS per draw of a group's SDs and
    correlations: rats 10–30 % higher, radon's varying intercepts about twice, its varying
    slopes about eight times). With ``expansion="auto"`` (the default) each chain
    chooses per grouping factor during warm-up: after the first quarter of warm-up (made with the
    moves), blocks of 50 sweeps with and without the group's moves alternate; the ESS per draw of
    the group's log SDs and atanh correlations in each setting is estimated from its mean
    squared jump (as for an AR(1) chain), and the moves are kept when they raise the smallest of
    these by more than a factor 1.5 (``MOVE_COST`` in
    :mod:`~bayesml.backends.gibbs.kernels.expansion_choice`). The choice is frozen for the kept
    draws, so they come from one fixed Markov chain; it uses the draws only, not the clock, so
    the same seed gives the same choice and draws. Warm-ups shorter than 400 sweeps keep the
    moves. The probit scale move and the ordinal threshold shifts are always made unless
    ``expansion=False``.

    Parameters
    ----------
    design, priors, family
        The model: :func:`~bayesml.design.build_design`,
        :func:`~bayesml.priors.resolve_priors` and :func:`~bayesml.families.get_family`.
    **options
        The fields of :class:`GibbsOptions`, each with its default
        (:data:`~bayesml.backends.seam.SAMPLING_DEFAULTS` for the shared ones):
    draws
        Kept draws per chain.
    tune
        Warm-up sweeps per chain (discarded; they adapt the slice widths, the Metropolis steps
        (the thresholds' proposal scale included) and, under ``expansion="auto"``, the choice
        of expansion moves).
    chains
        Number of chains.
    thin
        Keep every ``thin``-th sweep after warm-up (``tune + draws·thin`` sweeps per chain).
    random_seed
        Seed of ``numpy.random.SeedSequence``; chain c uses its c-th spawned child, so the same
        seed gives identical draws however many processes run the chains.
    progressbar
        Show a progress bar per chain (rich, or tqdm, when installed); None (the default): where
        a person watches (:func:`~bayesml.backends.seam.watched`).
    probit_form
        Accepted for symmetry with the NUTS backend; the Gibbs sampler always works with the
        latent (Albert–Chib) form, whose posterior of the parameters is that of the marginal one.
    log_prior
        Add the ``log_prior`` group.
    log_likelihood
        True, False or ``"auto"`` (the default): add the ``log_likelihood`` group (see
        :meth:`bayesml.Model.sample`).
    cores
        Worker processes (``spawn``); default one per chain, at most the number of CPUs. 1 runs
        the chains one after another in this process, as they also run when a script samples at
        its top level without ``if __name__ == "__main__":`` (every spawned worker would run that
        code again; :func:`~bayesml.backends.gibbs.driver.workers_can_start`).
    expansion
        ``"auto"``: choose each group's parameter-expansion moves in warm-up (see above);
        ``True``: make them all; ``False``: none (they change the mixing, not the posterior).

    Returns
    -------
    xarray.DataTree
        ``posterior`` (``beta``, ``sd_<group>``, ``corr_<group>``, ``u_<group>``, ``sigma``,
        ``cutpoints``: the names and dims of the NUTS backend), ``sample_stats`` (acceptance
        rates of the Metropolis steps, density evaluations of the slice steps, ``expansion_<group>``: whether
        the kept draws make the group's expansion moves, with the attribute
        ``expansion_gain_<group>``, the estimated gain per chain; the attributes
        ``compile_seconds``, here the time to build the problem's arrays, and
        ``sampling_seconds``), ``observed_data``,
        ``log_likelihood`` (as ``log_likelihood`` asks) and ``log_prior``.

    Raises
    ------
    FamilyError
        For a family/link without a Gibbs scheme (the message lists those with one).
    PriorError
        For a prior the sampler cannot update, naming it.
    MissingDependencyError
        For a logit model without the ``polyagamma`` package.
    ArgumentError
        For a bad count, seed, ``probit_form`` or ``expansion``.
    """
    return run_gibbs(design, priors, family, GibbsOptions(**(SAMPLING_DEFAULTS | options)))


def run_gibbs(
    design: ModelDesign, priors: ResolvedPriors, family: Family, options: GibbsOptions
) -> xr.DataTree:
    """:func:`sample_gibbs` with its options validated (the backend's ``run``)."""
    start = time.perf_counter()
    problem = build_problem(design, priors, family)
    store_log_likelihood = options.store_log_likelihood(design.n_obs)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    traces = run_chains(
        problem,
        **options.run_settings(),
        thin=options.thin,
        cores=options.cores,
        options=SamplerOptions(expansion=options.expansion),
    )
    elapsed = time.perf_counter() - start
    tree = build_result(
        problem,
        traces,
        design,
        family,
        log_prior=options.log_prior,
        log_likelihood=store_log_likelihood,
    )
    tree["posterior"].attrs.update({"sampling_time": elapsed, "tuning_steps": options.tune})
    # no compilation: the time before the first sweep is building the problem's arrays
    record_timings(tree, compile_seconds=setup, sampling_seconds=elapsed)
    tree.attrs["bayesml_sampler"] = "gibbs"
    return tree
