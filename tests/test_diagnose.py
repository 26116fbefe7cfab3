import numpy as np
import pytest

from vglib import diagnose
from vglib.losses import mse, softmax_cross_entropy
from vglib.models import mlp


def test_dense_layers_are_found_in_forward_order_with_their_names(rng):
    model = mlp(2, 4, 2, 3, residual=True, norm="layer", rng=rng)
    names = [name for name, _ in diagnose.dense_layers(model)]
    assert names == ["0", "1.block.0", "2.block.0", "3"]


def test_grad_norm_per_layer_after_backward(rng):
    model = mlp(2, 4, 3, 2, rng=rng)
    model.forward(rng.standard_normal((5, 2)))
    model.backward(rng.standard_normal((5, 2)))
    norms = diagnose.grad_norm_per_layer(model)
    expected = [np.linalg.norm(layer.grads["W"]) for _, layer in diagnose.dense_layers(model)]
    assert np.allclose(norms, expected) and norms.shape == (4,)


def test_sigmoid_gradients_vanish_at_init_and_relu_ones_do_not():
    sigmoid = diagnose.compute_grad_norms_at_init("sigmoid", 20, rng=np.random.default_rng(0))
    relu = diagnose.compute_grad_norms_at_init("relu", 20, rng=np.random.default_rng(0))
    assert sigmoid.init == "xavier_normal" and relu.init == "he_normal"
    assert sigmoid.norms.shape == (21,) and list(sigmoid.layers) == list(range(1, 22))
    assert sigmoid.first_to_last < 1e-8
    assert relu.first_to_last > 1e-2


def test_relu_with_too_small_weights_vanishes_too():
    # the forward signal and the backward signal both shrink, so every layer's gradient is tiny
    tiny = diagnose.compute_grad_norms_at_init("relu", 20, init=0.05, rng=np.random.default_rng(0))
    he = diagnose.compute_grad_norms_at_init("relu", 20, rng=np.random.default_rng(0))
    assert tiny.norms.max() < 1e-8 * he.norms.min()


def test_bad_input_is_refused(rng):
    with pytest.raises(TypeError, match="model must be a vglib layer"):
        diagnose.dense_layers([1, 2])
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        diagnose.compute_grad_norms_at_init("relu", 0, rng=rng)
    with pytest.raises(ValueError, match="activation='relu6' is unknown"):
        diagnose.compute_grad_norms_at_init("relu6", 3, rng=rng)


def test_relative_weight_change_against_a_snapshot(rng):
    model = mlp(2, 4, 2, 2, rng=rng)
    before = diagnose.weight_snapshot(model)
    assert np.allclose(diagnose.relative_weight_change(model, before), 0.0)
    model.layers[0].params["W"] *= 1.5  # in place, as an optimiser does
    change = diagnose.relative_weight_change(model, before)
    assert change[0] == pytest.approx(0.5) and np.allclose(change[1:], 0.0)
    with pytest.raises(ValueError, match="before must be a weight_snapshot of this model"):
        diagnose.relative_weight_change(model, before[:2])
    with pytest.raises(ValueError, match=r"before\[0\] has shape"):
        diagnose.relative_weight_change(model, [np.ones((3, 3)), *before[1:]])


def test_backward_signal_is_the_gradient_at_each_dense_output(rng):
    model = mlp(2, 4, 2, 3, activation="tanh", rng=rng)
    x, dout = rng.standard_normal((5, 2)), rng.standard_normal((5, 3))
    model.forward(x)
    signal = diagnose.backward_with_signal(model, dout)
    assert signal.shape == (3,) and signal[-1] == pytest.approx(np.linalg.norm(dout))
    # the signal at the output of Dense layer 2 (index 2) = dout through the head and tanh
    head, act = model.layers[4], model.layers[3]
    expected = np.linalg.norm(act.backward(head.backward(dout)))
    assert signal[1] == pytest.approx(expected)
    with pytest.raises(TypeError, match="model must be a vglib Sequential"):
        diagnose.backward_with_signal(model.layers[0], dout)


def test_small_weights_shrink_the_backward_signal_layer_by_layer():
    tiny = diagnose.compute_grad_norms_at_init("relu", 20, init=0.05, rng=np.random.default_rng(0))
    he = diagnose.compute_grad_norms_at_init("relu", 20, rng=np.random.default_rng(0))
    assert tiny.signal[0] / tiny.signal[-2] < 1e-8
    assert 0.1 < he.signal[0] / he.signal[-2] < 10


def test_init_scale_norm_and_residual_reach_the_network():
    base = diagnose.compute_grad_norms_at_init("relu", 10, rng=np.random.default_rng(1))
    scaled = diagnose.compute_grad_norms_at_init("relu", 10, init_scale=0.5,
                                                 rng=np.random.default_rng(1))
    # a ReLU net is positively homogeneous: halving 11 weight matrices scales the logits by
    # 2^-11, and the first layer's gradient by 2^-10 (softmax near uniform at such small logits)
    assert scaled.norms[0] < 1e-2 * base.norms[0]
    residual = diagnose.compute_grad_norms_at_init("relu", 10, norm="batch", residual=True,
                                                   rng=np.random.default_rng(1))
    assert residual.norms.shape == (12,) and residual.signal.shape == (12,)
    assert (residual.norm, residual.residual, scaled.init_scale) == ("batch", True, 0.5)
    with pytest.raises(ValueError, match="init_scale must be in"):
        diagnose.compute_grad_norms_at_init("relu", 3, init_scale=0, rng=np.random.default_rng(1))


@pytest.fixture
def spirals_batch():
    return __import__("vglib").data.spirals(256, np.random.default_rng(0))


def test_diagnose_finds_vanishing_gradients_in_a_deep_sigmoid_net(spirals_batch):
    X, y = spirals_batch
    model = mlp(2, 32, 10, 2, activation="sigmoid", init="xavier_normal",
                rng=np.random.default_rng(1))
    report = diagnose.diagnose(model, X, y, lr=0.1)
    assert list(report.flags) == [name for name, _ in diagnose.dense_layers(model)]
    assert report.flags["0"] == ["vanishing"] and report.flags["20"] == []
    assert report.verdict.startswith("Vanishing in layers 1-")
    assert report.layers[0].activation == "sigmoid" and report.layers[-1].activation is None
    text = str(report)
    assert "||dL/dW||" in text and " ".join(text.split()).endswith(report.verdict)


def test_diagnose_calls_a_healthy_relu_net_healthy(spirals_batch):
    X, y = spirals_batch
    model = mlp(2, 32, 10, 2, rng=np.random.default_rng(1))
    report = diagnose.diagnose(model, X, y, lr=0.1)
    assert all(flags == [] for flags in report.flags.values())
    assert report.verdict.startswith("Healthy")


def test_diagnose_finds_dead_saturated_and_exploding_layers(spirals_batch):
    X, y = spirals_batch
    dead = mlp(2, 32, 6, 2, rng=np.random.default_rng(1))
    dead.layers[4].params["b"][:] = -10.0  # every unit of hidden layer 3 off for every example
    assert "dead" in diagnose.diagnose(dead, X, y).flags["4"]
    hot = mlp(2, 32, 6, 2, activation="tanh", init=1.0, rng=np.random.default_rng(1))
    assert "saturated" in diagnose.diagnose(hot, X, y, lr=0.1).flags["4"]
    # linear layers with weights of std 1 and 32 inputs multiply the gradient by about
    # sqrt(32) per layer on its way back: layer 1 gets thousands of times the output layer's
    loud = mlp(2, 32, 6, 2, activation="identity", init=1.0, rng=np.random.default_rng(1))
    assert "exploding" in diagnose.diagnose(loud, X, y, lr=1e-6).flags["0"]


def test_report_helpers_render_and_plot(spirals_batch):
    import matplotlib.pyplot as plt

    X, y = spirals_batch
    report = diagnose.diagnose(mlp(2, 8, 3, 2, activation="sigmoid", rng=np.random.default_rng(1)),
                               X, y, loss=softmax_cross_entropy, lr=0.01)
    assert "<table" in report._repr_html_() and report.verdict in report._repr_html_()
    fig, ax = plt.subplots()
    assert report.plot(ax) is ax and ax.get_yscale() == "log"
    plt.close(fig)


def test_diagnose_accepts_other_losses_and_refuses_bad_input(rng):
    X = rng.standard_normal((32, 3))
    model = mlp(3, 8, 2, 1, rng=rng)
    report = diagnose.diagnose(model, X, X[:, :1], loss=mse)
    assert len(report.layers) == 3
    with pytest.raises(TypeError, match="loss must be a loss function"):
        diagnose.diagnose(model, X, X[:, :1], loss="mse")
    with pytest.raises(ValueError, match="lr must be in"):
        diagnose.diagnose(model, X, X[:, :1], loss=mse, lr=0)
    with pytest.raises(TypeError, match="model must be a vglib layer"):
        diagnose.diagnose("model", X, X)
