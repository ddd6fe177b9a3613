"""Time of a simulation-based calibration run (issue 16): 100 simulations of a small hierarchical
model, NUTS and Gibbs, on this machine.

Model: sleepstudy, ``Reaction ~ Days + (1 | Subject)`` (180 rows, 18 subjects), gaussian, with
half-normal(50) priors on the random-effect SD and the residual SD (the README's example; the
default coefficient priors). Each method runs ``bayesml.sbc`` once at its defaults (4 chains ×
1000 draws after 1000 warm-up draws; NUTS in this process, so every refit reuses the compiled log
density; Gibbs in a process pool of the CPUs), in a fresh process with the project's compile
caches as they are (run the test suite or a fit first for warm caches).

The section between ``<!-- sbc:begin -->`` and ``<!-- sbc:end -->`` of ``bench/README.md``
records: wall time of the run, seconds per simulation (wall / n, and the median fit), the first
fit (compilation included), compile-cache counts, fits that warned or failed, and whether every
parameter passed the uniformity test (Holm, 5 %).

Usage::

    python bench/sbc.py                  # 100 simulations per method; writes bench/README.md
    python bench/sbc.py --n 20 --quick   # 20 simulations, 2 chains × 300 draws; prints only
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_info, replace_section  # noqa: E402

import bayesml  # noqa: E402

README = Path(__file__).resolve().parent / "README.md"
PRIORS = {
    "sd": {"dist": "half_normal", "sigma": 50},
    "sigma": {"dist": "half_normal", "sigma": 50},
}


def run(method: str, n: int, fit: dict[str, Any]) -> dict[str, Any]:
    from bayesml.backends.pymc.compile_cache import CACHE

    model = bayesml.Model("Reaction ~ Days + (1 | Subject)", "sleepstudy", priors=PRIORS)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bayesml.SamplingWarning)
        result = bayesml.sbc(
            model, n_simulations=n, method=method, random_seed=1, progressbar=False, **fit
        )
    wall = time.perf_counter() - start
    seconds = result.ranks["seconds"]
    return {
        "method": method,
        "n": n,
        "wall": wall,
        "per_simulation": wall / n,
        "median_fit": float(seconds.median()),
        "first_fit": float(seconds.iloc[0]),
        "cache": f"{CACHE.stats.hits} hits, {CACHE.stats.misses} misses"
        if method == "nuts"
        else "",
        "warned": result.n_warned,
        "failed": result.n_failed,
        "passed": bool(result.summary()["passed"].all()),
        "parameters": len(result.parameters),
    }


def table(records: list[dict[str, Any]]) -> str:
    lines = [
        "| method | simulations | wall (s) | s / simulation | median fit (s) | first fit (s) "
        "| compile cache | warned | failed | all pass |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r['method']} | {r['n']} | {r['wall']:.0f} | {r['per_simulation']:.2f} | "
            f"{r['median_fit']:.2f} | {r['first_fit']:.1f} | {r['cache']} | {r['warned']} | "
            f"{r['failed']} | {'yes' if r['passed'] else 'no'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--methods", nargs="+", default=["nuts", "gibbs"])
    args = parser.parse_args()
    fit = {"draws": 300, "tune": 300, "chains": 2} if args.quick else {}
    records = [run(method, args.n, fit) for method in args.methods]
    body = table(records)
    print(body)
    if args.quick:
        return
    machine = machine_info()
    load = ", ".join(f"{v:.1f}" for v in machine["load_average"] or [])
    section = (
        f"## Simulation-based calibration (`bench/sbc.py`, {dt.date.today().isoformat()})\n\n"
        "`bayesml.sbc` on sleepstudy, `Reaction ~ Days + (1 | Subject)` (half-normal(50) SD "
        "priors), 4 chains × 1000 draws (tune 1000) per fit, default workers (NUTS: 1, "
        f"its chains in parallel; Gibbs: a pool of the CPUs). Machine: {machine['cpu_count']} "
        f"CPUs ({machine['cpu_model']}), load average {load} at the end.\n\n" + body
    )
    text = README.read_text()
    README.write_text(replace_section(text, "<!-- sbc:begin -->", "<!-- sbc:end -->", section))


if __name__ == "__main__":
    main()
