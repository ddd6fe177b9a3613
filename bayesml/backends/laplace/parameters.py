"""The family's own parameters as an unconstrained vector for the optimiser.

A positive parameter (σ, α, κ, ν) is optimised on the log scale, a probability (zi, hu) on the
logit scale, ordered cut-points as the first one and the logs of the gaps; a parameter with a
formula (``zi = "~ x"``, ``dispersion_formula``) through the coefficients of its fixed design on its
link's scale (brms' and glmmTMB's links of distributional parameters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit

from bayesml.errors import FamilyError
from bayesml.families import Family, Parameter

__all__ = ["FamilyParameters", "ParameterSlot"]


@dataclass(frozen=True, eq=False)
class ParameterSlot:
    """One family parameter's place in the vector.

    Attributes
    ----------
    parameter
        The family's parameter.
    size
        Its number of entries in the vector.
    design
        The fixed design of its formula (n × size), ``None`` without one.
    column_names
        The labels of the design's columns.
    """

    parameter: Parameter
    size: int
    design: np.ndarray | None = None
    column_names: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The parameter's posterior name."""
        return self.parameter.name

    def value(self, free: np.ndarray) -> np.ndarray | float:
        """The parameter's value (per row with a formula) from its free entries."""
        constraint = self.parameter.constraint
        if self.design is not None:
            linear = self.design @ free
            return np.exp(linear) if constraint == "positive" else expit(linear)
        if constraint == "ordered":
            return np.cumsum(np.concatenate([free[:1], np.exp(free[1:])]))
        if self.parameter.shape:  # a vector without an order (sratio's, acat's thresholds)
            return np.array(free, dtype=float)
        if constraint == "positive":
            return float(np.exp(free[0]))
        if constraint == "unit_interval":
            return float(expit(free[0]))
        return float(free[0])

    def free(self, value: np.ndarray | float) -> np.ndarray:
        """The free entries of a (scalar or ordered) value; a formula's: its intercept only."""
        value = np.asarray(value, dtype=float)
        constraint = self.parameter.constraint
        if constraint == "ordered":
            return np.concatenate([value[:1], np.log(np.diff(value))])
        if self.parameter.shape:
            return np.array(value, dtype=float).reshape(-1)
        scalar = {"positive": np.log, "unit_interval": logit}.get(constraint, lambda v: v)(value)
        if self.design is None:
            return np.atleast_1d(scalar)
        free = np.zeros(self.size)
        free[0] = float(np.mean(scalar))
        return free


@dataclass(frozen=True, eq=False)
class FamilyParameters:
    """Every family parameter's slot, in the family's order."""

    slots: tuple[ParameterSlot, ...]

    @classmethod
    def of(
        cls,
        family: Family,
        *,
        sizes: Mapping[str, int] | None = None,
        designs: Mapping[str, tuple[np.ndarray, tuple[str, ...]]] | None = None,
    ) -> FamilyParameters:
        """The slots of ``family``: ``sizes`` of vector parameters (cut-points), ``designs``
        of parameters with a formula (matrix, column names)."""
        sizes, designs = dict(sizes or {}), dict(designs or {})
        slots = []
        for parameter in family.aux_params:
            if parameter.name in designs:
                matrix, names = designs[parameter.name]
                if parameter.link is None:
                    raise FamilyError(f"parameter {parameter.name!r} cannot have a formula")
                slots.append(ParameterSlot(parameter, matrix.shape[1], matrix, tuple(names)))
            elif parameter.shape:
                slots.append(ParameterSlot(parameter, sizes[parameter.name]))
            else:
                slots.append(ParameterSlot(parameter, 1))
        return cls(tuple(slots))

    @property
    def size(self) -> int:
        """Length of the free vector."""
        return sum(slot.size for slot in self.slots)

    def values(self, free: np.ndarray) -> dict[str, np.ndarray | float]:
        """The parameters by name from the free vector."""
        values, start = {}, 0
        for slot in self.slots:
            values[slot.name] = slot.value(free[start : start + slot.size])
            start += slot.size
        return values

    def free(self, values: Mapping[str, np.ndarray | float]) -> np.ndarray:
        """The free vector of given values (a formula's parameter: at its intercept)."""
        parts = [slot.free(values[slot.name]) for slot in self.slots]
        return np.concatenate(parts) if parts else np.zeros(0)
