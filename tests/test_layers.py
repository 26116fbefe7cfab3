import numpy as np
import pytest

from vglib import NonFiniteError
from vglib.activations import names as activation_names
from vglib.gradcheck import gradient_errors
from vglib.layers import Activation, BatchNorm, Dense, LayerNorm, PReLU, Residual, Sequential

TOL = 1e-6


def assert_backward_matches_finite_differences(layer, x, **kwargs):
    errors = gradient_errors(layer, x, **kwargs)
    expected = {"x"} | {name for name, _, _ in layer.parameters()}
    assert set(errors) == expected
    bad = {name: err for name, err in errors.items() if not err < TOL}
    assert not bad, f"backward disagrees with finite differences: {bad}"


# -- gradient checks: every layer, input and parameter gradients, float64 ----------------------

def test_dense_backward(rng):
    assert_backward_matches_finite_differences(
        Dense(5, 3, rng=rng), rng.standard_normal((4, 5)), rng=rng
    )


@pytest.mark.parametrize("name", activation_names())
def test_activation_backward(name, rng):
    x = rng.standard_normal((6, 5)) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep finite differences off the kinks at 0
    assert_backward_matches_finite_differences(Activation(name), x, rng=rng)


def test_batchnorm_backward_in_training_mode(rng):
    bn = BatchNorm(4)
    bn.params["gamma"][:] = rng.uniform(0.5, 2.0, 4)
    bn.params["beta"][:] = rng.standard_normal(4)
    assert_backward_matches_finite_differences(bn, rng.standard_normal((8, 4)) * 3 + 1, rng=rng)


def test_batchnorm_backward_in_inference_mode(rng):
    bn = BatchNorm(4)
    bn.forward(rng.standard_normal((16, 4)) * 2 + 1)  # move the running statistics
    assert_backward_matches_finite_differences(
        bn, rng.standard_normal((8, 4)), rng=rng, train=False
    )


def test_layernorm_backward(rng):
    ln = LayerNorm(6)
    ln.params["gamma"][:] = rng.uniform(0.5, 2.0, 6)
    assert_backward_matches_finite_differences(ln, rng.standard_normal((5, 6)) * 2 - 1, rng=rng)


def test_layernorm_backward_with_extra_leading_axes(rng):
    assert_backward_matches_finite_differences(
        LayerNorm(4), rng.standard_normal((2, 3, 4)), rng=rng
    )


def test_residual_backward_identity_and_projection(rng):
    block = Sequential([Dense(4, 4, rng=rng), Activation("tanh")])
    x = rng.standard_normal((3, 4))
    assert_backward_matches_finite_differences(Residual(block), x, rng=rng)
    wide = Residual(Sequential([Dense(4, 6, rng=rng), Activation("tanh")]),
                    shortcut=Dense(4, 6, rng=rng))
    assert_backward_matches_finite_differences(wide, rng.standard_normal((3, 4)), rng=rng)


def test_sequential_of_every_layer_backward(rng):
    model = Sequential([
        Dense(3, 6, rng=rng),
        BatchNorm(6),
        Activation("gelu"),
        Residual(Sequential([LayerNorm(6), Dense(6, 6, rng=rng), Activation("silu")])),
        Residual(
            Sequential([Dense(6, 5, rng=rng), Activation("elu")]), shortcut=Dense(6, 5, rng=rng)
        ),
        LayerNorm(5),
        Activation("sigmoid"),
        Dense(5, 2, rng=rng),
    ])
    assert_backward_matches_finite_differences(model, rng.standard_normal((7, 3)), rng=rng)


# -- contract and properties -------------------------------------------------------------------

def test_dense_shapes_and_formula(rng):
    layer = Dense(3, 2, init="xavier_uniform", rng=rng)
    assert layer.params["W"].shape == (3, 2)
    assert np.array_equal(layer.params["b"], np.zeros(2))
    assert set(layer.params) == set(layer.grads) == {"W", "b"}
    x = rng.standard_normal((5, 3))
    layer.params["b"][:] = [1.0, -1.0]
    assert np.allclose(layer.forward(x), x @ layer.params["W"] + [1.0, -1.0])


def test_backward_overwrites_grads_instead_of_accumulating(rng):
    layer = Dense(3, 2, rng=rng)
    x, dy = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer.forward(x)
    layer.backward(dy)
    first = layer.grads["W"].copy()
    layer.backward(dy)
    assert np.allclose(layer.grads["W"], first)
    assert np.allclose(first, x.T @ dy)


def test_batchnorm_output_is_centred_and_scaled_in_training_mode(rng):
    x = rng.standard_normal((256, 5)) * [1, 10, 0.1, 3, 50] + [5, -3, 100, 0, 7]
    y = BatchNorm(5).forward(x)
    assert np.allclose(y.mean(axis=0), 0, atol=1e-10)
    var = x.var(axis=0)
    assert np.allclose(y.var(axis=0), var / (var + 1e-5))  # 1, but for eps = 1e-5


def test_batchnorm_running_statistics_follow_pytorch(rng):
    bn = BatchNorm(3, momentum=0.1)
    x1, x2 = rng.standard_normal((10, 3)) + 2, rng.standard_normal((10, 3)) * 3
    bn.forward(x1)
    bn.forward(x2)
    mean = 0.9 * (0.9 * 0 + 0.1 * x1.mean(0)) + 0.1 * x2.mean(0)
    var = 0.9 * (0.9 * 1 + 0.1 * x1.var(0, ddof=1)) + 0.1 * x2.var(0, ddof=1)
    assert np.allclose(bn.running_mean, mean)
    assert np.allclose(bn.running_var, var)


def test_batchnorm_inference_uses_running_statistics_and_does_not_update_them(rng):
    bn = BatchNorm(2, eps=1e-5)
    bn.running_mean[:] = [1.0, -2.0]
    bn.running_var[:] = [4.0, 0.25]
    x = rng.standard_normal((3, 2))
    y = bn.forward(x, train=False)
    assert np.allclose(y, (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5))
    assert np.allclose(bn.running_mean, [1.0, -2.0])
    assert np.allclose(bn.forward(x[:1], train=False), y[:1])  # one row is fine at inference


def test_layernorm_normalises_each_example_the_same_in_train_and_inference(rng):
    x = rng.standard_normal((4, 8)) * 5 + 3
    ln = LayerNorm(8)
    y = ln.forward(x)
    assert np.allclose(y.mean(axis=1), 0, atol=1e-10)
    assert np.allclose(y.var(axis=1), 1, atol=1e-3)
    assert np.allclose(ln.forward(x, train=False), y)
    assert np.allclose(ln.forward(x[:1]), y[:1])  # per example: batch size does not matter


def test_residual_with_a_zero_block_is_the_identity(rng):
    block = Sequential([Dense(4, 4, init=0.0, rng=rng)])
    res = Residual(block)
    x, dy = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    assert np.array_equal(res.forward(x), x)
    assert np.array_equal(res.backward(dy), dy)


def test_residual_without_shortcut_refuses_a_width_change(rng):
    res = Residual(Sequential([Dense(4, 6, rng=rng), Activation("relu")]))
    with pytest.raises(ValueError, match=r"maps shape \(2, 4\) to \(2, 6\).*shortcut=Dense\(4, 6"):
        res.forward(rng.standard_normal((2, 4)))


def test_parameters_have_stable_dotted_names(rng):
    model = Sequential([
        Dense(2, 4, rng=rng), BatchNorm(4), Activation("relu"), Dense(4, 4, rng=rng),
        Activation("relu"),
        Residual(Sequential([Dense(4, 4, rng=rng), LayerNorm(4)]), shortcut=Dense(4, 4, rng=rng)),
    ])
    names = [name for name, _, _ in model.parameters()]
    assert names == [
        "0.W", "0.b", "1.gamma", "1.beta", "3.W", "3.b",
        "5.block.0.W", "5.block.0.b", "5.block.1.gamma", "5.block.1.beta",
        "5.shortcut.W", "5.shortcut.b",
    ]
    assert list(model.params) == names and list(model.grads) == names
    assert model.params["5.block.0.W"] is model.layers[5].block.layers[0].params["W"]


def test_sequential_backward_is_the_reverse_chain(rng):
    a, b = Dense(3, 4, rng=rng), Dense(4, 2, rng=rng)
    x, dy = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    model = Sequential([a, b])
    model.forward(x)
    assert np.allclose(model.backward(dy), dy @ b.params["W"].T @ a.params["W"].T)
    assert len(model) == 2 and model[1] is b


def test_nan_inside_a_network_names_the_layer(rng):
    model = Sequential([
        Dense(2, 3, rng=rng), Activation("relu"),
        Residual(Sequential([Dense(3, 3, rng=rng), Activation("relu")])),
    ])
    model.layers[2].block.layers[0].params["W"][0, 0] = np.inf
    x = rng.standard_normal((4, 2)) + 1.0
    with np.errstate(invalid="ignore"), pytest.raises(
        NonFiniteError, match=r"the input to layer 2\.block\.1 \(Activation\)"
    ):
        model.forward(x)


# -- bad input ----------------------------------------------------------------------------------

def test_dense_refuses_bad_arguments(rng):
    with pytest.raises(ValueError, match="fan_in must be an integer >= 1; got 0"):
        Dense(0, 3, rng=rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        Dense(2, 3, rng=None)
    with pytest.raises(ValueError, match="init='glorot' is unknown"):
        Dense(2, 3, init="glorot", rng=rng)
    layer = Dense(2, 3, rng=rng)
    with pytest.raises(ValueError, match=r"x must have 2 features on its last axis; got shape \(4"):
        layer.forward(np.ones((4, 5)))
    with pytest.raises(ValueError, match="x must be a 2-D array"):
        layer.forward(np.ones(2))
    with pytest.raises(NonFiniteError, match="x contains 1 NaN or inf"):
        layer.forward(np.array([[1.0, np.nan]]))
    with pytest.raises(TypeError, match="x must be an array of numbers"):
        layer.forward("hello")


def test_backward_refuses_wrong_dy_and_a_missing_forward(rng):
    layer = Dense(2, 3, rng=rng)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((4, 3)))
    layer.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"dy must have the forward output's shape \(4, 3\)"):
        layer.backward(np.ones((4, 2)))


def test_norm_layers_refuse_bad_arguments(rng):
    with pytest.raises(ValueError, match="dim must be an integer >= 1"):
        BatchNorm(0)
    with pytest.raises(ValueError, match="eps must be in"):
        BatchNorm(3, eps=0.0)
    with pytest.raises(ValueError, match="momentum must be in"):
        BatchNorm(3, momentum=1.5)
    with pytest.raises(ValueError, match="at least 2 rows"):
        BatchNorm(3).forward(np.ones((1, 3)))
    with pytest.raises(ValueError, match="x must have 3 features"):
        LayerNorm(3).forward(np.ones((2, 4)))


def test_containers_refuse_non_layers(rng):
    with pytest.raises(TypeError, match=r"layers\[1\] must be a vglib layer"):
        Sequential([Dense(2, 2, rng=rng), np.tanh])
    with pytest.raises(ValueError, match="at least one layer"):
        Sequential([])
    with pytest.raises(TypeError, match="got a single layer"):
        Sequential(Dense(2, 2, rng=rng))
    with pytest.raises(TypeError, match="block must be a vglib layer"):
        Residual(lambda x: x)
    with pytest.raises(ValueError, match="activation='swish' is unknown"):
        Activation("swish")


def test_prelu_backward_and_slope_parameter(rng):
    layer = PReLU(4, init=0.1)
    layer.params["alpha"][:] = [0.05, 0.1, 0.2, 0.3]
    x = rng.standard_normal((6, 4))
    x[np.abs(x) < 1e-3] = 0.5
    assert_backward_matches_finite_differences(layer, x, rng=rng)
    assert np.allclose(layer.forward(x), np.where(x > 0, x, layer.params["alpha"] * x))


def test_prelu_refuses_bad_arguments():
    with pytest.raises(ValueError, match="init must be in"):
        PReLU(3, init=1.5)
    with pytest.raises(ValueError, match="x must have 3 features"):
        PReLU(3).forward(np.ones((2, 4)))
