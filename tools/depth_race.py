"""The depth race: the deepest network of each kind that trains, measured (chapter 9).

    python tools/depth_race.py                  # full search, writes vglib/depth_race.json
    python tools/depth_race.py --quick          # a small smoke run, printed only
    python tools/depth_race.py --part 0/2       # half of the configurations (run two at once
    python tools/depth_race.py --part 1/2       #   on two cores), then:
    python tools/depth_race.py --merge          # join the parts into vglib/depth_race.json

"Trains" is defined once, in ``vglib.race`` (``DEFINITION``, quoted by the chapter): a
network of width 32 trains at a depth if, for at least one learning rate of a small Adam sweep,
it reaches 90 % training accuracy (inference mode) on 256 spiral points within 600 minibatch
steps. For every configuration and seed the search doubles the depth from 2 until a depth fails
(or the cap of 256 is reached), then bisects between the last success and the first failure.
The search takes many minutes, so the chapter reads the results file instead of running it;
``tests/test_depth_race.py`` checks the file and the chapter's table against it.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from vglib import __version__, data
from vglib.race import (
    BATCH,
    CONFIGS,
    DATA_SEED,
    DEFINITION,
    LEARNING_RATES,
    MAX_DEPTH,
    MAX_STEPS,
    N_POINTS,
    RESOLUTION,
    SEEDS,
    TARGET,
    WIDTH,
    search,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "vglib" / "depth_race.json"  # package data: Colab installs get it too
PARTS = ROOT / "results"


def run(names: list[str], seeds, X, y) -> dict:
    results = {}
    for name in names:
        config = CONFIGS[name]
        print(f"{name}", flush=True)
        runs = []
        for seed in seeds:
            t0 = time.perf_counter()
            print(f"  seed {seed}", flush=True)
            found = search(config, seed, X, y, lambda line: print(line, flush=True))
            found["seconds"] = round(time.perf_counter() - t0, 1)
            runs.append(found)
        depths = [r["max_depth"] or 0 for r in runs]
        results[name] = {"config": config, "runs": runs,
                         "median": statistics.median(depths), "min": min(depths),
                         "max": max(depths), "capped": any(r["capped"] for r in runs)}
        print(f"  -> median {results[name]['median']}, range {min(depths)}-{max(depths)}",
              flush=True)
    return results


def write(results: dict, seconds: float) -> None:
    RESULTS.write_text(json.dumps({
        "definition": DEFINITION,
        "settings": {"width": WIDTH, "n_points": N_POINTS, "batch": BATCH,
                     "max_steps": MAX_STEPS, "target": TARGET,
                     "learning_rates": sorted(LEARNING_RATES), "seeds": list(SEEDS),
                     "max_depth": MAX_DEPTH, "resolution": RESOLUTION, "data_seed": DATA_SEED},
        "results": {name: results[name] for name in CONFIGS},
        "seconds": round(seconds, 1),
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "vglib": __version__, "cpus": _cpus()},
    }, indent=1) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two configs, one seed, no file")
    parser.add_argument("--part", help="k/n: run every n-th configuration from the k-th")
    parser.add_argument("--merge", action="store_true", help="join the part files")
    args = parser.parse_args()
    if args.merge:
        parts = sorted(PARTS.glob("depth_race.part*.json"))
        merged, seconds = {}, 0.0
        for part in parts:
            content = json.loads(part.read_text())
            merged.update(content["results"])
            seconds += content["seconds"]
        missing = set(CONFIGS) - set(merged)
        if missing:
            raise SystemExit(f"parts are missing configurations: {sorted(missing)}")
        write(merged, seconds)
        for part in parts:
            part.unlink()
        return
    X, y = data.spirals(N_POINTS, np.random.default_rng(DATA_SEED))
    names = list(CONFIGS)
    if args.quick:
        names, seeds = names[:2], SEEDS[:1]
    else:
        seeds = SEEDS
    if args.part:
        k, n = (int(v) for v in args.part.split("/"))
        names = names[k::n]
    start = time.perf_counter()
    results = run(names, seeds, X, y)
    seconds = time.perf_counter() - start
    print(f"total {seconds:.0f} s")
    if args.quick:
        return
    if args.part:
        PARTS.mkdir(exist_ok=True)
        out = PARTS / f"depth_race.part{args.part.replace('/', 'of')}.json"
        out.write_text(json.dumps({"results": results, "seconds": seconds}))
        print(f"wrote {out.relative_to(ROOT)}")
        return
    write(results, seconds)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    sys.exit(main())
