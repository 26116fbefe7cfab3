import numpy as np
import pytest

from vglib import chains


def test_signal_after_layers_is_factor_to_the_power():
    signal = chains.signal_after_layers(0.9, 10)
    assert signal.shape == (11,)
    assert signal[0] == 1.0
    assert signal[10] == pytest.approx(0.3486784401)  # "about 0.35"
    assert chains.signal_after_layers(0.1, 10)[-1] == pytest.approx(1e-10)  # not 1e-8


def test_sigmoid_chain_at_z5_matches_the_printed_values():
    products = chains.activation_chain("sigmoid", 5.0, 10)
    assert [round(p, 8) for p in products[:3]] == [0.00664806, 0.00004420, 0.00000029]
    assert np.array_equal(chains.activation_chain("relu", 5.0, 10), np.ones(10))


def test_flow_simulation_reproduces_the_source_setup(rng):
    sim = chains.flow_simulation(rng)
    assert sim.sigmoid.shape == sim.relu.shape == sim.resnet.shape == (10_000,)
    assert sim.sigmoid[0] == pytest.approx(7.89e-31, rel=1e-3)  # not 7.88e-36
    assert np.all(sim.resnet == 1.0)
    # every "ReLU" product is 0.5^k 1.5^(50-k) for a whole k
    k = np.log(sim.relu / 1.5**50) / np.log(0.5 / 1.5)
    assert np.allclose(k, np.round(k))


def test_typical_product_is_tiny_while_the_expected_product_is_one():
    sim = chains.flow_simulation(np.random.default_rng(0), n_trials=200_000)
    stats = chains.product_stats(sim.relu)
    assert stats.median == pytest.approx(0.75**25)
    assert stats.geometric_mean == pytest.approx(0.75**25, rel=0.05)
    assert stats.mean > 100 * stats.median


def test_the_mean_swings_from_seed_to_seed():
    means = [chains.product_stats(chains.flow_simulation(np.random.default_rng(s)).relu).mean
             for s in range(10)]
    assert max(means) / min(means) > 1.5


def test_whisper_game_fades_and_is_reproducible():
    heard, loudness = chains.whisper_game(
        "update the first layer", 10, 0.5, np.random.default_rng(1), noise=0.05
    )
    assert len(heard) == 10 and loudness[0] == 1.0 and loudness[-1] == 0.5**9
    message = "update the first layer"
    correct = [np.mean([a == b for a, b in zip(h, message, strict=True)]) for h in heard]
    assert correct[0] > 0.8 and correct[-1] < 0.5
    assert all(len(h) == len("update the first layer") for h in heard)
    again, _ = chains.whisper_game(
        "update the first layer", 10, 0.5, np.random.default_rng(1), noise=0.05
    )
    assert again == heard


def test_bad_input_is_refused(rng):
    with pytest.raises(ValueError, match="factor must be in"):
        chains.signal_after_layers(-0.5, 10)
    with pytest.raises(ValueError, match="n_layers must be an integer >= 1"):
        chains.signal_after_layers(0.5, 0)
    with pytest.raises(ValueError, match="activation='sigma' is unknown"):
        chains.activation_chain("sigma", 5.0, 3)
    with pytest.raises(TypeError, match="message must be a non-empty string"):
        chains.whisper_game("", 3, 0.5, rng)
    with pytest.raises(TypeError, match="rng must be"):
        chains.flow_simulation(None)
    with pytest.raises(ValueError, match="products must all be positive"):
        chains.product_stats(np.array([1.0, 0.0]))


def test_layers_until_below_solves_the_power_inequality():
    assert chains.layers_until_below(0.95, 1e-6) == 270
    assert 0.95**270 < 1e-6 <= 0.95**269
    assert chains.layers_until_below(0.1, 1e-10) == 11  # 0.1 ** 10 is not *below* 1e-10
    for factor in (0.1, 0.25, 0.5, 0.9, 0.99):
        for threshold in (1e-3, np.finfo(np.float32).eps, 1e-300):
            n = chains.layers_until_below(factor, threshold)
            assert factor**n < threshold <= factor ** (n - 1)
    assert chains.layers_until_below(1.0, 0.5) is None
    assert chains.layers_until_below(1.1, 0.5) is None
    assert chains.layers_until_below(0.5, 2.0) == 0
    with pytest.raises(ValueError, match="threshold must be in"):
        chains.layers_until_below(0.5, 0.0)


def test_layers_until_above_solves_the_growing_power_inequality():
    assert chains.layers_until_above(1.05, 1000) == 142
    assert 1.05**142 > 1000 >= 1.05**141
    assert chains.layers_until_above(2.0, 8.0) == 4  # 2 ** 3 is not *above* 8
    for factor in (1.01, 1.1, 1.5, 10.0):
        for threshold in (1.0, 1e3, 1e300):
            n = chains.layers_until_above(factor, threshold)
            assert factor**n > threshold >= factor ** (n - 1)
    assert chains.layers_until_above(1.0, 2.0) is None
    assert chains.layers_until_above(0.9, 2.0) is None
    assert chains.layers_until_above(2.0, 0.5) == 0
