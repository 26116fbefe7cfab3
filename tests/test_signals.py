import numpy as np
import pytest

from vglib import signals


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


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="init_scale must be in"):
        signals.compute_signal_std("relu", 5, init_scale=-1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="activation='rel' is unknown"):
        signals.compute_signal_std("rel", 5, rng=np.random.default_rng(0))


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
