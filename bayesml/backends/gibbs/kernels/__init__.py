"""The updates of a Gibbs sweep, one kernel per block of parameters (see :mod:`.base`)."""

from bayesml.backends.gibbs.kernels.base import GibbsState, Kernel
from bayesml.backends.gibbs.kernels.coefficients import CoefficientKernel, CoefficientMixingKernel
from bayesml.backends.gibbs.kernels.covariance import InverseWishartKernel, LKJCovarianceKernel
from bayesml.backends.gibbs.kernels.expansion import (
    LatentScaleKernel,
    ScaleExpansionKernel,
    ShearExpansionKernel,
)
from bayesml.backends.gibbs.kernels.expansion_choice import (
    ExpansionChoice,
    ExpansionSetting,
    GroupExpansionKernel,
)
from bayesml.backends.gibbs.kernels.latent import LatentProbitKernel, PolyaGammaKernel
from bayesml.backends.gibbs.kernels.ordinal import OrdinalProbitKernel
from bayesml.backends.gibbs.kernels.variances import GroupVarianceKernel, ResidualVarianceKernel

__all__ = [
    "CoefficientKernel",
    "CoefficientMixingKernel",
    "ExpansionChoice",
    "ExpansionSetting",
    "GibbsState",
    "GroupExpansionKernel",
    "GroupVarianceKernel",
    "InverseWishartKernel",
    "Kernel",
    "LKJCovarianceKernel",
    "LatentProbitKernel",
    "LatentScaleKernel",
    "OrdinalProbitKernel",
    "PolyaGammaKernel",
    "ResidualVarianceKernel",
    "ScaleExpansionKernel",
    "ShearExpansionKernel",
]
