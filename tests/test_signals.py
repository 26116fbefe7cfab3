import numpy as np
import pytest

from vglib import signals


def test_sigmoid_gradients_vanish_at_init_and_relu_ones_do_not():
    sigmoid = signals.compute_grad_norms_at_init("sigmoid", 20, rng=np.random.default_rng(0))
    relu = signals.compute_grad_norms_at_init("relu", 20, rng=np.random.default_rng(0))
    assert sigmoid.init == "xavier_normal" and relu.init == "he_normal"
    assert sigmoid.norms.shape == (21,) and list(sigmoid.layers) == list(range(1, 22))
    assert sigmoid.first_to_last < 1e-8
    assert relu.first_to_last > 1e-2


def test_relu_with_too_small_weights_vanishes_too():
    # the forward signal and the backward signal both shrink, so every layer's gradient is tiny
    tiny = signals.compute_grad_norms_at_init("relu", 20, init=0.05, rng=np.random.default_rng(0))
    he = signals.compute_grad_norms_at_init("relu", 20, rng=np.random.default_rng(0))
    assert tiny.norms.max() < 1e-8 * he.norms.min()


def test_small_weights_shrink_the_backward_signal_layer_by_layer():
    tiny = signals.compute_grad_norms_at_init("relu", 20, init=0.05, rng=np.random.default_rng(0))
    he = signals.compute_grad_norms_at_init("relu", 20, rng=np.random.default_rng(0))
    assert tiny.signal[0] / tiny.signal[-2] < 1e-8
    assert 0.1 < he.signal[0] / he.signal[-2] < 10


def test_init_scale_norm_and_residual_reach_the_network():
    base = signals.compute_grad_norms_at_init("relu", 10, rng=np.random.default_rng(1))
    scaled = signals.compute_grad_norms_at_init("relu", 10, init_scale=0.5,
                                                rng=np.random.default_rng(1))
    # a ReLU net is positively homogeneous: halving 11 weight matrices scales the logits by
    # 2^-11, and the first layer's gradient by 2^-10 (softmax near uniform at such small logits)
    assert scaled.norms[0] < 1e-2 * base.norms[0]
    residual = signals.compute_grad_norms_at_init("relu", 10, norm="batch", residual=True,
                                                  rng=np.random.default_rng(1))
    assert residual.norms.shape == (12,) and residual.signal.shape == (12,)
    assert (residual.norm, residual.residual, scaled.init_scale) == ("batch", True, 0.5)
    with pytest.raises(ValueError, match="init_scale must be in"):
        signals.compute_grad_norms_at_init("relu", 3, init_scale=0, rng=np.random.default_rng(1))


def test_he_keeps_a_relu_network_level_and_xavier_lets_it_fade():
    he = signals.compute_signal_std("relu", 30, rng=np.random.default_rng(0))
    xavier = signals.compute_signal_std("relu", 30, init="xavier_normal",
                                        rng=np.random.default_rng(0))
    assert he.init == "he_normal" and he.forward.shape == he.backward.shape == (30,)
    assert 0.2 < he.forward[-1] / he.forward[0] < 5 and 0.2 < he.backward[0] / he.backward[-1] < 5
    # variance halves per ReLU layer with Xavier's 1/n: std shrinks by about sqrt(2) per layer
    assert xavier.forward[-1] / xavier.forward[0] < 1e-3
    assert xavier.backward[0] / xavier.backward[-1] < 1e-3


def test_init_scale_multiplies_every_weight_matrix():
    base = signals.compute_signal_std("relu", 5, rng=np.random.default_rng(0))
    double = signals.compute_signal_std("relu", 5, init_scale=2.0, rng=np.random.default_rng(0))
    # ReLU is positively homogeneous: layer l's activations scale by 2^l
    assert np.allclose(double.forward / base.forward, 2.0 ** np.arange(1, 6))


def test_bad_input_is_refused(rng):
    with pytest.raises(ValueError, match="init_scale must be in"):
        signals.compute_signal_std("relu", 5, init_scale=-1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="activation='rel' is unknown"):
        signals.compute_signal_std("rel", 5, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="depth must be an integer >= 1"):
        signals.compute_grad_norms_at_init("relu", 0, rng=rng)
    with pytest.raises(ValueError, match="activation='relu6' is unknown"):
        signals.compute_grad_norms_at_init("relu6", 3, rng=rng)


def test_block_grad_norms_are_the_branch_gradients_of_the_stack_one_per_block():
    from vglib.data import spirals
    from vglib.losses import softmax_cross_entropy
    from vglib.models import residual_stack

    norms = signals.block_grad_norms(6, "pre", rng=np.random.default_rng(3), n_samples=64)
    rng = np.random.default_rng(3)
    X, y = spirals(64, rng)
    model = residual_stack(2, 32, 6, 2, placement="pre", rng=rng)
    model.backward(softmax_cross_entropy(model.forward(X), y)[1])
    block = model.layers[3]  # stem, then blocks: the third block
    branch = block.block.layers[1]  # LayerNorm, then Dense -> GELU -> Dense
    expected = np.sqrt(sum(np.sum(branch.layers[i].grads["W"] ** 2) for i in (0, 2)))
    assert norms.shape == (6,) and np.all(norms > 0)
    assert norms[2] == pytest.approx(expected)


def test_post_norm_sends_a_larger_gradient_to_the_blocks_near_the_output():
    # Xiong et al. (2020): at initialisation Post-LN's gradients near the output are large
    for depth in (50, 100):
        pre = [signals.block_grad_norms(depth, "pre", rng=np.random.default_rng(s))[-1]
               for s in range(3)]
        post = [signals.block_grad_norms(depth, "post", rng=np.random.default_rng(s))[-1]
                for s in range(3)]
        assert np.median(post) > 3 * np.median(pre)
