import re

import numpy as np
import pytest
from refusals import assert_refused_naming

from vglib import NonFiniteError
from vglib.layers import Dense, Sequential
from vglib.optim import SGD, Adam, WarmUp, clip_grad_norm, clip_grad_value, global_grad_norm


class Quadratic:
    """A one-parameter 'model' with loss (w - 3)^2 / 2, so its gradient is w - 3."""

    def __init__(self, w=0.0):
        self.w = np.array([w])
        self.g = np.zeros(1)

    def parameters(self):
        yield "w", self.w, self.g

    def backward(self):
        self.g[:] = self.w - 3.0


def test_sgd_is_w_minus_lr_times_gradient():
    model = Quadratic(0.0)
    model.backward()
    SGD(lr=0.1).step(model)
    assert model.w[0] == pytest.approx(0.3)


def test_sgd_momentum_follows_pytorch_convention():
    model, opt = Quadratic(0.0), SGD(lr=0.1, momentum=0.9)
    model.backward()
    opt.step(model)  # v = g = -3, w = 0.3
    model.backward()
    opt.step(model)  # v = 0.9 * -3 + (-2.7) = -5.4, w = 0.3 + 0.54
    assert model.w[0] == pytest.approx(0.84)


@pytest.mark.parametrize("opt", [SGD(lr=0.1), SGD(lr=0.05, momentum=0.9), Adam(lr=0.1)])
def test_optimisers_minimise_a_quadratic(opt):
    model = Quadratic(-5.0)
    for _ in range(500):
        model.backward()
        opt.step(model)
    assert model.w[0] == pytest.approx(3.0, abs=1e-3)


def test_adam_first_step_moves_every_weight_by_lr():
    model = Quadratic(0.0)
    model.backward()
    Adam(lr=0.01).step(model)  # bias-corrected m / sqrt(v) = sign(g) on step 1
    assert model.w[0] == pytest.approx(0.01, rel=1e-6)


def test_optimiser_updates_layer_parameters_in_place(rng):
    layer = Dense(3, 2, rng=rng)
    W = layer.params["W"]
    before = W.copy()
    layer.forward(rng.standard_normal((4, 3)))
    layer.backward(np.ones((4, 2)))
    SGD(lr=0.5).step(layer)
    assert layer.params["W"] is W
    assert np.allclose(W, before - 0.5 * layer.grads["W"])


def test_clip_grad_norm_rescales_globally_and_returns_the_old_norm(rng):
    model = Sequential([Dense(3, 4, rng=rng), Dense(4, 2, rng=rng)])
    model.forward(rng.standard_normal((5, 3)))
    model.backward(rng.standard_normal((5, 2)) * 100)
    grads_before = [g.copy() for _, _, g in model.parameters()]
    norm = global_grad_norm(model)
    assert clip_grad_norm(model, 1.0) == pytest.approx(norm)
    assert global_grad_norm(model) == pytest.approx(1.0)
    for before, (_, _, after) in zip(grads_before, model.parameters(), strict=True):
        assert np.allclose(after, before / norm)  # same direction


def test_clip_grad_norm_leaves_small_gradients_alone(rng):
    model = Quadratic(2.9)
    model.backward()
    assert clip_grad_norm(model, 5.0) == pytest.approx(0.1)
    assert model.g[0] == pytest.approx(-0.1)


def test_clip_grad_value_clips_each_element():
    model = Quadratic(-7.0)
    model.backward()  # gradient -10
    assert clip_grad_value(model, 0.5) == 1
    assert model.g[0] == -0.5


def test_nan_gradient_stops_the_step_and_names_the_parameter(rng):
    model = Sequential([Dense(2, 2, rng=rng)])
    model.layers[0].grads["b"][1] = np.nan
    with pytest.raises(NonFiniteError, match="gradient of parameter '0.b'"):
        SGD(lr=0.1).step(model)
    with pytest.raises(NonFiniteError, match="'0.b'"):
        clip_grad_norm(model, 1.0)


def test_optimisers_refuse_bad_arguments():
    with pytest.raises(ValueError, match=r"lr must be in \(0, inf\); got -0.1"):
        SGD(lr=-0.1)
    with pytest.raises(ValueError, match="momentum must be in"):
        SGD(lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="betas must each be in"):
        Adam(lr=0.1, betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="betas must be a pair"):
        Adam(lr=0.1, betas=0.9)
    with pytest.raises(ValueError, match="eps must be in"):
        Adam(lr=0.1, eps=0)
    with pytest.raises(TypeError, match="model must have a parameters"):
        SGD(lr=0.1).step([1, 2])
    with pytest.raises(ValueError, match="max_norm must be in"):
        clip_grad_norm(Quadratic(), 0)
    with pytest.raises(ValueError, match="limit must be in"):
        clip_grad_value(Quadratic(), -1)


def _twin_models(seed=3):
    """The same network twice: one packed into flat buffers (as mlp returns it), one not."""
    from vglib.models import mlp

    packed = mlp(3, 6, 3, 2, norm="batch", residual=True, rng=np.random.default_rng(seed))
    plain = mlp(3, 6, 3, 2, norm="batch", residual=True, rng=np.random.default_rng(seed))
    for _, layer, key in plain._slots():  # unpack: give every layer its own arrays again
        layer.params[key] = layer.params[key].copy()
        layer.grads[key] = layer.grads[key].copy()
    assert packed.packed() is not None and plain.packed() is None
    return packed, plain


def _train_steps(model, opt, X, y, steps, clip=None):
    from vglib.losses import softmax_cross_entropy

    for _ in range(steps):
        _, dlogits = softmax_cross_entropy(model.forward(X), y)
        model.backward(dlogits)
        if clip == "norm":
            clip_grad_norm(model, 0.5)
        elif clip == "value":
            clip_grad_value(model, 0.05)
        opt.step(model)


@pytest.mark.parametrize(
    "make_opt, clip",
    [(lambda: SGD(0.1), None), (lambda: SGD(0.1, momentum=0.9), "norm"),
     (lambda: Adam(0.01), "value")],
)
def test_packed_and_unpacked_networks_train_identically(make_opt, clip, rng):
    packed, plain = _twin_models()
    X, y = rng.standard_normal((16, 3)), rng.integers(0, 2, 16)
    _train_steps(packed, make_opt(), X, y, 5, clip)
    _train_steps(plain, make_opt(), X, y, 5, clip)
    for (name, p1, g1), (_, p2, g2) in zip(packed.parameters(), plain.parameters(), strict=True):
        assert np.allclose(p1, p2, rtol=1e-12, atol=1e-14), name
        assert np.allclose(g1, g2, rtol=1e-12, atol=1e-14), name
    assert global_grad_norm(packed) == pytest.approx(global_grad_norm(plain), rel=1e-12)


def test_packed_buffers_are_views_and_are_dropped_when_an_array_is_replaced(rng):
    packed, _ = _twin_models()
    flat_params, flat_grads = packed.packed()
    assert flat_params.size == sum(p.size for _, p, _ in packed.parameters())
    first = packed.layers[0]
    assert np.shares_memory(first.params["W"], flat_params)
    assert np.shares_memory(first.grads["W"], flat_grads)
    first.params["W"] = first.params["W"] * 2.0  # a chapter rescaling weights this way
    assert packed.packed() is None  # the optimiser falls back to the per-parameter loop
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
    before = first.params["W"].copy()
    _train_steps(packed, SGD(0.1), X, y, 1)
    assert not np.allclose(first.params["W"], before)  # the replaced array is still trained


def test_nan_gradient_in_a_packed_network_still_names_the_parameter():
    packed, _ = _twin_models()
    packed.layers[1].block.layers[0].grads["b"][2] = np.inf
    with pytest.raises(NonFiniteError, match=r"'1\.block\.0\.b'"):
        SGD(0.1).step(packed)
    with pytest.raises(NonFiniteError, match=r"'1\.block\.0\.b'"):
        clip_grad_norm(packed, 1.0)


def test_global_grad_norm_does_not_overflow_for_huge_gradients():
    model = Quadratic()
    model.g[:] = 1e200
    assert global_grad_norm(model) == pytest.approx(1e200)
    packed, _ = _twin_models()
    packed.flat_grads[:] = 1e300
    assert global_grad_norm(packed) == pytest.approx(1e300 * np.sqrt(packed.flat_grads.size))


def test_warm_up_climbs_linearly_to_the_wrapped_learning_rate_and_stays():
    sgd = SGD(0.4)
    warm = WarmUp(sgd, steps=4)
    layer = Dense(1, 1, rng=np.random.default_rng(0))
    used = []
    for _ in range(6):
        layer.grads["W"][...] = 1.0
        layer.grads["b"][...] = 0.0
        before = layer.params["W"].copy()
        warm.step(layer)
        used.append(float((before - layer.params["W"])[0, 0]))
    np.testing.assert_allclose(used, [0.1, 0.2, 0.3, 0.4, 0.4, 0.4])
    assert warm.lr == pytest.approx(0.4)


def test_adam_is_blind_to_a_constant_gradient_scale():
    # why clipping by norm matters less with Adam than with SGD (chapter 10)
    rng = np.random.default_rng(1)
    layers = [Dense(3, 2, rng=np.random.default_rng(2)) for _ in range(2)]
    opts = [Adam(0.01), Adam(0.01)]
    for _ in range(5):
        g = rng.normal(size=(3, 2))
        for layer, opt, scale in zip(layers, opts, (1.0, 1e-3), strict=True):
            layer.grads["W"][...] = scale * g
            layer.grads["b"][...] = 0.0
            opt.step(layer)
    np.testing.assert_allclose(layers[0].params["W"], layers[1].params["W"], rtol=1e-5)


def test_warm_up_refuses_what_is_not_an_optimiser_or_a_step_count():
    with pytest.raises(TypeError, match="optimizer"):
        WarmUp(object(), 10)
    with pytest.raises(ValueError, match="steps"):
        WarmUp(SGD(0.1), 0)


# -- a step that would leave NaN or inf is refused, names the parameter, changes nothing -------

class TwoParameters:
    """A 'model' with parameters 'a' (3 entries) and 'b' (2), not packed."""

    def __init__(self):
        self.a, self.b = np.ones(3), np.ones(2)
        self.ga, self.gb = np.zeros(3), np.zeros(2)

    def parameters(self):
        yield "a", self.a, self.ga
        yield "b", self.b, self.gb


def test_an_overflowing_step_restores_the_parameters_already_updated():
    model = TwoParameters()
    model.ga[:] = 1.0
    model.b[:] = -1.5e308
    model.gb[:] = 1.5e308  # b - 1 * gb = -3e308: inf
    with pytest.raises(NonFiniteError, match=r"^an optimiser step would make parameter 'b' NaN "
                                             r"or inf \(the step reaches 1\.5e\+308\): lower "):
        SGD(lr=1.0).step(model)
    assert np.array_equal(model.a, np.ones(3))  # 'a' was updated first, then restored
    assert np.array_equal(model.b, np.full(2, -1.5e308))


def _packed_pair(rng):
    """Packed parameters in this order: 0.W (6 entries), 0.b (3), 1.W (3), 1.b (1)."""
    return Sequential([Dense(2, 3, rng=rng), Dense(3, 1, rng=rng)]).pack()


@pytest.mark.parametrize("make_opt", [lambda: SGD(1.0), lambda: SGD(1.0, momentum=0.5)])
def test_an_overflowing_step_in_a_packed_network_names_the_parameter_of_the_bad_entry(make_opt,
                                                                                      rng):
    model = _packed_pair(rng)
    flat_params, flat_grads = model.packed()
    starts = {"0.W": 0, "0.b": 6, "1.W": 9, "1.b": 12}
    ends = {"0.W": 5, "0.b": 8, "1.W": 11, "1.b": 12}
    for name in starts:
        for index in (starts[name], ends[name]):
            flat_grads[:] = 0.0
            flat_params[:] = 1.0
            flat_params[index] = -1.5e308
            flat_grads[index] = 1.5e308
            with pytest.raises(NonFiniteError, match=f"would make parameter '{name}' NaN"):
                make_opt().step(model)
            assert flat_params[index] == -1.5e308 and np.all(np.delete(flat_params, index) == 1)


def test_momentum_and_adam_moments_that_overflow_are_refused_and_named():
    model = TwoParameters()
    sgd = SGD(lr=1e-300, momentum=0.9)
    model.gb[:] = 1.5e308
    sgd.step(model)  # v = g: finite
    with pytest.raises(NonFiniteError, match=r"^the momentum of parameter 'b' overflows float64"):
        sgd.step(model)  # v = 0.9 v + g = 2.85e308: inf
    adam = Adam(lr=0.1)
    model.gb[:] = 1e160  # g^2 = 1e320: inf
    with pytest.raises(NonFiniteError, match=r"^Adam's second moment of parameter 'b' overflows "
                                             r"float64 \(gradient entries near 1e154 or more"):
        adam.step(model)
    assert np.array_equal(model.a, np.ones(3))


def test_the_optimisers_keep_the_documentation_of_their_step():
    for opt in (SGD, Adam):
        assert opt.step.__doc__ == "Update every parameter of ``model`` in place from its " \
                                   "current gradient."


def test_clip_grad_value_counts_every_clipped_element_of_every_parameter():
    model = TwoParameters()
    model.ga[:] = [0.5, -0.7, 0.2]
    model.gb[:] = [-0.5, 3.0]  # 0.5 in size is at the limit: kept, not counted
    assert clip_grad_value(model, 0.5) == 2
    assert model.ga.tolist() == [0.5, -0.5, 0.2] and model.gb.tolist() == [-0.5, 0.5]
    with pytest.raises(ValueError, match=r"^limit must be in \(0, inf\); got 0"):
        clip_grad_value(model, 0.0)
    with pytest.raises(ValueError, match=r"^max_norm must be in \(0, inf\); got 0"):
        clip_grad_norm(model, 0.0)


def test_warm_up_needs_an_optimiser_with_a_learning_rate():
    class NoRate:
        def step(self, model):
            pass

    with pytest.raises(TypeError, match="^optimizer must be a vglib optimiser"):
        WarmUp(NoRate(), 3)
    with pytest.raises(ValueError, match="^steps must be an integer >= 1; got 0"):
        WarmUp(SGD(0.1), 0)
    assert repr(WarmUp(SGD(0.1, momentum=0.5), 3)) == "WarmUp(SGD(lr=0.1, momentum=0.5), steps=3)"
    assert repr(Adam(0.01)) == "Adam(lr=0.01, betas=(0.9, 0.999), eps=1e-08)"


# every argument the optimisers check, each refused with a message that starts with its name
BAD_ARGUMENTS = {
    "SGD lr": (lambda: SGD(lr=0), "lr"),
    "SGD momentum": (lambda: SGD(lr=0.1, momentum=-0.1), "momentum"),
    "SGD momentum 1": (lambda: SGD(lr=0.1, momentum=1), "momentum"),
    "Adam lr": (lambda: Adam(lr="0.1"), "lr"),
    "Adam betas": (lambda: Adam(lr=0.1, betas=(0.9,)), "betas"),
    "Adam beta": (lambda: Adam(lr=0.1, betas=(0.9, 1.5)), "betas[i]"),
    "Adam betas 1": (lambda: Adam(lr=0.1, betas=(1.0, 0.9)), "betas"),
    "Adam eps": (lambda: Adam(lr=0.1, eps=-1.0), "eps"),
    "WarmUp optimizer": (lambda: WarmUp("sgd", 3), "optimizer"),
    "WarmUp steps": (lambda: WarmUp(SGD(0.1), 1.5), "steps"),
    "step model": (lambda: SGD(0.1).step(object()), "model"),
    "clip_grad_norm model": (lambda: clip_grad_norm(None, 1.0), "model"),
    "clip_grad_norm max_norm": (lambda: clip_grad_norm(Quadratic(), -1.0), "max_norm"),
    "clip_grad_value limit": (lambda: clip_grad_value(Quadratic(), "1"), "limit"),
    "global_grad_norm model": (lambda: global_grad_norm(3), "model"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_every_refusal_starts_with_the_name_of_the_argument(case):
    assert_refused_naming(*BAD_ARGUMENTS[case])


def test_a_packed_network_is_updated_through_its_buffer_alone(rng):
    # the whole-buffer path: no per-parameter loop (it would call parameters())
    from vglib.models import mlp

    model = mlp(3, 4, 2, 2, rng=rng)
    model.forward(rng.standard_normal((5, 3)))
    model.backward(rng.standard_normal((5, 2)))
    flat_params, flat_grads = model.packed()
    expected = flat_params - 0.1 * flat_grads
    norm = np.linalg.norm(flat_grads)

    def no_loop(prefix=""):
        raise AssertionError("the per-parameter path was taken")

    model.parameters = no_loop
    assert global_grad_norm(model) == pytest.approx(norm)
    SGD(0.1).step(model)
    assert np.allclose(flat_params, expected)
    adam = Adam(0.01)
    adam.step(model)
    assert list(adam.m) == ["<packed>"]
    assert clip_grad_norm(model, 1e-3) == pytest.approx(norm)
    assert clip_grad_value(model, 1e-5) > 0


def test_optimiser_messages_say_what_was_received_and_what_to_do():
    with pytest.raises(TypeError, match=r"model must have a parameters\(\) method .*; got list$"):
        SGD(0.1).step([1, 2])
    model = TwoParameters()
    model.gb = np.zeros(3)
    with pytest.raises(ValueError, match=re.escape(
            "the gradient of 'b' has shape (3,) but the parameter has (2,); run backward() "
            "after forward() before stepping") + "$"):
        SGD(0.1).step(model)
    model = TwoParameters()
    model.gb[0] = np.nan
    with pytest.raises(NonFiniteError, match=re.escape(
            "the gradient of parameter 'b' contains NaN or inf: training diverged; lower the "
            "learning rate or clip the gradients") + "$"):
        Adam(0.1).step(model)
    with pytest.raises(ValueError, match=re.escape(
            "momentum must be in [0, 1); got 1 (the velocity would never decay)") + "$"):
        SGD(0.1, momentum=1.0)


@pytest.mark.parametrize("make", [
    lambda: SGD(lr=0.0), lambda: SGD(lr=-1.0), lambda: Adam(lr=0.0), lambda: Adam(lr=-1.0),
    lambda: SGD(0.1, momentum=1.5), lambda: Adam(0.1, betas=(-0.1, 0.9)),
    lambda: Adam(0.1, betas=(0.9, 1.5)), lambda: Adam(0.1, eps=0.0),
])
def test_learning_rates_and_moment_factors_outside_their_range_are_refused(make):
    with pytest.raises(ValueError, match=r"^(lr|momentum|betas\[i\]|eps) must be in [\[(]0, "):
        make()
