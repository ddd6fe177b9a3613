"""Draw every plot bayesml makes, over the bundled data sets, into ``docs/gallery/``.

``make plots`` runs it; ``python docs/gallery/build.py [name ...]`` draws only the named images
(``--list`` lists them). The fits are short (a few hundred draws, two chains: enough to show what
each plot looks like, not for inference) and each is made once per run and shared by the plots
that use it. The index ``docs/gallery/README.md`` is written from :data:`IMAGES`.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import bayesml  # noqa: E402
from bayesml import plots  # noqa: E402

GALLERY = Path(__file__).resolve().parent
MODELS = GALLERY.parents[1] / "models"
SEED = 20240601
SHORT = {"draws": 300, "tune": 300, "chains": 2, "random_seed": SEED}
GIBBS = {**SHORT, "sampler_kwargs": {"cores": 1}}


def _quiet(function: Callable, *args, **kwargs):
    """Short chains warn about ESS and R-hat; the gallery shows plots, not inference."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _model(name: str) -> bayesml.Model:
    return bayesml.Model.from_spec(MODELS / f"{name}.yaml")


# -- fits, each made once -------------------------------------------------------------------------
@cache
def bacteria():
    """Binary: H. influenzae presence by week, random intercept per child (logit, Gibbs PG)."""
    return _quiet(
        _model("bacteria").sample,
        "gibbs",
        posterior_predictive=True,
        prior_predictive=True,
        **GIBBS,
    )


@cache
def cbpp_model():
    return _model("cbpp")


@cache
def cbpp():
    """Binomial: cases among herd sizes by period, random intercept per herd (NUTS)."""
    return _quiet(cbpp_model().sample, posterior_predictive=True, prior_predictive=True, **SHORT)


@cache
def pump():
    """Counts with exposure: pump failures, random intercept per pump (NUTS)."""
    return _quiet(_model("pump").sample, posterior_predictive=True, prior_predictive=True, **SHORT)


@cache
def epil():
    """Counts: seizures by treatment and baseline, random intercept per patient (NUTS)."""
    model = bayesml.Model("y ~ trt + lbase + (1 | subject)", "epil", family="poisson")
    return _quiet(model.sample, posterior_predictive=True, prior_predictive=True, **SHORT)


@cache
def sleepstudy_model():
    return _model("sleepstudy")


@cache
def sleepstudy():
    """Gaussian: reaction times over days of sleep deprivation, correlated intercept and slope."""
    return _quiet(
        sleepstudy_model().sample,
        "gibbs",
        posterior_predictive=True,
        prior_predictive=True,
        **GIBBS,
    )


@cache
def sleepstudy_nuts():
    return _quiet(sleepstudy_model().sample, **SHORT)


@cache
def radon():
    """Gaussian: log radon by floor in 85 counties, correlated intercept and floor effect."""
    return _quiet(_model("radon").sample, "gibbs", **GIBBS)


# -- the images ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Image:
    name: str
    caption: str
    draw: Callable[[], object]


def _sensitivity():
    model = bayesml.Model("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    run = _quiet(
        bayesml.sensitivity,
        model,
        configurations={
            "half_normal(50), lkj(1)": {
                "sd": {"dist": "half_normal", "sigma": 50},
                "cov": {"dist": "lkj", "eta": 1},
            },
            "half_normal(50), lkj(4)": {
                "sd": {"dist": "half_normal", "sigma": 50},
                "cov": {"dist": "lkj", "eta": 4},
            },
            "inverse_wishart": {
                "cov": {"dist": "inverse_wishart", "nu": 3, "scale": [[600, 0], [0, 30]]}
            },
        },
        method="gibbs",
        max_workers=1,
        prior_predictive=False,
        **GIBBS,
    )
    return run.plot()


def _compare():
    fit = _quiet(sleepstudy_model().fit)
    comparison = bayesml.compare(sleepstudy(), sleepstudy_nuts(), fit)
    return comparison.plot()


def _seeds_hlik():
    fit = _quiet(
        bayesml.hglm,
        'r/n ~ extract * I(seed == "O73") + (1 | plate)',
        "seeds",
        family="binomial",
        weights="n",
        random_family="beta",
        dispersion=1,
    )
    return plots.hlik_diagnostics(fit)


def _semiconductor_hlik():
    fit = _quiet(
        bayesml.hglm,
        "y ~ x1 + x3 + x5 + x6 + (1 | Device)",
        "semiconductor",
        family="gamma",
        link="log",
        dispersion_formula="~ x2 + x3",
    )
    return plots.hlik_diagnostics(fit)


IMAGES: tuple[Image, ...] = (
    # posteriors
    Image(
        "trace-sleepstudy",
        "`plots.trace(result)` — sleepstudy (Gibbs): a row per element, "
        "its own scale, a legend of the chains",
        lambda: plots.trace(sleepstudy()),
    ),
    Image("rank-sleepstudy", "`plots.rank(result)` — sleepstudy", lambda: plots.rank(sleepstudy())),
    Image(
        "posterior-sleepstudy",
        "`plots.posterior(result)` — sleepstudy: densities with mean and 94% HDI",
        lambda: plots.posterior(sleepstudy()),
    ),
    Image(
        "pair-sleepstudy",
        "`plots.pair(result, var_names=['beta', 'sigma'])` — sleepstudy",
        lambda: plots.pair(sleepstudy(), var_names=["beta", "sigma"]),
    ),
    Image(
        "forest-sleepstudy",
        "`plots.forest(result)` — sleepstudy: one interval per chain, "
        "β[Intercept] and β[Days] on axes of their own",
        lambda: plots.forest(sleepstudy()),
    ),
    Image(
        "forest-radon",
        "`plots.forest(result, combined=True)` — radon: the key parameters",
        lambda: plots.forest(radon(), combined=True),
    ),
    Image(
        "forest-radon-counties",
        "`plots.forest(result, var_names=['u_county'], coords=...)` "
        "— radon: the random effects of ten counties",
        lambda: plots.forest(
            radon(),
            var_names=["u_county"],
            combined=True,
            coords={"county__level": list(radon()["posterior"]["county__level"].values[:10])},
        ),
    ),
    # posterior predictive checks
    Image(
        "ppc-bacteria",
        "`plots.ppc(result)` — bacteria (binary): PAVA calibration of the "
        "observed event rate against the predicted probability",
        lambda: plots.ppc(bacteria()),
    ),
    Image(
        "calibration-bacteria-week",
        "`plots.calibration(result, groups='week')` — bacteria: "
        "observed and predicted share of positive tests by week",
        lambda: plots.calibration(bacteria(), groups="week"),
    ),
    Image(
        "ppc-cbpp",
        "`plots.ppc(result)` — cbpp (binomial, cases among herd sizes): PAVA "
        "calibration weighted by the trials",
        lambda: plots.ppc(cbpp()),
    ),
    Image(
        "calibration-cbpp-bins",
        "`plots.calibration(result, method='bins', bins=8)` — cbpp: "
        "observed and predicted proportions in bins of predicted probability",
        lambda: plots.calibration(cbpp(), method="bins", bins=8),
    ),
    Image(
        "calibration-cbpp-period",
        "`plots.calibration(result, groups='period')` — cbpp: by period",
        lambda: plots.calibration(cbpp(), groups="period"),
    ),
    Image("ppc-pump", "`plots.ppc(result)` — pump (counts): rootogram", lambda: plots.ppc(pump())),
    Image("ppc-epil", "`plots.ppc(result)` — epil (counts): rootogram", lambda: plots.ppc(epil())),
    Image(
        "ppc-sleepstudy",
        "`plots.ppc(result)` — sleepstudy (continuous): densities",
        lambda: plots.ppc(sleepstudy(), num_samples=50),
    ),
    # prior predictive checks
    Image(
        "prior-predictive-sleepstudy",
        "`plots.prior_predictive_check(result)` — sleepstudy: "
        "the default priors' data sets on the data's scale",
        lambda: plots.prior_predictive_check(sleepstudy()),
    ),
    Image(
        "prior-predictive-epil",
        "`plots.prior_predictive_check(result)` — epil (counts)",
        lambda: plots.prior_predictive_check(epil()),
    ),
    Image(
        "prior-predictive-cbpp",
        "`plots.prior_predictive_check(result)` — cbpp (binomial)",
        lambda: plots.prior_predictive_check(cbpp()),
    ),
    Image(
        "prior-predictive-bacteria",
        "`plots.prior_predictive_check(result)` — bacteria (binary)",
        lambda: plots.prior_predictive_check(bacteria()),
    ),
    # several fits
    Image(
        "compare-sleepstudy", "`bayesml.compare(gibbs, nuts, hlik).plot()` — sleepstudy", _compare
    ),
    Image(
        "sensitivity-sleepstudy",
        "`bayesml.sensitivity(...).plot()` — sleepstudy under three covariance priors (Gibbs)",
        _sensitivity,
    ),
    # h-likelihood
    Image(
        "hlik-seeds",
        "`plots.hlik_diagnostics(fit)` — seeds (binomial, beta random effects)",
        _seeds_hlik,
    ),
    Image(
        "hlik-semiconductor",
        "`plots.hlik_diagnostics(fit)` — semiconductor (gamma, dispersion model ~ x2 + x3)",
        _semiconductor_hlik,
    ),
)


def _index() -> str:
    lines = [
        "# Plot gallery",
        "",
        "Every plot bayesml draws, over the bundled data sets. Regenerate with `make plots`",
        "(`docs/gallery/build.py`). The chains are short (300 draws, 2 chains): the images show",
        "what each plot looks like, not final inferences.",
        "",
    ]
    for image in IMAGES:
        lines += [
            f"## {image.name}",
            "",
            image.caption,
            "",
            f"![{image.name}]({image.name}.png)",
            "",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="images to draw (default: all)")
    parser.add_argument("--list", action="store_true", help="list the images and exit")
    args = parser.parse_args(argv)
    known = {image.name: image for image in IMAGES}
    if args.list:
        print("\n".join(known))
        return 0
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"unknown images {unknown}; --list lists them")
    chosen = [known[name] for name in args.names] or list(IMAGES)
    start = time.perf_counter()
    for image in chosen:
        began = time.perf_counter()
        figure = plots.figure_of(image.draw())
        figure.savefig(GALLERY / f"{image.name}.png", dpi=90)
        plt.close("all")
        print(f"{image.name}.png  {time.perf_counter() - began:5.1f} s", flush=True)
    (GALLERY / "README.md").write_text(_index(), encoding="utf-8")
    print(f"{len(chosen)} images in {time.perf_counter() - start:.0f} s -> {GALLERY}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
