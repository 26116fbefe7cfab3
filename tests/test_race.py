import numpy as np

from vglib import data, race


def test_a_shallow_relu_net_trains_and_a_deep_sigmoid_net_does_not():
    X, y = data.spirals(race.N_POINTS, np.random.default_rng(race.DATA_SEED))
    ok, lr, steps = race.trains(race.CONFIGS["ReLU + He"], 4, 0, X, y)
    assert ok and lr in race.LEARNING_RATES and steps <= race.MAX_STEPS
    ok, lr, steps = race.trains(race.CONFIGS["sigmoid + Xavier"], 30, 0, X, y,
                                learning_rates=(0.01,), max_steps=40)
    assert (ok, lr, steps) == (False, None, 40)


def test_search_doubles_then_bisects_to_the_resolution(monkeypatch):
    calls = []

    def fake_trains(config, depth, seed, X, y):
        calls.append(depth)
        return depth <= 37, 0.01, 10

    monkeypatch.setattr(race, "trains", fake_trains)
    found = race.search({}, 0, None, None, log=lambda line: None)
    assert calls[:6] == [2, 4, 8, 16, 32, 64]  # doubling until the first failure
    assert 32 <= found["max_depth"] <= 37 < found["first_failure"]
    assert found["first_failure"] / found["max_depth"] <= 1 + race.RESOLUTION
    assert found["tried"]["64"] is False and not found["capped"]


def test_search_reports_the_cap_when_every_depth_trains(monkeypatch):
    monkeypatch.setattr(race, "trains", lambda *args: (True, 0.01, 10))
    found = race.search({}, 0, None, None, log=lambda line: None)
    assert found["max_depth"] == race.MAX_DEPTH and found["capped"]


def test_every_configuration_builds_a_network_of_the_asked_depth():
    for name, config in race.CONFIGS.items():
        net = race.build(3, 0, **config)
        out = net.forward(np.zeros((4, 2)) + 0.1)
        assert out.shape == (4, 2), name
