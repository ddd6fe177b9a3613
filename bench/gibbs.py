"""Gibbs benchmark: ESS per second of the Gibbs sampler and of NUTS (nutpie) on the same models.

Models: BUGS rats (``models/rats.yaml``: inverse-Wishart Σ, day not centred), radon varying
intercepts and slopes with an inverse-Wishart prior, and the bacteria probit GLMM (Albert–Chib
latent variables for Gibbs; default priors). Each (model, method) pair runs in a fresh Python
process with empty PyTensor/numba caches, which fits the model twice with the same settings:

* **first fit**: the first call of ``model.sample(method=...)`` in the process (NUTS compiles
  the model; Gibbs starts its worker processes);
* **repeat fit**: a second call on the same ``Model`` (NUTS reuses its compiled model, Gibbs its
  worker processes).

ESS is the smallest bulk ESS over the fixed effects, SDs, correlations and σ (not the random
effects); ESS/s divides it by the wall time of the call. Results go to ``bench/README.md``
between ``<!-- gibbs:begin -->`` and ``<!-- gibbs:end -->``.

Usage::

    python bench/gibbs.py            # 4 chains x 1000 draws, tune 1000; writes bench/README.md
    python bench/gibbs.py --quick    # 2 chains x 300 draws, tune 300; prints only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402  (bench/ is a folder of scripts run from anywhere)
    WorkerFailure,
    cache_env,
    machine_info,
    min_bulk_ess,
    package_versions,
    replace_section,
    run_worker,
)

BENCH_DIR = Path(__file__).resolve().parent
MODELS_DIR = BENCH_DIR.parent / "models"
README = BENCH_DIR / "README.md"
BEGIN, END = "<!-- gibbs:begin -->", "<!-- gibbs:end -->"
METHODS = ("gibbs", "nuts")
GAUSSIAN_CASES = ("rats", "radon_iw")
VERSIONED = ["bayesml", "numpy", "scipy", "pymc", "nutpie", "numba"]
HYPERPARAMETERS = ("beta", "sd_", "corr_", "sigma")


@dataclass(frozen=True)
class Settings:
    """Draws, warm-up and chains of every fit, and the seed."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    seed: int = 20240601


def _rats():
    import bayesml

    return bayesml.Model.from_spec(MODELS_DIR / "rats.yaml")


def _radon_iw():
    import bayesml

    return bayesml.Model(
        "log_radon ~ floor + (1 + floor | county)",
        "radon",
        priors={
            "intercept": {"dist": "normal", "mu": 0, "sigma": 10},
            "fixed": {"dist": "normal", "mu": 0, "sigma": 10},
            "cov": {"dist": "inverse_wishart", "nu": 4, "scale": 0.2},
            "sigma": {"dist": "half_normal", "sigma": 1},
        },
    )


def _bacteria_probit():
    import bayesml

    return bayesml.Model(
        "y ~ week + (1 | ID)", "bacteria", family="binomial", link="probit", success="y"
    )


#: case name -> (builder of the bayesml.Model, description for the README)
CASES: dict[str, tuple[Callable[[], Any], str]] = {
    "rats": (_rats, "`weight ~ day + (1 + day | rat)`, models/rats.yaml (IW(3, diag(200, 0.2)))"),
    "radon_iw": (
        _radon_iw,
        "`log_radon ~ floor + (1 + floor | county)`, N(0, 10) coefficients, IW(4, 0.2·I), σ ~ HN(1)",
    ),
    "bacteria_probit": (
        _bacteria_probit,
        "`y ~ week + (1 | ID)`, binomial probit, default priors (weakly informative, half-t SD)",
    ),
}


# -- one fit (worker process) ----------------------------------------------------------------


def hyperparameter_draws(posterior: Any) -> dict[str, np.ndarray]:
    """(chain, draw) arrays of β, the SDs, the upper-triangle correlations and σ."""
    draws: dict[str, np.ndarray] = {}
    for name, variable in posterior.data_vars.items():
        if not str(name).startswith(HYPERPARAMETERS):
            continue
        extra = [dim for dim in variable.dims if dim not in ("chain", "draw")]
        values = variable.transpose("chain", "draw", *extra).values
        for index in np.ndindex(*values.shape[2:]):
            if str(name).startswith("corr_") and not index[0] < index[1]:
                continue
            label = f"{name}[{', '.join(map(str, index))}]" if index else str(name)
            draws[label] = values[(slice(None), slice(None), *index)]
    return draws


def _sample(method: str, model: Any, settings: Settings, seed: int) -> Any:
    """``model.sample(method=...)``, the users' entry point to both samplers."""
    return model.sample(
        method=method,
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        random_seed=seed,
        log_prior=False,
        check=False,
    )


def run_one(case: str, method: str, settings: Settings) -> dict[str, Any]:
    """Fit ``case`` twice with ``method`` in this process; the timings and ESS of both fits."""
    start = time.perf_counter()
    model = CASES[case][0]()
    build = time.perf_counter() - start
    fits = []
    for repeat in range(2):
        start = time.perf_counter()
        result = _sample(method, model, settings, settings.seed + repeat)
        seconds = time.perf_counter() - start
        ess, parameter = min_bulk_ess(hyperparameter_draws(result["posterior"].to_dataset()))
        divergences = 0
        if "diverging" in result["sample_stats"]:
            divergences = int(result["sample_stats"]["diverging"].values.sum())
        fits.append(
            {"seconds": seconds, "min_ess": ess, "parameter": parameter, "divergences": divergences}
        )
    return {
        "case": case,
        "method": method,
        "settings": asdict(settings),
        "build": build,
        "fits": fits,
    }


# -- the driver (parent process) ---------------------------------------------------------------


def run_all(cases, methods, settings: Settings, *, timeout: float, work: Path) -> list[dict]:
    """Every (case, method) pair in a fresh process with fresh compile caches."""
    records = []
    for case in cases:
        for method in methods:
            out = work / f"{case}-{method}.json"
            with tempfile.TemporaryDirectory(prefix="bayesml-gibbs-bench-") as cache:
                arguments = [
                    str(Path(__file__).resolve()), "--worker", case, method, str(out),
                    "--draws", str(settings.draws), "--tune", str(settings.tune),
                    "--chains", str(settings.chains), "--seed", str(settings.seed),
                ]  # fmt: skip
                record = run_worker(
                    arguments, env=cache_env(Path(cache)), result_path=out, timeout=timeout
                )
            record["load_average"] = list(os.getloadavg())
            records.append(record)
            print(_progress_line(record), flush=True)
    return records


def _progress_line(record: Mapping[str, Any]) -> str:
    first, repeat = record["fits"]
    return (
        f"{record['case']:<16} {record['method']:<6} first {first['seconds']:6.2f} s "
        f"(ESS {first['min_ess']:6.0f})  repeat {repeat['seconds']:6.2f} s "
        f"(ESS {repeat['min_ess']:6.0f}, {repeat['parameter']})"
    )


# -- the README section ------------------------------------------------------------------------


def _rate(fit: Mapping[str, Any]) -> float:
    return fit["min_ess"] / fit["seconds"]


def table(records: list[dict]) -> str:
    """The markdown table: one row per (case, method)."""
    lines = [
        "| model | method | first fit (s) | min ESS | ESS/s | repeat fit (s) | min ESS | ESS/s "
        "| lowest-ESS parameter |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for record in records:
        first, repeat = record["fits"]
        lines.append(
            f"| {record['case']} | {record['method']} | {first['seconds']:.2f} | "
            f"{first['min_ess']:.0f} | {_rate(first):.0f} | {repeat['seconds']:.2f} | "
            f"{repeat['min_ess']:.0f} | {_rate(repeat):.0f} | `{repeat['parameter']}` |"
        )
    return "\n".join(lines)


def verdicts(records: list[dict]) -> list[str]:
    """The target, Gibbs ESS/s ≥ NUTS ESS/s on the Gaussian models, for both kinds of fit."""
    by_key = {(r["case"], r["method"]): r for r in records}
    lines = []
    for case in GAUSSIAN_CASES:
        if (case, "gibbs") not in by_key or (case, "nuts") not in by_key:
            continue
        parts = []
        for position, kind in enumerate(("first fit", "repeat fit")):
            gibbs = _rate(by_key[(case, "gibbs")]["fits"][position])
            nuts = _rate(by_key[(case, "nuts")]["fits"][position])
            verdict = "met" if gibbs >= nuts else "not met"
            parts.append(f"{kind}: Gibbs/NUTS = {gibbs / nuts:.2f} ({verdict})")
        lines.append(f"- {case}: " + "; ".join(parts))
    return lines


def readme_section(records: list[dict], settings: Settings, versions: Mapping[str, str]) -> str:
    info = machine_info()
    models = "\n".join(
        f"- `{name}`: {CASES[name][1]}" for name in dict.fromkeys(r["case"] for r in records)
    )
    version_text = ", ".join(f"{name} {version}" for name, version in versions.items())
    load = ", ".join(f"{value:.2f}" for value in records[-1].get("load_average") or [])
    return "\n".join(
        [
            "## Gibbs against NUTS (`bench/gibbs.py`)",
            "",
            "`python bench/gibbs.py` (about 6 minutes on 2 cores, most of it NUTS compiling with "
            "empty caches) rewrites this section; `--quick` prints a smaller run; "
            "`--from-json runs.json` rewrites it from the records a run saved with `--json`.",
            "",
            f"{settings.chains} chains × {settings.draws} draws after {settings.tune} warm-up "
            "iterations, for both methods; chains in parallel processes (Gibbs) or threads "
            "(nutpie) on every core. Each (model, method) pair runs in a fresh process with "
            "empty compile caches and fits the model twice: the **first fit** includes NUTS's "
            "compilation and the start of Gibbs's worker processes; the **repeat fit** is a "
            "second call on the same `Model` (NUTS reuses its compiled model, Gibbs its worker "
            "processes). Times are the "
            "wall time of the call (sampling and building the result); ESS is the smallest bulk "
            "ESS over β, the SDs, the correlations and σ.",
            "",
            models,
            "",
            table(records),
            "",
            "Target, Gibbs ESS/s ≥ NUTS ESS/s on the Gaussian models:",
            "",
            *verdicts(records),
            "",
            f"Run on {dt.date.today().isoformat()}: {info['cpu_count']} × {info['cpu_model']}; "
            f"{info['platform']}; Python {info['python']}; {version_text}; load average at the "
            f"end {load}.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--worker", nargs=3, metavar=("CASE", "METHOD", "OUT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--draws", type=int, default=Settings.draws)
    parser.add_argument("--tune", type=int, default=Settings.tune)
    parser.add_argument("--chains", type=int, default=Settings.chains)
    parser.add_argument("--seed", type=int, default=Settings.seed)
    parser.add_argument(
        "--quick", action="store_true", help="2 chains x 300 draws, tune 300; no README"
    )
    parser.add_argument("--models", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--no-readme", action="store_true", help="print the tables only")
    parser.add_argument("--json", type=Path, help="also write the records to this file")
    parser.add_argument("--timeout", type=float, default=1200.0)
    parser.add_argument(
        "--from-json", type=Path, help="rebuild the README section from saved records; no runs"
    )
    args = parser.parse_args(argv)
    settings = Settings(args.draws, args.tune, args.chains, args.seed)
    if args.quick:
        settings = Settings(300, 300, 2, args.seed)
    if args.worker:
        case, method, out = args.worker
        Path(out).write_text(json.dumps(run_one(case, method, settings)))
        return 0
    if args.from_json:
        records = json.loads(args.from_json.read_text())
        settings = Settings(**records[0]["settings"])
    else:
        with tempfile.TemporaryDirectory(prefix="bayesml-gibbs-bench-work-") as work:
            try:
                records = run_all(
                    args.models, args.methods, settings, timeout=args.timeout, work=Path(work)
                )
            except WorkerFailure as error:
                print(error, file=sys.stderr)
                return 1
    section = readme_section(records, settings, package_versions(VERSIONED))
    print()
    print(section)
    if args.json and not args.from_json:
        args.json.write_text(json.dumps(records, indent=2))
    if not (args.quick or args.no_readme):
        README.write_text(replace_section(README.read_text(), BEGIN, END, section))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
