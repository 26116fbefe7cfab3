import numpy as np
import pytest

from vglib import probe
from vglib.layers import Activation, Dense, PReLU, Sequential
from vglib.models import mlp


def test_leaves_walk_containers_in_forward_order(rng):
    model = mlp(2, 4, 2, 2, residual=True, norm="layer", rng=rng)
    assert [name for name, _ in probe.leaves(model)] == [
        "0", "1.block.0", "1.block.1", "1.block.2", "2.block.0", "2.block.1", "2.block.2", "3"]
    assert [name for name, _ in probe.dense_layers(model)] == ["0", "1.block.0", "2.block.0", "3"]


def test_peak_derivatives():
    assert probe.peak_derivative("sigmoid") == pytest.approx(0.25)
    assert probe.peak_derivative("tanh") == pytest.approx(1.0)
    assert probe.peak_derivative("gelu") == pytest.approx(1.129, abs=1e-3)


def test_saturated_and_dead_fractions():
    sig = Activation("sigmoid")
    sig.forward(np.array([[0.0, 5.0], [-6.0, 1.0]]))  # |z| > 4.37 saturates the sigmoid
    stats = probe.activation_stats(sig)
    assert stats.saturated == pytest.approx(0.5) and stats.dead == 0.0
    relu = Activation("relu")
    relu.forward(np.array([[1.0, -1.0, -2.0], [2.0, -3.0, 0.5]]))  # unit 1 never fires
    stats = probe.activation_stats(relu)
    assert stats.dead == pytest.approx(1 / 3) and stats.saturated == 0.0
    assert stats.mean == pytest.approx(np.mean([1, 0, 0, 2, 0, 0.5]))


def test_prelu_counts_as_an_activation_and_never_dies(rng):
    layer = PReLU(3)
    layer.forward(-np.abs(rng.standard_normal((4, 3))))
    assert probe.is_activation(layer)
    assert probe.activation_stats(layer).dead == 0.0


def test_bad_input_is_refused():
    with pytest.raises(TypeError, match="layer must be a vglib Activation or PReLU"):
        probe.activation_stats(Dense(2, 2, rng=np.random.default_rng(0)))
    with pytest.raises(RuntimeError, match="needs a forward pass first"):
        probe.activation_stats(Activation("relu"))
    with pytest.raises(TypeError, match="model must be a vglib layer"):
        probe.leaves(Sequential)
