"""Run the chapters' multi-seed sweeps (``vglib.sweeps.SWEEPS``) into vglib/sweeps/*.json.

    python tools/sweeps.py                  # every sweep, resuming what is stored
    python tools/sweeps.py ch3_moons_depth  # one sweep
    python tools/sweeps.py --list           # the sweeps, their size and how much is stored
    python tools/sweeps.py --check          # re-run a slice of every sweep, compare exactly
    python tools/sweeps.py --check --quick  # the first point of each, unless a notebook re-runs
                                            # it live (Sweep.live_in; tests/test_sweeps.py)

Each finished point is written to the results file at once, so an interrupted run resumes where
it stopped; the points run in parallel with joblib (one BLAS thread per worker). The numpy and
OpenBLAS code paths are pinned as for the notebooks, so ``tests/test_sweeps.py`` can re-run a
slice of every sweep and compare exactly.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

# vglib.setup on its own: importing the package would load numpy before the kernels are pinned
_spec = importlib.util.spec_from_file_location(
    "_vglib_setup", Path(__file__).resolve().parent.parent / "vglib" / "setup.py")
_setup = sys.modules["_vglib_setup"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_setup)
_setup.pin_math_kernels()

from vglib import sweeps  # noqa: E402


def _point(name: str, params: dict) -> tuple[dict, dict, float]:
    start = time.perf_counter()
    result = sweeps.SWEEPS[name].run(**params)
    return params, result, time.perf_counter() - start


def run(name: str, jobs: int) -> None:
    from joblib import Parallel, delayed

    file = sweeps.path(name)
    stored = json.loads(file.read_text()) if file.exists() else {"points": [], "seconds": 0.0}
    done = {json.dumps(p["params"], sort_keys=True) for p in stored["points"]}
    todo = [p for p in sweeps.SWEEPS[name].points if json.dumps(p, sort_keys=True) not in done]
    print(f"{name}: {len(todo)} of {len(sweeps.SWEEPS[name].points)} points to run", flush=True)
    file.parent.mkdir(exist_ok=True)
    for params, result, seconds in Parallel(n_jobs=jobs, return_as="generator_unordered")(
            delayed(_point)(name, p) for p in todo):
        stored["points"].append({"params": params, "result": result})
        stored["seconds"] = round(stored["seconds"] + seconds, 2)
        stored["function"] = sweeps.SWEEPS[name].function
        order = {json.dumps(p, sort_keys=True): i for i, p in enumerate(sweeps.SWEEPS[name].points)}
        stored["points"].sort(key=lambda p: order.get(json.dumps(p["params"], sort_keys=True), -1))
        file.write_text(json.dumps(stored, indent=1) + "\n")
    print(f"{name}: done, {stored['seconds']:.1f} s of compute in all", flush=True)


def check(name: str, quick: bool = False) -> list[str]:
    """Re-run the first, middle and last stored point of ``name`` (only the first, usually the
    cheapest, if ``quick``, and none if a notebook re-runs that one live: ``Sweep.live_in``; of
    a ``pending`` sweep, the points stored so far); the mismatches, if any."""
    points = sweeps.stored(name) if sweeps.SWEEPS[name].pending else sweeps.results(name)
    if quick:
        points = [] if sweeps.SWEEPS[name].live_in else points[:1]
    else:
        points = [points[0], points[len(points) // 2], points[-1]]
    problems = []
    for point in points:
        again = sweeps.SWEEPS[name].run(**point["params"])
        if again != point["result"]:
            problems.append(f"{name} {point['params']}: stored {point['result']}, now {again}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="sweeps to run (default: all)")
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: every core)")
    parser.add_argument("--list", action="store_true", help="list the sweeps and stop")
    parser.add_argument("--check", action="store_true",
                        help="re-run a slice of each sweep and compare it with the stored one")
    parser.add_argument("--quick", action="store_true",
                        help="with --check: re-run only the first point of each sweep")
    args = parser.parse_args()
    if args.check:
        names = args.names or list(sweeps.SWEEPS)
        problems = [p for name in names for p in check(name, args.quick)]
        print("\n".join(problems) or "every re-run point reproduces the stored results")
        return 1 if problems else 0
    if args.list:
        for name, sweep in sweeps.SWEEPS.items():
            file = sweeps.path(name)
            n = len(json.loads(file.read_text())["points"]) if file.exists() else 0
            print(f"{name:24s} {sweep.function:28s} {n:4d} of {len(sweep.points)} points stored")
        return
    for name in args.names or list(sweeps.SWEEPS):
        run(name, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
