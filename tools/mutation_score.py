"""The mutation score of vglib's core modules, from the results of the last ``mutmut run``.

    mutmut run                            # writes mutants/vglib/<module>.py.meta
    python tools/mutation_score.py        # score per module and overall
    python tools/mutation_score.py --survivors   # also list the surviving mutants

Score = killed / (mutants - equivalent). A mutant is killed when the unit tests fail (or time
out) on it; it survives when they pass, or when no test runs its function at all.
``tests/mutmut_equivalent.txt`` lists the equivalent mutants (changes that cannot alter what
the code does), one per line: the mutant's name, then the reason. Mutant names are numbered
within their function, so they shift when the function changes: names in the list that no longer
exist, or that the tests kill after all, are reported so the list can be brought up to date.
Exit status 1 when the overall score is below ``--minimum`` (default 90 %).

mutmut tells which tests to run for a mutant from the functions each test called. A function
that runs only while vglib is imported (``init._uniform`` builds the initialiser registry,
``optim._stepping`` decorates the optimisers' ``step``) is credited to whichever test was
collected first, so mutmut runs the wrong test on its mutants (and, forking from a process that
has vglib imported already, never runs the mutated code). ``--recheck-import-time`` runs each
such mutant's own test file in a fresh process instead and stores the outcome in mutmut's
results, so that ``mutmut results`` and this score agree.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

try:
    import tomllib  # Python 3.11 and newer
except ModuleNotFoundError:  # pragma: no cover
    tomllib = None

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = ROOT / "tests" / "mutmut_equivalent.txt"

# mutmut's exit codes (mutmut/stats.py): what the test run did on the mutant
KILLED = {1: "killed", 3: "killed", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout", 36: "timeout", -9: "segfault", -11: "segfault"}
NOT_KILLED = {0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 35: "suspicious"}


# functions run only at import -> the test file that exercises what they build
IMPORT_TIME = {
    "vglib.init.x__uniform": "tests/test_init.py",
    "vglib.init.x__normal": "tests/test_init.py",
    "vglib.optim.x__stepping": "tests/test_optim.py",
}


def status(exit_code: int | None) -> str:
    if exit_code is None:
        return "not checked"
    if exit_code in KILLED:
        return KILLED[exit_code]
    return NOT_KILLED.get(exit_code, "suspicious")


def read_results(mutants: Path) -> dict[str, str]:
    """Mutant name -> status, from every ``*.py.meta`` file mutmut wrote under ``mutants``."""
    results = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name, code in data["exit_code_by_key"].items():
            results[name] = status(code)
    return results


def recheck_import_time(mutants: Path) -> int:
    """Run the mutants of ``IMPORT_TIME`` functions against their own test file (a fresh
    process, the mutant switched on before vglib is imported); store the exit codes."""
    if tomllib is None:
        raise SystemExit("--recheck-import-time needs Python 3.11 or newer (tomllib)")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_args = config["tool"]["mutmut"].get("pytest_add_cli_args", [])
    checked = 0
    for meta in sorted(mutants.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes = data["exit_code_by_key"]
        for name in codes:
            function = name.split("__mutmut_")[0]
            if function not in IMPORT_TIME or status(codes[name]) in KILLED.values():
                continue
            env = {**os.environ, "MUTANT_UNDER_TEST": name}
            run = subprocess.run(
                [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *pytest_args,
                 IMPORT_TIME[function]],
                cwd=mutants, env=env, capture_output=True, text=True)
            codes[name] = run.returncode
            checked += 1
            print(f"  {name}: {status(run.returncode)}", flush=True)
        meta.write_text(json.dumps(data), encoding="utf-8")
    return checked


def read_equivalent(path: Path) -> dict[str, str]:
    """Mutant name -> reason, from lines ``<name> <reason>`` (``#`` starts a comment line)."""
    entries = {}
    if not path.exists():
        return entries
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            raise ValueError(f"{path}:{number}: {name} has no reason; give one after the name")
        entries[name] = reason.strip()
    return entries


def module_of(mutant: str) -> str:
    """'vglib.layers.xǁDenseǁbackward__mutmut_3' -> 'vglib.layers'."""
    return mutant.split(".x", 1)[0] if ".x" in mutant else mutant.rsplit(".", 1)[0]


def score_table(results: dict[str, str], equivalent: dict[str, str]) -> tuple[list, float]:
    """Rows (module, mutants, equivalent, killed, not killed, score) and the overall score."""
    counts: dict[str, Counter] = {}
    for name, state in results.items():
        c = counts.setdefault(module_of(name), Counter())
        c["mutants"] += 1
        if name in equivalent:
            c["equivalent"] += 1
        elif state == "not checked":
            c["not checked"] += 1
        elif state in KILLED.values():
            c["killed"] += 1
        else:
            c["not killed"] += 1
    rows, total = [], Counter()
    for module in sorted(counts):
        c = counts[module]
        total.update(c)
        rows.append((module, c))
    rows.append(("overall", total))
    return rows, _score(total)


def _score(c: Counter) -> float:
    judged = c["killed"] + c["not killed"]
    return c["killed"] / judged if judged else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=Path, default=ROOT / "mutants",
                        help="mutmut's working folder (default: mutants/ in the repository)")
    parser.add_argument("--equivalent", type=Path, default=EQUIVALENT)
    parser.add_argument("--minimum", type=float, default=0.90)
    parser.add_argument("--survivors", action="store_true", help="list the mutants not killed")
    parser.add_argument("--recheck-import-time", action="store_true",
                        help="first rerun the mutants of functions run only at import")
    args = parser.parse_args(argv)

    if args.recheck_import_time:
        print(f"rechecked {recheck_import_time(args.mutants)} mutants of import-time functions")

    results = read_results(args.mutants)
    if not results:
        print(f"no mutmut results under {args.mutants}: run `mutmut run` first", file=sys.stderr)
        return 2
    equivalent = read_equivalent(args.equivalent)
    rows, overall = score_table(results, equivalent)

    print(f"{'module':<20} {'mutants':>8} {'equiv.':>7} {'killed':>7} {'alive':>6} "
          f"{'unrun':>6} {'score':>7}")
    for module, c in rows:
        print(f"{module:<20} {c['mutants']:>8} {c['equivalent']:>7} {c['killed']:>7} "
              f"{c['not killed']:>6} {c['not checked']:>6} {_score(c):>7.1%}")

    stale = sorted(name for name in equivalent if name not in results)
    killed = sorted(name for name in equivalent
                    if results.get(name) in KILLED.values())
    if stale:
        print(f"\n{len(stale)} listed as equivalent but not among the mutants (renumbered?):")
        print("\n".join(f"  {name}" for name in stale))
    if killed:
        print(f"\n{len(killed)} listed as equivalent but killed by the tests (not equivalent):")
        print("\n".join(f"  {name}" for name in killed))
    if args.survivors:
        alive = sorted(name for name, state in results.items()
                       if name not in equivalent and state not in KILLED.values()
                       and state != "not checked")
        print(f"\n{len(alive)} not killed (`mutmut show <name>` shows the change):")
        print("\n".join(f"  {name}  ({results[name]})" for name in alive))
    unrun = sum(c["not checked"] for _, c in rows[-1:])
    if unrun:
        print(f"\n{unrun} mutants not checked yet: the run is incomplete")
    return 0 if overall >= args.minimum else 1


if __name__ == "__main__":
    sys.exit(main())
