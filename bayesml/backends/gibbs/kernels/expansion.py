"""Parameter expansion: rescale one term's effects and its SD together.

In the centred parameterisation that the Gibbs sweep uses, a small SD and small effects hold each
other in place, so the SD of a weakly identified term mixes slowly (Gelman 2006; Gelman, van Dyk,
Huang and Boscardin 2008). The redundant scale g > 0 of the expanded model u_j → g·u_j,
sd_j → g·sd_j (Liu and Wu 1999; Liu and Sabatti 2000's generalised Gibbs move on the multiplicative
group) moves both at once. Its full conditional, with x = log g and δ = g − 1, is

    log p(x) = s·(δ a − δ² b/2) + log p_prior(scaled) + J(x)

where a = Σ r_i c_i − Σ w_i η_i c_i and b = Σ w_i c_i² come from the working likelihood and the
term's current contribution c_i to η, and

* SD priors (uncorrelated terms, LKJ groups): log p_j(g·sd_j) + x;
* inverse-Wishart groups: −ν x − (c₁ e^{−x} + c₂ e^{−2x})/2 from IW(ν, Ψ) at D Σ D
  (D = diag(1, …, g, …, 1)), with c₂ = (Ψ∘Σ⁻¹)_jj and c₁ = 2 Σ_{l≠j} (Ψ∘Σ⁻¹)_jl.

One slice step on x, started at x = 0 (g = 1, the identity), is reversible with respect to this
conditional, which is what Liu and Sabatti's theorem needs for the move to leave the posterior
invariant. The number of density evaluations per term is recorded as ``expansion_evals_<group>``.
"""

from __future__ import annotations

import math

import numpy as np

from bayesml.backends.gibbs.densities import sd_log_density
from bayesml.backends.gibbs.kernels.base import GibbsState, StatValue
from bayesml.backends.gibbs.problem import GibbsProblem
from bayesml.backends.gibbs.slice_sampling import SliceWidth, slice_step
from bayesml.linalg.batched import small_inverse

__all__ = ["ScaleExpansionKernel"]

LOG_SCALE_BOUND = 300.0


def _unit_weights(problem: GibbsProblem) -> bool:
    """Whether the working likelihood's row weights stay 1 (a Gaussian response without weights)."""
    return problem.has_residual_sd and problem.weights is None


class ScaleExpansionKernel:
    """One slice step on the log scale of each term of a group (see the module text).

    A ``shared_sd`` group (a smooth's penalised block, one SD for its ``r`` terms) has one scale:
    u → g·u for all its coefficients and sd → g·sd. The Jacobian g^r of the coefficients cancels
    the factor g^(−r) of their density N(0, g²sd²I) at g·u, so the conditional of x = log g is the
    one-term form above with a, b from the block's whole contribution Z·u and one SD prior
    (log p(g·sd) + x). Scaling the terms one at a time instead would break the shared SD.
    """

    def __init__(self, problem: GibbsProblem, index: int) -> None:
        group = problem.groups[index]
        self.index = index
        self.regression = problem.regression
        self.part = problem.regression.parts[index]
        self.inverse_wishart = (
            group.cov_prior is not None and group.cov_prior.dist == "inverse_wishart"
        )
        if self.inverse_wishart:
            prior = group.cov_prior
            scale = prior["scale"]
            self.nu = float(prior["nu"])
            self.psi = (
                np.array(scale, dtype=float)
                if isinstance(scale, tuple)
                else float(scale) * np.eye(group.k)
            )
            self.psi_rows = self.psi.tolist()
        else:
            assert group.sd_priors is not None
            self.sd_densities = [sd_log_density(prior) for prior in group.sd_priors]
        self.shared = group.shared_sd
        self.widths = [SliceWidth() for _ in range(group.n_sds)]
        self.unit_weights = _unit_weights(problem)
        self.stat_name = f"expansion_evals_{group.name}"
        self.stats = {self.stat_name: () if self.shared else (f"{group.name}__term",)}

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        pass

    def _log_density(
        self, a: float, b: float, cov: list, inverse: list | None, scales: list, term: int
    ):
        """The conditional log density of x = log g for ``term`` (see the module text).

        ``cov`` and ``inverse`` are Σ and Σ⁻¹ before this step's moves, ``scales`` the factors
        of the terms moved so far (1 for the others): the current Σ⁻¹ is D⁻¹Σ⁻¹D⁻¹.
        """
        if self.inverse_wishart:
            psi_row, inverse_row = self.psi_rows[term], inverse[term]
            c2 = psi_row[term] * inverse_row[term]
            c1 = 2.0 * sum(
                psi_row[j] * inverse_row[j] / scales[j] for j in range(len(scales)) if j != term
            )
            nu = self.nu

            def log_density(x: float) -> float:
                if not -LOG_SCALE_BOUND < x < LOG_SCALE_BOUND:
                    return -math.inf
                delta = math.expm1(x)
                inverse_g = math.exp(-x)
                return (
                    delta * (a - 0.5 * b * delta) - nu * x - 0.5 * inverse_g * (c1 + c2 * inverse_g)
                )

            return log_density
        density = self.sd_densities[term]
        sd = math.sqrt(cov[term][term])

        def log_density(x: float) -> float:
            if not -LOG_SCALE_BOUND < x < LOG_SCALE_BOUND:
                return -math.inf
            delta = math.expm1(x)
            return delta * (a - 0.5 * b * delta) + density(sd * math.exp(x)) + x

        return log_density

    def _step_shared(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        """One scale g for all terms of a ``shared_sd`` group and its one SD (see the class)."""
        effects = self.regression.effects(state.theta, self.index)
        contribution = self.part.times(effects)  # the block's Z·u
        precision = state.data_precision
        if self.unit_weights:
            residual = state.response_sums - state.eta
            weighted = contribution
        else:
            residual = state.response_sums - state.weights * state.eta
            weighted = contribution * state.weights
        a = precision * float(residual @ contribution)
        b = precision * float(weighted @ contribution)
        cov_matrix = state.cov[self.index]
        log_density = self._log_density(a, b, [[float(cov_matrix[0, 0])]], None, [1.0], 0)
        width = self.widths[0]
        x1, evaluations = slice_step(log_density, 0.0, width.width, rng)
        width.update(0.0, x1, tuning)
        scale = math.exp(x1)
        effects *= scale
        state.eta = state.eta + (scale - 1.0) * contribution
        state.cov[self.index] = cov_matrix * (scale * scale)
        return {self.stat_name: float(evaluations)}

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        if self.shared:
            return self._step_shared(state, rng, tuning)
        effects = self.regression.effects(state.theta, self.index)
        part = self.part
        # every term's contribution to η, and a, b of all terms at once: after term j moves by
        # δ_j, a_i falls by δ_j·(s CᵀWC)_ji and term j's row and column of CᵀWC scale by g_j
        contributions = part.term_matrix * effects[part.group_index]
        precision = state.data_precision
        if self.unit_weights:
            residual = state.response_sums - state.eta
            weighted = contributions
        else:
            residual = state.response_sums - state.weights * state.eta
            weighted = contributions * state.weights[:, None]
        linear = (precision * (residual @ contributions)).tolist()
        gram = (precision * (weighted.T @ contributions)).tolist()
        cov_matrix = state.cov[self.index]
        cov = cov_matrix.tolist()
        inverse = small_inverse(cov_matrix).tolist() if self.inverse_wishart else None
        k = part.n_terms
        scales = [1.0] * k
        evaluations = np.zeros(k)
        for term in range(k):
            log_density = self._log_density(
                linear[term], gram[term][term], cov, inverse, scales, term
            )
            width = self.widths[term]
            x1, evaluations[term] = slice_step(log_density, 0.0, width.width, rng)
            width.update(0.0, x1, tuning)
            scale = math.exp(x1)
            delta = scale - 1.0
            row = gram[term]
            for i in range(k):
                linear[i] -= delta * row[i]
            for i in range(k):
                row[i] *= scale
                gram[i][term] *= scale
            scales[term] = scale
        factors = np.array(scales)
        effects *= factors
        state.eta = state.eta + contributions @ (factors - 1.0)
        state.cov[self.index] = cov_matrix * np.outer(factors, factors)
        return {self.stat_name: evaluations}


class ShearExpansionKernel:
    """Shear moves of a correlated group: u_j → u_j + c·u_i for all levels, Σ → AΣAᵀ (i < j).

    A = I + c·e_j e_iᵀ has determinant 1, so every Jacobian is 1 and the moves form the additive
    group (Haar measure dc). The conditional of c is

        log p(c) = s·(c a − c² b/2) + log p_prior(AΣAᵀ),

    with a, b from the working likelihood and w_n = t_nj·u_{level(n), i}, the change of η per unit
    of c. Under an inverse-Wishart prior, −tr(Ψ(AΣAᵀ)⁻¹)/2 = const + c (ΨΣ⁻¹)_ij − c² Ψ_ii (Σ⁻¹)_jj/2,
    so c is drawn exactly from a normal; under LKJ with SD priors only sd_j changes,
    log p_prior = log p_j(sd_j') − (2η − 2 + K) log sd_j' with sd_j'² = Σ_jj + 2cΣ_ij + c²Σ_ii, and c
    takes a slice step from 0 (evaluations recorded as ``shear_evals_<group>``, averaged over the
    K(K − 1)/2 pairs of terms). The lower shears and the scalings generate the lower-triangular
    group, which reaches every covariance matrix from any other (Σ = L Lᵀ), so together with the
    scale moves they let the correlations mix as freely as the SDs.
    """

    def __init__(self, problem: GibbsProblem, index: int) -> None:
        group = problem.groups[index]
        assert group.correlated and group.cov_prior is not None and group.k >= 2
        self.index = index
        self.regression = problem.regression
        self.part = problem.regression.parts[index]
        self.inverse_wishart = group.cov_prior.dist == "inverse_wishart"
        self.pairs = [(i, j) for i in range(group.k) for j in range(i + 1, group.k)]
        self.unit_weights = _unit_weights(problem)
        if self.inverse_wishart:
            scale = group.cov_prior["scale"]
            self.psi = (
                np.array(scale, dtype=float)
                if isinstance(scale, tuple)
                else float(scale) * np.eye(group.k)
            )
            self.psi_rows = self.psi.tolist()
            self.stats: dict[str, tuple[str, ...]] = {}
        else:
            assert group.sd_priors is not None
            self.sd_densities = [sd_log_density(prior) for prior in group.sd_priors]
            self.power = 2.0 * float(group.cov_prior["eta"]) - 2.0 + group.k
            self.widths = {pair: SliceWidth() for pair in self.pairs}
            self.stat_name = f"shear_evals_{group.name}"
            self.stats = {self.stat_name: ()}

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        pass

    def _draw_inverse_wishart(self, cov, i, j, a, b, rng) -> tuple[float, int]:
        inverse = small_inverse(cov).tolist()
        psi_row = self.psi_rows[i]
        precision = b + psi_row[i] * inverse[j][j]
        linear = a + sum(psi_row[m] * inverse[m][j] for m in range(len(psi_row)))
        return linear / precision + rng.standard_normal() / math.sqrt(precision), 0

    def _draw_lkj(self, cov, i, j, a, b, rng) -> tuple[float, int]:
        density, power = self.sd_densities[j], self.power
        cjj, cij, cii = float(cov[j, j]), float(cov[i, j]), float(cov[i, i])

        def log_density(c: float) -> float:
            variance = cjj + c * (2.0 * cij + c * cii)
            if not variance > 0.0:
                return -math.inf
            sd = math.sqrt(variance)
            return c * a - 0.5 * b * c * c + density(sd) - power * math.log(sd)

        width = self.widths[(i, j)]
        c, evaluations = slice_step(log_density, 0.0, width.width, rng)
        return c, evaluations

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        effects = self.regression.effects(state.theta, self.index)
        part = self.part
        evaluations = 0
        precision = state.data_precision
        if self.unit_weights:
            residual = state.response_sums - state.eta
        else:
            residual = state.response_sums - state.weights * state.eta
        eta = state.eta.copy()
        cov = state.cov[self.index].copy()
        for i, j in self.pairs:
            change = part.term_matrix[:, j] * effects[part.group_index, i]
            weighted_change = change if self.unit_weights else state.weights * change
            a = precision * float(residual @ change)
            b = precision * float(weighted_change @ change)
            if self.inverse_wishart:
                c, used = self._draw_inverse_wishart(cov, i, j, a, b, rng)
            else:
                c, used = self._draw_lkj(cov, i, j, a, b, rng)
                self.widths[(i, j)].update(0.0, c, tuning)
            evaluations += used
            effects[:, j] += c * effects[:, i]
            eta += c * change
            residual -= c * weighted_change
            # Σ → AΣAᵀ, A = I + c e_j e_iᵀ: row j += c row i, then column j += c column i
            cov[j] += c * cov[i]
            cov[:, j] += c * cov[:, i]
        state.eta = eta
        state.cov[self.index] = cov
        return {self.stat_name: evaluations / len(self.pairs)} if self.stats else {}


class LatentScaleKernel:
    """Marginal augmentation of a probit model: rescale z, β, u and the SDs together.

    Albert and Chib's sampler mixes slowly in the intercept and the SDs when the latent z and
    the coefficients hold each other in place. The move z → g z, θ → g θ, Σ_b → g² Σ_b (g > 0;
    Liu and Wu 1999's PX-DA, as a generalised Gibbs move) keeps every sign of z, hence the data.
    With x = log g its conditional is

        log p(x) = −Q(g)/2 + (N + p) x + log p(g b) + Σ_groups [log p_Σ(g² Σ_b) + J_b x],

    Q(g) = Σ_t (g z_t − offset_t − g η_t)² over the N latent normals, p the number of
    coefficients, p(g b) the coefficients' normal (or scale-mixture) prior, and J_b = K for SD
    priors (K terms; 1 for a ``shared_sd`` group's one SD), K(K + 1) for an inverse-Wishart Σ.
    An ordinal probit model's thresholds move with z (θ → g θ keeps every z between its
    thresholds), adding log p(g θ) + m x for its m thresholds. One slice step from x = 0; its evaluations are recorded as
    ``expansion_evals_latent``.
    """

    def __init__(self, problem: GibbsProblem) -> None:
        assert problem.trials is not None
        self.problem = problem
        self.regression = problem.regression
        self.trials = problem.trials
        self.offset = problem.offset
        self.count = float(problem.trials.sum()) + problem.regression.p
        self.cutpoints = problem.cutpoints
        if self.cutpoints is not None:
            self.count += self.cutpoints.size
        priors = problem.coefficients
        self.finite = np.isfinite(priors.scale)
        self.mean = priors.mean
        self.base_precision = np.where(self.finite, priors.base_precision, 0.0)
        self.groups = []
        for group in problem.groups:
            if group.cov_prior is not None and group.cov_prior.dist == "inverse_wishart":
                scale = group.cov_prior["scale"]
                psi = (
                    np.array(scale, dtype=float)
                    if isinstance(scale, tuple)
                    else float(scale) * np.eye(group.k)
                )
                self.groups.append(("inverse_wishart", float(group.cov_prior["nu"]), psi))
            else:
                # (densities, number of SDs): a shared_sd group's one SD is its first diagonal entry
                densities = [sd_log_density(prior) for prior in group.sd_priors]
                self.groups.append(("sd", densities, group.n_sds))
        self.width = SliceWidth()
        self.stats = {"expansion_evals_latent": ()}

    def init(self, state: GibbsState, rng: np.random.Generator) -> None:
        pass

    def _group_terms(self, state: GibbsState):
        """Functions of x for each group's prior of g²Σ (with its Jacobian)."""
        terms = []
        for (kind, first, second), cov in zip(self.groups, state.cov, strict=True):
            k = cov.shape[0]
            if kind == "inverse_wishart":
                nu, trace = first, float(np.sum(second * np.linalg.inv(cov)))
                terms.append(
                    lambda x, nu=nu, k=k, trace=trace: (
                        -nu * k * x - 0.5 * trace * math.exp(-2.0 * x)
                    )
                )
            else:
                sd = np.sqrt(np.diag(cov))[:second]  # second: the number of SDs (1 when shared)
                terms.append(
                    lambda x, densities=first, sd=sd: (
                        sum(
                            density(float(s) * math.exp(x))
                            for density, s in zip(densities, sd, strict=True)
                        )
                        + len(sd) * x
                    )
                )
        return terms

    def step(
        self, state: GibbsState, rng: np.random.Generator, tuning: bool
    ) -> dict[str, StatValue]:
        p = self.regression.p
        sums = state.response_sums + self.trials * self.offset  # Σ_t z_t per row
        eta = state.eta
        # Q(g) = g² A − 2 g B + C
        a = state.latent_sum_squares - 2.0 * float(sums @ eta) + float(self.trials @ eta**2)
        b = float(self.offset @ (sums - self.trials * eta))
        coefficients = state.theta[:p]
        precision = self.base_precision * state.coef_mixing
        prior_a = float(precision @ coefficients**2)
        prior_b = float(precision @ (self.mean * coefficients))
        group_terms = self._group_terms(state)
        if self.cutpoints is not None:
            thresholds, spec = state.cutpoints, self.cutpoints
            group_terms.append(lambda x: spec.log_density(thresholds * math.exp(x)))
        count = self.count

        def log_density(x: float) -> float:
            if not -LOG_SCALE_BOUND < x < LOG_SCALE_BOUND:
                return -math.inf
            g = math.exp(x)
            value = -0.5 * (g * g * (a + prior_a) - 2.0 * g * (b + prior_b)) + count * x
            return value + sum(term(x) for term in group_terms)

        x1, evaluations = slice_step(log_density, 0.0, self.width.width, rng)
        self.width.update(0.0, x1, tuning)
        g = math.exp(x1)
        state.theta *= g
        state.eta = eta * g
        state.cov = [cov * g * g for cov in state.cov]
        state.response_sums = g * sums - self.trials * self.offset
        state.latent_sum_squares *= g * g
        if self.cutpoints is not None:
            state.cutpoints = state.cutpoints * g
        state.response_changed = True
        return {"expansion_evals_latent": float(evaluations)}
