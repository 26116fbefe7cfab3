import copy
import re

import numpy as np
import pytest
from refusals import assert_refused_naming

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
        NonFiniteError, match=r"the output of layer 2\.block\.0 \(Dense\)"
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
    with pytest.raises(TypeError, match=r"x must be an array of \(real\) numbers"):
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


# -- backward overwrites grads: every layer with parameters, alone and inside containers --------

def _layer_under_test(kind, rng):
    """``(layer, input shape, train)`` for each kind of layer that has parameters."""
    if kind == "dense":
        return Dense(3, 4, rng=rng), (5, 3), True
    if kind == "prelu":
        layer = PReLU(4)
        layer.params["alpha"][:] = rng.uniform(0.05, 0.5, 4)
        return layer, (2, 3, 4), True  # extra leading axis: the slope gradient sums over both
    if kind in ("batchnorm_train", "batchnorm_inference"):
        layer = BatchNorm(4)
        layer.params["gamma"][:] = rng.uniform(0.5, 2.0, 4)
        layer.running_mean[:] = rng.standard_normal(4)
        layer.running_var[:] = rng.uniform(0.5, 2.0, 4)
        return layer, (6, 4), kind == "batchnorm_train"
    if kind == "layernorm":
        layer = LayerNorm(4)
        layer.params["gamma"][:] = rng.uniform(0.5, 2.0, 4)
        return layer, (2, 5, 4), True
    if kind == "residual":
        return Residual(Sequential([Dense(4, 4, rng=rng), Activation("tanh")])), (5, 4), True
    if kind == "residual_projection":
        block = Sequential([Dense(4, 3, rng=rng), PReLU(3)])
        return Residual(block, shortcut=Dense(4, 3, rng=rng)), (5, 4), True
    model = Sequential([
        Dense(4, 5, rng=rng), PReLU(5), BatchNorm(5),  # no BatchNorm right after a bias
        Residual(Sequential([LayerNorm(5), Dense(5, 5, rng=rng), Activation("relu")])),
        Dense(5, 2, rng=rng),
    ])
    return (model.pack() if kind == "packed_sequential" else model), (6, 4), True


LAYER_KINDS = ["dense", "prelu", "batchnorm_train", "batchnorm_inference", "layernorm",
               "residual", "residual_projection", "sequential", "packed_sequential"]


@pytest.mark.parametrize("kind", LAYER_KINDS)
def test_a_second_backward_overwrites_the_gradients_of_the_first(kind, rng):
    layer, shape, train = _layer_under_test(kind, rng)
    twin = copy.deepcopy(layer)  # the same layer, that never saw the first pass
    x1, x2 = rng.standard_normal(shape) * 2 + 0.5, rng.standard_normal(shape) * 2 + 0.5
    y1 = layer.forward(x1, train)
    layer.backward(rng.standard_normal(y1.shape))
    y2 = layer.forward(x2, train)
    dy2 = rng.standard_normal(y2.shape)
    dx = layer.backward(dy2)
    assert np.allclose(twin.forward(x2, train), y2, rtol=1e-12, atol=1e-12)
    assert np.allclose(twin.backward(dy2), dx, rtol=1e-12, atol=1e-12)
    twin_grads = {name: grad for name, _, grad in twin.parameters()}
    assert twin_grads, "the case must have parameters"
    for name, _, grad in layer.parameters():
        assert np.abs(twin_grads[name]).max() > 1e-6, f"{name}: a zero gradient proves nothing"
        assert np.allclose(grad, twin_grads[name], rtol=1e-12, atol=1e-12), name
    # the same dy again: the gradients stay the same (they are not a running sum)
    before = {name: grad.copy() for name, _, grad in layer.parameters()}
    layer.backward(dy2)
    for name, _, grad in layer.parameters():
        assert np.array_equal(grad, before[name]), name


def test_gradients_of_a_packed_network_are_written_into_its_buffer(rng):
    model, shape, _ = _layer_under_test("packed_sequential", rng)
    _, flat_grads = model.packed()
    for _ in range(2):
        y = model.forward(rng.standard_normal(shape))
        model.backward(rng.standard_normal(y.shape))
    assert model.packed() is not None, "a layer rebound a gradient array instead of writing it"
    expected = np.concatenate([grad.ravel() for _, _, grad in model.parameters()])
    assert np.array_equal(model.packed()[1], expected) and model.packed()[1] is flat_grads


def test_an_activation_layer_has_no_parameters(rng):
    for name in activation_names():
        layer = Activation(name)
        layer.forward(rng.standard_normal((3, 2)))
        layer.backward(np.ones((3, 2)))
        assert layer.params == {} and layer.grads == {} and list(layer.parameters()) == []


def test_layers_show_how_they_were_built(rng):
    model = Sequential([
        Dense(2, 3, init="xavier_normal", rng=rng), BatchNorm(3, eps=1e-3, momentum=0.2),
        PReLU(3),
        Residual(Sequential([LayerNorm(3), Dense(3, 3, rng=rng), Activation("relu")])),
        Residual(Dense(3, 4, rng=rng), shortcut=Dense(3, 4, init=0.5, rng=rng)),
    ])
    assert repr(model) == (
        "Sequential(\n"
        "  (0) Dense(2, 3, init='xavier_normal'),\n"
        "  (1) BatchNorm(3, eps=0.001, momentum=0.2),\n"
        "  (2) PReLU(3),\n"
        "  (3) Residual(Sequential(\n"
        "    (0) LayerNorm(3, eps=1e-05),\n"
        "    (1) Dense(3, 3, init='he_normal'),\n"
        "    (2) Activation('relu')\n"
        "  )),\n"
        "  (4) Residual(Dense(3, 4, init='he_normal'), shortcut=Dense(3, 4, init=0.5))\n"
        ")")


def test_calling_a_layer_is_its_forward_pass(rng):
    bn = BatchNorm(2)
    x = rng.standard_normal((4, 2)) + 3.0
    bn(x)  # training mode by default: the running mean moves
    assert np.allclose(bn.running_mean, 0.1 * x.mean(axis=0))
    assert np.array_equal(bn(x, train=False), bn.forward(x, train=False))
    assert np.allclose(bn.running_mean, 0.1 * x.mean(axis=0))  # train=False reached forward


def test_the_base_layer_has_no_pass_of_its_own():
    from vglib.layers import Layer

    layer = Layer()
    assert layer.params == {} and layer.grads == {} and list(layer.parameters()) == []
    with pytest.raises(NotImplementedError):
        layer.forward(np.ones((1, 1)))
    with pytest.raises(NotImplementedError):
        layer.backward(np.ones((1, 1)))


# every argument a layer checks, each refused with a message that starts with its name
BAD_ARGUMENTS = {
    "Dense fan_in": (lambda rng: Dense("2", 3, rng=rng), "fan_in"),
    "Dense fan_out": (lambda rng: Dense(2, 0, rng=rng), "fan_out"),
    "Dense rng": (lambda rng: Dense(2, 3, rng=7), "rng"),
    "Dense init": (lambda rng: Dense(2, 3, init="glorot", rng=rng), "init"),
    "Dense x": (lambda rng: Dense(2, 3, rng=rng).forward(np.ones((2, 3))), "x"),
    "Dense train": (lambda rng: Dense(2, 3, rng=rng).forward(np.ones((2, 2)), train="no"),
                    "train"),
    "Dense dy": (lambda rng: _after_forward(Dense(2, 3, rng=rng), (2, 2)).backward("dy"), "dy"),
    "Activation name": (lambda rng: Activation("sigmod"), "activation"),
    "Activation x": (lambda rng: Activation("relu").forward("x"), "x"),
    "PReLU dim": (lambda rng: PReLU(0), "dim"),
    "PReLU init": (lambda rng: PReLU(2, init=2.0), "init"),
    "BatchNorm dim": (lambda rng: BatchNorm(-1), "dim"),
    "BatchNorm eps": (lambda rng: BatchNorm(2, eps=0.0), "eps"),
    "BatchNorm momentum": (lambda rng: BatchNorm(2, momentum=1.5), "momentum"),
    "BatchNorm x": (lambda rng: BatchNorm(2).forward(np.ones((3, 3))), "x"),
    "LayerNorm dim": (lambda rng: LayerNorm(0), "dim"),
    "LayerNorm eps": (lambda rng: LayerNorm(2, eps=-1.0), "eps"),
    "LayerNorm x": (lambda rng: LayerNorm(2).forward(np.ones((3, 3))), "x"),
    "Residual block": (lambda rng: Residual("block"), "block"),
    "Residual shortcut": (lambda rng: Residual(Dense(2, 2, rng=rng), shortcut=3), "shortcut"),
    "Residual train": (lambda rng: Residual(Dense(2, 2, rng=rng)).forward(np.ones((1, 2)),
                                                                          train=1), "train"),
    "Sequential layers": (lambda rng: Sequential([Dense(2, 2, rng=rng), "relu"]), "layers[1]"),
    "Sequential train": (lambda rng: Sequential([Dense(2, 2, rng=rng)]).forward(
        np.ones((1, 2)), train=None), "train"),
}


def _after_forward(layer, shape):
    layer.forward(np.ones(shape))
    return layer


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_every_refusal_starts_with_the_name_of_the_argument(case, rng):
    call, argname = BAD_ARGUMENTS[case]
    assert_refused_naming(lambda: call(rng), argname)


def test_residual_errors_name_the_path_through_block_or_shortcut(rng):
    model = Sequential([Residual(Dense(2, 2, rng=rng), shortcut=Dense(2, 2, rng=rng))])
    shortcut, block = model.layers[0].shortcut, model.layers[0].block
    shortcut.params["W"][0, 0] = 1e308
    with np.errstate(over="ignore"), pytest.raises(
            NonFiniteError, match=r"^the output of layer 0\.shortcut \(Dense\): "):
        model.forward(np.full((1, 2), 10.0))
    shortcut.params["W"][0, 0] = 1.0
    model.forward(np.ones((1, 2)))
    for name, layer in (("shortcut", shortcut), ("block", block)):
        layer.params["W"][0, 0] = 1e308
        with np.errstate(over="ignore"), pytest.raises(
                NonFiniteError, match=rf"^the gradient leaving layer 0\.{name} \(Dense\): "):
            model.backward(np.full((1, 2), 10.0))
        layer.params["W"][0, 0] = 1.0
    with pytest.raises(RuntimeError, match=r"^Residual\.backward called before forward$"):
        Residual(Dense(2, 2, rng=rng)).backward(np.ones((1, 2)))


def test_residual_explains_a_width_change_for_any_number_of_leading_axes(rng):
    from vglib.layers import Layer

    class Widen(Layer):  # (..., 4) -> (..., 6)
        def forward(self, x, train=True):
            return np.concatenate([x, x[..., :2]], axis=-1)

    with pytest.raises(ValueError, match=re.escape(
            "Residual: the block maps shape (2, 3, 4) to (2, 3, 6), so x + block(x) is "
            "undefined; give a projection shortcut, e.g. Residual(block, "
            "shortcut=Dense(4, 6, rng=rng))") + "$"):
        Residual(Widen()).forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=re.escape(
            "Residual: shortcut(x) has shape (5, 3) but block(x) has (5, 6); they must match "
            "to be added") + "$"):
        Residual(Widen(), shortcut=Dense(4, 3, rng=rng)).forward(np.ones((5, 4)))


def test_a_residual_passes_training_mode_to_its_block(rng):
    bn = BatchNorm(2)
    res = Residual(Sequential([bn]))
    x = rng.standard_normal((8, 2)) + 5.0
    res.forward(x)  # training mode by default: BatchNorm's running mean moves
    assert np.allclose(bn.running_mean, 0.1 * x.mean(axis=0))
    res.forward(x, train=False)
    assert np.allclose(bn.running_mean, 0.1 * x.mean(axis=0))


def test_batch_norm_explains_what_it_cannot_do():
    with pytest.raises(ValueError, match=re.escape(
            "BatchNorm in training mode needs a batch of at least 2 rows; got 1 (use "
            "train=False, or LayerNorm, for single examples)") + "$"):
        BatchNorm(2).forward(np.ones((1, 2)))
    bn = BatchNorm(1)
    with pytest.raises(NonFiniteError, match=re.escape(
            "BatchNorm: the batch variance of x overflows float64 (|x| reaches 1e+200), so the "
            "running variance cannot be kept; scale the input down, e.g. standardise the "
            "data") + "$"):
        bn.forward(np.array([[1e200], [-1e200]]))
    assert bn.running_mean.tolist() == [0.0] and bn.running_var.tolist() == [1.0]


@pytest.mark.parametrize("make, argname", [
    (lambda: BatchNorm(2, momentum=-0.1), "momentum"), (lambda: PReLU(2, init=-0.1), "init"),
    (lambda: LayerNorm(2, eps=0.0), "eps"), (lambda: BatchNorm(2, eps=-1.0), "eps"),
])
def test_lower_bounds_are_refused(make, argname):
    with pytest.raises(ValueError, match=rf"^{argname} must be in [\[(]0, "):
        make()
    BatchNorm(2, momentum=0.0), PReLU(2, init=0.0)  # the bounds themselves are allowed


def test_prelu_slope_at_zero_is_alpha_like_a_relu_that_is_off(rng):
    layer = PReLU(2, init=0.2)
    layer.forward(np.zeros((1, 2)))
    assert layer.local_slope().tolist() == [[0.2, 0.2]]


def test_layer_norm_of_huge_entries_is_the_layer_norm_of_their_pattern(rng):
    pattern = rng.standard_normal((2, 3, 5)) * 1e3  # eps = 1e-5 is negligible beside var 1e6
    ln = LayerNorm(5)
    expected = ln.forward(pattern)
    dy = rng.standard_normal((2, 3, 5))
    dx = ln.backward(dy)
    for scale in (1e200, 1e300):  # squares overflow: the scaled path
        assert np.allclose(ln.forward(pattern * scale), expected, rtol=1e-9, atol=1e-12)
        assert np.allclose(ln.backward(dy) * scale, dx, rtol=1e-9, atol=1e-12)
    # rows of very different size are each scaled by their own largest entry
    mixed = np.stack([pattern[0, 0] * 1e300, pattern[0, 1]])
    assert np.allclose(ln.forward(mixed), expected[0, :2], rtol=1e-9, atol=1e-12)
    # a huge row whose entries differ by a billionth of their size: var 1.25e582, not 0
    close = 1e300 + np.array([[0.0, 1e291, 2e291, 3e291]])
    assert np.allclose(LayerNorm(4).forward(close), (np.arange(4) - 1.5) / np.sqrt(1.25),
                       rtol=1e-6)


def test_layer_norm_of_a_constant_huge_row_is_beta_and_its_gradient_uses_eps():
    ln = LayerNorm(4, eps=1e-4)
    ln.params["beta"][:] = [1.0, 2.0, 3.0, 4.0]
    assert ln.forward(np.full((1, 4), 1.5e308)).tolist() == [[1.0, 2.0, 3.0, 4.0]]
    dy = np.array([[1.0, 2.0, 3.0, 6.0]])
    assert np.allclose(ln.backward(dy), (dy - dy.mean()) / np.sqrt(1e-4), rtol=1e-12)
    # sums that overflow both ways (inf - inf in the mean): still +-1 after scaling
    a = 1.5e308
    row = np.array([[a, a, a, a, -a, -a, -a, -a, a, a, a, a, -a, -a, -a, -a]])
    assert np.allclose(LayerNorm(16).forward(row), np.sign(row), rtol=1e-12)


def test_a_bad_gradient_is_reported_where_it_arrives_or_where_it_leaves(rng):
    model = Sequential([Dense(2, 2, rng=rng), Activation("tanh"), Dense(2, 2, rng=rng)])
    model.forward(np.ones((1, 2)))
    with pytest.raises(NonFiniteError, match=r"^the gradient leaving layer 2 \(Dense\): 2 of "
                                             r"its 2 values are NaN or inf \(its dy reaches nan\)"):
        model.backward(np.array([[np.nan, 1.0]]))

    class Refusing(Activation):  # a layer whose backward refuses its input, as a check would
        def backward(self, dy):
            raise NonFiniteError("dy is refused here")

    inner = Sequential([Dense(2, 2, rng=rng), Residual(Sequential([Refusing("tanh")]))])
    inner.forward(np.ones((1, 2)))
    with pytest.raises(NonFiniteError, match=r"^the gradient arriving at layer 1\.block\.0 "
                                             r"\(Refusing\): dy is refused here$"):
        inner.backward(np.ones((1, 2)))
    dense = Dense(2, 2, rng=rng)
    dense.forward(np.ones((1, 2)))
    dense.params["W"][0, 0] = 1e308
    with np.errstate(over="ignore"), pytest.raises(
            NonFiniteError, match=r"^dL/dx of Dense: 1 of its 2 values are NaN or inf \(its dy "
                                  r"reaches 10\): it overflowed float64"):
        dense.backward(np.full((1, 2), 10.0))
    model.layers[0].params["W"][0, 0] = 1e308
    with np.errstate(over="ignore"), pytest.raises(
            NonFiniteError, match=r"^the gradient leaving layer 0 \(Dense\): 1 of its 2 values"):
        model.backward(np.full((1, 2), 10.0))


def test_layer_messages_start_with_the_layer_they_are_about(rng):
    layer = Dense(2, 3, rng=rng)
    with pytest.raises(RuntimeError, match=r"^Dense\.backward called before forward$"):
        layer.backward(np.ones((4, 3)))
    layer.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"^Dense\.backward: dy must have the forward output's "
                                         r"shape \(4, 3\); got \(4, 2\)$"):
        layer.backward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=re.escape(
            "the same Dense object is used twice, as layer 0 and as layer 1.block; a layer "
            "records its last input and gradients, so a second use would overwrite the first. "
            "Make a new layer for each place (weight tying needs a layer written for it)") + "$"):
        Sequential([layer, Residual(layer)])
    with pytest.raises(TypeError, match=r"^layers must be a list of layers; got int$"):
        Sequential(3)
    with pytest.raises(TypeError, match=re.escape(
            "layers must be a list of layers; got a single layer (use [layer])") + "$"):
        Sequential(layer)
    with pytest.raises(ValueError, match=re.escape(
            "layers must contain at least one layer; got an empty list") + "$"):
        Sequential([])
    with pytest.raises(TypeError, match=re.escape(
            "layers[1] must be a vglib layer (Dense, Activation, BatchNorm, LayerNorm, Residual, "
            "Sequential); got str") + "$"):
        Sequential([layer, "relu"])


def test_a_sequential_runs_in_training_mode_by_default(rng):
    bn = BatchNorm(2)
    model = Sequential([bn])
    x = rng.standard_normal((8, 2)) + 5.0
    model(x)
    model.forward(x)
    assert np.allclose(bn.running_mean, 0.19 * x.mean(axis=0))  # two training-mode updates


def test_dense_refuses_more_weights_than_fit_in_memory_before_drawing_any(rng):
    from vglib.layers import MAX_WEIGHTS

    assert MAX_WEIGHTS == 50_000_000
    with pytest.raises(ValueError, match=re.escape(
            "fan_in * fan_out must be at most 50,000,000 weights (about 0.4 GB); got 10000 * "
            "5001") + "$"):
        Dense(10_000, 5_001, rng=rng)
    # exactly at the limit the size is fine: the next check (the init's name) speaks instead
    with pytest.raises(ValueError, match="^init='nope' is unknown"):
        Dense(5_000, 10_000, init="nope", rng=rng)


def test_batch_norm_refuses_a_batch_whose_mean_overflows():
    with pytest.raises(NonFiniteError, match=r"^BatchNorm: the batch variance of x overflows "
                                             r"float64 \(\|x\| reaches 1\.5e\+308\)"):
        BatchNorm(1).forward(np.array([[1.5e308], [1.5e308]]))
    # one column is summed pairwise: (a + a) + (-a - a) is inf - inf, NaN (numpy's "invalid")
    a = 1.5e308
    with pytest.raises(NonFiniteError, match="^BatchNorm: the batch variance of x overflows"):
        BatchNorm(1).forward(np.array([a, a, a, a, -a, -a, -a, -a] * 2).reshape(-1, 1))
