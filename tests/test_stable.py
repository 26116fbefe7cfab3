"""Norms and spreads without underflow or overflow (vglib._stable), and every vglib function
that reports a norm or a spread: each must see a tiny but non-zero gradient as non-zero.

The function tests scale a real gradient by TINY = 2**-565 (about 8e-171). A power of two
scales every float64 operation exactly, so each reported number must be exactly TINY times
(or, for ratios of two scaled quantities, exactly equal to) the one without scaling. Plain
``np.linalg.norm`` squares entries near 1e-170 to 0 and would report 0.
"""

import math

import numpy as np
import pytest

from vglib import _stable, diagnose, gradcheck, probe, recurrent, signals, train
from vglib.layers import Activation, Dense, Sequential
from vglib.losses import mse, softmax_cross_entropy
from vglib.models import mlp
from vglib.optim import SGD, clip_grad_norm, global_grad_norm

TINY = 2.0**-565


# ---------------------------------------------------------------------------------------------
# the helpers


def test_norm_of_tiny_and_huge_entries():
    assert _stable.norm(np.array([3e-200, 4e-200])) == pytest.approx(5e-200, rel=1e-15)
    assert _stable.norm(np.array([3e200, 4e200])) == pytest.approx(5e200, rel=1e-15)
    with np.errstate(over="ignore"):  # what the helpers are for: numpy gets both wrong
        assert np.linalg.norm(np.array([3e-200, 4e-200])) == 0.0
        assert np.linalg.norm(np.array([3e200, 4e200])) == np.inf
    assert _stable.norm(np.full(100, 1e-170)) == pytest.approx(1e-169, rel=1e-15)
    assert _stable.norm(np.array([5e-324, 5e-324])) == 5e-324  # sqrt(2) x 4.9e-324, rounded
    assert _stable.norm(np.array([1.7e308, 1.7e308])) == np.inf  # 2.4e308: too large to hold


def test_std_of_tiny_and_huge_entries(rng):
    assert _stable.std(np.array([3e-200, -3e-200])) == pytest.approx(3e-200, rel=1e-15)
    assert _stable.std(np.array([1e200, 3e200, 5e200])) == pytest.approx(
        math.sqrt(8 / 3) * 1e200, rel=1e-15)
    x = rng.standard_normal(500)
    for scale in (1e-200, 1e200):
        assert _stable.std(scale * x) == pytest.approx(scale * np.std(x), rel=1e-14)
    assert np.std(1e-200 * x) == 0.0  # squared deviations of 1e-200 underflow in numpy
    # a spread tiny compared with a mean that is itself tiny
    assert _stable.std(1e-300 + 1e-310 * x) == pytest.approx(1e-310 * np.std(x), rel=1e-4)


def test_all_zeros_give_exactly_zero():
    zeros = np.zeros((4, 5))
    assert _stable.norm(zeros) == 0.0 and _stable.std(zeros) == 0.0
    assert np.array_equal(_stable.norm(zeros, axis=1), np.zeros(4))
    assert np.array_equal(_stable.std(zeros, axis=0), np.zeros(5))
    assert _stable.total_norm([np.zeros(3), np.zeros((2, 2))]) == 0.0
    assert _stable.std(np.full(7, 0.75)) == 0.0  # a constant has no spread


def test_mixed_huge_and_tiny_entries():
    assert _stable.norm(np.array([1e200, 1e-200, -1e-300])) == 1e200
    assert _stable.norm(np.array([1e300, -1e300])) == pytest.approx(math.sqrt(2) * 1e300)
    assert _stable.std(np.array([1e300, -1e300])) == pytest.approx(1e300, rel=1e-15)
    rows = np.array([[3e-200, 4e-200], [3.0, 4.0], [3e200, -4e200], [1e-300, 1e300]])
    np.testing.assert_allclose(_stable.norm(rows, axis=1), [5e-200, 5.0, 5e200, 1e300],
                               rtol=1e-15)
    np.testing.assert_allclose(_stable.std(rows, axis=1), [0.5e-200, 0.5, 3.5e200, 5e299],
                               rtol=1e-15)
    parts = [np.full(9, 1e-200), np.full(16, 1e-200)]
    assert _stable.total_norm(parts) == pytest.approx(5e-199, rel=1e-15)
    assert _stable.total_norm([np.full(4, 1e200), np.full(5, 1e-200)]) == pytest.approx(2e200)


def test_inf_and_nan_propagate():
    inf, nan = np.inf, np.nan
    assert _stable.norm(np.array([inf, 1.0])) == inf
    assert _stable.norm(np.array([-inf, 1e-200])) == inf
    assert math.isnan(_stable.norm(np.array([nan, 1.0])))
    assert math.isnan(_stable.norm(np.array([inf, nan])))  # NaN wins, as in numpy
    assert math.isnan(_stable.std(np.array([inf, 1.0])))  # the deviations from inf are undefined
    assert math.isnan(_stable.std(np.array([nan, 1e-200])))
    assert _stable.total_norm([np.ones(3), np.array([inf])]) == inf
    rows = np.array([[inf, 1.0], [3e-200, 4e-200], [nan, 0.0], [-inf, nan]])
    got = _stable.norm(rows, axis=1)
    assert got[0] == inf and got[1] == pytest.approx(5e-200) and np.isnan(got[2:]).all()
    got = _stable.std(rows, axis=1)
    assert got[1] == pytest.approx(0.5e-200) and np.isnan(got[[0, 2, 3]]).all()


def test_axis_and_keepdims_follow_numpy(rng):
    x = rng.standard_normal((3, 4, 5))
    for axis in (0, 1, 2, -1, (0, 2), (1, 2)):
        for keepdims in (False, True):
            want = np.linalg.norm(x, axis=axis, keepdims=keepdims) if isinstance(axis, int) \
                else np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))
            got = _stable.norm(x, axis=axis, keepdims=keepdims)
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-15)
            got = _stable.std(x, axis=axis, keepdims=keepdims)
            want = np.std(x, axis=axis, keepdims=keepdims)
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-15)
    # every row is scaled by its own largest entry
    scales = np.array([1e-250, 1e-170, 1.0, 1e170, 1e250])[:, None]
    base = rng.standard_normal((5, 6))
    np.testing.assert_allclose(_stable.norm(scales * base, axis=1),
                               scales[:, 0] * np.linalg.norm(base, axis=1), rtol=1e-15)
    np.testing.assert_allclose(_stable.std(scales * base, axis=1),
                               scales[:, 0] * np.std(base, axis=1), rtol=1e-14)


@pytest.mark.parametrize("shape", [(32, 32), (64, 64), (1000,), (256, 32), (7, 3, 5)])
def test_ordinary_data_agree_with_numpy(shape, rng):
    x = rng.standard_normal(shape) * 3.7
    assert _stable.norm(x) == pytest.approx(np.linalg.norm(x), rel=1e-15)
    assert _stable.norm(x.T) == pytest.approx(np.linalg.norm(x.T), rel=1e-15)
    assert _stable.std(x) == pytest.approx(np.std(x), rel=1e-15)
    np.testing.assert_allclose(_stable.norm(x, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-15)
    np.testing.assert_allclose(_stable.std(x, axis=0), np.std(x, axis=0), rtol=1e-15)
    parts = [x, 2 * x]
    assert _stable.total_norm(parts) == pytest.approx(math.sqrt(5) * np.linalg.norm(x), rel=1e-15)


def test_return_types_and_odd_inputs():
    assert isinstance(_stable.norm(np.ones(3)), np.float64)  # a / b divides as numpy does
    assert isinstance(_stable.std(np.ones(3)), np.float64)
    assert _stable.norm([3, 4]) == 5.0  # lists and integers
    assert _stable.norm(np.array([])) == 0.0
    assert np.array_equal(_stable.norm(np.zeros((0, 3)), axis=0), np.zeros(3))
    with pytest.raises(ValueError, match="empty"):
        _stable.std(np.array([]))


# ---------------------------------------------------------------------------------------------
# every vglib function that reports a norm or a spread


def _tiny(loss):
    """``loss`` with its gradient multiplied by TINY (the value is unchanged)."""
    def scaled(output, target):
        value, grad = loss(output, target)
        return value, TINY * grad
    return scaled


def _net(seed=5):
    return mlp(2, 8, 3, 2, activation="tanh", init="xavier_normal",
               rng=np.random.default_rng(seed))


def _batch(seed=6, n=32):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 2)), rng.integers(0, 2, n)


def test_probe_grad_norm_per_layer_and_backward_signal_see_tiny_gradients():
    X, y = _batch()
    model = _net()
    _, dlogits = softmax_cross_entropy(model.forward(X), y)
    signal = probe.backward_with_signal(model, dlogits)
    norms = probe.grad_norm_per_layer(model)
    tiny_signal = probe.backward_with_signal(model, TINY * dlogits)
    tiny_norms = probe.grad_norm_per_layer(model)
    assert (tiny_norms > 0).all() and (tiny_signal > 0).all()
    assert np.array_equal(tiny_norms, TINY * norms)
    assert np.array_equal(tiny_signal, TINY * signal)


def test_probe_relative_weight_change_of_tiny_weights():
    model = _net()
    for _, layer in probe.dense_layers(model):
        layer.params["W"] *= TINY
    before = probe.weight_snapshot(model)
    for _, layer in probe.dense_layers(model):
        layer.params["W"] *= 1.25  # a change of exactly a quarter of weights near 1e-170
    np.testing.assert_allclose(probe.relative_weight_change(model, before), 0.25, rtol=1e-15)


def test_probe_activation_stats_std_of_tiny_activations(rng):
    layer = Activation("identity")
    z = rng.standard_normal((16, 8))
    layer.forward(z)
    plain = probe.activation_stats(layer).std
    layer.forward(TINY * z)
    assert probe.activation_stats(layer).std == TINY * plain


def test_signals_compute_grad_norms_at_init_reports_every_layer_nonzero():
    # 30 sigmoid layers with weights a millionth of Xavier's
    fresh = signals.compute_grad_norms_at_init("sigmoid", 30, width=16, init_scale=1e-6,
                                               rng=np.random.default_rng(1))
    assert (fresh.norms > 0).all() and (fresh.signal > 0).all()
    assert fresh.norms[0] < 1e-180  # so small that np.linalg.norm would have reported 0
    # layers 2-30 (layer 1 sees the raw inputs, not sigmoid outputs): a factor near 1e-7 each
    per_layer = np.diff(np.log10(fresh.norms[1:-1]))
    assert np.all((per_layer > 6) & (per_layer < 7.5))


def test_signals_compute_signal_std_sees_tiny_spreads():
    spread = signals.compute_signal_std("tanh", 20, width=16, init_scale=1e-9,
                                        rng=np.random.default_rng(2))
    assert (spread.forward > 0).all() and (spread.backward > 0).all()
    assert spread.forward[-1] < 1e-170 and spread.backward[0] < 1e-170
    forward_step = np.diff(np.log10(spread.forward))  # tanh is linear here: 1e-9 per layer
    backward_step = np.diff(np.log10(spread.backward))
    assert np.all(np.abs(forward_step + 9) < 1) and np.all(np.abs(backward_step - 9) < 1)


def test_signals_block_grad_norms_see_tiny_gradients(monkeypatch):
    plain = signals.block_grad_norms(4, "pre", rng=np.random.default_rng(3))
    monkeypatch.setattr(signals, "softmax_cross_entropy", _tiny(softmax_cross_entropy))
    tiny = signals.block_grad_norms(4, "pre", rng=np.random.default_rng(3))
    assert (tiny > 0).all()
    assert np.array_equal(tiny, TINY * plain)


def test_diagnose_reports_tiny_gradients():
    X, y = _batch()
    plain = diagnose.diagnose(_net(), X, y)
    tiny = diagnose.diagnose(_net(), X, y, loss=_tiny(softmax_cross_entropy))
    for a, b in zip(plain.layers, tiny.layers, strict=True):
        assert b.grad_norm > 0 and b.signal > 0 and b.step_ratio > 0
        assert b.grad_norm == TINY * a.grad_norm and b.signal == TINY * a.signal
        assert b.step_ratio == pytest.approx(TINY * a.step_ratio, rel=1e-15)


@pytest.mark.parametrize("packed", [True, False])
def test_optim_global_grad_norm_and_clip_grad_norm_see_tiny_gradients(packed):
    X, y = _batch()
    model = _net()
    if not packed:  # one array per parameter: the per-parameter path
        for _, layer, key in model._slots():
            layer.params[key] = layer.params[key].copy()
            layer.grads[key] = layer.grads[key].copy()
    assert (model.packed() is not None) == packed
    _, dlogits = softmax_cross_entropy(model.forward(X), y)
    model.backward(dlogits)
    plain = global_grad_norm(model)
    model.backward(TINY * dlogits)
    tiny = global_grad_norm(model)
    assert tiny > 0 and tiny == pytest.approx(TINY * plain, rel=1e-15)
    grads = [g.copy() for _, _, g in model.parameters()]
    assert clip_grad_norm(model, 1.0) == tiny  # reported, and far below the limit: unchanged
    assert all(np.array_equal(g, h) for g, (_, _, h) in zip(grads, model.parameters(),
                                                          strict=True))
    model.backward(2.0**500 * dlogits)  # entries near 1e150: squares near 1e300
    huge = clip_grad_norm(model, 1.0)
    assert huge == pytest.approx(2.0**500 * plain, rel=1e-15)
    assert global_grad_norm(model) == pytest.approx(1.0, rel=1e-12)


def test_recurrent_gradient_through_time_tracks_vanishing_and_exploding_gradients():
    fading = recurrent.gradient_through_time(0.1, 250, rng=np.random.default_rng(4))
    assert (fading.norms > 0).all() and fading.norms[-1] < 1e-200
    rate = (fading.norms[-1] / fading.norms[50]) ** (1 / 200)  # near the spectral radius 0.1
    assert 0.05 < rate < 0.2
    growing = recurrent.gradient_through_time(10.0, 250, clip=1.0, rng=np.random.default_rng(4))
    assert np.isfinite(growing.norms).all() and growing.norms[-1] > 1e200
    # the squares of these norms overflow; the clipped gradient is still computed
    assert growing.clipped_norms is not None
    assert _stable.norm(growing.clipped_norms) == pytest.approx(1.0, rel=1e-12)


def test_train_fit_records_tiny_gradients_updates_and_spreads():
    X, y = _batch()
    model = Sequential([Dense(2, 8, init="xavier_normal", rng=np.random.default_rng(7)),
                        Activation("tanh"),
                        Dense(8, 2, init="xavier_normal", rng=np.random.default_rng(8))])
    model.layers[0].params["W"] *= TINY  # the first layer's weights, and so its outputs, ~1e-170
    history = train.fit(model, X, y, loss=_tiny(softmax_cross_entropy), optimizer=SGD(1.0),
                        epochs=2, batch_size=16, rng=np.random.default_rng(9))
    assert (history.step_grad_norm > 0).all()
    assert (history.grad_norms[:, 0] > 0).all() and (history.grad_norms[:, 0] < 1e-160).all()
    assert (history.act_std > 0).all() and (history.act_std < 1e-160).all()
    # lr 1 x gradients near 1e-170 against weights near 1e-170: a visible relative step
    assert (history.update_ratios[:, 0] > 1e-3).all()
    assert np.isfinite(history.update_ratios).all()


def test_gradcheck_relative_error_is_scale_free():
    rng = np.random.default_rng(10)
    a = rng.standard_normal(20)
    n = a + 1e-7 * rng.standard_normal(20)
    error = gradcheck.relative_error(a, n)
    assert 1e-9 < error < 1e-6
    for scale in (TINY, 2.0**600):  # near 1e-170 and 4e180
        assert gradcheck.relative_error(scale * a, scale * n) == error
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_gradcheck_gradient_errors_of_a_loss_with_tiny_gradients():
    rng = np.random.default_rng(11)
    x, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))

    def tiny_mse(output, target):
        value, grad = mse(output, target)
        return TINY * value, TINY * grad

    plain = gradcheck.gradient_errors(mse, x, target, h=2.0**-20)
    tiny = gradcheck.gradient_errors(tiny_mse, x, target, h=2.0**-20)
    assert tiny["x"] > 0
    assert tiny == plain
