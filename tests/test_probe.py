import re

import numpy as np
import pytest
from refusals import assert_refused_naming

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


def test_grad_norm_per_layer_after_backward(rng):
    model = mlp(2, 4, 3, 2, rng=rng)
    model.forward(rng.standard_normal((5, 2)))
    model.backward(rng.standard_normal((5, 2)))
    norms = probe.grad_norm_per_layer(model)
    expected = [np.linalg.norm(layer.grads["W"]) for _, layer in probe.dense_layers(model)]
    assert np.allclose(norms, expected) and norms.shape == (4,)


def test_relative_weight_change_against_a_snapshot(rng):
    model = mlp(2, 4, 2, 2, rng=rng)
    before = probe.weight_snapshot(model)
    assert np.allclose(probe.relative_weight_change(model, before), 0.0)
    model.layers[0].params["W"] *= 1.5  # in place, as an optimiser does
    change = probe.relative_weight_change(model, before)
    assert change[0] == pytest.approx(0.5) and np.allclose(change[1:], 0.0)
    with pytest.raises(ValueError, match="before must be a weight_snapshot of this model"):
        probe.relative_weight_change(model, before[:2])
    with pytest.raises(ValueError, match=r"before\[0\] has shape"):
        probe.relative_weight_change(model, [np.ones((3, 3)), *before[1:]])


def test_backward_signal_is_the_gradient_at_each_dense_output(rng):
    model = mlp(2, 4, 2, 3, activation="tanh", rng=rng)
    x, dout = rng.standard_normal((5, 2)), rng.standard_normal((5, 3))
    model.forward(x)
    signal = probe.backward_with_signal(model, dout)
    assert signal.shape == (3,) and signal[-1] == pytest.approx(np.linalg.norm(dout))
    # the signal at the output of Dense layer 2 (index 2) = dout through the head and tanh
    head, act = model.layers[4], model.layers[3]
    expected = np.linalg.norm(act.backward(head.backward(dout)))
    assert signal[1] == pytest.approx(expected)
    with pytest.raises(TypeError, match="model must be a vglib Sequential"):
        probe.backward_with_signal(model.layers[0], dout)


def test_bad_input_is_refused():
    with pytest.raises(TypeError, match="layer must be a vglib Activation or PReLU"):
        probe.activation_stats(Dense(2, 2, rng=np.random.default_rng(0)))
    with pytest.raises(RuntimeError, match="needs a forward pass first"):
        probe.activation_stats(Activation("relu"))
    with pytest.raises(TypeError, match="model must be a vglib layer"):
        probe.leaves(Sequential)
    with pytest.raises(TypeError, match="model must be a vglib layer"):
        probe.dense_layers([1, 2])


def test_saturation_starts_where_the_slope_falls_below_five_percent_of_its_peak():
    assert probe.SATURATION == 0.05
    # sigmoid'(z) = 0.05 x 1/4 at |z| = 4.3605: just inside and just outside that point
    edge = np.log((1 + np.sqrt(1 - 4 * 0.0125)) / (1 - np.sqrt(1 - 4 * 0.0125)))
    sig = Activation("sigmoid")
    sig.forward(np.array([[edge - 1e-6, -(edge - 1e-6), edge + 1e-6, -(edge + 1e-6)]]))
    assert probe.activation_stats(sig).saturated == 0.5
    tanh = Activation("tanh")  # peak 1: saturated where 1 - tanh(z)^2 < 0.05, |z| > 2.178
    edge = np.arctanh(np.sqrt(0.95))
    tanh.forward(np.array([[edge - 1e-6], [edge + 1e-6], [0.0], [-(edge + 1e-6)]]))
    assert probe.activation_stats(tanh).saturated == 0.5


def test_a_prelu_is_judged_against_its_largest_slope_and_a_small_slope_saturates():
    layer = PReLU(2, init=0.01)  # slope 0.01 < 5 % of the peak slope 1 for negative inputs
    layer.forward(np.array([[-1.0, 2.0], [-3.0, -4.0]]))
    stats = probe.activation_stats(layer)
    assert stats.saturated == 0.75 and stats.dead == 0.0
    layer.params["alpha"][:] = [0.9, 0.04]  # negative entries of unit 0 are not saturated
    layer.forward(np.array([[-1.0, -2.0], [-3.0, 4.0]]))
    assert probe.activation_stats(layer).saturated == 0.25
    # a slope above 1 is the peak: 5 % of 30 is 1.5, so a positive entry (slope 1) saturates;
    # unit 1 (slope 0 for both examples) is dead, and its zero slopes are not saturated
    layer.params["alpha"][:] = [30.0, 0.0]
    layer.forward(np.array([[-1.0, -2.0], [3.0, -4.0]]))
    stats = probe.activation_stats(layer)
    assert stats.saturated == 0.25 and stats.dead == 0.5


def test_activation_stats_are_the_mean_and_std_of_the_outputs_over_everything():
    layer = Activation("identity")
    a = np.arange(24.0).reshape(2, 3, 4) - 5.0
    layer.forward(a)
    stats = probe.activation_stats(layer)
    assert stats == probe.ActivationStats(mean=float(a.mean()), std=float(a.std()),
                                          saturated=0.0, dead=0.0)
    relu = Activation("relu")  # dead is per unit (last axis) over every leading axis
    z = np.ones((2, 3, 4))
    z[..., 1] = -1.0
    z[0, 0, 2] = -1.0  # unit 2 fires for the other five examples: alive
    relu.forward(z)
    assert probe.activation_stats(relu).dead == 0.25


def test_a_single_layer_is_its_own_leaf_named_by_its_type(rng):
    dense = Dense(2, 3, rng=rng)
    assert probe.leaves(dense) == [("Dense", dense)]
    assert probe.dense_layers(Activation("relu")) == []


def test_a_weight_snapshot_is_a_copy(rng):
    model = mlp(2, 3, 1, 2, rng=rng)
    before = probe.weight_snapshot(model)
    model.layers[0].params["W"] += 1.0
    assert not np.allclose(before[0], model.layers[0].params["W"])
    assert probe.relative_weight_change(model, before)[0] == pytest.approx(
        np.sqrt(before[0].size) / np.linalg.norm(before[0]))


# every argument probe checks, each refused with a message that starts with its name
BAD_ARGUMENTS = {
    "leaves": (lambda: probe.leaves("net"), "model"),
    "dense_layers": (lambda: probe.dense_layers(None), "model"),
    "grad_norm_per_layer": (lambda: probe.grad_norm_per_layer([]), "model"),
    "weight_snapshot": (lambda: probe.weight_snapshot(3), "model"),
    "relative_weight_change before": (lambda: probe.relative_weight_change(
        mlp(2, 3, 1, 2, rng=np.random.default_rng(0)), "W"), "before"),
    "backward_with_signal model": (lambda: probe.backward_with_signal(
        Dense(2, 2, rng=np.random.default_rng(0)), np.ones((1, 2))), "model"),
    "backward_with_signal dout": (lambda: probe.backward_with_signal(
        _after_forward(mlp(2, 3, 1, 2, rng=np.random.default_rng(0))), "d"), "dout"),
    "activation_stats": (lambda: probe.activation_stats(Dense(2, 2, rng=np.random.default_rng(0))),
                         "layer"),
}


def _after_forward(model):
    model.forward(np.ones((1, 2)))
    return model


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_every_refusal_starts_with_the_name_of_the_argument(case):
    assert_refused_naming(*BAD_ARGUMENTS[case])


def test_a_prelu_slope_exactly_at_five_percent_is_not_saturated():
    layer = PReLU(3)
    layer.params["alpha"][:] = [0.05, 0.07, 0.049]  # the peak is 1: saturated below 0.05
    layer.forward(-np.ones((2, 3)))
    assert probe.activation_stats(layer).saturated == pytest.approx(1 / 3)


def test_probe_messages_name_what_they_received():
    with pytest.raises(TypeError, match="^layer must be a vglib Activation or PReLU; got Dense$"):
        probe.activation_stats(Dense(2, 2, rng=np.random.default_rng(0)))
    with pytest.raises(RuntimeError, match="^activation_stats needs a forward pass first$"):
        probe.activation_stats(PReLU(2))
    with pytest.raises(TypeError, match="^model must be a vglib layer or Sequential; got str$"):
        probe.leaves("net")
    with pytest.raises(TypeError, match="^model must be a vglib Sequential; got Dense$"):
        probe.backward_with_signal(Dense(2, 2, rng=np.random.default_rng(0)), np.ones((1, 2)))


def test_a_wrong_snapshot_is_described_by_its_length_or_its_type(rng):
    model = mlp(2, 3, 1, 2, rng=rng)
    with pytest.raises(ValueError, match=re.escape(
            "before must be a weight_snapshot of this model (2 Dense layers); got 1") + "$"):
        probe.relative_weight_change(model, probe.weight_snapshot(model)[:1])
    with pytest.raises(ValueError, match=re.escape(
            "before must be a weight_snapshot of this model (2 Dense layers); got dict") + "$"):
        probe.relative_weight_change(model, {})
