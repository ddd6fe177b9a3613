"""Memory benchmark: peak resident memory and time of a default fit of a large logistic GLMM.

The model: ``y ~ x + (1 | g)``, bernoulli with the logit link, 10⁵ rows and 2,000 groups
(simulated, seeded: intercept −0.3, slope 0.5 on a normal covariate, random-intercept SD 0.7),
sampled with NUTS (nutpie) and with the Gibbs sampler (Pólya-Gamma augmentation). A default fit is
``model.sample(method, random_seed=...)``: 4 chains × 1000 draws after 1000 warm-up iterations,
convergence checks on. Its log-likelihood group would hold 4·10⁸ values.

Each case runs in a fresh Python process (``--worker``; empty PyTensor and numba caches) that
simulates the data, builds the ``Model`` and samples it. A thread of the worker reads the resident
set size (RSS) of the process and of its child processes (the Gibbs chains run in worker
processes) every 50 ms; the table reports the peak of the fit process (``getrusage``, exact) and
the peak of the sum over the process tree (sampled; shared library pages count once per process,
so the sum overstates what the processes take together). If the machine's available memory falls
below 2 GB the worker stops (so that an old version's run cannot push other work on the machine
into the out-of-memory killer) and the case is reported as stopped.

``--old PATH`` runs cases against another checkout of bayesml (e.g. ``git worktree add /tmp/old
9d2556b``): the worker runs with ``PYTHONPATH=PATH`` in this environment, so that ``import bayesml``
finds that version; the record names the file it imported.

Usage::

    python bench/memory.py                                  # this checkout; rewrites the memory section
    python bench/memory.py --old /tmp/old --old-label 9d2556b --old-cases nuts-2x500 gibbs-2x500
    python bench/memory.py --cases gibbs-2x500 --no-readme --json runs.json
    python bench/memory.py --from-json new.json old.json    # the section from saved records
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# appended, not prepended: a worker run with PYTHONPATH=<old checkout> must import that bayesml
sys.path.append(str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402  (bench/ is a folder of scripts run from anywhere)
    WorkerFailure,
    cache_env,
    machine_info,
    package_versions,
    replace_section,
    run_worker,
)

README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- memory:begin -->", "<!-- memory:end -->"
SEED = 20261207
ROWS, GROUPS = 100_000, 2_000
FORMULA = "y ~ x + (1 | g)"
TARGET_GB = 2.0
#: the worker stops when the machine has less memory available than this
MIN_AVAILABLE_BYTES = 2 * 10**9
TIMEOUT = 3600.0
#: decimal units, as the warnings and README state sizes (1 GB = 10⁹ bytes)
GB = 10**9


@dataclass(frozen=True)
class Case:
    """One fit: method, chains × draws after ``tune`` warm-up, and ``log_likelihood=`` if given."""

    method: str
    chains: int = 4
    draws: int = 1000
    tune: int = 1000
    log_likelihood: bool | None = None

    @property
    def default(self) -> bool:
        return (self.chains, self.draws, self.tune, self.log_likelihood) == (4, 1000, 1000, None)

    @property
    def settings(self) -> str:
        text = f"{self.chains} × {self.draws} (tune {self.tune})"
        if self.log_likelihood is not None:
            text += f", log_likelihood={self.log_likelihood}"
        return text + (" — default fit" if self.default else "")


CASES = {
    "nuts": Case("nuts"),
    "gibbs": Case("gibbs"),
    "gibbs-loglik": Case("gibbs", log_likelihood=True),
    "nuts-2x500": Case("nuts", chains=2, draws=500, tune=500),
    "gibbs-2x500": Case("gibbs", chains=2, draws=500, tune=500),
}
CURRENT_CASES = ("nuts", "gibbs", "gibbs-loglik", "nuts-2x500", "gibbs-2x500")
OLD_CASES = ("nuts-2x500", "gibbs-2x500")


def simulate(seed: int = SEED) -> pd.DataFrame:
    """10⁵ rows, 2,000 groups: logit P(y = 1) = −0.3 + 0.5 x + u_g, u_g ~ N(0, 0.7²)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=ROWS)
    group = rng.integers(0, GROUPS, ROWS)
    eta = -0.3 + 0.5 * x + rng.normal(0.0, 0.7, GROUPS)[group]
    y = rng.binomial(1, 1.0 / (1.0 + np.exp(-eta)))
    return pd.DataFrame({"y": y, "x": x, "g": pd.Categorical(group)})


# -- the worker ------------------------------------------------------------------------------


class _Monitor(threading.Thread):
    """Polls the RSS of this process and its descendants; stops the run if memory runs short."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        import psutil

        self._psutil = psutil
        self._process = psutil.Process()
        self._interval = interval
        self._stop_event = threading.Event()
        self.peak_total = 0
        self.peak_children = 0

    def sample(self) -> int:
        psutil = self._psutil
        total = self._process.memory_info().rss
        children = 0
        for child in self._process.children(recursive=True):
            try:
                children += child.memory_info().rss
            except psutil.Error:
                continue
        self.peak_total = max(self.peak_total, total + children)
        self.peak_children = max(self.peak_children, children)
        return total + children

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            if self._psutil.virtual_memory().available < MIN_AVAILABLE_BYTES:
                print(
                    f"stopped: the machine's available memory fell below "
                    f"{MIN_AVAILABLE_BYTES / GB:.0f} GB (this run's processes held "
                    f"{self.peak_total / GB:.1f} GB)",
                    file=sys.stderr,
                    flush=True,
                )
                for child in self._process.children(recursive=True):
                    child.kill()
                os._exit(3)
            self._stop_event.wait(self._interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample()


def _peak_self_bytes() -> int:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS)
    scale = 1024 if sys.platform != "darwin" else 1
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _result_bytes(result) -> dict[str, int]:
    return {name: int(child.to_dataset().nbytes) for name, child in result.children.items()}


def worker(name: str, output: Path) -> None:
    """Simulate, build and sample one case; write its record to ``output``."""
    case = CASES[name]
    monitor = _Monitor()
    monitor.start()
    start = time.perf_counter()
    import bayesml

    frame = simulate()
    model = bayesml.Model(FORMULA, frame, family="bernoulli")
    built = time.perf_counter()
    before_fit = monitor.sample()
    kwargs: dict[str, Any] = {"random_seed": SEED}
    if not case.default:
        kwargs.update(draws=case.draws, tune=case.tune, chains=case.chains)
    if case.log_likelihood is not None:
        kwargs["log_likelihood"] = case.log_likelihood
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.sample(case.method, **kwargs)
    sampled = time.perf_counter()
    monitor.stop()
    posterior = result["posterior"]
    record = {
        "case": name,
        **asdict(case),
        "bayesml_file": bayesml.__file__,
        "bayesml_version": bayesml.__version__,
        "build_seconds": built - start,
        "sample_seconds": sampled - built,
        "peak_process_bytes": _peak_self_bytes(),
        "peak_tree_bytes": monitor.peak_total,
        "peak_children_bytes": monitor.peak_children,
        "before_fit_bytes": before_fit,
        "groups": _result_bytes(result),
        "beta_mean": [float(v) for v in posterior["beta"].mean(("chain", "draw")).values],
        "sd_mean": float(posterior["sd_g"].mean()),
        "warnings": sorted({f"{w.category.__name__}: {str(w.message)[:160]}" for w in caught}),
    }
    output.write_text(json.dumps(record))


# -- the parent ------------------------------------------------------------------------------


def run_case(name: str, *, label: str, pythonpath: Path | None) -> dict[str, Any]:
    """One case in a fresh process with empty compile caches (a failed run gives a record too)."""
    with tempfile.TemporaryDirectory(prefix="bayesml-memory-bench-") as folder:
        env = cache_env(Path(folder) / "cache")
        if pythonpath is not None:
            env["PYTHONPATH"] = str(pythonpath)
        result = Path(folder) / "result.json"
        arguments = [str(Path(__file__).resolve()), "--worker", name, "--output", str(result)]
        started = time.perf_counter()
        try:
            record = run_worker(arguments, env=env, result_path=result, timeout=TIMEOUT)
        except WorkerFailure as error:
            record = {"case": name, **asdict(CASES[name]), "failure": str(error).splitlines()[-1]}
            record["process_seconds"] = time.perf_counter() - started
    record["version"] = label
    record["load_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    record["run_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return record


def _gb(value: float | None) -> str:
    return "–" if value is None else f"{value / GB:.2f}"


def _verdict(record: dict[str, Any]) -> str:
    if "failure" in record:
        return "did not finish"
    if not CASES[record["case"]].default:
        return "–"
    return "met" if record["peak_tree_bytes"] <= TARGET_GB * GB else "MISSED"


def table(records: list[dict[str, Any]]) -> str:
    """The results as a markdown table."""
    lines = [
        "| version | method | chains × draws | groups stored | sample (s) | RSS before the fit (GB) "
        "| peak RSS, fit process (GB) | peak RSS, all processes (GB) | result in memory (MB) "
        f"| target ≤ {TARGET_GB:g} GB |",
        "|---|---|---|---|--:|--:|--:|--:|--:|---|",
    ]
    for r in records:
        case = CASES[r["case"]]
        if "failure" in r:
            lines.append(
                f"| {r['version']} | {case.method} | {case.settings} | – | – | – | – | – | – "
                f"| {r['failure']} |"
            )
            continue
        groups = ", ".join(g for g in r["groups"] if g not in ("posterior", "sample_stats"))
        lines.append(
            f"| {r['version']} | {case.method} | {case.settings} | {groups} | "
            f"{r['sample_seconds']:.0f} | {_gb(r['before_fit_bytes'])} | "
            f"{_gb(r['peak_process_bytes'])} | {_gb(r['peak_tree_bytes'])} | "
            f"{sum(r['groups'].values()) / 1e6:.0f} | {_verdict(r)} |"
        )
    return "\n".join(lines)


def section(records: list[dict[str, Any]]) -> str:
    """The README section: what was run, on what, and the table."""
    machine = machine_info()
    versions = package_versions(["numpy", "xarray", "pymc", "nutpie", "polyagamma"])
    load = machine["load_average"]
    estimates = sorted(
        {
            f"{r['version']}: β = ({', '.join(f'{b:.2f}' for b in r['beta_mean'])}), "
            f"sd_g = {r['sd_mean']:.2f}"
            for r in records
            if "beta_mean" in r and CASES[r["case"]].default
        }
    )
    same = _same_draws(records)
    return "\n".join(
        [
            "## Memory of a large fit (`bench/memory.py`)",
            "",
            f"`{FORMULA}`, bernoulli (logit), {ROWS:,} simulated rows in {GROUPS:,} groups; "
            "`model.sample(method, random_seed=...)` with its defaults (4 chains × 1000 draws "
            "after 1000 warm-up iterations, convergence checks) unless the row says otherwise. NUTS "
            "is nutpie; Gibbs is the Pólya-Gamma sampler, its chains in worker processes. Each "
            "case runs in a fresh process with empty compile caches. **Peak RSS, fit process**: "
            "the process's peak resident memory (`getrusage`; Python, the libraries, the data "
            "and the result included); **all processes**: the peak of the summed RSS of the "
            "process and its children (the Gibbs workers), read every 50 ms. **Result in "
            "memory**: the bytes of the returned groups. The target applies to the default fits "
            "(all processes).",
            "",
            table(records),
            "",
            "The former version (`9d2556b`) ran from a copy of that commit's package (`git archive "
            "9d2556b bayesml | tar -x -C /tmp/old9d`), imported through `PYTHONPATH` in the same "
            "environment. It stores the log-likelihood of every draw and row (float64) in every "
            "fit and computes it, with η and μ, at full size: at 4 × 1000 draws the group alone "
            "is 3.2 GB and its temporaries several times that (a default fit was killed by the "
            "out-of-memory killer on a 24 GB machine), so it ran at 2 × 500 draws only, as this "
            "machine has 23 GB shared with other work. Its longer sampling times at 2 × 500 are "
            "the log-likelihood it computes (10⁸ values)" + _log_likelihood_cost(records) + ". "
            "The current version computes draws-by-rows groups in chunks of draws "
            "(`bayesml.results.chunks`, 16 MiB per intermediate array) and stores the "
            "log-likelihood as float32, by default only up to 5·10⁷ values "
            '(`log_likelihood="auto"`; `bayesml.add_log_likelihood` adds it later).',
            "",
            "Posterior means of the default fits (true values β = (−0.30, 0.50), sd_g = 0.70): "
            + "; ".join(estimates)
            + "."
            + (
                f" The versions drew the same draws ({same}: the same posterior means to every "
                "digit); what changed is what is computed and kept after sampling."
                if same
                else ""
            ),
            "",
            f"Machine: {machine['cpu_count']} × {machine['cpu_model']}; {machine['platform']}; "
            f"Python {machine['python']}; "
            + ", ".join(f"{name} {version}" for name, version in versions.items())
            + ". "
            + _load_text(records, load),
        ]
    )


def _load_text(records: list[dict[str, Any]], load: list[float] | None) -> str:
    """When the runs were made and how busy the machine was (other work shares it)."""
    loads = [r["load_after"] for r in records if r.get("load_after") is not None]
    dates = sorted({r["run_at"][:10] for r in records if "run_at" in r})
    if loads:
        return (
            f"Runs of {', '.join(dates)}; 1-minute load average after each run "
            f"{min(loads):.2f}–{max(loads):.2f} on {os.cpu_count()} cores (timings are "
            "wall-clock and move with the load; the memory does not)."
        )
    when = time.strftime("%Y-%m-%d", time.gmtime())
    now = ", ".join(f"{x:.2f}" for x in load) if load else "n/a"
    return (
        f"Section written on {when} from saved records (which do not hold the load during the "
        f"runs); load average then {now}. Timings are wall-clock and move with other work on "
        "the machine; the memory does not."
    )


def _log_likelihood_cost(records: list[dict[str, Any]]) -> str:
    """What storing the group costs the current version: the default Gibbs fit against the same
    fit with ``log_likelihood=True``."""
    by_version: dict[str, dict[str, dict[str, Any]]] = {}
    for r in records:
        if "sample_seconds" in r:
            by_version.setdefault(r["version"], {})[r["case"]] = r
    complete = [runs for runs in by_version.values() if {"gibbs", "gibbs-loglik"} <= set(runs)]
    if not complete:
        return ""
    runs = complete[0]
    seconds = runs["gibbs-loglik"]["sample_seconds"] - runs["gibbs"]["sample_seconds"]
    kept = runs["gibbs-loglik"]["groups"].get("log_likelihood", 0) / GB
    return (
        f"; the `log_likelihood=True` row shows what 4·10⁸ values cost the current version, "
        f"in chunks: {seconds:.0f} s more than the default Gibbs fit and {kept:.1f} GB kept"
    )


def _same_draws(records: list[dict[str, Any]]) -> str:
    """The cases run by several versions with identical posterior means, e.g. ``nuts-2x500``."""
    by_case: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        if "beta_mean" in r:
            by_case.setdefault(r["case"], []).append(r)
    same = [
        case
        for case, runs in by_case.items()
        if len({r["version"] for r in runs}) > 1
        and len({(tuple(r["beta_mean"]), r["sd_mean"]) for r in runs}) == 1
    ]
    return ", ".join(f"`{case}`" for case in same)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", nargs="*", choices=list(CASES), default=list(CURRENT_CASES))
    parser.add_argument("--label", default="current", help="version label of this checkout")
    parser.add_argument("--old", type=Path, help="another checkout of bayesml to run as well")
    parser.add_argument("--old-label", default="old")
    parser.add_argument("--old-cases", nargs="+", choices=list(CASES), default=list(OLD_CASES))
    parser.add_argument("--no-readme", action="store_true", help="print the table only")
    parser.add_argument("--json", type=Path, help="also write the records to this file")
    parser.add_argument("--from-json", type=Path, nargs="+", help="records of earlier runs")
    parser.add_argument("--worker", choices=list(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.output)
        return 0
    records: list[dict[str, Any]] = []
    for path in args.from_json or []:
        records.extend(json.loads(path.read_text()))
    if not args.from_json:
        runs = [(name, args.label, None) for name in args.cases]
        if args.old is not None:
            runs += [(name, args.old_label, args.old.resolve()) for name in args.old_cases]
        for name, label, path in runs:
            record = run_case(name, label=label, pythonpath=path)
            peak = record.get("peak_tree_bytes")
            print(
                f"{label} {name}: "
                + (
                    record["failure"]
                    if "failure" in record
                    else f"{_gb(peak)} GB, {record['sample_seconds']:.0f} s"
                ),
                flush=True,
            )
            records.append(record)
            if args.json:
                args.json.write_text(json.dumps(records, indent=2))
    print(table(records))
    if not args.no_readme:
        README.write_text(replace_section(README.read_text(), BEGIN, END, section(records)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
