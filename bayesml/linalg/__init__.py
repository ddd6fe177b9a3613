"""The linear algebra of mixed models, shared by the Gibbs, h-likelihood and maximum-likelihood
backends.

Only numpy and scipy; no backend is imported here.

==============================  ===============================================================
module                          holds
==============================  ===============================================================
:mod:`.grouped`                 :class:`GroupedColumns`: a grouping factor's columns of Z
                                (group index + term matrix → sparse Z, level-major), Z·u, Z'·r,
                                the per-level blocks of Z'WZ
:mod:`.elimination`             the block elimination of the largest grouping factor: cross
                                products, per-level Cholesky factors, the Schur complement of
                                the rest and its Cholesky; solves, draws, log-determinants and
                                blocks of the inverse
:mod:`.relative`                the cross products in lme4's relative-factor form (ZΛ), scaled
                                by θ from the unscaled ones (maximum likelihood)
:mod:`.batched`                 stacks of small k × k blocks: batched Cholesky inverses, closed
                                forms for k ≤ 2, block-diagonal placement
:mod:`.lapack`                  thin LAPACK wrappers (Cholesky, triangular solves and inverses)
==============================  ===============================================================
"""

from bayesml.linalg.elimination import (
    BlockElimination,
    CrossProducts,
    Elimination,
    NotPositiveDefinite,
    cross_products,
)
from bayesml.linalg.grouped import GroupedColumns

__all__ = [
    "BlockElimination",
    "CrossProducts",
    "Elimination",
    "GroupedColumns",
    "NotPositiveDefinite",
    "cross_products",
]
