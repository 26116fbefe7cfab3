import numpy as np
import pytest

from vglib.gradcheck import gradcheck
from vglib.layers import Activation, BatchNorm, Dense, LayerNorm, PReLU, Residual
from vglib.losses import softmax_cross_entropy
from vglib.models import mlp, residual_stack


def test_plain_mlp_structure(rng):
    model = mlp(2, 8, 3, 4, activation="tanh", init="xavier_normal", rng=rng)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Dense, Activation] * 3 + [Dense]
    assert model.layers[0].params["W"].shape == (2, 8)
    assert model.layers[-1].params["W"].shape == (8, 4)
    assert all(layer.name == "tanh" for layer in model.layers if isinstance(layer, Activation))
    assert model.forward(rng.standard_normal((5, 2))).shape == (5, 4)


@pytest.mark.parametrize("norm, kind", [("batch", BatchNorm), ("layer", LayerNorm)])
def test_norm_goes_between_dense_and_activation(norm, kind, rng):
    model = mlp(2, 8, 2, 3, norm=norm, rng=rng)
    assert [type(layer) for layer in model.layers] == [Dense, kind, Activation] * 2 + [Dense]


def test_residual_mlp_has_a_stem_depth_blocks_and_a_head(rng):
    model = mlp(2, 8, 5, 3, residual=True, norm="batch", rng=rng)
    assert len(model.layers) == 7
    assert all(isinstance(layer, Residual) for layer in model.layers[1:-1])
    assert [type(layer) for layer in model.layers[1].block.layers] == [Dense, BatchNorm, Activation]
    names = [name for name, _, _ in model.parameters()]
    assert names[:4] == ["0.W", "0.b", "1.block.0.W", "1.block.0.b"]


@pytest.mark.parametrize("norm", [None, "batch", "layer"])
@pytest.mark.parametrize("residual", [False, True])
def test_every_variant_backpropagates_correctly(norm, residual, rng):
    model = mlp(2, 5, 3, 3, activation="tanh", norm=norm, residual=residual, rng=rng)
    x, labels = rng.standard_normal((6, 2)), np.array([0, 1, 2, 0, 1, 2])
    assert gradcheck(model, x, labels, loss=softmax_cross_entropy, rng=rng) < 1e-6


def test_same_seed_same_model():
    a = mlp(2, 4, 2, 2, rng=np.random.default_rng(5))
    b = mlp(2, 4, 2, 2, rng=np.random.default_rng(5))
    for (_, pa, _), (_, pb, _) in zip(a.parameters(), b.parameters(), strict=True):
        assert np.array_equal(pa, pb)


def test_bad_input_is_refused(rng):
    with pytest.raises(ValueError, match="depth must be an integer >= 1; got 0"):
        mlp(2, 4, 0, 2, rng=rng)
    with pytest.raises(ValueError, match="width must be an integer >= 1"):
        mlp(2, -4, 2, 2, rng=rng)
    with pytest.raises(ValueError, match="activation='rellu' is unknown"):
        mlp(2, 4, 2, 2, activation="rellu", rng=rng)
    with pytest.raises(ValueError, match="init='he' is unknown"):
        mlp(2, 4, 2, 2, init="he", rng=rng)
    with pytest.raises(ValueError, match="norm='group' is unknown; choose None, 'batch' or 'lay"):
        mlp(2, 4, 2, 2, norm="group", rng=rng)
    with pytest.raises(TypeError, match="residual must be True or False"):
        mlp(2, 4, 2, 2, residual="yes", rng=rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        mlp(2, 4, 2, 2, rng=1)


def test_prelu_networks_learn_their_slopes(rng):
    model = mlp(2, 5, 2, 3, activation="prelu", rng=rng)
    assert [type(layer) for layer in model.layers] == [Dense, PReLU] * 2 + [Dense]
    x, labels = rng.standard_normal((6, 2)), np.array([0, 1, 2, 0, 1, 2])
    assert gradcheck(model, x, labels, loss=softmax_cross_entropy, rng=rng) < 1e-6
    assert "1.alpha" in model.params


@pytest.mark.parametrize("placement", ["pre", "post"])
def test_residual_stack_places_the_norm_before_the_branch_or_after_the_sum(placement, rng):
    net = residual_stack(2, 6, 3, 2, placement=placement, rng=rng)
    kinds = [type(layer).__name__ for layer in net.layers]
    if placement == "pre":  # stem, 3 x Residual(LN -> branch), final LN, head
        assert kinds == ["Dense", "Residual", "Residual", "Residual", "LayerNorm", "Dense"]
        assert isinstance(net[1].block[0], LayerNorm)
    else:  # stem, 3 x (Residual(branch), LN), head
        assert kinds == ["Dense"] + ["Residual", "LayerNorm"] * 3 + ["Dense"]
    assert net.packed() is not None
    x = rng.standard_normal((5, 2))
    assert gradcheck(net, x, rng.integers(0, 2, 5), loss=softmax_cross_entropy, rng=rng) < 1e-6


def test_residual_stack_refuses_bad_input(rng):
    with pytest.raises(ValueError, match="placement"):
        residual_stack(2, 4, 2, 2, placement="middle", rng=rng)
    with pytest.raises(ValueError, match="norm"):
        residual_stack(2, 4, 2, 2, norm=None, rng=rng)
