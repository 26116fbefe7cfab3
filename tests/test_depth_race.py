"""The committed depth-race results (vglib/depth_race.json) and chapter 9's use of them."""

import json
from pathlib import Path

import nbformat
import pytest

from vglib import race

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "09_depth_race.ipynb"


@pytest.fixture(scope="module")
def results():
    return race.load_results()


def test_results_file_matches_the_definition_and_settings_in_vglib(results):
    assert results["definition"] == race.DEFINITION
    s = results["settings"]
    assert (s["width"], s["n_points"], s["batch"], s["max_steps"], s["target"]) == (
        race.WIDTH, race.N_POINTS, race.BATCH, race.MAX_STEPS, race.TARGET)
    assert s["learning_rates"] == sorted(race.LEARNING_RATES)
    assert s["seeds"] == list(race.SEEDS) and s["max_depth"] == race.MAX_DEPTH
    assert results["seconds"] > 0


def test_every_configuration_has_a_consistent_search_per_seed(results):
    assert list(results["results"]) == list(race.CONFIGS)
    for name, r in results["results"].items():
        assert r["config"] == race.CONFIGS[name]
        assert [run["seed"] for run in r["runs"]] == list(race.SEEDS)
        depths = []
        for run in r["runs"]:
            tried = {int(d): ok for d, ok in run["tried"].items()}
            best = run["max_depth"]
            depths.append(best or 0)
            # the reported depth trained, and nothing deeper that was tried did,
            # except below the first failure (bisection only narrows the bracket)
            assert best is None or tried[best] is True, (name, run)
            if run["capped"]:
                assert best == race.MAX_DEPTH and all(tried.values())
            elif best is None:
                assert run["first_failure"] == 2 and tried == {2: False}
            else:
                failure = run["first_failure"]
                assert tried[failure] is False and failure > best
                assert failure - best <= 1 or failure / best <= 1 + race.RESOLUTION
        assert sorted(depths)[len(depths) // 2] == r["median"]
        assert (min(depths), max(depths)) == (r["min"], r["max"])
        assert r["capped"] == any(run["capped"] for run in r["runs"])


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


def test_the_chapter_table_shows_the_committed_results(results):
    glued = _glued(CHAPTER)
    for name, r in results["results"].items():
        slug = name.lower().replace(" + ", "_").replace("-", "").replace(" ", "_")
        for key in ("median", "min", "max"):
            assert float(glued[f"dr_{slug}_{key}"]) == float(r[key]), (name, key)
    assert float(glued["search_minutes"]) == pytest.approx(results["seconds"] / 60)
    assert json.loads(json.dumps(results))  # the file is plain JSON
