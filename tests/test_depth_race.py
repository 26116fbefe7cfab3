"""The depth-race sweep: its cache (results/depth_race_runs.jsonl), its summary
(vglib/depth_race_sweep.json), its rules and chapter 9's use of them."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from vglib import race

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "09_depth_race.ipynb"


def test_the_summary_states_the_definition_and_settings_of_vglib_race():
    stored = race.load_sweep()
    assert stored["definition"] == race.DEFINITION
    s = stored["settings"]
    assert (s["n_points"], s["batch"], s["max_steps"], s["target"], s["data_seed"]) == (
        race.N_POINTS, race.BATCH, race.MAX_STEPS, race.TARGET, race.DATA_SEED)
    assert s["seeds"] == list(race.SWEEP_SEEDS) and s["depths"] == list(race.DEPTHS)
    assert s["rate_grid"] == [race.rate(k) for k in race.RATE_GRID]
    assert stored["compute_seconds"] > 0 and stored["runs"] > 0


def _glued(path: Path) -> dict:
    values = {}
    for cell in nbformat.read(path, as_version=4).cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook", {})
            data = out.get("data", {})
            key = "application/papermill.record/text/plain"
            if meta.get("name") and key in data:
                values[meta["name"]] = data[key]
    return values


def test_the_chapter_glues_what_the_stored_sweep_says():
    glued = _glued(CHAPTER)
    stored = race.load_sweep()
    some = 1 / len(race.SWEEP_SEEDS)
    for s in stored["series"]:
        if (s["width"], s["optimiser"]) != (race.WIDTH, "adam"):
            continue
        slug = s["config"].lower().replace(" + ", "_").replace("-", "").replace(" ", "_")
        for share, key in ((1.0, "every"), (some, "some")):
            depth = race.deepest(s["depths"], share)
            text = "none" if depth is None else str(depth)
            assert glued[f"dr_{slug}_{key}"].strip("'").rstrip("+") == text, (slug, key)
    assert float(glued["race_hours"]) == pytest.approx(stored["compute_seconds"] / 3600)
    assert int(glued["race_runs"]) == stored["runs"]


# -- the success-rate sweep (tools/depth_race.py) ----------------------------------------------
CACHE = ROOT / "results" / "depth_race_runs.jsonl"
TOOL = ROOT / "tools" / "depth_race.py"
FIELDS = ("config", "width", "optimiser", "depth", "seed", "k")


@pytest.fixture(scope="module")
def cached_runs():
    rows = [json.loads(line) for line in CACHE.read_text().splitlines() if line.strip()]
    return {tuple(row[f] for f in FIELDS): row for row in rows}


def test_the_sweep_summary_is_derived_from_the_cached_runs(cached_runs):
    stored = race.load_sweep()
    assert [(s["config"], s["width"], s["optimiser"]) for s in stored["series"]] == [
        (s.config, s.width, s.optimiser) for s in race.SERIES]
    for series, rows in zip(race.SERIES, stored["series"], strict=True):
        # the summary may lag the cache by the runs of one unfinished round, never lead it
        derived = json.loads(json.dumps(race.summarise(series, cached_runs)))
        assert derived[:len(rows["depths"])] == rows["depths"], series.label
    assert stored["runs"] <= len(cached_runs)


def test_the_best_rate_is_never_on_the_edge_of_the_rates_tried(cached_runs):
    low, high = race.RATE_LIMITS
    for series in race.SERIES:
        for row in race.summarise(series, cached_runs):
            if row["success_rate"] > 0:
                tried = row["rates"]
                assert row["best_k"] not in (min(tried), max(tried)) or row["best_k"] in (
                    low, high), (series.label, row)
            if row["depth"] in race.ANCHORS or row["success_rate"] == 0:
                assert set(race.RATE_GRID) <= set(row["rates"]), (series.label, row)


@pytest.mark.stored_results
def test_a_slice_of_the_cached_runs_reproduces_exactly():
    done = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every re-run reproduces the cached run" in done.stdout


def test_a_series_stops_after_two_empty_depths_past_its_deepest_success():
    series = race.Series("sigmoid + Xavier")
    runs = {}

    def outcome(depth, seed, k):  # trains at depths 2-4 with the rate 1e-3, never deeper
        return {"success": depth <= 4 and k == -6, "steps": 100, "seconds": 0.0}

    while (todo := race.next_runs(series, runs)) is not None:
        for depth, seed, k in todo:
            runs[race._key(series, depth, seed, k)] = outcome(depth, seed, k)
    depths = [row["depth"] for row in race.summarise(series, runs)]
    assert depths == [2, 3, 4, 6, 8]
    rows = race.summarise(series, runs)
    assert [row["success_rate"] for row in rows] == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert rows[1]["rates"] == [-7, -6, -5]          # three rates around the neighbour's best
    assert set(race.RATE_GRID) <= set(rows[2]["rates"])  # an anchor: the whole grid
