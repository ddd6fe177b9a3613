"""Maximum likelihood for mixed models: the Laplace approximation and adaptive Gauss–Hermite
quadrature (``Model.fit(method="laplace")``, ``Model.fit(method="agq", n_nodes=...)``), as lme4's
``glmer``/``lmer`` and glmmTMB.

==============================  ===============================================================
module                          holds
==============================  ===============================================================
:mod:`.backend`                 the registered backends ``LAPLACE`` and ``AGQ``, their options,
                                the checks of a model and the assembly of the result
:mod:`.problem`                 :class:`MLProblem`: the arrays of one model, each row's
                                log-likelihood and its derivatives in η (from the family)
:mod:`.covariance`              lme4's θ: relative Cholesky factors, bounds, SDs/correlations
:mod:`.parameters`              the family's parameters as a free vector (log, logit, ordered)
:mod:`.system`                  the penalised system AᵀWA + diag(I, 0) for ZΛ and X, eliminated
                                with :mod:`bayesml.linalg`
:mod:`.modes`                   conditional modes by penalised IRLS / Newton (lme4's PIRLS)
:mod:`.objective`               the deviances: lmer's profiled Gaussian one (ML/REML), Laplace,
                                adaptive Gauss–Hermite
:mod:`.optimize`                bounded L-BFGS-B with finite-difference gradients
:mod:`.fit`                     the stages (glmer's nAGQ = 0, then all parameters), the
                                fixed effects' covariance, the conditional modes and variances
:mod:`.result`                  :class:`MLResult` and its lme4-like summary
==============================  ===============================================================
"""
