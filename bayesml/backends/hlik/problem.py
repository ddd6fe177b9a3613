"""The arrays an h-likelihood fit works on: response, designs, random terms and dispersion model.

The backend never sees a formula. :class:`HlikProblem` holds validated arrays; the random part is
a tuple of :class:`RandomTerm` objects, each with its columns of Z (a grouping factor's level-major
indicator/term columns, or a general matrix), its random family, and how its columns split into
*λ-blocks* (independent blocks that each have their own dispersion λ). A grouping factor's
columns are a :class:`~bayesml.linalg.grouped.GroupedColumns` (shared with the Gibbs backend);
a Z given as a matrix is a :class:`MatrixColumns`.

A formula term ``(1 + x | g)`` gives one :class:`RandomTerm` with two λ-blocks: in the
h-likelihood backend random slopes are independent of the intercepts (each with its own λ), as in
R's ``hglm``, not correlated as in lme4.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from bayesml.families import Family, Link, get_link
from bayesml.families.random_effects import RandomFamily
from bayesml.linalg.grouped import GroupedColumns

__all__ = [
    "DispersionModel",
    "GroupedColumns",
    "HlikProblem",
    "LambdaBlock",
    "MatrixColumns",
    "RandomTerm",
]


@dataclass(frozen=True, eq=False)
class MatrixColumns:
    """Columns of Z given as a matrix (dense ``ndarray`` or scipy sparse), one λ-block."""

    matrix: np.ndarray | sp.csr_matrix

    @property
    def n_columns(self) -> int:
        """Number of columns."""
        return int(self.matrix.shape[1])


@dataclass(frozen=True, eq=False)
class DispersionModel:
    """A gamma GLM for a dispersion parameter (φ of the rows, or λ of a random block).

    Attributes
    ----------
    design
        Its design matrix (one row per data row, or per random effect).
    column_names
        Labels of the coefficients.
    link
        Link of the gamma GLM: log (default), inverse for the CAR model's 1/λ = (1 − ρδ)/τ.
    """

    design: np.ndarray
    column_names: tuple[str, ...]
    link: Link = field(default_factory=lambda: get_link("log"))

    @classmethod
    def intercept(cls, size: int, link: str = "log") -> DispersionModel:
        """The default model: one coefficient, ``log φ`` (or ``log λ``)."""
        return cls(np.ones((size, 1)), ("Intercept",), get_link(link))

    @property
    def is_intercept_only(self) -> bool:
        """Whether the design is a single column of ones."""
        return self.design.shape[1] == 1 and bool(np.all(self.design == 1.0))


@dataclass(frozen=True, eq=False)
class LambdaBlock:
    """Random effects that share one dispersion λ (or one λ model).

    Attributes
    ----------
    name
        ``"ID"`` for ``(1 | ID)``; ``"g|x"`` for the ``x`` slope of ``(1 + x | g)``.
    columns
        Positions of its effects in the model's vector v.
    family
        The random family of its effects.
    levels
        Label of each effect (level of the grouping factor, or Z column name).
    model
        The dispersion model of λ (intercept only unless CAR).
    """

    name: str
    columns: np.ndarray
    family: RandomFamily
    levels: tuple[str, ...]
    model: DispersionModel


@dataclass(frozen=True, eq=False)
class RandomTerm:
    """One random term: its columns of Z, random family and λ-blocks.

    Attributes
    ----------
    name
        The grouping factor (``"ID"``, ``"a:b"``) or the name given to a Z matrix.
    columns
        :class:`GroupedColumns` or :class:`MatrixColumns`.
    family
        The random family of every effect of the term.
    term_labels
        One label per λ-block: ``("Intercept", "x")`` for ``(1 + x | g)``, ``("Z",)`` for a matrix.
    levels
        Labels of the levels (grouped) or of the columns (matrix).
    lambda_models
        The dispersion model of each λ-block (``None``: intercept-only log link).
    back_transform
        For correlated effects fitted as Z·L (known covariance) or Z·Γ (CAR): the matrix M with
        u = M u*, used to report effects on the original scale; ``None`` otherwise.
    kind
        ``"iid"``, ``"covariance"`` or ``"car"``.
    shared
        Whether all the term's effects form one λ-block (a smooth's penalised coefficients,
        ``b ~ N(0, λ I)`` with one λ: the design's ``shared_sd`` block, one level and ``r``
        terms); its λ is then fitted from the ``r`` effects' deviances and leverages pooled, as
        hglm fits one random term with ``r`` levels.
    """

    name: str
    columns: GroupedColumns | MatrixColumns
    family: RandomFamily
    term_labels: tuple[str, ...]
    levels: tuple[str, ...]
    lambda_models: tuple[DispersionModel | None, ...] | None = None
    back_transform: np.ndarray | None = None
    kind: str = "iid"
    shared: bool = False

    @property
    def n_columns(self) -> int:
        """Number of effects of the term."""
        return self.columns.n_columns

    def lambda_blocks(self, start: int) -> list[LambdaBlock]:
        """The term's λ-blocks, with columns offset by ``start`` in the model's v."""
        if self.shared:
            columns = start + np.arange(self.n_columns)
            model = (self.lambda_models or (None,))[0]
            return [
                LambdaBlock(
                    self.name,
                    columns,
                    self.family,
                    self.term_labels,
                    model or DispersionModel.intercept(columns.size),
                )
            ]
        k = len(self.term_labels)
        stride = k if isinstance(self.columns, GroupedColumns) else 1
        blocks = []
        for t, label in enumerate(self.term_labels):
            columns = start + t + stride * np.arange(self.n_columns // k)
            name = self.name if k == 1 else f"{self.name}|{label}"
            model = (self.lambda_models or (None,) * k)[t]
            size = columns.size
            blocks.append(
                LambdaBlock(
                    name,
                    columns,
                    self.family,
                    self.levels,
                    model or DispersionModel.intercept(size),
                )
            )
        return blocks


@dataclass(frozen=True, eq=False)
class HlikProblem:
    """Everything a fit needs, as validated arrays.

    Attributes
    ----------
    y
        Response on the mean scale (proportions for the binomial).
    prior_weights
        Prior weights (times the trials for the binomial).
    trials
        Binomial trials, else ``None``.
    X, x_names
        Fixed-effects design and its column labels.
    offset
        Offsets added to the linear predictor.
    family
        Response family with its link.
    random
        The random terms.
    dispersion
        A number (fixed φ) or the :class:`DispersionModel` of φ.
    user_weights
        The prior weights the user gave (without the trials), else ``None``.
    description
        What was fitted, in words (the formula or the matrix call), for summaries.
    notes
        Where the model fitted differs from the one asked for, in words (e.g. a correlated term
        fitted as independent blocks), for summaries.
    """

    y: np.ndarray
    prior_weights: np.ndarray
    trials: np.ndarray | None
    X: np.ndarray
    x_names: tuple[str, ...]
    offset: np.ndarray
    family: Family
    random: tuple[RandomTerm, ...]
    dispersion: float | DispersionModel
    user_weights: np.ndarray | None = None
    description: str = ""
    notes: tuple[str, ...] = ()

    @property
    def n_obs(self) -> int:
        """Number of data rows."""
        return int(self.y.size)

    @property
    def n_random(self) -> int:
        """q, the total number of random effects."""
        return sum(term.n_columns for term in self.random)

    @property
    def dispersion_fixed(self) -> bool:
        """Whether φ is held at a given value."""
        return not isinstance(self.dispersion, DispersionModel)

    def lambda_blocks(self) -> list[LambdaBlock]:
        """Every λ-block, in the order of v."""
        blocks: list[LambdaBlock] = []
        start = 0
        for term in self.random:
            blocks += term.lambda_blocks(start)
            start += term.n_columns
        return blocks

    def term_starts(self) -> list[int]:
        """Position in v of each random term's first effect."""
        return list(np.cumsum([0] + [term.n_columns for term in self.random])[:-1])
