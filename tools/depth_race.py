"""The depth race sweep (chapter 9): success rates over seeds, depths, learning rates, widths and
two optimisers, measured.

    python tools/depth_race.py                 # run (or resume) the sweep on every core
    python tools/depth_race.py --jobs 1        # ... on one core
    python tools/depth_race.py --summary       # only rewrite vglib/depth_race_sweep.json
    python tools/depth_race.py --status        # what is done, what is left, compute time so far
    python tools/depth_race.py --backend dask  # on a cluster (see below)
    python tools/depth_race.py --check         # re-run a slice of the cache, compare exactly

What is measured, and how the learning rates are searched, is defined in ``vglib.race`` (its
module docstring; the chapter quotes it). Every single training run (series, depth, seed, rate)
is appended to the cache ``results/depth_race_runs.jsonl`` as soon as it finishes, so an
interrupted sweep resumes where it stopped; the summary ``vglib/depth_race_sweep.json`` (package
data, so a Colab install finds it) is rewritten after every round. Both files are committed.

Each round asks every unfinished series for its next depth's runs (``race.next_runs``) and hands
all of them to joblib at once; with ``loky`` (the default) each worker is a process with one BLAS
thread. Another joblib backend runs the same sweep elsewhere, unchanged: with dask,
``pip install "dask[distributed]"``, start a scheduler and workers, and pass
``--backend dask --scheduler tcp://host:8786``; with ray, ``pip install ray`` and pass
``--backend ray`` (the script registers it). Cached runs are never repeated, so a cluster can
finish a sweep this machine started.

The numpy/OpenBLAS code paths are pinned (``vglib.setup.PINNED_KERNELS``) so that a run gives
the same steps on any x86-64 machine; ``tests/test_depth_race.py`` re-runs a slice of the cache.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread per worker (set before
os.environ.setdefault("OMP_NUM_THREADS", "1")       # numpy is imported, here and in workers)

import argparse
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

# vglib.setup on its own (importing the package would load numpy before the kernels are pinned)
_spec = importlib.util.spec_from_file_location(
    "_vglib_setup", Path(__file__).resolve().parent.parent / "vglib" / "setup.py")
_setup = sys.modules["_vglib_setup"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_setup)
_setup.pin_math_kernels()

import numpy as np  # noqa: E402

from vglib import __version__, data, race  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "results" / "depth_race_runs.jsonl"
RESULTS = ROOT / "vglib" / "depth_race_sweep.json"
FIELDS = ("config", "width", "optimiser", "depth", "seed", "k")


def load_cache(path: Path = CACHE) -> dict:
    """Every finished run, keyed like ``race._key``."""
    runs = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                runs[tuple(row[f] for f in FIELDS)] = row
    return runs


def _task(series: race.Series, depth: int, seed: int, k: int) -> dict:
    X, y = _data()
    out = race.run_once(series, depth, seed, k, X, y)
    key = (series.config, series.width, series.optimiser, depth, seed, k)
    return dict(zip(FIELDS, key, strict=True),
                lr=race.rate(k), **out)


_DATA = None


def _data():
    global _DATA
    if _DATA is None:
        _DATA = data.spirals(race.N_POINTS, np.random.default_rng(race.DATA_SEED))
    return _DATA


def write_summary(runs: dict, wall_seconds: float | None = None) -> dict:
    rows = []
    for series in race.SERIES:
        depths = race.summarise(series, runs)
        rows.append({"config": series.config, "width": series.width,
                     "optimiser": series.optimiser, "label": series.label,
                     "max_depth": series.max_depth,
                     "finished": race.next_runs(series, runs) is None, "depths": depths})
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    result = {
        "definition": race.DEFINITION,
        "settings": {"n_points": race.N_POINTS, "batch": race.BATCH,
                     "max_steps": race.MAX_STEPS, "target": race.TARGET,
                     "data_seed": race.DATA_SEED, "seeds": list(race.SWEEP_SEEDS),
                     "depths": list(race.DEPTHS), "anchors": list(race.ANCHORS),
                     "rate_grid": [race.rate(k) for k in race.RATE_GRID],
                     "momentum": race.MOMENTUM},
        "series": rows,
        "runs": len(runs),
        "compute_seconds": round(sum(r["seconds"] for r in runs.values()), 1),
        "wall_seconds": round(previous.get("wall_seconds", 0.0) + (wall_seconds or 0.0), 1),
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "vglib": __version__, "cpus": len(os.sched_getaffinity(0))},
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    return result


def check(runs: dict) -> list[str]:
    """Re-run, for every series, its cheapest cached success and failure (the shallowest depth);
    the mismatches in success, steps or divergence, if any."""
    problems = []
    for series in race.SERIES:
        mine = [row for key, row in runs.items() if key[:3] == (series.config, series.width,
                                                                 series.optimiser)]
        for wanted in (True, False):
            rows = sorted((r for r in mine if r["success"] == wanted),
                          key=lambda r: (r["depth"], r["steps"], r["seed"], r["k"]))
            if not rows:
                continue
            row = rows[0]
            again = _task(series, row["depth"], row["seed"], row["k"])
            if any(again[f] != row[f] for f in ("success", "steps", "diverged")):
                problems.append(f"{series.label} depth {row['depth']} seed {row['seed']} "
                                f"lr {row['lr']:g}: stored {row['success']}/{row['steps']}, "
                                f"now {again['success']}/{again['steps']}")
    return problems


def status(runs: dict) -> None:
    for series in race.SERIES:
        rows = race.summarise(series, runs)
        nxt = race.next_runs(series, runs)
        shown = " ".join(f"{r['depth']}:{r['success_rate']:.0%}" for r in rows)
        state = "done" if nxt is None else f"next depth {nxt[0][0]} ({len(nxt)} runs)"
        print(f"{series.label:45s} {state:28s} {shown}")
    print(f"{len(runs)} runs, {sum(r['seconds'] for r in runs.values()) / 3600:.2f} h of compute")


def sweep(jobs: int, backend: str | None) -> None:
    from joblib import Parallel, delayed, parallel_config

    runs = load_cache()
    CACHE.parent.mkdir(exist_ok=True)
    with parallel_config(backend=backend) if backend else _null():
        while True:
            todo = [(series, *run) for series in race.SERIES
                    for run in (race.next_runs(series, runs) or [])]
            if not todo:
                break
            print(f"round: {len(todo)} runs over "
                  f"{len({t[0] for t in todo})} series", flush=True)
            start = time.perf_counter()
            results = Parallel(n_jobs=jobs, return_as="generator_unordered")(
                delayed(_task)(*t) for t in todo)
            with CACHE.open("a") as cache:
                for row in results:
                    runs[tuple(row[f] for f in FIELDS)] = row
                    cache.write(json.dumps(row) + "\n")
                    cache.flush()
            write_summary(runs, time.perf_counter() - start)
            status(runs)
    write_summary(runs)
    print(f"finished: wrote {RESULTS.relative_to(ROOT)}")


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: every core)")
    parser.add_argument("--backend", help="a joblib backend: loky (default), dask, ray")
    parser.add_argument("--scheduler", help="the dask scheduler's address (with --backend dask)")
    parser.add_argument("--summary", action="store_true", help="only rewrite the summary")
    parser.add_argument("--status", action="store_true", help="print progress and stop")
    parser.add_argument("--check", action="store_true",
                        help="re-run a slice of the cached runs and compare")
    args = parser.parse_args()
    if args.check:
        problems = check(load_cache())
        print("\n".join(problems) or "every re-run reproduces the cached run")
        return 1 if problems else 0
    if args.status:
        status(load_cache())
        return
    if args.summary:
        write_summary(load_cache())
        return
    if args.backend == "dask":
        from dask.distributed import Client

        Client(args.scheduler)  # becomes the default client joblib's dask backend uses
    elif args.backend == "ray":
        from ray.util.joblib import register_ray

        register_ray()
    sweep(args.jobs, args.backend)


if __name__ == "__main__":
    sys.exit(main())
