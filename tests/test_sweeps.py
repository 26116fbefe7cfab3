"""The chapters' precomputed multi-seed sweeps (vglib/sweeps/*.json): complete, and
reproducible by re-running a slice of each."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vglib import experiments, sweeps


def test_every_sweep_names_an_experiment_and_has_several_seeds():
    for name, sweep in sweeps.SWEEPS.items():
        assert callable(getattr(experiments, sweep.function)), name
        seeds = {p["seed"] for p in sweep.points}
        assert len(seeds) >= 5, (name, seeds)


@pytest.mark.parametrize("name", list(sweeps.SWEEPS))
def test_the_stored_sweep_is_complete_and_in_order(name):
    if sweeps.SWEEPS[name].pending:  # still being computed: every point stored is one of it
        raw = json.loads(sweeps.path(name).read_text())["points"]
        assert raw and [p["params"] for p in sweeps.stored(name)] == [p["params"] for p in raw]
        return
    points = sweeps.results(name)
    assert [p["params"] for p in points] == list(sweeps.SWEEPS[name].points)
    assert json.loads(sweeps.path(name).read_text())["seconds"] > 0


def test_no_notebook_reads_a_sweep_that_is_still_being_computed():
    root = Path(__file__).resolve().parent.parent
    pending = [name for name, sweep in sweeps.SWEEPS.items() if sweep.pending]
    for notebook in [*root.glob("chapters/*.ipynb"), *root.glob("appendices/*.ipynb")]:
        text = notebook.read_text()
        assert not [name for name in pending if name in text], notebook


TOOL = Path(__file__).resolve().parent.parent / "tools" / "sweeps.py"


@pytest.mark.stored_results
def test_a_point_of_every_sweep_reproduces_exactly():
    # in a fresh process, where the tool pins the numerical kernels as it did for the sweep; the
    # first point of each (a fifth of the time of `--check`'s three): every sweep's code path
    done = subprocess.run([sys.executable, str(TOOL), "--check", "--quick"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every re-run point reproduces" in done.stdout


def test_a_sweep_left_to_a_notebook_is_compared_there_bit_for_bit():
    # the quick re-run skips these: the notebook must load the sweep, run its first point again
    # and compare it exactly (with the pinned kernels, the only ones that give the same bits)
    left = {name: sweep.live_in for name, sweep in sweeps.SWEEPS.items() if sweep.live_in}
    assert left, "no sweep is left to a notebook: drop Sweep.live_in"
    root = TOOL.parent.parent
    for name, notebook in left.items():
        source = "".join("".join(cell["source"]) for cell in
                         json.loads((root / notebook).read_text())["cells"])
        assert f'sweeps.results("{name}")' in source, (name, notebook)
        assert "if kernels_pinned():" in source and "bit for bit" in source, notebook


def test_summary_gives_median_and_range_over_the_seeds():
    table = sweeps.summary("ch3_moons_depth", "accuracy", by=("setting", "depth"))
    cell = table[("SGD lr 1, He", 2)]
    assert len(cell["values"]) == len(sweeps.SEEDS)
    assert cell["min"] <= cell["median"] <= cell["max"]


def test_unknown_or_incomplete_sweeps_are_refused_with_the_way_out(monkeypatch):
    with pytest.raises(ValueError, match="sweep='nope' is unknown; choose one of"):
        sweeps.results("nope")
    extra = sweeps.Sweep("moons_sigmoid_depth", (
        *sweeps.SWEEPS["ch3_moons_depth"].points, {"setting": "SGD lr 1, He", "depth": 3,
                                                   "seed": 0}))
    monkeypatch.setitem(sweeps.SWEEPS, "ch3_moons_depth", extra)
    with pytest.raises(ValueError, match=r"1 of 76 points missing\); run `python tools/sweeps"):
        sweeps.results("ch3_moons_depth")


def test_a_pending_sweep_gives_what_is_stored_so_far_and_results_only_when_complete(monkeypatch):
    done = sweeps.SWEEPS["ch3_moons_depth"]
    more = {"setting": "SGD lr 1, He", "depth": 3, "seed": 0}
    monkeypatch.setitem(sweeps.SWEEPS, "ch3_moons_depth",
                        sweeps.Sweep(done.function, (*done.points, more), pending=True))
    assert [p["params"] for p in sweeps.stored("ch3_moons_depth")] == list(done.points)
    with pytest.raises(ValueError, match="1 of 76 points missing"):
        sweeps.results("ch3_moons_depth")
    test_the_stored_sweep_is_complete_and_in_order("ch3_moons_depth")  # the pending branch


def test_digits_diagnosis_reports_every_layer_and_the_sigmoid_first_layer_barely_moves():
    # chapter 3 on the digits, one epoch: a report per Dense layer, input side first
    runs = {act: experiments.digits_diagnosis(act, 0, epochs=1) for act in ("sigmoid", "relu")}
    for run in runs.values():
        assert len(run["epoch_loss"]) == 1
        assert 0 <= run["accuracy"] <= 1 and 0 <= run["test_accuracy"] <= 1
        for key in ("weight_change", "grad_norms", "signals", "flags"):
            assert len(run[key]) == 10 + 1, key
        assert all(isinstance(flags, list) for flags in run["flags"])  # JSON keeps lists
    sigmoid, relu = runs["sigmoid"], runs["relu"]
    assert sigmoid["weight_change"][0] < 1e-3 * sigmoid["weight_change"][-1]
    assert "vanishing" in sigmoid["flags"][0] and not any(relu["flags"])
    assert relu["weight_change"][0] > 100 * sigmoid["weight_change"][0]


def test_digits_relu_init_differs_from_he_to_xavier_only_in_scale_at_the_start():
    runs = {init: experiments.digits_relu_init(init, 0, depth=4, epochs=1)
            for init in ("xavier_normal", "he_normal")}
    for run in runs.values():
        assert len(run["epoch_loss"]) == 1 and len(run["grad_norms_step1"]) == 4 + 1
        assert len(run["start_act_std"]) == 4 and len(run["start_flags"]) == 4 + 1
    xavier, he = runs["xavier_normal"], runs["he_normal"]
    # same weights up to a constant per layer: relu(s z) = s relu(z), so the ratio of the
    # activations' spread after hidden layer 4 to layer 1's differs by sqrt(2)^3 exactly
    ratio = (xavier["start_act_std"][-1] / xavier["start_act_std"][0]) / (
        he["start_act_std"][-1] / he["start_act_std"][0])
    assert ratio == pytest.approx(2 ** -1.5, rel=1e-9)
    assert all(h > x for h, x in zip(he["grad_norms_step1"], xavier["grad_norms_step1"],
                                     strict=True))


def test_the_digits_experiments_use_their_chapters_recipes():
    import inspect

    def defaults(function):
        return {name: p.default for name, p in inspect.signature(function).parameters.items()
                if p.default is not inspect.Parameter.empty}

    # chapter 5's spirals experiment and its digits twin: the same network and training
    assert defaults(experiments.digits_relu_init) == defaults(experiments.deep_relu_init)
    # chapter 3 (DEPTH, WIDTH, LR, BATCH, EPOCHS in the notebook)
    assert defaults(experiments.digits_diagnosis) == dict(depth=10, width=32, lr=0.05,
                                                          batch_size=64, epochs=30)
