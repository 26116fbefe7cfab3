import numpy as np
import pytest

from vglib import data, race


def test_a_shallow_relu_net_trains_and_a_deep_sigmoid_net_does_not():
    X, y = data.spirals(race.N_POINTS, np.random.default_rng(race.DATA_SEED))
    out = race.run_once(race.Series("ReLU + He"), 4, 0, -3, X, y)
    assert out["success"] and 0 < out["steps"] <= race.MAX_STEPS and not out["diverged"]
    out = race.run_once(race.Series("sigmoid + Xavier"), 30, 0, -4, X, y, max_steps=40)
    assert (out["success"], out["steps"], out["diverged"]) == (False, 40, False)


def test_a_run_that_overflows_counts_as_a_failure_that_diverged():
    X, y = data.spirals(race.N_POINTS, np.random.default_rng(race.DATA_SEED))
    out = race.run_once(race.Series("ReLU + He", optimiser="sgd"), 8, 0, 6, X, y, max_steps=40)
    assert (out["success"], out["diverged"]) == (False, True)


def test_the_rates_are_half_decades():
    assert race.rate(-2) == pytest.approx(0.1) and race.rate(-10) == pytest.approx(1e-5)
    assert [race.rate(k) for k in race.RATE_GRID] == sorted(race.rate(k) for k in race.RATE_GRID)


def test_deepest_reads_a_share_of_seeds():
    rows = [{"depth": 2, "success_rate": 0.8}, {"depth": 3, "success_rate": 1.0},
            {"depth": 4, "success_rate": 0.2}, {"depth": 6, "success_rate": 0.0}]
    assert race.deepest(rows, 1.0) == 3
    assert race.deepest(rows, 0.2) == 4          # some seed (one of five)
    assert race.deepest(rows[3:], 0.2) is None
    for bad in (0, 1.5, -0.1, True, "all"):
        with pytest.raises(ValueError, match="at_least"):
            race.deepest(rows, bad)


def test_a_series_with_a_depth_cap_stops_there():
    series = race.Series("residual + BN", max_depth=8)
    runs = {}
    while (todo := race.next_runs(series, runs)) is not None:
        for depth, seed, k in todo:
            runs[race._key(series, depth, seed, k)] = {"success": True, "steps": 10}
    assert [row["depth"] for row in race.summarise(series, runs)] == [2, 3, 4, 6, 8]


def test_an_unknown_optimiser_is_refused():
    with pytest.raises(ValueError, match="optimiser='rmsprop'"):
        race._optimiser("rmsprop", 0.1)


def test_every_configuration_builds_a_network_of_the_asked_depth():
    for name, config in race.CONFIGS.items():
        net = race.build(3, 0, **config)
        out = net.forward(np.zeros((4, 2)) + 0.1)
        assert out.shape == (4, 2), name
