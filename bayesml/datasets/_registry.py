"""The registry of bundled data sets: file, size, description and column types of each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["DatasetInfo", "DATASETS"]


@dataclass(frozen=True)
class DatasetInfo:
    """What bayesml knows about one bundled data set.

    Parameters
    ----------
    file
        File name under ``bayesml/datasets/data``.
    rows
        Number of data rows (header excluded).
    description
        One line: what the data are and where they come from.
    categories
        Columns loaded as pandas ``category``, each mapped to its levels in order (the first is
        the reference level, as in R) or to ``None`` for the natural order of its values.
    ordered
        Categorical columns whose levels are ordered (ordinal responses).
    header
        False for a headerless numeric matrix.
    """

    file: str
    rows: int
    description: str
    categories: Mapping[str, tuple | None] = field(default_factory=dict)
    ordered: tuple[str, ...] = ()
    header: bool = True


def _ids(*columns: str) -> dict[str, None]:
    """Columns that are categories in the natural order of their values."""
    return dict.fromkeys(columns)


_ENTRIES = {
    "bacteria": DatasetInfo(
        "bacteria.csv",
        220,
        "H. influenzae presence in 50 children at weeks 0-11 (MASS::bacteria); y is n/y",
        {**_ids("y", "ap", "hilo", "ID"), "trt": ("placebo", "drug", "drug+")},
    ),
    "beetles": DatasetInfo(
        "beetles.csv",
        8,
        "Bliss (1935) beetle mortality: killed of n at dose of CS2",
    ),
    "cbpp": DatasetInfo(
        "cbpp.csv",
        56,
        "Contagious bovine pleuropneumonia, 15 herds x 4 periods (lme4::cbpp)",
        _ids("herd", "period"),
    ),
    "epil": DatasetInfo(
        "epil.csv",
        236,
        "Thall & Vail epilepsy seizure counts, 59 subjects x 4 visits (MASS::epil)",
        {"trt": ("placebo", "progabide"), **_ids("subject")},
    ),
    "grouseticks": DatasetInfo(
        "grouseticks.csv",
        403,
        "Ticks on red grouse chicks (lme4::grouseticks)",
        _ids("INDEX", "BROOD", "YEAR", "LOCATION"),
    ),
    "hglm_sim_seed1234": DatasetInfo(
        "hglm_sim_seed1234.csv",
        100,
        "hglm vignette simulation, 5 clusters x 20: Gaussian y (dispersion by xd), Poisson y_pois",
        _ids("cluster"),
    ),
    "hglm_sim_seed911": DatasetInfo(
        "hglm_sim_seed911.csv",
        100,
        "hglm vignette simulation for likelihood-ratio tests: y, x1-x3, groups z1, z2",
        _ids("z1", "z2"),
    ),
    "lipcancer": DatasetInfo(
        "lipcancer.csv",
        56,
        "Scottish lip cancer by district: observed O, expected E, % in agriculture Paff",
    ),
    "lipcancer_neighbours": DatasetInfo(
        "lipcancer_neighbours.csv",
        56,
        "56 x 56 0/1 neighbour matrix of the Scottish lip cancer districts (no header)",
        header=False,
    ),
    "pump": DatasetInfo(
        "pump.csv",
        10,
        "Gaver & O'Muircheartaigh (1987) pump failures S over t thousand hours, group Gr",
        _ids("System"),
    ),
    "qtlmas": DatasetInfo(
        "qtlmas.csv.gz",
        1000,
        "QTLMAS 2009: trait P265, animal design Z1-Z2025 (Cholesky-scaled), markers Z.marker1-90",
    ),
    "radon": DatasetInfo(
        "radon.csv",
        919,
        "Minnesota household radon, 85 counties (Gelman & Hill)",
        _ids("county"),
    ),
    "rats": DatasetInfo(
        "rats.csv",
        150,
        "BUGS rats: weight of 30 rats at days 8, 15, 22, 29, 36 (long format)",
        _ids("rat"),
    ),
    "roaches": DatasetInfo(
        "roaches.csv",
        262,
        "Roach counts after pest treatment, exposure2 (rstanarm::roaches)",
    ),
    "salamander_mating": DatasetInfo(
        "salamander_mating.csv",
        360,
        "McCullagh & Nelder salamander mating: Mate 0/1 for crossed Female x Male pairs",
        _ids("Season", "TypeM", "TypeF", "Cross", "Male", "Female"),
    ),
    "salamanders": DatasetInfo(
        "salamanders.csv",
        644,
        "Salamander counts by site, species and mining (glmmTMB)",
        {
            **_ids("site"),
            "mined": ("yes", "no"),
            "spp": ("GP", "PR", "DM", "EC-A", "EC-L", "DES-L", "DF"),
        },
    ),
    "seeds": DatasetInfo(
        "seeds.csv",
        21,
        "Crowder (1978) seed germination: r of n per plate, seed O73/O75, extract Bean/Cucumber",
        _ids("plate", "seed", "extract"),
    ),
    "semiconductor": DatasetInfo(
        "semiconductor.csv",
        64,
        "Myers, Montgomery & Vining (2002) substrate curvature y, 16 devices x 4, x1-x6 at +-1",
        _ids("Device"),
    ),
    "sleepstudy": DatasetInfo(
        "sleepstudy.csv",
        180,
        "Reaction times of 18 subjects over 10 days of sleep deprivation (lme4::sleepstudy)",
        _ids("Subject"),
    ),
    "choices": DatasetInfo(
        "choices.csv",
        600,
        "Simulated unordered choices stay/move/quit with 20 sites (bayesml; "
        "tests/references/categorical_data.py)",
        {"choice": ("stay", "move", "quit"), "x2": ("a", "b", "c"), "site": None},
    ),
    "wells": DatasetInfo(
        "wells.csv",
        3020,
        "Bangladesh well switching (Gelman & Hill; rstanarm::wells)",
    ),
    "wine": DatasetInfo(
        "wine.csv",
        72,
        "Wine bitterness ratings 1-5 by 9 judges (ordinal::wine)",
        {**_ids("rating", "bottle", "judge"), "temp": ("cold", "warm"), "contact": ("no", "yes")},
        ordered=("rating",),
    ),
}

DATASETS: Mapping[str, DatasetInfo] = MappingProxyType(_ENTRIES)
"""Bundled data sets by name."""
